//! The units of the server crate and the architecture rules over them, as pure functions of
//! `(path, source text)` pairs.

use std::collections::{BTreeMap, BTreeSet};

use crate::globs;
use crate::graph::{Graph, cycles, describe};
use crate::lexer::{string_literals, strip};
use crate::paths::{Reference, module_path, references};

/// The most lines a source file may have.
pub const MAX_LINES: usize = 600;

/// What a unit is in the layering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `kit/`: the bottom layer.
    Kit,
    /// `flows/`: workflows without HTTP; may use only `kit`.
    Flows,
    /// `shared/`: what several capabilities need of cases and drafts; may use `kit` and `flows`.
    Shared,
    /// Any other folder under `src`.
    Capability,
    /// A top-level file (`main.rs`, `lib.rs`, `startup.rs`, …); may import anything.
    Wiring,
}

/// One path reference from a file into the crate, with the units on both ends.
#[derive(Debug, Clone)]
pub struct Import {
    /// Display path of the referring file.
    pub file: String,
    /// Module path of the referring file (inline modules not included).
    pub module: Vec<String>,
    /// 1-based line of the reference.
    pub line: usize,
    /// Unit of the referring file.
    pub from: String,
    /// Unit the reference lands in.
    pub to: String,
    /// Crate-absolute path referred to.
    pub target: Vec<String>,
    /// Whether the reference lies in one of the file's inline test modules (`#[cfg(test)] mod … {}`).
    pub in_test: bool,
}

impl Import {
    /// `file:line` of the reference.
    pub fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }

    /// The referenced path spelled as `crate::…`.
    fn spelled(&self) -> String {
        std::iter::once("crate").chain(self.target.iter().map(String::as_str)).collect::<Vec<_>>().join("::")
    }
}

/// The scanned crate: its units and every reference found in its files.
#[derive(Debug, Clone)]
pub struct Crate {
    /// Every unit and its kind.
    pub units: BTreeMap<String, Kind>,
    /// Every resolved reference, self-references included.
    pub imports: Vec<Import>,
    /// Module path of every file.
    pub modules: Vec<Vec<String>>,
}

impl Crate {
    /// Kind of `unit`; names that are not units (never produced by `analyse`) count as wiring.
    pub fn kind(&self, unit: &str) -> Kind {
        self.units.get(unit).copied().unwrap_or(Kind::Wiring)
    }

    /// References that leave their own unit.
    fn crossing(&self) -> impl Iterator<Item = &Import> {
        self.imports.iter().filter(|i| i.from != i.to)
    }

    /// Names of the capability units.
    pub fn capabilities(&self) -> Vec<&str> {
        self.units.iter().filter(|(_, k)| **k == Kind::Capability).map(|(n, _)| n.as_str()).collect()
    }
}

/// Scans `files`, given as (path relative to `src` with `/` separators, source text). Display paths
/// in reports are `display_root` followed by the relative path.
pub fn analyse(display_root: &str, files: &[(String, String)]) -> Crate {
    let folders: BTreeSet<&str> = files.iter().filter_map(|(rel, _)| rel.split_once('/').map(|(dir, _)| dir)).collect();
    let unit_of = |rel: &str| -> String {
        let first = rel.split('/').next().unwrap_or(rel);
        first.strip_suffix(".rs").unwrap_or(first).to_owned()
    };
    let units: BTreeMap<String, Kind> = files
        .iter()
        .map(|(rel, _)| {
            let unit = unit_of(rel);
            let kind = match unit.as_str() {
                "kit" => Kind::Kit,
                "flows" => Kind::Flows,
                "shared" => Kind::Shared,
                name if folders.contains(name) => Kind::Capability,
                _ => Kind::Wiring,
            };
            (unit, kind)
        })
        .collect();
    let root = if units.contains_key("lib") || !units.contains_key("main") { "lib" } else { "main" };
    let mut imports = Vec::new();
    let mut modules = Vec::new();
    let mut ties: Vec<Vec<Reference>> = vec![Vec::new(); files.len()];
    for (file, reference) in globs::ties(files) {
        ties[file].push(reference);
    }
    for ((rel, text), ties) in files.iter().zip(ties) {
        let module = module_path(rel);
        let from = unit_of(rel);
        let tests = test_module_spans(text);
        for reference in references(&module, text).into_iter().chain(ties) {
            let in_test = tests.iter().any(|&(first, last)| (first..=last).contains(&reference.line));
            let to = reference
                .target
                .first()
                .filter(|first| units.contains_key(first.as_str()))
                .map_or(root, String::as_str);
            imports.push(Import {
                file: format!("{display_root}{rel}"),
                module: module.clone(),
                line: reference.line,
                from: from.clone(),
                to: to.to_owned(),
                target: reference.target,
                in_test,
            });
        }
        modules.push(module);
    }
    Crate { units, imports, modules }
}

