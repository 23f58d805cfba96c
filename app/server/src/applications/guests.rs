//! Guests: the case behind the secret status link.

use super::*;
use crate::applications::paths;
use crate::kit::checked::{Anonymous, Checked, Gated};
use crate::kit::page::Language;
use crate::kit::params::Params;

pub(super) async fn guest_case_page(
    state: &AppState,
    ctx: &TenantContext,
    headers: &HeaderMap,
    lang: Lang,
    token: &str,
    reply: Option<(String, Option<String>, Option<String>)>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (csrf, new) = anon_csrf(headers);
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let case = guest_lookup(&mut tx, token).await?;
    let base = paths::GUEST_CASE.with(&[&token]);
    let blocks = case_blocks(&mut tx, lang, &case, &base, &csrf, reply).await?;
    let title = tr_with(lang, "cases.case_title", &[("reference", &case.reference)]);
    let mut r = render(state, ctx, tx, lang, &base, status, title, blocks).await?;
    // the link is a secret: keep it out of other sites' logs
    r.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    Ok(set_anon_csrf(state, r, &csrf, new))
}

pub(super) async fn guest_case(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Params(token): Params<String>,
) -> Result<Response, AppError> {
    guest_case_page(&state, &ctx, &headers, lang_of(&headers), &token, None, StatusCode::OK).await
}

pub(super) async fn guest_reply(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    ip: ClientIp,
    Params(token): Params<String>,
    Checked(_, body): Checked<Anonymous, Gated>,
) -> Result<Response, AppError> {
    // counted per source address before any file is read; with a file, the token and the status
    // link are checked before the file is
    allow_per_address(&state, ctx.entry.tenant_id, &ip, "guest-reply", GUEST_REPLIES_PER_ADDRESS).await?;
    let (st, token_ref, tenant) = (&state, &token, ctx.entry.tenant_id);
    let posted = body
        .read(move |_| async move {
            let mut tx = st.db.tenant(tenant).await?;
            guest_lookup(&mut tx, token_ref).await?;
            tx.commit().await?;
            Ok(FileLimits::message_attachment())
        })
        .await?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let case = guest_lookup(&mut tx, &token).await?;
    let name = case.applicant_name.clone();
    if let Some(problem) = reply(&mut tx, lang, &case, &Actor::guest(&name), &posted).await? {
        drop(tx);
        return guest_case_page(&state, &ctx, &headers, lang, &token, Some(problem), StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    }
    tx.finish().await?;
    Ok(see_other(&paths::GUEST_CASE.with(&[&token])))
}

pub(super) async fn guest_receipt(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Params(token): Params<String>,
) -> Result<Response, AppError> {
    guest_pdf(&state, &ctx, &headers, &token, application_receipt).await
}

pub(super) async fn guest_file(
    State(state): State<AppState>,
    ctx: TenantContext,
    Params((token, file_id)): Params<(String, Uuid)>,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let case = guest_lookup(&mut tx, &token).await?;
    let (file, bytes) = cases::file(&mut tx, file_id)
        .await?
        .filter(|(f, _)| f.case_id == Some(case.case_id))
        .ok_or_else(AppError::not_found)?;
    tx.finish().await?;
    Ok(file_response(file, bytes))
}
