-- print@home documents: the tenant's signing keys (Ed25519, the private half sealed under the
-- platform key), the documents cases issue (facts, validity, the signed token of the QR code,
-- revocation and renewal), and the tenant's per-service settings (issue by itself, reminder).

create table document_key (
    tenant_id       uuid not null,
    -- first 8 bytes of SHA-256 over the public key
    kid             bytea not null,
    public_key      bytea not null,
    -- AES-256-GCM under APP__SECURITY__SECRETS_KEY, bound to tenant and kid
    private_sealed  bytea not null,
    created_at      timestamptz not null default now(),
    -- a retired key signs nothing new and keeps verifying what it signed
    retired_at      timestamptz,
    primary key (tenant_id, kid),
    constraint document_key_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade,
    constraint document_key_sizes_check check (octet_length(kid) = 8 and octet_length(public_key) = 32)
);
-- one current key per tenant
create unique index document_key_current_key on document_key (tenant_id) where retired_at is null;

create table document_setting (
    tenant_id      uuid not null,
    service_slug   text not null,
    auto_issue     boolean not null,
    reminder_days  integer not null,
    updated_at     timestamptz not null default now(),
    primary key (tenant_id, service_slug),
    constraint document_setting_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade,
    constraint document_setting_reminder_check check (reminder_days between 1 and 365)
);
create trigger document_setting_touch before update on document_setting for each row execute function touch_updated_at();

create table document (
    tenant_id       uuid not null,
    document_id     uuid not null,
    -- e.g. BPA-2026-7K3Q-9XW2: the random part makes numbers unguessable, so the check by number
    -- cannot be walked through
    number          text not null,
    case_id         uuid not null,
    service_slug    text not null,
    kind            text not null,
    title_de        text not null,
    title_en        text not null,
    -- what the document prints: [{fact, label: {de, en}, value: {de, en}}]
    facts           jsonb not null,
    -- the answers the facts came from (a renewal starts from them)
    answers         jsonb not null,
    valid_from      date not null,
    valid_until     date not null,
    kid             bytea not null,
    token           text not null,
    citizen_id      uuid,
    lang            text not null,
    -- the portal's address when issued: the QR code's check link and the reminder's link
    portal_url      text not null,
    issued_at       timestamptz not null default now(),
    issued_by       text not null,
    revoked_at      timestamptz,
    revoked_reason  text,
    revoked_by      text,
    -- the document this one renews, and the one that renewed this one
    renews          uuid,
    superseded_by   uuid,
    reminded_at     timestamptz,
    -- the case was anonymised: what the document printed about the person is gone
    anonymised_at   timestamptz,
    primary key (tenant_id, document_id),
    constraint document_case_fkey foreign key (tenant_id, case_id) references case_record (tenant_id, case_id) on delete cascade,
    constraint document_key_fkey foreign key (tenant_id, kid) references document_key (tenant_id, kid),
    constraint document_kind_check check (kind in ('parking_permit', 'registration', 'notice')),
    constraint document_validity_check check (valid_until >= valid_from),
    constraint document_revoked_check check ((revoked_at is null) = (revoked_reason is null)),
    constraint document_reason_check check (revoked_reason is null or char_length(revoked_reason) between 10 and 500)
);
create unique index document_number_key on document (tenant_id, number);
-- a case has at most one document in force: a retried issue finds it instead of making a second
create unique index document_case_live_key on document (tenant_id, case_id) where revoked_at is null;
create index document_citizen_idx on document (tenant_id, citizen_id) where citizen_id is not null;
create index document_reminder_idx on document (tenant_id, valid_until) where reminded_at is null and revoked_at is null and superseded_by is null;

-- Every tenant table gets the same isolation: row-level security forced on the owner too, the
-- tenant policy, and the platform role's access. One function does it from here on (earlier
-- migrations spell it out).
create function isolate_tenant_tables(variadic tables text[]) returns void
    language plpgsql set search_path = public, pg_temp
as $$
declare t text;
begin
    foreach t in array tables loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format('create policy tenant_isolation on %I using (tenant_id = current_tenant_id()) with check (tenant_id = current_tenant_id())', t);
        execute format('grant select, insert, update, delete on %I to portal_platform', t);
    end loop;
end
$$;
revoke all on function isolate_tenant_tables(text[]) from public;
select isolate_tenant_tables('document_key', 'document_setting', 'document');

-- Platform-wide: which tenants have issued documents, so that the reminder job visits only those.
create table document_tenant (
    tenant_id  uuid primary key,
    constraint document_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade
);
revoke all on document_tenant from portal_app;
grant select, insert, update, delete on document_tenant to portal_platform;
create trigger document_key_tenant after insert on document_key for each row execute function register_tenant('document_tenant');
