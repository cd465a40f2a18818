//! Identifiers and small numbers.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ValueError;

/// Defines a stable identifier: a slug of lowercase ASCII letters, digits and hyphens, 1 to 64
/// long, starting with a letter or digit. Ids never carry names: names change.
macro_rules! slug_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, $example:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Parses an id.
            ///
            /// # Errors
            /// When the input is not such a slug.
            pub fn parse(input: &str) -> Result<Self, ValueError> {
                check_slug(input, $what, $example)?;
                Ok(Self(input.to_owned()))
            }

            /// The id.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = ValueError;
            fn from_str(input: &str) -> Result<Self, ValueError> {
                Self::parse(input)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "pattern": "^[a-z0-9][a-z0-9-]{0,63}$",
                    "description": concat!($what, ", e.g. ", $example),
                })
            }
        }
    };
}

fn check_slug(input: &str, what: &'static str, example: &str) -> Result<(), ValueError> {
    let ok_chars = input
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let first_ok = input
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !(1..=64).contains(&input.len()) || !ok_chars || !first_ok {
        return Err(ValueError::new(
            what,
            input,
            format!(
                "use 1 to 64 lowercase ASCII letters, digits and hyphens, starting with a letter or digit (e.g. {example})"
            ),
            format!(
                "chỉ dùng 1 đến 64 chữ thường không dấu, chữ số và dấu gạch ngang, bắt đầu bằng chữ hoặc số (ví dụ {example})"
            ),
        ));
    }
    Ok(())
}

slug_id!(
    /// A unit's stable identity, independent of its names over time (`tinh-uy-thai-nguyen`).
    UnitId, "unit id", "so-tu-phap"
);
slug_id!(
    /// A task's identity (`kh44-nv-12`).
    TaskId, "task id", "kh44-nv-12"
);
slug_id!(
    /// A plan's identity (`kh-44-kh-tu`).
    PlanId, "plan id", "kh-44-kh-tu"
);
slug_id!(
    /// A report's identity (`so-tu-phap-2022-q1`).
    ReportId, "report id", "so-tu-phap-2022-q1"
);
slug_id!(
    /// An obstacle's identity (`vuong-mac-bien-che-2022`).
    ObstacleId, "obstacle id", "vuong-mac-bien-che-2022"
);
slug_id!(
    /// A programme's identity (`de-an-10-da-tu`).
    ProgrammeId, "programme id", "de-an-10-da-tu"
);
slug_id!(
    /// A supervision's identity (`hdnd-giam-sat-2023`).
    SupervisionId, "supervision id", "hdnd-giam-sat-2023"
);
slug_id!(
    /// A focus programme's identity (`ctr-trong-tam-2022`).
    FocusProgrammeId, "focus programme id", "ctr-trong-tam-2022"
);
slug_id!(
    /// A briefing's identity (`giao-ban-noi-chinh-2022-q1`).
    BriefingId, "briefing id", "giao-ban-noi-chinh-2022-q1"
);

/// A solution group's number within its programme (nhóm nhiệm vụ, giải pháp): 1 to 99.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct GroupNumber(u8);

impl GroupNumber {
    /// Checks a group number.
    ///
    /// # Errors
    /// Outside 1..=99.
    pub fn new(value: u8) -> Result<Self, ValueError> {
        if !(1..=99).contains(&value) {
            return Err(ValueError::new(
                "solution group",
                &value.to_string(),
                "must be between 1 and 99",
                "phải từ 1 đến 99",
            ));
        }
        Ok(Self(value))
    }

    /// The number.
    #[must_use]
    pub fn get(self) -> u8 {
        self.0
    }
}

impl<'de> Deserialize<'de> for GroupNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::new(u8::deserialize(d)?).map_err(serde::de::Error::custom)
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
        assert!(TaskId::parse("kh44-nv-12").is_ok());
        assert!(
            TaskId::parse("KH44")
                .unwrap_err()
                .problem
                .contains("kh44-nv-12")
        );
        assert_eq!(
            format!("{:?}", PlanId::parse("kh-44").unwrap()),
            "PlanId(kh-44)"
        );
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
    fn group_numbers() {
        assert_eq!(GroupNumber::new(8).unwrap().get(), 8);
        assert!(GroupNumber::new(0).is_err());
        assert!(serde_json::from_str::<GroupNumber>("100").is_err());
    }

    #[test]
    fn percent_is_bounded() {
        assert_eq!(Percent::new(100).unwrap().get(), 100);
        assert!(Percent::new(101).is_err());
        assert!(serde_json::from_str::<Percent>("101").is_err());
        assert_eq!(serde_json::from_str::<Percent>("40").unwrap().get(), 40);
    }
}
