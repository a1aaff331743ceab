//! The expense table of the rendiconto, from the template's columns: those the PDF shows as columns
//! get widths that fill the frame exactly (amounts, dates and numbers as wide as their values,
//! text columns sharing the rest in the template's proportions, wrapping as they need); the
//! payment details go on a line under each row. Nothing is cut.

use super::face::Face;
use super::layout::{col, Align, Column, Weight, Writer, TABLE_SIZE};
use crate::domain::{ExpenseStatus, Money};
use crate::reports::columns::details_line;
use crate::reports::model::{Line, ReportModel, Section};
use crate::reports::template::{Column as TemplateColumn, Field, Format, PdfPlace};

/// Room either side of a cell's text.
const PADDING: f32 = 8.0;
/// A word longer than this (an IBAN, a long code) is broken rather than widen its column.
const MAX_WORD: f32 = 90.0;

pub(super) struct ExpenseTable<'t> {
    /// Every column of the template, for the details line.
    all: &'t [TemplateColumn],
    /// Those shown as columns, in order.
    shown: Vec<&'t TemplateColumn>,
    widths: Vec<f32>,
    /// Each amount column's sum over every row, in order, as printed (the grand total row).
    grand_totals: Vec<String>,
    /// Where a total row writes its label: the last text column before the first amount.
    label_at: usize,
}

impl<'t> ExpenseTable<'t> {
    pub(super) fn new(w: &Writer, model: &'t ReportModel<'_>) -> ExpenseTable<'t> {
        let all = model.template.columns.as_slice();
        let shown: Vec<&TemplateColumn> = all
            .iter()
            .filter(|c| c.pdf_place() == PdfPlace::Column)
            .collect();
        let rows = model.sections.iter().map(|s| s.lines.len()).sum::<usize>();
        let longest = longest_words(&w.regular, &shown, model);
        let frame = w.paper.frame_w();
        // The grand totals: the widest figures an amount column holds, and its last row.
        let totals = amount_sums(&shown, model.sections.iter().flat_map(|s| s.lines.iter()));
        let widths = widths(&w.regular, &w.bold, frame, &shown, &longest, rows, &totals);
        let first_amount = shown
            .iter()
            .position(|c| c.format == Format::Euro)
            .unwrap_or(shown.len());
        let label_at = shown[..first_amount]
            .iter()
            .rposition(|c| c.format == Format::Text)
            .unwrap_or(0);
        ExpenseTable {
            all,
            shown,
            widths,
            grand_totals: totals,
            label_at,
        }
    }

    pub(super) fn columns(&self) -> Vec<Column> {
        self.shown
            .iter()
            .zip(&self.widths)
            .map(|(c, &width)| {
                let align = match c.format {
                    Format::Euro | Format::Integer => Align::Right,
                    Format::Text | Format::Date => Align::Left,
                };
                col(&c.header, width, align)
            })
            .collect()
    }

    /// A row's cells and its details line. The number of an expense the finance office has not
    /// verified carries `*` (a draft counts them, and says which they are).
    fn row(&self, l: &Line<'_>) -> (Vec<String>, String) {
        let unverified = !matches!(
            l.expense.status,
            ExpenseStatus::Verified | ExpenseStatus::Included
        );
        let cells = self
            .shown
            .iter()
            .map(|c| match c.field {
                Field::Row if unverified => format!("{}*", l.row),
                field => field.text(l),
            })
            .collect();
        (cells, details_line(self.all, l))
    }

    /// A bold row, labelled, with `sums` (one per amount column, in order) under the amounts.
    fn totals_row(&self, label: &str, mut sums: impl Iterator<Item = String>) -> Vec<String> {
        self.shown
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == self.label_at {
                    label.to_owned()
                } else if c.format == Format::Euro {
                    sums.next().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .collect()
    }

    /// Every category's table, its total, and the total of all of them.
    pub(super) fn write(&self, w: &mut Writer, sections: &[Section<'_>]) {
        for section in sections {
            w.captioned_table(section.name, self.columns());
            for l in &section.lines {
                let (cells, details) = self.row(l);
                w.row_with_details(&cells, &details, Weight::Regular);
            }
            let total = format!("Totale {}", section.name);
            let sums = amount_sums(&self.shown, section.lines.iter());
            w.row(&self.totals_row(&total, sums.into_iter()), Weight::Bold);
            w.end_table();
        }
        if sections.len() > 1 {
            w.y += 6.0;
            w.resume_table(self.columns());
            let grand = self.grand_totals.iter().cloned();
            w.row(&self.totals_row("Totale complessivo", grand), Weight::Bold);
            w.end_table();
        }
    }
}

/// Each amount column's sum over `lines`, as printed.
fn amount_sums<'l>(
    shown: &[&TemplateColumn],
    lines: impl Iterator<Item = &'l Line<'l>> + Clone,
) -> Vec<String> {
    shown
        .iter()
        .filter(|c| c.format == Format::Euro)
        .map(|c| {
            lines
                .clone()
                .filter_map(|l| c.field.amount(l))
                .sum::<Money>()
                .italian()
        })
        .collect()
}

