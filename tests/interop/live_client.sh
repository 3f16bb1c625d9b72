#!/usr/bin/env bash
# inetbox -> Linux: `inetbox live` as a client of Debian's servers, on a TAP
# device in a namespace of its own.
#   - fetch from python3's http.server by address: the body byte-exact (sha256)
#   - resolve a name through dnsmasq, then fetch by that name
#   - take a DHCP lease from dnsmasq (RFC 2131): the ready line shows the
#     leased address, dnsmasq's lease file has our MAC, Linux pings the
#     address; a second run resolves and fetches with the DNS server the
#     lease named (RFC 2132 §3.8)
# Usage: live_client.sh INETBOX BUILD_DIR (exit 77: cannot run here)
set -u
. "$(dirname "$0")/netns_lib.sh"
ib_init client "$1" "${2:-}"
ib_need dnsmasq ping
py=/usr/bin/python3
[ -x "$py" ] || ib_skip "$py is not installed"

www=$tmp/www
mkdir -p "$www"
ib_mkfile "$www/f.bin" $((4 << 20)) 11
want_sha=$(ib_sha "$www/f.bin")

ib_ns_add h
# Both servers listen on the namespace's wildcard address, so they outlive
# each run's TAP device (inetbox creates it and removes it on exit).
ib_bg "$ns" "$py" -m http.server 8000 --directory "$www"
ib_bg "$ns" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
  --user=root --pid-file= --log-facility=- --log-queries --log-dhcp \
  --host-record=files.ibtest,10.99.0.1 \
  --dhcp-range=10.99.0.100,10.99.0.149,255.255.255.0,10m --dhcp-authoritative --no-ping \
  --dhcp-option=option:router,10.99.0.1 --dhcp-option=option:dns-server,10.99.0.1 \
  --dhcp-leasefile="$tmp/leases"
ib_wait_port "$ns" 127.0.0.1 8000 || ib_done
ib_wait_port "$ns" 127.0.0.1 53 || ib_done

# run NAME ARGS...: a client run of inetbox live that ends by itself.
run() {
  local name=$1
  shift
  ip netns exec "$ns" timeout 60 "$bin" live --tap ibt0 --host-addr 10.99.0.1/24 "$@" \
    >"$tmp/$name.out" 2>"$tmp/$name.err"
  local st=$?
  [ "$st" -eq 0 ] || ib_fail "$name: inetbox live exited with status $st: $(tail -n 5 "$tmp/$name.err")"
  return "$st"
}

# fetched NAME FILE URL: the stdout line and the body.
fetched() {
  local name=$1 file=$2 url=$3
  if ! grep -q "^fetch $url: HTTP 200, $((4 << 20)) bytes" "$tmp/$name.out"; then
    ib_fail "$name: no 'fetch $url: HTTP 200, $((4 << 20)) bytes' line in: $(cat "$tmp/$name.out")"
  elif [ ! -f "$file" ] || [ "$(ib_sha "$file")" != "$want_sha" ]; then
    ib_fail "$name: the saved body is not the served file"
  else
    ib_note "$name: $url fetched, sha256 matches"
  fi
}

url=http://10.99.0.1:8000/f.bin
run by-address --addr 10.99.0.2/24 --fetch "$url" --output "$tmp/a.bin" &&
  fetched by-address "$tmp/a.bin" "$url"

run resolve --addr 10.99.0.2/24 --dns 10.99.0.1 --resolve files.ibtest &&
  if grep -q '^resolve files.ibtest: 10.99.0.1$' "$tmp/resolve.out"; then
    ib_note "resolve: files.ibtest is 10.99.0.1, through dnsmasq"
  else
    ib_fail "resolve: no 'resolve files.ibtest: 10.99.0.1' line in: $(cat "$tmp/resolve.out")"
  fi

url=http://files.ibtest:8000/f.bin
run by-name --addr 10.99.0.2/24 --dns 10.99.0.1 --fetch "$url" --output "$tmp/n.bin" &&
  fetched by-name "$tmp/n.bin" "$url"

# A lease, held while a service keeps inetbox running.
if ib_live_start "$ns" --tap ibt0 --host-addr 10.99.0.1/24 --dhcp --udp-echo 7; then
  ready=$(grep '^inetbox live: ready' "$live_err")
  addr=$(sed -n 's/.* \(10\.99\.0\.1[0-4][0-9]\)\/24.*/\1/p' <<<"$ready")
  if [ -z "$addr" ]; then
    ib_fail "DHCP: the ready line shows no address from dnsmasq's range: $ready"
  else
    if ip netns exec "$ns" timeout 10 ping -c 2 -W 2 "$addr" >"$tmp/ping.out" 2>&1; then
      mac=$(ip -n "$ns" neigh show "$addr" | awk '{print $5}')
      if grep -q " $mac $addr " "$tmp/leases"; then
        ib_note "DHCP: leased $addr to $mac, which answers pings"
      else
        ib_fail "DHCP: dnsmasq's leases do not give $addr to $mac: $(cat "$tmp/leases")"
      fi
    else
      ib_fail "DHCP: the leased address $addr does not answer pings: $(tail -n 3 "$tmp/ping.out")"
    fi
  fi
  ib_live_stop
fi

run dhcp-fetch --dhcp --fetch "$url" --output "$tmp/d.bin" &&
  fetched dhcp-fetch "$tmp/d.bin" "$url"

ib_done
