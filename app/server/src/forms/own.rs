//! The list of the tenant's forms, and its own services: created, changed, offered on the portal
//! and withdrawn like catalogue services, each with a form built in the builder.

use crate::kit::checked::Checked;
use crate::kit::page::Language;
use crate::kit::params::Params;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use portal_authz::{Action, Resource};
use portal_catalogue::own::{self, OwnServiceInput};
use portal_domain::ServiceSlug;
use portal_domain::{Cents, Lang, Localized};
use portal_ui::blocks::{Block, Button, Cell, Field as FormField, FieldKind, FormSpec};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext};
use serde::Deserialize;
use sqlx::Row;
use uuid::Uuid;

use super::paths;
use crate::kit::form::Fields;
use crate::kit::notice::Notice;
use crate::kit::office::{audit, staff_page};
use crate::kit::pipeline::tenant_tx;
use crate::kit::session::Staff;

#[derive(Deserialize)]
pub(super) struct Q {
    hinweis: Option<String>,
}

pub(super) async fn list(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Query(q): Query<Q>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Forms, Action::Read)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let rows = sqlx::query(
        "select a.service_slug, coalesce(a.name_de, e.name_de) as name_de, coalesce(a.name_en, e.name_en) as name_en, e.own,
                coalesce(a.form_schema, e.form_schema) is not null as has_form, a.form_schema is not null or e.own as tenant_form,
                d.revision, d.updated_by, (select max(number) from form_publication p where p.service_slug = a.service_slug) as version
           from service_activation a join service_entry e using (service_slug) left join form_draft d using (tenant_id, service_slug)
          order by 2",
    )
    .fetch_all(tx.conn())
    .await?;
    let owned = own::list(&mut tx).await?;
    let categories = portal_catalogue::repo::categories(tx.conn()).await?;
    tx.finish().await?;
    let write = s.may(&state, Resource::Forms, Action::Write);
    let mut blocks: Vec<Block> = Notice::parse(q.hinweis.as_deref())
        .and_then(|n| match n {
            Notice::Saved => Some(Block::Notice("success", tr(lang, "forms.notice_own_saved"))),
            Notice::Activated => Some(Block::Notice("success", tr(lang, "forms.notice_offered"))),
            Notice::Deleted => Some(Block::Notice("success", tr(lang, "forms.notice_withdrawn"))),
            _ => None,
        })
        .into_iter()
        .collect();
    blocks.push(Block::Text(tr(lang, "forms.list_intro")));
    let table = rows
        .iter()
        .map(|r| {
            let slug: String = r.get("service_slug");
            let name: String = lang.pick(r.get("name_de"), r.get("name_en"));
            let form = match (
                r.get::<bool, _>("has_form"),
                r.get::<bool, _>("tenant_form"),
                r.get::<Option<i32>, _>("version"),
            ) {
                (false, _, _) => tr(lang, "forms.state_no_form"),
                (true, true, Some(v)) => tr_with(lang, "forms.state_version", &[("n", &v.to_string())]),
                (true, true, None) => tr(lang, "forms.state_own_form"),
                (true, false, _) => tr(lang, "forms.state_catalogue"),
            };
            let draft = match (r.get::<Option<i32>, _>("revision"), r.get::<Option<String>, _>("updated_by")) {
                (Some(rev), Some(by)) => Cell::Badge(
                    "warning",
                    tr_with(lang, "forms.state_draft", &[("revision", &rev.to_string()), ("by", &by)]),
                ),
                _ => Cell::Text(String::new()),
            };
            vec![Cell::Link(paths::BUILDER.with(&[&slug]), name), Cell::Text(form), draft]
        })
        .collect();
    blocks.push(Block::Table {
        caption: tr(lang, "forms.list_caption"),
        headers: vec![tr(lang, "forms.col_service"), tr(lang, "forms.col_form"), tr(lang, "forms.col_draft")],
        rows: table,
        empty: tr(lang, "forms.list_empty"),
    });
    blocks.push(Block::Heading(tr(lang, "forms.own_heading")));
    blocks.push(Block::Text(tr(lang, "forms.own_intro")));
    let own_rows = owned
        .iter()
        .map(|o| {
            let name = o.input.name.get(lang).to_owned();
            let category = categories
                .iter()
                .find(|c| c.category_slug == o.input.category)
                .map(|c| c.name(lang).to_owned())
                .unwrap_or_default();
            let mut row = vec![
                Cell::Link(paths::OWN_EDIT.with(&[&o.slug]), name.clone()),
                Cell::Text(category),
                if o.offered {
                    Cell::Badge("success", tr(lang, "forms.offered"))
                } else {
                    Cell::Badge("info", tr(lang, "forms.not_offered"))
                },
                Cell::Link(
                    paths::BUILDER.with(&[&o.slug]),
                    tr_with(lang, if o.has_form { "forms.edit_form" } else { "forms.build_form" }, &[("name", &name)]),
                ),
            ];
            if write {
                row.push(Cell::Buttons(vec![Button {
                    action: paths::OWN_OFFER.with(&[&o.slug]),
                    csrf: s.csrf.clone(),
                    hidden: vec![("offered".into(), if o.offered { "off".into() } else { "on".into() })],
                    label: tr_with(lang, if o.offered { "forms.withdraw" } else { "forms.offer" }, &[("name", &name)]),
                    danger: o.offered,
                }]));
            }
            row
        })
        .collect();
    let mut headers = vec![
        tr(lang, "forms.col_service"),
        tr(lang, "forms.col_category"),
        tr(lang, "forms.col_state"),
        tr(lang, "forms.col_form"),
    ];
    if write {
        headers.push(tr(lang, "forms.col_actions"));
    }
    blocks.push(Block::Table {
        caption: tr(lang, "forms.own_heading"),
        headers,
        rows: own_rows,
        empty: tr(lang, "forms.own_empty"),
    });
    if write {
        blocks.push(Block::Links(vec![(paths::OWN_NEW.path().to_owned(), tr(lang, "forms.own_new"))]));
    }
    staff_page(&state, &ctx, lang, paths::LIST.path(), Some(&s), StatusCode::OK, tr(lang, "forms.list_title"), blocks)
        .await
}

