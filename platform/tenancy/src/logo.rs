//! Tenant logos: type checked by content, size-limited; SVG parsed and allowed only when every
//! element and attribute is on a short list of drawing ones (no scripts, handlers, styles sheets,
//! foreign content, entities or references outside the file).

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
    #[error("the SVG logo is nested too deeply or has too many elements: {0}")]
    SvgTooComplex(portal_domain::xml::XmlBoundError),
}

/// How deep and large an SVG logo may be (a logo nests a few levels; the parser must never reach
/// the depth at which it would overflow the stack).
const SVG_LIMITS: portal_domain::xml::XmlLimits = portal_domain::xml::XmlLimits { max_depth: 64, max_elements: 20_000 };

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
            // Served with a restrictive CSP and only used in <img>, but checked anyway: defence in depth.
            let text = std::str::from_utf8(&bytes).map_err(|_| LogoError::NotAnImage)?;
            check_svg(text)?;
        }
        Ok(Self { content_type, bytes })
    }
}

const SVG_NS: &str = "http://www.w3.org/2000/svg";
const XLINK_NS: &str = "http://www.w3.org/1999/xlink";
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Drawing elements a logo may use.
const SVG_ELEMENTS: &[&str] = &[
    "svg",
    "g",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "title",
    "desc",
    "defs",
    "symbol",
    "use",
    "linearGradient",
    "radialGradient",
    "stop",
    "clipPath",
    "mask",
    "pattern",
    "metadata",
];

/// Presentation and geometry attributes (no `on…` handlers, no `href` beyond `#local`).
const SVG_ATTRIBUTES: &[&str] = &[
    "id",
    "class",
    "version",
    "baseProfile",
    "viewBox",
    "preserveAspectRatio",
    "width",
    "height",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "fx",
    "fy",
    "dx",
    "dy",
    "d",
    "points",
    "pathLength",
    "transform",
    "fill",
    "fill-opacity",
    "fill-rule",
    "stroke",
    "stroke-width",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-miterlimit",
    "stroke-dasharray",
    "stroke-dashoffset",
    "stroke-opacity",
    "opacity",
    "color",
    "display",
    "visibility",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "font-variant",
    "text-anchor",
    "dominant-baseline",
    "alignment-baseline",
    "letter-spacing",
    "word-spacing",
    "text-decoration",
    "writing-mode",
    "offset",
    "stop-color",
    "stop-opacity",
    "gradientUnits",
    "gradientTransform",
    "spreadMethod",
    "patternUnits",
    "patternContentUnits",
    "patternTransform",
    "clip-path",
    "clip-rule",
    "clipPathUnits",
    "mask",
    "maskUnits",
    "maskContentUnits",
    "vector-effect",
    "paint-order",
    "shape-rendering",
    "text-rendering",
    "role",
    "aria-label",
    "aria-hidden",
    "aria-labelledby",
    "focusable",
    "lang",
    "style",
    "href",
];

/// Whether an attribute value stays inside the file: `url(…)` and `href` only to `#fragment`s, and
/// nothing a browser would run or load.
fn local_value(name: &str, value: &str) -> bool {
    let v = value.to_ascii_lowercase();
    if ["javascript:", "data:", "@import", "expression(", "image-set(", "src(", "\\"].iter().any(|m| v.contains(m)) {
        return false;
    }
    if name == "href" {
        return value.starts_with('#');
    }
    // every url( must point at a fragment of this file
    v.match_indices("url(").all(|(i, _)| v[i + 4..].trim_start_matches([' ', '"', '\'']).starts_with('#'))
}

