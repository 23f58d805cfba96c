-- The servers keep each tenant's portal content (branding, logo, the services it offers with its
-- overrides, the catalogue they come from) and the pages rendered from it in memory. They learn of
-- every change through the notification that already refreshes the host registry, now with a payload
-- that says what changed:
--   'hosts'         a tenant or host name changed: reload the host registry
--   'tenant:<id>'   the portal content of one tenant changed
--   'catalogue'     the shared catalogue changed: every tenant's content
-- Row-level triggers send one notification per row; PostgreSQL folds identical ones of a transaction
-- into one, so switching on the basic installation sends one 'tenant:<id>'. An update that changes
-- nothing notifies nobody (the start-up sync rewrites unchanged rows).

drop trigger tenant_registry_notify on tenant;
drop trigger tenant_domain_registry_notify on tenant_domain;
drop function notify_tenant_registry();

-- a change whose payload is the trigger's argument ('hosts' or 'catalogue')
create function notify_change() returns trigger
    language plpgsql
as $$
begin
    perform pg_notify('tenant_registry', tg_argv[0]);
    return null;
end
$$;

create function notify_tenant_content() returns trigger
    language plpgsql
as $$
begin
    if tg_op in ('UPDATE', 'DELETE') then
        perform pg_notify('tenant_registry', 'tenant:' || old.tenant_id);
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        perform pg_notify('tenant_registry', 'tenant:' || new.tenant_id);
    end if;
    return null;
end
$$;

-- host names and the tenants' names and status: the registry
create trigger tenant_hosts_notify after insert or update or delete or truncate on tenant
    for each statement execute function notify_change('hosts');
create trigger tenant_domain_hosts_notify after insert or update or delete or truncate on tenant_domain
    for each statement execute function notify_change('hosts');

-- what a tenant's portal shows (per row), and the shared catalogue every portal lists from; an
-- emptied table is a change of everything
do $$
declare
    t text;
    f text;
begin
    foreach t in array array['tenant', 'tenant_branding', 'tenant_logo', 'service_activation', 'base_service', 'service_category', 'search_synonym'] loop
        f := case when t in ('base_service', 'service_category', 'search_synonym') then 'notify_change(''catalogue'')' else 'notify_tenant_content()' end;
        execute format('create trigger %I after insert or delete on %I for each row execute function %s', t || '_content_notify', t, f);
        -- (the touch trigger moves updated_at on every update of an activation, so each one notifies)
        execute format('create trigger %I after update on %I for each row when (old.* is distinct from new.*) execute function %s', t || '_content_update_notify', t, f);
        if t <> 'tenant' then
            execute format('create trigger %I after truncate on %I for each statement execute function notify_change(''catalogue'')', t || '_truncate_notify', t);
        end if;
    end loop;
end
$$;

-- The portal search in one round trip: one statement, outside a transaction, that confines itself to
-- the tenant it is asked for (row-level security applies as in any tenant transaction: the function
-- runs as its caller). It refuses to run inside a transaction already confined to another tenant and
-- leaves the setting as it found it. `p_query` is a to_tsquery expression built by the server from
-- letters and digits only (portal_catalogue::repo::build_tsquery).
create function portal_search(p_tenant uuid, p_query text, p_limit integer)
    returns table (service_slug text, category_slug text, name_de text, name_en text, summary_de text, summary_en text,
                   fee_cents bigint, appointment_required boolean, fully_online boolean)
    language plpgsql volatile security invoker
as $$
declare
    previous text := coalesce(current_setting('app.tenant_id', true), '');
begin
    if previous <> '' and previous <> p_tenant::text then
        raise exception 'portal_search for tenant % inside a transaction of another tenant', p_tenant;
    end if;
    perform set_config('app.tenant_id', p_tenant::text, true);
    return query
        select s.service_slug, s.category_slug,
               coalesce(a.name_de, s.name_de), coalesce(a.name_en, s.name_en),
               coalesce(a.summary_de, s.summary_de), coalesce(a.summary_en, s.summary_en),
               coalesce(a.fee_cents, s.fee_cents), s.appointment_required, s.fully_online
        from service_activation a
        join base_service s on s.service_slug = a.service_slug
        cross join lateral (select to_tsquery('german', p_query) as q_de, to_tsquery('english', p_query) as q_en) q
        where a.tenant_id = p_tenant and (
            s.search_de @@ q.q_de or s.search_en @@ q.q_en
            -- the tenant's own name or summary, where it has one (most rows have none: no parsing)
            or ((a.name_de is not null or a.summary_de is not null)
                and to_tsvector('german', coalesce(a.name_de, '') || ' ' || coalesce(a.summary_de, '')) @@ q.q_de))
        order by greatest(ts_rank(s.search_de, q.q_de), ts_rank(s.search_en, q.q_en)) desc, s.name_de
        limit p_limit;
    perform set_config('app.tenant_id', previous, true);
end
$$;
revoke all on function portal_search(uuid, text, integer) from public;
grant execute on function portal_search(uuid, text, integer) to portal_app;
