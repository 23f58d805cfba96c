//! Who may do what. Every decision goes through casbin (`rbac_with_domains`, the tenant as domain)
//! with typed (resource, action) pairs; and every change by staff or operators is written to the
//! append-only [`audit`] log.

pub mod audit;

use casbin::{CoreApi, DefaultModel, Enforcer, MemoryAdapter, MgmtApi};
use portal_domain::TenantId;
use uuid::Uuid;

/// The casbin model (a file in the repository).
pub const MODEL: &str = include_str!("../casbin/model.conf");
/// The base role → permission policy (a file in the repository).
pub const POLICY: &str = include_str!("../casbin/policy.csv");

/// Roles. Tenant roles are assigned per tenant (rows of `staff_role`); `Operator` lives in the
/// platform domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    TenantAdmin,
    CaseWorker,
    Viewer,
    /// Staff of a Kita Träger: its facilities and the children who applied there only.
    KitaProvider,
    /// Builds and publishes the tenant's forms and own services, nothing else.
    FormEditor,
    Operator,
}

impl Role {
    pub const TENANT_ROLES: [Role; 5] =
        [Role::TenantAdmin, Role::CaseWorker, Role::Viewer, Role::KitaProvider, Role::FormEditor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::TenantAdmin => "tenant_admin",
            Role::CaseWorker => "case_worker",
            Role::Viewer => "viewer",
            Role::KitaProvider => "kita_provider",
            Role::FormEditor => "form_editor",
            Role::Operator => "operator",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Role::TenantAdmin, Role::CaseWorker, Role::Viewer, Role::KitaProvider, Role::FormEditor, Role::Operator]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// Things that are protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    /// The staff area (/verwaltung) itself.
    StaffArea,
    Branding,
    Services,
    Staff,
    IdentityProviders,
    AuditLog,
    Cases,
    Tenants,
    Catalogue,
    Jobs,
    /// Payment setup, payments and the cash office export (process: refunds).
    Payments,
    /// Appointments: locations, hours, counters and rules (write); the front desk, counters and
    /// bookings on behalf of callers (process); lists and statistics (read).
    Appointments,
    /// The Kita portal: Träger, facilities, places, criteria and the allocation (write); the
    /// applications, duplicates and ranked lists (process); lists and statistics (read). Staff of
    /// a Träger hold read and process limited to their Träger's facilities.
    Kita,
    /// print@home documents: issuing settings and the tenant's signing key (write); issuing and
    /// revoking (process); the list of issued documents (read).
    Documents,
    /// The form builder: drafts, publishing and rolling back forms, the FIM import and the
    /// tenant's own services (write); the forms and their versions (read).
    Forms,
    /// The tenant's street directory: the import (write); the list (read).
    Streets,
    /// Login security: a tenant's second-factor policy for its staff (write); an operator's own
    /// security page with their sessions (read, write).
    LoginSecurity,
}

impl Resource {
    pub const ALL: [Resource; 17] = [
        Resource::StaffArea,
        Resource::Branding,
        Resource::Services,
        Resource::Staff,
        Resource::IdentityProviders,
        Resource::AuditLog,
        Resource::Cases,
        Resource::Tenants,
        Resource::Catalogue,
        Resource::Jobs,
        Resource::Payments,
        Resource::Appointments,
        Resource::Kita,
        Resource::Documents,
        Resource::Forms,
        Resource::Streets,
        Resource::LoginSecurity,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Resource::StaffArea => "staff_area",
            Resource::Branding => "branding",
            Resource::Services => "services",
            Resource::Staff => "staff",
            Resource::IdentityProviders => "identity_providers",
            Resource::AuditLog => "audit_log",
            Resource::Cases => "cases",
            Resource::Tenants => "tenants",
            Resource::Catalogue => "catalogue",
            Resource::Jobs => "jobs",
            Resource::Payments => "payments",
            Resource::Appointments => "appointments",
            Resource::Kita => "kita",
            Resource::Documents => "documents",
            Resource::Forms => "forms",
            Resource::Streets => "streets",
            Resource::LoginSecurity => "login_security",
        }
    }
}

/// What is done to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Read,
    Write,
    /// Work on cases (decide, message, close).
    Process,
}

impl Action {
    pub const ALL: [Action; 3] = [Action::Read, Action::Write, Action::Process];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Write => "write",
            Action::Process => "process",
        }
    }
}

/// The domain a principal acts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    Tenant(TenantId),
    Platform,
}

impl Domain {
    fn as_string(self) -> String {
        match self {
            Domain::Tenant(t) => format!("tenant:{}", t.0),
            Domain::Platform => "platform".to_owned(),
        }
    }
}

