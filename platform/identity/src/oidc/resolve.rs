//! Provider host names resolved to public addresses only, and pinned (see [`PublicOnly`]).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::is_public;

/// Looks a host name up (the system's resolver; tests give their own).
type Lookup = std::sync::Arc<
    dyn Fn(String) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<std::net::SocketAddr>>> + Send>> + Send + Sync,
>;

/// How long a provider's resolved addresses are kept: longer than a login takes (the flow cookie
/// lives ten minutes), so that one login talks to one set of addresses from discovery to the token
/// exchange, however the name's answers change meanwhile (DNS rebinding).
const PIN_FOR: Duration = Duration::from_secs(15 * 60);

/// Names pinned at a time at most (providers are few; the bound keeps a flood of names harmless).
const MAX_PINNED: usize = 1000;

/// Resolves provider host names to public addresses only (outside test set-ups): an issuer cannot
/// point the server at its own network (blind requests to internal services). The addresses a
/// name resolved to are pinned for [`PIN_FOR`].
#[derive(Clone)]
pub(super) struct PublicOnly {
    lookup: Lookup,
    pinned: std::sync::Arc<Mutex<Pinned>>,
}

/// Host name → when it was resolved and its public addresses.
type Pinned = HashMap<String, (Instant, Vec<std::net::SocketAddr>)>;

impl PublicOnly {
    pub(super) fn system() -> Self {
        Self::with_lookup(std::sync::Arc::new(|host: String| {
            Box::pin(async move { Ok(tokio::net::lookup_host((host.as_str(), 0)).await?.collect()) })
        }))
    }

    fn with_lookup(lookup: Lookup) -> Self {
        Self { lookup, pinned: std::sync::Arc::new(Mutex::new(HashMap::new())) }
    }

    async fn addresses(&self, host: &str) -> Result<Vec<std::net::SocketAddr>, String> {
        let pinned = |now: Instant| -> Option<Vec<std::net::SocketAddr>> {
            let map = self.pinned.lock().ok()?;
            map.get(host).filter(|(at, _)| now.duration_since(*at) < PIN_FOR).map(|(_, a)| a.clone())
        };
        if let Some(addrs) = pinned(Instant::now()) {
            return Ok(addrs);
        }
        let addrs: Vec<std::net::SocketAddr> = (self.lookup)(host.to_owned())
            .await
            .map_err(|e| format!("{host}: {e}"))?
            .into_iter()
            .filter(|a| is_public(a.ip()))
            .collect();
        if addrs.is_empty() {
            return Err(format!("{host} has no public address"));
        }
        if let Ok(mut map) = self.pinned.lock() {
            // a concurrent lookup may have pinned the name first: its addresses stay
            let now = Instant::now();
            map.retain(|_, (at, _)| now.duration_since(*at) < PIN_FOR);
            if let Some((at, kept)) = map.get(host)
                && now.duration_since(*at) < PIN_FOR
            {
                return Ok(kept.clone());
            }
            if map.len() < MAX_PINNED {
                map.insert(host.to_owned(), (now, addrs.clone()));
            }
        }
        Ok(addrs)
    }
}

impl openidconnect::reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: openidconnect::reqwest::dns::Name) -> openidconnect::reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        let this = self.clone();
        Box::pin(async move {
            let addrs = this.addresses(&host).await?;
            Ok(Box::new(addrs.into_iter()) as openidconnect::reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_providers_addresses_are_pinned_so_that_a_login_cannot_be_rebound_to_other_ones() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        // the name's answer changes with every lookup: a public address, then the metadata service
        let asked = std::sync::Arc::new(AtomicUsize::new(0));
        let counter = std::sync::Arc::clone(&asked);
        let rebinding = super::PublicOnly::with_lookup(std::sync::Arc::new(move |_host: String| {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                let ip: std::net::IpAddr = if n == 0 {
                    "194.95.0.1".parse().unwrap_or(std::net::IpAddr::from([194, 95, 0, 1]))
                } else {
                    std::net::IpAddr::from([169, 254, 169, 254])
                };
                Ok(vec![std::net::SocketAddr::new(ip, 0)])
            })
        }));
        let first = rebinding.addresses("idp.example").await;
        assert_eq!(first, Ok(vec!["194.95.0.1:0".parse().unwrap_or_else(|e| panic!("{e}"))]));
        for _ in 0..3 {
            assert_eq!(
                rebinding.addresses("idp.example").await,
                first,
                "the discovery's address stays for the key set and the token exchange"
            );
        }
        assert_eq!(asked.load(Ordering::SeqCst), 1, "asked once");
        // a name that only ever answers with internal addresses is refused, and nothing is pinned
        let internal = super::PublicOnly::with_lookup(std::sync::Arc::new(|_host: String| {
            Box::pin(async { Ok(vec![std::net::SocketAddr::from(([10, 0, 0, 5], 0))]) })
        }));
        assert_eq!(internal.addresses("intern.example").await, Err("intern.example has no public address".to_owned()));
        assert!(internal.pinned.lock().map(|m| m.is_empty()).unwrap_or(false));
    }
}
