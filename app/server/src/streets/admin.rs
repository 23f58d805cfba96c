//! The office's page of the street directory: its entries, and the CSV import that replaces it
//! (bounded in bytes and rows, checked whole before anything is stored, audited).

use crate::kit::checked::Checked;
use crate::kit::page::Language;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use portal_authz::{Action, Resource};
use portal_domain::Lang;
use portal_tenancy::streets::{self, RowError, RowProblem};
use portal_ui::blocks::{Block, Cell, Field, FieldKind, FormSpec};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext};

use super::paths;
use crate::kit::notice::Notice;
use crate::kit::office::{audit, staff_page};
use crate::kit::pipeline::tenant_tx;
use crate::kit::session::Staff;
use crate::kit::uploads::Posted;

/// Entries listed on the page (the rest are counted).
const SHOWN: i64 = 500;

async fn render(
    state: &AppState,
    ctx: &TenantContext,
    lang: Lang,
    s: &Staff,
    notice: Option<Block>,
    failed: Option<FormState>,
    status: StatusCode,
) -> Result<Response, AppError> {
    s.require(state, Resource::Streets, Action::Read)?;
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let (total, entries) = streets::list(&mut tx, "", SHOWN).await?;
    tx.finish().await?;
    let mut blocks: Vec<Block> = notice.into_iter().collect();
    blocks.push(Block::Text(tr(lang, "streets.intro")));
    blocks.push(Block::Text(tr_with(
        lang,
        "streets.count",
        &[("n", &total.to_string()), ("shown", &entries.len().to_string())],
    )));
    let numbers = |from: i32, to: i32| {
        if from == 1 && to == 9999 { tr(lang, "streets.whole_street") } else { format!("{from}–{to}") }
    };
    blocks.push(Block::Table {
        caption: tr(lang, "streets.title"),
        headers: vec![
            tr(lang, "streets.street"),
            tr(lang, "streets.postcode"),
            tr(lang, "streets.numbers"),
            tr(lang, "streets.kita_district"),
            tr(lang, "streets.zone"),
        ],
        rows: entries
            .iter()
            .map(|e| {
                vec![
                    Cell::Text(e.street.clone()),
                    Cell::Text(e.postcode.clone()),
                    Cell::Text(numbers(e.number_from, e.number_to)),
                    Cell::Text(e.kita_district.clone().unwrap_or_else(|| "–".into())),
                    Cell::Text(e.parking_zone.clone().unwrap_or_else(|| "–".into())),
                ]
            })
            .collect(),
        empty: tr(lang, "streets.none"),
    });
    if s.may(state, Resource::Streets, Action::Write) {
        blocks.push(Block::Heading(tr(lang, "streets.import_heading")));
        blocks.push(Block::Text(tr_with(
            lang,
            "streets.import_text",
            &[("rows", &streets::MAX_ROWS.to_string()), ("kb", &(streets::MAX_CSV_BYTES / 1024).to_string())],
        )));
        blocks.push(Block::Form(FormSpec {
            action: paths::IMPORT.path().into(),
            csrf: s.csrf.clone(),
            form: failed.unwrap_or_default(),
            fields: vec![
                Field::new("csv", tr(lang, "streets.import_file"), FieldKind::File(".csv,text/csv,text/plain"))
                    .required(),
            ],
            submit: tr(lang, "streets.import_submit"),
            danger: false,
            secondary: None,
        }));
    }
    staff_page(state, ctx, lang, paths::OFFICE.path(), Some(s), status, tr(lang, "streets.title"), blocks).await
}

pub(super) async fn page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    q: axum::extract::RawQuery,
) -> Result<Response, AppError> {
    let notice = Notice::from_query(q.0.as_deref()).and_then(|n| n.block(lang));
    render(&state, &ctx, lang, &s, notice, None, StatusCode::OK).await
}

fn row_error_text(lang: Lang, e: &RowError) -> String {
    let problem = match &e.problem {
        RowProblem::UnknownDistrict(name) => tr_with(lang, "streets.error_district", &[("name", name)]),
        RowProblem::TooMany => tr_with(lang, "streets.error_too_many", &[("n", &streets::MAX_ROWS.to_string())]),
        RowProblem::TooLarge => {
            tr_with(lang, "streets.error_too_large", &[("kb", &(streets::MAX_CSV_BYTES / 1024).to_string())])
        }
        p => tr(lang, &format!("streets.error_{}", p.code())),
    };
    if e.line == 0 {
        problem
    } else {
        tr_with(lang, "streets.error_line", &[("line", &e.line.to_string()), ("problem", &problem)])
    }
}

/// Replaces the directory with the uploaded CSV file: every line checked first (Kita districts by
/// name), nothing stored when one is wrong; the message names the line.
pub(super) async fn import(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    ip: ClientIp,
    Checked(s, posted): Checked<Staff, Posted>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Streets, Action::Write)?;
    let refuse = |message: String| {
        let mut form = FormState::default();
        form.errors.insert("csv".into(), message);
        Some(form)
    };
    let Some(upload) = posted.files_for("csv").into_iter().next() else {
        return render(
            &state,
            &ctx,
            lang,
            &s,
            None,
            refuse(tr(lang, "streets.error_no_file")),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let rows = match streets::parse_csv(&upload.bytes) {
        Ok(rows) => rows,
        Err(e) => {
            return render(
                &state,
                &ctx,
                lang,
                &s,
                None,
                refuse(row_error_text(lang, &e)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let districts = portal_kita::repo::districts(&mut tx).await?;
    let find = |name: &str| districts.iter().find(|d| d.name.to_lowercase() == name.to_lowercase()).map(|d| d.id);
    let entries = match streets::check_rows(&rows, find) {
        Ok(e) => e,
        Err(e) => {
            drop(tx);
            return render(
                &state,
                &ctx,
                lang,
                &s,
                None,
                refuse(row_error_text(lang, &e)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let n = streets::replace(&mut tx, &entries).await?;
    audit(
        &mut tx,
        &s,
        &ip,
        "street_directory.import",
        "street_directory".into(),
        serde_json::json!({ "entries": n, "file": upload.file_name }),
    )
    .await?;
    tx.finish().await?;
    Ok(Notice::Imported.redirect(paths::OFFICE.path()))
}
