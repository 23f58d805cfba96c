//! The payments view and the cash office's export.

use super::*;
use crate::kit::page::Language;
use crate::kit::params::Params;
use crate::payments::paths;

#[derive(Deserialize, Default)]
pub(super) struct ListQ {
    #[serde(default)]
    von: Option<String>,
    #[serde(default)]
    bis: Option<String>,
    #[serde(default)]
    leistung: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    seite: Option<i64>,
}

pub(super) fn parse_day(s: &str) -> Option<Date> {
    Date::parse(s.trim(), time::macros::format_description!("[year]-[month]-[day]")).ok()
}

pub(super) fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

pub(super) const PAGE: i64 = 50;

pub(super) async fn payments_view(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Query(q): Query<ListQ>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Payments, Action::Read)?;
    // a case worker limited to some services sees their payments only, as with cases
    let scope = crate::shared::cases::case_scope(&s.principal);
    let query = PaymentQuery {
        from: q.von.as_deref().and_then(parse_day),
        to: q.bis.as_deref().and_then(parse_day),
        service: q.leistung.clone().filter(|l| !l.is_empty()),
        status: q.status.as_deref().and_then(PaymentStatus::parse),
        scope: scope.clone(),
        limit: PAGE,
        offset: (q.seite.unwrap_or(1).max(1) - 1) * PAGE,
    };
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let (rows, total) = repo::list(&mut tx, &query).await?;
    let totals = repo::totals(&mut tx, &query).await?;
    // the stored daily exports cover every service: offered to the unscoped only
    let exports = if scope.is_none() { repo::exports(&mut tx, 31).await? } else { vec![] };
    let services: Vec<(String, String)> = sqlx::query_as(
        "select s.service_slug, coalesce(case when $1 = 'en' then a.name_en else a.name_de end, case when $1 = 'en' then b.name_en else b.name_de end)
           from service_payment s join service_activation a using (service_slug) join service_entry b using (service_slug)
          where $2::text[] is null or s.service_slug = any($2) order by 2",
    )
    .bind(lang.code())
    .bind(&scope)
    .fetch_all(tx.conn())
    .await?;
    tx.finish().await?;
    let name_of =
        |slug: &str| services.iter().find(|(s, _)| s == slug).map_or_else(|| slug.to_owned(), |(_, n)| n.clone());
    let mut service_options = vec![(String::new(), tr(lang, "casework.all_services"))];
    service_options.extend(services.iter().cloned());
    let mut status_options = vec![(String::new(), tr(lang, "payments.all_statuses"))];
    status_options.extend(PaymentStatus::ALL.iter().map(|st| (st.code().to_owned(), status_label(lang, *st))));
    let mut blocks = vec![
        Block::Text(tr(lang, "payments.list_intro")),
        Block::Filters(Box::new(FilterSpec {
            action: paths::PAYMENTS_VIEW.path().into(),
            selects: vec![
                (
                    "leistung".into(),
                    tr(lang, "payments.service"),
                    service_options,
                    query.service.clone().unwrap_or_default(),
                ),
                (
                    "status".into(),
                    tr(lang, "payments.status"),
                    status_options,
                    query.status.map(|s| s.code().to_owned()).unwrap_or_default(),
                ),
            ],
            dates: vec![
                ("von".into(), tr(lang, "payments.from"), query.from.map(iso).unwrap_or_default()),
                ("bis".into(), tr(lang, "payments.to"), query.to.map(iso).unwrap_or_default()),
            ],
            texts: vec![],
            checks: vec![],
            submit: tr(lang, "casework.filter"),
        })),
        Block::Heading(tr(lang, "payments.totals_heading")),
        Block::Table {
            caption: tr(lang, "payments.totals_heading"),
            headers: vec![
                tr(lang, "payments.day"),
                tr(lang, "payments.service"),
                tr(lang, "payments.count"),
                tr(lang, "payments.amount"),
                tr(lang, "payments.app_fee"),
                tr(lang, "payments.refunded"),
            ],
            rows: totals
                .iter()
                .map(|t| {
                    vec![
                        Cell::Text(fmt_day(t.day)),
                        Cell::Text(name_of(&t.service_slug)),
                        Cell::Text(t.count.to_string()),
                        Cell::Text(money(t.amount_cents, lang)),
                        Cell::Text(money(t.fee_cents, lang)),
                        Cell::Text(money(t.refunded_cents, lang)),
                    ]
                })
                .collect(),
            empty: tr(lang, "payments.no_totals"),
        },
        Block::Heading(tr_with(lang, "payments.list_heading", &[("count", &total.to_string())])),
    ];
    blocks.push(Block::Table {
        caption: tr(lang, "payments.list_caption"),
        headers: vec![
            tr(lang, "payments.created"),
            tr(lang, "payments.kassenzeichen"),
            tr(lang, "payments.service"),
            tr(lang, "cases.reference"),
            tr(lang, "payments.amount"),
            tr(lang, "payments.app_fee"),
            tr(lang, "payments.refunded"),
            tr(lang, "payments.status"),
            tr(lang, "payments.method"),
        ],
        rows: rows
            .iter()
            .map(|p| {
                let kind = super::super::status_badge(p.status);
                vec![
                    Cell::Text(fmt_time(p.created_at)),
                    Cell::Text(p.kassenzeichen.clone()),
                    Cell::Text(name_of(&p.service_slug)),
                    match (&p.case_reference, p.case_id) {
                        (Some(r), Some(id)) => Cell::Link(crate::kit::links::OFFICE_CASE.with(&[&id]), r.clone()),
                        _ => Cell::Text(tr(lang, "payments.not_filed")),
                    },
                    Cell::Text(money(p.amount_cents, lang)),
                    Cell::Text(money(p.application_fee_cents, lang)),
                    Cell::Text(money(p.refunded_cents, lang)),
                    Cell::Badge(kind, status_label(lang, p.status)),
                    Cell::Text(
                        p.method.as_deref().map(|m| tr(lang, &format!("payments.method_{m}"))).unwrap_or_default(),
                    ),
                ]
            })
            .collect(),
        empty: tr(lang, "payments.none"),
    });
    let page = q.seite.unwrap_or(1).max(1);
    let mut pager = Vec::new();
    let keep = format!(
        "von={}&bis={}&leistung={}&status={}",
        query.from.map(iso).unwrap_or_default(),
        query.to.map(iso).unwrap_or_default(),
        urlencoding::encode(query.service.as_deref().unwrap_or_default()),
        query.status.map(|s| s.code()).unwrap_or_default()
    );
    if page > 1 {
        pager.push((
            format!("{}?{keep}&seite={}", paths::PAYMENTS_VIEW.path(), page - 1),
            tr(lang, "casework.previous"),
        ));
    }
    if page * PAGE < total {
        pager.push((format!("{}?{keep}&seite={}", paths::PAYMENTS_VIEW.path(), page + 1), tr(lang, "casework.next")));
    }
    if !pager.is_empty() {
        blocks.push(Block::Links(pager));
    }
    blocks.push(Block::Heading(tr(lang, "payments.exports_heading")));
    blocks.push(Block::Text(tr(lang, "payments.exports_intro")));
    let today = state.db.clock().today();
    let mut links = vec![(paths::EXPORT_CSV.with(&[&iso(today)]), tr(lang, "payments.export_today"))];
    links.extend(exports.iter().map(|e| {
        (
            paths::EXPORT_CSV.with(&[&iso(e.date)]),
            tr_with(
                lang,
                "payments.export_day",
                &[("day", &fmt_day(e.date)), ("rows", &e.rows.to_string()), ("total", &money(e.total_cents, lang))],
            ),
        )
    }));
    blocks.push(Block::Links(links));
    staff_page(
        &state,
        &ctx,
        lang,
        paths::PAYMENTS_VIEW.path(),
        Some(&s),
        StatusCode::OK,
        tr(lang, "payments.list_title"),
        blocks,
    )
    .await
}

pub(super) fn fmt_day(d: Date) -> String {
    format!("{:02}.{:02}.{}", d.day(), u8::from(d.month()), d.year())
}

/// The CSV of a day: the stored daily export, or (for today and days without one) made now.
pub(super) async fn export_csv(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    s: Staff,
    Params(date): Params<String>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Payments, Action::Read)?;
    let date = parse_day(date.trim_end_matches(".csv")).ok_or_else(AppError::not_found)?;
    let scope = crate::shared::cases::case_scope(&s.principal);
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    // the stored export holds every service; a case worker limited to some gets theirs, made now
    let stored = if scope.is_none() { repo::export_csv(&mut tx, date).await? } else { None };
    let csv = match stored {
        Some(csv) => csv,
        None => portal_payments::export::day_csv(&mut tx, date, scope.as_deref()).await?.0,
    };
    audit(&mut tx, &s, &ip, "payment.export", iso(date), serde_json::json!({ "scope": scope })).await?;
    tx.finish().await?;
    Ok(crate::kit::page::attachment(
        "text/csv; charset=utf-8",
        csv,
        &format!("zahlungen-{}-{}.csv", ctx.entry.slug, iso(date)),
    ))
}
