#!/usr/bin/env bash
# Runs the platform with the demo tenants on http://*.localhost:3000 (console: http://ops.localhost:3000).
# Installs and starts what is missing (wasm target, wasm-bindgen, npm packages, PostgreSQL).
# Options: PORT (default 3000), OPERATOR_EMAIL / OPERATOR_PASSWORD (demo operator account).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PORT="${PORT:-3000}"
OPERATOR_EMAIL="${OPERATOR_EMAIL:-betrieb@kommunalportal.example}"
OPERATOR_PASSWORD="${OPERATOR_PASSWORD:-demo-passwort-2026}"

ensure_rust
ensure_postgres
ensure_database kommunalportal
use_database kommunalportal
build_site release
step "Building the server"
cargo build --quiet -p portal-server --bin portal
BIN="$CARGO_TARGET_DIR/debug/portal"

export APP_ENVIRONMENT=local APP_CONFIG_DIR="$ROOT/infra/config"
export APP__SERVER__BIND="127.0.0.1:$PORT" APP__PATHS__SITE_DIR="$SITE_DIR" APP__PATHS__TENANTS_DIR="$ROOT/tenants"
step "Starting the demo mailbox and the test identity provider"
PORTAL_PORT="$PORT" start_test_services "$CACHE/demo-logs"
trap 'stop_test_services' EXIT
step "Migrating and creating the demo operator"
"$BIN" migrate
PORTAL_OPERATOR_PASSWORD="$OPERATOR_PASSWORD" "$BIN" operator create --email "$OPERATOR_EMAIL" --name "Betriebsteam (Demo)"

cat <<MSG

  Portals:   http://kaiserslautern.localhost:$PORT  http://dueren.localhost:$PORT  http://guetersloh.localhost:$PORT
             http://ludwigslust-parchim.localhost:$PORT  http://amt-neustadt-glewe.localhost:$PORT
             http://neustadt-glewe.localhost:$PORT  http://blievenstorf.localhost:$PORT  http://brenz.localhost:$PORT
  Console:   http://ops.localhost:$PORT   ($OPERATOR_EMAIL / $OPERATOR_PASSWORD)
  Health:    http://127.0.0.1:$PORT/health     Metrics: http://ops.localhost:$PORT/metrics
  Mailbox:   $MAILBOX_URL   (every mail the platform sends: verification, invitations ...)
  eID test:  "Test-eID (Demo)" on each portal's login page; users erika / max, password "test"
  Staff:     invite a tenant admin in the console (Zugang), accept the mail's link, then /verwaltung
  Payments:  local Stripe-compatible server on ${STRIPE_API_BASE}; test cards 4242 4242 4242 4242 (paid), 4000 0000 0000 0002 (declined)
  Stop with Ctrl-C.

MSG
"$BIN" serve
