// The offline check of print@home documents (/pruefen/offline). Verifies a document's token with
// the tenant's Ed25519 keys in the browser's Web Crypto, checks its dates against today and the
// revocations last synced; the service worker (/pruefen/sw.js) keeps this page, the script, the
// key set and the revocations, so the check works without a network.
(function () {
  'use strict';
  var root = document.getElementById('offline-check');
  if (!root) return;
  var texts = JSON.parse(root.dataset.texts || '{}');
  var result = document.getElementById('check-result');
  var sync = document.getElementById('check-sync');
  var input = document.getElementById('token');
  var state = { keys: null, revoked: null, synced: null };

  var link = document.createElement('link');
  link.rel = 'manifest';
  link.href = root.dataset.manifest;
  document.head.appendChild(link);

  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register(root.dataset.worker, { scope: '/pruefen/' }).catch(function () {});
  }

  function fromB64url(s) {
    s = s.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }
  function day(n) {
    var d = new Date(n * 86400000);
    return ('0' + d.getUTCDate()).slice(-2) + '.' + ('0' + (d.getUTCMonth() + 1)).slice(-2) + '.' + d.getUTCFullYear();
  }
  function today() {
    var now = new Date();
    return Math.floor(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()) / 86400000);
  }

  // version 1 | kid[8] | kind | from u16 | until u16 | number | facts | signature[64]
  function parse(text) {
    var bytes = fromB64url(text);
    if (bytes.length < 65) throw new Error('short');
    var signed = bytes.slice(0, bytes.length - 64), sig = bytes.slice(bytes.length - 64);
    var i = 0;
    function take(n) { if (i + n > signed.length) throw new Error('short'); var s = signed.slice(i, i + n); i += n; return s; }
    function str() { var n = take(1)[0]; return new TextDecoder('utf-8', { fatal: true }).decode(take(n)); }
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

  function load(url, key) {
    return fetch(url, { cache: 'no-cache' }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }).then(function (json) {
      state[key] = json;
      return json;
    });
  }
  function refresh() {
    return Promise.all([load(root.dataset.keys, 'keys'), load(root.dataset.revoked, 'revoked')]).then(function () {
      state.synced = state.revoked.synced_at;
      sync.textContent = (texts.synced || '').replace('{at}', new Date(state.synced * 1000).toLocaleString());
    }).catch(function () {
      sync.textContent = texts.no_sync || '';
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
  function forged() { show('danger', { code: 'forged', text: texts.forged }, [[texts.what, texts.forged_text]]); }

  function check(raw) {
    var text = raw.trim();
    var slash = text.lastIndexOf('/');
    if (slash >= 0) text = text.slice(slash + 1);
    text = text.split('#')[0].split('?')[0];
    var t;
    try { t = parse(text); } catch (e) { forged(); return Promise.resolve(); }
    var jwk = ((state.keys && state.keys.keys) || []).filter(function (k) { return k.kid === t.kid; })[0];
    if (!jwk) { forged(); return Promise.resolve(); }
    return crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, { name: 'Ed25519' }, false, ['verify'])
      .then(function (key) { return crypto.subtle.verify({ name: 'Ed25519' }, key, t.sig, t.signed); })
      .then(function (ok) {
        if (!ok) { forged(); return null; }
        // the fingerprint of the whole token (its bytes, signature included), as the list publishes it
        return crypto.subtle.digest('SHA-256', t.bytes).then(function (h) { return hex(new Uint8Array(h)); });
      })
      .then(function (hash) {
        if (hash === null) return;
        // the published list holds the revoked tokens' fingerprints, nothing that names a number
        var revoked = ((state.revoked && state.revoked.revoked) || []).some(function (x) { return x.token_sha256 === hash; });
        var d = today();
        var code = revoked ? 'revoked' : d < t.from ? 'not_yet_valid' : d > t.until ? 'expired' : 'valid';
        var lines = [[texts.number, t.number], [texts.valid, day(t.from) + ' – ' + day(t.until)]];
        t.facts.forEach(function (f) { lines.push([texts['fact_' + f[0]] || '', f[1]]); });
        show(code === 'valid' ? 'success' : 'danger', { code: code, text: texts.genuine + ' · ' + texts[code] }, lines);
      })
      .catch(function () { show('warning', { code: 'unsupported', text: texts.unsupported }, []); });
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
})();
