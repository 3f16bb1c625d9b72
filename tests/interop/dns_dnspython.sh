#!/usr/bin/env bash
# Our DNS codec against an independent one, dnspython (Debian's
# python3-dnspython): "ours parses theirs, theirs parses ours".
#   1. dnspython builds varied messages (queries; answers with A, NS, CNAME,
#      SOA, MX, TXT, AAAA, PTR and unknown types; referrals with glue;
#      NXDOMAIN and NODATA; 60 records; other classes, opcodes and rcodes;
#      names of 255 octets, the root, mixed case), compressed as it likes.
#      Our parser's canonical text of each (tests/tools/dns_codec_tool)
#      must be dnspython's, exactly.
#   2. Our emitter writes every message again from that text; dnspython
#      parses our bytes to the same message (names compared without case:
#      compression may share a spelling, RFC 1035 §2.3.3), and both parsers
#      read our bytes identically.
#   3. Emitted into 512 bytes (RFC 1035 §4.2.1), big messages come out
#      truncated with TC set (RFC 2181 §9); both parsers still agree.
#   4. Cut and malformed messages (pointer loops and forward pointers,
#      label type 01, bad rdlength, names over 255 octets): both refuse.
# Usage: dns_dnspython.sh INETBOX BUILD_DIR (exit 77: no python3 with dnspython)
set -u
build=$2
tool=$build/tests/tools/dns_codec_tool
[ -x "$tool" ] || { echo "FAIL: $tool not built"; exit 1; }
py=
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import dns.message, dns.rrset' 2>/dev/null; then
    py=$p
    break
  fi
done
[ -n "$py" ] || { echo "python3 with dnspython not installed (apt-get install python3-dnspython): skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

cat >"$tmp/x.py" <<'PY'
import socket
import sys

import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

TYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA", 255: "ANY"}


def tname(t):
    return TYPES.get(t, "TYPE%d" % t)


def cname(c):
    return "IN" if c == 1 else "CLASS%d" % c


def name(n):
    # the labels as they are, not dnspython's escaped presentation form
    return "".join(l.decode("latin-1") + "." for l in n.labels if l) or "."


def rdata(rd):
    t = rd.rdtype
    if t == 1:
        return rd.address
    if t == 28:
        return socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, rd.address))
    if t in (2, 5, 12):
        return name(rd.target)
    if t == 15:
        return "%d %s" % (rd.preference, name(rd.exchange))
    if t == 6:
        return "%s %s %d %d %d %d %d" % (name(rd.mname), name(rd.rname), rd.serial, rd.refresh,
                                         rd.retry, rd.expire, rd.minimum)
    if t == 16:
        return " ".join('"%s"' % s.hex() for s in rd.strings)
    w = rd.to_wire()
    return "\\# %d %s" % (len(w), w.hex()) if w else "\\# 0"


def canonical(m):
    f = m.flags
    parts = ["id=%d qr=%d opcode=%d aa=%d tc=%d rd=%d ra=%d z=%d rcode=%d" % (
        m.id, f >> 15 & 1, f >> 11 & 15, f >> 10 & 1, f >> 9 & 1, f >> 8 & 1, f >> 7 & 1,
        f >> 4 & 7, f & 15)]
    for q in m.question:
        parts.append("qd %s %s %s" % (name(q.name), cname(q.rdclass), tname(q.rdtype)))
    for sec, rrsets in (("an", m.answer), ("ns", m.authority), ("ar", m.additional)):
        for rs in rrsets:
            for rd in rs:
                parts.append("%s %s %d %s %s %s" % (sec, name(rs.name), rs.ttl, cname(rs.rdclass),
                                                    tname(rs.rdtype), rdata(rd)))
    return " ; ".join(parts)


def parse(hexline):
    try:
        wire = bytes.fromhex(hexline)
        # one RR per RRset keeps the records in wire order, as ours does
        return wire, dns.message.from_wire(wire, one_rr_per_rrset=True)
    except Exception:
        return None, None


