-- The final report's sections and indicators are edited in place: each carries a version, so that
-- an edit made on a stale copy is refused instead of overwriting someone else's words.
ALTER TABLE narrative_sections ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE indicators ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
