//! Money amounts: always integer euro cents, never floats.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Hundredths with a decimal comma, as German forms and spreadsheets write them: `1250` → `12,50`,
/// `-5` → `-0,05` (cents as euro, basis points as percent).
pub fn decimal_de(hundredths: i64) -> String {
    let sign = if hundredths < 0 { "-" } else { "" };
    let h = hundredths.unsigned_abs();
    format!("{sign}{},{:02}", h / 100, h % 100)
}

/// A non-negative amount in euro cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cents(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CentsError {
    #[error("amount must not be negative")]
    Negative,
    #[error("amount is too large")]
    TooLarge,
    #[error("amount must look like 12,50 or 12.50 (euro, at most two decimals)")]
    Format,
}

impl Cents {
    /// At most one million euro: fees above that are typos.
    pub const MAX: i64 = 100_000_000;

    pub fn new(cents: i64) -> Result<Self, CentsError> {
        if cents < 0 {
            Err(CentsError::Negative)
        } else if cents > Self::MAX {
            Err(CentsError::TooLarge)
        } else {
            Ok(Self(cents))
        }
    }

    /// Parses a euro amount as typed in a form: `12`, `12,5`, `12,50`, `12.50`, `1.234,50` is refused
    /// (no thousands separators, to avoid ambiguity).
    pub fn parse_euro(input: &str) -> Result<Self, CentsError> {
        let s = input.trim().trim_end_matches('€').trim();
        if s.starts_with('-') {
            return Err(CentsError::Negative);
        }
        let (euros, decimals) = match s.split_once([',', '.']) {
            Some((e, d)) => (e, d),
            None => (s, ""),
        };
        if euros.is_empty() || euros.len() > 9 || !euros.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CentsError::Format);
        }
        if decimals.len() > 2 || !decimals.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CentsError::Format);
        }
        let euros: i64 = euros.parse().map_err(|_| CentsError::Format)?;
        let cents: i64 = match decimals.len() {
            0 => 0,
            1 => decimals.parse::<i64>().map_err(|_| CentsError::Format)? * 10,
            _ => decimals.parse().map_err(|_| CentsError::Format)?,
        };
        Self::new(euros * 100 + cents)
    }

    pub fn get(self) -> i64 {
        self.0
    }

    /// The amount as written in `lang`.
    pub fn format(self, lang: crate::Lang) -> String {
        lang.pick(self.format_de(), self.format_en())
    }

    /// German formatting, e.g. `12,50 €`.
    pub fn format_de(self) -> String {
        format!("{} €", decimal_de(self.0))
    }

    /// English formatting, e.g. `€12.50`.
    pub fn format_en(self) -> String {
        format!("€{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format_de())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_euro_amounts() {
        assert_eq!(Cents::parse_euro("12,5").expect("valid").get(), 1250);
        assert_eq!(Cents::parse_euro("12.50 €").expect("valid").get(), 1250);
        assert_eq!(Cents::parse_euro("7").expect("valid").get(), 700);
        assert_eq!(Cents::parse_euro("-1"), Err(CentsError::Negative));
        assert_eq!(Cents::parse_euro("1,234"), Err(CentsError::Format));
        assert_eq!(Cents::parse_euro("abc"), Err(CentsError::Format));
        assert_eq!(Cents::new(1250).expect("valid").format_de(), "12,50 €");
    }
}
