//! Report templates as data: `report-templates/<name>/template.toml` says which documents exist,
//! the columns of the expense table (field, Italian header, width, format) and the fixed texts,
//! written with minijinja placeholders. A finance officer edits them without recompiling; a broken
//! template is refused with the file, the place and the problem.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use minijinja::Environment;
use serde::Deserialize;

use super::ReportError;

/// A field of an expense a column can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Row,
    Entity,
    Category,
    Nature,
    SupplierName,
    SupplierVat,
    DocumentType,
    DocumentNumber,
    DocumentDate,
    Description,
    NetAmount,
    VatAmount,
    TotalAmount,
    ClaimedAmount,
    EligibleAmount,
    Cig,
    Cup,
    CommitmentAct,
    LiquidationAct,
    PaymentOrderNumber,
    PaymentOrderDate,
    PaymentDate,
    Status,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Text,
    Integer,
    Date,
    Euro,
}

/// Where the PDF shows a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PdfPlace {
    /// A column of the expense table.
    Column,
    /// The line of payment details under the row: "P. IVA … · CIG … · Mandato n. … del …".
    Detail,
    /// Not in the PDF (the category is the table's own caption).
    Omit,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    pub field: Field,
    pub header: String,
    /// In the workbook, characters; in the PDF, the share of the width left to text columns.
    pub width: u16,
    pub format: Format,
    /// Where the PDF shows it (`column`, `detail`, `omit`); the field's default when absent.
    #[serde(default)]
    pub pdf: Option<PdfPlace>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateFile {
    name: String,
    documents: Vec<String>,
    texts: BTreeMap<String, String>,
    expense_columns: Vec<Column>,
}

/// The texts every template must define.
const REQUIRED_TEXTS: &[&str] = &[
    "title",
    "funder_line",
    "act_line",
    "project_line",
    "beneficiary_line",
    "as_of_line",
    "declaration",
    "signature",
];

/// A loaded, checked template.
#[derive(Debug)]
pub struct Template {
    pub key: String,
    pub name: String,
    pub documents: Vec<String>,
    pub columns: Vec<Column>,
    file: PathBuf,
    env: Environment<'static>,
}

/// Where templates are read from: `RENDICONTA_TEMPLATES`, else `report-templates` in the working
/// directory, else the folder shipped with the sources.
pub fn templates_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("RENDICONTA_TEMPLATES") {
        return PathBuf::from(dir);
    }
    let local = PathBuf::from("report-templates");
    if local.is_dir() {
        return local;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("report-templates")
}

/// Line and column (1-based) of a byte offset, for error messages.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

