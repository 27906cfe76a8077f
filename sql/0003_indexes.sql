-- Indexes for the access paths the benchmarks showed scanning (docs/performance.md):
-- the credential report's per-user update and the reports' leaver lookups find users by
-- ARN; the analyser finds who a deleted principal was by ARN, case-insensitively.
CREATE INDEX users_arn ON users (run_id, arn);
CREATE INDEX principal_ids_arn ON principal_ids (arn COLLATE NOCASE);
