//! moto's S3 server on a free loopback port, with the bucket `evidenze`: a real S3 API for the
//! tests and the load bench (which includes this file).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The running server, stopped when dropped.
pub struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts it with `python` (`pip install 'moto[server]'`); its endpoint, or `None` if it did not
/// start within ten seconds.
pub async fn start(python: &str) -> Option<(Moto, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .ok()?
        .port();
    let child = Command::new(python)
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let guard = Moto(child);
    let endpoint = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client.get(&endpoint).send().await.is_ok() {
            // CreateBucket: moto does not check signatures.
            let created = client.put(format!("{endpoint}/evidenze")).send().await;
            return created
                .is_ok_and(|r| r.status().is_success())
                .then_some((guard, endpoint));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}
