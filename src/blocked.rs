//! Blocked clients (Redis `blocked.c`, `timeout.c`): BLPOP and friends, their
//! timeouts, and serving clients when a key they wait on becomes ready.
//!
//! # Blocking
//! A blocking command that finds nothing to serve calls [`block_for_keys`]:
//! the client gets `CLIENT_BLOCKED`, its id is appended to the FIFO of each
//! key in `RedisDb::blocking_keys`, and its state (slot, type, database,
//! keys, timeout) is kept here by client id ([`BlockedState`]). The command
//! sends no reply and the client's argv is kept. A blocked client reads but
//! does not run further commands: `process_input_buffer` stops at it until it
//! is unblocked, then [`process_unblocked_clients`] (from `before_sleep`)
//! runs what accumulated in its query buffer.
//!
//! # Serving
//! A write that gives a key new elements (a push, an add, a key created by
//! `db_add`, a SWAPDB) calls [`signal_key_as_ready`]: a cheap no-op unless
//! somebody waits on that key, else the key is queued once on the ready
//! list. [`handle_clients_blocked_on_keys`] runs after every command (after
//! EXEC as a whole, not inside it) and in `before_sleep`: for each ready key,
//! while it exists with a type the waiters want, the waiting clients are
//! served first come first served by running their blocking command again —
//! its handler, with its original argv, the client taken out of the client
//! table — which now finds data and replies. Should the handler find nothing
//! after all and call [`block_for_keys`] again, the client simply stays
//! blocked where it was in every queue, with its original timeout. Serving
//! can make other keys ready (BLMOVE pushes): the loop runs until the ready
//! list is empty. A key deleted or given another type while clients wait
//! serves nobody; they stay blocked until it holds the right type again —
//! except XREADGROUP clients ([`BlockType::StreamGroup`]), whose command
//! runs again to answer an error: a stream key that is deleted,
//! overwritten, flushed or swapped away is signalled as ready for them
//! (`db.rs`, [`scan_database_for_deleted_streams`]). While a command runs
//! again, [`serving_key`] names the key it is served for.
//!
//! # Stats
//! The call that blocks is counted in INFO commandstats at once (a call and
//! its duration), as Redis does, but its latency is not sampled then: the
//! duration is kept with the blocked state, and when the client is served
//! or unblocked by CLIENT UNBLOCK [`update_stats_on_unblock`] adds that
//! duration plus the serving time to the command's `usec` and records the
//! total in its latency histogram (Redis `updateStatsOnUnblock`). A client
//! that times out adds nothing, as in Redis 7.0.
//!
//! # Timeouts
//! All timeouts live in one ordered set of `(unix ms, client id)`:
//! [`handle_blocked_clients_timeout`] (from `before_sleep`) pops the expired
//! ones in order and answers them with a null array, and the event loop's
//! poll timeout is bounded by [`ms_until_next_timeout`]. No timer per client.
//!
//! # Other reasons to block
//! [`BlockType`] says what a client waits for; the key queues, the timeout
//! set, CLIENT UNBLOCK, INFO and CLIENT LIST are shared by all types. A type
//! served by keys (streams for XREAD BLOCK) adds a variant and the object
//! type it is ready on ([`BlockType::served_by`]); a type not tied to keys
//! (WAIT) blocks with an empty key list and is unblocked by its own event
//! through [`unblock_client`], with its own timeout reply in
//! [`reply_to_blocked_client_timed_out`]. SHUTDOWN blocks the same way
//! while it waits for replicas ([`BlockType::Shutdown`]), with no timeout.

use std::collections::{BTreeSet, HashMap, VecDeque};

use bytes::Bytes;

use crate::commands::Handler;
use crate::db::{LOOKUP_NONOTIFY, LOOKUP_NOSTATS, lookup_key_read_with_flags};
use crate::networking::{
    CLIENT_BLOCKED, CLIENT_CLOSE_ASAP, CLIENT_DENY_BLOCKING, CLIENT_PENDING_READ, CLIENT_UNBLOCKED,
    Client,
};
use crate::object::ObjType;
use crate::server::Server;

/// Handlers owned by this module (CLIENT UNBLOCK), by name.
pub static HANDLERS: &[(&str, Handler)] = &[("client|unblock", client_unblock_command)];

