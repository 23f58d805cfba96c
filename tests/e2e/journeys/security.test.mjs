// Journey: two-factor login (issue 27, finding 18). The operator logs in with a code and opens the
// console's security page with the list of sessions. A new tenant admin of Düren accepts the
// invitation and sets up the authenticator app from the QR code before the first session, keeps
// the recovery codes, requires the second factor of all staff, logs out and in again with a wrong
// and then a right code and remembers the browser, logs in once more without a code, and forgets
// the browser again. Every page shown is scanned with axe-core (helpers.mjs); the set-up, code and
// security pages are photographed at phone and desktop width and must not scroll sideways.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, url, operatorLogin, mailedLink, secondStep, nextCode, photograph } from './helpers.mjs';

const HOST = 'dueren.localhost';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the operator sees the sessions; a tenant admin sets up the second factor and logs in with a code', async (t) => {
  const ops = await newPage(browser);
  await operatorLogin(ops);
  await ops.getByRole('link', { name: 'Anmeldesicherheit' }).click();
  await ops.getByRole('heading', { name: 'Anmeldesicherheit', level: 1 }).waitFor();
  await ops.getByText('eingerichtet', { exact: true }).waitFor();
  const sessions = ops.getByRole('table', { name: 'Angemeldete Browser' });
  await sessions.getByText(/diese Sitzung/).waitFor();
  await photograph(ops, 'console-security');

  // the operator invites Düren's new admin
  const suffix = Date.now().toString(36);
  const email = `admin-sicherheit-${suffix}@dueren.example`;
  const password = 'Rurstadt-Zweitfaktor-2026';
  await ops.goto(url('ops.localhost', '/'));
  await ops.getByRole('link', { name: 'Zugang: Stadt Düren' }).click();
  await ops.getByLabel('Dienstliche E-Mail-Adresse').fill(email);
  await ops.getByLabel('Name', { exact: true }).fill('Sina Sicher');
  await ops.getByRole('button', { name: 'Einladung senden' }).click();
  await ops.getByText('Die Einladung ist verschickt.').waitFor();

  const admin = await newPage(browser);
  t.after(async () => {
    // the other journeys expect Düren's default: a second factor for admins only
    await admin.goto(url(HOST, '/verwaltung/sicherheit'));
    if (await admin.getByLabel('Zweiten Faktor verlangen von').count()) {
      await admin.getByLabel('Zweiten Faktor verlangen von').selectOption('admins');
      await admin.getByRole('button', { name: 'Regel speichern' }).click();
    }
    await ops.context().close();
    await admin.context().close();
  });
  await admin.goto(await mailedLink(email, '/verwaltung/einladung'));
  await admin.getByLabel('Neues Passwort').fill(password);
  await admin.getByLabel('Passwort wiederholen').fill(password);
  await admin.getByRole('button', { name: 'Passwort festlegen und Einladung annehmen' }).click();

  // the set-up comes before the first session: QR code, the key for typing, a code to confirm
  await admin.getByRole('heading', { name: 'Zweiten Faktor einrichten', level: 1 }).waitFor();
  await photograph(admin, 'second-factor-setup');
  const codes = await secondStep(admin, email);
  assert.equal(new Set(codes).size, 10, 'ten different recovery codes');
  await admin.getByText('Willkommen im Verwaltungsbereich.').waitFor();

  // the security page: set up, ten codes left; the admin requires it of all staff
  await admin.getByRole('navigation', { name: 'Verwaltungsbereich' }).getByRole('link', { name: 'Anmeldesicherheit' }).click();
  await admin.getByRole('heading', { name: 'Anmeldesicherheit', level: 1 }).waitFor();
  await admin.getByText('Für Ihr Konto ist der zweite Faktor vorgeschrieben.').waitFor();
  await admin.getByLabel('Zweiten Faktor verlangen von').selectOption('all');
  await admin.getByRole('button', { name: 'Regel speichern' }).click();
  await admin.getByText('Die Regel für den zweiten Faktor ist gespeichert.').waitFor();
  await photograph(admin, 'staff-security');

  // log out and in again: the code page, a wrong code is named at the field
  await admin.getByRole('button', { name: /^Abmelden/ }).click();
  await admin.getByLabel('Dienstliche E-Mail-Adresse').fill(email);
  await admin.getByLabel('Passwort').fill(password);
  await admin.getByRole('button', { name: 'Anmelden' }).click();
  await admin.getByRole('heading', { name: 'Anmeldung bestätigen', level: 1 }).waitFor();
  await admin.getByLabel('Sicherheitscode').fill('000000');
  await admin.getByRole('button', { name: 'Bestätigen und anmelden' }).click();
  await admin.getByText('Dieser Code ist nicht richtig oder abgelaufen.', { exact: false }).first().waitFor();
  await photograph(admin, 'second-factor-code');
  await admin.getByLabel('Sicherheitscode').fill(await nextCode(email));
  await admin.getByLabel('Dieses Gerät 30 Tage lang merken').check();
  await admin.getByRole('button', { name: 'Bestätigen und anmelden' }).click();
  await admin.getByRole('heading', { name: 'Verwaltungsbereich', level: 1 }).waitFor();

  // the remembered browser logs in with the password alone
  await admin.getByRole('button', { name: /^Abmelden/ }).click();
  await admin.getByLabel('Dienstliche E-Mail-Adresse').fill(email);
  await admin.getByLabel('Passwort').fill(password);
  await admin.getByRole('button', { name: 'Anmelden' }).click();
  await admin.getByRole('heading', { name: 'Verwaltungsbereich', level: 1 }).waitFor();

  // ... until it is forgotten
  await admin.goto(url(HOST, '/verwaltung/sicherheit'));
  const devices = admin.getByRole('table', { name: 'Geräte, die bei der Anmeldung keinen Code brauchen' });
  await devices.getByText(/Chrom/).first().waitFor();
  await admin.getByRole('button', { name: 'Alle Geräte vergessen' }).click();
  await admin.getByText('Die Geräte wurden vergessen', { exact: false }).waitFor();
  assert.equal(await admin.getByText('Keine Geräte gemerkt.').count(), 1);
  assert.deepEqual(admin.errors, []);
  assert.deepEqual(ops.errors, []);
});
