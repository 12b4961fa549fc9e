//! Replication (Redis `replication.c`): PSYNC2 master and replica sides.
//!
//! # Layout
//! - `mod.rs` (this file): the state both roles share (replication IDs,
//!   the master offset, the link to a master), the per-client replication
//!   fields, and the hooks the server core calls (`propagate`, the event
//!   loop, `server_cron`, `before_sleep`, `process_command`).
//! - [`master`]: the master side: the replication backlog and the feed of
//!   the stream into it and the replicas, SYNC/PSYNC, REPLCONF, WAIT,
//!   `min-replicas-*`.
//! - [`fullsync`]: the master's side of a full resync: the BGSAVE for
//!   replicas, the disk (`$<len>` + file) and diskless (`$EOF:` through a
//!   pipe from the child) transfers.
//! - [`replica`]: the replica side: REPLICAOF/SLAVEOF, the handshake, the
//!   RDB transfer and load, the master client, the cached master for
//!   partial resync, reconnection.
//! - [`failover`]: ROLE, FAILOVER, the INFO replication section.
//!
//! # The stream and its offsets
//! Every byte a master sends to its replicas after the initial RDB is part
//! of the replication stream, and `master_repl_offset` counts them all. A
//! replica keeps the same bytes (it proxies what it applied to its own
//! replicas through the same backlog), so the offset means the same
//! position everywhere in a chain, and a replica promoted to master keeps
//! serving PSYNC for the old history under `replid2` up to
//! `second_replid_offset` (PSYNC2).

pub mod failover;
pub mod fullsync;
pub mod master;
pub mod replica;

use crate::networking::Client;
use crate::server::Server;

/// Client flag: this client is a replica attached to us (Redis `CLIENT_SLAVE`).
pub const CLIENT_SLAVE: u64 = 1 << 31;
/// Client flag: this client is our master (Redis `CLIENT_MASTER`).
pub const CLIENT_MASTER: u64 = 1 << 32;
/// Client flag: a replica that sent PSYNC but is not yet fed the stream
/// (Redis `CLIENT_PRE_PSYNC`); output waits until the RDB is sent.
pub const CLIENT_PRE_PSYNC: u64 = 1 << 33;
/// Client flag: a replica that wants only the RDB, no stream (Redis
/// `CLIENT_REPL_RDBONLY`, `REPLCONF rdb-only 1`).
pub const CLIENT_REPL_RDBONLY: u64 = 1 << 34;
/// Client flag: replies to this master client are sent (REPLCONF GETACK's
/// ACK; Redis `CLIENT_MASTER_FORCE_REPLY`).
pub const CLIENT_MASTER_FORCE_REPLY: u64 = 1 << 35;
/// Client flag: never close this client for idleness or output limits while
/// it is being set up (Redis `CLIENT_PROTECTED`).
pub const CLIENT_PROTECTED: u64 = 1 << 36;

/// Replica capability bits (Redis `SLAVE_CAPA_*`), from `REPLCONF capa`.
pub const SLAVE_CAPA_EOF: u32 = 1 << 0;
pub const SLAVE_CAPA_PSYNC2: u32 = 1 << 1;

/// Event-loop tokens of replication sockets and pipes (below
/// [`crate::metrics::METRICS_TOKEN_BASE`], far above client tokens).
pub const REPL_TOKEN_BASE: usize = crate::metrics::METRICS_TOKEN_BASE - 64;
/// The socket to our master while handshaking / receiving the RDB (replica side).
pub const REPL_TOKEN_MASTER_LINK: usize = REPL_TOKEN_BASE;
/// The read end of the pipe a diskless-sync child writes the RDB to (master side).
pub const REPL_TOKEN_RDB_PIPE: usize = REPL_TOKEN_BASE + 1;
/// Further tokens up to `REPL_TOKEN_BASE + 63` are free for either side;
/// the master side uses `+2..+32`, the replica side `+33..+63`.
pub const REPL_TOKEN_END: usize = REPL_TOKEN_BASE + 64;

/// 40 zeros: "no ID" (Redis clears `replid2` to this).
pub const NULL_REPLID: &str = "0000000000000000000000000000000000000000";

