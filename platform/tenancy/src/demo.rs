//! The demo tenants under `tenants/demo`: one TOML file per tenant, logos beside them.
//!
//! Parsing checks syntax, types, colours, host names and logos (with file and line); references
//! between files (parents, duplicate hosts) are checked across the whole folder. Whether named
//! services exist is checked by the sync, which also knows the catalogue.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use portal_domain::{Colour, HostName, Localized, ServiceSlug, TenantKind, TenantSlug, line_of};
use serde::Deserialize;
use toml::Spanned;

use crate::logo::Logo;

/// A demo data file is invalid.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", file.display())]
pub struct DemoError {
    pub file: PathBuf,
    pub message: String,
}

fn err(file: &Path, message: impl Into<String>) -> DemoError {
    DemoError { file: file.to_owned(), message: message.into() }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoFile {
    slug: TenantSlug,
    kind: TenantKind,
    name: String,
    #[serde(default)]
    parent: Option<Spanned<TenantSlug>>,
    hosts: Vec<Spanned<HostName>>,
    services: DemoServices,
    branding: DemoBranding,
    #[serde(default, rename = "override")]
    overrides: Vec<DemoOverride>,
    #[serde(default, rename = "identity_provider")]
    identity_providers: Vec<DemoIdentityProvider>,
    /// Whom the tenant requires a second factor of at the staff login (`none`, `admins`, `all`;
    /// unset: the platform's default, admins).
    #[serde(default)]
    staff_second_factor: Option<String>,
}

/// An identity provider of a demo tenant (the local test provider in the demo set-up).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoIdentityProvider {
    pub slug: String,
    pub display_name: String,
    pub issuer_url: String,
    pub client_id: String,
    /// The provider's client secret for this portal (the local test provider's public one); sealed
    /// with the platform key when the demo is synced.
    pub client_secret: String,
    pub scopes: String,
}

/// Which services a demo tenant offers: presets, plus `add`, minus `remove`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoServices {
    #[serde(default)]
    pub presets: Vec<String>,
    #[serde(default)]
    pub add: Vec<ServiceSlug>,
    #[serde(default)]
    pub remove: Vec<ServiceSlug>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoBranding {
    display_name: String,
    primary_colour: Colour,
    secondary_colour: Colour,
    logo: Spanned<PathBuf>,
    #[serde(default)]
    contact_email: Option<String>,
    #[serde(default)]
    contact_phone: Option<String>,
    #[serde(default)]
    address: Option<String>,
    imprint: Localized,
    privacy: Localized,
    accessibility: Localized,
}

/// A demo tenant's change to one service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoOverride {
    pub service: ServiceSlug,
    #[serde(default)]
    pub fee_cents: Option<u32>,
    #[serde(default)]
    pub name: Option<Localized>,
    #[serde(default)]
    pub summary: Option<Localized>,
    #[serde(default)]
    pub office: Option<String>,
    #[serde(default)]
    pub contact_email: Option<String>,
    #[serde(default)]
    pub contact_phone: Option<String>,
}

/// A demo tenant, validated.
#[derive(Debug, Clone)]
pub struct DemoTenant {
    pub file: PathBuf,
    pub slug: TenantSlug,
    pub kind: TenantKind,
    pub name: String,
    pub parent: Option<TenantSlug>,
    pub hosts: Vec<HostName>,
    pub services: DemoServices,
    pub branding: crate::repo::Branding,
    pub logo: Logo,
    pub overrides: Vec<DemoOverride>,
    pub identity_providers: Vec<DemoIdentityProvider>,
    pub staff_second_factor: Option<String>,
}

/// Loads every `*.toml` in `dir`, parents before children.
pub fn load(dir: &Path) -> Result<Vec<DemoTenant>, DemoError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| err(dir, format!("cannot list: {e}")))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();

    let mut tenants = Vec::new();
    let mut parent_lines = HashMap::new();
    let mut hosts_seen: HashMap<String, PathBuf> = HashMap::new();
    for path in files {
        let src = std::fs::read_to_string(&path).map_err(|e| err(&path, format!("cannot read: {e}")))?;
        let f: DemoFile = toml::from_str(&src).map_err(|e| err(&path, e.to_string()))?;
        if f.hosts.is_empty() {
            return Err(err(&path, "`hosts` needs at least one host name"));
        }
        for h in &f.hosts {
            if let Some(other) = hosts_seen.insert(h.get_ref().to_string(), path.clone()) {
                let line = line_of(&src, h.span().start);
                return Err(err(
                    &path,
                    format!("line {line}: host `{}` is also used by {}", h.get_ref(), other.display()),
                ));
            }
        }
        let logo_path = dir.join(f.branding.logo.get_ref());
        let bytes = std::fs::read(&logo_path).map_err(|e| {
            let line = line_of(&src, f.branding.logo.span().start);
            err(&path, format!("line {line}: cannot read logo {}: {e}", logo_path.display()))
        })?;
        let logo = Logo::parse(bytes).map_err(|e| {
            let line = line_of(&src, f.branding.logo.span().start);
            err(&path, format!("line {line}: logo {}: {e}", logo_path.display()))
        })?;
        if let Some(p) = &f.parent {
            parent_lines.insert(f.slug.clone(), (path.clone(), line_of(&src, p.span().start)));
        }
        let b = f.branding;
        tenants.push(DemoTenant {
            file: path,
            slug: f.slug,
            kind: f.kind,
            name: f.name,
            parent: f.parent.map(Spanned::into_inner),
            hosts: f.hosts.into_iter().map(Spanned::into_inner).collect(),
            services: f.services,
            branding: crate::repo::Branding {
                display_name: b.display_name,
                primary_colour: b.primary_colour,
                secondary_colour: b.secondary_colour,
                contact_email: b.contact_email,
                contact_phone: b.contact_phone,
                address: b.address,
                imprint: b.imprint,
                privacy: b.privacy,
                accessibility: b.accessibility,
            },
            logo,
            overrides: f.overrides,
            identity_providers: f.identity_providers,
            staff_second_factor: f.staff_second_factor,
        });
    }

    // parents must exist among the demo files, be of a fitting kind, and come first
    let kinds: HashMap<TenantSlug, TenantKind> = tenants.iter().map(|t| (t.slug.clone(), t.kind)).collect();
    for t in &tenants {
        if let Some(parent) = &t.parent {
            let (file, line) = parent_lines.get(&t.slug).cloned().unwrap_or_else(|| (t.file.clone(), 0));
            let Some(parent_kind) = kinds.get(parent) else {
                return Err(err(&file, format!("line {line}: unknown parent `{parent}`")));
            };
            if !t.kind.may_have_parent(*parent_kind) {
                return Err(err(
                    &file,
                    format!("line {line}: a {} cannot belong to a {}", t.kind.as_str(), parent_kind.as_str()),
                ));
            }
        }
    }
    let mut ordered = Vec::with_capacity(tenants.len());
    let mut placed: HashSet<TenantSlug> = HashSet::new();
    while !tenants.is_empty() {
        let before = tenants.len();
        let (ready, rest): (Vec<_>, Vec<_>) =
            tenants.into_iter().partition(|t| t.parent.as_ref().is_none_or(|p| placed.contains(p)));
        for t in ready {
            placed.insert(t.slug.clone());
            ordered.push(t);
        }
        tenants = rest;
        if tenants.len() == before {
            return Err(err(&tenants[0].file, "the parents form a cycle"));
        }
    }
    Ok(ordered)
}
