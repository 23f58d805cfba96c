//! Start-up sync of the data files: the base catalogue always, the demo tenants in demo mode.
//!
//! This is the workflow that coordinates the catalogue and tenancy contexts; neither knows the other.

use std::collections::BTreeSet;

use anyhow::Context;
use portal_catalogue::{Catalogue, ServiceOverride, repo as catalogue_repo, sync::sync_catalogue};
use portal_db::Db;
use portal_domain::{Cents, TenantId};
use portal_tenancy::demo::DemoTenant;
use portal_tenancy::repo::{self as tenant_repo, NewTenant};

/// Upserts the catalogue in one transaction, serialised across servers by an advisory lock.
pub async fn sync_base_catalogue(db: &Db, catalogue: &Catalogue) -> anyhow::Result<()> {
    let mut tx = db.platform().await?;
    sqlx::query("select pg_advisory_xact_lock(hashtext('kommunalportal.catalogue-sync'))").execute(tx.conn()).await?;
    let report = sync_catalogue(&mut tx, catalogue).await.context("catalogue sync")?;
    tx.commit().await?;
    tracing::info!(
        inserted = report.inserted,
        updated = report.updated,
        removed = report.removed,
        services = catalogue.services.len(),
        "base catalogue synced"
    );
    Ok(())
}

/// The services a demo tenant offers: its presets, plus `add`, minus `remove`.
pub fn demo_selection(catalogue: &Catalogue, t: &DemoTenant) -> anyhow::Result<Vec<String>> {
    let mut set = BTreeSet::new();
    for p in &t.services.presets {
        let preset = catalogue.preset(p).with_context(|| format!("{}: unknown preset `{p}`", t.file.display()))?;
        set.extend(preset.services.iter().map(|s| s.to_string()));
    }
    for s in &t.services.add {
        anyhow::ensure!(catalogue.service(s).is_some(), "{}: unknown service `{s}` in `add`", t.file.display());
        set.insert(s.to_string());
    }
    for s in &t.services.remove {
        set.remove(s.as_str());
    }
    for o in &t.overrides {
        anyhow::ensure!(
            set.contains(o.service.as_str()),
            "{}: override for `{}`, which the tenant does not offer",
            t.file.display(),
            o.service
        );
    }
    Ok(set.into_iter().collect())
}

/// Upserts the demo tenants (parents first) and removes demo tenants whose file is gone.
/// Each tenant is written in one transaction: identity and hosts, then branding, logo, services.
pub async fn sync_demo_tenants(
    db: &Db,
    catalogue: &Catalogue,
    tenants: &[DemoTenant],
    oidc: &portal_identity::oidc::Oidc,
) -> anyhow::Result<()> {
    for t in tenants {
        let selection = demo_selection(catalogue, t)?;
        let mut tx = db.platform().await?;
        sqlx::query("select pg_advisory_xact_lock(hashtext('kommunalportal.demo-sync'))").execute(tx.conn()).await?;
        let parent = match &t.parent {
            Some(p) => Some(
                tenant_repo::get_by_slug(&mut tx, p.as_str())
                    .await?
                    .with_context(|| format!("{}: parent `{p}` not synced", t.file.display()))?
                    .id(),
            ),
            None => None,
        };
        let new =
            NewTenant { slug: t.slug.clone(), kind: t.kind, parent, name: t.name.clone(), hosts: t.hosts.clone() };
        let id: TenantId = match tenant_repo::get_by_slug(&mut tx, t.slug.as_str()).await? {
            Some(existing) => {
                tenant_repo::update(&mut tx, existing.id(), &new)
                    .await
                    .with_context(|| t.file.display().to_string())?;
                existing.id()
            }
            None => tenant_repo::create(&mut tx, &new, true).await.with_context(|| t.file.display().to_string())?,
        };
        let mut tx = tx.into_tenant(id).await?;
        tenant_repo::save_branding(&mut tx, &t.branding).await?;
        tenant_repo::save_logo(&mut tx, &t.logo).await?;
        catalogue_repo::set_selection(&mut tx, &selection).await?;
        for slug in &selection {
            let Ok(slug) = portal_domain::ServiceSlug::parse(slug) else { continue };
            let o = t.overrides.iter().find(|o| o.service == slug);
            let value = o.map(|o| ServiceOverride {
                fee: o.fee_cents.and_then(|c| Cents::new(i64::from(c)).ok()),
                name: o.name.clone(),
                summary: o.summary.clone(),
                office: o.office.clone(),
                contact_email: o.contact_email.clone(),
                contact_phone: o.contact_phone.clone(),
            });
            catalogue_repo::set_override(&mut tx, &slug, &value.unwrap_or_default()).await?;
        }
        for p in &t.identity_providers {
            let mut config = portal_identity::oidc::ProviderConfig {
                slug: p.slug.clone(),
                display_name: p.display_name.clone(),
                issuer_url: p.issuer_url.clone(),
                client_id: p.client_id.clone(),
                sealed_secret: None,
                scopes: p.scopes.clone(),
                enabled: true,
            };
            config.sealed_secret = Some(oidc.seal_secret(tx.tenant_id().0, &config, &p.client_secret));
            portal_identity::oidc::save_provider(&mut tx, &config)
                .await
                .with_context(|| t.file.display().to_string())?;
        }
        if let Some(p) = &t.staff_second_factor {
            let policy = portal_identity::staff::SecondFactorPolicy::parse(p)
                .with_context(|| format!("{}: staff_second_factor must be none, admins or all", t.file.display()))?;
            portal_identity::staff::set_second_factor_policy(&mut tx, policy).await?;
        }
        tx.commit().await?;
    }
    let keep: Vec<&str> = tenants.iter().map(|t| t.slug.as_str()).collect();
    let mut tx = db.platform().await?;
    // children before parents
    let removed = sqlx::query(
        "with recursive doomed as (select tenant_id, 0 as depth from tenant where is_demo and slug <> all($1)
             union all select t.tenant_id, d.depth + 1 from tenant t join doomed d on t.parent_id = d.tenant_id where t.is_demo)
         delete from tenant where tenant_id in (select tenant_id from doomed)",
    )
    .bind(&keep)
    .execute(tx.conn())
    .await?
    .rows_affected();
    tx.commit().await?;
    tracing::info!(tenants = tenants.len(), removed, "demo tenants synced");
    Ok(())
}
