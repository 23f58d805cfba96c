//! Periodic work of every server process (retention, payment jobs): run a pass every interval until
//! the server shuts down. Passes are safe to run on several servers at once (each claims its rows).

use std::future::Future;
use std::time::Duration;

/// Runs `pass` every `every` (first after one interval) until `shutdown` changes.
pub async fn every<F, Fut>(every: Duration, mut shutdown: tokio::sync::watch::Receiver<bool>, mut pass: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => return,
        }
        pass().await;
    }
}
