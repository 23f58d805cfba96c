//! Notices after a form post: a typed value carried in the redirect's `?hinweis=` and shown once on
//! the page it leads to. The page shows the notice of the code it gets, never a guess: an unknown
//! or missing code shows nothing.

use portal_domain::Lang;
use portal_ui::blocks::Block;
use portal_ui::i18n::tr;

use super::page::see_other;

/// What a form post did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    Saved,
    Deleted,
}

impl Notice {
    const ALL: [Self; 2] = [Self::Saved, Self::Deleted];

    /// The code in the URL.
    pub fn code(self) -> &'static str {
        match self {
            Self::Saved => "gespeichert",
            Self::Deleted => "geloescht",
        }
    }

    /// The text key of the notice.
    pub fn text_key(self) -> &'static str {
        match self {
            Self::Saved => "common.notice_saved",
            Self::Deleted => "common.notice_deleted",
        }
    }

    /// The notice of a `?hinweis=` value, if it names one.
    pub fn parse(code: Option<&str>) -> Option<Self> {
        Self::ALL.into_iter().find(|n| Some(n.code()) == code)
    }

    /// The notice as a block on the page.
    pub fn block(self, lang: Lang) -> Block {
        Block::Notice("success", tr(lang, self.text_key()))
    }

    /// The redirect to `path` that shows this notice there.
    pub fn redirect(self, path: &str) -> axum::response::Response {
        let sep = if path.contains('?') { '&' } else { '?' };
        see_other(&format!("{path}{sep}hinweis={}", self.code()))
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