def rr(owner, ttl, rdtype, text, rdclass="IN"):
    n = owner if isinstance(owner, dns.name.Name) else dns.name.from_text(owner)
    rs = dns.rrset.RRset(n, dns.rdataclass.from_text(rdclass), dns.rdatatype.from_text(rdtype))
    rs.add(dns.rdata.from_text(rdclass, rdtype, text), ttl)
    return rs


def msg(id, flags, questions, an=(), ns=(), ar=()):
    m = dns.message.Message(id=id)
    m.flags = flags
    for q in questions:
        n, t = q[0], q[1]
        c = q[2] if len(q) > 2 else "IN"
        n = n if isinstance(n, dns.name.Name) else dns.name.from_text(n)
        m.question.append(dns.rrset.RRset(n, dns.rdataclass.from_text(c), dns.rdatatype.from_text(t)))
    m.answer.extend(an)
    m.authority.extend(ns)
    m.additional.extend(ar)
    return m


QR, AA, TC, RD, RA, AD, CD = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080, 0x0020, 0x0010
W = "www.google.com."


def messages():
    gtld = ["%s.gtld-servers.net." % c for c in "abcdefghijklm"]
    yield msg(4660, RD, [(W, "A")])
    yield msg(4660, QR | AA | RD, [(W, "A")], an=[rr(W, 300, "A", "142.250.196.100")])
    yield msg(17, QR, [(W, "A")], ns=[rr("com.", 172800, "NS", g) for g in gtld],
              ar=[rr(g, 172800, "A", "192.%d.%d.30" % (5 + i, 6 + i)) for i, g in enumerate(gtld)])
    yield msg(18, QR, [(W, "A")], ns=[rr("google.com.", 172800, "NS", "ns%d.google.com." % i)
                                      for i in range(1, 5)],
              ar=[rr("ns1.google.com.", 172800, "A", "216.239.32.10"),
                  rr("ns1.google.com.", 172800, "AAAA", "2001:4860:4802:32::a")])
    yield msg(5, QR | RD | RA, [("www.example.com.", "A")],
              an=[rr("www.example.com.", 60, "CNAME", "web.example.com."),
                  rr("web.example.com.", 60, "CNAME", "cdn.example.net."),
                  rr("cdn.example.net.", 20, "A", "93.184.216.34"),
                  rr("cdn.example.net.", 20, "A", "93.184.216.35")])
    soa = "ns1.google.com. dns-admin.google.com. 2024010101 900 900 1800 60"
    yield msg(7, QR | AA | 3, [("nx.google.com.", "A")], ns=[rr("google.com.", 60, "SOA", soa)])
    yield msg(8, QR | AA, [(W, "AAAA")], ns=[rr("google.com.", 60, "SOA", soa)])
    yield msg(9, QR | RD | RA | AD, [("google.com.", "ANY")], an=[
        rr("google.com.", 300, "MX", "10 smtp.google.com."),
        rr("google.com.", 300, "MX", "0 ."),
        rr("google.com.", 300, "TXT", '"v=spf1 -all" "" "\\000\\255\\"quoted\\""'),
        rr("google.com.", 300, "AAAA", "::"),
        rr("google.com.", 300, "AAAA", "::1"),
        rr("google.com.", 300, "AAAA", "::ffff:1.2.3.4"),
        rr("google.com.", 300, "AAAA", "2001:db8:0:1:1:1:1:1"),
        rr("100.196.250.142.in-addr.arpa.", 300, "PTR", "www.google.com."),
        rr("google.com.", 0, "SOA", soa),
        rr("google.com.", 2147483647, "NS", "ns1.google.com."),
        rr("google.com.", 2147483647, "A", "0.0.0.0")])
    yield msg(10, QR, [("many.example.", "A")],
              an=[rr("many.example.", 5, "A", "10.0.%d.%d" % (i // 250, i % 250)) for i in range(60)])
    # dnspython compresses the names inside SRV rdata, which RFC 2782
    # forbids and which an opaque type cannot show: types without names here
    yield msg(11, QR | AA, [("example.", "CAA")], an=[
        rr("example.", 1, "CAA", '0 issue "ca.example"'),
        rr("example.", 1, "TYPE65280", "\\# 3 abcdef"),
        rr("example.", 1, "TYPE65281", "\\# 0"),
        rr("example.", 1, "SPF", '"v=spf1"')])
    yield msg(12, QR | AA, [("version.bind.", "TXT", "CH")],
              an=[rr("version.bind.", 0, "TXT", '"9.18"', "CH")])
    yield msg(0, QR | TC | 2 << 11 | 2, [(W, "A")])
    yield msg(65535, QR | RA | CD | 5, [])
    yield msg(13, RD | 0x40, [(W, "A"), ("google.com.", "MX")])
    yield msg(14, QR | AA, [("WwW.GoOgLe.CoM.", "A")], an=[rr("www.google.com.", 1, "A", "1.1.1.1"),
                                                          rr("WWW.GOOGLE.COM.", 1, "A", "1.1.1.2")])
    yield msg(15, QR | AA, [(".", "NS")], an=[rr(".", 518400, "NS", "%s.root-servers.net." % c)
                                              for c in "abc"],
              ar=[rr("a.root-servers.net.", 518400, "A", "198.41.0.4")])
    long = dns.name.Name([b"a" * 63, b"b" * 63, b"c" * 63, b"d" * 61, b""])
    odd = dns.name.Name([b"@home", b"(x)_y-z*", b'"q"', b"example", b""])
    yield msg(16, QR | AA, [(long, "A")], an=[rr(long, 1, "A", "10.9.8.7"), rr(odd, 1, "CNAME", long.to_text())])


def cuts():
    for m in messages():
        w = m.to_wire()
        for n in sorted(k for k in {1, 11, 12, 13, len(w) // 2, len(w) - 1} if k < len(w)):
            print(w[:n].hex())
    q = bytes.fromhex("123401000001000000000000")
    print((q + bytes.fromhex("c00c00010001")).hex())  # a pointer to itself
    print((q + bytes.fromhex("c01200010001") + bytes.fromhex("0161000001")).hex())  # forward
    print((q + bytes.fromhex("4161") + bytes.fromhex("0000010001")).hex())  # label type 01
    a = bytes.fromhex("123481000001000100000000") + bytes.fromhex("01610000010001")
    print((a + bytes.fromhex("c00c000100010000000a0005") + b"\1\2\3\4\5").hex())  # A, 5 bytes
    print((a + bytes.fromhex("c00c000100010000000a0003") + b"\1\2\3").hex())  # A, 3 bytes
    # a name of 256 octets, built with a pointer to 64 + 64 + 64 octets
    lab = lambda c, n: bytes([n]) + c * n
    base = lab(b"a", 63) + lab(b"b", 63) + lab(b"c", 63) + b"\0"
    long = bytes.fromhex("123401000002000000000000") + base + b"\0\1\0\1" + lab(b"d", 62) + b"\xc0\x0c\0\1\0\1"
    print(long.hex())


mode = sys.argv[1]
if mode == "gen":
    for m in messages():
        w = m.to_wire()
        print("%s\t%s" % (w.hex(), canonical(dns.message.from_wire(w, one_rr_per_rrset=True))))
elif mode == "cuts":
    cuts()
else:  # canon [MAX]: our bytes, read by dnspython
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 65535
    for line in sys.stdin:
        wire, m = parse(line.strip())
        if m is not None and len(wire) > limit:
            print("TOO LONG: %d bytes" % len(wire))
        else:
            print(canonical(m) if m is not None else "ERROR")
PY

# Prints the first lines where two files differ, and fails.
same() {
  local what=$1 a=$2 b=$3
  if ! diff -q "$a" "$b" >/dev/null; then
    echo "FAIL: $what"
    diff "$a" "$b" | head -20
    fail=1
  fi
}

"$py" "$tmp/x.py" gen >"$tmp/theirs.tsv" || { echo "FAIL: dnspython could not build the messages"; exit 1; }
cut -f1 "$tmp/theirs.tsv" >"$tmp/theirs.hex"
cut -f2 "$tmp/theirs.tsv" >"$tmp/theirs.txt"
n=$(wc -l <"$tmp/theirs.txt")

# 1. ours parses theirs
"$tool" parse <"$tmp/theirs.hex" >"$tmp/ours_of_theirs.txt" 2>"$tmp/err"
same "our parse of dnspython's messages differs from dnspython's" "$tmp/theirs.txt" "$tmp/ours_of_theirs.txt"

# 2. theirs parses ours
"$tool" emit <"$tmp/theirs.txt" >"$tmp/ours.hex" 2>"$tmp/err"
"$py" "$tmp/x.py" canon <"$tmp/ours.hex" >"$tmp/theirs_of_ours.txt"
tr 'A-Z' 'a-z' <"$tmp/theirs.txt" >"$tmp/a"
tr 'A-Z' 'a-z' <"$tmp/theirs_of_ours.txt" >"$tmp/b"
same "dnspython's parse of our messages is not the message we wrote" "$tmp/a" "$tmp/b"
"$tool" parse <"$tmp/ours.hex" >"$tmp/ours_of_ours.txt" 2>"$tmp/err"
same "the two parsers read our bytes differently" "$tmp/theirs_of_ours.txt" "$tmp/ours_of_ours.txt"
if cmp -s "$tmp/ours.hex" "$tmp/theirs.hex"; then
  echo "note: our bytes are dnspython's bytes"
fi

# 3. truncated to 512 bytes
"$tool" emit --cap 512 <"$tmp/theirs.txt" >"$tmp/ours512.hex" 2>"$tmp/err"
"$py" "$tmp/x.py" canon 512 <"$tmp/ours512.hex" >"$tmp/theirs_of_512.txt"
"$tool" parse <"$tmp/ours512.hex" >"$tmp/ours_of_512.txt" 2>"$tmp/err"
same "the parsers read our truncated messages differently" "$tmp/theirs_of_512.txt" "$tmp/ours_of_512.txt"
tc_before=$(grep -c ' tc=1 ' "$tmp/theirs.txt")
tc_after=$(grep -c ' tc=1 ' "$tmp/theirs_of_512.txt")
if [ "$tc_after" -le "$tc_before" ] || grep -q '^ERROR\|^TOO LONG' "$tmp/theirs_of_512.txt"; then
  echo "FAIL: 512-byte emission: $tc_before messages with TC before, $tc_after after"
  grep -n '^ERROR\|^TOO LONG' "$tmp/theirs_of_512.txt" | head
  fail=1
fi

# 4. what neither may accept
"$py" "$tmp/x.py" cuts >"$tmp/bad.hex"
"$py" "$tmp/x.py" canon <"$tmp/bad.hex" >"$tmp/theirs_bad.txt"
"$tool" parse <"$tmp/bad.hex" >"$tmp/ours_bad.txt" 2>"$tmp/err"
same "the parsers disagree on cut or malformed messages" "$tmp/theirs_bad.txt" "$tmp/ours_bad.txt"
if grep -qv '^ERROR$' "$tmp/ours_bad.txt"; then
  echo "FAIL: a cut or malformed message parsed"
  grep -nv '^ERROR$' "$tmp/ours_bad.txt" | head -5
  fail=1
fi

[ "$fail" -eq 0 ] && echo "ok: $n messages both ways, $tc_after truncated at 512 bytes, $(wc -l <"$tmp/bad.hex") malformed refused by both"
exit $fail
