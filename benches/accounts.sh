#!/usr/bin/env bash
# Benchmark (not a test): what a Bürgerkonto costs per request. Compares, in the same run, an
# anonymous account page (login form) with the logged-in account page (session lookup in the
# tenant's table + account load) and the portal home, and times a password login (argon2id verify,
# session start) end to end.
#
#   ./benches/accounts.sh             # 20 s per target, 32 connections
PORT=3203; BENCH_DB=kommunalportal_bench_accounts
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

step "wrk: $CONNECTIONS connections, $DURATION per target (server, PostgreSQL and wrk share $(nproc) cores)"
wrk -t1 -c4 -d3s -H "Host: $HOST" "http://127.0.0.1:$PORT/" >/dev/null
run_wrk portal-home /
run_wrk login-form-anonymous /konto/anmelden
run_wrk account-logged-in /konto "kp_session=$SESSION"
awk -v a="$(cat "$CACHE/bench-login-form-anonymous.rps")" -v l="$(cat "$CACHE/bench-account-logged-in.rps")" \
  'BEGIN { printf "logged-in account page / anonymous login page throughput ratio: %.3f\n", l / a }'

step "Password login end to end (argon2id m=19 MiB t=2 p=1 verify + session), 10 sequential logins"
JAR="$(mktemp)"   # anonymous again: the login form is only shown to visitors who are not logged in
T="$(c "http://127.0.0.1:$PORT/konto/anmelden" | csrf)"
total=0
for _ in $(seq 1 10); do
  ms="$(curl -s -b "$JAR" -H "Host: $HOST" -o /dev/null -w '%{time_total}' --data-urlencode "_csrf=$T" --data-urlencode "email=$EMAIL" --data-urlencode "password=$PW" "http://127.0.0.1:$PORT/konto/anmelden" | awk '{printf "%d", $1 * 1000}')"
  total=$((total + ms))
done
echo "mean login: $((total / 10)) ms"
