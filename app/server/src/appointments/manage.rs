//! Managing a booking: through its secret link (guests; worthless on another tenant's host) or as
//! the logged-in citizen who booked it ("Meine Termine"): see it, move it, cancel it, download its
//! calendar file.

use crate::kit::checked::{Anonymous, Checked};
use crate::kit::params::Params;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use portal_appointments::repo::{self, BookError, Booking};
use portal_db::TenantTx;
use portal_domain::civil;
use portal_ui::blocks::{Block, Button, Cell};
use portal_ui::i18n::tr;
use portal_web::{AppError, AppState, TenantContext};
use time::OffsetDateTime;
use uuid::Uuid;

use super::citizen::{
    NoticeQuery, Want, book_error, booking_facts, plan_of, query_fields, render, secret_page, slot_blocks,
};
use super::{
    active_location, booking_lang, calendar_file, iso_date, mail_booking, paths, service_names, settings_of, when_text,
};
use crate::kit::form::Fields;
use crate::kit::notice::Notice;
use crate::kit::page::{self, Language, lang_of};
use crate::kit::pipeline::tenant_tx;
use crate::kit::session::{Citizen, anon_csrf, set_anon_csrf};

/// Whose booking a page is about, and how its forms are protected.
enum Handle {
    Secret(String),
    Mine(Citizen, Uuid),
}

impl Handle {
    fn base(&self) -> String {
        match self {
            Self::Secret(s) => paths::MANAGE.with(&[s]),
            Self::Mine(_, id) => paths::MINE_ONE.with(&[id]),
        }
    }

    async fn booking(&self, tx: &mut TenantTx) -> Result<Booking, AppError> {
        let b = match self {
            Self::Secret(s) => repo::booking_by_secret(tx, s).await?,
            Self::Mine(c, id) => repo::booking(tx, *id).await?.filter(|b| b.citizen == Some(c.citizen_id)),
        };
        b.filter(|b| b.status != "held" && b.status != "expired").ok_or_else(AppError::not_found)
    }

    fn csrf(&self, headers: &HeaderMap) -> (String, bool) {
        match self {
            Self::Secret(_) => anon_csrf(headers),
            Self::Mine(c, _) => (c.csrf.clone(), false),
        }
    }
}

async fn manage_page(
    state: &AppState,
    ctx: &TenantContext,
    headers: &HeaderMap,
    h: Handle,
    notice: Option<Notice>,
) -> Result<Response, AppError> {
    let lang = lang_of(headers);
    let (csrf, new) = h.csrf(headers);
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let b = h.booking(&mut tx).await?;
    let content = page::content(state, ctx).await?;
    let loc = repo::location(&mut tx, b.location).await?.ok_or_else(AppError::not_found)?;
    let base = h.base();
    let mut blocks = vec![];
    match notice {
        Some(Notice::Saved) => blocks.push(Block::Notice("success", tr(lang, "appointments.booked_notice"))),
        Some(Notice::Deleted) => blocks.push(Block::Notice("success", tr(lang, "appointments.cancelled_notice"))),
        _ => {}
    }
    blocks.push(booking_facts(lang, &content, &b, &loc));
    if !loc.accessibility.is_empty() {
        blocks.push(Block::Text(loc.accessibility.clone()));
    }
    if b.status == "booked" {
        blocks.push(Block::Links(vec![
            (format!("{base}/verschieben"), tr(lang, "appointments.move")),
            (format!("{base}/termin.ics"), tr(lang, "appointments.download_ics")),
        ]));
        blocks.push(Block::Buttons(vec![Button {
            action: format!("{base}/absagen"),
            csrf: csrf.clone(),
            hidden: vec![],
            label: tr(lang, "appointments.cancel"),
            danger: true,
        }]));
    } else if b.status == "cancelled" {
        blocks.push(Block::Links(vec![(
            format!("{}?ort={}&dienst={}&personen={}", paths::BOOK.path(), b.location, b.services.join(","), b.persons),
            tr(lang, "appointments.book_again"),
        )]));
    }
    let r =
        render(state, ctx, tx, lang, &base, StatusCode::OK, tr(lang, "appointments.your_appointment"), blocks).await?;
    Ok(secret_page(set_anon_csrf(state, r, &csrf, new)))
}

async fn cancel(state: &AppState, ctx: &TenantContext, h: Handle) -> Result<Response, AppError> {
    let content = page::content(state, ctx).await?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let b = h.booking(&mut tx).await?;
    if repo::cancel(&mut tx, b.id, "").await? {
        let b = repo::booking(&mut tx, b.id).await?.ok_or_else(AppError::not_found)?;
        let loc = repo::location(&mut tx, b.location).await?.ok_or_else(AppError::not_found)?;
        let lang = booking_lang(&b);
        let link = format!("{}{}?ort={}&dienst={}", b.portal_url, paths::BOOK.path(), b.location, b.services.join(","));
        let mail = crate::appointments::mails::cancelled(
            crate::appointments::mails::About {
                when: when_text(lang, b.starts_at),
                location: loc.name.clone(),
                number: b.number.clone(),
                link,
            },
            String::new(),
            false,
        );
        mail_booking(&mut tx, &b, &loc, mail, true, &service_names(&content, lang, &b.services)).await?;
    }
    tx.commit().await?;
    Ok(Notice::Deleted.redirect(&h.base()))
}

