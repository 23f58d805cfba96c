#!/usr/bin/env bash
# Benchmark (not a test): the Kita portal. In the same run:
#  1. the facility search page (every facility of the tenant, filters, map data, distances from an
#     address) against the portal home from memory (baseline), with wrk;
#  2. the coordinated allocation of a generated city of 10,000 children and 150 facilities: in
#     memory (ranked lists from the criteria as the baseline, the rounds of deferred acceptance,
#     the stability check, peak memory), and in the database as the youth office runs it (one phase
#     to the end: load, every round's offers written, the check), with the process's memory.
#
#   ./benches/kita.sh        # 20 s per wrk target, 32 connections; CHILDREN=10000 FACILITIES=150
PORT=3208; BENCH_DB=kommunalportal_bench_kita
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# warm the tenant's content
curl -s -o /dev/null -H "Host: $HOST" "http://127.0.0.1:$PORT/"

step "1. The facility search page against the portal home"
for CONNECTIONS in ${CONNECTION_COUNTS:-32}; do
  run_wrk home / "Willkommen im Serviceportal"
  run_wrk kita-search "/kita?alter=3&betreuung=kita&adresse=Fackelstra%C3%9Fe+3&km=5" 'class="kita-map"'
  echo "  ratio search/home: $(awk -v a="$(cat "$CACHE/bench-kita-search.rps")" -v b="$(cat "$CACHE/bench-home.rps")" 'BEGIN { printf "%.3f", a / b }')"
done

step "2. The allocation of ${CHILDREN:-10000} children over ${FACILITIES:-150} facilities"
cargo build --quiet --release -p portal-server --example kita_bench
CHILDREN="${CHILDREN:-10000}" FACILITIES="${FACILITIES:-150}" RUNS="${RUNS:-5}" "$CARGO_TARGET_DIR/release/examples/kita_bench" | sed 's/^/  /'
