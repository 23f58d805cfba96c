// An online application end to end in Chromium: a citizen logged in with the eID test provider
// applies for a Meldebescheinigung with a prefilled profile, makes mistakes (checked instantly by
// the hydrated form and again by the server), corrects them, uploads a document and submits; a case
// worker requests information, the citizen answers with a file, the case worker approves; the
// citizen sees the status and the mails arrive at the SMTP server (looked for among the mails
// received since the journey began). axe-core on every page (each load by itself, see helpers.mjs;
// scan() for the hydrated form's own checks).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, url, scan, eidLogin, invitedTenantAdmin, waitForHydration, mailedLink, waitForMail, acceptInvitation, firstLoadBytes, photograph, PNG_1x1 } from './helpers.mjs';

const HOST = 'kaiserslautern.localhost';
const CITIZEN_EMAIL = 'max.mustermann@example.org';
const suffix = Date.now().toString(36);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Operator invites the admin, the admin invites a case worker for Meldebescheinigung. */
async function caseWorker() {
  const adminEmail = `admin-antrag-${suffix}@kaiserslautern.example`;
  const workerEmail = `sb-antrag-${suffix}@kaiserslautern.example`;
  const [ops, admin] = await invitedTenantAdmin(browser, adminEmail, 'Anna Antrag', 'Rathaus-Schluessel-2026');
  await admin.getByRole('link', { name: 'Mitarbeitende' }).first().click();
  await admin.getByLabel('Dienstliche E-Mail-Adresse').fill(workerEmail);
  await admin.getByLabel('Name', { exact: true }).fill('Carl Case');
  await admin.locator('select#role').selectOption('case_worker');
  await admin.getByLabel('Meldebescheinigung beantragen').check();
  await admin.getByRole('button', { name: 'Einladung senden' }).click();
  await admin.getByText('Die Einladung ist verschickt.').waitFor();
  const worker = await newPage(browser);
  await acceptInvitation(worker, workerEmail, 'Akten-Stapel-Montag-77');
  await worker.getByRole('heading', { name: 'Meine Arbeit' }).waitFor();
  for (const p of [ops, admin]) assert.deepEqual(p.errors, []);
  return worker;
}

