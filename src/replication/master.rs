//! The master side of replication (Redis `replication.c`): the shared
//! replication buffer and the backlog, feeding the stream, SYNC/PSYNC and
//! partial resynchronization, REPLCONF, WAIT and `min-replicas-*`. Full
//! resynchronization (the RDB transfer) lives in `fullsync.rs`.
//!
//! # One buffer for the backlog and every replica
//! As in Redis 7, the replication stream is written once, into a list of
//! blocks ([`ReplBufBlock`], at least 16 KiB and at most
//! `repl-backlog-size / 16` each, so a big command spans several blocks and
//! a block can be freed without holding a huge one back). The backlog and
//! every replica that is fed the stream hold a *reference* into that list —
//! a block id and, for a replica, the position in that block up to which
//! it has been sent — never a copy. Each block counts how many references
//! start at it (`refcount`).
//!
//! - The backlog always references the first block: the backlog is the
//!   whole list, and `histlen` is the number of bytes in it.
//! - A replica references the block holding its next unsent byte. Writing
//!   to it moves the reference forward block by block.
//! - The list is trimmed from the front, incrementally, while it holds more
//!   than `repl-backlog-size` bytes *and* the first block is referenced by
//!   the backlog alone. A slow replica therefore keeps the blocks it still
//!   has to read, and those blocks stay part of the backlog: a replica that
//!   reconnects can PSYNC from them even beyond `repl-backlog-size` (the
//!   behaviour `integration/replication-buffer` checks).
//!
//! Blocks are kept in a `VecDeque` whose ids are consecutive, so a
//! reference is found by `id - front.id` in O(1), and a PSYNC offset by a
//! binary search over the blocks' start offsets (Redis keeps a rax index
//! for the same purpose).
//!
//! INFO's `mem_total_replication_buffers` is the memory of all blocks; the
//! output buffer of a replica (CLIENT LIST `omem`, its output-buffer limit)
//! is the span from its block to the end of the list, as in Redis.
//!
//! # Writing to replicas
//! A replica's output is never put into its client reply buffer: the
//! write path ([`write_to_replica`], called by `networking::write_to_client`
//! for replica clients) writes the blocks directly from its reference with
//! vectored writes until the socket pushes back. A replica is written to
//! only once it is `Online` and not waiting for its first ACK (diskless
//! sync); before that its reference just holds what accumulates while the
//! RDB is produced and transferred.
//!
//! # WAIT
//! `process_command` records in `Client::woff` the stream offset after each
//! command a client runs. WAIT blocks the client (`BlockType::Wait`) and asks
//! the replicas for an ACK (`REPLCONF GETACK *`, sent once per event-loop
//! iteration from `before_sleep`); every ACK updates the replica's
//! `repl_ack_off`, and `before_sleep` unblocks the clients whose offset
//! enough online replicas acknowledged.

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::Bytes;

use super::fullsync::{
    SLAVE_REQ_RDB_EXCLUDE_DATA, SLAVE_REQ_RDB_EXCLUDE_FUNCTIONS, SLAVE_REQ_RDB_MASK,
};
use super::{
    CLIENT_MASTER, CLIENT_PRE_PSYNC, CLIENT_REPL_RDBONLY, CLIENT_SLAVE, ClientRepl, ReplState,
    SLAVE_CAPA_EOF, SLAVE_CAPA_PSYNC2, SlaveState,
};
use crate::ae::FiredEvent;
use crate::commands::Handler;
use crate::networking::{CLIENT_CLOSE_ASAP, CLIENT_MULTI, CLIENT_PENDING_WRITE, Client};
use crate::server::Server;

/// Master-side commands (SYNC, PSYNC, REPLCONF, WAIT).
pub static HANDLERS: &[(&str, Handler)] = &[
    ("sync", sync_command),
    ("psync", sync_command),
    ("replconf", replconf_command),
    ("wait", wait_command),
];

/// Smallest `repl-backlog-size` (Redis `CONFIG_REPL_BACKLOG_MIN_SIZE`).
pub const CONFIG_REPL_BACKLOG_MIN_SIZE: i64 = 16 * 1024;
/// Smallest block of the replication buffer (Redis `PROTO_REPLY_CHUNK_BYTES`).
const REPL_BLOCK_MIN_SIZE: usize = 16 * 1024;
/// Blocks trimmed from the backlog per call at most (Redis
/// `REPL_BACKLOG_TRIM_BLOCKS_PER_CALL`); `before_sleep` trims ten times as many.
pub const REPL_BACKLOG_TRIM_BLOCKS_PER_CALL: usize = 64;
/// Bookkeeping bytes counted per block besides its data (Redis counts the
/// block header and its list node).
const REPL_BLOCK_OVERHEAD: usize = std::mem::size_of::<ReplBufBlock>() + 24;

/// Longest `REPLCONF ip-address` accepted (Redis `NET_HOST_STR_LEN`).
const NET_HOST_STR_LEN: usize = 256;

/// One block of the shared replication buffer (Redis `replBufBlock`).
#[derive(Debug)]
pub struct ReplBufBlock {
    /// The stream bytes; `data.len()` is how much of the block is used.
    data: Vec<u8>,
    /// Capacity of the block, bytes.
    size: usize,
    /// References starting at this block (the backlog's, replicas').
    refcount: u32,
    /// Stream offset of the block's first byte.
    repl_offset: i64,
    /// Consecutive id, for finding a block from a reference.
    id: u64,
}

/// The replication backlog (Redis `replBacklog`): once it holds data it
/// references the first block of the shared buffer.
#[derive(Debug, Default)]
pub struct Backlog {
    /// Bytes of stream held (all blocks' used bytes).
    pub histlen: i64,
    /// Stream offset of the first byte held (INFO `repl_backlog_first_byte_offset`).
    pub offset: i64,
    /// True once the backlog references the first block.
    has_ref: bool,
}

/// A client blocked in WAIT.
#[derive(Debug, Clone, Copy)]
struct WaitingClient {
    slot: usize,
    id: u64,
    /// Stream offset the replicas must have acknowledged.
    reploffset: i64,
    /// How many replicas must have acknowledged it.
    numreplicas: i64,
}

/// The master side's own state.
#[derive(Default)]
pub struct MasterSide {
    /// The backlog, when one exists (Redis `server.repl_backlog`).
    pub backlog: Option<Backlog>,
    /// The shared replication buffer (Redis `server.repl_buffer_blocks`).
    blocks: VecDeque<ReplBufBlock>,
    /// Memory of the blocks, bytes (INFO `mem_total_replication_buffers`,
    /// Redis `server.repl_buffer_mem`).
    pub repl_buffer_mem: usize,
    /// Id of the next block.
    next_block_id: u64,
    /// INFO `sync_full`, `sync_partial_ok`, `sync_partial_err`.
    pub stat_sync_full: u64,
    pub stat_sync_partial_ok: u64,
    pub stat_sync_partial_err: u64,
    /// Bytes written to replicas (INFO `total_net_repl_output_bytes`).
    pub stat_net_repl_output_bytes: u64,
    /// Set by WAIT: send `REPLCONF GETACK *` from `before_sleep` (Redis
    /// `get_ack_from_slaves`).
    pub get_ack_from_slaves: bool,
    /// Clients blocked in WAIT, most recent first (Redis `clients_waiting_acks`).
    waiting_acks: Vec<WaitingClient>,
    /// Runs of the replication cron (Redis `replication_cron_loops`).
    cron_loops: u64,
}

impl MasterSide {
    /// Clears the INFO stats kept here (CONFIG RESETSTAT).
    pub fn reset_stats(&mut self) {
        self.stat_sync_full = 0;
        self.stat_sync_partial_ok = 0;
        self.stat_sync_partial_err = 0;
        self.stat_net_repl_output_bytes = 0;
    }
}

// ---- Small helpers ----

/// Unix time, seconds (Redis `server.unixtime`).
fn unixtime(srv: &Server) -> i64 {
    srv.mstime / 1000
}

/// The replication fields of `c`, created on first use.
pub fn client_repl(c: &mut Client) -> &mut ClientRepl {
    c.repl.get_or_insert_with(Default::default)
}

