#!/usr/bin/env node
// Static checks of the test code (node, no dependencies): prints file:line and the reason of each
// finding and exits 1 when there is one. Run by infra/scripts/test-all.sh after the lints.
//
// Rust test code: the files under tests/, the files under platform/*/tests and app/*/tests, and the
// #[cfg(test)] items under platform/ and app/ (a `#[cfg(test)] mod x;` takes in the whole file).
//  * `#[ignore]`: an ignored test does not run.
//  * `let _ = …;` whose expression sends a request or submits a form (it contains `.get(`, `.post`,
//    `.request(`, `.submit(`, `.get_with(`, `post_form` or `post_multipart`): the response, or the
//    Result of the code under test, is thrown away unchecked. Other `let _ =` (cleanup such as
//    remove_dir_all, a drop of a database, a timeout awaited) are left alone.
//
// Browser journeys (tests/e2e/journeys/*.test.mjs):
//  * `.only(`, `test.skip` / `it.skip` / `describe.skip` / `suite.skip` (and `.todo`), `t.skip(` /
//    `t.todo(`, and the options `{ skip: … }`, `{ only: … }`, `{ todo: … }`: tests that do not run.
//  * pages that are not scanned with axe-core. helpers.mjs wraps every page newPage() makes so that
//    each load is scanned. So a journey may navigate (`.goto(`, `.reload(`, `.goBack(`,
//    `.goForward(`) only on
//      - a variable bound to `await newPage(…)` or to an element of `await invitedTenantAdmin(…)`
//        (the helpers returning pages; imported from './helpers.mjs', not defined in the journey),
//      - or a parameter of a function of the journey (its pages come from those bindings);
//    any other receiver (a member expression, a call's result, another variable) is a finding. And a
//    journey may not make or reach pages any other way: `.newPage(` / `.newContext(` called on an
//    object, `.pages(`, `launchPersistentContext`, `connectOverCDP`, waiting for a 'page' or 'popup'
//    event, or `chromium.` / `firefox.` / `webkit.` directly.
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { join, relative, dirname, basename, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const findings = [];
const report = (file, text, index, reason) => findings.push({ file: relative(ROOT, file), line: lineOf(text, index), reason });
const lineOf = (text, index) => text.slice(0, index).split('\n').length;

function walk(dir, ext, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'target' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, ext, out);
    else if (name.endsWith(ext)) out.push(path);
  }
  return out;
}

// ---- Both languages -----------------------------------------------------------------------------

/** `src` as an array of characters, and a function that blanks [from, to) of it (line breaks kept,
 * so indices and lines stay those of the source). */
function blanking(src) {
  const out = src.split('');
  return { out, blank: (from, to) => { for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' '; } };
}

/** Blanks the `//` comment at `i`; returns where its line ends. */
function lineComment(src, i, blank) {
  const end = src.indexOf('\n', i);
  const stop = end < 0 ? src.length : end;
  blank(i, stop);
  return stop;
}

// ---- Rust ---------------------------------------------------------------------------------------

/** `src` with the comments and the contents of string and char literals replaced by spaces (line
 * breaks kept, so indices and lines stay those of the source). */
function blankRust(src) {
  const { out, blank } = blanking(src);
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    const next = src[i + 1];
    if (c === '/' && next === '/') {
      i = lineComment(src, i, blank);
    } else if (c === '/' && next === '*') {
      let depth = 1;
      let j = i + 2;
      while (j < src.length && depth > 0) {
        if (src[j] === '/' && src[j + 1] === '*') { depth++; j += 2; } else if (src[j] === '*' && src[j + 1] === '/') { depth--; j += 2; } else j++;
      }
      blank(i, j);
      i = j;
    } else if ((c === 'r' || (c === 'b' && next === 'r')) && /^b?r#*"/.test(src.slice(i, i + 260)) && !/[\w]/.test(src[i - 1] || '')) {
      const m = /^b?r(#*)"/.exec(src.slice(i));
      const close = `"${m[1]}`;
      const start = i + m[0].length;
      const end = src.indexOf(close, start);
      const stop = end < 0 ? src.length : end;
      blank(start, stop);
      i = stop + close.length;
    } else if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      blank(i + 1, j);
      i = j + 1;
    } else if (c === '\'') {
      // a char literal ('x', '\n', '\u{1F600}') or a lifetime ('a)
      if (next === '\\') {
        const end = src.indexOf('\'', i + 2);
        blank(i + 1, end);
        i = end + 1;
      } else if (src[i + 2] === '\'' || (src.codePointAt(i + 1) > 0xffff && src[i + 3] === '\'')) {
        const end = src.indexOf('\'', i + 1);
        blank(i + 1, end);
        i = end + 1;
      } else {
        i++;
      }
    } else {
      i++;
    }
  }
  return out.join('');
}

