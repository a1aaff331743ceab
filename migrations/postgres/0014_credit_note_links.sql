-- Decision 3 of domain.md: a credit note may name the invoice it corrects (an expense of the same
-- project and supplier) and then follows it: its category, its entity, its exclusion. Credit notes
-- recorded before stay unlinked (they count on their own, with a warning). Removing the invoice
-- leaves the credit note unlinked.
ALTER TABLE expenses ADD COLUMN corrects_expense_id BIGINT REFERENCES expenses(id) ON DELETE SET NULL;
CREATE INDEX expenses_corrects ON expenses (corrects_expense_id);
