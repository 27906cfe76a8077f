#!/usr/bin/env python3
"""Build a GDS-style multi-account IAM estate in a moto server, for iam-audit's tests and demos.

    build_estate.py --endpoint http://127.0.0.1:PORT --spec SPEC --out-dir DIR
                    [--password-policy strong|weak|none] [--weak-password-policy]
                    [--enable-auth] [--no-reset] [--seed N] [--jobs N]

SPEC is `small` (integration tests), `demo` (a few dozen people, five team accounts) or
`bench:USERS:ACCOUNTS:ROLES` (synthetic scale, few defects).

The route is the realistic one (docs/moto.md): the default credentials assume
arn:aws:iam::BASE:role/OrganizationAccountAccessRole to seed the base account (moto lets
anyone assume any role ARN, existing or not); there the audit user and its access key are
created; every team account is then built with that key through sts:AssumeRole into the
account's audit role ARN (the role itself is the first thing created there). No
x-moto-account-id header is used.

Time: moto stamps create and last-used dates with its clock. When the server is the one
started by moto_ctl.py (which serves /_estate/clock), each operation carries an age in
days and the clock is moved back while it runs, so that users, keys and roles can be
hundreds of days old and keys/roles can have been last used long ago. With a stock
moto_server there is no clock, and the time-based rules are listed as not plantable.

Determinism: the server state is reset and moto's id generator re-seeded (seed 42) first,
and every call is made in one fixed order, so ids, keys and ARNs are the same on every
build of a spec (dates move with the wall clock). --jobs N > 1 (bench only) builds team
accounts in parallel and gives up the reproducible ids.

Outputs in --out-dir: manifest.json, leavers.csv, roster.csv, iam-audit.conf,
exceptions.ini, env. manifest.json carries the audit user's secret key: TEST-ONLY.
"""

import argparse
import base64
import concurrent.futures
import csv
import datetime
import hashlib
import json
import os
import re
import sys
import threading
import time
import urllib.error
import urllib.request

import boto3
from botocore.config import Config

D = "digital.cabinet-office.gov.uk"
E = "example.gov.uk"
ALLOWED_DOMAINS = [D, E]
GROUP = "gds-users-cross-account"
AUDIT_ROLE = "iam-audit"
AUDIT_USER = "iam-audit"
# "/" and not "/service/": with auth on, moto evaluates a same-account trust policy against
# the caller's ARN built without its path, so a pathed audit user could not assume the
# base account's audit role.
AUDIT_USER_PATH = "/"
SEED_ROLE = "OrganizationAccountAccessRole"
KNOWN_ACCOUNT = "555555555555"      # listed in known_accounts (e.g. the org management account)
EXTERNAL_ACCOUNT = "999999999999"   # nobody knows it
ORG_ID = "o-gds1a2b3c4d"
PASSWORD = "Correct-Horse-Battery-Staple-2026"   # 33 chars, passes any length policy
REGION = "us-east-1"
HUMAN_ROLE_PATTERNS = ["Admin", "TrustedUser", "ReadOnly", "*.*-admin", "*.*-readonly"]
READONLY_ROLE_PATTERN = "*readonly*"
MFA_TRUE = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
V = "2012-10-17"


# ========================================================================================
# Spec model
# ========================================================================================

class Expect:
    """A finding the analyser must raise for the resource it is attached to."""

    def __init__(self, rule, principal=None, severity=None, note="", incidental=False,
                 exception=None, resource=None, needs_clock=False):
        self.rule, self.principal, self.severity, self.note = rule, principal, severity, note
        self.incidental, self.exception, self.resource = incidental, exception, resource
        self.needs_clock = needs_clock


class Negative:
    """A rule the analyser must NOT raise for the resource it is attached to."""

    def __init__(self, rule, note, resource=None):
        self.rule, self.note, self.resource = rule, note, resource


class Key:
    def __init__(self, age=0, used=None, status="Active"):
        self.age, self.used, self.status = age, used, status
        self.access_key_id = None


class User:
    def __init__(self, name, path="/", age=0, password=True, keys=(), mfa="same", mfa_age=None,
                 groups=(GROUP,), roster=True, leaver=None, deleted=False, expect=(),
                 negative=(), person=True, inline=None):
        self.name, self.path, self.age, self.password = name, path, age, password
        self.inline = dict(inline or {})   # inline policies: name -> document
        self.keys = list(keys)
        # mfa: "same" -> device named exactly the user name; None -> no device; str -> name
        self.mfa = name if mfa == "same" else mfa
        self.mfa_age = age if mfa_age is None else mfa_age
        self.groups, self.roster, self.leaver, self.deleted = list(groups), roster, leaver, deleted
        self.expect, self.negative, self.person = list(expect), list(negative), person
        self.user_id = None

    def arn(self, account):
        return f"arn:aws:iam::{account}:user{self.path}{self.name}"


class Role:
    def __init__(self, name, trust, path="/", age=0, used=None, managed=(), inline=None,
                 expect=(), negative=(), service_linked=None, description=None):
        self.name, self.trust, self.path, self.age, self.used = name, trust, path, age, used
        self.managed, self.inline = list(managed), dict(inline or {})
        self.expect, self.negative = list(expect), list(negative)
        self.service_linked, self.description = service_linked, description

    def arn(self, account):
        return f"arn:aws:iam::{account}:role{self.path}{self.name}"


class Account:
    def __init__(self, account_id, name, team, alias, base=False, password_policy=None):
        self.id, self.name, self.team, self.alias, self.base = account_id, name, team, alias, base
        self.password_policy = password_policy   # minimum length, or None for no policy
        self.users, self.roles, self.policies, self.groups = [], [], {}, {}
        self.orphan_mfa = []   # virtual MFA devices created and never assigned
        self.expect, self.negative = [], []    # account-level (password policy)


class Spec:
    def __init__(self, name):
        self.name = name
        self.base = None
        self.accounts = []          # team accounts
        self.leavers = []           # (email as written in the CSV, leaving date offset in days)
        self.extra_roster = []      # roster rows for people with no base user
        self.former = []            # users created and deleted: (User, aws_form_unique_id)
        self.not_plantable = []

    def all_accounts(self):
        return [self.base] + self.accounts


# ---- policy documents -----------------------------------------------------------------

