//! The command line: `serve`, `migrate`, `check`, `report`, `import`, `reconcile`, `user`,
//! `token`, `audit`, `backup`, `restore`, `gc`. Parses arguments and calls the library. It works on
//! the database directly as the local operator, recorded in the audit trail as `cli:<os user>`.

mod accounts;
mod check_report;
mod import;
mod operations;
mod reconcile;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

use crate::domain::access::Actor;
use crate::domain::rules::Scope;
use crate::services::{demo, summary, App, ServiceError};
use crate::storage;

#[derive(Parser)]
#[command(
    name = "rendiconta",
    version,
    about = "Rendicontazione dei progetti cofinanziati"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// `text` (default) or `json`: one JSON object a line, for log collectors; each line of a
    /// request carries its `X-Request-Id`.
    #[arg(
        long,
        env = "RENDICONTA_LOG_FORMAT",
        global = true,
        default_value = "text",
        value_parser = ["text", "json"]
    )]
    log_format: String,
}

#[derive(clap::Args)]
struct DatabaseArg {
    /// `sqlite://FILE` (default: rendiconta.db in the working directory) or `postgres://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://rendiconta.db",
        global = true
    )]
    database_url: String,
    /// Where attachments are kept: a directory, or `s3://BUCKET[/PREFIX]` with the usual `AWS_*`
    /// variables (default: `allegati/` beside an SQLite database, in the working directory for
    /// PostgreSQL).
    #[arg(long, env = "RENDICONTA_FILE_STORE", global = true)]
    file_store: Option<String>,
    /// The most expenses kept in memory over all projects, so that summaries of unchanged
    /// projects are not re-read (about 1 KB each; 0 keeps none).
    #[arg(long, env = "RENDICONTA_CACHE_EXPENSES", global = true,
        default_value_t = storage::StoreOptions::DEFAULT_CACHE_ROWS)]
    cache_expenses: usize,
}

