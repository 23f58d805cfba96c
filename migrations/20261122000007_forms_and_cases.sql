-- Forms as data and online applications (cases) with their timeline, messages and attachments.

-- The base catalogue's form per service (JSON form schema; null = no online form).
alter table base_service add column form_schema jsonb;

-- Per tenant and service: an overriding form, how long completed cases are kept and the processing
-- time that makes a case overdue.
alter table service_activation
    add column form_schema jsonb,
    add column retention_days integer not null default 730,
    add column processing_days integer not null default 14,
    add constraint service_activation_retention_check check (retention_days between 30 and 36500),
    add constraint service_activation_processing_check check (processing_days between 1 and 365);

-- Per tenant: how long unfinished drafts are kept.
create table case_setting (
    tenant_id    uuid primary key,
    draft_days   integer not null default 30,
    updated_at   timestamptz not null default now(),
    constraint case_setting_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade,
    constraint case_setting_draft_days_check check (draft_days between 1 and 365)
);

-- Every schema a draft or case was filled in under, by content hash; a case keeps the form it was
-- filed under even when the catalogue or the tenant changes the form later.
create table form_version (
    tenant_id     uuid not null,
    schema_hash   text not null,
    service_slug  text not null,
    schema        jsonb not null,
    created_at    timestamptz not null default now(),
    primary key (tenant_id, schema_hash),
    constraint form_version_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade
);

-- A form being filled in. The submission key is issued with the form: a retried or doubled submit
-- finds the case filed with it.
create table application_draft (
    tenant_id         uuid not null,
    draft_id          uuid not null,
    service_slug      text not null,
    schema_hash       text not null,
    citizen_id        uuid,
    -- a guest's draft belongs to whoever holds the cookie whose hash this is
    guest_token_hash  bytea,
    answers           jsonb not null default '{}',
    submission_key    uuid not null,
    case_id           uuid,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    expires_at        timestamptz not null,
    primary key (tenant_id, draft_id),
    constraint application_draft_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade,
    constraint application_draft_form_fkey foreign key (tenant_id, schema_hash) references form_version (tenant_id, schema_hash),
    constraint application_draft_citizen_fkey foreign key (tenant_id, citizen_id) references citizen_account (tenant_id, citizen_id) on delete cascade,
    constraint application_draft_owner_check check (citizen_id is not null or guest_token_hash is not null)
);
create index application_draft_citizen_idx on application_draft (tenant_id, citizen_id, updated_at desc);
create index application_draft_expiry_idx on application_draft (tenant_id, expires_at);
create trigger application_draft_touch before update on application_draft for each row execute function touch_updated_at();

-- Running numbers for case references, per tenant and year ("2026-000042").
create table case_counter (
    tenant_id  uuid not null,
    year       integer not null,
    last       integer not null,
    primary key (tenant_id, year),
    constraint case_counter_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade
);

-- A submitted application.
create table case_record (
    tenant_id          uuid not null,
    case_id            uuid not null,
    reference          text not null,
    service_slug       text not null,
    service_version    integer not null,
    schema_hash        text not null,
    citizen_id         uuid,
    guest_email        text,
    -- a guest follows the case through a secret link; the hash finds the case, the token itself is
    -- kept so that status mails can carry the link (it opens nothing the database does not hold)
    guest_token_hash   bytea,
    guest_token        text,
    applicant_name     text not null,
    answers            jsonb not null,
    status             text not null default 'submitted',
    assigned_to        uuid,
    submission_key     uuid not null,
    lang               text not null default 'de',
    submitted_at       timestamptz not null default now(),
    due_at             timestamptz not null,
    status_changed_at  timestamptz not null default now(),
    completed_at       timestamptz,
    decision_reason    text,
    anonymised_at      timestamptz,
    primary key (tenant_id, case_id),
    constraint case_record_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade,
    constraint case_record_form_fkey foreign key (tenant_id, schema_hash) references form_version (tenant_id, schema_hash),
    constraint case_record_citizen_fkey foreign key (tenant_id, citizen_id) references citizen_account (tenant_id, citizen_id) on delete set null (citizen_id),
    constraint case_record_assignee_fkey foreign key (tenant_id, assigned_to) references staff_user (tenant_id, staff_id) on delete set null (assigned_to),
    constraint case_record_status_check check (status in ('submitted', 'in_review', 'information_requested', 'approved', 'rejected', 'completed', 'archived')),
    constraint case_record_lang_check check (lang in ('de', 'en'))
);
create unique index case_record_reference_key on case_record (tenant_id, reference);
create unique index case_record_submission_key on case_record (tenant_id, submission_key);
create index case_record_inbox_idx on case_record (tenant_id, status, submitted_at desc);
create index case_record_service_idx on case_record (tenant_id, service_slug, submitted_at desc);
create index case_record_citizen_idx on case_record (tenant_id, citizen_id, submitted_at desc);
create unique index case_record_guest_key on case_record (tenant_id, guest_token_hash) where guest_token_hash is not null;
create index case_record_assignee_idx on case_record (tenant_id, assigned_to, status);

-- The timeline: status changes, messages between office and applicant, internal notes (never
-- shown to the applicant), assignments, documents issued.
create table case_event (
    tenant_id    uuid not null,
    event_id     uuid not null,
    case_id      uuid not null,
    kind         text not null,
    status       text,
    actor_kind   text not null,
    actor_id     uuid,
    actor_name   text not null default '',
    body         text not null default '',
    internal     boolean not null default false,
    created_at   timestamptz not null default now(),
    primary key (tenant_id, event_id),
    constraint case_event_case_fkey foreign key (tenant_id, case_id) references case_record (tenant_id, case_id) on delete cascade,
    constraint case_event_kind_check check (kind in ('submitted', 'status', 'message', 'note', 'assigned', 'document', 'anonymised')),
    constraint case_event_actor_check check (actor_kind in ('citizen', 'guest', 'staff', 'system'))
);
create index case_event_case_idx on case_event (tenant_id, case_id, created_at);

-- Attachments of drafts, cases and messages, and documents issued. Stored here (tenant-isolated by
-- row-level security like everything else) and served only through handlers that check access.
create table case_file (
    tenant_id     uuid not null,
    file_id       uuid not null,
    draft_id      uuid,
    case_id       uuid,
    event_id      uuid,
    field_id      text,
    purpose       text not null,
    file_name     text not null,
    content_type  text not null,
    size_bytes    bigint not null,
    sha256        text not null,
    content       bytea not null,
    created_at    timestamptz not null default now(),
    primary key (tenant_id, file_id),
    constraint case_file_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade,
    constraint case_file_draft_fkey foreign key (tenant_id, draft_id) references application_draft (tenant_id, draft_id) on delete set null (draft_id),
    constraint case_file_case_fkey foreign key (tenant_id, case_id) references case_record (tenant_id, case_id) on delete cascade,
    constraint case_file_purpose_check check (purpose in ('answer', 'message', 'issued')),
    constraint case_file_owner_check check (draft_id is not null or case_id is not null),
    constraint case_file_type_check check (content_type in ('application/pdf', 'image/png', 'image/jpeg'))
);
create index case_file_case_idx on case_file (tenant_id, case_id);
create index case_file_draft_idx on case_file (tenant_id, draft_id);

do $$
declare t text;
begin
    foreach t in array array['case_setting', 'form_version', 'application_draft', 'case_counter', 'case_record', 'case_event', 'case_file'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format('create policy tenant_isolation on %I using (tenant_id = current_tenant_id()) with check (tenant_id = current_tenant_id())', t);
    end loop;
end
$$;

