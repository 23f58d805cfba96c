//! The coordinated allocation in the database: phases, their rounds' offers, the stability check
//! when a phase closes, the parents' answers, expiry, and the youth office's statistics. The
//! matching itself is [`crate::matching`]; each round rebuilds its state from the stored offers,
//! so rounds can run in separate requests (a transaction-level advisory lock keeps two at once out).

use std::collections::HashMap;

use portal_db::TenantTx;
use sqlx::Row;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::applications::{self, Application};
use super::{Facility, Program, Result, Scope, db};
pub use super::{lock, rounds_open};
use crate::criteria::{self, Applicant, Entry, Kind, Place};
use crate::matching::{self, Instance, Offer, OfferStatus, RoundOutcome, State};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phase {
    pub phase: i32,
    pub status: String,
    pub rounds: i32,
    pub stable: Option<bool>,
    pub blocking_pairs: Option<i32>,
    pub accept_until: Option<OffsetDateTime>,
}

pub async fn phases(tx: &mut TenantTx) -> Result<Vec<Phase>> {
    let rows = sqlx::query(
        "select phase, status, rounds, stable, blocking_pairs, accept_until from kita_allocation order by phase",
    )
    .fetch_all(tx.conn())
    .await
    .map_err(db)?;
    Ok(rows
        .iter()
        .map(|r| Phase {
            phase: r.get(0),
            status: r.get(1),
            rounds: r.get(2),
            stable: r.get(3),
            blocking_pairs: r.get(4),
            accept_until: r.get(5),
        })
        .collect())
}

/// Why the allocation refused a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// A phase is still running, or its offers are not all answered.
    PhaseOpen,
    /// Not in the state the step needs (e.g. offers sent before the rounds ended).
    WrongState,
    /// Nothing left to allocate: no child waiting for a place, or no free place.
    NothingToDo,
    /// The offer is not (or no longer) open: answered, expired, or another child's.
    NotOpen,
    /// Possible duplicates are undecided: the same child could hold two places.
    DuplicatesOpen,
}

/// The care type a child gets at a facility: a childminder only offers Tagespflege; at a Kita a
/// child under three asking for Tagespflege gets Krippe.
pub fn care_at(facility_kind: &str, wanted: &str) -> &'static str {
    match (facility_kind, wanted) {
        ("tagespflege", _) => "tagespflege",
        (_, "krippe" | "tagespflege") => "krippe",
        (_, "hort") => "hort",
        _ => "kita",
    }
}

/// A child's points at a program and each criterion's share.
pub type Points = (i64, Vec<(Kind, i64)>);

/// An allocation phase's instance, with what its indices stand for.
pub struct Loaded {
    pub programs: Vec<Program>,
    pub applications: Vec<Application>,
    pub instance: Instance,
    /// Per program and child: the points and their parts (for the ranked lists' explanation).
    pub points: HashMap<(u32, u32), Points>,
    pub deviations: HashMap<(u32, u32), String>,
}

/// The program a preference for `facility` means for an application: the facility's program of
/// the child's care type with the latest start month not after the wanted one.
fn program_for(places: &[(Program, i32)], facility: &Facility, a: &Application) -> Option<usize> {
    let care = care_at(&facility.kind, &a.care_type);
    places
        .iter()
        .enumerate()
        .filter(|(_, (p, _))| p.facility == facility.id && p.care_type == care && p.start_month <= a.start_month)
        .max_by_key(|(_, (p, _))| p.start_month)
        .map(|(i, _)| i)
}

