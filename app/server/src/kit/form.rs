//! Form bodies: urlencoded fields (keeping repeated keys), and the checks shared by the Bürgerkonto
//! and the staff area (new passwords, mailed links).

use axum::http::StatusCode;
use portal_domain::Lang;
use portal_identity::links::LinkProblem;
use portal_identity::password;
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::AppError;

/// Checks a new password (policy) and its repetition; puts the messages next to the fields
/// `password` and `password_repeat`.
pub fn check_new_password(lang: Lang, form: &mut FormState, pw: &str, repeat: &str, email: Option<&str>) {
    if pw.is_empty() {
        form.errors.insert("password".into(), tr(lang, "validation.required"));
    } else if let Err(w) = password::check_policy(pw, email) {
        form.errors
            .insert("password".into(), tr_with(lang, w.message_key(), &[("min", &password::MIN_CHARS.to_string())]));
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

/// A form posted from a mailed link (before login, its anonymous CSRF token checked by
/// [`super::checked::Checked`]): the token to render the form again, the link's token and the
/// password typed.
pub struct LinkPost {
    pub csrf: String,
    pub token: String,
    pub password: String,
}

pub fn link_post(csrf: String, f: &Fields) -> LinkPost {
    LinkPost { csrf, token: f.text("token"), password: f.raw("password") }
}

/// Parses an `application/x-www-form-urlencoded` body (or a query string), keeping repeated keys.
/// A name or value that is not UTF-8 (`name=%FF`) is refused (400, "errors.form_encoding_text"):
/// it would otherwise arrive empty or garbled and be saved as such.
pub fn parse_urlencoded(body: &[u8]) -> Result<Vec<(String, String)>, AppError> {
    // the separators (`&`, `=`, `+`) are ASCII, which never completes or continues a UTF-8
    // sequence: the whole input decodes as UTF-8 exactly when every name and value does
    if percent_encoding::percent_decode(body).decode_utf8().is_err() {
        return Err(AppError::bad_request().with_text("errors.form_encoding_text"));
    }
    Ok(form_urlencoded::parse(body).into_owned().collect())
}

/// The first value of a form field.
pub fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// A submitted form (`application/x-www-form-urlencoded`), keeping repeated keys.
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The fields of a query string (none without one); refused like a body that is not UTF-8.
    pub fn from_query(query: Option<&str>) -> Result<Self, AppError> {
        parse_urlencoded(query.unwrap_or_default().as_bytes()).map(Self)
    }
    /// The trimmed first value of a field ("" when missing).
    pub fn text(&self, name: &str) -> String {
        field(&self.0, name).map(|v| v.trim().to_owned()).unwrap_or_default()
    }
    /// The untrimmed value (passwords).
    pub fn raw(&self, name: &str) -> String {
        field(&self.0, name).map(str::to_owned).unwrap_or_default()
    }
    /// All values of a repeated field.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }
    pub fn csrf(&self) -> Option<&str> {
        field(&self.0, "_csrf")
    }
}

/// The login form of the Bürgerkonto and the staff area: e-mail and password, the page to return
/// to, and (citizens) a secondary link such as "forgot your password".
pub struct LoginForm<'a> {
    pub action: &'a str,
    pub csrf: &'a str,
    pub next: &'a str,
    pub email_label: String,
    pub email_autocomplete: &'static str,
    pub secondary: Option<(String, String)>,
}

impl LoginForm<'_> {
    /// The form as a block, with `form`'s values and errors (the e-mail typed is kept).
    pub fn block(self, lang: Lang, mut form: FormState) -> portal_ui::blocks::Block {
        use portal_ui::blocks::{Block, Field, FieldKind, FormSpec};
        form.labels.insert("email".into(), self.email_label.clone());
        form.labels.insert("password".into(), tr(lang, "account.password"));
        form.values.insert("weiter".into(), self.next.to_owned());
        Block::Form(FormSpec {
            action: self.action.into(),
            csrf: self.csrf.to_owned(),
            form,
            fields: vec![
                Field::new("weiter", String::new(), FieldKind::Hidden),
                Field::new("email", self.email_label, FieldKind::Email)
                    .autocomplete(self.email_autocomplete)
                    .required(),
                Field::new("password", tr(lang, "account.password"), FieldKind::Password)
                    .autocomplete("current-password")
                    .required(),
            ],
            submit: tr(lang, "account.login_submit"),
            danger: false,
            secondary: self.secondary,
        })
    }
}

/// A form of the staff area's set-up pages: posted to `action`, with the CSRF token.
pub fn form_block(
    action: String,
    csrf: &str,
    form: FormState,
    fields: Vec<portal_ui::blocks::Field>,
    submit: String,
) -> portal_ui::blocks::Block {
    portal_ui::blocks::Block::Form(portal_ui::blocks::FormSpec {
        action,
        csrf: csrf.to_owned(),
        form,
        fields,
        submit,
        danger: false,
        secondary: None,
    })
}

/// The posted form again, with everything entered kept and `message` at `field` (a refusal that
/// is not about the input's shape: a limit, a state of the process).
pub fn form_again(f: &Fields, field: &str, message: String) -> FormState {
    let mut form = FormState::default();
    for (k, v) in &f.0 {
        if !k.starts_with('_') {
            form.values.insert(k.clone(), v.clone());
        }
    }
    form.errors.insert(field.to_owned(), message);
    form
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoded_bodies_keep_repeated_keys_and_refuse_bytes_that_are_not_utf8() {
        let pairs =
            parse_urlencoded(b"service=a&service=b&_csrf=x%2By&q=hund+anmelden&&flag&name=M%C3%BCller").expect("valid");
        let expected = [
            ("service", "a"),
            ("service", "b"),
            ("_csrf", "x+y"),
            ("q", "hund anmelden"),
            ("flag", ""),
            ("name", "Müller"),
        ];
        assert_eq!(pairs, expected.map(|(k, v)| (k.to_owned(), v.to_owned())));
        for bad in [&b"name=%FF"[..], b"%FF=x", b"name=M%C3", b"a=%C3&b=%A4", b"name=\xff"] {
            let e = parse_urlencoded(bad).expect_err("not UTF-8");
            assert_eq!(
                (e.kind, e.text),
                (portal_web::ErrorKind::BadRequest, Some("errors.form_encoding_text")),
                "{bad:?}"
            );
        }
    }
}
