-- Decisions 1 and 5 of domain.md. Each project has its own payment and reporting deadlines (at
-- first the call's); the end of the window and both deadlines each have a history of acts — a
-- change made with an act (its number and date) or an extension — and as of a date the latest act
-- dated by then wins. A variation counts from the date it was decided.

ALTER TABLE projects ADD COLUMN payment_deadline DATE;
ALTER TABLE projects ADD COLUMN reporting_deadline DATE;
UPDATE projects SET payment_deadline = c.payment_deadline, reporting_deadline = c.reporting_deadline
FROM calls c WHERE c.id = projects.call_id;

-- The changes may now move the deadlines (from none, when the call had none) and carry their act's
-- date. Changes recorded before took no act date: the day they were recorded stands for it.
ALTER TABLE project_date_changes DROP CONSTRAINT project_date_changes_field_check;
ALTER TABLE project_date_changes ADD CONSTRAINT project_date_changes_field_check
    CHECK (field IN ('start_date', 'end_date', 'payment_deadline', 'reporting_deadline'));
ALTER TABLE project_date_changes ALTER COLUMN from_date DROP NOT NULL;
ALTER TABLE project_date_changes ADD COLUMN act_date DATE;
UPDATE project_date_changes SET act_date = CAST(recorded_at AT TIME ZONE 'UTC' AS DATE);
ALTER TABLE project_date_changes ALTER COLUMN act_date SET NOT NULL;
CREATE INDEX project_date_changes_by_project ON project_date_changes (project_id, id);

-- Variations decided before took their request date as their decision's.
ALTER TABLE budget_variations ADD COLUMN decision_date DATE;
UPDATE budget_variations SET decision_date = date WHERE status <> 'requested';
