//! The checks a form schema passes before it is saved or published: ids, texts, conditions, each field's settings.

use super::*;

pub(super) fn check_condition(what: &str, c: &Condition, earlier: &[&Field]) -> Result<(), SchemaError> {
    let Some(target) = earlier.iter().find(|f| f.id == c.field) else {
        return Err(bad(format!("{what}: condition names `{}`, which is not an earlier field", c.field)));
    };
    if matches!(target.kind, Kind::Group | Kind::File) {
        return Err(bad(format!("{what}: a condition cannot depend on `{}` ({:?})", c.field, target.kind)));
    }
    let forms =
        usize::from(c.equals.is_some()) + usize::from(!c.any_of.is_empty()) + usize::from(c.not_equals.is_some());
    if forms != 1 {
        return Err(bad(format!("{what}: a condition needs exactly one of equals, any_of, not_equals")));
    }
    Ok(())
}

pub(super) fn check_field(f: &Field, earlier: &[&Field], in_group: bool) -> Result<(), SchemaError> {
    let what = format!("field `{}`", f.id);
    if !valid_id(&f.id) {
        return Err(bad(format!("{what}: ids are lower-case letters, digits and _ (at most 40)")));
    }
    texts(&format!("{what} label"), &f.label)?;
    if let Some(h) = &f.help {
        texts(&format!("{what} help"), h)?;
    }
    if let Some(c) = &f.show_if {
        check_condition(&what, c, earlier)?;
    }
    let choices = matches!(f.kind, Kind::Select | Kind::Radio) || (f.kind == Kind::Checkbox && !f.options.is_empty());
    if matches!(f.kind, Kind::Select | Kind::Radio) && f.options.is_empty() {
        return Err(bad(format!("{what}: a {:?} field needs options", f.kind)));
    }
    if !choices && !f.options.is_empty() {
        return Err(bad(format!("{what}: only select, radio and checkbox fields have options")));
    }
    if f.options.len() > MAX_OPTIONS {
        return Err(bad(format!("{what}: at most {MAX_OPTIONS} options")));
    }
    if f.example.as_ref().is_some_and(|e| e.chars().count() > MAX_TEXT) || f.options.iter().any(|o| o.value.len() > 200)
    {
        return Err(bad(format!("{what}: the example or an option value is too long")));
    }
    if f.show_if.as_ref().is_some_and(|c| {
        c.any_of.len() > MAX_OPTIONS || c.equals.iter().chain(&c.not_equals).chain(&c.any_of).any(|v| v.len() > 200)
    }) {
        return Err(bad(format!("{what}: the condition's values are too many or too long")));
    }
    let mut values = HashSet::new();
    for o in &f.options {
        if o.value.is_empty() || o.value.contains(',') || !values.insert(o.value.as_str()) {
            return Err(bad(format!("{what}: option value `{}` is empty, has a comma or is used twice", o.value)));
        }
        texts(&format!("{what} option `{}`", o.value), &o.label)?;
    }
    if let (Some(a), Some(b)) = (f.min_length, f.max_length)
        && a > b
    {
        return Err(bad(format!("{what}: min_length is larger than max_length")));
    }
    if f.min_length.into_iter().chain(f.max_length).any(|n| n > MAX_LENGTH_CEILING) {
        return Err(bad(format!("{what}: lengths are at most {MAX_LENGTH_CEILING}")));
    }
    if f.min_items.into_iter().chain(f.max_items).any(|n| n > MAX_ITEMS_CEILING) {
        return Err(bad(format!("{what}: min_items and max_items are at most {MAX_ITEMS_CEILING}")));
    }
    if f.min.into_iter().chain(f.max).any(|n| !n.is_finite()) {
        return Err(bad(format!("{what}: min and max are finite numbers")));
    }
    if let (Some(a), Some(b)) = (f.min, f.max)
        && a > b
    {
        return Err(bad(format!("{what}: min is larger than max")));
    }
    if let (Some(a), Some(b)) = (f.min_items, f.max_items)
        && a > b
    {
        return Err(bad(format!("{what}: min_items is larger than max_items")));
    }
    if (f.min.is_some() || f.max.is_some() || f.integer) && f.kind != Kind::Number {
        return Err(bad(format!("{what}: min, max and integer belong to number fields")));
    }
    if f.date.is_some() && f.kind != Kind::Date {
        return Err(bad(format!("{what}: a date rule belongs to date fields")));
    }
    if (f.max_kb.is_some() || !f.accept.is_empty()) && f.kind != Kind::File {
        return Err(bad(format!("{what}: max_kb and accept belong to file fields")));
    }
    if f.max_kb.is_some_and(|k| k == 0 || k > MAX_KB_CEILING) {
        return Err(bad(format!("{what}: max_kb must be between 1 and {MAX_KB_CEILING}")));
    }
    if let Some(p) = &f.pattern {
        if !matches!(f.kind, Kind::Text | Kind::Phone) {
            return Err(bad(format!("{what}: patterns belong to text and phone fields")));
        }
        if p.regex.len() > 300 || !pattern_compiles(&p.regex) {
            return Err(bad(format!("{what}: the pattern is not a valid regular expression")));
        }
        if !pattern_is_safe(&p.regex) {
            return Err(bad(format!(
                "{what}: the pattern could take exponential time in a browser (a repetition inside a repetition, or a repeated choice whose branches can start alike); write it without nested or overlapping repetition"
            )));
        }
        texts(&format!("{what} pattern message"), &p.message)?;
    }
    if let Some(key) = f.prefill {
        let fits = match key {
            PrefillKey::Address => f.kind == Kind::Address,
            PrefillKey::BirthDate => f.kind == Kind::Date,
            PrefillKey::Email => f.kind == Kind::Email,
            PrefillKey::Phone => f.kind == Kind::Phone,
            _ => matches!(f.kind, Kind::Text),
        };
        if !fits {
            return Err(bad(format!("{what}: prefill {key:?} does not fit a {:?} field", f.kind)));
        }
    }
    match f.directory {
        Some(DirectoryRule::InTown) if f.kind != Kind::Address || in_group => {
            return Err(bad(format!("{what}: directory = \"in_town\" belongs to an address field outside groups")));
        }
        Some(DirectoryRule::ParkingZone) if f.kind != Kind::Select || in_group => {
            return Err(bad(format!("{what}: directory = \"parking_zone\" belongs to a select field outside groups")));
        }
        _ => {}
    }
    match f.kind {
        Kind::Group => {
            if in_group {
                return Err(bad(format!("{what}: groups cannot be nested")));
            }
            if f.fields.is_empty() {
                return Err(bad(format!("{what}: a group needs fields")));
            }
            let mut inner: Vec<&Field> = earlier.to_vec();
            let mut ids = HashSet::new();
            for child in &f.fields {
                if !ids.insert(child.id.as_str()) {
                    return Err(bad(format!("{what}: child id `{}` is used twice", child.id)));
                }
                if child.kind == Kind::File {
                    return Err(bad(format!("{what}: attachments belong outside groups")));
                }
                if child.prefill.is_some() {
                    return Err(bad(format!("{what}: fields in groups are not prefilled")));
                }
                check_field(child, &inner, true)?;
                inner.push(child);
            }
        }
        _ if !f.fields.is_empty() => return Err(bad(format!("{what}: only groups have child fields"))),
        _ => {}
    }
    Ok(())
}

#[cfg(not(target_arch = "wasm32"))]
pub(super) fn pattern_compiles(regex: &str) -> bool {
    crate::redos::build_pattern(regex).is_ok()
}

#[cfg(not(target_arch = "wasm32"))]
pub(super) fn pattern_is_safe(regex: &str) -> bool {
    crate::redos::pattern_is_safe(regex)
}

/// Schemas are checked on the server; the browser only reads checked ones.
#[cfg(target_arch = "wasm32")]
pub(super) fn pattern_compiles(_regex: &str) -> bool {
    true
}

#[cfg(target_arch = "wasm32")]
pub(super) fn pattern_is_safe(_regex: &str) -> bool {
    true
}
