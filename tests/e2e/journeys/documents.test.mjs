// print@home documents in Chromium: in Düren a citizen (eID) applies for a Bewohnerparkausweis and
// pays online (Stripe-compatible server); the office approves and the permit is issued by itself; the
// citizen downloads the PDF, whose QR code (read with ZBar from the page poppler renders) opens the
// check page: genuine and valid. The offline check page, installed by its service worker, verifies
// the token with the network cut and refuses a forged one. The office revokes the permit with a
// reason: the check page and, after a sync, the offline check say revoked. axe-core on every page
// (each load by itself, see helpers.mjs; scan() for states a script shows). The reminder time the
// office sets is put back afterwards.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, newPage, url, scan, eidLogin, invitedTenantAdmin, onlinePaymentOffered, photograph } from './helpers.mjs';

const HOST = 'dueren.localhost';
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
const suffix = Date.now().toString(36);
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** What a phone's camera reads from the printed page: the PDF rendered by poppler, read by ZBar. */
function readQr(pdf) {
  const dir = mkdtempSync(join(tmpdir(), 'kp-doc-'));
  writeFileSync(join(dir, 'd.pdf'), pdf);
  execFileSync('pdftoppm', ['-r', '200', '-gray', '-singlefile', join(dir, 'd.pdf'), join(dir, 'page')]);
  return execFileSync('zbarimg', ['-q', '--raw', join(dir, 'page.pgm')]).toString().trim();
}

async function setStatus(page, step) {
  await page.getByLabel(step, { exact: true }).check();
  await page.getByRole('button', { name: 'Status ändern und benachrichtigen' }).click();
  await page.waitForLoadState('load');
}

async function offlineCheck(page, text) {
  await page.getByLabel('Inhalt des QR-Codes').fill(text);
  await page.getByRole('button', { name: 'Prüfen' }).click();
  return page.locator('#check-result [data-verdict]').getAttribute('data-verdict');
}

