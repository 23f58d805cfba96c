//! The catalogue data files (`tenants/catalogue`), parsed into typed structs.
//!
//! Unknown keys and invalid values are refused with the file and line; cross-references (a preset
//! naming an unknown service, a duplicate slug) are refused with the line of the reference.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use portal_domain::{LeikaKey, Localized, ServiceSlug};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use portal_domain::line_of;
use portal_forms::FormSchema;

/// A catalogue data file could not be read or is invalid.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", file.display())]
pub struct CatalogueError {
    pub file: PathBuf,
    pub message: String,
}

impl CatalogueError {
    fn at(file: &Path, message: impl Into<String>) -> Self {
        Self { file: file.to_owned(), message: message.into() }
    }
}

/// A category of services.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub slug: ServiceSlug,
    pub name: Localized,
}

/// One base service, as written in the files.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BaseService {
    pub slug: ServiceSlug,
    #[serde(default)]
    pub leika: Option<LeikaKey>,
    pub name: Localized,
    pub summary: Localized,
    pub description: Localized,
    #[serde(default)]
    pub keywords: Localized,
    #[serde(default)]
    pub fee_cents: Option<u32>,
    #[serde(default)]
    pub fee_note: Localized,
    pub appointment: bool,
    pub online: bool,
    #[serde(default)]
    pub documents: Vec<Localized>,
    /// Set from the file's `category`, not written per service.
    #[serde(skip_deserializing)]
    pub category: Option<ServiceSlug>,
    /// The online form, from `forms/<slug>.toml` (part of the content hash: a changed form is a new
    /// version of the service).
    #[serde(skip_deserializing)]
    pub form: Option<FormSchema>,
}

/// A named selection of services.
#[derive(Debug, Clone, PartialEq)]
pub struct Preset {
    pub slug: ServiceSlug,
    pub name: Localized,
    pub services: Vec<ServiceSlug>,
}

