-- Finding the document of a media job (the worker's schedules re-announce lost document jobs), and
-- the `ON DELETE SET NULL` of a deleted job, without scanning every document.
CREATE INDEX documents_source_job_idx ON documents (source_job_id) WHERE source_job_id IS NOT NULL;
