-- A refusal raised from inside a statement, so that a posting group can send its COMMIT right behind its
-- last statement without waiting for its answer (src/ledger/group.ts): the statement fails, and the
-- COMMIT behind it rolls back. `code` is the service's error code; `detail` (JSON) what the service needs
-- to word the refusal (src/ledger/periods.ts).
CREATE FUNCTION ledger_refuse(code text, detail text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'fund-ledger refuses: %', code USING ERRCODE = 'P0001', DETAIL = detail;
END $$;
