//! The daily work of the youth office and the Träger: the applications (in the Träger's scope for
//! its staff), entering a paper application, the social criteria, the duplicate candidates with
//! merge or "distinct", and a program's ranked list where a Träger may put a child ahead only with
//! a recorded reason.

use crate::kit::checked::Checked;
use crate::kit::page::Language;
use crate::kit::params::Params;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use portal_authz::{Action, Resource};
use portal_domain::Lang;
use portal_kita::repo::applications::{self, Application, MergeRefused, Origin};
use portal_kita::repo::{self, Program, Scope, allocation, stats};
use portal_ui::blocks::{Block, Button, Cell, Field, FieldKind, FormSpec};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext};
use uuid::Uuid;

use super::{care_label, date_text, month_text, parse_month, paths, scope_of, settings_of};
use crate::kit::form::{form_again, parse_urlencoded};
use crate::kit::mail::base_url;
use crate::kit::notice::Notice;
use crate::kit::office::{audit, staff_page};
use crate::kit::pipeline::tenant_tx;
use crate::kit::session::Staff;
mod paper;
mod ranking;
pub(super) use paper::*;
pub(super) use ranking::*;

fn notice(lang: Lang, q: Option<String>) -> Vec<Block> {
    Notice::from_query(q.as_deref()).and_then(|n| n.block(lang)).into_iter().collect()
}

pub(super) async fn applications(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Kita, Action::Read)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    settings_of(&mut tx).await?;
    let scope = scope_of(&mut tx, &s).await?;
    let apps = applications::list(&mut tx, &scope, None, 500).await?;
    let facilities = repo::facilities(&mut tx, &scope, false).await?;
    tx.finish().await?;
    let mut blocks = notice(lang, q);
    let mut links = vec![];
    if s.may(&state, Resource::Kita, Action::Process) {
        links.push((paths::PAPER.path().into(), tr(lang, "kita.paper_title")));
        links.push((paths::DUPLICATES.path().into(), tr(lang, "kita.duplicates_title")));
    }
    links.extend(facilities.iter().map(|f| (paths::STAFF_FACILITY.with(&[&f.id]), f.name.clone())));
    blocks.push(Block::Links(links));
    blocks.push(Block::Table {
        caption: tr_with(lang, "kita.applications_count", &[("n", &apps.len().to_string())]),
        headers: vec![
            tr(lang, "kita.number"),
            tr(lang, "kita.child"),
            tr(lang, "kita.birth_date"),
            tr(lang, "kita.care_type"),
            tr(lang, "kita.start_month"),
            tr(lang, "kita.status"),
        ],
        rows: apps
            .iter()
            .map(|a| {
                vec![
                    Cell::Link(paths::APPLICATION.with(&[&a.id]), a.number.clone()),
                    Cell::Text(format!("{} {}", a.child_first, a.child_last)),
                    Cell::Text(date_text(a.birth_date)),
                    Cell::Text(care_label(lang, &a.care_type)),
                    Cell::Text(month_text(lang, a.start_month)),
                    Cell::Text(tr(lang, &format!("kita.app_{}", a.status))),
                ]
            })
            .collect(),
        empty: tr(lang, "kita.none"),
    });
    staff_page(
        &state,
        &ctx,
        lang,
        paths::APPLICATIONS.path(),
        Some(&s),
        StatusCode::OK,
        tr(lang, "kita.nav_applications"),
        blocks,
    )
    .await
}

