//! A Träger's page (its details, facilities and staff, who are invited like all staff with the
//! role of a Träger) and a facility's page (profile, places per care type and start month, links
//! to the ranked lists). Staff of a Träger reach only their own; the youth office changes them.

use crate::kit::checked::Checked;
use crate::kit::office::ObjectPage;
use crate::kit::page::Language;
use crate::kit::params::Params;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use portal_authz::{Action, Resource};
use portal_domain::Lang;
use portal_kita::repo::{self, Program, Scope};
use portal_ui::blocks::{Block, Cell, Field, FieldKind};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext};
use uuid::Uuid;

use super::setup::{
    facility_fields, facility_values, form, parse_facility, parse_provider, provider_fields, with_labels,
};
use super::{care_label, month_text, month_value, parse_month, paths, scope_of, settings_of};
use crate::flows::staff_invite as identity_admin;
use crate::kit::mail::base_url;
use crate::kit::notice::Notice;
use crate::kit::office::{audit, staff_page};
use crate::kit::pipeline::tenant_tx;
use crate::kit::session::Staff;

fn notice_of(lang: Lang, q: Option<String>) -> Vec<Block> {
    match Notice::from_query(q.as_deref()) {
        Some(Notice::Invited) => vec![Block::Notice("success", tr(lang, "kita.staff_invited"))],
        n => n.and_then(|n| n.block(lang)).into_iter().collect(),
    }
}

pub(super) async fn provider_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Params(id): Params<Uuid>,
    q: axum::extract::RawQuery,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Kita, Action::Read)?;
    provider_with(ObjectPage::new(&state, &ctx, lang, &s, id), notice_of(lang, q.0)).await
}

async fn provider_with(
    p: ObjectPage<'_, Uuid, (String, FormState)>,
    mut blocks: Vec<Block>,
) -> Result<Response, AppError> {
    let ObjectPage { state, ctx, lang, staff: s, key: id, again, status } = p;
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    settings_of(&mut tx).await?;
    let scope = scope_of(&mut tx, s).await?;
    let p = repo::providers(&mut tx, &scope).await?.into_iter().find(|p| p.id == id).ok_or_else(AppError::not_found)?;
    let facilities: Vec<repo::Facility> =
        repo::facilities(&mut tx, &scope, false).await?.into_iter().filter(|f| f.provider_id == id).collect();
    let districts = repo::districts(&mut tx).await?;
    let people = repo::provider_staff(&mut tx, id).await?;
    tx.finish().await?;
    let write = s.may(state, Resource::Kita, Action::Write);
    let (again_name, again_form) = again.unwrap_or_default();
    let form_for = |name: &str| if again_name == name { again_form.clone() } else { FormState::default() };
    if write {
        let mut f = form_for("provider");
        for (k, v) in [("name", p.name.clone()), ("kind", p.kind.clone()), ("contact", p.contact.clone())] {
            f.values.entry(k.into()).or_insert(v);
        }
        blocks.push(form(paths::PROVIDER.with(&[&id]), &s.csrf, f, provider_fields(lang), tr(lang, "kita.save")));
    } else {
        blocks.push(Block::Facts(vec![
            (tr(lang, "kita.provider_kind"), tr(lang, &format!("kita.provider_{}", p.kind)), None),
            (tr(lang, "kita.contact"), p.contact.clone(), None),
        ]));
    }
    blocks.push(Block::Table {
        caption: tr(lang, "kita.facilities_title"),
        headers: vec![tr(lang, "kita.facility_name"), tr(lang, "kita.address"), tr(lang, "kita.active")],
        rows: facilities
            .iter()
            .map(|f| {
                vec![
                    Cell::Link(paths::STAFF_FACILITY.with(&[&f.id]), f.name.clone()),
                    Cell::Text(f.address.clone()),
                    Cell::Text(tr(lang, if f.active { "kita.yes" } else { "kita.no" })),
                ]
            })
            .collect(),
        empty: tr(lang, "kita.none"),
    });
    if write {
        let mut f = form_for("facility");
        if again_name != "facility" {
            f.values.insert("scopes".into(), "25, 35, 45".into());
            f.values.insert("languages".into(), "de".into());
            f.values.insert("active".into(), "on".into());
        }
        blocks.push(Block::Heading(tr(lang, "kita.add_facility")));
        blocks.push(form(
            paths::PROVIDER_FACILITY.with(&[&id]),
            &s.csrf,
            f,
            facility_fields(lang, &districts, &[]),
            tr(lang, "kita.add_facility"),
        ));
    }
    blocks.push(Block::Table {
        caption: tr(lang, "kita.provider_staff"),
        headers: vec![tr(lang, "kita.staff_name"), tr(lang, "kita.email"), tr(lang, "kita.status")],
        rows: people
            .iter()
            .map(|(_, email, name, status)| {
                vec![Cell::Text(name.clone()), Cell::Text(email.clone()), Cell::Text(status.clone())]
            })
            .collect(),
        empty: tr(lang, "kita.none"),
    });
    if write {
        let mut f = form_for("staff");
        f.values.insert("role".into(), "kita_provider".into());
        blocks.push(form(
            paths::PROVIDER_STAFF.with(&[&id]),
            &s.csrf,
            f,
            vec![
                Field::new("role", String::new(), FieldKind::Hidden),
                Field::new("email", tr(lang, "kita.email"), FieldKind::Email).required(),
                Field::new("display_name", tr(lang, "kita.staff_name"), FieldKind::Text).required(),
            ],
            tr(lang, "kita.invite_staff"),
        ));
    }
    staff_page(state, ctx, lang, &paths::PROVIDER.with(&[&id]), Some(s), status, p.name.clone(), blocks).await
}

