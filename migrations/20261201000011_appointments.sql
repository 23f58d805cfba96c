-- Appointments and the walk-in queue: the tenant's settings (Land for public holidays, limits),
-- locations with opening hours, special days and counters, per-service booking rules, bookings
-- (held while the citizen types, then booked) that can never overlap on a counter, tickets of the
-- day (walk-ins and checked-in appointments) with their calls, and the ticket numbers per day.

create extension if not exists btree_gist;

-- Tenant-owned: one row per tenant that offers appointments.
create table appointment_settings (
    tenant_id             uuid primary key,
    -- ISO 3166-2 code of the Land without "DE-": its public holidays close every location
    land                  text not null,
    -- the reminder goes out this many hours before the appointment (0: none)
    reminder_hours        integer not null default 24,
    -- a slot is held this long while the citizen enters their data
    hold_minutes          integer not null default 10,
    -- active bookings per e-mail address, and new bookings per client address and hour
    max_active_per_email  integer not null default 3,
    max_per_address_hour  integer not null default 10,
    updated_at            timestamptz not null default now(),
    constraint appointment_settings_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade,
    constraint appointment_settings_land_check check (land in ('BW','BY','BE','BB','HB','HH','HE','MV','NI','NW','RP','SL','SN','ST','SH','TH')),
    constraint appointment_settings_reminder_check check (reminder_hours between 0 and 168),
    constraint appointment_settings_hold_check check (hold_minutes between 2 and 30),
    constraint appointment_settings_limits_check check (max_active_per_email between 1 and 50 and max_per_address_hour between 1 and 1000)
);
create trigger appointment_settings_touch before update on appointment_settings for each row execute function touch_updated_at();

create table appointment_location (
    tenant_id      uuid not null,
    location_id    uuid not null,
    name           text not null,
    address        text not null default '',
    contact        text not null default '',
    accessibility  text not null default '',
    -- the secret of the call display's link (no login, no personal data on it)
    display_token  text not null,
    active         boolean not null default true,
    created_at     timestamptz not null default now(),
    primary key (tenant_id, location_id),
    constraint appointment_location_tenant_fkey foreign key (tenant_id) references appointment_settings (tenant_id) on delete cascade,
    constraint appointment_location_name_check check (char_length(name) between 1 and 120),
    constraint appointment_location_text_check check (char_length(address) <= 300 and char_length(contact) <= 300 and char_length(accessibility) <= 1000),
    constraint appointment_location_token_check check (display_token ~ '^[A-Za-z0-9_-]{32,64}$')
);
create unique index appointment_location_display_key on appointment_location (tenant_id, display_token);

-- Weekly hours: several rows a weekday make breaks (ISO weekday: 1 Monday … 7 Sunday).
create table appointment_hours (
    tenant_id    uuid not null,
    location_id  uuid not null,
    weekday      smallint not null,
    opens        time not null,
    closes       time not null,
    primary key (tenant_id, location_id, weekday, opens),
    constraint appointment_hours_location_fkey foreign key (tenant_id, location_id) references appointment_location (tenant_id, location_id) on delete cascade,
    constraint appointment_hours_weekday_check check (weekday between 1 and 7),
    constraint appointment_hours_order_check check (opens < closes)
);

-- Special days: closed (no hours) or open with their own hours; the tenant's own holidays.
create table appointment_special_day (
    tenant_id    uuid not null,
    special_id   uuid not null,
    location_id  uuid not null,
    day          date not null,
    opens        time,
    closes       time,
    note         text not null default '',
    primary key (tenant_id, special_id),
    constraint appointment_special_day_location_fkey foreign key (tenant_id, location_id) references appointment_location (tenant_id, location_id) on delete cascade,
    constraint appointment_special_day_hours_check check ((opens is null and closes is null) or (opens < closes)),
    constraint appointment_special_day_note_check check (char_length(note) <= 200)
);
create index appointment_special_day_idx on appointment_special_day (tenant_id, location_id, day);

create table appointment_counter (
    tenant_id    uuid not null,
    counter_id   uuid not null,
    location_id  uuid not null,
    name         text not null,
    services     text[] not null default '{}',
    active       boolean not null default true,
    primary key (tenant_id, counter_id),
    constraint appointment_counter_location_fkey foreign key (tenant_id, location_id) references appointment_location (tenant_id, location_id) on delete cascade,
    constraint appointment_counter_name_check check (char_length(name) between 1 and 60)
);
create unique index appointment_counter_name_key on appointment_counter (tenant_id, location_id, name);

