//! Tenant isolation enforced by PostgreSQL: row-level security, tested as the application role.

use portal_db::Db;
use portal_domain::TenantId;
use portal_tests::TestDb;
use sqlx::{PgPool, Row};

/// Platform-wide tables (no tenant_id first, or none at all) and what each role may do with them:
/// S select, I insert, U update, D delete. The application role (`portal_app`, tenant requests) gets
/// only what tenant transactions need; the platform role (`portal_platform`: console, workers,
/// registry) the rest. A table missing from this list must be tenant-owned (checked below), and
/// every table's grants must be exactly these (tenant-owned: SIUD for both), so neither a new table
/// nor a new grant can slip through unnoticed.
const PLATFORM_GRANTS: &[(&str, &str, &str)] = &[
    ("_sqlx_migrations", "", ""),
    ("tenant", "S", "SIUD"),
    ("tenant_domain", "", "SIUD"),
    ("service_category", "S", "SIUD"),
    ("base_service", "S", "SIUD"),
    ("catalogue_preset", "S", "SIUD"),
    ("catalogue_preset_service", "S", "SIUD"),
    ("search_synonym", "S", "SIUD"),
    // operators' password hashes and sessions: never readable by a tenant request
    ("operator", "", "SIUD"),
    ("operator_session", "", "SIUD"),
    // operators' second factor: sealed keys, recovery codes and remembered devices
    ("operator_totp", "", "SIUD"),
    ("operator_recovery_code", "", "SIUD"),
    ("operator_device", "", "SIUD"),
    // plans with the platform's fee, and which tenant a connected Stripe account belongs to
    // (webhooks name the account before any tenant is known; operators map them, a tenant reads
    // its own under RLS)
    ("plan", "S", "SIUD"),
    ("stripe_account", "S", "SIUD"),
    // login counters are hit and cleared inside the login's tenant transaction
    ("rate_limit", "SIUD", "SIUD"),
    // the growing delay after failed logins, likewise (buckets name no tenant's data)
    ("login_throttle", "SIUD", "SIUD"),
    // append-only, under RLS (a tenant sees and writes only its own entries)
    ("audit_log", "SI", "SI"),
    // the job queue: a tenant request enqueues its own mail (RLS) and reads nothing
    ("job", "I", "SIUD"),
    // which tenants offer appointments (kept by a trigger as the owner): the reminder job's list
    ("appointment_tenant", "", "SIUD"),
    // which tenants run a Kita portal (kept by a trigger as the owner): the offer-expiry job's list
    ("kita_tenant", "", "SIUD"),
    // which tenants issue documents (kept by a trigger as the owner): the reminder job's list
    ("document_tenant", "", "SIUD"),
];

const PLATFORM_TABLES: &[&str] = &[
    "_sqlx_migrations",
    "tenant",
    "tenant_domain",
    "service_category",
    "base_service",
    "catalogue_preset",
    "catalogue_preset_service",
    "search_synonym",
    "operator",
    "operator_session",
    "operator_totp",
    "operator_recovery_code",
    "operator_device",
    "plan",
    "stripe_account",
    "rate_limit",
    "login_throttle",
    "audit_log",
    "job",
    "appointment_tenant",
    "kita_tenant",
    "document_tenant",
];

async fn tenant_owned_tables(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'public' and c.relkind in ('r', 'p') and c.relname <> all($1) order by c.relname",
    )
    .bind(PLATFORM_TABLES)
    .fetch_all(pool)
    .await
    .unwrap_or_default()
}

