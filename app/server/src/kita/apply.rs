//! The parent's side: one application per child (with the Bürgerkonto, data prefilled), the list
//! and status of their applications, changing the preferences until the deadline, and answering
//! an offer.

use crate::kit::checked::Checked;
use crate::kit::page::Language;
use crate::kit::params::Params;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use portal_domain::Lang;
use portal_kita::repo::allocation::{self, OfferView};
use portal_kita::repo::applications::{self, Application, Origin};
use portal_kita::repo::{self, Facility, Scope, Settings};
use portal_ui::blocks::{Block, Button, Cell, FormSpec};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::{AppError, AppState, TenantContext};
use uuid::Uuid;

use super::form::{self, pref_name};
use super::{care_label, date_text, month_text, paths, settings_of};
use crate::kit::dates::fmt_date;
use crate::kit::form::Fields;
use crate::kit::frame::blocks_page;
use crate::kit::mail::base_url;
use crate::kit::notice::Notice;
use crate::kit::pipeline::tenant_tx;
use crate::kit::session::Citizen;

/// Open applications per parent account; the database holds the same limit (migration
/// `kita_same_child`).
const MAX_PER_ACCOUNT: i64 = 10;

fn open_for_applications(settings: &Settings, today: time::Date) -> bool {
    today <= settings.deadline
}

pub(super) async fn apply_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    c: Citizen,
    f: axum::extract::RawQuery,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let settings = settings_of(&mut tx).await?;
    let mut state_form = form::new_state(&settings);
    // a facility's "apply here" link preselects it
    let q = Fields::from_query(f.0.as_deref())?;
    for k in ["pref_1", "start_month"] {
        if !q.text(k).is_empty() {
            state_form.values.insert(k.into(), q.text(k));
        }
    }
    if let Some(a) = portal_identity::citizen::get(&mut tx, c.citizen_id).await? {
        let name =
            [a.profile.given_name.clone().unwrap_or_default(), a.profile.family_name.clone().unwrap_or_default()]
                .join(" ")
                .trim()
                .to_owned();
        state_form.values.insert("parent_name".into(), name);
        state_form.values.insert("email".into(), a.email.clone().unwrap_or_default());
        state_form.values.insert("phone".into(), a.profile.phone.clone().unwrap_or_default());
        state_form.values.insert("child_last".into(), a.profile.family_name.clone().unwrap_or_default());
        let address = [
            a.profile.street.clone().unwrap_or_default(),
            [a.profile.postal_code.clone().unwrap_or_default(), a.profile.city.clone().unwrap_or_default()]
                .join(" ")
                .trim()
                .to_owned(),
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
        state_form.values.insert("address".into(), address);
    }
    apply_with(&state, &ctx, tx, lang, &c, &settings, state_form, StatusCode::OK).await
}

#[expect(clippy::too_many_arguments, reason = "the page, its settings and the form state")]
async fn apply_with(
    state: &AppState,
    ctx: &TenantContext,
    mut tx: crate::kit::pipeline::Tx<portal_db::TenantTx>,
    lang: Lang,
    c: &Citizen,
    settings: &Settings,
    form_state: FormState,
    status: StatusCode,
) -> Result<Response, AppError> {
    let facilities = repo::facilities(&mut tx, &Scope::All, true).await?;
    let districts = repo::districts(&mut tx).await?;
    let mut blocks = vec![];
    if open_for_applications(settings, state.db.clock().today()) {
        blocks.push(Block::Text(tr_with(
            lang,
            "kita.apply_intro",
            &[("n", &settings.max_preferences.to_string()), ("deadline", &date_text(settings.deadline))],
        )));
        blocks.push(Block::Form(FormSpec {
            action: paths::APPLY.path().into(),
            csrf: c.csrf.clone(),
            form: form_state,
            fields: form::fields(lang, settings, &facilities, &districts),
            submit: tr(lang, "kita.apply_submit"),
            danger: false,
            secondary: Some((paths::SEARCH.path().into(), tr(lang, "kita.back_to_search"))),
        }));
    } else {
        blocks.push(Block::Notice(
            "warning",
            tr_with(lang, "kita.deadline_passed", &[("deadline", &date_text(settings.deadline))]),
        ));
    }
    blocks_page(state, ctx, tx, lang, paths::APPLY.path(), status, tr(lang, "kita.apply_title"), vec![], blocks).await
}

