//! Registration and confirming the e-mail address of a new Bürgerkonto.

use super::*;
use crate::kit::page::Language;

pub(super) fn register_blocks(lang: Lang, csrf: &str, form: FormState) -> Vec<Block> {
    let form = with_labels(
        form,
        lang,
        &[
            ("email", "account.email"),
            ("password", "account.password"),
            ("password_repeat", "account.password_repeat"),
            ("privacy", "account.privacy_consent"),
        ],
    );
    vec![
        Block::Text(tr(lang, "account.register_intro")),
        Block::Form(FormSpec {
            action: paths::REGISTER_FORM.path().into(),
            csrf: csrf.to_owned(),
            form,
            fields: vec![
                Field::new("email", tr(lang, "account.email"), FieldKind::Email).autocomplete("email").required(),
                Field::new("password", tr(lang, "account.password"), FieldKind::Password)
                    .hint(tr_with(lang, "account.password_hint", &[("min", &password::MIN_CHARS.to_string())]))
                    .autocomplete("new-password")
                    .required(),
                Field::new("password_repeat", tr(lang, "account.password_repeat"), FieldKind::Password)
                    .autocomplete("new-password")
                    .required(),
                Field::new("privacy", tr(lang, "account.privacy_consent"), FieldKind::Checkbox).required(),
            ],
            submit: tr(lang, "account.register_submit"),
            danger: false,
            secondary: Some((paths::LOGIN_FORM.path().into(), tr(lang, "account.have_account"))),
        }),
    ]
}

pub(super) async fn register_form(
    State(state): State<AppState>,
    ctx: TenantContext,
    anon: AnonToken,
    Language(lang): Language,
) -> Result<Response, AppError> {
    let csrf = anon.token();
    let form = form_state(&["email", "password", "password_repeat", "privacy"], &[]);
    let r = page(
        &state,
        &ctx,
        lang,
        paths::REGISTER_FORM.path(),
        StatusCode::OK,
        tr(lang, "account.register_title"),
        register_blocks(lang, csrf, form),
    )
    .await?;
    Ok(anon.finish(&state, r))
}

pub(super) async fn register(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    headers: HeaderMap,
    Language(lang): Language,
    Checked(_, f): Checked<Anonymous>,
) -> Result<Response, AppError> {
    let (csrf, _) = anon_csrf(&headers);
    let email_raw = f.text("email");
    let pw = f.raw("password");
    let mut form = form_state(
        &["email", "password", "password_repeat", "privacy"],
        &[("email", email_raw.clone()), ("privacy", f.text("privacy"))],
    );
    let email = Email::parse(&email_raw);
    if email_raw.is_empty() {
        err(&mut form, lang, "email", "validation.required");
    } else if email.is_none() {
        err(&mut form, lang, "email", "validation.email");
    }
    crate::kit::form::check_new_password(lang, &mut form, &pw, &f.raw("password_repeat"), Some(&email_raw));
    if f.text("privacy") != "on" {
        err(&mut form, lang, "privacy", "validation.privacy_consent");
    }
    let title = tr(lang, "account.register_title");
    let Some(email) = email.filter(|_| !form.has_errors()) else {
        return page(
            &state,
            &ctx,
            lang,
            paths::REGISTER_FORM.path(),
            StatusCode::UNPROCESSABLE_ENTITY,
            title,
            register_blocks(lang, &csrf, form),
        )
        .await;
    };
    let tenant = ctx.entry.tenant_id;
    if !mail_allowed(&state, &ip, tenant, email.as_str()).await? {
        let mut blocks = vec![Block::Notice("danger", tr(lang, "account.too_many_mails"))];
        blocks.extend(register_blocks(lang, &csrf, form));
        return page(&state, &ctx, lang, paths::REGISTER_FORM.path(), StatusCode::TOO_MANY_REQUESTS, title, blocks)
            .await;
    }
    let base = base_url(&state, &ctx.host, &headers);
    let mut tx = state.db.tenant(tenant).await?;
    match citizen::register(&mut tx, &email, &pw).await? {
        Registered::Pending { citizen, password_hash } => {
            let token = links::issue(&mut tx, Purpose::VerifyEmail, citizen, None, Some(&password_hash)).await?;
            queue(
                &mut tx,
                &ctx,
                &base,
                lang,
                email.as_str(),
                crate::account::mails::verify_email(format!("{base}/konto/bestaetigen?token={token}")),
            )
            .await?;
        }
        Registered::Exists(citizen) => {
            let token = links::issue(&mut tx, Purpose::ResetPassword, citizen, None, None).await?;
            let mail = crate::account::mails::already_registered(
                format!("{base}/konto/anmelden"),
                format!("{base}/konto/passwort-neu?token={token}"),
            );
            queue(&mut tx, &ctx, &base, lang, email.as_str(), mail).await?;
        }
    }
    tx.commit().await?;
    // the same answer whether the address was known or not
    let blocks = vec![
        Block::Notice("success", tr_with(lang, "account.check_mail", &[("email", email.as_str())])),
        Block::Text(tr(lang, "account.check_mail_hint")),
        Block::Links(vec![(paths::RESEND_FORM.path().into(), tr(lang, "account.resend_link"))]),
    ];
    page(&state, &ctx, lang, paths::REGISTER_FORM.path(), StatusCode::OK, tr(lang, "account.check_mail_title"), blocks)
        .await
}

