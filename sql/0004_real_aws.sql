-- What real AWS answers that moto does not (docs/moto.md, docs/data-model.md).

-- A discovered account that was not audited, and why (suspended, closing, excluded):
-- it appears in the run record and the report, never vanishes silently.
CREATE TABLE accounts_not_audited (
    run_id     INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    name       TEXT,
    state      TEXT,                  -- Organizations State (or the retired Status), as sent
    reason     TEXT NOT NULL,
    PRIMARY KEY (run_id, account_id)
) STRICT;

-- When IAM generated the credential report this account's data used (it may be up to
-- four hours old: users created after it are read directly).
ALTER TABLE accounts ADD COLUMN credential_report_at TEXT;

-- Where a user's password / MFA / key facts come from: 'report' (the credential report),
-- 'direct' (GetLoginProfile, ListMFADevices, ListAccessKeys, because the report did not
-- have the user, had it from before the user was created, or had an unreadable row), or
-- NULL (unknown: rules treat every NULL fact as unknown, never as "no").
ALTER TABLE users ADD COLUMN credentials_source TEXT
    CHECK (credentials_source IS NULL OR credentials_source IN ('report', 'direct'));

-- Things a run noticed in what AWS sent that a reader of the report should know.
CREATE TABLE run_warnings (
    run_id     INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    account_id TEXT,
    kind       TEXT NOT NULL,
    subject    TEXT,
    message    TEXT NOT NULL
) STRICT;

CREATE VIEW latest_accounts_not_audited AS
    SELECT n.account_id, n.name, n.state, n.reason, n.run_id
    FROM accounts_not_audited n JOIN latest_run l ON n.run_id = l.run_id;

CREATE VIEW latest_run_warnings AS
    SELECT w.account_id, w.kind, w.subject, w.message, w.run_id
    FROM run_warnings w JOIN latest_run l ON w.run_id = l.run_id;

DROP VIEW latest_users;
CREATE VIEW latest_users AS
    SELECT u.account_id, u.user_name, u.user_id, u.arn, u.created_at, u.password_enabled,
           u.password_last_used, u.mfa_active, u.path, u.password_last_changed, u.run_id,
           u.credentials_source
    FROM users u JOIN latest_run l ON u.run_id = l.run_id;