/// What a client is blocked on (Redis `BLOCKED_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockType {
    /// BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP: served when a list key gets elements.
    List,
    /// BZPOPMIN, BZPOPMAX, BZMPOP: served when a sorted set key gets members.
    ZSet,
    /// XREAD BLOCK: served when a stream key gets entries.
    Stream,
    /// XREADGROUP BLOCK: served when a stream key gets entries, and also
    /// answered (with an error) when the key stops being a stream or the
    /// group goes away (Redis `unblockDeletedStreamReadgroupClients`).
    StreamGroup,
    /// WAIT: not served by keys; unblocked when enough replicas
    /// acknowledged (`replication/master.rs`).
    Wait,
    /// SHUTDOWN waiting for lagging replicas: never times out; the process
    /// exits, or the shutdown fails or is aborted and
    /// [`reply_to_clients_blocked_on_shutdown`] answers it.
    Shutdown,
}

impl BlockType {
    /// True when a key holding `t` can serve clients of this type.
    pub fn served_by(self, t: ObjType) -> bool {
        matches!(
            (self, t),
            (BlockType::List, ObjType::List)
                | (BlockType::ZSet, ObjType::ZSet)
                | (BlockType::Stream | BlockType::StreamGroup, ObjType::Stream)
        )
    }

    /// True when a ready key that is missing or of another type must
    /// still run the command of a client of this type: XREADGROUP then
    /// answers `-UNBLOCKED the stream key no longer exists`.
    pub fn served_when_gone(self) -> bool {
        self == BlockType::StreamGroup
    }
}

/// The blocking state of one client.
struct BlockedClient {
    /// Slot of the client in the server's table.
    slot: usize,
    btype: BlockType,
    /// Database of the keys (the client's selected db when it blocked).
    dbid: usize,
    /// Keys waited on, without duplicates.
    keys: Vec<Bytes>,
    /// Absolute unix ms, 0 = forever.
    timeout: i64,
    /// How long the call that blocked took, µs (Redis `c->duration`):
    /// added to the command's stats when the client is served or
    /// unblocked ([`update_stats_on_unblock`]).
    duration_us: u64,
}

/// Server-side state of blocked clients.
#[derive(Default)]
pub struct BlockedState {
    /// Blocked clients by id.
    clients: HashMap<u64, BlockedClient>,
    /// `(timeout ms, client id)` of blocked clients with a timeout, in order.
    timeouts: BTreeSet<(i64, u64)>,
    /// Keys signalled ready since the last pass, in signal order.
    ready_keys: Vec<(usize, Bytes)>,
    /// `(slot, id)` of clients unblocked whose query buffer must be resumed.
    unblocked: VecDeque<(usize, u64)>,
    /// The client whose command is being run again to serve it.
    reprocessing: Option<u64>,
    /// Set when the command being run again found nothing and asked to block.
    reblocked: bool,
    /// The ready key the command being run again is served for.
    serving_key: Option<Bytes>,
}

// ---- API for the blocking commands ----

/// False when the client must not block (inside MULTI/EXEC, or a script):
/// a blocking command then answers as if its timeout had expired.
pub fn client_may_block(c: &Client) -> bool {
    c.flags & CLIENT_DENY_BLOCKING == 0
}

/// Parses a blocking timeout in seconds (fractional allowed) into an
/// absolute unix time in ms, 0 meaning forever (Redis 7.0
/// `getTimeoutFromObjectOrReply`): the text is read as a C `long double`
/// (hex and exponents accepted), multiplied by 1000 and rounded up. Errors,
/// replied on `c`: `ERR timeout is not a float or out of range` (not a
/// number, NaN, overflow), `ERR timeout is negative` (also for values whose
/// milliseconds do not fit 64 bits, inf included, as Redis's conversion
/// makes them negative). A timeout too far to add to the clock never fires,
/// like Redis's. `ERR timeout is out of range` exists only in later Redis
/// versions; 7.0.15 never replies it.
pub fn get_timeout_or_reply(srv: &Server, c: &mut Client, arg: &[u8]) -> Option<i64> {
    let Some(ms) = crate::util::timeout_secs_to_ms(arg) else {
        c.add_reply_error("ERR timeout is not a float or out of range");
        return None;
    };
    if ms < 0 {
        c.add_reply_error("ERR timeout is negative");
        return None;
    }
    if ms == 0 {
        return Some(0);
    }
    Some(ms.checked_add(srv.mstime).unwrap_or(i64::MAX))
}

