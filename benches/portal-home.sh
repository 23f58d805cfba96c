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

measure() { # name connections url [wrk args...]: every response must be 200 (each page verified once below)
  local name="$1" c="$2" url="$3"; shift 3
  wrk_expect "$name" 200 -t"$THREADS" -c"$c" -d"$DURATION" --latency -H "Host: $HOST" -H "Accept-Encoding: ${ENCODING:-br, gzip}" -H 'Accept-Language: de-DE,de;q=0.9' "$@" "$url"
  local rps="$WRK_RPS" base="$WRK_RPS"; [ "$name" = hello ] || base="$(cat "$CACHE/bench-hello-$c.rps")"
  printf '%-34s %4d conn %10s req/s  ratio %6.3f  p99 %8s  non-2xx %s  unexpected %s\n' "$name" "$c" "$rps" "$(awk -v r="$rps" -v b="$base" 'BEGIN { print r / b }')" "$WRK_P99" "$WRK_NON2XX" "$WRK_UNEXPECTED"
  echo "$rps" > "$CACHE/bench-$name-$c.rps"
  wrk_judge
}
P="http://127.0.0.1:$PORTAL_PORT"
step "Every target once: its status and a text only that page has"
expect_page hello "http://127.0.0.1:$HELLO_PORT/" 200 "Hello, world!"
verify_page portal-home / "Willkommen im Serviceportal"
verify_page service-page /leistungen/personalausweis 99008001012000   # its LeiKa key
verify_page legal-page /impressum "Herausgeber: Stadt Kaiserslautern"
verify_page search-frequent "/suche?q=Perso" 'Treffer für „Perso“'
# the first query lua/unseen-search.lua sends
verify_page search-unseen "/suche?q=meldebescheinigung" 'Treffer für „meldebescheinigung“'
verify_page account-logged-in /konto "$EMAIL" "kp_session=$SESSION"
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
# bytes as served (compressed); each status is tallied, checked after the table
size() { # host path
  [ -n "$2" ] || { tally_bad "no link to an asset on the page (host $1)"; echo 0; return; }
  req 200 "" curl -s -o /dev/null -H 'Accept-Encoding: br, gzip' -H "Host: $1" "http://127.0.0.1:$PORTAL_PORT$2" >/dev/null
  echo "${REQ_SIZE:-0}"
}
page_weight() { # host path label
  local html css kern fonts js wasm total
  html="$(size "$1" "$2")"
  local page; page="$(req 200 "" curl -s -H "Host: $1" "http://127.0.0.1:$PORTAL_PORT$2")"
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
req 200 "" curl -s -b "$jar" -H 'Accept-Encoding: br, gzip' -H 'Host: ops.localhost' -o /dev/null "http://127.0.0.1:$PORTAL_PORT/mandanten/neu" >/dev/null
island_html="$REQ_SIZE"
wasm="$(size ops.localhost /pkg/portal_hydrate_bg.wasm)"; gluejs="$(size ops.localhost /pkg/portal_hydrate.js)"
printf '%-34s html %6d  + islands wasm %6d + js %5d (compressed)\n' "console tenant form (island)" "$island_html" "$wasm" "$gluejs"
rm -f "$jar"
tally_check "first-load weight requests"
