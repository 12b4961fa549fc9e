//! The slow log (Redis `slowlog.c`): SLOWLOG GET/LEN/RESET/HELP and the
//! entries `call` records for commands slower than
//! `slowlog-log-slower-than` microseconds, at most `slowlog-max-len` kept.

use crate::commands::Handler;

/// The slow log's entries and id counter (Redis `server.slowlog*`).
#[derive(Default)]
pub struct SlowlogState {}

/// SLOWLOG subcommands.
pub static HANDLERS: &[(&str, Handler)] = &[];