async fn move_page(
    state: &AppState,
    ctx: &TenantContext,
    headers: &HeaderMap,
    h: Handle,
    want_q: &Fields,
    problem: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let lang = lang_of(headers);
    let (csrf, new) = h.csrf(headers);
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let settings = settings_of(&mut tx).await?;
    let b = h.booking(&mut tx).await?;
    if b.status != "booked" {
        tx.finish().await?;
        return Ok(page::see_other(&h.base()));
    }
    let content = page::content(state, ctx).await?;
    let loc = active_location(&mut tx, b.location).await?;
    let mut want = Want::from(want_q);
    want.location = Some(b.location);
    want.services = b.services.clone();
    want.persons = b.persons;
    let mut blocks = vec![];
    if let Some(p) = problem {
        blocks.push(Block::Notice("error", p));
    }
    blocks.push(booking_facts(lang, &content, &b, &loc));
    match plan_of(&mut tx, lang, &want).await? {
        Ok((req, plan)) => {
            let action = format!("{}/verschieben", h.base());
            blocks.extend(
                slot_blocks(&mut tx, lang, &settings, &want, &req, &plan, &action, &action, &csrf, Some(b.id)).await?,
            );
        }
        Err(msg) => blocks.push(Block::Notice("error", msg)),
    }
    let r = render(state, ctx, tx, lang, &h.base(), status, tr(lang, "appointments.move_title"), blocks).await?;
    Ok(secret_page(set_anon_csrf(state, r, &csrf, new)))
}

async fn move_post(
    state: &AppState,
    ctx: &TenantContext,
    headers: &HeaderMap,
    h: Handle,
    f: &Fields,
) -> Result<Response, AppError> {
    let lang = lang_of(headers);
    let start = f
        .text("start")
        .parse::<i64>()
        .ok()
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
        .ok_or_else(AppError::bad_request)?;
    let content = page::content(state, ctx).await?;
    let mut tx = state.db.tenant(ctx.entry.tenant_id).await?;
    let settings = settings_of(&mut tx).await?;
    let b = h.booking(&mut tx).await?;
    let want = Want { location: Some(b.location), services: b.services.clone(), persons: b.persons, ..Want::default() };
    let Ok((_, plan)) = plan_of(&mut tx, lang, &want).await? else { return Err(AppError::bad_request()) };
    match repo::move_to(&mut tx, settings.land, &b, &plan, start, state.db.now()).await {
        // the same move posted again: nothing changed, nothing to mail
        Ok(moved) if moved.sequence == b.sequence => {
            tx.commit().await?;
            Ok(Notice::Saved.redirect(&h.base()))
        }
        Ok(moved) => {
            let loc = repo::location(&mut tx, moved.location).await?.ok_or_else(AppError::not_found)?;
            let blang = booking_lang(&moved);
            let link = match &h {
                Handle::Secret(s) => format!("{}{}", moved.portal_url, paths::MANAGE.with(&[s])),
                Handle::Mine(_, id) => format!("{}{}", moved.portal_url, paths::MINE_ONE.with(&[id])),
            };
            let mail = crate::appointments::mails::moved(crate::appointments::mails::About {
                when: when_text(blang, moved.starts_at),
                location: loc.name.clone(),
                number: moved.number.clone(),
                link,
            });
            mail_booking(&mut tx, &moved, &loc, mail, true, &service_names(&content, blang, &moved.services)).await?;
            tx.commit().await?;
            Ok(Notice::Saved.redirect(&h.base()))
        }
        Err(BookError::Taken) => {
            drop(tx);
            let q = Fields(vec![("tag".into(), iso_date(civil::german(start).date()))]);
            move_page(state, ctx, headers, h, &q, Some(tr(lang, "appointments.just_taken")), StatusCode::CONFLICT).await
        }
        Err(e) => Err(book_error(e)),
    }
}

async fn ics(state: &AppState, ctx: &TenantContext, h: Handle) -> Result<Response, AppError> {
    let content = page::content(state, ctx).await?;
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let b = h.booking(&mut tx).await?;
    let loc = repo::location(&mut tx, b.location).await?.ok_or_else(AppError::not_found)?;
    let branding = crate::kit::mail::branding(&mut tx, &b.portal_url, None).await?;
    tx.finish().await?;
    let lang = booking_lang(&b);
    let body = calendar_file(
        &b,
        &loc,
        &branding.tenant_name,
        &service_names(&content, lang, &b.services),
        lang,
        state.db.now(),
    );
    Ok(page::attachment("text/calendar; charset=utf-8", body, "termin.ics"))
}

