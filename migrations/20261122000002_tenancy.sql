-- Tenants (Kommunen), their host names and their branding.

-- Platform-wide reference table: the registry of Kommunen. Read before any tenant is known (host
-- resolution), so it has no row-level security; only the operations console writes it.
create table tenant (
    tenant_id   uuid primary key,
    slug        text not null,
    kind        text not null,
    parent_id   uuid,
    name        text not null,
    status      text not null default 'active',
    -- rows created from tenants/demo; only these are pruned when the demo files drop a tenant
    is_demo     boolean not null default false,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    constraint tenant_slug_key unique (slug),
    constraint tenant_kind_check check (kind in ('stadt', 'gemeinde', 'amt', 'kreis')),
    constraint tenant_status_check check (status in ('active', 'suspended')),
    constraint tenant_parent_fkey foreign key (parent_id) references tenant (tenant_id) on delete restrict,
    constraint tenant_not_own_parent check (parent_id is distinct from tenant_id)
);
create index tenant_parent_idx on tenant (parent_id);
create trigger tenant_touch before update on tenant for each row execute function touch_updated_at();

-- Host names of tenant portals. Reference table: the host decides the tenant.
create table tenant_domain (
    host        text primary key,
    tenant_id   uuid not null,
    is_primary  boolean not null default false,
    created_at  timestamptz not null default now(),
    constraint tenant_domain_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade,
    constraint tenant_domain_host_check check (host = lower(host) and host ~ '^[a-z0-9.-]+$')
);
create index tenant_domain_tenant_idx on tenant_domain (tenant_id);
-- at most one primary host per tenant
create unique index tenant_domain_primary_key on tenant_domain (tenant_id) where is_primary;

-- Tenant-owned from here on: tenant_id leads the key, row-level security is forced.

create table tenant_branding (
    tenant_id               uuid primary key,
    display_name            text not null,
    primary_colour          text not null,
    secondary_colour        text not null,
    contact_email           text,
    contact_phone           text,
    address                 text,
    imprint_de              text not null default '',
    imprint_en              text not null default '',
    privacy_de              text not null default '',
    privacy_en              text not null default '',
    accessibility_de        text not null default '',
    accessibility_en        text not null default '',
    updated_at              timestamptz not null default now(),
    constraint tenant_branding_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade,
    constraint tenant_branding_colour_check check (primary_colour ~ '^#[0-9a-f]{6}$' and secondary_colour ~ '^#[0-9a-f]{6}$')
);
create trigger tenant_branding_touch before update on tenant_branding for each row execute function touch_updated_at();

-- The tenant's logo, kept in the database so that app servers stay stateless.
create table tenant_logo (
    tenant_id     uuid primary key,
    content_type  text not null,
    bytes         bytea not null,
    -- hex sha-256 of bytes: the ETag and cache-busting query of the logo URL
    sha256        text not null,
    updated_at    timestamptz not null default now(),
    constraint tenant_logo_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade,
    constraint tenant_logo_type_check check (content_type in ('image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/svg+xml')),
    constraint tenant_logo_size_check check (octet_length(bytes) <= 262144)
);

alter table tenant_branding enable row level security;
alter table tenant_branding force row level security;
create policy tenant_isolation on tenant_branding
    using (tenant_id = current_tenant_id()) with check (tenant_id = current_tenant_id());

alter table tenant_logo enable row level security;
alter table tenant_logo force row level security;
create policy tenant_isolation on tenant_logo
    using (tenant_id = current_tenant_id()) with check (tenant_id = current_tenant_id());

-- Other app servers learn of tenant and host changes through NOTIFY and refresh their registry.
create function notify_tenant_registry() returns trigger
    language plpgsql
as $$
begin
    perform pg_notify('tenant_registry', tg_table_name);
    return null;
end
$$;
create trigger tenant_registry_notify after insert or update or delete or truncate on tenant
    for each statement execute function notify_tenant_registry();
create trigger tenant_domain_registry_notify after insert or update or delete or truncate on tenant_domain
    for each statement execute function notify_tenant_registry();