/** The index just after the bracket closing the one at `open` (of `()`, `[]` or `{}`). */
function closing(code, open) {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if ('([{'.includes(code[i])) depth++;
    else if (')]}'.includes(code[i]) && --depth === 0) return i + 1;
  }
  return code.length;
}

/** The test-only regions [from, to) of a Rust file, and the files its `#[cfg(test)] mod x;` name. */
function cfgTestRegions(file, code) {
  const regions = [];
  const modules = [];
  const attr = /#\s*\[\s*cfg\s*\(\s*test\s*\)\s*\]/g;
  for (let m; (m = attr.exec(code));) {
    let i = m.index + m[0].length;
    for (;;) {
      while (/\s/.test(code[i] || '')) i++;
      if (code[i] === '#' ) i = closing(code, code.indexOf('[', i));
      else break;
    }
    const mod = /^(?:pub(?:\s*\([^)]*\))?\s+)?mod\s+(\w+)\s*;/.exec(code.slice(i));
    if (mod) {
      const dir = ['lib.rs', 'main.rs', 'mod.rs'].includes(basename(file)) ? dirname(file) : join(dirname(file), basename(file, '.rs'));
      const candidates = [join(dir, `${mod[1]}.rs`), join(dir, mod[1], 'mod.rs')];
      const found = candidates.find((p) => existsSync(p));
      if (found) modules.push(found);
      continue;
    }
    const brace = code.indexOf('{', i);
    const semi = code.indexOf(';', i);
    if (brace < 0 || (semi >= 0 && semi < brace)) regions.push([m.index, semi < 0 ? code.length : semi + 1]);
    else regions.push([m.index, closing(code, brace)]);
  }
  return { regions, modules };
}

const REQUEST = ['post_form', 'post_multipart', '.get_with(', '.get(', '.post', '.request(', '.submit('];

