#!/usr/bin/env bash
# The CLI follows the common conventions: --help and --version succeed on
# standard output; bad usage exits 2 with a message on standard error and
# nothing on standard output; each command's --help shows examples.
# Usage: cli_conventions.sh INETBOX BUILD_DIR
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# expect STATUS DESCRIPTION -- ARGS...: runs inetbox ARGS, checks the exit status.
expect() {
  local want=$1 what=$2
  shift 3
  "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: $what: inetbox $* exited $got, want $want"
    sed 's/^/  stderr: /' "$tmp/err"
    fail=1
    return 1
  fi
  return 0
}

# A usage error: status 2, a message naming the problem on stderr, no output.
usage_error() {
  local what=$1 pattern=$2
  shift 2
  expect 2 "$what" -- "$@" || return
  if ! grep -q -- "$pattern" "$tmp/err"; then
    echo "FAIL: $what: stderr lacks '$pattern':"
    sed 's/^/  /' "$tmp/err"
    fail=1
  fi
  if [ -s "$tmp/out" ]; then
    echo "FAIL: $what: wrote to stdout"
    fail=1
  fi
}

expect 0 "--version" -- --version && {
  grep -qx "inetbox [0-9][0-9.]*" "$tmp/out" || { echo "FAIL: --version printed: $(cat "$tmp/out")"; fail=1; }
}
expect 0 "--help" -- --help && {
  grep -q "^Usage: inetbox" "$tmp/out" || { echo "FAIL: --help has no usage line"; fail=1; }
  for c in ping traceroute; do
    grep -q "^  $c " "$tmp/out" || { echo "FAIL: --help does not list $c"; fail=1; }
  done
  [ -s "$tmp/err" ] && { echo "FAIL: --help wrote to stderr"; fail=1; }
}
for c in ping traceroute; do
  for h in --help -h; do
    expect 0 "$c $h" -- "$c" "$h" && {
      grep -q "^Usage: inetbox $c" "$tmp/out" || { echo "FAIL: $c $h: no usage line"; fail=1; }
      grep -q "^Examples:" "$tmp/out" || { echo "FAIL: $c $h: no examples"; fail=1; }
      grep -q "^  inetbox $c" "$tmp/out" || { echo "FAIL: $c $h: no example command"; fail=1; }
    }
  done
  expect 0 "help $c" -- help "$c" && {
    grep -q "^Usage: inetbox $c" "$tmp/out" || { echo "FAIL: help $c: no usage line"; fail=1; }
  }
done

usage_error "no command" "Usage: inetbox"
usage_error "unknown command" "unknown command 'frobnicate'" frobnicate
usage_error "unknown global option" "unknown option '--frobnicate'" --frobnicate
usage_error "unknown ping option" "unknown option '--frobnicate'" ping --frobnicate
usage_error "unknown short option" "unknown option '-Z'" traceroute -Z
usage_error "missing value" "'--count' needs a value" ping --count
usage_error "not a number" "--count wants a number" ping --count many
usage_error "out of range" "--count must be between" ping --count 0
usage_error "negative size" "--size wants a number" ping --size -5
usage_error "too large size" "--size must be between" ping --size 70000
usage_error "bad probability" "--loss must be between" ping --loss 1.5
usage_error "bad seed" "--seed wants a number" traceroute --seed x
usage_error "bad interval" "--interval wants a number" ping --interval soon
usage_error "unknown destination" "'nowhere' is no node" ping nowhere
usage_error "switch as destination" "'sw1' is a switch" traceroute sw1
usage_error "unknown source" "--from 'h9' is no node" ping --from h9
usage_error "two destinations" "one destination only" ping h3 h4
usage_error "ttl order" "--first-ttl 5 is beyond --max-ttl 3" traceroute --first-ttl 5 --max-ttl 3

# Other failures exit 1: a pcap directory that cannot be created.
touch "$tmp/file"
expect 1 "unwritable pcap dir" -- ping --count 1 --pcap "$tmp/file/sub" && {
  grep -q "cannot write pcap files" "$tmp/err" || { echo "FAIL: pcap error message: $(cat "$tmp/err")"; fail=1; }
}
# No reply at all is a failure, like ping's: TTL 1 dies at r1.
expect 1 "ping without reply" -- ping --count 1 --ttl 1 && {
  grep -q "Time to live exceeded" "$tmp/out" || { echo "FAIL: no time exceeded line"; fail=1; }
}

# A successful run exits 0 and prints the results.
expect 0 "ping" -- ping --count 2 && {
  grep -q "2 packets transmitted, 2 received, 0% packet loss" "$tmp/out" || { echo "FAIL: ping summary:"; cat "$tmp/out"; fail=1; }
}

[ "$fail" -eq 0 ] && echo "cli conventions: ok"
exit "$fail"
