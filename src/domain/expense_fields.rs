//! An expense as text fields — a JSON body, a form, a CSV row all give it so — and the one parser
//! that turns them into the domain's expense data, every wrong field named with its reason.

use super::fields;
use super::money::MoneyError;
use super::{
    Amounts, Cig, Cup, Document, DocumentType, EntityId, ExpenseData, FieldError, Money, Nature,
    Payment, TaxId, Violations,
};

/// How amounts are typed: as the API writes them (`1234.56`), or the Italian way a person types
/// them in a form (`1.234,56`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    Api,
    Italian,
}

impl Locale {
    fn amount(
        self,
        v: &mut Violations,
        field: &str,
        raw: Option<&str>,
        required: bool,
    ) -> Option<Money> {
        match self {
            Locale::Api if required => fields::required_amount(v, field, raw),
            Locale::Api => fields::amount(v, field, raw),
            Locale::Italian => {
                let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
                    if required {
                        v.required(field);
                    }
                    return None;
                };
                match Money::parse_typed(raw) {
                    Ok(m) => Some(m),
                    Err(e) => {
                        // Said in the form's terms: amounts are typed the Italian way there.
                        let message = match e {
                            MoneyError::NotANumber => {
                                "non è un importo valido (scrivere ad esempio 1.234,56)"
                            }
                            other => other.message_it(),
                        };
                        v.add(field, e.code(), message);
                        None
                    }
                }
            }
        }
    }
}

/// The fields of an expense as text, each optional; `vat_recoverable` is a yes or no.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpenseFields {
    pub entity_id: Option<String>,
    pub category: Option<String>,
    pub nature: Option<String>,
    pub supplier_name: Option<String>,
    pub supplier_vat: Option<String>,
    pub document_type: Option<String>,
    pub document_number: Option<String>,
    pub document_date: Option<String>,
    pub description: Option<String>,
    pub net_amount: Option<String>,
    pub vat_amount: Option<String>,
    pub vat_recoverable: Option<bool>,
    pub claimed_amount: Option<String>,
    pub cig: Option<String>,
    pub cup: Option<String>,
    pub commitment_act: Option<String>,
    pub liquidation_act: Option<String>,
    pub payment_order_number: Option<String>,
    pub payment_order_date: Option<String>,
    pub payment_date: Option<String>,
    /// For a credit note: the id of the invoice it corrects.
    pub corrects_expense_id: Option<String>,
    /// The recorded commitment the expense draws on.
    pub commitment_id: Option<String>,
}

impl ExpenseFields {
    /// Sets a text field by its API name; `false` for a name that is not one (the caller says
    /// what to do with it). `vat_recoverable` takes `true` or `false`.
    pub fn set(&mut self, name: &str, value: String) -> bool {
        let slot = match name {
            "entity_id" => &mut self.entity_id,
            "category" => &mut self.category,
            "nature" => &mut self.nature,
            "supplier_name" => &mut self.supplier_name,
            "supplier_vat" => &mut self.supplier_vat,
            "document_type" => &mut self.document_type,
            "document_number" => &mut self.document_number,
            "document_date" => &mut self.document_date,
            "description" => &mut self.description,
            "net_amount" => &mut self.net_amount,
            "vat_amount" => &mut self.vat_amount,
            "claimed_amount" => &mut self.claimed_amount,
            "cig" => &mut self.cig,
            "cup" => &mut self.cup,
            "commitment_act" => &mut self.commitment_act,
            "liquidation_act" => &mut self.liquidation_act,
            "payment_order_number" => &mut self.payment_order_number,
            "payment_order_date" => &mut self.payment_order_date,
            "payment_date" => &mut self.payment_date,
            "corrects_expense_id" => &mut self.corrects_expense_id,
            "commitment_id" => &mut self.commitment_id,
            "vat_recoverable" => {
                self.vat_recoverable = Some(value == "true");
                return true;
            }
            _ => return false,
        };
        *slot = Some(value);
        true
    }
}

