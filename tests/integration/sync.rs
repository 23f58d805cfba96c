//! Start-up sync and the registry shared between servers.

use std::time::Duration;

use portal_domain::{HostName, TenantKind, TenantSlug};
use portal_tenancy::TenantRegistry;
use portal_tenancy::repo::{self as tenants, NewTenant};
use portal_tests::{TestDb, tenants_dir};

#[tokio::test]
async fn syncing_the_same_catalogue_twice_changes_nothing_and_a_changed_entry_gets_a_new_version() {
    let test_db = TestDb::new().await;
    let db = test_db.db();
    let mut catalogue =
        portal_catalogue::Catalogue::load(&tenants_dir().join("catalogue")).unwrap_or_else(|e| panic!("{e}"));

    // the template was synced once already: a second sync is a no-op
    let mut tx = db.platform().await.unwrap_or_else(|e| panic!("{e}"));
    let again = portal_catalogue::sync::sync_catalogue(&mut tx, &catalogue).await.unwrap_or_else(|e| panic!("{e}"));
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((again.inserted, again.updated, again.removed), (0, 0, 0));

    // a changed text bumps that entry's version; a dropped entry is pruned (with its activations)
    let idx = catalogue.services.iter().position(|s| s.slug.as_str() == "meldebescheinigung").unwrap_or(0);
    catalogue.services[idx].summary.de.push_str(" (geändert)");
    let dropped = catalogue.services.iter().position(|s| s.slug.as_str() == "vergnuegungsteuer").unwrap_or(0);
    catalogue.services.remove(dropped);
    let mut tx = db.platform().await.unwrap_or_else(|e| panic!("{e}"));
    let changed = portal_catalogue::sync::sync_catalogue(&mut tx, &catalogue).await.unwrap_or_else(|e| panic!("{e}"));
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));

    assert_eq!((changed.inserted, changed.updated, changed.removed), (0, 1, 1));
    let version: i32 = sqlx::query_scalar("select version from base_service where service_slug = 'meldebescheinigung'")
        .fetch_one(&test_db.app)
        .await
        .unwrap_or(0);
    assert_eq!(version, 2);
    let seen: i32 = {
        let id: uuid::Uuid = sqlx::query_scalar("select tenant_id from tenant where slug = 'dueren'")
            .fetch_one(&test_db.app)
            .await
            .unwrap_or_default();
        let mut tx = db.tenant(portal_domain::TenantId(id)).await.unwrap_or_else(|e| panic!("{e}"));
        sqlx::query_scalar("select seen_version from service_activation where service_slug = 'meldebescheinigung'")
            .fetch_one(tx.conn())
            .await
            .unwrap_or(0)
    };
    assert_eq!(seen, 1, "the tenant has not reviewed the update yet");
}

#[tokio::test]
async fn a_second_server_learns_of_a_new_tenant_through_notify_without_restart() {
    // Arrange: two servers' registries on the same database
    let test_db = TestDb::new().await;
    let server_a = test_db.db();
    let server_b = TenantRegistry::load(test_db.db()).await.unwrap_or_else(|e| panic!("{e}"));
    // returns once it listens: a change made after it is not missed
    let _listener = server_b.spawn_refresh(Duration::from_secs(3600), std::sync::Arc::new(|_| {})).await;
    let host = HostName::parse("neu-ueber-notify.localhost").unwrap_or_else(|e| panic!("{e}"));
    assert!(server_b.resolve(&host).is_none());

    // Act: server A creates a tenant
    let mut tx = server_a.platform().await.unwrap_or_else(|e| panic!("{e}"));
    let new = NewTenant {
        slug: TenantSlug::parse("neu-ueber-notify").unwrap_or_else(|e| panic!("{e}")),
        kind: TenantKind::Gemeinde,
        parent: None,
        name: "Gemeinde Neu".into(),
        hosts: vec![host.clone()],
    };
    tenants::create(&mut tx, &new, false).await.unwrap_or_else(|e| panic!("{e}"));
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));

    // Assert: server B resolves it within moments (its periodic reload is an hour away)
    let mut found = false;
    for _ in 0..50 {
        if server_b.resolve(&host).is_some() {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(found, "the NOTIFY did not reach the other registry");
}
