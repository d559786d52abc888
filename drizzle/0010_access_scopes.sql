CREATE TABLE "disabled_env_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"disabled_by" text NOT NULL,
	"disabled_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "scopes" jsonb;--> statement-breakpoint
ALTER TABLE "funds" ADD COLUMN "township" text;--> statement-breakpoint
-- Officer and reader keys issued before scopes existed reached the whole ledger: they keep doing so, now said outright.
UPDATE "api_keys" SET "scopes" = '{"all": true, "funds": [], "townships": []}'::jsonb WHERE "role" IN ('officer', 'reader');--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_scopes_check" CHECK (("api_keys"."scopes" is null) = ("api_keys"."role" in ('admin', 'auditor')));