/// The line spans (1-based, inclusive) of the file's inline test modules: `#[cfg(test)]` before
/// `mod name {`, to its matching brace (comments and literals blanked first). A `mod name;` under
/// `#[cfg(test)]` has no span here: its file is scanned as any other.
fn test_module_spans(text: &str) -> Vec<(usize, usize)> {
    let stripped: Vec<char> = strip(text).chars().collect();
    let line_of = |at: usize| 1 + stripped[..at].iter().filter(|&&c| c == '\n').count();
    let mut starts = vec![0];
    starts.extend(stripped.iter().enumerate().filter(|(_, c)| **c == '\n').map(|(i, _)| i + 1));
    let line_text = |n: usize| -> String {
        let from = starts[n];
        let to = starts.get(n + 1).copied().unwrap_or(stripped.len());
        stripped[from..to].iter().collect()
    };
    let mut spans = Vec::new();
    for n in 0..starts.len().saturating_sub(1) {
        if line_text(n).trim() != "#[cfg(test)]" || !line_text(n + 1).trim_start().starts_with("mod ") {
            continue;
        }
        let from = starts[n + 1];
        let Some(open) = stripped[from..]
            .iter()
            .position(|&c| c == '{' || c == ';')
            .map(|p| from + p)
            .filter(|&p| stripped[p] == '{')
        else {
            continue;
        };
        let mut depth = 0usize;
        let mut close = stripped.len().saturating_sub(1);
        for (at, c) in stripped.iter().enumerate().skip(open) {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = at;
                        break;
                    }
                }
                _ => {}
            }
        }
        spans.push((n + 1, line_of(close)));
    }
    spans
}

/// Rule 1: every reference from `kit` to another unit.
pub fn kit_violations(krate: &Crate) -> Vec<String> {
    let offending = krate.crossing().filter(|i| krate.kind(&i.from) == Kind::Kit);
    listed(offending, |i, paths| format!("{}: kit imports `{}` ({paths})", i.location(), i.to))
}

/// Rule 2: every reference from `flows` to a unit other than `kit`.
pub fn flows_violations(krate: &Crate) -> Vec<String> {
    let offending = krate.crossing().filter(|i| krate.kind(&i.from) == Kind::Flows && krate.kind(&i.to) != Kind::Kit);
    listed(offending, |i, paths| format!("{}: flows imports `{}` ({paths})", i.location(), i.to))
}

/// Rule 2b: every reference from `shared` to a unit other than `kit` and `flows`.
pub fn shared_violations(krate: &Crate) -> Vec<String> {
    let offending = krate
        .crossing()
        .filter(|i| krate.kind(&i.from) == Kind::Shared && !matches!(krate.kind(&i.to), Kind::Kit | Kind::Flows));
    listed(offending, |i, paths| format!("{}: shared imports `{}` ({paths})", i.location(), i.to))
}

/// Rule 3b: every reference from a capability to another capability: capabilities are leaves,
/// meeting only in `kit`, `flows` and `shared` (and in the registry the wiring fills).
pub fn capability_violations(krate: &Crate) -> Vec<String> {
    let offending =
        krate.crossing().filter(|i| krate.kind(&i.from) == Kind::Capability && krate.kind(&i.to) == Kind::Capability);
    listed(offending, |i, paths| {
        format!("{}: capability `{}` imports capability `{}` ({paths})", i.location(), i.from, i.to)
    })
}

/// Rule 3: every reference from a capability to a wiring unit (a top-level file or the crate root).
pub fn wiring_violations(krate: &Crate) -> Vec<String> {
    let offending =
        krate.crossing().filter(|i| krate.kind(&i.from) == Kind::Capability && krate.kind(&i.to) == Kind::Wiring);
    listed(offending, |i, paths| {
        format!("{}: capability `{}` imports wiring `{}` ({paths})", i.location(), i.from, i.to)
    })
}

/// One line per offending location and target unit, with the paths referenced there joined.
fn listed<'a>(imports: impl Iterator<Item = &'a Import>, line: impl Fn(&Import, &str) -> String) -> Vec<String> {
    let mut grouped: Vec<(&Import, Vec<String>)> = Vec::new();
    for import in imports {
        match grouped.last_mut() {
            Some((last, paths)) if last.location() == import.location() && last.to == import.to => {
                paths.push(import.spelled());
            }
            _ => grouped.push((import, vec![import.spelled()])),
        }
    }
    grouped.iter().map(|(import, paths)| line(import, &paths.join(", "))).collect()
}

/// The unit graph for rule 4: every unit is a node; edges come from non-wiring units only.
pub fn unit_graph(krate: &Crate) -> Graph {
    let mut graph = Graph::default();
    for unit in krate.units.keys() {
        graph.add_node(unit);
    }
    for i in krate.crossing().filter(|i| krate.kind(&i.from) != Kind::Wiring) {
        graph.add_edge(&i.from, &i.to, i.location());
    }
    graph
}

