//! The demo tenants' payment set-up (`tenants/demo/payments/payments.toml`).

use std::path::Path;

use anyhow::Context;
use portal_db::Db;
use portal_tenancy::repo as tenant_repo;

use crate::kit::registry::BoxFuture;

/// The demo sync of the registry: the file below the demo folder.
pub fn demo<'a>(db: &'a Db, demo_dir: &'a Path) -> BoxFuture<'a, anyhow::Result<()>> {
    Box::pin(sync(db, demo_dir.join("payments/payments.toml")))
}

/// The file: each tenant's payment set-up.
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
async fn sync(db: &Db, file: std::path::PathBuf) -> anyhow::Result<()> {
    let file = file.as_path();
    use portal_payments::{
        AccountAssignment, BookingText, KassenzeichenScheme, Method, PaymentSetup, ServicePayment, Timing, repo,
    };
    let Ok(text) = std::fs::read_to_string(file) else { return Ok(()) };
    let demo: DemoPayments = toml::from_str(&text).with_context(|| file.display().to_string())?;
    for t in demo.tenant {
        let ctx = || format!("{}: tenant {}", file.display(), t.slug);
        let mut platform = db.platform().await?;
        let tenant = tenant_repo::get_by_slug(&mut platform, &t.slug).await?.with_context(ctx)?.id();
        anyhow::ensure!(
            repo::set_tenant_plan(platform.conn(), tenant, &t.plan).await?,
            "{}: no plan {}",
            ctx(),
            t.plan
        );
        let mut tx = platform.into_tenant(tenant).await?;
        let setup = PaymentSetup {
            online: t.mode == "online",
            stripe_account_id: t.stripe_account.clone(),
            methods: if t.methods.is_empty() {
                vec![Method::Card]
            } else {
                t.methods.iter().map(|m| Method::parse(m)).collect::<Result<_, _>>().with_context(ctx)?
            },
            offline_note_de: t.offline_note_de.clone(),
            offline_note_en: t.offline_note_en.clone(),
            kassenzeichen: KassenzeichenScheme::parse(&t.kassenzeichen_prefix, &t.kassenzeichen_digits.to_string())
                .with_context(ctx)?,
            cash_office_email: t.cash_office_email.clone(),
            ..PaymentSetup::default()
        };
        repo::save_setup(&mut tx, &setup).await.map_err(|e| anyhow::anyhow!("{}: {e}", ctx()))?;
        for s in &t.service {
            let form = portal_cases::service_form(&mut tx, &s.service)
                .await?
                .with_context(|| format!("{}: service {} is not offered or has no form", ctx(), s.service))?;
            s.fee.check(Some(&form.schema)).with_context(|| format!("{}: service {}", ctx(), s.service))?;
            let p = ServicePayment {
                service_slug: s.service.clone(),
                rule: s.fee.clone(),
                booking_text: BookingText::parse(&s.booking_text).with_context(ctx)?,
                assignment: AccountAssignment::parse(&s.cost_centre, &s.account, &s.cost_unit)
                    .map_err(|e| anyhow::anyhow!("{}: {e:?}", ctx()))?,
                timing: Timing::parse(&s.timing).with_context(ctx)?,
                pay_days: s.pay_days,
            };
            anyhow::ensure!(
                repo::save_service_payment(&mut tx, &p).await?,
                "{}: service {} not offered",
                ctx(),
                s.service
            );
        }
        tx.commit().await?;
    }
    Ok(())
}
