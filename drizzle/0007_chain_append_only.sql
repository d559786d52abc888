-- A fund's chain links are as immutable as the journal they seal (journal_is_append_only is from 0001).
-- No backfill here: the application computes the canonical SHA-256, and a fund's existing transactions
-- are linked, in posting order, by the first posting into the fund after this migration.
CREATE TRIGGER transaction_chain_append_only BEFORE UPDATE OR DELETE ON transaction_chain
  FOR EACH ROW EXECUTE FUNCTION journal_is_append_only();
--> statement-breakpoint
CREATE TRIGGER transaction_chain_no_truncate BEFORE TRUNCATE ON transaction_chain
  FOR EACH STATEMENT EXECUTE FUNCTION journal_is_append_only();
