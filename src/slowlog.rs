//! The slow log (Redis `slowlog.c`): SLOWLOG GET/LEN/RESET/HELP and the
//! entries `call` records for commands slower than
//! `slowlog-log-slower-than` microseconds, at most `slowlog-max-len` kept.
//!
//! # How it works
//! After every command `server::call` hands its duration to
//! [`record_call`]. On the fast path (the usual case: the command was fast)
//! that costs two comparisons: the latency monitor's threshold and the slow
//! log's. A command at least `slowlog-log-slower-than` µs long (-1 turns
//! the log off, 0 logs everything) becomes an entry at the head of the
//! log, and the oldest entries are dropped past `slowlog-max-len`. Entry
//! ids grow from 0 for the life of the process; SLOWLOG RESET does not
//! restart them.
//!
//! An entry keeps a trimmed copy of the argv — at most
//! [`SLOWLOG_ENTRY_MAX_ARGC`] arguments, the last replaced by
//! `... (N more arguments)`, and each at most [`SLOWLOG_ENTRY_MAX_STRING`]
//! bytes followed by `... (N more bytes)` — with secrets replaced by
//! `(redacted)` by the handlers that read them (AUTH, HELLO's AUTH,
//! MIGRATE's AUTH/AUTH2, CONFIG SET of a sensitive directive, through
//! `Client::redact_client_command_argument`, as MONITOR shows). The argv logged
//! is the one the client sent, not the form it is propagated in.
//!
//! # What is not logged
//! - EXEC (`skip_slowlog`): the commands it ran are logged one by one.
//! - A command that blocked is logged when it is served (CLIENT UNBLOCK
//!   included), with the duration of its first run plus the run that
//!   served it ([`update_stats_on_unblock`]); a client that times out is
//!   not logged, as in Redis 7.0.
//! - Nothing while loading the AOF. A script's own commands are logged
//!   (their client is `?:0` with no name), and so is the script's EVAL.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::commands::Handler;
use crate::networking::{CLIENT_BLOCKED, CLIENT_SCRIPT, Client};
use crate::server::Server;

/// Arguments kept per entry, the last one counting the others (Redis
/// `SLOWLOG_ENTRY_MAX_ARGC`).
pub const SLOWLOG_ENTRY_MAX_ARGC: usize = 32;
/// Bytes kept per argument (Redis `SLOWLOG_ENTRY_MAX_STRING`).
pub const SLOWLOG_ENTRY_MAX_STRING: usize = 128;
/// What a secret argument is replaced with (Redis `shared.redacted`).
pub const REDACTED: &[u8] = b"(redacted)";

/// One logged command (Redis `slowlogEntry`).
pub struct SlowlogEntry {
    /// Unique, increasing id.
    pub id: u64,
    /// Unix time in seconds when it was logged.
    pub time: i64,
    /// Execution time, µs.
    pub duration: u64,
    /// The trimmed, redacted argv.
    pub argv: Vec<Bytes>,
    /// `ip:port` of the client (`?:0` for a script's or a fake client).
    pub peerid: String,
    /// The client's name, empty without one.
    pub cname: Bytes,
}

/// The slow log's entries and id counter (Redis `server.slowlog*`).
#[derive(Default)]
pub struct SlowlogState {
    /// Newest first.
    pub entries: VecDeque<SlowlogEntry>,
    /// The id of the next entry.
    pub entry_id: u64,
}

/// SLOWLOG subcommands.
pub static HANDLERS: &[(&str, Handler)] = &[
    ("slowlog|get", slowlog_get_command),
    ("slowlog|len", slowlog_len_command),
    ("slowlog|reset", slowlog_reset_command),
    ("slowlog|help", slowlog_help_command),
];

