#!/usr/bin/env bash
# Benchmark (not a test): what online applications cost. Compares, in the same run, the portal home
# (baseline) with a logged-in citizen's form page (draft + schema + profile prefill + island props),
# the check-your-answers page and the staff-free "my applications" list; then files complete
# applications end to end (start, three pages with validation, idempotent submit with mail queued)
# one after the other and reports the mean time per application.
#
#   ./benches/applications.sh         # 20 s per target, 32 connections
PORT=3204; BENCH_DB=kommunalportal_bench_applications
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# one application, start to submit; prints the draft path. Each request's status (and where it leads)
# is checked and tallied (expect.sh req); tally_check judges them.
apply_once() {
  local start page t loc key
  t="$(req 200 'name="_csrf"' c "http://127.0.0.1:$PORT/leistungen/meldebescheinigung/antrag" | csrf)"
  loc="$(req 303 /seite/person c -o /dev/null --data-urlencode "_csrf=$t" "http://127.0.0.1:$PORT/leistungen/meldebescheinigung/antrag")"
  start="${loc#http://*/}"; start="/${start}"; page="${start%/seite/*}"
  req 303 /seite/certificate c -o /dev/null -F "_csrf=$t" -F _action=weiter -F given_name=Bench -F family_name=Mark -F birth_date=01.02.1980 \
    -F address.street="Marktstr. 1" -F address.postcode=67655 -F address.town=Kaiserslautern -F email="$EMAIL" "http://127.0.0.1:$PORT$page/seite/person" >/dev/null
  req 303 /seite/evidence c -o /dev/null -F "_csrf=$t" -F _action=weiter -F kind=einfach -F purpose=bank -F copies=1 -F delivery=post "http://127.0.0.1:$PORT$page/seite/certificate" >/dev/null
  req 303 /pruefen c -o /dev/null -F "_csrf=$t" -F _action=weiter -F declaration=ja "http://127.0.0.1:$PORT$page/seite/evidence" >/dev/null
  key="$(req 200 'name="submission_key"' c "http://127.0.0.1:$PORT$page/pruefen" | { grep -o 'name="submission_key" value="[^"]*"' || true; } | sed 's/.*value="//; s/"$//')"
  req 303 /fertig c -o /dev/null --data-urlencode "_csrf=$t" --data-urlencode "submission_key=$key" "http://127.0.0.1:$PORT$page/absenden" >/dev/null
  echo "$page"
}

step "Preparing a draft"
DRAFT="$(apply_once)"
# a second, unfinished draft for the form page
T="$(req 200 'name="_csrf"' c "http://127.0.0.1:$PORT/leistungen/meldebescheinigung/antrag" | csrf)"
LOC="$(req 303 /seite/person c -o /dev/null --data-urlencode "_csrf=$T" "http://127.0.0.1:$PORT/leistungen/meldebescheinigung/antrag")"
FORM_PAGE="/${LOC#http://*/}"
OPEN="${FORM_PAGE%/seite/*}"
req 303 /seite/certificate c -o /dev/null -F "_csrf=$T" -F _action=weiter -F given_name=Bench -F family_name=Mark -F birth_date=01.02.1980 \
    -F address.street="Marktstr. 1" -F address.postcode=67655 -F address.town=Kaiserslautern -F email="$EMAIL" "http://127.0.0.1:$PORT$FORM_PAGE" >/dev/null
tally_check "preparing (an application filed, a draft)"

step "wrk: $CONNECTIONS connections, $DURATION per target (server, PostgreSQL and wrk share $(nproc) cores)"
wrk -t1 -c4 -d3s -H "Host: $HOST" "http://127.0.0.1:$PORT/" >/dev/null
run_wrk portal-home / "Willkommen im Serviceportal"
run_wrk form-page "$FORM_PAGE" 'id="application-form"' "kp_session=$SESSION"
run_wrk check-page "$OPEN/pruefen" 'name="submission_key"' "kp_session=$SESSION"
run_wrk my-applications /konto/antraege "href=\"$OPEN/pruefen\"" "kp_session=$SESSION"   # the open draft listed
awk -v h="$(cat "$CACHE/bench-portal-home.rps")" -v f="$(cat "$CACHE/bench-form-page.rps")" -v k="$(cat "$CACHE/bench-check-page.rps")" \
  'BEGIN { printf "form page / portal home: %.2f   check page / portal home: %.2f\n", f / h, k / h }'

step "Complete applications end to end, 20 one after the other (6 requests each incl. validation and submit)"
start_ns="$(date +%s%N)"
for _ in $(seq 1 20); do apply_once >/dev/null; done
end_ns="$(date +%s%N)"
echo "mean per application: $(( (end_ns - start_ns) / 20000000 )) ms (curl process start and the status checks included)"
tally_check "applications end to end"
CASE="$(req 200 /konto/antraege/ c "http://127.0.0.1:$PORT/konto/antraege" | grep -o '/konto/antraege/[0-9a-f-]\{36\}' | head -1 | sed 's#.*/##' || true)"
[ -n "$CASE" ] || die "no filed application in the list"
expect_page receipt-pdf "http://127.0.0.1:$PORT/konto/antraege/$CASE/quittung.pdf" 200 "%PDF-" -b "$JAR" -H "Host: $HOST"
echo "receipt PDF: $EXPECT_TIME s, $EXPECT_SIZE bytes"
