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

/// Writes the RFC 8785 form of `value` to `out` directly, without the general serializer's
/// intermediate buffers; false (with `out` unspecified) for a value holding a non-integer
/// number, whose ES6 formatting is left to [`to_canonical_vec`]. Object members are written
/// in UTF-16 code-unit order of their names, as JCS requires; strings are escaped as
/// `serde_json` escapes them, which is JCS's escaping (`\"`, `\\`, the short forms of
/// `\b \f \n \r \t`, and `\u00xx` in lowercase for other control characters; nothing
/// else). Equal to [`to_canonical_vec`] on every value it accepts (tested on random values).
pub fn write_canonical(value: &Value, out: &mut Vec<u8>) -> bool {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            let mut buffer = itoa::Buffer::new();
            if let Some(i) = n.as_i64() {
                out.extend_from_slice(buffer.format(i).as_bytes());
            } else if let Some(u) = n.as_u64() {
                out.extend_from_slice(buffer.format(u).as_bytes());
            } else {
                return false;
            }
        }
        Value::String(text) => write_string(text, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                if !write_canonical(item, out) {
                    return false;
                }
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| utf16_order(a.0, b.0));
            out.push(b'{');
            for (i, (key, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                if !write_canonical(item, out) {
                    return false;
                }
            }
            out.push(b'}');
        }
    }
    true
}

/// Writes `text` as a JSON string (JCS escaping).
pub fn write_string(text: &str, out: &mut Vec<u8>) {
    // serde_json's string escaping is exactly JCS's; writing to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

/// Orders names by their UTF-16 code units (JCS §3.2.3), which differs from UTF-8 byte order
/// only between characters above U+FFFF and those from U+E000 to U+FFFF.
fn utf16_order(a: &str, b: &str) -> std::cmp::Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

fn profile(path: &str, problem: &str) -> CanonicalError {
    CanonicalError::Profile {
        path: path.to_owned(),
        problem: problem.to_owned(),
    }
}

#[cfg(test)]
mod tests {

    /// Random JSON values: nested, with Vietnamese and astral text, private-use and control
    /// characters in names and strings, integers at the profile's bounds, and some floats.
    fn step(seed: &mut u64) -> u64 {
        *seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn random_value(seed: &mut u64, depth: u32) -> Value {
        const TEXTS: [&str; 10] = [
            "Đề án 10-ĐA/TU",
            "tiến độ",
            "a\"b\\c/d",
            "\u{1}\u{8}\t\n\u{c}\r\u{1f}\u{7f}",
            "\u{e000}",
            "\u{1f600}",
            "\u{ffff}",
            "",
            "z",
            "Z",
        ];
        match if depth > 3 {
            step(seed) % 5
        } else {
            step(seed) % 7
        } {
            0 => Value::Null,
            1 => Value::Bool(step(seed).is_multiple_of(2)),
            2 => {
                let bounds = [0i64, 1, -1, (1 << 53) - 1, -((1 << 53) - 1), 42, -7];
                json!(bounds[usize::try_from(step(seed) % 7).unwrap_or(0)])
            }
            3 => json!(f64::from(u32::try_from(step(seed) % 1000).unwrap_or(0)) / 8.0 + 0.1),
            4 => json!(TEXTS[usize::try_from(step(seed) % 10).unwrap_or(0)]),
            5 => Value::Array(
                (0..step(seed) % 4)
                    .map(|_| random_value(seed, depth + 1))
                    .collect(),
            ),
            _ => {
                let mut map = serde_json::Map::new();
                for _ in 0..step(seed) % 5 {
                    let key = TEXTS[usize::try_from(step(seed) % 10).unwrap_or(0)].to_owned();
                    map.insert(key, random_value(seed, depth + 1));
                }
                Value::Object(map)
            }
        }
    }

    #[test]
    fn the_direct_writer_equals_the_canonicalizer() {
        let mut seed = 1u64;
        let (mut written, mut floats) = (0, 0);
        for _ in 0..5_000 {
            let value = random_value(&mut seed, 0);
            let mut out = Vec::new();
            if write_canonical(&value, &mut out) {
                assert_eq!(
                    String::from_utf8_lossy(&out),
                    String::from_utf8_lossy(&to_canonical_vec(&value).unwrap_or_default()),
                    "{value}"
                );
                written += 1;
            } else {
                floats += 1;
            }
        }
        assert!(written > 2_000 && floats > 500, "{written} {floats}");
        // Names ordered by UTF-16 units: U+1F600 (surrogates D83D DE00) before U+E000, unlike
        // UTF-8 byte order (F0… after EE…).
        let value = json!({ "\u{1f600}": 1, "\u{e000}": 2, "a": 3 });
        let mut out = Vec::new();
        assert!(write_canonical(&value, &mut out));
        assert_eq!(out, to_canonical_vec(&value).unwrap_or_default());
        assert!(String::from_utf8_lossy(&out).starts_with("{\"a\":3,\"\u{1f600}\""));
    }

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
