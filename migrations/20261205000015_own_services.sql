-- Own services: a tenant's services that are not in the base catalogue (name, category, texts, fee,
-- appointment/online, its form built in the form builder). They live in a tenant table under
-- row-level security; `service_entry` is the base catalogue and the current tenant's own services
-- in one relation, so that every page, the search, cases, payments and appointments treat both
-- alike. Own services' slugs start with `eigen-` (the base catalogue refuses such slugs), so the
-- two never collide and an activation names exactly one of them.

create table own_service (
    tenant_id             uuid not null,
    service_slug          text not null,
    -- raised whenever the texts or the form change; cases keep the version they were filed under
    version               integer not null default 1,
    category_slug         text not null,
    name_de               text not null,
    name_en               text not null,
    summary_de            text not null,
    summary_en            text not null,
    description_de        text not null default '',
    description_en        text not null default '',
    keywords_de           text not null default '',
    keywords_en           text not null default '',
    fee_cents             bigint,
    fee_note_de           text not null default '',
    fee_note_en           text not null default '',
    appointment_required  boolean not null default false,
    fully_online          boolean not null default true,
    -- the responsible office (an activation's own office, where set, wins as for base services)
    office                text,
    -- the published form (the builder's latest version); none: no online form
    form_schema           jsonb,
    created_by            text not null,
    created_at            timestamptz not null default now(),
    updated_at            timestamptz not null default now(),
    primary key (tenant_id, service_slug),
    constraint own_service_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade,
    constraint own_service_category_fkey foreign key (category_slug) references service_category (category_slug),
    constraint own_service_slug_check check (service_slug ~ '^eigen-[a-z0-9]+(-[a-z0-9]+)*$' and length(service_slug) <= 64),
    constraint own_service_office_check check (length(office) <= 300),
    constraint own_service_fee_check check (fee_cents between 0 and 100000000),
    constraint own_service_name_check check (length(name_de) between 1 and 200 and length(name_en) between 1 and 200),
    constraint own_service_text_check check (length(summary_de) <= 1000 and length(summary_en) <= 1000
        and length(description_de) <= 20000 and length(description_en) <= 20000),
    search_de tsvector generated always as (
        setweight(to_tsvector('german', name_de), 'A') ||
        setweight(to_tsvector('german', keywords_de), 'B') ||
        setweight(to_tsvector('german', summary_de), 'C')) stored,
    search_en tsvector generated always as (
        setweight(to_tsvector('english', name_en), 'A') ||
        setweight(to_tsvector('english', keywords_en), 'B') ||
        setweight(to_tsvector('english', summary_en), 'C')) stored
);
create trigger own_service_touch before update on own_service for each row execute function touch_updated_at();
select isolate_tenant_tables('own_service');
-- the portal's cache of the tenant's content follows its own services like its activations
create trigger own_service_content_notify after insert or delete on own_service for each row execute function notify_tenant_content();
create trigger own_service_content_update_notify after update on own_service for each row when (old.* is distinct from new.*) execute function notify_tenant_content();
create trigger own_service_truncate_notify after truncate on own_service for each statement execute function notify_change('catalogue');

alter table base_service add constraint base_service_slug_own_check check (service_slug !~ '^eigen-');

-- An activation names a base service or one of the tenant's own services, and goes when it goes.
alter table service_activation drop constraint service_activation_service_fkey;
alter table service_activation
    add column base_slug text generated always as (case when service_slug like 'eigen-%' then null else service_slug end) stored,
    add column own_slug text generated always as (case when service_slug like 'eigen-%' then service_slug end) stored,
    add constraint service_activation_base_fkey foreign key (base_slug) references base_service (service_slug) on delete cascade,
    add constraint service_activation_own_fkey foreign key (tenant_id, own_slug) references own_service (tenant_id, service_slug) on delete cascade;

-- The base catalogue and the current tenant's own services (row-level security of the caller
-- applies: outside a tenant's transaction, only the base catalogue).
create view service_entry with (security_invoker = true) as
    select service_slug, version, category_slug, leika_key, name_de, name_en, summary_de, summary_en,
           description_de, description_en, keywords_de, keywords_en, fee_cents, fee_note_de, fee_note_en,
           appointment_required, fully_online, documents, form_schema, search_de, search_en, null::text as office, false as own
      from base_service
    union all
    select service_slug, version, category_slug, null, name_de, name_en, summary_de, summary_en,
           description_de, description_en, keywords_de, keywords_en, fee_cents, fee_note_de, fee_note_en,
           appointment_required, fully_online, '[]'::jsonb, form_schema, search_de, search_en, office, true
      from own_service;
grant select on service_entry to portal_app, portal_platform;

-- The form editor: builds and publishes the tenant's forms and own services, nothing else.
alter table staff_role drop constraint staff_role_role_check;
alter table staff_role add constraint staff_role_role_check check (role in ('tenant_admin', 'case_worker', 'viewer', 'kita_provider', 'form_editor'));

-- The import report of a draft that came from a FIM schema: notes per field, until fixed.
alter table form_draft add column report jsonb not null default '[]',
    add constraint form_draft_report_check check (jsonb_typeof(report) = 'array');

-- The portal search over both.
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
               coalesce(a.fee_cents, s.fee_cents), s.appointment_required, s.fully_online
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
