#!/usr/bin/env bash
# Shared set-up steps for run-demo.sh, test-all.sh and the bench script. Every step checks first and
# installs or starts only what is missing, so the scripts are idempotent and fast when warm.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${KP_CACHE:-$HOME/.cache/kommunalportal}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
SITE_DIR="${SITE_DIR:-$CACHE/site}"
TOOLS="$CACHE/tools"
WASM_BINDGEN_VERSION="0.2.130"   # must equal the wasm-bindgen pin in Cargo.toml
export PATH="$TOOLS/bin:$HOME/.cargo/bin:$PATH"
mkdir -p "$CACHE" "$TOOLS"

step() { printf '\n\033[1m==> %s\033[0m (at %ss)\n' "$*" "$SECONDS"; }
info() { printf '    %s\n' "$*"; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
APT_UPDATED=""
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found: install $* by hand"
  if [ -z "$APT_UPDATED" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_rust() {
  step "Rust toolchain and wasm target"
  command -v cargo >/dev/null || die "cargo not found: install the Rust toolchain with rustup first"
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    info "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  for component in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
      info "adding the $component component"
      rustup component add "$component"
    fi
  done
  info "$(cargo --version)"
}

ensure_wasm_bindgen() {
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
    step "Installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (once per machine, a few minutes)"
    cargo install --quiet wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --root "$TOOLS"
  fi
}

ensure_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    step "Installing Node.js and npm (Debian packages)"
    apt_install nodejs npm
  fi
}

# npm_install DIR: installs the locked packages of DIR when they changed.
npm_install() {
  local dir="$1" stamp="$1/node_modules/.lock-stamp"
  ensure_node
  if [ ! -f "$stamp" ] || ! cmp -s "$dir/package-lock.json" "$stamp"; then
    info "npm ci in ${dir#$ROOT/}"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$dir/package-lock.json" "$stamp"
  fi
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    step "Installing Chromium (Debian package)"
    apt_install chromium
  fi
}

# poppler-utils and zbar-tools: the document tests read the PDFs' text and structure, render them
# (pdftotext, pdfinfo, pdftoppm) and read the QR code back with a real decoder (zbarimg)
ensure_poppler() {
  if ! command -v pdftoppm >/dev/null || ! command -v zbarimg >/dev/null; then
    step "Installing poppler-utils and zbar-tools (Debian packages)"
    apt_install poppler-utils zbar-tools
  fi
}

ensure_python_fonttools() {
  local venv="$CACHE/venv"
  if [ ! -x "$venv/bin/pyftsubset" ]; then
    step "Installing fonttools (PyPI) for font subsetting"
    command -v python3 >/dev/null || apt_install python3
    python3 -m venv "$venv" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$venv"; }
    "$venv/bin/pip" install --quiet --disable-pip-version-check fonttools==4.68.0 brotli==1.2.1
  fi
}

# Finds a PostgreSQL server to use, or starts a private cluster. Sets PG_HOST, PG_PORT (superuser
# "postgres", trust authentication on loopback).
ensure_postgres() {
  step "PostgreSQL"
  command -v psql >/dev/null || apt_install postgresql-client
  PG_HOST="${PG_HOST:-127.0.0.1}"
  PG_PORT="${PG_PORT:-5432}"
  if psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
    info "using the server on $PG_HOST:$PG_PORT"
    return
  fi
  PG_PORT=55432
  local bin data log
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    info "installing the PostgreSQL server (Debian package)"
    apt_install postgresql
    bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  fi
  if [ "$(id -u)" = 0 ]; then data=/var/lib/kommunalportal/pg; else data="$CACHE/pg"; fi
  log="$data.log"
  if psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
    info "using the private cluster on $PG_HOST:$PG_PORT"
    return
  fi
  info "starting a private cluster in $data on port $PG_PORT"
  if [ "$(id -u)" = 0 ]; then
    mkdir -p "$data"; chown postgres:postgres "$data" "$(dirname "$data")"; touch "$log"; chown postgres "$log"
    [ -f "$data/PG_VERSION" ] || su postgres -c "$bin/initdb -D $data -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null"
    su postgres -c "$bin/pg_ctl -D $data -l $log -o '-p $PG_PORT -k /tmp -c listen_addresses=127.0.0.1' -w start >/dev/null"
  else
    mkdir -p "$data"
    [ -f "$data/PG_VERSION" ] || "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    "$bin/pg_ctl" -D "$data" -l "$log" -o "-p $PG_PORT -k /tmp -c listen_addresses=127.0.0.1" -w start >/dev/null
  fi
}

# psql_admin SQL...: runs SQL as the superuser on the maintenance database.
psql_admin() { psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -Atqc "$1"; }

# ensure_database NAME [fresh]: creates NAME (dropping it first when "fresh").
ensure_database() {
  local name="$1" fresh="${2:-}"
  if [ "$fresh" = fresh ]; then psql_admin "drop database if exists $name with (force)" >/dev/null; fi
  if [ -z "$(psql_admin "select 1 from pg_database where datname = '$name'")" ]; then
    psql_admin "create database $name" >/dev/null
    info "database $name created"
  fi
}

# Points the server at database NAME: owner = postgres, application role = portal_app.
use_database() {
  export APP__DATABASE__URL="postgres://portal_app:portal_app@$PG_HOST:$PG_PORT/$1"
  export APP__DATABASE__PLATFORM_URL="postgres://portal_platform:portal_platform@$PG_HOST:$PG_PORT/$1"
  export APP__DATABASE__OWNER_URL="postgres://postgres@$PG_HOST:$PG_PORT/$1"
}

# build_site debug|release: the wasm bundle, KERN CSS and subset fonts into $SITE_DIR.
build_site() {
  local mode="${1:-debug}"
  "$ROOT/infra/scripts/build-site.sh" "$mode"
}

# wait_for_http URL [seconds]
wait_for_http() {
  local url="$1" limit="${2:-60}" i=0
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    i=$((i + 1)); [ "$i" -le "$((limit * 2))" ] || return 1; sleep 0.5
  done
}

# console_login BIN PORT EMAIL: creates operator EMAIL (if missing) with a generated password, logs in
# through the console's form (login CSRF cookie and field) and prints the path of a cookie jar that
# holds the session.
console_login() {
  local bin="$1" port="$2" email="$3" password jar form csrf
  password="bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
  PORTAL_OPERATOR_PASSWORD="$password" "$bin" operator create --email "$email" --name "Benchmark" >/dev/null
  jar="$(mktemp)"
  form="$(curl -s -c "$jar" -H 'Host: ops.localhost' "http://127.0.0.1:$port/login")"
  csrf="$(grep -o 'name="_csrf" value="[^"]*"' <<<"$form" | head -1 | sed 's/.*value="//; s/"$//')"
  curl -s -b "$jar" -c "$jar" -H 'Host: ops.localhost' --data-urlencode "_csrf=$csrf" --data-urlencode "email=$email" \
    --data-urlencode "password=$password" "http://127.0.0.1:$port/login" -o /dev/null
  # a new operator sets up the second factor: the key from the set-up page, its first code computed
  # as an authenticator app does (RFC 6238, tests/e2e/totp.mjs)
  local setup secret code
  setup="$(curl -s -b "$jar" -c "$jar" -H 'Host: ops.localhost' "http://127.0.0.1:$port/login/einrichten")"
  secret="$(grep -oE '([A-Z2-7]{4} ){7}[A-Z2-7]{4}' <<<"$setup" | head -1 | tr -d ' ')"
  [ -n "$secret" ] || die "console login as $email: no key on the set-up page"
  csrf="$(grep -o 'name="_csrf" value="[^"]*"' <<<"$setup" | head -1 | sed 's/.*value="//; s/"$//')"
  code="$(cd "$ROOT/tests/e2e" && node -e "import('./totp.mjs').then((m) => console.log(m.totpAt(process.argv[1], Math.floor(Date.now() / 30000))))" "$secret")"
  curl -s -b "$jar" -c "$jar" -H 'Host: ops.localhost' --data-urlencode "_csrf=$csrf" --data-urlencode "code=$code" \
    "http://127.0.0.1:$port/login/einrichten" -o /dev/null
  grep -q ops_session "$jar" || die "console login as $email failed"
  echo "$jar"
}

# start_test_services LOGDIR: the local SMTP mailbox (2525, HTTP 2580), the OpenID provider (4011,
# hostile one 4012) and the Stripe-compatible server (12111, webhooks to the portal on $E2E_PORT or
# $PORTAL_PORT) from tests/e2e/services, unless something already answers there. Exports the
# settings the server and the tests read; stop_test_services ends them (the scripts call it on exit), or
# with PARENT_PID set, they end by themselves when that process has ended.
start_test_services() {
  local logdir="$1"
  mkdir -p "$logdir"
  npm_install "$ROOT/tests/e2e"
  export MAILBOX_URL="http://127.0.0.1:${MAILBOX_HTTP_PORT:-2580}" IDP_ISSUER="http://127.0.0.1:${IDP_PORT:-4011}"
  export ROGUE_IDP_BASE="http://127.0.0.1:${ROGUE_PORT:-4012}"
  # the local provider's client secret: the public one the demo tenants' files carry
  export IDP_CLIENT_SECRET="idp-test-secret"
  export APP__MAIL__SMTP_PORT="${MAILBOX_SMTP_PORT:-2525}"
  # the stand-in's test keys (never real Stripe keys: those come from the operator's environment)
  export STRIPE_API_BASE="http://127.0.0.1:${STRIPE_PORT:-12111}/"
  export APP__PAYMENTS__SECRET_KEY="${APP__PAYMENTS__SECRET_KEY:-sk_test_kommunalportal}"
  export APP__PAYMENTS__WEBHOOK_SECRET="${APP__PAYMENTS__WEBHOOK_SECRET:-whsec_test_kommunalportal}"
  if ! curl -fsS "${STRIPE_API_BASE}js/stripe.js" >/dev/null 2>&1; then
    (cd "$ROOT/tests/e2e" && STRIPE_WEBHOOK_SECRET="$APP__PAYMENTS__WEBHOOK_SECRET" \
      STRIPE_WEBHOOK_URL="http://127.0.0.1:${PORTAL_PORT:-${E2E_PORT:-3000}}/webhooks/stripe" STRIPE_WEBHOOK_HOST="ops.localhost" \
      exec node services/stripe.mjs) > "$logdir/stripe.log" 2>&1 &
    TEST_SERVICE_PIDS="${TEST_SERVICE_PIDS:-} $!"
  fi
  if ! curl -fsS "$MAILBOX_URL/messages" >/dev/null 2>&1; then
    (cd "$ROOT/tests/e2e" && exec node services/mailbox.mjs) > "$logdir/mailbox.log" 2>&1 &
    TEST_SERVICE_PIDS="${TEST_SERVICE_PIDS:-} $!"
  fi
  if ! curl -fsS "$IDP_ISSUER/.well-known/openid-configuration" >/dev/null 2>&1; then
    (cd "$ROOT/tests/e2e" && exec node services/idp.mjs) > "$logdir/idp.log" 2>&1 &
    TEST_SERVICE_PIDS="${TEST_SERVICE_PIDS:-} $!"
  fi
  wait_for_http "$MAILBOX_URL/messages" 30 || die "the test mailbox did not start (see $logdir/mailbox.log)"
  wait_for_http "$IDP_ISSUER/.well-known/openid-configuration" 30 || die "the OpenID provider did not start (see $logdir/idp.log)"
  wait_for_http "${STRIPE_API_BASE}js/stripe.js" 30 || die "the Stripe-compatible server did not start (see $logdir/stripe.log)"
  export TEST_SERVICE_PIDS
}

stop_test_services() {
  local p
  for p in ${TEST_SERVICE_PIDS:-}; do kill "$p" 2>/dev/null || true; done
}
