//! JSON read strictly, with errors that name the field and never quote a value.
//!
//! Secrets and provisioning events are JSON objects written by people. Two things serde does
//! by default are wrong for them:
//! - a key given twice in one object is kept silently, the last one winning
//!   (`{"mode": "plan", …, "mode": "apply"}` would write); [`parse`] refuses it, anywhere in
//!   the document, naming its path;
//! - serde's messages quote the value they found (``invalid type: string "hunter2"``,
//!   ``invalid type: integer `14155550130` ``), and a value may be a token or a phone number;
//!   [`deserialize`] keeps what was found (its type) and what was expected, never the value.
//!
//! Paths are written as serde_path_to_error writes them: `numbers[0].agent.prompt`.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use serde::Deserializer;
use serde::de::{DeserializeOwned, DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// What is wrong with a JSON document, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    /// Path of the field (`numbers[1].phone_number`); empty for the document itself.
    pub path: String,
    /// What is wrong there.
    pub kind: JsonErrorKind,
}

/// The kinds of [`JsonError`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JsonErrorKind {
    /// The text is not JSON: serde_json's syntax message (positions, never values).
    NotJson(String),
    /// The key at `path` is given twice in the same object.
    RepeatedKey,
    /// The key at `path` is required and absent.
    MissingKey,
    /// The key at `path` is not one the type knows; `reason` is serde's description without
    /// the key, e.g. ``unknown field, expected one of `mode`, `numbers` ``.
    UnknownKey {
        /// What serde expected instead.
        reason: String,
    },
    /// The value at `path` is not acceptable: what was found (its type) and what was expected,
    /// e.g. `invalid type: integer, expected a string`.
    Invalid(String),
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "(document)"
        } else {
            &self.path
        };
        match &self.kind {
            JsonErrorKind::NotJson(reason) => write!(f, "not JSON: {reason}"),
            JsonErrorKind::RepeatedKey => write!(f, "{path}: given twice in the same object"),
            JsonErrorKind::MissingKey => write!(f, "{path}: required"),
            JsonErrorKind::UnknownKey { .. } => write!(f, "{path}: unknown key"),
            JsonErrorKind::Invalid(reason) => write!(f, "{path}: {reason}"),
        }
    }
}

impl std::error::Error for JsonError {}

/// Reads JSON text, refusing any key given twice within one object, at any depth.
///
/// # Errors
/// [`JsonErrorKind::RepeatedKey`] at the path of the first repeated key,
/// [`JsonErrorKind::NotJson`] for text that is not one JSON value.
pub fn parse(text: &str) -> Result<Value, JsonError> {
    let not_json = |e: serde_json::Error| JsonError {
        path: String::new(),
        kind: JsonErrorKind::NotJson(e.to_string()),
    };
    let repeated = RefCell::new(None);
    let mut json = serde_json::Deserializer::from_str(text);
    let checked = UniqueKeys {
        path: String::new(),
        repeated: &repeated,
    }
    .deserialize(&mut json)
    .and_then(|()| json.end());
    if let Some(path) = repeated.into_inner() {
        return Err(JsonError {
            path,
            kind: JsonErrorKind::RepeatedKey,
        });
    }
    checked.map_err(not_json)?;
    serde_json::from_str(text).map_err(not_json)
}

/// Reads `T` from `value`, with an error that names the field and never quotes a value.
///
/// # Errors
/// [`JsonErrorKind::MissingKey`], [`JsonErrorKind::UnknownKey`] (at the path of the key) or
/// [`JsonErrorKind::Invalid`] (at the path of the value).
pub fn deserialize<T: DeserializeOwned>(value: Value) -> Result<T, JsonError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = match error.path().to_string() {
            p if p == "." => String::new(),
            p => p,
        };
        describe(path, &error.into_inner().to_string())
    })
}

/// [`parse`] then [`deserialize`].
///
/// # Errors
/// As [`parse`] and [`deserialize`].
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, JsonError> {
    deserialize(parse(text)?)
}

