# Shared by the benchmarks (sourced after infra/scripts/lib.sh; common.sh sources it): a benchmark
# measures only the page it means. Before a target is measured, one curl request must answer the
# expected status with a text that only the expected page contains (a lapsed session would
# otherwise measure 303 redirects to the login page); while it is measured, every response whose
# status is not the expected one is counted, and more than 0.1 % of them fail the script.
#
#   verify_page NAME PATH MARKER [COOKIE] [STATUS]  one request to $HOST on $PORT (status 200)
#   expect_page NAME URL STATUS MARKER [curl args]  the same for any URL, host and headers; sets
#                                                   EXPECT_SIZE, EXPECT_TIME, EXPECT_BODY (a file)
#   wrk_expect NAME STATUS [wrk args] URL           wrk counting the responses that are not STATUS
#                                                   (benches/lua/expect.lua; a `-s script` of the
#                                                   caller still makes the requests); sets WRK_RPS,
#                                                   WRK_P99, WRK_NON2XX, WRK_RESPONSES,
#                                                   WRK_UNEXPECTED, WRK_STATUSES; wrk_judge judges
#   req STATUS MARKER CMD [args]                    one request of an end-to-end loop through curl
#                                                   (or a function calling it, as common.sh's c);
#                                                   prints the body, or for a 3xx the redirect
#                                                   target; sets REQ_CODE, REQ_TIME, REQ_SIZE;
#                                                   tallied in a file (works from subshells too)
#   tally_check NAME                                the verdict over the requests tallied since the
#                                                   last one (one line: requests, unexpected)
#   codes_check NAME STATUS FILE                    the same over a file of status codes (xargs)
#
# A marker is a fixed string looked for in the body, or for a 3xx in the redirect target; an
# empty marker checks the status only.
EXPECT_LUA="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lua/expect.lua"
# working files, one set per script (a script runs once at a time: its ports are its own)
EXPECT_FILES="$CACHE/bench-check-$(basename "$0" .sh)"
EXPECT_BODY="$EXPECT_FILES.body"; REQ_FILE="$EXPECT_FILES.req"; BENCH_TALLY="$EXPECT_FILES.tally"
mkdir -p "$CACHE"; : > "$BENCH_TALLY"

# judge NAME TOTAL UNEXPECTED [DETAIL]: fails when more than 0.1 % were not the expected page
judge() {
  [ "${2:-0}" -gt 0 ] || die "$1: no responses counted${4:+ ($4)}"
  if [ $(( $3 * 1000 )) -gt "$2" ]; then
    die "$1: $3 of $2 responses were not the expected page (more than 0.1 %)${4:+: $4}"
  fi
}

expect_page() { # name url status marker [curl args...]
  local name="$1" url="$2" status="$3" marker="$4" meta code location
  shift 4
  meta="$(curl -s -o "$EXPECT_BODY" -w '%{http_code} %{size_download} %{time_total} %{redirect_url}' "$@" "$url")" || true
  read -r code EXPECT_SIZE EXPECT_TIME location <<<"$meta"
  [ "${code:-000}" = "$status" ] || die "$name: $url answered HTTP ${code:-000}${location:+ (to $location)}, expected $status: not the page to measure"
  [ -z "$marker" ] && return 0
  if [[ "$status" == 3* ]]; then
    [[ "$location" == *"$marker"* ]] || die "$name: $url redirects to $location, expected a target with '$marker'"
  else
    grep -qF -- "$marker" "$EXPECT_BODY" || die "$name: $url answered $status without '$marker': not the page to measure"
  fi
}

verify_page() { # name path marker [cookie] [status]
  expect_page "$1" "http://127.0.0.1:$PORT$2" "${5:-200}" "$3" -H "Host: $HOST" ${4:+-H "Cookie: $4"}
}

