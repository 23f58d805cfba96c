//! The Bürgerkonto: a citizen's account on one tenant's portal.

use portal_db::TenantTx;
use serde::Serialize;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::{Email, IdentityError, password};

/// A citizen account as shown in the profile.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub citizen_id: Uuid,
    pub email: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub email_verified_at: Option<OffsetDateTime>,
    pub has_password: bool,
    pub profile: Profile,
    /// Fields asserted by an identity provider.
    pub verified_fields: Vec<String>,
    pub verified_by: Option<String>,
    pub level_of_assurance: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub verified_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Personal data that prefills applications.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Profile {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub birth_date: Option<Date>,
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub phone: Option<String>,
}

impl Profile {
    /// The value of a field as text (for forms).
    pub fn get(&self, field: &str) -> Option<String> {
        match field {
            "given_name" => self.given_name.clone(),
            "family_name" => self.family_name.clone(),
            "birth_date" => {
                self.birth_date.map(|d| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
            }
            "street" => self.street.clone(),
            "postal_code" => self.postal_code.clone(),
            "city" => self.city.clone(),
            "phone" => self.phone.clone(),
            _ => None,
        }
    }
}

type AccountRow = (
    Uuid,
    Option<String>,
    Option<OffsetDateTime>,
    bool,
    Option<String>,
    Option<String>,
    Option<Date>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Vec<String>,
    Option<String>,
    Option<String>,
    Option<OffsetDateTime>,
    OffsetDateTime,
);

const ACCOUNT_COLUMNS: &str = "citizen_id, email, email_verified_at, password_hash is not null, given_name, family_name, birth_date, street, postal_code, city, phone, verified_fields, verified_by, level_of_assurance, verified_at, created_at";

fn account(r: AccountRow) -> Account {
    Account {
        citizen_id: r.0,
        email: r.1,
        email_verified_at: r.2,
        has_password: r.3,
        profile: Profile {
            given_name: r.4,
            family_name: r.5,
            birth_date: r.6,
            street: r.7,
            postal_code: r.8,
            city: r.9,
            phone: r.10,
        },
        verified_fields: r.11,
        verified_by: r.12,
        level_of_assurance: r.13,
        verified_at: r.14,
        created_at: r.15,
    }
}

/// Loads an account.
pub async fn get(tx: &mut TenantTx, citizen: Uuid) -> Result<Option<Account>, IdentityError> {
    let tenant = tx.tenant_id().0;
    let row: Option<AccountRow> = sqlx::query_as(&format!(
        "select {ACCOUNT_COLUMNS} from citizen_account where tenant_id = $1 and citizen_id = $2"
    ))
    .bind(tenant)
    .bind(citizen)
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(account))
}

/// Outcome of a registration.
#[derive(Debug)]
pub enum Registered {
    /// No verified account has the address: the caller sends a verification link carrying
    /// `password_hash` to it (the account gets its password when the link is followed).
    Pending { citizen: Uuid, password_hash: String },
    /// The address has a verified account: the caller tells its owner by mail, not the requester.
    Exists(Uuid),
}