pub(super) async fn application_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Params(id): Params<Uuid>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Kita, Action::Read)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    settings_of(&mut tx).await?;
    let scope = scope_of(&mut tx, &s).await?;
    let a = applications::get(&mut tx, &scope, id).await?.ok_or_else(AppError::not_found)?;
    let facilities = repo::facilities(&mut tx, &Scope::All, false).await?;
    let offers = allocation::offers_of(&mut tx, id).await?;
    let district = district_facts(&mut tx, lang, &a).await?;
    tx.finish().await?;
    let laeuft = q.as_deref().is_some_and(|q| q.contains("laeuft=1"));
    let mut blocks = notice(lang, q);
    if laeuft {
        blocks.push(Block::Notice("warning", tr(lang, "kita.error_rounds_open")));
    }
    blocks.push(facts(lang, &a));
    blocks.extend(district);
    blocks.push(Block::Heading(tr(lang, "kita.preferences")));
    // staff of a Träger see the wishes at their own facilities only: the rest is the parents' and the youth office's business
    // staff of a Träger see the wishes at their own facilities only, without their place in the
    // parents' order (that would invite favouring the children who ranked them first)
    blocks.push(Block::List(
        a.preferences
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let f = facilities.iter().find(|f| f.id == *p).filter(|f| scope.covers(f.provider_id))?;
                Some(if scope == Scope::All {
                    format!("{}. {} ({})", i + 1, f.name, f.provider_name)
                } else {
                    format!("{} ({})", f.name, f.provider_name)
                })
            })
            .collect(),
    ));
    if let Some(into) = a.merged_into.filter(|_| scope == Scope::All) {
        blocks.push(Block::Links(vec![(paths::APPLICATION.with(&[&into]), tr(lang, "kita.merged_into"))]));
    }
    blocks.push(Block::Table {
        caption: tr(lang, "kita.offers_title"),
        headers: vec![
            tr(lang, "kita.phase"),
            tr(lang, "kita.round"),
            tr(lang, "kita.facility"),
            tr(lang, "kita.status"),
        ],
        rows: offers
            .iter()
            .filter(|o| facilities.iter().any(|f| f.id == o.facility_id && scope.covers(f.provider_id)))
            .map(|o| {
                vec![
                    Cell::Text(o.phase.to_string()),
                    Cell::Text(o.round.to_string()),
                    Cell::Text(o.facility_name.clone()),
                    Cell::Text(tr(lang, &format!("kita.offer_{}", o.status))),
                ]
            })
            .collect(),
        empty: tr(lang, "kita.none"),
    });
    if scope == Scope::All && s.may(&state, Resource::Kita, Action::Process) && a.status == "submitted" {
        let (label, value) =
            if a.social { (tr(lang, "kita.social_remove"), "nein") } else { (tr(lang, "kita.social_confirm"), "ja") };
        blocks.push(Block::Buttons(vec![Button {
            action: paths::APPLICATION_SOCIAL.with(&[&id]),
            csrf: s.csrf.clone(),
            hidden: vec![("sozial".into(), value.into())],
            label,
            danger: false,
        }]));
    }
    staff_page(
        &state,
        &ctx,
        lang,
        &paths::APPLICATION.with(&[&id]),
        Some(&s),
        StatusCode::OK,
        tr_with(lang, "kita.application_of", &[("child", &a.child_first)]),
        blocks,
    )
    .await
}

/// The district the points are computed from and where it comes from; a warning when the parents
/// chose another (street directory, issue 27 finding 11).
async fn district_facts(tx: &mut portal_db::TenantTx, lang: Lang, a: &Application) -> Result<Vec<Block>, AppError> {
    let districts = repo::districts(tx).await?;
    let name = |id: Option<uuid::Uuid>| id.and_then(|id| districts.iter().find(|d| d.id == id)).map(|d| d.name.clone());
    let chosen = repo::chosen_district(tx, a.id).await?;
    let from_address = super::form::address_district(tx, &districts, &a.address).await?;
    let used = match name(a.district_id) {
        None => tr(lang, "streets.kita_district_none"),
        Some(d) if from_address == a.district_id => {
            tr_with(lang, "streets.kita_district_from_address", &[("district", &d)])
        }
        Some(d) => tr_with(lang, "streets.kita_district_as_chosen", &[("district", &d)]),
    };
    let mut blocks = vec![Block::Facts(vec![(tr(lang, "streets.kita_district_used"), used, None)])];
    if let (Some(c), Some(u)) = (name(chosen), name(a.district_id))
        && chosen != a.district_id
    {
        blocks.push(Block::Notice(
            "warning",
            tr_with(lang, "streets.kita_district_mismatch", &[("chosen", &c), ("district", &u)]),
        ));
    }
    Ok(blocks)
}

