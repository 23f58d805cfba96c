//! Filing a case: a complete draft becomes a case once, however often it is asked for (the submit
//! button, the payment's return, Stripe's webhook), and the applicant is told by mail.

use portal_cases::{self as cases, Actor, Case, Draft, ServiceForm, Submission};
use portal_db::TenantTx;
use portal_domain::Lang;
use portal_forms::answers::Answers;
use portal_forms::schema::{FormSchema, Kind, PrefillKey};
use portal_identity::secret::{random_token, token_hash};
use portal_mail::{Mail, Text};
use portal_web::{AppError, TenantContext};

use crate::kit::mail::queue;

/// The applicant's name from the answers (given + family name, or a name field).
pub fn applicant_name(schema: &FormSchema, answers: &Answers) -> String {
    let by_prefill = |key: PrefillKey| {
        schema
            .fields()
            .find(|f| f.prefill == Some(key))
            .and_then(|f| answers.get(&f.id))
            .map(|v| v.text().to_owned())
            .unwrap_or_default()
    };
    let full =
        format!("{} {}", by_prefill(PrefillKey::GivenName), by_prefill(PrefillKey::FamilyName)).trim().to_owned();
    if !full.is_empty() {
        return full;
    }
    answers.get("name").map(|v| v.text().to_owned()).unwrap_or_default()
}

/// The e-mail address a guest gave (the form's e-mail field prefilled from accounts).
pub fn guest_email(schema: &FormSchema, answers: &Answers) -> Option<String> {
    schema
        .fields()
        .find(|f| f.kind == Kind::Email && f.prefill == Some(PrefillKey::Email))
        .and_then(|f| answers.get(&f.id))
        .map(|v| v.text().to_owned())
        .filter(|e| !e.is_empty())
}

/// Where the office and the payment workflow write to the applicant: the account's e-mail address
/// for a citizen's case, the address a guest gave for theirs.
pub async fn applicant_email(tx: &mut TenantTx, case: &Case) -> Result<Option<String>, AppError> {
    match case.citizen_id {
        Some(c) => Ok(portal_identity::citizen::get(tx, c).await?.and_then(|a| a.email)),
        None => Ok(case.guest_email.clone()),
    }
}

/// A filed case, whether this call filed it, and a guest's status link token.
pub struct Filed {
    pub case: Case,
    pub created: bool,
    pub guest_token: Option<String>,
}

/// Files the case of a complete draft (validated, visible answers) once, and queues the
/// confirmation mail. Used by the submit button and, for services paid before filing, by the
/// payment's confirmation (the citizen's return or Stripe's webhook, whichever comes first).
#[expect(
    clippy::too_many_arguments,
    reason = "the draft, its form and answers, where it was filed, and whether to mail"
)]
pub async fn file_case(
    tx: &mut TenantTx,
    ctx: &TenantContext,
    base: &str,
    draft: &Draft,
    schema: &FormSchema,
    answers: &Answers,
    lang: Lang,
    mail: bool,
) -> Result<Filed, AppError> {
    let form = cases::service_form(tx, &draft.service_slug).await?.ok_or_else(AppError::not_found)?;
    // the case keeps the schema the draft was filled in under
    let form = ServiceForm { schema: schema.clone(), schema_hash: draft.schema_hash.clone(), ..form };
    let name = applicant_name(schema, answers);
    let (guest, guest_token, actor, mail_to) = match draft.citizen_id {
        Some(citizen_id) => {
            let email = portal_identity::citizen::get(tx, citizen_id).await?.and_then(|acc| acc.email);
            (None, None, Actor::citizen(citizen_id, &name), email)
        }
        None => {
            let email = guest_email(schema, answers).ok_or_else(AppError::bad_request)?;
            let token = random_token();
            (Some(email.clone()), Some(token), Actor::guest(&name), Some(email))
        }
    };
    let guest = match (&guest, &guest_token) {
        (Some(email), Some(token)) => Some(cases::GuestLink { email, token, token_hash: token_hash(token).to_vec() }),
        _ => None,
    };
    let sub = Submission { draft, form: &form, answers, applicant_name: &name, guest, lang };
    let (case, created) = cases::submit(tx, sub, &actor).await?;
    if created
        && mail
        && let Some(to) = mail_to
    {
        let link = match &guest_token {
            Some(t) => format!("{base}/vorgang/{t}"),
            None => format!("{base}/konto/antraege/{}", case.case_id),
        };
        queue(tx, ctx, base, lang, &to, case_received(&case.reference, case.service_name.get(lang), link)).await?;
    }
    // a second call finds the case; the guest's link is the one stored with it
    let guest_token = if created { guest_token } else { case.guest_token.clone() };
    Ok(Filed { case, created, guest_token })
}

/// The confirmation that an application was received (texts in `applications.toml` under
/// `[cases.mail]`).
fn case_received(reference: &str, service: &str, link: String) -> Mail {
    Mail::new(Text::new("cases.mail.case_received_subject").with("reference", reference).with("service", service))
        .line(Text::new("cases.mail.case_received_text").with("service", service).with("reference", reference))
        .button(Text::new("cases.mail.case_received_button"), link)
        .after(Text::new("cases.mail.case_received_note"))
}
