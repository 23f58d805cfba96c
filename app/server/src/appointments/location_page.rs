//! The set-up page of one location: its details, weekly hours, special days, counters, booking
//! rules and the call display's link, each form with its own state when shown again with errors.

use crate::kit::office::ObjectPage;
use crate::kit::params::Params;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use portal_appointments::repo;
use portal_authz::{Action, Resource};
use portal_domain::Lang;
use portal_ui::blocks::{Block, Button, Cell, Field, FieldKind};
use portal_ui::form::FormState;
use portal_ui::i18n::{tr, tr_with};
use portal_web::{AppError, AppState, TenantContext};
use time::{Time, Weekday};
use uuid::Uuid;

use super::{paths, service_name, weekday_name};
use crate::kit::mail::base_url;
use crate::kit::notice::Notice;
use crate::kit::office::staff_page;
use crate::kit::page::{self, Language};
use crate::kit::pipeline::tenant_tx;
use crate::kit::session::Staff;

/// The days of a week, Monday first.
pub(super) const WEEK: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

pub(super) use crate::kit::form::form_block as form;

/// The fields of a location's own form (name, address, contact, accessibility).
pub(super) fn location_fields(lang: Lang) -> Vec<Field> {
    vec![
        Field::new("name", tr(lang, "appointments.location_name"), FieldKind::Text).required(),
        Field::new("address", tr(lang, "appointments.address"), FieldKind::Text),
        Field::new("contact", tr(lang, "appointments.contact"), FieldKind::Text),
        Field::new("accessibility", tr(lang, "appointments.accessibility"), FieldKind::TextArea),
    ]
}

#[derive(serde::Deserialize, Default)]
pub(super) struct LocationQuery {
    #[serde(default)]
    hinweis: Option<String>,
    #[serde(default)]
    schalter: Option<Uuid>,
}

/// The forms of the location page, each with its own state when shown again with errors.
#[derive(Default)]
pub(super) struct Forms {
    pub(super) details: FormState,
    pub(super) hours: FormState,
    pub(super) special: FormState,
    pub(super) counter: FormState,
    pub(super) rule: FormState,
    /// The counter whose form is shown (none: a new one).
    pub(super) edit_counter: Option<Uuid>,
}

fn hours_text(hours: &[(Weekday, Time, Time)], w: Weekday) -> String {
    hours
        .iter()
        .filter(|(d, _, _)| *d == w)
        .map(|(_, o, c)| format!("{:02}:{:02}-{:02}:{:02}", o.hour(), o.minute(), c.hour(), c.minute()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) async fn location_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    headers: HeaderMap,
    Language(lang): Language,
    s: Staff,
    Params(id): Params<Uuid>,
    axum::extract::Query(q): axum::extract::Query<LocationQuery>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Write)?;
    location_with(
        ObjectPage::new(&state, &ctx, lang, &s, id),
        &headers,
        Notice::parse(q.hinweis.as_deref()),
        Forms { edit_counter: q.schalter, ..Forms::default() },
    )
    .await
}

