#!/usr/bin/env bash
# tshark reads the captures of lossy bulk TCP transfers (1 MB, 5 % loss and
# 5 % reordering, three seeds; written by tests/tools/tcp_pcap_gen) with
# IPv4 and TCP checksum validation on and finds no malformed segment, no
# bad checksum and no expert error; it did validate TCP checksums, and it
# sees the handshake and a FIN from each end.
# Usage: tcp_tshark.sh INETBOX BUILD_DIR (exit 77: tshark missing, skipped)
set -u
gen=$2/tests/tools/tcp_pcap_gen
command -v tshark >/dev/null || { echo "tshark not installed: skipped"; exit 77; }
[ -x "$gen" ] || { echo "FAIL: $gen not built"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

if ! "$gen" "$tmp" --bytes 1000000 --seeds 3 >"$tmp/gen.out" 2>&1; then
  echo "FAIL: tcp_pcap_gen exited non-zero"
  cat "$tmp/gen.out"
  exit 1
fi

ts() {
  tshark -n -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE "$@" 2>"$tmp/tshark.err"
}

# count FILE FILTER: frames matching FILTER.
count() {
  ts -r "$1" -Y "$2" | grep -c .
}

for seed in 1 2 3; do
  files=("$tmp/seed$seed"/*.pcapng)
  if [ "${#files[@]}" -ne 2 ]; then
    echo "FAIL: seed $seed: want 2 pcapng files, got: ${files[*]##*/}"
    fail=1
    continue
  fi
  for f in "${files[@]}"; do
    ts -r "$f" -Y '_ws.malformed || _ws.expert.severity >= "Error" ||
        tcp.checksum.status == "Bad" || ip.checksum.status == "Bad"' >"$tmp/bad"
    if [ -s "$tmp/bad" ] || grep -qiE "error|malformed|isn't|not a" "$tmp/tshark.err"; then
      echo "FAIL: seed$seed/${f##*/}:"
      head -20 "$tmp/bad" "$tmp/tshark.err"
      fail=1
    fi
    good=$(count "$f" 'tcp.checksum.status == "Good"')
    [ "$good" -gt 1000 ] || { echo "FAIL: seed$seed/${f##*/}: only $good TCP checksums validated"; fail=1; }
    for want in 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && ip.src == 10.0.1.10' \
                'tcp.flags.syn == 1 && tcp.flags.ack == 1 && ip.src == 10.0.2.10' \
                'tcp.flags.fin == 1 && ip.src == 10.0.1.10' \
                'tcp.flags.fin == 1 && ip.src == 10.0.2.10' \
                'tcp.options.sack_perm' 'tcp.options.timestamp.tsval' 'tcp.options.wscale.shift'; do
      n=$(count "$f" "$want")
      [ "$n" -gt 0 ] || { echo "FAIL: seed$seed/${f##*/}: no frame matches '$want'"; fail=1; }
    done
    n=$(count "$f" 'tcp.flags.reset == 1')
    [ "$n" -eq 0 ] || { echo "FAIL: seed$seed/${f##*/}: $n resets"; fail=1; }
  done
  # Loss on r1-h2 makes h1 recover with SACK: tshark sees SACK blocks.
  n=$(count "$tmp/seed$seed/r1_eth1--h2_eth0.pcapng" 'tcp.options.sack_le')
  [ "$n" -gt 0 ] || { echo "FAIL: seed$seed: no SACK blocks"; fail=1; }
done

if [ "$fail" -ne 0 ]; then
  cat "$tmp/gen.out"
  exit 1
fi
cat "$tmp/gen.out"
echo "tcp tshark checks: ok"
