// The load of the fault test (benches/faults.sh): CITIZENS concurrent citizens of Kaiserslautern who
// register (link from the test mailbox), then for DURATION seconds file applications and pay them,
// through the portal's HTML forms exactly as a browser without JavaScript would (cookies, CSRF
// fields, multipart pages, 303 redirects), and pay at the Stripe-compatible stand-in as Stripe.js does.
//
//   Bewohnerparkausweis  attachment (PDF) on page "vehicle", filed at once, paid afterwards (30 €)
//   Geburtsurkunde       paid before filing (12 € per copy): the case is filed once paid
//
// Every request that fails with a connection error, a time-out or a 5xx is retried until it succeeds
// or the run's deadline passes — a submission always with the SAME submission key, the key the
// portal issued with the draft (hidden field `submission_key` of the check page,
// app/server/src/routes/applications.rs `check_view` / `submit`). That is the promise under test:
// a retried submission must find the case filed by the first one, never file a second.
//
// Payments while the portal is down: each citizen keeps one Geburtsurkunde "in reserve" at its
// payment page (PaymentIntent created, not confirmed). When benches/faults.sh signals a fault (the
// file $STATE_DIR/fault appears), every reserve is confirmed at the stand-in at once, so
// `payment_intent.succeeded` webhooks are sent while the server is dead (or its database restarts)
// and can only arrive through the stand-in's retries. Half of these payers come back to the portal
// afterwards (the return asks Stripe and files the case); the other half never return, so their
// case can only be filed by the retried webhook.
//
// Node 18+ built-ins only. Traffic goes to 127.0.0.1 only. Writes $STATE_DIR/load-started (epoch
// ms, once all citizens are registered), $STATE_DIR/results.json (every application: marker,
// draft, submission key, tries, reference acknowledged, payment) and a log.
import http from 'node:http';
import fs from 'node:fs';
import crypto from 'node:crypto';
import path from 'node:path';

const env = process.env;
const PORT = Number(env.PORT || 3206);
const TENANT_HOST = env.TENANT_HOST || 'kaiserslautern.localhost';
// with the port, as a browser sends it: links in mails and the payment's portal URL carry it
const HOST_HEADER = `${TENANT_HOST}:${PORT}`;
const MAILBOX = (env.MAILBOX_URL || 'http://127.0.0.1:2680').replace(/\/$/, '');
const STRIPE = (env.STRIPE_URL || 'http://127.0.0.1:12121').replace(/\/$/, '');
const STRIPE_PK = env.STRIPE_PUBLISHABLE_KEY || 'pk_test_kommunalportal';
const CITIZENS = Number(env.CITIZENS || 10);
const DURATION_MS = Number(env.DURATION || 60) * 1000;
// after DURATION no new application starts; those under way get this long to finish
const GRACE_MS = Number(env.GRACE || 90) * 1000;
const REQUEST_TIMEOUT_MS = Number(env.REQUEST_TIMEOUT_MS || 30000);
const RESERVES = env.RESERVES !== '0';
// a citizen's pause before each step (± half): without it ten loops flood the mail queue far beyond
// what one SMTP worker delivers, and the drain after the run takes minutes
const THINK_MS = Number(env.THINK_MS ?? 250);
// Faults from the client's side, so the portal's idempotent paths run for sure (a kill -9 rarely
// falls between a commit and its answer): a share of submits is sent twice at once (a double click),
// a share is sent again after its answer came (the answer "was lost": the browser retries).
const DOUBLE = Number(env.DOUBLE_SUBMIT ?? 0.1);
const REPLAY = Number(env.REPLAY_SUBMIT ?? 0.2);
const STATE = env.STATE_DIR || fs.mkdtempSync('/tmp/faults-');
const RESULTS = path.join(STATE, 'results.json');
const LOG = path.join(STATE, 'load.log');
const RUN = env.RUN_ID || crypto.randomBytes(3).toString('hex');