FULL_ADMIN = {"Version": V, "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
VIEW_ONLY = {"Version": V, "Statement": [{
    "Sid": "ViewOnly", "Effect": "Allow", "Resource": "*",
    "Action": ["cloudwatch:Describe*", "cloudwatch:List*", "ec2:Describe*", "iam:List*",
               "iam:GetAccountSummary", "logs:DescribeLogGroups", "rds:Describe*",
               "s3:ListAllMyBuckets", "s3:GetBucketLocation", "ssm:ListDocuments"]}]}
TRUSTED_USER = {"Version": V, "Statement": [
    {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["iam:Get*", "iam:List*", "iam:PassRole"], "Resource": "*"}]}
READONLY_PLUS_SECRETS = {"Version": V, "Statement": [{
    "Effect": "Allow", "Resource": "*",
    "Action": ["ssm:Describe*", "ssm:GetParameter*", "secretsmanager:GetSecretValue"]}]}
KMS_DECRYPT_INLINE = {"Version": V, "Statement": {
    "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}}
SSM_DENIED_INLINE = {"Version": V, "Statement": [
    {"Effect": "Allow", "Action": ["ssm:Describe*", "ssm:GetParameter*"], "Resource": "*"},
    {"Effect": "Deny", "Action": "ssm:*", "Resource": "*"}]}
GROUP_ASSUME = {"Version": V, "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/*",
    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}
# moto evaluates identity policies with Resource "*" only (docs/moto.md); on AWS this
# would name arn:aws:iam::*:role/iam-audit.
AUDIT_USER_POLICY = {"Version": V, "Statement": [{
    "Effect": "Allow", "Action": ["sts:AssumeRole", "sts:GetCallerIdentity"], "Resource": "*"}]}
# Broader than docs/permissions.md on purpose: the same role serves the test oracle
# (readback.py reads every user, role and policy with iam:Get*/List*) and, in the base
# account, test_run.py's organization discovery. So every audit role is planted as
# audit-role-broader, accepted by the estate's audit-role exception.
AUDIT_ROLE_POLICY = {"Version": V, "Statement": [{
    "Sid": "ReadIam", "Effect": "Allow", "Resource": "*",
    "Action": ["iam:Get*", "iam:List*", "iam:GenerateCredentialReport",
               "organizations:ListAccounts", "sts:GetCallerIdentity"]}]}

# Issue 13: a Trusted-user add-on that lets the role attach any policy to any role (itself
# included): an escalation to admin.
IAM_SELF_SERVICE_INLINE = {"Version": V, "Statement": [{
    "Effect": "Allow", "Action": ["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
    "Resource": "*"}]}
GITHUB_OIDC = "token.actions.githubusercontent.com"
DATADOG_ACCOUNT = "464622532012"   # Datadog's AWS integration account (Datadog docs)


def trust_github(account, cond):
    """GitHub Actions OIDC trust, as GitHub's "Configuring OpenID Connect in AWS" writes it."""
    return {"Version": V, "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::{account}:oidc-provider/{GITHUB_OIDC}"},
        "Action": "sts:AssumeRoleWithWebIdentity", "Condition": cond}]}


STANDARD_POLICIES = {"gds-full-admin": FULL_ADMIN, "gds-view-only": VIEW_ONLY,
                     "gds-trusted-user": TRUSTED_USER}


# ---- trust documents ------------------------------------------------------------------

def user_arn(base, name, path="/"):
    return f"arn:aws:iam::{base}:user{path}{name}"


def trust_users(arns, cond=MFA_TRUE, as_object=False, action="sts:AssumeRole"):
    principal = {"AWS": arns[0] if len(arns) == 1 else list(arns)}
    st = {"Effect": "Allow", "Principal": principal, "Action": action}
    if cond:
        st["Condition"] = cond
    return {"Version": V, "Statement": st if as_object else [st]}


def trust_service(service):
    return {"Version": V, "Statement": [{"Effect": "Allow", "Principal": {"Service": service},
                                         "Action": "sts:AssumeRole"}]}


def audit_trust(base):
    return {"Version": V, "Statement": [{
        "Sid": "AuditUser", "Effect": "Allow",
        "Principal": {"AWS": user_arn(base, AUDIT_USER, AUDIT_USER_PATH)},
        "Action": "sts:AssumeRole"}]}


def aws_form_unique_id(prefix, name):
    """A deterministic id in AWS's form (AIDA/AROA + 17 of [A-Z2-7])."""
    digest = hashlib.sha256(name.encode()).digest()
    return prefix + base64.b32encode(digest).decode()[:17]


def local(email):
    return email.split("@")[0]


# ========================================================================================
# Specs
# ========================================================================================

def add_audit(spec):
    """The audit user in base, the audit role in every account, with their incidental findings."""
    base = spec.base.id
    audit = User(AUDIT_USER, path=AUDIT_USER_PATH, password=False, keys=[Key(used=0)],
                 mfa=None, groups=(), roster=False, person=False, expect=[
                     Expect("user-no-mfa", severity="critical", incidental=True,
                            exception="audit-user",
                            note="the audit service user: active access key, no MFA "
                                 "(it cannot use MFA unattended)"),
                     Expect("user-name-not-email", incidental=True, exception="audit-user",
                            note="service user, not a person"),
                     Expect("user-not-in-group", incidental=True, exception="audit-user",
                            note="service user, deliberately not in the cross-account group"),
                     Expect("user-not-in-roster", incidental=True, exception="audit-user",
                            note="service user, not in the people roster")])
    spec.base.users.insert(0, audit)
    # The audit role is iam-audit's own (issue 19.1): no trust-no-mfa or
    # role-name-nonstandard; checked against docs/permissions.md instead.
    for acct in spec.all_accounts():
        acct.roles.insert(0, Role(AUDIT_ROLE, audit_trust(base),
                                  inline={"iam-audit-read": AUDIT_ROLE_POLICY}, expect=[
                                      Expect("audit-role-broader", severity="high",
                                             incidental=True, exception="audit-role",
                                             note="iam:Get*/List* for the test oracle: more "
                                                  "than docs/permissions.md")]))


def team_roles(acct, base, admins, trusted, readers, admin_trust=None, readonly=None,
               readonly_expect=(), readonly_negative=(), readonly_inline=None):
    acct.roles.append(Role("Admin", admin_trust or trust_users([user_arn(base, u) for u in admins]),
                           managed=["gds-full-admin"]))
    acct.roles.append(Role("TrustedUser", trust_users([user_arn(base, u) for u in trusted]),
                           managed=["gds-trusted-user"]))
    acct.roles.append(Role("ReadOnly", trust_users([user_arn(base, u) for u in readers]),
                           managed=readonly or ["gds-view-only"], inline=readonly_inline,
                           expect=readonly_expect, negative=readonly_negative))


def person_role(base, email, kind, **kw):
    trust = kw.pop("trust", None) or trust_users([user_arn(base, email)])
    managed = kw.pop("managed", None) or (["gds-full-admin"] if kind == "admin"
                                           else ["gds-view-only"])
    return Role(f"{local(email)}-{kind}", trust, managed=managed, **kw)


def spec_core(name, base_id, t1, t2, t3, password_policy):
    """The defect estate shared by `small` and `demo` (base + three team accounts)."""
    spec = Spec(name)
    min_len = {"strong": 16, "weak": 12, "none": None}[password_policy]
    base = spec.base = Account(base_id, "gds-users", None, "gds-users", base=True,
                               password_policy=min_len)
    B = base_id
    if password_policy == "strong":
        base.negative.append(Negative("password-policy-weak",
                                      "base account policy has MinimumPasswordLength 16"))
    else:
        base.expect.append(Expect("password-policy-weak",
                                  note=("base account minimum length 12 < 16"
                                        if password_policy == "weak"
                                        else "base account has no password policy")))

    alice, bob, charlie = f"alice.smith@{D}", f"bob.jones@{D}", f"charlie.brown@{E}"
    dave, erin, fiona = f"dave.leaver@{D}", f"erin.nomfa@{D}", f"fiona.nocreds@{E}"
    george, jsmith, alex = f"george.badmfa@{D}", "jsmith", "alex.contractor@gmail.com"
    carol, grace, henry = f"carol.nogroup@{D}", f"grace.unlisted@{D}", f"henry.inactive@{D}"
    ivy, jack, kate, liam = f"ivy.oldkey@{D}", f"jack.unusedkey@{D}", f"kate.future@{E}", \
        f"liam.keys@{D}"
    frank, oscar = f"frank.former@{D}", f"oscar.deleted@{D}"

    base.users += [
        User(alice, keys=[Key()]),
        User(bob, mfa=f"{bob}-iphone"),
        User(charlie, password=False, keys=[Key()]),
        User(dave, keys=[Key()], roster=False, leaver=-45, expect=[
            Expect("leaver-present", note="left 45 days ago; password and an active key remain")]),
        User(erin, mfa=None, inline={"assume-own-admin-role-without-mfa": {
            "Version": V, "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                         "Resource": f"arn:aws:iam::{t2}:role/erin.nomfa-admin"}]}},
             expect=[
            Expect("user-no-mfa", severity="critical", note="console password, no MFA device")]),
        User(fiona, password=False, mfa=None, expect=[
            Expect("user-no-mfa", severity="low",
                   note="no MFA but neither password nor access keys: must not be critical")]),
        User(george, mfa="iphone-george", expect=[
            Expect("mfa-device-name-prefix", note="device 'iphone-george' does not start with "
                                                  "the user name")]),
        User(jsmith, roster=False, expect=[
            Expect("user-name-not-email", note="old-style user name"),
            Expect("user-not-in-roster", note="the roster lists e-mails; 'jsmith' matches none")]),
        User(alex, expect=[
            Expect("user-name-not-email", note="e-mail in a domain outside allowed_email_domains "
                                               "(in the roster, so only this rule)")]),
        User(carol, groups=(), expect=[
            Expect("user-not-in-group", note=f"not in {GROUP}")]),
        User(grace, roster=False, expect=[
            Expect("user-not-in-roster", note="in neither roster.csv nor leavers.csv")]),
        User(henry, age=400, expect=[
            Expect("user-inactive", needs_clock=True,
                   note="created 400 days ago; password never used (moto never sets "
                        "PasswordLastUsed), no access keys")]),
        User(ivy, age=120, password=False, keys=[Key(age=120, used=0)], negative=[
            Negative("user-inactive", "key used today"),
            Negative("access-key-unused", "key used today")]),
        User(jack, age=200, keys=[Key(age=200, used=150), Key(age=0, used=0)],
             negative=[Negative("user-inactive", "second key used today")]),
        User(kate, negative=[Negative("leaver-present", "leaving date is 30 days in the future")]),
        User(liam, age=60, password=False, keys=[Key(age=60)], negative=[
            Negative("access-key-unused", "key never used but created 60 days ago (< stale_days)"),
            Negative("user-inactive", "created 60 days ago (< stale_days)")]),
    ]
    # Key findings are attached after the build, once the key ids are known.
    spec.key_expect = [
        (ivy, 0, "access-key-old", "key created 120 days ago, used today", None),
        (jack, 0, "access-key-unused", "key created 200 days ago, last used 150 days ago", None),
        (jack, 0, "access-key-old", "key created 200 days ago", None),
    ]
    base.orphan_mfa.append("unassigned-spare-device")
    spec.leavers = [(dave.replace("dave.leaver", "Dave.Leaver"), -45), (kate, 30),
                    (f"paul.gone@{D}", -200)]
    spec.former = [(User(frank), aws_form_unique_id("AIDA", frank)), (User(oscar), None)]
    frank_uid = spec.former[0][1]

    # ---- team account 1: PaaS production ----------------------------------------------
    a1 = Account(t1, "paas-prod", "paas", "gds-paas-prod")
    a1.policies.update(STANDARD_POLICIES)
    team_roles(a1, B, admins=[alice, bob, dave], trusted=[alice, charlie],
               readers=[alice, bob, charlie, kate])
    # Issue 13: this account's Trusted user can attach any policy to any role, itself included.
    a1.roles[1].inline["iam-self-service"] = IAM_SELF_SERVICE_INLINE
    a1.roles[1].expect.append(Expect(
        "role-privilege-escalation", severity="critical",
        note="Trusted user with iam:AttachRolePolicy on every resource: it can attach "
             "AdministratorAccess to itself"))
    # Issue 18: the same grant is IAM administration in AWS's catalogue (Permissions management).
    a1.roles[1].expect.append(Expect(
        "trusted-role-iam-admin", severity="high",
        note="Trusted user with iam:AttachRolePolicy: IAM administration, which GDS's Trusted "
             "user role excludes"))
    a1.roles += [
        Role("bootstrap-admin", trust_users([user_arn(B, bob)]), age=60,
             managed=["gds-full-admin"], expect=[
                 Expect("bootstrap-role-present", severity="high", needs_clock=True,
                        note="created 60 days ago (> 30-day grace), never used, full admin; "
                             "the account also has Admin")]),
        person_role(B, alice, "admin"),
        person_role(B, bob, "admin", trust={"Version": V, "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
            "Action": "sts:AssumeRole", "Condition": MFA_TRUE}]}, expect=[
            Expect("trust-account-root", principal=f"arn:aws:iam::{B}:root", severity="high",
                   note="trusts the whole base account (AWS form :root), with MFA")]),
        person_role(B, charlie, "readonly", trust={"Version": V, "Statement": {
            "Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
            "Condition": MFA_TRUE}}, expect=[
            Expect("trust-wildcard-principal", principal="*", severity="critical",
                   note='Principal "*" (string form), only an MFA condition: not pinned')]),
        person_role(B, alice, "readonly", trust={"Version": V, "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID},
                          "Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}, expect=[
            Expect("trust-wildcard-principal", principal="*", severity=None,
                   note='{"AWS":"*"} pinned by aws:PrincipalOrgID: lower than critical')]),
        person_role(B, henry, "admin", age=200, expect=[
            Expect("role-unused", needs_clock=True,
                   note="human role created 200 days ago, never assumed")]),
        person_role(B, ivy, "readonly", age=200, used=10, negative=[
            Negative("role-unused", "created 200 days ago but used 10 days ago")]),
        person_role(B, liam, "readonly", inline={"decrypt": KMS_DECRYPT_INLINE}, expect=[
            Expect("readonly-role-side-effects",
                   note="inline policy allows kms:Decrypt (Statement as an object)")]),
        Role("ec2-app-server", trust_service("ec2.amazonaws.com"), managed=["gds-view-only"],
             negative=[Negative("trust-no-mfa", "service principal ec2.amazonaws.com")]),
        # Issue 13: GitHub Actions OIDC checking only aud (any repository in the world).
        Role("github-deploy", trust_github(t1, {
            "StringEquals": {f"{GITHUB_OIDC}:aud": "sts.amazonaws.com"}}),
            managed=["gds-trusted-user"], expect=[
            Expect("trust-federated-unscoped",
                   principal=f"arn:aws:iam::{t1}:oidc-provider/{GITHUB_OIDC}",
                   severity="critical",
                   note="GitHub OIDC trust with aud but no sub: any repository can assume it")]),
        Role("github-deploy-pinned", trust_github(t1, {
            "StringEquals": {f"{GITHUB_OIDC}:aud": "sts.amazonaws.com"},
            "StringLike": {f"{GITHUB_OIDC}:sub": "repo:alphagov/paas-cf:*"}}),
            managed=["gds-trusted-user"], negative=[
            Negative("trust-federated-unscoped", "sub pinned to one repository (any branch)")]),
        Role("AWSServiceRoleForSupport", None, service_linked="support.amazonaws.com",
             negative=[Negative("*", "service-linked role (CreateServiceLinkedRole)")]),
        Role("AWSServiceRoleForElasticBeanstalk",
             trust_service("elasticbeanstalk.amazonaws.com"),
             path="/aws-service-role/elasticbeanstalk.amazonaws.com/", age=200,
             negative=[Negative("*", "path /aws-service-role/, 200 days old, never used: "
                                     "out of every role rule")]),
    ]

    # ---- team account 2: Verify staging -----------------------------------------------
    a2 = Account(t2, "verify-staging", "verify", "gds-verify-staging", password_policy=12)
    a2.policies.update(STANDARD_POLICIES)
    a2.policies["gds-readonly-plus-secrets"] = READONLY_PLUS_SECRETS
    a2.negative.append(Negative("password-policy-weak",
                                "team account with min length 12: the rule is about the base "
                                "account only"))
    team_roles(a2, B, admins=[alice], trusted=[alice, erin], readers=[alice, bob, george],
               admin_trust=trust_users([user_arn(B, alice)], as_object=True),
               readonly=["gds-view-only", "gds-readonly-plus-secrets"], readonly_expect=[
                   Expect("readonly-role-side-effects",
                          note="customer-managed gds-readonly-plus-secrets: ssm:Describe* "
                               "(matches ssm:DescribeParameters), ssm:GetParameter*, "
                               "secretsmanager:GetSecretValue")])
    a2.roles += [
        # Issue 13: a vendor's machine trust, as Datadog's AWS integration documents it.
        Role("DatadogIntegrationRole", {"Version": V, "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{DATADOG_ACCOUNT}:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "0f3c8a9d2b7e4c61a5d09e8b7c6f5a4e"}}}]},
            managed=["gds-view-only"], expect=[
            Expect("trust-external-account", principal=f"arn:aws:iam::{DATADOG_ACCOUNT}:root",
                   severity="medium", note="vendor account, sts:ExternalId required: lower"),
            Expect("trust-account-root", principal=f"arn:aws:iam::{DATADOG_ACCOUNT}:root",
                   severity="medium", note="trusts the vendor's whole account")],
            negative=[Negative("trust-no-mfa", "a vendor's machine trust pinned by "
                                               "sts:ExternalId: no person, no MFA")]),
        Role("bootstrap-admin", trust_users([user_arn(B, alice)]), age=5,
             managed=["gds-full-admin"], negative=[
                 Negative("bootstrap-role-present", "created 5 days ago, within the grace")]),
        person_role(B, george, "admin", trust={"Version": V, "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": [B]}, "Action": "sts:AssumeRole",
            "Condition": MFA_TRUE}]}, expect=[
            Expect("trust-account-root", principal=B, severity="high",
                   note="bare account id in a Principal array (moto keeps it; AWS would "
                        "rewrite it to :root)")]),
        person_role(B, grace, "admin", trust={"Version": V, "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"ArnLike": {"aws:PrincipalArn": user_arn(B, grace)},
                          "Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}, expect=[
            Expect("trust-account-root", principal=f"arn:aws:iam::{B}:root", severity=None,
                   note="whole base account narrowed by aws:PrincipalArn: lower, say why")]),
        person_role(B, erin, "admin", trust=trust_users([user_arn(B, erin)], cond=None),
                    expect=[Expect("trust-no-mfa", principal=user_arn(B, erin),
                                   note="an IAM user, no MFA condition at all")]),
        person_role(B, bob, "readonly", trust=trust_users(
            [user_arn(B, bob)], cond={"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}),
            expect=[Expect("trust-mfa-if-exists", principal=user_arn(B, bob),
                           note="MFA only through BoolIfExists (long-term keys pass); expected "
                                "instead of, not as well as, trust-no-mfa")]),
        person_role(B, kate, "readonly", trust=trust_users(
            [user_arn(B, kate)], cond={"NumericLessThan": {"aws:MultiFactorAuthAge": "43200"}}),
            negative=[Negative("trust-no-mfa", "aws:MultiFactorAuthAge bound counts as MFA")]),
        Role("deployer", {"Version": V, "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{KNOWN_ACCOUNT}:role/concourse-deployer"},
            "Action": ["sts:AssumeRole", "sts:TagSession"]}]}, managed=["gds-trusted-user"],
            negative=[Negative("trust-external-account",
                               f"{KNOWN_ACCOUNT} is in known_accounts"),
                      Negative("trust-no-mfa", "principal is a role, not a user or account")]),
    ]
    a2.users += [
        User(f"legacy.user@{D}", groups=(), roster=False, mfa=None, expect=[
            Expect("team-account-user", note="IAM user with a console password in a team "
                                             "account")]),
        User("ci-deployer", path="/service/", password=False, keys=[Key()], groups=(),
             roster=False, mfa=None, person=False, expect=[
                 Expect("team-account-user", note="IAM user with an active access key in a "
                                                  "team account (allow by exception if a "
                                                  "service user)")]),
        User(f"nobody.nocreds@{D}", password=False, groups=(), roster=False, mfa=None,
             negative=[Negative("team-account-user", "neither password nor access keys")]),
    ]

    # ---- team account 3: Notify dev (account id with a leading zero) -------------------
    a3 = Account(t3, "notify-dev", "notify", "gds-notify-dev")
    a3.policies.update(STANDARD_POLICIES)
    a3.roles += []
    team_roles(a3, B, admins=[alice, charlie], trusted=[charlie], readers=[charlie, kate],
               admin_trust={"Version": V, "Statement": [
                   {"Sid": "People", "Effect": "Allow",
                    "Principal": {"AWS": [user_arn(B, alice), user_arn(B, charlie)]},
                    "Action": "sts:AssumeRole", "Condition": MFA_TRUE},
                   {"Sid": "DenyWithoutMfa", "Effect": "Deny", "Principal": "*",
                    "Action": "sts:AssumeRole",
                    "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]},
               readonly_inline={"ssm-extra": SSM_DENIED_INLINE}, readonly_negative=[
                   Negative("readonly-role-side-effects",
                            "inline policy allows ssm:Describe*/GetParameter* but an explicit "
                            "Deny ssm:* overrides it")])
    a3.roles[-3].negative += [
        Negative("trust-wildcard-principal", 'the "*" is in a Deny statement'),
        Negative("trust-mfa-if-exists", "BoolIfExists ... false in a Deny is the recommended "
                                        "pattern")]
    a3.roles += [
        person_role(B, dave, "admin"),
        Role("vendor-audit", {"Version": V, "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{EXTERNAL_ACCOUNT}:role/VendorAuditor"},
            "Action": "sts:AssumeRole"}]}, managed=["gds-view-only"], expect=[
            Expect("trust-external-account",
                   principal=f"arn:aws:iam::{EXTERNAL_ACCOUNT}:role/VendorAuditor",
                   note="unknown account, no sts:ExternalId")]),
        Role("vendor-audit-extid", {"Version": V, "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": [f"arn:aws:iam::{EXTERNAL_ACCOUNT}:role/VendorAuditor"]},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "gds-notify-7f3a"}}}]},
            managed=["gds-view-only"], expect=[
            Expect("trust-external-account",
                   principal=f"arn:aws:iam::{EXTERNAL_ACCOUNT}:role/VendorAuditor",
                   note="unknown account, sts:ExternalId required: lower")]),
        person_role(B, grace, "readonly", trust=trust_users([frank_uid]), expect=[
            Expect("trust-dangling-principal", principal=frank_uid,
                   note=f"unique id of deleted user {frank} (AWS form, written directly)")]),
        person_role(B, alice, "readonly", trust=trust_users(
            [user_arn(B, alice), user_arn(B, oscar)]), expect=[
            Expect("trust-dangling-principal", principal=user_arn(B, oscar),
                   note=f"ARN of {oscar}, deleted from the base account")]),
        person_role(B, kate, "admin", trust={"Version": V, "Statement": [{
            "Effect": "Allow", "NotPrincipal": {"AWS": [user_arn(B, alice)]},
            "Action": "sts:AssumeRole", "Condition": MFA_TRUE}]}, expect=[
            Expect("trust-not-principal", principal=user_arn(B, alice),
                   note="NotPrincipal with Allow")]),
        Role("BobsSpecialAccess", {"Version": V, "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": user_arn(B, bob)},
            "NotAction": ["sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity"],
            "Condition": MFA_TRUE}]}, managed=["gds-trusted-user"],
            expect=[]),   # role-name-nonstandard is derived below
        person_role(B, charlie, "admin", trust={"Version": V, "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": user_arn(B, charlie)},
            "Action": "sts:AssumeRole",
            "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalTag/team": ["notify*", "gds*"]},
                          "Bool": {"aws:MultiFactorAuthPresent": ["true"]}}}]},
            negative=[Negative("trust-no-mfa", "MFA Bool with an array value")]),
        Role("paas-ci-deploy", {"Version": V, "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{t1}:role/ci-runner"},
            "Action": "sts:AssumeRole"}]}, managed=["gds-trusted-user"],
            negative=[Negative("trust-external-account", "principal in an audited account")]),
    ]
    spec.accounts = [a1, a2, a3]
    return spec


