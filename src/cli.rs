//! The command line: `serve`, `migrate`. Parses arguments and calls the library; nothing else.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

use crate::services::{demo, App};
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
}

#[derive(clap::Args)]
struct DatabaseArg {
    /// `sqlite://FILE` (default: rendiconta.db in the working directory) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://rendiconta.db")]
    database_url: String,
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
    },
    /// Creates or updates the database schema, then exits.
    Migrate {
        #[command(flatten)]
        db: DatabaseArg,
    },
}

pub async fn run() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match execute(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("errore: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: Command) -> Result<(), String> {
    match command {
        Command::Migrate { db } => {
            let store = storage::open(&db.database_url)
                .await
                .map_err(|e| format!("database {}: {e}", redact(&db.database_url)))?;
            tracing::info!(backend = store.backend(), "schema aggiornato");
            Ok(())
        }
        Command::Serve {
            addr,
            db,
            demo: with_demo,
        } => {
            let store = storage::open(&db.database_url)
                .await
                .map_err(|e| format!("database {}: {e}", redact(&db.database_url)))?;
            let app = App::new(store);
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
            }
            let listener = TcpListener::bind(&addr)
                .await
                .map_err(|e| format!("indirizzo {addr}: {e}"))?;
            let local = listener.local_addr().map_err(|e| e.to_string())?;
            tracing::info!(
                backend = app.store.backend(),
                "rendiconta in ascolto su http://{local}"
            );
            crate::web::serve(listener, app, shutdown_signal())
                .await
                .map_err(|e| e.to_string())
        }
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
