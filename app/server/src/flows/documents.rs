//! Issuing a case's document of print@home (the capability `documents` shows and serves them):
//! by the office, or by itself when the case is approved and its fee paid — called from the
//! approval (casework) and from a payment's success (payments), whichever comes last.

use portal_cases::{self as cases, Actor, Case, EventKind, Status};
use portal_db::TenantTx;
use portal_documents::repo::{self, NewDocument};
use portal_documents::{Document, DocumentType, Fact, PrintedFact};
use portal_domain::{Lang, Localized};
use portal_forms::display::value_text;
use portal_mail::{Mail, Text};
use portal_payments::PaymentStatus;
use portal_ui::i18n::{tr, tr_with};
use portal_web::{AppError, AppState, TenantContext};
use uuid::Uuid;

use super::filing::applicant_email;
use crate::kit::dates::fmt_day;
use crate::kit::mail::queue;

/// A fact's label in both languages.
pub fn fact_label(f: Fact) -> Localized {
    let key = format!("documents.fact_{}", f.as_str());
    Localized { de: tr(Lang::De, &key), en: tr(Lang::En, &key) }
}

/// The printed facts of a case's document, in both languages.
pub fn facts_of(
    t: &DocumentType,
    schema: &portal_forms::FormSchema,
    case: &Case,
) -> (Vec<PrintedFact>, serde_json::Value) {
    let mut answers = serde_json::Map::new();
    let facts = t
        .facts
        .iter()
        .map(|src| {
            let value = match (&src.field, src.fact) {
                (Some(id), _) => {
                    let field = schema.fields().find(|f| &f.id == id);
                    let v = case.answers.get(id);
                    if let Some(v) = v {
                        answers.insert(id.clone(), serde_json::to_value(v).unwrap_or_default());
                    }
                    match field {
                        Some(f) => Localized { de: value_text(f, v, Lang::De), en: value_text(f, v, Lang::En) },
                        None => Localized::default(),
                    }
                }
                (None, Fact::Name) => Localized { de: case.applicant_name.clone(), en: case.applicant_name.clone() },
                (None, Fact::Reference) => Localized { de: case.reference.clone(), en: case.reference.clone() },
                (None, _) => t.title.clone(),
            };
            PrintedFact { fact: src.fact, label: fact_label(src.fact), value, check: src.check }
        })
        .collect();
    (facts, serde_json::Value::Object(answers))
}

/// Where a renewal starts: the day after the renewed document ends (today if that has passed),
/// and which document it renews — only one of the same holder, not revoked.
async fn renewal(tx: &mut TenantTx, t: &DocumentType, case: &Case) -> Result<(time::Date, Option<Uuid>), AppError> {
    let today = tx.today();
    let Some(original) = &t.renews else { return Ok((today, None)) };
    let number = case.answers.get("previous_number").map(|v| v.text().to_owned()).unwrap_or_default();
    // only the holder's own permit, in force, not renewed already, for the same vehicle and zone
    let same = |d: &Document, key: &str| {
        d.answers.get(key).and_then(|v| v.as_str()) == case.answers.get(key).map(|v| v.text())
    };
    let previous = repo::by_number(tx, &number).await?.filter(|d| {
        d.citizen_id.is_some()
            && d.citizen_id == case.citizen_id
            && d.revoked_at.is_none()
            && d.superseded_by.is_none()
            && d.kind == t.kind
            && (&d.service_slug == original || d.service_slug == t.service)
            && same(d, "plate")
            && same(d, "zone")
    });
    Ok(match previous {
        Some(p) => (p.valid_until.next_day().unwrap_or(p.valid_until).max(today), Some(p.document_id)),
        None => (today, None),
    })
}

/// The link to the case for its holder.
pub fn case_link(base: &str, case: &Case) -> Option<String> {
    match (case.citizen_id, &case.guest_token) {
        (Some(_), _) => Some(format!("{base}/konto/antraege/{}", case.case_id)),
        (None, Some(t)) => Some(format!("{base}/vorgang/{t}")),
        (None, None) => None,
    }
}

/// Issues the case's document if its service has one: once (a second call returns the first).
/// The timeline and the holder's mail say so.
pub async fn issue_for_case(
    state: &AppState,
    tx: &mut TenantTx,
    ctx: &TenantContext,
    base: &str,
    case: &Case,
    actor: &Actor,
) -> Result<Option<(Document, bool)>, AppError> {
    let Some(t) = state.documents.catalogue.for_service(&case.service_slug) else { return Ok(None) };
    let schema = cases::form_version(tx, &case.schema_hash).await?;
    let (facts, answers) = facts_of(t, &schema, case);
    let (valid_from, renews) = renewal(tx, t, case).await?;
    let issued_by = if actor.name.is_empty() { "system".to_owned() } else { actor.name.clone() };
    let n = NewDocument {
        doc_type: t,
        case_id: case.case_id,
        citizen_id: case.citizen_id,
        facts,
        answers,
        valid_from,
        lang: case.lang.code(),
        portal_url: base,
        issued_by: &issued_by,
        renews,
    };
    let (doc, created) = repo::issue(tx, &state.documents.sealer, n).await?;
    if created {
        let lang = case.lang;
        let text = tr_with(
            lang,
            "documents.ev_issued",
            &[("title", doc.title.get(lang)), ("number", &doc.number), ("until", &fmt_day(doc.valid_until))],
        );
        cases::add_event(tx, case.case_id, EventKind::Document, None, actor, &text, false).await?;
        if let (Some(to), Some(link)) = (applicant_email(tx, case).await?, case_link(base, case)) {
            let mail =
                Mail::new(Text::new("documents.mail.document_issued_subject").with("title", doc.title.get(lang)))
                    .line(
                        Text::new("documents.mail.document_issued_text")
                            .with("title", doc.title.get(lang))
                            .with("number", doc.number.clone())
                            .with("until", fmt_day(doc.valid_until)),
                    )
                    .line(Text::new("documents.mail.document_issued_text_2"))
                    .button(Text::new("documents.mail.document_issued_button"), link);
            queue(tx, ctx, base, lang, &to, mail).await?;
        }
        metrics::counter!("documents_issued_total", "kind" => doc.kind.as_str()).increment(1);
    }
    Ok(Some((doc, created)))
}

/// Issues by itself when the tenant lets the service do so, the case is approved and its fee (if
/// any) is paid. Called when a case is approved and when a payment succeeds.
pub async fn issue_if_due(
    state: &AppState,
    tx: &mut TenantTx,
    ctx: &TenantContext,
    base: &str,
    case: &Case,
) -> Result<(), AppError> {
    let Some(t) = state.documents.catalogue.for_service(&case.service_slug) else { return Ok(()) };
    if case.status != Status::Approved || case.anonymised_at.is_some() || !repo::setting(tx, t).await?.auto_issue {
        return Ok(());
    }
    // once issued (even if revoked since), only the office issues again: a late payment must not
    // bring back what the office revoked
    if !repo::of_case(tx, case.case_id).await?.is_empty() {
        return Ok(());
    }
    let paid = match portal_payments::repo::payment_for_case(tx, case.case_id, false).await? {
        Some(p) => p.status == PaymentStatus::Succeeded,
        None => true,
    };
    if paid {
        issue_for_case(state, tx, ctx, base, case, &Actor::system()).await?;
    }
    Ok(())
}
