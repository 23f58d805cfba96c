//! Login through an external identity provider over OpenID Connect (authorization code flow with
//! PKCE; state and nonce checked; the ID token's signature verified against the provider's JWKS).
//! This is how BundID, the eID function of the ID card (nPA) and BayernID reach a portal.
//!
//! The provider's client secret is typed in once by a tenant admin or operator and kept sealed
//! (AES-256-GCM under the platform's secrets key, bound to the tenant and provider: [`crate::sealed`]);
//! nothing a tenant configures can name or reach the platform's own secrets. Every request to the
//! provider (discovery, keys, code exchange) stays on the issuer's origin, follows no redirect and
//! has a time and a size limit; issuers are `https://` (plain http on loopback only where the
//! configuration allows it: local and test set-ups).

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::url::{Origin, Url};
use openidconnect::{
    AsyncHttpClient, AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest, HttpResponse, IssuerUrl, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use portal_db::TenantTx;
use serde::{Deserialize, Serialize};

use uuid::Uuid;

use crate::IdentityError;
use crate::citizen::VerifiedClaims;
use crate::sealed::SecretsKey;
use crate::secret::constant_time_eq;

/// A tenant's identity provider, as configured by an operator or tenant admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderConfig {
    pub slug: String,
    pub display_name: String,
    pub issuer_url: String,
    pub client_id: String,
    /// The client secret as sealed by [`Oidc::seal_secret`]; `None` while none was entered (or, when
    /// saving, to keep the one stored).
    pub sealed_secret: Option<Vec<u8>>,
    pub scopes: String,
    pub enabled: bool,
}

const COLUMNS: &str = "provider_slug, display_name, issuer_url, client_id, client_secret_sealed, scopes, enabled";
type Row = (String, String, String, String, Option<Vec<u8>>, String, bool);

fn config(r: Row) -> ProviderConfig {
    ProviderConfig {
        slug: r.0,
        display_name: r.1,
        issuer_url: r.2,
        client_id: r.3,
        sealed_secret: r.4,
        scopes: r.5,
        enabled: r.6,
    }
}

/// Checks an issuer URL: `https://` with a host (or, where `allow_loopback_http`, `http://` to
/// 127.0.0.1, [::1] or localhost exactly), no credentials, query or fragment. Returns the URL
/// without a trailing slash.
pub fn check_issuer(raw: &str, allow_loopback_http: bool) -> Result<String, &'static str> {
    let trimmed = raw.trim().trim_end_matches('/');
    if trimmed.len() > 300 || trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("identity.issuer_invalid");
    }
    let url = Url::parse(trimmed).map_err(|_| "identity.issuer_invalid")?;
    let Some(host) = url.host_str() else { return Err("identity.issuer_invalid") };
    // outside test set-ups an issuer given as an address must be a public one (names are checked
    // when they are resolved, see `PublicOnly`)
    let literal = match url.host() {
        Some(openidconnect::url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(openidconnect::url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        _ => None,
    };
    if url.scheme() == "https" && !allow_loopback_http && literal.is_some_and(|ip| !is_public(ip)) {
        return Err("identity.issuer_invalid");
    }
    if !url.username().is_empty() || url.password().is_some() || url.query().is_some() || url.fragment().is_some() {
        return Err("identity.issuer_invalid");
    }
    match url.scheme() {
        "https" if !host.is_empty() => Ok(trimmed.to_owned()),
        "http" if allow_loopback_http && matches!(host, "127.0.0.1" | "[::1]" | "localhost") => Ok(trimmed.to_owned()),
        "http" => Err("identity.issuer_https"),
        _ => Err("identity.issuer_invalid"),
    }
}

/// The tenant's providers (all, or only enabled ones).
pub async fn providers(tx: &mut TenantTx, only_enabled: bool) -> Result<Vec<ProviderConfig>, IdentityError> {
    let tenant = tx.tenant_id().0;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from identity_provider where tenant_id = $1 and (enabled or not $2) order by display_name"
    ))
    .bind(tenant)
    .bind(only_enabled)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(config).collect())
}

/// One provider by slug.
pub async fn provider(tx: &mut TenantTx, slug: &str) -> Result<Option<ProviderConfig>, IdentityError> {
    let tenant = tx.tenant_id().0;
    let row: Option<Row> =
        sqlx::query_as(&format!("select {COLUMNS} from identity_provider where tenant_id = $1 and provider_slug = $2"))
            .bind(tenant)
            .bind(slug)
            .fetch_optional(tx.conn())
            .await?;
    Ok(row.map(config))
}

