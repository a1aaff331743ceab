//! The systemd units of `deploy/` as systemd itself reads them: `systemd-analyze verify` on the units
//! (with this build's binary and the example settings in place of the installed paths) must pass
//! without a single complaint — a mistyped setting is only a warning to systemd, silently ignored
//! at start, so any output fails the test. Under `RENDICONTA_REQUIRE_BROWSER` (CI, `scripts/test`)
//! a missing `systemd-analyze` fails too.

use std::process::Command;

#[test]
fn the_unit_file_is_what_systemd_expects() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let unit = std::fs::read_to_string(root.join("deploy/rendiconta.service")).expect("unit");
    let dir = tempfile::tempdir().expect("tmp");
    let env = dir.path().join("rendiconta.env");
    std::fs::copy(root.join("deploy/rendiconta.env.example"), &env).expect("env");
    let placed = unit
        .replace(
            "/usr/local/bin/rendiconta",
            env!("CARGO_BIN_EXE_rendiconta"),
        )
        .replace("/etc/rendiconta/rendiconta.env", &env.display().to_string());
    assert_ne!(placed, unit, "the unit names the installed paths");
    for setting in [
        "DynamicUser=yes",
        "StateDirectory=rendiconta",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "Restart=on-failure",
        "EnvironmentFile=",
    ] {
        assert!(unit.contains(setting), "the unit lacks {setting}");
    }
    let file = dir.path().join("rendiconta.service");
    std::fs::write(&file, placed).expect("write");
    // The nightly backup: its service placed the same way, its timer beside it.
    let backup = std::fs::read_to_string(root.join("deploy/rendiconta-backup.service"))
        .expect("backup unit");
    for setting in ["User=rendiconta", "rendiconta backup --out", "Type=oneshot"] {
        assert!(backup.contains(setting), "the backup unit lacks {setting}");
    }
    assert!(unit.contains("User=rendiconta"), "one user for both units");
    let backup_file = dir.path().join("rendiconta-backup.service");
    std::fs::write(
        &backup_file,
        backup
            .replace(
                "/usr/local/bin/rendiconta",
                env!("CARGO_BIN_EXE_rendiconta"),
            )
            .replace("/etc/rendiconta/rendiconta.env", &env.display().to_string()),
    )
    .expect("write");
    let timer = dir.path().join("rendiconta-backup.timer");
    std::fs::copy(root.join("deploy/rendiconta-backup.timer"), &timer).expect("timer");
    let out = match Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .args([&file, &backup_file, &timer])
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            assert!(
                std::env::var_os("RENDICONTA_REQUIRE_BROWSER").is_none(),
                "systemd-analyze is missing ({e}): install systemd"
            );
            eprintln!("systemd-analyze not installed: unit not verified");
            return;
        }
    };
    let complaints = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && complaints.trim().is_empty(),
        "systemd-analyze verify: {complaints}"
    );
    // The example settings name only variables the service reads.
    let example =
        std::fs::read_to_string(root.join("deploy/rendiconta.env.example")).expect("example");
    for line in example.lines().map(str::trim) {
        let Some((name, _)) = line.trim_start_matches("# ").split_once('=') else {
            continue;
        };
        if name.starts_with('#') || name.contains(' ') {
            continue;
        }
        assert!(
            name.starts_with("RENDICONTA_")
                || name.starts_with("AWS_")
                || name == "DATABASE_URL"
                || name == "RUST_LOG",
            "unknown setting {name}"
        );
    }
}
