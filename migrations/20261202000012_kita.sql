-- The Kita portal: Träger and their facilities with places per care type and start month, the
-- tenant's districts and criteria catalogue, one application per child with ranked preferences,
-- duplicate candidates and the youth office's decisions on them, deviations of a Träger from the
-- computed order (with their reason), and the coordinated allocation: phases (the main allocation,
-- then further ones for declined and expired places), their rounds' offers.

-- Staff of a Träger: a role of its own, limited to the Träger's facilities (kita_provider_staff).
alter table staff_role drop constraint staff_role_role_check;
alter table staff_role add constraint staff_role_role_check check (role in ('tenant_admin', 'case_worker', 'viewer', 'kita_provider'));

create table kita_settings (
    tenant_id            uuid primary key,
    -- the first day of the Kita year (1 August); start months run from it for twelve months
    year_start           date not null,
    -- applications and changes of preferences until the end of this day
    deadline             date not null,
    max_preferences      integer not null default 5,
    -- days a parent has to accept an offer
    accept_days          integer not null default 14,
    updated_at           timestamptz not null default now(),
    constraint kita_settings_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade,
    constraint kita_settings_start_check check (extract(day from year_start) = 1),
    constraint kita_settings_numbers_check check (max_preferences between 1 and 10 and accept_days between 1 and 60)
);
create trigger kita_settings_touch before update on kita_settings for each row execute function touch_updated_at();

create table kita_district (
    tenant_id    uuid not null,
    district_id  uuid not null,
    name         text not null,
    lat          double precision not null,
    lon          double precision not null,
    -- the district's streets (normalised): an address typed by a parent finds its district, and
    -- so its position for the distance, without sending it to any outside geocoder
    streets      text[] not null default '{}',
    primary key (tenant_id, district_id),
    constraint kita_district_settings_fkey foreign key (tenant_id) references kita_settings (tenant_id) on delete cascade,
    constraint kita_district_name_check check (char_length(name) between 1 and 80),
    constraint kita_district_position_check check (lat between -90 and 90 and lon between -180 and 180)
);
create unique index kita_district_name_key on kita_district (tenant_id, name);

create table kita_provider (
    tenant_id    uuid not null,
    provider_id  uuid not null,
    name         text not null,
    kind         text not null,
    contact      text not null default '',
    primary key (tenant_id, provider_id),
    constraint kita_provider_settings_fkey foreign key (tenant_id) references kita_settings (tenant_id) on delete cascade,
    constraint kita_provider_kind_check check (kind in ('municipal', 'church', 'free', 'company')),
    constraint kita_provider_text_check check (char_length(name) between 1 and 160 and char_length(contact) <= 300)
);
create unique index kita_provider_name_key on kita_provider (tenant_id, name);

-- Staff of a Träger: they see its facilities and the children who applied there, nothing else.
create table kita_provider_staff (
    tenant_id    uuid not null,
    staff_id     uuid not null,
    provider_id  uuid not null,
    primary key (tenant_id, staff_id, provider_id),
    constraint kita_provider_staff_user_fkey foreign key (tenant_id, staff_id) references staff_user (tenant_id, staff_id) on delete cascade,
    constraint kita_provider_staff_provider_fkey foreign key (tenant_id, provider_id) references kita_provider (tenant_id, provider_id) on delete cascade
);

