//! Database access for every bounded context.
//!
//! Two transaction types are the only way repositories reach the database:
//! - [`TenantTx`]: work for one tenant. It is begun with `BEGIN; SET LOCAL app.tenant_id = '…'` in a
//!   single round trip, so row-level security confines every statement to that tenant. Repositories of
//!   tenant-owned data take `&mut TenantTx`; code that has no tenant cannot call them.
//! - [`PlatformTx`]: the explicit admin path for platform-wide reference tables (tenants, host names,
//!   base catalogue, operators, the job queue). It sets no tenant, so tenant-owned tables read as
//!   empty in it.
//!
//! The two paths connect as two database roles, neither a member of the other: tenant transactions
//! as `portal_app`, which row-level security binds and which may only read the platform tables a
//! tenant's pages need (and enqueue its own jobs); the platform path as `portal_platform`. So even a
//! statement smuggled into a tenant transaction cannot read the job queue's mails, operators'
//! password hashes or sessions. A tenant transaction made from the platform path
//! ([`PlatformTx::into_tenant`]) keeps the platform role: only operators and start-up code get one.
//! Migrations run on a separate owner connection that the server opens only for that.
//!
//! The handle also carries the platform's [`Clock`]: when it is fixed (tests), every transaction
//! begins with `SET LOCAL app.now`, so SQL's `app_now()` and the Rust code read the same instant.

use std::time::Duration;

use portal_domain::{Clock, TenantId};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

pub use sqlx;

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The constraint (unique, exclusion, check or foreign key) a database error violated, by name:
/// the one way the repositories turn a violation into their own error ("e-mail taken", "name
/// taken at this location"). `None` for every other error.
pub fn violated(e: &sqlx::Error) -> Option<&str> {
    e.as_database_error()?.constraint()
}

impl DbError {
    /// The constraint this error violated, if it is a violation (see [`violated`]).
    pub fn violated(&self) -> Option<&str> {
        match self {
            Self::Sqlx(e) => violated(e),
            Self::Migrate(_) => None,
        }
    }
}

/// Why the database roles are refused at start-up.
#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("unsafe database roles: {0} (see docs/operations.md, database roles)")]
    Unsafe(String),
}

/// The database handle of the server: a pool of application-role connections for tenant work and
/// a smaller one of platform-role connections. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: PgPool,
    platform: PgPool,
    /// Transactions begun through this handle (both pools): how many a request costs is a measured
    /// figure (tests and benchmarks read it).
    begun: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// What "now" is for this server: the system clock, or a fixed one in tests.
    clock: Clock,
}

/// Pool sizing and timeouts.
#[derive(Clone, Debug)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub min_connections: u32,
    pub acquire_timeout: Duration,
    /// Statements running longer than this are cancelled by the server.
    pub statement_timeout: Duration,
    /// Connections of the platform role (console, workers, registry, webhooks' account lookup).
    pub platform_max_connections: u32,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 20,
            min_connections: 1,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(15),
            platform_max_connections: 10,
        }
    }
}

impl Db {
    /// Connects lazily: the first query opens connections, so the server starts even while the
    /// database is briefly unavailable (and `/health` reports it).
    /// `app` connects as the application role, `platform` as the platform role.
    pub fn connect_lazy(app: PgConnectOptions, platform: PgConnectOptions, settings: &PoolSettings) -> Self {
        let statement_timeout = format!("{}", settings.statement_timeout.as_millis());
        let pool = |options: PgConnectOptions, name: &str, max: u32, min: u32| {
            PgPoolOptions::new()
                .max_connections(max)
                .min_connections(min)
                .acquire_timeout(settings.acquire_timeout)
                .connect_lazy_with(
                    options.application_name(name).options([("statement_timeout", statement_timeout.as_str())]),
                )
        };
        Self::from_pools(
            pool(app, "kommunalportal", settings.max_connections, settings.min_connections),
            pool(platform, "kommunalportal-platform", settings.platform_max_connections.max(1), 0),
        )
    }

    /// Wraps existing pools of the two roles (tests).
    pub fn from_pools(app: PgPool, platform: PgPool) -> Self {
        Self { pool: app, platform, begun: std::sync::Arc::default(), clock: Clock::system() }
    }

