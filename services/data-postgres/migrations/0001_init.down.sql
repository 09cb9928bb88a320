DROP TABLE documents;
DROP TABLE media_jobs;
DROP TABLE refresh_tokens;
DROP TABLE users;
