-- The files that prove an expense. The bytes live in the file store under their SHA-256; a file
-- attached to several expenses is stored once.
CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id   INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    expense_id   INTEGER NOT NULL REFERENCES expenses(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('invoice', 'payment_order', 'receipt', 'other')),
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL CHECK (size_bytes > 0),
    sha256       TEXT NOT NULL CHECK (length(sha256) = 64),
    created_at   TIMESTAMPTZ NOT NULL,
    created_by   TEXT NOT NULL,
    UNIQUE (expense_id, sha256)
);
CREATE INDEX attachments_project ON attachments(project_id, expense_id);
CREATE INDEX attachments_sha256 ON attachments(sha256);
