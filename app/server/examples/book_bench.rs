//! Benchmark driver for `benches/appointments.sh`: books appointments as fast as `TASKS` concurrent
//! tasks can, each through the same function the booking page uses (`repo::take`: advisory lock of
//! the location's day, expired holds released, free slots computed, insert checked by the
//! exclusion constraint), on the application role under row-level security. Tasks work on
//! different days so that they contend like citizens of a busy office, not on a single day's lock.
//! Prints `bookings=<n> seconds=<s> per_second=<r> taken=<t>`.

use std::time::{Duration, Instant};

use portal_appointments::Land;
use portal_appointments::repo::{self, BookError, Person, Request};
use portal_db::{Db, PoolSettings};
use portal_domain::{TenantId, civil};
use sqlx::postgres::PgConnectOptions;
use time::OffsetDateTime;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let env = |k: &str| std::env::var(k).map_err(|_| anyhow::anyhow!("{k} is not set"));
    let app: PgConnectOptions = env("APP__DATABASE__URL")?.parse()?;
    let platform: PgConnectOptions = env("APP__DATABASE__PLATFORM_URL")?.parse()?;
    let tenant = TenantId(env("BENCH_TENANT")?.parse()?);
    let location = env("BENCH_LOCATION")?.parse()?;
    let tasks: usize = env("TASKS").ok().and_then(|t| t.parse().ok()).unwrap_or(16);
    let seconds: u64 = env("SECONDS").ok().and_then(|t| t.parse().ok()).unwrap_or(10);
    let db = Db::connect_lazy(
        app,
        platform,
        &PoolSettings { max_connections: u32::try_from(tasks).unwrap_or(16) + 2, ..PoolSettings::default() },
    );
    let req = Request { location, services: vec!["personalausweis".into()], persons: 1 };
    let plan = {
        let mut tx = db.tenant(tenant).await?;
        let p = repo::plan(&repo::rules(&mut tx, location).await?, &req).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        tx.commit().await?;
        p
    };
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut handles = vec![];
    for i in 0..tasks {
        let (db, req, plan) = (db.clone(), req.clone(), plan.clone());
        handles.push(tokio::spawn(async move {
            let (mut booked, mut taken) = (0u64, 0u64);
            let today = civil::german(OffsetDateTime::now_utc()).date();
            let mut day = 1 + i64::try_from(i).unwrap_or(0);
            while Instant::now() < until && day <= plan.max_days_ahead {
                let date = today + time::Duration::days(day);
                let mut tx = db.tenant(tenant).await?;
                let now = OffsetDateTime::now_utc();
                let free = repo::free(&mut tx, Land::RP, &req, &plan, now, date, date, None).await?;
                tx.commit().await?;
                let Some(slot) = free.first() else {
                    day += i64::try_from(tasks).unwrap_or(1);
                    continue;
                };
                let person = Person {
                    name: "Bench".into(),
                    email: String::new(),
                    phone: "0631 1".into(),
                    lang: "de".into(),
                    portal_url: "http://bench".into(),
                    citizen: None,
                };
                let mut tx = db.tenant(tenant).await?;
                match repo::take(&mut tx, Land::RP, &req, &plan, slot.start, None, &person, now).await {
                    Ok(_) => {
                        tx.commit().await?;
                        booked += 1;
                    }
                    Err(BookError::Taken) => taken += 1,
                    Err(e) => return Err(anyhow::anyhow!("{e}")),
                }
            }
            Ok::<_, anyhow::Error>((booked, taken))
        }));
    }
    let (mut booked, mut taken) = (0, 0);
    for h in handles {
        let (b, t) = h.await??;
        booked += b;
        taken += t;
    }
    let secs = started.elapsed().as_secs_f64();
    println!("bookings={booked} seconds={secs:.2} per_second={:.0} taken={taken}", booked as f64 / secs);
    Ok(())
}
