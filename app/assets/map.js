// The shared map widget (the Kita search, reported defects): reads the places from the map's hidden list and shows them as markers
// on a Leaflet map (Leaflet from npm, served under /assets/leaflet/). The tiles come from the
// configured URL; without one the markers stand on a plain background. The page lists the same
// places in text, so nothing depends on this script.
(function () {
  "use strict";
  function start() {
    if (typeof L === "undefined") return;
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = "/assets/leaflet/leaflet.css";
    document.head.appendChild(css);
    document.querySelectorAll("[data-map]").forEach(function (box) {
      var items = Array.prototype.slice.call(box.querySelectorAll("li[data-lat]"));
      if (!items.length) return;
      var canvas = document.createElement("div");
      canvas.className = "map__canvas";
      box.appendChild(canvas);
      var map = L.map(canvas, { scrollWheelZoom: false });
      var tiles = box.getAttribute("data-tiles");
      if (tiles) L.tileLayer(tiles, { maxZoom: 19, attribution: box.getAttribute("data-attribution") || "" }).addTo(map);
      var bounds = [];
      items.forEach(function (li) {
        var at = [parseFloat(li.getAttribute("data-lat")), parseFloat(li.getAttribute("data-lon"))];
        bounds.push(at);
        var popup = document.createElement("div");
        var a = document.createElement("a");
        a.href = li.getAttribute("data-link");
        a.textContent = li.textContent;
        popup.appendChild(a);
        var p = document.createElement("p");
        p.textContent = li.getAttribute("data-detail");
        popup.appendChild(p);
        // text nodes only: a facility's name is never read as HTML
        var tip = document.createElement("span");
        tip.textContent = li.textContent;
        L.circleMarker(at, { radius: 8, weight: 2 }).bindPopup(popup).bindTooltip(tip).addTo(map);
      });
      if (bounds.length === 1) map.setView(bounds[0], 15); else map.fitBounds(bounds, { padding: [24, 24] });
      box.setAttribute("data-markers", String(bounds.length));
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
