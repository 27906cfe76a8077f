-- Delivery (iam-audit deliver, issue 17): what was sent where, and what Security Hub holds.

-- One row per delivery attempt: an e-mail to one team or the security team, one Security
-- Hub import, one webhook message. target never holds a secret: e-mail addresses, the
-- Security Hub region, or the word "webhook" (the webhook URL is a secret and is not stored).
CREATE TABLE deliveries (
    id           INTEGER PRIMARY KEY,
    run_id       INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    delivered_at TEXT NOT NULL,
    channel      TEXT NOT NULL CHECK (channel IN ('email', 'securityhub', 'webhook')),
    target       TEXT NOT NULL,
    team         TEXT,           -- e-mail: the team, or "security" for security_email
    status       TEXT NOT NULL CHECK (status IN ('sent', 'failed')),
    detail       TEXT,           -- e.g. the SES MessageId, or "imported 12, archived 1"
    error        TEXT            -- why it failed; NULL when sent
) STRICT;

CREATE INDEX deliveries_run ON deliveries (run_id, channel);

-- The findings iam-audit has put into Security Hub, per hub region, with the ASFF last sent
-- (so a finding fixed later can be archived even after its run has been pruned).
CREATE TABLE securityhub_findings (
    region       TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    record_state TEXT NOT NULL CHECK (record_state IN ('ACTIVE', 'ARCHIVED')),
    workflow     TEXT NOT NULL CHECK (workflow IN ('NEW', 'SUPPRESSED', 'RESOLVED')),
    run_id       INTEGER NOT NULL,  -- the run last delivered for this finding
    asff         TEXT NOT NULL,     -- the ASFF finding last imported (JSON, no secrets)
    PRIMARY KEY (region, fingerprint)
) STRICT;
