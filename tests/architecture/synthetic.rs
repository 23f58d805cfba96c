//! The rules applied to made-up sources, so each rule is seen to fail (and not to over-report).

use crate::lexer::strip;
use crate::paths::{module_path, references};
use crate::rules::{
    Crate, Import, analyse, capability_violations, cycle_report, file_graph, flows_violations, kit_violations,
    module_graph, oversized, route_literals, shared_violations, unit_graph, wiring_violations,
};

/// Scans in-memory files given as (path relative to `src`, source).
fn scan(files: &[(&str, &str)]) -> Crate {
    let owned: Vec<(String, String)> = files.iter().map(|(p, t)| ((*p).to_owned(), (*t).to_owned())).collect();
    analyse("src/", &owned)
}

/// The units `from` imports, by the scanner's reckoning.
fn imported_by(krate: &Crate, from: &str) -> Vec<String> {
    let mut units: Vec<String> =
        krate.imports.iter().filter(|i| i.from == from && i.to != from).map(|i| i.to.clone()).collect();
    units.dedup();
    units
}

#[test]
fn kit_importing_a_capability_is_reported() {
    let krate = scan(&[
        ("kit/mod.rs", "pub mod page;\n"),
        ("kit/page.rs", "use std::fmt;\n\nuse crate::payments::Fee;\n"),
        ("payments/mod.rs", "use crate::kit::page;\n"),
    ]);
    let found = kit_violations(&krate);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("src/kit/page.rs:3:") && found[0].contains("`payments`"), "{found:?}");
}

#[test]
fn flows_importing_a_capability_is_reported_but_kit_is_allowed() {
    let krate = scan(&[
        ("kit/mod.rs", "pub mod forms;\n"),
        ("flows/mod.rs", "pub mod payment;\n"),
        ("flows/payment.rs", "use crate::kit::forms;\nfn f() { crate::payments::charge(1); }\n"),
        ("payments/mod.rs", ""),
    ]);
    let found = flows_violations(&krate);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("src/flows/payment.rs:2:") && found[0].contains("crate::payments::charge"),
        "{found:?}"
    );
}

#[test]
fn a_capability_importing_another_is_reported_but_kit_flows_and_shared_are_allowed() {
    let krate = scan(&[
        ("kit/mod.rs", "pub mod links;\n"),
        ("flows/mod.rs", "pub mod filing;\n"),
        ("shared/mod.rs", "pub mod cases;\n"),
        ("shared/cases.rs", "use crate::kit::links;\nuse crate::flows::filing;\n"),
        (
            "documents/mod.rs",
            "use crate::kit::links;\nuse crate::shared::cases::visible_case;\nuse crate::flows::filing;\n\nfn f() { crate::casework::case_page(); }\n",
        ),
        ("casework/mod.rs", "use crate::shared::cases;\n"),
    ]);
    let found = capability_violations(&krate);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("src/documents/mod.rs:5:")
            && found[0].contains("`documents` imports capability `casework`"),
        "{found:?}"
    );
    assert!(shared_violations(&krate).is_empty());
}

#[test]
fn shared_importing_a_capability_is_reported() {
    let krate = scan(&[
        ("kit/mod.rs", ""),
        ("shared/mod.rs", "pub mod cases;\n"),
        ("shared/cases.rs", "use crate::kit::page;\nuse crate::applications::timeline;\n"),
        ("applications/mod.rs", ""),
    ]);
    let found = shared_violations(&krate);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("src/shared/cases.rs:2:") && found[0].contains("`applications`"), "{found:?}");
}

#[test]
fn capability_importing_wiring_is_reported() {
    let krate = scan(&[
        ("lib.rs", "pub mod startup;\npub mod account;\npub fn build_router() {}\n"),
        ("startup.rs", "use crate::account;\n"),
        ("account/mod.rs", "use crate::startup::Application;\nfn f() { crate::build_router(); }\n"),
    ]);
    let found = wiring_violations(&krate);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].contains("`startup`") && found[1].contains("`lib`"), "{found:?}");
}

