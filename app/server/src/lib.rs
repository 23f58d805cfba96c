//! The server: start-up (migrations, catalogue and demo sync, tenant registry), the HTTP router that
//! serves every tenant portal and the operations console, and the page handlers.

pub mod auth;
pub mod forms;
pub mod mailer;
pub mod pages;
pub mod payflow;
pub mod payment_jobs;
pub mod receipt;
pub mod retention;
pub mod uploads;
pub mod routes;
pub mod schedule;
pub mod seed;
pub mod startup;

pub use routes::build_router;
pub use startup::{Application, build_state};
