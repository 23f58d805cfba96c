//! Appointments and the walk-in queue.
//!
//! - [`holidays`]: public holidays per Land; [`slots`]: free slots from hours, counters and what is
//!   booked; [`queue`]: the call order; [`estimate`]: waiting times and their quality; [`ics`]: the
//!   calendar file; [`qr`]: the booking number as a QR code. All pure.
//! - [`repo`]: the tables (tenant-owned, row-level security), bookings that the database keeps from
//!   overlapping, tickets and calls, statistics.

pub mod estimate;
pub mod holidays;
pub mod ics;
pub mod qr;
pub mod queue;
pub mod repo;
pub mod slots;

pub use holidays::Land;
