//! Mailed links without a session: sending the confirmation again, a forgotten password, setting a new one.

use super::*;
use crate::kit::page::Language;

pub(super) fn email_only_blocks(
    lang: Lang,
    csrf: &str,
    action: &str,
    intro: &str,
    submit: &str,
    form: FormState,
) -> Vec<Block> {
    let form = with_labels(form, lang, &[("email", "account.email")]);
    vec![
        Block::Text(tr(lang, intro)),
        Block::Form(FormSpec {
            action: action.to_owned(),
            csrf: csrf.to_owned(),
            form,
            fields: vec![
                Field::new("email", tr(lang, "account.email"), FieldKind::Email).autocomplete("email").required(),
            ],
            submit: tr(lang, submit),
            danger: false,
            secondary: Some((paths::LOGIN_FORM.path().into(), tr(lang, "account.back_to_login"))),
        }),
    ]
}

pub(super) async fn resend_form(
    State(state): State<AppState>,
    ctx: TenantContext,
    anon: AnonToken,
    Language(lang): Language,
) -> Result<Response, AppError> {
    let csrf = anon.token();
    let blocks = email_only_blocks(lang, csrf, RESEND.path, RESEND.intro, RESEND.submit, form_state(&["email"], &[]));
    let r =
        page(&state, &ctx, lang, paths::RESEND_FORM.path(), StatusCode::OK, tr(lang, "account.resend_title"), blocks)
            .await?;
    Ok(anon.finish(&state, r))
}

/// A page that asks for an address to mail a link to.
#[derive(Clone, Copy)]
pub(super) struct MailForm {
    path: &'static str,
    intro: &'static str,
    submit: &'static str,
    title: &'static str,
    purpose: Purpose,
}

pub(super) const RESEND: MailForm = MailForm {
    path: paths::RESEND_FORM.path(),
    intro: "account.resend_intro",
    submit: "account.resend_submit",
    title: "account.resend_title",
    purpose: Purpose::VerifyEmail,
};

pub(super) const FORGOT: MailForm = MailForm {
    path: paths::FORGOT_FORM.path(),
    intro: "account.forgot_intro",
    submit: "account.forgot_submit",
    title: "account.forgot_title",
    purpose: Purpose::ResetPassword,
};

/// Shared by "re-send verification" and "forgotten password": validate the address, limit, then
/// issue the link in a tenant transaction; the answer never tells whether the address is registered.
pub(super) async fn mail_request(
    state: &AppState,
    ctx: &TenantContext,
    ip: &ClientIp,
    headers: &HeaderMap,
    f: &Fields,
    m: &MailForm,
) -> Result<Response, AppError> {
    let MailForm { path, intro, submit, title, purpose } = *m;
    let lang = lang_of(headers);
    let (csrf, _) = anon_csrf(headers);
    let raw = f.text("email");
    let mut form = form_state(&["email"], &[("email", raw.clone())]);
    let Some(email) = Email::parse(&raw) else {
        err(&mut form, lang, "email", if raw.is_empty() { "validation.required" } else { "validation.email" });
        return page(
            state,
            ctx,
            lang,
            path,
            StatusCode::UNPROCESSABLE_ENTITY,
            tr(lang, title),
            email_only_blocks(lang, &csrf, path, intro, submit, form),
        )
        .await;
    };
    let tenant = ctx.entry.tenant_id;
    if !mail_allowed(state, ip, tenant, email.as_str()).await? {
        let mut blocks = vec![Block::Notice("danger", tr(lang, "account.too_many_mails"))];
        blocks.extend(email_only_blocks(lang, &csrf, path, intro, submit, form));
        return page(state, ctx, lang, path, StatusCode::TOO_MANY_REQUESTS, tr(lang, title), blocks).await;
    }
    let base = base_url(state, &ctx.host, headers);
    let mut tx = state.db.tenant(tenant).await?;
    if let Some(acc) = citizen::find_by_email(&mut tx, &email).await? {
        match purpose {
            Purpose::VerifyEmail if acc.email_verified_at.is_none() => {
                if let Some(secret) = links::latest_secret(&mut tx, Purpose::VerifyEmail, acc.citizen_id).await? {
                    let token =
                        links::issue(&mut tx, Purpose::VerifyEmail, acc.citizen_id, None, Some(&secret)).await?;
                    queue(
                        &mut tx,
                        ctx,
                        &base,
                        lang,
                        email.as_str(),
                        crate::account::mails::verify_email(format!("{base}/konto/bestaetigen?token={token}")),
                    )
                    .await?;
                }
            }
            Purpose::ResetPassword => {
                let token = links::issue(&mut tx, Purpose::ResetPassword, acc.citizen_id, None, None).await?;
                queue(
                    &mut tx,
                    ctx,
                    &base,
                    lang,
                    email.as_str(),
                    crate::account::mails::reset_password(format!("{base}/konto/passwort-neu?token={token}")),
                )
                .await?;
            }
            _ => {}
        }
    }
    tx.commit().await?;
    let blocks = vec![
        Block::Notice("success", tr_with(lang, "account.mail_sent_if_known", &[("email", email.as_str())])),
        Block::Links(vec![(paths::LOGIN_FORM.path().into(), tr(lang, "account.back_to_login"))]),
    ];
    page(state, ctx, lang, path, StatusCode::OK, tr(lang, title), blocks).await
}