/// Loads the instance of `phase`: places less those accepted in earlier phases, and the children
/// still without a place who have not refused or let an offer expire.
pub async fn load(tx: &mut TenantTx, phase: i32) -> Result<Loaded> {
    let places = super::places(tx, &Scope::All).await?;
    let facilities: HashMap<Uuid, Facility> =
        super::facilities(tx, &Scope::All, true).await?.into_iter().map(|f| (f.id, f)).collect();
    let districts: HashMap<Uuid, (f64, f64)> =
        super::districts(tx).await?.into_iter().map(|d| (d.id, (d.lat, d.lon))).collect();
    let criteria = super::criteria(tx).await?;
    let taken: HashMap<(Uuid, String, Date), i64> = sqlx::query("select facility_id, care_type, start_month, count(*) from kita_offer where status = 'accepted' and phase < $1 group by 1, 2, 3")
        .bind(phase)
        .fetch_all(tx.conn())
        .await
        .map_err(db)?
        .iter()
        .map(|r| ((r.get(0), r.get(1), r.get(2)), r.get(3)))
        .collect();
    let out: std::collections::HashSet<Uuid> = sqlx::query_scalar("select application_id from kita_offer where (status in ('accepted', 'refused', 'expired') or (status = 'held' and phase < $1))")
        .bind(phase)
        .fetch_all(tx.conn())
        .await
        .map_err(db)?
        .into_iter()
        .collect();
    let deviations_rows =
        sqlx::query("select facility_id, care_type, start_month, application_id, reason, extract(epoch from recorded_at)::float8 from kita_deviation").fetch_all(tx.conn()).await.map_err(db)?;
    let apps: Vec<Application> = applications::list(tx, &Scope::All, Some("submitted"), i64::MAX)
        .await?
        .into_iter()
        .filter(|a| !out.contains(&a.id))
        .rev()
        .collect();

    let capacity: Vec<u32> = places
        .iter()
        .map(|(p, n)| {
            u32::try_from(
                i64::from(*n) - taken.get(&(p.facility, p.care_type.clone(), p.start_month)).copied().unwrap_or(0),
            )
            .unwrap_or(0)
        })
        .collect();
    let program_index: HashMap<&Program, u32> = places.iter().enumerate().map(|(i, (p, _))| (p, i as u32)).collect();
    let child_index: HashMap<Uuid, u32> = apps.iter().enumerate().map(|(i, a)| (a.id, i as u32)).collect();
    let mut deviation_at: HashMap<(u32, u32), (i64, String)> = HashMap::new();
    for r in &deviations_rows {
        let program = Program { facility: r.get(0), care_type: r.get(1), start_month: r.get(2) };
        if let (Some(p), Some(c)) = (program_index.get(&program), child_index.get(&r.get::<Uuid, _>(3))) {
            deviation_at.insert((*p, *c), ((r.get::<f64, _>(5) * 1000.0) as i64, r.get(4)));
        }
    }
    let mut entries: Vec<Vec<Entry>> = vec![Vec::new(); places.len()];
    let mut preferences = Vec::with_capacity(apps.len());
    let mut points = HashMap::new();
    for (c, a) in apps.iter().enumerate() {
        let home = a.district_id.and_then(|d| districts.get(&d).copied());
        let applicant = Applicant {
            birth_date: Some(a.birth_date),
            working_parents: u8::try_from(a.working_parents).unwrap_or(0),
            single_parent: a.single_parent,
            social: a.social,
            home,
            district: a.district_id,
            siblings_at: a.siblings_at.clone(),
        };
        let mut prefs = Vec::new();
        for f in &a.preferences {
            let Some(facility) = facilities.get(f) else { continue };
            let Some(p) = program_for(&places, facility, a) else { continue };
            let place = Place { facility: facility.id, position: facility.position, district: facility.district_id };
            let (total, parts) = criteria::points(&criteria, &applicant, &place, a.start_month);
            let deviation = deviation_at.get(&(p as u32, c as u32)).map(|d| d.0);
            entries[p].push(Entry {
                child: c as u32,
                points: total,
                applied: a.created_at.unix_timestamp(),
                deviation,
                tie: a.id.as_u128(),
            });
            points.insert((p as u32, c as u32), (total, parts));
            prefs.push(p as u32);
        }
        preferences.push(prefs);
    }
    let instance = criteria::instance(capacity, preferences, entries);
    Ok(Loaded {
        programs: places.into_iter().map(|(p, _)| p).collect(),
        applications: apps,
        instance,
        points,
        deviations: deviation_at.into_iter().map(|(k, v)| (k, v.1)).collect(),
    })
}

