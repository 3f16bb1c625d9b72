// The packet list (a virtual list of the filtered frames) and the detail
// pane: the selected frame's dissection tree beside its bytes in hex, each
// colored by the OSI layer of the field it belongs to. Clicking a field
// marks its bytes; clicking a byte opens the innermost field holding it.
(function () {
  const M = IB.M;
  const P = {};
  IB.packets = P;

  const COLS = ["no", "time", "from", "to", "proto", "len", "info"];

  P.mount = function (root) {
    const head = IB.el("div", { class: "prow phead", "data-h": "23" });
    for (const c of COLS) head.append(IB.el("span", { class: "c-" + c, "data-i18n": "col_" + c }));
    P.list = new IB.VList(root, 22, row, head);
    IB.applyI18n(head);
  };

  function row(el, k) {
    const i = IB.view[k];
    const fr = M.d.frames;
    const d = M.dissect(i);
    el.classList.add("prow");
    if (i === IB.sel) el.classList.add("sel");
    const fate = fr.fl[i] & 9 ? " lost" : fr.drop[i] >= 0 ? " dropped" : "";
    el.append(
      IB.el("span", { class: "c-no", text: String(i + 1) }),
      IB.el("span", { class: "c-time", text: IB.sec(fr.t[i]) }),
      IB.el("span", { class: "c-from", text: M.nodeName(M.fromNode[i]) }),
      IB.el("span", { class: "c-to" + fate, text: M.nodeName(M.toNode[i]) }),
      IB.el("span", { class: "c-proto", text: d.proto }),
      IB.el("span", { class: "c-len", text: String(fr.len[i]) }),
      IB.el("span", { class: "c-info", text: d.summary }));
    el.onclick = () => IB.select(i);
  }

  P.refresh = function () {
    if (P.list) P.list.setCount(IB.view.length);
  };
  P.reveal = function (k) {
    if (P.list) P.list.scrollTo(k);
  };

  // ---- the detail pane ----

  let fields = []; // leaves and inner fields in tree order, for byte lookup
  let byteLayer = null;

  P.show = function (i) {
    const fr = M.d.frames;
    const head = document.getElementById("detail-head");
    const tree = document.getElementById("tree");
    const hexEl = document.getElementById("hex");
    if (i < 0) {
      head.textContent = IB.t("detail_empty");
      tree.replaceChildren();
      hexEl.replaceChildren();
      return;
    }
    const bytes = M.bytes(i);
    const d = M.dissect(i);
    const notes = [];
    if (fr.fl[i] & 1) notes.push(IB.t("lost"));
    if (fr.fl[i] & 2) notes.push(IB.t("duplicate"));
    if (fr.fl[i] & 4) notes.push(IB.t("corrupted"));
    if (fr.fl[i] & 8) notes.push(IB.t("down"));
    if (fr.drop[i] >= 0) {
      const dr = M.d.drops[fr.drop[i]];
      notes.push(IB.t("dropped", M.d.nodes[dr[1]].name, dr[4]));
    }
    const hops = M.journeyFrames(i).filter((k) => k !== i);
    head.replaceChildren(...[
      IB.el("div", { text: IB.t("frame_title", i + 1, fr.len[i], bytes.length) }),
      IB.el("div", { class: "muted", text: IB.t("frame_path", M.nodeName(M.fromNode[i]), M.ifaceName(fr.from[i]), M.nodeName(M.toNode[i]), M.ifaceName(fr.to[i])) }),
      IB.el("div", { class: "muted", text: IB.t("sent_at", IB.sec(fr.t[i])) + (fr.rx[i] >= 0 && !(fr.fl[i] & 9) ? " · " + IB.t("arrived_at", IB.sec(fr.rx[i])) : "") }),
      notes.length ? IB.el("div", { class: "lost", text: notes.join(" · ") }) : null,
      hops.length ? hopLinks(hops) : null].filter(Boolean));
    fields = [];
    tree.className = "tree";
    tree.replaceChildren(list(d.root.kids, 0));
    byteLayer = new Uint8Array(bytes.length).fill(1);
    paint(d.root);
    hexEl.replaceChildren(hexView(bytes));
  };

  function hopLinks(hops) {
    const el = IB.el("div", { class: "pk muted" }, IB.t("same_journey", ""));
    for (const k of hops.slice(0, 40)) el.append(IB.el("a", { text: "#" + (k + 1), onclick: () => IB.select(k, { reveal: true }) }));
    return el;
  }

  // Each byte takes the layer of the innermost field covering it.
  function paint(f) {
    for (const k of f.kids) {
      for (let b = k.off; b < k.off + k.len && b < byteLayer.length; b++) byteLayer[b] = k.layer;
      paint(k);
    }
  }

  function list(kids, depth) {
    const ul = IB.el("ul");
    for (const f of kids) {
      const label = f.value !== "" ? `${f.name}: ${f.value}` : f.name;
      const span = IB.el(f.kids.length ? "summary" : "span", { class: "l" + f.layer, text: label, title: `bytes ${f.off}–${f.off + f.len - 1}` });
      span.addEventListener("click", () => mark(f, span));
      f.el = span;
      fields.push(f);
      if (f.kids.length) {
        const det = IB.el("details", null, span, list(f.kids, depth + 1));
        if (depth === 0) det.open = true;
        ul.append(IB.el("li", null, det));
      } else ul.append(IB.el("li", null, span));
    }
    return ul;
  }

  function mark(f, span) {
    for (const el of document.querySelectorAll("#tree .sel, #hex .sel")) el.classList.remove("sel");
    span.classList.add("sel");
    for (let b = f.off; b < f.off + f.len; b++) {
      const el = document.getElementById("b" + b);
      if (el) el.classList.add("sel");
    }
  }

  function clickByte(b) {
    let best = null;
    // The smallest field holding b (the outer one of equals), bit fields
    // aside: a byte of flags opens the flags, not one bit.
    for (const f of fields)
      if (!f.bit && b >= f.off && b < f.off + f.len && (!best || f.len < best.len)) best = f;
    if (!best) return;
    for (let e = best.el.parentElement; e && e.id !== "tree"; e = e.parentElement) if (e.tagName === "DETAILS") e.open = true;
    mark(best, best.el);
    best.el.scrollIntoView({ block: "nearest" });
  }

  function hexView(bytes) {
    const frag = document.createDocumentFragment();
    for (let o = 0; o < bytes.length; o += 16) {
      frag.append(IB.el("span", { class: "off", text: o.toString(16).padStart(4, "0") + "  " }));
      let ascii = "";
      for (let k = 0; k < 16; k++) {
        if (o + k >= bytes.length) { frag.append("   "); continue; }
        const b = bytes[o + k];
        const s = IB.el("span", { class: "b l" + byteLayer[o + k], id: "b" + (o + k), text: b.toString(16).padStart(2, "0") });
        s.addEventListener("click", () => clickByte(o + k));
        frag.append(s, k === 7 ? "  " : " ");
        ascii += b >= 32 && b < 127 ? String.fromCharCode(b) : ".";
      }
      frag.append(" " + ascii + "\n");
    }
    return frag;
  }
})();
