//! Vietnamese document numbers (số và ký hiệu văn bản).
//!
//! Three shapes, after normalising (NFC, `Ð` → `Đ`, no spaces around `-` and `/`):
//! - **Party** (Hướng dẫn 36-HD/VPTW): a hyphen after the number — `10-ĐA/TU`, `44-KH/TU`,
//!   `28-CTr/BCĐCCTPTW-HĐPHTW`;
//! - **legal** (Nghị định 30/2020/NĐ-CP): number, year, optional type, issuers —
//!   `09/2019/NĐ-CP`, `202/2025/QH15`;
//! - **administrative**: number, type, issuers — `130/KH-UBND`; when the part after the slash
//!   is not a state type code the document is a letter (công văn) — `1445/UBND-NCPC`.
//!
//! A symbol alone is never a document's identity: Party numbers restart each congress term,
//! state numbers each year, and an issuer's code can outlive the body it meant.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ValueError;
use super::text::normalize_text;

/// State document type codes (Nghị định 30/2020/NĐ-CP, appendix).
pub const STATE_TYPE_CODES: [&str; 27] = [
    "NQ", "QĐ", "CT", "QC", "QyĐ", "TC", "TB", "HD", "CTr", "KH", "PA", "ĐA", "DA", "BC", "BB",
    "TTr", "HĐ", "CĐ", "BGN", "BTT", "GUQ", "GM", "GGT", "GNP", "PG", "PC", "PB",
];

const ORG: &str = "[A-ZĐ][A-Za-zĐđ0-9]*";

static PARTY: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        r"^(?:Số:?\s*)?(\d{{1,5}})-([A-ZĐ][A-Za-zĐđ]{{0,3}})/({ORG}(?:-{ORG})*)$"
    ))
});
static LEGAL: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        r"^(?:Số:?\s*)?(\d{{1,5}})/(\d{{4}})/(?:([A-ZĐ][A-Za-zĐđ]*)-)?({ORG}(?:-{ORG})*)$"
    ))
});
static ADMIN: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        r"^(?:Số:?\s*)?(\d{{1,5}})/({ORG})-({ORG}(?:-{ORG})*)$"
    ))
});
static AROUND_SEPARATORS: LazyLock<Regex> = LazyLock::new(|| compile(r"\s*([-/])\s*"));

#[allow(clippy::expect_used)] // The patterns are constants, checked by every test.
fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid constant pattern")
}

/// Which system a number belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberKind {
    /// A Party document: `10-ĐA/TU`.
    Party,
    /// A legal normative document: `09/2019/NĐ-CP`.
    Legal,
    /// A state administrative document with a type: `130/KH-UBND`.
    Administrative,
    /// A state letter (công văn), no type: `1445/UBND-NCPC`.
    Letter,
}

/// A parsed document number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocumentNumber {
    kind: NumberKind,
    number: u32,
    digits: String,
    doc_type: Option<String>,
    issuers: Vec<String>,
    year: Option<i32>,
}

