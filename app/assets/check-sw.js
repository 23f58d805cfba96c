// The service worker of the offline check (scope /pruefen/): keeps the check page, its script and
// styles, the key set and the revocations. Everything is fetched from the network first (so keys
// and revocations are current whenever there is a network) and taken from the cache without one;
// a check link opened offline (/pruefen/<token>) gets the offline page, which reads the token from
// the address.
'use strict';
var CACHE = 'pruefen-v2';
var CORE = ['/pruefen/offline', '/pruefen/check.js', '/pruefen/schluessel.json', '/pruefen/widerrufen.json', '/pruefen/manifest.webmanifest', '/pruefen/icon.svg'];

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(CORE).then(function () {
      // the page's stylesheets, whatever their version
      return cache.match('/pruefen/offline').then(function (r) { return r ? r.text() : ''; }).then(function (html) {
        var urls = [];
        html.replace(/(?:href|src)="(\/(?:assets|pruefen)\/[^"]+)"/g, function (_, u) { urls.push(u.replace(/&amp;/g, '&')); });
        return cache.addAll(urls);
      });
    });
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener('fetch', function (event) {
  var req = event.request;
  if (req.method !== 'GET') return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  event.respondWith(fetch(req).then(function (res) {
    if (res.ok && (url.pathname === '/pruefen/offline' || CORE.indexOf(url.pathname) >= 0 || url.pathname.indexOf('/assets/') === 0)) {
      var copy = res.clone();
      caches.open(CACHE).then(function (cache) { cache.put(req, copy); });
    }
    return res;
  }).catch(function () {
    return caches.match(req).then(function (hit) {
      if (hit) return hit;
      if (req.mode === 'navigate' && url.pathname.indexOf('/pruefen/') === 0) return caches.match('/pruefen/offline');
      return Response.error();
    });
  }));
});
