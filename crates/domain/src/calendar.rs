//! Working days: Monday to Friday, except the official public holidays, plus the
//! weekend make-up working days (调休) the State Council announces each year.
//!
//! One table per year, copied from that year's 国务院办公厅 notice. A year without a table
//! counts Monday to Friday only; [`WorkCalendar::covers`] says which years are known, so
//! the app can warn when the next year's notice has not been entered yet.
//!
//! Admins enter days of their own ([`WorkCalendar::with_entered`]): a holiday or a
//! make-up working day for a year whose notice came after this build, or a correction.
//! An entered day lies over the official table: it decides that date, whatever the table says.

use std::collections::BTreeMap;
use std::ops::Bound;

use jiff::SignedDuration;
use jiff::civil::{Date, Weekday};

/// A holiday period, first and last day inclusive.
struct Holiday {
    /// Name as in the notice.
    name: &'static str,
    first: Date,
    last: Date,
}

/// What the State Council announced for one year.
struct YearTable {
    year: i16,
    holidays: &'static [Holiday],
    /// Weekend days that are working days (调休上班).
    make_up_days: &'static [Date],
}

/// Just the year: the tables themselves are in the source.
impl std::fmt::Debug for YearTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.year)
    }
}

const fn d(year: i16, month: i8, day: i8) -> Date {
    Date::constant(year, month, day)
}

const fn holiday(name: &'static str, first: Date, last: Date) -> Holiday {
    Holiday { name, first, last }
}

/// 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号).
const YEAR_2025: YearTable = YearTable {
    year: 2025,
    holidays: &[
        holiday("元旦", d(2025, 1, 1), d(2025, 1, 1)),
        holiday("春节", d(2025, 1, 28), d(2025, 2, 4)),
        holiday("清明节", d(2025, 4, 4), d(2025, 4, 6)),
        holiday("劳动节", d(2025, 5, 1), d(2025, 5, 5)),
        holiday("端午节", d(2025, 5, 31), d(2025, 6, 2)),
        holiday("国庆节、中秋节", d(2025, 10, 1), d(2025, 10, 8)),
    ],
    make_up_days: &[
        d(2025, 1, 26),
        d(2025, 2, 8),
        d(2025, 4, 27),
        d(2025, 9, 28),
        d(2025, 10, 11),
    ],
};

/// 国务院办公厅关于2026年部分节假日安排的通知.
const YEAR_2026: YearTable = YearTable {
    year: 2026,
    holidays: &[
        holiday("元旦", d(2026, 1, 1), d(2026, 1, 3)),
        holiday("春节", d(2026, 2, 15), d(2026, 2, 23)),
        holiday("清明节", d(2026, 4, 4), d(2026, 4, 6)),
        holiday("劳动节", d(2026, 5, 1), d(2026, 5, 5)),
        holiday("端午节", d(2026, 6, 19), d(2026, 6, 21)),
        holiday("中秋节", d(2026, 9, 25), d(2026, 9, 27)),
        holiday("国庆节", d(2026, 10, 1), d(2026, 10, 7)),
    ],
    make_up_days: &[
        d(2026, 1, 4),
        d(2026, 2, 14),
        d(2026, 2, 28),
        d(2026, 5, 9),
        d(2026, 9, 20),
        d(2026, 10, 10),
    ],
};

const OFFICIAL: &[YearTable] = &[YEAR_2025, YEAR_2026];

/// A Monday, from which day numbers are counted.
const EPOCH: Date = d(2001, 1, 1);

/// Days from [`EPOCH`] to `date` (negative before it).
fn day_number(date: Date) -> i64 {
    // Civil dates have no time zone, so every day is exactly 24 hours.
    date.duration_since(EPOCH).as_secs() / 86_400
}

/// The date `days` after `date`, or `None` outside the dates jiff can represent.
fn plus_days(date: Date, days: i64) -> Option<Date> {
    let seconds = days.checked_mul(86_400)?;
    date.checked_add(SignedDuration::from_secs(seconds)).ok()
}

/// Monday to Friday among the day numbers `0..n` (negated for `n < 0`), so that
/// `weekdays_before(b) - weekdays_before(a)` counts those in `a..b`.
fn weekdays_before(n: i64) -> i64 {
    5 * n.div_euclid(7) + n.rem_euclid(7).min(5)
}

