#!/usr/bin/env bash
# Runs the whole test suite: unit and in-process HTTP tests (cargo test, against PostgreSQL as the
# application role), then the browser journeys (Chromium + playwright-core + axe-core) against a
# server started here, with a real SMTP server and a real OpenID provider (tests/e2e/services).
# Installs and starts whatever is missing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
E2E_PORT="${E2E_PORT:-3101}"; E2E_PORT_B="${E2E_PORT_B:-3102}"

ensure_rust
ensure_postgres
ensure_chromium
ensure_poppler
npm_install "$ROOT/tests/e2e"
build_site debug

step "Formatting (rustfmt.toml) and lints (clippy, warnings are errors)"
cargo fmt --all --check
cargo clippy --workspace --exclude portal-hydrate --all-targets --quiet -- -D warnings

step "Static checks of the tests (no ignored or skipped tests, no unchecked responses, journeys scan every page)"
node "$ROOT/tests/e2e/check-tests.mjs"

step "Building the server and the tests"
# one build of the server binary and every test target: a separate `cargo build -p portal-server`
# resolves other features than the workspace's tests and compiled the server and the UI crate twice
cargo build --workspace --exclude portal-hydrate --lib --bins --tests --examples --quiet

step "Starting the test mailbox (SMTP) and the OpenID provider"
mkdir -p "$ROOT/tests/e2e/artifacts"
start_test_services "$ROOT/tests/e2e/artifacts"
trap 'stop_test_services' EXIT

step "Unit and in-process HTTP tests"
export TEST_DATABASE_URL="postgres://postgres@$PG_HOST:$PG_PORT/postgres"
export TEST_TENANTS_DIR="$ROOT/tenants" TEST_LEIKA_CSV="$ROOT/tests/data/leika/leika-2019.csv"
cargo test --workspace --exclude portal-hydrate -- --test-threads="${TEST_THREADS:-4}"

step "Browser journeys"
ensure_database kommunalportal_e2e fresh
use_database kommunalportal_e2e
export APP_ENVIRONMENT=test APP_CONFIG_DIR="$ROOT/infra/config"
export APP__SERVER__BIND="127.0.0.1:$E2E_PORT" APP__PATHS__SITE_DIR="$SITE_DIR" APP__PATHS__TENANTS_DIR="$ROOT/tenants"
BIN="$CARGO_TARGET_DIR/debug/portal"
"$BIN" migrate
# an operator per journey file (helpers.mjs: OPERATOR), each with its own second factor: no journey
# waits for a fresh 30-second step because another one's login spent the current one
export E2E_OPERATOR_PASSWORD="e2e-passwort-sicher-2026"
for journey in "$ROOT"/tests/e2e/journeys/*.test.mjs; do
  name="$(basename "$journey" .test.mjs)"
  PORTAL_OPERATOR_PASSWORD="$E2E_OPERATOR_PASSWORD" "$BIN" operator create --email "e2e-betrieb-$name@kommunalportal.example" \
    --name "E2E Betrieb ($name)" >/dev/null
done
mkdir -p "$ROOT/tests/e2e/artifacts"
# the journeys' authenticator app keeps the operator's key here: a fresh database, a fresh key
rm -f "$ROOT/tests/e2e/artifacts/authenticator.json"
"$BIN" serve > "$ROOT/tests/e2e/artifacts/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true; wait $SERVER_PID 2>/dev/null || true; stop_test_services' EXIT
wait_for_http "http://127.0.0.1:$E2E_PORT/health" 120 || { tail -50 "$ROOT/tests/e2e/artifacts/server.log"; die "the server did not start"; }
# a second server process on the same database (its own caches and notification listener), for the
# journey that changes data on one and reads it on the other; background work stays with the first
APP__SERVER__BIND="127.0.0.1:$E2E_PORT_B" APP__MAIL__WORKER=false APP__PAYMENTS__WORKER=false "$BIN" serve > "$ROOT/tests/e2e/artifacts/server-b.log" 2>&1 &
SERVER_B_PID=$!
trap 'kill $SERVER_PID $SERVER_B_PID 2>/dev/null || true; wait $SERVER_PID $SERVER_B_PID 2>/dev/null || true; stop_test_services' EXIT
wait_for_http "http://127.0.0.1:$E2E_PORT_B/health" 120 || { tail -50 "$ROOT/tests/e2e/artifacts/server-b.log"; die "the second server did not start"; }
export E2E_PORT E2E_PORT_B
(cd "$ROOT/tests/e2e" && node --test --test-concurrency=1 journeys/)