/// After a command ran (`call`): adds its latency sample ("command" or
/// "fast-command") and, when slow enough, a slow log entry.
/// `duration_us` is the handler's run time in microseconds.
/// (Redis `call`: `latencyAddSampleIfNeeded` + `slowlogPushCurrentCommand`.)
///
/// A command that left its client blocked is logged when it is served
/// instead ([`update_stats_on_unblock`]); its first run's duration is kept
/// with its blocked state until then (`blocked::set_blocked_call_duration`).
#[inline]
pub fn record_call(srv: &mut Server, c: &Client, idx: usize, duration_us: u64) {
    // Commands a script runs while the AOF loads are not timed.
    if srv.loading && c.flags & CLIENT_SCRIPT != 0 {
        return;
    }
    let flags = srv.commands.cmds[idx].flags;
    if srv.config.latency_monitor_threshold != 0 {
        let event = if flags & crate::commands::CMD_FAST != 0 {
            "fast-command"
        } else {
            "command"
        };
        crate::latency::latency_add_sample_if_needed(srv, event, duration_us / 1000);
    }
    // A blocked command is logged when it is served; `call` keeps its
    // duration with its blocked state meanwhile.
    if c.flags & CLIENT_BLOCKED != 0 {
        return;
    }
    slowlog_push_current_command(srv, c, idx, duration_us);
}

/// Logs the client's current command if it is slow enough and may be
/// logged (Redis `slowlogPushCurrentCommand` + `slowlogPushEntryIfNeeded`),
/// then trims the log to `slowlog-max-len`.
#[inline]
pub fn slowlog_push_current_command(srv: &mut Server, c: &Client, idx: usize, duration_us: u64) {
    if srv.commands.cmds[idx].flags & crate::commands::CMD_SKIP_SLOWLOG != 0 {
        return;
    }
    let slower = srv.config.slowlog_log_slower_than;
    if slower < 0 {
        return;
    }
    if duration_us >= slower as u64 {
        // Passwords were replaced by the handlers that read them
        // (`Client::redact_client_command_argument`).
        let argv: &[Bytes] = c.original_argv.as_deref().unwrap_or(&c.argv);
        let entry = SlowlogEntry {
            id: srv.slowlog.entry_id,
            time: crate::util::mstime() / 1000,
            duration: duration_us,
            argv: trim_argv(argv),
            peerid: client_peer_id(c),
            cname: c.name.clone().unwrap_or_default(),
        };
        srv.slowlog.entry_id += 1;
        srv.slowlog.entries.push_front(entry);
    }
    let max = srv.config.slowlog_max_len as usize;
    if srv.slowlog.entries.len() > max {
        srv.slowlog.entries.truncate(max);
    }
}

/// A blocked command was served (or unblocked by CLIENT UNBLOCK): logs it
/// with its first run's duration plus `reply_us`, the run that served it,
/// and adds the "command-unblocking" latency sample (Redis
/// `updateStatsOnUnblock`'s slow log and latency parts).
pub fn update_stats_on_unblock(
    srv: &mut Server,
    c: &Client,
    idx: usize,
    first_us: u64,
    reply_us: u64,
) {
    slowlog_push_current_command(srv, c, idx, first_us + reply_us);
    crate::latency::latency_add_sample_if_needed(srv, "command-unblocking", reply_us / 1000);
}

/// `ip:port` of a client as the slow log shows it (Redis `getClientPeerId`);
/// `?:0` for a client without a connection.
fn client_peer_id(c: &Client) -> String {
    if c.addr.is_empty() {
        "?:0".to_string()
    } else {
        c.addr.clone()
    }
}

/// The argv with at most [`SLOWLOG_ENTRY_MAX_ARGC`] arguments and each
/// argument cut at [`SLOWLOG_ENTRY_MAX_STRING`] bytes (Redis
/// `slowlogCreateEntry`).
pub fn trim_argv(argv: &[Bytes]) -> Vec<Bytes> {
    let argc = argv.len();
    let slargc = argc.min(SLOWLOG_ENTRY_MAX_ARGC);
    let mut out = Vec::with_capacity(slargc);
    for (j, a) in argv.iter().take(slargc).enumerate() {
        if slargc != argc && j == slargc - 1 {
            out.push(Bytes::from(format!(
                "... ({} more arguments)",
                argc - slargc + 1
            )));
        } else if a.len() > SLOWLOG_ENTRY_MAX_STRING {
            let mut s = a[..SLOWLOG_ENTRY_MAX_STRING].to_vec();
            s.extend_from_slice(
                format!("... ({} more bytes)", a.len() - SLOWLOG_ENTRY_MAX_STRING).as_bytes(),
            );
            out.push(Bytes::from(s));
        } else {
            out.push(a.clone());
        }
    }
    out
}

