# Shared by the benchmarks (sourced, not run): builds the release server and site, starts the test
# services and the server on $PORT with a fresh database $BENCH_DB, registers and verifies a citizen
# through the forms and the mailbox ($EMAIL, $PW, $SESSION, cookie jar $JAR, helpers c, csrf and mailed_link), and
# defines run_wrk NAME PATH MARKER [COOKIE] [STATUS]. The checks of what is measured (verify_page,
# wrk_expect, req, tally_check ...) are in expect.sh, sourced here.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../infra/scripts/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/expect.sh"
DURATION="${DURATION:-20s}"; CONNECTIONS="${CONNECTIONS:-32}"
HOST=kaiserslautern.localhost
command -v wrk >/dev/null || apt_install wrk
ensure_rust
ensure_postgres
build_site release
step "Building the release server"
cargo build --quiet --release -p portal-server --bin portal
PORTAL_PORT="$PORT" start_test_services "$CACHE/bench-logs"
ensure_database "$BENCH_DB" fresh
use_database "$BENCH_DB"
export APP_ENVIRONMENT=local APP_CONFIG_DIR="$ROOT/infra/config" APP__SERVER__BIND="127.0.0.1:$PORT"
export APP__PATHS__SITE_DIR="$SITE_DIR" APP__PATHS__TENANTS_DIR="$ROOT/tenants" APP__TELEMETRY__LOG_FILTER=warn
"$CARGO_TARGET_DIR/release/portal" serve > "$CACHE/$BENCH_DB.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; stop_test_services' EXIT
wait_for_http "http://127.0.0.1:$PORT/health" 120 || die "portal did not start"

step "Registering a citizen through the forms and the mailbox"
JAR="$(mktemp)"; EMAIL="bench-$(date +%s)@example.org"; PW="Bench-Laterne-2026-x"
# (none found: empty, the request after it is then counted as unexpected)
csrf() { { grep -o 'name="_csrf" value="[^"]*"' || true; } | head -1 | sed 's/.*value="//; s/"$//'; }
c() { curl -s -b "$JAR" -c "$JAR" -H "Host: $HOST" "$@"; }
T="$(c "http://127.0.0.1:$PORT/konto/registrieren" | csrf)"
c -o /dev/null --data-urlencode "_csrf=$T" --data-urlencode "email=$EMAIL" --data-urlencode "password=$PW" --data-urlencode "password_repeat=$PW" --data-urlencode privacy=on "http://127.0.0.1:$PORT/konto/registrieren"
# mailed_link TO PATH: the first link to PATH?token=… in a mail to TO (waits up to 10 s)
mailed_link() {
  local link=""
  for _ in $(seq 1 40); do
    link="$(curl -s "$MAILBOX_URL/messages?to=$1" | grep -o "http://[^\"]*$2?token=[A-Za-z0-9_-]*" | head -1 || true)"
    [ -n "$link" ] && break; sleep 0.25
  done
  echo "$link"
}
LINK="$(mailed_link "$EMAIL" konto/bestaetigen)"
[ -n "$LINK" ] || die "no verification mail"
TOKEN="${LINK##*token=}"
T="$(c "http://127.0.0.1:$PORT/konto/bestaetigen?token=$TOKEN" | csrf)"
c -o /dev/null --data-urlencode "_csrf=$T" --data-urlencode "token=$TOKEN" --data-urlencode "password=$PW" "http://127.0.0.1:$PORT/konto/bestaetigen"
SESSION="$(awk '$6 == "kp_session" {print $7}' "$JAR")"
[ -n "$SESSION" ] || die "no session after verification"

# run_wrk NAME PATH MARKER [COOKIE] [STATUS]: the page verified (status 200 unless given, MARKER in
# it), then measured with wrk on $HOST; one row of the table, its req/s kept in $CACHE/bench-NAME.rps
run_wrk() {
  verify_page "$1" "$2" "$3" "${4:-}" "${5:-200}"
  wrk_expect "$1" "${5:-200}" -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Host: $HOST" ${4:+-H "Cookie: $4"} "http://127.0.0.1:$PORT$2"
  wrk_row "$1"
}

# wrk_row NAME: the row of the last wrk_expect (non-2xx: wrk's count of 4xx/5xx; unexpected: every
# status but the expected one), then its verdict (more than 0.1 % unexpected: the script fails)
wrk_row() {
  printf '%-26s %10s req/s   p99 %8s   non-2xx %s   unexpected %s\n' "$1" "$WRK_RPS" "$WRK_P99" "$WRK_NON2XX" "$WRK_UNEXPECTED"
  echo "$WRK_RPS" > "$CACHE/bench-$1.rps"
  wrk_judge
}
