//! Coordinated allocation of day-care places: Kita-proposing deferred acceptance, run in rounds
//! (the semi-decentral procedure of ZEW's KitaMatch).
//!
//! Each round every program (a facility's places of one care type and start month) offers its free
//! places to the next children on its ranked list who have not had its offer yet. Every child keeps
//! the best offer by their own ranking and the others are declined, which frees those places for the
//! next round. Rounds continue until no program makes a new offer; the result is the
//! facility-optimal stable matching (Gale–Shapley with the programs proposing, many-to-one with
//! responsive preferences).
//!
//! Everything here is pure and index-based: the caller maps programs and children to indices, and
//! can persist every round's offers and rebuild the state from them ([`State::from_offers`]), so a
//! round can run in one request and the next in another.

/// An instance: programs with their capacity and ranked lists, children with their ranked programs.
#[derive(Debug, Clone, Default)]
pub struct Instance {
    /// Places per program.
    pub capacity: Vec<u32>,
    /// Per program: the children it may offer a place to, best first (only children who listed it).
    pub ranking: Vec<Vec<u32>>,
    /// Per child: the programs they want, best first.
    pub preferences: Vec<Vec<u32>>,
}

impl Instance {
    pub fn programs(&self) -> usize {
        self.capacity.len()
    }

    pub fn children(&self) -> usize {
        self.preferences.len()
    }

    /// Position of `program` in the child's preferences (lower is better), `None` if not listed.
    pub fn child_rank(&self, child: u32, program: u32) -> Option<usize> {
        self.preferences[child as usize].iter().position(|p| *p == program)
    }

    /// Checks indices and drops entries that are not mutual (a child on a program's list who did
    /// not list it, a program listed twice), keeping the order. Returns how many were dropped.
    pub fn normalise(&mut self) -> usize {
        let (programs, children) = (self.programs(), self.children());
        let mut dropped = 0;
        for prefs in &mut self.preferences {
            let before = prefs.len();
            let mut seen = std::collections::HashSet::new();
            prefs.retain(|p| (*p as usize) < programs && seen.insert(*p));
            dropped += before - prefs.len();
        }
        let listed: Vec<std::collections::HashSet<u32>> =
            self.preferences.iter().map(|p| p.iter().copied().collect()).collect();
        for (p, list) in self.ranking.iter_mut().enumerate() {
            let before = list.len();
            let mut seen = std::collections::HashSet::new();
            list.retain(|c| (*c as usize) < children && listed[*c as usize].contains(&(p as u32)) && seen.insert(*c));
            dropped += before - list.len();
        }
        self.ranking.resize(programs, Vec::new());
        dropped
    }
}

/// Where an offer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferStatus {
    /// The child holds it (provisionally, or finally once no new offers come).
    Held,
    /// Declined for a better one (automatically) or by the parent.
    Declined,
}

/// One offer of a program to a child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offer {
    pub round: u32,
    pub program: u32,
    pub child: u32,
    pub status: OfferStatus,
}

/// The state of an allocation after some rounds.
#[derive(Debug, Clone)]
pub struct State {
    /// Per program: the children it has offered a place to (never again in this phase).
    offered: Vec<std::collections::HashSet<u32>>,
    /// Per child: the program whose offer they hold.
    pub held: Vec<Option<u32>>,
    /// Per program: how many children hold its offer.
    pub filled: Vec<u32>,
    /// Rounds run so far.
    pub rounds: u32,
    /// Every offer made, in order.
    pub offers: Vec<Offer>,
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundOutcome {
    pub round: u32,
    /// New offers made in this round.
    pub offers: usize,
    /// Offers declined in this round (new ones and ones held before).
    pub declined: usize,
}

impl State {
    pub fn new(instance: &Instance) -> Self {
        Self {
            offered: vec![std::collections::HashSet::new(); instance.programs()],
            held: vec![None; instance.children()],
            filled: vec![0; instance.programs()],
            rounds: 0,
            offers: Vec::new(),
        }
    }

    /// Rebuilds the state from the offers of earlier rounds (as stored).
    pub fn from_offers(instance: &Instance, offers: &[Offer]) -> Self {
        let mut s = Self::new(instance);
        for o in offers {
            s.offered[o.program as usize].insert(o.child);
            if o.status == OfferStatus::Held {
                s.held[o.child as usize] = Some(o.program);
                s.filled[o.program as usize] += 1;
            }
            s.rounds = s.rounds.max(o.round);
        }
        s.offers = offers.to_vec();
        s
    }

