// The scanning itself: a page that breaks an accessibility rule fails the journey, whether the
// violation arrives with a page load (the automatic scan) or in a state shown without one (scan()).
// The broken pages are made in the browser (a route answering for a portal URL, an element added
// by a script): the portal itself has none.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, url, scan } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const HOST = 'kaiserslautern.localhost';

test('a page load with an image without a text alternative fails the next step, naming the rule and the URL', async () => {
  const page = await newPage(browser);
  const broken = url(HOST, '/kaputt-fuer-den-test');
  await page.context().route(broken, (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8',
    body: '<!doctype html><html lang="de"><head><title>Kaputt</title></head><body><main><h1>Kaputt</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></body></html>',
  }));
  await page.goto(broken);
  // the load's scan found the image: the next action (here the next navigation) throws it
  await assert.rejects(page.goto(url(HOST, '/')), (e) => /image-alt/.test(e.message) && e.message.includes(broken));
  // a correct page afterwards passes
  await page.goto(url(HOST, '/'));
  await page.getByRole('heading', { level: 1 }).first().waitFor();
});

test('a state shown without a load is scanned by scan() and a violation in it fails', async () => {
  const page = await newPage(browser);
  await page.goto(url(HOST, '/'));
  await scan(page, 'the home page as loaded');
  await page.evaluate(() => document.querySelector('main').insertAdjacentHTML('beforeend', '<input type="text" id="ohne-beschriftung">'));
  await assert.rejects(scan(page, 'an input without a label'), (e) => /label/.test(e.message) && e.message.includes('an input without a label'));
});
