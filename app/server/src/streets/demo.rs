//! The demo tenants' street directories (`tenants/demo/streets/<tenant>.toml`): each file replaces
//! its tenant's directory at start-up in demo mode, after the demo Kita portals (the Kita districts
//! are named, and found by name).

use anyhow::Context;
use portal_db::Db;
use portal_tenancy::streets::{self, StreetRow};

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoStreets {
    slug: String,
    #[serde(default)]
    street: Vec<StreetRow>,
}

/// Syncs every file of `dir` (none there: nothing to do).
pub async fn sync(db: &Db, dir: &std::path::Path) -> anyhow::Result<()> {
    let Ok(list) = std::fs::read_dir(dir) else { return Ok(()) };
    let mut files: Vec<std::path::PathBuf> =
        list.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).with_context(|| file.display().to_string())?;
        let demo: DemoStreets = toml::from_str(&text).with_context(|| file.display().to_string())?;
        let mut platform = db.platform().await?;
        let tenant = portal_tenancy::repo::get_by_slug(&mut platform, &demo.slug)
            .await?
            .with_context(|| format!("{}: tenant {}", file.display(), demo.slug))?
            .id();
        let mut tx = platform.into_tenant(tenant).await?;
        let districts = portal_kita::repo::districts(&mut tx).await?;
        let rows: Vec<(usize, StreetRow)> = demo.street.into_iter().enumerate().map(|(i, r)| (i + 1, r)).collect();
        let entries = streets::check_rows(&rows, |name| districts.iter().find(|d| d.name == name).map(|d| d.id))
            .map_err(|e| anyhow::anyhow!("{}: street entry {}: {:?}", file.display(), e.line, e.problem))?;
        let n = streets::replace(&mut tx, &entries).await?;
        tx.commit().await?;
        tracing::info!(tenant = %demo.slug, entries = n, "demo street directory synced");
    }
    Ok(())
}

/// The demo sync of the registry: `streets` below the demo folder.
pub fn demo<'a>(db: &'a Db, demo_dir: &'a std::path::Path) -> crate::kit::registry::BoxFuture<'a, anyhow::Result<()>> {
    Box::pin(async move { sync(db, &demo_dir.join("streets")).await })
}
