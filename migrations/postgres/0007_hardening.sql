-- Sign-in attempts per account, counted atomically before a password is verified: one row per
-- email, its window's start and the attempts within it (an upsert increments it under the row's
-- lock, so parallel attempts on any number of instances are counted one by one).
CREATE TABLE login_throttle (
    email        TEXT PRIMARY KEY,
    window_start TIMESTAMPTZ NOT NULL,
    attempts     BIGINT NOT NULL
);
DROP TABLE login_failures;

-- One row that /healthz writes, to tell whether the database takes writes.
CREATE TABLE health_probe (
    id         INTEGER PRIMARY KEY,
    checked_at TIMESTAMPTZ NOT NULL
);

-- Who last changed an expense's amounts, supplier or document: like its author, they may not
-- verify it (segregation of duties). Existing expenses start from their author.
ALTER TABLE expenses ADD COLUMN changed_by BIGINT REFERENCES users(id);
UPDATE expenses SET changed_by = created_by;
