// The offline check's verdicts (app/assets/check.js) without a browser: the script is loaded into
// a node context without a page, where it hands out its check (KommunalportalCheck.verdict). Tokens
// are made here as the server makes them (token.rs: version 1, kid, kind, dates, number, facts,
// Ed25519 signature) with node's Web Crypto, which the browser's check uses too.
//  * a valid document with the revocations synced: valid
//  * the revocations not loaded (only the key set cached), or not a list: "Widerruf nicht geprüft",
//    never valid; an expired one stays expired
//  * revoked: found by the fingerprint of the token's bytes, also when the text spells them otherwise
//  * a key the synced set names withdrawn (or names in no known state) verifies nothing
//  * a forged token, an unknown key: forged
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { webcrypto } from 'node:crypto';
import vm from 'node:vm';

const SOURCE = readFileSync(new URL('../../../app/assets/check.js', import.meta.url), 'utf8');
const { subtle } = webcrypto;

/** The script's check, loaded as a page would load it, but without a page. */
function loadCheck() {
  const context = { crypto: webcrypto, atob, TextEncoder, TextDecoder, Uint8Array, Promise };
  vm.createContext(context);
  vm.runInContext(SOURCE, context, { filename: 'check.js' });
  assert.ok(context.KommunalportalCheck, 'the script hands out its check when there is no page');
  return context.KommunalportalCheck;
}

const b64url = (bytes) => Buffer.from(bytes).toString('base64url');
const hex = (bytes) => Buffer.from(bytes).toString('hex');

async function keyPair() {
  const pair = await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const raw = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
  const kid = new Uint8Array(await subtle.digest('SHA-256', raw)).slice(0, 8);
  return { pair, raw, kid, jwk: (state) => ({ kty: 'OKP', crv: 'Ed25519', kid: hex(kid), x: b64url(raw), state }) };
}

/** A token as token.rs writes it. */
async function token(key, { from, until, number = 'BPA-2026-7K3Q-9XW2', facts = [[1, 'KL-AB 123'], [2, 'Zone A – Innenstadt']] }) {
  const enc = new TextEncoder();
  const parts = [1, ...key.kid, 1, from >> 8, from & 255, until >> 8, until & 255];
  const n = enc.encode(number);
  parts.push(n.length, ...n, facts.length);
  for (const [code, value] of facts) {
    const v = enc.encode(value);
    parts.push(code, v.length, ...v);
  }
  const signed = new Uint8Array(parts);
  const sig = new Uint8Array(await subtle.sign({ name: 'Ed25519' }, key.pair.privateKey, signed));
  const bytes = new Uint8Array([...signed, ...sig]);
  return { text: b64url(bytes), fingerprint: hex(new Uint8Array(await subtle.digest('SHA-256', bytes))) };
}

const TODAY = 20795; // 7 December 2026, days since 1970
const synced = (...fingerprints) => ({ synced_at: 1796630400, revoked: fingerprints.map((f) => ({ token_sha256: f, revoked_at: 1796630400 })) });