wrk_expect() { # name status [wrk args...] url; a `-s script` among them is loaded by expect.lua
  local name="$1" status="$2" inner="" out
  shift 2
  local args=()
  while [ $# -gt 0 ]; do
    if [ "$1" = -s ]; then inner="$2"; shift 2; else args+=("$1"); shift; fi
  done
  WRK_NAME="$name"; WRK_STATUS="$status"
  out="$(EXPECT_STATUS="$status" WRK_SCRIPT="$inner" wrk -s "$EXPECT_LUA" "${args[@]}")" || true
  WRK_OUT="$out"
  WRK_RPS="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
  WRK_P99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  WRK_NON2XX="$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")"; WRK_NON2XX="${WRK_NON2XX:-0}"
  read -r WRK_RESPONSES WRK_UNEXPECTED WRK_STATUSES <<<"$(awk '$1 == "expect:" {print $3, $5, $7}' <<<"$out")"
  WRK_UNEXPECTED="${WRK_UNEXPECTED:-?}"
}

wrk_judge() { # after the row is printed: the verdict over the last wrk_expect
  if [ -z "$WRK_RESPONSES" ] || [ "$WRK_UNEXPECTED" = "?" ]; then
    printf '%s\n' "$WRK_OUT" >&2
    die "$WRK_NAME: wrk counted no responses (its output above)"
  fi
  judge "$WRK_NAME" "$WRK_RESPONSES" "$WRK_UNEXPECTED" "statuses $WRK_STATUSES (expected $WRK_STATUS)"
}

req() { # status marker cmd [args...]
  local status="$1" marker="$2" out="" meta code location ok=1
  shift 2
  # through a file, not a command substitution: no process more than the curl itself
  "$@" -w '\n%{http_code} %{time_total} %{size_download} %{redirect_url}' > "$REQ_FILE" || true
  IFS= read -r -d '' out < "$REQ_FILE" || true
  meta="${out##*$'\n'}"; out="${out%$'\n'*}"
  read -r code REQ_TIME REQ_SIZE location <<<"$meta"
  REQ_CODE="${code:-000}"
  [ "$REQ_CODE" = "$status" ] || ok=0
  if [ "$ok" = 1 ] && [ -n "$marker" ]; then
    if [[ "$status" == 3* ]]; then [[ "$location" == *"$marker"* ]] || ok=0; else [[ "$out" == *"$marker"* ]] || ok=0; fi
  fi
  if [ "$ok" = 1 ]; then
    echo ok >> "$BENCH_TALLY"
  else
    local expected="$status"; [ -z "$marker" ] || expected+=" with '$marker'"
    tally_bad "HTTP $REQ_CODE${location:+ to $location} from ${*: -1} (expected $expected)"
  fi
  if [[ "$REQ_CODE" == 3* ]]; then printf '%s' "$location"; else printf '%s' "$out"; fi
}

tally_bad() { # what: counts a request that did not answer as expected
  echo "unexpected: $*" >> "$BENCH_TALLY"
  echo "unexpected: $*" >&2
}

tally_check() { # name
  local total bad
  total="$(grep -c '' "$BENCH_TALLY" || true)"; bad="$(grep -vcx ok "$BENCH_TALLY" || true)"
  : > "$BENCH_TALLY"
  printf '  %s: %d requests checked, unexpected %d\n' "$1" "$total" "$bad"
  judge "$1" "$total" "$bad"
}

codes_check() { # name status file (one status code a line)
  local total bad detail=""
  total="$(grep -c '' "$3" || true)"; bad="$(grep -vcx -- "$2" "$3" || true)"
  printf '  %s: %d requests checked, unexpected %d\n' "$1" "$total" "$bad"
  [ "$bad" = 0 ] || detail="statuses $(grep -vx -- "$2" "$3" | sort | uniq -c | awk '{printf "%s%sx%s", (NR > 1 ? "," : ""), $2, $1}')"
  judge "$1" "$total" "$bad" "${detail:-}"
}
