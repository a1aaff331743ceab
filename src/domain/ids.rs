//! Typed identifiers. Inside the service an id is an integer; outside it is an opaque string, so
//! clients never do arithmetic on it and storage could change its scheme.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl FromStr for $name {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                // Only canonical decimal forms: "007" or "+7" would alias "7".
                if s.is_empty() || s.len() > 18 || s.starts_with('0') || !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(());
                }
                s.parse().map($name).map_err(|_| ())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    )*};
}

id_type!(CallId, ProjectId, EntityId, ExpenseId, UserId, CommitmentId);
