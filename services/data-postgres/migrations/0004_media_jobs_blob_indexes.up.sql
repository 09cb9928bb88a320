-- Which blobs some job references (`POST /api/v1/media-jobs/blob-references`, asked by the worker's
-- orphan sweep for every page of stored files it lists): one index per blob column, so each lookup reads
-- only the ids it is asked about instead of scanning every job.
CREATE INDEX media_jobs_original_blob_idx ON media_jobs (original_blob_id);
CREATE INDEX media_jobs_result_blob_idx ON media_jobs (result_blob_id) WHERE result_blob_id IS NOT NULL;
CREATE INDEX media_jobs_thumbnail_blob_idx ON media_jobs (thumbnail_blob_id) WHERE thumbnail_blob_id IS NOT NULL;
