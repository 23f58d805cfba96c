//! The street directory's checks of a form's answers: an address field marked `in_town` must be in
//! the tenant's directory (where it has one), and a parking-zone select follows from that address
//! where the directory maps the street to a zone. Citizens get the problem next to the field (in
//! both languages, as the form's own checks); the office's page of a case shows what the directory
//! finds, so that nothing is approved unnoticed (also where the directory changed since).

use portal_cases::Case;
use portal_db::TenantTx;
use portal_domain::{Lang, Localized};
use portal_forms::schema::{DirectoryRule, Field, FormSchema, Page};
use portal_forms::{Answers, Issue, Problem, Value};
use portal_tenancy::streets::{self, Lookup};
use portal_ui::blocks::Block;
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::{AppError, AppState};

use crate::kit::registry::BoxFuture;
use crate::kit::session::Staff;

fn field_with(schema: &FormSchema, rule: DirectoryRule) -> Option<&Field> {
    schema.fields().find(|f| f.directory == Some(rule))
}

/// The text in both languages, for an issue shown in the form's language.
fn both(key: &str, args: &[(&str, &str)]) -> Localized {
    Localized { de: tr_with(Lang::De, key, args), en: tr_with(Lang::En, key, args) }
}

/// What the directory says about the form's `in_town` address, with the address as typed (street,
/// postcode); `None` when the form has no such field or the address is not complete.
async fn address_lookup(
    tx: &mut TenantTx,
    field: &Field,
    answers: &Answers,
) -> Result<Option<(Lookup, String, String)>, AppError> {
    let Some(value) = answers.get(&field.id) else { return Ok(None) };
    let (street, postcode) = (value.part("street").trim().to_owned(), value.part("postcode").trim().to_owned());
    if street.is_empty() || postcode.len() != 5 || !postcode.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let (key, number) = streets::split_street(&street);
    if key.is_empty() {
        return Ok(None);
    }
    Ok(Some((streets::lookup(tx, &key, number, Some(&postcode)).await?, street, postcode)))
}

/// The zone the directory gives for the address, if the zone field offers it.
fn zone_for<'a>(zone_field: &Field, lookup: &'a Lookup) -> Option<&'a str> {
    lookup.zone().filter(|z| zone_field.options.iter().any(|o| o.value == *z))
}

/// Preselects the parking zone from the address where the citizen has not chosen one yet (the page
/// as it is shown).
pub async fn prefill(tx: &mut TenantTx, schema: &FormSchema, answers: &mut Answers) -> Result<(), AppError> {
    let (Some(address), Some(zone_field)) =
        (field_with(schema, DirectoryRule::InTown), field_with(schema, DirectoryRule::ParkingZone))
    else {
        return Ok(());
    };
    if answers.get(&zone_field.id).is_some_and(|v| !v.is_empty()) {
        return Ok(());
    }
    if let Some((lookup, _, _)) = address_lookup(tx, address, answers).await?
        && let Some(zone) = zone_for(zone_field, &lookup)
    {
        answers.insert(zone_field.id.clone(), Value::Text(zone.to_owned()));
    }
    Ok(())
}