create table kita_facility (
    tenant_id      uuid not null,
    facility_id    uuid not null,
    provider_id    uuid not null,
    name           text not null,
    -- a Kita (Krippe, Kita and Hort places) or a childminder (Tagespflege)
    kind           text not null default 'kita',
    address        text not null default '',
    district_id    uuid,
    lat            double precision,
    lon            double precision,
    opening_hours  text not null default '',
    -- care scopes offered, hours per week
    scopes         integer[] not null default '{25,35,45}',
    concept        text not null default '',
    languages      text[] not null default '{de}',
    meals          text not null default '',
    accessible     boolean not null default false,
    active         boolean not null default true,
    created_at     timestamptz not null default now(),
    primary key (tenant_id, facility_id),
    constraint kita_facility_provider_fkey foreign key (tenant_id, provider_id) references kita_provider (tenant_id, provider_id) on delete restrict,
    constraint kita_facility_district_fkey foreign key (tenant_id, district_id) references kita_district (tenant_id, district_id) on delete set null (district_id),
    constraint kita_facility_kind_check check (kind in ('kita', 'tagespflege')),
    constraint kita_facility_text_check check (char_length(name) between 1 and 160 and char_length(address) <= 300 and char_length(opening_hours) <= 300
                                               and char_length(concept) <= 4000 and char_length(meals) <= 500),
    constraint kita_facility_position_check check ((lat is null) = (lon is null) and coalesce(lat between -90 and 90 and lon between -180 and 180, true)),
    constraint kita_facility_scopes_check check (cardinality(scopes) between 1 and 6 and 0 < all(scopes) and 60 >= all(scopes)),
    constraint kita_facility_languages_check check (cardinality(languages) between 1 and 10)
);
create index kita_facility_provider_idx on kita_facility (tenant_id, provider_id);

-- Places per care type and start month of the Kita year.
create table kita_places (
    tenant_id    uuid not null,
    facility_id  uuid not null,
    care_type    text not null,
    start_month  date not null,
    places       integer not null,
    primary key (tenant_id, facility_id, care_type, start_month),
    constraint kita_places_facility_fkey foreign key (tenant_id, facility_id) references kita_facility (tenant_id, facility_id) on delete cascade,
    constraint kita_places_care_check check (care_type in ('krippe', 'kita', 'hort', 'tagespflege')),
    constraint kita_places_month_check check (extract(day from start_month) = 1),
    constraint kita_places_number_check check (places between 0 and 500)
);

create table kita_criterion (
    tenant_id  uuid not null,
    kind       text not null,
    weight     integer not null,
    primary key (tenant_id, kind),
    constraint kita_criterion_settings_fkey foreign key (tenant_id) references kita_settings (tenant_id) on delete cascade,
    constraint kita_criterion_kind_check check (kind in ('sibling', 'working_parents', 'single_parent', 'social', 'distance', 'age', 'district')),
    constraint kita_criterion_weight_check check (weight between 0 and 1000)
);

-- One application per child: by a parent with the Bürgerkonto, or entered by staff (a Träger's
-- paper form). A merged duplicate points to the application it was merged into.
create table kita_application (
    tenant_id        uuid not null,
    application_id   uuid not null,
    number           text not null,
    citizen_id       uuid,
    -- entered by staff (from a paper form), and for which Träger
    entered_by       uuid,
    entered_for      uuid,
    status           text not null default 'submitted',
    merged_into      uuid,
    child_first      text not null,
    child_last       text not null,
    birth_date       date not null,
    address          text not null,
    district_id      uuid,
    lat              double precision,
    lon              double precision,
    care_type        text not null,
    start_month      date not null,
    scope_hours      integer not null,
    working_parents  smallint not null default 0,
    single_parent    boolean not null default false,
    -- confirmed by the youth office, never by the parent
    social           boolean not null default false,
    siblings_at      uuid[] not null default '{}',
    parent_name      text not null,
    email            text not null default '',
    phone            text not null default '',
    lang             text not null default 'de',
    portal_url       text not null default '',
    -- the form's one-time key: sending twice gives one application
    request_key      text,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    primary key (tenant_id, application_id),
    constraint kita_application_citizen_fkey foreign key (tenant_id, citizen_id) references citizen_account (tenant_id, citizen_id) on delete set null (citizen_id),
    constraint kita_application_staff_fkey foreign key (tenant_id, entered_by) references staff_user (tenant_id, staff_id) on delete set null (entered_by),
    constraint kita_application_provider_fkey foreign key (tenant_id, entered_for) references kita_provider (tenant_id, provider_id) on delete set null (entered_for),
    constraint kita_application_merged_fkey foreign key (tenant_id, merged_into) references kita_application (tenant_id, application_id) on delete restrict,
    constraint kita_application_district_fkey foreign key (tenant_id, district_id) references kita_district (tenant_id, district_id) on delete set null (district_id),
    constraint kita_application_status_check check (status in ('submitted', 'merged', 'withdrawn')),
    constraint kita_application_merge_check check ((status = 'merged') = (merged_into is not null) and merged_into is distinct from application_id),
    constraint kita_application_care_check check (care_type in ('krippe', 'kita', 'hort', 'tagespflege')),
    constraint kita_application_month_check check (extract(day from start_month) = 1),
    constraint kita_application_scope_check check (scope_hours between 1 and 60 and working_parents between 0 and 2),
    constraint kita_application_text_check check (char_length(child_first) between 1 and 100 and char_length(child_last) between 1 and 100 and char_length(address) between 1 and 300
                                                  and char_length(parent_name) between 1 and 200 and char_length(email) <= 254 and char_length(phone) <= 40),
    constraint kita_application_lang_check check (lang in ('de', 'en'))
);
create trigger kita_application_touch before update on kita_application for each row execute function touch_updated_at();
create unique index kita_application_number_key on kita_application (tenant_id, number);
create unique index kita_application_request_key on kita_application (tenant_id, request_key);
create index kita_application_citizen_idx on kita_application (tenant_id, citizen_id);
create index kita_application_birth_idx on kita_application (tenant_id, birth_date);

