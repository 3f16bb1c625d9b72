// The sequence diagram: one lane per node (those the filtered frames
// touch, in the topology's order), one row per frame with an arrow from
// the sender's lane to the receiver's, like a flow graph. Rows are a
// virtual list; a lost frame's arrow stops half way with a cross.
(function () {
  const M = IB.M;
  const S = {};
  IB.sequence = S;
  const LANE = 104, TIME = 92, ROW = 24;
  const COLORS = ["#2563eb", "#0891b2", "#65a30d", "#7c3aed", "#9333ea", "#d97706", "#db2777", "#6b7280"];

  S.mount = function (root) {
    S.head = IB.el("div", { class: "shead", "data-h": "34" });
    S.list = new IB.VList(root, ROW, row, S.head);
  };

  S.refresh = function () {
    if (!S.list) return;
    const used = new Uint8Array(M.d.nodes.length + 1);
    for (const i of IB.view) { used[M.fromNode[i]] = 1; used[M.toNode[i]] = 1; }
    S.lanes = new Int32Array(M.d.nodes.length + 1).fill(-1);
    const names = [];
    for (let n = 0; n <= M.d.nodes.length; n++) if (used[n]) { S.lanes[n] = names.length; names.push(M.nodeName(n)); }
    const width = TIME + names.length * LANE;
    S.head.replaceChildren(...names.map((nm, k) => IB.el("span", { style: `left:${TIME + k * LANE}px;width:${LANE}px`, text: nm, title: nm })));
    S.head.style.width = width + "px";
    S.list.setWidth(width);
    // The lanes' vertical lines, drawn once as a background.
    S.list.spacer.style.background =
      `repeating-linear-gradient(to right, transparent 0 ${LANE / 2 - 1}px, #e5e7eb ${LANE / 2 - 1}px ${LANE / 2}px, transparent ${LANE / 2}px ${LANE}px) ${TIME}px 0 / ${names.length * LANE}px 100% no-repeat`;
    S.list.setCount(IB.view.length);
  };

  const x = (node) => TIME + S.lanes[node] * LANE + LANE / 2;

  function row(el, k) {
    const i = IB.view[k];
    const fr = M.d.frames;
    el.classList.add("srow");
    if (i === IB.sel) el.classList.add("sel");
    else if (IB.journey && fr.j[i] === IB.journey) el.classList.add("same");
    el.append(IB.el("span", { class: "t", text: IB.sec(fr.t[i]) }));
    const x1 = x(M.fromNode[i]), x2 = x(M.toNode[i]);
    const lost = (fr.fl[i] & 9) !== 0;
    const dropped = fr.drop[i] >= 0;
    const color = COLORS[M.proto[i]];
    const dir = x2 >= x1 ? 1 : -1;
    const xe = lost ? (x1 + x2) / 2 : x2;
    const svg = IB.svg("svg", { width: Math.max(x1, x2) + 4, height: ROW });
    const y = ROW - 6;
    svg.append(IB.svg("line", { x1, y1: y, x2: xe - dir * 5, y2: y, stroke: color, "stroke-width": 1.6, "stroke-dasharray": lost ? "4 3" : "" }));
    if (lost) svg.append(IB.svg("path", { d: `M${xe - 4} ${y - 4} l8 8 M${xe + 4} ${y - 4} l-8 8`, stroke: "#dc2626", "stroke-width": 2 }));
    else svg.append(IB.svg("path", { d: `M${xe} ${y} l${-dir * 7} -4 v8 z`, fill: dropped ? "#dc2626" : color }));
    const d = M.dissect(i);
    const lx = Math.min(x1, x2) + 4;
    const label = IB.svg("text", { x: lx, y: y - 4, fill: "#111827" });
    label.textContent = IB.sequence.label(d);
    svg.append(label);
    el.append(svg);
    el.title = `#${i + 1} ${M.nodeName(M.fromNode[i])} → ${M.nodeName(M.toNode[i])}: ${d.summary}`;
    el.onclick = () => IB.select(i);
  }

  // "DNS Standard query ...", without repeating a protocol the summary names.
  S.label = (d) => (d.summary.includes(d.proto) ? d.summary : `${d.proto} ${d.summary}`);

  // Scrolls to row k, and sideways to its arrow.
  S.reveal = function (k) {
    if (!S.list) return;
    S.list.scrollTo(k);
    const i = IB.view[k];
    const box = S.list.box;
    const x1 = Math.min(x(M.fromNode[i]), x(M.toNode[i]));
    const x2 = Math.max(x(M.fromNode[i]), x(M.toNode[i]));
    if (x1 < box.scrollLeft + TIME || x2 > box.scrollLeft + box.clientWidth)
      box.scrollLeft = Math.max(0, x1 - TIME - LANE / 2);
  };
})();
