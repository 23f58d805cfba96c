//! The form builder and own services (`/verwaltung/formulare`).
//!
//! Tenant admins and form editors build a service's form as pages and fields, keyboard first:
//! every change is a button or a form (add, edit, move up and down, duplicate, delete), applied by
//! [`portal_forms::edit`] so that the draft always passes the loader's checks. The draft is kept
//! apart from the live form ([`portal_cases::builder`]); two editors saving over each other get
//! a conflict, not a silent overwrite. The preview renders the draft with the citizen's renderer
//! and shows the errors it would show. Publishing checks the form with what else depends on it (the
//! fee rule, the document's facts), shows the difference to the live version and records a new
//! version; any earlier version can be published again. A FIM schema (XDatenfelder 2 or 3) is
//! imported into the draft, its report kept next to the fields until they are fixed. Own services
//! are services of the tenant outside the base catalogue, offered and searched like catalogue ones.

use axum::Router;
use axum::routing::{get, post};
use portal_authz::{Action, Resource};
use portal_cases::builder::{self, BuilderError, ReportNote};
use portal_db::TenantTx;
use portal_domain::{Lang, Localized};
use portal_forms::edit::EditError;
use portal_forms::schema::{Field, FormSchema, Kind, Page, PrefillKey};
use portal_ui::i18n::{tr, tr_with};
use portal_web::{AppError, AppState};
use sqlx::Row;

use crate::kit::registry::{Capability, NavEntry};

mod builder_page;
mod checks;
mod demo;
mod editor;
mod import;
mod ops;
mod own;
mod page_editor;
pub mod paths;
mod preview;
mod publish;

pub const CAPABILITY: Capability = Capability {
    demo: Some(demo::demo),
    portal: Some(router),
    staff_nav: &[NavEntry {
        order: 27,
        path: paths::LIST.path(),
        label: "forms.nav",
        resource: Resource::Forms,
        action: Action::Read,
    }],
    texts: || {
        let kinds = KINDS.iter().map(|(_, k)| format!("forms.kind_{k}"));
        let prefill = PREFILL.iter().map(|(_, k)| format!("forms.prefill_{k}"));
        let changes = [
            "page_added",
            "page_removed",
            "page_changed",
            "field_added",
            "field_removed",
            "field_changed",
            "field_moved",
        ]
        .iter()
        .map(|c| format!("forms.change_{c}"));
        let ops = ["up", "down", "copy", "delete"].iter().map(|o| format!("forms.{o}"));
        let own = ["name", "summary", "description", "keywords", "fee_note"]
            .iter()
            .flat_map(|k| [format!("forms.own_{k}_de"), format!("forms.own_{k}_en")]);
        kinds.chain(prefill).chain(changes).chain(ops).chain(own).collect()
    },
    ..Capability::named("forms")
};

fn router() -> Router<AppState> {
    Router::new()
        .route(paths::LIST.pattern(), get(own::list))
        .route(paths::OWN_NEW.pattern(), get(own::new_page).post(own::create))
        .route(paths::OWN_EDIT.pattern(), get(own::edit_page).post(own::update))
        .route(paths::OWN_OFFER.pattern(), post(own::offer))
        .route(paths::BUILDER.pattern(), get(builder_page::page))
        .route(paths::CHANGE.pattern(), post(builder_page::change))
        .route(paths::ADD_PAGE.pattern(), post(builder_page::add_page))
        .route(paths::ADD_FIELD.pattern(), post(builder_page::add_field))
        // an XDatenfelder file of up to 8 MB (the importer's own limit) with the form's fields
        .route(
            paths::IMPORT.pattern(),
            post(import::import).layer(axum::extract::DefaultBodyLimit::max(9 * 1024 * 1024)),
        )
        .route(paths::DISCARD.pattern(), post(builder_page::discard))
        .route(paths::PAGE.pattern(), get(page_editor::page_form).post(page_editor::save_page))
        .route(paths::FIELD.pattern(), get(editor::field_form).post(editor::save_field))
        .route(paths::ADD_CHILD.pattern(), post(editor::add_child))
        .route(paths::CHILD.pattern(), get(editor::child_form).post(editor::save_child))
        .route(paths::PREVIEW.pattern(), get(preview::show).post(preview::check))
        .route(paths::PUBLISH.pattern(), get(publish::page).post(publish::publish))
        .route(paths::VERSIONS.pattern(), get(publish::versions))
        .route(paths::ROLL_BACK.pattern(), post(publish::roll_back))
}

