/* The story in English. Lines start after the node column, so most of them
 * leave out their subject: "sends ..." is said by the node beside it. */
#include "story_int.h"

#include "inetbox/tcp.h"

const struct story_text ib_story_text_en = {
    .title = "The journey of {s0}, as seen from {node}",
    .heading = "Step {n0} · {s0}",
    .note = "note:",
    .unrecorded = "({s0} more events were not recorded: the story may be incomplete.)",
    .unit_s = " s",
    .unit_ms = " ms",
    .steps =
        {
            [IB_STEP_DHCP] = "{node} gets an address from DHCP",
            [IB_STEP_DNS] = "The browser needs an IP address: DNS",
            [IB_STEP_BUILD] = "The packet is built, layer by layer",
            [IB_STEP_ARP_GATEWAY] = "ARP: the gateway's MAC address",
            [IB_STEP_NAT] = "NAT: a private address goes out as a public one",
            [IB_STEP_ROUTING] = "Hop by hop: routing",
            [IB_STEP_ARP_LAST_HOP] = "ARP again, on the server's LAN",
            [IB_STEP_HANDSHAKE] = "The TCP 3-way handshake",
            [IB_STEP_SERVER] = "The server: IP to the host, port to the process, then HTTP",
            [IB_STEP_CLOSE] = "Closing: the 4-way close and TIME_WAIT",
        },
    .what =
        {
            [IB_SW_DHCP_DISCOVER_TX] =
                "has no address yet, so it broadcasts a DHCPDISCOVER from 0.0.0.0 to "
                "255.255.255.255: \"is there a DHCP server?\" (xid {x0}, MAC {m0}).",
            [IB_SW_DHCP_DISCOVER_RX] =
                "The DHCP server hears the DHCPDISCOVER from {m0} (xid {x0}).",
            [IB_SW_DHCP_OFFER_TX] =
                "offers {a0}/{b1} (DHCPOFFER): router {a3}, DNS server {a2}, lease {n1} s.",
            [IB_SW_DHCP_OFFER_RX] = "receives the offer of {a0} from server {a1} (DHCPOFFER).",
            [IB_SW_DHCP_REQUEST_TX] =
                "asks server {a1} for {a0} (DHCPREQUEST). It is still a broadcast, so any other "
                "server learns that its offer was not taken.",
            [IB_SW_DHCP_REQUEST_RX] = "receives the DHCPREQUEST for {a0} (xid {x0}).",
            [IB_SW_DHCP_ACK_TX] =
                "confirms with a DHCPACK: {a0}/{b1}, router {a3}, DNS server {a2}, lease {n1} s.",
            [IB_SW_DHCP_ACK_RX] = "receives the DHCPACK from server {a1}.",
            [IB_SW_DHCP_OTHER_TX] = "sends a {dm} (xid {x0}).",
            [IB_SW_DHCP_OTHER_RX] = "receives a {dm} (xid {x0}).",
            [IB_SW_DHCP_BOUND] = "configures {a0}/{b1} on {s0}: default gateway {a3}, DNS server "
                                 "{a2}. The lease lasts {n1} s.",
            [IB_SW_DHCP_LOST] = "loses its lease on {a0}.",
            [IB_SW_FETCH_START] =
                "The browser is asked for {s0}. IP cannot send to a name, so first it must learn "
                "the address of {s1}: a DNS lookup.",
            [IB_SW_DNS_STUB_QUERY_DHCP] =
                "asks its DNS server {a0}, the one the DHCP lease named: \"the {qt} record of "
                "{s0}?\" (id {n0}, recursion desired).",
            [IB_SW_DNS_STUB_QUERY] = "asks its DNS server {a0}: \"the {qt} record of {s0}?\" (id "
                                     "{n0}, recursion desired).",
            [IB_SW_DNS_QUERY_TX] = "asks {a0}: \"the {qt} record of {s0}?\" (id {n0}).",
            [IB_SW_DNS_QUERY_RX] = "receives the question \"{qt} {s0}?\" from {a0} (id {n0}).",
            [IB_SW_DNS_CACHE_HIT] = "finds {s0} in its cache: there is no need to ask anyone.",
            [IB_SW_DNS_CACHE_REFERRAL] = "knows from its cache who serves {s1}: {s2} at {a1}. It "
                                         "starts there.",
            [IB_SW_DNS_ANSWER_TX] = "answers {a0}: {s0} is {a1} (TTL {n1} s).",
            [IB_SW_DNS_REFERRAL_TX] =
                "does not know {s0}, but refers {a0} to the servers of {s1}: {s2} at {a1}.",
            [IB_SW_DNS_OTHER_TX] = "answers {a0} about {s0}: {s1}.",
            [IB_SW_DNS_ANSWER_RX] = "gets the answer from {a0}: {s0} is {a1} (TTL {n1} s).",
            [IB_SW_DNS_REFERRAL_RX] =
                "gets a referral from {a0}: ask the servers of {s1}, such as {s2} at {a1}.",
            [IB_SW_DNS_OTHER_RX] = "gets {s1} from {a0} about {s0}.",
            [IB_SW_DNS_RESOLVER_DONE] = "has found the answer for {s0}: {a1}.",
            [IB_SW_DNS_RESOLVED] = "now knows that {s0} is {a1} (and may remember it for {n1} s). "
                                   "The browser can connect.",
            [IB_SW_DNS_FAILED] = "could not resolve {s0}: {s1}.",
            [IB_SW_DNS_CHAIN] = "The chain of referrals: {s0}.",
            [IB_SW_BUILD_HTTP] =
                "HTTP writes the request as text: \"{s0}\", Host: {s1} ({n0} bytes).",
            [IB_SW_BUILD_TCP] =
                "TCP puts it in a segment: source port {p0} (picked for this connection), "
                "destination port {p1} (the web server's), seq {n0}, ack {n1}, flags {fl}.",
            [IB_SW_BUILD_IP] = "IP puts the segment in a datagram: from {a0} to {a1}, TTL {n0}, "
                               "protocol {n1} (TCP).",
            [IB_SW_BUILD_ETH] = "Ethernet puts the datagram in a frame: from MAC {m0} to MAC "
                                "{m1}, type 0x0800 (IPv4).",
            [IB_SW_BUILD_WIRE] = "On the wire the headers come first: {n0} bytes of Ethernet, "
                                 "{n1} of IP, {n2} of TCP, then {n3} bytes of HTTP; {n4} bytes in "
                                 "all.",
            [IB_SW_BUILD_PICTURE] = "The frame, each header wrapped around the next:",
            [IB_SW_ARP_QUEUE] =
                "does not know the MAC address of {a0} yet: the datagram waits while ARP asks.",
            [IB_SW_ARP_REQUEST] = "broadcasts an ARP request to everyone on the LAN "
                                  "(ff:ff:ff:ff:ff:ff): \"who has {a0}? Tell {a1}.\"",
            [IB_SW_ARP_REPLY] = "answers {a1} alone: \"{a0} is at {m0}\" (ARP reply, unicast).",
            [IB_SW_ARP_LEARN] = "stores {a0} -> {m0} in its ARP cache.",
            [IB_SW_ARP_LEARN_ASKER] =
                "also notes the asker from the request: {a0} -> {m0} (RFC 826).",
            [IB_SW_NAT_MAP] = "creates a NAT mapping: inside {a0}:{p0} <-> public {a1}:{p1}, for "
                              "talking to {a2}:{p2}.",
            [IB_SW_NAT_OUT] = "rewrites the source of the outgoing datagram: {a0}:{p0} -> "
                              "{a1}:{p1} (and fixes the IP and TCP checksums).",
            [IB_SW_NAT_IN] = "rewrites the destination of the reply back: {a1}:{p1} -> {a0}:{p0}, "
                             "so that it can enter the home LAN.",
            [IB_SW_NAT_EXPIRE] =
                "removes the mapping {a1}:{p1} -> {a0}:{p0}: the connection is over.",
            [IB_SW_ROUTE_SEND] =
                "sends the SYN: {a0} -> {a1}, TTL {n0}. The destination is not on its own "
                "network, so the frame goes out of {s0} to the default gateway {a2}.",
            [IB_SW_ROUTE_SEND_DIRECT] =
                "sends the SYN: {a0} -> {a1}, TTL {n0}. The destination is on its own network, "
                "so the frame goes straight to it out of {s0}.",
            [IB_SW_ROUTE_HOP] = "forwards it (in on {s1}): route {a0}/{b0} is the longest match, "
                                "next hop {a1} out of {s0}. TTL is now {n0}.",
            [IB_SW_ROUTE_HOP_DEFAULT] =
                "forwards it (in on {s1}): no more specific route matches, so it takes the "
                "default route 0.0.0.0/0: next hop {a1} out of {s0}. TTL is now {n0}.",
            [IB_SW_ROUTE_HOP_DIRECT] =
                "forwards it (in on {s1}): {a0}/{b0} is directly connected on {s0}, so it "
                "delivers to {a1} itself. TTL is now {n0}.",
            [IB_SW_ROUTE_ARRIVE] = "receives it on {s0}: {a0} is its own address. Routers on the "
                                   "way: {n0}; TTL went from {n1} to {n2}.",
            [IB_SW_ROUTE_DROP] = "drops it: {s0} ({s1}).",
            [IB_SW_TCP_CONNECT] =
                "opens a TCP connection {a0}:{p0} -> {a1}:{p1}: CLOSED -> SYN_SENT. It sends a "
                "SYN with its initial sequence number, seq {n0}.",
            [IB_SW_TCP_LISTEN_SYN] =
                "gets the SYN from {a1}:{p1} (seq {n0}): LISTEN -> SYN_RECEIVED. It answers with "
                "SYN, ACK: ack {n2} ({n0} + 1) and its own initial sequence number.",
            [IB_SW_TCP_CLIENT_ESTABLISHED] =
                "gets {fl} (seq {n0}, ack {n1}): its SYN is acknowledged. SYN_SENT -> "
                "ESTABLISHED. It answers with an ACK, ack {n2}.",
            [IB_SW_TCP_SERVER_ESTABLISHED] =
                "gets the ACK (seq {n0}, ack {n1}): its SYN is acknowledged too. SYN_RECEIVED -> "
                "ESTABLISHED. Both sides can now send data.",
            [IB_SW_TCP_FIN_WAIT_1] =
                "has nothing more to send and closes its side: it sends a FIN. ESTABLISHED -> "
                "FIN_WAIT_1.",
            [IB_SW_TCP_FIN_WAIT_2] = "gets the ACK of its FIN (ack {n1}): FIN_WAIT_1 -> "
                                     "FIN_WAIT_2. Now it waits for the other side's FIN.",
            [IB_SW_TCP_CLOSE_WAIT] =
                "gets a FIN (seq {n0}): the other side will send nothing more. It ACKs it: "
                "ESTABLISHED -> CLOSE_WAIT, until its own application closes too.",
            [IB_SW_TCP_LAST_ACK] =
                "closes its side as well and sends its own FIN: CLOSE_WAIT -> LAST_ACK.",
            [IB_SW_TCP_CLOSING] = "gets a FIN while its own FIN is not yet acknowledged (both "
                                  "sides closed at once): FIN_WAIT_1 -> CLOSING.",
            [IB_SW_TCP_TIME_WAIT] =
                "gets the other side's FIN (seq {n0}) and ACKs it: {st0} -> TIME_WAIT. It waits "
                "2*MSL before forgetting the connection.",
            [IB_SW_TCP_LAST_ACK_CLOSED] =
                "gets the ACK of its FIN: LAST_ACK -> CLOSED. This side is finished.",
            [IB_SW_TCP_TIME_WAIT_CLOSED] = "The 2*MSL timer expires after {dt}: TIME_WAIT -> "
                                           "CLOSED. The connection is gone.",
            [IB_SW_TCP_TIME_WAIT_LEFT] = "is still in TIME_WAIT when the story ends; it leaves "
                                         "2*MSL after entering it.",
            [IB_SW_TCP_STATE_SEGMENT] = "{st0} -> {st1} on a segment {fl} (seq {n0}, ack {n1}).",
            [IB_SW_TCP_STATE_OTHER] = "{st0} -> {st1} ({cause}).",
            [IB_SW_SERVER_IP_RX] =
                "IP: the datagram from {a1} is for {a0}, this host's own address, so it is "
                "delivered here, not forwarded. Protocol {n0} means TCP.",
            [IB_SW_SERVER_PORT] =
                "TCP: destination port {p0} has a listening socket, the web server process. The "
                "connection from {a0}:{p1} is handed to it.",
            [IB_SW_HTTP_REQUEST_TX] =
                "The browser hands its request to TCP: {s0} {s1} for host {s2}, to {a0}:{p0}.",
            [IB_SW_HTTP_REQUEST_RX] = "HTTP reads the request: {s0} {s1}, Host: {s2}.",
            [IB_SW_HTTP_RESPONSE_TX] = "The web server answers {n0} {s0} with {n1} bytes of "
                                       "body; TCP carries it back the same way.",
            [IB_SW_HTTP_RESPONSE_RX] = "The browser receives {n0} {s0}: {n1} bytes of body.",
            [IB_SW_FETCH_DONE] =
                "The fetch of {s0} is complete: {n0} {s1}, {n1} bytes, {dt} after it began.",
            [IB_SW_FETCH_FAILED] = "The fetch of {s0} failed: {err}.",
            [IB_SW_NOTE_DHCP] =
                "DHCP takes four messages, DORA: Discover, Offer, Request, Ack (RFC 2131 §3.1). "
                "A client without an address sends from 0.0.0.0 to the broadcast address, and "
                "the lease tells it all it needs: address and mask, gateway, DNS server.",
            [IB_SW_NOTE_DNS] =
                "No server knows every name. The root servers (\".\") know who serves each "
                "top-level domain such as com, those know who serves each domain below them, and "
                "only a domain's own servers know its hosts. The resolver follows the referrals "
                "one by one (iterative queries); the client's stub asks it a single recursive "
                "question and gets the final answer (RFC 1034 §4.3.1).",
            [IB_SW_NOTE_BUILD_MAC] =
                "The destination MAC {m0} belongs to the gateway {a0}, not to the server: a frame "
                "only crosses one link. The IP addresses stay the same all the way (unless NAT "
                "rewrites them); the MAC addresses change at every hop.",
            [IB_SW_NOTE_ENCAP] =
                "Encapsulation: going down the layers, each one puts its own header in front of "
                "what it got from the layer above. The receiver takes them off in reverse order, "
                "each layer reading only its own header.",
            [IB_SW_NOTE_ARP] =
                "IP addresses say where a datagram is going; MAC addresses say which interface "
                "on this link takes the frame next. ARP (RFC 826) finds one from the other, and "
                "the answer is cached, so the next datagrams go at once.",
            [IB_SW_NOTE_ARP_EARLIER] =
                "This ARP exchange happened at {t2}, before the web connection began: the MAC of "
                "{a0} was already in the cache, so the SYN went out at once.",
            [IB_SW_NOTE_ARP_DURING_DNS] =
                "This ARP exchange happened at {t2}, during the DNS lookup: the query to the DNS "
                "server went through the gateway {a0} first. The cache kept the answer, so the "
                "SYN went out at once.",
            [IB_SW_NOTE_PRIVATE] =
                "{a0} is a private address (RFC 1918: 10/8, 172.16/12, 192.168/16). Every home "
                "may use the same ones, so the internet cannot route to them. The router's one "
                "public address, {a1}, stands in for the whole home; the port tells the router "
                "which inside connection a reply belongs to.",
            [IB_SW_NOTE_NAT_COUNT] = "The same rewrite was done to every datagram of this "
                                     "connection: {n0} going out, {n1} coming in.",
            [IB_SW_NOTE_ROUTING] =
                "Forwarding is one hop: a router looks the destination up in its own table, takes "
                "the longest matching prefix (RFC 1812 §5.2.4.3) and passes the datagram on. "
                "Routing is all of them together (routers on this path: {n0}), and no router "
                "knows the whole path.",
            [IB_SW_NOTE_ARP_LAST] =
                "The last router needs the server's MAC, so it does the same ARP as the client "
                "did at home, now on the server's LAN. Each link has its own MAC addresses; the IP "
                "addresses travel end to end.",
            [IB_SW_NOTE_ARP_LAST_EARLIER] =
                "{node} had resolved {a0} earlier, at {t2}, and its cache still held the answer.",
            [IB_SW_NOTE_HANDSHAKE] =
                "Each side picks its own initial sequence number (RFC 9293 §3.4.1) and the other "
                "acknowledges it with that number + 1, because a SYN takes one sequence number. "
                "After SYN, SYN-ACK and ACK both sides know where the other's bytes start.",
            [IB_SW_NOTE_DEMUX] =
                "Demultiplexing: the destination IP address picked the host, the protocol number "
                "picked TCP, and the destination port picked the process. The reply goes back the "
                "same way.",
            [IB_SW_NOTE_TIME_WAIT] =
                "Why wait? The side that closes first stays in TIME_WAIT for 2*MSL (here {dt}; "
                "MSL is the maximum segment lifetime). If its last ACK is lost, the other side "
                "sends its FIN again and can still be answered; and old duplicate segments of "
                "this connection die out before the same addresses and ports are used again "
                "(RFC 9293 §3.6.1, §3.4.2).",
            [IB_SW_NOTE_TIME_WAIT_RULE] =
                "Why wait? The side that closes first stays in TIME_WAIT for 2*MSL (MSL is the "
                "maximum segment lifetime). If its last ACK is lost, the other side sends its FIN "
                "again and can still be answered; and old duplicate segments of this connection "
                "die out before the same addresses and ports are used again (RFC 9293 §3.6.1, "
                "§3.4.2).",
            [IB_SW_NO_DHCP] = "No DHCP was seen: {node} already had its address.",
            [IB_SW_NO_DNS] = "No DNS lookup for {s0} was seen: the answer may have been cached.",
            [IB_SW_NO_DNS_LITERAL] = "No DNS lookup was needed: {s0} is an IP address already.",
            [IB_SW_NO_BUILD] =
                "The frame carrying the HTTP request was not seen, so it cannot be taken apart.",
            [IB_SW_NO_ARP_GATEWAY] =
                "No ARP was needed: {node} already knew the MAC of the gateway {a0}.",
            [IB_SW_NO_NAT] = "No NAT on the way: {a0} crossed the network unchanged.",
            [IB_SW_NO_ROUTING] = "No router forwarded the SYN: the server {a0} is on the client's "
                                 "own network, or the SYN was lost.",
            [IB_SW_NO_ARP_LAST_HOP] =
                "No ARP was needed: {node} already knew the MAC address of {s0}.",
            [IB_SW_NO_LAST_HOP] =
                "No router delivered the SYN to the server's LAN, so there was no last ARP.",
            [IB_SW_NO_HANDSHAKE] =
                "No TCP connection to {a0}:{p0} was seen: the fetch never reached TCP.",
            [IB_SW_NO_SERVER] = "The server's side was not seen.",
            [IB_SW_NO_CLOSE] = "The connection was not closed before the story ended.",
            [IB_SW_NO_CONNECTION] = "Not seen: no TCP connection to {s0}:{p0} was opened.",
        },
    .causes =
        {
            [IB_TCP_CAUSE_APP_OPEN] = "the application opened it",
            [IB_TCP_CAUSE_APP_CLOSE] = "the application closed it",
            [IB_TCP_CAUSE_APP_ABORT] = "the application aborted it",
            [IB_TCP_CAUSE_SEGMENT] = "a segment",
            [IB_TCP_CAUSE_RTO] = "retransmissions gave up",
            [IB_TCP_CAUSE_TIME_WAIT] = "the 2*MSL timer",
            [IB_TCP_CAUSE_KEEPALIVE] = "keepalive probes went unanswered",
            [IB_TCP_CAUSE_ICMP] = "an ICMP error",
            [IB_TCP_CAUSE_FAST_RETRANSMIT] = "fast retransmit",
            [IB_TCP_CAUSE_PROBE] = "a window probe",
        },
    .errs = NULL,
};
