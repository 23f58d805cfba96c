//! From the FIM model to the platform's form schema: groups of the schema become pages, groups
//! that repeat become repeatable groups, fields become typed fields with their lengths, ranges,
//! options, labels and help texts, and each keeps its FIM identifier and version. What cannot be
//! mapped goes into the report next to the field it belongs to.

use std::collections::HashSet;

use portal_domain::Localized;
use portal_forms::schema::{Choice, FimRef, Kind, Pattern};
use portal_forms::{Field, FormSchema, Page};

pub use crate::ids::{Ids, named_ids, slug};
use crate::model::{Element, FimField, FimGroup, Ident, Multiplicity};
use crate::{ImportError, Note, Severity};
mod shapes;
use shapes::*;

/// Text fields longer than this become multi-line.
const TEXTAREA_FROM: u32 = 256;
/// Codes of a list up to this many become radio buttons, more a select.
const RADIO_UP_TO: usize = 5;

fn both(de: String, en: String) -> Localized {
    Localized { de, en }
}

fn same(t: &str) -> Localized {
    Localized { de: t.to_owned(), en: t.to_owned() }
}

/// A rule met while mapping, placed once the whole form is known (it may name fields further on).
struct PendingRule {
    rule: crate::model::Rule,
    /// The element the rule is written on.
    owner: Ident,
    /// The schema field of that element, when it became one (a field or a repeatable group).
    own: Option<String>,
}

struct Mapper {
    ids: Ids,
    notes: Vec<Note>,
    rules: Vec<PendingRule>,
}

impl Mapper {
    fn note(&mut self, ident: &Ident, field: Option<&str>, severity: Severity, message: Localized) {
        self.notes.push(Note {
            fim_id: ident.id.clone(),
            fim_version: ident.version.clone(),
            field: field.map(str::to_owned),
            severity,
            message,
        });
    }

    /// Remembers the rules of an element; `own` is the schema field the element became, if any.
    fn rules_of(&mut self, ident: &Ident, rules: &[crate::model::Rule], own: Option<&str>) {
        for r in rules {
            self.rules.push(PendingRule { rule: r.clone(), owner: ident.clone(), own: own.map(str::to_owned) });
        }
    }

    /// Reports every rule: next to its own field; a rule of a group next to the first field it
    /// names; a rule that names elements the form does not have, or names none and belongs to no
    /// field, at the document level (a note next to an unrelated field would vanish when that
    /// field is saved).
    fn place_rules(&mut self, doc: &crate::model::FimDocument, schema: &FormSchema) {
        let mut fim_fields: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
        for f in schema.fields() {
            for x in std::iter::once(f).chain(&f.fields) {
                if let Some(r) = &x.fim {
                    fim_fields.entry(r.id.as_str()).or_insert(x.id.as_str());
                }
            }
        }
        let mut present: HashSet<String> = fim_fields.keys().map(|k| (*k).to_owned()).collect();
        groups_present(&doc.root, &mut present);
        for p in std::mem::take(&mut self.rules) {
            let r = &p.rule;
            let what = [r.text.as_str(), r.script.as_str()]
                .into_iter()
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join(" / Skript: ");
            let (what_de, what_en) =
                if what.is_empty() { ("ohne Text".to_owned(), "no text".to_owned()) } else { (what.clone(), what) };
            let names = named_ids(&format!("{} {}", r.text, r.script));
            let missing: Vec<&str> = names.iter().map(String::as_str).filter(|n| !present.contains(*n)).collect();
            if !missing.is_empty() {
                let list = missing.join(", ");
                self.note(
                    &r.ident,
                    None,
                    Severity::Unmapped,
                    both(
                        format!("Regel {} „{}“ (an {}) nennt Elemente, die nicht im Formular sind: {list}. Nicht übernommen: {what_de}", r.ident.id, r.name, p.owner.id),
                        format!("Rule {} “{}” (on {}) names elements that are not in the form: {list}. Not taken over: {what_en}", r.ident.id, r.name, p.owner.id),
                    ),
                );
                continue;
            }
            let anchor = p
                .own
                .clone()
                .or_else(|| names.iter().find_map(|n| fim_fields.get(n.as_str()).map(|f| (*f).to_owned())));
            self.note(
                &r.ident,
                anchor.as_deref(),
                Severity::Unmapped,
                both(
                    format!("Regel {} „{}“ (an {}) nicht übernommen: {what_de}", r.ident.id, r.name, p.owner.id),
                    format!("Rule {} “{}” (on {}) not taken over: {what_en}", r.ident.id, r.name, p.owner.id),
                ),
            );
        }
    }

