//! The second factor of operators and staff: a time-based one-time password (TOTP, RFC 6238:
//! HMAC-SHA-1, six digits, 30-second steps, one step either side for clocks that drift), set up by
//! scanning a QR code; ten one-time recovery codes; remembered devices.
//!
//! The secret is sealed with the platform's secrets key, bound to the tenant (the nil id for
//! operators) and the account, so neither a database dump nor a row copied elsewhere gives codes.
//! A code is accepted once: the step it belongs to is stored, and a code of that step or an
//! earlier one is refused ([`Verdict::Reused`]). Recovery codes (about 50 random bits) are stored
//! as HMAC-SHA-256 under the platform key (no guessing from a dump alone), device tokens (256 bits)
//! as SHA-256; a recovery code is spent when used. A new key lives in the sealed pending login
//! until its first code confirms it: nothing unconfirmed is stored, so nobody can read a key that
//! the owner is about to confirm.
//!
//! The same functions serve both kinds of account: operators' rows are platform tables
//! (`operator_totp` …), staff's are tenant-owned with forced row-level security (`staff_totp` …).

use argon2::password_hash::rand_core::{OsRng, RngCore};
use portal_db::DbError;
use sqlx::PgConnection;
use time::{Duration, OffsetDateTime};
use totp_rs::{Algorithm, Builder, Secret, Totp};
use uuid::Uuid;

use crate::sealed::SecretsKey;
use crate::secret::{random_token, token_hash};

/// How many recovery codes a set holds.
pub const RECOVERY_CODES: usize = 10;
/// How long a remembered device skips the code.
pub const DEVICE_DAYS: i64 = 30;
/// Length of a recovery code, without its hyphen.
const RECOVERY_LEN: usize = 10;
/// The letters of recovery codes: no 0/o, 1/l/i that read alike.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// Whose second factor: an operator, or a member of a tenant's staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Operator(Uuid),
    Staff { tenant: Uuid, staff: Uuid },
}

impl Owner {
    fn table(self, what: &str) -> String {
        match self {
            Self::Operator(_) => format!("operator_{what}"),
            Self::Staff { .. } => format!("staff_{what}"),
        }
    }
    /// The key columns, then the values for them: `$1` is the tenant (null for operators), `$2`
    /// the account, in every statement.
    fn key_columns(self) -> &'static str {
        match self {
            Self::Operator(_) => "operator_id",
            Self::Staff { .. } => "tenant_id, staff_id",
        }
    }
    fn key_values(self) -> &'static str {
        match self {
            // $1 is null here; naming it gives it its type
            Self::Operator(_) => "coalesce($1::uuid, $2)",
            Self::Staff { .. } => "$1, $2",
        }
    }
    fn key_where(self) -> &'static str {
        match self {
            Self::Operator(_) => "$1::uuid is null and operator_id = $2",
            Self::Staff { .. } => "tenant_id = $1 and staff_id = $2",
        }
    }
    fn tenant(self) -> Option<Uuid> {
        match self {
            Self::Operator(_) => None,
            Self::Staff { tenant, .. } => Some(tenant),
        }
    }
    fn account(self) -> Uuid {
        match self {
            Self::Operator(id) | Self::Staff { staff: id, .. } => id,
        }
    }
    /// What the secret is sealed for: the tenant (nil for operators) and the account.
    fn seal_scope(self) -> (Uuid, String) {
        (self.tenant().unwrap_or(Uuid::nil()), format!("{}:{}", self.table("totp"), self.account()))
    }
    /// The stored form of a recovery code: keyed by the platform key, the tenant and the account.
    fn recovery_hash(self, key: &SecretsKey, code: &str) -> Vec<u8> {
        key.mac(
            &format!("{}:{}:{}", self.table("recovery_code"), self.tenant().unwrap_or(Uuid::nil()), self.account()),
            code,
        )
    }
}

/// The state of an account's second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub enabled: bool,
    pub recovery_left: i64,
}

/// The outcome of checking what was typed at the second step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A current code of the app.
    Code,
    /// A recovery code, now spent; `left` remain.
    Recovery {
        left: i64,
    },
    /// A correct code that was used already (or an older one than the last used).
    Reused,
    Wrong,
}

