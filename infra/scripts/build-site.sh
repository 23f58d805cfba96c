#!/usr/bin/env bash
# Builds the front-end site into $SITE_DIR: the islands' wasm bundle (cargo + wasm-bindgen, optimised
# with binaryen's wasm-opt in release mode), KERN UX's CSS, and Fira Sans subset to Latin.
# This is the project's equivalent of `cargo leptos build` (see docs/decisions/0002-build-pipeline.md).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mode="${1:-debug}"

ensure_rust
ensure_wasm_bindgen
step "Building the islands (wasm, $mode)"
profile_args=(); profile_dir=debug
if [ "$mode" = release ]; then profile_args=(--profile wasm-release); profile_dir=wasm-release; fi
cargo build --quiet -p portal-hydrate --lib --target wasm32-unknown-unknown "${profile_args[@]}"
mkdir -p "$SITE_DIR/pkg" "$SITE_DIR/kern/fonts"
wasm-bindgen --target web --no-typescript --out-dir "$SITE_DIR/pkg" --out-name portal_hydrate \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/$profile_dir/portal_hydrate.wasm"

npm_install "$ROOT/app/frontend"
if [ "$mode" = release ]; then
  info "wasm-opt -Oz"
  node "$ROOT/app/frontend/node_modules/binaryen/bin/wasm-opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types \
    -o "$SITE_DIR/pkg/portal_hydrate_bg.wasm" "$SITE_DIR/pkg/portal_hydrate_bg.wasm"
fi
info "wasm: $(stat -c %s "$SITE_DIR/pkg/portal_hydrate_bg.wasm") bytes"

step "Leaflet (the Kita search's map)"
mkdir -p "$SITE_DIR/leaflet/images"
cp "$ROOT/app/frontend/node_modules/leaflet/dist/leaflet.js" "$ROOT/app/frontend/node_modules/leaflet/dist/leaflet.css" "$SITE_DIR/leaflet/"
cp "$ROOT/app/frontend/node_modules/leaflet/dist/images/"*.png "$SITE_DIR/leaflet/images/"

step "KERN UX assets"
kern="$ROOT/app/frontend/node_modules/@kern-ux/native/dist"
cp "$kern/kern.min.css" "$SITE_DIR/kern/kern.min.css"
stamp="$SITE_DIR/kern/fonts/.subset-stamp"
if [ ! -f "$stamp" ] || ! cmp -s "$ROOT/app/frontend/package-lock.json" "$stamp"; then
  ensure_python_fonttools
  # Latin-1, dashes, quotes, ellipsis, euro sign, bullet: all that German and English texts need
  unicodes="U+0000-00FF,U+0131,U+0152-0153,U+2013-2014,U+2018-201E,U+2022,U+2026,U+20AC,U+2039-203A"
  for w in Regular Medium SemiBold; do
    "$CACHE/venv/bin/pyftsubset" "$kern/fonts/fira-sans/FiraSans-$w.woff2" --unicodes="$unicodes" \
      --layout-features='kern,liga,calt,tnum,lnum' --flavor=woff2 --output-file="$SITE_DIR/kern/fonts/FiraSans-$w.woff2"
  done
  cp "$ROOT/app/frontend/package-lock.json" "$stamp"
fi
info "fonts: $(du -cb "$SITE_DIR"/kern/fonts/*.woff2 | tail -1 | cut -f1) bytes for 3 weights"