/// The module graph inside `layer` (`kit`, `flows` or `shared`) for rule 5: nodes are the layer's direct
/// children (files or folders, not its `mod.rs`); an edge is a reference to a sibling child.
pub fn module_graph(krate: &Crate, layer: &str) -> Graph {
    let child = |path: &[String]| -> Option<String> {
        match path {
            [first, second, ..] if first == layer => Some(second.clone()),
            _ => None,
        }
    };
    let children: BTreeSet<String> = krate.modules.iter().filter_map(|m| child(m)).collect();
    let mut graph = Graph::default();
    for c in &children {
        graph.add_node(c);
    }
    for i in &krate.imports {
        if let (Some(from), Some(to)) = (child(&i.module), child(&i.target))
            && children.contains(&to)
        {
            graph.add_edge(&from, &to, i.location());
        }
    }
    graph
}

/// The file graph for rule 7: a node per file (its module path); an edge where a file's code (not
/// its test module) refers into another file that is neither its ancestor nor its descendant (a
/// `mod.rs` declaring and using its children, or a child using `super::*`, is the module tree, not
/// a tie between files). A sibling reached through the parent's names (`use super::*` in a child,
/// `use inbox::*` in the parent) is a tie: `globs::ties` adds those references to the imports.
pub fn file_graph(krate: &Crate) -> Graph {
    let name = |m: &[String]| if m.is_empty() { "crate".to_owned() } else { m.join("::") };
    let mut graph = Graph::default();
    for m in &krate.modules {
        graph.add_node(&name(m));
    }
    for i in krate.imports.iter().filter(|i| !i.in_test) {
        let Some(to) = krate.modules.iter().filter(|m| i.target.starts_with(m)).max_by_key(|m| m.len()) else {
            continue;
        };
        let related = to.starts_with(&i.module) || i.module.starts_with(to);
        if !related {
            graph.add_edge(&name(&i.module), &name(to), i.location());
        }
    }
    graph
}

/// Rules 4, 5 and 7: every elementary cycle of `graph`, described with example locations.
pub fn cycle_report(graph: &Graph) -> Vec<String> {
    cycles(graph).iter().map(|c| describe(graph, c)).collect()
}

/// Rule 8: every route literal — a string literal starting with `/` and a lowercase letter, like
/// `"/verwaltung/vorgaenge"` — in a file other than a `paths.rs`, `kit/links.rs` or the UI crate's
/// `links.rs`, outside its test modules and attributes. Links are built from the typed paths those
/// files define.
pub fn route_literals(display_root: &str, files: &[(String, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (rel, text) in files {
        if rel == "paths.rs" || rel.ends_with("/paths.rs") || rel == "kit/links.rs" || rel == "links.rs" {
            continue;
        }
        let tests = test_module_spans(text);
        let lines: Vec<&str> = text.lines().collect();
        for (line, literal) in string_literals(text) {
            let mut chars = literal.chars();
            let route = chars.next() == Some('/') && chars.next().is_some_and(|c| c.is_ascii_lowercase());
            // an attribute's argument (a server function's prefix) must be a literal
            let attribute = lines.get(line - 1).is_some_and(|l| l.trim_start().starts_with("#["));
            if route && !attribute && !tests.iter().any(|&(first, last)| (first..=last).contains(&line)) {
                found.push(format!("{display_root}{rel}:{line}: \"{literal}\""));
            }
        }
    }
    found
}

/// Number of lines in `text`.
pub fn line_count(text: &str) -> usize {
    text.lines().count()
}

/// Rule 6: every file with more than `limit` lines, as `path: N lines`.
pub fn oversized(files: &[(String, String)], limit: usize) -> Vec<String> {
    files
        .iter()
        .map(|(path, text)| (path, line_count(text)))
        .filter(|&(_, n)| n > limit)
        .map(|(path, n)| format!("{path}: {n} lines (limit {limit})"))
        .collect()
}

/// The `n` largest files by line count, largest first (ties by path).
pub fn largest(files: &[(String, String)], n: usize) -> Vec<(String, usize)> {
    let mut sized: Vec<(String, usize)> = files.iter().map(|(p, t)| (p.clone(), line_count(t))).collect();
    sized.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    sized.truncate(n);
    sized
}

/// A failure message listing every offender of `rule`, or an empty string when there is none.
pub fn report(rule: &str, offenders: &[String]) -> String {
    if offenders.is_empty() {
        return String::new();
    }
    let list: Vec<String> = offenders.iter().map(|o| format!("  - {o}")).collect();
    format!("{rule}: {} offender(s)\n{}", offenders.len(), list.join("\n"))
}
