//! Municipal staff: accounts invited by an operator or a tenant admin, their roles (the casbin
//! grouping rows of this tenant), login and revocation.

use portal_db::TenantTx;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Email, IdentityError, password};

/// A role assignment: role name and, for case workers, the services they are limited to (empty:
/// all services of the tenant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleGrant {
    pub role: String,
    pub scope_services: Vec<String>,
}

/// A staff member.
#[derive(Debug, Clone)]
pub struct StaffUser {
    pub staff_id: Uuid,
    pub email: String,
    pub display_name: String,
    /// `invited`, `active` or `revoked`.
    pub status: String,
    pub roles: Vec<RoleGrant>,
    pub created_at: OffsetDateTime,
}

/// Loads a staff member with roles.
pub async fn get(tx: &mut TenantTx, staff: Uuid) -> Result<Option<StaffUser>, IdentityError> {
    Ok(list_where(tx, Some(staff)).await?.into_iter().next())
}

/// All staff of the tenant, by name.
pub async fn list(tx: &mut TenantTx) -> Result<Vec<StaffUser>, IdentityError> {
    list_where(tx, None).await
}

async fn list_where(tx: &mut TenantTx, only: Option<Uuid>) -> Result<Vec<StaffUser>, IdentityError> {
    let tenant = tx.tenant_id().0;
    type Row = (Uuid, String, String, String, OffsetDateTime, Option<String>, Option<Vec<String>>);
    let rows: Vec<Row> = sqlx::query_as(
        "select u.staff_id, u.email, u.display_name, u.status, u.created_at, r.role, r.scope_services
         from staff_user u left join staff_role r on r.tenant_id = u.tenant_id and r.staff_id = u.staff_id
         where u.tenant_id = $1 and ($2::uuid is null or u.staff_id = $2)
         order by lower(u.display_name), u.staff_id, r.role",
    )
    .bind(tenant)
    .bind(only)
    .fetch_all(tx.conn())
    .await?;
    let mut out: Vec<StaffUser> = Vec::new();
    for (id, email, name, status, created_at, role, scope) in rows {
        if out.last().is_none_or(|u| u.staff_id != id) {
            out.push(StaffUser { staff_id: id, email, display_name: name, status, roles: Vec::new(), created_at });
        }
        if let (Some(role), Some(last)) = (role, out.last_mut()) {
            last.roles.push(RoleGrant { role, scope_services: scope.unwrap_or_default() });
        }
    }
    Ok(out)
}

/// Outcome of an invitation.
#[derive(Debug, PartialEq, Eq)]
pub enum Invited {
    New(Uuid),
    /// Invited before and not yet accepted: invited again (a fresh link), roles replaced.
    Again(Uuid),
}

