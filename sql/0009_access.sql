-- 0009: effective access paths (issue 14, docs/access.md): one row per (person, role) that a
-- base-account user can assume, written by each analysis of a run (analyser/rule_access.c).

CREATE TABLE access_paths (
    run_id          INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    account_id      TEXT NOT NULL,         -- the role's account
    role_name       TEXT NOT NULL,
    role_arn        TEXT NOT NULL,
    user_name       TEXT NOT NULL,         -- the person (a base-account user)
    user_arn        TEXT NOT NULL,
    via             TEXT NOT NULL CHECK (via IN ('user', 'account', 'wildcard')),
    trust_statement INTEGER NOT NULL,      -- the admitting Allow of the trust policy
    identity_via    TEXT NOT NULL,         -- the policy (or group) granting sts:AssumeRole
    mfa_required    INTEGER NOT NULL,      -- mfa_trust OR mfa_identity
    mfa_trust       INTEGER NOT NULL,
    mfa_identity    INTEGER NOT NULL,
    conditional     INTEGER NOT NULL,
    conditions      TEXT,                  -- JSON array of the conditions not evaluated
    role_kind       TEXT NOT NULL CHECK (role_kind IN ('admin', 'trusted', 'readonly', 'other')),
    PRIMARY KEY (run_id, account_id, role_name, user_name)
) STRICT;

CREATE INDEX access_paths_user ON access_paths (run_id, user_name);

-- The paths of the latest analysed run, with the account's name and team and the role's last
-- use.
CREATE VIEW latest_access AS
    SELECT p.account_id, acc.name AS account_name, acc.team, p.role_arn, p.role_name,
           p.user_name AS person, p.user_arn, p.via, p.identity_via, p.mfa_required,
           p.mfa_trust, p.mfa_identity, p.conditional, p.conditions, p.role_kind,
           r.last_used_at AS role_last_used_at, p.trust_statement, p.run_id
    FROM access_paths p
    JOIN latest_analysed_run l ON p.run_id = l.run_id
    LEFT JOIN accounts acc ON acc.run_id = p.run_id AND acc.account_id = p.account_id
    LEFT JOIN roles r ON r.run_id = p.run_id AND r.account_id = p.account_id
         AND r.role_name = p.role_name;
