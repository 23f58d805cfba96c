// The verdict of the fault test (benches/faults.sh), after the load (benches/faults/load.mjs) ended,
// the mail queue drained and the Stripe stand-in's webhook retries are over. Compares what the
// citizens were told with what the database, the test mailbox and the Stripe stand-in hold:
//
//   submissions  every acknowledged reference exists exactly once (case_record), with the citizen's
//                marker (family name); no two cases, drafts or payments for one marker
//   payments     at most one succeeded PaymentIntent per payment at "Stripe"; every succeeded
//                intent booked on its payment; every paid draft filed as a case
//   mail         per recipient and subject (subjects carry the reference or Kassenzeichen):
//                exactly one job and exactly one message at the mailbox; every case and every
//                succeeded payment has its mail, every citizen the verification mail
//   webhooks     every event the stand-in created for the tenant's account is in payment_event
//                (those sent while the portal was down included)
//   recovery     per fault: time until /health answers 200 and until a portal page answers 200
//
// Reads the database as superuser (psql, DB_URL: the private cluster of the fault test), the
// mailbox (GET /messages) and the stand-in (GET /_test/events). Prints a summary, writes
// summary.json and summary.md to STATE_DIR. Exit 0: every promise kept; 1: a promise broken;
// 3: nothing broken, but something could not be decided within the run (see the notes).
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import { execFileSync } from 'node:child_process';

const env = process.env;
const STATE = env.STATE_DIR;
const DB_URL = env.DB_URL;
const MAILBOX = (env.MAILBOX_URL || '').replace(/\/$/, '');
const STRIPE = (env.STRIPE_URL || '').replace(/\/$/, '');
const ACCOUNT = env.STRIPE_ACCOUNT || 'acct_demoKaiserslautern';
const TENANT = env.TENANT_SLUG || 'kaiserslautern';
// tests/e2e/services/stripe.mjs `deliver`: 5 attempts, 0.5 s × attempt apart: the last one ~5 s
// after the first. (Stripe itself retries for up to three days.)
const STANDIN_RETRY_MS = Number(env.STANDIN_RETRY_MS || 5000);

function getJson(url) {
  return new Promise((resolve, reject) => {
    if (new URL(url).hostname !== '127.0.0.1') { reject(new Error(`refusing non-loopback URL ${url}`)); return; }
    http.get(url, { agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => { try { resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))); } catch (e) { reject(e); } });
    }).on('error', reject);
  });
}