fn totp(secret: Vec<u8>, issuer: &str, account: &str) -> Option<Totp> {
    // the otpauth URI separates issuer and account with ':'; neither may hold one
    let clean = |s: &str| s.replace(':', " ").trim().to_owned();
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret)
        .with_issuer(Some(clean(issuer)))
        .with_account_name(clean(account))
        .build()
        .ok()
}

fn secret_bytes(base32: &str) -> Option<Vec<u8>> {
    Secret::try_from_base32(base32).ok().map(|s| s.as_ref().to_vec())
}

/// Six digits (spaces allowed) → the code; anything else → `None`.
fn as_code(input: &str) -> Option<String> {
    let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    (s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
}

/// A recovery code as typed (any case, spaces and hyphens) → its stored form.
fn as_recovery(input: &str) -> Option<String> {
    let s: String = input.chars().filter(|c| !c.is_whitespace() && *c != '-').flat_map(char::to_lowercase).collect();
    (s.len() == RECOVERY_LEN && s.bytes().all(|b| RECOVERY_ALPHABET.contains(&b))).then_some(s)
}

/// The time step a code of `secret` typed at `now` belongs to (`None`: not a current code).
pub fn matching_step(secret_base32: &str, input: &str, now: OffsetDateTime) -> Option<u64> {
    let code = as_code(input)?;
    let t = totp(secret_bytes(secret_base32)?, "x", "x")?;
    t.check(&code, u64::try_from(now.unix_timestamp()).ok()?)
}

/// The code of `secret` at `at` (the tests' authenticator app).
pub fn code_at(secret_base32: &str, at: OffsetDateTime) -> Option<String> {
    let t = totp(secret_bytes(secret_base32)?, "x", "x")?;
    Some(t.generate(u64::try_from(at.unix_timestamp()).ok()?).to_string())
}

/// What the set-up page shows: the otpauth URI as a QR code, and the secret for typing.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// `otpauth://totp/…` with the issuer and the account.
    pub uri: String,
    /// The secret in groups of four (base32), for apps without a camera.
    pub secret_grouped: String,
    /// The QR code's dark modules as one SVG path (one unit per module, no quiet zone) and its
    /// side in modules.
    pub qr_path: String,
    pub qr_side: usize,
}

/// The enrolment of `secret` for `account` at `issuer` (the portal's or the console's name).
pub fn enrolment(secret_base32: &str, issuer: &str, account: &str) -> Option<Enrolment> {
    let uri = totp(secret_bytes(secret_base32)?, issuer, account)?.to_url().ok()?;
    let (qr_path, qr_side) = qr_svg_path(&uri)?;
    let secret_grouped = secret_base32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Some(Enrolment { uri, secret_grouped, qr_path, qr_side })
}

/// The dark modules of the QR code of `text` as an SVG path, each run of a row one rectangle.
fn qr_svg_path(text: &str) -> Option<(String, usize)> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).ok()?;
    let w = code.width();
    let colors = code.to_colors();
    let mut d = String::new();
    for y in 0..w {
        let mut x = 0;
        while x < w {
            if colors[y * w + x] == qrcode::Color::Dark {
                let start = x;
                while x < w && colors[y * w + x] == qrcode::Color::Dark {
                    x += 1;
                }
                d.push_str(&format!("M{start} {y}h{}v1h-{}z", x - start, x - start));
            } else {
                x += 1;
            }
        }
    }
    Some((d, w))
}

pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    OsRng.fill_bytes(&mut bytes);
    Secret::from(bytes.to_vec()).to_base32()
}

/// Whether the account has a second factor (every stored key is confirmed).
pub async fn enabled(conn: &mut PgConnection, owner: Owner) -> Result<bool, DbError> {
    Ok(sqlx::query_scalar(&format!(
        "select exists (select 1 from {} where {})",
        owner.table("totp"),
        owner.key_where()
    ))
    .bind(owner.tenant())
    .bind(owner.account())
    .fetch_one(conn)
    .await?)
}

/// How many of the account's recovery codes are unused.
pub async fn recovery_left(conn: &mut PgConnection, owner: Owner) -> Result<i64, DbError> {
    Ok(sqlx::query_scalar(&format!(
        "select count(*) from {} where {} and used_at is null",
        owner.table("recovery_code"),
        owner.key_where()
    ))
    .bind(owner.tenant())
    .bind(owner.account())
    .fetch_one(conn)
    .await?)
}

