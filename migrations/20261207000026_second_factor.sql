-- Issue 27, finding 18: a second factor for operators and staff (TOTP, RFC 6238), ten one-time
-- recovery codes, remembered devices; a growing delay after failed logins instead of a lockout;
-- the sessions an operator can see and end.
--
-- The TOTP secret is sealed with the platform's secrets key (AES-256-GCM, bound to the tenant, or
-- the nil id for operators, and to the account): a database dump alone does not give the codes.
-- Recovery codes are kept as HMAC-SHA-256 under the platform key (about 50 random bits each: no
-- guessing from a dump alone), device tokens as SHA-256 (256 bits). A new secret waits for its
-- first code in the sealed pending login, not here: every stored secret is confirmed.

-- operators (platform tables; the tenants' transactions cannot read them)
create table operator_totp (
    operator_id    uuid primary key,
    secret_sealed  bytea not null,
    confirmed_at   timestamptz not null,
    -- the last time step a code was accepted for: a code is taken once (RFC 6238, 5.2)
    last_step      bigint,
    created_at     timestamptz not null default now(),
    constraint operator_totp_operator_fkey foreign key (operator_id) references operator (operator_id) on delete cascade
);
create table operator_recovery_code (
    operator_id  uuid not null,
    code_hash    bytea not null,
    used_at      timestamptz,
    primary key (operator_id, code_hash),
    constraint operator_recovery_code_operator_fkey foreign key (operator_id) references operator (operator_id) on delete cascade
);
create table operator_device (
    operator_id   uuid not null,
    device_id     uuid not null,
    token_hash    bytea not null,
    label         text not null,
    created_at    timestamptz not null,
    last_used_at  timestamptz not null,
    expires_at    timestamptz not null,
    primary key (operator_id, device_id),
    constraint operator_device_operator_fkey foreign key (operator_id) references operator (operator_id) on delete cascade,
    constraint operator_device_label_check check (char_length(label) <= 120)
);
create unique index operator_device_token_key on operator_device (token_hash);
-- what the operator's list of sessions shows: from where and with what the session was started
alter table operator_session
    add column user_agent text not null default '',
    add column client_ip text not null default '',
    add column session_id uuid not null default gen_random_uuid();
create unique index operator_session_id_key on operator_session (session_id);
revoke all on operator_totp, operator_recovery_code, operator_device from portal_app;
grant select, insert, update, delete on operator_totp, operator_recovery_code, operator_device to portal_platform;

-- staff (tenant-owned, forced row-level security)
create table staff_totp (
    tenant_id      uuid not null,
    staff_id       uuid not null,
    secret_sealed  bytea not null,
    confirmed_at   timestamptz not null,
    last_step      bigint,
    created_at     timestamptz not null default now(),
    primary key (tenant_id, staff_id),
    constraint staff_totp_staff_fkey foreign key (tenant_id, staff_id) references staff_user (tenant_id, staff_id) on delete cascade
);
create table staff_recovery_code (
    tenant_id  uuid not null,
    staff_id   uuid not null,
    code_hash  bytea not null,
    used_at    timestamptz,
    primary key (tenant_id, staff_id, code_hash),
    constraint staff_recovery_code_staff_fkey foreign key (tenant_id, staff_id) references staff_user (tenant_id, staff_id) on delete cascade
);
create table staff_device (
    tenant_id     uuid not null,
    staff_id      uuid not null,
    device_id     uuid not null,
    token_hash    bytea not null,
    label         text not null,
    created_at    timestamptz not null,
    last_used_at  timestamptz not null,
    expires_at    timestamptz not null,
    primary key (tenant_id, staff_id, device_id),
    constraint staff_device_staff_fkey foreign key (tenant_id, staff_id) references staff_user (tenant_id, staff_id) on delete cascade,
    constraint staff_device_label_check check (char_length(label) <= 120)
);
create unique index staff_device_token_key on staff_device (tenant_id, token_hash);
-- whom a tenant requires the second factor of: nobody, its admins (the default, also without a
-- row) or all staff
create table staff_login_policy (
    tenant_id      uuid primary key,
    second_factor  text not null default 'admins',
    updated_at     timestamptz not null default now(),
    constraint staff_login_policy_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade,
    constraint staff_login_policy_second_factor_check check (second_factor in ('none', 'admins', 'all'))
);
select isolate_tenant_tables('staff_totp', 'staff_recovery_code', 'staff_device', 'staff_login_policy');

-- Failed logins with a growing delay instead of a lockout: per account and client address, and
-- per account over all addresses (a shorter cap, so that nobody who knows the address can keep
-- the owner out). Platform-wide, like rate_limit.
create table login_throttle (
    bucket           text primary key,
    failures         integer not null,
    last_failure_at  timestamptz not null
);
create index login_throttle_last_idx on login_throttle (last_failure_at);

-- Sessions begun before this migration passed no second factor: the operators' and the tenant
-- admins' end now (the default policy requires it of admins), and they set it up at their next
-- login. Forced row-level security binds the owner too, so each tenant's rows are deleted as that
-- tenant.
delete from operator_session;
do $$
declare t uuid;
begin
    for t in select tenant_id from tenant loop
        perform set_config('app.tenant_id', t::text, true);
        delete from user_session s
         where s.tenant_id = t and s.staff_id is not null
           and exists (select 1 from staff_role r where r.tenant_id = s.tenant_id and r.staff_id = s.staff_id and r.role = 'tenant_admin');
    end loop;
    perform set_config('app.tenant_id', '', true);
end
$$;
