-- The append-only audit log and the Postgres-backed job queue.

-- Every staff and operator action that changes data. Platform-wide (operators read all of it), but
-- row-level security still confines a tenant transaction to its own tenant's entries, and the
-- application role may only append: no update, no delete, for anyone (trigger).
create table audit_log (
    audit_id     uuid primary key,
    tenant_id    uuid,
    actor_kind   text not null,
    actor_id     uuid not null,
    actor_name   text not null,
    action       text not null,
    object       text not null,
    detail       jsonb not null default '{}',
    source_ip    inet,
    at           timestamptz not null default now(),
    constraint audit_log_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete restrict,
    constraint audit_log_actor_kind_check check (actor_kind in ('operator', 'staff', 'system'))
);
create index audit_log_tenant_at_idx on audit_log (tenant_id, at desc);
create index audit_log_at_idx on audit_log (at desc);

revoke update, delete, truncate on audit_log from portal_app;

create function audit_log_append_only() returns trigger
    language plpgsql
as $$
begin
    raise exception 'audit_log is append-only' using errcode = '42501';
end
$$;
create trigger audit_log_no_update before update or delete on audit_log for each row execute function audit_log_append_only();
create trigger audit_log_no_truncate before truncate on audit_log for each statement execute function audit_log_append_only();

alter table audit_log enable row level security;
alter table audit_log force row level security;
-- a tenant transaction sees and writes only its tenant's entries; the platform path (no tenant) all
create policy audit_log_read on audit_log for select
    using (current_tenant_id() is null or tenant_id = current_tenant_id());
create policy audit_log_append on audit_log for insert
    with check (current_tenant_id() is null or tenant_id = current_tenant_id());

-- Work that may fail or take time (e-mail first). Claimed with FOR UPDATE SKIP LOCKED; a claim
-- expires, so work of a process that died is picked up again.
create table job (
    job_id        uuid primary key,
    tenant_id     uuid,
    kind          text not null,
    payload       jsonb not null,
    status        text not null default 'pending',
    attempts      integer not null default 0,
    max_attempts  integer not null default 12,
    run_at        timestamptz not null default now(),
    locked_until  timestamptz,
    last_error    text,
    created_at    timestamptz not null default now(),
    done_at       timestamptz,
    constraint job_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade,
    constraint job_status_check check (status in ('pending', 'running', 'done', 'failed'))
);
create index job_due_idx on job (run_at) where status in ('pending', 'running');
create index job_status_idx on job (status, created_at desc);
