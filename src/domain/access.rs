//! Who may do what. Roles are per project; the global admin and the local operator (the CLI, the
//! demo loader) may do everything. Deny by default: [`permits`] allows only what a rule names.

use chrono::{DateTime, Utc};

use super::expense::ExpenseStatus;
use super::ids::{EntityId, UserId};

string_enum!(
    /// A user's role on one project.
    Role {
        ProjectManager = "project_manager",
        FinanceOfficer = "finance_officer",
        Viewer = "viewer",
    }
);

impl Role {
    pub fn italian(self) -> &'static str {
        match self {
            Role::ProjectManager => "responsabile di progetto",
            Role::FinanceOfficer => "servizio finanziario",
            Role::Viewer => "sola lettura",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub is_admin: bool,
    pub created_at: DateTime<Utc>,
}

/// An API token as its owner sees it; the secret is shown once at creation and stored hashed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: UserId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Who is acting, as the audit trail records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User {
        id: UserId,
        email: String,
        is_admin: bool,
    },
    /// Someone working on the database directly: `cli:<os user>`, or the demo loader.
    Operator(String),
}

impl Actor {
    pub fn of(user: &User) -> Actor {
        Actor::User {
            id: user.id,
            email: user.email.clone(),
            is_admin: user.is_admin,
        }
    }

    /// The local operator at the command line.
    pub fn cli() -> Actor {
        let who = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "sconosciuto".into());
        Actor::Operator(format!("cli:{who}"))
    }

    pub fn label(&self) -> &str {
        match self {
            Actor::User { email, .. } => email,
            Actor::Operator(label) => label,
        }
    }

    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Actor::User { id, .. } => Some(*id),
            Actor::Operator(_) => None,
        }
    }

    /// The admin and the local operator may do everything, everywhere.
    pub fn is_superuser(&self) -> bool {
        match self {
            Actor::User { is_admin, .. } => *is_admin,
            Actor::Operator(_) => true,
        }
    }
}

/// A user's role on a project, and for a project manager the entities assigned to them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Membership {
    pub user_id: UserId,
    pub email: String,
    pub role: Role,
    pub entities: Vec<EntityId>,
}

/// What a caller wants to do on one project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Read,
    /// Project settings, entities, budget.
    EditProject,
    RecordExpense {
        entity: EntityId,
    },
    /// Record, change or delete a commitment of this entity (a project manager also for the
    /// entity it moves to).
    Commit {
        entity: EntityId,
    },
    /// Edit or delete an expense; a project manager also when moving it to another entity.
    EditExpense {
        entity: EntityId,
        status: ExpenseStatus,
    },
    MarkReady {
        entity: EntityId,
    },
    /// Verify an expense: neither who recorded it nor who last changed its amounts, supplier or
    /// document may (segregation of duties, the admin included).
    Verify {
        recorded_by: Option<UserId>,
        changed_by: Option<UserId>,
    },
    Reject,
    Unlock,
    /// Variations, extensions, milestones, tranches.
    Funding,
    /// Narrative sections and indicators of the final report.
    Narrative,
    Submit,
    /// Match the accounting system's payments to the expenses and record them.
    Reconcile,
    ManageMembers,
}

/// Why a request is refused, in Italian for the person who made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied(pub String);