fn facts(lang: Lang, a: &Application) -> Block {
    Block::Facts(vec![
        (tr(lang, "kita.number"), a.number.clone(), None),
        (tr(lang, "kita.status"), tr(lang, &format!("kita.app_{}", a.status)), None),
        (tr(lang, "kita.child"), format!("{} {}", a.child_first, a.child_last), None),
        (tr(lang, "kita.birth_date"), date_text(a.birth_date), None),
        (tr(lang, "kita.address"), a.address.clone(), None),
        (
            tr(lang, "kita.care_type"),
            format!(
                "{}, {}",
                care_label(lang, &a.care_type),
                tr_with(lang, "kita.hours_week", &[("h", &a.scope_hours.to_string())])
            ),
            None,
        ),
        (tr(lang, "kita.start_month"), month_text(lang, a.start_month), None),
        (tr(lang, "kita.parent_name"), a.parent_name.clone(), None),
        (tr(lang, "kita.working_parents"), tr(lang, &format!("kita.working_{}", a.working_parents.clamp(0, 2))), None),
        (tr(lang, "kita.social"), tr(lang, if a.social { "kita.yes" } else { "kita.no" }), None),
        (
            tr(lang, "kita.entered"),
            tr(lang, if a.citizen_id.is_some() { "kita.entered_online" } else { "kita.entered_paper" }),
            None,
        ),
    ])
}

pub(super) async fn set_social(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Params(id): Params<Uuid>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Kita, Action::Process)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    // the youth office only: a Träger cannot give its own applicants points
    if scope_of(&mut tx, &s).await? != Scope::All {
        return Err(AppError::forbidden());
    }
    let social = f.text("sozial") == "ja";
    if allocation::rounds_open(&mut tx).await? {
        tx.finish().await?;
        return Ok(crate::kit::page::see_other(&format!("{}?laeuft=1", paths::APPLICATION.with(&[&id]))));
    }
    if !applications::set_social(&mut tx, id, social).await? {
        return Err(AppError::not_found());
    }
    audit(
        &mut tx,
        &s,
        &ip,
        "kita_application.social",
        format!("kita_application:{id}"),
        serde_json::json!({ "social": social }),
    )
    .await?;
    tx.finish().await?;
    Ok(Notice::Saved.redirect(&paths::APPLICATION.with(&[&id])))
}

pub(super) async fn duplicates(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Kita, Action::Process)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    settings_of(&mut tx).await?;
    if scope_of(&mut tx, &s).await? != Scope::All {
        return Err(AppError::forbidden());
    }
    let pairs = applications::candidates(&mut tx, &Scope::All, false).await?;
    tx.finish().await?;
    let mut blocks = notice(lang, q.clone());
    if let Some(n) = crate::kit::form::field(&parse_urlencoded(q.unwrap_or_default().as_bytes())?, "gefunden") {
        blocks.push(Block::Notice("info", tr_with(lang, "kita.scan_done", &[("n", n)])));
    }
    blocks.push(Block::Text(tr(lang, "kita.duplicates_intro")));
    blocks.push(Block::Buttons(vec![Button {
        action: paths::DUPLICATES_SCAN.path().into(),
        csrf: s.csrf.clone(),
        hidden: vec![],
        label: tr(lang, "kita.scan"),
        danger: false,
    }]));
    let person = |a: &Application| {
        format!("{} {}, {}, {} ({})", a.child_first, a.child_last, date_text(a.birth_date), a.address, a.number)
    };
    let rows = pairs
        .iter()
        .map(|p| {
            let action = paths::DUPLICATE_DECIDE.with(&[&p.first.id, &p.second.id]);
            let reasons =
                p.reasons.iter().map(|r| tr(lang, &format!("kita.reason_{r}"))).collect::<Vec<_>>().join(", ");
            let decision = if p.decision == "open" {
                let btn = |value: &str, label: String, danger: bool| Button {
                    action: action.clone(),
                    csrf: s.csrf.clone(),
                    hidden: vec![("entscheidung".into(), value.into())],
                    label,
                    danger,
                };
                Cell::Buttons(vec![
                    btn("erste", tr_with(lang, "kita.merge_keep", &[("number", &p.first.number)]), false),
                    btn("zweite", tr_with(lang, "kita.merge_keep", &[("number", &p.second.number)]), false),
                    btn("verschieden", tr(lang, "kita.distinct"), true),
                ])
            } else {
                Cell::Text(tr(lang, &format!("kita.decision_{}", p.decision)))
            };
            vec![
                Cell::Text(person(&p.first)),
                Cell::Text(person(&p.second)),
                Cell::Text(format!("{:.0} %", p.score * 100.0)),
                Cell::Text(reasons),
                decision,
            ]
        })
        .collect();
    blocks.push(Block::Table {
        caption: tr(lang, "kita.duplicates_title"),
        headers: vec![
            tr(lang, "kita.first"),
            tr(lang, "kita.second"),
            tr(lang, "kita.score"),
            tr(lang, "kita.reasons"),
            tr(lang, "kita.decision"),
        ],
        rows,
        empty: tr(lang, "kita.no_duplicates"),
    });
    staff_page(
        &state,
        &ctx,
        lang,
        paths::DUPLICATES.path(),
        Some(&s),
        StatusCode::OK,
        tr(lang, "kita.duplicates_title"),
        blocks,
    )
    .await
}