/// The phase's stored offers as the matching sees them, with their ids; `None` when one of them
/// no longer fits the instance.
async fn stored(tx: &mut TenantTx, phase: i32, l: &Loaded) -> Result<Option<(Vec<Offer>, Vec<Uuid>)>> {
    let programs: HashMap<(Uuid, String, Date), u32> = l
        .programs
        .iter()
        .enumerate()
        .map(|(i, p)| ((p.facility, p.care_type.clone(), p.start_month), i as u32))
        .collect();
    let children: HashMap<Uuid, u32> = l.applications.iter().enumerate().map(|(i, a)| (a.id, i as u32)).collect();
    let rows = sqlx::query("select offer_id, round, application_id, facility_id, care_type, start_month, status from kita_offer where phase = $1 order by round, made_at, offer_id")
        .bind(phase)
        .fetch_all(tx.conn())
        .await
        .map_err(db)?;
    let (mut offers, mut ids) = (Vec::new(), Vec::new());
    for r in rows {
        let (Some(p), Some(c)) = (programs.get(&(r.get(3), r.get(4), r.get(5))), children.get(&r.get::<Uuid, _>(2)))
        else {
            // a program or child that is no longer part of the phase (places removed, facility
            // closed, application withdrawn): the stored rounds no longer fit the instance
            return Ok(None);
        };
        let status = if r.get::<String, _>(6) == "held" { OfferStatus::Held } else { OfferStatus::Declined };
        offers.push(Offer { round: u32::try_from(r.get::<i32, _>(1)).unwrap_or(0), program: *p, child: *c, status });
        ids.push(r.get(0));
    }
    Ok(Some((offers, ids)))
}

/// Starts the next phase (the first, or one for places declined and not accepted in time). The
/// previous phase must have every offer answered, and every possible duplicate be decided.
pub async fn start(tx: &mut TenantTx) -> Result<std::result::Result<i32, Refused>> {
    lock(tx).await?;
    if super::applications::open_pairs(tx).await? > 0 {
        return Ok(Err(Refused::DuplicatesOpen));
    }
    let all = phases(tx).await?;
    if let Some(last) = all.iter().find(|p| p.status != "done") {
        let open: i64 = sqlx::query_scalar("select count(*) from kita_offer where phase = $1 and status = 'held'")
            .bind(last.phase)
            .fetch_one(tx.conn())
            .await
            .map_err(db)?;
        if last.status != "offered" || open > 0 {
            return Ok(Err(Refused::PhaseOpen));
        }
        sqlx::query("update kita_allocation set status = 'done' where phase = $1")
            .bind(last.phase)
            .execute(tx.conn())
            .await
            .map_err(db)?;
    }
    let phase = all.last().map_or(1, |p| p.phase + 1);
    if phase > 20 {
        return Ok(Err(Refused::NothingToDo));
    }
    let l = load(tx, phase).await?;
    if l.instance.capacity.iter().all(|c| *c == 0) || l.instance.preferences.iter().all(Vec::is_empty) {
        return Ok(Err(Refused::NothingToDo));
    }
    let tenant = tx.tenant_id().0;
    sqlx::query("insert into kita_allocation (tenant_id, phase) values ($1, $2)")
        .bind(tenant)
        .bind(phase)
        .execute(tx.conn())
        .await
        .map_err(db)?;
    Ok(Ok(phase))
}

async fn running(tx: &mut TenantTx) -> Result<Option<Phase>> {
    Ok(phases(tx).await?.into_iter().find(|p| p.status == "running"))
}

