#!/usr/bin/env bash
# Benchmark (not a test): what online payment costs. In the same run: the portal home (baseline)
# against a logged-in citizen's payment page (payment row locked, the PaymentIntent reused: no call to
# Stripe) and the case page with its payment box; Stripe's webhook endpoint with a signed, already
# applied event (signature check, tenant lookup, dedupe); then complete pay-before applications end to
# end against the local Stripe-compatible server (start, two pages, submit, payment page with the intent
# created at "Stripe", confirm as Stripe.js does, return: the server asks Stripe and files the case).
#
#   ./benches/payments.sh         # 20 s per target, 32 connections
PORT=3205; BENCH_DB=kommunalportal_bench_payments
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
STRIPE="${STRIPE_API_BASE%/}"
command -v openssl >/dev/null || apt_install openssl

# wait until the payment jobs have checked the demo accounts (a fresh database)
for _ in $(seq 1 40); do
  [ "$(psql_owner -tAc "select count(*) from payment_setup where account_charges_enabled" 2>/dev/null || echo 0)" -ge 1 ] && break; sleep 0.5
done

# a pay-before application (Geburtsurkunde, $1 copies) submitted up to its payment; prints the draft
# path. Each request's status (and where it leads) is checked and tallied (expect.sh req).
draft_at_payment() {
  local t loc page key
  t="$(req 200 'name="_csrf"' c "http://127.0.0.1:$PORT/leistungen/geburtsurkunde/antrag" | csrf)"
  loc="$(req 303 /seite/birth c -o /dev/null --data-urlencode "_csrf=$t" "http://127.0.0.1:$PORT/leistungen/geburtsurkunde/antrag")"
  page="/${loc#http://*/}"; page="${page%/seite/*}"
  req 303 /seite/order c -o /dev/null -F "_csrf=$t" -F _action=weiter -F own=ja -F given_name=Bench -F family_name=Mark -F birth_date=01.02.1980 -F birth_place=Kaiserslautern "http://127.0.0.1:$PORT$page/seite/birth" >/dev/null
  req 303 /pruefen c -o /dev/null -F "_csrf=$t" -F _action=weiter -F copies="$1" -F purpose=rente -F delivery_address.street="Marktstr. 1" -F delivery_address.postcode=67655 -F delivery_address.town=Kaiserslautern "http://127.0.0.1:$PORT$page/seite/order" >/dev/null
  key="$(req 200 'name="submission_key"' c "http://127.0.0.1:$PORT$page/pruefen" | { grep -o 'name="submission_key" value="[^"]*"' || true; } | sed 's/.*value="//; s/"$//')"
  req 303 /zahlung c -o /dev/null --data-urlencode "_csrf=$t" --data-urlencode "submission_key=$key" "http://127.0.0.1:$PORT$page/absenden" >/dev/null
  echo "$page"
}

# pays a draft at its payment page as Stripe.js would and returns; prints "draft-path intent"
pay() {
  local secret intent
  secret="$(req 200 'data-client-secret="pi_' c "http://127.0.0.1:$PORT$1/zahlung" | { grep -o 'data-client-secret="[^"]*"' || true; } | sed 's/.*="//; s/"$//')"
  intent="${secret%%_secret_*}"
  req 200 '"status":"succeeded"' curl -s -H "Authorization: Bearer pk_test_kommunalportal" --data-urlencode "client_secret=$secret" -d payment_method=pm_card_visa "$STRIPE/v1/payment_intents/$intent/confirm" >/dev/null
  req 303 /fertig c -o /dev/null "http://127.0.0.1:$PORT$1/zahlung/zurueck?payment_intent=$intent&redirect_status=succeeded" >/dev/null
  echo "$1 $intent"
}
pay_once() { pay "$(draft_at_payment 2)"; }
psql_owner() { psql "postgres://postgres@$PG_HOST:$PG_PORT/$BENCH_DB" "$@"; }

step "Preparing a paid application and an open payment page"
read -r PAID INTENT <<<"$(pay_once)"
CASE="$(psql_owner -tAc "select case_id from payment where intent_id = '$INTENT'")"
[ -n "$CASE" ] || die "the paid application was not filed"
OPEN="$(draft_at_payment 1)"
tally_check "preparing (a paid application, an open payment)"

# the succeeded event of the paid intent, signed now (valid for five minutes)
PAYLOAD="$(curl -s "$STRIPE/_test/events?account=acct_demoKaiserslautern" | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const e=JSON.parse(s).find(e=>e.type==='payment_intent.succeeded'&&e.payload.includes('$INTENT'));process.stdout.write(e.payload)})")"
TS="$(date +%s)"
SIG="t=$TS,v1=$(printf '%s.%s' "$TS" "$PAYLOAD" | openssl dgst -sha256 -hmac "$APP__PAYMENTS__WEBHOOK_SECRET" | sed 's/.* //')"
LUA="$(mktemp --suffix .lua)"
node -e "const [p,s]=process.argv.slice(1);console.log('wrk.method=\"POST\"\nwrk.body='+JSON.stringify(p)+'\nwrk.headers[\"Content-Type\"]=\"application/json\"\nwrk.headers[\"Host\"]=\"ops.localhost\"\nwrk.headers[\"Stripe-Signature\"]='+JSON.stringify(s))" "$PAYLOAD" "$SIG" > "$LUA"
expect_page webhook-duplicate "http://127.0.0.1:$PORT/webhooks/stripe" 200 "" -X POST -H "Host: ops.localhost" -H "Content-Type: application/json" -H "Stripe-Signature: $SIG" --data-binary "$PAYLOAD"
grep -qx 'duplicate\|applied: no change' "$EXPECT_BODY" || die "the webhook was not accepted: $(head -c 200 "$EXPECT_BODY")"

step "wrk: $CONNECTIONS connections, $DURATION per target (server, PostgreSQL, Stripe stand-in and wrk share $(nproc) cores)"
wrk -t1 -c4 -d3s -H "Host: $HOST" "http://127.0.0.1:$PORT/" >/dev/null
run_wrk portal-home / "Willkommen im Serviceportal"
run_wrk payment-page "$OPEN/zahlung" 'data-client-secret="pi_' "kp_session=$SESSION"
run_wrk case-with-payment "/konto/antraege/$CASE" "Gebühr und Zahlung" "kp_session=$SESSION"   # its payment box
# the signed event again and again (checked above: 200); every answer but 200 counted
wrk_expect webhook-duplicate 200 -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$LUA" "http://127.0.0.1:$PORT/webhooks/stripe"
wrk_row webhook-duplicate
awk -v h="$(cat "$CACHE/bench-portal-home.rps")" -v p="$(cat "$CACHE/bench-payment-page.rps")" -v k="$(cat "$CACHE/bench-case-with-payment.rps")" -v w="$(cat "$CACHE/bench-webhook-duplicate.rps")" \
  'BEGIN { printf "payment page / home: %.2f   case page / home: %.2f   webhook / home: %.2f\n", p / h, k / h, w / h }'

step "Paid applications end to end, 20 one after the other (9 requests to the portal, 1 to Stripe each)"
start_ns="$(date +%s%N)"
for _ in $(seq 1 20); do pay_once >/dev/null; done
end_ns="$(date +%s%N)"
echo "mean per paid application: $(( (end_ns - start_ns) / 20000000 )) ms (curl process start and the status checks included)"
tally_check "paid applications end to end"
echo "cases filed: $(psql_owner -tAc "select count(*) from payment where status = 'succeeded' and case_id is not null") of 21 payments"
