//! The public check on the tenant's host: by the QR code's link (`/pruefen/<token>`) or by the
//! printed number; the key set and the revocations for offline checks; the installable offline
//! check page with its script and service worker.

use crate::kit::page::Language;
use crate::kit::params::Params;
use crate::kit::widgets::{StaticAsset, WidgetNeeds};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portal_documents::token::{self, Claims, Kid, Validity};
use portal_documents::{Fact, Kind, keys, repo};
use portal_domain::Lang;
use portal_ui::blocks::{Block, FilterSpec};
use portal_ui::documents::OfflineCheckSpec;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext};
use serde::Deserialize;
use time::OffsetDateTime;

use super::issue::{validity_badge, validity_label};
use super::paths;
use crate::kit::dates::{fmt_date, fmt_day};
use crate::kit::frame::plain_page;
use crate::kit::limits::allow_per_address;
use crate::kit::pipeline::tenant_tx;
use portal_identity::ratelimit::Limit;

/// Lookups by number from one address: enough for an officer's shift, too few to walk numbers.
const NUMBER_CHECKS_PER_ADDRESS: Limit = Limit { max: 120, window: time::Duration::hours(1) };

const WORKER_JS: &str = include_str!("../../../assets/check-sw.js");
const ICON: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96"><rect width="96" height="96" rx="16" fill="#1a5fb4"/><path d="M26 50l14 14 30-32" fill="none" stroke="#fff" stroke-width="10" stroke-linecap="round" stroke-linejoin="round"/></svg>"##;

/// What a check found.
enum Outcome {
    Forged,
    Genuine { claims: Claims, validity: Validity, revoked_at: Option<OffsetDateTime> },
}

fn kind_label(lang: Lang, k: Kind) -> String {
    tr(lang, &format!("documents.kind_{}", k.as_str()))
}

fn fact_label(lang: Lang, f: Fact) -> String {
    crate::flows::documents::fact_label(f).get(lang).to_owned()
}

fn outcome_blocks(lang: Lang, o: &Outcome) -> Vec<Block> {
    match o {
        Outcome::Forged => {
            vec![Block::Notice("danger", tr(lang, "documents.forged")), Block::Text(tr(lang, "documents.forged_text"))]
        }
        Outcome::Genuine { claims, validity, revoked_at } => {
            // the verdict in words, its colour only repeating them: gültig green, abgelaufen amber,
            // widerrufen red, noch nicht gültig blue
            let kind = validity_badge(*validity);
            let mut facts = vec![
                (
                    tr(lang, "documents.verdict"),
                    tr(lang, "documents.genuine"),
                    Some((kind, validity_label(lang, *validity))),
                ),
                (tr(lang, "documents.kind"), kind_label(lang, claims.kind), None),
                (tr(lang, "documents.number"), claims.number.clone(), None),
                (
                    tr(lang, "documents.valid"),
                    format!("{} – {}", fmt_day(claims.valid_from), fmt_day(claims.valid_until)),
                    None,
                ),
            ];
            if let Some(at) = revoked_at {
                facts.push((tr(lang, "documents.revoked_at"), fmt_date(*at), None));
            }
            // a revoked document shows nothing about its holder: there is nothing left to compare,
            // and a number found some other way must not open anyone's facts
            if revoked_at.is_none() {
                facts.extend(claims.facts.iter().map(|(f, v)| (fact_label(lang, *f), v.clone(), None)));
            }
            vec![
                Block::Notice(kind, format!("{} · {}", tr(lang, "documents.genuine"), validity_label(lang, *validity))),
                Block::Facts(facts),
                Block::Text(tr(lang, "documents.compare")),
            ]
        }
    }
}

