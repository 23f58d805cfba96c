// A stateful Stripe-compatible server for tests and the demo, on loopback. It serves the endpoints the
// platform uses, as Stripe does:
//   GET  /v1/accounts/{id}                     connected accounts (made on first use: complete, or
//                                               incomplete when the id contains "Pending")
//   POST /v1/account_links                     hosted onboarding (a page here completes the account)
//   POST /v1/payment_intents                   on the connected account named by Stripe-Account
//   GET  /v1/payment_intents/{id}              with the secret key + Stripe-Account, or the
//                                               publishable key + ?client_secret= (browser)
//   POST /v1/payment_intents/{id}/cancel
//   POST /v1/payment_intents/{id}/confirm      browser (publishable key + client_secret)
//   POST /v1/refunds, GET /v1/refunds/{id}
//   GET  /v1/events, GET /v1/events/{id}
// Objects are Stripe's own examples from tests/data/stripe/fixtures3.json with the fields this server
// knows set, so typed clients (async-stripe) read them. Unknown parameters are refused with Stripe's
// error shape; a repeated Idempotency-Key replays the first response (or 400 with other parameters).
// Every state change is an event; events are signed like Stripe's (Stripe-Signature: t=..,v1=HMAC)
// and POSTed to STRIPE_WEBHOOK_URL (optionally with STRIPE_WEBHOOK_HOST as Host header), retried.
// Test hooks (not Stripe): GET /_test/events?account=acct_..  (signed payloads, oldest first),
//                          GET /_test/intents/{id}             (any account, with its account),
//                          GET /js/stripe.js                   (a stand-in for Stripe.js).
// Port STRIPE_PORT (12111). Keys: sk_test_* and pk_test_*; STRIPE_WEBHOOK_SECRET (whsec_test_kommunalportal).
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { exitWithParent } from './parent.mjs';

exitWithParent();

const PORT = Number(process.env.STRIPE_PORT || 12111);
const SECRET = process.env.STRIPE_WEBHOOK_SECRET || 'whsec_test_kommunalportal';
const WEBHOOK_URL = process.env.STRIPE_WEBHOOK_URL || '';
const WEBHOOK_HOST = process.env.STRIPE_WEBHOOK_HOST || '';
const FIXTURES = process.env.STRIPE_FIXTURES || new URL('../../data/stripe/fixtures3.json', import.meta.url).pathname;
const F = JSON.parse(fs.readFileSync(FIXTURES, 'utf8')).resources;
const API_VERSION = '2026-09-30.endive';

const accounts = new Map();   // id -> account
const intents = new Map();    // id -> { account, pi }
const refunds = new Map();    // id -> { account, refund }
const events = [];            // { account, event }
const idempotency = new Map(); // key -> { params, status, body }
const canonical = (body) => [...new URLSearchParams(body || '')].map(([k, v]) => `${k}=${v}`).sort().join('&');

const now = () => Math.floor(Date.now() / 1000);
const rand = (n) => crypto.randomBytes(n).toString('base64url').replace(/[-_]/g, 'x').slice(0, n);
const clone = (o) => JSON.parse(JSON.stringify(o));

// --- objects ------------------------------------------------------------------------------------

function account(id) {
  let a = accounts.get(id);
  if (!a) {
    a = clone(F.account);
    const pending = id.includes('Pending');
    Object.assign(a, {
      id, country: 'DE', default_currency: 'eur', email: null, created: now(), type: 'standard',
      charges_enabled: !pending, payouts_enabled: !pending, details_submitted: !pending, metadata: {},
    });
    a.requirements = { ...a.requirements, currently_due: pending ? ['external_account', 'tos_acceptance.date'] : [], past_due: [], eventually_due: [], disabled_reason: pending ? 'requirements.past_due' : null };
    a.future_requirements = { ...a.future_requirements, currently_due: [], past_due: [], eventually_due: [] };
    a.external_accounts = { data: [], has_more: false, object: 'list', url: `/v1/accounts/${id}/external_accounts` };
    accounts.set(id, a);
  }
  return a;
}

