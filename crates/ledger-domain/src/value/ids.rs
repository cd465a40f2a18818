//! Identifiers and small numbers.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ValueError;

/// A unit's stable identity, independent of its names over time: a slug of lowercase ASCII
/// letters, digits and hyphens, 1 to 64 long, starting with a letter or digit
/// (`tinh-uy-thai-nguyen`, `tand-khu-vuc-1`).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitId(String);

impl UnitId {
    /// Parses a unit id.
    ///
    /// # Errors
    /// When the input is not such a slug.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let ok_chars = input
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let first_ok = input
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !(1..=64).contains(&input.len()) || !ok_chars || !first_ok {
            return Err(ValueError::new(
                "unit id",
                input,
                "use 1 to 64 lowercase ASCII letters, digits and hyphens, starting with a letter or digit (e.g. so-tu-phap)",
                "chỉ dùng 1 đến 64 chữ thường không dấu, chữ số và dấu gạch ngang, bắt đầu bằng chữ hoặc số (ví dụ so-tu-phap)",
            ));
        }
        Ok(Self(input.to_owned()))
    }

    /// The id.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for UnitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UnitId({})", self.0)
    }
}

impl Serialize for UnitId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for UnitId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A whole percentage, 0 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Percent(u8);

impl Percent {
    /// Checks a percentage.
    ///
    /// # Errors
    /// For values above 100.
    pub fn new(value: u8) -> Result<Self, ValueError> {
        if value > 100 {
            return Err(ValueError::new(
                "percent",
                &value.to_string(),
                "must be between 0 and 100",
                "phải từ 0 đến 100",
            ));
        }
        Ok(Self(value))
    }

    /// The value.
    #[must_use]
    pub fn get(self) -> u8 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::new(u8::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_ids_are_slugs() {
        assert!(UnitId::parse("tinh-uy-thai-nguyen").is_ok());
        assert!(UnitId::parse("tand-khu-vuc-1").is_ok());
        for bad in [
            "",
            "-x",
            "Sở Tư pháp",
            "so_tu_phap",
            "SO-TU-PHAP",
            &"a".repeat(65),
        ] {
            let err = UnitId::parse(bad).unwrap_err();
            assert!(err.problem.contains("lowercase"), "{bad}");
        }
    }

    #[test]
    fn percent_is_bounded() {
        assert_eq!(Percent::new(100).unwrap().get(), 100);
        assert!(Percent::new(101).is_err());
        assert!(serde_json::from_str::<Percent>("101").is_err());
        assert_eq!(serde_json::from_str::<Percent>("40").unwrap().get(), 40);
    }
}