/// Creates or updates a provider. Without a new sealed secret the stored one is kept.
pub async fn save_provider(tx: &mut TenantTx, p: &ProviderConfig) -> Result<(), IdentityError> {
    let tenant = tx.tenant_id().0;
    sqlx::query(
        "insert into identity_provider (tenant_id, provider_slug, display_name, issuer_url, client_id, client_secret_sealed, scopes, enabled)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         on conflict (tenant_id, provider_slug) do update set display_name = excluded.display_name, issuer_url = excluded.issuer_url,
           client_id = excluded.client_id, client_secret_sealed = coalesce(excluded.client_secret_sealed, identity_provider.client_secret_sealed),
           scopes = excluded.scopes, enabled = excluded.enabled",
    )
    .bind(tenant)
    .bind(&p.slug)
    .bind(&p.display_name)
    .bind(&p.issuer_url)
    .bind(&p.client_id)
    .bind(&p.sealed_secret)
    .bind(&p.scopes)
    .bind(p.enabled)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Removes a provider (its links to accounts go with it; the accounts stay).
pub async fn delete_provider(tx: &mut TenantTx, slug: &str) -> Result<bool, IdentityError> {
    let tenant = tx.tenant_id().0;
    let r = sqlx::query("delete from identity_provider where tenant_id = $1 and provider_slug = $2")
        .bind(tenant)
        .bind(slug)
        .execute(tx.conn())
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Why a login through a provider failed. Each is refused; none logs anyone in.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the provider is not configured correctly: {0}")]
    Config(String),
    #[error("no client secret is stored for the provider, or it cannot be opened with this key")]
    MissingSecret,
    #[error("the provider could not be reached or its metadata is invalid: {0}")]
    Discovery(String),
    #[error("the state returned does not match this browser's login")]
    StateMismatch,
    #[error("the provider refused the code exchange: {0}")]
    Token(String),
    #[error("the ID token was rejected: {0}")]
    IdToken(String),
}

/// What the portal keeps (in an HttpOnly cookie) between sending the browser to the provider and
/// its return: binds the callback to this browser.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FlowState {
    pub provider: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

mod resolve;
use resolve::PublicOnly;

type HttpClient = openidconnect::reqwest::Client;

/// What a sealed flow cookie is for (see [`Oidc::seal_flow`]).
const FLOW_PURPOSE: &str = "oidc-flow";

/// How long a login may take from leaving for the provider to its return.
pub const FLOW_TTL_SECS: i64 = 600;

/// The flow as sealed: with the time it was sealed.
#[derive(Serialize, Deserialize)]
struct SealedFlow {
    flow: FlowState,
    at: i64,
}

/// Largest response accepted from a provider (discovery document, keys, token response).
const MAX_RESPONSE_BYTES: usize = 256 * 1024;

/// The OpenID Connect client side: an HTTP client without redirects, the key that opens the
/// tenants' client secrets, and a short cache of provider metadata (discovery document and JWKS).
pub struct Oidc {
    http: HttpClient,
    key: SecretsKey,
    allow_loopback_http: bool,
    cache: Mutex<HashMap<String, (Instant, CoreProviderMetadata)>>,
    ttl: Duration,
}

impl Oidc {
    /// `allow_loopback_http` admits `http://127.0.0.1…` issuers (local and test set-ups only).
    pub fn new(key: SecretsKey, allow_loopback_http: bool) -> Self {
        let mut builder = openidconnect::reqwest::ClientBuilder::new()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10));
        if !allow_loopback_http {
            builder = builder.dns_resolver(std::sync::Arc::new(PublicOnly::system()));
        }
        // a client that cannot be built must not fall back to one without these limits
        let http = builder.build().unwrap_or_else(|e| panic!("the OpenID Connect HTTP client: {e}"));
        Self { http, key, allow_loopback_http, cache: Mutex::new(HashMap::new()), ttl: Duration::from_secs(300) }
    }

    /// The flow's state as the browser keeps it between the provider's pages: sealed (AES-GCM under
    /// the platform key, bound to the tenant), so the cookie shows neither the PKCE verifier nor
    /// the nonce, and one made for another tenant or altered does not open. Base64url.
    pub fn seal_flow(&self, tenant: Uuid, flow: &FlowState) -> String {
        use base64::Engine as _;
        let json = serde_json::to_string(&SealedFlow {
            flow: flow.clone(),
            at: time::OffsetDateTime::now_utc().unix_timestamp(),
        })
        .unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.key.seal(tenant, FLOW_PURPOSE, &json))
    }

    /// Opens a flow cookie sealed by [`Self::seal_flow`] for `tenant` within [`FLOW_TTL_SECS`] of
    /// sealing it (the cookie's Max-Age is the browser's to keep; this is the server's).
    pub fn open_flow(&self, tenant: Uuid, cookie: &str) -> Option<FlowState> {
        self.open_flow_at(tenant, cookie, time::OffsetDateTime::now_utc().unix_timestamp())
    }

    fn open_flow_at(&self, tenant: Uuid, cookie: &str, now: i64) -> Option<FlowState> {
        use base64::Engine as _;
        let sealed = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cookie).ok()?;
        let s: SealedFlow = serde_json::from_str(&self.key.open(tenant, FLOW_PURPOSE, &sealed)?).ok()?;
        // a minute of clock difference between servers is allowed
        (-60..=FLOW_TTL_SECS).contains(&(now - s.at)).then_some(s.flow)
    }

    /// Whether plain-http loopback issuers are allowed (for the set-up form's check).
    /// The platform's secrets key (the second factor's secrets and pending logins are sealed with it).
    pub fn key(&self) -> &SecretsKey {
        &self.key
    }

    pub fn allows_loopback_http(&self) -> bool {
        self.allow_loopback_http
    }

    /// Seals a client secret typed in for `tenant`'s provider `p` (bound to its slug, issuer and
    /// client id: pointed at another issuer, the stored secret no longer opens).
    pub fn seal_secret(&self, tenant: Uuid, p: &ProviderConfig, secret: &str) -> Vec<u8> {
        self.key.seal(tenant, &purpose(p), secret)
    }

    /// Whether the provider's stored secret opens (is set and was sealed for this tenant, slug,
    /// issuer and client id).
    pub fn has_secret(&self, tenant: Uuid, p: &ProviderConfig) -> bool {
        self.secret(tenant, p).is_ok()
    }

    fn secret(&self, tenant: Uuid, p: &ProviderConfig) -> Result<ClientSecret, OidcError> {
        let sealed = p.sealed_secret.as_deref().ok_or(OidcError::MissingSecret)?;
        self.key.open(tenant, &purpose(p), sealed).map(ClientSecret::new).ok_or(OidcError::MissingSecret)
    }

    /// A client for one provider: only its issuer's origin.
    fn bound(&self, issuer: &str) -> Result<OriginBound<'_>, OidcError> {
        let issuer = check_issuer(issuer, self.allow_loopback_http)
            .map_err(|_| OidcError::Config("the issuer URL is not allowed".into()))?;
        let url = Url::parse(&issuer).map_err(|e| OidcError::Config(e.to_string()))?;
        Ok(OriginBound { http: &self.http, origin: url.origin() })
    }

    async fn metadata(&self, issuer: &str) -> Result<CoreProviderMetadata, OidcError> {
        if let Ok(cache) = self.cache.lock()
            && let Some((at, m)) = cache.get(issuer)
            && at.elapsed() < self.ttl
        {
            return Ok(m.clone());
        }
        let client = self.bound(issuer)?;
        let url = IssuerUrl::new(issuer.to_owned()).map_err(|e| OidcError::Config(e.to_string()))?;
        // discovery also fetches the JWKS (on the issuer's origin only, see `OriginBound`); the
        // issuer in the document must equal the configured one
        let m = CoreProviderMetadata::discover_async(url, &client)
            .await
            .map_err(|e| OidcError::Discovery(error_chain(&e)))?;
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(issuer.to_owned(), (Instant::now(), m.clone()));
        }
        Ok(m)
    }

    /// Forgets cached metadata (after a signature failure the keys may have rotated).
    pub fn forget(&self, issuer: &str) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.remove(issuer);
        }
    }

    /// The URL to send the browser to, and the state to keep for the callback.
    pub async fn start(
        &self,
        tenant: Uuid,
        p: &ProviderConfig,
        redirect_uri: &str,
    ) -> Result<(String, FlowState), OidcError> {
        let secret = self.secret(tenant, p)?;
        let metadata = self.metadata(&p.issuer_url).await?;
        let redirect = RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| OidcError::Config(e.to_string()))?;
        let client = CoreClient::from_provider_metadata(metadata, ClientId::new(p.client_id.clone()), Some(secret))
            .set_redirect_uri(redirect);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .set_pkce_challenge(challenge);
        for scope in p.scopes.split_whitespace().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.to_owned()));
        }
        let (url, state, nonce) = request.url();
        Ok((
            url.to_string(),
            FlowState {
                provider: p.slug.clone(),
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
            },
        ))
    }

    /// Completes the login: checks the state, exchanges the code (with the PKCE verifier) and
    /// verifies the ID token (signature against the JWKS, issuer, audience, expiry, nonce).
    pub async fn finish(
        &self,
        tenant: Uuid,
        p: &ProviderConfig,
        redirect_uri: &str,
        flow: &FlowState,
        code: &str,
        returned_state: &str,
    ) -> Result<VerifiedClaims, OidcError> {
        if flow.provider != p.slug || !constant_time_eq(&flow.state, returned_state) {
            return Err(OidcError::StateMismatch);
        }
        let secret = self.secret(tenant, p)?;
        let metadata = self.metadata(&p.issuer_url).await?;
        let redirect = RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| OidcError::Config(e.to_string()))?;
        let client = CoreClient::from_provider_metadata(metadata, ClientId::new(p.client_id.clone()), Some(secret))
            .set_redirect_uri(redirect);
        // the secret goes only to a token endpoint on the issuer's origin
        let http = self.bound(&p.issuer_url)?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::Config(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.clone()))
            .request_async(&http)
            .await
            .map_err(|e| OidcError::Token(error_chain(&e)))?;
        let id_token = response.id_token().ok_or_else(|| OidcError::IdToken("no ID token in the response".into()))?;
        let verifier = client.id_token_verifier();
        let claims = match id_token.claims(&verifier, &Nonce::new(flow.nonce.clone())) {
            Ok(c) => c,
            Err(e) => {
                self.forget(&p.issuer_url);
                return Err(OidcError::IdToken(error_chain(&e)));
            }
        };
        let text = |v: Option<&str>| v.map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let address = claims.address();
        Ok(VerifiedClaims {
            subject: claims.subject().as_str().to_owned(),
            email: claims.email().map(|e| e.as_str().to_owned()),
            email_verified: claims.email_verified().unwrap_or(false),
            given_name: text(claims.given_name().and_then(|n| n.get(None)).map(|n| n.as_str())),
            family_name: text(claims.family_name().and_then(|n| n.get(None)).map(|n| n.as_str())),
            birth_date: claims.birthdate().and_then(|b| parse_date(b.as_str())),
            street: text(address.and_then(|a| a.street_address.as_ref()).map(|s| s.as_str())),
            postal_code: text(address.and_then(|a| a.postal_code.as_ref()).map(|s| s.as_str())),
            city: text(address.and_then(|a| a.locality.as_ref()).map(|s| s.as_str())),
            level_of_assurance: claims.auth_context_ref().map(|a| a.as_str().to_owned()),
        })
    }
}

