//! The project's deadlines as an iCalendar feed (all-day events), for Outlook or Thunderbird:
//! written here beside the XLSX, PDF and CSV.

use icalendar::{Calendar, Component, Event, EventLike};

use crate::domain::snapshot::Snapshot;

pub fn deadlines(snap: &Snapshot) -> String {
    let project = &snap.project;
    let mut calendar = Calendar::new();
    calendar.name(&format!("Scadenze – {}", project.data.title));
    for d in &snap.deadlines {
        // Stable across edits, so calendars update an event instead of duplicating it.
        let slug: String = crate::domain::text::fold(&d.name)
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let event = Event::new()
            .uid(&format!("progetto-{}-{slug}@rendiconta", project.id))
            .summary(&format!("{} – {}", d.name, project.data.title))
            .description(&format!(
                "Progetto «{}» ({}), bando {}",
                project.data.title, snap.call.funder, snap.call.act
            ))
            .all_day(d.date)
            .timestamp(project.updated_at)
            .done();
        calendar.push(event);
    }
    calendar.done().to_string()
}
