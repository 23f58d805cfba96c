//! The tenant's services as its admins switch them on and off in the staff area (a form, and a
//! server function for the island that switches without a reload).

use crate::kit::checked::Checked;
use crate::kit::page::Language;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portal_authz::{Action, Resource};
use portal_catalogue::repo as catalogue;
use portal_domain::{Lang, ServiceSlug};
use portal_ui::blocks::Block;
use portal_ui::i18n::tr;
use portal_ui::islands::ServiceSwitchData;
use portal_ui::server_api::{BoxFuture, StaffApi};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext};

use crate::catalogue::paths;
use crate::kit::office::{audit, staff_page};
use crate::kit::page::{lang_of, see_other};
use crate::kit::pipeline::tenant_tx;
use crate::kit::session::{Staff, load_staff};

pub(super) async fn services(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Services, Action::Read)?;
    let mut conn_tx = crate::kit::pipeline::platform_tx(&state).await?;
    let base = catalogue::base_services(conn_tx.conn()).await?;
    conn_tx.finish().await?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let active = catalogue::activated_slugs(&mut tx).await?;
    tx.finish().await?;
    let mut blocks = Vec::new();
    if s.may(&state, Resource::Services, Action::Write) {
        blocks.push(Block::Text(tr(lang, "staff.services_intro")));
        blocks.push(Block::ServiceSwitches(
            base.iter()
                .map(|b| ServiceSwitchData {
                    slug: b.service_slug.clone(),
                    name: b.name(lang).to_owned(),
                    active: active.contains(&b.service_slug),
                    csrf: s.csrf.clone(),
                    switch_on: tr(lang, "staff.switch_on"),
                    switch_off: tr(lang, "staff.switch_off"),
                    status_on: tr(lang, "staff.status_on"),
                    status_off: tr(lang, "staff.status_off"),
                    failed: tr(lang, "staff.switch_failed"),
                })
                .collect(),
        ));
    } else {
        blocks.push(Block::List(
            base.iter().filter(|b| active.contains(&b.service_slug)).map(|b| b.name(lang).to_owned()).collect(),
        ));
    }
    staff_page(
        &state,
        &ctx,
        lang,
        paths::SERVICES.path(),
        Some(&s),
        StatusCode::OK,
        tr(lang, "staff.nav_services"),
        blocks,
    )
    .await
}

/// Switches a service (shared by the form post and the server function). Checks authorisation and
/// CSRF, audits the change.
async fn set_service(
    state: &AppState,
    ctx: &TenantContext,
    s: &Staff,
    ip: &ClientIp,
    csrf: Option<&str>,
    slug: &str,
    active: bool,
) -> Result<bool, AppError> {
    s.check_csrf(csrf)?;
    s.require(state, Resource::Services, Action::Write)?;
    let slug = ServiceSlug::parse(slug).map_err(|_| AppError::bad_request())?;
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    if !catalogue::set_active(&mut tx, &slug, active).await? {
        return Err(AppError::not_found());
    }
    audit(
        &mut tx,
        s,
        ip,
        if active { "service.activate" } else { "service.deactivate" },
        format!("service:{slug}"),
        serde_json::json!({}),
    )
    .await?;
    tx.finish().await?;
    // this server shows it on the next request; the others when the notification arrives
    state.content.invalidate(ctx.entry.tenant_id);
    Ok(active)
}

pub(super) async fn toggle_service(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    set_service(&state, &ctx, &s, &ip, f.csrf(), &f.text("slug"), f.text("active") == "true").await?;
    Ok(see_other(paths::SERVICES.path()))
}

/// The server functions' view of the server: the request's staff session, checked like a form post.
struct StaffApiImpl {
    state: AppState,
    ctx: TenantContext,
    ip: ClientIp,
    staff: Option<Staff>,
    lang: Lang,
}

impl StaffApi for StaffApiImpl {
    fn set_service_active(&self, csrf: String, slug: String, active: bool) -> BoxFuture<'_, Result<bool, String>> {
        Box::pin(async move {
            let fail = |status: StatusCode, key: &str| {
                if let Some(opts) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
                    opts.set_status(status);
                }
                tr(self.lang, key)
            };
            let Some(s) = &self.staff else { return Err(fail(StatusCode::UNAUTHORIZED, "staff.api_login_required")) };
            match set_service(&self.state, &self.ctx, s, &self.ip, Some(&csrf), &slug, active).await {
                Ok(v) => Ok(v),
                Err(e) if e.kind == portal_web::ErrorKind::Forbidden => {
                    Err(fail(StatusCode::FORBIDDEN, "staff.api_forbidden"))
                }
                Err(e) if e.kind == portal_web::ErrorKind::NotFound => {
                    Err(fail(StatusCode::NOT_FOUND, "errors.not_found_title"))
                }
                Err(e) if e.kind == portal_web::ErrorKind::BadRequest => {
                    Err(fail(StatusCode::BAD_REQUEST, "errors.bad_request_title"))
                }
                Err(e) => {
                    tracing::error!(error = ?e.source, "server function failed");
                    Err(fail(StatusCode::INTERNAL_SERVER_ERROR, "errors.internal_title"))
                }
            }
        })
    }
}

/// `POST /verwaltung/api/*`: leptos server functions, with the staff session as context.
pub(super) async fn server_fn(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let lang = lang_of(&parts.headers);
    let staff = match load_staff(&parts, &state).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let api: Arc<dyn StaffApi> = Arc::new(StaffApiImpl { state, ctx, ip, staff, lang });
    let req = Request::from_parts(parts, body);
    leptos_axum::handle_server_fns_with_context(move || leptos::prelude::provide_context(api.clone()), req)
        .await
        .into_response()
}