#[tokio::test]
async fn every_tenant_owned_table_leads_with_tenant_id_and_forces_row_level_security() {
    // Arrange
    let db = TestDb::new().await;
    let tables = tenant_owned_tables(&db.app).await;
    assert!(tables.len() >= 3, "expected tenant-owned tables, found {tables:?}");

    // Act: read the database catalogue
    let mut problems = Vec::new();
    for table in &tables {
        let row = sqlx::query(
            "select c.relrowsecurity, c.relforcerowsecurity,
                    (select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
                     where i.indrelid = c.oid and i.indisprimary) as pk_first,
                    (select count(*) from pg_policy p where p.polrelid = c.oid) as policies,
                    (select count(*) from pg_policy p where p.polrelid = c.oid and pg_get_expr(p.polqual, p.polrelid) like '%current_tenant_id()%'
                        and pg_get_expr(p.polwithcheck, p.polrelid) like '%current_tenant_id()%') as tenant_policies
             from pg_class c where c.relname = $1 and c.relnamespace = 'public'::regnamespace",
        )
        .bind(table)
        .fetch_one(&db.app)
        .await
        .unwrap_or_else(|e| panic!("{table}: {e}"));
        let (rls, force): (bool, bool) = (row.get(0), row.get(1));
        let pk_first: Option<String> = row.get(2);
        let tenant_policies: i64 = row.get(4);
        if !rls || !force {
            problems.push(format!("{table}: row-level security enabled={rls} forced={force}"));
        }
        if pk_first.as_deref() != Some("tenant_id") {
            problems.push(format!("{table}: primary key starts with {pk_first:?}, not tenant_id"));
        }
        if tenant_policies == 0 {
            problems.push(format!("{table}: no policy using current_tenant_id() for both USING and WITH CHECK"));
        }
        // unique indexes must lead with tenant_id too (Citus distribution, no cross-tenant uniqueness)
        let bad_unique: Vec<String> = sqlx::query_scalar(
            "select ic.relname from pg_index i join pg_class ic on ic.oid = i.indexrelid
             join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
             where i.indrelid = $1::regclass and i.indisunique and a.attname <> 'tenant_id'",
        )
        .bind(table)
        .fetch_all(&db.app)
        .await
        .unwrap_or_default();
        for idx in bad_unique {
            problems.push(format!("{table}: unique index {idx} does not start with tenant_id"));
        }
    }

    // Assert
    assert!(problems.is_empty(), "tenant-owned tables violate the tenancy rules:\n{}", problems.join("\n"));
}

#[tokio::test]
async fn every_table_grants_each_role_exactly_what_the_list_says() {
    let db = TestDb::new().await;
    let owner = db.owner().await;
    assert_eq!(PLATFORM_TABLES.len(), PLATFORM_GRANTS.len());
    for (t, _, _) in PLATFORM_GRANTS {
        assert!(PLATFORM_TABLES.contains(t), "{t}");
    }
    let tenant_owned = tenant_owned_tables(&db.app).await;
    // has_table_privilege counts grants to PUBLIC and through membership; the column check
    // catches column-level grants
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "select c.relname::text, r.rolname::text,
                concat_ws('',
                  case when has_table_privilege(r.oid, c.oid, 'SELECT') or has_any_column_privilege(r.oid, c.oid, 'SELECT') then 'S' end,
                  case when has_table_privilege(r.oid, c.oid, 'INSERT') or has_any_column_privilege(r.oid, c.oid, 'INSERT') then 'I' end,
                  case when has_table_privilege(r.oid, c.oid, 'UPDATE') or has_any_column_privilege(r.oid, c.oid, 'UPDATE') then 'U' end,
                  case when has_table_privilege(r.oid, c.oid, 'DELETE') then 'D' end,
                  case when has_table_privilege(r.oid, c.oid, 'TRUNCATE') then 'T' end,
                  case when has_table_privilege(r.oid, c.oid, 'REFERENCES') or has_any_column_privilege(r.oid, c.oid, 'REFERENCES') then 'R' end,
                  case when has_table_privilege(r.oid, c.oid, 'TRIGGER') then 'G' end)
           from pg_class c cross join pg_roles r
          where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and r.rolname in ('portal_app', 'portal_platform')
          order by 1, 2",
    )
    .fetch_all(&owner)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let mut problems = Vec::new();
    for (table, role, privs) in &rows {
        let expected = match PLATFORM_GRANTS.iter().find(|(t, _, _)| t == table) {
            Some((_, app, platform)) => {
                if role == "portal_app" {
                    *app
                } else {
                    *platform
                }
            }
            None if tenant_owned.contains(table) => "SIUD",
            None => "?",
        };
        if privs != expected {
            problems.push(format!("{table}: {role} has {privs:?}, the list says {expected:?}"));
        }
    }
    // the platform tables a tenant transaction may touch are under row-level security too, and no
    // policy that applies to portal_app lets it past its own tenant
    for table in ["job", "stripe_account", "audit_log"] {
        let (rls, force): (bool, bool) =
            sqlx::query_as("select relrowsecurity, relforcerowsecurity from pg_class where oid = $1::regclass")
                .bind(table)
                .fetch_one(&owner)
                .await
                .unwrap_or_default();
        if !rls || !force {
            problems.push(format!("{table}: row-level security enabled={rls} forced={force}"));
        }
        let loose: Vec<String> = sqlx::query_scalar(
            "select p.polname::text from pg_policy p
              where p.polrelid = $1::regclass
                and (0::oid = any(p.polroles) or (select oid from pg_roles where rolname = 'portal_app') = any(p.polroles))
                and (coalesce(pg_get_expr(p.polqual, p.polrelid), '') ilike '%is null%' or coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') ilike '%is null%'
                     or coalesce(pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid), '') not like '%current_tenant_id()%')",
        )
        .bind(table)
        .fetch_all(&owner)
        .await
        .unwrap_or_default();
        for p in loose {
            problems.push(format!("{table}: policy {p} lets portal_app past its tenant"));
        }
    }
    owner.close().await;
    assert!(problems.is_empty(), "grants differ from the list:\n{}", problems.join("\n"));
}

