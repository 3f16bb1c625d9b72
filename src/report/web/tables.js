// A node's tables at a chosen moment of the run: interfaces, ARP cache
// (RFC 826; entries live until their expiry), routing table, NAT mappings
// (RFC 4787), the DNS resolver's cache (RFC 1035 §7.4: what it learned,
// until the TTL runs out) and a switch's MAC address table (IEEE 802.1D).
// The slider moves over the moments when some table changed.
(function () {
  const M = IB.M;
  const TB = {};
  IB.tables = TB;

  TB.mount = function (root) {
    TB.root = root;
    TB.node = Math.max(0, M.d.nodes.findIndex((n) => n.kind !== "switch"));
    TB.pos = -1; // the slider's position; -1: the end of the run
  };

  // The moments at which a table changed, in order.
  function moments() {
    const d = M.d;
    const s = new Set([0, d.end]);
    for (const a of d.arp) { s.add(a[0]); if (a[4] >= 0 && a[4] <= d.end) s.add(a[4]); }
    for (const x of d.nat) s.add(x[0]);
    for (const x of d.macs) s.add(x[0]);
    for (const x of d.dhcp) s.add(x.t);
    for (const x of d.dns) if (x.what === "response_rx") s.add(x.t);
    return [...s].sort((a, b) => a - b);
  }

  TB.refresh = function () {
    const d = M.d;
    TB.times = moments();
    // At first, the moment of the last frame: at the end of a long run the
    // caches may have expired.
    if (TB.pos < 0 || TB.pos >= TB.times.length) {
      const last = M.n ? d.frames.t[M.n - 1] : d.end;
      TB.pos = Math.max(0, TB.times.findLastIndex((t) => t <= last));
    }
    const sel = IB.el("select", { id: "t-node", onchange: (e) => { TB.node = +e.target.value; draw(); } });
    d.nodes.forEach((n, i) => sel.append(IB.el("option", { value: i, text: `${n.name} (${n.kind})` })));
    sel.value = TB.node;
    const slider = IB.el("input", { type: "range", id: "t-time", min: 0, max: TB.times.length - 1, value: TB.pos });
    slider.addEventListener("input", () => { TB.pos = +slider.value; draw(); });
    const step = (k) => { TB.pos = Math.min(TB.times.length - 1, Math.max(0, TB.pos + k)); slider.value = TB.pos; draw(); };
    TB.label = IB.el("span", { class: "mono" });
    TB.out = IB.el("div");
    TB.root.replaceChildren(IB.el("div", { id: "tables" },
      IB.el("div", { class: "bar" }, IB.el("label", null, IB.t("node") + " ", sel),
        IB.el("label", null, IB.t("time") + " ", slider), TB.label,
        IB.el("button", { text: IB.t("prev"), onclick: () => step(-1) }),
        IB.el("button", { text: IB.t("next"), onclick: () => step(1) })), TB.out));
    draw();
  };

  TB.show = function (node) {
    TB.node = node;
  };

  function table(title, cols, rows) {
    const t = IB.el("table", { class: "grid" }, IB.el("tr", null, ...cols.map((c) => IB.el("th", { text: IB.t(c) }))));
    for (const r of rows) t.append(IB.el("tr", null, ...r.map((v) => IB.el("td", { text: String(v) }))));
    if (!rows.length) t.append(IB.el("tr", null, IB.el("td", { colspan: cols.length, class: "muted", text: IB.t("none") })));
    return [IB.el("h3", { text: IB.t(title) }), t];
  }

  function draw() {
    const d = M.d, n = TB.node, T = TB.times[TB.pos];
    TB.label.textContent = IB.sec(T) + " s";
    const out = [];
    const ifs = d.ifaces.map((f, i) => ({ ...f, i })).filter((f) => f.node === n);
    const name = (i) => (i >= 0 ? d.ifaces[i].name : "");
    const addrAt = (f) => (f.dhcp > 0 && f.dhcp > T ? IB.t("not_yet") :
      f.addr === "0.0.0.0" ? "" : `${f.addr}/${f.plen}` + (f.dhcp > 0 ? " — " + IB.t("from_dhcp", IB.sec(f.dhcp)) : ""));
    out.push(...table("interfaces", ["col_iface", "col_mac", "col_addr"], ifs.map((f) => [f.name, f.mac, addrAt(f)])));
    if (d.nodes[n].kind === "switch") {
      const macs = new Map();
      for (const m of d.macs) if (m[1] === n && m[0] <= T) macs.set(m[2], [m[2], m[3], IB.sec(m[0])]);
      out.push(...table("mac_table", ["col_mac", "col_port", "col_learned"], [...macs.values()]));
      TB.out.replaceChildren(...out);
      return;
    }
    const mine = new Set(ifs.map((f) => f.i));
    const arp = new Map();
    for (const a of d.arp) if (mine.has(a[1]) && a[0] <= T) arp.set(a[1] + "|" + a[2], a);
    const arpRows = [...arp.values()].filter((a) => a[4] < 0 || a[4] > T)
      .map((a) => [a[2], a[3], name(a[1]), a[4] < 0 ? "—" : IB.sec(a[4])]);
    out.push(...table("arp_cache", ["col_ip", "col_mac", "col_iface", "col_expires"], arpRows));
    const routes = d.routes.filter((r) => r[0] === n && r[7] <= T)
      .map((r) => [`${r[1]}/${r[2]}`, r[3] === "0.0.0.0" ? IB.t("direct") : r[3], name(r[4]), r[5], r[7] ? IB.sec(r[7]) : "0"]);
    out.push(...table("routes", ["col_prefix", "col_gw", "col_iface", "col_kind", "col_since"], routes));
    const nat = new Map();
    for (const m of d.nat) {
      if (m[1] !== n || m[0] > T) continue;
      const k = `${m[3]}|${m[4]}:${m[5]}|${m[6]}:${m[7]}`;
      if (m[2] === "map") nat.set(k, [m[3], `${m[4]}:${m[5]}`, `${m[6]}:${m[7]}`, `${m[8]}:${m[9]}`, IB.sec(m[0])]);
      else nat.delete(k);
    }
    if (nat.size || d.nat.some((m) => m[1] === n))
      out.push(...table("nat", ["col_kind", "col_inside", "col_public", "col_peer", "col_since"], [...nat.values()]));
    const cache = dnsCache(n, T);
    if (cache) out.push(...table("dns_cache", ["col_name", "col_type", "col_value", "col_expires"], cache));
    TB.out.replaceChildren(...out);
  }

  // What a resolver (a node that both answers clients and asks servers)
  // has learned by time T and not yet let expire.
  function dnsCache(n, T) {
    const ev = M.d.dns.filter((x) => x.node === n);
    if (!ev.some((x) => x.what === "query_rx") || !ev.some((x) => x.what === "query_tx")) return null;
    const c = new Map();
    const put = (name, type, value, t, ttl) => c.set(`${name}|${type}|${value}`, [name || ".", type, value, t + ttl * 1e9]);
    // A referral received may come without its TTL: the server's answer
    // of the same id and question has it.
    const sent = new Map();
    for (const x of M.d.dns) if (x.what === "response_tx") sent.set(`${x.id}|${x.qname}|${x.kind}`, x.ttl);
    for (const y of ev) {
      if (y.what !== "response_rx" || y.t > T) continue;
      const x = y.ttl ? y : { ...y, ttl: sent.get(`${y.id}|${y.qname}|${y.kind}`) || 0 };
      if (x.kind === "answer") put(x.qname, x.qtype, x.addr, x.t, x.ttl);
      else if (x.kind === "referral") {
        put(x.zone, "NS", x.ns, x.t, x.ttl);
        if (x.addr !== "0.0.0.0") put(x.ns, "A", x.addr, x.t, x.ttl);
      } else if (x.kind === "cname") put(x.qname, "CNAME", x.ns, x.t, x.ttl);
      else if (x.kind === "nxdomain" || x.kind === "nodata") put(x.qname, x.qtype, x.kind.toUpperCase(), x.t, x.ttl);
    }
    return [...c.values()].filter((r) => r[3] > T).map((r) => [r[0], r[1], r[2], IB.sec(r[3])]);
  }
})();
