#!/usr/bin/env bash
# Linux -> inetbox over DNS: BIND's dig asks `inetbox live --dns-zone` on a
# TAP device in a namespace of its own.
#   - A and NS answers, authoritative (aa), with the NS addresses as glue
#   - NXDOMAIN with the zone's SOA (RFC 2308 §3), REFUSED outside the zone
#   - 40 A records under a 512-byte UDP limit: the UDP answer has TC set
#     (RFC 2181 §9), dig retries over TCP on its own (RFC 7766 §5) and gets
#     all 40; +tcp gets them too, and two queries on one kept-open TCP
#     connection are both answered (RFC 7766 §6.2.1)
# Usage: live_dig.sh INETBOX BUILD_DIR (exit 77: cannot run here)
set -u
. "$(dirname "$0")/netns_lib.sh"
ib_init dig "$1" "${2:-}"
ib_need dig

zone=$tmp/ibtest.zone
{
  echo '$ORIGIN ibtest.'
  echo '$TTL 300'
  echo '@ IN SOA ns1 hostmaster 2026112601 3600 600 86400 60'
  echo '  IN NS ns1'
  echo '  IN NS ns2'
  echo 'ns1 IN A 10.99.0.2'
  echo 'ns2 IN A 10.99.0.3'
  echo 'www IN A 10.99.0.80'
  for i in $(seq 1 40); do
    echo "many IN A 10.99.1.$i"
  done
} >"$zone"
seq 1 40 | sed 's/^/10.99.1./' | sort >"$tmp/many.want"

ib_ns_add h
ib_live_start "$ns" --tap ibt0 --host-addr 10.99.0.1/24 --addr 10.99.0.2/24 \
  --dns-zone "$zone" --dns-origin ibtest. --quiet || ib_done
indig() {
  ip netns exec "$ns" timeout 20 dig @10.99.0.2 +time=2 +tries=2 "$@" 2>&1
}

# want WHAT OUTPUT PATTERN...: every extended regular expression must match.
want() {
  local what=$1 out=$2 p
  shift 2
  for p in "$@"; do
    grep -Eq -- "$p" <<<"$out" || {
      ib_fail "$what: no match for /$p/ in:"
      sed 's/^/    /' <<<"$out" | head -n 30
      return 1
    }
  done
  ib_note "$what: ok"
}

out=$(indig www.ibtest A +norec)
want "A www.ibtest" "$out" 'status: NOERROR' 'flags: qr aa' \
  '^www\.ibtest\.[[:space:]]+300[[:space:]]+IN[[:space:]]+A[[:space:]]+10\.99\.0\.80$'

out=$(indig ibtest NS)
want "NS ibtest" "$out" 'status: NOERROR' 'flags: qr aa' 'ANSWER: 2,' \
  '^ibtest\.[[:space:]]+300[[:space:]]+IN[[:space:]]+NS[[:space:]]+ns1\.ibtest\.$' \
  '^ibtest\.[[:space:]]+300[[:space:]]+IN[[:space:]]+NS[[:space:]]+ns2\.ibtest\.$' \
  '^ns2\.ibtest\.[[:space:]]+300[[:space:]]+IN[[:space:]]+A[[:space:]]+10\.99\.0\.3$'

out=$(indig nope.ibtest A)
want "NXDOMAIN nope.ibtest" "$out" 'status: NXDOMAIN' 'flags: qr aa' 'ANSWER: 0,' \
  '^ibtest\.[[:space:]]+60[[:space:]]+IN[[:space:]]+SOA[[:space:]]+ns1\.ibtest\. hostmaster\.ibtest\. 2026112601 '

out=$(indig www.example.com A)
want "outside the zone" "$out" 'status: REFUSED'

# The UDP answer alone, as dig received it: TC set, the answer cut.
out=$(indig many.ibtest A +bufsize=512 +ignore)
want "40 A records over UDP, 512 bytes, +ignore" "$out" 'flags: qr aa tc' 'MSG SIZE  rcvd: '
size=$(sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p' <<<"$out")
[ "${size:-9999}" -le 512 ] || ib_fail "the truncated UDP answer has ${size:-no} bytes, more than 512"

# dig's own retry over TCP, without EDNS and with a 512-byte EDNS size.
for opt in +noedns +bufsize=512; do
  out=$(indig many.ibtest A $opt)
  want "40 A records, $opt" "$out" 'Truncated, retrying in TCP mode' 'ANSWER: 40,' '\(TCP\)'
  grep -E '^many\.ibtest\..*IN[[:space:]]+A' <<<"$out" | awk '{print $5}' | sort |
    cmp -s - "$tmp/many.want" || ib_fail "$opt: the 40 addresses are not the zone's"
done

out=$(indig many.ibtest A +tcp)
want "40 A records, +tcp" "$out" 'ANSWER: 40,' '\(TCP\)'
ip netns exec "$ns" timeout 20 dig @10.99.0.2 +short +tcp many.ibtest A 2>&1 | sort |
  cmp -s - "$tmp/many.want" || ib_fail "+tcp +short: the 40 addresses are not the zone's"

out=$(indig +tcp +keepopen www.ibtest A ns1.ibtest A)
want "two queries on one TCP connection" "$out" '10\.99\.0\.80$' \
  '^ns1\.ibtest\.[[:space:]]+300[[:space:]]+IN[[:space:]]+A[[:space:]]+10\.99\.0\.2$'

ib_live_stop
ib_done
