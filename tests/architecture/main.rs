//! Architecture rules for the web layer (`app/server/src`), checked by reading the source.
//!
//! Units are `kit` (bottom layer), `flows` (workflows without HTTP), `shared` (what several
//! capabilities need of cases and drafts), one capability per other folder, and the top-level files
//! ("the wiring"). `kit` imports nothing else, `flows` only `kit`, `shared` only `kit` and `flows`,
//! capabilities never import the wiring nor another capability, and units never import each other
//! in a cycle, and a posted form reaches a handler only through the kit's CSRF-checking extractor. Files stay
//! under 600 lines across the workspace. The scanner is pure (`rules::analyse` over
//! `(path, source)` pairs); the tests here apply it to the tree on disk, `synthetic` to made-up
//! sources so that every rule is seen to fail.
//!
//! Standalone: `rustc --edition 2024 --test tests/architecture/main.rs -o /tmp/archtest` and run
//! with `REPO_ROOT=/path/to/repo` (or from the repository root or `tests/`).

mod globs;
mod graph;
mod handlers;
mod lexer;
mod paths;
mod rules;
mod synthetic;

use std::io;
use std::path::{Path, PathBuf};

use rules::{
    MAX_LINES, analyse, capability_violations, cycle_report, file_graph, flows_violations, kit_violations, largest,
    module_graph, oversized, report, route_literals, shared_violations, unit_graph, wiring_violations,
};

/// The server crate's source folder, relative to the repository root.
const SERVER_SRC: &str = "app/server/src";

/// The UI crate's source folder, whose links are typed paths too.
const UI_SRC: &str = "app/ui/src";

/// Folders whose `.rs` files must respect the line limit.
const SIZED_ROOTS: [&str; 5] = ["app", "platform", "tests", "benches", "fuzz"];

/// Folder names never descended into when collecting source files.
const SKIPPED_DIRS: [&str; 3] = ["node_modules", "target", ".git"];

/// Paths (relative to the repository root) never descended into.
const SKIPPED_PATHS: [&str; 1] = ["tests/e2e"];

