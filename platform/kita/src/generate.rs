//! Generated data, reproducible from a seed: children (with near-duplicates of them) for the
//! duplicate check's precision and recall, and a whole city of facilities and applications for the
//! allocation's test, benchmark and the demo.

use crate::criteria::{self, Applicant, Criterion, Entry, Kind, Place};
use crate::duplicates::Person;
use crate::matching::Instance;

/// A small deterministic generator (SplitMix64): the same seed gives the same city everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// Uniform in 0..1.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

pub const FIRST_NAMES: &[&str] = &[
    "Emma",
    "Mia",
    "Hannah",
    "Sofia",
    "Emilia",
    "Lina",
    "Mila",
    "Ella",
    "Leni",
    "Clara",
    "Marie",
    "Lea",
    "Anna-Lena",
    "Zoë",
    "Luca",
    "Jürgen",
    "Noah",
    "Leon",
    "Paul",
    "Ben",
    "Finn",
    "Elias",
    "Felix",
    "Jonas",
    "Luis",
    "Henry",
    "Emil",
    "Theo",
    "Matteo",
    "Anton",
    "Maximilian",
    "Jakob",
    "Karl-Heinz",
    "Björn",
    "Søren",
    "Ömer",
    "Elif",
    "Yusuf",
    "Aylin",
    "Mohammed",
    "Amira",
    "Lukas",
    "Niklas",
    "Moritz",
    "Greta",
    "Frieda",
    "Ida",
    "Mathilda",
    "Luise",
    "Jana",
    "Carla",
    "Nele",
    "Pia",
    "Till",
    "Ole",
    "Malte",
    "Jannik",
    "Fabian",
];

pub const LAST_NAMES: &[&str] = &[
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Schmitz",
    "Krause",
    "Meier",
    "Lehmann",
    "Schmid",
    "Schulze",
    "Maier",
    "Köhler",
    "Herrmann",
    "König",
    "Walter",
    "Mayer",
    "Huber",
    "Kaiser",
    "Fuchs",
    "Peters",
    "Lang",
    "Scholz",
    "Möller",
    "Weiß",
    "Jung",
    "Hahn",
    "Schubert",
    "Vogel",
    "Friedrich",
    "Keller",
    "Günther",
    "Frank",
    "Berger",
    "Winkler",
    "Roth",
    "Beck",
    "Lorenz",
    "Baumann",
    "Franke",
    "Albrecht",
    "Schuster",
    "Simon",
    "Ludwig",
    "Böhm",
    "Winter",
    "Kraus",
    "Martin",
    "Schumacher",
    "Krämer",
    "Vogt",
    "Stein",
    "Jäger",
    "Otto",
    "Sommer",
    "Groß",
    "Seidel",
    "Heinrich",
    "Brandt",
    "Haas",
    "Schreiber",
    "Graf",
    "Schulte",
    "Dietrich",
    "Ziegler",
    "Kuhn",
    "Kühn",
    "Pohl",
    "Engel",
    "Horn",
    "Busch",
    "Bergmann",
    "Thomas",
    "Voigt",
    "Sauer",
    "Arnold",
    "Wolff",
    "Pfeiffer",
    "Yilmaz",
    "Kaya",
    "Demir",
    "Nowak",
    "Kowalski",
    "Popescu",
    "Ivanova",
    "Rossi",
    "Meyer-Lüdenscheidt",
    "Schulze-Wessel",
];

pub const STREETS: &[&str] = &[
    "Hauptstraße",
    "Bahnhofstraße",
    "Schillerstraße",
    "Goethestraße",
    "Gartenstraße",
    "Mühlstraße",
    "Kirchstraße",
    "Lindenweg",
    "Am Harzhübel",
    "Pariser Straße",
    "Fackelstraße",
    "Mannheimer Straße",
    "Eisenbahnstraße",
    "Richard-Wagner-Straße",
    "Königstraße",
    "Logenstraße",
    "Rosenstraße",
    "Waldstraße",
    "Talstraße",
    "Im Stadtwald",
];

/// A child with a plausible name, birth date (in the six calendar years before `year_start_year`,
/// the year its Kita year starts) and address.
pub fn random_child(rng: &mut Rng, year_start_year: i32) -> Person {
    let year = year_start_year - 6 + rng.below(6) as i32;
    let day =
        time::Date::from_ordinal_date(year, 1 + rng.below(365) as u16).unwrap_or(time::macros::date!(2024 - 01 - 01));
    let last = if rng.chance(0.05) {
        format!("{}-{}", rng.pick(LAST_NAMES), rng.pick(LAST_NAMES))
    } else {
        (*rng.pick(LAST_NAMES)).to_owned()
    };
    Person {
        first_name: (*rng.pick(FIRST_NAMES)).to_owned(),
        last_name: last,
        birth_date: day,
        address: format!("{} {}, 67655 Kaiserslautern", rng.pick(STREETS), 1 + rng.below(120)),
    }
}