for (const u of [MAILBOX, STRIPE]) {
  if (new URL(u).hostname !== '127.0.0.1') throw new Error(`refusing non-loopback URL ${u}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const think = () => sleep(THINK_MS * (0.5 + Math.random()));
const t0 = Date.now();
function log(...args) {
  const line = `[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${args.join(' ')}`;
  console.log(`    load: ${line}`);
  fs.appendFileSync(LOG, line + '\n');
}

// ------------------------------------------------------------------------------------------------
// HTTP: one connection per request (no keep-alive), so a killed server shows up as the connection
// errors a browser would see (ECONNREFUSED while down, ECONNRESET / socket hang up when cut).

const stats = { requests: 0, netErrors: {}, http5xx: 0, retries: 0, longestStallMs: 0 };

function request(method, url, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    if (u.hostname !== '127.0.0.1') { reject(new Error(`refusing non-loopback URL ${url}`)); return; }
    stats.requests++;
    const req = http.request({
      hostname: u.hostname, port: u.port, path: u.pathname + u.search, method, agent: false,
      headers: { connection: 'close', ...headers, ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(body);
  });
}

class GiveUp extends Error {}

// Runs `attempt` until `done(response)` holds. Connection errors, time-outs and 5xx are retried (with
// a short back-off) until `deadline`; any other answer that is not `done` is an error of the flow.
async function retrying(label, attempt, done, deadline, onTry = () => {}) {
  let tries = 0;
  let last = '';
  let firstFailure = 0;
  for (;;) {
    tries++;
    onTry(tries);
    try {
      const r = await attempt();
      if (done(r)) {
        if (firstFailure) stats.longestStallMs = Math.max(stats.longestStallMs, Date.now() - firstFailure);
        return { r, tries };
      }
      if (r.status < 500) {
        const problem = (r.body.match(/<(?:p|li)[^>]*>([^<]{3,200})<\/(?:p|li)>/) || [])[1] || '';
        throw new GiveUp(`${label}: unexpected HTTP ${r.status}${r.headers.location ? ` -> ${r.headers.location}` : ''} ${problem}`.trim());
      }
      stats.http5xx++;
      last = `HTTP ${r.status}`;
    } catch (e) {
      if (e instanceof GiveUp) throw e;
      const code = e.code || e.message;
      stats.netErrors[code] = (stats.netErrors[code] || 0) + 1;
      last = code;
    }
    firstFailure ||= Date.now();
    if (Date.now() > deadline) throw new GiveUp(`${label}: still failing at the deadline after ${tries} tries (${last})`);
    stats.retries++;
    await sleep(Math.min(1000, 150 * tries));
  }
}

const ok200 = (r) => r.status === 200;
const see = (prefix) => (r) => r.status === 303 && (r.headers.location || '').includes(prefix);
const locPath = (r) => { const u = new URL(r.headers.location, 'http://x'); return u.pathname + u.search; };

function form(fields) {
  return new URLSearchParams(fields).toString();
}

// multipart/form-data as browsers send it; files: [{ name, filename, type, data }]
function multipart(fields, files = []) {
  const boundary = '----faults' + crypto.randomBytes(12).toString('hex');
  const parts = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`, 'utf8'));
  }
  for (const f of files) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${f.name}"; filename="${f.filename}"\r\nContent-Type: ${f.type}\r\n\r\n`, 'utf8'), f.data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

// a small valid PDF (the portal recognises files by content: %PDF-)
function pdf(text) {
  const stream = `BT /F1 12 Tf 72 720 Td (${text}) Tj ET`;
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets = [];
  objs.forEach((o, i) => { offsets.push(out.length); out += `${i + 1} 0 obj\n${o}\nendobj\n`; });
  const xref = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

const attr = (html, re) => (html.match(re) || [])[1];
const csrfOf = (html) => attr(html, /name="_csrf" value="([^"]+)"/);

