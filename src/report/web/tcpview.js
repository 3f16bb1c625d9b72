// TCP connections: the list of connections (both ends paired, through NAT
// if need be), and for the chosen one a state timeline of both ends (RFC
// 9293 §3.3.2 states, one column per change so that a handshake a few
// microseconds long is as readable as a TIME_WAIT of a minute), the
// transitions with their causes, and cwnd, smoothed RTT and bytes in flight
// over time as plots.
(function () {
  const M = IB.M;
  const TV = {};
  IB.tcpview = TV;
  const STATE_COLORS = ["#e5e7eb", "#cbd5e1", "#fde68a", "#fcd34d", "#86efac", "#fdba74", "#fb923c",
    "#c4b5fd", "#f9a8d4", "#a78bfa", "#93c5fd"];
  const END_COLORS = ["#2563eb", "#dc2626"];
  const FLAGS = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"];

  TV.mount = function (root) {
    TV.root = root;
    TV.cur = 0;
  };

  TV.refresh = function () {
    if (!M.conns.length) {
      TV.root.replaceChildren(IB.el("p", { style: "padding:12px", text: IB.t("no_conns") }));
      return;
    }
    const list = IB.el("div", { class: "conns" }, IB.el("div", { style: "font-weight:600;cursor:default", text: IB.t("conns") }));
    M.conns.forEach((c, k) => {
      list.append(IB.el("div", { class: k === TV.cur ? "on" : "", "data-conn": k, text: M.connName(c), onclick: () => TV.open(k) }));
    });
    TV.body = IB.el("div", { class: "conn" });
    TV.root.replaceChildren(IB.el("div", { id: "tcp" }, list, TV.body));
    draw(M.conns[TV.cur]);
  };

  TV.open = function (k) {
    TV.cur = k;
    TV.refresh();
  };

  const endName = (e) => `${M.d.nodes[e.node].name} ${e.laddr}:${e.lport}`;
  const flagText = (f) => FLAGS.filter((n, i) => f & (1 << i)).join(",");

  function draw(c) {
    const states = M.d.tcp_states;
    TV.body.replaceChildren(IB.el("h3", { text: M.connName(c) }));
    // Every state change of both ends, in time order.
    const changes = [];
    c.ends.forEach((e, w) => e.t.forEach((t, k) => { if (e.k[k] === 0) changes.push({ t, w, k, e }); }));
    changes.sort((a, b) => a.t - b.t || a.w - b.w);
    const times = [...new Set(changes.map((x) => x.t))];
    const col = new Map(times.map((t, i) => [t, i]));
    const CW = 104, LW = 190, RH = 30;
    const width = LW + (times.length + 1) * CW;
    const svg = IB.svg("svg", { width, height: 40 + c.ends.length * RH + 30, class: "timeline" });
    times.forEach((t, i) => {
      const tx = IB.svg("text", { x: LW + i * CW, y: 12, "font-size": 10, fill: "#6b7280" });
      tx.textContent = IB.sec(t) + " s";
      svg.append(tx, IB.svg("line", { x1: LW + i * CW, y1: 16, x2: LW + i * CW, y2: 20 + c.ends.length * RH, stroke: "#e5e7eb" }));
    });
    c.ends.forEach((e, w) => {
      const y = 22 + w * RH;
      const name = IB.svg("text", { x: 4, y: y + 17, "font-size": 11, fill: END_COLORS[w] });
      name.textContent = endName(e);
      svg.append(name);
      const mine = changes.filter((x) => x.w === w);
      mine.forEach((x, k) => {
        const c0 = col.get(x.t), c1 = k + 1 < mine.length ? col.get(mine[k + 1].t) : times.length;
        const st = e.new[x.k];
        const g = IB.svg("g", { class: "state", "data-state": states[st] });
        g.append(IB.svg("rect", { x: LW + c0 * CW, y, width: Math.max(2, (c1 - c0) * CW - 2), height: RH - 6, rx: 3, fill: STATE_COLORS[st] || "#eee" }));
        const label = IB.svg("text", { x: LW + c0 * CW + 4, y: y + 16, "font-size": 11 });
        label.textContent = states[st];
        const title = IB.svg("title");
        title.textContent = `${IB.sec(x.t)} s: ${states[e.old[x.k]]} → ${states[st]} (${M.d.tcp_causes[e.cause[x.k]]} ${flagText(e.flags[x.k])})`;
        g.append(label, title);
        svg.append(g);
      });
    });
    TV.body.append(IB.el("h3", { text: IB.t("state_timeline") }), IB.el("div", { style: "overflow-x:auto" }, svg));
    // The transitions, exactly.
    const tb = IB.el("table", { class: "grid transitions" }, IB.el("tr", null,
      ...["col_time", "col_end", "col_change", "col_cause", "col_flags", "col_seq", "col_ack"].map((k) => IB.el("th", { text: IB.t(k) }))));
    for (const x of changes) {
      const e = x.e, k = x.k;
      const seg = M.d.tcp_causes[e.cause[k]] === "segment";
      tb.append(IB.el("tr", null, IB.el("td", { text: IB.sec(x.t) }), IB.el("td", { text: endName(e), style: "color:" + END_COLORS[x.w] }),
        IB.el("td", { text: `${states[e.old[k]]} → ${states[e.new[k]]}` }), IB.el("td", { text: M.d.tcp_causes[e.cause[k]] }),
        IB.el("td", { text: seg ? flagText(e.flags[k]) : "" }), IB.el("td", { text: seg ? String(e.seq[k]) : "" }),
        IB.el("td", { text: seg ? String(e.ack[k]) : "" })));
    }
    TV.body.append(IB.el("h3", { text: IB.t("transitions") }), tb);
    plot(c, "plot_cwnd", (e, k) => e.cwnd[k]);
    plot(c, "plot_rtt", (e, k) => e.srtt[k] / 1000);
    plot(c, "plot_inflight", (e, k) => e.inflight[k]);
  }

  // A step plot of field over time for both ends; at most one point per
  // pixel column and end (the column's min and max), whatever the samples.
  function plot(c, title, field) {
    const W = 760, H = 180, L = 64, B = 26;
    // TIME_WAIT and after carry no data: they would stretch the time axis
    // (2*MSL) and squash the transfer into its first pixels.
    const live = (e, k) => e.new[k] !== 0 && e.new[k] !== 10;
    let t0 = Infinity, t1 = -Infinity, y1 = 0;
    for (const e of c.ends) e.t.forEach((t, k) => {
      if (!live(e, k)) return;
      t0 = Math.min(t0, t); t1 = Math.max(t1, t); y1 = Math.max(y1, field(e, k));
    });
    if (!(t1 > t0)) t1 = t0 + 1;
    if (!y1) y1 = 1;
    const sx = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - 10);
    const sy = (v) => H - B - (v / y1) * (H - B - 10);
    const svg = IB.svg("svg", { width: W, height: H, class: "plot", "data-plot": title });
    svg.append(IB.svg("line", { x1: L, y1: H - B, x2: W - 10, y2: H - B, stroke: "#9ca3af" }),
      IB.svg("line", { x1: L, y1: 10, x2: L, y2: H - B, stroke: "#9ca3af" }));
    for (let k = 0; k <= 4; k++) {
      const v = (y1 * k) / 4, t = t0 + ((t1 - t0) * k) / 4;
      const ty = IB.svg("text", { x: L - 4, y: sy(v) + 3, "text-anchor": "end" });
      ty.textContent = v >= 1000 ? Math.round(v).toLocaleString("en") : +v.toFixed(2);
      const tx = IB.svg("text", { x: sx(t), y: H - 8, "text-anchor": "middle" });
      tx.textContent = (t / 1e9).toFixed(3);
      svg.append(ty, tx);
    }
    c.ends.forEach((e, w) => {
      let d = "", lastX = -1, lo = 0, hi = 0, prevY = null;
      const flush = () => {
        if (lastX < 0) return;
        d += prevY === null ? `M${lastX} ${sy(lo)}` : `L${lastX} ${prevY}`;
        d += `L${lastX} ${sy(lo)}L${lastX} ${sy(hi)}`;
        prevY = sy(hi);
      };
      e.t.forEach((t, k) => {
        if (!live(e, k)) return;
        const px = Math.round(sx(t)), v = field(e, k);
        if (px !== lastX) { flush(); lastX = px; lo = hi = v; } else { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      });
      flush();
      if (d) svg.append(IB.svg("path", { d, fill: "none", stroke: END_COLORS[w], "stroke-width": 1.4 }));
    });
    TV.body.append(IB.el("h3", { text: IB.t(title) + " — " + IB.t("time_s") }), svg);
  }
})();
