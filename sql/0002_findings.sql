-- Findings written by `iam-audit analyse`, one set per analysed run.

CREATE TABLE analyses (
    run_id          INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    analysed_at     TEXT NOT NULL,
    tool_version    TEXT NOT NULL,
    leavers_path    TEXT,
    roster_path     TEXT,
    exceptions_path TEXT,
    findings        INTEGER NOT NULL DEFAULT 0,
    suppressed      INTEGER NOT NULL DEFAULT 0,
    input_warnings  TEXT            -- JSON array: malformed input rows reported and skipped
) STRICT;

CREATE TABLE findings (
    run_id        INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    fingerprint   TEXT NOT NULL,   -- hash of rule|account|resource|principal (docs/rules.md): stable
    rule_id       TEXT NOT NULL,
    severity      TEXT NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
    account_id    TEXT,
    resource_arn  TEXT NOT NULL,
    principal     TEXT,
    title         TEXT NOT NULL,
    evidence      TEXT NOT NULL,   -- JSON object
    first_seen    TEXT NOT NULL,   -- date the fingerprint was first found, across runs
    status        TEXT NOT NULL CHECK (status IN ('new', 'persisting')),
    suppressed_by TEXT,            -- the exception's name, or NULL
    PRIMARY KEY (run_id, fingerprint)
) STRICT;

CREATE INDEX findings_fingerprint ON findings (fingerprint, run_id);

CREATE VIEW latest_analysed_run AS
    SELECT a.run_id FROM analyses a JOIN runs r ON r.id = a.run_id
    WHERE r.status IN ('complete', 'partial') ORDER BY a.run_id DESC LIMIT 1;

CREATE VIEW latest_findings AS
    SELECT f.rule_id, f.severity, f.account_id, acc.name AS account_name, acc.team,
           f.resource_arn, f.principal, f.title, f.first_seen, f.status, f.suppressed_by,
           f.evidence, f.fingerprint, f.run_id
    FROM findings f
    JOIN latest_analysed_run l ON f.run_id = l.run_id
    LEFT JOIN accounts acc ON acc.run_id = f.run_id AND acc.account_id = f.account_id;