def spec_small(password_policy):
    return spec_core("small", "111111111111", "222222222222", "333333333333", "044444444444",
                     password_policy)


DEMO_PEOPLE = [
    "amira.khan", "ben.okafor", "chloe.evans", "daniel.wright", "ella.patel", "farah.ahmed",
    "gareth.hughes", "hannah.lee", "isaac.morgan", "jasmine.clarke", "kieran.walsh",
    "laura.bennett", "mohammed.ali", "nadia.rossi", "owen.price", "priya.shah",
    "rachel.green", "samuel.adeyemi", "tom.fletcher", "uma.natarajan", "victor.hugo",
    "wendy.chen", "yusuf.demir", "zoe.taylor",
]


def spec_demo(password_policy):
    spec = spec_core("demo", "111111111111", "222222222222", "333333333333", "044444444444",
                     password_policy)
    B = spec.base.id
    people = []
    for i, p in enumerate(DEMO_PEOPLE):
        email = f"{p}@{D if i % 4 else E}"
        people.append(email)
        spec.base.users.append(User(email, keys=[Key()] if i % 3 == 0 else [],
                                    mfa=email if i % 5 else f"{email}-yubikey-{i}"))
    teams = [("666666666666", "pay-production", "pay", "gds-pay-prod"),
             ("077777777777", "registers-dev", "registers", "gds-registers-dev")]
    for n, (aid, name, team, alias) in enumerate(teams):
        acct = Account(aid, name, team, alias)
        acct.policies.update(STANDARD_POLICIES)
        members = people[n * 12:(n + 1) * 12]
        team_roles(acct, B, admins=members[:3], trusted=members[:6], readers=members)
        for j, p in enumerate(members):
            acct.roles.append(person_role(B, p, "admin" if j % 2 == 0 else "readonly"))
        acct.roles.append(Role("lambda-exec", trust_service(["lambda.amazonaws.com"]),
                               managed=["gds-view-only"]))
        spec.accounts.append(acct)
    # The existing three teams get some of the new people as well.
    for acct, chunk in zip(spec.accounts[:3], (people[:8], people[8:16], people[16:])):
        for role in acct.roles:
            if role.name == "ReadOnly":
                st = role.trust["Statement"]
                st = st[0] if isinstance(st, list) else st
                aws = st["Principal"]["AWS"]
                st["Principal"]["AWS"] = (aws if isinstance(aws, list) else [aws]) + \
                    [user_arn(B, p) for p in chunk]
    return spec


