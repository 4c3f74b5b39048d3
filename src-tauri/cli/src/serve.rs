//! `hooky serve`: the engine headless, until SIGINT or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use hooky_engine::config::{default_data_dir, DEFAULT_LISTEN, DEFAULT_MAX_BODY_BYTES};
use hooky_engine::{Engine, EngineConfig};

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Loopback address to listen on (port 0 picks a free one)
    #[arg(long, env = "HOOKY_LISTEN", default_value = DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Where the database and the token live [default: ~/.local/share/hooky]
    #[arg(long, env = "HOOKY_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Use this management token instead of the one stored in the data dir
    #[arg(long, env = "HOOKY_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Require the token on the trigger route too
    #[arg(long, env = "HOOKY_REQUIRE_TRIGGER_TOKEN")]
    require_trigger_token: bool,
    /// Largest request body accepted, in bytes
    #[arg(long, env = "HOOKY_MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,
    /// Serve the web UI from this folder [default: ui/dist of the checkout]
    #[arg(long, env = "HOOKY_UI_DIR")]
    ui_dir: Option<PathBuf>,
    /// Another web origin allowed to call the API (e.g. the UI dev server); repeatable
    #[arg(long = "allow-origin")]
    allow_origins: Vec<String>,
    /// Run retry schedules FACTOR times faster, from 1 (off) to 1000000; it stays set until changed
    ///
    /// At 3600 an hour passes in a second: the default schedule's 8 attempts over 27.5 hours take
    /// about 28 s, and a "failing for 5 days" auto-disable fires after 2 minutes. Retry delays and
    /// auto-disable windows are divided by the factor; request timeouts are not (a receiver still
    /// needs real time to answer). The setting is stored in the data dir and can be changed while
    /// running with `PUT /api/v1/time_warp`; without this flag the stored setting is kept.
    #[arg(long, env = "HOOKY_TIME_WARP", value_name = "FACTOR", value_parser = parse_time_warp)]
    time_warp: Option<f64>,
}

/// A time warp factor from the command line: a number from 1 to 1000000.
fn parse_time_warp(text: &str) -> std::result::Result<f64, String> {
    let factor: f64 = text.trim().parse().map_err(|_| format!("{text:?} is not a number"))?;
    hooky_engine::model::time_warp::validate_factor(Some(factor))
        .map_err(|_| "must be a number from 1 (off) to 1000000".to_owned())
}

pub async fn run(args: ServeArgs) -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HOOKY_LOG")
                .unwrap_or_else(|_| "info,hyper=warn,reqwest=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let data_dir = match args.data_dir {
        Some(dir) => dir,
        None => default_data_dir().context("cannot find a home directory; pass --data-dir")?,
    };
    let mut config = EngineConfig::new(args.listen, data_dir);
    config.token = args.token;
    config.require_trigger_token = args.require_trigger_token;
    config.max_body_bytes = args.max_body_bytes;
    config.extra_origins = args.allow_origins;
    config.time_warp = args.time_warp;
    if args.ui_dir.is_some() {
        config.ui_dir = args.ui_dir;
    }
    let signals = Signals::listen()?;
    let engine = Engine::start(config).await?;
    let base = engine.base_url();
    let banner = format!(
        "Hooky {version} is listening on {base}\n\
         \x20 Open the UI:  {base}/#token={token}\n\
         \x20 Trigger:      curl -X POST {base}/api/v1/webhook_events/trigger \\\n\
         \x20                 -H 'content-type: application/json' -d '{{\"event_name\":\"order.created\",\"payload\":{{\"id\":1}}}}'\n\
         \x20 API token:    {token}\n\
         \x20 Data dir:     {data_dir}\n\
         \x20 API docs:     {base}/api/openapi.json",
        version = env!("CARGO_PKG_VERSION"),
        token = engine.token(),
        data_dir = engine.data_dir().display(),
    );
    say(&banner);
    let time_warp = engine.time_warp();
    if time_warp.enabled {
        say(&format!(
            "  Time warp:    x{} (retry schedules and auto-disable run that much faster; PUT /api/v1/time_warp with null to stop)",
            time_warp.factor
        ));
    }
    signals.wait().await?;
    say("Shutting down…");
    engine.shutdown().await;
    Ok(())
}

/// Prints a line; a closed stdout (e.g. piped into `head`) must not stop the server.
fn say(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}").and_then(|()| stdout.flush());
}

/// SIGINT and SIGTERM, listened for from the start: a signal that arrives as soon as the
/// banner is out (a supervisor or a test stopping the server) must stop it gracefully, not
/// kill it with the default action because no handler was installed yet.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn listen() -> Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?,
                terminate: signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    #[cfg_attr(not(unix), allow(unused_mut))]
    async fn wait(mut self) -> Result<()> {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        #[cfg(not(unix))]
        tokio::signal::ctrl_c().await.context("cannot listen for Ctrl-C")?;
        Ok(())
    }
}
