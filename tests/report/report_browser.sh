#!/usr/bin/env bash
# The HTML report in a real browser: writes the journey's report and a
# 100,000-frame report (two hosts pinging across two routers for 5000 s),
# then drives Debian's chromium headless with playwright-core
# (tests/report/browser.js). playwright-core is installed from npm into
# BUILD/report-deps the first time; screenshots are kept in
# BUILD/report-artifacts. Skips (77) if chromium, node or npm is missing or
# the install fails.
# Usage: report_browser.sh INETBOX BUILD_DIR
set -u
inetbox=$1
build=$2
here=$(cd "$(dirname "$0")" && pwd)
deps=$build/report-deps
art=$build/report-artifacts
playwright_version=1.65.1

skip() { echo "SKIP: $*"; exit 77; }
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$chromium" ] || skip "chromium is not installed (scripts/install-deps installs it)"
command -v node >/dev/null || skip "node is not installed (scripts/install-deps installs nodejs)"
if [ ! -f "$deps/node_modules/playwright-core/package.json" ]; then
  command -v npm >/dev/null || skip "npm is not installed (scripts/install-deps installs it)"
  mkdir -p "$deps"
  timeout 300 npm install --prefix "$deps" --no-audit --no-fund --loglevel=error \
    "playwright-core@$playwright_version" >"$build/report-deps.log" 2>&1 ||
    skip "npm install playwright-core failed: $(tail -3 "$build/report-deps.log")"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$art"

"$inetbox" journey --html "$art/journey.html" >"$work/story.txt" || {
  echo "FAIL: inetbox journey --html"; exit 1; }
size=$(stat -c %s "$art/journey.html")
[ "$size" -lt 1048576 ] || { echo "FAIL: the journey's report is $size bytes, over 1 MiB"; exit 1; }
echo "# journey report: $size bytes"

cat >"$work/big.yaml" <<'EOF'
name: report-100k
seed: 7
stop: 5010s
nodes:
  h1: {kind: host, interfaces: {eth0: {address: 10.0.1.10/24}}, routes: [{to: default, via: 10.0.1.1}]}
  h2: {kind: host, interfaces: {eth0: {address: 10.0.1.11/24}}, routes: [{to: default, via: 10.0.1.1}]}
  sw1: {kind: switch}
  r1:
    kind: router
    interfaces: {eth0: {address: 10.0.1.1/24}, eth1: {address: 10.0.0.1/30}}
    routes: [{to: 10.0.2.0/24, via: 10.0.0.2}]
  r2:
    kind: router
    interfaces: {eth0: {address: 10.0.0.2/30}, eth1: {address: 10.0.2.1/24}}
    routes: [{to: 10.0.1.0/24, via: 10.0.0.1}]
  sw2: {kind: switch}
  h3: {kind: host, interfaces: {eth0: {address: 10.0.2.10/24}}, routes: [{to: default, via: 10.0.2.1}]}
  h4: {kind: host, interfaces: {eth0: {address: 10.0.2.11/24}}, routes: [{to: default, via: 10.0.2.1}]}
links:
  - {endpoints: ["h1:eth0", "sw1:p1"]}
  - {endpoints: ["h2:eth0", "sw1:p2"]}
  - {endpoints: ["r1:eth0", "sw1:p3"]}
  - {endpoints: ["r1:eth1", "r2:eth0"], rate: 100Mbit, delay: 10ms}
  - {endpoints: ["h3:eth0", "sw2:p1"]}
  - {endpoints: ["h4:eth0", "sw2:p2"]}
  - {endpoints: ["r2:eth1", "sw2:p3"]}
timeline:
  - {at: 1s, node: h1, ping: 10.0.2.10, count: 5000}
  - {at: 1s, node: h2, ping: 10.0.2.11, count: 5000}
EOF
"$inetbox" run --html "$work/big.html" "$work/big.yaml" >/dev/null || {
  echo "FAIL: inetbox run --html (100,000 frames)"; exit 1; }

NODE_PATH="$deps/node_modules" CHROMIUM="$chromium" \
  timeout 600 node "$here/browser.js" "$art/journey.html" "$work/big.html" "$art"
