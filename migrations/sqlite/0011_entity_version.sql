-- A partner entity's particulars (codice fiscale, office, PEC) can be corrected in the workspace:
-- a version guards each change against an edit made on an older copy.
ALTER TABLE entities ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
