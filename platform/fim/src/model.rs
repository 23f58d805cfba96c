//! Reading an XDatenfelder document (versions 1, 2 and 3) into one neutral model: groups, fields,
//! rules and their multiplicities. What differs between the versions (where the identifier sits,
//! whether the precision is JSON text or attributes, how code lists come) is settled here.

use roxmltree::{Document, Node};

use crate::ImportError;

/// The XDatenfelder version of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XdfVersion {
    V1,
    V2,
    V3,
}

impl XdfVersion {
    fn of_namespace(ns: &str) -> Option<Self> {
        match ns {
            "urn:xoev-de:fim:standard:xdatenfelder_1" => Some(XdfVersion::V1),
            "urn:xoev-de:fim:standard:xdatenfelder_2" => Some(XdfVersion::V2),
            n if n.starts_with("urn:xoev-de:fim:standard:xdatenfelder_3") => Some(XdfVersion::V3),
            _ => None,
        }
    }
}

/// An element's FIM identity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ident {
    pub id: String,
    pub version: String,
}

/// How often an element may occur (`anzahl`, e.g. `0:1`, `1:*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Multiplicity {
    pub min: u32,
    /// `None`: unbounded.
    pub max: Option<u32>,
}

impl Multiplicity {
    pub const ONE: Multiplicity = Multiplicity { min: 1, max: Some(1) };

    pub fn parse(s: &str) -> Option<Self> {
        let (a, b) = s.trim().split_once(':')?;
        let min = a.trim().parse().ok()?;
        let max = match b.trim() {
            "*" => None,
            n => Some(n.parse().ok()?),
        };
        Some(Self { min, max })
    }
    pub fn repeats(self) -> bool {
        self.max.is_none_or(|m| m > 1)
    }
}

/// A rule as written: a free text and/or a script; neither is run by the platform.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rule {
    pub ident: Ident,
    pub name: String,
    pub text: String,
    pub script: String,
}

/// A code list: its values when the document carries them, else only its reference.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodeList {
    pub reference: String,
    pub values: Vec<(String, String)>,
}

/// A Datenfeld.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FimField {
    pub ident: Ident,
    pub name: String,
    pub label: String,
    pub help: String,
    /// `input`, `select`, `label`, `hidden`, `locked`.
    pub feldart: String,
    /// `text`, `text_latin`, `date`, `time`, `datetime`, `bool`, `num`, `num_int`, `num_currency`, `file`, `obj`.
    pub datentyp: String,
    pub min_length: Option<u32>,
    pub max_length: Option<u32>,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub pattern: Option<String>,
    pub content: String,
    pub codes: Option<CodeList>,
    pub rules: Vec<Rule>,
}

/// A Datenfeldgruppe.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FimGroup {
    pub ident: Ident,
    pub name: String,
    pub label: String,
    pub help: String,
    pub children: Vec<(Multiplicity, Element)>,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Element {
    Field(FimField),
    Group(FimGroup),
}

/// A whole document: the Stammdatenschema (or the single group or field a document carries) as a
/// group at the top.
#[derive(Debug, Clone, PartialEq)]
pub struct FimDocument {
    pub xdf: XdfVersion,
    pub root: FimGroup,
}

/// Documents larger than this are refused before parsing.
pub const MAX_BYTES: usize = 8 * 1024 * 1024;

fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children().find(|c| c.is_element() && c.tag_name().name() == name)
}

fn children<'a, 'i>(n: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    n.children().filter(move |c| c.is_element() && c.tag_name().name() == name)
}

fn text(n: Node<'_, '_>, name: &str) -> String {
    child(n, name)
        .map(|c| c.descendants().filter(|d| d.is_text()).filter_map(|d| d.text()).collect::<String>())
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A code value: written in a `code` child (`<feldart><code>select</code></feldart>`, as the
/// standard has it) or as the element's own text (`<feldart>select</feldart>`, as some tools write).
fn code(n: Node<'_, '_>, name: &str) -> String {
    let Some(c) = child(n, name) else { return String::new() };
    child(c, "code").map_or_else(|| text(n, name), |code| code.text().unwrap_or_default().trim().to_owned())
}

fn ident(n: Node<'_, '_>) -> Ident {
    match child(n, "identifikation") {
        Some(i) => Ident { id: text(i, "id"), version: text(i, "version") },
        None => Ident { id: text(n, "id"), version: text(n, "version") },
    }
}

fn label(n: Node<'_, '_>) -> String {
    let l = text(n, "bezeichnungEingabe");
    if l.is_empty() { text(n, "name") } else { l }
}

fn rules(n: Node<'_, '_>) -> Vec<Rule> {
    children(n, "regel")
        .map(|r| {
            let free = text(r, "freitextRegel");
            let text_of = if free.is_empty() {
                [text(r, "definition"), text(r, "beschreibung")].into_iter().find(|t| !t.is_empty()).unwrap_or_default()
            } else {
                free
            };
            let script = [text(r, "script"), text(r, "skript")].into_iter().find(|t| !t.is_empty()).unwrap_or_default();
            Rule { ident: ident(r), name: text(r, "name"), text: text_of, script }
        })
        .collect()
}

fn number<T: std::str::FromStr>(v: Option<&str>) -> Option<T> {
    v.map(str::trim).filter(|s| !s.is_empty()).and_then(|s| s.replace(',', ".").parse().ok())
}

/// The precision: JSON text (version 2, sometimes 1) or attributes (version 3).
fn precision(f: &mut FimField, n: Node<'_, '_>) {
    let Some(p) = child(n, "praezisierung") else { return };
    let attr = |k: &str| p.attribute(k).map(str::to_owned);
    let json: serde_json::Value = p
        .text()
        .map(str::trim)
        .filter(|t| t.starts_with('{'))
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default();
    let get =
        |k: &str| attr(k).or_else(|| json.get(k).map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)));
    f.min_length = number(get("minLength").as_deref());
    f.max_length = number(get("maxLength").as_deref());
    f.min_value = number(get("minValue").as_deref());
    f.max_value = number(get("maxValue").as_deref());
    f.pattern = get("pattern").filter(|p| !p.trim().is_empty());
}

