-- Accounts, roles per project, sign-in sessions and API tokens, the expense workflow's authors,
-- and the hash-chained audit trail. Secrets are never stored: passwords as argon2id PHC strings,
-- session and API tokens as SHA-256 hex digests.

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    is_admin      BOOLEAN NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE memberships (
    project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('project_manager', 'finance_officer', 'viewer')),
    PRIMARY KEY (project_id, user_id)
);

-- The entities whose expenses a project manager may record and edit.
CREATE TABLE membership_entities (
    project_id BIGINT NOT NULL,
    user_id    BIGINT NOT NULL,
    entity_id  BIGINT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    PRIMARY KEY (project_id, user_id, entity_id),
    FOREIGN KEY (project_id, user_id) REFERENCES memberships(project_id, user_id) ON DELETE CASCADE
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);

-- Failed sign-ins, per email, for throttling; shared by every instance.
CREATE TABLE login_failures (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email     TEXT NOT NULL,
    failed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_failures_email ON login_failures(email, failed_at);

ALTER TABLE expenses ADD COLUMN created_by BIGINT REFERENCES users(id);
ALTER TABLE expenses ADD COLUMN verified_by BIGINT REFERENCES users(id);
ALTER TABLE expenses ADD COLUMN verified_at TIMESTAMPTZ;
ALTER TABLE expenses ADD COLUMN rejection_reason TEXT;

-- What each submission claimed of each expense, so that a later correction shows as an adjustment.
ALTER TABLE submission_expenses ADD COLUMN claimed_cents BIGINT;
-- The audit trail's head when the submission was made (printed on its documents).
ALTER TABLE submissions ADD COLUMN audit_seq BIGINT;
ALTER TABLE submissions ADD COLUMN audit_hash TEXT;

-- The audit trail: append-only, each entry holding the hash of the one before.
CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    actor       TEXT NOT NULL,
    user_id     BIGINT,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    project_id  BIGINT,
    before      TEXT,
    after       TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_object ON audit_log(object_type, object_id);
CREATE INDEX audit_log_project ON audit_log(project_id);

-- The chain's head, one row. Every writing transaction locks it first, which orders the chain and
-- keeps writers from deadlocking on it.
CREATE TABLE audit_head (
    id   BIGINT PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