/// State of a replica client on the master (Redis `SLAVE_STATE_*`); INFO
/// prints it as `wait_bgsave`, `send_bulk` or `online`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SlaveState {
    /// Waiting for a BGSAVE that can serve it to start.
    #[default]
    WaitBgsaveStart,
    /// A BGSAVE for it is running.
    WaitBgsaveEnd,
    /// The RDB file is being sent.
    SendBulk,
    /// Fed the replication stream.
    Online,
    /// The RDB was sent over the socket (diskless); online after the first ACK.
    RdbTransmitted,
}

impl SlaveState {
    /// The word INFO replication prints in `slaveN:...,state=`.
    pub fn info_name(self) -> &'static str {
        match self {
            SlaveState::WaitBgsaveStart | SlaveState::WaitBgsaveEnd => "wait_bgsave",
            SlaveState::SendBulk => "send_bulk",
            SlaveState::Online | SlaveState::RdbTransmitted => "online",
        }
    }
}

/// The replica's link to its master (Redis `REPL_STATE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ReplState {
    /// No master (or no active replication).
    #[default]
    None,
    /// Must connect to the master.
    Connect,
    /// Connecting (non-blocking connect in progress).
    Connecting,
    // The handshake, in order.
    ReceivePingReply,
    SendHandshake,
    ReceiveAuthReply,
    ReceivePortReply,
    ReceiveIpReply,
    ReceiveCapaReply,
    SendPsync,
    ReceivePsyncReply,
    /// Receiving the RDB.
    Transfer,
    /// Connected: the master client streams commands.
    Connected,
}

impl ReplState {
    /// True from `Connecting` up to `ReceivePsyncReply` (Redis
    /// `slaveIsInHandshakeState` plus connecting).
    pub fn is_handshake(self) -> bool {
        !matches!(
            self,
            ReplState::None | ReplState::Connect | ReplState::Transfer | ReplState::Connected
        )
    }
}

/// Replication fields of one client. Network clients have none
/// (`Client::repl` is `None`) until they become a replica (SYNC/PSYNC,
/// REPLCONF) or the master client.
#[derive(Debug, Default)]
pub struct ClientRepl {
    // ---- a replica attached to us (master side) ----
    /// Where the replica is in its sync (Redis `replstate`).
    pub replstate: SlaveState,
    /// Offset the replica last acknowledged with REPLCONF ACK (Redis `repl_ack_off`).
    pub repl_ack_off: i64,
    /// Unix time (s) of the last REPLCONF ACK (Redis `repl_ack_time`).
    pub repl_ack_time: i64,
    /// Offset the replica has in its first sync (Redis `psync_initial_offset`).
    pub psync_initial_offset: i64,
    /// `REPLCONF listening-port` (Redis `slave_listening_port`), 0 if unsent.
    pub slave_listening_port: u16,
    /// `REPLCONF ip-address`, if sent (Redis `slave_addr`).
    pub slave_addr: Option<String>,
    /// `REPLCONF capa` bits ([`SLAVE_CAPA_EOF`], [`SLAVE_CAPA_PSYNC2`]).
    pub slave_capa: u32,
    /// Start the stream on the first ACK (diskless, Redis `repl_start_cmd_stream_on_ack`).
    pub repl_start_cmd_stream_on_ack: bool,
    /// Unix time (s) the replica attached.
    pub repl_last_partial_write: i64,
    /// Database the replica's stream last selected (for its own SELECTs).
    pub repl_dbid: i64,

    // ---- our master (replica side) ----
    /// Stream offset applied so far (Redis `reploff`).
    pub reploff: i64,
    /// Stream offset read so far (Redis `read_reploff`).
    pub read_reploff: i64,
    /// The master's replication ID (Redis `master_client->replid`).
    pub replid: String,

    // ---- stream helper (master.rs): a replica's place in the shared buffer ----
    /// Id of the replication buffer block holding the next byte to send
    /// (Redis `ref_repl_buf_node`); `None` until the replica is fed.
    pub ref_block_id: Option<u64>,
    /// Bytes of that block already sent (Redis `ref_block_pos`).
    pub ref_block_pos: usize,

    // ---- replica role (replica.rs) ----
    /// Bytes read from our master whose command is not applied yet; they
    /// are proxied to our own replicas once applied (Redis keeps them in
    /// the query buffer, `repl_applied`).
    pub repl_unapplied: bytes::BytesMut,

