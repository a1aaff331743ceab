//! The defects a black-box attack found, each pinned: sign-in cannot out-race the lockout, no date
//! can block a project's documents, no exported cell is a live formula, whoever changed an
//! expense does not verify it, headers and answers leak nothing.

use serde_json::json;
use tokio::task::JoinSet;

use crate::common::{TestApp, PASSWORD};
use crate::on_both_backends;

/// Sends `passwords` to `POST /auth/token` for `email` all at once, spread over `bases` (several
/// instances on one database); returns how many answers had each status.
async fn parallel_sign_ins(
    bases: &[String],
    email: &str,
    passwords: Vec<&'static str>,
) -> std::collections::BTreeMap<u16, usize> {
    let client = reqwest::Client::new();
    let mut attempts = JoinSet::new();
    for (i, password) in passwords.into_iter().enumerate() {
        let url = format!("{}/api/v1/auth/token", bases[i % bases.len()]);
        let request = client
            .post(url)
            .json(&json!({"email": email, "password": password}));
        attempts.spawn(async move { request.send().await.expect("sign-in").status().as_u16() });
    }
    let mut counts = std::collections::BTreeMap::new();
    while let Some(status) = attempts.join_next().await {
        *counts.entry(status.expect("join")).or_default() += 1;
    }
    counts
}

async fn parallel_guesses_are_counted_before_any_password_is_verified(app: TestApp) {
    app.create(
        "/api/v1/users",
        &json!({"email": "mario@prova.it", "password": PASSWORD}),
    )
    .await;
    let second = app.second_instance().await;
    let bases = [app.base.clone(), second.base.clone()];
    // 150 wrong passwords at once through two instances: five are verified, the rest refused.
    let wrong = parallel_sign_ins(&bases, "mario@prova.it", vec!["sbagliata"; 150]).await;
    assert_eq!(wrong.get(&401), Some(&5), "{wrong:?}");
    assert_eq!(wrong.get(&429), Some(&145), "{wrong:?}");
    // Then the right password in the middle of 50 more: still refused, every one.
    let mut passwords = vec!["sbagliata"; 50];
    passwords[1] = PASSWORD;
    let late = parallel_sign_ins(&bases, "mario@prova.it", passwords).await;
    assert_eq!(late.get(&429), Some(&50), "{late:?}");
}

on_both_backends!(parallel_guesses_are_counted_before_any_password_is_verified);
