// The form builder in Chromium, with the keyboard only: in Düren a tenant admin adds an own service
// ("Lastenrad ausleihen"), builds a two-page form with a condition (Tab to each control, type, Space,
// arrow keys in selects, Enter), moves a field, previews the page with its errors, checks and
// publishes, and offers the service. A citizen finds it in the search and submits it, the
// condition showing the second page's field. The admin then imports the FIM schema of the Blue Card
// (XDatenfelder 2.0), fixes the reported field (a choice without its code list becomes a select
// with options) and publishes. axe-core on every page, the builder's and the citizen's (each load
// by itself, see helpers.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { launch, newPage, url, eidLogin, invitedTenantAdmin } from './helpers.mjs';

const HOST = 'dueren.localhost';
const suffix = Date.now().toString(36);
const BLUE_CARD = readFileSync(fileURLToPath(new URL('../../data/fim/xdf2/BlaueKarte.xml', import.meta.url)));
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** The accessible name of the focused element: its label, its text, or its value. */
async function focusedName(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return '';
    const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
    return (label || el.getAttribute('aria-label') || el.innerText || el.value || '').replace(/\s+/g, ' ').trim();
  });
}

/** Presses Tab until the focused control is named `name` (a string: exactly, or starting with it
 * followed by a required-field mark; a RegExp: matching). */
async function tabTo(page, name, max = 1500) {
  const hit = (n) => (name instanceof RegExp ? name.test(n) : n === name || n.startsWith(`${name} `) || n.startsWith(`${name}*`));
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (hit(await focusedName(page))) return;
  }
  throw new Error(`no control named ${name} reached with Tab on ${page.url()}`);
}

/** Tab to a text input and type. */
async function typeInto(page, label, text) {
  await tabTo(page, label);
  await page.keyboard.press('Control+A');
  await page.keyboard.type(text);
}

/** Tab to a select and move through its options with the arrow keys until `option` is chosen. */
async function choose(page, label, option) {
  await tabTo(page, label);
  await page.keyboard.press('Home');
  for (let i = 0; i < 40; i++) {
    const chosen = await page.evaluate(() => document.activeElement.selectedOptions[0]?.text.trim());
    if (chosen === option) return;
    await page.keyboard.press('ArrowDown');
  }
  throw new Error(`option ${option} not found in ${label}`);
}

/** Tab to a button or link and press Enter; waits for the next page. */
async function press(page, name) {
  await tabTo(page, name);
  await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')]);
}