impl DatabaseArg {
    fn files(&self) -> String {
        if let Some(store) = &self.file_store {
            return store.clone();
        }
        let path = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))
            .map(|p| p.split('?').next().unwrap_or(p));
        match path.and_then(|p| std::path::Path::new(p).parent()) {
            Some(dir) if !dir.as_os_str().is_empty() => dir.join("allegati").display().to_string(),
            _ => "allegati".into(),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Starts the web service.
    Serve {
        #[arg(long, env = "RENDICONTA_ADDR", default_value = "127.0.0.1:8080")]
        addr: String,
        #[command(flatten)]
        db: DatabaseArg,
        /// Loads the demo project when the database has no project yet.
        #[arg(long)]
        demo: bool,
        /// Marks the session cookie `Secure` (set it when the service is reached over HTTPS).
        #[arg(long, env = "RENDICONTA_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Serves Prometheus metrics at `http://ADDR/metrics` (off when unset); never the public
        /// address: bind it to loopback or an internal network.
        #[arg(long, env = "RENDICONTA_METRICS_ADDR")]
        metrics_addr: Option<String>,
    },
    /// Accounts: `user add EMAIL --role admin` (password from standard input), `user grant`.
    User {
        #[command(subcommand)]
        command: accounts::UserCommand,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// API tokens for scripts: `token create EMAIL` prints a new token once.
    Token {
        #[command(subcommand)]
        command: accounts::TokenCommand,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Imports FatturaPA e-invoices (XML or signed .p7m) as expenses: `import fatturapa --project ID
    /// --entity ID [--category CODE] [--nature current|capital] [--dry-run] FILE...`. Exit 1 when
    /// any file was refused; files already imported are skipped.
    Import {
        #[command(subcommand)]
        command: import::ImportCommand,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Matches the accounting system's payments export to a project's expenses and records the
    /// payment orders of those that match: `reconcile --project ID [--dry-run] [--map
    /// FIELD=Header] FILE`. Exit 1 when a payment matched nothing or a line was unreadable.
    Reconcile {
        #[command(flatten)]
        args: reconcile::ReconcileArgs,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// The audit trail: `audit verify` checks its hash chain; exits with 1 naming what was altered.
    Audit {
        #[command(subcommand)]
        command: accounts::AuditCommand,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Creates or updates the database schema, then exits; `--status` lists the migrations
    /// applied and those this build would run, running none.
    Migrate {
        #[command(flatten)]
        db: DatabaseArg,
        #[arg(long)]
        status: bool,
    },
    /// Writes an archive of the database and of the files its rows name, while the service runs:
    /// `backup --out FILE`.
    Backup(operations::BackupArgs),
    /// Restores an archive into an empty database and an empty file store, then verifies the
    /// audit trail and every file: `restore FILE --database-url URL --file-store STORE`.
    Restore(operations::RestoreArgs),
    /// Removes the files no row names, older than an hour: `gc [--dry-run]`.
    Gc(operations::GcArgs),
    /// Writes a submission document of a project to a file.
    Report {
        #[arg(long)]
        project: String,
        /// `xlsx`, `pdf` (the rendiconto) or `relazione` (the final activity report, PDF).
        #[arg(long, default_value = "xlsx")]
        format: String,
        #[arg(long)]
        out: std::path::PathBuf,
        /// A folder of report-templates/ (default: the call's).
        #[arg(long)]
        template: Option<String>,
        /// The reference date (YYYY-MM-DD); today by default.
        #[arg(long)]
        as_of: Option<String>,
        /// Re-makes this submission's document from the stored data, to compare with the original.
        #[arg(long)]
        submission: Option<i64>,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Prints what the funder would recognise and pay if the project were submitted today, with
    /// every exclusion and warning; exits with 1 when the project would lose money.
    Check {
        #[arg(long)]
        project: String,
        /// The reference date (YYYY-MM-DD); today by default.
        #[arg(long)]
        as_of: Option<String>,
        #[command(flatten)]
        db: DatabaseArg,
    },
}

/// How a command ended when it did not fail: `Attention` is a clean run with a finding that must
/// stop a script (`check` on a project that would lose money).
pub(crate) enum Outcome {
    Ok,
    Attention,
}

pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr);
    if cli.log_format == "json" {
        logs.json()
            .with_current_span(true)
            .with_span_list(true)
            .init();
    } else {
        logs.init();
    }
    match execute(cli.command).await {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Attention) => ExitCode::from(1),
        Err(message) => {
            eprintln!("errore: {message}");
            ExitCode::from(2)
        }
    }
}

/// The file store a location names, for the commands that open no database through the services.
fn files_at(location: &str) -> Result<crate::storage::blobs::DynBlobs, String> {
    crate::storage::blobs::open(location).map_err(|e| format!("allegati {location}: {e}"))
}

async fn open(db: &DatabaseArg) -> Result<App, String> {
    let options = storage::StoreOptions {
        cache_rows: db.cache_expenses,
    };
    let store = storage::open_with(&db.database_url, options)
        .await
        .map_err(|e| format!("database {}: {e}", redact(&db.database_url)))?;
    let files = db.files();
    let blobs =
        crate::storage::blobs::open(&files).map_err(|e| format!("allegati {files}: {e}"))?;
    Ok(App::new(store, blobs))
}

async fn execute(command: Command) -> Result<Outcome, String> {
    match command {
        Command::Migrate { db, status: true } => {
            let states = crate::storage::migrations::status(&db.database_url)
                .await
                .map_err(|e| format!("database {}: {e}", redact(&db.database_url)))?;
            let pending = states.iter().filter(|m| !m.applied).count();
            for m in &states {
                let state = if m.applied {
                    "applicata"
                } else {
                    "da applicare"
                };
                println!("{:04} {:<28} {state}", m.version, m.description);
            }
            println!(
                "{} applicate, {pending} da applicare",
                states.len() - pending
            );
            Ok(Outcome::Ok)
        }
        Command::Migrate { db, status: false } => {
            let app = open(&db).await?;
            tracing::info!(backend = app.store.backend(), "schema aggiornato");
            Ok(Outcome::Ok)
        }
        Command::Report {
            project,
            format,
            out,
            template,
            as_of,
            submission,
            db,
        } => {
            let kind = match format.as_str() {
                "xlsx" => crate::services::reports::Kind::Xlsx,
                "pdf" => crate::services::reports::Kind::Pdf,
                "relazione" => crate::services::reports::Kind::Relazione,
                other => {
                    return Err(format!(
                        "--format {other}: usare xlsx, pdf oppure relazione"
                    ))
                }
            };
            let app = open(&db).await?;
            let id = project_id(&project)?;
            let request = crate::services::reports::Request {
                kind,
                as_of: parse_as_of(as_of)?,
                template: template.as_deref(),
                submission,
            };
            let (len, fingerprint) = write_document(&app, id, request, &out, &project).await?;
            println!(
                "{} scritto ({len} byte), impronta SHA-256 dei dati {fingerprint}",
                out.display(),
            );
            Ok(Outcome::Ok)
        }
        Command::Check { project, as_of, db } => {
            let app = open(&db).await?;
            let id = project_id(&project)?;
            let as_of = parse_as_of(as_of)?;
            let snap = summary::snapshot(&app, &Actor::cli(), id, as_of, Scope::All)
                .await
                .map_err(|e| describe(e, &project))?;
            print!("{}", check_report::render(&snap));
            Ok(if snap.summary.loses_money() {
                Outcome::Attention
            } else {
                Outcome::Ok
            })
        }
        Command::Backup(args) => operations::backup(args).await,
        Command::Restore(args) => operations::restore(args).await,
        Command::Gc(args) => operations::gc(args).await,
        Command::User { command, db } => accounts::user(command, &open(&db).await?).await,
        Command::Token { command, db } => accounts::token(command, &open(&db).await?).await,
        Command::Audit { command, db } => accounts::audit(command, &open(&db).await?).await,
        Command::Import { command, db } => import::run(command, &open(&db).await?).await,
        Command::Reconcile { args, db } => reconcile::run(args, &open(&db).await?).await,
        Command::Serve {
            addr,
            db,
            demo: with_demo,
            secure_cookies,
            metrics_addr,
        } => {
            let mut app = open(&db).await?;
            app.secure_cookies = secure_cookies;
            if with_demo {
                match demo::load_if_empty(&app)
                    .await
                    .map_err(|e| format!("demo: {e}"))?
                {
                    Some(project) => {
                        tracing::info!(project = %project, "progetto dimostrativo caricato")
                    }
                    None => tracing::info!("il database contiene già progetti: demo non caricata"),
                }
                println!("{}", demo_sign_in());
            }
            let listener = TcpListener::bind(&addr)
                .await
                .map_err(|e| format!("indirizzo {addr}: {e}"))?;
            let local = listener.local_addr().map_err(|e| e.to_string())?;
            tracing::info!(
                backend = app.store.backend(),
                "rendiconta in ascolto su http://{local}"
            );
            let metrics = match metrics_addr {
                Some(at) if at == addr => {
                    return Err(format!(
                        "--metrics-addr {at}: le metriche non vanno sull'indirizzo pubblico"
                    ))
                }
                Some(at) => {
                    let bound = TcpListener::bind(&at)
                        .await
                        .map_err(|e| format!("--metrics-addr {at}: {e}"))?;
                    let local = bound.local_addr().map_err(|e| e.to_string())?;
                    tracing::info!("metriche Prometheus su {local}/metrics");
                    Some(bound)
                }
                None => None,
            };
            crate::web::serve_with_metrics(listener, metrics, app, shutdown_signal())
                .await
                .map_err(|e| e.to_string())?;
            Ok(Outcome::Ok)
        }
    }
}

/// How to sign in to the demo, printed by `serve --demo`.
fn demo_sign_in() -> String {
    let mut text = format!(
        "Demo: accedere con uno di questi utenti, password «{}»:\n",
        demo::DEMO_PASSWORD
    );
    for (email, _, what) in demo::DEMO_USERS {
        text.push_str(&format!("  {email:<34} {what}\n"));
    }
    text.push_str(
        "Per uno script: curl -X POST -H 'Content-Type: application/json' \\\n  \
         -d '{\"email\":\"admin@demo.rendiconta.it\",\"password\":\"demo-rendiconta\"}' \\\n  \
         http://INDIRIZZO/api/v1/auth/token",
    );
    text
}

pub(crate) fn project_id(raw: &str) -> Result<crate::domain::ProjectId, String> {
    raw.parse()
        .map_err(|_| format!("progetto «{raw}»: identificativo non valido"))
}

fn parse_as_of(raw: Option<String>) -> Result<Option<chrono::NaiveDate>, String> {
    raw.map(|r| {
        chrono::NaiveDate::parse_from_str(&r, "%Y-%m-%d")
            .map_err(|_| format!("--as-of {r}: data non valida, usare AAAA-MM-GG"))
    })
    .transpose()
}

/// Writes a document to `out` as it is made: first to `out.parziale` beside it, renamed when
/// whole, so that a failure never leaves half a document under the name asked for. Its size and
/// the data's fingerprint.
async fn write_document(
    app: &App,
    project: crate::domain::ProjectId,
    request: crate::services::reports::Request<'_>,
    out: &std::path::Path,
    named: &str,
) -> Result<(u64, String), String> {
    let mut partial = out.as_os_str().to_owned();
    partial.push(".parziale");
    let partial = std::path::PathBuf::from(partial);
    let io = |e: std::io::Error| format!("{}: {e}", out.display());
    let file = std::fs::File::create(&partial).map_err(io)?;
    let sink = Box::new(std::io::BufWriter::new(file));
    let written =
        crate::services::reports::write_rendiconto(app, &Actor::cli(), project, request, sink)
            .await;
    let doc = match written {
        Ok(doc) => doc,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(describe(e, named));
        }
    };
    std::fs::rename(&partial, out).map_err(io)?;
    let len = std::fs::metadata(out).map_err(io)?.len();
    Ok((len, doc.fingerprint))
}

/// A service error as the command line says it.
pub(crate) fn describe(error: ServiceError, project: &str) -> String {
    match error {
        ServiceError::NotFound(what) => format!("{what} {project} non trovato"),
        ServiceError::Invalid(errors) => errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "),
        ServiceError::Outage(crate::services::Outage::DiskFull, cause) => {
            format!("spazio su disco esaurito dove scrive il database: nulla è stato registrato ({cause})")
        }
        ServiceError::Outage(_, cause) => format!(
            "il database non è raggiungibile o non accetta modifiche: nulla è stato registrato ({cause})"
        ),
        other => other.to_string(),
    }
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***{}", &url[..scheme], &url[at..])
        }
        _ => url.to_owned(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
