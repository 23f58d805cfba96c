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

/// Renders `mail` for `to` in the tenant's branding and queues it.
pub async fn queue(tx: &mut TenantTx, ctx: &TenantContext, base: &str, lang: Lang, to: &str, mail: Mail) -> Result<(), AppError> {
    let branding = portal_tenancy::repo::branding_and_logo_hash(tx).await?.map(|(b, _)| b);
    let b = Branding {
        tenant_name: branding.as_ref().map_or_else(|| ctx.entry.name.clone(), |b| b.display_name.clone()),
        primary_colour: branding.as_ref().map_or_else(|| "#0b4ea2".to_owned(), |b| b.primary_colour.to_string()),
        reply_to: branding.as_ref().and_then(|b| b.contact_email.clone()),
        portal_url: base.to_owned(),
    };
    let message = portal_mail::render(&mail, lang, &b, to, &|key, args| portal_ui::i18n::tr_with(lang, key, args));
    let tenant = tx.tenant_id();
    portal_mail::enqueue(tx.conn(), Some(tenant), &message).await?;
    Ok(())
}
