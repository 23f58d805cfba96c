//! Multipart form posts (application pages, messages with attachments) and the checks every
//! uploaded file passes: type by content, size per field, image metadata removed.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use portal_forms::Problem;
use portal_forms::files::{sniff, strip_metadata};
use portal_forms::schema::{Field, FileType};
use portal_web::AppError;
use portal_web::error::ErrorKind;

use super::form::{Fields, parse_urlencoded};

/// Most bytes a multipart post may carry (a page with several attachments). Routes that take
/// files raise their body limit to this; every other route keeps the server's small default.
pub const MAX_UPLOAD_BODY: usize = 32 * 1024 * 1024;

/// Most bytes of text fields in one post (a long form page is a few kilobytes); every part counts
/// its name and a fixed overhead too, so a flood of empty parts is bounded like text.
pub const MAX_TEXT_BYTES: usize = 256 * 1024;
const PART_OVERHEAD: usize = 64;
/// Most parts in one post, and the longest part or file name.
const MAX_PARTS: usize = 2000;
const MAX_NAME: usize = 200;

/// Largest url-encoded body of a post that may also come as multipart.
const MAX_FORM_BYTES: usize = 1024 * 1024;

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

/// Which files a post may carry, decided by the handler's checks before any file byte is read:
/// per input name the largest file and how many; parts of other names are skipped unread.
#[derive(Debug, Clone, Default)]
pub struct FileLimits {
    inputs: Vec<(String, u64, u32)>,
    any: Option<(u64, u32)>,
}

impl FileLimits {
    /// Files for these inputs: (name, largest file in bytes, most files).
    pub fn inputs(inputs: impl IntoIterator<Item = (String, u64, u32)>) -> Self {
        Self { inputs: inputs.into_iter().collect(), any: None }
    }

    /// A message's one attachment (input `file`), at the size [`accept`] allows without a field.
    pub fn message_attachment() -> Self {
        Self::inputs([("file".to_owned(), u64::from(portal_forms::schema::DEFAULT_MAX_KB) * 1024, 1)])
    }

    /// Files for any input name, each up to the attachment ceiling (authenticated staff posts).
    pub fn ceiling() -> Self {
        Self { inputs: vec![], any: Some((u64::from(portal_forms::schema::MAX_KB_CEILING) * 1024, 10)) }
    }

    fn of(&self, name: &str) -> Option<(u64, u32)> {
        self.inputs.iter().find(|(n, _, _)| n == name).map(|(_, max, count)| (*max, *count)).or(self.any)
    }
}

fn part_error(e: &axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::new(ErrorKind::PayloadTooLarge)
    } else {
        AppError::bad_request()
    }
}

