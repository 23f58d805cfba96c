//! The form builder's operations on a schema: add, change, move (up and down, and to another
//! page), duplicate and delete pages and fields, and the difference between two versions. Every
//! operation gives a schema the loader accepts ([`FormSchema::check`]) or a clear error, and leaves
//! the schema it was given as it was: a draft is never half-changed.

use std::collections::HashSet;

use portal_domain::Localized;

use crate::schema::{Field, FormSchema, Page, SchemaError};

/// One change made in the builder.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// A new page after `after` (at the start when `None`), with its first field.
    AddPage {
        after: Option<usize>,
        id: String,
        title: Localized,
        first: Field,
    },
    /// Title, help and condition of a page.
    EditPage {
        page: usize,
        title: Localized,
        help: Option<Localized>,
        show_if: Option<crate::schema::Condition>,
    },
    RemovePage {
        page: usize,
    },
    /// Up (`-1`) or down (`+1`) by one.
    MovePage {
        page: usize,
        by: i8,
    },
    DuplicatePage {
        page: usize,
    },
    /// A field at `at` of the page (at the end when `None`).
    AddField {
        page: usize,
        at: Option<usize>,
        field: Field,
    },
    /// The field replaced by its new version (its id may change; conditions naming it must follow).
    EditField {
        page: usize,
        field: usize,
        new: Field,
    },
    RemoveField {
        page: usize,
        field: usize,
    },
    /// Up or down by one within the page, or from the page's edge to the neighbouring page.
    MoveField {
        page: usize,
        field: usize,
        by: i8,
    },
    DuplicateField {
        page: usize,
        field: usize,
    },
}

/// Why an operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("there is no such page or field")]
    NotFound,
    #[error("it cannot move further")]
    Edge,
    #[error("the last page of a form cannot be removed")]
    LastPage,
    #[error("{0}")]
    Invalid(String),
}

impl From<SchemaError> for EditError {
    fn from(e: SchemaError) -> Self {
        EditError::Invalid(e.to_string())
    }
}

/// A free id like `base` (`base_kopie`, `base_kopie_2` …), at most 40 characters.
fn copy_id(base: &str, taken: &HashSet<String>) -> String {
    let stem: String = format!("{base}_kopie").chars().take(34).collect();
    let mut candidate = stem.clone();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{stem}_{n}");
        n += 1;
    }
    candidate
}

fn field_ids(s: &FormSchema) -> HashSet<String> {
    s.fields().map(|f| f.id.clone()).collect()
}

fn page_mut(s: &mut FormSchema, p: usize) -> Result<&mut Page, EditError> {
    s.pages.get_mut(p).ok_or(EditError::NotFound)
}

/// Applies an operation: the changed schema, checked as the loader checks it.
pub fn apply(schema: &FormSchema, op: &Op) -> Result<FormSchema, EditError> {
    let mut s = schema.clone();
    let page_count = s.pages.len();
    match op {
        Op::AddPage { after, id, title, first } => {
            let at = match after {
                Some(a) if *a < page_count => a + 1,
                Some(_) => return Err(EditError::NotFound),
                None => 0,
            };
            s.pages.insert(
                at,
                Page { id: id.clone(), title: title.clone(), help: None, show_if: None, fields: vec![first.clone()] },
            );
        }
        Op::EditPage { page, title, help, show_if } => {
            let p = page_mut(&mut s, *page)?;
            p.title = title.clone();
            p.help = help.clone();
            p.show_if = show_if.clone();
        }
        Op::RemovePage { page } => {
            if *page >= page_count {
                return Err(EditError::NotFound);
            }
            if page_count == 1 {
                return Err(EditError::LastPage);
            }
            s.pages.remove(*page);
        }
        Op::MovePage { page, by } => {
            if *page >= page_count {
                return Err(EditError::NotFound);
            }
            let to = page.checked_add_signed(isize::from(*by)).filter(|t| *t < page_count).ok_or(EditError::Edge)?;
            s.pages.swap(*page, to);
        }
        Op::DuplicatePage { page } => {
            let original = s.pages.get(*page).ok_or(EditError::NotFound)?.clone();
            let mut taken = field_ids(&s);
            let page_ids: HashSet<String> = s.pages.iter().map(|p| p.id.clone()).collect();
            let mut copy = original.clone();
            copy.id = copy_id(&original.id, &page_ids);
            copy.title =
                Localized { de: format!("{} (Kopie)", original.title.de), en: format!("{} (copy)", original.title.en) };
            // the copy's fields get new ids; its conditions follow the copies
            let mut renamed = Vec::new();
            for f in &mut copy.fields {
                let new = copy_id(&f.id, &taken);
                taken.insert(new.clone());
                renamed.push((f.id.clone(), new.clone()));
                f.id = new;
            }
            for f in &mut copy.fields {
                if let Some(c) = &mut f.show_if
                    && let Some((_, new)) = renamed.iter().find(|(old, _)| *old == c.field)
                {
                    c.field = new.clone();
                }
            }
            s.pages.insert(page + 1, copy);
        }
        Op::AddField { page, at, field } => {
            let p = page_mut(&mut s, *page)?;
            let at = at.unwrap_or(p.fields.len());
            if at > p.fields.len() {
                return Err(EditError::NotFound);
            }
            p.fields.insert(at, field.clone());
        }
        Op::EditField { page, field, new } => {
            let old_id = s.pages.get(*page).and_then(|p| p.fields.get(*field)).ok_or(EditError::NotFound)?.id.clone();
            s.pages[*page].fields[*field] = new.clone();
            if old_id != new.id {
                // a renamed field: the conditions that named it name it still
                for p in &mut s.pages {
                    if let Some(c) = &mut p.show_if
                        && c.field == old_id
                    {
                        c.field = new.id.clone();
                    }
                    for f in &mut p.fields {
                        if let Some(c) = &mut f.show_if
                            && c.field == old_id
                        {
                            c.field = new.id.clone();
                        }
                    }
                }
            }
        }
        Op::RemoveField { page, field } => {
            let p = page_mut(&mut s, *page)?;
            if *field >= p.fields.len() {
                return Err(EditError::NotFound);
            }
            let removed = p.fields.remove(*field);
            if p.fields.is_empty() {
                return Err(EditError::Invalid(format!(
                    "the page would be empty: remove the page instead of its last field `{}`",
                    removed.id
                )));
            }
        }
        Op::MoveField { page, field, by } => {
            let len = s.pages.get(*page).ok_or(EditError::NotFound)?.fields.len();
            if *field >= len {
                return Err(EditError::NotFound);
            }
            match field.checked_add_signed(isize::from(*by)) {
                Some(to) if to < len => s.pages[*page].fields.swap(*field, to),
                // over the page's edge: to the end of the page before, or the start of the page after
                _ => {
                    let target =
                        page.checked_add_signed(isize::from(*by)).filter(|t| *t < page_count).ok_or(EditError::Edge)?;
                    if len == 1 {
                        return Err(EditError::Invalid(
                            "the page would be empty: move its last field by removing the page".into(),
                        ));
                    }
                    let f = s.pages[*page].fields.remove(*field);
                    if *by < 0 {
                        s.pages[target].fields.push(f);
                    } else {
                        s.pages[target].fields.insert(0, f);
                    }
                }
            }
        }
        Op::DuplicateField { page, field } => {
            let taken = field_ids(&s);
            let p = page_mut(&mut s, *page)?;
            let mut copy = p.fields.get(*field).ok_or(EditError::NotFound)?.clone();
            copy.id = copy_id(&copy.id, &taken);
            copy.label =
                Localized { de: format!("{} (Kopie)", copy.label.de), en: format!("{} (copy)", copy.label.en) };
            copy.fim = None;
            p.fields.insert(field + 1, copy);
        }
    }
    s.check()?;
    Ok(s)
}

