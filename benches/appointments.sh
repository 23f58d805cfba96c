#!/usr/bin/env bash
# Benchmark (not a test): appointments. In the same run:
#  1. free slots: the booking page of a location with 10 counters, its 60-day window half booked,
#     computing every free slot of the window and rendering one day's times (p99), against the
#     portal home from memory (baseline);
#  2. bookings per second through the booking function (advisory lock, free slots, insert under the
#     exclusion constraint, row-level security) against pgbench's single-row insert rate on the same
#     database;
#  3. 1,000 live listeners (call displays and portal waiting times) on one server process: memory per
#     listener (the server's RSS before and after) and the delay of one update to all of them.
#
#   ./benches/appointments.sh        # 20 s per wrk target, 32 connections; 16 booking tasks for 10 s
PORT=3207; BENCH_DB=kommunalportal_bench_appointments
# a thousand streams need more than the default 1,024 descriptors (server and client)
ulimit -n 65536 2>/dev/null || ulimit -n 8192
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
command -v pgbench >/dev/null || apt_install postgresql-contrib
psql_owner() { psql "postgres://postgres@$PG_HOST:$PG_PORT/$BENCH_DB" "$@"; }

step "A location with 10 counters, Mon–Fri 07:00–19:00 and Sat 08:00–13:00, half booked for 60 days"
TENANT="$(psql_owner -qtAc "select tenant_id from tenant where slug = 'kaiserslautern'")"
LOC="$(psql_owner -qtAc "
  insert into appointment_location (tenant_id, location_id, name, display_token) values ('$TENANT', gen_random_uuid(), 'Bench-Bürgerbüro', 'bench-anzeige-0123456789abcdefghijklmnopqrstuv')
  on conflict do nothing returning location_id")"
psql_owner -q <<SQL
insert into appointment_hours (tenant_id, location_id, weekday, opens, closes)
  select '$TENANT'::uuid, '$LOC'::uuid, d, '07:00'::time, '19:00'::time from generate_series(1, 5) d union all select '$TENANT'::uuid, '$LOC'::uuid, 6, '08:00'::time, '13:00'::time;
insert into appointment_service (tenant_id, location_id, service_slug, duration_min, min_notice_min, max_days_ahead, walkin_share)
  values ('$TENANT', '$LOC', 'personalausweis', 10, 0, 60, 20);
insert into appointment_counter (tenant_id, counter_id, location_id, name, services)
  select '$TENANT', gen_random_uuid(), '$LOC', 'Platz ' || i, '{personalausweis}' from generate_series(1, 10) i;
-- every other 10-minute slot of every counter booked, from tomorrow for 60 days (opening hours only)
insert into appointment_booking (tenant_id, booking_id, location_id, counter_id, services, starts_at, ends_at, blocked_until, status, number, name, phone, manage_hash, booked_by_staff)
  select '$TENANT', gen_random_uuid(), '$LOC', c.counter_id, '{personalausweis}', s, s + interval '10 minutes', s + interval '10 minutes', 'booked',
         upper(substr(md5(random()::text), 1, 8)), 'Bench', '0631 1', sha256(gen_random_uuid()::text::bytea), true
    from appointment_counter c,
         generate_series((current_date + 1)::timestamp, (current_date + 60)::timestamp, interval '20 minutes') t,
         lateral (select (t at time zone 'Europe/Berlin') as s) x
   where c.location_id = '$LOC' and extract(isodow from t) between 1 and 5 and t::time >= '07:00' and t::time < '18:50';
SQL
echo "bookings in the window: $(psql_owner -tAc "select count(*) from appointment_booking where location_id = '$LOC'")"
DAY="$(date -d '+3 days' +%F)"
# warm the tenant's content
curl -s -o /dev/null -H "Host: $HOST" "http://127.0.0.1:$PORT/"

