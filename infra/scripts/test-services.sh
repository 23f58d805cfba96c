#!/usr/bin/env bash
# What the integration tests need besides themselves, installed or started only where it is missing:
# the PDF and QR tools of the document tests (Debian packages), PostgreSQL (lib.sh's private cluster
# when nothing answers on 127.0.0.1:5432 and TEST_DATABASE_URL names none), the test mailbox, the
# OpenID providers and the Stripe-compatible server. The test support (tests/support) runs this when
# a test binary is started by plain `cargo test`; test-all.sh starts the same components itself.
# Progress goes to stderr; stdout carries the settings for the tests as KEY=VALUE lines. The node
# services started here end with the process PARENT_PID (the test binary) when it is set; a
# PostgreSQL cluster started here keeps running, like the one run-demo.sh starts.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
# the stand-in's webhooks go nowhere: the integration tests post their events themselves, and a demo
# server on the usual port must not receive the tests' events
export PORTAL_PORT=9
{
  ensure_poppler
  [ -n "${TEST_DATABASE_URL:-}" ] || ensure_postgres
  start_test_services "$CACHE/test-services"
} >&2
[ -n "${TEST_DATABASE_URL:-}" ] || echo "TEST_DATABASE_URL=postgres://postgres@$PG_HOST:$PG_PORT/postgres"
