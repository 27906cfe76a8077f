#!/bin/sh
# What people write instead of iam-audit, (a): a shell script over awscli (bench/versus.sh).
#
#   bench/awscli_baseline.sh ROLE_NAME ACCOUNT_ID... > out.jsonl
#
# With the caller's credentials in the environment (AWS_ACCESS_KEY_ID, ...; AWS_ENDPOINT_URL
# for a local stand-in), for each account: assume arn:aws:iam::ACCOUNT:role/ROLE_NAME, then
# gather users, each user's MFA devices, each access key's last use, and roles with their
# trust policy (list-roles) and last use (get-role: list-roles does not return RoleLastUsed).
# One JSON object per line on stdout. Written as a careful shell user would: awscli's own
# pagination, --query to keep output small, text output for loops, jq for JSON; one account at a time,
# one awscli process per call (that is where the time goes).
set -eu
[ $# -ge 2 ] || { echo "usage: $0 ROLE_NAME ACCOUNT_ID..." >&2; exit 64; }
role_name=$1
shift
base_key=$AWS_ACCESS_KEY_ID
base_secret=$AWS_SECRET_ACCESS_KEY
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"

for account in "$@"; do
    # back to the caller's own credentials before each AssumeRole
    export AWS_ACCESS_KEY_ID="$base_key" AWS_SECRET_ACCESS_KEY="$base_secret"
    unset AWS_SESSION_TOKEN
    creds=$(aws sts assume-role --role-arn "arn:aws:iam::$account:role/$role_name" \
        --role-session-name awscli-audit --output text \
        --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]')
    AWS_ACCESS_KEY_ID=$(printf '%s\n' "$creds" | cut -f1)
    AWS_SECRET_ACCESS_KEY=$(printf '%s\n' "$creds" | cut -f2)
    AWS_SESSION_TOKEN=$(printf '%s\n' "$creds" | cut -f3)
    export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN

    for user in $(aws iam list-users --output text --query 'Users[].UserName'); do
        mfa=$(aws iam list-mfa-devices --user-name "$user" --output text \
            --query 'MFADevices[].SerialNumber')
        printf '{"account":"%s","user":"%s","mfa":"%s"}\n' "$account" "$user" "$mfa"
        for key in $(aws iam list-access-keys --user-name "$user" --output text \
                --query 'AccessKeyMetadata[].AccessKeyId'); do
            used=$(aws iam get-access-key-last-used --access-key-id "$key" --output text \
                --query 'AccessKeyLastUsed.LastUsedDate')
            printf '{"account":"%s","user":"%s","key":"%s","last_used":"%s"}\n' \
                "$account" "$user" "$key" "$used"
        done
    done
    roles=$(aws iam list-roles --output json \
        --query 'Roles[].{name:RoleName,trust:AssumeRolePolicyDocument}')
    for r in $(printf '%s\n' "$roles" | jq -r '.[].name'); do
        last=$(aws iam get-role --role-name "$r" --output text \
            --query 'Role.RoleLastUsed.LastUsedDate')
        printf '%s\n' "$roles" | jq -c --arg a "$account" --arg r "$r" --arg l "$last" \
            '.[] | select(.name == $r) | {account: $a, role: $r, trust, last_used: $l}'
    done
done
