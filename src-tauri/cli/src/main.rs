//! `hooky`: runs the engine headless (`hooky serve`), and talks to a running one.

mod bench;
mod client;
mod commands;
mod output;
mod serve;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

// The engine's threads free what other threads allocated (every write job crosses from the
// async workers to the store writer and back). glibc's malloc then waits on the owning arena's
// lock: thousands of waits a second under load. mimalloc frees across threads without one.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "hooky", version, about = "Send and inspect webhooks locally")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the engine and its web UI in the foreground
    Serve(serve::ServeArgs),
    /// Fire an event, as an app would
    Trigger(commands::trigger::TriggerArgs),
    /// Manage the endpoints events are delivered to
    #[command(subcommand)]
    Endpoints(commands::endpoints::EndpointsCommand),
    /// Inspect the event log
    #[command(subcommand)]
    Events(commands::events::EventsCommand),
    /// Send a fixtures folder to a receiver and check its answers, with optional fault injection
    Run(commands::run::RunArgs),
    /// Check a signed webhook request offline (Standard Webhooks)
    Verify(commands::verify::VerifyArgs),
    /// Measure throughput, latency, scale and footprint on this machine
    Bench(bench::BenchArgs),
    /// Print the OpenAPI document of the HTTP API (no server needed)
    Openapi,
}

/// How client commands reach a running Hooky.
#[derive(Args, Clone, Debug)]
pub struct ClientArgs {
    /// Address of the running Hooky
    #[arg(long, env = "HOOKY_LISTEN", default_value = hooky_engine::config::DEFAULT_LISTEN, global = true)]
    pub listen: SocketAddr,
    /// The management token (default: read from the data dir)
    #[arg(long, env = "HOOKY_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
    /// The data dir whose token to use
    #[arg(long, env = "HOOKY_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Print JSON instead of text
    #[arg(long, global = true)]
    pub json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            // Its own exit codes: 1 when a case failed, 2 for usage and I/O errors.
            Command::Run(args) => return Ok(commands::run::run(args).await),
            Command::Serve(args) => serve::run(args).await,
            Command::Trigger(args) => commands::trigger::run(args).await,
            Command::Endpoints(command) => commands::endpoints::run(command).await,
            Command::Events(command) => commands::events::run(command).await,
            Command::Bench(args) => bench::run(args).await,
            Command::Verify(args) => commands::verify::run(args),
            Command::Openapi => output::json(&hooky_engine::api::openapi()),
        }
        .map(|()| ExitCode::SUCCESS)
    });
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", one_line(&err));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line. Most of our errors already end with their cause, so a
/// cause whose text is already there is not repeated (anyhow's `{:#}` would print it twice).
fn one_line(err: &anyhow::Error) -> String {
    let mut line = err.to_string();
    for cause in err.chain().skip(1) {
        let text = cause.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
    }
    line
}
