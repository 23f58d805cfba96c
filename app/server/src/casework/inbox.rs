//! The office's inbox: the cases a member of staff may see, filtered, sorted and paged.

use super::*;
use crate::kit::page::Language;

#[derive(Deserialize, Default)]
pub(super) struct InboxParams {
    #[serde(default)]
    leistung: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    meine: Option<String>,
    #[serde(default)]
    ueberfaellig: Option<String>,
    #[serde(default)]
    sortierung: String,
    #[serde(default)]
    seite: u32,
}

pub(super) const PER_PAGE: u32 = 25;

pub(super) async fn inbox(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Query(p): Query<InboxParams>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Cases, Action::Read)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let scope = case_scope(&s.principal);
    let status = Status::parse(&p.status);
    let q = InboxQuery {
        scope: scope.clone(),
        service: (!p.leistung.is_empty()).then(|| p.leistung.clone()),
        status,
        open_only: p.status.is_empty(),
        assigned_to: p.meine.as_ref().map(|_| s.user.staff_id),
        overdue: p.ueberfaellig.is_some(),
        sort: Sort::parse(&p.sortierung),
        page: p.seite,
        per_page: PER_PAGE,
    };
    let (rows, total) = cases::inbox(&mut tx, &q).await?;
    let services: Vec<(String, String)> = catalogue::active_services(&mut tx, lang)
        .await?
        .into_iter()
        .map(|a| (a.service_slug.clone(), lang.pick(a.name_de.clone(), a.name_en.clone())))
        .filter(|(slug, _)| scope.as_ref().is_none_or(|sc| sc.contains(slug)))
        .collect();
    tx.finish().await?;

    let mut service_options = vec![(String::new(), tr(lang, "casework.all_services"))];
    service_options.extend(services);
    let mut status_options =
        vec![(String::new(), tr(lang, "casework.open_cases")), ("alle".to_owned(), tr(lang, "casework.all_statuses"))];
    status_options.extend(cases::status::ALL.iter().map(|st| (st.as_str().to_owned(), status_label(lang, *st))));
    let filters = FilterSpec {
        action: paths::INBOX.path().into(),
        selects: vec![
            ("leistung".into(), tr(lang, "casework.service"), service_options, p.leistung.clone()),
            ("status".into(), tr(lang, "casework.status"), status_options, p.status.clone()),
            (
                "sortierung".into(),
                tr(lang, "casework.sort"),
                vec![
                    ("neu".into(), tr(lang, "casework.sort_newest")),
                    ("alt".into(), tr(lang, "casework.sort_oldest")),
                    ("frist".into(), tr(lang, "casework.sort_due")),
                ],
                q.sort.code().to_owned(),
            ),
        ],
        dates: vec![],
        texts: vec![],
        checks: vec![
            ("meine".into(), tr(lang, "casework.only_mine"), p.meine.is_some()),
            ("ueberfaellig".into(), tr(lang, "casework.only_overdue"), p.ueberfaellig.is_some()),
        ],
        submit: tr(lang, "casework.filter"),
    };
    let now = state.db.now();
    let table_rows = rows
        .iter()
        .map(|c| {
            vec![
                Cell::Link(paths::CASE_VIEW.with(&[&c.case_id]), c.reference.clone()),
                Cell::Text(c.service_name.get(lang).to_owned()),
                Cell::Text(c.applicant_name.clone()),
                Cell::Text(fmt_date(c.submitted_at)),
                if c.overdue(now) {
                    Cell::Badge("danger", format!("{} – {}", fmt_date(c.due_at), tr(lang, "casework.overdue_badge")))
                } else {
                    Cell::Text(fmt_date(c.due_at))
                },
                Cell::Badge(c.status.badge(), status_label(lang, c.status)),
                Cell::Text(c.assigned_name.clone().unwrap_or_else(|| "–".into())),
            ]
        })
        .collect();
    let pages = (total as u32).div_ceil(PER_PAGE).max(1);
    let mut blocks = vec![
        Block::Filters(Box::new(filters)),
        Block::Text(tr_with(
            lang,
            "casework.count",
            &[("total", &total.to_string()), ("page", &(p.seite + 1).to_string()), ("pages", &pages.to_string())],
        )),
        Block::Table {
            caption: tr(lang, "casework.inbox_caption"),
            headers: vec![
                tr(lang, "cases.reference"),
                tr(lang, "casework.service"),
                tr(lang, "cases.applicant"),
                tr(lang, "cases.submitted_at"),
                tr(lang, "casework.due"),
                tr(lang, "casework.status"),
                tr(lang, "casework.assigned"),
            ],
            rows: table_rows,
            empty: tr(lang, "casework.empty"),
        },
    ];
    let link = |page: u32| {
        let mut qs = vec![format!("seite={page}")];
        for (k, v) in [("leistung", &p.leistung), ("status", &p.status), ("sortierung", &p.sortierung)] {
            if !v.is_empty() {
                qs.push(format!("{k}={}", urlencoding::encode(v)));
            }
        }
        if p.meine.is_some() {
            qs.push("meine=1".into());
        }
        if p.ueberfaellig.is_some() {
            qs.push("ueberfaellig=1".into());
        }
        format!("{}?{}", paths::INBOX.path(), qs.join("&"))
    };
    let mut pager = Vec::new();
    if p.seite > 0 {
        pager.push((link(p.seite - 1), tr(lang, "casework.previous")));
    }
    if p.seite + 1 < pages {
        pager.push((link(p.seite + 1), tr(lang, "casework.next")));
    }
    if !pager.is_empty() {
        blocks.push(Block::Links(pager));
    }
    staff_page(
        &state,
        &ctx,
        lang,
        paths::INBOX.path(),
        Some(&s),
        StatusCode::OK,
        tr(lang, "casework.inbox_title"),
        blocks,
    )
    .await
}