#[test]
fn mutual_imports_via_group_and_expression_make_a_cycle() {
    let krate = scan(&[
        ("applications/mod.rs", "use crate::{kit::page, payments::{fee, Charge}};\n"),
        ("payments/mod.rs", "pub fn f() {\n    crate::applications::file_case(1);\n}\n"),
        ("kit/mod.rs", ""),
    ]);
    assert_eq!(imported_by(&krate, "applications"), ["kit", "payments"]);
    let found = cycle_report(&unit_graph(&krate));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("applications -> payments -> applications"), "{found:?}");
    assert!(found[0].contains("src/applications/mod.rs:1") && found[0].contains("src/payments/mod.rs:2"), "{found:?}");
}

#[test]
fn a_three_unit_cycle_is_found() {
    let krate = scan(&[
        ("audit/mod.rs", "use crate::casework::Case;\n"),
        ("casework/mod.rs", "use crate::tenants::Tenant;\n"),
        ("tenants/mod.rs", "fn f() -> crate::audit::Entry { todo() }\n"),
        ("access/mod.rs", "use crate::audit::Entry;\n"),
    ]);
    let found = cycle_report(&unit_graph(&krate));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("audit -> casework -> tenants -> audit"), "{found:?}");
}

#[test]
fn wiring_never_forms_a_cycle() {
    let krate =
        scan(&[("startup.rs", "use crate::account;\n"), ("account/mod.rs", "use crate::startup::Application;\n")]);
    assert!(cycle_report(&unit_graph(&krate)).is_empty());
}

#[test]
fn strings_and_comments_do_not_count() {
    let source = concat!(
        "//! Uses crate::payments for fees.\n",
        "/* crate::payments /* nested crate::audit */ still comment crate::access */\n",
        "fn f<'a>(x: &'a str) -> char {\n",
        "    let s = \"crate::payments \\\" crate::audit\";\n",
        "    let r = r#\"crate::payments \" crate::audit\"#;\n",
        "    let b = br\"crate::access\";\n",
        "    let q = '\"'; // crate::payments\n",
        "    let e = '\\''; let u = '\\u{22}';\n",
        "    q\n",
        "}\n",
        "fn g(x: &'static str) -> crate::tenants::Tenant { todo() }\n",
    );
    let found = references(&module_path("kit/page.rs"), source);
    let targets: Vec<String> = found.iter().map(|r| format!("{}:{}", r.line, r.target.join("::"))).collect();
    assert_eq!(targets, ["11:tenants::Tenant"]);
    assert_eq!(strip(source).lines().count(), source.lines().count());
}

#[test]
fn super_from_a_folder_root_reaches_the_crate() {
    let krate = scan(&[
        ("access/mod.rs", "use super::payments::Fee;\nuse super::{kit, flows::filing};\nuse super::Unknown;\n"),
        ("payments/mod.rs", ""),
        ("kit/mod.rs", ""),
        ("flows/mod.rs", ""),
        ("lib.rs", "pub struct Unknown;\n"),
    ]);
    assert_eq!(imported_by(&krate, "access"), ["payments", "kit", "flows", "lib"]);
}

#[test]
fn super_from_a_child_file_stays_in_its_folder() {
    let krate = scan(&[
        ("access/mod.rs", "mod b;\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n"),
        (
            "access/b.rs",
            "use super::foo;\nfn g() { super::foo::bar(); self::h(); }\nmod inner { use super::super::x; }\n",
        ),
        ("access/c/d.rs", "use super::super::y;\nfn h() { super::super::super::payments::f(); }\n"),
        ("payments/mod.rs", ""),
    ]);
    let leaving: Vec<String> = krate.imports.iter().filter(|i| i.to != i.from).map(Import::location).collect();
    assert_eq!(leaving, ["src/access/c/d.rs:2"]);
}

