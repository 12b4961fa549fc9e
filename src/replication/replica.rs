//! The replica side of replication (Redis `replication.c`): REPLICAOF,
//! the handshake, the RDB transfer and load, the master client, partial
//! resync with a cached master.
//!
//! # How a replica follows its master
//! 1. **REPLICAOF host port** ([`replication_set_master`]) records the
//!    master and starts a non-blocking connect of the *link* socket, which
//!    is polled under [`REPL_TOKEN_MASTER_LINK`]. When we were a master
//!    until now, a *cached master* is made from our own replication ID and
//!    offset (Redis `replicationCacheMasterUsingMyself`), so a new master
//!    that shares our history can accept a partial resync.
//! 2. **Handshake** ([`handle_event`]): PING, then in one write AUTH
//!    (`masteruser`/`masterauth`), REPLCONF listening-port, REPLCONF
//!    ip-address (`replica-announce-ip`), REPLCONF capa eof capa psync2;
//!    the replies are read in that order, one line each. Lines are read
//!    without blocking: the link's bytes accumulate in a buffer and the
//!    state machine advances one line at a time.
//! 3. **PSYNC** `<replid> <offset+1>` of the cached master (or `? -1`).
//!    `+CONTINUE [newid]` turns the cached master back into the master
//!    client on the link socket: the data is kept. `+FULLRESYNC id off`
//!    starts a transfer; an `-ERR` falls back to SYNC.
//! 4. **Transfer**: the payload starts with `$<len>` (the master saved to
//!    disk) or `$EOF:<40 bytes mark>` (diskless: the payload ends with the
//!    mark). Newlines before it are the master's keep-alives. With
//!    `repl-diskless-load disabled` (or `on-empty-db` with keys) the bytes
//!    go to `temp-<unixtime>.<pid>.rdb`, which is renamed to `dbfilename`
//!    and loaded; otherwise the socket is switched to blocking reads with
//!    `repl-timeout` and parsed directly, into the live databases (flushed
//!    first) or, with `swapdb`, into fresh ones swapped in on success (the
//!    old data survives a failed transfer). Clients are served `-LOADING`
//!    meanwhile (`process_events_while_blocked`), and a newline is written
//!    to the master once a second so it does not time us out (either load,
//!    [`replication_send_newline_to_master`]).
//! 5. **Master client**: the link becomes a normal client in the slab with
//!    `CLIENT_MASTER`, fed through the normal command path. Its replies are
//!    suppressed except the ACK ([`replication_send_ack`], every second and
//!    on REPLCONF GETACK). Every byte read from it counts in `read_reploff`;
//!    after each command (outside MULTI) `reploff` becomes `read_reploff`
//!    minus the unparsed input, and exactly the bytes of the commands just
//!    applied are handed to [`crate::replication::master::feed_stream_from_master`],
//!    so our own backlog and replicas carry the master's stream byte for
//!    byte (chained replicas share the offsets).
//! 6. **Link loss**: the master client is not destroyed but cached
//!    ([`free_master_client`]: replid, offset, selected db), and a
//!    reconnection starts at once; its PSYNC asks for the next byte.
//!    After a restart the RDB's `repl-id`/`repl-offset` aux fields make
//!    the same cached master ([`restore_replication_info_after_load`]).
//! 7. **REPLICAOF NO ONE** ([`replication_unset_master`]): keeps the data,
//!    shifts the replication ID (the old one stays valid as `replid2`) and
//!    disconnects our replicas so they PSYNC again and learn the new ID.

use std::fs::File;
use std::io::{self, Read, Write};

use bytes::Bytes;
use mio::Interest;

use crate::ae::FiredEvent;
use crate::commands::Handler;
use crate::networking::{self, Client};
use crate::replication::failover::{abort_failover, clear_failover_state, failover_in_progress};
use crate::replication::{
    CLIENT_MASTER, CLIENT_MASTER_FORCE_REPLY, CLIENT_PRE_PSYNC, CLIENT_SLAVE, ClientRepl,
    REPL_TOKEN_MASTER_LINK, ReplState,
};
use crate::server::Server;

/// Redis `CONFIG_RUN_ID_SIZE`: length of replication IDs and EOF marks.
const RUN_ID_SIZE: usize = 40;
/// Longest handshake line accepted before the link is dropped, bytes.
const MAX_HANDSHAKE_LINE: usize = 64 * 1024;
/// Bytes read from the link per read call.
const LINK_READ_CHUNK: usize = 16 * 1024;
/// Redis `REPL_MAX_WRITTEN_BEFORE_FSYNC`: the temp file is synced every 8 MB.
const REPL_MAX_WRITTEN_BEFORE_FSYNC: i64 = 8 * 1024 * 1024;

/// What is kept of a master whose link was lost, to ask it for a partial
/// resync (Redis `server.cached_master`).
#[derive(Clone, Debug)]
pub struct CachedMaster {
    /// The replication ID it streams.
    pub replid: String,
    /// Offset of the last byte applied; PSYNC asks for `reploff + 1`.
    pub reploff: i64,
    /// Database its stream had selected.
    pub db: usize,
    /// Not PSYNC-capable (synced with SYNC): no ACKs are sent to it.
    pub pre_psync: bool,
}

/// The replica side's own state (Redis `repl_transfer_*`, `master_replid`,
/// `master_initial_offset`, `cached_master`).
#[derive(Default)]
pub struct ReplicaSide {
    /// The connection to the master while connecting, handshaking and
    /// receiving the RDB (TCP, or TLS with `tls-replication`); it becomes
    /// the master client's connection.
    link: Option<networking::Conn>,
    /// Bytes read from the link and not consumed yet.
    linebuf: Vec<u8>,
    /// Unix time (s) of the last I/O on the link (Redis `repl_transfer_lastio`;
    /// INFO `master_sync_last_io_seconds_ago`).
    pub repl_transfer_lastio: i64,
    /// Size of the RDB being received (`$<len>`), 0 with an EOF mark, -1
    /// before the header (Redis `repl_transfer_size`; INFO `master_sync_total_bytes`).
    pub repl_transfer_size: i64,
    /// Bytes of the RDB received so far (INFO `master_sync_read_bytes`).
    pub repl_transfer_read: i64,
    /// Offset of the temp file synced so far.
    repl_transfer_last_fsync_off: i64,
    /// The payload ends with `eofmark` (diskless master).
    usemark: bool,
    eofmark: Vec<u8>,
    /// The last bytes received, compared with the mark.
    lastbytes: Vec<u8>,
    /// The temp file of a disk transfer and its name.
    tmpfile: Option<(String, File)>,
    /// Replication ID the master announced with +FULLRESYNC (Redis `master_replid`).
    pub master_replid: String,
    /// Offset the master announced with +FULLRESYNC, -1 when unknown
    /// (Redis `master_initial_offset`).
    pub master_initial_offset: i64,
    /// The master we may PSYNC with (Redis `cached_master`).
    pub cached_master: Option<CachedMaster>,
    /// CLIENT ID of the master client while connected.
    pub master_client_id: Option<u64>,
    /// Set while the RDB is being loaded: events on the link are ignored.
    in_load: bool,
    /// Unix time (s) of the last keep-alive newline written to the master
    /// while loading its RDB.
    newline_sent: i64,
}

/// Replica-side commands (REPLICAOF, SLAVEOF).
pub static HANDLERS: &[(&str, Handler)] = &[
    ("replicaof", replicaof_command),
    ("slaveof", replicaof_command),
];

fn unixtime(srv: &Server) -> i64 {
    srv.mstime / 1000
}

// ---- REPLICAOF ----

/// REPLICAOF / SLAVEOF host port | NO ONE (Redis `replicaofCommand`) →
/// `+OK`, or `+OK Already connected to specified master` when `host:port`
/// is the current master. Errors: "ERR REPLICAOF not allowed in cluster
/// mode.", "ERR REPLICAOF not allowed while failing over.", "ERR Command
/// is not valid when client is a replica.", "ERR Invalid master port".
/// Logs "MASTER MODE enabled (user request from '<client>')" or
/// "REPLICAOF host:port enabled (user request from '<client>')".
pub fn replicaof_command(srv: &mut Server, c: &mut Client) {
    if srv.config.cluster_enabled {
        c.add_reply_error("ERR REPLICAOF not allowed in cluster mode.");
        return;
    }
    if crate::replication::failover::failover_ongoing(srv) {
        c.add_reply_error("ERR REPLICAOF not allowed while failing over.");
        return;
    }
    let host = c.argv[1].clone();
    let port_arg = c.argv[2].clone();
    if host.eq_ignore_ascii_case(b"no") && port_arg.eq_ignore_ascii_case(b"one") {
        if srv.repl.masterhost.is_some() {
            replication_unset_master(srv);
            let info = crate::server_cmds::client_info_string(srv, c);
            tracing::info!("MASTER MODE enabled (user request from '{}')", info);
        }
        c.add_reply_ok();
        return;
    }
    if c.flags & CLIENT_SLAVE != 0 {
        c.add_reply_error("ERR Command is not valid when client is a replica.");
        return;
    }
    let port = crate::util::string2ll(&port_arg).filter(|p| (0..=65535).contains(p));
    let Some(port) = port else {
        c.add_reply_error("ERR Invalid master port");
        return;
    };
    let host = String::from_utf8_lossy(&host).into_owned();
    if let Some(h) = &srv.repl.masterhost
        && h.eq_ignore_ascii_case(&host)
        && srv.repl.masterport as i64 == port
    {
        tracing::info!(
            "REPLICAOF would result into synchronization with the master we are already connected with. No operation performed."
        );
        c.add_reply_status("OK Already connected to specified master");
        return;
    }
    replication_set_master(srv, &host, port as u16);
    let info = crate::server_cmds::client_info_string(srv, c);
    tracing::info!(
        "REPLICAOF {}:{} enabled (user request from '{}')",
        host,
        port,
        info
    );
    c.add_reply_ok();
}

