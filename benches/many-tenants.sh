#!/usr/bin/env bash
# Benchmark (not a test): the platform with 11,000 tenants, Germany's scale (about 11,000 Gemeinden
# and 400 Kreise and kreisfreie Städte). Seeds them next to the demo tenants (each with a host,
# branding and the basic installation: about 300,000 activation rows), then measures, in one run:
# registry load time and the time from start to the first answered portal request; portal home
# throughput for requests spread at random over 2,000 tenants' hosts (cold at first) against one hot
# tenant; the server's resident memory after visiting all 11,000 tenants, with the caches' fill and
# bound; and the console's tenant search. Requests carry what a browser sends (Accept-Encoding).
#
#   ./benches/many-tenants.sh            # TENANTS=11000 DURATION=15s CONNECTIONS=32
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../infra/scripts/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/expect.sh"
TENANTS="${TENANTS:-11000}"; DURATION="${DURATION:-15s}"; CONNECTIONS="${CONNECTIONS:-32}"
PORT=3301

command -v wrk >/dev/null || apt_install wrk
ensure_rust
ensure_postgres
build_site release
cargo build --quiet --release -p portal-server --bin portal
BIN="$CARGO_TARGET_DIR/release/portal"
ensure_database kommunalportal_scale fresh
use_database kommunalportal_scale
export APP_ENVIRONMENT=local APP_CONFIG_DIR="$ROOT/infra/config" APP__SERVER__BIND="127.0.0.1:$PORT"
export APP__PATHS__SITE_DIR="$SITE_DIR" APP__PATHS__TENANTS_DIR="$ROOT/tenants" APP__TELEMETRY__LOG_FORMAT=json
# start-up figures from the log, no line per request (as benches/portal-home.sh)
export APP__TELEMETRY__LOG_FILTER="warn,portal_server::startup=info"
"$BIN" migrate >/dev/null

serve() { # log file
  "$BIN" serve > "$1" 2>&1 &
  SERVER=$!
  wait_for_http "http://127.0.0.1:$PORT/health" 300 || die "the server did not start"
}
stop() { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }
trap stop EXIT
HOME_MARKER="Willkommen im Serviceportal"
# rps LABEL HOST PATH STATUS MARKER [wrk args]: the page verified with one request, then measured;
# one row (every response not STATUS counted; more than 0.1 % fail the script); req/s in $WRK_RPS
rps() {
  local label="$1" host="$2" path="$3" status="$4" marker="$5"; shift 5
  [ "$host" = x ] || expect_page "$label" "http://127.0.0.1:$PORT$path" "$status" "$marker" -H "Host: $host"
  wrk_expect "$label" "$status" -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Host: $host" -H 'Accept-Encoding: br, gzip' "$@" "http://127.0.0.1:$PORT$path"
  printf '%-44s %10s req/s  p99 %s  unexpected %s\n' "$label" "$WRK_RPS" "$WRK_P99" "$WRK_UNEXPECTED"
  wrk_judge
}
registry_ms() { grep -o '"message":"tenant registry loaded"[^}]*' "$1" | grep -o '"elapsed_ms":[0-9]*' | cut -d: -f2; }

step "Baseline: demo tenants only"
serve "$CACHE/scale-small.log"
printf 'registry: %s hosts in %s ms\n' "$(curl -s "http://127.0.0.1:$PORT/health" | grep -o '"tenant_hosts":[0-9]*' | cut -d: -f2)" "$(registry_ms "$CACHE/scale-small.log")"
rps "home kaiserslautern (8 tenants)" kaiserslautern.localhost / 200 "$HOME_MARKER"
stop

step "Seeding $TENANTS tenants (as the superuser: seeding is not the application's path)"
start=$(date +%s)
psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d kommunalportal_scale -v ON_ERROR_STOP=1 -q <<SQL
insert into tenant (tenant_id, slug, kind, name)
  select gen_random_uuid(), 'gemeinde-' || i, 'gemeinde', 'Gemeinde Nummer ' || i from generate_series(1, $TENANTS) i;
insert into tenant_domain (host, tenant_id, is_primary)
  select slug || '.localhost', tenant_id, true from tenant where slug like 'gemeinde-%';
insert into tenant_branding (tenant_id, display_name, primary_colour, secondary_colour)
  select tenant_id, name, '#0b4ea2', '#e6eef7' from tenant where slug like 'gemeinde-%';
insert into service_activation (tenant_id, service_slug, seen_version)
  select t.tenant_id, s.service_slug, s.version from tenant t
  cross join catalogue_preset_service p join base_service s on s.service_slug = p.service_slug
  where t.slug like 'gemeinde-%' and p.preset_slug = 'grundausstattung';
