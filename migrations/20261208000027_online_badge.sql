-- Issue 29: the badge "Vollständig online" only where the portal offers the online path. The search
-- answers with the same truth as the service lists (portal_catalogue::repo::ACTIVE_COLUMNS): fully
-- online in the catalogue and a form the tenant offers (its own or the catalogue's).
create or replace function portal_search(p_tenant uuid, p_query text, p_limit integer)
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
               coalesce(a.fee_cents, s.fee_cents), s.appointment_required,
               s.fully_online and coalesce(a.form_schema, s.form_schema) is not null
        from service_activation a
        join service_entry s on s.service_slug = a.service_slug
        cross join lateral (select to_tsquery('german', p_query) as q_de, to_tsquery('english', p_query) as q_en) q
        where a.tenant_id = p_tenant and (
            s.search_de @@ q.q_de or s.search_en @@ q.q_en
            or ((a.name_de is not null or a.summary_de is not null)
                and to_tsvector('german', coalesce(a.name_de, '') || ' ' || coalesce(a.summary_de, '')) @@ q.q_de))
        order by greatest(ts_rank(s.search_de, q.q_de), ts_rank(s.search_en, q.q_en)) desc, s.name_de
        limit p_limit;
    perform set_config('app.tenant_id', previous, true);
end
$$;
