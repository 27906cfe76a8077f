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
       password_last_changed = :password_last_changed, mfa_active = :mfa_active
WHERE run_id = :run_id AND account_id = :account_id AND arn = :arn;

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
