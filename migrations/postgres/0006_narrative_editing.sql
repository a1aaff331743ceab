-- The final report's sections and indicators are edited in place: each carries a version, so that
-- an edit made on a stale copy is refused instead of overwriting someone else's words.
ALTER TABLE narrative_sections ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE indicators ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

-- Sections can be moved: `position` is their place in the report, 1 to n within a project,
-- first the order in which they were written.
ALTER TABLE narrative_sections ADD COLUMN position BIGINT NOT NULL DEFAULT 0;
UPDATE narrative_sections SET position = (
    SELECT COUNT(*) FROM narrative_sections o
    WHERE o.project_id = narrative_sections.project_id AND o.id <= narrative_sections.id
);
CREATE INDEX narrative_sections_order ON narrative_sections (project_id, position);
