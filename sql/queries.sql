-- Named statements used by the C code (sql/db.h: ia_db_prepare by name).
-- Each runs from its "-- name:" line to the next one.

-- name: run_insert
INSERT INTO runs (started_at, status, tool_version, accounts_attempted, caller_arn, config_path)
VALUES (:started_at, 'running', :tool_version, :accounts_attempted, :caller_arn, :config_path);

-- name: run_finish
UPDATE runs SET finished_at = :finished_at, status = :status, accounts_failed = :accounts_failed,
       api_calls = :api_calls, retries = :retries, throttles = :throttles
WHERE id = :run_id;

-- name: runs_mark_interrupted
UPDATE runs SET status = 'failed', finished_at = COALESCE(finished_at, :now)
WHERE status = 'running';

-- name: account_insert
INSERT INTO accounts (run_id, account_id, name, team, is_base, role_arn, status)
VALUES (:run_id, :account_id, :name, :team, :is_base, :role_arn, 'pending');

-- name: account_ok
UPDATE accounts SET status = 'ok', alias = :alias, collected_at = :collected_at,
       api_calls = :api_calls, retries = :retries, throttles = :throttles,
       error_code = NULL, error_message = NULL
WHERE run_id = :run_id AND account_id = :account_id;

-- name: account_failed
UPDATE accounts SET status = 'failed', error_code = :error_code, error_message = :error_message,
       collected_at = :collected_at, api_calls = :api_calls, retries = :retries,
       throttles = :throttles
WHERE run_id = :run_id AND account_id = :account_id;

-- name: account_not_audited_insert
INSERT OR REPLACE INTO accounts_not_audited (run_id, account_id, name, state, reason)
VALUES (:run_id, :account_id, :name, :state, :reason);

-- name: run_warning_insert
INSERT INTO run_warnings (run_id, account_id, kind, subject, message)
VALUES (:run_id, :account_id, :kind, :subject, :message);

-- name: account_set_report_time
UPDATE accounts SET credential_report_at = :credential_report_at
WHERE run_id = :run_id AND account_id = :account_id;

-- name: password_policy_insert
INSERT INTO password_policies (run_id, account_id, present, minimum_length, require_symbols,
    require_numbers, require_uppercase, require_lowercase, allow_users_to_change,
    expire_passwords, max_password_age, password_reuse_prevention, hard_expiry)
VALUES (:run_id, :account_id, :present, :minimum_length, :require_symbols, :require_numbers,
    :require_uppercase, :require_lowercase, :allow_users_to_change, :expire_passwords,
    :max_password_age, :password_reuse_prevention, :hard_expiry);

-- name: user_insert
INSERT INTO users (run_id, account_id, user_name, user_id, arn, path, created_at,
    permissions_boundary, tags)
VALUES (:run_id, :account_id, :user_name, :user_id, :arn, :path, :created_at,
    :permissions_boundary, :tags);

-- name: user_set_credentials
UPDATE users SET password_enabled = :password_enabled, password_last_used = :password_last_used,
       password_last_changed = :password_last_changed, mfa_active = :mfa_active,
       credentials_source = 'report'
WHERE run_id = :run_id AND account_id = :account_id AND arn = :arn;

-- name: user_set_direct
-- A user the credential report could not speak for, read per user instead.
UPDATE users SET password_enabled = :password_enabled, password_last_used = :password_last_used,
       password_last_changed = NULL, mfa_active = :mfa_active, credentials_source = 'direct'
WHERE run_id = :run_id AND account_id = :account_id AND user_name = :user_name;

-- name: group_insert
INSERT INTO groups (run_id, account_id, group_name, group_id, arn, path, created_at)
VALUES (:run_id, :account_id, :group_name, :group_id, :arn, :path, :created_at);

-- name: group_member_insert
INSERT OR IGNORE INTO group_members (run_id, account_id, group_name, user_name)
VALUES (:run_id, :account_id, :group_name, :user_name);

-- name: role_insert
INSERT INTO roles (run_id, account_id, role_name, role_id, arn, path, created_at,
    last_used_at, last_used_region, permissions_boundary, tags, trust_policy, trust_error)
VALUES (:run_id, :account_id, :role_name, :role_id, :arn, :path, :created_at, :last_used_at,
    :last_used_region, :permissions_boundary, :tags, :trust_policy, :trust_error);

-- name: role_set_details
UPDATE roles SET max_session_duration = :max_session_duration, description = :description
WHERE run_id = :run_id AND account_id = :account_id AND role_name = :role_name;

-- name: principal_policy_insert
INSERT OR REPLACE INTO principal_policies (run_id, account_id, principal_kind, principal_name,
    kind, policy_name, policy_arn, document)
VALUES (:run_id, :account_id, :principal_kind, :principal_name, :kind, :policy_name,
    :policy_arn, :document);

-- name: policy_insert
INSERT INTO policies (run_id, account_id, arn, policy_name, policy_id, path, default_version_id,
    attachment_count, created_at, updated_at, document)
