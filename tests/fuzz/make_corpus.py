#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz harnesses (tests/fuzz/corpus/<name>/).

Input format (see fuzz_common.h): one variant byte (bit 0: router), then
records `len(2, big-endian) ctl sel body`. The checked-in seeds are the
output of this script; tests/unit/test_fuzz_regress.c replays them and
checks each reaches the code it was written for. Run from anywhere:
    python3 tests/fuzz/make_corpus.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

HOST, ROUTER, TIGHT = 0, 1, 2
F_CSUM, F_LEN, F_IF1, F_BCAST, F_ADDR = 0x08, 0x10, 0x20, 0x40, 0x80
FIX = F_CSUM | F_LEN
T_1MS, T_1S = 1, 4

# Indexes into ib_fuzz_addr().
A_US, A_PEER, A_UNKNOWN, A_BCAST = 0, 1, 2, 4
A_US1, A_PEER1, A_REMOTE = 8, 9, 10

US_MAC = bytes([2, 0, 0, 0, 0, 1])
PEER_MAC = bytes([2, 0, 0, 0, 0, 2])
BCAST_MAC = b"\xff" * 6


def ip(a):
    return bytes(int(x) for x in a.split("."))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ttl=64, ident=1, frag=0, tot_len=None):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot_len or 20 + len(payload), ident, frag, ttl,
                    proto, 0, ip(src), ip(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def udp(src, dst, sport, dport, data):
    u = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    pseudo = ip(src) + ip(dst) + struct.pack("!BBH", 0, 17, len(u))
    c = csum(pseudo + u) or 0xFFFF
    return u[:6] + struct.pack("!H", c) + u[8:]


def icmp(typ, code, rest, data):
    m = struct.pack("!BBHI", typ, code, 0, rest) + data
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


def tcp(sport, dport, seq, ack, flags, opts=b"", data=b"", win=2048, src=None, dst=None):
    """A TCP segment (RFC 9293 §3.1); with src and dst its checksum is
    filled, else the harness fixes it (F_CSUM)."""
    h = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, (20 + len(opts)) // 4 << 4, flags, win,
                    0, 0) + opts + data
    if src is None:
        return h
    pseudo = ip(src) + ip(dst) + struct.pack("!BBH", 0, 6, len(h))
    return h[:16] + struct.pack("!H", csum(pseudo + h)) + h[18:]


def ts(val, ecr=0):
    """NOP, NOP, timestamps (RFC 7323 §3.2), as Linux lays them out."""
    return bytes([1, 1, 8, 10]) + struct.pack("!II", val, ecr)


def sack(*blocks):
    """NOP, NOP, SACK (RFC 2018 §3)."""
    return bytes([1, 1, 5, 2 + 8 * len(blocks)]) + b"".join(
        struct.pack("!II", a, b) for a, b in blocks)


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sha, ip(spa), tha, ip(tpa))


def eth(dst, src, typ, payload):
    f = dst + src + struct.pack("!H", typ) + payload
    return f + b"\0" * max(0, 60 - len(f))


def rec(body, ctl=0, src=0, dst=0):
    return struct.pack("!HBB", len(body), ctl, (dst << 4) | src) + body


def seed(variant, *records):
    return bytes([variant]) + b"".join(records)


# What the stack sends at start (fuzz_common.h), as it would be quoted.
OUR_UDP = ipv4("10.0.0.1", "10.0.0.2", 17, udp("10.0.0.1", "10.0.0.2", 7, 9, b"inetbox"))
OUR_ECHO2 = ipv4("10.0.0.1", "10.0.0.3", 1, icmp(8, 0, 0x12340002, bytes(16)))

HELLO = udp("10.0.0.2", "10.0.0.1", 5000, 7, b"hello")
BIG = b"".join(bytes([i & 0xFF]) for i in range(1000))
BIG_UDP = udp("10.0.0.2", "192.168.1.1", 5000, 9, BIG)

# The tcp harness: the start state in bits 2-4 of the variant byte
# (fuzz_common.h, enum ib_fuzz_tcp_start); the peer's ISN is 1000 and the
# connections' far port 80 (active) or 40000 (passive). REL records have
# their ack and SACK edges counted from our ISN, and a zero destination
# port replaced by our port.
LISTEN, SYN_SENT, ACTIVE, PASSIVE, SYN_RCVD, FIN_WAIT_1, LAST_ACK, IN_FLIGHT = range(8)
REL = F_CSUM | F_LEN
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
SYN_OPTS = struct.pack("!BBH", 2, 4, 1460) + bytes([4, 2, 8, 10]) + struct.pack(
    "!II", 1, 0) + bytes([1, 3, 3, 7])


def tseed(start, *records):
    return seed(start << 2, *records)


def trec(seg, ctl=REL):
    return rec(seg, ctl, A_PEER, A_US)


