//! The latency monitor (Redis `latency.c`): per-event samples above
//! `latency-monitor-threshold` milliseconds and the LATENCY command.

use crate::commands::Handler;

/// Samples per latency event (Redis `server.latency_events`).
#[derive(Default)]
pub struct LatencyState {}

/// LATENCY subcommands.
pub static HANDLERS: &[(&str, Handler)] = &[];
