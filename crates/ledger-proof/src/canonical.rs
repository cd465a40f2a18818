//! RFC 8785 (JCS) canonical bytes and the I-JSON profile of the log.
//!
//! The leaf hash of an event is computed over its canonical bytes, so two parties holding the
//! same event must produce the same bytes. JCS fixes key order, whitespace and number format;
//! the profile checked by [`check_value`] removes what JCS leaves ambiguous or what a backend
//! cannot store faithfully:
//! - integers must lie within ±(2^53 − 1) (RFC 7493 §2.2), so every JSON parser reads them back
//!   exactly;
//! - strings and object keys must be Unicode NFC, so visually equal Vietnamese text has one byte
//!   form (`Đề án` typed with combining marks is refused rather than silently rewritten);
//! - strings must not contain U+0000, which PostgreSQL `text` cannot hold.

use serde::Serialize;
use serde_json::Value;
use unicode_normalization::{IsNormalized, is_nfc_quick};

/// The largest integer magnitude every I-JSON reader represents exactly: 2^53 − 1.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Why a value cannot be encoded canonically.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    /// A value breaks the I-JSON profile; `path` names where (`payload.tasks[2].title`).
    #[error("{path}: {problem}")]
    Profile {
        /// JSON path of the offending value.
        path: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The serializer failed (a map with non-string keys, for example).
    #[error("cannot encode canonically: {0}")]
    Encode(String),
}

/// Serializes `value` to its RFC 8785 canonical bytes.
///
/// # Errors
/// Returns [`CanonicalError::Encode`] when serde cannot represent the value as JSON.
pub fn to_canonical_vec<T: Serialize>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    serde_json_canonicalizer::to_vec(value).map_err(|e| CanonicalError::Encode(e.to_string()))
}

/// Checks that `value` satisfies the log's I-JSON profile (see the module documentation).
/// `path` is the name reported for the value itself, e.g. `payload`.
///
/// # Errors
/// Returns the first offending place as [`CanonicalError::Profile`].
pub fn check_value(value: &Value, path: &str) -> Result<(), CanonicalError> {
    let mut path_buf = path.to_owned();
    check_inner(value, &mut path_buf)
}

/// Checks one string against the profile: NFC and no U+0000.
///
/// # Errors
/// Returns [`CanonicalError::Profile`] naming `path`.
pub fn check_text(text: &str, path: &str) -> Result<(), CanonicalError> {
    if text.contains('\0') {
        return Err(profile(path, "contains the NUL character U+0000"));
    }
    let normalized = match is_nfc_quick(text.chars()) {
        IsNormalized::Yes => true,
        IsNormalized::No => false,
        IsNormalized::Maybe => unicode_normalization::is_nfc(text),
    };
    if !normalized {
        return Err(profile(
            path,
            "is not Unicode NFC; normalise it (e.g. compose Vietnamese diacritics) before sending",
        ));
    }
    Ok(())
}

fn check_inner(value: &Value, path: &mut String) -> Result<(), CanonicalError> {
    match value {
        Value::Null | Value::Bool(_) => Ok(()),
        Value::Number(n) => {
            let in_range = match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => i.unsigned_abs() <= MAX_SAFE_INTEGER,
                (None, Some(u)) => u <= MAX_SAFE_INTEGER,
                // A float: serde_json only holds finite ones.
                (None, None) => true,
            };
            if in_range {
                Ok(())
            } else {
                Err(profile(
                    path,
                    "integer outside ±(2^53 − 1); send it as a string",
                ))
            }
        }
        Value::String(s) => check_text(s, path),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                check_inner(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                path.push('.');
                path.push_str(key);
                check_text(key, path)?;
                check_inner(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
    }
}

fn profile(path: &str, problem: &str) -> CanonicalError {
    CanonicalError::Profile {
        path: path.to_owned(),
        problem: problem.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_form_sorts_keys_and_drops_whitespace() {
        let v = json!({"b": 1, "a": [true, null, "Đề án"], "c": {"y": 1.5, "x": 10}});
        let bytes = to_canonical_vec(&v).unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            r#"{"a":[true,null,"Đề án"],"b":1,"c":{"x":10,"y":1.5}}"#
        );
    }

    #[test]
    fn rfc8785_number_serialisation() {
        // Examples from RFC 8785 appendix B.
        let v: Value = serde_json::from_str("[1e30, 4.50, 2e-3, 0.000001, 1e-7]").unwrap();
        let s = String::from_utf8(to_canonical_vec(&v).unwrap()).unwrap();
        assert_eq!(s, "[1e+30,4.5,0.002,0.000001,1e-7]");
    }

    #[test]
    fn nfc_text_passes_and_decomposed_text_is_refused_with_its_path() {
        let nfc = "Nâng cao chất lượng cải cách tư pháp";
        assert!(check_value(&json!({"title": nfc}), "payload").is_ok());
        let decomposed = "Na\u{302}ng cao cha\u{302}\u{301}t lu\u{31b}o\u{31b}\u{323}ng"; // combining marks
        let err = check_value(&json!({"items": [{"title": decomposed}]}), "payload").unwrap_err();
        assert_eq!(
            err,
            CanonicalError::Profile {
                path: "payload.items[0].title".into(),
                problem: "is not Unicode NFC; normalise it (e.g. compose Vietnamese diacritics) before sending".into()
            }
        );
    }

    #[test]
    fn decomposed_keys_and_nul_are_refused() {
        assert!(check_value(&json!({"\u{110}e\u{302}\u{300} a\u{301}n": 1}), "p").is_err());
        assert!(check_value(&json!({"a": "x\u{0}y"}), "p").is_err());
        assert!(check_value(&json!({"Đề án": "ok"}), "p").is_ok());
    }

    #[test]
    fn integers_beyond_the_safe_range_are_refused() {
        assert!(check_value(&json!(MAX_SAFE_INTEGER), "p").is_ok());
        assert!(check_value(&json!(-(MAX_SAFE_INTEGER as i64)), "p").is_ok());
        assert!(check_value(&json!(MAX_SAFE_INTEGER + 1), "p").is_err());
        assert!(check_value(&json!(i64::MIN), "p").is_err());
        assert!(check_value(&json!(u64::MAX), "p").is_err());
        assert!(check_value(&json!(1.0e300), "p").is_ok());
    }
}
