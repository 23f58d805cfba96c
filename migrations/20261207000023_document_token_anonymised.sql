-- Issue 27, finding 6: anonymising a case dropped the document's facts but kept its signed token,
-- which carries the holder's facts (plate, zone, name where the type prints it). The token goes
-- with the rest; the register keeps its fingerprint (token_sha256), by which the check of a
-- printed QR code and the revocation list go on working. Only an anonymised document lacks it.
alter table document alter column token drop not null;
update document set token = null where anonymised_at is not null;
alter table document add constraint document_token_check check (token is not null or anonymised_at is not null);
