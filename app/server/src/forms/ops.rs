//! Changes of a form's schema that the builder page and the field editor both make, without HTTP:
//! a new field with what its kind needs, and moving or removing a field of a group.

use portal_domain::Localized;
use portal_forms::edit::{self, EditError, Op};
use portal_forms::schema::{Choice, Field, FormSchema, Kind};

/// A new field of `kind` with what the kind needs to pass the checks (two options to start a
/// choice, a first field of a group).
pub(super) fn starter_field(id: String, kind: Kind, label: Localized) -> Field {
    let mut f = Field::new(id, kind, label);
    if matches!(kind, Kind::Select | Kind::Radio) {
        f.options = (1..=2)
            .map(|n| Choice {
                value: format!("option_{n}"),
                label: Localized { de: format!("Auswahl {n}"), en: format!("Choice {n}") },
            })
            .collect();
    }
    if kind == Kind::Group {
        f.fields = vec![Field::new("angabe".into(), Kind::Text, Localized { de: "Angabe".into(), en: "Entry".into() })];
        f.min_items = Some(1);
    }
    f
}

/// Moves or removes a field of a group.
pub(super) fn child_op(
    schema: &FormSchema,
    page: usize,
    field: usize,
    child: usize,
    op: &str,
) -> Result<FormSchema, EditError> {
    let mut group = schema.pages.get(page).and_then(|p| p.fields.get(field)).ok_or(EditError::NotFound)?.clone();
    if child >= group.fields.len() {
        return Err(EditError::NotFound);
    }
    match op {
        "child_up" if child > 0 => group.fields.swap(child, child - 1),
        "child_down" if child + 1 < group.fields.len() => group.fields.swap(child, child + 1),
        "child_up" | "child_down" => return Err(EditError::Edge),
        _ => {
            group.fields.remove(child);
        }
    }
    edit::apply(schema, &Op::EditField { page, field, new: group })
}
