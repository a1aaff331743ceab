-- Decisions 1 and 5 of domain.md. Each project has its own payment and reporting deadlines (at
-- first the call's); the end of the window and both deadlines each have a history of acts — a
-- change made with an act (its number and date) or an extension — and as of a date the latest act
-- dated by then wins. A variation counts from the date it was decided.

ALTER TABLE projects ADD COLUMN payment_deadline DATE;
ALTER TABLE projects ADD COLUMN reporting_deadline DATE;
UPDATE projects SET
    payment_deadline = (SELECT c.payment_deadline FROM calls c WHERE c.id = projects.call_id),
    reporting_deadline = (SELECT c.reporting_deadline FROM calls c WHERE c.id = projects.call_id);

-- The changes may now move the deadlines (from none, when the call had none) and carry their act's
-- date; SQLite cannot widen a CHECK, so the table is made anew. Changes recorded before took no act
-- date: the day they were recorded stands for it.
CREATE TABLE project_date_changes_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    field       TEXT NOT NULL CHECK (field IN ('start_date', 'end_date', 'payment_deadline',
                                               'reporting_deadline')),
    from_date   DATE,
    to_date     DATE NOT NULL,
    act         TEXT NOT NULL,
    act_date    DATE NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);
INSERT INTO project_date_changes_new (id, project_id, field, from_date, to_date, act, act_date,
    recorded_at)
SELECT id, project_id, field, from_date, to_date, act, substr(recorded_at, 1, 10), recorded_at
FROM project_date_changes;
DROP TABLE project_date_changes;
ALTER TABLE project_date_changes_new RENAME TO project_date_changes;
CREATE INDEX project_date_changes_by_project ON project_date_changes (project_id, id);

-- Variations decided before took their request date as their decision's.
ALTER TABLE budget_variations ADD COLUMN decision_date DATE;
UPDATE budget_variations SET decision_date = date WHERE status <> 'requested';