FIRST = ["ada", "alan", "grace", "tim", "radia", "barbara", "ken", "dennis", "margaret",
         "edsger", "donald", "frances", "john", "karen", "leslie", "niklaus", "sophie", "guido"]
LAST = ["lovelace", "turing", "hopper", "berners-lee", "perlman", "liskov", "thompson",
        "ritchie", "hamilton", "dijkstra", "knuth", "allen", "backus", "jones", "lamport",
        "wirth", "wilson", "rossum"]


def spec_bench(users, accounts, roles, password_policy):
    spec = Spec(f"bench:{users}:{accounts}:{roles}")
    min_len = {"strong": 16, "weak": 12, "none": None}[password_policy]
    base = spec.base = Account("111111111111", "gds-users", None, "gds-users", base=True,
                               password_policy=min_len)
    if password_policy != "strong":
        base.expect.append(Expect("password-policy-weak"))
    B = base.id
    people = []
    for i in range(users):
        f, l = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
        n = i // (len(FIRST) * len(LAST))
        email = f"{f}.{l}{n if n else ''}@{D if i % 7 else E}"
        people.append(email)
        base.users.append(User(email, password=(i % 10 != 9),
                               keys=[Key()] if i % 4 == 0 else []))
    # minimal defects: one user without MFA, one leaver still trusted by a role
    if users >= 2:
        nomfa = base.users[-1]
        nomfa.mfa = None
        nomfa.expect.append(Expect("user-no-mfa", severity="critical" if nomfa.password or
                                   nomfa.keys else "low"))
        leaver = base.users[-2]
        leaver.leaver, leaver.roster = -10, False
        leaver.expect.append(Expect("leaver-present"))
        spec.leavers.append((leaver.name, -10))
    for a in range(accounts):
        # 2xxxxxxxxxxx .. 9xxxxxxxxxxx, every third one with a leading zero
        aid = f"{2 + a % 8}{a:011d}" if a % 3 else f"0{2 + a % 8}{a:010d}"
        acct = Account(aid, f"bench-{a:03d}", f"team{a % 10}", f"bench-{a:03d}")
        acct.policies.update(STANDARD_POLICIES)
        start = (a * 7) % max(users, 1)
        members = [people[(start + k) % users] for k in range(min(10, users))] if users else []
        if members:
            team_roles(acct, B, admins=members[:2], trusted=members[:4], readers=members)
        for r in range(max(0, roles - 3)):
            if not people:
                break
            p = people[(start + r) % users]
            kind = "admin" if r % 2 == 0 else "readonly"
            if any(x.name == f"{local(p)}-{kind}" for x in acct.roles):
                continue
            acct.roles.append(person_role(B, p, kind))
        spec.accounts.append(acct)
    if users >= 2 and accounts >= 1:
        # the leaver is named by the first account's Admin role
        st = spec.accounts[0].roles[0].trust["Statement"][0]
        aws = st["Principal"]["AWS"]
        st["Principal"]["AWS"] = (aws if isinstance(aws, list) else [aws]) + \
            [user_arn(B, base.users[-2].name)]
    spec.key_expect = []
    return spec