const TEXTS: [(&str, usize, bool); 6] = [
    ("name", 200, true),
    ("summary", 1000, true),
    ("description", 20000, false),
    ("keywords", 1000, false),
    ("fee_note", 1000, false),
    ("office", 300, false),
];

fn values_of(i: &OwnServiceInput) -> FormState {
    let mut form = FormState::default();
    for (k, t) in [
        ("name", &i.name),
        ("summary", &i.summary),
        ("description", &i.description),
        ("keywords", &i.keywords),
        ("fee_note", &i.fee_note),
    ] {
        form.values.insert(format!("{k}_de"), t.de.clone());
        form.values.insert(format!("{k}_en"), t.en.clone());
    }
    form.values.insert("category".into(), i.category.clone());
    form.values.insert("fee".into(), i.fee.map(|c| portal_domain::decimal_de(c.get())).unwrap_or_default());
    form.values.insert("office".into(), i.office.clone().unwrap_or_default());
    if i.appointment_required {
        form.values.insert("appointment_required".into(), "on".into());
    }
    if i.fully_online {
        form.values.insert("fully_online".into(), "on".into());
    }
    form
}

/// Reads the form; errors next to the fields. An English text left empty takes the German one.
fn read(lang: Lang, f: &Fields, categories: &[String]) -> Result<OwnServiceInput, FormState> {
    let mut form = super::posted_state(f, &[]);
    let mut text = |key: &str, max: usize, required: bool| -> Localized {
        super::read_texts(lang, f, &format!("{key}_de"), &format!("{key}_en"), &mut form, max, required)
            .unwrap_or_else(|| Localized { de: String::new(), en: String::new() })
    };
    let name = text("name", 200, true);
    let summary = text("summary", 1000, true);
    let description = text("description", 20000, false);
    let keywords = text("keywords", 1000, false);
    let fee_note = text("fee_note", 1000, false);
    let category = f.text("category");
    if !categories.contains(&category) {
        form.errors.insert("category".into(), tr(lang, "forms.error_category"));
    }
    let fee = match f.text("fee") {
        v if v.is_empty() => None,
        v => match Cents::parse_euro(&v) {
            Ok(c) => Some(c),
            Err(_) => {
                form.errors.insert("fee".into(), tr(lang, "forms.error_fee"));
                None
            }
        },
    };
    let office = Some(f.text("office")).filter(|o| !o.is_empty());
    if office.as_ref().is_some_and(|o| o.chars().count() > 300) {
        form.errors.insert("office".into(), tr_with(lang, "forms.error_too_long", &[("max", "300")]));
    }
    if form.has_errors() {
        return Err(form);
    }
    Ok(OwnServiceInput {
        category,
        name,
        summary,
        description,
        keywords,
        fee,
        fee_note,
        appointment_required: f.text("appointment_required") == "on",
        fully_online: f.text("fully_online") == "on",
        office,
    })
}

