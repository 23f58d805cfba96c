#!/usr/bin/env bash
# What the integration tests need besides themselves, installed or started only where it is missing:
# the PDF and QR tools of the document tests (Debian packages), PostgreSQL (lib.sh's private cluster when nothing answers on 127.0.0.1:5432), the test mailbox, the
# OpenID providers and the Stripe-compatible server. The test support (tests/support) runs this when
# a test binary is started by plain `cargo test`; test-all.sh starts the same components itself.
# Progress goes to stderr; stdout carries the settings for the tests as KEY=VALUE lines. Services
# started here end with the process PARENT_PID (the test binary) when it is set.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
{
  ensure_poppler
  ensure_postgres
  start_test_services "$CACHE/test-services"
} >&2
echo "TEST_DATABASE_URL=postgres://postgres@$PG_HOST:$PG_PORT/postgres"