ESTAB = 1001  # the peer's next sequence number once synchronized

SEEDS = {
    "eth": {
        "arp_request": seed(HOST, rec(eth(BCAST_MAC, bytes([2, 0, 0, 0, 0, 5]), 0x0806,
                                          arp(1, bytes([2, 0, 0, 0, 0, 5]), "10.0.0.5",
                                              bytes(6), "10.0.0.1")))),
        "ping": seed(HOST, rec(eth(US_MAC, PEER_MAC, 0x0800,
                                   ipv4("10.0.0.2", "10.0.0.1", 1,
                                        icmp(8, 0, 0x00990001, b"0123456789abcdef"))))),
        "udp_echo": seed(HOST, rec(eth(US_MAC, PEER_MAC, 0x0800,
                                       ipv4("10.0.0.2", "10.0.0.1", 17, HELLO)))),
        "runt": seed(HOST, rec(US_MAC + PEER_MAC)),
        "router_forward": seed(ROUTER, rec(eth(US_MAC, PEER_MAC, 0x0800,
                                               ipv4("10.0.0.2", "192.168.1.1", 1,
                                                    icmp(8, 0, 0x00990001, b"ping"))))),
    },
    "arp": {
        "request": seed(HOST, rec(arp(1, bytes([2, 0, 0, 0, 0, 5]), "10.0.0.5", bytes(6),
                                      "10.0.0.1"), F_BCAST)),
        "reply_resolves": seed(HOST, rec(arp(2, bytes([2, 0, 0, 0, 0, 3]), "10.0.0.3", US_MAC,
                                             "10.0.0.1"), T_1MS)),
        "gratuitous": seed(HOST, rec(arp(1, bytes([2, 0, 0, 0, 0, 7]), "10.0.0.7", bytes(6),
                                         "10.0.0.7"), F_BCAST)),
        "router_request_eth1": seed(ROUTER, rec(arp(1, bytes([2, 0, 0, 0, 1, 5]), "10.0.1.5",
                                                    bytes(6), "10.0.1.1"), F_BCAST | F_IF1)),
    },
    "ipv4": {
        # A 24-byte UDP datagram to the echo port in two fragments of 16
        # and 8 bytes (RFC 791: offsets in 8-byte units).
        "frag_pair": seed(HOST,
                          rec(ipv4("10.0.0.2", "10.0.0.1", 17,
                                   udp("10.0.0.2", "10.0.0.1", 5000, 7, b"0123456789abcdef")[:16],
                                   ident=7, frag=0x2000), FIX),
                          rec(ipv4("10.0.0.2", "10.0.0.1", 17,
                                   udp("10.0.0.2", "10.0.0.1", 5000, 7, b"0123456789abcdef")[16:],
                                   ident=7, frag=2), FIX | T_1MS)),
        "frag_reverse": seed(HOST,
                             rec(ipv4("10.0.0.2", "10.0.0.1", 17,
                                      udp("10.0.0.2", "10.0.0.1", 5000, 7,
                                          b"0123456789abcdef")[16:], ident=8, frag=2), FIX),
                             rec(ipv4("10.0.0.2", "10.0.0.1", 17,
                                      udp("10.0.0.2", "10.0.0.1", 5000, 7,
                                          b"0123456789abcdef")[:16], ident=8, frag=0x2000),
                                 FIX | T_1S)),
        "frag_timeout": seed(HOST, rec(ipv4("10.0.0.2", "10.0.0.1", 17, HELLO[:8], ident=9,
                                            frag=0x2000), FIX)),
        # Tight limits: at most 4 fragments per datagram, 3 datagrams.
        "tight_too_many_frags": seed(TIGHT, *[
            rec(ipv4("10.0.0.2", "10.0.0.1", 17, bytes(8), ident=20, frag=0x2000 | i), FIX)
            for i in range(5)]),
        "tight_no_space": seed(TIGHT, *[
            rec(ipv4("10.0.0.2", "10.0.0.1", 17, bytes(8), ident=30 + i, frag=0x2000), FIX)
            for i in range(4)]),
        "bad_proto": seed(HOST, rec(ipv4("10.0.0.2", "10.0.0.1", 99, b"what is this?"), FIX)),
        "router_fragment": seed(ROUTER, rec(ipv4("10.0.0.2", "192.168.1.1", 17, BIG_UDP), FIX)),
        "router_df": seed(ROUTER, rec(ipv4("10.0.0.2", "192.168.1.1", 17, BIG_UDP, frag=0x4000),
                                      FIX)),
        "router_ttl1": seed(ROUTER, rec(ipv4("10.0.0.2", "192.168.1.1", 17, HELLO, ttl=1), FIX)),
    },
    "icmp": {
        "echo_request": seed(HOST, rec(icmp(8, 0, 0x00420001, b"abcdefgh"), F_CSUM, A_PEER,
                                       A_US)),
        "echo_reply": seed(HOST, rec(icmp(0, 0, 0x12340001, bytes(16)), F_CSUM | T_1MS, A_PEER,
                                     A_US)),
        "unreach_port": seed(HOST, rec(icmp(3, 3, 0, OUR_UDP[:28]), F_CSUM, A_PEER, A_US)),
        "time_exceeded_echo": seed(HOST, rec(icmp(11, 0, 0, OUR_ECHO2[:28]), F_CSUM, A_PEER,
                                             A_US)),
        "router_echo": seed(ROUTER, rec(icmp(8, 0, 0x00420001, b"abcdefgh"), F_CSUM, A_PEER,
                                        A_REMOTE)),
    },
    "udp": {
        "echo": seed(HOST, rec(struct.pack("!HHHH", 5000, 7, 13, 0) + b"hello", FIX, A_PEER,
                               A_US)),
        "no_listener": seed(HOST, rec(struct.pack("!HHHH", 5000, 9, 13, 0) + b"hello", FIX,
                                      A_PEER, A_US)),
        "bcast_no_listener": seed(HOST, rec(struct.pack("!HHHH", 5000, 9, 13, 0) + b"hello",
                                            FIX | F_BCAST, A_PEER, A_BCAST)),
        "zero_csum": seed(HOST, rec(struct.pack("!HHHH", 5000, 7, 13, 0) + b"hello", F_LEN,
                                    A_PEER, A_US)),
        "router_echo_eth1": seed(ROUTER, rec(struct.pack("!HHHH", 5000, 7, 13, 0) + b"hello",
                                             FIX | F_IF1, A_PEER1, A_US1)),
    },
    "tcp": {
        "listen_syn": tseed(LISTEN, trec(tcp(40001, 80, 5000, 0, SYN, SYN_OPTS), F_CSUM)),
        "no_listener_rst": tseed(LISTEN, trec(tcp(40001, 81, 5000, 0, SYN, SYN_OPTS), F_CSUM)),
        "handshake_data": tseed(LISTEN,
                                trec(tcp(40001, 80, 5000, 0, SYN, SYN_OPTS), F_CSUM),
                                trec(tcp(40001, 80, 5001, 1, ACK, ts(2, 0))),
                                trec(tcp(40001, 80, 5001, 1, PSH | ACK, ts(3, 0), b"hello"))),
        "active_synack": tseed(SYN_SENT, trec(tcp(80, 0, 1000, 1, SYN | ACK, SYN_OPTS))),
        "estab_data": tseed(ACTIVE, trec(tcp(80, 0, ESTAB, 1, PSH | ACK, ts(1001), b"hello"))),
        "estab_rst": tseed(ACTIVE, trec(tcp(80, 0, ESTAB, 0, RST))),
        "estab_bad_csum": tseed(ACTIVE, trec(tcp(80, 0, ESTAB, 1, ACK, ts(1001), b"x"),
                                             F_LEN)),
        "estab_bad_options": tseed(ACTIVE, trec(tcp(80, 0, ESTAB, 1, ACK,
                                                    bytes([1, 1, 8, 0])))),
        "truncated": tseed(ACTIVE, trec(tcp(80, 0, ESTAB, 1, ACK)[:12])),
        "peer_fin": tseed(ACTIVE, trec(tcp(80, 0, ESTAB, 1, FIN | ACK, ts(1001)))),
        "passive_data_fin": tseed(PASSIVE,
                                  trec(tcp(40000, 80, ESTAB, 1, PSH | ACK, ts(1001), b"data")),
                                  trec(tcp(40000, 80, ESTAB + 4, 1, FIN | ACK, ts(1002)),
                                       REL | T_1MS)),
        "syn_rcvd_rst": tseed(SYN_RCVD, trec(tcp(40000, 80, ESTAB, 0, RST))),
        "fin_wait_1_acked": tseed(FIN_WAIT_1,
                                  trec(tcp(80, 0, ESTAB, 2, ACK, ts(1001))),
                                  trec(tcp(80, 0, ESTAB, 2, FIN | ACK, ts(1002)))),
        "last_ack_acked": tseed(LAST_ACK, trec(tcp(80, 0, ESTAB + 1, 2, ACK, ts(1001)))),
        "in_flight_sack": tseed(IN_FLIGHT, *[
            trec(tcp(80, 0, ESTAB, 1, ACK, ts(1001 + i) + sack((1449, 1449 + 1448 * (i + 1)))))
            for i in range(3)]),
        "in_flight_rto": tseed(IN_FLIGHT, trec(tcp(80, 0, ESTAB, 1449, ACK, ts(1001)),
                                               REL | T_1S)),
    },
}

