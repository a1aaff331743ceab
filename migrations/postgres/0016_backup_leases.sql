-- Issue 20: the backups in progress. While one runs, `rendiconta gc` removes no file: the backup's
-- snapshot may name a file whose attachment was deleted after the snapshot was taken. A backup
-- removes its lease when it ends; one left by a backup that died expires after a day.
CREATE TABLE backup_leases (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL
);
