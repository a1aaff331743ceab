//! Exact money and rates. Amounts are `rust_decimal` values with exactly two decimals; they are
//! stored as integer cents and travel in JSON as strings, so no float ever touches them.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub};
use std::str::FromStr;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Largest amount accepted on input: a thousand billion euro keeps every sum far inside `i64` cents.
const MAX_INPUT_CENTS: i64 = 100_000_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("not a decimal number")]
    NotANumber,
    #[error("more than two decimals")]
    TooManyDecimals,
    #[error("amount too large")]
    TooLarge,
}

impl MoneyError {
    pub fn code(self) -> &'static str {
        match self {
            MoneyError::NotANumber => "invalid_amount",
            MoneyError::TooManyDecimals => "too_many_decimals",
            MoneyError::TooLarge => "amount_too_large",
        }
    }

    pub fn message_it(self) -> &'static str {
        match self {
            MoneyError::NotANumber => "non è un importo valido (usare ad esempio \"1234.56\")",
            MoneyError::TooManyDecimals => "un importo ha al massimo due decimali",
            MoneyError::TooLarge => "importo troppo grande",
        }
    }
}

/// An amount in euro: a `Decimal` that always has exactly two decimals (may be negative inside
/// computations, e.g. a credit note's contribution to a total).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    pub fn from_cents(cents: i64) -> Money {
        Money(Decimal::new(cents, 2))
    }

    /// Integer cents, the storage form. Amounts are bounded on input, so this never saturates
    /// for stored data.
    pub fn cents(self) -> i64 {
        (self.0 * Decimal::ONE_HUNDRED).to_i64().unwrap_or(i64::MAX)
    }

    pub fn to_decimal(self) -> Decimal {
        self.0
    }

    /// Rounds half-up ("arrotondamento commerciale") to the cent: the only rounding rule we use.
    pub fn round_half_up(value: Decimal) -> Money {
        Money::two_places(value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
    }

    /// Rounds up (away from zero) to the cent: the revocation threshold, the smallest amount
    /// that passes an exact test (`domain.md`, decision 4).
    pub fn round_up(value: Decimal) -> Money {
        Money::two_places(value.round_dp_with_strategy(2, RoundingStrategy::AwayFromZero))
    }

    /// Rounds towards zero to the cent; used by the largest-remainder split.
    pub fn floor(value: Decimal) -> Money {
        Money::two_places(value.round_dp_with_strategy(2, RoundingStrategy::ToZero))
    }

    fn two_places(mut value: Decimal) -> Money {
        value.rescale(2);
        Money(value)
    }

    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    pub fn is_positive(self) -> bool {
        self.0.is_sign_positive() && !self.0.is_zero()
    }

    pub fn abs(self) -> Money {
        Money(self.0.abs())
    }

    pub fn max(self, other: Money) -> Money {
        if self >= other {
            self
        } else {
            other
        }
    }

    pub fn min(self, other: Money) -> Money {
        if self <= other {
            self
        } else {
            other
        }
    }

    /// Italian document format: `1.234,56 €`.
    pub fn italian(self) -> String {
        format!("{} €", self.italian_number())
    }

    /// A change as Italians write it, with its sign: `+5.000,00 €`, `-4.000,00 €`.
    pub fn signed_italian(self) -> String {
        if self.is_positive() {
            format!("+{}", self.italian())
        } else {
            self.italian()
        }
    }

    /// Italian number without the currency sign: `1.234,56`.
    pub fn italian_number(self) -> String {
        let cents = self.cents();
        let sign = if cents < 0 { "-" } else { "" };
        let abs = cents.unsigned_abs();
        let units = (abs / 100).to_string();
        let mut grouped = String::with_capacity(units.len() + units.len() / 3);
        for (i, ch) in units.chars().enumerate() {
            if i > 0 && (units.len() - i) % 3 == 0 {
                grouped.push('.');
            }
            grouped.push(ch);
        }
        format!("{sign}{grouped},{:02}", abs % 100)
    }
}

