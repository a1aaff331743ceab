//! The command line: `migrate`, `serve --demo` loading the demo once, `check`, `report`,
//! `import fatturapa` and `reconcile`.

mod common;

use std::process::Command;

use common::server::Server;
use common::Backend;
use serde_json::Value;

#[test]
fn migrate_creates_the_schema_and_is_idempotent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("m.db").display());
    for _ in 0..2 {
        let status = Command::new(env!("CARGO_BIN_EXE_rendiconta"))
            .args(["migrate", "--database-url", &url])
            .status()
            .expect("run migrate");
        assert!(status.success());
    }
    let bad = Command::new(env!("CARGO_BIN_EXE_rendiconta"))
        .args([
            "migrate",
            "--database-url",
            "postgres://nobody:secret@127.0.0.1:1/none",
        ])
        .output()
        .expect("run migrate");
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("errore"), "{stderr}");
    assert!(!stderr.contains("secret"), "the password leaked: {stderr}");
}

/// `migrate --status` lists this build's migrations with what the database has, running none:
/// on a missing file every one is to apply (and no file is made), after `migrate` none is.
#[test]
fn migrate_status_lists_without_running() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("s.db");
    let url = format!("sqlite://{}", file.display());
    let status = |url: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_rendiconta"))
            .args(["migrate", "--status", "--database-url", url])
            .output()
            .expect("run migrate --status");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf8")
    };
    let migrations = std::fs::read_dir(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite"),
    )
    .expect("migrations")
    .count();
    let before = status(&url);
    assert!(
        before.contains(&format!("0 applicate, {migrations} da applicare")),
        "{before}"
    );
    assert!(before.contains("0015 commitments"), "{before}");
    assert!(!file.exists(), "asking made a database");
    let ran = Command::new(env!("CARGO_BIN_EXE_rendiconta"))
        .args(["migrate", "--database-url", &url])
        .status()
        .expect("migrate");
    assert!(ran.success());
    let after = status(&url);
    assert!(
        after.contains(&format!("{migrations} applicate, 0 da applicare")),
        "{after}"
    );
    let lines: Vec<&str> = after.lines().collect();
    assert_eq!(lines.len(), migrations + 1, "{after}");
    assert!(
        lines[..migrations]
            .iter()
            .all(|l| l.ends_with(" applicata")),
        "{after}"
    );
}

