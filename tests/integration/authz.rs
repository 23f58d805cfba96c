//! The permission matrix: every role against every protected action, with the expected answer
//! written here independently of the policy file.

use portal_authz::{Action, Authorizer, Domain, Resource, Role};
use portal_domain::TenantId;

#[tokio::test]
async fn every_role_gets_exactly_the_permissions_it_should() {
    let authz = Authorizer::new().await.unwrap_or_else(|e| panic!("{e}"));
    let tenant = Domain::Tenant(TenantId(uuid::Uuid::now_v7()));
    use Action::*;
    use Resource::*;
    // (role, domain, allowed pairs); everything else must be denied
    type Expectation = (Role, Domain, Vec<(Resource, Action)>);
    let expected: Vec<Expectation> = vec![
        (
            Role::TenantAdmin,
            tenant,
            vec![
                (StaffArea, Read),
                (Branding, Read),
                (Branding, Write),
                (Services, Read),
                (Services, Write),
                (Staff, Read),
                (Staff, Write),
                (IdentityProviders, Read),
                (IdentityProviders, Write),
                (AuditLog, Read),
                (Cases, Read),
                (Cases, Process),
                (Payments, Read),
                (Payments, Write),
                (Payments, Process),
                (Appointments, Read),
                (Appointments, Write),
                (Appointments, Process),
                (Kita, Read),
                (Kita, Write),
                (Kita, Process),
                (Documents, Read),
                (Documents, Write),
                (Documents, Process),
                (Forms, Read),
                (Forms, Write),
                (Streets, Read),
                (Streets, Write),
                (LoginSecurity, Read),
                (LoginSecurity, Write),
            ],
        ),
        (
            Role::CaseWorker,
            tenant,
            vec![
                (StaffArea, Read),
                (Services, Read),
                (Cases, Read),
                (Cases, Process),
                (Payments, Read),
                (Payments, Process),
                (Appointments, Read),
                (Appointments, Process),
                (Kita, Read),
                (Kita, Process),
                (Documents, Read),
                (Documents, Process),
                (Streets, Read),
            ],
        ),
        (
            Role::Viewer,
            tenant,
            vec![
                (StaffArea, Read),
                (Services, Read),
                (Cases, Read),
                (Payments, Read),
                (Appointments, Read),
                (Kita, Read),
                (Documents, Read),
                (Streets, Read),
            ],
        ),
        // staff of a Kita Träger: nothing but the Kita portal's lists and their work (scoped in the queries)
        (Role::KitaProvider, tenant, vec![(StaffArea, Read), (Kita, Read), (Kita, Process)]),
        (Role::KitaProvider, Domain::Platform, vec![]),
        // form editors: the builder and own services, nothing of the cases or the staff
        (Role::FormEditor, tenant, vec![(StaffArea, Read), (Forms, Read), (Forms, Write)]),
        (Role::FormEditor, Domain::Platform, vec![]),
        (
            Role::Operator,
            Domain::Platform,
            vec![
                (Tenants, Read),
                (Tenants, Write),
                (Catalogue, Read),
                (Catalogue, Write),
                (Staff, Write),
                (IdentityProviders, Read),
                (IdentityProviders, Write),
                (AuditLog, Read),
                (Jobs, Read),
                (Payments, Read),
                (Payments, Write),
                (LoginSecurity, Read),
                (LoginSecurity, Write),
            ],
        ),
        // roles outside their domain get nothing
        (Role::TenantAdmin, Domain::Platform, vec![]),
        (Role::Operator, tenant, vec![]),
    ];
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (role, domain, allowed) in &expected {
        for resource in Resource::ALL {
            for action in Action::ALL {
                let want = allowed.contains(&(resource, action));
                let got = authz.role_allows(*role, *domain, resource, action);
                checked += 1;
                if want != got {
                    wrong.push(format!("{role:?} in {domain:?}: {action:?} {resource:?} expected {want}, got {got}"));
                }
            }
        }
    }
    assert_eq!(checked, expected.len() * Resource::ALL.len() * 3);
    assert!(wrong.is_empty(), "permission matrix differs:\n{}", wrong.join("\n"));
}
