//! The staff member's own login security page: the app, codes, devices, and the admin's policy.

use super::*;

pub(super) fn staff_owner(s: &Staff, ctx: &TenantContext) -> Owner {
    Owner::Staff { tenant: ctx.entry.tenant_id.0, staff: s.user.staff_id }
}

pub(super) async fn staff_security_page(
    state: &AppState,
    ctx: &TenantContext,
    s: &Staff,
    lang: Lang,
    top: Option<Block>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let owner = staff_owner(s, ctx);
    let mut tx = crate::kit::pipeline::tenant_tx(state, ctx.entry.tenant_id).await?;
    let now = tx.now();
    let st = factor::status(tx.conn(), owner).await?;
    let devices = factor::devices(tx.conn(), owner, now).await?;
    let policy = staff::second_factor_policy(&mut tx).await?;
    tx.finish().await?;
    let required = policy.requires(&s.user.roles);
    let mut blocks: Vec<Block> = top.into_iter().collect();
    blocks.push(Block::Text(tr(
        lang,
        if required { "twofactor.required_for_you" } else { "twofactor.optional_for_you" },
    )));
    if !st.enabled {
        blocks.push(Block::Heading(tr(lang, "twofactor.enrol")));
        blocks.push(enrol_form(lang, &s.csrf, FormState { order: vec!["password".into()], ..FormState::default() }));
    }
    blocks.extend(factor_blocks(
        lang,
        &s.csrf,
        &st,
        &devices,
        paths::STAFF_NEW_CODES.path(),
        paths::STAFF_FORGET_DEVICES.path(),
    ));
    if st.enabled && !required {
        blocks.push(Block::Heading(tr(lang, "twofactor.remove_heading")));
        blocks.push(code_form(
            lang,
            paths::STAFF_REMOVE.path(),
            &s.csrf,
            FormState::default(),
            "twofactor.remove_submit",
            true,
        ));
    }
    if s.may(state, Resource::LoginSecurity, Action::Write) {
        blocks.push(Block::Heading(tr(lang, "twofactor.policy_heading")));
        let options = SecondFactorPolicy::ALL
            .iter()
            .map(|p| (p.as_str().to_owned(), tr(lang, &format!("twofactor.policy_{}", p.as_str()))))
            .collect();
        let mut form = FormState { order: vec!["policy".into()], ..FormState::default() };
        form.values.insert("policy".into(), policy.as_str().to_owned());
        blocks.push(Block::Form(FormSpec {
            action: paths::STAFF_POLICY.path().into(),
            csrf: s.csrf.clone(),
            form,
            fields: vec![
                Field::new("policy", tr(lang, "twofactor.policy_label"), FieldKind::Select(options))
                    .hint(tr(lang, "twofactor.policy_hint")),
            ],
            submit: tr(lang, "twofactor.policy_submit"),
            danger: false,
            secondary: None,
        }));
    }
    staff_page(state, ctx, lang, paths::STAFF_SECURITY.path(), Some(s), status, tr(lang, "twofactor.title"), blocks)
        .await
}

pub(crate) async fn staff_security(
    State(state): State<AppState>,
    ctx: TenantContext,
    s: Staff,
    Language(lang): Language,
    Query(q): Query<Q>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::StaffArea, Action::Read)?;
    staff_security_page(&state, &ctx, &s, lang, notice(lang, q.hinweis.as_deref()), StatusCode::OK).await
}