VALUES (:run_id, :account_id, :arn, :policy_name, :policy_id, :path, :default_version_id,
    :attachment_count, :created_at, :updated_at, :document);

-- name: managed_policy_insert
INSERT OR REPLACE INTO managed_policies (run_id, arn, version_id, document, error)
VALUES (:run_id, :arn, :version_id, :document, :error);

-- name: trust_insert
INSERT INTO trusts (run_id, account_id, role_name, role_arn, statement_index, principal_index,
    sid, effect, not_principal, principal_kind, principal, principal_account, principal_type,
    actions, not_action, conditions)
VALUES (:run_id, :account_id, :role_name, :role_arn, :statement_index, :principal_index, :sid,
    :effect, :not_principal, :principal_kind, :principal, :principal_account, :principal_type,
    :actions, :not_action, :conditions);

-- name: mfa_insert
INSERT OR REPLACE INTO mfa_devices (run_id, account_id, user_name, serial_number, device_name,
    kind, enabled_at)
VALUES (:run_id, :account_id, :user_name, :serial_number, :device_name, :kind, :enabled_at);

-- name: access_key_insert
INSERT OR REPLACE INTO access_keys (run_id, account_id, user_name, access_key_id, status,
    created_at, last_used_at, last_used_service, last_used_region)
VALUES (:run_id, :account_id, :user_name, :access_key_id, :status, :created_at, :last_used_at,
    :last_used_service, :last_used_region);

-- name: credential_report_insert
INSERT OR REPLACE INTO credential_report (run_id, account_id, generated_at, user, arn,
    user_creation_time, password_enabled, password_last_used, password_last_changed,
    password_next_rotation, mfa_active, access_key_1_active, access_key_1_last_rotated,
    access_key_1_last_used_date, access_key_1_last_used_region, access_key_1_last_used_service,
    access_key_2_active, access_key_2_last_rotated, access_key_2_last_used_date,
    access_key_2_last_used_region, access_key_2_last_used_service, cert_1_active,
    cert_1_last_rotated, cert_2_active, cert_2_last_rotated)
VALUES (:run_id, :account_id, :generated_at, :user, :arn, :user_creation_time,
    :password_enabled, :password_last_used, :password_last_changed, :password_next_rotation,
    :mfa_active, :access_key_1_active, :access_key_1_last_rotated, :access_key_1_last_used_date,
    :access_key_1_last_used_region, :access_key_1_last_used_service, :access_key_2_active,
    :access_key_2_last_rotated, :access_key_2_last_used_date, :access_key_2_last_used_region,
    :access_key_2_last_used_service, :cert_1_active, :cert_1_last_rotated, :cert_2_active,
    :cert_2_last_rotated);

-- name: principal_id_upsert
INSERT INTO principal_ids (unique_id, kind, account_id, name, arn, first_seen_run, last_seen_run)
VALUES (:unique_id, :kind, :account_id, :name, :arn, :run_id, :run_id)
ON CONFLICT (unique_id) DO UPDATE SET last_seen_run = excluded.last_seen_run;