/// `ip:port` of a replica for the logs (Redis `replicationGetSlaveName`):
/// the address it announced with `REPLCONF ip-address`, else its peer IP,
/// with the port it announced with `REPLCONF listening-port`, else
/// `<unknown-replica-port>`.
pub fn replication_get_slave_name(c: &Client) -> String {
    let r = c.repl.as_deref();
    let ip = match r.and_then(|r| r.slave_addr.clone()) {
        Some(a) => a,
        None => match c.addr.rsplit_once(':') {
            Some((ip, _)) if !ip.starts_with('/') && !ip.is_empty() => {
                ip.trim_start_matches('[').trim_end_matches(']').to_string()
            }
            _ => return format!("client id #{}", c.id),
        },
    };
    let port = r.map_or(0, |r| r.slave_listening_port);
    if port != 0 {
        if ip.contains(':') {
            format!("[{}]:{}", ip, port)
        } else {
            format!("{}:{}", ip, port)
        }
    } else {
        format!("{}:<unknown-replica-port>", ip)
    }
}

/// The replica's state, `WaitBgsaveStart` for a client that is no replica.
fn replstate(c: &Client) -> SlaveState {
    c.repl.as_deref().map(|r| r.replstate).unwrap_or_default()
}

/// Redis `canFeedReplicaReplBuffer`: replicas that want the stream and
/// whose BGSAVE started accumulate it.
fn can_feed_replica_repl_buffer(c: &Client) -> bool {
    c.flags & CLIENT_REPL_RDBONLY == 0 && replstate(c) != SlaveState::WaitBgsaveStart
}

/// True when the stream may be written to this replica now: it is online
/// and not waiting for its first ACK after a diskless transfer.
fn replica_can_receive_writes(c: &Client) -> bool {
    c.repl
        .as_deref()
        .is_some_and(|r| r.replstate == SlaveState::Online && !r.repl_start_cmd_stream_on_ack)
}

// ---- The shared replication buffer and the backlog ----

/// True when a replication backlog exists.
pub fn has_backlog(srv: &Server) -> bool {
    srv.repl.master.backlog.is_some()
}

/// Logs the last bytes of the backlog (Redis `showLatestBacklog`), for a
/// replica whose master's stream made it reply an error: "Latest backlog
/// is: '<dump>'", the last 256 bytes at most, each block's part quoted on
/// its own as `sdscatrepr` renders it (`"..."` strings run together).
/// Nothing without a backlog or with an empty one.
pub fn show_latest_backlog(srv: &Server) {
    let Some(bl) = srv.repl.master.backlog.as_ref() else {
        return;
    };
    let mut left = bl.histlen.clamp(0, 256) as usize;
    if left == 0 {
        return;
    }
    let mut parts: Vec<String> = Vec::new();
    for block in srv.repl.master.blocks.iter().rev() {
        if left == 0 {
            break;
        }
        let take = block.data.len().min(left);
        parts.push(crate::config::repr(&block.data[block.data.len() - take..]));
        left -= take;
    }
    parts.reverse();
    tracing::warn!("Latest backlog is: '{}'", parts.concat());
}

/// Creates an empty backlog whose first byte will be the next byte of the
/// stream (Redis `createReplicationBacklog`). Does nothing if one exists.
/// Callers that create it for a new history renew the replication ID
/// first (see [`sync_command`]).
pub fn create_replication_backlog(srv: &mut Server) {
    if srv.repl.master.backlog.is_some() {
        return;
    }
    srv.repl.master.backlog = Some(Backlog {
        histlen: 0,
        offset: srv.repl.master_repl_offset + 1,
        has_ref: false,
    });
}

/// Frees the backlog and the whole shared buffer (Redis
/// `freeReplicationBacklog`). Only without replicas: their references
/// would dangle.
pub fn free_replication_backlog(srv: &mut Server) {
    let m = &mut srv.repl.master;
    if m.backlog.take().is_none() {
        return;
    }
    m.blocks.clear();
    m.blocks.shrink_to_fit();
    m.repl_buffer_mem = 0;
}

/// Applies a new `repl-backlog-size` (Redis `resizeReplicationBacklog`):
/// the backlog is trimmed to it incrementally; a bigger size simply lets
/// it grow.
pub fn resize_replication_backlog(srv: &mut Server) {
    if srv.config.repl_backlog_size < CONFIG_REPL_BACKLOG_MIN_SIZE {
        srv.config.repl_backlog_size = CONFIG_REPL_BACKLOG_MIN_SIZE;
    }
    if has_backlog(srv) {
        incremental_trim_replication_backlog(srv, REPL_BACKLOG_TRIM_BLOCKS_PER_CALL);
    }
}

/// Memory of the shared replication buffer (INFO `mem_total_replication_buffers`).
pub fn repl_buffer_mem(srv: &Server) -> usize {
    srv.repl.master.repl_buffer_mem
}

/// The replication part of the memory overhead (Redis
/// `getMemoryOverheadData`): `(backlog, replica clients)`. The shared
/// buffer counts as backlog up to `repl-backlog-size`; with replicas
/// attached, what exceeds it counts as theirs, added to the memory of the
/// replica clients themselves.
pub fn replication_memory_overhead(srv: &Server) -> (usize, usize) {
    let mem = srv.repl.master.repl_buffer_mem;
    let size = srv.config.repl_backlog_size.max(0) as usize;
    let clients: usize = srv
        .clients_iter()
        .filter(|c| c.flags & CLIENT_SLAVE != 0)
        .map(|c| c.mem_usage())
        .sum();
    if !srv.repl.replicas.is_empty() && mem > size {
        (size, clients + mem - size)
    } else {
        (mem, clients)
    }
}

/// Replication buffer memory not counted against `maxmemory` (Redis
/// `freeMemoryGetNotCountedMemory`): what exceeds the backlog size plus
/// the approximate bookkeeping of its blocks.
pub fn replica_buffers_not_counted(srv: &Server) -> usize {
    let mem = srv.repl.master.repl_buffer_mem;
    let size = srv.config.repl_backlog_size.max(0) as usize;
    if mem <= size {
        return 0;
    }
    let counted = size + (size / REPL_BLOCK_MIN_SIZE + 1) * REPL_BLOCK_OVERHEAD;
    mem.saturating_sub(counted)
}

/// Bytes written to replicas, the stream and their RDB transfers (INFO
/// `total_net_repl_output_bytes`).
pub fn stat_net_repl_output_bytes(srv: &Server) -> u64 {
    srv.repl.master.stat_net_repl_output_bytes + srv.repl.fullsync.stat_net_repl_output_bytes
}

/// INFO's `repl_backlog_first_byte_offset` (0 without a backlog).
pub fn repl_backlog_first_byte_offset(srv: &Server) -> i64 {
    srv.repl.master.backlog.as_ref().map_or(0, |b| b.offset)
}

/// INFO's `repl_backlog_histlen` (0 without a backlog).
pub fn repl_backlog_histlen(srv: &Server) -> i64 {
    srv.repl.master.backlog.as_ref().map_or(0, |b| b.histlen)
}

/// Index of block `id` in the list.
fn block_index(m: &MasterSide, id: u64) -> Option<usize> {
    let first = m.blocks.front()?.id;
    let i = id.checked_sub(first)? as usize;
    (i < m.blocks.len()).then_some(i)
}

/// Trims the backlog from the front while it holds more than
/// `repl-backlog-size` and its first block is referenced by the backlog
/// alone, at most `max_blocks` blocks (Redis
/// `incrementalTrimReplicationBacklog`). Never below one block, nor below
/// the configured size.
///
/// # Latency
/// At most `max_blocks` blocks freed per call.
pub fn incremental_trim_replication_backlog(srv: &mut Server, max_blocks: usize) {
    let size = srv.config.repl_backlog_size;
    let master_repl_offset = srv.repl.master_repl_offset;
    let m = &mut srv.repl.master;
    let Some(bl) = m.backlog.as_mut() else {
        return;
    };
    let mut trimmed = 0;
    while bl.histlen > size && trimmed < max_blocks {
        if m.blocks.len() <= 1 {
            break;
        }
        let Some(fo) = m.blocks.front() else { break };
        if fo.refcount != 1 {
            break;
        }
        if bl.histlen - fo.size as i64 <= size {
            break;
        }
        bl.histlen -= fo.data.len() as i64;
        m.repl_buffer_mem = m
            .repl_buffer_mem
            .saturating_sub(fo.size + REPL_BLOCK_OVERHEAD);
        m.blocks.pop_front();
        if let Some(next) = m.blocks.front_mut() {
            next.refcount += 1;
        }
        trimmed += 1;
    }
    bl.offset = master_repl_offset - bl.histlen + 1;
    // Redis frees each block's list node with it; our ring of blocks keeps
    // its capacity, so give it back once mostly unused, or the memory held
    // for a replica that fell behind would stay counted against maxmemory.
    if trimmed > 0 && m.blocks.capacity() > 64 && m.blocks.len() < m.blocks.capacity() / 4 {
        m.blocks.shrink_to(m.blocks.len() * 2);
    }
}