    /// Runs one round: every program offers its free places to the next children on its list,
    /// every child keeps the best offer and declines the rest.
    pub fn round(&mut self, instance: &Instance) -> RoundOutcome {
        let round = self.rounds + 1;
        let mut new: Vec<Vec<u32>> = vec![Vec::new(); instance.children()];
        let mut made = 0;
        for (p, list) in instance.ranking.iter().enumerate() {
            let mut free = instance.capacity[p].saturating_sub(self.filled[p]);
            for &c in list {
                if free == 0 {
                    break;
                }
                if self.offered[p].insert(c) {
                    new[c as usize].push(p as u32);
                    free -= 1;
                    made += 1;
                }
            }
        }
        let mut declined = 0;
        for (c, programs) in new.into_iter().enumerate() {
            if programs.is_empty() {
                continue;
            }
            let rank = |p: u32| instance.child_rank(c as u32, p).unwrap_or(usize::MAX);
            let previous = self.held[c];
            let best =
                programs.iter().copied().chain(previous).min_by_key(|p| rank(*p)).filter(|p| rank(*p) != usize::MAX);
            for &p in &programs {
                let status = if Some(p) == best { OfferStatus::Held } else { OfferStatus::Declined };
                if status == OfferStatus::Declined {
                    declined += 1;
                }
                self.offers.push(Offer { round, program: p, child: c as u32, status });
            }
            if previous != best {
                if let Some(old) = previous {
                    self.filled[old as usize] -= 1;
                    declined += 1;
                    if let Some(o) = self
                        .offers
                        .iter_mut()
                        .rev()
                        .find(|o| o.child == c as u32 && o.program == old && o.status == OfferStatus::Held)
                    {
                        o.status = OfferStatus::Declined;
                    }
                }
                if let Some(b) = best {
                    self.filled[b as usize] += 1;
                }
                self.held[c] = best;
            }
        }
        self.rounds = round;
        RoundOutcome { round, offers: made, declined }
    }

    /// Runs rounds until one makes no new offer; returns each round's outcome (the last one made
    /// none). Ends after at most one round per (program, child) pair, whatever the input.
    pub fn run(&mut self, instance: &Instance) -> Vec<RoundOutcome> {
        let limit = instance.ranking.iter().map(Vec::len).sum::<usize>() + 1;
        let mut out = Vec::new();
        for _ in 0..limit {
            let r = self.round(instance);
            let done = r.offers == 0;
            out.push(r);
            if done {
                break;
            }
        }
        out
    }

    /// A parent declines the held offer (or it expired): the place is free again.
    pub fn release(&mut self, child: u32) {
        if let Some(p) = self.held[child as usize].take() {
            self.filled[p as usize] -= 1;
            if let Some(o) = self
                .offers
                .iter_mut()
                .rev()
                .find(|o| o.child == child && o.program == p && o.status == OfferStatus::Held)
            {
                o.status = OfferStatus::Declined;
            }
        }
    }
}

/// A child and a program that both prefer each other to what they got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockingPair {
    pub child: u32,
    pub program: u32,
}

/// Every blocking pair of an assignment (`held[child]`), and every capacity exceeded; empty when the
/// assignment is stable and feasible. `excluded` children (who accepted or declined for good, or
/// left the procedure) are not checked.
pub fn blocking_pairs(instance: &Instance, held: &[Option<u32>]) -> Vec<BlockingPair> {
    let mut assigned: Vec<Vec<u32>> = vec![Vec::new(); instance.programs()];
    for (c, p) in held.iter().enumerate() {
        if let Some(p) = p {
            assigned[*p as usize].push(c as u32);
        }
    }
    // position of each child on each program's list
    let positions: Vec<std::collections::HashMap<u32, usize>> =
        instance.ranking.iter().map(|l| l.iter().enumerate().map(|(i, c)| (*c, i)).collect()).collect();
    let mut out = Vec::new();
    for (c, prefs) in instance.preferences.iter().enumerate() {
        let current = held[c].and_then(|p| prefs.iter().position(|x| *x == p)).unwrap_or(prefs.len());
        for &p in &prefs[..current] {
            let Some(&mine) = positions[p as usize].get(&(c as u32)) else { continue };
            let others = &assigned[p as usize];
            let free = (others.len() as u32) < instance.capacity[p as usize];
            let worse = others.iter().any(|o| positions[p as usize].get(o).is_none_or(|x| *x > mine));
            if free || worse {
                out.push(BlockingPair { child: c as u32, program: p });
            }
        }
    }
    out
}

