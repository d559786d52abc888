ALTER TABLE "dividends" ADD COLUMN "void_transaction_id" uuid;--> statement-breakpoint
ALTER TABLE "dividends" ADD COLUMN "voided_by" text;--> statement-breakpoint
ALTER TABLE "dividends" ADD COLUMN "voided_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "dividends" ADD COLUMN "void_reason" text;--> statement-breakpoint
ALTER TABLE "dividends" ADD CONSTRAINT "dividends_void_transaction_id_transactions_id_fk" FOREIGN KEY ("void_transaction_id") REFERENCES "public"."transactions"("id") ON DELETE no action ON UPDATE no action;