impl Template {
    /// Loads `<dir>/<key>/template.toml`. Only names of letters, digits, `-` and `_` are accepted,
    /// so a name can never reach outside the folder.
    pub fn load(dir: &Path, key: &str) -> Result<Template, ReportError> {
        let valid = !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(ReportError::UnknownTemplate(key.to_owned()));
        }
        let file = dir.join(key).join("template.toml");
        let text = std::fs::read_to_string(&file)
            .map_err(|_| ReportError::UnknownTemplate(key.to_owned()))?;
        Template::parse(key, &file, &text)
    }

    pub fn parse(key: &str, file: &Path, text: &str) -> Result<Template, ReportError> {
        let broken = |place: String, problem: String| ReportError::BrokenTemplate {
            file: file.display().to_string(),
            place,
            problem,
        };
        let parsed: TemplateFile = toml::from_str(text).map_err(|e| {
            let place = e
                .span()
                .map(|s| {
                    let (line, col) = line_col(text, s.start);
                    format!("riga {line}, colonna {col}")
                })
                .unwrap_or_else(|| "inizio del file".into());
            broken(place, e.message().to_owned())
        })?;
        for required in REQUIRED_TEXTS {
            if !parsed.texts.contains_key(*required) {
                return Err(broken(
                    "[texts]".to_owned(),
                    format!("manca il testo «{required}»"),
                ));
            }
        }
        if parsed.expense_columns.is_empty() {
            return Err(broken(
                "[[expense_columns]]".into(),
                "nessuna colonna per la tabella delle spese".into(),
            ));
        }
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, body) in &parsed.texts {
            env.add_template_owned(name.clone(), body.clone())
                .map_err(|e| {
                    broken(
                        format!(
                            "[texts] {name}{}",
                            e.line()
                                .map(|l| format!(", riga {l} del testo"))
                                .unwrap_or_default()
                        ),
                        e.detail().unwrap_or("sintassi non valida").to_owned(),
                    )
                })?;
        }
        Ok(Template {
            key: key.to_owned(),
            name: parsed.name,
            documents: parsed.documents,
            columns: parsed.expense_columns,
            file: file.to_path_buf(),
            env,
        })
    }

    /// Renders every text with `context`; a placeholder that names nothing is an error that says which.
    pub fn render_texts(
        &self,
        context: &minijinja::Value,
    ) -> Result<BTreeMap<String, String>, ReportError> {
        let mut out = BTreeMap::new();
        for (name, template) in self.env.templates() {
            let text = template
                .render(context)
                .map_err(|e| ReportError::BrokenTemplate {
                    file: self.file.display().to_string(),
                    place: format!(
                        "[texts] {name}{}",
                        e.line()
                            .map(|l| format!(", riga {l} del testo"))
                            .unwrap_or_default()
                    ),
                    problem: match e.kind() {
                        minijinja::ErrorKind::UndefinedError => {
                            format!(
                                "segnaposto sconosciuto (controllare il nome fra {{{{ }}}}): {e}"
                            )
                        }
                        _ => e.detail().map_or_else(|| e.to_string(), str::to_owned),
                    },
                })?;
            out.insert(name.to_owned(), text);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped(key: &str) -> Template {
        Template::load(
            &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("report-templates"),
            key,
        )
        .expect("template")
    }

    #[test]
    fn the_shipped_templates_load() {
        for key in ["er-smart-working-2020", "generic"] {
            let t = shipped(key);
            assert!(t.columns.iter().any(|c| c.field == Field::ClaimedAmount));
            assert!(t.documents.iter().any(|d| d == "rendiconto.xlsx"));
        }
    }

    #[test]
    fn broken_templates_name_the_file_the_place_and_the_problem() {
        let file = Path::new("report-templates/x/template.toml");
        let base = std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("report-templates/generic/template.toml"),
        )
        .expect("read");
        let unknown_field = base.replacen("field = \"row\"", "field = \"rowz\"", 1);
        let message = Template::parse("x", file, &unknown_field)
            .expect_err("refused")
            .to_string();
        assert!(
            message.contains("report-templates/x/template.toml"),
            "{message}"
        );
        assert!(message.contains("riga"), "{message}");
        assert!(message.contains("rowz"), "{message}");

        let bad_syntax = base.replacen("= \"{{ call.funder }}", "= \"{{ call.funder ", 1);
        let message = Template::parse("x", file, &bad_syntax)
            .expect_err("refused")
            .to_string();
        assert!(message.contains("funder_line"), "{message}");

        let missing = base.replacen("title = ", "titolo = ", 1);
        let message = Template::parse("x", file, &missing)
            .expect_err("refused")
            .to_string();
        assert!(message.contains("title"), "{message}");

        let t = Template::parse(
            "x",
            file,
            &base.replacen("con {{ call.act }}", "con {{ call.atto }}", 1),
        )
        .expect("parses");
        let context = minijinja::context! {
            call => minijinja::context! { act => "DGR 1", funder => "R", name => "B" },
            project => minijinja::context! { title => "P", cup => "", lead_entity => "U" },
            signatory => minijinja::context! {
                name => "N", role => "R", capacity => "R", tax_code => "", place => "L",
            },
            balance_due => None::<String>,
            as_of => "31/01/2021", date => "31/01/2021",
        };
        let message = t.render_texts(&context).expect_err("undefined").to_string();
        assert!(
            message.contains("act_line") && message.contains("segnaposto sconosciuto"),
            "{message}"
        );
    }

    #[test]
    fn template_names_cannot_escape_the_folder() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("report-templates");
        assert!(matches!(
            Template::load(&dir, "../src"),
            Err(ReportError::UnknownTemplate(_))
        ));
    }
}
