//! What can be wrong with an answer, and the message for it in German and English. The same texts
//! are used by the server and by the browser's instant check.

use portal_domain::{Lang, Localized};
use serde::{Deserialize, Serialize};

/// A problem with one input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Problem {
    Required,
    Choose,
    MustTick,
    TooShort { min: u32 },
    TooLong { max: u32 },
    NotANumber,
    NotWhole,
    BelowMin { min: f64 },
    AboveMax { max: f64 },
    DateInvalid,
    DateInFuture,
    DateInPast,
    EmailInvalid,
    PhoneInvalid,
    IbanInvalid,
    PostcodeInvalid,
    Pattern { message: Localized },
    NotAnOption,
    TooFewItems { min: u32 },
    TooManyItems { max: u32 },
    TooManyFiles { max: u32 },
    FileTooLarge { max_kb: u32 },
    FileType { accepted: String },
    FileEmpty,
}

/// A problem at an input (its form-post name), with the field's label for the message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    pub name: String,
    pub label: Localized,
    pub problem: Problem,
}

impl Issue {
    pub fn message(&self, lang: Lang) -> String {
        self.problem.message(lang, self.label.get(lang))
    }
}

pub(crate) fn yes_no(yes: bool, lang: Lang) -> &'static str {
    match (yes, lang) {
        (true, Lang::De) => "Ja",
        (true, Lang::En) => "Yes",
        (false, Lang::De) => "Nein",
        (false, Lang::En) => "No",
    }
}

fn num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { format!("{n}") }
}

impl Problem {
    /// The message, naming the field as GOV.UK and KERN recommend ("Geben Sie … ein").
    pub fn message(&self, lang: Lang, label: &str) -> String {
        use Problem::*;
        let de = lang == Lang::De;
        match self {
            Required if de => format!("Bitte füllen Sie „{label}“ aus."),
            Required => format!("Enter “{label}”."),
            Choose if de => format!("Bitte wählen Sie bei „{label}“ eine Antwort."),
            Choose => format!("Select an answer for “{label}”."),
            MustTick if de => format!("Bitte bestätigen Sie „{label}“."),
            MustTick => format!("Confirm “{label}”."),
            TooShort { min } if de => format!("„{label}“ muss mindestens {min} Zeichen lang sein."),
            TooShort { min } => format!("“{label}” must be at least {min} characters."),
            TooLong { max } if de => format!("„{label}“ darf höchstens {max} Zeichen lang sein."),
            TooLong { max } => format!("“{label}” must be {max} characters or fewer."),
            NotANumber if de => format!("„{label}“ muss eine Zahl sein."),
            NotANumber => format!("“{label}” must be a number."),
            NotWhole if de => format!("„{label}“ muss eine ganze Zahl sein."),
            NotWhole => format!("“{label}” must be a whole number."),
            BelowMin { min } if de => format!("„{label}“ muss mindestens {} sein.", num(*min)),
            BelowMin { min } => format!("“{label}” must be {} or more.", num(*min)),
            AboveMax { max } if de => format!("„{label}“ darf höchstens {} sein.", num(*max)),
            AboveMax { max } => format!("“{label}” must be {} or less.", num(*max)),
            DateInvalid if de => format!("„{label}“ muss ein gültiges Datum sein, z. B. 27.03.2026."),
            DateInvalid => format!("“{label}” must be a real date, for example 27.03.2026."),
            DateInFuture if de => format!("„{label}“ darf nicht in der Zukunft liegen."),
            DateInFuture => format!("“{label}” must be today or in the past."),
            DateInPast if de => format!("„{label}“ darf nicht in der Vergangenheit liegen."),
            DateInPast => format!("“{label}” must be today or in the future."),
            EmailInvalid if de => format!("„{label}“ muss eine E-Mail-Adresse sein, z. B. name@beispiel.de."),
            EmailInvalid => format!("“{label}” must be an e-mail address, like name@example.com."),
            PhoneInvalid if de => {
                format!("„{label}“ muss eine Telefonnummer sein, z. B. 0631 123456 oder +49 631 123456.")
            }
            PhoneInvalid => format!("“{label}” must be a telephone number, like 0631 123456 or +49 631 123456."),
            IbanInvalid if de => {
                format!("„{label}“ ist keine gültige IBAN. Prüfen Sie die Angabe, z. B. DE89 3704 0044 0532 0130 00.")
            }
            IbanInvalid => format!("“{label}” is not a valid IBAN. Check it, like DE89 3704 0044 0532 0130 00."),
            PostcodeInvalid if de => format!("„{label}“: Die Postleitzahl hat 5 Ziffern."),
            PostcodeInvalid => format!("“{label}”: a German postcode has 5 digits."),
            Pattern { message } => message.get(lang).to_owned(),
            NotAnOption if de => format!("Bitte wählen Sie bei „{label}“ eine der angebotenen Antworten."),
            NotAnOption => format!("Select one of the answers offered for “{label}”."),
            TooFewItems { min } if de => format!("Bitte geben Sie bei „{label}“ mindestens {min} Einträge an."),
            TooFewItems { min } => format!("Add at least {min} entries to “{label}”."),
            TooManyItems { max } if de => format!("„{label}“ hat höchstens {max} Einträge."),
            TooManyItems { max } => format!("“{label}” has at most {max} entries."),
            TooManyFiles { max } if de => format!("Bei „{label}“ sind höchstens {max} Dateien möglich."),
            TooManyFiles { max } => format!("“{label}” takes at most {max} files."),
            FileTooLarge { max_kb } if de => {
                format!("Die Datei bei „{label}“ ist zu groß: höchstens {}.", size(*max_kb))
            }
            FileTooLarge { max_kb } => format!("The file for “{label}” is too large: at most {}.", size(*max_kb)),
            FileType { accepted } if de => {
                format!("Die Datei bei „{label}“ muss {accepted} sein (geprüft wird der Inhalt, nicht der Name).")
            }
            FileType { accepted } => {
                format!("The file for “{label}” must be {accepted} (its content is checked, not its name).")
            }
            FileEmpty if de => format!("Die Datei bei „{label}“ ist leer."),
            FileEmpty => format!("The file for “{label}” is empty."),
        }
    }
}

fn size(kb: u32) -> String {
    if kb >= 1024 && kb.is_multiple_of(1024) { format!("{} MB", kb / 1024) } else { format!("{kb} KB") }
}
