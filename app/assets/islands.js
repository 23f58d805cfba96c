// Loads the wasm bundle and hydrates every <leptos-island> of the page. An external module script,
// so that the Content-Security-Policy needs no 'unsafe-inline' for scripts.
//
// The bundle is fetched on the first interaction with the page (pointer, key, touch or focus), not
// with the page: every island only improves a page that already works without it (forms post, links
// navigate), so the first load stays small; the wasm arrives while the user reaches for a field.
let started = false;

async function hydrateAll() {
  const islands = await import("/pkg/portal_hydrate.js?v=__WASM_VERSION__");
  await islands.default({ module_or_path: "/pkg/portal_hydrate_bg.wasm?v=__WASM_VERSION__" });
  islands.hydrate();
  for (const el of document.querySelectorAll("leptos-island")) {
    const fn = islands[el.dataset.component];
    if (typeof fn === "function") {
      const result = fn(el);
      if (result && typeof result.then === "function") await result;
    } else {
      console.warn("no wasm function for island", el.dataset.component);
    }
  }
  document.documentElement.dataset.hydrated = "true";
}

function start() {
  if (started) return;
  started = true;
  for (const type of EVENTS) document.removeEventListener(type, start, true);
  hydrateAll().catch((e) => console.error("island hydration failed", e));
}

const EVENTS = ["pointerdown", "keydown", "touchstart", "focusin"];
for (const type of EVENTS) document.addEventListener(type, start, { capture: true, passive: true });
document.documentElement.dataset.islands = "waiting";
// a field that already has the focus (autofocus, back navigation) counts as an interaction
if (document.activeElement && document.activeElement !== document.body) start();