/// The whole catalogue, validated.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub categories: Vec<Category>,
    pub services: Vec<BaseService>,
    pub presets: Vec<Preset>,
    pub synonyms: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoriesFile {
    category: Vec<Category>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServicesFile {
    category: Spanned<ServiceSlug>,
    service: Vec<Spanned<BaseService>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PresetsFile {
    preset: Vec<PresetEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PresetEntry {
    slug: ServiceSlug,
    name: Localized,
    services: Vec<Spanned<ServiceSlug>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SynonymsFile {
    synonyms: BTreeMap<String, Vec<String>>,
}

fn read(path: &Path) -> Result<String, CatalogueError> {
    std::fs::read_to_string(path).map_err(|e| CatalogueError::at(path, format!("cannot read: {e}")))
}

fn parse<T: serde::de::DeserializeOwned>(path: &Path, src: &str) -> Result<T, CatalogueError> {
    // toml's message names line and column and shows the offending line.
    toml::from_str(src).map_err(|e| CatalogueError::at(path, e.to_string()))
}

fn check_texts(path: &Path, line: usize, what: &str, text: &Localized) -> Result<(), CatalogueError> {
    if text.de.trim().is_empty() || text.en.trim().is_empty() {
        return Err(CatalogueError::at(path, format!("line {line}: {what} needs both a German and an English text")));
    }
    Ok(())
}

/// Reads `forms/<slug>.toml`: each names a service by its file name and must be a valid schema.
fn load_forms(dir: &Path, services: &mut [BaseService]) -> Result<(), CatalogueError> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    for path in files {
        let slug = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
        let Some(service) = services.iter_mut().find(|s| s.slug.as_str() == slug) else {
            return Err(CatalogueError::at(&path, format!("names no service of the catalogue (`{slug}`)")));
        };
        let schema: FormSchema = parse(&path, &read(&path)?)?;
        schema.check().map_err(|e| CatalogueError::at(&path, e.to_string()))?;
        service.form = Some(schema);
    }
    Ok(())
}

impl Catalogue {
    /// Loads and validates `dir` (the `tenants/catalogue` folder).
    pub fn load(dir: &Path) -> Result<Self, CatalogueError> {
        let categories_path = dir.join("categories.toml");
        let categories: CategoriesFile = parse(&categories_path, &read(&categories_path)?)?;
        let mut category_slugs = HashSet::new();
        for c in &categories.category {
            check_texts(&categories_path, 0, &format!("category `{}`", c.slug), &c.name)?;
            if !category_slugs.insert(c.slug.clone()) {
                return Err(CatalogueError::at(&categories_path, format!("category `{}` appears twice", c.slug)));
            }
        }

        let services_dir = dir.join("services");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&services_dir)
            .map_err(|e| CatalogueError::at(&services_dir, format!("cannot list: {e}")))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();

        let mut services = Vec::new();
        let mut seen = HashSet::new();
        for path in &files {
            let src = read(path)?;
            let file: ServicesFile = parse(path, &src)?;
            if !category_slugs.contains(file.category.get_ref()) {
                let line = line_of(&src, file.category.span().start);
                return Err(CatalogueError::at(
                    path,
                    format!("line {line}: unknown category `{}`", file.category.get_ref()),
                ));
            }
            for spanned in file.service {
                let line = line_of(&src, spanned.span().start);
                let mut service = spanned.into_inner();
                if !seen.insert(service.slug.clone()) {
                    return Err(CatalogueError::at(
                        path,
                        format!("line {line}: service `{}` appears twice in the catalogue", service.slug),
                    ));
                }
                check_texts(path, line, "name", &service.name)?;
                check_texts(path, line, "summary", &service.summary)?;
                check_texts(path, line, "description", &service.description)?;
                for d in &service.documents {
                    check_texts(path, line, "a document", d)?;
                }
                service.category = Some(file.category.get_ref().clone());
                services.push(service);
            }
        }

        load_forms(&dir.join("forms"), &mut services)?;

        let presets_path = dir.join("presets.toml");
        let presets_src = read(&presets_path)?;
        let presets_file: PresetsFile = parse(&presets_path, &presets_src)?;
        let mut presets = Vec::new();
        for p in presets_file.preset {
            let mut list = Vec::new();
            for s in p.services {
                if !seen.contains(s.get_ref()) {
                    let line = line_of(&presets_src, s.span().start);
                    return Err(CatalogueError::at(
                        &presets_path,
                        format!("line {line}: preset `{}` names unknown service `{}`", p.slug, s.get_ref()),
                    ));
                }
                list.push(s.into_inner());
            }
            presets.push(Preset { slug: p.slug, name: p.name, services: list });
        }

        let synonyms_path = dir.join("synonyms.toml");
        let synonyms: SynonymsFile = parse(&synonyms_path, &read(&synonyms_path)?)?;
        for (term, expansions) in &synonyms.synonyms {
            if term != &term.to_lowercase() || expansions.is_empty() {
                return Err(CatalogueError::at(
                    &synonyms_path,
                    format!("synonym `{term}` must be lower-case and expand to at least one word"),
                ));
            }
        }

        Ok(Self { categories: categories.category, services, presets, synonyms: synonyms.synonyms })
    }

    pub fn service(&self, slug: &ServiceSlug) -> Option<&BaseService> {
        self.services.iter().find(|s| &s.slug == slug)
    }

    pub fn preset(&self, slug: &str) -> Option<&Preset> {
        self.presets.iter().find(|p| p.slug.as_str() == slug)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::create_dir_all(dir.join(name).parent().unwrap_or(dir)).ok();
        std::fs::write(dir.join(name), text).ok();
    }

    fn minimal(dir: &Path, service_extra: &str) {
        write(dir, "categories.toml", "[[category]]\nslug = \"meldewesen\"\nname = { de = \"M\", en = \"R\" }\n");
        write(
            dir,
            "services/m.toml",
            &format!(
                "category = \"meldewesen\"\n\n[[service]]\nslug = \"meldebescheinigung\"\nname = {{ de = \"a\", en = \"b\" }}\nsummary = {{ de = \"a\", en = \"b\" }}\ndescription = {{ de = \"a\", en = \"b\" }}\nappointment = false\nonline = true\n{service_extra}"
            ),
        );
        write(
            dir,
            "presets.toml",
            "[[preset]]\nslug = \"grundausstattung\"\nname = { de = \"G\", en = \"B\" }\nservices = [\"meldebescheinigung\"]\n",
        );
        write(dir, "synonyms.toml", "[synonyms]\nperso = [\"personalausweis\"]\n");
    }

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("catalogue-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn unknown_key_is_refused_with_file_and_line() {
        let dir = tmp("unknown");
        minimal(&dir, "colour = \"red\"\n");
        let err = Catalogue::load(&dir).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("services/m.toml"), "{err}");
        assert!(err.contains("line 10") && err.contains("colour"), "{err}");
    }

    #[test]
    fn invalid_leika_key_is_refused_with_line() {
        let dir = tmp("leika");
        minimal(&dir, "leika = \"123\"\n");
        let err = Catalogue::load(&dir).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("line 10") && err.contains("LeiKa"), "{err}");
    }

    #[test]
    fn minimal_catalogue_loads() {
        let dir = tmp("ok");
        minimal(&dir, "");
        let c = Catalogue::load(&dir).expect("loads");
        assert_eq!(c.services.len(), 1);
        assert_eq!(c.services[0].category.as_ref().map(|c| c.as_str()), Some("meldewesen"));
    }
}