/// Checks an SVG logo: well-formed XML without a DTD (no entities), SVG elements and attributes
/// from the lists above only (foreign-namespace attributes such as an editor's are inert and
/// allowed; `metadata` is not looked into), and every reference local.
fn check_svg(text: &str) -> Result<(), LogoError> {
    // bounded before the (recursive) parser sees it
    portal_domain::xml::check_nesting(text, SVG_LIMITS).map_err(LogoError::SvgTooComplex)?;
    let options = roxmltree::ParsingOptions { allow_dtd: false, nodes_limit: 4 * SVG_LIMITS.max_elements as u32 };
    let doc = roxmltree::Document::parse_with_options(text, options).map_err(|_| LogoError::UnsafeSvg)?;
    let root = doc.root_element();
    if root.tag_name().name() != "svg" || root.tag_name().namespace() != Some(SVG_NS) {
        return Err(LogoError::UnsafeSvg);
    }
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        let tag = node.tag_name();
        if tag.namespace() != Some(SVG_NS) || !SVG_ELEMENTS.contains(&tag.name()) {
            return Err(LogoError::UnsafeSvg);
        }
        for a in node.attributes() {
            let allowed = match a.namespace() {
                None => SVG_ATTRIBUTES.contains(&a.name()),
                Some(XLINK_NS) => a.name() == "href",
                Some(XML_NS) => matches!(a.name(), "space" | "lang"),
                Some(SVG_NS) => false,
                Some(_) => !a.name().to_ascii_lowercase().starts_with("on"),
            };
            if !allowed || !local_value(a.name(), a.value()) {
                return Err(LogoError::UnsafeSvg);
            }
        }
        if tag.name() == "metadata" {
            // an editor's description (RDF and the like): nothing of SVG or HTML, no handlers
            let foreign = node.descendants().skip(1).filter(roxmltree::Node::is_element).all(|d| {
                !matches!(d.tag_name().namespace(), Some(SVG_NS | "http://www.w3.org/1999/xhtml") | None)
                    && d.attributes().all(|a| !a.name().to_ascii_lowercase().starts_with("on"))
            });
            if !foreign {
                return Err(LogoError::UnsafeSvg);
            }
            continue;
        }
        // text is drawn as text; processing instructions and comments are inert
        stack.extend(node.children().filter(roxmltree::Node::is_element));
    }
    Ok(())
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
        let is_svg = (head.starts_with("<svg") || head.starts_with("<?xml") || head.starts_with("<!--"))
            && head.contains("<svg");
        is_svg.then_some("image/svg+xml")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content_not_name() {
        assert_eq!(Logo::parse(b"\x89PNG\r\n\x1a\nrest".to_vec()).map(|l| l.content_type), Ok("image/png"));
        assert_eq!(
            Logo::parse(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>".to_vec()).map(|l| l.content_type),
            Ok("image/svg+xml")
        );
        assert_eq!(Logo::parse(b"hello world".to_vec()), Err(LogoError::NotAnImage));
        assert_eq!(Logo::parse(vec![]), Err(LogoError::Empty));
        assert_eq!(Logo::parse(vec![0x89; MAX_LOGO_BYTES + 1]), Err(LogoError::TooLarge));
    }

    #[test]
    fn refuses_svg_with_script() {
        assert_eq!(Logo::parse(b"<svg><script>alert(1)</script></svg>".to_vec()), Err(LogoError::UnsafeSvg));
        // as many nested groups as fit in the size limit (85,000 opened, never closed: the parser
        // would descend into each before it finds the error) are refused before parsing
        let deep = format!("<svg xmlns=\"http://www.w3.org/2000/svg\">{}", "<g>".repeat(85_000));
        assert!(deep.len() <= MAX_LOGO_BYTES);
        assert_eq!(
            Logo::parse(deep.into_bytes()),
            Err(LogoError::SvgTooComplex(portal_domain::xml::XmlBoundError::TooDeep(64)))
        );
        assert_eq!(Logo::parse(b"<svg onload=\"x()\"></svg>".to_vec()), Err(LogoError::UnsafeSvg));
    }

    fn svg(inner: &str) -> Result<&'static str, LogoError> {
        Logo::parse(format!("<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" viewBox=\"0 0 10 10\">{inner}</svg>").into_bytes()).map(|l| l.content_type)
    }

    #[test]
    fn svg_logos_are_parsed_and_only_drawing_elements_and_attributes_pass() {
        for ok in [
            "<rect x=\"1\" y=\"1\" width=\"8\" height=\"8\" fill=\"#0d47a1\"/>",
            "<defs><linearGradient id=\"g\"><stop offset=\"0\" stop-color=\"#fff\"/></linearGradient></defs><circle r=\"4\" fill=\"url(#g)\"/>",
            "<text x=\"5\" y=\"5\" style=\"font-weight: 700; fill: url('#g')\">KL</text><use href=\"#g\"/><use xlink:href=\"#g\"/>",
            "<g xmlns:inkscape=\"http://www.inkscape.org/namespaces/inkscape\" inkscape:label=\"Ebene 1\"><path d=\"M0 0h10\"/></g>",
            "<!-- a comment --><title>Logo</title>",
            "<metadata><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description/></rdf:RDF></metadata>",
        ] {
            assert_eq!(svg(ok), Ok("image/svg+xml"), "{ok}");
        }
        for bad in [
            "<script>alert(1)</script>",
            "<SCRIPT xmlns=\"http://www.w3.org/2000/svg\">alert(1)</SCRIPT>",
            "<rect onclick=\"x()\"/>",
            "<rect ONLOAD=\"x()\"/>",
            "<a href=\"https://evil.example\"><rect/></a>",
            "<image href=\"https://evil.example/x.png\"/>",
            "<use href=\"https://evil.example/s.svg#x\"/>",
            "<use xlink:href=\"data:image/svg+xml;base64,PHN2Zz4=\"/>",
            "<rect fill=\"url(https://evil.example/#x)\"/>",
            "<rect style=\"fill: url( 'https://evil.example/x' )\"/>",
            "<style>@import url(https://evil.example/x.css);</style>",
            "<foreignObject><div xmlns=\"http://www.w3.org/1999/xhtml\">x</div></foreignObject>",
            "<animate attributeName=\"href\" to=\"javascript:alert(1)\"/>",
            "<set attributeName=\"onmouseover\" to=\"alert(1)\"/>",
            "<x:rect xmlns:x=\"urn:other\"/>",
            "<rect x:onload=\"a()\" xmlns:x=\"urn:other\"/>",
            "<rect",
            "<metadata><script>alert(1)</script></metadata>",
            "<rect style=\"fill: image-set('https://evil.example/x.png' 1x)\"/>",
        ] {
            assert_eq!(svg(bad), Err(LogoError::UnsafeSvg), "{bad}");
        }
        // entities (and so the billion laughs) never get expanded: a DTD is refused
        let laughs = "<?xml version=\"1.0\"?><!DOCTYPE svg [<!ENTITY a \"aaaa\">]><svg xmlns=\"http://www.w3.org/2000/svg\"><text>&a;</text></svg>";
        assert_eq!(Logo::parse(laughs.as_bytes().to_vec()), Err(LogoError::UnsafeSvg));
        // the demo tenants' logos pass
        let dir = std::path::PathBuf::from(
            std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()),
        )
        .join("../../tenants/demo/logos");
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let bytes = std::fs::read(entry.path()).unwrap_or_default();
            assert!(Logo::parse(bytes).is_ok(), "{}", entry.path().display());
        }
    }
}