pub(super) async fn save_provider(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Language(lang): Language,
    Params(id): Params<Uuid>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Kita, Action::Write)?;
    let p = match parse_provider(lang, &f, id) {
        Ok(p) => p,
        Err(e) => {
            return provider_with(
                ObjectPage::new(&state, &ctx, lang, &s, id).answer(None, StatusCode::UNPROCESSABLE_ENTITY),
                vec![Block::Notice("error", e)],
            )
            .await;
        }
    };
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    repo::providers(&mut tx, &Scope::All).await?.into_iter().find(|x| x.id == id).ok_or_else(AppError::not_found)?;
    repo::save_provider(&mut tx, &p).await?;
    audit(
        &mut tx,
        &s,
        &ip,
        "kita_setup.provider",
        format!("kita_provider:{id}"),
        serde_json::json!({ "name": p.name, "kind": p.kind }),
    )
    .await?;
    tx.finish().await?;
    Ok(Notice::Saved.redirect(&paths::PROVIDER.with(&[&id])))
}

pub(super) async fn invite_provider_staff(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    headers: HeaderMap,
    Language(lang): Language,
    Params(id): Params<Uuid>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Kita, Action::Write)?;
    // the Jugendamt grants the role of a Träger only; other roles are granted by the tenant admin
    s.require(&state, Resource::Staff, Action::Write)?;
    let inv = match identity_admin::parse_invitation(lang, &f, &["kita_provider"], &[]) {
        Ok(i) => i,
        Err(fs) => {
            return provider_with(
                ObjectPage::new(&state, &ctx, lang, &s, id)
                    .answer(Some(("staff".into(), fs)), StatusCode::UNPROCESSABLE_ENTITY),
                vec![],
            )
            .await;
        }
    };
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    repo::providers(&mut tx, &Scope::All).await?.into_iter().find(|x| x.id == id).ok_or_else(AppError::not_found)?;
    let base = base_url(&state, &ctx.host, &headers);
    match identity_admin::invite(&mut tx, &ctx, &base, lang, &inv).await? {
        Ok(staff) => {
            repo::add_provider_staff(&mut tx, staff, id).await?;
            audit(
                &mut tx,
                &s,
                &ip,
                "staff.invite",
                format!("staff:{staff}"),
                serde_json::json!({ "email": inv.email.as_str(), "role": "kita_provider", "provider": id }),
            )
            .await?;
            tx.finish().await?;
            Ok(Notice::Invited.redirect(&paths::PROVIDER.with(&[&id])))
        }
        Err(()) => {
            tx.finish().await?;
            let mut fs = FormState::default();
            fs.values.insert("email".into(), f.text("email"));
            fs.values.insert("display_name".into(), f.text("display_name"));
            fs.errors.insert("email".into(), tr(lang, "staff.email_taken"));
            provider_with(
                ObjectPage::new(&state, &ctx, lang, &s, id).answer(Some(("staff".into(), fs)), StatusCode::CONFLICT),
                vec![],
            )
            .await
        }
    }
}

