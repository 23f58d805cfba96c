// Live waiting times and the call display. Each [data-live] element names its source; the server
// sends the location's state as JSON over server-sent events. Where EventSource fails (a proxy
// that buffers, an old browser) the page polls the same URL for JSON every two seconds.
(function () {
  'use strict';
  function text(tpl, s) {
    return tpl.replace('{m}', String(s.wait_minutes)).replace('{n}', String(s.waiting));
  }
  function apply(source, s) {
    document.querySelectorAll('[data-live="' + source + '"]').forEach(function (el) {
      var t = el.querySelector('[data-live-text]');
      if (t) t.textContent = text(s.waiting > 0 || s.wait_minutes > 0 ? el.dataset.template : el.dataset.empty, s);
    });
    var display = document.querySelector('[data-display="' + source + '"]');
    if (!display) return;
    var calls = s.calls || [];
    var code = display.querySelector('[data-now-code]');
    var counter = display.querySelector('[data-now-counter]');
    var now = calls[0];
    if (code && code.textContent !== (now ? now.code : '–')) code.textContent = now ? now.code : '–';
    if (counter) counter.textContent = now ? now.counter : '';
    var body = display.querySelector('[data-last-calls]');
    if (body) {
      body.textContent = '';
      calls.slice(1, 7).forEach(function (c) {
        var tr = document.createElement('tr');
        [c.code, c.counter].forEach(function (v) { var td = document.createElement('td'); td.textContent = v; tr.appendChild(td); });
        body.appendChild(tr);
      });
    }
  }
  function poll(source) {
    function once() {
      fetch(source, { headers: { Accept: 'application/json' }, cache: 'no-store' })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) { if (s) apply(source, s); })
        .catch(function () {})
        .then(function () { setTimeout(once, 2000); });
    }
    once();
  }
  function follow(source) {
    if (!window.EventSource) return poll(source);
    var failures = 0;
    var es = new EventSource(source);
    es.onmessage = function (e) { failures = 0; try { apply(source, JSON.parse(e.data)); } catch (_) {} };
    es.onerror = function () {
      failures += 1;
      if (failures >= 3) { es.close(); poll(source); }
    };
  }
  var seen = {};
  document.querySelectorAll('[data-live],[data-display]').forEach(function (el) {
    var s = el.dataset.live || el.dataset.display;
    if (s && !seen[s]) { seen[s] = true; follow(s); }
  });
})();