    // ---- fullsync: the RDB transfer to a replica (master side) ----
    /// What the replica wants in its RDB (`fullsync::SLAVE_REQ_*`, from
    /// `REPLCONF rdb-filter-only`; Redis `slave_req`).
    pub slave_req: u32,
    /// The RDB file being sent (disk sync, state `SendBulk`; Redis `repldbfd`).
    pub repldb: Option<std::fs::File>,
    /// Disk sync: bytes of the file sent. Diskless: bytes of the current
    /// pipe buffer sent (Redis `repldboff`).
    pub repldboff: u64,
    /// Disk sync: size of the file (Redis `repldbsize`).
    pub repldbsize: u64,
    /// Disk sync: the unsent part of `$<size>\r\n` (Redis `replpreamble`).
    pub replpreamble: Vec<u8>,
    /// Diskless: the replica did not take the whole pipe buffer and waits
    /// for its socket to be writable (Redis: a write handler is set).
    pub rdb_pipe_writing: bool,
}

/// Replication state of the server (Redis's `server.repl_*`, `server.master*`).
#[derive(Default)]
pub struct ReplicationState {
    // ---- history, both roles (the ID itself is `Server::replid`) ----
    /// The previous replication ID (INFO `master_replid2`), [`NULL_REPLID`] if none.
    pub replid2: String,
    /// Offset up to which `replid2` is valid (INFO `second_repl_offset`), -1 if none.
    pub second_replid_offset: i64,
    /// Bytes of replication stream produced or received (INFO `master_repl_offset`).
    pub master_repl_offset: i64,
    /// Database the stream last selected; -1 makes the next command emit a
    /// SELECT (Redis `slaveseldb`).
    pub slaveseldb: i64,
    /// Unix time (s) since when no replica is attached (Redis
    /// `repl_no_slaves_since`), for `repl-backlog-ttl`.
    pub repl_no_slaves_since: i64,

    // ---- replicas attached to us (master side) ----
    /// Client slots of the attached replicas, in attach order (INFO `slaveN`).
    pub replicas: Vec<usize>,
    /// Replicas with lag <= `min-replicas-max-lag` (Redis `repl_good_slaves_count`).
    pub good_replicas_count: usize,
    /// The master side's own state (backlog, sync children, WAIT).
    pub master: master::MasterSide,

    // ---- our master (replica side) ----
    /// `replicaof` host, `None` on a master.
    pub masterhost: Option<String>,
    pub masterport: u16,
    /// Where the link to the master is.
    pub state: ReplState,
    /// Slot of the master client once connected.
    pub master_client: Option<usize>,
    /// Unix time (s) the link went down, 0 if never up (INFO
    /// `master_link_down_since_seconds`).
    pub repl_down_since: i64,
    /// The replica side's own state (handshake socket, transfer, cached master).
    pub replica: replica::ReplicaSide,

    // ---- failover (FAILOVER command) ----
    pub failover: failover::FailoverState,

    // ---- stream helper: stats both roles report ----
    /// Bytes read from our master's link (INFO `total_net_repl_input_bytes`);
    /// the replica side adds to it.
    pub stat_net_repl_input_bytes: u64,

    // ---- fullsync: full resynchronization children and transfers ----
    pub fullsync: fullsync::FullSyncState,
}

impl ReplicationState {
    pub fn new() -> ReplicationState {
        ReplicationState {
            replid2: NULL_REPLID.to_string(),
            second_replid_offset: -1,
            slaveseldb: -1,
            ..Default::default()
        }
    }
}

// ---- Hooks called by the server core ----

/// True when writes must be fed to the replication stream: a backlog
/// exists (it does whenever replicas are attached or were recently) and
/// this server is not a replica.
pub fn should_feed(srv: &Server) -> bool {
    // A replica proxies its master's stream instead (replica.rs), so that
    // its backlog holds the same bytes at the same offsets.
    srv.repl.masterhost.is_none() && master::has_backlog(srv)
}

