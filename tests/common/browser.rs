//! The browser half of the end-to-end tests: chromedriver on a free port, headless Chromium
//! driven over WebDriver, and what a user does with a page (fill, choose, submit, wait), plus
//! axe-core's accessibility check run inside the page.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

pub struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// chromedriver on a free port, or `None` when it is not installed (and not required).
pub fn start_driver() -> Option<(Driver, u16)> {
    let port = free_port();
    let child = match Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            assert!(
                std::env::var_os("RENDICONTA_REQUIRE_BROWSER").is_none(),
                "chromedriver is missing: install chromium and chromium-driver ({e})"
            );
            eprintln!("chromedriver not installed: browser tests skipped");
            return None;
        }
    };
    let driver = Driver(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some((driver, port));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("chromedriver did not start");
}

pub async fn browser(port: u16, profile: &std::path::Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,1800",
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("start chromium")
}

pub async fn text_of(c: &Client, css: &str) -> String {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
}

pub async fn fill(c: &Client, css: &str, value: &str) {
    let field = c.find(Locator::Css(css)).await.expect(css);
    field.clear().await.expect("clear");
    field.send_keys(value).await.expect("type");
}

pub async fn select(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css))
        .await
        .expect(css)
        .select_by_value(value)
        .await
        .expect("select");
}

pub async fn submit(c: &Client, form_css: &str) {
    c.find(Locator::Css(&format!("{form_css} button[type=submit]")))
        .await
        .expect("submit button")
        .click()
        .await
        .expect("click");
}

/// Waits until the browser has navigated to a URL that satisfies `ready` (a submit returns before
/// the next page has loaded).
pub async fn wait_for_url(c: &Client, ready: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let url = c.current_url().await.expect("url").to_string();
        if ready(&url) {
            return;
        }
        assert!(Instant::now() < deadline, "still at {url}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The file behind the page's link `link_id`, fetched by the browser with its session: its
/// content type and bytes (the fetch must answer 200).
pub async fn download(c: &Client, link_id: &str) -> (String, Vec<u8>) {
    let fetched = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.getElementById(arguments[0]).href)
               .then(r => r.arrayBuffer().then(b => done({status: r.status, type: r.headers.get('content-type'),
                 bytes: Array.from(new Uint8Array(b))})))
               .catch(e => done({error: String(e)}));",
            vec![json!(link_id)],
        )
        .await
        .expect("fetch");
    assert_eq!(fetched["status"], 200, "{link_id}: {}", fetched["error"]);
    let bytes = fetched["bytes"]
        .as_array()
        .expect("bytes")
        .iter()
        .map(|b| u8::try_from(b.as_u64().unwrap_or(0)).unwrap_or(0))
        .collect();
    let content_type = fetched["type"].as_str().unwrap_or_default().to_owned();
    (content_type, bytes)
}

/// `catch_unwind` for a future, so the browser is closed even when an assertion fails.
pub trait CatchUnwind: std::future::Future + Sized {
    async fn catch_unwind_async(self) -> std::thread::Result<Self::Output>;
}

impl<F: std::future::Future + std::panic::UnwindSafe> CatchUnwind for F {
    async fn catch_unwind_async(self) -> std::thread::Result<F::Output> {
        let mut fut = std::pin::pin!(self);
        std::future::poll_fn(move |cx| {
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
                Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
                Ok(std::task::Poll::Ready(v)) => std::task::Poll::Ready(Ok(v)),
                Err(e) => std::task::Poll::Ready(Err(e)),
            }
        })
        .await
    }
}

/// Signs in through the form, as a user does, and waits for the page the form sends to.
pub async fn sign_in(c: &Client, base: &str, email: &str) {
    c.goto(&format!("{base}/accedi")).await.expect("goto");
    fill(c, "#email", email).await;
    fill(c, "#password", rendiconta::services::demo::DEMO_PASSWORD).await;
    submit(c, "form").await;
    wait_for_url(c, |u| !u.contains("/accedi")).await;
}

/// The browser window's size, in CSS pixels.
pub async fn window(c: &Client, width: u32, height: u32) {
    c.set_window_size(width, height).await.expect("window size");
}

/// Saves a screenshot of the page as `target/screenshots/{name}.png`.
pub async fn screenshot(c: &Client, name: &str) {
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&shots).expect("dir");
    let png = c.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"));
    std::fs::write(shots.join(format!("{name}.png")), png).expect("save");
}

/// axe-core's script (`scripts/node-env` installs it), or `None` when it is missing and not
/// required.
pub fn axe_script() -> Option<String> {
    let path = std::env::var_os("RENDICONTA_AXE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("target/node/node_modules/axe-core/axe.min.js")
        });
    match std::fs::read_to_string(&path) {
        Ok(script) => Some(script),
        Err(e) => {
            assert!(
                std::env::var_os("RENDICONTA_REQUIRE_BROWSER").is_none(),
                "axe-core is missing at {} ({e}): run scripts/node-env",
                path.display()
            );
            eprintln!("axe-core not installed: accessibility checks skipped");
            None
        }
    }
}

/// The page's violations of WCAG 2.1 A and AA as axe-core finds them, each as `rule: target…`
/// (empty when the page passes). Also asserts that axe ran and passed some rules, so a page
/// where the script failed to run cannot pass by saying nothing.
pub async fn axe_violations(c: &Client, script: &str) -> Vec<String> {
    c.execute(script, vec![]).await.expect("inject axe-core");
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})
               .then(r => done({passes: r.passes.length, violations: r.violations.map(v =>
                 v.id + ' (' + v.impact + '): ' + v.help + ' — ' + v.nodes.map(n => n.target.join(' ')).join(', '))}))
               .catch(e => done({error: String(e)}));",
            vec![],
        )
        .await
        .expect("axe.run");
    assert!(
        found.get("error").is_none(),
        "axe failed: {}",
        found["error"]
    );
    assert!(
        found["passes"].as_u64().unwrap_or(0) > 0,
        "axe checked nothing"
    );
    found["violations"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the page is wider than the window (a table or a menu pushing it sideways).
pub async fn overflows_sideways(c: &Client) -> Option<String> {
    let found = c
        .execute(
            "const w = document.documentElement.clientWidth;
             if (document.documentElement.scrollWidth <= w) return null;
             const boxed = e => { for (let p = e.parentElement; p; p = p.parentElement)
               if (getComputedStyle(p).overflowX !== 'visible') return true; return false; };
             const wide = [...document.querySelectorAll('body *')]
               .filter(e => e.getBoundingClientRect().right > w + 1 && !boxed(e))
               .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : ''));
             return document.documentElement.scrollWidth + ' px in ' + w + ' px: ' + wide.slice(0, 5).join(', ');",
            vec![],
        )
        .await
        .expect("width");
    found.as_str().map(str::to_owned)
}

/// The demo's app and a browser on it, `body` run with both; the browser is closed even when an
/// assertion fails.
pub async fn with_browser<F, Fut>(body: F)
where
    F: FnOnce(super::TestApp, Client) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let Some((_driver, port)) = start_driver() else {
        return;
    };
    let app = super::TestApp::spawn(super::Backend::Sqlite)
        .await
        .expect("app");
    {
        let loader = app.services().await;
        rendiconta::services::demo::load_if_empty(&loader)
            .await
            .expect("demo");
    }
    let profile = tempfile::tempdir().expect("profile");
    let c = browser(port, profile.path()).await;
    let outcome = std::panic::AssertUnwindSafe(body(app, c.clone()))
        .catch_unwind_async()
        .await;
    let _ = c.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