impl Money {
    /// Parses an amount as a person types it in a form: Italian (`1.234,56`, `1234,56`, `1.234`)
    /// or plain (`1234.56`), with spaces or a trailing `€` tolerated. A single `.` followed by
    /// exactly three digits is a thousands separator (an amount has two decimals at most).
    pub fn parse_typed(s: &str) -> Result<Money, MoneyError> {
        let t: String = s
            .trim()
            .trim_end_matches('€')
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
            .collect();
        // "+5.000,00": an increase typed with its sign, as a variation's lines are.
        let t = match t.strip_prefix('+') {
            Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest.to_owned(),
            _ => t,
        };
        let thousands = |int: &str| -> Result<String, MoneyError> {
            let (sign, digits) = match int.strip_prefix('-') {
                Some(rest) => ("-", rest),
                None => ("", int),
            };
            let groups: Vec<&str> = digits.split('.').collect();
            let well_formed = groups.len() > 1
                && !groups[0].is_empty()
                && groups[0].len() <= 3
                && groups[1..].iter().all(|g| g.len() == 3);
            if groups.len() > 1 && !well_formed {
                return Err(MoneyError::NotANumber);
            }
            Ok(format!("{sign}{}", groups.concat()))
        };
        let plain = match t.rsplit_once(',') {
            Some((int, frac)) => format!("{}.{frac}", thousands(int)?),
            None if t.matches('.').count() > 1 => thousands(&t)?,
            None => match t.split_once('.') {
                Some((_, frac)) if frac.len() == 3 => thousands(&t)?,
                _ => t,
            },
        };
        plain.parse()
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    /// Parses the API form: optional sign, digits, optionally `.` and one or two decimals.
    fn from_str(s: &str) -> Result<Money, MoneyError> {
        let (negative, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (int_part, frac_part) = match body.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (body, None),
        };
        if int_part.is_empty() || !int_part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MoneyError::NotANumber);
        }
        let frac = match frac_part {
            None => "",
            Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => f,
            Some(_) => return Err(MoneyError::NotANumber),
        };
        if frac.len() > 2 {
            return Err(MoneyError::TooManyDecimals);
        }
        let int_digits = int_part.trim_start_matches('0');
        if int_digits.len() > 13 {
            return Err(MoneyError::TooLarge);
        }
        let units: i64 = if int_digits.is_empty() {
            0
        } else {
            int_digits.parse().map_err(|_| MoneyError::TooLarge)?
        };
        let frac_cents: i64 = match frac.len() {
            0 => 0,
            1 => i64::from(frac.as_bytes()[0] - b'0') * 10,
            _ => frac.parse().map_err(|_| MoneyError::NotANumber)?,
        };
        let cents = units * 100 + frac_cents;
        if cents > MAX_INPUT_CENTS {
            return Err(MoneyError::TooLarge);
        }
        Ok(Money::from_cents(if negative { -cents } else { cents }))
    }
}

impl fmt::Display for Money {
    /// The API form: `1234.56`, always two decimals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cents = self.cents();
        let sign = if cents < 0 { "-" } else { "" };
        let abs = cents.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("not a decimal number")]
    NotANumber,
    #[error("outside 0..1")]
    OutOfRange,
    #[error("more than four decimals")]
    TooManyDecimals,
}

impl RateError {
    pub fn code(self) -> &'static str {
        match self {
            RateError::NotANumber => "invalid_rate",
            RateError::OutOfRange => "rate_out_of_range",
            RateError::TooManyDecimals => "too_many_decimals",
        }
    }

    pub fn message_it(self) -> &'static str {
        match self {
            RateError::NotANumber => "non è una quota valida (usare ad esempio \"0.70\")",
            RateError::OutOfRange => "la quota deve essere compresa fra 0 e 1",
            RateError::TooManyDecimals => "una quota ha al massimo quattro decimali",
        }
    }
}

/// A share between 0 and 1 with at most four decimals (stored as basis points: 0.70 = 7000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate(u16);

impl Rate {
    pub const ONE: Rate = Rate(10_000);

    pub fn from_basis_points(bp: i64) -> Result<Rate, RateError> {
        u16::try_from(bp)
            .ok()
            .filter(|v| *v <= 10_000)
            .map(Rate)
            .ok_or(RateError::OutOfRange)
    }

    pub fn basis_points(self) -> i64 {
        i64::from(self.0)
    }

    pub fn to_decimal(self) -> Decimal {
        Decimal::new(i64::from(self.0), 4)
    }

    /// `rate × amount`, exact (not yet rounded).
    pub fn of(self, amount: Money) -> Decimal {
        self.to_decimal() * amount.to_decimal()
    }

    /// Italian percentage: `70 %`, `33,33 %`.
    pub fn italian_percent(self) -> String {
        let pct = self.to_decimal() * Decimal::ONE_HUNDRED;
        format!("{} %", pct.normalize().to_string().replace('.', ","))
    }
}

impl FromStr for Rate {
    type Err = RateError;

