//! Set-up by the youth office: the Kita year, deadline and limits, the weighted criteria, the
//! districts with their street directories, the Träger with their staff (invited like all staff,
//! with the role of a Träger), and the facilities with their profile and places. Staff of a Träger
//! see their own Träger and facilities here, read-only.

use crate::kit::checked::Checked;
use crate::kit::office::ObjectPage;
use crate::kit::page::Language;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use portal_authz::{Action, Resource};
use portal_domain::Lang;
use portal_kita::criteria::{Criterion, Kind};
use portal_kita::repo::{self, Facility, Provider, Scope, Settings};
use portal_ui::blocks::{Block, Cell, Field, FieldKind};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext};
use uuid::Uuid;

use super::{date_text, iso_date, parse_date, paths, scope_of};
use crate::kit::form::Fields;
use crate::kit::notice::Notice;
use crate::kit::office::{audit, staff_page};
use crate::kit::pipeline::tenant_tx;
use crate::kit::session::Staff;

pub(super) use crate::kit::form::form_block as form;

pub(super) fn with_labels(mut f: FormState, fields: &[Field]) -> FormState {
    for field in fields {
        f.order.push(field.name.clone());
        f.labels.insert(field.name.clone(), field.label.clone());
    }
    f
}

fn settings_fields(lang: Lang) -> Vec<Field> {
    vec![
        Field::new("year_start", tr(lang, "kita.year_start"), FieldKind::Date)
            .required()
            .hint(tr(lang, "kita.year_start_hint")),
        Field::new("deadline", tr(lang, "kita.deadline"), FieldKind::Date).required(),
        Field::new("max_preferences", tr(lang, "kita.max_preferences"), FieldKind::Text).required(),
        Field::new("accept_days", tr(lang, "kita.accept_days"), FieldKind::Text).required(),
    ]
}

fn provider_kind_options(lang: Lang) -> Vec<(String, String)> {
    repo::PROVIDER_KINDS.iter().map(|k| ((*k).to_owned(), tr(lang, &format!("kita.provider_{k}")))).collect()
}

pub(super) fn provider_fields(lang: Lang) -> Vec<Field> {
    vec![
        Field::new("name", tr(lang, "kita.provider_name"), FieldKind::Text).required(),
        Field::new("kind", tr(lang, "kita.provider_kind"), FieldKind::Select(provider_kind_options(lang))).required(),
        Field::new("contact", tr(lang, "kita.contact"), FieldKind::Text),
    ]
}

pub(super) async fn setup_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    q: axum::extract::RawQuery,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Kita, Action::Read)?;
    let notice = Notice::from_query(q.0.as_deref()).and_then(|n| n.block(lang));
    setup_with(ObjectPage::new(&state, &ctx, lang, &s, ()), notice.into_iter().collect()).await
}

