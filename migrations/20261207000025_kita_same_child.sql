-- Issue 27, finding 9: two applications for the same child from two browser tabs at the same
-- moment both succeeded, as the same-child check read without a lock; the ten-per-account limit
-- had the same gap. Both are now the database's to keep.
--
-- The child's name as the duplicate check compares it ("Müller-Lüdenscheidt" → "mueller
-- luedenscheidt", portal_kita::names::normalise), first and last name joined by '|'. The
-- application computes it for every new application; rows from before are given the nearest SQL
-- rendering of the same rules.
create function kita_name_key(name text) returns text language sql immutable parallel safe as $$
    select trim(regexp_replace(regexp_replace(normalize(
               replace(replace(replace(replace(replace(lower(name), 'ä', 'ae'), 'ö', 'oe'), 'ü', 'ue'), 'ß', 'ss'), 'đ', 'dj'), NFKD),
           '[\u0300-\u036f]', '', 'g'), '[^[:alnum:]]+', ' ', 'g'))
$$;
alter table kita_application add column child_key text;
update kita_application set child_key = kita_name_key(child_first) || '|' || kita_name_key(child_last);
alter table kita_application alter column child_key set not null;

-- one open application per child and parent account
create unique index kita_application_same_child on kita_application (tenant_id, citizen_id, birth_date, child_key)
    where status = 'submitted' and citizen_id is not null;

-- at most ten open applications per parent account: counted under a lock per account, so that
-- concurrent submissions are counted one after the other
create function kita_application_per_account() returns trigger language plpgsql as $$
begin
    if new.citizen_id is null or new.status <> 'submitted' then
        return new;
    end if;
    perform pg_advisory_xact_lock(hashtextextended('kita-account:' || new.tenant_id::text || ':' || new.citizen_id::text, 0));
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
