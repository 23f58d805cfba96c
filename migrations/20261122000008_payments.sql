-- Payments: plans with the platform's application fee, each tenant's payment setup (Stripe Connect
-- account, methods, Kassenzeichen scheme), per-service fee rules and booking data, payment records,
-- refunds, received Stripe events and the cash office's daily exports.

-- Platform-wide: plans and the application fee the platform takes from each online payment.
create table plan (
    plan_slug          text primary key,
    name               text not null,
    fee_fixed_cents    bigint not null default 0,
    -- basis points of the amount: 150 = 1.5 %
    fee_basis_points   integer not null default 0,
    updated_at         timestamptz not null default now(),
    constraint plan_slug_check check (plan_slug ~ '^[a-z0-9-]{2,40}$'),
    constraint plan_fee_fixed_check check (fee_fixed_cents between 0 and 10000),
    constraint plan_fee_bp_check check (fee_basis_points between 0 and 1000)
);
create trigger plan_touch before update on plan for each row execute function touch_updated_at();
insert into plan (plan_slug, name, fee_fixed_cents, fee_basis_points) values
    ('basis', 'Basis', 0, 0),
    ('standard', 'Standard', 25, 150),
    ('plus', 'Plus', 15, 100);

alter table tenant add column plan_slug text not null default 'standard'
    constraint tenant_plan_fkey references plan (plan_slug);

-- Platform-wide: which tenant a connected Stripe account belongs to. Webhooks name the account
-- before any tenant is known; the key makes one account serve one tenant only.
create table stripe_account (
    account_id  text primary key,
    tenant_id   uuid not null,
    constraint stripe_account_tenant_key unique (tenant_id),
    constraint stripe_account_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade,
    constraint stripe_account_id_check check (account_id ~ '^acct_[A-Za-z0-9]{6,64}$')
);

-- Tenant-owned: the tenant's payment setup.
create table payment_setup (
    tenant_id                  uuid primary key,
    -- online: Stripe on the connected account; offline: pay at the office or by invoice
    mode                       text not null default 'offline',
    stripe_account_id          text,
    account_charges_enabled    boolean not null default false,
    account_details_submitted  boolean not null default false,
    account_requirements_due   integer not null default 0,
    account_checked_at         timestamptz,
    methods                    text[] not null default '{card}',
    offline_note_de            text not null default '',
    offline_note_en            text not null default '',
    kassenzeichen_prefix       text not null default '',
    kassenzeichen_digits       integer not null default 8,
    kassenzeichen_next         bigint not null default 1,
    -- days before a pay-later deadline when the reminder goes out
    reminder_days              integer not null default 3,
    cash_office_email          text,
    updated_at                 timestamptz not null default now(),
    constraint payment_setup_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade,
    constraint payment_setup_mode_check check (mode in ('online', 'offline')),
    constraint payment_setup_account_check check (stripe_account_id ~ '^acct_[A-Za-z0-9]{6,64}$'),
    constraint payment_setup_online_check check (mode = 'offline' or stripe_account_id is not null),
    constraint payment_setup_methods_check check (cardinality(methods) > 0 and methods <@ array['card', 'sepa_debit', 'paypal']),
    constraint payment_setup_prefix_check check (kassenzeichen_prefix ~ '^[A-Z0-9][A-Z0-9-]{0,11}$' or kassenzeichen_prefix = ''),
    constraint payment_setup_digits_check check (kassenzeichen_digits between 4 and 12),
    constraint payment_setup_next_check check (kassenzeichen_next >= 1),
    constraint payment_setup_reminder_check check (reminder_days between 1 and 30)
);
create trigger payment_setup_touch before update on payment_setup for each row execute function touch_updated_at();

-- Tenant-owned: fee rule, booking data and timing per service.
create table service_payment (
    tenant_id     uuid not null,
    service_slug  text not null,
    -- {"kind": "fixed", "cents": 1000} | {"kind": "per_item", "cents": 1200, "field": "anzahl"}
    -- | {"kind": "by_option", "field": "art", "options": {"einfach": 1000, "erweitert": 1500}}
    fee_rule      jsonb not null,
    booking_text  text not null,
    cost_centre   text not null,
    account       text not null,
    cost_unit     text not null default '',
    -- before: the case is filed once paid; after: filed at once, paid within pay_days
    timing        text not null default 'before',
    pay_days      integer not null default 14,
    updated_at    timestamptz not null default now(),
    primary key (tenant_id, service_slug),
    constraint service_payment_activation_fkey foreign key (tenant_id, service_slug) references service_activation (tenant_id, service_slug) on delete cascade,
    constraint service_payment_booking_check check (char_length(booking_text) between 1 and 27),
    constraint service_payment_timing_check check (timing in ('before', 'after')),
    constraint service_payment_days_check check (pay_days between 1 and 90)
);
create trigger service_payment_touch before update on service_payment for each row execute function touch_updated_at();