/// Someone acting: a staff member of a tenant or an operator, with the roles they hold there.
#[derive(Debug, Clone)]
pub struct Principal {
    pub domain: Domain,
    pub actor_kind: ActorKind,
    pub actor_id: Uuid,
    pub name: String,
    pub roles: Vec<Role>,
    /// For case workers limited to some services: their slugs (empty: all).
    pub scope_services: Vec<String>,
}

/// Kind of actor, as recorded in the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    Staff,
    Operator,
    /// Scheduled work of the platform itself (retention).
    System,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Staff => "staff",
            ActorKind::Operator => "operator",
            ActorKind::System => "system",
        }
    }
}

/// A refused authorisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not allowed: {action:?} on {resource:?}")]
pub struct Denied {
    pub resource: Resource,
    pub action: Action,
}

/// Errors building the authorizer (a broken model or policy file).
#[derive(Debug, thiserror::Error)]
pub enum AuthzError {
    #[error("casbin: {0}")]
    Casbin(#[from] casbin::Error),
    #[error("policy.csv line {line}: {message}")]
    Policy { line: usize, message: String },
}

/// The casbin enforcer with the repository's model and policy. Immutable after start-up.
pub struct Authorizer {
    enforcer: Enforcer,
}

impl Authorizer {
    /// Loads the model and base policy shipped in the repository.
    pub async fn new() -> Result<Self, AuthzError> {
        Self::from_files(MODEL, POLICY).await
    }

    /// Loads a model and a policy in casbin's CSV form (`p, sub, dom, obj, act` lines).
    pub async fn from_files(model: &str, policy: &str) -> Result<Self, AuthzError> {
        let model = DefaultModel::from_str(model).await?;
        let mut enforcer = Enforcer::new(model, MemoryAdapter::default()).await?;
        let mut rules = Vec::new();
        for (i, line) in policy.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let parts: Vec<String> = line.split(',').map(|p| p.trim().to_owned()).collect();
            match parts.split_first() {
                Some((kind, rest)) if kind == "p" && rest.len() == 4 => {
                    if Role::parse(&rest[0]).is_none()
                        || !Resource::ALL.iter().any(|r| r.as_str() == rest[2])
                        || !Action::ALL.iter().any(|a| a.as_str() == rest[3])
                    {
                        return Err(AuthzError::Policy {
                            line: i + 1,
                            message: format!("unknown role, resource or action in `{line}`"),
                        });
                    }
                    rules.push(rest.to_vec());
                }
                _ => {
                    return Err(AuthzError::Policy {
                        line: i + 1,
                        message: format!("expected `p, role, domain, resource, action`, found `{line}`"),
                    });
                }
            }
        }
        enforcer.add_policies(rules).await?;
        Ok(Self { enforcer })
    }

    /// Whether a role may do `action` on `resource` in `domain`.
    pub fn role_allows(&self, role: Role, domain: Domain, resource: Resource, action: Action) -> bool {
        self.enforcer.enforce((role.as_str(), domain.as_string(), resource.as_str(), action.as_str())).unwrap_or(false)
    }

    /// Whether the principal may do `action` on `resource` in its domain: allowed if any of its roles
    /// is. The typed call every page handler and server function makes.
    pub fn check(&self, principal: &Principal, resource: Resource, action: Action) -> Result<(), Denied> {
        let allowed = principal.roles.iter().any(|r| self.role_allows(*r, principal.domain, resource, action));
        if allowed {
            Ok(())
        } else {
            tracing::info!(actor.id = %principal.actor_id, resource = resource.as_str(), action = action.as_str(), "authorisation denied");
            Err(Denied { resource, action })
        }
    }

    /// Whether the principal may do it (for showing or hiding links).
    pub fn allows(&self, principal: &Principal, resource: Resource, action: Action) -> bool {
        principal.roles.iter().any(|r| self.role_allows(*r, principal.domain, resource, action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_shipped_policy_loads_and_separates_domains() {
        let a = Authorizer::new().await.unwrap_or_else(|e| panic!("{e}"));
        let t = Domain::Tenant(TenantId(Uuid::nil()));
        assert!(a.role_allows(Role::TenantAdmin, t, Resource::Staff, Action::Write));
        assert!(!a.role_allows(Role::TenantAdmin, Domain::Platform, Resource::Staff, Action::Write));
        assert!(!a.role_allows(Role::Operator, t, Resource::Staff, Action::Write));
        assert!(a.role_allows(Role::Operator, Domain::Platform, Resource::Tenants, Action::Write));
    }

    #[tokio::test]
    async fn a_policy_with_an_unknown_resource_is_refused() {
        let r = Authorizer::from_files(MODEL, "p, viewer, tenant:*, nuclear_codes, read").await;
        assert!(matches!(r, Err(AuthzError::Policy { line: 1, .. })));
    }
}