// ------------------------------------------------------------------------------------------------
// a citizen: a cookie jar and the portal's host

class Citizen {
  constructor(idx) {
    this.idx = idx;
    this.jar = new Map();
    this.email = `fault-${RUN}-${String(idx).padStart(2, '0')}@example.org`;
    this.password = `Fault-Laterne-2026-${idx}-x`;
    this.csrf = null;
    this.reserve = null;
    this.seq = 0;
  }

  store(res) {
    for (const sc of res.headers['set-cookie'] || []) {
      const [pair, ...attrs] = sc.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (!value || attrs.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a))) this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  async portal(method, p, { body, type } = {}) {
    const headers = { host: HOST_HEADER, 'accept-language': 'de-DE,de', accept: 'text/html' };
    if (this.jar.size) headers.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    if (type) headers['content-type'] = type;
    const r = await request(method, `http://127.0.0.1:${PORT}${p}`, { headers, body });
    this.store(r);
    return r;
  }
  get(p) { return this.portal('GET', p); }
  postForm(p, fields) { return this.portal('POST', p, { body: form(fields), type: 'application/x-www-form-urlencoded' }); }
  postMultipart(p, fields, files) { const m = multipart(fields, files); return this.portal('POST', p, { body: m.body, type: m.type }); }
}

// ------------------------------------------------------------------------------------------------
// registration: form, mail with the link (test mailbox), confirmation with the password

async function register(c, deadline) {
  let { r } = await retrying('registration form', () => c.get('/konto/registrieren'), ok200, deadline);
  const csrf = csrfOf(r.body);
  if (!csrf) throw new GiveUp('registration form without CSRF field');
  await retrying('register', () => c.postForm('/konto/registrieren', { _csrf: csrf, email: c.email, password: c.password, password_repeat: c.password, privacy: 'on' }), ok200, deadline);
  let token = null;
  while (!token && Date.now() < deadline) {
    try {
      const m = await request('GET', `${MAILBOX}/messages?to=${encodeURIComponent(c.email)}`);
      for (const msg of JSON.parse(m.body)) {
        for (const l of msg.links || []) token ||= (l.match(/konto\/bestaetigen\?token=([A-Za-z0-9_-]+)/) || [])[1];
      }
    } catch { /* the mailbox is not under test; try again */ }
    if (!token) await sleep(250);
  }
  if (!token) throw new GiveUp(`no verification mail for ${c.email}`);
  ({ r } = await retrying('verification form', () => c.get(`/konto/bestaetigen?token=${token}`), ok200, deadline));
  const csrf2 = csrfOf(r.body);
  await retrying('verify', () => c.postForm('/konto/bestaetigen', { _csrf: csrf2, token, password: c.password }), see('/konto'), deadline);
  if (!c.jar.has('kp_session')) throw new GiveUp(`no session cookie after verifying ${c.email}`);
}

// ------------------------------------------------------------------------------------------------
// applications

const results = { run: RUN, startedAt: t0, loadStart: null, loadEnd: null, citizens: [], applications: [], faults: [], stats };
let appSeq = 0;

// The forms' field names (tenants/catalogue/forms/*.toml): page id -> posted fields and files.
function pagesOf(kind, c, marker) {
  const name = { given_name: `Lasttest${c.idx}`, family_name: marker };
  if (kind === 'park') {
    return [
      ['resident', { ...name, 'address.street': 'Marktstr. 1', 'address.postcode': '67655', 'address.town': 'Kaiserslautern', zone: 'a' }, []],
      ['vehicle', { plate: 'KL-AB 123', keeper: 'selbst' }, [{ name: 'registration', filename: `fahrzeugschein-${marker}.pdf`, type: 'application/pdf', data: pdf(`Fahrzeugschein ${marker}`) }]],
    ];
  }
  return [
    ['birth', { own: 'ja', ...name, birth_date: '01.02.1980', birth_place: 'Kaiserslautern' }, []],
    ['order', { copies: String(1 + (c.idx % 2)), purpose: 'rente', 'delivery_address.street': 'Marktstr. 1', 'delivery_address.postcode': '67655', 'delivery_address.town': 'Kaiserslautern' }, []],
  ];
}
const SLUG = { park: 'bewohnerparkausweis', birth: 'geburtsurkunde' };

