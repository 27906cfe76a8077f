-- iam-audit snapshot schema, version 1.
-- Every collection is a run; every row belongs to one run, so earlier runs stay readable
-- while a new one is written. Times are ISO 8601 UTC text ("2026-11-27T02:00:01Z");
-- account ids are text (they may start with 0). Secrets are never stored.

CREATE TABLE runs (
    id                 INTEGER PRIMARY KEY,
    started_at         TEXT NOT NULL,
    finished_at        TEXT,
    status             TEXT NOT NULL CHECK (status IN ('running', 'complete', 'partial', 'failed')),
    tool_version       TEXT NOT NULL,
    accounts_attempted INTEGER NOT NULL DEFAULT 0,
    accounts_failed    INTEGER NOT NULL DEFAULT 0,
    api_calls          INTEGER NOT NULL DEFAULT 0,
    retries            INTEGER NOT NULL DEFAULT 0,
    throttles          INTEGER NOT NULL DEFAULT 0,
    caller_arn         TEXT,
    config_path        TEXT
) STRICT;

CREATE TABLE accounts (
    run_id        INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    account_id    TEXT NOT NULL,
    name          TEXT NOT NULL,
    team          TEXT,
    is_base       INTEGER NOT NULL DEFAULT 0,
    role_arn      TEXT,
    alias         TEXT,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'ok', 'failed')),
    error_code    TEXT,
    error_message TEXT,
    collected_at  TEXT,
    api_calls     INTEGER NOT NULL DEFAULT 0,
    retries       INTEGER NOT NULL DEFAULT 0,
    throttles     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, account_id)
) STRICT;

CREATE TABLE password_policies (
    run_id                  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    account_id              TEXT NOT NULL,
    present                 INTEGER NOT NULL,
    minimum_length          INTEGER,
    require_symbols         INTEGER,
    require_numbers         INTEGER,
    require_uppercase       INTEGER,
    require_lowercase       INTEGER,
    allow_users_to_change   INTEGER,
    expire_passwords        INTEGER,
    max_password_age        INTEGER,
    password_reuse_prevention INTEGER,
    hard_expiry             INTEGER,
    PRIMARY KEY (run_id, account_id)
) STRICT;

CREATE TABLE users (
    run_id                INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    account_id            TEXT NOT NULL,
    user_name             TEXT NOT NULL,
    user_id               TEXT NOT NULL,
    arn                   TEXT NOT NULL,
    path                  TEXT NOT NULL DEFAULT '/',
    created_at            TEXT,
    password_enabled      INTEGER,          -- from the credential report; NULL if unknown
    password_last_used    TEXT,
    password_last_changed TEXT,
    mfa_active            INTEGER,
    permissions_boundary  TEXT,
    tags                  TEXT,             -- JSON object
    PRIMARY KEY (run_id, account_id, user_name)
) STRICT;

CREATE TABLE groups (
    run_id     INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    group_name TEXT NOT NULL,
    group_id   TEXT NOT NULL,
    arn        TEXT NOT NULL,
    path       TEXT NOT NULL DEFAULT '/',
    created_at TEXT,
    PRIMARY KEY (run_id, account_id, group_name)
) STRICT;

CREATE TABLE group_members (
    run_id     INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    group_name TEXT NOT NULL,
    user_name  TEXT NOT NULL,
    PRIMARY KEY (run_id, account_id, group_name, user_name)
) STRICT;

CREATE TABLE roles (
    run_id               INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    account_id           TEXT NOT NULL,
    role_name            TEXT NOT NULL,
    role_id              TEXT NOT NULL,
    arn                  TEXT NOT NULL,
    path                 TEXT NOT NULL DEFAULT '/',
    created_at           TEXT,
    description          TEXT,
    max_session_duration INTEGER,
    last_used_at         TEXT,
    last_used_region     TEXT,
    permissions_boundary TEXT,
    tags                 TEXT,             -- JSON object
    trust_policy         TEXT,             -- the decoded document, as AWS returned it
    trust_error          TEXT,             -- why the trust policy could not be read, or NULL
    PRIMARY KEY (run_id, account_id, role_name)
) STRICT;

-- Policies attached to or embedded in a user, group or role.
CREATE TABLE principal_policies (
    run_id         INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    account_id     TEXT NOT NULL,
    principal_kind TEXT NOT NULL CHECK (principal_kind IN ('user', 'group', 'role')),
    principal_name TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('inline', 'attached')),
    policy_name    TEXT NOT NULL,
    policy_arn     TEXT,                   -- attached only
    document       TEXT,                   -- inline only (decoded JSON)
    PRIMARY KEY (run_id, account_id, principal_kind, principal_name, kind, policy_name)
) STRICT;

-- Customer-managed policies of each account, with the default version's document.
CREATE TABLE policies (
    run_id             INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    account_id         TEXT NOT NULL,
    arn                TEXT NOT NULL,
    policy_name        TEXT NOT NULL,
    policy_id          TEXT,
    path               TEXT,
    default_version_id TEXT,
    attachment_count   INTEGER,
    created_at         TEXT,
    updated_at         TEXT,
    document           TEXT,
    PRIMARY KEY (run_id, account_id, arn)
) STRICT;

-- AWS-managed policies attached somewhere in the run: fetched once per run, shared.
CREATE TABLE managed_policies (
    run_id     INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    arn        TEXT NOT NULL,
    version_id TEXT,
    document   TEXT,
    error      TEXT,
    PRIMARY KEY (run_id, arn)
) STRICT;