/// One difference between two versions of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    PageAdded(String),
    PageRemoved(String),
    PageChanged(String),
    FieldAdded(String),
    FieldRemoved(String),
    /// The field's definition differs (type, texts, rules, options …).
    FieldChanged(String),
    /// Same field, other place (page or position).
    FieldMoved(String),
}

/// What changed from `old` to `new`, pages first, then fields, by id.
pub fn diff(old: &FormSchema, new: &FormSchema) -> Vec<Change> {
    let mut out = Vec::new();
    let old_pages: Vec<&str> = old.pages.iter().map(|p| p.id.as_str()).collect();
    let new_pages: Vec<&str> = new.pages.iter().map(|p| p.id.as_str()).collect();
    for p in &new.pages {
        match old.pages.iter().find(|o| o.id == p.id) {
            None => out.push(Change::PageAdded(p.id.clone())),
            Some(o) if o.title != p.title || o.help != p.help || o.show_if != p.show_if => {
                out.push(Change::PageChanged(p.id.clone()))
            }
            Some(_) => {}
        }
    }
    out.extend(old_pages.iter().filter(|id| !new_pages.contains(id)).map(|id| Change::PageRemoved((*id).to_owned())));
    let place = |s: &FormSchema, id: &str| {
        s.pages.iter().find_map(|p| p.fields.iter().position(|f| f.id == id).map(|fi| (p.id.clone(), fi)))
    };
    for f in new.fields() {
        match old.field(&f.id) {
            None => out.push(Change::FieldAdded(f.id.clone())),
            Some(o) => {
                if o != f {
                    out.push(Change::FieldChanged(f.id.clone()));
                }
                if place(old, &f.id) != place(new, &f.id) {
                    out.push(Change::FieldMoved(f.id.clone()));
                }
            }
        }
    }
    out.extend(old.fields().filter(|f| new.field(&f.id).is_none()).map(|f| Change::FieldRemoved(f.id.clone())));
    out
}

/// Texts without a real English version (empty, or the German text itself, as an import from FIM
/// leaves them): the builder shows each as a missing translation, never as silently empty. Each
/// entry names where the text is (`page eins: title`, `field name: label`, `field kind: option ja`).
pub fn untranslated(schema: &FormSchema) -> Vec<String> {
    let missing =
        |t: &Localized| t.en.trim().is_empty() || (t.en.trim() == t.de.trim() && t.de.chars().any(char::is_alphabetic));
    let mut out = Vec::new();
    let field_texts = |prefix: &str, f: &Field, out: &mut Vec<String>| {
        let mut texts: Vec<(String, &Localized)> = vec![("label".into(), &f.label)];
        if let Some(h) = &f.help {
            texts.push(("help".into(), h));
        }
        if let Some(p) = &f.pattern {
            texts.push(("pattern message".into(), &p.message));
        }
        texts.extend(f.options.iter().map(|o| (format!("option {}", o.value), &o.label)));
        out.extend(
            texts.into_iter().filter(|(_, t)| missing(t)).map(|(what, _)| format!("{prefix}field {}: {what}", f.id)),
        );
    };
    for p in &schema.pages {
        if missing(&p.title) {
            out.push(format!("page {}: title", p.id));
        }
        if p.help.as_ref().is_some_and(missing) {
            out.push(format!("page {}: help", p.id));
        }
        for f in &p.fields {
            field_texts("", f, &mut out);
            for c in &f.fields {
                field_texts(&format!("group {} › ", f.id), c, &mut out);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
