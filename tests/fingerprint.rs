//! The data's fingerprint over a canonical text of our own (version 2): a golden file pins the
//! text of the worked example (with an extension, a tranche, a section and an indicator), so that
//! no upgrade of the compiler or of a dependency can change it unnoticed; a submission records the
//! version, and its stored fingerprint is the SHA-256 of that text.
//!
//! After an intended change of the canonical text (a new version), write the file again with
//! `RENDICONTA_UPDATE_GOLDEN=1 cargo test --test fingerprint`.

mod common;

use common::{json_of, worked_example, Backend, TestApp};
use rendiconta::domain::access::Actor;
use rendiconta::domain::rules::Scope;
use serde_json::json;
use sha2::{Digest, Sha256};

/// The canonical text of each version still in use, by version.
const GOLDEN: [(i64, &str); 2] = [
    (2, "tests/fixtures/fingerprint/worked_example.v2.txt"),
    (3, "tests/fixtures/fingerprint/worked_example.v3.txt"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_canonical_text_is_pinned_and_submissions_record_its_version() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
    let seed = worked_example(&app).await;
    let base = format!("/api/v1/projects/{}", seed.project_id);
    for (path, body) in [
        (
            "extensions",
            json!({"act": "Determina n. 21 del 10/12/2020", "date": "2020-12-10",
                   "reporting_deadline": "2021-02-28"}),
        ),
        (
            "tranches",
            json!({"amount": "6000.00", "date": "2020-10-01", "act": "Det. 5/2020"}),
        ),
        (
            "narrative",
            json!({"title": "Attività", "body": "Dodici moduli formativi.\n- Carpi\n- Soliera"}),
        ),
        (
            "indicators",
            json!({"name": "Ore di formazione", "value": "1234.50", "target": "1200", "unit": "ore"}),
        ),
    ] {
        app.create(&format!("{base}/{path}"), &body).await;
    }
    let services = app.services().await;
    let who = Actor::Operator("test".into());
    let project = rendiconta::domain::ProjectId(seed.project_id.parse().expect("id"));
    let as_of = chrono::NaiveDate::from_ymd_opt(2021, 2, 15);
    let snap = rendiconta::services::summary::snapshot(&services, &who, project, as_of, Scope::All)
        .await
        .expect("snapshot");
    let sections = services.store.sections(project).await.expect("sections");
    let indicators = services
        .store
        .indicators(project)
        .await
        .expect("indicators");
    let hex = |bytes: &[u8]| -> String {
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    for (version, file) in GOLDEN {
        let mut text = Vec::new();
        rendiconta::reports::fingerprint::canonical(
            &mut text,
            &snap,
            &sections,
            &indicators,
            version,
        )
        .expect("canonical text");
        let text = String::from_utf8(text).expect("utf-8");
        let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        if std::env::var_os("RENDICONTA_UPDATE_GOLDEN").is_some() {
            std::fs::write(&golden, &text).expect("write the golden file");
        }
        let pinned = std::fs::read_to_string(&golden).expect("the golden file");
        assert!(
            text == pinned,
            "the canonical text v{version} changed: a new version is needed (see the module's \
             documentation)\n--- pinned\n{pinned}\n--- now\n{text}"
        );
        assert_eq!(
            rendiconta::reports::model::fingerprint(&snap, &sections, &indicators, version),
            hex(text.as_bytes())
        );
        assert_ne!(
            rendiconta::reports::model::fingerprint(&snap, &sections, &indicators, 1),
            hex(text.as_bytes()),
            "version 1 is another text"
        );
    }

    // A submission records the version; its fingerprint is the hash of that text of its data.
    app.verify_all(&seed.project_id).await;
    let submitted = json_of(
        app.post(
            &format!("{base}/submissions"),
            &json!({"as_of": "2021-02-15"}),
        )
        .await,
    )
    .await;
    assert_eq!(submitted["fingerprint_version"], 3, "{submitted}");
    let snap =
        rendiconta::services::summary::snapshot_as_submitted(&services, &who, project, as_of)
            .await
            .expect("snapshot");
    let mut text = Vec::new();
    rendiconta::reports::fingerprint::canonical(&mut text, &snap, &sections, &indicators, 3)
        .expect("canonical text");
    assert_eq!(submitted["fingerprint"], hex(&text));
}
