//! Staff management, identity providers and the audit log.

use super::*;
use crate::access::paths;
use crate::kit::checked::Checked;
use crate::kit::notice::Notice;
use crate::kit::page::Language;
use crate::kit::params::Params;

/// The services a case worker's scope may name: the base catalogue and the tenant's own services.
pub(super) async fn service_options(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
) -> Result<(Vec<(String, String)>, Vec<String>), AppError> {
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("select service_slug, name_de, name_en from service_entry order by own, name_de")
            .fetch_all(tx.conn())
            .await?;
    tx.finish().await?;
    let options: Vec<(String, String)> = rows.into_iter().map(|(slug, de, en)| (slug, lang.pick(de, en))).collect();
    let slugs = options.iter().map(|(s, _)| s.clone()).collect();
    Ok((options, slugs))
}

pub(super) async fn staff_list_page(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    s: &Staff,
    notice: Option<Block>,
    form: FormState,
    status: StatusCode,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let list = staff::list(&mut tx).await?;
    tx.finish().await?;
    let (options, _) = service_options(state, ctx, lang).await?;
    let role_options: Vec<(String, String)> =
        TENANT_ROLES.iter().map(|r| ((*r).to_owned(), role_label(lang, r))).collect();
    let can_write = s.may(state, Resource::Staff, Action::Write);
    let rows = list
        .iter()
        .map(|u| {
            let role = u.roles.first().map(|r| r.role.clone()).unwrap_or_default();
            let scope = u
                .roles
                .iter()
                .find(|r| !r.scope_services.is_empty())
                .map(|r| r.scope_services.join(", "))
                .unwrap_or_default();
            let status = tr(lang, &format!("staff.status_{}", u.status));
            let mut actions = Vec::new();
            if can_write && u.status != "revoked" && u.staff_id != s.user.staff_id {
                let mut f = FormState::default();
                f.values.insert("role".into(), role.clone());
                actions.push(Cell::Form(Box::new(FormSpec {
                    action: paths::CHANGE_ROLE.with(&[&u.staff_id]),
                    csrf: s.csrf.clone(),
                    form: f,
                    fields: vec![Field::new(
                        &format!("role-{}", u.staff_id),
                        tr(lang, "staff.role"),
                        FieldKind::Select(role_options.clone()),
                    )],
                    submit: tr(lang, "staff.change_role"),
                    danger: false,
                    secondary: None,
                })));
                actions.push(Cell::Buttons(vec![Button {
                    action: paths::REVOKE.with(&[&u.staff_id]),
                    csrf: s.csrf.clone(),
                    hidden: vec![],
                    label: tr(lang, "staff.revoke"),
                    danger: true,
                }]));
            }
            let mut row = vec![
                Cell::Text(u.display_name.clone()),
                Cell::Text(u.email.clone()),
                Cell::Text(if role.is_empty() { "–".into() } else { role_label(lang, &role) }),
                Cell::Text(scope),
                Cell::Text(status),
            ];
            if can_write && actions.is_empty() {
                actions = vec![Cell::Text(String::new()), Cell::Text(String::new())];
            }
            row.extend(actions);
            row
        })
        .collect();
    let mut blocks: Vec<Block> = notice.into_iter().collect();
    blocks.push(Block::Table {
        caption: tr(lang, "staff.list_caption"),
        headers: if can_write {
            vec![
                tr(lang, "staff.name"),
                tr(lang, "staff.email"),
                tr(lang, "staff.role"),
                tr(lang, "staff.scope"),
                tr(lang, "staff.status"),
                tr(lang, "staff.change_role"),
                tr(lang, "common.actions"),
            ]
        } else {
            vec![
                tr(lang, "staff.name"),
                tr(lang, "staff.email"),
                tr(lang, "staff.role"),
                tr(lang, "staff.scope"),
                tr(lang, "staff.status"),
            ]
        },
        rows,
        empty: tr(lang, "staff.none"),
    });
    if can_write {
        blocks.push(Block::Heading(tr(lang, "staff.invite_heading")));
        blocks.push(Block::Form(invite_form(lang, &s.csrf, paths::STAFF_LIST.path(), form, &TENANT_ROLES, &options)));
    }
    staff_page(state, ctx, lang, paths::STAFF_LIST.path(), Some(s), status, tr(lang, "staff.nav_staff"), blocks).await
}