# ========================================================================================
# Derived expectations
# ========================================================================================

def glob_match(pattern, name):
    rx = "^" + "".join(".*" if c == "*" else "." if c == "?" else re.escape(c)
                       for c in pattern) + "$"
    return re.match(rx, name, re.IGNORECASE) is not None


def statements(doc):
    st = (doc or {}).get("Statement", [])
    return st if isinstance(st, list) else [st]


def aws_values(principal):
    if principal == "*":
        return ["*"]
    if not isinstance(principal, dict):
        return []
    v = principal.get("AWS", [])
    return v if isinstance(v, list) else [v]


def human_assumable(role, base=None):
    """An Allow that lets in a user, the base account, anyone, or an IAM unique id (a person).
    Another account's root is a machine or vendor path, not people (as the analyser reads it)."""
    if role.path.startswith("/aws-service-role/") or role.trust is None:
        return False
    for st in statements(role.trust):
        if st.get("Effect") != "Allow":
            continue
        if "NotPrincipal" in st:
            return True
        for v in aws_values(st.get("Principal")):
            if re.fullmatch(r"\d{12}", v) or v.endswith(":root"):
                if base is None or v in (base, f"arn:aws:iam::{base}:root"):
                    return True
                continue
            if v == "*" or ":user/" in v or v.startswith("AIDA"):
                return True
    return False


# ---- access paths (issue 14): an independent reading of docs/access.md --------------------

def _as_list(v):
    return v if isinstance(v, list) else [v]


def _mfa_allow(cond):
    """An Allow's condition requires MFA: Bool MultiFactorAuthPresent true, or an Age bound."""
    for op, kv in (cond or {}).items():
        op = op[len("ForAnyValue:"):] if op.startswith("ForAnyValue:") else op
        for k, v in kv.items():
            vals = [str(x).lower() for x in _as_list(v)]
            if k.lower() == "aws:multifactorauthpresent" and op == "Bool" and vals and \
                    all(x == "true" for x in vals):
                return True
            if k.lower() == "aws:multifactorauthage" and op in ("NumericLessThan",
                                                               "NumericLessThanEquals"):
                return True
            if k.lower() == "aws:multifactorauthage" and op == "Null" and vals == ["false"]:
                return True
    return False


def _mfa_deny(cond):
    """A Deny that applies exactly when MFA is missing (the force-MFA form)."""
    if not cond or len(cond) != 1:
        return False
    (op, kv), = cond.items()
    if len(kv) != 1:
        return False
    (k, v), = kv.items()
    vals = [str(x).lower() for x in _as_list(v)]
    return (op == "BoolIfExists" and k.lower() == "aws:multifactorauthpresent"
            and vals == ["false"])


def _undecided(cond, pinned):
    mfa_keys = ("aws:multifactorauthpresent", "aws:multifactorauthage")
    pin_keys = ("aws:principalaccount", "aws:principalorgid")
    return any(k.lower() not in mfa_keys and not (pinned and k.lower() in pin_keys)
               for kv in (cond or {}).values() for k in kv)


def _acts(st, action):
    if "NotAction" in st:
        return not any(glob_match(a, action) for a in _as_list(st["NotAction"]))
    return any(glob_match(a, action) for a in _as_list(st.get("Action", [])))


def _names(v, arn, base):
    return v == "*" or v.lower() == arn.lower() or v in (base, f"arn:aws:iam::{base}:root")


def access_paths(spec, org_id=None):
    """Every (person, role) path of the estate, as docs/access.md defines it:
    {person, account_id, role_arn, via, mfa_required, conditional}, sorted."""
    B = spec.base.id
    rows = []
    for u in spec.base.users:
        if u.deleted:
            continue
        arn = u.arn(B)
        pols = list(u.inline.values())
        if GROUP in u.groups:
            pols.append(GROUP_ASSUME)
        if u.name == AUDIT_USER:
            pols.append(AUDIT_USER_POLICY)
        stmts = [st for d in pols for st in statements(d) if _acts(st, "sts:AssumeRole")]
        for acct in spec.all_accounts():
            for role in acct.roles:
                if role.trust is None or role.service_linked:
                    continue
                rarn = role.arn(acct.id)
                best, denied, deny_mfa, deny_cond = None, False, False, False
                for st in statements(role.trust):
                    if not _acts(st, "sts:AssumeRole"):
                        continue
                    cond = st.get("Condition")
                    if "NotPrincipal" in st:
                        hit = not any(_names(v, arn, B) for v in aws_values(st["NotPrincipal"]))
                        cands = [("wildcard", False)] if hit else []
                    else:
                        cands = []
                        for v in aws_values(st.get("Principal")):
                            if v.lower() == arn.lower():
                                cands.append(("user", False))
                            elif v in (B, f"arn:aws:iam::{B}:root"):
                                cands.append(("account", False))
                            elif v == "*":
                                acc = [c for op, kv in (cond or {}).items() if "StringEquals"
                                       in op or "StringLike" in op for k, c in kv.items()
                                       if k.lower() == "aws:principalaccount"]
                                org = [c for op, kv in (cond or {}).items() if "StringEquals"
                                       in op or "StringLike" in op for k, c in kv.items()
                                       if k.lower() == "aws:principalorgid"]
                                if acc:
                                    if B in [x for c in acc for x in _as_list(c)]:
                                        cands.append(("account", True))
                                elif org and org_id:
                                    if org_id in [x for c in org for x in _as_list(c)]:
                                        cands.append(("account", True))
                                else:
                                    cands.append(("wildcard", False))
                    if st.get("Effect") == "Deny":
                        if cands or ("NotPrincipal" in st and cands):
                            if not cond:
                                denied = True
                            elif _mfa_deny(cond):
                                deny_mfa = True
                            else:
                                deny_cond = True
                        continue
                    for via, pinned in cands:
                        key = (_mfa_allow(cond), _undecided(cond, pinned),
                               ["user", "account", "wildcard"].index(via))
                        if best is None or key < best:
                            best = key
                if best is None or denied:
                    continue
                grant_plain = grant_mfa = grant_cond = ident_denied = force = ident_cond = False
                for st in stmts:
                    res = st.get("Resource", st.get("NotResource"))
                    if res is not None:
                        m = any(re.match("^" + "".join(".*" if c == "*" else "." if c == "?"
                                                       else re.escape(c) for c in r) + "$", rarn)
                                for r in _as_list(res))
                        if ("NotResource" in st) == m:
                            continue
                    cond = st.get("Condition")
                    if st.get("Effect") == "Deny":
                        if not cond:
                            ident_denied = True
                        elif _mfa_deny(cond):
                            force = True
                        else:
                            ident_cond = True
                        continue
                    if _undecided(cond, False):
                        grant_cond = True
                    elif _mfa_allow(cond):
                        grant_mfa = True
                    else:
                        grant_plain = True
                same = acct.id == B and best[2] == 0
                if ident_denied or not (grant_plain or grant_mfa or grant_cond or same):
                    continue
                mfa_identity = force or (not grant_plain and not same and
                                         (grant_mfa or not grant_cond))
                rows.append({"person": u.name, "account_id": acct.id, "role_arn": rarn,
                             "via": ["user", "account", "wildcard"][best[2]],
                             "mfa_required": int(best[0] or deny_mfa or mfa_identity),
                             "conditional": int(best[1] or deny_cond or ident_cond or
                                                (grant_cond and not grant_plain and
                                                 not grant_mfa))})
    return sorted(rows, key=lambda r: (r["person"], r["role_arn"]))


