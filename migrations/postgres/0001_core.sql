-- Core schema: calls, projects, entities, expenses. Money is integer cents, shares are basis
-- points (0.70 = 7000), dates are ISO text; SQLite and PostgreSQL schemas mirror each other.

CREATE TABLE calls (
    id                              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                            TEXT NOT NULL,
    funder                          TEXT NOT NULL,
    act                             TEXT NOT NULL,
    contribution_rate_bp            BIGINT NOT NULL CHECK (contribution_rate_bp BETWEEN 0 AND 10000),
    max_contribution_cents          BIGINT CHECK (max_contribution_cents >= 0),
    eligibility_start               DATE NOT NULL,
    eligibility_end                 DATE NOT NULL,
    payment_deadline                DATE,
    reporting_deadline              DATE,
    current_spending_only           BOOLEAN NOT NULL,
    vat_eligible_if_not_recoverable BOOLEAN NOT NULL,
    min_realisation_share_bp        BIGINT CHECK (min_realisation_share_bp BETWEEN 0 AND 10000),
    drift_tolerance_bp              BIGINT CHECK (drift_tolerance_bp BETWEEN 0 AND 10000),
    created_at                      TIMESTAMPTZ NOT NULL
);

CREATE TABLE call_categories (
    call_id              BIGINT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    position             BIGINT NOT NULL,
    code                 TEXT NOT NULL,
    name                 TEXT NOT NULL,
    ceiling_share_bp     BIGINT CHECK (ceiling_share_bp BETWEEN 0 AND 10000),
    ceiling_amount_cents BIGINT CHECK (ceiling_amount_cents >= 0),
    PRIMARY KEY (call_id, code),
    CHECK (ceiling_share_bp IS NULL OR ceiling_amount_cents IS NULL)
);

CREATE TABLE projects (
    id                         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_id                    BIGINT NOT NULL REFERENCES calls(id),
    title                      TEXT NOT NULL,
    cup                        TEXT,
    lead_entity                TEXT NOT NULL,
    granted_contribution_cents BIGINT NOT NULL CHECK (granted_contribution_cents >= 0),
    start_date                 DATE NOT NULL,
    end_date                   DATE NOT NULL,
    version                    BIGINT NOT NULL DEFAULT 1,
    created_at                 TIMESTAMPTZ NOT NULL,
    updated_at                 TIMESTAMPTZ NOT NULL,
    CHECK (start_date <= end_date)
);

CREATE TABLE budget_lines (
    project_id    BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    position      BIGINT NOT NULL,
    category_code TEXT NOT NULL,
    amount_cents  BIGINT NOT NULL CHECK (amount_cents >= 0),
    PRIMARY KEY (project_id, category_code)
);

CREATE TABLE project_date_changes (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    field       TEXT NOT NULL CHECK (field IN ('start_date', 'end_date')),
    from_date   DATE NOT NULL,
    to_date     DATE NOT NULL,
    act         TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE entities (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    tax_code   TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (project_id, name)
);

CREATE TABLE expenses (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id           BIGINT NOT NULL REFERENCES projects(id),
    entity_id            BIGINT NOT NULL REFERENCES entities(id),
    category             TEXT,
    nature               TEXT NOT NULL CHECK (nature IN ('current', 'capital')),
    supplier_name        TEXT NOT NULL,
    supplier_vat         TEXT,
    document_type        TEXT NOT NULL CHECK (document_type IN ('invoice', 'credit_note', 'receipt', 'other')),
    document_number      TEXT NOT NULL,
    document_date        DATE NOT NULL,
    description          TEXT NOT NULL,
    net_cents            BIGINT NOT NULL CHECK (net_cents >= 0),
    vat_cents            BIGINT NOT NULL CHECK (vat_cents >= 0),
    claimed_cents        BIGINT NOT NULL CHECK (claimed_cents > 0 AND claimed_cents <= net_cents + vat_cents),
    vat_recoverable      BOOLEAN NOT NULL,
    cig                  TEXT,
    cup                  TEXT,
    commitment_act       TEXT,
    liquidation_act      TEXT,
    payment_order_number TEXT,
    payment_order_date   DATE,
    payment_date         DATE,
    status               TEXT NOT NULL CHECK (status IN ('draft', 'ready', 'verified', 'rejected', 'included')),
    search_text          TEXT NOT NULL,
    version              BIGINT NOT NULL DEFAULT 1,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL
);

CREATE INDEX expenses_by_project ON expenses (project_id, id);
CREATE INDEX expenses_by_document ON expenses (project_id, supplier_vat, document_number, document_date);
CREATE INDEX expenses_by_entity ON expenses (entity_id);
