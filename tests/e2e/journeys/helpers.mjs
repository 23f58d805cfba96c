// Shared helpers for the browser journeys: Debian's Chromium via playwright-core, and an axe-core
// scan that fails the test on any violation.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const PORT = process.env.E2E_PORT || '3101';
export const url = (host, path = '/') => `http://${host}:${PORT}${path}`;
export const OPERATOR = {
  email: process.env.E2E_OPERATOR_EMAIL || 'e2e-betrieb@kommunalportal.example',
  password: process.env.E2E_OPERATOR_PASSWORD || 'e2e-passwort-sicher-2026',
};

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A page that records script errors, so a journey can assert there were none. */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  // HTTP statuses of documents (401 on a wrong password, 422 on invalid input) are expected; script
  // errors are not
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) page.errors.push(m.text()); });
  return page;
}

/** Runs axe-core (WCAG 2.x A/AA and best practices) on the current page; fails with the details. */
export async function expectAccessible(page, label) {
  // evaluated through the DevTools protocol, so the page's CSP (no inline scripts) stays in force
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  assert.deepEqual(result, [], `axe-core found violations on ${label} (${page.url()}):\n${JSON.stringify(result, null, 2)}`);
}

/** Islands load on the first interaction: this makes one (as a user reaching for a field would)
 * and waits until every island of the page is hydrated. */
export async function waitForHydration(page) {
  // the loader is a module script: it may run after the navigation is reported done
  await page.waitForFunction(() => document.documentElement.dataset.islands === 'waiting' || document.documentElement.dataset.hydrated === 'true', null, { timeout: 20000 });
  await page.evaluate(() => document.dispatchEvent(new Event('pointerdown')));
  await page.waitForFunction(() => document.documentElement.dataset.hydrated === 'true', null, { timeout: 20000 });
}

/** What a page transfers before any interaction, with an empty cache (a fresh context with the
 * same cookies): compressed body bytes per URL, as on the wire. */
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

/** A small valid PNG (1×1, dark green). */
export const PNG_1x1 = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763d060b00100' +
  '014c00b3c51b7d7e0000000049454e44ae426082', 'hex');

export const MAILBOX_URL = process.env.MAILBOX_URL || 'http://127.0.0.1:2580';

/** Waits for a mail to `to` (delivered by the server's queue over SMTP) and returns its first link
 * containing `fragment`. */
export async function mailedLink(to, fragment, timeoutMs = 20000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const res = await fetch(`${MAILBOX_URL}/messages?to=${encodeURIComponent(to)}`);
    const mails = await res.json();
    const link = mails.reverse().flatMap((m) => m.links).find((l) => l.includes(fragment));
    if (link) return link;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no mail to ${to} with a link containing ${fragment}`);
}

/** Logs the operator into the console. */
export async function operatorLogin(page) {
  await page.goto(url('ops.localhost', '/login'));
  await page.getByLabel('E-Mail-Adresse').fill(OPERATOR.email);
  await page.getByLabel('Passwort').fill(OPERATOR.password);
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await page.getByRole('heading', { name: 'Mandanten', level: 1 }).waitFor();
}

/** Opens an invitation link from the mailbox and sets the password (staff). */
export async function acceptInvitation(page, to, password) {
  await page.goto(await mailedLink(to, '/verwaltung/einladung'));
  await page.getByRole('heading', { name: 'Einladung annehmen' }).waitFor();
  await page.getByLabel('Neues Passwort').fill(password);
  await page.getByLabel('Passwort wiederholen').fill(password);
  await page.getByRole('button', { name: 'Passwort festlegen und Einladung annehmen' }).click();
}

/** Logs a citizen in on `host` through the test eID provider (users erika, max; password "test"). */
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
