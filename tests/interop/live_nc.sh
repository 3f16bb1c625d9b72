#!/usr/bin/env bash
# Linux -> inetbox with netcat: the echo (RFC 862) and discard (RFC 863)
# services of `inetbox live` on a TAP device in a namespace of its own.
#   - TCP echo: 1 MB comes back byte for byte, and so do 10 connections at
#     once; after our FIN the service closes too, so nc ends by itself
#   - TCP discard: 1 MB is taken, nothing comes back, the service closes
#   - UDP echo: nc's datagram comes back; so do datagrams of 1 to 8000
#     bytes (those over 1472 are fragmented both ways, RFC 791 §2.3)
#   - a TCP port no service listens on answers the SYN with RST (RFC 9293
#     §3.10.7.1), which Linux reports as "Connection refused"
# (UDP to a closed port and its ICMP port unreachable: live_ping.sh.)
# Usage: live_nc.sh INETBOX BUILD_DIR (exit 77: cannot run here)
set -u
. "$(dirname "$0")/netns_lib.sh"
ib_init nc "$1" "${2:-}"
ib_need nc cmp
[ -x /usr/bin/python3 ] || ib_skip "/usr/bin/python3 is not installed"
nc -h 2>&1 | grep -q '^OpenBSD netcat' || ib_skip "nc is not OpenBSD netcat (netcat-openbsd)"

ib_mkfile "$tmp/1m.bin" $((1 << 20)) 7
ib_ns_add h
ib_live_start "$ns" --tap ibt0 --host-addr 10.99.0.1/24 --addr 10.99.0.2/24 \
  --tcp-echo 7 --udp-echo 7 --tcp-discard 9 --quiet || ib_done
innc() {
  ip netns exec "$ns" timeout 30 nc "$@"
}

if innc -N 10.99.0.2 7 <"$tmp/1m.bin" >"$tmp/echo.out" 2>"$tmp/nc.err"; then
  if cmp -s "$tmp/1m.bin" "$tmp/echo.out"; then
    ib_note "TCP echo: 1 MB back byte for byte"
  else
    ib_fail "TCP echo: $(stat -c %s "$tmp/echo.out") bytes back, not the 1 MB sent"
  fi
else
  ib_fail "TCP echo: nc exited with status $? ($(stat -c %s "$tmp/echo.out") bytes back): $(cat "$tmp/nc.err")"
fi

pids=()
for i in $(seq 10); do
  ib_mkfile "$tmp/c$i" $((64 * 1024 + i)) $((100 + i))
done
for i in $(seq 10); do
  innc -N 10.99.0.2 7 <"$tmp/c$i" >"$tmp/c$i.out" 2>&1 &
  pids+=($!)
done
wait "${pids[@]}"
bad=0
for i in $(seq 10); do
  cmp -s "$tmp/c$i" "$tmp/c$i.out" || bad=$((bad + 1))
done
[ "$bad" -eq 0 ] && ib_note "TCP echo: 10 concurrent connections, each echoed right" ||
  ib_fail "TCP echo: $bad of 10 concurrent connections did not get their bytes back"

if innc -N 10.99.0.2 9 <"$tmp/1m.bin" >"$tmp/discard.out" 2>"$tmp/nc.err"; then
  [ -s "$tmp/discard.out" ] && ib_fail "TCP discard sent $(stat -c %s "$tmp/discard.out") bytes back"
  [ -s "$tmp/discard.out" ] || ib_note "TCP discard: 1 MB taken, nothing back"
else
  ib_fail "TCP discard: nc exited with status $?: $(cat "$tmp/nc.err")"
fi

out=$(printf 'hello, inetbox\n' | innc -u -w 1 10.99.0.2 7 2>&1)
[ "$out" = "hello, inetbox" ] && ib_note "UDP echo: nc's datagram came back" ||
  ib_fail "UDP echo with nc: got '$out'"

ip netns exec "$ns" timeout 60 /usr/bin/python3 - <<'PY' || ib_fail "UDP echo of datagrams of 1 to 8000 bytes"
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect(("10.99.0.2", 7))
for n in (1, 100, 1472, 1473, 3000, 4000, 8000):
    data = os.urandom(n)
    for attempt in range(3):
        s.send(data)
        try:
            got = s.recv(65536)
            break
        except socket.timeout:
            got = None
    if got != data:
        print("FAIL: UDP echo of %d bytes: %s" % (n, "no answer" if got is None else "%d other bytes" % len(got)))
        sys.exit(1)
print("  UDP echo: datagrams of 1 to 8000 bytes came back, fragmented ones too")
PY

out=$(innc -z -v -w 3 10.99.0.2 9999 2>&1)
st=$?
if [ "$st" -ne 0 ] && grep -q 'refused' <<<"$out"; then
  ib_note "TCP to a closed port: connection refused (RST)"
else
  ib_fail "TCP to closed port 9999: nc status $st: $out"
fi

ib_live_stop
ib_done
