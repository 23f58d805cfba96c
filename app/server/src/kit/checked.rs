//! Posted forms, checked before the handler runs. A form's body is only reachable through
//! [`Checked`]: it extracts who the form was shown to (a session, or the anonymous double-submit
//! cookie), reads the body and compares its `_csrf` field with that holder's token; a post without
//! the right token is refused (403) before any handler code runs. [`Fields`], [`Posted`] and the
//! gated upload are not extractors themselves, so a handler cannot take a form unchecked (the
//! architecture test also refuses other body extractors outside the kit).

use std::future::Future;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use portal_web::{AppError, AppState};

use super::form::{Fields, parse_urlencoded};
use super::session::{Citizen, Staff, anon_cookie, check_token};
use super::uploads::{FileLimits, GatedPost, MAX_TEXT_BYTES, Posted};

/// Who a form's CSRF token belongs to: the session it was shown in, or the anonymous cookie.
pub trait TokenHolder {
    /// The token a form of this holder carries; `None` refuses every post.
    fn form_token(&self) -> Option<&str>;
}

impl TokenHolder for Citizen {
    fn form_token(&self) -> Option<&str> {
        Some(&self.csrf)
    }
}

impl TokenHolder for Staff {
    fn form_token(&self) -> Option<&str> {
        Some(&self.csrf)
    }
}

/// A visitor without a session (login, registration, guest forms): the token is the anonymous
/// double-submit cookie, which the form page set.
pub struct Anonymous {
    pub csrf: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Anonymous {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match anon_cookie(&parts.headers) {
            Some(c) => Ok(Self { csrf: c.to_owned() }),
            None => Err(AppError::forbidden().into_response()),
        }
    }
}

impl TokenHolder for Anonymous {
    fn form_token(&self) -> Option<&str> {
        Some(&self.csrf)
    }
}

/// Why a post was not handed to its handler: no holder (not logged in: the login page; no anonymous
/// cookie: 403), or the post itself (unreadable, too large, wrong token). A handler that shows a
/// refusal itself (a file too large for the route) takes `Result<Checked<…>, Refused>`.
pub enum Refused {
    Holder(Response),
    Post(AppError),
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Self::Holder(r) => r,
            Self::Post(e) => e.into_response(),
        }
    }
}

impl From<AppError> for Refused {
    fn from(e: AppError) -> Self {
        Self::Post(e)
    }
}

/// A post whose CSRF token matched its holder's: `Checked(holder, form)`. The form is [`Fields`]
/// (url-encoded), [`Posted`] (with files up to the attachment ceiling) or [`Gated`] (files read
/// only after the handler's own gate).
pub struct Checked<H, B = Fields>(pub H, pub B);

async fn holder<H>(parts: &mut Parts, state: &AppState) -> Result<H, Refused>
where
    H: FromRequestParts<AppState> + TokenHolder,
    H::Rejection: IntoResponse,
{
    H::from_request_parts(parts, state).await.map_err(|r| Refused::Holder(r.into_response()))
}

fn check<H: TokenHolder>(h: &H, fields: &Fields) -> Result<(), AppError> {
    match h.form_token() {
        Some(expected) => check_token(expected, fields.csrf()),
        None => Err(AppError::forbidden()),
    }
}

impl<H> FromRequest<AppState> for Checked<H, Fields>
where
    H: FromRequestParts<AppState> + TokenHolder + Send,
    H::Rejection: IntoResponse,
{
    type Rejection = Refused;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let h = holder::<H>(&mut parts, state).await?;
        let body =
            Bytes::from_request(Request::from_parts(parts, body), state).await.map_err(|_| AppError::bad_request())?;
        let fields = Fields(parse_urlencoded(&body)?);
        check(&h, &fields)?;
        Ok(Self(h, fields))
    }
}

impl<H> FromRequest<AppState> for Checked<H, Posted>
where
    H: FromRequestParts<AppState> + TokenHolder + Send,
    H::Rejection: IntoResponse,
{
    type Rejection = Refused;

    /// A post from an authenticated form: a gated post whose gate lets files of any input in, up
    /// to the attachment ceiling.
    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let Checked(h, gated) = Checked::<H, Gated>::from_request(req, state).await?;
        let posted = gated.read(|_| async { Ok(FileLimits::ceiling()) }).await?;
        Ok(Self(h, posted))
    }
}

/// A post with files read only after the handler's gate ([`Gated::read`]). A url-encoded post (no
/// files) has its token checked when it is extracted; a multipart one when it is read: at the first
/// file, before the gate runs, and again before the fields are handed out. Its content is reachable
/// only through `read`.
#[must_use = "a gated post is checked and read by `read`"]
pub struct Gated {
    token: Option<String>,
    post: GatedPost,
    max_text: usize,
}

impl Gated {
    /// Allows up to `bytes` of text fields in all (default 256 KiB; a form with long texts, e.g. a
    /// tenant's legal pages, needs more).
    pub fn allow_text(mut self, bytes: usize) -> Self {
        self.max_text = bytes;
        self
    }

    /// Reads the post: the text fields, then at the first chosen file the CSRF token, then `gate`
    /// (owner, rate limits, which files and how large), then the files; the token once more on the
    /// fields.
    pub async fn read<G, Fut>(self, gate: G) -> Result<Posted, AppError>
    where
        G: FnOnce(Fields) -> Fut,
        Fut: Future<Output = Result<FileLimits, AppError>>,
    {
        let token = self.token;
        let expected = token.as_deref();
        let posted = self
            .post
            .read(self.max_text, move |fields| async move {
                check_token(expected.ok_or_else(AppError::forbidden)?, fields.csrf())?;
                gate(fields).await
            })
            .await?;
        check_token(token.as_deref().ok_or_else(AppError::forbidden)?, posted.csrf())?;
        Ok(posted)
    }
}

impl<H> FromRequest<AppState> for Checked<H, Gated>
where
    H: FromRequestParts<AppState> + TokenHolder + Send,
    H::Rejection: IntoResponse,
{
    type Rejection = Refused;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let h = holder::<H>(&mut parts, state).await?;
        let post = GatedPost::from_request(Request::from_parts(parts, body), state).await?;
        // without files the fields are read already: their token is checked now
        if let GatedPost::Form(fields) = &post {
            check(&h, fields)?;
        }
        let token = h.form_token().map(str::to_owned);
        Ok(Self(h, Gated { token, post, max_text: MAX_TEXT_BYTES }))
    }
}
