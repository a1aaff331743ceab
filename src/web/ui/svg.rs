//! Small charts drawn on the server as SVG: no script, readable by screen readers through their
//! titles, and printable. Text is escaped like everything else the pages show.

use crate::domain::Money;
use rust_decimal::Decimal;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Width in pixels of `value` on a scale where `max` fills `full` (integer arithmetic on cents: no
/// float touches an amount).
fn width(value: Money, max: Money, full: i64) -> i64 {
    if max.cents() <= 0 || value.cents() <= 0 {
        return 0;
    }
    (value.cents().min(max.cents()) * full) / max.cents()
}

pub struct CategoryBars<'a> {
    pub name: &'a str,
    pub approved: Money,
    pub eligible: Money,
    pub recognised: Money,
}

/// Approved, eligible and recognised per category as grouped horizontal bars.
pub fn category_bars(rows: &[CategoryBars<'_>]) -> String {
    const LABEL: i64 = 200;
    const FULL: i64 = 360;
    const BAR: i64 = 14;
    const GROUP: i64 = 3 * BAR + 30;
    let max = rows
        .iter()
        .flat_map(|r| [r.approved, r.eligible, r.recognised])
        .max()
        .unwrap_or_default();
    let height = GROUP * i64::try_from(rows.len()).unwrap_or(0) + 30;
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" aria-labelledby=\"bars-title\" viewBox=\"0 0 {} {height}\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"bars-title\">Approvato, ammissibile e riconosciuto per categoria</title>",
        LABEL + FULL + 240
    );
    for (i, r) in rows.iter().enumerate() {
        let top = GROUP * i64::try_from(i).unwrap_or(0) + 10;
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{}\" class=\"label\">{}</text>",
            top + BAR + 4,
            escape(r.name)
        ));
        for (j, (what, value, class)) in [
            ("Approvato", r.approved, "approved"),
            ("Ammissibile", r.eligible, "eligible"),
            ("Riconosciuto", r.recognised, "recognised"),
        ]
        .into_iter()
        .enumerate()
        {
            let y = top + i64::try_from(j).unwrap_or(0) * (BAR + 2);
            let w = width(value, max, FULL);
            svg.push_str(&format!(
                "<rect x=\"{LABEL}\" y=\"{y}\" width=\"{w}\" height=\"{BAR}\" class=\"{class}\"><title>{what}: {}</title></rect>\
                 <text x=\"{}\" y=\"{}\" class=\"value\">{what} {}</text>",
                escape(&value.italian()),
                LABEL + w + 6,
                y + BAR - 3,
                escape(&value.italian())
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

/// A gauge from 0 to `full`: the part `value`, and a mark at `threshold` when there is one.
pub fn gauge(title: &str, value: Money, full: Money, threshold: Option<Money>) -> String {
    const W: i64 = 560;
    let fill = width(value, full, W);
    let mut svg = format!(
        "<svg class=\"gauge\" role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {W} 34\" xmlns=\"http://www.w3.org/2000/svg\">\
         <rect x=\"0\" y=\"8\" width=\"{W}\" height=\"16\" class=\"track\"/>\
         <rect x=\"0\" y=\"8\" width=\"{fill}\" height=\"16\" class=\"fill\"/>",
        escape(title)
    );
    if let Some(t) = threshold {
        let x = width(t, full, W);
        svg.push_str(&format!(
            "<line x1=\"{x}\" y1=\"2\" x2=\"{x}\" y2=\"30\" class=\"threshold\"><title>Soglia di revoca: {}</title></line>",
            escape(&t.italian())
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// A share as `61,25 %`.
pub fn percent(share: Decimal) -> String {
    let p = (share * Decimal::from(100)).round_dp(2);
    format!("{} %", p.to_string().replace('.', ","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_value_and_escape_names() {
        let m = |s: &str| s.parse::<Money>().unwrap_or_default();
        let svg = category_bars(&[CategoryBars {
            name: "<b>Formazione</b>",
            approved: m("100.00"),
            eligible: m("50.00"),
            recognised: m("0.00"),
        }]);
        assert!(svg.contains("width=\"360\" height=\"14\" class=\"approved\""));
        assert!(svg.contains("width=\"180\" height=\"14\" class=\"eligible\""));
        assert!(svg.contains("&lt;b&gt;Formazione"));
        assert!(!svg.contains("<b>"));
    }

    #[test]
    fn a_gauge_marks_the_threshold() {
        let m = |s: &str| s.parse::<Money>().unwrap_or_default();
        let svg = gauge("x", m("50.00"), m("100.00"), Some(m("25.00")));
        assert!(svg.contains("width=\"280\""));
        assert!(svg.contains("x1=\"140\""));
        assert_eq!(percent(Decimal::new(6125, 4)), "61,25 %");
    }
}
