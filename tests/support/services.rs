//! The real components the tests need, found or started by infra/scripts/test-services.sh.

use super::*;

/// Superuser URL of the test server's maintenance database: `TEST_DATABASE_URL`, else the one
/// [`ensure_services`] found or started.
pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| ensure_services().database_url.clone())
}

/// What [`ensure_services`] found or started.
#[derive(Debug)]
pub struct Services {
    pub database_url: String,
}

pub(super) static SERVICES: std::sync::OnceLock<Result<Services, String>> = std::sync::OnceLock::new();

/// The real components the tests talk to — PostgreSQL, the SMTP mailbox, the OpenID providers, the
/// Stripe-compatible server, the PDF and QR tools — installed or started by
/// `infra/scripts/test-services.sh` when they are not there (a test run by plain `cargo test`; the
/// test command starts them before). The node services started here end with this process; a
/// PostgreSQL cluster started here keeps running. Blocks the first caller until they answer; a
/// failure is kept, so every later test fails at once with the same message.
pub fn ensure_services() -> &'static Services {
    let found = SERVICES.get_or_init(|| {
        let default_url = "postgres://postgres@127.0.0.1:5432/postgres".to_owned();
        let answers = |port: u16| {
            std::net::TcpStream::connect_timeout(
                &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
                std::time::Duration::from_millis(300),
            )
            .is_ok()
        };
        let database_given = std::env::var("TEST_DATABASE_URL").is_ok();
        // the test command exports where it started them; plain `cargo test` finds them by port
        let started_by_script = std::env::var("STRIPE_API_BASE").is_ok() && std::env::var("MAILBOX_URL").is_ok();
        let tools = ["pdftotext", "pdftoppm", "zbarimg"].iter().all(|t| {
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).any(|dir| dir.join(t).is_file())
        });
        if started_by_script
            || (tools && (database_given || answers(5432)) && [2525, 2580, 4011, 4012, 12111].into_iter().all(answers))
        {
            return Ok(Services { database_url: default_url });
        }
        let script = repo_root().join("infra/scripts/test-services.sh");
        let out = std::process::Command::new("bash")
            .arg(&script)
            .env("PARENT_PID", std::process::id().to_string())
            .stderr(std::process::Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        if !out.status.success() {
            return Err(format!("{} failed ({}): see its output above", script.display(), out.status));
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let database_url =
            stdout.lines().find_map(|l| l.strip_prefix("TEST_DATABASE_URL=")).map_or(default_url, str::to_owned);
        Ok(Services { database_url })
    });
    found.as_ref().unwrap_or_else(|e| panic!("{e}"))
}
