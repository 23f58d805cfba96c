-- The form builder: one draft per service that editors change while the published form stays
-- live, and every published version (for the diff, the roll back and the record of who published
-- what). Publishing writes the tenant's form (service_activation.form_schema) as before; drafts and
-- cases keep the version they were filled in under (form_version, by hash).

create table form_draft (
    tenant_id     uuid not null,
    service_slug  text not null,
    schema        jsonb not null,
    -- raised by every save: an editor saving over a revision they did not see is refused
    revision      integer not null default 1,
    -- the published version the draft started from (none: a new form)
    based_on      integer,
    updated_by    text not null,
    updated_at    timestamptz not null default now(),
    primary key (tenant_id, service_slug),
    constraint form_draft_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade,
    constraint form_draft_revision_check check (revision >= 1)
);

create table form_publication (
    tenant_id     uuid not null,
    service_slug  text not null,
    number        integer not null,
    schema        jsonb not null,
    schema_hash   text not null,
    published_by  text not null,
    published_at  timestamptz not null default now(),
    -- a roll back publishes an earlier version again and says which
    restores      integer,
    primary key (tenant_id, service_slug, number),
    constraint form_publication_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade,
    constraint form_publication_number_check check (number >= 1)
);

select isolate_tenant_tables('form_draft', 'form_publication');