-- Booking rules per service and location. No foreign key to the service's activation: switching a
-- service off and on again keeps its rules (they are read joined with the active services).
create table appointment_service (
    tenant_id       uuid not null,
    location_id     uuid not null,
    service_slug    text not null,
    duration_min    integer not null,
    buffer_min      integer not null default 0,
    min_notice_min  integer not null default 60,
    max_days_ahead  integer not null default 60,
    max_persons     integer not null default 1,
    walkin_share    integer not null default 0,
    primary key (tenant_id, location_id, service_slug),
    constraint appointment_service_location_fkey foreign key (tenant_id, location_id) references appointment_location (tenant_id, location_id) on delete cascade,
    constraint appointment_service_duration_check check (duration_min between 5 and 240 and buffer_min between 0 and 60),
    constraint appointment_service_window_check check (min_notice_min between 0 and 20160 and max_days_ahead between 1 and 365),
    constraint appointment_service_persons_check check (max_persons between 1 and 10),
    constraint appointment_service_share_check check (walkin_share between 0 and 100)
);

-- Bookings. A held or booked appointment blocks its counter from its start to the end of its
-- buffer; the exclusion constraint makes a double booking impossible whatever the code does.
create table appointment_booking (
    tenant_id          uuid not null,
    booking_id         uuid not null,
    location_id        uuid not null,
    counter_id         uuid not null,
    services           text[] not null,
    persons            integer not null default 1,
    starts_at          timestamptz not null,
    ends_at            timestamptz not null,
    blocked_until      timestamptz not null,
    -- held: a slot kept while the citizen types; booked; checked_in at the front desk; done once
    -- its ticket is finished; cancelled (by the citizen or the office); expired (a hold let go)
    status             text not null,
    number             text not null,
    citizen_id         uuid,
    name               text not null default '',
    email              text not null default '',
    phone              text not null default '',
    lang               text not null default 'de',
    portal_url         text not null default '',
    -- SHA-256 of the secret of the link that manages it (the link itself is only in the mail)
    manage_hash        bytea not null,
    hold_expires_at    timestamptz,
    booked_by_staff    boolean not null default false,
    sequence           integer not null default 0,
    reminded_at        timestamptz,
    cancelled_at       timestamptz,
    cancel_reason      text not null default '',
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now(),
    primary key (tenant_id, booking_id),
    constraint appointment_booking_location_fkey foreign key (tenant_id, location_id) references appointment_location (tenant_id, location_id) on delete restrict,
    constraint appointment_booking_counter_fkey foreign key (tenant_id, counter_id) references appointment_counter (tenant_id, counter_id) on delete restrict,
    constraint appointment_booking_citizen_fkey foreign key (tenant_id, citizen_id) references citizen_account (tenant_id, citizen_id) on delete set null (citizen_id),
    constraint appointment_booking_status_check check (status in ('held', 'booked', 'checked_in', 'done', 'cancelled', 'expired')),
    constraint appointment_booking_time_check check (starts_at < ends_at and ends_at <= blocked_until),
    constraint appointment_booking_persons_check check (persons between 1 and 10 and cardinality(services) between 1 and 5),
    constraint appointment_booking_held_check check (status <> 'held' or hold_expires_at is not null),
    constraint appointment_booking_data_check check (status in ('held', 'expired') or (char_length(name) between 1 and 200 and (email <> '' or phone <> '' or booked_by_staff))),
    constraint appointment_booking_text_check check (char_length(email) <= 254 and char_length(phone) <= 40 and char_length(cancel_reason) <= 500),
    constraint appointment_booking_lang_check check (lang in ('de', 'en')),
    constraint appointment_booking_no_overlap exclude using gist (tenant_id with =, counter_id with =, tstzrange(starts_at, blocked_until) with &&)
        where (status in ('held', 'booked', 'checked_in'))
);
create trigger appointment_booking_touch before update on appointment_booking for each row execute function touch_updated_at();
create unique index appointment_booking_number_key on appointment_booking (tenant_id, number);
create unique index appointment_booking_manage_key on appointment_booking (tenant_id, manage_hash);
create index appointment_booking_day_idx on appointment_booking (tenant_id, location_id, starts_at);
create index appointment_booking_citizen_idx on appointment_booking (tenant_id, citizen_id, starts_at desc);
create index appointment_booking_email_idx on appointment_booking (tenant_id, lower(email)) where status in ('held', 'booked');
-- holds to let go: few rows, found without reading the bookings
create index appointment_booking_hold_idx on appointment_booking (tenant_id, hold_expires_at) where status = 'held';
create index appointment_booking_due_idx on appointment_booking (starts_at) where status = 'booked' and reminded_at is null;

