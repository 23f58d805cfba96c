//! What the youth office and the Träger look at: a program's ranked list (with each child's
//! points and their parts, deviations and offers) and the statistics of demand, supply and offers.

use portal_db::TenantTx;
use sqlx::Row as _;
use time::Date;

use super::allocation::{self, Loaded};
use super::applications::Application;
use super::{Program, Result, Scope, db};
use crate::criteria::Kind;

/// One child on a program's ranked list.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub position: usize,
    pub application: Application,
    pub points: i64,
    pub parts: Vec<(Kind, i64)>,
    pub deviation: Option<String>,
    /// The child's offer of this program in the current phase (held, declined …).
    pub offer: Option<String>,
}

/// The phase whose lists are shown: the one not done, or the next one.
async fn current_phase(tx: &mut TenantTx) -> Result<i32> {
    let all = allocation::phases(tx).await?;
    Ok(all.iter().find(|p| p.status != "done").map_or_else(|| all.last().map_or(1, |p| p.phase + 1), |p| p.phase))
}

/// The ranked list of a program of a facility in the scope (`None`: not in the scope).
pub async fn ranked_list(tx: &mut TenantTx, scope: &Scope, program: &Program) -> Result<Option<Vec<Ranked>>> {
    if super::facility(tx, scope, program.facility).await?.is_none() {
        return Ok(None);
    }
    let phase = current_phase(tx).await?;
    let l: Loaded = allocation::load(tx, phase).await?;
    let Some(p) = l.programs.iter().position(|x| x == program) else { return Ok(Some(Vec::new())) };
    let offers: std::collections::HashMap<uuid::Uuid, String> =
        sqlx::query("select application_id, status from kita_offer where phase = $1 and facility_id = $2 and care_type = $3 and start_month = $4")
            .bind(phase)
            .bind(program.facility)
            .bind(&program.care_type)
            .bind(program.start_month)
            .fetch_all(tx.conn())
            .await
            .map_err(db)?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
    let mut out = Vec::new();
    for (i, c) in l.instance.ranking[p].iter().enumerate() {
        let a = &l.applications[*c as usize];
        let (points, parts) = l.points.get(&(p as u32, *c)).cloned().unwrap_or_default();
        out.push(Ranked {
            position: i + 1,
            application: a.clone(),
            points,
            parts,
            deviation: l.deviations.get(&(p as u32, *c)).cloned(),
            offer: offers.get(&a.id).cloned(),
        });
    }
    Ok(Some(out))
}

/// Demand against supply for one group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Demand {
    pub key: String,
    pub applications: i64,
    pub places: i64,
    pub accepted: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Statistics {
    pub by_district: Vec<Demand>,
    pub by_care_type: Vec<Demand>,
    /// Applications by the child's age at the wanted start ("0", "1", "2", "3-5", "6+").
    pub by_age: Vec<Demand>,
    /// Children with no accepted or held place, and of them those with the legal entitlement
    /// (one year old or more at the wanted start).
    pub without_place: i64,
    pub entitled_without_place: i64,
    pub rounds: Vec<RoundCount>,
}

/// Offers of one round and where they stand now.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoundCount {
    pub phase: i32,
    pub round: i32,
    pub offers: i64,
    pub held: i64,
    pub declined: i64,
    pub accepted: i64,
    pub refused: i64,
    pub expired: i64,
}

fn age_group(birth: Date, start: Date) -> &'static str {
    match crate::criteria::age_months(birth, start) {
        m if m < 12 => "0",
        m if m < 24 => "1",
        m if m < 36 => "2",
        m if m < 72 => "3-5",
        _ => "6+",
    }
}

pub async fn statistics(tx: &mut TenantTx) -> Result<Statistics> {
    let apps = sqlx::query(
        "select coalesce(d.name, '–'), a.care_type, a.birth_date, a.start_month,
                exists (select 1 from kita_offer o where o.tenant_id = a.tenant_id and o.application_id = a.application_id and o.status = 'accepted'),
                exists (select 1 from kita_offer o where o.tenant_id = a.tenant_id and o.application_id = a.application_id and o.status in ('held', 'accepted'))
         from kita_application a left join kita_district d using (tenant_id, district_id) where a.status = 'submitted'",
    )
    .fetch_all(tx.conn())
    .await
    .map_err(db)?;
    let supply = sqlx::query("select coalesce(d.name, '–'), pl.care_type, sum(pl.places)::int8 from kita_places pl join kita_facility f using (tenant_id, facility_id) left join kita_district d on d.tenant_id = f.tenant_id and d.district_id = f.district_id where f.active group by 1, 2")
        .fetch_all(tx.conn())
        .await
        .map_err(db)?;
    let mut s = Statistics::default();
    let bump = |rows: &mut Vec<Demand>, key: &str, apps: i64, places: i64, accepted: i64| {
        if let Some(r) = rows.iter_mut().find(|r| r.key == key) {
            r.applications += apps;
            r.places += places;
            r.accepted += accepted;
        } else {
            rows.push(Demand { key: key.to_owned(), applications: apps, places, accepted });
        }
    };
    for r in &apps {
        let (district, care, birth, start, accepted, placed): (String, String, Date, Date, bool, bool) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5));
        let acc = i64::from(accepted);
        bump(&mut s.by_district, &district, 1, 0, acc);
        bump(&mut s.by_care_type, &care, 1, 0, acc);
        bump(&mut s.by_age, age_group(birth, start), 1, 0, acc);
        if !placed {
            s.without_place += 1;
            if crate::criteria::age_months(birth, start) >= 12 {
                s.entitled_without_place += 1;
            }
        }
    }
    for r in &supply {
        let (district, care, places): (String, String, i64) = (r.get(0), r.get(1), r.get(2));
        bump(&mut s.by_district, &district, 0, places, 0);
        bump(&mut s.by_care_type, &care, 0, places, 0);
    }
    for rows in [&mut s.by_district, &mut s.by_care_type, &mut s.by_age] {
        rows.sort_by(|a, b| a.key.cmp(&b.key));
    }
    s.rounds = sqlx::query(
        "select phase, round, count(*), count(*) filter (where status = 'held'), count(*) filter (where status = 'declined'), count(*) filter (where status = 'accepted'),
                count(*) filter (where status = 'refused'), count(*) filter (where status = 'expired')
         from kita_offer group by 1, 2 order by 1, 2",
    )
    .fetch_all(tx.conn())
    .await
    .map_err(db)?
    .iter()
    .map(|r| RoundCount { phase: r.get(0), round: r.get(1), offers: r.get(2), held: r.get(3), declined: r.get(4), accepted: r.get(5), refused: r.get(6), expired: r.get(7) })
    .collect();
    Ok(s)
}
