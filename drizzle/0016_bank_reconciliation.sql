CREATE TABLE "bank_match_entries" (
	"match_id" uuid NOT NULL,
	"transaction_id" uuid NOT NULL,
	"active" boolean DEFAULT true NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bank_match_lines" (
	"match_id" uuid NOT NULL,
	"line_id" uuid NOT NULL,
	"active" boolean DEFAULT true NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bank_matches" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"fund_id" uuid NOT NULL,
	"method" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"undone_by" text,
	"undone_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "bank_reconciled_months" (
	"fund_id" uuid NOT NULL,
	"period" text NOT NULL,
	"reconciled_at" timestamp with time zone DEFAULT now() NOT NULL,
	"reconciled_by" text NOT NULL,
	CONSTRAINT "bank_reconciled_months_fund_id_period_pk" PRIMARY KEY("fund_id","period")
);
--> statement-breakpoint
CREATE TABLE "bank_statement_lines" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"fund_id" uuid NOT NULL,
	"statement_id" uuid NOT NULL,
	"line_no" integer NOT NULL,
	"position" integer GENERATED ALWAYS AS IDENTITY (sequence name "bank_statement_lines_position_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"identity" text NOT NULL,
	"date" date NOT NULL,
	"direction" text NOT NULL,
	"amount" numeric(15, 2) NOT NULL,
	"balance_after" numeric(20, 2) NOT NULL,
	"counterparty_name" text,
	"counterparty_account" text,
	"bank_reference" text,
	"memo" text,
	CONSTRAINT "bank_statement_lines_amount_check" CHECK ("bank_statement_lines"."amount" > 0),
	CONSTRAINT "bank_statement_lines_direction_check" CHECK ("bank_statement_lines"."direction" in ('in', 'out'))
);
--> statement-breakpoint
CREATE TABLE "bank_statements" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"fund_id" uuid NOT NULL,
	"account_number" text NOT NULL,
	"period_from" date NOT NULL,
	"period_to" date NOT NULL,
	"opening_balance" numeric(20, 2) NOT NULL,
	"closing_balance" numeric(20, 2) NOT NULL,
	"line_count" integer NOT NULL,
	"new_lines" integer NOT NULL,
	"sha256" text NOT NULL,
	"imported_by" text NOT NULL,
	"imported_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "accounting_periods" ADD COLUMN "close_reason" text;--> statement-breakpoint
ALTER TABLE "funds" ADD COLUMN "bank_account_number" text;--> statement-breakpoint
ALTER TABLE "funds" ADD COLUMN "bank_name" text;--> statement-breakpoint
ALTER TABLE "bank_match_entries" ADD CONSTRAINT "bank_match_entries_match_id_bank_matches_id_fk" FOREIGN KEY ("match_id") REFERENCES "public"."bank_matches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bank_match_entries" ADD CONSTRAINT "bank_match_entries_transaction_id_transactions_id_fk" FOREIGN KEY ("transaction_id") REFERENCES "public"."transactions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bank_match_lines" ADD CONSTRAINT "bank_match_lines_match_id_bank_matches_id_fk" FOREIGN KEY ("match_id") REFERENCES "public"."bank_matches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bank_match_lines" ADD CONSTRAINT "bank_match_lines_line_id_bank_statement_lines_id_fk" FOREIGN KEY ("line_id") REFERENCES "public"."bank_statement_lines"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bank_matches" ADD CONSTRAINT "bank_matches_fund_id_funds_id_fk" FOREIGN KEY ("fund_id") REFERENCES "public"."funds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bank_reconciled_months" ADD CONSTRAINT "bank_reconciled_months_fund_id_funds_id_fk" FOREIGN KEY ("fund_id") REFERENCES "public"."funds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bank_statement_lines" ADD CONSTRAINT "bank_statement_lines_fund_id_funds_id_fk" FOREIGN KEY ("fund_id") REFERENCES "public"."funds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bank_statement_lines" ADD CONSTRAINT "bank_statement_lines_statement_id_bank_statements_id_fk" FOREIGN KEY ("statement_id") REFERENCES "public"."bank_statements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bank_statements" ADD CONSTRAINT "bank_statements_fund_id_funds_id_fk" FOREIGN KEY ("fund_id") REFERENCES "public"."funds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "bank_match_entries_active_key" ON "bank_match_entries" USING btree ("transaction_id") WHERE "bank_match_entries"."active";--> statement-breakpoint
CREATE INDEX "bank_match_entries_match_idx" ON "bank_match_entries" USING btree ("match_id");--> statement-breakpoint
CREATE UNIQUE INDEX "bank_match_lines_active_key" ON "bank_match_lines" USING btree ("line_id") WHERE "bank_match_lines"."active";--> statement-breakpoint
CREATE INDEX "bank_match_lines_match_idx" ON "bank_match_lines" USING btree ("match_id");--> statement-breakpoint
CREATE UNIQUE INDEX "bank_statement_lines_identity_key" ON "bank_statement_lines" USING btree ("fund_id","identity");--> statement-breakpoint
CREATE INDEX "bank_statement_lines_fund_date_idx" ON "bank_statement_lines" USING btree ("fund_id","date");