//! Test support: a migrated template database (catalogue and demo tenants synced), a fresh copy per
//! test, and the application router driven in-process with `oneshot`.
//!
//! The server's pool connects as `portal_app`, the application role, exactly as in production, so
//! row-level security is in force in every test.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use portal_db::Db;
use portal_tenancy::TenantRegistry;
use portal_web::{AppState, StateConfig};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};
use std::str::FromStr;
use tower::ServiceExt;

mod authenticator;
mod client;
mod mailbox;
pub use mailbox::*;
mod services;
pub use authenticator::{Authenticator, secret_on_page};
pub use client::TestClient;
pub use services::*;

/// The repository root.
pub fn repo_root() -> PathBuf {
    // cargo passes the package folder at run time; the compile-time value may name another checkout
    // that shared the target directory
    PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()))
        .join("..")
}

pub fn tenants_dir() -> PathBuf {
    std::env::var("TEST_TENANTS_DIR").map_or_else(|_| repo_root().join("tenants"), PathBuf::from)
}

fn url_for(db: &str, user: &str, password: Option<&str>) -> PgConnectOptions {
    let base = PgConnectOptions::from_str(&admin_url()).unwrap_or_else(|_| PgConnectOptions::new());
    let base = base.database(db).username(user);
    let base = match password {
        Some(p) => base.password(p),
        None => base,
    };
    base.log_statements(tracing::log::LevelFilter::Trace)
}

async fn admin_pool(db: &str) -> PgPool {
    PgPoolOptions::new()
        .max_connections(2)
        .connect_with(url_for(db, "postgres", None))
        .await
        .unwrap_or_else(|e| panic!("cannot connect to PostgreSQL as superuser ({}): {e}", admin_url()))
}

fn hash_dir(h: &mut DefaultHasher, dir: &Path) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).into_iter().flatten().flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            hash_dir(h, &p);
        } else if let Ok(bytes) = std::fs::read(&p) {
            p.file_name().hash(h);
            bytes.hash(h);
        }
    }
}

/// The SQLSTATE of a failed statement (`"42501"` for a refusal by privileges or row-level
/// security), or `None` when it succeeded or failed outside the database.
pub fn sqlstate<T>(r: &Result<T, sqlx::Error>) -> Option<String> {
    r.as_ref().err().and_then(|e| e.as_database_error()).and_then(|e| e.code()).map(|c| c.into_owned())
}

/// The day the template's demo data is synced "on": its relative dates (the Kita deadline and
/// year) follow from it, so tests that depend on them set their clock relative to this day, never
/// to the real today. With it, the demo Kita deadline is 31 March 2027 and the year starts on
/// 1 August 2027 (Kaiserslautern; Düren closes on 28 February).
pub const DEMO_DAY: time::OffsetDateTime = time::macros::datetime!(2026-12-07 09:00 +01:00);

static TEMPLATE_LOCK: tokio::sync::Mutex<Option<String>> = tokio::sync::Mutex::const_new(None);