-- Tickets of a day: walk-ins (A…) and checked-in appointments (T…).
create table appointment_ticket (
    tenant_id       uuid not null,
    ticket_id       uuid not null,
    location_id     uuid not null,
    day             date not null,
    number          integer not null,
    code            text not null,
    booking_id      uuid,
    services        text[] not null,
    status          text not null default 'waiting',
    counter_id      uuid,
    passed_to       uuid,
    arrived_at      timestamptz not null default now(),
    called_at       timestamptz,
    finished_at     timestamptz,
    recalls         integer not null default 0,
    -- when the display last showed it (the call, or a recall): the display's order
    shown_at        timestamptz,
    -- the waiting time estimated when the ticket was drawn (seconds), for the quality report
    estimate_secs   integer,
    -- the form's one-time key: drawing twice by a double click gives the same ticket
    request_key     text,
    primary key (tenant_id, ticket_id),
    constraint appointment_ticket_location_fkey foreign key (tenant_id, location_id) references appointment_location (tenant_id, location_id) on delete cascade,
    constraint appointment_ticket_booking_fkey foreign key (tenant_id, booking_id) references appointment_booking (tenant_id, booking_id) on delete set null (booking_id),
    constraint appointment_ticket_counter_fkey foreign key (tenant_id, counter_id) references appointment_counter (tenant_id, counter_id) on delete set null (counter_id),
    constraint appointment_ticket_passed_fkey foreign key (tenant_id, passed_to) references appointment_counter (tenant_id, counter_id) on delete set null (passed_to),
    constraint appointment_ticket_status_check check (status in ('waiting', 'called', 'served', 'no_show', 'cancelled')),
    constraint appointment_ticket_code_check check (code ~ '^[AT][0-9]{1,4}$')
);
create unique index appointment_ticket_number_key on appointment_ticket (tenant_id, location_id, day, number);
create unique index appointment_ticket_booking_key on appointment_ticket (tenant_id, booking_id);
create unique index appointment_ticket_request_key on appointment_ticket (tenant_id, request_key);
create index appointment_ticket_queue_idx on appointment_ticket (tenant_id, location_id, day, status);
create index appointment_ticket_history_idx on appointment_ticket (tenant_id, location_id, finished_at desc) where status = 'served';

-- The last ticket number drawn per location and day.
create table appointment_ticket_seq (
    tenant_id    uuid not null,
    location_id  uuid not null,
    day          date not null,
    last         integer not null,
    primary key (tenant_id, location_id, day),
    constraint appointment_ticket_seq_location_fkey foreign key (tenant_id, location_id) references appointment_location (tenant_id, location_id) on delete cascade
);

do $$
declare t text;
begin
    foreach t in array array['appointment_settings', 'appointment_location', 'appointment_hours', 'appointment_special_day', 'appointment_counter',
                             'appointment_service', 'appointment_booking', 'appointment_ticket', 'appointment_ticket_seq'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format('create policy tenant_isolation on %I using (tenant_id = current_tenant_id()) with check (tenant_id = current_tenant_id())', t);
        execute format('grant select, insert, update, delete on %I to portal_platform', t);
    end loop;
end
$$;

-- Platform-wide: which tenants offer appointments, so that the reminder job visits only those.
-- Kept by a trigger that runs as the owner; a tenant request can neither read nor write it.
create table appointment_tenant (
    tenant_id  uuid primary key,
    constraint appointment_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade
);
revoke all on appointment_tenant from portal_app;
grant select, insert, update, delete on appointment_tenant to portal_platform;

create function appointment_tenant_add() returns trigger
    language plpgsql security definer set search_path = public, pg_temp
as $$
begin
    insert into appointment_tenant (tenant_id) values (new.tenant_id) on conflict do nothing;
    return new;
end
$$;
revoke all on function appointment_tenant_add() from public;
create trigger appointment_settings_tenant after insert on appointment_settings for each row execute function appointment_tenant_add();

-- Live updates: every change of a ticket tells the servers which location's display and waiting
-- time to refresh ("<tenant>:<location>").
create function appointment_notify() returns trigger
    language plpgsql
as $$
declare r record;
begin
    r := coalesce(new, old);
    perform pg_notify('appointments', r.tenant_id::text || ':' || r.location_id::text);
    return null;
end
$$;
create trigger appointment_ticket_notify after insert or update or delete on appointment_ticket for each row execute function appointment_notify();
create trigger appointment_counter_notify after insert or update or delete on appointment_counter for each row execute function appointment_notify();
-- a location renamed, switched off or given a new display link
create trigger appointment_location_notify after update or delete on appointment_location for each row execute function appointment_notify();
