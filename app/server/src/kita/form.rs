//! The application form, shared by parents (`/kita/anmeldung`) and staff entering a paper form:
//! its fields, and the checks that give each problem next to its field (in the parent's language)
//! while keeping everything entered.

use portal_domain::Lang;
use portal_kita::criteria::age_months;
use portal_kita::repo::applications::Draft;
use portal_kita::repo::{District, Facility, Settings};
use portal_ui::blocks::{Field, FieldKind};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use uuid::Uuid;

use super::{care_options, month_options, month_value, parse_date, parse_month};
use crate::kit::form::Fields;

/// The district an application's points are computed from: the address's, where the tenant's
/// street directory (or a district's own street list) knows the street; else the parents' choice.
/// A parent cannot gain the district criterion or a shorter distance by choosing another district.
pub(super) async fn district_for(
    tx: &mut portal_db::TenantTx,
    districts: &[District],
    address: &str,
    chosen: Option<Uuid>,
) -> Result<Option<Uuid>, portal_web::AppError> {
    Ok(address_district(tx, districts, address).await?.or(chosen))
}

/// The district of an address by the street directory, then by the districts' street lists.
pub(super) async fn address_district(
    tx: &mut portal_db::TenantTx,
    districts: &[District],
    address: &str,
) -> Result<Option<Uuid>, portal_web::AppError> {
    let from_directory = portal_tenancy::streets::lookup_line(tx, address).await?.kita_district();
    Ok(from_directory.or_else(|| portal_kita::repo::district_of_address(districts, address).map(|d| d.id)))
}

/// Facilities as options, with "none" first.
fn facility_options(lang: Lang, facilities: &[Facility]) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), tr(lang, "kita.no_choice"))];
    out.extend(facilities.iter().map(|f| (f.id.to_string(), format!("{} ({})", f.name, f.provider_name))));
    out
}

/// The preference fields' names: `pref_1` … `pref_n`.
pub(super) fn pref_name(i: usize) -> String {
    format!("pref_{i}")
}

/// The preference selects only (changing them in the Bürgerkonto).
pub(super) fn preference_fields(lang: Lang, settings: &Settings, facilities: &[Facility]) -> Vec<Field> {
    let options = facility_options(lang, facilities);
    (1..=settings.max_preferences as usize)
        .map(|i| {
            let f = Field::new(
                &pref_name(i),
                tr_with(lang, "kita.preference_n", &[("n", &i.to_string())]),
                FieldKind::Select(options.clone()),
            );
            if i == 1 { f.required().hint(tr(lang, "kita.preference_hint")) } else { f }
        })
        .collect()
}

/// Every field of the application, in page order.
pub(super) fn fields(lang: Lang, settings: &Settings, facilities: &[Facility], districts: &[District]) -> Vec<Field> {
    let mut district_options = vec![(String::new(), tr(lang, "kita.no_choice"))];
    district_options.extend(districts.iter().map(|d| (d.id.to_string(), d.name.clone())));
    let scopes: Vec<(String, String)> = [25, 35, 45]
        .iter()
        .map(|h| (h.to_string(), tr_with(lang, "kita.hours_week", &[("h", &h.to_string())])))
        .collect();
    let working = (0..=2).map(|n| (n.to_string(), tr(lang, &format!("kita.working_{n}")))).collect();
    let mut out = vec![
        Field::new("key", String::new(), FieldKind::Hidden),
        Field::new("child_first", tr(lang, "kita.child_first"), FieldKind::Text).required(),
        Field::new("child_last", tr(lang, "kita.child_last"), FieldKind::Text).required(),
        Field::new("birth_date", tr(lang, "kita.birth_date"), FieldKind::Date).required(),
        Field::new("address", tr(lang, "kita.address"), FieldKind::Text)
            .required()
            .autocomplete("street-address")
            .hint(tr(lang, "kita.address_hint")),
        Field::new("district", tr(lang, "kita.district"), FieldKind::Select(district_options))
            .hint(tr(lang, "kita.district_hint")),
        Field::new("care_type", tr(lang, "kita.care_type"), FieldKind::Select(care_options(lang))).required(),
        Field::new("start_month", tr(lang, "kita.start_month"), FieldKind::Select(month_options(lang, settings)))
            .required(),
        Field::new("scope_hours", tr(lang, "kita.scope"), FieldKind::Select(scopes)).required(),
    ];
    out.extend(preference_fields(lang, settings, facilities));
    out.extend([
        Field::new("working_parents", tr(lang, "kita.working_parents"), FieldKind::Select(working))
            .hint(tr(lang, "kita.criteria_hint")),
        Field::new("single_parent", tr(lang, "kita.single_parent"), FieldKind::Checkbox),
        Field::new("sibling_at", tr(lang, "kita.sibling_at"), FieldKind::Select(facility_options(lang, facilities))),
        Field::new("parent_name", tr(lang, "kita.parent_name"), FieldKind::Text).required().autocomplete("name"),
        Field::new("email", tr(lang, "kita.email"), FieldKind::Email).autocomplete("email"),
        Field::new("phone", tr(lang, "kita.phone"), FieldKind::Tel).autocomplete("tel"),
    ]);
    out
}

