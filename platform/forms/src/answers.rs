//! Answers to a form: what a citizen entered, keyed by field id, as stored (JSON) and exported.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::schema::{Field, FormSchema, Kind, Page};

/// An uploaded attachment, as referenced from the answers (the bytes live in the case store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRef {
    pub file_id: String,
    pub name: String,
    pub size: u64,
    pub content_type: String,
}

/// The value of one field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Text(String),
    /// Several checked choices.
    List(Vec<String>),
    Files(Vec<FileRef>),
    /// Entries of a repeatable group.
    Items(Vec<Answers>),
    /// Parts of a composite field (address: street, postcode, town).
    Parts(BTreeMap<String, String>),
}

/// Answers by field id.
pub type Answers = BTreeMap<String, Value>;

impl Value {
    /// The values a condition looks at.
    pub fn condition_values(&self) -> Vec<&str> {
        match self {
            Value::Text(t) => vec![t.as_str()],
            Value::List(l) => l.iter().map(String::as_str).collect(),
            _ => vec![],
        }
    }
    pub fn text(&self) -> &str {
        match self {
            Value::Text(t) => t,
            _ => "",
        }
    }
    pub fn part(&self, part: &str) -> &str {
        match self {
            Value::Parts(p) => p.get(part).map_or("", String::as_str),
            _ => "",
        }
    }
    pub fn files(&self) -> &[FileRef] {
        match self {
            Value::Files(f) => f,
            _ => &[],
        }
    }
    pub fn items(&self) -> &[Answers] {
        match self {
            Value::Items(i) => i,
            _ => &[],
        }
    }
    pub fn list(&self) -> Vec<&str> {
        match self {
            Value::List(l) => l.iter().map(String::as_str).collect(),
            Value::Text(t) if !t.is_empty() => vec![t.as_str()],
            _ => vec![],
        }
    }
    /// Whether nothing was entered.
    pub fn is_empty(&self) -> bool {
        match self {
            Value::Text(t) => t.trim().is_empty(),
            Value::List(l) => l.is_empty(),
            Value::Files(f) => f.is_empty(),
            Value::Items(i) => i.is_empty(),
            Value::Parts(p) => p.values().all(|v| v.trim().is_empty()),
        }
    }
}

/// The form-post name of a field (or of a part or a group child): `id`, `id.part`,
/// `group[2].child`, `group[2].child.part`.
pub fn input_name(prefix: &str, id: &str) -> String {
    if prefix.is_empty() { id.to_owned() } else { format!("{prefix}.{id}") }
}

/// The HTML id for a form-post name (also the link target of the error summary).
pub fn dom_id(name: &str) -> String {
    let mut s = String::with_capacity(name.len() + 2);
    s.push_str("f-");
    for c in name.chars() {
        s.push(if c.is_ascii_alphanumeric() || c == '_' { c } else { '-' });
    }
    s
}

fn get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn all(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs.iter().filter(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.clone()).collect()
}

/// Reads one field's value from a form post. Files are not in the pairs: the caller adds them.
fn read_field(field: &Field, name: &str, pairs: &[(String, String)], previous: Option<&Value>) -> Option<Value> {
    match field.kind {
        Kind::File => previous.cloned(),
        Kind::Checkbox if !field.options.is_empty() => Some(Value::List(all(pairs, name))),
        Kind::Checkbox => {
            Some(Value::Text(if get(pairs, name).is_some_and(|v| !v.is_empty()) { "ja".into() } else { String::new() }))
        }
        Kind::PostcodeTown | Kind::Address => {
            let parts = field
                .kind
                .parts()
                .iter()
                .map(|p| ((*p).to_owned(), get(pairs, &format!("{name}.{p}")).unwrap_or("").trim().to_owned()))
                .collect();
            Some(Value::Parts(parts))
        }
        Kind::Group => {
            // entries are numbered from 0; the count comes with the post so that empty entries stay
            let count: usize = get(pairs, &format!("{name}.count"))
                .and_then(|c| c.parse().ok())
                .unwrap_or(0)
                .min(field.max_entries() as usize);
            let items = (0..count)
                .map(|i| {
                    let prefix = format!("{name}[{i}]");
                    field
                        .fields
                        .iter()
                        .filter_map(|c| {
                            read_field(c, &input_name(&prefix, &c.id), pairs, None).map(|v| (c.id.clone(), v))
                        })
                        .collect()
                })
                .collect();
            Some(Value::Items(items))
        }
        _ => get(pairs, name).map(|v| Value::Text(v.trim().to_owned())),
    }
}

/// Merges a posted page into the answers kept so far. Fields of other pages stay as they were.
pub fn merge_page(page: &Page, pairs: &[(String, String)], answers: &mut Answers) {
    for field in &page.fields {
        let previous = answers.get(&field.id).cloned();
        match read_field(field, &field.id, pairs, previous.as_ref()) {
            Some(v) => {
                answers.insert(field.id.clone(), v);
            }
            None => {
                answers.remove(&field.id);
            }
        }
    }
}

