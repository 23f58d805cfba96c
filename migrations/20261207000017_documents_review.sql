-- print@home documents after the second review (issue 27).
--
-- The revocation list published SHA-256 of the document numbers, whose 40 random bits are
-- reversed offline in a minute. It now publishes the fingerprint of the whole signed token
-- (SHA-256 over its bytes, signature included): it names a document without naming anything that
-- can be looked up. The register keeps the fingerprint beside the token, so that the check and
-- the revocation list keep working once anonymisation has dropped the token itself.
alter table document add column token_sha256 text;
-- the tokens are base64url without padding; decode wants standard base64 with it
update document set token_sha256 = encode(sha256(decode(translate(token, '-_', '+/') || repeat('=', (4 - length(token) % 4) % 4), 'base64')), 'hex');
alter table document alter column token_sha256 set not null;
alter table document add constraint document_token_sha256_check check (token_sha256 ~ '^[0-9a-f]{64}$');

-- A signing key thought known to others is withdrawn: its private half is erased and the key set
-- (/pruefen/schluessel.json) names it withdrawn, so that offline checks stop trusting it at their
-- next sync. A withdrawn key is never current.
alter table document_key add column withdrawn_at timestamptz;
alter table document_key add constraint document_key_withdrawn_check
    check (withdrawn_at is null or (retired_at is not null and octet_length(private_sealed) = 0));