/// Invites a staff member with roles. An active member with the address is an error.
pub async fn invite(
    tx: &mut TenantTx,
    email: &Email,
    display_name: &str,
    roles: &[RoleGrant],
) -> Result<Invited, IdentityError> {
    let tenant = tx.tenant_id().0;
    let existing: Option<(Uuid, String)> =
        sqlx::query_as("select staff_id, status from staff_user where tenant_id = $1 and email = $2")
            .bind(tenant)
            .bind(email.as_str())
            .fetch_optional(tx.conn())
            .await?;
    let outcome = match existing {
        Some((id, status)) if status == "invited" || status == "revoked" => {
            sqlx::query("update staff_user set status = 'invited', display_name = $3, password_hash = null where tenant_id = $1 and staff_id = $2")
                .bind(tenant)
                .bind(id)
                .bind(display_name)
                .execute(tx.conn())
                .await?;
            // a new invitation starts without an earlier second factor
            crate::second_factor::remove(tx.conn(), crate::second_factor::Owner::Staff { tenant, staff: id }).await?;
            Invited::Again(id)
        }
        Some(_) => return Err(IdentityError::EmailTaken),
        None => {
            let id = Uuid::now_v7();
            let r = sqlx::query(
                "insert into staff_user (tenant_id, staff_id, email, display_name) values ($1, $2, $3, $4)",
            )
            .bind(tenant)
            .bind(id)
            .bind(email.as_str())
            .bind(display_name)
            .execute(tx.conn())
            .await;
            match r {
                Ok(_) => Invited::New(id),
                Err(e) if portal_db::violated(&e) == Some("staff_user_email_key") => {
                    return Err(IdentityError::EmailTaken);
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    let id = match outcome {
        Invited::New(id) | Invited::Again(id) => id,
    };
    set_roles(tx, id, roles).await?;
    Ok(outcome)
}

/// Replaces the roles of a staff member.
pub async fn set_roles(tx: &mut TenantTx, staff: Uuid, roles: &[RoleGrant]) -> Result<(), IdentityError> {
    let tenant = tx.tenant_id().0;
    sqlx::query("delete from staff_role where tenant_id = $1 and staff_id = $2")
        .bind(tenant)
        .bind(staff)
        .execute(tx.conn())
        .await?;
    for r in roles {
        sqlx::query("insert into staff_role (tenant_id, staff_id, role, scope_services) values ($1, $2, $3, $4)")
            .bind(tenant)
            .bind(staff)
            .bind(&r.role)
            .bind(&r.scope_services)
            .execute(tx.conn())
            .await?;
    }
    Ok(())
}

/// Accepts an invitation: sets the password (policy already checked) and activates the account.
pub async fn accept_invitation(tx: &mut TenantTx, staff: Uuid, password_plain: &str) -> Result<bool, IdentityError> {
    let tenant = tx.tenant_id().0;
    let hash = password::hash(password_plain).await?;
    let r = sqlx::query("update staff_user set password_hash = $3, status = 'active' where tenant_id = $1 and staff_id = $2 and status = 'invited'")
        .bind(tenant)
        .bind(staff)
        .bind(hash)
        .execute(tx.conn())
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Revokes a staff member: roles removed, no login any more. The caller ends their sessions.
pub async fn revoke(tx: &mut TenantTx, staff: Uuid) -> Result<bool, IdentityError> {
    let tenant = tx.tenant_id().0;
    sqlx::query("delete from staff_role where tenant_id = $1 and staff_id = $2")
        .bind(tenant)
        .bind(staff)
        .execute(tx.conn())
        .await?;
    // a new invitation starts without the old second factor (a lost phone: revoke and invite again)
    crate::second_factor::remove(tx.conn(), crate::second_factor::Owner::Staff { tenant, staff }).await?;
    let r = sqlx::query("update staff_user set status = 'revoked', password_hash = null where tenant_id = $1 and staff_id = $2 and status <> 'revoked'")
        .bind(tenant)
        .bind(staff)
        .execute(tx.conn())
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Checks e-mail and password of an active staff member, with the same work whether the account
/// exists or not.
pub async fn authenticate(tx: &mut TenantTx, email: &str, password_plain: &str) -> Result<Option<Uuid>, IdentityError> {
    let tenant = tx.tenant_id().0;
    let row: Option<(Uuid, Option<String>)> = sqlx::query_as(
        "select staff_id, password_hash from staff_user where tenant_id = $1 and email = $2 and status = 'active'",
    )
    .bind(tenant)
    .bind(email.trim().to_lowercase())
    .fetch_optional(tx.conn())
    .await?;
    match row {
        Some((id, Some(hash))) => Ok(password::verify(password_plain, &hash).await.then_some(id)),
        _ => {
            password::verify_dummy(password_plain).await;
            Ok(None)
        }
    }
}

/// Number of active tenant admins (the last one cannot be revoked or demoted).
pub async fn active_admins(tx: &mut TenantTx) -> Result<i64, IdentityError> {
    let tenant = tx.tenant_id().0;
    Ok(sqlx::query_scalar(
        "select count(*) from staff_user u join staff_role r on r.tenant_id = u.tenant_id and r.staff_id = u.staff_id
         where u.tenant_id = $1 and u.status = 'active' and r.role = 'tenant_admin'",
    )
    .bind(tenant)
    .fetch_one(tx.conn())
    .await?)
}

/// Whom a tenant requires a second factor of at the staff login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecondFactorPolicy {
    Nobody,
    /// Tenant admins (the default).
    #[default]
    Admins,
    All,
}

impl SecondFactorPolicy {
    pub const ALL: [Self; 3] = [Self::Nobody, Self::Admins, Self::All];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nobody => "none",
            Self::Admins => "admins",
            Self::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Whether a member with these roles must log in with a second factor.
    pub fn requires(self, roles: &[RoleGrant]) -> bool {
        match self {
            Self::Nobody => false,
            Self::Admins => roles.iter().any(|r| r.role == "tenant_admin"),
            Self::All => true,
        }
    }
}

/// The tenant's policy (the default while it has set none).
pub async fn second_factor_policy(tx: &mut TenantTx) -> Result<SecondFactorPolicy, IdentityError> {
    let tenant = tx.tenant_id().0;
    let p: Option<String> = sqlx::query_scalar("select second_factor from staff_login_policy where tenant_id = $1")
        .bind(tenant)
        .fetch_optional(tx.conn())
        .await?;
    Ok(p.as_deref().and_then(SecondFactorPolicy::parse).unwrap_or_default())
}

/// Sets the policy and ends the sessions of everyone it now requires a second factor of who has
/// none yet: their next login sets it up. Returns how many sessions ended.
pub async fn set_second_factor_policy(tx: &mut TenantTx, policy: SecondFactorPolicy) -> Result<u64, IdentityError> {
    let tenant = tx.tenant_id().0;
    sqlx::query(
        "insert into staff_login_policy (tenant_id, second_factor, updated_at) values ($1, $2, app_now())
         on conflict (tenant_id) do update set second_factor = excluded.second_factor, updated_at = excluded.updated_at",
    )
    .bind(tenant)
    .bind(policy.as_str())
    .execute(tx.conn())
    .await?;
    let ended = sqlx::query(
        "delete from user_session s where s.tenant_id = $1 and s.staff_id is not null
           and not exists (select 1 from staff_totp t where t.tenant_id = s.tenant_id and t.staff_id = s.staff_id)
           and ($2 = 'all' or ($2 = 'admins' and exists (select 1 from staff_role r where r.tenant_id = s.tenant_id and r.staff_id = s.staff_id and r.role = 'tenant_admin')))",
    )
    .bind(tenant)
    .bind(policy.as_str())
    .execute(tx.conn())
    .await?;
    Ok(ended.rows_affected())
}
