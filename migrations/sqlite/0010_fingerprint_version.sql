-- Which canonical text a submission's data fingerprint was computed over: 1 for the first
-- submissions (Rust's Debug forms), 2 for the canonical text of our own (see
-- reports::fingerprint). A submission's documents are re-made with its own version.
ALTER TABLE submissions ADD COLUMN fingerprint_version BIGINT NOT NULL DEFAULT 1;
