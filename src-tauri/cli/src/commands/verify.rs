//! `hooky verify`: checks a signed request offline, as a Standard Webhooks receiver would.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use clap::Args;
use hooky_engine::api::signing::{verify_request, VerifyIn};

use crate::output;

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The whsec_… secret
    #[arg(long, env = "HOOKY_SECRET", hide_env_values = true)]
    secret: String,
    /// The raw body, or @path to read it (byte for byte) from a file
    #[arg(long)]
    body: String,
    /// A request header, "name: value"; repeat for webhook-id, webhook-timestamp and webhook-signature
    #[arg(long = "header", short = 'H')]
    headers: Vec<String>,
    /// Allowed clock difference in seconds
    #[arg(long, default_value_t = 300)]
    tolerance: u32,
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
}

pub fn run(args: VerifyArgs) -> Result<()> {
    let body = match args.body.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?,
        None => args.body,
    };
    let mut headers = BTreeMap::new();
    for header in &args.headers {
        let (name, value) =
            header.split_once(':').with_context(|| format!("--header {header:?} is not \"name: value\""))?;
        headers.insert(name.trim().to_owned(), value.trim().to_owned());
    }
    let input = VerifyIn { secret: args.secret, headers, body, tolerance_s: Some(args.tolerance) };
    let verdict = verify_request(&input, chrono_now());
    if args.json {
        output::json(&verdict)?;
    } else if verdict.valid {
        println!("valid: {}", verdict.message);
    }
    if !verdict.valid {
        bail!("invalid ({}): {}", verdict.reason, verdict.message);
    }
    Ok(())
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
