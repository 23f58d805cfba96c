//! The Kita portal: day-care places of every Träger in one place, one application per child,
//! duplicates found, places allocated in coordinated rounds.
//!
//! - [`matching`]: Kita-proposing deferred acceptance in rounds, the stability check; pure.
//! - [`criteria`]: the weighted criteria catalogue and the ranked lists; pure.
//! - [`names`] and [`duplicates`]: normalised names and the duplicate check; pure.
//! - [`generate`]: reproducible generated children and cities (tests, benchmark, demo).
//! - [`repo`]: the tables (tenant-owned, row-level security), with the Träger scope in every query
//!   that staff of a Träger reach.

pub mod criteria;
pub mod duplicates;
pub mod generate;
pub mod matching;
pub mod names;
pub mod repo;
