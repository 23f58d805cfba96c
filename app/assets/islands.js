// Loads the wasm bundle and hydrates every <leptos-island> of the page. An external module script,
// so that the Content-Security-Policy needs no 'unsafe-inline' for scripts.
import init, * as islands from "/pkg/portal_hydrate.js?v=__WASM_VERSION__";

async function hydrateAll() {
  await init({ module_or_path: "/pkg/portal_hydrate_bg.wasm?v=__WASM_VERSION__" });
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

hydrateAll().catch((e) => console.error("island hydration failed", e));
