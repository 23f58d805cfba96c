-- Roles and helpers every later migration relies on.
--
-- Migrations run as the schema owner. The server connects as `portal_app`, which is neither superuser,
-- nor owner of any table, nor BYPASSRLS: row-level security binds it. The role is cluster-wide, so it is
-- created only when missing; its LOGIN and password are set by the operator (see docs/operations.md).
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'portal_app') then
        create role portal_app nologin nosuperuser nocreatedb nocreaterole nobypassrls;
    end if;
end
$$;

grant usage on schema public to portal_app;

-- Tables and sequences created by the owner from here on are usable by the application role.
-- Privileges on platform-wide tables are narrowed per table where the app must not write.
alter default privileges in schema public grant select, insert, update, delete on tables to portal_app;
alter default privileges in schema public grant usage, select on sequences to portal_app;

-- The tenant of the current transaction, set by the server with `SET LOCAL app.tenant_id` in the same
-- round trip as BEGIN. Null when unset or empty (after a transaction that set it has ended, the
-- placeholder reads as ''), so policies compare against null and match nothing: fail closed.
create function current_tenant_id() returns uuid
    language sql stable parallel safe
as $$ select nullif(current_setting('app.tenant_id', true), '')::uuid $$;

-- Keeps `updated_at` honest without relying on every query to set it.
create function touch_updated_at() returns trigger
    language plpgsql
as $$
begin
    new.updated_at := now();
    return new;
end
$$;
