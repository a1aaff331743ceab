//! Signing as a signatory's software would, with the real tools: a throwaway key and certificate
//! (`openssl req -x509`) and a CAdES envelope (`openssl cms -sign -binary -nodetach -outform DER`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// A key and a self-signed certificate whose subject names `name` and `serial`.
pub struct Certificate {
    pub key: PathBuf,
    pub cert: PathBuf,
}

pub fn run(command: &mut Command) -> std::process::Output {
    let out = command.output().expect("tool runs");
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn certificate(dir: &Path, name: &str, serial: &str) -> Certificate {
    let stem = name.replace(' ', "_");
    let (key, cert) = (
        dir.join(format!("{stem}.key")),
        dir.join(format!("{stem}.pem")),
    );
    run(Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args(["-subj", &format!("/C=IT/CN={name}/serialNumber={serial}")]));
    Certificate { key, cert }
}

/// A CAdES envelope holding `content`, signed with `by`.
pub fn cades(dir: &Path, content: &[u8], by: &Certificate) -> Vec<u8> {
    let input = dir.join("da-firmare.bin");
    std::fs::write(&input, content).expect("write");
    let output = dir.join("firmato.p7m");
    run(Command::new("openssl")
        .args([
            "cms",
            "-sign",
            "-binary",
            "-nodetach",
            "-outform",
            "DER",
            "-in",
        ])
        .arg(&input)
        .arg("-signer")
        .arg(&by.cert)
        .arg("-inkey")
        .arg(&by.key)
        .arg("-out")
        .arg(&output));
    std::fs::read(output).expect("p7m")
}
