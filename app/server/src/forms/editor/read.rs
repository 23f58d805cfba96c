//! Reading a field's edit form: its values, condition and numbers, checked.

use super::*;

pub(super) fn opt(v: &Option<impl ToString>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// The editor's values of a field.
pub(super) fn values_of(f: &Field) -> FormState {
    let mut form = FormState::default();
    let mut set = |k: &str, v: String| {
        form.values.insert(k.to_owned(), v);
    };
    set("id", f.id.clone());
    set("kind", super::super::kind_name(f.kind).to_owned());
    set("label_de", f.label.de.clone());
    set("label_en", f.label.en.clone());
    set("help_de", f.help.as_ref().map(|h| h.de.clone()).unwrap_or_default());
    set("help_en", f.help.as_ref().map(|h| h.en.clone()).unwrap_or_default());
    set("example", opt(&f.example));
    set("required", if f.required { "on".into() } else { String::new() });
    set("min_length", opt(&f.min_length));
    set("max_length", opt(&f.max_length));
    set("min", opt(&f.min));
    set("max", opt(&f.max));
    set("integer", if f.integer { "on".into() } else { String::new() });
    set(
        "date",
        match f.date {
            Some(DateRule::Past) => "past".into(),
            Some(DateRule::Future) => "future".into(),
            None => String::new(),
        },
    );
    set("pattern", f.pattern.as_ref().map(|p| p.regex.clone()).unwrap_or_default());
    set("pattern_de", f.pattern.as_ref().map(|p| p.message.de.clone()).unwrap_or_default());
    set("pattern_en", f.pattern.as_ref().map(|p| p.message.en.clone()).unwrap_or_default());
    set(
        "options",
        f.options
            .iter()
            .map(|o| format!("{} | {} | {}", o.value, o.label.de, o.label.en))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    set("accept", f.accept.iter().map(|t| t.label().to_lowercase()).collect::<Vec<_>>().join(","));
    set("max_kb", opt(&f.max_kb));
    set("min_items", opt(&f.min_items));
    set("max_items", opt(&f.max_items));
    set(
        "prefill",
        f.prefill.and_then(|k| PREFILL.iter().find(|(x, _)| *x == k)).map(|(_, n)| (*n).to_owned()).unwrap_or_default(),
    );
    condition_values(&mut form, f.show_if.as_ref());
    form
}

pub(crate) fn condition_values(form: &mut FormState, c: Option<&Condition>) {
    let (field, op, value) = match c {
        Some(c) => match (&c.equals, c.any_of.is_empty(), &c.not_equals) {
            (Some(v), _, _) => (c.field.clone(), "equals", v.clone()),
            (None, false, _) => (c.field.clone(), "any_of", c.any_of.join(", ")),
            (None, true, Some(v)) => (c.field.clone(), "not_equals", v.clone()),
            _ => (c.field.clone(), "equals", String::new()),
        },
        None => (String::new(), "equals", String::new()),
    };
    form.values.insert("show_field".into(), field);
    form.values.insert("show_op".into(), op.into());
    form.values.insert("show_value".into(), value);
}

/// Reads a condition: none when no field is chosen.
pub(crate) fn read_condition(lang: Lang, f: &Fields, form: &mut FormState) -> Option<Option<Condition>> {
    let field = f.text("show_field");
    if field.is_empty() {
        return Some(None);
    }
    let value = f.text("show_value");
    if value.is_empty() {
        form.errors.insert("show_value".into(), tr(lang, "forms.error_condition_value"));
        return None;
    }
    let mut c = Condition { field, equals: None, any_of: vec![], not_equals: None };
    match f.text("show_op").as_str() {
        "not_equals" => c.not_equals = Some(value),
        "any_of" => c.any_of = value.split(',').map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).collect(),
        _ => c.equals = Some(value),
    }
    Some(Some(c))
}

pub(super) fn number<T: std::str::FromStr>(
    lang: Lang,
    f: &Fields,
    name: &str,
    form: &mut FormState,
) -> Option<Option<T>> {
    let raw = f.text(name).replace(',', ".");
    if raw.is_empty() {
        return Some(None);
    }
    // plain decimal numbers only: no NaN, no infinity, no exponents
    let plain = raw.strip_prefix('-').unwrap_or(&raw);
    let parsed = (!plain.is_empty()
        && plain.len() <= 15
        && plain.chars().all(|c| c.is_ascii_digit() || c == '.')
        && plain.matches('.').count() <= 1)
        .then(|| raw.parse::<T>().ok())
        .flatten();
    match parsed.ok_or(()) {
        Ok(v) => Some(Some(v)),
        Err(_) => {
            form.errors.insert(name.to_owned(), tr(lang, "forms.error_number"));
            None
        }
    }
}

/// Reads the editor's form into a field; errors next to the inputs.
pub(super) fn read_field(lang: Lang, f: &Fields, original: &Field) -> Result<Field, FormState> {
    let mut form = super::super::posted_state(f, &["accept"]);
    let kind = kind_of(&f.text("kind"));
    if kind.is_none() {
        form.errors.insert("kind".into(), tr(lang, "forms.error_kind"));
    }
    let id = f.text("id");
    if !(1..=40).contains(&id.len())
        || !id.starts_with(|c: char| c.is_ascii_lowercase())
        || !id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        form.errors.insert("id".into(), tr(lang, "forms.error_id"));
    }
    let label = texts(lang, f, "label_de", "label_en", &mut form);
    let help = if f.text("help_de").is_empty() {
        Some(None)
    } else {
        texts(lang, f, "help_de", "help_en", &mut form).map(Some)
    };
    let (min_length, max_length) =
        (number::<u32>(lang, f, "min_length", &mut form), number::<u32>(lang, f, "max_length", &mut form));
    let (min, max) = (number::<f64>(lang, f, "min", &mut form), number::<f64>(lang, f, "max", &mut form));
    let (max_kb, min_items, max_items) = (
        number::<u32>(lang, f, "max_kb", &mut form),
        number::<u32>(lang, f, "min_items", &mut form),
        number::<u32>(lang, f, "max_items", &mut form),
    );
    let pattern = match f.text("pattern") {
        p if p.is_empty() => Some(None),
        p => {
            if f.text("pattern_de").is_empty() {
                form.errors.insert("pattern_de".into(), tr(lang, "forms.error_pattern_message"));
                None
            } else {
                texts(lang, f, "pattern_de", "pattern_en", &mut form).map(|message| Some(Pattern { regex: p, message }))
            }
        }
    };
    let mut options = Vec::new();
    for line in f.text("options").lines().map(str::trim).filter(|l| !l.is_empty()) {
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        match parts.as_slice() {
            [value, de, rest @ ..] if !value.is_empty() && !de.is_empty() && rest.len() <= 1 => {
                let en = rest.first().filter(|e| !e.is_empty()).unwrap_or(de);
                options.push(Choice {
                    value: (*value).to_owned(),
                    label: Localized { de: (*de).to_owned(), en: (*en).to_owned() },
                });
            }
            _ => {
                form.errors.insert("options".into(), tr_with(lang, "forms.error_option_line", &[("line", line)]));
                break;
            }
        }
    }
    let accept: Vec<FileType> = f
        .all("accept")
        .iter()
        .filter_map(|a| {
            [FileType::Pdf, FileType::Png, FileType::Jpeg].into_iter().find(|t| t.label().eq_ignore_ascii_case(a))
        })
        .collect();
    let prefill = match f.text("prefill").as_str() {
        "" => Some(None),
        p => match PREFILL.iter().find(|(_, n)| *n == p) {
            Some((k, _)) => Some(Some(*k)),
            None => {
                form.errors.insert("prefill".into(), tr(lang, "forms.error_prefill"));
                None
            }
        },
    };
    let date = match f.text("date").as_str() {
        "past" => Some(DateRule::Past),
        "future" => Some(DateRule::Future),
        _ => None,
    };
    let show_if = read_condition(lang, f, &mut form);
    if form.has_errors() {
        return Err(form);
    }
    let (
        Some(kind),
        Some(label),
        Some(help),
        Some(min_length),
        Some(max_length),
        Some(min),
        Some(max),
        Some(max_kb),
        Some(min_items),
        Some(max_items),
        Some(pattern),
        Some(prefill),
        Some(show_if),
    ) = (kind, label, help, min_length, max_length, min, max, max_kb, min_items, max_items, pattern, prefill, show_if)
    else {
        return Err(form);
    };
    let example = Some(f.text("example")).filter(|e| !e.is_empty());
    Ok(Field {
        id,
        kind,
        label,
        help,
        required: f.text("required") == "on",
        min_length,
        max_length,
        min,
        max,
        integer: f.text("integer") == "on",
        date,
        pattern,
        options,
        prefill,
        show_if,
        example,
        max_kb,
        accept,
        // a group keeps its fields (edited on their own pages); the FIM reference stays with the field
        fields: if kind == Kind::Group { original.fields.clone() } else { vec![] },
        min_items,
        max_items,
        fim: original.fim.clone(),
        // the street directory's rule stays with the field (set in the catalogue's forms)
        directory: original.directory,
    })
}
