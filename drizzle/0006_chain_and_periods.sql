CREATE TABLE "accounting_periods" (
	"fund_id" uuid NOT NULL,
	"period" text NOT NULL,
	"status" text NOT NULL,
	"closed_at" timestamp with time zone NOT NULL,
	"closed_by" text NOT NULL,
	"reopened_at" timestamp with time zone,
	"reopened_by" text,
	"reopen_reason" text,
	CONSTRAINT "accounting_periods_fund_id_period_pk" PRIMARY KEY("fund_id","period"),
	CONSTRAINT "accounting_periods_period_check" CHECK ("accounting_periods"."period" ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
	CONSTRAINT "accounting_periods_status_check" CHECK ("accounting_periods"."status" in ('closed', 'open'))
);
--> statement-breakpoint
CREATE TABLE "fund_chains" (
	"fund_id" uuid PRIMARY KEY NOT NULL,
	"length" bigint NOT NULL,
	"head_hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "period_balances" (
	"account_id" uuid NOT NULL,
	"period" text NOT NULL,
	"fund_id" uuid NOT NULL,
	"debit_total" numeric(20, 2) NOT NULL,
	"credit_total" numeric(20, 2) NOT NULL,
	"balance" numeric(20, 2) NOT NULL,
	CONSTRAINT "period_balances_account_id_period_pk" PRIMARY KEY("account_id","period")
);
--> statement-breakpoint
CREATE TABLE "transaction_chain" (
	"fund_id" uuid NOT NULL,
	"position" bigint NOT NULL,
	"transaction_id" uuid NOT NULL,
	"previous_hash" text NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "transaction_chain_fund_id_position_pk" PRIMARY KEY("fund_id","position"),
	CONSTRAINT "transaction_chain_position_check" CHECK ("transaction_chain"."position" > 0)
);
--> statement-breakpoint
ALTER TABLE "accounting_periods" ADD CONSTRAINT "accounting_periods_fund_id_funds_id_fk" FOREIGN KEY ("fund_id") REFERENCES "public"."funds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fund_chains" ADD CONSTRAINT "fund_chains_fund_id_funds_id_fk" FOREIGN KEY ("fund_id") REFERENCES "public"."funds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "period_balances" ADD CONSTRAINT "period_balances_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "period_balances" ADD CONSTRAINT "period_balances_fund_id_funds_id_fk" FOREIGN KEY ("fund_id") REFERENCES "public"."funds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transaction_chain" ADD CONSTRAINT "transaction_chain_fund_id_funds_id_fk" FOREIGN KEY ("fund_id") REFERENCES "public"."funds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transaction_chain" ADD CONSTRAINT "transaction_chain_transaction_id_transactions_id_fk" FOREIGN KEY ("transaction_id") REFERENCES "public"."transactions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "period_balances_fund_period_idx" ON "period_balances" USING btree ("fund_id","period");--> statement-breakpoint
CREATE UNIQUE INDEX "transaction_chain_transaction_key" ON "transaction_chain" USING btree ("transaction_id","fund_id");