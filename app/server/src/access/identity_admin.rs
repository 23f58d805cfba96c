//! Pieces shared by the staff area (tenant admins) and the console (operators): identity-provider
//! configuration and staff invitations.

use portal_db::TenantTx;
use portal_domain::Lang;
use portal_identity::oidc::{self, ProviderConfig};
use portal_ui::blocks::{Block, Button, Cell, Field, FieldKind, FormSpec};
use portal_ui::form::FormState;
use portal_ui::i18n::tr;
use portal_web::AppError;
use uuid::Uuid;

pub use crate::flows::staff_invite::{INVITE_FIELDS, invite, parse_invitation, role_label};
use crate::kit::form::Fields;

pub const PROVIDER_FIELDS: [&str; 7] =
    ["slug", "display_name", "issuer_url", "client_id", "client_secret", "scopes", "enabled"];

fn provider_labels(lang: Lang, form: &mut FormState) {
    for f in PROVIDER_FIELDS {
        form.labels.insert(f.to_owned(), tr(lang, &format!("identity.{f}")));
    }
}

/// The provider list with delete buttons, and the form to add or change one.
pub fn provider_blocks(
    lang: Lang,
    csrf: &str,
    action: &str,
    oidc: &oidc::Oidc,
    tenant: Uuid,
    providers: &[ProviderConfig],
    mut form: FormState,
) -> Vec<Block> {
    provider_labels(lang, &mut form);
    if form.values.is_empty() {
        form.values.insert("scopes".into(), "openid profile email address".into());
        form.values.insert("enabled".into(), "on".into());
    }
    let rows = providers
        .iter()
        .map(|p| {
            let secret_set = oidc.has_secret(tenant, p);
            vec![
                Cell::Text(p.display_name.clone()),
                Cell::Text(p.issuer_url.clone()),
                Cell::Text(p.client_id.clone()),
                if secret_set {
                    Cell::Badge("success", tr(lang, "identity.secret_stored"))
                } else {
                    Cell::Badge("danger", tr(lang, "identity.secret_missing"))
                },
                Cell::Text(if p.enabled { tr(lang, "identity.on") } else { tr(lang, "identity.off") }),
                Cell::Buttons(vec![Button {
                    action: format!("{action}/{}/loeschen", p.slug),
                    csrf: csrf.to_owned(),
                    hidden: vec![],
                    label: tr(lang, "identity.delete"),
                    danger: true,
                }]),
            ]
        })
        .collect();
    vec![
        Block::Table {
            caption: tr(lang, "identity.list_caption"),
            headers: vec![
                tr(lang, "identity.display_name"),
                tr(lang, "identity.issuer_url"),
                tr(lang, "identity.client_id"),
                tr(lang, "identity.client_secret"),
                tr(lang, "identity.status"),
                tr(lang, "common.actions"),
            ],
            rows,
            empty: tr(lang, "identity.none"),
        },
        Block::Heading(tr(lang, "identity.form_heading")),
        Block::Text(tr(lang, "identity.form_intro")),
        Block::Form(FormSpec {
            action: action.to_owned(),
            csrf: csrf.to_owned(),
            form,
            fields: vec![
                Field::new("slug", tr(lang, "identity.slug"), FieldKind::Text)
                    .hint(tr(lang, "identity.slug_hint"))
                    .required(),
                Field::new("display_name", tr(lang, "identity.display_name"), FieldKind::Text).required(),
                Field::new("issuer_url", tr(lang, "identity.issuer_url"), FieldKind::Url)
                    .hint(tr(lang, "identity.issuer_hint"))
                    .required(),
                Field::new("client_id", tr(lang, "identity.client_id"), FieldKind::Text).required(),
                Field::new("client_secret", tr(lang, "identity.client_secret"), FieldKind::Password)
                    .hint(tr(lang, "identity.secret_hint")),
                Field::new("scopes", tr(lang, "identity.scopes"), FieldKind::Text)
                    .hint(tr(lang, "identity.scopes_hint")),
                Field::new("enabled", tr(lang, "identity.enabled"), FieldKind::Checkbox),
            ],
            submit: tr(lang, "identity.save"),
            danger: false,
            secondary: None,
        }),
    ]
}

