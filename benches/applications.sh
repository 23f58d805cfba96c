#!/usr/bin/env bash
# Benchmark (not a test): what online applications cost. Compares, in the same run, the portal home
# (baseline) with a logged-in citizen's form page (draft + schema + profile prefill + island props),
# the check-your-answers page and the staff-free "my applications" list; then files complete
# applications end to end (start, three pages with validation, idempotent submit with mail queued)
# one after the other and reports the mean time per application.
#
#   ./benches/applications.sh         # 20 s per target, 32 connections
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../infra/scripts/lib.sh"
DURATION="${DURATION:-20s}"; CONNECTIONS="${CONNECTIONS:-32}"; PORT=3204
HOST=kaiserslautern.localhost
command -v wrk >/dev/null || apt_install wrk
ensure_rust
ensure_postgres
build_site release
step "Building the release server"
cargo build --quiet --release -p portal-server --bin portal
start_test_services "$CACHE/bench-logs"
ensure_database kommunalportal_bench_applications fresh
use_database kommunalportal_bench_applications
export APP_ENVIRONMENT=local APP_CONFIG_DIR="$ROOT/infra/config" APP__SERVER__BIND="127.0.0.1:$PORT"
export APP__PATHS__SITE_DIR="$SITE_DIR" APP__PATHS__TENANTS_DIR="$ROOT/tenants" APP__TELEMETRY__LOG_FILTER=warn
"$CARGO_TARGET_DIR/release/portal" serve > "$CACHE/bench-applications.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; stop_test_services' EXIT
wait_for_http "http://127.0.0.1:$PORT/health" 120 || die "portal did not start"

step "Registering a citizen through the forms and the mailbox"
JAR="$(mktemp)"; EMAIL="bench-$(date +%s)@example.org"; PW="Bench-Laterne-2026-x"
csrf() { grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//'; }
c() { curl -s -b "$JAR" -c "$JAR" -H "Host: $HOST" "$@"; }
T="$(c "http://127.0.0.1:$PORT/konto/registrieren" | csrf)"
c -o /dev/null --data-urlencode "_csrf=$T" --data-urlencode "email=$EMAIL" --data-urlencode "password=$PW" --data-urlencode "password_repeat=$PW" --data-urlencode privacy=on "http://127.0.0.1:$PORT/konto/registrieren"
LINK=""
for _ in $(seq 1 40); do
  LINK="$(curl -s "$MAILBOX_URL/messages?to=$EMAIL" | grep -o 'http://[^"]*konto/bestaetigen?token=[A-Za-z0-9_-]*' | head -1 || true)"
  [ -n "$LINK" ] && break; sleep 0.25
done
[ -n "$LINK" ] || die "no verification mail"
TOKEN="${LINK##*token=}"
T="$(c "http://127.0.0.1:$PORT/konto/bestaetigen?token=$TOKEN" | csrf)"
c -o /dev/null --data-urlencode "_csrf=$T" --data-urlencode "token=$TOKEN" --data-urlencode "password=$PW" "http://127.0.0.1:$PORT/konto/bestaetigen"
SESSION="$(awk '$6 == "kp_session" {print $7}' "$JAR")"
[ -n "$SESSION" ] || die "no session after verification"

run_wrk() { # name path [cookie]
  local out; out="$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Host: $HOST" ${3:+-H "Cookie: $3"} "http://127.0.0.1:$PORT$2")"
  local rps p99 non2xx
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"; p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"; non2xx="$(awk '/Non-2xx/ {print $4}' <<<"$out")"
  printf '%-26s %10s req/s   p99 %8s   non-2xx %s\n' "$1" "$rps" "$p99" "${non2xx:-0}"
  echo "$rps" > "$CACHE/bench-$1.rps"
}

# one application, start to submit; prints the draft path
apply_once() {
  local start page t loc
  t="$(c "http://127.0.0.1:$PORT/leistungen/meldebescheinigung/antrag" | csrf)"
  loc="$(c -o /dev/null -w '%{redirect_url}' --data-urlencode "_csrf=$t" "http://127.0.0.1:$PORT/leistungen/meldebescheinigung/antrag")"
  start="${loc#http://*/}"; start="/${start}"; page="${start%/seite/*}"
  c -o /dev/null -F "_csrf=$t" -F _action=weiter -F given_name=Bench -F family_name=Mark -F birth_date=01.02.1980 \
    -F address.street="Marktstr. 1" -F address.postcode=67655 -F address.town=Kaiserslautern -F email="$EMAIL" "http://127.0.0.1:$PORT$page/seite/person"
  c -o /dev/null -F "_csrf=$t" -F _action=weiter -F kind=einfach -F purpose=bank -F copies=1 -F delivery=post "http://127.0.0.1:$PORT$page/seite/certificate"
  c -o /dev/null -F "_csrf=$t" -F _action=weiter -F declaration=ja "http://127.0.0.1:$PORT$page/seite/evidence"
  local key; key="$(c "http://127.0.0.1:$PORT$page/pruefen" | grep -o 'name="submission_key" value="[^"]*"' | sed 's/.*value="//; s/"$//')"
  c -o /dev/null --data-urlencode "_csrf=$t" --data-urlencode "submission_key=$key" "http://127.0.0.1:$PORT$page/absenden"
  echo "$page"
}

step "Preparing a draft"
DRAFT="$(apply_once)"
# a second, unfinished draft for the form page
T="$(c "http://127.0.0.1:$PORT/leistungen/meldebescheinigung/antrag" | csrf)"
LOC="$(c -o /dev/null -w '%{redirect_url}' --data-urlencode "_csrf=$T" "http://127.0.0.1:$PORT/leistungen/meldebescheinigung/antrag")"
FORM_PAGE="/${LOC#http://*/}"
OPEN="${FORM_PAGE%/seite/*}"
c -o /dev/null -F "_csrf=$T" -F _action=weiter -F given_name=Bench -F family_name=Mark -F birth_date=01.02.1980 \
    -F address.street="Marktstr. 1" -F address.postcode=67655 -F address.town=Kaiserslautern -F email="$EMAIL" "http://127.0.0.1:$PORT$FORM_PAGE"

step "wrk: $CONNECTIONS connections, $DURATION per target (server, PostgreSQL and wrk share $(nproc) cores)"
wrk -t1 -c4 -d3s -H "Host: $HOST" "http://127.0.0.1:$PORT/" >/dev/null
run_wrk portal-home /
run_wrk form-page "$FORM_PAGE" "kp_session=$SESSION"
run_wrk check-page "$OPEN/pruefen" "kp_session=$SESSION"
run_wrk my-applications /konto/antraege "kp_session=$SESSION"
awk -v h="$(cat "$CACHE/bench-portal-home.rps")" -v f="$(cat "$CACHE/bench-form-page.rps")" -v k="$(cat "$CACHE/bench-check-page.rps")" \
  'BEGIN { printf "form page / portal home: %.2f   check page / portal home: %.2f\n", f / h, k / h }'

step "Complete applications end to end, 20 one after the other (6 requests each incl. validation and submit)"
start_ns="$(date +%s%N)"
for _ in $(seq 1 20); do apply_once >/dev/null; done
end_ns="$(date +%s%N)"
echo "mean per application: $(( (end_ns - start_ns) / 20000000 )) ms (curl process start included)"
c -o /dev/null -w 'receipt PDF: %{time_total} s, %{size_download} bytes\n' "http://127.0.0.1:$PORT/konto/antraege/$(c "http://127.0.0.1:$PORT/konto/antraege" | grep -o '/konto/antraege/[0-9a-f-]\{36\}' | head -1 | sed 's#.*/##')/quittung.pdf"
