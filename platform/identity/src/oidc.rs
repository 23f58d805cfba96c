//! Login through an external identity provider over OpenID Connect (authorization code flow with
//! PKCE; state and nonce checked; the ID token's signature verified against the provider's JWKS).
//! This is how BundID, the eID function of the ID card (nPA) and BayernID reach a portal.
//!
//! The provider's client secret is never stored in the database: `client_secret_env` names an
//! environment variable holding it, or, with the suffix `_FILE`, a file mounted by a secret store.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use portal_db::TenantTx;
use serde::{Deserialize, Serialize};

use crate::IdentityError;
use crate::citizen::VerifiedClaims;
use crate::secret::constant_time_eq;

/// A tenant's identity provider, as configured by an operator or tenant admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderConfig {
    pub slug: String,
    pub display_name: String,
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret_env: String,
    pub scopes: String,
    pub enabled: bool,
}

const COLUMNS: &str = "provider_slug, display_name, issuer_url, client_id, client_secret_env, scopes, enabled";
type Row = (String, String, String, String, String, String, bool);

fn config(r: Row) -> ProviderConfig {
    ProviderConfig { slug: r.0, display_name: r.1, issuer_url: r.2, client_id: r.3, client_secret_env: r.4, scopes: r.5, enabled: r.6 }
}

/// The tenant's providers (all, or only enabled ones).
pub async fn providers(tx: &mut TenantTx, only_enabled: bool) -> Result<Vec<ProviderConfig>, IdentityError> {
    let tenant = tx.tenant_id().0;
    let rows: Vec<Row> = sqlx::query_as(&format!("select {COLUMNS} from identity_provider where tenant_id = $1 and (enabled or not $2) order by display_name"))
        .bind(tenant)
        .bind(only_enabled)
        .fetch_all(tx.conn())
        .await?;
    Ok(rows.into_iter().map(config).collect())
}

/// One provider by slug.
pub async fn provider(tx: &mut TenantTx, slug: &str) -> Result<Option<ProviderConfig>, IdentityError> {
    let tenant = tx.tenant_id().0;
    let row: Option<Row> = sqlx::query_as(&format!("select {COLUMNS} from identity_provider where tenant_id = $1 and provider_slug = $2"))
        .bind(tenant)
        .bind(slug)
        .fetch_optional(tx.conn())
        .await?;
    Ok(row.map(config))
}

/// Creates or updates a provider.
pub async fn save_provider(tx: &mut TenantTx, p: &ProviderConfig) -> Result<(), IdentityError> {
    let tenant = tx.tenant_id().0;
    sqlx::query(
        "insert into identity_provider (tenant_id, provider_slug, display_name, issuer_url, client_id, client_secret_env, scopes, enabled)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         on conflict (tenant_id, provider_slug) do update set display_name = excluded.display_name, issuer_url = excluded.issuer_url,
           client_id = excluded.client_id, client_secret_env = excluded.client_secret_env, scopes = excluded.scopes, enabled = excluded.enabled",
    )
    .bind(tenant)
    .bind(&p.slug)
    .bind(&p.display_name)
    .bind(&p.issuer_url)
    .bind(&p.client_id)
    .bind(&p.client_secret_env)
    .bind(&p.scopes)
    .bind(p.enabled)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Removes a provider (its links to accounts go with it; the accounts stay).
pub async fn delete_provider(tx: &mut TenantTx, slug: &str) -> Result<bool, IdentityError> {
    let tenant = tx.tenant_id().0;
    let r = sqlx::query("delete from identity_provider where tenant_id = $1 and provider_slug = $2").bind(tenant).bind(slug).execute(tx.conn()).await?;
    Ok(r.rows_affected() == 1)
}

/// Reads a client secret: the environment variable, or the file named by `<NAME>_FILE`.
pub fn client_secret(env_name: &str) -> Option<String> {
    if let Ok(v) = std::env::var(env_name) {
        return Some(v);
    }
    std::env::var(format!("{env_name}_FILE")).ok().and_then(|path| std::fs::read_to_string(path).ok()).map(|s| s.trim().to_owned())
}

/// Why a login through a provider failed. Each is refused; none logs anyone in.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the provider is not configured correctly: {0}")]
    Config(String),
    #[error("the client secret variable {0} is not set")]
    MissingSecret(String),
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

type HttpClient = openidconnect::reqwest::Client;

/// The OpenID Connect client side: an HTTP client without redirects (SSRF) and a short cache of
/// provider metadata (discovery document and JWKS).
pub struct Oidc {
    http: HttpClient,
    cache: Mutex<HashMap<String, (Instant, CoreProviderMetadata)>>,
    ttl: Duration,
}

impl Default for Oidc {
    fn default() -> Self {
        Self::new()
    }
}

impl Oidc {
    pub fn new() -> Self {
        let http = openidconnect::reqwest::ClientBuilder::new()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self { http, cache: Mutex::new(HashMap::new()), ttl: Duration::from_secs(300) }
    }

    async fn metadata(&self, issuer: &str) -> Result<CoreProviderMetadata, OidcError> {
        if let Ok(cache) = self.cache.lock()
            && let Some((at, m)) = cache.get(issuer)
            && at.elapsed() < self.ttl
        {
            return Ok(m.clone());
        }
        let url = IssuerUrl::new(issuer.to_owned()).map_err(|e| OidcError::Config(e.to_string()))?;
        // discovery also fetches the JWKS; the issuer in the document must equal the configured one
        let m = CoreProviderMetadata::discover_async(url, &self.http).await.map_err(|e| OidcError::Discovery(error_chain(&e)))?;
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
    pub async fn start(&self, p: &ProviderConfig, redirect_uri: &str) -> Result<(String, FlowState), OidcError> {
        let metadata = self.metadata(&p.issuer_url).await?;
        let secret = client_secret(&p.client_secret_env).ok_or_else(|| OidcError::MissingSecret(p.client_secret_env.clone()))?;
        let redirect = RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| OidcError::Config(e.to_string()))?;
        let client = CoreClient::from_provider_metadata(metadata, ClientId::new(p.client_id.clone()), Some(ClientSecret::new(secret))).set_redirect_uri(redirect);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client.authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random).set_pkce_challenge(challenge);
        for scope in p.scopes.split_whitespace().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.to_owned()));
        }
        let (url, state, nonce) = request.url();
        Ok((
            url.to_string(),
            FlowState { provider: p.slug.clone(), state: state.secret().clone(), nonce: nonce.secret().clone(), pkce_verifier: verifier.secret().clone() },
        ))
    }

    /// Completes the login: checks the state, exchanges the code (with the PKCE verifier) and
    /// verifies the ID token (signature against the JWKS, issuer, audience, expiry, nonce).
    pub async fn finish(&self, p: &ProviderConfig, redirect_uri: &str, flow: &FlowState, code: &str, returned_state: &str) -> Result<VerifiedClaims, OidcError> {
        if flow.provider != p.slug || !constant_time_eq(&flow.state, returned_state) {
            return Err(OidcError::StateMismatch);
        }
        let metadata = self.metadata(&p.issuer_url).await?;
        let secret = client_secret(&p.client_secret_env).ok_or_else(|| OidcError::MissingSecret(p.client_secret_env.clone()))?;
        let redirect = RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| OidcError::Config(e.to_string()))?;
        let client = CoreClient::from_provider_metadata(metadata, ClientId::new(p.client_id.clone()), Some(ClientSecret::new(secret))).set_redirect_uri(redirect);
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::Config(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.clone()))
            .request_async(&self.http)
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
