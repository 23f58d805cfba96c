-- Security review (issue 11).

-- 1. Identity providers' client secrets: no longer the name of an environment variable (a tenant
-- admin could name a platform secret and have it sent to an issuer of their choosing), but the
-- secret itself, sealed by the server (AES-256-GCM under APP__SECURITY__SECRETS_KEY, bound to the
-- tenant and provider). Providers configured before have no secret until an admin enters it again
-- (docs/operations.md); their names of variables are dropped.
alter table identity_provider drop constraint identity_provider_secret_env_check;
alter table identity_provider drop column client_secret_env;
alter table identity_provider add column client_secret_sealed bytea;
alter table identity_provider add constraint identity_provider_secret_size_check check (octet_length(client_secret_sealed) between 29 and 1100);
-- issuers are https; plain http only on loopback (the server also refuses it outside test set-ups)
alter table identity_provider add constraint identity_provider_issuer_check
    check (issuer_url ~ '^https://[^/@?#\s]+' or issuer_url ~ '^http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]+)?(/|$)');
