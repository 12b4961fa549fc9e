//! Full resynchronization, the master's side (Redis `replication.c`:
//! `startBgsaveForReplication`, `replicationSetupSlaveForFullResync`,
//! `updateSlavesWaitingBgsave`, `sendBulkToSlave`, `rdbPipeReadHandler`;
//! `rdb.c`: `rdbSaveToSlavesSockets`).
//!
//! # How a replica gets its RDB
//! The PSYNC/SYNC handler (`master.rs`) decides a partial resync is not
//! possible, registers the client as a replica in state
//! [`SlaveState::WaitBgsaveStart`] and calls [`full_resync_requested`].
//! From there:
//!
//! 1. **Finding a save.** A BGSAVE to disk that already runs for another
//!    replica (one in `WaitBgsaveEnd`, with capabilities this one has and
//!    the same RDB filter) is shared: the new replica copies that replica's
//!    position in the replication stream and its `+FULLRESYNC` offset. A
//!    diskless save in progress cannot be joined (its RDB goes to a fixed
//!    set of sockets), nor can a save started by the user. Otherwise a
//!    save starts now, or (diskless with `repl-diskless-sync-delay`) from
//!    the cron once the oldest waiting replica has waited that many
//!    seconds or `repl-diskless-sync-max-replicas` replicas wait
//!    ([`should_start_child_replication`]); also at once when another
//!    child (an AOF rewrite, a user BGSAVE) ends.
//! 2. **Starting it** ([`start_bgsave_for_replication`]). The target is
//!    the replicas' sockets when `repl-diskless-sync` is on (or the replica
//!    asked for a filtered RDB) and every waiting replica announced
//!    `capa eof`; else the `dbfilename` on disk. At the fork each waiting
//!    replica is answered `+FULLRESYNC <replid> <offset>` (written straight
//!    to its socket: its output buffer belongs to the replication stream,
//!    which it accumulates from then on) and moves to `WaitBgsaveEnd`. The
//!    RDB carries the `repl-stream-db`, `repl-id` and `repl-offset` aux
//!    fields (`rdb::rdb_populate_save_info`).
//! 3. **Disk target.** When the child is reaped
//!    (`rdb::background_save_done_handler` → [`update_slaves_waiting_bgsave`])
//!    each waiting replica opens the file, moves to `SendBulk` and, each
//!    time its socket is writable, gets `$<size>\r\n` and then the file in
//!    chunks read at its own offset ([`handle_write_event`]); the file is
//!    never loaded into memory. After the last byte it is put online and
//!    its accumulated stream flows.
//! 4. **Socket target** ([`rdb_save_to_slaves_sockets`]). The child
//!    writes `$EOF:<40 random hex chars>\r\n`, the RDB, and the same 40
//!    chars into a pipe; the parent reads the pipe
//!    ([`crate::replication::REPL_TOKEN_RDB_PIPE`]) into one buffer and
//!    writes it to every target socket. A replica that cannot take the
//!    whole buffer gets a write handler, and the pipe is not read again
//!    until every such replica caught up, so the slowest replica sets the
//!    pace and the parent never buffers more than one chunk. At EOF the
//!    parent closes a second pipe the child waits on before exiting (the
//!    child must outlive the transfer: a TLS connection's state lives in
//!    the parent). Once the child is reaped each replica is marked online
//!    but receives the stream only after its first `REPLCONF ACK`, so the
//!    end mark is the last thing on the wire before the replica loaded the
//!    RDB (see Redis's `repl_start_cmd_stream_on_ack`).
//!
//! Replicas that disconnect mid-transfer are dropped from the target set;
//! when none is left the child is killed ("last replica dropped"). A
//! diskless replica that took no bytes for `repl-timeout` seconds is
//! closed by the cron. A disk save that no replica waits for any more is
//! killed when no save points are configured. A failed save closes its
//! replicas ("SYNC failed. BGSAVE child returned an error").
//! `rdb-del-sync-files` removes a file written only for replication when
//! the server has no persistence configured.
//!
//! # Accounting
//! A replication save is a normal RDB child (`srv.child.kind == Rdb`,
//! INFO `rdb_bgsave_in_progress:1`), so a user BGSAVE meanwhile gets
//! "Background save already in progress". A disk save counts in
//! `rdb_saves` and sets `rdb_last_bgsave_status` like any BGSAVE; a
//! socket save changes neither, as in Redis.

use std::fs::File;
use std::io::{self, IoSlice, Read, Write};
use std::os::unix::fs::FileExt;

use mio::{Interest, Token};

use super::master::{
    copy_replica_output_buffer, replica_put_online, replica_start_command_stream,
    replication_get_slave_name,
};
use super::{
    CLIENT_PRE_PSYNC, CLIENT_REPL_RDBONLY, CLIENT_SLAVE, REPL_TOKEN_RDB_PIPE, SLAVE_CAPA_EOF,
    SlaveState,
};
use crate::ae::FiredEvent;
use crate::networking::{Client, Conn};
use crate::server::Server;

/// `slave_req` bit: the RDB leaves the keys out (Redis `SLAVE_REQ_RDB_EXCLUDE_DATA`).
pub const SLAVE_REQ_RDB_EXCLUDE_DATA: u32 = 1 << 0;
/// `slave_req` bit: the RDB leaves the functions out (Redis
/// `SLAVE_REQ_RDB_EXCLUDE_FUNCTIONS`).
pub const SLAVE_REQ_RDB_EXCLUDE_FUNCTIONS: u32 = 1 << 1;
/// The bits asking for a filtered RDB (Redis `SLAVE_REQ_RDB_MASK`); such
/// an RDB always goes over the socket, never to the `dbfilename`.
pub const SLAVE_REQ_RDB_MASK: u32 = SLAVE_REQ_RDB_EXCLUDE_DATA | SLAVE_REQ_RDB_EXCLUDE_FUNCTIONS;

/// Length of the random end mark of a diskless transfer (Redis `RDB_EOF_MARK_SIZE`).
pub const RDB_EOF_MARK_SIZE: usize = 40;

/// Bytes read from the RDB pipe at a time (the chunk every target replica
/// must take before the next read).
const RDB_PIPE_BUF_LEN: usize = 64 * 1024;

