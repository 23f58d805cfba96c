#!/usr/bin/env bash
# Benchmark (not a test): what the second factor adds to a console login. Times, in the same run,
# the password step (argon2id verify, the delay buckets, the sealed pending login) and the code step
# (opening the sealed key, HMAC-SHA-1 over three steps, the step taken under the row's lock, the
# session), and the set-up page with its QR code; the ratio code step / password step.
#
#   ./benches/second-factor.sh        # a set-up, then 6 logins (two per 30-second step: ~90 s)
PORT=3207; BENCH_DB=kommunalportal_bench_second_factor
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

step "An operator, then logins with the second factor"
OPS_EMAIL="bench-ops-$(date +%s)@kommunalportal.example"; OPS_PW="bench-passwort-sicher-2026"
PORTAL_OPERATOR_PASSWORD="$OPS_PW" "$CARGO_TARGET_DIR/release/portal" operator create --email "$OPS_EMAIL" --name "Bench Betrieb" >/dev/null
npm_install "$ROOT/tests/e2e"
node "$ROOT/benches/second-factor.mjs" "$PORT" "$OPS_EMAIL" "$OPS_PW"