/// Checks the answers against the directory: on a page (`Some(page)`: only problems of its fields;
/// a zone still empty is set from the address when the page has the address or the zone) or the
/// whole form before it is filed (`None`). `town` names the tenant in the message.
pub async fn check(
    tx: &mut TenantTx,
    schema: &FormSchema,
    page: Option<&Page>,
    answers: &mut Answers,
    town: &str,
) -> Result<Vec<Issue>, AppError> {
    let Some(address) = field_with(schema, DirectoryRule::InTown) else { return Ok(vec![]) };
    let zone_field = field_with(schema, DirectoryRule::ParkingZone);
    let on_page = |f: &Field| page.is_none_or(|p| p.fields.iter().any(|x| x.id == f.id));
    let Some((lookup, street, postcode)) = address_lookup(tx, address, answers).await? else { return Ok(vec![]) };
    let mut issues = Vec::new();
    if lookup == Lookup::Unknown && on_page(address) {
        let message =
            both("streets.error_not_in_town", &[("street", &street), ("postcode", &postcode), ("town", town)]);
        issues.push(Issue {
            name: format!("{}.street", address.id),
            label: address.label.clone(),
            problem: Problem::Pattern { message },
        });
    }
    if let Some(zone_field) = zone_field
        && let Some(zone) = zone_for(zone_field, &lookup)
    {
        let chosen = answers.get(&zone_field.id).map(|v| v.text().to_owned()).unwrap_or_default();
        if chosen.is_empty() && (on_page(zone_field) || on_page(address)) {
            answers.insert(zone_field.id.clone(), Value::Text(zone.to_owned()));
        } else if !chosen.is_empty() && chosen != zone && on_page(zone_field) {
            let label = |lang| zone_field.choice_label(zone, lang).unwrap_or_else(|| zone.to_owned());
            let message = Localized {
                de: tr_with(Lang::De, "streets.wrong_zone", &[("zone", &label(Lang::De))]),
                en: tr_with(Lang::En, "streets.wrong_zone", &[("zone", &label(Lang::En))]),
            };
            issues.push(Issue {
                name: zone_field.id.clone(),
                label: zone_field.label.clone(),
                problem: Problem::Pattern { message },
            });
        }
    }
    Ok(issues)
}

/// On the office's page of a case whose form checks the address: what the directory finds — the
/// address not in the town, a zone other than the address's, or that both are in order.
pub fn office_case_panel<'a>(
    _state: &'a AppState,
    tx: &'a mut TenantTx,
    lang: Lang,
    _s: &'a Staff,
    case: &'a Case,
    _form: Option<FormState>,
) -> BoxFuture<'a, Result<Vec<Block>, AppError>> {
    Box::pin(async move {
        if case.anonymised_at.is_some() {
            return Ok(vec![]);
        }
        let schema = portal_cases::form_version(tx, &case.schema_hash).await?;
        let Some(address) = field_with(&schema, DirectoryRule::InTown) else { return Ok(vec![]) };
        let Some((lookup, street, postcode)) = address_lookup(tx, address, &case.answers).await? else {
            return Ok(vec![]);
        };
        let args = [("street", street.as_str()), ("postcode", postcode.as_str())];
        let mut blocks = vec![Block::Heading(tr(lang, "streets.panel_heading"))];
        match &lookup {
            Lookup::NoDirectory => blocks.push(Block::Notice("info", tr(lang, "streets.panel_no_directory"))),
            Lookup::Unknown => blocks.push(Block::Notice("danger", tr_with(lang, "streets.panel_not_in_town", &args))),
            Lookup::Known { .. } => {
                let zone_field = field_with(&schema, DirectoryRule::ParkingZone);
                let chosen =
                    zone_field.and_then(|f| case.answers.get(&f.id)).map(|v| v.text().to_owned()).unwrap_or_default();
                let label =
                    |code: &str| zone_field.and_then(|f| f.choice_label(code, lang)).unwrap_or_else(|| code.to_owned());
                match (zone_field, lookup.zone()) {
                    (Some(_), Some(zone)) if zone != chosen => {
                        let text = tr_with(
                            lang,
                            "streets.panel_zone_mismatch",
                            &[
                                ("street", &street),
                                ("postcode", &postcode),
                                ("zone", &label(zone)),
                                ("chosen", &label(&chosen)),
                            ],
                        );
                        blocks.push(Block::Notice("danger", text));
                    }
                    (Some(_), None) => blocks.push(Block::Notice(
                        "warning",
                        tr_with(
                            lang,
                            "streets.panel_zone_unmapped",
                            &[("street", &street), ("postcode", &postcode), ("chosen", &label(&chosen))],
                        ),
                    )),
                    (Some(_), Some(zone)) => blocks.push(Block::Notice(
                        "success",
                        tr_with(
                            lang,
                            "streets.panel_zone_ok",
                            &[("street", &street), ("postcode", &postcode), ("zone", &label(zone))],
                        ),
                    )),
                    (None, _) => blocks.push(Block::Notice("success", tr_with(lang, "streets.panel_in_town", &args))),
                }
            }
        }
        Ok(blocks)
    })
}