def derive(spec):
    """Add the expectations that follow from the estate as a whole."""
    past_leavers = {e.lower() for e, days in spec.leavers if days < 0}
    B = spec.base.id
    # Access paths (issue 14): a past leaver with any path; a person (not the audit user,
    # iam-audit's runner) with a path on which nothing requires MFA.
    paths = access_paths(spec)
    roles = {r.arn(a.id): r for a in spec.all_accounts() for r in a.roles}
    for u in spec.base.users:
        mine = [p for p in paths if p["person"] == u.name]
        if u.name.lower() in past_leavers and mine:
            u.expect.append(Expect("leaver-has-access", severity="critical",
                                   note=f"left, and can still assume {len(mine)} role(s)"))
        if u.name == AUDIT_USER:
            continue
        for p in mine:
            if not p["mfa_required"]:
                role = roles[p["role_arn"]]
                roles[p["role_arn"]].expect.append(Expect(
                    "access-without-mfa", principal=u.name,
                    severity="critical" if glob_match("*admin*", role.name) else "high",
                    note=f"{u.name} can assume it without MFA (trust and own policies)"))
    leaver_arns = {user_arn(B, e): e for e in past_leavers}
    for acct in spec.all_accounts():
        for role in acct.roles:
            if role.path.startswith("/aws-service-role/") or role.service_linked:
                continue
            # Bootstrap roles have their own rule (bootstrap-role-present), so their names
            # are not also reported as nonstandard.
            if human_assumable(role, B) and not glob_match("*bootstrap*", role.name) and \
                    role.name != AUDIT_ROLE and \
                    not any(glob_match(p, role.name) for p in HUMAN_ROLE_PATTERNS):
                role.expect.append(Expect(
                    "role-name-nonstandard", severity="info",
                    note="assumable by people, name fits none of human_role_patterns"))
            for st in statements(role.trust):
                if st.get("Effect") != "Allow":
                    continue
                for v in aws_values(st.get("Principal")):
                    if v in leaver_arns:
                        role.expect.append(Expect(
                            "leaver-trusted-by-role", principal=v,
                            note=f"trust still names leaver {leaver_arns[v]}"))


# ========================================================================================
# Building
# ========================================================================================

class Builder:
    def __init__(self, endpoint, seed, jobs):
        self.endpoint = endpoint.rstrip("/")
        self.seed, self.jobs = seed, jobs
        self.requests = 0
        self.lock = threading.Lock()
        self.clock_ok = False
        self.offset_days = None
        self.auth_after = None   # moto_ctl.py --auth-after N, kept across the reset
        self.config = Config(retries={"max_attempts": 3, "mode": "standard"},
                             connect_timeout=5, read_timeout=60)
        self.session = boto3.session.Session()
        self.client_lock = threading.Lock()

    # ---- plumbing --------------------------------------------------------------------
    def http(self, method, path, body=None):
        data = None if body is None else str(body).encode()
        req = urllib.request.Request(self.endpoint + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "text/plain")
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()

    def _count(self, **kwargs):
        with self.lock:
            self.requests += 1

    def client(self, service, key_id, secret, token=None):
        # One session for every client: botocore then loads each service model once
        # (a fresh Session per client costs ~0.15 s). Client creation is not thread-safe.
        with self.client_lock:
            c = self.session.client(
                service, endpoint_url=self.endpoint, region_name=REGION, config=self.config,
                aws_access_key_id=key_id, aws_secret_access_key=secret,
                aws_session_token=token)
        c.meta.events.register("before-send", self._count)
        return c

    def assume(self, key_id, secret, role_arn, session):
        sts = self.client("sts", key_id, secret)
        c = sts.assume_role(RoleArn=role_arn, RoleSessionName=session)["Credentials"]
        return c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]

    def probe_clock(self):
        try:
            status, body = self.http("GET", "/_estate/clock")
            self.clock_ok = status == 200 and "offset_seconds" in json.loads(body)
        except (urllib.error.URLError, ValueError, OSError):
            self.clock_ok = False
        return self.clock_ok

    def server_info(self):
        try:
            status, body = self.http("GET", "/_estate/info")
            return json.loads(body) if status == 200 else {}
        except (urllib.error.URLError, ValueError, OSError):
            return {}

    def at(self, days_ago):
        """Move the server clock to `days_ago` days in the past (0 = now)."""
        if not self.clock_ok or days_ago == self.offset_days:
            return
        self.http("POST", "/_estate/clock", -float(days_ago) * 86400.0)
        self.offset_days = days_ago

    # ---- one account ------------------------------------------------------------------
    def build_account(self, acct, spec, creds, audit_key=None):
        """Create acct's resources with `creds` (assumed into the account). Returns the
        operations log (age-ordered) for the account."""
        iam = self.client("iam", *creds)
        B = spec.base.id
        ops = []   # (age, seq, fn)

        def op(age, fn):
            ops.append((age, len(ops), fn))

        if acct.alias:
            op(0, lambda: iam.create_account_alias(AccountAlias=acct.alias))
        if acct.password_policy:
            op(0, lambda: iam.update_account_password_policy(
                MinimumPasswordLength=acct.password_policy, RequireSymbols=True,
                RequireNumbers=True, RequireUppercaseCharacters=True,
                RequireLowercaseCharacters=True, AllowUsersToChangePassword=True,
                PasswordReusePrevention=24))
        oldest_user = max([u.age for u in acct.users] + [0])
        if acct.base:
            op(oldest_user, lambda: iam.create_group(GroupName=GROUP))
            op(oldest_user, lambda: iam.put_group_policy(
                GroupName=GROUP, PolicyName="assume-team-roles-with-mfa",
                PolicyDocument=json.dumps(GROUP_ASSUME)))
        # customer-managed policies, created as early as their oldest user needs them
        for pname, doc in sorted(acct.policies.items()):
            ages = [r.age for r in acct.roles if pname in r.managed]
            if not ages:
                continue
            op(max(ages), lambda pname=pname, doc=doc: iam.create_policy(
                PolicyName=pname, PolicyDocument=json.dumps(doc),
                Description=f"{pname} (iam-audit test estate)"))
        for u in acct.users:
            self.user_ops(iam, acct, u, op)
        for name in acct.orphan_mfa:
            op(0, lambda name=name: iam.create_virtual_mfa_device(VirtualMFADeviceName=name))
        for r in acct.roles:
            self.role_ops(iam, acct, r, op, audit_key)
        if acct.base:
            for former, _uid in spec.former:
                def create_delete(former=former):
                    former.user_id = iam.create_user(UserName=former.name)["User"]["UserId"]
                    iam.delete_user(UserName=former.name)
                op(0, create_delete)
        for age, _seq, fn in sorted(ops, key=lambda o: (-o[0], o[1])):
            self.at(age)
            fn()
        self.at(0)
        return iam

    def user_ops(self, iam, acct, u, op):
        def create():
            r = iam.create_user(UserName=u.name, Path=u.path,
                                Tags=[{"Key": "estate", "Value": "iam-audit-test"}])
            u.user_id = r["User"]["UserId"]
        op(u.age, create)
        if u.password:
            op(u.age, lambda: iam.create_login_profile(UserName=u.name, Password=PASSWORD,
                                                       PasswordResetRequired=False))
        for g in u.groups:
            op(u.age, lambda g=g: iam.add_user_to_group(GroupName=g, UserName=u.name))
        for pname, doc in sorted(u.inline.items()):
            op(u.age, lambda pname=pname, doc=doc: iam.put_user_policy(
                UserName=u.name, PolicyName=pname, PolicyDocument=json.dumps(doc)))
        if u.name == AUDIT_USER and acct.base:
            op(u.age, lambda: iam.put_user_policy(UserName=u.name, PolicyName="assume-audit-role",
                                                  PolicyDocument=json.dumps(AUDIT_USER_POLICY)))
        if u.mfa:
            def mfa():
                serial = iam.create_virtual_mfa_device(
                    VirtualMFADeviceName=u.mfa)["VirtualMFADevice"]["SerialNumber"]
                iam.enable_mfa_device(UserName=u.name, SerialNumber=serial,
                                      AuthenticationCode1="123456",
                                      AuthenticationCode2="654321")
                u.mfa_serial = serial
            op(u.mfa_age, mfa)
        for k in u.keys:
            def create_key(k=k):
                r = iam.create_access_key(UserName=u.name)["AccessKey"]
                k.access_key_id, k.secret = r["AccessKeyId"], r["SecretAccessKey"]
                if k.status != "Active":
                    iam.update_access_key(UserName=u.name, AccessKeyId=k.access_key_id,
                                          Status=k.status)
            op(k.age, create_key)
            if k.used is not None:
                def use_key(k=k):
                    self.client("sts", k.access_key_id, k.secret).get_caller_identity()
                op(k.used, use_key)

    def role_ops(self, iam, acct, r, op, audit_key):
        if r.service_linked:
            def create_slr():
                role = iam.create_service_linked_role(AWSServiceName=r.service_linked)["Role"]
                r.name, r.path = role["RoleName"], role["Path"]
                r.trust = role["AssumeRolePolicyDocument"]
            op(r.age, create_slr)
            return
        op(r.age, lambda: iam.create_role(
            RoleName=r.name, Path=r.path, AssumeRolePolicyDocument=json.dumps(r.trust),
            Description=r.description or f"{r.name} (iam-audit test estate)",
            MaxSessionDuration=3600 if r.name != "Admin" else 7200,
            Tags=[{"Key": "estate", "Value": "iam-audit-test"}]))
        for p in r.managed:
            op(r.age, lambda p=p: iam.attach_role_policy(
                RoleName=r.name, PolicyArn=f"arn:aws:iam::{acct.id}:policy/{p}"))
        for pname, doc in sorted(r.inline.items()):
            op(r.age, lambda pname=pname, doc=doc: iam.put_role_policy(
                RoleName=r.name, PolicyName=pname, PolicyDocument=json.dumps(doc)))
        if r.used is not None and audit_key is not None:
            def use_role():
                creds = self.assume(audit_key[0], audit_key[1], r.arn(acct.id), "estate-use")
                self.client("sts", *creds).get_caller_identity()
            op(r.used, use_role)