step "1. Free slots of 10 counters over 60 days (the booking page of a day), against the portal home"
for CONNECTIONS in ${CONNECTION_COUNTS:-32}; do
  run_wrk home / "Willkommen im Serviceportal"
  # the free slots computed: the next free one is named (also on a day without opening hours)
  run_wrk free-slots "/termine/buchen?ort=$LOC&dienst=personalausweis&personen=1&tag=$DAY" "Nächster freier Termin"
  echo "  ratio free-slots/home: $(awk -v a="$(cat "$CACHE/bench-free-slots.rps")" -v b="$(cat "$CACHE/bench-home.rps")" 'BEGIN { printf "%.3f", a / b }')"
done

step "2. Bookings per second against pgbench single-row inserts"
cargo build --quiet --release -p portal-server --example book_bench
BOOK="$(BENCH_TENANT="$TENANT" BENCH_LOCATION="$LOC" TASKS="${TASKS:-16}" SECONDS="${BOOK_SECONDS:-10}" "$CARGO_TARGET_DIR/release/examples/book_bench")"
echo "  booking function: $BOOK"
psql_owner -q -c "drop table if exists bench_insert; create table bench_insert (id bigserial primary key, at timestamptz not null default now(), note text not null)"
echo "insert into bench_insert (note) values ('x');" > "$CACHE/bench-insert.sql"
PGB="$(pgbench -n -c "${TASKS:-16}" -j 2 -T "${BOOK_SECONDS:-10}" -f "$CACHE/bench-insert.sql" "postgres://postgres@$PG_HOST:$PG_PORT/$BENCH_DB" 2>&1 | awk '/^tps/ {print int($3)}')"
echo "  pgbench single insert: $PGB per second"
echo "  ratio bookings/inserts: $(awk -v a="${BOOK##*per_second=}" -v b="$PGB" 'BEGIN { split(a, x, " "); printf "%.3f", x[1] / b }')"
psql_owner -q -c "drop table bench_insert"

step "3. 1,000 live listeners on one server process"
TOKEN=bench-anzeige-0123456789abcdefghijklmnopqrstuv
rss() { awk '/VmRSS/ {print $2}' "/proc/$SERVER/status"; }
BEFORE="$(rss)"
CHANGE="insert into appointment_ticket (tenant_id, ticket_id, location_id, day, number, code, services, status, counter_id, called_at)
  select '$TENANT', gen_random_uuid(), '$LOC', current_date, 9000 + (select count(*) from appointment_ticket where location_id = '$LOC'), 'A' || (900 + (select count(*) from appointment_ticket where location_id = '$LOC')), '{personalausweis}', 'called', counter_id, now()
    from appointment_counter where location_id = '$LOC' order by name limit 1"
coproc LIVE { cd "$ROOT/tests/e2e" && PORT="$PORT" HOST="$HOST" LISTENERS="${LISTENERS:-1000}" DISPLAY_PATH="/anzeige/$TOKEN/live" PORTAL_PATH="/termine/live/$LOC" \
  CHANGE_SQL="$CHANGE" PSQL_URL="postgres://postgres@$PG_HOST:$PG_PORT/$BENCH_DB" node "$ROOT/benches/live-listeners.mjs" 2>&1; }
read -r line <&"${LIVE[0]}"; [ "$line" = READY ] || die "listeners: $line"
sleep 1
AFTER="$(rss)"
echo go >&"${LIVE[1]}"
read -r RESULT <&"${LIVE[0]}"
echo "  $RESULT"
# every listener must have received the change (the driver checked each stream's status: 200)
RECEIVED="$(grep -o '"received":[0-9]*' <<<"$RESULT" | cut -d: -f2 || true)"
echo "  listeners without the update: $(( ${LISTENERS:-1000} - ${RECEIVED:-0} ))"
judge "live listeners" "${LISTENERS:-1000}" "$(( ${LISTENERS:-1000} - ${RECEIVED:-0} ))"
echo "  server RSS: $BEFORE kB before, $AFTER kB with ${LISTENERS:-1000} listeners: $(( (AFTER - BEFORE) * 1024 / ${LISTENERS:-1000} )) bytes per listener"
