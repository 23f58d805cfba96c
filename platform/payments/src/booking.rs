//! Booking data as a municipal cash office (ePayBL-style) needs it: the Kassenzeichen scheme
//! (prefix + running number), the booking text that appears on the payer's statement (at most 27
//! characters, one SEPA remittance line) and the account assignment (cost centre, account, cost
//! unit). Each type can only be built valid.

use serde::{Deserialize, Serialize};

/// Why booking data was refused; each has a de/en message key (`payments.error.<key>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BookingError {
    #[error("the Kassenzeichen prefix may hold 1-12 capital letters, digits and hyphens")]
    Prefix,
    #[error("the running number has 4 to 12 digits")]
    Digits,
    #[error("the booking text is empty")]
    BookingTextEmpty,
    #[error("the booking text has more than 27 characters")]
    BookingTextLong,
    #[error("the booking text holds characters outside the SEPA character set")]
    BookingTextChars,
    #[error("the cost centre may hold 1-20 capital letters, digits, dots and hyphens")]
    CostCentre,
    #[error("the account has 4 to 10 digits")]
    Account,
    #[error("the cost unit may hold up to 20 digits and dots")]
    CostUnit,
    #[error("unknown payment method")]
    Method,
}

impl BookingError {
    /// Every error, for the check that each has a text.
    pub const ALL: [BookingError; 9] = [
        BookingError::Prefix,
        BookingError::Digits,
        BookingError::BookingTextEmpty,
        BookingError::BookingTextLong,
        BookingError::BookingTextChars,
        BookingError::CostCentre,
        BookingError::Account,
        BookingError::CostUnit,
        BookingError::Method,
    ];

    /// The message key below `payments.error.`.
    pub fn key(self) -> &'static str {
        match self {
            BookingError::Prefix => "prefix",
            BookingError::Digits => "digits",
            BookingError::BookingTextEmpty => "booking_text_empty",
            BookingError::BookingTextLong => "booking_text_long",
            BookingError::BookingTextChars => "booking_text_chars",
            BookingError::CostCentre => "cost_centre",
            BookingError::Account => "account",
            BookingError::CostUnit => "cost_unit",
            BookingError::Method => "method",
        }
    }
}

/// Prefix + zero-padded running number, e.g. `KL-` and 8 digits: `KL-00000042`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KassenzeichenScheme {
    prefix: String,
    digits: u8,
}

impl Default for KassenzeichenScheme {
    /// No prefix, eight digits.
    fn default() -> Self {
        Self { prefix: String::new(), digits: 8 }
    }
}

impl KassenzeichenScheme {
    pub fn parse(prefix: &str, digits: &str) -> Result<Self, BookingError> {
        let prefix = prefix.trim().to_owned();
        let ok = prefix.is_empty()
            || (prefix.len() <= 12
                && prefix.bytes().next().is_some_and(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                && prefix.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-'));
        if !ok {
            return Err(BookingError::Prefix);
        }
        let digits: u8 = digits.trim().parse().map_err(|_| BookingError::Digits)?;
        if !(4..=12).contains(&digits) {
            return Err(BookingError::Digits);
        }
        Ok(Self { prefix, digits })
    }
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
    pub fn digits(&self) -> u8 {
        self.digits
    }
    /// The Kassenzeichen with running number `n`.
    pub fn format(&self, n: i64) -> String {
        format!("{}{:0width$}", self.prefix, n, width = usize::from(self.digits))
    }
}

/// The booking text (Verwendungszweck): 1-27 characters of the SEPA character set (Latin letters,
/// digits, space and `/ - ? : ( ) . , ' +`; German umlauts and ß as the German banks accept them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BookingText(String);

impl BookingText {
    pub const MAX: usize = 27;

    pub fn parse(s: &str) -> Result<Self, BookingError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(BookingError::BookingTextEmpty);
        }
        if s.chars().count() > Self::MAX {
            return Err(BookingError::BookingTextLong);
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || " /-?:().,'+".contains(c) || "ÄÖÜäöüß".contains(c);
        if !s.chars().all(allowed) {
            return Err(BookingError::BookingTextChars);
        }
        Ok(Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where the cash office books the money: cost centre (Kostenstelle), account (Sachkonto) and an
/// optional cost unit (Kostenträger / Produkt).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountAssignment {
    pub cost_centre: String,
    pub account: String,
    pub cost_unit: String,
}

impl AccountAssignment {
    pub fn parse(cost_centre: &str, account: &str, cost_unit: &str) -> Result<Self, Vec<BookingError>> {
        let (cc, acc, cu) = (cost_centre.trim().to_uppercase(), account.trim(), cost_unit.trim());
        let mut errors = Vec::new();
        if cc.is_empty()
            || cc.len() > 20
            || !cc.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        {
            errors.push(BookingError::CostCentre);
        }
        if !(4..=10).contains(&acc.len()) || !acc.bytes().all(|b| b.is_ascii_digit()) {
            errors.push(BookingError::Account);
        }
        if cu.len() > 20 || !cu.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            errors.push(BookingError::CostUnit);
        }
        if errors.is_empty() {
            Ok(Self { cost_centre: cc, account: acc.to_owned(), cost_unit: cu.to_owned() })
        } else {
            Err(errors)
        }
    }
}

/// Payment methods a tenant may accept (giropay ended in 2024; Stripe offers these in Germany).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Card,
    SepaDebit,
    Paypal,
}

impl Method {
    pub const ALL: [Method; 3] = [Method::Card, Method::SepaDebit, Method::Paypal];

