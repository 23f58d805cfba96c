// A real OpenID provider for tests and the demo (npm oidc-provider), standing in for BundID / eID:
// one confidential client, test users whose claims include name, birth date, address and an eID
// level of assurance (acr), and a plain login page (user name + password "test").
//   IDP_PORT (4011): the provider, issuer http://127.0.0.1:IDP_PORT
//   IDP_CLIENT_ID / IDP_CLIENT_SECRET: the client (defaults kommunalportal / idp-test-secret)
//   IDP_REDIRECT_HOSTS: host[:port] list allowed in redirect URIs (default: demo hosts, ports 3000/3101)
// A second, hostile provider runs on ROGUE_PORT (4012) for negative tests. Its issuers are
// http://127.0.0.1:ROGUE_PORT/<mode>: "honest" behaves, "wrong-key" signs ID tokens with a key that
// is not in its JWKS, "wrong-nonce" returns a nonce other than the one sent, "foreign-jwks" and
// "foreign-token" point the key fetch or the code exchange at another origin (http://localhost:ROGUE_PORT/sink,
// which counts what reaches it: GET /sink/_count), "huge" answers discovery with a 1 MB document.
import http from 'node:http';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';
import { exitWithParent } from './parent.mjs';

exitWithParent();

const PORT = Number(process.env.IDP_PORT || 4011);
const ROGUE_PORT = Number(process.env.ROGUE_PORT || 4012);
const ISSUER = `http://127.0.0.1:${PORT}`;
const CLIENT_ID = process.env.IDP_CLIENT_ID || 'kommunalportal';
const CLIENT_SECRET = process.env.IDP_CLIENT_SECRET || 'idp-test-secret';
const LOA_HIGH = 'http://eidas.europa.eu/LoA/high';
const LOA_SUBSTANTIAL = 'http://eidas.europa.eu/LoA/substantial';

const demoHosts = ['ludwigslust-parchim', 'amt-neustadt-glewe', 'neustadt-glewe', 'blievenstorf', 'brenz', 'kaiserslautern', 'dueren', 'guetersloh'].map((s) => `${s}.localhost`);
const hosts = (process.env.IDP_REDIRECT_HOSTS || demoHosts.flatMap((h) => [h, `${h}:3000`, `${h}:3101`]).join(','))
  .split(',').map((h) => h.trim()).filter(Boolean);
const redirectUris = hosts.map((h) => `http://${h}/konto/oidc/rueckruf`);

export const USERS = {
  erika: {
    loa: LOA_HIGH,
    claims: {
      email: 'erika.mustermann@example.org', email_verified: true,
      given_name: 'Erika', family_name: 'Mustermann', birthdate: '1964-08-12',
      address: { street_address: 'Heidestraße 17', postal_code: '51147', locality: 'Köln', country: 'DE' },
    },
  },
  max: {
    loa: LOA_SUBSTANTIAL,
    claims: {
      email: 'max.mustermann@example.org', email_verified: true,
      given_name: 'Max', family_name: 'Mustermann', birthdate: '1980-01-31',
      address: { street_address: 'Amselweg 3', postal_code: '67655', locality: 'Kaiserslautern', country: 'DE' },
    },
  },
  // a resident of Düren (in the demo's street directory, parking zone A)
  jana: {
    loa: LOA_HIGH,
    claims: {
      email: 'jana.jansen@example.org', email_verified: true,
      given_name: 'Jana', family_name: 'Jansen', birthdate: '1990-04-02',
      address: { street_address: 'Wirtelstraße 30', postal_code: '52349', locality: 'Düren', country: 'DE' },
    },
  },
};

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'idp-1', use: 'sig', alg: 'RS256' };

const provider = new Provider(ISSUER, {
  clients: [{
    client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: redirectUris,
    grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  // acr (the eID level of assurance) is sent with every ID token, as BundID does
  claims: { auth_time: null, sid: null, openid: ['sub', 'acr'], email: ['email', 'email_verified'], profile: ['given_name', 'family_name', 'birthdate'], address: ['address'] },
  acrValues: [LOA_SUBSTANTIAL, LOA_HIGH],
  conformIdTokenClaims: false,
  jwks: { keys: [signingKey] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    const user = USERS[id];
    if (!user) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...user.claims }) };
  },
});
provider.on('server_error', (ctx, err) => console.error('idp server_error', err));

const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const readForm = (req) => new Promise((resolve) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => resolve(new URLSearchParams(body)));
});

