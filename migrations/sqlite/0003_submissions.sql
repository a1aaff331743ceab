-- Who signs the project's declarations, and the submissions: the documents as first made, their
-- fingerprint, and the expenses each one included.

ALTER TABLE projects ADD COLUMN signatory_name TEXT;
ALTER TABLE projects ADD COLUMN signatory_role TEXT;
ALTER TABLE projects ADD COLUMN signatory_place TEXT;

CREATE TABLE submissions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id      INTEGER NOT NULL REFERENCES projects(id),
    as_of           DATE NOT NULL,
    template        TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    signatory_name  TEXT,
    signatory_role  TEXT,
    signatory_place TEXT,
    contribution_due_cents INTEGER NOT NULL,
    xlsx            BLOB NOT NULL,
    pdf             BLOB NOT NULL,
    relazione       BLOB NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE submission_expenses (
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    expense_id    INTEGER NOT NULL REFERENCES expenses(id),
    PRIMARY KEY (submission_id, expense_id)
);

-- The final activity report (relazione finale): narrative sections and indicators.
CREATE TABLE narrative_sections (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE indicators (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    unit       TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
