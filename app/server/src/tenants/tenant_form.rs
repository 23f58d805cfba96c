//! Creating and editing a tenant (with its branding and logo).

use super::*;
use crate::kit::checked::{Checked, Gated};
use crate::kit::notice::Notice;
use crate::kit::page::Language;
use crate::kit::params::Params;
use crate::kit::uploads::FileLimits;
use crate::tenants::paths;

/// A submitted tenant form: text fields and the optional logo file.
pub(super) struct TenantSubmission {
    fields: BTreeMap<String, String>,
    logo: Option<Vec<u8>>,
}

/// The text fields of a tenant form in all: the legal texts at their limit in four-byte characters.
const TENANT_TEXT_BYTES: usize = 2 * 1024 * 1024;

/// Reads the form: its text fields, then (the token checked first) at most one logo, kept up to
/// one byte over its limit so that `Logo::parse` can answer "too large" next to the field.
pub(super) async fn read_submission(post: Gated) -> Result<TenantSubmission, AppError> {
    let limit = u64::try_from(MAX_LOGO_BYTES).unwrap_or(u64::MAX);
    // the legal texts may be long (six of up to 20,000 characters, several bytes each)
    let posted = post
        .allow_text(TENANT_TEXT_BYTES)
        .read(|_| async move { Ok(FileLimits::inputs([("logo".to_owned(), limit, 1)])) })
        .await?;
    let fields = posted
        .form
        .0
        .iter()
        .filter(|(k, _)| TENANT_FORM_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let logo = posted.files_for("logo").into_iter().next().map(|u| u.bytes.clone());
    Ok(TenantSubmission { fields, logo })
}

/// The validated content of a tenant form.
pub(super) struct ValidTenant {
    tenant: NewTenant,
    branding: Branding,
    logo: Option<Logo>,
}

pub(super) fn validate(lang: Lang, sub: &TenantSubmission, ops_host: &HostName) -> Result<ValidTenant, FormState> {
    let mut form = submitted_form(sub);
    let get = |k: &str| sub.fields.get(k).map(|s| s.trim().to_owned()).unwrap_or_default();
    let mut err = |k: &str, msg: String| {
        form.errors.entry(k.to_owned()).or_insert(msg);
    };
    let required = tr(lang, "validation.required");
    let too_long = |max: usize| tr_with(lang, "validation.too_long", &[("max", &max.to_string())]);
    let text = |k: &str, max: usize, req: bool, err: &mut dyn FnMut(&str, String)| -> String {
        let v = get(k);
        if req && v.is_empty() {
            err(k, required.clone());
        } else if v.chars().count() > max {
            err(k, too_long(max));
        }
        v
    };

    let name = text("name", 200, true, &mut err);
    let slug = TenantSlug::parse(&get("slug"))
        .map_err(|_| {
            err("slug", if get("slug").is_empty() { required.clone() } else { tr(lang, "validation.slug_invalid") })
        })
        .ok();
    let kind = TenantKind::parse(&get("kind"));
    if kind.is_none() {
        err("kind", tr(lang, "validation.kind_invalid"));
    }
    let parent = match get("parent") {
        p if p.is_empty() => None,
        p => match Uuid::parse_str(&p) {
            Ok(u) => Some(TenantId(u)),
            Err(_) => {
                err("parent", tr(lang, "validation.parent_unknown"));
                None
            }
        },
    };
    let mut hosts: Vec<HostName> = Vec::new();
    let raw_hosts = get("hosts");
    for raw in raw_hosts.split(|c: char| c == '\n' || c == ',' || c.is_whitespace()).filter(|s| !s.trim().is_empty()) {
        match HostName::parse(raw) {
            Ok(h) if &h == ops_host => err("hosts", tr_with(lang, "validation.host_ops", &[("host", h.as_str())])),
            Ok(h) if hosts.contains(&h) => {
                err("hosts", tr_with(lang, "validation.hosts_duplicate", &[("host", h.as_str())]))
            }
            Ok(h) => hosts.push(h),
            Err(_) => err("hosts", tr_with(lang, "validation.host_invalid", &[("host", raw.trim())])),
        }
    }
    if raw_hosts.trim().is_empty() {
        err("hosts", tr(lang, "validation.hosts_required"));
    }
    let display_name = text("display_name", 200, true, &mut err);
    let white = Colour::parse("#ffffff").unwrap_or_default();
    let mut colour = |k: &str, needs_contrast: bool| match Colour::parse(&get(k)) {
        Ok(c) if needs_contrast && c.contrast(&white) < 4.5 => {
            err(k, tr_with(lang, "validation.colour_contrast", &[("ratio", &format!("{:.1}", c.contrast(&white)))]));
            None
        }
        Ok(c) => Some(c),
        Err(_) => {
            let v = get(k);
            err(
                k,
                if v.is_empty() {
                    required.clone()
                } else {
                    tr_with(lang, "validation.colour_invalid", &[("value", &v)])
                },
            );
            None
        }
    };
    let primary = colour("primary_colour", true);
    let secondary = colour("secondary_colour", false);
    let contact_email = match get("contact_email") {
        e if e.is_empty() => None,
        e => match operators::normalise_email(&e) {
            Ok(e) => Some(e),
            Err(_) => {
                err("contact_email", tr(lang, "validation.email_invalid"));
                None
            }
        },
    };
    let contact_phone = Some(text("contact_phone", 50, false, &mut err)).filter(|s| !s.is_empty());
    let address = Some(text("address", 300, false, &mut err)).filter(|s| !s.is_empty());
    let mut legal = |k: &str| text(k, 20_000, false, &mut err);
    let imprint = Localized { de: legal("imprint_de"), en: legal("imprint_en") };
    let privacy = Localized { de: legal("privacy_de"), en: legal("privacy_en") };
    let accessibility = Localized { de: legal("accessibility_de"), en: legal("accessibility_en") };
    let logo = match &sub.logo {
        None => None,
        Some(bytes) => match Logo::parse(bytes.clone()) {
            Ok(l) => Some(l),
            Err(e) => {
                let key = match e {
                    LogoError::TooLarge => "validation.logo_too_large",
                    LogoError::UnsafeSvg => "validation.logo_unsafe",
                    LogoError::SvgTooComplex(_) => "validation.logo_too_complex",
                    LogoError::Empty | LogoError::NotAnImage => "validation.logo_not_image",
                };
                err("logo", tr(lang, key));
                None
            }
        },
    };

    match (slug, kind, primary, secondary) {
        (Some(slug), Some(kind), Some(primary_colour), Some(secondary_colour)) if form.errors.is_empty() => {
            Ok(ValidTenant {
                tenant: NewTenant { slug, kind, parent, name, hosts },
                branding: Branding {
                    display_name,
                    primary_colour,
                    secondary_colour,
                    contact_email,
                    contact_phone,
                    address,
                    imprint,
                    privacy,
                    accessibility,
                },
                logo,
            })
        }
        _ => Err(form),
    }
}

/// Maps a refusal of the repository to the field it concerns.
pub(super) fn tenant_error_to_form(lang: Lang, e: TenantError, mut form: FormState) -> Result<FormState, AppError> {
    let (field, msg) = match e {
        TenantError::SlugTaken(_) => ("slug", tr(lang, "validation.slug_taken")),
        TenantError::HostTaken(h) => ("hosts", tr_with(lang, "validation.host_taken", &[("host", &h)])),
        TenantError::InvalidParent { child, parent } => (
            "parent",
            tr_with(
                lang,
                "validation.parent_invalid",
                &[
                    ("child", &tr(lang, &format!("console.kind_{child}"))),
                    ("parent", &tr(lang, &format!("console.kind_{parent}"))),
                ],
            ),
        ),
        TenantError::UnknownParent => ("parent", tr(lang, "validation.parent_unknown")),
        TenantError::ParentCycle => ("parent", tr(lang, "validation.parent_cycle")),
        TenantError::NotFound => return Err(AppError::not_found()),
        TenantError::Db(e) => return Err(e.into()),
    };
    form.errors.insert(field.to_owned(), msg);
    Ok(form)
}

pub(super) async fn parent_options(
    state: &AppState,
    lang: Lang,
    except: Option<Uuid>,
) -> Result<Vec<(String, String)>, AppError> {
    let mut tx = crate::kit::pipeline::platform_tx(state).await?;
    let list = tenants::possible_parents(&mut tx).await?;
    tx.finish().await?;
    Ok(list
        .into_iter()
        .filter(|(id, _, _)| Some(*id) != except)
        .map(|(id, name, kind)| (id.to_string(), format!("{name} ({})", portal_ui::console::kind_label(lang, &kind))))
        .collect())
}

pub(super) fn render_form(
    state: &AppState,
    lang: Lang,
    session: &OperatorSession,
    data: TenantFormData,
    status: StatusCode,
) -> Response {
    let path = data
        .tenant_id
        .as_ref()
        .map_or_else(|| paths::NEW_TENANT_FORM.path().to_owned(), |id| paths::EDIT_TENANT_FORM.with(&[&id]));
    let chrome = chrome(state, lang, Some(session), &path, true);
    html_status(status, portal_ui::render_document(move || view! { <TenantFormPage chrome=chrome data=data/> }))
}

pub(super) async fn new_tenant_form(
    State(state): State<AppState>,
    session: OperatorSession,
    Language(lang): Language,
) -> Result<Response, AppError> {
    let mut form = FormState::default();
    form.values.insert("primary_colour".into(), "#0b4ea2".into());
    form.values.insert("secondary_colour".into(), "#e6eef7".into());
    let data = TenantFormData {
        tenant_id: None,
        tenant_name: None,
        form,
        parents: parent_options(&state, lang, None).await?,
        logo_url: None,
    };
    Ok(render_form(&state, lang, &session, data, StatusCode::OK))
}

pub(super) async fn create_tenant(
    State(state): State<AppState>,
    ip: ClientIp,
    Language(lang): Language,
    Checked(session, post): Checked<OperatorSession, Gated>,
) -> Result<Response, AppError> {
    save_tenant(&state, &session, &ip, lang, None, post).await
}

pub(super) async fn update_tenant(
    State(state): State<AppState>,
    ip: ClientIp,
    Language(lang): Language,
    Params(id): Params<Uuid>,
    Checked(session, post): Checked<OperatorSession, Gated>,
) -> Result<Response, AppError> {
    save_tenant(&state, &session, &ip, lang, Some(id), post).await
}

/// The submitted values as a form to show again (without the CSRF token).
pub(super) fn submitted_form(sub: &TenantSubmission) -> FormState {
    FormState {
        values: sub.fields.clone(),
        order: TENANT_FORM_FIELDS.iter().map(|s| (*s).to_owned()).collect(),
        ..FormState::default()
    }
}

/// Creates (`existing` is `None`) or updates a tenant: identity and hosts on the platform path, then
/// branding and logo confined to the tenant, in one transaction. Invalid input shows the form again
/// with every value kept and each error next to its field.
pub(super) async fn save_tenant(
    state: &AppState,
    session: &OperatorSession,
    ip: &ClientIp,
    lang: Lang,
    existing: Option<Uuid>,
    post: Gated,
) -> Result<Response, AppError> {
    let sub = read_submission(post).await?;
    let (current_name, has_logo) = match existing {
        Some(id) => {
            let (name, _, has_logo) = load_form_values(state, TenantId(id)).await?.ok_or_else(AppError::not_found)?;
            (Some(name), has_logo)
        }
        None => (None, false),
    };
    let invalid = |form: FormState| async {
        let data = TenantFormData {
            tenant_id: existing.map(|id| id.to_string()),
            tenant_name: current_name.clone(),
            form,
            parents: parent_options(state, lang, existing).await?,
            logo_url: existing.filter(|_| has_logo).map(|id| paths::TENANT_LOGO.with(&[&id])),
        };
        Ok::<_, AppError>(render_form(state, lang, session, data, StatusCode::UNPROCESSABLE_ENTITY))
    };
    let valid = match validate(lang, &sub, &state.config.ops_host) {
        Ok(v) => v,
        Err(form) => return invalid(form).await,
    };
    let mut tx = state.db.platform().await?;
    let saved = match existing {
        Some(id) => tenants::update(&mut tx, TenantId(id), &valid.tenant).await.map(|()| TenantId(id)),
        None => tenants::create(&mut tx, &valid.tenant, false).await,
    };
    let id = match saved {
        Ok(id) => id,
        Err(e) => return invalid(tenant_error_to_form(lang, e, submitted_form(&sub))?).await,
    };
    let mut tx = tx.into_tenant(id).await?;
    tenants::save_branding(&mut tx, &valid.branding).await?;
    if let Some(logo) = &valid.logo {
        tenants::save_logo(&mut tx, logo).await?;
    }
    let action = if existing.is_some() { "tenant.update" } else { "tenant.create" };
    let detail = serde_json::json!({ "slug": valid.tenant.slug.as_str(), "name": valid.tenant.name, "hosts": valid.tenant.hosts.iter().map(|h| h.as_str()).collect::<Vec<_>>(), "logo_changed": valid.logo.is_some() });
    audit_change(tx.conn(), session, ip, id, action, detail).await?;
    tx.commit().await?;
    // served at once by this server; the others follow through NOTIFY
    state.registry.reload().await?;
    state.content.invalidate(id);
    let operator = session.session.operator.operator_id;
    if existing.is_some() {
        tracing::info!(tenant.id = %id, operator.id = %operator, "tenant updated");
        Ok(Notice::Saved.redirect("/"))
    } else {
        tracing::info!(tenant.id = %id, operator.id = %operator, slug = %valid.tenant.slug, "tenant created");
        Ok(see_other(&format!("{}?neu=1", paths::SERVICES_PAGE.with(&[&id]))))
    }
}

pub(super) async fn load_form_values(
    state: &AppState,
    id: TenantId,
) -> Result<Option<(String, FormState, bool)>, AppError> {
    let mut tx = state.db.platform().await?;
    let Some(t) = tenants::get(&mut tx, id).await? else { return Ok(None) };
    let mut tx = tx.into_tenant(id).await?;
    let (branding, has_logo) = match tenants::branding_and_logo_hash(&mut tx).await? {
        Some((b, logo)) => (Some(b), logo.is_some()),
        None => (None, false),
    };
    tx.commit().await?;
    let mut v = BTreeMap::new();
    v.insert("name".to_owned(), t.name.clone());
    v.insert("slug".to_owned(), t.slug.clone());
    v.insert("kind".to_owned(), t.kind.clone());
    v.insert("parent".to_owned(), t.parent_id.map(|p| p.to_string()).unwrap_or_default());
    v.insert("hosts".to_owned(), t.hosts.join("\n"));
    if let Some(b) = branding {
        v.insert("display_name".to_owned(), b.display_name);
        v.insert("primary_colour".to_owned(), b.primary_colour.to_string());
        v.insert("secondary_colour".to_owned(), b.secondary_colour.to_string());
        v.insert("contact_email".to_owned(), b.contact_email.unwrap_or_default());
        v.insert("contact_phone".to_owned(), b.contact_phone.unwrap_or_default());
        v.insert("address".to_owned(), b.address.unwrap_or_default());
        for (k, l) in [("imprint", b.imprint), ("privacy", b.privacy), ("accessibility", b.accessibility)] {
            v.insert(format!("{k}_de"), l.de);
            v.insert(format!("{k}_en"), l.en);
        }
    }
    Ok(Some((t.name, FormState { values: v, ..FormState::default() }, has_logo)))
}

pub(super) async fn edit_tenant_form(
    State(state): State<AppState>,
    session: OperatorSession,
    Language(lang): Language,
    Params(id): Params<Uuid>,
) -> Result<Response, AppError> {
    let (name, form, has_logo) = load_form_values(&state, TenantId(id)).await?.ok_or_else(AppError::not_found)?;
    let data = TenantFormData {
        tenant_id: Some(id.to_string()),
        tenant_name: Some(name),
        form,
        parents: parent_options(&state, lang, Some(id)).await?,
        logo_url: has_logo.then(|| paths::TENANT_LOGO.with(&[&id])),
    };
    Ok(render_form(&state, lang, &session, data, StatusCode::OK))
}

pub(super) async fn tenant_logo(
    State(state): State<AppState>,
    _session: OperatorSession,
    headers: HeaderMap,
    Params(id): Params<Uuid>,
) -> Result<Response, AppError> {
    let mut tx = state.db.tenant(TenantId(id)).await?;
    let stored = tenants::logo(&mut tx).await?;
    tx.commit().await?;
    let (content_type, bytes, sha) = stored.ok_or_else(AppError::not_found)?;
    crate::kit::page::logo_response(&headers, content_type, bytes, &sha)
}
