-- The provider's operations team: accounts and server-side sessions for the console.

create table operator (
    operator_id    uuid primary key,
    email          text not null,
    display_name   text not null,
    password_hash  text not null,
    created_at     timestamptz not null default now(),
    disabled_at    timestamptz,
    constraint operator_email_check check (email = lower(email) and position('@' in email) > 1)
);
create unique index operator_email_key on operator (email);

-- Only a hash of the session id is stored: a leaked table does not leak live sessions.
create table operator_session (
    session_hash  bytea primary key,
    operator_id   uuid not null,
    csrf_token    text not null,
    created_at    timestamptz not null default now(),
    last_seen_at  timestamptz not null default now(),
    expires_at    timestamptz not null,
    constraint operator_session_operator_fkey foreign key (operator_id) references operator (operator_id) on delete cascade
);
create index operator_session_operator_idx on operator_session (operator_id);
create index operator_session_expires_idx on operator_session (expires_at);
