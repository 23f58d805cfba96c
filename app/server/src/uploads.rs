//! Multipart form posts (application pages, messages with attachments) and the checks every
//! uploaded file passes: type by content, size per field, image metadata removed.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use portal_forms::files::{sniff, strip_metadata};
use portal_forms::schema::{Field, FileType};
use portal_forms::Problem;
use portal_web::AppError;

use crate::pages::{Fields, parse_urlencoded};

/// Most bytes a multipart post may carry (a page with several attachments).
pub const MAX_UPLOAD_BODY: usize = 32 * 1024 * 1024;

/// An uploaded file.
#[derive(Debug, Clone)]
pub struct Upload {
    pub name: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// A posted form with its files: the fields are read like any other form ([`Fields`]). URL-encoded
/// posts are accepted too (no files then).
pub struct Posted {
    pub form: Fields,
    pub files: Vec<Upload>,
}

impl std::ops::Deref for Posted {
    type Target = Fields;
    fn deref(&self) -> &Fields {
        &self.form
    }
}

impl Posted {
    /// Files chosen for an input (browsers send an empty part when none was chosen).
    pub fn files_for(&self, name: &str) -> Vec<&Upload> {
        self.files.iter().filter(|u| u.name == name && !(u.file_name.is_empty() && u.bytes.is_empty())).collect()
    }
}

impl<S: Send + Sync> FromRequest<S> for Posted {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let multipart = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let body = axum::body::Bytes::from_request(req, state).await.map_err(|_| AppError::bad_request())?;
            return Ok(Self { form: Fields(parse_urlencoded(&body)), files: vec![] });
        }
        let mut mp = Multipart::from_request(req, state).await.map_err(|_| AppError::bad_request())?;
        let mut fields = Vec::new();
        let mut files = Vec::new();
        while let Some(part) = mp.next_field().await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE { AppError::new(portal_web::error::ErrorKind::PayloadTooLarge) } else { AppError::bad_request() }
        })? {
            let name = part.name().unwrap_or_default().to_owned();
            match part.file_name().map(str::to_owned) {
                Some(file_name) => {
                    let bytes = part.bytes().await.map_err(|_| AppError::new(portal_web::error::ErrorKind::PayloadTooLarge))?;
                    files.push(Upload { name, file_name, bytes: bytes.to_vec() });
                }
                None => {
                    let text = part.text().await.map_err(|_| AppError::bad_request())?;
                    fields.push((name, text));
                }
            }
        }
        Ok(Self { form: Fields(fields), files })
    }
}

/// Checks an upload against a file field (or the defaults of message attachments) and returns its
/// type and cleaned bytes.
pub fn accept(field: Option<&Field>, upload: &Upload) -> Result<(FileType, Vec<u8>), Problem> {
    let (max, accepted) = match field {
        Some(f) => (f.max_bytes(), f.accepted()),
        None => (u64::from(portal_forms::schema::DEFAULT_MAX_KB) * 1024, vec![FileType::Pdf, FileType::Png, FileType::Jpeg]),
    };
    let list = || accepted.iter().map(|t| t.label()).collect::<Vec<_>>().join(", ");
    if upload.bytes.is_empty() {
        return Err(Problem::FileEmpty);
    }
    if upload.bytes.len() as u64 > max {
        return Err(Problem::FileTooLarge { max_kb: (max / 1024) as u32 });
    }
    let kind = sniff(&upload.bytes).filter(|k| accepted.contains(k)).ok_or_else(|| Problem::FileType { accepted: list() })?;
    let clean = strip_metadata(kind, &upload.bytes).map_err(|_| Problem::FileType { accepted: list() })?;
    Ok((kind, clean))
}
