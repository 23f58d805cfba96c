//! What an application costs: the service's fee rule applied to the answers on the server (the
//! client never sends an amount), and the platform's application fee from the tenant's plan.

use std::collections::BTreeMap;

use portal_domain::{Cents, Lang, Localized, decimal_de};
use portal_forms::schema::Kind;
use portal_forms::{Answers, FormSchema};
use serde::{Deserialize, Serialize};

/// Most pieces of a per-item fee (a typo guard: 99 certificates are an office matter).
pub const MAX_QUANTITY: i64 = 99;

/// How a service's fee is computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FeeRule {
    /// The same amount for every application.
    Fixed { cents: i64 },
    /// An amount per piece, the number taken from a whole-number field (e.g. copies).
    PerItem { cents: i64, field: String },
    /// The amount depends on the option chosen in a select or radio field.
    ByOption { field: String, options: BTreeMap<String, i64> },
}

/// Why a fee rule or a fee could not be worked out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeeError {
    #[error("amounts must be between 0 and 1,000,000 euro")]
    Amount,
    #[error("the form has no field `{0}` of the right kind")]
    Field(String),
    #[error("option `{0}` of the form has no amount")]
    MissingOption(String),
    #[error("option `{0}` is not in the form")]
    UnknownOption(String),
    #[error("the answer to `{0}` gives no amount")]
    Answer(String),
}

impl FeeError {
    /// One error of each kind, for the check that each has a text.
    pub fn examples() -> [FeeError; 5] {
        [
            FeeError::Amount,
            FeeError::Field(String::new()),
            FeeError::MissingOption(String::new()),
            FeeError::UnknownOption(String::new()),
            FeeError::Answer(String::new()),
        ]
    }

    /// The message key below `payments.error.`.
    pub fn key(&self) -> &'static str {
        match self {
            FeeError::Amount => "fee_amount",
            FeeError::Field(_) => "fee_field",
            FeeError::MissingOption(_) => "fee_missing_option",
            FeeError::UnknownOption(_) => "fee_unknown_option",
            FeeError::Answer(_) => "fee_answer",
        }
    }
}

/// One line of a fee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeItem {
    pub label: Localized,
    pub quantity: i64,
    pub unit_cents: i64,
}

impl FeeItem {
    pub fn total(&self) -> i64 {
        self.quantity * self.unit_cents
    }
}

/// A computed fee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fee {
    pub items: Vec<FeeItem>,
}

impl Fee {
    pub fn total(&self) -> i64 {
        self.items.iter().map(FeeItem::total).sum()
    }
    /// A line per item in `lang`, e.g. "2 × Ausfertigung à 12,00 €".
    pub fn lines(&self, lang: Lang) -> Vec<String> {
        self.items
            .iter()
            .map(|i| {
                let unit = Cents::new(i.unit_cents).map(|c| c.format(lang)).unwrap_or_default();
                if i.quantity == 1 {
                    format!("{} ({unit})", i.label.get(lang))
                } else {
                    format!("{} × {} ({unit})", i.quantity, i.label.get(lang))
                }
            })
            .collect()
    }
}

fn amount_ok(c: i64) -> bool {
    (0..=Cents::MAX).contains(&c)
}

impl FeeRule {
    /// Checks the rule against the service's form: the fields exist with the right kind, every
    /// option has an amount and no amount names an option the form lacks.
    pub fn check(&self, schema: Option<&FormSchema>) -> Result<(), FeeError> {
        match self {
            FeeRule::Fixed { cents } => amount_ok(*cents).then_some(()).ok_or(FeeError::Amount),
            FeeRule::PerItem { cents, field } => {
                if !amount_ok(*cents) || *cents == 0 {
                    return Err(FeeError::Amount);
                }
                match schema.and_then(|s| s.field(field)) {
                    Some(f) if f.kind == Kind::Number && f.integer => Ok(()),
                    _ => Err(FeeError::Field(field.clone())),
                }
            }
            FeeRule::ByOption { field, options } => {
                let f = schema
                    .and_then(|s| s.field(field))
                    .filter(|f| matches!(f.kind, Kind::Select | Kind::Radio))
                    .ok_or_else(|| FeeError::Field(field.clone()))?;
                if options.values().any(|c| !amount_ok(*c)) {
                    return Err(FeeError::Amount);
                }
                if let Some(missing) = f.options.iter().find(|o| !options.contains_key(&o.value)) {
                    return Err(FeeError::MissingOption(missing.value.clone()));
                }
                if let Some(unknown) = options.keys().find(|k| !f.options.iter().any(|o| &o.value == *k)) {
                    return Err(FeeError::UnknownOption(unknown.clone()));
                }
                Ok(())
            }
        }
    }