function loginPage(uid, error) {
  return `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Test-Identitätsanbieter – Anmeldung</title>
<style>body{font-family:sans-serif;max-width:32rem;margin:2rem auto}label{display:block;margin-top:1rem}input{font-size:1rem;padding:.4rem}button{margin-top:1rem;font-size:1rem;padding:.5rem 1rem}.error{color:#a00}</style></head>
<body><main><h1>Test-Identitätsanbieter (eID)</h1><p>Testnutzer: <code>erika</code> (Vertrauensniveau hoch), <code>max</code> (substanziell) oder <code>jana</code> (hoch, wohnt in Düren); Passwort <code>test</code>.</p>
${error ? `<p class="error" role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="login">Benutzername</label><input id="login" name="login" autocomplete="username" required>
<label for="password">Passwort</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Anmelden</button></form></main></body></html>`;
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'consent') {
    // test provider: consent is given at once
    const { prompt: { details: missing }, params, session } = details;
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  if (action === 'login' && req.method === 'POST') {
    const form = await readForm(req);
    const login = (form.get('login') || '').trim().toLowerCase();
    if (!USERS[login] || form.get('password') !== 'test') {
      res.writeHead(401, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(loginPage(uid, 'Benutzername oder Passwort falsch.'));
    }
    return provider.interactionFinished(req, res, { login: { accountId: login, acr: USERS[login].loa, amr: ['eid'] } }, { mergeWithLastSubmission: false });
  }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  return res.end(loginPage(uid));
}

const callback = provider.callback();
http.createServer(async (req, res) => {
  const m = /^\/interaction\/([^/]+)(?:\/(login))?$/.exec(new URL(req.url, ISSUER).pathname);
  if (m) {
    try {
      await interaction(req, res, m[1], m[2]);
    } catch (e) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`interaction failed: ${e.message}`);
    }
    return;
  }
  callback(req, res);
}).listen(PORT, '127.0.0.1', () => console.log(`idp: issuer ${ISSUER}, client ${CLIENT_ID}, ${redirectUris.length} redirect URIs`));

// ---------------------------------------------------------------------------------------------
// the hostile provider

const published = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const b64 = (o) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url');
const codes = new Map();
let sinkHits = 0;
const MODES = ['honest', 'wrong-key', 'wrong-nonce', 'foreign-jwks', 'foreign-token', 'huge'];

function sign(payload, key) {
  const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'rogue-1' })}.${b64(payload)}`;
  return `${input}.${crypto.sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

http.createServer(async (req, res) => {
  const url = new URL(req.url, `http://127.0.0.1:${ROGUE_PORT}`);
  const [, mode, ...rest] = url.pathname.split('/');
  const route = '/' + rest.join('/');
  const issuer = `http://127.0.0.1:${ROGUE_PORT}/${mode}`;
  const json = (status, body) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
  if (mode === 'sink') {
    if (route === '/_count') return json(200, { hits: sinkHits });
    sinkHits += 1;
    return json(200, { keys: [], access_token: 'x', token_type: 'Bearer' });
  }
  if (!MODES.includes(mode)) return json(404, { error: 'unknown mode' });
  if (route === '/.well-known/openid-configuration') {
    const sink = `http://localhost:${ROGUE_PORT}/sink`;
    if (mode === 'huge') return json(200, { issuer, padding: 'x'.repeat(1024 * 1024) });
    return json(200, {
      issuer, authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: mode === 'foreign-token' ? `${sink}/token` : `${issuer}/token`,
      jwks_uri: mode === 'foreign-jwks' ? `${sink}/jwks` : `${issuer}/jwks`,
      response_types_supported: ['code'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'],
      code_challenge_methods_supported: ['S256'], token_endpoint_auth_methods_supported: ['client_secret_basic'],
    });
  }
  if (route === '/jwks') {
    return json(200, { keys: [{ ...published.publicKey.export({ format: 'jwk' }), kid: 'rogue-1', use: 'sig', alg: 'RS256' }] });
  }
  if (route === '/authorize') {
    const code = crypto.randomBytes(16).toString('hex');
    codes.set(code, { nonce: url.searchParams.get('nonce'), clientId: url.searchParams.get('client_id') });
    const back = new URL(url.searchParams.get('redirect_uri'));
    back.searchParams.set('code', code);
    back.searchParams.set('state', url.searchParams.get('state') || '');
    res.writeHead(302, { location: back.toString() });
    return res.end();
  }
  if (route === '/token' && req.method === 'POST') {
    const form = await readForm(req);
    const grant = codes.get(form.get('code'));
    if (!grant) return json(400, { error: 'invalid_grant' });
    codes.delete(form.get('code'));
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      iss: issuer, sub: `${mode}-user`, aud: grant.clientId, iat: now, exp: now + 300,
      nonce: mode === 'wrong-nonce' ? 'forged-nonce' : grant.nonce,
      given_name: 'Mallory', family_name: 'Rogue', acr: LOA_HIGH,
    };
    const key = mode === 'wrong-key' ? other.privateKey : published.privateKey;
    return json(200, { access_token: crypto.randomBytes(16).toString('hex'), token_type: 'Bearer', expires_in: 300, id_token: sign(payload, key) });
  }
  return json(404, { error: 'not found' });
}).listen(ROGUE_PORT, '127.0.0.1', () => console.log(`idp: hostile provider on http://127.0.0.1:${ROGUE_PORT}/{${MODES.join(',')}}`));
