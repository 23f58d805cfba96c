//! The call display (a public page behind a secret link: no login, no personal data) and the live
//! state behind it and behind the portal's waiting times: server-sent events, or JSON for pollers.

use crate::kit::page::Language;
use crate::kit::params::Params;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use portal_appointments::repo;
use portal_ui::appointments::{CallDisplay, DisplayData};
use portal_ui::i18n::tr;
use portal_web::host::ClientIp;
use portal_web::live::Snapshot;
use portal_web::{AppError, AppState, TenantContext};
use uuid::Uuid;

use super::paths;
use crate::kit::limits::ip_key;
use crate::kit::page::{self};
use crate::kit::pipeline::tenant_tx;

/// Which part of a location's state a stream carries.
#[derive(Clone, Copy)]
enum Part {
    /// The call display: calls and wait, for as long as the display's link stays the same.
    Display,
    /// The portal: the wait only.
    Public,
}

fn part_of(s: &Snapshot, part: Part) -> String {
    match part {
        Part::Display => s.full.clone(),
        Part::Public => s.public.clone(),
    }
}

/// How long a client over its streams' limit is asked to wait before it tries again.
const STREAMS_RETRY: Duration = Duration::from_secs(30);

/// The location's state as events (each change within a second or two) or, for a client that
/// asks for JSON, once.
async fn live(
    state: &AppState,
    ctx: &TenantContext,
    headers: &HeaderMap,
    ip: &ClientIp,
    location: Uuid,
    part: Part,
) -> Result<Response, AppError> {
    let wants_json =
        headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("application/json"));
    // a stream holds a connection and a task for as long as the client keeps it: so many per
    // client address, counted until the stream ends (the JSON answer is one response, not counted)
    let permit = if wants_json {
        None
    } else {
        Some(state.live.open_stream(&ip_key(ip)).ok_or_else(|| AppError::too_many_requests_for(STREAMS_RETRY))?)
    };
    let rx = state.live.subscribe(ctx.entry.tenant_id, location).await.ok_or_else(AppError::not_found)?;
    let first: Arc<Snapshot> = rx.borrow().clone();
    if wants_json {
        return Ok((
            [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")],
            part_of(&first, part),
        )
            .into_response());
    }
    let tag = first.tag.clone();
    let updates = futures_util::stream::unfold((rx, permit), move |(mut rx, permit)| {
        let tag = tag.clone();
        async move {
            rx.changed().await.ok()?;
            let next: Arc<Snapshot> = rx.borrow_and_update().clone();
            // a display opened with a link that was renewed since stops here
            if matches!(part, Part::Display) && next.tag != tag {
                return None;
            }
            Some((Ok::<Event, Infallible>(Event::default().data(part_of(&next, part))), (rx, permit)))
        }
    });
    let opening = Event::default().retry(Duration::from_secs(2)).data(part_of(&first, part));
    let stream = futures_util::StreamExt::chain(
        futures_util::stream::once(async move { Ok::<Event, Infallible>(opening) }),
        updates,
    );
    let mut r = Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(20))).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // tells nginx-like proxies not to buffer the stream
    r.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(r)
}

/// The portal's live waiting time of a location.
pub(super) async fn portal_live(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    ip: ClientIp,
    Params(location): Params<Uuid>,
) -> Result<Response, AppError> {
    live(&state, &ctx, &headers, &ip, location, Part::Public).await
}

async fn display_location(state: &AppState, ctx: &TenantContext, token: &str) -> Result<repo::Location, AppError> {
    if token.len() < 32 || token.len() > 64 {
        return Err(AppError::not_found());
    }
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let loc = repo::location_by_display(&mut tx, token).await?.ok_or_else(AppError::not_found)?;
    tx.finish().await?;
    Ok(loc)
}

fn no_leak(mut r: Response) -> Response {
    r.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    r.headers_mut().insert("x-robots-tag", HeaderValue::from_static("noindex, nofollow"));
    r
}

pub(super) async fn display_live(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    ip: ClientIp,
    Params(token): Params<String>,
) -> Result<Response, AppError> {
    let loc = display_location(&state, &ctx, &token).await?;
    live(&state, &ctx, &headers, &ip, loc.id, Part::Display).await.map(no_leak)
}

pub(super) async fn display_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    Params(token): Params<String>,
) -> Result<Response, AppError> {
    let loc = display_location(&state, &ctx, &token).await?;
    // the page starts from the state its stream continues: the location's live topic
    let rx = state.live.subscribe(ctx.entry.tenant_id, loc.id).await.ok_or_else(AppError::not_found)?;
    let now: serde_json::Value = serde_json::from_str(&rx.borrow().full).unwrap_or_default();
    drop(rx);
    let calls: Vec<(String, String)> = now["calls"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    (
                        c["code"].as_str().unwrap_or_default().to_owned(),
                        c["counter"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let content = page::content(&state, &ctx).await?;
    let row = super::citizen::live_row(
        lang,
        "",
        paths::DISPLAY_LIVE.with(&[&token]),
        now["wait_minutes"].as_i64().unwrap_or(0) * 60,
        now["waiting"].as_i64().unwrap_or(0),
    );
    let mut assets = page::assets(&state, false);
    assets.scripts.push(super::widgets::LIVE_JS.url());
    let data = DisplayData {
        lang,
        tenant_name: content.branding.as_ref().map_or_else(|| ctx.entry.name.clone(), |b| b.display_name.clone()),
        location: loc.name,
        calls,
        wait_text: format!("{}: {}", tr(lang, "appointments.wait_now"), row.text),
        source: row.source,
        template: format!("{}: {}", tr(lang, "appointments.wait_now"), row.template),
        empty_template: format!("{}: {}", tr(lang, "appointments.wait_now"), row.empty_template),
        assets,
    };
    Ok(no_leak(page::html(portal_ui::render_document(move || leptos::prelude::view! { <CallDisplay data=data/> }))))
}