/// Whether the account has a second factor, and how many recovery codes are left (its security
/// page).
pub async fn status(conn: &mut PgConnection, owner: Owner) -> Result<Status, DbError> {
    Ok(Status { enabled: enabled(conn, owner).await?, recovery_left: recovery_left(conn, owner).await? })
}

/// Why a set-up was not confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotConfirmed {
    /// Not a current code of the new key.
    WrongCode,
    /// The account has a second factor already (set up in another browser meanwhile).
    SetUpAlready,
}

/// Confirms the set-up of `secret` (the new key, kept in the sealed pending login until now) with
/// a current code: from now on the account logs in with a code. Returns the first set of recovery
/// codes, shown once.
pub async fn confirm(
    conn: &mut PgConnection,
    key: &SecretsKey,
    owner: Owner,
    secret: &str,
    input: &str,
    now: OffsetDateTime,
) -> Result<Result<Vec<String>, NotConfirmed>, DbError> {
    let Some(step) = matching_step(secret, input, now) else { return Ok(Err(NotConfirmed::WrongCode)) };
    let (seal_tenant, purpose) = owner.seal_scope();
    let inserted = sqlx::query(&format!(
        "insert into {} ({}, secret_sealed, confirmed_at, last_step) values ({}, $3, $4, $5) on conflict do nothing",
        owner.table("totp"),
        owner.key_columns(),
        owner.key_values()
    ))
    .bind(owner.tenant())
    .bind(owner.account())
    .bind(key.seal(seal_tenant, &purpose, secret))
    .bind(now)
    .bind(i64::try_from(step).unwrap_or(i64::MAX))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(Err(NotConfirmed::SetUpAlready));
    }
    Ok(Ok(new_recovery_codes(conn, key, owner).await?))
}

/// Checks a code of the app or (with `recovery`) a recovery code. A code's step is taken under the
/// row's lock, so two requests with the same code cannot both pass.
pub async fn verify(
    conn: &mut PgConnection,
    key: &SecretsKey,
    owner: Owner,
    input: &str,
    now: OffsetDateTime,
    recovery: bool,
) -> Result<Verdict, DbError> {
    if let Some(code) = as_recovery(input).filter(|_| recovery) {
        let spent = sqlx::query(&format!(
            "update {} set used_at = $4 where {} and code_hash = $3 and used_at is null",
            owner.table("recovery_code"),
            owner.key_where()
        ))
        .bind(owner.tenant())
        .bind(owner.account())
        .bind(owner.recovery_hash(key, &code))
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if spent == 0 {
            return Ok(Verdict::Wrong);
        }
        return Ok(Verdict::Recovery { left: recovery_left(conn, owner).await? });
    }
    let (seal_tenant, purpose) = owner.seal_scope();
    let row: Option<(Vec<u8>, Option<i64>)> = sqlx::query_as(&format!(
        "select secret_sealed, last_step from {} where {} for update",
        owner.table("totp"),
        owner.key_where()
    ))
    .bind(owner.tenant())
    .bind(owner.account())
    .fetch_optional(&mut *conn)
    .await?;
    let Some((sealed, last)) = row else { return Ok(Verdict::Wrong) };
    let Some(secret) = key.open(seal_tenant, &purpose, &sealed) else { return Ok(Verdict::Wrong) };
    let Some(step) = matching_step(&secret, input, now).and_then(|s| i64::try_from(s).ok()) else {
        return Ok(Verdict::Wrong);
    };
    if last.is_some_and(|l| step <= l) {
        return Ok(Verdict::Reused);
    }
    sqlx::query(&format!("update {} set last_step = $3 where {}", owner.table("totp"), owner.key_where()))
        .bind(owner.tenant())
        .bind(owner.account())
        .bind(step)
        .execute(&mut *conn)
        .await?;
    Ok(Verdict::Code)
}

fn recovery_code() -> String {
    let mut bytes = [0u8; RECOVERY_LEN];
    OsRng.fill_bytes(&mut bytes);
    // 256 is a multiple of nothing here: the slight bias (256 mod 31) costs a fraction of a bit
    bytes.iter().map(|b| RECOVERY_ALPHABET[usize::from(*b) % RECOVERY_ALPHABET.len()] as char).collect()
}

