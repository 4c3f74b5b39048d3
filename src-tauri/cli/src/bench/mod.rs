//! `hooky bench`: fixed workloads against a fresh engine, each beside a baseline
//! measured in the same run. Figures are printed, never asserted: this machine is shared.

mod delivery;
mod footprint;
mod harness;
mod ingest;
mod latency;
mod loadgen;
mod memory;
mod receiver;
mod report;
mod scale;
mod served;

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
    /// Rounds of the memory workload [default: 10, or 3 with --quick]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    memory_rounds: Option<u16>,
    /// Events per delivery run [default: 100000, or 1000 with --quick]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(100..))]
    events: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Workload {
    Ingest,
    Delivery,
    Latency,
    Scale,
    Footprint,
    Memory,
}

pub struct Mode {
    load_time: Duration,
    idle_time: Duration,
    events: u64,
    scale_events: u64,
    footprint_rounds: usize,
    /// Engine runs per delivery figure, each after a round of its baseline.
    delivery_rounds: usize,
    memory_rounds: usize,
    memory_events: u64,
}

pub async fn run(args: BenchArgs) -> Result<()> {
    let mode = if args.quick {
        Mode {
            load_time: Duration::from_secs(1),
            idle_time: Duration::from_secs(2),
            events: args.events.unwrap_or(1_000),
            scale_events: args.events.unwrap_or(100_000),
            footprint_rounds: 1,
            delivery_rounds: 1,
            memory_rounds: args.memory_rounds.map_or(3, usize::from),
            memory_events: 500,
        }
    } else {
        Mode {
            load_time: Duration::from_secs(10),
            idle_time: Duration::from_secs(10),
            events: args.events.unwrap_or(100_000),
            scale_events: 1_000_000,
            footprint_rounds: 3,
            delivery_rounds: 3,
            memory_rounds: args.memory_rounds.map_or(10, usize::from),
            memory_events: 5_000,
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
    if chosen(Workload::Memory) {
        memory::run(&mode, &mut table).await?;
    }
    table.print();
    Ok(())
}
