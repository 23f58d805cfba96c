//! Database access for every bounded context.
//!
//! Two transaction types are the only way repositories reach the database:
//! - [`TenantTx`]: work for one tenant. It is begun with `BEGIN; SET LOCAL app.tenant_id = '…'` in a
//!   single round trip, so row-level security confines every statement to that tenant. Repositories of
//!   tenant-owned data take `&mut TenantTx`; code that has no tenant cannot call them.
//! - [`PlatformTx`]: the explicit admin path for platform-wide reference tables (tenants, host names,
//!   base catalogue, operators). It sets no tenant, so tenant-owned tables read as empty in it.
//!
//! The pool connects as the application role, which row-level security binds. Migrations run on a
//! separate owner connection that the server opens only for that.

use std::time::Duration;

use portal_domain::TenantId;
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

/// The database handle of the server: a pool of application-role connections. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: PgPool,
}

/// Pool sizing and timeouts.
#[derive(Clone, Debug)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub min_connections: u32,
    pub acquire_timeout: Duration,
    /// Statements running longer than this are cancelled by the server.
    pub statement_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 20,
            min_connections: 1,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(15),
        }
    }
}

impl Db {
    /// Connects lazily: the first query opens connections, so the server starts even while the
    /// database is briefly unavailable (and `/health` reports it).
    pub fn connect_lazy(options: PgConnectOptions, settings: &PoolSettings) -> Self {
        let statement_timeout = format!("{}", settings.statement_timeout.as_millis());
        let options = options
            .application_name("kommunalportal")
            .options([("statement_timeout", statement_timeout.as_str())]);
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .min_connections(settings.min_connections)
            .acquire_timeout(settings.acquire_timeout)
            .connect_lazy_with(options);
        Self { pool }
    }

    /// Wraps an existing pool (tests).
    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Begins a transaction confined to `tenant` by row-level security.
    pub async fn tenant(&self, tenant: TenantId) -> Result<TenantTx, DbError> {
        // A `Uuid` formats as 36 hex digits and hyphens: nothing in it can escape the quotes.
        let begin = format!("BEGIN; SET LOCAL app.tenant_id = '{}'", tenant.0);
        let tx = self.pool.begin_with(begin).await?;
        Ok(TenantTx { tx, tenant })
    }

    /// Begins a transaction on the explicit platform path (no tenant set).
    pub async fn platform(&self) -> Result<PlatformTx, DbError> {
        Ok(PlatformTx { tx: self.pool.begin().await? })
    }

    /// A round trip to the database, for `/health`.
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("select 1").execute(&self.pool).await?;
        Ok(())
    }

    /// The underlying pool: only for listening to notifications and for metrics, never for queries
    /// on tenant data.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// A transaction in which the database only shows and accepts rows of one tenant.
///
/// Dropping it without [`TenantTx::commit`] rolls back.
pub struct TenantTx {
    tx: Transaction<'static, Postgres>,
    tenant: TenantId,
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

    pub async fn commit(self) -> Result<(), DbError> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// A transaction on platform-wide reference tables, outside any tenant.
pub struct PlatformTx {
    tx: Transaction<'static, Postgres>,
}

impl PlatformTx {
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// Confines the rest of this transaction to `tenant` (e.g. to write the branding of a tenant
    /// created in it, atomically). There is no way back to the platform path.
    pub async fn into_tenant(mut self, tenant: TenantId) -> Result<TenantTx, DbError> {
        sqlx::query("select set_config('app.tenant_id', $1, true)").bind(tenant.0.to_string()).execute(&mut *self.tx).await?;
        Ok(TenantTx { tx: self.tx, tenant })
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