    /// A field, or `None` (reported) for what is no input.
    fn field(&mut self, f: &FimField, required: bool, extra_help: &mut Vec<String>) -> Option<Field> {
        let id = slug(if f.name.is_empty() { &f.label } else { &f.name }, &f.ident.id, &mut self.ids);
        match f.feldart.as_str() {
            "label" => {
                let t = if f.content.is_empty() { f.label.clone() } else { f.content.clone() };
                extra_help.push(t);
                self.rules_of(&f.ident, &f.rules, None);
                self.note(
                    &f.ident,
                    None,
                    Severity::Adjusted,
                    both(
                        format!("Hinweistext „{}“ als Hilfetext der Seite übernommen", f.label),
                        format!("Note “{}” taken over as the page's help text", f.label),
                    ),
                );
                return None;
            }
            "hidden" | "locked" => {
                self.rules_of(&f.ident, &f.rules, None);
                self.note(
                    &f.ident,
                    None,
                    Severity::Unmapped,
                    both(
                        format!(
                            "Feld „{}“ ({}) ist nicht zur Eingabe bestimmt und wurde nicht übernommen",
                            f.label, f.feldart
                        ),
                        format!("Field “{}” ({}) is not for input and was not taken over", f.label, f.feldart),
                    ),
                );
                return None;
            }
            _ => {}
        }
        let mut field =
            blank(id.clone(), Kind::Text, same(if f.label.is_empty() { &f.name } else { &f.label }), &f.ident);
        field.help = (!f.help.is_empty()).then(|| same(&f.help));
        field.required = required;
        let values = f.codes.as_ref().map(|c| c.values.as_slice()).unwrap_or_default();
        let select = f.feldart == "select" || !values.is_empty();
        if !matches!(f.feldart.as_str(), "input" | "select" | "") {
            self.note(
                &f.ident,
                Some(&id),
                Severity::Adjusted,
                both(
                    format!("Feldart „{}“ ist unbekannt: als Eingabefeld übernommen", f.feldart),
                    format!("Field kind “{}” is unknown: taken over as an input field", f.feldart),
                ),
            );
        }
        match (select, f.datentyp.as_str()) {
            (true, _) if !values.is_empty() => self.options(f, &id, &mut field, values),
            (true, _) => {
                let reference = f.codes.as_ref().map(|c| c.reference.as_str()).filter(|r| !r.is_empty());
                let (de, en) = match reference {
                    Some(r) => (
                        format!("die Werte der Codeliste {r} stehen nicht im Dokument"),
                        format!("the values of code list {r} are not in the document"),
                    ),
                    None => (
                        "das Dokument nennt weder Werte noch eine Codeliste".to_owned(),
                        "the document names neither values nor a code list".to_owned(),
                    ),
                };
                self.note(
                    &f.ident,
                    Some(&id),
                    Severity::Unmapped,
                    both(
                        format!(
                            "Auswahl „{}“: {de}; als Textfeld übernommen, Werte bitte im Baukasten eintragen",
                            field.label.de
                        ),
                        format!(
                            "Choice “{}”: {en}; taken over as a text field, please enter the values in the builder",
                            field.label.de
                        ),
                    ),
                );
            }
            (false, "date") => field.kind = Kind::Date,
            (false, "bool") => field.kind = Kind::YesNo,
            (false, "num" | "num_int" | "num_currency") => {
                field.kind = Kind::Number;
                field.integer = f.datentyp == "num_int";
                field.min = f.min_value;
                field.max = f.max_value;
            }
            (false, "file" | "obj") => field.kind = Kind::File,
            (false, "text" | "text_latin" | "") => {}
            (false, other) => self.note(
                &f.ident,
                Some(&id),
                Severity::Adjusted,
                both(
                    format!("Datentyp „{other}“ als Text übernommen"),
                    format!("Data type “{other}” taken over as text"),
                ),
            ),
        }
        if field.kind == Kind::Text {
            field.min_length = f.min_length.filter(|n| *n > 0).map(|n| n.min(portal_forms::schema::MAX_LENGTH_CEILING));
            field.max_length = f.max_length.filter(|n| *n > 0).map(|n| n.min(portal_forms::schema::MAX_LENGTH_CEILING));
            if field.max_length.is_some_and(|n| n >= TEXTAREA_FROM) {
                field.kind = Kind::Textarea;
            }
            if let Some(p) = &f.pattern {
                field.pattern = Some(Pattern {
                    regex: p.clone(),
                    message: Localized {
                        de: "Die Eingabe hat nicht das verlangte Format.".into(),
                        en: "The entry does not have the required format.".into(),
                    },
                });
            }
        } else if f.min_length.is_some()
            || f.max_length.is_some()
            || (field.kind != Kind::Number && (f.min_value.is_some() || f.max_value.is_some()))
        {
            self.note(
                &f.ident,
                Some(&id),
                Severity::Adjusted,
                both(
                    "Längen- oder Wertgrenzen passen nicht zum Datentyp und wurden weggelassen".into(),
                    "Length or value limits do not fit the data type and were left out".into(),
                ),
            );
        }
        if f.pattern.is_some() && field.kind != Kind::Text && field.kind != Kind::Textarea {
            self.note(
                &f.ident,
                Some(&id),
                Severity::Unmapped,
                both(
                    "Muster (pattern) nur für Textfelder übernommen".into(),
                    "Patterns are taken over for text fields only".into(),
                ),
            );
        }
        if field.kind == Kind::Textarea && field.pattern.is_some() {
            field.pattern = None;
            self.note(
                &f.ident,
                Some(&id),
                Severity::Unmapped,
                both(
                    "Muster (pattern) für mehrzeilige Texte nicht übernommen".into(),
                    "Pattern of a multi-line text not taken over".into(),
                ),
            );
        }
        // the field alone must pass the loader's checks (a pattern that does not compile or could
        // backtrack exponentially in a browser is dropped and reported)
        if alone_fails(&field) && field.pattern.take().is_some() {
            self.note(&f.ident, Some(&id), Severity::Unmapped, {
                let p = f.pattern.clone().unwrap_or_default();
                both(
                    format!("Muster „{p}“ ist kein sicherer regulärer Ausdruck und wurde nicht übernommen"),
                    format!("Pattern “{p}” is not a safe regular expression and was not taken over"),
                )
            });
        }
        if let (Some(a), Some(b)) = (field.min_length, field.max_length)
            && a > b
        {
            field.min_length = None;
            self.note(
                &f.ident,
                Some(&id),
                Severity::Adjusted,
                both(
                    "Mindestlänge größer als Höchstlänge: Mindestlänge weggelassen".into(),
                    "Minimum length above the maximum length: minimum left out".into(),
                ),
            );
        }
        self.rules_of(&f.ident, &f.rules, Some(&id));
        Some(field)
    }

