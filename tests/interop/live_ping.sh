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
#   - a TAP inetbox creates without --host-addr is up all the same (frames
#     pass); deleting it under inetbox ends the run with "the TAP device
#     was deleted"
#   - a TAP that exists is used as it is: --mtu and --host-addr are
#     refused for it (nothing changed), its own MTU 9000 is ours (8028-byte
#     pings pass unfragmented), and a frame beyond it is dropped as
#     ETH_TOO_BIG, never read cut short
#   - SIGTERM during a download drains the HTTP server: the download
#     completes byte-exact and ends with a FIN before inetbox exits 0; a
#     download whose client stopped reading holds the exit back until a
#     second SIGTERM, and then gets a RST, not silence
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
usage "--mtu must be between" "$1" --addr 10.99.0.2/24 --mtu 65522
usage "interface name" "$1" --tap 'rv%d' --addr 10.99.0.2/24
usage "interface name" "$1" --tap 'a b' --addr 10.99.0.2/24
usage "must differ" "$1" --addr 10.99.0.2/24 --host-addr 10.99.0.2/24
usage "at most 65536" "$1" --addr 10.0.0.2/8 --dhcp-server 10.0.0.10-10.1.0.10
usage "both want UDP port 68" "$1" --dhcp --udp-echo 68
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

# Waits up to 5 s for inetbox to exit by itself; live_status is its status.
live_exit() {
  local i
  for ((i = 0; i < 50; i++)); do
    kill -0 "$live_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$live_pid" 2>/dev/null && return 1
  wait "$live_pid"
  live_status=$?
  live_pid=
}

# A TAP we create comes up without --host-addr: a TAP that is down would
# fail every frame with EIO.
ib_live_start "$ns" --tap ibt1 --addr 10.99.1.2/24 --quiet || ib_done
if ip -n "$ns" -o link show ibt1 | grep -q '[<,]UP[,>]'; then
  ip -n "$ns" addr add 10.99.1.1/24 dev ibt1
  inns ping -c 1 -W 2 10.99.1.2 >"$tmp/up.out" 2>&1
  [ "$(received "$tmp/up.out")" = 1 ] && ib_note "a TAP created without --host-addr is up and passes frames" ||
    ib_fail "ping through the TAP created without --host-addr: $(tail -n 2 "$tmp/up.out")"
else
  ib_fail "the TAP inetbox created is not up: $(ip -n "$ns" -o link show ibt1)"
fi
ip -n "$ns" link del ibt1
if ! live_exit; then
  ib_fail "inetbox live went on after its TAP was deleted"
  ib_live_stop
elif [ "$live_status" -ne 1 ] || ! grep -q 'the TAP device was deleted' "$live_err"; then
  ib_fail "deleting the TAP: status $live_status, $(tail -n 2 "$live_err")"
else
  ib_note "deleting the TAP under inetbox: status 1, \"the TAP device was deleted\""
fi

# A TAP that exists is someone else's: used as it is, never changed.
ip -n "$ns" tuntap add dev ibt2 mode tap
ip -n "$ns" link set ibt2 mtu 9000 up
ip -n "$ns" addr add 10.99.2.1/24 dev ibt2
for opt in "--mtu 1400" "--host-addr 10.99.2.3/24"; do
  # shellcheck disable=SC2086 # the option and its value
  inns "$bin" live --tap ibt2 --addr 10.99.2.2/24 $opt >/dev/null 2>"$tmp/refused.err"
  st=$?
  [ "$st" -eq 1 ] && grep -q 'cannot use TAP ibt2: it exists' "$tmp/refused.err" ||
    ib_fail "$opt on an existing TAP: status $st, $(cat "$tmp/refused.err")"
done
ip -n "$ns" -o addr show dev ibt2 | grep -q 10.99.2.3 && ib_fail "--host-addr changed the existing TAP"
ip -n "$ns" -o link show ibt2 | grep -q ' mtu 9000 ' && ib_note "--mtu and --host-addr refused on an existing TAP, left as it was" ||
  ib_fail "--mtu changed the existing TAP: $(ip -n "$ns" -o link show ibt2)"
ib_live_start "$ns" --tap ibt2 --addr 10.99.2.2/24 --json "$tmp/jumbo.jsonl" --quiet || ib_done
inns ping -c 2 -i 0.2 -W 2 -M do -s 8000 10.99.2.2 >"$tmp/jumbo.out" 2>&1
[ "$(received "$tmp/jumbo.out")" = 2 ] && ib_note "the TAP's own MTU 9000: 8028-byte pings answered unfragmented" ||
  ib_fail "ping -M do -s 8000 on an MTU 9000 TAP: $(tail -n 2 "$tmp/jumbo.out")"
