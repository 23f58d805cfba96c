#!/usr/bin/env bash
# Benchmark (not a test): the form builder. In the same run:
#  1. a 100-field form built by the builder's operations (median time of one operation, each
#     checked as the loader checks), the import of the largest FIM example (BlaueKarte.xml,
#     XDatenfelder 2.0) against the smallest, and the builder's save of the 100-field draft in the
#     database (read, change, revision check, write, commit) and its publication;
#  2. the citizen's form page of the imported form (an own service made from the import, a draft
#     of a logged-in citizen) against the portal home (baseline) and a catalogue form's first page,
#     with wrk.
#
#   ./benches/forms.sh        # 20 s per wrk target, 32 connections
PORT=3210; BENCH_DB=kommunalportal_bench_forms
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

step "1. Operations, import, save and publish"
cargo build --quiet --release -p portal-server --example forms_bench
OUT="$(FIM_DIR="$ROOT/tests/data/fim" RUNS="${RUNS:-50}" "$CARGO_TARGET_DIR/release/examples/forms_bench")"
grep -v '^slug=' <<<"$OUT" | sed 's/^/  /'
SLUG="$(sed -n 's/^slug=//p' <<<"$OUT")"
[ -n "$SLUG" ] || die "no own service made"

step "2. The imported form's first page against the portal home"
# the portal's cache learns of the new service by notification; the start page answers once it has
T=""
for _ in $(seq 1 40); do
  T="$(c "http://127.0.0.1:$PORT/leistungen/$SLUG/antrag" | csrf || true)"
  [ -n "$T" ] && break; sleep 0.25
done
[ -n "$T" ] || die "the own service is not offered"
LOC="$(req 303 /seite/ c -o /dev/null --data-urlencode "_csrf=$T" "http://127.0.0.1:$PORT/leistungen/$SLUG/antrag")"
FORM_PAGE="/${LOC#http://*/}"
FORM_MARKER='id="application-form"'   # a form page of an application, not a redirect to the login
verify_page imported-form-page "$FORM_PAGE" "$FORM_MARKER" "kp_session=$SESSION"
echo "  imported form page: HTTP 200, $EXPECT_SIZE bytes"
# for comparison, the first page of a catalogue form (Meldebescheinigung)
T="$(req 200 'name="_csrf"' c "http://127.0.0.1:$PORT/leistungen/meldebescheinigung/antrag" | csrf)"
LOC="$(req 303 /seite/person c -o /dev/null --data-urlencode "_csrf=$T" "http://127.0.0.1:$PORT/leistungen/meldebescheinigung/antrag")"
tally_check "preparing (the two forms' drafts)"
CATALOGUE_PAGE="/${LOC#http://*/}"
verify_page catalogue-form-page "$CATALOGUE_PAGE" "$FORM_MARKER" "kp_session=$SESSION"
echo "  catalogue form page: HTTP 200, $EXPECT_SIZE bytes"
wrk -t1 -c4 -d3s -H "Host: $HOST" "http://127.0.0.1:$PORT/" >/dev/null
for CONNECTIONS in ${CONNECTION_COUNTS:-32}; do
  run_wrk portal-home / "Willkommen im Serviceportal"
  run_wrk imported-form-page "$FORM_PAGE" "$FORM_MARKER" "kp_session=$SESSION"
  run_wrk catalogue-form-page "$CATALOGUE_PAGE" "$FORM_MARKER" "kp_session=$SESSION"
  echo "  ratio imported form page / portal home: $(awk -v a="$(cat "$CACHE/bench-imported-form-page.rps")" -v b="$(cat "$CACHE/bench-portal-home.rps")" 'BEGIN { printf "%.3f", a / b }')"
  echo "  ratio imported form page / catalogue form page: $(awk -v a="$(cat "$CACHE/bench-imported-form-page.rps")" -v b="$(cat "$CACHE/bench-catalogue-form-page.rps")" 'BEGIN { printf "%.3f", a / b }')"
done
