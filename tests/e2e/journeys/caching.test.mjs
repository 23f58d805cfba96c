// Journey: two server processes on one database (the test command starts the second one on
// E2E_PORT_B), each with its own tenant content and page caches. A citizen reads a tenant's portal
// on server B, where its pages come from memory with an ETag (and a 304 when asked again); an
// operator renames and suspends the tenant on server A's console; server B shows each change on the
// next requests, never the old page. Every page shown is scanned with axe-core (each load by
// itself, see helpers.mjs), the console's included. The tenant is put back (name, active) afterwards,
// also when the journey fails: other journeys may use the demo tenant.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, operatorLogin, restoreTenant, PORT_B } from './helpers.mjs';

const urlB = (host, path = '/') => `http://${host}:${PORT_B}${path}`;
const HOST = 'blievenstorf.localhost';
const TENANT = 'Gemeinde Blievenstorf';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Opens `href` until `check(page)` holds (the notification takes a few milliseconds to arrive). */
async function eventually(page, href, check, what) {
  const started = Date.now();
  for (let i = 0; i < 100; i++) {
    const response = await page.goto(href);
    if (await check(page, response)) {
      console.log(`${what}: shown by the other server after ${Date.now() - started} ms (request ${i + 1})`);
      return response;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`${what}: not shown by the other server after 100 requests`);
}

test('a change made on one server is shown by the other on the next requests', async (t) => {
  const citizen = await newPage(browser);
  const ops = await newPage(browser);
  let changed = false;
  t.after(async () => {
    if (changed) await restoreTenant(ops, TENANT, { displayName: TENANT });
    await citizen.context().close();
    await ops.context().close();
  });
  const first = await citizen.goto(urlB(HOST));
  assert.equal(first.status(), 200);
  await citizen.getByRole('heading', { name: 'Gemeinde Blievenstorf' }).first().waitFor();
  const headers = first.headers();
  assert.match(headers['cache-control'], /public/);
  assert.match(headers.etag, /^"[0-9a-f]{32}(-br|-gz)?"$/);
  // asked again with its validator (by the page itself: the host resolves in the browser): 304
  const again = await citizen.evaluate(async (etag) => (await fetch('/', { headers: { 'If-None-Match': etag }, cache: 'no-store' })).status, headers.etag);
  assert.equal(again, 304);

  // the operator renames the tenant's portal on server A
  await operatorLogin(ops);
  await ops.getByRole('link', { name: 'Bearbeiten: Gemeinde Blievenstorf', exact: true }).click();
  changed = true;
  await ops.getByLabel('Anzeigename im Portal').fill('Gemeinde Blievenstorf an der Elde');
  await ops.getByRole('button', { name: 'Speichern' }).click();
  await ops.getByRole('heading', { name: 'Mandanten', level: 1 }).waitFor();

  await eventually(citizen, urlB(HOST), async (p) => (await p.getByRole('heading', { name: 'Gemeinde Blievenstorf an der Elde' }).count()) > 0, 'new name');
  const imprint = await citizen.goto(urlB(HOST, '/impressum'));
  assert.equal(imprint.status(), 200);
  await citizen.getByText('Gemeinde Blievenstorf an der Elde').first().waitFor();

  // suspended on A: B shows the maintenance page, not the page it holds; back again afterwards
  await ops.getByRole('button', { name: 'Sperren: Gemeinde Blievenstorf', exact: true }).click();
  await ops.getByText('Der Mandant Gemeinde Blievenstorf ist gesperrt').waitFor();
  await eventually(citizen, urlB(HOST), async (_, r) => r.status() === 503, 'suspension');
  await citizen.getByRole('heading', { name: 'Portal vorübergehend nicht erreichbar' }).waitFor();
  await ops.getByRole('button', { name: 'Entsperren: Gemeinde Blievenstorf', exact: true }).click();
  await ops.getByText('Der Mandant Gemeinde Blievenstorf ist wieder aktiv.').waitFor();
  // the page may be the one the browser holds (a 304 on its validator)
  await eventually(citizen, urlB(HOST), async (_, r) => [200, 304].includes(r.status()), 'reactivation');
  assert.deepEqual([...citizen.errors, ...ops.errors], []);
});
