//! The printable document: one page, A4, text set in embedded DejaVu Sans (WinAnsi, so German is
//! text, not a picture of text), tagged for screen readers (PDF/UA-1: a structure tree of
//! headings, a table of the facts and paragraphs, the QR code a figure with its alternative text,
//! decoration marked as artifacts, the language and title in the catalogue and XMP metadata).
//! The parking permit also comes as a windscreen card (148 × 105 mm) to cut out of the A4 sheet.

mod metrics;
mod page;

use std::io::Write;

use flate2::Compression;
use flate2::write::ZlibEncoder;
use pdf_writer::types::{FontFlags, StructRole, TabOrder};
use pdf_writer::{Filter, Finish, Name, Pdf, Rect, Ref, TextStr};

pub use page::{Elem, Page, Placed, Role};

const REGULAR_TTF: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
const BOLD_TTF: &[u8] = include_bytes!("../../fonts/DejaVuSans-Bold.ttf");

/// A4 in points.
pub const A4: (f32, f32) = (595.28, 841.89);

/// Encodes text in WinAnsi (Windows-1252); characters outside it become '?'.
pub fn win_ansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            '\u{20AC}' => 0x80,
            '\u{201A}' => 0x82,
            '\u{201E}' => 0x84,
            '\u{2026}' => 0x85,
            '\u{2018}' => 0x91,
            '\u{2019}' => 0x92,
            '\u{201C}' => 0x93,
            '\u{201D}' => 0x94,
            '\u{2022}' => 0x95,
            '\u{2013}' => 0x96,
            '\u{2014}' => 0x97,
            '\u{00D7}' => 0xD7,
            c if (c as u32) < 0x7F && (c as u32) >= 0x20 => c as u8,
            c if (0xA0..=0xFF).contains(&(c as u32)) => c as u32 as u8,
            _ => b'?',
        })
        .collect()
}

/// The width of text in points.
pub fn text_width(text: &str, bold: bool, size: f32) -> f32 {
    let m = if bold { &metrics::BOLD } else { &metrics::REGULAR };
    win_ansi(text).iter().map(|b| f32::from(m.widths[usize::from(b.saturating_sub(32))])).sum::<f32>() * size / 1000.0
}

/// Breaks text into lines no wider than `width` points (words longer than a line are cut).
pub fn wrap(text: &str, bold: bool, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
            if text_width(&candidate, bold, size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let mut rest = word.to_owned();
            while text_width(&rest, bold, size) > width && rest.chars().count() > 1 {
                let mut n = rest.chars().count();
                while n > 1 && text_width(&rest.chars().take(n).collect::<String>(), bold, size) > width {
                    n -= 1;
                }
                lines.push(rest.chars().take(n).collect());
                rest = rest.chars().skip(n).collect();
            }
            line = rest;
        }
        lines.push(line);
    }
    lines
}

/// The largest size from `max` down to `min` (in steps of half a point) at which `text` fits
/// `width` on one line, and its lines: at `min` it wraps (a word longer than the line is cut).
pub fn fit(text: &str, bold: bool, max: f32, min: f32, width: f32) -> (f32, Vec<String>) {
    let mut size = max;
    while size > min && text_width(text, bold, size) > width {
        size -= 0.5;
    }
    (size, wrap(text, bold, size, width))
}

fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
    // writing to a Vec does not fail
    let _ = e.write_all(bytes);
    e.finish().unwrap_or_default()
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Document-level facts of the file.
pub struct Meta<'a> {
    pub title: &'a str,
    pub author: &'a str,
    /// BCP 47, e.g. `de-DE`.
    pub lang: &'a str,
}

fn xmp(m: &Meta<'_>) -> Vec<u8> {
    format!(
        concat!(
            "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>",
            "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">",
            "<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\" ",
            "xmlns:pdfuaid=\"http://www.aiim.org/pdfua/ns/id/\">",
            "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{title}</rdf:li></rdf:Alt></dc:title>",
            "<dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>",
            "<dc:language><rdf:Bag><rdf:li>{lang}</rdf:li></rdf:Bag></dc:language>",
            "<pdf:Producer>Kommunalportal</pdf:Producer><pdfuaid:part>1</pdfuaid:part>",
            "</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>"
        ),
        title = xml(m.title),
        author = xml(m.author),
        lang = xml(m.lang)
    )
    .into_bytes()
}

