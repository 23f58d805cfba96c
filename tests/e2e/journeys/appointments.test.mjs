// Journey: appointments and the walk-in queue. A citizen books a Bürgercenter appointment in
// Kaiserslautern without JavaScript-only steps (calendar, time, own data with a wrong address
// first), gets the confirmation with an .ics file in Europe/Berlin, and cancels through the mailed
// link. At the front desk a tenant admin draws a walk-in ticket, a counter calls it, and the
// waiting room's call display shows it within two seconds; the portal's waiting time follows.
// Every page shown is scanned with axe-core (each load by itself, see helpers.mjs; scan() for what
// scripts change on a page), the call display included.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, url, scan, scansDone, invitedTenantAdmin, mailedLink, waitForMail, waitForHydration } from './helpers.mjs';

const HOST = 'kaiserslautern.localhost';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function mailWithAttachment(to, filename) {
  const mail = await waitForMail(to, (m) => (m.attachments || []).some((a) => a.filename === filename));
  return { mail, a: mail.attachments.find((a) => a.filename === filename) };
}

test('a citizen books an appointment, receives the .ics and cancels through the link', async () => {
  const page = await newPage(browser);
  await page.goto(url(HOST, '/termine'));
  await page.getByRole('heading', { name: 'Termine und Wartezeiten', level: 1 }).waitFor();
  await page.getByRole('heading', { name: 'Kfz-Zulassungsstelle' }).waitFor();

  await page.getByRole('link', { name: 'Termin buchen: Bürgercenter' }).click();
  await page.getByLabel('Personalausweis beantragen').check();
  await page.getByRole('button', { name: 'Weiter' }).click();
  await page.getByRole('heading', { name: 'Freie Termine: Bürgercenter' }).waitFor();
  await page.getByRole('link', { name: 'Nächsten freien Termin wählen' }).click();
  await page.getByRole('group', { name: 'Uhrzeit' }).waitFor();
  // the time picker island: the button names the time chosen
  const times = page.getByRole('radio');
  if (await times.count() > 1) {
    await waitForHydration(page);
    const second = times.nth(1);
    const label = (await page.locator(`label[for="${await second.getAttribute('id')}"]`).textContent()).trim();
    await second.check();
    await page.getByRole('button', { name: `${label} Uhr reservieren` }).waitFor();
    await scan(page, 'free times with a time chosen');
  }
  await page.getByRole('button', { name: /Uhr reservieren$/ }).click();
  await page.getByRole('heading', { name: 'Ihre Angaben', level: 1 }).waitFor();
  await page.getByText(/für Sie reserviert/).waitFor();

  await page.getByLabel('Name', { exact: true }).fill('Erika Mustermann');
  await page.getByLabel('E-Mail-Adresse').fill('keine-adresse');
  await page.getByRole('button', { name: 'Termin verbindlich buchen' }).click();
  await page.getByText('Bitte geben Sie eine gültige E-Mail-Adresse an').first().waitFor();
  assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Erika Mustermann', 'what was typed is kept');

  const email = `termin-${Date.now()}@example.org`;
  await page.getByLabel('E-Mail-Adresse').fill(email);
  await page.getByRole('button', { name: 'Termin verbindlich buchen' }).click();
  await page.getByText('Ihr Termin ist gebucht').waitFor();

  const { mail, a } = await mailWithAttachment(email, 'termin.ics');
  assert.match(mail.subject, /^Ihr Termin am /);
  assert.match(a.contentType, /^text\/calendar/);
  assert.match(a.content, /BEGIN:VTIMEZONE\r\nTZID:Europe\/Berlin/);
  assert.match(a.content, /DTSTART;TZID=Europe\/Berlin:\d{8}T\d{6}/);

  const link = await mailedLink(email, '/termine/verwalten/');
  const manage = await newPage(browser);
  await manage.goto(link);
  await manage.getByRole('heading', { name: 'Ihr Termin', level: 1 }).waitFor();
  await manage.getByRole('button', { name: 'Termin absagen' }).click();
  await manage.getByText('Der Termin ist abgesagt').waitFor();
  assert.deepEqual([...page.errors, ...manage.errors], []);
});

