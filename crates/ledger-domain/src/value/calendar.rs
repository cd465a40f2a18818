//! Working days in Việt Nam: weekends, public holidays (ngày nghỉ lễ, Tết) and the days off
//! that replace holidays falling on a weekend.
//!
//! Holidays are data ([`HOLIDAYS`]), following Bộ luật Lao động 45/2019/QH14, Điều 112:
//! Tết Dương lịch (1/1), Tết Âm lịch (five days: the last day of the lunar year and the first
//! four of the new one, the arrangement most years' decisions take), Giỗ Tổ Hùng Vương (10/3
//! lunar), Ngày Chiến thắng (30/4), Ngày Quốc tế lao động (1/5) and Quốc khánh (2/9 with the
//! adjacent weekday that joins it to a weekend). A holiday that falls on Saturday or Sunday is
//! replaced by the next working day (Điều 112 khoản 3). The Prime Minister's yearly decisions
//! on swapping working days (hoán đổi ngày làm việc) are not modelled; a deployment that needs
//! them passes its own [`Holidays`] adjustments.
//!
//! Lunar dates are computed, not typed in: the Vietnamese lunar calendar is the Chinese
//! luni-solar calendar reckoned at UTC+7 (new moons and solar terms by the astronomical
//! approximations of Jean Meeus, as in Hồ Ngọc Đức's widely used converter), so its new year
//! can fall a day before China's.

use std::collections::{BTreeSet, HashMap};
use std::f64::consts::PI;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{Datelike, NaiveDate, Weekday};

use super::Date;

/// Việt Nam's time zone, in hours east of UTC: the lunar calendar's new moons and solar terms
/// are reckoned in it.
const TIME_ZONE: f64 = 7.0;

/// Julian day number of a Gregorian day.
fn julian_day(day: NaiveDate) -> i64 {
    // chrono counts days from 1 January of year 1 (CE day 1); JDN 1721426 is that day.
    i64::from(day.num_days_from_ce()) + 1_721_425
}

fn from_julian_day(jd: i64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(jd - 1_721_425).ok()?)
}

/// The day (Julian day number, local time) of the `k`-th new moon after 1 January 1900.
#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
fn new_moon_day(k: i64) -> i64 {
    let k = k as f64;
    let t = k / 1236.85;
    let (t2, t3) = (t * t, t * t * t);
    let dr = PI / 180.0;
    let mut jd1 = 2_415_020.759_33 + 29.530_588_68 * k + 0.000_117_8 * t2 - 0.000_000_155 * t3;
    jd1 += 0.000_33 * ((166.56 + 132.87 * t - 0.009_173 * t2) * dr).sin();
    let m = 359.2242 + 29.105_356_08 * k - 0.000_033_3 * t2 - 0.000_003_47 * t3;
    let mpr = 306.0253 + 385.816_918_06 * k + 0.010_730_6 * t2 + 0.000_012_36 * t3;
    let f = 21.2964 + 390.670_506_46 * k - 0.001_652_8 * t2 - 0.000_002_39 * t3;
    let mut c1 = (0.1734 - 0.000_393 * t) * (m * dr).sin() + 0.0021 * (2.0 * dr * m).sin();
    c1 = c1 - 0.4068 * (mpr * dr).sin() + 0.0161 * (dr * 2.0 * mpr).sin();
    c1 -= 0.0004 * (dr * 3.0 * mpr).sin();
    c1 = c1 + 0.0104 * (dr * 2.0 * f).sin() - 0.0051 * (dr * (m + mpr)).sin();
    c1 = c1 - 0.0074 * (dr * (m - mpr)).sin() + 0.0004 * (dr * (2.0 * f + m)).sin();
    c1 = c1 - 0.0004 * (dr * (2.0 * f - m)).sin() - 0.0006 * (dr * (2.0 * f + mpr)).sin();
    c1 = c1 + 0.0010 * (dr * (2.0 * f - mpr)).sin() + 0.0005 * (dr * (2.0 * mpr + m)).sin();
    let delta_t = if t < -11.0 {
        0.001 + 0.000_839 * t + 0.000_226_1 * t2 - 0.000_008_45 * t3 - 0.000_000_081 * t * t3
    } else {
        -0.000_278 + 0.000_265 * t + 0.000_262 * t2
    };
    (jd1 + c1 - delta_t + 0.5 + TIME_ZONE / 24.0).floor() as i64
}

