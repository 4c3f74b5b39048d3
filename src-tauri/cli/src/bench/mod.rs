//! `hooky bench`: fixed workloads against a fresh engine, each beside a baseline
//! measured in the same run. Figures are printed, never asserted: this machine is shared.

mod delivery;
mod footprint;
mod harness;
mod ingest;
mod latency;
mod loadgen;
mod receiver;
mod report;
mod scale;

use std::time::Duration;

use anyhow::Result;
use clap::{Args, ValueEnum};

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// A short run that proves every workload still works (used by CI)
    #[arg(long)]
    quick: bool,
    /// Run only these workloads
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<Workload>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Workload {
    Ingest,
    Delivery,
    Latency,
    Scale,
    Footprint,
}

pub struct Mode {
    load_time: Duration,
    idle_time: Duration,
    events: u64,
    scale_events: u64,
    memory_rounds: usize,
}

pub async fn run(args: BenchArgs) -> Result<()> {
    let mode = if args.quick {
        Mode {
            load_time: Duration::from_secs(1),
            idle_time: Duration::from_secs(2),
            events: 1_000,
            scale_events: 20_000,
            memory_rounds: 1,
        }
    } else {
        Mode {
            load_time: Duration::from_secs(10),
            idle_time: Duration::from_secs(10),
            events: 20_000,
            scale_events: 1_000_000,
            memory_rounds: 3,
        }
    };
    let chosen = |w: Workload| args.only.is_empty() || args.only.contains(&w);
    let mut table = report::Report::default();
    println!(
        "hooky bench ({}), {} CPU cores",
        if args.quick { "quick" } else { "full" },
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    if chosen(Workload::Ingest) {
        ingest::run(&mode, &mut table).await?;
    }
    if chosen(Workload::Delivery) {
        delivery::run(&mode, &mut table).await?;
    }
    if chosen(Workload::Latency) {
        latency::run(&mode, &mut table).await?;
    }
    if chosen(Workload::Scale) {
        scale::run(&mode, &mut table).await?;
    }
    if chosen(Workload::Footprint) {
        footprint::run(&mode, &mut table).await?;
    }
    table.print();
    Ok(())
}
