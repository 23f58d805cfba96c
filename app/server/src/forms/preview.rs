//! The preview: a page of the draft rendered by the citizen's renderer (the same island, the same
//! conditions), and, when "check" is pressed, with the errors a citizen would see for what was
//! entered. Nothing entered here is kept.

use crate::kit::checked::Checked;
use crate::kit::page::Language;
use crate::kit::params::Params;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use portal_authz::Action;
use portal_domain::Lang;
use portal_domain::ServiceSlug;
use portal_forms::answers::{dom_id, merge_page};
use portal_forms::schema::Kind;
use portal_forms::validate::check_page;
use portal_forms::{Answers, Issue, Value};
use portal_ui::blocks::{AppFormSpec, Block};
use portal_ui::form_fields::FormFieldsData;
use portal_ui::i18n::{tr, tr_with};
use portal_web::{AppError, AppState, TenantContext};

use super::paths;
use crate::kit::dates::today;
use crate::kit::form::Fields;
use crate::kit::office::staff_page;
use crate::kit::session::Staff;

#[expect(
    clippy::too_many_arguments,
    reason = "the preview: frame, staff, service, page, answers and the problems found"
)]
async fn render(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    s: &Staff,
    slug: &str,
    page_id: &str,
    answers: Answers,
    issues: Option<Vec<Issue>>,
) -> Result<Response, AppError> {
    let w = super::load(state, ctx, s, slug, lang, Action::Read).await?;
    let (index, page) = w.schema.page(page_id).ok_or_else(AppError::not_found)?;
    let mut shown = answers;
    for f in page.fields.iter().filter(|f| f.kind == Kind::Group) {
        let min = f.min_items.unwrap_or(u32::from(f.required)).max(1) as usize;
        if let Value::Items(items) = shown.entry(f.id.clone()).or_insert_with(|| Value::Items(vec![])) {
            while items.len() < min {
                items.push(Answers::new());
            }
        }
    }
    let mut blocks = vec![Block::Notice("info", tr(lang, "forms.preview_intro"))];
    let mut links: Vec<(String, String)> = w
        .schema
        .pages
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != index)
        .map(|(i, p)| {
            (
                paths::PREVIEW.with(&[&w.slug, &p.id]),
                tr_with(lang, "forms.preview_other", &[("n", &(i + 1).to_string()), ("title", p.title.get(lang))]),
            )
        })
        .collect();
    links.push((paths::BUILDER.with(&[&w.slug]), tr(lang, "forms.back_to_builder")));
    blocks.push(Block::Links(links));
    match &issues {
        Some(list) if list.is_empty() => blocks.push(Block::Notice("success", tr(lang, "forms.preview_ok"))),
        _ => {}
    }
    let issues = issues.unwrap_or_default();
    let status = if issues.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let step = tr_with(
        lang,
        "cases.step",
        &[("n", &(index + 1).to_string()), ("total", &w.schema.pages.len().to_string()), ("service", &w.name)],
    );
    blocks.push(Block::AppForm(Box::new(AppFormSpec {
        action: paths::PREVIEW.with(&[&w.slug, &page.id]),
        csrf: s.csrf.clone(),
        step,
        page_help: page.help.as_ref().map(|h| h.get(lang).to_owned()),
        summary: issues.iter().map(|i| (dom_id(&i.name), i.message(lang))).collect(),
        fields: FormFieldsData {
            page: page.clone(),
            answers: shown,
            issues,
            lang,
            today: today(state.db.clock()),
            prefilled: vec![],
            verified: vec![],
            verified_by: None,
        },
        buttons: vec![("pruefen".into(), tr(lang, "forms.preview_check"), true)],
        back: None,
    })));
    let title = tr_with(lang, "forms.preview_title", &[("name", &w.name), ("page", page.title.get(lang))]);
    staff_page(state, ctx, lang, &paths::PREVIEW.with(&[&w.slug, &page.id]), Some(s), status, title, blocks).await
}

pub(super) async fn show(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Params((slug, page)): Params<(ServiceSlug, String)>,
) -> Result<Response, AppError> {
    render(&state, &ctx, lang, &s, &slug, &page, Answers::new(), None).await
}

/// Checks what was entered as the citizen's form would (files are not taken: a required file field
/// shows its error).
pub(super) async fn check(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    Params((slug, page_id)): Params<(ServiceSlug, String)>,
    Checked(s, f): Checked<Staff, crate::kit::uploads::Posted>,
) -> Result<Response, AppError> {
    let w = super::load(&state, &ctx, &s, &slug, lang, Action::Read).await?;
    let (_, page) = w.schema.page(&page_id).ok_or_else(AppError::not_found)?;
    let mut answers = Answers::new();
    let fields: &Fields = &f;
    merge_page(page, &fields.0, &mut answers);
    let issues = check_page(page, &mut answers, today(state.db.clock()));
    render(&state, &ctx, lang, &s, &slug, &page_id, answers, Some(issues)).await
}