/// A fresh form state: the one-time key and the defaults.
pub(super) fn new_state(settings: &Settings) -> FormState {
    let mut f = FormState::default();
    f.values.insert("key".into(), Uuid::new_v4().simple().to_string());
    f.values.insert("start_month".into(), month_value(settings.year_start));
    f.values.insert("scope_hours".into(), "35".into());
    f.values.insert("care_type".into(), "kita".into());
    f.values.insert("working_parents".into(), "2".into());
    f
}

/// Reads and checks the preferences: at most `max`, each a known facility, none twice. Errors go
/// next to the field they are about.
pub(super) fn parse_preferences(
    lang: Lang,
    f: &Fields,
    settings: &Settings,
    facilities: &[Facility],
    form: &mut FormState,
) -> Vec<Uuid> {
    let max = settings.max_preferences as usize;
    let mut prefs = Vec::new();
    for i in 1..=10 {
        let name = pref_name(i);
        let raw = f.text(&name);
        if i <= max {
            form.values.insert(name.clone(), raw.clone());
        }
        if raw.is_empty() {
            continue;
        }
        if i > max {
            // only a crafted request has these: say so on the last field shown
            form.errors.insert(pref_name(max), tr_with(lang, "kita.error_too_many", &[("n", &max.to_string())]));
            continue;
        }
        match Uuid::parse_str(&raw).ok().filter(|id| facilities.iter().any(|x| x.id == *id)) {
            None => {
                form.errors.insert(name, tr(lang, "kita.error_unknown_facility"));
            }
            Some(id) if prefs.contains(&id) => {
                form.errors.insert(name, tr(lang, "kita.error_twice"));
            }
            Some(id) => prefs.push(id),
        }
    }
    if prefs.is_empty() && !form.errors.keys().any(|k| k.starts_with("pref_")) {
        form.errors.insert(pref_name(1), tr(lang, "kita.error_no_preference"));
    }
    prefs
}