async fn setup_with(p: ObjectPage<'_, (), FormState>, mut blocks: Vec<Block>) -> Result<Response, AppError> {
    let ObjectPage { state, ctx, lang, staff: s, again: settings_form, status, .. } = p;
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let scope = scope_of(&mut tx, s).await?;
    let settings = repo::settings(&mut tx).await?;
    let criteria = repo::criteria(&mut tx).await?;
    let districts = repo::districts(&mut tx).await?;
    let providers = repo::providers(&mut tx, &scope).await?;
    tx.finish().await?;
    let write = s.may(state, Resource::Kita, Action::Write);
    blocks.push(Block::Links(vec![
        (paths::APPLICATIONS.path().into(), tr(lang, "kita.nav_applications")),
        (paths::DUPLICATES.path().into(), tr(lang, "kita.duplicates_title")),
        (paths::ALLOCATION.path().into(), tr(lang, "kita.nav_allocation")),
        (paths::STATISTICS.path().into(), tr(lang, "kita.statistics_title")),
    ]));
    if let Some(st) = &settings {
        blocks.push(Block::Facts(vec![
            (tr(lang, "kita.year_start"), date_text(st.year_start), None),
            (tr(lang, "kita.deadline"), date_text(st.deadline), None),
            (tr(lang, "kita.max_preferences"), st.max_preferences.to_string(), None),
            (tr(lang, "kita.accept_days"), st.accept_days.to_string(), None),
        ]));
    }
    if write {
        let fields = settings_fields(lang);
        let mut f = settings_form.unwrap_or_default();
        let st = settings.clone().unwrap_or(Settings {
            year_start: super::parse_date("2027-08-01").unwrap_or(time::Date::MIN),
            deadline: state.db.clock().today(),
            max_preferences: 5,
            accept_days: 14,
        });
        for (k, v) in [
            ("year_start", iso_date(st.year_start)),
            ("deadline", iso_date(st.deadline)),
            ("max_preferences", st.max_preferences.to_string()),
            ("accept_days", st.accept_days.to_string()),
        ] {
            f.values.entry(k.into()).or_insert(v);
        }
        blocks.push(Block::Heading(tr(lang, "kita.settings_title")));
        blocks.push(form(paths::SETUP_SETTINGS.path().into(), &s.csrf, f, fields, tr(lang, "kita.save")));
    }
    if settings.is_none() {
        return staff_page(
            state,
            ctx,
            lang,
            paths::SETUP.path(),
            Some(s),
            status,
            tr(lang, "kita.setup_title"),
            blocks,
        )
        .await;
    }
    blocks.push(Block::Heading(tr(lang, "kita.criteria_title")));
    blocks.push(Block::Text(tr(lang, "kita.criteria_intro")));
    if write {
        let mut f = FormState::default();
        let fields: Vec<Field> = criteria
            .iter()
            .map(|c| {
                Field::new(
                    &format!("w_{}", c.kind.code()),
                    tr(lang, &format!("kita.criterion_{}", c.kind.code())),
                    FieldKind::Text,
                )
            })
            .collect();
        for c in &criteria {
            f.values.insert(format!("w_{}", c.kind.code()), c.weight.to_string());
        }
        blocks.push(form(paths::SETUP_CRITERIA.path().into(), &s.csrf, f, fields, tr(lang, "kita.save_criteria")));
    } else {
        blocks.push(Block::Facts(
            criteria
                .iter()
                .map(|c| (tr(lang, &format!("kita.criterion_{}", c.kind.code())), c.weight.to_string(), None))
                .collect(),
        ));
    }
    blocks.push(Block::Table {
        caption: tr(lang, "kita.districts_title"),
        headers: vec![tr(lang, "kita.district"), tr(lang, "kita.position"), tr(lang, "kita.streets")],
        rows: districts
            .iter()
            .map(|d| {
                vec![
                    Cell::Text(d.name.clone()),
                    Cell::Text(format!("{:.4}, {:.4}", d.lat, d.lon)),
                    Cell::Text(d.streets.len().to_string()),
                ]
            })
            .collect(),
        empty: tr(lang, "kita.none"),
    });
    if write {
        blocks.push(form(
            paths::SETUP_DISTRICT.path().into(),
            &s.csrf,
            FormState::default(),
            vec![
                Field::new("name", tr(lang, "kita.district"), FieldKind::Text).required(),
                Field::new("position", tr(lang, "kita.position"), FieldKind::Text)
                    .required()
                    .hint(tr(lang, "kita.position_hint")),
                Field::new("streets", tr(lang, "kita.streets"), FieldKind::TextArea)
                    .hint(tr(lang, "kita.streets_hint")),
            ],
            tr(lang, "kita.save_district"),
        ));
    }
    blocks.push(Block::Table {
        caption: tr(lang, "kita.providers_title"),
        headers: vec![tr(lang, "kita.provider_name"), tr(lang, "kita.provider_kind"), tr(lang, "kita.contact")],
        rows: providers
            .iter()
            .map(|p| {
                vec![
                    Cell::Link(paths::PROVIDER.with(&[&p.id]), p.name.clone()),
                    Cell::Text(tr(lang, &format!("kita.provider_{}", p.kind))),
                    Cell::Text(p.contact.clone()),
                ]
            })
            .collect(),
        empty: tr(lang, "kita.none"),
    });
    if write {
        blocks.push(form(
            paths::SETUP_PROVIDER.path().into(),
            &s.csrf,
            FormState::default(),
            provider_fields(lang),
            tr(lang, "kita.add_provider"),
        ));
    }
    staff_page(state, ctx, lang, paths::SETUP.path(), Some(s), status, tr(lang, "kita.setup_title"), blocks).await
}