async function setStatus(worker, step, text = '') {
  await worker.getByLabel(step, { exact: true }).check().catch(async (e) => { console.log(await worker.locator('main').innerText()); throw e; });
  if (text) await worker.getByLabel(/Nachricht an die antragstellende Person \(bei Rückfrage/).fill(text);
  await worker.getByRole('button', { name: 'Status ändern und benachrichtigen' }).click();
  await worker.waitForLoadState('load');
}

test('a citizen applies online, the office asks, the citizen answers, the office approves', async () => {
  // the citizen logs in with the eID: the profile is verified and prefills the form
  const citizen = await newPage(browser);
  await eidLogin(citizen, HOST, 'max');

  await citizen.goto(url(HOST, '/leistungen/meldebescheinigung'));
  await citizen.getByRole('link', { name: 'Online beantragen' }).click();
  await citizen.getByRole('heading', { name: 'Antrag: Meldebescheinigung beantragen' }).waitFor();
  await citizen.getByRole('button', { name: 'Antrag starten' }).click();

  // page 1: prefilled and marked verified
  await citizen.getByRole('heading', { name: 'Ihre Angaben' }).waitFor();
  // the first load stays within the budget of 150 KB compressed: the wasm comes on interaction
  const firstLoad = await firstLoadBytes(browser, citizen, citizen.url());
  const total = firstLoad.reduce((sum, r) => sum + r.bytes, 0);
  assert.ok(!firstLoad.some((r) => r.url.endsWith('.wasm') || r.url.includes('.wasm?')), `no wasm before interaction: ${JSON.stringify(firstLoad)}`);
  assert.ok(total < 150 * 1024, `first load ${total} bytes: ${JSON.stringify(firstLoad)}`);
  console.log(`form page first load: ${total} bytes compressed in ${firstLoad.length} responses`);
  await waitForHydration(citizen);
  assert.equal(await citizen.getByLabel('Familienname').inputValue(), 'Mustermann');
  assert.equal(await citizen.getByLabel('Geburtsdatum').inputValue(), '31.01.1980');
  assert.equal(await citizen.getByLabel('Straße und Hausnummer').inputValue(), 'Amselweg 3');
  assert.equal(await citizen.getByLabel('E-Mail-Adresse').inputValue(), CITIZEN_EMAIL);
  assert.ok(await citizen.getByText('Aus Ihrem Bürgerkonto, bestätigt durch Test-eID (Demo)').first().isVisible());
  await scan(citizen, 'application page 1 (prefilled, hydrated)');
  // an instant check: a wrong postcode is reported as soon as the field is left
  await citizen.getByLabel('Postleitzahl').fill('676');
  await citizen.getByLabel('Ort').focus();
  await citizen.getByText('„Anschrift (Hauptwohnung)“: Die Postleitzahl hat 5 Ziffern.').waitFor();
  await scan(citizen, 'application page 1 with an instant check');
  await citizen.getByLabel('Postleitzahl').fill('67655');
  await citizen.getByLabel('Ort').focus();
  await citizen.getByText('„Anschrift (Hauptwohnung)“: Die Postleitzahl hat 5 Ziffern.').waitFor({ state: 'detached' });
  await citizen.getByRole('button', { name: 'Weiter' }).click();

  // page 2: a conditional field appears when it is needed; mistakes are shown at once and by the server
  await citizen.getByRole('heading', { name: 'Bescheinigung' }).waitFor();
  await waitForHydration(citizen);
  await citizen.getByLabel('Einfache Meldebescheinigung (Name, Anschrift)').check();
  assert.ok(await citizen.getByLabel(/Anderer Zweck/).isHidden(), 'hidden until “Sonstiges” is chosen');
  await citizen.getByLabel('Wofür brauchen Sie die Bescheinigung?').selectOption('sonstiges');
  await citizen.getByLabel(/Anderer Zweck/).waitFor({ state: 'visible' });
  await citizen.getByLabel('Anzahl der Ausfertigungen').fill('9');
  await citizen.getByLabel('Per Post an meine Anschrift').focus();
  await citizen.getByText('„Anzahl der Ausfertigungen“ darf höchstens 5 sein.').waitFor();
  await scan(citizen, 'application page 2 with a conditional field and an instant check');
  await citizen.getByLabel('Per Post an meine Anschrift').check();
  await citizen.getByRole('button', { name: 'Weiter' }).click();
  // the server refuses the page: summary with links, messages next to the fields, answers kept
  const summary = citizen.locator('.error-summary');
  await summary.waitFor();
  await summary.getByRole('link', { name: 'Bitte füllen Sie „Anderer Zweck“ aus.' }).waitFor();
  await summary.getByRole('link', { name: '„Anzahl der Ausfertigungen“ darf höchstens 5 sein.' }).waitFor();
  assert.equal(await citizen.getByLabel('Anzahl der Ausfertigungen').inputValue(), '9');
  assert.ok(await citizen.getByLabel('Einfache Meldebescheinigung (Name, Anschrift)').isChecked());
  await waitForHydration(citizen);
  await citizen.getByLabel(/Anderer Zweck/).fill('Vermieter');
  await citizen.getByLabel('Anzahl der Ausfertigungen').fill('1');
  await citizen.getByRole('button', { name: 'Weiter' }).click();

  // page 3: upload and declaration
  await citizen.getByRole('heading', { name: 'Nachweis und Erklärung' }).waitFor().catch(async (e) => { console.log(await citizen.locator('main').innerText()); throw e; });
  await citizen.getByLabel(/Kopie Ihres Personalausweises/).setInputFiles({ name: 'ausweis.png', mimeType: 'image/png', buffer: PNG_1x1 });
  await citizen.getByLabel('Ich versichere, dass meine Angaben richtig und vollständig sind.').check();
  await citizen.getByRole('button', { name: 'Weiter' }).click();

  // check your answers, submit
  await citizen.getByRole('heading', { name: 'Angaben prüfen' }).waitFor();
  for (const t of ['Mustermann', 'Amselweg 3, 67655 Kaiserslautern', 'Vermieter', 'ausweis.png']) await citizen.getByText(t, { exact: false }).first().waitFor();
  // each "Ändern" link stands in the row of its answer (it used to drop into the next row, so that
  // labels and values swapped columns)
  const misplaced = await citizen.locator('dl.answers__list').evaluateAll((lists) => lists.flatMap((dl) =>
    [...dl.querySelectorAll('dd.answers__change')].filter((change) => {
      const label = change.parentElement.querySelector('dt');
      return Math.abs(change.getBoundingClientRect().top - label.getBoundingClientRect().top) > 2;
    }).map((change) => change.parentElement.querySelector('dt').textContent)));
  assert.ok(await citizen.locator('dd.answers__change').count() >= 4, 'the check page offers "Ändern" links');
  assert.deepEqual(misplaced, [], 'each "Ändern" link stands in the row of its answer');
  await photograph(citizen, 'check-answers');
  await citizen.getByRole('button', { name: 'Antrag verbindlich absenden' }).click();
  await citizen.getByRole('heading', { name: 'Antrag eingegangen' }).waitFor();
  const notice = await citizen.getByText(/Ihr Aktenzeichen: \d{4}-\d{6}/).textContent();
  const reference = notice.match(/\d{4}-\d{6}/)[0];
  await citizen.getByRole('link', { name: 'Antrag in „Meine Anträge“ ansehen' }).click();
  await citizen.getByRole('heading', { name: `Antrag ${reference}` }).waitFor();
  const casePath = new URL(citizen.url()).pathname;
  await waitForMail(CITIZEN_EMAIL, new RegExp(`Ihr Antrag ${reference} ist eingegangen`));

  // the case worker takes the case and asks for a document
  const worker = await caseWorker();
  await worker.getByRole('link', { name: 'Vorgänge', exact: true }).first().click();
  await worker.getByRole('heading', { name: 'Posteingang' }).waitFor();
  await worker.getByRole('link', { name: reference }).click();
  await worker.getByRole('heading', { name: `Antrag ${reference}` }).waitFor();
  await worker.getByRole('button', { name: 'Mir zuweisen' }).click();
  await worker.getByRole('button', { name: 'Zuweisung aufheben' }).waitFor();
  await setStatus(worker, 'Bearbeitung beginnen');
  await setStatus(worker, 'Rückfrage stellen', 'Bitte laden Sie Ihren Mietvertrag hoch.');
  await worker.getByText('Rückfrage', { exact: true }).first().waitFor();

  // the citizen is told by mail and answers in the account with a file
  await waitForMail(CITIZEN_EMAIL, new RegExp(`Neuigkeiten zu Ihrem Antrag ${reference} – Rückfrage`));
  const link = await mailedLink(CITIZEN_EMAIL, casePath);
  await citizen.goto(link);
  await citizen.getByText('Die Verwaltung hat eine Rückfrage zu Ihrem Antrag.', { exact: false }).waitFor();
  await citizen.getByText('Bitte laden Sie Ihren Mietvertrag hoch.').waitFor();
  await citizen.getByLabel('Ihre Nachricht').fill('Anbei der Mietvertrag.');
  await citizen.getByLabel(/Datei anhängen/).setInputFiles({ name: 'mietvertrag.pdf', mimeType: 'application/pdf', buffer: PDF });
  await citizen.getByRole('button', { name: 'Nachricht senden' }).click();
  await citizen.getByText('Anbei der Mietvertrag.').waitFor();
  await citizen.getByRole('link', { name: 'mietvertrag.pdf' }).waitFor();

  // the case worker sees the answer and approves
  await worker.reload();
  await worker.getByText('Anbei der Mietvertrag.').waitFor();
  await setStatus(worker, 'Bewilligen', 'Alles in Ordnung.');
  await worker.getByText('Bewilligt').first().waitFor();

  // the citizen sees the status; the mail is at the SMTP server
  await citizen.goto(url(HOST, casePath));
  await citizen.locator('.facts').getByText('Bewilligt').waitFor();
  await waitForMail(CITIZEN_EMAIL, new RegExp(`Neuigkeiten zu Ihrem Antrag ${reference} – Bewilligt`));
  await citizen.goto(url(HOST, '/konto/antraege'));
  await citizen.getByRole('link', { name: reference }).waitFor();
  for (const p of [citizen, worker]) assert.deepEqual(p.errors, []);
});
