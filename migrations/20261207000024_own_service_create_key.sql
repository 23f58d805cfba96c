-- Issue 27, finding 17: two identical "Leistung speichern" posts at the same moment created two own
-- services ("…" and "…-2"). The form carries a one-time key; the service it created keeps it, so
-- that a second post of the same form finds that service instead of making another. The unique
-- index makes a second one impossible whatever the application does.
alter table own_service add column create_key uuid;
create unique index own_service_create_key on own_service (tenant_id, create_key);