    /// A choice from the values the document carries: radio buttons for a few, a select for more.
    /// Values that cannot be options (a comma, which separates a checkbox group's answers; the same
    /// code twice; more than the schema allows) are left out and reported.
    fn options(&mut self, f: &FimField, id: &str, field: &mut Field, values: &[(String, String)]) {
        let mut seen = HashSet::new();
        let mut left_out = Vec::new();
        for (code, name) in values {
            if code.contains(',')
                || code.len() > 200
                || field.options.len() >= portal_forms::schema::MAX_OPTIONS
                || !seen.insert(code.clone())
            {
                left_out.push(code.clone());
                continue;
            }
            field.options.push(Choice { value: code.clone(), label: same(if name.is_empty() { code } else { name }) });
        }
        field.kind = if field.options.len() <= RADIO_UP_TO { Kind::Radio } else { Kind::Select };
        if f.feldart != "select" {
            self.note(
                &f.ident,
                Some(id),
                Severity::Adjusted,
                both(
                    format!(
                        "Feld „{}“ ist im Dokument keine Auswahl, hat aber Werte: als Auswahl übernommen",
                        field.label.de
                    ),
                    format!(
                        "Field “{}” is no choice in the document but has values: taken over as a choice",
                        field.label.de
                    ),
                ),
            );
        }
        if !left_out.is_empty() {
            let list = left_out.iter().take(10).cloned().collect::<Vec<_>>().join(", ");
            let more = if left_out.len() > 10 { format!(" (+{})", left_out.len() - 10) } else { String::new() };
            self.note(
                &f.ident,
                Some(id),
                Severity::Unmapped,
                both(
                    format!(
                        "Auswahl „{}“: Werte nicht übernommen (doppelt, mit Komma oder über {} Werte): {list}{more}",
                        field.label.de,
                        portal_forms::schema::MAX_OPTIONS
                    ),
                    format!(
                        "Choice “{}”: values not taken over (twice, with a comma or over {} values): {list}{more}",
                        field.label.de,
                        portal_forms::schema::MAX_OPTIONS
                    ),
                ),
            );
        }
    }

