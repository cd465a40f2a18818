//! Reporting periods and the regimes that give them data windows and deadlines.
//!
//! The default regime is Nghị định 09/2019/NĐ-CP's: a period's data runs from the 15th of
//! the month before its first month to the 14th of its last month (monthly 15/2–14/3,
//! quarterly 15/12–14/3, half-yearly 15/12–14/6, annual 15/12–14/12), and the report is due
//! at least one working day after the cut-off. Party reporting follows each plan's own rules,
//! so a regime is data ([`ReportingRegime`]), not code.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Date, Holidays, ValueError};

/// How long a period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// A calendar month.
    Month,
    /// A quarter.
    Quarter,
    /// A half year.
    HalfYear,
    /// A year.
    Year,
}

impl PeriodKind {
    fn months(self) -> u32 {
        match self {
            Self::Month => 1,
            Self::Quarter => 3,
            Self::HalfYear => 6,
            Self::Year => 12,
        }
    }
}

/// A reporting period: `2022-03`, `2022-Q1`, `2022-H1`, `2022`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReportingPeriod {
    year: i32,
    kind: PeriodKind,
    /// Month 1–12, quarter 1–4, half 1–2, or 1 for a year.
    index: u32,
}

impl ReportingPeriod {
    /// A period of `kind` in `year`; `index` is the month, quarter or half (1 for a year).
    ///
    /// # Errors
    /// For an index out of range or a year outside 1945..=2100.
    pub fn new(kind: PeriodKind, year: i32, index: u32) -> Result<Self, ValueError> {
        let max = 12 / kind.months();
        if !(1945..=2100).contains(&year) || !(1..=max).contains(&index) {
            let input = format!("{kind:?} {index} of {year}");
            return Err(ValueError::new(
                "reporting period",
                &input,
                format!("year must be 1945..=2100 and the index 1..={max}"),
                format!("năm phải từ 1945 đến 2100 và số thứ tự từ 1 đến {max}"),
            ));
        }
        Ok(Self { year, kind, index })
    }

    /// The period's kind.
    #[must_use]
    pub fn kind(&self) -> PeriodKind {
        self.kind
    }

    /// The period's year.
    #[must_use]
    pub fn year(&self) -> i32 {
        self.year
    }

    /// The first calendar month of the period (1–12).
    #[must_use]
    pub fn first_month(&self) -> u32 {
        (self.index - 1) * self.kind.months() + 1
    }

    /// The last calendar month of the period (1–12).
    #[must_use]
    pub fn last_month(&self) -> u32 {
        self.index * self.kind.months()
    }

    /// The period after this one.
    #[must_use]
    pub fn next(&self) -> Option<Self> {
        let max = 12 / self.kind.months();
        if self.index < max {
            Self::new(self.kind, self.year, self.index + 1).ok()
        } else {
            Self::new(self.kind, self.year + 1, 1).ok()
        }
    }
}

impl fmt::Display for ReportingPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            PeriodKind::Month => write!(f, "{}-{:02}", self.year, self.index),
            PeriodKind::Quarter => write!(f, "{}-Q{}", self.year, self.index),
            PeriodKind::HalfYear => write!(f, "{}-H{}", self.year, self.index),
            PeriodKind::Year => write!(f, "{}", self.year),
        }
    }
}

impl FromStr for ReportingPeriod {
    type Err = ValueError;

    /// Parses `2022-03`, `2022-Q1`, `2022-H1` or `2022`.
    fn from_str(input: &str) -> Result<Self, ValueError> {
        let refuse = || {
            ValueError::new(
                "reporting period",
                input,
                "write a month 2022-03, a quarter 2022-Q1, a half year 2022-H1 or a year 2022",
                "ghi tháng 2022-03, quý 2022-Q1, 6 tháng 2022-H1 hoặc năm 2022",
            )
        };
        let text = input.trim();
        let (year, rest) = match text.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (text, None),
        };
        if year.len() != 4 {
            return Err(refuse());
        }
        let year: i32 = year.parse().map_err(|_| refuse())?;
        let number = |s: &str| s.parse::<u32>().map_err(|_| refuse());
        let (kind, index) = match rest {
            None => (PeriodKind::Year, 1),
            Some(r) if r.starts_with(['Q', 'q']) => (PeriodKind::Quarter, number(&r[1..])?),
            Some(r) if r.starts_with(['H', 'h']) => (PeriodKind::HalfYear, number(&r[1..])?),
            Some(r) if r.len() == 2 => (PeriodKind::Month, number(r)?),
            Some(_) => return Err(refuse()),
        };
        Self::new(kind, year, index)
    }
}