pub(super) async fn save_settings(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Language(lang): Language,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Kita, Action::Write)?;
    let mut fs = with_labels(FormState::default(), &settings_fields(lang));
    for k in ["year_start", "deadline", "max_preferences", "accept_days"] {
        fs.values.insert(k.into(), f.text(k));
    }
    let year_start = parse_date(&f.text("year_start"));
    if year_start.is_none_or(|d| d.day() != 1) {
        fs.errors.insert("year_start".into(), tr(lang, "kita.error_first_of_month"));
    }
    let deadline = parse_date(&f.text("deadline"));
    if deadline.is_none() {
        fs.errors.insert("deadline".into(), tr(lang, "kita.error_date"));
    }
    let max: i32 = f.text("max_preferences").parse().unwrap_or(0);
    if !(1..=10).contains(&max) {
        fs.errors.insert("max_preferences".into(), tr_with(lang, "kita.error_between", &[("min", "1"), ("max", "10")]));
    }
    let days: i32 = f.text("accept_days").parse().unwrap_or(0);
    if !(1..=60).contains(&days) {
        fs.errors.insert("accept_days".into(), tr_with(lang, "kita.error_between", &[("min", "1"), ("max", "60")]));
    }
    let (Some(year_start), Some(deadline), true) = (year_start, deadline, fs.errors.is_empty()) else {
        return setup_with(
            ObjectPage::new(&state, &ctx, lang, &s, ()).answer(Some(fs), StatusCode::UNPROCESSABLE_ENTITY),
            vec![],
        )
        .await;
    };
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let settings = Settings { year_start, deadline, max_preferences: max, accept_days: days };
    repo::save_settings(&mut tx, &settings).await?;
    audit(
        &mut tx,
        &s,
        &ip,
        "kita_setup.settings",
        "kita:settings".into(),
        serde_json::json!({ "year_start": iso_date(year_start), "deadline": iso_date(deadline), "max_preferences": max, "accept_days": days }),
    )
    .await?;
    tx.finish().await?;
    Ok(Notice::Saved.redirect(paths::SETUP.path()))
}

pub(super) async fn save_criteria(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Language(lang): Language,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Kita, Action::Write)?;
    let mut criteria = Vec::new();
    for k in Kind::ALL {
        match f.text(&format!("w_{}", k.code())).parse::<i32>() {
            Ok(w) if (0..=1000).contains(&w) => criteria.push(Criterion { kind: k, weight: w }),
            _ => {
                return setup_with(
                    ObjectPage::new(&state, &ctx, lang, &s, ()).answer(None, StatusCode::UNPROCESSABLE_ENTITY),
                    vec![Block::Notice("error", tr(lang, "kita.error_weight"))],
                )
                .await;
            }
        }
    }
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    super::settings_of(&mut tx).await?;
    if repo::allocation::rounds_open(&mut tx).await? {
        tx.finish().await?;
        return setup_with(
            ObjectPage::new(&state, &ctx, lang, &s, ()).answer(None, StatusCode::CONFLICT),
            vec![Block::Notice("error", tr(lang, "kita.error_rounds_open"))],
        )
        .await;
    }
    repo::save_criteria(&mut tx, &criteria).await?;
    let detail: serde_json::Map<String, serde_json::Value> =
        criteria.iter().map(|c| (c.kind.code().to_owned(), c.weight.into())).collect();
    audit(&mut tx, &s, &ip, "kita_setup.criteria", "kita:criteria".into(), serde_json::Value::Object(detail)).await?;
    tx.finish().await?;
    Ok(Notice::Saved.redirect(paths::SETUP.path()))
}

/// "49.4447, 7.7690" → (latitude, longitude).
fn parse_position(s: &str) -> Option<(f64, f64)> {
    let (a, b) = s.split_once(',')?;
    let (lat, lon): (f64, f64) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lat, lon))
}