fn search_form(lang: Lang, number: &str) -> Block {
    Block::Filters(Box::new(FilterSpec {
        action: paths::CHECK.path().to_owned(),
        selects: vec![],
        dates: vec![],
        texts: vec![("nummer".into(), tr(lang, "documents.number_field"), number.to_owned())],
        checks: vec![],
        submit: tr(lang, "documents.check_submit"),
    }))
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[derive(Debug, Deserialize)]
pub(super) struct NumberQuery {
    #[serde(default)]
    nummer: String,
}

/// The check page: type the printed number (or open the QR code's link).
pub(super) async fn check_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    ip: ClientIp,
    Query(q): Query<NumberQuery>,
) -> Result<Response, AppError> {
    let number = q.nummer.trim().chars().take(60).collect::<String>();
    let mut blocks = vec![Block::Text(tr(lang, "documents.check_intro"))];
    let mut status = StatusCode::OK;
    if !number.is_empty() {
        allow_per_address(&state, ctx.entry.tenant_id, &ip, "document-check", NUMBER_CHECKS_PER_ADDRESS).await?;
    }
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    blocks.push(search_form(lang, &number));
    if !number.is_empty() {
        match repo::by_number(&mut tx, &number).await? {
            Some(d) => blocks.extend(outcome_blocks(
                lang,
                &Outcome::Genuine {
                    claims: d.claims(),
                    validity: d.validity(state.db.clock().today()),
                    revoked_at: d.revoked_at,
                },
            )),
            None => {
                status = StatusCode::NOT_FOUND;
                blocks.push(Block::Notice("danger", tr_with(lang, "documents.unknown_number", &[("number", &number)])));
            }
        }
    }
    blocks.push(Block::Links(vec![(paths::OFFLINE.path().to_owned(), tr(lang, "documents.offline_link"))]));
    let r = plain_page(&state, &ctx, tx, lang, paths::CHECK.path(), status, tr(lang, "documents.check_title"), blocks)
        .await?;
    Ok(no_store(r))
}

/// The QR code's link: the token verified against the tenant's keys, its state from the register.
pub(super) async fn check_token(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    Params(text): Params<String>,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let keys = keys::public_keys(&mut tx).await?;
    let set: Vec<(Kid, &[u8])> = keys.iter().map(|k| (k.kid, k.public.as_slice())).collect();
    let outcome = match token::verify(&text, set.iter().map(|(k, p)| (k, *p))) {
        Err(_) => Outcome::Forged,
        // a signature alone is not enough online: the register must hold this very token under its
        // number (a leaked or retired key cannot mint numbers or alter facts)
        Ok((_, claims)) => match repo::by_number(&mut tx, &claims.number).await? {
            Some(d) if token::fingerprint(&text).is_some_and(|f| f == d.token_sha256) => Outcome::Genuine {
                validity: Validity::of(&claims, state.db.clock().today(), d.revoked_at.is_some()),
                claims,
                revoked_at: d.revoked_at,
            },
            _ => Outcome::Forged,
        },
    };
    let status = if matches!(outcome, Outcome::Forged) { StatusCode::NOT_FOUND } else { StatusCode::OK };
    metrics::counter!("documents_checked_total", "outcome" => if status == StatusCode::OK { "genuine" } else { "forged" }).increment(1);
    let mut blocks = outcome_blocks(lang, &outcome);
    blocks.push(search_form(lang, ""));
    blocks.push(Block::Links(vec![(paths::OFFLINE.path().to_owned(), tr(lang, "documents.offline_link"))]));
    let r = plain_page(&state, &ctx, tx, lang, paths::CHECK.path(), status, tr(lang, "documents.check_title"), blocks)
        .await?;
    let mut r = no_store(r);
    // the token is in the address: it goes nowhere else
    r.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    Ok(r)
}

/// The tenant's public keys (a JSON key set), current first; retired keys stay.
pub(super) async fn key_set(State(state): State<AppState>, ctx: TenantContext) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let keys = keys::public_keys(&mut tx).await?;
    tx.finish().await?;
    let body = serde_json::to_string(&keys::key_set_json(&keys)).unwrap_or_default();
    Ok(([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "public, max-age=300")], body)
        .into_response())
}