# A stub's query for www.google.com A (RD), and the answer to it, its
# owner a compression pointer to the question (RFC 1035 §4.1.4).
DNS_QUESTION = b"\3www\6google\3com\0" + struct.pack("!HH", 1, 1)
DNS_QUERY = struct.pack("!6H", 0x1234, 0x0100, 1, 0, 0, 0) + DNS_QUESTION
DNS_ANSWER = (struct.pack("!6H", 0x1234, 0x8580, 1, 1, 0, 0) + DNS_QUESTION +
              struct.pack("!HHHIH", 0xC00C, 1, 1, 300, 4) + ip("142.250.196.100"))
# DHCPDISCOVER from 02:00:00:00:00:02, broadcast flag set, padded to the
# BOOTP minimum of 300 bytes (RFC 1542 §2.1).
DHCP_DISCOVER = (struct.pack("!BBBBIHH", 1, 1, 6, 0, 0x3903F326, 0, 0x8000) + bytes(16) +
                 PEER_MAC + bytes(10) + bytes(192) + bytes([99, 130, 83, 99, 53, 1, 1, 255]))
DHCP_DISCOVER += bytes(300 - len(DHCP_DISCOVER))

# The tcpdump decoder's seeds: whole frames (the harness also reads each
# as a datagram behind a fixed Ethernet header).
TCPDUMP = {
    "arp_request": eth(BCAST_MAC, PEER_MAC, 0x0806,
                       arp(1, PEER_MAC, "10.0.0.2", bytes(6), "10.0.0.1")),
    "ping": eth(US_MAC, PEER_MAC, 0x0800,
                ipv4("10.0.0.2", "10.0.0.1", 1, icmp(8, 0, 0x00990001, b"0123456789abcdef"))),
    "udp": eth(US_MAC, PEER_MAC, 0x0800, ipv4("10.0.0.2", "10.0.0.1", 17, HELLO)),
    "port_unreach": eth(PEER_MAC, US_MAC, 0x0800,
                        ipv4("10.0.0.1", "10.0.0.2", 1, icmp(3, 3, 0, OUR_UDP[:28]))),
    "fragment": eth(US_MAC, PEER_MAC, 0x0800,
                    ipv4("10.0.0.2", "10.0.0.1", 17, HELLO[:8], ident=9, frag=0x2000)),
    "tcp_syn": eth(US_MAC, PEER_MAC, 0x0800,
                   ipv4("10.0.0.2", "10.0.0.1", 6,
                        tcp(40000, 80, 5000, 0, SYN, SYN_OPTS, win=65535, src="10.0.0.2",
                            dst="10.0.0.1"))),
    "tcp_sack": eth(US_MAC, PEER_MAC, 0x0800,
                    ipv4("10.0.0.2", "10.0.0.1", 6,
                         tcp(40000, 80, 5001, 1, ACK, ts(2, 1) + sack((1449, 2897), (4345, 5793)),
                             src="10.0.0.2", dst="10.0.0.1"))),
    "tcp_data_bad_csum": eth(US_MAC, PEER_MAC, 0x0800,
                             ipv4("10.0.0.2", "10.0.0.1", 6,
                                  tcp(40000, 80, 5001, 1, PSH | ACK, ts(3, 1), b"hello"))),
    # Application payloads (RFC 1035 §4.1, RFC 2131 §2, RFC 9112 §3)
    "dns_query": eth(US_MAC, PEER_MAC, 0x0800,
                     ipv4("10.0.0.2", "10.0.0.1", 17, udp("10.0.0.2", "10.0.0.1", 49152, 53,
                                                          DNS_QUERY))),
    "dns_answer": eth(PEER_MAC, US_MAC, 0x0800,
                      ipv4("10.0.0.1", "10.0.0.2", 17, udp("10.0.0.1", "10.0.0.2", 53, 49152,
                                                           DNS_ANSWER))),
    "dhcp_discover": eth(BCAST_MAC, PEER_MAC, 0x0800,
                         ipv4("0.0.0.0", "255.255.255.255", 17,
                              udp("0.0.0.0", "255.255.255.255", 68, 67, DHCP_DISCOVER))),
    "http_get": eth(US_MAC, PEER_MAC, 0x0800,
                    ipv4("10.0.0.2", "10.0.0.1", 6,
                         tcp(40000, 80, 5001, 1, PSH | ACK, ts(3, 1),
                             b"GET / HTTP/1.1\r\nHost: www.google.com\r\n\r\n",
                             src="10.0.0.2", dst="10.0.0.1"))),
}

for fname, data in TCPDUMP.items():
    d = os.path.join(HERE, "corpus", "tcpdump")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, fname), "wb") as f:
        f.write(data)

for name, files in SEEDS.items():
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    for fname, data in files.items():
        with open(os.path.join(d, fname), "wb") as f:
            f.write(data)
