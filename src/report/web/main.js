// The page: reads the data, builds the model, and wires the tabs, the
// filters shared by the sequence diagram and the packet list, the selected
// frame and the language. Views are drawn when first shown and again when
// the language or the filter changes.
(function () {
  const M = IB.M;
  const VIEWS = { story: IB.story, sequence: IB.sequence, packets: IB.packets, topology: IB.topology, tcp: IB.tcpview, tables: IB.tables };
  const DETAIL = new Set(["story", "sequence", "packets"]);
  const mounted = new Set();
  const stale = new Set();
  let current = null;
  const filter = { proto: -1, node: -1, conn: -1, step: -1 };
  IB.sel = -1;
  IB.journey = 0;

  function show(name) {
    current = name;
    for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("on", b.dataset.view === name);
    for (const k in VIEWS) document.getElementById("view-" + k).classList.toggle("on", k === name);
    document.getElementById("detail").classList.toggle("on", DETAIL.has(name));
    document.getElementById("filters").style.display = name === "sequence" || name === "packets" ? "" : "none";
    const v = VIEWS[name];
    if (!mounted.has(name)) {
      v.mount(document.getElementById("view-" + name));
      mounted.add(name);
      stale.add(name);
    }
    if (stale.has(name)) {
      stale.delete(name);
      v.refresh();
    }
    location.hash = name;
  }
  IB.show = show;

  // Everything drawn again at the next showing; the current view now.
  function invalidate(names) {
    for (const n of names) stale.add(n);
    if (stale.has(current)) { stale.delete(current); VIEWS[current].refresh(); }
  }

  function fillFilters() {
    const opt = (sel, items, value) => {
      sel.replaceChildren(...items.map(([v, t]) => IB.el("option", { value: v, text: t })));
      sel.value = value;
    };
    const d = M.d;
    opt(document.getElementById("f-proto"), [[-1, IB.t("all")], ...M.PROTOS.map((p, i) => [i, p])], filter.proto);
    opt(document.getElementById("f-node"), [[-1, IB.t("any")], ...d.nodes.map((n, i) => [i, n.name])], filter.node);
    opt(document.getElementById("f-conn"), [[-1, IB.t("any")], ...M.conns.map((c, i) => [i, M.connName(c)])], filter.conn);
    opt(document.getElementById("f-step"), [[-1, IB.t("any")], ...(d.story ? d.story.steps.map((s) => [s.n, s[IB.lang]]) : [])], filter.step);
  }

  function applyFilter() {
    IB.view = M.filter(filter);
    document.getElementById("f-count").textContent = IB.t("shown", IB.view.length, M.n);
    invalidate(["sequence", "packets"]);
  }

  // Selects frame i: the detail pane shows it; with reveal, the current
  // list (or opts.view) scrolls to it, clearing a filter that hides it.
  IB.select = function (i, opts) {
    opts = opts || {};
    IB.sel = i;
    IB.journey = M.d.frames.j[i] || 0;
    if (opts.view && opts.view !== current) show(opts.view);
    let k = IB.view.indexOf(i);
    if (k < 0 && opts.reveal) {
      filter.proto = filter.node = filter.conn = filter.step = -1;
      fillFilters();
      applyFilter();
      k = IB.view.indexOf(i);
    }
    IB.packets.show(i);
    for (const v of [IB.sequence, IB.packets]) if (v.list) v.list.redraw();
    if (opts.reveal && k >= 0) (current === "packets" ? IB.packets : IB.sequence).reveal(k);
  };

  IB.showStep = function (step) {
    filter.proto = filter.node = filter.conn = -1;
    filter.step = step;
    fillFilters();
    applyFilter();
    show("sequence");
    if (IB.view.length) IB.select(IB.view[0]);
  };

  IB.showTables = function (node) {
    IB.tables.show(node);
    stale.add("tables");
    show("tables");
  };

  function setLang(lang) {
    IB.lang = lang;
    try { localStorage.setItem("inetbox-report-lang", lang); } catch (e) { /* file:// may refuse */ }
    document.getElementById("lang").value = lang;
    IB.applyI18n();
    header();
    fillFilters();
    document.getElementById("f-count").textContent = IB.t("shown", IB.view.length, M.n);
    if (IB.sel >= 0) IB.packets.show(IB.sel); else IB.packets.show(-1);
    invalidate(Object.keys(VIEWS));
  }

  function header() {
    const d = M.d;
    document.getElementById("title").textContent = d.story ? d.story.title[IB.lang] : d.title;
    document.getElementById("summary").textContent = d.live
      ? IB.t("summary_live", M.n, new Date(d.epoch / 1e6).toISOString())
      : IB.t("summary", d.nodes.length, d.links.length, M.n, (d.end / 1e9).toFixed(3));
    const notes = [];
    if (d.unrecorded_frames) notes.push(IB.t("unrecorded", d.unrecorded_frames));
    if (d.incomplete) notes.push(IB.t("incomplete"));
    document.getElementById("notice").textContent = notes.join(" · ");
  }

  function start() {
    M.load(JSON.parse(document.getElementById("ib-data").textContent));
    IB.view = M.filter(filter);
    for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => show(b.dataset.view));
    const bind = (id, k) => document.getElementById(id).addEventListener("change", (e) => { filter[k] = +e.target.value; applyFilter(); });
    bind("f-proto", "proto"); bind("f-node", "node"); bind("f-conn", "conn"); bind("f-step", "step");
    document.getElementById("lang").addEventListener("change", (e) => setLang(e.target.value));
    let lang = "en";
    try { lang = localStorage.getItem("inetbox-report-lang") || "en"; } catch (e) { /* ignored */ }
    setLang(lang === "ko" ? "ko" : "en");
    const want = location.hash.slice(1);
    show(VIEWS[want] ? want : M.d.story ? "story" : "sequence");
    document.body.dataset.ready = "1";
  }
  start();
})();