/// Routes an event on a replication token (between [`REPL_TOKEN_BASE`] and
/// [`REPL_TOKEN_END`]) to its side.
pub fn handle_event(srv: &mut Server, ev: crate::ae::FiredEvent) {
    let t = ev.token.0;
    if t == REPL_TOKEN_RDB_PIPE {
        fullsync::handle_event(srv, ev);
    } else if (REPL_TOKEN_BASE + 2..=REPL_TOKEN_BASE + 32).contains(&t) {
        master::handle_event(srv, ev);
    } else {
        replica::handle_event(srv, ev);
    }
}

/// Once a second from `server_cron` (Redis `replicationCron`).
pub fn replication_cron(srv: &mut Server) {
    failover::update_failover_status(srv);
    replica::replication_cron(srv);
    master::replication_cron(srv);
    fullsync::replication_cron(srv);
}

/// From `before_sleep`, before replies are written: GETACKs for WAIT,
/// unblocking WAIT clients, the replica's ACK.
pub fn before_sleep(srv: &mut Server) {
    master::before_sleep(srv);
    fullsync::before_sleep(srv);
    replica::before_sleep(srv);
    // After the ACKs were read, not where they are: a failover disconnects
    // clients (Redis `beforeSleep`'s `updateFailoverStatus`).
    failover::update_failover_status(srv);
}

/// A client is being freed: detach it as a replica or as our master.
pub fn free_client(srv: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_SLAVE != 0 {
        fullsync::free_replica_client(srv, c);
        master::free_replica_client(srv, c);
    }
    if c.flags & CLIENT_MASTER != 0 {
        replica::free_master_client(srv, c);
    }
}

/// Replication's part of `process_command`: the `-NOREPLICAS`,
/// `-READONLY` and `-MASTERDOWN` refusals, in Redis's order. `is_write`
/// covers EXEC of queued writes; `deny_stale` is true for a command
/// without the STALE flag, and for EXEC when a queued command lacks it.
pub fn reject_command(
    srv: &Server,
    c: &Client,
    is_write: bool,
    deny_stale: bool,
) -> Option<&'static str> {
    let from_master = c.flags & CLIENT_MASTER != 0;
    // Not enough good replicas.
    if is_write && !from_master && !check_good_replicas_status(srv) {
        return Some("NOREPLICAS Not enough good replicas to write.");
    }
    // A read-only replica takes writes only from its master.
    if srv.repl.masterhost.is_some() && srv.config.replica_read_only && !from_master && is_write {
        return Some("READONLY You can't write against a read only replica.");
    }
    // Stale data: only STALE commands while the link is down.
    if srv.repl.masterhost.is_some()
        && srv.repl.state != ReplState::Connected
        && !srv.config.replica_serve_stale_data
        && deny_stale
    {
        return Some(
            "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
        );
    }
    None
}

/// False when writes must be refused for lack of good replicas (Redis
/// `checkGoodReplicasStatus`): a master with `min-replicas-to-write` and
/// `min-replicas-max-lag` set and fewer replicas than that within the lag.
pub fn check_good_replicas_status(srv: &Server) -> bool {
    srv.repl.masterhost.is_some()
        || srv.config.min_replicas_max_lag == 0
        || srv.config.min_replicas_to_write == 0
        || srv.repl.good_replicas_count >= srv.config.min_replicas_to_write as usize
}

/// Renews the replication ID (Redis `changeReplicationId`).
pub fn change_replication_id(srv: &mut Server) {
    srv.replid = crate::server::random_hex_id();
}

/// Forgets the previous ID (Redis `clearReplicationId2`).
pub fn clear_replication_id2(srv: &mut Server) {
    srv.repl.replid2 = NULL_REPLID.to_string();
    srv.repl.second_replid_offset = -1;
}

/// On promotion (REPLICAOF NO ONE, FAILOVER): the current ID becomes
/// `replid2`, valid up to the next offset, and a new ID starts (Redis
/// `shiftReplicationId`), so replicas of the old master can still PSYNC.
pub fn shift_replication_id(srv: &mut Server) {
    srv.repl.replid2 = srv.replid.clone();
    // +1: offset is the last byte we have; the replica asks for the next.
    srv.repl.second_replid_offset = srv.repl.master_repl_offset + 1;
    change_replication_id(srv);
    tracing::info!(
        "Setting secondary replication ID to {}, valid up to offset: {}. New replication ID is {}",
        srv.repl.replid2,
        srv.repl.second_replid_offset,
        srv.replid
    );
}
