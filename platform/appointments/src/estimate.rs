//! Waiting-time estimates and how good they are.
//!
//! The expected service time of a service is the moving average of its last [`WINDOW`] service
//! times at the location (its configured duration while there are none). A new ticket waits for
//! everything ahead of it: the expected times of the tickets waiting plus what is left of those
//! being served, shared by the counters at work (at least one while the location is open).

use std::collections::HashMap;

/// How many recent service times make the moving average.
pub const WINDOW: usize = 20;

/// Expected seconds per service: the mean of up to the last [`WINDOW`] service times (newest
/// first in `recent`), else `default`.
pub fn expected_secs(recent: &[i64], default: i64) -> i64 {
    let take: Vec<i64> = recent.iter().copied().filter(|s| *s > 0).take(WINDOW).collect();
    if take.is_empty() { default } else { take.iter().sum::<i64>() / take.len() as i64 }
}

/// What is in front of a new ticket.
#[derive(Debug, Clone, Default)]
pub struct Queue {
    /// Services of the tickets waiting.
    pub waiting: Vec<String>,
    /// Services being served, with the seconds since they were called.
    pub serving: Vec<(String, i64)>,
    /// Counters at work.
    pub counters: usize,
}

/// The estimated wait in seconds of a ticket drawn now.
pub fn wait_secs(q: &Queue, expected: &HashMap<String, i64>, default: i64) -> i64 {
    let e = |s: &String| expected.get(s).copied().unwrap_or(default);
    let ahead: i64 = q.waiting.iter().map(e).sum::<i64>()
        + q.serving.iter().map(|(s, elapsed)| (e(s) - elapsed).max(0)).sum::<i64>();
    let counters = q.counters.max(1) as i64;
    (ahead + counters - 1) / counters
}

/// How close the estimates came to the actual waits.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Quality {
    pub count: usize,
    /// Mean absolute error, seconds.
    pub mae_secs: f64,
    /// Share of estimates within five minutes of the actual wait (0–1).
    pub within_five: f64,
}

/// The quality of `(estimated, actual)` pairs in seconds.
pub fn quality(pairs: &[(i64, i64)]) -> Quality {
    if pairs.is_empty() {
        return Quality::default();
    }
    let n = pairs.len() as f64;
    let mae = pairs.iter().map(|(e, a)| (e - a).abs() as f64).sum::<f64>() / n;
    let within = pairs.iter().filter(|(e, a)| (e - a).abs() <= 300).count() as f64 / n;
    Quality { count: pairs.len(), mae_secs: mae, within_five: within }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift), so the simulated day is the same on every run.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % 1_000_000) as f64 / 1_000_000.0
        }
        fn exp(&mut self, mean: f64) -> f64 {
            -mean * (1.0 - self.next()).ln()
        }
    }

    #[test]
    fn the_mean_of_the_last_twenty_or_the_default() {
        assert_eq!(expected_secs(&[], 600), 600);
        assert_eq!(expected_secs(&[300, 600], 900), 450);
        let many: Vec<i64> = (0..30).map(|i| if i < 20 { 100 } else { 10_000 }).collect();
        assert_eq!(expected_secs(&many, 1), 100);
    }

    #[test]
    fn an_empty_queue_waits_nothing_and_two_counters_halve_the_wait() {
        let exp: HashMap<String, i64> = [("pass".to_owned(), 600)].into();
        assert_eq!(wait_secs(&Queue { counters: 2, ..Queue::default() }, &exp, 300), 0);
        let q = Queue { waiting: vec!["pass".into(); 4], serving: vec![("pass".into(), 500)], counters: 2 };
        assert_eq!(wait_secs(&q, &exp, 300), (4 * 600 + 100) / 2);
    }

    /// A simulated day at a Bürgerbüro: three counters, walk-ins arriving at random for six hours,
    /// two services with different service times; each ticket is served first come, first served.
    /// The estimate given when a ticket is drawn is compared with the wait it really had.
    #[test]
    fn on_a_simulated_day_the_estimates_beat_the_naive_answers() {
        let mut rng = Rng(0x5eed_1234_abcd);
        let counters = 3usize;
        let services = [("pass", 540.0), ("melde", 300.0)];
        let mut free_at = vec![0.0f64; counters];
        let mut history: HashMap<String, Vec<i64>> = HashMap::new();
        // (arrival, service, service time, called at)
        let mut done: Vec<(f64, String, f64, f64)> = Vec::new();
        let mut pairs = Vec::new();
        let mut naive_zero = Vec::new();
        let mut t = 0.0;
        while t < 6.0 * 3600.0 {
            t += rng.exp(150.0);
            let (service, mean) = services[usize::from(rng.next() < 0.4)];
            let length = rng.exp(mean).max(60.0);
            // the state of the queue at time t, as the server sees it
            let waiting: Vec<String> =
                done.iter().filter(|(_, _, _, called)| *called > t).map(|(_, s, _, _)| s.clone()).collect();
            let serving: Vec<(String, i64)> = done
                .iter()
                .filter(|(_, _, len, called)| *called <= t && called + len > t)
                .map(|(_, s, _, called)| (s.clone(), (t - called) as i64))
                .collect();
            let expected: HashMap<String, i64> =
                history.iter().map(|(s, h)| (s.clone(), expected_secs(h, 420))).collect();
            let estimate = wait_secs(&Queue { waiting, serving, counters }, &expected, 420);
            // first come, first served at the counter that is free first
            let (i, at) = free_at.iter().copied().enumerate().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap_or((0, 0.0));
            let called = at.max(t);
            free_at[i] = called + length;
            done.push((t, service.to_owned(), length, called));
            history.entry(service.to_owned()).or_default().insert(0, length as i64);
            pairs.push((estimate, (called - t) as i64));
            naive_zero.push((0, (called - t) as i64));
        }
        let q = quality(&pairs);
        let zero = quality(&naive_zero);
        // the day's average wait as a constant guess, known only afterwards
        let mean_wait = pairs.iter().map(|(_, a)| *a).sum::<i64>() / pairs.len() as i64;
        let constant = quality(&pairs.iter().map(|(_, a)| (mean_wait, *a)).collect::<Vec<_>>());
        assert!(q.count > 100, "a busy day: {}", q.count);
        assert!(
            q.mae_secs < zero.mae_secs && q.mae_secs < constant.mae_secs,
            "estimate {q:?}, zero {zero:?}, constant {constant:?}"
        );
        assert!(
            q.within_five > zero.within_five && q.within_five > constant.within_five,
            "estimate {q:?}, zero {zero:?}, constant {constant:?}"
        );
    }
}
