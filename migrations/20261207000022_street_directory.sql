-- The tenant's street directory (issue 27, findings 6a and 11): which streets (by postcode and,
-- where a street is split, by house-number range) lie in the town, and for each the Kita district
-- and the residents' parking zone it belongs to. Forms check a resident's address against it, the
-- parking zone and the Kita district follow from the address, and the office sees any mismatch.
-- Filled from the demo files (tenants/demo/streets/<tenant>.toml) or by the office's CSV import.

create table street_directory (
    tenant_id         uuid not null,
    -- the street's name normalised for lookup (lower case, umlauts spelt out, "Straße"/"Str." as
    -- "str", no punctuation): portal_tenancy::streets::street_key
    street_key        text not null,
    postcode          text not null,
    -- the first and last house number of the section (1 and 9999: the whole street)
    number_from       integer not null default 1,
    number_to         integer not null default 9999,
    -- the name as written, for the office's list
    street            text not null,
    kita_district_id  uuid,
    -- the residents' parking zone's code, as the parking forms' zone field has it ("a")
    parking_zone      text,
    primary key (tenant_id, postcode, street_key, number_from),
    constraint street_directory_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade,
    constraint street_directory_kita_district_fkey foreign key (tenant_id, kita_district_id) references kita_district (tenant_id, district_id) on delete set null (kita_district_id),
    constraint street_directory_postcode_check check (postcode ~ '^[0-9]{5}$'),
    constraint street_directory_numbers_check check (number_from between 1 and 9999 and number_to between number_from and 9999),
    constraint street_directory_text_check check (char_length(street) between 1 and 120 and char_length(street_key) between 1 and 120),
    constraint street_directory_zone_check check (parking_zone ~ '^[a-z0-9_-]{1,40}$')
);
-- lookups by street when an address comes without a postcode (a Kita application's free text)
create index street_directory_street_idx on street_directory (tenant_id, street_key);
select isolate_tenant_tables('street_directory');

-- The district a parent chose on a Kita application (null: none). The application's district_id
-- is the one its points are computed from: the address's district when the directory knows the
-- street, else the choice; the office sees where the two differ.
alter table kita_application
    add column chosen_district_id uuid,
    add constraint kita_application_chosen_district_fkey foreign key (tenant_id, chosen_district_id) references kita_district (tenant_id, district_id) on delete set null (chosen_district_id);