pub(super) async fn location_with(
    p: ObjectPage<'_, Uuid, FormState>,
    headers: &HeaderMap,
    notice: Option<Notice>,
    mut forms: Forms,
) -> Result<Response, AppError> {
    let ObjectPage { state, ctx, lang, staff: s, key: id, status, .. } = p;
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let loc = repo::location(&mut tx, id).await?.ok_or_else(AppError::not_found)?;
    let hours = repo::hours(&mut tx, id).await?;
    let today = state.db.clock().today();
    let specials = repo::special_days(&mut tx, id, today, today + time::Duration::days(730)).await?;
    let counters = repo::counters(&mut tx, id).await?;
    let edit_counter = forms.edit_counter;
    let rules = repo::rules(&mut tx, id).await?;
    let content = page::content(state, ctx).await?;
    let csrf = &s.csrf;
    let mut blocks: Vec<Block> = notice.and_then(|n| n.block(lang)).into_iter().collect();
    blocks.push(Block::Links(vec![
        (paths::DESK.with(&[&id]), tr(lang, "appointments.desk")),
        (paths::SETUP.path().into(), tr(lang, "appointments.all_locations")),
    ]));

    blocks.push(Block::Heading(tr(lang, "appointments.details")));
    for (k, v) in [
        ("name", &loc.name),
        ("address", &loc.address),
        ("contact", &loc.contact),
        ("accessibility", &loc.accessibility),
    ] {
        forms.details.values.entry(k.into()).or_insert_with(|| v.clone());
    }
    forms.details.values.entry("active".into()).or_insert_with(|| if loc.active { "on".into() } else { String::new() });
    let mut fields = location_fields(lang);
    fields.push(Field::new("active", tr(lang, "appointments.location_active"), FieldKind::Checkbox));
    blocks.push(form(paths::LOCATION_DETAILS.with(&[&id]), csrf, forms.details, fields, tr(lang, "appointments.save")));

    blocks.push(Block::Heading(tr(lang, "appointments.hours")));
    blocks.push(Block::Text(tr(lang, "appointments.hours_hint")));
    for w in WEEK {
        forms.hours.values.entry(format!("h{}", w.number_from_monday())).or_insert_with(|| hours_text(&hours, w));
    }
    blocks.push(form(
        paths::LOCATION_HOURS.with(&[&id]),
        csrf,
        forms.hours,
        WEEK.iter()
            .map(|w| {
                Field::new(&format!("h{}", w.number_from_monday()), weekday_name(lang, *w).to_owned(), FieldKind::Text)
            })
            .collect(),
        tr(lang, "appointments.save_hours"),
    ));

    blocks.push(Block::Heading(tr(lang, "appointments.special_days")));
    blocks.push(Block::Table {
        caption: tr(lang, "appointments.special_days"),
        headers: vec![
            tr(lang, "appointments.day"),
            tr(lang, "appointments.hours"),
            tr(lang, "appointments.note"),
            tr(lang, "appointments.actions"),
        ],
        rows: specials
            .iter()
            .map(|d| {
                vec![
                    Cell::Text(super::day_text(lang, d.day)),
                    Cell::Text(d.hours.map_or_else(
                        || tr(lang, "appointments.closed"),
                        |(o, c)| format!("{:02}:{:02}–{:02}:{:02}", o.hour(), o.minute(), c.hour(), c.minute()),
                    )),
                    Cell::Text(d.note.clone()),
                    Cell::Buttons(vec![Button {
                        action: paths::LOCATION_SPECIAL_DELETE.with(&[&id, &d.id]),
                        csrf: csrf.clone(),
                        hidden: vec![],
                        label: tr(lang, "appointments.delete"),
                        danger: true,
                    }]),
                ]
            })
            .collect(),
        empty: tr(lang, "appointments.no_special_days"),
    });
    blocks.push(form(
        paths::LOCATION_SPECIAL.with(&[&id]),
        csrf,
        forms.special,
        vec![
            Field::new("day", tr(lang, "appointments.day"), FieldKind::Date).required(),
            Field::new("hours", tr(lang, "appointments.special_hours"), FieldKind::Text)
                .hint(tr(lang, "appointments.special_hours_hint")),
            Field::new("note", tr(lang, "appointments.note"), FieldKind::Text),
        ],
        tr(lang, "appointments.add_special_day"),
    ));

    blocks.push(Block::Heading(tr(lang, "appointments.counters")));
    let offered: Vec<(String, String)> =
        rules.iter().map(|r| (r.service.clone(), service_name(&content, lang, &r.service))).collect();
    blocks.push(Block::Table {
        caption: tr(lang, "appointments.counters"),
        headers: vec![
            tr(lang, "appointments.counter"),
            tr(lang, "appointments.services"),
            tr(lang, "appointments.status"),
        ],
        rows: counters
            .iter()
            .map(|c| {
                vec![
                    Cell::Link(
                        format!("{}?schalter={}#counter_name", paths::LOCATION.with(&[&id]), c.id),
                        tr_with(lang, "appointments.edit_counter", &[("name", &c.name)]),
                    ),
                    Cell::Text(
                        c.services.iter().map(|x| service_name(&content, lang, x)).collect::<Vec<_>>().join(", "),
                    ),
                    Cell::Text(tr(lang, if c.active { "appointments.active" } else { "appointments.inactive" })),
                ]
            })
            .collect(),
        empty: tr(lang, "appointments.no_counters"),
    });
    // one counter form: the one chosen for editing, else a new one (field names unique on the page)
    let editing = edit_counter.and_then(|e| counters.iter().find(|c| c.id == e));
    if let Some(c) = editing {
        forms.counter.values.entry("counter".into()).or_insert_with(|| c.id.to_string());
        forms.counter.values.entry("counter_name".into()).or_insert_with(|| c.name.clone());
        forms.counter.values.entry("counter_services".into()).or_insert_with(|| c.services.join(","));
        forms
            .counter
            .values
            .entry("counter_active".into())
            .or_insert_with(|| if c.active { "on".into() } else { String::new() });
    } else {
        forms.counter.values.entry("counter_active".into()).or_insert_with(|| "on".into());
    }
    blocks.push(form(
        paths::LOCATION_COUNTER.with(&[&id]),
        csrf,
        forms.counter,
        vec![
            Field::new("counter", String::new(), FieldKind::Hidden),
            Field::new("counter_name", tr(lang, "appointments.counter_name"), FieldKind::Text).required(),
            Field::new("counter_services", tr(lang, "appointments.counter_services"), FieldKind::Checkboxes(offered)),
            Field::new("counter_active", tr(lang, "appointments.counter_active"), FieldKind::Checkbox),
        ],
        match editing {
            Some(c) => tr_with(lang, "appointments.save_counter", &[("name", &c.name)]),
            None => tr(lang, "appointments.add_counter"),
        },
    ));

    blocks.push(Block::Heading(tr(lang, "appointments.rules")));
    blocks.push(Block::Table {
        caption: tr(lang, "appointments.rules"),
        headers: vec![
            tr(lang, "appointments.service"),
            tr(lang, "appointments.duration"),
            tr(lang, "appointments.buffer"),
            tr(lang, "appointments.min_notice"),
            tr(lang, "appointments.max_days_ahead"),
            tr(lang, "appointments.max_persons"),
            tr(lang, "appointments.walkin_share"),
            tr(lang, "appointments.actions"),
        ],
        rows: rules
            .iter()
            .map(|r| {
                vec![
                    Cell::Text(service_name(&content, lang, &r.service)),
                    Cell::Text(r.duration_min.to_string()),
                    Cell::Text(r.buffer_min.to_string()),
                    Cell::Text(r.min_notice_min.to_string()),
                    Cell::Text(r.max_days_ahead.to_string()),
                    Cell::Text(r.max_persons.to_string()),
                    Cell::Text(format!("{} %", r.walkin_share)),
                    Cell::Buttons(vec![Button {
                        action: paths::LOCATION_RULE_DELETE.with(&[&id, &r.service]),
                        csrf: csrf.clone(),
                        hidden: vec![],
                        label: tr(lang, "appointments.delete"),
                        danger: true,
                    }]),
                ]
            })
            .collect(),
        empty: tr(lang, "appointments.no_rules"),
    });
    let mut services: Vec<(String, String)> =
        content.services.iter().map(|x| (x.service_slug.clone(), x.name(lang).to_owned())).collect();
    services.sort_by(|a, b| a.1.cmp(&b.1));
    for (k, v) in [
        ("duration_min", "15"),
        ("buffer_min", "0"),
        ("min_notice_min", "60"),
        ("max_days_ahead", "60"),
        ("max_persons", "1"),
        ("walkin_share", "0"),
    ] {
        forms.rule.values.entry(k.into()).or_insert_with(|| v.into());
    }
    blocks.push(form(
        paths::LOCATION_RULE.with(&[&id]),
        csrf,
        forms.rule,
        vec![
            Field::new("service", tr(lang, "appointments.service"), FieldKind::Select(services)).required(),
            Field::new("duration_min", tr(lang, "appointments.duration"), FieldKind::Text).required(),
            Field::new("buffer_min", tr(lang, "appointments.buffer"), FieldKind::Text),
            Field::new("min_notice_min", tr(lang, "appointments.min_notice"), FieldKind::Text),
            Field::new("max_days_ahead", tr(lang, "appointments.max_days_ahead"), FieldKind::Text),
            Field::new("max_persons", tr(lang, "appointments.max_persons"), FieldKind::Text),
            Field::new("walkin_share", tr(lang, "appointments.walkin_share"), FieldKind::Text)
                .hint(tr(lang, "appointments.walkin_share_hint")),
        ],
        tr(lang, "appointments.save_rule"),
    ));

    blocks.push(Block::Heading(tr(lang, "appointments.display")));
    let display_url = format!("{}{}", base_url(state, &ctx.host, headers), paths::DISPLAY.with(&[&loc.display_token]));
    blocks.push(Block::Text(tr(lang, "appointments.display_hint")));
    blocks.push(Block::Links(vec![(display_url.clone(), display_url)]));
    blocks.push(Block::Buttons(vec![Button {
        action: paths::LOCATION_DISPLAY.with(&[&id]),
        csrf: csrf.clone(),
        hidden: vec![],
        label: tr(lang, "appointments.renew_display"),
        danger: true,
    }]));
    tx.finish().await?;
    staff_page(state, ctx, lang, &paths::LOCATION.with(&[&id]), Some(s), status, loc.name.clone(), blocks).await
}
