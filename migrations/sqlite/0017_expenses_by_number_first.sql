-- The parts lookup's index (0015) began with the project: for a query on the project alone (the
-- totals of the expense list) the planner could take it and read the project's rows in the order
-- of their document numbers, one random page at a time — the list's totals became 4× slower. The
-- same columns with the number first still serve the parts lookup, and no longer a project scan.
DROP INDEX expenses_by_number;
CREATE INDEX expenses_by_number ON expenses (document_number, document_date, project_id);