/// Appends stream bytes to the shared buffer (Redis `feedReplicationBuffer`):
/// fills the last block, then new ones; `master_repl_offset` and the
/// backlog grow by `s.len()`. Replicas fed the stream that had no reference
/// get one to the first new byte; a new block triggers the output-buffer
/// limit check of every replica and a trim of the backlog. Without a
/// backlog nothing happens.
fn feed_replication_buffer(srv: &mut Server, mut s: &[u8]) {
    if srv.repl.master.backlog.is_none() {
        return;
    }
    while !s.is_empty() {
        let mut start: Option<(u64, usize)> = None;
        let mut add_new_block = false;
        let limit = ((srv.config.repl_backlog_size / 16) as usize).max(REPL_BLOCK_MIN_SIZE);
        let m = &mut srv.repl.master;
        let mut copied = 0usize;
        if let Some(tail) = m.blocks.back_mut()
            && tail.data.len() < tail.size
        {
            let pos = tail.data.len();
            let n = (tail.size - pos).min(s.len());
            tail.data.extend_from_slice(&s[..n]);
            start = Some((tail.id, pos));
            s = &s[n..];
            copied += n;
        }
        if !s.is_empty() {
            let size = s.len().max(REPL_BLOCK_MIN_SIZE).min(limit);
            let n = size.min(s.len());
            let mut data = Vec::with_capacity(size);
            data.extend_from_slice(&s[..n]);
            let id = m.next_block_id;
            m.next_block_id += 1;
            m.blocks.push_back(ReplBufBlock {
                data,
                size,
                refcount: 0,
                repl_offset: srv.repl.master_repl_offset + copied as i64 + 1,
                id,
            });
            m.repl_buffer_mem += size + REPL_BLOCK_OVERHEAD;
            add_new_block = true;
            if start.is_none() {
                start = Some((id, 0));
            }
            s = &s[n..];
            copied += n;
        }
        srv.repl.master_repl_offset += copied as i64;
        let Some((start_id, start_pos)) = start else {
            break;
        };
        if let Some(bl) = srv.repl.master.backlog.as_mut() {
            bl.histlen += copied as i64;
        }
        // Replicas that start reading here.
        for i in 0..srv.repl.replicas.len() {
            let slot = srv.repl.replicas[i];
            let Some(c) = srv.client_mut(slot) else {
                continue;
            };
            if !can_feed_replica_repl_buffer(c) {
                continue;
            }
            let r = client_repl(c);
            if r.ref_block_id.is_none() {
                r.ref_block_id = Some(start_id);
                r.ref_block_pos = start_pos;
                let m = &mut srv.repl.master;
                if let Some(ix) = block_index(m, start_id) {
                    m.blocks[ix].refcount += 1;
                }
            }
            if add_new_block {
                close_replica_on_output_buffer_limit(srv, slot);
            }
        }
        // The backlog references the first block once it has data.
        let m = &mut srv.repl.master;
        if let Some(bl) = m.backlog.as_mut()
            && !bl.has_ref
        {
            bl.has_ref = true;
            if let Some(f) = m.blocks.front_mut() {
                f.refcount += 1;
            }
        }
        if add_new_block {
            incremental_trim_replication_backlog(srv, REPL_BACKLOG_TRIM_BLOCKS_PER_CALL);
        }
    }
}

/// Checks the output-buffer limit of the replica in `slot` (it is in the
/// client table) and schedules it for closing when it is over.
fn close_replica_on_output_buffer_limit(srv: &mut Server, slot: usize) {
    let Some(mut c) = srv.take_client(slot) else {
        return;
    };
    crate::networking::close_client_on_output_buffer_limit_reached(srv, &mut c, true);
    srv.put_client(c);
}

/// Queues every replica that can receive the stream for the write pass
/// (Redis `prepareReplicasToWrite`).
fn prepare_replicas_to_write(srv: &mut Server) {
    for i in 0..srv.repl.replicas.len() {
        let slot = srv.repl.replicas[i];
        let Some(c) = srv.client_mut(slot) else {
            continue;
        };
        if c.flags & (CLIENT_PENDING_WRITE | CLIENT_CLOSE_ASAP) != 0
            || !can_feed_replica_repl_buffer(c)
            || !replica_can_receive_writes(c)
        {
            continue;
        }
        c.flags |= CLIENT_PENDING_WRITE;
        srv.clients_pending_write.push(slot);
    }
}

/// Appends one propagated command to the stream (Redis
/// `replicationFeedSlaves`): a SELECT first when `dbid` differs from the
/// stream's, then the command as a RESP array; the bytes go to the backlog
/// and every online replica and `master_repl_offset` grows by their length.
/// A replica (`masterhost` set) feeds nothing here: it proxies its
/// master's stream ([`feed_stream_from_master`]).
pub fn feed_replication_stream(srv: &mut Server, dbid: usize, argv: &[Bytes]) {
    feed_replication_stream_db(srv, dbid as i64, argv);
}

/// [`feed_replication_stream`] with Redis's `dictid`: -1 (the stream's
/// current database unknown, for PING and REPLCONF GETACK) never emits a
/// SELECT.
pub fn feed_replication_stream_db(srv: &mut Server, dbid: i64, argv: &[Bytes]) {
    if srv.repl.masterhost.is_some() || srv.repl.master.backlog.is_none() {
        return;
    }
    prepare_replicas_to_write(srv);
    let mut buf = Vec::with_capacity(64);
    if srv.repl.slaveseldb != dbid {
        let id = dbid.to_string();
        buf.extend_from_slice(
            format!("*2\r\n$6\r\nSELECT\r\n${}\r\n{}\r\n", id.len(), id).as_bytes(),
        );
        srv.repl.slaveseldb = dbid;
    }
    buf.extend_from_slice(format!("*{}\r\n", argv.len()).as_bytes());
    for a in argv {
        buf.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        if a.len() > 4096 {
            // Big arguments go in as they are, without another copy.
            feed_replication_buffer(srv, &buf);
            buf.clear();
            feed_replication_buffer(srv, a);
        } else {
            buf.extend_from_slice(a);
        }
        buf.extend_from_slice(b"\r\n");
    }
    feed_replication_buffer(srv, &buf);
}

/// Proxies bytes of our master's stream that we applied to our own
/// replicas and backlog, unchanged (Redis
/// `replicationFeedStreamFromMasterStream`), so a chain shares one
/// history and one offset. The replica side calls it with exactly the
/// bytes of each command it applied.
pub fn feed_stream_from_master(srv: &mut Server, bytes: &[u8]) {
    if srv.repl.master.backlog.is_none() {
        return;
    }
    prepare_replicas_to_write(srv);
    feed_replication_buffer(srv, bytes);
}

/// Points replica `c` at `offset` in the backlog and returns how many
/// bytes it will be sent (Redis `addReplyReplicationBacklog`). The caller
/// checked that the backlog holds `offset`.
fn add_reply_replication_backlog(srv: &mut Server, c: &mut Client, offset: i64) -> i64 {
    let Some(bl) = srv.repl.master.backlog.as_ref() else {
        return 0;
    };
    tracing::debug!("[PSYNC] Replica request offset: {}", offset);
    if bl.histlen == 0 {
        tracing::debug!("[PSYNC] Backlog history len is zero");
        return 0;
    }
    let (histlen, first) = (bl.histlen, bl.offset);
    tracing::debug!("[PSYNC] Backlog size: {}", srv.config.repl_backlog_size);
    tracing::debug!("[PSYNC] First byte: {}", first);
    tracing::debug!("[PSYNC] History len: {}", histlen);
    let skip = offset - first;
    tracing::debug!("[PSYNC] Skipping: {}", skip);
    let m = &mut srv.repl.master;
    let ix = m
        .blocks
        .partition_point(|b| b.repl_offset + (b.data.len() as i64) < offset);
    let Some(b) = m.blocks.get_mut(ix) else {
        return 0;
    };
    b.refcount += 1;
    let (id, pos) = (b.id, (offset - b.repl_offset).max(0) as usize);
    let r = client_repl(c);
    r.ref_block_id = Some(id);
    r.ref_block_pos = pos;
    histlen - skip
}

