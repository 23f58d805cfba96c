//! `portal`: the server binary.
//!
//! - `portal serve` (default): migrate (if configured), sync data, serve portals and the console.
//! - `portal migrate`: apply migrations and exit.
//! - `portal operator create --email … --name …`: create an operator account; the password is read
//!   from `PORTAL_OPERATOR_PASSWORD` or from the first line of standard input (never an argument,
//!   which other users could see in the process list).
//! - `portal check-config`: load and validate the configuration, print the environment, exit.

/// The allocator: requests allocate many small buffers from several threads at once; mimalloc's
/// thread-local free lists measured faster here than glibc's arenas (benches/portal-home.sh).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use portal_settings::{Environment, Settings, init_telemetry};

#[derive(Parser)]
#[command(name = "portal", about = "Kommunalportal server")]
struct Cli {
    /// Folder with base.toml and the per-environment files.
    #[arg(long, env = "APP_CONFIG_DIR", default_value = "infra/config")]
    config_dir: PathBuf,
    /// local, test or production.
    #[arg(long, env = "APP_ENVIRONMENT", default_value = "local")]
    environment: String,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portals and the console (default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage operator accounts.
    Operator {
        #[command(subcommand)]
        command: OperatorCommand,
    },
    /// Validate the configuration and exit.
    CheckConfig,
}

#[derive(Subcommand)]
enum OperatorCommand {
    /// Create an operator account.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let environment: Environment = match cli.environment.parse() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let settings = match Settings::load(&cli.config_dir, environment) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command.unwrap_or(Command::Serve), settings, environment)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "fatal");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings, environment: Environment) -> anyhow::Result<()> {
    let telemetry = init_telemetry(&settings.telemetry);
    match command {
        Command::Serve => {
            tracing::info!(environment = environment.as_str(), "starting");
            let app = portal_server::Application::build(&settings, &telemetry).await?;
            app.run().await
        }
        Command::Migrate => portal_server::startup::migrate(&settings).await,
        Command::CheckConfig => {
            println!("configuration for `{}` is valid", environment.as_str());
            Ok(())
        }
        Command::Operator { command: OperatorCommand::Create { email, name } } => {
            let password = match std::env::var("PORTAL_OPERATOR_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    eprintln!("password (one line on standard input):");
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line).context("reading the password")?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let db = portal_db::Db::connect_lazy(
                settings.database.app_options()?,
                settings.database.platform_options()?,
                &portal_db::PoolSettings::default(),
            );
            let mut tx = db.platform().await?;
            match portal_operators::create(&mut tx, &email, &name, &password).await {
                Ok(id) => {
                    tx.commit().await?;
                    println!("operator {id} created for {email}");
                    Ok(())
                }
                Err(portal_operators::OperatorError::EmailTaken) => {
                    println!("operator {email} exists already; nothing changed");
                    Ok(())
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}
