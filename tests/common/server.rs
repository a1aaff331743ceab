//! The real `rendiconta` binary as a child process, for tests that kill or restart it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    /// Starts `rendiconta serve` on a free port and waits until it answers `/healthz`.
    pub fn start(database_url: &str, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rendiconta"))
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--database-url",
                database_url,
            ])
            .args(extra)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start rendiconta");
        let stderr = child.stderr.take();
        // Owned by a `Server` at once, so every path below (panics included) kills and reaps it.
        let mut server = Server {
            child,
            base: String::new(),
        };
        let stderr = stderr.expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("http://").nth(1) {
                    let addr: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
                    let _ = tx.send(addr);
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server printed its address");
        server.base = format!("http://{addr}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if reqwest::blocking_get_ok(&format!("{}/healthz", server.base)) {
                return server;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the server did not answer /healthz");
    }

    /// SIGKILL: no shutdown, no flush, as a crash.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

mod reqwest {
    /// A tiny synchronous health probe over a raw TCP connection (no blocking HTTP client needed).
    pub fn blocking_get_ok(url: &str) -> bool {
        use std::io::{Read, Write};
        let Some(rest) = url.strip_prefix("http://") else {
            return false;
        };
        let (host, path) = rest
            .split_once('/')
            .map(|(h, p)| (h, format!("/{p}")))
            .unwrap_or((rest, "/".into()));
        let Ok(mut stream) = std::net::TcpStream::connect(host) else {
            return false;
        };
        let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        if stream.write_all(request.as_bytes()).is_err() {
            return false;
        }
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response.starts_with("HTTP/1.1 200")
    }
}

/// Runs the `rendiconta` binary with `stdin` fed to it; returns its output.
pub fn run_cli(args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_rendiconta"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("USER", "operatore")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rendiconta");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes()).expect("stdin");
    }
    child.wait_with_output().expect("rendiconta output")
}

/// Creates an admin with the CLI (password on standard input) and returns an API token for it.
pub fn cli_admin_token(database_url: &str) -> String {
    let added = run_cli(
        &[
            "user",
            "add",
            "admin@prova.it",
            "--role",
            "admin",
            "--database-url",
            database_url,
        ],
        "una password lunga\n",
    );
    assert!(
        added.status.success(),
        "user add: {}",
        String::from_utf8_lossy(&added.stderr)
    );
    let token = run_cli(
        &[
            "token",
            "create",
            "admin@prova.it",
            "--database-url",
            database_url,
        ],
        "",
    );
    assert!(
        token.status.success(),
        "token create: {}",
        String::from_utf8_lossy(&token.stderr)
    );
    String::from_utf8_lossy(&token.stdout).trim().to_owned()
}
