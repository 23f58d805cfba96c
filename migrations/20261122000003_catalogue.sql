-- The shared base catalogue of services and the tenants' activations of it.

-- Reference tables (no tenant_id, no row-level security), synced from tenants/catalogue at start-up
-- through the server's explicit platform (admin) path.
create table service_category (
    category_slug  text primary key,
    position       integer not null,
    name_de        text not null,
    name_en        text not null
);

create table base_service (
    service_slug          text primary key,
    -- bumped by the sync whenever the entry's content changes; cases keep the version they were filed under
    version               integer not null default 1,
    content_hash          text not null,
    category_slug         text not null,
    leika_key             text,
    name_de               text not null,
    name_en               text not null,
    summary_de            text not null,
    summary_en            text not null,
    description_de        text not null,
    description_en        text not null,
    keywords_de           text not null default '',
    keywords_en           text not null default '',
    fee_cents             bigint,
    fee_note_de           text not null default '',
    fee_note_en           text not null default '',
    appointment_required  boolean not null,
    fully_online          boolean not null,
    -- [{"de": "...", "en": "..."}]
    documents             jsonb not null default '[]',
    updated_at            timestamptz not null default now(),
    constraint base_service_category_fkey foreign key (category_slug) references service_category (category_slug),
    constraint base_service_leika_check check (leika_key ~ '^[0-9]{14}$'),
    constraint base_service_fee_check check (fee_cents >= 0),
    -- German stemming for German texts, English for English ones; used by the portal search
    search_de tsvector generated always as (
        setweight(to_tsvector('german', name_de), 'A') ||
        setweight(to_tsvector('german', keywords_de), 'B') ||
        setweight(to_tsvector('german', summary_de), 'C')) stored,
    search_en tsvector generated always as (
        setweight(to_tsvector('english', name_en), 'A') ||
        setweight(to_tsvector('english', keywords_en), 'B') ||
        setweight(to_tsvector('english', summary_en), 'C')) stored
);
create index base_service_category_idx on base_service (category_slug);

-- Named selections of services, e.g. the "basic installation" a small Amt switches on at once.
create table catalogue_preset (
    preset_slug  text primary key,
    name_de      text not null,
    name_en      text not null
);

create table catalogue_preset_service (
    preset_slug   text not null,
    service_slug  text not null,
    primary key (preset_slug, service_slug),
    constraint catalogue_preset_service_preset_fkey foreign key (preset_slug) references catalogue_preset (preset_slug) on delete cascade,
    constraint catalogue_preset_service_service_fkey foreign key (service_slug) references base_service (service_slug) on delete cascade
);

-- Words citizens type that the texts do not contain ("Perso" -> Personalausweis).
create table search_synonym (
    term        text primary key,
    expansions  text[] not null,
    constraint search_synonym_term_check check (term = lower(term))
);

-- Tenant-owned: which base services a tenant offers, with its own fee, texts, office and contact.
create table service_activation (
    tenant_id         uuid not null,
    service_slug      text not null,
    -- the base version the tenant last saw; a newer base_service.version is an update to review
    seen_version      integer not null,
    fee_cents         bigint,
    name_de           text,
    name_en           text,
    summary_de        text,
    summary_en        text,
    office            text,
    contact_email     text,
    contact_phone     text,
    activated_at      timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    primary key (tenant_id, service_slug),
    constraint service_activation_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade,
    constraint service_activation_service_fkey foreign key (service_slug) references base_service (service_slug) on delete cascade,
    constraint service_activation_fee_check check (fee_cents >= 0)
);
create trigger service_activation_touch before update on service_activation for each row execute function touch_updated_at();

alter table service_activation enable row level security;
alter table service_activation force row level security;
create policy tenant_isolation on service_activation
    using (tenant_id = current_tenant_id()) with check (tenant_id = current_tenant_id());