    fn from_str(s: &str) -> Result<Rate, RateError> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(RateError::NotANumber);
        }
        let d = Decimal::from_str(s).map_err(|_| RateError::NotANumber)?;
        if d.normalize().scale() > 4 {
            return Err(RateError::TooManyDecimals);
        }
        let bp = (d * Decimal::from(10_000))
            .trunc()
            .to_i64()
            .ok_or(RateError::OutOfRange)?;
        Rate::from_basis_points(bp)
    }
}

impl fmt::Display for Rate {
    /// At least two decimals: `0.70`, `0.3333`, `1.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.to_decimal().normalize();
        let s = if d.scale() < 2 {
            format!("{:.2}", d)
        } else {
            d.to_string()
        };
        f.write_str(&s)
    }
}

impl Serialize for Rate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn typed_amounts_are_read_the_italian_or_the_plain_way() {
        let ok = |s: &str, cents: i64| {
            assert_eq!(Money::parse_typed(s), Ok(Money::from_cents(cents)), "{s}")
        };
        ok("1.234,56", 123_456);
        ok("1234,56", 123_456);
        ok("1234.56", 123_456);
        ok(" 1.234,5 € ", 123_450);
        ok("1.234", 123_400);
        ok("1.234.567", 123_456_700);
        ok("0,5", 50);
        ok("-12,00", -1_200);
        ok("+5.000,00", 500_000);
        assert!(Money::parse_typed("+-5").is_err());
        assert!(Money::parse_typed("1.23.4,00").is_err());
        assert!(Money::parse_typed("12,345").is_err());
        assert!(Money::parse_typed("abc").is_err());
    }

    use super::*;

    #[test]
    fn parses_the_api_form_and_refuses_three_decimals() {
        assert_eq!("1234.56".parse::<Money>(), Ok(Money::from_cents(123_456)));
        assert_eq!("1234.5".parse::<Money>(), Ok(Money::from_cents(123_450)));
        assert_eq!("7".parse::<Money>(), Ok(Money::from_cents(700)));
        assert_eq!("-0.01".parse::<Money>(), Ok(Money::from_cents(-1)));
        assert_eq!("1.234".parse::<Money>(), Err(MoneyError::TooManyDecimals));
        for bad in ["", "1,5", "1.", ".5", "1e3", "+1", " 1", "abc", "--1"] {
            assert_eq!(bad.parse::<Money>(), Err(MoneyError::NotANumber), "{bad}");
        }
        assert_eq!(
            "99999999999999.00".parse::<Money>(),
            Err(MoneyError::TooLarge)
        );
    }

    #[test]
    fn formats_for_the_api_and_for_documents() {
        let m = Money::from_cents(7_350_000);
        assert_eq!(m.to_string(), "73500.00");
        assert_eq!(m.italian(), "73.500,00 €");
        assert_eq!(Money::from_cents(-123_456_789).italian(), "-1.234.567,89 €");
        assert_eq!(Money::from_cents(5).italian_number(), "0,05");
        assert_eq!(Money::from_cents(-5).to_string(), "-0.05");
    }

    #[test]
    fn rounds_half_up_once() {
        assert_eq!(
            Money::round_half_up(Decimal::new(12345, 3)),
            Money::from_cents(1235)
        );
        assert_eq!(
            Money::round_half_up(Decimal::new(12344, 3)),
            Money::from_cents(1234)
        );
        assert_eq!(
            Money::round_half_up(Decimal::new(-12345, 3)),
            Money::from_cents(-1235)
        );
        assert_eq!(
            Money::floor(Decimal::new(12349, 3)),
            Money::from_cents(1234)
        );
    }

    #[test]
    fn rates_are_shares_with_four_decimals() {
        assert_eq!("0.70".parse::<Rate>().map(Rate::basis_points), Ok(7000));
        assert_eq!(
            "1".parse::<Rate>().map(|r| r.to_string()),
            Ok("1.00".into())
        );
        assert_eq!(
            "0.3333".parse::<Rate>().map(|r| r.to_string()),
            Ok("0.3333".into())
        );
        assert_eq!("1.01".parse::<Rate>(), Err(RateError::OutOfRange));
        assert_eq!("0.12345".parse::<Rate>(), Err(RateError::TooManyDecimals));
        assert_eq!("-0.1".parse::<Rate>(), Err(RateError::NotANumber));
        assert_eq!(
            Rate::from_basis_points(7000).map(|r| r.italian_percent()),
            Ok("70 %".into())
        );
    }
}
