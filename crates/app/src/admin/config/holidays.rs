//! 节假日: the official table of a year, and the days admins entered over it
//! (holidays and make-up working days), which the review SLA counts with.

use domain::calendar::CalendarDay;
use domain::text::Line;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::{audit, parsed};
use crate::authz::{Action, authorize};
use crate::{Actor, App, Error, FieldErrors};

/// The years the desk accepts days for.
const YEARS: std::ops::RangeInclusive<i16> = 2000..=2100;

/// What one source says of a date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DayMark {
    /// A working day (调休上班) rather than a holiday.
    pub working: bool,
    /// The holiday's name; may be empty.
    pub name: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DayRow {
    /// `2026-10-01`.
    pub date: String,
    /// 1 (Monday) to 7 (Sunday).
    pub weekday: i8,
    /// What the State Council's table says, if it lists the date.
    pub official: Option<DayMark>,
    /// What an admin entered, if anything: it decides the date.
    pub entered: Option<DayMark>,
    /// Whether the date is a working day, all told.
    pub working: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct HolidaysView {
    pub year: i16,
    /// Whether this build has the official table for the year.
    pub official_table: bool,
    /// Every date the table lists or an admin entered, in date order.
    pub days: Vec<DayRow>,
}

/// One day to enter, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DayInput {
    /// `2027-01-01`.
    pub date: String,
    /// holiday | working
    pub day_type: String,
    /// The holiday's name (required for a holiday, e.g. 元旦); ignored for a working day.
    pub name: String,
}

fn parse_date(errors: &mut FieldErrors, s: &str) -> Option<Date> {
    match s.trim().parse::<Date>() {
        Ok(d) if YEARS.contains(&d.year()) => Some(d),
        Ok(_) => {
            errors.add("date", "config.error.year");
            None
        }
        Err(_) => {
            errors.add("date", "config.error.date");
            None
        }
    }
}

fn shanghai() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC)
}

/// The year asked for; empty means this year (Asia/Shanghai).
fn parse_year(app: &App, s: &str) -> Result<i16, Error> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(app.now().to_zoned(shanghai()).year());
    }
    match s.parse::<i16>() {
        Ok(y) if YEARS.contains(&y) => Ok(y),
        _ => Err(Error::field("year", "config.error.year")),
    }
}

fn mark(d: &CalendarDay) -> DayMark {
    DayMark {
        working: d.working,
        name: d.name.clone(),
    }
}

pub async fn holidays(app: &App, actor: &Actor, year: &str) -> Result<HolidaysView, Error> {
    authorize(actor, Action::Configure)?;
    let year = parse_year(app, year)?;
    let mut conn = app.store.conn().await?;
    let calendar = crate::config::calendar(&mut conn).await?;
    let official = calendar.official_days(year);
    let entered = calendar.entered_days(year);
    let mut dates: Vec<Date> = official
        .iter()
        .chain(entered.iter())
        .map(|d| d.date)
        .collect();
    dates.sort_unstable();
    dates.dedup();
    let days = dates
        .into_iter()
        .map(|date| DayRow {
            date: date.to_string(),
            weekday: date.weekday().to_monday_one_offset(),
            official: official.iter().find(|d| d.date == date).map(mark),
            entered: entered.iter().find(|d| d.date == date).map(mark),
            working: calendar.is_working_day(date),
        })
        .collect();
    Ok(HolidaysView {
        year,
        official_table: calendar.officially_covers(year),
        days,
    })
}

/// Enters a holiday or a make-up working day (replacing what was entered for the date).
/// Returns the date's year, for showing that year.
pub async fn set_day(app: &App, actor: &Actor, input: &DayInput) -> Result<i16, Error> {
    authorize(actor, Action::Configure)?;
    let mut errors = FieldErrors::new();
    let date = parse_date(&mut errors, &input.date);
    let working = match input.day_type.trim() {
        "holiday" => Some(false),
        "working" => Some(true),
        _ => {
            errors.add("day_type", "config.error.day_type");
            None
        }
    };
    let name = match working {
        Some(false) => errors
            .check("name", Line::<30>::parse(&input.name))
            .map(Line::into_string),
        _ => Some(String::new()),
    };
    let (date, (working, name)) = parsed(errors, date.zip(working.zip(name)))?;
    let day = CalendarDay {
        date,
        working,
        name,
    };
    let mut tx = app.store.begin().await?;
    store::config::set_calendar_day(&mut tx, &day).await?;
    audit(
        &mut tx,
        app,
        actor,
        "config.calendar.set",
        &format!("config:calendar:{date}"),
        &if working {
            "working".to_owned()
        } else {
            format!("holiday {}", day.name)
        },
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(date.year())
}

/// Removes an entered day: the official table decides the date again.
pub async fn delete_day(app: &App, actor: &Actor, date: &str) -> Result<i16, Error> {
    authorize(actor, Action::Configure)?;
    let mut errors = FieldErrors::new();
    let date = parse_date(&mut errors, date);
    let date = parsed(errors, date)?;
    let mut tx = app.store.begin().await?;
    if !store::config::delete_calendar_day(&mut tx, date).await? {
        return Err(Error::NotFound);
    }
    audit(
        &mut tx,
        app,
        actor,
        "config.calendar.deleted",
        &format!("config:calendar:{date}"),
        "",
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(date.year())
}