async fn demo_loads_once(backend: Backend) {
    let Some((url, _dir)) = common::fresh_database(backend).await else {
        return;
    };
    let expenses_of = |base: &str| {
        let base = base.to_owned();
        async move {
            // Signs in as `serve --demo` says: the demo's finance officer, with its password.
            let signed_in: Value = reqwest::Client::new()
                .post(format!("{base}/api/v1/auth/token"))
                .json(&serde_json::json!({
                    "email": "ragioneria@demo.rendiconta.it",
                    "password": rendiconta::services::demo::DEMO_PASSWORD,
                }))
                .send()
                .await
                .expect("sign in")
                .json()
                .await
                .expect("json");
            let token = signed_in["token"].as_str().expect("token");
            let client = common::client_with_token(token);
            let projects: Value = client
                .get(format!("{base}/api/v1/projects"))
                .send()
                .await
                .expect("get")
                .json()
                .await
                .expect("json");
            assert_eq!(projects["total"], 1);
            let project = &projects["items"][0];
            assert_eq!(project["title"], "Terre d'Argine Smart");
            assert_eq!(project["approved_total"], "150000.00");
            let id = project["id"].as_str().expect("id");
            let entities: Value = client
                .get(format!("{base}/api/v1/projects/{id}/entities"))
                .send()
                .await
                .expect("get")
                .json()
                .await
                .expect("json");
            assert_eq!(entities["total"], 6);
            let list: Value = client
                .get(format!("{base}/api/v1/projects/{id}/expenses?per_page=500"))
                .send()
                .await
                .expect("get")
                .json()
                .await
                .expect("json");
            list
        }
    };
    let server = Server::start(&url, &["--demo"]);
    let first = expenses_of(&server.base).await;
    let items = first["items"].as_array().expect("items");
    assert!(
        (55..=65).contains(&items.len()),
        "{} demo expenses",
        items.len()
    );
    let has = |f: &dyn Fn(&Value) -> bool| items.iter().any(f);
    assert!(has(&|e| e["document_type"] == "credit_note"));
    assert!(has(&|e| e["nature"] == "capital"));
    assert!(has(&|e| e["payment_date"].is_null()));
    assert!(has(&|e| e["document_date"]
        .as_str()
        .is_some_and(|d| d > "2020-12-31")));
    assert!(has(&|e| e["category"] == "technology"));
    // The workflow is visible: most verified, some still drafts, ready or sent back with a reason.
    for status in ["verified", "ready", "draft", "rejected"] {
        assert!(
            has(&|e| e["status"] == status),
            "no {status} expense in the demo"
        );
    }
    assert!(has(
        &|e| e["status"] == "rejected" && e["rejection_reason"].is_string()
    ));
    // The duplicate attempt was refused: no document is claimed twice.
    let mut keys: Vec<(String, String)> = items
        .iter()
        .map(|e| {
            (
                e["supplier_vat"].to_string(),
                e["document_number"].to_string(),
            )
        })
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), items.len());
    drop(server);
    // A second start with --demo finds a project and loads nothing more.
    let server = Server::start(&url, &["--demo"]);
    let second = expenses_of(&server.base).await;
    assert_eq!(second["total"], first["total"]);
    assert_eq!(second["totals"], first["totals"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_loads_once_on_sqlite() {
    demo_loads_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_loads_once_on_postgres() {
    demo_loads_once(Backend::Postgres).await;
}

#[test]
fn check_prints_the_summary_and_fails_when_money_would_be_lost() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    drop(Server::start(&url, &["--demo"]));
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_rendiconta"))
            .args(["check", "--database-url", &url])
            .args(args)
            .output()
            .expect("run check")
    };
    let out = run(&["--project", "1", "--as-of", "2021-01-20"]);
    let text = String::from_utf8_lossy(&out.stdout);
    // The demo has exclusions (a capital item, one outside the period, one unpaid, the rejected
    // ones, which never count): exit 1.
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("Situazione al 20/01/2021"), "{text}");
    assert!(text.contains("Contributo dovuto: 101.961,34 €"), "{text}");
    assert!(text.contains("[rejected]"), "{text}");
    assert!(
        text.contains("fuori dal periodo di ammissibilità"),
        "{text}"
    );
    assert!(text.contains("[capital_not_eligible]"), "{text}");
    assert!(text.contains("Riparto fra gli enti"), "{text}");
    let missing = run(&["--project", "42"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("non trovato"));
    let bad_date = run(&["--project", "1", "--as-of", "20/01/2021"]);
    assert_eq!(bad_date.status.code(), Some(2));
}

#[test]
fn report_writes_the_workbook() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("r.db").display());
    drop(Server::start(&url, &["--demo"]));
    let out = dir.path().join("rendiconto.xlsx");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_rendiconta"))
            .args(["report", "--database-url", &url, "--project", "1"])
            .args(args)
            .output()
            .expect("run report")
    };
    let ok = run(&[
        "--format",
        "xlsx",
        "--as-of",
        "2021-01-31",
        "--out",
        out.to_str().expect("path"),
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let bytes = std::fs::read(&out).expect("written");
    assert_eq!(&bytes[..2], b"PK", "an XLSX is a zip file");
    assert!(String::from_utf8_lossy(&ok.stdout).contains("impronta SHA-256"));
    // The same date again: the same bytes.
    let again = dir.path().join("again.xlsx");
    assert!(run(&[
        "--as-of",
        "2021-01-31",
        "--out",
        again.to_str().expect("path")
    ])
    .status
    .success());
    assert_eq!(std::fs::read(&again).expect("written"), bytes);
    let pdf = dir.path().join("rendiconto.pdf");
    let made = run(&[
        "--format",
        "pdf",
        "--as-of",
        "2021-01-31",
        "--out",
        pdf.to_str().expect("path"),
    ]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    assert!(std::fs::read(&pdf).expect("written").starts_with(b"%PDF-"));
    let unknown = run(&["--format", "odt", "--out", pdf.to_str().expect("path")]);
    assert_eq!(unknown.status.code(), Some(2));
    let bad = run(&[
        "--template",
        "nessuno",
        "--out",
        again.to_str().expect("path"),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("nessuno"));
    // A failed report leaves the file asked for as it was, and nothing half-written beside it.
    assert_eq!(std::fs::read(&again).expect("kept"), bytes);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    assert!(
        !names.iter().any(|n| n.ends_with(".parziale")),
        "a partial file was left behind: {names:?}"
    );
    let nowhere = dir.path().join("manca/rendiconto.pdf");
    let unwritable = run(&["--format", "pdf", "--out", nowhere.to_str().expect("path")]);
    assert_eq!(unwritable.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unwritable.stderr).contains("manca"));
}

/// `import fatturapa` on a folder: progress, a summary, refused files named (exit 1); a second
/// run creates nothing and says so (exit 0 when files were only skipped); a dry run writes nothing.
#[test]
fn importing_a_folder_of_e_invoices() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("i.db").display());
    drop(Server::start(&url, &["--demo"]));
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fatturapa");
    let good = dir.path().join("buone");
    std::fs::create_dir(&good).expect("dir");
    for name in [
        "IT01234567890_FPA03.xml",
        "IT02182030391_31.xml.p7m",
        "invoice-credit-note.xml",
    ] {
        std::fs::copy(fixtures.join(name), good.join(name)).expect("copy");
    }
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_rendiconta"))
            .args([
                "import",
                "fatturapa",
                "--database-url",
                &url,
                "--project",
                "1",
                "--entity",
                "1",
            ])
            .args(args)
            .output()
            .expect("run import");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let count = || {
        let out = Command::new("sqlite3")
            .arg(dir.path().join("i.db"))
            .arg("SELECT COUNT(*) FROM expenses")
            .output();
        out.ok().and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<i64>()
                .ok()
        })
    };
    let before = count();
    let good_dir = good.display().to_string();

    let (code, text) = run(&["--dry-run", &good_dir]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("anteprima") && text.contains("prova senza scrivere nulla"),
        "{text}"
    );
    assert_eq!(count(), before);

    // The demo's own evidence is there already.
    let stored_before = walk(&dir.path().join("allegati"));
    let (code, text) = run(&["--category", "design_training", &good_dir]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("[1/3]") && text.contains("[3/3]"),
        "progress: {text}"
    );
    assert!(
        text.contains("3 file: 3 importati (4 spese create), 0 saltati, 0 rifiutati"),
        "{text}"
    );
    if let (Some(b), Some(a)) = (before, count()) {
        assert_eq!(a, b + 4);
    }
    // Each file kept as evidence, beside the database by default.
    let kept = walk(&dir.path().join("allegati"));
    assert_eq!(kept, stored_before + 3, "one stored file per imported file");

    let (code, text) = run(&[&good_dir]);
    assert_eq!(code, Some(0), "only skipped: {text}");
    assert!(
        text.contains("0 importati (0 spese create), 3 saltati"),
        "{text}"
    );
    assert!(text.contains("già importata"), "{text}");

    let tampered = fixtures.join("IT02182030391_31_tampered.xml.p7m");
    let (code, text) = run(&[&tampered.display().to_string()]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("RIFIUTATO") && text.contains("alterata"),
        "{text}"
    );
    if let (Some(b), Some(a)) = (before, count()) {
        assert_eq!(a, b + 4, "a refused file creates nothing");
    }
}

