//! Benchmark driver for `benches/kita.sh`: the coordinated allocation of a generated city of
//! 10,000 children and 150 facilities (reproducible from its seed).
//!
//! 1. In memory (`portal_kita`): building the ranked lists from the criteria (the baseline), then
//!    the rounds of deferred acceptance, and the stability check; median of `RUNS` runs, and the
//!    process's peak memory.
//! 2. In the database, the production path: the city is stored as a tenant's facilities, places and
//!    applications (tenant `BENCH_TENANT_SLUG`, default "guetersloh"), then one phase is started
//!    and run to the end with `portal_kita::repo::allocation` (load, every round's offers written,
//!    the stability check) in one transaction, as the youth office's button does.
//!
//! Prints `key=value` lines.

use std::time::Instant;

use portal_db::{Db, PoolSettings};
use portal_kita::generate::{self, Rng};
use portal_kita::matching::{self, State};
use portal_kita::repo::applications::{self, Draft, Origin};
use portal_kita::repo::{self, Facility, Program, Provider, Settings, allocation};
use sqlx::postgres::PgConnectOptions;
use uuid::Uuid;

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let env = |k: &str| std::env::var(k).map_err(|_| anyhow::anyhow!("{k} is not set"));
    let children: usize = env("CHILDREN").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let facilities: usize = env("FACILITIES").ok().and_then(|v| v.parse().ok()).unwrap_or(150);
    let runs: usize = env("RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let seed = 15;

    // 1. in memory
    let rss_start = status_kb("VmRSS:");
    let city = generate::city(seed, children, facilities, 5);
    let criteria = generate::default_criteria();
    let (mut build, mut rounds_ms, mut check_ms) = (vec![], vec![], vec![]);
    let mut summary = String::new();
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let inst = city.instance(&criteria);
        build.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let mut state = State::new(&inst);
        let rounds = state.run(&inst);
        rounds_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let blocking = matching::blocking_pairs(&inst, &state.held).len();
        check_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(blocking == 0 && matching::feasible(&inst, &state.held), "unstable result");
        summary = format!(
            "rounds={} offers={} placed={} places={}",
            rounds.len(),
            state.offers.len(),
            state.held.iter().flatten().count(),
            inst.capacity.iter().sum::<u32>()
        );
    }
    println!("memory.city children={children} facilities={facilities} {summary}");
    println!(
        "memory.ms ranked_lists={:.1} rounds={:.1} stability_check={:.1} ratio_rounds_to_lists={:.2}",
        median(build.clone()),
        median(rounds_ms.clone()),
        median(check_ms),
        median(rounds_ms) / median(build)
    );
    println!("memory.kb rss_before={rss_start} rss_peak={} ", status_kb("VmHWM:"));

    // 2. in the database
    let Ok(app_url) = env("APP__DATABASE__URL") else { return Ok(()) };
    let app: PgConnectOptions = app_url.parse()?;
    let platform: PgConnectOptions = env("APP__DATABASE__PLATFORM_URL")?.parse()?;
    let db = Db::connect_lazy(app, platform, &PoolSettings { max_connections: 4, ..PoolSettings::default() });
    let slug = env("BENCH_TENANT_SLUG").unwrap_or_else(|_| "guetersloh".into());
    let tenant = {
        let mut p = db.platform().await?;
        let t = portal_tenancy::repo::get_by_slug(&mut p, &slug)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no tenant {slug}"))?
            .id();
        p.commit().await?;
        t
    };
    let t = Instant::now();
    let mut tx = db.tenant(tenant).await?;
    repo::save_settings(
        &mut tx,
        &Settings { year_start: generate::START, deadline: generate::START, max_preferences: 5, accept_days: 14 },
    )
    .await?;
    let provider = Provider {
        id: Uuid::now_v7(),
        name: format!("Bench-Träger {}", Uuid::now_v7()),
        kind: "municipal".into(),
        contact: String::new(),
    };
    repo::save_provider(&mut tx, &provider).await?;
    let district = repo::save_district(&mut tx, "Bench", generate::CENTRE.0, generate::CENTRE.1, &[]).await?;
    let mut ids = Vec::with_capacity(facilities);
    for (i, place) in city.facilities.iter().enumerate() {
        let f = Facility {
            id: Uuid::now_v7(),
            provider_id: provider.id,
            provider_name: String::new(),
            provider_kind: String::new(),
            name: format!("Bench-Kita {i}"),
            kind: "kita".into(),
            address: format!("Benchstraße {i}"),
            district_id: Some(district),
            position: place.position,
            opening_hours: String::new(),
            scopes: vec![25, 35, 45],
            concept: String::new(),
            languages: vec!["de".into()],
            meals: String::new(),
            accessible: false,
            active: true,
        };
        repo::save_facility(&mut tx, &f).await?;
        for (care, n) in ["krippe", "kita", "hort"].iter().zip(city.places[i]) {
            repo::set_places(
                &mut tx,
                &Program { facility: f.id, care_type: (*care).into(), start_month: generate::START },
                i32::try_from(n).unwrap_or(0),
            )
            .await?;
        }
        ids.push(f.id);
    }
    let mut rng = Rng::new(seed);
    for (c, (care, ranked)) in city.wishes.iter().enumerate() {
        let a = &city.children[c];
        let person = generate::random_child(&mut rng, generate::START.year());
        let draft = Draft {
            child_first: person.first_name,
            child_last: person.last_name,
            birth_date: a.birth_date,
            address: person.address,
            district_id: Some(district),
            care_type: ["krippe", "kita", "hort"][*care].into(),
            start_month: Some(generate::START),
            scope_hours: 35,
            working_parents: i16::from(a.working_parents),
            single_parent: a.single_parent,
            siblings_at: a
                .siblings_at
                .iter()
                .filter_map(|s| city.facilities.iter().position(|f| f.facility == *s))
                .map(|i| ids[i])
                .collect(),
            parent_name: "Bench".into(),
            email: String::new(),
            phone: "0".into(),
            preferences: ranked.iter().map(|f| ids[*f]).collect(),
        };
        applications::submit(&mut tx, &draft, Origin::Demo, "de", "", &format!("bench-{c}-{}", provider.id)).await?;
    }
    tx.commit().await?;
    println!("db.stored seconds={:.1}", t.elapsed().as_secs_f64());

    let rss_before = status_kb("VmRSS:");
    let t = Instant::now();
    let mut tx = db.tenant(tenant).await?;
    let phase = allocation::start(&mut tx).await?.map_err(|e| anyhow::anyhow!("start: {e:?}"))?;
    let done = allocation::rounds(&mut tx, usize::MAX).await?.map_err(|e| anyhow::anyhow!("rounds: {e:?}"))?;
    tx.commit().await?;
    let seconds = t.elapsed().as_secs_f64();
    let mut tx = db.tenant(tenant).await?;
    let (status, stable, offers): (String, Option<bool>, i64) =
        sqlx::query_as("select k.status, k.stable, (select count(*) from kita_offer o where o.tenant_id = k.tenant_id and o.phase = k.phase) from kita_allocation k where k.phase = $1")
            .bind(phase)
            .fetch_one(tx.conn())
            .await?;
    tx.commit().await?;
    println!(
        "db.allocation seconds={seconds:.2} rounds={} offers_written={offers} status={status} stable={stable:?}",
        done.len()
    );
    println!("db.kb rss_before={rss_before} rss_peak={}", status_kb("VmHWM:"));
    Ok(())
}
