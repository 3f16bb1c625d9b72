// The page's own words in English and Korean. The story's text comes with
// the data, already in both languages; protocol field names stay as the
// RFCs spell them, in every language.
const IB = {};
(function () {
  const text = {
    en: {
      language: "Language",
      tab_story: "Story", tab_sequence: "Sequence", tab_packets: "Packets",
      tab_topology: "Topology", tab_tcp: "TCP", tab_tables: "Tables",
      summary: "{0} nodes · {1} links · {2} frames · {3} s simulated",
      summary_live: "{0} frames · live, started {1}",
      unrecorded: "{0} frames were not kept (limit reached)",
      incomplete: "memory ran short: some events are missing",
      filter_proto: "Protocol", filter_node: "Node", filter_conn: "Connection", filter_step: "Story step",
      all: "all", any: "any", shown: "{0} of {1} frames",
      col_no: "No.", col_time: "Time (s)", col_from: "From", col_to: "To", col_proto: "Protocol",
      col_len: "Length", col_info: "Info",
      outside: "outside",
      detail_empty: "Click a packet to see its layers.",
      frame_title: "Frame {0}: {1} bytes on the wire, {2} captured",
      frame_path: "{0} ({1}) → {2} ({3})",
      sent_at: "sent {0} s", arrived_at: "arrived {0} s",
      lost: "lost on the link", duplicate: "a duplicate made by the link",
      corrupted: "a bit was flipped on the link", down: "the link went down",
      dropped: "dropped at {0}: {1}",
      same_journey: "same datagram, other hops: {0}",
      layer1: "Physical", layer2: "Link", layer3: "Network", layer4: "Transport", layer7: "Application",
      no_story: "This run has no story: `inetbox journey` tells one.",
      packets_n: "{0} packets", step_n: "Step {0}",
      conns: "Connections", no_conns: "No TCP connection in this run.",
      state_timeline: "State timeline (both ends)",
      transitions: "Transitions", col_end: "End", col_change: "Change", col_cause: "Cause",
      col_flags: "Flags", col_seq: "seq", col_ack: "ack",
      plot_cwnd: "Congestion window (bytes)", plot_rtt: "Smoothed RTT (ms)",
      plot_inflight: "Bytes in flight", time_s: "time (s)",
      node: "Node", time: "Time", prev: "◀ previous change", next: "next change ▶",
      interfaces: "Interfaces", arp_cache: "ARP cache", routes: "Routing table",
      nat: "NAT mappings", dns_cache: "DNS cache", mac_table: "MAC address table",
      col_iface: "Interface", col_mac: "MAC", col_addr: "Address", col_ip: "IP address",
      col_expires: "Expires (s)", col_prefix: "Destination", col_gw: "Gateway",
      col_kind: "Kind", col_metric: "Metric", col_since: "Since (s)", col_inside: "Inside",
      col_public: "Public", col_peer: "Peer", col_name: "Name", col_type: "Type",
      col_value: "Value", col_port: "Port", col_learned: "Learned (s)",
      direct: "on-link", none: "(none)", from_dhcp: "from DHCP at {0} s",
      not_yet: "not configured yet",
      click_node: "Click a node to see its tables.",
    },
    ko: {
      language: "언어",
      tab_story: "이야기", tab_sequence: "시퀀스", tab_packets: "패킷",
      tab_topology: "토폴로지", tab_tcp: "TCP", tab_tables: "테이블",
      summary: "노드 {0}개 · 링크 {1}개 · 프레임 {2}개 · 시뮬레이션 {3}초",
      summary_live: "프레임 {0}개 · 실제 네트워크, 시작 {1}",
      unrecorded: "프레임 {0}개는 보관하지 못했습니다 (한도 도달)",
      incomplete: "메모리가 부족해 일부 이벤트가 빠졌습니다",
      filter_proto: "프로토콜", filter_node: "노드", filter_conn: "연결", filter_step: "이야기 단계",
      all: "전체", any: "모두", shown: "프레임 {1}개 중 {0}개",
      col_no: "번호", col_time: "시간(초)", col_from: "보낸 곳", col_to: "받는 곳", col_proto: "프로토콜",
      col_len: "길이", col_info: "정보",
      outside: "외부",
      detail_empty: "패킷을 누르면 계층별 내용을 볼 수 있습니다.",
      frame_title: "프레임 {0}: 전송 {1}바이트, 기록 {2}바이트",
      frame_path: "{0} ({1}) → {2} ({3})",
      sent_at: "보낸 시각 {0}초", arrived_at: "도착 시각 {0}초",
      lost: "링크에서 손실됨", duplicate: "링크가 만든 중복 프레임",
      corrupted: "링크에서 비트 하나가 바뀜", down: "링크가 끊김",
      dropped: "{0}에서 버려짐: {1}",
      same_journey: "같은 데이터그램의 다른 구간: {0}",
      layer1: "물리", layer2: "링크", layer3: "네트워크", layer4: "전송", layer7: "응용",
      no_story: "이 실행에는 이야기가 없습니다. `inetbox journey`가 이야기를 들려줍니다.",
      packets_n: "패킷 {0}개", step_n: "{0}단계",
      conns: "연결", no_conns: "이 실행에는 TCP 연결이 없습니다.",
      state_timeline: "상태 변화 (양쪽 끝)",
      transitions: "상태 전이", col_end: "끝점", col_change: "변화", col_cause: "원인",
      col_flags: "플래그", col_seq: "seq", col_ack: "ack",
      plot_cwnd: "혼잡 윈도우 (바이트)", plot_rtt: "평활 RTT (밀리초)",
      plot_inflight: "전송 중인 바이트", time_s: "시간(초)",
      node: "노드", time: "시각", prev: "◀ 이전 변화", next: "다음 변화 ▶",
      interfaces: "인터페이스", arp_cache: "ARP 캐시", routes: "라우팅 테이블",
      nat: "NAT 매핑", dns_cache: "DNS 캐시", mac_table: "MAC 주소 테이블",
      col_iface: "인터페이스", col_mac: "MAC", col_addr: "주소", col_ip: "IP 주소",
      col_expires: "만료(초)", col_prefix: "목적지", col_gw: "게이트웨이",
      col_kind: "종류", col_metric: "메트릭", col_since: "시작(초)", col_inside: "내부",
      col_public: "공인", col_peer: "상대", col_name: "이름", col_type: "유형",
      col_value: "값", col_port: "포트", col_learned: "학습(초)",
      direct: "직접 연결", none: "(없음)", from_dhcp: "{0}초에 DHCP로 받음",
      not_yet: "아직 설정되지 않음",
      click_node: "노드를 누르면 그 노드의 테이블을 볼 수 있습니다.",
    },
  };
  IB.lang = "en";
  // The text of key in the current language, {0} {1} ... filled from args.
  IB.t = function (key, ...args) {
    const s = text[IB.lang][key] ?? text.en[key] ?? key;
    return s.replace(/\{(\d)\}/g, (m, i) => String(args[+i]));
  };
  IB.applyI18n = function (root) {
    for (const el of (root || document).querySelectorAll("[data-i18n]"))
      el.textContent = IB.t(el.dataset.i18n);
    document.documentElement.lang = IB.lang;
  };
  // Elements: IB.el("div", {class: "x"}, child, "text", ...).
  IB.el = function (tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      if (k === "text") e.textContent = attrs[k];
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    }
    for (const k of kids) if (k != null) e.append(k);
    return e;
  };
  IB.svg = function (tag, attrs, ...kids) {
    const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    for (const k of kids) if (k != null) e.append(k);
    return e;
  };
  // Simulated time in ns as seconds, "5.009620".
  IB.sec = (t) => (t / 1e9).toFixed(6);
})();