create table kita_preference (
    tenant_id       uuid not null,
    application_id  uuid not null,
    rank            smallint not null,
    facility_id     uuid not null,
    primary key (tenant_id, application_id, rank),
    constraint kita_preference_application_fkey foreign key (tenant_id, application_id) references kita_application (tenant_id, application_id) on delete cascade,
    constraint kita_preference_facility_fkey foreign key (tenant_id, facility_id) references kita_facility (tenant_id, facility_id) on delete restrict,
    constraint kita_preference_rank_check check (rank between 1 and 10)
);
create unique index kita_preference_facility_key on kita_preference (tenant_id, application_id, facility_id);
create index kita_preference_by_facility_idx on kita_preference (tenant_id, facility_id);

-- Candidate pairs of the duplicate check (first < second) and the youth office's decision.
create table kita_duplicate (
    tenant_id    uuid not null,
    first_id     uuid not null,
    second_id    uuid not null,
    score        real not null,
    reasons      text[] not null,
    decision     text not null default 'open',
    decided_by   uuid,
    decided_at   timestamptz,
    found_at     timestamptz not null default now(),
    primary key (tenant_id, first_id, second_id),
    constraint kita_duplicate_first_fkey foreign key (tenant_id, first_id) references kita_application (tenant_id, application_id) on delete cascade,
    constraint kita_duplicate_second_fkey foreign key (tenant_id, second_id) references kita_application (tenant_id, application_id) on delete cascade,
    constraint kita_duplicate_order_check check (first_id < second_id),
    constraint kita_duplicate_decision_check check (decision in ('open', 'merged', 'distinct'))
);

-- A Träger puts a child ahead of the computed order of one of its programs, with the reason.
create table kita_deviation (
    tenant_id       uuid not null,
    deviation_id    uuid not null,
    facility_id     uuid not null,
    care_type       text not null,
    start_month     date not null,
    application_id  uuid not null,
    reason          text not null,
    recorded_by     uuid,
    recorded_at     timestamptz not null default now(),
    primary key (tenant_id, deviation_id),
    constraint kita_deviation_facility_fkey foreign key (tenant_id, facility_id) references kita_facility (tenant_id, facility_id) on delete cascade,
    constraint kita_deviation_application_fkey foreign key (tenant_id, application_id) references kita_application (tenant_id, application_id) on delete cascade,
    constraint kita_deviation_staff_fkey foreign key (tenant_id, recorded_by) references staff_user (tenant_id, staff_id) on delete set null (recorded_by),
    constraint kita_deviation_reason_check check (char_length(btrim(reason)) between 10 and 1000)
);
create unique index kita_deviation_once_key on kita_deviation (tenant_id, facility_id, care_type, start_month, application_id);

