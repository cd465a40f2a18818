//! Days: [`Date`], a calendar day as the ledger writes it (`YYYY-MM-DD`), shown to users as
//! `dd/mm/yyyy`.
//!
//! A newtype over chrono's `NaiveDate` so the value has one name everywhere: `Date` in the
//! scenario files, in the event schemas and in the GraphQL schema (whose scalar is named
//! `Date`, not chrono's `NaiveDate`). It reads as `NaiveDate` for date arithmetic.

use std::fmt;
use std::ops::Deref;

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ValueError;

/// A calendar day (no time, no zone): `2022-04-10`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Date(NaiveDate);

impl Date {
    /// The earliest day chrono holds.
    pub const MIN: Self = Self(NaiveDate::MIN);

    /// The day `year-month-day`, if it exists.
    #[must_use]
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Self> {
        NaiveDate::from_ymd_opt(year, month, day).map(Self)
    }

    /// Parses `YYYY-MM-DD` (years 1 to 9999), refusing any other form.
    ///
    /// # Errors
    /// When the text is not such a day, or the day does not exist (`2023-02-29`).
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let refuse = || {
            ValueError::new(
                "date",
                input,
                "write a day as YYYY-MM-DD, e.g. 2022-04-10, and one that exists",
                "ghi ngày theo dạng YYYY-MM-DD, ví dụ 2022-04-10, và là ngày có thật",
            )
        };
        let b = input.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) {
            return Err(refuse());
        }
        if !digits(8..10) {
            return Err(refuse());
        }
        let number = |r: std::ops::Range<usize>| input[r].parse::<u32>().map_err(|_| refuse());
        let year = i32::try_from(number(0..4)?).map_err(|_| refuse())?;
        if year == 0 {
            return Err(refuse());
        }
        Self::from_ymd(year, number(5..7)?, number(8..10)?).ok_or_else(refuse)
    }

    /// The chrono day.
    #[must_use]
    pub fn get(self) -> NaiveDate {
        self.0
    }

    /// `dd/mm/yyyy`, as Vietnamese documents write days.
    #[must_use]
    pub fn vi(self) -> String {
        format!(
            "{:02}/{:02}/{:04}",
            self.0.day(),
            self.0.month(),
            self.0.year()
        )
    }

    /// The day `days` later (earlier, if negative); `None` beyond chrono's range.
    #[must_use]
    pub fn add_days(self, days: i64) -> Option<Self> {
        let magnitude = Days::new(days.unsigned_abs());
        if days >= 0 {
            self.0.checked_add_days(magnitude)
        } else {
            self.0.checked_sub_days(magnitude)
        }
        .map(Self)
    }

    /// Days from `earlier` to this day (negative if `earlier` is later).
    #[must_use]
    pub fn days_since(self, earlier: Self) -> i64 {
        (self.0 - earlier.0).num_days()
    }
}

impl std::ops::Sub for Date {
    type Output = chrono::TimeDelta;
    fn sub(self, earlier: Self) -> chrono::TimeDelta {
        self.0 - earlier.0
    }
}

impl Deref for Date {
    type Target = NaiveDate;
    fn deref(&self) -> &NaiveDate {
        &self.0
    }
}

impl From<NaiveDate> for Date {
    fn from(day: NaiveDate) -> Self {
        Self(day)
    }
}

impl From<Date> for NaiveDate {
    fn from(day: Date) -> Self {
        day.0
    }
}

impl PartialEq<NaiveDate> for Date {
    fn eq(&self, other: &NaiveDate) -> bool {
        self.0 == *other
    }
}

impl PartialOrd<NaiveDate> for Date {
    fn partial_cmp(&self, other: &NaiveDate) -> Option<std::cmp::Ordering> {
        self.0.partial_cmp(other)
    }
}

impl fmt::Display for Date {
    /// `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            self.0.month(),
            self.0.day()
        )
    }
}

impl std::str::FromStr for Date {
    type Err = ValueError;
    fn from_str(input: &str) -> Result<Self, ValueError> {
        Self::parse(input)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Date {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "date" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_format_and_refusals() {
        let d = Date::parse("2022-04-10").unwrap();
        assert_eq!(d.to_string(), "2022-04-10");
        assert_eq!(d.vi(), "10/04/2022");
        assert_eq!(d.add_days(-10).unwrap().to_string(), "2022-03-31");
        assert_eq!(d.days_since(Date::parse("2022-04-01").unwrap()), 9);
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"2022-04-10\"");
        assert_eq!(serde_json::from_str::<Date>("\"2022-04-10\"").unwrap(), d);
        for bad in [
            "2023-02-29",
            "10/04/2022",
            "2022-4-10",
            "2022-04-10T00:00:00Z",
            "+2022-04-10",
            "0000-01-01",
            "２０２２-04-10",
            "",
        ] {
            let e = Date::parse(bad).unwrap_err();
            assert!(e.problem_vi.contains("YYYY-MM-DD"), "{bad}");
        }
    }
}
