// The report in a real browser (Debian's chromium, headless, driven by
// playwright-core): node browser.js JOURNEY.html BIG.html ARTIFACTS_DIR.
// Checks what a learner does with the journey's report: every story step
// is there, the first SYN's layers show its flags and ports with their
// bytes marked, the page switches to Korean, a connection's state timeline
// shows both ends; and that a 100,000-frame report opens and scrolls.
// Screenshots are kept in ARTIFACTS_DIR. Prints "N passed, N failed".
"use strict";
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { chromium } = require("playwright-core");

const [journeyHtml, bigHtml, artifacts] = process.argv.slice(2);
let passed = 0, failed = 0;

// The data object the page embeds.
function dataOf(file) {
  const html = fs.readFileSync(file, "utf8");
  const m = html.match(/<script type="application\/json" id="ib-data">([^]*?)<\/script>/);
  return JSON.parse(m[1]);
}

async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}\n  ${String(e.stack || e).split("\n").join("\n  ")}`);
  }
}

async function open(browser, file, hash) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(e.message));
  await page.goto("file://" + path.resolve(file) + (hash || ""));
  await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
  return page;
}

async function journey(browser) {
  const data = dataOf(journeyHtml);
  const page = await open(browser, journeyHtml);

  await check("every story step is there, with its lines", async () => {
    const steps = await page.$$eval("#story h2.story-step", (hs) => hs.map((h) => h.childNodes[0].textContent));
    assert.deepEqual(steps, data.story.steps.map((s) => s.en));
    assert.equal(steps.length, 10);
    const lines = await page.$$eval("#story .sline", (ls) => ls.length);
    assert.equal(lines, data.story.lines.length);
    await page.screenshot({ path: path.join(artifacts, "journey-story.png") });
  });

  await check("a story line links to its frames", async () => {
    // Step 8, the handshake: the client's first line sends the SYN.
    const link = page.locator('#story h2[data-step="8"] ~ .sline .pk a', { hasText: "→" }).first();
    await link.click();
    await page.waitForSelector("#view-sequence.on .vrow.sel");
    assert.match(await page.textContent("#view-sequence .vrow.sel"), /\[SYN\]/);
  });

  await check("the first SYN shows its flags, ports and bytes", async () => {
    await page.click('#tabs button[data-view="packets"]');
    await page.selectOption("#f-proto", { label: "TCP" });
    const row = page.locator("#view-packets .vrow", { hasText: "[SYN]" }).first();
    const info = await row.locator(".c-info").textContent();
    await row.click();
    const tree = await page.textContent("#tree");
    for (const layer of ["Ethernet II", "Internet Protocol Version 4", "Transmission Control Protocol"])
      assert.ok(tree.includes(layer), layer);
    assert.match(tree, /Flags: 0x002 \(SYN\)/);
    const m = info.match(/^(\d+) → 80 \[SYN\]/);
    assert.ok(m, info);
    assert.ok(tree.includes(`Source port: ${m[1]}`));
    assert.ok(tree.includes("Destination port: 80"));
    assert.match(tree, /Maximum segment size: \d+/);
    // Layers are colored: the TCP fields are layer 4, the IP ones layer 3.
    assert.equal(await page.getAttribute('#tree summary:has-text("Transmission Control Protocol")', "class"), "l4");
    // Clicking a field marks its bytes in the hex view: the ports, 2 bytes.
    await page.click('#tree span:has-text("Destination port: 80")');
    const marked = await page.$$eval("#hex .sel", (bs) => bs.map((b) => b.textContent));
    assert.deepEqual(marked, ["00", "50"]);
    // Clicking a byte opens the innermost field holding it.
    await page.click("#hex #b47");
    assert.match(await page.textContent("#tree .sel"), /^Flags: 0x002 \(SYN\)/);
    await page.screenshot({ path: path.join(artifacts, "journey-syn.png") });
  });

  await check("the sequence diagram filters by node and connection", async () => {
    await page.selectOption("#f-proto", "-1");
    await page.click('#tabs button[data-view="sequence"]');
    await page.selectOption("#f-conn", "0");
    const lanes = await page.$$eval("#view-sequence .shead span", (s) => s.map((x) => x.textContent));
    assert.equal(lanes[0], "laptop");
    assert.ok(lanes.includes("www"));
    const count = await page.textContent("#f-count");
    const shown = +count.match(/\d+/)[0];
    assert.ok(shown > 10 && shown < data.frames.n, count);
    await page.selectOption("#f-conn", "-1");
    await page.selectOption("#f-node", { label: "www" });
    const rows = await page.$$eval("#view-sequence .vrow", (r) => r.map((x) => x.title));
    assert.ok(rows.length > 0 && rows.every((t) => t.includes("www")), rows[0]);
    await page.selectOption("#f-node", "-1");
  });

  await check("the page switches to Korean", async () => {
    await page.selectOption("#lang", "ko");
    assert.equal(await page.textContent('#tabs button[data-view="story"]'), "이야기");
    await page.click('#tabs button[data-view="story"]');
    const first = await page.textContent("#story h2.story-step");
    assert.ok(first.startsWith(data.story.steps[0].ko), first);
    assert.match(await page.textContent("#story .body"), /[\uac00-\ud7a3]/);
    await page.screenshot({ path: path.join(artifacts, "journey-story-ko.png") });
  });

  await check("a connection's state timeline shows both ends", async () => {
    await page.click('#tabs button[data-view="tcp"]');
    await page.click("#tcp .conns div[data-conn='0']");
    const states = await page.$$eval("#tcp .timeline g.state", (g) => g.map((x) => x.dataset.state));
    for (const s of ["SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1", "TIME_WAIT", "LAST_ACK", "CLOSED"])
      assert.ok(states.includes(s), s);
    const changes = await page.$$eval("#tcp table.transitions tr", (r) => r.slice(1).map((x) => x.cells[2].textContent));
    assert.equal(changes[0], "CLOSED → SYN_SENT");
    assert.ok(changes.includes("LISTEN → SYN_RECEIVED"));
    assert.ok(changes.includes("FIN_WAIT_2 → TIME_WAIT"));
    const plots = await page.$$eval("#tcp svg.plot", (p) => p.map((x) => x.querySelectorAll("path").length));
    assert.deepEqual(plots, [2, 2, 2]);
    await page.screenshot({ path: path.join(artifacts, "journey-tcp-ko.png"), fullPage: true });
  });

  await check("a node's tables follow the time slider", async () => {
    await page.selectOption("#lang", "en");
    await page.click('#tabs button[data-view="topology"]');
    await page.click('#topo g.node[data-node="laptop"] rect');
    await page.waitForSelector("#view-tables.on #tables");
    let text = await page.textContent("#tables");
    assert.match(text, /192\.168\.0\.100\/24/);
    assert.match(text, /0\.0\.0\.0\/0.*192\.168\.0\.1/);
    await page.fill("#t-time", "0");
    await page.dispatchEvent("#t-time", "input");
    text = await page.textContent("#tables");
    assert.match(text, /not configured yet/);
    await page.selectOption("#t-node", { label: "home-router (router)" });
    await page.fill("#t-time", String(await page.getAttribute("#t-time", "max")));
    await page.dispatchEvent("#t-time", "input");
    assert.match(await page.textContent("#tables"), /NAT mappings[^]*192\.168\.0\.100:\d+/);
    // The resolver's cache: the referrals and the answer it followed.
    await page.selectOption("#t-node", { label: "isp-dns (host)" });
    text = await page.textContent("#tables");
    for (const rr of [/comNSa\.gtld-servers\.net/, /google\.comNSns1\.google\.com/, /www\.google\.comA142\.250\.196\.100/])
      assert.match(text, rr);
    await page.screenshot({ path: path.join(artifacts, "journey-tables.png") });
  });

  await check("the journey page raised no script error", async () => assert.deepEqual(page.errors, []));
  await page.close();
}

async function big(browser) {
  const data = dataOf(bigHtml);
  let page;
  await check("a 100,000-frame report opens", async () => {
    assert.ok(data.frames.n >= 100000, String(data.frames.n));
    const t0 = Date.now();
    page = await open(browser, bigHtml, "#sequence");
    await page.waitForSelector("#view-sequence .vrow");
    const ms = Date.now() - t0;
    console.log(`# first render of ${data.frames.n} frames: ${ms} ms`);
    assert.ok(ms < 60000);
    // Only the rows on screen exist.
    assert.ok((await page.$$("#view-sequence .vrow")).length < 200);
  });

  await check("it scrolls to the middle and the end without freezing", async () => {
    for (const where of [0.5, 1]) {
      const t0 = Date.now();
      const rows = await page.evaluate((f) => new Promise((done) => {
        const box = document.querySelector("#view-sequence .vlist");
        box.scrollTop = (box.scrollHeight - box.clientHeight) * f;
        requestAnimationFrame(() => requestAnimationFrame(() =>
          done([...document.querySelectorAll("#view-sequence .vrow")].map((r) => +r.dataset.row))));
      }), where);
      console.log(`# scroll to ${where * 100}%: ${Date.now() - t0} ms`);
      assert.ok(Date.now() - t0 < 10000);
      const mid = Math.round((data.frames.n - 1) * where);
      assert.ok(Math.min(...rows) <= mid && Math.max(...rows) >= mid - 60, `${Math.min(...rows)}..${Math.max(...rows)}`);
    }
    await page.screenshot({ path: path.join(artifacts, "big-sequence.png") });
  });

  await check("its packet list and filters answer", async () => {
    await page.click('#tabs button[data-view="packets"]');
    await page.selectOption("#f-proto", { label: "ARP" });
    const count = await page.textContent("#f-count");
    assert.match(count, /^\d+ of \d+ frames$/);
    await page.locator("#view-packets .vrow").first().click();
    assert.match(await page.textContent("#tree"), /Address Resolution Protocol/);
    assert.deepEqual(page.errors, []);
  });
  if (page) await page.close();
}

(async () => {
  fs.mkdirSync(artifacts, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu"],
  });
  try {
    await journey(browser);
    await big(browser);
  } finally {
    await browser.close();
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})().catch((e) => {
  console.log(String(e.stack || e));
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
