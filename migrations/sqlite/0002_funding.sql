-- Budget variations (rimodulazioni), extensions (proroghe), milestones and tranches received.

CREATE TABLE budget_variations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    act        TEXT NOT NULL,
    date       DATE NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'rejected')),
    version    INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE budget_variation_changes (
    variation_id  INTEGER NOT NULL REFERENCES budget_variations(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    category_code TEXT NOT NULL,
    amount_cents  INTEGER NOT NULL,
    PRIMARY KEY (variation_id, category_code)
);

CREATE TABLE project_extensions (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id         INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    act                TEXT NOT NULL,
    date               DATE NOT NULL,
    end_date           DATE,
    payment_deadline   DATE,
    reporting_deadline DATE,
    created_at         TIMESTAMPTZ NOT NULL,
    CHECK (end_date IS NOT NULL OR payment_deadline IS NOT NULL OR reporting_deadline IS NOT NULL)
);

CREATE TABLE milestones (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    due_date   DATE NOT NULL,
    done       BOOLEAN NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE tranches (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id   INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    date         DATE NOT NULL,
    act          TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('advance', 'balance')),
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE INDEX expenses_by_supplier_document ON expenses (supplier_vat, document_number, document_date);

-- The expense list sorts by document date more than by anything else.
CREATE INDEX expenses_by_project_date ON expenses (project_id, document_date);

-- Bumped in the same transaction as every change to a project's expenses, so any instance can tell
-- whether the expenses it holds in memory are still current.
ALTER TABLE projects ADD COLUMN expenses_revision INTEGER NOT NULL DEFAULT 0;
