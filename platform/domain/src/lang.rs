//! The UI languages of the portal.

use serde::{Deserialize, Serialize};

/// A language the portal is fully translated into. German is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    De,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::De, Lang::En];

    /// The BCP 47 code used in `lang` attributes, cookies and query strings.
    pub fn code(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
        }
    }

    /// Parses a code such as `de`, `en`, `en-GB` (case-insensitive); unknown codes give `None`.
    pub fn from_code(code: &str) -> Option<Self> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "de" => Some(Lang::De),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks the first supported language of an `Accept-Language` header.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        header.split(',').filter_map(|part| Self::from_code(part.split(';').next()?)).next()
    }
}

impl Lang {
    /// Of two values, the one in this language: the one way bilingual data (names, notes, number
    /// formats) is chosen; UI texts come from the translation files.
    pub fn pick<T>(self, de: T, en: T) -> T {
        match self {
            Lang::De => de,
            Lang::En => en,
        }
    }

    /// `value` with `places` decimals and this language's decimal separator: `0,4` in German,
    /// `0.4` in English.
    pub fn decimal(self, value: f64, places: usize) -> String {
        let text = format!("{value:.places$}");
        self.pick(text.replace('.', ","), text)
    }
}

/// A text in both UI languages.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Localized {
    pub de: String,
    pub en: String,
}

impl Localized {
    pub fn get(&self, lang: Lang) -> &str {
        lang.pick(&self.de, &self.en)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_first_supported_accept_language() {
        assert_eq!(Lang::from_accept_language("fr-FR,en-GB;q=0.8,de;q=0.5"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("fr"), None);
    }

    #[test]
    fn decimals_use_the_languages_separator() {
        assert_eq!(Lang::De.decimal(0.4321, 1), "0,4");
        assert_eq!(Lang::En.decimal(0.4321, 1), "0.4");
        assert_eq!(Lang::De.decimal(12.0, 2), "12,00");
    }
}