pub(super) async fn apply(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    Checked(c, f): Checked<Citizen>,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let settings = settings_of(&mut tx).await?;
    if !open_for_applications(&settings, state.db.clock().today()) {
        return apply_with(&state, &ctx, tx, lang, &c, &settings, FormState::default(), StatusCode::CONFLICT).await;
    }
    let facilities = repo::facilities(&mut tx, &Scope::All, true).await?;
    let mut districts = repo::districts(&mut tx).await?;
    let mut draft = match form::parse(lang, &f, &settings, &facilities, &districts, state.db.clock().today()) {
        Ok(d) => d,
        Err(form_state) => {
            return apply_with(&state, &ctx, tx, lang, &c, &settings, form_state, StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        }
    };
    // the points count the address's district (street directory) whatever the parent chose; the
    // choice is kept for the office, which sees where the two differ
    let chosen = draft.district_id;
    draft.district_id = form::district_for(&mut tx, &districts, &draft.address, chosen).await?;
    districts.clear();
    // the same parent applying again for the same child: point to the application they have
    let key = f.text("key");
    let mine = applications::of_citizen(&mut tx, c.citizen_id).await?;
    let same_child = |a: &Application| {
        a.status == "submitted"
            && a.birth_date == draft.birth_date.unwrap_or(a.birth_date)
            && portal_kita::names::normalise(&a.child_first) == portal_kita::names::normalise(&draft.child_first)
            && portal_kita::names::normalise(&a.child_last) == portal_kita::names::normalise(&draft.child_last)
    };
    let origin = Origin::Citizen(c.citizen_id);
    let retried = applications::submitted_with(&mut tx, origin, &key).await?;
    let refuse =
        |key: &str, args: &[(&str, &str)]| crate::kit::form::form_again(&f, "child_first", tr_with(lang, key, args));
    if retried.is_none() {
        if let Some(existing) = mine.iter().find(|a| same_child(a)) {
            let fs = refuse("kita.error_already_applied", &[("number", &existing.number)]);
            return apply_with(&state, &ctx, tx, lang, &c, &settings, fs, StatusCode::CONFLICT).await;
        }
        // siblings, twins, triplets: ten children per account is plenty, a hundred invented ones are not
        if applications::count_of_citizen(&mut tx, c.citizen_id).await? >= MAX_PER_ACCOUNT {
            let fs = refuse("kita.error_too_many_children", &[("n", &MAX_PER_ACCOUNT.to_string())]);
            return apply_with(&state, &ctx, tx, lang, &c, &settings, fs, StatusCode::CONFLICT).await;
        }
        // while rounds run, the lists must not change; a new child joins the next phase
        if allocation::rounds_open(&mut tx).await? {
            let fs = refuse("kita.error_rounds_open", &[]);
            return apply_with(&state, &ctx, tx, lang, &c, &settings, fs, StatusCode::CONFLICT).await;
        }
    }
    let base = base_url(&state, &ctx.host, &headers);
    let (id, created) = match applications::submit(&mut tx, &draft, origin, lang.code(), &base, &key).await {
        Ok(done) => done,
        // another tab's submission got in first: the database keeps one per child and ten per
        // account, and this one says why it was refused
        Err(e) => {
            let refused = applications::Refused::of(&e).ok_or_else(|| AppError::from(e))?;
            drop(tx);
            let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
            let fs = match refused {
                applications::Refused::SameChild => {
                    let mine = applications::of_citizen(&mut tx, c.citizen_id).await?;
                    let number = mine.iter().find(|a| same_child(a)).map(|a| a.number.clone()).unwrap_or_default();
                    refuse("kita.error_already_applied", &[("number", &number)])
                }
                applications::Refused::TooMany => {
                    refuse("kita.error_too_many_children", &[("n", &MAX_PER_ACCOUNT.to_string())])
                }
            };
            return apply_with(&state, &ctx, tx, lang, &c, &settings, fs, StatusCode::CONFLICT).await;
        }
    };
    if created {
        repo::set_chosen_district(&mut tx, id, chosen).await?;
        // checked against every other open application at once: the youth office sees a pair
        // before anything is allocated (the allocation does not start while pairs are open)
        applications::check_new(&mut tx, id, settings.max_preferences as usize).await?;
    }
    if created && !draft.email.is_empty() {
        let names: Vec<String> = draft
            .preferences
            .iter()
            .filter_map(|p| facilities.iter().find(|x| x.id == *p))
            .map(|x| x.name.clone())
            .collect();
        let number = applications::get(&mut tx, &Scope::All, id).await?.map(|a| a.number).unwrap_or_default();
        let mail = crate::kita::mails::applied(
            format!("{} {}", draft.child_first, draft.child_last),
            number,
            names.join(", "),
            format!("{base}{}", paths::MINE_ONE.with(&[&id])),
        );
        crate::kit::mail::queue(&mut tx, &ctx, &base, lang, &draft.email, mail).await?;
    }
    tx.finish().await?;
    Ok(Notice::Saved.redirect(&paths::MINE_ONE.with(&[&id])))
}

pub(super) async fn mine(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    c: Citizen,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    settings_of(&mut tx).await?;
    let apps: Vec<Application> = applications::of_citizen(&mut tx, c.citizen_id).await?;
    let phases = allocation::phases(&mut tx).await?;
    let mut rows = Vec::new();
    for a in &apps {
        let offers = allocation::offers_of(&mut tx, a.id).await?;
        rows.push(vec![
            Cell::Link(paths::MINE_ONE.with(&[&a.id]), a.number.clone()),
            Cell::Text(format!("{} {}", a.child_first, a.child_last)),
            Cell::Text(month_text(lang, a.start_month)),
            Cell::Text(status_text(lang, a, &offers, &phases)),
        ]);
    }
    let blocks = vec![
        Block::Table {
            caption: tr(lang, "kita.mine_title"),
            headers: vec![
                tr(lang, "kita.number"),
                tr(lang, "kita.child"),
                tr(lang, "kita.start_month"),
                tr(lang, "kita.status"),
            ],
            rows,
            empty: tr(lang, "kita.mine_none"),
        },
        Block::Links(vec![
            (paths::APPLY.path().into(), tr(lang, "kita.apply_link")),
            (paths::SEARCH.path().into(), tr(lang, "kita.search_title")),
        ]),
    ];
    blocks_page(&state, &ctx, tx, lang, paths::MINE.path(), StatusCode::OK, tr(lang, "kita.mine_title"), vec![], blocks)
        .await
}

/// What a parent reads as the status: provisional offers of a running phase stay hidden.
fn status_text(lang: Lang, a: &Application, offers: &[OfferView], phases: &[allocation::Phase]) -> String {
    if a.status == "withdrawn" {
        return tr(lang, "kita.status_withdrawn");
    }
    if a.status == "merged" {
        return tr(lang, "kita.status_merged");
    }
    if let Some(o) = offers.iter().find(|o| o.sent && o.status != "declined") {
        return match o.status.as_str() {
            "held" => tr_with(
                lang,
                "kita.status_offer",
                &[("facility", &o.facility_name), ("until", &o.accept_until.map(fmt_date).unwrap_or_default())],
            ),
            "accepted" => tr_with(lang, "kita.status_accepted", &[("facility", &o.facility_name)]),
            "refused" => tr(lang, "kita.status_refused"),
            _ => tr(lang, "kita.status_expired"),
        };
    }
    match phases.iter().rev().find(|p| p.status != "running" && p.status != "closed") {
        Some(_) => tr(lang, "kita.status_waiting_list"),
        None if phases.is_empty() => tr(lang, "kita.status_submitted"),
        None => tr(lang, "kita.status_allocating"),
    }
}

async fn one_of(tx: &mut portal_db::TenantTx, c: &Citizen, id: Uuid) -> Result<Application, AppError> {
    applications::of_citizen_one(tx, c.citizen_id, id).await?.ok_or_else(AppError::not_found)
}

pub(super) async fn mine_one(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    c: Citizen,
    Params(id): Params<Uuid>,
    q: axum::extract::RawQuery,
) -> Result<Response, AppError> {
    let notice = Notice::from_query(q.0.as_deref());
    one_page(&state, &ctx, lang, &c, id, notice.and_then(|n| n.block(lang)), None, StatusCode::OK).await
}

#[expect(clippy::too_many_arguments, reason = "the page, a notice and the preference form's state")]
async fn one_page(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    c: &Citizen,
    id: Uuid,
    notice: Option<Block>,
    prefs_form: Option<FormState>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let settings = settings_of(&mut tx).await?;
    let a = one_of(&mut tx, c, id).await?;
    let facilities = repo::facilities(&mut tx, &Scope::All, false).await?;
    let offers = allocation::offers_of(&mut tx, id).await?;
    let phases = allocation::phases(&mut tx).await?;
    let mut blocks: Vec<Block> = notice.into_iter().collect();
    blocks.push(Block::Facts(vec![
        (tr(lang, "kita.number"), a.number.clone(), None),
        (tr(lang, "kita.status"), status_text(lang, &a, &offers, &phases), None),
        (tr(lang, "kita.child"), format!("{} {}, {}", a.child_first, a.child_last, date_text(a.birth_date)), None),
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
        (tr(lang, "kita.address"), a.address.clone(), None),
    ]));
    blocks.push(Block::Heading(tr(lang, "kita.preferences")));
    blocks.push(Block::List(
        a.preferences
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{}. {}", i + 1, facility_name(&facilities, *p)))
            .collect(),
    ));
    // an offer sent and still open: accept or decline
    for o in
        offers.iter().filter(|o| o.sent && o.status == "held" && o.accept_until.is_some_and(|t| t > state.db.now()))
    {
        blocks.push(Block::Notice(
            "info",
            tr_with(
                lang,
                "kita.offer_text",
                &[
                    ("facility", &o.facility_name),
                    ("care", &care_label(lang, &o.care_type)),
                    ("start", &month_text(lang, o.start_month)),
                    ("until", &o.accept_until.map(fmt_date).unwrap_or_default()),
                ],
            ),
        ));
        let action = paths::MINE_ANSWER.with(&[&id, &o.id]);
        blocks.push(Block::Buttons(vec![
            Button {
                action: action.clone(),
                csrf: c.csrf.clone(),
                hidden: vec![("antwort".into(), "annehmen".into())],
                label: tr(lang, "kita.accept"),
                danger: false,
            },
            Button {
                action,
                csrf: c.csrf.clone(),
                hidden: vec![("antwort".into(), "ablehnen".into())],
                label: tr(lang, "kita.decline"),
                danger: true,
            },
        ]));
    }
    // until the deadline, and before the allocation begins (its lists must not change under it)
    let may_change =
        open_for_applications(&settings, state.db.clock().today()) && a.status == "submitted" && phases.is_empty();
    if may_change {
        let mut fs = prefs_form.unwrap_or_default();
        for i in 1..=settings.max_preferences as usize {
            fs.values
                .entry(pref_name(i))
                .or_insert_with(|| a.preferences.get(i - 1).map(Uuid::to_string).unwrap_or_default());
        }
        let active: Vec<Facility> = facilities.iter().filter(|x| x.active).cloned().collect();
        blocks.push(Block::Form(FormSpec {
            action: paths::MINE_PREFERENCES.with(&[&id]),
            csrf: c.csrf.clone(),
            form: fs,
            fields: form::preference_fields(lang, &settings, &active),
            submit: tr(lang, "kita.save_preferences"),
            danger: false,
            secondary: None,
        }));
    }
    blocks.push(Block::Links(vec![(paths::MINE.path().into(), tr(lang, "kita.mine_title"))]));
    blocks_page(
        state,
        ctx,
        tx,
        lang,
        &paths::MINE_ONE.with(&[&id]),
        status,
        tr_with(lang, "kita.application_of", &[("child", &a.child_first)]),
        vec![],
        blocks,
    )
    .await
}

fn facility_name(facilities: &[Facility], id: Uuid) -> String {
    facilities.iter().find(|f| f.id == id).map_or_else(|| "–".into(), |f| format!("{} ({})", f.name, f.provider_name))
}

pub(super) async fn change_preferences(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    Params(id): Params<Uuid>,
    Checked(c, f): Checked<Citizen>,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let settings = settings_of(&mut tx).await?;
    let a = one_of(&mut tx, &c, id).await?;
    if !open_for_applications(&settings, state.db.clock().today())
        || a.status != "submitted"
        || !allocation::phases(&mut tx).await?.is_empty()
    {
        tx.finish().await?;
        return one_page(
            &state,
            &ctx,
            lang,
            &c,
            id,
            Some(Block::Notice("warning", tr(lang, "kita.no_changes")).clone()),
            None,
            StatusCode::CONFLICT,
        )
        .await;
    }
    let facilities = repo::facilities(&mut tx, &Scope::All, true).await?;
    let mut fs = FormState::default();
    let prefs = form::parse_preferences(lang, &f, &settings, &facilities, &mut fs);
    if !fs.errors.is_empty() {
        tx.finish().await?;
        return one_page(&state, &ctx, lang, &c, id, None, Some(fs), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    applications::set_preferences(&mut tx, id, &prefs).await?;
    tx.finish().await?;
    Ok(Notice::Saved.redirect(&paths::MINE_ONE.with(&[&id])))
}

pub(super) async fn answer(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    Params((id, offer)): Params<(Uuid, Uuid)>,
    Checked(c, f): Checked<Citizen>,
) -> Result<Response, AppError> {
    let accept = match f.text("antwort").as_str() {
        "annehmen" => true,
        "ablehnen" => false,
        _ => return Err(AppError::bad_request()),
    };
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let a = one_of(&mut tx, &c, id).await?;
    match allocation::answer(&mut tx, a.id, offer, accept).await? {
        Ok(()) => {
            tx.finish().await?;
            Ok(Notice::Saved.redirect(&paths::MINE_ONE.with(&[&id])))
        }
        Err(_) => {
            tx.finish().await?;
            one_page(
                &state,
                &ctx,
                lang,
                &c,
                id,
                Some(Block::Notice("warning", tr(lang, "kita.offer_not_open"))),
                None,
                StatusCode::CONFLICT,
            )
            .await
        }
    }
}