/// The widest word among each text column's values (0 for other columns), measured where they
/// are stored (no copy: a 100,000-row table measures every word of every row).
fn longest_words(face: &Face, shown: &[&TemplateColumn], model: &ReportModel<'_>) -> Vec<f32> {
    shown
        .iter()
        .map(|c| {
            if c.format != Format::Text {
                return 0.0;
            }
            model
                .sections
                .iter()
                .flat_map(|s| s.lines.iter())
                .filter_map(|l| c.field.borrowed(l))
                .flat_map(str::split_whitespace)
                .map(|word| face.width(word, TABLE_SIZE))
                .fold(0.0, f32::max)
        })
        .collect()
}

/// Column widths that add up to the frame: each fixed-format column as wide as its widest value
/// or header word, the text columns sharing what is left in the template's proportions.
fn widths(
    regular: &Face,
    bold: &Face,
    frame: f32,
    shown: &[&TemplateColumn],
    longest: &[f32],
    rows: usize,
    totals: &[String],
) -> Vec<f32> {
    let widest_word = |header: &str| {
        header
            .split_whitespace()
            .map(|word| bold.width(word, TABLE_SIZE))
            .fold(0.0, f32::max)
    };
    let widest_total = totals
        .iter()
        .map(|t| bold.width(t, TABLE_SIZE))
        .fold(regular.width("-999.999,99 €", TABLE_SIZE), f32::max);
    let fixed: Vec<Option<f32>> = shown
        .iter()
        .map(|c| {
            let value = match c.format {
                Format::Text => return None,
                Format::Euro => widest_total,
                Format::Date => regular.width("31/12/2020", TABLE_SIZE),
                Format::Integer => regular.width(&format!("{rows}*"), TABLE_SIZE),
            };
            Some(value.max(widest_word(&c.header)) + PADDING)
        })
        .collect();
    // Each text column at least as wide as its longest word (header or value, so that a word is
    // broken only when no width would hold it), then what is left shared in the template's
    // proportions; when the minimums do not fit, they shrink in proportion.
    let used: f32 = fixed.iter().flatten().sum();
    let minimum: Vec<f32> = shown
        .iter()
        .zip(longest)
        .map(|(c, &l)| widest_word(&c.header).max(l).min(MAX_WORD) + PADDING)
        .collect();
    let is_text = |i: usize| fixed[i].is_none();
    let shares: f32 = (0..shown.len())
        .filter(|&i| is_text(i))
        .map(|i| f32::from(shown[i].width.max(1)))
        .sum();
    let minimums: f32 = (0..shown.len())
        .filter(|&i| is_text(i))
        .map(|i| minimum[i])
        .sum();
    let room = (frame - used).max(0.0);
    let (scale, left) = if minimums > room {
        (room / minimums, 0.0)
    } else {
        (1.0, room - minimums)
    };
    (0..shown.len())
        .map(|i| {
            fixed[i].unwrap_or_else(|| {
                minimum[i] * scale + left * f32::from(shown[i].width.max(1)) / shares.max(1.0)
            })
        })
        .collect()
}