/// Sends a logged-in member to the set-up of a second factor of their own choice: with the password
/// (a session left open on a shared computer must not let someone else tie the account to their
/// phone), counted in the account's delay buckets like a login.
pub(crate) async fn staff_enrol(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Language(lang): Language,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    let area = Area::Staff(ctx.entry.tenant_id);
    let key = portal_identity::secret::fingerprint(&s.user.email);
    let buckets = area.throttle_buckets(&key, &ip);
    let mut tx = crate::kit::pipeline::tenant_tx(&state, ctx.entry.tenant_id).await?;
    if factor::enabled(tx.conn(), staff_owner(&s, &ctx)).await? {
        tx.finish().await?;
        return Ok(crate::kit::page::see_other(paths::STAFF_SECURITY.path()));
    }
    let error = if let Some(wait) = step::login_wait(tx.conn(), &buckets, false).await? {
        Some(tr_with(lang, "twofactor.wait", &[("seconds", &step::wait_secs(wait))]))
    } else if staff::authenticate(&mut tx, &s.user.email, &f.raw("password")).await? == Some(s.user.staff_id) {
        None
    } else {
        step::login_failed(tx.conn(), &buckets, &ip).await?;
        Some(tr(lang, "twofactor.password_wrong"))
    };
    let now = tx.now();
    tx.finish().await?;
    if let Some(error) = error {
        let mut form = FormState { order: vec!["password".into()], ..FormState::default() };
        form.errors.insert("password".into(), error);
        return staff_security_page(
            &state,
            &ctx,
            &s,
            lang,
            Some(enrol_form(lang, &s.csrf, form)),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    Ok(enrol_redirect(&state, area, s.user.staff_id, key, paths::STAFF_SECURITY.path(), now))
}

/// The form that starts a set-up of one's own choice (with the password).
pub(super) fn enrol_form(lang: Lang, csrf: &str, form: FormState) -> Block {
    Block::Form(FormSpec {
        action: paths::STAFF_ENROL.path().into(),
        csrf: csrf.to_owned(),
        form,
        fields: vec![
            Field::new("password", tr(lang, "twofactor.password"), FieldKind::Password)
                .autocomplete("current-password")
                .required(),
        ],
        submit: tr(lang, "twofactor.enrol"),
        danger: false,
        secondary: None,
    })
}

pub(crate) async fn staff_new_codes(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Language(lang): Language,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    let area = Area::Staff(ctx.entry.tenant_id);
    let mut tx = AnyTx::page(&state, area.tenant()).await?;
    let result = renew_codes(
        &state,
        &mut tx,
        &Who { area, owner: staff_owner(&s, &ctx), email: &s.user.email, ip: &ip },
        lang,
        &f,
    )
    .await?;
    tx.finish().await?;
    match result {
        Ok(codes) => {
            let page = staff_page(
                &state,
                &ctx,
                lang,
                paths::STAFF_SECURITY.path(),
                Some(&s),
                StatusCode::OK,
                tr(lang, "twofactor.codes_title"),
                codes_blocks(lang, codes, paths::STAFF_SECURITY.path()),
            )
            .await?;
            Ok(crate::kit::page::no_store(page))
        }
        Err(form) => {
            let top =
                code_form(lang, paths::STAFF_NEW_CODES.path(), &s.csrf, form, "twofactor.new_codes_submit", false);
            staff_security_page(&state, &ctx, &s, lang, Some(top), StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub(crate) async fn staff_forget_devices(
    State(state): State<AppState>,
    ctx: TenantContext,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    let device = device_choice(&f)?;
    let mut tx = crate::kit::pipeline::tenant_tx(&state, ctx.entry.tenant_id).await?;
    factor::forget(tx.conn(), staff_owner(&s, &ctx), device).await?;
    tx.finish().await?;
    Ok(back(paths::STAFF_SECURITY.path(), "geraete"))
}

/// Removes one's own second factor (only where the tenant does not require it), with a current code.
pub(crate) async fn staff_remove(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Language(lang): Language,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    let area = Area::Staff(ctx.entry.tenant_id);
    let mut tx = AnyTx::page(&state, area.tenant()).await?;
    let AnyTx::Tenant(t) = &mut tx else { return Err(AppError::forbidden()) };
    if staff::second_factor_policy(t).await?.requires(&s.user.roles) {
        return Err(AppError::forbidden());
    }
    let owner = staff_owner(&s, &ctx);
    if let Some(error) =
        check_app_code(&state, &mut tx, &Who { area, owner, email: &s.user.email, ip: &ip }, lang, &f.text("code"))
            .await?
    {
        tx.finish().await?;
        let mut form = FormState { order: vec!["code".into()], ..FormState::default() };
        form.errors.insert("code".into(), error);
        let top = code_form(lang, paths::STAFF_REMOVE.path(), &s.csrf, form, "twofactor.remove_submit", true);
        return staff_security_page(&state, &ctx, &s, lang, Some(top), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    factor::remove(tx.conn(), owner).await?;
    let AnyTx::Tenant(t) = &mut tx else { return Err(AppError::forbidden()) };
    audit(t, &s, &ip, "security.second_factor_removed", format!("staff:{}", s.user.staff_id), serde_json::json!({}))
        .await?;
    tx.finish().await?;
    Ok(back(paths::STAFF_SECURITY.path(), "entfernt"))
}

pub(crate) async fn staff_policy(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::LoginSecurity, Action::Write)?;
    let policy = SecondFactorPolicy::parse(&f.text("policy")).ok_or_else(AppError::bad_request)?;
    let mut tx = crate::kit::pipeline::tenant_tx(&state, ctx.entry.tenant_id).await?;
    let ended = staff::set_second_factor_policy(&mut tx, policy).await?;
    audit(
        &mut tx,
        &s,
        &ip,
        "security.policy",
        "staff_login_policy".into(),
        serde_json::json!({ "second_factor": policy.as_str(), "sessions_ended": ended }),
    )
    .await?;
    tx.finish().await?;
    Ok(back(paths::STAFF_SECURITY.path(), "richtlinie"))
}
