//! Host names under which a tenant portal (or the operations console) is served.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A lower-case DNS host name without port, e.g. `kaiserslautern.localhost` or `service.dueren.de`.
///
/// Rules (RFC 1123): 1–253 characters, labels of 1–63 characters made of `a-z`, `0-9` and inner
/// hyphens, at least two labels. Input is trimmed and lower-cased; a trailing dot is removed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct HostName(String);

/// Why a host name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostNameError {
    #[error("host name is empty")]
    Empty,
    #[error("host name is longer than 253 characters")]
    TooLong,
    #[error("host name needs at least two labels, e.g. stadt.example")]
    SingleLabel,
    #[error("host name label `{0}` is invalid: use a-z, 0-9 and inner hyphens, at most 63 characters")]
    BadLabel(String),
}

impl HostName {
    /// Parses and normalises a host name.
    pub fn parse(input: &str) -> Result<Self, HostNameError> {
        let s = input.trim().trim_end_matches('.').to_ascii_lowercase();
        if s.is_empty() {
            return Err(HostNameError::Empty);
        }
        if s.len() > 253 {
            return Err(HostNameError::TooLong);
        }
        let labels: Vec<&str> = s.split('.').collect();
        if labels.len() < 2 {
            return Err(HostNameError::SingleLabel);
        }
        for label in &labels {
            let ok = !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-');
            if !ok {
                return Err(HostNameError::BadLabel((*label).to_owned()));
            }
        }
        Ok(Self(s))
    }

    /// Parses the value of a `Host` header: strips an optional `:port` (and IPv6 brackets are
    /// refused, as tenants are never addressed by IP).
    pub fn from_header(value: &str) -> Result<Self, HostNameError> {
        let without_port = match value.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
            _ => value,
        };
        Self::parse(without_port)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HostName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for HostName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises_valid_names() {
        assert_eq!(HostName::parse(" Kaiserslautern.LOCALHOST. ").expect("valid").as_str(), "kaiserslautern.localhost");
        assert_eq!(HostName::from_header("dueren.localhost:3000").expect("valid").as_str(), "dueren.localhost");
    }

    #[test]
    fn refuses_invalid_names() {
        assert_eq!(HostName::parse(""), Err(HostNameError::Empty));
        assert_eq!(HostName::parse("localhost"), Err(HostNameError::SingleLabel));
        assert!(matches!(HostName::parse("bad_name.de"), Err(HostNameError::BadLabel(_))));
        assert!(matches!(HostName::parse("-x.de"), Err(HostNameError::BadLabel(_))));
        assert!(matches!(HostName::parse("a..de"), Err(HostNameError::BadLabel(_))));
        assert!(matches!(HostName::parse("müll.de"), Err(HostNameError::BadLabel(_))));
        assert_eq!(HostName::parse(&"a.".repeat(130)), Err(HostNameError::TooLong));
    }
}
