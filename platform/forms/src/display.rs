//! Answers as readable rows, per page: the check-your-answers page, the staff's case view, the PDF
//! receipt and the citizen's copy all show the same.

use portal_domain::Lang;

use crate::answers::{Answers, Value};
use crate::schema::{Field, FormSchema, Kind};
use crate::validate::{page_visible, parse_date, visible};

/// A page of answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub page_index: usize,
    pub title: String,
    /// (input name for the change link, label, value)
    pub rows: Vec<(String, String, String)>,
}

/// One answer as the pages show it (a choice's label, a date as dd.mm.yyyy, an address on one line).
pub fn value_text(field: &Field, v: Option<&Value>, lang: Lang) -> String {
    let none = lang.pick("keine Angabe", "not given");
    let Some(v) = v.filter(|v| !v.is_empty()) else { return none.to_owned() };
    match field.kind {
        Kind::Date => {
            parse_date(v.text()).map_or_else(|| v.text().to_owned(), |(y, m, d)| format!("{d:02}.{m:02}.{y:04}"))
        }
        Kind::Select | Kind::Radio | Kind::YesNo => {
            field.choice_label(v.text(), lang).unwrap_or_else(|| v.text().to_owned())
        }
        Kind::Checkbox if field.options.is_empty() => crate::problem::yes_no(v.text() == "ja", lang).to_owned(),
        Kind::Checkbox => v
            .list()
            .iter()
            .map(|c| field.choice_label(c, lang).unwrap_or_else(|| (*c).to_owned()))
            .collect::<Vec<_>>()
            .join(", "),
        Kind::PostcodeTown => format!("{} {}", v.part("postcode"), v.part("town")).trim().to_owned(),
        Kind::Address => format!("{}, {} {}", v.part("street"), v.part("postcode"), v.part("town")),
        Kind::File => v
            .files()
            .iter()
            .map(|f| format!("{} ({} KB)", f.name, f.size.div_ceil(1024)))
            .collect::<Vec<_>>()
            .join(", "),
        Kind::Iban => {
            let t = v.text();
            t.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
        }
        _ => v.text().to_owned(),
    }
}

/// The visible answers, page by page.
pub fn sections(schema: &FormSchema, answers: &Answers, lang: Lang) -> Vec<Section> {
    let mut out = Vec::new();
    for (i, page) in schema.pages.iter().enumerate() {
        if !page_visible(page, answers) {
            continue;
        }
        let mut rows = Vec::new();
        for field in &page.fields {
            if !visible(field, answers, None) {
                continue;
            }
            if field.kind == Kind::Group {
                let items = answers.get(&field.id).map(|v| v.items().to_vec()).unwrap_or_default();
                if items.is_empty() {
                    rows.push((field.id.clone(), field.label.get(lang).to_owned(), value_text(field, None, lang)));
                }
                for (n, item) in items.iter().enumerate() {
                    for child in &field.fields {
                        if visible(child, answers, Some(item)) {
                            rows.push((
                                format!("{}[{n}].{}", field.id, child.id),
                                format!("{} {} – {}", field.label.get(lang), n + 1, child.label.get(lang)),
                                value_text(child, item.get(&child.id), lang),
                            ));
                        }
                    }
                }
            } else {
                rows.push((
                    field.id.clone(),
                    field.label.get(lang).to_owned(),
                    value_text(field, answers.get(&field.id), lang),
                ));
            }
        }
        out.push(Section { page_index: i, title: page.title.get(lang).to_owned(), rows });
    }
    out
}
