-- Issue 27, finding 9: two applications for the same child from two browser tabs at the same
-- moment both succeeded, as the same-child check read without a lock; the ten-per-account limit
-- had the same gap. Both are now the database's to keep.
--
-- The child's name as the duplicate check compares it ("Müller-Lüdenscheidt" → "mueller
-- luedenscheidt", portal_kita::names::normalise), first and last name joined by '|'. The
-- application computes it for every new application. Rows from before keep none: SQL cannot
-- compute it the same way (Unicode rules, the database's locale), and rows the old race doubled
-- must not stop the migration. The application's own check still compares new applications with
-- them; the index holds among everything submitted from now on, which is where the race was.
alter table kita_application add column child_key text;

-- one open application per child and parent account
create unique index kita_application_same_child on kita_application (tenant_id, citizen_id, birth_date, child_key)
    where status = 'submitted' and citizen_id is not null and child_key is not null;

-- at most ten open applications per parent account: counted under a lock per account, so that
-- concurrent submissions are counted one after the other. A retried submission (its one-time key
-- stored already) passes: the insert then does nothing and the first answer is given.
create function kita_application_per_account() returns trigger language plpgsql as $$
begin
    if new.citizen_id is null or new.status <> 'submitted' then
        return new;
    end if;
    perform pg_advisory_xact_lock(hashtextextended('kita-account:' || new.tenant_id::text || ':' || new.citizen_id::text, 0));
    if tg_op = 'INSERT' and new.request_key is not null
       and exists (select 1 from kita_application where tenant_id = new.tenant_id and request_key = new.request_key) then
        return new;
    end if;
    if (select count(*) from kita_application
         where tenant_id = new.tenant_id and citizen_id = new.citizen_id and status = 'submitted' and application_id <> new.application_id) >= 10 then
        raise exception 'at most ten open Kita applications per account'
            using errcode = 'check_violation', constraint = 'kita_application_per_account', table = 'kita_application';
    end if;
    return new;
end
$$;
create trigger kita_application_per_account before insert or update of status, citizen_id on kita_application
    for each row execute function kita_application_per_account();
