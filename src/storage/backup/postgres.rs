//! PostgreSQL: the real `pg_dump` and `pg_restore`, found on the PATH, their major version checked
//! against the server's (an older `pg_dump` cannot read a newer server). The dump runs on a
//! snapshot exported by the transaction that lists the files, so the archive's files are exactly
//! those its rows name. The password goes to the tools through `PGPASSWORD`, never on their
//! command line (where `ps` would show it).

use std::path::Path;
use std::process::Stdio;

use sqlx::{Connection, PgConnection};

use super::{digests, DatabaseCopy, Engine, REFERENCED_FILES};
use crate::storage::StoreError;

#[path = "leases.rs"]
mod leases;
pub(super) use leases::{files_in_use, lease, release, release_all};

async fn connect(url: &str) -> Result<PgConnection, StoreError> {
    Ok(PgConnection::connect(url).await?)
}

fn failure(message: String) -> StoreError {
    StoreError::Backup(message)
}

pub(super) async fn copy(url: &str, dest: &Path) -> Result<DatabaseCopy, StoreError> {
    let mut conn = PgConnection::connect(url).await?;
    let server = server_major(&mut conn).await?;
    let tool = tool_major("pg_dump").await?;
    if tool < server {
        return Err(failure(format!(
            "pg_dump è della versione {tool}, il server della {server}: installare il client \
             PostgreSQL {server} o successivo (postgresql-client-{server})"
        )));
    }
    sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut conn)
        .await?;
    let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
        .fetch_one(&mut conn)
        .await?;
    let schema_version: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations")
            .fetch_one(&mut conn)
            .await?;
    let named: Vec<String> = sqlx::query_scalar(REFERENCED_FILES)
        .fetch_all(&mut conn)
        .await?;
    let (address, password) = split_password(url);
    let mut command = tokio::process::Command::new("pg_dump");
    command
        .arg(format!("--snapshot={snapshot}"))
        .args(["--format=custom", "--no-owner", "--no-privileges"])
        .arg(format!("--file={}", dest.display()))
        .arg(format!("--dbname={address}"));
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let run = run_tool("pg_dump", command).await;
    // The snapshot must live until pg_dump has taken it; only then may the transaction end.
    sqlx::query("COMMIT").execute(&mut conn).await?;
    conn.close().await?;
    run?;
    Ok(DatabaseCopy {
        engine: Engine::Postgres,
        schema_version,
        files: digests(named)?,
    })
}

pub(super) async fn holds_data(url: &str) -> Result<bool, StoreError> {
    let mut conn = PgConnection::connect(url).await?;
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
    )
    .fetch_one(&mut conn)
    .await?;
    conn.close().await?;
    Ok(tables > 0)
}

pub(super) async fn restore(url: &str, copy: &Path) -> Result<(), StoreError> {
    let mut conn = PgConnection::connect(url).await?;
    let server = server_major(&mut conn).await?;
    conn.close().await?;
    let tool = tool_major("pg_restore").await?;
    if tool < server {
        return Err(failure(format!(
            "pg_restore è della versione {tool}, il server della {server}: installare il client \
             PostgreSQL {server} o successivo"
        )));
    }
    let (address, password) = split_password(url);
    let mut command = tokio::process::Command::new("pg_restore");
    command
        .args([
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
        ])
        .arg(format!("--dbname={address}"))
        .arg(copy);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    run_tool("pg_restore", command).await
}

async fn server_major(conn: &mut PgConnection) -> Result<u32, StoreError> {
    let num: String = sqlx::query_scalar("SHOW server_version_num")
        .fetch_one(conn)
        .await?;
    num.trim()
        .parse::<u32>()
        .map(|n| n / 10_000)
        .map_err(|_| failure(format!("versione del server non leggibile: {num}")))
}

/// The major version a PostgreSQL client tool reports (`pg_dump (PostgreSQL) 15.14 (Debian…)`).
async fn tool_major(tool: &str) -> Result<u32, StoreError> {
    let output = tokio::process::Command::new(tool)
        .arg("--version")
        .output()
        .await
        .map_err(|e| {
            failure(format!(
                "{tool} non trovato nel PATH ({e}): installare il client PostgreSQL \
                 (pacchetto postgresql-client)"
            ))
        })?;
    let text = String::from_utf8_lossy(&output.stdout);
    parse_major(&text)
        .ok_or_else(|| failure(format!("{tool} --version non leggibile: {}", text.trim())))
}

fn parse_major(version_line: &str) -> Option<u32> {
    let version = version_line.split_whitespace().nth(2)?;
    version
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

async fn run_tool(tool: &str, mut command: tokio::process::Command) -> Result<(), StoreError> {
    let output = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .await
        .map_err(|e| failure(format!("{tool}: {e}")))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    Err(failure(format!(
        "{tool} non è riuscito ({}): {}",
        output.status,
        stderr.trim()
    )))
}

/// The URL without its password, and the password decoded (`%40` for `@` and the like).
fn split_password(url: &str) -> (String, Option<String>) {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return (url.to_owned(), None);
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return (url.to_owned(), None);
    };
    let user_info = &rest[..at];
    let Some((user, password)) = user_info.split_once(':') else {
        return (url.to_owned(), None);
    };
    let address = format!("{}{user}{}", &url[..scheme_end], &rest[at..]);
    (address, Some(percent_decode(password)))
}

fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url() {
        let (address, password) = split_password("postgres://app:p%40ss:w@db.example:5432/r?x=1");
        assert_eq!(address, "postgres://app@db.example:5432/r?x=1");
        assert_eq!(password.as_deref(), Some("p@ss:w"));
        let (address, password) = split_password("postgres://app@localhost/r");
        assert_eq!(address, "postgres://app@localhost/r");
        assert_eq!(password, None);
    }

    #[test]
    fn tool_versions_are_read() {
        assert_eq!(
            parse_major("pg_dump (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)"),
            Some(15)
        );
        assert_eq!(parse_major("pg_restore (PostgreSQL) 17beta1"), Some(17));
        assert_eq!(parse_major("nonsense"), None);
    }
}
