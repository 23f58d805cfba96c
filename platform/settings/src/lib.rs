//! Configuration and telemetry of the server.
//!
//! Settings are layered: `infra/config/base.toml`, then `infra/config/{environment}.toml`, then
//! `APP__SECTION__KEY` environment variables. Secrets (database URLs with passwords, API keys) come
//! from the environment only. Unknown keys and invalid values stop start-up with a message that names
//! the key.

mod telemetry;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use portal_domain::HostName;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sqlx::postgres::PgConnectOptions;

pub use telemetry::{LogFormat, Telemetry, init_telemetry, metrics_recorder};

/// The deployment environment, chosen by `APP_ENVIRONMENT` (default `local`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Local,
    Test,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Local => "local",
            Environment::Test => "test",
            Environment::Production => "production",
        }
    }
}

impl FromStr for Environment {
    type Err = SettingsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "local" => Ok(Self::Local),
            "test" => Ok(Self::Test),
            "production" => Ok(Self::Production),
            other => Err(SettingsError::Invalid {
                key: "APP_ENVIRONMENT".into(),
                message: format!("`{other}` is not one of local, test, production"),
            }),
        }
    }
}

/// All settings of the server.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub demo: DemoSettings,
    pub telemetry: TelemetrySettings,
    pub paths: PathSettings,
    pub mail: MailSettings,
    pub payments: PaymentSettings,
    pub security: SecuritySettings,
    pub cache: CacheSettings,
    #[serde(default)]
    pub maps: MapSettings,
}

/// The map of the Kita search: where its tiles come from (an operator's tile server or a
/// provider's). Empty: the map shows the markers without a background.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapSettings {
    /// URL template, e.g. `https://tiles.example.org/{z}/{x}/{y}.png`.
    #[serde(default)]
    pub tiles_url: String,
    /// The tiles' credit line (required by most providers).
    #[serde(default)]
    pub attribution: String,
}

/// The in-memory caches of tenants' portal content and of rendered public pages.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSettings {
    /// Megabytes of tenant content held at most (branding, services; all tenants together).
    pub content_max_mb: u64,
    /// Megabytes of rendered pages held at most.
    pub pages_max_mb: u64,
    /// A tenant (or a page) not asked for this long is dropped.
    pub idle_secs: u64,
    /// How long a CDN or reverse proxy in front may serve a public page without asking again.
    pub shared_max_age_secs: u64,
}

/// Keys and switches that protect tenants' secrets and the platform's endpoints.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    /// 32 random bytes, base64: seals tenants' secrets (identity providers' client secrets) in the
    /// database. `APP__SECURITY__SECRETS_KEY` only (the local and test files carry a fixed,
    /// public development key).
    pub secrets_key: SecretString,
    /// Accept identity providers at `http://127.0.0.1`, `http://[::1]` or `http://localhost` (the
    /// local test provider). Never in production.
    #[serde(default)]
    pub allow_loopback_http: bool,
}

/// Online payment through Stripe Connect. The platform's keys come from the environment only.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentSettings {
    /// Stripe's API (a compatible server in tests), e.g. `https://api.stripe.com/`.
    pub api_base: String,
    /// Stripe's client library loaded by the payment page.
    pub js_url: String,
    /// Origins the payment page may talk to and frame besides its own (Stripe.js's API, 3-D Secure
    /// and PayPal pages), for its Content-Security-Policy.
    pub page_origins: Vec<String>,
    /// The platform's publishable key (public; the payment page hands it to Stripe.js).
    #[serde(default)]
    pub publishable_key: String,
    /// The platform's secret key: `APP__PAYMENTS__SECRET_KEY` only.
    #[serde(default)]
    pub secret_key: Option<SecretString>,
    /// The webhook endpoint's signing secret: `APP__PAYMENTS__WEBHOOK_SECRET` only.
    #[serde(default)]
    pub webhook_secret: Option<SecretString>,
    /// Per-attempt timeout of calls to Stripe.
    pub timeout_ms: u64,
    /// A pay-before payment nobody finished is cancelled after this many hours.
    pub intent_expiry_hours: i32,
    /// Run the payment jobs (reminders, expiry, daily exports) in this process.
    pub worker: bool,
    /// How often the payment jobs run.
    pub job_interval_secs: u64,
}

