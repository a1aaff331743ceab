//! The project's deadlines as an iCalendar feed (all-day events), for Outlook or Thunderbird:
//! written here beside the XLSX, PDF and CSV.

use icalendar::{Calendar, Component, Event, EventLike};

use crate::domain::snapshot::Snapshot;

pub fn deadlines(snap: &Snapshot) -> String {
    let mut calendar = Calendar::new();
    calendar.name(&format!("Scadenze – {}", snap.project.data.title));
    push_events(&mut calendar, snap);
    calendar.done().to_string()
}

/// One feed of the deadlines of several projects (a user's portfolio); each event keeps the UID
/// it has in its project's own feed.
pub fn deadlines_of_all(snaps: &[Snapshot]) -> String {
    let mut calendar = Calendar::new();
    calendar.name("Scadenze dei progetti – rendiconta");
    for snap in snaps {
        push_events(&mut calendar, snap);
    }
    calendar.done().to_string()
}

fn push_events(calendar: &mut Calendar, snap: &Snapshot) {
    let project = &snap.project;
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
}