/// Runs up to `limit` rounds of the running phase (the state is loaded once); a round without new
/// offers closes the phase and checks the result for stability. Returns each round's outcome.
pub async fn rounds(tx: &mut TenantTx, limit: usize) -> Result<std::result::Result<Vec<RoundOutcome>, Refused>> {
    lock(tx).await?;
    let Some(phase) = running(tx).await? else { return Ok(Err(Refused::WrongState)) };
    let l = load(tx, phase.phase).await?;
    let (offers, stored_ids, restarted) = match stored(tx, phase.phase, &l).await? {
        Some((o, i)) => (o, i, false),
        None => {
            // the instance changed under the running phase (places or a facility removed behind
            // the pages' back): its offers are provisional and unsent, so the rounds start again
            tracing::warn!(
                phase = phase.phase,
                "kita allocation: the places or applications changed during the rounds; the phase starts its rounds again"
            );
            sqlx::query("delete from kita_offer where phase = $1")
                .bind(phase.phase)
                .execute(tx.conn())
                .await
                .map_err(db)?;
            (Vec::new(), Vec::new(), true)
        }
    };
    let mut state = State::from_offers(&l.instance, &offers);
    state.rounds = if restarted { 0 } else { u32::try_from(phase.rounds).unwrap_or(0) };
    let mut ids: Vec<Uuid> = stored_ids;
    let mut statuses: Vec<OfferStatus> = offers.iter().map(|o| o.status).collect();
    let tenant = tx.tenant_id().0;
    let mut out = Vec::new();
    for _ in 0..limit.max(1) {
        let before = state.offers.len();
        let outcome = state.round(&l.instance);
        // declines first (the index allows one held offer per child), then the new offers: one
        // statement each per round
        let mut declined = Vec::new();
        for i in 0..before {
            if state.offers[i].status == OfferStatus::Declined && statuses[i] == OfferStatus::Held {
                declined.push(ids[i]);
                statuses[i] = OfferStatus::Declined;
            }
        }
        if !declined.is_empty() {
            sqlx::query("update kita_offer set status = 'declined', decided_at = app_now() where offer_id = any($1)")
                .bind(&declined)
                .execute(tx.conn())
                .await
                .map_err(db)?;
        }
        let new_ids: Vec<Uuid> = state.offers[before..].iter().map(|_| Uuid::now_v7()).collect();
        let new = &state.offers[before..];
        if !new.is_empty() {
            let program = |o: &Offer| &l.programs[o.program as usize];
            sqlx::query(
                "insert into kita_offer (tenant_id, offer_id, phase, round, application_id, facility_id, care_type, start_month, status, decided_at)
                 select $1, n.id, $2, $3, n.application, n.facility, n.care, n.month, n.status, case when n.status = 'declined' then app_now() end
                 from unnest($4::uuid[], $5::uuid[], $6::uuid[], $7::text[], $8::date[], $9::text[]) as n (id, application, facility, care, month, status)
                 order by n.status = 'held'",
            )
            .bind(tenant)
            .bind(phase.phase)
            .bind(i32::try_from(outcome.round).unwrap_or(i32::MAX))
            .bind(&new_ids)
            .bind(new.iter().map(|o| l.applications[o.child as usize].id).collect::<Vec<_>>())
            .bind(new.iter().map(|o| program(o).facility).collect::<Vec<_>>())
            .bind(new.iter().map(|o| program(o).care_type.clone()).collect::<Vec<_>>())
            .bind(new.iter().map(|o| program(o).start_month).collect::<Vec<_>>())
            .bind(new.iter().map(|o| if o.status == OfferStatus::Held { "held" } else { "declined" }).collect::<Vec<_>>())
            .execute(tx.conn())
            .await
            .map_err(db)?;
        }
        ids.extend(new_ids);
        statuses.extend(state.offers[before..].iter().map(|o| o.status));
        sqlx::query("update kita_allocation set rounds = $2 where phase = $1")
            .bind(phase.phase)
            .bind(i32::try_from(outcome.round).unwrap_or(i32::MAX))
            .execute(tx.conn())
            .await
            .map_err(db)?;
        let done = outcome.offers == 0;
        out.push(outcome);
        if done {
            let blocking = matching::blocking_pairs(&l.instance, &state.held).len();
            sqlx::query("update kita_allocation set status = 'closed', stable = $2, blocking_pairs = $3, closed_at = app_now() where phase = $1")
                .bind(phase.phase)
                .bind(blocking == 0 && matching::feasible(&l.instance, &state.held))
                .bind(i32::try_from(blocking).unwrap_or(i32::MAX))
                .execute(tx.conn())
                .await
                .map_err(db)?;
            break;
        }
    }
    Ok(Ok(out))
}

/// An offer as parents and staff see it.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferView {
    pub id: Uuid,
    pub phase: i32,
    pub round: i32,
    pub application_id: Uuid,
    pub facility_id: Uuid,
    pub facility_name: String,
    pub care_type: String,
    pub start_month: Date,
    pub status: String,
    /// The phase's offers went out (the parent can answer until `accept_until`).
    pub sent: bool,
    pub accept_until: Option<OffsetDateTime>,
}

const OFFER_COLUMNS: &str = "o.offer_id, o.phase, o.round, o.application_id, o.facility_id, f.name, o.care_type, o.start_month, o.status, k.status in ('offered', 'done'), k.accept_until";

fn offer_row(r: &sqlx::postgres::PgRow) -> OfferView {
    OfferView {
        id: r.get(0),
        phase: r.get(1),
        round: r.get(2),
        application_id: r.get(3),
        facility_id: r.get(4),
        facility_name: r.get(5),
        care_type: r.get(6),
        start_month: r.get(7),
        status: r.get(8),
        sent: r.get(9),
        accept_until: r.get(10),
    }
}

/// Offers of an application, newest first.
pub async fn offers_of(tx: &mut TenantTx, application: Uuid) -> Result<Vec<OfferView>> {
    let rows = sqlx::query(&format!(
        "select {OFFER_COLUMNS} from kita_offer o join kita_facility f using (tenant_id, facility_id) join kita_allocation k using (tenant_id, phase)
         where o.application_id = $1 order by o.phase desc, o.round desc"
    ))
    .bind(application)
    .fetch_all(tx.conn())
    .await
    .map_err(db)?;
    Ok(rows.iter().map(offer_row).collect())
}