-- A phase of the allocation: the main one, then one for each further round of places that were
-- declined or not accepted in time. Rounds run until no new offers; then the result is checked
-- for stability, the offers go out, and parents accept within the deadline.
create table kita_allocation (
    tenant_id      uuid not null,
    phase          integer not null,
    -- running: rounds go on; closed: no new offers, checked; offered: mails sent; done: all answered
    status         text not null default 'running',
    rounds         integer not null default 0,
    stable         boolean,
    blocking_pairs integer,
    accept_until   timestamptz,
    started_at     timestamptz not null default now(),
    closed_at      timestamptz,
    offered_at     timestamptz,
    primary key (tenant_id, phase),
    constraint kita_allocation_settings_fkey foreign key (tenant_id) references kita_settings (tenant_id) on delete cascade,
    constraint kita_allocation_status_check check (status in ('running', 'closed', 'offered', 'done')),
    constraint kita_allocation_phase_check check (phase between 1 and 20)
);
-- one phase at a time is not done
create unique index kita_allocation_open_key on kita_allocation (tenant_id) where status <> 'done';

create table kita_offer (
    tenant_id       uuid not null,
    offer_id        uuid not null,
    phase           integer not null,
    round           integer not null,
    application_id  uuid not null,
    facility_id     uuid not null,
    care_type       text not null,
    start_month     date not null,
    -- held: provisionally (while rounds run) or finally; declined: for a better offer; accepted and
    -- refused by the parent; expired: not accepted in time
    status          text not null,
    made_at         timestamptz not null default now(),
    decided_at      timestamptz,
    primary key (tenant_id, offer_id),
    constraint kita_offer_phase_fkey foreign key (tenant_id, phase) references kita_allocation (tenant_id, phase) on delete cascade,
    constraint kita_offer_application_fkey foreign key (tenant_id, application_id) references kita_application (tenant_id, application_id) on delete cascade,
    constraint kita_offer_facility_fkey foreign key (tenant_id, facility_id) references kita_facility (tenant_id, facility_id) on delete restrict,
    constraint kita_offer_status_check check (status in ('held', 'declined', 'accepted', 'refused', 'expired'))
);
create unique index kita_offer_once_key on kita_offer (tenant_id, phase, facility_id, care_type, start_month, application_id);
-- a child holds or has accepted at most one place
create unique index kita_offer_one_place_key on kita_offer (tenant_id, application_id) where status in ('held', 'accepted');
create index kita_offer_application_idx on kita_offer (tenant_id, application_id);
create index kita_offer_due_idx on kita_offer (tenant_id, phase) where status = 'held';

do $$
declare t text;
begin
    foreach t in array array['kita_settings', 'kita_district', 'kita_provider', 'kita_provider_staff', 'kita_facility', 'kita_places', 'kita_criterion',
                             'kita_application', 'kita_preference', 'kita_duplicate', 'kita_deviation', 'kita_allocation', 'kita_offer'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format('create policy tenant_isolation on %I using (tenant_id = current_tenant_id()) with check (tenant_id = current_tenant_id())', t);
        execute format('grant select, insert, update, delete on %I to portal_platform', t);
    end loop;
end
$$;

-- Platform-wide: which tenants have a Kita portal, so that the offer-expiry job visits only those.
create table kita_tenant (
    tenant_id  uuid primary key,
    constraint kita_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade
);
revoke all on kita_tenant from portal_app;
grant select, insert, update, delete on kita_tenant to portal_platform;

-- One trigger function keeps every such platform-wide list (the table named in the trigger's
-- argument, fixed by the owner): the appointments' list moves over to it.
create function register_tenant() returns trigger
    language plpgsql security definer set search_path = public, pg_temp
as $$
begin
    execute format('insert into %I (tenant_id) values ($1) on conflict do nothing', tg_argv[0]) using new.tenant_id;
    return new;
end
$$;
revoke all on function register_tenant() from public;
create trigger kita_settings_tenant after insert on kita_settings for each row execute function register_tenant('kita_tenant');
drop trigger appointment_settings_tenant on appointment_settings;
create trigger appointment_settings_tenant after insert on appointment_settings for each row execute function register_tenant('appointment_tenant');
drop function appointment_tenant_add();
