// Journey: a tenant admin of Düren opens the street directory (/verwaltung/strassen), reads the
// demo's streets with their parking zones, and uploads a CSV file with a wrong postcode: the page
// names the line and the problem next to the file input, and nothing is replaced (the directory still
// lists its streets; other journeys depend on Düren's directory). Every page shown is scanned with
// axe-core (helpers.mjs); the page is photographed at phone and desktop width and must not scroll
// sideways.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, invitedTenantAdmin, photograph, url } from './helpers.mjs';

const HOST = 'dueren.localhost';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a tenant admin reads the street directory and a wrong CSV line is named without replacing it', async (t) => {
  const suffix = Date.now().toString(36);
  const [ops, admin] = await invitedTenantAdmin(browser, `admin-strassen-${suffix}@dueren.example`, 'Sven Straße', 'Rurstadt-Verzeichnis-2026', 'Stadt Düren');
  t.after(async () => {
    await ops.context().close();
    await admin.context().close();
  });

  const response = await admin.goto(url(HOST, '/verwaltung/strassen'));
  assert.equal(response.status(), 200);
  await admin.getByRole('heading', { name: 'Straßenverzeichnis', level: 1 }).waitFor();
  const table = admin.getByRole('table', { name: 'Straßenverzeichnis' });
  const row = table.getByRole('row').filter({ hasText: 'Kölnstraße' }).first();
  await row.waitFor();
  assert.match(await row.innerText(), /52351/, 'the street is listed with its postcode');

  await photograph(admin, 'streets');

  const csv = 'Straße;PLZ;von;bis;Kita-Bezirk;Parkzone\nKölnstraße;52351;;;;a\nMarktplatz;123;;;;a\n';
  await admin.getByLabel('CSV-Datei').setInputFiles({ name: 'strassen.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await admin.getByRole('button', { name: 'Verzeichnis ersetzen' }).click();
  const message = admin.locator('#csv-error');
  await message.waitFor();
  assert.equal((await message.innerText()).trim(), 'Zeile 3: Die Postleitzahl muss fünf Ziffern haben.');
  const input = admin.getByLabel('CSV-Datei');
  assert.equal(await input.getAttribute('aria-invalid'), 'true', 'the message belongs to the file input');
  assert.match(await input.getAttribute('aria-describedby') ?? '', /\bcsv-error\b/, 'the file input names the message');

  await admin.goto(url(HOST, '/verwaltung/strassen'));
  assert.ok(await table.getByRole('row').filter({ hasText: 'Kölnstraße' }).count() > 0, 'nothing was replaced');
  assert.equal(await table.getByRole('row').filter({ hasText: 'Marktplatz' }).filter({ hasText: '123' }).count(), 0);
});
