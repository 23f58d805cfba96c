//! Drafts as several capabilities see them: who is applying (a logged-in citizen, or a guest known
//! by the draft cookie), their draft, the service's name, and the answers a citizen's profile
//! prefills.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::Response;
use portal_cases::{self as cases, Draft, Owner};
use portal_db::TenantTx;
use portal_domain::Lang;
use portal_forms::Answers;
use portal_forms::prefill::{ProfileValues, prefill};
use portal_forms::schema::{FormSchema, PrefillKey};
use portal_identity::secret::token_hash;
use portal_web::{AppError, AppState, cookies};
use uuid::Uuid;

use crate::kit::checked::TokenHolder;
use crate::kit::session::{Citizen, MaybeCitizen, anon_csrf, set_anon_csrf};

/// Cookie of a guest's application (its hash owns the draft).
pub const GUEST_COOKIE: cookies::Name = cookies::Name::host("kp_guest");

/// Who is applying: a logged-in citizen, or a guest identified by the draft cookie.
pub struct Applicant {
    pub owner: Option<Owner>,
    pub citizen: Option<Citizen>,
    /// The CSRF token forms carry (the session's, or the anonymous double-submit token).
    pub csrf: String,
    pub new_anon: bool,
}

/// The applicant of a request.
pub fn applicant(citizen: MaybeCitizen, headers: &HeaderMap) -> Applicant {
    match citizen.0 {
        Some(c) => Applicant {
            owner: Some(Owner::Citizen(c.citizen_id)),
            csrf: c.csrf.clone(),
            citizen: Some(c),
            new_anon: false,
        },
        None => {
            let (csrf, new_anon) = anon_csrf(headers);
            let owner = cookies::get(headers, GUEST_COOKIE)
                .filter(|t| t.len() == 43)
                .map(|t| Owner::Guest(token_hash(t).to_vec()));
            Applicant { owner, citizen: None, csrf, new_anon }
        }
    }
}

impl FromRequestParts<AppState> for Applicant {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let citizen = MaybeCitizen::from_request_parts(parts, state).await?;
        Ok(applicant(citizen, &parts.headers))
    }
}

impl TokenHolder for Applicant {
    /// The session's token, or the anonymous double-submit cookie's (none yet: every post refused).
    fn form_token(&self) -> Option<&str> {
        (self.citizen.is_some() || !self.new_anon).then_some(self.csrf.as_str())
    }
}

/// The response with the anonymous CSRF cookie a guest's forms need.
pub fn finish(state: &AppState, r: Response, a: &Applicant) -> Response {
    if a.citizen.is_none() { set_anon_csrf(state, r, &a.csrf, a.new_anon) } else { r }
}

/// The draft of this applicant, with the schema it is filled in under.
pub async fn load(
    tx: &mut TenantTx,
    a: &Applicant,
    draft_id: Uuid,
    lock: bool,
) -> Result<(Draft, FormSchema), AppError> {
    let owner = a.owner.as_ref().ok_or_else(AppError::not_found)?;
    let draft = cases::load_draft(tx, draft_id, owner, lock).await?.ok_or_else(AppError::not_found)?;
    let schema = cases::form_version(tx, &draft.schema_hash).await?;
    Ok((draft, schema))
}

/// A service's name in `lang` (its slug when the service is gone).
pub async fn service_name(tx: &mut TenantTx, slug: &str, lang: Lang) -> Result<String, AppError> {
    Ok(cases::service_name(tx, slug).await?.map_or_else(|| slug.to_owned(), |n| n.get(lang).to_owned()))
}

/// The profile values a form may prefill, and which the identity provider verified.
pub async fn profile_values(tx: &mut TenantTx, citizen: Uuid) -> Result<(ProfileValues, Option<String>), AppError> {
    let Some(account) = portal_identity::citizen::get(tx, citizen).await? else {
        return Ok((ProfileValues::default(), None));
    };
    let mut v = ProfileValues::default();
    let p = &account.profile;
    let map = [
        (PrefillKey::GivenName, p.get("given_name"), "given_name"),
        (PrefillKey::FamilyName, p.get("family_name"), "family_name"),
        (PrefillKey::BirthDate, p.get("birth_date"), "birth_date"),
        (PrefillKey::Street, p.get("street"), "street"),
        (PrefillKey::Postcode, p.get("postal_code"), "postal_code"),
        (PrefillKey::Town, p.get("city"), "city"),
        (PrefillKey::Phone, p.get("phone"), "phone"),
        (PrefillKey::Email, account.email.clone(), "email"),
    ];
    for (key, value, profile_field) in map {
        if let Some(value) = value {
            v.values.insert(key, value);
            if account.verified_fields.iter().any(|f| f == profile_field) {
                v.verified.insert(key);
            }
        }
    }
    Ok((v, account.verified_by))
}

/// A new application's answers: what the citizen's profile prefills.
pub async fn prefilled_answers(tx: &mut TenantTx, schema: &FormSchema, citizen: Uuid) -> Result<Answers, AppError> {
    let (profile, _) = profile_values(tx, citizen).await?;
    let mut answers = Answers::new();
    prefill(schema, &profile, &mut answers);
    Ok(answers)
}
