// A virtual list: a scrolling box as tall as all its rows, in which only
// the rows on screen (and a few around) exist as elements, reused as it
// scrolls, so that 100,000 rows cost what 50 do.
(function () {
  class VList {
    // render(el, i) fills the row element el for row i; header, if given,
    // stays on top (position: sticky) and its height counts.
    constructor(parent, rowHeight, render, header) {
      this.h = rowHeight;
      this.render = render;
      this.n = 0;
      this.box = IB.el("div", { class: "vlist" });
      if (header) this.box.append(header);
      this.top = header ? header.offsetHeight || parseInt(header.dataset.h || "0", 10) : 0;
      this.spacer = IB.el("div", { class: "vspacer" });
      this.box.append(this.spacer);
      parent.append(this.box);
      this.rows = new Map(); // row index -> element
      this.pending = false;
      this.box.addEventListener("scroll", () => this.schedule());
      new ResizeObserver(() => this.schedule()).observe(this.box);
    }
    setCount(n) {
      this.n = n;
      this.spacer.style.height = n * this.h + "px";
      this.redraw();
    }
    setWidth(w) { this.spacer.style.width = w ? w + "px" : ""; }
    schedule() {
      if (this.pending) return;
      this.pending = true;
      requestAnimationFrame(() => { this.pending = false; this.draw(); });
    }
    // Every row on screen drawn again (data or selection changed), in the
    // same elements.
    redraw() {
      for (const [i, el] of this.rows) {
        if (i >= this.n) { el.remove(); this.rows.delete(i); continue; }
        el.className = "vrow";
        el.replaceChildren();
        this.render(el, i);
      }
      this.draw();
    }
    draw() {
      const first = Math.max(0, Math.floor(this.box.scrollTop / this.h) - 5);
      const last = Math.min(this.n, Math.ceil((this.box.scrollTop + this.box.clientHeight) / this.h) + 5);
      const spare = [];
      for (const [i, el] of this.rows) if (i < first || i >= last) { spare.push(el); this.rows.delete(i); }
      for (let i = first; i < last; i++) {
        if (this.rows.has(i)) continue;
        let el = spare.pop();
        if (!el) { el = IB.el("div", { class: "vrow" }); this.spacer.append(el); }
        el.style.top = i * this.h + "px";
        el.style.height = this.h + "px";
        el.dataset.row = i;
        el.className = "vrow";
        el.replaceChildren();
        this.render(el, i);
        this.rows.set(i, el);
      }
      for (const el of spare) el.remove();
    }
    // Scrolls so that row i is on screen, a third from the top.
    scrollTo(i) {
      const y = i * this.h - this.box.clientHeight / 3;
      this.box.scrollTop = Math.max(0, y);
      this.draw();
    }
  }
  IB.VList = VList;
})();
