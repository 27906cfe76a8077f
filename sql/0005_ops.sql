-- 0005: what an analysis could not check, and where each account's data comes from.

-- Rules an analysis did not evaluate because an input was missing (no leavers file, no
-- roster): a JSON array of {"rule": ID, "reason": TEXT}, NULL or [] when every rule ran.
-- `diff` and the reports call such a rule's earlier findings 'not-checked', never resolved,
-- and the next analysis that checks the rule again keeps their first-seen dates.
ALTER TABLE analyses ADD COLUMN not_checked TEXT;

-- An account of a run collected with `collect --account` for other accounts is carried
-- forward from the latest run: data_run_id is the run whose collection its rows are
-- (NULL: this run read it), and collected_at stays the time they were read.
ALTER TABLE accounts ADD COLUMN data_run_id INTEGER;
