//! The two layouts: the A4 document and the windscreen card.

use pdf_writer::Rect;
use qrcode::{EcLevel, QrCode};

use super::page::{Page, Role, qr};
use super::{A4, Meta, text_width, wrap, write};

/// What a printed document shows. Texts come in the holder's language.
pub struct Sheet<'a> {
    pub lang: &'a str,
    pub tenant: &'a str,
    /// The office's address, line by line.
    pub address: &'a [String],
    /// The tenant's colour (RGB, 0–1) for the band at the top.
    pub colour: (f32, f32, f32),
    pub title: &'a str,
    /// "Nr. … · ausgestellt am …"
    pub subtitle: &'a str,
    /// (label, value), in print order; the validity is among them.
    pub facts: &'a [(String, String)],
    pub note: &'a str,
    /// What the QR code holds (the check URL with the token).
    pub qr: &'a str,
    pub qr_alt: &'a str,
    /// How to check without the code.
    pub check_hint: &'a str,
    pub footer: &'a str,
    /// Card only: the big lines (label, value) and the cutting instruction.
    pub card_lines: &'a [(String, String)],
    pub card_hint: &'a str,
}

const LEFT: f32 = 56.0;

fn code(text: &str) -> Option<QrCode> {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()
}

fn band(p: &mut Page, colour: (f32, f32, f32), y: f32, h: f32) {
    let w = p.size().0;
    p.artifact(|c| {
        c.set_fill_rgb(colour.0, colour.1, colour.2);
        c.rect(0.0, y, w, h);
        c.fill_nonzero();
    });
}

/// The A4 document.
pub fn a4(s: &Sheet<'_>) -> Vec<u8> {
    let mut p = Page::new(A4);
    let doc = Page::DOCUMENT;
    band(&mut p, s.colour, A4.1 - 18.0, 18.0);
    let head = p.elem(Role::P, doc);
    p.text(head, LEFT, 790.0, 13.0, true, s.tenant);
    let mut y = 774.0;
    for l in s.address {
        p.text(head, LEFT, y, 9.0, false, l);
        y -= 12.0;
    }
    let h1 = p.elem(Role::H1, doc);
    let title = wrap(s.title, true, 24.0, 330.0);
    y = p.lines(h1, LEFT, y - 34.0, 24.0, true, &title);
    let sub = p.elem(Role::P, doc);
    y = p.lines(sub, LEFT, y - 4.0, 10.0, false, &[s.subtitle.to_owned()]);

    // the QR code at the right of the title
    let module = 3.0;
    if let Some(code) = code(s.qr) {
        let side = code.width() as f32 * module;
        let (x, top) = (A4.0 - 56.0 - side, 770.0);
        p.figure(doc, s.qr_alt, Rect::new(x, top - side, x + side, top), |c| qr(c, &code, x, top, module));
        // the facts run the full width: below the code, whatever its size
        y = y.min(top - side);
    }

    // the facts, a table of two columns
    y -= 22.0;
    let table = p.elem(Role::Table, doc);
    for (label, value) in s.facts {
        let tr = p.elem(Role::Tr, table);
        let th = p.elem(Role::Th, tr);
        let td = p.elem(Role::Td, tr);
        let label_lines = wrap(label, true, 10.0, 150.0);
        let value_lines = wrap(value, false, 13.0, 300.0);
        let after_label = p.lines(th, LEFT, y, 10.0, true, &label_lines);
        let after_value = p.lines(td, LEFT + 170.0, y, 13.0, false, &value_lines);
        y = after_label.min(after_value) - 8.0;
        let w = A4.0;
        p.artifact(|c| {
            c.set_stroke_rgb(0.8, 0.8, 0.8);
            c.set_line_width(0.5);
            c.move_to(LEFT, y + 12.0);
            c.line_to(w - LEFT, y + 12.0);
            c.stroke();
        });
    }
    let note = p.elem(Role::P, doc);
    y = p.lines(note, LEFT, y - 16.0, 10.0, false, &wrap(s.note, false, 10.0, A4.0 - 2.0 * LEFT));
    let h2 = p.elem(Role::H2, doc);
    y = p.lines(h2, LEFT, y - 18.0, 12.0, true, &[s.check_hint.split('\n').next().unwrap_or_default().to_owned()]);
    let hint = p.elem(Role::P, doc);
    let rest: String = s.check_hint.split('\n').skip(1).collect::<Vec<_>>().join("\n");
    p.lines(hint, LEFT, y - 2.0, 10.0, false, &wrap(&rest, false, 10.0, A4.0 - 2.0 * LEFT));
    let footer = p.elem(Role::P, doc);
    p.lines(footer, LEFT, 60.0, 8.0, false, &wrap(s.footer, false, 8.0, A4.0 - 2.0 * LEFT));
    write(&Meta { title: s.title, author: s.tenant, lang: s.lang }, p)
}

/// The windscreen card: 148 × 105 mm at the top of an A4 sheet, framed by a dashed cutting line.
pub fn card(s: &Sheet<'_>) -> Vec<u8> {
    let mut p = Page::new(A4);
    let doc = Page::DOCUMENT;
    let (cw, ch) = (419.53, 297.64);
    let (x0, top) = ((A4.0 - cw) / 2.0, A4.1 - 40.0);
    p.artifact(|c| {
        c.set_stroke_rgb(0.3, 0.3, 0.3);
        c.set_line_width(0.8);
        c.set_dash_pattern([6.0, 4.0], 0.0);
        c.rect(x0, top - ch, cw, ch);
        c.stroke();
    });
    p.artifact(|c| {
        c.set_fill_rgb(s.colour.0, s.colour.1, s.colour.2);
        c.rect(x0, top - 26.0, cw, 26.0);
        c.fill_nonzero();
    });
    let head = p.elem(Role::P, doc);
    p.text(head, x0 + 14.0, top - 18.0, 11.0, true, s.tenant);
    let h1 = p.elem(Role::H1, doc);
    p.text(h1, x0 + 14.0, top - 50.0, 18.0, true, s.title);
    let table = p.elem(Role::Table, doc);
    let mut y = top - 84.0;
    for (label, value) in s.card_lines {
        let tr = p.elem(Role::Tr, table);
        let th = p.elem(Role::Th, tr);
        let td = p.elem(Role::Td, tr);
        p.text(th, x0 + 14.0, y, 9.0, false, label);
        let mut size = 28.0;
        while size > 12.0 && text_width(value, true, size) > cw - 170.0 {
            size -= 2.0;
        }
        p.text(td, x0 + 14.0, y - size - 2.0, size, true, value);
        y -= size + 26.0;
    }
    let module = 2.6;
    if let Some(code) = code(s.qr) {
        let side = code.width() as f32 * module;
        let (x, qtop) = (x0 + cw - 14.0 - side, top - 40.0);
        p.figure(doc, s.qr_alt, Rect::new(x, qtop - side, x + side, qtop), |c| qr(c, &code, x, qtop, module));
    }
    let sub = p.elem(Role::P, doc);
    p.text(sub, x0 + 14.0, top - ch + 14.0, 8.0, false, s.subtitle);
    let hint = p.elem(Role::P, doc);
    p.lines(hint, LEFT, top - ch - 30.0, 10.0, false, &wrap(s.card_hint, false, 10.0, A4.0 - 2.0 * LEFT));
    write(&Meta { title: s.title, author: s.tenant, lang: s.lang }, p)
}