/// The sun's longitude at the start of local day `jd`, as one of 12 sectors of 30°
/// (sector 9 holds the winter solstice's term, Đông chí).
#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
fn sun_sector(jd: i64) -> i64 {
    let t = (jd as f64 - 2_451_545.5 - TIME_ZONE / 24.0) / 36525.0;
    let t2 = t * t;
    let dr = PI / 180.0;
    let m = 357.529_10 + 35_999.050_30 * t - 0.000_155_9 * t2 - 0.000_000_48 * t * t2;
    let l0 = 280.466_45 + 36_000.769_83 * t + 0.000_303_2 * t2;
    let mut dl = (1.914_600 - 0.004_817 * t - 0.000_014 * t2) * (dr * m).sin();
    dl += (0.019_993 - 0.000_101 * t) * (dr * 2.0 * m).sin() + 0.000_290 * (dr * 3.0 * m).sin();
    let mut l = (l0 + dl) * dr;
    l -= PI * 2.0 * (l / (PI * 2.0)).floor();
    (l / PI * 6.0).floor() as i64
}

/// Months since 1 January 1900 (in new moons) to about `jd`.
#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
fn lunation(jd: i64, round: f64) -> i64 {
    ((jd as f64 - 2_415_021.076_998_695) / 29.530_588_853 + round).floor() as i64
}

/// The first day of the eleventh lunar month (the month holding the winter solstice) of the
/// lunar year that ends in Gregorian `year`.
fn month_eleven(year: i32) -> Option<i64> {
    let k = lunation(julian_day(NaiveDate::from_ymd_opt(year, 12, 31)?), 0.0);
    let new_moon = new_moon_day(k);
    Some(if sun_sector(new_moon) >= 9 {
        new_moon_day(k - 1)
    } else {
        new_moon
    })
}

/// Which month after the eleventh (1-based) is the leap month, in a year of 13 months
/// starting at `a11`: the first without a major solar term.
fn leap_month_offset(a11: i64) -> i64 {
    let k = lunation(a11, 0.5);
    let mut i = 1;
    let mut arc = sun_sector(new_moon_day(k + i));
    loop {
        let last = arc;
        i += 1;
        arc = sun_sector(new_moon_day(k + i));
        if arc == last || i >= 14 {
            return i - 1;
        }
    }
}

/// The Gregorian day of lunar `day`/`month` of lunar year `year` (not a leap month), in
/// Việt Nam's calendar. `None` outside the years chrono holds.
#[must_use]
pub fn lunar_to_solar(day: u32, month: u32, year: i32) -> Option<Date> {
    let (a11, b11) = if month < 11 {
        (month_eleven(year - 1)?, month_eleven(year)?)
    } else {
        (month_eleven(year)?, month_eleven(year + 1)?)
    };
    let k = lunation(a11, 0.5);
    let mut offset = i64::from(month) - 11;
    if offset < 0 {
        offset += 12;
    }
    if b11 - a11 > 365 {
        // Thirteen months: months from the leap month on come one later.
        let leap = leap_month_offset(a11);
        if offset >= leap {
            offset += 1;
        }
    }
    let start = new_moon_day(k + offset);
    from_julian_day(start + i64::from(day) - 1).map(Date::from)
}

/// Mùng 1 Tết: the first day of the lunar year that begins in Gregorian `year`.
#[must_use]
pub fn lunar_new_year(year: i32) -> Option<Date> {
    lunar_to_solar(1, 1, year)
}

/// When a holiday falls, each year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// A Gregorian day, every year.
    Solar {
        /// Month.
        month: u32,
        /// Day.
        day: u32,
    },
    /// A lunar day, converted each year.
    Lunar {
        /// Lunar month.
        month: u32,
        /// Lunar day.
        day: u32,
    },
    /// Days around mùng 1 Tết: from `before` days before to `after` days after it.
    AroundLunarNewYear {
        /// Days before.
        before: u32,
        /// Days after.
        after: u32,
    },
    /// Quốc khánh: 2/9 and the adjacent weekday (1/9 or 3/9) that joins it to a weekend.
    NationalDay,
}

/// A public holiday.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holiday {
    /// Its Vietnamese name.
    pub name: &'static str,
    /// When it falls.
    pub when: When,
}