pub(super) async fn manage_by_secret(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Params(secret): Params<String>,
    axum::extract::Query(q): axum::extract::Query<NoticeQuery>,
) -> Result<Response, AppError> {
    manage_page(&state, &ctx, &headers, Handle::Secret(secret), Notice::parse(q.hinweis.as_deref())).await
}

pub(super) async fn cancel_by_secret(
    State(state): State<AppState>,
    ctx: TenantContext,
    Params(secret): Params<String>,
    Checked(_, _): Checked<Anonymous>,
) -> Result<Response, AppError> {
    cancel(&state, &ctx, Handle::Secret(secret)).await
}

pub(super) async fn move_page_by_secret(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Params(secret): Params<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    move_page(&state, &ctx, &headers, Handle::Secret(secret), &query_fields(q)?, None, StatusCode::OK).await
}

pub(super) async fn move_by_secret(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Params(secret): Params<String>,
    Checked(_, f): Checked<Anonymous>,
) -> Result<Response, AppError> {
    move_post(&state, &ctx, &headers, Handle::Secret(secret), &f).await
}

pub(super) async fn ics_by_secret(
    State(state): State<AppState>,
    ctx: TenantContext,
    Params(secret): Params<String>,
) -> Result<Response, AppError> {
    ics(&state, &ctx, Handle::Secret(secret)).await.map(secret_page)
}

pub(super) async fn manage_mine(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    c: Citizen,
    Params(id): Params<Uuid>,
    axum::extract::Query(q): axum::extract::Query<NoticeQuery>,
) -> Result<Response, AppError> {
    manage_page(&state, &ctx, &headers, Handle::Mine(c, id), Notice::parse(q.hinweis.as_deref())).await
}

pub(super) async fn cancel_mine(
    State(state): State<AppState>,
    ctx: TenantContext,
    Params(id): Params<Uuid>,
    Checked(c, _): Checked<Citizen>,
) -> Result<Response, AppError> {
    cancel(&state, &ctx, Handle::Mine(c, id)).await
}

pub(super) async fn move_page_mine(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    c: Citizen,
    Params(id): Params<Uuid>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    move_page(&state, &ctx, &headers, Handle::Mine(c, id), &query_fields(q)?, None, StatusCode::OK).await
}

pub(super) async fn move_mine(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Params(id): Params<Uuid>,
    Checked(c, f): Checked<Citizen>,
) -> Result<Response, AppError> {
    move_post(&state, &ctx, &headers, Handle::Mine(c, id), &f).await
}

pub(super) async fn ics_mine(
    State(state): State<AppState>,
    ctx: TenantContext,
    c: Citizen,
    Params(id): Params<Uuid>,
) -> Result<Response, AppError> {
    ics(&state, &ctx, Handle::Mine(c, id)).await
}

/// "Meine Termine": the logged-in citizen's bookings, newest first.
pub(super) async fn mine(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    c: Citizen,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let content = page::content(&state, &ctx).await?;
    let list = repo::bookings_of_citizen(&mut tx, c.citizen_id).await?;
    let mut names = std::collections::HashMap::new();
    for l in repo::locations(&mut tx).await? {
        names.insert(l.id, l.name);
    }
    let rows = list
        .iter()
        .map(|b| {
            vec![
                Cell::Link(paths::MINE_ONE.with(&[&b.id]), when_text(lang, b.starts_at)),
                Cell::Text(names.get(&b.location).cloned().unwrap_or_default()),
                Cell::Text(service_names(&content, lang, &b.services)),
                Cell::Text(b.number.clone()),
                Cell::Badge(
                    if b.status == "booked" { "info" } else { "neutral" },
                    tr(lang, &format!("appointments.status_{}", b.status)),
                ),
            ]
        })
        .collect();
    let blocks = vec![
        Block::Table {
            caption: tr(lang, "appointments.mine_title"),
            headers: vec![
                tr(lang, "appointments.when"),
                tr(lang, "appointments.location"),
                tr(lang, "appointments.services"),
                tr(lang, "appointments.number"),
                tr(lang, "appointments.status"),
            ],
            rows,
            empty: tr(lang, "appointments.mine_empty"),
        },
        Block::Links(vec![
            (paths::BOOK.path().into(), tr(lang, "appointments.book_title")),
            (crate::kit::links::CITIZEN_ACCOUNT.path().into(), tr(lang, "appointments.back_to_account")),
        ]),
    ];
    render(&state, &ctx, tx, lang, paths::MINE.path(), StatusCode::OK, tr(lang, "appointments.mine_title"), blocks)
        .await
}
