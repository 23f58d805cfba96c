#!/usr/bin/env bash
# Fault test (run by hand, not part of test-all.sh): does the platform keep its promises when the
# server is killed and the database restarts under load?
#
#   Load     CITIZENS (10) citizens of Kaiserslautern file applications for DURATION (60) seconds
#            (benches/faults/load.mjs): Bewohnerparkausweis with a PDF attachment, filed at once and
#            paid afterwards; Geburtsurkunde, paid before filing. Failed requests are retried, a
#            submission always with the submission key the portal issued with the draft; some
#            submits are also sent twice at once or again after their answer (DOUBLE_SUBMIT 0.1,
#            REPLAY_SUBMIT 0.2), so the idempotent path runs even where no fault hits a commit.
#   Faults   at +15 s and +35 s `kill -9` of the server, restarted after RESTART_DELAY (2) s; at +25 s
#            PostgreSQL restarts (fast shutdown). At each fault every citizen's reserved payment is
#            confirmed at the Stripe stand-in, so webhooks are sent while the portal cannot take them.
#   Verdict  (benches/faults/check.mjs) every acknowledged submission exists exactly once; no draft,
#            case or payment is duplicated; every queued mail arrived exactly once at the test
#            mailbox; every webhook the stand-in created was applied (on its retry where the portal
#            was down); time to recover per fault.
#
# Everything runs on private ports, with its own PostgreSQL cluster (port 55433, a temporary data
# directory, stopped and removed at the end), so it can run next to the test suite and the demo.
#
#   ./benches/faults.sh                          # debug build (builds it first)
#   BUILD=release ./benches/faults.sh            # release build
#   SKIP_BUILD=1 ./benches/faults.sh             # use the binary that is there (or PORTAL_BIN=...)
#
# Settings (environment): PORT (3206), FAULT_PG_PORT (55433), MAILBOX_SMTP_PORT (2626),
# MAILBOX_HTTP_PORT (2680), IDP_PORT (4021), ROGUE_PORT (4022), STRIPE_PORT (12121), CITIZENS (10),
# DURATION (60), THINK_MS (250: a citizen's pause per step), KILL1_AT (15), PG_AT (25), KILL2_AT (35),
# RESTART_DELAY (2), GRACE (90: to finish what is under way), REGISTER_WAIT (120), RECOVERY_LIMIT (120),
# DRAIN_MAX (600) / DRAIN_STALL (60: the mail queue's drain, in all / without progress),
# FOLLOW_CLAIMS (1: wait up to CLAIM_WAIT=90 s for mail jobs claimed by a killed server to be
# retried), KEEP=1 (keep the database cluster for inspection).
# Output: $CACHE/faults/<time>/ with logs, results.json, faults.jsonl, summary.md, summary.json.
# Exit status: 0 every promise kept, 1 a promise broken (or the run failed), 3 undecided (see notes).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../infra/scripts/lib.sh"

BUILD="${BUILD:-debug}"
case "$BUILD" in debug|release) ;; *) die "BUILD must be debug or release" ;; esac
PORT="${PORT:-3206}"
FAULT_PG_PORT="${FAULT_PG_PORT:-55433}"
# lib.sh start_test_services and the services themselves (tests/e2e/services/*.mjs) read these
export MAILBOX_SMTP_PORT="${MAILBOX_SMTP_PORT:-2626}" MAILBOX_HTTP_PORT="${MAILBOX_HTTP_PORT:-2680}"
export IDP_PORT="${IDP_PORT:-4021}" ROGUE_PORT="${ROGUE_PORT:-4022}" STRIPE_PORT="${STRIPE_PORT:-12121}"
CITIZENS="${CITIZENS:-10}"; DURATION="${DURATION:-60}"; GRACE="${GRACE:-90}"
KILL1_AT="${KILL1_AT:-15}"; PG_AT="${PG_AT:-25}"; KILL2_AT="${KILL2_AT:-35}"; RESTART_DELAY="${RESTART_DELAY:-2}"
DRAIN_MAX="${DRAIN_MAX:-600}"; DRAIN_STALL="${DRAIN_STALL:-60}"; FOLLOW_CLAIMS="${FOLLOW_CLAIMS:-1}"; CLAIM_WAIT="${CLAIM_WAIT:-90}"
RECOVERY_LIMIT="${RECOVERY_LIMIT:-120}"; REGISTER_WAIT="${REGISTER_WAIT:-120}"
TENANT_HOST=kaiserslautern.localhost
STRIPE_ACCOUNT=acct_demoKaiserslautern   # tenants/demo/payments/payments.toml
DB=kommunalportal_faults

