// Paying online in Chromium, against the Stripe-compatible server the test command starts
// (tests/e2e/services/stripe.mjs, with its stand-in for Stripe.js): a citizen logged in with the eID
// applies for two birth certificates (filed only once paid), sees the fee computed by the server,
// is declined with one card and pays with another; the case shows "bezahlt" with the Kassenzeichen
// and the receipt mail arrives. A tenant admin finds the payment in the payments view, refunds part
// of it with a reason, and checks the payment settings. axe-core on every page (each load by itself,
// see helpers.mjs; scan() for what Stripe.js shows). The receipt mails are looked for among the mails
// received since the journey began, by their Kassenzeichen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, url, scan, eidLogin, invitedTenantAdmin, waitForMail, onlinePaymentOffered } from './helpers.mjs';

const HOST = 'kaiserslautern.localhost';
const CITIZEN_EMAIL = 'erika.mustermann@example.org';
const suffix = Date.now().toString(36);
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function tenantAdmin() {
  const [ops, admin] = await invitedTenantAdmin(browser, `admin-zahlung-${suffix}@kaiserslautern.example`, 'Karla Kasse', 'Stadtkasse-Schluessel-2026');
  assert.deepEqual(ops.errors, []);
  return admin;
}

test('a citizen pays the fee online, the case is filed once paid, the office refunds part of it', async () => {
  const citizen = await newPage(browser);
  await eidLogin(citizen, HOST, 'erika');

  // the application: two certificates
  await citizen.goto(url(HOST, '/leistungen/geburtsurkunde/antrag'));
  await citizen.getByRole('button', { name: 'Antrag starten' }).click();
  await citizen.getByRole('heading', { name: 'Wessen Geburtsurkunde?' }).waitFor();
  await citizen.getByRole('group', { name: /Beantragen Sie Ihre eigene Geburtsurkunde/ }).getByLabel('Ja').check();
  await citizen.getByLabel('Vorname(n) laut Geburtseintrag').fill('Erika');
  await citizen.getByLabel('Familienname', { exact: true }).fill('Mustermann');
  await citizen.getByLabel('Geburtsdatum').fill('12.08.1964');
  await citizen.getByLabel('Geburtsort').fill('Kaiserslautern');
  await citizen.getByRole('button', { name: 'Weiter' }).click();
  await citizen.getByRole('heading', { name: 'Bestellung' }).waitFor();
  await citizen.getByLabel('Anzahl der Urkunden').fill('2');
  await citizen.getByLabel('Verwendungszweck').selectOption('rente');
  await citizen.getByRole('button', { name: 'Weiter' }).click();

  // the check page shows the fee the server computed; the button leads to the payment (offered once
  // the server has confirmed the tenant's Stripe account, in the background after its start)
  await citizen.getByText('24,00 € (2 × Anzahl der Urkunden (12,00 €))').waitFor().catch(async (e) => { console.log(await citizen.locator('main').innerText()); throw e; });
  const pay = await onlinePaymentOffered(citizen);
  await citizen.getByText(/Ihr Antrag wird übermittelt, sobald die Zahlung eingegangen ist/).waitFor();
  await pay.click();

  // the payment page: Stripe's payment element (the local stand-in) mounts into the form
  await citizen.getByRole('heading', { name: 'Gebühr bezahlen' }).waitFor();
  const kassenzeichen = (await citizen.locator('.facts__row', { hasText: 'Kassenzeichen' }).locator('dd').innerText()).trim();
  assert.match(kassenzeichen, /^KL-\d{8}$/);
  // the payment element is mounted by Stripe.js after the load
  await citizen.getByLabel('Kartennummer').waitFor();
  await scan(citizen, 'payment page');
  // a declined card: the message appears on the page, nothing is filed, the citizen may try again
  await citizen.getByLabel('Kartennummer').fill('4000 0000 0000 0002');
  await citizen.getByRole('button', { name: '24,00 € bezahlen' }).click();
  await citizen.getByRole('alert').getByText('Your card was declined.').waitFor();
  await scan(citizen, 'payment page with a declined card');
  // paid with a working card: Stripe sends the browser back, the server asks Stripe and files the case
  await citizen.getByLabel('Kartennummer').fill('4242 4242 4242 4242');
  await citizen.getByRole('button', { name: '24,00 € bezahlen' }).click();
  await citizen.getByRole('heading', { name: 'Antrag eingegangen' }).waitFor().catch(async (e) => { console.log(citizen.url(), await citizen.locator('main').innerText()); throw e; });
  const reference = (await citizen.locator('.facts__row', { hasText: 'Aktenzeichen' }).locator('dd').innerText()).trim();

  // the case shows the payment; the receipt mail carries the Kassenzeichen
  await citizen.getByRole('link', { name: 'Antrag in „Meine Anträge“ ansehen' }).click();
  await citizen.getByText(kassenzeichen).first().waitFor();
  await citizen.locator('.facts__row', { hasText: 'Stand' }).getByText('bezahlt').waitFor();
  await citizen.getByText(`Zahlung von 24,00 € eingegangen (Kassenzeichen ${kassenzeichen}).`).waitFor();
  const receipt = await waitForMail(CITIZEN_EMAIL, new RegExp(`Zahlungsbestätigung ${kassenzeichen}`));
  assert.match(receipt.text, /24,00 €/);
  assert.deepEqual(citizen.errors, []);

  // the office: the payment in the payments view, a partial refund with a reason
  const admin = await tenantAdmin();
  await admin.getByRole('link', { name: 'Zahlungen', exact: true }).first().click();
  await admin.getByRole('heading', { name: 'Zahlungen', exact: true }).waitFor();
  const row = admin.locator('tr', { hasText: kassenzeichen });
  await row.getByText('bezahlt').waitFor();
  await row.getByRole('link', { name: reference }).click();
  await admin.getByRole('heading', { name: 'Erstatten' }).waitFor();
  await admin.getByLabel('Erstattungsbetrag in Euro').fill('30');
  await admin.getByLabel('Grund', { exact: true }).fill('Nur eine Urkunde lieferbar');
  await admin.getByRole('button', { name: 'Erstattung veranlassen' }).click();
  await admin.getByText('Es können höchstens 24,00 € erstattet werden.').first().waitFor();
  await admin.getByLabel('Erstattungsbetrag in Euro').fill('12,00');
  await admin.getByRole('button', { name: 'Erstattung veranlassen' }).click();
  await admin.getByText(`12,00 € erstattet (Kassenzeichen ${kassenzeichen}). Grund: Nur eine Urkunde lieferbar`).waitFor();
  await admin.locator('.facts__row', { hasText: 'Erstattet' }).getByText('12,00 €').waitFor();
  await waitForMail(CITIZEN_EMAIL, new RegExp(`Erstattung 12,00 € – ${kassenzeichen}`));

  // the settings page says whether the platform's secrets are configured, never what they are
  await admin.getByRole('link', { name: 'Zahlungseinstellungen' }).first().click();
  await admin.getByRole('heading', { name: 'Zahlungseinstellungen' }).waitFor();
  const settings = await admin.locator('main').innerText();
  assert.match(settings, /Online-Zahlung aktiv\s*ja/);
  assert.ok(!settings.includes('sk_test') && !settings.includes('whsec_'), settings);
  // the cash office's CSV of today holds the payment and the refund
  await admin.getByRole('link', { name: 'Zahlungen', exact: true }).first().click();
  const text = await admin.evaluate(async () => {
    const link = [...document.querySelectorAll('a')].find((a) => a.textContent.includes('Heute bisher'));
    return (await fetch(link.href)).text();
  });
  assert.ok(text.split('\n').some((l) => l.includes(kassenzeichen) && l.includes(';zahlung;') && l.includes(';24,00;')), text);
  assert.ok(text.split('\n').some((l) => l.includes(kassenzeichen) && l.includes(';erstattung;') && l.includes(';12,00;')), text);
  assert.deepEqual(admin.errors, []);
});