/// Outgoing mail: the SMTP server and the queue worker.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub smtp_host: String,
    pub smtp_port: u16,
    /// `none` (local relay only), `starttls` or `tls`.
    pub smtp_tls: String,
    #[serde(default)]
    pub smtp_username: Option<String>,
    /// From the environment only (`APP__MAIL__SMTP_PASSWORD`).
    #[serde(default)]
    pub smtp_password: Option<SecretString>,
    /// The platform's sender address; the display name is the tenant's.
    pub from_address: String,
    /// Run the delivery worker in this process.
    pub worker: bool,
    /// How often the worker looks for due mail besides being woken by NOTIFY.
    pub poll_interval_ms: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address and port the HTTP server listens on.
    pub bind: SocketAddr,
    /// Host of the operations console; never a tenant host.
    pub ops_host: HostName,
    /// Peers whose `X-Forwarded-Host` and `X-Forwarded-For` are believed (reverse proxies).
    #[serde(default)]
    pub trusted_proxies: Vec<IpAddr>,
    /// Whether cookies get the `Secure` attribute (false only for plain-http local development).
    pub secure_cookies: bool,
    /// Largest request body accepted, in bytes (logo uploads are the largest).
    pub max_body_bytes: usize,
    /// Live streams (waiting times, call displays) one client address may hold open at a time.
    #[serde(default = "default_streams_per_address")]
    pub max_streams_per_address: usize,
}

fn default_streams_per_address() -> usize {
    32
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// Connection URL of the application role (row-level security applies to it; tenant requests).
    pub url: SecretString,
    /// Connection URL of the platform role (console, workers, registry): `APP__DATABASE__PLATFORM_URL`.
    /// Another role than `url`'s; neither may be a member of the other.
    pub platform_url: SecretString,
    /// Connections of the platform role.
    #[serde(default = "default_platform_connections")]
    pub platform_max_connections: u32,
    /// Connection URL of the schema owner, used only to run migrations at start-up.
    #[serde(default)]
    pub owner_url: Option<SecretString>,
    pub max_connections: u32,
    pub statement_timeout_ms: u64,
    /// Run pending migrations at start-up (needs `owner_url`).
    pub migrate_on_start: bool,
    /// After migrating, give the application and platform roles LOGIN with the passwords of `url`
    /// and `platform_url` (local and test set-ups only; in production the roles are managed by the
    /// database operators).
    #[serde(default)]
    pub manage_app_role: bool,
}

impl DatabaseSettings {
    /// Options of the application-role connection.
    pub fn app_options(&self) -> Result<PgConnectOptions, SettingsError> {
        parse_pg_url("database.url", &self.url)
    }

    /// Options of the platform-role connection.
    pub fn platform_options(&self) -> Result<PgConnectOptions, SettingsError> {
        parse_pg_url("database.platform_url", &self.platform_url)
    }

    /// Options of the owner connection, if configured.
    pub fn owner_options(&self) -> Result<Option<PgConnectOptions>, SettingsError> {
        self.owner_url.as_ref().map(|u| parse_pg_url("database.owner_url", u)).transpose()
    }
}

fn default_platform_connections() -> u32 {
    10
}