RUN_ID="$(date +%Y%m%d-%H%M%S)"
RUN_DIR="$CACHE/faults/$RUN_ID"
LOGS="$RUN_DIR/logs"; STATE="$RUN_DIR/state"
mkdir -p "$LOGS" "$STATE"
now_ms() { date +%s%3N; }

# ------------------------------------------------------------------------------------------------
step "Fault test $RUN_ID: ports and tools"
# The ports of the demo and the test suite (run-demo.sh, test-all.sh, lib.sh defaults) are never
# used here, and every port must be free: a leftover mailbox or stand-in would mix in its messages
# and events (start_test_services reuses whatever answers on its ports).
for p in "$PORT" "$FAULT_PG_PORT" "$MAILBOX_SMTP_PORT" "$MAILBOX_HTTP_PORT" "$IDP_PORT" "$ROGUE_PORT" "$STRIPE_PORT"; do
  case " 3000 3101 2525 2580 4011 4012 12111 5432 55432 " in *" $p "*) die "port $p belongs to the demo or the test suite; choose another" ;; esac
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "port $p is in use (a leftover run? see ps); set another"; fi
done
info "portal $PORT, PostgreSQL $FAULT_PG_PORT, mailbox SMTP $MAILBOX_SMTP_PORT / HTTP $MAILBOX_HTTP_PORT, OpenID $IDP_PORT/$ROGUE_PORT, Stripe stand-in $STRIPE_PORT"
ensure_node
command -v psql >/dev/null || apt_install postgresql-client
command -v curl >/dev/null || apt_install curl
info "output in $RUN_DIR"

# ------------------------------------------------------------------------------------------------
# clean-up: everything this script started, by process id

