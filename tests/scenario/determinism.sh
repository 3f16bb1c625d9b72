#!/usr/bin/env bash
# Same seed, same run: two runs with the same seed write byte-identical
# pcapng files and identical --trace output, with and without impairments.
# With impairments on the r1-r2 link, a different seed gives a different
# run: different frames are lost, duplicated, reordered or corrupted, so
# the --trace output differs (it does not show IP identifiers, the one
# other thing the seed picks).
# Usage: determinism.sh INETBOX BUILD_DIR
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# run NAME ARGS...: --trace output in NAME.txt, pcaps in NAME/.
run() {
  local name=$1
  shift
  "$bin" "$@" --trace --pcap "$tmp/$name" >"$tmp/$name.txt" 2>"$tmp/$name.err"
  local rc=$?
  # ping's exit status is 1 when every reply was lost; anything else is a failure.
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
    echo "FAIL: inetbox $* exited $rc"
    cat "$tmp/$name.err"
    fail=1
  fi
}

same() {
  local a=$1 b=$2 f n=0
  if ! cmp -s "$tmp/$a.txt" "$tmp/$b.txt"; then
    echo "FAIL: $a and $b: --trace output differs"
    diff "$tmp/$a.txt" "$tmp/$b.txt" | head -5
    fail=1
  fi
  for f in "$tmp/$a"/*.pcapng; do
    n=$((n + 1))
    if ! cmp "$f" "$tmp/$b/${f##*/}"; then
      echo "FAIL: $a and $b: ${f##*/} differs"
      fail=1
    fi
  done
  if [ "$n" -ne 7 ]; then
    echo "FAIL: $a: $n pcapng files, want 7"
    fail=1
  fi
}

differ() {
  local a=$1 b=$2
  if cmp -s "$tmp/$a.txt" "$tmp/$b.txt"; then
    echo "FAIL: $a and $b: same --trace output"
    fail=1
  fi
}

imp=(--loss 0.2 --duplicate 0.05 --reorder 0.05 --corrupt 0.02)

run ping1 ping --count 3 --seed 5
run ping2 ping --count 3 --seed 5
same ping1 ping2

run lossy1 ping --count 20 --interval 0.2 --seed 1 "${imp[@]}"
run lossy2 ping --count 20 --interval 0.2 --seed 1 "${imp[@]}"
same lossy1 lossy2
run lossy3 ping --count 20 --interval 0.2 --seed 2 "${imp[@]}"
differ lossy1 lossy3
# The impairments really happened: the run lost frames on the wire.
grep -q "LINK_LOSS" "$tmp/lossy1.txt" || { echo "FAIL: no frame lost with --loss 0.2"; fail=1; }

run tr1 traceroute --seed 9 --loss 0.3
run tr2 traceroute --seed 9 --loss 0.3
same tr1 tr2

[ "$fail" -eq 0 ] && echo "determinism: ok"
exit "$fail"
