// The console logins of benches/second-factor.sh: node's http client against 127.0.0.1 with the
// console's Host header; the codes computed as the journeys' authenticator does (tests/e2e/totp.mjs).
import http from 'node:http';
import { totpAt } from '../tests/e2e/totp.mjs';

const [port, email, password] = process.argv.slice(2);
const HOST = 'ops.localhost';

function request(method, path, { cookies = {}, form } = {}) {
  const body = form ? new URLSearchParams(form).toString() : undefined;
  const headers = { Host: HOST, Cookie: Object.entries(cookies).map(([k, v]) => `${k}=${v}`).join('; ') };
  if (body) Object.assign(headers, { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) });
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        for (const c of res.headers['set-cookie'] || []) {
          const [pair] = c.split(';');
          const [k, v] = pair.split('=');
          if (v) cookies[k] = v; else delete cookies[k];
        }
        resolve({ status: res.statusCode, location: res.headers.location, text, ms: Number(process.hrtime.bigint() - started) / 1e6 });
      });
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

const csrfOf = (text) => text.match(/name="_csrf" value="([^"]*)"/)[1];
const check = (cond, what) => { if (!cond) { console.error(`unexpected: ${what}`); process.exit(1); } };

async function passwordStep() {
  const cookies = {};
  const form = await request('GET', '/login', { cookies });
  const r = await request('POST', '/login', { cookies, form: { _csrf: csrfOf(form.text), email, password } });
  check(r.status === 303 && /\/login\/(code|einrichten)$/.test(r.location), `password step ${r.status} ${r.location}`);
  return { cookies, r };
}

let last = 0;
async function nextStep() {
  for (;;) {
    const step = Math.floor(Date.now() / 30000);
    const wanted = Math.max(last + 1, step);
    if (wanted <= step + 1) { last = wanted; return wanted; }
    await new Promise((r) => setTimeout(r, 30000 - (Date.now() % 30000) + 200));
  }
}

// the set-up: its page (QR code) and the first code
const first = await passwordStep();
const setup = await request('GET', '/login/einrichten', { cookies: first.cookies });
check(setup.status === 200 && setup.text.includes('role="img"'), 'set-up page with its QR code');
const secret = setup.text.match(/([A-Z2-7]{4} ){7}[A-Z2-7]{4}/)[0].replace(/ /g, '');
const done = await request('POST', '/login/einrichten', { cookies: first.cookies, form: { _csrf: csrfOf(setup.text), code: totpAt(secret, await nextStep()) } });
check(done.status === 200 && (done.text.match(/<code>/g) || []).length === 10, 'ten recovery codes');
console.log(`set-up page (QR code drawn): ${setup.ms.toFixed(1)} ms; confirming the set-up (ten codes hashed): ${done.ms.toFixed(1)} ms`);

const pw = []; const code = [];
for (let i = 0; i < 6; i++) {
  const { cookies, r } = await passwordStep();
  pw.push(r.ms);
  const page = await request('GET', '/login/code', { cookies });
  const step = await nextStep();
  const ok = await request('POST', '/login/code', { cookies, form: { _csrf: csrfOf(page.text), code: totpAt(secret, step) } });
  check(ok.status === 303 && ok.location === '/' && cookies.ops_session, `code step ${ok.status}`);
  const home = await request('GET', '/', { cookies });
  check(home.status === 200 && home.text.includes('Mandanten'), 'the console after the login');
  code.push(ok.ms);
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`password step: mean ${mean(pw).toFixed(1)} ms over ${pw.length}`);
console.log(`code step:     mean ${mean(code).toFixed(1)} ms over ${code.length}`);
console.log(`code step / password step: ${(mean(code) / mean(pw)).toFixed(3)}`);
