//! Transactions (Redis `multi.c`): MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//! (Being written: see issue 5.)

use crate::commands::Handler;

/// Transaction command handlers, by name.
pub static HANDLERS: &[(&str, Handler)] = &[];

use crate::server::Server;

/// Invalidates the WATCHes of every client watching `key` in `dbid`
/// (Redis `touchWatchedKey`); called through `db::signal_modified_key`.
pub fn touch_watched_key(_srv: &mut Server, _dbid: usize, _key: &[u8]) {}
