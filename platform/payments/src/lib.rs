//! Payments: each tenant's payment setup (a Stripe Connect account on which the municipality is the
//! merchant of record, the methods it accepts, or no online payment), per-service fee rules and the
//! booking data the municipal cash office needs (Kassenzeichen, booking text, account assignment),
//! payment records with their state taken from Stripe (webhooks and lookups, applied once and never
//! backwards), refunds, and the cash office's CSV export.
//!
//! Stripe is reached only through [`gateway::PaymentGateway`]; production uses async-stripe
//! ([`gateway::StripeGateway`]), pointed at any base URL so that tests run against a local
//! Stripe-compatible server.

pub mod booking;
pub mod export;
pub mod fee;
pub mod gateway;
pub mod repo;
pub mod state;
pub mod webhook;

pub use booking::{AccountAssignment, BookingError, BookingText, KassenzeichenScheme, Method};
pub use fee::{Fee, FeeError, FeeItem, FeeRule, PlanFee};
pub use gateway::{
    GatewayError, IntentRequest, PaymentGateway, RemoteAccount, RemoteIntent, RemoteRefund, StripeGateway,
};
pub use repo::{Payment, PaymentSetup, ServicePayment, Timing};
pub use state::PaymentStatus;