-- Tenant-owned: one payment per application (Kassenzeichen), with the booking data as it was when
-- the payment was created.
create table payment (
    tenant_id             uuid not null,
    payment_id            uuid not null,
    kassenzeichen         text not null,
    service_slug          text not null,
    -- pay before: the draft that becomes a case once paid; pay after: the case
    draft_id              uuid,
    case_id               uuid,
    citizen_id            uuid,
    lang                  text not null default 'de',
    -- the portal's base URL the payer used (links in mails sent by webhooks and jobs)
    portal_url            text not null,
    description           text not null,
    items                 jsonb not null default '[]',
    amount_cents          bigint not null,
    application_fee_cents bigint not null default 0,
    currency              text not null default 'eur',
    status                text not null default 'open',
    refunded_cents        bigint not null default 0,
    booking_text          text not null,
    cost_centre           text not null,
    account               text not null,
    cost_unit             text not null default '',
    stripe_account_id     text not null,
    intent_id             text,
    client_secret         text,
    attempt               integer not null default 0,
    method                text,
    failure_message       text,
    -- Stripe's time of the last state applied from an event or a lookup (events may come out of order)
    state_at              timestamptz,
    due_at                timestamptz,
    reminded_at           timestamptz,
    paid_at               timestamptz,
    created_at            timestamptz not null default now(),
    updated_at            timestamptz not null default now(),
    primary key (tenant_id, payment_id),
    constraint payment_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade,
    constraint payment_case_fkey foreign key (tenant_id, case_id) references case_record (tenant_id, case_id) on delete restrict,
    -- a deleted account leaves its payments (kept for the cash office) without the link to it
    constraint payment_citizen_fkey foreign key (tenant_id, citizen_id) references citizen_account (tenant_id, citizen_id) on delete set null (citizen_id),
    constraint payment_status_check check (status in ('open', 'processing', 'succeeded', 'failed', 'canceled', 'expired')),
    constraint payment_amount_check check (amount_cents > 0 and application_fee_cents >= 0 and application_fee_cents < amount_cents),
    constraint payment_refunded_check check (refunded_cents between 0 and amount_cents),
    constraint payment_owner_check check (draft_id is not null or case_id is not null),
    constraint payment_lang_check check (lang in ('de', 'en'))
);
create trigger payment_touch before update on payment for each row execute function touch_updated_at();
create unique index payment_kassenzeichen_key on payment (tenant_id, kassenzeichen);
create unique index payment_intent_key on payment (tenant_id, intent_id);
create unique index payment_draft_key on payment (tenant_id, draft_id);
create unique index payment_case_key on payment (tenant_id, case_id);
create index payment_created_idx on payment (tenant_id, created_at desc);
create index payment_due_idx on payment (tenant_id, status, due_at);

-- Tenant-owned: refunds, full or partial, with the staff member's reason.
create table payment_refund (
    tenant_id         uuid not null,
    refund_id         uuid not null,
    payment_id        uuid not null,
    amount_cents      bigint not null,
    reason            text not null,
    stripe_refund_id  text,
    status            text not null default 'pending',
    staff_id          uuid,
    staff_name        text not null,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    primary key (tenant_id, refund_id),
    constraint payment_refund_payment_fkey foreign key (tenant_id, payment_id) references payment (tenant_id, payment_id) on delete cascade,
    constraint payment_refund_amount_check check (amount_cents > 0),
    constraint payment_refund_status_check check (status in ('pending', 'succeeded', 'failed', 'canceled')),
    constraint payment_refund_reason_check check (char_length(reason) between 3 and 500)
);
create trigger payment_refund_touch before update on payment_refund for each row execute function touch_updated_at();
create unique index payment_refund_stripe_key on payment_refund (tenant_id, stripe_refund_id);
create index payment_refund_payment_idx on payment_refund (tenant_id, payment_id);

-- Tenant-owned: every Stripe event received, once (the key makes a redelivery a no-op).
create table payment_event (
    tenant_id       uuid not null,
    event_id        text not null,
    event_type      text not null,
    object_id       text not null,
    stripe_created  timestamptz not null,
    payload         jsonb not null,
    outcome         text not null,
    received_at     timestamptz not null default now(),
    primary key (tenant_id, event_id),
    constraint payment_event_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade
);
create index payment_event_object_idx on payment_event (tenant_id, object_id, stripe_created);

-- Tenant-owned: the cash office's export per day (CSV as documented in docs/operations.md).
create table payment_export (
    tenant_id     uuid not null,
    export_date   date not null,
    row_count     integer not null,
    total_cents   bigint not null,
    csv           text not null,
    created_at    timestamptz not null default now(),
    primary key (tenant_id, export_date),
    constraint payment_export_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade
);

do $$
declare t text;
begin
    foreach t in array array['payment_setup', 'service_payment', 'payment', 'payment_refund', 'payment_event', 'payment_export'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format('create policy tenant_isolation on %I using (tenant_id = current_tenant_id()) with check (tenant_id = current_tenant_id())', t);
    end loop;
end
$$;

-- Payments appear on a case's timeline.
alter table case_event drop constraint case_event_kind_check;
alter table case_event add constraint case_event_kind_check
    check (kind in ('submitted', 'status', 'message', 'note', 'assigned', 'document', 'anonymised', 'payment'));
