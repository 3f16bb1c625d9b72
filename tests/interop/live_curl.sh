#!/usr/bin/env bash
# Linux -> inetbox over HTTP: curl (the Linux kernel's TCP) downloads from
# `inetbox live --http DIR` on a TAP device in a namespace of its own.
#   - 1 KB, 1 MB and 100 MB files, each byte-exact (sha256); a HEAD, a 404
#   - 200 sequential connections (Connection: close, one new connection per
#     request), every body right
#   - 50 concurrent connections opened at once, every body right
#   - SIGTERM ends inetbox with status 0 and its TAP device goes away
# Usage: live_curl.sh INETBOX BUILD_DIR (exit 77: cannot run here)
set -u
. "$(dirname "$0")/netns_lib.sh"
ib_init curl "$1" "${2:-}"
ib_need curl split cmp

big=$((100 << 20))
www=$tmp/www
mkdir -p "$www/seq" "$www/par" "$tmp/got/seq" "$tmp/got/par"
ib_mkfile "$www/1k.bin" 1024 1
ib_mkfile "$www/1m.bin" $((1 << 20)) 2
ib_mkfile "$www/big.bin" "$big" 3
ib_mkfile "$tmp/seq.all" $((200 * 4096)) 4
split -b 4096 -d -a 3 "$tmp/seq.all" "$www/seq/x"
ib_mkfile "$tmp/par.all" $((50 * 256 * 1024)) 5
split -b $((256 * 1024)) -d -a 3 "$tmp/par.all" "$www/par/x"

ib_ns_add h
ib_live_start "$ns" --tap ibt0 --host-addr 10.99.0.1/24 --addr 10.99.0.2/24 --http "$www" --quiet ||
  ib_done
url=http://10.99.0.2
incurl() {
  ip netns exec "$ns" timeout "$1" curl -sS "${@:2}"
}

# Byte-exact downloads, with the speed of each.
for f in 1k.bin 1m.bin big.bin; do
  if ! w=$(incurl 180 --fail -o "$tmp/got/$f" -w '%{http_code} %{size_download} %{speed_download}' "$url/$f" 2>"$tmp/curl.err"); then
    ib_fail "curl $url/$f: $(cat "$tmp/curl.err")"
    continue
  fi
  read -r code size speed <<<"$w"
  if [ "$(ib_sha "$tmp/got/$f")" != "$(ib_sha "$www/$f")" ]; then
    ib_fail "$f: HTTP $code, $size bytes, sha256 differs from the served file ($(stat -c %s "$www/$f") bytes)"
  else
    ib_note "$f: HTTP $code, $size bytes, sha256 matches, $((${speed%.*} / 1000)) kB/s"
  fi
done

head=$(incurl 10 -I "$url/1m.bin" 2>&1 | tr -d '\r')
grep -qi '^content-length: 1048576$' <<<"$head" || ib_fail "HEAD /1m.bin: no Content-Length: 1048576 in: $head"
code=$(incurl 10 -o /dev/null -w '%{http_code}' "$url/no-such-file" 2>&1)
[ "$code" = 404 ] || ib_fail "GET /no-such-file: status $code, want 404"

# many WHAT N DIR CURL-OPTIONS...: N requests for DIR/x000 ... each answered
# 200 on a connection of its own (the server closes each one after its
# response, RFC 9112 §9.6), and the bodies together are DIR's files.
many() {
  local what=$1 n=$2 d=$3 ok
  shift 3
  if ! incurl 120 "$@" -H 'Connection: close' -o "$tmp/got/$d/x#1" -w '%{http_code} %{num_connects}\n' \
    "$url/$d/x[000-$(printf %03d $((n - 1)))]" >"$tmp/$d.w" 2>"$tmp/curl.err"; then
    ib_fail "$what connections: curl: $(head -n 3 "$tmp/curl.err")"
    return
  fi
  ok=$(grep -c '^200 1$' "$tmp/$d.w")
  [ "$ok" -eq "$n" ] || ib_fail "$what: $ok of $n requests got 200 on a connection of their own"
  if ! cat "$tmp/got/$d"/x* | cmp -s - "$tmp/$d.all"; then
    ib_fail "$what: the $n bodies differ from the files"
  elif [ "$ok" -eq "$n" ]; then
    ib_note "$n $what connections, every body right"
  fi
}
many sequential 200 seq
many concurrent 50 par --parallel --parallel-immediate --parallel-max 50

ib_live_stop
ip -n "$ns" link show ibt0 >/dev/null 2>&1 && ib_fail "TAP ibt0 still exists after inetbox exited"
ib_done