/// The kinds of field with their names in the editor's forms and in texts.
pub const KINDS: [(Kind, &str); 15] = [
    (Kind::Text, "text"),
    (Kind::Textarea, "textarea"),
    (Kind::Number, "number"),
    (Kind::Date, "date"),
    (Kind::Email, "email"),
    (Kind::Phone, "phone"),
    (Kind::Iban, "iban"),
    (Kind::PostcodeTown, "postcode_town"),
    (Kind::Address, "address"),
    (Kind::Select, "select"),
    (Kind::Radio, "radio"),
    (Kind::Checkbox, "checkbox"),
    (Kind::YesNo, "yes_no"),
    (Kind::File, "file"),
    (Kind::Group, "group"),
];

pub(crate) const PREFILL: [(PrefillKey, &str); 9] = [
    (PrefillKey::GivenName, "given_name"),
    (PrefillKey::FamilyName, "family_name"),
    (PrefillKey::BirthDate, "birth_date"),
    (PrefillKey::Email, "email"),
    (PrefillKey::Phone, "phone"),
    (PrefillKey::Street, "street"),
    (PrefillKey::Postcode, "postcode"),
    (PrefillKey::Town, "town"),
    (PrefillKey::Address, "address"),
];

fn kind_name(k: Kind) -> &'static str {
    KINDS.iter().find(|(x, _)| *x == k).map_or("text", |(_, n)| n)
}

fn kind_label(lang: Lang, k: Kind) -> String {
    tr(lang, &format!("forms.kind_{}", kind_name(k)))
}

/// The form of a service as the builder works on it: the draft if there is one, else the live form
/// (or, for a service without one, a first page to start from).
pub(crate) struct Working {
    pub slug: String,
    pub name: String,
    pub own: bool,
    pub schema: FormSchema,
    /// The draft's revision (none: no draft yet, the first change makes one).
    pub revision: Option<i32>,
    pub draft_by: Option<String>,
    pub report: Vec<ReportNote>,
    /// The live form.
    pub live: Option<FormSchema>,
    /// The number of the latest published version (0: none).
    pub live_version: i32,
}

impl Working {
    /// What an editor's page posts back to say what it showed: the draft's revision, or (no draft)
    /// the live version, so that a change made on a stale page is refused either way.
    pub fn revision_value(&self) -> String {
        self.revision.map_or_else(|| format!("live-{}", self.live_version), |r| r.to_string())
    }

    /// Whether a post was made on a page that showed what is there now.
    pub fn fresh(&self, f: &crate::kit::form::Fields) -> bool {
        f.text("revision") == self.revision_value()
    }
}

/// A first page for a service without a form.
fn starter() -> FormSchema {
    let mut field = Field::new(
        "anliegen".into(),
        Kind::Textarea,
        Localized { de: "Ihr Anliegen".into(), en: "Your request".into() },
    );
    field.required = true;
    FormSchema {
        version: 1,
        guest: false,
        pages: vec![Page {
            id: "angaben".into(),
            title: Localized { de: "Angaben".into(), en: "Details".into() },
            help: None,
            show_if: None,
            fields: vec![field],
        }],
    }
}

/// The service's form as the builder works on it; 404 for a service the tenant neither offers nor
/// owns.
pub(crate) async fn working(tx: &mut TenantTx, slug: &str, lang: Lang) -> Result<Working, AppError> {
    let row = sqlx::query(
        "select e.own, coalesce(a.name_de, e.name_de) as name_de, coalesce(a.name_en, e.name_en) as name_en,
                coalesce(a.form_schema, e.form_schema) as live, a.service_slug is not null as active,
                (select coalesce(max(number), 0) from form_publication p where p.service_slug = e.service_slug) as live_version
           from service_entry e left join service_activation a using (service_slug) where e.service_slug = $1",
    )
    .bind(slug)
    .fetch_optional(tx.conn())
    .await?
    .ok_or_else(AppError::not_found)?;
    let (own, active): (bool, bool) = (row.get("own"), row.get("active"));
    if !own && !active {
        return Err(AppError::not_found());
    }
    let live: Option<FormSchema> =
        row.get::<Option<serde_json::Value>, _>("live").and_then(|v| serde_json::from_value(v).ok());
    let name = lang.pick(row.get("name_de"), row.get("name_en"));
    let live_version: i32 = row.get("live_version");
    let draft = builder::draft(tx, slug).await?;
    Ok(match draft {
        Some(d) => Working {
            slug: slug.to_owned(),
            name,
            own,
            schema: d.schema,
            revision: Some(d.revision),
            draft_by: Some(d.updated_by),
            report: d.report,
            live,
            live_version,
        },
        None => Working {
            slug: slug.to_owned(),
            name,
            own,
            schema: live.clone().unwrap_or_else(starter),
            revision: None,
            draft_by: None,
            report: vec![],
            live,
            live_version,
        },
    })
}