pub(super) async fn new_facility(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Language(lang): Language,
    Params(id): Params<Uuid>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Kita, Action::Write)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    repo::providers(&mut tx, &Scope::All).await?.into_iter().find(|x| x.id == id).ok_or_else(AppError::not_found)?;
    let districts = repo::districts(&mut tx).await?;
    let fac = match parse_facility(lang, &f, Uuid::now_v7(), id, &districts) {
        Ok(x) => x,
        Err(fs) => {
            tx.finish().await?;
            return provider_with(
                ObjectPage::new(&state, &ctx, lang, &s, id)
                    .answer(Some(("facility".into(), fs)), StatusCode::UNPROCESSABLE_ENTITY),
                vec![],
            )
            .await;
        }
    };
    repo::save_facility(&mut tx, &fac).await?;
    audit(
        &mut tx,
        &s,
        &ip,
        "kita_setup.facility",
        format!("kita_facility:{}", fac.id),
        serde_json::json!({ "name": fac.name, "provider": id }),
    )
    .await?;
    tx.finish().await?;
    Ok(Notice::Saved.redirect(&paths::STAFF_FACILITY.with(&[&fac.id])))
}

pub(super) async fn facility_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Params(id): Params<Uuid>,
    q: axum::extract::RawQuery,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Kita, Action::Read)?;
    facility_with(ObjectPage::new(&state, &ctx, lang, &s, id), notice_of(lang, q.0)).await
}

async fn facility_with(
    p: ObjectPage<'_, Uuid, (String, FormState)>,
    mut blocks: Vec<Block>,
) -> Result<Response, AppError> {
    let ObjectPage { state, ctx, lang, staff: s, key: id, again, status } = p;
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let settings = settings_of(&mut tx).await?;
    let scope = scope_of(&mut tx, s).await?;
    let fac = repo::facility(&mut tx, &scope, id).await?.ok_or_else(AppError::not_found)?;
    let places: Vec<(Program, i32)> = repo::places(&mut tx, &Scope::Providers(vec![fac.provider_id]))
        .await?
        .into_iter()
        .filter(|(p, _)| p.facility == id)
        .collect();
    let districts = repo::districts(&mut tx).await?;
    let providers = repo::providers(&mut tx, &Scope::All).await?;
    tx.finish().await?;
    let write = s.may(state, Resource::Kita, Action::Write);
    let (again_name, again_form) = again.unwrap_or_default();
    blocks.push(Block::Links(vec![
        (paths::PROVIDER.with(&[&fac.provider_id]), fac.provider_name.clone()),
        (paths::FACILITY.with(&[&id]), tr(lang, "kita.public_profile")),
    ]));
    blocks.push(Block::Table {
        caption: tr(lang, "kita.places_title"),
        headers: vec![
            tr(lang, "kita.care_type"),
            tr(lang, "kita.start_month"),
            tr(lang, "kita.places"),
            tr(lang, "kita.ranked_list"),
        ],
        rows: places
            .iter()
            .map(|(p, n)| {
                vec![
                    Cell::Text(care_label(lang, &p.care_type)),
                    Cell::Text(month_text(lang, p.start_month)),
                    Cell::Text(n.to_string()),
                    Cell::Link(
                        paths::RANKED.with(&[&id, &p.care_type, &month_value(p.start_month)]),
                        tr_with(lang, "kita.open_ranked", &[("care", &care_label(lang, &p.care_type))]),
                    ),
                ]
            })
            .collect(),
        empty: tr(lang, "kita.no_places"),
    });
    if write {
        let mut pf = if again_name == "places" { again_form.clone() } else { FormState::default() };
        pf.values.entry("start_month".into()).or_insert_with(|| month_value(settings.year_start));
        let care: Vec<(String, String)> =
            fac.care_types().iter().map(|c| ((*c).to_owned(), care_label(lang, c))).collect();
        blocks.push(form(
            paths::STAFF_FACILITY_PLACES.with(&[&id]),
            &s.csrf,
            pf,
            vec![
                Field::new("care_type", tr(lang, "kita.care_type"), FieldKind::Select(care)).required(),
                Field::new(
                    "start_month",
                    tr(lang, "kita.start_month"),
                    FieldKind::Select(super::month_options(lang, &settings)),
                )
                .required(),
                Field::new("places", tr(lang, "kita.places"), FieldKind::Text)
                    .required()
                    .hint(tr(lang, "kita.places_hint")),
            ],
            tr(lang, "kita.save_places"),
        ));
        let f = if again_name == "facility" { again_form } else { facility_values(&fac) };
        blocks.push(Block::Heading(tr(lang, "kita.profile")));
        blocks.push(form(
            paths::STAFF_FACILITY.with(&[&id]),
            &s.csrf,
            f,
            facility_fields(lang, &districts, &providers),
            tr(lang, "kita.save"),
        ));
    } else {
        blocks.push(Block::Facts(vec![
            (tr(lang, "kita.address"), fac.address.clone(), None),
            (tr(lang, "kita.opening_hours"), fac.opening_hours.clone(), None),
        ]));
    }
    staff_page(state, ctx, lang, &paths::STAFF_FACILITY.with(&[&id]), Some(s), status, fac.name.clone(), blocks).await
}

