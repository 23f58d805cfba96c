// Shared helpers for the browser journeys: Debian's Chromium via playwright-core, pages that are
// scanned with axe-core on every load (see "Every page is scanned" below), and the test mailbox.
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { totpAt } from '../totp.mjs';
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import assert from 'node:assert/strict';
import { beforeEach, afterEach, after as afterAll } from 'node:test';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const PORT = process.env.E2E_PORT || '3101';
export const PORT_B = process.env.E2E_PORT_B || '3102';
export const url = (host, path = '/') => `http://${host}:${PORT}${path}`;
/** The operator this journey logs in as: one per journey file (test-all.sh creates them), so that
 * one journey's second-factor codes never make the next wait for a fresh 30-second step. */
export const JOURNEY = basename(process.argv[1] || 'journey', '.test.mjs');
export const OPERATOR = {
  email: `e2e-betrieb-${JOURNEY}@kommunalportal.example`,
  password: process.env.E2E_OPERATOR_PASSWORD || 'e2e-passwort-sicher-2026',
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A page of a context of its own that records script errors (so a journey can assert there were
 * none) and is scanned with axe-core on every load (below). The only way journeys make pages:
 * tests/e2e/check-tests.mjs refuses any other. */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  // HTTP statuses of documents (401 on a wrong password, 422 on invalid input) are expected; script
  // errors are not
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) page.errors.push(m.text()); });
  return new Scanner(page, options).proxy;
}

// ---- Every page is scanned -----------------------------------------------------------------------
//
// A page from newPage() is wrapped so that:
//  * each load of one of the portal's documents (the main frame's `load` event: a goto, a link
//    followed, a form posted, a reload, a redirect by a script) queues an axe-core scan of it (WCAG
//    2.x A/AA and best practices); the scans of a page run one after the other (a promise chain);
//  * every action on the page, its locators, keyboard and mouse (goto, reload, click, fill, press,
//    check, selectOption, setInputFiles, evaluate, close, ...) first waits until the document shown
//    has loaded and every scan queued has ended, and throws the violations found, naming the URL.
//    The next action, and so the next navigation the journey makes, cannot start before the page
//    shown is scanned: no scan races with the journey's navigation. (An action that navigates
//    returns once the new document is committed; the next action then waits for its load.)
//  * a scan that fails because its document went away (a page that navigates by itself, as the
//    payment provider's return does) is repeated on the page it went to once that has loaded,
//    unless that page's own load already queued its scan; it is never dropped. Other failures
//    (axe-core's errors, a timeout, the page closed during its scan) are retried twice and then
//    fail the journey like violations.
//  * scan(page, label) scans a state reached without a load (an island's update, a message a
//    script shows); it runs in the same chain and throws at once.
//  * after each test (afterEach below) every page is settled: what is still queued is awaited and
//    what is not yet reported fails the test.
//  * a page with JavaScript off cannot run axe-core: each document it loads by GET is scanned in a
//    companion page with JavaScript on, its cookies and the same URL (the same server-rendered
//    HTML); a document it reached by POST cannot be fetched again and fails the journey.
// Only the portal's own documents are scanned (http://*.localhost on E2E_PORT or E2E_PORT_B): not
// the stand-ins for outside services (the eID provider's login page), about:blank or error pages.

const PORTAL_PORTS = new Set([String(PORT), String(PORT_B)]);
const SCAN_TIMEOUT_MS = 60000;
const LOAD_TIMEOUT_MS = 60000;
/** Errors of a scan whose document went away: navigated, or its frame or page closed. */
const GONE = /Execution context was destroyed|Cannot find context|Frame was detached|navigat|has been closed|Target closed/i;
const PAGE_ACTIONS = new Set(['goto', 'reload', 'goBack', 'goForward', 'click', 'dblclick', 'tap', 'fill', 'type', 'press',
  'check', 'uncheck', 'setChecked', 'selectOption', 'setInputFiles', 'hover', 'focus', 'dispatchEvent', 'dragAndDrop',
  'evaluate', 'evaluateHandle', '$eval', '$$eval', 'setContent', 'addScriptTag', 'addStyleTag', 'close', 'bringToFront']);
const LOCATOR_ACTIONS = new Set(['click', 'dblclick', 'tap', 'fill', 'clear', 'type', 'pressSequentially', 'press', 'check',
  'uncheck', 'setChecked', 'selectOption', 'selectText', 'setInputFiles', 'hover', 'focus', 'blur', 'dispatchEvent',
  'dragTo', 'evaluate', 'evaluateAll', 'evaluateHandle', 'scrollIntoViewIfNeeded']);