impl Serialize for ReportingPeriod {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ReportingPeriod {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A day of a month in a regime's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DayOfMonth {
    /// This day, or the month's last day if the month is shorter.
    Day(u32),
    /// The month's last day.
    Last,
}

/// A date relative to a period: a day of the month that lies `months` months after the
/// period's first month (for a window's start) or last month (for its end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Anchor {
    /// Months after the reference month (negative: before).
    pub months: i32,
    /// Which day of that month.
    pub day: DayOfMonth,
}

/// The rules that give a period its data window (thời điểm chốt số liệu) and its deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReportingRegime {
    /// Name, e.g. "Nghị định 09/2019/NĐ-CP".
    pub name: String,
    /// First day of data, relative to the period's first month.
    pub window_start: Anchor,
    /// Cut-off day, relative to the period's last month.
    pub window_end: Anchor,
    /// Working days between the cut-off and the deadline: Monday to Friday, not a public
    /// holiday nor a day replacing one ([`Holidays`]).
    pub deadline_working_days: u32,
}

impl ReportingRegime {
    /// Nghị định 09/2019/NĐ-CP: 15th of the month before to the 14th, due one working day
    /// after the cut-off.
    #[must_use]
    pub fn decree_09_2019() -> Self {
        Self {
            name: "Nghị định 09/2019/NĐ-CP".to_owned(),
            window_start: Anchor {
                months: -1,
                day: DayOfMonth::Day(15),
            },
            window_end: Anchor {
                months: 0,
                day: DayOfMonth::Day(14),
            },
            deadline_working_days: 1,
        }
    }

    /// Calendar periods (1st of the first month to the last day of the last month), due
    /// `working_days` working days after.
    #[must_use]
    pub fn calendar(working_days: u32) -> Self {
        Self {
            name: "calendar".to_owned(),
            window_start: Anchor {
                months: 0,
                day: DayOfMonth::Day(1),
            },
            window_end: Anchor {
                months: 0,
                day: DayOfMonth::Last,
            },
            deadline_working_days: working_days,
        }
    }

    /// The first and last day of the period's data.
    #[must_use]
    pub fn window(&self, period: &ReportingPeriod) -> (Date, Date) {
        (
            resolve(period.year, period.first_month(), self.window_start).into(),
            resolve(period.year, period.last_month(), self.window_end).into(),
        )
    }

    /// The day the report is due: the cut-off plus the regime's working days, counting
    /// Việt Nam's public holidays.
    #[must_use]
    pub fn deadline(&self, period: &ReportingPeriod) -> Date {
        let (_, cut_off) = self.window(period);
        Holidays::default().add_working_days(cut_off, self.deadline_working_days)
    }

    /// Whether the period has begun on `today` (its data window has opened); no report may
    /// be filed for a period that has not.
    #[must_use]
    pub fn has_begun(&self, period: &ReportingPeriod, today: Date) -> bool {
        today >= self.window(period).0
    }
}