pub(super) async fn save_facility(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Language(lang): Language,
    Params(id): Params<Uuid>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Kita, Action::Write)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let old = repo::facility(&mut tx, &Scope::All, id).await?.ok_or_else(AppError::not_found)?;
    let providers = repo::providers(&mut tx, &Scope::All).await?;
    let provider = Uuid::parse_str(&f.text("provider"))
        .ok()
        .filter(|p| providers.iter().any(|x| x.id == *p))
        .unwrap_or(old.provider_id);
    let districts = repo::districts(&mut tx).await?;
    let fac = match parse_facility(lang, &f, id, provider, &districts) {
        Ok(x) => x,
        Err(fs) => {
            tx.finish().await?;
            return facility_with(
                ObjectPage::new(&state, &ctx, lang, &s, id)
                    .answer(Some(("facility".into(), fs)), StatusCode::UNPROCESSABLE_ENTITY),
                vec![],
            )
            .await;
        }
    };
    if portal_kita::repo::allocation::rounds_open(&mut tx).await? && (fac.active != old.active || fac.kind != old.kind)
    {
        tx.finish().await?;
        return facility_with(
            ObjectPage::new(&state, &ctx, lang, &s, id).answer(None, StatusCode::CONFLICT),
            vec![Block::Notice("error", tr(lang, "kita.error_rounds_open"))],
        )
        .await;
    }
    repo::save_facility(&mut tx, &fac).await?;
    audit(
        &mut tx,
        &s,
        &ip,
        "kita_setup.facility",
        format!("kita_facility:{id}"),
        serde_json::json!({ "name": fac.name, "active": fac.active }),
    )
    .await?;
    tx.finish().await?;
    Ok(Notice::Saved.redirect(&paths::STAFF_FACILITY.with(&[&id])))
}

pub(super) async fn save_places(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Language(lang): Language,
    Params(id): Params<Uuid>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Kita, Action::Write)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let settings = settings_of(&mut tx).await?;
    let fac = repo::facility(&mut tx, &Scope::All, id).await?.ok_or_else(AppError::not_found)?;
    let fields = [
        Field::new("care_type", tr(lang, "kita.care_type"), FieldKind::Text),
        Field::new("start_month", tr(lang, "kita.start_month"), FieldKind::Text),
        Field::new("places", tr(lang, "kita.places"), FieldKind::Text),
    ];
    let mut fs = with_labels(FormState::default(), &fields);
    for k in ["care_type", "start_month", "places"] {
        fs.values.insert(k.into(), f.text(k));
    }
    let care = f.text("care_type");
    if !fac.care_types().contains(&care.as_str()) {
        fs.errors.insert("care_type".into(), tr(lang, "kita.error_care_here"));
    }
    let month = parse_month(&f.text("start_month")).filter(|m| settings.in_year(*m));
    if month.is_none() {
        fs.errors.insert("start_month".into(), tr(lang, "kita.error_month_outside_year"));
    }
    let places: i32 = f.text("places").parse().unwrap_or(-1);
    if !(0..=500).contains(&places) {
        fs.errors.insert("places".into(), tr_with(lang, "kita.error_between", &[("min", "0"), ("max", "500")]));
    }
    let (Some(month), true) = (month, fs.errors.is_empty()) else {
        tx.finish().await?;
        return facility_with(
            ObjectPage::new(&state, &ctx, lang, &s, id)
                .answer(Some(("places".into(), fs)), StatusCode::UNPROCESSABLE_ENTITY),
            vec![],
        )
        .await;
    };
    if portal_kita::repo::allocation::rounds_open(&mut tx).await? {
        tx.finish().await?;
        return facility_with(
            ObjectPage::new(&state, &ctx, lang, &s, id).answer(None, StatusCode::CONFLICT),
            vec![Block::Notice("error", tr(lang, "kita.error_rounds_open"))],
        )
        .await;
    }
    let program = Program { facility: id, care_type: care, start_month: month };
    repo::set_places(&mut tx, &program, places).await?;
    audit(
        &mut tx,
        &s,
        &ip,
        "kita_setup.places",
        format!("kita_facility:{id}"),
        serde_json::json!({ "care_type": program.care_type, "start_month": month_value(month), "places": places }),
    )
    .await?;
    tx.finish().await?;
    Ok(Notice::Saved.redirect(&paths::STAFF_FACILITY.with(&[&id])))
}