test('a permit is applied for, paid, approved, downloaded, checked online and offline, and revoked', async (t) => {
  // the application, paid before it is filed
  const citizen = await newPage(browser);
  // a resident of Düren: Erika's eID address is in Köln, which Düren's street directory refuses
  await eidLogin(citizen, HOST, 'jana');
  await citizen.goto(url(HOST, '/leistungen/bewohnerparkausweis/antrag'));
  await citizen.getByRole('button', { name: 'Antrag starten' }).click();
  await citizen.getByRole('heading', { name: 'Bewohnerin oder Bewohner' }).waitFor();
  await citizen.getByLabel('Bewohnerparkzone').selectOption('a');
  await citizen.getByRole('button', { name: 'Weiter' }).click();
  await citizen.getByRole('heading', { name: 'Fahrzeug' }).waitFor();
  await citizen.getByLabel('Amtliches Kennzeichen').fill('DN-XY 42');
  await citizen.getByRole('group', { name: /Auf wen ist das Fahrzeug zugelassen/ }).getByLabel('Auf mich').check();
  await citizen.getByLabel(/Zulassungsbescheinigung Teil I/).setInputFiles({ name: 'fahrzeugschein.pdf', mimeType: 'application/pdf', buffer: PDF });
  await citizen.getByRole('button', { name: 'Weiter' }).click();
  const pay = await onlinePaymentOffered(citizen);
  await pay.click().catch(async (e) => { console.log(await citizen.locator('main').innerText()); throw e; });
  // the payment element is mounted by Stripe.js after the load
  await citizen.getByLabel('Kartennummer').waitFor();
  await scan(citizen, 'payment page');
  await citizen.getByLabel('Kartennummer').fill('4242 4242 4242 4242');
  await citizen.getByRole('button', { name: '30,70 € bezahlen' }).click();
  await citizen.getByRole('heading', { name: 'Antrag eingegangen' }).waitFor();
  const reference = (await citizen.locator('.facts__row', { hasText: 'Aktenzeichen' }).locator('dd').innerText()).trim();
  await citizen.getByRole('link', { name: 'Antrag in „Meine Anträge“ ansehen' }).click();
  const casePage = citizen.url();

  // the office approves; the permit is issued by itself (approved and paid)
  const [ops, admin] = await invitedTenantAdmin(browser, `admin-dokument-${suffix}@dueren.example`, 'Dora Dokument', 'Rurstadt-Schluessel-2026', 'Stadt Düren');
  await admin.getByRole('link', { name: 'Vorgänge' }).first().click();
  await admin.getByRole('link', { name: reference }).click();
  await setStatus(admin, 'Bearbeitung beginnen');
  await setStatus(admin, 'Bewilligen');
  await admin.getByRole('heading', { name: 'Ausgestellte Dokumente' }).waitFor();
  const row = admin.locator('tr', { hasText: /^BPA-/ }).first();
  await row.getByText('gültig').waitFor();
  const number = (await row.locator('td, th').first().innerText()).trim();
  assert.match(number, /^BPA-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  const adminCase = admin.url();

  // the citizen downloads the PDF from the case and finds it in "Meine Dokumente"
  await citizen.goto(casePage);
  const download = citizen.getByRole('link', { name: 'Bewohnerparkausweis herunterladen (PDF, A4)' });
  await download.waitFor();
  // fetched by the page (Node's resolver knows no *.localhost), as the browser downloads it
  const pdf = await citizen.evaluate(async (href) => {
    const r = await fetch(href);
    return { type: r.headers.get('content-type'), bytes: Array.from(new Uint8Array(await r.arrayBuffer())) };
  }, await download.getAttribute('href'));
  assert.equal(pdf.type, 'application/pdf');
  const qr = readQr(Buffer.from(pdf.bytes));
  assert.match(qr, new RegExp(`^http://${HOST}:\\d+/pruefen/[A-Za-z0-9_-]+$`));
  const token = qr.split('/').pop();
  await citizen.goto(url(HOST, '/konto/dokumente'));
  await citizen.getByRole('cell', { name: number, exact: true }).waitFor();
  assert.equal(await citizen.getByRole('button', { name: /verlängern/ }).count(), 0, 'Düren offers no renewal service');

  // the parking officer scans it: genuine and valid, plate and zone to compare
  const officer = await newPage(browser);
  await officer.goto(qr);
  await officer.getByText('Echt · gültig').first().waitFor();
  await officer.getByText('DN-XY 42').waitFor();
  assert.ok(!(await officer.locator('main').innerText()).includes('Jansen'), 'no name on the check');
  await officer.goto(url(HOST, `/pruefen?nummer=${number}`));
  await officer.getByText('Echt · gültig').first().waitFor();

  // the offline check: installed once with the network, then used without it
  await officer.goto(url(HOST, '/pruefen/offline'));
  await officer.evaluate(() => navigator.serviceWorker.ready);
  await officer.reload();
  await officer.waitForFunction(() => navigator.serviceWorker.controller !== null);
  // the sync's result is shown by the page's script
  await officer.getByText(/Schlüssel und Widerrufe abgeglichen/).waitFor();
  await scan(officer, 'offline check page');
  await officer.context().setOffline(true);
  await officer.reload();
  await officer.getByRole('heading', { name: 'Dokumente offline prüfen' }).waitFor();
  assert.equal(await offlineCheck(officer, qr), 'valid');
  await officer.getByText('Echt · gültig').waitFor();
  await scan(officer, 'offline check: valid');
  const i = Math.floor(token.length / 2);
  const forged = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
  assert.equal(await offlineCheck(officer, forged), 'forged');
  await officer.getByText('Nicht echt').first().waitFor();
  await scan(officer, 'offline check: forged');
  await officer.context().setOffline(false);

  // the office's documents page: the permit listed, the reminder time set (a wrong number first)
  await admin.getByRole('link', { name: 'Dokumente', exact: true }).first().click();
  await admin.getByRole('heading', { name: 'Dokumente', level: 1 }).waitFor();
  await admin.getByRole('link', { name: number }).waitFor();
  const reminder = admin.locator('#bewohnerparkausweis-reminder');
  // the tenant's setting is put back afterwards, also when the journey fails
  const documentsPage = admin.url();
  const reminderBefore = await reminder.inputValue();
  t.after(async () => {
    await admin.goto(documentsPage);
    if ((await admin.locator('#bewohnerparkausweis-reminder').inputValue()) === reminderBefore) return;
    await admin.locator('#bewohnerparkausweis-reminder').fill(reminderBefore);
    await admin.getByRole('button', { name: 'Einstellungen für Bewohnerparkausweis speichern' }).click();
    await admin.getByRole('heading', { name: 'Dokumente', level: 1 }).waitFor();
    assert.equal(await admin.locator('#bewohnerparkausweis-reminder').inputValue(), reminderBefore);
  });
  await reminder.fill('0');
  await admin.getByRole('button', { name: 'Einstellungen für Bewohnerparkausweis speichern' }).click();
  await admin.getByText('Geben Sie eine ganze Zahl von 1 bis 365 an.').first().waitFor();
  assert.equal(await admin.locator('#bewohnerparkausweis-reminder').inputValue(), '0', 'the entry stays');
  await admin.locator('#bewohnerparkausweis-reminder').fill('14');
  await admin.getByRole('button', { name: 'Einstellungen für Bewohnerparkausweis speichern' }).click();
  await admin.getByRole('heading', { name: 'Dokumente', level: 1 }).waitFor();
  assert.equal(await admin.locator('#bewohnerparkausweis-reminder').inputValue(), '14');
  await admin.goto(adminCase);
  await admin.getByRole('heading', { name: 'Ausgestellte Dokumente' }).waitFor();

  // the office revokes it with a reason: online at once, offline after the next sync
  await admin.getByLabel(`Grund für den Widerruf von ${number}`).fill('kurz');
  await admin.getByRole('button', { name: 'Widerrufen' }).click();
  await admin.getByText('Geben Sie einen Grund mit 10 bis 500 Zeichen an.').first().waitFor();
  await admin.getByLabel(`Grund für den Widerruf von ${number}`).fill('Fahrzeug abgemeldet');
  await admin.getByRole('button', { name: 'Widerrufen' }).click();
  await admin.locator('tr', { hasText: number }).getByText('widerrufen').first().waitFor();
  await officer.goto(qr);
  await officer.getByText('Echt · widerrufen').first().waitFor();
  // the verdict in words, its colour repeating them (issue 27, finding 3)
  assert.equal((await officer.locator('.kern-badge--danger').first().innerText()).trim(), 'widerrufen');
  await photograph(officer, 'check-revoked');
  await officer.goto(url(HOST, '/pruefen/offline'));
  await officer.getByText(/Schlüssel und Widerrufe abgeglichen/).waitFor();
  assert.equal(await offlineCheck(officer, qr), 'revoked');
  await scan(officer, 'offline check: revoked');
  await citizen.goto(casePage);
  await citizen.getByText(/Dieses Dokument wurde widerrufen. Grund: Fahrzeug abgemeldet/).waitFor();

  for (const p of [citizen, officer, ops, admin]) assert.deepEqual(p.errors, []);
});