async fn editor(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    s: &Staff,
    slug: Option<&str>,
    form: Option<FormState>,
    status: StatusCode,
) -> Result<Response, AppError> {
    s.require(state, Resource::Forms, Action::Write)?;
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let existing = match slug {
        Some(slug) => Some(own::get(&mut tx, slug).await?.ok_or_else(AppError::not_found)?),
        None => None,
    };
    let categories = portal_catalogue::repo::categories(tx.conn()).await?;
    tx.finish().await?;
    let mut form = form.unwrap_or_else(|| {
        existing.as_ref().map(|o| values_of(&o.input)).unwrap_or_else(|| {
            let mut f = FormState::default();
            f.values.insert("fully_online".into(), "on".into());
            f
        })
    });
    let mut fields = Vec::new();
    if existing.is_none() {
        // the new service's one-time key: kept through a failed check, so that however often the
        // form is posted it makes one service
        if form.values.get("key").is_none_or(|k| Uuid::parse_str(k).is_err()) {
            form.values.insert("key".into(), Uuid::new_v4().to_string());
        }
        fields.push(FormField::new("key", String::new(), FieldKind::Hidden));
    }
    for (key, _, required) in TEXTS {
        if key == "office" {
            continue;
        }
        let kind = if key == "description" { FieldKind::TextArea } else { FieldKind::Text };
        let de = FormField::new(&format!("{key}_de"), tr(lang, &format!("forms.own_{key}_de")), kind.clone());
        fields.push(if required { de.required() } else { de });
        fields.push(
            FormField::new(&format!("{key}_en"), tr(lang, &format!("forms.own_{key}_en")), kind)
                .hint(tr(lang, "forms.label_en_hint")),
        );
        if key == "summary" {
            fields.push(
                FormField::new(
                    "category",
                    tr(lang, "forms.own_category"),
                    FieldKind::Select(
                        categories.iter().map(|c| (c.category_slug.clone(), c.name(lang).to_owned())).collect(),
                    ),
                )
                .required(),
            );
        }
        if key == "keywords" {
            fields.push(
                FormField::new("fee", tr(lang, "forms.own_fee"), FieldKind::Text).hint(tr(lang, "forms.own_fee_hint")),
            );
        }
    }
    fields.push(FormField::new("office", tr(lang, "forms.own_office"), FieldKind::Text));
    fields.push(FormField::new("appointment_required", tr(lang, "forms.own_appointment"), FieldKind::Checkbox));
    fields.push(FormField::new("fully_online", tr(lang, "forms.own_online"), FieldKind::Checkbox));
    let (action, title) = match &existing {
        Some(o) => (
            paths::OWN_EDIT.with(&[&o.slug]),
            tr_with(lang, "forms.own_edit_title", &[("name", o.input.name.get(lang))]),
        ),
        None => (paths::OWN_NEW.path().to_owned(), tr(lang, "forms.own_new")),
    };
    let mut blocks = vec![Block::Links(vec![(paths::LIST.path().to_owned(), tr(lang, "forms.back_to_list"))])];
    if let Some(o) = &existing {
        blocks.push(Block::Links(vec![(
            paths::BUILDER.with(&[&o.slug]),
            tr_with(
                lang,
                if o.has_form { "forms.edit_form" } else { "forms.build_form" },
                &[("name", o.input.name.get(lang))],
            ),
        )]));
    }
    blocks.push(Block::Form(FormSpec {
        action: action.clone(),
        csrf: s.csrf.clone(),
        form,
        fields,
        submit: tr(lang, "forms.own_save"),
        danger: false,
        secondary: None,
    }));
    staff_page(state, ctx, lang, &action, Some(s), status, title, blocks).await
}