fn struct_role(r: Role) -> StructRole {
    match r {
        Role::Document => StructRole::Document,
        Role::H1 => StructRole::H1,
        Role::H2 => StructRole::H2,
        Role::P => StructRole::P,
        Role::Table => StructRole::Table,
        Role::Tr => StructRole::TR,
        Role::Th => StructRole::TH,
        Role::Td => StructRole::TD,
        Role::Figure => StructRole::Figure,
    }
}

/// Writes a finished page as a tagged PDF.
pub fn write(meta: &Meta<'_>, page: Page) -> Vec<u8> {
    let (content, elems, size) = page.finish();
    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let (catalog, tree, page_id, content_id, info, metadata, root, parent_array) =
        (alloc(), alloc(), alloc(), alloc(), alloc(), alloc(), alloc(), alloc());
    let fonts: Vec<(Ref, Ref, Ref)> = (0..2).map(|_| (alloc(), alloc(), alloc())).collect();
    let elem_refs: Vec<Ref> = elems.iter().map(|_| alloc()).collect();

    {
        let mut c = pdf.catalog(catalog);
        c.pages(tree).lang(TextStr(meta.lang)).metadata(metadata);
        c.viewer_preferences().display_doc_title(true);
        c.mark_info().marked(true);
        c.pair(Name(b"StructTreeRoot"), root);
    }
    {
        let mut r = pdf.indirect(root).start::<pdf_writer::writers::StructTreeRoot>();
        r.child(elem_refs[0]);
        r.parent_tree().nums().insert(0, parent_array);
        r.parent_tree_next_key(1);
    }
    pdf.pages(tree).kids([page_id]).count(1);
    {
        let mut p = pdf.page(page_id);
        p.media_box(Rect::new(0.0, 0.0, size.0, size.1))
            .parent(tree)
            .contents(content_id)
            .struct_parents(0)
            .tab_order(TabOrder::StructureOrder);
        p.resources().fonts().pair(Name(b"F1"), fonts[0].0).pair(Name(b"F2"), fonts[1].0);
    }
    let compressed = deflate(&content);
    pdf.stream(content_id, &compressed).filter(Filter::FlateDecode);
    pdf.document_info(info)
        .title(TextStr(meta.title))
        .author(TextStr(meta.author))
        .creator(TextStr("Kommunalportal"))
        .producer(TextStr("Kommunalportal"));
    pdf.metadata(metadata, &xmp(meta));

    for (i, (ttf, m, name)) in [
        (REGULAR_TTF, &metrics::REGULAR, &b"KPDJVS+DejaVuSans"[..]),
        (BOLD_TTF, &metrics::BOLD, &b"KPDJVB+DejaVuSans-Bold"[..]),
    ]
    .into_iter()
    .enumerate()
    {
        let (font, descriptor, file) = fonts[i];
        {
            let mut d = pdf.indirect(font).dict();
            d.pair(Name(b"Type"), Name(b"Font"));
            d.pair(Name(b"Subtype"), Name(b"TrueType"));
            d.pair(Name(b"BaseFont"), Name(name));
            d.pair(Name(b"FirstChar"), 32);
            d.pair(Name(b"LastChar"), 255);
            d.insert(Name(b"Widths")).array().items(m.widths.iter().map(|w| f32::from(*w)));
            d.pair(Name(b"FontDescriptor"), descriptor);
            d.pair(Name(b"Encoding"), Name(b"WinAnsiEncoding"));
        }
        let [x0, y0, x1, y1] = m.bbox;
        pdf.font_descriptor(descriptor)
            .name(Name(name))
            .flags(FontFlags::NON_SYMBOLIC)
            .bbox(Rect::new(f32::from(x0), f32::from(y0), f32::from(x1), f32::from(y1)))
            .italic_angle(0.0)
            .ascent(f32::from(m.ascent))
            .descent(f32::from(m.descent))
            .cap_height(f32::from(m.cap_height))
            .stem_v(if i == 0 { 80.0 } else { 140.0 })
            .font_file2(file);
        let packed = deflate(ttf);
        pdf.stream(file, &packed).filter(Filter::FlateDecode).pair(Name(b"Length1"), ttf.len() as i32);
    }

    // which element owns each marked-content id of the page
    let mut owners: Vec<(i32, usize)> =
        elems.iter().enumerate().flat_map(|(i, e)| e.mcids.iter().map(move |m| (*m, i))).collect();
    owners.sort_unstable();
    pdf.indirect(parent_array).array().items(owners.iter().map(|(_, i)| elem_refs[*i]));

    for (i, e) in elems.iter().enumerate() {
        let mut s = pdf.struct_element(elem_refs[i]);
        s.kind(struct_role(e.role));
        s.parent(match e.parent {
            Some(p) => elem_refs[p],
            None => root,
        });
        s.page(page_id);
        if let Some(alt) = &e.alt {
            s.alt(TextStr(alt));
        }
        if e.role == Role::Th {
            s.attributes().push().table().scope(pdf_writer::types::TableHeaderScope::Row);
        }
        if let Some(b) = e.bbox {
            s.attributes().push().layout().bbox(b);
        }
        let mut kids = s.children();
        for k in &e.kids {
            match k {
                page::Kid::Mcid(m) => {
                    kids.marked_content_id(*m);
                }
                page::Kid::Elem(c) => {
                    kids.struct_element(elem_refs[*c]);
                }
            }
        }
        kids.finish();
        s.finish();
    }
    pdf.finish()
}

