#!/usr/bin/env bash
# `inetbox journey` as a command: the story in both languages with its ten
# steps, --print-scenario giving back examples/internet.yaml byte for byte
# (and that file telling the same story through --scenario), --json lines
# that python's json module reads, a second run identical to the first,
# and bad usage (unknown language, a URL we cannot fetch, a scenario with
# no fetch) answered with exit status 2 and a message on standard error.
# Usage: journey_cli.sh INETBOX BUILD_DIR
set -u
bin=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
failf() { echo "FAIL: $*"; fail=1; }

"$bin" journey >"$tmp/en" 2>"$tmp/err" || failf "journey exited $?: $(cat "$tmp/err")"
for n in 1 2 3 4 5 6 7 8 9 10; do
  grep -q "^Step $n · " "$tmp/en" || failf "no Step $n in the English story"
done
grep -q "Not seen" "$tmp/en" && failf "a step of the journey was not seen"
"$bin" journey --lang ko >"$tmp/ko" 2>&1 || failf "journey --lang ko exited $?"
for n in 1 2 3 4 5 6 7 8 9 10; do
  grep -q "^${n}단계 · " "$tmp/ko" || failf "no step $n in the Korean story"
done
"$bin" journey >"$tmp/en2" 2>&1
cmp -s "$tmp/en" "$tmp/en2" || failf "two runs told different stories"

"$bin" journey --print-scenario >"$tmp/internet.yaml" || failf "--print-scenario exited $?"
cmp -s "$tmp/internet.yaml" "$src/examples/internet.yaml" ||
  failf "--print-scenario differs from examples/internet.yaml"
"$bin" journey --scenario "$tmp/internet.yaml" >"$tmp/en3" 2>&1
cmp -s "$tmp/en" "$tmp/en3" || failf "the printed scenario tells another story"

"$bin" journey --json "$tmp/events.jsonl" >/dev/null 2>&1 || failf "journey --json exited $?"
if command -v python3 >/dev/null; then
  python3 - "$tmp/events.jsonl" <<'PY' || fail=1
import json, sys
kinds = set()
with open(sys.argv[1]) as f:
    for n, line in enumerate(f, 1):
        try:
            kinds.add(json.loads(line)["kind"])
        except Exception as e:
            print("FAIL: events.jsonl line %d: %s" % (n, e)); sys.exit(1)
missing = {"dhcp", "dns", "nat", "http", "tcp_state", "arp_request", "ip_forward"} - kinds
if missing:
    print("FAIL: no %s events in the JSON lines" % ", ".join(sorted(missing))); sys.exit(1)
PY
fi

# usage CODE ARGS...: the command must exit with CODE and say why.
usage() {
  local want=$1
  shift
  "$bin" journey "$@" >"$tmp/out" 2>"$tmp/err"
  local st=$?
  [ "$st" -eq "$want" ] || failf "journey $*: status $st, want $want"
  [ -s "$tmp/err" ] || failf "journey $*: nothing on standard error"
  [ "$want" -eq 2 ] && [ -s "$tmp/out" ] && failf "journey $*: wrote to standard output"
}
usage 2 --lang fr
usage 2 ftp://www.google.com/
usage 2 http://a/ http://b/
usage 2 --scenario "$src/examples/two-lans.yaml"
# A name that does not exist: the story of the failure, then status 1.
usage 1 http://nope.google.com/ --scenario "$src/examples/internet.yaml"
"$bin" journey --help | grep -q -- "--print-scenario" || failf "--help does not list --print-scenario"

[ "$fail" -eq 0 ] && echo "journey cli: ok"
exit "$fail"
