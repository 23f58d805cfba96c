//! The append-only audit log: tenant, actor, action, object, time, source address. The database
//! refuses updates and deletes; a tenant's transaction reads only its tenant's entries.

use std::net::IpAddr;

use portal_db::DbError;
use portal_domain::TenantId;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Principal;

/// One entry to write.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub tenant: Option<TenantId>,
    pub action: &'a str,
    pub object: String,
    pub detail: serde_json::Value,
}

/// Appends an entry for `actor`. Runs in the transaction of the change it records, so there is no
/// change without its entry.
pub async fn record(
    conn: &mut PgConnection,
    actor: &Principal,
    source_ip: Option<IpAddr>,
    event: Event<'_>,
) -> Result<(), DbError> {
    sqlx::query(
        "insert into audit_log (audit_id, tenant_id, actor_kind, actor_id, actor_name, action, object, detail, source_ip)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9::inet)",
    )
    .bind(Uuid::now_v7())
    .bind(event.tenant.map(|t| t.0))
    .bind(actor.actor_kind.as_str())
    .bind(actor.actor_id)
    .bind(&actor.name)
    .bind(event.action)
    .bind(&event.object)
    .bind(&event.detail)
    .bind(source_ip.map(|ip| ip.to_string()))
    .execute(conn)
    .await?;
    tracing::info!(actor.id = %actor.actor_id, action = event.action, object = %event.object, "audited change");
    Ok(())
}

/// An entry as listed.
#[derive(Debug, Clone)]
pub struct Entry {
    pub at: OffsetDateTime,
    pub tenant_id: Option<Uuid>,
    pub tenant_name: Option<String>,
    pub actor_kind: String,
    pub actor_name: String,
    pub action: String,
    pub object: String,
    pub detail: serde_json::Value,
    pub source_ip: Option<String>,
}

/// Newest entries first; `tenant` narrows to one tenant (a tenant transaction sees only its own
/// anyway).
pub async fn list(
    conn: &mut PgConnection,
    tenant: Option<TenantId>,
    limit: i64,
    offset: i64,
) -> Result<Vec<Entry>, DbError> {
    type Row = (
        OffsetDateTime,
        Option<Uuid>,
        Option<String>,
        String,
        String,
        String,
        String,
        serde_json::Value,
        Option<String>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "select a.at, a.tenant_id, t.name, a.actor_kind, a.actor_name, a.action, a.object, a.detail, host(a.source_ip)
         from audit_log a left join tenant t on t.tenant_id = a.tenant_id
         where $1::uuid is null or a.tenant_id = $1
         order by a.at desc, a.audit_id desc limit $2 offset $3",
    )
    .bind(tenant.map(|t| t.0))
    .bind(limit)
    .bind(offset)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Entry {
            at: r.0,
            tenant_id: r.1,
            tenant_name: r.2,
            actor_kind: r.3,
            actor_name: r.4,
            action: r.5,
            object: r.6,
            detail: r.7,
            source_ip: r.8,
        })
        .collect())
}
