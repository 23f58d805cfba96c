//! One error type at the HTTP edge. Handlers return `Result<_, AppError>` and use `?`.
//!
//! The response carries the [`ErrorKind`] in its extensions; the app's error-page layer turns it into a
//! branded, translated page and logs it once. Internal details never reach the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// What went wrong, from the client's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// No such page, or a host no tenant is served on.
    NotFound,
    /// The request is malformed.
    BadRequest,
    /// Login required.
    Unauthorized,
    /// Missing or wrong CSRF token, or not allowed.
    Forbidden,
    /// Request body too large.
    PayloadTooLarge,
    /// The tenant's portal is suspended.
    Suspended,
    /// Too many attempts from this address or for this recipient (rate limit).
    TooManyRequests,
    /// A service we depend on (the payment provider) cannot be reached now; nothing was changed.
    Unavailable,
    /// Something failed on our side (database down, bug).
    Internal,
}

impl ErrorKind {
    pub fn status(self) -> StatusCode {
        match self {
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
            ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::Suspended | ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An error answered to the client; `source` is for the log only.
#[derive(Debug)]
pub struct AppError {
    pub kind: ErrorKind,
    pub source: Option<anyhow_like::BoxError>,
    /// The text key of a more precise explanation than the kind's general one.
    pub text: Option<&'static str>,
    /// How long a rate-limited client must wait (`Retry-After`, and said on the page).
    pub retry_after: Option<std::time::Duration>,
}

/// How long a rate-limited client must wait, as the error page needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub std::time::Duration);

/// The text key an error page shows instead of its kind's general text (see [`AppError::with_text`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorText(pub &'static str);

/// The internal cause of an error, logged by the error-page layer.
#[derive(Debug, Clone)]
pub struct ErrorCause(pub std::sync::Arc<str>);

mod anyhow_like {
    pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;
}

impl AppError {
    pub fn new(kind: ErrorKind) -> Self {
        Self { kind, source: None, text: None, retry_after: None }
    }
    /// The same error, explained on its page by the text `key` (in every language).
    pub fn with_text(mut self, key: &'static str) -> Self {
        self.text = Some(key);
        self
    }
    pub fn not_found() -> Self {
        Self::new(ErrorKind::NotFound)
    }
    pub fn forbidden() -> Self {
        Self::new(ErrorKind::Forbidden)
    }
    pub fn bad_request() -> Self {
        Self::new(ErrorKind::BadRequest)
    }
    pub fn too_many_requests() -> Self {
        Self::new(ErrorKind::TooManyRequests)
    }
    /// Over a rate limit whose window ends in `wait`: the answer carries `Retry-After` and its page
    /// says when to try again.
    pub fn too_many_requests_for(wait: std::time::Duration) -> Self {
        Self { retry_after: Some(wait), ..Self::new(ErrorKind::TooManyRequests) }
    }
    pub fn unavailable() -> Self {
        Self::new(ErrorKind::Unavailable)
    }
    /// Unavailable for about `wait` (busy, or a request past its deadline): the answer carries
    /// `Retry-After`.
    pub fn unavailable_for(wait: std::time::Duration) -> Self {
        Self { retry_after: Some(wait), ..Self::new(ErrorKind::Unavailable) }
    }
    pub fn internal<E: std::error::Error + Send + Sync + 'static>(e: E) -> Self {
        Self { kind: ErrorKind::Internal, source: Some(Box::new(e)), text: None, retry_after: None }
    }
}

impl From<portal_documents::DocumentError> for AppError {
    fn from(e: portal_documents::DocumentError) -> Self {
        Self::internal(e)
    }
}

impl From<portal_db::DbError> for AppError {
    fn from(e: portal_db::DbError) -> Self {
        Self::internal(e)
    }
}

impl From<crate::content::ContentError> for AppError {
    fn from(e: crate::content::ContentError) -> Self {
        Self::internal(e)
    }
}

impl From<portal_identity::IdentityError> for AppError {
    fn from(e: portal_identity::IdentityError) -> Self {
        Self::internal(e)
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        Self::internal(e)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response =
            (self.kind.status(), self.kind.status().canonical_reason().unwrap_or("error")).into_response();
        response.extensions_mut().insert(self.kind);
        if let Some(key) = self.text {
            response.extensions_mut().insert(ErrorText(key));
        }
        if let Some(source) = self.source {
            response.extensions_mut().insert(ErrorCause(source.to_string().into()));
        }
        if let Some(wait) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(wait.as_secs()));
            response.extensions_mut().insert(RetryAfter(wait));
        }
        response
    }
}

impl From<portal_payments::repo::RepoError> for AppError {
    fn from(e: portal_payments::repo::RepoError) -> Self {
        match e {
            portal_payments::repo::RepoError::Db(d) => d.into(),
            // handlers that accept an account id answer this next to the field first
            portal_payments::repo::RepoError::AccountTaken => AppError::bad_request(),
        }
    }
}

impl From<portal_cases::CaseError> for AppError {
    fn from(e: portal_cases::CaseError) -> Self {
        match e {
            portal_cases::CaseError::InvalidTransition { .. } | portal_cases::CaseError::TextRequired => {
                Self::bad_request()
            }
            other => Self::internal(other),
        }
    }
}

impl From<portal_cases::builder::BuilderError> for AppError {
    fn from(e: portal_cases::builder::BuilderError) -> Self {
        use portal_cases::builder::BuilderError;
        match e {
            BuilderError::Case(c) => c.into(),
            BuilderError::NoVersion | BuilderError::NotActive => Self::not_found(),
            // the builder's pages answer these next to the form first
            BuilderError::Conflict { .. } | BuilderError::NoDraft | BuilderError::Invalid(_) => Self::bad_request(),
        }
    }
}
