-- Citizen accounts (Bürgerkonto), staff accounts, their roles, sessions, one-time links and the
-- identity providers of each tenant. All tenant-owned: an account exists on one tenant's portal only.

create table citizen_account (
    tenant_id           uuid not null,
    citizen_id          uuid not null,
    -- null for an account created by an identity provider that asserted no e-mail
    email               text,
    email_verified_at   timestamptz,
    -- null for accounts that only log in through an identity provider
    password_hash       text,
    given_name          text,
    family_name         text,
    birth_date          date,
    street              text,
    postal_code         text,
    city                text,
    phone               text,
    -- fields asserted by an identity provider; the profile form does not let them be edited by hand
    verified_fields     text[] not null default '{}',
    verified_by         text,
    level_of_assurance  text,
    verified_at         timestamptz,
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now(),
    primary key (tenant_id, citizen_id),
    constraint citizen_account_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade,
    constraint citizen_account_email_check check (email = lower(email) and position('@' in email) > 1)
);
-- the same address on another tenant is another account
create unique index citizen_account_email_key on citizen_account (tenant_id, email);
create trigger citizen_account_touch before update on citizen_account for each row execute function touch_updated_at();

-- Identity providers a tenant offers (BundID, eID, BayernID ...). The client secret is never stored:
-- `client_secret_env` names the environment variable (or secret-store mount) that holds it.
create table identity_provider (
    tenant_id          uuid not null,
    provider_slug      text not null,
    display_name       text not null,
    issuer_url         text not null,
    client_id          text not null,
    client_secret_env  text not null,
    scopes             text not null default 'openid profile email',
    enabled            boolean not null default true,
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now(),
    primary key (tenant_id, provider_slug),
    constraint identity_provider_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade,
    constraint identity_provider_slug_check check (provider_slug ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
    constraint identity_provider_secret_env_check check (client_secret_env ~ '^[A-Z][A-Z0-9_]{0,99}$')
);
create trigger identity_provider_touch before update on identity_provider for each row execute function touch_updated_at();

-- A citizen account's link to an identity at a provider (issuer + subject).
create table citizen_identity (
    tenant_id      uuid not null,
    provider_slug  text not null,
    subject        text not null,
    citizen_id     uuid not null,
    claims         jsonb not null,
    linked_at      timestamptz not null default now(),
    last_login_at  timestamptz not null default now(),
    primary key (tenant_id, provider_slug, subject),
    constraint citizen_identity_account_fkey foreign key (tenant_id, citizen_id) references citizen_account (tenant_id, citizen_id) on delete cascade,
    constraint citizen_identity_provider_fkey foreign key (tenant_id, provider_slug) references identity_provider (tenant_id, provider_slug) on delete cascade
);
create index citizen_identity_account_idx on citizen_identity (tenant_id, citizen_id);

create table staff_user (
    tenant_id      uuid not null,
    staff_id       uuid not null,
    email          text not null,
    display_name   text not null,
    -- null until the invitation has been accepted
    password_hash  text,
    status         text not null default 'invited',
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    primary key (tenant_id, staff_id),
    constraint staff_user_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade,
    constraint staff_user_status_check check (status in ('invited', 'active', 'revoked')),
    constraint staff_user_email_check check (email = lower(email) and position('@' in email) > 1)
);
create unique index staff_user_email_key on staff_user (tenant_id, email);
create trigger staff_user_touch before update on staff_user for each row execute function touch_updated_at();

-- Role assignments: the casbin grouping rows (user, role, domain = this tenant). A case worker may be
-- limited to some services; an empty list means all of the tenant's services.
create table staff_role (
    tenant_id       uuid not null,
    staff_id        uuid not null,
    role            text not null,
    scope_services  text[] not null default '{}',
    granted_at      timestamptz not null default now(),
    primary key (tenant_id, staff_id, role),
    constraint staff_role_user_fkey foreign key (tenant_id, staff_id) references staff_user (tenant_id, staff_id) on delete cascade,
    constraint staff_role_role_check check (role in ('tenant_admin', 'case_worker', 'viewer'))
);

-- Server-side sessions of citizens and staff on a tenant's portal. Only a hash of the id is stored.
-- Row-level security makes a session id presented on another tenant's host find nothing.
create table user_session (
    tenant_id     uuid not null,
    session_hash  bytea not null,
    citizen_id    uuid,
    staff_id      uuid,
    csrf_token    text not null,
    created_at    timestamptz not null default now(),
    last_seen_at  timestamptz not null default now(),
    expires_at    timestamptz not null,
    primary key (tenant_id, session_hash),
    constraint user_session_citizen_fkey foreign key (tenant_id, citizen_id) references citizen_account (tenant_id, citizen_id) on delete cascade,
    constraint user_session_staff_fkey foreign key (tenant_id, staff_id) references staff_user (tenant_id, staff_id) on delete cascade,
    constraint user_session_one_subject check ((citizen_id is null) <> (staff_id is null))
);
create index user_session_citizen_idx on user_session (tenant_id, citizen_id);
create index user_session_staff_idx on user_session (tenant_id, staff_id);
create index user_session_expires_idx on user_session (tenant_id, expires_at);

-- Links sent by e-mail (verify address, reset password, confirm new address, staff invitation).
-- Single use; only a hash is stored.
create table one_time_token (
    tenant_id    uuid not null,
    token_hash   bytea not null,
    purpose      text not null,
    subject_id   uuid not null,
    new_email    text,
    -- registration: the argon2 hash of the password chosen with this request; it becomes the
    -- account's password only when the link is followed and the same password is entered again, so a
    -- stranger registering someone else's address can never end up knowing the password
    secret_hash  text,
    created_at   timestamptz not null default now(),
    expires_at   timestamptz not null,
    used_at      timestamptz,
    primary key (tenant_id, token_hash),
    constraint one_time_token_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade,
    constraint one_time_token_purpose_check check (purpose in ('verify_email', 'reset_password', 'change_email', 'staff_invite'))
);
create index one_time_token_subject_idx on one_time_token (tenant_id, subject_id, purpose);

do $$
declare t text;
begin
    foreach t in array array['citizen_account', 'identity_provider', 'citizen_identity', 'staff_user', 'staff_role', 'user_session', 'one_time_token'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format('create policy tenant_isolation on %I using (tenant_id = current_tenant_id()) with check (tenant_id = current_tenant_id())', t);
    end loop;
end
$$;

-- Operators: a role in the platform domain (casbin), kept on the operator row.
alter table operator add column role text not null default 'operator';
alter table operator add constraint operator_role_check check (role in ('operator'));

-- Attempts counted per bucket (login per account, per address ...) in fixed windows. Platform-wide:
-- the servers are stateless, so the counters live here.
create table rate_limit (
    bucket        text primary key,
    window_start  timestamptz not null,
    hits          integer not null
);
create index rate_limit_window_idx on rate_limit (window_start);