    /// The same handle reading the time from `clock` (tests set it to a chosen day).
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The platform's clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The current instant by the platform's clock.
    pub fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    /// `; SET LOCAL app.now = '…'` when the clock is fixed: an RFC 3339 instant, digits and
    /// punctuation only, so nothing in it can escape the quotes.
    fn set_now(&self) -> String {
        let at = self.clock.fixed_at().and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok());
        at.map_or_else(String::new, |t| format!("; SET LOCAL app.now = '{t}'"))
    }

    /// Refuses to run with roles that would undo the separation: both pools as the same user, a
    /// superuser or BYPASSRLS role, an application role that can read the operators' table, or a
    /// role that is a member of another (`SET ROLE` would lift the walls).
    pub async fn check_roles(&self) -> Result<(), RoleError> {
        type Row = (String, bool, bool, bool, i64);
        let sql = "select current_user::text, r.rolsuper, r.rolbypassrls, has_table_privilege('operator', 'select'),
                          (select count(*) from pg_auth_members m where m.member = r.oid)
                     from pg_roles r where r.rolname = current_user";
        let app: Row = sqlx::query_as(sql).fetch_one(&self.pool).await?;
        let platform: Row = sqlx::query_as(sql).fetch_one(&self.platform).await?;
        if app.0 == platform.0 {
            return Err(RoleError::Unsafe(format!("both pools connect as {}", app.0)));
        }
        for r in [&app, &platform] {
            if r.1 || r.2 || r.4 > 0 {
                return Err(RoleError::Unsafe(format!(
                    "{} is a superuser, BYPASSRLS or a member of another role",
                    r.0
                )));
            }
        }
        if app.3 {
            return Err(RoleError::Unsafe(format!("the application role {} can read the operators' table", app.0)));
        }
        Ok(())
    }

    /// Begins a transaction confined to `tenant` by row-level security.
    pub async fn tenant(&self, tenant: TenantId) -> Result<TenantTx, DbError> {
        // A `Uuid` formats as 36 hex digits and hyphens: nothing in it can escape the quotes.
        self.tenant_with(tenant, "").await
    }

    /// A tenant transaction that starts with a savepoint `page`: a page's one transaction, which an
    /// error page rolls back to before it reads the tenant's frame (one round trip, like `tenant`).
    pub async fn tenant_page(&self, tenant: TenantId) -> Result<TenantTx, DbError> {
        self.tenant_with(tenant, "; SAVEPOINT page").await
    }

    async fn tenant_with(&self, tenant: TenantId, then: &str) -> Result<TenantTx, DbError> {
        let begin = format!("BEGIN; SET LOCAL app.tenant_id = '{}'{}{then}", tenant.0, self.set_now());
        let tx = self.pool.begin_with(begin).await?;
        self.begun.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(TenantTx { tx, tenant, now: self.clock.now() })
    }

    /// Begins a transaction on the explicit platform path (no tenant set, the platform role).
    pub async fn platform(&self) -> Result<PlatformTx, DbError> {
        let now = self.set_now();
        let tx = if now.is_empty() {
            self.platform.begin().await?
        } else {
            self.platform.begin_with(format!("BEGIN{now}")).await?
        };
        self.begun.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(PlatformTx { tx, now: self.clock.now() })
    }

    /// How many transactions this handle (and its clones) has begun.
    pub fn transactions_begun(&self) -> u64 {
        self.begun.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A round trip to the database on each pool, for `/health`.
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("select 1").execute(&self.pool).await?;
        sqlx::query("select 1").execute(&self.platform).await?;
        Ok(())
    }

    /// The application role's pool for one statement outside any transaction: only for database
    /// functions that confine themselves to a tenant (`portal_search`), one round trip where a
    /// transaction would take three. Anything else run on it sees no tenant's rows (row-level
    /// security fails closed without `app.tenant_id`).
    pub fn statements(&self) -> &PgPool {
        self.begun.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        &self.pool
    }

    /// The application role's pool: only for metrics, never for queries.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The platform role's pool: only for listening to notifications and for metrics.
    pub fn platform_pool(&self) -> &PgPool {
        &self.platform
    }
}

/// A transaction in which the database only shows and accepts rows of one tenant.
///
/// Dropping it without [`TenantTx::commit`] rolls back.
pub struct TenantTx {
    tx: Transaction<'static, Postgres>,
    tenant: TenantId,
    now: time::OffsetDateTime,
}

impl TenantTx {
    /// The tenant this transaction is confined to. Queries still filter by it: defence in depth, and
    /// single-shard routing on Citus.
    pub fn tenant_id(&self) -> TenantId {
        self.tenant
    }

    /// The connection to run statements on.
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// The platform clock's time when the transaction began (what SQL's `app_now()` reads when
    /// the clock is fixed; with the system clock, within the transaction's first round trip).
    pub fn now(&self) -> time::OffsetDateTime {
        self.now
    }

    /// The German civil date of [`Self::now`].
    pub fn today(&self) -> time::Date {
        portal_domain::civil::german(self.now).date()
    }

    pub async fn commit(self) -> Result<(), DbError> {
        self.tx.commit().await?;
        Ok(())
    }

    /// Undoes everything since the transaction began (one begun by [`Db::tenant_page`]), keeping it
    /// open.
    pub async fn rollback_page(&mut self) -> Result<(), DbError> {
        sqlx::query("ROLLBACK TO SAVEPOINT page").execute(&mut *self.tx).await?;
        Ok(())
    }
}

/// A transaction on platform-wide reference tables, outside any tenant.
pub struct PlatformTx {
    tx: Transaction<'static, Postgres>,
    now: time::OffsetDateTime,
}

impl PlatformTx {
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// The platform clock's time when the transaction began (see [`TenantTx::now`]).
    pub fn now(&self) -> time::OffsetDateTime {
        self.now
    }

    /// Confines the rest of this transaction to `tenant` (e.g. to write the branding of a tenant
    /// created in it, atomically). There is no way back to the platform path. The transaction keeps
    /// the platform role: for operators' and start-up work, never for a tenant's request.
    pub async fn into_tenant(mut self, tenant: TenantId) -> Result<TenantTx, DbError> {
        sqlx::query("select set_config('app.tenant_id', $1, true)")
            .bind(tenant.0.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(TenantTx { tx: self.tx, tenant, now: self.now })
    }

    pub async fn commit(self) -> Result<(), DbError> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// The migrations under `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// Applies pending migrations on a connection of the schema owner.
pub async fn migrate(owner: &PgPool) -> Result<(), DbError> {
    // Several servers may start at once; sqlx takes an advisory lock around the run.
    MIGRATOR.run(owner).await?;
    Ok(())
}