    pub fn code(self) -> &'static str {
        match self {
            Method::Card => "card",
            Method::SepaDebit => "sepa_debit",
            Method::Paypal => "paypal",
        }
    }
    pub fn parse(s: &str) -> Result<Self, BookingError> {
        Self::ALL.into_iter().find(|m| m.code() == s).ok_or(BookingError::Method)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kassenzeichen() {
        let s = KassenzeichenScheme::parse("KL-", "8").expect("valid");
        assert_eq!(s.format(42), "KL-00000042");
        assert_eq!(KassenzeichenScheme::parse("", "6").expect("valid").format(7), "000007");
        assert_eq!(KassenzeichenScheme::parse("kl", "8"), Err(BookingError::Prefix));
        assert_eq!(KassenzeichenScheme::parse("-KL", "8"), Err(BookingError::Prefix));
        assert_eq!(KassenzeichenScheme::parse("ABCDEFGHIJKLM", "8"), Err(BookingError::Prefix));
        assert_eq!(KassenzeichenScheme::parse("KL", "3"), Err(BookingError::Digits));
        assert_eq!(KassenzeichenScheme::parse("KL", "x"), Err(BookingError::Digits));
    }

    #[test]
    fn booking_text() {
        assert_eq!(
            BookingText::parse(" Meldebescheinigung Gebühr ").expect("valid").as_str(),
            "Meldebescheinigung Gebühr"
        );
        assert!(BookingText::parse(&"x".repeat(27)).is_ok());
        assert_eq!(BookingText::parse(&"x".repeat(28)), Err(BookingError::BookingTextLong));
        assert_eq!(BookingText::parse("   "), Err(BookingError::BookingTextEmpty));
        assert_eq!(BookingText::parse("Gebühr <script>"), Err(BookingError::BookingTextChars));
        assert_eq!(BookingText::parse("Gebühr 10 €"), Err(BookingError::BookingTextChars));
        // 27 characters with umlauts count as characters, not bytes
        assert!(BookingText::parse(&"ü".repeat(27)).is_ok());
    }

    #[test]
    fn account_assignment() {
        let a = AccountAssignment::parse("ks-1100", "43110", "1.2.2.01").expect("valid");
        assert_eq!(a.cost_centre, "KS-1100");
        assert_eq!(
            AccountAssignment::parse("", "12", "x").err(),
            Some(vec![BookingError::CostCentre, BookingError::Account, BookingError::CostUnit])
        );
        assert!(AccountAssignment::parse("1100", "431100", "").is_ok());
    }

    #[test]
    fn methods() {
        assert_eq!(Method::parse("sepa_debit"), Ok(Method::SepaDebit));
        assert_eq!(Method::parse("giropay"), Err(BookingError::Method));
    }
}
