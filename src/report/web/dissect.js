// Dissection of a frame from its bytes: Ethernet (IEEE 802.3), ARP (RFC 826),
// IPv4 (RFC 791), ICMP (RFC 792), UDP (RFC 768), TCP (RFC 9293 with the
// options of RFC 7323 and 2018), DHCP (RFC 2131/2132), DNS (RFC 1035) and
// HTTP/1.1 (RFC 9112). The result is a tree: every field with its name,
// value, byte range (offset and length in the frame) and OSI layer, plus a
// one-line summary and the protocol of the frame. A frame captured short
// (caplen < len) is dissected as far as its bytes go.
(function () {
  class Short extends Error {}

  // A tree node. Children inherit the layer.
  class F {
    constructor(name, value, off, len, layer) {
      this.name = name; this.value = value; this.off = off; this.len = len;
      this.layer = layer; this.kids = [];
      this.bit = false; // a bit field: shares its byte with others
    }
    add(name, value, off, len, layer) {
      const f = new F(name, value, off, len, layer ?? this.layer);
      this.kids.push(f);
      return f;
    }
  }

  // The bytes of a frame with bounds-checked readers.
  class View {
    constructor(b) { this.b = b; }
    need(o, n) { if (o < 0 || o + n > this.b.length) throw new Short(); }
    u8(o) { this.need(o, 1); return this.b[o]; }
    u16(o) { this.need(o, 2); return (this.b[o] << 8) | this.b[o + 1]; }
    u32(o) { this.need(o, 4); return ((this.b[o] << 24) >>> 0) + (this.b[o + 1] << 16) + (this.b[o + 2] << 8) + this.b[o + 3]; }
    ip(o) { this.need(o, 4); return `${this.b[o]}.${this.b[o + 1]}.${this.b[o + 2]}.${this.b[o + 3]}`; }
    mac(o) {
      this.need(o, 6);
      return Array.from(this.b.subarray(o, o + 6), (x) => x.toString(16).padStart(2, "0")).join(":");
    }
    // Bytes as text, Latin-1, control characters shown as dots.
    text(o, n) {
      n = Math.min(n, this.b.length - o);
      let s = "";
      for (let i = 0; i < n; i++) {
        const c = this.b[o + i];
        s += c >= 32 && c < 127 ? String.fromCharCode(c) : c === 9 ? "\t" : ".";
      }
      return s;
    }
  }

  const hex = (v, w) => "0x" + v.toString(16).padStart(w, "0");
  const ETHERTYPES = { 0x0800: "IPv4", 0x0806: "ARP", 0x86dd: "IPv6", 0x8100: "802.1Q VLAN" };
  const IPPROTOS = { 1: "ICMP", 6: "TCP", 17: "UDP" };

  // The Internet checksum (RFC 1071) of n bytes at o.
  function cksum(b, o, n, init) {
    let s = init || 0;
    for (let i = 0; i + 1 < n; i += 2) s += (b[o + i] << 8) | b[o + i + 1];
    if (n & 1) s += b[o + n - 1] << 8;
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    return s;
  }

  function ethernet(v, root, d) {
    const f = root.add("Ethernet II", "", 0, 14, 2);
    const dst = v.mac(0), src = v.mac(6);
    f.add("Destination", dst + (dst === "ff:ff:ff:ff:ff:ff" ? " (broadcast)" : ""), 0, 6);
    f.add("Source", src, 6, 6);
    const type = v.u16(12);
    f.add("Type", `${ETHERTYPES[type] || "unknown"} (${hex(type, 4)})`, 12, 2);
    f.value = `${src} → ${dst}`;
    d.proto = "ETH";
    d.summary = `Ethertype ${hex(type, 4)}`;
    if (type === 0x0806) arp(v, 14, root, d);
    else if (type === 0x0800) ipv4(v, 14, root, d);
  }

  function arp(v, o, root, d) {
    const f = root.add("Address Resolution Protocol", "", o, 28, 2);
    d.proto = "ARP";
    f.add("Hardware type", v.u16(o) === 1 ? "Ethernet (1)" : String(v.u16(o)), o, 2);
    f.add("Protocol type", `${ETHERTYPES[v.u16(o + 2)] || "?"} (${hex(v.u16(o + 2), 4)})`, o + 2, 2);
    f.add("Hardware size", String(v.u8(o + 4)), o + 4, 1);
    f.add("Protocol size", String(v.u8(o + 5)), o + 5, 1);
    const op = v.u16(o + 6);
    f.add("Opcode", op === 1 ? "request (1)" : op === 2 ? "reply (2)" : String(op), o + 6, 2);
    const sha = v.mac(o + 8), spa = v.ip(o + 14), tha = v.mac(o + 18), tpa = v.ip(o + 24);
    f.add("Sender MAC address", sha, o + 8, 6);
    f.add("Sender IP address", spa, o + 14, 4);
    f.add("Target MAC address", tha, o + 18, 6);
    f.add("Target IP address", tpa, o + 24, 4);
    if (op === 1 && spa === tpa) d.summary = `Gratuitous ARP for ${spa}`;
    else if (op === 1) d.summary = `Who has ${tpa}? Tell ${spa}`;
    else d.summary = `${spa} is at ${sha}`;
    f.value = op === 1 ? "request" : "reply";
  }

  function ipv4(v, o, root, d, quoted) {
    const vihl = v.u8(o), ihl = (vihl & 15) * 4;
    const f = root.add(quoted ? "Quoted IPv4 header" : "Internet Protocol Version 4", "", o, Math.max(ihl, 20), 3);
    f.add("Version", String(vihl >> 4), o, 1);
    f.add("Header length", `${ihl} bytes (${vihl & 15})`, o, 1);
    const tos = v.u8(o + 1);
    f.add("Differentiated services", `DSCP ${tos >> 2}, ECN ${tos & 3}`, o + 1, 1);
    const total = v.u16(o + 2);
    f.add("Total length", String(total), o + 2, 2);
    f.add("Identification", `${hex(v.u16(o + 4), 4)} (${v.u16(o + 4)})`, o + 4, 2);
    const ff = v.u16(o + 6), df = (ff >> 14) & 1, mf = (ff >> 13) & 1, foff = (ff & 0x1fff) * 8;
    const fl = f.add("Flags", (df ? "DF " : "") + (mf ? "MF" : "") || "none", o + 6, 1);
    fl.add("Reserved bit", String((ff >> 15) & 1), o + 6, 1).bit = true;
    fl.add("Don't fragment", df ? "Set" : "Not set", o + 6, 1).bit = true;
    fl.add("More fragments", mf ? "Set" : "Not set", o + 6, 1).bit = true;
    f.add("Fragment offset", String(foff), o + 6, 2);
    const ttl = v.u8(o + 8), proto = v.u8(o + 9);
    f.add("Time to live", String(ttl), o + 8, 1);
    f.add("Protocol", `${IPPROTOS[proto] || "unknown"} (${proto})`, o + 9, 1);
    const sum = v.u16(o + 10);
    let ok = "";
    if (!quoted && o + ihl <= v.b.length) ok = cksum(v.b, o, ihl) === 0xffff ? " [correct]" : " [incorrect]";
    f.add("Header checksum", hex(sum, 4) + ok, o + 10, 2);
    const src = v.ip(o + 12), dst = v.ip(o + 16);
    f.add("Source address", src, o + 12, 4);
    f.add("Destination address", dst, o + 16, 4);
    if (ihl > 20) f.add("Options", `${ihl - 20} bytes`, o + 20, ihl - 20);
    f.value = `${src} → ${dst}`;
    if (quoted) return { proto, src, dst, end: o + ihl };
    d.proto = "IPv4";
    d.summary = `${src} → ${dst} ${IPPROTOS[proto] || "proto " + proto}`;
    d.ip = { src, dst, ttl, proto };
    const end = Math.min(o + total, v.b.length);
    if (foff > 0) {
      d.summary += ` fragment (offset ${foff})`;
      root.add("Fragment data", `${total - ihl} bytes`, o + ihl, end - o - ihl, 3);
      return;
    }
    const p = o + ihl, plen = total - ihl;
    if (proto === 1) icmp(v, p, plen, end, root, d);
    else if (proto === 6) tcp(v, p, plen, end, root, d);
    else if (proto === 17) udp(v, p, plen, end, root, d);
    if (mf) d.summary += " (first fragment)";
  }

  const ICMP_TYPES = {
    0: "Echo (ping) reply", 3: "Destination unreachable", 4: "Source quench", 5: "Redirect",
    8: "Echo (ping) request", 11: "Time exceeded", 12: "Parameter problem",
    13: "Timestamp request", 14: "Timestamp reply",
  };
  const UNREACH = ["Network unreachable", "Host unreachable", "Protocol unreachable",
    "Port unreachable", "Fragmentation needed and DF set", "Source route failed"];

  function icmp(v, o, plen, end, root, d) {
    const f = root.add("Internet Control Message Protocol", "", o, end - o, 3);
    const type = v.u8(o), code = v.u8(o + 1);
    let name = ICMP_TYPES[type] || `type ${type}`;
    let codeName = String(code);
    if (type === 3 && UNREACH[code]) codeName = `${UNREACH[code]} (${code})`;
    if (type === 11) codeName = code === 0 ? "TTL exceeded in transit (0)" : "Fragment reassembly time exceeded (1)";
    f.add("Type", `${type} (${name})`, o, 1);
    f.add("Code", codeName, o + 1, 1);
    f.add("Checksum", hex(v.u16(o + 2), 4), o + 2, 2);
    d.proto = "ICMP";
    f.value = name;
    if (type === 0 || type === 8) {
      const id = v.u16(o + 4), seq = v.u16(o + 6);
      f.add("Identifier", String(id), o + 4, 2);
      f.add("Sequence number", String(seq), o + 6, 2);
      if (end > o + 8) f.add("Data", `${end - o - 8} bytes`, o + 8, end - o - 8);
      d.summary = `${name} id=${id} seq=${seq} ttl=${d.ip.ttl}`;
      return;
    }
    if (type === 3 && code === 4) f.add("Next-hop MTU", String(v.u16(o + 6)), o + 6, 2);
    else f.add("Unused", "", o + 4, 4);
    d.summary = `${name}${type === 3 || type === 11 ? " (" + codeName.replace(/ \(\d+\)$/, "") + ")" : ""}`;
    if (type === 3 || type === 11 || type === 12) {
      try {
        const q = ipv4(v, o + 8, f, d, true);
        if ((q.proto === 6 || q.proto === 17) && q.end + 4 <= v.b.length) {
          const u = f.add(q.proto === 6 ? "Quoted TCP ports" : "Quoted UDP ports", "", q.end, 4, 4);
          u.add("Source port", String(v.u16(q.end)), q.end, 2);
          u.add("Destination port", String(v.u16(q.end + 2)), q.end + 2, 2);
        }
      } catch (e) {
        if (!(e instanceof Short)) throw e;
      }
    }
  }

  function udp(v, o, plen, end, root, d) {
    const f = root.add("User Datagram Protocol", "", o, 8, 4);
    const sp = v.u16(o), dp = v.u16(o + 2), len = v.u16(o + 4);
    f.add("Source port", String(sp), o, 2);
    f.add("Destination port", String(dp), o + 2, 2);
    f.add("Length", String(len), o + 4, 2);
    f.add("Checksum", hex(v.u16(o + 6), 4), o + 6, 2);
    f.value = `${sp} → ${dp}`;
    d.proto = "UDP";
    d.ports = [sp, dp];
    d.summary = `${sp} → ${dp} Len=${len - 8}`;
    const p = o + 8, pend = Math.min(o + len, end);
    if (pend <= p) return;
    if (sp === 67 || sp === 68 || dp === 67 || dp === 68) dhcp(v, p, pend, root, d);
    else if (sp === 53 || dp === 53) dns(v, p, pend, root, d, false);
    else root.add("Data", `${pend - p} bytes`, p, pend - p, 7);
  }

  const TCP_FLAGS = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"];

  function tcpOptions(v, o, end, f) {
    const opts = f.add("Options", `${end - o} bytes`, o, end - o);
    const sum = [];
    while (o < end) {
      const kind = v.u8(o);
      if (kind === 0) { opts.add("End of option list", "", o, 1); break; }
      if (kind === 1) { opts.add("No-operation (NOP)", "", o, 1); o++; continue; }
      const len = v.u8(o + 1);
      if (len < 2) { opts.add("Malformed option", `kind ${kind}`, o, end - o); break; }
      let name = `Option ${kind}`, val = "";
      if (kind === 2) { name = "Maximum segment size"; val = String(v.u16(o + 2)); sum.push("MSS=" + val); }
      else if (kind === 3) { name = "Window scale"; val = `${v.u8(o + 2)} (×${1 << v.u8(o + 2)})`; sum.push("WS=" + (1 << v.u8(o + 2))); }
      else if (kind === 4) { name = "SACK permitted"; sum.push("SACK_PERM"); }
      else if (kind === 5) {
        name = "SACK";
        const blocks = [];
        for (let i = o + 2; i + 8 <= o + len; i += 8) blocks.push(`${v.u32(i)}-${v.u32(i + 4)}`);
        val = blocks.join(" ");
        sum.push("SACK=" + val);
      } else if (kind === 8) {
        name = "Timestamps"; val = `TSval ${v.u32(o + 2)}, TSecr ${v.u32(o + 6)}`;
        sum.push(`TSval=${v.u32(o + 2)} TSecr=${v.u32(o + 6)}`);
      }
      opts.add(name, val, o, len);
      o += len;
    }
    return sum;
  }

  function tcp(v, o, plen, end, root, d) {
    const off = (v.u8(o + 12) >> 4) * 4;
    const f = root.add("Transmission Control Protocol", "", o, Math.max(off, 20), 4);
    const sp = v.u16(o), dp = v.u16(o + 2), seq = v.u32(o + 4), ack = v.u32(o + 8);
    f.add("Source port", String(sp), o, 2);
    f.add("Destination port", String(dp), o + 2, 2);
    f.add("Sequence number", String(seq), o + 4, 4);
    f.add("Acknowledgment number", String(ack), o + 8, 4);
    f.add("Header length", `${off} bytes (${off / 4})`, o + 12, 1);
    const flags = v.u8(o + 13);
    const names = TCP_FLAGS.filter((n, i) => flags & (1 << i));
    const fl = f.add("Flags", `${hex(flags, 3)} (${names.join(", ") || "none"})`, o + 12, 2);
    for (let i = 7; i >= 0; i--) fl.add(TCP_FLAGS[i], flags & (1 << i) ? "Set" : "Not set", o + 13, 1).bit = true;
    const win = v.u16(o + 14);
    f.add("Window", String(win), o + 14, 2);
    f.add("Checksum", hex(v.u16(o + 16), 4), o + 16, 2);
    f.add("Urgent pointer", String(v.u16(o + 18)), o + 18, 2);
    let optSum = [];
    if (off > 20) optSum = tcpOptions(v, o + 20, o + off, f);
    const dlen = plen - off;
    f.value = `${sp} → ${dp} [${names.join(", ")}]`;
    d.proto = "TCP";
    d.ports = [sp, dp];
    d.tcp = { flags, seq, ack, names };
    d.summary = `${sp} → ${dp} [${names.join(", ")}] Seq=${seq}` + (flags & 0x10 ? ` Ack=${ack}` : "") +
      ` Win=${win} Len=${dlen}` + (optSum.length ? " " + optSum.join(" ") : "");
    const p = o + off;
    if (dlen <= 0 || p >= end) {
      if (dlen > 0) root.add("Payload", `${dlen} bytes (not captured)`, p, 0, 7);
      return;
    }
    if (sp === 53 || dp === 53) dns(v, p, end, root, d, true);
    else if (sp === 80 || dp === 80 || sp === 8080 || dp === 8080 || looksHttp(v, p)) http(v, p, end, root, d, dlen);
    else root.add("Data", `${dlen} bytes`, p, end - p, 7);
  }

  const METHODS = ["GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "HTTP/1."];
  const looksHttp = (v, p) => METHODS.some((m) => v.text(p, m.length) === m);

  function http(v, p, end, root, d, dlen) {
    const f = root.add("Hypertext Transfer Protocol", "", p, end - p, 7);
    d.proto = "HTTP";
    if (!looksHttp(v, p)) {
      f.value = "continuation";
      f.add("Data", `${dlen} bytes`, p, end - p);
      d.summary = `Continuation (${dlen} bytes) ` + d.summary;
      return;
    }
    let o = p, first = true;
    while (o < end) {
      let e = o;
      while (e + 1 < end && !(v.b[e] === 13 && v.b[e + 1] === 10)) e++;
      if (e + 1 >= end) { f.add("Data", v.text(o, end - o), o, end - o); return; }
      const line = v.text(o, e - o);
      if (line === "") { o = e + 2; break; }
      if (first) {
        f.add(line.startsWith("HTTP/") ? "Status line" : "Request line", line, o, e + 2 - o);
        f.value = line;
        d.summary = line;
        first = false;
      } else {
        const c = line.indexOf(":");
        f.add(c > 0 ? line.slice(0, c) : "Header", c > 0 ? line.slice(c + 1).trim() : line, o, e + 2 - o);
      }
      o = e + 2;
    }
    if (o < end) {
      const body = f.add("Body", `${end - o} bytes captured`, o, end - o);
      body.add("Text", v.text(o, Math.min(end - o, 400)), o, end - o);
    }
  }

  // A domain name at o (RFC 1035 §4.1.4: compression pointers), as text,
  // and where the name ends in place. msg is the offset of the message.
  function dnsName(v, msg, o) {
    const labels = [];
    let end = -1, hops = 0;
    for (;;) {
      const len = v.u8(o);
      if (len === 0) { if (end < 0) end = o + 1; break; }
      if ((len & 0xc0) === 0xc0) {
        if (end < 0) end = o + 2;
        o = msg + (((len & 0x3f) << 8) | v.u8(o + 1));
        if (++hops > 64) break;
        continue;
      }
      labels.push(v.text(o + 1, len));
      o += len + 1;
    }
    return { name: labels.join(".") || "<root>", end };
  }

  const DNS_TYPES = { 1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA", 41: "OPT", 255: "ANY" };
  const RCODES = ["No error", "Format error", "Server failure", "No such name", "Not implemented", "Refused"];

  function dnsRR(v, msg, o, sec, question) {
    const n = dnsName(v, msg, o);
    const type = v.u16(n.end), cls = v.u16(n.end + 2);
    const tname = DNS_TYPES[type] || `TYPE${type}`;
    const end = question ? n.end + 4 : n.end + 10 + v.u16(n.end + 8);
    const f = sec.add(`${n.name}`, `${tname}`, o, end - o);
    f.add("Name", n.name, o, n.end - o);
    f.add("Type", `${tname} (${type})`, n.end, 2);
    f.add("Class", cls === 1 ? "IN (1)" : String(cls), n.end + 2, 2);
    if (question) return { end, text: `${tname} ${n.name}` };
    const ttl = v.u32(n.end + 4), rdlen = v.u16(n.end + 8), rd = n.end + 10;
    f.add("Time to live", `${ttl} s`, n.end + 4, 4);
    f.add("Data length", String(rdlen), n.end + 8, 2);
    v.need(rd, rdlen);
    let val = `${rdlen} bytes`;
    if (type === 1 && rdlen === 4) val = v.ip(rd);
    else if (type === 2 || type === 5 || type === 12) val = dnsName(v, msg, rd).name;
    else if (type === 15) val = `${v.u16(rd)} ${dnsName(v, msg, rd + 2).name}`;
    else if (type === 6) {
      const m = dnsName(v, msg, rd), r = dnsName(v, msg, m.end);
      val = `${m.name} ${r.name} serial ${v.u32(r.end)}`;
    } else if (type === 16) val = v.text(rd + 1, v.u8(rd));
    f.add(tname === "A" ? "Address" : "Data", val, rd, rdlen);
    f.value = `${tname} ${val}`;
    return { end, text: `${tname} ${val}` };
  }

  function dns(v, o, end, root, d, overTcp) {
    const f = root.add("Domain Name System", "", o, end - o, 7);
    d.proto = "DNS";
    if (overTcp) {
      f.add("Length (TCP)", String(v.u16(o)), o, 2);
      o += 2;
      if (o + 12 > end) return;
    }
    const msg = o, id = v.u16(o), fl = v.u16(o + 2);
    const qr = fl >> 15, rcode = fl & 15;
    f.add("Transaction ID", hex(id, 4), o, 2);
    const ff = f.add("Flags", hex(fl, 4), o + 2, 2);
    const bits = [["Response", qr ? "Message is a response" : "Message is a query", 2],
      ["Opcode", String((fl >> 11) & 15), 2], ["Authoritative", fl & 0x400 ? "Yes" : "No", 2],
      ["Truncated", fl & 0x200 ? "Yes" : "No", 2], ["Recursion desired", fl & 0x100 ? "Yes" : "No", 2],
      ["Recursion available", fl & 0x80 ? "Yes" : "No", 3],
      ["Reply code", `${RCODES[rcode] || "RCODE" + rcode} (${rcode})`, 3]];
    for (const [n, val, at] of bits) ff.add(n, val, o + at, 1).bit = true;
    const counts = [v.u16(o + 4), v.u16(o + 6), v.u16(o + 8), v.u16(o + 10)];
    const names = ["Questions", "Answer RRs", "Authority RRs", "Additional RRs"];
    names.forEach((n, i) => f.add(n, String(counts[i]), o + 4 + 2 * i, 2));
    let p = o + 12;
    const texts = [[], [], [], []];
    const secNames = ["Queries", "Answers", "Authoritative nameservers", "Additional records"];
    for (let s = 0; s < 4; s++) {
      if (!counts[s]) continue;
      const sec = f.add(secNames[s], "", p, 0);
      for (let i = 0; i < counts[s]; i++) {
        const r = dnsRR(v, msg, p, sec, s === 0);
        texts[s].push(r.text);
        p = r.end;
      }
      sec.len = p - sec.off;
    }
    const q = texts[0][0] || "";
    f.value = qr ? "response" : "query";
    d.summary = qr
      ? `Standard query response ${hex(id, 4)} ${q}` +
        (rcode ? ` ${RCODES[rcode] || "RCODE" + rcode}` : "") +
        (texts[1].length ? " " + texts[1].join(" ") : texts[2].length ? " " + texts[2][0] : "") +
        (fl & 0x200 ? " (truncated)" : "")
      : `Standard query ${hex(id, 4)} ${q}`;
  }

  const DHCP_TYPES = ["", "Discover", "Offer", "Request", "Decline", "ACK", "NAK", "Release", "Inform"];
  const DHCP_OPTS = {
    1: "Subnet mask", 3: "Router", 6: "Domain name server", 12: "Host name", 15: "Domain name",
    50: "Requested IP address", 51: "IP address lease time", 53: "DHCP message type",
    54: "DHCP server identifier", 55: "Parameter request list", 58: "Renewal time (T1)",
    59: "Rebinding time (T2)", 61: "Client identifier",
  };

  function dhcp(v, o, end, root, d) {
    const f = root.add("Dynamic Host Configuration Protocol", "", o, end - o, 7);
    d.proto = "DHCP";
    const op = v.u8(o);
    f.add("Message type", op === 1 ? "Boot request (1)" : "Boot reply (2)", o, 1);
    f.add("Hardware type", v.u8(o + 1) === 1 ? "Ethernet (1)" : String(v.u8(o + 1)), o + 1, 1);
    f.add("Hardware address length", String(v.u8(o + 2)), o + 2, 1);
    f.add("Hops", String(v.u8(o + 3)), o + 3, 1);
    const xid = v.u32(o + 4);
    f.add("Transaction ID", hex(xid, 8), o + 4, 4);
    f.add("Seconds elapsed", String(v.u16(o + 8)), o + 8, 2);
    f.add("Flags", v.u16(o + 10) & 0x8000 ? "Broadcast" : "Unicast", o + 10, 2);
    f.add("Client IP address", v.ip(o + 12), o + 12, 4);
    f.add("Your (client) IP address", v.ip(o + 16), o + 16, 4);
    f.add("Next server IP address", v.ip(o + 20), o + 20, 4);
    f.add("Relay agent IP address", v.ip(o + 24), o + 24, 4);
    f.add("Client MAC address", v.mac(o + 28), o + 28, 16);
    f.add("Server host name", v.text(o + 44, 64).replace(/\.+$/, "") || "not given", o + 44, 64);
    f.add("Boot file name", v.text(o + 108, 128).replace(/\.+$/, "") || "not given", o + 108, 128);
    f.add("Magic cookie", v.u32(o + 236) === 0x63825363 ? "DHCP" : hex(v.u32(o + 236), 8), o + 236, 4);
    let p = o + 240, type = 0;
    while (p < end) {
      const code = v.u8(p);
      if (code === 0) { p++; continue; }
      if (code === 255) { f.add("Option (255) End", "", p, 1); break; }
      const len = v.u8(p + 1), b = p + 2;
      v.need(b, len);
      let val = `${len} bytes`;
      if (code === 53) { type = v.u8(b); val = `${DHCP_TYPES[type] || type} (${type})`; }
      else if ((code === 1 || code === 50 || code === 54) && len === 4) val = v.ip(b);
      else if (code === 3 || code === 6) {
        const a = [];
        for (let i = 0; i + 4 <= len; i += 4) a.push(v.ip(b + i));
        val = a.join(", ");
      } else if ((code === 51 || code === 58 || code === 59) && len === 4) val = `${v.u32(b)} s`;
      else if (code === 12 || code === 15) val = v.text(b, len);
      else if (code === 55) val = Array.from(v.b.subarray(b, b + len)).join(", ");
      f.add(`Option (${code}) ${DHCP_OPTS[code] || ""}`.trim(), val, p, len + 2);
      p = b + len;
    }
    const tn = DHCP_TYPES[type] || "BOOTP";
    f.value = tn;
    d.summary = `DHCP ${tn} - Transaction ID ${hex(xid, 8)}`;
  }

  // The tree of a frame: {root, summary, proto}. root.kids are the layers.
  IB.dissect = function (bytes, wireLen) {
    const root = new F("frame", "", 0, bytes.length, 1);
    const d = { proto: "?", summary: "" };
    const v = new View(bytes);
    try {
      ethernet(v, root, d);
    } catch (e) {
      if (!(e instanceof Short)) throw e;
      root.add("[Truncated]", `the frame ends at byte ${bytes.length}` +
        (wireLen > bytes.length ? ` (captured ${bytes.length} of ${wireLen})` : ""), bytes.length, 0, 1);
    }
    return { root, summary: d.summary, proto: d.proto, tcp: d.tcp };
  };
})();