def build(args):
    t0 = time.monotonic()
    started = datetime.datetime.now(datetime.timezone.utc)
    pp = "weak" if args.weak_password_policy else args.password_policy
    if args.spec == "small":
        spec = spec_small(pp)
    elif args.spec == "demo":
        spec = spec_demo(pp)
    elif args.spec.startswith("bench:"):
        try:
            _, u, a, r = args.spec.split(":")
            spec = spec_bench(int(u), int(a), int(r), pp)
        except ValueError:
            raise SystemExit("build_estate: --spec bench:USERS:ACCOUNTS:ROLES (integers)")
    else:
        raise SystemExit(f"build_estate: unknown spec {args.spec!r} (small, demo, bench:U:A:R)")
    add_audit(spec)
    derive(spec)

    b = Builder(args.endpoint, args.seed, args.jobs)
    if not args.no_reset:
        # A previous build may have left auth on ("0"): switch it off for the set-up. A
        # finite count set with moto_ctl.py --auth-after N is kept, counted from here.
        _, prev = b.http("POST", "/moto-api/reset-auth", "inf")
        prev = float(json.loads(prev).get("PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT", "inf"))
        b.http("POST", "/moto-api/reset", "")
        b.http("POST", f"/moto-api/seed?a={args.seed}", "")
        if 0 < prev < float("inf"):
            b.http("POST", "/moto-api/reset-auth", str(int(prev)))
            b.auth_after = int(prev)
    b.probe_clock()
    info = b.server_info()

    # 1. base account, seeded through a role assumed with the default credentials
    B = spec.base.id
    seed_creds = b.assume("testing", "testing", f"arn:aws:iam::{B}:role/{SEED_ROLE}",
                          "estate-seed")
    b.build_account(spec.base, spec, seed_creds)
    audit = spec.base.users[0]
    audit_key = (audit.keys[0].access_key_id, audit.keys[0].secret)

    # 2. team accounts, each through the audit role ARN, with the audit user's key
    def team(acct):
        creds = b.assume(*audit_key, f"arn:aws:iam::{acct.id}:role/{AUDIT_ROLE}", "estate-build")
        b.build_account(acct, spec, creds, audit_key)

    # The clock is server-wide: accounts with dated resources are built one at a time.
    dated = any(r.age or r.used is not None for a in spec.accounts for r in a.roles) or \
        any(u.age or u.mfa_age or any(k.age or k.used for k in u.keys)
            for a in spec.accounts for u in a.users)
    if args.jobs > 1 and not (dated and b.clock_ok):
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            list(pool.map(team, spec.accounts))
    else:
        for acct in spec.accounts:
            team(acct)
    b.at(0)
    # the audit key's last use is "now" (role-use steps used it in the past)
    b.client("sts", *audit_key).get_caller_identity()

    auth = bool(args.enable_auth or info.get("auth_after_setup"))
    if auth:
        b.http("POST", "/moto-api/reset-auth", "0")
        probe = b.client("sts", *audit_key)
        probe.get_caller_identity()   # must still work
    finished = datetime.datetime.now(datetime.timezone.utc)
    seconds = round(time.monotonic() - t0, 3)
    write_outputs(args, spec, b, audit_key, auth, started, finished, seconds, pp)
    print(f"built {spec.name}: {1 + len(spec.accounts)} accounts, "
          f"{sum(len(a.users) for a in spec.all_accounts())} users, "
          f"{sum(len(a.roles) for a in spec.all_accounts())} roles, {b.requests} AWS requests "
          f"in {seconds:.2f} s (clock: {'yes' if b.clock_ok else 'no'}, "
          f"auth: {'on' if auth else 'off'}) -> {args.out_dir}")
    return 0


# ========================================================================================
# Outputs
# ========================================================================================

TIME_RULES = {
    "user-inactive": "needs a user created more than stale_days ago",
    "access-key-old": "needs an access key created more than max_key_age_days ago",
    "access-key-unused": "needs an access key last used (or created) more than stale_days ago",
    "role-unused": "needs a role created and last used more than stale_days ago",
    "bootstrap-role-present": "needs a bootstrap role older than bootstrap_grace_days",
}

NOT_PLANTABLE = [
    {"rule_id": "root-no-mfa",
     "why": "moto has no root user: the credential report has no <root_account> row and no "
            "API gives the root user an MFA device"},
    {"rule_id": "root-access-key",
     "why": "moto has no root user and no way to create root access keys (no <root_account> "
            "credential-report row)"},
]

NOT_PLANTABLE_VARIANTS = [
    {"rule_id": "readonly-role-side-effects", "variant": "AWS-managed policy",
     "why": "AWS-managed policies exist only when the server runs with "
            "MOTO_IAM_LOAD_MANAGED_POLICIES=true (moto_ctl.py start --managed-policies), and "
            "then GetAccountAuthorizationDetails returns all ~1,500 of them; planted with "
            "customer-managed and inline policies instead"},
    {"rule_id": "user-inactive", "variant": "recent console sign-in",
     "why": "moto never sets PasswordLastUsed, so a user kept active by console use cannot be "
            "represented; activity comes from access-key use only"},
    {"rule_id": "trust-dangling-principal", "variant": "who the id was",
     "why": "naming the deleted principal needs an earlier run that saw it; one build gives one "
            "state (the manifest's former_principals lists name, moto id and the AWS-form id)"},
    {"rule_id": "trust-dangling-principal", "variant": "AWS rewriting on delete",
     "why": "moto leaves a deleted user's ARN in trust policies and its user ids are not in "
            "AIDA form; the AWS-form id is written into the policy directly"},
]

RESOURCE_CONVENTIONS = {
    "user rules": "resource = the user's ARN (path included), principal = null",
    "access-key-*": "resource = the user's ARN, principal = the access key id",
    "mfa-device-name-prefix": "resource = the MFA device serial ARN, principal = the user's ARN",
    "password-policy-weak": "resource = arn:aws:iam::ACCOUNT:root (the account), principal = null",
    "role and trust rules": "resource = the role's ARN, principal = the trust principal exactly "
                            "as written in the policy (\"*\", bare id, ARN or unique id), or "
                            "null for rules about the role itself",
    "severity": "given where issue 4 fixes it (critical / high / low / info); null where the "
                "rule leaves the exact (lowered) level to the analyser",
}


