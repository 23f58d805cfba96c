//! Search and compare: every facility of every Träger with filters (the child's age, care type,
//! scope, start month, distance from the parent's address, Träger, language), as a comparison
//! table and on a map; and each facility's profile with its places.

use crate::kit::params::Params;
use std::collections::BTreeMap;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use portal_domain::Lang;
use portal_kita::criteria::distance_km;
use portal_kita::repo::{self, Facility, Program, Scope};
use portal_ui::blocks::{Block, Cell, FilterSpec};
use portal_ui::i18n::{tr, tr_with};
use portal_ui::map::{MapMarker, MapSpec, map_block};
use portal_web::{AppError, AppState, TenantContext};
use uuid::Uuid;

use super::{care_label, month_text, month_value, parse_month, paths, settings_of};
use crate::kit::form::Fields;
use crate::kit::frame::blocks_page;
use crate::kit::page::Language;
use crate::kit::pipeline::tenant_tx;

/// The search's filters as read from the query.
#[derive(Debug, Default)]
struct Filter {
    age: Option<i32>,
    care: String,
    scope: Option<i32>,
    month: Option<time::Date>,
    provider: Option<Uuid>,
    language: String,
    address: String,
    km: Option<f64>,
}

impl Filter {
    fn from(f: &Fields) -> Self {
        Self {
            age: f.text("alter").parse().ok().filter(|a| (0..=12).contains(a)),
            care: f.text("betreuung"),
            scope: f.text("umfang").parse().ok(),
            month: parse_month(&f.text("beginn")),
            provider: Uuid::parse_str(&f.text("traeger")).ok(),
            language: f.text("sprache"),
            address: f.text("adresse").chars().take(200).collect(),
            km: f.text("km").parse().ok().filter(|k: &f64| *k > 0.0 && *k <= 100.0),
        }
    }
}

/// The care types a child of `age` years can get.
fn care_for_age(age: i32) -> &'static [&'static str] {
    match age {
        0..=2 => &["krippe", "tagespflege"],
        3..=5 => &["kita"],
        _ => &["hort"],
    }
}