/// The values a condition on field `id` compares: of the group entry, else of the answers.
fn condition_values<'a>(id: &str, answers: &'a Answers, item: Option<&'a Answers>) -> Vec<&'a str> {
    item.and_then(|i| i.get(id)).or_else(|| answers.get(id)).map(Value::condition_values).unwrap_or_default()
}

/// Whether a field is shown, given the answers (and the entry of its group, for group children).
pub fn visible(field: &Field, answers: &Answers, item: Option<&Answers>) -> bool {
    field.show_if.as_ref().is_none_or(|c| c.holds(&condition_values(&c.field, answers, item)))
}

/// Whether a page is shown, given the answers.
pub fn page_visible(page: &Page, answers: &Answers) -> bool {
    page.show_if.as_ref().is_none_or(|c| c.holds(&condition_values(&c.field, answers, None)))
}

/// Indexes of the pages shown for these answers.
pub fn visible_pages(schema: &FormSchema, answers: &Answers) -> Vec<usize> {
    schema.pages.iter().enumerate().filter(|(_, p)| page_visible(p, answers)).map(|(i, _)| i).collect()
}

/// Keeps only what the schema asks for and what is visible: values of hidden fields and pages
/// (their condition does not hold) and unknown keys are dropped. Used before a case is filed.
pub fn retain_visible(schema: &FormSchema, answers: &Answers) -> Answers {
    let mut out = Answers::new();
    for page in &schema.pages {
        if !page_visible(page, answers) {
            continue;
        }
        for field in &page.fields {
            if !visible(field, answers, None) {
                continue;
            }
            let Some(v) = answers.get(&field.id) else { continue };
            if field.kind == Kind::Group {
                let items = v
                    .items()
                    .iter()
                    .map(|item| {
                        field
                            .fields
                            .iter()
                            .filter(|c| visible(c, answers, Some(item)))
                            .filter_map(|c| item.get(&c.id).map(|v| (c.id.clone(), v.clone())))
                            .collect()
                    })
                    .collect();
                out.insert(field.id.clone(), Value::Items(items));
            } else {
                out.insert(field.id.clone(), v.clone());
            }
        }
    }
    out
}

/// The answers as the export format: the answers with the schema's version and hash.
pub fn export(schema: &FormSchema, schema_hash: &str, answers: &Answers) -> serde_json::Value {
    serde_json::json!({ "schema_version": schema.version, "schema_hash": schema_hash, "answers": answers })
}

/// A change made in the browser to one input (instant validation keeps its own copy of the answers).
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Text(String),
    /// One box of a multiple-choice checkbox field, or the single box of a declaration.
    Tick {
        value: String,
        on: bool,
    },
}

/// Applies a change of the input with this form-post name (`id`, `id.part`, `group[i].child`,
/// `group[i].child.part`) to the answers.
pub fn apply_input(page: &Page, answers: &mut Answers, name: &str, input: Input) {
    let (head, rest) = match name.split_once('[') {
        Some((g, rest)) => (g, Some(rest)),
        None => (name, None),
    };
    match rest {
        None => {
            let (id, part) = match head.split_once('.') {
                Some((id, p)) => (id, Some(p)),
                None => (head, None),
            };
            let Some(field) = page.fields.iter().find(|f| f.id == id) else { return };
            let slot = answers.entry(id.to_owned()).or_insert_with(|| Value::Text(String::new()));
            set(field, slot, part, input);
        }
        Some(rest) => {
            let Some((index, child_path)) = rest.split_once("].") else { return };
            let Ok(index) = index.parse::<usize>() else { return };
            let Some(group) = page.fields.iter().find(|f| f.id == head && f.kind == Kind::Group) else { return };
            let (child_id, part) = match child_path.split_once('.') {
                Some((c, p)) => (c, Some(p)),
                None => (child_path, None),
            };
            let Some(child) = group.fields.iter().find(|f| f.id == child_id) else { return };
            let slot = answers.entry(head.to_owned()).or_insert_with(|| Value::Items(vec![]));
            if !matches!(slot, Value::Items(_)) {
                *slot = Value::Items(vec![]);
            }
            if let Value::Items(items) = slot {
                if index >= group.max_entries() as usize {
                    return;
                }
                while items.len() <= index {
                    items.push(Answers::new());
                }
                let entry = items[index].entry(child_id.to_owned()).or_insert_with(|| Value::Text(String::new()));
                set(child, entry, part, input);
            }
        }
    }
}

fn set(field: &Field, slot: &mut Value, part: Option<&str>, input: Input) {
    match (input, part) {
        (Input::Text(t), Some(p)) => {
            if !matches!(slot, Value::Parts(_)) {
                *slot = Value::Parts(BTreeMap::new());
            }
            if let Value::Parts(parts) = slot {
                parts.insert(p.to_owned(), t);
            }
        }
        (Input::Text(t), None) => *slot = Value::Text(t),
        (Input::Tick { value, on }, _) if !field.options.is_empty() => {
            let mut list: Vec<String> = slot.list().into_iter().map(str::to_owned).collect();
            list.retain(|v| v != &value);
            if on {
                list.push(value);
            }
            *slot = Value::List(list);
        }
        (Input::Tick { on, .. }, _) => *slot = Value::Text(if on { "ja".into() } else { String::new() }),
    }
}
