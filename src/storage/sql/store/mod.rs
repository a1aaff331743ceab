//! The storage traits over the shared SQL, one file per aggregate. Every write goes through
//! [`SqlStore::audited`](super::SqlStore): a writing transaction, the queries of `super`'s modules,
//! the audit records appended in the same transaction, one commit.

mod accounts;
mod audit;
mod commitments;
mod expenses;
mod funding;
mod narrative;
mod projects;
mod submissions;

use async_trait::async_trait;

use super::{SqlStore, DIALECT};
use crate::storage::{Store, StoreError, UnitOfWork};

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        DIALECT.name
    }

    fn usage(&self) -> crate::storage::Usage {
        self.usage()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    async fn probe_write(&self, now: chrono::DateTime<chrono::Utc>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO health_probe (id, checked_at) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
        )
        .bind(now)
        .execute(&mut *self.conn().await?)
        .await?;
        Ok(())
    }

    async fn unit_of_work(&self) -> Result<Box<dyn UnitOfWork>, StoreError> {
        Ok(Box::new(self.unit().await?))
    }
}