pub(super) fn invite_state() -> FormState {
    FormState { order: identity_admin::INVITE_FIELDS.iter().map(|s| (*s).to_owned()).collect(), ..FormState::default() }
}

pub(super) async fn staff_list(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Query(q): Query<Q>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Staff, Action::Read)?;
    let notice = Notice::parse(q.hinweis.as_deref()).and_then(|h| match h {
        Notice::Invited => Some(Block::Notice("success", tr(lang, "staff.invited"))),
        Notice::RoleChanged => Some(Block::Notice("success", tr(lang, "staff.role_changed"))),
        Notice::Revoked => Some(Block::Notice("success", tr(lang, "staff.revoked"))),
        Notice::LastAdmin => Some(Block::Notice("danger", tr(lang, "staff.last_admin"))),
        _ => None,
    });
    staff_list_page(&state, &ctx, lang, &s, notice, invite_state(), StatusCode::OK).await
}

pub(super) async fn invite(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    headers: HeaderMap,
    Language(lang): Language,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Staff, Action::Write)?;
    let (_, known) = service_options(&state, &ctx, lang).await?;
    let inv = match parse_invitation(lang, &f, &TENANT_ROLES, &known) {
        Ok(i) => i,
        Err(form) => {
            return staff_list_page(&state, &ctx, lang, &s, None, form, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let base = base_url(&state, &ctx.host, &headers);
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    match identity_admin::invite(&mut tx, &ctx, &base, lang, &inv).await? {
        Ok(id) => {
            audit(&mut tx, &s, &ip, "staff.invite", format!("staff:{id}"), serde_json::json!({ "email": inv.email.as_str(), "role": inv.grant.role, "scope_services": inv.grant.scope_services }))
                .await?;
            tx.finish().await?;
            Ok(Notice::Invited.redirect(paths::STAFF_LIST.path()))
        }
        Err(()) => {
            let mut form = invite_state();
            for k in ["email", "display_name", "role"] {
                form.values.insert(k.into(), f.text(k));
            }
            form.errors.insert("email".into(), tr(lang, "staff.email_taken"));
            staff_list_page(&state, &ctx, lang, &s, None, form, StatusCode::CONFLICT).await
        }
    }
}

/// Refuses to remove the last active tenant admin (the tenant would be locked out).
pub(super) async fn keeps_an_admin(
    tx: &mut portal_db::TenantTx,
    target: &staff::StaffUser,
    new_role: Option<&str>,
) -> Result<bool, AppError> {
    let is_admin = target.status == "active" && target.roles.iter().any(|r| r.role == "tenant_admin");
    if !is_admin || new_role == Some("tenant_admin") {
        return Ok(true);
    }
    Ok(staff::active_admins(tx).await? > 1)
}

pub(super) async fn change_role(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Params(id): Params<Uuid>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Staff, Action::Write)?;
    let role = f.text(&format!("role-{id}"));
    if !TENANT_ROLES.contains(&role.as_str()) {
        return Err(AppError::bad_request());
    }
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let target = staff::get(&mut tx, id).await?.ok_or_else(AppError::not_found)?;
    if !keeps_an_admin(&mut tx, &target, Some(&role)).await? {
        return Ok(Notice::LastAdmin.redirect(paths::STAFF_LIST.path()));
    }
    let scope =
        target.roles.iter().find(|r| r.role == "case_worker").map(|r| r.scope_services.clone()).unwrap_or_default();
    staff::set_roles(
        &mut tx,
        id,
        &[RoleGrant { role: role.clone(), scope_services: if role == "case_worker" { scope } else { vec![] } }],
    )
    .await?;
    // a privilege change: the member's sessions end, the next login gets a fresh one
    session::end_all(&mut tx, Subject::Staff(id)).await?;
    audit(
        &mut tx,
        &s,
        &ip,
        "staff.role_change",
        format!("staff:{id}"),
        serde_json::json!({ "from": target.roles.iter().map(|r| r.role.clone()).collect::<Vec<_>>(), "to": role }),
    )
    .await?;
    tx.finish().await?;
    Ok(Notice::RoleChanged.redirect(paths::STAFF_LIST.path()))
}

pub(super) async fn revoke(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Params(id): Params<Uuid>,
    Checked(s, _): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Staff, Action::Write)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let target = staff::get(&mut tx, id).await?.ok_or_else(AppError::not_found)?;
    if !keeps_an_admin(&mut tx, &target, None).await? {
        return Ok(Notice::LastAdmin.redirect(paths::STAFF_LIST.path()));
    }
    staff::revoke(&mut tx, id).await?;
    let ended = session::end_all(&mut tx, Subject::Staff(id)).await?;
    audit(
        &mut tx,
        &s,
        &ip,
        "staff.revoke",
        format!("staff:{id}"),
        serde_json::json!({ "email": target.email, "sessions_ended": ended }),
    )
    .await?;
    tx.finish().await?;
    Ok(Notice::Revoked.redirect(paths::STAFF_LIST.path()))
}

