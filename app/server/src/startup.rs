//! Start-up: migrations, data sync, registry, and the HTTP server with graceful shutdown.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use portal_db::{Db, PoolSettings};
use portal_settings::{Settings, Telemetry};
use portal_tenancy::TenantRegistry;
use portal_web::{AppState, StateConfig};
use secrecy::ExposeSecret;
use sqlx::postgres::PgPoolOptions;

/// A built server, ready to serve.
pub struct Application {
    pub state: AppState,
    pub listener: tokio::net::TcpListener,
    /// The mail transport, when this process runs the delivery worker.
    pub mail: Option<(Arc<dyn portal_mail::MailTransport>, Duration)>,
    /// The capabilities' background jobs this process runs (payment reminders, retention ...).
    jobs: Vec<crate::kit::registry::BoxFuture<'static, ()>>,
    stop: tokio::sync::watch::Sender<bool>,
    stopped: tokio::sync::watch::Receiver<bool>,
}

/// The SMTP transport of the settings.
pub fn smtp_transport(settings: &Settings) -> anyhow::Result<Arc<dyn portal_mail::MailTransport>> {
    let m = &settings.mail;
    let tls = match m.smtp_tls.as_str() {
        "none" => portal_mail::SmtpTls::None,
        "tls" => portal_mail::SmtpTls::Tls,
        _ => portal_mail::SmtpTls::Starttls,
    };
    let t = portal_mail::SmtpTransport::new(&portal_mail::SmtpSettings {
        host: m.smtp_host.clone(),
        port: m.smtp_port,
        tls,
        username: m.smtp_username.clone(),
        password: m.smtp_password.clone(),
        from_address: m.from_address.clone(),
        timeout: Duration::from_secs(20),
    })
    .map_err(|e| anyhow::anyhow!("mail settings: {e}"))?;
    Ok(Arc::new(t))
}

/// Applies pending migrations on the owner connection and, where configured, lets the application
/// role log in.
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let owner_opts = settings.database.owner_options()?.context("database.owner_url is needed to migrate")?;
    let owner = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(owner_opts)
        .await
        .context("connecting as the schema owner")?;
    portal_db::migrate(&owner).await.context("running migrations")?;
    if settings.database.manage_app_role {
        for (url, opts, role) in [
            (&settings.database.url, settings.database.app_options()?, "portal_app"),
            (&settings.database.platform_url, settings.database.platform_options()?, "portal_platform"),
        ] {
            anyhow::ensure!(
                opts.get_username() == role,
                "the database URL for {role} must connect as {role} when manage_app_role is on"
            );
            let sql = match url_password(url.expose_secret()) {
                Some(p) => format!("alter role {role} with login password '{}'", p.replace('\'', "''")),
                None => format!("alter role {role} with login"),
            };
            sqlx::query(&sql).execute(&owner).await.with_context(|| format!("granting LOGIN to {role}"))?;
        }
    }
    owner.close().await;
    tracing::info!("migrations applied");
    Ok(())
}

fn url_password(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let userinfo = rest.split_once('@')?.0;
    let pw = userinfo.split_once(':')?.1;
    Some(urlencoding::decode(pw).map_or_else(|_| pw.to_owned(), |c| c.into_owned()))
}

