//! The FIM import: an XDatenfelder file posted on the builder page becomes the draft, its report
//! kept next to the fields (or at the document level) until they are fixed. Every refusal (a file
//! too large for the post, broken or foreign XML, a DTD, a document too complex) is shown next to
//! the file input of the builder page, in the editor's language.

use crate::kit::checked::{Checked, Refused};
use crate::kit::page::Language;
use crate::kit::params::Params;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portal_authz::{Action, Resource};
use portal_domain::Lang;
use portal_domain::ServiceSlug;
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::error::ErrorKind;
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext};

use super::builder_page::{Failed, again};
use super::{paths, save_error_text, working};
use crate::kit::notice::Notice;
use crate::kit::office::audit;
use crate::kit::pipeline::tenant_tx;
use crate::kit::session::Staff;
use crate::kit::uploads::Posted;

/// The builder page again with `message` next to the file input.
fn refused(message: String) -> Option<Failed> {
    let mut form = FormState::default();
    form.errors.insert("fim".into(), message);
    Some(Failed { which: "import".into(), form })
}

/// How long an import may take (its largest legitimate documents take well under a second).
const IMPORT_BUDGET: std::time::Duration = std::time::Duration::from_secs(20);

/// Imports a FIM schema into the draft (replacing it); the report stays with the draft.
pub(super) async fn import(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    ip: ClientIp,
    s: Staff,
    Params(slug): Params<ServiceSlug>,
    posted: Result<Checked<Staff, Posted>, Refused>,
) -> Result<Response, AppError> {
    let posted = match posted {
        Ok(Checked(_, p)) => p,
        // a post larger than the route takes: the builder with the reason at the file input (only
        // shown, nothing changed, so no token is needed to show it)
        Err(Refused::Post(e)) if e.kind == ErrorKind::PayloadTooLarge => {
            s.require(&state, Resource::Forms, Action::Write)?;
            return again(
                &state,
                &ctx,
                lang,
                &s,
                &slug,
                None,
                refused(tr(lang, "forms.error_import_large")),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Err(refused) => return Ok(refused.into_response()),
    };
    s.require(&state, Resource::Forms, Action::Write)?;
    let Some(upload) = posted.files_for("fim").into_iter().next() else {
        return again(
            &state,
            &ctx,
            lang,
            &s,
            &slug,
            None,
            refused(tr(lang, "forms.error_import_none")),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let imported = match std::str::from_utf8(&upload.bytes) {
        Err(_) => Err(tr(lang, "forms.error_import_encoding")),
        Ok(xml) => {
            // parsing and mapping are CPU work: off the async runtime, within a budget
            let xml = xml.to_owned();
            crate::kit::cpu::run("fim-import", IMPORT_BUDGET, move || portal_fim::import(&xml)).await?.map_err(|e| {
                tracing::info!(error = %e, service = %slug, "FIM import refused");
                import_error_text(lang, &e)
            })
        }
    };
    let imported = match imported {
        Ok(i) => i,
        Err(message) => {
            return again(&state, &ctx, lang, &s, &slug, None, refused(message), StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        }
    };
    let report: Vec<portal_cases::builder::ReportNote> = imported
        .report
        .iter()
        .map(|n| portal_cases::builder::ReportNote {
            fim_id: n.fim_id.clone(),
            fim_version: n.fim_version.clone(),
            field: n.field.clone(),
            unmapped: n.severity == portal_fim::Severity::Unmapped,
            message: n.message.clone(),
        })
        .collect();
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let w = working(&mut tx, &slug, lang).await?;
    // a schema without input fields leaves the form as it is, with the report saying so
    let schema = if imported.schema.pages.is_empty() { w.schema.clone() } else { imported.schema.clone() };
    let seen = w.revision;
    let saved = if w.fresh(&posted) {
        portal_cases::builder::save_draft(&mut tx, &slug, &schema, &report, seen, &s.user.display_name).await
    } else {
        Err(portal_cases::builder::BuilderError::Conflict {
            revision: w.revision.unwrap_or(0),
            by: w.draft_by.clone().unwrap_or_default(),
        })
    };
    match saved {
        Ok(revision) => {
            let detail = serde_json::json!({ "revision": revision, "fim_id": imported.fim_id, "fim_version": imported.fim_version, "xdf": format!("{:?}", imported.xdf), "notes": report.len(), "file": upload.file_name });
            audit(&mut tx, &s, &ip, "form.import", slug.to_string(), detail).await?;
            tx.finish().await?;
            Ok(Notice::Imported.redirect(&paths::BUILDER.with(&[&slug])))
        }
        Err(e) => {
            drop(tx);
            let message = save_error_text(lang, &e).ok_or_else(|| AppError::from(e))?;
            again(&state, &ctx, lang, &s, &slug, None, refused(message), StatusCode::CONFLICT).await
        }
    }
}

/// What the editor reads when a file was not imported (the parser's own English words stay in the
/// log).
fn import_error_text(lang: Lang, e: &portal_fim::ImportError) -> String {
    use portal_domain::xml::XmlBoundError;
    use portal_fim::ImportError as E;
    match e {
        E::Xml { line, column, .. } => {
            tr_with(lang, "forms.error_import_xml", &[("line", &line.to_string()), ("column", &column.to_string())])
        }
        E::Dtd => tr(lang, "forms.error_import_dtd"),
        E::Foreign { root, namespace } => tr_with(
            lang,
            "forms.error_import_foreign",
            &[
                ("root", root),
                ("namespace", &namespace.clone().unwrap_or_else(|| tr(lang, "forms.error_import_no_namespace"))),
            ],
        ),
        E::NoSchema { root } => tr_with(lang, "forms.error_import_no_schema", &[("root", root)]),
        E::GroupsTooDeep(n) => tr_with(lang, "forms.error_import_groups_deep", &[("n", &n.to_string())]),
        E::Invalid(d) => tr_with(lang, "forms.error_import_invalid", &[("detail", d)]),
        E::TooLarge => tr(lang, "forms.error_import_large"),
        E::TooComplex(XmlBoundError::TooDeep(n)) => tr_with(lang, "forms.error_import_deep", &[("n", &n.to_string())]),
        E::TooComplex(XmlBoundError::TooManyElements(n)) => {
            tr_with(lang, "forms.error_import_elements", &[("n", &n.to_string())])
        }
    }
}