#[test]
fn module_cycles_inside_kit_are_found() {
    let krate = scan(&[
        ("kit/mod.rs", "pub mod a;\npub mod b;\npub mod c;\npub use a::Frame;\n"),
        ("kit/a.rs", "use super::{b::Session, Frame};\n"),
        ("kit/b.rs", "fn f() { crate::kit::a::render(); }\n"),
        ("kit/c.rs", "use super::a;\n"),
        ("flows/mod.rs", "pub mod x;\n"),
        ("flows/x.rs", "use crate::kit::{a, b};\n"),
    ]);
    let found = cycle_report(&module_graph(&krate, "kit"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("a -> b -> a") && found[0].contains("src/kit/b.rs:1"), "{found:?}");
    assert!(cycle_report(&module_graph(&krate, "flows")).is_empty());
    assert!(kit_violations(&krate).is_empty() && flows_violations(&krate).is_empty());
}

#[test]
fn long_files_are_reported_with_their_count() {
    let files = vec![("a.rs".to_owned(), "x\n".repeat(601)), ("b.rs".to_owned(), "x\n".repeat(600))];
    assert_eq!(oversized(&files, 600), ["a.rs: 601 lines (limit 600)"]);
}

#[test]
fn two_sibling_files_importing_each_other_are_a_cycle_but_the_module_tree_and_test_modules_are_not() {
    let krate = scan(&[
        ("forms/mod.rs", "mod editor;\nmod page;\nuse editor::*;\npub use page::show;\n"),
        ("forms/editor.rs", "use super::*;\nuse super::page::Frame;\nuse super::preview::g;\n"),
        ("forms/page.rs", "use super::editor::Op;\nuse super::preview::f;\n"),
        // its test module's reference back to `page` ties no files together; the code after a
        // test module still counts, and ties `preview` to `editor` and back
        (
            "forms/preview.rs",
            "pub fn f() {}\n\n#[cfg(test)]\nmod tests {\n    use super::super::page::Frame;\n}\n\npub fn g() { super::editor::h(); }\n",
        ),
        ("kit/mod.rs", ""),
    ]);
    let found = cycle_report(&file_graph(&krate));
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found[0].starts_with("forms::editor -> forms::page -> forms::editor"), "{found:?}");
    assert!(found.iter().any(|c| c.starts_with("forms::editor -> forms::preview -> forms::editor")), "{found:?}");
    assert!(found[0].contains("src/forms/editor.rs:2") && found[0].contains("src/forms/page.rs:1"), "{found:?}");
}

#[test]
fn route_literals_are_found_outside_paths_files_only() {
    let files: Vec<(String, String)> = [
        ("casework/mod.rs", "fn f() -> String {\n    // \"/verwaltung\" in a comment\n    format!(\"{}?seite=2\", paths::INBOX.path())\n}\nfn g() { see_other(\"/verwaltung/vorgaenge?meine=1\"); let _ = b\"/x\"; let _ = \"/\"; }\n"),
        ("casework/paths.rs", "pub const INBOX: RoutePath = RoutePath(\"/verwaltung/vorgaenge\");\n"),
        ("kit/links.rs", "pub const HOME: RoutePath = RoutePath(\"/konto\");\n"),
        ("access/mod.rs", "fn f() {}\n\n#[cfg(test)]\nmod tests {\n    const P: &str = \"/verwaltung/anmelden\";\n}\n"),
        ("islands.rs", "#[server(prefix = \"/verwaltung/api\")]\npub async fn toggle() {}\n"),
        ("links.rs", "pub const SEARCH: RoutePath = RoutePath(\"/suche\");\n"),
    ]
    .iter()
    .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
    .collect();
    let found = route_literals("src/", &files);
    assert_eq!(found, vec!["src/casework/mod.rs:5: \"/verwaltung/vorgaenge?meine=1\"".to_owned()]);
}

