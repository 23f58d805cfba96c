//! Notices after a form post: a typed value carried in the redirect's `?hinweis=` and shown once on
//! the page it leads to. The page shows the notice of the code it gets, never a guess: an unknown
//! or missing code shows nothing.

use portal_domain::Lang;
use portal_ui::blocks::Block;
use portal_ui::i18n::tr;

use super::page::see_other;

/// What a form post did. Each page shows the notices it knows, in its own words (a `match` on
/// this type), and nothing for any other code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    Saved,
    Deleted,
    Invited,
    RoleChanged,
    Revoked,
    LastAdmin,
    LoggedOut,
    PasswordChanged,
    EmailChanged,
    EmailSent,
    Verified,
    ProviderLogin,
    Welcome,
    Discarded,
    AccountChecked,
    StripeUnreachable,
    Suspended,
    Activated,
    Published,
    Imported,
}

impl Notice {
    const ALL: [Self; 20] = [
        Self::Saved,
        Self::Deleted,
        Self::Invited,
        Self::RoleChanged,
        Self::Revoked,
        Self::LastAdmin,
        Self::LoggedOut,
        Self::PasswordChanged,
        Self::EmailChanged,
        Self::EmailSent,
        Self::Verified,
        Self::ProviderLogin,
        Self::Welcome,
        Self::Discarded,
        Self::AccountChecked,
        Self::StripeUnreachable,
        Self::Suspended,
        Self::Activated,
        Self::Published,
        Self::Imported,
    ];

    /// The code in the URL.
    pub fn code(self) -> &'static str {
        match self {
            Self::Saved => "gespeichert",
            Self::Deleted => "geloescht",
            Self::Invited => "eingeladen",
            Self::RoleChanged => "rolle",
            Self::Revoked => "entzogen",
            Self::LastAdmin => "letzter-admin",
            Self::LoggedOut => "abgemeldet",
            Self::PasswordChanged => "passwort",
            Self::EmailChanged => "email",
            Self::EmailSent => "email-gesendet",
            Self::Verified => "bestaetigt",
            Self::ProviderLogin => "idp",
            Self::Welcome => "willkommen",
            Self::Discarded => "verworfen",
            Self::AccountChecked => "konto",
            Self::StripeUnreachable => "stripe",
            Self::Suspended => "gesperrt",
            Self::Activated => "aktiviert",
            Self::Published => "veroeffentlicht",
            Self::Imported => "importiert",
        }
    }

    /// The notice named in a query string (`…&hinweis=gespeichert`), if any.
    pub fn from_query(query: Option<&str>) -> Option<Self> {
        // a query that is not UTF-8 names no notice
        Self::parse(
            crate::kit::form::parse_urlencoded(query.unwrap_or_default().as_bytes())
                .ok()?
                .iter()
                .find(|(k, _)| k == "hinweis")
                .map(|(_, v)| v.as_str()),
        )
    }

    /// The notice of a `?hinweis=` value, if it names one.
    pub fn parse(code: Option<&str>) -> Option<Self> {
        Self::ALL.into_iter().find(|n| Some(n.code()) == code)
    }

    /// The generic notice of a change saved or an entry removed (pages with their own words match
    /// on the notice instead).
    pub fn block(self, lang: Lang) -> Option<Block> {
        match self {
            Self::Saved => Some(Block::Notice("success", tr(lang, "common.notice_saved"))),
            Self::Deleted => Some(Block::Notice("success", tr(lang, "common.notice_deleted"))),
            _ => None,
        }
    }

    /// `path` with this notice in its query.
    pub fn path(self, path: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{path}{sep}hinweis={}", self.code())
    }

    /// The redirect to `path` that shows this notice there.
    pub fn redirect(self, path: &str) -> axum::response::Response {
        see_other(&self.path(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notice_reads_back_from_its_code_and_nothing_else_does() {
        for n in Notice::ALL {
            assert_eq!(Notice::parse(Some(n.code())), Some(n));
        }
        assert_eq!(Notice::parse(Some("irgendwas")), None);
        assert_eq!(Notice::parse(None), None);
    }
}