fn is_weekday(date: Date) -> bool {
    !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// One date that is not what Monday to Friday would make it (or is said to be anyway):
/// a holiday (`working == false`) or a make-up working day (`working == true`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarDay {
    pub date: Date,
    pub working: bool,
    /// The holiday's name (`国庆节`); empty for make-up days in the official tables.
    pub name: String,
}

/// An admin's day, as kept inside the calendar.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entered {
    working: bool,
    name: String,
}

/// The working-day calendar of mainland China: the official tables, and the days
/// admins entered over them.
#[derive(Clone, Debug)]
pub struct WorkCalendar {
    years: &'static [YearTable],
    entered: BTreeMap<Date, Entered>,
}

impl WorkCalendar {
    /// The calendar with every year whose State Council notice is in this crate.
    pub fn official() -> WorkCalendar {
        WorkCalendar {
            years: OFFICIAL,
            entered: BTreeMap::new(),
        }
    }

    /// This calendar with `days` laid over it: each decides its date. A date given
    /// twice keeps the last one.
    pub fn with_entered(mut self, days: impl IntoIterator<Item = CalendarDay>) -> WorkCalendar {
        for day in days {
            self.entered.insert(
                day.date,
                Entered {
                    working: day.working,
                    name: day.name,
                },
            );
        }
        self
    }