/// The repository root: `$REPO_ROOT`, else the parent of this package's manifest folder, else the
/// current directory (or its parent when it is `tests`).
fn repo_root() -> PathBuf {
    if let Some(root) = std::env::var_os("REPO_ROOT") {
        return PathBuf::from(root);
    }
    if let Some(manifest) = option_env!("CARGO_MANIFEST_DIR") {
        return Path::new(manifest).join("..");
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    if cwd.file_name().is_some_and(|n| n == "tests") { cwd.join("..") } else { cwd }
}

/// Every `.rs` file under `root/dir`, as (path relative to `root` with `/` separators, text),
/// sorted by path. A missing `dir` yields nothing.
fn rust_files(root: &Path, dir: &str) -> io::Result<Vec<(String, String)>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(rel) = pending.pop() {
        let full = root.join(&rel);
        if !full.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&full)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = format!("{rel}/{name}");
            if entry.file_type()?.is_dir() {
                if !SKIPPED_DIRS.contains(&name.as_str()) && !SKIPPED_PATHS.contains(&child.as_str()) {
                    pending.push(child);
                }
            } else if Path::new(&name).extension().is_some_and(|e| e == "rs") {
                found.push((child, std::fs::read_to_string(entry.path())?));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// A crate's files below `dir` (its `src`), as (path relative to `dir`, text); never empty.
fn crate_files(dir: &str) -> Vec<(String, String)> {
    let root = repo_root();
    let files = rust_files(&root, dir).expect("read a crate's sources");
    assert!(!files.is_empty(), "no .rs files under {}", root.join(dir).display());
    let prefix = format!("{dir}/");
    files.into_iter().map(|(path, text)| (path.strip_prefix(&prefix).unwrap_or(&path).to_owned(), text)).collect()
}

/// The server crate's files.
fn server_files() -> Vec<(String, String)> {
    crate_files(SERVER_SRC)
}

/// The server crate scanned from disk.
fn server() -> rules::Crate {
    analyse(&format!("{SERVER_SRC}/"), &server_files())
}

/// Every crate of the web layer and the platform (`app/*/src`, `platform/*/src`) scanned from
/// disk, with its source folder.
fn crates() -> Vec<(String, rules::Crate)> {
    let root = repo_root();
    let mut found = Vec::new();
    for parent in ["app", "platform"] {
        let Ok(entries) = std::fs::read_dir(root.join(parent)) else { continue };
        let mut dirs: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| format!("{parent}/{}/src", e.file_name().to_string_lossy()))
            .filter(|d| root.join(d).is_dir())
            .collect();
        dirs.sort();
        for dir in dirs {
            let krate = analyse(&format!("{dir}/"), &crate_files(&dir));
            found.push((dir, krate));
        }
    }
    found
}

/// Every source file subject to the line limit, read from disk.
fn sized_files() -> Vec<(String, String)> {
    let root = repo_root();
    SIZED_ROOTS.iter().flat_map(|dir| rust_files(&root, dir).expect("read source files")).collect()
}

/// Panics with `message` unless it is empty.
fn assert_clean(message: &str) {
    assert!(message.is_empty(), "{message}");
}

#[test]
fn kit_imports_no_other_unit() {
    assert_clean(&report("kit imports another unit", &kit_violations(&server())));
}

#[test]
fn flows_import_only_kit() {
    assert_clean(&report("flows imports a unit other than kit", &flows_violations(&server())));
}

#[test]
fn shared_imports_only_kit_and_flows() {
    assert_clean(&report("shared imports a unit other than kit and flows", &shared_violations(&server())));
}

#[test]
fn capabilities_import_no_other_capability() {
    assert_clean(&report("capability imports another capability", &capability_violations(&server())));
}

#[test]
fn capabilities_import_no_wiring() {
    assert_clean(&report("capability imports the wiring", &wiring_violations(&server())));
}

#[test]
fn units_have_no_import_cycles() {
    assert_clean(&report("import cycle between units", &cycle_report(&unit_graph(&server()))));
}

#[test]
fn kit_flows_and_shared_modules_have_no_cycles() {
    let krate = server();
    let mut found = Vec::new();
    for layer in ["kit", "flows", "shared"] {
        found.extend(cycle_report(&module_graph(&krate, layer)).into_iter().map(|c| format!("{layer}: {c}")));
    }
    assert_clean(&report("import cycle between modules of a layer", &found));
}

#[test]
fn no_two_files_import_each_other() {
    let all = crates();
    assert!(all.len() > 10, "too few crates found under app/ and platform/: {}", all.len());
    let found: Vec<String> = all
        .iter()
        .flat_map(|(dir, krate)| cycle_report(&file_graph(krate)).into_iter().map(move |c| format!("{dir}: {c}")))
        .collect();
    assert_clean(&report("import cycle between files", &found));
}

#[test]
fn routes_are_spelled_only_in_paths_files() {
    let mut found = route_literals(&format!("{SERVER_SRC}/"), &server_files());
    let ui = crate_files(UI_SRC);
    assert!(ui.iter().any(|(rel, _)| rel == "links.rs"), "no links.rs in {UI_SRC}");
    found.extend(route_literals(&format!("{UI_SRC}/"), &ui));
    assert_clean(&report("route literal outside a paths.rs or links.rs", &found));
}

#[test]
fn posted_forms_are_checked_before_their_handlers() {
    assert_clean(&report(
        "body read without the CSRF-checking extractor",
        &handlers::unchecked_bodies(&format!("{SERVER_SRC}/"), &server_files()),
    ));
}

#[test]
fn path_parameters_are_parsed_by_type() {
    assert_clean(&report(
        "path parameter without the kit's Params",
        &handlers::unparsed_paths(&format!("{SERVER_SRC}/"), &server_files()),
    ));
}

#[test]
fn the_unchecked_exceptions_still_exist() {
    let files = server_files();
    for (file, handler, _) in handlers::UNCHECKED_ALLOWED {
        let found = files.iter().any(|(rel, text)| rel == file && text.contains(&format!("async fn {handler}(")));
        assert!(found, "{SERVER_SRC}/{file} has no handler `{handler}`: drop it from UNCHECKED_ALLOWED");
    }
}

#[test]
fn no_source_file_exceeds_600_lines() {
    assert_clean(&report("source file too long", &oversized(&sized_files(), MAX_LINES)));
}

#[test]
fn figures() {
    let files = sized_files();
    let krate = server();
    let unit_cycles = cycle_report(&unit_graph(&krate)).len();
    let module_cycles: usize =
        ["kit", "flows", "shared"].iter().map(|l| cycle_report(&module_graph(&krate, l)).len()).sum();
    println!("scanned {} source files; server units: {}", files.len(), krate.units.len());
    println!("capabilities: {}", krate.capabilities().join(", "));
    println!("largest source files:");
    for (path, lines) in largest(&files, 5) {
        println!("  {lines:>5}  {path}");
    }
    println!("cycles: {unit_cycles} between units, {module_cycles} between kit/flows/shared modules");
    assert!(!files.is_empty(), "no source files were scanned");
    assert!(!krate.capabilities().is_empty(), "no capability folders under {SERVER_SRC}");
}

#[test]
fn the_layered_folders_exist() {
    let root = repo_root();
    let missing: Vec<String> = ["kit/mod.rs", "flows/mod.rs", "shared/mod.rs"]
        .iter()
        .map(|f| format!("{SERVER_SRC}/{f}"))
        .filter(|p| !root.join(p).is_file())
        .collect();
    assert!(missing.is_empty(), "layered folders missing: {}", missing.join(", "));
}