/// What a client secret is bound to: the provider's slug, issuer and client id, so that a tenant
/// admin who points a provider at another issuer cannot have the stored secret sent there.
fn purpose(p: &ProviderConfig) -> String {
    format!("identity_provider:{}\n{}\n{}", p.slug, p.issuer_url, p.client_id)
}

/// Whether an address is on the public internet (not loopback, private, link-local, shared,
/// documentation, multicast or reserved): where a provider may be reached outside test set-ups.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && v4.octets()[2] == 0)
                || (a == 198 && (18..20).contains(&b)))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let embedded =
                |hi: u16, lo: u16| IpAddr::V4(std::net::Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            // addresses that carry an IPv4 address reach it: the NAT64 prefix 64:ff9b::/96, the
            // deprecated IPv4-compatible ::a.b.c.d (and so :: and ::1), and 6to4 2002:aabb:ccdd::/48
            if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] || s[..6] == [0; 6] {
                return is_public(embedded(s[6], s[7]));
            }
            if s[0] == 0x2002 {
                return is_public(embedded(s[1], s[2]));
            }
            !(v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x2001 && s[1] == 0) // Teredo: tunnels to an IPv4 address
                || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) // local-use NAT64 (64:ff9b:1::/48)
                || s[..4] == [0x100, 0, 0, 0]) // discard-only
        }
    }
}