impl DocumentNumber {
    /// Parses a number as written on a document, tolerating a `Số:` prefix, spaces around
    /// separators, decomposed diacritics and the look-alike `Ð`.
    ///
    /// # Errors
    /// A [`ValueError`] saying what is wrong, in English and Vietnamese.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let text = normalize_text(input);
        let text = AROUND_SEPARATORS.replace_all(&text, "$1");
        let refuse = |en: &str, vi: &str| Err(ValueError::new("document number", input, en, vi));
        let (kind, caps) = if let Some(c) = PARTY.captures(&text) {
            (NumberKind::Party, c)
        } else if let Some(c) = LEGAL.captures(&text) {
            (NumberKind::Legal, c)
        } else if let Some(c) = ADMIN.captures(&text) {
            (NumberKind::Administrative, c)
        } else {
            return diagnose(&text, input);
        };
        let digits = caps[1].to_owned();
        let number: u32 = digits.parse().unwrap_or(0);
        if number == 0 {
            return refuse("the number must be at least 1", "số phải từ 1 trở lên");
        }
        let split = |s: &str| s.split('-').map(str::to_owned).collect::<Vec<_>>();
        let parsed = match kind {
            NumberKind::Party => Self {
                kind,
                number,
                digits,
                doc_type: Some(caps[2].to_owned()),
                issuers: split(&caps[3]),
                year: None,
            },
            NumberKind::Legal => {
                let year: i32 = caps[2].parse().unwrap_or(0);
                if !(1945..=2100).contains(&year) {
                    return refuse(
                        "the year must be between 1945 and 2100",
                        "năm phải từ 1945 đến 2100",
                    );
                }
                Self {
                    kind,
                    number,
                    digits,
                    doc_type: caps.get(3).map(|m| m.as_str().to_owned()),
                    issuers: split(&caps[4]),
                    year: Some(year),
                }
            }
            _ => {
                let first = caps[2].to_owned();
                let rest = split(&caps[3]);
                if STATE_TYPE_CODES.contains(&first.as_str()) {
                    Self {
                        kind: NumberKind::Administrative,
                        number,
                        digits,
                        doc_type: Some(first),
                        issuers: rest,
                        year: None,
                    }
                } else {
                    let mut issuers = vec![first];
                    issuers.extend(rest);
                    Self {
                        kind: NumberKind::Letter,
                        number,
                        digits,
                        doc_type: None,
                        issuers,
                        year: None,
                    }
                }
            }
        };
        Ok(parsed)
    }

    /// Party, legal, administrative or letter.
    #[must_use]
    pub fn kind(&self) -> NumberKind {
        self.kind
    }

    /// The number (`9` in `09/2019/NĐ-CP`).
    #[must_use]
    pub fn number(&self) -> u32 {
        self.number
    }

    /// The type code (`ĐA`, `NĐ`, `KH`), if the symbol has one.
    #[must_use]
    pub fn doc_type(&self) -> Option<&str> {
        self.doc_type.as_deref()
    }

    /// The issuer codes, first the issuing body (`["BCĐCCTPTW", "HĐPHTW"]`, `["UBND", "NCPC"]`).
    #[must_use]
    pub fn issuers(&self) -> &[String] {
        &self.issuers
    }

    /// The year in a legal number (`2019` in `09/2019/NĐ-CP`).
    #[must_use]
    pub fn year(&self) -> Option<i32> {
        self.year
    }
}

/// Explains why a normalised text matched none of the shapes.
fn diagnose(text: &str, input: &str) -> Result<DocumentNumber, ValueError> {
    let (en, vi) = if text.is_empty() {
        ("is empty".to_owned(), "đang để trống".to_owned())
    } else if !text
        .trim_start_matches("Số:")
        .trim_start_matches("Số")
        .trim_start()
        .starts_with(|c: char| c.is_ascii_digit())
    {
        (
            "must start with the document's number".to_owned(),
            "phải bắt đầu bằng số của văn bản".to_owned(),
        )
    } else if !text.contains('/') {
        (
            "needs a slash before the issuer (10-ĐA/TU, 130/KH-UBND)".to_owned(),
            "thiếu dấu gạch chéo trước cơ quan ban hành (10-ĐA/TU, 130/KH-UBND)".to_owned(),
        )
    } else {
        (
            "is not a Party number (10-ĐA/TU), a legal number (09/2019/NĐ-CP) or an administrative number (130/KH-UBND)".to_owned(),
            "không phải số văn bản của Đảng (10-ĐA/TU), văn bản quy phạm pháp luật (09/2019/NĐ-CP) hay văn bản hành chính (130/KH-UBND)".to_owned(),
        )
    };
    Err(ValueError::new("document number", input, en, vi))
}

impl fmt::Display for DocumentNumber {
    /// The canonical symbol: `10-ĐA/TU`, `09/2019/NĐ-CP`, `130/KH-UBND`, `1445/UBND-NCPC`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let issuers = self.issuers.join("-");
        match (self.kind, &self.doc_type, self.year) {
            (NumberKind::Party, Some(t), _) => write!(f, "{}-{t}/{issuers}", self.digits),
            (NumberKind::Legal, Some(t), Some(y)) => {
                write!(f, "{}/{y}/{t}-{issuers}", self.digits)
            }
            (NumberKind::Legal, None, Some(y)) => write!(f, "{}/{y}/{issuers}", self.digits),
            (NumberKind::Administrative, Some(t), _) => {
                write!(f, "{}/{t}-{issuers}", self.digits)
            }
            _ => write!(f, "{}/{issuers}", self.digits),
        }
    }
}

impl std::str::FromStr for DocumentNumber {
    type Err = ValueError;
    fn from_str(input: &str) -> Result<Self, ValueError> {
        Self::parse(input)
    }
}

