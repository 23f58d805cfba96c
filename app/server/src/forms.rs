//! Form checks shared by the Bürgerkonto and the staff area.

use axum::http::StatusCode;
use portal_domain::Lang;
use axum::http::HeaderMap;
use portal_identity::links::LinkProblem;
use portal_identity::password;
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::AppError;

use crate::auth::{anon_csrf, check_anon_csrf};
use crate::pages::Fields;

/// Checks a new password (policy) and its repetition; puts the messages next to the fields
/// `password` and `password_repeat`.
pub fn check_new_password(lang: Lang, form: &mut FormState, pw: &str, repeat: &str, email: Option<&str>) {
    if pw.is_empty() {
        form.errors.insert("password".into(), tr(lang, "validation.required"));
    } else if let Err(w) = password::check_policy(pw, email) {
        form.errors.insert("password".into(), tr_with(lang, w.message_key(), &[("min", &password::MIN_CHARS.to_string())]));
    }
    if repeat != pw {
        form.errors.insert("password_repeat".into(), tr(lang, "validation.password_mismatch"));
    }
}

/// The message and status for a link that does not work.
pub fn link_problem(lang: Lang, p: LinkProblem) -> (StatusCode, String) {
    let (status, key) = match p {
        LinkProblem::Unknown => (StatusCode::NOT_FOUND, "account.link_unknown"),
        LinkProblem::Used => (StatusCode::GONE, "account.link_used"),
        LinkProblem::Expired => (StatusCode::GONE, "account.link_expired"),
    };
    (status, tr(lang, key))
}

/// A form posted from a mailed link (before login): its anonymous CSRF token is checked. Carries the
/// token to render the form again, the link's token and the password typed.
pub struct LinkPost {
    pub csrf: String,
    pub token: String,
    pub password: String,
}

pub fn link_post(headers: &HeaderMap, f: &Fields) -> Result<LinkPost, AppError> {
    check_anon_csrf(headers, f.csrf())?;
    Ok(LinkPost { csrf: anon_csrf(headers).0, token: f.text("token"), password: f.raw("password") })
}