-- One row per (role, statement, principal) of every trust policy.
CREATE TABLE trusts (
    run_id            INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    account_id        TEXT NOT NULL,
    role_name         TEXT NOT NULL,
    role_arn          TEXT NOT NULL,
    statement_index   INTEGER NOT NULL,
    principal_index   INTEGER NOT NULL,
    sid               TEXT,
    effect            TEXT NOT NULL,
    not_principal     INTEGER NOT NULL,
    principal_kind    TEXT NOT NULL,      -- '*', 'AWS', 'Service', 'Federated', 'CanonicalUser'
    principal         TEXT NOT NULL,
    principal_account TEXT,
    principal_type    TEXT NOT NULL,      -- account-root, account-id, user, role, ... wildcard
    actions           TEXT,               -- JSON array
    not_action        INTEGER NOT NULL DEFAULT 0,
    conditions        TEXT,               -- JSON object, keys sorted, or NULL
    PRIMARY KEY (run_id, account_id, role_name, statement_index, principal_index)
) STRICT;

CREATE TABLE mfa_devices (
    run_id        INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    account_id    TEXT NOT NULL,
    user_name     TEXT,                   -- NULL for an unassigned virtual device
    serial_number TEXT NOT NULL,
    device_name   TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('virtual', 'hardware', 'fido', 'unknown')),
    enabled_at    TEXT,
    PRIMARY KEY (run_id, account_id, serial_number)
) STRICT;

CREATE TABLE access_keys (
    run_id            INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    account_id        TEXT NOT NULL,
    user_name         TEXT NOT NULL,
    access_key_id     TEXT NOT NULL,      -- the public id only; secrets are never seen
    status            TEXT NOT NULL,
    created_at        TEXT,
    last_used_at      TEXT,
    last_used_service TEXT,
    last_used_region  TEXT,
    PRIMARY KEY (run_id, account_id, access_key_id)
) STRICT;

-- The credential report, every column as AWS wrote it (incl. the <root_account> row).
CREATE TABLE credential_report (
    run_id                          INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    account_id                      TEXT NOT NULL,
    generated_at                    TEXT,
    user                            TEXT NOT NULL,
    arn                             TEXT NOT NULL,
    user_creation_time              TEXT,
    password_enabled                TEXT,
    password_last_used              TEXT,
    password_last_changed           TEXT,
    password_next_rotation          TEXT,
    mfa_active                      TEXT,
    access_key_1_active             TEXT,
    access_key_1_last_rotated       TEXT,
    access_key_1_last_used_date     TEXT,
    access_key_1_last_used_region   TEXT,
    access_key_1_last_used_service  TEXT,
    access_key_2_active             TEXT,
    access_key_2_last_rotated       TEXT,
    access_key_2_last_used_date     TEXT,
    access_key_2_last_used_region   TEXT,
    access_key_2_last_used_service  TEXT,
    cert_1_active                   TEXT,
    cert_1_last_rotated             TEXT,
    cert_2_active                   TEXT,
    cert_2_last_rotated             TEXT,
    PRIMARY KEY (run_id, account_id, arn)
) STRICT;

-- Every user and role id ever seen, so a trust that names a deleted principal's unique
-- id can say who it was (from the earliest run that saw it).
CREATE TABLE principal_ids (
    unique_id      TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,         -- 'user' or 'role'
    account_id     TEXT NOT NULL,
    name           TEXT NOT NULL,
    arn            TEXT NOT NULL,
    first_seen_run INTEGER NOT NULL,
    last_seen_run  INTEGER NOT NULL
) STRICT;

CREATE INDEX trusts_principal ON trusts (run_id, principal);
CREATE INDEX mfa_devices_user ON mfa_devices (run_id, account_id, user_name);
CREATE INDEX access_keys_user ON access_keys (run_id, account_id, user_name);

-- The public query interface: views over the latest complete or partial run.
CREATE VIEW latest_run AS
    SELECT id AS run_id FROM runs WHERE status IN ('complete', 'partial') ORDER BY id DESC LIMIT 1;

CREATE VIEW latest_accounts AS
    SELECT a.account_id, a.name, a.team, a.status, a.error_code, a.error_message, a.alias,
           a.is_base, a.run_id
    FROM accounts a JOIN latest_run l ON a.run_id = l.run_id;

CREATE VIEW latest_users AS
    SELECT u.account_id, u.user_name, u.user_id, u.arn, u.created_at, u.password_enabled,
           u.password_last_used, u.mfa_active, u.path, u.password_last_changed, u.run_id
    FROM users u JOIN latest_run l ON u.run_id = l.run_id;

CREATE VIEW latest_mfa_devices AS
    SELECT m.account_id, m.user_name, m.serial_number, m.device_name, m.kind, m.enabled_at,
           m.run_id
    FROM mfa_devices m JOIN latest_run l ON m.run_id = l.run_id;

CREATE VIEW latest_access_keys AS
    SELECT k.account_id, k.user_name, k.access_key_id, k.status, k.created_at, k.last_used_at,
           k.last_used_service, k.last_used_region, k.run_id
    FROM access_keys k JOIN latest_run l ON k.run_id = l.run_id;

CREATE VIEW latest_roles AS
    SELECT r.account_id, r.role_name, r.role_id, r.arn, r.path, r.created_at, r.last_used_at,
           r.last_used_region, r.max_session_duration, r.trust_policy, r.run_id
    FROM roles r JOIN latest_run l ON r.run_id = l.run_id;

CREATE VIEW latest_trusts AS
    SELECT t.account_id, t.role_name, t.role_arn, t.statement_index, t.effect, t.not_principal,
           t.principal_kind, t.principal, t.principal_account, t.principal_type, t.conditions,
           t.actions, t.not_action, t.sid, t.run_id
    FROM trusts t JOIN latest_run l ON t.run_id = l.run_id;
