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
    tracing::info!(inserted = report.inserted, updated = report.updated, removed = report.removed, services = catalogue.services.len(), "base catalogue synced");
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
        anyhow::ensure!(set.contains(o.service.as_str()), "{}: override for `{}`, which the tenant does not offer", t.file.display(), o.service);
    }
    Ok(set.into_iter().collect())
}

/// Upserts the demo tenants (parents first) and removes demo tenants whose file is gone.
/// Each tenant is written in one transaction: identity and hosts, then branding, logo, services.
pub async fn sync_demo_tenants(db: &Db, catalogue: &Catalogue, tenants: &[DemoTenant], oidc: &portal_identity::oidc::Oidc) -> anyhow::Result<()> {
    for t in tenants {
        let selection = demo_selection(catalogue, t)?;
        let mut tx = db.platform().await?;
        sqlx::query("select pg_advisory_xact_lock(hashtext('kommunalportal.demo-sync'))").execute(tx.conn()).await?;
        let parent = match &t.parent {
            Some(p) => Some(tenant_repo::get_by_slug(&mut tx, p.as_str()).await?.with_context(|| format!("{}: parent `{p}` not synced", t.file.display()))?.id()),
            None => None,
        };
        let new = NewTenant { slug: t.slug.clone(), kind: t.kind, parent, name: t.name.clone(), hosts: t.hosts.clone() };
        let id: TenantId = match tenant_repo::get_by_slug(&mut tx, t.slug.as_str()).await? {
            Some(existing) => {
                tenant_repo::update(&mut tx, existing.id(), &new).await.with_context(|| t.file.display().to_string())?;
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
            portal_identity::oidc::save_provider(&mut tx, &config).await.with_context(|| t.file.display().to_string())?;
        }
        if let Some(p) = &t.staff_second_factor {
            let policy = portal_identity::staff::SecondFactorPolicy::parse(p).with_context(|| format!("{}: staff_second_factor must be none, admins or all", t.file.display()))?;
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

/// The demo tenants' payment set-up (`tenants/demo/payments/payments.toml`).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoPayments {
    #[serde(default)]
    tenant: Vec<DemoPaymentTenant>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoPaymentTenant {
    slug: String,
    plan: String,
    mode: String,
    #[serde(default)]
    stripe_account: Option<String>,
    #[serde(default)]
    methods: Vec<String>,
    #[serde(default)]
    kassenzeichen_prefix: String,
    #[serde(default = "default_digits")]
    kassenzeichen_digits: u8,
    #[serde(default)]
    cash_office_email: Option<String>,
    #[serde(default)]
    offline_note_de: String,
    #[serde(default)]
    offline_note_en: String,
    #[serde(default)]
    service: Vec<DemoServiceFee>,
}

fn default_digits() -> u8 {
    8
}

fn default_pay_days() -> i32 {
    14
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoServiceFee {
    service: String,
    fee: portal_payments::FeeRule,
    booking_text: String,
    cost_centre: String,
    account: String,
    #[serde(default)]
    cost_unit: String,
    timing: String,
    #[serde(default = "default_pay_days")]
    pay_days: i32,
}

/// Syncs the demo payment set-up; every value goes through the same checks as the settings pages
/// (a fee rule must fit the service's form), and a mistake stops start-up naming the file.
pub async fn sync_demo_payments(db: &Db, file: &std::path::Path) -> anyhow::Result<()> {
    use portal_payments::{AccountAssignment, BookingText, KassenzeichenScheme, Method, PaymentSetup, ServicePayment, Timing, repo};
    let Ok(text) = std::fs::read_to_string(file) else { return Ok(()) };
    let demo: DemoPayments = toml::from_str(&text).with_context(|| file.display().to_string())?;
    for t in demo.tenant {
        let ctx = || format!("{}: tenant {}", file.display(), t.slug);
        let mut platform = db.platform().await?;
        let tenant = tenant_repo::get_by_slug(&mut platform, &t.slug).await?.with_context(ctx)?.id();
        anyhow::ensure!(repo::set_tenant_plan(platform.conn(), tenant, &t.plan).await?, "{}: no plan {}", ctx(), t.plan);
        let mut tx = platform.into_tenant(tenant).await?;
        let setup = PaymentSetup {
            online: t.mode == "online",
            stripe_account_id: t.stripe_account.clone(),
            methods: if t.methods.is_empty() { vec![Method::Card] } else { t.methods.iter().map(|m| Method::parse(m)).collect::<Result<_, _>>().with_context(ctx)? },
            offline_note_de: t.offline_note_de.clone(),
            offline_note_en: t.offline_note_en.clone(),
            kassenzeichen: KassenzeichenScheme::parse(&t.kassenzeichen_prefix, &t.kassenzeichen_digits.to_string()).with_context(ctx)?,
            cash_office_email: t.cash_office_email.clone(),
            ..PaymentSetup::default()
        };
        repo::save_setup(&mut tx, &setup).await.map_err(|e| anyhow::anyhow!("{}: {e}", ctx()))?;
        for s in &t.service {
            let form = portal_cases::service_form(&mut tx, &s.service).await?.with_context(|| format!("{}: service {} is not offered or has no form", ctx(), s.service))?;
            s.fee.check(Some(&form.schema)).with_context(|| format!("{}: service {}", ctx(), s.service))?;
            let p = ServicePayment {
                service_slug: s.service.clone(),
                rule: s.fee.clone(),
                booking_text: BookingText::parse(&s.booking_text).with_context(ctx)?,
                assignment: AccountAssignment::parse(&s.cost_centre, &s.account, &s.cost_unit).map_err(|e| anyhow::anyhow!("{}: {e:?}", ctx()))?,
                timing: Timing::parse(&s.timing).with_context(ctx)?,
                pay_days: s.pay_days,
            };
            anyhow::ensure!(repo::save_service_payment(&mut tx, &p).await?, "{}: service {} not offered", ctx(), s.service);
        }
        tx.commit().await?;
    }
    Ok(())
}

/// The demo tenants' appointment set-up (`tenants/demo/appointments/appointments.toml`).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoAppointments {
    #[serde(default)]
    tenant: Vec<DemoAppointmentTenant>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoAppointmentTenant {
    slug: String,
    land: String,
    #[serde(default)]
    location: Vec<DemoLocation>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoLocation {
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    accessibility: String,
    display_token: String,
    /// Weekday (mo, di, mi, do, fr, sa, so) → "08:00-12:00, 13:00-16:00".
    hours: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    counter: Vec<DemoCounter>,
    #[serde(default)]
    rule: Vec<DemoRule>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoCounter {
    name: String,
    services: Vec<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoRule {
    service: String,
    duration: i32,
    #[serde(default)]
    buffer: i32,
    #[serde(default = "default_notice")]
    notice: i32,
    #[serde(default = "default_days_ahead")]
    days_ahead: i32,
    #[serde(default = "default_persons")]
    persons: i32,
    #[serde(default)]
    walkin_share: i32,
}

fn default_notice() -> i32 {
    60
}

fn default_days_ahead() -> i32 {
    60
}

fn default_persons() -> i32 {
    1
}

/// Syncs the demo appointment set-up: settings, locations (by name), hours, counters (by name) and
/// rules. Nothing is deleted, so bookings made in the demo keep their counters.
pub async fn sync_demo_appointments(db: &Db, file: &std::path::Path) -> anyhow::Result<()> {
    use portal_appointments::repo;
    let Ok(text) = std::fs::read_to_string(file) else { return Ok(()) };
    let demo: DemoAppointments = toml::from_str(&text).with_context(|| file.display().to_string())?;
    const DAYS: [(&str, time::Weekday); 7] = [
        ("mo", time::Weekday::Monday),
        ("di", time::Weekday::Tuesday),
        ("mi", time::Weekday::Wednesday),
        ("do", time::Weekday::Thursday),
        ("fr", time::Weekday::Friday),
        ("sa", time::Weekday::Saturday),
        ("so", time::Weekday::Sunday),
    ];
    for t in demo.tenant {
        let ctx = || format!("{}: tenant {}", file.display(), t.slug);
        let mut platform = db.platform().await?;
        let tenant = tenant_repo::get_by_slug(&mut platform, &t.slug).await?.with_context(ctx)?.id();
        let mut tx = platform.into_tenant(tenant).await?;
        let land = portal_appointments::Land::parse(&t.land).with_context(|| format!("{}: land {}", ctx(), t.land))?;
        let settings = repo::settings(&mut tx).await?.unwrap_or_default();
        repo::save_settings(&mut tx, &repo::Settings { land, ..settings }).await?;
        let existing = repo::locations(&mut tx).await?;
        for l in &t.location {
            let id = existing.iter().find(|e| e.name == l.name).map(|e| e.id);
            let id = repo::save_location(&mut tx, id, &l.name, &l.address, &l.contact, &l.accessibility, true).await?;
            repo::set_display_token(&mut tx, id, &l.display_token).await.with_context(|| format!("{}: display_token of {}", ctx(), l.name))?;
            let mut hours = vec![];
            for (key, text) in &l.hours {
                let day = DAYS.iter().find(|(k, _)| k == key).map(|(_, w)| *w).with_context(|| format!("{}: weekday {key}", ctx()))?;
                let list = portal_appointments::slots::parse_hours(text).with_context(|| format!("{}: hours {text}", ctx()))?;
                hours.extend(list.into_iter().map(|(o, c)| (day, o, c)));
            }
            repo::set_hours(&mut tx, id, &hours).await?;
            for r in &l.rule {
                let rule = repo::Rule {
                    service: r.service.clone(),
                    duration_min: r.duration,
                    buffer_min: r.buffer,
                    min_notice_min: r.notice,
                    max_days_ahead: r.days_ahead,
                    max_persons: r.persons,
                    walkin_share: r.walkin_share,
                };
                anyhow::ensure!(repo::save_rule(&mut tx, id, &rule).await?, "{}: service {} is not offered", ctx(), r.service);
            }
            let counters = repo::counters(&mut tx, id).await?;
            for c in &l.counter {
                let existing = counters.iter().find(|e| e.name == c.name).map(|e| e.id);
                anyhow::ensure!(repo::save_counter(&mut tx, id, existing, &c.name, &c.services, true).await?, "{}: counter {}", ctx(), c.name);
            }
        }
        tx.commit().await?;
    }
    Ok(())
}
