//! The state of a payment, taken from Stripe's PaymentIntent, and the rule that applies a reported
//! state only forwards: webhooks arrive late, twice or out of order, and the citizen's return asks
//! Stripe again; whichever comes first wins, and nothing older undoes it.

use time::OffsetDateTime;

/// Where a payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Waiting for the payer (no method yet, or a confirmation step in the browser).
    Open,
    /// Submitted; the money is on its way (e.g. SEPA direct debit takes days).
    Processing,
    Succeeded,
    /// The last attempt failed; the payer may try again with the same payment.
    Failed,
    Canceled,
    /// Abandoned and cancelled by the platform after its time ran out.
    Expired,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 6] =
        [Self::Open, Self::Processing, Self::Succeeded, Self::Failed, Self::Canceled, Self::Expired];

    pub fn code(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Processing => "processing",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
            Self::Expired => "expired",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.code() == s)
    }
    /// No later report changes it (a new attempt starts a new intent).
    pub fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Canceled | Self::Expired)
    }
    /// The payer can (still or again) pay.
    pub fn is_payable(self) -> bool {
        matches!(self, Self::Open | Self::Failed | Self::Canceled | Self::Expired)
    }
    fn rank(self) -> u8 {
        match self {
            Self::Open => 0,
            Self::Failed => 1,
            Self::Processing => 2,
            Self::Succeeded | Self::Canceled | Self::Expired => 3,
        }
    }

    /// The status a PaymentIntent status maps to. A failed attempt shows as
    /// `requires_payment_method` with an error; `failed` says so.
    pub fn from_intent(status: &str, failed: bool) -> Self {
        match status {
            "succeeded" => Self::Succeeded,
            "processing" => Self::Processing,
            "canceled" => Self::Canceled,
            "requires_payment_method" if failed => Self::Failed,
            _ => Self::Open,
        }
    }
}

/// Whether a state reported at `at` replaces the current one known since `since`.
pub fn applies(current: PaymentStatus, since: Option<OffsetDateTime>, new: PaymentStatus, at: OffsetDateTime) -> bool {
    if current.is_final() || new == current {
        return false;
    }
    // a final state needs no ordering (and survives clock skew between Stripe and us)
    if new.is_final() {
        return true;
    }
    match since {
        None => true,
        Some(since) => at > since || (at == since && new.rank() > current.rank()),
    }
}

#[cfg(test)]
mod tests {
    use super::PaymentStatus::*;
    use super::*;
    use time::macros::datetime;

    #[test]
    fn only_forwards() {
        let t1 = datetime!(2026-11-22 10:00 UTC);
        let t2 = datetime!(2026-11-22 10:01 UTC);
        // in order
        assert!(applies(Open, None, Processing, t1));
        assert!(applies(Processing, Some(t1), Succeeded, t2));
        // succeeded first, the older processing and failure reports change nothing
        assert!(!applies(Succeeded, Some(t2), Processing, t1));
        assert!(!applies(Succeeded, Some(t2), Failed, t1));
        // the same report twice
        assert!(!applies(Processing, Some(t1), Processing, t1));
        // an older failure does not undo a newer processing
        assert!(!applies(Processing, Some(t2), Failed, t1));
        // a retry after a failure
        assert!(applies(Failed, Some(t1), Processing, t2));
        // same second: the further state wins
        assert!(applies(Failed, Some(t1), Processing, t1));
        assert!(!applies(Processing, Some(t1), Failed, t1));
        // cancelled and expired are final for their intent
        assert!(!applies(Canceled, Some(t1), Succeeded, t2));
        // a final state applies even when reported with an older time (clock skew, a lookup first)
        assert!(applies(Processing, Some(t2), Succeeded, t1));
    }

    #[test]
    fn intent_states() {
        assert_eq!(PaymentStatus::from_intent("requires_payment_method", false), Open);
        assert_eq!(PaymentStatus::from_intent("requires_payment_method", true), Failed);
        assert_eq!(PaymentStatus::from_intent("requires_action", false), Open);
        assert_eq!(PaymentStatus::from_intent("succeeded", false), Succeeded);
        for s in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::parse(s.code()), Some(s));
        }
    }
}
