//! The two layouts: the A4 document and the windscreen card.

use pdf_writer::{Name, Rect, Str};
use qrcode::{EcLevel, QrCode};

use super::page::{Page, Role, qr};
use super::{A4, Meta, fit, text_width, win_ansi, wrap, write};

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
    /// The office's copy of a revoked document: the stamp ("WIDERRUFEN") and the sentence
    /// ("Widerrufen am …: …") across the A4 sheet (a revoked document's card is never made).
    pub revoked: Option<(&'a str, &'a str)>,
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
    write(&meta(s), a4_page(s))
}

fn meta<'a>(s: &'a Sheet<'a>) -> Meta<'a> {
    Meta { title: s.title, author: s.tenant, lang: s.lang }
}

/// Width of the text column of the A4 sheet.
const FULL: f32 = A4.0 - 2.0 * LEFT;

/// The A4 document laid out: the head (tenant, address, title, number) beside the QR code and
/// never under it, whatever the tenant entered; the facts below, over the full width.
pub fn a4_page(s: &Sheet<'_>) -> Page {
    let mut p = Page::new(A4);
    let doc = Page::DOCUMENT;
    band(&mut p, s.colour, A4.1 - 18.0, 18.0);
    if let Some((stamp, _)) = s.revoked {
        revoked_stamp(&mut p, stamp);
    }
    let module = 3.0;
    let code = code(s.qr);
    let side = code.as_ref().map_or(0.0, |c| c.width() as f32 * module);
    let (qx, qtop) = (A4.0 - LEFT - side, 790.0 + 10.0);
    // the head's column: left of the code with a gap of 14 pt
    let beside = if code.is_some() { qx - 14.0 - LEFT } else { FULL };

    let head = p.elem(Role::P, doc);
    let (size, tenant) = fit(s.tenant, true, 13.0, 9.0, beside);
    let mut y = p.lines(head, LEFT, 790.0, size, true, &tenant) + 1.3 * size - 16.0;
    for l in s.address {
        y = p.lines(head, LEFT, y, 9.0, false, &wrap(l, false, 9.0, beside));
    }
    let h1 = p.elem(Role::H1, doc);
    let (size, title) = fit(s.title, true, 24.0, 16.0, beside);
    y = p.lines(h1, LEFT, y - 10.0 - size, size, true, &title);
    let sub = p.elem(Role::P, doc);
    y = p.lines(sub, LEFT, y - 4.0, 10.0, false, &wrap(s.subtitle, false, 10.0, beside));

    if let Some(code) = code {
        p.figure(doc, s.qr_alt, Rect::new(qx, qtop - side, qx + side, qtop), |c| qr(c, &code, qx, qtop, module));
        // the facts run the full width: below the code, whatever its size
        y = y.min(qtop - side);
    }

    if let Some((_, sentence)) = s.revoked {
        y = revoked_banner(&mut p, sentence, y - 14.0);
    }

    // the facts, a table of two columns
    y -= 22.0;
    let table = p.elem(Role::Table, doc);
    for (label, value) in s.facts {
        let tr = p.elem(Role::Tr, table);
        let th = p.elem(Role::Th, tr);
        let td = p.elem(Role::Td, tr);
        let label_lines = wrap(label, true, 10.0, 150.0);
        let value_lines = wrap(value, false, 13.0, FULL - 170.0);
        let after_label = p.lines(th, LEFT, y, 10.0, true, &label_lines);
        let after_value = p.lines(td, LEFT + 170.0, y, 13.0, false, &value_lines);
        y = after_label.min(after_value) - 8.0;
        p.artifact(|c| {
            c.set_stroke_rgb(0.8, 0.8, 0.8);
            c.set_line_width(0.5);
            c.move_to(LEFT, y + 12.0);
            c.line_to(A4.0 - LEFT, y + 12.0);
            c.stroke();
        });
    }
    let note = p.elem(Role::P, doc);
    y = p.lines(note, LEFT, y - 16.0, 10.0, false, &wrap(s.note, false, 10.0, FULL));
    let h2 = p.elem(Role::H2, doc);
    y = p.lines(
        h2,
        LEFT,
        y - 18.0,
        12.0,
        true,
        &wrap(s.check_hint.split('\n').next().unwrap_or_default(), true, 12.0, FULL),
    );
    let hint = p.elem(Role::P, doc);
    let rest: String = s.check_hint.split('\n').skip(1).collect::<Vec<_>>().join("\n");
    y = p.lines(hint, LEFT, y - 2.0, 10.0, false, &wrap(&rest, false, 10.0, FULL));
    let footer = p.elem(Role::P, doc);
    let footer_lines = wrap(s.footer, false, 8.0, FULL);
    // at the foot of the page, or below the text when that runs long
    let at = (40.0 + footer_lines.len() as f32 * 8.0 * 1.3).min(y - 12.0);
    p.lines(footer, LEFT, at, 8.0, false, &footer_lines);
    p
}

