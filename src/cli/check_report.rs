//! The text `rendiconta check` prints: the summary in Italian, then every exclusion and warning.

use std::fmt::Write;

use crate::domain::text::italian_date;
use crate::services::summary::Snapshot;

pub fn render(snap: &Snapshot) -> String {
    let s = &snap.summary;
    let mut out = String::new();
    let p = &snap.project.data;
    let _ = writeln!(
        out,
        "Progetto «{}»{}",
        p.title,
        p.cup
            .as_ref()
            .map(|c| format!(" – CUP {c}"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "Bando: {} ({}, {})",
        snap.call.name, snap.call.funder, snap.call.act
    );
    let _ = writeln!(out, "Situazione al {}\n", italian_date(s.as_of));
    let _ = writeln!(
        out,
        "{:<32} {:>16} {:>16} {:>16} {:>16}",
        "Categoria", "Approvato", "Ammissibile", "Massimale", "Riconosciuto"
    );
    for c in &s.categories {
        let _ = writeln!(
            out,
            "{:<32} {:>16} {:>16} {:>16} {:>16}",
            c.name,
            c.approved.italian(),
            c.eligible.italian(),
            c.ceiling.map_or_else(|| "—".to_owned(), |x| x.italian()),
            c.recognised.italian()
        );
    }
    let _ = writeln!(
        out,
        "{:<32} {:>16} {:>16} {:>16} {:>16}\n",
        "Totale",
        s.approved_total.italian(),
        s.eligible_total.italian(),
        "",
        s.recognised_total.italian()
    );
    let _ = writeln!(
        out,
        "Contributo calcolato ({} del riconosciuto): {}",
        s.contribution_rate.italian_percent(),
        s.contribution_computed.italian()
    );
    let _ = writeln!(out, "Massimo concedibile: {}", s.cap.italian());
    if let Some(threshold) = s.revocation_threshold {
        let _ = writeln!(
            out,
            "Soglia minima di realizzazione: {}",
            threshold.italian()
        );
    }
    if s.revoked {
        let _ = writeln!(
            out,
            "CONTRIBUTO REVOCATO: la spesa riconosciuta è sotto la soglia minima"
        );
    }
    let _ = writeln!(out, "Contributo dovuto: {}", s.contribution_due.italian());
    let _ = writeln!(out, "Anticipi ricevuti: {}", s.advances_received.italian());
    let (_, balance) = s.balance_words();
    let _ = writeln!(out, "{balance}\n");
    let _ = writeln!(out, "Riparto fra gli enti:");
    for e in &s.entities {
        let _ = writeln!(
            out,
            "  {:<40} riconosciuto {:>16}   contributo {:>16}",
            e.name,
            e.recognised.italian(),
            e.contribution_share.italian()
        );
    }
    if !s.excluded.is_empty() {
        let _ = writeln!(out, "\nSpese escluse ({}):", s.excluded.len());
        for x in &s.excluded {
            let _ = writeln!(
                out,
                "  spesa {}: {} [{}]",
                x.expense_id,
                x.message,
                x.reason.code()
            );
        }
    }
    if !s.warnings.is_empty() {
        let _ = writeln!(out, "\nAvvertenze ({}):", s.warnings.len());
        for w in &s.warnings {
            let on = w
                .expense_id
                .map(|id| format!("spesa {id}: "))
                .unwrap_or_default();
            let _ = writeln!(out, "  {on}{} [{}]", w.message, w.code.code());
        }
    }
    let _ = writeln!(out, "\nScadenze:");
    for d in &s.deadlines {
        let _ = writeln!(
            out,
            "  {} {} [{}]",
            italian_date(d.date),
            d.name,
            d.status.code()
        );
    }
    if s.loses_money() {
        let _ = writeln!(out, "\nATTENZIONE: presentando oggi il progetto perderebbe contributo (esclusioni, massimali o revoca).");
    }
    out
}