// one query, its rows as JSON
function rows(sql) {
  const out = execFileSync('psql', [DB_URL, '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', `select coalesce(json_agg(t), '[]'::json) from (${sql}) t`], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(out);
}

const groupBy = (list, key) => {
  const m = new Map();
  for (const x of list) {
    const k = key(x);
    if (k === null || k === undefined) continue;
    if (!m.has(k)) m.set(k, []);
    m.get(k).push(x);
  }
  return m;
};
const dupGroups = (list, key) => [...groupBy(list, key)].filter(([, v]) => v.length > 1);
const fmtMs = (ms) => (ms === null || ms === undefined ? 'not recovered' : `${(ms / 1000).toFixed(2)} s`);
const clock = (ms) => new Date(ms).toISOString().slice(11, 23);

async function main() {
  const results = JSON.parse(fs.readFileSync(path.join(STATE, 'results.json'), 'utf8'));
  const faultsFile = path.join(STATE, 'faults.jsonl');
  const faults = fs.existsSync(faultsFile) ? fs.readFileSync(faultsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  const apps = results.applications;

  const tenant = rows(`select tenant_id from tenant where slug = '${TENANT}'`)[0]?.tenant_id;
  if (!tenant) throw new Error(`no tenant ${TENANT} in the database`);
  const T = `'${tenant}'::uuid`;
  const cases = rows(`select c.case_id, c.reference, c.service_slug, c.submission_key::text as submission_key, c.answers->>'family_name' as marker, a.email
    from case_record c left join citizen_account a on a.tenant_id = c.tenant_id and a.citizen_id = c.citizen_id where c.tenant_id = ${T}`);
  const drafts = rows(`select draft_id, service_slug, answers->>'family_name' as marker, case_id, submission_key::text as submission_key
    from application_draft where tenant_id = ${T}`);
  const payments = rows(`select p.payment_id, p.kassenzeichen, p.service_slug, p.draft_id, p.case_id, p.status, p.intent_id, p.attempt, p.amount_cents, a.email,
      coalesce(c.answers->>'family_name', d.answers->>'family_name') as marker
    from payment p
    left join citizen_account a on a.tenant_id = p.tenant_id and a.citizen_id = p.citizen_id
    left join case_record c on c.tenant_id = p.tenant_id and c.case_id = p.case_id
    left join application_draft d on d.tenant_id = p.tenant_id and d.draft_id = p.draft_id
    where p.tenant_id = ${T}`);
  const events = rows(`select event_id, event_type, object_id, outcome from payment_event where tenant_id = ${T}`);
  const jobs = rows(`select job_id, status, attempts, payload->>'to' as "to", payload->>'subject' as subject, last_error,
      extract(epoch from locked_until) * 1000 as locked_until_ms, (status = 'running' and locked_until > now()) as claimed,
      extract(epoch from created_at) * 1000 as created_ms, extract(epoch from done_at) * 1000 as done_ms
    from job where kind = 'mail'`);
  const citizens = rows(`select email from citizen_account where tenant_id = ${T} and email is not null`);
  const mailbox = await getJson(`${MAILBOX}/messages`);
  const standin = (await getJson(`${STRIPE}/_test/events?account=${ACCOUNT}`)).map((e) => {
    const p = JSON.parse(e.payload);
    return { id: e.id, type: e.type, created: p.created, object: p.data?.object || {} };
  });

  // findings: level broken (a promise broken) or undecided (could not be decided within this run),
  // grouped by category in the output
  const issues = [];
  const broken = { push: (category, detail) => issues.push({ level: 'broken', category, detail }) };
  const undecided = { push: (category, detail) => issues.push({ level: 'undecided', category, detail }) };
  const notes = [];

  // ---- submissions --------------------------------------------------------------------------
  const acked = apps.filter((a) => a.outcome === 'acknowledged');
  const byRef = groupBy(cases, (c) => c.reference);
  const byMarker = groupBy(cases, (c) => c.marker);
  let found = 0;
  for (const a of acked) {
    const m = byRef.get(a.reference) || [];
    const ok = m.length === 1 && m[0].marker === a.marker && (!a.caseId || m[0].case_id === a.caseId) && (byMarker.get(a.marker) || []).length === 1;
    if (ok) found++;
    else broken.push('acknowledged submission not found exactly once', `${a.reference} (${a.marker}): ${m.length} case(s) with that reference, ${(byMarker.get(a.marker) || []).length} with the marker`);
  }
  const dupCases = dupGroups(cases, (c) => c.marker);
  for (const [k, v] of dupCases) broken.push('duplicate case', `${v.length} cases for one application ${k}: ${v.map((c) => c.reference).join(', ')}`);
  for (const [k, v] of dupGroups(cases, (c) => c.submission_key)) broken.push('duplicate case', `${v.length} cases with submission key ${k}`);
  const submitRetried = apps.filter((a) => a.submitTries > 1);
  const doubled = apps.filter((a) => a.doubleSubmit);
  const replayed = apps.filter((a) => a.replayedSubmit);
  for (const a of apps.filter((x) => x.anomaly)) broken.push('a repeated submit was answered differently', `${a.marker}: ${a.anomaly}`);
  const unacked = apps.filter((a) => a.submissionKey && a.outcome !== 'acknowledged');
  // faults last seconds; a citizen still failing at the run's deadline (DURATION + GRACE) met a
  // state the portal does not recover from by itself
  const gaveUp = apps.filter((a) => a.outcome.startsWith('gave up'));
  for (const a of gaveUp) broken.push('citizen could not finish (still failing at the deadline)', `${a.marker} ${a.slug} draft ${a.draft || '-'}: ${a.error}`);
  const unackedFiled = unacked.filter((a) => byMarker.has(a.marker));

  // ---- drafts ---------------------------------------------------------------------------------
  const dupDrafts = dupGroups(drafts, (d) => d.marker);
  for (const [k, v] of dupDrafts) broken.push('duplicate draft', `${v.length} drafts for one application ${k}`);
  const orphans = drafts.filter((d) => !d.marker);
  const startRetries = apps.reduce((s, a) => s + Math.max(0, (a.startTries || 0) - 1), 0);
  const gaveUpBeforeFirstPage = apps.filter((a) => a.draft && !a.submissionKey && a.outcome.startsWith('gave up')).length;
  if (orphans.length) notes.push(`${orphans.length} draft(s) without answers: made by a start whose answer was lost and that the citizen repeated (${startRetries} start retries) or left (${gaveUpBeforeFirstPage} applications given up); the start is not idempotent, these drafts expire unused`);

  // ---- payments -------------------------------------------------------------------------------
  const dupPayDraft = dupGroups(payments, (p) => p.draft_id);
  const dupPayCase = dupGroups(payments, (p) => p.case_id);
  const dupPayMarker = dupGroups(payments, (p) => p.marker);
  // one message per set of payments, whichever grouping found it (a draft's, a case's, an application's)
  const dupPaySets = new Map();
  for (const [k, v] of [...dupPayDraft, ...dupPayCase, ...dupPayMarker]) {
    const ids = v.map((p) => p.payment_id).sort().join(',');
    if (!dupPaySets.has(ids)) dupPaySets.set(ids, `${v.length} payments for one application (${k}): ${v.map((p) => `${p.kassenzeichen} ${p.status}`).join(', ')}`);
  }
  for (const m of dupPaySets.values()) broken.push('duplicate payment', m);
  const intents = standin.filter((e) => e.type === 'payment_intent.created').map((e) => e.object);
  const succeeded = new Map(); // intent id -> intent (last succeeded event)
  for (const e of standin.filter((x) => x.type === 'payment_intent.succeeded')) succeeded.set(e.object.id, e.object);
  const paidPerPayment = groupBy([...succeeded.values()], (pi) => pi.metadata?.payment_id);
  const doubleCharged = [...paidPerPayment].filter(([, v]) => v.length > 1);
  for (const [k, v] of doubleCharged) broken.push('paid twice at Stripe', `payment ${k} paid ${v.length} times: ${v.map((pi) => pi.id).join(', ')}`);
  const paymentById = new Map(payments.map((p) => [p.payment_id, p]));
  const eventIds = new Set(events.map((e) => e.event_id));
  const paidNotBooked = [];
  for (const pi of succeeded.values()) {
    const p = paymentById.get(pi.metadata?.payment_id);
    if (!p || p.status !== 'succeeded' || p.intent_id !== pi.id) paidNotBooked.push({ pi, p });
  }
  const paidNotFiled = payments.filter((p) => p.status === 'succeeded' && p.draft_id && !p.case_id);
  const intentsPerPayment = groupBy(intents, (pi) => pi.metadata?.payment_id);
  const maxIntents = Math.max(0, ...[...intentsPerPayment.values()].map((v) => v.length));

  // ---- webhooks -------------------------------------------------------------------------------
  // a missing event that was created during an outage which outlasted the stand-in's retries was
  // given up by the stand-in (Stripe would retry for days); any other missing event the portal lost
  const gaveUpWindow = (createdS) => faults.find((f) => {
    const c = createdS * 1000;
    return c >= f.t_fault - 1000 && (f.t_health === null || f.t_health > c + STANDIN_RETRY_MS);
  });
  const missing = standin.filter((e) => !eventIds.has(e.id));
  const missingByStandin = missing.filter((e) => gaveUpWindow(e.created));
  const missingByPortal = missing.filter((e) => !gaveUpWindow(e.created));
  for (const e of missingByPortal) broken.push('webhook never applied', `${e.id} (${e.type}, ${e.object.id}) is not in payment_event`);
  for (const e of missingByStandin) undecided.push('webhook given up by the stand-in', `${e.id} (${e.type}) created during fault "${gaveUpWindow(e.created).label}" was given up by the stand-in (its last retry ${STANDIN_RETRY_MS / 1000} s after the first came before the portal was back)`);
  const paidDown = apps.filter((a) => a.payment?.duringFault);
  const downEvents = paidDown.map((a) => standin.find((e) => e.type === 'payment_intent.succeeded' && e.object.id === a.payment.intent)).filter(Boolean);
  const downApplied = downEvents.filter((e) => eventIds.has(e.id));
  const noReturn = apps.filter((a) => a.outcome === 'paid, never returned');
  const noReturnFiled = noReturn.filter((a) => (byMarker.get(a.marker) || []).length === 1);
  for (const { pi, p } of paidNotBooked) {
    const ev = standin.find((e) => e.type === 'payment_intent.succeeded' && e.object.id === pi.id);
    const detail = `intent ${pi.id} succeeded at Stripe but payment ${p ? `${p.kassenzeichen} is ${p.status}` : `${pi.metadata?.payment_id} is unknown`}`;
    if (ev && gaveUpWindow(ev.created)) undecided.push('paid at Stripe, not booked (webhook given up by the stand-in)', `${detail}; the expiry job asks Stripe after payments.intent_expiry_hours`);
    else broken.push('paid at Stripe, not booked', detail);
  }
  for (const p of paidNotFiled) {
    if (!paidNotBooked.some((x) => x.p === p)) broken.push('paid, not filed', `payment ${p.kassenzeichen} succeeded but its draft was not filed`);
  }
  const outcomes = Object.entries(events.reduce((m, e) => ({ ...m, [e.outcome]: (m[e.outcome] || 0) + 1 }), {})).map(([k, v]) => `${k}: ${v}`).join(', ');

  // ---- mail -----------------------------------------------------------------------------------
  const key = (to, subject) => `${(to || '').toLowerCase()}\n${subject}`;
  const jobsByKey = groupBy(jobs, (j) => key(j.to, j.subject));
  const mailByKey = groupBy(mailbox, (m) => key(m.to, m.subject));
  const allKeys = new Set([...jobsByKey.keys(), ...mailByKey.keys()]);
  let dupMails = 0, dupQueued = 0, lostMails = 0, failedMails = 0, delayedMails = 0, queuedMails = 0, willRepeat = 0;
  for (const k of allKeys) {
    const js = jobsByKey.get(k) || [];
    const ms = mailByKey.get(k) || [];
    const [to, subject] = k.split('\n');
    const what = `"${subject}" to ${to}`;
    if (js.length > 1) { dupQueued += js.length - 1; broken.push('mail queued twice', `${js.length} jobs: ${what}`); }
    if (ms.length > 1) {
      dupMails += ms.length - 1;
      const attempts = js.map((j) => j.attempts).join('/');
      const ids = new Set(ms.map((m) => m.messageId || '?'));
      const sameId = ids.size === 1 && !ids.has('?') ? `; all copies carry one Message-ID (${[...ids][0]}), so mail systems can drop the repeat` : '';
      broken.push('mail delivered twice', `${ms.length} messages: ${what} (job attempts ${attempts}${js.some((j) => j.attempts > 1) ? ': sent, not marked done before the server died, sent again when its claim expired' : ''}${sameId})`);
    }
    if (!js.length) { broken.push('mail without a job', what); continue; }
    const claimed = js.filter((j) => j.claimed);
    if (ms.length && claimed.length) {
      // sent, then the server died before marking the job done: the claim expires, the mail goes again
      willRepeat++;
      broken.push('mail sent, job still claimed: sent again when the claim expires', `${what}, again at ${clock(claimed[0].locked_until_ms)}`);
    }
    if (ms.length) continue;
    if (js.some((j) => j.status === 'done')) { lostMails++; broken.push('mail marked sent, never arrived', what); }
    else if (js.some((j) => j.status === 'failed')) { failedMails++; broken.push('mail failed', `${what}: ${js[0].last_error}`); }
    else if (claimed.length) { delayedMails++; undecided.push('mail claimed by a killed server: waits for the claim to expire (FOLLOW_CLAIMS=1 waits)', `${what}, claim ends ${clock(claimed[0].locked_until_ms)}`); }
    else { queuedMails++; undecided.push('mail still queued after the wait (the worker had not got to it)', `${what}: ${js.map((j) => j.status).join('/')}, attempts ${js[0].attempts}${js[0].last_error ? `, ${js[0].last_error}` : ''}`); }
  }
  const sent = jobs.filter((j) => j.status === 'done' && j.done_ms);
  const delays = sent.map((j) => j.done_ms - j.created_ms).sort((a, b) => a - b);
  const pct = (q) => (delays.length ? delays[Math.min(delays.length - 1, Math.floor(q * delays.length))] : null);
  // the worker's pace while busy: the median gap between two deliveries (the run's span would count
  // the idle minutes spent waiting for claims)
  const doneTimes = sent.map((j) => j.done_ms).sort((a, b) => a - b);
  const gaps = doneTimes.slice(1).map((t, i) => t - doneTimes[i]).sort((a, b) => a - b);
  const medianGap = gaps.length ? gaps[Math.floor(gaps.length / 2)] : 0;
  // what should have been queued at all
  const expected = [
    ...citizens.map((c) => [c.email, 'Bitte bestätigen Sie Ihre E-Mail-Adresse']),
    ...cases.filter((c) => c.email).map((c) => [c.email, `Ihr Antrag ${c.reference} ist eingegangen`]),
    ...payments.filter((p) => p.status === 'succeeded' && p.email).map((p) => [p.email, `Zahlungsbestätigung ${p.kassenzeichen}`]),
  ];
  let neverQueued = 0;
  for (const [to, prefix] of expected) {
    if (!jobs.some((j) => (j.to || '').toLowerCase() === to && (j.subject || '').startsWith(prefix))) { neverQueued++; broken.push('mail never queued', `"${prefix}…" to ${to}`); }
  }

  // ---- recovery -------------------------------------------------------------------------------
  for (const f of faults) if (f.t_health === null || f.t_page === null) broken.push('no recovery', `fault "${f.label}": the portal did not answer again within the limit`);

  // ---- report ---------------------------------------------------------------------------------
  const loadS = results.loadEnd && results.loadStart ? ((results.loadEnd - results.loadStart) / 1000).toFixed(0) : '?';
  const net = Object.entries(results.stats.netErrors).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  const rowsOut = [
    ['citizens', `${results.citizens.length}, ${apps.length} applications started in ${loadS} s`],
    ['acknowledged submissions', String(acked.length)],
    ['  found exactly once', `${found} of ${acked.length}`],
    ['  submits retried with the same key', `${submitRetried.length} (${submitRetried.reduce((s, a) => s + a.submitTries - 1, 0)} retries)`],
    ['  sent twice at once / sent again', `${doubled.length} / ${replayed.length}`],
    ['  given up by the citizen', String(gaveUp.length)],
    ['  submitted, not acknowledged', `${unacked.length} (${unackedFiled.length} filed anyway)`],
    ['duplicate cases', String(dupCases.length)],
    ['duplicate drafts', `${dupDrafts.length} (${orphans.length} empty drafts from repeated starts)`],
    ['payments at the portal', `${payments.length} (${payments.filter((p) => p.status === 'succeeded').length} succeeded)`],
    ['duplicate payments', String(dupPaySets.size)],
    ['  paid twice at Stripe', String(doubleCharged.length)],
    ['  paid at Stripe, not booked', String(paidNotBooked.length)],
    ['  intents per payment (max)', String(maxIntents)],
    ['mails queued / at the mailbox', `${jobs.length} / ${mailbox.length}`],
    ['lost mails', `${lostMails + failedMails + neverQueued} (never queued ${neverQueued}, marked sent but missing ${lostMails}, failed ${failedMails})`],
    ['duplicate mails', `${dupMails} delivered twice, ${dupQueued} queued twice, ${willRepeat} to be sent again when a killed claim expires`],
    ['mails not delivered yet', `${delayedMails} held by claims of a killed server, ${queuedMails} still queued`],
    ['mail worker', `${sent.length} sent${medianGap ? `, ${(1000 / medianGap).toFixed(1)}/s while busy` : ''}; queued to sent p50 ${fmtMs(pct(0.5))}, p99 ${fmtMs(pct(0.99))}, max ${fmtMs(delays.at(-1) ?? null)}`],
    ['webhooks created at Stripe', `${standin.length}: applied ${standin.length - missing.length}, missing ${missing.length} (given up by the stand-in ${missingByStandin.length})`],
    ['  paid while the portal was down', `${downEvents.length} events: applied ${downApplied.length}`],
    ['  paid, never returned', `${noReturn.length}: filed by webhook ${noReturnFiled.length}`],
    ['  payment_event outcomes', outcomes || 'none'],
    ['client: 5xx / connection errors', `${results.stats.http5xx} / ${net}`],
    ['client: longest stall', fmtMs(results.stats.longestStallMs)],
  ];
  for (const f of faults) {
    const pg = f.kind === 'postgres';
    rowsOut.push([`recovery ${f.label} (+${((f.t_fault - results.loadStart) / 1000).toFixed(0)} s)`,
      `health 200 after ${fmtMs(f.t_health === null ? null : f.t_health - f.t_fault)}, page after ${fmtMs(f.t_page === null ? null : f.t_page - f.t_fault)}` +
      (pg ? ` (PostgreSQL back after ${fmtMs(f.t_restart - f.t_fault)})` : ` (restarted after ${fmtMs(f.t_restart - f.t_fault)}, up ${fmtMs(f.t_health === null ? null : f.t_health - f.t_restart)} later)`)]);
  }
  const width = Math.max(...rowsOut.map((r) => r[0].length));
  console.log('');
  for (const [k, v] of rowsOut) console.log(`    ${k.padEnd(width)}  ${v}`);
  console.log('');
  for (const n of notes) console.log(`    note: ${n}`);
  // per category: how many, and the first few
  const byCategory = groupBy(issues, (i) => `${i.level}\n${i.category}`);
  for (const level of ['undecided', 'broken']) {
    for (const [k, list] of byCategory) {
      if (!k.startsWith(level + '\n')) continue;
      const colour = level === 'broken' ? '\x1b[31mBROKEN\x1b[0m' : '\x1b[33mundecided\x1b[0m';
      console.log(`    ${colour} ${list.length} × ${list[0].category}`);
      for (const i of list.slice(0, 3)) console.log(`        ${i.detail}`);
      if (list.length > 3) console.log(`        … ${list.length - 3} more in summary.json`);
    }
  }
  const nBroken = issues.filter((i) => i.level === 'broken').length;
  const nUndecided = issues.length - nBroken;
  const verdict = nBroken ? 'BROKEN' : nUndecided ? 'UNDECIDED' : 'KEPT';
  const md = ['| figure | value |', '| --- | --- |', ...rowsOut.map(([k, v]) => `| ${k.trim()} | ${v} |`), '',
    `Verdict: **${verdict}** (${nBroken} broken, ${nUndecided} undecided).`, '',
    ...[...byCategory].map(([, list]) => `- ${list[0].level}: ${list.length} × ${list[0].category}`)].join('\n');
  fs.writeFileSync(path.join(STATE, 'summary.md'), md + '\n');
  fs.writeFileSync(path.join(STATE, 'summary.json'), JSON.stringify({ verdict, figures: Object.fromEntries(rowsOut.map(([k, v]) => [k.trim(), v])), issues, notes, faults }, null, 1));
  console.log(`\n    verdict: ${verdict === 'KEPT' ? '\x1b[32mevery promise kept\x1b[0m' : verdict === 'BROKEN' ? `\x1b[31m${nBroken} broken\x1b[0m (and ${nUndecided} undecided)` : `\x1b[33mnothing broken, ${nUndecided} undecided\x1b[0m`}`);
  process.exitCode = nBroken ? 1 : nUndecided ? 3 : 0;
}

main().catch((e) => { console.error(`check failed: ${e.stack || e}`); process.exitCode = 1; });
