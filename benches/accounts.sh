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
run_wrk portal-home / "Willkommen im Serviceportal"
run_wrk login-form-anonymous /konto/anmelden 'action="/konto/anmelden"'
run_wrk account-logged-in /konto "$EMAIL" "kp_session=$SESSION"
awk -v a="$(cat "$CACHE/bench-login-form-anonymous.rps")" -v l="$(cat "$CACHE/bench-account-logged-in.rps")" \
  'BEGIN { printf "logged-in account page / anonymous login page throughput ratio: %.3f\n", l / a }'

step "Password login end to end (argon2id m=19 MiB t=2 p=1 verify + session), 10 sequential logins"
JAR="$(mktemp)"   # anonymous again: the login form is only shown to visitors who are not logged in
T="$(c "http://127.0.0.1:$PORT/konto/anmelden" | csrf)"
login() { # [curl args]: one login, expected 303 to the account page; its time in $REQ_TIME
  req 303 /konto curl -s -b "$JAR" -H "Host: $HOST" -o /dev/null --data-urlencode "_csrf=$T" --data-urlencode "email=$EMAIL" --data-urlencode "password=$PW" "$@" "http://127.0.0.1:$PORT/konto/anmelden" >/dev/null
}
# before the timed logins: one whose session opens the account page
CHECK_JAR="$(mktemp)"
login -c "$CHECK_JAR"
tally_check "login (verified)"
expect_page "account after login" "http://127.0.0.1:$PORT/konto" 200 "$EMAIL" -b "$CHECK_JAR" -H "Host: $HOST"
total=0
for _ in $(seq 1 10); do
  login
  ms="$(awk -v t="$REQ_TIME" 'BEGIN { printf "%d", t * 1000 }')"
  total=$((total + ms))
done
echo "mean login: $((total / 10)) ms"
tally_check "logins"
