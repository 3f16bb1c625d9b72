# Shared helpers of the live-mode interop tests (sourced by live_*.sh and
# bench/live_http.sh). Run by itself, as ctest does, it tests its own
# cleanup: a run that ends, and one killed before its trap could run, both
# leave no namespace, device, process or directory behind.
#
# Every test lives in network namespaces of its own, named
# ibt-<test>-<pid>-<suffix>, with its TAP devices and veth pairs inside them
# and addresses from 10.99.0.0/16 only, so nothing outside the namespaces is
# ever touched. A trap on EXIT stops what the test started (by process id),
# deletes its namespaces with everything in them, and removes its temporary
# directory. A test that cannot run here (not root, no namespaces, no TAP,
# a missing tool) says "skipped: <why>" and exits 77, which ctest counts as
# skipped, never as passed.
#
#   ib_init NAME INETBOX BUILD_DIR  checks root, tools, namespaces and TAPs;
#                            sets bin, build, tmp and asan (1: sanitizer build)
#   ib_need TOOL...          skips unless every TOOL is installed
#   ib_ns_add SUFFIX         creates namespace ibt-NAME-PID-SUFFIX (lo up) in $ns
#   ib_live_start NS ARGS... runs `inetbox live ARGS` in NS in the background
#                            and waits for its ready line (live_out, live_err)
#   ib_live_stop             SIGTERM to inetbox; live_status is its exit status
#   ib_bg NS CMD...          starts a background command in NS (stopped on exit)
#   ib_wait_port NS IP PORT  waits until IP:PORT accepts TCP connections from NS
#   ib_mkfile FILE BYTES SEED  a pseudo-random file, the same for the same SEED
#   ib_fail MSG, ib_skip MSG, ib_note MSG, ib_done

ib_fails=0
ib_nss=()
ib_pids=()
ib_probed=0
live_pid=
live_status=
# Seconds to wait for "inetbox live: ready", and the most one run may last.
ib_ready_secs=${IB_READY_SECS:-10}
ib_live_max=${IB_LIVE_MAX:-600}

ib_skip() {
  echo "skipped: $*"
  exit 77
}

ib_fail() {
  echo "FAIL: $*"
  ib_fails=$((ib_fails + 1))
}

ib_note() {
  echo "  $*"
}

# Ends the test with its result line and the status ctest reads.
ib_done() {
  if [ "$ib_fails" -eq 0 ]; then
    echo "ok: $ib_name"
    exit 0
  fi
  echo "$ib_name: $ib_fails failure(s)"
  exit 1
}

ib_need() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || ib_skip "$t is not installed (scripts/install-deps installs it)"
  done
}

# Stops a process this test started: SIGTERM, a bounded wait, SIGKILL.
ib_kill() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
}