/// Blocks `c` on `keys` until one of them is ready or `timeout_ms`
/// (absolute unix ms, 0 = forever) passes (Redis `blockForKeys`). The
/// caller has already checked [`client_may_block`] and sends no reply. When
/// a key is ready the client's command is run again; on timeout the client
/// gets a null array. Called while the command is being run again to serve
/// the client, it leaves the client blocked where it was.
pub fn block_for_keys(
    srv: &mut Server,
    c: &mut Client,
    btype: BlockType,
    keys: &[Bytes],
    timeout_ms: i64,
) {
    if srv.blocked.reprocessing == Some(c.id) {
        srv.blocked.reblocked = true;
        return;
    }
    let mut unique: Vec<Bytes> = Vec::with_capacity(keys.len());
    for k in keys {
        if !unique.contains(k) {
            unique.push(k.clone());
        }
    }
    let db = &mut srv.dbs[c.db];
    for k in &unique {
        db.blocking_keys
            .entry(k.clone())
            .or_default()
            .push_back(c.id);
    }
    if timeout_ms != 0 {
        srv.blocked.timeouts.insert((timeout_ms, c.id));
    }
    srv.blocked.clients.insert(
        c.id,
        BlockedClient {
            slot: c.slot,
            btype,
            dbid: c.db,
            keys: unique,
            timeout: timeout_ms,
            duration_us: 0,
        },
    );
    c.flags |= CLIENT_BLOCKED;
}

/// Marks `key` in `dbid` as ready for the clients blocked on it (Redis
/// `signalKeyAsReady`): list pushes and sorted set adds call this. Cheap
/// when nobody is blocked.
pub fn signal_key_as_ready(srv: &mut Server, dbid: usize, key: &[u8]) {
    if srv.blocked.clients.is_empty() {
        return;
    }
    let db = &mut srv.dbs[dbid];
    let Some((k, _)) = db.blocking_keys.get_key_value(key) else {
        return;
    };
    if db.ready_keys.contains(key) {
        return;
    }
    let k = k.clone();
    db.ready_keys.insert(k.clone());
    srv.blocked.ready_keys.push((dbid, k));
}

/// Signals every key of `dbid` that has waiters and exists (Redis
/// `scanDatabaseForReadyKeys`): after SWAPDB, keys may have appeared.
pub fn scan_database_for_ready_keys(srv: &mut Server, dbid: usize) {
    if srv.dbs[dbid].blocking_keys.is_empty() {
        return;
    }
    let keys: Vec<Bytes> = srv.dbs[dbid].blocking_keys.keys().cloned().collect();
    for k in keys {
        if srv.dbs[dbid].dict.contains_key(&k) {
            signal_key_as_ready(srv, dbid, &k);
        }
    }
}

/// Signals the keys of `dbid` that clients wait on and that hold a
/// stream now but will not after the database is emptied or replaced by
/// `replaced_with` (Redis `scanDatabaseForDeletedStreams`): XREADGROUP
/// clients blocked on them are then answered with an error. Call it before
/// the change.
pub fn scan_database_for_deleted_streams(
    srv: &mut Server,
    dbid: usize,
    replaced_with: Option<usize>,
) {
    if srv.blocked.clients.is_empty() || srv.dbs[dbid].blocking_keys.is_empty() {
        return;
    }
    let keys: Vec<Bytes> = srv.dbs[dbid].blocking_keys.keys().cloned().collect();
    for k in keys {
        let is_stream = |srv: &Server, db: usize| {
            srv.dbs[db]
                .dict
                .get(&k)
                .is_some_and(|o| o.v.obj_type() == ObjType::Stream)
        };
        let was_stream = is_stream(srv, dbid);
        let stays_stream = replaced_with.is_some_and(|other| is_stream(srv, other));
        if was_stream && !stays_stream {
            signal_key_as_ready(srv, dbid, &k);
        }
    }
}

// ---- Serving ----

/// Serves the clients blocked on keys that became ready, until no key is
/// ready (Redis `handleClientsBlockedOnKeys`); see the module docs.
///
/// # Latency
/// Proportional to the clients served: each ready key visits its waiters
/// once and stops when the key is gone.
pub fn handle_clients_blocked_on_keys(srv: &mut Server) {
    while !srv.blocked.ready_keys.is_empty() {
        let ready = std::mem::take(&mut srv.blocked.ready_keys);
        for (dbid, key) in ready {
            srv.dbs[dbid].ready_keys.remove(&key);
            srv.update_cached_time();
            serve_clients_blocked_on_key(srv, dbid, &key);
        }
    }
}

