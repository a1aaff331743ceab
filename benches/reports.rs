//! Benchmark of the documents (run with `cargo bench --bench reports`): `rendiconta report` writing
//! the XLSX and the PDF of a project with 10,000 and 100,000 expenses (end to end: start, read,
//! compute, lay out, write), time and peak memory from `/usr/bin/time`, beside Python XlsxWriter and
//! reportlab writing the same table from the same `gen.py` data in the same run, and LibreOffice
//! converting the XlsxWriter workbook to PDF. Rounds are interleaved; medians. Results go to
//! `benches/RESULTS.md`. The peers run from a virtual environment in `target/venv-peer`. With
//! `RENDICONTA_BENCH_POSTGRES_URL` (a superuser URL) the same rows are also loaded into PostgreSQL
//! and our documents timed from there in the same rounds.

#[path = "common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{median, postgres_server, prepare, prepare_postgres, write_section};

const SIZES: [usize; 2] = [10_000, 100_000];
const ROUNDS: usize = 3;
/// reportlab's table is quadratic: beyond this many seconds a peer step runs once.
const SLOW: f64 = 120.0;

/// Runs a command under `/usr/bin/time`; returns (seconds, peak MB).
fn timed(program: &Path, args: &[&str], cwd: Option<&Path>) -> Option<(f64, f64)> {
    let mut cmd = Command::new("/usr/bin/time");
    cmd.arg("-f").arg("%e %M").arg(program).args(args);
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    let out = cmd.output().ok()?;
    if !out.status.success() {
        eprintln!(
            "{} failed: {}",
            program.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.lines().last()?;
    let mut parts = last.split_whitespace();
    let secs: f64 = parts.next()?.parse().ok()?;
    let kb: f64 = parts.next()?.parse().ok()?;
    Some((secs, kb / 1024.0))
}

/// `rendiconta report` of one project into `out`, timed.
fn report(binary: &Path, url: &str, project: &str, format: &str, out: &Path) -> Option<(f64, f64)> {
    timed(
        binary,
        &[
            "report",
            "--project",
            project,
            "--format",
            format,
            "--as-of",
            "2021-02-15",
            "--out",
            &out.display().to_string(),
            "--database-url",
            url,
        ],
        None,
    )
}

fn peer_python(root: &Path) -> Option<PathBuf> {
    let venv = root.join("target/venv-peer");
    let python = venv.join("bin/python");
    if !python.exists() {
        Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(&venv)
            .status()
            .ok()?;
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "XlsxWriter", "openpyxl", "reportlab"])
            .status()
            .ok()?;
    }
    python.exists().then_some(python)
}

fn cell(runs: &[(f64, f64)]) -> String {
    if runs.is_empty() {
        return "not run".into();
    }
    let secs = median(runs.iter().map(|r| r.0).collect());
    let mb = median(runs.iter().map(|r| r.1).collect());
    format!("{secs:.2} s, {mb:.0} MB")
}