/// The error for serde's `message` about the value at `path`.
fn describe(path: String, message: &str) -> JsonError {
    let quoted_name = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned)
    };
    // serde names a missing field in the message, at the path of the object that lacks it; an
    // unknown one is at the key's own path already, or at the object's.
    if let Some(name) = quoted_name("missing field `") {
        return JsonError {
            path: join(&path, &name),
            kind: JsonErrorKind::MissingKey,
        };
    }
    if let Some(name) = quoted_name("unknown field `") {
        let path = if path == name || path.ends_with(&format!(".{name}")) {
            path
        } else {
            join(&path, &name)
        };
        return JsonError {
            path,
            kind: JsonErrorKind::UnknownKey {
                reason: without_values(message),
            },
        };
    }
    JsonError {
        path,
        kind: JsonErrorKind::Invalid(without_values(message)),
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// serde's description of a data error without the value it found: serde quotes it
/// (``invalid type: integer `14155550130`, expected a string``, `invalid type: string "…"`,
/// ``unknown variant `…` ``). What was found (its type) and what was expected are kept, and
/// Rust's names for containers are given as JSON's: `invalid type: integer, expected a string`.
pub fn without_values(message: &str) -> String {
    // Everything after the last ", expected " is serde's or the type's, never the document's:
    // the value comes before it (and may itself hold ", expected ").
    let (found, expected) = match message.rfind(", expected ") {
        Some(at) => (&message[..at], Some(&message[at + 2..])),
        None => (message, None),
    };
    let found = found
        .find(['`', '"'])
        .map_or(found, |quote| found[..quote].trim_end());
    let Some(expected) = expected else {
        return found.to_owned();
    };
    let expected = match expected {
        "expected a map" => "expected a JSON object",
        "expected a sequence" => "expected a JSON array",
        e if e.starts_with("expected struct ") => "expected a JSON object",
        e => e,
    };
    format!("{found}, {expected}")
}

/// Walks a JSON value and fails at the first key repeated within an object, leaving its path
/// in `repeated`.
struct UniqueKeys<'a> {
    path: String,
    repeated: &'a RefCell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for UniqueKeys<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UniqueKeys<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        let mut index = 0_usize;
        loop {
            let item = UniqueKeys {
                path: format!("{}[{index}]", self.path),
                repeated: self.repeated,
            };
            if items.next_element_seed(item)?.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = entries.next_key::<String>()? {
            let path = join(&self.path, &key);
            if !seen.insert(key) {
                *self.repeated.borrow_mut() = Some(path);
                return Err(A::Error::custom("a key is given twice"));
            }
            entries.next_value_seed(UniqueKeys {
                path,
                repeated: self.repeated,
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        name: String,
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        number: String,
        #[serde(default)]
        count: Option<u32>,
    }

    fn err(text: &str) -> JsonError {
        from_str::<Doc>(text).unwrap_err()
    }

    #[test]
    fn repeated_keys_anywhere_are_named_by_path() {
        let e = err(r#"{"name":"a","items":[{"number":"1"},{"number":"2","number":"3"}]}"#);
        assert_eq!(e.path, "items[1].number");
        assert_eq!(e.kind, JsonErrorKind::RepeatedKey);
        assert_eq!(err(r#"{"name":"a","name":"b","items":[]}"#).path, "name");
    }

    #[test]
    fn missing_unknown_and_invalid_keys_never_quote_values() {
        let e = err(r#"{"name":"a","items":[{"count":1}]}"#);
        assert_eq!(
            (e.path.as_str(), &e.kind),
            ("items[0].number", &JsonErrorKind::MissingKey)
        );
        let e = err(r#"{"name":"a","items":[{"number":"1","colour":"hunter2"}]}"#);
        assert_eq!(e.path, "items[0].colour");
        assert_eq!(
            e.kind,
            JsonErrorKind::UnknownKey {
                reason: "unknown field, expected `number` or `count`".into()
            }
        );
        let e = err(r#"{"name":14155550130,"items":[]}"#);
        assert_eq!(e.path, "name");
        assert_eq!(
            e.kind,
            JsonErrorKind::Invalid("invalid type: integer, expected a string".into())
        );
        let e = err(r#"{"name":"a","items":{"number":"hunter2"}}"#);
        assert_eq!(
            e.to_string(),
            "items: invalid type: map, expected a JSON array"
        );
        assert!(
            !err(r#"{"name":"x","items":[{"number":"1","count":"hunter2"}]}"#)
                .to_string()
                .contains("hunter2")
        );
    }

    #[test]
    fn not_json() {
        let e = err("not json hunter2");
        assert!(matches!(e.kind, JsonErrorKind::NotJson(_)));
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(matches!(
            err(r#"{"name":"a"} {}"#).kind,
            JsonErrorKind::NotJson(_)
        ));
    }

    #[test]
    fn without_values_keeps_types_only() {
        assert_eq!(
            without_values("invalid type: string \"+1415, expected 5550123\", expected a number"),
            "invalid type: string, expected a number"
        );
        assert_eq!(
            without_values("unknown variant `evil`, expected `plan` or `apply`"),
            "unknown variant, expected `plan` or `apply`"
        );
        assert_eq!(
            without_values("invalid type: sequence, expected struct AgentSettings"),
            "invalid type: sequence, expected a JSON object"
        );
    }
}