pub(super) async fn scan(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Checked(s, _): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Kita, Action::Process)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let settings = settings_of(&mut tx).await?;
    if scope_of(&mut tx, &s).await? != Scope::All {
        return Err(AppError::forbidden());
    }
    let (found, merged) = applications::scan(&mut tx, settings.max_preferences as usize).await?;
    audit(
        &mut tx,
        &s,
        &ip,
        "kita_duplicate.scan",
        "kita:duplicates".into(),
        serde_json::json!({ "found": found, "merged": merged }),
    )
    .await?;
    tx.finish().await?;
    Ok(crate::kit::page::see_other(&format!("{}?gefunden={found}", paths::DUPLICATES.path())))
}

pub(super) async fn decide(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Language(lang): Language,
    Params((first, second)): Params<(Uuid, Uuid)>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Kita, Action::Process)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let settings = settings_of(&mut tx).await?;
    if scope_of(&mut tx, &s).await? != Scope::All {
        return Err(AppError::forbidden());
    }
    let staff = Some(s.principal.actor_id);
    let outcome = match f.text("entscheidung").as_str() {
        "erste" => applications::merge(&mut tx, first, second, staff, settings.max_preferences as usize)
            .await?
            .map(|()| "merged"),
        "zweite" => applications::merge(&mut tx, second, first, staff, settings.max_preferences as usize)
            .await?
            .map(|()| "merged"),
        "verschieden" => {
            if applications::decide(&mut tx, first, second, "distinct", staff).await? {
                Ok("distinct")
            } else {
                Err(MergeRefused::NotFound)
            }
        }
        _ => return Err(AppError::bad_request()),
    };
    match outcome {
        Ok(decision) => {
            audit(
                &mut tx,
                &s,
                &ip,
                "kita_duplicate.decide",
                format!("kita_application:{first}"),
                serde_json::json!({ "first": first, "second": second, "decision": decision, "keep": f.text("entscheidung") }),
            )
            .await?;
            tx.finish().await?;
            Ok(Notice::Saved.redirect(paths::DUPLICATES.path()))
        }
        Err(why) => {
            tx.finish().await?;
            let key = match why {
                MergeRefused::HasOffer => "kita.merge_has_offer",
                MergeRefused::NotSubmitted => "kita.merge_not_submitted",
                MergeRefused::NotFound => "kita.merge_not_found",
                MergeRefused::RoundsOpen => "kita.merge_rounds_open",
            };
            staff_page(
                &state,
                &ctx,
                lang,
                paths::DUPLICATES.path(),
                Some(&s),
                StatusCode::CONFLICT,
                tr(lang, "kita.duplicates_title"),
                vec![
                    Block::Notice("error", tr(lang, key)),
                    Block::Links(vec![(paths::DUPLICATES.path().into(), tr(lang, "kita.duplicates_title"))]),
                ],
            )
            .await
        }
    }
}
