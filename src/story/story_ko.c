/* The story in Korean. As in English the subject is the node in the column
 * beside the line, so it is left out, as Korean does naturally. Particles
 * that change with the last sound of a word (이/가, 을/를, 은/는, (으)로)
 * never follow a placeholder, since names and numbers are not known in
 * advance: the sentences use 의, 에, 에게, 에서 there, or a noun between.
 * Protocol names, message types, flags and states stay in Latin script. */
#include "story_int.h"

#include "inetbox/tcp.h"

static const char *const errs_ko[STORY_ERRS] = {
    "성공",        "메모리 부족",       "잘못된 인자",          "잘린 데이터", "체크섬 오류",
    "경로 없음",   "이미 사용 중",      "찾을 수 없음",         "버려짐",      "ARP 대기 중",
    "너무 큼",     "입출력 오류",       "상대가 연결을 리셋함", "시간 초과",   "연결 거부",
    "연결이 닫힘", "잠시 뒤 다시 시도", "도달할 수 없음",       "서버 오류",   "프로토콜 위반",
};

const struct story_text ib_story_text_ko = {
    .title = "{node}에서 본 {s0}의 여정",
    .heading = "{n0}단계 · {s0}",
    .note = "참고:",
    .unrecorded = "(이벤트 {s0}개는 기록하지 못했습니다. 이야기에 빠진 부분이 있을 수 있습니다.)",
    .unit_s = "초",
    .unit_ms = "밀리초",
    .steps =
        {
            [IB_STEP_DHCP] = "DHCP로 주소 받기",
            [IB_STEP_DNS] = "브라우저에게 IP 주소가 필요합니다: DNS",
            [IB_STEP_BUILD] = "계층마다 헤더를 붙여 패킷을 만듭니다",
            [IB_STEP_ARP_GATEWAY] = "ARP: 게이트웨이의 MAC 주소",
            [IB_STEP_NAT] = "NAT: 사설 주소가 공인 주소로 바뀌어 나갑니다",
            [IB_STEP_ROUTING] = "한 홉씩: 라우팅",
            [IB_STEP_ARP_LAST_HOP] = "서버 쪽 LAN에서 다시 ARP",
            [IB_STEP_HANDSHAKE] = "TCP 3-way 핸드셰이크",
            [IB_STEP_SERVER] = "서버: IP는 호스트로, 포트는 프로세스로, 그리고 HTTP",
            [IB_STEP_CLOSE] = "연결 종료: 4-way 종료와 TIME_WAIT",
        },
    .what =
        {
            [IB_SW_DHCP_DISCOVER_TX] =
                "아직 주소가 없어서 0.0.0.0에서 255.255.255.255로 DHCPDISCOVER를 "
                "브로드캐스트합니다: \"DHCP 서버 있나요?\" (xid {x0}, MAC {m0})",
            [IB_SW_DHCP_DISCOVER_RX] =
                "DHCP 서버가 {m0}에서 온 DHCPDISCOVER를 받습니다 (xid {x0}).",
            [IB_SW_DHCP_OFFER_TX] = "DHCPOFFER로 주소를 제안합니다: {a0}/{b1}, 라우터 {a3}, "
                                    "DNS 서버 {a2}, 임대 기간 {n1}초.",
            [IB_SW_DHCP_OFFER_RX] = "서버 {a1}에게서 주소 {a0}의 제안(DHCPOFFER)을 받습니다.",
            [IB_SW_DHCP_REQUEST_TX] =
                "서버 {a1}에게 주소 {a0}의 사용을 요청합니다 (DHCPREQUEST). 다른 서버들도 자기 "
                "제안이 선택되지 않았음을 알 수 있도록 이번에도 브로드캐스트로 보냅니다.",
            [IB_SW_DHCP_REQUEST_RX] = "주소 {a0}에 대한 DHCPREQUEST를 받습니다 (xid {x0}).",
            [IB_SW_DHCP_ACK_TX] = "DHCPACK 메시지로 확정합니다: {a0}/{b1}, 라우터 {a3}, DNS 서버 "
                                  "{a2}, 임대 기간 {n1}초.",
            [IB_SW_DHCP_ACK_RX] = "서버 {a1}에게서 DHCPACK 메시지를 받습니다.",
            [IB_SW_DHCP_OTHER_TX] = "{dm} 메시지를 보냅니다 (xid {x0}).",
            [IB_SW_DHCP_OTHER_RX] = "{dm} 메시지를 받습니다 (xid {x0}).",
            [IB_SW_DHCP_BOUND] = "{s0}에 주소를 설정합니다: {a0}/{b1}, 기본 게이트웨이 {a3}, "
                                 "DNS 서버 {a2}. 임대 기간은 {n1}초입니다.",
            [IB_SW_DHCP_LOST] = "주소 {a0}의 임대를 잃었습니다.",
            [IB_SW_FETCH_START] =
                "브라우저가 {s0} 페이지를 가져오려고 합니다. IP는 이름으로는 보낼 수 없으므로 "
                "먼저 {s1}의 IP 주소를 알아내야 합니다: DNS 조회입니다.",
            [IB_SW_DNS_STUB_QUERY_DHCP] =
                "DHCP 임대에서 받은 DNS 서버 {a0}에게 묻습니다: \"{s0}의 {qt} 레코드는?\" "
                "(id {n0}, 재귀 요청)",
            [IB_SW_DNS_STUB_QUERY] =
                "DNS 서버 {a0}에게 묻습니다: \"{s0}의 {qt} 레코드는?\" (id {n0}, 재귀 요청)",
            [IB_SW_DNS_QUERY_TX] = "{a0}에게 묻습니다: \"{s0}의 {qt} 레코드는?\" (id {n0})",
            [IB_SW_DNS_QUERY_RX] =
                "{a0}에게서 질문을 받습니다: \"{s0}의 {qt} 레코드는?\" (id {n0})",
            [IB_SW_DNS_CACHE_HIT] = "캐시에서 {s0}의 답을 찾았습니다. 누구에게도 물을 필요가 "
                                    "없습니다.",
            [IB_SW_DNS_CACHE_REFERRAL] =
                "{s1} 영역을 맡은 서버를 캐시에서 찾았습니다: {s2} ({a1}). "
                "여기서부터 묻기 시작합니다.",
            [IB_SW_DNS_ANSWER_TX] = "{a0}에게 답합니다: {s0}의 주소는 {a1}입니다 (TTL {n1}초).",
            [IB_SW_DNS_REFERRAL_TX] = "{s0}의 답은 모르지만, {a0}에게 {s1} 영역을 맡은 서버를 "
                                      "알려 줍니다: {s2} ({a1}).",
            [IB_SW_DNS_OTHER_TX] = "{a0}에게 {s0}에 대해 답합니다: {s1}.",
            [IB_SW_DNS_ANSWER_RX] =
                "{a0}에게서 답을 받습니다: {s0}의 주소는 {a1}입니다 (TTL {n1}초).",
            [IB_SW_DNS_REFERRAL_RX] = "{a0}에게서 위임 안내를 받습니다: {s1} 영역을 맡은 서버, "
                                      "예를 들어 {s2} ({a1})에게 물어보라는 답입니다.",
            [IB_SW_DNS_OTHER_RX] = "{a0}에게서 {s0}에 대한 응답을 받습니다: {s1}.",
            [IB_SW_DNS_RESOLVER_DONE] = "{s0}의 답을 찾았습니다: {a1}.",
            [IB_SW_DNS_RESOLVED] = "이제 {s0}의 주소가 {a1}임을 압니다 (이 답은 {n1}초 동안 "
                                   "기억해 둘 수 있습니다). 브라우저가 연결을 시작할 수 있습니다.",
            [IB_SW_DNS_FAILED] = "{s0}의 주소를 알아내지 못했습니다: {s1}.",
            [IB_SW_DNS_CHAIN] = "위임을 따라간 순서: {s0}.",
            [IB_SW_BUILD_HTTP] =
                "HTTP가 요청을 텍스트로 씁니다: \"{s0}\", Host: {s1} ({n0}바이트).",
            [IB_SW_BUILD_TCP] =
                "TCP가 이것을 세그먼트에 담습니다: 출발지 포트 {p0} (이 연결을 위해 고른 포트), "
                "목적지 포트 {p1} (웹 서버의 포트), seq {n0}, ack {n1}, 플래그 {fl}.",
            [IB_SW_BUILD_IP] = "IP가 세그먼트를 데이터그램에 담습니다: 출발지 {a0}, 목적지 {a1}, "
                               "TTL {n0}, 프로토콜 번호 {n1} (TCP).",
            [IB_SW_BUILD_ETH] = "이더넷이 데이터그램을 프레임에 담습니다: 출발지 MAC {m0}, "
                                "목적지 MAC {m1}, 타입 0x0800 (IPv4).",
            [IB_SW_BUILD_WIRE] = "선로 위에서는 헤더가 앞에 옵니다: 이더넷 {n0}바이트, IP {n1}"
                                 "바이트, TCP {n2}바이트, 그다음 HTTP {n3}바이트, 모두 {n4}"
                                 "바이트입니다.",
            [IB_SW_BUILD_PICTURE] = "헤더가 다음 헤더를 감싸는 프레임의 모습:",
            [IB_SW_ARP_QUEUE] =
                "아직 {a0}의 MAC 주소를 모릅니다. ARP로 묻는 동안 데이터그램은 기다립니다.",
            [IB_SW_ARP_REQUEST] = "LAN의 모두에게 ARP 요청을 브로드캐스트합니다 "
                                  "(ff:ff:ff:ff:ff:ff): \"{a0}의 MAC 주소를 아는 분은 {a1}에게 "
                                  "알려 주세요.\"",
            [IB_SW_ARP_REPLY] =
                "{a1}에게만 답합니다: \"{a0}의 MAC 주소는 {m0}입니다\" (ARP 응답, 유니캐스트).",
            [IB_SW_ARP_LEARN] = "ARP 캐시에 기록합니다: {a0} -> {m0}.",
            [IB_SW_ARP_LEARN_ASKER] =
                "요청을 보낸 쪽의 주소도 함께 기록해 둡니다: {a0} -> {m0} (RFC 826).",
            [IB_SW_NAT_MAP] = "NAT 매핑을 만듭니다: 내부 {a0}:{p0} <-> 공인 {a1}:{p1}, 상대 "
                              "{a2}:{p2}.",
            [IB_SW_NAT_OUT] = "나가는 데이터그램의 출발지를 바꿉니다: {a0}:{p0} -> {a1}:{p1} "
                              "(IP와 TCP 체크섬도 고칩니다).",
            [IB_SW_NAT_IN] = "돌아오는 응답의 목적지를 되돌립니다: {a1}:{p1} -> {a0}:{p0}. 그래야 "
                             "집 안 LAN으로 들어갈 수 있습니다.",
            [IB_SW_NAT_EXPIRE] = "연결이 끝나 매핑을 지웁니다: {a1}:{p1} -> {a0}:{p0}.",
            [IB_SW_ROUTE_SEND] =
                "SYN을 보냅니다: {a0} -> {a1}, TTL {n0}. 목적지가 자기 네트워크 밖에 있으므로 "
                "프레임은 {s0} 인터페이스를 통해 기본 게이트웨이 {a2}에게 갑니다.",
            [IB_SW_ROUTE_SEND_DIRECT] =
                "SYN을 보냅니다: {a0} -> {a1}, TTL {n0}. 목적지가 자기 네트워크 안에 있으므로 "
                "프레임은 {s0} 인터페이스를 통해 목적지로 바로 갑니다.",
            [IB_SW_ROUTE_HOP] =
                "{s1} 인터페이스로 들어온 데이터그램을 전달합니다: 가장 길게 일치하는 경로는 "
                "{a0}/{b0}, 다음 홉 {a1}, 나가는 인터페이스 {s0}. 이제 TTL {n0}.",
            [IB_SW_ROUTE_HOP_DEFAULT] =
                "{s1} 인터페이스로 들어온 데이터그램을 전달합니다: 더 구체적인 경로가 없어 기본 "
                "경로 0.0.0.0/0을 따릅니다. 다음 홉 {a1}, 나가는 인터페이스 {s0}. 이제 TTL {n0}.",
            [IB_SW_ROUTE_HOP_DIRECT] =
                "{s1} 인터페이스로 들어온 데이터그램을 전달합니다: 네트워크 {a0}/{b0}에 {s0} "
                "인터페이스가 직접 연결되어 있으므로 {a1}에게 바로 보냅니다. 이제 TTL {n0}.",
            [IB_SW_ROUTE_ARRIVE] =
                "{s0} 인터페이스로 받습니다. 목적지 {a0}의 주인이 바로 자신입니다. 라우터 "
                "{n0}대가 전달했고, TTL은 {n1}에서 시작해 지금 {n2}입니다.",
            [IB_SW_ROUTE_DROP] = "데이터그램을 버립니다: {s0}.",
            [IB_SW_TCP_CONNECT] =
                "TCP 연결을 엽니다: {a0}:{p0} -> {a1}:{p1}. CLOSED -> SYN_SENT. 초기 시퀀스 "
                "번호(seq {n0})를 담아 SYN 세그먼트를 보냅니다.",
            [IB_SW_TCP_LISTEN_SYN] =
                "{a1}:{p1}에게서 SYN 세그먼트(seq {n0})를 받습니다: LISTEN -> SYN_RECEIVED. "
                "SYN, ACK 세그먼트로 답합니다. ack 값은 {n2}({n0} + 1)이고, 자신의 초기 시퀀스 "
                "번호도 함께 보냅니다.",
            [IB_SW_TCP_CLIENT_ESTABLISHED] =
                "{fl} 세그먼트(seq {n0}, ack {n1})를 받습니다: 자기 SYN이 확인되었습니다. "
                "SYN_SENT -> ESTABLISHED. ACK 세그먼트(ack {n2})로 답합니다.",
            [IB_SW_TCP_SERVER_ESTABLISHED] =
                "ACK 세그먼트(seq {n0}, ack {n1})를 받습니다: 자기 SYN도 확인되었습니다. "
                "SYN_RECEIVED -> ESTABLISHED. 이제 양쪽 모두 데이터를 보낼 수 있습니다.",
            [IB_SW_TCP_FIN_WAIT_1] = "더 보낼 것이 없어 자기 쪽을 닫습니다: FIN 세그먼트를 "
                                     "보냅니다. ESTABLISHED -> FIN_WAIT_1.",
            [IB_SW_TCP_FIN_WAIT_2] =
                "자기 FIN에 대한 ACK 세그먼트(ack {n1})를 받습니다: FIN_WAIT_1 -> FIN_WAIT_2. "
                "이제 상대의 FIN을 기다립니다.",
            [IB_SW_TCP_CLOSE_WAIT] =
                "FIN 세그먼트(seq {n0})를 받습니다: 상대는 더 보낼 것이 없습니다. ACK 세그먼트로 "
                "확인합니다. ESTABLISHED -> CLOSE_WAIT. 자기 애플리케이션이 닫을 때까지 이 "
                "상태로 있습니다.",
            [IB_SW_TCP_LAST_ACK] =
                "자기 쪽도 닫고 자신의 FIN 세그먼트를 보냅니다: CLOSE_WAIT -> LAST_ACK.",
            [IB_SW_TCP_CLOSING] = "자기 FIN이 아직 확인되지 않았는데 상대의 FIN 세그먼트가 "
                                  "왔습니다 (양쪽이 동시에 닫음): FIN_WAIT_1 -> CLOSING.",
            [IB_SW_TCP_TIME_WAIT] =
                "상대의 FIN 세그먼트(seq {n0})를 받고 ACK 세그먼트로 확인합니다: {st0} -> "
                "TIME_WAIT. 연결을 잊기 전에 2*MSL 동안 기다립니다.",
            [IB_SW_TCP_LAST_ACK_CLOSED] =
                "자기 FIN에 대한 ACK 세그먼트를 받습니다: LAST_ACK -> CLOSED. 이쪽은 끝났습니다.",
            [IB_SW_TCP_TIME_WAIT_CLOSED] = "{dt} 뒤에 2*MSL 타이머가 만료됩니다: TIME_WAIT -> "
                                           "CLOSED. 연결이 완전히 사라졌습니다.",
            [IB_SW_TCP_TIME_WAIT_LEFT] = "이야기가 끝날 때 아직 TIME_WAIT 상태입니다. 이 상태에 "
                                         "들어간 뒤 2*MSL이 지나야 빠져나옵니다.",
            [IB_SW_TCP_STATE_SEGMENT] =
                "{fl} 세그먼트(seq {n0}, ack {n1})를 받아 상태가 바뀝니다: {st0} -> {st1}.",
            [IB_SW_TCP_STATE_OTHER] = "상태가 바뀝니다: {st0} -> {st1} ({cause}).",
            [IB_SW_SERVER_IP_RX] =
                "IP: {a1}에게서 온 데이터그램의 목적지 {a0}의 주인이 바로 이 호스트이므로, "
                "전달하지 않고 여기서 받습니다. 프로토콜 번호 {n0}: TCP입니다.",
            [IB_SW_SERVER_PORT] =
                "TCP: 목적지 포트 {p0}에서 기다리는 소켓이 있습니다. 바로 웹 서버 프로세스입니다. "
                "{a0}:{p1}에서 온 연결을 이 프로세스에 넘깁니다.",
            [IB_SW_HTTP_REQUEST_TX] =
                "브라우저가 요청을 TCP에 넘깁니다: 호스트 {s2}에 보내는 {s0} {s1} ({a0}:{p0}).",
            [IB_SW_HTTP_REQUEST_RX] = "HTTP가 요청을 읽습니다: {s0} {s1}, Host: {s2}.",
            [IB_SW_HTTP_RESPONSE_TX] = "웹 서버가 {n0} {s0} 응답과 본문 {n1}바이트를 보냅니다. "
                                       "TCP가 같은 길로 되돌려 보냅니다.",
            [IB_SW_HTTP_RESPONSE_RX] = "브라우저가 {n0} {s0} 응답을 받습니다: 본문 {n1}바이트.",
            [IB_SW_FETCH_DONE] =
                "{s0} 가져오기가 끝났습니다: {n0} {s1}, {n1}바이트, 시작부터 {dt} 걸렸습니다.",
            [IB_SW_FETCH_FAILED] = "{s0} 가져오기에 실패했습니다: {err}.",
            [IB_SW_NOTE_DHCP] =
                "DHCP는 네 개의 메시지, DORA로 이루어집니다: Discover, Offer, Request, Ack "
                "(RFC 2131 §3.1). 주소가 없는 클라이언트는 0.0.0.0에서 브로드캐스트 주소로 "
                "보내고, 임대(lease)가 필요한 것을 모두 알려 줍니다: 주소와 마스크, 게이트웨이, "
                "DNS 서버.",
            [IB_SW_NOTE_DNS] =
                "모든 이름을 아는 서버는 없습니다. 루트 서버(\".\")는 com 같은 최상위 도메인을 "
                "누가 맡는지 알고, 그 서버들은 바로 아래 도메인을 누가 맡는지 알며, 호스트의 "
                "주소는 그 도메인의 서버만 압니다. 리졸버는 이 위임 안내를 하나씩 따라가고(반복 "
                "질의), 클라이언트의 스텁은 재귀 질문 하나만 던져 최종 답을 받습니다 "
                "(RFC 1034 §4.3.1).",
            [IB_SW_NOTE_BUILD_MAC] =
                "목적지 MAC {m0}의 주인은 서버가 아니라 게이트웨이 {a0}입니다. 프레임은 링크 "
                "하나만 건넙니다. IP 주소는 끝까지 그대로 가지만(NAT가 바꾸는 곳은 예외), MAC "
                "주소는 홉마다 바뀝니다.",
            [IB_SW_NOTE_ENCAP] =
                "캡슐화: 계층을 내려갈 때마다 각 계층은 위 계층에게서 받은 것 앞에 자기 헤더를 "
                "붙입니다. 받는 쪽은 거꾸로 하나씩 떼어 내고, 각 계층은 자기 헤더만 읽습니다.",
            [IB_SW_NOTE_ARP] =
                "IP 주소는 데이터그램이 어디로 가는지를, MAC 주소는 이 링크에서 다음에 프레임을 "
                "받을 인터페이스가 어느 것인지를 말합니다. ARP(RFC 826)는 IP 주소로 MAC 주소를 "
                "찾고, 답을 캐시에 저장해 두어 다음 데이터그램은 곧바로 나갑니다.",
            [IB_SW_NOTE_ARP_EARLIER] =
                "이 ARP 교환은 웹 연결이 시작되기 전인 {t2}에 있었습니다. {a0}의 MAC 주소가 이미 "
                "캐시에 있었으므로 SYN은 곧바로 나갔습니다.",
            [IB_SW_NOTE_ARP_DURING_DNS] =
                "이 ARP 교환은 DNS 조회 중인 {t2}에 있었습니다. DNS 서버로 가는 질의가 먼저 "
                "게이트웨이 {a0} 쪽으로 나갔기 때문입니다. 캐시에 답이 남아 있어서 SYN은 곧바로 "
                "나갔습니다.",
            [IB_SW_NOTE_PRIVATE] =
                "{a0} 같은 사설 주소(RFC 1918: 10/8, 172.16/12, 192.168/16)는 어느 집에서나 "
                "똑같이 쓸 수 있으므로 인터넷에서는 이 주소로 길을 찾을 수 없습니다. 라우터의 "
                "공인 주소 하나({a1})가 집 전체를 대신하고, 응답이 집 안의 어느 연결에 속하는지는 "
                "포트 번호로 구분합니다.",
            [IB_SW_NOTE_NAT_COUNT] = "이 연결의 모든 데이터그램이 같은 방식으로 바뀌었습니다: "
                                     "나가는 것 {n0}개, 들어오는 것 {n1}개.",
            [IB_SW_NOTE_ROUTING] =
                "포워딩은 한 홉입니다: 라우터 하나가 자기 라우팅 테이블에서 목적지를 찾아 가장 "
                "길게 일치하는 접두사(RFC 1812 §5.2.4.3)를 고르고 데이터그램을 넘깁니다. "
                "라우팅은 그 전체입니다: 여기서는 라우터 {n0}대가 이어 달렸고, 어느 라우터도 "
                "전체 경로를 알지 못합니다.",
            [IB_SW_NOTE_ARP_LAST] =
                "마지막 라우터는 서버의 MAC 주소가 필요하므로, 집에서 클라이언트가 했던 것과 "
                "같은 ARP를 이번에는 서버 쪽 LAN에서 합니다. MAC 주소는 링크마다 따로이고, IP "
                "주소는 처음부터 끝까지 그대로 갑니다.",
            [IB_SW_NOTE_ARP_LAST_EARLIER] =
                "{node}에서는 이미 {t2}에 {a0}의 MAC 주소를 알아 두었고, 캐시에 그 답이 남아 "
                "있었습니다.",
            [IB_SW_NOTE_HANDSHAKE] =
                "양쪽은 각자 초기 시퀀스 번호를 고르고(RFC 9293 §3.4.1), 상대는 그 번호에 1을 "
                "더해 확인합니다. SYN이 시퀀스 번호 하나를 차지하기 때문입니다. SYN, SYN-ACK, "
                "ACK 세그먼트가 오간 뒤에는 양쪽 모두 상대의 바이트가 어디서 시작하는지 압니다.",
            [IB_SW_NOTE_DEMUX] =
                "역다중화: 목적지 IP 주소가 호스트를, 프로토콜 번호가 TCP를, 목적지 포트가 "
                "프로세스를 골랐습니다. 응답은 같은 길로 돌아갑니다.",
            [IB_SW_NOTE_TIME_WAIT] =
                "왜 기다릴까요? 먼저 닫은 쪽은 2*MSL 동안 TIME_WAIT에 머뭅니다 (여기서는 {dt}, "
                "MSL은 세그먼트의 최대 수명입니다). 마지막 ACK 세그먼트가 사라지면 상대가 FIN을 "
                "다시 "
                "보내는데, 그때도 답할 수 있어야 합니다. 또 같은 주소와 포트를 다시 쓰기 전에 "
                "이 연결의 오래된 중복 세그먼트가 네트워크에서 사라져야 합니다 (RFC 9293 §3.6.1, "
                "§3.4.2).",
            [IB_SW_NOTE_TIME_WAIT_RULE] =
                "왜 기다릴까요? 먼저 닫은 쪽은 2*MSL 동안 TIME_WAIT에 머뭅니다 (MSL은 세그먼트의 "
                "최대 수명입니다). 마지막 ACK 세그먼트가 사라지면 상대가 FIN을 다시 보내는데, "
                "그때도 답할 "
                "수 있어야 합니다. 또 같은 주소와 포트를 다시 쓰기 전에 이 연결의 오래된 중복 "
                "세그먼트가 네트워크에서 사라져야 합니다 (RFC 9293 §3.6.1, §3.4.2).",
            [IB_SW_NO_DHCP] = "DHCP는 보이지 않았습니다: {node}에는 이미 주소가 있었습니다.",
            [IB_SW_NO_DNS] =
                "{s0}에 대한 DNS 조회는 보이지 않았습니다: 답이 이미 캐시에 있었을 수 있습니다.",
            [IB_SW_NO_DNS_LITERAL] = "DNS 조회가 필요 없었습니다: {s0} 자체가 IP 주소입니다.",
            [IB_SW_NO_BUILD] =
                "HTTP 요청을 실은 프레임이 보이지 않아서, 여기서 뜯어 볼 수 없습니다.",
            [IB_SW_NO_ARP_GATEWAY] = "ARP가 필요 없었습니다: {node}에서는 이미 게이트웨이 {a0}의 "
                                     "MAC 주소를 알고 있었습니다.",
            [IB_SW_NO_NAT] = "가는 길에 NAT가 없었습니다: 주소 {a0} 그대로 네트워크를 건넜습니다.",
            [IB_SW_NO_ROUTING] = "SYN을 전달한 라우터가 없습니다: 서버 {a0}의 네트워크가 "
                                 "클라이언트와 같거나, SYN이 사라졌습니다.",
            [IB_SW_NO_ARP_LAST_HOP] =
                "ARP가 필요 없었습니다: {node}에서는 이미 {s0}의 MAC 주소를 알고 있었습니다.",
            [IB_SW_NO_LAST_HOP] =
                "SYN을 서버의 LAN에 전달한 라우터가 없어서, 마지막 ARP도 없었습니다.",
            [IB_SW_NO_HANDSHAKE] = "{a0}:{p0} 쪽 TCP 연결이 보이지 않았습니다: 가져오기가 TCP까지 "
                                   "가지 못했습니다.",
            [IB_SW_NO_SERVER] = "서버 쪽은 보이지 않았습니다.",
            [IB_SW_NO_CLOSE] = "이야기가 끝나기 전에 연결이 닫히지 않았습니다.",
            [IB_SW_NO_CONNECTION] = "보이지 않음: {s0}:{p0} 쪽으로 TCP 연결이 열리지 않았습니다.",
        },
    .causes =
        {
            [IB_TCP_CAUSE_APP_OPEN] = "애플리케이션이 열었음",
            [IB_TCP_CAUSE_APP_CLOSE] = "애플리케이션이 닫았음",
            [IB_TCP_CAUSE_APP_ABORT] = "애플리케이션이 강제로 끊었음",
            [IB_TCP_CAUSE_SEGMENT] = "받은 세그먼트",
            [IB_TCP_CAUSE_RTO] = "재전송을 포기함",
            [IB_TCP_CAUSE_TIME_WAIT] = "2*MSL 타이머",
            [IB_TCP_CAUSE_KEEPALIVE] = "keepalive에 응답 없음",
            [IB_TCP_CAUSE_ICMP] = "ICMP 오류",
            [IB_TCP_CAUSE_FAST_RETRANSMIT] = "빠른 재전송",
            [IB_TCP_CAUSE_PROBE] = "윈도 탐색",
        },
    .errs = errs_ko,
};