/// Regular files under a folder (not temporary ones).
fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() {
                        walk(&path)
                    } else {
                        usize::from(!e.file_name().to_string_lossy().starts_with(".tmp"))
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// A partita IVA from its first ten digits and the check digit (as the demo makes its suppliers').
fn partita_iva(prefix: u64) -> String {
    let digits = format!("{prefix:010}");
    let sum: u32 = digits
        .chars()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| match (i % 2, d * 2) {
            (0, _) => d,
            (_, doubled) if doubled > 9 => doubled - 9,
            (_, doubled) => doubled,
        })
        .sum();
    format!("{digits}{}", (10 - sum % 10) % 10)
}

/// `reconcile` on the demo: a dry run lists the match and writes nothing; applying records the
/// payment (the unpaid expense is paid); a second run of the same export finds nothing new. A
/// payment of no known document makes the run exit 1; a bad mapping or file exits 2.
#[test]
fn reconciling_the_accounting_export() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("p.db").display());
    drop(Server::start(&url, &["--demo"]));
    // The demo's unpaid invoice, from "Rete & Sistemi S.r.l.".
    let vat = partita_iva(6_789_000_006);
    assert!(rendiconta::domain::TaxId::parse(&vat).is_ok(), "{vat}");
    let export = |name: &str, lines: &[String]| {
        let path = dir.path().join(name);
        let mut text =
            "Numero mandato;Data mandato;Partita IVA;Numero fattura;Importo;Data pagamento\n"
                .to_owned();
        for line in lines {
            text.push_str(line);
            text.push('\n');
        }
        std::fs::write(&path, text).expect("export");
        path
    };
    let paid = format!("7001;08/01/2021;{vat};FT 1203/2020;1.830,00;12/01/2021");
    let unknown = format!("7002;08/01/2021;{vat};FT 9999/2020;10,00;12/01/2021");
    let both = export("both.csv", &[paid.clone(), unknown.clone()]);
    let only = export("only.csv", &[paid]);
    let stray = export("stray.csv", &[unknown]);
    let run = |args: &[&str], file: &std::path::Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_rendiconta"))
            .args(["reconcile", "--database-url", &url, "--project", "1"])
            .args(args)
            .arg(file)
            .output()
            .expect("run reconcile");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        (out.status.code(), text)
    };

    // Unpaid, before: the stray payment pays nothing.
    let (code, text) = run(&["--dry-run"], &stray);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("Spese senza pagamento (1)"), "{text}");
    assert!(
        text.contains("FT 1203/2020") && text.contains("18/12/2020"),
        "{text}"
    );

    // The dry run tells what would be paid (so nothing would stay unpaid), and writes nothing.
    let (code, text) = run(&["--dry-run"], &both);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("Pagamenti abbinati (1)"), "{text}");
    assert!(
        text.contains("FT 1203/2020") && text.contains("1.830,00 €"),
        "{text}"
    );
    assert!(text.contains("Pagamenti non abbinati (1)"), "{text}");
    assert!(text.contains("FT 9999/2020"), "{text}");
    assert!(text.contains("Spese senza pagamento (0)"), "{text}");
    assert!(text.contains("nulla scritto"), "{text}");
    let (_, text) = run(&["--dry-run"], &stray);
    assert!(text.contains("Spese senza pagamento (1)"), "{text}");

    let (code, text) = run(&[], &only);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("1 spese aggiornate"), "{text}");
    assert!(text.contains("Spese senza pagamento (0)"), "{text}");

    // The same export again: nothing new, nothing to tell.
    let (code, text) = run(&[], &only);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("0 spese aggiornate"), "{text}");
    let (_, text) = run(&["--dry-run"], &stray);
    assert!(text.contains("Spese senza pagamento (0)"), "{text}");

    let bad_map = Command::new(env!("CARGO_BIN_EXE_rendiconta"))
        .args(["reconcile", "--database-url", &url, "--project", "1"])
        .args(["--map", "senza-uguale"])
        .arg(&only)
        .output()
        .expect("run");
    assert_eq!(bad_map.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_map.stderr).contains("--map"));
    let missing = run(&[], &dir.path().join("nessuno.csv"));
    assert_eq!(missing.0, Some(2));
}

