ALTER TABLE "disbursement_batches" ADD COLUMN "paid_by" text;--> statement-breakpoint
ALTER TABLE "disbursements" ADD COLUMN "paid_by" text;--> statement-breakpoint
ALTER TABLE "disbursements" ADD COLUMN "failed_by" text;--> statement-breakpoint
-- Who paid and who failed were known only through the vouchers those steps posted: recorded on the rows from
-- now on, and taken from the vouchers for the rows before. A request failed before approval posted nothing:
-- who failed it stays unknown here (the audit log has it).
UPDATE "disbursements" d SET "paid_by" = t."created_by" FROM "transactions" t WHERE t."id" = d."payment_transaction_id";
--> statement-breakpoint
UPDATE "disbursements" d SET "failed_by" = t."created_by" FROM "transactions" t WHERE t."id" = d."failure_transaction_id";
--> statement-breakpoint
UPDATE "disbursement_batches" b SET "paid_by" = t."created_by" FROM "transactions" t WHERE t."id" = b."payment_transaction_id";
