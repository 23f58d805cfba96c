#!/usr/bin/env bash
# Benchmark (not a test): requests per second and p99 latency of a tenant's public portal pages
# (home, a service page, a legal page, a frequent search and searches never seen before) and of a
# logged-in citizen's account page, against a plain axum hello-world baseline started by this script,
# measured with wrk in the same run, at 32 and 64 connections. Requests carry what a browser sends
# (Accept-Encoding: br, gzip). Also reports the compressed first-load weight of portal pages.
#
#   ./benches/portal-home.sh                                  # 20 s per target
#   DURATION=10s CONNECTION_COUNTS="64" ./benches/portal-home.sh
set -euo pipefail
PORT=3201; BENCH_DB=kommunalportal_bench
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
CONNECTION_COUNTS="${CONNECTION_COUNTS:-32 64}"; THREADS="${THREADS:-1}"
PORTAL_PORT=$PORT; HELLO_PORT=3202
cargo build --quiet --release -p portal-server --example hello
HELLO_BIND="127.0.0.1:$HELLO_PORT" "$CARGO_TARGET_DIR/release/examples/hello" &
HELLO=$!
trap 'kill $HELLO $SERVER 2>/dev/null || true; stop_test_services' EXIT
wait_for_http "http://127.0.0.1:$HELLO_PORT/" 30 || die "baseline did not start"
LUA="$ROOT/benches/lua"

measure() { # name connections url [wrk args...]
  local name="$1" c="$2" url="$3"; shift 3
  local out rps p99 non2xx
  out="$(wrk -t"$THREADS" -c"$c" -d"$DURATION" --latency -H "Host: $HOST" -H "Accept-Encoding: ${ENCODING:-br, gzip}" -H 'Accept-Language: de-DE,de;q=0.9' "$@" "$url")"
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  non2xx="$(awk '/Non-2xx/ {print $4}' <<<"$out")"
  local base="$rps"; [ "$name" = hello ] || base="$(cat "$CACHE/bench-hello-$c.rps")"
  printf '%-34s %4d conn %10s req/s  ratio %6.3f  p99 %8s  non-2xx %s\n' "$name" "$c" "$rps" "$(awk -v r="$rps" -v b="$base" 'BEGIN { print r / b }')" "$p99" "${non2xx:-0}"
  echo "$rps" > "$CACHE/bench-$name-$c.rps"
}
P="http://127.0.0.1:$PORTAL_PORT"
step "wrk: $THREADS thread(s), $DURATION per target (server, database and wrk share $(nproc) cores)"
# warm-up: the tenant's content and pages in memory
wrk -t1 -c4 -d3s -H "Host: $HOST" -H 'Accept-Encoding: br, gzip' "$P/" >/dev/null
for c in $CONNECTION_COUNTS; do
  measure hello "$c" "http://127.0.0.1:$HELLO_PORT/"
  measure portal-home "$c" "$P/"
  measure service-page "$c" "$P/leistungen/personalausweis"
  measure legal-page "$c" "$P/impressum"
  measure search-frequent "$c" "$P/suche?q=Perso"
  measure search-unseen "$c" "$P/" -s "$LUA/unseen-search.lua"
  measure account-logged-in "$c" "$P/konto" -H "Cookie: kp_session=$SESSION"
  ENCODING=identity measure portal-home-identity "$c" "$P/"
done

step "First-load weight (compressed as served; Accept-Encoding: br, gzip)"
size() { curl -s -o /dev/null -H 'Accept-Encoding: br, gzip' -w '%{size_download}' -H "Host: $1" "http://127.0.0.1:$PORTAL_PORT$2"; }
page_weight() { # host path label
  local html css kern fonts js wasm total
  html="$(size "$1" "$2")"
  local page; page="$(curl -s -H "Host: $1" "http://127.0.0.1:$PORTAL_PORT$2")"
  kern="$(size "$1" "$(grep -o '/assets/kern/kern.min.css?v=[0-9a-f]*' <<<"$page" | head -1)")"
  css="$(size "$1" "$(grep -o '/assets/app.css?v=[0-9a-f]*' <<<"$page" | head -1)")"
  fonts=0; for w in Regular Medium SemiBold; do fonts=$((fonts + $(size "$1" "/assets/kern/fonts/FiraSans-$w.woff2"))); done
  js=0; wasm=0
  if grep -q 'islands.js' <<<"$page"; then
    js=$(( $(size "$1" "$(grep -o '/assets/islands.js?v=[0-9a-f]*' <<<"$page" | head -1)") + $(size "$1" /pkg/portal_hydrate.js) ))
    wasm="$(size "$1" /pkg/portal_hydrate_bg.wasm)"
  fi
  total=$((html + kern + css + fonts + js + wasm))
  printf '%-34s html %6d  kern.css %6d  app.css %5d  fonts %6d  js %6d  wasm %6d  = %7d bytes (%.1f KB)\n' \
    "$3" "$html" "$kern" "$css" "$fonts" "$js" "$wasm" "$total" "$(awk -v t="$total" 'BEGIN{print t/1024}')"
}
page_weight kaiserslautern.localhost / "portal home (Kaiserslautern)"
page_weight kaiserslautern.localhost /leistungen/personalausweis "service page"
# the console's tenant form carries the island; log in to fetch it
jar="$(console_login "$CARGO_TARGET_DIR/release/portal" "$PORTAL_PORT" bench@kommunalportal.example)"
island_html="$(curl -s -b "$jar" -H 'Accept-Encoding: br, gzip' -H 'Host: ops.localhost' -o /dev/null -w '%{size_download}' "http://127.0.0.1:$PORTAL_PORT/mandanten/neu")"
wasm="$(size ops.localhost /pkg/portal_hydrate_bg.wasm)"; gluejs="$(size ops.localhost /pkg/portal_hydrate.js)"
printf '%-34s html %6d  + islands wasm %6d + js %5d (compressed)\n' "console tenant form (island)" "$island_html" "$wasm" "$gluejs"
rm -f "$jar"
