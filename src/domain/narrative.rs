//! The final activity report (relazione finale): what was done and achieved, in the project
//! manager's words, and the project's indicators (people trained, training hours, devices bought…).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSection {
    pub title: String,
    pub body: String,
    /// Where the section goes in the report, 1 for first: a new one goes last and an edited one
    /// stays where it is when `None`; a place beyond the last means last.
    pub position: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Section {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    /// Raised by every edit: an edit made on an older copy is refused.
    pub version: i64,
    /// Its place in the report, 1 to n within the project.
    pub position: i64,
}

/// An indicator's value: a decimal count or measure (not money).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIndicator {
    pub name: String,
    /// The value achieved.
    pub value: Decimal,
    /// The value the project set out to reach, printed beside the achieved one.
    pub target: Option<Decimal>,
    pub unit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Indicator {
    pub id: i64,
    pub name: String,
    #[serde(serialize_with = "serialize_decimal")]
    pub value: Decimal,
    #[serde(serialize_with = "serialize_optional_decimal")]
    pub target: Option<Decimal>,
    pub unit: Option<String>,
    pub created_at: DateTime<Utc>,
    pub version: i64,
}

/// An indicator's value the Italian way: `1.234,5`.
pub fn italian_value(value: Decimal) -> String {
    let normal = value.normalize();
    let text = normal.abs().to_string();
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(ch);
    }
    let sign = if normal.is_sign_negative() && !normal.is_zero() {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{frac}")
    }
}

pub(crate) fn serialize_decimal<S: serde::Serializer>(
    value: &Decimal,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

fn serialize_optional_decimal<S: serde::Serializer>(
    value: &Option<Decimal>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_read_the_italian_way() {
        let d = |s: &str| s.parse::<rust_decimal::Decimal>().expect("decimal");
        assert_eq!(super::italian_value(d("1234.50")), "1.234,5");
        assert_eq!(super::italian_value(d("120")), "120");
        assert_eq!(super::italian_value(d("1000000")), "1.000.000");
    }
}
