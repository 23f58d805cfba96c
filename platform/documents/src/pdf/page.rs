//! A page being laid out: its content stream with every piece either marked content owned by an
//! element of the structure tree or an artifact, and that tree.

use pdf_writer::{Content, Name, Rect, Str};

use super::win_ansi;

/// The structure types the documents use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Document,
    H1,
    H2,
    P,
    Table,
    Tr,
    Th,
    Td,
    Figure,
}

/// A child of an element.
#[derive(Debug, Clone, Copy)]
pub enum Kid {
    Mcid(i32),
    Elem(usize),
}

/// An element of the structure tree.
#[derive(Debug, Clone)]
pub struct Elem {
    pub role: Role,
    pub parent: Option<usize>,
    pub kids: Vec<Kid>,
    pub mcids: Vec<i32>,
    pub alt: Option<String>,
    pub bbox: Option<Rect>,
}

/// Where a line of text or a figure landed: left, bottom, right, top in points (a line's box
/// runs from its descent to its ascent), and what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub rect: [f32; 4],
    pub text: String,
}

impl Placed {
    /// Whether two boxes share more than a hair's breadth (0.01 pt) of area.
    pub fn overlaps(&self, other: &Placed) -> bool {
        let [l1, b1, r1, t1] = self.rect;
        let [l2, b2, r2, t2] = other.rect;
        l1.max(l2) + 0.01 < r1.min(r2) && b1.max(b2) + 0.01 < t1.min(t2)
    }
}

/// A page and its structure; element 0 is the document.
pub struct Page {
    content: Content,
    elems: Vec<Elem>,
    next_mcid: i32,
    size: (f32, f32),
    texts: Vec<Placed>,
    figures: Vec<Placed>,
}

impl Page {
    pub fn new(size: (f32, f32)) -> Self {
        Self {
            content: Content::new(),
            elems: vec![Elem {
                role: Role::Document,
                parent: None,
                kids: vec![],
                mcids: vec![],
                alt: None,
                bbox: None,
            }],
            next_mcid: 0,
            size,
            texts: vec![],
            figures: vec![],
        }
    }

    pub const DOCUMENT: usize = 0;

    /// A new element under `parent`.
    pub fn elem(&mut self, role: Role, parent: usize) -> usize {
        let id = self.elems.len();
        self.elems.push(Elem { role, parent: Some(parent), kids: vec![], mcids: vec![], alt: None, bbox: None });
        self.elems[parent].kids.push(Kid::Elem(id));
        id
    }

    fn mark(&mut self, owner: usize) -> i32 {
        let mcid = self.next_mcid;
        self.next_mcid += 1;
        self.elems[owner].kids.push(Kid::Mcid(mcid));
        self.elems[owner].mcids.push(mcid);
        let tag = match self.elems[owner].role {
            Role::H1 => &b"H1"[..],
            Role::H2 => b"H2",
            Role::Th => b"TH",
            Role::Td => b"TD",
            Role::Figure => b"Figure",
            _ => b"P",
        };
        self.content.begin_marked_content_with_properties(Name(tag)).properties().identify(mcid);
        mcid
    }

    /// One line of text at (x, y), owned by `owner`.
    pub fn text(&mut self, owner: usize, x: f32, y: f32, size: f32, bold: bool, text: &str) {
        let width = super::text_width(text, bold, size);
        self.texts.push(Placed { rect: [x, y - 0.24 * size, x + width, y + 0.76 * size], text: text.to_owned() });
        self.mark(owner);
        let c = &mut self.content;
        c.begin_text();
        c.set_font(Name(if bold { b"F2" } else { b"F1" }), size);
        c.next_line(x, y);
        c.show(Str(&win_ansi(text)));
        c.end_text();
        c.end_marked_content();
    }

    /// Lines of text from `y` down; returns the y below the last line.
    pub fn lines(&mut self, owner: usize, x: f32, mut y: f32, size: f32, bold: bool, lines: &[String]) -> f32 {
        for l in lines {
            self.text(owner, x, y, size, bold, l);
            y -= size * 1.3;
        }
        y
    }

    /// Drawing that is decoration, not content (rules, frames, cut marks).
    pub fn artifact(&mut self, draw: impl FnOnce(&mut Content)) {
        self.content.begin_marked_content(Name(b"Artifact"));
        self.content.save_state();
        draw(&mut self.content);
        self.content.restore_state();
        self.content.end_marked_content();
    }

    /// A figure with its alternative text and bounding box.
    pub fn figure(&mut self, parent: usize, alt: &str, bbox: Rect, draw: impl FnOnce(&mut Content)) {
        let id = self.elem(Role::Figure, parent);
        self.elems[id].alt = Some(alt.to_owned());
        self.elems[id].bbox = Some(bbox);
        self.figures.push(Placed { rect: [bbox.x1, bbox.y1, bbox.x2, bbox.y2], text: alt.to_owned() });
        self.mark(id);
        self.content.save_state();
        draw(&mut self.content);
        self.content.restore_state();
        self.content.end_marked_content();
    }

    pub fn size(&self) -> (f32, f32) {
        self.size
    }

    /// Every line of text set so far, with its box.
    pub fn texts(&self) -> &[Placed] {
        &self.texts
    }

    /// Every figure (the QR code) placed so far, with its box.
    pub fn figures(&self) -> &[Placed] {
        &self.figures
    }

    pub fn finish(self) -> (Vec<u8>, Vec<Elem>, (f32, f32)) {
        (self.content.finish(), self.elems, self.size)
    }
}

/// Draws a QR code's dark modules as filled rectangles (runs of a row merged), `module` points
/// each, with its top-left corner at (x, top).
pub fn qr(c: &mut Content, code: &qrcode::QrCode, x: f32, top: f32, module: f32) {
    let w = code.width();
    let colors = code.to_colors();
    c.set_fill_rgb(0.0, 0.0, 0.0);
    for row in 0..w {
        let mut col = 0;
        while col < w {
            if colors[row * w + col] == qrcode::Color::Dark {
                let start = col;
                while col < w && colors[row * w + col] == qrcode::Color::Dark {
                    col += 1;
                }
                c.rect(
                    x + start as f32 * module,
                    top - (row as f32 + 1.0) * module,
                    (col - start) as f32 * module,
                    module,
                );
            } else {
                col += 1;
            }
        }
    }
    c.fill_nonzero();
}
