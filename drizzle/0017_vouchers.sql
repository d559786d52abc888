CREATE TABLE "attachments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"subject_kind" text NOT NULL,
	"subject_id" uuid NOT NULL,
	"fund_id" uuid NOT NULL,
	"file_name" text NOT NULL,
	"media_type" text NOT NULL,
	"size" integer NOT NULL,
	"sha256" text NOT NULL,
	"content" "bytea" NOT NULL,
	"description" text,
	"added_by" text NOT NULL,
	"added_at" timestamp with time zone DEFAULT now() NOT NULL,
	"withdrawn_by" text,
	"withdrawn_at" timestamp with time zone,
	"withdrawal_reason" text
);
--> statement-breakpoint
CREATE TABLE "voucher_drafts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"fund_ids" uuid[] NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"date" date NOT NULL,
	"description" text NOT NULL,
	"reference" text,
	"lines" jsonb NOT NULL,
	"attachments" integer DEFAULT 0 NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"prepared_by" text NOT NULL,
	"prepared_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"reviewed_by" text,
	"reviewed_at" timestamp with time zone,
	"reason" text,
	"reverses_transaction_id" uuid,
	"reversal_reason" text,
	"transaction_id" uuid,
	CONSTRAINT "voucher_drafts_transaction_id_unique" UNIQUE("transaction_id"),
	CONSTRAINT "voucher_drafts_posted_has_transaction" CHECK (("voucher_drafts"."status" = 'posted') = ("voucher_drafts"."transaction_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "voucher_numbers" (
	"fund_id" uuid NOT NULL,
	"period" text NOT NULL,
	"number" integer NOT NULL,
	"transaction_id" uuid NOT NULL,
	CONSTRAINT "voucher_numbers_fund_id_period_number_pk" PRIMARY KEY("fund_id","period","number")
);
--> statement-breakpoint
ALTER TABLE "fund_chains" ADD COLUMN "month_numbers" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "funds" ADD COLUMN "manual_vouchers_need_review" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "attachments" ADD CONSTRAINT "attachments_fund_id_funds_id_fk" FOREIGN KEY ("fund_id") REFERENCES "public"."funds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voucher_drafts" ADD CONSTRAINT "voucher_drafts_reverses_transaction_id_transactions_id_fk" FOREIGN KEY ("reverses_transaction_id") REFERENCES "public"."transactions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voucher_drafts" ADD CONSTRAINT "voucher_drafts_transaction_id_transactions_id_fk" FOREIGN KEY ("transaction_id") REFERENCES "public"."transactions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "attachments_subject_idx" ON "attachments" USING btree ("subject_kind","subject_id");--> statement-breakpoint
CREATE INDEX "voucher_drafts_status_idx" ON "voucher_drafts" USING btree ("status","prepared_at");--> statement-breakpoint
CREATE UNIQUE INDEX "voucher_numbers_transaction_fund_idx" ON "voucher_numbers" USING btree ("transaction_id","fund_id");--> statement-breakpoint
-- Every voucher posted so far gets its number within its fund and month, in posting order; each chain head
-- then knows the last number of each month.
INSERT INTO "voucher_numbers" ("fund_id", "period", "number", "transaction_id")
SELECT "fund_id", "period", row_number() OVER (PARTITION BY "fund_id", "period" ORDER BY "seq"), "id"
  FROM (SELECT DISTINCT l."fund_id", to_char(t."date", 'YYYY-MM') AS "period", t."seq", t."id"
          FROM "transactions" t JOIN "transaction_lines" l ON l."transaction_id" = t."id") numbered;--> statement-breakpoint
UPDATE "fund_chains" c SET "month_numbers" = coalesce(
  (SELECT jsonb_object_agg("period", "last") FROM (SELECT "period", max("number") AS "last" FROM "voucher_numbers" v
                                                    WHERE v."fund_id" = c."fund_id" GROUP BY "period") m), '{}'::jsonb);--> statement-breakpoint
CREATE TRIGGER voucher_numbers_append_only BEFORE UPDATE OR DELETE ON voucher_numbers
  FOR EACH ROW EXECUTE FUNCTION journal_is_append_only();--> statement-breakpoint
CREATE TRIGGER voucher_numbers_no_truncate BEFORE TRUNCATE ON voucher_numbers
  FOR EACH STATEMENT EXECUTE FUNCTION journal_is_append_only();--> statement-breakpoint
-- A source document is never deleted nor its bytes changed: a wrong one is withdrawn with a reason.
CREATE FUNCTION attachment_is_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW.content = OLD.content AND NEW.sha256 = OLD.sha256 AND NEW.size = OLD.size
       AND NEW.subject_kind = OLD.subject_kind AND NEW.subject_id = OLD.subject_id THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'attachments are kept: % is refused (withdraw a wrong one with a reason)', TG_OP
    USING ERRCODE = 'integrity_constraint_violation';
END $$;--> statement-breakpoint
CREATE TRIGGER attachments_kept BEFORE UPDATE OR DELETE ON attachments
  FOR EACH ROW EXECUTE FUNCTION attachment_is_kept();--> statement-breakpoint
CREATE TRIGGER attachments_no_truncate BEFORE TRUNCATE ON attachments
  FOR EACH STATEMENT EXECUTE FUNCTION attachment_is_kept();
--> statement-breakpoint
CREATE FUNCTION voucher_numbers_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  SELECT n.fund_id, n.period, n.number, n.transaction_id INTO bad FROM new_numbers n
   WHERE (SELECT t.id FROM transactions t WHERE t.id = n.transaction_id) IS NULL
      OR (SELECT f.id FROM funds f WHERE f.id = n.fund_id) IS NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'voucher_numbers: number % of % in fund % refers to transaction %; the fund or the transaction does not exist',
      bad.number, bad.period, bad.fund_id, bad.transaction_id
      USING ERRCODE = 'foreign_key_violation', TABLE = 'voucher_numbers';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER voucher_numbers_references AFTER INSERT ON voucher_numbers
  REFERENCING NEW TABLE AS new_numbers FOR EACH STATEMENT EXECUTE FUNCTION voucher_numbers_references();