test('a valid document is valid only while the revocations are known', async () => {
  const check = loadCheck();
  const key = await keyPair();
  const keys = { keys: [key.jwk('current')] };
  const t = await token(key, { from: TODAY - 10, until: TODAY + 300 });
  const other = await token(key, { from: TODAY - 10, until: TODAY + 300, number: 'BPA-2026-AAAA-BBBB' });

  const valid = await check.verdict(`https://kaiserslautern.localhost/pruefen/${t.text}`, keys, synced(other.fingerprint), TODAY);
  assert.equal(valid.code, 'valid');
  assert.equal(check.kindOf(valid.code), 'success');
  assert.equal(valid.token.number, 'BPA-2026-7K3Q-9XW2');

  // only the key set cached: the revocation state is unknown, never "valid"
  for (const revoked of [null, undefined, {}, { revoked: 'nothing' }]) {
    const v = await check.verdict(t.text, keys, revoked, TODAY);
    assert.equal(v.code, 'unchecked', `revocations ${JSON.stringify(revoked)}`);
    assert.equal(check.kindOf(v.code), 'warning');
  }
  // what the page says then, in both languages (the texts the server hands the script)
  const texts = { de: readFileSync(new URL('../../../app/ui/locales/de/documents.toml', import.meta.url), 'utf8'), en: readFileSync(new URL('../../../app/ui/locales/en/documents.toml', import.meta.url), 'utf8') };
  assert.match(texts.de, /^js_unchecked = "Widerruf nicht geprüft — bitte online prüfen"$/m);
  assert.match(texts.en, /^js_unchecked = "Revocation not checked — please check online"$/m);

  // dates decide what they can without the list
  const expired = await token(key, { from: TODAY - 400, until: TODAY - 35 });
  assert.equal((await check.verdict(expired.text, keys, null, TODAY)).code, 'expired');
  const early = await token(key, { from: TODAY + 3, until: TODAY + 300 });
  assert.equal((await check.verdict(early.text, keys, null, TODAY)).code, 'not_yet_valid');
});

test('a revoked document is found by the fingerprint of its bytes', async () => {
  const check = loadCheck();
  const key = await keyPair();
  const keys = { keys: [key.jwk('retired')] };
  const t = await token(key, { from: TODAY - 10, until: TODAY + 300 });
  const v = await check.verdict(t.text, keys, synced(t.fingerprint), TODAY);
  assert.equal(v.code, 'revoked');
  assert.equal(check.kindOf(v.code), 'danger');
  // the number's hash is no longer what the list holds
  const numberHash = hex(new Uint8Array(await subtle.digest('SHA-256', new TextEncoder().encode('BPA-2026-7K3Q-9XW2'))));
  assert.equal((await check.verdict(t.text, keys, synced(numberHash), TODAY)).code, 'valid');
  // the same bytes spelt otherwise (other unused bits in the last character) are the same document:
  // 133 bytes leave 4 unused bits in the last character
  const odd = await token(key, { from: TODAY - 10, until: TODAY + 300, facts: [[1, 'KL-AB 1234'], [2, 'Zone A – Innenstadt']] });
  assert.equal(Buffer.from(odd.text, 'base64url').length % 3, 1);
  const last = odd.text.slice(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const i = alphabet.indexOf(last);
  const spelt = odd.text.slice(0, -1) + alphabet[(i & ~3) | ((i + 1) & 3)];
  assert.notEqual(spelt, odd.text, 'another spelling');
  assert.equal((await check.verdict(spelt, keys, synced(odd.fingerprint), TODAY)).code, 'revoked');
});

test('a withdrawn key verifies nothing after the sync, a forged token is forged', async () => {
  const check = loadCheck();
  const key = await keyPair();
  const t = await token(key, { from: TODAY - 10, until: TODAY + 300 });
  assert.equal((await check.verdict(t.text, { keys: [key.jwk('retired')] }, synced(), TODAY)).code, 'valid', 'before the sync');
  for (const state of ['withdrawn', undefined, 'something']) {
    const v = await check.verdict(t.text, { keys: [key.jwk(state)] }, synced(), TODAY);
    assert.equal(v.code, 'key_withdrawn', `state ${state}`);
    assert.equal(check.kindOf(v.code), 'danger');
  }
  // altered, or signed by a key not in the set
  const i = Math.floor(t.text.length / 2);
  const forged = t.text.slice(0, i) + (t.text[i] === 'A' ? 'B' : 'A') + t.text.slice(i + 1);
  assert.equal((await check.verdict(forged, { keys: [key.jwk('current')] }, synced(), TODAY)).code, 'forged');
  const stranger = await keyPair();
  assert.equal((await check.verdict(t.text, { keys: [stranger.jwk('current')] }, synced(), TODAY)).code, 'forged');
  assert.equal((await check.verdict(t.text, null, synced(), TODAY)).code, 'forged', 'no key set at all');
  assert.equal((await check.verdict('kein Token', { keys: [key.jwk('current')] }, synced(), TODAY)).code, 'forged');
});
