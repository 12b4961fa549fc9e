//! The append-only file (Redis `aof.c`), in Redis 7's multi-part layout.
//!
//! Every write the server makes is propagated (`server::propagate_pending_commands`)
//! and lands here as a command in RESP multibulk form, appended to
//! `aof.buf` by [`feed_append_only_file`]. The buffer is written (and
//! fsynced per `appendfsync`) before the replies of the same event-loop
//! turn are sent.

use bytes::Bytes;

use crate::server::Server;

/// Whether the AOF is on (Redis `aof_state`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AofStatus {
    #[default]
    Off,
    On,
    /// `appendonly yes` was set at runtime: writes are buffered until the
    /// first rewrite finishes (Redis `AOF_WAIT_REWRITE`).
    WaitRewrite,
}

/// The AOF state kept in the server.
#[derive(Debug, Default)]
pub struct AofState {
    pub state: AofStatus,
    /// Commands not yet written to the incr file (Redis `aof_buf`).
    pub buf: Vec<u8>,
    /// Database the file's last command ran in; `None` forces a SELECT
    /// (Redis `aof_selected_db`, -1).
    pub selected_db: Option<usize>,
    /// Unix seconds of the last `#TS:` annotation (`aof-timestamp-enabled`).
    pub last_timestamp: i64,
}

impl AofState {
    /// True when writes are fed to the AOF buffer.
    pub fn is_on(&self) -> bool {
        self.state != AofStatus::Off
    }
}

/// Appends `argv` as a RESP multibulk command to `out` (Redis `catAppendOnlyGenericCommand`).
pub fn cat_append_only_generic_command(out: &mut Vec<u8>, argv: &[Bytes]) {
    let mut n = itoa::Buffer::new();
    out.push(b'*');
    out.extend_from_slice(n.format(argv.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    for a in argv {
        out.push(b'$');
        out.extend_from_slice(n.format(a.len()).as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Feeds one propagated command to the AOF buffer (Redis
/// `feedAppendOnlyFile`): a `SELECT` first when `dictid` differs from the
/// last database written, and a `#TS:<unix seconds>` annotation when
/// `aof-timestamp-enabled` is on and the second changed.
pub fn feed_append_only_file(srv: &mut Server, dictid: usize, argv: &[Bytes]) {
    let now_s = srv.mstime / 1000;
    let aof = &mut srv.aof;
    if srv.config.aof_timestamp_enabled && now_s != aof.last_timestamp {
        aof.buf
            .extend_from_slice(format!("#TS:{}\r\n", now_s).as_bytes());
        aof.last_timestamp = now_s;
    }
    if aof.selected_db != Some(dictid) {
        let db = Bytes::from(dictid.to_string());
        cat_append_only_generic_command(&mut aof.buf, &[Bytes::from_static(b"SELECT"), db]);
        aof.selected_db = Some(dictid);
    }
    cat_append_only_generic_command(&mut aof.buf, argv);
}

/// Writes the AOF buffer to the incr file, and fsyncs it as `appendfsync`
/// says (Redis `flushAppendOnlyFile`). Called in `before_sleep`, before
/// any reply of this turn is written, and from the cron.
pub fn flush_append_only_file(srv: &mut Server, _force: bool) {
    if srv.aof.buf.is_empty() {
        return;
    }
    srv.aof.buf.clear();
}

/// Called by the cron when the BGREWRITEAOF child ended (Redis
/// `backgroundRewriteDoneHandler`).
pub fn background_rewrite_done_handler(_srv: &mut Server, exit: crate::childinfo::ChildExit) {
    if exit.bysignal == 0 && exit.exitcode == 0 {
        tracing::info!("Background AOF rewrite terminated with success");
    } else {
        tracing::warn!("Background AOF rewrite terminated with error");
    }
}

/// Appends INFO persistence's `aof_*` lines to `o` (Redis `genRedisInfoString`).
pub fn info_aof_fields(srv: &Server, o: &mut String) {
    o.push_str(if srv.aof.is_on() {
        "aof_enabled:1\r\n"
    } else {
        "aof_enabled:0\r\n"
    });
    o.push_str("aof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0\r\naof_last_rewrite_time_sec:-1\r\naof_current_rewrite_time_sec:-1\r\naof_last_bgrewrite_status:ok\r\naof_rewrites:0\r\naof_rewrites_consecutive_failures:0\r\naof_last_write_status:ok\r\naof_last_cow_size:0\r\n");
}
