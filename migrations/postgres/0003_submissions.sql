-- Who signs the project's declarations, and the submissions: the documents as first made, their
-- fingerprint, and the expenses each one included.

ALTER TABLE projects ADD COLUMN signatory_name TEXT;
ALTER TABLE projects ADD COLUMN signatory_role TEXT;
ALTER TABLE projects ADD COLUMN signatory_place TEXT;

CREATE TABLE submissions (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id      BIGINT NOT NULL REFERENCES projects(id),
    as_of           DATE NOT NULL,
    template        TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    signatory_name  TEXT,
    signatory_role  TEXT,
    signatory_place TEXT,
    contribution_due_cents BIGINT NOT NULL,
    xlsx            BYTEA NOT NULL,
    pdf             BYTEA NOT NULL,
    relazione       BYTEA NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE submission_expenses (
    submission_id BIGINT NOT NULL REFERENCES submissions(id),
    expense_id    BIGINT NOT NULL REFERENCES expenses(id),
    PRIMARY KEY (submission_id, expense_id)
);

-- The final activity report (relazione finale): narrative sections and indicators.
CREATE TABLE narrative_sections (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE indicators (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    unit       TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