/// Bytes of the RDB file read and sent to a replica per step.
const BULK_CHUNK_LEN: usize = 64 * 1024;

/// Bytes of the RDB file sent to one replica per writable event, so one
/// fast replica cannot hold the event loop.
const BULK_WRITE_BUDGET: usize = 1024 * 1024;

/// What the running RDB child writes to (Redis `RDB_CHILD_TYPE_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RdbChildType {
    /// No RDB child.
    #[default]
    None,
    /// A save to `dbfilename` (BGSAVE, save points, or a disk sync).
    Disk,
    /// A diskless sync: the RDB goes through a pipe to replica sockets.
    Socket,
}

/// Full-sync state of the master side (`srv.repl.fullsync`).
#[derive(Default)]
pub struct FullSyncState {
    /// Target of the running RDB child (Redis `rdb_child_type`).
    pub rdb_child_type: RdbChildType,
    /// The diskless transfer in progress, from fork until the child is reaped.
    pipe: Option<RdbPipe>,
    /// The `dbfilename` was last written for a disk sync (Redis
    /// `RDBGeneratedByReplication`), for `rdb-del-sync-files`.
    rdb_generated_by_replication: bool,
    /// Bytes of RDB written to replicas (INFO `total_net_repl_output_bytes`
    /// adds the stream's, `master::stat_net_repl_output_bytes`).
    pub stat_net_repl_output_bytes: u64,
    /// Read buffer of the disk transfer, kept between chunks.
    bulk_buf: Vec<u8>,
}

/// A diskless transfer: the pipe from the child, its target replicas and
/// the chunk being written to them (Redis `rdb_pipe_*`).
struct RdbPipe {
    /// Read end of the RDB pipe (non-blocking), registered under
    /// [`REPL_TOKEN_RDB_PIPE`] until EOF.
    read: mio::unix::pipe::Receiver,
    /// Still registered with the poller.
    registered: bool,
    /// The pipe is read (Redis: the read handler is installed); false
    /// while a replica is still taking the current chunk.
    reading: bool,
    /// Read the pipe again from `before_sleep` (the last slow replica
    /// caught up; with an edge-triggered poller no new event would come).
    resume: bool,
    /// Write end of the pipe the child waits on before it exits; dropped
    /// once the whole RDB was read (Redis `rdb_child_exit_pipe`).
    exit_pipe: Option<io::PipeWriter>,
    /// The target replicas as (slot, client id); `None` once gone.
    conns: Vec<Option<(usize, u64)>>,
    /// The chunk read last, `bufflen` bytes of it valid.
    buf: Vec<u8>,
    bufflen: usize,
    /// Replicas still taking the current chunk.
    numconns_writing: usize,
}

// ---- Helpers ----

/// The replica's sync state (`WaitBgsaveStart` for a client without
/// replication fields).
fn replstate(c: &Client) -> SlaveState {
    c.repl
        .as_ref()
        .map_or(SlaveState::WaitBgsaveStart, |r| r.replstate)
}

/// `slave_req` of a replica.
fn slave_req(c: &Client) -> u32 {
    c.repl.as_ref().map_or(0, |r| r.slave_req)
}

/// `slave_capa` of a replica.
fn slave_capa(c: &Client) -> u32 {
    c.repl.as_ref().map_or(0, |r| r.slave_capa)
}

/// Unix time, seconds.
fn unixtime() -> i64 {
    crate::util::mstime() / 1000
}

/// Runs `f` on every attached replica, in attach order. `cur` is the
/// client out of the table (the one running a command), if it is one of them.
fn for_each_replica(
    srv: &mut Server,
    mut cur: Option<&mut Client>,
    mut f: impl FnMut(&mut Server, &mut Client),
) {
    let slots = srv.repl.replicas.clone();
    for slot in slots {
        with_client_in_slot(srv, cur.as_deref_mut(), slot, &mut f);
    }
}

/// Runs `f` on the client in `slot`: `cur` if that is it (the client out
/// of the table running a command), else the table's, taken out for the
/// call. Nothing when the slot is empty.
fn with_client_in_slot(
    srv: &mut Server,
    cur: Option<&mut Client>,
    slot: usize,
    f: &mut impl FnMut(&mut Server, &mut Client),
) {
    match cur {
        Some(c) if c.slot == slot => f(srv, c),
        _ => {
            if let Some(mut c) = srv.take_client(slot) {
                f(srv, &mut c);
                srv.put_client(c);
            }
        }
    }
}

