//! Adding to a form: a new field or page with a fresh id, and discarding the draft.

use super::*;

/// The ids of every field of the form, a group's fields included.
pub(super) fn all_ids(schema: &portal_forms::FormSchema) -> HashSet<String> {
    schema.fields().flat_map(|x| std::iter::once(x.id.clone()).chain(x.fields.iter().map(|c| c.id.clone()))).collect()
}

/// A new field's id from its label, unique in the form.
pub(crate) fn new_id(label: &str, taken: &HashSet<String>) -> String {
    portal_fim::map::slug(label, "feld", &mut portal_fim::map::Ids::from(taken.clone()))
}

pub(crate) async fn add_field(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    ip: ClientIp,
    Params((slug, page)): Params<(ServiceSlug, usize)>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Forms, Action::Write)?;
    let mut form = FormState::default();
    let kind = kind_of(&f.text(&format!("kind-{page}")));
    form.values.insert(format!("kind-{page}"), f.text(&format!("kind-{page}")));
    let label = texts(lang, &f, &format!("label_de-{page}"), &format!("label_en-{page}"), &mut form);
    let (Some(kind), Some(label)) = (kind, label) else {
        if kind.is_none() {
            form.errors.insert(format!("kind-{page}"), tr(lang, "forms.error_kind"));
        }
        return again(
            &state,
            &ctx,
            lang,
            &s,
            &slug,
            None,
            Some(Failed { which: format!("field-{page}"), form }),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let mut at = 0;
    let done = commit(&state, &ctx, lang, &s, &ip, &slug, &f, |w| {
        let taken = all_ids(&w.schema);
        let field = super::super::ops::starter_field(new_id(&label.de, &taken), kind, label.clone());
        let id = field.id.clone();
        let schema = edit::apply(&w.schema, &Op::AddField { page, at: None, field })
            .map_err(|e| super::super::edit_error_text(lang, &e))?;
        at = schema.pages.get(page).map_or(0, |p| p.fields.len().saturating_sub(1));
        Ok((schema, vec![], serde_json::json!({ "op": "field_add", "page": page, "id": id })))
    })
    .await?;
    match done {
        // on to the new field's settings
        Ok(slug) => Ok(Notice::Saved.redirect(&paths::FIELD.with(&[&slug, &page, &at]))),
        Err((message, status)) => {
            again(
                &state,
                &ctx,
                lang,
                &s,
                &slug,
                Some(Block::Notice("danger", message)),
                Some(Failed { which: format!("field-{page}"), form }),
                status,
            )
            .await
        }
    }
}

pub(crate) async fn add_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    ip: ClientIp,
    Params(slug): Params<ServiceSlug>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Forms, Action::Write)?;
    let mut form = FormState::default();
    form.values.insert("first_kind".into(), f.text("first_kind"));
    let title = texts(lang, &f, "title_de", "title_en", &mut form);
    let first = texts(lang, &f, "first_de", "first_en", &mut form);
    let kind = kind_of(&f.text("first_kind"));
    if kind.is_none() {
        form.errors.insert("first_kind".into(), tr(lang, "forms.error_kind"));
    }
    let (Some(title), Some(first), Some(kind)) = (title, first, kind) else {
        return again(
            &state,
            &ctx,
            lang,
            &s,
            &slug,
            None,
            Some(Failed { which: "page".into(), form }),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let done = commit(&state, &ctx, lang, &s, &ip, &slug, &f, |w| {
        let taken = all_ids(&w.schema);
        let page_ids: HashSet<String> = w.schema.pages.iter().map(|p| p.id.clone()).collect();
        let field = super::super::ops::starter_field(new_id(&first.de, &taken), kind, first.clone());
        let id = new_id(&title.de, &page_ids);
        let after = w.schema.pages.len().checked_sub(1);
        let schema = edit::apply(&w.schema, &Op::AddPage { after, id: id.clone(), title: title.clone(), first: field })
            .map_err(|e| super::super::edit_error_text(lang, &e))?;
        Ok((schema, vec![], serde_json::json!({ "op": "page_add", "id": id })))
    })
    .await?;
    match done {
        Ok(slug) => Ok(Notice::Saved.redirect(&paths::BUILDER.with(&[&slug]))),
        Err((message, status)) => {
            again(
                &state,
                &ctx,
                lang,
                &s,
                &slug,
                Some(Block::Notice("danger", message)),
                Some(Failed { which: "page".into(), form }),
                status,
            )
            .await
        }
    }
}

/// Drops the draft: the live form stays as it is.
pub(crate) async fn discard(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    ip: ClientIp,
    Params(slug): Params<ServiceSlug>,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Forms, Action::Write)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let w = working(&mut tx, &slug, Lang::De).await?;
    if !w.fresh(&f) {
        drop(tx);
        let message = tr_with(
            lang,
            "forms.error_conflict",
            &[("revision", &w.revision_value()), ("by", &w.draft_by.clone().unwrap_or_default())],
        );
        return again(
            &state,
            &ctx,
            lang,
            &s,
            &slug,
            Some(Block::Notice("danger", message)),
            None,
            StatusCode::CONFLICT,
        )
        .await;
    }
    if w.revision.is_some() {
        portal_cases::builder::discard_draft(&mut tx, &slug).await?;
        audit(&mut tx, &s, &ip, "form.discard", slug.to_string(), serde_json::json!({ "revision": w.revision }))
            .await?;
    }
    tx.finish().await?;
    Ok(Notice::Discarded.redirect(&paths::BUILDER.with(&[&slug])))
}