/// The template database: migrated, catalogue and demo tenants synced. Rebuilt when migrations or
/// data files change (its name carries their hash).
async fn template() -> String {
    let mut guard = TEMPLATE_LOCK.lock().await;
    if let Some(name) = guard.as_ref() {
        return name.clone();
    }
    let mut h = DefaultHasher::new();
    hash_dir(&mut h, &repo_root().join("migrations"));
    hash_dir(&mut h, &tenants_dir());
    DEMO_DAY.hash(&mut h);
    // a capability that brings demo data (or stops) makes a new template
    portal_server::capabilities::ALL.iter().filter(|c| c.demo.is_some()).for_each(|c| c.name.hash(&mut h));
    let name = format!("kp_tmpl_{:x}", h.finish());
    let admin = admin_pool("postgres").await;
    // one process builds it at a time
    let mut conn = admin.acquire().await.unwrap_or_else(|e| panic!("{e}"));
    sqlx::query("select pg_advisory_lock(7350001)").execute(&mut *conn).await.ok();
    let exists: bool = sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
        .bind(&name)
        .fetch_one(&mut *conn)
        .await
        .unwrap_or(false);
    if !exists {
        // old templates and test databases of earlier runs
        let stale: Vec<String> = sqlx::query_scalar(
            "select datname from pg_database where datname like 'kp_tmpl_%' or datname like 'kp_t_%'",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap_or_default();
        for db in stale {
            let _ = sqlx::query(&format!("drop database if exists \"{db}\" with (force)")).execute(&mut *conn).await;
        }
        let building = format!("{name}_building");
        let _ = sqlx::query(&format!("drop database if exists \"{building}\" with (force)")).execute(&mut *conn).await;
        sqlx::query(&format!("create database \"{building}\""))
            .execute(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        {
            let owner = admin_pool(&building).await;
            portal_db::migrate(&owner).await.unwrap_or_else(|e| panic!("migrations: {e}"));
            for role in ["portal_app", "portal_platform"] {
                sqlx::query(&format!("alter role {role} with login password '{role}'"))
                    .execute(&owner)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
            }
            owner.close().await;
            let app = app_pool(&building).await;
            let platform = platform_pool(&building).await;
            let db = Db::from_pools(app.clone(), platform.clone()).with_clock(portal_domain::Clock::fixed(DEMO_DAY));
            let catalogue =
                portal_catalogue::Catalogue::load(&tenants_dir().join("catalogue")).unwrap_or_else(|e| panic!("{e}"));
            portal_server::seed::sync_base_catalogue(&db, &catalogue).await.unwrap_or_else(|e| panic!("{e:#}"));
            let demo = portal_tenancy::demo::load(&tenants_dir().join("demo")).unwrap_or_else(|e| panic!("{e}"));
            portal_server::seed::sync_demo_tenants(&db, &catalogue, &demo, &test_oidc())
                .await
                .unwrap_or_else(|e| panic!("{e:#}"));
            // every capability's demo data, as the server syncs it in demo mode
            portal_server::kit::registry::sync_demo(portal_server::capabilities::ALL, &db, &tenants_dir().join("demo"))
                .await
                .unwrap_or_else(|e| panic!("{e:#}"));
            // the demo accounts' onboarding state, from the Stripe-compatible test server
            portal_server::payments::jobs::check_accounts(&db, &stripe_gateway(&stripe_url()))
                .await
                .unwrap_or_else(|e| panic!("{e:#}"));
            let checked: i64 = sqlx::query_scalar("select count(*) from payment_setup where account_charges_enabled")
                .fetch_one(&admin_pool(&building).await)
                .await
                .unwrap_or(0);
            assert!(
                checked >= 2,
                "the Stripe-compatible test server at {} did not answer (see infra/scripts/test-services.sh)",
                stripe_url()
            );
            app.close().await;
            platform.close().await;
        }
        sqlx::query(&format!("alter database \"{building}\" rename to \"{name}\""))
            .execute(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    sqlx::query("select pg_advisory_unlock(7350001)").execute(&mut *conn).await.ok();
    drop(conn);
    admin.close().await;
    *guard = Some(name.clone());
    name
}

async fn app_pool(db: &str) -> PgPool {
    PgPoolOptions::new()
        .max_connections(5)
        .connect_with(url_for(db, "portal_app", Some("portal_app")))
        .await
        .unwrap_or_else(|e| panic!("cannot connect as portal_app: {e}"))
}

async fn platform_pool(db: &str) -> PgPool {
    PgPoolOptions::new()
        .max_connections(3)
        .connect_with(url_for(db, "portal_platform", Some("portal_platform")))
        .await
        .unwrap_or_else(|e| panic!("cannot connect as portal_platform: {e}"))
}

/// A fresh database for one test, copied from the template.
#[derive(Clone)]
pub struct TestDb {
    pub name: String,
    /// Application-role pool (row-level security applies; tenant requests).
    pub app: PgPool,
    /// Platform-role pool (console, workers).
    pub platform: PgPool,
    /// The clock of the servers on this database (the system clock unless the test sets one).
    pub clock: portal_domain::Clock,
}

impl TestDb {
    pub async fn new() -> Self {
        ensure_services();
        let template = template().await;
        let name = format!("kp_t_{}", uuid::Uuid::now_v7().simple());
        let admin = admin_pool("postgres").await;
        sqlx::query(&format!("create database \"{name}\" template \"{template}\""))
            .execute(&admin)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        admin.close().await;
        let app = app_pool(&name).await;
        let platform = platform_pool(&name).await;
        Self { name, app, platform, clock: portal_domain::Clock::system() }
    }

    /// The server's database handle on this database (both roles), reading this database's clock.
    pub fn db(&self) -> Db {
        Db::from_pools(self.app.clone(), self.platform.clone()).with_clock(self.clock.clone())
    }

    /// A superuser pool on this database, for arranging what the app role may not (never for the
    /// assertions of isolation tests).
    pub async fn owner(&self) -> PgPool {
        admin_pool(&self.name).await
    }
}

/// The OpenID Connect side as the test server runs it: the public development key of
/// `infra/config/test.toml`, loopback providers allowed.
pub fn test_oidc() -> portal_identity::oidc::Oidc {
    let key = portal_identity::sealed::SecretsKey::from_base64(portal_settings::DEVELOPMENT_SECRETS_KEY)
        .unwrap_or_else(|e| panic!("{e}"));
    portal_identity::oidc::Oidc::new(key, true)
}

/// The document types of the repository's base catalogue, sealed with the development key.
pub fn test_documents() -> portal_documents::Documents {
    let key = portal_identity::sealed::SecretsKey::from_base64(portal_settings::DEVELOPMENT_SECRETS_KEY)
        .unwrap_or_else(|e| panic!("{e}"));
    portal_documents::Documents::load(&tenants_dir().join("catalogue"), key).unwrap_or_else(|e| panic!("{e}"))
}

/// The application on a fresh database, driven in-process.
pub struct TestApp {
    pub db: TestDb,
    pub state: AppState,
    router: axum::Router,
    /// Counts the content changes this server's listener has applied (see [`Self::content_changes`]).
    changes: tokio::sync::watch::Receiver<u64>,
    /// The tests' authenticator app (second factors set up through this app).
    authenticator: Authenticator,
}

/// A response with its body read.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The body as text (lossy: for HTML).
    pub body: String,
    /// The body as sent (compressed bodies, PDFs).
    pub bytes: Vec<u8>,
}

impl TestResponse {
    pub fn location(&self) -> Option<&str> {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok())
    }

    /// `name=value` of the cookies the response sets.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").to_owned())
            .collect()
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies().into_iter().find_map(|c| c.strip_prefix(&format!("{name}=")).map(str::to_owned))
    }

    /// The value of the first hidden input `name` in the page.
    pub fn hidden(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('"')? + start;
        Some(self.body[start..end].to_owned())
    }
}

pub const OPS_HOST: &str = "ops.localhost";
/// The webhook signing secret shared with the Stripe stand-in (tests/e2e/services/stripe.mjs).
pub const WEBHOOK_SECRET: &str = "whsec_test_kommunalportal";

/// The Stripe-compatible server started by the test command (`STRIPE_API_BASE`).
pub fn stripe_url() -> String {
    ensure_services();
    std::env::var("STRIPE_API_BASE").unwrap_or_else(|_| "http://127.0.0.1:12111/".into())
}

/// async-stripe pointed at `base` with the stand-in's test key.
pub fn stripe_gateway(base: &str) -> portal_payments::StripeGateway {
    let key: secrecy::SecretString = "sk_test_kommunalportal".to_owned().into();
    portal_payments::StripeGateway::new(Some(&key), base, std::time::Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("{e}"))
}
pub const OPERATOR_EMAIL: &str = "ops-test@kommunalportal.example";
pub const OPERATOR_PASSWORD: &str = "richtig-langes-passwort";

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with_stripe(&stripe_url()).await
    }

    /// The application on a fresh database with its clock standing at `at`: what the code under
    /// test calls "now" (in Rust and in SQL's `app_now()`) is `at` until the test moves the clock.
    pub async fn spawn_at(at: time::OffsetDateTime) -> Self {
        let mut db = TestDb::new().await;
        db.clock = portal_domain::Clock::fixed(at);
        Self::serve(db, &stripe_url()).await
    }

    /// Closes this app's connections now, for a test that runs several apps one after another in
    /// one runtime (background tasks would otherwise hold them until the test ends).
    pub async fn close(self) {
        self.db.app.close().await;
        self.db.platform.close().await;
    }

    /// The clock of this app (and of its other servers): set or advance it in the test.
    pub fn clock(&self) -> &portal_domain::Clock {
        &self.db.clock
    }

    /// An app whose Stripe client talks to `stripe_base` (e.g. a closed port: Stripe unreachable).
    /// A client secret sealed as the test server seals it (the public development key), for a
    /// provider `slug` at `issuer` with `client_id`.
    pub fn seal(&self, tenant: uuid::Uuid, slug: &str, issuer: &str, client_id: &str, secret: &str) -> Vec<u8> {
        let p = portal_identity::oidc::ProviderConfig {
            slug: slug.to_owned(),
            display_name: String::new(),
            issuer_url: issuer.to_owned(),
            client_id: client_id.to_owned(),
            sealed_secret: None,
            scopes: String::new(),
            enabled: true,
        };
        self.state.oidc.seal_secret(tenant, &p, secret)
    }

    pub async fn spawn_with_stripe(stripe_base: &str) -> Self {
        Self::serve(TestDb::new().await, stripe_base).await
    }

    /// A second server on this app's database, as another process would run it: its own pools'
    /// state, host registry, content and page caches, and notification listener.
    pub async fn another_server(&self) -> Self {
        let db = TestDb {
            name: self.db.name.clone(),
            app: app_pool(&self.db.name).await,
            platform: platform_pool(&self.db.name).await,
            clock: self.db.clock.clone(),
        };
        Self::serve(db, &stripe_url()).await
    }

    async fn serve(db: TestDb, stripe_base: &str) -> Self {
        let content = Arc::new(portal_web::content::ContentCache::new(portal_web::content::ContentLimits::default()));
        let listener_content = Arc::clone(&content);
        let (changed, changes) = tokio::sync::watch::channel(0u64);
        // as in the server: notifications keep the registry and the content current (and the test
        // learns when this server has applied one)
        let registry = TenantRegistry::start(
            db.db(),
            std::time::Duration::from_secs(60),
            Arc::new(move |change| {
                listener_content.apply(change);
                changed.send_modify(|n| *n += 1);
            }),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let live = portal_server::appointments::live_hub(&db.db(), portal_web::live::STREAMS_PER_ADDRESS);
        let state = AppState::new(portal_web::AppParts {
            db: db.db(),
            registry,
            content,
            live,
            pages: Arc::new(portal_web::shared_pages::PageCache::new(portal_web::shared_pages::PageLimits::default())),
            config: Arc::new(StateConfig {
                ops_host: portal_domain::HostName::parse(OPS_HOST).unwrap_or_else(|e| panic!("{e}")),
                trusted_proxies: vec!["10.9.9.9".parse().unwrap_or_else(|e| panic!("{e}"))],
                secure_cookies: false,
                site_dir: std::env::var("SITE_DIR")
                    .map_or_else(|_| std::env::temp_dir().join("kp-no-site"), PathBuf::from),
                metrics_token: None,
                max_body_bytes: 1024 * 1024,
                map_tiles: String::new(),
                map_attribution: String::new(),
            }),
            metrics: portal_settings::metrics_recorder(),
            authz: Arc::new(portal_authz::Authorizer::new().await.unwrap_or_else(|e| panic!("{e}"))),
            oidc: Arc::new(test_oidc()),
            payments: Arc::new(stripe_gateway(stripe_base)),
            payment_config: Arc::new(portal_web::PaymentConfig {
                js_url: format!("{}js/stripe.js", stripe_url()),
                page_origins: vec![stripe_url().trim_end_matches('/').to_owned()],
                publishable_key: "pk_test_kommunalportal".into(),
                webhook_secret: Some(WEBHOOK_SECRET.to_owned().into()),
                intent_expiry_hours: 24,
            }),
            documents: Arc::new(test_documents()),
        });
        let router = portal_server::build_router(state.clone());
        Self { db, state, router, changes, authenticator: Authenticator::default() }
    }

    /// A receiver that wakes whenever this server has applied a content change from a
    /// notification (host-name changes reload the registry without one).
    pub fn content_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        let mut rx = self.changes.clone();
        rx.mark_unchanged();
        rx
    }

    /// The same app served by a router with the capabilities of `list` instead of the platform's.
    pub fn with_capabilities(mut self, list: &'static [portal_server::kit::registry::Capability]) -> Self {
        self.router = portal_server::build_router_with(self.state.clone(), list);
        self
    }

    /// Sends a request and returns the response with its body unread (a stream that never ends).
    pub async fn open(&self, req: Request<Body>) -> axum::response::Response {
        self.router.clone().oneshot(req).await.unwrap_or_else(|e| match e {})
    }

    pub async fn request(&self, req: Request<Body>) -> TestResponse {
        let response = self.router.clone().oneshot(req).await.unwrap_or_else(|e| match e {});
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        TestResponse { status, headers, body: String::from_utf8_lossy(&bytes).into_owned(), bytes: bytes.to_vec() }
    }

    pub async fn get(&self, host: &str, path: &str) -> TestResponse {
        self.get_with(host, path, &[]).await
    }

    /// GET with extra headers (e.g. `cookie`, `accept-language`).
    pub async fn get_with(&self, host: &str, path: &str, headers: &[(&str, &str)]) -> TestResponse {
        let mut b = Request::get(path).header(header::HOST, host);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        self.request(b.body(Body::empty()).unwrap_or_default()).await
    }

    /// POST an urlencoded form.
    pub async fn post_form(&self, host: &str, path: &str, fields: &[(&str, &str)], cookie: &str) -> TestResponse {
        let body: String = fields
            .iter()
            .map(|(k, v)| format!("{}={}", urlencoding::encode(k), urlencoding::encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let req = Request::post(path)
            .header(header::HOST, host)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookie)
            .body(Body::from(body))
            .unwrap_or_default();
        self.request(req).await
    }

    /// POST a multipart form; `file` is (field, filename, bytes).
    pub async fn post_multipart(
        &self,
        host: &str,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &str, &[u8])>,
        cookie: &str,
    ) -> TestResponse {
        self.post_multipart_files(host, path, fields, file.as_slice(), cookie).await
    }

    /// POST a multipart form with any number of files (field, filename, bytes).
    pub async fn post_multipart_files(
        &self,
        host: &str,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
        cookie: &str,
    ) -> TestResponse {
        let boundary = "----kommunalportal-test-boundary";
        let mut body: Vec<u8> = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
            );
        }
        for &(name, filename, bytes) in files {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let req = Request::post(path)
            .header(header::HOST, host)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .header(header::COOKIE, cookie)
            .body(Body::from(body))
            .unwrap_or_default();
        self.request(req).await
    }

    /// Creates an operator and logs in through the form; returns the session cookie and the CSRF
    /// token of the console.
    pub async fn login_operator(&self) -> (String, String) {
        let mut tx = self.state.db.platform().await.unwrap_or_else(|e| panic!("{e}"));
        let _ = portal_operators::create(&mut tx, OPERATOR_EMAIL, "Test Betrieb", OPERATOR_PASSWORD).await;
        tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
        let mut c = self.client(OPS_HOST);
        let r = c.submit("/login", "/login", &[("email", OPERATOR_EMAIL), ("password", OPERATOR_PASSWORD)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "login failed: {}", r.body);
        // operators always have a second factor: set up at the first login, a code afterwards
        assert!(
            matches!(r.location(), Some("/login/einrichten" | "/login/code")),
            "the password alone opened the console: {:?}",
            r.location()
        );
        let r = c.second_step(r, OPERATOR_EMAIL).await;
        assert!(r.status.is_success() || r.status == StatusCode::SEE_OTHER, "second step failed: {}", r.body);
        let session = format!(
            "ops_session={}",
            c.cookies.get("ops_session").cloned().unwrap_or_else(|| panic!("no console session: {}", r.body))
        );
        let home = self.get_with(OPS_HOST, "/", &[("cookie", &session)]).await;
        let csrf = home.hidden("_csrf").unwrap_or_default();
        (session, csrf)
    }

    /// The id of a demo tenant by slug.
    pub async fn tenant_id(&self, slug: &str) -> uuid::Uuid {
        sqlx::query_scalar("select tenant_id from tenant where slug = $1")
            .bind(slug)
            .fetch_one(&self.db.app)
            .await
            .unwrap_or_else(|e| panic!("{slug}: {e}"))
    }
}

impl TestApp {
    /// Delivers queued mail through the real SMTP server of the test mailbox.
    pub async fn deliver_mail(&self) -> usize {
        portal_mail::process_due(&self.state.db, &smtp_to(mailbox_smtp_port()), 100)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Delivers queued mail and returns the path and query of the last link in the newest mail to
    /// `to` that contains `fragment`.
    pub async fn mailed_link(&self, to: &str, fragment: &str) -> String {
        self.deliver_mail().await;
        for _ in 0..50 {
            let mails = mails_for(to).await;
            if let Some(link) = mails.iter().rev().flat_map(|m| m.links.iter()).find(|l| l.contains(fragment)) {
                return link
                    .split_once("://")
                    .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
                    .unwrap_or_default();
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("no mail to {to} with a link containing {fragment}");
    }

    /// A browser-like client on `host`: keeps cookies between requests.
    pub fn client(&self, host: &str) -> TestClient<'_> {
        TestClient { app: self, host: host.to_owned(), cookies: std::collections::BTreeMap::new() }
    }
}
