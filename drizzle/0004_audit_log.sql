CREATE TABLE "audit_log" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_log_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_id" text,
	"actor_role" text,
	"request_id" text NOT NULL,
	"client_address" text,
	"method" text NOT NULL,
	"route" text,
	"path" text NOT NULL,
	"target_ids" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" integer NOT NULL,
	"outcome" text NOT NULL,
	"error_code" text,
	"replayed" boolean DEFAULT false NOT NULL,
	CONSTRAINT "audit_log_outcome_check" CHECK ("audit_log"."outcome" in ('succeeded', 'refused'))
);
--> statement-breakpoint
CREATE INDEX "audit_log_actor_idx" ON "audit_log" USING btree ("actor_id","id");--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "audit_log_target_ids_idx" ON "audit_log" USING gin ("target_ids");