fn parse_pg_url(key: &str, url: &SecretString) -> Result<PgConnectOptions, SettingsError> {
    let raw = url.expose_secret();
    if !(raw.starts_with("postgres://") || raw.starts_with("postgresql://")) {
        return Err(SettingsError::Invalid { key: key.into(), message: "must be a postgres:// URL".into() });
    }
    PgConnectOptions::from_str(url.expose_secret()).map_err(|e| SettingsError::Invalid {
        key: key.into(),
        // the URL itself may hold a password: name the problem, not the value
        message: format!("not a valid PostgreSQL URL ({})", e.to_string().split(':').next().unwrap_or("parse error")),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoSettings {
    /// Sync the demo tenants from `tenants/demo` at start-up.
    pub enabled: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySettings {
    pub log_format: LogFormat,
    /// A `tracing_subscriber::EnvFilter` directive, e.g. `info,sqlx=warn`.
    pub log_filter: String,
    /// If set, `/metrics` on the ops host requires `Authorization: Bearer <token>`.
    #[serde(default)]
    pub metrics_token: Option<SecretString>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathSettings {
    /// The `tenants/` data folder (catalogue and demo tenants).
    pub tenants_dir: PathBuf,
    /// Built front-end assets: `pkg/` (wasm, JS, CSS) and `kern/` (KERN UX CSS and fonts).
    pub site_dir: PathBuf,
}

/// The development key of `infra/config/{local,test}.toml`: public, refused in production.
pub const DEVELOPMENT_SECRETS_KEY: &str = "a29tbXVuYWxwb3J0YWwtZGV2ZWxvcG1lbnQta2V5LTA=";

fn secrets_key_bytes(key: &SecretString) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(key.expose_secret().trim()).ok().filter(|b| b.len() == 32)
}

/// Why the settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("configuration error: {0}")]
    Config(#[from] config::ConfigError),
    #[error("configuration error: invalid value for `{key}`: {message}")]
    Invalid { key: String, message: String },
}

impl Settings {
    /// Loads settings for `environment` from `config_dir`, overridden by `APP__…` variables.
    pub fn load(config_dir: &Path, environment: Environment) -> Result<Self, SettingsError> {
        Self::load_with_env(config_dir, environment, None)
    }

    /// Whether the server listens on a loopback address only.
    pub fn loopback_only(&self) -> bool {
        self.server.bind.ip().is_loopback()
    }

    /// Like [`Settings::load`], with the environment variables given explicitly (tests).
    pub fn load_with_env(
        config_dir: &Path,
        environment: Environment,
        vars: Option<std::collections::HashMap<String, String>>,
    ) -> Result<Self, SettingsError> {
        let mut env = config::Environment::with_prefix("APP")
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .list_separator(",")
            .with_list_parse_key("server.trusted_proxies");
        if let Some(vars) = vars {
            env = env.source(Some(vars));
        }
        let settings: Settings = config::Config::builder()
            .add_source(config::File::from(config_dir.join("base.toml")))
            .add_source(config::File::from(config_dir.join(format!("{}.toml", environment.as_str()))).required(false))
            .add_source(env)
            .build()?
            .try_deserialize()?;
        settings.validate(environment)?;
        Ok(settings)
    }

    fn validate(&self, environment: Environment) -> Result<(), SettingsError> {
        let invalid = |key: &str, message: &str| SettingsError::Invalid { key: key.into(), message: message.into() };
        if environment == Environment::Production {
            if self.security.allow_loopback_http {
                return Err(invalid("security.allow_loopback_http", "must be false in production"));
            }
            if self.telemetry.metrics_token.is_none() && !self.loopback_only() {
                return Err(invalid(
                    "telemetry.metrics_token",
                    "must be set in production (APP__TELEMETRY__METRICS_TOKEN) unless server.bind is a loopback address",
                ));
            }
            let development = secrets_key_bytes(&SecretString::from(DEVELOPMENT_SECRETS_KEY.to_owned()));
            if development.is_some() && secrets_key_bytes(&self.security.secrets_key) == development {
                return Err(invalid(
                    "security.secrets_key",
                    "is the public development key; set a random one (APP__SECURITY__SECRETS_KEY)",
                ));
            }
        }
        if self.telemetry.metrics_token.as_ref().is_some_and(|t| t.expose_secret().len() < 16) {
            return Err(invalid("telemetry.metrics_token", "must be at least 16 characters"));
        }
        secrets_key_bytes(&self.security.secrets_key).ok_or_else(|| {
            invalid("security.secrets_key", "must be 32 random bytes, base64-encoded (openssl rand -base64 32)")
        })?;
        let (app, platform) = (self.database.app_options()?, self.database.platform_options()?);
        if app.get_username() == platform.get_username() {
            return Err(invalid(
                "database.platform_url",
                "must connect as another role than database.url (portal_platform, not portal_app)",
            ));
        }
        if self.database.platform_max_connections == 0 {
            return Err(invalid("database.platform_max_connections", "must be at least 1"));
        }
        self.database.owner_options()?;
        if self.database.migrate_on_start && self.database.owner_url.is_none() {
            return Err(SettingsError::Invalid {
                key: "database.owner_url".into(),
                message: "must be set when database.migrate_on_start is true".into(),
            });
        }
        if self.database.max_connections == 0 {
            return Err(SettingsError::Invalid {
                key: "database.max_connections".into(),
                message: "must be at least 1".into(),
            });
        }
        if self.server.max_body_bytes < 1024 {
            return Err(SettingsError::Invalid {
                key: "server.max_body_bytes".into(),
                message: "must be at least 1024".into(),
            });
        }
        if !matches!(self.mail.smtp_tls.as_str(), "none" | "starttls" | "tls") {
            return Err(SettingsError::Invalid {
                key: "mail.smtp_tls".into(),
                message: "must be one of none, starttls, tls".into(),
            });
        }
        if !self.mail.from_address.contains('@') {
            return Err(SettingsError::Invalid {
                key: "mail.from_address".into(),
                message: "must be an e-mail address".into(),
            });
        }
        for (key, url) in [("payments.api_base", &self.payments.api_base), ("payments.js_url", &self.payments.js_url)] {
            if !(url.starts_with("https://")
                || url.starts_with("http://127.0.0.1")
                || url.starts_with("http://localhost"))
            {
                return Err(SettingsError::Invalid {
                    key: key.into(),
                    message: "must be an https:// URL (plain http only on loopback)".into(),
                });
            }
        }
        if !(1..=720).contains(&self.payments.intent_expiry_hours) {
            return Err(SettingsError::Invalid {
                key: "payments.intent_expiry_hours".into(),
                message: "must be between 1 and 720".into(),
            });
        }
        tracing_subscriber::EnvFilter::try_new(&self.telemetry.log_filter)
            .map_err(|e| SettingsError::Invalid { key: "telemetry.log_filter".into(), message: e.to_string() })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config_dir() -> PathBuf {
        // cargo passes the package folder at run time; the compile-time value may name another checkout
        // that shared the target directory
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()))
            .join("../../infra/config")
    }

    fn load(vars: &[(&str, &str)]) -> Result<Settings, String> {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Settings::load_with_env(&config_dir(), Environment::Local, Some(vars)).map_err(|e| e.to_string())
    }

    #[test]
    fn the_local_configuration_loads_and_variables_override_files() {
        let s = load(&[("APP__SERVER__BIND", "127.0.0.1:4000"), ("APP__SERVER__TRUSTED_PROXIES", "10.0.0.1,10.0.0.2")])
            .expect("valid");
        assert_eq!(s.server.bind.port(), 4000);
        assert_eq!(s.server.trusted_proxies.len(), 2);
        assert!(s.demo.enabled);
    }

    #[test]
    fn an_invalid_value_stops_start_up_with_the_key_named() {
        let cases = [
            ("APP__DATABASE__MAX_CONNECTIONS", "viele", "database.max_connections"),
            ("APP__SERVER__OPS_HOST", "ops_konsole", "server.ops_host"),
            ("APP__SERVER__BIND", "nirgendwo", "server.bind"),
            ("APP__DATABASE__URL", "mysql:/x", "database.url"),
            ("APP__TELEMETRY__LOG_FORMAT", "xml", "telemetry.log_format"),
            ("APP__DATABASE__MAX_CONNECTIONS", "0", "database.max_connections"),
        ];
        for (var, value, key) in cases {
            let err = load(&[(var, value)]).err().unwrap_or_default();
            assert!(err.contains(key), "{var}={value}: `{err}` does not name {key}");
        }
    }

    #[test]
    fn an_unknown_key_is_refused() {
        let err = load(&[("APP__SERVER__COLOR", "blue")]).err().unwrap_or_default();
        assert!(err.contains("color"), "{err}");
    }

    #[test]
    fn a_password_in_a_bad_url_is_not_echoed() {
        let err = load(&[("APP__DATABASE__URL", "notaurl://user:geheim@")]).err().unwrap_or_default();
        assert!(!err.contains("geheim"), "{err}");
    }

    fn load_production(vars: &[(&str, &str)]) -> Result<Settings, String> {
        let mut all: HashMap<String, String> = [
            ("APP__DATABASE__URL", "postgres://portal_app:x@db.internal/kommunalportal"),
            ("APP__DATABASE__PLATFORM_URL", "postgres://portal_platform:y@db.internal/kommunalportal"),
            ("APP__SECURITY__SECRETS_KEY", "q6w1t7m4nV0pXo0pQ8rB2mYc5kLzN3sH9dFjG1aEw2U="),
            ("APP__TELEMETRY__METRICS_TOKEN", "ein-langes-metrik-token"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        all.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        all.retain(|_, v| !v.is_empty());
        Settings::load_with_env(&config_dir(), Environment::Production, Some(all)).map_err(|e| e.to_string())
    }

    #[test]
    fn production_refuses_public_metrics_the_development_key_and_plain_http_issuers() {
        assert!(load_production(&[]).is_ok(), "{:?}", load_production(&[]).err());
        let cases = [
            (("APP__TELEMETRY__METRICS_TOKEN", ""), "telemetry.metrics_token"),
            (("APP__TELEMETRY__METRICS_TOKEN", "kurz"), "telemetry.metrics_token"),
            (("APP__SECURITY__SECRETS_KEY", DEVELOPMENT_SECRETS_KEY), "security.secrets_key"),
            (("APP__SECURITY__SECRETS_KEY", ""), "secrets_key"),
            (("APP__SECURITY__SECRETS_KEY", "c2hvcnQ="), "security.secrets_key"),
            (("APP__SECURITY__ALLOW_LOOPBACK_HTTP", "true"), "security.allow_loopback_http"),
            (
                ("APP__DATABASE__PLATFORM_URL", "postgres://portal_app:y@db.internal/kommunalportal"),
                "database.platform_url",
            ),
            (("APP__DATABASE__PLATFORM_URL", ""), "platform_url"),
        ];
        for ((var, value), key) in cases {
            let err = load_production(&[(var, value)]).err().unwrap_or_default();
            assert!(err.contains(key), "{var}={value}: `{err}` does not name {key}");
        }
        // without a token, metrics stay private only when the server listens on loopback (a proxy
        // on the same host in front)
        let s = load_production(&[("APP__TELEMETRY__METRICS_TOKEN", ""), ("APP__SERVER__BIND", "127.0.0.1:3000")])
            .expect("loopback bind");
        assert!(s.loopback_only() && s.telemetry.metrics_token.is_none());
    }

    #[test]
    fn the_environment_name_is_checked() {
        assert!("staging".parse::<Environment>().is_err());
        assert_eq!("Production".parse::<Environment>().ok(), Some(Environment::Production));
    }
}
