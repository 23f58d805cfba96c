//! Data protection (export and deletion of the account) and the login through an identity provider (OpenID Connect).

use super::*;
use crate::account::paths;
use crate::kit::checked::Checked;
use crate::kit::notice::Notice;
use crate::kit::page::Language;
use crate::kit::params::Params;

pub(super) async fn export(
    State(state): State<AppState>,
    ctx: TenantContext,
    citizen: Citizen,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let mut data = citizen::export(&mut tx, citizen.citizen_id).await?.ok_or_else(AppError::not_found)?;
    let applications = portal_cases::export_for(&mut tx, citizen.citizen_id).await?;
    let payments = portal_payments::repo::export_for(&mut tx, citizen.citizen_id).await?;
    if let Some(o) = data.as_object_mut() {
        o.insert("applications".into(), applications);
        o.insert("payments".into(), payments);
    }
    tx.finish().await?;
    let body = serde_json::to_string_pretty(&data).unwrap_or_default();
    let date = state.db.now().date();
    Ok(crate::kit::page::attachment(
        "application/json; charset=utf-8",
        body,
        &format!("buergerkonto-{}-{date}.json", ctx.entry.slug),
    ))
}

pub(super) fn delete_blocks(lang: Lang, csrf: &str, has_password: bool, form: FormState) -> Vec<Block> {
    let form = with_labels(
        form,
        lang,
        &[("confirm", "account.delete_confirm"), ("current_password", "account.current_password")],
    );
    let mut fields = vec![Field::new("confirm", tr(lang, "account.delete_confirm"), FieldKind::Checkbox).required()];
    if has_password {
        fields.push(
            Field::new("current_password", tr(lang, "account.current_password"), FieldKind::Password)
                .autocomplete("current-password")
                .required(),
        );
    }
    vec![
        Block::Text(tr(lang, "account.delete_intro")),
        Block::Heading(tr(lang, "account.delete_removed_heading")),
        Block::List(vec![
            tr(lang, "account.delete_removed_1"),
            tr(lang, "account.delete_removed_2"),
            tr(lang, "account.delete_removed_3"),
        ]),
        Block::Heading(tr(lang, "account.delete_kept_heading")),
        Block::List(vec![
            tr(lang, "account.delete_kept_1"),
            tr(lang, "account.delete_kept_2"),
            tr(lang, "account.delete_kept_3"),
        ]),
        Block::Form(FormSpec {
            action: paths::DELETE_FORM.path().into(),
            csrf: csrf.to_owned(),
            form,
            fields,
            submit: tr(lang, "account.delete_submit"),
            danger: true,
            secondary: Some((paths::OVERVIEW.path().into(), tr(lang, "account.cancel"))),
        }),
    ]
}

pub(super) async fn delete_form(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    citizen: Citizen,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let acc = citizen::get(&mut tx, citizen.citizen_id).await?.ok_or_else(AppError::not_found)?;
    let form = form_state(&["confirm", "current_password"], &[]);
    page_in(
        &state,
        &ctx,
        tx,
        lang,
        paths::DELETE_FORM.path(),
        StatusCode::OK,
        tr(lang, "account.delete_title"),
        delete_blocks(lang, &citizen.csrf, acc.has_password, form),
    )
    .await
}

pub(super) async fn delete(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    Checked(citizen, f): Checked<Citizen>,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let acc = citizen::get(&mut tx, citizen.citizen_id).await?.ok_or_else(AppError::not_found)?;
    let mut form = form_state(&["confirm", "current_password"], &[("confirm", f.text("confirm"))]);
    if f.text("confirm") != "on" {
        err(&mut form, lang, "confirm", "validation.delete_confirm");
    }
    if acc.has_password && !citizen::check_password(&mut tx, citizen.citizen_id, &f.raw("current_password")).await? {
        err(&mut form, lang, "current_password", "validation.current_password");
    }
    if form.has_errors() {
        return page_in(
            &state,
            &ctx,
            tx,
            lang,
            paths::DELETE_FORM.path(),
            StatusCode::UNPROCESSABLE_ENTITY,
            tr(lang, "account.delete_title"),
            delete_blocks(lang, &citizen.csrf, acc.has_password, form),
        )
        .await;
    }
    citizen::delete(&mut tx, citizen.citizen_id).await?;
    tx.finish().await?;
    tracing::info!(citizen.id = %citizen.citizen_id, "citizen account deleted");
    Ok(with_cookie(
        Notice::Deleted.redirect(paths::LOGIN_FORM.path()),
        &cookies::set(CITIZEN_COOKIE, "", secure(&state), Some(0), true),
    ))
}

// ---------------------------------------------------------------------------------------------
// OpenID Connect

