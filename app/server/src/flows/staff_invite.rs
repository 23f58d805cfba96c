//! Inviting a member of a tenant's staff: the invitation form's input checked, the account made (or
//! made again) with its role, and the mail with the link queued. Shared by the staff area, the
//! console and the Kita portal (staff of a Träger).

use portal_db::TenantTx;
use portal_domain::Lang;
use portal_identity::links::{self, Purpose};
use portal_identity::staff::{self, Invited, RoleGrant};
use portal_identity::{Email, IdentityError};
use portal_mail::{Mail, Text};
use portal_ui::form::FormState;
use portal_ui::i18n::tr;
use portal_web::{AppError, TenantContext};
use uuid::Uuid;

use crate::kit::form::Fields;
use crate::kit::mail::queue;

/// Translated name of a role.
pub fn role_label(lang: Lang, role: &str) -> String {
    tr(
        lang,
        match role {
            "tenant_admin" => "staff.role_tenant_admin",
            "case_worker" => "staff.role_case_worker",
            "kita_provider" => "staff.role_kita_provider",
            "form_editor" => "staff.role_form_editor",
            _ => "staff.role_viewer",
        },
    )
}

pub const INVITE_FIELDS: [&str; 4] = ["email", "display_name", "role", "scope_services"];

/// Validated invitation input.
pub struct Invitation {
    pub email: Email,
    pub name: String,
    pub grant: RoleGrant,
}

/// Validates the invitation form; `allowed_roles` limits what may be granted here.
pub fn parse_invitation(
    lang: Lang,
    f: &Fields,
    allowed_roles: &[&str],
    known_services: &[String],
) -> Result<Invitation, FormState> {
    let mut form = FormState { order: INVITE_FIELDS.iter().map(|s| (*s).to_owned()).collect(), ..FormState::default() };
    let scope: Vec<String> = f.all("scope_services").into_iter().filter(|s| known_services.contains(s)).collect();
    form.values.insert("email".into(), f.text("email"));
    form.values.insert("display_name".into(), f.text("display_name"));
    form.values.insert("role".into(), f.text("role"));
    form.values.insert("scope_services".into(), scope.join(","));
    let email = Email::parse(&f.text("email"));
    if email.is_none() {
        form.errors.insert(
            "email".into(),
            tr(lang, if f.text("email").is_empty() { "validation.required" } else { "validation.email" }),
        );
    }
    let name = f.text("display_name");
    if name.is_empty() || name.chars().count() > 100 {
        form.errors.insert("display_name".into(), tr(lang, "validation.required"));
    }
    let role = f.text("role");
    if !allowed_roles.contains(&role.as_str()) {
        form.errors.insert("role".into(), tr(lang, "staff.role_invalid"));
    }
    match email {
        Some(email) if !form.has_errors() => {
            let scope = if role == "case_worker" { scope } else { Vec::new() };
            Ok(Invitation { email, name, grant: RoleGrant { role, scope_services: scope } })
        }
        _ => Err(form),
    }
}

/// Invites (or re-invites) a staff member and queues the invitation mail. `Ok(Err(()))`: the address
/// belongs to an active staff member.
pub async fn invite(
    tx: &mut TenantTx,
    ctx: &TenantContext,
    base: &str,
    lang: Lang,
    inv: &Invitation,
) -> Result<Result<Uuid, ()>, AppError> {
    let id = match staff::invite(tx, &inv.email, &inv.name, std::slice::from_ref(&inv.grant)).await {
        Ok(Invited::New(id) | Invited::Again(id)) => id,
        Err(IdentityError::EmailTaken) => return Ok(Err(())),
        Err(e) => return Err(AppError::internal(e)),
    };
    let token = links::issue(tx, Purpose::StaffInvite, id, None, None).await?;
    let mail = Mail::new(Text::new("staff.mail.staff_invite_subject"))
        .line(Text::new("staff.mail.staff_invite_text").with("roles", role_label(lang, &inv.grant.role)))
        .button(Text::new("staff.mail.staff_invite_button"), format!("{base}/verwaltung/einladung?token={token}"))
        .after(Text::new("staff.mail.staff_invite_note"));
    queue(tx, ctx, base, lang, inv.email.as_str(), mail).await?;
    Ok(Ok(id))
}
