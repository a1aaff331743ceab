-- Issue 19: commitments (impegni) — what a determina commits of a budget line, against which the
-- expenses are then invoiced and paid — and the calendar tokens of the combined deadlines feed.
CREATE TABLE commitments (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id            BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    entity_id             BIGINT NOT NULL REFERENCES entities(id),
    category              TEXT NOT NULL,
    nature                TEXT NOT NULL CHECK (nature IN ('current', 'capital')),
    supplier_name         TEXT,
    supplier_vat          TEXT,
    act                   TEXT NOT NULL,
    act_date              DATE NOT NULL,
    cig                   TEXT,
    amount_cents          BIGINT NOT NULL CHECK (amount_cents > 0),
    expected_invoice_date DATE,
    expected_payment_date DATE,
    version               BIGINT NOT NULL DEFAULT 1,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX commitments_by_project ON commitments (project_id, id);

ALTER TABLE expenses ADD COLUMN commitment_id BIGINT REFERENCES commitments(id) ON DELETE SET NULL;
CREATE INDEX expenses_by_commitment ON expenses (commitment_id);

-- The parts of one supplier document are found by number and date (decision 2 compares supplier
-- identities in the service, VAT number or name): the index by VAT number first could not serve
-- that lookup, so every insert scanned the project's expenses — 100,000 took 118 s instead of 14.
CREATE INDEX expenses_by_number ON expenses (project_id, document_number, document_date);

-- The free-text acts recorded so far become commitments where they end in a real date
-- ("Determina n. 303 del 07/09/2020"): one per project, act, entity, category and nature, for what
-- its expenses claim (credit notes subtract), so each is fully drawn. Other texts stay as they are.
CREATE TEMPORARY TABLE adopted AS
SELECT project_id, entity_id, category, nature, commitment_act AS act,
       substr(trim(commitment_act), -4, 4) || '-' || substr(trim(commitment_act), -7, 2) || '-' ||
       substr(trim(commitment_act), -10, 2) AS act_date,
       SUM(CASE document_type WHEN 'credit_note' THEN -claimed_cents ELSE claimed_cents END) AS amount_cents,
       MIN(created_at) AS created_at
FROM expenses
WHERE commitment_act IS NOT NULL AND category IS NOT NULL
  AND trim(commitment_act) GLOB '*[0-3][0-9]/[01][0-9]/[12][0-9][0-9][0-9]'
GROUP BY project_id, entity_id, category, nature, commitment_act;

INSERT INTO commitments (project_id, entity_id, category, nature, act, act_date, amount_cents,
    version, created_at, updated_at)
SELECT project_id, entity_id, category, nature, act, act_date, amount_cents, 1, created_at, created_at
FROM adopted
WHERE amount_cents > 0 AND date(act_date) IS NOT NULL AND date(act_date) = act_date
ORDER BY project_id, act, entity_id, category, nature;

UPDATE expenses SET commitment_id = (
    SELECT c.id FROM commitments c
    WHERE c.project_id = expenses.project_id AND c.entity_id = expenses.entity_id
      AND c.category = expenses.category AND c.nature = expenses.nature
      AND c.act = expenses.commitment_act)
WHERE commitment_act IS NOT NULL AND category IS NOT NULL;

DROP TABLE adopted;

-- A personal token for the combined deadlines calendar (calendar clients cannot send headers):
-- one per user, replaced when a new one is made, and good for nothing else.
CREATE TABLE calendar_tokens (
    user_id    BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);
