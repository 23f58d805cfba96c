// The offline check of print@home documents (/pruefen/offline). Verifies a document's token with
// the tenant's Ed25519 keys in the browser's Web Crypto, checks its dates against today and the
// revocations last synced; the service worker (/pruefen/sw.js) keeps this page, the script, the
// key set and the revocations, so the check works without a network.
//
// The check itself (verdict) needs no page: loaded without a document (node's vm, see
// tests/e2e/journeys/offline-check.test.mjs) the script only hands it out as KommunalportalCheck.
(function (global) {
  'use strict';

  function fromB64url(s) {
    s = s.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    var bin = global.atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  // version 1 | kid[8] | kind | from u16 | until u16 | number | facts | signature[64]
  function parse(text) {
    var bytes = fromB64url(text);
    if (bytes.length < 65) throw new Error('short');
    var signed = bytes.slice(0, bytes.length - 64), sig = bytes.slice(bytes.length - 64);
    var i = 0;
    function take(n) { if (i + n > signed.length) throw new Error('short'); var s = signed.slice(i, i + n); i += n; return s; }
    function str() { var n = take(1)[0]; return new global.TextDecoder('utf-8', { fatal: true }).decode(take(n)); }
    if (take(1)[0] !== 1) throw new Error('version');
    var kid = hex(take(8));
    var kind = take(1)[0];
    var f = take(2), u = take(2);
    var from = (f[0] << 8) | f[1], until = (u[0] << 8) | u[1];
    var number = str();
    var count = take(1)[0], facts = [];
    for (var k = 0; k < count; k++) { var code = take(1)[0]; facts.push([code, str()]); }
    if (i !== signed.length) throw new Error('trailing');
    return { kid: kid, kind: kind, from: from, until: until, number: number, facts: facts, signed: signed, sig: sig, bytes: bytes };
  }

  /** The token in what was scanned or pasted: a check link's last part, or the token itself. */
  function tokenText(raw) {
    var text = String(raw || '').trim();
    var slash = text.lastIndexOf('/');
    if (slash >= 0) text = text.slice(slash + 1);
    return text.split('#')[0].split('?')[0];
  }

  /** The revocation list as synced, or null when it was not loaded (or is not a list). */
  function revocationsOf(list) {
    if (!list || !Array.isArray(list.revoked)) return null;
    return list.revoked.map(function (x) { return x && x.token_sha256; }).filter(function (h) { return typeof h === 'string'; });
  }

  /**
   * What a check finds, from the token's text, the key set and revocation list last synced (either
   * may be null: not loaded) and today (days since 1970). Resolves to { code, token }, code one of
   * forged, key_withdrawn, unsupported, revoked, expired, not_yet_valid, unchecked, valid:
   * - a key the set marks withdrawn (or whose state it does not name) verifies nothing: the
   *   document can only be checked online;
   * - without a revocation list a document within its dates is "unchecked", never "valid".
   */
  function verdict(raw, keys, revoked, today) {
    var t;
    try { t = parse(tokenText(raw)); } catch (e) { return Promise.resolve({ code: 'forged' }); }
    var jwk = ((keys && keys.keys) || []).filter(function (k) { return k && k.kid === t.kid; })[0];
    if (!jwk) return Promise.resolve({ code: 'forged' });
    if (jwk.state !== 'current' && jwk.state !== 'retired') return Promise.resolve({ code: 'key_withdrawn', token: t });
    var subtle = global.crypto && global.crypto.subtle;
    if (!subtle) return Promise.resolve({ code: 'unsupported' });
    return subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, { name: 'Ed25519' }, false, ['verify'])
      .then(function (key) { return subtle.verify({ name: 'Ed25519' }, key, t.sig, t.signed); })
      .then(function (ok) {
        if (!ok) return { code: 'forged' };
        // the fingerprint of the whole token (its bytes, signature included), as the list publishes it
        return subtle.digest('SHA-256', t.bytes).then(function (h) {
          var hash = hex(new Uint8Array(h));
          var list = revocationsOf(revoked);
          var code;
          if (list && list.indexOf(hash) >= 0) code = 'revoked';
          else if (today < t.from) code = 'not_yet_valid';
          else if (today > t.until) code = 'expired';
          // whether it was revoked is unknown: the list did not load
          else if (!list) code = 'unchecked';
          else code = 'valid';
          return { code: code, token: t };
        });
      }, function () { return { code: 'unsupported' }; });
  }

  /** The alert's colour for a verdict, as the online check colours it (the heading says it in words). */
  var KINDS = { valid: 'success', not_yet_valid: 'info', expired: 'warning', unchecked: 'warning', unsupported: 'warning' };
  function kindOf(code) {
    return KINDS[code] || 'danger';
  }

  var api = { parse: parse, tokenText: tokenText, verdict: verdict, kindOf: kindOf };
  if (!global.document) {
    global.KommunalportalCheck = api;
    return;
  }

  var root = global.document.getElementById('offline-check');
  if (!root) return;
  var document = global.document;
  var texts = JSON.parse(root.dataset.texts || '{}');
  var result = document.getElementById('check-result');
  var sync = document.getElementById('check-sync');
  var input = document.getElementById('token');
  var state = { keys: null, revoked: null };

  var link = document.createElement('link');
  link.rel = 'manifest';
  link.href = root.dataset.manifest;
  document.head.appendChild(link);

  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register(root.dataset.worker, { scope: '/pruefen/' }).catch(function () {});
  }

  function day(n) {
    var d = new Date(n * 86400000);
    return ('0' + d.getUTCDate()).slice(-2) + '.' + ('0' + (d.getUTCMonth() + 1)).slice(-2) + '.' + d.getUTCFullYear();
  }
  // today in Germany (Europe/Berlin), as the documents' days are, wherever the browser's clock is set
  function today() {
    var parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin', year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date());
    function part(type) { return Number(parts.filter(function (p) { return p.type === type; })[0].value); }
    return Math.floor(Date.UTC(part('year'), part('month') - 1, part('day')) / 86400000);
  }

  // the key set and the revocations are loaded each by itself: one failing leaves the other
  function load(url, key) {
    return fetch(url, { cache: 'no-cache' }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }).then(function (json) {
      state[key] = json;
      return true;
    }, function () { return false; });
  }
  function refresh() {
    return Promise.all([load(root.dataset.keys, 'keys'), load(root.dataset.revoked, 'revoked')]).then(function (loaded) {
      if (!loaded[0]) sync.textContent = texts.no_sync || '';
      else if (!loaded[1] || revocationsOf(state.revoked) === null) sync.textContent = texts.no_revocations || '';
      else sync.textContent = (texts.synced || '').replace('{at}', new Date(state.revoked.synced_at * 1000).toLocaleString());
    });
  }

  function show(kind, heading, lines) {
    result.innerHTML = '';
    var box = document.createElement('div');
    box.className = 'kern-alert kern-alert--' + kind;
    box.setAttribute('data-verdict', heading.code);
    var h = document.createElement('h2');
    h.className = 'kern-heading-medium';
    h.textContent = heading.text;
    box.appendChild(h);
    var dl = document.createElement('dl');
    dl.className = 'kern-description-list';
    lines.forEach(function (l) {
      var dt = document.createElement('dt'); dt.textContent = l[0];
      var dd = document.createElement('dd'); dd.textContent = l[1];
      dl.appendChild(dt); dl.appendChild(dd);
    });
    box.appendChild(dl);
    result.appendChild(box);
  }

  function check(raw) {
    return verdict(raw, state.keys, state.revoked, today()).then(function (v) {
      var kind = kindOf(v.code);
      if (v.code === 'forged') return show(kind, { code: 'forged', text: texts.forged }, [[texts.what, texts.forged_text]]);
      if (v.code === 'unsupported') return show(kind, { code: 'unsupported', text: texts.unsupported }, []);
      if (v.code === 'key_withdrawn') return show(kind, { code: v.code, text: texts.key_withdrawn }, [[texts.what, texts.key_withdrawn_text]]);
      var t = v.token;
      var lines = [[texts.number, t.number], [texts.valid, day(t.from) + ' – ' + day(t.until)]];
      t.facts.forEach(function (f) { lines.push([texts['fact_' + f[0]] || '', f[1]]); });
      show(kind, { code: v.code, text: texts.genuine + ' · ' + texts[v.code] }, lines);
    });
  }

  document.getElementById('check-form').addEventListener('submit', function (e) {
    e.preventDefault();
    check(input.value);
  });
  refresh().then(function () {
    // opened from a QR code: /pruefen/<token> served by the worker while offline
    var m = location.pathname.match(/^\/pruefen\/([A-Za-z0-9_-]{60,})$/);
    if (m) { input.value = m[1]; check(m[1]); }
  });
})(typeof self !== 'undefined' ? self : this);
