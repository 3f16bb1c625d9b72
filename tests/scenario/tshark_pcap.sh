#!/usr/bin/env bash
# An independent decoder reads what inetbox writes: tshark opens every
# pcapng file of a ping, a traceroute and a fragmenting ping with IP, UDP
# and ICMP checksum validation on, finds no malformed frame, no bad
# checksum and no expert warning, and finds the expected conversation:
# ARP request and reply, echo requests paired with replies, traceroute's
# UDP probes answered by time exceeded and port unreachable, fragments
# that it reassembles itself.
# Usage: tshark_pcap.sh INETBOX BUILD_DIR (exit 77: tshark missing, skipped)
set -u
bin=$1
command -v tshark >/dev/null || { echo "tshark not installed: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# tshark 4.0 validates ICMP checksums always; IP and UDP only when asked.
ts() {
  tshark -n -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o ip.defragment:TRUE "$@" 2>"$tmp/tshark.err"
}

run() {
  local dir=$1
  shift
  if ! "$bin" "$@" --pcap "$tmp/$dir" >"$tmp/$dir.out" 2>&1; then
    echo "FAIL: inetbox $* exited $?"
    cat "$tmp/$dir.out"
    fail=1
  fi
}

# Every file of dir: no malformed frame, no bad checksum, nothing tshark
# calls a warning or worse; and the checksums were checked at all.
clean() {
  local dir=$1 f n
  local files=("$tmp/$dir"/*.pcapng)
  if [ "${#files[@]}" -ne 7 ] || [ ! -s "${files[0]}" ]; then
    echo "FAIL: $dir: want 7 pcapng files (one per link), got: ${files[*]##*/}"
    fail=1
    return
  fi
  for f in "${files[@]}"; do
    ts -r "$f" -Y '_ws.malformed || _ws.expert.severity >= "Warning" ||
        ip.checksum.status == "Bad" || udp.checksum.status == "Bad" ||
        icmp.checksum.status == "Bad"' >"$tmp/bad"
    if [ -s "$tmp/bad" ] || grep -qiE "error|malformed|isn't|not a" "$tmp/tshark.err"; then
      echo "FAIL: $dir/${f##*/}:"
      cat "$tmp/bad" "$tmp/tshark.err"
      fail=1
    fi
  done
  n=$(ts -r "$tmp/$dir/h1_eth0--sw1_p1.pcapng" -Y 'ip.checksum.status == "Good"' | wc -l)
  [ "$n" -gt 0 ] || { echo "FAIL: $dir: tshark validated no IPv4 checksum"; fail=1; }
}

# count DIR FILE FILTER [FIELD] [END]: distinct values of FIELD (default:
# frames) among the frames matching FILTER. Each frame is in a link's file
# twice, sent at one end and received at the other; with END, only what
# interface END saw counts. tshark pairs requests with replies and
# reassembles fragments over the whole file, so those need no END.
count() {
  local f=$tmp/$1/$2.pcapng filter=$3 field=${4:-frame.number} end=${5:-}
  [ -n "$end" ] && filter="frame.interface_name == \"$end\" && ($filter)"
  ts -r "$f" -Y "$filter" -T fields -e "$field" | sort -u | grep -c .
}

# want DIR FILE FILTER N [FIELD] [END]: exactly N.
want() {
  local got
  got=$(count "$1" "$2" "$3" "${5:-frame.number}" "${6:-}")
  if [ "$got" -ne "$4" ]; then
    echo "FAIL: $1/$2: '$3'${6:+ at $6}: $got ${5:-frame}s, want $4"
    fail=1
  fi
}

# frames DIR FILE FILTER N: exactly N frames as sent or received by the
# first end of the link (its name is the start of the file's name).
frames() {
  local end=${2%%--*}
  want "$1" "$2" "$3" "$4" frame.number "${end/_/:}"
}

# 1. ping: ARP on both LANs and the r1-r2 link, three request/reply pairs
#    seen on every link of the path, TTL decremented by each router.
run ping ping --count 3
clean ping
frames ping h1_eth0--sw1_p1 'arp.opcode == 1 && arp.src.proto_ipv4 == 10.0.1.10 && arp.dst.proto_ipv4 == 10.0.1.1' 1
frames ping h1_eth0--sw1_p1 'arp.opcode == 2 && arp.src.proto_ipv4 == 10.0.1.1 && arp.dst.proto_ipv4 == 10.0.1.10' 1
frames ping r1_eth1--r2_eth0 'arp.opcode == 1 && arp.src.proto_ipv4 == 10.0.0.1 && arp.dst.proto_ipv4 == 10.0.0.2' 1
frames ping r1_eth1--r2_eth0 'arp.opcode == 2 && arp.src.proto_ipv4 == 10.0.0.2' 1
frames ping r2_eth1--sw2_p3 'arp.opcode == 1 && arp.src.proto_ipv4 == 10.0.2.1 && arp.dst.proto_ipv4 == 10.0.2.10' 1
for link in h1_eth0--sw1_p1 r1_eth0--sw1_p3 r1_eth1--r2_eth0 r2_eth1--sw2_p3 h3_eth0--sw2_p1; do
  want ping $link 'icmp.type == 8 && ip.src == 10.0.1.10 && ip.dst == 10.0.2.10' 3 icmp.seq
  want ping $link 'icmp.type == 0 && icmp.resp_to && ip.src == 10.0.2.10 && icmp.checksum.status == "Good"' 3 icmp.seq
done
frames ping h1_eth0--sw1_p1 'icmp.type == 8 && ip.ttl == 64' 3
frames ping r1_eth1--r2_eth0 'icmp.type == 8 && ip.ttl == 63' 3
frames ping h3_eth0--sw2_p1 'icmp.type == 8 && ip.ttl == 62' 3
frames ping h1_eth0--sw1_p1 'icmp.type == 0 && ip.ttl == 62' 3
# h2 and h4 see the ARP broadcasts but no unicast traffic: the switches learned.
frames ping h2_eth0--sw1_p2 'icmp' 0
frames ping h4_eth0--sw2_p2 'icmp' 0

# 2. traceroute: 3 probes per hop to ports 33434 and up with TTL 1, 2, 3;
#    time exceeded from r1 and r2, port unreachable from h3 quoting them.
run trace traceroute
clean trace
want trace h1_eth0--sw1_p1 'udp.dstport >= 33434 && udp.dstport <= 33442 && !icmp && udp.checksum.status == "Good"' 9 udp.dstport
for ttl in 1 2 3; do
  frames trace h1_eth0--sw1_p1 "udp && !icmp && ip.ttl == $ttl" 3
done
want trace h1_eth0--sw1_p1 'icmp.type == 11 && icmp.code == 0' 6 udp.dstport
want trace h1_eth0--sw1_p1 'icmp.type == 3 && icmp.code == 3' 3 udp.dstport
srcs=$(ts -r "$tmp/trace/h1_eth0--sw1_p1.pcapng" -Y 'frame.interface_name == "h1:eth0" && icmp' \
  -T fields -e icmp.type -e ip.src | sed 's/,.*//' | sort | uniq -c | awk '{print $1, $2, $3}' | tr '\n' ';')
if [ "$srcs" != "3 11 10.0.0.2;3 11 10.0.1.1;3 3 10.0.2.10;" ]; then
  echo "FAIL: traceroute ICMP answers (count type source): $srcs"
  fail=1
fi
frames trace h3_eth0--sw2_p1 'udp && !icmp && ip.ttl == 1' 3

# 3. fragmentation: a 3008-byte echo leaves h1 in three fragments (MTU
#    1500), r1 cuts the two full ones again for the 1400-byte link; tshark
#    reassembles the request and the reply everywhere.
run frag ping --count 2 --size 3000
clean frag
frames frag h1_eth0--sw1_p1 'ip.src == 10.0.1.10 && ip.flags.mf == 1' 4
frames frag r1_eth1--r2_eth0 'ip.src == 10.0.1.10 && ip.flags.mf == 1' 8
frames frag r1_eth1--r2_eth0 'ip.src == 10.0.1.10 && ip.len > 1400' 0
for link in h1_eth0--sw1_p1 r1_eth1--r2_eth0 h3_eth0--sw2_p1; do
  want frag $link 'icmp.type == 8 && ip.reassembled.length == 3008' 2 icmp.seq
  want frag $link 'icmp.type == 0 && ip.reassembled.length == 3008 && icmp.resp_to' 2 icmp.seq
done

if [ "$fail" -ne 0 ]; then
  for o in "$tmp"/*.out; do echo "--- ${o##*/}"; cat "$o"; done
  exit 1
fi
echo "tshark pcap checks: ok"