mod sheet;
pub use sheet::{Sheet, a4, a4_page, card, card_page};

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample<'a>(facts: &'a [(String, String)], address: &'a [String]) -> Sheet<'a> {
        Sheet {
            lang: "de-DE",
            tenant: "Stadt Düren",
            address,
            colour: (0.0, 0.35, 0.6),
            title: "Bewohnerparkausweis",
            subtitle: "Nr. BPA-2026-7K3Q-9XW2 · ausgestellt am 30.11.2026",
            facts,
            note: "Der Ausweis gilt nur für das genannte Fahrzeug in der genannten Zone. Legen Sie ihn gut lesbar hinter die Windschutzscheibe.",
            qr: "https://dueren.localhost/pruefen/AQ",
            qr_alt: "QR-Code zur Echtheitsprüfung des Dokuments BPA-2026-7K3Q-9XW2",
            check_hint: "Echtheit prüfen\nScannen Sie den QR-Code oder geben Sie die Nummer unter https://dueren.localhost/pruefen ein.",
            footer: "Elektronisch erstellt, ohne Unterschrift gültig.",
            card_lines: facts,
            card_hint: "Schneiden Sie den Ausweis an der gestrichelten Linie aus.",
            revoked: None,
        }
    }

    /// Every line of a page inside `area` (left, bottom, right, top), none over the QR code, none
    /// over another.
    fn assert_laid_out(name: &str, page: &Page, area: [f32; 4]) {
        let qr = page.figures().first().unwrap_or_else(|| panic!("{name}: no QR code"));
        let texts = page.texts();
        assert!(texts.len() > 8, "{name}: {texts:?}");
        for (i, t) in texts.iter().enumerate() {
            assert!(!t.overlaps(qr), "{name}: {t:?} runs into the QR code at {:?}", qr.rect);
            let [l, b, r, top] = t.rect;
            assert!(l >= area[0] && b >= area[1] && r <= area[2] && top <= area[3], "{name}: {t:?} leaves {area:?}");
            for u in &texts[i + 1..] {
                assert!(!t.overlaps(u), "{name}: {t:?} runs into {u:?}");
            }
        }
    }

    #[test]
    fn no_text_runs_into_the_qr_code_or_another_line_or_off_the_sheet_for_the_longest_values_a_tenant_can_enter() {
        let zone =
            format!("Zone B – {}", "Innenstadt-Nord mit Altstadt und Bahnhofsviertel ".repeat(2)).trim().to_owned();
        let long = vec![
            ("Kennzeichen".to_owned(), "DN-XY 4242".to_owned()),
            ("Parkzone".to_owned(), zone.clone()),
            ("Name".to_owned(), "Maximiliane Alexandra Freifrau von und zu Hohenzollern-Sigmaringen".to_owned()),
            ("Anschrift".to_owned(), "Friedrich-Wilhelm-von-Steuben-Straße 1234 a, 52349 Düren-Birkesdorf".to_owned()),
            ("Gültig bis".to_owned(), "31.12.2027".to_owned()),
        ];
        let address = vec![
            "Bürgerbüro im Verwaltungsgebäude der Stadt Düren, Kaiserplatz 2–4, Eingang Wilhelm-Wester-Weg".to_owned(),
            "52349 Düren".to_owned(),
        ];
        // a short check link and the longest (a token with 80-character facts makes a large code)
        let long_link = format!("https://verbandsgemeinde-kaiserslautern-sued.localhost/pruefen/{}", "A1b2".repeat(80));
        for qr in ["https://dueren.localhost/pruefen/AQ", long_link.as_str()] {
            let mut sheet = sample(&long, &address);
            sheet.qr = qr;
            sheet.tenant =
                "Verbandsgemeindeverwaltung Kaiserslautern-Süd, Fachbereich Bürgerdienste und öffentliche Ordnung";
            sheet.title = "Bewohnerparkausweis für die Parkzonen der Innenstadt und der angrenzenden Wohngebiete (Sonderregelung Baustelle)";
            sheet.card_lines = &long[..2];
            assert_laid_out("a4", &a4_page(&sheet), [50.0, 20.0, A4.0 - 50.0, A4.1]);
            let card = card_page(&sheet);
            let (cw, ch) = (419.53, 297.64);
            let (x0, top) = ((A4.0 - cw) / 2.0, A4.1 - 40.0);
            assert_laid_out("card", &card, [LEFT_MARGIN, 20.0, A4.0 - LEFT_MARGIN, A4.1]);
            // on the card everything but the cutting hint stays inside the frame
            for t in card.texts().iter().filter(|t| t.rect[3] > top - ch) {
                assert!(
                    t.rect[0] >= x0 && t.rect[2] <= x0 + cw && t.rect[1] >= top - ch,
                    "card: {t:?} leaves the card"
                );
            }
            // the zone is there in full, wrapped rather than cut
            let printed: String = card.texts().iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ");
            assert!(printed.contains(&zone), "{printed}");
            sheet.revoked = Some((
                "WIDERRUFEN",
                "Widerrufen am 07.12.2026. Grund: Fahrzeug abgemeldet. Dieses Dokument ist nicht mehr gültig.",
            ));
            let page = a4_page(&sheet);
            assert_laid_out("revoked a4", &page, [50.0, 20.0, A4.0 - 50.0, A4.1]);
            assert!(
                page.texts().iter().any(|t| t.text.starts_with("Widerrufen am 07.12.2026")),
                "the revocation is part of the text"
            );
            let (content, _, _) = page.finish();
            assert!(content.windows(14).any(|w| w == b"(WIDERRUFEN) T"), "the stamp is drawn");
        }
    }

    const LEFT_MARGIN: f32 = 50.0;

    #[test]
    fn a4_and_card_are_tagged_pdfs_with_embedded_fonts() {
        let facts = vec![
            ("Kennzeichen".to_owned(), "DN-XY 42".to_owned()),
            ("Zone".to_owned(), "Zone A – Innenstadt".to_owned()),
        ];
        let address = vec!["Kaiserplatz 2–4".to_owned(), "52349 Düren".to_owned()];
        for (name, bytes) in [("a4", a4(&sample(&facts, &address))), ("card", card(&sample(&facts, &address)))] {
            let text = String::from_utf8_lossy(&bytes);
            assert!(bytes.starts_with(b"%PDF-"));
            for needle in [
                "/StructTreeRoot",
                "/MarkInfo",
                "/Marked true",
                "/Lang (de-DE)",
                "/FontFile2",
                "/Figure",
                "/Alt",
                "/DisplayDocTitle true",
                "/TrueType",
            ] {
                assert!(text.contains(needle), "{name}: {needle} missing");
            }
            assert!(!text.contains("/Type1"), "{name}: no unembedded base-14 fonts");
            if let Ok(dir) = std::env::var("DOCUMENTS_SAMPLE_DIR") {
                std::fs::write(format!("{dir}/sample-{name}.pdf"), &bytes).expect("write");
            }
        }
    }

    #[test]
    fn wrapping_keeps_lines_inside_the_width() {
        let lines = wrap(&format!("{} {}", "Wort ".repeat(40), "x".repeat(300)), false, 10.0, 200.0);
        assert!(lines.iter().all(|l| text_width(l, false, 10.0) <= 200.0));
        assert!(text_width("W", true, 10.0) > text_width("i", true, 10.0));
    }
}
