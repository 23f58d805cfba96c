//! The form builder's store against PostgreSQL: a draft saved with optimistic locking (a second
//! editor's stale save is refused and names who saved), publishing (the tenant's form from then on,
//! recorded as a numbered version), the diff against the published version, the roll back, and
//! cases keeping the version they were filed under.

use portal_cases::builder::{self, BuilderError};
use portal_domain::{Localized, TenantId};
use portal_forms::edit::{Change, Op, apply, diff};
use portal_tests::TestApp;

const SLUG: &str = "meldebescheinigung";

fn field(id: &str) -> portal_forms::Field {
    serde_json::from_value(
        serde_json::json!({ "id": id, "type": "text", "label": { "de": "Zusatz", "en": "Addition" } }),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn drafts_are_saved_with_optimistic_locking_published_rolled_back_and_cases_keep_their_version() {
    let app = TestApp::spawn().await;
    let tenant = TenantId(app.tenant_id("kaiserslautern").await);
    let mut tx = app.state.db.tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
    let live = portal_cases::service_form(&mut tx, SLUG)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("active"));
    assert!(builder::draft(&mut tx, SLUG).await.unwrap_or_else(|e| panic!("{e}")).is_none());

    // two editors: Anna starts the draft, Bert saves over it, Anna's stale save is refused
    let anna = apply(&live.schema, &Op::AddField { page: 0, at: None, field: field("zusatz") })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(builder::save_draft(&mut tx, SLUG, &anna, &[], None, "Anna").await.unwrap_or_else(|e| panic!("{e}")), 1);
    let bert = apply(&anna, &Op::MoveField { page: 0, field: 0, by: 1 }).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        builder::save_draft(&mut tx, SLUG, &bert, &[], Some(1), "Bert").await.unwrap_or_else(|e| panic!("{e}")),
        2
    );
    match builder::save_draft(&mut tx, SLUG, &anna, &[], Some(1), "Anna").await {
        Err(BuilderError::Conflict { revision, by }) => assert_eq!((revision, by.as_str()), (2, "Bert")),
        other => panic!("a stale save must be refused: {other:?}"),
    }
    // an invalid schema is never stored
    let mut broken = bert.clone();
    broken.pages[0].fields.clear();
    assert!(matches!(
        builder::save_draft(&mut tx, SLUG, &broken, &[], Some(2), "Bert").await,
        Err(BuilderError::Invalid(_))
    ));

    // the diff against what is live, then publishing (only the revision the editor checked)
    let d = builder::draft(&mut tx, SLUG).await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|| panic!("draft"));
    assert!(diff(&live.schema, &d.schema).contains(&Change::FieldAdded("zusatz".into())));
    assert!(matches!(builder::publish(&mut tx, SLUG, 1, "Anna").await, Err(BuilderError::Conflict { .. })));
    assert_eq!(builder::publish(&mut tx, SLUG, 2, "Bert").await.unwrap_or_else(|e| panic!("{e}")), 1);
    assert!(
        builder::draft(&mut tx, SLUG).await.unwrap_or_else(|e| panic!("{e}")).is_none(),
        "the draft is gone once published"
    );
    let now = portal_cases::service_form(&mut tx, SLUG)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("active"));
    assert!(now.overridden && now.schema.field("zusatz").is_some(), "the published form is live");
    assert!(matches!(builder::publish(&mut tx, SLUG, 3, "Bert").await, Err(BuilderError::NoDraft)));

    // a second version, then the roll back to the first
    let mut second = now.schema.clone();
    second.pages[0].title = Localized { de: "Angaben zur Person".into(), en: "Personal details".into() };
    builder::save_draft(&mut tx, SLUG, &second, &[], None, "Anna").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(builder::publish(&mut tx, SLUG, 1, "Anna").await.unwrap_or_else(|e| panic!("{e}")), 2);
    assert_eq!(builder::roll_back(&mut tx, SLUG, 1, "Anna").await.unwrap_or_else(|e| panic!("{e}")), 3);
    let versions = builder::publications(&mut tx, SLUG).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        versions.iter().map(|v| (v.number, v.restores)).collect::<Vec<_>>(),
        vec![(3, Some(1)), (2, None), (1, None)]
    );
    assert_eq!(versions[0].schema, versions[2].schema);
    let restored = portal_cases::service_form(&mut tx, SLUG)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("active"));
    assert_eq!(restored.schema, versions[2].schema, "the restored version is live");
    assert!(matches!(builder::roll_back(&mut tx, SLUG, 9, "Anna").await, Err(BuilderError::NoVersion)));

    // what was filled in under the first form stays readable under it
    portal_cases::remember_form(&mut tx, &live).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        portal_cases::form_version(&mut tx, &live.schema_hash).await.unwrap_or_else(|e| panic!("{e}")),
        live.schema
    );
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
}
