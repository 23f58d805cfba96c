//! The routes of the capability payments: registered by its router, and the links to them.

use crate::kit::paths::RoutePath;

pub const DRAFT_PAY: RoutePath = crate::kit::links::DRAFT_PAY;
pub const DRAFT_RETURN: RoutePath = RoutePath("/antrag/{draft}/zahlung/zurueck");
pub const CITIZEN_PAY: RoutePath = RoutePath("/konto/antraege/{case}/zahlung");
pub const CITIZEN_RETURN: RoutePath = RoutePath("/konto/antraege/{case}/zahlung/zurueck");
pub const CITIZEN_RECEIPT: RoutePath = RoutePath("/konto/antraege/{case}/zahlungsbeleg.pdf");
pub const GUEST_PAY: RoutePath = RoutePath("/vorgang/{token}/zahlung");
pub const GUEST_RETURN: RoutePath = RoutePath("/vorgang/{token}/zahlung/zurueck");
pub const GUEST_RECEIPT: RoutePath = RoutePath("/vorgang/{token}/zahlungsbeleg.pdf");
pub const PAYMENTS_VIEW: RoutePath = RoutePath("/verwaltung/zahlungen");
pub const EXPORT_CSV: RoutePath = RoutePath("/verwaltung/zahlungen/export/{date}");
pub const SETUP_PAGE: RoutePath = RoutePath("/verwaltung/zahlungen/einstellungen");
pub const CHECK_ACCOUNT: RoutePath = RoutePath("/verwaltung/zahlungen/einstellungen/konto");
pub const ONBOARDING: RoutePath = RoutePath("/verwaltung/zahlungen/einstellungen/onboarding");
pub const SERVICE_PAGE: RoutePath = RoutePath("/verwaltung/zahlungen/leistungen/{slug}");
pub const REFUND: RoutePath = RoutePath("/verwaltung/vorgaenge/{id}/erstattung");
pub const PLANS_PAGE: RoutePath = RoutePath("/tarife");
pub const STRIPE: RoutePath = RoutePath("/webhooks/stripe");
pub const CONSOLE_SETUP_PAGE: RoutePath = crate::kit::links::CONSOLE_TENANT_PAYMENTS;
/// The payment page's glue between the form and Stripe.js.
pub const PAYMENT_JS: RoutePath = RoutePath("/assets/payment.js");