/// Registers an account with e-mail and password (policy already checked). The answer to the
/// requester is the same in every case, so it does not reveal registered addresses.
pub async fn register(tx: &mut TenantTx, email: &Email, password_plain: &str) -> Result<Registered, IdentityError> {
    let tenant = tx.tenant_id().0;
    let existing: Option<(Uuid, Option<OffsetDateTime>)> =
        sqlx::query_as("select citizen_id, email_verified_at from citizen_account where tenant_id = $1 and email = $2")
            .bind(tenant)
            .bind(email.as_str())
            .fetch_optional(tx.conn())
            .await?;
    let citizen = match existing {
        Some((id, Some(_))) => return Ok(Registered::Exists(id)),
        Some((id, None)) => id,
        None => {
            let id = Uuid::now_v7();
            let r = sqlx::query("insert into citizen_account (tenant_id, citizen_id, email) values ($1, $2, $3)")
                .bind(tenant)
                .bind(id)
                .bind(email.as_str())
                .execute(tx.conn())
                .await;
            match r {
                Ok(_) => id,
                Err(e) if portal_db::violated(&e) == Some("citizen_account_email_key") => {
                    return Err(IdentityError::EmailTaken);
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    Ok(Registered::Pending { citizen, password_hash: password::hash(password_plain).await? })
}

/// Completes a registration: the address is verified and the password chosen at registration
/// becomes the account's password.
pub async fn complete_registration(tx: &mut TenantTx, citizen: Uuid, password_hash: &str) -> Result<(), IdentityError> {
    let tenant = tx.tenant_id().0;
    sqlx::query("update citizen_account set email_verified_at = app_now(), password_hash = $3 where tenant_id = $1 and citizen_id = $2")
        .bind(tenant)
        .bind(citizen)
        .bind(password_hash)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// The account of an address, if any (for re-sending links and password reset).
pub async fn find_by_email(tx: &mut TenantTx, email: &Email) -> Result<Option<Account>, IdentityError> {
    let tenant = tx.tenant_id().0;
    let row: Option<AccountRow> =
        sqlx::query_as(&format!("select {ACCOUNT_COLUMNS} from citizen_account where tenant_id = $1 and email = $2"))
            .bind(tenant)
            .bind(email.as_str())
            .fetch_optional(tx.conn())
            .await?;
    Ok(row.map(account))
}

/// Result of a password login.
#[derive(Debug, PartialEq, Eq)]
pub enum Login {
    Ok(Uuid),
    /// Wrong password, no such account, or a registration not yet completed (not told apart).
    Failed,
}

/// Checks e-mail and password with the same work whether the account exists or not.
pub async fn authenticate(tx: &mut TenantTx, email: &str, password_plain: &str) -> Result<Login, IdentityError> {
    let tenant = tx.tenant_id().0;
    let email = email.trim().to_lowercase();
    let row: Option<(Uuid, Option<String>, Option<OffsetDateTime>)> = sqlx::query_as(
        "select citizen_id, password_hash, email_verified_at from citizen_account where tenant_id = $1 and email = $2",
    )
    .bind(tenant)
    .bind(&email)
    .fetch_optional(tx.conn())
    .await?;
    match row {
        Some((id, Some(hash), Some(_))) => {
            Ok(if password::verify(password_plain, &hash).await { Login::Ok(id) } else { Login::Failed })
        }
        _ => {
            password::verify_dummy(password_plain).await;
            Ok(Login::Failed)
        }
    }
}

/// Checks the current password of a logged-in citizen (before sensitive changes).
pub async fn check_password(tx: &mut TenantTx, citizen: Uuid, password_plain: &str) -> Result<bool, IdentityError> {
    let tenant = tx.tenant_id().0;
    let hash: Option<Option<String>> =
        sqlx::query_scalar("select password_hash from citizen_account where tenant_id = $1 and citizen_id = $2")
            .bind(tenant)
            .bind(citizen)
            .fetch_optional(tx.conn())
            .await?;
    Ok(match hash.flatten() {
        Some(h) => password::verify(password_plain, &h).await,
        None => false,
    })
}

/// Sets a new password (policy already checked). `proves_mailbox`: set through a link sent to the
/// address, which verifies it too.
pub async fn set_password(
    tx: &mut TenantTx,
    citizen: Uuid,
    password_plain: &str,
    proves_mailbox: bool,
) -> Result<(), IdentityError> {
    let tenant = tx.tenant_id().0;
    let hash = password::hash(password_plain).await?;
    sqlx::query("update citizen_account set password_hash = $3, email_verified_at = coalesce(email_verified_at, case when $4 then app_now() end) where tenant_id = $1 and citizen_id = $2")
        .bind(tenant)
        .bind(citizen)
        .bind(hash)
        .bind(proves_mailbox)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Changes the address to a confirmed new one.
pub async fn set_email(tx: &mut TenantTx, citizen: Uuid, email: &str) -> Result<(), IdentityError> {
    let tenant = tx.tenant_id().0;
    let r = sqlx::query(
        "update citizen_account set email = $3, email_verified_at = app_now() where tenant_id = $1 and citizen_id = $2",
    )
    .bind(tenant)
    .bind(citizen)
    .bind(email)
    .execute(tx.conn())
    .await;
    match r {
        Ok(_) => Ok(()),
        Err(e) if portal_db::violated(&e) == Some("citizen_account_email_key") => Err(IdentityError::EmailTaken),
        Err(e) => Err(e.into()),
    }
}

/// Whether another account of this tenant uses the address.
pub async fn email_in_use(tx: &mut TenantTx, email: &Email) -> Result<bool, IdentityError> {
    let tenant = tx.tenant_id().0;
    Ok(sqlx::query_scalar("select exists (select 1 from citizen_account where tenant_id = $1 and email = $2)")
        .bind(tenant)
        .bind(email.as_str())
        .fetch_one(tx.conn())
        .await?)
}

/// Saves the hand-edited profile. Fields asserted by an identity provider keep their values.
pub async fn update_profile(tx: &mut TenantTx, citizen: Uuid, p: &Profile) -> Result<(), IdentityError> {
    let tenant = tx.tenant_id().0;
    sqlx::query(
        "update citizen_account set
            given_name  = case when 'given_name'  = any(verified_fields) then given_name  else $3 end,
            family_name = case when 'family_name' = any(verified_fields) then family_name else $4 end,
            birth_date  = case when 'birth_date'  = any(verified_fields) then birth_date  else $5 end,
            street      = case when 'street'      = any(verified_fields) then street      else $6 end,
            postal_code = case when 'postal_code' = any(verified_fields) then postal_code else $7 end,
            city        = case when 'city'        = any(verified_fields) then city        else $8 end,
            phone       = case when 'phone'       = any(verified_fields) then phone       else $9 end
         where tenant_id = $1 and citizen_id = $2",
    )
    .bind(tenant)
    .bind(citizen)
    .bind(&p.given_name)
    .bind(&p.family_name)
    .bind(p.birth_date)
    .bind(&p.street)
    .bind(&p.postal_code)
    .bind(&p.city)
    .bind(&p.phone)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Everything stored about the person on this tenant, machine-readable (GDPR Art. 15 and 20).
pub async fn export(tx: &mut TenantTx, citizen: Uuid) -> Result<Option<serde_json::Value>, IdentityError> {
    let Some(acc) = get(tx, citizen).await? else { return Ok(None) };
    let tenant = tx.tenant_id().0;
    let identities: Vec<(String, String, serde_json::Value, OffsetDateTime, OffsetDateTime)> =
        sqlx::query_as("select provider_slug, subject, claims, linked_at, last_login_at from citizen_identity where tenant_id = $1 and citizen_id = $2 order by linked_at")
            .bind(tenant)
            .bind(citizen)
            .fetch_all(tx.conn())
            .await?;
    let sessions: Vec<(OffsetDateTime, OffsetDateTime, OffsetDateTime)> =
        sqlx::query_as("select created_at, last_seen_at, expires_at from user_session where tenant_id = $1 and citizen_id = $2 order by created_at")
            .bind(tenant)
            .bind(citizen)
            .fetch_all(tx.conn())
            .await?;
    let rfc = |t: OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    Ok(Some(serde_json::json!({
        "format": "kommunalportal.buergerkonto.export/1",
        "exported_at": rfc(tx.now()),
        "tenant_id": tenant,
        "account": acc,
        "identities": identities.into_iter().map(|(p, s, c, l, last)| serde_json::json!({
            "provider": p, "subject": s, "claims": c, "linked_at": rfc(l), "last_login_at": rfc(last)
        })).collect::<Vec<_>>(),
        "sessions": sessions.into_iter().map(|(c, s, e)| serde_json::json!({
            "created_at": rfc(c), "last_seen_at": rfc(s), "expires_at": rfc(e)
        })).collect::<Vec<_>>(),
    })))
}

/// Deletes the account: the profile, its provider links, sessions and pending links go. Records the
/// law requires to be kept (cases, payments: later issues) are anonymised by their own modules
/// before this runs.
pub async fn delete(tx: &mut TenantTx, citizen: Uuid) -> Result<bool, IdentityError> {
    let tenant = tx.tenant_id().0;
    sqlx::query("delete from one_time_token where tenant_id = $1 and subject_id = $2")
        .bind(tenant)
        .bind(citizen)
        .execute(tx.conn())
        .await?;
    let r = sqlx::query("delete from citizen_account where tenant_id = $1 and citizen_id = $2")
        .bind(tenant)
        .bind(citizen)
        .execute(tx.conn())
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Claims an identity provider asserted about a person.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct VerifiedClaims {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub birth_date: Option<Date>,
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub level_of_assurance: Option<String>,
}

impl VerifiedClaims {
    /// The profile fields these claims fill.
    fn fields(&self) -> Vec<&'static str> {
        let mut f = Vec::new();
        let pairs: [(&'static str, bool); 6] = [
            ("given_name", self.given_name.is_some()),
            ("family_name", self.family_name.is_some()),
            ("birth_date", self.birth_date.is_some()),
            ("street", self.street.is_some()),
            ("postal_code", self.postal_code.is_some()),
            ("city", self.city.is_some()),
        ];
        for (name, present) in pairs {
            if present {
                f.push(name);
            }
        }
        f
    }
}

/// Logs in (or links) through an identity provider: finds the account linked to the provider's
/// subject; else links the logged-in account, else creates a new one. The asserted claims overwrite
/// the profile fields and mark them verified. Never links by e-mail address alone.
pub async fn login_with_identity(
    tx: &mut TenantTx,
    provider_slug: &str,
    provider_name: &str,
    claims: &VerifiedClaims,
    logged_in: Option<Uuid>,
) -> Result<Uuid, IdentityError> {
    let tenant = tx.tenant_id().0;
    let linked: Option<Uuid> = sqlx::query_scalar(
        "select citizen_id from citizen_identity where tenant_id = $1 and provider_slug = $2 and subject = $3",
    )
    .bind(tenant)
    .bind(provider_slug)
    .bind(&claims.subject)
    .fetch_optional(tx.conn())
    .await?;
    let citizen = match (linked, logged_in) {
        (Some(id), _) => id,
        (None, Some(id)) => id,
        (None, None) => {
            let id = Uuid::now_v7();
            // the provider's address is taken over only if it is verified there and free here
            let email = match claims.email.as_deref().and_then(Email::parse) {
                Some(e) if claims.email_verified && !email_in_use(tx, &e).await? => Some(e),
                _ => None,
            };
            sqlx::query("insert into citizen_account (tenant_id, citizen_id, email, email_verified_at) values ($1, $2, $3, case when $3::text is null then null else app_now() end)")
                .bind(tenant)
                .bind(id)
                .bind(email.as_ref().map(Email::as_str))
                .execute(tx.conn())
                .await?;
            id
        }
    };
    let claims_json = serde_json::to_value(claims).unwrap_or_default();
    sqlx::query(
        "insert into citizen_identity (tenant_id, provider_slug, subject, citizen_id, claims) values ($1, $2, $3, $4, $5)
         on conflict (tenant_id, provider_slug, subject) do update set claims = excluded.claims, last_login_at = app_now()",
    )
    .bind(tenant)
    .bind(provider_slug)
    .bind(&claims.subject)
    .bind(citizen)
    .bind(&claims_json)
    .execute(tx.conn())
    .await?;
    let fields: Vec<String> = claims.fields().into_iter().map(str::to_owned).collect();
    sqlx::query(
        "update citizen_account set
            given_name  = coalesce($3, given_name),
            family_name = coalesce($4, family_name),
            birth_date  = coalesce($5, birth_date),
            street      = coalesce($6, street),
            postal_code = coalesce($7, postal_code),
            city        = coalesce($8, city),
            verified_fields = $9,
            verified_by = $10,
            level_of_assurance = $11,
            verified_at = app_now()
         where tenant_id = $1 and citizen_id = $2",
    )
    .bind(tenant)
    .bind(citizen)
    .bind(&claims.given_name)
    .bind(&claims.family_name)
    .bind(claims.birth_date)
    .bind(&claims.street)
    .bind(&claims.postal_code)
    .bind(&claims.city)
    .bind(&fields)
    .bind(provider_name)
    .bind(&claims.level_of_assurance)
    .execute(tx.conn())
    .await?;
    Ok(citizen)
}