    fn table(&self, year: i16) -> Option<&'static YearTable> {
        self.years.iter().find(|t| t.year == year)
    }

    /// Whether `year` has an official table or entered days; if neither, its working
    /// days are just Monday to Friday.
    pub fn covers(&self, year: i16) -> bool {
        self.table(year).is_some() || self.entered.keys().any(|d| d.year() == year)
    }

    /// Whether `year` has an official table in this crate (entered days aside).
    pub fn officially_covers(&self, year: i16) -> bool {
        self.table(year).is_some()
    }

    fn official_working_day(&self, date: Date) -> bool {
        match self.table(date.year()) {
            Some(t) if t.make_up_days.contains(&date) => true,
            Some(t) if t.holidays.iter().any(|h| h.first <= date && date <= h.last) => false,
            _ => is_weekday(date),
        }
    }

    pub fn is_working_day(&self, date: Date) -> bool {
        match self.entered.get(&date) {
            Some(e) => e.working,
            None => self.official_working_day(date),
        }
    }

    /// The name of the public holiday that `date` falls in (`国庆节`), if any. An entered
    /// working day has none; an entered holiday has the name it was given.
    pub fn holiday_name(&self, date: Date) -> Option<&str> {
        if let Some(e) = self.entered.get(&date) {
            return (!e.working).then_some(e.name.as_str());
        }
        self.table(date.year())?
            .holidays
            .iter()
            .find(|h| h.first <= date && date <= h.last)
            .map(|h| h.name)
    }

    /// What the official table of `year` says, date by date: every holiday date and
    /// make-up working day, in date order. Empty for a year without a table.
    pub fn official_days(&self, year: i16) -> Vec<CalendarDay> {
        let Some(t) = self.table(year) else {
            return Vec::new();
        };
        let mut days: Vec<CalendarDay> = t
            .holidays
            .iter()
            .flat_map(|h| {
                h.first
                    .series(jiff::Span::new().days(1))
                    .take_while(move |day| *day <= h.last)
                    .map(move |date| CalendarDay {
                        date,
                        working: false,
                        name: h.name.to_owned(),
                    })
            })
            .chain(t.make_up_days.iter().map(|date| CalendarDay {
                date: *date,
                working: true,
                name: String::new(),
            }))
            .collect();
        days.sort_by_key(|d| d.date);
        days
    }

    /// The days admins entered in `year`, in date order.
    pub fn entered_days(&self, year: i16) -> Vec<CalendarDay> {
        self.entered
            .iter()
            .filter(|(date, _)| date.year() == year)
            .map(|(date, e)| CalendarDay {
                date: *date,
                working: e.working,
                name: e.name.clone(),
            })
            .collect()
    }

    /// Every date in `(a, b]` that may differ from Monday to Friday, each once: what the
    /// tables mention (tests check they have no overlaps) unless entered, then the entered.
    fn exceptions(&self, a: Date, b: Date) -> impl Iterator<Item = Date> + '_ {
        let official = self
            .years
            .iter()
            .filter(move |t| (a.year()..=b.year()).contains(&t.year))
            .flat_map(|t| {
                let holidays = t.holidays.iter().flat_map(|h| {
                    h.first
                        .series(jiff::Span::new().days(1))
                        .take_while(move |day| *day <= h.last)
                });
                holidays.chain(t.make_up_days.iter().copied())
            })
            .filter(move |day| a < *day && *day <= b && !self.entered.contains_key(day));
        let entered = self
            .entered
            .range((Bound::Excluded(a), Bound::Included(b)))
            .map(|(day, _)| *day);
        official.chain(entered)
    }

    /// The number of working days in `(a, b]`: after `a`, up to and including `b`.
    ///
    /// This is how a deadline is measured: submitted on `a`, answered on `b`, it took
    /// `working_days_between(a, b)` working days. Zero when `a == b`; when `b` is before
    /// `a`, minus the number in `(b, a]`, so that `between(a, b) + between(b, c) == between(a, c)`.
    pub fn working_days_between(&self, a: Date, b: Date) -> i64 {
        if b < a {
            return -self.working_days_between(b, a);
        }
        let plain = weekdays_before(day_number(b) + 1) - weekdays_before(day_number(a) + 1);
        let adjustment: i64 = self
            .exceptions(a, b)
            .map(|day| i64::from(self.is_working_day(day)) - i64::from(is_weekday(day)))
            .sum();
        plain + adjustment
    }

    /// The `n`th working day after `start`, for deadlines such as "within 3 working days".
    ///
    /// `start` itself never counts: Friday + 1 is the next Monday (or make-up Saturday).
    /// For `n == 0` the result is `start` if it is a working day, else the next working day,
    /// so "due in 0 working days" means "today, or the first working day after a holiday".
    /// Thus `add(add(s, a), b) == add(s, a + b)` for every `a ≥ 1`.
    ///
    /// Dates past 9999-12-31 cannot be represented: the result then stops at the last
    /// working day that can.
    pub fn add_working_days(&self, start: Date, n: u32) -> Date {
        if n == 0 {
            return if self.is_working_day(start) {
                start
            } else {
                self.add_working_days(start, 1)
            };
        }
        let wanted = i64::from(n);
        let reaches = |days: i64| {
            plus_days(start, days)
                .is_some_and(|end| self.working_days_between(start, end) >= wanted)
        };
        let room = day_number(Date::MAX) - day_number(start);
        if !reaches(room) {
            return self.last_representable_working_day();
        }
        // Bracket the answer, starting from a guess of a week per 5 working days:
        // `start + lo` never reaches `n`, `start + hi` does...
        let mut lo = 0;
        let mut hi = (wanted * 7 / 5 + 7).min(room);
        while !reaches(hi) {
            lo = hi;
            hi = (hi * 2).min(room);
        }
        // ...then the first offset that is: `start + hi` is the `n`th working day.
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if reaches(mid) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        plus_days(start, hi).unwrap_or(Date::MAX)
    }

    fn last_representable_working_day(&self) -> Date {
        let mut day = Date::MAX;
        while !self.is_working_day(day) {
            match day.yesterday() {
                Ok(previous) => day = previous,
                Err(_) => break,
            }
        }
        day
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cal() -> WorkCalendar {
        WorkCalendar::official()
    }

    #[test]
    fn epoch_is_a_monday() {
        assert_eq!(EPOCH.weekday(), Weekday::Monday);
    }

    #[test]
    fn tables_are_consistent() {
        for t in OFFICIAL {
            for h in t.holidays {
                assert!(h.first <= h.last, "{} {}", t.year, h.name);
                assert_eq!(h.first.year(), t.year, "{}", h.name);
                assert_eq!(h.last.year(), t.year, "{}", h.name);
            }
            for day in t.make_up_days {
                assert_eq!(day.year(), t.year);
                assert!(!is_weekday(*day), "make-up day {day} is not a weekend day");
            }
            let before = d(t.year, 1, 1).yesterday().unwrap();
            let mut days: Vec<Date> = cal().exceptions(before, d(t.year, 12, 31)).collect();
            let count = days.len();
            days.sort();
            days.dedup();
            assert_eq!(days.len(), count, "{}: a date is listed twice", t.year);
        }
    }

    #[test]
    fn the_2026_notice() {
        let c = cal();
        let off = [
            (d(2026, 1, 1), d(2026, 1, 3)),
            (d(2026, 2, 15), d(2026, 2, 23)),
            (d(2026, 4, 4), d(2026, 4, 6)),
            (d(2026, 5, 1), d(2026, 5, 5)),
            (d(2026, 6, 19), d(2026, 6, 21)),
            (d(2026, 9, 25), d(2026, 9, 27)),
            (d(2026, 10, 1), d(2026, 10, 7)),
        ];
        for (first, last) in off {
            for day in first
                .series(jiff::Span::new().days(1))
                .take_while(|x| *x <= last)
            {
                assert!(!c.is_working_day(day), "{day}");
            }
        }
        for day in [
            d(2026, 1, 4),
            d(2026, 2, 14),
            d(2026, 2, 28),
            d(2026, 5, 9),
            d(2026, 9, 20),
            d(2026, 10, 10),
        ] {
            assert!(c.is_working_day(day), "{day}");
        }
        assert!(c.is_working_day(d(2026, 1, 5)));
        assert!(!c.is_working_day(d(2026, 1, 10)));
        assert!(c.covers(2026));
        assert_eq!(c.holiday_name(d(2026, 10, 3)), Some("国庆节"));
        assert_eq!(c.holiday_name(d(2026, 10, 10)), None);
        assert_eq!(c.holiday_name(d(2027, 10, 1)), None);
    }

    #[test]
    fn the_2025_notice() {
        let c = cal();
        assert!(c.covers(2025));
        assert!(!c.is_working_day(d(2025, 1, 1)));
        assert!(c.is_working_day(d(2025, 1, 26)));
        assert!(!c.is_working_day(d(2025, 2, 4)));
        assert!(c.is_working_day(d(2025, 2, 5)));
        assert!(c.is_working_day(d(2025, 2, 8)));
        assert!(c.is_working_day(d(2025, 4, 27)));
        assert!(!c.is_working_day(d(2025, 6, 2)));
        assert!(c.is_working_day(d(2025, 9, 28)));
        assert!(!c.is_working_day(d(2025, 10, 8)));
        assert!(c.is_working_day(d(2025, 10, 9)));
        assert!(c.is_working_day(d(2025, 10, 11)));
    }

    #[test]
    fn years_without_a_table_are_monday_to_friday() {
        let c = cal();
        assert!(!c.covers(2027));
        assert!(
            c.is_working_day(d(2027, 1, 1)),
            "a Friday: unknown until the 2027 notice"
        );
        assert!(!c.is_working_day(d(2027, 1, 2)));
        assert!(c.is_working_day(d(2024, 10, 1)), "a Tuesday, no 2024 table");
    }

    #[test]
    fn adding_working_days_in_2026() {
        let c = cal();
        assert_eq!(c.add_working_days(d(2026, 9, 30), 1), d(2026, 10, 8));
        assert_eq!(c.add_working_days(d(2026, 2, 13), 1), d(2026, 2, 14));
        assert_eq!(c.add_working_days(d(2026, 2, 14), 1), d(2026, 2, 24));
        assert_eq!(c.add_working_days(d(2026, 10, 9), 1), d(2026, 10, 10));
        assert_eq!(c.add_working_days(d(2026, 10, 10), 1), d(2026, 10, 12));
        assert_eq!(c.add_working_days(d(2026, 9, 18), 1), d(2026, 9, 20));
        assert_eq!(c.add_working_days(d(2025, 12, 31), 1), d(2026, 1, 4));
        assert_eq!(c.add_working_days(d(2026, 4, 30), 3), d(2026, 5, 8));
        assert_eq!(c.add_working_days(d(2026, 4, 30), 4), d(2026, 5, 9));
    }

    #[test]
    fn adding_zero_working_days() {
        let c = cal();
        assert_eq!(c.add_working_days(d(2026, 10, 9), 0), d(2026, 10, 9));
        assert_eq!(c.add_working_days(d(2026, 10, 1), 0), d(2026, 10, 8));
        assert_eq!(c.add_working_days(d(2026, 10, 10), 0), d(2026, 10, 10));
    }

    #[test]
    fn counting_working_days() {
        let c = cal();
        assert_eq!(c.working_days_between(d(2026, 9, 30), d(2026, 10, 8)), 1);
        assert_eq!(c.working_days_between(d(2026, 9, 30), d(2026, 10, 7)), 0);
        assert_eq!(c.working_days_between(d(2026, 10, 8), d(2026, 9, 30)), -1);
        assert_eq!(c.working_days_between(d(2026, 3, 2), d(2026, 3, 2)), 0);
        let in_2026 = c.working_days_between(d(2025, 12, 31), d(2026, 12, 31));
        let by_hand = d(2026, 1, 1)
            .series(jiff::Span::new().days(1))
            .take_while(|x| x.year() == 2026)
            .filter(|x| c.is_working_day(*x))
            .count();
        assert_eq!(usize::try_from(in_2026).ok(), Some(by_hand));
        // 261 weekdays, 19 of them holidays, 6 make-up days.
        assert_eq!(in_2026, 248);
        // 261 weekdays, 18 of them holidays, 5 make-up days.
        assert_eq!(
            c.working_days_between(d(2024, 12, 31), d(2025, 12, 31)),
            248
        );
    }

    #[test]
    fn far_dates_do_not_panic() {
        let c = cal();
        let end = c.add_working_days(d(9999, 12, 1), u32::MAX);
        assert!(c.is_working_day(end));
        assert_eq!(c.working_days_between(end, Date::MAX), 0);
        // Close to the end, an answer that exists is still found exactly.
        let near_end = c.add_working_days(d(9999, 12, 1), 20);
        assert_eq!(c.working_days_between(d(9999, 12, 1), near_end), 20);
        assert!(near_end <= Date::MAX);
        assert_eq!(
            c.working_days_between(Date::MIN, Date::MAX),
            -c.working_days_between(Date::MAX, Date::MIN)
        );
        let start = d(2000, 1, 3);
        let far = c.add_working_days(start, 1_000_000);
        assert_eq!(c.working_days_between(start, far), 1_000_000);
    }

    fn entered(date: Date, working: bool, name: &str) -> CalendarDay {
        CalendarDay {
            date,
            working,
            name: name.to_owned(),
        }
    }

    #[test]
    fn entered_days_lie_over_the_official_table() {
        let c = cal().with_entered([
            // A year without a notice: 2027's 元旦 and a make-up Saturday.
            entered(d(2027, 1, 1), false, "元旦"),
            entered(d(2027, 1, 9), true, ""),
            // Corrections of 2026: 8 October off as well, 10 October not worked after all.
            entered(d(2026, 10, 8), false, "国庆节"),
            entered(d(2026, 10, 10), false, "调整"),
            // 1 October worked (a correction the other way).
            entered(d(2026, 10, 1), true, ""),
        ]);
        assert!(!c.is_working_day(d(2027, 1, 1)));
        assert_eq!(c.holiday_name(d(2027, 1, 1)), Some("元旦"));
        assert!(c.is_working_day(d(2027, 1, 9)));
        assert!(c.covers(2027));
        assert!(!c.officially_covers(2027));
        assert!(!c.is_working_day(d(2026, 10, 8)));
        assert!(!c.is_working_day(d(2026, 10, 10)));
        assert!(c.is_working_day(d(2026, 10, 1)));
        assert_eq!(c.holiday_name(d(2026, 10, 1)), None);
        assert_eq!(c.holiday_name(d(2026, 10, 2)), Some("国庆节"));
        // 9 October is the first working day after 30 September now: 1 October is
        // worked, so that comes first.
        assert_eq!(c.add_working_days(d(2026, 9, 30), 1), d(2026, 10, 1));
        assert_eq!(c.add_working_days(d(2026, 10, 1), 1), d(2026, 10, 9));
        assert_eq!(c.add_working_days(d(2026, 10, 9), 1), d(2026, 10, 12));
        assert_eq!(c.add_working_days(d(2026, 12, 31), 1), d(2027, 1, 4));
        assert_eq!(c.add_working_days(d(2027, 1, 8), 1), d(2027, 1, 9));
        // The official calendar is untouched.
        assert_eq!(cal().add_working_days(d(2026, 9, 30), 1), d(2026, 10, 8));
        // Each year's entries, and the table beside them.
        assert_eq!(c.entered_days(2027).len(), 2);
        assert_eq!(c.entered_days(2026).len(), 3);
        let official = cal().official_days(2026);
        assert_eq!(
            official.iter().filter(|x| !x.working).count(),
            3 + 9 + 3 + 5 + 3 + 3 + 7
        );
        assert_eq!(official.iter().filter(|x| x.working).count(), 6);
        assert!(official.windows(2).all(|w| w[0].date < w[1].date));
        assert!(cal().official_days(2027).is_empty());
    }

    #[test]
    fn the_last_entry_for_a_date_wins() {
        let c = cal().with_entered([
            entered(d(2027, 3, 1), false, "a"),
            entered(d(2027, 3, 1), true, ""),
        ]);
        assert!(c.is_working_day(d(2027, 3, 1)));
        assert_eq!(c.entered_days(2027).len(), 1);
    }

    fn date_near_the_tables() -> impl Strategy<Value = Date> {
        (0i64..5 * 365).prop_filter_map("representable", |n| plus_days(d(2023, 1, 1), n))
    }

    proptest! {
        #[test]
        fn the_result_is_a_working_day(start in date_near_the_tables(), n in 0u32..400) {
            prop_assert!(cal().is_working_day(cal().add_working_days(start, n)));
        }

        #[test]
        fn adding_is_monotonic(start in date_near_the_tables(), n in 0u32..400) {
            let c = cal();
            let here = c.add_working_days(start, n);
            let next = c.add_working_days(start, n + 1);
            // From a holiday, "0 working days" and "1 working day" both land on the
            // first working day after it; otherwise each extra day moves on.
            if n == 0 && !c.is_working_day(start) {
                prop_assert_eq!(here, next);
            } else {
                prop_assert!(here < next);
            }
            prop_assert!(start <= here);
            prop_assert!(start < next);
        }

        #[test]
        fn adding_composes(start in date_near_the_tables(), a in 1u32..200, b in 0u32..200) {
            let c = cal();
            prop_assert_eq!(
                c.add_working_days(c.add_working_days(start, a), b),
                c.add_working_days(start, a + b)
            );
        }

        #[test]
        fn counting_undoes_adding(start in date_near_the_tables(), n in 1u32..400) {
            let c = cal();
            let end = c.add_working_days(start, n);
            prop_assert_eq!(c.working_days_between(start, end), i64::from(n));
            let day_before = plus_days(end, -1).unwrap_or(end);
            prop_assert_eq!(c.working_days_between(start, day_before), i64::from(n) - 1);
        }

        #[test]
        fn counting_matches_day_by_day(start in date_near_the_tables(), len in 0i64..120) {
            let c = cal();
            let end = plus_days(start, len).unwrap_or(start);
            let by_hand = (1..=len)
                .filter_map(|k| plus_days(start, k))
                .filter(|x| c.is_working_day(*x))
                .count();
            prop_assert_eq!(usize::try_from(c.working_days_between(start, end)).ok(), Some(by_hand));
            prop_assert_eq!(c.working_days_between(end, start), -c.working_days_between(start, end));
        }

        #[test]
        fn entered_days_keep_counting_exact(
            days in proptest::collection::vec((date_near_the_tables(), any::<bool>()), 0..12),
            start in date_near_the_tables(),
            len in 0i64..120,
            n in 1u32..200,
        ) {
            let c = cal().with_entered(days.iter().map(|(date, working)| CalendarDay {
                date: *date,
                working: *working,
                name: String::new(),
            }));
            for (date, _) in &days {
                let last = days.iter().rev().find(|(d, _)| d == date).map(|(_, w)| *w);
                prop_assert_eq!(Some(c.is_working_day(*date)), last);
            }
            let end = plus_days(start, len).unwrap_or(start);
            let by_hand = (1..=len)
                .filter_map(|k| plus_days(start, k))
                .filter(|x| c.is_working_day(*x))
                .count();
            prop_assert_eq!(usize::try_from(c.working_days_between(start, end)).ok(), Some(by_hand));
            let due = c.add_working_days(start, n);
            prop_assert!(c.is_working_day(due));
            prop_assert_eq!(c.working_days_between(start, due), i64::from(n));
        }

        #[test]
        fn counting_is_additive(a in date_near_the_tables(), b in date_near_the_tables(), m in date_near_the_tables()) {
            let c = cal();
            prop_assert_eq!(
                c.working_days_between(a, m) + c.working_days_between(m, b),
                c.working_days_between(a, b)
            );
        }
    }
}
