-- What each submission's evidence pack holds, frozen with it in the transaction that makes it:
-- the files of the expenses it counted, as they were then. A file attached later to one of those
-- expenses is an integrazione of that submission, taken into the next one's pack; a file a pack
-- holds cannot be removed.
CREATE TABLE submission_evidence (
    submission_id BIGINT NOT NULL REFERENCES submissions(id),
    attachment_id BIGINT NOT NULL REFERENCES attachments(id),
    PRIMARY KEY (submission_id, attachment_id)
);

CREATE INDEX submission_evidence_attachment ON submission_evidence (attachment_id);

-- The submissions made before: the files of their expenses that existed when each was made.
INSERT INTO submission_evidence (submission_id, attachment_id)
SELECT se.submission_id, a.id
FROM submission_expenses se
JOIN submissions s ON s.id = se.submission_id
JOIN attachments a ON a.expense_id = se.expense_id
WHERE a.created_at <= s.created_at;
