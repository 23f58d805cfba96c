//! The criteria catalogue and the ranked lists computed from it. Each tenant weighs a fixed set of
//! criteria; an applicant's points at a facility are the weighted sum, and each program's list is
//! ordered by points (ties: earlier application first, then the application's id). A Träger may
//! put a child ahead of the computed order only with a recorded reason (a deviation); deviated
//! children come first, in the order the deviations were recorded.

use crate::matching::Instance;

/// The criteria a tenant can weigh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A sibling already attends the facility (per facility).
    Sibling,
    /// Points per parent in work or training (0, 1 or 2; a single parent in work counts 2).
    WorkingParents,
    SingleParent,
    /// Social criteria confirmed by the youth office (e.g. a recommendation of the ASD).
    Social,
    /// Points per whole kilometre closer than 10 km between home and facility.
    Distance,
    /// Points per month of age at the desired start (older children first: the legal entitlement).
    Age,
    /// The family lives in the facility's district.
    District,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Sibling,
        Kind::WorkingParents,
        Kind::SingleParent,
        Kind::Social,
        Kind::Distance,
        Kind::Age,
        Kind::District,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Sibling => "sibling",
            Kind::WorkingParents => "working_parents",
            Kind::SingleParent => "single_parent",
            Kind::Social => "social",
            Kind::Distance => "distance",
            Kind::Age => "age",
            Kind::District => "district",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    /// The weights a new tenant starts with.
    pub fn default_weight(self) -> i32 {
        match self {
            Kind::Sibling => 40,
            Kind::WorkingParents => 15,
            Kind::SingleParent => 15,
            Kind::Social => 50,
            Kind::Distance => 2,
            Kind::Age => 1,
            Kind::District => 10,
        }
    }
}

/// A weighted criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Criterion {
    pub kind: Kind,
    pub weight: i32,
}

/// What the criteria look at of an applicant.
#[derive(Debug, Clone, Default)]
pub struct Applicant {
    pub birth_date: Option<time::Date>,
    pub working_parents: u8,
    pub single_parent: bool,
    pub social: bool,
    pub home: Option<(f64, f64)>,
    pub district: Option<uuid::Uuid>,
    /// Facilities a sibling attends.
    pub siblings_at: Vec<uuid::Uuid>,
}

/// What the criteria look at of a facility.
#[derive(Debug, Clone, Copy)]
pub struct Place {
    pub facility: uuid::Uuid,
    pub position: Option<(f64, f64)>,
    pub district: Option<uuid::Uuid>,
}

/// Great-circle distance in kilometres between two (latitude, longitude) points.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2) + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

/// Age in whole months on `day`.
pub fn age_months(birth: time::Date, day: time::Date) -> i32 {
    let mut m =
        (day.year() - birth.year()) * 12 + i32::from(u8::from(day.month())) - i32::from(u8::from(birth.month()));
    if day.day() < birth.day() {
        m -= 1;
    }
    m
}

/// An applicant's points at a facility for a start on `start`, with each criterion's share (for
/// the explanation on the ranked list).
pub fn points(criteria: &[Criterion], a: &Applicant, place: &Place, start: time::Date) -> (i64, Vec<(Kind, i64)>) {
    let mut parts = Vec::new();
    for c in criteria {
        let w = i64::from(c.weight);
        let value = match c.kind {
            Kind::Sibling => i64::from(a.siblings_at.contains(&place.facility)),
            Kind::WorkingParents => i64::from(a.working_parents.min(2)),
            Kind::SingleParent => i64::from(a.single_parent),
            Kind::Social => i64::from(a.social),
            Kind::Distance => match (a.home, place.position) {
                (Some(h), Some(p)) => (10.0 - distance_km(h, p)).floor().max(0.0) as i64,
                _ => 0,
            },
            Kind::Age => a.birth_date.map_or(0, |b| i64::from(age_months(b, start).max(0))),
            Kind::District => i64::from(a.district.is_some() && a.district == place.district),
        };
        if value != 0 && w != 0 {
            parts.push((c.kind, w * value));
        }
    }
    (parts.iter().map(|(_, p)| p).sum(), parts)
}

/// One entry of a program's list before ordering.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub child: u32,
    pub points: i64,
    /// When the application came in (seconds), earlier first on equal points.
    pub applied: i64,
    /// Order of a recorded deviation (`None`: the computed order).
    pub deviation: Option<i64>,
    /// A stable tie-break (e.g. the first bytes of the application's id).
    pub tie: u128,
}

/// Orders a program's entries: deviations first (in the order recorded), then by points, earlier
/// application, tie-break.
pub fn order(entries: &mut [Entry]) {
    entries.sort_by(|a, b| match (a.deviation, b.deviation) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => b.points.cmp(&a.points).then(a.applied.cmp(&b.applied)).then(a.tie.cmp(&b.tie)),
    });
}

/// Builds the matching instance from capacities, children's ranked programs and each program's
/// entries (ordered here).
pub fn instance(capacity: Vec<u32>, preferences: Vec<Vec<u32>>, mut entries: Vec<Vec<Entry>>) -> Instance {
    for e in &mut entries {
        order(e);
    }
    let ranking = entries.into_iter().map(|e| e.into_iter().map(|x| x.child).collect()).collect();
    let mut inst = Instance { capacity, ranking, preferences };
    inst.normalise();
    inst
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn points_add_up_and_explain_themselves() {
        let f = uuid::Uuid::from_u128(1);
        let district = uuid::Uuid::from_u128(9);
        let a = Applicant {
            birth_date: Some(date!(2025 - 02 - 15)),
            working_parents: 2,
            single_parent: false,
            social: false,
            home: Some((49.4447, 7.7690)),
            district: Some(district),
            siblings_at: vec![f],
        };
        let place = Place { facility: f, position: Some((49.4447, 7.7690 + 0.0270)), district: Some(district) };
        let criteria: Vec<Criterion> =
            Kind::ALL.iter().map(|k| Criterion { kind: *k, weight: k.default_weight() }).collect();
        let (total, parts) = points(&criteria, &a, &place, date!(2027 - 08 - 01));
        // 2 km away: 8 whole km closer than 10; 29 months old on 1 August 2027
        assert_eq!(
            parts,
            vec![
                (Kind::Sibling, 40),
                (Kind::WorkingParents, 30),
                (Kind::Distance, 16),
                (Kind::Age, 29),
                (Kind::District, 10)
            ]
        );
        assert_eq!(total, 125);
    }

    #[test]
    fn deviations_come_first_then_points_then_time() {
        let e = |child, points, applied, deviation| Entry { child, points, applied, deviation, tie: u128::from(child) };
        let mut list =
            vec![e(0, 10, 5, None), e(1, 50, 9, None), e(2, 10, 1, None), e(3, 0, 0, Some(2)), e(4, 0, 0, Some(1))];
        order(&mut list);
        assert_eq!(list.iter().map(|x| x.child).collect::<Vec<_>>(), vec![4, 3, 1, 2, 0]);
    }

    #[test]
    fn age_in_months() {
        assert_eq!(age_months(date!(2025 - 02 - 15), date!(2027 - 08 - 01)), 29);
        assert_eq!(age_months(date!(2025 - 08 - 01), date!(2026 - 08 - 01)), 12);
        assert_eq!(age_months(date!(2025 - 08 - 02), date!(2026 - 08 - 01)), 11);
    }
}
