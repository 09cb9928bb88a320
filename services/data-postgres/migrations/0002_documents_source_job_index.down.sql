DROP INDEX documents_source_job_idx;
