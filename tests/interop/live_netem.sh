#!/usr/bin/env bash
# Under impairment: 5 % loss, reordering and duplication between inetbox and
# Linux, in both directions, while two 100 MB transfers run at once, one
# each way: inetbox downloads from a Linux HTTP server (--fetch) and curl
# downloads from inetbox's HTTP server. Both must arrive byte-exact.
#
#   namespace R: TAP ibt0 (inetbox 10.99.0.2) ==impairment== veth vr
#   namespace H: veth vh, 10.99.0.1 (curl, HTTP server)
#
# The impairment is tc netem where the kernel has it (sch_netem): a bridge
# joins ibt0 and vr, and netem shapes the egress of vh (Linux -> inetbox)
# and of vr (inetbox -> Linux). Kernels without it get the same impairment
# from a relay in user space (python3, two AF_PACKET sockets) that joins
# ibt0 and vr instead of the bridge. IB_IMPAIR=netem or IB_IMPAIR=relay
# picks one; netem asked for and missing is a skip.
# Under the sanitizer build the transfers are 20 MB; IB_NETEM_MB=N sets
# their size in MB.
# Usage: live_netem.sh INETBOX BUILD_DIR (exit 77: cannot run here)
set -u
. "$(dirname "$0")/netns_lib.sh"
ib_init netem "$1" "${2:-}"
ib_need curl tc ethtool
py=/usr/bin/python3
[ -x "$py" ] || ib_skip "$py is not installed"

mb=${IB_NETEM_MB:-100}
[ "$asan" -eq 1 ] && mb=${IB_NETEM_MB:-20}
size=$((mb << 20))
# Seconds either transfer may take; inetbox's own run is bounded by it too.
limit=900
ib_live_max=$((limit + 60))
loss=5 reorder=5 dup=5 # percent of the frames in each direction

mkdir -p "$tmp/down" "$tmp/up"
ib_mkfile "$tmp/down/down.bin" "$size" 21 # inetbox -> Linux
ib_mkfile "$tmp/up/up.bin" "$size" 22     # Linux -> inetbox

ib_ns_add r
nsr=$ns
ib_ns_add h
nsh=$ns
ip -n "$nsr" tuntap add dev ibt0 mode tap
ip -n "$nsr" link add vr type veth peer name vh netns "$nsh"
ip -n "$nsh" addr add 10.99.0.1/24 dev vh
for l in "$nsr ibt0" "$nsr vr" "$nsh vh"; do
  set -- $l
  ip -n "$1" link set "$2" up
done

mode=${IB_IMPAIR:-auto}
if [ "$mode" != relay ]; then
  if tc -n "$nsh" qdisc add dev vh root netem loss "$loss%" delay 1ms reorder "$((100 - reorder))%" \
    duplicate "$dup%" 2>"$tmp/tc.err"; then
    mode=netem
  elif [ "$mode" = netem ]; then
    ib_skip "tc netem is not available: $(cat "$tmp/tc.err")"
  else
    mode=relay
  fi
fi
if [ "$mode" = netem ]; then
  # netem's "reorder P%" sends P % of the frames at once and delays the
  # rest by 1 ms, so the undelayed ones overtake.
  tc -n "$nsr" qdisc add dev vr root netem loss "$loss%" delay 1ms reorder "$((100 - reorder))%" \
    duplicate "$dup%"
  ip -n "$nsr" link add br0 type bridge
  ip -n "$nsr" link set ibt0 master br0
  ip -n "$nsr" link set vr master br0
  ip -n "$nsr" link set br0 up
  ib_note "impairment: tc netem loss $loss% reorder $reorder% duplicate $dup%, both directions"
else
  # The relay copies frames as they are: the kernel must hand it whole,
  # checksummed frames, not TSO/GSO super-frames with partial checksums.
  ip netns exec "$nsh" ethtool -K vh tx off tso off gso off gro off >/dev/null 2>&1
  ip netns exec "$nsr" ethtool -K vr tx off tso off gso off gro off >/dev/null 2>&1
  cat >"$tmp/relay.py" <<'PY'
# relay.py A B LOSS REORDER DUP SEED: joins two interfaces frame by frame,
# dropping LOSS %, delaying REORDER % by 2 ms (later frames overtake them)
# and sending DUP % twice, independently in each direction. SIGTERM: prints
# what it did and exits.
import random, select, signal, socket, sys, time

SOL_PACKET, PACKET_IGNORE_OUTGOING, ETH_P_ALL = 263, 23, 3
HOLD = 0.002
a, b = sys.argv[1], sys.argv[2]
loss, reorder, dup = (float(x) / 100 for x in sys.argv[3:6])
rng = random.Random(int(sys.argv[6]))


def open_if(name):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)  # not the frames we send
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((name, ETH_P_ALL))
    s.setblocking(False)
    return s


sa, sb = open_if(a), open_if(b)
peer = {sa: sb, sb: sa}
stats = {s: dict(frames=0, lost=0, held=0, dup=0, full=0) for s in (sa, sb)}
held = []  # (release time, order, out socket, frame, stats)
order = 0
running = True


def stop(*_):
    global running
    running = False


signal.signal(signal.SIGTERM, stop)
print("relay: ready", flush=True)


def send(out, frame, st):
    try:
        out.send(frame)
    except (BlockingIOError, OSError):
        st["full"] += 1  # the far side's queue is full: lost as on a wire