/// Sends the closed phase's offers: it becomes "offered" with the answer deadline; returns the held
/// offers with their applications, for the mails.
pub async fn send(
    tx: &mut TenantTx,
    accept_days: i32,
) -> Result<std::result::Result<Vec<(OfferView, Application)>, Refused>> {
    lock(tx).await?;
    let Some(phase) = phases(tx).await?.into_iter().find(|p| p.status == "closed") else {
        return Ok(Err(Refused::WrongState));
    };
    sqlx::query("update kita_allocation set status = 'offered', offered_at = app_now(), accept_until = app_now() + make_interval(days => $2) where phase = $1")
        .bind(phase.phase)
        .bind(accept_days)
        .execute(tx.conn())
        .await
        .map_err(db)?;
    let rows = sqlx::query(&format!(
        "select {OFFER_COLUMNS} from kita_offer o join kita_facility f using (tenant_id, facility_id) join kita_allocation k using (tenant_id, phase)
         where o.phase = $1 and o.status = 'held' order by o.offer_id"
    ))
    .bind(phase.phase)
    .fetch_all(tx.conn())
    .await
    .map_err(db)?;
    let mut out = Vec::new();
    for r in &rows {
        let o = offer_row(r);
        if let Some(a) = applications::get(tx, &Scope::All, o.application_id).await? {
            out.push((o, a));
        }
    }
    Ok(Ok(out))
}

/// A parent accepts or refuses the sent offer of their application.
pub async fn answer(
    tx: &mut TenantTx,
    application: Uuid,
    offer: Uuid,
    accept: bool,
) -> Result<std::result::Result<(), Refused>> {
    let status = if accept { "accepted" } else { "refused" };
    let r = sqlx::query(
        "update kita_offer o set status = $3, decided_at = app_now() from kita_allocation k
         where k.tenant_id = o.tenant_id and k.phase = o.phase and o.offer_id = $1 and o.application_id = $2 and o.status = 'held'
           and k.status = 'offered' and k.accept_until > app_now()",
    )
    .bind(offer)
    .bind(application)
    .bind(status)
    .execute(tx.conn())
    .await
    .map_err(db)?;
    Ok(if r.rows_affected() == 1 { Ok(()) } else { Err(Refused::NotOpen) })
}

/// Offers not accepted in time expire; returns how many.
pub async fn expire_due(tx: &mut TenantTx, now: OffsetDateTime) -> Result<u64> {
    let r = sqlx::query(
        "update kita_offer o set status = 'expired', decided_at = $1 from kita_allocation k
         where k.tenant_id = o.tenant_id and k.phase = o.phase and o.status = 'held' and k.status = 'offered' and k.accept_until <= $1",
    )
    .bind(now)
    .execute(tx.conn())
    .await
    .map_err(db)?;
    Ok(r.rows_affected())
}

/// A Träger puts a child ahead on one of its programs; the reason is required (at least ten
/// characters). Only while no rounds run (before a phase starts), and only in the Träger's scope.
pub async fn record_deviation(
    tx: &mut TenantTx,
    scope: &Scope,
    program: &Program,
    application: Uuid,
    reason: &str,
    staff: Uuid,
) -> Result<std::result::Result<(), Refused>> {
    let Some(f) = super::facility(tx, scope, program.facility).await? else { return Ok(Err(Refused::NotOpen)) };
    if rounds_open(tx).await? {
        return Ok(Err(Refused::PhaseOpen));
    }
    if applications::get(tx, &Scope::Providers(vec![f.provider_id]), application).await?.is_none() {
        return Ok(Err(Refused::NotOpen));
    }
    let tenant = tx.tenant_id().0;
    sqlx::query(
        "insert into kita_deviation (tenant_id, deviation_id, facility_id, care_type, start_month, application_id, reason, recorded_by) values ($1, $2, $3, $4, $5, $6, $7, $8)
         on conflict (tenant_id, facility_id, care_type, start_month, application_id) do update set reason = excluded.reason, recorded_by = excluded.recorded_by",
    )
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(program.facility)
    .bind(&program.care_type)
    .bind(program.start_month)
    .bind(application)
    .bind(reason.trim())
    .bind(staff)
    .execute(tx.conn())
    .await
    .map_err(db)?;
    Ok(Ok(()))
}
