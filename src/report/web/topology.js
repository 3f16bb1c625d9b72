// The topology as a diagram: nodes placed in layers by their distance (in
// links) from the story's client, or from the first host, each layer a
// column; a long chain of layers wraps back and forth in rows (a snake),
// so that an internet path stays on screen. Hosts are boxes, routers
// circles, switches flat boxes; interfaces show their addresses.
(function () {
  const M = IB.M;
  const T = {};
  IB.topology = T;
  const COLW = 190, ROWH = 92, MAXCOLS = 6;
  const FILL = { host: "#dbeafe", router: "#dcfce7", switch: "#fef3c7", outside: "#e5e7eb" };

  function graph() {
    const d = M.d;
    const n = d.nodes.length;
    const adj = Array.from({ length: n + 1 }, () => []);
    const edges = [];
    for (const l of d.links) {
      const a = d.ifaces[l.a].node, b = d.ifaces[l.b].node;
      adj[a].push(b); adj[b].push(a);
      edges.push({ a, b, l });
    }
    // Interfaces on no simulated link lead outside (live mode).
    let outside = false;
    d.ifaces.forEach((f, i) => {
      if (f.link < 0 && d.nodes[f.node].kind !== "switch" && M.n && (d.frames.from.includes(i) || d.frames.to.includes(i))) {
        adj[f.node].push(n); adj[n].push(f.node);
        edges.push({ a: f.node, b: n, l: null });
        outside = true;
      }
    });
    return { n: outside ? n + 1 : n, adj, edges };
  }

  function layout(g) {
    const d = M.d;
    const level = new Int32Array(g.n).fill(-1);
    const order = [];
    let root = d.story ? d.nodes.findIndex((x) => d.story.lines.some((l) => l.node === x.name)) : -1;
    if (root < 0) root = Math.max(0, d.nodes.findIndex((x) => x.kind === "host"));
    let base = 0;
    const starts = [root, ...Array.from({ length: g.n }, (_, i) => i)];
    for (const s of starts) {
      if (s >= g.n || level[s] >= 0) continue;
      level[s] = base;
      const q = [s];
      for (let h = 0; h < q.length; h++) {
        order.push(q[h]);
        for (const m of g.adj[q[h]]) if (level[m] < 0) { level[m] = level[q[h]] + 1; q.push(m); }
      }
      base = Math.max(...q.map((v) => level[v])) + 1;
    }
    const layers = [];
    for (const v of order) (layers[level[v]] ||= []).push(v);
    // Order within a layer by the mean position of the neighbours before it.
    const pos = new Float64Array(g.n);
    layers.forEach((ly) => {
      for (const v of ly) {
        const prev = g.adj[v].filter((m) => level[m] === level[v] - 1);
        pos[v] = prev.length ? prev.reduce((s, m) => s + pos[m], 0) / prev.length : 0;
      }
      ly.sort((a, b) => pos[a] - pos[b]);
      ly.forEach((v, k) => (pos[v] = k));
    });
    const xy = [];
    const rows = Math.ceil(layers.length / MAXCOLS);
    let top = 40;
    for (let r = 0; r < rows; r++) {
      const chunk = layers.slice(r * MAXCOLS, (r + 1) * MAXCOLS);
      const tall = Math.max(...chunk.map((ly) => ly.length));
      chunk.forEach((ly, c) => {
        const col = r % 2 ? MAXCOLS - 1 - c : c;
        ly.forEach((v, k) => (xy[v] = [80 + col * COLW, top + (k + (tall - ly.length) / 2) * ROWH]));
      });
      top += tall * ROWH + 40;
    }
    return { xy, height: top, width: 80 + Math.min(layers.length, MAXCOLS) * COLW };
  }

  T.mount = function (root) {
    T.root = IB.el("div", { id: "topo" });
    root.append(T.root);
  };

  T.refresh = function () {
    const d = M.d;
    const g = graph();
    const { xy, height, width } = layout(g);
    const svg = IB.svg("svg", { width, height, viewBox: `0 0 ${width} ${height}` });
    for (const e of g.edges) {
      const [x1, y1] = xy[e.a], [x2, y2] = xy[e.b];
      const line = IB.svg("line", { x1, y1, x2, y2, stroke: "#9ca3af", "stroke-width": 2 });
      if (e.l) {
        const t = IB.svg("title");
        t.textContent = `${M.ifaceName(e.l.a)} — ${M.ifaceName(e.l.b)}: ${rate(e.l.rate)}, ${e.l.delay / 1e3} µs` +
          (e.l.loss ? `, loss ${e.l.loss}` : "");
        line.append(t);
      }
      svg.append(line);
    }
    for (let v = 0; v < g.n; v++) {
      if (!xy[v]) continue;
      const kind = v < d.nodes.length ? d.nodes[v].kind : "outside";
      const [cx, cy] = xy[v];
      const grp = IB.svg("g", { class: "node", "data-node": v < d.nodes.length ? d.nodes[v].name : "" });
      if (kind === "router") grp.append(IB.svg("circle", { cx, cy, r: 17, fill: FILL.router, stroke: "#16a34a" }));
      else if (kind === "switch") grp.append(IB.svg("rect", { x: cx - 22, y: cy - 10, width: 44, height: 20, rx: 3, fill: FILL.switch, stroke: "#d97706" }));
      else grp.append(IB.svg("rect", { x: cx - 18, y: cy - 14, width: 36, height: 28, rx: 6, fill: FILL[kind], stroke: "#2563eb" }));
      const name = IB.svg("text", { x: cx, y: cy + 4, "text-anchor": "middle", "font-weight": 600 });
      name.textContent = kind === "router" ? "R" : kind === "switch" ? "SW" : kind === "host" ? "H" : "…";
      grp.append(name);
      const label = IB.svg("text", { x: cx, y: cy + 31, "text-anchor": "middle" });
      label.textContent = M.nodeName(v);
      grp.append(label);
      let ly = cy + 44;
      d.ifaces.forEach((f) => {
        if (f.node !== v || f.addr === "0.0.0.0") return;
        const a = IB.svg("text", { x: cx, y: ly, "text-anchor": "middle", class: "addr" });
        a.textContent = `${f.name} ${f.addr}/${f.plen}`;
        grp.append(a);
        ly += 12;
      });
      if (v < d.nodes.length) grp.addEventListener("click", () => IB.showTables(v));
      svg.append(grp);
    }
    T.root.replaceChildren(IB.el("div", { class: "muted", style: "padding:6px 12px", text: IB.t("click_node") }), svg);
  };

  function rate(bps) {
    if (!bps) return "unlimited";
    return bps >= 1e9 ? bps / 1e9 + " Gbit/s" : bps >= 1e6 ? bps / 1e6 + " Mbit/s" : bps / 1e3 + " kbit/s";
  }
})();