/// The service's form as the builder works on it, for staff allowed `action` on forms (one short
/// transaction).
pub(crate) async fn load(
    state: &AppState,
    ctx: &portal_web::TenantContext,
    s: &crate::kit::session::Staff,
    slug: &str,
    lang: Lang,
    action: Action,
) -> Result<Working, AppError> {
    s.require(state, Resource::Forms, action)?;
    let mut tx = crate::kit::pipeline::tenant_tx(state, ctx.entry.tenant_id).await?;
    let w = working(&mut tx, slug, lang).await?;
    tx.finish().await?;
    Ok(w)
}

/// The posted fields (trimmed, without the CSRF token) as a form shown again with its errors;
/// checkbox groups (`multi`) as one comma-separated value.
pub(crate) fn posted_state(f: &crate::kit::form::Fields, multi: &[&str]) -> portal_ui::form::FormState {
    let mut form = portal_ui::form::FormState::default();
    for (k, v) in &f.0 {
        if k != "_csrf" && !multi.contains(&k.as_str()) {
            form.values.insert(k.clone(), v.trim().to_owned());
        }
    }
    for m in multi {
        form.values.insert((*m).to_owned(), f.all(m).join(","));
    }
    form
}

/// A German and an English text from a form: the German one required when `required`, each at
/// most `max` characters (the error next to the input that has it). An English text left empty
/// takes the German one and is listed as a missing translation, never stored empty.
pub(crate) fn read_texts(
    lang: Lang,
    f: &crate::kit::form::Fields,
    de: &str,
    en: &str,
    form: &mut portal_ui::form::FormState,
    max: usize,
    required: bool,
) -> Option<Localized> {
    let (d, e) = (f.text(de), f.text(en));
    form.values.insert(de.to_owned(), d.clone());
    form.values.insert(en.to_owned(), e.clone());
    let mut ok = true;
    if required && d.is_empty() {
        form.errors.insert(de.to_owned(), tr(lang, "forms.error_text_required"));
        ok = false;
    }
    for (name, v) in [(de, &d), (en, &e)] {
        if v.chars().count() > max {
            form.errors.insert(name.to_owned(), tr_with(lang, "forms.error_too_long", &[("max", &max.to_string())]));
            ok = false;
        }
    }
    let e = if e.is_empty() { d.clone() } else { e };
    ok.then_some(Localized { de: d, en: e })
}

/// The required texts of a page or field (labels, titles, help, messages: at most 500 characters).
pub(crate) fn texts(
    lang: Lang,
    f: &crate::kit::form::Fields,
    de: &str,
    en: &str,
    form: &mut portal_ui::form::FormState,
) -> Option<Localized> {
    read_texts(lang, f, de, en, form, 500, true)
}

/// The revision an editor's page showed (`revision` of the form; empty: no draft then).
pub(crate) fn seen_revision(f: &crate::kit::form::Fields) -> Option<i32> {
    f.text("revision").parse().ok()
}

/// What an editor reads when a change was refused.
pub(crate) fn edit_error_text(lang: Lang, e: &EditError) -> String {
    match e {
        EditError::NotFound => tr(lang, "forms.error_not_found"),
        EditError::Edge => tr(lang, "forms.error_edge"),
        EditError::LastPage => tr(lang, "forms.error_last_page"),
        EditError::Invalid(detail) => tr_with(lang, "forms.error_invalid", &[("detail", detail)]),
    }
}

/// What an editor reads when a save was refused: someone else's newer revision, or the loader's
/// check.
pub(crate) fn save_error_text(lang: Lang, e: &BuilderError) -> Option<String> {
    match e {
        BuilderError::Conflict { revision, by } => {
            Some(tr_with(lang, "forms.error_conflict", &[("revision", &revision.to_string()), ("by", by)]))
        }
        BuilderError::Invalid(detail) => Some(tr_with(lang, "forms.error_invalid", &[("detail", &detail.to_string())])),
        BuilderError::NoDraft => Some(tr(lang, "forms.error_no_draft")),
        BuilderError::NotActive => Some(tr(lang, "forms.error_not_active")),
        _ => None,
    }
}

/// Saves a changed schema as the draft (with the report less the notes of `fixed` fields).
pub(crate) async fn save(
    tx: &mut TenantTx,
    w: &Working,
    schema: &FormSchema,
    fixed: &[&str],
    seen: Option<i32>,
    by: &str,
) -> Result<i32, BuilderError> {
    let report: Vec<ReportNote> =
        w.report.iter().filter(|n| n.field.as_deref().is_none_or(|f| !fixed.contains(&f))).cloned().collect();
    builder::save_draft(tx, &w.slug, schema, &report, seen, by).await
}
