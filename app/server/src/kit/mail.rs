//! Queues tenant mail: renders a template in the tenant's branding and puts it into the job queue in
//! the caller's transaction.

use axum::http::HeaderMap;
use portal_db::TenantTx;
use portal_domain::{HostName, Lang};
use portal_mail::{Branding, Mail};
use portal_web::{AppError, AppState, TenantContext};

/// The base URL of a portal host for links in mails: https in production; on plain-http development
/// set-ups with the port of the current request, where several servers share a host.
pub fn base_url(state: &AppState, host: &HostName, headers: &HeaderMap) -> String {
    if state.config.secure_cookies {
        return format!("https://{}", host.as_str());
    }
    format!("http://{}{}", host.as_str(), super::page::port_suffix(headers))
}

/// The mail frame of the transaction's tenant: its branding, else its name (`name`, or read from
/// the tenant when a job sends without a request).
pub async fn branding(tx: &mut TenantTx, base: &str, name: Option<&str>) -> Result<Branding, AppError> {
    let branding = portal_tenancy::repo::branding_and_logo_hash(tx).await?.map(|(b, _)| b);
    let tenant_name = match (&branding, name) {
        (Some(b), _) => b.display_name.clone(),
        (None, Some(n)) => n.to_owned(),
        (None, None) => {
            sqlx::query_scalar::<_, String>("select name from tenant where tenant_id = current_tenant_id()")
                .fetch_optional(tx.conn())
                .await?
                .unwrap_or_default()
        }
    };
    Ok(Branding {
        tenant_name,
        primary_colour: branding.as_ref().map_or_else(|| "#0b4ea2".to_owned(), |b| b.primary_colour.to_string()),
        reply_to: branding.as_ref().and_then(|b| b.contact_email.clone()),
        portal_url: base.to_owned(),
    })
}

/// Renders `mail` for `to` in the tenant's branding and queues it.
pub async fn queue(
    tx: &mut TenantTx,
    ctx: &TenantContext,
    base: &str,
    lang: Lang,
    to: &str,
    mail: Mail,
) -> Result<(), AppError> {
    let b = branding(tx, base, Some(&ctx.entry.name)).await?;
    let message = portal_mail::render(&mail, lang, &b, to, &|key, args| portal_ui::i18n::tr_with(lang, key, args));
    let tenant = tx.tenant_id();
    portal_mail::enqueue(tx.conn(), Some(tenant), &message).await?;
    Ok(())
}