/// Drops the replica's reference into the shared buffer (Redis
/// `freeReplicaReferencedReplBuffer`).
fn free_replica_referenced_repl_buffer(srv: &mut Server, c: &mut Client) {
    let Some(r) = c.repl.as_deref_mut() else {
        return;
    };
    if let Some(id) = r.ref_block_id.take() {
        let m = &mut srv.repl.master;
        if let Some(ix) = block_index(m, id) {
            m.blocks[ix].refcount = m.blocks[ix].refcount.saturating_sub(1);
        }
        incremental_trim_replication_backlog(srv, REPL_BACKLOG_TRIM_BLOCKS_PER_CALL);
    }
    if let Some(r) = c.repl.as_deref_mut() {
        r.ref_block_pos = 0;
    }
}

/// Makes `dst` share `src`'s position in the stream (Redis
/// `copyReplicaOutputBuffer`): a replica attaching to a BGSAVE that
/// another replica already waits for gets the same stream from the same
/// point. `src_slot` is a replica in the client table.
pub fn copy_replica_output_buffer(srv: &mut Server, dst: &mut Client, src_slot: usize) {
    let Some(src) = srv.client_mut(src_slot) else {
        return;
    };
    let Some((id, pos)) = src
        .repl
        .as_deref()
        .and_then(|r| r.ref_block_id.map(|id| (id, r.ref_block_pos)))
    else {
        return;
    };
    free_replica_referenced_repl_buffer(srv, dst);
    let m = &mut srv.repl.master;
    if let Some(ix) = block_index(m, id) {
        m.blocks[ix].refcount += 1;
        let r = client_repl(dst);
        r.ref_block_id = Some(id);
        r.ref_block_pos = pos;
    }
}

/// The output buffer of replica `c` (Redis `getClientOutputBufferMemoryUsage`
/// for replicas): from the start of the block it references to the end of
/// the last block's capacity, plus the blocks' bookkeeping.
pub fn replica_output_buffer_memory(srv: &Server, c: &Client) -> usize {
    let m = &srv.repl.master;
    let Some(id) = c.repl.as_deref().and_then(|r| r.ref_block_id) else {
        return 0;
    };
    let (Some(ix), Some(last)) = (block_index(m, id), m.blocks.back()) else {
        return 0;
    };
    let cur = &m.blocks[ix];
    let bytes = (last.repl_offset + last.size as i64 - cur.repl_offset).max(0) as usize;
    bytes + REPL_BLOCK_OVERHEAD * (last.id - cur.id + 1) as usize
}

/// Blocks of the shared buffer from replica `c`'s to the last (CLIENT
/// LIST `oll` of a replica).
pub fn replica_used_blocks(srv: &Server, c: &Client) -> usize {
    let m = &srv.repl.master;
    match (
        c.repl.as_deref().and_then(|r| r.ref_block_id),
        m.blocks.back(),
    ) {
        (Some(id), Some(last)) if last.id >= id => (last.id - id + 1) as usize,
        _ => 0,
    }
}

/// True when replica `c` has stream bytes not yet written (Redis
/// `clientHasPendingReplies` for replicas).
pub fn replica_has_pending_output(srv: &Server, c: &Client) -> bool {
    let Some(r) = c.repl.as_deref() else {
        return false;
    };
    let Some(id) = r.ref_block_id else {
        return false;
    };
    match srv.repl.master.blocks.back() {
        Some(last) => !(last.id == id && r.ref_block_pos >= last.data.len()),
        None => false,
    }
}

// ---- Writing the stream to replicas ----