# Linux now sends frames longer than inetbox's MTU allows.
ip -n "$ns" link set ibt2 mtu 9500
inns ping -c 1 -W 1 -M do -s 9200 10.99.2.2 >"$tmp/toobig.out" 2>&1
[ "$(received "$tmp/toobig.out")" = 0 ] || ib_fail "a 9242-byte frame on an MTU 9000 link was answered"
ib_live_stop
grep -q '"ETH_TOO_BIG"' "$tmp/jumbo.jsonl" && ib_note "a frame beyond the MTU: dropped as ETH_TOO_BIG" ||
  ib_fail "--json shows no ETH_TOO_BIG drop for the 9242-byte frame"
ip -n "$ns" link show ibt2 >/dev/null 2>&1 || ib_fail "the existing TAP ibt2 went away with inetbox"

# Graceful shutdown: SIGTERM while a client downloads 8 MB at about 4 MB/s
# (a small receive buffer and paced reads hold inetbox's response back).
# The keep-alive request is answered whole, then inetbox closes with a FIN.
mkdir "$tmp/www"
ib_mkfile "$tmp/www/8m.bin" 8388608 5
ib_live_start "$ns" --tap ibt0 --host-addr 10.99.0.1/24 --addr 10.99.0.2/24 --http "$tmp/www" --quiet ||
  ib_done
inns /usr/bin/python3 - >"$tmp/slow.out" 2>&1 <<'PY' &
import hashlib, socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.settimeout(20)
s.connect(("10.99.0.2", 80))
s.sendall(b"GET /8m.bin HTTP/1.1\r\nHost: x\r\n\r\n")
data = b""
while b"\r\n\r\n" not in data:
    data += s.recv(65536)
head, body = data.split(b"\r\n\r\n", 1)
length = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0])
h = hashlib.sha256(body)
got = len(body)
end = "open"
try:
    while True:
        b = s.recv(65536)
        if not b:
            end = "fin"
            break
        h.update(b)
        got += len(b)
        time.sleep(0.015)
except ConnectionResetError:
    end = "reset"
except socket.timeout:
    end = "silence"
print(head.split(b"\r\n")[0].decode(), got, length, h.hexdigest(), end)
PY
slow_pid=$!
sleep 1
kill -0 "$slow_pid" 2>/dev/null || ib_fail "the download ended before SIGTERM: $(cat "$tmp/slow.out")"
ib_live_stop
wait "$slow_pid"
want="HTTP/1.1 200 OK 8388608 8388608 $(ib_sha "$tmp/www/8m.bin") fin"
[ "$(cat "$tmp/slow.out")" = "$want" ] &&
  ib_note "SIGTERM during a download: it completed (sha256 matches), then a FIN; inetbox exited 0" ||
  ib_fail "the download cut by SIGTERM: $(cat "$tmp/slow.out")"

# A client that stopped reading: the linger waits for it, a second SIGTERM
# cuts it short, and the client is reset rather than left waiting.
ib_live_start "$ns" --tap ibt0 --host-addr 10.99.0.1/24 --addr 10.99.0.2/24 --http "$tmp/www" || ib_done
inns /usr/bin/python3 - >"$tmp/stall.out" 2>&1 <<'PY' &
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("10.99.0.2", 80))
s.sendall(b"GET /8m.bin HTTP/1.1\r\nHost: x\r\n\r\n")
s.recv(1)
print("stalled", flush=True)
time.sleep(4)
s.settimeout(10)
try:
    while s.recv(65536):
        pass
    print("eof")
except ConnectionResetError:
    print("reset")
except socket.timeout:
    print("silence")
PY
stall_pid=$!
for ((i = 0; i < 50; i++)); do
  grep -qs stalled "$tmp/stall.out" && break
  sleep 0.1
done
# The first SIGTERM through timeout(1), which also sends a copy to its
# process group (one signal, not two); timeout ignores SIGTERM from then
# on, so the second goes to inetbox itself.
kill -TERM "$live_pid"
sleep 1
if kill -0 "$live_pid" 2>/dev/null; then
  kill -TERM "$(ps -o pid= --ppid "$live_pid")"
  live_exit || ib_fail "a second SIGTERM did not end the linger"
  [ "${live_status:-1}" -eq 0 ] || ib_fail "inetbox exited with status $live_status after two SIGTERMs"
  grep -q 'waiting up to 10 s for 1 connection' "$live_err" && grep -q 'reset 1 connection still open' "$live_err" ||
    ib_fail "inetbox did not say it waited and reset: $(tail -n 3 "$live_err")"
else
  ib_fail "inetbox exited at once although a download was still in progress"
fi
wait "$stall_pid"
grep -qx reset "$tmp/stall.out" && ib_note "a stalled download: held the exit until a second SIGTERM, then reset" ||
  ib_fail "the stalled client saw: $(cat "$tmp/stall.out")"

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
