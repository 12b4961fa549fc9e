//! The slow log (Redis `slowlog.c`): SLOWLOG GET/LEN/RESET/HELP and the
//! entries `call` records for commands slower than
//! `slowlog-log-slower-than` microseconds, at most `slowlog-max-len` kept.

use crate::commands::Handler;
use crate::networking::Client;
use crate::server::Server;

/// The slow log's entries and id counter (Redis `server.slowlog*`).
#[derive(Default)]
pub struct SlowlogState {}

/// SLOWLOG subcommands.
pub static HANDLERS: &[(&str, Handler)] = &[];

/// After a command ran (`call`): adds its latency sample ("command" or
/// "fast-command") and, when slow enough, a slow log entry.
/// `duration_us` is the handler's run time in microseconds.
/// (Redis `call`: `latencyAddSampleIfNeeded` + `slowlogPushCurrentCommand`.)
#[inline]
pub fn record_call(_srv: &mut Server, _c: &Client, _idx: usize, _duration_us: u64) {}