fn serve_clients_blocked_on_key(srv: &mut Server, dbid: usize, key: &Bytes) {
    let Some(waiting) = srv.dbs[dbid].blocking_keys.get(key) else {
        return;
    };
    let waiting: Vec<u64> = waiting.iter().copied().collect();
    for id in waiting {
        let t = lookup_key_read_with_flags(srv, dbid, key, LOOKUP_NONOTIFY | LOOKUP_NOSTATS)
            .map(|o| o.v.obj_type());
        let Some(bc) = srv.blocked.clients.get(&id) else {
            continue;
        };
        if !(t.is_some_and(|t| bc.btype.served_by(t)) || bc.btype.served_when_gone()) {
            continue;
        }
        let slot = bc.slot;
        let Some(mut c) = srv.take_client(slot) else {
            continue;
        };
        if c.id != id || c.flags & CLIENT_CLOSE_ASAP != 0 {
            srv.put_client(c);
            continue;
        }
        // The served client is the current one meanwhile (Redis sets
        // `server.current_client`); its own invalidations follow its reply.
        let prev_current = srv.tracking.current.replace(c.id);
        let mark = crate::tracking::begin_serving(srv, &c);
        let first_us = blocked_call_duration(srv, c.id);
        srv.blocked.serving_key = Some(key.clone());
        let (reblocked, reply_us) = run_blocked_command_again(srv, &mut c);
        srv.blocked.serving_key = None;
        crate::tracking::end_call(srv, &mut c, mark);
        if !reblocked {
            // Logged now that it is served, with its argv.
            if let Some(idx) = c.cmd {
                crate::slowlog::update_stats_on_unblock(srv, &c, idx, first_us, reply_us);
            }
            unblock_client(srv, &mut c);
        }
        srv.tracking.current = prev_current;
        crate::tracking::handle_pending_key_invalidations(srv, &mut c);
        if c.has_pending_replies() {
            srv.mark_pending_write(&mut c);
        }
        srv.put_client(c);
    }
}

/// True while `c`'s blocked command is being run again to serve it (its
/// handler then propagates what Redis's serve path would).
pub fn is_serving_blocked(srv: &Server, c: &Client) -> bool {
    srv.blocked.reprocessing == Some(c.id)
}

/// The key that became ready, while a blocked client's command is run
/// again to serve it (XREAD serves only that key, as Redis 7.0 does).
pub fn serving_key(srv: &Server) -> Option<Bytes> {
    srv.blocked.serving_key.clone()
}

/// Runs a blocked client's command again to serve it. Returns true when the
/// command found nothing and the client stays blocked. When served, the
/// blocking call's duration plus this run's and the failure are added to
/// the command's stats ([`update_stats_on_unblock`]); it was counted as a
/// call when it blocked. Also returns this run's duration, µs.
fn run_blocked_command_again(srv: &mut Server, c: &mut Client) -> (bool, u64) {
    let Some(idx) = c.cmd else {
        return (false, 0);
    };
    let Some(handler) = srv.commands.cmds[idx].handler else {
        return (false, 0);
    };
    srv.blocked.reprocessing = Some(c.id);
    srv.blocked.reblocked = false;
    let start = crate::util::ustime();
    srv.ustime = start;
    srv.mstime = start / 1000;
    let dirty_before = srv.dirty;
    let old_prop_flags = c.flags & crate::networking::CLIENT_PROP_FLAGS;
    c.flags &= !crate::networking::CLIENT_PROP_FLAGS;
    srv.in_nested_call += 1;
    handler(srv, c);
    srv.in_nested_call -= 1;
    let dur = (crate::util::ustime() - start).max(0) as u64;
    srv.blocked.reprocessing = None;
    let reblocked = std::mem::take(&mut srv.blocked.reblocked);
    let failed = srv.record_error_codes(c) > 0;
    if !reblocked {
        update_stats_on_unblock(srv, c, idx, dur, failed);
    }
    // The served command's writes go out on their own, in the form the
    // handler rewrote them to (BLPOP → LPOP, BLMOVE → LMOVE, ...).
    crate::server::propagate_command(srv, c, idx, srv.dirty - dirty_before > 0);
    c.flags = (c.flags & !crate::networking::CLIENT_PROP_FLAGS) | old_prop_flags;
    if srv.in_nested_call == 0 {
        crate::server::propagate_pending_commands(srv);
    }
    (reblocked, dur)
}

