#!/usr/bin/env bash
# Benchmark (not a test): print@home documents. In the same run:
#  1. tokens signed and verified per second and the PDFs (A4 and the windscreen card): median
#     rendering time and size; issuing a permit in the database as the office does (20 times);
#  2. the check endpoint (/pruefen/<token>: the token verified against the tenant's key set, its
#     state read from the register, the page rendered) against the portal home from memory
#     (baseline), with wrk.
#
#   ./benches/documents.sh        # 20 s per wrk target, 32 connections
PORT=3209; BENCH_DB=kommunalportal_bench_documents
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

step "1. Tokens, PDFs and issuing"
cargo build --quiet --release -p portal-server --example documents_bench
OUT="$(DOCUMENTS_TOML="$ROOT/tenants/catalogue/documents.toml" BENCH_BASE="http://$HOST:$PORT" RUNS="${RUNS:-200}" "$CARGO_TARGET_DIR/release/examples/documents_bench")"
grep -v '^token=' <<<"$OUT" | sed 's/^/  /'
TOKEN="$(sed -n 's/^token=//p' <<<"$OUT")"
[ -n "$TOKEN" ] || die "no token issued"

step "2. The check endpoint against the portal home"
curl -s -o /dev/null -H "Host: $HOST" "http://127.0.0.1:$PORT/"
for CONNECTIONS in ${CONNECTION_COUNTS:-32}; do
  run_wrk home / "Willkommen im Serviceportal"
  run_wrk check "/pruefen/$TOKEN" "Echt · "   # the verdict: genuine
  run_wrk key-set /pruefen/schluessel.json '"crv":"Ed25519"'
  echo "  ratio check/home: $(awk -v a="$(cat "$CACHE/bench-check.rps")" -v b="$(cat "$CACHE/bench-home.rps")" 'BEGIN { printf "%.3f", a / b }')"
done