pub(super) fn verify_blocks(lang: Lang, csrf: &str, token: &str, form: FormState) -> Vec<Block> {
    let form = with_labels(form, lang, &[("password", "account.password")]);
    let mut form = form;
    form.values.insert("token".into(), token.to_owned());
    vec![
        Block::Text(tr(lang, "account.verify_intro")),
        Block::Form(FormSpec {
            action: paths::VERIFY_FORM.path().into(),
            csrf: csrf.to_owned(),
            form,
            fields: vec![
                Field::new("token", String::new(), FieldKind::Hidden),
                Field::new("password", tr(lang, "account.password"), FieldKind::Password)
                    .autocomplete("current-password")
                    .required(),
            ],
            submit: tr(lang, "account.verify_submit"),
            danger: false,
            secondary: None,
        }),
    ]
}

pub(super) async fn link_failed(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    path: &str,
    problem: LinkProblem,
    resend: bool,
) -> Result<Response, AppError> {
    let (status, text) = crate::kit::form::link_problem(lang, problem);
    let mut blocks = vec![Block::Notice("danger", text)];
    if resend {
        blocks.push(Block::Links(vec![(paths::RESEND_FORM.path().into(), tr(lang, "account.resend_link"))]));
    } else {
        blocks.push(Block::Links(vec![(paths::FORGOT_FORM.path().into(), tr(lang, "account.forgot_link"))]));
    }
    page(state, ctx, lang, path, status, tr(lang, "account.link_problem_title"), blocks).await
}

/// A form behind a mailed link: what the link is for, where the form is, its title, and whether a
/// link that does not work offers to send the confirmation again (else a new password).
pub(super) struct LinkForm {
    pub purpose: Purpose,
    pub path: &'static str,
    pub title: &'static str,
    pub resend: bool,
}

/// The form behind a mailed link (confirm the address, set a new password): the link is checked
/// first (a used, expired or unknown one gets its own page), then the form carries the anonymous
/// token and the link's.
pub(super) async fn link_form(
    state: &AppState,
    ctx: &TenantContext,
    headers: &HeaderMap,
    token: String,
    form: LinkForm,
    blocks: impl FnOnce(Lang, &str, &str) -> Vec<Block>,
) -> Result<Response, AppError> {
    let lang = lang_of(headers);
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let link = links::peek(&mut tx, form.purpose, &token).await?;
    tx.finish().await?;
    if let Err(p) = link {
        return link_failed(state, ctx, lang, form.path, p, form.resend).await;
    }
    let (csrf, new) = anon_csrf(headers);
    let r =
        page(state, ctx, lang, form.path, StatusCode::OK, tr(lang, form.title), blocks(lang, &csrf, &token)).await?;
    Ok(set_anon_csrf(state, r, &csrf, new))
}

pub(super) async fn verify_form(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let form = LinkForm {
        purpose: Purpose::VerifyEmail,
        path: paths::VERIFY_FORM.path(),
        title: "account.verify_title",
        resend: true,
    };
    link_form(&state, &ctx, &headers, q.token.unwrap_or_default(), form, |lang, csrf, token| {
        verify_blocks(lang, csrf, token, form_state(&["password"], &[]))
    })
    .await
}

pub(super) async fn verify(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    Checked(anon, f): Checked<Anonymous>,
) -> Result<Response, AppError> {
    let crate::kit::form::LinkPost { csrf, token, password: pw } = crate::kit::form::link_post(anon.csrf, &f);
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let link = match links::peek(&mut tx, Purpose::VerifyEmail, &token).await? {
        Ok(l) => l,
        Err(p) => return link_failed(&state, &ctx, lang, paths::VERIFY_FORM.path(), p, true).await,
    };
    // the password chosen at registration must be entered again: only who registered completes it
    let matches = match link.secret_hash.as_deref() {
        Some(h) => password::verify(&pw, h).await,
        None => false,
    };
    if !matches {
        let mut form = form_state(&["password"], &[]);
        err(
            &mut form,
            lang,
            "password",
            if pw.is_empty() { "validation.required" } else { "account.verify_wrong_password" },
        );
        return page(
            &state,
            &ctx,
            lang,
            paths::VERIFY_FORM.path(),
            StatusCode::UNPROCESSABLE_ENTITY,
            tr(lang, "account.verify_title"),
            verify_blocks(lang, &csrf, &token, form),
        )
        .await;
    }
    if let Err(p) = links::consume(&mut tx, Purpose::VerifyEmail, &token).await? {
        return link_failed(&state, &ctx, lang, paths::VERIFY_FORM.path(), p, true).await;
    }
    let hash = link.secret_hash.unwrap_or_default();
    citizen::complete_registration(&mut tx, link.subject_id, &hash).await?;
    let session = session::start(&mut tx, Subject::Citizen(link.subject_id)).await?;
    tx.finish().await?;
    tracing::info!(citizen.id = %link.subject_id, "citizen account verified");
    Ok(with_cookie(Notice::Verified.redirect(paths::OVERVIEW.path()), &session_cookie(&state, &session)))
}
