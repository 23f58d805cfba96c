-- Security review (issue 11).

-- 1. Identity providers' client secrets: no longer the name of an environment variable (a tenant
-- admin could name a platform secret and have it sent to an issuer of their choosing), but the
-- secret itself, sealed by the server (AES-256-GCM under APP__SECURITY__SECRETS_KEY, bound to the
-- tenant and provider). Providers configured before have no secret until an admin enters it again
-- (docs/operations.md); their names of variables are dropped.
alter table identity_provider drop constraint identity_provider_secret_env_check;
alter table identity_provider drop column client_secret_env;
alter table identity_provider add column client_secret_sealed bytea;
alter table identity_provider add constraint identity_provider_secret_size_check check (octet_length(client_secret_sealed) between 29 and 1100);
-- issuers are https; plain http only on loopback (the server also refuses it outside test set-ups)
alter table identity_provider add constraint identity_provider_issuer_check
    check (issuer_url ~ '^https://[^/@?#\s]+' or issuer_url ~ '^http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]+)?(/|$)');

-- 5. Two roles. Tenant requests connect as portal_app; the platform path (operations console,
-- mail and payment workers, host registry, start-up sync, the webhook's account lookup) as
-- portal_platform. Neither is a member of the other: SET ROLE would lift the walls. Row-level
-- security alone is no wall against a statement smuggled into a tenant transaction (it could set
-- app.tenant_id itself), so portal_app loses the grants it does not need: it can no longer read
-- the job queue (other tenants' mails with reset and invitation links), operators' password
-- hashes or their sessions, nor change tenants, host names, plans or the base catalogue.
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'portal_platform') then
        create role portal_platform nologin nosuperuser nocreatedb nocreaterole nobypassrls;
    end if;
end
$$;
grant usage on schema public to portal_platform;
alter default privileges in schema public grant select, insert, update, delete on tables to portal_platform;
alter default privileges in schema public grant usage, select on sequences to portal_platform;
do $$
declare t text;
begin
    for t in select c.relname from pg_class c
              where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and c.relname <> '_sqlx_migrations' loop
        execute format('grant select, insert, update, delete on %I to portal_platform', t);
    end loop;
end
$$;
revoke update, delete, truncate on audit_log from portal_platform;

-- portal_app: platform tables narrowed to what tenant transactions use (reads for pages and fees)
revoke all on operator, operator_session, tenant_domain from portal_app;
revoke insert, update, delete, truncate on tenant, plan, service_category, base_service,
    catalogue_preset, catalogue_preset_service, search_synonym from portal_app;
-- connected accounts are mapped by operators (platform path); a tenant transaction reads its own
revoke insert, update, delete, truncate on stripe_account from portal_app;
-- the job queue: a tenant transaction enqueues its own mail and reads nothing
revoke all on job from portal_app;
grant insert on job to portal_app;

alter table job enable row level security;
alter table job force row level security;
create policy job_tenant_enqueue on job for insert to portal_app with check (tenant_id = current_tenant_id());
create policy job_platform on job for all to portal_platform using (true) with check (true);

alter table stripe_account enable row level security;
alter table stripe_account force row level security;
create policy stripe_account_tenant on stripe_account for select to portal_app using (tenant_id = current_tenant_id());
create policy stripe_account_platform on stripe_account to portal_platform using (true) with check (true);

-- the audit log: "no tenant set = every entry" only on the platform path
drop policy audit_log_read on audit_log;
drop policy audit_log_append on audit_log;
create policy audit_log_tenant_read on audit_log for select to portal_app using (tenant_id = current_tenant_id());
create policy audit_log_tenant_append on audit_log for insert to portal_app with check (tenant_id = current_tenant_id());
create policy audit_log_platform_read on audit_log for select to portal_platform
    using (current_tenant_id() is null or tenant_id = current_tenant_id());
create policy audit_log_platform_append on audit_log for insert to portal_platform
    with check (current_tenant_id() is null or tenant_id = current_tenant_id());