SERVER_PID=""; DRIVER_PID=""; PG_DATA=""; PG_BIN=""; SERVER_BIN=""
# as root, the cluster belongs to the postgres user (from /: it may not enter the working directory)
as_pg() { if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }
cleanup() {
  local rc=$?
  set +e
  [ -n "$DRIVER_PID" ] && kill "$DRIVER_PID" 2>/dev/null
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && { wait "$SERVER_PID"; } 2>/dev/null
  stop_test_services
  if [ -n "$PG_DATA" ] && [ -f "$PG_DATA/PG_VERSION" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1
    if [ "${KEEP:-0}" = 1 ]; then info "kept the cluster in $PG_DATA (start: pg_ctl -D $PG_DATA -o '-p $FAULT_PG_PORT -k $PG_DATA' start)"
    else cp "$PG_DATA/postgres.log" "$LOGS/postgres.log" 2>/dev/null; rm -rf "$PG_DATA"; fi
  fi
  [ -n "$SERVER_BIN" ] && [ "$SERVER_BIN" = "$RUN_DIR/portal" ] && rm -f "$SERVER_BIN"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------------------------------------
if [ "${SKIP_BUILD:-0}" != 1 ] && [ -z "${PORTAL_BIN:-}" ]; then
  ensure_rust
  build_site "$BUILD"
  step "Building the $BUILD server"
  if [ "$BUILD" = release ]; then cargo build --quiet --release -p portal-server --bin portal
  else cargo build --quiet -p portal-server --bin portal; fi
fi
BIN="${PORTAL_BIN:-$CARGO_TARGET_DIR/$BUILD/portal}"
[ -x "$BIN" ] || die "no server binary at $BIN (build it, or set PORTAL_BIN)"
[ -d "$SITE_DIR/pkg" ] || die "no site in $SITE_DIR (build_site $BUILD)"
# a private copy: a cargo build running meanwhile must not swap the binary between two restarts
SERVER_BIN="$RUN_DIR/portal"; cp "$BIN" "$SERVER_BIN"

# ------------------------------------------------------------------------------------------------
step "A private PostgreSQL cluster on port $FAULT_PG_PORT"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  apt_install postgresql
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
fi
if [ "$(id -u)" = 0 ]; then
  # the postgres user cannot enter root's home (where $CACHE is): a directory like lib.sh's
  mkdir -p /var/lib/kommunalportal
  PG_DATA="$(mktemp -d /var/lib/kommunalportal/faults-pg.XXXXXX)"
  chown postgres:postgres "$PG_DATA"
else
  PG_DATA="$(mktemp -d "$CACHE/faults-pg.XXXXXX")"
fi
chmod 700 "$PG_DATA"
as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
PG_LOG="$PG_DATA/postgres.log"
pg_start() { as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -o "-p $FAULT_PG_PORT -k $PG_DATA -c listen_addresses=127.0.0.1" -w -t 60 start >/dev/null; }
pg_stop() { as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null; }
pg_start
# lib.sh's database helpers (ensure_database, use_database, psql_admin) work against this cluster
export PG_HOST=127.0.0.1 PG_PORT="$FAULT_PG_PORT"
ensure_database "$DB"   # a new cluster: nothing to drop
use_database "$DB"
SUPER_URL="postgres://postgres@$PG_HOST:$PG_PORT/$DB"
psql_db() { psql "$SUPER_URL" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
info "$PG_DATA ($("$PG_BIN/postgres" --version))"

# ------------------------------------------------------------------------------------------------
step "Test services: mailbox, OpenID provider, Stripe stand-in (webhooks to port $PORT)"
PORTAL_PORT="$PORT" start_test_services "$LOGS"
STRIPE_URL="${STRIPE_API_BASE%/}"

# ------------------------------------------------------------------------------------------------
step "The server ($BUILD) on port $PORT"
export APP_ENVIRONMENT=local APP_CONFIG_DIR="$ROOT/infra/config" APP__SERVER__BIND="127.0.0.1:$PORT"
export APP__PATHS__SITE_DIR="$SITE_DIR" APP__PATHS__TENANTS_DIR="$ROOT/tenants"
export APP__TELEMETRY__LOG_FILTER="${LOG_FILTER:-info,sqlx=warn,tower_http=warn}" APP__TELEMETRY__LOG_FORMAT=json
export APP__MAIL__WORKER=true APP__PAYMENTS__WORKER=true
# infra/config/local.toml names the stand-in's default port; lib.sh exports only STRIPE_API_BASE
export APP__PAYMENTS__API_BASE="$STRIPE_API_BASE" APP__PAYMENTS__JS_URL="${STRIPE_API_BASE}js/stripe.js"
start_server() {
  echo "{\"fault_test\":\"server start\",\"at_ms\":$(now_ms)}" >> "$LOGS/server.log"
  "$SERVER_BIN" serve >> "$LOGS/server.log" 2>&1 &
  SERVER_PID=$!
}
start_server
wait_for_http "http://127.0.0.1:$PORT/health" 180 || { tail -30 "$LOGS/server.log"; die "the server did not start"; }
# the payment jobs check the demo's connected account at start-up (charges enabled) on a fresh database
for _ in $(seq 1 60); do
  [ "$(psql_db "select count(*) from payment_setup where account_charges_enabled" 2>/dev/null || echo 0)" -ge 1 ] && break; sleep 0.5
done
[ "$(psql_db "select count(*) from payment_setup where account_charges_enabled")" -ge 1 ] || die "the demo's Stripe account was never checked"
info "up: $(curl -s "http://127.0.0.1:$PORT/health")"

# ------------------------------------------------------------------------------------------------
# recovery: from the fault until /health answers 200 (database reachable), then until a portal page
# of the tenant answers 200; one line of JSON per fault in faults.jsonl for the verdict
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@" 2>/dev/null || true; }
measure_recovery() { # label kind t_fault t_restart
  local t_health=null t_page=null limit=$(( $(now_ms) + RECOVERY_LIMIT * 1000 ))
  while [ "$(now_ms)" -lt "$limit" ]; do
    if [ "$(http_code "http://127.0.0.1:$PORT/health")" = 200 ]; then t_health="$(now_ms)"; break; fi
    sleep 0.1
  done
  while [ "$t_health" != null ] && [ "$(now_ms)" -lt "$limit" ]; do
    if [ "$(http_code -H "Host: $TENANT_HOST" "http://127.0.0.1:$PORT/leistungen/geburtsurkunde")" = 200 ]; then t_page="$(now_ms)"; break; fi
    sleep 0.1
  done
  printf '{"label":"%s","kind":"%s","t_fault":%s,"t_restart":%s,"t_health":%s,"t_page":%s}\n' "$1" "$2" "$3" "$4" "$t_health" "$t_page" >> "$STATE/faults.jsonl"
  if [ "$t_page" = null ]; then info "$1: NOT recovered within $RECOVERY_LIMIT s"
  else info "$1: health after $(( t_health - $3 )) ms, page after $(( t_page - $3 )) ms"; fi
}

# tells the driver a fault is under way (it pays its reserved intents now); removed when recovered
signal_fault() { echo "$1" > "$STATE/fault.tmp"; mv "$STATE/fault.tmp" "$STATE/fault"; }
end_fault() { rm -f "$STATE/fault"; }

fault_kill() { # label
  local t_fault t_restart
  t_fault="$(now_ms)"
  kill -9 "$SERVER_PID" 2>/dev/null || info "$1: the server had already ended"
  { wait "$SERVER_PID"; } 2>/dev/null || true
  signal_fault "$1"
  info "$1: server killed (kill -9 $SERVER_PID), restart in $RESTART_DELAY s"
  sleep "$RESTART_DELAY"
  t_restart="$(now_ms)"
  start_server
  measure_recovery "$1" kill "$t_fault" "$t_restart"
  end_fault
}

fault_postgres() { # label
  # pg_ctl restart -m fast, as its two halves: the driver's payments are confirmed while the
  # database is down, not before it went down
  local t_fault t_restart
  t_fault="$(now_ms)"
  pg_stop
  signal_fault "$1"
  info "$1: PostgreSQL stopped (fast), starting again"
  pg_start
  t_restart="$(now_ms)"
  measure_recovery "$1" postgres "$t_fault" "$t_restart"
  end_fault
}

sleep_until() { # epoch ms
  local d=$(( $1 - $(now_ms) ))
  if [ "$d" -gt 0 ]; then sleep "$(awk -v d="$d" 'BEGIN { printf "%.3f", d / 1000 }')"; fi
}

# ------------------------------------------------------------------------------------------------
step "Load: $CITIZENS citizens for $DURATION s; faults at +$KILL1_AT s (kill -9), +$PG_AT s (PostgreSQL), +$KILL2_AT s (kill -9)"
STATE_DIR="$STATE" PORT="$PORT" TENANT_HOST="$TENANT_HOST" MAILBOX_URL="$MAILBOX_URL" STRIPE_URL="$STRIPE_URL" \
  CITIZENS="$CITIZENS" DURATION="$DURATION" GRACE="$GRACE" THINK_MS="${THINK_MS:-250}" REGISTER_WAIT="$REGISTER_WAIT" RUN_ID="$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')" \
  node "$ROOT/benches/faults/load.mjs" &
DRIVER_PID=$!
# registration of all citizens first (bounded by the driver's own REGISTER_WAIT), then the clock starts
for _ in $(seq 1 $(( (REGISTER_WAIT + 30) * 10 ))); do
  [ -f "$STATE/load-started" ] && break
  kill -0 "$DRIVER_PID" 2>/dev/null || break
  sleep 0.1
done
[ -f "$STATE/load-started" ] || { { wait "$DRIVER_PID"; } 2>/dev/null || true; DRIVER_PID=""; die "the load driver did not get its citizens registered (see $STATE/load.log)"; }
T0="$(cat "$STATE/load-started")"

# the faults, in time order (each waits for the previous one's recovery)
while read -r at kind label <&4; do
  [ "$at" -lt "$DURATION" ] || { info "$label at +$at s is after the load ($DURATION s): skipped"; continue; }
  sleep_until $(( T0 + at * 1000 ))
  if [ "$kind" = kill ]; then fault_kill "$label"; else fault_postgres "$label"; fi
done 4< <(printf '%s kill kill-1\n%s postgres postgres-restart\n%s kill kill-2\n' "$KILL1_AT" "$PG_AT" "$KILL2_AT" | sort -n)

# the driver stops by itself after DURATION + GRACE; a watchdog for the case it does not
driver_limit=$(( T0 + (DURATION + GRACE + 60) * 1000 ))
while kill -0 "$DRIVER_PID" 2>/dev/null && [ "$(now_ms)" -lt "$driver_limit" ]; do sleep 0.5; done
if kill -0 "$DRIVER_PID" 2>/dev/null; then info "the load driver overran its deadline: stopped"; kill "$DRIVER_PID"; fi
driver_rc=0; { wait "$DRIVER_PID"; } 2>/dev/null || driver_rc=$?
DRIVER_PID=""
[ -f "$STATE/results.json" ] || die "the load driver left no results (exit $driver_rc, see $STATE/load.log)"
kill -0 "$SERVER_PID" 2>/dev/null || die "the server is not running after the load (see $LOGS/server.log)"

# ------------------------------------------------------------------------------------------------
step "Waiting for the mail queue to drain and for the stand-in's webhook retries"
load_end="$(now_ms)"
# the stand-in retries a webhook 4 times within ~5 s of its first attempt; after 10 s none is left
sleep_until $(( load_end + 10000 ))
# Bounded twice: DRAIN_MAX in all, and DRAIN_STALL without the number of due mails going down.
drain_limit=$(( load_end + DRAIN_MAX * 1000 ))
last_due=-1; last_progress="$(now_ms)"; last_print=0; stale_since=""
while :; do
  # due: waiting to be sent (or retried); claimed: taken by a worker — a live one sends within
  # a second, a claim that stays was made by a killed server and expires after 5 minutes
  if ! queue="$(psql_db "select count(*) filter (where status = 'pending' or (status = 'running' and locked_until <= now())),
      count(*) filter (where status = 'running' and locked_until > now()),
      coalesce(ceil(extract(epoch from max(locked_until) filter (where status = 'running' and locked_until > now())) * 1000)::bigint, 0)
    from job where kind = 'mail'")"; then
    [ "$(now_ms)" -lt "$drain_limit" ] || die "the job table cannot be read"
    sleep 1; continue
  fi
  IFS='|' read -r due claimed claim_end <<<"$queue"
  if [ "$due" = 0 ] && [ "$claimed" = 0 ]; then info "mail queue empty after $(( ($(now_ms) - load_end) / 1000 )) s"; break; fi
  if [ "$due" != "$last_due" ]; then
    if [ "$last_due" -ge 0 ] && [ "$due" -lt "$last_due" ]; then last_progress="$(now_ms)"; fi
    last_due="$due"
  fi
  if [ $(( $(now_ms) - last_print )) -ge 10000 ]; then info "mail queue: $due due, $claimed claimed"; last_print="$(now_ms)"; fi
  if [ "$due" = 0 ]; then
    stale_since="${stale_since:-$(now_ms)}"
    if [ $(( $(now_ms) - stale_since )) -gt 15000 ]; then
      if [ "$FOLLOW_CLAIMS" = 1 ] && [ "$claim_end" -lt $(( load_end + CLAIM_WAIT * 1000 )) ]; then
        info "$claimed mail job(s) claimed by a killed server until $(date -d "@$(( claim_end / 1000 ))" +%T): waiting for the retry"
        sleep_until $(( claim_end + 5000 )); stale_since=""; last_progress="$(now_ms)"; continue
      fi
      info "$claimed mail job(s) claimed by a killed server (retried once the claim expires at $(date -d "@$(( claim_end / 1000 ))" +%T); FOLLOW_CLAIMS=1 waits)"
      break
    fi
  else
    stale_since=""
  fi
  if [ "$(now_ms)" -ge "$drain_limit" ] || [ $(( $(now_ms) - last_progress )) -gt $(( DRAIN_STALL * 1000 )) ]; then
    info "gave up waiting: $due due, $claimed claimed"; break
  fi
  sleep 1
done

# ------------------------------------------------------------------------------------------------
step "Verdict"
check_rc=0
STATE_DIR="$STATE" DB_URL="$SUPER_URL" MAILBOX_URL="$MAILBOX_URL" STRIPE_URL="$STRIPE_URL" STRIPE_ACCOUNT="$STRIPE_ACCOUNT" \
  TENANT_SLUG=kaiserslautern node "$ROOT/benches/faults/check.mjs" || check_rc=$?
errors="$(grep -c '"level":"ERROR"' "$LOGS/server.log" || true)"; panics="$(grep -c 'panicked at' "$LOGS/server.log" || true)"
info "server log: $errors ERROR lines, $panics panics ($LOGS/server.log)"
info "figures for the docs: $STATE/summary.md"
[ "$driver_rc" = 0 ] || { info "the load driver exited with $driver_rc"; [ "$check_rc" != 0 ] || check_rc=1; }
exit "$check_rc"
