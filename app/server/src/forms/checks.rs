//! What publishing a form would break outside the schema itself: the loader's checks, the fee
//! rule (a field or option it needs), the document the service issues (a field a fact comes from).

use portal_db::TenantTx;
use portal_domain::Lang;
use portal_forms::FormSchema;
use portal_forms::edit::Change;
use portal_ui::i18n::{tr, tr_with};
use portal_web::{AppError, AppState};

/// The problems that keep `schema` from being published for `slug`, in the editor's words.
pub(super) async fn problems(
    state: &AppState,
    tx: &mut TenantTx,
    lang: Lang,
    slug: &str,
    schema: &FormSchema,
) -> Result<Vec<String>, AppError> {
    let mut out = Vec::new();
    if let Err(e) = schema.check() {
        out.push(tr_with(lang, "forms.check_schema", &[("detail", &e.to_string())]));
    }
    if let Some(payment) = portal_payments::repo::service_payment(tx, slug).await?
        && let Err(e) = payment.rule.check(Some(schema))
    {
        let detail = match &e {
            portal_payments::FeeError::Field(x)
            | portal_payments::FeeError::MissingOption(x)
            | portal_payments::FeeError::UnknownOption(x)
            | portal_payments::FeeError::Answer(x) => x.clone(),
            portal_payments::FeeError::Amount => String::new(),
        };
        out.push(tr_with(
            lang,
            "forms.check_fee",
            &[("error", &tr(lang, &format!("payments.error.{}", e.key()))), ("detail", &detail)],
        ));
    }
    if let Some(t) = state.documents.catalogue.for_service(slug) {
        for fact in &t.facts {
            if let Some(field) = &fact.field
                && schema.field(field).is_none()
            {
                out.push(tr_with(lang, "forms.check_document", &[("field", field), ("document", t.title.get(lang))]));
            }
        }
    }
    Ok(out)
}

/// A line of the difference to the live version.
pub(super) fn change_text(lang: Lang, c: &Change) -> String {
    let (key, id) = match c {
        Change::PageAdded(id) => ("page_added", id),
        Change::PageRemoved(id) => ("page_removed", id),
        Change::PageChanged(id) => ("page_changed", id),
        Change::FieldAdded(id) => ("field_added", id),
        Change::FieldRemoved(id) => ("field_removed", id),
        Change::FieldChanged(id) => ("field_changed", id),
        Change::FieldMoved(id) => ("field_moved", id),
    };
    tr_with(lang, &format!("forms.change_{key}"), &[("id", id)])
}