test('a walk-in ticket is called at a counter and the call display shows it within two seconds', async () => {
  const [, admin] = await invitedTenantAdmin(browser, `termine-admin-${Date.now()}@example.org`, 'Tanja Termin', 'Wartemarke-Anzeige-2026');
  await admin.goto(url(HOST, '/verwaltung/termine'));
  await admin.getByRole('heading', { name: 'Termine', level: 1 }).waitFor();
  await admin.getByRole('link', { name: 'Bürgercenter' }).click();
  await admin.getByRole('heading', { name: 'Bürgercenter', level: 1 }).waitFor();
  const displayHref = await admin.locator('a[href*="/anzeige/"]').first().getAttribute('href');

  // the screen in the waiting room, and a citizen looking at the waiting times
  const display = await newPage(browser);
  await display.goto(displayHref);
  await display.getByRole('heading', { name: 'Bürgercenter', level: 1 }).waitFor();
  const portal = await newPage(browser);
  await portal.goto(url(HOST, '/termine'));
  const wait = portal.locator('[data-live-text]').first();
  await wait.waitFor();

  await admin.getByRole('link', { name: 'Empfang' }).first().click();
  await admin.getByRole('heading', { name: /^Empfang – Bürgercenter/ }).waitFor();
  await admin.getByLabel('Leistung').selectOption('meldebescheinigung');
  await admin.getByRole('button', { name: 'Wartenummer ziehen' }).click();
  const code = (await admin.locator('.ticket__code').textContent()).trim();
  assert.match(code, /^A\d+$/);
  await scan(admin, 'printable ticket');
  // the portal's waiting time counts the new ticket, live
  await portal.waitForFunction(() => /\d+ wartend/.test(document.querySelector('[data-live-text]').textContent), null, { timeout: 5000 });

  await admin.getByRole('link', { name: 'Zum Empfang' }).click();
  await admin.getByRole('link', { name: 'Schalter: Schalter 4' }).click();
  // the page's scans first: the time counts from the click
  await scansDone(admin);
  await scansDone(display);
  const clicked = Date.now();
  await admin.getByRole('button', { name: /Nächste Nummer aufrufen|nächste Nummer aufrufen/ }).click();
  await display.waitForFunction((c) => document.querySelector('[data-now-code]').textContent.trim() === c, code, { timeout: 2000 });
  const shownAfter = Date.now() - clicked;
  console.log(`call display showed ${code} ${shownAfter} ms after the click`);
  assert.ok(shownAfter < 2000, `shown after ${shownAfter} ms`);
  assert.equal((await display.locator('[data-now-counter]').textContent()).trim(), 'Schalter 4');
  await scan(display, 'call display after a call');
  await admin.getByText(code).first().waitFor();
  await scan(admin, 'counter serving a ticket');
  await admin.getByRole('button', { name: 'Erledigt', exact: true }).click();

  for (const [path, name] of [['/verwaltung/termine/auswertung', 'Terminauswertung']]) {
    await admin.goto(url(HOST, path));
    await admin.getByRole('heading', { name, level: 1 }).waitFor();
  }
  await admin.goto(url(HOST, '/verwaltung/termine'));
  await admin.getByRole('link', { name: 'Empfang' }).first().click();
  await admin.getByRole('link', { name: 'Termin für Anrufende buchen' }).click();
  await admin.getByRole('button', { name: 'Freie Zeiten zeigen' }).click();
  await admin.getByLabel('Uhrzeit').waitFor();
  await scan(admin, 'booking for a caller');
  assert.deepEqual([...admin.errors, ...display.errors, ...portal.errors], []);
});
