//! Entering an application that came on paper.

use super::*;
use crate::kit::office::ObjectPage;
use crate::kit::page::Language;

pub(crate) async fn paper_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Kita, Action::Process)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let settings = settings_of(&mut tx).await?;
    tx.finish().await?;
    paper_with(ObjectPage::new(&state, &ctx, lang, &s, ()), super::super::form::new_state(&settings)).await
}

pub(super) async fn paper_with(p: ObjectPage<'_, (), FormState>, fs: FormState) -> Result<Response, AppError> {
    let ObjectPage { state, ctx, lang, staff: s, status, .. } = p;
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let settings = settings_of(&mut tx).await?;
    let facilities = repo::facilities(&mut tx, &Scope::All, true).await?;
    let districts = repo::districts(&mut tx).await?;
    tx.finish().await?;
    let blocks = vec![
        Block::Text(tr(lang, "kita.paper_intro")),
        Block::Form(FormSpec {
            action: paths::PAPER.path().into(),
            csrf: s.csrf.clone(),
            form: fs,
            fields: super::super::form::fields(lang, &settings, &facilities, &districts),
            submit: tr(lang, "kita.paper_submit"),
            danger: false,
            secondary: Some((paths::APPLICATIONS.path().into(), tr(lang, "kita.nav_applications"))),
        }),
    ];
    staff_page(state, ctx, lang, paths::PAPER.path(), Some(s), status, tr(lang, "kita.paper_title"), blocks).await
}

pub(crate) async fn paper(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    headers: HeaderMap,
    Language(lang): Language,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Kita, Action::Process)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let settings = settings_of(&mut tx).await?;
    let scope = scope_of(&mut tx, &s).await?;
    let facilities = repo::facilities(&mut tx, &Scope::All, true).await?;
    let districts = repo::districts(&mut tx).await?;
    let mut draft =
        match super::super::form::parse(lang, &f, &settings, &facilities, &districts, state.db.clock().today()) {
            Ok(d) => d,
            Err(fs) => {
                tx.finish().await?;
                return paper_with(
                    ObjectPage::new(&state, &ctx, lang, &s, ()).answer(None, StatusCode::UNPROCESSABLE_ENTITY),
                    fs,
                )
                .await;
            }
        };
    // the address's district counts, whatever the form says (street directory)
    let chosen = draft.district_id;
    draft.district_id = super::super::form::district_for(&mut tx, &districts, &draft.address, chosen).await?;
    // staff of a Träger enter for their Träger, naming one of its facilities, until the deadline
    let refuse = |field: &str, key: &str| form_again(&f, field, tr(lang, key));
    let provider = match &scope {
        Scope::All => None,
        Scope::Providers(mine) => {
            if state.db.clock().today() > settings.deadline {
                tx.finish().await?;
                return paper_with(
                    ObjectPage::new(&state, &ctx, lang, &s, ()).answer(None, StatusCode::CONFLICT),
                    refuse("child_first", "kita.error_deadline_traeger"),
                )
                .await;
            }
            match draft
                .preferences
                .iter()
                .filter_map(|p| facilities.iter().find(|x| x.id == *p))
                .map(|x| x.provider_id)
                .find(|p| mine.contains(p))
            {
                Some(p) => Some(p),
                None => {
                    tx.finish().await?;
                    return paper_with(
                        ObjectPage::new(&state, &ctx, lang, &s, ()).answer(None, StatusCode::UNPROCESSABLE_ENTITY),
                        refuse("pref_1", "kita.error_own_facility"),
                    )
                    .await;
                }
            }
        }
    };
    if allocation::rounds_open(&mut tx).await?
        && applications::submitted_with(
            &mut tx,
            Origin::Staff { staff: s.principal.actor_id, provider },
            &f.text("key"),
        )
        .await?
        .is_none()
    {
        tx.finish().await?;
        return paper_with(
            ObjectPage::new(&state, &ctx, lang, &s, ()).answer(None, StatusCode::CONFLICT),
            refuse("child_first", "kita.error_rounds_open"),
        )
        .await;
    }
    let base = base_url(&state, &ctx.host, &headers);
    let (id, created) = applications::submit(
        &mut tx,
        &draft,
        Origin::Staff { staff: s.principal.actor_id, provider },
        lang.code(),
        &base,
        &f.text("key"),
    )
    .await?;
    if created {
        repo::set_chosen_district(&mut tx, id, chosen).await?;
        audit(
            &mut tx,
            &s,
            &ip,
            "kita_application.paper",
            format!("kita_application:{id}"),
            serde_json::json!({ "provider": provider }),
        )
        .await?;
        // a paper copy of a child already applied for online is found at once
        applications::check_new(&mut tx, id, settings.max_preferences as usize).await?;
    }
    tx.finish().await?;
    Ok(Notice::Saved.redirect(&paths::APPLICATION.with(&[&id])))
}