#[tokio::test]
async fn a_tenant_transaction_cannot_read_or_change_platform_tables() {
    // Arrange: a queued mail of tenant A with a reset link, an operator with a session
    let test_db = TestDb::new().await;
    let owner = test_db.owner().await;
    let db = test_db.db();
    let (a, b) = two_tenants(&test_db).await;
    sqlx::query("insert into job (job_id, tenant_id, kind, payload) values (gen_random_uuid(), $1, 'mail', '{\"text\": \"https://kaiserslautern.example/konto/passwort?token=geheim\"}')")
        .bind(a.0)
        .execute(&owner)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut p = db.platform().await.unwrap_or_else(|e| panic!("{e}"));
    let operator =
        portal_operators::create(&mut p, "betrieb-iso@kommunalportal.example", "Betrieb", "ein-langes-passwort-2026")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    portal_operators::start_session(&mut p, operator, &portal_operators::Origin::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    p.commit().await.unwrap_or_else(|e| panic!("{e}"));

    // Act + Assert: a Düren transaction (as a smuggled statement would run)
    let denied = "42501".to_owned();
    for sql in [
        "select count(*) from job",
        "select count(*) from operator where password_hash is not null",
        "select count(*) from operator_session",
        "select count(*) from tenant_domain",
        "update tenant set name = name",
        "delete from tenant_domain",
        "update base_service set name_de = name_de",
        "update plan set name = name",
        "insert into plan select * from plan limit 0",
        "update stripe_account set tenant_id = tenant_id",
        "set role portal_platform",
    ] {
        assert_eq!(in_tx(&db, Some(b), sql, None).await, Err(denied.clone()), "{sql}");
    }
    assert_eq!(
        in_tx(
            &db,
            Some(b),
            &format!(
                "insert into job (job_id, tenant_id, kind, payload) values (gen_random_uuid(), '{}', 'mail', '{{}}')",
                a.0
            ),
            None
        )
        .await,
        Err(denied.clone()),
        "enqueue for A"
    );
    assert_eq!(
        in_tx(
            &db,
            Some(b),
            "insert into job (job_id, tenant_id, kind, payload) values (gen_random_uuid(), null, 'mail', '{}')",
            None
        )
        .await,
        Err(denied.clone()),
        "enqueue for nobody"
    );
    assert_eq!(
        in_tx(
            &db,
            Some(b),
            &format!(
                "insert into job (job_id, tenant_id, kind, payload) values (gen_random_uuid(), '{}', 'mail', '{{}}')",
                b.0
            ),
            None
        )
        .await,
        Ok(1),
        "its own mail"
    );
    assert_eq!(
        in_tx(&db, Some(b), &format!("delete from stripe_account where tenant_id = '{}'", a.0), None).await,
        Err(denied.clone()),
        "A's account mapping"
    );
    assert_eq!(
        in_tx(
            &db,
            Some(b),
            &format!("insert into audit_log (audit_id, tenant_id, actor_kind, actor_id, actor_name, action, object) values (gen_random_uuid(), '{}', 'system', gen_random_uuid(), 'x', 'x', 'x')", a.0),
            None
        )
        .await,
        Err(denied.clone()),
        "audit entry for A"
    );
    assert_eq!(
        in_tx(&db, Some(b), "select count(*) from audit_log where tenant_id is null", None).await,
        Ok(1),
        "the query runs, and sees nothing"
    );
    // the platform path reads the queue and the operators
    let jobs: i64 = sqlx::query_scalar("select count(*) from job").fetch_one(&test_db.platform).await.unwrap_or(-1);
    assert!(jobs >= 1);
    owner.close().await;
}

#[tokio::test]
async fn the_application_role_is_neither_superuser_nor_owner_nor_bypassrls() {
    let db = TestDb::new().await;
    let row =
        sqlx::query("select rolsuper, rolbypassrls, current_user::text from pg_roles where rolname = current_user")
            .fetch_one(&db.app)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    let (superuser, bypass, user): (bool, bool, String) = (row.get(0), row.get(1), row.get(2));
    assert_eq!(user, "portal_app");
    assert!(!superuser && !bypass, "portal_app must not be superuser ({superuser}) or BYPASSRLS ({bypass})");
    let owned: i64 = sqlx::query_scalar("select count(*) from pg_class c where c.relowner = (select oid from pg_roles where rolname = 'portal_app') and c.relnamespace = 'public'::regnamespace")
        .fetch_one(&db.app)
        .await
        .unwrap_or(-1);
    assert_eq!(owned, 0, "portal_app must own no table");
    // the platform role likewise, and neither is a member of any role (SET ROLE would lift the
    // walls between them; pg_read_all_data would bypass the grants)
    let (user, superuser, bypass): (String, bool, bool) =
        sqlx::query_as("select current_user::text, rolsuper, rolbypassrls from pg_roles where rolname = current_user")
            .fetch_one(&db.platform)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(user, "portal_platform");
    assert!(!superuser && !bypass);
    let memberships: i64 =
        sqlx::query_scalar("select count(*) from pg_auth_members m join pg_roles r on r.oid = m.member where r.rolname in ('portal_app', 'portal_platform')").fetch_one(&db.app).await.unwrap_or(-1);
    assert_eq!(memberships, 0);
    let owned: i64 = sqlx::query_scalar(
        "select count(*) from pg_class c join pg_roles r on r.oid = c.relowner where r.rolname = 'portal_platform'",
    )
    .fetch_one(&db.app)
    .await
    .unwrap_or(-1);
    assert_eq!(owned, 0, "portal_platform must own no table");
    assert!(db.db().check_roles().await.is_ok(), "the server's start-up check accepts these roles");
    assert!(
        portal_db::Db::from_pools(db.app.clone(), db.app.clone()).check_roles().await.is_err(),
        "and refuses one role for both paths"
    );
}

/// Kaiserslautern (A) and Düren (B).
async fn two_tenants(test_db: &TestDb) -> (TenantId, TenantId) {
    let id = |slug: &'static str| async move {
        let id: uuid::Uuid = sqlx::query_scalar("select tenant_id from tenant where slug = $1")
            .bind(slug)
            .fetch_one(&test_db.app)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        TenantId(id)
    };
    (id("kaiserslautern").await, id("dueren").await)
}

