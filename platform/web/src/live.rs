//! Live pages: a server keeps, per topic (a tenant's location), the latest state as rendered JSON
//! texts (one for the call display, one for the public portal), and hands it to every listener (call displays, waiting times on portal pages) over
//! a `watch` channel. A change anywhere (`NOTIFY appointments, '<tenant>:<location>'`, from a
//! trigger on every server's database writes) makes the topic reload once, however many listen:
//! a thousand displays cost one query per change, not a thousand.
//!
//! A topic lives while it has listeners; the first listener loads it, and a change that finds no
//! listener left drops it. After the notification connection is lost every topic reloads.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use portal_db::Db;
use portal_domain::TenantId;
use sqlx::postgres::PgListener;
use tokio::sync::{Notify, watch};
use uuid::Uuid;

/// The notification channel (migration `20261201000011_appointments.sql`).
pub const CHANNEL: &str = "appointments";

/// A topic's state as its listeners get it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// For the holders of the topic's secret (the call display).
    pub full: String,
    /// For everyone (the portal's waiting times).
    pub public: String,
    /// Changes when the secret does: streams opened with the old one end.
    pub tag: String,
}

/// Loads a topic's state (`None`: it is gone, e.g. the location was deleted or switched off).
pub type Loader = Arc<dyn Fn(TenantId, Uuid) -> Pin<Box<dyn Future<Output = Option<Snapshot>> + Send>> + Send + Sync>;

type Key = (TenantId, Uuid);

struct Topic {
    state: watch::Sender<Arc<Snapshot>>,
    dirty: Arc<Notify>,
}

/// The topics of this server.
pub struct Live {
    topics: Mutex<HashMap<Key, Topic>>,
    loader: Loader,
    streams: Arc<Streams>,
}

/// Open streams per client address (its rate-limit key): a client that opens streams without end
/// would hold a connection and a task each.
struct Streams {
    per_address: usize,
    open: Mutex<HashMap<String, usize>>,
}

impl Streams {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// One open stream of a client address; the count goes down when it is dropped (the stream ends or
/// the client goes away).
pub struct StreamPermit {
    streams: Arc<Streams>,
    address: String,
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        let mut open = self.streams.lock();
        if let Some(n) = open.get_mut(&self.address) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.address);
            }
        }
    }
}

/// Streams one client address may hold open by default: a household's phones and an office's call
/// displays behind one address, with room to spare (`server.max_streams_per_address`).
pub const STREAMS_PER_ADDRESS: usize = 32;

impl Live {
    pub fn new(loader: Loader) -> Arc<Self> {
        Self::with_stream_limit(loader, STREAMS_PER_ADDRESS)
    }

    /// [`Live::new`] with at most `per_address` open streams per client address.
    pub fn with_stream_limit(loader: Loader, per_address: usize) -> Arc<Self> {
        Arc::new(Self {
            topics: Mutex::new(HashMap::new()),
            loader,
            streams: Arc::new(Streams { per_address, open: Mutex::new(HashMap::new()) }),
        })
    }

    /// Counts a stream opened by `address` (a client address's rate-limit key); `None` when the
    /// address holds as many as it may.
    pub fn open_stream(&self, address: &str) -> Option<StreamPermit> {
        let mut open = self.streams.lock();
        if open.get(address).copied().unwrap_or(0) >= self.streams.per_address {
            return None;
        }
        *open.entry(address.to_owned()).or_insert(0) += 1;
        drop(open);
        Some(StreamPermit { streams: Arc::clone(&self.streams), address: address.to_owned() })
    }

    /// Streams open on this server, across all addresses.
    pub fn open_streams(&self) -> usize {
        self.streams.lock().values().sum()
    }

    /// Listens to a topic: the receiver holds its current state and sees every new one. `None`
    /// when the topic does not exist.
    pub async fn subscribe(
        self: &Arc<Self>,
        tenant: TenantId,
        location: Uuid,
    ) -> Option<watch::Receiver<Arc<Snapshot>>> {
        if let Some(t) = self.lock().get(&(tenant, location)) {
            return Some(t.state.subscribe());
        }
        let first = (self.loader)(tenant, location).await?;
        let mut topics = self.lock();
        // another request may have created it while this one loaded
        if let Some(t) = topics.get(&(tenant, location)) {
            return Some(t.state.subscribe());
        }
        let (state, rx) = watch::channel(Arc::new(first));
        let dirty = Arc::new(Notify::new());
        topics.insert((tenant, location), Topic { state: state.clone(), dirty: Arc::clone(&dirty) });
        drop(topics);
        let live = Arc::clone(self);
        tokio::spawn(async move { live.refresh((tenant, location), state, dirty).await });
        Some(rx)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Topic>> {
        self.topics.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reloads a topic whenever it is marked dirty; ends when nobody listens any more.
    async fn refresh(&self, key: Key, state: watch::Sender<Arc<Snapshot>>, dirty: Arc<Notify>) {
        loop {
            dirty.notified().await;
            {
                // under the map's lock: a subscriber either finds the topic alive or makes a new one
                let mut topics = self.lock();
                if state.receiver_count() == 0 {
                    topics.remove(&key);
                    return;
                }
            }
            // notifications that arrive while loading mark it dirty again: one more load, not one per change
            match (self.loader)(key.0, key.1).await {
                Some(s) => {
                    state.send_if_modified(|old| {
                        let changed = **old != s;
                        if changed {
                            *old = Arc::new(s);
                        }
                        changed
                    });
                }
                None => {
                    self.lock().remove(&key);
                    return;
                }
            }
        }
    }

    /// Marks a topic changed (this server's own writes, and every notification).
    pub fn changed(&self, tenant: TenantId, location: Uuid) {
        if let Some(t) = self.lock().get(&(tenant, location)) {
            t.dirty.notify_one();
        }
    }

    fn all_changed(&self) {
        for t in self.lock().values() {
            t.dirty.notify_one();
        }
    }

    /// Listeners across all topics.
    pub fn listeners(&self) -> usize {
        self.lock().values().map(|t| t.state.receiver_count()).sum()
    }

    /// Follows the database's notifications for as long as the server runs.
    pub fn follow(self: &Arc<Self>, db: &Db) -> tokio::task::JoinHandle<()> {
        let live = Arc::clone(self);
        // a connection of its own, outside the platform pool: a listener holds its connection for
        // good, and the pool is sized for requests and jobs
        let options = (*db.platform_pool().connect_options()).clone();
        let pool =
            sqlx::postgres::PgPoolOptions::new().max_connections(1).min_connections(0).connect_lazy_with(options);
        tokio::spawn(async move {
            loop {
                let listener = match PgListener::connect_with(&pool).await {
                    Ok(mut l) => l.listen(CHANNEL).await.map(|()| l),
                    Err(e) => Err(e),
                };
                match listener {
                    Ok(mut l) => {
                        live.all_changed();
                        loop {
                            match l.try_recv().await {
                                Ok(Some(n)) => {
                                    if let Some((t, loc)) = n.payload().split_once(':')
                                        && let (Ok(t), Ok(loc)) = (Uuid::parse_str(t), Uuid::parse_str(loc))
                                    {
                                        live.changed(TenantId(t), loc);
                                    }
                                }
                                Ok(None) | Err(_) => {
                                    tracing::warn!("live listener lost its connection");
                                    break;
                                }
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot listen for live changes; trying again"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        })
    }
}