analyze;
SQL
printf 'seeded in %ss: %s tenants, %s hosts, %s activations\n' "$(( $(date +%s) - start ))" \
  "$(psql_admin "select count(*) from tenant" 2>/dev/null || psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d kommunalportal_scale -Atc 'select count(*) from tenant')" \
  "$(psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d kommunalportal_scale -Atc 'select count(*) from tenant_domain')" \
  "$(psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d kommunalportal_scale -Atc 'select count(*) from service_activation')"

step "With $TENANTS more tenants"
# from the start of the process to the first answered portal request (registry loaded, listener
# connected, the tenant's content loaded and its page rendered)
begin=$(date +%s%N)
"$BIN" serve > "$CACHE/scale-large.log" 2>&1 &
SERVER=$!
until curl -fsS -o /dev/null -H "Host: gemeinde-$((TENANTS / 2)).localhost" "http://127.0.0.1:$PORT/" 2>/dev/null; do
  kill -0 "$SERVER" 2>/dev/null || die "the server did not start"; sleep 0.02
done
printf 'start-up to the first answered portal request: %s ms (registry: %s hosts in %s ms)\n' "$(( ($(date +%s%N) - begin) / 1000000 ))" \
  "$(curl -s "http://127.0.0.1:$PORT/health" | grep -o '"tenant_hosts":[0-9]*' | cut -d: -f2)" "$(registry_ms "$CACHE/scale-large.log")"
rss() { awk '/VmRSS/ {printf "%.0f MB", $2 / 1024}' "/proc/$SERVER/status"; }
printf 'resident memory after start: %s\n' "$(rss)"
LUA="$ROOT/benches/lua"
# lua/random-hosts.lua picks the hosts (x is never asked); verified on the hot tenant, visited
# above already (asking one of the 2,000 first would warm it)
expect_page "home gemeinde-$((TENANTS / 2))" "http://127.0.0.1:$PORT/" 200 "$HOME_MARKER" -H "Host: gemeinde-$((TENANTS / 2)).localhost"
HOSTS=2000 FIRST=1 rps "home, 2,000 hosts at random (cold at first)" x /dummy 200 "" -s "$LUA/random-hosts.lua"; spread="$WRK_RPS"
HOSTS=2000 FIRST=1 rps "home, the same 2,000 hosts again (warm)" x /dummy 200 "" -s "$LUA/random-hosts.lua"; warm="$WRK_RPS"
HOSTS=1 FIRST=$((TENANTS / 2)) rps "home, one hot tenant (same script)" x /dummy 200 "" -s "$LUA/random-hosts.lua"; hot="$WRK_RPS"
awk -v s="$spread" -v w="$warm" -v h="$hot" 'BEGIN { printf "against the hot tenant: cold start %.3f, warm %.3f\n", s / h, w / h }'
rps "home kaiserslautern ($TENANTS+8 tenants)" kaiserslautern.localhost / 200 "$HOME_MARKER"
rps "search 'Perso' in gemeinde-$((TENANTS / 2))" "gemeinde-$((TENANTS / 2)).localhost" '/suche?q=Perso' 200 'Treffer für „Perso“'
rps "unknown host (404)" nicht-vorhanden.localhost / 404 "Kein Portal unter dieser Adresse"
step "Visiting every tenant's home once ($TENANTS)"
begin=$(date +%s%N)
codes="$CACHE/scale-visits.codes"; : > "$codes"
seq 1 "$TENANTS" | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' -H 'Accept-Encoding: br, gzip' -H "Host: gemeinde-{}.localhost" "http://127.0.0.1:$PORT/" >> "$codes"
printf 'visited in %s ms\n' "$(( ($(date +%s%N) - begin) / 1000000 ))"
codes_check "every tenant's home" 200 "$codes"
health="$(curl -s "http://127.0.0.1:$PORT/health")"
printf 'resident memory after visiting all %s tenants: %s\n' "$TENANTS" "$(rss)"
printf 'caches: %s (bounds: content %s MB, pages %s MB; infra/config/base.toml [cache])\n' "$(grep -o '"cache":{[^}]*}' <<<"$health")" \
  "$(awk -F' = ' '/^content_max_mb/ {print $2}' "$ROOT/infra/config/base.toml")" "$(awk -F' = ' '/^pages_max_mb/ {print $2}' "$ROOT/infra/config/base.toml")"

# the console's search over all tenants, logged in
jar="$(console_login "$BIN" "$PORT" scale@kommunalportal.example)"
for q in "" "gemeinde-5000" "Nummer 77"; do
  # one request each: verified (the list, not the login page) and timed
  expect_page "console list, filter '$q'" "http://127.0.0.1:$PORT/?q=$(printf %s "$q" | sed 's/ /+/g')" 200 'href="/mandanten/neu"' -b "$jar" -H 'Host: ops.localhost'
  printf '%-40s %s s\n' "console list, filter '$q'" "$EXPECT_TIME"
done
rm -f "$jar"