pub(super) async fn new_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
) -> Result<Response, AppError> {
    editor(&state, &ctx, lang, &s, None, None, StatusCode::OK).await
}

pub(super) async fn edit_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Params(slug): Params<ServiceSlug>,
) -> Result<Response, AppError> {
    editor(&state, &ctx, lang, &s, Some(&slug), None, StatusCode::OK).await
}

async fn category_slugs(state: &AppState, ctx: &TenantContext) -> Result<Vec<String>, AppError> {
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let list = portal_catalogue::repo::categories(tx.conn()).await?;
    tx.finish().await?;
    Ok(list.into_iter().map(|c| c.category_slug).collect())
}

/// Creates an own service and goes on to its form.
pub(super) async fn create(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    ip: ClientIp,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Forms, Action::Write)?;
    // a form of this server always carries its key; a post without one was not made by it
    let key = Uuid::parse_str(&f.text("key")).map_err(|_| AppError::bad_request())?;
    let input = match read(lang, &f, &category_slugs(&state, &ctx).await?) {
        Ok(i) => i,
        Err(mut form) => {
            form.values.insert("key".into(), key.to_string());
            return editor(&state, &ctx, lang, &s, None, Some(form), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let (slug, new) = own::create(&mut tx, &input, &s.user.display_name, key).await?;
    if new {
        audit(&mut tx, &s, &ip, "own_service.create", slug.clone(), serde_json::json!({ "name": input.name.de, "category": input.category, "fee_cents": input.fee.map(Cents::get) })).await?;
    }
    tx.finish().await?;
    // this server shows it on the next request; the others when the notification arrives
    state.content.invalidate(ctx.entry.tenant_id);
    Ok(Notice::Saved.redirect(&paths::BUILDER.with(&[&slug])))
}

pub(super) async fn update(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    ip: ClientIp,
    Params(slug): Params<ServiceSlug>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Forms, Action::Write)?;
    let input = match read(lang, &f, &category_slugs(&state, &ctx).await?) {
        Ok(i) => i,
        Err(form) => {
            return editor(&state, &ctx, lang, &s, Some(&slug), Some(form), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    if !own::update(&mut tx, &slug, &input).await? {
        return Err(AppError::not_found());
    }
    audit(&mut tx, &s, &ip, "own_service.update", slug.to_string(), serde_json::json!({ "name": input.name.de, "category": input.category, "fee_cents": input.fee.map(Cents::get) })).await?;
    tx.finish().await?;
    // this server shows it on the next request; the others when the notification arrives
    state.content.invalidate(ctx.entry.tenant_id);
    Ok(Notice::Saved.redirect(paths::LIST.path()))
}

/// Offers an own service on the portal or withdraws it.
pub(super) async fn offer(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Params(slug): Params<ServiceSlug>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Forms, Action::Write)?;
    let offered = f.text("offered") == "on";
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    own::get(&mut tx, &slug).await?.ok_or_else(AppError::not_found)?;
    if own::set_offered(&mut tx, &slug, offered).await? {
        audit(&mut tx, &s, &ip, "own_service.offer", slug.to_string(), serde_json::json!({ "offered": offered }))
            .await?;
    }
    tx.finish().await?;
    // this server shows it on the next request; the others when the notification arrives
    state.content.invalidate(ctx.entry.tenant_id);
    Ok((if offered { Notice::Activated } else { Notice::Deleted }).redirect(paths::LIST.path()))
}