/// Unblocks a client (Redis `unblockClient`): forgets its keys and timeout,
/// resets it for its next command and queues it so the commands that
/// accumulated in its query buffer run. The caller has replied.
pub fn unblock_client(srv: &mut Server, c: &mut Client) {
    forget_blocked_client(srv, c.id);
    c.flags &= !CLIENT_BLOCKED;
    crate::networking::reset_client(c);
    if c.flags & CLIENT_UNBLOCKED == 0 {
        c.flags |= CLIENT_UNBLOCKED;
        srv.blocked.unblocked.push_back((c.slot, c.id));
    }
}

/// Remembers how long the call that just blocked `id` took (`call` runs
/// this instead of recording the latency: a blocked command's stats are
/// completed when it is unblocked).
pub fn set_blocked_call_duration(srv: &mut Server, id: u64, duration_us: u64) {
    if let Some(bc) = srv.blocked.clients.get_mut(&id) {
        bc.duration_us = duration_us;
    }
}

/// How long the call that blocked client `id` took, µs (0 if not blocked).
fn blocked_call_duration(srv: &Server, id: u64) -> u64 {
    srv.blocked
        .clients
        .get(&id)
        .map(|bc| bc.duration_us)
        .unwrap_or(0)
}

/// Completes the stats of a blocked command when its client is served or
/// unblocked (Redis `updateStatsOnUnblock`): the command's `usec` grows by
/// the blocking call's duration plus `reply_us` (the time spent serving
/// it), `failed_calls` by one when `had_errors`, and with
/// `latency-tracking yes` the total goes into its latency histogram.
/// Call it before [`unblock_client`], which forgets the blocking call.
pub fn update_stats_on_unblock(
    srv: &mut Server,
    c: &Client,
    idx: usize,
    reply_us: u64,
    had_errors: bool,
) {
    let blocked_us = srv
        .blocked
        .clients
        .get(&c.id)
        .map(|bc| bc.duration_us)
        .unwrap_or(0);
    let total = blocked_us + reply_us;
    let cmd = &mut srv.commands.cmds[idx];
    cmd.microseconds += total;
    if had_errors {
        cmd.failed_calls += 1;
    }
    crate::info::update_command_latency_histogram(srv, idx, total);
}

/// Removes client `id` from the key queues and the timeout set.
fn forget_blocked_client(srv: &mut Server, id: u64) {
    let Some(bc) = srv.blocked.clients.remove(&id) else {
        return;
    };
    if bc.btype == BlockType::Wait {
        crate::replication::master::unblock_client_waiting_replicas(srv, id);
    }
    if bc.timeout != 0 {
        srv.blocked.timeouts.remove(&(bc.timeout, id));
    }
    let Some(db) = srv.dbs.get_mut(bc.dbid) else {
        return;
    };
    for k in &bc.keys {
        if let Some(q) = db.blocking_keys.get_mut(k) {
            if let Some(pos) = q.iter().position(|&x| x == id) {
                q.remove(pos);
            }
            if q.is_empty() {
                db.blocking_keys.remove(k);
            }
        }
    }
}

/// The reply of a blocked client whose timeout passed (Redis
/// `replyToBlockedClientTimedOut`): a null array for every key-blocked
/// type, the count of acknowledging replicas for WAIT.
pub fn reply_to_blocked_client_timed_out(srv: &mut Server, c: &mut Client) {
    if srv.blocked.clients.get(&c.id).map(|bc| bc.btype) == Some(BlockType::Wait) {
        crate::replication::master::wait_timeout_reply(srv, c);
    } else {
        c.add_reply_null_array();
    }
}

/// Answers and unblocks the clients whose timeout has passed (Redis
/// `handleBlockedClientsTimeout`), from `before_sleep`.
pub fn handle_blocked_clients_timeout(srv: &mut Server) {
    if srv.blocked.timeouts.is_empty() {
        return;
    }
    let now = crate::util::mstime();
    while let Some(&(timeout, id)) = srv.blocked.timeouts.first() {
        if timeout >= now {
            break;
        }
        srv.blocked.timeouts.remove(&(timeout, id));
        let Some(slot) = srv.blocked.clients.get(&id).map(|bc| bc.slot) else {
            continue;
        };
        let Some(mut c) = srv.take_client(slot) else {
            continue;
        };
        if c.id == id && c.flags & CLIENT_BLOCKED != 0 {
            reply_to_blocked_client_timed_out(srv, &mut c);
            unblock_client(srv, &mut c);
            srv.mark_pending_write(&mut c);
        }
        srv.put_client(c);
    }
}