let currentFault = null; // label of the fault in progress (from $STATE_DIR/fault), or null
const deadlineOfRun = () => results.loadStart + DURATION_MS + GRACE_MS;

async function csrfFor(c, slug, deadline) {
  if (c.csrf) return c.csrf;
  const { r } = await retrying('start page', () => c.get(`/leistungen/${slug}/antrag`), ok200, deadline);
  c.csrf = csrfOf(r.body);
  if (!c.csrf) throw new GiveUp('start page without CSRF field (not logged in?)');
  return c.csrf;
}

// The confirmation page: the reference the citizen is shown, and the case's id.
async function acknowledge(c, app, draftPath, deadline) {
  const { r } = await retrying('confirmation page', () => c.get(`${draftPath}/fertig`), ok200, deadline);
  app.reference = attr(r.body, /Aktenzeichen:\s*(\d{4}-\d{6})/) || attr(r.body, /\b(\d{4}-\d{6})\b/);
  app.caseId = attr(r.body, /\/konto\/antraege\/([0-9a-f-]{36})/);
  if (!app.reference) throw new GiveUp(`confirmation page of ${draftPath} without a reference`);
  app.ackAt = Date.now();
  app.outcome = 'acknowledged';
}

// Pays an intent as Stripe.js does (publishable key + client secret, test card).
async function confirmAtStripe(secret, deadline) {
  const intent = secret.split('_secret_')[0];
  const { r } = await retrying('confirm at Stripe', () => request('POST', `${STRIPE}/v1/payment_intents/${intent}/confirm`, {
    headers: { authorization: `Bearer ${STRIPE_PK}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: form({ client_secret: secret, payment_method: 'pm_card_visa' }),
  }), (x) => x.status === 200 || (x.status === 400 && /status is (succeeded|processing)/.test(x.body)), deadline);
  const status = r.status === 200 ? JSON.parse(r.body).status : 'succeeded (confirmed before)';
  return { intent, status };
}

// The payment page of a draft (pay before filing) or of a case (pay later): its client secret, or
// null when it redirects because the case is filed already.
async function paymentPage(c, payPath, deadline) {
  const { r } = await retrying('payment page', () => c.get(payPath), (x) => (x.status === 200 && /data-client-secret="pi_/.test(x.body)) || x.status === 303, deadline);
  if (r.status === 303) return { redirect: locPath(r) };
  return { secret: attr(r.body, /data-client-secret="([^"]+)"/) };
}

// The return from Stripe: the portal asks Stripe and files the case (pay before) or books the
// payment (pay later). Repeated while the portal answers "not yet" (a redirect to the payment page).
async function returnFromStripe(c, app, base, intent, deadline) {
  for (let i = 0; ; i++) {
    const { r } = await retrying('return from Stripe', () => c.get(`${base}/zahlung/zurueck?payment_intent=${intent}&redirect_status=succeeded`), (x) => x.status === 303, deadline);
    const to = locPath(r);
    if (!to.startsWith(`${base}/zahlung`)) { app.payment.returnedAt = Date.now(); return to; }
    if (Date.now() > deadline || i > 40) throw new GiveUp(`return from Stripe for ${base} keeps answering ${to}`);
    await sleep(500);
  }
}

// One application from the start page to its acknowledgement (and payment). With `reserve`, a
// Geburtsurkunde stops at its payment page and waits for a fault.
async function runApplication(c, kind, { reserve = false } = {}) {
  const deadline = deadlineOfRun();
  const slug = SLUG[kind];
  const marker = `FT${RUN}-${String(c.idx).padStart(2, '0')}-${String(++c.seq).padStart(3, '0')}`;
  const app = { id: ++appSeq, citizen: c.idx, email: c.email, kind, slug, marker, reserve, startedAt: Date.now(), startTries: 0, submitTries: 0, outcome: 'started' };
  results.applications.push(app);
  try {
    const csrf = await csrfFor(c, slug, deadline);
    await think();
    // start: a POST that makes a draft; a retry after a lost answer makes another (empty) draft
    const started = await retrying('start', () => c.postForm(`/leistungen/${slug}/antrag`, { _csrf: csrf }), see('/antrag/'), deadline, (n) => { app.startTries = n; });
    const draftPath = locPath(started.r).replace(/\/seite\/.*$/, '');
    app.draft = draftPath.split('/')[2];
    for (const [page, fields, files] of pagesOf(kind, c, marker)) {
      // saving a page is idempotent: the same answers (a single-file field keeps one file)
      await think();
      await retrying(`page ${page}`, () => c.postMultipart(`${draftPath}/seite/${page}`, { _csrf: csrf, _action: 'weiter', ...fields }, files), see(draftPath), deadline);
    }
    await think();
    const { r: check } = await retrying('check page', () => c.get(`${draftPath}/pruefen`), ok200, deadline);
    app.submissionKey = attr(check.body, /name="submission_key" value="([^"]+)"/);
    if (!app.submissionKey) throw new GiveUp(`check page of ${draftPath} without submission_key`);
    // THE idempotent submit: every retry carries the same key
    await think();
    app.submittedAt = Date.now();
    app.submitFault = currentFault;
    const submitOnce = (label) => retrying(label, () => c.postForm(`${draftPath}/absenden`, { _csrf: csrf, submission_key: app.submissionKey }),
      (x) => x.status === 303 && /\/(fertig|zahlung)/.test(x.headers.location || ''), deadline, (n) => { app.submitTries = Math.max(app.submitTries, n); });
    let submitted;
    if (Math.random() < DOUBLE) {
      const both = await Promise.all([submitOnce('submit'), submitOnce('double submit')]);
      submitted = both[0];
      app.doubleSubmit = both.map((x) => locPath(x.r));
      if (app.doubleSubmit[0] !== app.doubleSubmit[1]) app.anomaly = `double submit answered differently: ${app.doubleSubmit.join(' / ')}`;
    } else {
      submitted = await submitOnce('submit');
    }
    app.outcome = 'submitted';
    const to = locPath(submitted.r);
    if (Math.random() < REPLAY) {
      await think();
      const again = await submitOnce('submit again');
      app.replayedSubmit = locPath(again.r);
      if (app.replayedSubmit !== to) app.anomaly = `the repeated submit was answered ${app.replayedSubmit}, the first ${to}`;
    }
    if (to.includes('/fertig')) {
      await acknowledge(c, app, draftPath, deadline);
      if (kind === 'park') await payCase(c, app, deadline);
      return app;
    }
    // pay before filing
    const page = await paymentPage(c, `${draftPath}/zahlung`, deadline);
    if (page.redirect) {
      await acknowledge(c, app, draftPath, deadline);
      return app;
    }
    app.payment = { intent: page.secret.split('_secret_')[0] };
    if (reserve) {
      app.outcome = 'reserve';
      c.reserve = { app, secret: page.secret, draftPath, confirmed: false, settled: false };
      return app;
    }
    await think();
    const paid = await confirmAtStripe(page.secret, deadline);
    Object.assign(app.payment, { confirmedAt: Date.now(), stripeStatus: paid.status, fault: currentFault });
    const back = await returnFromStripe(c, app, draftPath, paid.intent, deadline);
    if (!back.includes('/fertig')) throw new GiveUp(`return from Stripe went to ${back}`);
    await acknowledge(c, app, draftPath, deadline);
    return app;
  } catch (e) {
    app.outcome = app.outcome === 'acknowledged' ? 'acknowledged' : `gave up (${app.outcome})`;
    app.error = e.message;
    if (!(e instanceof GiveUp)) throw e;
    log(`citizen ${c.idx} ${kind} ${marker}: ${e.message}`);
    c.csrf = null; // read it again next time (a lost session shows there)
    return app;
  } finally {
    app.endedAt = Date.now();
  }
}

// A case filed before payment (Bewohnerparkausweis): its payment page, Stripe, the return.
async function payCase(c, app, deadline) {
  if (!app.caseId) throw new GiveUp(`no case id on the confirmation of ${app.marker}`);
  const base = `/konto/antraege/${app.caseId}`;
  const page = await paymentPage(c, `${base}/zahlung`, deadline);
  if (page.redirect) throw new GiveUp(`payment page of ${base} redirected to ${page.redirect}`);
  app.payment = { intent: page.secret.split('_secret_')[0] };
  await think();
  const paid = await confirmAtStripe(page.secret, deadline);
  Object.assign(app.payment, { confirmedAt: Date.now(), stripeStatus: paid.status, fault: currentFault });
  await returnFromStripe(c, app, base, paid.intent, deadline);
}

// A reserve paid during a fault: half of the payers come back (acknowledged like any other), the
// other half close the browser — their case is the webhook's to file.
async function settleReserve(c) {
  const res = c.reserve;
  const { app } = res;
  try {
    if (res.returnAfter) {
      const deadline = deadlineOfRun();
      const back = await returnFromStripe(c, app, res.draftPath, app.payment.intent, deadline);
      if (!back.includes('/fertig')) throw new GiveUp(`return from Stripe went to ${back}`);
      await acknowledge(c, app, res.draftPath, deadline);
    } else {
      app.outcome = 'paid, never returned';
    }
  } catch (e) {
    if (!(e instanceof GiveUp)) throw e;
    app.outcome = 'gave up (reserve return)';
    app.error = e.message;
    log(`citizen ${c.idx} reserve ${app.marker}: ${e.message}`);
  } finally {
    res.settled = true;
    c.reserve = null;
  }
}

// ------------------------------------------------------------------------------------------------
// the fault signal: benches/faults.sh writes $STATE_DIR/fault (the fault's label) right after it
// killed the server / stopped PostgreSQL and removes it once the portal answers again

let faultsSeen = 0;
function watchFaults(citizens) {
  const file = path.join(STATE, 'fault');
  return setInterval(() => {
    let label = null;
    try { label = fs.readFileSync(file, 'utf8').trim() || null; } catch { /* no fault */ }
    if (label === currentFault) return;
    currentFault = label;
    if (!label) { log('fault over: the portal answers again'); return; }
    faultsSeen++;
    results.faults.push({ label, seenAt: Date.now() });
    const ready = citizens.filter((c) => c.reserve && !c.reserve.confirmed);
    log(`fault "${label}": paying ${ready.length} reserved intents at Stripe now (their webhooks can only arrive by retry)`);
    for (const c of ready) {
      const res = c.reserve;
      res.confirmed = true;
      res.returnAfter = (c.idx + faultsSeen) % 2 === 0;
      confirmAtStripe(res.secret, Date.now() + 30000)
        .then((p) => Object.assign(res.app.payment, { confirmedAt: Date.now(), stripeStatus: p.status, fault: label, duringFault: true, returns: res.returnAfter }))
        .catch((e) => { res.app.error = `reserve confirm: ${e.message}`; res.app.outcome = 'gave up (reserve confirm)'; res.settled = true; c.reserve = null; });
    }
  }, 100);
}

// ------------------------------------------------------------------------------------------------

function save() {
  const tmp = RESULTS + '.tmp';
  fs.writeFileSync(tmp, JSON.stringify(results, null, 1));
  fs.renameSync(tmp, RESULTS);
}

async function citizenLoop(c) {
  let n = c.idx; // citizens start with different services
  let failures = 0;
  while (Date.now() < results.loadStart + DURATION_MS) {
    if (c.reserve?.confirmed && !c.reserve.settled && c.reserve.app.payment.confirmedAt) { await settleReserve(c); continue; }
    const app = RESERVES && !c.reserve ? await runApplication(c, 'birth', { reserve: true }) : await runApplication(c, n++ % 2 === 0 ? 'park' : 'birth');
    if (!app.outcome.startsWith('gave up')) { failures = 0; continue; }
    // a flow that fails by itself (not by a fault: those are retried) must not spin
    if (++failures >= 5) { log(`citizen ${c.idx}: 5 applications in a row failed, stopping (last: ${app.error})`); break; }
    await sleep(1000);
  }
  // after the load: a reserve paid in the last fault is settled too; an unpaid one stays an open draft
  for (let i = 0; i < 100 && c.reserve?.confirmed && !c.reserve.settled && !c.reserve.app.payment.confirmedAt; i++) await sleep(100);
  if (c.reserve?.confirmed && !c.reserve.settled) await settleReserve(c);
  if (c.reserve && !c.reserve.confirmed) c.reserve.app.outcome = 'reserve, never paid';
}

async function main() {
  fs.mkdirSync(STATE, { recursive: true });
  const citizens = Array.from({ length: CITIZENS }, (_, i) => new Citizen(i + 1));
  log(`run ${RUN}: ${CITIZENS} citizens on http://${HOST_HEADER} (127.0.0.1:${PORT}), ${DURATION_MS / 1000} s of load, ${THINK_MS} ms per step, reserves ${RESERVES ? 'on' : 'off'}`);
  // argon2 hashing of 2 × CITIZENS passwords at once is slow in a debug build
  const regDeadline = Date.now() + Number(env.REGISTER_WAIT || 120) * 1000;
  const reg = await Promise.allSettled(citizens.map((c) => register(c, regDeadline)));
  const failed = reg.map((r, i) => [r, i]).filter(([r]) => r.status === 'rejected');
  for (const [r, i] of failed) log(`citizen ${i + 1}: registration failed: ${r.reason?.message || r.reason}`);
  results.citizens = citizens.map((c) => ({ idx: c.idx, email: c.email, registered: !failed.some(([, i]) => i === c.idx - 1) }));
  if (failed.length) { save(); process.exitCode = 2; return; }
  log(`${CITIZENS} citizens registered and logged in`);

  results.loadStart = Date.now();
  fs.writeFileSync(path.join(STATE, 'load-started'), String(results.loadStart));
  const watcher = watchFaults(citizens);
  const saver = setInterval(save, 5000);
  const progress = setInterval(() => {
    const a = results.applications;
    const net = Object.entries(stats.netErrors).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
    log(`acknowledged ${a.filter((x) => x.outcome === 'acknowledged').length}, under way ${a.filter((x) => !x.endedAt).length}, gave up ${a.filter((x) => x.outcome.startsWith('gave up')).length}; 5xx ${stats.http5xx}, connection errors: ${net}${currentFault ? `; FAULT ${currentFault}` : ''}`);
  }, 5000);
  await Promise.all(citizens.map((c) => citizenLoop(c).catch((e) => log(`citizen ${c.idx} stopped: ${e.stack || e}`))));
  results.loadEnd = Date.now();
  clearInterval(watcher); clearInterval(saver); clearInterval(progress);
  save();
  const a = results.applications;
  log(`done: ${a.length} applications, ${a.filter((x) => x.outcome === 'acknowledged').length} acknowledged, ${a.filter((x) => x.submitTries > 1).length} submits retried with the same key, longest client stall ${(stats.longestStallMs / 1000).toFixed(1)} s`);
}

main().catch((e) => { log(`driver failed: ${e.stack || e}`); try { save(); } catch { /* nothing to save */ } process.exitCode = 1; });