// ---------------------------------------------------------------------------------------------
// identity providers

pub(super) async fn providers_page(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    s: &Staff,
    notice: Option<Block>,
    form: FormState,
    status: StatusCode,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let list = oidc::providers(&mut tx, false).await?;
    tx.finish().await?;
    let mut blocks: Vec<Block> = notice.into_iter().collect();
    blocks.extend(provider_blocks(
        lang,
        &s.csrf,
        paths::PROVIDERS.path(),
        &state.oidc,
        ctx.entry.tenant_id.0,
        &list,
        form,
    ));
    staff_page(state, ctx, lang, paths::PROVIDERS.path(), Some(s), status, tr(lang, "staff.nav_identity"), blocks).await
}

pub(super) async fn providers(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Query(q): Query<Q>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::IdentityProviders, Action::Read)?;
    let notice = Notice::parse(q.hinweis.as_deref()).and_then(|n| n.block(lang));
    providers_page(&state, &ctx, lang, &s, notice, FormState::default(), StatusCode::OK).await
}

pub(super) async fn save_provider(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Language(lang): Language,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::IdentityProviders, Action::Write)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let p = match identity_admin::save_provider(&mut tx, &state.oidc, lang, &f).await? {
        Ok(p) => p,
        Err(form) => {
            drop(tx);
            return providers_page(&state, &ctx, lang, &s, None, form, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    audit(
        &mut tx,
        &s,
        &ip,
        "identity_provider.save",
        format!("identity_provider:{}", p.slug),
        serde_json::json!({ "issuer": p.issuer_url, "client_id": p.client_id, "enabled": p.enabled }),
    )
    .await?;
    tx.finish().await?;
    Ok(Notice::Saved.redirect(paths::PROVIDERS.path()))
}

pub(super) async fn delete_provider(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Params(slug): Params<String>,
    Checked(s, _): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::IdentityProviders, Action::Write)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    if !oidc::delete_provider(&mut tx, &slug).await? {
        return Err(AppError::not_found());
    }
    audit(&mut tx, &s, &ip, "identity_provider.delete", format!("identity_provider:{slug}"), serde_json::json!({}))
        .await?;
    tx.finish().await?;
    Ok(Notice::Deleted.redirect(paths::PROVIDERS.path()))
}