    /// The fields of a group flattened into a page (or into a repeatable group's children when
    /// `in_group`).
    fn flatten(&mut self, g: &FimGroup, required: bool, in_group: bool, out: &mut Vec<Field>, help: &mut Vec<String>) {
        for (m, e) in &g.children {
            let needed = required && m.min >= 1;
            match e {
                Element::Field(f) if m.repeats() && !in_group => {
                    if let Some(inner) = self.field(f, true, help) {
                        let gid = slug(&format!("{}_liste", inner.id), &f.ident.id, &mut self.ids);
                        out.push(self.repeat(gid, &f.ident, &inner.label.de.clone(), *m, needed, vec![inner]));
                    }
                }
                Element::Field(f) => {
                    if m.repeats() {
                        self.note(
                            &f.ident,
                            None,
                            Severity::Adjusted,
                            both(
                                format!("„{}“ wiederholbar innerhalb einer wiederholbaren Gruppe: als einzelnes Feld übernommen", f.label),
                                format!("“{}” repeatable within a repeatable group: taken over as a single field", f.label),
                            ),
                        );
                    }
                    match self.field(f, needed, help) {
                        Some(field) if in_group && field.kind == Kind::File => {
                            self.note(
                                &f.ident,
                                None,
                                Severity::Unmapped,
                                both(
                                    format!("Anhang „{}“ in einer wiederholbaren Gruppe nicht übernommen: Anhänge stehen außerhalb von Gruppen", f.label),
                                    format!("Attachment “{}” in a repeatable group not taken over: attachments stand outside groups", f.label),
                                ),
                            );
                        }
                        Some(field) => out.push(field),
                        None => {}
                    }
                }
                Element::Group(inner) if m.repeats() && !in_group => {
                    let mut children = Vec::new();
                    let mut inner_help = Vec::new();
                    self.flatten(inner, true, true, &mut children, &mut inner_help);
                    help.extend(inner_help);
                    if children.is_empty() {
                        continue;
                    }
                    let gid = slug(
                        if inner.name.is_empty() { &inner.label } else { &inner.name },
                        &inner.ident.id,
                        &mut self.ids,
                    );
                    out.push(self.repeat(gid, &inner.ident, &inner.label, *m, needed, children));
                    self.rules_of(&inner.ident, &inner.rules, out.last().map(|f| f.id.as_str()));
                }
                Element::Group(inner) => {
                    if m.repeats() {
                        self.note(
                            &inner.ident,
                            None,
                            Severity::Adjusted,
                            both(
                                format!(
                                    "Gruppe „{}“ wiederholbar innerhalb einer wiederholbaren Gruppe: einmal übernommen",
                                    inner.label
                                ),
                                format!(
                                    "Group “{}” repeatable within a repeatable group: taken over once",
                                    inner.label
                                ),
                            ),
                        );
                    }
                    if m.min == 0 && required {
                        self.note(
                            &inner.ident,
                            None,
                            Severity::Adjusted,
                            both(
                                format!(
                                    "Gruppe „{}“ ist optional ({}:…): ihre Felder sind keine Pflichtfelder",
                                    inner.label, m.min
                                ),
                                format!(
                                    "Group “{}” is optional ({}:…): its fields are not required",
                                    inner.label, m.min
                                ),
                            ),
                        );
                    }
                    self.flatten(inner, needed, in_group, out, help);
                    // a group flattened into the page is no field of its own: its rules go next to
                    // the fields they name, else to the document
                    self.rules_of(&inner.ident, &inner.rules, None);
                }
            }
        }
    }

