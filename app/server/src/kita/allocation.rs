//! The coordinated allocation as the youth office runs it: start a phase, run a round (or all of
//! them), see the result checked for stability when the rounds end, send the offers by mail, and
//! start the next phase for the places that were declined or not accepted in time. And the
//! statistics: demand against supply per district, care type and age group, children without a
//! place, offers by round.

use crate::kit::checked::Checked;
use crate::kit::params::Params;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use portal_authz::{Action, Resource};
use portal_domain::Lang;
use portal_kita::repo::allocation::{self, Refused};
use portal_kita::repo::{Scope, stats};
use portal_ui::blocks::{Block, Button, Cell};
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext};

use super::{care_label, month_text, paths, scope_of, settings_of};
use crate::kit::dates::fmt_date;
use crate::kit::form::{field, parse_urlencoded};
use crate::kit::office::{audit, staff_page};
use crate::kit::page::{Language, see_other};
use crate::kit::pipeline::tenant_tx;
use crate::kit::session::Staff;

fn refused_code(r: Refused) -> &'static str {
    match r {
        Refused::PhaseOpen => "phase_open",
        Refused::WrongState => "wrong_state",
        Refused::NothingToDo => "nothing_to_do",
        Refused::NotOpen => "not_open",
        Refused::DuplicatesOpen => "duplicates_open",
    }
}

pub(super) async fn page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Kita, Action::Read)?;
    let pairs = parse_urlencoded(q.unwrap_or_default().as_bytes())?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    settings_of(&mut tx).await?;
    if scope_of(&mut tx, &s).await? != Scope::All {
        return Err(AppError::forbidden());
    }
    let phases = allocation::phases(&mut tx).await?;
    let st = stats::statistics(&mut tx).await?;
    let open_pairs = portal_kita::repo::applications::open_pairs(&mut tx).await?;
    tx.finish().await?;
    let mut blocks = vec![Block::Text(tr(lang, "kita.allocation_intro"))];
    if let Some(code) = field(&pairs, "abgelehnt") {
        blocks.push(Block::Notice(
            "danger",
            tr(
                lang,
                &format!(
                    "kita.refused_{}",
                    if code.chars().all(|c| c.is_ascii_lowercase() || c == '_') { code } else { "wrong_state" }
                ),
            ),
        ));
    }
    // the next step starts a phase (none runs, or the last one's offers are out): undecided pairs
    // stop it, and the page says why instead of offering the button
    let current = phases.iter().find(|p| p.status != "done");
    let starts_next = !current.is_some_and(|p| p.status == "running" || p.status == "closed");
    let blocked = starts_next && open_pairs > 0;
    if blocked {
        let key = if open_pairs == 1 { "kita.duplicates_block_start_one" } else { "kita.duplicates_block_start" };
        blocks.push(Block::Notice("warning", tr_with(lang, key, &[("n", &open_pairs.to_string())])));
        blocks.push(Block::Links(vec![(paths::DUPLICATES.path().to_owned(), tr(lang, "kita.duplicates_title"))]));
    }
    if let Some(n) = field(&pairs, "runden") {
        blocks.push(Block::Notice("success", tr_with(lang, "kita.rounds_done", &[("n", n)])));
    }
    if let Some(n) = field(&pairs, "versandt") {
        blocks.push(Block::Notice("success", tr_with(lang, "kita.offers_sent", &[("n", n)])));
    }
    blocks.push(Block::Table {
        caption: tr(lang, "kita.phases_title"),
        headers: vec![
            tr(lang, "kita.phase"),
            tr(lang, "kita.status"),
            tr(lang, "kita.rounds"),
            tr(lang, "kita.stability"),
            tr(lang, "kita.accept_until"),
        ],
        rows: phases
            .iter()
            .map(|p| {
                let stability = match (p.stable, p.blocking_pairs) {
                    (Some(true), _) => tr(lang, "kita.stable"),
                    (Some(false), n) => tr_with(lang, "kita.unstable", &[("n", &n.unwrap_or(0).to_string())]),
                    (None, _) => "–".into(),
                };
                vec![
                    Cell::Text(p.phase.to_string()),
                    Cell::Text(tr(lang, &format!("kita.phase_{}", p.status))),
                    Cell::Text(p.rounds.to_string()),
                    Cell::Text(stability),
                    Cell::Text(p.accept_until.map(fmt_date).unwrap_or_else(|| "–".into())),
                ]
            })
            .collect(),
        empty: tr(lang, "kita.no_phases"),
    });
    if s.may(&state, Resource::Kita, Action::Write) && !blocked {
        let btn = |action: &str, label: &str| Button {
            action: paths::ALLOCATION_ACTION.with(&[&action]),
            csrf: s.csrf.clone(),
            hidden: vec![],
            label: tr(lang, label),
            danger: false,
        };
        let buttons = match current.map(|p| p.status.as_str()) {
            None => vec![btn("starten", "kita.start_phase")],
            Some("running") => vec![btn("runde", "kita.run_round"), btn("alle-runden", "kita.run_all")],
            Some("closed") => vec![btn("versenden", "kita.send_offers")],
            _ => vec![btn("starten", "kita.start_next_phase")],
        };
        blocks.push(Block::Buttons(buttons));
    }
    blocks.push(rounds_table(lang, &st.rounds));
    blocks.push(Block::Links(vec![(paths::STATISTICS.path().into(), tr(lang, "kita.statistics_title"))]));
    staff_page(
        &state,
        &ctx,
        lang,
        paths::ALLOCATION.path(),
        Some(&s),
        StatusCode::OK,
        tr(lang, "kita.nav_allocation"),
        blocks,
    )
    .await
}