/// Reads a part up to `keep` bytes and the rest of it without keeping it; the part's bytes (at
/// most `keep`) and its full length. Never holds more than `keep` bytes of one part.
async fn read_part(part: &mut axum::extract::multipart::Field<'_>, keep: usize) -> Result<(Vec<u8>, usize), AppError> {
    let mut kept = Vec::new();
    let mut total = 0usize;
    while let Some(chunk) = part.chunk().await.map_err(|e| part_error(&e))? {
        total += chunk.len();
        if kept.len() < keep {
            let room = keep - kept.len();
            kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
    }
    Ok((kept, total))
}

/// A post whose files are read only after it was checked (CSRF token, owner of the draft, rate
/// limits): see [`GatedPost::read`]; handlers get it through [`super::checked::Gated`]. URL-encoded posts (no files) are read at once.
pub(super) enum GatedPost {
    Form(Fields),
    Multipart(Multipart),
}

impl GatedPost {
    /// Receives a post: a url-encoded body is read at once, a multipart one is left unread.
    pub(super) async fn from_request<S: Send + Sync>(req: Request, state: &S) -> Result<Self, AppError> {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let body = axum::body::to_bytes(req.into_body(), MAX_FORM_BYTES)
                .await
                .map_err(|_| AppError::new(ErrorKind::PayloadTooLarge))?;
            return Ok(Self::Form(Fields(parse_urlencoded(&body)?)));
        }
        Ok(Self::Multipart(Multipart::from_request(req, state).await.map_err(|_| AppError::bad_request())?))
    }

    /// Reads the text fields (the form puts the CSRF token and its buttons before any file input),
    /// then, at the first chosen file, lets `gate` check the request on those fields and decide the
    /// limits; only then are files read, each streamed up to its input's limit (a file over it is
    /// kept just long enough to be refused next to its field as too large). Files of inputs the
    /// gate did not name are skipped unread. A post without a chosen file never reaches the gate:
    /// the handler's own checks apply.
    pub(super) async fn read<G, Fut>(self, max_text: usize, gate: G) -> Result<Posted, AppError>
    where
        G: FnOnce(Fields) -> Fut,
        Fut: std::future::Future<Output = Result<FileLimits, AppError>>,
    {
        let mut mp = match self {
            Self::Form(form) => return Ok(Posted { form, files: vec![] }),
            Self::Multipart(mp) => mp,
        };
        let mut fields: Vec<(String, String)> = Vec::new();
        let mut text_bytes = 0usize;
        let mut files: Vec<Upload> = Vec::new();
        // until the gate has spoken no file is taken (it speaks at the first chosen file)
        let mut gate = Some(gate);
        let mut limits = FileLimits::default();
        let mut parts = 0usize;
        while let Some(mut part) = mp.next_field().await.map_err(|e| part_error(&e))? {
            parts += 1;
            let name = part.name().unwrap_or_default().to_owned();
            let file_name = part.file_name().map(str::to_owned);
            text_bytes += PART_OVERHEAD + name.len();
            if parts > MAX_PARTS
                || name.len() > MAX_NAME
                || file_name.as_ref().is_some_and(|f| f.len() > MAX_NAME)
                || text_bytes > max_text
            {
                return Err(AppError::new(ErrorKind::PayloadTooLarge));
            }
            let Some(file_name) = file_name else {
                let room = max_text.saturating_sub(text_bytes);
                let (bytes, len) = read_part(&mut part, room).await?;
                text_bytes += len;
                if text_bytes > max_text {
                    return Err(AppError::new(ErrorKind::PayloadTooLarge));
                }
                fields.push((name, String::from_utf8(bytes).map_err(|_| AppError::bad_request())?));
                continue;
            };
            if file_name.is_empty() {
                // an input with no file chosen: browsers send an empty part
                read_part(&mut part, 0).await?;
                continue;
            }
            if let Some(g) = gate.take() {
                limits = g(Fields(fields.clone())).await?;
            }
            let Some((max, count)) = limits.of(&name) else {
                read_part(&mut part, 0).await?;
                continue;
            };
            if files.iter().filter(|u| u.name == name).count() >= count as usize {
                read_part(&mut part, 0).await?;
                continue;
            }
            // one byte over the limit is enough to say "too large"
            let keep = usize::try_from(max).unwrap_or(usize::MAX).saturating_add(1);
            let (bytes, _) = read_part(&mut part, keep).await?;
            files.push(Upload { name, file_name, bytes });
        }
        Ok(Posted { form: Fields(fields), files })
    }
}

/// Checks an upload against a file field (or the defaults of message attachments) and returns its
/// type and cleaned bytes.
pub fn accept(field: Option<&Field>, upload: &Upload) -> Result<(FileType, Vec<u8>), Problem> {
    let (max, accepted) = match field {
        Some(f) => (f.max_bytes(), f.accepted()),
        None => {
            (u64::from(portal_forms::schema::DEFAULT_MAX_KB) * 1024, vec![FileType::Pdf, FileType::Png, FileType::Jpeg])
        }
    };
    let list = || accepted.iter().map(|t| t.label()).collect::<Vec<_>>().join(", ");
    if upload.bytes.is_empty() {
        return Err(Problem::FileEmpty);
    }
    if upload.bytes.len() as u64 > max {
        return Err(Problem::FileTooLarge { max_kb: (max / 1024) as u32 });
    }
    let kind =
        sniff(&upload.bytes).filter(|k| accepted.contains(k)).ok_or_else(|| Problem::FileType { accepted: list() })?;
    let clean = strip_metadata(kind, &upload.bytes).map_err(|_| Problem::FileType { accepted: list() })?;
    Ok((kind, clean))
}
