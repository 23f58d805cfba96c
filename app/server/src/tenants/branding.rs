//! The tenant's look as its admins set it in the staff area: name, colours, contact details, logo.

use crate::kit::checked::Checked;
use crate::kit::page::Language;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use portal_authz::{Action, Resource};
use portal_domain::{Colour, Lang};
use portal_ui::blocks::{Block, Field, FieldKind, FormSpec};
use portal_ui::form::FormState;
use portal_ui::i18n::tr;
use portal_web::host::ClientIp;
use portal_web::{AppError, AppState, TenantContext};
use serde::Deserialize;

use crate::kit::notice::Notice;
use crate::kit::office::{audit, staff_page};
use crate::kit::pipeline::tenant_tx;
use crate::kit::session::Staff;
use crate::tenants::paths;

#[derive(Deserialize, Default)]
pub(super) struct Q {
    #[serde(default)]
    hinweis: Option<String>,
}

const BRANDING_FIELDS: [&str; 6] =
    ["display_name", "primary_colour", "secondary_colour", "contact_email", "contact_phone", "address"];

fn branding_blocks(lang: Lang, csrf: &str, mut form: FormState) -> Vec<Block> {
    for (f, key) in [
        ("display_name", "console.display_name"),
        ("primary_colour", "console.primary_colour"),
        ("secondary_colour", "console.secondary_colour"),
        ("contact_email", "console.contact_email"),
        ("contact_phone", "console.contact_phone"),
        ("address", "console.address"),
    ] {
        form.labels.insert(f.to_owned(), tr(lang, key));
    }
    vec![Block::Form(FormSpec {
        action: paths::BRANDING_FORM.path().into(),
        csrf: csrf.to_owned(),
        form,
        fields: vec![
            Field::new("display_name", tr(lang, "console.display_name"), FieldKind::Text).required(),
            Field::new("primary_colour", tr(lang, "console.primary_colour"), FieldKind::Text)
                .hint(tr(lang, "console.colour_hint"))
                .required(),
            Field::new("secondary_colour", tr(lang, "console.secondary_colour"), FieldKind::Text)
                .hint(tr(lang, "console.colour_hint"))
                .required(),
            Field::new("contact_email", tr(lang, "console.contact_email"), FieldKind::Email),
            Field::new("contact_phone", tr(lang, "console.contact_phone"), FieldKind::Tel),
            Field::new("address", tr(lang, "console.address"), FieldKind::Text),
        ],
        submit: tr(lang, "identity.save"),
        danger: false,
        secondary: None,
    })]
}

pub(super) async fn branding_form(
    State(state): State<AppState>,
    ctx: TenantContext,
    Language(lang): Language,
    s: Staff,
    Query(q): Query<Q>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Branding, Action::Write)?;
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let b =
        portal_tenancy::repo::branding_and_logo_hash(&mut tx).await?.map(|(b, _)| b).ok_or_else(AppError::not_found)?;
    tx.finish().await?;
    let mut form =
        FormState { order: BRANDING_FIELDS.iter().map(|s| (*s).to_owned()).collect(), ..FormState::default() };
    for (k, v) in [
        ("display_name", b.display_name.clone()),
        ("primary_colour", b.primary_colour.to_string()),
        ("secondary_colour", b.secondary_colour.to_string()),
        ("contact_email", b.contact_email.clone().unwrap_or_default()),
        ("contact_phone", b.contact_phone.clone().unwrap_or_default()),
        ("address", b.address.clone().unwrap_or_default()),
    ] {
        form.values.insert(k.to_owned(), v);
    }
    let mut blocks = if Notice::parse(q.hinweis.as_deref()) == Some(Notice::Saved) {
        vec![Block::Notice("success", tr(lang, "console.saved"))]
    } else {
        vec![]
    };
    blocks.extend(branding_blocks(lang, &s.csrf, form));
    staff_page(
        &state,
        &ctx,
        lang,
        paths::BRANDING_FORM.path(),
        Some(&s),
        StatusCode::OK,
        tr(lang, "staff.nav_branding"),
        blocks,
    )
    .await
}

pub(super) async fn save_branding(
    State(state): State<AppState>,
    ctx: TenantContext,
    ip: ClientIp,
    Language(lang): Language,
    Checked(s, f): Checked<Staff>,
) -> Result<Response, AppError> {
    s.require(&state, Resource::Branding, Action::Write)?;
    let mut form =
        FormState { order: BRANDING_FIELDS.iter().map(|s| (*s).to_owned()).collect(), ..FormState::default() };
    for k in BRANDING_FIELDS {
        form.values.insert(k.to_owned(), f.text(k));
    }
    let primary = Colour::parse(&f.text("primary_colour"));
    let secondary = Colour::parse(&f.text("secondary_colour"));
    if f.text("display_name").is_empty() {
        form.errors.insert("display_name".into(), tr(lang, "validation.required"));
    }
    let white = Colour::parse("#ffffff").unwrap_or_default();
    match &primary {
        Err(_) => {
            form.errors.insert("primary_colour".into(), tr(lang, "validation.colour"));
        }
        Ok(c) if c.contrast(&white) < 4.5 => {
            form.errors.insert("primary_colour".into(), tr(lang, "validation.contrast"));
        }
        Ok(_) => {}
    }
    if secondary.is_err() {
        form.errors.insert("secondary_colour".into(), tr(lang, "validation.colour"));
    }
    let email = f.text("contact_email");
    if !email.is_empty() && portal_identity::Email::parse(&email).is_none() {
        form.errors.insert("contact_email".into(), tr(lang, "validation.email"));
    }
    let (Ok(primary), Ok(secondary)) = (primary, secondary) else {
        return staff_page(
            &state,
            &ctx,
            lang,
            paths::BRANDING_FORM.path(),
            Some(&s),
            StatusCode::UNPROCESSABLE_ENTITY,
            tr(lang, "staff.nav_branding"),
            branding_blocks(lang, &s.csrf, form),
        )
        .await;
    };
    if form.has_errors() {
        return staff_page(
            &state,
            &ctx,
            lang,
            paths::BRANDING_FORM.path(),
            Some(&s),
            StatusCode::UNPROCESSABLE_ENTITY,
            tr(lang, "staff.nav_branding"),
            branding_blocks(lang, &s.csrf, form),
        )
        .await;
    }
    let mut tx = tenant_tx(&state, ctx.entry.tenant_id).await?;
    let mut b =
        portal_tenancy::repo::branding_and_logo_hash(&mut tx).await?.map(|(b, _)| b).ok_or_else(AppError::not_found)?;
    let opt = |k: &str| Some(f.text(k)).filter(|v| !v.is_empty());
    b.display_name = f.text("display_name");
    b.primary_colour = primary;
    b.secondary_colour = secondary;
    b.contact_email = opt("contact_email");
    b.contact_phone = opt("contact_phone");
    b.address = opt("address");
    portal_tenancy::repo::save_branding(&mut tx, &b).await?;
    audit(
        &mut tx,
        &s,
        &ip,
        "branding.update",
        "branding".into(),
        serde_json::json!({ "display_name": b.display_name, "primary_colour": b.primary_colour.to_string() }),
    )
    .await?;
    tx.finish().await?;
    // this server shows it on the next request; the others when the notification arrives
    state.content.invalidate(ctx.entry.tenant_id);
    Ok(Notice::Saved.redirect(paths::BRANDING_FORM.path()))
}