/// Writes what replica `c` has pending in the shared buffer (Redis
/// `_writeToClient` for replicas), from `networking::write_to_client`.
/// Writes until the socket pushes back (replicas have no per-event
/// budget, as in Redis, or the stream would outgrow their buffers), then
/// keeps WRITABLE interest while output remains. A replica not yet online
/// is not written to. A replica that generated a normal reply (it sent a
/// command with a reply on the replication link) is closed, logged as
/// Redis does. Returns false when the client must be freed.
pub fn write_to_replica(srv: &mut Server, c: &mut Client) -> bool {
    if c.reply_bytes > 0 {
        let cmd = c
            .lastcmd
            .map(|i| srv.commands.cmds[i].fullname.clone())
            .unwrap_or_else(|| "<unknown>".to_string());
        let info = crate::server_cmds::client_info_string(srv, c);
        tracing::warn!(
            "Replica generated a reply to command '{}', disconnecting it: {}",
            cmd,
            info
        );
        return false;
    }
    if !replica_can_receive_writes(c) {
        // Its RDB transfer (fullsync.rs) owns the socket until it is online.
        return true;
    }
    let mut written = 0usize;
    let mut blocked = false;
    while let Some((id, pos)) = c
        .repl
        .as_deref()
        .and_then(|r| r.ref_block_id.map(|id| (id, r.ref_block_pos)))
    {
        let m = &srv.repl.master;
        let Some(ix) = block_index(m, id) else {
            break;
        };
        let mut slices: [IoSlice<'_>; 16] = std::array::from_fn(|_| IoSlice::new(&[]));
        let mut n = 0;
        for (k, b) in m.blocks.range(ix..).enumerate() {
            if n == slices.len() {
                break;
            }
            let part = if k == 0 {
                b.data.get(pos..).unwrap_or(&[])
            } else {
                &b.data[..]
            };
            if !part.is_empty() {
                slices[n] = IoSlice::new(part);
                n += 1;
            }
        }
        if n == 0 {
            break;
        }
        let Some(conn) = c.conn.as_mut() else {
            return false;
        };
        match conn.write_vectored(&slices[..n]) {
            Ok(0) => return false,
            Ok(w) => {
                written += w;
                advance_replica_reference(srv, c, w);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                blocked = true;
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                tracing::debug!("Error writing to client: {}", e);
                return false;
            }
        }
    }
    if written > 0 {
        srv.repl.master.stat_net_repl_output_bytes += written as u64;
        c.lastinteraction = srv.mstime;
        incremental_trim_replication_backlog(srv, REPL_BACKLOG_TRIM_BLOCKS_PER_CALL);
    }
    let pending = replica_has_pending_output(srv, c);
    crate::networking::update_write_interest(srv, c, pending, blocked)
}

/// Moves replica `c`'s reference `w` bytes forward, block by block; the
/// reference stays on the last block when it is all sent.
fn advance_replica_reference(srv: &mut Server, c: &mut Client, mut w: usize) {
    let m = &mut srv.repl.master;
    let Some(r) = c.repl.as_deref_mut() else {
        return;
    };
    while let Some(id) = r.ref_block_id {
        let Some(ix) = block_index(m, id) else {
            return;
        };
        let used = m.blocks[ix].data.len();
        let left = used.saturating_sub(r.ref_block_pos);
        let take = w.min(left);
        r.ref_block_pos += take;
        w -= take;
        if r.ref_block_pos < used || ix + 1 >= m.blocks.len() {
            return;
        }
        m.blocks[ix].refcount = m.blocks[ix].refcount.saturating_sub(1);
        m.blocks[ix + 1].refcount += 1;
        r.ref_block_id = Some(m.blocks[ix + 1].id);
        r.ref_block_pos = 0;
        if w == 0 {
            return;
        }
    }
}

/// Writes directly to a client's socket (the `+CONTINUE` of a partial
/// resync, before any stream is queued). True when all of `b` went out.
pub fn conn_write_direct(c: &mut Client, b: &[u8]) -> bool {
    let Some(conn) = c.conn.as_mut() else {
        return false;
    };
    let mut off = 0;
    while off < b.len() {
        match conn.write_vectored(&[IoSlice::new(&b[off..])]) {
            Ok(0) => return false,
            Ok(n) => off += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return false,
        }
    }
    true
}

// ---- Replica lifecycle ----

/// Registers `c` as a replica (Redis: `CLIENT_SLAVE` and `listAddNodeTail(
/// server.slaves, c)` in `syncCommand`): INFO lists it as `slaveN`, in
/// attach order. Its state is left as the caller set it.
pub fn add_replica(srv: &mut Server, c: &mut Client) {
    client_repl(c);
    if c.flags & CLIENT_SLAVE == 0 {
        c.flags |= CLIENT_SLAVE;
        srv.repl.replicas.push(c.slot);
    }
}

/// Puts a replica online after its RDB was transferred (Redis
/// `replicaPutOnline`): `Online`, its ACK time refreshed, the good-replica
/// count updated, logged "Synchronization with replica <name> succeeded".
/// A `REPLCONF rdb-only` replica instead becomes `RdbTransmitted` and is
/// logged as to be disconnected; then it returns false (the caller closes
/// it). The stream is not written yet: call [`replica_start_command_stream`]
/// (disk sync) or set `repl_start_cmd_stream_on_ack` (diskless).
pub fn replica_put_online(srv: &mut Server, c: &mut Client) -> bool {
    let now = unixtime(srv);
    if c.flags & CLIENT_REPL_RDBONLY != 0 {
        client_repl(c).replstate = SlaveState::RdbTransmitted;
        tracing::info!(
            "RDB transfer completed, rdb only replica ({}) should be disconnected asap",
            replication_get_slave_name(c)
        );
        return false;
    }
    let r = client_repl(c);
    r.replstate = SlaveState::Online;
    r.repl_ack_time = now;
    refresh_good_slaves_count_with(srv, Some(c));
    tracing::info!(
        "Synchronization with replica {} succeeded",
        replication_get_slave_name(c)
    );
    true
}

/// Starts writing the stream to an online replica (Redis
/// `replicaStartCommandStream`): what accumulated since its RDB started
/// goes out in the next write pass.
pub fn replica_start_command_stream(srv: &mut Server, c: &mut Client) {
    client_repl(c).repl_start_cmd_stream_on_ack = false;
    srv.mark_pending_write(c);
}

/// A replica client is being freed (Redis `freeClient`'s replica part):
/// logs "Connection with replica <name> lost.", drops its reference into
/// the shared buffer, removes it from the replicas (remembering when the
/// last one left, for `repl-backlog-ttl`) and refreshes the good-replica
/// count. Clients blocked in WAIT are re-checked in `before_sleep`.
pub fn free_replica_client(srv: &mut Server, c: &mut Client) {
    if c.flags & crate::networking::CLIENT_MONITOR == 0 {
        tracing::warn!(
            "Connection with replica {} lost.",
            replication_get_slave_name(c)
        );
    }
    free_replica_referenced_repl_buffer(srv, c);
    if let Some(pos) = srv.repl.replicas.iter().position(|&s| s == c.slot) {
        srv.repl.replicas.remove(pos);
    }
    c.flags &= !CLIENT_SLAVE;
    if srv.repl.replicas.is_empty() {
        srv.repl.repl_no_slaves_since = unixtime(srv);
    }
    refresh_good_slaves_count(srv);
}

// ---- SYNC / PSYNC ----

/// SYNC and PSYNC <replid> <offset> (Redis `syncCommand`). A replica
/// (already `CLIENT_SLAVE`) sending it again is ignored. Errors:
/// `-ERR PSYNC FAILOVER can't be sent to a master.`,
/// `-ERR PSYNC FAILOVER replid must match my replid.`,
/// `-NOMASTERLINK Can't SYNC while failing over`,
/// `-NOMASTERLINK Can't SYNC while not connected with my master`,
/// `-ERR SYNC and PSYNC are invalid with pending output`,
/// `-ERR Filtered replica requires EOF capability`, a non-integer offset
/// (`-ERR value is not an integer or out of range`). PSYNC first tries a
/// partial resync ([`master_try_partial_resynchronization`], `+CONTINUE`);
/// otherwise (and for SYNC) the client becomes a replica waiting for a
/// BGSAVE (creating the backlog with a new replication ID if it is the
/// first replica and none exists) and `fullsync` takes over.
pub fn sync_command(srv: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_SLAVE != 0 {
        return;
    }
    let is_psync = c.argv[0].eq_ignore_ascii_case(b"psync");
    if is_psync && c.argv.len() > 3 && c.argv[3].eq_ignore_ascii_case(b"failover") {
        tracing::warn!(
            "Failover request received for replid {}.",
            String::from_utf8_lossy(&c.argv[1])
        );
        if srv.repl.masterhost.is_none() {
            c.add_reply_error("ERR PSYNC FAILOVER can't be sent to a master.");
            return;
        }
        if c.argv[1].eq_ignore_ascii_case(srv.replid.as_bytes()) {
            super::replica::replication_unset_master(srv);
            let info = crate::server_cmds::client_info_string(srv, c);
            tracing::info!("MASTER MODE enabled (failover request from '{}')", info);
        } else {
            c.add_reply_error("ERR PSYNC FAILOVER replid must match my replid.");
            return;
        }
    }
    if super::failover::failover_ongoing(srv) {
        c.add_reply_error("NOMASTERLINK Can't SYNC while failing over");
        return;
    }
    if srv.repl.masterhost.is_some() && srv.repl.state != ReplState::Connected {
        c.add_reply_error("NOMASTERLINK Can't SYNC while not connected with my master");
        return;
    }
    if c.has_pending_replies() {
        c.add_reply_error("ERR SYNC and PSYNC are invalid with pending output");
        return;
    }
    let (capa, req) = c
        .repl
        .as_deref()
        .map_or((0, 0), |r| (r.slave_capa, r.slave_req));
    if req & SLAVE_REQ_RDB_MASK != 0 && capa & SLAVE_CAPA_EOF == 0 {
        c.add_reply_error("ERR Filtered replica requires EOF capability");
        return;
    }
    tracing::info!(
        "Replica {} asks for synchronization",
        replication_get_slave_name(c)
    );
    if is_psync {
        if c.argv.len() < 3 {
            // Arity is checked by the table (PSYNC takes at least 3).
            return;
        }
        let Some(psync_offset) = crate::util::string2ll(&c.argv[2]) else {
            c.add_reply_error(crate::shared::err_not_integer());
            tracing::warn!(
                "Replica {} asks for synchronization but with a wrong offset",
                replication_get_slave_name(c)
            );
            return;
        };
        if master_try_partial_resynchronization(srv, c, psync_offset) {
            srv.repl.master.stat_sync_partial_ok += 1;
            return;
        }
        if !c.argv[1].starts_with(b"?") {
            srv.repl.master.stat_sync_partial_err += 1;
        }
    } else {
        // An old-protocol replica (`redis-cli --replica`): no ACKs expected.
        c.flags |= CLIENT_PRE_PSYNC;
    }
    srv.repl.master.stat_sync_full += 1;
    client_repl(c).replstate = SlaveState::WaitBgsaveStart;
    if srv.config.repl_disable_tcp_nodelay {
        set_tcp_nodelay(c, false);
    }
    add_replica(srv, c);
    if srv.repl.replicas.len() == 1 && !has_backlog(srv) {
        // A new history: new ID, no usable ID2.
        super::change_replication_id(srv);
        super::clear_replication_id2(srv);
        create_replication_backlog(srv);
        tracing::info!(
            "Replication backlog created, my new replication IDs are '{}' and '{}'",
            srv.replid,
            srv.repl.replid2
        );
    }
    super::fullsync::full_resync_requested(srv, c);
}

/// Sets TCP_NODELAY on a TCP or TLS client socket (best effort).
fn set_tcp_nodelay(c: &mut Client, on: bool) {
    if let Some(s) = c.conn.as_ref().and_then(|conn| conn.tcp()) {
        let _ = s.set_nodelay(on);
    }
}

/// Tries to serve PSYNC `<replid> <offset>` from the backlog (Redis
/// `masterTryPartialResynchronization`). The replid must be ours, or our
/// previous one (`replid2`) with an offset up to `second_replid_offset`;
/// the backlog must hold `offset` (from its first byte up to one past its
/// last). Then the client becomes an online replica, gets `+CONTINUE
/// <replid>` (`+CONTINUE` for a replica without `capa psync2`) and the
/// backlog from `offset`. Returns false (full resync needed) otherwise,
/// logging why as Redis does.
pub fn master_try_partial_resynchronization(
    srv: &mut Server,
    c: &mut Client,
    psync_offset: i64,
) -> bool {
    let master_replid = String::from_utf8_lossy(&c.argv[1]).into_owned();
    let ours = master_replid.eq_ignore_ascii_case(&srv.replid);
    let prev = master_replid.eq_ignore_ascii_case(&srv.repl.replid2);
    if !ours && (!prev || psync_offset > srv.repl.second_replid_offset) {
        if !master_replid.starts_with('?') {
            if !ours && !prev {
                tracing::info!(
                    "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{}', my replication IDs are '{}' and '{}')",
                    master_replid,
                    srv.replid,
                    srv.repl.replid2
                );
            } else {
                tracing::info!(
                    "Partial resynchronization not accepted: Requested offset for second ID was {}, but I can reply up to {}",
                    psync_offset,
                    srv.repl.second_replid_offset
                );
            }
        } else {
            tracing::info!(
                "Full resync requested by replica {}",
                replication_get_slave_name(c)
            );
        }
        return false;
    }
    let holds = srv
        .repl
        .master
        .backlog
        .as_ref()
        .is_some_and(|b| psync_offset >= b.offset && psync_offset <= b.offset + b.histlen);
    if !holds {
        tracing::info!(
            "Unable to partial resync with replica {} for lack of backlog (Replica request was: {}).",
            replication_get_slave_name(c),
            psync_offset
        );
        if psync_offset > srv.repl.master_repl_offset {
            tracing::warn!(
                "Warning: replica {} tried to PSYNC with an offset that is greater than the master replication offset.",
                replication_get_slave_name(c)
            );
        }
        return false;
    }
    let now = unixtime(srv);
    {
        let r = client_repl(c);
        r.replstate = SlaveState::Online;
        r.repl_ack_time = now;
        r.repl_start_cmd_stream_on_ack = false;
    }
    add_replica(srv, c);
    let psync2 = c
        .repl
        .as_deref()
        .is_some_and(|r| r.slave_capa & SLAVE_CAPA_PSYNC2 != 0);
    let line = if psync2 {
        format!("+CONTINUE {}\r\n", srv.replid)
    } else {
        "+CONTINUE\r\n".to_string()
    };
    if !conn_write_direct(c, line.as_bytes()) {
        srv.close_client_asap(c);
        return true;
    }
    let psync_len = add_reply_replication_backlog(srv, c, psync_offset);
    tracing::info!(
        "Partial resynchronization request from {} accepted. Sending {} bytes of backlog starting from offset {}.",
        replication_get_slave_name(c),
        psync_len,
        psync_offset
    );
    srv.mark_pending_write(c);
    refresh_good_slaves_count_with(srv, Some(c));
    true
}

// ---- REPLCONF ----

/// REPLCONF <option> <value> ... (Redis `replconfCommand`): `listening-port
/// <port>`, `ip-address <ip>`, `capa eof|psync2` (others ignored), `ack
/// <offset>` (from a replica: records its offset and ACK time, puts a
/// diskless replica's stream on; no reply), `getack <any>` (on a replica:
/// sends an ACK to its master; no reply), `rdb-only 0|1`,
/// `rdb-filter-only <filters>` (only `functions`). Replies `+OK`. Errors:
/// an even number of arguments (`-ERR syntax error`), `-ERR Unrecognized
/// REPLCONF option: <opt>`, `-ERR REPLCONF ip-address provided by replica
/// instance is too long: <n> bytes`, `-ERR Unsupported rdb-filter-only
/// option: <f>`, non-integer values.
pub fn replconf_command(srv: &mut Server, c: &mut Client) {
    if c.argv.len().is_multiple_of(2) {
        c.add_reply_error(crate::shared::err_syntax());
        return;
    }
    let argv = c.argv.clone();
    for pair in argv[1..].chunks(2) {
        let (opt, val) = (&pair[0], &pair[1]);
        if opt.eq_ignore_ascii_case(b"listening-port") {
            let Some(port) = crate::db::get_long_long_or_reply(c, val, None) else {
                return;
            };
            client_repl(c).slave_listening_port = port as u16;
        } else if opt.eq_ignore_ascii_case(b"ip-address") {
            if val.len() < NET_HOST_STR_LEN {
                client_repl(c).slave_addr = Some(String::from_utf8_lossy(val).into_owned());
            } else {
                c.add_reply_error(&format!(
                    "ERR REPLCONF ip-address provided by replica instance is too long: {} bytes",
                    val.len()
                ));
                return;
            }
        } else if opt.eq_ignore_ascii_case(b"capa") {
            if val.eq_ignore_ascii_case(b"eof") {
                client_repl(c).slave_capa |= SLAVE_CAPA_EOF;
            } else if val.eq_ignore_ascii_case(b"psync2") {
                client_repl(c).slave_capa |= SLAVE_CAPA_PSYNC2;
            }
        } else if opt.eq_ignore_ascii_case(b"ack") {
            if c.flags & CLIENT_SLAVE == 0 {
                return;
            }
            let Some(offset) = crate::util::string2ll(val) else {
                return;
            };
            let now = unixtime(srv);
            let r = client_repl(c);
            if offset > r.repl_ack_off {
                r.repl_ack_off = offset;
            }
            r.repl_ack_time = now;
            // The ACK may come before the cron noticed the diskless
            // transfer's child exit: reap it now, to put this replica
            // online at once (Redis `checkChildrenDone` here).
            if r.replstate == SlaveState::WaitBgsaveEnd
                && srv.child.kind == crate::childinfo::ChildType::Rdb
            {
                crate::server::check_children_done(srv, Some(&mut *c));
            }
            let r = client_repl(c);
            let (state, on_ack) = (r.replstate, r.repl_start_cmd_stream_on_ack);
            if on_ack && state == SlaveState::Online {
                replica_start_command_stream(srv, c);
            }
            return;
        } else if opt.eq_ignore_ascii_case(b"getack") {
            if srv.repl.masterhost.is_some() {
                replication_send_ack_from(srv, c);
            }
            return;
        } else if opt.eq_ignore_ascii_case(b"rdb-only") {
            match crate::util::string2ll(val) {
                Some(0) => c.flags &= !CLIENT_REPL_RDBONLY,
                Some(1) => c.flags |= CLIENT_REPL_RDBONLY,
                Some(_) => {
                    c.add_reply_error("ERR value is out of range, value must between 0 and 1");
                    return;
                }
                None => {
                    c.add_reply_error(crate::shared::err_not_integer());
                    return;
                }
            }
        } else if opt.eq_ignore_ascii_case(b"rdb-filter-only") {
            let Some(filters) = crate::util::split_args(val) else {
                c.add_reply_error("ERR Missing rdb-filter-only values");
                return;
            };
            let mut req = SLAVE_REQ_RDB_EXCLUDE_DATA | SLAVE_REQ_RDB_EXCLUDE_FUNCTIONS;
            for f in &filters {
                if f.eq_ignore_ascii_case(b"functions") {
                    req &= !SLAVE_REQ_RDB_EXCLUDE_FUNCTIONS;
                } else {
                    let mut msg = b"ERR Unsupported rdb-filter-only option: ".to_vec();
                    msg.extend_from_slice(f);
                    c.add_reply_error_bytes(&msg);
                    return;
                }
            }
            client_repl(c).slave_req |= req;
        } else {
            let mut msg = b"ERR Unrecognized REPLCONF option: ".to_vec();
            msg.extend_from_slice(crate::networking::c_str(opt, usize::MAX));
            c.add_reply_error_bytes(&msg);
            return;
        }
    }
    c.add_reply_ok();
}

/// Answers our master's `REPLCONF GETACK` with `REPLCONF ACK <offset>`
/// (Redis `replicationSendAck`), the offset being what we applied so far.
/// `c` is the client that sent GETACK: our master itself when it comes
/// through the stream, else the ACK goes to the master client.
fn replication_send_ack_from(srv: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_MASTER != 0 {
        super::replica::replication_send_ack_to(srv, c);
    } else {
        super::replica::replication_send_ack(srv);
    }
}

// ---- min-replicas-to-write ----

/// Counts the online replicas whose last ACK is at most
/// `min-replicas-max-lag` seconds old into `good_replicas_count` (Redis
/// `refreshGoodSlavesCount`); nothing while the feature is off. `current`
/// is a replica taken out of the client table, counted too.
fn refresh_good_slaves_count_with(srv: &mut Server, current: Option<&Client>) {
    if srv.config.min_replicas_to_write == 0 || srv.config.min_replicas_max_lag == 0 {
        return;
    }
    let now = unixtime(srv);
    let max_lag = srv.config.min_replicas_max_lag as i64;
    let good_one = |c: &Client| {
        c.repl
            .as_deref()
            .is_some_and(|r| r.replstate == SlaveState::Online && now - r.repl_ack_time <= max_lag)
    };
    let mut good = srv
        .clients_iter()
        .filter(|c| c.flags & CLIENT_SLAVE != 0 && good_one(c))
        .count();
    if let Some(cur) = current
        && cur.flags & CLIENT_SLAVE != 0
        && good_one(cur)
    {
        good += 1;
    }
    srv.repl.good_replicas_count = good;
}

/// [`refresh_good_slaves_count_with`] for replicas all in the client table;
/// also applied when `min-replicas-*` change (CONFIG SET).
pub fn refresh_good_slaves_count(srv: &mut Server) {
    refresh_good_slaves_count_with(srv, None);
}

// ---- WAIT ----

/// Online replicas that acknowledged `offset` (Redis `replicationCountAcksByOffset`).
pub fn replication_count_acks_by_offset(srv: &Server, offset: i64) -> i64 {
    srv.clients_iter()
        .filter(|c| {
            c.flags & CLIENT_SLAVE != 0
                && c.repl
                    .as_deref()
                    .is_some_and(|r| r.replstate == SlaveState::Online && r.repl_ack_off >= offset)
        })
        .count() as i64
}

/// WAIT numreplicas timeout (Redis `waitCommand`): the number of replicas
/// that acknowledged the client's last write (`Client::woff`), at once if
/// enough did (or inside MULTI), else after blocking until enough do or
/// `timeout` ms pass (0 = forever). On a replica: `-ERR WAIT cannot be used
/// with replica instances. ...`. Errors: `-ERR value is not an integer or
/// out of range`, `-ERR timeout is not an integer or out of range`,
/// `-ERR timeout is negative`.
pub fn wait_command(srv: &mut Server, c: &mut Client) {
    if srv.repl.masterhost.is_some() {
        c.add_reply_error("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.");
        return;
    }
    let Some(numreplicas) = crate::db::get_long_long_or_reply(c, &c.argv[1].clone(), None) else {
        return;
    };
    let Some(tval) = crate::db::get_long_long_or_reply(
        c,
        &c.argv[2].clone(),
        Some("timeout is not an integer or out of range"),
    ) else {
        return;
    };
    if tval < 0 {
        c.add_reply_error("ERR timeout is negative");
        return;
    }
    let timeout = if tval > 0 {
        tval.saturating_add(crate::util::mstime())
    } else {
        0
    };
    let offset = c.woff;
    let acks = replication_count_acks_by_offset(srv, offset);
    if acks >= numreplicas || c.flags & CLIENT_MULTI != 0 {
        c.add_reply_long_long(acks);
        return;
    }
    srv.repl.master.waiting_acks.insert(
        0,
        WaitingClient {
            slot: c.slot,
            id: c.id,
            reploffset: offset,
            numreplicas,
        },
    );
    crate::blocked::block_for_keys(srv, c, crate::blocked::BlockType::Wait, &[], timeout);
    srv.repl.master.get_ack_from_slaves = true;
}

/// The reply of a WAIT whose timeout passed, or that CLIENT UNBLOCK
/// ended: the replicas that acknowledged its offset so far. Forgets the
/// waiting client.
pub fn wait_timeout_reply(srv: &mut Server, c: &mut Client) {
    let mut offset = c.woff;
    if let Some(pos) = srv
        .repl
        .master
        .waiting_acks
        .iter()
        .position(|w| w.id == c.id)
    {
        offset = srv.repl.master.waiting_acks.remove(pos).reploffset;
    }
    let n = replication_count_acks_by_offset(srv, offset);
    c.add_reply_long_long(n);
}

/// Forgets a WAIT client that is unblocked without a reply (freed).
pub fn unblock_client_waiting_replicas(srv: &mut Server, id: u64) {
    srv.repl.master.waiting_acks.retain(|w| w.id != id);
}

/// Unblocks the WAIT clients whose offset enough replicas acknowledged
/// (Redis `processClientsWaitingReplicas`), replying the count.
fn process_clients_waiting_replicas(srv: &mut Server) {
    let mut last_offset = 0i64;
    let mut last_numreplicas = 0i64;
    let mut i = 0;
    while i < srv.repl.master.waiting_acks.len() {
        let w = srv.repl.master.waiting_acks[i];
        let n =
            if last_offset != 0 && last_offset >= w.reploffset && last_numreplicas >= w.numreplicas
            {
                last_numreplicas
            } else {
                let n = replication_count_acks_by_offset(srv, w.reploffset);
                if n < w.numreplicas {
                    i += 1;
                    continue;
                }
                last_offset = w.reploffset;
                last_numreplicas = n;
                n
            };
        srv.repl.master.waiting_acks.remove(i);
        let Some(mut c) = srv.take_client(w.slot) else {
            continue;
        };
        if c.id == w.id && c.flags & crate::networking::CLIENT_BLOCKED != 0 {
            c.add_reply_long_long(n);
            crate::blocked::unblock_client(srv, &mut c);
            srv.mark_pending_write(&mut c);
        }
        srv.put_client(c);
    }
}

/// Sends `REPLCONF GETACK *` to the replicas (Redis `sendGetackToReplicas`).
pub fn send_getack_to_replicas(srv: &mut Server) {
    let argv = [
        Bytes::from_static(b"REPLCONF"),
        Bytes::from_static(b"GETACK"),
        Bytes::from_static(b"*"),
    ];
    let db = srv.repl.slaveseldb;
    feed_replication_stream_db(srv, db, &argv);
}

// ---- Hooks ----

/// Events on the master side's tokens (none are registered by this file).
pub fn handle_event(srv: &mut Server, ev: FiredEvent) {
    let _ = (srv, ev);
}

/// The master part of `replicationCron`, once a second: PING the replicas
/// every `repl-ping-replica-period` s (as stream, so it moves the offset),
/// disconnect online replicas silent for more than `repl-timeout`
/// ("Disconnecting timedout replica (streaming sync): <name>"), free the backlog after `repl-backlog-ttl` s without replicas (with a
/// new replication ID, "Replication backlog freed after <n> seconds
/// without connected replicas."), refresh the good-replica count.
pub fn replication_cron(srv: &mut Server) {
    let now = unixtime(srv);
    let period = srv.config.repl_ping_replica_period.max(1) as u64;
    if srv.repl.master.cron_loops.is_multiple_of(period) && !srv.repl.replicas.is_empty() {
        // A FAILOVER with a timeout pauses writes: no PING either, so the
        // target can catch up (Redis `replicationCron`).
        let manual_failover =
            srv.repl.failover.end_time != 0 && crate::networking::are_clients_paused(srv);
        if !manual_failover {
            let db = srv.repl.slaveseldb;
            feed_replication_stream_db(srv, db, &[Bytes::from_static(b"PING")]);
        }
    }
    // (The newlines to replicas waiting for their RDB and the full-sync
    // timeouts are fullsync.rs's part of the cron.)
    let timeout = srv.config.repl_timeout as i64;
    for slot in srv.repl.replicas.clone() {
        let Some(c) = srv.take_client(slot) else {
            continue;
        };
        let (state, ack_time) = c
            .repl
            .as_deref()
            .map_or((SlaveState::WaitBgsaveStart, 0), |r| {
                (r.replstate, r.repl_ack_time)
            });
        if state == SlaveState::Online
            && c.flags & CLIENT_PRE_PSYNC == 0
            && now - ack_time > timeout
        {
            tracing::warn!(
                "Disconnecting timedout replica (streaming sync): {}",
                replication_get_slave_name(&c)
            );
            srv.free_client(c);
            continue;
        }
        srv.put_client(c);
    }
    if srv.repl.replicas.is_empty()
        && srv.config.repl_backlog_ttl != 0
        && has_backlog(srv)
        && srv.repl.masterhost.is_none()
    {
        let idle = now - srv.repl.repl_no_slaves_since;
        if idle > srv.config.repl_backlog_ttl {
            super::change_replication_id(srv);
            super::clear_replication_id2(srv);
            free_replication_backlog(srv);
            tracing::info!(
                "Replication backlog freed after {} seconds without connected replicas.",
                srv.config.repl_backlog_ttl
            );
        }
    }
    refresh_good_slaves_count(srv);
    srv.repl.master.cron_loops += 1;
}

/// The master part of `before_sleep`: unblock WAIT clients that got their
/// ACKs, send the GETACK that new WAITs asked for (not while clients are
/// paused: it would move the offset), trim the backlog (ten times the
/// normal pace).
pub fn before_sleep(srv: &mut Server) {
    if !srv.repl.master.waiting_acks.is_empty() {
        process_clients_waiting_replicas(srv);
    }
    if srv.repl.master.get_ack_from_slaves
        && !crate::networking::check_client_pause_timeout_and_return_if_paused(srv)
    {
        send_getack_to_replicas(srv);
        srv.repl.master.get_ack_from_slaves = false;
    }
    if has_backlog(srv) {
        incremental_trim_replication_backlog(srv, 10 * REPL_BACKLOG_TRIM_BLOCKS_PER_CALL);
    }
}

/// A replica that has not acknowledged the whole stream, as SHUTDOWN logs
/// it ("Lagging replica <name> reported offset <n> behind master ...").
pub struct LaggingReplica {
    /// [`replication_get_slave_name`].
    pub name: String,
    /// `master_repl_offset` minus the replica's last ACKed offset.
    pub offset_behind: i64,
    /// Unix time (s) of its last ACK.
    pub ack_time: i64,
    /// True when it is online (its lag is then counted from `ack_time`).
    pub online: bool,
    /// Its state: `wait_bgsave`, `send_bulk`, `online`, or empty.
    pub state: &'static str,
}

/// The replicas whose last ACK is not `master_repl_offset`, in client-table
/// order, for SHUTDOWN's log (Redis `finishShutdown` walks `server.slaves`
/// for this). Empty when all caught up or there are none.
pub fn lagging_replicas(srv: &Server) -> Vec<LaggingReplica> {
    let offset = srv.repl.master_repl_offset;
    srv.clients_iter()
        .filter(|c| c.flags & CLIENT_SLAVE != 0)
        .filter_map(|c| {
            let r = c.repl.as_deref()?;
            (r.repl_ack_off != offset).then(|| LaggingReplica {
                name: replication_get_slave_name(c),
                offset_behind: offset - r.repl_ack_off,
                ack_time: r.repl_ack_time,
                online: r.replstate == SlaveState::Online,
                // Redis's `replstateToString` has no name for a sent RDB.
                state: if r.replstate == SlaveState::RdbTransmitted {
                    ""
                } else {
                    r.replstate.info_name()
                },
            })
        })
        .collect()
}

/// Writes what the online replicas are owed before the process exits
/// (Redis `flushSlavesOutputBuffers`, SHUTDOWN's best effort).
pub fn flush_slaves_output_buffers(srv: &mut Server) {
    for slot in srv.repl.replicas.clone() {
        let Some(mut c) = srv.take_client(slot) else {
            continue;
        };
        if replica_can_receive_writes(&c) && replica_has_pending_output(srv, &c) {
            let _ = write_to_replica(srv, &mut c);
        }
        srv.put_client(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> Server {
        Server::new(crate::config::Config::default()).expect("server")
    }

    #[test]
    fn feed_creates_blocks_and_offsets() {
        let mut srv = server();
        create_replication_backlog(&mut srv);
        feed_replication_stream(&mut srv, 0, &[Bytes::from_static(b"PING")]);
        let want = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n";
        assert_eq!(srv.repl.master_repl_offset, want.len() as i64);
        assert_eq!(repl_backlog_histlen(&srv), want.len() as i64);
        assert_eq!(repl_backlog_first_byte_offset(&srv), 1);
        let m = &srv.repl.master;
        assert_eq!(m.blocks.len(), 1);
        assert_eq!(&m.blocks[0].data[..], &want[..]);
        assert_eq!(m.blocks[0].refcount, 1);
        // Same db: no SELECT.
        feed_replication_stream(&mut srv, 0, &[Bytes::from_static(b"PING")]);
        assert_eq!(srv.repl.master_repl_offset, want.len() as i64 + 14);
    }

    #[test]
    fn backlog_trims_to_size_when_unreferenced() {
        let mut srv = server();
        srv.config.repl_backlog_size = CONFIG_REPL_BACKLOG_MIN_SIZE;
        create_replication_backlog(&mut srv);
        let big = Bytes::from(vec![b'x'; 100_000]);
        for _ in 0..5 {
            feed_replication_stream(&mut srv, 0, &[Bytes::from_static(b"SET"), big.clone()]);
        }
        let hist = repl_backlog_histlen(&srv);
        assert!(hist >= CONFIG_REPL_BACKLOG_MIN_SIZE, "{hist}");
        assert!(
            hist < CONFIG_REPL_BACKLOG_MIN_SIZE + 2 * 16 * 1024,
            "{hist}"
        );
        assert_eq!(
            repl_backlog_first_byte_offset(&srv),
            srv.repl.master_repl_offset - hist + 1
        );
        // The first block starts exactly at the backlog's first byte.
        let m = &srv.repl.master;
        assert_eq!(
            m.blocks[0].repl_offset,
            repl_backlog_first_byte_offset(&srv)
        );
        assert_eq!(m.blocks[0].refcount, 1);
        free_replication_backlog(&mut srv);
        assert_eq!(repl_buffer_mem(&srv), 0);
        assert!(!has_backlog(&srv));
    }

    #[test]
    fn replica_reference_holds_blocks_and_partial_resync_finds_offset() {
        let mut srv = server();
        srv.config.repl_backlog_size = CONFIG_REPL_BACKLOG_MIN_SIZE;
        create_replication_backlog(&mut srv);
        feed_replication_stream(&mut srv, 0, &[Bytes::from_static(b"PING")]);
        let mut c = Client::new(7, 0, None, "127.0.0.1:5555".into(), String::new(), 0);
        c.argv = vec![Bytes::from_static(b"psync")];
        let start = srv.repl.master_repl_offset + 1;
        let big = Bytes::from(vec![b'y'; 200_000]);
        // A replica referencing the first block keeps everything.
        let n = add_reply_replication_backlog(&mut srv, &mut c, 1);
        assert_eq!(n, start - 1);
        feed_replication_stream(&mut srv, 0, &[Bytes::from_static(b"SET"), big.clone()]);
        assert_eq!(repl_backlog_histlen(&srv), srv.repl.master_repl_offset);
        assert!(replica_output_buffer_memory(&srv, &c) > 200_000);
        // Sending everything moves the reference to the last block.
        let total = srv.repl.master_repl_offset as usize;
        advance_replica_reference(&mut srv, &mut c, total);
        assert!(!replica_has_pending_output(&srv, &c));
        incremental_trim_replication_backlog(&mut srv, 1000);
        assert!(repl_backlog_histlen(&srv) < 200_000);
        // An offset inside the backlog maps to the right byte.
        let first = repl_backlog_first_byte_offset(&srv);
        let mut d = Client::new(8, 1, None, "127.0.0.1:5556".into(), String::new(), 0);
        let left = add_reply_replication_backlog(&mut srv, &mut d, first + 10);
        assert_eq!(left, repl_backlog_histlen(&srv) - 10);
        let r = d.repl.as_deref().unwrap();
        let m = &srv.repl.master;
        let b = &m.blocks[block_index(m, r.ref_block_id.unwrap()).unwrap()];
        assert_eq!(b.repl_offset + r.ref_block_pos as i64, first + 10);
        free_replica_referenced_repl_buffer(&mut srv, &mut c);
        free_replica_referenced_repl_buffer(&mut srv, &mut d);
        assert_eq!(srv.repl.master.blocks[0].refcount, 1);
    }

    #[test]
    fn trimming_gives_back_the_ring_of_blocks() {
        let mut srv = server();
        srv.config.repl_backlog_size = CONFIG_REPL_BACKLOG_MIN_SIZE;
        create_replication_backlog(&mut srv);
        feed_replication_stream(&mut srv, 0, &[Bytes::from_static(b"PING")]);
        let mut c = Client::new(7, 0, None, "127.0.0.1:5555".into(), String::new(), 0);
        add_reply_replication_backlog(&mut srv, &mut c, 1);
        // A replica that reads nothing holds some 200 blocks.
        let big = Bytes::from(vec![b'z'; 100_000]);
        for _ in 0..32 {
            feed_replication_stream(&mut srv, 0, &[Bytes::from_static(b"SET"), big.clone()]);
        }
        assert!(srv.repl.master.blocks.len() > 150);
        free_replica_referenced_repl_buffer(&mut srv, &mut c);
        incremental_trim_replication_backlog(&mut srv, 1000);
        let m = &srv.repl.master;
        assert!(m.blocks.len() <= 2, "{}", m.blocks.len());
        assert!(m.blocks.capacity() < 16, "{}", m.blocks.capacity());
    }

    #[test]
    fn slave_name_formats() {
        let mut c = Client::new(3, 0, None, "10.1.2.3:4444".into(), String::new(), 0);
        assert_eq!(
            replication_get_slave_name(&c),
            "10.1.2.3:<unknown-replica-port>"
        );
        client_repl(&mut c).slave_listening_port = 6380;
        assert_eq!(replication_get_slave_name(&c), "10.1.2.3:6380");
        client_repl(&mut c).slave_addr = Some("::1".into());
        assert_eq!(replication_get_slave_name(&c), "[::1]:6380");
    }
}