/// Runs `sql` in a transaction begun for `tenant` (or with no tenant) and returns rows affected or
/// the error code.
async fn in_tx(db: &Db, tenant: Option<TenantId>, sql: &str, json: Option<&serde_json::Value>) -> Result<u64, String> {
    let result = match tenant {
        Some(t) => {
            let mut tx = db.tenant(t).await.map_err(|e| e.to_string())?;
            let q = sqlx::query(sql);
            let q = if let Some(j) = json { q.bind(j) } else { q };
            q.execute(tx.conn()).await.map(|r| r.rows_affected())
        }
        None => {
            let mut tx = db.platform().await.map_err(|e| e.to_string())?;
            let q = sqlx::query(sql);
            let q = if let Some(j) = json { q.bind(j) } else { q };
            q.execute(tx.conn()).await.map(|r| r.rows_affected())
        }
    };
    // every transaction here is rolled back on drop: nothing it did survives
    result.map_err(|e| match e {
        sqlx::Error::Database(d) => d.code().map(|c| c.into_owned()).unwrap_or_default(),
        other => other.to_string(),
    })
}

/// The isolation fixtures (`tests/fixtures/<name>.sql`), each a capability's tables for two tenants.
const FIXTURES: [(&str, &str); 8] = [
    ("identity", include_str!("../fixtures/identity.sql")),
    ("cases", include_str!("../fixtures/cases.sql")),
    ("payments", include_str!("../fixtures/payments.sql")),
    ("appointments", include_str!("../fixtures/appointments.sql")),
    ("kita", include_str!("../fixtures/kita.sql")),
    ("documents", include_str!("../fixtures/documents.sql")),
    ("form_builder", include_str!("../fixtures/form_builder.sql")),
    ("streets", include_str!("../fixtures/streets.sql")),
];