/// Makes this server a replica of `host:port` (Redis
/// `replicationSetMaster`): drops the current master link (caching it for
/// PSYNC), unblocks clients blocked on keys with "-UNBLOCKED force unblock
/// from blocking operation, instance state changed (master -> replica?)",
/// and when we were a master synthesizes a cached master from our own
/// replication ID and offset so the new master may accept a partial
/// resync. Replicas attached to us are kept (they may PSYNC with us once
/// we are in sync). Logs "Connecting to MASTER host:port" and starts the
/// non-blocking connect.
pub fn replication_set_master(srv: &mut Server, host: &str, port: u16) {
    let was_master = srv.repl.masterhost.is_none();
    // Cleared first, so that freeing the master client does not reconnect.
    srv.repl.masterhost = None;
    crate::log::set_role(b'M');
    free_current_master(srv);
    disconnect_all_blocked_clients(srv);
    srv.repl.masterhost = Some(host.to_string());
    crate::log::set_role(b'S');
    srv.repl.masterport = port;
    srv.config.replicaof = Some((host.to_string(), port));
    let _ = crate::config::set_oom_score_adj(&srv.config, None);
    cancel_replication_handshake(srv, false);
    if was_master {
        replication_discard_cached_master(srv);
        replication_cache_master_using_myself(srv);
    }
    srv.repl.state = ReplState::Connect;
    tracing::info!("Connecting to MASTER {}:{}", host, port);
    connect_with_master(srv);
}

/// Turns this replica into a master (Redis `replicationUnsetMaster`,
/// REPLICAOF NO ONE and a FAILOVER's target): the link and cached master
/// are dropped, the data is kept, the replication ID is shifted (the old
/// one stays valid as `replid2` up to our offset, see
/// [`crate::replication::shift_replication_id`]) and our own replicas are
/// disconnected so they PSYNC again and learn the new ID. The next stream
/// command starts with a SELECT; the AOF, stopped during a sync, restarts.
/// No-op on a master.
pub fn replication_unset_master(srv: &mut Server) {
    if srv.repl.masterhost.is_none() {
        return;
    }
    srv.repl.masterhost = None;
    crate::log::set_role(b'M');
    srv.config.replicaof = None;
    free_current_master(srv);
    replication_discard_cached_master(srv);
    cancel_replication_handshake(srv, false);
    crate::replication::shift_replication_id(srv);
    disconnect_slaves(srv);
    srv.repl.state = ReplState::None;
    srv.repl.slaveseldb = -1;
    let _ = crate::config::set_oom_score_adj(&srv.config, None);
    srv.repl.repl_no_slaves_since = unixtime(srv);
    srv.repl.repl_down_since = 0;
    if srv.config.appendonly && srv.aof.state == crate::aof::AofStatus::Off {
        restart_aof_after_sync(srv);
    }
}

/// Sets the replication role from the `replicaof` directive at startup
/// (Redis's config loader): the link is connected by the first cron tick.
pub fn replication_init_from_config(srv: &mut Server) {
    if let Some((host, port)) = srv.config.replicaof.clone() {
        srv.repl.masterhost = Some(host);
        srv.repl.masterport = port;
        srv.repl.state = ReplState::Connect;
    }
}

/// After the RDB was loaded at startup (Redis `loadDataFromDisk`): when
/// the file carries `repl-id`, `repl-offset` and `repl-stream-db`, a
/// replica adopts that ID and offset and makes a cached master from them
/// (so it can PSYNC from where it was), and a master keeps them as
/// `replid2` / `second_replid_offset` (so its former replicas can PSYNC).
///
/// On a master the keys the load skipped as expired are then fed to the
/// new backlog as DEL (UNLINK with `lazyfree-lazy-expire`) after that
/// offset, so replicas that PSYNC learn of them (Redis feeds them during
/// the load with `RDBFLAGS_FEED_REPL` and rebases the backlog after).
pub fn restore_replication_info_after_load(srv: &mut Server, info: &mut crate::rdb::RdbLoadInfo) {
    let (Some(id), Some(off), Some(db)) = (&info.repl_id, info.repl_offset, info.repl_stream_db)
    else {
        return;
    };
    if off == -1 || db == -1 {
        return;
    }
    if srv.repl.masterhost.is_some() {
        srv.replid = id.clone();
        srv.repl.master_repl_offset = off;
        replication_cache_master_using_myself(srv);
        if let Some(cm) = srv.repl.replica.cached_master.as_mut()
            && (db as usize) < srv.dbs.len()
        {
            cm.db = db as usize;
        }
    } else {
        srv.repl.replid2 = id.clone();
        srv.repl.second_replid_offset = off + 1;
        srv.repl.master_repl_offset += off;
        srv.repl.repl_no_slaves_since = unixtime(srv);
        crate::replication::master::create_replication_backlog(srv);
        let cmd: &'static [u8] = if srv.config.lazyfree_lazy_expire {
            b"UNLINK"
        } else {
            b"DEL"
        };
        for (db, key) in std::mem::take(&mut info.expired_keys) {
            let argv = [Bytes::from_static(cmd), Bytes::from(key)];
            crate::replication::master::feed_replication_stream(srv, db, &argv);
        }
    }
}

// ---- Connecting and the handshake ----

/// Starts the non-blocking connect to the master (Redis
/// `connectWithMaster`). Logs "MASTER <-> REPLICA sync started", or
/// "Unable to connect to MASTER: <error>" (the cron retries).
fn connect_with_master(srv: &mut Server) {
    let Some(host) = srv.repl.masterhost.clone() else {
        return;
    };
    let port = srv.repl.masterport;
    let addr = {
        use std::net::ToSocketAddrs;
        (host.as_str(), port)
            .to_socket_addrs()
            .map_err(|e| e.to_string())
            .and_then(|mut it| it.next().ok_or_else(|| "no address".to_string()))
    };
    let source = srv.config.bind_source_addr.clone();
    let stream = addr.and_then(|a| {
        crate::anet::tcp_nonblock_best_effort_bind_connect(a, &source).map_err(|e| e.to_string())
    });
    // With `tls-replication` the handshake follows the TCP connect
    // (Redis `connCreateTLS`); the ClientHello waits in the stream.
    let stream = stream.and_then(|s| {
        if !srv.config.tls_replication {
            return Ok(networking::Conn::Tcp(s));
        }
        let Some(ctx) = srv.tls_ctx.as_ref() else {
            return Err("TLS is not configured".to_string());
        };
        crate::tls::TlsStream::connect(s, ctx.client_config(), &host)
            .map(|t| networking::Conn::Tls(Box::new(t)))
            .map_err(|e| e.to_string())
    });
    let mut stream = match stream {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("Unable to connect to MASTER: {}", e);
            return;
        }
    };
    if let Err(e) = stream.register(
        srv.el.registry(),
        mio::Token(REPL_TOKEN_MASTER_LINK),
        Interest::READABLE | Interest::WRITABLE,
        true,
    ) {
        tracing::warn!("Unable to connect to MASTER: {}", e);
        return;
    }
    let now = unixtime(srv);
    let rs = &mut srv.repl.replica;
    rs.link = Some(stream);
    rs.linebuf.clear();
    rs.repl_transfer_lastio = now;
    srv.repl.state = ReplState::Connecting;
    tracing::info!("MASTER <-> REPLICA sync started");
}

/// Closes the link socket (Redis `undoConnectWithMaster`).
fn undo_connect_with_master(srv: &mut Server) {
    if let Some(mut s) = srv.repl.replica.link.take() {
        s.deregister(srv.el.registry());
    }
    srv.repl.replica.linebuf = Vec::new();
}

/// Drops the temp file of an interrupted disk transfer.
fn abort_sync_transfer(srv: &mut Server) {
    undo_connect_with_master(srv);
    if let Some((name, f)) = srv.repl.replica.tmpfile.take() {
        drop(f);
        let _ = std::fs::remove_file(&name);
    }
}

/// Aborts a connect, handshake or transfer in progress (Redis
/// `cancelReplicationHandshake`); the state goes back to `Connect`. With
/// `reconnect`, logs "Reconnecting to MASTER host:port after failure" and
/// connects again at once. Returns false when nothing was in progress.
fn cancel_replication_handshake(srv: &mut Server, reconnect: bool) -> bool {
    let st = srv.repl.state;
    if st == ReplState::Transfer {
        abort_sync_transfer(srv);
        srv.repl.state = ReplState::Connect;
    } else if st == ReplState::Connecting || st.is_handshake() {
        undo_connect_with_master(srv);
        srv.repl.state = ReplState::Connect;
    } else {
        return false;
    }
    if !reconnect {
        return true;
    }
    if let Some(h) = srv.repl.masterhost.clone() {
        tracing::info!(
            "Reconnecting to MASTER {}:{} after failure",
            h,
            srv.repl.masterport
        );
        connect_with_master(srv);
    }
    true
}