impl ExpenseFields {
    /// The expense the fields describe, or every field's error at once. `locale` says how
    /// amounts are typed.
    pub fn parse(&self, locale: Locale) -> Result<ExpenseData, Vec<FieldError>> {
        let input = self;
        let mut v = Violations::new();
        let entity = v.need("entity_id", input.entity_id.as_deref());
        let entity_id: Option<EntityId> = fields::id(&mut v, "entity_id", entity);
        let category = fields::category(&mut v, "category", input.category.as_deref());
        let nature = match input.nature.as_deref() {
            None => Some(Nature::Current),
            raw => fields::choice(&mut v, "nature", raw, Nature::parse, &Nature::choices()),
        };
        let supplier_name =
            fields::required_text(&mut v, "supplier_name", input.supplier_name.as_deref(), 300);
        let supplier_vat = fields::code(
            &mut v,
            "supplier_vat",
            "supplier_vat",
            "Partita IVA del fornitore",
            input.supplier_vat.as_deref(),
            TaxId::parse,
        );
        let kind = v.need("document_type", input.document_type.as_deref());
        let kind = fields::choice(
            &mut v,
            "document_type",
            kind,
            DocumentType::parse,
            &DocumentType::choices(),
        );
        let number = fields::required_text(
            &mut v,
            "document_number",
            input.document_number.as_deref(),
            100,
        );
        let date = fields::required_date(&mut v, "document_date", input.document_date.as_deref());
        let description = fields::text(&mut v, "description", input.description.as_deref(), 2000)
            .unwrap_or_default();
        let net = locale.amount(&mut v, "net_amount", input.net_amount.as_deref(), true);
        let vat = locale.amount(&mut v, "vat_amount", input.vat_amount.as_deref(), true);
        let claimed = locale.amount(
            &mut v,
            "claimed_amount",
            input.claimed_amount.as_deref(),
            false,
        );
        let amounts = match (net, vat) {
            (Some(net), Some(vat)) => match Amounts::new(net, vat, claimed) {
                Ok(a) => Some(a),
                Err(e) => {
                    Amounts::report(e, &mut v);
                    None
                }
            },
            _ => None,
        };
        let cig = fields::code(
            &mut v,
            "cig",
            "cig",
            "CIG (10 caratteri)",
            input.cig.as_deref(),
            Cig::parse,
        );
        let cup = fields::code(
            &mut v,
            "cup",
            "cup",
            "CUP (15 caratteri)",
            input.cup.as_deref(),
            Cup::parse,
        );
        let payment = self.payment(&mut v);
        let payment_for_checks = payment.clone();
        let corrects = self.corrects(kind, &mut v);
        let data = (|| {
            Some(ExpenseData {
                entity_id: entity_id?,
                category,
                nature: nature?,
                document: Document {
                    supplier_name: supplier_name?,
                    supplier_vat,
                    kind: kind?,
                    number: number?,
                    date: date?,
                },
                description,
                amounts: amounts?,
                vat_recoverable: input.vat_recoverable.unwrap_or(false),
                cig,
                cup,
                payment,
                corrects,
            })
        })();
        // Every error in one round: the date order is checked on the dates that could be read,
        // whatever else is wrong.
        if let Some(d) = &data {
            d.check_dates(&mut v);
        } else {
            super::expense::check_date_order(date, &payment_for_checks, &mut v);
        }
        v.finish(|| data)
    }

    /// The invoice a credit note corrects: an expense id, and only on a credit note.
    fn corrects(&self, kind: Option<DocumentType>, v: &mut Violations) -> Option<super::ExpenseId> {
        let raw = self
            .corrects_expense_id
            .as_deref()
            .map(str::trim)
            .filter(|raw| !raw.is_empty())?;
        let Ok(id) = raw.parse::<super::ExpenseId>() else {
            v.add(
                "corrects_expense_id",
                "invalid_id",
                "non è l'identificativo di una spesa",
            );
            return None;
        };
        if kind.is_some_and(|k| k != DocumentType::CreditNote) {
            v.add(
                "corrects_expense_id",
                "not_a_credit_note",
                "solo una nota di credito può rettificare una fattura",
            );
        }
        Some(id)
    }

    /// The acts and the payment: all optional, each checked.
    fn payment(&self, v: &mut Violations) -> Payment {
        Payment {
            commitment_act: fields::text(v, "commitment_act", self.commitment_act.as_deref(), 300),
            commitment_id: fields::id(
                v,
                "commitment_id",
                self.commitment_id
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty()),
            ),
            liquidation_act: fields::text(
                v,
                "liquidation_act",
                self.liquidation_act.as_deref(),
                300,
            ),
            order_number: fields::text(
                v,
                "payment_order_number",
                self.payment_order_number.as_deref(),
                100,
            ),
            order_date: fields::date(v, "payment_order_date", self.payment_order_date.as_deref()),
            paid_on: fields::date(v, "payment_date", self.payment_date.as_deref()),
        }
    }
}
