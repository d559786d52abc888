ALTER TABLE "transaction_chain" DROP CONSTRAINT "transaction_chain_fund_id_funds_id_fk";
--> statement-breakpoint
ALTER TABLE "transaction_chain" DROP CONSTRAINT "transaction_chain_transaction_id_transactions_id_fk";
--> statement-breakpoint
ALTER TABLE "transaction_lines" DROP CONSTRAINT "transaction_lines_transaction_id_transactions_id_fk";
--> statement-breakpoint
ALTER TABLE "transaction_lines" DROP CONSTRAINT "transaction_lines_account_id_accounts_id_fk";
--> statement-breakpoint
ALTER TABLE "transaction_lines" DROP CONSTRAINT "transaction_lines_fund_id_funds_id_fk";
--> statement-breakpoint
-- The journal's references, checked once per statement for all its rows instead of one foreign-key lookup
-- per row (which was half the time of a posting group's write): a line's voucher exists, and its account
-- exists and belongs to the line's fund (stricter than the foreign keys were); a chain link's voucher and
-- fund exist. What a foreign key also guarded, the referenced rows' keys, is kept below: vouchers are
-- append-only (0001), accounts and funds are never deleted and never change id or fund.
-- Each reference is looked up by its key, row by row (a correlated subquery the planner cannot turn into a
-- join): as a join, the planner, which does not know how few rows a statement brings, would scan the
-- whole journal.
CREATE FUNCTION transaction_lines_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  SELECT n.transaction_id INTO bad FROM (SELECT DISTINCT transaction_id FROM new_lines) n
   WHERE (SELECT t.id FROM transactions t WHERE t.id = n.transaction_id) IS NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'transaction_lines: lines refer to transaction %, which does not exist', bad.transaction_id
      USING ERRCODE = 'foreign_key_violation', TABLE = 'transaction_lines';
  END IF;
  SELECT n.transaction_id, n.line_no, n.account_id, n.fund_id INTO bad FROM new_lines n
   WHERE (SELECT a.fund_id FROM accounts a WHERE a.id = n.account_id) IS DISTINCT FROM n.fund_id LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'transaction_lines: line % of transaction % refers to account % of fund %, which does not exist',
      bad.line_no, bad.transaction_id, bad.account_id, bad.fund_id
      USING ERRCODE = 'foreign_key_violation', TABLE = 'transaction_lines';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER transaction_lines_references AFTER INSERT ON transaction_lines
  REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION transaction_lines_references();
--> statement-breakpoint
CREATE FUNCTION transaction_chain_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  SELECT n.fund_id, n.position, n.transaction_id INTO bad FROM new_links n
   WHERE (SELECT t.id FROM transactions t WHERE t.id = n.transaction_id) IS NULL
      OR (SELECT f.id FROM funds f WHERE f.id = n.fund_id) IS NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'transaction_chain: link % of fund % refers to transaction %; the fund or the transaction does not exist',
      bad.position, bad.fund_id, bad.transaction_id
      USING ERRCODE = 'foreign_key_violation', TABLE = 'transaction_chain';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER transaction_chain_references AFTER INSERT ON transaction_chain
  REFERENCING NEW TABLE AS new_links FOR EACH STATEMENT EXECUTE FUNCTION transaction_chain_references();
--> statement-breakpoint
CREATE FUNCTION journal_reference_is_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%: the journal refers to these rows; they are never deleted and their id (and fund) never change', TG_TABLE_NAME
    USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME;
END $$;
--> statement-breakpoint
CREATE TRIGGER accounts_kept BEFORE DELETE ON accounts FOR EACH ROW EXECUTE FUNCTION journal_reference_is_kept();
--> statement-breakpoint
CREATE TRIGGER accounts_keys_kept BEFORE UPDATE OF id, fund_id ON accounts
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.fund_id IS DISTINCT FROM NEW.fund_id)
  EXECUTE FUNCTION journal_reference_is_kept();
--> statement-breakpoint
CREATE TRIGGER accounts_no_truncate BEFORE TRUNCATE ON accounts FOR EACH STATEMENT EXECUTE FUNCTION journal_reference_is_kept();
--> statement-breakpoint
CREATE TRIGGER funds_kept BEFORE DELETE ON funds FOR EACH ROW EXECUTE FUNCTION journal_reference_is_kept();
--> statement-breakpoint
CREATE TRIGGER funds_id_kept BEFORE UPDATE OF id ON funds
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION journal_reference_is_kept();
--> statement-breakpoint
CREATE TRIGGER funds_no_truncate BEFORE TRUNCATE ON funds FOR EACH STATEMENT EXECUTE FUNCTION journal_reference_is_kept();
