-- Posted transactions and their lines are immutable: corrections are linked reversals.
-- Enforced here so that no code path, script or console session can rewrite the journal.
CREATE FUNCTION journal_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'posted journal rows are immutable: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER transactions_append_only BEFORE UPDATE OR DELETE ON transactions
  FOR EACH ROW EXECUTE FUNCTION journal_is_append_only();
--> statement-breakpoint
CREATE TRIGGER transactions_no_truncate BEFORE TRUNCATE ON transactions
  FOR EACH STATEMENT EXECUTE FUNCTION journal_is_append_only();
--> statement-breakpoint
CREATE TRIGGER transaction_lines_append_only BEFORE UPDATE OR DELETE ON transaction_lines
  FOR EACH ROW EXECUTE FUNCTION journal_is_append_only();
--> statement-breakpoint
CREATE TRIGGER transaction_lines_no_truncate BEFORE TRUNCATE ON transaction_lines
  FOR EACH STATEMENT EXECUTE FUNCTION journal_is_append_only();
