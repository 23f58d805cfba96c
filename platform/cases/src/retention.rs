//! Retention: anonymising cases past their period, and a citizen's data export.

use super::*;

/// What a retention run did in one tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// References of cases anonymised.
    pub anonymised: Vec<String>,
    pub drafts_deleted: u64,
}

/// Anonymises completed or archived cases kept longer than their service's retention period: the
/// answers, applicant, messages, notes and files are deleted; reference, service, status and dates
/// stay for statistics. Deletes expired drafts. Runs in the tenant's transaction.
pub async fn apply_retention(tx: &mut TenantTx) -> Result<RetentionReport> {
    let due: Vec<(Uuid, String)> = sqlx::query_as(
        "select c.case_id, c.reference from case_record c
           left join service_activation a on a.service_slug = c.service_slug
          where c.anonymised_at is null and c.status in ('completed', 'archived') and c.completed_at is not null
            and c.completed_at < app_now() - make_interval(days => coalesce(a.retention_days, 730))
          order by c.completed_at limit 1000 for update of c skip locked",
    )
    .fetch_all(tx.conn())
    .await?;
    let ids: Vec<Uuid> = due.iter().map(|(id, _)| *id).collect();
    if !ids.is_empty() {
        sqlx::query("delete from case_file where case_id = any($1)").bind(&ids).execute(tx.conn()).await?;
        sqlx::query(
            "delete from case_event where case_id = any($1) and kind in ('message', 'note', 'document', 'assigned')",
        )
        .bind(&ids)
        .execute(tx.conn())
        .await?;
        sqlx::query("update case_event set body = '', actor_name = '' where case_id = any($1)")
            .bind(&ids)
            .execute(tx.conn())
            .await?;
        sqlx::query(
            "update case_record set answers = '{}', applicant_name = '', guest_email = null, guest_token_hash = null, guest_token = null, citizen_id = null,
                    decision_reason = null, assigned_to = null, anonymised_at = app_now()
              where case_id = any($1)",
        )
        .bind(&ids)
        .execute(tx.conn())
        .await?;
        for id in &ids {
            add_event(tx, *id, EventKind::Anonymised, None, &Actor::system(), "", false).await?;
        }
    }
    sqlx::query("delete from case_file where draft_id in (select draft_id from application_draft where expires_at < app_now()) and case_id is null").execute(tx.conn()).await?;
    // a draft whose payment is under way or done stays until the payment files its case
    let drafts = sqlx::query(
        "delete from application_draft d where d.expires_at < app_now()
            and not exists (select 1 from payment p where p.draft_id = d.draft_id and p.status in ('processing', 'succeeded'))",
    )
    .execute(tx.conn())
    .await?
    .rows_affected();
    Ok(RetentionReport { anonymised: due.into_iter().map(|(_, r)| r).collect(), drafts_deleted: drafts })
}

/// Everything about a citizen's cases, for the account's data export.
pub async fn export_for(tx: &mut TenantTx, citizen: Uuid) -> Result<serde_json::Value> {
    let mut out = Vec::new();
    for case in cases_of(tx, citizen).await? {
        let events = events(tx, case.case_id, false).await?;
        let files = files_of_case(tx, case.case_id).await?;
        out.push(serde_json::json!({
            "reference": case.reference,
            "service": case.service_slug,
            "status": case.status.as_str(),
            "submitted_at": case.submitted_at.to_string(),
            "form": { "schema_hash": case.schema_hash, "answers": case.answers },
            "timeline": events.iter().map(|e| serde_json::json!({"kind": e.kind.as_str(), "status": e.status.map(Status::as_str), "text": e.body, "at": e.at.to_string()})).collect::<Vec<_>>(),
            "files": files.iter().map(|f| serde_json::json!({"name": f.name, "type": f.content_type, "size": f.size})).collect::<Vec<_>>(),
        }));
    }
    let drafts: Vec<serde_json::Value> =
        drafts_of(tx, citizen).await?.into_iter().map(|(d, _)| serde_json::json!({"service": d.service_slug, "answers": d.answers, "expires_at": d.expires_at.to_string()})).collect();
    Ok(serde_json::json!({ "cases": out, "drafts": drafts }))
}