/// Why a request to a provider was not made or its answer not taken.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("request to another origin than the issuer's refused: {0}")]
    OtherOrigin(String),
    #[error("the response is larger than {MAX_RESPONSE_BYTES} bytes")]
    TooLarge,
    #[error("request failed: {0}")]
    Http(#[from] openidconnect::reqwest::Error),
    #[error("invalid request or response: {0}")]
    Invalid(String),
}

/// The HTTP client handed to the OpenID Connect library for one provider: requests leave only for
/// the issuer's origin (so a discovery document cannot point the key fetch or the client secret
/// elsewhere), redirects are not followed, and each response is read up to a size limit.
struct OriginBound<'a> {
    http: &'a HttpClient,
    origin: Origin,
}

impl<'c> AsyncHttpClient<'c> for OriginBound<'_> {
    type Error = FetchError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, FetchError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let url = Url::parse(&request.uri().to_string()).map_err(|e| FetchError::Invalid(e.to_string()))?;
            if url.origin() != self.origin {
                return Err(FetchError::OtherOrigin(url.origin().ascii_serialization()));
            }
            let request = openidconnect::reqwest::Request::try_from(request)?;
            let mut response = self.http.execute(request).await?;
            if response.content_length().is_some_and(|n| n > MAX_RESPONSE_BYTES as u64) {
                return Err(FetchError::TooLarge);
            }
            let mut builder = openidconnect::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await? {
                if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                    return Err(FetchError::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            builder.body(body).map_err(|e| FetchError::Invalid(e.to_string()))
        })
    }
}

fn parse_date(s: &str) -> Option<time::Date> {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

#[cfg(test)]
mod tests;