async fn count_in(db: &Db, tenant: Option<TenantId>, table: &str, owner_of_rows: TenantId) -> i64 {
    let sql = format!("select count(*) from {table} where tenant_id = $1");
    match tenant {
        Some(t) => {
            let mut tx = db.tenant(t).await.unwrap_or_else(|e| panic!("{e}"));
            sqlx::query_scalar(&sql).bind(owner_of_rows.0).fetch_one(tx.conn()).await.unwrap_or(-1)
        }
        None => {
            let mut tx = db.platform().await.unwrap_or_else(|e| panic!("{e}"));
            sqlx::query_scalar(&sql).bind(owner_of_rows.0).fetch_one(tx.conn()).await.unwrap_or(-1)
        }
    }
}

#[tokio::test]
async fn a_transaction_for_tenant_b_cannot_read_insert_update_or_delete_rows_of_tenant_a() {
    // Arrange: two demo tenants; the template has rows of every tenant-owned table for each
    let test_db = TestDb::new().await;
    let owner = test_db.owner().await;
    let db = test_db.db();
    let (a, b) = two_tenants(&test_db).await;
    let tables = tenant_owned_tables(&test_db.app).await;
    // rows for both tenants of the tables demo data leaves empty (identity has none), in an order
    // their references allow
    for (name, sql) in FIXTURES {
        sqlx::raw_sql(sql).execute(&owner).await.unwrap_or_else(|e| panic!("fixture {name}: {e}"));
    }

    for table in &tables {
        // the superuser sees A's rows: the fixture is there (a new table needs demo data or this fails)
        let visible_to_owner: i64 = sqlx::query_scalar(&format!("select count(*) from {table} where tenant_id = $1"))
            .bind(a.0)
            .fetch_one(&owner)
            .await
            .unwrap_or(0);
        assert!(visible_to_owner > 0, "{table}: the test needs rows of tenant A; add demo data for it");
        let row_of_a: serde_json::Value =
            sqlx::query_scalar(&format!("select to_jsonb(t) from {table} t where tenant_id = $1 limit 1"))
                .bind(a.0)
                .fetch_one(&owner)
                .await
                .unwrap_or_else(|e| panic!("{e}"));

        // A's own transaction sees them (the policy is not simply "deny all")
        assert_eq!(count_in(&db, Some(a), table, a).await, visible_to_owner, "{table}: tenant A must see its own rows");

        // Act + Assert, as tenant B
        assert_eq!(count_in(&db, Some(b), table, a).await, 0, "{table}: B read A's rows");
        let updated =
            in_tx(&db, Some(b), &format!("update {table} set tenant_id = tenant_id where tenant_id = '{}'", a.0), None)
                .await;
        assert_eq!(updated, Ok(0), "{table}: B updated A's rows");
        let deleted = in_tx(&db, Some(b), &format!("delete from {table} where tenant_id = '{}'", a.0), None).await;
        assert_eq!(deleted, Ok(0), "{table}: B deleted A's rows");
        // (generated columns, such as an activation's reference columns, are left to the table)
        let columns: Vec<String> = sqlx::query_scalar("select column_name::text from information_schema.columns where table_name = $1 and is_generated = 'NEVER' order by ordinal_position")
            .bind(table)
            .fetch_all(&owner)
            .await
            .unwrap_or_default();
        let columns = columns.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
        let inserted = in_tx(
            &db,
            Some(b),
            &format!("insert into {table} ({columns}) select {columns} from jsonb_populate_record(null::{table}, $1)"),
            Some(&row_of_a),
        )
        .await;
        assert_eq!(inserted, Err("42501".to_owned()), "{table}: B inserted a row for A (expected an RLS violation)");
        // B cannot move one of its own rows over to A either
        let moved =
            in_tx(&db, Some(b), &format!("update {table} set tenant_id = '{}' where tenant_id = '{}'", a.0, b.0), None)
                .await;
        assert!(
            matches!(moved, Err(ref code) if code == "42501") || moved == Ok(0),
            "{table}: B moved a row to A: {moved:?}"
        );

        // Act + Assert, with no tenant set
        assert_eq!(count_in(&db, None, table, a).await, 0, "{table}: a transaction without tenant read rows");
        let total: i64 = {
            let mut tx = db.platform().await.unwrap_or_else(|e| panic!("{e}"));
            sqlx::query_scalar(&format!("select count(*) from {table}")).fetch_one(tx.conn()).await.unwrap_or(-1)
        };
        assert_eq!(total, 0, "{table}: a transaction without tenant read rows");
        assert_eq!(
            in_tx(&db, None, &format!("update {table} set tenant_id = tenant_id"), None).await,
            Ok(0),
            "{table}: no-tenant update"
        );
        assert_eq!(in_tx(&db, None, &format!("delete from {table}"), None).await, Ok(0), "{table}: no-tenant delete");
        let inserted = in_tx(
            &db,
            None,
            &format!("insert into {table} ({columns}) select {columns} from jsonb_populate_record(null::{table}, $1)"),
            Some(&row_of_a),
        )
        .await;
        assert_eq!(inserted, Err("42501".to_owned()), "{table}: no-tenant insert must be refused");
    }

    // nothing changed
    for table in &tables {
        let n: i64 = sqlx::query_scalar(&format!("select count(*) from {table} where tenant_id = $1"))
            .bind(a.0)
            .fetch_one(&owner)
            .await
            .unwrap_or(0);
        assert!(n > 0, "{table}: A's rows are gone");
    }
    owner.close().await;
}

#[tokio::test]
async fn the_tenant_setting_does_not_leak_to_the_next_transaction_on_the_same_connection() {
    // Arrange: a pool of one connection, so both transactions use the same session
    let test_db = TestDb::new().await;
    let opts = test_db.app.connect_options().as_ref().clone();
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // the same connection for the platform path too, so the check reads the very session
    let db = Db::from_pools(pool.clone(), pool);
    let a: uuid::Uuid = sqlx::query_scalar("select tenant_id from tenant where slug = 'kaiserslautern'")
        .fetch_one(&test_db.app)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // Act
    let mut tx = db.tenant(TenantId(a)).await.unwrap_or_else(|e| panic!("{e}"));
    let inside: i64 =
        sqlx::query_scalar("select count(*) from service_activation").fetch_one(tx.conn()).await.unwrap_or(-1);
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    let mut after = db.platform().await.unwrap_or_else(|e| panic!("{e}"));
    let outside: i64 =
        sqlx::query_scalar("select count(*) from service_activation").fetch_one(after.conn()).await.unwrap_or(-1);

    // Assert
    assert!(inside > 0);
    assert_eq!(outside, 0, "SET LOCAL must end with the transaction");
}
