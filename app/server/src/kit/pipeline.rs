//! The request pipeline's one transaction: a page (a GET on a tenant's host or on the console) reads
//! everything it shows from the database — the session check and its content — in one database
//! transaction, opened when first needed and committed once the page is rendered. Its frame
//! (branding, navigation) comes from the tenant's content in memory (`portal_web::content`), and a
//! public page already rendered needs no transaction at all (`kit::public`).
//!
//! Code asks for "the page's transaction" with [`tenant_tx`] or [`platform_tx`] and gets the shared
//! one while serving a page, or a transaction of its own elsewhere (form posts, webhooks, jobs), so
//! the same function serves both. Posts keep their own transactions on purpose: their commits must
//! happen before the calls they guard (Stripe, mail) and rate-limit counts must outlive a failed
//! request.

use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use portal_db::{PlatformTx, TenantTx};
use portal_domain::TenantId;
use portal_web::{AppError, AppState};
use tokio::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};

type Slot<T> = Arc<Mutex<Option<T>>>;

tokio::task_local! {
    static TENANT_PAGE: Slot<TenantTx>;
    static PLATFORM_PAGE: Slot<PlatformTx>;
}

/// A transaction: the page's shared one (committed by the pipeline, or by [`Tx::commit_page`] once the
/// page has read all it shows) or one of its own.
pub enum Tx<T> {
    Shared(OwnedMappedMutexGuard<Option<T>, T>, Slot<T>),
    Own(T),
}

impl<T> Deref for Tx<T> {
    type Target = T;
    fn deref(&self) -> &T {
        match self {
            Self::Shared(g, _) => g,
            Self::Own(t) => t,
        }
    }
}

impl<T> DerefMut for Tx<T> {
    fn deref_mut(&mut self) -> &mut T {
        match self {
            Self::Shared(g, _) => g,
            Self::Own(t) => t,
        }
    }
}

/// What both kinds of transaction a page can share have in common: they end with a commit.
pub trait Commit: Sized {
    fn commit(self) -> impl Future<Output = Result<(), portal_db::DbError>> + Send;
}

impl Commit for TenantTx {
    fn commit(self) -> impl Future<Output = Result<(), portal_db::DbError>> + Send {
        TenantTx::commit(self)
    }
}

impl Commit for PlatformTx {
    fn commit(self) -> impl Future<Output = Result<(), portal_db::DbError>> + Send {
        PlatformTx::commit(self)
    }
}

impl<T: Commit> Tx<T> {
    /// Commits a transaction of its own; hands the shared one back to the page (the pipeline
    /// commits it once the page is rendered).
    pub async fn finish(self) -> Result<(), AppError> {
        match self {
            Self::Shared(..) => Ok(()),
            Self::Own(t) => Ok(t.commit().await?),
        }
    }

    /// Commits now: the page has read everything it shows and only renders from here on, so its
    /// connection goes back to the pool before the HTML is built (what the page reads later, if
    /// anything, gets a transaction of its own).
    pub async fn commit_page(self) -> Result<(), AppError> {
        match self {
            Self::Shared(guard, slot) => {
                drop(guard);
                commit_slot(&slot).await
            }
            Self::Own(t) => Ok(t.commit().await?),
        }
    }
}

/// Commits what a slot holds, if anything, and leaves it empty.
async fn commit_slot<T: Commit>(slot: &Slot<T>) -> Result<(), AppError> {
    let open = slot.lock().await.take();
    match open {
        Some(t) => Ok(t.commit().await?),
        None => Ok(()),
    }
}

/// A transaction of the console (the platform's) or of a tenant, for code that serves both: the
/// second factor's steps, rate limits counted on either path.
pub enum AnyTx {
    Platform(Tx<PlatformTx>),
    Tenant(Tx<TenantTx>),
}

impl AnyTx {
    /// The page's transaction of the tenant (`None`: the platform's), as [`tenant_tx`] and
    /// [`platform_tx`] give it.
    pub async fn page(state: &AppState, tenant: Option<TenantId>) -> Result<Self, AppError> {
        Ok(match tenant {
            Some(t) => Self::Tenant(tenant_tx(state, t).await?),
            None => Self::Platform(platform_tx(state).await?),
        })
    }

