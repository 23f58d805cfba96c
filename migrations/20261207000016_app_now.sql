-- The application's "now". The server reads the time from a clock (docs/decisions/0013-clock.md):
-- the system clock in production, a clock that tests set to a chosen day. When that clock is fixed,
-- the database handle begins every transaction with `SET LOCAL app.now = '…'`, and SQL reads the
-- same instant through app_now(); otherwise app_now() is now(), the start of the transaction.
create function app_now() returns timestamptz
    language sql stable parallel safe
as $$ select coalesce(nullif(current_setting('app.now', true), '')::timestamptz, now()) $$;

-- Defaults and the updated_at trigger follow the same clock, so a row written "today" compares
-- with today's deadlines in a test run on another day as it would in production.
do $$
declare c record;
begin
    for c in select table_name, column_name from information_schema.columns
              where table_schema = 'public' and column_default = 'now()' loop
        execute format('alter table %I alter column %I set default app_now()', c.table_name, c.column_name);
    end loop;
end $$;

create or replace function touch_updated_at() returns trigger
    language plpgsql
as $$
begin
    new.updated_at := app_now();
    return new;
end $$;