fn resolve(year: i32, month: u32, anchor: Anchor) -> NaiveDate {
    // Periods are checked to lie in 1945..=2100, so these dates exist.
    let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default();
    let month_start = if anchor.months >= 0 {
        first + Months::new(anchor.months.unsigned_abs())
    } else {
        first - Months::new(anchor.months.unsigned_abs())
    };
    let last = (month_start + Months::new(1)) - Days::new(1);
    match anchor.day {
        DayOfMonth::Last => last,
        DayOfMonth::Day(d) => month_start.with_day(d.clamp(1, last.day())).unwrap_or(last),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> Date {
        Date::from_ymd(y, m, d).unwrap()
    }

    fn period(s: &str) -> ReportingPeriod {
        s.parse().unwrap()
    }

    #[test]
    fn decree_09_windows() {
        let r = ReportingRegime::decree_09_2019();
        assert_eq!(
            r.window(&period("2022-03")),
            (date(2022, 2, 15), date(2022, 3, 14))
        );
        assert_eq!(
            r.window(&period("2022-01")),
            (date(2021, 12, 15), date(2022, 1, 14))
        );
        assert_eq!(
            r.window(&period("2022-Q1")),
            (date(2021, 12, 15), date(2022, 3, 14))
        );
        assert_eq!(
            r.window(&period("2022-Q2")),
            (date(2022, 3, 15), date(2022, 6, 14))
        );
        assert_eq!(
            r.window(&period("2022-H1")),
            (date(2021, 12, 15), date(2022, 6, 14))
        );
        assert_eq!(
            r.window(&period("2022-H2")),
            (date(2022, 6, 15), date(2022, 12, 14))
        );
        assert_eq!(
            r.window(&period("2022")),
            (date(2021, 12, 15), date(2022, 12, 14))
        );
    }

    #[test]
    fn deadlines_skip_weekends() {
        let r = ReportingRegime::decree_09_2019();
        // 14/3/2022 was a Monday: due Tuesday 15/3.
        assert_eq!(r.deadline(&period("2022-Q1")), date(2022, 3, 15));
        // 14/5/2022 was a Saturday: due Monday 16/5.
        assert_eq!(r.deadline(&period("2022-05")), date(2022, 5, 16));
        let five = ReportingRegime {
            deadline_working_days: 5,
            ..r.clone()
        };
        assert_eq!(five.deadline(&period("2022-Q1")), date(2022, 3, 21));
        // January 2021's cut-off is Thursday 14/1: due Friday 15/1. February 2021's is
        // Sunday 14/2, in Tết (11–17/2): due Thursday 18/2.
        assert_eq!(r.deadline(&period("2021-01")), date(2021, 1, 15));
        assert_eq!(r.deadline(&period("2021-02")), date(2021, 2, 18));
        // April 2023's cut-off is Friday 14/4: due Monday 17/4.
        assert_eq!(r.deadline(&period("2023-04")), date(2023, 4, 17));
    }

    #[test]
    fn calendar_regime_and_short_months() {
        let r = ReportingRegime::calendar(0);
        assert_eq!(
            r.window(&period("2024-02")),
            (date(2024, 2, 1), date(2024, 2, 29))
        );
        assert_eq!(
            r.window(&period("2023-Q4")),
            (date(2023, 10, 1), date(2023, 12, 31))
        );
        let odd = ReportingRegime {
            window_end: Anchor {
                months: 0,
                day: DayOfMonth::Day(31),
            },
            ..r
        };
        assert_eq!(odd.window(&period("2023-02")).1, date(2023, 2, 28));
    }

    #[test]
    fn a_period_begins_when_its_window_opens() {
        let r = ReportingRegime::decree_09_2019();
        assert!(!r.has_begun(&period("2022-Q1"), date(2021, 12, 14)));
        assert!(r.has_begun(&period("2022-Q1"), date(2021, 12, 15)));
    }

    #[test]
    fn parse_display_and_refusals() {
        for s in ["2022-03", "2022-Q1", "2022-H2", "2025"] {
            assert_eq!(period(s).to_string(), s);
        }
        assert_eq!(period("2022-q4").to_string(), "2022-Q4");
        assert_eq!(period("2022-Q4").next(), Some(period("2023-Q1")));
        for bad in [
            "2022-13", "2022-Q5", "2022-H3", "22-Q1", "2022-3", "quý 1", "1900",
        ] {
            let err = bad.parse::<ReportingPeriod>().unwrap_err();
            assert!(!err.problem.is_empty(), "{bad}");
        }
        let json = serde_json::to_string(&period("2022-H1")).unwrap();
        assert_eq!(json, "\"2022-H1\"");
        assert_eq!(
            serde_json::from_str::<ReportingPeriod>(&json).unwrap(),
            period("2022-H1")
        );
    }
}