test('an own service is built with the keyboard, published, found and submitted; a FIM schema is imported and fixed', async () => {
  const [, admin] = await invitedTenantAdmin(browser, `admin-formular-${suffix}@dueren.example`, 'Fritzi Formular', 'Rurstadt-Baukasten-2026', 'Stadt Düren');
  await press(admin, 'Formulare');
  await admin.getByRole('heading', { name: 'Formulare und eigene Leistungen', level: 1 }).waitFor();

  // a new own service: a mistake first (no name, a fee that is no amount), then right
  await press(admin, 'Eigene Leistung anlegen');
  await typeInto(admin, 'Kurzbeschreibung (Deutsch)', 'Städtisches Lastenrad für bis zu drei Tage ausleihen.');
  await typeInto(admin, 'Gebühr in Euro', 'zehn');
  await press(admin, 'Leistung speichern');
  await admin.getByText('Bitte geben Sie einen deutschen Text ein.').first().waitFor();
  await admin.getByText('Bitte geben Sie die Gebühr als Betrag in Euro an, z. B. 12,50.').first().waitFor();
  assert.equal(await admin.getByLabel('Kurzbeschreibung (Deutsch)').inputValue(), 'Städtisches Lastenrad für bis zu drei Tage ausleihen.', 'the input is kept');
  await typeInto(admin, 'Name (Deutsch)', `Lastenrad ausleihen ${suffix}`);
  await typeInto(admin, 'Name (Englisch)', `Borrow a cargo bike ${suffix}`);
  await choose(admin, 'Kategorie', 'Bürgerservice und Freizeit');
  await typeInto(admin, 'Suchbegriffe (Deutsch)', `Lastenrad Fahrrad Ausleihe lastenrad${suffix}`);
  await typeInto(admin, 'Gebühr in Euro', '0');
  await typeInto(admin, 'Zuständige Stelle', 'Amt für Mobilität');
  await press(admin, 'Leistung speichern');
  await admin.getByRole('heading', { name: `Formular: Lastenrad ausleihen ${suffix}` }).waitFor();
  const builder = admin.url().split('?')[0];

  // page 1: a yes/no question after the first field
  await choose(admin, 'Neues Feld auf der Seite Angaben: Art', 'Ja/Nein');
  await typeInto(admin, 'Beschriftung (Deutsch)', 'Mit Kinderbox?');
  await typeInto(admin, 'Beschriftung (Englisch)', 'With a child box?');
  await Promise.all([admin.waitForEvent('load'), admin.keyboard.press('Enter')]);
  await admin.getByRole('heading', { name: 'Feld: Mit Kinderbox?' }).waitFor();
  await press(admin, 'Feld speichern');

  // page 2 with a number field, shown only when the child box is wanted
  await typeInto(admin, 'Titel der Seite (Deutsch)', 'Ausleihe');
  await choose(admin, 'Erstes Feld der Seite: Art', 'Zahl');
  await typeInto(admin, 'Erstes Feld: Beschriftung (Deutsch)', 'Anzahl der Kinder');
  await typeInto(admin, 'Erstes Feld: Beschriftung (Englisch)', 'Number of children');
  await press(admin, 'Seite am Ende hinzufügen');
  await admin.getByText('Übersetzung fehlt').first().waitFor();
  await press(admin, 'Anzahl der Kinder');
  await tabTo(admin, 'Pflichtfeld');
  await admin.keyboard.press('Space');
  await typeInto(admin, 'Kleinster Wert', '1');
  await typeInto(admin, 'Größter Wert', 'drei');
  await choose(admin, 'Nur anzeigen, wenn dieses Feld …', 'Mit Kinderbox? (mit_kinderbox)');
  await typeInto(admin, 'Wert der Bedingung', 'ja');
  await press(admin, 'Feld speichern');
  await admin.getByText('Bitte geben Sie eine Zahl ein.').first().waitFor();
  await typeInto(admin, 'Größter Wert', '3');
  await press(admin, 'Feld speichern');
  await admin.getByText('Die Änderung ist im Entwurf gespeichert.').waitFor();

  // the page's English title is still missing; the first field moves down, below the question
  await press(admin, 'Seite bearbeiten: Ausleihe');
  await typeInto(admin, 'Titel der Seite (Englisch)', 'Loan');
  await press(admin, 'Seite speichern');
  await press(admin, 'Nach unten: Ihr Anliegen');
  const firstPage = admin.locator('table').first();
  assert.deepEqual((await firstPage.locator('tbody tr td:first-child').allInnerTexts()).map((t) => t.trim()), ['Mit Kinderbox?', 'Ihr Anliegen']);

  // the preview: the citizen's renderer with the errors it would show
  await press(admin, 'Vorschau');
  await admin.getByText(/So sieht die Seite für Bürgerinnen und Bürger aus/).waitFor();
  await press(admin, 'Eingaben prüfen');
  await admin.locator('.error-summary, [role="alert"]').first().waitFor();
  await press(admin, 'Zurück zum Baukasten');

  // check and publish: the difference, then the version
  await press(admin, 'Prüfen und veröffentlichen');
  await admin.getByText('Feld „anzahl_der_kinder“ hinzugefügt').waitFor();
  await press(admin, 'Jetzt veröffentlichen');
  await admin.getByText(/Die neue Version ist veröffentlicht/).waitFor();
  await press(admin, 'Zurück zum Baukasten');
  await press(admin, 'Zurück zur Übersicht der Formulare');
  await press(admin, `Anbieten: Lastenrad ausleihen ${suffix}`);
  await admin.getByText('Die Leistung wird jetzt im Portal angeboten.').waitFor();

  // a citizen finds it and applies; the condition brings the second page's field
  const citizen = await newPage(browser);
  await eidLogin(citizen, HOST, 'erika');
  let found = false;
  for (let i = 0; i < 20 && !found; i++) {
    await citizen.goto(url(HOST, `/suche?q=lastenrad${suffix}`));
    found = await citizen.getByRole('link', { name: `Lastenrad ausleihen ${suffix}` }).isVisible();
    if (!found) await citizen.waitForTimeout(250);
  }
  assert.ok(found, 'the own service is found in the search');
  await citizen.getByRole('link', { name: `Lastenrad ausleihen ${suffix}` }).click();
  await citizen.getByText('Amt für Mobilität').waitFor();
  await citizen.getByRole('link', { name: /online beantragen/i }).first().click();
  await citizen.getByRole('button', { name: 'Antrag starten' }).click();
  await citizen.getByRole('group', { name: /Mit Kinderbox/ }).getByLabel('Ja').check();
  await citizen.getByLabel('Ihr Anliegen').fill('Für den Wocheneinkauf am Samstag.');
  await citizen.getByRole('button', { name: 'Weiter' }).click();
  await citizen.getByLabel('Anzahl der Kinder').fill('2');
  await citizen.getByRole('button', { name: 'Weiter' }).click();
  await citizen.getByRole('button', { name: 'Antrag verbindlich absenden' }).click();
  await citizen.getByRole('heading', { name: 'Antrag eingegangen' }).waitFor();
  assert.deepEqual(citizen.errors, []);

  // a FIM schema into a second own service: the report next to the fields, one fixed, published
  await press(admin, 'Eigene Leistung anlegen');
  await typeInto(admin, 'Name (Deutsch)', `Blaue Karte EU ${suffix}`);
  await typeInto(admin, 'Kurzbeschreibung (Deutsch)', 'Aufenthaltstitel für hochqualifizierte Fachkräfte.');
  await choose(admin, 'Kategorie', 'Bürgerservice und Freizeit');
  await press(admin, 'Leistung speichern');
  await tabTo(admin, 'XDatenfelder-Datei');
  // (a native file dialog is outside the page: the file is handed to the focused input)
  await admin.locator(':focus').setInputFiles({ name: 'BlaueKarte.xml', mimeType: 'application/xml', buffer: BLUE_CARD });
  await press(admin, 'Importieren');
  await admin.getByText(/Das FIM-Schema wurde in den Entwurf übernommen/).waitFor();
  await admin.getByRole('heading', { name: 'Hinweise aus dem FIM-Import' }).waitFor();
  const noted = admin.locator('tr', { hasText: 'Geschlecht' }).first();
  assert.match(await noted.innerText(), /Codeliste/);
  await press(admin, 'Geschlecht');
  await admin.getByText(/Zu diesem Feld gibt es Hinweise aus dem FIM-Import/).waitFor();
  await choose(admin, 'Art des Felds', 'Auswahlliste');
  await tabTo(admin, /^Auswahlwerte/);
  await admin.keyboard.type('m | männlich | male\nw | weiblich | female\nd | divers | diverse\nx | ohne Angabe | not stated');
  await press(admin, 'Feld speichern');
  await admin.getByText('Die Änderung ist im Entwurf gespeichert.').waitFor();
  assert.doesNotMatch(await admin.locator('tr', { hasText: 'Geschlecht' }).first().innerText(), /Codeliste/);
  await press(admin, 'Prüfen und veröffentlichen');
  await admin.getByText('Die Prüfung hat nichts gefunden, was das Veröffentlichen verhindert.').waitFor();
  await press(admin, 'Jetzt veröffentlichen');
  await admin.getByText(/Die neue Version ist veröffentlicht/).waitFor();
  assert.deepEqual(admin.errors, []);
  assert.ok(builder.includes('/verwaltung/formulare/eigen-lastenrad'), builder);
});
