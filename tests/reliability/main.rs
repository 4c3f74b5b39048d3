//! Reliability tests of the built `hooky` binary: kill -9 at random moments, storage faults,
//! secrets in logs, and a soak. Each runs in the normal `cargo test` in a short form;
//! `HOOKY_FULL=1` runs the long forms. The heavy tests take a lock so they never share the CPU.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod crash;
mod harness;
mod secrets;
mod soak;
mod storage;
