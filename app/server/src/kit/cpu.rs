//! CPU-heavy work off the async runtime (issue 27, finding 8): a FIM import or a PDF takes
//! milliseconds to seconds of one core, and on a worker of the runtime it would stall every other
//! request that worker holds, of every tenant. Such work runs on tokio's blocking threads, at most
//! one job per core at a time, within a time budget: past it the request is answered "busy, try
//! again" while the job ends on its own thread and only then frees its slot (so a flood of slow
//! jobs never holds more than the cores). Password hashing has the same arrangement in
//! `portal_identity::password`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use portal_web::AppError;
use tokio::sync::Semaphore;

fn slots() -> &'static Arc<Semaphore> {
    static SLOTS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    SLOTS.get_or_init(|| Arc::new(Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()).max(2))))
}

/// Jobs running on the blocking threads now, by name.
fn running_jobs() -> std::sync::MutexGuard<'static, HashMap<&'static str, usize>> {
    static RUNNING: OnceLock<Mutex<HashMap<&'static str, usize>>> = OnceLock::new();
    RUNNING.get_or_init(|| Mutex::new(HashMap::new())).lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// How many jobs named `what` run now (for tests; the `cpu_jobs_running` gauge has them too).
pub fn running(what: &str) -> usize {
    running_jobs().get(what).copied().unwrap_or(0)
}

/// One job counted while it runs (also when it panics).
struct Running(&'static str);

impl Running {
    fn start(what: &'static str) -> Self {
        *running_jobs().entry(what).or_insert(0) += 1;
        metrics::gauge!("cpu_jobs_running", "job" => what).increment(1.0);
        Self(what)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(n) = running_jobs().get_mut(self.0) {
            *n = n.saturating_sub(1);
        }
        metrics::gauge!("cpu_jobs_running", "job" => self.0).decrement(1.0);
    }
}

/// Runs `job` (named `what` in the log and the metrics) on a blocking thread once a slot is free;
/// `budget` bounds the wait for the slot and the job together.
pub async fn run<T: Send + 'static>(
    what: &'static str,
    budget: Duration,
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let started = Instant::now();
    let Ok(Ok(permit)) = tokio::time::timeout(budget, Arc::clone(slots()).acquire_owned()).await else {
        tracing::warn!(job = what, "no slot for CPU work within its budget");
        metrics::counter!("cpu_jobs_refused_total", "job" => what, "why" => "busy").increment(1);
        return Err(busy());
    };
    let handle = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let _running = Running::start(what);
        job()
    });
    match tokio::time::timeout(budget.saturating_sub(started.elapsed()), handle).await {
        Ok(Ok(done)) => {
            metrics::histogram!("cpu_job_seconds", "job" => what).record(started.elapsed().as_secs_f64());
            Ok(done)
        }
        Ok(Err(e)) => Err(AppError::internal(e)),
        Err(_) => {
            tracing::warn!(job = what, budget_ms = budget.as_millis() as u64, "CPU work over its budget");
            metrics::counter!("cpu_jobs_refused_total", "job" => what, "why" => "budget").increment(1);
            Err(busy())
        }
    }
}

/// 503 with a page saying the server is busy and to try again in a minute.
fn busy() -> AppError {
    AppError::unavailable_for(Duration::from_secs(60)).with_text("errors.busy_text")
}