pub(super) async fn save_district(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Language(lang): Language,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Kita, Action::Write)?;
    let name = f.text("name");
    let Some((lat, lon)) = parse_position(&f.text("position")).filter(|_| (1..=80).contains(&name.chars().count()))
    else {
        return setup_with(
            ObjectPage::new(&state, &ctx, lang, &s, ()).answer(None, StatusCode::UNPROCESSABLE_ENTITY),
            vec![Block::Notice("error", tr(lang, "kita.error_district"))],
        )
        .await;
    };
    let streets: Vec<String> =
        f.raw("streets").lines().map(str::trim).filter(|l| !l.is_empty()).take(2000).map(str::to_owned).collect();
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    super::settings_of(&mut tx).await?;
    let id = repo::save_district(&mut tx, &name, lat, lon, &streets).await?;
    audit(
        &mut tx,
        &s,
        &ip,
        "kita_setup.district",
        format!("kita_district:{id}"),
        serde_json::json!({ "name": name, "streets": streets.len() }),
    )
    .await?;
    tx.finish().await?;
    Ok(Notice::Saved.redirect(paths::SETUP.path()))
}

pub(super) fn parse_provider(lang: Lang, f: &Fields, id: Uuid) -> Result<Provider, String> {
    let p = Provider { id, name: f.text("name"), kind: f.text("kind"), contact: f.text("contact") };
    if !(1..=160).contains(&p.name.chars().count())
        || !repo::PROVIDER_KINDS.contains(&p.kind.as_str())
        || p.contact.chars().count() > 300
    {
        return Err(tr(lang, "kita.error_provider"));
    }
    Ok(p)
}

pub(super) async fn new_provider(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Language(lang): Language,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Kita, Action::Write)?;
    let p = match parse_provider(lang, &f, Uuid::now_v7()) {
        Ok(p) => p,
        Err(e) => {
            return setup_with(
                ObjectPage::new(&state, &ctx, lang, &s, ()).answer(None, StatusCode::UNPROCESSABLE_ENTITY),
                vec![Block::Notice("error", e)],
            )
            .await;
        }
    };
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    super::settings_of(&mut tx).await?;
    if repo::providers(&mut tx, &Scope::All).await?.iter().any(|x| x.name == p.name) {
        tx.finish().await?;
        return setup_with(
            ObjectPage::new(&state, &ctx, lang, &s, ()).answer(None, StatusCode::CONFLICT),
            vec![Block::Notice("error", tr(lang, "kita.error_provider_exists"))],
        )
        .await;
    }
    repo::save_provider(&mut tx, &p).await?;
    audit(
        &mut tx,
        &s,
        &ip,
        "kita_setup.provider",
        format!("kita_provider:{}", p.id),
        serde_json::json!({ "name": p.name, "kind": p.kind }),
    )
    .await?;
    tx.finish().await?;
    Ok(Notice::Saved.redirect(&paths::PROVIDER.with(&[&p.id])))
}

pub(super) fn facility_fields(lang: Lang, districts: &[repo::District], providers: &[Provider]) -> Vec<Field> {
    let mut d = vec![(String::new(), tr(lang, "kita.no_choice"))];
    d.extend(districts.iter().map(|x| (x.id.to_string(), x.name.clone())));
    let mut fields = vec![];
    if providers.len() > 1 {
        fields.push(Field::new(
            "provider",
            tr(lang, "kita.provider"),
            FieldKind::Select(providers.iter().map(|p| (p.id.to_string(), p.name.clone())).collect()),
        ));
    }
    fields.extend([
        Field::new("name", tr(lang, "kita.facility_name"), FieldKind::Text).required(),
        Field::new(
            "kind",
            tr(lang, "kita.facility_kind"),
            FieldKind::Select(vec![
                ("kita".into(), tr(lang, "kita.kind_kita")),
                ("tagespflege".into(), tr(lang, "kita.care_tagespflege")),
            ]),
        ),
        Field::new("address", tr(lang, "kita.address"), FieldKind::Text).required(),
        Field::new("district", tr(lang, "kita.district"), FieldKind::Select(d)),
        Field::new("position", tr(lang, "kita.position"), FieldKind::Text).hint(tr(lang, "kita.position_hint")),
        Field::new("opening_hours", tr(lang, "kita.opening_hours"), FieldKind::Text),
        Field::new("scopes", tr(lang, "kita.scopes"), FieldKind::Text).hint(tr(lang, "kita.scopes_hint")),
        Field::new("languages", tr(lang, "kita.languages"), FieldKind::Text).hint(tr(lang, "kita.languages_hint")),
        Field::new("concept", tr(lang, "kita.concept"), FieldKind::TextArea),
        Field::new("meals", tr(lang, "kita.meals"), FieldKind::Text),
        Field::new("accessible", tr(lang, "kita.accessible"), FieldKind::Checkbox),
        Field::new("active", tr(lang, "kita.active"), FieldKind::Checkbox),
    ]);
    fields
}

