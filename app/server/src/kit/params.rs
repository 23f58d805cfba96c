//! Path parameters by type: `Params(id): Params<Uuid>`, `Params((slug, page)): Params<(ServiceSlug,
//! usize)>`. Each parameter is parsed by its own type (an id, a slug of the allowed characters, a
//! number), so a handler never parses a path by hand. A value that does not parse names nothing
//! here: the page is not found (404), as for an id that parses but is unknown; axum's own `Path`
//! would answer 400 with its parser's message.

use axum::extract::path::ErrorKind;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use portal_web::AppError;
use serde::de::DeserializeOwned;

/// The path parameters of a route, parsed as `T`.
pub struct Params<T>(pub T);

impl<T, S> FromRequestParts<S> for Params<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(Self(v)),
            // a value that does not parse names nothing here; a route whose parameters do not fit
            // its handler's type (their count, a type paths cannot hold) is a programming error
            Err(PathRejection::FailedToDeserializePathParams(e))
                if !matches!(
                    e.kind(),
                    ErrorKind::WrongNumberOfParameters { .. } | ErrorKind::UnsupportedType { .. }
                ) =>
            {
                tracing::debug!(error = %e.body_text(), "path parameter refused");
                Err(AppError::not_found())
            }
            Err(e) => Err(AppError::internal(e)),
        }
    }
}