def write_outputs(args, spec, b, audit_key, auth, started, finished, seconds, pp):
    out = args.out_dir
    os.makedirs(out, exist_ok=True)
    B = spec.base.id
    today = started.date()
    clock = b.clock_ok

    # key expectations need the key ids
    users_by_name = {u.name: u for u in spec.base.users}
    for email, idx, rule, note, sev in getattr(spec, "key_expect", []):
        u = users_by_name[email]
        u.expect.append(Expect(rule, principal=u.keys[idx].access_key_id, severity=sev,
                               note=note, needs_clock=True))

    planted, negatives = [], []

    def add(acct, resource, e):
        if e.needs_clock and not clock:
            return
        planted.append({"rule_id": e.rule, "account_id": acct.id,
                        "resource": e.resource or resource, "principal": e.principal,
                        "severity": e.severity, "note": e.note, "incidental": e.incidental,
                        "exception": e.exception})

    def neg(acct, resource, n):
        negatives.append({"rule_id": n.rule, "account_id": acct.id,
                          "resource": n.resource or resource, "note": n.note})

    accounts = []
    for acct in spec.all_accounts():
        root = f"arn:aws:iam::{acct.id}:root"
        for e in acct.expect:
            add(acct, root, e)
        for n in acct.negative:
            neg(acct, root, n)
        for u in acct.users:
            for e in u.expect:
                if e.rule == "mfa-device-name-prefix":
                    e.resource, e.principal = u.mfa_serial, u.arn(acct.id)
                add(acct, u.arn(acct.id), e)
            for n in u.negative:
                neg(acct, u.arn(acct.id), n)
        for r in acct.roles:
            for e in r.expect:
                add(acct, r.arn(acct.id), e)
            for n in r.negative:
                neg(acct, r.arn(acct.id), n)
        mfa = sorted([u.mfa_serial for u in acct.users if u.mfa] +
                     [f"arn:aws:iam::{acct.id}:mfa/{n}" for n in acct.orphan_mfa])
        accounts.append({
            "account_id": acct.id, "name": acct.name, "team": acct.team, "alias": acct.alias,
            "base": acct.base, "password_policy_min_length": acct.password_policy,
            "expected": {
                "users": sorted(u.name for u in acct.users),
                "user_arns": sorted(u.arn(acct.id) for u in acct.users),
                "roles": sorted(r.name for r in acct.roles),
                "role_arns": sorted(r.arn(acct.id) for r in acct.roles),
                "mfa_serials": mfa,
                "mfa_assigned": {u.name: u.mfa_serial for u in sorted(acct.users,
                                                                       key=lambda x: x.name)
                                 if u.mfa},
                "groups": [GROUP] if acct.base else [],
                "group_members": ({GROUP: sorted(u.name for u in acct.users if GROUP in u.groups)}
                                  if acct.base else {}),
                "policies": sorted(p for p in acct.policies
                                   if any(p in r.managed for r in acct.roles)),
                "password_users": sorted(u.name for u in acct.users if u.password),
                "access_keys": {u.name: sorted(k.access_key_id for k in u.keys)
                                for u in sorted(acct.users, key=lambda x: x.name) if u.keys},
            }})

    if not clock:
        for rule, why in TIME_RULES.items():
            spec.not_plantable.append({"rule_id": rule, "why": "the server has no test clock "
                                       f"(stock moto_server): {why}, and moto dates every "
                                       "resource now"})
    planted.sort(key=lambda p: (p["rule_id"], p["account_id"], p["resource"],
                                p["principal"] or ""))
    negatives.sort(key=lambda p: (p["rule_id"], p["account_id"], p["resource"]))
    planted_rules = sorted({p["rule_id"] for p in planted if not p["incidental"]})

    leavers = [{"email": e, "leaving_date": (today + datetime.timedelta(days=d)).isoformat(),
                "present": any(u.name.lower() == e.lower() for u in spec.base.users)}
               for e, d in spec.leavers]
    roster = sorted(u.name for u in spec.base.users if u.roster and u.person)

    files = {k: os.path.join(os.path.abspath(out), v) for k, v in {
        "manifest": "manifest.json", "leavers": "leavers.csv", "roster": "roster.csv",
        "config": "iam-audit.conf", "exceptions": "exceptions.ini", "env": "env"}.items()}
    database = os.path.join(os.path.abspath(out), "iam-audit.db")
    manifest = {
        "note": "TEST-ONLY: a synthetic estate in a local moto server. This file holds the "
                "audit user's secret access key, which is valid only against that server.",
        "spec": spec.name,
        "endpoint": b.endpoint,
        "region": REGION,
        "base_account": B,
        "audit": {"role_name": AUDIT_ROLE, "user_name": AUDIT_USER, "user_path": AUDIT_USER_PATH,
                  "user_arn": user_arn(B, AUDIT_USER, AUDIT_USER_PATH),
                  "access_key_id": audit_key[0], "secret_access_key": audit_key[1]},
        "build": {"started_at": started.isoformat().replace("+00:00", "Z"),
                  "finished_at": finished.isoformat().replace("+00:00", "Z"),
                  "seconds": seconds, "aws_requests": b.requests, "seed": args.seed,
                  "clock": clock, "auth_enforced": auth,
                  "auth_after_requests": b.auth_after, "password_policy": pp},
        "rules_config": {"allowed_email_domains": ALLOWED_DOMAINS, "required_group": GROUP,
                         "known_accounts": [KNOWN_ACCOUNT],
                         "human_role_patterns": HUMAN_ROLE_PATTERNS,
                         "readonly_role_pattern": READONLY_ROLE_PATTERN,
                         "defaults_assumed": {"stale_days": 90, "max_key_age_days": 90,
                                              "bootstrap_grace_days": 30,
                                              "bootstrap_role_pattern": "*bootstrap*",
                                              "min_password_length": 16}},
        "interpretations": [
            "A role is human-assumable when an Allow statement lets in an IAM user, an account "
            "(:root or bare id), '*', an AIDA unique id, or uses NotPrincipal; roles trusted "
            "only by roles or services are not. role-name-nonstandard is expected on exactly "
            "the human-assumable roles whose names fit none of human_role_patterns, bootstrap "
            "roles excepted (they have bootstrap-role-present).",
            "trust-mfa-if-exists replaces trust-no-mfa for an Allow whose only MFA condition is "
            "BoolIfExists; both rules ignore Deny statements.",
            "Each planted defect sits on its own resource so that other rules stay quiet there; "
            "'incidental' findings come from the audit user and audit roles and are suppressed "
            "by exceptions.ini.",
        ],
        "resource_conventions": RESOURCE_CONVENTIONS,
        "accounts": accounts,
        "leavers": leavers,
        "roster": roster,
        "former_principals": [
            {"user_name": u.name, "arn": user_arn(B, u.name), "moto_user_id": u.user_id,
             "aws_form_unique_id": uid} for u, uid in spec.former],
        "planted_rules": planted_rules,
        "access": access_paths(spec),
        "planted": planted,
        "negatives": negatives,
        "not_plantable": NOT_PLANTABLE + spec.not_plantable,
        "not_plantable_variants": NOT_PLANTABLE_VARIANTS,
        "files": files,
    }
    with open(files["manifest"], "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")

    with open(files["leavers"], "w", newline="") as f:   # csv writes CRLF, as HR exports do
        w = csv.writer(f)
        w.writerow(["email", "leaving_date", "team"])
        for lv in leavers:
            w.writerow([lv["email"], lv["leaving_date"], "gds"])

    with open(files["roster"], "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["email", "name", "team"])
        for email in roster:
            name = " ".join(p.capitalize() for p in local(email).split("."))
            w.writerow([email, name, "gds"])

    with open(files["config"], "w") as f:
        f.write(f"; iam-audit configuration for the '{spec.name}' test estate in moto.\n"
                f"; Generated by demo/build_estate.py. Credentials: source ./env.\n"
                "[audit]\n"
                f"database = {database}\n"
                f"base_account = {B}\n"
                f"role_name = {AUDIT_ROLE}\n"
                "concurrency = 4\n")
        for acct in spec.accounts:
            f.write(f"\n[account {acct.name}]\nid = {acct.id}\nteam = {acct.team}\n")
        f.write("\n[rules]\n"
                f"allowed_email_domains = {','.join(ALLOWED_DOMAINS)}\n"
                f"required_group = {GROUP}\n"
                f"known_accounts = {KNOWN_ACCOUNT}\n"
                f"human_role_patterns = {','.join(HUMAN_ROLE_PATTERNS)}\n"
                f"readonly_role_pattern = {READONLY_ROLE_PATTERN}\n")

    # Within [rules] max_exception_days (365) of today, as iam-audit requires.
    expires = (datetime.date.today() + datetime.timedelta(days=180)).isoformat()
    with open(files["exceptions"], "w") as f:
        f.write("; Accepted risks for the test estate: the audit machinery itself.\n"
                "[exception audit-role]\n"
                "rule = audit-role-broader\n"
                f"resource = arn:aws:iam::*:role/{AUDIT_ROLE}\n"
                "reason = the test estate's audit role also serves the readback oracle "
                "(iam:Get*, iam:List*)\n"
                "owner = security-team@example.gov.uk\nticket = SEC-1234\n"
                f"expires = {expires}\n"
                "\n[exception audit-user]\n"
                "rule = user-no-mfa, user-name-not-email, user-not-in-group, user-not-in-roster\n"
                f"resource = {user_arn(B, AUDIT_USER, AUDIT_USER_PATH)}\n"
                "reason = service user for the audit job; keys only, rotated by the job\n"
                "owner = security-team@example.gov.uk\nticket = SEC-1235\n"
                f"expires = {expires}\n")

    with open(files["env"], "w") as f:
        f.write(f"AWS_ACCESS_KEY_ID={audit_key[0]}\n"
                f"AWS_SECRET_ACCESS_KEY={audit_key[1]}\n"
                f"AWS_ENDPOINT_URL={b.endpoint}\n"
                f"AWS_DEFAULT_REGION={REGION}\n")
    for k in ("manifest", "env"):
        os.chmod(files[k], 0o600)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__)
    p.add_argument("--endpoint", required=True, help="http://127.0.0.1:PORT")
    p.add_argument("--spec", required=True, help="small, demo or bench:USERS:ACCOUNTS:ROLES")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--password-policy", choices=("strong", "weak", "none"), default="strong",
                   help="the base account's policy: strong (16, default), weak (12) or none; "
                        "weak/none plant password-policy-weak")
    p.add_argument("--weak-password-policy", action="store_true",
                   help="same as --password-policy weak")
    p.add_argument("--enable-auth", action="store_true",
                   help="switch on moto's signature/identity-policy checks after the build "
                        "(also done when the server was started with moto_ctl.py --auth)")
    p.add_argument("--no-reset", action="store_true",
                   help="do not reset and re-seed the server first")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--jobs", type=int, default=1,
                   help="build team accounts in parallel (gives up reproducible ids; ignored "
                        "when team accounts hold dated resources, as in small and demo)")
    args = p.parse_args(argv)
    if not re.fullmatch(r"http://127\.0\.0\.1:\d+/?", args.endpoint):
        p.error("--endpoint must be http://127.0.0.1:PORT (a local moto server)")
    return build(args)


if __name__ == "__main__":
    sys.exit(main())