#[tokio::main]
async fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let peer = std::env::var("PEERBENCH")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("../shared/bench"));
    let work = root.join("target/bench-reports");
    std::fs::create_dir_all(&work).expect("work dir");
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_rendiconta"));
    let python = peer_python(&root);
    let soffice = Command::new("soffice").arg("--version").output().is_ok();
    let mut rows = String::new();
    let mut pdf_per_thousand = Vec::new();
    let pg_server = postgres_server();
    let mut pg_rows = String::new();
    for n in SIZES {
        let (data, url, _app, project, _) = prepare(&peer, &work, n).await;
        let project = project.to_string();
        let csv = data.join("expenses.csv");
        let (mut ours_x, mut ours_p, mut xw, mut rl) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut lo = Vec::new();
        let pg = match &pg_server {
            Some(server) => {
                let (url, project) = prepare_postgres(server, &data, n).await;
                Some((url, project.to_string()))
            }
            None => None,
        };
        let (mut pg_x, mut pg_p) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            for (format, runs) in [("xlsx", &mut ours_x), ("pdf", &mut ours_p)] {
                let out = data.join(format!("rendiconto.{format}"));
                runs.extend(report(&binary, &url, &project, format, &out));
            }
            if let Some((pg_url, pg_project)) = &pg {
                for (format, runs) in [("xlsx", &mut pg_x), ("pdf", &mut pg_p)] {
                    let out = data.join(format!("rendiconto-pg.{format}"));
                    runs.extend(report(&binary, pg_url, pg_project, format, &out));
                }
            }
            if let Some(py) = &python {
                let x_out = data.join("peer.xlsx").display().to_string();
                let slow_x = xw.first().is_some_and(|r: &(f64, f64)| r.0 > SLOW);
                if round == 0 || !slow_x {
                    if let Some(r) = timed(
                        py,
                        &[
                            &peer.join("xlsx_xlsxwriter.py").display().to_string(),
                            &csv.display().to_string(),
                            &x_out,
                        ],
                        None,
                    ) {
                        xw.push(r);
                    }
                }
                let slow_p = rl.first().is_some_and(|r: &(f64, f64)| r.0 > SLOW);
                if round == 0 || !slow_p {
                    let p_out = data.join("peer.pdf").display().to_string();
                    if let Some(r) = timed(
                        py,
                        &[
                            &peer.join("pdf_reportlab.py").display().to_string(),
                            &csv.display().to_string(),
                            &p_out,
                        ],
                        None,
                    ) {
                        rl.push(r);
                    }
                }
                if soffice && n == 10_000 && round == 0 {
                    let profile =
                        format!("-env:UserInstallation=file://{}/lo-profile", data.display());
                    let soffice_path = PathBuf::from("soffice");
                    if let Some(r) = timed(
                        &soffice_path,
                        &[
                            "--headless",
                            "--norestore",
                            &profile,
                            "--convert-to",
                            "pdf",
                            "--outdir",
                            &data.display().to_string(),
                            &x_out,
                        ],
                        None,
                    ) {
                        lo.push(r);
                    }
                }
            }
        }
        let ratio = |ours: &[(f64, f64)], theirs: &[(f64, f64)]| -> String {
            if ours.is_empty() || theirs.is_empty() {
                return "n/a".into();
            }
            format!(
                "{:.1}×",
                median(theirs.iter().map(|r| r.0).collect())
                    / median(ours.iter().map(|r| r.0).collect())
            )
        };
        if !ours_p.is_empty() {
            let secs = median(ours_p.iter().map(|r| r.0).collect());
            pdf_per_thousand.push(format!("{:.3} s at {n}", secs * 1000.0 / n as f64));
        }
        eprintln!(
            "{n}: xlsx {} (XlsxWriter {}), pdf {} (reportlab {})",
            cell(&ours_x),
            cell(&xw),
            cell(&ours_p),
            cell(&rl)
        );
        if pg.is_some() {
            eprintln!(
                "{n} from PostgreSQL: xlsx {}, pdf {}",
                cell(&pg_x),
                cell(&pg_p)
            );
            pg_rows.push_str(&format!(
                "| {n} | {} | {} | {} | {} |\n",
                cell(&pg_x),
                cell(&ours_x),
                cell(&pg_p),
                cell(&ours_p)
            ));
        }
        rows.push_str(&format!(
            "| {n} | {} | {} | {} | {} | {} | {} | {} |\n",
            cell(&ours_x),
            cell(&xw),
            ratio(&ours_x, &xw),
            cell(&ours_p),
            cell(&rl),
            ratio(&ours_p, &rl),
            if n == 10_000 {
                format!("{} ({})", cell(&lo), ratio(&ours_p, &lo))
            } else {
                "—".into()
            },
        ));
    }
    let body = format!(
        "## Documents: rendiconto.xlsx and rendiconto.pdf (`cargo bench --bench reports`)\n\n\
         Measured {date} on this machine ({cores} cores), release build. Ours: `rendiconta report` end to end (process start,\n\
         reading every expense from SQLite, the summary, the layout, writing the file), wall time and peak RSS from\n\
         `/usr/bin/time`; the XLSX has four sheets, formulas with cached results and a chart, the PDF every section\n\
         with its fonts subset (PDF/A-2b). Peers from `../shared/bench` on the same `gen.py` rows, same run: XlsxWriter\n\
         (one sheet and a summary), reportlab (one LongTable), LibreOffice converting the 10,000-row XlsxWriter\n\
         workbook to PDF. {ROUNDS} interleaved rounds, medians (a peer step over {SLOW:.0} s runs once). Ratios are peer ÷ ours.\n\n\
         | expenses | our XLSX | XlsxWriter | ratio | our PDF | reportlab | ratio | LibreOffice xlsx→pdf (ratio) |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- |\n{rows}\n\
         Targets: XLSX at least 5× faster than XlsxWriter; PDF at least 5× faster than reportlab at 10,000\n\
         expenses, faster than LibreOffice, linear in the rows; peak memory under 300 MB at 100,000. Our PDF\n\
         per 1,000 expenses: {linear}.\n",
        linear = pdf_per_thousand.join(", "),
        date = chrono::Utc::now().format("%Y-%m-%d"),
        cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
    );
    let body = if pg_rows.is_empty() {
        body
    } else {
        format!(
            "{body}\n\
             The same documents read from PostgreSQL 15 (`scripts/pg-throwaway`'s local server given as\n\
             `RENDICONTA_BENCH_POSTGRES_URL`; the same rows loaded into a fresh database), beside the SQLite\n\
             runs of the same rounds:\n\n\
             | expenses | XLSX from PostgreSQL | XLSX from SQLite | PDF from PostgreSQL | PDF from SQLite |\n\
             | --- | --- | --- | --- | --- |\n{pg_rows}"
        )
    };
    println!("{body}");
    write_section("reports", &body);
}