while running:
    now = time.monotonic()
    while held and held[0][0] <= now:
        _, _, out, frame, st = held.pop(0)
        send(out, frame, st)
    timeout = max(0.0, held[0][0] - now) if held else 0.5
    try:
        ready, _, _ = select.select([sa, sb], [], [], timeout)
    except InterruptedError:
        continue
    for s in ready:
        out, st = peer[s], stats[s]
        for _ in range(256):
            try:
                frame = s.recv(65536)
            except BlockingIOError:
                break
            st["frames"] += 1
            r = rng.random()
            if r < loss:
                st["lost"] += 1
                continue
            copies = 2 if rng.random() < dup else 1
            st["dup"] += copies - 1
            if r < loss + reorder:
                st["held"] += 1
                order += 1
                for _ in range(copies):
                    held.append((time.monotonic() + HOLD, order, out, frame, st))
                continue
            for _ in range(copies):
                send(out, frame, st)
for s, name in ((sa, a + " -> " + b), (sb, b + " -> " + a)):
    print("relay %s: %s" % (name, " ".join("%s %d" % kv for kv in stats[s].items())))
PY
  ib_bg "$nsr" "$py" "$tmp/relay.py" ibt0 vr "$loss" "$reorder" "$dup" 1
  relay_log=$tmp/bg.$((${#ib_pids[@]} - 1)).log
  relay_pid=${ib_pids[-1]}
  for _ in $(seq 50); do
    grep -q '^relay: ready' "$relay_log" && break
    sleep 0.1
  done
  grep -q '^relay: ready' "$relay_log" || ib_fail "the relay did not start: $(cat "$relay_log")"
  ib_note "impairment: relay in user space (no sch_netem here), loss $loss% reorder $reorder% duplicate $dup%, both directions"
fi

ib_bg "$nsh" "$py" -m http.server 8000 --bind 10.99.0.1 --directory "$tmp/up"
ib_wait_port "$nsh" 10.99.0.1 8000 || ib_done

url=http://10.99.0.1:8000/up.bin
t0=$(date +%s%N)
ib_live_start "$nsr" --tap ibt0 --addr 10.99.0.2/24 --http "$tmp/down" \
  --fetch "$url" --output "$tmp/got-up.bin" --quiet || ib_done
ip netns exec "$nsh" timeout "$limit" curl -sS --fail -o "$tmp/got-down.bin" \
  http://10.99.0.2/down.bin 2>"$tmp/curl.err" &
curl_pid=$!
# Both transfers run at once; each one's time is taken when it ends. A
# download that stops growing for a minute has stalled: 5 % loss cannot
# explain that, so Linux's view of the connection is shown and it ends.
t_down= t_up=
got=-1 still=0
while [ -z "$t_down" ] || [ -z "$t_up" ]; do
  if [ -z "$t_down" ] && ! kill -0 "$curl_pid" 2>/dev/null; then
    wait "$curl_pid" || ib_fail "curl from inetbox under impairment: $(cat "$tmp/curl.err")"
    t_down=$(date +%s%N)
  fi
  if [ -z "$t_down" ]; then
    n=$(stat -c %s "$tmp/got-down.bin" 2>/dev/null || echo 0)
    [ "$n" = "$got" ] && still=$((still + 1)) || still=0
    got=$n
    if [ "$still" -ge 600 ]; then
      ib_fail "Linux <- inetbox stalled at $n bytes for 60 s; Linux's side: $(ip netns exec "$nsh" ss -tinoe 'sport = :80 or dport = :80')"
      kill "$curl_pid"
    fi
  fi
  if [ -z "$t_up" ] && { grep -q "^fetch $url: " "$live_out" || ! kill -0 "$live_pid" 2>/dev/null; }; then
    t_up=$(date +%s%N)
  fi
  if [ $(($(date +%s%N) - t0)) -gt $((limit * 1000000000)) ]; then
    [ -z "$t_up" ] && ib_fail "inetbox <- Linux: the fetch did not end within $limit s"
    break
  fi
  sleep 0.1
done
secs() {
  echo "$((($1 - t0) / 1000000000)).$(((($1 - t0) / 100000000) % 10)) s"
}

if [ -f "$tmp/got-down.bin" ] && cmp -s "$tmp/got-down.bin" "$tmp/down/down.bin"; then
  ib_note "Linux <- inetbox: $((size >> 20)) MB byte-exact in $(secs "$t_down")"
else
  ib_fail "Linux <- inetbox: the downloaded file differs ($(stat -c %s "$tmp/got-down.bin" 2>/dev/null || echo no) bytes of $size)"
fi
if ! grep -q "^fetch $url: HTTP 200, $size bytes" "$live_out"; then
  ib_fail "inetbox <- Linux: no 'fetch $url: HTTP 200, $size bytes' line: $(cat "$live_out") $(tail -n 3 "$live_err")"
elif cmp -s "$tmp/got-up.bin" "$tmp/up/up.bin"; then
  ib_note "inetbox <- Linux: $((size >> 20)) MB byte-exact in $(secs "$t_up")"
else
  ib_fail "inetbox <- Linux: the saved file differs from the served one"
fi
ib_live_stop

if [ "$mode" = relay ]; then
  ib_kill "$relay_pid"
  grep -v '^relay: ready' "$relay_log" | sed 's/^/  /'
  grep -q 'lost [1-9]' "$relay_log" || ib_fail "the relay lost no frame: was it in the path?"
else
  for l in "$nsh vh" "$nsr vr"; do
    set -- $l
    st=$(tc -n "$1" -s qdisc show dev "$2" | sed -n 's/^ *Sent/Sent/p')
    ib_note "netem on $2: $st"
    grep -q 'dropped [1-9]' <<<"$st" || ib_fail "netem on $2 dropped nothing: was it in the path?"
  done
fi
ib_done
