-- What the Region's reviewer looks for in the documents' heading and declaration: the grant act,
-- the signatory's codice fiscale (also frozen with each submission), each entity's registered
-- office and PEC.
ALTER TABLE projects ADD COLUMN grant_act_number TEXT;
ALTER TABLE projects ADD COLUMN grant_act_date DATE;
ALTER TABLE projects ADD COLUMN signatory_tax_code TEXT;
ALTER TABLE submissions ADD COLUMN signatory_tax_code TEXT;
ALTER TABLE entities ADD COLUMN address TEXT;
ALTER TABLE entities ADD COLUMN pec TEXT;
ALTER TABLE indicators ADD COLUMN target TEXT;
