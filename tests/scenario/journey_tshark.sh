#!/usr/bin/env bash
# The journey as Wireshark sees it: tshark reads every pcapng file of
# `inetbox journey --pcap` with IP, UDP and TCP checksum validation on,
# finds no malformed frame, no bad checksum and no expert warning, and
# decodes the page load: DHCP DISCOVER/OFFER/REQUEST/ACK on the home LAN,
# DNS queries root -> com -> google.com with their answers, ARP on both
# LANs, the TCP handshake and close, the HTTP request and response. The
# body tshark reassembles from the laptop's link is the page www serves
# (examples/internet.yaml), byte for byte.
# Usage: journey_tshark.sh INETBOX BUILD_DIR (exit 77: tshark missing)
set -u
bin=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
command -v tshark >/dev/null || { echo "tshark not installed: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

ts() {
  tshark -n -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE \
    "$@" 2>"$tmp/tshark.err"
}

if ! "$bin" journey --pcap "$tmp/p" >"$tmp/out" 2>&1; then
  echo "FAIL: inetbox journey --pcap exited $?"; cat "$tmp/out"; exit 1
fi

# A link's file holds each frame twice, sent at one end and received at
# the other (one interface block per end). tshark would call the second
# copy of a DNS query or TCP segment a retransmission, so each end's view
# is checked on its own: it is a whole conversation with no duplicates.
files=("$tmp/p"/*.pcapng)
[ "${#files[@]}" -eq 14 ] || { echo "FAIL: want 14 pcapng files, got ${#files[@]}"; fail=1; }
mkdir "$tmp/end"
for f in "${files[@]}"; do
  for i in 0 1; do
    tshark -r "$f" -Y "frame.interface_id == $i" -w "$tmp/end/$(basename "$f" .pcapng).$i.pcapng" 2>/dev/null
  done
done
for f in "$tmp/end"/*.pcapng; do
  ts -r "$f" -Y '_ws.malformed || _ws.expert.severity >= "Warning" ||
      ip.checksum.status == "Bad" || udp.checksum.status == "Bad" ||
      tcp.checksum.status == "Bad" || icmp.checksum.status == "Bad"' >"$tmp/bad"
  if [ -s "$tmp/bad" ] || grep -qiE "error|malformed|isn't|not a" "$tmp/tshark.err"; then
    echo "FAIL: ${f##*/}:"; cat "$tmp/bad" "$tmp/tshark.err"; fail=1
  fi
done

home="$tmp/end/laptop_eth0--sw-home_p1.0.pcapng"
google="$tmp/end/www_eth0--sw-google_p2.0.pcapng"
resolver="$tmp/end/isp-dns_eth0--isp-core_dns0.0.pcapng"

# want FILE FILTER MIN WHAT: at least MIN frames of FILE match FILTER.
want() {
  local n
  n=$(ts -r "$1" -Y "$2" | wc -l)
  if [ "$n" -lt "$3" ]; then
    echo "FAIL: $4: $n frames match '$2' in ${1##*/}, want at least $3"; fail=1
  fi
}
for t in 1 2 3 5; do
  want "$home" "dhcp.option.dhcp == $t" 1 "DHCP message type $t"
done
want "$home" 'arp.opcode == 1 && arp.dst.proto_ipv4 == 192.168.0.1' 1 "laptop ARPs for its gateway"
want "$home" 'dns.flags.response == 0 && dns.qry.name == "www.google.com"' 1 "the laptop's DNS query"
want "$home" 'dns.flags.response == 1 && dns.a == 142.250.196.100' 1 "the answer reaching the laptop"
want "$resolver" 'dns.flags.response == 1 && ip.src == 198.41.0.4 && dns.count.auth_rr > 0' 1 "the root's referral"
want "$resolver" 'dns.flags.response == 1 && ip.src == 192.5.6.30 && dns.count.auth_rr > 0' 1 "the com referral"
want "$resolver" 'dns.flags.response == 1 && ip.src == 216.239.32.10 && dns.flags.authoritative == 1' 1 "google.com's answer"
want "$google" 'arp.opcode == 2 && arp.src.proto_ipv4 == 142.250.196.100' 1 "www answers ARP"
want "$google" 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == 80' 1 "the SYN at www"
want "$google" 'tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.srcport == 80' 1 "the SYN-ACK"
want "$google" 'http.request.method == "GET" && http.host == "www.google.com"' 1 "the GET at www"
want "$home" 'http.response.code == 200' 1 "the 200 at the laptop"
want "$home" 'tcp.flags.fin == 1' 2 "FINs of the close"
# NAT: the SYN leaves the laptop from a private address and reaches www from the public one.
want "$home" 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && ip.src == 192.168.0.0/24' 1 "a private source at home"
want "$google" 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && ip.src == 121.160.55.22' 1 "the public source at www"

# The page the laptop received is the page www serves.
ts -r "$home" -Y 'http.response.code == 200' -T fields -e http.file_data >"$tmp/body.hex"
python3 - "$src/examples/internet.yaml" "$tmp/body.hex" <<'EOF' || fail=1
import sys, re
text = open(sys.argv[1]).read()
m = re.search(r"body: \|\n((?: {14}.*\n)+)", text)
want = "".join(l[14:] + "\n" for l in m.group(1).rstrip("\n").split("\n"))
got_raw = open(sys.argv[2]).read().strip()
try:
    got = bytes.fromhex(got_raw.replace(":", "")).decode()
except ValueError:
    got = got_raw.encode().decode("unicode_escape")
if got != want:
    print("FAIL: body differs\n got: %r\nwant: %r" % (got[:200], want[:200]))
    sys.exit(1)
EOF

[ "$fail" -eq 0 ] && echo "journey pcaps: ${#files[@]} files decoded cleanly"
exit "$fail"