/// Milliseconds until the nearest blocked-client timeout can fire, if any:
/// the event loop sleeps no longer than this.
pub fn ms_until_next_timeout(srv: &Server, now_ms: i64) -> Option<i64> {
    let &(t, _) = srv.blocked.timeouts.first()?;
    // A client times out once the clock is past its timeout.
    Some(t.saturating_add(1).saturating_sub(now_ms).max(0))
}

/// True when unblocked clients wait to resume their query buffers: the
/// event loop must not sleep.
pub fn has_unblocked_clients(srv: &Server) -> bool {
    !srv.blocked.unblocked.is_empty()
}

/// Runs the commands that accumulated in the query buffers of clients just
/// unblocked (Redis `processUnblockedClients`), from `before_sleep`.
///
/// # Latency
/// Each client runs at most one turn's worth of commands; the rest waits
/// on `clients_pending_read`.
pub fn process_unblocked_clients(srv: &mut Server) {
    while let Some((slot, id)) = srv.blocked.unblocked.pop_front() {
        let Some(mut c) = srv.take_client(slot) else {
            continue;
        };
        if c.id != id {
            srv.put_client(c);
            continue;
        }
        c.flags &= !CLIENT_UNBLOCKED;
        if c.flags & CLIENT_BLOCKED == 0 {
            crate::networking::process_input_buffer(srv, &mut c);
            if c.flags & CLIENT_PENDING_READ != 0 {
                srv.mark_pending_read(&mut c);
            }
        }
        srv.put_client(c);
    }
}

/// Forgets the blocking state of a client being freed (Redis `freeClient`
/// unblocking it): no reply is sent.
pub fn free_client_blocked_state(srv: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_BLOCKED != 0 {
        forget_blocked_client(srv, c.id);
        c.flags &= !CLIENT_BLOCKED;
    }
}

/// Answers `-ERR Errors trying to SHUTDOWN. Check logs.` to every client
/// blocked in SHUTDOWN and unblocks them, when the shutdown they wait for
/// failed or was aborted (Redis `replyToClientsBlockedOnShutdown`).
pub fn reply_to_clients_blocked_on_shutdown(srv: &mut Server) {
    let waiting: Vec<(u64, usize)> = srv
        .blocked
        .clients
        .iter()
        .filter(|(_, bc)| bc.btype == BlockType::Shutdown)
        .map(|(&id, bc)| (id, bc.slot))
        .collect();
    for (id, slot) in waiting {
        let Some(mut c) = srv.take_client(slot) else {
            continue;
        };
        if c.id == id && c.flags & CLIENT_BLOCKED != 0 {
            c.add_reply_error("ERR Errors trying to SHUTDOWN. Check logs.");
            srv.record_error_codes(&mut c);
            unblock_client(srv, &mut c);
            srv.mark_pending_write(&mut c);
        }
        srv.put_client(c);
    }
}

/// Number of blocked clients (INFO `blocked_clients`).
pub fn blocked_clients(srv: &Server) -> usize {
    srv.blocked.clients.len()
}

/// Number of blocked clients with a timeout (INFO `clients_in_timeout_table`).
pub fn clients_in_timeout_table(srv: &Server) -> usize {
    srv.blocked.timeouts.len()
}

// ---- CLIENT UNBLOCK ----

