-- The signed copies of a submission's rendiconto: the file the legal representative signed
-- outside rendiconta (CAdES .pdf.p7m or PAdES PDF), kept once shown to sign exactly the submitted
-- PDF; its bytes are in the file store under their SHA-256, like evidence. A countersigned copy is
-- a second row beside the first. Never changed nor removed.
CREATE TABLE signed_copies (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id BIGINT NOT NULL REFERENCES submissions(id),
    format        TEXT NOT NULL CHECK (format IN ('cades', 'pades')),
    size_bytes    BIGINT NOT NULL CHECK (size_bytes > 0),
    sha256        TEXT NOT NULL CHECK (length(sha256) = 64),
    created_at    TIMESTAMPTZ NOT NULL,
    created_by    TEXT NOT NULL,
    UNIQUE (submission_id, sha256)
);

-- Who signed each copy, as each signature's certificate names them, innermost first.
CREATE TABLE signed_copy_signers (
    signed_copy_id BIGINT NOT NULL REFERENCES signed_copies(id),
    position       INTEGER NOT NULL,
    name           TEXT NOT NULL,
    fiscal_code    TEXT,
    PRIMARY KEY (signed_copy_id, position)
);