const INPUT_ACTIONS = new Set(['press', 'type', 'down', 'up', 'insertText', 'click', 'dblclick', 'move', 'wheel', 'tap']);
const scanners = new Set();
/** How many documents (by their loads) and states (by scan()) this journey file had scanned. */
const scanned = { loads: 0, states: 0 };
afterAll(() => console.log(`axe-core: ${scanned.loads} page loads and ${scanned.states} states scanned`));
const scannerOf = new WeakMap();
const guardedContexts = new WeakMap();

function isPortal(href) {
  try {
    const u = new URL(href);
    return u.protocol === 'http:' && (u.hostname === 'localhost' || u.hostname.endsWith('.localhost')) && PORTAL_PORTS.has(u.port);
  } catch {
    return false;
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not end within ${ms / 1000} s`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** axe-core's violations on the document `page` shows. */
async function axeViolations(page) {
  // evaluated through the DevTools protocol, so the page's CSP (no inline scripts) stays in force
  if (await page.evaluate(() => typeof window.axe === 'undefined')) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
}

/** The violations of `href` as a page with JavaScript on shows it, with the cookies of `page`. */
async function companionViolations(page, href, options) {
  const context = await page.context().browser().newContext({ locale: 'de-DE', viewport: { width: 1280, height: 900 }, ...options,
    javaScriptEnabled: true, storageState: await page.context().storageState() });
  try {
    const companion = await context.newPage();
    await companion.goto(href);
    return await axeViolations(companion);
  } finally {
    await context.close();
  }
}

class Scanner {
  constructor(page, options) {
    this.page = page;
    this.options = options;
    this.javaScriptOff = options.javaScriptEnabled === false;
    this.chain = Promise.resolve();
    this.loads = 0;
    this.failures = [];
    this.navigationMethod = 'GET';
    this.locatorProto = Object.getPrototypeOf(page.locator('html'));
    this.frameLocatorProto = Object.getPrototypeOf(page.frameLocator('iframe'));
    page.on('load', () => {
      const load = ++this.loads;
      this.enqueue(() => this.run('the page loaded', load));
    });
    if (this.javaScriptOff) {
      page.on('request', (r) => {
        try {
          if (r.isNavigationRequest() && r.frame() === page.mainFrame()) this.navigationMethod = r.method();
        } catch {
          // a service worker's request has no frame
        }
      });
    }
    this.proxy = this.guard(page, PAGE_ACTIONS);
    scanners.add(this);
    scannerOf.set(page, this);
    scannerOf.set(this.proxy, this);
  }

  enqueue(job) {
    const next = this.chain.then(job).catch((e) => { this.failures.push(`the accessibility scan of ${this.page.url()} failed: ${e?.stack || e}`); });
    this.chain = next;
    return next;
  }

  async violations(href) {
    if (!this.javaScriptOff) return axeViolations(this.page);
    if (this.navigationMethod !== 'GET') {
      throw Object.assign(new Error(`${href} was reached by ${this.navigationMethod} in a page with JavaScript off: axe-core needs JavaScript and the request cannot be repeated in a page with it; show this state in a page with JavaScript`), { final: true });
    }
    return companionViolations(this.page, href, this.options);
  }

  /** Scans the document shown. `load`: the number of the load that queued the scan (none for scan()). */
  async run(label, load) {
    for (let attempt = 1; ; attempt++) {
      if (load !== undefined && load !== this.loads) {
        // a later document has loaded meanwhile (the page navigated by itself): its own load's scan is
        // queued after this one
        console.log(`note: ${this.page.url()}: an earlier document of this page was left by the page itself before its scan began; the document it went to is scanned`);
        return;
      }
      if (this.page.isClosed()) {
        this.failures.push(`${label}: the page was closed before it was scanned`);
        return;
      }
      const href = this.page.url();
      if (!isPortal(href)) return;
      const loads = this.loads;
      try {
        const found = await withTimeout(this.violations(href), SCAN_TIMEOUT_MS, `the accessibility scan of ${href}`);
        scanned[load === undefined ? 'states' : 'loads'] += 1;
        if (found.length) this.failures.push(`axe-core found violations on ${label} (${href}):\n${JSON.stringify(found, null, 2)}`);
        return;
      } catch (e) {
        if (this.page.isClosed()) {
          this.failures.push(`${label} (${href}): the page was closed during its accessibility scan`);
          return;
        }
        if (e.final || attempt >= 3) {
          this.failures.push(`${label} (${href}): the accessibility scan failed${e.final ? '' : ` ${attempt} times`}: ${e.message}`);
          return;
        }
        if (GONE.test(String(e.message))) {
          // the document went away during the scan (the journey's own actions wait for it, so the page
          // navigated by itself): the page it went to is scanned, by its own load's scan if one was
          // queued meanwhile, else here
          await this.page.waitForLoadState('load', { timeout: LOAD_TIMEOUT_MS }).catch(() => {});
          if (load !== undefined && this.loads !== loads) {
            console.log(`note: ${href} navigated by itself during its accessibility scan; the page it went to is scanned`);
            return;
          }
          label = `${label} (scanned again: the document changed during the first scan)`;
        } else {
          // e.g. a node the page's script removed while axe-core looked at it
          await sleep(500);
        }
      }
    }
  }

  /** Waits until the document shown has loaded and every queued scan has ended; throws what they found. */
  async settle() {
    for (;;) {
      if (!this.page.isClosed() && this.page.url() !== 'about:blank') {
        try {
          await this.page.waitForLoadState('load', { timeout: LOAD_TIMEOUT_MS });
        } catch (e) {
          if (!this.page.isClosed()) throw new Error(`${this.page.url()} did not finish loading within ${LOAD_TIMEOUT_MS / 1000} s, so it cannot be scanned: ${e.message}`);
        }
      }
      const chain = this.chain;
      await chain;
      // a load during the wait queued another scan: wait for that too
      if (chain === this.chain) break;
    }
    this.report();
  }

  report() {
    if (this.failures.length) assert.fail(this.failures.splice(0).join('\n\n'));
  }

  /** `target` (the page, a locator, the keyboard ...) whose `actions` wait for settle() first. */
  guard(target, actions) {
    const scanner = this;
    const wrap = (r) => {
      if (r === target) return proxy;
      if (r === scanner.page) return scanner.proxy;
      if (r instanceof Promise) return r.then(wrap);
      if (Array.isArray(r)) return r.map(wrap);
      if (r && typeof r === 'object') {
        const proto = Object.getPrototypeOf(r);
        if (proto === scanner.locatorProto) return scanner.guard(r, LOCATOR_ACTIONS);
        if (proto === scanner.frameLocatorProto) return scanner.guard(r, new Set());
      }
      return r;
    };
    const proxy = new Proxy(target, {
      get(t, prop) {
        const value = Reflect.get(t, prop, t);
        if (prop === 'keyboard' || prop === 'mouse' || prop === 'touchscreen') return value && scanner.guard(value, INPUT_ACTIONS);
        if (typeof value !== 'function' || typeof prop === 'symbol' || prop === 'constructor') return value;
        if (actions.has(prop)) {
          return async (...args) => {
            await scanner.settle();
            return wrap(await value.apply(t, args));
          };
        }
        if (prop === 'context') return () => guardContext(value.apply(t, []));
        return (...args) => wrap(value.apply(t, args));
      },
    });
    return proxy;
  }
}

/** A page's context whose close() first settles the scans of its pages. */
function guardContext(context) {
  if (!guardedContexts.has(context)) {
    guardedContexts.set(context, new Proxy(context, {
      get(t, prop) {
        const value = Reflect.get(t, prop, t);
        if (typeof value !== 'function' || typeof prop === 'symbol') return value;
        if (prop === 'close') {
          return async (...args) => {
            for (const s of scanners) if (s.page.context() === t) await s.settle();
            return value.apply(t, args);
          };
        }
        return (...args) => value.apply(t, args);
      },
    }));
  }
  return guardedContexts.get(context);
}

/** Scans the state `page` shows now, reached without a load (an island's update, a message shown by
 * a script); loads are scanned by themselves. Fails with the violations, naming `label` and the URL. */
/** Photographs the page at phone (390 px) and desktop (1280 px) width into
 * artifacts/NAME-phone.png and NAME-desktop.png, and asserts that it scrolls sideways at neither;
 * the page keeps the viewport it had. */
export async function photograph(page, name) {
  const before = page.viewportSize();
  for (const [width, height, size] of [[390, 844, 'phone'], [1280, 900, 'desktop']]) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: `artifacts/${name}-${size}.png`, fullPage: true });
    // the page, and the innermost elements reaching past its right edge (to name the culprit)
    const [sideways, culprits] = await page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      const wide = [...document.body.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > width + 1);
      const innermost = wide.filter((e) => !wide.some((o) => o !== e && e.contains(o)));
      const name = (e) => `${e.tagName.toLowerCase()}${e.className && typeof e.className === 'string' ? `.${e.className.trim().split(/\s+/).join('.')}` : ''}`;
      return [document.documentElement.scrollWidth - width, innermost.slice(0, 5).map(name)];
    });
    assert.ok(sideways <= 0, `${name} scrolls sideways by ${sideways} px at ${width} px (reaching past the edge: ${culprits.join(', ')})`);
  }
  if (before) await page.setViewportSize(before);
}

export async function scan(page, label) {
  const scanner = scannerOf.get(page);
  if (!scanner) throw new Error(`scan(${label}): the page was not made by newPage()`);
  await scanner.settle();
  await scanner.enqueue(() => scanner.run(label));
  scanner.report();
}

/** Waits until the document `page` shows has loaded and its scans have ended (and throws what they
 * found), as every action does first: for a journey that measures the time its next action takes. */
export async function scansDone(page) {
  const scanner = scannerOf.get(page);
  if (!scanner) throw new Error('scansDone(): the page was not made by newPage()');
  await scanner.settle();
}

// every page settled after each test: what was found and not yet thrown by an action fails the test
afterEach(async () => {
  const problems = [];
  for (const scanner of scanners) {
    try {
      await scanner.settle();
    } catch (e) {
      problems.push(e.message);
    }
  }
  if (problems.length) assert.fail(problems.join('\n\n'));
});

// ---- Pages and flows ---------------------------------------------------------------------------

/** Islands load on the first interaction: this makes one (as a user reaching for a field would)
 * and waits until every island of the page is hydrated. */
export async function waitForHydration(page) {
  // the loader is a module script: it may run after the navigation is reported done
  await page.waitForFunction(() => document.documentElement.dataset.islands === 'waiting' || document.documentElement.dataset.hydrated === 'true', null, { timeout: 20000 });
  await page.evaluate(() => document.dispatchEvent(new Event('pointerdown')));
  await page.waitForFunction(() => document.documentElement.dataset.hydrated === 'true', null, { timeout: 20000 });
}

/** What a page transfers before any interaction, with an empty cache (a fresh context with the
 * same cookies): compressed body bytes per URL, as on the wire. (A measurement of a URL the journey
 * shows, and scans, in its own page.) */
export async function firstLoadBytes(browser, page, href) {
  const context = await browser.newContext({ locale: 'de-DE', storageState: await page.context().storageState() });
  const fresh = await context.newPage();
  const sizes = [];
  const pending = [];
  fresh.on('requestfinished', (req) => pending.push(req.sizes().then((s) => sizes.push({ url: req.url(), bytes: s.responseBodySize })).catch(() => {})));
  await fresh.goto(href, { waitUntil: 'networkidle' });
  await Promise.all(pending);
  await context.close();
  return sizes;
}

/** A server just started confirms the tenants' Stripe accounts in the background: until then a fee
 * is shown as payable offline. Reads the check page again until online payment is offered; returns
 * the button that leads to it. */
export async function onlinePaymentOffered(page, tries = 30) {
  const pay = page.getByRole('button', { name: 'Weiter zur Bezahlung' });
  await page.waitForLoadState('load');
  for (let i = 0; i < tries && !(await pay.isVisible()); i++) {
    await page.waitForTimeout(1000);
    await page.reload();
  }
  return pay;
}

/** A small valid PNG (1×1, dark green). */
export const PNG_1x1 = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763d060b00100' +
  '014c00b3c51b7d7e0000000049454e44ae426082', 'hex');

// ---- The test mailbox ------------------------------------------------------------------------------
// One mailbox for all journeys (and kept between runs when it was already running): a journey sees
// only the mails received since its test began (the cursor taken before each test), so mails of
// other journeys or runs to the same address (the eID users' addresses) never match.

export const MAILBOX_URL = process.env.MAILBOX_URL || 'http://127.0.0.1:2580';
/** How long a journey waits for a mail: the server's queue delivers oldest first. */
export const MAIL_TIMEOUT_MS = 60000;
let mailSince = 0;
let mailboxDown = false;

async function messages(to) {
  const res = await fetch(`${MAILBOX_URL}/messages${to ? `?to=${encodeURIComponent(to)}` : ''}`);
  if (!res.ok) throw new Error(`the mailbox answered ${res.status}`);
  return res.json();
}

/** The id of the newest mail in the mailbox (0 when it is empty). */
export async function mailCursor() {
  return (await messages()).reduce((max, m) => Math.max(max, m.id), 0);
}

beforeEach(async () => {
  try {
    mailSince = await mailCursor();
  } catch (e) {
    if (mailSince !== 0 || !mailboxDown) console.log(`note: the mailbox at ${MAILBOX_URL} is not reachable (${e.message}); mail lookups see all its mails`);
    mailSince = 0;
    mailboxDown = true;
  }
});

/** Mails to `to` (all recipients when empty) received since the current test began (or after the
 * mail numbered `since`), oldest first. */
export async function mailsTo(to, { since = mailSince } = {}) {
  return (await messages(to)).filter((m) => m.id > since);
}

/** Waits for a mail to `to` received since the current test began whose subject matches `match` (a
 * RegExp) or for which `match(mail)` holds; returns the newest such mail. */
export async function waitForMail(to, match, { since = mailSince, timeoutMs = MAIL_TIMEOUT_MS } = {}) {
  const wanted = match instanceof RegExp ? (m) => match.test(m.subject) : match;
  const until = Date.now() + timeoutMs;
  for (;;) {
    const mails = await mailsTo(to, { since });
    const found = mails.reverse().find(wanted);
    if (found) return found;
    if (Date.now() > until) throw new Error(`no mail to ${to} ${match instanceof RegExp ? `matching ${match}` : 'as expected'} within ${timeoutMs / 1000} s; received since the test began: ${JSON.stringify(mails.map((m) => m.subject))}`);
    await sleep(250);
  }
}

/** Waits for a mail to `to` (delivered by the server's queue over SMTP) with a link containing
 * `fragment`, received since the current test began, and returns that link (of the newest such mail). */
export async function mailedLink(to, fragment, options = {}) {
  const mail = await waitForMail(to, (m) => m.links.some((l) => l.includes(fragment)), options);
  return mail.links.find((l) => l.includes(fragment));
}

// ---- Staff and citizens ---------------------------------------------------------------------------

// ---- The journeys' authenticator app (second factor) ---------------------------------------------
// Keys read from the set-up pages are kept per account in a file, so that the journeys (one process
// each, one after another) share them; test-all.sh removes it with the fresh database. A code is
// accepted once: each login takes a step not used before, waiting for the next when both usable
// ones are spent.

export { totpAt };

const AUTHENTICATOR = new URL('../artifacts/authenticator.json', import.meta.url);
const readKeys = () => (existsSync(AUTHENTICATOR) ? JSON.parse(readFileSync(AUTHENTICATOR, 'utf8')) : {});
function writeKeys(keys) {
  mkdirSync(new URL('.', AUTHENTICATOR), { recursive: true });
  writeFileSync(AUTHENTICATOR, JSON.stringify(keys));
}

/** A code for `account` of a step not used before. */
export async function nextCode(account) {
  for (;;) {
    const keys = readKeys();
    const entry = keys[account];
    assert.ok(entry, `no key kept for ${account}`);
    const step = Math.floor(Date.now() / 30000);
    const wanted = Math.max(entry.last + 1, step);
    if (wanted <= step + 1) {
      keys[account] = { ...entry, last: wanted };
      writeKeys(keys);
      return totpAt(entry.secret, wanted);
    }
    await sleep(30000 - (Date.now() % 30000) + 200);
  }
}

/** Completes the second step of a login that is on the set-up page or the code page (returns the
 * recovery codes the set-up shows, else nothing); any other page is left as it is. */
export async function secondStep(page, account) {
  await page.waitForLoadState();
  const path = new URL(page.url()).pathname;
  if (path.endsWith('/einrichten')) {
    await page.getByRole('heading', { name: 'Zweiten Faktor einrichten', level: 1 }).waitFor();
    await page.getByRole('img', { name: 'QR-Code zum Einrichten der Authenticator-App' }).waitFor();
    const text = await page.locator('main').innerText();
    const secret = text.match(/([A-Z2-7]{4} ){7}[A-Z2-7]{4}/)[0].replace(/ /g, '');
    writeKeys({ ...readKeys(), [account]: { secret, last: 0 } });
    await page.getByLabel('Sicherheitscode').fill(await nextCode(account));
    await page.getByRole('button', { name: 'Einrichten und anmelden' }).click();
    await page.getByRole('heading', { name: 'Ihre Wiederherstellungscodes', level: 1 }).waitFor();
    const codes = await page.locator('.recovery-codes code').allInnerTexts();
    assert.equal(codes.length, 10);
    await page.getByRole('link', { name: 'Weiter' }).click();
    return codes;
  }
  if (path.endsWith('/code')) {
    await page.getByLabel('Sicherheitscode').fill(await nextCode(account));
    await page.getByRole('button', { name: 'Bestätigen und anmelden' }).click();
    await page.waitForURL((u) => !u.pathname.endsWith('/code'));
  }
  return undefined;
}

/** Logs the operator into the console (with the second factor: set up at the first login). */
export async function operatorLogin(page) {
  await page.goto(url('ops.localhost', '/login'));
  await page.getByLabel('E-Mail-Adresse').fill(OPERATOR.email);
  await page.getByLabel('Passwort').fill(OPERATOR.password);
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await page.waitForURL((u) => u.pathname !== '/login');
  await secondStep(page, OPERATOR.email);
  await page.getByRole('heading', { name: 'Mandanten', level: 1 }).waitFor();
}

/** Puts a demo tenant back as the other journeys expect it: active, and with `displayName` as its
 * portal's name when given. `ops` is a console page (logged in here when it is not). For t.after, so
 * that it runs also when the journey failed halfway. */
export async function restoreTenant(ops, name, { displayName } = {}) {
  await ops.goto(url('ops.localhost', '/'));
  if (new URL(ops.url()).pathname === '/login') await operatorLogin(ops);
  await ops.getByRole('heading', { name: 'Mandanten', level: 1 }).waitFor();
  const activate = ops.getByRole('button', { name: `Entsperren: ${name}`, exact: true });
  if (await activate.count()) {
    await activate.click();
    await ops.getByText(`Der Mandant ${name} ist wieder aktiv.`).waitFor();
  }
  if (displayName === undefined) return;
  await ops.getByRole('link', { name: `Bearbeiten: ${name}`, exact: true }).click();
  const field = ops.getByLabel('Anzeigename im Portal');
  if ((await field.inputValue()) === displayName) return;
  await field.fill(displayName);
  await ops.getByRole('button', { name: 'Speichern' }).click();
  await ops.getByRole('heading', { name: 'Mandanten', level: 1 }).waitFor();
}

/** Opens an invitation link from the mailbox and sets the password (staff). */
export async function acceptInvitation(page, to, password) {
  await page.goto(await mailedLink(to, '/verwaltung/einladung'));
  await page.getByRole('heading', { name: 'Einladung annehmen' }).waitFor();
  await page.getByLabel('Neues Passwort').fill(password);
  await page.getByLabel('Passwort wiederholen').fill(password);
  await page.getByRole('button', { name: 'Passwort festlegen und Einladung annehmen' }).click();
  // tenant admins set up their second factor before the first session (the tenant's default)
  await page.waitForURL((u) => !u.pathname.startsWith('/verwaltung/einladung'));
  await secondStep(page, to);
}

/** Logs a citizen in on `host` through the test eID provider (users erika, max, jana; password "test"). */
export async function eidLogin(page, host, user) {
  await page.goto(url(host, '/konto/anmelden'));
  await page.getByRole('link', { name: 'Anmelden mit Test-eID (Demo)' }).click();
  await page.getByLabel('Benutzername').fill(user);
  await page.getByLabel('Passwort').fill('test');
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await page.getByText(/Sie sind über den Identitätsanbieter angemeldet/).waitFor();
}

/** The operator invites a tenant admin (of Kaiserslautern unless `tenant` names another), who
 * accepts; returns [operator page, admin page]. */
export async function invitedTenantAdmin(browser, email, name, password, tenant = 'Stadt Kaiserslautern') {
  const ops = await newPage(browser);
  await operatorLogin(ops);
  await ops.getByRole('link', { name: `Zugang: ${tenant}` }).click();
  await ops.getByLabel('Dienstliche E-Mail-Adresse').fill(email);
  await ops.getByLabel('Name', { exact: true }).fill(name);
  await ops.getByRole('button', { name: 'Einladung senden' }).click();
  await ops.getByText('Die Einladung ist verschickt.').waitFor();
  const admin = await newPage(browser);
  await acceptInvitation(admin, email, password);
  await admin.getByText('Willkommen im Verwaltungsbereich.').waitFor();
  return [ops, admin];
}