function newIntent(acct, p) {
  const pi = clone(F.payment_intent);
  const id = 'pi_' + rand(24);
  Object.assign(pi, {
    id, amount: p.amount, amount_capturable: 0, amount_received: 0, currency: p.currency,
    application_fee_amount: p.application_fee_amount ?? null, automatic_payment_methods: null,
    canceled_at: null, cancellation_reason: null, client_secret: `${id}_secret_${rand(24)}`, created: now(),
    description: p.description ?? null, last_payment_error: null, latest_charge: null, metadata: p.metadata || {},
    next_action: null, payment_method: null, payment_method_configuration_details: null, processing: null,
    payment_method_types: p.allowed_payment_method_types || ['card'], status: 'requires_payment_method',
    statement_descriptor_suffix: p.statement_descriptor_suffix ?? null, transfer_data: null, managed_payments: null,
    amount_details: null, shipping: null,
  });
  return pi;
}

function newRefund(acct, pi, amount, metadata) {
  const r = clone(F.refund);
  Object.assign(r, {
    id: 're_' + rand(24), amount, charge: null, created: now(), currency: pi.currency, metadata: metadata || {},
    payment_intent: pi.id, status: 'succeeded', destination_details: null, balance_transaction: null,
  });
  return r;
}

// --- events and webhooks -----------------------------------------------------------------------

function emit(acct, type, object) {
  const e = clone(F.event);
  Object.assign(e, {
    id: 'evt_' + rand(24), account: acct, api_version: API_VERSION, created: now(), livemode: false,
    pending_webhooks: WEBHOOK_URL ? 1 : 0, request: { id: null, idempotency_key: null }, type, data: { object: clone(object) },
  });
  events.push({ account: acct, event: e });
  if (WEBHOOK_URL) deliver(e, 1);
}