pub(super) fn redirect_uri(state: &AppState, ctx: &TenantContext, headers: &HeaderMap) -> String {
    format!("{}/konto/oidc/rueckruf", base_url(state, &ctx.host, headers))
}

pub(super) async fn oidc_failed(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    status: StatusCode,
    key: &str,
) -> Result<Response, AppError> {
    let blocks = vec![
        Block::Notice("danger", tr(lang, key)),
        Block::Links(vec![(paths::LOGIN_FORM.path().into(), tr(lang, "account.back_to_login"))]),
    ];
    let r =
        page(state, ctx, lang, paths::OIDC_CALLBACK.path(), status, tr(lang, "account.provider_failed_title"), blocks)
            .await?;
    Ok(with_cookie(r, &cookies::set(OIDC_COOKIE, "", secure(state), Some(0), true)))
}

pub(super) async fn oidc_start(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    Params(slug): Params<String>,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let provider = oidc::provider(&mut tx, &slug).await?.filter(|p| p.enabled).ok_or_else(AppError::not_found)?;
    tx.finish().await?;
    match state.oidc.start(ctx.entry.tenant_id.0, &provider, &redirect_uri(&state, &ctx, &headers)).await {
        Ok((url, flow)) => {
            let value = state.oidc.seal_flow(ctx.entry.tenant_id.0, &flow);
            let cookie =
                cookies::set(OIDC_COOKIE, &value, secure(&state), Some(portal_identity::oidc::FLOW_TTL_SECS), true);
            Ok(with_cookie(see_other(&url), &cookie))
        }
        Err(e) => {
            tracing::error!(tenant.id = %ctx.entry.tenant_id, provider = %slug, error = %e, "identity provider login could not start");
            oidc_failed(&state, &ctx, lang, StatusCode::BAD_GATEWAY, "account.provider_unavailable").await
        }
    }
}

#[derive(Deserialize)]
pub(super) struct CallbackQuery {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

pub(super) async fn oidc_callback(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    Query(q): Query<CallbackQuery>,
    MaybeCitizen(current): MaybeCitizen,
) -> Result<Response, AppError> {
    let tenant = ctx.entry.tenant_id;
    let flow: Option<FlowState> = cookies::get(&headers, OIDC_COOKIE).and_then(|v| state.oidc.open_flow(tenant.0, v));
    let (Some(flow), Some(code), Some(returned_state)) = (flow, q.code, q.state) else {
        let key = if q.error.is_some() { "account.provider_cancelled" } else { "account.provider_state_invalid" };
        tracing::warn!(tenant.id = %tenant, error = q.error.as_deref().unwrap_or(""), "identity provider callback without a login in progress");
        return oidc_failed(&state, &ctx, lang, StatusCode::BAD_REQUEST, key).await;
    };
    // the page's transaction: the session check may have touched the citizen's session row in it,
    // which this callback ends below (a transaction of its own would wait on that row's lock)
    let mut tx = tenant_tx(&state, tenant).await?;
    let Some(provider) = oidc::provider(&mut tx, &flow.provider).await?.filter(|p| p.enabled) else {
        drop(tx);
        return oidc_failed(&state, &ctx, lang, StatusCode::BAD_REQUEST, "account.provider_state_invalid").await;
    };
    tx.finish().await?;
    let claims = match state
        .oidc
        .finish(tenant.0, &provider, &redirect_uri(&state, &ctx, &headers), &flow, &code, &returned_state)
        .await
    {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(tenant.id = %tenant, provider = %provider.slug, error = %e, "identity provider login refused");
            let (status, key) = match e {
                OidcError::StateMismatch => (StatusCode::BAD_REQUEST, "account.provider_state_invalid"),
                OidcError::IdToken(_) => (StatusCode::UNAUTHORIZED, "account.provider_token_invalid"),
                _ => (StatusCode::BAD_GATEWAY, "account.provider_unavailable"),
            };
            return oidc_failed(&state, &ctx, lang, status, key).await;
        }
    };
    let mut tx = tenant_tx(&state, tenant).await?;
    let citizen = citizen::login_with_identity(
        &mut tx,
        &provider.slug,
        &provider.display_name,
        &claims,
        current.as_ref().map(|c| c.citizen_id),
    )
    .await?;
    if let Some(c) = &current {
        session::end(&mut tx, &c.token).await?;
    }
    let token = session::start(&mut tx, Subject::Citizen(citizen)).await?;
    tx.finish().await?;
    metrics::counter!("portal_logins_total", "result" => "provider").increment(1);
    tracing::info!(citizen.id = %citizen, provider = %provider.slug, "citizen logged in through identity provider");
    let r = with_cookie(Notice::ProviderLogin.redirect(paths::OVERVIEW.path()), &session_cookie(&state, &token));
    Ok(with_cookie(r, &cookies::set(OIDC_COOKIE, "", secure(&state), Some(0), true)))
}
