// Journey: an operator creates a municipality with its host and the basic installation; a citizen
// opens that host, sees its branding and services, searches "Perso" and switches to English; another
// tenant's host shows different branding and services. Every page visited is scanned with axe-core
// (each load by itself, see helpers.mjs; scan() for an island's state), the pages without
// JavaScript included. The suspended demo tenant is activated again afterwards, also when the
// journey fails.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, url, OPERATOR, operatorLogin, secondStep, restoreTenant, scan, waitForHydration, PNG_1x1 } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const suffix = Date.now().toString(36);
const slug = `teststadt-${suffix}`;
const host = `${slug}.localhost`;
const name = `Teststadt ${suffix.toUpperCase()}`;
const colour = '#2e6b30';

test('an operator creates a tenant and a citizen uses its portal', async () => {
  const page = await newPage(browser);

  // the console asks for a login
  await page.goto(url('ops.localhost'));
  assert.match(page.url(), /\/login$/);

  // a wrong password is refused next to nothing being lost
  await page.getByLabel('E-Mail-Adresse').fill(OPERATOR.email);
  await page.getByLabel('Passwort').fill('falsches-passwort-123');
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await page.getByText('E-Mail-Adresse oder Passwort ist falsch.').waitFor();
  assert.equal(await page.getByLabel('E-Mail-Adresse').inputValue(), OPERATOR.email);

  await page.getByLabel('Passwort').fill(OPERATOR.password);
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await page.waitForURL((u) => u.pathname !== '/login');
  await secondStep(page, OPERATOR.email);
  await page.getByRole('heading', { name: 'Mandanten', level: 1 }).waitFor();

  // the new-tenant form; its colour field is an island that checks contrast as one types
  await page.getByRole('link', { name: 'Neuen Mandanten anlegen' }).click();
  await page.getByRole('heading', { name: 'Neuen Mandanten anlegen' }).waitFor();
  await waitForHydration(page);
  const primary = page.getByLabel('Hauptfarbe');
  await primary.fill('#ffff00');
  await page.locator('#primary_colour-status').getByText(/zu gering/).waitFor();
  await primary.fill(colour);
  await page.locator('#primary_colour-status').getByText(/ausreichend/).waitFor();
  await scan(page, 'new tenant form with the contrast checked');

  // first attempt with a bad host name: errors next to the field, the rest kept
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Kurzname').fill(slug);
  await page.getByLabel('Art').selectOption('stadt');
  await page.getByLabel('Adressen (Hostnamen)').fill('kein gültiger_host');
  await page.getByLabel('Anzeigename im Portal').fill(name);
  await page.getByLabel('Kontakt-E-Mail').fill('buergerservice@teststadt.example');
  await page.getByLabel('Impressum (Deutsch)').fill(`Herausgeber: ${name}`);
  // and a 3 MB photo instead of a logo
  await page.getByLabel('Logo').setInputFiles({ name: 'urlaub.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(3 * 1024 * 1024, 0xff) });
  await page.getByRole('button', { name: 'Anlegen' }).click();
  await page.getByText('Bitte korrigieren Sie die folgenden Angaben:').waitFor();
  await page.locator('#logo-error').getByText('Die Datei ist größer als 256 KB.').waitFor();
  assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), name);
  assert.equal(await page.getByLabel('Impressum (Deutsch)').inputValue(), `Herausgeber: ${name}`);

  // corrected, with a logo
  await page.getByLabel('Adressen (Hostnamen)').fill(host);
  await page.getByLabel('Logo').setInputFiles({ name: 'wappen.png', mimeType: 'image/png', buffer: PNG_1x1 });
  await page.getByRole('button', { name: 'Anlegen' }).click();
  await page.getByText(`sofort unter ${host} erreichbar`).waitFor();

  await page.getByRole('button', { name: 'Grundausstattung übernehmen' }).click();
  await page.getByText(/Grundausstattung übernommen: \d+ Leistungen/).waitFor();
  assert.ok(await page.getByLabel('Meldebescheinigung beantragen').isChecked());

  // the tenant's identity provider: a plain-http issuer on another host is refused next to the
  // field with everything else kept; the client secret is asked for and never shown again
  const tenantId = page.url().match(/mandanten\/([0-9a-f-]{36})/)[1];
  await page.goto(url('ops.localhost', `/mandanten/${tenantId}/identitaet`));
  await page.getByLabel('Kurzname', { exact: true }).fill('bundid');
  await page.getByLabel('Anzeigename', { exact: true }).fill('BundID');
  await page.getByLabel('Issuer-URL').fill('http://localhost.evil.example');
  await page.getByLabel('Client-ID').fill('teststadt');
  await page.getByLabel('Client-Geheimnis').fill('geheim-im-browser-1');
  await page.getByRole('button', { name: 'Speichern' }).click();
  await page.locator('#issuer_url-error').getByText(/https/).waitFor();
  assert.equal(await page.getByLabel('Anzeigename', { exact: true }).inputValue(), 'BundID');
  assert.equal(await page.getByLabel('Client-Geheimnis').inputValue(), '', 'the secret is not sent back');
  await page.getByLabel('Issuer-URL').fill('https://id.bund.example');
  await page.getByLabel('Client-Geheimnis').fill('geheim-im-browser-1');
  await page.getByRole('button', { name: 'Speichern' }).click();
  await page.getByText('hinterlegt', { exact: true }).waitFor();
  assert.ok(!(await page.content()).includes('geheim-im-browser-1'), 'the stored secret is never shown');

  // the citizen opens the new host at once
  const citizen = await newPage(browser);
  await citizen.goto(url(host));
  await citizen.getByRole('heading', { level: 1, name: new RegExp(name) }).waitFor();
  assert.equal(await citizen.locator('.site-header').evaluate((e) => getComputedStyle(e).backgroundColor), 'rgb(46, 107, 48)');
  assert.ok(await citizen.getByRole('img', { name: `Logo von ${name}` }).isVisible());
  await citizen.getByRole('link', { name: 'Meldebescheinigung beantragen' }).waitFor();

  // search with a synonym
  await citizen.getByLabel('Leistung suchen').fill('Perso');
  await citizen.getByRole('button', { name: 'Suchen' }).click();
  await citizen.getByRole('heading', { name: 'Suchergebnisse' }).waitFor();
  await citizen.getByRole('link', { name: 'Personalausweis beantragen' }).waitFor();

  // switch to English: same page, English texts
  await citizen.getByRole('link', { name: 'Switch to English' }).click();
  await citizen.getByRole('heading', { name: 'Search results' }).waitFor();
  assert.match(citizen.url(), /\/suche\?q=Perso$/);
  await citizen.getByRole('link', { name: 'Apply for an identity card' }).waitFor();
  assert.equal(await citizen.locator('html').getAttribute('lang'), 'en');

  // the service page
  await citizen.getByRole('link', { name: 'Apply for an identity card' }).click();
  await citizen.getByRole('heading', { level: 1, name: 'Apply for an identity card' }).waitFor();
  await citizen.getByText('Documents required').waitFor();

  // another tenant's host: different branding, different services (the language choice is per
  // portal: its cookie belongs to the host, so Kaiserslautern greets in German again)
  await citizen.goto(url('kaiserslautern.localhost'));
  await citizen.getByRole('heading', { level: 1, name: /Stadt Kaiserslautern/ }).waitFor();
  assert.equal(await citizen.locator('.site-header').evaluate((e) => getComputedStyle(e).backgroundColor), 'rgb(179, 18, 30)');
  await citizen.getByRole('link', { name: 'Bewohnerparkausweis beantragen' }).waitFor();
  assert.equal(await citizen.getByText(name).count(), 0);

  await citizen.goto(url(host));
  await citizen.getByRole('heading', { level: 1, name: new RegExp(name) }).waitFor();
  assert.equal(await citizen.getByRole('link', { name: "Apply for a residents' parking permit" }).count(), 0, 'not in the basic installation');

  assert.deepEqual(page.errors, [], 'no script errors in the console');
  assert.deepEqual(citizen.errors, [], 'no script errors in the portal');
  await page.context().close();
  await citizen.context().close();
});

