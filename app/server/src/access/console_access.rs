//! Console pages about access: a tenant's staff (the first tenant admin is invited here) and its
//! identity providers, the platform-wide audit log, and the job queue.

use crate::kit::checked::Checked;
use crate::kit::page::Language;
use crate::kit::params::Params;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use portal_authz::audit::{self, Event};
use portal_authz::{Action, Resource};
use portal_domain::{HostName, Lang, TenantId};
use portal_identity::oidc;
use portal_identity::staff;
use portal_tenancy::repo as tenants;
use portal_ui::blocks::{Block, Cell};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext};
use serde::Deserialize;
use uuid::Uuid;

use super::identity_admin::{self, invite_form, parse_invitation, provider_blocks, role_label};
use crate::access::paths;
use crate::kit::notice::Notice;
use crate::kit::operator::{OperatorSession, render, require};
use crate::kit::pipeline::tenant_tx;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::ACCESS_PAGE.pattern(), get(access_page).post(invite_admin))
        .route(paths::PROVIDERS_PAGE.pattern(), get(providers_page).post(save_provider))
        .route(paths::CONSOLE_DELETE_PROVIDER.pattern(), post(delete_provider))
}

/// The tenant as the portal sees it, for mails sent on its behalf (sender name, links to its host).
async fn tenant_context(state: &AppState, id: TenantId) -> Result<(TenantContext, String), AppError> {
    let mut tx = crate::kit::pipeline::platform_tx(state).await?;
    let t = tenants::get(&mut tx, id).await?.ok_or_else(AppError::not_found)?;
    tx.finish().await?;
    let host_text = t.hosts.first().cloned().ok_or_else(AppError::not_found)?;
    let host = HostName::parse(&host_text).map_err(|_| AppError::not_found())?;
    let entry = state.registry.resolve(&host).ok_or_else(AppError::not_found)?;
    Ok((TenantContext { entry, host }, t.name))
}

#[derive(Deserialize, Default)]
struct Q {
    #[serde(default)]
    hinweis: Option<String>,
}

async fn access_blocks(
    state: &AppState,
    lang: Lang,
    s: &OperatorSession,
    id: TenantId,
    notice: Option<Block>,
    invite: FormState,
) -> Result<Vec<Block>, AppError> {
    let mut tx = tenant_tx(state, id).await?;
    let list = staff::list(&mut tx).await?;
    tx.finish().await?;
    let csrf = s.session.csrf_token.clone();
    let mut blocks: Vec<Block> = notice.into_iter().collect();
    blocks.push(Block::Heading(tr(lang, "staff.list_caption")));
    blocks.push(Block::Table {
        caption: tr(lang, "staff.list_caption"),
        headers: vec![
            tr(lang, "staff.name"),
            tr(lang, "staff.email"),
            tr(lang, "staff.role"),
            tr(lang, "staff.status"),
        ],
        rows: list
            .iter()
            .map(|u| {
                vec![
                    Cell::Text(u.display_name.clone()),
                    Cell::Text(u.email.clone()),
                    Cell::Text(u.roles.iter().map(|r| role_label(lang, &r.role)).collect::<Vec<_>>().join(", ")),
                    Cell::Text(tr(lang, &format!("staff.status_{}", u.status))),
                ]
            })
            .collect(),
        empty: tr(lang, "staff.none"),
    });
    blocks.push(Block::Heading(tr(lang, "console.invite_admin_heading")));
    blocks.push(Block::Text(tr(lang, "console.invite_admin_intro")));
    blocks.push(Block::Form(invite_form(
        lang,
        &csrf,
        &paths::ACCESS_PAGE.with(&[&id.0]),
        invite,
        &["tenant_admin"],
        &[],
    )));
    blocks.push(Block::Heading(tr(lang, "staff.nav_identity")));
    blocks.push(Block::Links(vec![(paths::PROVIDERS_PAGE.with(&[&id.0]), tr(lang, "console.providers_link"))]));
    Ok(blocks)
}

/// The tenant's identity providers and the form to add or change one (a page of its own: its form
/// shares field names with the invitation form).
async fn render_providers(
    state: &AppState,
    lang: Lang,
    s: &OperatorSession,
    id: TenantId,
    notice: Option<Block>,
    form: FormState,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (_, name) = tenant_context(state, id).await?;
    let mut tx = tenant_tx(state, id).await?;
    let providers = oidc::providers(&mut tx, false).await?;
    tx.finish().await?;
    let mut blocks: Vec<Block> = notice.into_iter().collect();
    blocks.extend(provider_blocks(
        lang,
        &s.session.csrf_token,
        &paths::PROVIDERS_PAGE.with(&[&id.0]),
        &state.oidc,
        id.0,
        &providers,
        form,
    ));
    blocks.push(Block::Links(vec![(
        paths::ACCESS_PAGE.with(&[&id.0]),
        tr_with(lang, "console.access_title", &[("name", &name)]),
    )]));
    Ok(render(
        state,
        lang,
        s,
        &paths::PROVIDERS_PAGE.with(&[&id.0]),
        status,
        tr_with(lang, "console.providers_title", &[("name", &name)]),
        blocks,
    ))
}

async fn providers_page(
    State(state): State<AppState>,
    s: OperatorSession,
    Language(lang): Language,
    Params(id): Params<Uuid>,
    Query(q): Query<Q>,
) -> Result<Response, AppError> {
    require(&state, &s, Resource::IdentityProviders, Action::Read)?;
    let notice = Notice::parse(q.hinweis.as_deref()).and_then(|n| n.block(lang));
    render_providers(&state, lang, &s, TenantId(id), notice, FormState::default(), StatusCode::OK).await
}