/// A new set of recovery codes, replacing every earlier one; returned for showing once, as
/// `abcde-fghjk`.
pub async fn new_recovery_codes(
    conn: &mut PgConnection,
    key: &SecretsKey,
    owner: Owner,
) -> Result<Vec<String>, DbError> {
    let table = owner.table("recovery_code");
    sqlx::query(&format!("delete from {table} where {}", owner.key_where()))
        .bind(owner.tenant())
        .bind(owner.account())
        .execute(&mut *conn)
        .await?;
    let mut shown = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let code = recovery_code();
        sqlx::query(&format!(
            "insert into {table} ({}, code_hash) values ({}, $3) on conflict do nothing",
            owner.key_columns(),
            owner.key_values()
        ))
        .bind(owner.tenant())
        .bind(owner.account())
        .bind(owner.recovery_hash(key, &code))
        .execute(&mut *conn)
        .await?;
        shown.push(format!("{}-{}", &code[..RECOVERY_LEN / 2], &code[RECOVERY_LEN / 2..]));
    }
    Ok(shown)
}

/// Removes the second factor, its recovery codes and remembered devices (staff whose tenant does
/// not require one; an admin resetting a colleague who lost the phone).
pub async fn remove(conn: &mut PgConnection, owner: Owner) -> Result<(), DbError> {
    for what in ["totp", "recovery_code", "device"] {
        sqlx::query(&format!("delete from {} where {}", owner.table(what), owner.key_where()))
            .bind(owner.tenant())
            .bind(owner.account())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A remembered device, as the account's list shows it.
#[derive(Debug, Clone)]
pub struct Device {
    pub device_id: Uuid,
    pub label: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: OffsetDateTime,
}

/// Remembers this device for [`DEVICE_DAYS`]; returns the token for its cookie.
pub async fn remember(
    conn: &mut PgConnection,
    owner: Owner,
    label: &str,
    now: OffsetDateTime,
) -> Result<String, DbError> {
    let token = random_token();
    let label: String = label.chars().filter(|c| !c.is_control()).take(120).collect();
    sqlx::query(&format!(
        "insert into {} ({}, device_id, token_hash, label, created_at, last_used_at, expires_at) values ({}, $3, $4, $5, $6, $6, $7)",
        owner.table("device"),
        owner.key_columns(),
        owner.key_values()
    ))
    .bind(owner.tenant())
    .bind(owner.account())
    .bind(Uuid::now_v7())
    .bind(token_hash(&token))
    .bind(label)
    .bind(now)
    .bind(now + Duration::days(DEVICE_DAYS))
    .execute(&mut *conn)
    .await?;
    Ok(token)
}

/// Whether `token` is a live remembered device of the account (and marks it used).
pub async fn known_device(
    conn: &mut PgConnection,
    owner: Owner,
    token: &str,
    now: OffsetDateTime,
) -> Result<bool, DbError> {
    let r = sqlx::query(&format!(
        "update {} set last_used_at = $4 where {} and token_hash = $3 and expires_at > $4",
        owner.table("device"),
        owner.key_where()
    ))
    .bind(owner.tenant())
    .bind(owner.account())
    .bind(token_hash(token))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The e-mail address of the account a remembered device's token belongs to (`tenant`: a staff
/// device of that tenant; `None`: an operator's), while it lives.
pub async fn device_email(
    conn: &mut PgConnection,
    tenant: Option<Uuid>,
    token: &str,
    now: OffsetDateTime,
) -> Result<Option<String>, DbError> {
    let sql = match tenant {
        None => "select o.email from operator_device d join operator o on o.operator_id = d.operator_id where $1::uuid is null and d.token_hash = $2 and d.expires_at > $3",
        Some(_) => {
            "select u.email from staff_device d join staff_user u on u.tenant_id = d.tenant_id and u.staff_id = d.staff_id
             where d.tenant_id = $1 and d.token_hash = $2 and d.expires_at > $3 and u.status = 'active'"
        }
    };
    Ok(sqlx::query_scalar(sql).bind(tenant).bind(token_hash(token)).bind(now).fetch_optional(conn).await?)
}

/// The account's live remembered devices, newest first.
pub async fn devices(conn: &mut PgConnection, owner: Owner, now: OffsetDateTime) -> Result<Vec<Device>, DbError> {
    let rows: Vec<(Uuid, String, OffsetDateTime, OffsetDateTime)> =
        sqlx::query_as(&format!("select device_id, label, created_at, last_used_at from {} where {} and expires_at > $3 order by created_at desc limit 100", owner.table("device"), owner.key_where()))
            .bind(owner.tenant())
            .bind(owner.account())
            .bind(now)
            .fetch_all(conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(device_id, label, created_at, last_used_at)| Device { device_id, label, created_at, last_used_at })
        .collect())
}

/// Forgets one remembered device (`None`: all of them); how many went.
pub async fn forget(conn: &mut PgConnection, owner: Owner, device: Option<Uuid>) -> Result<u64, DbError> {
    let r = sqlx::query(&format!(
        "delete from {} where {} and ($3::uuid is null or device_id = $3)",
        owner.table("device"),
        owner.key_where()
    ))
    .bind(owner.tenant())
    .bind(owner.account())
    .bind(device)
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

    #[test]
    fn codes_match_their_step_and_one_step_either_side_only() {
        let at = time::macros::datetime!(2026-12-07 10:00:15 UTC);
        let code = code_at(SECRET, at).unwrap_or_default();
        assert_eq!(code.len(), 6);
        let step = u64::try_from(at.unix_timestamp()).unwrap_or(0) / 30;
        assert_eq!(matching_step(SECRET, &code, at), Some(step));
        assert_eq!(
            matching_step(SECRET, &format!("{} {}", &code[..3], &code[3..]), at),
            Some(step),
            "spaces are allowed"
        );
        assert_eq!(matching_step(SECRET, &code, at + Duration::seconds(30)), Some(step), "one step late");
        assert_eq!(matching_step(SECRET, &code, at + Duration::seconds(75)), None, "two steps late");
        assert_eq!(matching_step(SECRET, "12345", at), None);
    }

    #[test]
    fn the_rfc_6238_test_vector_gives_its_code() {
        // RFC 6238, appendix B: the SHA-1 key "12345678901234567890" at 59 s gives 94287082 (8 digits); six digits: 287082
        let secret = Secret::from(b"12345678901234567890".to_vec()).to_base32();
        assert_eq!(
            code_at(&secret, OffsetDateTime::from_unix_timestamp(59).unwrap_or(OffsetDateTime::UNIX_EPOCH)).as_deref(),
            Some("287082")
        );
    }

    #[test]
    fn recovery_codes_are_read_in_any_case_with_or_without_the_hyphen() {
        let code = recovery_code();
        assert_eq!(code.len(), RECOVERY_LEN);
        let typed = format!("{}-{}", code[..5].to_uppercase(), &code[5..]);
        assert_eq!(as_recovery(&typed).as_deref(), Some(code.as_str()));
        assert_eq!(as_recovery("123456"), None, "a code of the app is no recovery code");
        assert_eq!(as_recovery("abcde-fghij0"), None);
    }

    #[test]
    fn the_qr_code_reads_back_as_the_otpauth_uri() {
        let e = enrolment(SECRET, "Stadt: Musterstadt", "anna@example.org").unwrap_or_else(|| panic!("enrolment"));
        assert!(e.uri.starts_with("otpauth://totp/"), "{}", e.uri);
        assert!(e.uri.contains("secret=JBSWY3DPEHPK3PXP"), "{}", e.uri);
        assert!(e.uri.contains("issuer=Stadt"), "{}", e.uri);
        // draw the path's rectangles and decode the picture
        let scale = 4;
        let side = (e.qr_side + 8) * scale;
        let mut px = vec![255u8; side * side];
        for rect in e.qr_path.split('z').filter(|r| !r.is_empty()) {
            let nums: Vec<usize> = rect
                .trim_start_matches('M')
                .split(|c: char| !c.is_ascii_digit())
                .filter(|s| !s.is_empty())
                .filter_map(|s| s.parse().ok())
                .collect();
            let (x, y, w) = (nums[0], nums[1], nums[2]);
            for dy in 0..scale {
                for dx in 0..w * scale {
                    px[((y + 4) * scale + dy) * side + (x + 4) * scale + dx] = 0;
                }
            }
        }
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| px[y * side + x]);
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1);
        assert_eq!(grids[0].decode().map(|(_, t)| t).unwrap_or_default(), e.uri);
        assert_eq!(e.secret_grouped, "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP");
    }
}