/// Whether no program holds more children than it has places, and every child holds at most one
/// place of a program they listed and that ranked them.
pub fn feasible(instance: &Instance, held: &[Option<u32>]) -> bool {
    let mut count = vec![0u32; instance.programs()];
    for (c, p) in held.iter().enumerate() {
        if let Some(p) = p {
            if !instance.preferences[c].contains(p) || !instance.ranking[*p as usize].contains(&(c as u32)) {
                return false;
            }
            count[*p as usize] += 1;
        }
    }
    count.iter().zip(&instance.capacity).all(|(n, cap)| n <= cap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every assignment of children to one of their programs (or none), kept if feasible.
    fn all_matchings(inst: &Instance) -> Vec<Vec<Option<u32>>> {
        let mut out = vec![Vec::new()];
        for c in 0..inst.children() {
            let mut next = Vec::new();
            for partial in &out {
                let mut options: Vec<Option<u32>> = vec![None];
                options.extend(
                    inst.preferences[c]
                        .iter()
                        .filter(|p| inst.ranking[**p as usize].contains(&(c as u32)))
                        .map(|p| Some(*p)),
                );
                for o in options {
                    let mut m: Vec<Option<u32>> = partial.clone();
                    m.push(o);
                    next.push(m);
                }
            }
            out = next;
        }
        out.into_iter().filter(|m| feasible(inst, m)).collect()
    }

    fn instance() -> impl Strategy<Value = Instance> {
        (1usize..=4, 1usize..=6).prop_flat_map(|(programs, children)| {
            let caps = proptest::collection::vec(0u32..=2, programs);
            let prefs = proptest::collection::vec(
                proptest::sample::subsequence((0..programs as u32).collect::<Vec<_>>(), 0..=programs).prop_shuffle(),
                children,
            );
            let orders =
                proptest::collection::vec(Just((0..children as u32).collect::<Vec<_>>()).prop_shuffle(), programs);
            (caps, prefs, orders).prop_map(|(capacity, preferences, orders)| {
                let ranking = orders
                    .into_iter()
                    .enumerate()
                    .map(|(p, order)| {
                        order.into_iter().filter(|c| preferences[*c as usize].contains(&(p as u32))).collect()
                    })
                    .collect();
                Instance { capacity, ranking, preferences }
            })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        #[test]
        fn the_result_is_stable_feasible_and_ends(inst in instance()) {
            let mut s = State::new(&inst);
            let rounds = s.run(&inst);
            prop_assert_eq!(rounds.last().map(|r| r.offers), Some(0));
            prop_assert!(feasible(&inst, &s.held));
            prop_assert!(blocking_pairs(&inst, &s.held).is_empty());
            // every child holds at most one offer, and the held offers are the ones recorded
            let held_offers = s.offers.iter().filter(|o| o.status == OfferStatus::Held).count();
            prop_assert_eq!(held_offers, s.held.iter().flatten().count());
        }

        #[test]
        fn the_result_is_the_facility_optimal_stable_matching(inst in instance()) {
            let mut s = State::new(&inst);
            s.run(&inst);
            let stable: Vec<_> = all_matchings(&inst).into_iter().filter(|m| blocking_pairs(&inst, m).is_empty()).collect();
            prop_assert!(stable.contains(&s.held));
            // facility-optimal = child-pessimal: every child gets the worst place they get in any stable matching
            for c in 0..inst.children() {
                let rank = |p: Option<u32>| p.and_then(|p| inst.child_rank(c as u32, p)).unwrap_or(usize::MAX);
                let worst = stable.iter().map(|m| rank(m[c])).max();
                prop_assert_eq!(Some(rank(s.held[c])), worst, "child {}", c);
            }
        }

        #[test]
        fn rebuilding_from_stored_offers_continues_the_same_way(inst in instance(), stop in 0usize..4) {
            let mut whole = State::new(&inst);
            whole.run(&inst);
            let mut part = State::new(&inst);
            for _ in 0..stop { part.round(&inst); }
            let mut resumed = State::from_offers(&inst, &part.offers);
            resumed.run(&inst);
            prop_assert_eq!(resumed.held, whole.held);
        }
    }

    #[test]
    fn a_child_keeps_the_better_offer_and_the_place_goes_on() {
        // two programs of one place; both rank child 0 first; child 0 prefers program 1
        let inst = Instance {
            capacity: vec![1, 1],
            ranking: vec![vec![0, 1], vec![0, 1]],
            preferences: vec![vec![1, 0], vec![0, 1]],
        };
        let mut s = State::new(&inst);
        let r1 = s.round(&inst);
        assert_eq!((r1.offers, r1.declined), (2, 1));
        assert_eq!(s.held, vec![Some(1), None]);
        let r2 = s.round(&inst);
        assert_eq!(r2.offers, 1);
        assert_eq!(s.held, vec![Some(1), Some(0)]);
        assert_eq!(s.round(&inst).offers, 0);
        assert!(blocking_pairs(&inst, &s.held).is_empty());
    }

    #[test]
    fn a_free_place_and_a_child_who_wants_it_block() {
        let inst = Instance { capacity: vec![1], ranking: vec![vec![0]], preferences: vec![vec![0]] };
        assert_eq!(blocking_pairs(&inst, &[None]), vec![BlockingPair { child: 0, program: 0 }]);
        assert!(blocking_pairs(&inst, &[Some(0)]).is_empty());
    }

    #[test]
    fn normalise_drops_what_is_not_mutual() {
        let mut inst = Instance {
            capacity: vec![1, 1],
            ranking: vec![vec![0, 1, 1, 7]],
            preferences: vec![vec![0, 0, 9], vec![1]],
        };
        assert_eq!(inst.normalise(), 5);
        assert_eq!(inst.ranking, vec![vec![0], vec![]]);
        assert_eq!(inst.preferences, vec![vec![0], vec![1]]);
    }
}