    /// A transaction of its own, never the page's (what it counts must outlive a failed request).
    pub async fn own(state: &AppState, tenant: Option<TenantId>) -> Result<Self, AppError> {
        Ok(match tenant {
            Some(t) => Self::Tenant(Tx::Own(state.db.tenant(t).await?)),
            None => Self::Platform(Tx::Own(state.db.platform().await?)),
        })
    }

    pub fn conn(&mut self) -> &mut sqlx::PgConnection {
        match self {
            Self::Platform(t) => t.conn(),
            Self::Tenant(t) => t.conn(),
        }
    }

    pub fn now(&self) -> time::OffsetDateTime {
        match self {
            Self::Platform(t) => t.now(),
            Self::Tenant(t) => t.now(),
        }
    }

    pub async fn finish(self) -> Result<(), AppError> {
        match self {
            Self::Platform(t) => t.finish().await,
            Self::Tenant(t) => t.finish().await,
        }
    }
}

/// The page's tenant transaction (shared while serving a page of `tenant`), else one of its own.
/// Never waits for the shared one: a caller that asks while it is held gets its own. Such a
/// transaction must not write rows the page's transaction has written (the session check touches
/// the session's row): it would wait for a lock its own request holds, until the statement timeout.
/// A handler that swallows a database error must not go on in the page's transaction either: an
/// aborted transaction reads nothing more, and PostgreSQL answers its COMMIT with a rollback.
pub async fn tenant_tx(state: &AppState, tenant: TenantId) -> Result<Tx<TenantTx>, AppError> {
    if let Ok(slot) = TENANT_PAGE.try_with(Arc::clone)
        && let Ok(mut guard) = Arc::clone(&slot).try_lock_owned()
    {
        if guard.is_none() {
            *guard = Some(state.db.tenant_page(tenant).await?);
        }
        if guard.as_ref().is_some_and(|tx| tx.tenant_id() == tenant)
            && let Ok(shared) = OwnedMutexGuard::try_map(guard, Option::as_mut)
        {
            return Ok(Tx::Shared(shared, slot));
        }
    }
    Ok(Tx::Own(state.db.tenant(tenant).await?))
}

/// The page's platform transaction (shared while serving a console page), else one of its own.
pub async fn platform_tx(state: &AppState) -> Result<Tx<PlatformTx>, AppError> {
    if let Ok(slot) = PLATFORM_PAGE.try_with(Arc::clone)
        && let Ok(mut guard) = Arc::clone(&slot).try_lock_owned()
    {
        if guard.is_none() {
            *guard = Some(state.db.platform().await?);
        }
        if let Ok(shared) = OwnedMutexGuard::try_map(guard, Option::as_mut) {
            return Ok(Tx::Shared(shared, slot));
        }
    }
    Ok(Tx::Own(state.db.platform().await?))
}

/// Which of the page's transactions a site's pages share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Tenant,
    Console,
}

/// The end of a page: whether it succeeded (its transaction is committed) or failed (what it did is
/// undone before the error page is shown).
pub struct Page {
    tenant: Slot<TenantTx>,
    platform: Slot<PlatformTx>,
}

impl Page {
    /// Undoes the page's work so far, keeping its transaction for the error page.
    pub async fn undo(&self) {
        let mut guard = self.tenant.lock().await;
        let failed = match guard.as_mut() {
            Some(tx) => tx.rollback_page().await.is_err(),
            None => false,
        };
        // a transaction that cannot even roll back is given up; the error page opens a fresh one
        if failed {
            *guard = None;
        }
        // the console's page transaction (its session touch) is given up: an aborted transaction
        // cannot read on, and the error page of the console reads nothing
        *self.platform.lock().await = None;
    }
}

/// Serves a page: runs `serve` with the page's transactions, then commits what it opened. A commit
/// that fails turns the page into an error (nothing it showed as done may be lost silently).
pub async fn serve<F, R>(site: Area, serve: impl FnOnce(Arc<Page>) -> F) -> Result<R, AppError>
where
    F: Future<Output = R>,
{
    let page = Arc::new(Page { tenant: Arc::default(), platform: Arc::default() });
    let run = serve(page.clone());
    let out = match site {
        Area::Tenant => TENANT_PAGE.scope(page.tenant.clone(), run).await,
        Area::Console => PLATFORM_PAGE.scope(page.platform.clone(), run).await,
    };
    commit_slot(&page.tenant).await?;
    commit_slot(&page.platform).await?;
    Ok(out)
}
