DROP INDEX "audit_log_target_ids_idx";--> statement-breakpoint
CREATE INDEX "audit_log_target_values_idx" ON "audit_log" USING gin (jsonb_path_query_array("target_ids", '$.*') jsonb_path_ops);