//! Migrations keep what the database holds: a database filled with rows at each schema version
//! (`tests/fixtures/migrations/NNNN_name.sql`, written in that version's schema, plus the engine's
//! own file where SQL differs) is migrated step by step to the latest, then read back through the
//! store, which must find every row intact and take new writes. As rust-lang/bors's
//! `tests/migrations.rs` does, every migration must come with its fixture.

mod common;

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::NaiveDate;
use common::Backend;
use rendiconta::domain::access::{Actor, Role};
use rendiconta::domain::{
    EntityId, ExpenseStatus, Money, NewEntity, ProjectDate, ProjectId, UserId,
};
use rendiconta::storage::Change;
use sqlx::migrate::Migrator;

fn engine(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The fixture files of one migration: the shared one, then the engine's own (either may be
/// missing, not both).
fn fixtures(backend: Backend, description: &str, version: i64) -> Vec<PathBuf> {
    let name = format!("{version:04}_{}.sql", description.replace(' ', "_"));
    let dir = root().join("tests/fixtures/migrations");
    let found: Vec<PathBuf> = [dir.join(&name), dir.join(engine(backend)).join(&name)]
        .into_iter()
        .filter(|p| p.exists())
        .collect();
    assert!(
        !found.is_empty(),
        "migration {name} has no fixture: add tests/fixtures/migrations/{name} with rows written \
         in its schema"
    );
    found
}

async fn run_sql(db: &common::Db, sql: &str, what: &Path) {
    let result = match db {
        common::Db::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        common::Db::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
    };
    result.unwrap_or_else(|e| panic!("{}: {e}", what.display()));
}

/// Applies the migrations one at a time, each followed by its fixtures.
async fn migrate_with_data(backend: Backend, url: &str) {
    let dir = root().join("migrations").join(engine(backend));
    let all = Migrator::new(dir.as_path()).await.expect("migrations");
    let db = match backend {
        Backend::Sqlite => {
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
                .expect("url")
                .create_if_missing(true)
                .foreign_keys(true);
            common::Db::Sqlite(
                sqlx::SqlitePool::connect_with(options)
                    .await
                    .expect("sqlite"),
            )
        }
        Backend::Postgres => common::Db::Postgres(sqlx::PgPool::connect(url).await.expect("pg")),
    };
    for n in 0..all.migrations.len() {
        let mut upto = Migrator::new(dir.as_path()).await.expect("migrations");
        upto.migrations = Cow::Owned(all.migrations[..=n].to_vec());
        let migration = &all.migrations[n];
        let applied = match &db {
            common::Db::Sqlite(p) => upto.run(p).await,
            common::Db::Postgres(p) => upto.run(p).await,
        };
        applied.unwrap_or_else(|e| panic!("migration {}: {e}", migration.version));
        for file in fixtures(backend, &migration.description, migration.version) {
            let sql = std::fs::read_to_string(&file).expect("fixture");
            run_sql(&db, &sql, &file).await;
        }
    }
    match db {
        common::Db::Sqlite(p) => p.close().await,
        common::Db::Postgres(p) => p.close().await,
    }
}

fn date(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

async fn every_version_s_rows_survive_to_the_latest(backend: Backend) {
    let Some((url, _dir)) = common::fresh_database(backend).await else {
        return;
    };
    migrate_with_data(backend, &url).await;
    // The store runs the migrator again: everything is applied already, checksums agree.
    let store = rendiconta::storage::open(&url)
        .await
        .expect("open the migrated database");
    let project = ProjectId(1);

    // 0001, with 0003's signatory and 0008's grant act.
    let p = store
        .get_project(project)
        .await
        .expect("read")
        .expect("project");
    assert_eq!(p.data.title, "Terre d'Argine Smart");
    assert_eq!(p.data.granted_contribution, Money::from_cents(10_500_000));
    let budget: Vec<_> = p
        .data
        .budget
        .iter()
        .map(|b| (b.category.as_str(), b.amount.cents()))
        .collect();
    assert_eq!(
        budget,
        [("design_training", 10_500_000), ("technology", 4_500_000)]
    );
    // 0013: the change before it took the day it was recorded as its act's date; the project took
    // the call's deadlines, then the payment deadline moved by a dated act.
    assert_eq!(p.date_history.len(), 2);
    assert_eq!(p.date_history[0].to, date("2020-12-31"));
    assert_eq!(p.date_history[0].act_date, date("2020-10-15"));
    assert_eq!(p.date_history[1].field, ProjectDate::PaymentDeadline);
    assert_eq!(p.data.payment_deadline, Some(date("2021-03-31")));
    assert_eq!(p.data.reporting_deadline, Some(date("2021-01-31")));
    assert_eq!(p.data.signatory.name.as_deref(), Some("Mario Rossi"));
    assert_eq!(
        p.data
            .signatory
            .tax_code
            .as_ref()
            .map(|c| c.as_str().to_owned()),
        Some("RSSMRA70A01B819O".to_owned())
    );
    let grant = p.data.grant_act.as_ref().expect("grant act");
    assert_eq!(grant.date, date("2020-08-14"));
    let call = store
        .get_call(p.data.call_id)
        .await
        .expect("read")
        .expect("call");
    assert_eq!(call.categories.len(), 2);

    // Entities (0001, 0008).
    let entities = store.list_entities(project).await.expect("entities");
    assert_eq!(entities.len(), 2);
    assert_eq!(
        entities[0].pec.as_ref().map(|p| p.as_str()),
        Some("protocollo@pec.terredargine.it")
    );
    assert_eq!(entities[1].address, None);

    // Expenses (0001), who made them (0004, 0007's backfill), the submission's status (0003).
    let expenses = store.all_expenses(project).await.expect("expenses");
    assert_eq!(expenses.len(), 4);
    let (invoice, credit, draft) = (&expenses[0], &expenses[1], &expenses[2]);
    // 0014: the credit note recorded before stays unlinked; the one after names its invoice.
    assert_eq!(credit.data.corrects, None);
    assert_eq!(expenses[3].data.corrects, Some(invoice.id));
    // 0015: the act "Determina n. 303 del 07/09/2020" became a commitment the invoice draws on,
    // fully drawn; the fixture's own commitment is drawn on by the draft.
    let commitments = store.commitments(project).await.expect("commitments");
    assert_eq!(commitments.len(), 2);
    let adopted = &commitments[0];
    assert_eq!(invoice.data.payment.commitment_id, Some(adopted.id));
    assert_eq!(adopted.data.act, "Determina n. 303 del 07/09/2020");
    assert_eq!(adopted.data.act_date, date("2020-09-07"));
    assert_eq!(adopted.data.amount, Money::from_cents(1_220_000));
    assert_eq!(
        invoice.data.payment.commitment_act.as_deref(),
        Some("Determina n. 303 del 07/09/2020"),
        "the text stays"
    );
    assert_eq!(draft.data.payment.commitment_id, Some(commitments[1].id));
    assert_eq!(credit.data.payment.commitment_id, None);
    assert_eq!(
        expenses[3].data.payment.commitment_id, None,
        "31/02 is no date"
    );
    assert_eq!(invoice.status, ExpenseStatus::Included);
    assert_eq!(invoice.data.amounts.claimed(), Money::from_cents(1_220_000));
    assert_eq!(invoice.data.payment.paid_on, Some(date("2020-10-22")));
    assert_eq!(invoice.created_by, Some(UserId(2)));
    assert_eq!(
        invoice.changed_by,
        Some(UserId(2)),
        "0007 copies the author into changed_by"
    );
    assert_eq!(invoice.verified_by, Some(UserId(1)));
    assert_eq!(credit.data.amounts.net(), Money::from_cents(40_000));
    assert_eq!(draft.status, ExpenseStatus::Draft);
    assert_eq!(draft.changed_by, Some(UserId(1)));
    assert_eq!(draft.data.entity_id, EntityId(2));

    // Funding (0002); 0013: the variation approved before it counts from its request's date, the
    // one recorded after from its approval.
    let variations = store.variations(project).await.expect("variations");
    assert_eq!(variations[0].changes.len(), 2);
    assert_eq!(variations[0].decision_date, Some(date("2020-12-01")));
    assert_eq!(variations[1].decision_date, Some(date("2021-02-10")));
    assert_eq!(variations[0].changes[0].1, Money::from_cents(-500_000));
    let extensions = store.extensions(project).await.expect("extensions");
    assert_eq!(extensions[0].reporting_deadline, Some(date("2021-02-28")));
    assert!(store.milestones(project).await.expect("milestones")[0].done);
    let tranches = store.tranches(project).await.expect("tranches");
    assert_eq!(tranches[0].amount, Money::from_cents(3_150_000));

    // The submission (0003), its claim (0004), its documents' bytes.
    let submissions = store.submissions(project).await.expect("submissions");
    assert_eq!(submissions.len(), 1);
    assert_eq!(submissions[0].expense_count, 1);
    assert_eq!(submissions[0].contribution_due, Money::from_cents(854_000));
    assert_eq!(
        submissions[0].fingerprint_version, 1,
        "0010: made before the canonical text"
    );
    let claims = store.prior_claims(project, None).await.expect("claims");
    assert_eq!(claims[0].claimed, Money::from_cents(1_220_000));
    let pdf = store
        .submission_file(
            project,
            1,
            rendiconta::domain::submission::SubmittedFile::Pdf,
        )
        .await
        .expect("file");
    assert_eq!(pdf.as_deref(), Some(&b"%PDF-"[..]));

    // The relazione (0003, positions from 0006, the target from 0008).
    let sections = store.sections(project).await.expect("sections");
    let order: Vec<_> = sections
        .iter()
        .map(|s| (s.position, s.title.as_str()))
        .collect();
    assert_eq!(
        order,
        [(1, "Obiettivi"), (2, "Risultati"), (3, "Criticità")]
    );
    let indicators = store.indicators(project).await.expect("indicators");
    assert_eq!(
        indicators[0].target.map(|t| t.to_string()),
        Some("100".to_owned())
    );

    // Accounts (0004), evidence (0005).
    let members = store.memberships(project).await.expect("members");
    let manager = members
        .iter()
        .find(|m| m.role == Role::ProjectManager)
        .expect("manager");
    assert_eq!(manager.entities, [EntityId(2)]);
    assert_eq!(store.tokens(UserId(1)).await.expect("tokens").len(), 1);
    let evidence = store.attachments(invoice.id).await.expect("attachments");
    assert_eq!(evidence[0].size, 1234);
    // The submission's pack, frozen by 0009 from the files it had; the one added after is its
    // integrazione.
    let frozen = store.submission_evidence(project, 1).await.expect("frozen");
    assert_eq!(frozen.len(), 1);
    assert_eq!(frozen[0].size, 1234);
    let added = store.integrazioni(project, 1).await.expect("integrazioni");
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].file_name.as_str(), "quietanza.pdf");

    // And it takes new writes, audited after the rows that came before the trail.
    let change = Change {
        actor: Actor::Operator("test".into()),
        now: chrono::Utc::now(),
    };
    let entity = NewEntity {
        name: "Comune di Soliera".into(),
        tax_code: None,
        address: None,
        pec: None,
    };
    let added = store
        .insert_entity(project, &entity, &change)
        .await
        .expect("a new entity");
    assert_eq!(added.id, EntityId(3));
    assert_eq!(store.audit_head().await.expect("head").0, 1);

    drop(store);
    if backend == Backend::Postgres {
        common::drop_database(&url);
    }
}

#[tokio::test]
async fn sqlite_migrations_keep_every_version_s_rows() {
    every_version_s_rows_survive_to_the_latest(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_migrations_keep_every_version_s_rows() {
    every_version_s_rows_survive_to_the_latest(Backend::Postgres).await;
}