/// The revoked documents still within their validity, for the offline check's sync: the SHA-256 of
/// each revoked token (see [`token::fingerprint`]).
pub(super) async fn revoked(State(state): State<AppState>, ctx: TenantContext) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let list = repo::revocations(&mut tx, state.db.clock().today()).await?;
    tx.finish().await?;
    let body = serde_json::json!({
        "synced_at": state.db.now().unix_timestamp(),
        // the tokens' fingerprints: nothing in the list can be turned back into a number to look up
        "revoked": list.iter().map(|(fingerprint, at)| serde_json::json!({ "token_sha256": fingerprint, "revoked_at": at.unix_timestamp() })).collect::<Vec<_>>(),
    });
    Ok(([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-cache")], body.to_string())
        .into_response())
}

fn script_texts(lang: Lang) -> String {
    let mut m = serde_json::Map::new();
    for key in super::SCRIPT_TEXTS {
        m.insert(key.into(), tr(lang, &format!("documents.js_{key}")).into());
    }
    for v in [Validity::Valid, Validity::NotYetValid, Validity::Expired, Validity::Revoked] {
        m.insert(v.code().into(), validity_label(lang, v).into());
    }
    for f in portal_documents::types::FACTS {
        m.insert(format!("fact_{}", f.code()), fact_label(lang, f).into());
    }
    serde_json::Value::Object(m).to_string()
}

/// The offline check: works from the phone's cache once opened with a network.
pub(super) async fn offline_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
) -> Result<Response, AppError> {
    let tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let blocks = vec![
        Block::Text(tr(lang, "documents.offline_intro")),
        portal_ui::documents::offline_check_block(OfflineCheckSpec {
            keys_url: paths::KEYS.path().to_owned(),
            revoked_url: paths::REVOKED.path().to_owned(),
            worker_url: paths::WORKER.path().to_owned(),
            manifest_url: paths::MANIFEST.path().to_owned(),
            label: tr(lang, "documents.token_field"),
            hint: tr(lang, "documents.token_hint"),
            submit: tr(lang, "documents.check_submit"),
            noscript: tr(lang, "documents.offline_noscript"),
            texts: script_texts(lang),
        }),
        Block::Links(vec![(paths::CHECK.path().to_owned(), tr(lang, "documents.online_link"))]),
    ];
    let r = plain_page(
        &state,
        &ctx,
        tx,
        lang,
        paths::OFFLINE.path(),
        StatusCode::OK,
        tr(lang, "documents.offline_title"),
        blocks,
    )
    .await?;
    Ok(no_store(r))
}

pub(super) async fn manifest(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
) -> Result<Response, AppError> {
    let content = crate::kit::page::content(&state, &ctx).await?;
    let tenant = content.branding.as_ref().map_or_else(|| ctx.entry.name.clone(), |b| b.display_name.clone());
    let colour =
        content.branding.as_ref().map_or_else(|| "#1a5fb4".to_owned(), |b| b.primary_colour.as_str().to_owned());
    let name = tr_with(lang, "documents.app_name", &[("tenant", &tenant)]);
    let body = serde_json::json!({
        "name": name,
        "short_name": tr(lang, "documents.app_short"),
        "start_url": paths::OFFLINE.path(),
        "scope": format!("{}/", paths::CHECK.path()),
        "display": "standalone",
        "lang": lang.code(),
        "background_color": "#ffffff",
        "theme_color": colour,
        "icons": [{ "src": paths::ICON.path(), "sizes": "any", "type": "image/svg+xml", "purpose": "any" }],
    });
    Ok(([(header::CONTENT_TYPE, "application/manifest+json"), (header::CACHE_CONTROL, "no-cache")], body.to_string())
        .into_response())
}

pub(super) async fn worker() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], WORKER_JS)
        .into_response()
}

pub(super) async fn script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], CHECK_JS.body)
        .into_response()
}

pub(super) async fn icon() -> Response {
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")], ICON).into_response()
}

/// The offline check's script (served by its own route without long caching: the service worker
/// keeps it).
pub(super) const CHECK_JS: StaticAsset = StaticAsset {
    path: paths::SCRIPT,
    content_type: "text/javascript; charset=utf-8",
    body: include_str!("../../../assets/check.js"),
};

/// The offline check loads its script.
pub(super) const OFFLINE_CHECK: WidgetNeeds =
    WidgetNeeds { scripts: check_scripts, ..WidgetNeeds::plain(portal_ui::documents::OFFLINE_CHECK) };

fn check_scripts(_: &AppState) -> Vec<String> {
    vec![CHECK_JS.url()]
}
