//! Small judgements on the mapped shapes: whether a group has fields present, a blank field of a kind, whether a field's rule fails on its own.

use super::*;

/// Adds the ids of the groups below `g` that kept at least one field in the form (`present` holds
/// the fields' ids); true when `g` itself did.
pub(super) fn groups_present(g: &FimGroup, present: &mut HashSet<String>) -> bool {
    let mut any = false;
    for (_, e) in &g.children {
        any |= match e {
            Element::Field(f) => present.contains(&f.ident.id),
            Element::Group(inner) => groups_present(inner, present),
        };
    }
    if any && !g.ident.id.is_empty() {
        present.insert(g.ident.id.clone());
    }
    any
}

/// A field with nothing but its id, type, label and FIM reference.
pub(super) fn blank(id: String, kind: Kind, label: Localized, ident: &Ident) -> Field {
    Field { fim: Some(FimRef { id: ident.id.clone(), version: ident.version.clone() }), ..Field::new(id, kind, label) }
}

pub(super) fn alone_fails(f: &Field) -> bool {
    let schema = FormSchema {
        version: 1,
        guest: false,
        pages: vec![Page { id: "p".into(), title: same("p"), help: None, show_if: None, fields: vec![f.clone()] }],
    };
    schema.check().is_err()
}