#[test]
fn a_handler_taking_an_unchecked_body_is_reported() {
    let files: Vec<(String, String)> = [
        ("kit/checked.rs", "impl<H> FromRequest<AppState> for Checked<H, Fields> {}\n"),
        ("kit/form.rs", "impl<S> axum::extract::FromRequest<S> for Fields {}\n"),
        (
            "people/mod.rs",
            "async fn ok(State(s): State<AppState>, Path(id): Path<String>, Checked(st, f): Checked<Staff>) {}\n\
             async fn raw(State(s): State<AppState>,\n    f: Fields) {}\n\
             async fn form(State(s): State<AppState>, axum::Form(f): axum::Form<StatusForm>) {}\n\
             async fn maybe(State(s): State<AppState>, p: Result<Posted, AppError>) {}\n\
             async fn helper(state: &AppState, f: Fields, g: &Bytes) {}\n\
             fn routes() { post(move |State(s): State<AppState>, body: Bytes| async move {}); }\n\
             async fn stateless(s: Staff, axum::Form(f): axum::Form<T>) {}\n\
             fn more() { post(|state: State<AppState>, b: String| async move {}); }\n\
             use axum::body::{Bytes as Raw};\n",
        ),
        ("payments/webhooks.rs", "async fn stripe(State(s): State<AppState>, headers: HeaderMap, body: String) {}\n"),
    ]
    .iter()
    .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
    .collect();
    let found = crate::handlers::unchecked_bodies("src/", &files);
    assert_eq!(found.len(), 8, "{found:#?}");
    assert!(found[0].starts_with("src/kit/form.rs:1: implements FromRequest"), "{found:#?}");
    assert!(found[1].starts_with("src/people/mod.rs:3: handler `raw` takes `Fields`"), "{found:#?}");
    assert!(found[2].contains("handler `form` takes `Form`"), "{found:#?}");
    assert!(found[3].contains("handler `maybe` takes `Posted`"), "{found:#?}");
    assert!(found[4].starts_with("src/people/mod.rs:7: handler `closure` takes `Bytes`"), "{found:#?}");
    assert!(found[5].starts_with("src/people/mod.rs:9: handler `closure` takes `String`"), "{found:#?}");
    assert!(found[6].starts_with("src/people/mod.rs:8: `stateless` takes `Form`"), "{found:#?}");
    assert!(found[7].starts_with("src/people/mod.rs:10: `Bytes` renamed"), "{found:#?}");
}

#[test]
fn a_handler_taking_axum_path_is_reported() {
    let files: Vec<(String, String)> = [
        ("kit/registry.rs", "fn r() { post(move |State(s): State<AppState>, Path(p): Path<Vec<(String, String)>>| async move {}); }\n"),
        ("people/mod.rs", "async fn ok(State(s): State<AppState>, Params(id): Params<Uuid>) {}\nasync fn raw(State(s): State<AppState>, Path(id): Path<Uuid>) {}\n"),
    ]
    .iter()
    .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
    .collect();
    let found = crate::handlers::unparsed_paths("src/", &files);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].starts_with("src/people/mod.rs:2: handler `raw` takes `Path`"), "{found:#?}");
}

#[test]
fn siblings_tied_through_their_parents_globs_are_a_cycle_but_shadowing_names_are_not() {
    let krate = scan(&[
        ("casework/mod.rs", "mod inbox;\nmod actions;\nmod notes;\nuse inbox::*;\nuse actions::{act as run};\n"),
        // `list` comes from `inbox` through the parent's glob, `notes` is a sibling module
        ("casework/actions.rs", "use super::*;\npub fn act() {\n    list();\n    notes::add();\n}\n"),
        ("casework/inbox.rs", "use super::*;\npub fn list() {\n    run();\n}\n"),
        // a parameter, a method, a variant and a local binding only share the siblings' names
        (
            "casework/notes.rs",
            "use super::*;\npub enum Kind { list, Other }\npub fn add(run: bool) {\n    if run { x.list(); }\n    let list = 1;\n}\n",
        ),
        ("kit/mod.rs", ""),
    ]);
    let found = cycle_report(&file_graph(&krate));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("casework::actions -> casework::inbox -> casework::actions"), "{found:?}");
    assert!(
        found[0].contains("src/casework/actions.rs:3") && found[0].contains("src/casework/inbox.rs:3"),
        "{found:?}"
    );
    let graph = file_graph(&krate);
    let actions: Vec<&str> = graph.successors("casework::actions").collect();
    assert_eq!(actions, ["casework::inbox", "casework::notes"]);
    assert_eq!(graph.successors("casework::notes").count(), 0);
}
