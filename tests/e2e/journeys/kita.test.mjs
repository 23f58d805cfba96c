// Journey: the Kita portal. A parent searches Kaiserslautern's facilities (filters, the Leaflet
// map), applies with three preferences (an error first, nothing lost), a Träger's member of staff
// (invited by the youth office) enters the same child from a paper form with first and last name
// swapped, the youth office finds the pair and merges it keeping the preferences, confirms the
// social criteria, runs the allocation in rounds (checked stable) and sends the offers; the parent
// gets the offer by mail and accepts it. Every page shown is scanned with axe-core (each load by
// itself, see helpers.mjs; scan() for the map the page's script fills). The offers to the demo's
// hundreds of children go through the server's one mail queue: the journey ends once they are
// delivered, so that no later journey's mail waits behind them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, url, scan, invitedTenantAdmin, acceptInvitation, mailedLink, mailsTo, eidLogin, photograph } from './helpers.mjs';

const HOST = 'kaiserslautern.localhost';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Waits until the queue has delivered the offer mails: none new for 5 s (the queue sends one after
 * the other, oldest first, without pauses while mail is due). */
async function offersDelivered(limitMs = 300000) {
  const started = Date.now();
  let count = -1;
  let quietSince = Date.now();
  while (Date.now() - quietSince < 5000) {
    if (Date.now() - started > limitMs) assert.fail(`the offer mails were still arriving after ${limitMs / 1000} s (${count} so far)`);
    const now = (await mailsTo('')).filter((m) => /^(Ein Betreuungsplatz für|A day-care place for) /.test(m.subject)).length;
    if (now !== count) {
      count = now;
      quietSince = Date.now();
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  console.log(`${count} offer mails delivered within ${Math.round((Date.now() - started) / 1000)} s`);
}

test('a parent applies, a paper duplicate is merged, the allocation runs and the parent accepts the offer', async (t) => {
  const stamp = Date.now();
  const parentMail = `kita-eltern-${stamp}@example.org`;
  const parent = await newPage(browser);
  await eidLogin(parent, HOST, 'erika');

  // search and compare
  await parent.goto(url(HOST, '/kita'));
  await parent.getByRole('heading', { name: 'Kita-Suche', level: 1 }).waitFor();
  await parent.waitForFunction(() => Number(document.querySelector('[data-map]')?.getAttribute('data-markers') || 0) >= 15, null, { timeout: 10000 });
  await scan(parent, 'Kita search with the map filled');
  await parent.getByLabel('Alter des Kindes').selectOption('3');
  await parent.getByLabel('Gesprochene Sprache').selectOption('en');
  await parent.getByLabel('Ihre Anschrift (für die Entfernung)').fill('Fackelstraße 3');
  await parent.getByRole('button', { name: 'Suchen' }).click();
  await parent.getByRole('link', { name: 'Bilinguale Kita Kinderwelt' }).waitFor();
  assert.equal(await parent.getByRole('link', { name: 'Prot. Kita Lutherkirche' }).count(), 0, 'German-only facilities are filtered out');
  // the distance from the address, in German notation (0,4 km), the nearest facility first
  const distances = (await parent.locator('table').last().textContent()).match(/\d+,\d(?= km)/g) || [];
  assert.ok(distances.length >= 1, 'the distance from the address is shown as "0,4 km"');
  const km = distances.map((d) => Number(d.replace(',', '.')));
  assert.deepEqual(km, [...km].sort((a, b) => a - b), `the nearest first: ${distances.join(' | ')}`);
  await parent.getByRole('link', { name: 'Bilinguale Kita Kinderwelt' }).click();
  await parent.getByRole('heading', { name: 'Bilinguale Kita Kinderwelt', level: 1 }).waitFor();

  // apply: the facility comes preselected as the first wish
  await parent.getByRole('link', { name: 'Für diese Einrichtung anmelden' }).click();
  await parent.getByRole('heading', { name: 'Kita-Anmeldung', level: 1 }).waitFor();
  await parent.getByLabel('Vorname des Kindes').fill('Jonas');
  await parent.getByLabel('Nachname des Kindes').fill('Weiß');
  await parent.getByLabel('Anschrift').fill('Fackelstraße 3, 67655 Kaiserslautern');
  await parent.getByLabel('2. Wunsch').selectOption({ label: 'Städtische Kita Kotten (Stadt Kaiserslautern – Referat Jugend und Sport)' });
  await parent.getByLabel('3. Wunsch').selectOption({ label: 'Kath. Kita St. Marien (Katholische Kita gGmbH)' });
  await parent.getByLabel('E-Mail-Adresse').fill(parentMail);
  await parent.getByRole('button', { name: 'Anmeldung absenden' }).click();
  await parent.getByText('Bitte füllen Sie dieses Feld aus.').first().waitFor();
  assert.equal(await parent.getByLabel('Vorname des Kindes').inputValue(), 'Jonas', 'what was typed is kept');
  await parent.getByLabel('Geburtsdatum des Kindes').fill('2024-03-17');
  await parent.getByRole('button', { name: 'Anmeldung absenden' }).click();
  await parent.getByRole('heading', { name: 'Anmeldung für Jonas', level: 1 }).waitFor();
  const applicationPath = new URL(parent.url()).pathname;
  const number = (await parent.locator('dd').first().textContent()).trim();
  assert.match(number, /^K-[0-9A-F]{8}$/);

  // the youth office invites a Träger's member of staff, who enters the paper form
  const [, admin] = await invitedTenantAdmin(browser, `kita-admin-${stamp}@example.org`, 'Jana Jugendamt', 'Jugendamt-Kita-2026!');
  await admin.goto(url(HOST, '/verwaltung/kita'));
  await admin.getByRole('heading', { name: 'Kita-Portal', level: 1 }).waitFor();
  await admin.getByRole('link', { name: 'Katholische Kita gGmbH' }).click();
  await admin.getByRole('heading', { name: 'Katholische Kita gGmbH', level: 1 }).waitFor();
  const staffMail = `kita-traeger-${stamp}@example.org`;
  await admin.getByLabel('E-Mail-Adresse').fill(staffMail);
  await admin.getByLabel('Name', { exact: true }).fill('Tina Träger');
  await admin.getByRole('button', { name: 'Mitarbeitende des Trägers einladen' }).click();
  await admin.getByText('Die Einladung ist verschickt.').waitFor();
  const traeger = await newPage(browser);
  await acceptInvitation(traeger, staffMail, 'Traeger-Kita-2026!');
  await traeger.goto(url(HOST, '/verwaltung/kita/anmeldungen'));
  await traeger.getByRole('heading', { name: 'Kita-Anmeldungen', level: 1 }).waitFor();
  await traeger.getByRole('link', { name: 'Kath. Kita St. Marien' }).click();
  await traeger.getByRole('link', { name: /^Rangliste Kindergarten/ }).click();
  await traeger.getByRole('heading', { name: 'Rangliste: Kath. Kita St. Marien', level: 1 }).waitFor();
  await traeger.goto(url(HOST, '/verwaltung/kita/anmeldungen/neu'));
  await traeger.getByLabel('Vorname des Kindes').fill('Weiss');
  await traeger.getByLabel('Nachname des Kindes').fill('Jonas');
  await traeger.getByLabel('Geburtsdatum des Kindes').fill('2024-03-17');
  await traeger.getByLabel('Anschrift').fill('Fackelstr. 3, 67655 Kaiserslautern');
  await traeger.getByLabel('1. Wunsch').selectOption({ label: 'Kath. Kita St. Josef (Katholische Kita gGmbH)' });
  await traeger.getByLabel('Name des Elternteils').fill('Erika Weiß');
  await traeger.getByLabel('Telefon').fill('0631 123456');
  await traeger.getByRole('button', { name: 'Anmeldung erfassen' }).click();
  await traeger.getByRole('heading', { name: 'Anmeldung für Weiss', level: 1 }).waitFor();

  // the pair was found when the paper application was entered; the allocation waits for it
  await admin.goto(url(HOST, '/verwaltung/kita/vergabe'));
  await admin.getByText('Eine mögliche Doppelanmeldung ist noch nicht entschieden.', { exact: false }).waitFor();
  assert.equal(await admin.getByRole('button', { name: 'Vergabe starten' }).count(), 0, 'no button for what would be refused');
  await photograph(admin, 'kita-allocation-waits');
  // the youth office merges the pair, keeping the parent's application
  await admin.goto(url(HOST, '/verwaltung/kita/dubletten'));
  const row = admin.getByRole('row').filter({ hasText: number });
  await row.getByText('Vor- und Nachname vertauscht').waitFor();
  await row.getByRole('button', { name: `Zusammenführen, ${number} behalten` }).click();
  await admin.getByText('Die Änderungen wurden gespeichert.').first().waitFor();
  const appId = applicationPath.split('/').pop();
  await admin.goto(url(HOST, `/verwaltung/kita/anmeldungen/${appId}`));
  const wishes = await admin.locator('main').textContent();
  assert.match(wishes, /1\. Bilinguale Kita Kinderwelt.*2\. Städtische Kita Kotten.*3\. Kath\. Kita St\. Marien.*4\. Kath\. Kita St\. Josef/s, 'the merge keeps both preferences');
  await admin.getByRole('button', { name: 'Soziale Kriterien bestätigen' }).click();
  await admin.getByText('Die Änderungen wurden gespeichert.').first().waitFor();

  // the allocation
  await admin.goto(url(HOST, '/verwaltung/kita/vergabe'));
  await admin.getByRole('heading', { name: 'Kita-Platzvergabe', level: 1 }).waitFor();
  await admin.getByRole('button', { name: 'Vergabe starten' }).click();
  await admin.getByRole('button', { name: 'Nächste Runde' }).click();
  await admin.getByText('1 Runden ausgeführt.').waitFor();
  await admin.getByRole('button', { name: 'Alle Runden bis zum Ende' }).click();
  await admin.getByRole('cell', { name: 'stabil', exact: true }).waitFor();
  t.after(() => offersDelivered());
  await admin.getByRole('button', { name: 'Angebote versenden' }).click();
  await admin.getByText(/Angebote sind per E-Mail versandt/).waitFor();
  await admin.goto(url(HOST, '/verwaltung/kita/statistik'));
  await admin.getByRole('heading', { name: 'Kita-Statistik', level: 1 }).waitFor();

  // the parent gets the offer by mail and accepts it
  const link = await mailedLink(parentMail, '/konto/kita/', { timeoutMs: 180000 });
  assert.ok(link.endsWith(applicationPath), link);
  await parent.goto(link);
  await parent.getByText(/^Angebot: /).first().waitFor();
  await parent.getByRole('button', { name: 'Platz annehmen' }).click();
  await parent.getByText(/^Platz angenommen: /).waitFor();
  await parent.goto(url(HOST, '/konto/kita'));
  await parent.getByRole('heading', { name: 'Meine Kita-Anmeldungen', level: 1 }).waitFor();
  assert.deepEqual([...parent.errors, ...admin.errors, ...traeger.errors], []);
});
