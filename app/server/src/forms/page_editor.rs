//! The settings of a page of the form: its titles, help and show-if condition.

use crate::kit::checked::Checked;
use crate::kit::page::Language;
use crate::kit::params::Params;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use portal_authz::{Action, Resource};
use portal_domain::Lang;
use portal_domain::ServiceSlug;
use portal_forms::edit::{self, Op};
use portal_forms::schema::Kind;
use portal_ui::blocks::{Block, Field as FormField, FieldKind, FormSpec};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext};

use super::builder_page::commit;
use super::editor::{condition_inputs, condition_values, read_condition};
use super::paths;
use super::texts;
use crate::kit::notice::Notice;
use crate::kit::office::staff_page;
use crate::kit::session::Staff;

#[expect(
    clippy::too_many_arguments,
    reason = "an editor page: frame, staff, service, page, the failed form, a notice and its status"
)]
async fn page_editor(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    s: &Staff,
    slug: &str,
    page: usize,
    failed: Option<FormState>,
    notice: Option<Block>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let w = super::load(state, ctx, s, slug, lang, Action::Read).await?;
    let p = w.schema.pages.get(page).ok_or_else(AppError::not_found)?;
    let mut form = failed.unwrap_or_else(|| {
        let mut form = FormState::default();
        form.values.insert("title_de".into(), p.title.de.clone());
        form.values.insert("title_en".into(), p.title.en.clone());
        form.values.insert("help_de".into(), p.help.as_ref().map(|h| h.de.clone()).unwrap_or_default());
        form.values.insert("help_en".into(), p.help.as_ref().map(|h| h.en.clone()).unwrap_or_default());
        condition_values(&mut form, p.show_if.as_ref());
        form
    });
    form.values.insert("revision".into(), w.revision_value());
    // a page's condition names a field of an earlier page
    let earlier: Vec<(String, String)> = w
        .schema
        .pages
        .iter()
        .take(page)
        .flat_map(|p| p.fields.iter())
        .filter(|f| !matches!(f.kind, Kind::Group | Kind::File))
        .map(|f| (f.id.clone(), f.label.de.clone()))
        .collect();
    let mut fields = vec![
        FormField::new("revision", String::new(), FieldKind::Hidden),
        FormField::new("title_de", tr(lang, "forms.page_title_de"), FieldKind::Text).required(),
        FormField::new("title_en", tr(lang, "forms.page_title_en"), FieldKind::Text)
            .hint(tr(lang, "forms.label_en_hint")),
        FormField::new("help_de", tr(lang, "forms.help_de"), FieldKind::Text),
        FormField::new("help_en", tr(lang, "forms.help_en"), FieldKind::Text),
    ];
    fields.extend(condition_inputs(lang, earlier));
    let mut blocks: Vec<Block> = notice.into_iter().collect();
    blocks.push(Block::Links(vec![(paths::BUILDER.with(&[&w.slug]), tr(lang, "forms.back_to_builder"))]));
    blocks.push(Block::Form(FormSpec {
        action: paths::PAGE.with(&[&w.slug, &page]),
        csrf: s.csrf.clone(),
        form,
        fields,
        submit: tr(lang, "forms.save_page"),
        danger: false,
        secondary: None,
    }));
    let title = tr_with(lang, "forms.page_title", &[("name", p.title.get(lang))]);
    staff_page(state, ctx, lang, &paths::PAGE.with(&[&w.slug, &page]), Some(s), status, title, blocks).await
}

pub(super) async fn page_form(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Params((slug, page)): Params<(ServiceSlug, usize)>,
) -> Result<Response, AppError> {
    page_editor(&state, &ctx, lang, &s, &slug, page, None, None, StatusCode::OK).await
}

pub(super) async fn save_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    ip: ClientIp,
    Params((slug, page)): Params<(ServiceSlug, usize)>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Forms, Action::Write)?;
    let mut form = super::posted_state(&f, &[]);
    let title = texts(lang, &f, "title_de", "title_en", &mut form);
    let help = if f.text("help_de").is_empty() {
        Some(None)
    } else {
        texts(lang, &f, "help_de", "help_en", &mut form).map(Some)
    };
    let show_if = read_condition(lang, &f, &mut form);
    let (Some(title), Some(help), Some(show_if)) = (title, help, show_if) else {
        return page_editor(&state, &ctx, lang, &s, &slug, page, Some(form), None, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    };
    let done = commit(&state, &ctx, lang, &s, &ip, &slug, &f, |w| {
        let schema = edit::apply(
            &w.schema,
            &Op::EditPage { page, title: title.clone(), help: help.clone(), show_if: show_if.clone() },
        )
        .map_err(|e| super::edit_error_text(lang, &e))?;
        Ok((schema, vec![], serde_json::json!({ "op": "page_edit", "page": page })))
    })
    .await?;
    match done {
        Ok(slug) => Ok(Notice::Saved.redirect(&paths::BUILDER.with(&[&slug]))),
        Err((message, status)) => {
            page_editor(&state, &ctx, lang, &s, &slug, page, Some(form), Some(Block::Notice("danger", message)), status)
                .await
        }
    }
}
