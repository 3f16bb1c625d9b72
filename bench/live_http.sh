#!/usr/bin/env bash
# Live HTTP download throughput (issue 5): curl fetches one file
#   1. from `inetbox live --http` over a TAP device (inetbox's whole stack:
#      TAP reads and writes, Ethernet, IP, TCP, the HTTP server), and
#   2. the same file from a Linux HTTP server (busybox httpd, which sends
#      with sendfile) over a veth pair between two namespaces,
# in one run, and prints both figures and their ratio (goal: inetbox at
# least half of Linux). For scale it also measures Linux over the veth pair
# with segmentation and checksum offloads off, which makes Linux, like
# inetbox on a TAP, handle every 1500-byte frame by itself.
# Each figure is the best of RUNS downloads to /dev/null. Needs root.
#
# Usage: bench/live_http.sh [INETBOX] [--size MB] [--runs N]
#        (INETBOX: default build/inetbox; MB: default 200; N: default 3)
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
bin=$src/build/inetbox
mb=200
runs=3
while [ $# -gt 0 ]; do
  case $1 in
  --size) mb=$2; shift 2 ;;
  --runs) runs=$2; shift 2 ;;
  -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) bin=$1; shift ;;
  esac
done
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
. "$src/tests/interop/netns_lib.sh"
ib_init bench-http "$bin" ""
ib_need curl busybox ethtool
busybox --list | grep -qx httpd || ib_skip "this busybox has no httpd"

www=$tmp/www
mkdir -p "$www"
ib_mkfile "$www/f.bin" $((mb << 20)) 1

# best NS URL: the highest of RUNS download speeds, in MB/s.
best() {
  local ns=$1 url=$2 i w top=0
  for ((i = 0; i < runs; i++)); do
    w=$(ip netns exec "$ns" timeout 300 curl -sS --fail -o /dev/null -w '%{size_download} %{speed_download}' "$url") || {
      echo "bench: curl $url failed" >&2
      return 1
    }
    [ "${w%% *}" -eq $((mb << 20)) ] || {
      echo "bench: $url: ${w%% *} bytes, not $((mb << 20))" >&2
      return 1
    }
    w=${w#* }
    w=${w%.*}
    [ "$w" -gt "$top" ] && top=$w
  done
  echo $((top / 1000000))
}

ib_ns_add tap
nst=$ns
ib_live_start "$nst" --tap ibt0 --host-addr 10.99.0.1/24 --addr 10.99.0.2/24 --http "$www" --quiet ||
  exit 1
tap=$(best "$nst" http://10.99.0.2/f.bin) || exit 1
ib_live_stop

ib_ns_add srv
nss=$ns
ib_ns_add cli
nsc=$ns
ip -n "$nss" link add ibv0 type veth peer name ibv1 netns "$nsc"
ip -n "$nss" addr add 10.99.1.2/24 dev ibv0
ip -n "$nsc" addr add 10.99.1.1/24 dev ibv1
ip -n "$nss" link set ibv0 up
ip -n "$nsc" link set ibv1 up
ib_bg "$nss" busybox httpd -f -p 10.99.1.2:80 -h "$www"
ib_wait_port "$nsc" 10.99.1.2 80 || exit 1
linux=$(best "$nsc" http://10.99.1.2/f.bin) || exit 1
ip netns exec "$nss" ethtool -K ibv0 tx off tso off gso off gro off >/dev/null 2>&1
ip netns exec "$nsc" ethtool -K ibv1 tx off tso off gso off gro off >/dev/null 2>&1
plain=$(best "$nsc" http://10.99.1.2/f.bin) || exit 1

ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? a / b : 0 }'
}
echo "HTTP download of $mb MB with curl, best of $runs:"
printf '  %-58s %6s MB/s\n' "inetbox live --http, over a TAP device" "$tap" \
  "Linux, busybox httpd over a veth pair" "$linux" \
  "Linux, busybox httpd over a veth pair, offloads off" "$plain"
echo "  inetbox / Linux: $(ratio "$tap" "$linux") (goal >= 0.50); inetbox / Linux without offloads: $(ratio "$tap" "$plain")"
echo "command: sudo bench/live_http.sh $bin --size $mb --runs $runs"
exit 0