/// Reads and checks the whole form. On problems the state carries everything entered and a
/// message next to each field concerned.
pub(super) fn parse(
    lang: Lang,
    f: &Fields,
    settings: &Settings,
    facilities: &[Facility],
    districts: &[District],
    today: time::Date,
) -> Result<Draft, FormState> {
    let mut form = FormState::default();
    for field in fields(lang, settings, facilities, districts) {
        if !matches!(field.kind, FieldKind::Hidden) {
            form.order.push(field.name.clone());
            form.labels.insert(field.name.clone(), field.label.clone());
        }
    }
    for k in [
        "key",
        "child_first",
        "child_last",
        "birth_date",
        "address",
        "district",
        "care_type",
        "start_month",
        "scope_hours",
        "working_parents",
        "sibling_at",
        "parent_name",
        "email",
        "phone",
    ] {
        form.values.insert(k.into(), f.text(k));
    }
    if f.text("single_parent") == "on" {
        form.values.insert("single_parent".into(), "on".into());
    }
    let mut err = |field: &str, key: &str| {
        form.errors.entry(field.to_owned()).or_insert_with(|| tr(lang, key));
    };
    for (field, max) in [("child_first", 100), ("child_last", 100), ("address", 300), ("parent_name", 200)] {
        let v = f.text(field);
        if v.is_empty() {
            err(field, "validation.required");
        } else if v.chars().count() > max {
            err(field, "kita.error_too_long");
        }
    }
    let start = parse_month(&f.text("start_month"));
    match start {
        None => err("start_month", "validation.required"),
        Some(m) if !settings.in_year(m) => err("start_month", "kita.error_month_outside_year"),
        Some(_) => {}
    }
    let birth = parse_date(&f.text("birth_date"));
    match birth {
        None if f.text("birth_date").is_empty() => err("birth_date", "validation.required"),
        None => err("birth_date", "kita.error_date"),
        Some(b) if b > today => err("birth_date", "kita.error_birth_future"),
        Some(b) if age_months(b, start.unwrap_or(settings.year_start)) > 12 * 11 => {
            err("birth_date", "kita.error_too_old")
        }
        Some(_) => {}
    }
    let care = f.text("care_type");
    if !super::CARE_TYPES.contains(&care.as_str()) {
        err("care_type", "validation.required");
    } else if let (Some(b), Some(s)) = (birth, start) {
        let months = age_months(b, s);
        let fits = match care.as_str() {
            "krippe" | "tagespflege" => months < 36,
            "kita" => (30..84).contains(&months),
            _ => months >= 60,
        };
        if !fits {
            err("care_type", "kita.error_care_age");
        }
    }
    let scope: i32 = f.text("scope_hours").parse().unwrap_or(0);
    if !(1..=60).contains(&scope) {
        err("scope_hours", "validation.required");
    }
    let working: i16 = f.text("working_parents").parse().unwrap_or(-1);
    if !(0..=2).contains(&working) {
        err("working_parents", "validation.required");
    }
    let email = f.text("email");
    if !email.is_empty() && portal_identity::Email::parse(&email).is_none() {
        err("email", "validation.email");
    }
    if email.is_empty() && f.text("phone").is_empty() {
        err("email", "kita.error_contact");
    }
    if f.text("phone").chars().count() > 40 {
        err("phone", "kita.error_too_long");
    }
    let district = match f.text("district") {
        s if s.is_empty() => None,
        s => match Uuid::parse_str(&s).ok().filter(|id| districts.iter().any(|d| d.id == *id)) {
            Some(id) => Some(id),
            None => {
                err("district", "kita.error_unknown_district");
                None
            }
        },
    };
    let sibling = match f.text("sibling_at") {
        s if s.is_empty() => vec![],
        s => match Uuid::parse_str(&s).ok().filter(|id| facilities.iter().any(|x| x.id == *id)) {
            Some(id) => vec![id],
            None => {
                err("sibling_at", "kita.error_unknown_facility");
                vec![]
            }
        },
    };
    let preferences = parse_preferences(lang, f, settings, facilities, &mut form);
    if f.text("key").is_empty() {
        form.values.insert("key".into(), Uuid::new_v4().simple().to_string());
    }
    if !form.errors.is_empty() {
        return Err(form);
    }
    Ok(Draft {
        child_first: f.text("child_first"),
        child_last: f.text("child_last"),
        birth_date: birth,
        address: f.text("address"),
        district_id: district,
        care_type: care,
        start_month: start,
        scope_hours: scope,
        working_parents: working,
        single_parent: f.text("single_parent") == "on",
        siblings_at: sibling,
        parent_name: f.text("parent_name"),
        email,
        phone: f.text("phone"),
        preferences,
    })
}