pub(super) async fn search(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let f = Fields::from_query(q.as_deref())?;
    let filter = Filter::from(&f);
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let settings = settings_of(&mut tx).await?;
    let facilities = repo::facilities(&mut tx, &Scope::All, true).await?;
    let providers = repo::providers(&mut tx, &Scope::All).await?;
    let districts = repo::districts(&mut tx).await?;
    let places = repo::places(&mut tx, &Scope::All).await?;
    let mut by_facility: BTreeMap<Uuid, Vec<(Program, i32)>> = BTreeMap::new();
    for (p, n) in places {
        by_facility.entry(p.facility).or_default().push((p, n));
    }
    let home = repo::district_of_address(&districts, &filter.address);
    let mut blocks =
        vec![Block::Text(tr_with(lang, "kita.search_intro", &[("deadline", &super::date_text(settings.deadline))]))];
    if !filter.address.is_empty() && home.is_none() {
        blocks.push(Block::Notice("warning", tr(lang, "kita.address_unknown")));
    }
    let mut languages: Vec<String> = facilities.iter().flat_map(|x| x.languages.iter().cloned()).collect();
    languages.sort();
    languages.dedup();
    let any = || (String::new(), tr(lang, "kita.any"));
    blocks.push(Block::Filters(Box::new(FilterSpec {
        action: paths::SEARCH.path().into(),
        selects: vec![
            (
                "alter".into(),
                tr(lang, "kita.child_age"),
                std::iter::once(any())
                    .chain((0..=10).map(|a| (a.to_string(), tr_with(lang, "kita.years", &[("n", &a.to_string())]))))
                    .collect(),
                f.text("alter"),
            ),
            (
                "betreuung".into(),
                tr(lang, "kita.care_type"),
                std::iter::once(any()).chain(super::care_options(lang)).collect(),
                filter.care.clone(),
            ),
            (
                "umfang".into(),
                tr(lang, "kita.scope"),
                std::iter::once(any())
                    .chain(
                        [25, 35, 45]
                            .iter()
                            .map(|h| (h.to_string(), tr_with(lang, "kita.hours_week", &[("h", &h.to_string())]))),
                    )
                    .collect(),
                f.text("umfang"),
            ),
            (
                "beginn".into(),
                tr(lang, "kita.start_month"),
                std::iter::once(any()).chain(super::month_options(lang, &settings)).collect(),
                f.text("beginn"),
            ),
            (
                "traeger".into(),
                tr(lang, "kita.provider"),
                std::iter::once(any()).chain(providers.iter().map(|p| (p.id.to_string(), p.name.clone()))).collect(),
                f.text("traeger"),
            ),
            (
                "sprache".into(),
                tr(lang, "kita.language"),
                std::iter::once(any()).chain(languages.iter().map(|l| (l.clone(), language_name(lang, l)))).collect(),
                filter.language.clone(),
            ),
            (
                "km".into(),
                tr(lang, "kita.max_distance"),
                std::iter::once(any())
                    .chain([1, 2, 3, 5, 10].iter().map(|k| (k.to_string(), format!("{k} km"))))
                    .collect(),
                f.text("km"),
            ),
        ],
        dates: vec![],
        texts: vec![("adresse".into(), tr(lang, "kita.your_address"), filter.address.clone())],
        checks: vec![],
        submit: tr(lang, "kita.search_submit"),
    })));
    let mut rows = Vec::new();
    let mut markers = Vec::new();
    // with an address given, the nearest first (those without a position last)
    let mut near: Vec<_> = facilities
        .iter()
        .map(|fac| (fac, home.zip(fac.position).map(|(h, p)| distance_km((h.lat, h.lon), p))))
        .collect();
    near.sort_by(|a, b| match (a.1, b.1) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    for (fac, distance) in near {
        let programs = by_facility.get(&fac.id).cloned().unwrap_or_default();
        if !matches(&filter, fac, &programs, distance) {
            continue;
        }
        let mut care: Vec<String> = Vec::new();
        for (p, n) in &programs {
            if *n > 0 && !care.contains(&p.care_type) {
                care.push(p.care_type.clone());
            }
        }
        let total: i32 = programs.iter().map(|(_, n)| n).sum();
        let care_text = care.iter().map(|c| care_label(lang, c)).collect::<Vec<_>>().join(", ");
        rows.push(vec![
            Cell::Link(paths::FACILITY.with(&[&fac.id]), fac.name.clone()),
            Cell::Text(fac.provider_name.clone()),
            Cell::Text(care_text.clone()),
            Cell::Text(total.to_string()),
            Cell::Text(fac.scopes.iter().map(|h| format!("{h} h")).collect::<Vec<_>>().join(", ")),
            Cell::Text(fac.languages.iter().map(|l| language_name(lang, l)).collect::<Vec<_>>().join(", ")),
            Cell::Text(distance.map_or_else(|| "–".into(), |d| format!("{} km", lang.decimal(d, 1)))),
        ]);
        if let Some((lat, lon)) = fac.position {
            markers.push(MapMarker {
                lat,
                lon,
                label: fac.name.clone(),
                detail: format!("{} · {care_text}", fac.provider_name),
                link: paths::FACILITY.with(&[&fac.id]),
            });
        }
    }
    blocks.push(map_block(MapSpec {
        tiles: state.config.map_tiles.clone(),
        attribution: state.config.map_attribution.clone(),
        label: tr(lang, "kita.map_label"),
        markers,
    }));
    blocks.push(Block::Table {
        caption: tr_with(lang, "kita.found", &[("n", &rows.len().to_string())]),
        headers: vec![
            tr(lang, "kita.facility"),
            tr(lang, "kita.provider"),
            tr(lang, "kita.care_type"),
            tr(lang, "kita.places"),
            tr(lang, "kita.scope"),
            tr(lang, "kita.languages"),
            tr(lang, "kita.distance"),
        ],
        rows,
        empty: tr(lang, "kita.none_found"),
    });
    blocks.push(Block::Links(vec![
        (paths::APPLY.path().into(), tr(lang, "kita.apply_link")),
        (paths::MINE.path().into(), tr(lang, "kita.mine_title")),
    ]));
    blocks_page(
        &state,
        &ctx,
        tx,
        lang,
        paths::SEARCH.path(),
        StatusCode::OK,
        tr(lang, "kita.search_title"),
        vec![],
        blocks,
    )
    .await
}

/// Whether a facility passes the filters.
fn matches(filter: &Filter, fac: &Facility, programs: &[(Program, i32)], distance: Option<f64>) -> bool {
    let offered = |care: &str| {
        programs.iter().any(|(p, n)| *n > 0 && p.care_type == care && filter.month.is_none_or(|m| p.start_month <= m))
    };
    let care_ok = match (filter.age, filter.care.as_str()) {
        (_, c) if !c.is_empty() && !offered(c) => false,
        (Some(age), _) => care_for_age(age).iter().any(|c| offered(c)),
        _ => {
            filter.month.is_none()
                || programs.iter().any(|(p, n)| *n > 0 && filter.month.is_some_and(|m| p.start_month <= m))
        }
    };
    care_ok
        && filter.scope.is_none_or(|s| fac.scopes.contains(&s))
        && filter.provider.is_none_or(|p| fac.provider_id == p)
        && (filter.language.is_empty() || fac.languages.contains(&filter.language))
        && filter.km.is_none_or(|k| distance.is_some_and(|d| d <= k))
}

/// A language code as people read it.
fn language_name(lang: Lang, code: &str) -> String {
    let key = format!("kita.lang_{code}");
    let t = tr(lang, &key);
    if t == key { code.to_owned() } else { t }
}

pub(super) async fn facility_page(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    Params(id): Params<Uuid>,
) -> Result<Response, AppError> {
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    settings_of(&mut tx).await?;
    let fac = repo::facility(&mut tx, &Scope::All, id).await?.filter(|f| f.active).ok_or_else(AppError::not_found)?;
    let places: Vec<(Program, i32)> = repo::places(&mut tx, &Scope::Providers(vec![fac.provider_id]))
        .await?
        .into_iter()
        .filter(|(p, _)| p.facility == id)
        .collect();
    let district = repo::districts(&mut tx).await?.into_iter().find(|d| Some(d.id) == fac.district_id).map(|d| d.name);
    let mut facts = vec![
        (
            tr(lang, "kita.provider"),
            format!("{} ({})", fac.provider_name, tr(lang, &format!("kita.provider_{}", fac.provider_kind))),
            None,
        ),
        (tr(lang, "kita.address"), fac.address.clone(), None),
    ];
    if let Some(d) = district {
        facts.push((tr(lang, "kita.district"), d, None));
    }
    for (key, value) in
        [("kita.opening_hours", &fac.opening_hours), ("kita.concept", &fac.concept), ("kita.meals", &fac.meals)]
    {
        if !value.is_empty() {
            facts.push((tr(lang, key), value.clone(), None));
        }
    }
    facts.push((
        tr(lang, "kita.scope"),
        fac.scopes
            .iter()
            .map(|h| tr_with(lang, "kita.hours_week", &[("h", &h.to_string())]))
            .collect::<Vec<_>>()
            .join(", "),
        None,
    ));
    facts.push((
        tr(lang, "kita.languages"),
        fac.languages.iter().map(|l| language_name(lang, l)).collect::<Vec<_>>().join(", "),
        None,
    ));
    facts.push((tr(lang, "kita.accessible"), tr(lang, if fac.accessible { "kita.yes" } else { "kita.no" }), None));
    let mut blocks = vec![Block::Facts(facts)];
    blocks.push(Block::Table {
        caption: tr(lang, "kita.places_title"),
        headers: vec![tr(lang, "kita.care_type"), tr(lang, "kita.start_month"), tr(lang, "kita.places")],
        rows: places
            .iter()
            .map(|(p, n)| {
                vec![
                    Cell::Text(care_label(lang, &p.care_type)),
                    Cell::Text(month_text(lang, p.start_month)),
                    Cell::Text(n.to_string()),
                ]
            })
            .collect(),
        empty: tr(lang, "kita.no_places"),
    });
    if let Some((lat, lon)) = fac.position {
        blocks.push(map_block(MapSpec {
            tiles: state.config.map_tiles.clone(),
            attribution: state.config.map_attribution.clone(),
            label: tr(lang, "kita.map_label"),
            markers: vec![MapMarker {
                lat,
                lon,
                label: fac.name.clone(),
                detail: fac.address.clone(),
                link: paths::FACILITY.with(&[&fac.id]),
            }],
        }));
    }
    let start = places.iter().map(|(p, _)| p.start_month).min().map(month_value).unwrap_or_default();
    blocks.push(Block::Links(vec![
        (format!("{}?pref_1={}&start_month={start}", paths::APPLY.path(), fac.id), tr(lang, "kita.apply_here")),
        (paths::SEARCH.path().into(), tr(lang, "kita.back_to_search")),
    ]));
    blocks_page(&state, &ctx, tx, lang, &paths::FACILITY.with(&[&id]), StatusCode::OK, fac.name.clone(), vec![], blocks)
        .await
}
