//! What a list asks for and gets back: a page, a sort order over whitelisted fields, the expense
//! filter and the totals under a table. Plain data, shared by the web layer that reads them from a
//! query string, the services that pass them on and the storage that turns them into SQL.

use chrono::NaiveDate;

use super::{EntityId, ExpenseStatus, Money};

/// A page request, already bounded by the caller (the web layer checks `page` and `per_page`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub per_page: u32,
}

impl PageRequest {
    pub fn offset(self) -> i64 {
        i64::from(self.page.saturating_sub(1)) * i64::from(self.per_page)
    }
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// A sort order that can only name whitelisted columns, so a `sort` parameter never reaches SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort<F> {
    pub field: F,
    pub descending: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpenseSortField {
    Id,
    DocumentDate,
    PaymentDate,
    SupplierName,
    NetAmount,
    ClaimedAmount,
    Category,
    Status,
}

impl ExpenseSortField {
    pub const NAMES: &'static [(&'static str, ExpenseSortField)] = &[
        ("id", ExpenseSortField::Id),
        ("document_date", ExpenseSortField::DocumentDate),
        ("payment_date", ExpenseSortField::PaymentDate),
        ("supplier_name", ExpenseSortField::SupplierName),
        ("net_amount", ExpenseSortField::NetAmount),
        ("claimed_amount", ExpenseSortField::ClaimedAmount),
        ("category", ExpenseSortField::Category),
        ("status", ExpenseSortField::Status),
    ];
}

#[derive(Debug, Clone, Default)]
pub struct ExpenseFilter {
    pub entity: Option<EntityId>,
    pub category: Option<String>,
    pub status: Option<ExpenseStatus>,
    pub date_from: Option<NaiveDate>,
    pub date_to: Option<NaiveDate>,
    /// Already folded with [`crate::domain::text::fold`].
    pub text: Option<String>,
}

/// Sums of the rows a filter selects (all pages), for the totals under a table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpenseTotals {
    pub net: Money,
    pub vat: Money,
    pub claimed: Money,
}
