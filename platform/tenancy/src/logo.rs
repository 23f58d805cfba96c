//! Tenant logos: type checked by content, size-limited.

/// Largest logo accepted, in bytes.
pub const MAX_LOGO_BYTES: usize = 256 * 1024;

/// A validated logo image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogoError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than {} KB", MAX_LOGO_BYTES / 1024)]
    TooLarge,
    #[error("the file is not a PNG, JPEG, GIF, WebP or SVG image")]
    NotAnImage,
    #[error("SVG logos must not contain scripts, event handlers or external references")]
    UnsafeSvg,
}

impl Logo {
    /// Checks the bytes (never the file name or the declared type) and returns the logo.
    pub fn parse(bytes: Vec<u8>) -> Result<Self, LogoError> {
        if bytes.is_empty() {
            return Err(LogoError::Empty);
        }
        if bytes.len() > MAX_LOGO_BYTES {
            return Err(LogoError::TooLarge);
        }
        let content_type = sniff(&bytes).ok_or(LogoError::NotAnImage)?;
        if content_type == "image/svg+xml" {
            let text = std::str::from_utf8(&bytes).map_err(|_| LogoError::NotAnImage)?.to_ascii_lowercase();
            // Served with a restrictive CSP and only used in <img>, but refused anyway: defence in depth.
            let unsafe_markers = ["<script", "javascript:", " on", "<foreignobject", "xlink:href=\"http", "href=\"http", "<iframe", "<!entity"];
            if unsafe_markers.iter().any(|m| {
                if *m == " on" { text.split_whitespace().any(|w| w.starts_with("on") && w.contains('=')) } else { text.contains(m) }
            }) {
                return Err(LogoError::UnsafeSvg);
            }
        }
        Ok(Self { content_type, bytes })
    }
}

fn sniff(b: &[u8]) -> Option<&'static str> {
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if b.len() > 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        let head = std::str::from_utf8(&b[..b.len().min(1024)]).ok()?;
        let head = head.trim_start_matches('\u{feff}').trim_start();
        let is_svg = (head.starts_with("<svg") || head.starts_with("<?xml") || head.starts_with("<!--")) && head.contains("<svg");
        is_svg.then_some("image/svg+xml")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content_not_name() {
        assert_eq!(Logo::parse(b"\x89PNG\r\n\x1a\nrest".to_vec()).map(|l| l.content_type), Ok("image/png"));
        assert_eq!(Logo::parse(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>".to_vec()).map(|l| l.content_type), Ok("image/svg+xml"));
        assert_eq!(Logo::parse(b"hello world".to_vec()), Err(LogoError::NotAnImage));
        assert_eq!(Logo::parse(vec![]), Err(LogoError::Empty));
        assert_eq!(Logo::parse(vec![0x89; MAX_LOGO_BYTES + 1]), Err(LogoError::TooLarge));
    }

    #[test]
    fn refuses_svg_with_script() {
        assert_eq!(Logo::parse(b"<svg><script>alert(1)</script></svg>".to_vec()), Err(LogoError::UnsafeSvg));
        assert_eq!(Logo::parse(b"<svg onload=\"x()\"></svg>".to_vec()), Err(LogoError::UnsafeSvg));
    }
}