/// `import csv`: the same import as the API's, from the command line — a file with errors lists
/// each row's (exit 1, nothing written), a good file is checked by a dry run (nothing written) and
/// then imported whole.
#[test]
fn importing_an_expense_spreadsheet() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    drop(Server::start(&url, &["--demo"]));
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/csv");
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_rendiconta"))
            .args(["import", "csv", "--database-url", &url, "--project", "1"])
            .args(args)
            .output()
            .expect("run import");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let count = || {
        Command::new("sqlite3")
            .arg(dir.path().join("c.db"))
            .arg("SELECT COUNT(*) FROM expenses")
            .output()
            .ok()
            .and_then(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .trim()
                    .parse::<i64>()
                    .ok()
            })
    };
    let before = count();
    let wrong = fixtures.join("errori.csv").display().to_string();
    let (code, text) = run(&[&wrong]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("riga 2:") && text.contains("rifiutate"),
        "{text}"
    );
    assert_eq!(count(), before);

    let good = fixtures.join("spese.csv").display().to_string();
    let (code, text) = run(&["--dry-run", &good]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("2 righe controllate"), "{text}");
    assert_eq!(count(), before);
    let (code, text) = run(&[&good]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("2 righe importate; 2 spese create"), "{text}");
    if let (Some(b), Some(a)) = (before, count()) {
        assert_eq!(a, b + 2);
    }
}
