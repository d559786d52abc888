-- Every change that can make a cached API key wrong (src/auth/key-sync.ts) notifies 'fl_api_keys' in its own
-- transaction: delivered only if it commits, and after every notification committed before it. last_used_at is
-- left out: the service writes it in the background and no cache depends on it.
CREATE FUNCTION "notify_api_key_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('fl_api_keys', '');
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER "api_keys_notify_change" AFTER INSERT OR DELETE OR UPDATE OF "name", "role", "token_hash", "scopes", "revoked_at", "expires_at" ON "api_keys" FOR EACH ROW EXECUTE FUNCTION "notify_api_key_change"();--> statement-breakpoint
CREATE TRIGGER "api_keys_notify_truncate" AFTER TRUNCATE ON "api_keys" FOR EACH STATEMENT EXECUTE FUNCTION "notify_api_key_change"();--> statement-breakpoint
CREATE TRIGGER "disabled_env_tokens_notify_change" AFTER INSERT OR DELETE OR UPDATE ON "disabled_env_tokens" FOR EACH ROW EXECUTE FUNCTION "notify_api_key_change"();--> statement-breakpoint
CREATE TRIGGER "disabled_env_tokens_notify_truncate" AFTER TRUNCATE ON "disabled_env_tokens" FOR EACH STATEMENT EXECUTE FUNCTION "notify_api_key_change"();