test('a suspended tenant shows a maintenance page, and the portal works without JavaScript', async (t) => {
  const ops = await newPage(browser);
  let suspended = false;
  t.after(async () => {
    if (suspended) await restoreTenant(ops, 'Gemeinde Brenz');
    await ops.context().close();
  });
  await operatorLogin(ops);
  suspended = true;
  await ops.getByRole('button', { name: 'Sperren: Gemeinde Brenz', exact: true }).click();
  await ops.getByText('Der Mandant Gemeinde Brenz ist gesperrt').waitFor();

  const citizen = await newPage(browser);
  const response = await citizen.goto(url('brenz.localhost', '/leistungen/meldebescheinigung'));
  assert.equal(response.status(), 503);
  await citizen.getByRole('heading', { name: 'Portal vorübergehend nicht erreichbar' }).waitFor();
  await citizen.context().close();

  await ops.getByRole('button', { name: 'Entsperren: Gemeinde Brenz', exact: true }).click();
  await ops.getByText('Der Mandant Gemeinde Brenz ist wieder aktiv.').waitFor();
  suspended = false;

  // the portal is back, and works without JavaScript (its pages are scanned in a companion page
  // with JavaScript: axe-core needs it)
  const noJs = await newPage(browser, { javaScriptEnabled: false });
  await noJs.goto(url('brenz.localhost'));
  await noJs.getByLabel('Leistung suchen').fill('Sperrmüll');
  await noJs.getByRole('button', { name: 'Suchen' }).click();
  await noJs.getByRole('link', { name: 'Sperrmüll-Abholung anmelden' }).waitFor();
  await noJs.context().close();
});

test('an unknown host gets a page saying no portal is there', async () => {
  const page = await newPage(browser);
  const response = await page.goto(url('unbekannt.localhost'));
  assert.equal(response.status(), 404);
  await page.getByRole('heading', { name: 'Kein Portal unter dieser Adresse' }).waitFor();
  await page.context().close();
});
