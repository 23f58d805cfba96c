// Journeys of the Bürgerkonto and the staff area, against the real mailbox (SMTP) and the real
// OpenID provider started by the test command. Every page visited is scanned with axe-core (each
// load by itself, see helpers.mjs; scan() for an island's state). A service switched off for a
// moment is switched on again afterwards, also when the journey fails.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launch, newPage, url, scan, waitForHydration, mailedLink, operatorLogin, acceptInvitation } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const HOST = 'kaiserslautern.localhost';
const suffix = Date.now().toString(36);
const PASSWORD = 'Amselweg-Laterne-17';

test('a citizen registers, verifies by mail, edits the profile, downloads the data and deletes the account', async () => {
  const page = await newPage(browser, { acceptDownloads: true });
  const email = `erika-${suffix}@example.org`;

  await page.goto(url(HOST));
  await page.getByRole('link', { name: 'Bürgerkonto' }).click();
  await page.getByRole('heading', { name: 'Anmelden', level: 1 }).waitFor();
  await page.getByRole('link', { name: 'Bürgerkonto anlegen' }).click();

  // a common password is refused next to the field; the address stays
  await page.getByLabel('E-Mail-Adresse').fill(email);
  await page.getByLabel('Passwort', { exact: true }).fill('passwort1234');
  await page.getByLabel('Passwort wiederholen').fill('passwort1234');
  await page.getByLabel('Ich habe die Datenschutzerklärung gelesen.').check();
  await page.getByRole('button', { name: 'Konto anlegen' }).click();
  await page.locator('#password-error').getByText(/am häufigsten verwendeten/).waitFor();
  assert.equal(await page.getByLabel('E-Mail-Adresse').inputValue(), email);

  await page.getByLabel('Passwort', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Passwort wiederholen').fill(PASSWORD);
  await page.getByLabel('Ich habe die Datenschutzerklärung gelesen.').check();
  await page.getByRole('button', { name: 'Konto anlegen' }).click();
  await page.getByRole('heading', { name: 'Bitte prüfen Sie Ihr Postfach' }).waitFor();

  // the link from the mail; the password chosen at registration completes it
  const link = await mailedLink(email, '/konto/bestaetigen');
  await page.goto(link);
  await page.getByRole('heading', { name: 'E-Mail-Adresse bestätigen' }).waitFor();
  await page.getByLabel('Passwort').fill(PASSWORD);
  await page.getByRole('button', { name: 'Bestätigen und anmelden' }).click();
  await page.getByText('Ihre E-Mail-Adresse ist bestätigt und Sie sind angemeldet.').waitFor();

  // log out and in again
  await page.getByRole('button', { name: 'Abmelden' }).click();
  await page.getByText('Sie sind abgemeldet.').waitFor();
  await page.getByLabel('E-Mail-Adresse').fill(email);
  await page.getByLabel('Passwort').fill('falsches-passwort-99');
  await page.getByRole('button', { name: 'Anmelden', exact: true }).click();
  await page.getByText(/E-Mail-Adresse oder Passwort sind falsch/).waitFor();
  await page.getByLabel('Passwort').fill(PASSWORD);
  await page.getByRole('button', { name: 'Anmelden', exact: true }).click();
  await page.getByRole('heading', { name: 'Mein Bürgerkonto' }).waitFor();

  // edit the profile: an invalid postcode first
  await page.getByRole('link', { name: 'Persönliche Daten bearbeiten' }).click();
  await page.getByLabel('Vorname').fill('Erika');
  await page.getByLabel('Nachname').fill('Musterfrau');
  await page.getByLabel('Postleitzahl').fill('676');
  await page.getByRole('button', { name: 'Speichern' }).click();
  await page.locator('#postal_code-error').waitFor();
  assert.equal(await page.getByLabel('Nachname').inputValue(), 'Musterfrau');
  await page.getByLabel('Postleitzahl').fill('67655');
  await page.getByLabel('Ort').fill('Kaiserslautern');
  await page.getByRole('button', { name: 'Speichern' }).click();
  await page.getByText('Ihre Angaben sind gespeichert.').waitFor();
  assert.ok(await page.getByText('Musterfrau').isVisible());

  // download my data
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Meine Daten herunterladen (JSON)' }).click()]);
  const data = JSON.parse(readFileSync(await download.path(), 'utf8'));
  assert.equal(data.account.email, email);
  assert.equal(data.account.profile.family_name, 'Musterfrau');

  // delete the account: what is deleted and what is kept is listed
  await page.getByRole('link', { name: 'Konto löschen' }).click();
  await page.getByRole('heading', { name: 'Was aus rechtlichen Gründen aufbewahrt wird' }).waitFor();
  await page.getByRole('button', { name: 'Konto endgültig löschen' }).click();
  await page.locator('#confirm-error').waitFor();
  await page.getByLabel('Ich möchte mein Bürgerkonto endgültig löschen.').check();
  await page.getByLabel('Aktuelles Passwort').fill(PASSWORD);
  await page.getByRole('button', { name: 'Konto endgültig löschen' }).click();
  await page.getByText('Ihr Bürgerkonto wurde gelöscht.').waitFor();
  await page.getByLabel('E-Mail-Adresse').fill(email);
  await page.getByLabel('Passwort').fill(PASSWORD);
  await page.getByRole('button', { name: 'Anmelden', exact: true }).click();
  await page.getByText(/E-Mail-Adresse oder Passwort sind falsch/).waitFor();
  assert.deepEqual(page.errors, []);
});

test('a citizen logs in with the eID test provider and sees the verified claims', async () => {
  const page = await newPage(browser);
  await page.goto(url(HOST, '/konto/anmelden'));
  await page.getByRole('link', { name: 'Anmelden mit Test-eID (Demo)' }).click();
  // the provider's own login page
  await page.getByRole('heading', { name: 'Test-Identitätsanbieter (eID)' }).waitFor();
  await page.getByLabel('Benutzername').fill('erika');
  await page.getByLabel('Passwort').fill('test');
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await page.getByText(/Sie sind über den Identitätsanbieter angemeldet/).waitFor();
  assert.match(page.url(), new RegExp(`^http://${HOST}:\\d+/konto`));
  for (const text of ['Mustermann', 'Heidestraße 17', '51147', 'Köln', '12.08.1964', 'hoch (eID, Online-Ausweis)']) {
    await page.getByText(text, { exact: false }).first().waitFor();
  }
  assert.ok(await page.getByText('bestätigt durch Test-eID (Demo)').first().isVisible());
  await page.getByRole('link', { name: 'Persönliche Daten bearbeiten' }).click();
  await page.getByText('Angaben, die ein Identitätsanbieter bestätigt hat, können hier nicht geändert werden.').waitFor();
  assert.equal(await page.locator('input[name="given_name"]').count(), 0, 'verified name is not editable');
  assert.equal(await page.locator('input[name="phone"]').count(), 1, 'phone is editable');
  assert.deepEqual(page.errors, []);
});

test('an operator invites a tenant admin, who invites a case worker who sees only the case-worker area', async (t) => {
  const ops = await newPage(browser);
  const adminEmail = `admin-${suffix}@kaiserslautern.example`;
  const workerEmail = `sachbearbeitung-${suffix}@kaiserslautern.example`;

  await operatorLogin(ops);
  await ops.getByRole('link', { name: 'Zugang: Stadt Kaiserslautern' }).click();
  await ops.getByRole('heading', { name: 'Zugang: Stadt Kaiserslautern' }).waitFor();
  await ops.getByLabel('Dienstliche E-Mail-Adresse').fill(adminEmail);
  await ops.getByLabel('Name', { exact: true }).fill('Anna Admin');
  await ops.getByRole('button', { name: 'Einladung senden' }).click();
  await ops.getByText('Die Einladung ist verschickt.').waitFor();
  // the tenant's identity providers have a page of their own; the demo's test provider is listed
  await ops.getByRole('link', { name: 'Identitätsanbieter der Kommune verwalten' }).click();
  await ops.getByRole('cell', { name: 'Test-eID (Demo)' }).waitFor();

  // the admin accepts the invitation from the mail
  const admin = await newPage(browser);
  await admin.goto(await mailedLink(adminEmail, '/verwaltung/einladung'));
  await admin.getByRole('heading', { name: 'Einladung annehmen' }).waitFor();
  await acceptInvitation(admin, adminEmail, 'Rathaus-Schluessel-2026');
  await admin.getByText('Willkommen im Verwaltungsbereich.').waitFor();

  // the service switches are an island calling a server function
  await admin.getByRole('link', { name: 'Leistungen', exact: true }).first().click();
  await waitForHydration(admin);
  await scan(admin, 'staff services, hydrated');
  const switchOf = (page) => page.locator('form.service-switch').filter({ has: page.locator('.service-switch__name', { hasText: /^Meldebescheinigung beantragen$/ }) });
  const row = switchOf(admin);
  await row.getByText('eingeschaltet').waitFor();
  // the other journeys apply for it: switched on again afterwards, also when this journey fails
  let switchedOff = false;
  t.after(async () => {
    if (!switchedOff) return;
    await admin.goto(url(HOST, '/verwaltung/leistungen'));
    await waitForHydration(admin);
    const again = switchOf(admin);
    if (await again.getByText('aus', { exact: true }).count()) {
      await again.getByRole('button', { name: 'Einschalten' }).click();
      await again.getByText('eingeschaltet').waitFor();
    }
  });
  switchedOff = true;
  await row.getByRole('button', { name: 'Ausschalten' }).click();
  await row.getByText('aus', { exact: true }).waitFor();
  assert.match(admin.url(), /\/verwaltung\/leistungen$/, 'no page load: the island did it');
  await scan(admin, 'staff services with a service switched off');
  await row.getByRole('button', { name: 'Einschalten' }).click();
  await row.getByText('eingeschaltet').waitFor();
  switchedOff = false;

  // invite a case worker
  await admin.getByRole('link', { name: 'Mitarbeitende' }).first().click();
  await admin.getByLabel('Dienstliche E-Mail-Adresse').fill(workerEmail);
  await admin.getByLabel('Name', { exact: true }).fill('Carl Case');
  await admin.locator('select#role').selectOption('case_worker');
  await admin.getByRole('button', { name: 'Einladung senden' }).click();
  await admin.getByText('Die Einladung ist verschickt.').waitFor();
  await admin.getByRole('link', { name: 'Protokoll' }).first().click();
  await admin.getByText('staff.invite').first().waitFor();

  const worker = await newPage(browser);
  await acceptInvitation(worker, workerEmail, 'Akten-Stapel-Montag-77');
  await worker.getByRole('heading', { name: 'Meine Arbeit' }).waitFor();
  assert.equal(await worker.getByRole('link', { name: 'Mitarbeitende' }).count(), 0);
  assert.equal(await worker.getByRole('link', { name: 'Protokoll' }).count(), 0);
  const denied = await worker.goto(url(HOST, '/verwaltung/mitarbeitende'));
  assert.equal(denied.status(), 403);
  for (const p of [ops, admin, worker]) assert.deepEqual(p.errors, []);
});