/// The public holidays of Bộ luật Lao động 2019, Điều 112.
pub const HOLIDAYS: &[Holiday] = &[
    Holiday {
        name: "Tết Dương lịch",
        when: When::Solar { month: 1, day: 1 },
    },
    Holiday {
        name: "Tết Âm lịch",
        when: When::AroundLunarNewYear {
            before: 1,
            after: 3,
        },
    },
    Holiday {
        name: "Giỗ Tổ Hùng Vương",
        when: When::Lunar { month: 3, day: 10 },
    },
    Holiday {
        name: "Ngày Chiến thắng",
        when: When::Solar { month: 4, day: 30 },
    },
    Holiday {
        name: "Ngày Quốc tế lao động",
        when: When::Solar { month: 5, day: 1 },
    },
    Holiday {
        name: "Quốc khánh",
        when: When::NationalDay,
    },
];

fn is_weekend(day: NaiveDate) -> bool {
    matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The days a holiday covers in `year`.
fn days_of(when: When, year: i32) -> Vec<NaiveDate> {
    let solar = |month, day| NaiveDate::from_ymd_opt(year, month, day);
    match when {
        When::Solar { month, day } => solar(month, day).into_iter().collect(),
        When::Lunar { month, day } => lunar_to_solar(day, month, year)
            .map(Date::get)
            .into_iter()
            .collect(),
        When::AroundLunarNewYear { before, after } => lunar_new_year(year)
            .map(|tet| {
                (-i64::from(before)..=i64::from(after))
                    .filter_map(|d| tet.add_days(d).map(Date::get))
                    .collect()
            })
            .unwrap_or_default(),
        When::NationalDay => {
            let Some(second) = solar(9, 2) else {
                return Vec::new();
            };
            let (first, third) = (second.pred_opt(), second.succ_opt());
            // The weekday next to it that reaches a weekend (a Monday or a Friday), else the
            // weekday after it.
            let joins = |d: &NaiveDate| matches!(d.weekday(), Weekday::Mon | Weekday::Fri);
            let weekday = |d: &Option<NaiveDate>| d.filter(|d| !is_weekend(*d));
            let extra = match (weekday(&first), weekday(&third)) {
                (Some(f), Some(t)) if joins(&f) && !joins(&t) => Some(f),
                (Some(_), Some(t)) => Some(t),
                (Some(f), None) => Some(f),
                (None, t) => t,
            };
            std::iter::once(second).chain(extra).collect()
        }
    }
}

/// Holidays and their replacements for the years asked about, with a deployment's
/// adjustments.
#[derive(Debug, Clone, Default)]
pub struct Holidays {
    /// Days off beyond the rules (a year's decision, an added day).
    pub extra_days_off: Vec<Date>,
    /// Days worked although the rules make them holidays or weekend days (swaps).
    pub extra_working_days: Vec<Date>,
}

/// The statutory days off of `year` (see [`Holidays::days_off`]), computed once per year.
fn statutory_days_off(year: i32) -> Arc<BTreeSet<NaiveDate>> {
    static YEARS: OnceLock<Mutex<HashMap<i32, Arc<BTreeSet<NaiveDate>>>>> = OnceLock::new();
    let years = YEARS.get_or_init(Mutex::default);
    let mut years = years
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    years
        .entry(year)
        .or_insert_with(|| Arc::new(compute_days_off(year)))
        .clone()
}

fn compute_days_off(year: i32) -> BTreeSet<NaiveDate> {
    let mut statutory: Vec<NaiveDate> = HOLIDAYS
        .iter()
        .flat_map(|h| days_of(h.when, year))
        .collect();
    statutory.sort();
    statutory.dedup();
    let mut off: BTreeSet<NaiveDate> = statutory.iter().copied().collect();
    // Each holiday on a weekend gives the next day that is neither a weekend day nor
    // already off.
    for day in statutory.iter().filter(|d| is_weekend(**d)) {
        let mut next = *day;
        while let Some(n) = next.succ_opt() {
            next = n;
            if !is_weekend(n) && !off.contains(&n) {
                off.insert(n);
                break;
            }
        }
    }
    off
}

impl Holidays {
    /// The days off (holidays and the days replacing those on a weekend) of `year`, sorted;
    /// weekends themselves are not listed.
    #[must_use]
    pub fn days_off(&self, year: i32) -> BTreeSet<NaiveDate> {
        let mut off = (*statutory_days_off(year)).clone();
        off.extend(
            self.extra_days_off
                .iter()
                .filter(|d| d.year() == year)
                .map(|d| d.get()),
        );
        for worked in &self.extra_working_days {
            off.remove(&worked.get());
        }
        off
    }

    /// Whether `day` is a working day: Monday to Friday and not a day off, or a day the
    /// adjustments make one.
    #[must_use]
    pub fn is_working_day(&self, day: Date) -> bool {
        if self.extra_working_days.contains(&day) {
            return true;
        }
        if is_weekend(day.get()) {
            return false;
        }
        if self.extra_days_off.contains(&day) {
            return false;
        }
        // A holiday's days and their replacements can cross into the next or previous year.
        (day.year() - 1..=day.year() + 1).all(|y| !statutory_days_off(y).contains(&day.get()))
    }

    /// The `n`-th working day after `day` (`day` itself when `n` is 0).
    #[must_use]
    pub fn add_working_days(&self, day: Date, n: u32) -> Date {
        let mut at = day;
        let mut left = n;
        while left > 0 {
            match at.add_days(1) {
                Some(next) => at = next,
                None => return at,
            }
            if self.is_working_day(at) {
                left -= 1;
            }
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn tet_and_gio_to_2021_to_2030() {
        // Mùng 1 Tết and Giỗ Tổ (10/3 âm lịch), as printed in Vietnamese calendars.
        let expected = [
            (2021, d(2021, 2, 12), d(2021, 4, 21)),
            (2022, d(2022, 2, 1), d(2022, 4, 10)),
            (2023, d(2023, 1, 22), d(2023, 4, 29)),
            (2024, d(2024, 2, 10), d(2024, 4, 18)),
            (2025, d(2025, 1, 29), d(2025, 4, 7)),
            (2026, d(2026, 2, 17), d(2026, 4, 26)),
            (2027, d(2027, 2, 6), d(2027, 4, 16)),
            (2028, d(2028, 1, 26), d(2028, 4, 4)),
            (2029, d(2029, 2, 13), d(2029, 4, 23)),
            // The new moon of 2/2/2030 is at 23:07 in Hà Nội but 00:07 on 3/2 in Beijing:
            // Việt Nam's Tết is a day before China's.
            (2030, d(2030, 2, 2), d(2030, 4, 12)),
        ];
        for (year, tet, gio_to) in expected {
            assert_eq!(lunar_new_year(year).unwrap().get(), tet, "Tết {year}");
            assert_eq!(
                lunar_to_solar(10, 3, year).unwrap().get(),
                gio_to,
                "Giỗ Tổ {year}"
            );
        }
        // 2023 had a leap second month: the third month comes a lunation later than it
        // would otherwise.
        assert_eq!(lunar_to_solar(1, 3, 2023).unwrap().get(), d(2023, 4, 20));
        // 1985: reckoned at UTC+7, Việt Nam's Tết came a month before China's (20/2/1985).
        assert_eq!(lunar_new_year(1985).unwrap().get(), d(1985, 1, 21));
    }

    #[test]
    fn days_off_each_year_2021_to_2030() {
        let h = Holidays::default();
        // Every year: 1/1, five days of Tết, Giỗ Tổ, 30/4, 1/5, 2/9 and its neighbour, and the
        // days replacing those that fell on a weekend.
        let expected: [(i32, &[(u32, u32)]); 10] = [
            // Tết Thu 11/2–Mon 15/2 (Sat, Sun replaced Tue 16, Wed 17); Giỗ Tổ Wed 21/4;
            // 30/4 Fri, 1/5 Sat → Mon 3/5; 2/9 Thu + Fri 3/9.
            (
                2021,
                &[
                    (1, 1),
                    (2, 11),
                    (2, 12),
                    (2, 13),
                    (2, 14),
                    (2, 15),
                    (2, 16),
                    (2, 17),
                    (4, 21),
                    (4, 30),
                    (5, 1),
                    (5, 3),
                    (9, 2),
                    (9, 3),
                ],
            ),
            (
                2022,
                &[
                    (1, 1),
                    (1, 3),
                    (1, 31),
                    (2, 1),
                    (2, 2),
                    (2, 3),
                    (2, 4),
                    (4, 10),
                    (4, 11),
                    (4, 30),
                    (5, 1),
                    (5, 2),
                    (5, 3),
                    (9, 1),
                    (9, 2),
                ],
            ),
            (
                2023,
                &[
                    (1, 1),
                    (1, 2),
                    (1, 21),
                    (1, 22),
                    (1, 23),
                    (1, 24),
                    (1, 25),
                    (1, 26),
                    (1, 27),
                    (4, 29),
                    (4, 30),
                    (5, 1),
                    (5, 2),
                    (5, 3),
                    (9, 1),
                    (9, 2),
                    (9, 4),
                ],
            ),
            (
                2024,
                &[
                    (1, 1),
                    (2, 9),
                    (2, 10),
                    (2, 11),
                    (2, 12),
                    (2, 13),
                    (2, 14),
                    (2, 15),
                    (4, 18),
                    (4, 30),
                    (5, 1),
                    (9, 2),
                    (9, 3),
                ],
            ),
            (
                2025,
                &[
                    (1, 1),
                    (1, 28),
                    (1, 29),
                    (1, 30),
                    (1, 31),
                    (2, 1),
                    (2, 3),
                    (4, 7),
                    (4, 30),
                    (5, 1),
                    (9, 1),
                    (9, 2),
                ],
            ),
            (
                2026,
                &[
                    (1, 1),
                    (2, 16),
                    (2, 17),
                    (2, 18),
                    (2, 19),
                    (2, 20),
                    (4, 26),
                    (4, 27),
                    (4, 30),
                    (5, 1),
                    (9, 2),
                    (9, 3),
                ],
            ),
            (
                2027,
                &[
                    (1, 1),
                    (2, 5),
                    (2, 6),
                    (2, 7),
                    (2, 8),
                    (2, 9),
                    (2, 10),
                    (2, 11),
                    (4, 16),
                    (4, 30),
                    (5, 1),
                    (5, 3),
                    (9, 2),
                    (9, 3),
                ],
            ),
            (
                2028,
                &[
                    (1, 1),
                    (1, 3),
                    (1, 25),
                    (1, 26),
                    (1, 27),
                    (1, 28),
                    (1, 29),
                    (1, 31),
                    (4, 4),
                    (4, 30),
                    (5, 1),
                    (5, 2),
                    (9, 1),
                    (9, 2),
                    (9, 4),
                ],
            ),
            (
                2029,
                &[
                    (1, 1),
                    (2, 12),
                    (2, 13),
                    (2, 14),
                    (2, 15),
                    (2, 16),
                    (4, 23),
                    (4, 30),
                    (5, 1),
                    (9, 2),
                    (9, 3),
                    (9, 4),
                ],
            ),
            (
                2030,
                &[
                    (1, 1),
                    (2, 1),
                    (2, 2),
                    (2, 3),
                    (2, 4),
                    (2, 5),
                    (2, 6),
                    (2, 7),
                    (4, 12),
                    (4, 30),
                    (5, 1),
                    (9, 2),
                    (9, 3),
                ],
            ),
        ];
        for (year, days) in expected {
            let got: Vec<(u32, u32)> = h
                .days_off(year)
                .into_iter()
                .map(|x| (x.month(), x.day()))
                .collect();
            assert_eq!(got, days, "days off in {year}");
        }
    }

    #[test]
    fn working_days_skip_weekends_holidays_and_replacements() {
        let h = Holidays::default();
        let day = |y, m, dd| Date::from(d(y, m, dd));
        // Friday 10/2/2021 → the next working day after Tết is Thursday 18/2.
        assert_eq!(h.add_working_days(day(2021, 2, 10), 1), day(2021, 2, 18));
        assert!(!h.is_working_day(day(2025, 9, 1)));
        assert!(h.is_working_day(day(2025, 9, 3)));
        assert!(!h.is_working_day(day(2024, 4, 18)), "Giỗ Tổ 2024");
        assert_eq!(h.add_working_days(day(2024, 4, 17), 1), day(2024, 4, 19));
        assert_eq!(h.add_working_days(day(2024, 4, 17), 0), day(2024, 4, 17));
        // A deployment's swap: a Saturday worked, a Monday off.
        let swapped = Holidays {
            extra_days_off: vec![day(2024, 4, 29)],
            extra_working_days: vec![day(2024, 5, 4)],
        };
        assert!(!swapped.is_working_day(day(2024, 4, 29)));
        assert!(swapped.is_working_day(day(2024, 5, 4)));
    }
}