/// The word ("WIDERRUFEN") large, pale and at 45° over the lower half of the page, drawn first so
/// that everything else lies on it and it never crosses the QR code (decoration: the banner's
/// sentence is what a screen reader reads).
fn revoked_stamp(p: &mut Page, stamp: &str) {
    let size = 80.0;
    let w = text_width(stamp, true, size).min(640.0);
    let (c45, centre) = (std::f32::consts::FRAC_1_SQRT_2, (A4.0 / 2.0, 300.0));
    p.artifact(|c| {
        c.set_fill_rgb(0.97, 0.8, 0.8);
        c.begin_text();
        c.set_font(Name(b"F2"), size);
        // rotated by 45°, its middle at the middle of the lower half
        c.set_text_matrix([
            c45,
            c45,
            -c45,
            c45,
            centre.0 - c45 * w / 2.0 + c45 * size * 0.35,
            centre.1 - c45 * w / 2.0 - c45 * size * 0.35,
        ]);
        c.show(Str(&win_ansi(stamp)));
        c.end_text();
    });
}

/// "Widerrufen am …" across the sheet in a red frame. Returns the y below it.
fn revoked_banner(p: &mut Page, text: &str, top: f32) -> f32 {
    let doc = Page::DOCUMENT;
    let lines = wrap(text, true, 13.0, FULL - 24.0);
    let height = lines.len() as f32 * 13.0 * 1.3 + 14.0;
    p.artifact(|c| {
        c.set_fill_rgb(0.99, 0.92, 0.92);
        c.set_stroke_rgb(0.75, 0.1, 0.1);
        c.set_line_width(2.0);
        c.rect(LEFT, top - height, FULL, height);
        c.fill_nonzero_and_stroke();
    });
    let banner = p.elem(Role::P, doc);
    p.lines(banner, LEFT + 12.0, top - 7.0 - 13.0, 13.0, true, &lines);
    top - height
}

/// Lines set in slots of 1.3 × their size from `top` down, each line's box inside its slot;
/// returns the top of the next slot.
fn stack(p: &mut Page, owner: usize, x: f32, top: f32, size: f32, bold: bool, lines: &[String]) -> f32 {
    p.lines(owner, x, top - 0.91 * size, size, bold, lines) + 0.91 * size
}

/// The windscreen card: 148 × 105 mm at the top of an A4 sheet, framed by a dashed cutting line.
pub fn card(s: &Sheet<'_>) -> Vec<u8> {
    write(&meta(s), card_page(s))
}

/// The card laid out: the QR code at the right, at most 150 pt wide; the title and the big lines
/// (plate, zone, end of validity) to its left, shrunk and wrapped until they fit beside it and
/// above the number at the card's foot.
pub fn card_page(s: &Sheet<'_>) -> Page {
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
    let inner = cw - 28.0;
    let head = p.elem(Role::P, doc);
    // in the band: one line, or two smaller ones for a long name
    let (size, tenant) = fit(s.tenant, true, 11.0, 7.0, inner);
    let shown = &tenant[..tenant.len().min(2)];
    p.lines(head, x0 + 14.0, if shown.len() > 1 { top - 10.5 } else { top - 18.0 }, size, true, shown);

    let code = code(s.qr);
    let module = code.as_ref().map_or(2.6, |c| (150.0 / c.width() as f32).min(2.6));
    let side = code.as_ref().map_or(0.0, |c| c.width() as f32 * module);
    let (qx, qtop) = (x0 + cw - 14.0 - side, top - 40.0);
    let beside = if code.is_some() { qx - 12.0 - (x0 + 14.0) } else { inner };
    // the lowest a line may reach: above the number at the foot
    let floor = top - ch + 28.0;

    let h1 = p.elem(Role::H1, doc);
    let (size, title) = fit(s.title, true, 18.0, 11.0, beside);
    let mut y = stack(&mut p, h1, x0 + 14.0, top - 34.0, size, true, &title) - 4.0;

    // the values' size: the largest from 28 pt down at which every line fits its width and all of
    // them fit above the floor
    let labels: Vec<Vec<String>> = s.card_lines.iter().map(|(label, _)| wrap(label, false, 9.0, beside)).collect();
    let rows = |max: f32| -> (f32, Vec<(f32, Vec<String>)>) {
        let laid: Vec<(f32, Vec<String>)> =
            s.card_lines.iter().map(|(_, value)| fit(value, true, max, 8.0, beside)).collect();
        let h = laid
            .iter()
            .zip(&labels)
            .map(|((size, lines), label)| label.len() as f32 * 9.0 * 1.3 + lines.len() as f32 * size * 1.3 + 6.0)
            .sum();
        (h, laid)
    };
    let mut max = 28.0;
    let (mut height, mut laid) = rows(max);
    while max > 8.0 && y - height < floor {
        max -= 1.0;
        (height, laid) = rows(max);
    }
    let table = p.elem(Role::Table, doc);
    for (label, (size, lines)) in labels.iter().zip(laid) {
        let tr = p.elem(Role::Tr, table);
        let th = p.elem(Role::Th, tr);
        let td = p.elem(Role::Td, tr);
        y = stack(&mut p, th, x0 + 14.0, y, 9.0, false, label);
        y = stack(&mut p, td, x0 + 14.0, y, size, true, &lines) - 6.0;
    }
    if let Some(code) = code {
        p.figure(doc, s.qr_alt, Rect::new(qx, qtop - side, qx + side, qtop), |c| qr(c, &code, qx, qtop, module));
    }
    let sub = p.elem(Role::P, doc);
    let (size, subtitle) = fit(s.subtitle, false, 8.0, 6.0, inner);
    p.text(sub, x0 + 14.0, top - ch + 14.0, size, false, subtitle.first().map_or("", String::as_str));
    let hint = p.elem(Role::P, doc);
    p.lines(hint, LEFT, top - ch - 30.0, 10.0, false, &wrap(s.card_hint, false, 10.0, FULL));
    p
}
