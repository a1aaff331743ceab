//! The demo's evidence: for some expenses, the payment order (mandato) and its receipt
//! (quietanza) as one-page PDFs that say what they are, so that a demo submission's evidence pack
//! holds files as a real one does.

use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Document, Object, Stream};

use crate::domain::access::Actor;
use crate::domain::attachment::AttachmentKind;
use crate::domain::text::italian_date;
use crate::domain::Expense;
use crate::services::{attachments, App, ServiceError};

/// Attaches a mandato and a quietanza to `expense`, from its payment details.
pub(super) async fn attach(app: &App, who: &Actor, expense: &Expense) -> Result<(), ServiceError> {
    let d = &expense.data;
    let (Some(number), Some(ordered), Some(paid)) = (
        d.payment.order_number.as_deref(),
        d.payment.order_date,
        d.payment.paid_on,
    ) else {
        return Ok(());
    };
    let amount = d.amounts.total().italian();
    let document = format!(
        "{} n. {} del {}",
        d.document.kind.italian(),
        d.document.number,
        italian_date(d.document.date)
    );
    let files = [
        (
            AttachmentKind::PaymentOrder,
            format!("mandato_{number}.pdf"),
            vec![
                format!(
                    "MANDATO DI PAGAMENTO N. {number} DEL {}",
                    italian_date(ordered)
                ),
                format!("Beneficiario: {}", d.document.supplier_name),
                format!("Importo: {amount}"),
                format!("Causale: {document} – {}", d.description),
            ],
        ),
        (
            AttachmentKind::Receipt,
            format!("quietanza_{number}.pdf"),
            vec![
                "QUIETANZA DEL TESORIERE".to_owned(),
                format!("Mandato n. {number} pagato il {}", italian_date(paid)),
                format!("Beneficiario: {}", d.document.supplier_name),
                format!("Importo: {amount}"),
            ],
        ),
    ];
    for (kind, name, lines) in files {
        let pdf = one_page_pdf(&lines)
            .map_err(|_| ServiceError::Report(crate::reports::ReportError::Pdf("demo evidence")))?;
        attachments::upload(app, who, expense.id, kind, &name, pdf).await?;
    }
    Ok(())
}

/// A one-page A4 PDF showing `lines` in Helvetica (WinAnsi: the accented letters Italian needs).
fn one_page_pdf(lines: &[String]) -> Result<Vec<u8>, lopdf::Error> {
    let mut doc = Document::with_version("1.4");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let mut operations = vec![
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec!["F1".into(), 12.into()]),
        Operation::new("TL", vec![18.into()]),
        Operation::new("Td", vec![60.into(), 760.into()]),
    ];
    for line in lines {
        operations.push(Operation::new(
            "'",
            vec![Object::String(win_ansi(line), lopdf::StringFormat::Literal)],
        ));
    }
    operations.push(Operation::new("ET", vec![]));
    let content = Content { operations }.encode()?;
    let content_id = doc.add_object(Stream::new(dictionary! {}, content));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content_id,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font_id } },
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => vec![page_id.into()],
            "Count" => 1,
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes)?;
    Ok(bytes)
}

/// Latin-1 covers the Italian letters; anything else (the en dash, €) is written plainly.
fn win_ansi(s: &str) -> Vec<u8> {
    s.chars()
        .flat_map(|c| match c {
            '–' | '—' => vec![b'-'],
            '€' => vec![0x80],
            c if u32::from(c) < 256 => vec![c as u8],
            _ => vec![b'?'],
        })
        .collect()
}
