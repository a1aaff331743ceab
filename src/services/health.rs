//! Whether the service can do its work right now, for `/healthz` and a load balancer.

use super::{App, Outage};

/// What the database can do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    Ok,
    DiskFull,
    Unavailable,
}

impl Capability {
    pub fn code(self) -> &'static str {
        match self {
            Capability::Ok => "ok",
            Capability::DiskFull => "disk_full",
            Capability::Unavailable => "unavailable",
        }
    }
}

pub struct Health {
    pub backend: &'static str,
    pub reads: Capability,
    pub writes: Capability,
    /// Why not, for the log.
    pub cause: Option<String>,
}

impl Health {
    pub fn is_ok(&self) -> bool {
        self.reads == Capability::Ok && self.writes == Capability::Ok
    }
}

/// Reads, then commits a one-row write: a full disk or a read-only file shows here as soon as it
/// would make a request fail, and clears as soon as writes would succeed again.
pub async fn check(app: &App) -> Health {
    let backend = app.store.backend();
    let (reads, writes, cause) = match app.store.ping().await {
        Err(e) => (
            Capability::Unavailable,
            Capability::Unavailable,
            Some(e.to_string()),
        ),
        Ok(()) => match app.store.probe_write(app.clock.now()).await {
            Ok(()) => (Capability::Ok, Capability::Ok, None),
            Err(e) => {
                let writes = match e.outage() {
                    Some(Outage::DiskFull) => Capability::DiskFull,
                    _ => Capability::Unavailable,
                };
                (Capability::Ok, writes, Some(e.to_string()))
            }
        },
    };
    Health {
        backend,
        reads,
        writes,
        cause,
    }
}