/// Writes `buf` to a socket until done or it would block. Returns the
/// bytes taken and whether the socket pushed back (for TLS, also when
/// encrypted records are still queued); Err when the connection broke.
fn write_some(conn: &mut Conn, buf: &[u8]) -> io::Result<(usize, bool)> {
    let mut n = 0;
    while n < buf.len() {
        match conn.write_vectored(&[IoSlice::new(&buf[n..])]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok((n, true)),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    if conn.wants_write() {
        match conn.write_vectored(&[]) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
        if conn.wants_write() {
            return Ok((n, true));
        }
    }
    Ok((n, false))
}

/// Registers (or drops) interest in the replica's socket being writable
/// for the RDB transfer. False when the poller refused.
fn set_write_interest(srv: &mut Server, c: &mut Client, on: bool) -> bool {
    let interest = if on {
        Interest::READABLE | Interest::WRITABLE
    } else {
        Interest::READABLE
    };
    let token = srv.client_token(c.slot);
    let Some(conn) = c.conn.as_mut() else {
        return false;
    };
    if conn
        .register(srv.el.registry(), token, interest, false)
        .is_err()
    {
        return false;
    }
    c.write_registered = on;
    true
}

/// The error text of an I/O error, as Redis logs `strerror`.
fn err_text(e: &io::Error) -> String {
    crate::log::os_error_text(e)
}

// ---- Starting a full resync ----

/// Serves a replica that needs a full resynchronization (the end of Redis
/// `syncCommand`). Called by the SYNC/PSYNC handler with `c` (the client
/// running the command) already flagged `CLIENT_SLAVE`, in state
/// [`SlaveState::WaitBgsaveStart`] and appended to `srv.repl.replicas`.
///
/// (The SYNC handler has created the backlog if this is the first
/// replica.) Then:
/// - a BGSAVE to disk runs and another replica waits for it with
///   capabilities this one has and the same RDB filter: `c` shares it, gets
///   `+FULLRESYNC` with that replica's offset ("Waiting for end of BGSAVE
///   for SYNC"); otherwise "Can't attach the replica to the current
///   BGSAVE. Waiting for next BGSAVE for SYNC";
/// - a diskless save runs: "Current BGSAVE has socket target. Waiting for
///   next BGSAVE for SYNC";
/// - none runs: diskless sync with a delay and an EOF-capable replica
///   waits for the cron ("Delay next BGSAVE for diskless SYNC"); otherwise
///   a save starts now, unless another child runs ("No BGSAVE in
///   progress, but another BG operation is active. BGSAVE for replication
///   delayed").
///
/// `+FULLRESYNC <replid> <offset>\r\n` is written straight to the socket
/// when the replica's save starts (not for a SYNC client). When the save
/// cannot start, the waiting replicas get "-BGSAVE failed, replication
/// can't continue" and are closed.
pub fn full_resync_requested(srv: &mut Server, c: &mut Client) {
    let rdb_child = srv.child.kind == crate::childinfo::ChildType::Rdb;
    match srv.repl.fullsync.rdb_child_type {
        RdbChildType::Disk if rdb_child => {
            // Another replica waiting for this very save, whose stream
            // position this one can share.
            let want_rdbonly = c.flags & CLIENT_REPL_RDBONLY != 0;
            let (capa, req) = (slave_capa(c), slave_req(c));
            let mut found: Option<(usize, u32, u32, i64)> = None;
            for &slot in &srv.repl.replicas {
                if slot == c.slot {
                    continue;
                }
                let Some(r) = srv.clients_iter().find(|x| x.slot == slot) else {
                    continue;
                };
                if replstate(r) == SlaveState::WaitBgsaveEnd
                    && (r.flags & CLIENT_REPL_RDBONLY == 0 || want_rdbonly)
                {
                    let off = r.repl.as_ref().map_or(0, |x| x.psync_initial_offset);
                    found = Some((slot, slave_capa(r), slave_req(r), off));
                    break;
                }
            }
            match found {
                Some((slot, other_capa, other_req, offset))
                    if capa & other_capa == other_capa && req == other_req =>
                {
                    if !want_rdbonly {
                        copy_replica_output_buffer(srv, c, slot);
                    }
                    replication_setup_slave_for_full_resync(srv, c, offset);
                    tracing::info!("Waiting for end of BGSAVE for SYNC");
                }
                _ => tracing::info!(
                    "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC"
                ),
            }
        }
        RdbChildType::Socket if rdb_child => {
            tracing::info!("Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC");
        }
        _ => {
            if srv.config.repl_diskless_sync
                && slave_capa(c) & SLAVE_CAPA_EOF != 0
                && srv.config.repl_diskless_sync_delay > 0
            {
                tracing::info!("Delay next BGSAVE for diskless SYNC");
            } else if !crate::childinfo::has_active_child_process(srv) {
                let (capa, req) = (slave_capa(c), slave_req(c));
                start_bgsave_for_replication(srv, Some(c), capa, req);
            } else {
                tracing::info!(
                    "No BGSAVE in progress, but another BG operation is active. BGSAVE for replication delayed"
                );
            }
        }
    }
}

/// Answers a replica whose save starts (or was joined) and starts
/// accumulating its stream (Redis `replicationSetupSlaveForFullResync`):
/// records `offset` as its `psync_initial_offset`, moves it to
/// [`SlaveState::WaitBgsaveEnd`], makes the stream emit a SELECT before
/// the next command, and writes `+FULLRESYNC <replid> <offset>\r\n`
/// straight to its socket (not to a SYNC client, which expects the RDB
/// at once). If that write fails the replica is closed and false returned.
pub fn replication_setup_slave_for_full_resync(
    srv: &mut Server,
    c: &mut Client,
    offset: i64,
) -> bool {
    if let Some(r) = c.repl.as_mut() {
        r.psync_initial_offset = offset;
        r.replstate = SlaveState::WaitBgsaveEnd;
    }
    srv.repl.slaveseldb = -1;
    if c.flags & CLIENT_PRE_PSYNC == 0 {
        let line = format!("+FULLRESYNC {} {}\r\n", srv.replid, offset);
        let sent = match c.conn.as_mut() {
            Some(conn) => {
                matches!(write_some(conn, line.as_bytes()), Ok((n, _)) if n == line.len())
            }
            None => false,
        };
        if !sent {
            srv.close_client_asap(c);
            return false;
        }
    }
    true
}

/// Starts a save for the replicas waiting in `WaitBgsaveStart` whose RDB
/// filter is `req` (Redis `startBgsaveForReplication`). `mincapa` is the
/// capabilities they all have; `cur` is the replica running a command,
/// if any.
///
/// Logs "Starting BGSAVE for SYNC with target: replicas sockets" or
/// "... disk". Without replication info for the RDB ("BGSAVE for
/// replication: replication information not available, can't generate the
/// RDB file right now. Try later.") or when the fork fails, logs "BGSAVE
/// for replication failed" and closes every waiting replica after the
/// error "-BGSAVE failed, replication can't continue". Returns whether the
/// save started.
pub fn start_bgsave_for_replication(
    srv: &mut Server,
    mut cur: Option<&mut Client>,
    mincapa: u32,
    req: u32,
) -> bool {
    let socket_target = (srv.config.repl_diskless_sync || req & SLAVE_REQ_RDB_MASK != 0)
        && mincapa & SLAVE_CAPA_EOF != 0;
    tracing::info!(
        "Starting BGSAVE for SYNC with target: {}",
        if socket_target {
            "replicas sockets"
        } else {
            "disk"
        }
    );
    let ok = if crate::rdb::rdb_populate_save_info(srv).is_none() {
        tracing::warn!(
            "BGSAVE for replication: replication information not available, can't generate the RDB file right now. Try later."
        );
        false
    } else if socket_target {
        rdb_save_to_slaves_sockets(srv, cur.as_deref_mut(), req).is_ok()
    } else {
        let filename = srv.config.dbfilename.clone();
        crate::rdb::rdb_save_background(srv, &filename).is_ok()
    };
    if ok && !socket_target && srv.config.rdb_del_sync_files {
        srv.repl.fullsync.rdb_generated_by_replication = true;
    }
    if !ok {
        tracing::warn!("BGSAVE for replication failed");
        for_each_replica(srv, cur, |srv, c| {
            if replstate(c) != SlaveState::WaitBgsaveStart {
                return;
            }
            c.flags &= !CLIENT_SLAVE;
            srv.repl.replicas.retain(|&s| s != c.slot);
            c.add_reply_error("BGSAVE failed, replication can't continue");
            c.flags |= crate::networking::CLIENT_CLOSE_AFTER_REPLY;
            srv.mark_pending_write(c);
        });
        return false;
    }
    if !socket_target {
        let offset = srv.repl.master_repl_offset;
        for_each_replica(srv, cur, |srv, c| {
            if replstate(c) == SlaveState::WaitBgsaveStart && slave_req(c) == req {
                replication_setup_slave_for_full_resync(srv, c, offset);
            }
        });
    }
    true
}

// ---- The diskless child ----

/// Forks a child that writes the RDB for the replicas waiting in
/// `WaitBgsaveStart` with filter `req` into a pipe the parent forwards
/// to their sockets (Redis `rdbSaveToSlavesSockets`). Each of them is set
/// up for the full resync first (`+FULLRESYNC`, `WaitBgsaveEnd`).
///
/// The child writes `$EOF:<mark>\r\n`, the RDB (`rdb-key-save-delay`
/// honoured, progress reported as a BGSAVE child does), then `<mark>`;
/// closes the pipe and waits until the parent closes the exit pipe, then
/// exits (0 on success, 1 when a write failed, e.g. the parent died).
///
/// The parent logs "Background RDB transfer started by pid %d"; on a fork
/// failure "Can't save in background: fork: %s", and its replicas go back
/// to `WaitBgsaveStart`. Errors: a child exists, a transfer is still being
/// drained, pipe creation or fork failed.
pub fn rdb_save_to_slaves_sockets(
    srv: &mut Server,
    cur: Option<&mut Client>,
    req: u32,
) -> io::Result<()> {
    if crate::childinfo::has_active_child_process(srv) || srv.repl.fullsync.pipe.is_some() {
        return Err(io::Error::from_raw_os_error(libc::EEXIST));
    }
    let (rdb_tx, rdb_rx) = mio::unix::pipe::new()?;
    let (exit_rx, exit_tx) = io::pipe()?;
    let mut conns = Vec::new();
    let offset = srv.repl.master_repl_offset;
    for_each_replica(srv, cur, |srv, c| {
        if replstate(c) == SlaveState::WaitBgsaveStart && slave_req(c) == req {
            conns.push(Some((c.slot, c.id)));
            replication_setup_slave_for_full_resync(srv, c, offset);
        }
    });
    let mut opts = crate::rdb::RdbSaveOptions::from_server(srv);
    opts.exclude_data = req & SLAVE_REQ_RDB_EXCLUDE_DATA != 0;
    opts.exclude_functions = req & SLAVE_REQ_RDB_EXCLUDE_FUNCTIONS != 0;
    let key_save_delay = srv.config.rdb_key_save_delay;
    match crate::childinfo::redis_fork(srv, crate::childinfo::ChildType::Rdb) {
        Ok(crate::childinfo::ForkOutcome::Child { mut info }) => {
            crate::log::set_role(b'C');
            crate::rdb::close_listeners_in_child(srv);
            drop(rdb_rx);
            drop(exit_tx);
            let ok = rdb_save_child_body(srv, rdb_tx, &opts, key_save_delay, &mut info);
            if ok {
                crate::childinfo::send_child_info_generic(
                    &mut info,
                    crate::childinfo::ChildInfoType::RdbCowSize,
                    0,
                    "RDB",
                );
            }
            // Wait for the parent to have read everything: EOF (or an
            // error) on this pipe means it closed its end or died.
            let mut exit_rx = exit_rx;
            let mut b = [0u8; 1];
            let _ = exit_rx.read(&mut b);
            crate::childinfo::exit_from_child(if ok { 0 } else { 1 });
        }
        Ok(crate::childinfo::ForkOutcome::Parent(pid)) => {
            drop(rdb_tx);
            drop(exit_rx);
            tracing::info!("Background RDB transfer started by pid {}", pid);
            srv.rdb.save_time_start = unixtime();
            srv.repl.fullsync.rdb_child_type = RdbChildType::Socket;
            let mut read = rdb_rx;
            let registered = match srv.el.registry().register(
                &mut read,
                Token(REPL_TOKEN_RDB_PIPE),
                Interest::READABLE,
            ) {
                Ok(()) => true,
                Err(e) => {
                    // Nothing would ever read the pipe: give the save up
                    // (its replicas are closed when the child is reaped).
                    tracing::warn!(
                        "Diskless rdb transfer, can't watch the RDB pipe: {}",
                        err_text(&e)
                    );
                    crate::rdb::kill_rdb_child(srv);
                    false
                }
            };
            srv.repl.fullsync.pipe = Some(RdbPipe {
                read,
                registered,
                reading: true,
                resume: false,
                exit_pipe: Some(exit_tx),
                conns,
                buf: Vec::new(),
                bufflen: 0,
                numconns_writing: 0,
            });
            Ok(())
        }
        Err(e) => {
            tracing::warn!("Can't save in background: fork: {}", err_text(&e));
            for_each_replica(srv, None, |_, c| {
                if let Some(r) = c.repl.as_mut()
                    && r.replstate == SlaveState::WaitBgsaveEnd
                {
                    r.replstate = SlaveState::WaitBgsaveStart;
                }
            });
            Err(e)
        }
    }
}

/// The child's part of a diskless sync (Redis `rdbSaveRioWithEOFMark`):
/// writes the framed RDB into the pipe. True when everything was written.
fn rdb_save_child_body(
    srv: &Server,
    tx: mio::unix::pipe::Sender,
    opts: &crate::rdb::RdbSaveOptions,
    key_save_delay: i32,
    info: &mut File,
) -> bool {
    // The child writes with blocking writes: the parent paces it.
    if tx.set_nonblocking(false).is_err() {
        return false;
    }
    let file = File::from(std::os::fd::OwnedFd::from(tx));
    let mut w = io::BufWriter::with_capacity(RDB_PIPE_BUF_LEN, file);
    let mark = random_eof_mark();
    let mut report = crate::rdb::child_progress_reporter(info);
    let mut progress = crate::rdb::SaveProgress {
        key_save_delay,
        incremental_fsync: false,
        on_key: Some(&mut report),
    };
    let res = (|| -> io::Result<()> {
        w.write_all(b"$EOF:")?;
        w.write_all(&mark)?;
        w.write_all(b"\r\n")?;
        crate::rdb::rdb_save_rio_with_progress(&mut w, &srv.dbs, opts, &mut progress)?;
        w.write_all(&mark)?;
        w.flush()
    })();
    res.is_ok()
}

/// 40 random hex characters from the OS generator (Redis
/// `getRandomHexChars`): the child's RNG state is a copy of the parent's,
/// so the thread RNG would repeat what the parent draws next.
fn random_eof_mark() -> [u8; RDB_EOF_MARK_SIZE] {
    let mut raw = [0u8; RDB_EOF_MARK_SIZE];
    if getrandom::fill(&mut raw).is_err() {
        // Still unguessable enough for framing: time and pid.
        let seed = crate::util::ustime() as u64 ^ ((std::process::id() as u64) << 32);
        for (i, b) in raw.iter_mut().enumerate() {
            *b = (seed >> ((i % 8) * 8)) as u8 ^ (i as u8).wrapping_mul(31);
        }
    }
    let mut mark = [0u8; RDB_EOF_MARK_SIZE];
    for (m, r) in mark.iter_mut().zip(raw) {
        *m = b"0123456789abcdef"[(r & 15) as usize];
    }
    mark
}

// ---- The parent's side of a diskless transfer ----

/// Events on [`REPL_TOKEN_RDB_PIPE`]: the child wrote more RDB.
pub fn handle_event(srv: &mut Server, _ev: FiredEvent) {
    rdb_pipe_read_handler(srv);
}

/// Reads the RDB pipe and writes each chunk to every target replica
/// (Redis `rdbPipeReadHandler`), until the pipe is empty or a replica
/// could not take a whole chunk (then reading waits until it did).
///
/// At EOF: "Diskless rdb transfer, done reading from pipe, %d replicas
/// still up.", and the child is told it may exit. A replica whose socket
/// failed is closed ("Diskless rdb transfer, write error sending DB to
/// replica: %s"); when none is left: "Diskless rdb transfer, last replica
/// dropped, killing fork child." A read error closes every target and
/// kills the child ("Diskless rdb transfer, read error sending DB to
/// replicas: %s").
///
/// # Latency
/// Each chunk is one pipe read and one write per replica; the loop stops
/// as soon as a replica's socket is full, so it runs no longer than the
/// replicas take data.
fn rdb_pipe_read_handler(srv: &mut Server) {
    loop {
        let Some(p) = srv.repl.fullsync.pipe.as_mut() else {
            return;
        };
        if !p.reading || p.numconns_writing > 0 || !p.registered {
            return;
        }
        if p.buf.len() < RDB_PIPE_BUF_LEN {
            p.buf.resize(RDB_PIPE_BUF_LEN, 0);
        }
        let n = match p.read.read(&mut p.buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                tracing::warn!(
                    "Diskless rdb transfer, read error sending DB to replicas: {}",
                    err_text(&e)
                );
                p.reading = false;
                let conns = std::mem::take(&mut p.conns);
                for (slot, id) in conns.into_iter().flatten() {
                    free_replica_by_id(srv, slot, id);
                }
                crate::rdb::kill_rdb_child(srv);
                return;
            }
        };
        if n == 0 {
            // The child closed its end: the whole RDB went out.
            let _ = srv.el.registry().deregister(&mut p.read);
            p.registered = false;
            p.reading = false;
            let conns = p.conns.clone();
            let still_up = conns
                .iter()
                .flatten()
                .filter(|&&(slot, id)| srv.lookup_client_by_id(id) == Some(slot))
                .count();
            tracing::warn!(
                "Diskless rdb transfer, done reading from pipe, {} replicas still up.",
                still_up
            );
            if let Some(p) = srv.repl.fullsync.pipe.as_mut() {
                p.exit_pipe = None;
                // Nothing more is read: the buffer goes now, not when the
                // child is reaped (a replica may already count as synced,
                // and `used_memory` should not drop by 64 KB later).
                p.buf = Vec::new();
            }
            return;
        }
        p.bufflen = n;
        let buf = std::mem::take(&mut p.buf);
        let conns = p.conns.clone();
        let mut still_alive = 0;
        let mut writing = 0;
        for (i, entry) in conns.iter().enumerate() {
            let Some((slot, id)) = *entry else {
                continue;
            };
            let Some(mut c) = srv.take_client(slot) else {
                forget_pipe_conn(srv, i);
                continue;
            };
            if c.id != id {
                srv.put_client(c);
                forget_pipe_conn(srv, i);
                continue;
            }
            let res = match c.conn.as_mut() {
                Some(conn) => write_some(conn, &buf[..n]),
                None => Err(io::ErrorKind::NotConnected.into()),
            };
            match res {
                Err(e) => {
                    tracing::warn!(
                        "Diskless rdb transfer, write error sending DB to replica: {}",
                        err_text(&e)
                    );
                    forget_pipe_conn(srv, i);
                    srv.free_client(c);
                    continue;
                }
                Ok((w, blocked)) => {
                    srv.repl.fullsync.stat_net_repl_output_bytes += w as u64;
                    let partial = w != n || blocked;
                    if let Some(r) = c.repl.as_mut() {
                        r.repldboff = w as u64;
                        if partial {
                            r.repl_last_partial_write = unixtime();
                            r.rdb_pipe_writing = true;
                        }
                    }
                    if partial {
                        writing += 1;
                        set_write_interest(srv, &mut c, true);
                    }
                }
            }
            still_alive += 1;
            srv.put_client(c);
        }
        let Some(p) = srv.repl.fullsync.pipe.as_mut() else {
            return;
        };
        p.buf = buf;
        p.numconns_writing += writing;
        if still_alive == 0 {
            tracing::warn!("Diskless rdb transfer, last replica dropped, killing fork child.");
            crate::rdb::kill_rdb_child(srv);
        }
        let Some(p) = srv.repl.fullsync.pipe.as_mut() else {
            return;
        };
        if p.numconns_writing > 0 || still_alive == 0 {
            p.reading = false;
            return;
        }
    }
}

/// Drops target `i` of the diskless transfer.
fn forget_pipe_conn(srv: &mut Server, i: usize) {
    if let Some(p) = srv.repl.fullsync.pipe.as_mut()
        && let Some(e) = p.conns.get_mut(i)
    {
        *e = None;
    }
}

/// Closes the replica in `slot` if it is still client `id`.
fn free_replica_by_id(srv: &mut Server, slot: usize, id: u64) {
    if let Some(c) = srv.take_client(slot) {
        if c.id == id {
            srv.free_client(c);
        } else {
            srv.put_client(c);
        }
    }
}

/// A replica stopped taking part in the current chunk: it took all of it,
/// or it is going away (Redis `rdbPipeWriteHandlerConnRemoved`). When it
/// was the last one, reading the pipe resumes from `before_sleep`.
fn rdb_pipe_conn_removed(srv: &mut Server, c: &mut Client) {
    let Some(r) = c.repl.as_mut() else {
        return;
    };
    if !r.rdb_pipe_writing {
        return;
    }
    r.rdb_pipe_writing = false;
    r.repl_last_partial_write = 0;
    if let Some(p) = srv.repl.fullsync.pipe.as_mut() {
        p.numconns_writing = p.numconns_writing.saturating_sub(1);
        if p.numconns_writing == 0 {
            p.reading = true;
            p.resume = true;
        }
    }
}

/// True when the replica's writable event belongs to its RDB transfer
/// (the server routes it to [`handle_write_event`] instead of the reply
/// writer).
pub fn wants_write_event(c: &Client) -> bool {
    c.flags & CLIENT_SLAVE != 0
        && c.repl
            .as_ref()
            .is_some_and(|r| r.replstate == SlaveState::SendBulk || r.rdb_pipe_writing)
}

/// The replica's socket is writable during its RDB transfer: sends more
/// of the file (disk) or the rest of the current pipe chunk (diskless).
/// Returns false when the client must be freed.
pub fn handle_write_event(srv: &mut Server, c: &mut Client) -> bool {
    match c.repl.as_ref() {
        Some(r) if r.replstate == SlaveState::SendBulk => send_bulk_to_slave(srv, c),
        Some(r) if r.rdb_pipe_writing => rdb_pipe_write_handler(srv, c),
        _ => true,
    }
}

/// Sends the rest of the current pipe chunk to a slow diskless replica
/// (Redis `rdbPipeWriteHandler`). Error: "Write error sending DB to
/// replica: %s" and the replica is closed.
fn rdb_pipe_write_handler(srv: &mut Server, c: &mut Client) -> bool {
    let off = c.repl.as_ref().map_or(0, |r| r.repldboff as usize);
    let Some(p) = srv.repl.fullsync.pipe.as_ref() else {
        // The transfer ended meanwhile (the child was reaped).
        rdb_pipe_conn_removed(srv, c);
        set_write_interest(srv, c, false);
        return true;
    };
    let end = p.bufflen.min(p.buf.len());
    let chunk = &p.buf[off.min(end)..end];
    let res = match c.conn.as_mut() {
        Some(conn) => write_some(conn, chunk),
        None => Err(io::ErrorKind::NotConnected.into()),
    };
    match res {
        Err(e) => {
            tracing::warn!("Write error sending DB to replica: {}", err_text(&e));
            false
        }
        Ok((w, blocked)) => {
            srv.repl.fullsync.stat_net_repl_output_bytes += w as u64;
            let done = w == chunk.len() && !blocked;
            if let Some(r) = c.repl.as_mut() {
                r.repldboff += w as u64;
                if !done {
                    r.repl_last_partial_write = unixtime();
                }
            }
            if done {
                rdb_pipe_conn_removed(srv, c);
                set_write_interest(srv, c, false);
            }
            true
        }
    }
}

// ---- The disk transfer ----

/// Sends the RDB file to a replica in `SendBulk` as far as its socket
/// takes it (Redis `sendBulkToSlave`): first `$<size>\r\n`, then the file
/// from the replica's offset, read in chunks with `pread` so replicas
/// sharing the file each keep their own position. After the last byte the
/// replica is put online and its accumulated stream starts. Errors (the
/// replica is closed): "Write error sending RDB preamble to replica: %s",
/// "Read error sending DB to replica: %s" ("premature EOF" when the file
/// is shorter than announced), "Write error sending DB to replica: %s".
///
/// # Latency
/// At most [`BULK_WRITE_BUDGET`] bytes per call; if the socket still takes
/// more, the writable interest is re-armed for the next turn.
fn send_bulk_to_slave(srv: &mut Server, c: &mut Client) -> bool {
    let mut buf = std::mem::take(&mut srv.repl.fullsync.bulk_buf);
    let keep = send_bulk_chunks(srv, c, &mut buf);
    srv.repl.fullsync.bulk_buf = buf;
    keep
}

/// The loop of [`send_bulk_to_slave`], with the read buffer lent.
fn send_bulk_chunks(srv: &mut Server, c: &mut Client, buf: &mut Vec<u8>) -> bool {
    let mut budget = BULK_WRITE_BUDGET;
    loop {
        let Some(r) = c.repl.as_mut() else {
            return false;
        };
        let Some(conn) = c.conn.as_mut() else {
            return false;
        };
        if !r.replpreamble.is_empty() {
            match write_some(conn, &r.replpreamble) {
                Err(e) => {
                    tracing::warn!(
                        "Write error sending RDB preamble to replica: {}",
                        err_text(&e)
                    );
                    return false;
                }
                Ok((w, blocked)) => {
                    srv.repl.fullsync.stat_net_repl_output_bytes += w as u64;
                    r.replpreamble.drain(..w);
                    if !r.replpreamble.is_empty() || blocked {
                        return true;
                    }
                }
            }
        }
        if r.repldboff < r.repldbsize {
            let Some(f) = r.repldb.as_ref() else {
                return false;
            };
            let want = ((r.repldbsize - r.repldboff) as usize).min(BULK_CHUNK_LEN);
            if buf.len() < want {
                buf.resize(want, 0);
            }
            let n = match f.read_at(&mut buf[..want], r.repldboff) {
                Ok(0) => {
                    tracing::warn!("Read error sending DB to replica: premature EOF");
                    return false;
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    tracing::warn!("Read error sending DB to replica: {}", err_text(&e));
                    return false;
                }
            };
            match write_some(conn, &buf[..n]) {
                Err(e) => {
                    tracing::warn!("Write error sending DB to replica: {}", err_text(&e));
                    return false;
                }
                Ok((w, blocked)) => {
                    srv.repl.fullsync.stat_net_repl_output_bytes += w as u64;
                    r.repldboff += w as u64;
                    if blocked {
                        return true;
                    }
                    budget = budget.saturating_sub(w);
                }
            }
        }
        if r.repldboff >= r.repldbsize {
            r.repldb = None;
            set_write_interest(srv, c, false);
            if !replica_put_online(srv, c) {
                return false;
            }
            replica_start_command_stream(srv, c);
            return true;
        }
        if budget == 0 {
            // The socket still takes more: come back next turn (an
            // edge-triggered poller reports a re-armed writable socket).
            set_write_interest(srv, c, true);
            return true;
        }
    }
}

// ---- The end of a save ----

/// The end of a diskless transfer's child (Redis
/// `backgroundSaveDoneHandlerSocket`): logs "Background RDB transfer
/// terminated with success", "Background transfer error" (exit code ≠ 0)
/// or "Background transfer terminated by signal %d", and frees the pipes
/// and the target list. The save status, `lastsave` and `dirty` stay as
/// they are.
pub fn background_save_done_handler_socket(
    srv: &mut Server,
    exit: &crate::childinfo::ChildExit,
    mut cur: Option<&mut Client>,
) {
    if exit.bysignal == 0 && exit.exitcode == 0 {
        tracing::info!("Background RDB transfer terminated with success");
    } else if exit.bysignal == 0 {
        tracing::warn!("Background transfer error");
    } else {
        tracing::warn!("Background transfer terminated by signal {}", exit.bysignal);
    }
    let Some(mut p) = srv.repl.fullsync.pipe.take() else {
        return;
    };
    if p.registered {
        let _ = srv.el.registry().deregister(&mut p.read);
    }
    // Replicas still taking a chunk stop (they are closed below as the
    // save failed: a successful transfer was drained to EOF first).
    for (slot, id) in p.conns.iter().flatten().copied() {
        with_client_in_slot(srv, cur.as_deref_mut(), slot, &mut |srv, c| {
            if c.id == id && c.repl.as_ref().is_some_and(|r| r.rdb_pipe_writing) {
                if let Some(r) = c.repl.as_mut() {
                    r.rdb_pipe_writing = false;
                }
                set_write_interest(srv, c, false);
            }
        });
    }
}

/// After a save ended, serves the replicas waiting for it (Redis
/// `updateSlavesWaitingBgsave`); `kind` is what the save wrote to.
///
/// - The save failed: each is closed ("SYNC failed. BGSAVE child returned
///   an error").
/// - Diskless: each is put online ("Streamed RDB transfer with replica %s
///   succeeded (socket). Waiting for REPLCONF ACK from slave to enable
///   streaming") and gets its stream after its first ACK.
/// - Disk: each opens the file ("SYNC failed. Can't open/stat DB after
///   BGSAVE: %s" closes it) and moves to `SendBulk`.
pub fn update_slaves_waiting_bgsave(
    srv: &mut Server,
    ok: bool,
    kind: RdbChildType,
    cur: Option<&mut Client>,
) {
    for_each_replica(srv, cur, |srv, c| {
        if replstate(c) != SlaveState::WaitBgsaveEnd {
            return;
        }
        if !ok {
            srv.close_client_asap(c);
            tracing::warn!("SYNC failed. BGSAVE child returned an error");
            return;
        }
        if kind == RdbChildType::Socket {
            tracing::info!(
                "Streamed RDB transfer with replica {} succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming",
                replication_get_slave_name(c)
            );
            if !replica_put_online(srv, c) {
                srv.close_client_asap(c);
                return;
            }
            if let Some(r) = c.repl.as_mut() {
                r.repl_start_cmd_stream_on_ack = true;
            }
            return;
        }
        let opened =
            File::open(&srv.config.dbfilename).and_then(|f| f.metadata().map(|m| (f, m.len())));
        let (f, size) = match opened {
            Ok(v) => v,
            Err(e) => {
                srv.close_client_asap(c);
                tracing::warn!(
                    "SYNC failed. Can't open/stat DB after BGSAVE: {}",
                    err_text(&e)
                );
                return;
            }
        };
        if let Some(r) = c.repl.as_mut() {
            r.repldb = Some(f);
            r.repldboff = 0;
            r.repldbsize = size;
            r.replstate = SlaveState::SendBulk;
            r.replpreamble = format!("${}\r\n", size).into_bytes();
        }
        if !set_write_interest(srv, c, true) {
            srv.close_client_asap(c);
        }
    });
}

// ---- Cron and hooks ----

/// The full-sync part of `replicationCron`, once a second:
/// - a newline to every replica waiting for its save to start or for a
///   disk save to end, so it does not time out (it ignores newlines and
///   they are no part of the stream);
/// - closes diskless replicas that took no bytes for `repl-timeout`
///   seconds ("Disconnecting timedout replica (full sync): %s");
/// - starts a save for waiting replicas ([`replication_start_pending_fork`]);
/// - `rdb-del-sync-files` ([`remove_rdb_used_to_sync_replicas`]).
pub fn replication_cron(srv: &mut Server) {
    let now = unixtime();
    let socket_child = srv.repl.fullsync.rdb_child_type == RdbChildType::Socket;
    let timeout = srv.config.repl_timeout as i64;
    let mut timed_out = Vec::new();
    for_each_replica(srv, None, |_, c| {
        let st = replstate(c);
        let presync =
            st == SlaveState::WaitBgsaveStart || (st == SlaveState::WaitBgsaveEnd && !socket_child);
        if presync && let Some(conn) = c.conn.as_mut() {
            let _ = write_some(conn, b"\n");
        }
        if st == SlaveState::WaitBgsaveEnd
            && socket_child
            && let Some(r) = c.repl.as_ref()
            && r.repl_last_partial_write != 0
            && now - r.repl_last_partial_write > timeout
        {
            timed_out.push((c.slot, c.id, replication_get_slave_name(c)));
        }
    });
    for (slot, id, name) in timed_out {
        tracing::warn!("Disconnecting timedout replica (full sync): {}", name);
        free_replica_by_id(srv, slot, id);
    }
    replication_start_pending_fork(srv, None);
    remove_rdb_used_to_sync_replicas(srv);
}

/// When a save should start for waiting replicas (Redis
/// `shouldStartChildReplication`): no child runs, some replicas wait in
/// `WaitBgsaveStart`, and either diskless sync is off, or
/// `repl-diskless-sync-max-replicas` (if set) of them wait, or the one
/// that waited longest has been idle `repl-diskless-sync-delay` seconds.
/// Only replicas with the first one's RDB filter count. Returns the
/// capabilities they all share and that filter.
pub fn should_start_child_replication(srv: &Server) -> Option<(u32, u32)> {
    if crate::childinfo::has_active_child_process(srv) {
        return None;
    }
    let now = srv.mstime / 1000;
    let mut waiting = 0i64;
    let mut max_idle = 0i64;
    let mut first: Option<(u32, u32)> = None;
    for &slot in &srv.repl.replicas {
        let Some(c) = srv.clients_iter().find(|c| c.slot == slot) else {
            continue;
        };
        if replstate(c) != SlaveState::WaitBgsaveStart {
            continue;
        }
        let (capa, req) = (slave_capa(c), slave_req(c));
        match first {
            None => first = Some((capa, req)),
            Some((_, r)) if r != req => continue,
            Some((m, r)) => first = Some((m & capa, r)),
        }
        max_idle = max_idle.max(now - c.lastinteraction / 1000);
        waiting += 1;
    }
    let cfg = &srv.config;
    if waiting > 0
        && (!cfg.repl_diskless_sync
            || (cfg.repl_diskless_sync_max_replicas > 0
                && waiting >= cfg.repl_diskless_sync_max_replicas as i64)
            || max_idle >= cfg.repl_diskless_sync_delay as i64)
    {
        return first;
    }
    None
}

/// Starts the save waiting replicas need, if it is time (Redis
/// `replicationStartPendingFork`); from the cron and whenever a child ends.
pub fn replication_start_pending_fork(srv: &mut Server, cur: Option<&mut Client>) {
    if let Some((mincapa, req)) = should_start_child_replication(srv) {
        start_bgsave_for_replication(srv, cur, mincapa, req);
    }
}

/// `rdb-del-sync-files` (Redis `removeRDBUsedToSyncReplicas`): with no
/// save points and the AOF off, removes the `dbfilename` a disk sync
/// wrote once no replica waits for or reads it ("Removing the RDB file
/// used to feed replicas in a persistence-less instance"). When the option
/// is off the mark is cleared, so turning it on later only removes files
/// written after that.
pub fn remove_rdb_used_to_sync_replicas(srv: &mut Server) {
    if !srv.config.rdb_del_sync_files {
        srv.repl.fullsync.rdb_generated_by_replication = false;
        return;
    }
    let persistence_off =
        srv.config.save_params.is_empty() && srv.aof.state == crate::aof::AofStatus::Off;
    if !persistence_off || !srv.repl.fullsync.rdb_generated_by_replication {
        return;
    }
    let busy = srv.repl.replicas.iter().any(|&slot| {
        srv.clients_iter()
            .find(|c| c.slot == slot)
            .is_some_and(|c| {
                matches!(
                    replstate(c),
                    SlaveState::WaitBgsaveStart | SlaveState::WaitBgsaveEnd | SlaveState::SendBulk
                )
            })
    });
    if busy {
        return;
    }
    if std::fs::symlink_metadata(&srv.config.dbfilename).is_ok() {
        srv.repl.fullsync.rdb_generated_by_replication = false;
        tracing::info!(
            "Removing the RDB file used to feed replicas in a persistence-less instance"
        );
        let _ = std::fs::remove_file(&srv.config.dbfilename);
    }
}

/// The full-sync part of `before_sleep`: reading the RDB pipe resumes
/// once the last slow replica took its chunk.
pub fn before_sleep(srv: &mut Server) {
    let resume = match srv.repl.fullsync.pipe.as_mut() {
        Some(p) if p.resume && p.numconns_writing == 0 => {
            p.resume = false;
            true
        }
        _ => false,
    };
    if resume {
        rdb_pipe_read_handler(srv);
    }
}

/// A replica is being freed (Redis `unlinkClient` / `freeClient`, the
/// full-sync parts): it leaves the diskless target list (reading the pipe
/// resumes if it was the slowest); its RDB file is closed; and a disk save
/// no other replica waits for is killed when no save points are
/// configured, so the next sync or BGSAVE can start at once.
pub fn free_replica_client(srv: &mut Server, c: &mut Client) {
    let st = replstate(c);
    if st == SlaveState::WaitBgsaveEnd && srv.repl.fullsync.pipe.is_some() {
        rdb_pipe_conn_removed(srv, c);
        if let Some(p) = srv.repl.fullsync.pipe.as_mut() {
            for e in p.conns.iter_mut() {
                if *e == Some((c.slot, c.id)) {
                    *e = None;
                }
            }
        }
    }
    if srv.config.save_params.is_empty()
        && st == SlaveState::WaitBgsaveEnd
        && srv.child.kind == crate::childinfo::ChildType::Rdb
        && srv.repl.fullsync.rdb_child_type == RdbChildType::Disk
    {
        let others_wait = srv.repl.replicas.iter().any(|&slot| {
            slot != c.slot
                && srv
                    .clients_iter()
                    .find(|x| x.slot == slot)
                    .is_some_and(|x| replstate(x) == SlaveState::WaitBgsaveEnd)
        });
        if !others_wait {
            crate::rdb::kill_rdb_child(srv);
        }
    }
    if let Some(r) = c.repl.as_mut() {
        r.repldb = None;
        r.replpreamble.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eof_mark_is_forty_hex_chars() {
        let a = random_eof_mark();
        let b = random_eof_mark();
        assert!(a.iter().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
