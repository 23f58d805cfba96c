//! The PDF receipt of an application: the tenant, the service, the reference, when it was filed and
//! every answer, page by page, from the same rows the check-your-answers page shows. Written with
//! the PDF base-14 fonts (WinAnsi covers German), so no font files are needed.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use portal_documents::pdf::win_ansi;
use portal_forms::display::Section;

/// What a receipt shows.
pub struct Receipt<'a> {
    pub tenant: &'a str,
    pub title: &'a str,
    /// (label, value) lines under the title (reference, service, date, status).
    pub facts: Vec<(String, String)>,
    pub sections: &'a [Section],
    pub footer: String,
}

/// Breaks text into lines of at most `width` characters (Helvetica averages half an em per
/// character; the limit is chosen so that lines stay inside the column).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let mut word = word.to_owned();
            while word.chars().count() > width {
                let head: String = word.chars().take(width).collect();
                word = word.chars().skip(width).collect();
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                lines.push(head);
            }
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        lines.push(line);
    }
    lines
}

struct Writer {
    pages: Vec<Content>,
    y: f32,
}

const TOP: f32 = 800.0;
const BOTTOM: f32 = 60.0;
const LEFT: f32 = 56.0;

impl Writer {
    fn line(&mut self, font: &[u8], size: f32, x: f32, text: &str) {
        if self.y < BOTTOM {
            self.pages.push(Content::new());
            self.y = TOP;
        }
        let Some(page) = self.pages.last_mut() else { return };
        page.begin_text();
        page.set_font(Name(font), size);
        page.next_line(x, self.y);
        page.show(Str(&win_ansi(text)));
        page.end_text();
        self.y -= size * 1.35;
    }
    fn gap(&mut self, h: f32) {
        self.y -= h;
    }
}

/// Renders the receipt.
pub fn render(r: &Receipt<'_>) -> Vec<u8> {
    let mut w = Writer { pages: vec![Content::new()], y: TOP };
    w.line(b"F2", 11.0, LEFT, r.tenant);
    w.gap(6.0);
    for l in wrap(r.title, 60) {
        w.line(b"F2", 16.0, LEFT, &l);
    }
    w.gap(6.0);
    for (label, value) in &r.facts {
        w.line(b"F1", 10.0, LEFT, &format!("{label}: {value}"));
    }
    for section in r.sections {
        w.gap(10.0);
        w.line(b"F2", 12.0, LEFT, &section.title);
        w.gap(2.0);
        for (_, label, value) in &section.rows {
            for l in wrap(label, 90) {
                w.line(b"F2", 9.0, LEFT, &l);
            }
            for l in wrap(value, 88) {
                w.line(b"F1", 10.0, LEFT + 12.0, &l);
            }
            w.gap(3.0);
        }
    }
    w.gap(12.0);
    for l in wrap(&r.footer, 95) {
        w.line(b"F1", 8.0, LEFT, &l);
    }

    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let first = 6;
    let n = w.pages.len() as i32;
    let page_ids: Vec<Ref> = (0..n).map(|i| Ref::new(first + 2 * i)).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().copied()).count(n);
    pdf.type1_font(regular).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.document_info(info).title(TextStr(r.title)).author(TextStr(r.tenant)).creator(TextStr("Kommunalportal"));
    for (i, content) in w.pages.into_iter().enumerate() {
        let page_id = page_ids[i];
        let content_id = Ref::new(first + 2 * i as i32 + 1);
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, 595.0, 842.0)).parent(tree).contents(content_id);
        page.resources().fonts().pair(Name(b"F1"), regular).pair(Name(b"F2"), bold);
        page.finish();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_is_a_pdf_with_the_answers_in_win_ansi() {
        let sections = vec![Section {
            page_index: 0,
            title: "Ihre Angaben".into(),
            rows: vec![("name".into(), "Familienname".into(), "Müller-Lüdenscheidt".into())],
        }];
        let pdf = render(&Receipt {
            tenant: "Stadt Kaiserslautern",
            title: "Eingangsbestätigung – Meldebescheinigung",
            facts: vec![("Aktenzeichen".into(), "2026-000001".into())],
            sections: &sections,
            footer: "Erstellt am 22.11.2026".into(),
        });
        assert!(pdf.starts_with(b"%PDF-"));
        // non-ASCII text is written as a hex string of its WinAnsi bytes
        let needle: String = win_ansi("Müller-Lüdenscheidt").iter().map(|b| format!("{b:02x}")).collect();
        assert!(String::from_utf8_lossy(&pdf).to_ascii_lowercase().contains(&needle));
        assert_eq!(win_ansi("„ü“ – €"), vec![0x84, 0xFC, 0x93, b' ', 0x96, b' ', 0x80]);
    }

    #[test]
    fn long_receipts_get_more_pages_and_long_words_are_broken() {
        let rows: Vec<(String, String, String)> =
            (0..200).map(|i| (format!("f{i}"), format!("Feld {i}"), "x".repeat(150))).collect();
        let sections = vec![Section { page_index: 0, title: "Seite".into(), rows }];
        let pdf =
            render(&Receipt { tenant: "T", title: "T", facts: vec![], sections: &sections, footer: String::new() });
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.matches("/Type /Page\n").count() + text.matches("/Type /Page ").count() >= 1);
        assert!(text.contains("/Count "));
        assert!(wrap(&"y".repeat(200), 88).iter().all(|l| l.chars().count() <= 88));
    }
}