-- reports
-- Statements of `iam-audit report` (reports/*.c). Each takes :run_id and :team
-- (NULL: every team), so one table writer binds them all alike.

-- name: report_latest_analysed_run
SELECT run_id FROM latest_analysed_run;

-- name: report_run
SELECT r.id, r.started_at, r.status, a.analysed_at,
       (SELECT a2.run_id FROM analyses a2 JOIN runs r2 ON r2.id = a2.run_id
        WHERE r2.status IN ('complete', 'partial') AND a2.run_id < r.id
        ORDER BY a2.run_id DESC LIMIT 1) AS previous_run_id
FROM runs r LEFT JOIN analyses a ON a.run_id = r.id
WHERE r.id = :run_id;

-- name: report_teams
SELECT DISTINCT team FROM accounts
WHERE run_id = :run_id AND team IS NOT NULL AND team <> '' ORDER BY team;

-- name: report_accounts
-- Audited accounts, then the discovered ones that were not (state in error_code).
SELECT account_id, name, team, status, error_code, error_message FROM (
    SELECT account_id, name, team, status, error_code, error_message FROM accounts
    WHERE run_id = :run_id AND (:team IS NULL OR team = :team)
    UNION ALL
    SELECT account_id, COALESCE(name, account_id), NULL, 'not audited', state, reason
    FROM accounts_not_audited WHERE run_id = :run_id AND :team IS NULL)
ORDER BY status = 'ok', account_id;

-- name: report_not_checked
-- Rules the run's analysis did not evaluate, grouped by reason (migration 0005); :team unused.
SELECT group_concat(rule, ', '), reason FROM (
    SELECT json_extract(j.value, '$.rule') AS rule, json_extract(j.value, '$.reason') AS reason
    FROM analyses a, json_each(COALESCE(a.not_checked, '[]')) j
    WHERE a.run_id = :run_id AND (:team IS NULL OR :team IS NOT NULL))
GROUP BY reason ORDER BY min(rule);

-- name: report_carried
-- Accounts whose data was carried forward from an earlier run (`collect --account`): how old.
SELECT account_id, name, data_run_id, collected_at FROM accounts
WHERE run_id = :run_id AND data_run_id IS NOT NULL AND (:team IS NULL OR team = :team)
ORDER BY account_id;

-- name: report_findings
SELECT f.rule_id, f.severity, f.account_id, acc.name, acc.team, f.resource_arn, f.principal,
       f.title, f.first_seen, f.status, f.suppressed_by, f.evidence
FROM findings f
LEFT JOIN accounts acc ON acc.run_id = f.run_id AND acc.account_id = f.account_id
WHERE f.run_id = :run_id AND (:team IS NULL OR acc.team = :team)
ORDER BY CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2
         WHEN 'low' THEN 3 ELSE 4 END, f.rule_id, f.account_id, f.resource_arn,
         f.principal, f.fingerprint;

-- name: report_bootstrap_roles
SELECT f.account_id, acc.name, acc.team, f.resource_arn, f.severity, f.title, f.first_seen,
       f.status, f.suppressed_by, f.evidence
FROM findings f
LEFT JOIN accounts acc ON acc.run_id = f.run_id AND acc.account_id = f.account_id
WHERE f.run_id = :run_id AND f.rule_id = 'bootstrap-role-present'
  AND (:team IS NULL OR acc.team = :team)
ORDER BY f.account_id, f.resource_arn, f.fingerprint;

-- name: report_severity_counts
SELECT f.severity, sum(f.suppressed_by IS NULL), sum(f.suppressed_by IS NOT NULL)
FROM findings f
LEFT JOIN accounts acc ON acc.run_id = f.run_id AND acc.account_id = f.account_id
WHERE f.run_id = :run_id AND (:team IS NULL OR acc.team = :team)
GROUP BY f.severity;

-- name: report_rule_counts
SELECT f.rule_id,
       CASE min(CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2
                WHEN 'low' THEN 3 ELSE 4 END)
       WHEN 0 THEN 'critical' WHEN 1 THEN 'high' WHEN 2 THEN 'medium' WHEN 3 THEN 'low'
       ELSE 'info' END,
       sum(f.suppressed_by IS NULL), sum(f.suppressed_by IS NOT NULL)
FROM findings f
LEFT JOIN accounts acc ON acc.run_id = f.run_id AND acc.account_id = f.account_id
WHERE f.run_id = :run_id AND (:team IS NULL OR acc.team = :team)
GROUP BY f.rule_id ORDER BY sum(f.suppressed_by IS NULL) DESC, f.rule_id;

-- name: report_team_counts
-- Open (unsuppressed) findings per team and severity; every team of the run's accounts gets a
-- row, with zeros where it has no finding.
WITH c AS MATERIALIZED (
    SELECT COALESCE(a.team, '(no team)') AS team, f.severity, count(*) AS n
    FROM findings f JOIN accounts a ON a.run_id = f.run_id AND a.account_id = f.account_id
    WHERE f.run_id = :run_id AND f.suppressed_by IS NULL AND (:team IS NULL OR a.team = :team)
    GROUP BY 1, 2)
SELECT t.team,
       COALESCE((SELECT n FROM c WHERE c.team = t.team AND c.severity = 'critical'), 0),
       COALESCE((SELECT n FROM c WHERE c.team = t.team AND c.severity = 'high'), 0),
       COALESCE((SELECT n FROM c WHERE c.team = t.team AND c.severity = 'medium'), 0),
       COALESCE((SELECT n FROM c WHERE c.team = t.team AND c.severity = 'low'), 0),
       COALESCE((SELECT n FROM c WHERE c.team = t.team AND c.severity = 'info'), 0)
FROM (SELECT DISTINCT COALESCE(team, '(no team)') AS team FROM accounts
      WHERE run_id = :run_id AND (:team IS NULL OR team = :team)) t
ORDER BY t.team;

-- name: report_change_counts
SELECT (SELECT count(*) FROM findings f
        LEFT JOIN accounts acc ON acc.run_id = f.run_id AND acc.account_id = f.account_id
        WHERE f.run_id = :run_id AND (:team IS NULL OR acc.team = :team)
          AND f.fingerprint NOT IN (SELECT fingerprint FROM findings WHERE run_id = :prev_id)),
       (SELECT count(*) FROM findings f
        LEFT JOIN accounts acc ON acc.run_id = f.run_id AND acc.account_id = f.account_id
        WHERE f.run_id = :prev_id AND (:team IS NULL OR acc.team = :team)
          AND f.fingerprint NOT IN (SELECT fingerprint FROM findings WHERE run_id = :run_id)
          AND f.rule_id NOT IN (SELECT json_extract(j.value, '$.rule') FROM analyses an,
                                json_each(COALESCE(an.not_checked, '[]')) j
                                WHERE an.run_id = :run_id));

-- name: report_changes
SELECT c.change, c.severity, c.rule_id, c.account_id, c.name, c.team, c.resource_arn,
       c.principal, c.title, c.first_seen
FROM (SELECT 'new' AS change, f.severity, f.rule_id, f.account_id, acc.name, acc.team,
             f.resource_arn, f.principal, f.title, f.first_seen, f.fingerprint
      FROM findings f
      LEFT JOIN accounts acc ON acc.run_id = f.run_id AND acc.account_id = f.account_id
      WHERE f.run_id = :run_id AND (:team IS NULL OR acc.team = :team)
        AND f.fingerprint NOT IN (SELECT fingerprint FROM findings WHERE run_id = :prev_id)
      UNION ALL
      SELECT 'resolved', f.severity, f.rule_id, f.account_id, acc.name, acc.team,
             f.resource_arn, f.principal, f.title, f.first_seen, f.fingerprint
      FROM findings f
      LEFT JOIN accounts acc ON acc.run_id = f.run_id AND acc.account_id = f.account_id
      WHERE f.run_id = :prev_id AND (:team IS NULL OR acc.team = :team)
        AND f.fingerprint NOT IN (SELECT fingerprint FROM findings WHERE run_id = :run_id)
        AND f.rule_id NOT IN (SELECT json_extract(j.value, '$.rule') FROM analyses an,
                              json_each(COALESCE(an.not_checked, '[]')) j
                              WHERE an.run_id = :run_id)) c
ORDER BY c.change, CASE c.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1
         WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END, c.rule_id, c.account_id,
         c.resource_arn, c.fingerprint;

-- name: report_leavers
-- One row per (leaver, role whose trust names them); a leaver with no such role gets one
-- row with the role columns NULL, and a role naming a leaver whose user is already gone
-- gets a row without the user columns. With :team, only roles in that team's accounts.
WITH lp AS MATERIALIZED (
    SELECT f.* FROM findings f WHERE f.run_id = :run_id AND f.rule_id = 'leaver-present'),
lt AS MATERIALIZED (
    SELECT f.*, acc.name AS account_name, acc.team FROM findings f
    LEFT JOIN accounts acc ON acc.run_id = f.run_id AND acc.account_id = f.account_id
    WHERE f.run_id = :run_id AND f.rule_id = 'leaver-trusted-by-role'),
lrows AS (
    SELECT COALESCE(lp.principal, lp.resource_arn) AS leaver, lp.account_id AS leaver_account,
           lp.evidence AS leaver_evidence, lp.resource_arn AS user_arn,
           lt.resource_arn AS role_arn, lt.account_id AS role_account,
           lt.account_name AS role_account_name, lt.team AS role_team,
           lt.evidence AS role_evidence
    FROM lp LEFT JOIN lt ON lt.principal IN (lp.principal, lp.resource_arn)
    UNION ALL
    SELECT lt.principal, NULL, NULL, NULL, lt.resource_arn, lt.account_id, lt.account_name,
           lt.team, lt.evidence
    FROM lt WHERE NOT EXISTS (
        SELECT 1 FROM lp WHERE lt.principal IN (lp.principal, lp.resource_arn)))
SELECT r.leaver, COALESCE(u.user_name, r.leaver), r.leaver_account, r.leaver_evidence,
       u.password_enabled,
       (SELECT count(*) FROM access_keys k WHERE k.run_id = u.run_id
          AND k.account_id = u.account_id AND k.user_name = u.user_name
          AND k.status = 'Active'),
       (SELECT count(*) FROM mfa_devices m WHERE m.run_id = u.run_id
          AND m.account_id = u.account_id AND m.user_name = u.user_name),
       u.user_name IS NOT NULL,
       r.role_arn, r.role_account, r.role_account_name, r.role_team, r.role_evidence
FROM lrows r
LEFT JOIN users u ON u.run_id = :run_id AND u.arn = COALESCE(r.user_arn, r.leaver)
WHERE :team IS NULL OR (r.role_arn IS NOT NULL AND r.role_team = :team)
ORDER BY r.leaver, r.role_account, r.role_arn;

-- name: report_users
SELECT u.account_id, acc.name, acc.team, u.user_name, u.arn, u.path, u.created_at,
       u.password_enabled, u.password_last_used, u.mfa_active,
       (SELECT count(*) FROM mfa_devices m WHERE m.run_id = u.run_id
          AND m.account_id = u.account_id AND m.user_name = u.user_name),
       (SELECT count(*) FROM access_keys k WHERE k.run_id = u.run_id
          AND k.account_id = u.account_id AND k.user_name = u.user_name
          AND k.status = 'Active'),
       (SELECT max(k.last_used_at) FROM access_keys k WHERE k.run_id = u.run_id
          AND k.account_id = u.account_id AND k.user_name = u.user_name),
       u.arn IN (SELECT f.resource_arn FROM findings f WHERE f.run_id = :run_id
                   AND f.rule_id = 'leaver-present'
                 UNION SELECT f.principal FROM findings f WHERE f.run_id = :run_id
                   AND f.rule_id = 'leaver-present')
FROM users u
LEFT JOIN accounts acc ON acc.run_id = u.run_id AND acc.account_id = u.account_id
WHERE u.run_id = :run_id AND (:team IS NULL OR acc.team = :team)
ORDER BY u.account_id, u.user_name;

-- name: report_roles
SELECT r.account_id, acc.name, acc.team, r.role_name, r.arn, r.path, r.created_at,
       r.last_used_at, r.last_used_region, r.max_session_duration,
       (SELECT group_concat(CASE WHEN t.not_principal THEN 'NotPrincipal ' ELSE '' END
                            || t.effect || ' ' || t.principal_kind || ' ' || t.principal, '; ')
        FROM trusts t WHERE t.run_id = r.run_id AND t.account_id = r.account_id
          AND t.role_name = r.role_name),
       r.trust_error
FROM roles r
LEFT JOIN accounts acc ON acc.run_id = r.run_id AND acc.account_id = r.account_id
WHERE r.run_id = :run_id AND (:team IS NULL OR acc.team = :team)
ORDER BY r.account_id, r.role_name;

-- name: report_trusts
SELECT t.account_id, acc.name, acc.team, t.role_name, t.role_arn, t.statement_index, t.sid,
       t.effect, t.not_principal, t.principal_kind, t.principal, t.principal_account,
       t.principal_type, t.actions, t.conditions
FROM trusts t
LEFT JOIN accounts acc ON acc.run_id = t.run_id AND acc.account_id = t.account_id
WHERE t.run_id = :run_id AND (:team IS NULL OR acc.team = :team)
ORDER BY t.account_id, t.role_name, t.statement_index, t.principal_index;

-- analyser
-- Named statements of analyser/ (iam-audit analyse, diff). Read one run's snapshot; write
-- that run's findings.

-- name: analyser_run
SELECT id, status, started_at FROM runs WHERE id = :run_id;

-- name: analyser_latest_run
SELECT run_id FROM latest_run;

-- name: analyser_accounts
SELECT account_id, name, status, is_base FROM accounts WHERE run_id = :run_id
ORDER BY account_id;

-- name: analyser_users
SELECT u.account_id, u.user_name, u.arn, u.created_at, u.password_enabled,
       u.password_last_used, u.mfa_active, u.user_id,
       (SELECT COUNT(*) FROM mfa_devices m WHERE m.run_id = u.run_id
            AND m.account_id = u.account_id AND m.user_name = u.user_name) AS n_mfa,
       (SELECT COUNT(*) FROM access_keys k WHERE k.run_id = u.run_id
            AND k.account_id = u.account_id AND k.user_name = u.user_name
            AND k.status = 'Active') AS n_active_keys,
       (SELECT MAX(k.last_used_at) FROM access_keys k WHERE k.run_id = u.run_id
            AND k.account_id = u.account_id AND k.user_name = u.user_name) AS key_last_used
FROM users u WHERE u.run_id = :run_id ORDER BY u.account_id, u.user_name;

-- name: analyser_user_exists
SELECT arn FROM users
WHERE run_id = :run_id AND account_id = :account_id AND user_name = :user_name COLLATE NOCASE;

-- name: analyser_mfa_devices
SELECT account_id, user_name, serial_number, device_name, kind FROM mfa_devices
WHERE run_id = :run_id AND user_name IS NOT NULL ORDER BY account_id, serial_number;

-- name: analyser_root_rows
SELECT account_id, arn, mfa_active, access_key_1_active, access_key_2_active,
       access_key_1_last_used_date, access_key_2_last_used_date, password_last_used
FROM credential_report WHERE run_id = :run_id AND user = '<root_account>' ORDER BY account_id;

-- name: analyser_root_mfa_devices
SELECT serial_number, kind, enabled_at FROM mfa_devices
WHERE run_id = :run_id AND account_id = :account_id AND user_name = '<root_account>'
ORDER BY serial_number;

-- name: analyser_policy_documents
-- Every policy document a person wrote: inline ones (resource: the principal's ARN and the
-- policy name) and customer-managed ones (resource: the policy's ARN).
SELECT p.account_id,
       COALESCE(u.arn, g.arn, r.arn, p.principal_name) || '#' || p.policy_name AS resource,
       'inline' AS kind, p.principal_kind || ' ' || p.principal_name AS owner, p.policy_name,
       p.document
FROM principal_policies p
LEFT JOIN users u ON p.principal_kind = 'user' AND u.run_id = p.run_id
     AND u.account_id = p.account_id AND u.user_name = p.principal_name
LEFT JOIN groups g ON p.principal_kind = 'group' AND g.run_id = p.run_id
     AND g.account_id = p.account_id AND g.group_name = p.principal_name
LEFT JOIN roles r ON p.principal_kind = 'role' AND r.run_id = p.run_id
     AND r.account_id = p.account_id AND r.role_name = p.principal_name
WHERE p.run_id = :run_id AND p.kind = 'inline' AND p.document IS NOT NULL
UNION ALL
SELECT account_id, arn, 'customer-managed', NULL, policy_name, document FROM policies
WHERE run_id = :run_id AND document IS NOT NULL
ORDER BY 1, 2;

-- name: analyser_password_policy
SELECT present, minimum_length FROM password_policies
WHERE run_id = :run_id AND account_id = :account_id;

-- name: analyser_access_keys
SELECT k.account_id, k.user_name, k.access_key_id, k.created_at, k.last_used_at,
       k.last_used_service, u.arn
FROM access_keys k LEFT JOIN users u ON u.run_id = k.run_id AND u.account_id = k.account_id
     AND u.user_name = k.user_name
WHERE k.run_id = :run_id AND k.status = 'Active' ORDER BY k.account_id, k.access_key_id;

-- name: analyser_roles
SELECT account_id, role_name, arn, path, created_at, last_used_at, role_id, trust_error
FROM roles r WHERE run_id = :run_id ORDER BY account_id, role_name;

-- The accounts whose trust rows the analyser walks, one at a time (analyse.c, trust_pass).
-- name: analyser_trust_accounts
SELECT DISTINCT account_id FROM trusts WHERE run_id = :run_id ORDER BY account_id;

-- One account's trust rows, by role (the primary key's order: no sort).
-- name: analyser_account_trusts
SELECT account_id, role_name, role_arn, statement_index, sid, effect, not_principal,
       principal_kind, principal, principal_account, principal_type, actions, not_action,
       conditions
FROM trusts WHERE run_id = :run_id AND account_id = :account_id
ORDER BY role_name, statement_index, principal_index;

-- One role's trust rows (iam-audit's own roles: own.c).
-- name: analyser_role_trusts
SELECT account_id, role_name, role_arn, statement_index, sid, effect, not_principal,
       principal_kind, principal, principal_account, principal_type, actions, not_action,
       conditions
FROM trusts WHERE run_id = :run_id AND account_id = :account_id AND role_name = :role_name
ORDER BY statement_index, principal_index;

-- name: analyser_role_policies
SELECT kind, policy_name, policy_arn, document FROM principal_policies
WHERE run_id = :run_id AND account_id = :account_id AND principal_kind = 'role'
      AND principal_name = :role_name
ORDER BY kind, policy_name;

-- name: analyser_policy_doc
SELECT document FROM policies WHERE run_id = :run_id AND arn = :arn;

-- name: analyser_managed_doc
SELECT document FROM managed_policies WHERE run_id = :run_id AND arn = :arn;

-- name: analyser_principal_id
SELECT kind, account_id, name, arn, first_seen_run, last_seen_run FROM principal_ids
WHERE unique_id = :unique_id;

-- name: analyser_principal_by_arn
SELECT unique_id, kind, name, first_seen_run, last_seen_run FROM principal_ids
WHERE arn = :arn COLLATE NOCASE ORDER BY first_seen_run, unique_id LIMIT 1;

-- name: analyser_prev_analysis
SELECT MAX(run_id) FROM analyses WHERE run_id < :run_id;

-- name: analyser_prev_finding
SELECT first_seen FROM findings WHERE run_id = :run_id AND fingerprint = :fingerprint;

-- name: analyser_delete_findings
DELETE FROM findings WHERE run_id = :run_id;

-- name: analyser_analysis_upsert
INSERT OR REPLACE INTO analyses (run_id, analysed_at, tool_version, leavers_path, roster_path,
    exceptions_path, findings, suppressed, input_warnings, not_checked)
VALUES (:run_id, :analysed_at, :tool_version, :leavers_path, :roster_path, :exceptions_path,
    :findings, :suppressed, :input_warnings, :not_checked);

-- name: analyser_analysis_set_catalogue
UPDATE analyses SET action_catalogue = :action_catalogue WHERE run_id = :run_id;

-- The analysis's findings as the rules emit them (history.c; an_pending is a TEMP table).
-- name: analyser_pending_insert
INSERT INTO an_pending (seq, rule, severity, fingerprint, account_id, resource, principal,
    title, evidence)
VALUES (:seq, :rule, :severity, :fingerprint, :account_id, :resource, :principal, :title,
    :evidence);

-- By fingerprint, worst first, then as emitted: duplicates come together (an_pending_fp).
-- name: analyser_pending_by_fingerprint
SELECT rule, severity, fingerprint, account_id, resource, principal, title, evidence
FROM an_pending ORDER BY fingerprint, severity DESC, seq;

-- name: analyser_pending_by_seq
SELECT rule, severity, fingerprint, account_id, resource, principal, title, evidence
FROM an_pending ORDER BY seq;

-- name: analyser_finding_insert
INSERT INTO findings (run_id, fingerprint, rule_id, severity, account_id, resource_arn,
    principal, title, evidence, first_seen, status, suppressed_by)
VALUES (:run_id, :fingerprint, :rule_id, :severity, :account_id, :resource_arn, :principal,
    :title, :evidence, :first_seen, :status, :suppressed_by);

-- name: analyser_latest_analysed
SELECT run_id FROM analyses ORDER BY run_id DESC LIMIT 1;

-- name: analyser_has_analysis
SELECT run_id FROM analyses WHERE run_id = :run_id;

-- name: analyser_run_findings
SELECT fingerprint, rule_id, severity, account_id, resource_arn, principal, title,
       suppressed_by
FROM findings WHERE run_id = :run_id
ORDER BY rule_id, account_id, resource_arn, principal, fingerprint;

-- name: analyser_prev_analysis_for_account
SELECT MAX(an.run_id) FROM analyses an JOIN accounts ac ON ac.run_id = an.run_id
WHERE an.run_id < :run_id AND ac.account_id = :account_id AND ac.status = 'ok';

-- name: analyser_account_status
SELECT status FROM accounts WHERE run_id = :run_id AND account_id = :account_id;

-- name: runs_prune
DELETE FROM runs
WHERE started_at < :cutoff
  AND id <> COALESCE((SELECT max(id) FROM runs WHERE status = 'complete'), -1);

-- name: analyser_account_user_names
SELECT user_name FROM users WHERE run_id = :run_id AND account_id = :account_id;

-- delivery
-- Statements of `iam-audit deliver` (deliver/*.c).

-- name: deliver_findings
SELECT f.fingerprint, f.rule_id, f.severity, f.account_id, acc.name, acc.team, f.resource_arn,
       f.principal, f.title, f.first_seen, f.suppressed_by
FROM findings f
LEFT JOIN accounts acc ON acc.run_id = f.run_id AND acc.account_id = f.account_id
WHERE f.run_id = :run_id
ORDER BY f.fingerprint;

-- name: deliver_insert
INSERT INTO deliveries (run_id, delivered_at, channel, target, team, status, detail, error)
VALUES (:run_id, :delivered_at, :channel, :target, :team, :status, :detail, :error);

-- name: deliver_sh_state
SELECT fingerprint, record_state, workflow, asff FROM securityhub_findings
WHERE region = :region ORDER BY fingerprint;

-- name: deliver_sh_upsert
INSERT INTO securityhub_findings (region, fingerprint, record_state, workflow, run_id, asff)
VALUES (:region, :fingerprint, :record_state, :workflow, :run_id, :asff)
ON CONFLICT (region, fingerprint) DO UPDATE SET
    record_state = excluded.record_state, workflow = excluded.workflow,
    run_id = excluded.run_id, asff = excluded.asff;

-- name: deliver_sh_workflow
UPDATE securityhub_findings SET workflow = :workflow
WHERE region = :region AND fingerprint = :fingerprint;
-- name: analyser_role_trust_policy
SELECT trust_policy FROM roles
WHERE run_id = :run_id AND account_id = :account_id AND role_name = :role_name;
-- name: analyser_not_checked
-- The rules the analysis of a run did not evaluate (analyses.not_checked, migration 0005).
SELECT json_extract(j.value, '$.rule'), json_extract(j.value, '$.reason')
FROM analyses a, json_each(COALESCE(a.not_checked, '[]')) j
WHERE a.run_id = :run_id;

-- name: analyser_prev_analysis_checking
-- The latest analysed run before :run_id that evaluated :rule_id and, for a finding with an
-- account, collected that account: where a finding's history continues after runs that did
-- not check its rule.
SELECT MAX(an.run_id) FROM analyses an
WHERE an.run_id < :run_id
  AND NOT EXISTS (SELECT 1 FROM json_each(COALESCE(an.not_checked, '[]')) j
                  WHERE json_extract(j.value, '$.rule') = :rule_id)
  AND (:account_id IS NULL OR EXISTS (SELECT 1 FROM accounts ac WHERE ac.run_id = an.run_id
                                      AND ac.account_id = :account_id AND ac.status = 'ok'));

-- name: carry_source_run
-- The run a partial collect (`collect --account`) carries the other accounts from.
SELECT MAX(id) FROM runs WHERE id < :run_id AND status IN ('complete', 'partial');

-- name: carry_counts
SELECT count(*), COALESCE(sum(status = 'failed'), 0) FROM accounts
WHERE run_id = :run_id AND data_run_id IS NOT NULL;

-- Users that may be iam-audit's runner (analyser/own.c decides from the config).
-- name: own_users
SELECT account_id, arn, user_name, password_enabled FROM users WHERE run_id = :run_id
ORDER BY account_id, arn;

-- name: own_policies
-- The policies of one user (its groups' included) or role.
SELECT kind, policy_name, policy_arn, document FROM principal_policies
WHERE run_id = :run_id AND account_id = :account_id
  AND ((principal_kind = :kind AND principal_name = :name)
       OR (:kind = 'user' AND principal_kind = 'group' AND principal_name IN
           (SELECT group_name FROM group_members WHERE run_id = :run_id
            AND account_id = :account_id AND user_name = :name)))
ORDER BY principal_kind, kind, policy_name;

-- access
-- Effective access paths (analyser/rule_access.c, cli/cmd_access.c, reports; migration 0009).

-- name: access_users
SELECT user_name, arn, user_id FROM users
WHERE run_id = :run_id AND account_id = :account_id ORDER BY user_name;

-- name: access_policies
-- Every policy of the base account's users and groups with its document: inline ones as
-- stored, attached ones from the account's customer-managed policies or AWS's managed ones.
SELECT p.principal_kind, p.principal_name, p.kind, p.policy_name, p.policy_arn,
       COALESCE(p.document, cp.document, mp.document) AS document
FROM principal_policies p
LEFT JOIN policies cp ON p.kind = 'attached' AND cp.run_id = p.run_id
     AND cp.account_id = p.account_id AND cp.arn = p.policy_arn
LEFT JOIN managed_policies mp ON p.kind = 'attached' AND mp.run_id = p.run_id
     AND mp.arn = p.policy_arn
WHERE p.run_id = :run_id AND p.account_id = :account_id AND p.principal_kind IN ('user', 'group')
ORDER BY p.principal_kind, p.principal_name, p.kind, p.policy_name;

-- name: access_memberships
SELECT user_name, group_name FROM group_members
WHERE run_id = :run_id AND account_id = :account_id ORDER BY user_name, group_name;

-- name: access_delete
DELETE FROM access_paths WHERE run_id = :run_id;

-- name: access_insert
INSERT INTO access_paths (run_id, account_id, role_name, role_arn, user_name, user_arn, via,
    trust_statement, identity_via, mfa_required, mfa_trust, mfa_identity, conditional,
    conditions, role_kind)
VALUES (:run_id, :account_id, :role_name, :role_arn, :user_name, :user_arn, :via,
    :trust_statement, :identity_via, :mfa_required, :mfa_trust, :mfa_identity, :conditional,
    :conditions, :role_kind);

-- name: access_list
-- `iam-audit access` and the reports: the paths of an analysed run, with names and teams.
-- :team NULL: every team.
SELECT p.user_name, p.user_arn, p.account_id, acc.name, acc.team, p.role_name, p.role_arn,
       p.role_kind, p.via, p.identity_via, p.mfa_required, p.conditional, p.conditions,
       r.last_used_at
FROM access_paths p
LEFT JOIN accounts acc ON acc.run_id = p.run_id AND acc.account_id = p.account_id
LEFT JOIN roles r ON r.run_id = p.run_id AND r.account_id = p.account_id
     AND r.role_name = p.role_name
WHERE p.run_id = :run_id AND (:team IS NULL OR acc.team = :team)
ORDER BY p.user_name, acc.name, p.account_id, p.role_name;

-- name: report_access
-- access.csv and the Access sheets: one row per (person, role) path of the run; with :team,
-- only roles in that team's accounts ("who can get into your accounts").
SELECT p.user_name, p.account_id, acc.name, acc.team, p.role_name, p.role_arn, p.role_kind,
       p.via, p.identity_via, p.mfa_required, p.conditional, p.conditions, r.last_used_at
FROM access_paths p
LEFT JOIN accounts acc ON acc.run_id = p.run_id AND acc.account_id = p.account_id
LEFT JOIN roles r ON r.run_id = p.run_id AND r.account_id = p.account_id
     AND r.role_name = p.role_name
WHERE p.run_id = :run_id AND (:team IS NULL OR acc.team = :team)
ORDER BY p.user_name, acc.name, p.account_id, p.role_name;

-- name: report_leaver_paths
-- The roles a leaver (user name or ARN) can still assume, for the Leavers sheet's remaining
-- access; with :team, only that team's accounts.
SELECT p.role_name, COALESCE(acc.name, p.account_id), p.mfa_required
FROM access_paths p
LEFT JOIN accounts acc ON acc.run_id = p.run_id AND acc.account_id = p.account_id
WHERE p.run_id = :run_id AND (p.user_name = :user COLLATE NOCASE OR p.user_arn = :user)
  AND (:team IS NULL OR acc.team = :team)
ORDER BY acc.name, p.account_id, p.role_name;

-- name: report_access_by_account
-- The Access sheets: one row per (person, account) with the roles they can assume there
-- (' (no MFA)' after a role whose path needs none, ' (conditional)' after a conditional one)
-- and an MFA flag; with :team, only that team's accounts.
SELECT p.user_name, p.account_id, acc.name, acc.team,
       group_concat(p.role_name ||
                    CASE WHEN p.mfa_required THEN '' ELSE ' (no MFA)' END ||
                    CASE WHEN p.conditional THEN ' (conditional)' ELSE '' END, ', '),
       count(*), max(p.role_kind = 'admin'), min(p.mfa_required), sum(p.mfa_required = 0),
       max(p.conditional)
FROM (SELECT * FROM access_paths WHERE run_id = :run_id ORDER BY role_name) p
LEFT JOIN accounts acc ON acc.run_id = p.run_id AND acc.account_id = p.account_id
WHERE :team IS NULL OR acc.team = :team
GROUP BY p.user_name, p.account_id
ORDER BY p.user_name, acc.name, p.account_id;
