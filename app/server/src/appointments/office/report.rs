//! The office's report: bookings, waiting and service times per day, on the page and as CSV.

use super::*;
use crate::kit::page::Language;

#[derive(Deserialize, Default)]
pub(crate) struct ReportQuery {
    #[serde(default)]
    ort: String,
    #[serde(default)]
    von: String,
    #[serde(default)]
    bis: String,
}

pub(super) struct Report {
    locations: Vec<Location>,
    location: Option<Location>,
    from: time::Date,
    to: time::Date,
    stats: Vec<repo::DayStats>,
    quality: Vec<(time::Date, portal_appointments::estimate::Quality)>,
}

pub(super) async fn report_data(state: &AppState, ctx: &TenantContext, q: &ReportQuery) -> Result<Report, AppError> {
    let today = state.db.clock().today();
    let to = parse_date(&q.bis).unwrap_or(today);
    let from = parse_date(&q.von).unwrap_or(to - Duration::days(13)).max(to - Duration::days(366));
    let mut tx = tenant_tx(state, ctx.entry.tenant_id).await?;
    let locations = repo::locations(&mut tx).await?;
    let location = Uuid::parse_str(&q.ort)
        .ok()
        .and_then(|id| locations.iter().find(|l| l.id == id).cloned())
        .or_else(|| locations.first().cloned());
    let (stats, quality) = match &location {
        Some(l) => {
            (repo::stats(&mut tx, l.id, from, to).await?, repo::estimate_quality(&mut tx, l.id, from, to).await?)
        }
        None => (vec![], vec![]),
    };
    tx.finish().await?;
    Ok(Report { locations, location, from, to, stats, quality })
}

pub(super) fn minutes(secs: Option<f64>) -> String {
    secs.map(|s| format!("{:.1}", s / 60.0)).unwrap_or_default()
}

pub(crate) async fn report(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Read)?;
    let r = report_data(&state, &ctx, &q).await?;
    let content = page::content(&state, &ctx).await?;
    let loc_id = r.location.as_ref().map(|l| l.id.to_string()).unwrap_or_default();
    let mut blocks = vec![Block::Filters(Box::new(FilterSpec {
        action: paths::REPORT.path().into(),
        selects: vec![(
            "ort".into(),
            tr(lang, "appointments.location"),
            r.locations.iter().map(|l| (l.id.to_string(), l.name.clone())).collect(),
            loc_id.clone(),
        )],
        dates: vec![
            ("von".into(), tr(lang, "appointments.from"), iso_date(r.from)),
            ("bis".into(), tr(lang, "appointments.to"), iso_date(r.to)),
        ],
        texts: vec![],
        checks: vec![],
        submit: tr(lang, "appointments.show"),
    }))];
    blocks.push(Block::Table {
        caption: tr(lang, "appointments.quality_caption"),
        headers: vec![
            tr(lang, "appointments.day"),
            tr(lang, "appointments.walk_ins"),
            tr(lang, "appointments.mae"),
            tr(lang, "appointments.within_five"),
        ],
        rows: r
            .quality
            .iter()
            .map(|(d, q)| {
                vec![
                    Cell::Text(iso_date(*d)),
                    Cell::Text(q.count.to_string()),
                    Cell::Text(format!("{:.1}", q.mae_secs / 60.0)),
                    Cell::Text(format!("{:.0} %", q.within_five * 100.0)),
                ]
            })
            .collect(),
        empty: tr(lang, "appointments.no_data"),
    });
    blocks.push(Block::Table {
        caption: tr(lang, "appointments.stats_caption"),
        headers: [
            "day",
            "service",
            "bookings",
            "cancellations",
            "no_shows",
            "walk_ins",
            "served",
            "wait_avg",
            "wait_p90",
            "service_avg",
            "service_p90",
        ]
        .iter()
        .map(|k| tr(lang, &format!("appointments.col_{k}")))
        .collect(),
        rows: r
            .stats
            .iter()
            .map(|x| {
                vec![
                    Cell::Text(iso_date(x.day)),
                    Cell::Text(service_name(&content, lang, &x.service)),
                    Cell::Text(x.bookings.to_string()),
                    Cell::Text(x.cancellations.to_string()),
                    Cell::Text(x.no_shows.to_string()),
                    Cell::Text(x.walk_ins.to_string()),
                    Cell::Text(x.served.to_string()),
                    Cell::Text(minutes(x.wait_avg_secs)),
                    Cell::Text(minutes(x.wait_p90_secs)),
                    Cell::Text(minutes(x.service_avg_secs)),
                    Cell::Text(minutes(x.service_p90_secs)),
                ]
            })
            .collect(),
        empty: tr(lang, "appointments.no_data"),
    });
    blocks.push(Block::Links(vec![(
        format!("{}?ort={loc_id}&von={}&bis={}", paths::REPORT_CSV.path(), iso_date(r.from), iso_date(r.to)),
        tr(lang, "appointments.csv"),
    )]));
    staff_page(
        &state,
        &ctx,
        lang,
        paths::REPORT.path(),
        Some(&s),
        StatusCode::OK,
        tr(lang, "appointments.report_title"),
        blocks,
    )
    .await
}

pub(crate) async fn report_csv(
    State(state): State<AppState>,
    ctx: TenantContext,
    s: Staff,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Appointments, Action::Read)?;
    let r = report_data(&state, &ctx, &q).await?;
    let mut out = String::from(
        "Standort;Tag;Leistung;Buchungen;Absagen;Nicht erschienen;Spontan;Bedient;Wartezeit Mittel (min);Wartezeit P90 (min);Bedienzeit Mittel (min);Bedienzeit P90 (min)\r\n",
    );
    let name = r.location.as_ref().map(|l| l.name.clone()).unwrap_or_default();
    for x in &r.stats {
        out.push_str(
            &[
                portal_payments::export::field(&name),
                iso_date(x.day),
                portal_payments::export::field(&x.service),
                x.bookings.to_string(),
                x.cancellations.to_string(),
                x.no_shows.to_string(),
                x.walk_ins.to_string(),
                x.served.to_string(),
                minutes(x.wait_avg_secs),
                minutes(x.wait_p90_secs),
                minutes(x.service_avg_secs),
                minutes(x.service_p90_secs),
            ]
            .join(";"),
        );
        out.push_str("\r\n");
    }
    Ok(page::attachment(
        "text/csv; charset=utf-8",
        out,
        &format!("termine-{}-{}.csv", iso_date(r.from), iso_date(r.to)),
    ))
}