function sign(payload, t = now()) {
  const v1 = crypto.createHmac('sha256', SECRET).update(`${t}.${payload}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

function deliver(e, attempt) {
  const payload = JSON.stringify(e);
  const url = new URL(WEBHOOK_URL);
  const req = http.request({
    hostname: url.hostname, port: url.port, path: url.pathname, method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': sign(payload), 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)', ...(WEBHOOK_HOST ? { host: WEBHOOK_HOST } : {}) },
  }, (res) => {
    res.resume();
    if (res.statusCode >= 300 && attempt < 5) setTimeout(() => deliver(e, attempt + 1), 500 * attempt);
  });
  req.on('error', () => { if (attempt < 5) setTimeout(() => deliver(e, attempt + 1), 500 * attempt); });
  req.end(payload);
}

// --- requests ----------------------------------------------------------------------------------

// Stripe's form encoding: a[b]=1, a[0]=x, a[]=x
function parseForm(body) {
  const out = {};
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const path = rawKey.replace(/\]/g, '').split('[');
    let cur = out;
    path.forEach((k, i) => {
      const last = i === path.length - 1;
      const nextIsIndex = !last && (/^\d+$/.test(path[i + 1]) || path[i + 1] === '');
      if (Array.isArray(cur)) {
        if (last) cur.push(value); else { const idx = k === '' ? cur.length : Number(k); cur[idx] = cur[idx] ?? (nextIsIndex ? [] : {}); cur = cur[idx]; }
      } else if (last) cur[k] = value;
      else { cur[k] = cur[k] ?? (nextIsIndex ? [] : {}); cur = cur[k]; }
    });
  }
  return out;
}

class StripeErr extends Error {
  constructor(status, type, message, extra = {}) { super(message); this.status = status; this.body = { error: { type, message, ...extra } }; }
}
const invalid = (message, param) => new StripeErr(400, 'invalid_request_error', message, param ? { param } : {});
const missing = (what, id) => new StripeErr(404, 'invalid_request_error', `No such ${what}: '${id}'`, { code: 'resource_missing' });

function allowOnly(params, allowed) {
  for (const k of Object.keys(params)) if (!allowed.includes(k)) throw invalid(`Received unknown parameter: ${k}`, k);
}
function int(v, name, { min = 0 } = {}) {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(String(v)) || Number(v) < min) throw invalid(`Invalid integer: ${v}`, name);
  return Number(v);
}

function auth(req, url) {
  const h = req.headers.authorization || '';
  const key = h.startsWith('Bearer ') ? h.slice(7) : (h.startsWith('Basic ') ? Buffer.from(h.slice(6), 'base64').toString().split(':')[0] : '');
  if (key.startsWith('sk_test_')) return 'secret';
  if (key.startsWith('pk_test_')) return 'publishable';
  throw new StripeErr(401, 'invalid_request_error', 'Invalid API Key provided.');
}

function connected(req) {
  const a = req.headers['stripe-account'];
  if (!a) return null;
  if (!/^acct_[A-Za-z0-9]{6,64}$/.test(a)) throw new StripeErr(403, 'invalid_request_error', `The provided key does not have access to account '${a}'.`);
  return account(a).id;
}

function intentFor(id, acct) {
  const entry = intents.get(id);
  if (!entry || (acct && entry.account !== acct)) throw missing('payment_intent', id);
  return entry;
}

function browserIntent(id, params, url) {
  const entry = intents.get(id);
  const secret = params.client_secret || url.searchParams.get('client_secret');
  if (!entry || entry.pi.client_secret !== secret) throw missing('payment_intent', id);
  return entry;
}

function handle(method, path, params, req, url) {
  const role = auth(req, url);
  const acct = connected(req);
  let m;
  if (method === 'GET' && (m = path.match(/^\/v1\/accounts\/(acct_[A-Za-z0-9]+)$/))) {
    if (role !== 'secret') throw new StripeErr(401, 'invalid_request_error', 'This API call cannot be made with a publishable API key.');
    return account(m[1]);
  }
  if (method === 'POST' && path === '/v1/account_links') {
    allowOnly(params, ['account', 'type', 'refresh_url', 'return_url', 'collect', 'collection_options']);
    if (!params.account || !params.type) throw invalid('Missing required param: account.', 'account');
    if (!['account_onboarding', 'account_update'].includes(params.type)) throw invalid(`Invalid type: ${params.type}`, 'type');
    account(params.account);
    const q = new URLSearchParams({ return_url: params.return_url || '', refresh_url: params.refresh_url || '' });
    return { object: 'account_link', created: now(), expires_at: now() + 300, url: `http://127.0.0.1:${PORT}/_onboarding/${params.account}?${q}` };
  }
  if (method === 'POST' && path === '/v1/payment_intents') {
    if (role !== 'secret') throw new StripeErr(401, 'invalid_request_error', 'This API call cannot be made with a publishable API key.');
    if (!acct) throw invalid('This test server takes PaymentIntents on connected accounts only (Stripe-Account header).');
    allowOnly(params, ['amount', 'currency', 'allowed_payment_method_types', 'application_fee_amount', 'description', 'metadata', 'statement_descriptor_suffix']);
    const amount = int(params.amount, 'amount', { min: 50 });
    if (amount === undefined) throw invalid('Missing required param: amount.', 'amount');
    if (params.currency !== 'eur') throw invalid(`Invalid currency: ${params.currency}`, 'currency');
    const fee = int(params.application_fee_amount, 'application_fee_amount');
    if (fee !== undefined && fee >= amount) throw invalid('application_fee_amount must be less than amount', 'application_fee_amount');
    for (const t of params.allowed_payment_method_types || []) if (!['card', 'sepa_debit', 'paypal'].includes(t)) throw invalid(`Invalid payment method type: ${t}`, 'allowed_payment_method_types');
    if (params.statement_descriptor_suffix && params.statement_descriptor_suffix.length > 22) throw invalid('statement_descriptor_suffix is too long', 'statement_descriptor_suffix');
    if (!account(acct).charges_enabled) throw invalid('Your account cannot currently make live charges.', 'account');
    const pi = newIntent(acct, { ...params, amount, application_fee_amount: fee });
    intents.set(pi.id, { account: acct, pi });
    emit(acct, 'payment_intent.created', pi);
    return pi;
  }
  if ((m = path.match(/^\/v1\/payment_intents\/(pi_[A-Za-z0-9]+)(\/cancel|\/confirm)?$/))) {
    const [, id, action] = m;
    if (method === 'GET' && !action) {
      if (role === 'publishable') return browserIntent(id, params, url).pi;
      allowOnly(params, ['client_secret', 'expand']);
      return intentFor(id, acct).pi;
    }
    if (method === 'POST' && action === '/cancel') {
      allowOnly(params, ['cancellation_reason']);
      const { pi } = intentFor(id, acct);
      if (['succeeded', 'processing', 'canceled'].includes(pi.status)) throw invalid(`You cannot cancel this PaymentIntent because it has a status of ${pi.status}.`);
      Object.assign(pi, { status: 'canceled', canceled_at: now(), cancellation_reason: params.cancellation_reason || 'abandoned' });
      emit(acct, 'payment_intent.canceled', pi);
      return pi;
    }
    if (method === 'POST' && action === '/confirm') {
      allowOnly(params, ['client_secret', 'payment_method', 'return_url']);
      const entry = role === 'publishable' ? browserIntent(id, params, url) : intentFor(id, acct);
      const pi = entry.pi;
      if (!['requires_payment_method', 'requires_confirmation'].includes(pi.status)) throw invalid(`This PaymentIntent's status is ${pi.status}; it cannot be confirmed.`);
      const pm = params.payment_method || '';
      const type = pm.startsWith('pm_sepa') ? 'sepa_debit' : pm.startsWith('pm_paypal') ? 'paypal' : 'card';
      if (!pi.payment_method_types.includes(type)) throw invalid(`The payment method type ${type} is not allowed for this PaymentIntent.`, 'payment_method');
      pi.payment_method = 'pm_' + rand(24);
      if (pm === 'pm_card_chargeDeclined') {
        pi.last_payment_error = { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' };
        pi.status = 'requires_payment_method';
        pi.payment_method = null;
        emit(entry.account, 'payment_intent.payment_failed', pi);
        throw new StripeErr(402, 'card_error', 'Your card was declined.', { code: 'card_declined', decline_code: 'generic_decline', payment_intent: clone(pi) });
      }
      pi.last_payment_error = null;
      pi.payment_method_types = [type];
      if (type === 'sepa_debit') {
        pi.status = 'processing';
        pi.processing = { type: 'sepa_debit' };
        emit(entry.account, 'payment_intent.processing', pi);
        setTimeout(() => succeed(entry), Number(process.env.STRIPE_SEPA_DELAY_MS || 1500));
      } else {
        succeed(entry);
      }
      return pi;
    }
  }
  if (method === 'POST' && path === '/v1/refunds') {
    if (role !== 'secret' || !acct) throw invalid('Refunds are made with the secret key on the connected account.');
    allowOnly(params, ['payment_intent', 'amount', 'refund_application_fee', 'metadata', 'reason']);
    const { pi } = intentFor(params.payment_intent || '', acct);
    if (pi.status !== 'succeeded') throw invalid('This PaymentIntent does not have a successful charge to refund.', 'payment_intent');
    const already = [...refunds.values()].filter((r) => r.refund.payment_intent === pi.id && r.refund.status !== 'failed').reduce((s, r) => s + r.refund.amount, 0);
    const amount = int(params.amount, 'amount', { min: 1 }) ?? pi.amount - already;
    if (amount + already > pi.amount) throw invalid(`Refund amount (€${(amount / 100).toFixed(2)}) is greater than unrefunded amount on charge (€${((pi.amount - already) / 100).toFixed(2)})`, 'amount');
    const r = newRefund(acct, pi, amount, params.metadata);
    refunds.set(r.id, { account: acct, refund: r });
    emit(acct, 'refund.created', r);
    return r;
  }
  if (method === 'GET' && (m = path.match(/^\/v1\/refunds\/(re_[A-Za-z0-9]+)$/))) {
    const entry = refunds.get(m[1]);
    if (!entry || entry.account !== acct) throw missing('refund', m[1]);
    return entry.refund;
  }
  if (method === 'GET' && path === '/v1/events') {
    const data = events.filter((e) => e.account === acct).map((e) => e.event).reverse().slice(0, 100);
    return { object: 'list', data, has_more: false, url: '/v1/events' };
  }
  if (method === 'GET' && (m = path.match(/^\/v1\/events\/(evt_[A-Za-z0-9]+)$/))) {
    const e = events.find((x) => x.event.id === m[1] && x.account === acct);
    if (!e) throw missing('event', m[1]);
    return e.event;
  }
  throw new StripeErr(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${path}).`);
}

function succeed(entry) {
  const pi = entry.pi;
  if (pi.status === 'canceled') return;
  Object.assign(pi, { status: 'succeeded', amount_received: pi.amount, processing: null, latest_charge: 'ch_' + rand(24) });
  emit(entry.account, 'payment_intent.succeeded', pi);
}

// --- the Stripe.js stand-in and the onboarding page -------------------------------------------

const STRIPE_JS = fs.readFileSync(new URL('./stripe-js.js', import.meta.url), 'utf8');

function onboardingPage(acct, q) {
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
  return `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Stripe-Onboarding (Testserver)</title></head>
<body><main><h1>Stripe-Onboarding für ${esc(acct)}</h1><p>Testserver: hier würde die Kommune ihre Bank- und Firmendaten bei Stripe hinterlegen.</p>
<form method="post" action="/_onboarding/${esc(acct)}?${esc(q)}"><button type="submit">Onboarding abschließen</button></form></main></body></html>`;
}

// --- server ------------------------------------------------------------------------------------

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const url = new URL(req.url, `http://127.0.0.1:${PORT}`);
    const body = Buffer.concat(chunks).toString('utf8');
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'authorization, content-type, stripe-account', 'access-control-allow-methods': 'GET, POST' };
    const send = (status, obj, extra = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_' + rand(14), 'stripe-version': API_VERSION, ...cors, ...extra });
      res.end(JSON.stringify(obj));
    };
    if (req.method === 'OPTIONS') { res.writeHead(204, cors); res.end(); return; }
    if (url.pathname === '/js/stripe.js' || url.pathname === '/v3/') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', ...cors });
      res.end(STRIPE_JS.replace('__STRIPE_BASE__', `http://127.0.0.1:${PORT}`));
      return;
    }
    let m;
    if ((m = url.pathname.match(/^\/_onboarding\/(acct_[A-Za-z0-9]+)$/))) {
      if (req.method === 'GET') { res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }); res.end(onboardingPage(m[1], url.searchParams.toString())); return; }
      const a = account(m[1]);
      Object.assign(a, { charges_enabled: true, payouts_enabled: true, details_submitted: true });
      a.requirements = { ...a.requirements, currently_due: [], past_due: [], disabled_reason: null };
      emit(a.id, 'account.updated', a);
      res.writeHead(303, { location: url.searchParams.get('return_url') || '/' });
      res.end();
      return;
    }
    if (url.pathname === '/_test/events') {
      const acct = url.searchParams.get('account');
      send(200, events.filter((e) => !acct || e.account === acct).map(({ event }) => { const payload = JSON.stringify(event); return { id: event.id, type: event.type, payload, signature: sign(payload) }; }));
      return;
    }
    if ((m = url.pathname.match(/^\/_test\/intents\/(pi_[A-Za-z0-9]+)$/))) {
      const e = intents.get(m[1]);
      if (!e) { send(404, { error: 'no such intent' }); return; }
      send(200, { account: e.account, intent: e.pi });
      return;
    }
    try {
      const params = req.method === 'GET' ? Object.fromEntries(url.searchParams) : parseForm(body);
      const key = req.headers['idempotency-key'];
      const idemKey = key && req.method === 'POST' ? `${req.headers['stripe-account'] || ''} ${url.pathname} ${key}` : null;
      if (idemKey && idempotency.has(idemKey)) {
        const first = idempotency.get(idemKey);
        // Stripe compares the parameters, not their order in the body
        if (canonical(first.params) !== canonical(body)) {
          send(400, { error: { type: 'idempotency_error', message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.` } });
          return;
        }
        send(first.status, first.body, { 'idempotent-replayed': 'true', 'idempotency-key': key });
        return;
      }
      let status = 200, out;
      try {
        out = handle(req.method, url.pathname, params, req, url);
      } catch (e) {
        if (!(e instanceof StripeErr)) throw e;
        status = e.status; out = e.body;
      }
      out = clone(out);
      if (idemKey && status < 500) idempotency.set(idemKey, { params: body, status, body: out });
      send(status, out, key ? { 'idempotency-key': key } : {});
    } catch (e) {
      console.error(e);
      send(500, { error: { type: 'api_error', message: 'internal error of the test server' } });
    }
  });
});

server.listen(PORT, '127.0.0.1', () => console.log(`stripe stand-in on http://127.0.0.1:${PORT}${WEBHOOK_URL ? `, webhooks to ${WEBHOOK_URL}` : ''}`));