impl Serialize for DocumentNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DocumentNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> DocumentNumber {
        DocumentNumber::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn party_numbers() {
        let n = parse("10-ĐA/TU");
        assert_eq!(n.kind(), NumberKind::Party);
        assert_eq!(
            (n.number(), n.doc_type(), n.issuers()),
            (10, Some("ĐA"), &["TU".to_owned()][..])
        );
        let n = parse("28-CTr/BCĐCCTPTW-HĐPHTW");
        assert_eq!(n.doc_type(), Some("CTr"));
        assert_eq!(n.issuers(), ["BCĐCCTPTW", "HĐPHTW"]);
        assert_eq!(n.to_string(), "28-CTr/BCĐCCTPTW-HĐPHTW");
        assert_eq!(parse("44-KH/TU").to_string(), "44-KH/TU");
    }

    #[test]
    fn legal_numbers() {
        let n = parse("09/2019/NĐ-CP");
        assert_eq!(n.kind(), NumberKind::Legal);
        assert_eq!(
            (n.number(), n.year(), n.doc_type()),
            (9, Some(2019), Some("NĐ"))
        );
        assert_eq!(n.issuers(), ["CP"]);
        assert_eq!(n.to_string(), "09/2019/NĐ-CP");
        let n = parse("202/2025/QH15");
        assert_eq!((n.doc_type(), n.year()), (None, Some(2025)));
        assert_eq!(n.issuers(), ["QH15"]);
        assert_eq!(parse("81/2025/UBTVQH15").issuers(), ["UBTVQH15"]);
    }

    #[test]
    fn administrative_numbers_and_letters() {
        let n = parse("130/KH-UBND");
        assert_eq!(n.kind(), NumberKind::Administrative);
        assert_eq!(
            (n.doc_type(), n.issuers()),
            (Some("KH"), &["UBND".to_owned()][..])
        );
        let n = parse("1445/UBND-NCPC");
        assert_eq!(n.kind(), NumberKind::Letter);
        assert_eq!(
            (n.doc_type(), n.issuers()),
            (None, &["UBND".to_owned(), "NCPC".to_owned()][..])
        );
        assert_eq!(n.to_string(), "1445/UBND-NCPC");
    }

    #[test]
    fn written_forms_normalise_to_one_symbol() {
        for written in [
            "Số: 09 / 2019 / NĐ - CP",
            "Số 09/2019/NĐ-CP",
            "09/2019/N\u{D0}-CP",
            "  09/2019/NĐ-CP  ",
        ] {
            assert_eq!(parse(written).to_string(), "09/2019/NĐ-CP", "{written:?}");
        }
        // Đ written with the Icelandic eth, and a decomposed Vietnamese letter.
        assert_eq!(parse("10-\u{D0}A/TU"), parse("10-ĐA/TU"));
        assert_eq!(
            parse("28-CTr/BC\u{D0}CCTPTW-H\u{D0}PHTW").to_string(),
            "28-CTr/BCĐCCTPTW-HĐPHTW"
        );
    }

    #[test]
    fn refusals_say_what_is_wrong() {
        let cases = [
            ("", "is empty"),
            ("ĐA/TU", "must start with the document's number"),
            ("Kế hoạch 44", "must start with the document's number"),
            ("44-KH TU", "needs a slash before the issuer"),
            ("0-KH/TU", "the number must be at least 1"),
            ("09/1900/NĐ-CP", "the year must be between 1945 and 2100"),
            ("123456-KH/TU", "is not a Party number"),
            ("44-kh/tu", "is not a Party number"),
        ];
        for (input, expected) in cases {
            let err = DocumentNumber::parse(input).unwrap_err();
            assert!(
                err.problem.starts_with(expected),
                "{input:?}: {}",
                err.problem
            );
            assert!(!err.problem_vi.is_empty());
        }
    }

    #[test]
    fn serde_round_trip_uses_the_symbol() {
        let n = parse("Số: 44 - KH/TU");
        let json = serde_json::to_string(&n).unwrap();
        assert_eq!(json, "\"44-KH/TU\"");
        assert_eq!(serde_json::from_str::<DocumentNumber>(&json).unwrap(), n);
        assert!(serde_json::from_str::<DocumentNumber>("\"x\"").is_err());
    }
}
