#!/usr/bin/env bash
# `inetbox run FILE`: a good scenario runs to its stop time with status 0;
# a file the loader rejects gives status 2, nothing on standard output and
# exactly its "file:line:col: what was expected" line on standard error.
# Usage: run_errors.sh INETBOX BUILD_DIR
set -u
bin=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

"$bin" run "$src/examples/two-lans.yaml" >"$tmp/out" 2>"$tmp/err"
st=$?
if [ "$st" -ne 0 ] || ! grep -q "^two-lans: 8 nodes, 7 links, .* simulated time 10.000000 s$" "$tmp/out"; then
  echo "FAIL: examples/two-lans.yaml: status $st"; cat "$tmp/out" "$tmp/err"; fail=1
fi

# bad NAME CONTENT WANT: the file NAME holding CONTENT must fail with WANT.
bad() {
  local name=$1 content=$2 want=$3
  printf '%b' "$content" >"$tmp/$name"
  (cd "$tmp" && "$bin" run "$name" >out 2>err)
  local st=$?
  local got
  got=$(cat "$tmp/err")
  if [ "$st" -ne 2 ]; then
    echo "FAIL: $name: status $st, want 2"; fail=1
  fi
  if [ "$got" != "$want" ]; then
    echo "FAIL: $name: stderr"; echo "   got: $got"; echo "  want: $want"; fail=1
  fi
  if [ -s "$tmp/out" ]; then
    echo "FAIL: $name: wrote to standard output"; fail=1
  fi
}

head='nodes:\n  h1: {kind: host, interfaces: {eth0: {}}}\n  sw1: {kind: switch}\nlinks:\n'
bad two.yaml "${head}"'  - endpoints: ["h1:eth0", "sw1:p1"]\n    rate: 1Gbit\n    delay: ten\n' \
  'two.yaml:7:12: expected a duration such as 10ms, got "ten"'
bad unknown.yaml 'nodes: {}\ncolour: red\n' \
  'unknown.yaml:2:1: unknown key "colour" in a scenario; expected name, seed, stop, nodes, links and timeline'
bad dup.yaml 'nodes:\n  h1: {kind: host}\n  h1: {kind: router}\n' \
  'dup.yaml:3:3: duplicate node name "h1" (first at 2:3)'
bad ep.yaml "${head}"'  - endpoints: ["h9:eth0", "sw1:p1"]\n' \
  'ep.yaml:5:17: unknown node in endpoint "h9:eth0"; expected a node listed under nodes:'
bad syntax.yaml 'nodes:\n  h1: {kind: host\n' \
  "syntax.yaml:3:1: invalid YAML: did not find expected ',' or '}' (while parsing a flow mapping at 2:7)"

"$bin" run "$tmp/missing.yaml" >"$tmp/out" 2>"$tmp/err"
st=$?
if [ "$st" -ne 2 ] || ! grep -q "missing.yaml: cannot read the file" "$tmp/err"; then
  echo "FAIL: missing file: status $st"; cat "$tmp/err"; fail=1
fi

exit $fail
