//! Prefill from the Bürgerkonto: fields with a `prefill` key get the profile's value when the
//! citizen has not entered one; values an identity provider asserted are marked verified.

use std::collections::{BTreeMap, BTreeSet};

use crate::answers::{Answers, Value};
use crate::schema::{FormSchema, PrefillKey};

/// The profile values a form may use, and which of them an identity provider verified.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfileValues {
    pub values: BTreeMap<PrefillKey, String>,
    pub verified: BTreeSet<PrefillKey>,
}

impl ProfileValues {
    fn get(&self, key: PrefillKey) -> Option<&str> {
        self.values.get(&key).map(String::as_str).filter(|v| !v.trim().is_empty())
    }

    fn value_for(&self, key: PrefillKey) -> Option<Value> {
        if key == PrefillKey::Address {
            let parts: BTreeMap<String, String> =
                [("street", PrefillKey::Street), ("postcode", PrefillKey::Postcode), ("town", PrefillKey::Town)]
                    .into_iter()
                    .filter_map(|(part, k)| self.get(k).map(|v| (part.to_owned(), v.to_owned())))
                    .collect();
            return (!parts.is_empty()).then_some(Value::Parts(parts));
        }
        self.get(key).map(|v| Value::Text(v.to_owned()))
    }

    fn is_verified(&self, key: PrefillKey) -> bool {
        match key {
            PrefillKey::Address => {
                [PrefillKey::Street, PrefillKey::Postcode, PrefillKey::Town].iter().all(|k| self.verified.contains(k))
            }
            k => self.verified.contains(&k),
        }
    }
}

/// Fills empty prefillable fields from the profile. Returns the ids of fields filled.
pub fn prefill(schema: &FormSchema, profile: &ProfileValues, answers: &mut Answers) -> Vec<String> {
    let mut filled = Vec::new();
    for field in schema.fields() {
        let Some(key) = field.prefill else { continue };
        if answers.get(&field.id).is_some_and(|v| !v.is_empty()) {
            continue;
        }
        if let Some(v) = profile.value_for(key) {
            answers.insert(field.id.clone(), v);
            filled.push(field.id.clone());
        }
    }
    filled
}

/// Ids of fields whose current value is the one an identity provider verified.
pub fn verified_fields(schema: &FormSchema, profile: &ProfileValues, answers: &Answers) -> BTreeSet<String> {
    schema
        .fields()
        .filter_map(|f| f.prefill.map(|k| (f, k)))
        .filter(|(f, k)| profile.is_verified(*k) && profile.value_for(*k).as_ref() == answers.get(&f.id))
        .map(|(f, _)| f.id.clone())
        .collect()
}
