//! The call order at a counter. When a member of staff calls the next ticket:
//! 1. a ticket passed to this counter by a colleague, oldest first;
//! 2. a checked-in appointment that is due (its time is at most five minutes away), earliest first;
//! 3. a walk-in, in the order the tickets were drawn;
//! 4. a checked-in appointment that is not due yet (nobody else is waiting), earliest first.
//!
//! A counter only calls tickets whose services it serves (a passed ticket excepted), and never one
//! passed to another counter.

use std::collections::BTreeSet;

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// How early a booked appointment counts as due.
pub const DUE_EARLY: Duration = Duration::minutes(5);

/// A ticket waiting to be called.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub id: Uuid,
    /// The appointment's time; `None` for a walk-in.
    pub appointment: Option<OffsetDateTime>,
    /// Drawn (walk-in) or checked in (appointment).
    pub arrived_at: OffsetDateTime,
    pub number: i32,
    pub services: Vec<String>,
    pub passed_to: Option<Uuid>,
}

fn rank(w: &Waiting, counter: Uuid, now: OffsetDateTime) -> (u8, OffsetDateTime, i32) {
    match (w.passed_to, w.appointment) {
        (Some(c), _) if c == counter => (0, w.arrived_at, w.number),
        (_, Some(at)) if at <= now + DUE_EARLY => (1, at, w.number),
        (_, None) => (2, w.arrived_at, w.number),
        (_, Some(at)) => (3, at, w.number),
    }
}

/// The ticket `counter` calls next, if any.
pub fn next(waiting: &[Waiting], counter: Uuid, serves: &BTreeSet<String>, now: OffsetDateTime) -> Option<Uuid> {
    waiting
        .iter()
        .filter(|w| match w.passed_to {
            Some(c) => c == counter,
            None => w.services.iter().all(|s| serves.contains(s)),
        })
        .min_by_key(|w| rank(w, counter, now))
        .map(|w| w.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn w(n: i32, appointment: Option<OffsetDateTime>, arrived: OffsetDateTime, service: &str) -> Waiting {
        Waiting {
            id: Uuid::from_u128(n as u128),
            appointment,
            arrived_at: arrived,
            number: n,
            services: vec![service.into()],
            passed_to: None,
        }
    }

    #[test]
    fn due_appointments_come_before_walk_ins_which_come_before_early_appointments() {
        let now = datetime!(2026-12-01 9:00 UTC);
        let serves: BTreeSet<String> = ["pass".to_owned(), "melde".to_owned()].into();
        let counter = Uuid::from_u128(1000);
        let mut q = vec![
            w(1, None, now - Duration::minutes(20), "pass"),
            w(2, None, now - Duration::minutes(10), "melde"),
            w(3, Some(now + Duration::minutes(30)), now - Duration::minutes(25), "pass"),
            w(4, Some(now + Duration::minutes(4)), now - Duration::minutes(2), "pass"),
            w(5, Some(now - Duration::minutes(5)), now - Duration::minutes(1), "melde"),
            w(6, None, now - Duration::minutes(30), "kfz"),
        ];
        let mut order = vec![];
        while let Some(id) = next(&q, counter, &serves, now) {
            order.push(id.as_u128() as i32);
            q.retain(|x| x.id != id);
        }
        // 5 and 4 are due (5 first: earlier), walk-ins 1 then 2, then 3 (early); 6 is not served here
        assert_eq!(order, vec![5, 4, 1, 2, 3]);
    }

    #[test]
    fn a_passed_ticket_goes_first_at_its_counter_and_nowhere_else() {
        let now = datetime!(2026-12-01 9:00 UTC);
        let a = Uuid::from_u128(1000);
        let b = Uuid::from_u128(2000);
        let serves: BTreeSet<String> = ["pass".to_owned()].into();
        let mut passed = w(7, None, now, "kfz");
        passed.passed_to = Some(b);
        let q = vec![w(1, Some(now), now - Duration::minutes(30), "pass"), passed];
        assert_eq!(
            next(&q, b, &serves, now),
            Some(Uuid::from_u128(7)),
            "served at b although b does not serve kfz: it was passed there"
        );
        assert_eq!(next(&q, a, &serves, now), Some(Uuid::from_u128(1)));
        assert_eq!(next(&q[1..], a, &serves, now), None);
    }
}
