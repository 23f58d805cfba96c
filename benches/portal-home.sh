#!/usr/bin/env bash
# Benchmark (not a test): requests per second and p99 latency of a tenant's portal home, against a
# plain axum hello-world baseline started by this script, measured with wrk in the same run. Also
# reports the compressed first-load weight of portal pages.
#
#   ./benches/portal-home.sh            # 20 s per target, 32 connections
#   DURATION=60s CONNECTIONS=64 ./benches/portal-home.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../infra/scripts/lib.sh"
DURATION="${DURATION:-20s}"; CONNECTIONS="${CONNECTIONS:-32}"; THREADS="${THREADS:-1}"
PORTAL_PORT=3201; HELLO_PORT=3202

command -v wrk >/dev/null || apt_install wrk
ensure_rust
ensure_postgres
build_site release
step "Building release binaries"
cargo build --quiet --release -p portal-server --bin portal --example hello
ensure_database kommunalportal_bench fresh
use_database kommunalportal_bench
export APP_ENVIRONMENT=local APP_CONFIG_DIR="$ROOT/infra/config" APP__SERVER__BIND="127.0.0.1:$PORTAL_PORT"
export APP__PATHS__SITE_DIR="$SITE_DIR" APP__PATHS__TENANTS_DIR="$ROOT/tenants" APP__TELEMETRY__LOG_FILTER=warn
"$CARGO_TARGET_DIR/release/portal" serve > "$CACHE/bench-portal.log" 2>&1 &
P1=$!
HELLO_BIND="127.0.0.1:$HELLO_PORT" "$CARGO_TARGET_DIR/release/examples/hello" &
P2=$!
trap 'kill $P1 $P2 2>/dev/null || true' EXIT
wait_for_http "http://127.0.0.1:$PORTAL_PORT/health" 120 || die "portal did not start"
wait_for_http "http://127.0.0.1:$HELLO_PORT/" 30 || die "baseline did not start"

run_wrk() { # name url [host]
  local out; out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency ${3:+-H "Host: $3"} "$2")"
  local rps p99 non2xx
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  non2xx="$(awk '/Non-2xx/ {print $4}' <<<"$out")"
  printf '%-28s %12s req/s   p99 %8s   non-2xx %s\n' "$1" "$rps" "$p99" "${non2xx:-0}"
  echo "$rps" > "$CACHE/bench-$1.rps"
}
step "wrk: $THREADS thread(s), $CONNECTIONS connections, $DURATION per target (server and wrk share $(nproc) cores)"
# warm-up
wrk -t1 -c4 -d3s -H "Host: kaiserslautern.localhost" "http://127.0.0.1:$PORTAL_PORT/" >/dev/null
run_wrk hello-world "http://127.0.0.1:$HELLO_PORT/"
run_wrk portal-home "http://127.0.0.1:$PORTAL_PORT/" "kaiserslautern.localhost"
run_wrk portal-search "http://127.0.0.1:$PORTAL_PORT/suche?q=Perso" "kaiserslautern.localhost"
awk -v h="$(cat "$CACHE/bench-hello-world.rps")" -v p="$(cat "$CACHE/bench-portal-home.rps")" \
  'BEGIN { printf "portal home / hello-world throughput ratio: %.3f\n", p / h }'

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