/// CLIENT UNBLOCK client-id [TIMEOUT|ERROR] → 1 if the client was blocked
/// and is now unblocked, else 0. TIMEOUT (the default) answers it as if its
/// timeout had passed; ERROR answers `-UNBLOCKED client unblocked via CLIENT
/// UNBLOCK`. Errors: `ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR`,
/// `ERR value is not an integer or out of range`. A client blocked in
/// SHUTDOWN has no timeout reply: only ERROR unblocks it (Redis 7.0.15
/// crashes on TIMEOUT there; this answers 0).
pub fn client_unblock_command(srv: &mut Server, c: &mut Client) {
    if c.argv.len() != 3 && c.argv.len() != 4 {
        c.add_reply_subcommand_arity_error();
        return;
    }
    let mut unblock_error = false;
    if c.argv.len() == 4 {
        if c.argv[3].eq_ignore_ascii_case(b"timeout") {
            unblock_error = false;
        } else if c.argv[3].eq_ignore_ascii_case(b"error") {
            unblock_error = true;
        } else {
            c.add_reply_error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    }
    let Some(id) = crate::db::get_long_long_or_reply(c, &c.argv[2].clone(), None) else {
        return;
    };
    let target_slot = u64::try_from(id).ok().and_then(|id| {
        srv.blocked
            .clients
            .get(&id)
            .filter(|bc| unblock_error || bc.btype != BlockType::Shutdown)
            .map(|bc| (bc.slot, id))
    });
    let mut unblocked = false;
    if let Some((slot, id)) = target_slot
        && let Some(mut t) = srv.take_client(slot)
    {
        if t.id == id && t.flags & CLIENT_BLOCKED != 0 {
            if unblock_error {
                t.add_reply_error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
            } else {
                reply_to_blocked_client_timed_out(srv, &mut t);
            }
            srv.record_error_codes(&mut t);
            // Redis 7.0 counts the interrupted command as failed either way.
            let first_us = blocked_call_duration(srv, t.id);
            if let Some(idx) = t.lastcmd {
                update_stats_on_unblock(srv, &t, idx, 0, true);
            }
            unblock_client(srv, &mut t);
            // The slow log entry comes after unblocking, when the argv is
            // gone, as in Redis 7.0.
            if let Some(idx) = t.lastcmd {
                crate::slowlog::update_stats_on_unblock(srv, &t, idx, first_us, 0);
            }
            srv.mark_pending_write(&mut t);
            unblocked = true;
        }
        srv.put_client(t);
    }
    c.add_reply_long_long(if unblocked { 1 } else { 0 });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::timeout_secs_to_ms;

    #[test]
    fn timeouts_parse_as_redis_7_0() {
        assert_eq!(timeout_secs_to_ms(b"0"), Some(0));
        assert_eq!(timeout_secs_to_ms(b"1.5"), Some(1500));
        // Rounded up to the next millisecond.
        assert_eq!(timeout_secs_to_ms(b"0.0001"), Some(1));
        assert_eq!(timeout_secs_to_ms(b"1e-300"), Some(1));
        assert_eq!(timeout_secs_to_ms(b"0.0015"), Some(2));
        // Up to zero: forever.
        assert_eq!(timeout_secs_to_ms(b"-0.0001"), Some(0));
        assert_eq!(timeout_secs_to_ms(b"-0"), Some(0));
        assert_eq!(timeout_secs_to_ms(b"-1"), Some(-1000));
        // strtold forms.
        assert_eq!(timeout_secs_to_ms(b"0x10"), Some(16000));
        assert_eq!(timeout_secs_to_ms(b"1e3"), Some(1_000_000));
        assert_eq!(timeout_secs_to_ms(b"00001"), Some(1000));
        // Too big for 64 bits of milliseconds: what x86-64 makes of it.
        assert_eq!(timeout_secs_to_ms(b"inf"), Some(i64::MIN));
        assert_eq!(timeout_secs_to_ms(b"1e30"), Some(i64::MIN));
        assert_eq!(timeout_secs_to_ms(b"9223372036854775807"), Some(i64::MIN));
        assert_eq!(
            timeout_secs_to_ms(b"9223372036854775"),
            Some(9_223_372_036_854_775_000)
        );
        for bad in [
            &b"nan"[..],
            b" 1",
            b"1 ",
            b"",
            b"abc",
            b"1e",
            b"1_0",
            b"1e99999",
        ] {
            assert_eq!(timeout_secs_to_ms(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn block_types_and_object_types() {
        assert!(BlockType::List.served_by(ObjType::List));
        assert!(BlockType::ZSet.served_by(ObjType::ZSet));
        assert!(!BlockType::List.served_by(ObjType::ZSet));
        assert!(!BlockType::ZSet.served_by(ObjType::String));
    }

    #[test]
    fn signal_is_a_no_op_without_waiters() {
        let mut srv = Server::new(crate::config::Config::default()).expect("server");
        signal_key_as_ready(&mut srv, 0, b"k");
        assert!(srv.blocked.ready_keys.is_empty());
        assert_eq!(ms_until_next_timeout(&srv, 0), None);
        srv.blocked.timeouts.insert((1000, 1));
        assert_eq!(ms_until_next_timeout(&srv, 400), Some(601));
        assert_eq!(ms_until_next_timeout(&srv, 5000), Some(0));
    }
}
