//! Error pages: a handler's (or the host resolution's) error as a translated page, in the tenant's
//! frame where there is a tenant.

use axum::http::{HeaderValue, header};
use axum::response::Response;
use leptos::prelude::IntoAny;
use portal_domain::Lang;
use portal_ui::i18n::{tr, tr_with};
use portal_web::error::{ErrorCause, ErrorKind, ErrorText, RetryAfter};
use portal_web::{AppState, TenantContext};

use super::page::{assets, html_status, portal_chrome};

/// What went wrong, as an error page needs it.
#[derive(Debug, Clone)]
pub struct Failure {
    pub kind: ErrorKind,
    /// The internal cause, for the log only.
    pub cause: Option<ErrorCause>,
    /// A more precise explanation than the kind's general text.
    pub text: Option<ErrorText>,
    /// The request's id (`x-request-id`), shown on the page as its reference.
    pub reference: Option<String>,
    /// How long a rate-limited client must wait.
    pub retry_after: Option<RetryAfter>,
}

impl Failure {
    /// A failure of `kind` without cause or precise text.
    pub fn of(kind: ErrorKind) -> Self {
        Self { kind, cause: None, text: None, reference: None, retry_after: None }
    }

    /// The failure an error response carries (see [`portal_web::AppError`]), if it is one.
    pub fn of_response(response: &Response) -> Option<Self> {
        let kind = response.extensions().get::<ErrorKind>().copied()?;
        Some(Self {
            kind,
            cause: response.extensions().get::<ErrorCause>().cloned(),
            text: response.extensions().get::<ErrorText>().copied(),
            reference: None,
            retry_after: response.extensions().get::<RetryAfter>().copied(),
        })
    }

    /// The same failure, shown with the request's id `reference`.
    pub fn with_reference(mut self, reference: Option<&str>) -> Self {
        self.reference = reference.map(str::to_owned);
        self
    }
}

/// Turns an error response of a handler (or of tenant resolution) into a translated page, in the
/// tenant's frame where there is a tenant. Logs the error once, here.
pub async fn error_page(
    state: &AppState,
    tenant: Option<&TenantContext>,
    lang: Lang,
    failure: Failure,
    path: &str,
) -> Response {
    let Failure { kind, cause, text: precise, reference, retry_after } = failure;
    let cause = cause.as_ref();
    let (title_key, text_key) = match (kind, tenant.is_some()) {
        (ErrorKind::NotFound, false) => ("errors.unknown_host_title", "errors.unknown_host_text"),
        (ErrorKind::NotFound, true) => ("errors.not_found_title", "errors.not_found_text"),
        (ErrorKind::Suspended, _) => ("errors.maintenance_title", "errors.maintenance_text"),
        (ErrorKind::Forbidden, _) => ("errors.forbidden_title", "errors.forbidden_text"),
        (ErrorKind::BadRequest, _) => ("errors.bad_request_title", "errors.bad_request_text"),
        (ErrorKind::PayloadTooLarge, _) => ("errors.too_large_title", "errors.too_large_text"),
        (ErrorKind::TooManyRequests, _) => ("errors.too_many_title", "errors.too_many_text"),
        (ErrorKind::Unavailable, _) => ("errors.unavailable_title", "errors.unavailable_text"),
        (ErrorKind::Unauthorized, _) => ("errors.unauthorized_title", "errors.unauthorized_text"),
        (ErrorKind::Internal, _) => ("errors.internal_title", "errors.internal_text"),
    };
    let logged = super::page::loggable_path(path);
    // the request's span carries its id as well; the event names it too, so that the line a
    // citizen's reference leads to is found in any log format
    let id = reference.as_deref().unwrap_or("");
    match (kind, cause) {
        (ErrorKind::Internal, c) => {
            tracing::error!(request.id = id, error = c.map_or("", |c| &c.0), path = %logged, "request failed")
        }
        (_, Some(c)) => tracing::warn!(request.id = id, error = %c.0, kind = ?kind, path = %logged, "request refused"),
        _ => tracing::debug!(request.id = id, kind = ?kind, path = %logged, "request refused"),
    }
    let title = tr(lang, title_key);
    let text = match (precise, retry_after) {
        (Some(t), _) => tr(lang, t.0),
        // the wait the limit really imposes, in whole minutes (rounded up)
        (None, Some(RetryAfter(wait))) if kind == ErrorKind::TooManyRequests => {
            let minutes = wait.as_secs().div_ceil(60).max(1);
            tr_with(
                lang,
                if minutes == 1 { "errors.too_many_wait_one" } else { "errors.too_many_wait" },
                &[("minutes", &minutes.to_string())],
            )
        }
        (None, _) => tr(lang, text_key),
    };
    let status = kind.status();
    let framed = match tenant {
        // the maintenance page must not depend on the tenant's data; other errors try the frame
        Some(ctx) if kind != ErrorKind::Suspended && kind != ErrorKind::Internal => {
            portal_chrome(state, ctx, lang, path.to_owned()).await.ok()
        }
        _ => None,
    };
    let body = match framed {
        Some(chrome) => {
            let (t, x, r) = (title.clone(), text.clone(), reference.clone());
            portal_ui::render_document(
                move || leptos::prelude::view! { <portal_ui::portal::PortalErrorPage chrome=chrome title=t text=x reference=r/> },
            )
        }
        None => {
            let assets = assets(state, false);
            let tenant_name = tenant.map(|t| t.entry.name.clone());
            portal_ui::render_document(move || {
                match tenant_name {
                Some(n) => leptos::prelude::view! { <portal_ui::portal::PlainErrorPage lang=lang assets=assets title=title text=text tenant_name=n reference=reference/> }.into_any(),
                None => leptos::prelude::view! { <portal_ui::portal::PlainErrorPage lang=lang assets=assets title=title text=text reference=reference/> }.into_any(),
            }
            })
        }
    };
    let mut r = html_status(status, body);
    match (kind, retry_after) {
        (ErrorKind::Suspended, _) => {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("3600"));
        }
        // a limit whose window is not known here: a minute is the shortest any of them counts
        (ErrorKind::TooManyRequests, None) => {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        }
        // a rate limit's window, busy CPU work, a request past its deadline
        (_, Some(RetryAfter(wait))) => {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs().max(1)));
        }
        _ => {}
    }
    r
}