/// How a near-duplicate differs from its original.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variation {
    Typo,
    SwappedNames,
    UmlautSpelling,
    MovedAddress,
    ShortDoubleName,
    BirthDigit,
    Identical,
}

fn umlauts_written_out(s: &str) -> String {
    s.replace('ä', "ae")
        .replace('ö', "oe")
        .replace('ü', "ue")
        .replace('ß', "ss")
        .replace('Ä', "Ae")
        .replace('Ö', "Oe")
        .replace('Ü', "Ue")
}

fn typo(rng: &mut Rng, s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    if chars.len() < 4 {
        return format!("{s}h");
    }
    let i = 1 + rng.below(chars.len() - 2);
    match rng.below(3) {
        0 => chars.swap(i, i + 1),
        1 => {
            chars.remove(i);
        }
        _ => chars.insert(i, chars[i]),
    }
    chars.into_iter().collect()
}

/// The same child as entered a second time, with one kind of variation.
pub fn near_duplicate(rng: &mut Rng, p: &Person) -> (Person, Variation) {
    let mut d = p.clone();
    let v = [
        Variation::Typo,
        Variation::SwappedNames,
        Variation::UmlautSpelling,
        Variation::MovedAddress,
        Variation::ShortDoubleName,
        Variation::BirthDigit,
        Variation::Identical,
    ][rng.below(7)];
    match v {
        Variation::Typo => {
            if rng.chance(0.5) {
                d.first_name = typo(rng, &p.first_name);
            } else {
                d.last_name = typo(rng, &p.last_name);
            }
        }
        Variation::SwappedNames => std::mem::swap(&mut d.first_name, &mut d.last_name),
        Variation::UmlautSpelling => {
            d.first_name = umlauts_written_out(&p.first_name).to_uppercase();
            d.last_name = umlauts_written_out(&p.last_name);
            d.address = umlauts_written_out(&p.address).replace("straße", "str.").replace("strasse", "str.");
        }
        Variation::MovedAddress => {
            d.address = format!("{} {}, 67657 Kaiserslautern", rng.pick(STREETS), 1 + rng.below(120))
        }
        Variation::ShortDoubleName => {
            d.last_name = match p.last_name.split_once('-') {
                Some((a, _)) => a.to_owned(),
                None => format!("{}-{}", p.last_name, rng.pick(LAST_NAMES)),
            }
        }
        Variation::BirthDigit => {
            let day = p.birth_date.day();
            let other = if day >= 20 {
                day - 10
            } else if day >= 10 {
                day + 10
            } else {
                day + 1
            };
            d.birth_date = p.birth_date.replace_day(other).unwrap_or(p.birth_date);
        }
        Variation::Identical => {}
    }
    (d, v)
}

/// Centre of the generated city (Kaiserslautern's Stiftskirche) and its spread in degrees.
pub const CENTRE: (f64, f64) = (49.4447, 7.7690);

/// A generated city: facilities with places per care type and children with their applications.
#[derive(Debug, Clone)]
pub struct City {
    pub facilities: Vec<Place>,
    /// Per facility: places per care type (Krippe, Kita, Hort) for the August start.
    pub places: Vec<[u32; 3]>,
    pub children: Vec<Applicant>,
    /// Per child: the care type they need (0 Krippe, 1 Kita, 2 Hort) and their ranked facilities.
    pub wishes: Vec<(usize, Vec<usize>)>,
}

/// The first day of the Kita year of the generated city.
pub const START: time::Date = time::macros::date!(2027 - 08 - 01);

