#!/usr/bin/env bash
# Benchmark (not a test): one tenant's portal page while a form editor of another tenant uploads
# the largest document the FIM importer takes, again and again (issue 27, finding 8: imports, PDFs
# and password hashes run on blocking threads, at most one per core). In the same run, with wrk:
#  1. Düren's home page alone (the baseline);
#  2. the same page while IMPORTERS (2) loops post a 7 MB import (190,000 elements) to a builder
#     of Kaiserslautern, each as soon as the last was answered.
# Prints p99 of both, their ratio, and how the imports were answered (422: read and refused as no
# FIM document, after parsing all of it).
#
#   ./benches/import-load.sh      # 20 s per wrk target, 32 connections
PORT=3211; BENCH_DB=kommunalportal_bench_import
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
BIN="$CARGO_TARGET_DIR/release/portal"
K=kaiserslautern.localhost

step "A tenant admin of Kaiserslautern (invited by an operator) and an own service to import into"
OPS="$(console_login "$BIN" "$PORT" import@kommunalportal.example)"
TID="$(psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d "$BENCH_DB" -Atc "select tenant_id from tenant where slug = 'kaiserslautern'")"
T="$(curl -s -b "$OPS" -H 'Host: ops.localhost' "http://127.0.0.1:$PORT/" | csrf)"
ADMIN="import-admin-$(date +%s)@kaiserslautern.example"
req 303 / curl -s -b "$OPS" -H 'Host: ops.localhost' -o /dev/null --data-urlencode "_csrf=$T" --data-urlencode "email=$ADMIN" \
  --data-urlencode "display_name=Ines Import" --data-urlencode role=tenant_admin "http://127.0.0.1:$PORT/mandanten/$TID/zugang" >/dev/null
LINK="$(mailed_link "$ADMIN" verwaltung/einladung)"
[ -n "$LINK" ] || die "no invitation mail"
STAFF="$(mktemp)"; s() { curl -s -b "$STAFF" -c "$STAFF" -H "Host: $K" "$@"; }
INVITE="/${LINK#http://*/}"
PAGE="$(s "http://127.0.0.1:$PORT$INVITE")"
T="$(csrf <<<"$PAGE")"; TOKEN="$(grep -o 'name="token" value="[^"]*"' <<<"$PAGE" | head -1 | sed 's/.*value="//; s/"$//')"
req 303 /verwaltung s -o /dev/null --data-urlencode "_csrf=$T" --data-urlencode "token=$TOKEN" --data-urlencode "password=$PW" \
  --data-urlencode "password_repeat=$PW" "http://127.0.0.1:$PORT/verwaltung/einladung" >/dev/null
PAGE="$(s "http://127.0.0.1:$PORT/verwaltung/formulare/eigene/neu")"
T="$(csrf <<<"$PAGE")"; KEY="$(grep -o 'name="key" value="[^"]*"' <<<"$PAGE" | head -1 | sed 's/.*value="//; s/"$//')"
CATEGORY="$(psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d "$BENCH_DB" -Atc "select category_slug from service_category order by position limit 1")"
LOC="$(req 303 /verwaltung/formulare/eigen- s -o /dev/null --data-urlencode "_csrf=$T" --data-urlencode "key=$KEY" --data-urlencode "name_de=Importlast" \
  --data-urlencode "summary_de=Benchmark" --data-urlencode "category=$CATEGORY" --data-urlencode fully_online=on "http://127.0.0.1:$PORT/verwaltung/formulare/eigene/neu")"
BUILDER="/${LOC#http://*/}"; BUILDER="${BUILDER%%\?*}"
PAGE="$(s "http://127.0.0.1:$PORT$BUILDER")"
T="$(csrf <<<"$PAGE")"; REV="$(grep -o 'name="revision" value="[^"]*"' <<<"$PAGE" | head -1 | sed 's/.*value="//; s/"$//')"
LARGE="$CACHE/bench-import-large.xml"
{ printf '<?xml version="1.0"?><r>'; for _ in $(seq 1 190); do printf '<f>Beschreibung eines Feldes mit Text</f>%.0s' $(seq 1 1000); done; printf '</r>'; } > "$LARGE"
printf '  import file: %s bytes\n' "$(stat -c %s "$LARGE")"
code="$(s -o /dev/null -w '%{http_code}' -F "_csrf=$T" -F "revision=$REV" -F "fim=@$LARGE;type=text/xml" "http://127.0.0.1:$PORT$BUILDER/fim-import")"
[ "$code" = 422 ] || die "the import answered $code, not 422"
tally_check "preparing (operator, tenant admin, own service, one import)"

HOST=dueren.localhost
MARKER="Stadt Düren"
wrk -t1 -c4 -d3s -H "Host: $HOST" "http://127.0.0.1:$PORT/" >/dev/null
step "1. Düren's home page alone"
run_wrk dueren-home-alone / "$MARKER"
P99_ALONE="$WRK_P99"

step "2. The same page while ${IMPORTERS:-2} loops import 7 MB into Kaiserslautern's builder"
RUNNING="$(mktemp)"; CODES="$CACHE/bench-import-codes"; : > "$CODES"; LOOPS=()
for _ in $(seq 1 "${IMPORTERS:-2}"); do
  ( while [ -e "$RUNNING" ]; do
      curl -s -b "$STAFF" -H "Host: $K" -o /dev/null -w '%{http_code} %{time_total}\n' -F "_csrf=$T" -F "revision=$REV" -F "fim=@$LARGE;type=text/xml" \
        "http://127.0.0.1:$PORT$BUILDER/fim-import" >> "$CODES" || true
    done ) &
  LOOPS+=("$!")
done
sleep 1
run_wrk dueren-home-importing / "$MARKER"
P99_LOADED="$WRK_P99"
rm -f "$RUNNING"; wait "${LOOPS[@]}" 2>/dev/null || true
printf '  imports answered during the run: %s (by status: %s); mean time per import %s s\n' "$(wc -l < "$CODES")" \
  "$(awk '{print $1}' "$CODES" | sort | uniq -c | awk '{printf "%s×%s ", $1, $2}')" "$(awk '{t += $2} END {if (NR) printf "%.2f", t / NR}' "$CODES")"
echo "  p99 alone $P99_ALONE, while importing $P99_LOADED"
echo "  ratio req/s importing / alone: $(awk -v a="$(cat "$CACHE/bench-dueren-home-importing.rps")" -v b="$(cat "$CACHE/bench-dueren-home-alone.rps")" 'BEGIN { printf "%.3f", a / b }')"