// ---- SLOWLOG ----

/// SLOWLOG GET [count] → the newest `count` entries (10 by default, -1 for
/// all), each `[id, unix time, µs, [args...], "ip:port", name]`.
/// Error: `ERR count should be greater than or equal to -1` (also for a
/// non-integer); more arguments: the subcommand syntax error.
pub fn slowlog_get_command(srv: &mut Server, c: &mut Client) {
    if c.argv.len() > 3 {
        c.add_reply_subcommand_arity_error();
        return;
    }
    let mut count: usize = 10;
    if c.argv.len() == 3 {
        match crate::util::string2ll(&c.argv[2]) {
            Some(-1) => count = srv.slowlog.entries.len(),
            Some(n) if n >= 0 => count = n as usize,
            _ => {
                c.add_reply_error("ERR count should be greater than or equal to -1");
                return;
            }
        }
    }
    let n = count.min(srv.slowlog.entries.len());
    c.add_reply_array_len(n);
    for e in srv.slowlog.entries.iter().take(n) {
        c.add_reply_array_len(6);
        c.add_reply_long_long(e.id as i64);
        c.add_reply_long_long(e.time);
        c.add_reply_long_long(e.duration as i64);
        c.add_reply_array_len(e.argv.len());
        for a in &e.argv {
            c.add_reply_bulk(a);
        }
        c.add_reply_bulk(e.peerid.as_bytes());
        c.add_reply_bulk(&e.cname);
    }
}

/// SLOWLOG LEN → integer: entries in the log.
pub fn slowlog_len_command(srv: &mut Server, c: &mut Client) {
    c.add_reply_long_long(srv.slowlog.entries.len() as i64);
}

/// SLOWLOG RESET → OK: empties the log (ids keep growing).
pub fn slowlog_reset_command(srv: &mut Server, c: &mut Client) {
    srv.slowlog.entries.clear();
    c.add_reply_ok();
}

/// SLOWLOG HELP → help lines.
pub fn slowlog_help_command(_srv: &mut Server, c: &mut Client) {
    c.add_reply_help(
        "slowlog",
        &[
            "GET [<count>]",
            "    Return the <count> newest entries of the slow log (10 by default, -1 for all).",
            "    Each entry holds:",
            "    its id, the unix time it was logged, its duration in microseconds, the",
            "    command's arguments, the client's address and port, and the client's name.",
            "LEN",
            "    Return the number of entries in the slow log.",
            "RESET",
            "    Empty the slow log.",
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(v: &[&str]) -> Vec<Bytes> {
        v.iter().map(|s| Bytes::from(s.to_string())).collect()
    }

    #[test]
    fn trims_arguments_as_redis() {
        let mut argv = b(&["sadd", "set"]);
        for i in 3..=33 {
            argv.push(Bytes::from(i.to_string()));
        }
        let t = trim_argv(&argv);
        assert_eq!(t.len(), 32);
        assert_eq!(&t[30][..], b"31");
        assert_eq!(&t[31][..], b"... (2 more arguments)");
        let long = Bytes::from(vec![b'A'; 129]);
        let t = trim_argv(&[Bytes::from_static(b"set"), long]);
        let mut want = vec![b'A'; 128];
        want.extend_from_slice(b"... (1 more bytes)");
        assert_eq!(&t[1][..], &want[..]);
        assert_eq!(trim_argv(&b(&["ping"])), b(&["ping"]));
    }
}
