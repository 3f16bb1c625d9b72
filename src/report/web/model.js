// The run's data (the JSON the report embeds; src/report/web/README.md) and
// what the views derive from it: each frame's sender and receiver nodes, a
// quick protocol class and TCP connection for filtering (read straight from
// the hex, so that 100,000 frames classify in a blink), the TCP connections
// with both their ends, and the frames a story line speaks of.
(function () {
  const M = {};
  IB.M = M;

  const PROTOS = ["ARP", "ICMP", "UDP", "DHCP", "DNS", "TCP", "HTTP", "other"];
  M.PROTOS = PROTOS;

  M.load = function (data) {
    M.d = data;
    const fr = data.frames;
    M.n = fr.n;
    M.outside = data.nodes.length; // a lane for frames from or to outside
    M.fromNode = new Int32Array(M.n);
    M.toNode = new Int32Array(M.n);
    for (let i = 0; i < M.n; i++) {
      M.fromNode[i] = fr.from[i] >= 0 ? data.ifaces[fr.from[i]].node : M.outside;
      M.toNode[i] = fr.to[i] >= 0 ? data.ifaces[fr.to[i]].node : M.outside;
    }
    classify();
    conns();
    M.cache = new Map();
  };

  M.nodeName = (n) => (n === M.outside ? IB.t("outside") : M.d.nodes[n].name);
  M.ifaceName = (i) => (i < 0 ? IB.t("outside") : `${M.d.nodes[M.d.ifaces[i].node].name}:${M.d.ifaces[i].name}`);

  // The bytes of frame i.
  M.bytes = function (i) {
    const h = M.d.frames.hex[i];
    const b = new Uint8Array(h.length >> 1);
    for (let k = 0; k < b.length; k++) b[k] = parseInt(h.substr(2 * k, 2), 16);
    return b;
  };

  // The dissection of frame i, kept for the rows on screen.
  M.dissect = function (i) {
    let r = M.cache.get(i);
    if (!r) {
      r = IB.dissect(M.bytes(i), M.d.frames.len[i]);
      if (M.cache.size > 2000) M.cache.clear();
      M.cache.set(i, r);
    }
    return r;
  };

  const ipOf = (h, o) => [0, 2, 4, 6].map((k) => parseInt(h.substr(o + k, 2), 16)).join(".");
  const key = (a, p, b, q) => (a + ":" + p < b + ":" + q ? `${a}:${p}-${b}:${q}` : `${b}:${q}-${a}:${p}`);

  // proto[i]: index into PROTOS; tuple[i]: the TCP 4-tuple key, or "".
  function classify() {
    const hex = M.d.frames.hex;
    M.proto = new Uint8Array(M.n);
    M.tuple = new Array(M.n);
    for (let i = 0; i < M.n; i++) {
      const h = hex[i];
      let p = 7, t = "";
      const type = h.substr(24, 4);
      if (type === "0806") p = 0;
      else if (type === "0800" && h.length >= 68) {
        const ihl = (parseInt(h[29], 16) * 4) * 2, proto = parseInt(h.substr(46, 2), 16);
        const frag = parseInt(h.substr(40, 4), 16) & 0x1fff;
        const o = 28 + ihl;
        if (proto === 1) p = 1;
        else if (frag) p = proto === 6 ? 5 : 2;
        else if ((proto === 17 || proto === 6) && h.length >= o + 8) {
          const sp = parseInt(h.substr(o, 4), 16), dp = parseInt(h.substr(o + 4, 4), 16);
          const has = (x) => sp === x || dp === x;
          if (proto === 17) p = has(67) || has(68) ? 3 : has(53) ? 4 : 2;
          else {
            const total = parseInt(h.substr(32, 4), 16);
            const thl = h.length >= o + 26 ? parseInt(h[o + 24], 16) * 4 : 20;
            const payload = total - ihl / 2 - thl;
            p = has(53) ? 4 : (has(80) || has(8080)) && payload > 0 ? 6 : 5;
            t = key(ipOf(h, 52), sp, ipOf(h, 60), dp);
          }
        }
      }
      M.proto[i] = p;
      M.tuple[i] = t;
    }
  }

  // TCP connections: each recorded end (node, local, remote) and the
  // logical connections pairing two ends. The ends of one connection may
  // see different addresses (NAT rewrites one side), so a pair is made
  // through the NAT mappings as well as by mirrored tuples.
  function conns() {
    const d = M.d;
    const ends = d.tcp.map((c, i) => ({ ...c, i, key: key(c.laddr, c.lport, c.raddr, c.rport) }));
    const natPub = new Map(); // inside addr:port > peer -> public addr:port
    for (const m of d.nat) if (m[2] === "map") natPub.set(`${m[4]}:${m[5]}>${m[8]}:${m[9]}`, `${m[6]}:${m[7]}`);
    M.conns = [];
    const used = new Set();
    for (const e of ends) {
      if (used.has(e)) continue;
      used.add(e);
      const seen = natPub.get(`${e.laddr}:${e.lport}>${e.raddr}:${e.rport}`) || `${e.laddr}:${e.lport}`;
      const other = ends.find((o) => !used.has(o) && `${o.laddr}:${o.lport}` === `${e.raddr}:${e.rport}` &&
        (`${o.raddr}:${o.rport}` === seen || natPub.get(`${o.laddr}:${o.lport}>${o.raddr}:${o.rport}`) === `${e.raddr}:${e.rport}`));
      if (other) used.add(other);
      // The end that opened (SYN_SENT first) is the client, listed first.
      const pair = [e, other].filter(Boolean);
      pair.sort((a, b) => opened(b) - opened(a));
      M.conns.push({ ends: pair, keys: new Set(pair.map((x) => x.key)) });
    }
    M.connOf = new Int32Array(M.n).fill(-1);
    const byKey = new Map();
    M.conns.forEach((c, ci) => c.keys.forEach((k) => byKey.set(k, ci)));
    for (let i = 0; i < M.n; i++) if (M.tuple[i]) M.connOf[i] = byKey.get(M.tuple[i]) ?? -1;
  }

  const opened = (e) => (e.new.length && e.new[0] === 2 ? 1 : 0); // SYN_SENT

  M.connName = function (c) {
    const a = c.ends[0];
    const b = c.ends[1];
    const far = b ? `${M.d.nodes[b.node].name} ${b.laddr}:${b.lport}` : `${a.raddr}:${a.rport}`;
    return `${M.d.nodes[a.node].name} ${a.laddr}:${a.lport} ⇄ ${far}`;
  };

  // The frames a story line speaks of: those its node sent or received at
  // that very moment (the simulator runs an event's consequences at the
  // same simulated time, so a message and its frame share their time).
  M.storyFrames = function (line) {
    if (!M.atTime) {
      M.atTime = new Map();
      const add = (t, i) => {
        const a = M.atTime.get(t);
        if (a) a.push(i); else M.atTime.set(t, [i]);
      };
      for (let i = 0; i < M.n; i++) {
        add(M.d.frames.t[i], i);
        if (M.d.frames.rx[i] !== M.d.frames.t[i] && M.d.frames.rx[i] >= 0) add(M.d.frames.rx[i], i);
      }
      M.nodeIndex = new Map(M.d.nodes.map((n, i) => [n.name, i]));
    }
    if (line.note) return [];
    const node = M.nodeIndex.get(line.node);
    const fr = M.d.frames;
    return (M.atTime.get(line.t) || []).filter((i) =>
      (M.fromNode[i] === node && fr.t[i] === line.t) || (M.toNode[i] === node && fr.rx[i] === line.t));
  };

  // The frames of a story step: those of its lines, in order.
  M.stepFrames = function (step) {
    const s = new Set();
    for (const l of M.d.story.lines) if (l.step === step) for (const i of M.storyFrames(l)) s.add(i);
    return Array.from(s).sort((a, b) => a - b);
  };

  // The frames passing a filter {proto, node, conn, step} (-1: any), as
  // an Int32Array of frame numbers.
  M.filter = function (f) {
    let only = null;
    if (f.step >= 0) only = new Set(M.stepFrames(f.step));
    const out = new Int32Array(M.n);
    let k = 0;
    for (let i = 0; i < M.n; i++) {
      if (f.proto >= 0 && M.proto[i] !== f.proto) continue;
      if (f.node >= 0 && M.fromNode[i] !== f.node && M.toNode[i] !== f.node) continue;
      if (f.conn >= 0 && M.connOf[i] !== f.conn) continue;
      if (only && !only.has(i)) continue;
      out[k++] = i;
    }
    return out.subarray(0, k);
  };

  // Frames carrying the same datagram (journey id) as frame i.
  M.journeyFrames = function (i) {
    const j = M.d.frames.j[i];
    if (!j) return [];
    if (!M.byJourney) {
      M.byJourney = new Map();
      M.d.frames.j.forEach((x, k) => {
        if (!x) return;
        const a = M.byJourney.get(x);
        if (a) a.push(k); else M.byJourney.set(x, [k]);
      });
    }
    return M.byJourney.get(j) || [];
  };
})();