/// The rule book. `membership` is the caller's role on the project, if any.
pub fn permits(actor: &Actor, membership: Option<&Membership>, need: Need) -> Result<(), Denied> {
    if let Need::Verify {
        recorded_by,
        changed_by,
    } = need
    {
        let me = actor.user_id();
        if me.is_some() && (me == recorded_by || me == changed_by) {
            let what = if me == recorded_by {
                "che hai registrato tu"
            } else {
                "di cui hai modificato importi, fornitore o documento"
            };
            return Err(Denied(format!(
                "non puoi verificare una spesa {what}: serve un altro funzionario del servizio finanziario"
            )));
        }
    }
    if actor.is_superuser() {
        return Ok(());
    }
    let Some(m) = membership else {
        return Err(Denied("non hai accesso a questo progetto".into()));
    };
    let finance = m.role == Role::FinanceOfficer;
    let manager = m.role == Role::ProjectManager;
    let assigned = |entity: EntityId| manager && m.entities.contains(&entity);
    let ok = match need {
        Need::Read => true,
        Need::EditProject
        | Need::Funding
        | Need::Reject
        | Need::Unlock
        | Need::Submit
        | Need::Reconcile => finance,
        Need::ManageMembers => false,
        Need::Narrative => finance || manager,
        Need::RecordExpense { entity } | Need::MarkReady { entity } | Need::Commit { entity } => {
            finance || assigned(entity)
        }
        Need::EditExpense { entity, status } => {
            finance
                || (assigned(entity)
                    && matches!(status, ExpenseStatus::Draft | ExpenseStatus::Rejected))
        }
        Need::Verify { .. } => finance,
    };
    if ok {
        return Ok(());
    }
    Err(Denied(match need {
        Need::RecordExpense { .. } | Need::MarkReady { .. } if manager => {
            "l'ente della spesa non è tra quelli assegnati a te".into()
        }
        Need::Commit { .. } if manager => {
            "l'ente dell'impegno non è tra quelli assegnati a te".into()
        }
        Need::EditExpense { entity, .. } if manager && m.entities.contains(&entity) => {
            "puoi modificare solo le spese in bozza o respinte".into()
        }
        Need::EditExpense { .. } if manager => {
            "l'ente della spesa non è tra quelli assegnati a te".into()
        }
        Need::ManageMembers => "solo l'amministratore gestisce gli utenti e i ruoli".into(),
        _ => format!(
            "il tuo ruolo in questo progetto ({}) non consente questa operazione",
            m.role.italian()
        ),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(role: Role, entities: &[i64]) -> Membership {
        Membership {
            user_id: UserId(7),
            email: "a@b.it".into(),
            role,
            entities: entities.iter().map(|e| EntityId(*e)).collect(),
        }
    }

    fn user(id: i64) -> Actor {
        Actor::User {
            id: UserId(id),
            email: "a@b.it".into(),
            is_admin: false,
        }
    }

    #[test]
    fn without_membership_nothing_is_allowed() {
        assert!(permits(&user(7), None, Need::Read).is_err());
    }

    #[test]
    fn viewers_only_read() {
        let m = member(Role::Viewer, &[]);
        assert!(permits(&user(7), Some(&m), Need::Read).is_ok());
        for need in [
            Need::EditProject,
            Need::RecordExpense {
                entity: EntityId(1),
            },
            Need::Funding,
            Need::Narrative,
            Need::Submit,
            Need::Reject,
        ] {
            assert!(permits(&user(7), Some(&m), need).is_err(), "{need:?}");
        }
    }

    #[test]
    fn managers_work_on_their_entities_drafts_only() {
        let m = member(Role::ProjectManager, &[1]);
        let me = user(7);
        assert!(permits(
            &me,
            Some(&m),
            Need::RecordExpense {
                entity: EntityId(1)
            }
        )
        .is_ok());
        assert!(permits(
            &me,
            Some(&m),
            Need::RecordExpense {
                entity: EntityId(2)
            }
        )
        .is_err());
        let edit = |status| Need::EditExpense {
            entity: EntityId(1),
            status,
        };
        assert!(permits(&me, Some(&m), edit(ExpenseStatus::Draft)).is_ok());
        assert!(permits(&me, Some(&m), edit(ExpenseStatus::Rejected)).is_ok());
        assert!(permits(&me, Some(&m), edit(ExpenseStatus::Ready)).is_err());
        let verify = Need::Verify {
            recorded_by: None,
            changed_by: None,
        };
        assert!(permits(&me, Some(&m), verify).is_err());
    }

    #[test]
    fn nobody_verifies_what_they_recorded_or_changed_not_even_the_admin() {
        let m = member(Role::FinanceOfficer, &[]);
        let recorded = Need::Verify {
            recorded_by: Some(UserId(7)),
            changed_by: Some(UserId(9)),
        };
        assert!(permits(&user(7), Some(&m), recorded).is_err());
        assert!(permits(&user(9), Some(&m), recorded).is_err());
        assert!(permits(&user(8), Some(&m), recorded).is_ok());
        let admin = |id| Actor::User {
            id: UserId(id),
            email: "admin@b.it".into(),
            is_admin: true,
        };
        assert!(permits(&admin(7), None, recorded).is_err());
        assert!(permits(&admin(9), None, recorded).is_err());
        assert!(permits(&admin(8), None, recorded).is_ok());
    }
}