pub(super) async fn resend(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    headers: HeaderMap,
    Checked(_, f): Checked<Anonymous>,
) -> Result<Response, AppError> {
    mail_request(&state, &ctx, &ip, &headers, &f, &RESEND).await
}

pub(super) async fn forgot_form(
    State(state): State<AppState>,
    ctx: TenantContext,
    anon: AnonToken,
    Language(lang): Language,
) -> Result<Response, AppError> {
    let csrf = anon.token();
    let blocks = email_only_blocks(lang, csrf, FORGOT.path, FORGOT.intro, FORGOT.submit, form_state(&["email"], &[]));
    let r =
        page(&state, &ctx, lang, paths::FORGOT_FORM.path(), StatusCode::OK, tr(lang, "account.forgot_title"), blocks)
            .await?;
    Ok(anon.finish(&state, r))
}

pub(super) async fn forgot(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    headers: HeaderMap,
    Checked(_, f): Checked<Anonymous>,
) -> Result<Response, AppError> {
    mail_request(&state, &ctx, &ip, &headers, &f, &FORGOT).await
}

pub(super) fn new_password_fields(lang: Lang) -> Vec<Field> {
    vec![
        Field::new("password", tr(lang, "account.new_password"), FieldKind::Password)
            .hint(tr_with(lang, "account.password_hint", &[("min", &password::MIN_CHARS.to_string())]))
            .autocomplete("new-password")
            .required(),
        Field::new("password_repeat", tr(lang, "account.password_repeat"), FieldKind::Password)
            .autocomplete("new-password")
            .required(),
    ]
}

pub(super) fn reset_blocks(lang: Lang, csrf: &str, token: &str, mut form: FormState) -> Vec<Block> {
    form.values.insert("token".into(), token.to_owned());
    let form = with_labels(
        form,
        lang,
        &[("password", "account.new_password"), ("password_repeat", "account.password_repeat")],
    );
    let mut fields = vec![Field::new("token", String::new(), FieldKind::Hidden)];
    fields.extend(new_password_fields(lang));
    vec![Block::Form(FormSpec {
        action: paths::RESET_FORM.path().into(),
        csrf: csrf.to_owned(),
        form,
        fields,
        submit: tr(lang, "account.reset_submit"),
        danger: false,
        secondary: None,
    })]
}

pub(super) async fn reset_form(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let form = LinkForm {
        purpose: Purpose::ResetPassword,
        path: paths::RESET_FORM.path(),
        title: "account.reset_title",
        resend: false,
    };
    link_form(&state, &ctx, &headers, q.token.unwrap_or_default(), form, |lang, csrf, token| {
        reset_blocks(lang, csrf, token, form_state(&["password", "password_repeat"], &[]))
    })
    .await
}

pub(super) async fn reset(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    Checked(anon, f): Checked<Anonymous>,
) -> Result<Response, AppError> {
    let crate::kit::form::LinkPost { csrf, token, password: pw } = crate::kit::form::link_post(anon.csrf, &f);
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let link = match links::peek(&mut tx, Purpose::ResetPassword, &token).await? {
        Ok(l) => l,
        Err(p) => return link_failed(&state, &ctx, lang, paths::RESET_FORM.path(), p, false).await,
    };
    let account = citizen::get(&mut tx, link.subject_id).await?.ok_or_else(AppError::not_found)?;
    let mut form = form_state(&["password", "password_repeat"], &[]);
    crate::kit::form::check_new_password(lang, &mut form, &pw, &f.raw("password_repeat"), account.email.as_deref());
    if form.has_errors() {
        return page(
            &state,
            &ctx,
            lang,
            paths::RESET_FORM.path(),
            StatusCode::UNPROCESSABLE_ENTITY,
            tr(lang, "account.reset_title"),
            reset_blocks(lang, &csrf, &token, form),
        )
        .await;
    }
    if let Err(p) = links::consume(&mut tx, Purpose::ResetPassword, &token).await? {
        return link_failed(&state, &ctx, lang, paths::RESET_FORM.path(), p, false).await;
    }
    citizen::set_password(&mut tx, link.subject_id, &pw, true).await?;
    // whoever knew the old password is logged out everywhere
    session::end_all(&mut tx, Subject::Citizen(link.subject_id)).await?;
    if let Some(email) = &account.email {
        let base = base_url(&state, &ctx.host, &headers);
        queue(&mut tx, &ctx, &base, lang, email, crate::account::mails::password_changed()).await?;
    }
    tx.finish().await?;
    Ok(Notice::PasswordChanged.redirect(paths::LOGIN_FORM.path()))
}