    /// The fee for these answers. `service` labels a fixed fee.
    pub fn compute(
        &self,
        schema: Option<&FormSchema>,
        answers: &Answers,
        service: &Localized,
    ) -> Result<Fee, FeeError> {
        let item = |label: Localized, quantity: i64, unit_cents: i64| Fee {
            items: vec![FeeItem { label, quantity, unit_cents }],
        };
        match self {
            FeeRule::Fixed { cents } => Ok(item(service.clone(), 1, *cents)),
            FeeRule::PerItem { cents, field } => {
                let raw = answers.get(field).map(|v| v.text().trim().to_owned()).unwrap_or_default();
                let quantity =
                    if raw.is_empty() { 1 } else { raw.parse::<i64>().map_err(|_| FeeError::Answer(field.clone()))? };
                if !(1..=MAX_QUANTITY).contains(&quantity) {
                    return Err(FeeError::Answer(field.clone()));
                }
                let label = schema.and_then(|s| s.field(field)).map_or_else(|| service.clone(), |f| f.label.clone());
                Ok(item(label, quantity, *cents))
            }
            FeeRule::ByOption { field, options } => {
                let chosen = answers.get(field).map(|v| v.text().to_owned()).unwrap_or_default();
                let cents = *options.get(&chosen).ok_or_else(|| FeeError::Answer(field.clone()))?;
                let label = schema
                    .and_then(|s| s.field(field))
                    .and_then(|f| {
                        Some(Localized {
                            de: f.choice_label(&chosen, Lang::De)?,
                            en: f.choice_label(&chosen, Lang::En)?,
                        })
                    })
                    .unwrap_or_else(|| service.clone());
                Ok(item(label, 1, cents))
            }
        }
    }

    /// Reads a rule from the settings form: kind, amount in euro, field, and for options
    /// `value=amount` pairs separated by `;` or new lines (`einfach=10,00; erweitert=15`).
    pub fn from_form(kind: &str, amount: &str, field: &str, options: &str) -> Result<Self, FeeError> {
        let euro = |s: &str| Cents::parse_euro(s).map(Cents::get).map_err(|_| FeeError::Amount);
        match kind {
            "fixed" => Ok(FeeRule::Fixed { cents: euro(amount)? }),
            "per_item" => Ok(FeeRule::PerItem { cents: euro(amount)?, field: field.trim().to_owned() }),
            "by_option" => {
                let mut map = BTreeMap::new();
                for pair in options.split([';', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once('=').ok_or(FeeError::Amount)?;
                    map.insert(k.trim().to_owned(), euro(v)?);
                }
                Ok(FeeRule::ByOption { field: field.trim().to_owned(), options: map })
            }
            _ => Err(FeeError::Amount),
        }
    }

    /// The form's fields as the settings form shows them: (kind, amount, field, options).
    pub fn to_form(&self) -> (&'static str, String, String, String) {
        match self {
            FeeRule::Fixed { cents } => ("fixed", decimal_de(*cents), String::new(), String::new()),
            FeeRule::PerItem { cents, field } => ("per_item", decimal_de(*cents), field.clone(), String::new()),
            FeeRule::ByOption { field, options } => (
                "by_option",
                String::new(),
                field.clone(),
                options.iter().map(|(k, v)| format!("{k}={}", decimal_de(*v))).collect::<Vec<_>>().join("; "),
            ),
        }
    }
}

/// The platform's application fee of a plan: a fixed part plus basis points of the amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlanFee {
    pub fixed_cents: i64,
    pub basis_points: i64,
}

