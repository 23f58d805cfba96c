//! The note under a conditional field: when it is needed, in words.

use super::*;

pub(super) fn condition_note(page: &Page, group: Option<&Field>, c: &Condition, lang: Lang) -> Option<String> {
    let controller = group
        .and_then(|g| g.fields.iter().find(|f| f.id == c.field))
        .or_else(|| page.fields.iter().find(|f| f.id == c.field))?;
    let label = controller.label.get(lang);
    let values = |vs: Vec<&String>| {
        vs.iter()
            .map(|v| format!("„{}“", controller.choice_label(v, lang).unwrap_or_else(|| (*v).clone())))
            .collect::<Vec<_>>()
            .join(&tr(lang, "cases.fields.or"))
    };
    Some(match (&c.equals, c.any_of.is_empty(), &c.not_equals) {
        (Some(e), _, _) => format!("{} „{label}“: {}", tr(lang, "cases.fields.only_if"), values(vec![e])),
        (None, false, _) => {
            format!("{} „{label}“: {}", tr(lang, "cases.fields.only_if"), values(c.any_of.iter().collect()))
        }
        (None, true, Some(n)) => format!(
            "{} „{label}“ {} {}",
            tr(lang, "cases.fields.only_if_field"),
            tr(lang, "cases.fields.is_not"),
            values(vec![n])
        ),
        _ => return None,
    })
}