fn invite_state() -> FormState {
    let mut f = FormState {
        order: identity_admin::INVITE_FIELDS.iter().map(|s| (*s).to_owned()).collect(),
        ..FormState::default()
    };
    f.values.insert("role".into(), "tenant_admin".into());
    f
}

async fn access_page(
    State(state): State<AppState>,
    s: OperatorSession,
    Language(lang): Language,
    Params(id): Params<Uuid>,
    Query(q): Query<Q>,
) -> Result<Response, AppError> {
    require(&state, &s, Resource::Staff, Action::Write)?;
    let (_, name) = tenant_context(&state, TenantId(id)).await?;
    let notice = (Notice::parse(q.hinweis.as_deref()) == Some(Notice::Invited))
        .then(|| Block::Notice("success", tr(lang, "staff.invited")));
    let blocks = access_blocks(&state, lang, &s, TenantId(id), notice, invite_state()).await?;
    Ok(render(
        &state,
        lang,
        &s,
        &paths::ACCESS_PAGE.with(&[&id]),
        StatusCode::OK,
        tr_with(lang, "console.access_title", &[("name", &name)]),
        blocks,
    ))
}

async fn invite_admin(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Language(lang): Language,
    Params(id): Params<Uuid>,
    Checked(s, f): Checked<OperatorSession>,
) -> Result<Response, AppError> {
    let principal = require(&state, &s, Resource::Staff, Action::Write)?;
    let tenant = TenantId(id);
    let (ctx, name) = tenant_context(&state, tenant).await?;
    let title = tr_with(lang, "console.access_title", &[("name", &name)]);
    let inv = match parse_invitation(lang, &f, &["tenant_admin"], &[]) {
        Ok(i) => i,
        Err(form) => {
            let blocks = access_blocks(&state, lang, &s, tenant, None, form).await?;
            return Ok(render(
                &state,
                lang,
                &s,
                &paths::ACCESS_PAGE.with(&[&id]),
                StatusCode::UNPROCESSABLE_ENTITY,
                title,
                blocks,
            ));
        }
    };
    // the portal runs on the console's port on development machines
    let base = crate::kit::mail::base_url(&state, &ctx.host, &headers);
    let mut tx = state.db.platform().await?.into_tenant(tenant).await?;
    match identity_admin::invite(&mut tx, &ctx, &base, lang, &inv).await? {
        Ok(staff_id) => {
            audit::record(
                tx.conn(),
                &principal,
                ip.0,
                Event {
                    tenant: Some(tenant),
                    action: "staff.invite",
                    object: format!("staff:{staff_id}"),
                    detail: serde_json::json!({ "email": inv.email.as_str(), "role": "tenant_admin" }),
                },
            )
            .await?;
            tx.commit().await?;
            Ok(Notice::Invited.redirect(&paths::ACCESS_PAGE.with(&[&id])))
        }
        Err(()) => {
            let mut form = invite_state();
            form.values.insert("email".into(), f.text("email"));
            form.values.insert("display_name".into(), f.text("display_name"));
            form.errors.insert("email".into(), tr(lang, "staff.email_taken"));
            let blocks = access_blocks(&state, lang, &s, tenant, None, form).await?;
            Ok(render(&state, lang, &s, &paths::ACCESS_PAGE.with(&[&id]), StatusCode::CONFLICT, title, blocks))
        }
    }
}

async fn save_provider(
    State(state): State<AppState>,
    ip: ClientIp,
    Language(lang): Language,
    Params(id): Params<Uuid>,
    Checked(s, f): Checked<OperatorSession>,
) -> Result<Response, AppError> {
    let principal = require(&state, &s, Resource::IdentityProviders, Action::Write)?;
    let tenant = TenantId(id);
    let mut tx = state.db.platform().await?.into_tenant(tenant).await?;
    let p = match identity_admin::save_provider(&mut tx, &state.oidc, lang, &f).await? {
        Ok(p) => p,
        Err(form) => {
            drop(tx);
            return render_providers(&state, lang, &s, tenant, None, form, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    audit::record(
        tx.conn(),
        &principal,
        ip.0,
        Event {
            tenant: Some(tenant),
            action: "identity_provider.save",
            object: format!("identity_provider:{}", p.slug),
            detail: serde_json::json!({ "issuer": p.issuer_url, "client_id": p.client_id, "enabled": p.enabled }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Notice::Saved.redirect(&paths::PROVIDERS_PAGE.with(&[&id])))
}

async fn delete_provider(
    State(state): State<AppState>,
    ip: ClientIp,
    Params((id, slug)): Params<(Uuid, String)>,
    Checked(s, _): Checked<OperatorSession>,
) -> Result<Response, AppError> {
    let principal = require(&state, &s, Resource::IdentityProviders, Action::Write)?;
    let tenant = TenantId(id);
    let mut tx = state.db.platform().await?.into_tenant(tenant).await?;
    if !oidc::delete_provider(&mut tx, &slug).await? {
        return Err(AppError::not_found());
    }
    audit::record(
        tx.conn(),
        &principal,
        ip.0,
        Event {
            tenant: Some(tenant),
            action: "identity_provider.delete",
            object: format!("identity_provider:{slug}"),
            detail: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Notice::Deleted.redirect(&paths::PROVIDERS_PAGE.with(&[&id])))
}