/// The field's code list: its reference, if any, and its values where the document carries them
/// (version 3: `werte/wert` with `code` and `name`, with or without a reference).
fn codes(n: Node<'_, '_>) -> Option<CodeList> {
    let reference = child(n, "codelisteReferenz").or_else(|| child(n, "codeliste"));
    let reference_text = reference
        .map(|r| {
            let canonical = r.descendants().find(|d| {
                d.is_element()
                    && matches!(d.tag_name().name(), "canonicalVersionUri" | "canonicalIdentification" | "kennung")
            });
            canonical
                .and_then(|c| c.text())
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .unwrap_or_else(|| ident(r).id)
        })
        .unwrap_or_default();
    let values: Vec<(String, String)> = child(n, "werte")
        .map(|w| {
            children(w, "wert").map(|v| (text(v, "code"), text(v, "name"))).filter(|(c, _)| !c.is_empty()).collect()
        })
        .unwrap_or_default();
    (reference.is_some() || !values.is_empty()).then_some(CodeList { reference: reference_text, values })
}

fn field(n: Node<'_, '_>) -> FimField {
    let mut f = FimField {
        ident: ident(n),
        name: text(n, "name"),
        label: label(n),
        help: text(n, "hilfetextEingabe"),
        feldart: code(n, "feldart"),
        datentyp: code(n, "datentyp"),
        content: text(n, "inhalt"),
        codes: codes(n),
        rules: rules(n),
        ..FimField::default()
    };
    precision(&mut f, n);
    f
}

/// How deep groups may nest in a document.
pub const MAX_GROUP_DEPTH: usize = 12;

fn group(n: Node<'_, '_>, depth: usize) -> Result<FimGroup, ImportError> {
    if depth > MAX_GROUP_DEPTH {
        return Err(ImportError::GroupsTooDeep(MAX_GROUP_DEPTH));
    }
    let mut g = FimGroup {
        ident: ident(n),
        name: text(n, "name"),
        label: label(n),
        help: text(n, "hilfetextEingabe"),
        rules: rules(n),
        children: vec![],
    };
    for s in children(n, "struktur") {
        let m = Multiplicity::parse(&text(s, "anzahl")).unwrap_or(Multiplicity::ONE);
        let Some(contains) = child(s, "enthaelt") else { continue };
        for e in contains.children().filter(Node::is_element) {
            match e.tag_name().name() {
                "datenfeld" => g.children.push((m, Element::Field(field(e)))),
                "datenfeldgruppe" => g.children.push((m, Element::Group(group(e, depth + 1)?))),
                _ => {}
            }
        }
    }
    Ok(g)
}

/// How deep and large an XDatenfelder document may be: twelve levels of groups take about 40 levels
/// of XML (the largest example, BlaueKarte, nests 22 deep with 2,992 elements).
pub const XML_LIMITS: portal_domain::xml::XmlLimits =
    portal_domain::xml::XmlLimits { max_depth: 100, max_elements: 200_000 };

/// Parses a document. Broken XML, another format or a document without a schema, group or field
/// are errors that say so.
pub fn parse(xml: &str) -> Result<FimDocument, ImportError> {
    if xml.len() > MAX_BYTES {
        return Err(ImportError::TooLarge);
    }
    // bounded before the (recursive) parser sees it: a few hundred nested elements would overflow
    // the stack and abort the process
    portal_domain::xml::check_nesting(xml, XML_LIMITS).map_err(ImportError::TooComplex)?;
    let opts = roxmltree::ParsingOptions { allow_dtd: false, nodes_limit: 4 * XML_LIMITS.max_elements as u32 };
    let doc = Document::parse_with_options(xml, opts).map_err(|e| match e {
        roxmltree::Error::DtdDetected => ImportError::Dtd,
        e => ImportError::Xml { line: e.pos().row, column: e.pos().col, detail: e.to_string() },
    })?;
    let root = doc.root_element();
    let xdf = root.tag_name().namespace().and_then(XdfVersion::of_namespace).ok_or_else(|| ImportError::Foreign {
        root: root.tag_name().name().to_owned(),
        namespace: root.tag_name().namespace().map(str::to_owned),
    })?;
    let top = if let Some(s) = child(root, "stammdatenschema") {
        group(s, 0)?
    } else if let Some(g) = child(root, "datenfeldgruppe") {
        let inner = group(g, 0)?;
        FimGroup {
            ident: inner.ident.clone(),
            name: inner.name.clone(),
            label: inner.label.clone(),
            help: String::new(),
            rules: vec![],
            children: vec![(Multiplicity::ONE, Element::Group(inner))],
        }
    } else if let Some(f) = child(root, "datenfeld") {
        let inner = field(f);
        FimGroup {
            ident: inner.ident.clone(),
            name: inner.name.clone(),
            label: inner.label.clone(),
            help: String::new(),
            rules: vec![],
            children: vec![(Multiplicity::ONE, Element::Field(inner))],
        }
    } else {
        return Err(ImportError::NoSchema { root: root.tag_name().name().to_owned() });
    };
    Ok(FimDocument { xdf, root: top })
}
