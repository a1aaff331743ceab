//! How the domain's money and ids are stored: integer cents and `BIGINT` keys, encoded and decoded
//! by sqlx itself, so that no query converts by hand (`.bind(id)`, a row's `Money` field).

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

use super::Db;
use crate::domain::{CallId, CommitmentId, EntityId, ExpenseId, Money, ProjectId, UserId};

macro_rules! stored_as_i64 {
    ($($ty:ty: |$value:ident| $to:expr, |$n:ident| $from:expr;)*) => {$(
        impl Type<Db> for $ty {
            fn type_info() -> <Db as Database>::TypeInfo {
                <i64 as Type<Db>>::type_info()
            }
            fn compatible(ty: &<Db as Database>::TypeInfo) -> bool {
                <i64 as Type<Db>>::compatible(ty)
            }
        }

        impl<'q> Encode<'q, Db> for $ty {
            fn encode_by_ref(
                &self,
                buf: &mut <Db as Database>::ArgumentBuffer<'q>,
            ) -> Result<IsNull, BoxDynError> {
                let $value = *self;
                <i64 as Encode<'q, Db>>::encode(($to), buf)
            }
        }

        impl<'r> Decode<'r, Db> for $ty {
            fn decode(value: <Db as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                let $n = <i64 as Decode<'r, Db>>::decode(value)?;
                Ok($from)
            }
        }
    )*};
}

stored_as_i64! {
    Money: |m| m.cents(), |cents| Money::from_cents(cents);
    CallId: |id| id.0, |n| CallId(n);
    ProjectId: |id| id.0, |n| ProjectId(n);
    EntityId: |id| id.0, |n| EntityId(n);
    ExpenseId: |id| id.0, |n| ExpenseId(n);
    UserId: |id| id.0, |n| UserId(n);
    CommitmentId: |id| id.0, |n| CommitmentId(n);
}