impl PlanFee {
    /// The fee for `amount` cents, rounded half up, and always less than the amount itself.
    pub fn for_amount(self, amount: i64) -> i64 {
        let fee = self.fixed_cents + (amount * self.basis_points + 5_000) / 10_000;
        fee.clamp(0, (amount - 1).max(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portal_forms::Value;

    fn schema() -> FormSchema {
        FormSchema::from_json(
            r#"{"version":1,"pages":[{"id":"p","title":{"de":"P","en":"P"},"fields":[
              {"id":"copies","type":"number","integer":true,"min":1,"max":10,"label":{"de":"Ausfertigungen","en":"Copies"}},
              {"id":"art","type":"radio","label":{"de":"Art","en":"Kind"},"options":[
                 {"value":"einfach","label":{"de":"Einfach","en":"Simple"}},{"value":"erweitert","label":{"de":"Erweitert","en":"Extended"}}]}]}]}"#,
        )
        .expect("schema")
    }

    fn service() -> Localized {
        Localized { de: "Meldebescheinigung".into(), en: "Certificate".into() }
    }

    #[test]
    fn fixed_per_item_and_option() {
        let s = schema();
        let mut a = Answers::new();
        a.insert("copies".into(), Value::Text("3".into()));
        a.insert("art".into(), Value::Text("erweitert".into()));
        assert_eq!(FeeRule::Fixed { cents: 1200 }.compute(Some(&s), &a, &service()).expect("fee").total(), 1200);
        let per = FeeRule::PerItem { cents: 1200, field: "copies".into() };
        per.check(Some(&s)).expect("valid");
        let fee = per.compute(Some(&s), &a, &service()).expect("fee");
        assert_eq!(fee.total(), 3600);
        assert_eq!(fee.lines(Lang::De), vec!["3 × Ausfertigungen (12,00 €)"]);
        let opt = FeeRule::from_form("by_option", "", "art", "einfach=10; erweitert=15,50").expect("rule");
        opt.check(Some(&s)).expect("valid");
        assert_eq!(opt.compute(Some(&s), &a, &service()).expect("fee").total(), 1550);
        assert_eq!(opt.to_form().3, "einfach=10,00; erweitert=15,50");
    }

    #[test]
    fn rules_are_checked_against_the_form() {
        let s = schema();
        assert_eq!(
            FeeRule::PerItem { cents: 100, field: "art".into() }.check(Some(&s)),
            Err(FeeError::Field("art".into()))
        );
        assert_eq!(FeeRule::PerItem { cents: 0, field: "copies".into() }.check(Some(&s)), Err(FeeError::Amount));
        assert_eq!(
            FeeRule::from_form("by_option", "", "art", "einfach=10").expect("rule").check(Some(&s)),
            Err(FeeError::MissingOption("erweitert".into()))
        );
        assert_eq!(
            FeeRule::from_form("by_option", "", "art", "einfach=1;erweitert=2;gold=3").expect("rule").check(Some(&s)),
            Err(FeeError::UnknownOption("gold".into()))
        );
        assert_eq!(FeeRule::from_form("fixed", "-3", "", ""), Err(FeeError::Amount));
        assert_eq!(FeeRule::from_form("fixed", "12,345", "", ""), Err(FeeError::Amount));
    }

    #[test]
    fn answers_out_of_range_give_no_fee() {
        let s = schema();
        let per = FeeRule::PerItem { cents: 1200, field: "copies".into() };
        let mut a = Answers::new();
        a.insert("copies".into(), Value::Text("1000".into()));
        assert!(per.compute(Some(&s), &a, &service()).is_err());
        a.insert("copies".into(), Value::Text("-1".into()));
        assert!(per.compute(Some(&s), &a, &service()).is_err());
        // not shown / not answered: one piece
        assert_eq!(per.compute(Some(&s), &Answers::new(), &service()).expect("fee").total(), 1200);
    }

    #[test]
    fn application_fee() {
        let plan = PlanFee { fixed_cents: 25, basis_points: 150 };
        assert_eq!(plan.for_amount(1000), 40);
        assert_eq!(plan.for_amount(1), 0);
        assert_eq!(PlanFee::default().for_amount(5000), 0);
        // never the whole amount
        assert_eq!(PlanFee { fixed_cents: 10_000, basis_points: 0 }.for_amount(500), 499);
    }
}