pub(super) fn facility_values(f: &Facility) -> FormState {
    let mut s = FormState::default();
    for (k, v) in [
        ("provider", f.provider_id.to_string()),
        ("name", f.name.clone()),
        ("kind", f.kind.clone()),
        ("address", f.address.clone()),
        ("district", f.district_id.map(|d| d.to_string()).unwrap_or_default()),
        ("position", f.position.map(|(a, b)| format!("{a:.6}, {b:.6}")).unwrap_or_default()),
        ("opening_hours", f.opening_hours.clone()),
        ("scopes", f.scopes.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")),
        ("languages", f.languages.join(", ")),
        ("concept", f.concept.clone()),
        ("meals", f.meals.clone()),
    ] {
        s.values.insert(k.into(), v);
    }
    if f.accessible {
        s.values.insert("accessible".into(), "on".into());
    }
    if f.active {
        s.values.insert("active".into(), "on".into());
    }
    s
}

/// Reads the facility form; problems next to their fields.
pub(super) fn parse_facility(
    lang: Lang,
    f: &Fields,
    id: Uuid,
    provider: Uuid,
    districts: &[repo::District],
) -> Result<Facility, FormState> {
    let mut fs = with_labels(FormState::default(), &facility_fields(lang, districts, &[]));
    for (k, v) in &f.0 {
        if !k.starts_with('_') {
            fs.values.insert(k.clone(), v.clone());
        }
    }
    let position = match f.text("position") {
        s if s.is_empty() => None,
        s => {
            let p = parse_position(&s);
            if p.is_none() {
                fs.errors.insert("position".into(), tr(lang, "kita.error_position"));
            }
            p
        }
    };
    let scopes: Vec<i32> = f
        .text("scopes")
        .split([',', ' '])
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.trim().parse().ok())
        .filter(|h| (1..=60).contains(h))
        .collect();
    if scopes.is_empty() || scopes.len() > 6 {
        fs.errors.insert("scopes".into(), tr(lang, "kita.error_scopes"));
    }
    let languages: Vec<String> = f
        .text("languages")
        .split([',', ' '])
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty() && s.len() <= 12)
        .collect();
    if languages.is_empty() || languages.len() > 10 {
        fs.errors.insert("languages".into(), tr(lang, "kita.error_languages"));
    }
    let name = f.text("name");
    if !(1..=160).contains(&name.chars().count()) {
        fs.errors.insert("name".into(), tr(lang, "validation.required"));
    }
    let address = f.text("address");
    if address.is_empty() || address.chars().count() > 300 {
        fs.errors.insert("address".into(), tr(lang, "validation.required"));
    }
    if f.raw("concept").chars().count() > 4000
        || f.text("meals").chars().count() > 500
        || f.text("opening_hours").chars().count() > 300
    {
        fs.errors.insert("concept".into(), tr(lang, "kita.error_too_long"));
    }
    let district_id = Uuid::parse_str(&f.text("district")).ok().filter(|d| districts.iter().any(|x| x.id == *d));
    if !fs.errors.is_empty() {
        return Err(fs);
    }
    Ok(Facility {
        id,
        provider_id: provider,
        provider_name: String::new(),
        provider_kind: String::new(),
        name,
        kind: if f.text("kind") == "tagespflege" { "tagespflege".into() } else { "kita".into() },
        address,
        district_id,
        position,
        opening_hours: f.text("opening_hours"),
        scopes,
        concept: f.raw("concept"),
        languages,
        meals: f.text("meals"),
        accessible: f.text("accessible") == "on",
        active: f.text("active") == "on",
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn positions() {
        assert_eq!(super::parse_position("49.4447, 7.7690"), Some((49.4447, 7.769)));
        assert_eq!(super::parse_position("91, 7"), None);
        assert_eq!(super::parse_position("abc"), None);
    }
}