fn rounds_table(lang: Lang, rounds: &[stats::RoundCount]) -> Block {
    Block::Table {
        caption: tr(lang, "kita.offers_by_round"),
        headers: vec![
            tr(lang, "kita.phase"),
            tr(lang, "kita.round"),
            tr(lang, "kita.offers"),
            tr(lang, "kita.offer_held"),
            tr(lang, "kita.offer_declined"),
            tr(lang, "kita.offer_accepted"),
            tr(lang, "kita.offer_refused"),
            tr(lang, "kita.offer_expired"),
        ],
        rows: rounds
            .iter()
            .map(|r| {
                [r.phase.into(), r.round.into(), r.offers, r.held, r.declined, r.accepted, r.refused, r.expired]
                    .iter()
                    .map(|n: &i64| Cell::Text(n.to_string()))
                    .collect()
            })
            .collect(),
        empty: tr(lang, "kita.no_offers"),
    }
}

pub(super) async fn action(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    headers: HeaderMap,
    Language(lang): Language,
    Params(action): Params<String>,
    Checked(s, _): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Kita, Action::Write)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let settings = settings_of(&mut tx).await?;
    let back = |query: String| see_other(&format!("{}?{query}", paths::ALLOCATION.path()));
    let refused = |r: Refused| see_other(&format!("{}?abgelehnt={}", paths::ALLOCATION.path(), refused_code(r)));
    match action.as_str() {
        "starten" => match allocation::start(&mut tx).await? {
            Ok(phase) => {
                audit(
                    &mut tx,
                    &s,
                    &ip,
                    "kita_allocation.start",
                    format!("kita_allocation:{phase}"),
                    serde_json::json!({ "phase": phase }),
                )
                .await?;
                tx.finish().await?;
                Ok(back(format!("phase={phase}")))
            }
            Err(r) => Ok(refused(r)),
        },
        "runde" | "alle-runden" => {
            // "all rounds" ends when a round makes no offer (at most one round per offer)
            let limit = if action == "runde" { 1 } else { usize::MAX };
            match allocation::rounds(&mut tx, limit).await? {
                Ok(done) => {
                    let offers: usize = done.iter().map(|r| r.offers).sum();
                    audit(
                        &mut tx,
                        &s,
                        &ip,
                        "kita_allocation.rounds",
                        "kita:allocation".into(),
                        serde_json::json!({ "rounds": done.len(), "offers": offers }),
                    )
                    .await?;
                    tx.finish().await?;
                    Ok(back(format!("runden={}", done.len())))
                }
                Err(r) => Ok(refused(r)),
            }
        }
        "versenden" => match allocation::send(&mut tx, settings.accept_days).await? {
            Ok(list) => {
                let base = crate::kit::mail::base_url(&state, &ctx.host, &headers);
                for (o, a) in &list {
                    if a.email.is_empty() {
                        continue;
                    }
                    let plang = Lang::from_code(&a.lang).unwrap_or(lang);
                    let portal = if a.portal_url.is_empty() { base.clone() } else { a.portal_url.clone() };
                    let mail = crate::kita::mails::offer(
                        crate::kita::mails::Offer {
                            child: format!("{} {}", a.child_first, a.child_last),
                            facility: o.facility_name.clone(),
                            care: care_label(plang, &o.care_type),
                            start: month_text(plang, o.start_month),
                        },
                        o.accept_until.map(fmt_date).unwrap_or_default(),
                        format!("{portal}{}", paths::MINE_ONE.with(&[&a.id])),
                    );
                    crate::kit::mail::queue(&mut tx, &ctx, &portal, plang, &a.email, mail).await?;
                }
                audit(
                    &mut tx,
                    &s,
                    &ip,
                    "kita_allocation.send",
                    "kita:allocation".into(),
                    serde_json::json!({ "offers": list.len() }),
                )
                .await?;
                tx.finish().await?;
                Ok(back(format!("versandt={}", list.len())))
            }
            Err(r) => Ok(refused(r)),
        },
        _ => Err(AppError::not_found()),
    }
}

pub(super) async fn statistics(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Kita, Action::Read)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    settings_of(&mut tx).await?;
    if scope_of(&mut tx, &s).await? != Scope::All {
        return Err(AppError::forbidden());
    }
    let st = stats::statistics(&mut tx).await?;
    tx.finish().await?;
    let table = |caption: &str, first: &str, rows: &[stats::Demand], label: &dyn Fn(&str) -> String| Block::Table {
        caption: tr(lang, caption),
        headers: vec![
            tr(lang, first),
            tr(lang, "kita.applications"),
            tr(lang, "kita.places"),
            tr(lang, "kita.offer_accepted"),
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    Cell::Text(label(&r.key)),
                    Cell::Text(r.applications.to_string()),
                    Cell::Text(r.places.to_string()),
                    Cell::Text(r.accepted.to_string()),
                ]
            })
            .collect(),
        empty: tr(lang, "kita.none"),
    };
    let blocks = vec![
        Block::Facts(vec![
            (tr(lang, "kita.without_place"), st.without_place.to_string(), None),
            (tr(lang, "kita.entitled_without_place"), st.entitled_without_place.to_string(), None),
        ]),
        table("kita.by_district", "kita.district", &st.by_district, &|k| k.to_owned()),
        table("kita.by_care_type", "kita.care_type", &st.by_care_type, &|k| care_label(lang, k)),
        table("kita.by_age", "kita.age_group", &st.by_age, &|k| tr_with(lang, "kita.age_years", &[("age", k)])),
        rounds_table(lang, &st.rounds),
    ];
    staff_page(
        &state,
        &ctx,
        lang,
        paths::STATISTICS.path(),
        Some(&s),
        StatusCode::OK,
        tr(lang, "kita.statistics_title"),
        blocks,
    )
    .await
}
