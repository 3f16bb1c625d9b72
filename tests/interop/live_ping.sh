#!/usr/bin/env bash
# Linux -> inetbox with ping: `inetbox live` on a TAP device it creates in a
# namespace of its own (10.99.0.1/24 the Linux side, 10.99.0.2/24 ours).
#   - ping -c 3 is answered three times (the first after ARP, RFC 826)
#   - ping -s 3000: 3028-byte datagrams, fragmented by Linux and reassembled
#     by us, and answered in fragments that Linux reassembles (RFC 791 §2.3)
#   - UDP to a port nobody serves gets ICMP port unreachable (RFC 1122
#     §4.1.3.1), which Linux reports to the socket as ECONNREFUSED
#   - SIGTERM ends inetbox with status 0 and "stopped (signal)", and the
#     TAP it created is gone with it; --pcap recorded the ping in pcapng
#     with wall-clock timestamps (tshark reads it, if installed)
#   - inetbox -> Linux: `inetbox live --ping` gets its replies, prints its
#     result line and exits 0; --trace and --json carry wall-clock times
#   - before all that (and without root): bad usage exits 2, says why on
#     standard error and touches no TAP
# Usage: live_ping.sh INETBOX BUILD_DIR (exit 77: cannot run here)
set -u
. "$(dirname "$0")/netns_lib.sh"

usage_fails=0
# usage WHY INETBOX ARGS...: status 2, WHY on stderr, nothing on stdout.
usage() {
  local why=$1 stderr stdout st
  shift
  stderr=$("$1" live "${@:2}" 2>&1 >/dev/null)
  st=$?
  stdout=$("$1" live "${@:2}" 2>/dev/null)
  if [ "$st" -ne 2 ] || ! grep -q -- "$why" <<<"$stderr" || [ -n "$stdout" ]; then
    echo "FAIL: inetbox live ${*:2}: status $st, stderr '$stderr', want 2 and '$why'"
    usage_fails=$((usage_fails + 1))
  fi
}
usage "our address is needed" "$1" --tap ibt0
usage "exclude each other" "$1" --addr 10.99.0.2/24 --dhcp
usage "ADDRESS/PREFIX" "$1" --addr 10.99.0.2
usage "interface name" "$1" --tap no/such --addr 10.99.0.2/24
usage "needs a DNS server" "$1" --addr 10.99.0.2/24 --resolve www.example.com
usage "both want TCP port 80" "$1" --addr 10.99.0.2/24 --http . --tcp-echo 80
usage "pool must lie" "$1" --addr 10.99.0.2/24 --dhcp-server 10.98.0.10-10.98.0.20
usage "--output saves" "$1" --addr 10.99.0.2/24 --output x.bin
usage "--mtu must be between" "$1" --addr 10.99.0.2/24 --mtu 67
[ "$usage_fails" -eq 0 ] || exit 1

ib_init ping "$1" "${2:-}"
ib_need ping
[ -x /usr/bin/python3 ] || ib_skip "/usr/bin/python3 is not installed"

ib_ns_add h
ib_live_start "$ns" --tap ibt0 --host-addr 10.99.0.1/24 --addr 10.99.0.2/24 \
  --pcap "$tmp/live.pcapng" --html "$tmp/live.html" || ib_done
inns() {
  ip netns exec "$ns" "$@"
}

# ping's summary line: "N packets transmitted, M received, ..."
received() {
  sed -n 's/.* \([0-9]*\) received.*/\1/p' "$1"
}

inns ping -c 3 -i 0.2 -W 2 10.99.0.2 >"$tmp/ping.out" 2>&1
[ "$(received "$tmp/ping.out")" = 3 ] && ib_note "ping: 3 of 3 answered" ||
  ib_fail "ping: $(tail -n 2 "$tmp/ping.out")"

inns ping -c 3 -i 0.2 -W 2 -s 3000 10.99.0.2 >"$tmp/big.out" 2>&1
if [ "$(received "$tmp/big.out")" = 3 ] && grep -q '^3008 bytes from 10.99.0.2' "$tmp/big.out"; then
  ib_note "ping -s 3000: 3 of 3 answered, fragmented both ways"
else
  ib_fail "ping -s 3000: $(tail -n 3 "$tmp/big.out")"
fi

inns /usr/bin/python3 - >"$tmp/udp.out" 2>&1 <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect(("10.99.0.2", 9999))
s.send(b"anyone there?")
try:
    s.recv(100)
    print("an answer came")
except ConnectionRefusedError:
    print("ECONNREFUSED")
except socket.timeout:
    print("no answer")
PY
grep -qx ECONNREFUSED "$tmp/udp.out" && ib_note "UDP to a closed port: ECONNREFUSED (ICMP port unreachable)" ||
  ib_fail "UDP to a closed port: $(cat "$tmp/udp.out")"

ib_live_stop
ip -n "$ns" link show ibt0 >/dev/null 2>&1 && ib_fail "the TAP ibt0 is still there after inetbox stopped"

# inetbox -> Linux: a client run that ends by itself when its ping is done.
inns timeout 30 "$bin" live --tap ibt0 --host-addr 10.99.0.1/24 --addr 10.99.0.2/24 \
  --ping 10.99.0.1 --count 2 --trace --json "$tmp/live.jsonl" >"$tmp/client.out" 2>"$tmp/client.err"
st=$?
[ "$st" -eq 0 ] || ib_fail "inetbox live --ping exited with status $st: $(tail -n 3 "$tmp/client.err")"
grep -qx 'ping 10.99.0.1: 2 sent, 2 received' "$tmp/client.out" && ib_note "inetbox pings Linux: 2 of 2 answered" ||
  ib_fail "inetbox live --ping printed: $(grep '^ping' "$tmp/client.out")"
grep -Eq '^[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{6} inetbox:ibt0 < .* ICMP echo reply' "$tmp/client.out" ||
  ib_fail "--trace shows no echo reply with a wall-clock time"
grep -q '"wall":"[0-9-]*T[0-9:.]*Z","kind":"wire_rx"' "$tmp/live.jsonl" ||
  ib_fail "--json has no received frame with a wall-clock time"

# The report is written at exit: one page, its data holding the pings.
grep -q '<script type="application/json"' "$tmp/live.html" 2>/dev/null ||
  ib_fail "--html wrote no report"

if command -v tshark >/dev/null 2>&1; then
  now=$(date +%s)
  tshark -r "$tmp/live.pcapng" -T fields -e frame.time_epoch -Y "icmp.type == 0" \
    >"$tmp/replies.txt" 2>"$tmp/tshark.err" || ib_fail "tshark cannot read the pcapng: $(cat "$tmp/tshark.err")"
  # 3 small replies, and 3 large ones of which tshark marks the last fragment
  n=$(wc -l <"$tmp/replies.txt")
  [ "$n" -eq 6 ] || ib_fail "the pcapng holds $n echo replies, not 6"
  first=$(head -n 1 "$tmp/replies.txt" | cut -d. -f1)
  [ -n "$first" ] && [ $((now - first)) -ge 0 ] && [ $((now - first)) -lt 120 ] ||
    ib_fail "the pcapng's timestamps are not wall-clock time: $first (now $now)"
fi
ib_done