function checkRust(file, src, code, regions) {
  const inTest = (index) => regions.some(([from, to]) => index >= from && index < to);
  for (const m of code.matchAll(/#\s*\[\s*ignore\b/g)) {
    if (inTest(m.index)) report(file, src, m.index, '#[ignore]: an ignored test does not run; make it pass or delete it');
  }
  for (const m of code.matchAll(/\blet\s+_\s*(?::[^=;]*)?=(?!=)/g)) {
    if (!inTest(m.index)) continue;
    // the expression: up to the `;` outside brackets
    let end = m.index + m[0].length;
    let depth = 0;
    for (; end < code.length; end++) {
      if ('([{'.includes(code[end])) depth++;
      else if (')]}'.includes(code[end])) depth--;
      else if (code[end] === ';' && depth <= 0) break;
    }
    const expression = code.slice(m.index + m[0].length, end);
    const token = REQUEST.find((t) => expression.includes(t));
    if (token) {
      const shown = src.slice(m.index, end + 1).replace(/\s+/g, ' ').trim();
      report(file, src, m.index, `\`${shown.length > 110 ? `${shown.slice(0, 107)}...` : shown}\` throws away the response of a request (\`${token}\`) unchecked: assert on it, or name what it is for`);
    }
  }
}

const rustFiles = [...walk(join(ROOT, 'tests'), '.rs'), ...walk(join(ROOT, 'platform'), '.rs'), ...walk(join(ROOT, 'app'), '.rs')];
const wholeTestFiles = new Set(rustFiles.filter((f) => {
  const rel = relative(ROOT, f).split(sep);
  return rel[0] === 'tests' || ((rel[0] === 'platform' || rel[0] === 'app') && rel.includes('tests') && rel.indexOf('tests') < rel.length - 1);
}));
const rust = new Map();
for (const file of rustFiles) {
  const src = readFileSync(file, 'utf8');
  const code = blankRust(src);
  const { regions, modules } = cfgTestRegions(file, code);
  for (const m of modules) wholeTestFiles.add(m);
  rust.set(file, { src, code, regions });
}
for (const [file, { src, code, regions }] of rust) {
  checkRust(file, src, code, wholeTestFiles.has(file) ? [[0, code.length]] : regions);
}

// ---- Browser journeys ---------------------------------------------------------------------------

const KEYWORDS_BEFORE_REGEX = new Set(['return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'new', 'delete', 'void', 'throw', 'yield', 'await', 'instanceof']);

/** `src` with the comments and the contents of strings, template literals and regular expressions
 * replaced by spaces (line breaks kept). */
function blankJs(src) {
  const { out, blank } = blanking(src);
  const regexAllowed = (i) => {
    let j = i - 1;
    while (j >= 0 && /\s/.test(out[j])) j--;
    if (j < 0) return true;
    if ('(,=:[!&|?{};+-*%<>~^'.includes(out[j])) return true;
    const word = /[\w$]+$/.exec(out.slice(Math.max(0, j - 12), j + 1).join(''));
    return !!word && KEYWORDS_BEFORE_REGEX.has(word[0]);
  };
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    const next = src[i + 1];
    if (c === '/' && next === '/') {
      i = lineComment(src, i, blank);
    } else if (c === '/' && next === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === '\'' || c === '"' || c === '`') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      blank(i + 1, j);
      i = j + 1;
    } else if (c === '/' && regexAllowed(i)) {
      let j = i + 1;
      let inClass = false;
      while (j < src.length && src[j] !== '\n' && (src[j] !== '/' || inClass)) {
        if (src[j] === '\\') j++;
        else if (src[j] === '[') inClass = true;
        else if (src[j] === ']') inClass = false;
        j++;
      }
      blank(i + 1, j);
      i = j + 1;
    } else {
      i++;
    }
  }
  return out.join('');
}

const PAGE_HELPERS = ['newPage', 'invitedTenantAdmin'];

function checkJourney(file) {
  const src = readFileSync(file, 'utf8');
  const code = blankJs(src);
  const flag = (index, reason) => report(file, src, index, reason);

  // tests that do not run
  for (const m of code.matchAll(/\.only\s*\(/g)) flag(m.index, '.only(: only this test runs, the others are skipped');
  for (const m of code.matchAll(/\b(?:test|it|describe|suite)\s*\.\s*(?:skip|todo)\b/g)) flag(m.index, `${m[0].replace(/\s/g, '')}: a test that does not run (or whose failure does not count)`);
  for (const m of code.matchAll(/\bt\s*\.\s*(?:skip|todo)\s*\(/g)) flag(m.index, `${m[0].replace(/\s/g, '')}: a test that does not run (or whose failure does not count)`);
  for (const m of code.matchAll(/[{,]\s*(skip|only|todo)\s*:/g)) flag(m.index, `the test option ${m[1]}: tests that do not run (or whose failure does not count)`);

  // pages: only from the helpers, which scan them
  const imports = [...code.matchAll(/import\s*\{([^}]*)\}\s*from\s*(['"])/g)].filter((m) => src.slice(m.index, m.index + m[0].length + 20).includes('./helpers.mjs'))
    .flatMap((m) => m[1].split(',').map((n) => n.trim()).filter(Boolean));
  for (const name of PAGE_HELPERS) {
    for (const m of code.matchAll(new RegExp(`(?:function\\s+${name}\\b|(?:const|let|var)\\s+${name}\\s*=)`, 'g'))) {
      flag(m.index, `${name} defined in the journey: pages must come from helpers.mjs, which scans them`);
    }
  }
  for (const m of code.matchAll(/\.\s*(newPage|newContext|pages|launchPersistentContext|connectOverCDP)\s*\(/g)) {
    flag(m.index, `.${m[1]}(: a page made or reached without newPage() from helpers.mjs is not scanned with axe-core on its loads`);
  }
  for (const m of code.matchAll(/\b(?:chromium|firefox|webkit)\s*\./g)) flag(m.index, `${m[0].replace(/\s/g, '')}: browsers come from launch() and pages from newPage() in helpers.mjs`);
  for (const m of code.matchAll(/waitForEvent\s*\(\s*(['"])\s*\1/g)) {
    const event = src.slice(m.index, m.index + m[0].length + 12);
    if (/waitForEvent\s*\(\s*['"](?:page|popup)['"]/.test(event)) flag(m.index, 'a page reached through a page or popup event is not scanned with axe-core');
  }

  const scanned = new Set();
  const helperCall = `await\\s+(?:${PAGE_HELPERS.filter((n) => imports.includes(n)).join('|') || '(?!)'})\\s*\\(`;
  for (const m of code.matchAll(new RegExp(`(?:\\b(?:const|let|var)\\s+|[;{}]\\s*|^\\s*)([A-Za-z_$][\\w$]*)\\s*=\\s*${helperCall}`, 'gm'))) scanned.add(m[1]);
  for (const m of code.matchAll(new RegExp(`\\b(?:const|let|var)\\s*\\[([^\\]]*)\\]\\s*=\\s*${helperCall}`, 'g'))) {
    for (const n of m[1].split(',').map((s) => s.trim()).filter(Boolean)) scanned.add(n);
  }
  const params = new Set();
  const addParams = (list) => list.split(',').map((p) => p.trim().replace(/^\.\.\./, '').split('=')[0].trim()).filter((p) => /^[A-Za-z_$][\w$]*$/.test(p)).forEach((p) => params.add(p));
  for (const m of code.matchAll(/\bfunction\b\s*[\w$]*\s*\(([^)]*)\)/g)) addParams(m[1]);
  for (const m of code.matchAll(/\(([^()]*)\)\s*=>/g)) addParams(m[1]);
  for (const m of code.matchAll(/([A-Za-z_$][\w$]*)\s*=>/g)) params.add(m[1]);

  for (const m of code.matchAll(/\.\s*(goto|reload|goBack|goForward)\s*\(/g)) {
    const before = code.slice(0, m.index);
    const receiver = /([A-Za-z_$][\w$]*)\s*$/.exec(before);
    if (!receiver) {
      flag(m.index, `.${m[1]}( on an expression: navigate only on a page bound to newPage() (helpers.mjs), so that it is scanned with axe-core on its loads`);
      continue;
    }
    const name = receiver[1];
    const member = /[.\]]\s*$/.test(before.slice(0, before.length - receiver[0].length)) || /\?\.\s*$/.test(before.slice(0, before.length - receiver[0].length));
    if (member) flag(m.index, `${name}.${m[1]}( on a member: navigate only on a page bound to newPage() (helpers.mjs), so that it is scanned with axe-core on its loads`);
    else if (!scanned.has(name) && !params.has(name)) flag(m.index, `${name}.${m[1]}(: ${name} is not a page from newPage() or invitedTenantAdmin() (helpers.mjs), so its loads are not scanned with axe-core`);
  }
}

const journeys = readdirSync(join(ROOT, 'tests/e2e/journeys')).filter((n) => n.endsWith('.test.mjs')).sort();
for (const name of journeys) checkJourney(join(ROOT, 'tests/e2e/journeys', name));

if (findings.length) {
  console.log(`check-tests: ${findings.length} finding(s)`);
  findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  for (const f of findings) console.log(`${f.file}:${f.line}: ${f.reason}`);
  process.exit(1);
}
console.log(`check-tests: ${journeys.length} journeys and ${rust.size} Rust files (${wholeTestFiles.size} test files and the #[cfg(test)] items of the others) pass`);