/// Validates a provider form and saves it for `tx`'s tenant, sealing a newly entered client secret
/// (the secret is required for a new provider; left empty, a stored one is kept). The form with
/// its errors when something is wrong; the secret is never written back into the form.
pub async fn save_provider(
    tx: &mut TenantTx,
    oidc: &oidc::Oidc,
    lang: Lang,
    f: &Fields,
) -> Result<Result<ProviderConfig, FormState>, AppError> {
    let tenant = tx.tenant_id().0;
    let secret = f.text("client_secret");
    let old = oidc::provider(tx, &f.text("slug").to_lowercase()).await?;
    let parsed = parse_provider(lang, f, oidc.allows_loopback_http());
    // the stored secret is kept only for the same issuer and client id (it is sealed to them): a
    // provider pointed elsewhere needs its secret typed in again
    let stored = match (&old, &parsed) {
        (Some(old), Ok(p)) => {
            oidc.has_secret(tenant, &ProviderConfig { sealed_secret: old.sealed_secret.clone(), ..p.clone() })
        }
        _ => false,
    };
    if secret.is_empty() && !stored {
        let mut form = parsed.err().unwrap_or_else(|| provider_form_state(lang, f));
        form.errors.insert("client_secret".into(), tr(lang, "identity.secret_required"));
        return Ok(Err(form));
    }
    let mut p = match parsed {
        Ok(p) => p,
        Err(form) => return Ok(Err(form)),
    };
    p.sealed_secret =
        if secret.is_empty() { old.and_then(|o| o.sealed_secret) } else { Some(oidc.seal_secret(tenant, &p, &secret)) };
    oidc::save_provider(tx, &p).await?;
    Ok(Ok(p))
}

fn provider_form_state(lang: Lang, f: &Fields) -> FormState {
    let mut form =
        FormState { order: PROVIDER_FIELDS.iter().map(|s| (*s).to_owned()).collect(), ..FormState::default() };
    for k in PROVIDER_FIELDS.into_iter().filter(|k| *k != "client_secret") {
        form.values.insert(k.to_owned(), f.text(k));
    }
    provider_labels(lang, &mut form);
    form
}

/// Validates a provider form (without the secret, which [`save_provider`] seals).
fn parse_provider(lang: Lang, f: &Fields, allow_loopback_http: bool) -> Result<ProviderConfig, FormState> {
    let mut form = provider_form_state(lang, f);
    let mut err = |k: &str, key: &str| {
        form.errors.insert(k.to_owned(), tr(lang, key));
    };
    let slug = f.text("slug").to_lowercase();
    if slug.is_empty()
        || slug.len() > 40
        || !slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        || slug.starts_with('-')
    {
        err("slug", "identity.slug_invalid");
    }
    if f.text("display_name").is_empty() {
        err("display_name", "validation.required");
    }
    let issuer = oidc::check_issuer(&f.text("issuer_url"), allow_loopback_http).unwrap_or_else(|key| {
        err("issuer_url", key);
        String::new()
    });
    if f.text("client_id").is_empty() {
        err("client_id", "validation.required");
    }
    if f.text("client_secret").len() > 1000 {
        err("client_secret", "identity.secret_too_long");
    }
    let scopes = if f.text("scopes").is_empty() { "openid profile email address".to_owned() } else { f.text("scopes") };
    if !scopes.split_whitespace().any(|s| s == "openid") {
        err("scopes", "identity.scopes_invalid");
    }
    if form.has_errors() {
        return Err(form);
    }
    Ok(ProviderConfig {
        slug,
        display_name: f.text("display_name"),
        issuer_url: issuer,
        client_id: f.text("client_id"),
        sealed_secret: None,
        scopes,
        enabled: f.text("enabled") == "on",
    })
}

/// The invitation form.
pub fn invite_form(
    lang: Lang,
    csrf: &str,
    action: &str,
    mut form: FormState,
    roles: &[&str],
    services: &[(String, String)],
) -> FormSpec {
    for (f, key) in [
        ("email", "staff.email"),
        ("display_name", "staff.name"),
        ("role", "staff.role"),
        ("scope_services", "staff.scope"),
    ] {
        form.labels.insert(f.to_owned(), tr(lang, key));
    }
    let mut fields = vec![
        Field::new("email", tr(lang, "staff.email"), FieldKind::Email).required(),
        Field::new("display_name", tr(lang, "staff.name"), FieldKind::Text).required(),
        Field::new(
            "role",
            tr(lang, "staff.role"),
            FieldKind::Select(roles.iter().map(|r| ((*r).to_owned(), role_label(lang, r))).collect()),
        )
        .required(),
    ];
    if !services.is_empty() {
        fields.push(
            Field::new("scope_services", tr(lang, "staff.scope"), FieldKind::Checkboxes(services.to_vec()))
                .hint(tr(lang, "staff.scope_hint")),
        );
    }
    FormSpec {
        action: action.to_owned(),
        csrf: csrf.to_owned(),
        form,
        fields,
        submit: tr(lang, "staff.invite_submit"),
        danger: false,
        secondary: None,
    }
}
