//! The latency monitor (Redis `latency.c`): per-event samples above
//! `latency-monitor-threshold` milliseconds and the LATENCY command.

use crate::commands::Handler;
use crate::server::Server;

/// Samples per latency event (Redis `server.latency_events`).
#[derive(Default)]
pub struct LatencyState {}

/// LATENCY subcommands.
pub static HANDLERS: &[(&str, Handler)] = &[];

/// Adds a sample of `duration_ms` milliseconds to `event` when it is at or
/// above `latency-monitor-threshold` (and the threshold is not 0)
/// (Redis `latencyAddSampleIfNeeded`).
#[inline]
pub fn latency_add_sample_if_needed(_srv: &mut Server, _event: &'static str, _duration_ms: u64) {}