    fn repeat(
        &mut self,
        id: String,
        ident: &Ident,
        label: &str,
        m: Multiplicity,
        required: bool,
        fields: Vec<Field>,
    ) -> Field {
        let max = m.max.unwrap_or(portal_forms::schema::DEFAULT_MAX_ITEMS).clamp(1, 50);
        let mut group = blank(id, Kind::Group, same(label), ident);
        group.fields = fields;
        group.min_items = Some(if required { m.min.max(1).min(max) } else { 0 });
        group.max_items = Some(max);
        group
    }
}

/// Maps a parsed document to a draft schema and the report of what was adjusted or left out.
pub fn map(doc: &crate::model::FimDocument) -> Result<(FormSchema, Vec<Note>), ImportError> {
    let mut m = Mapper { ids: Ids::default(), notes: vec![], rules: vec![] };
    let mut page_ids = Ids::default();
    let mut pages: Vec<Page> = Vec::new();
    let mut loose: Vec<Field> = Vec::new();
    let mut loose_help: Vec<String> = Vec::new();
    let flush = |loose: &mut Vec<Field>, help: &mut Vec<String>, pages: &mut Vec<Page>, page_ids: &mut Ids| {
        if loose.is_empty() {
            return;
        }
        let n = pages.len() + 1;
        pages.push(Page {
            id: slug(&format!("weitere_angaben_{n}"), "s", page_ids),
            title: Localized { de: "Weitere Angaben".into(), en: "Further details".into() },
            help: (!help.is_empty()).then(|| same(&help.join(" "))),
            show_if: None,
            fields: std::mem::take(loose),
        });
        help.clear();
    };
    for (mult, e) in &doc.root.children {
        match e {
            Element::Group(g) if !mult.repeats() => {
                flush(&mut loose, &mut loose_help, &mut pages, &mut page_ids);
                let mut fields = Vec::new();
                let mut help = if g.help.is_empty() { vec![] } else { vec![g.help.clone()] };
                if mult.min == 0 {
                    m.note(
                        &g.ident,
                        None,
                        Severity::Adjusted,
                        both(
                            format!("Gruppe „{}“ ist optional: ihre Felder sind keine Pflichtfelder", g.label),
                            format!("Group “{}” is optional: its fields are not required", g.label),
                        ),
                    );
                }
                m.flatten(g, mult.min >= 1, false, &mut fields, &mut help);
                m.rules_of(&g.ident, &g.rules, None);
                if fields.is_empty() {
                    m.note(
                        &g.ident,
                        None,
                        Severity::Unmapped,
                        both(
                            format!("Gruppe „{}“ enthält keine Eingabefelder und wurde nicht übernommen", g.label),
                            format!("Group “{}” has no input fields and was not taken over", g.label),
                        ),
                    );
                    continue;
                }
                pages.push(Page {
                    id: slug(&g.label, &g.ident.id, &mut page_ids),
                    title: same(&g.label),
                    help: (!help.is_empty()).then(|| same(&help.join(" "))),
                    show_if: None,
                    fields,
                });
            }
            _ => {
                let wrapper = FimGroup { children: vec![(*mult, e.clone())], ..FimGroup::default() };
                m.flatten(&wrapper, true, false, &mut loose, &mut loose_help);
            }
        }
    }
    flush(&mut loose, &mut loose_help, &mut pages, &mut page_ids);
    m.rules_of(&doc.root.ident, &doc.root.rules, None);
    if pages.is_empty() {
        // a schema without input fields (a bare Stammdatenschema) gives an empty draft to build on
        m.note(
            &doc.root.ident,
            None,
            Severity::Unmapped,
            both(
                "Das Schema enthält keine Eingabefelder: der Entwurf ist leer".into(),
                "The schema has no input fields: the draft is empty".into(),
            ),
        );
    }
    m.notes.insert(
        0,
        Note {
            fim_id: doc.root.ident.id.clone(),
            fim_version: doc.root.ident.version.clone(),
            field: None,
            severity: Severity::Adjusted,
            message: both(
                "FIM-Schemata sind deutschsprachig: die englischen Texte sind mit den deutschen vorbelegt und als fehlende Übersetzung markiert".into(),
                "FIM schemas are in German: the English texts are filled with the German ones and marked as missing translations".into(),
            ),
        },
    );
    let schema = FormSchema { version: 1, guest: false, pages };
    m.place_rules(doc, &schema);
    if !schema.pages.is_empty() {
        schema
            .check()
            .map_err(|e| ImportError::Invalid(format!("the imported form does not pass the form checks: {e}")))?;
    }
    Ok((schema, m.notes))
}