# Deletes namespace NS with what is in it. Persistent TAPs are deleted by
# name first: a namespace that some process still holds would keep them.
ib_ns_del() {
  local ns=$1 pid dev
  for pid in $(ip netns pids "$ns" 2>/dev/null); do
    kill -KILL "$pid" 2>/dev/null
  done
  for dev in $(ip -n "$ns" -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
    [ "$dev" = lo ] || ip -n "$ns" link del "$dev" 2>/dev/null
  done
  ip netns del "$ns" 2>/dev/null
}

ib_cleanup() {
  local pid ns
  [ -n "$live_pid" ] && ib_kill "$live_pid"
  for pid in "${ib_pids[@]}"; do
    ib_kill "$pid"
  done
  for ns in "${ib_nss[@]}"; do
    ib_ns_del "$ns"
  done
  [ -n "${tmp:-}" ] && rm -rf "$tmp"
}

# What an earlier run of this test left when it was killed before its trap
# ran (a ctest timeout sends SIGKILL): only this test's namespaces and
# directories, and only those of processes that are gone.
ib_reap_stale() {
  local ns d pid
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^ibt-$ib_name-[0-9]*-"); do
    pid=${ns#ibt-"$ib_name"-}
    pid=${pid%%-*}
    kill -0 "$pid" 2>/dev/null || ib_ns_del "$ns"
  done
  for d in "${TMPDIR:-/tmp}/ibt-$ib_name-"[0-9]*.*; do
    [ -d "$d" ] || continue
    pid=${d##*/ibt-"$ib_name"-}
    pid=${pid%%.*}
    kill -0 "$pid" 2>/dev/null || rm -rf "$d"
  done
}

ib_init() {
  ib_name=$1
  bin=$2
  build=${3:-}
  [ -x "$bin" ] || {
    echo "FAIL: $bin is not an executable"
    exit 1
  }
  ib_env
  "$bin" live --help >/dev/null 2>&1 || {
    echo "FAIL: '$bin live --help' failed"
    exit 1
  }
}

# What every test needs from the machine, its directory and its trap.
ib_env() {
  [ "$(id -u)" -eq 0 ] || ib_skip "needs root for network namespaces and TAP devices"
  ib_need ip timeout sha256sum openssl
  [ -c /dev/net/tun ] || ib_skip "/dev/net/tun does not exist (no TUN/TAP driver)"
  asan=0
  if [ -n "$build" ] && grep -qs '^IB_SANITIZE:BOOL=ON' "$build/CMakeCache.txt"; then
    asan=1
  fi
  ib_reap_stale
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/ibt-$ib_name-$$.XXXXXX")
  trap ib_cleanup EXIT
  trap 'exit 130' INT TERM
}

ib_ns_add() {
  ns="ibt-$ib_name-$$-$1"
  ip netns add "$ns" 2>"$tmp/ns.err" || ib_skip "cannot create network namespace $ns: $(cat "$tmp/ns.err")"
  ib_nss+=("$ns")
  ip -n "$ns" link set lo up
  # IPv6 router solicitations and the like would only add noise to the links.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  if [ "$ib_probed" -eq 0 ]; then
    ip -n "$ns" tuntap add dev ibtprobe mode tap 2>"$tmp/tap.err" ||
      ib_skip "cannot create a TAP device in a namespace: $(cat "$tmp/tap.err")"
    ip -n "$ns" link del ibtprobe
    ib_probed=1
  fi
}

ib_live_start() {
  local ns=$1 i
  shift
  live_out=$tmp/live.out
  live_err=$tmp/live.err
  live_status=
  : >"$live_err" # before the child opens it, for the first look below
  (
    trap - EXIT INT TERM
    exec ip netns exec "$ns" timeout -k 5 "$ib_live_max" "$bin" live "$@"
  ) >"$live_out" 2>"$live_err" &
  live_pid=$!
  for ((i = 0; i < ib_ready_secs * 10; i++)); do
    grep -q '^inetbox live: ready' "$live_err" && return 0
    if ! kill -0 "$live_pid" 2>/dev/null; then
      wait "$live_pid"
      live_status=$?
      live_pid=
      ib_fail "inetbox live $* exited with status $live_status before it was ready: $(tail -n 5 "$live_err")"
      return 1
    fi
    sleep 0.1
  done
  ib_fail "inetbox live $* printed no ready line within ${ib_ready_secs} s: $(tail -n 5 "$live_err")"
  return 1
}

# SIGTERM must end inetbox cleanly and soon (its services close their
# connections first); a hang is a failure.
ib_live_stop() {
  local i
  live_status=
  [ -n "$live_pid" ] || return 1
  kill -TERM "$live_pid" 2>/dev/null
  for ((i = 0; i < 150; i++)); do
    kill -0 "$live_pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$live_pid" 2>/dev/null; then
    ib_fail "inetbox live did not stop within 15 s of SIGTERM"
    kill -KILL "$live_pid" 2>/dev/null
  fi
  wait "$live_pid"
  live_status=$?
  live_pid=
  [ "$live_status" -eq 0 ] || ib_fail "inetbox live exited with status $live_status after SIGTERM: $(tail -n 5 "$live_err")"
  grep -q '^inetbox live: stopped' "$live_err" || ib_fail "inetbox live did not say it stopped"
  return 0
}

ib_bg() {
  local ns=$1
  shift
  # The child drops our traps: killed before its exec, it must not clean up.
  (
    trap - EXIT INT TERM
    exec ip netns exec "$ns" "$@"
  ) >"$tmp/bg.${#ib_pids[@]}.log" 2>&1 &
  ib_pids+=($!)
  disown $! # not waited for: bash need not report its end
}

ib_wait_port() {
  local ns=$1 ip=$2 port=$3 i
  for ((i = 0; i < 100; i++)); do
    ip netns exec "$ns" timeout 2 bash -c "exec 3<>/dev/tcp/$ip/$port" 2>/dev/null && return 0
    sleep 0.1
  done
  ib_fail "nothing accepts TCP connections on $ip:$port"
  return 1
}

# AES-128-CTR of zeros under a key made from SEED: fast and reproducible.
ib_mkfile() {
  local file=$1 bytes=$2 seed=$3
  openssl enc -aes-128-ctr -nosalt -K "$(printf '%032x' "$seed")" -iv 0 -in /dev/zero 2>/dev/null |
    head -c "$bytes" >"$file"
  [ "$(stat -c %s "$file")" -eq "$bytes" ] || {
    echo "FAIL: could not write $bytes bytes to $file"
    exit 1
  }
}

ib_sha() {
  sha256sum "$1" | cut -d' ' -f1
}

# The self-test: bash netns_lib.sh [INETBOX BUILD_DIR].
ib_selftest_run() {
  ib_name=libselftest
  ib_env
  ib_ns_add a
  ip -n "$ns" tuntap add dev ibt0 mode tap
  ip -n "$ns" link add ibv0 type veth peer name ibv1
  ib_bg "$ns" sleep 300
  sleep 0.3 # past the child's exec, as with a real server
  echo "$ns ${ib_pids[0]} $tmp" >"$1"
  [ "${2:-}" = kill ] && kill -KILL $$
  exit 0
}

ib_selftest() {
  local st f=$1 left out pid nsn dir
  for how in exit kill; do
    bash "${BASH_SOURCE[0]}" --run "$f" "$how" >"$f.out" 2>&1 &
    wait $! 2>/dev/null # its SIGKILL is the point: no "Killed" message
    st=$?
    [ "$st" -eq 77 ] && { cat "$f.out"; exit 77; }
    [ -s "$f" ] || { echo "FAIL: the $how run set nothing up: $(cat "$f.out")"; exit 1; }
    read -r nsn pid dir <"$f"
    if [ "$how" = kill ]; then
      # the next run of the same test reaps what the killed one left
      bash "${BASH_SOURCE[0]}" --run /dev/null exit >/dev/null
    fi
    left=
    for _ in $(seq 20); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1 # a killed process is gone once its new parent reaped it
    done
    ip netns list | grep -q "^$nsn\b" && left="$left namespace $nsn,"
    ip -o link show | grep -q 'ibt0\|ibv[01]' && left="$left a device,"
    kill -0 "$pid" 2>/dev/null && left="$left process $pid,"
    [ -e "$dir" ] && left="$left directory $dir,"
    [ -z "$left" ] || { echo "FAIL: the $how run left$left behind"; exit 1; }
  done
  echo "ok: namespaces, TAP, veth, processes and directories cleaned up after an exit and after SIGKILL"
  exit 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  if [ "${1:-}" = --run ]; then
    ib_selftest_run "$2" "${3:-}"
  fi
  ib_f=$(mktemp)
  trap 'rm -f "$ib_f" "$ib_f.out"' EXIT
  ib_selftest "$ib_f"
fi