/// Connects, syncs the data files and loads the tenant registry.
pub async fn build_state(settings: &Settings, telemetry: &Telemetry) -> anyhow::Result<AppState> {
    if settings.database.migrate_on_start {
        migrate(settings).await?;
    }
    let pool = PoolSettings {
        max_connections: settings.database.max_connections,
        statement_timeout: Duration::from_millis(settings.database.statement_timeout_ms),
        platform_max_connections: settings.database.platform_max_connections,
        ..PoolSettings::default()
    };
    let db = Db::connect_lazy(settings.database.app_options()?, settings.database.platform_options()?, &pool);
    db.check_roles().await.context("checking the database roles")?;

    let key = portal_identity::sealed::SecretsKey::from_base64(settings.security.secrets_key.expose_secret())
        .context("security.secrets_key")?;
    let oidc = Arc::new(portal_identity::oidc::Oidc::new(key, settings.security.allow_loopback_http));

    let tenants_dir = &settings.paths.tenants_dir;
    let catalogue = portal_catalogue::Catalogue::load(&tenants_dir.join("catalogue"))?;
    let sealer = portal_identity::sealed::SecretsKey::from_base64(settings.security.secrets_key.expose_secret())
        .context("security.secrets_key")?;
    let documents = Arc::new(portal_documents::Documents::load(&tenants_dir.join("catalogue"), sealer)?);
    crate::seed::sync_base_catalogue(&db, &catalogue).await?;
    if settings.demo.enabled {
        let demo = portal_tenancy::demo::load(&tenants_dir.join("demo"))?;
        crate::seed::sync_demo_tenants(&db, &catalogue, &demo, &oidc).await?;
        crate::kit::registry::sync_demo(crate::capabilities::ALL, &db, &tenants_dir.join("demo")).await?;
    }

    let cache = &settings.cache;
    let idle = Duration::from_secs(cache.idle_secs);
    let content = Arc::new(portal_web::content::ContentCache::new(portal_web::content::ContentLimits {
        max_bytes: cache.content_max_mb * 1024 * 1024,
        idle,
        ..portal_web::content::ContentLimits::default()
    }));
    let pages = Arc::new(portal_web::shared_pages::PageCache::new(portal_web::shared_pages::PageLimits {
        max_bytes: cache.pages_max_mb * 1024 * 1024,
        idle,
        shared_max_age: Duration::from_secs(cache.shared_max_age_secs),
    }));
    let listener_content = Arc::clone(&content);
    let started = std::time::Instant::now();
    let registry = TenantRegistry::start(
        db.clone(),
        Duration::from_secs(60),
        Arc::new(move |change| listener_content.apply(change)),
    )
    .await
    .context("loading the tenant registry")?;
    tracing::info!(
        hosts = registry.host_count(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "tenant registry loaded"
    );

    portal_web::cookies::configure(settings.server.secure_cookies);
    let live = crate::appointments::live_hub(&db, settings.server.max_streams_per_address);
    Ok(AppState::new(portal_web::AppParts {
        db,
        registry,
        content,
        pages,
        live,
        config: Arc::new(StateConfig {
            ops_host: settings.server.ops_host.clone(),
            trusted_proxies: settings.server.trusted_proxies.clone(),
            secure_cookies: settings.server.secure_cookies,
            site_dir: settings.paths.site_dir.clone(),
            metrics_token: settings.telemetry.metrics_token.clone(),
            max_body_bytes: settings.server.max_body_bytes,
            map_tiles: settings.maps.tiles_url.clone(),
            map_attribution: settings.maps.attribution.clone(),
        }),
        metrics: telemetry.metrics.clone(),
        authz: Arc::new(portal_authz::Authorizer::new().await.context("loading the casbin model and policy")?),
        oidc,
        payments: Arc::new(
            portal_payments::StripeGateway::new(
                settings.payments.secret_key.as_ref(),
                &settings.payments.api_base,
                Duration::from_millis(settings.payments.timeout_ms),
            )
            .map_err(|e| anyhow::anyhow!("payments: {e}"))?,
        ),
        payment_config: Arc::new(portal_web::PaymentConfig {
            js_url: settings.payments.js_url.clone(),
            page_origins: settings.payments.page_origins.clone(),
            publishable_key: settings.payments.publishable_key.clone(),
            webhook_secret: settings.payments.webhook_secret.clone(),
            intent_expiry_hours: settings.payments.intent_expiry_hours,
        }),
        documents,
    }))
}

impl Application {
    pub async fn build(settings: &Settings, telemetry: &Telemetry) -> anyhow::Result<Self> {
        let state = build_state(settings, telemetry).await?;
        let listener = tokio::net::TcpListener::bind(settings.server.bind)
            .await
            .with_context(|| format!("binding {}", settings.server.bind))?;
        let mail = if settings.mail.worker {
            Some((smtp_transport(settings)?, Duration::from_millis(settings.mail.poll_interval_ms)))
        } else {
            None
        };
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let jobs = crate::capabilities::ALL
            .iter()
            .flat_map(|c| c.jobs.iter())
            .filter_map(|start| start(&state, settings, stopped.clone()))
            .collect();
        Ok(Self { state, listener, mail, jobs, stop, stopped })
    }

    pub fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until SIGINT/SIGTERM, then finishes running requests.
    pub async fn run(self) -> anyhow::Result<()> {
        let (stop, stopped) = (self.stop, self.stopped);
        let jobs: Vec<_> = self.jobs.into_iter().map(tokio::spawn).collect();
        let worker = self.mail.map(|(transport, poll)| {
            tokio::spawn(portal_mail::run_worker(self.state.db.clone(), transport, poll, stopped))
        });
        let router = crate::build_router(self.state);
        tracing::info!(addr = %self.listener.local_addr()?, "listening");
        axum::serve(self.listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
            .with_graceful_shutdown(shutdown_signal())
            .await?;
        let _ = stop.send(true);
        for job in jobs {
            let _ = job.await;
        }
        if let Some(w) = worker {
            let _ = w.await;
        }
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}
