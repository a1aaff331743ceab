//! Every answer names its request: the proxy's `X-Request-Id` kept when plausible, a fresh one
//! otherwise, echoed in the answer, in problem documents' `instance` and on the workspace's error
//! page — the one value that ties a user's report to the logs.

use reqwest::StatusCode;

use crate::common::{json_of, TestApp, ADMIN_EMAIL};
use crate::ui::{client, page, sign_in};

async fn every_answer_names_its_request(app: TestApp) {
    let sent = app
        .client
        .get(app.url("/api/v1/projects/999999"))
        .header("x-request-id", "nginx-7f3a:42")
        .send()
        .await
        .expect("get");
    assert_eq!(sent.status(), StatusCode::NOT_FOUND);
    assert_eq!(sent.headers()["x-request-id"], "nginx-7f3a:42");
    let problem = json_of(sent).await;
    assert_eq!(problem["instance"], "urn:rendiconta:request:nginx-7f3a:42");

    // None sent, or one that is not plausible: a fresh one, the same in the header and the body.
    for header in [None, Some("<script>alert(1)</script>")] {
        let mut request = app.client.get(app.url("/api/v1/projects/999999"));
        if let Some(h) = header {
            request = request.header("x-request-id", h);
        }
        let answer = request.send().await.expect("get");
        let id = answer.headers()["x-request-id"]
            .to_str()
            .expect("id")
            .to_owned();
        assert_eq!(id.len(), 32, "{id}");
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        let problem = json_of(answer).await;
        assert_eq!(problem["instance"], format!("urn:rendiconta:request:{id}"));
    }

    // Successes carry it too; two requests never share one.
    let a = app.get("/api/v1/auth/me").await;
    let b = app.get("/api/v1/auth/me").await;
    assert_eq!(a.status(), StatusCode::OK);
    assert_ne!(a.headers()["x-request-id"], b.headers()["x-request-id"]);
    // An anonymous caller refused by the gate gets one as well.
    let anon = app
        .anon
        .get(app.url("/api/v1/projects/1"))
        .send()
        .await
        .expect("get");
    assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
    assert!(anon.headers().contains_key("x-request-id"));

    // The workspace's error page shows it to quote when asking for help.
    let session = sign_in(&app, ADMIN_EMAIL).await;
    let answer = client()
        .get(app.url("/progetti/999999"))
        .header("cookie", &session)
        .header("x-request-id", "supporto-1")
        .send()
        .await
        .expect("get");
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    let html = answer.text().await.expect("html");
    assert!(
        html.contains("id=\"codice-richiesta\">supporto-1<"),
        "{html}"
    );
    let (status, _) = page(&app, &session, "/progetti").await;
    assert_eq!(status, StatusCode::OK);
}

crate::on_both_backends!(every_answer_names_its_request);
