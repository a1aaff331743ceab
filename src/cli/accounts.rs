//! `user`, `token` and `audit`: account set-up and the audit trail's verification, run by the
//! local operator on the database directly.

use std::io::{BufRead, IsTerminal};

use clap::Subcommand;

use super::{describe, project_id, Outcome};
use crate::domain::access::{Actor, Role};
use crate::domain::EntityId;
use crate::services::{accounts, audit, App};

#[derive(Subcommand)]
pub enum UserCommand {
    /// Creates an account. The password is read from standard input: one line, no prompt when it
    /// is not a terminal (never from an argument, which other users could see).
    Add {
        email: String,
        /// `admin` (every project, every operation) or `user` (roles given per project).
        #[arg(long, default_value = "user")]
        role: String,
    },
    /// Gives a user a role on a project: project_manager (with --entity), finance_officer, viewer.
    Grant {
        email: String,
        #[arg(long)]
        project: String,
        #[arg(long)]
        role: String,
        /// An entity the project manager records expenses for (repeatable).
        #[arg(long = "entity")]
        entities: Vec<String>,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Creates an API token for the user and prints it (shown once, stored hashed).
    Create {
        email: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Recomputes the hash chain: exits 0 when intact, 1 naming every entry altered or deleted.
    Verify,
}

fn read_password() -> Result<String, String> {
    let stdin = std::io::stdin();
    let password = if stdin.is_terminal() {
        rpassword::prompt_password("Password: ").map_err(|e| format!("password: {e}"))?
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("password: {e}"))?;
        line.trim_end_matches(['\n', '\r']).to_owned()
    };
    if password.is_empty() {
        return Err("password vuota: scriverla sullo standard input".into());
    }
    Ok(password)
}

async fn user_id(app: &App, email: &str) -> Result<crate::domain::access::User, String> {
    app.store
        .user_by_email(&accounts::normalise_email(email))
        .await
        .map_err(|e| e.to_string())?
        .map(|(user, _)| user)
        .ok_or_else(|| format!("utente {email} non trovato"))
}

pub async fn user(command: UserCommand, app: &App) -> Result<Outcome, String> {
    let operator = Actor::cli();
    match command {
        UserCommand::Add { email, role } => {
            let is_admin = match role.as_str() {
                "admin" => true,
                "user" => false,
                other => return Err(format!("--role {other}: usare admin oppure user")),
            };
            let password = read_password()?;
            let user = accounts::add_user(app, &operator, &email, &password, is_admin)
                .await
                .map_err(|e| describe(e, &email))?;
            println!(
                "utente {} creato{}",
                user.email,
                if is_admin { " (amministratore)" } else { "" }
            );
            Ok(Outcome::Ok)
        }
        UserCommand::Grant {
            email,
            project,
            role,
            entities,
        } => {
            let id = project_id(&project)?;
            let role = Role::parse(&role)
                .ok_or_else(|| format!("--role {role}: usare {}", Role::choices()))?;
            let entities = entities
                .iter()
                .map(|e| {
                    e.parse::<EntityId>()
                        .map_err(|()| format!("--entity {e}: identificativo non valido"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let user = user_id(app, &email).await?;
            accounts::set_member(app, &operator, id, user.id, role, entities)
                .await
                .map_err(|e| describe(e, &project))?;
            println!("{} è {} nel progetto {id}", user.email, role.italian());
            Ok(Outcome::Ok)
        }
    }
}

pub async fn token(command: TokenCommand, app: &App) -> Result<Outcome, String> {
    match command {
        TokenCommand::Create { email, name } => {
            let user = user_id(app, &email).await?;
            let (_, secret) = accounts::issue_token(app, &Actor::cli(), &user, &name)
                .await
                .map_err(|e| describe(e, &email))?;
            println!("{secret}");
            Ok(Outcome::Ok)
        }
    }
}

pub async fn audit(command: AuditCommand, app: &App) -> Result<Outcome, String> {
    match command {
        AuditCommand::Verify => {
            let v = audit::verify(app).await.map_err(|e| e.to_string())?;
            if v.problems.is_empty() {
                println!(
                    "registro delle modifiche integro: {} voci, ultima {} con impronta {}",
                    v.entries, v.head_seq, v.head_hash
                );
                return Ok(Outcome::Ok);
            }
            println!(
                "registro delle modifiche ALTERATO: {} problemi su {} voci lette",
                v.problems.len(),
                v.entries
            );
            for p in &v.problems {
                println!("  - {p}");
            }
            Ok(Outcome::Attention)
        }
    }
}
