// The story: its title, the steps as headings (with a list to jump to
// them), and each line with its time, node and layer, linked to the frames
// it speaks of. A step's heading links to all its frames: the sequence
// diagram filtered to that step.
(function () {
  const M = IB.M;
  const ST = {};
  IB.story = ST;

  ST.mount = function (root) {
    ST.root = root;
  };

  ST.refresh = function () {
    const s = M.d.story;
    if (!s) {
      ST.root.replaceChildren(IB.el("p", { style: "padding:12px", text: IB.t("no_story") }));
      return;
    }
    const lang = IB.lang;
    const nav = IB.el("nav");
    const body = IB.el("div", { class: "body" }, IB.el("h1", { style: "font-size:19px", text: s.title[lang] }));
    for (const step of s.steps) {
      const frames = M.stepFrames(step.n);
      const id = "step-" + step.n;
      nav.append(IB.el("a", { text: step[lang], onclick: () => document.getElementById(id).scrollIntoView() }));
      const h = IB.el("h2", { id, class: "story-step", "data-step": step.n }, step[lang]);
      if (frames.length)
        h.append(IB.el("a", { class: "pk", text: IB.t("packets_n", frames.length), onclick: () => IB.showStep(step.n) }));
      body.append(h);
      for (const l of s.lines) if (l.step === step.n) body.append(line(l));
    }
    ST.root.replaceChildren(IB.el("div", { id: "story" }, nav, body));
  };

  function line(l) {
    const text = l[IB.lang];
    if (l.note) return IB.el("div", { class: "sline note" }, text);
    const frames = M.storyFrames(l);
    const links = IB.el("div", { class: "pk" });
    // Frames the node sent then are "→#n", those it received "←#n".
    const node = M.nodeIndex.get(l.node);
    for (const i of frames.slice(0, 12)) {
      const sent = M.fromNode[i] === node && M.d.frames.t[i] === l.t;
      links.append(IB.el("a", { text: `${sent ? "→" : "←"}#${i + 1}`, "data-frame": i, title: M.dissect(i).summary,
        onclick: () => IB.select(i, { reveal: true, view: "sequence" }) }));
    }
    return IB.el("div", { class: "sline" },
      IB.el("span", { class: "tm", text: IB.sec(l.t) }),
      IB.el("span", { text: l.node }),
      IB.el("span", null, l.layer ? IB.el("span", { class: "badge l" + l.layer, text: "L" + l.layer, title: IB.t("layer" + l.layer) }) : null),
      IB.el("div", null, text, frames.length ? links : null));
  }
})();
