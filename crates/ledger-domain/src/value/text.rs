//! Vietnamese text: NFC-normalised, trimmed, bounded.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use unicode_normalization::UnicodeNormalization;

use super::ValueError;

/// Normalises user text: Unicode NFC (so `Đề án` typed with combining marks equals the
/// precomposed form), the look-alike `Ð` (U+00D0, Icelandic eth) and `ð` mapped to `Đ`/`đ`,
/// runs of white space folded to one space, and the ends trimmed.
#[must_use]
pub fn normalize_text(input: &str) -> String {
    if is_normal(input) {
        return input.to_owned();
    }
    let nfc: String = input
        .nfc()
        .map(|c| match c {
            '\u{00D0}' => 'Đ',
            '\u{00F0}' => 'đ',
            c => c,
        })
        .collect();
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `input` is already what [`normalize_text`] would make of it: the common case (text
/// read back from the log was normalised when written), answered without allocating.
fn is_normal(input: &str) -> bool {
    let mut previous_space = true; // no leading white space
    for c in input.chars() {
        if c.is_whitespace() {
            if c != ' ' || previous_space {
                return false;
            }
            previous_space = true;
        } else {
            if c == '\u{00D0}' || c == '\u{00F0}' {
                return false;
            }
            previous_space = false;
        }
    }
    (input.is_empty() || !previous_space)
        && unicode_normalization::is_nfc_quick(input.chars())
            == unicode_normalization::IsNormalized::Yes
}

/// Non-empty text of at most `MAX` characters, normalised by [`normalize_text`].
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text<const MAX: usize>(String);

/// A title or name: at most 500 characters.
pub type Title = Text<500>;
/// A report section or a reason: at most 20,000 characters.
pub type LongText = Text<20_000>;

impl<const MAX: usize> Text<MAX> {
    /// Parses and normalises text.
    ///
    /// # Errors
    /// When the text is empty after normalising, or longer than `MAX` characters.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let text = normalize_text(input);
        if text.is_empty() {
            return Err(ValueError::new(
                "text",
                input,
                "must not be empty",
                "không được để trống",
            ));
        }
        if let Some(c) = text.chars().find(|c| c.is_control()) {
            return Err(ValueError::new(
                "text",
                input,
                format!(
                    "must not contain control characters (found U+{:04X})",
                    u32::from(c)
                ),
                format!(
                    "không được chứa ký tự điều khiển (có U+{:04X})",
                    u32::from(c)
                ),
            ));
        }
        let chars = text.chars().count();
        if chars > MAX {
            return Err(ValueError::new(
                "text",
                input,
                format!("has {chars} characters; at most {MAX}"),
                format!("dài {chars} ký tự; tối đa {MAX}"),
            ));
        }
        Ok(Self(text))
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> fmt::Display for Text<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<const MAX: usize> fmt::Debug for Text<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl<const MAX: usize> Serialize for Text<MAX> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de, const MAX: usize> Deserialize<'de> for Text<MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A key that sorts Vietnamese text in dictionary order: letters in the Vietnamese alphabet's
/// order (a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y, with f j w z where Latin has
/// them), ignoring case; then, between texts that differ only in tones, the tones in the order
/// of dictionaries (ngang, huyền, hỏi, ngã, sắc, nặng); then case. Byte order, or a locale
/// that does not know Vietnamese, puts `Đ` after `Z` and lets tones outrank letters.
#[must_use]
pub fn vietnamese_sort_key(text: &str) -> (Vec<u32>, Vec<u8>, Vec<bool>) {
    const ALPHABET: &str = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz";
    let mut chars: Vec<char> = Vec::new();
    let mut tones: Vec<u8> = Vec::new();
    let mut cases: Vec<bool> = Vec::new();
    let tone = |tones: &mut Vec<u8>, value: u8| {
        if let Some(t) = tones.last_mut() {
            *t = value;
        }
    };
    for c in text.nfd() {
        match c {
            // Breve, circumflex and horn make other letters of the alphabet.
            '\u{0306}' | '\u{0302}' | '\u{031B}' => {
                if let Some(last) = chars.last_mut() {
                    *last = match (*last, c) {
                        ('a', '\u{0306}') => 'ă',
                        ('a', '\u{0302}') => 'â',
                        ('e', '\u{0302}') => 'ê',
                        ('o', '\u{0302}') => 'ô',
                        ('o', '\u{031B}') => 'ơ',
                        ('u', '\u{031B}') => 'ư',
                        (other, _) => other,
                    };
                }
            }
            '\u{0300}' => tone(&mut tones, 1),
            '\u{0309}' => tone(&mut tones, 2),
            '\u{0303}' => tone(&mut tones, 3),
            '\u{0301}' => tone(&mut tones, 4),
            '\u{0323}' => tone(&mut tones, 5),
            // Other combining marks do not change the order.
            '\u{0300}'..='\u{036F}' => {}
            c => {
                let lower = c.to_lowercase().next().unwrap_or(c);
                chars.push(if lower == '\u{00F0}' { 'đ' } else { lower });
                tones.push(0);
                cases.push(c.is_uppercase());
            }
        }
    }
    // Letters after digits, spaces and punctuation; those by code point.
    let letters = chars
        .iter()
        .map(|c| {
            ALPHABET
                .chars()
                .position(|a| a == *c)
                .map_or(u32::from(*c), |i| {
                    0x0011_0000 + u32::try_from(i).unwrap_or(0)
                })
        })
        .collect();
    (letters, tones, cases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decomposed_and_look_alike_input_becomes_one_form() {
        let decomposed = "\u{110}e\u{302}\u{300} a\u{301}n"; // Đề án with combining marks
        let eth = "\u{D0}e\u{302}\u{300} a\u{301}n"; // Icelandic Ð instead of Đ
        let typed = "  Đề   án ";
        let expected = Title::parse("Đề án").unwrap();
        assert_eq!(Title::parse(decomposed).unwrap(), expected);
        assert_eq!(Title::parse(eth).unwrap(), expected);
        assert_eq!(Title::parse(typed).unwrap(), expected);
        assert_eq!(expected.as_str().chars().count(), 5);
    }

    #[test]
    fn the_fast_path_agrees_with_full_normalisation() {
        for input in [
            "Đề án 10-ĐA/TU",
            "Kế hoạch số 44",
            "",
            " leading",
            "trailing ",
            "two  spaces",
            "tab\there",
            "\u{110}e\u{302}\u{300}",
            "\u{D0}iều",
            "a\u{301}",
            "ok",
        ] {
            let slow: String = {
                let nfc: String = input
                    .nfc()
                    .map(|c| match c {
                        '\u{00D0}' => 'Đ',
                        '\u{00F0}' => 'đ',
                        c => c,
                    })
                    .collect();
                nfc.split_whitespace().collect::<Vec<_>>().join(" ")
            };
            assert_eq!(normalize_text(input), slow, "{input:?}");
            assert_eq!(is_normal(input), slow == input, "{input:?}");
        }
    }

    #[test]
    fn empty_and_overlong_text_is_refused_in_both_languages() {
        let empty = Title::parse(" \n ").unwrap_err();
        assert_eq!(empty.problem, "must not be empty");
        assert!(empty.vi().contains("không được để trống"));
        let long = Text::<5>::parse("Nâng cao").unwrap_err();
        assert_eq!(long.problem, "has 8 characters; at most 5");
        // Characters, not bytes: five Vietnamese letters fit in five.
        assert!(Text::<5>::parse("Đảng ").is_ok());
        let nul = Title::parse("Báo cáo\u{0}quý").unwrap_err();
        assert!(nul.problem.contains("U+0000") && nul.vi().contains("ký tự điều khiển"));
        assert!(Title::parse("Báo cáo\u{7f}").is_err());
    }

    #[test]
    fn vietnamese_order_is_the_dictionary_s() {
        let mut words = vec![
            "Đông Hỷ",
            "Võ Nhai",
            "Định Hóa",
            "Đại Từ",
            "an",
            "ăn",
            "ân",
            "Ba",
            "Zalo",
            "dạ",
            "da",
            "dã",
            "dà",
            "dả",
            "dá",
            "Thái Nguyên",
            "thai",
            "Thành phố Phổ Yên",
            "Sở Tư pháp",
            "Sơn",
            "ơi",
            "ô",
            "o",
            "ư",
            "u",
            "10 tổ",
        ];
        words.sort_by_key(|w| vietnamese_sort_key(w));
        // Letters first, syllable by syllable: "Sở" (sơ + hỏi) comes before "Sơn".
        assert_eq!(
            words,
            [
                "10 tổ",
                "an",
                "ăn",
                "ân",
                "Ba",
                "da",
                "dà",
                "dả",
                "dã",
                "dá",
                "dạ",
                "Đại Từ",
                "Định Hóa",
                "Đông Hỷ",
                "o",
                "ô",
                "ơi",
                "Sở Tư pháp",
                "Sơn",
                "thai",
                "Thái Nguyên",
                "Thành phố Phổ Yên",
                "u",
                "ư",
                "Võ Nhai",
                "Zalo"
            ]
        );
        // Composed and decomposed input sort the same.
        assert_eq!(
            vietnamese_sort_key("Đề án"),
            vietnamese_sort_key("\u{110}e\u{302}\u{300} a\u{301}n")
        );
    }

    #[test]
    fn deserialising_parses() {
        let t: Title = serde_json::from_str("\"  Kế hoạch  \"").unwrap();
        assert_eq!(t.as_str(), "Kế hoạch");
        assert!(serde_json::from_str::<Title>("\"\"").is_err());
    }
}