/// The handshake failed: close the link and retry from the cron (Redis
/// `syncWithMaster`'s `error:` path).
fn handshake_error(srv: &mut Server) {
    abort_sync_transfer(srv);
    srv.repl.state = ReplState::Connect;
}

/// Writes `data` to the link, waiting for room up to `repl-timeout`
/// (Redis `connSyncWrite`). Handshake commands are small, so this
/// practically never waits.
fn link_write(srv: &mut Server, data: &[u8]) -> io::Result<()> {
    let timeout_ms = (srv.config.repl_timeout as i64).saturating_mul(1000);
    let Some(s) = srv.repl.replica.link.as_mut() else {
        return Err(io::Error::new(io::ErrorKind::NotConnected, "no link"));
    };
    write_all_with_timeout(s, data, timeout_ms)
}

/// Writes all of `data` (and, over TLS, every record it became) to a
/// non-blocking connection, sleeping 1 ms whenever it pushes back, for at
/// most `timeout_ms`.
fn write_all_with_timeout(
    s: &mut networking::Conn,
    mut data: &[u8],
    timeout_ms: i64,
) -> io::Result<()> {
    let start = crate::util::mstime();
    while !data.is_empty() || s.wants_write() {
        let res = if data.is_empty() {
            // Records queued in the TLS session: an empty write sends them.
            s.write_vectored(&[]).map(|_| 0)
        } else {
            s.write_vectored(&[io::IoSlice::new(data)])
        };
        match res {
            Ok(0) if !data.is_empty() => {
                return Err(io::Error::new(io::ErrorKind::WriteZero, "connection lost"));
            }
            Ok(n) => {
                data = &data[n..];
                // Over TLS the last records may still wait for room.
                if !data.is_empty() || !s.wants_write() {
                    continue;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        if crate::util::mstime() - start > timeout_ms {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "timeout"));
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    Ok(())
}

/// A command in RESP form (Redis `sendCommandArgv`).
fn command_bytes(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Sends a handshake command; on failure logs "Sending command to master
/// in replication handshake: <error>" and fails the handshake.
fn send_command(srv: &mut Server, args: &[&[u8]]) -> bool {
    let buf = command_bytes(args);
    match link_write(srv, &buf) {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!("Sending command to master in replication handshake: {}", e);
            handshake_error(srv);
            false
        }
    }
}

/// What a read of the link found.
#[derive(PartialEq, Eq)]
enum LinkRead {
    /// The socket is drained (WouldBlock): wait for the next event.
    Drained,
    /// The buffer bound was reached with more to read.
    More,
    /// The master closed the connection.
    Eof,
}

/// Reads what the link has into the line buffer, up to a bound so that a
/// transfer is consumed as it comes and memory stays bounded.
fn read_link(srv: &mut Server) -> io::Result<LinkRead> {
    let now = srv.mstime / 1000;
    let rs = &mut srv.repl.replica;
    let Some(s) = rs.link.as_mut() else {
        return Ok(LinkRead::Eof);
    };
    let mut buf = [0u8; LINK_READ_CHUNK];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Ok(LinkRead::Eof),
            Ok(n) => {
                srv.repl.stat_net_repl_input_bytes += n as u64;
                rs.linebuf.extend_from_slice(&buf[..n]);
                rs.repl_transfer_lastio = now;
                if rs.linebuf.len() >= 4 * LINK_READ_CHUNK {
                    return Ok(LinkRead::More);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(LinkRead::Drained),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Takes one line (without "\r\n") from the line buffer (Redis `syncReadLine`).
fn take_line(srv: &mut Server) -> Option<Vec<u8>> {
    let rs = &mut srv.repl.replica;
    let i = rs.linebuf.iter().position(|&b| b == b'\n')?;
    let mut line: Vec<u8> = rs.linebuf.drain(..=i).collect();
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Some(line)
}

/// Events on the master link (Redis `syncWithMaster` and
/// `readSyncBulkPayload`): completes the connect, then advances the
/// handshake one reply at a time and receives the RDB.
pub fn handle_event(srv: &mut Server, ev: FiredEvent) {
    if ev.token.0 != REPL_TOKEN_MASTER_LINK
        || srv.repl.replica.in_load
        || srv.repl.replica.link.is_none()
    {
        return;
    }
    if srv.repl.state == ReplState::None {
        undo_connect_with_master(srv);
        return;
    }
    if srv.repl.state == ReplState::Connecting {
        let Some(s) = srv.repl.replica.link.as_ref().and_then(|l| l.tcp()) else {
            return;
        };
        let err = match s.take_error() {
            Ok(Some(e)) | Err(e) => Some(e),
            Ok(None) => None,
        };
        if let Some(e) = err {
            return sync_socket_error(srv, &e);
        }
        match s.peer_addr() {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                if ev.closed {
                    tracing::warn!("Error condition on socket for SYNC: Connection refused");
                    handshake_error(srv);
                }
                return;
            }
            Err(e) => return sync_socket_error(srv, &e),
        }
        // Over TLS the connection is up once the handshake is done; until
        // then each event advances it (Redis's CONNECTING state of a TLS
        // connection runs `SSL_connect` before the connect handler).
        if let Some(networking::Conn::Tls(t)) = srv.repl.replica.link.as_mut() {
            match t.handshake() {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => return sync_socket_error(srv, &e),
            }
        }
        tracing::info!("Non blocking connect for SYNC fired the event.");
        if let Some(s) = srv.repl.replica.link.as_mut() {
            let _ = s.register(
                srv.el.registry(),
                mio::Token(REPL_TOKEN_MASTER_LINK),
                Interest::READABLE,
                false,
            );
        }
        srv.repl.state = ReplState::ReceivePingReply;
        srv.repl.replica.repl_transfer_lastio = unixtime(srv);
        if !send_command(srv, &[b"PING"]) {
            return;
        }
    }
    // Edge-triggered: read until the socket is drained, consuming as we go,
    // but a fast master does not hold the loop for the whole transfer (the
    // cron, a SIGTERM, clients wait meanwhile): past the read budget of one
    // turn a TCP link is registered again, which reports the bytes still
    // waiting as a new event on the next poll (Redis reads one buffer per
    // readable event).
    let mut budget = networking::READ_BUDGET_BYTES;
    loop {
        let before = srv.repl.stat_net_repl_input_bytes;
        let got = match read_link(srv) {
            Ok(got) => got,
            Err(e) => {
                link_lost(srv, &crate::log::os_error_text(&e));
                return;
            }
        };
        drive_link(srv);
        let rs = &srv.repl.replica;
        if rs.link.is_none() || rs.in_load {
            return;
        }
        match got {
            LinkRead::Drained => return,
            LinkRead::Eof => {
                link_lost(srv, "connection lost");
                return;
            }
            // Not consumed (a line waiting for its end): too long.
            LinkRead::More if rs.linebuf.len() >= 4 * LINK_READ_CHUNK => {
                link_lost(srv, "line too long");
                return;
            }
            LinkRead::More => {}
        }
        let read = srv.repl.stat_net_repl_input_bytes.saturating_sub(before) as usize;
        budget = budget.saturating_sub(read);
        // Over TLS, bytes already decrypted wait in the session, where a
        // new registration would not see them: such a link reads on. Only
        // a transfer yields: after a failed one the link may already be a
        // new connection, whose connect waits for writability.
        if budget == 0
            && srv.repl.state == ReplState::Transfer
            && let Some(link @ networking::Conn::Tcp(_)) = srv.repl.replica.link.as_mut()
        {
            let _ = link.register(
                srv.el.registry(),
                mio::Token(REPL_TOKEN_MASTER_LINK),
                Interest::READABLE,
                false,
            );
            return;
        }
    }
}

/// The connect (or, over TLS, its handshake) failed: logs "Error
/// condition on socket for SYNC: <error>" and retries from the cron.
fn sync_socket_error(srv: &mut Server, e: &io::Error) {
    tracing::warn!(
        "Error condition on socket for SYNC: {}",
        crate::log::os_error_text(e)
    );
    handshake_error(srv);
}

/// The link failed while handshaking or transferring.
fn link_lost(srv: &mut Server, why: &str) {
    if srv.repl.state == ReplState::Transfer {
        tracing::warn!("I/O error trying to sync with MASTER: {}", why);
        cancel_replication_handshake(srv, true);
    } else {
        tracing::warn!("Failed to read response from the server: {}", why);
        tracing::warn!("Master did not respond to command during SYNC handshake");
        handshake_error(srv);
    }
}

/// Advances the handshake with the lines received.
fn drive_link(srv: &mut Server) {
    loop {
        if srv.repl.replica.link.is_none() {
            return;
        }
        if srv.repl.state != ReplState::Transfer
            && srv.repl.replica.linebuf.len() > MAX_HANDSHAKE_LINE
        {
            link_lost(srv, "line too long");
            return;
        }
        match srv.repl.state {
            ReplState::ReceivePingReply => {
                let Some(line) = take_line(srv) else { return };
                let ok = line.first() == Some(&b'+')
                    || line.starts_with(b"-NOAUTH")
                    || line.starts_with(b"-NOPERM")
                    || line.starts_with(b"-ERR operation not permitted");
                if !ok {
                    tracing::warn!(
                        "Error reply to PING from master: '{}'",
                        String::from_utf8_lossy(&line)
                    );
                    handshake_error(srv);
                    return;
                }
                tracing::info!("Master replied to PING, replication can continue...");
                if !send_handshake(srv) {
                    return;
                }
            }
            ReplState::ReceiveAuthReply => {
                let Some(line) = take_line(srv) else { return };
                if line.first() == Some(&b'-') {
                    tracing::warn!(
                        "Unable to AUTH to MASTER: {}",
                        String::from_utf8_lossy(&line)
                    );
                    handshake_error(srv);
                    return;
                }
                srv.repl.state = ReplState::ReceivePortReply;
            }
            ReplState::ReceivePortReply => {
                let Some(line) = take_line(srv) else { return };
                if line.first() == Some(&b'-') {
                    tracing::info!(
                        "(Non critical) Master does not understand REPLCONF listening-port: {}",
                        String::from_utf8_lossy(&line)
                    );
                }
                srv.repl.state = if srv.config.replica_announce_ip.is_empty() {
                    ReplState::ReceiveCapaReply
                } else {
                    ReplState::ReceiveIpReply
                };
            }
            ReplState::ReceiveIpReply => {
                let Some(line) = take_line(srv) else { return };
                if line.first() == Some(&b'-') {
                    tracing::info!(
                        "(Non critical) Master does not understand REPLCONF ip-address: {}",
                        String::from_utf8_lossy(&line)
                    );
                }
                srv.repl.state = ReplState::ReceiveCapaReply;
            }
            ReplState::ReceiveCapaReply => {
                let Some(line) = take_line(srv) else { return };
                if line.first() == Some(&b'-') {
                    tracing::info!(
                        "(Non critical) Master does not understand REPLCONF capa: {}",
                        String::from_utf8_lossy(&line)
                    );
                }
                srv.repl.state = ReplState::SendPsync;
                if !send_psync(srv) {
                    return;
                }
                srv.repl.state = ReplState::ReceivePsyncReply;
            }
            ReplState::ReceivePsyncReply => {
                let Some(line) = take_line(srv) else { return };
                // Newlines: the master keeps the link alive before replying.
                if line.is_empty() {
                    continue;
                }
                if !handle_psync_reply(srv, &line) {
                    return;
                }
            }
            ReplState::Transfer => {
                read_sync_bulk_payload(srv);
                return;
            }
            _ => return,
        }
    }
}

/// Sends AUTH (with `masteruser` when set), REPLCONF listening-port,
/// REPLCONF ip-address (with `replica-announce-ip`) and REPLCONF capa eof
/// capa psync2 in one go; their replies are read in order.
fn send_handshake(srv: &mut Server) -> bool {
    let mut buf = Vec::new();
    let auth = !srv.config.masterauth.is_empty();
    if auth {
        let pass = srv.config.masterauth.clone();
        if srv.config.masteruser.is_empty() {
            buf.extend(command_bytes(&[b"AUTH", &pass]));
        } else {
            let user = srv.config.masteruser.clone();
            buf.extend(command_bytes(&[b"AUTH", user.as_bytes(), &pass]));
        }
    }
    let port = if srv.config.replica_announce_port != 0 {
        srv.config.replica_announce_port
    } else if srv.config.tls_replication && srv.config.tls_port != 0 {
        srv.config.tls_port
    } else {
        srv.config.port
    };
    buf.extend(command_bytes(&[
        b"REPLCONF",
        b"listening-port",
        port.to_string().as_bytes(),
    ]));
    if !srv.config.replica_announce_ip.is_empty() {
        let ip = srv.config.replica_announce_ip.clone();
        buf.extend(command_bytes(&[b"REPLCONF", b"ip-address", ip.as_bytes()]));
    }
    buf.extend(command_bytes(&[
        b"REPLCONF",
        b"capa",
        b"eof",
        b"capa",
        b"psync2",
    ]));
    if let Err(e) = link_write(srv, &buf) {
        tracing::warn!("Sending command to master in replication handshake: {}", e);
        handshake_error(srv);
        return false;
    }
    srv.repl.state = if auth {
        ReplState::ReceiveAuthReply
    } else {
        ReplState::ReceivePortReply
    };
    true
}

/// Sends PSYNC (Redis `slaveTryPartialResynchronization`, writing half):
/// the cached master's ID and next offset, else `? -1`; `FAILOVER` is
/// appended while this server hands its role to the master it connects to.
fn send_psync(srv: &mut Server) -> bool {
    srv.repl.replica.master_initial_offset = -1;
    let (id, off) = match &srv.repl.replica.cached_master {
        Some(cm) => {
            let off = (cm.reploff + 1).to_string();
            tracing::info!(
                "Trying a partial resynchronization (request {}:{}).",
                cm.replid,
                off
            );
            (cm.replid.clone(), off)
        }
        None => {
            tracing::info!("Partial resynchronization not possible (no cached master)");
            ("?".to_string(), "-1".to_string())
        }
    };
    let mut args: Vec<&[u8]> = vec![b"PSYNC", id.as_bytes(), off.as_bytes()];
    if failover_in_progress(srv) {
        args.push(b"FAILOVER");
    }
    let buf = command_bytes(&args);
    if let Err(e) = link_write(srv, &buf) {
        tracing::warn!("Unable to send PSYNC to master: {}", e);
        abort_failover(srv, "Write error to failover target");
        tracing::warn!(
            "Sending command to master in replication handshake: Write error sending the PSYNC command."
        );
        handshake_error(srv);
        return false;
    }
    true
}

/// Outcome of PSYNC (Redis `PSYNC_*`).
#[derive(PartialEq, Eq, Clone, Copy)]
enum PsyncResult {
    Continue,
    FullResync,
    NotSupported,
    TryLater,
}

/// Handles the master's reply to PSYNC (Redis
/// `slaveTryPartialResynchronization`, reading half, and the rest of
/// `syncWithMaster`). Returns true when the link goes on to the transfer.
fn handle_psync_reply(srv: &mut Server, line: &[u8]) -> bool {
    let reply = String::from_utf8_lossy(line).into_owned();
    let result = if reply.starts_with("+FULLRESYNC") {
        let mut parts = reply.splitn(3, ' ');
        parts.next();
        let id = parts.next();
        let off = parts.next();
        match (id, off) {
            (Some(id), Some(off)) if id.len() == RUN_ID_SIZE => {
                srv.repl.replica.master_replid = id.to_string();
                srv.repl.replica.master_initial_offset =
                    crate::util::string2ll(off.trim().as_bytes()).unwrap_or(0);
                tracing::info!(
                    "Full resync from master: {}:{}",
                    id,
                    srv.repl.replica.master_initial_offset
                );
            }
            _ => {
                tracing::warn!("Master replied with wrong +FULLRESYNC syntax.");
                srv.repl.replica.master_replid = String::new();
            }
        }
        PsyncResult::FullResync
    } else if reply.starts_with("+CONTINUE") {
        tracing::info!("Successful partial resynchronization with master.");
        let new = reply.get(10..).unwrap_or("").trim_end();
        if new.len() == RUN_ID_SIZE
            && let Some(cm) = srv.repl.replica.cached_master.as_ref()
            && cm.replid != new
        {
            tracing::warn!("Master replication ID changed to {}", new);
            srv.repl.replid2 = cm.replid.clone();
            srv.repl.second_replid_offset = srv.repl.master_repl_offset + 1;
            srv.replid = new.to_string();
            if let Some(cm) = srv.repl.replica.cached_master.as_mut() {
                cm.replid = new.to_string();
            }
            disconnect_slaves(srv);
        }
        PsyncResult::Continue
    } else if reply.starts_with("-NOMASTERLINK") || reply.starts_with("-LOADING") {
        tracing::info!(
            "Master is currently unable to PSYNC but should be in the future: {}",
            reply
        );
        PsyncResult::TryLater
    } else {
        if !reply.starts_with("-ERR") {
            tracing::warn!("Unexpected reply to PSYNC from master: {}", reply);
        } else {
            tracing::info!(
                "Master does not support PSYNC or is in error state (reply: {})",
                reply
            );
        }
        PsyncResult::NotSupported
    };
    if failover_in_progress(srv) {
        if matches!(result, PsyncResult::Continue | PsyncResult::FullResync) {
            clear_failover_state(srv);
        } else {
            abort_failover(srv, "Failover target rejected psync request");
            return false;
        }
    }
    match result {
        PsyncResult::TryLater => {
            handshake_error(srv);
            false
        }
        PsyncResult::Continue => {
            replication_resurrect_cached_master(srv);
            if !crate::replication::master::has_backlog(srv) {
                crate::replication::master::create_replication_backlog(srv);
            }
            tracing::info!("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
            false
        }
        PsyncResult::NotSupported | PsyncResult::FullResync => {
            if result == PsyncResult::NotSupported {
                tracing::info!("Retrying with SYNC...");
                if let Err(e) = link_write(srv, b"SYNC\r\n") {
                    tracing::warn!("I/O error writing to MASTER: {}", e);
                    handshake_error(srv);
                    return false;
                }
            }
            prepare_transfer(srv)
        }
    }
}

/// Sets up the reception of the RDB: the temp file when loading from disk.
fn prepare_transfer(srv: &mut Server) -> bool {
    if !use_diskless_load(srv) {
        let mut file = None;
        for _ in 0..5 {
            let name = format!("temp-{}.{}.rdb", unixtime(srv), std::process::id());
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&name)
            {
                Ok(f) => {
                    file = Some(Ok((name, f)));
                    break;
                }
                Err(e) => {
                    file = Some(Err(e));
                    std::thread::sleep(std::time::Duration::from_secs(1));
                }
            }
        }
        match file {
            Some(Ok(f)) => srv.repl.replica.tmpfile = Some(f),
            Some(Err(e)) => {
                tracing::warn!(
                    "Opening the temp file needed for MASTER <-> REPLICA synchronization: {}",
                    crate::log::os_error_text(&e)
                );
                handshake_error(srv);
                return false;
            }
            None => return false,
        }
    }
    let rs = &mut srv.repl.replica;
    srv.repl.state = ReplState::Transfer;
    rs.repl_transfer_size = -1;
    rs.repl_transfer_read = 0;
    rs.repl_transfer_last_fsync_off = 0;
    rs.repl_transfer_lastio = srv.mstime / 1000;
    true
}

/// Whether the RDB is parsed straight from the socket (Redis
/// `useDisklessLoad`): `swapdb`, or `on-empty-db` with no keys at all.
fn use_diskless_load(srv: &Server) -> bool {
    use crate::config::ReplDisklessLoad;
    match srv.config.repl_diskless_load {
        ReplDisklessLoad::Swapdb => true,
        ReplDisklessLoad::OnEmptyDb => srv.dbs.iter().all(|d| d.dict.is_empty()),
        ReplDisklessLoad::Disabled => false,
    }
}

// ---- The transfer ----

/// Receives the RDB (Redis `readSyncBulkPayload`): the `$` header, then
/// the payload to the temp file, or to the parser.
fn read_sync_bulk_payload(srv: &mut Server) {
    let diskless = use_diskless_load(srv);
    while srv.repl.replica.repl_transfer_size == -1 {
        let Some(line) = take_line(srv) else { return };
        if line.first() == Some(&b'-') {
            tracing::warn!(
                "MASTER aborted replication with an error: {}",
                String::from_utf8_lossy(&line[1..])
            );
            cancel_replication_handshake(srv, true);
            return;
        }
        if line.is_empty() {
            // A newline: the master is alive while it prepares the RDB.
            srv.repl.replica.repl_transfer_lastio = unixtime(srv);
            continue;
        }
        if line[0] != b'$' {
            tracing::warn!(
                "Bad protocol from MASTER, the first byte is not '$' (we received '{}'), are you sure the host and port are right?",
                String::from_utf8_lossy(&line)
            );
            cancel_replication_handshake(srv, true);
            return;
        }
        let to = if diskless { "to parser" } else { "to disk" };
        let rs = &mut srv.repl.replica;
        if line[1..].starts_with(b"EOF:") && line.len() - 5 >= RUN_ID_SIZE {
            rs.usemark = true;
            rs.eofmark = line[5..5 + RUN_ID_SIZE].to_vec();
            rs.lastbytes = vec![0; RUN_ID_SIZE];
            rs.repl_transfer_size = 0;
            tracing::info!(
                "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF {}",
                to
            );
        } else {
            rs.usemark = false;
            rs.repl_transfer_size = parse_strtol(&line[1..]).max(0);
            tracing::info!(
                "MASTER <-> REPLICA sync: receiving {} bytes from master {}",
                rs.repl_transfer_size,
                to
            );
        }
    }
    if diskless {
        diskless_load(srv);
        return;
    }
    // To the temp file: everything received so far, up to the payload's end.
    let rs = &mut srv.repl.replica;
    let take = if rs.usemark {
        rs.linebuf.len()
    } else {
        let left = (rs.repl_transfer_size - rs.repl_transfer_read).max(0) as usize;
        left.min(rs.linebuf.len())
    };
    if take == 0 {
        return;
    }
    let chunk: Vec<u8> = rs.linebuf.drain(..take).collect();
    let mut eof_reached = false;
    if rs.usemark {
        if chunk.len() >= RUN_ID_SIZE {
            rs.lastbytes = chunk[chunk.len() - RUN_ID_SIZE..].to_vec();
        } else {
            rs.lastbytes.drain(..chunk.len());
            rs.lastbytes.extend_from_slice(&chunk);
        }
        eof_reached = rs.lastbytes == rs.eofmark;
    }
    let written = match rs.tmpfile.as_mut() {
        Some((_, f)) => f.write_all(&chunk),
        None => Err(io::Error::other("no temp file")),
    };
    if let Err(e) = written {
        tracing::warn!(
            "Write error or short write writing to the DB dump file needed for MASTER <-> REPLICA synchronization: {}",
            crate::log::os_error_text(&e)
        );
        cancel_replication_handshake(srv, true);
        return;
    }
    rs.repl_transfer_read += chunk.len() as i64;
    if rs.usemark
        && eof_reached
        && let Some((_, f)) = rs.tmpfile.as_mut()
        && let Err(e) = f.set_len((rs.repl_transfer_read - RUN_ID_SIZE as i64).max(0) as u64)
    {
        tracing::warn!(
            "Error truncating the RDB file received from the master for SYNC: {}",
            crate::log::os_error_text(&e)
        );
        cancel_replication_handshake(srv, true);
        return;
    }
    if rs.repl_transfer_read >= rs.repl_transfer_last_fsync_off + REPL_MAX_WRITTEN_BEFORE_FSYNC {
        if let Some((_, f)) = rs.tmpfile.as_mut() {
            let _ = f.sync_data();
        }
        rs.repl_transfer_last_fsync_off = rs.repl_transfer_read;
    }
    if !rs.usemark && rs.repl_transfer_read == rs.repl_transfer_size {
        eof_reached = true;
    }
    if eof_reached {
        disk_load(srv);
    }
}

/// `strtol` of a header: leading digits with an optional sign.
fn parse_strtol(s: &[u8]) -> i64 {
    let end = s
        .iter()
        .enumerate()
        .position(|(i, &b)| !(b.is_ascii_digit() || (i == 0 && (b == b'-' || b == b'+'))))
        .unwrap_or(s.len());
    crate::util::string2ll(&s[..end]).unwrap_or(0)
}

/// What Redis does before loading the master's RDB: stop the AOF and
/// kill an RDB child (its file would be stale).
fn prepare_for_load(srv: &mut Server, diskless: bool) {
    if srv.aof.state != crate::aof::AofStatus::Off {
        crate::aof::stop_append_only(srv);
    }
    if srv.child.kind == crate::childinfo::ChildType::Rdb {
        if !diskless {
            tracing::info!(
                "Replica is about to load the RDB file received from the master, but there is a pending RDB child running. Killing process {} and removing its temp file to avoid any race",
                srv.child.pid
            );
        }
        crate::rdb::kill_rdb_child(srv);
    }
}

/// Replaces the whole dataset with nothing (Redis `emptyData(-1, ...)`):
/// keys of every database and the function libraries;
/// `replica-lazy-flush` frees them in the background.
fn empty_data(srv: &mut Server) {
    crate::db::empty_data(srv, srv.config.replica_lazy_flush, true);
}

/// A new dataset from a new history arrives (Redis
/// `replicationAttachToNewMaster`): the cached master is useless, our
/// replicas must resync with us, and our backlog no longer applies.
fn replication_attach_to_new_master(srv: &mut Server) {
    replication_discard_cached_master(srv);
    disconnect_slaves(srv);
    crate::replication::master::free_replication_backlog(srv);
}

/// The temp file is complete: rename it to `dbfilename` and load it.
fn disk_load(srv: &mut Server) {
    prepare_for_load(srv, false);
    replication_attach_to_new_master(srv);
    tracing::info!("MASTER <-> REPLICA sync: Flushing old data");
    empty_data(srv);
    tracing::info!("MASTER <-> REPLICA sync: Loading DB in memory");
    let Some((tmpname, file)) = srv.repl.replica.tmpfile.take() else {
        cancel_replication_handshake(srv, true);
        return;
    };
    if let Err(e) = file.sync_all() {
        tracing::warn!(
            "Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: {}",
            crate::log::os_error_text(&e)
        );
        srv.repl.replica.tmpfile = Some((tmpname, file));
        cancel_replication_handshake(srv, true);
        return;
    }
    drop(file);
    let dbfilename = srv.config.dbfilename.clone();
    if let Err(e) = std::fs::rename(&tmpname, &dbfilename) {
        tracing::warn!(
            "Failed trying to rename the temp DB into {} in MASTER <-> REPLICA synchronization: {}",
            dbfilename,
            crate::log::os_error_text(&e)
        );
        let _ = std::fs::remove_file(&tmpname);
        cancel_replication_handshake(srv, true);
        return;
    }
    srv.repl.replica.in_load = true;
    let loaded = crate::rdb::rdb_load(srv, &dbfilename);
    srv.repl.replica.in_load = false;
    let del_sync_file = srv.config.rdb_del_sync_files
        && srv.config.save_params.is_empty()
        && !srv.config.appendonly;
    let info = match loaded {
        Ok(info) => info,
        Err(e) => {
            tracing::warn!(
                "Failed trying to load the MASTER synchronization DB from disk: {}",
                e
            );
            cancel_replication_handshake(srv, true);
            if del_sync_file {
                tracing::info!(
                    "Removing the RDB file obtained from the master. This replica has persistence disabled"
                );
                let _ = std::fs::remove_file(&dbfilename);
            }
            return;
        }
    };
    if del_sync_file {
        tracing::info!(
            "Removing the RDB file obtained from the master. This replica has persistence disabled"
        );
        let _ = std::fs::remove_file(&dbfilename);
    }
    let leftover = std::mem::take(&mut srv.repl.replica.linebuf);
    finish_full_sync(srv, info.repl_stream_db.unwrap_or(-1), leftover);
}

/// Puts the link's socket in blocking mode with `timeout` for reads and
/// writes (Redis `connBlock` + `connRecvTimeout`), or back to the event
/// loop's non-blocking mode with `None`. A TLS stream is told too, so
/// that its reads return what they have.
fn set_link_blocking(
    conn: &mut networking::Conn,
    timeout: Option<std::time::Duration>,
) -> io::Result<()> {
    if let networking::Conn::Tls(t) = conn {
        t.set_blocking(timeout.is_some());
    }
    let Some(s) = conn.tcp() else {
        return Err(io::Error::new(io::ErrorKind::Unsupported, "not a TCP link"));
    };
    let sock = socket2::SockRef::from(s);
    sock.set_nonblocking(timeout.is_none())?;
    sock.set_read_timeout(timeout)?;
    sock.set_write_timeout(timeout)
}

/// Reads the RDB from the link in blocking mode (Redis
/// `rioInitWithConn`): bytes already received come first; a read waits
/// at most `repl-timeout` (a signal interrupting it, such as the
/// watchdog's SIGALRM, only restarts it); a newline is written to the
/// master once a second so it does not time us out while we load (the
/// socket load's part of [`replication_send_newline_to_master`], as the
/// link is in here meanwhile). What is left in the
/// buffer after the RDB (the EOF mark, the first commands of the stream)
/// is taken back by the caller, and the connection with it.
struct LinkReader {
    /// The link, out of `srv.repl.replica.link` while the load runs.
    sock: networking::Conn,
    buf: Vec<u8>,
    pos: usize,
    /// Bytes handed out so far.
    read: u64,
    /// Bytes received from the socket.
    received: u64,
    /// Unix time (s) of the last keep-alive newline.
    newline_sent: i64,
}

impl LinkReader {
    fn fill(&mut self) -> io::Result<()> {
        let now = crate::util::mstime() / 1000;
        if now != self.newline_sent {
            self.newline_sent = now;
            let _ = self.sock.write_vectored(&[io::IoSlice::new(b"\n")]);
        }
        self.buf.clear();
        self.pos = 0;
        self.buf.resize(64 * 1024, 0);
        loop {
            match self.sock.read(&mut self.buf) {
                Ok(0) => {
                    self.buf.clear();
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "connection lost",
                    ));
                }
                Ok(n) => {
                    self.buf.truncate(n);
                    self.received += n as u64;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf.clear();
                    return Err(e);
                }
            }
        }
    }

    fn rest(&self) -> Vec<u8> {
        self.buf[self.pos..].to_vec()
    }
}

impl Read for LinkReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if self.pos >= self.buf.len() {
            self.fill()?;
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        self.read += n as u64;
        Ok(n)
    }
}

/// Parses the RDB straight from the socket (the diskless half of Redis
/// `readSyncBulkPayload`).
fn diskless_load(srv: &mut Server) {
    use crate::config::ReplDisklessLoad;
    let swapdb = srv.config.repl_diskless_load == ReplDisklessLoad::Swapdb;
    let Some(mut sock) = srv.repl.replica.link.take() else {
        return;
    };
    let timeout = std::time::Duration::from_secs(srv.config.repl_timeout.max(1) as u64);
    if let Err(e) = set_link_blocking(&mut sock, Some(timeout)) {
        let _ = set_link_blocking(&mut sock, None);
        srv.repl.replica.link = Some(sock);
        tracing::warn!(
            "Failed trying to load the MASTER synchronization DB from socket: {}",
            crate::log::os_error_text(&e)
        );
        cancel_replication_handshake(srv, true);
        return;
    }
    prepare_for_load(srv, true);
    if !swapdb {
        replication_attach_to_new_master(srv);
        tracing::info!("MASTER <-> REPLICA sync: Flushing old data");
        empty_data(srv);
    }
    tracing::info!("MASTER <-> REPLICA sync: Loading DB in memory");
    let mut reader = LinkReader {
        sock,
        buf: std::mem::take(&mut srv.repl.replica.linebuf),
        pos: 0,
        read: 0,
        received: 0,
        newline_sent: unixtime(srv),
    };
    let usemark = srv.repl.replica.usemark;
    let size = if usemark {
        // Unknown: bounded only by what a load may allocate per record.
        1u64 << 40
    } else {
        srv.repl.replica.repl_transfer_size as u64
    };
    crate::rdb::start_loading(srv, if usemark { 0 } else { size });
    srv.rdb.async_loading = swapdb && srv.replid == srv.repl.replica.master_replid;
    // The loaded databases are out of `srv` while clients are served;
    // without swapdb the (flushed) live ones are filled directly.
    let fresh: Vec<crate::db::RedisDb> = (0..srv.dbs.len()).map(crate::db::RedisDb::new).collect();
    let mut dbs = if swapdb {
        fresh
    } else {
        std::mem::replace(&mut srv.dbs, fresh)
    };
    let opts = crate::rdb::RdbLoadOptions::from_server(srv);
    srv.repl.replica.in_load = true;
    let interval = srv.config.loading_process_events_interval_bytes.max(1) as u64;
    let key_load_delay = srv.config.key_load_delay;
    let mut last_chunk = 0u64;
    let result = {
        let srv_ref = &mut *srv;
        let mut progress = |pos: u64, _info: &crate::rdb::RdbLoadInfo| {
            if key_load_delay != 0 {
                crate::rdb::debug_delay(key_load_delay);
            }
            srv_ref.repl.replica.repl_transfer_read = pos as i64;
            if pos / interval > last_chunk {
                last_chunk = pos / interval;
                crate::rdb::loading_abs_progress(srv_ref, pos);
                crate::server::process_events_while_blocked(srv_ref);
            }
        };
        crate::rdb::rdb_load_rio_with_progress(&mut reader, size, &mut dbs, &opts, &mut progress)
    };
    srv.repl.replica.in_load = false;
    srv.repl.replica.repl_transfer_read = reader.read as i64;
    srv.repl.stat_net_repl_input_bytes += reader.received;
    let mut failed = match &result {
        Ok(_) => false,
        Err(e) => {
            // Redis `rdbReportError` for a socket load: a short read is a
            // lost connection, anything else a corrupt payload.
            use crate::rdb::RdbLoadError as E;
            if matches!(e, E::ShortRead { .. } | E::Io(_)) {
                tracing::warn!(
                    "{}. Failure loading rdb format from socket, assuming connection error, resuming operation.",
                    e.internal_error_line()
                );
            } else {
                tracing::warn!("{}. Failure loading rdb format", e.internal_error_line());
            }
            tracing::warn!(
                "Failed trying to load the MASTER synchronization DB from socket: {}",
                e
            );
            true
        }
    };
    if !failed && usemark {
        let mut mark = [0u8; RUN_ID_SIZE];
        if reader.read_exact(&mut mark).is_err() || mark[..] != srv.repl.replica.eofmark[..] {
            tracing::warn!("Replication stream EOF marker is broken");
            failed = true;
        }
    }
    let leftover = reader.rest();
    let mut sock = reader.sock;
    let _ = set_link_blocking(&mut sock, None);
    if srv.repl.state == ReplState::Transfer {
        srv.repl.replica.link = Some(sock);
    } else {
        sock.deregister(srv.el.registry());
    }
    let info = match (failed, result) {
        (false, Ok(info)) => info,
        _ => {
            if !swapdb {
                srv.dbs = dbs;
            }
            crate::rdb::stop_loading(srv, false);
            cancel_replication_handshake(srv, true);
            if swapdb {
                tracing::info!("MASTER <-> REPLICA sync: Discarding temporary DB in background");
            } else {
                empty_data(srv);
            }
            return;
        }
    };
    if swapdb {
        replication_attach_to_new_master(srv);
        tracing::info!("MASTER <-> REPLICA sync: Swapping active DB with loaded DB");
        for id in 0..srv.dbs.len() {
            crate::multi::touch_all_watched_keys_in_db(srv, id, None);
        }
        crate::tracking::tracking_invalidate_keys_on_flush(srv);
        let old = std::mem::replace(&mut srv.dbs, dbs);
        crate::function::functions_lib_ctx_clear_current(srv);
        let keys: u64 = old.iter().map(|d| d.dict.len() as u64).sum();
        crate::bio::lazy_free(Box::new(old), keys);
        tracing::info!("MASTER <-> REPLICA sync: Discarding old DB in background");
    } else {
        srv.dbs = dbs;
    }
    for id in 0..srv.dbs.len() {
        crate::blocked::scan_database_for_ready_keys(srv, id);
    }
    let info = match crate::rdb::rdb_create_functions(srv, info, true, reader_size_hint(size)) {
        Ok(info) => info,
        Err(e) => {
            e.log();
            crate::rdb::stop_loading(srv, false);
            cancel_replication_handshake(srv, true);
            return;
        }
    };
    srv.rdb_last_load_keys_loaded = info.keys_loaded;
    srv.rdb_last_load_keys_expired = info.keys_expired;
    tracing::info!(
        "Done loading RDB, keys loaded: {}, keys expired: {}.",
        info.keys_loaded,
        info.keys_expired
    );
    srv.dirty += 1;
    crate::rdb::stop_loading(srv, true);
    finish_full_sync(srv, info.repl_stream_db.unwrap_or(-1), leftover);
}

/// Keeps the master from timing us out while we load its RDB (Redis
/// `replicationSendNewlineToMaster`, called by the loading progress every
/// `loading-process-events-interval-bytes`): during the transfer, at most
/// once a second, a newline is written to the link. This serves the load
/// of a file received to disk; a load from the socket holds the link in
/// its reader, which writes the newline itself (`LinkReader::fill`). The master counts any
/// input as a sign of life and ignores empty lines. Write errors are left
/// to the reads to find.
pub fn replication_send_newline_to_master(srv: &mut Server) {
    if srv.repl.masterhost.is_none() || srv.repl.state != ReplState::Transfer {
        return;
    }
    let now = crate::util::mstime() / 1000;
    let rs = &mut srv.repl.replica;
    if now == rs.newline_sent {
        return;
    }
    rs.newline_sent = now;
    if let Some(link) = rs.link.as_mut() {
        let _ = link.write_vectored(&[io::IoSlice::new(b"\n")]);
    }
}

fn reader_size_hint(size: u64) -> u64 {
    if size == 1u64 << 40 { 0 } else { size }
}

/// The RDB is loaded: the link becomes the master client, and we adopt
/// the master's replication ID and offset (end of Redis `readSyncBulkPayload`).
fn finish_full_sync(srv: &mut Server, dbid: i64, leftover: Vec<u8>) {
    let replid = srv.repl.replica.master_replid.clone();
    let reploff = srv.repl.replica.master_initial_offset;
    let db = if dbid >= 0 && (dbid as usize) < srv.dbs.len() {
        dbid as usize
    } else {
        0
    };
    if !replication_create_master_client(srv, replid.clone(), reploff, db, leftover) {
        cancel_replication_handshake(srv, true);
        return;
    }
    srv.repl.state = ReplState::Connected;
    srv.repl.repl_down_since = 0;
    srv.replid = replid;
    srv.repl.master_repl_offset = reploff;
    crate::replication::clear_replication_id2(srv);
    if !crate::replication::master::has_backlog(srv) {
        crate::replication::master::create_replication_backlog(srv);
    }
    tracing::info!("MASTER <-> REPLICA sync: Finished with success");
    if srv.repl.replica.usemark {
        replication_send_ack(srv);
    }
    if srv.config.appendonly {
        restart_aof_after_sync(srv);
    }
}

/// Turns the AOF back on after a sync (Redis `restartAOFAfterSYNC`).
fn restart_aof_after_sync(srv: &mut Server) {
    for _ in 0..10 {
        if crate::aof::start_append_only(srv) {
            return;
        }
        tracing::warn!(
            "Failed enabling the AOF after successful master synchronization! Trying it again in one second."
        );
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    tracing::warn!(
        "FATAL: this replica instance finished the synchronization with its master, but the AOF can't be turned on. Exiting now."
    );
    std::process::exit(1);
}

// ---- The master client ----

/// Makes the link the master client (Redis `replicationCreateMasterClient`):
/// a client in the slab flagged `CLIENT_MASTER`, authenticated as the
/// superuser, at offset `reploff` (`CLIENT_PRE_PSYNC` when -1), selecting
/// `db`. `leftover` (stream bytes read with the end of the RDB or the
/// PSYNC reply) is queued as its first input. False if the link is gone.
fn replication_create_master_client(
    srv: &mut Server,
    replid: String,
    reploff: i64,
    db: usize,
    leftover: Vec<u8>,
) -> bool {
    let Some(mut stream) = srv.repl.replica.link.take() else {
        return false;
    };
    srv.repl.replica.linebuf = Vec::new();
    stream.deregister(srv.el.registry());
    let tcp = stream.tcp();
    let addr = tcp
        .and_then(|s| s.peer_addr().ok())
        .map(|a| a.to_string())
        .unwrap_or_default();
    let laddr = tcp
        .and_then(|s| s.local_addr().ok())
        .map(|a| a.to_string())
        .unwrap_or_default();
    let Some(slot) = srv.add_client(stream, addr, laddr, false) else {
        return false;
    };
    // Not an accepted connection.
    srv.stat_numconnections = srv.stat_numconnections.saturating_sub(1);
    let Some(mut c) = srv.take_client(slot) else {
        return false;
    };
    c.flags |= CLIENT_MASTER;
    c.authenticated = true;
    c.user = None;
    c.db = db;
    if reploff == -1 {
        c.flags |= CLIENT_PRE_PSYNC;
    }
    c.repl = Some(Box::new(ClientRepl {
        reploff,
        read_reploff: reploff,
        replid,
        ..Default::default()
    }));
    srv.repl.master_client = Some(slot);
    srv.repl.replica.master_client_id = Some(c.id);
    if !leftover.is_empty() {
        c.querybuf.extend_from_slice(&leftover);
        master_read_bytes(&mut c, &leftover);
    }
    // Bytes may wait in the socket (the edge was consumed by the link).
    srv.mark_pending_read(&mut c);
    srv.put_client(c);
    true
}

/// Capacity of the master client's unapplied-stream buffer kept for reuse
/// once it is empty, bytes (beyond it the allocation is freed).
const REPL_UNAPPLIED_KEEP: usize = 64 * 1024;

/// Counts bytes just read from the master into its query buffer (called
/// by `networking::read_query_from_client` for `CLIENT_MASTER` clients):
/// `read_reploff` grows and the bytes are kept until their command is
/// applied, to be proxied to our own replicas.
pub fn master_read_bytes(c: &mut Client, bytes: &[u8]) {
    if let Some(r) = c.repl.as_mut() {
        r.read_reploff += bytes.len() as i64;
        r.repl_unapplied.extend_from_slice(bytes);
    }
}

/// After each command of the master client (called by `networking`,
/// Redis `commandProcessed`): outside MULTI, `reploff` becomes the offset
/// of the last byte parsed, and the bytes of what was applied go to our
/// backlog and replicas with `master::feed_stream_from_master`.
pub fn master_command_processed(srv: &mut Server, c: &mut Client) {
    if c.flags & networking::CLIENT_MULTI != 0 {
        return;
    }
    let unparsed = c.querybuf.len() as i64;
    let Some(r) = c.repl.as_mut() else {
        return;
    };
    let new_off = r.read_reploff - unparsed;
    let applied = (new_off - r.reploff).clamp(0, r.repl_unapplied.len() as i64) as usize;
    r.reploff = new_off;
    if applied == 0 {
        return;
    }
    let bytes = r.repl_unapplied.split_to(applied);
    // Once everything read is applied, a buffer grown by a big command is
    // given back: the empty remainder would keep its whole allocation.
    if r.repl_unapplied.is_empty() && r.repl_unapplied.capacity() > REPL_UNAPPLIED_KEEP {
        r.repl_unapplied = bytes::BytesMut::new();
    }
    crate::replication::master::feed_stream_from_master(srv, &bytes);
}

/// True while the master client's command runs (Redis `server.current_client
/// == server.master`): it sees keys whose time passed, since only its DEL
/// removes them.
pub fn executing_master(srv: &Server) -> bool {
    srv.repl.replica.master_client_id.is_some()
        && srv.tracking.current == srv.repl.replica.master_client_id
}

/// Writes `REPLCONF ACK <reploff>` to the master (Redis
/// `replicationSendAck`), every second from the cron.
pub fn replication_send_ack(srv: &mut Server) {
    let Some(slot) = srv.repl.master_client else {
        return;
    };
    let Some(mut c) = srv.take_client(slot) else {
        return;
    };
    replication_send_ack_to(srv, &mut c);
    srv.put_client(c);
}

/// [`replication_send_ack`] when the master client is the one running a
/// command (REPLCONF GETACK): the ACK carries the offset before GETACK.
pub fn replication_send_ack_to(srv: &mut Server, c: &mut Client) {
    let off = c.repl.as_ref().map(|r| r.reploff).unwrap_or(0);
    c.flags |= CLIENT_MASTER_FORCE_REPLY;
    c.add_reply_array_len(3);
    c.add_reply_bulk(b"REPLCONF");
    c.add_reply_bulk(b"ACK");
    c.add_reply_bulk(off.to_string().as_bytes());
    c.flags &= !CLIENT_MASTER_FORCE_REPLY;
    srv.mark_pending_write(c);
}

/// The master's offset as a replica reports it (Redis
/// `replicationGetSlaveOffset`, INFO `slave_repl_offset`): the master
/// client's `reploff`, else the cached master's, never negative; 0 on a master.
pub fn replication_get_slave_offset(srv: &Server) -> i64 {
    if srv.repl.masterhost.is_none() {
        return 0;
    }
    let off = match master_client_repl(srv) {
        Some(r) => r.reploff,
        None => srv
            .repl
            .replica
            .cached_master
            .as_ref()
            .map(|m| m.reploff)
            .unwrap_or(0),
    };
    off.max(0)
}

/// The master client's replication fields while connected (None when it
/// is not in the table).
pub fn master_client_repl(srv: &Server) -> Option<&ClientRepl> {
    let slot = srv.repl.master_client?;
    srv.clients_iter()
        .find(|c| c.slot == slot)
        .and_then(|c| c.repl.as_deref())
}

/// Unix seconds since the master last sent anything (INFO
/// `master_last_io_seconds_ago`), -1 when not connected.
pub fn master_last_io_seconds_ago(srv: &Server) -> i64 {
    let Some(slot) = srv.repl.master_client else {
        return -1;
    };
    srv.clients_iter()
        .find(|c| c.slot == slot)
        .map(|c| (srv.mstime - c.lastinteraction) / 1000)
        .unwrap_or(-1)
}

/// Frees the master client if connected; [`free_master_client`] caches
/// it on the way (callers that change masters discard the cache after).
fn free_current_master(srv: &mut Server) {
    let Some(slot) = srv.repl.master_client else {
        return;
    };
    match srv.take_client(slot) {
        Some(c) => srv.free_client(c),
        None => {
            // It is running this very command: closed after it.
            srv.repl.master_client = None;
            srv.repl.replica.master_client_id = None;
        }
    }
}

/// The master client is being freed (Redis `freeClient` for
/// `server.master`): logs "Connection with master lost." and caches it
/// ("Caching the disconnected master state.") so that the reconnection,
/// started at once when a master is still set ("Reconnecting to MASTER
/// host:port"), can PSYNC from where it stopped.
pub fn free_master_client(srv: &mut Server, c: &mut Client) {
    if srv.repl.master_client != Some(c.slot) {
        return;
    }
    tracing::warn!("Connection with master lost.");
    let (replid, reploff) = c
        .repl
        .as_ref()
        .map(|r| (r.replid.clone(), r.reploff))
        .unwrap_or_default();
    tracing::info!("Caching the disconnected master state.");
    srv.repl.replica.cached_master = Some(CachedMaster {
        replid,
        reploff,
        db: c.db,
        pre_psync: c.flags & CLIENT_PRE_PSYNC != 0,
    });
    // The rest of the client is freed by the caller.
    c.flags &= !CLIENT_MASTER;
    replication_handle_master_disconnection(srv);
}

/// The link with the master went down (Redis
/// `replicationHandleMasterDisconnection`): reconnect at once.
fn replication_handle_master_disconnection(srv: &mut Server) {
    srv.repl.master_client = None;
    srv.repl.replica.master_client_id = None;
    srv.repl.state = ReplState::Connect;
    srv.repl.repl_down_since = unixtime(srv);
    if let Some(h) = srv.repl.masterhost.clone() {
        tracing::info!("Reconnecting to MASTER {}:{}", h, srv.repl.masterport);
        connect_with_master(srv);
    }
}

/// Makes a cached master from our own ID and offset (Redis
/// `replicationCacheMasterUsingMyself`), before turning into a replica.
fn replication_cache_master_using_myself(srv: &mut Server) {
    tracing::info!(
        "Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer."
    );
    srv.repl.replica.cached_master = Some(CachedMaster {
        replid: srv.replid.clone(),
        reploff: srv.repl.master_repl_offset,
        db: 0,
        pre_psync: false,
    });
}

/// Forgets the cached master (Redis `replicationDiscardCachedMaster`):
/// logs "Discarding previously cached master state.".
fn replication_discard_cached_master(srv: &mut Server) {
    if srv.repl.replica.cached_master.take().is_some() {
        tracing::info!("Discarding previously cached master state.");
    }
}

/// +CONTINUE: the cached master becomes the master client on the link
/// (Redis `replicationResurrectCachedMaster`); what followed the reply in
/// the link buffer is its first input.
fn replication_resurrect_cached_master(srv: &mut Server) {
    let Some(cm) = srv.repl.replica.cached_master.take() else {
        handshake_error(srv);
        return;
    };
    let leftover = std::mem::take(&mut srv.repl.replica.linebuf);
    let db = cm.db.min(srv.dbs.len().saturating_sub(1));
    if !replication_create_master_client(srv, cm.replid, cm.reploff, db, leftover) {
        handshake_error(srv);
        return;
    }
    if cm.pre_psync
        && let Some(slot) = srv.repl.master_client
        && let Some(c) = srv.client_mut(slot)
    {
        c.flags |= CLIENT_PRE_PSYNC;
    }
    srv.repl.state = ReplState::Connected;
    srv.repl.repl_down_since = 0;
}

/// Closes every replica attached to us (Redis `disconnectSlaves`): they
/// reconnect and PSYNC, learning a new replication ID.
fn disconnect_slaves(srv: &mut Server) {
    for slot in srv.repl.replicas.clone() {
        srv.free_client_async(slot);
    }
}

/// Unblocks clients blocked on keys when we become a replica (Redis
/// `disconnectAllBlockedClients`): each gets "-UNBLOCKED force unblock
/// from blocking operation, instance state changed (master -> replica?)"
/// and is closed after the reply. Clients held by CLIENT PAUSE are left
/// alone: their command runs (or is refused) from scratch later.
fn disconnect_all_blocked_clients(srv: &mut Server) {
    let slots: Vec<usize> = srv
        .clients_iter()
        .filter(|c| {
            c.flags & networking::CLIENT_BLOCKED != 0
                && c.flags & networking::CLIENT_PENDING_COMMAND == 0
        })
        .map(|c| c.slot)
        .collect();
    for slot in slots {
        let Some(mut c) = srv.take_client(slot) else {
            continue;
        };
        c.add_reply_error(
            "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)",
        );
        srv.record_error_codes(&mut c);
        crate::blocked::unblock_client(srv, &mut c);
        c.flags |= networking::CLIENT_CLOSE_AFTER_REPLY;
        srv.mark_pending_write(&mut c);
        srv.put_client(c);
    }
}

// ---- Cron ----

/// The replica part of `replicationCron`: handshake and transfer
/// timeouts ("Timeout connecting to the MASTER...", "Timeout receiving
/// bulk data from MASTER... If the problem persists try to set the
/// 'repl-timeout' parameter in redis.conf to a larger value."), the
/// master's silence ("MASTER timeout: no data nor PING received..."),
/// (re)connecting, and the ACK every second.
pub fn replication_cron(srv: &mut Server) {
    if srv.repl.masterhost.is_none() {
        return;
    }
    let now = unixtime(srv);
    let timeout = srv.config.repl_timeout as i64;
    let st = srv.repl.state;
    if (st == ReplState::Connecting || st.is_handshake())
        && now - srv.repl.replica.repl_transfer_lastio > timeout
    {
        tracing::warn!("Timeout connecting to the MASTER...");
        cancel_replication_handshake(srv, true);
    }
    if srv.repl.state == ReplState::Transfer
        && now - srv.repl.replica.repl_transfer_lastio > timeout
    {
        tracing::warn!(
            "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value."
        );
        cancel_replication_handshake(srv, true);
    }
    let mstime = srv.mstime;
    if srv.repl.state == ReplState::Connected
        && let Some(slot) = srv.repl.master_client
        && let Some(c) = srv.client_mut(slot)
        && (mstime - c.lastinteraction) / 1000 > timeout
    {
        tracing::warn!("MASTER timeout: no data nor PING received...");
        free_current_master(srv);
    }
    if srv.repl.state == ReplState::Connect {
        if let Some(h) = srv.repl.masterhost.clone() {
            tracing::info!("Connecting to MASTER {}:{}", h, srv.repl.masterport);
        }
        connect_with_master(srv);
    }
    if let Some(slot) = srv.repl.master_client
        && srv
            .client_mut(slot)
            .is_some_and(|c| c.flags & CLIENT_PRE_PSYNC == 0)
    {
        replication_send_ack(srv);
    }
}

/// The replica part of `before_sleep`: nothing is deferred to it (ACKs
/// are written when asked for, by the cron and REPLCONF GETACK).
pub fn before_sleep(_srv: &mut Server) {}

/// A stream command of the master as bytes (for tests of the proxying).
#[cfg(test)]
fn resp(args: &[&[u8]]) -> bytes::Bytes {
    bytes::Bytes::from(command_bytes(args))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_commands_are_resp_arrays() {
        assert_eq!(
            &resp(&[b"REPLCONF", b"capa", b"eof"])[..],
            b"*3\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n"
        );
    }

    #[test]
    fn strtol_takes_leading_digits() {
        assert_eq!(parse_strtol(b"1234"), 1234);
        assert_eq!(parse_strtol(b"12x"), 12);
        assert_eq!(parse_strtol(b"x"), 0);
    }

    #[test]
    fn master_offsets_follow_applied_bytes() {
        let mut c = Client::new(1, 0, None, String::new(), String::new(), 0);
        c.flags |= CLIENT_MASTER;
        c.repl = Some(Box::new(ClientRepl {
            reploff: 100,
            read_reploff: 100,
            ..Default::default()
        }));
        let data = b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPI";
        c.querybuf.extend_from_slice(data);
        master_read_bytes(&mut c, data);
        let r = c.repl.as_ref().map(|r| r.read_reploff);
        assert_eq!(r, Some(100 + data.len() as i64));
        // The first command parsed: 14 bytes consumed, 10 left unparsed.
        let _ = c.querybuf.split_to(14);
        let mut srv = Server::new(crate::config::Config::default()).expect("server");
        master_command_processed(&mut srv, &mut c);
        let r = c.repl.as_ref().map(|r| (r.reploff, r.repl_unapplied.len()));
        assert_eq!(r, Some((114, 10)));
    }
}