/// A city of `children` children and `facilities` facilities in ten districts; places cover about
/// 85 % of the demand, so that some children get none.
pub fn city(seed: u64, children: usize, facilities: usize, max_preferences: usize) -> City {
    let mut rng = Rng::new(seed);
    let districts: Vec<(uuid::Uuid, (f64, f64))> = (0..10u128)
        .map(|i| {
            (
                uuid::Uuid::from_u128(0xd000 + i),
                (CENTRE.0 + (rng.unit() - 0.5) * 0.08, CENTRE.1 + (rng.unit() - 0.5) * 0.12),
            )
        })
        .collect();
    let near =
        |rng: &mut Rng, (lat, lon): (f64, f64)| (lat + (rng.unit() - 0.5) * 0.02, lon + (rng.unit() - 0.5) * 0.03);
    let mut places_out = Vec::new();
    let mut places = Vec::new();
    for i in 0..facilities {
        let (district, centre) = *rng.pick(&districts);
        places_out.push(Place {
            facility: uuid::Uuid::from_u128(0xf000_0000 + i as u128),
            position: Some(near(&mut rng, centre)),
            district: Some(district),
        });
        places.push([0u32; 3]);
    }
    let mut applicants = Vec::new();
    let mut wishes = Vec::new();
    let mut demand = [0u32; 3];
    for _ in 0..children {
        let (district, centre) = *rng.pick(&districts);
        let home = near(&mut rng, centre);
        let person = random_child(&mut rng, START.year());
        let months = criteria::age_months(person.birth_date, START);
        let care = if months < 36 {
            0
        } else if months < 72 {
            1
        } else {
            2
        };
        demand[care] += 1;
        // nearer facilities are likelier wishes: the closest twelve, drawn without replacement
        let mut by_distance: Vec<(f64, usize)> = places_out
            .iter()
            .enumerate()
            .map(|(i, p)| (criteria::distance_km(home, p.position.unwrap_or(CENTRE)), i))
            .collect();
        by_distance.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut pool: Vec<usize> = by_distance.iter().take(12).map(|x| x.1).collect();
        let n = 1 + rng.below(max_preferences.max(1));
        let mut ranked = Vec::new();
        for _ in 0..n.min(pool.len()) {
            ranked.push(pool.remove(rng.below(pool.len().min(4))));
        }
        let siblings_at = if rng.chance(0.2) { vec![places_out[ranked[0]].facility] } else { vec![] };
        applicants.push(Applicant {
            birth_date: Some(person.birth_date),
            working_parents: rng.below(3) as u8,
            single_parent: rng.chance(0.15),
            social: rng.chance(0.05),
            home: Some(home),
            district: Some(district),
            siblings_at,
        });
        wishes.push((care, ranked));
    }
    // spread 85 % of each care type's demand over the facilities, unevenly
    for (care, total) in demand.iter().enumerate() {
        let supply = (f64::from(*total) * 0.85) as u32;
        for _ in 0..supply {
            let f = rng.below(facilities.max(1));
            if let Some(p) = places.get_mut(f) {
                p[care] += 1;
            }
        }
    }
    City { facilities: places_out, places, children: applicants, wishes }
}

impl City {
    /// The matching instance under `criteria`: one program per facility and care type.
    pub fn instance(&self, criteria: &[Criterion]) -> Instance {
        let program = |f: usize, care: usize| (f * 3 + care) as u32;
        let capacity: Vec<u32> = self.places.iter().flat_map(|p| p.iter().copied()).collect();
        let mut entries: Vec<Vec<Entry>> = vec![Vec::new(); capacity.len()];
        let mut preferences = Vec::with_capacity(self.children.len());
        for (c, (care, ranked)) in self.wishes.iter().enumerate() {
            preferences.push(ranked.iter().map(|f| program(*f, *care)).collect());
            for f in ranked {
                let (points, _) = criteria::points(criteria, &self.children[c], &self.facilities[*f], START);
                entries[program(*f, *care) as usize].push(Entry {
                    child: c as u32,
                    points,
                    applied: c as i64,
                    deviation: None,
                    tie: c as u128,
                });
            }
        }
        criteria::instance(capacity, preferences, entries)
    }
}

/// The default catalogue: every criterion at its default weight.
pub fn default_criteria() -> Vec<Criterion> {
    Kind::ALL.iter().map(|k| Criterion { kind: *k, weight: k.default_weight() }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::{State, blocking_pairs, feasible};

    /// The reproducible run on a generated city of 10,000 children and 150 facilities.
    #[test]
    fn a_city_of_ten_thousand_children_is_allocated_stably_and_reproducibly() {
        let run = || {
            let city = city(15, 10_000, 150, 5);
            let inst = city.instance(&default_criteria());
            let mut state = State::new(&inst);
            let rounds = state.run(&inst);
            (inst, state, rounds)
        };
        let (inst, a, rounds) = run();
        let (_, b, _) = run();
        assert_eq!(a.held, b.held, "same seed, same allocation");
        assert!(feasible(&inst, &a.held));
        assert!(blocking_pairs(&inst, &a.held).is_empty());
        let placed = a.held.iter().flatten().count();
        let places: u32 = inst.capacity.iter().sum();
        println!(
            "city: 10000 children, {places} places, {placed} placed in {} rounds, {} offers",
            rounds.len(),
            a.offers.len()
        );
        assert!(placed > 7_000 && placed as u32 <= places, "{placed} of {places}");
    }
}
