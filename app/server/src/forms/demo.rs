//! The demo tenants' own services (`tenants/demo/forms/own-services.toml`): each added once with
//! its form (`<slug>.toml` beside it) published as version 1 and offered on the portal. A tenant's
//! later changes stay; a retried sync adds nothing twice.

use std::path::Path;

use anyhow::Context;
use portal_catalogue::own::{self, OwnServiceInput};
use portal_db::Db;
use portal_domain::{Cents, Localized};
use portal_forms::FormSchema;

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    service: Vec<DemoService>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoService {
    tenant: String,
    slug: String,
    category: String,
    name: Localized,
    summary: Localized,
    #[serde(default)]
    description: Option<Localized>,
    #[serde(default)]
    keywords: Option<Localized>,
    #[serde(default)]
    fee_cents: Option<i64>,
    #[serde(default)]
    fee_note: Option<Localized>,
    #[serde(default)]
    office: Option<String>,
    #[serde(default)]
    appointment_required: bool,
    #[serde(default)]
    fully_online: bool,
}

fn empty() -> Localized {
    Localized { de: String::new(), en: String::new() }
}

pub async fn sync(db: &Db, file: &Path) -> anyhow::Result<()> {
    let Ok(text) = std::fs::read_to_string(file) else { return Ok(()) };
    let parsed: File = toml::from_str(&text).with_context(|| file.display().to_string())?;
    let dir = file.parent().unwrap_or(Path::new("."));
    for s in parsed.service {
        anyhow::ensure!(
            s.slug.starts_with(own::PREFIX),
            "{}: `{}` must start with `{}`",
            file.display(),
            s.slug,
            own::PREFIX
        );
        let form_file = dir.join(format!("{}.toml", s.slug));
        let form: FormSchema =
            toml::from_str(&std::fs::read_to_string(&form_file).with_context(|| form_file.display().to_string())?)
                .with_context(|| form_file.display().to_string())?;
        form.check().with_context(|| form_file.display().to_string())?;
        let mut tx = db.platform().await?;
        let Some(tenant) = portal_tenancy::repo::get_by_slug(&mut tx, &s.tenant).await? else {
            anyhow::bail!("{}: no demo tenant `{}`", file.display(), s.tenant);
        };
        let mut tx = tx.into_tenant(tenant.id()).await?;
        let input = OwnServiceInput {
            category: s.category,
            name: s.name,
            summary: s.summary,
            description: s.description.unwrap_or_else(empty),
            keywords: s.keywords.unwrap_or_else(empty),
            fee: s.fee_cents.map(Cents::new).transpose().map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?,
            fee_note: s.fee_note.unwrap_or_else(empty),
            appointment_required: s.appointment_required,
            fully_online: s.fully_online,
            office: s.office,
        };
        if own::insert(&mut tx, &s.slug, &input, "Demo").await? {
            portal_cases::builder::save_draft(&mut tx, &s.slug, &form, &[], None, "Demo").await?;
            portal_cases::builder::publish(&mut tx, &s.slug, 1, "Demo").await?;
            own::set_offered(&mut tx, &s.slug, true).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// The demo sync of the registry: `forms/own-services.toml` below the demo folder.
pub fn demo<'a>(db: &'a Db, demo_dir: &'a std::path::Path) -> crate::kit::registry::BoxFuture<'a, anyhow::Result<()>> {
    Box::pin(async move { sync(db, &demo_dir.join("forms/own-services.toml")).await })
}
