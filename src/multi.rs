//! Transactions (Redis `multi.c`): MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! # Queueing
//! After MULTI the client carries `CLIENT_MULTI`, and `server::process_command`
//! queues every command that passes its checks (lookup, arity, auth, the
//! `no_multi` flag, ACL) into the client's [`MultiState`], answering `+QUEUED`.
//! EXEC, DISCARD, MULTI, WATCH, QUIT and RESET are never queued. A command
//! rejected while queueing (unknown command, wrong arity, `no_multi`, ...)
//! flags the transaction with `CLIENT_DIRTY_EXEC` ([`flag_transaction`]), and
//! EXEC then answers `-EXECABORT Transaction discarded because of previous
//! errors.` without running anything. Errors raised while EXEC runs the
//! queue are ordinary replies inside EXEC's array: the other commands run.
//!
//! # ACL
//! A command the client's user may not run is refused while queueing (by the
//! ACL gate of `process_command`, which flags the transaction). EXEC checks
//! each queued command again before running it, because ACL SETUSER may have
//! changed the user in between: a command no longer allowed gets a NOPERM
//! error in its place in EXEC's array (and an ACL LOG entry, context
//! `multi`), and the others still run.
//!
//! # WATCH (check-and-set)
//! Each database maps a watched key to the clients watching it
//! (`RedisDb::watched_keys`, one [`WatchedKey`] per client), and the server
//! keeps, per client id, the list of `(db, key)` it watches plus its "dirty
//! CAS" bit ([`WatchState`]). That second half lives on the server, not in
//! the `Client`, because the client being served is out of the client table
//! while a command runs: a write by client A must be able to mark client B
//! dirty, and also A itself, without reaching either `Client`.
//!
//! A key is "touched" by every modification (`db::signal_modified_key` →
//! [`touch_watched_key`], which also covers keys deleted by expiry), by
//! FLUSHDB/FLUSHALL and by SWAPDB ([`touch_all_watched_keys_in_db`]). A
//! touched watcher is marked dirty and stops watching everything (there is
//! nothing left to learn). EXEC also fails when a watched key has logically
//! expired since WATCH even if nothing deleted it yet; a key that was already
//! expired when it was watched is remembered as such (`expired`), so that its
//! lazy deletion (a logical no-op) does not fail the transaction. A dirty EXEC
//! answers a null array (`*-1`, RESP3 `_`). EXEC, DISCARD, UNWATCH, RESET and
//! freeing the client stop watching.
//!
//! # Propagation hook
//! `srv.in_exec` is true while EXEC runs its queue. The AOF / replication
//! feed (not written yet) will use it, as Redis 7.0 does, to wrap the writes
//! of one EXEC in a single `MULTI … EXEC` unit: the hook point is marked in
//! [`exec_command`].

use std::collections::HashMap;

use bytes::Bytes;

use crate::acl::{AclDenied, AclLogContext};
use crate::commands::Handler;
use crate::networking::{CLIENT_DENY_BLOCKING, CLIENT_DIRTY_EXEC, CLIENT_MULTI, Client};
use crate::server::Server;

/// Transaction command handlers, by name.
pub static HANDLERS: &[(&str, Handler)] = &[
    ("multi", multi_command),
    ("exec", exec_command),
    ("discard", discard_command),
    ("watch", watch_command),
    ("unwatch", unwatch_command),
];

/// Size Redis accounts per queued command slot (`sizeof(multiCmd)`), for `multi-mem`.
const MULTI_CMD_SIZE: usize = 24;
/// Size Redis accounts per watched key of a client (`listNode` + `watchedKey`).
const WATCHED_KEY_SIZE: usize = 24 + 32;

/// One queued command: its command-table index and its arguments.
pub struct MultiCmd {
    pub cmd: usize,
    pub argv: Vec<Bytes>,
}

/// The commands a client queued after MULTI (Redis `multiState`).
#[derive(Default)]
pub struct MultiState {
    pub commands: Vec<MultiCmd>,
    /// OR of the queued commands' flags (`CMD_*`).
    pub cmd_flags: u64,
    /// OR of the complements of the queued commands' flags.
    pub cmd_inv_flags: u64,
    /// Argument bytes plus one pointer per argument, as Redis counts them.
    pub argv_len_sums: usize,
    /// Queue slots Redis would have allocated (2, doubling).
    alloc_count: usize,
}

impl MultiState {
    /// Memory Redis reports for the queue (`multiStateMemOverhead` without
    /// the watched keys, which the server side adds).
    pub fn mem_overhead(&self) -> usize {
        self.argv_len_sums + self.alloc_count * MULTI_CMD_SIZE
    }
}

/// A client watching a key, in `RedisDb::watched_keys` (Redis `watchedKey`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WatchedKey {
    /// The watching client's id.
    pub client: u64,
    /// The key was already logically expired when it was watched.
    pub expired: bool,
}

/// What one client watches, and whether a watched key was touched.
#[derive(Default)]
struct ClientWatch {
    keys: Vec<(usize, Bytes)>,
    dirty_cas: bool,
}

/// The per-client side of WATCH, reachable by client id (see the module docs).
#[derive(Default)]
pub struct WatchState {
    clients: HashMap<u64, ClientWatch>,
}

// ---- Client state ----

/// Marks the transaction as failed to queue, so EXEC aborts (Redis `flagTransaction`).
pub fn flag_transaction(c: &mut Client) {
    if c.flags & CLIENT_MULTI != 0 {
        c.flags |= CLIENT_DIRTY_EXEC;
    }
}

/// True when a key watched by client `id` was touched (Redis `CLIENT_DIRTY_CAS`).
pub fn is_dirty_cas(srv: &Server, id: u64) -> bool {
    srv.watch.clients.get(&id).is_some_and(|w| w.dirty_cas)
}

/// How many keys client `id` watches.
pub fn watched_keys_count(srv: &Server, id: u64) -> usize {
    srv.watch.clients.get(&id).map_or(0, |w| w.keys.len())
}

/// The `multi-mem` of CLIENT LIST: the queued arguments as Redis counts
/// them (bytes plus one pointer each).
pub fn multi_mem(c: &Client) -> usize {
    c.mstate.argv_len_sums
}

/// Memory Redis counts for the keys a client watches (part of `tot-mem`;
/// the queue's share is in `Client::mem_usage`).
pub fn watched_keys_mem(srv: &Server, id: u64) -> usize {
    watched_keys_count(srv, id) * WATCHED_KEY_SIZE
}

/// Queues the current command (already validated) into the transaction
/// (Redis `queueMultiCommand`); the caller replies `+QUEUED`. A transaction
/// that can no longer succeed keeps nothing.
pub fn queue_multi_command(srv: &Server, c: &mut Client, cmd: usize, cmd_flags: u64) {
    if c.flags & CLIENT_DIRTY_EXEC != 0 || is_dirty_cas(srv, c.id) {
        return;
    }
    let argv = std::mem::take(&mut c.argv);
    let ms = &mut c.mstate;
    if ms.commands.is_empty() && ms.alloc_count == 0 {
        ms.alloc_count = 2;
    }
    if ms.commands.len() == ms.alloc_count {
        ms.alloc_count = ms.alloc_count.saturating_mul(2);
    }
    ms.argv_len_sums += argv.iter().map(|a| a.len()).sum::<usize>() + 8 * argv.len();
    ms.cmd_flags |= cmd_flags;
    ms.cmd_inv_flags |= !cmd_flags;
    ms.commands.push(MultiCmd { cmd, argv });
}

/// Leaves MULTI: drops the queue, clears the transaction flags and the
/// dirty bit, and stops watching (Redis `discardTransaction`).
pub fn discard_transaction(srv: &mut Server, c: &mut Client) {
    c.mstate = MultiState::default();
    c.flags &= !(CLIENT_MULTI | CLIENT_DIRTY_EXEC);
    unwatch_all_keys(srv, c.id);
    srv.watch.clients.remove(&c.id);
}

/// Aborts EXEC because it was rejected before running (wrong arity, ...):
/// `-EXECABORT Transaction discarded because of: <error>` (Redis
/// `execCommandAbort`). A leading `ERR ` of `error` is dropped, as Redis's
/// prefix-less error strings have none.
pub fn exec_command_abort(srv: &mut Server, c: &mut Client, error: &str) {
    discard_transaction(srv, c);
    let e = error.strip_prefix('-').unwrap_or(error);
    let e = e.strip_prefix("ERR ").unwrap_or(e);
    c.add_reply_error(&format!(
        "EXECABORT Transaction discarded because of: {}",
        e
    ));
    // MONITOR saw MULTI: show that the transaction is over.
    crate::networking::feed_monitors(srv, c);
}

/// Cleans the transaction and watch state of a client being freed or reset.
pub fn free_client_multi_state(srv: &mut Server, c: &mut Client) {
    discard_transaction(srv, c);
}

// ---- Commands ----

/// MULTI → OK; starts queueing. Error: `ERR MULTI calls can not be nested`.
pub fn multi_command(_srv: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_MULTI != 0 {
        c.add_reply_error("ERR MULTI calls can not be nested");
        return;
    }
    c.flags |= CLIENT_MULTI;
    c.add_reply_ok();
}

/// DISCARD → OK; drops the queue and unwatches. Error: `ERR DISCARD without MULTI`.
pub fn discard_command(srv: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_MULTI == 0 {
        c.add_reply_error("ERR DISCARD without MULTI");
        return;
    }
    discard_transaction(srv, c);
    c.add_reply_ok();
}

/// EXEC → array of the queued commands' replies; null array when a watched
/// key was touched or expired; `-EXECABORT Transaction discarded because of
/// previous errors.` after a queueing error. Error: `ERR EXEC without MULTI`.
pub fn exec_command(srv: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_MULTI == 0 {
        c.add_reply_error("ERR EXEC without MULTI");
        return;
    }
    if is_watched_key_expired(srv, c.id) {
        set_dirty_cas(srv, c.id);
    }
    let dirty_exec = c.flags & CLIENT_DIRTY_EXEC != 0;
    if dirty_exec || is_dirty_cas(srv, c.id) {
        if dirty_exec {
            c.add_reply_error("EXECABORT Transaction discarded because of previous errors.");
        } else {
            c.add_reply_null_array();
        }
        discard_transaction(srv, c);
        return;
    }
    // Blocking commands answer as if their timeout had expired.
    let old_flags = c.flags;
    c.flags |= CLIENT_DENY_BLOCKING;
    unwatch_all_keys(srv, c.id);
    // Propagation hook: while `in_exec` is set, the future AOF/replication
    // feed accumulates the writes of the queued commands and emits them
    // wrapped as one MULTI ... EXEC unit when this function returns.
    srv.in_exec = true;
    let orig_argv = std::mem::take(&mut c.argv);
    let orig_cmd = c.cmd;
    // The queue stays in place while it runs (CLIENT LIST shows its length).
    let n = c.mstate.commands.len();
    c.add_reply_array_len(n);
    for j in 0..n {
        let Some(mc) = c.mstate.commands.get_mut(j) else {
            break;
        };
        let cmd = mc.cmd;
        c.argv = std::mem::take(&mut mc.argv);
        c.cmd = Some(cmd);
        // The user's rules may have changed since the command was queued.
        if let Some(reason) = exec_acl_denied(srv, c, cmd) {
            c.add_reply_error(&format!(
                "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: {}",
                reason
            ));
        } else {
            crate::server::call(srv, c, cmd);
        }
        if let Some(mc) = c.mstate.commands.get_mut(j) {
            mc.argv = std::mem::take(&mut c.argv);
        }
    }
    if old_flags & CLIENT_DENY_BLOCKING == 0 {
        c.flags &= !CLIENT_DENY_BLOCKING;
    }
    c.argv = orig_argv;
    c.cmd = orig_cmd;
    discard_transaction(srv, c);
    srv.in_exec = false;
}

/// EXEC's second ACL check of a queued command (Redis `execCommand`): None
/// when the client's user may still run it, else the reason its NOPERM
/// error gives (`no permission to execute the command or subcommand`, `no
/// permission to touch the specified keys`, `no permission to access one of
/// the channels used as arguments`), after adding an ACL LOG entry with
/// context `multi`.
fn exec_acl_denied(srv: &mut Server, c: &Client, cmd: usize) -> Option<&'static str> {
    let user = c.user.clone()?;
    let denied = crate::acl::check_all_perm(srv, &user.borrow(), cmd, &c.argv);
    let (reason, argpos) = denied.err()?;
    crate::acl::add_log_entry(srv, c, reason, AclLogContext::Multi, argpos, None, None);
    Some(match reason {
        AclDenied::Cmd => "no permission to execute the command or subcommand",
        AclDenied::Key => "no permission to touch the specified keys",
        AclDenied::Channel => "no permission to access one of the channels used as arguments",
        AclDenied::Auth => "no permission",
    })
}

/// WATCH key [key ...] → OK. Error: `ERR WATCH inside MULTI is not allowed`.
pub fn watch_command(srv: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_MULTI != 0 {
        c.add_reply_error("ERR WATCH inside MULTI is not allowed");
        return;
    }
    // Already dirty: EXEC will fail whatever else is watched.
    if is_dirty_cas(srv, c.id) {
        c.add_reply_ok();
        return;
    }
    for j in 1..c.argv.len() {
        let key = c.argv[j].clone();
        watch_for_key(srv, c.id, c.db, key);
    }
    c.add_reply_ok();
}

/// UNWATCH → OK; forgets every watched key and the dirty bit.
pub fn unwatch_command(srv: &mut Server, c: &mut Client) {
    unwatch_all_keys(srv, c.id);
    srv.watch.clients.remove(&c.id);
    c.add_reply_ok();
}

// ---- WATCH bookkeeping ----

/// Starts watching `key` of `dbid` for client `id` (Redis `watchForKey`).
fn watch_for_key(srv: &mut Server, id: u64, dbid: usize, key: Bytes) {
    let cw = srv.watch.clients.entry(id).or_default();
    if cw.keys.iter().any(|(d, k)| *d == dbid && *k == key) {
        return;
    }
    cw.keys.push((dbid, key.clone()));
    let expired = crate::expire::key_is_expired(srv, dbid, &key);
    srv.dbs[dbid]
        .watched_keys
        .entry(key)
        .or_default()
        .push(WatchedKey {
            client: id,
            expired,
        });
}

/// Stops watching every key of client `id`; its dirty bit stays (Redis `unwatchAllKeys`).
fn unwatch_all_keys(srv: &mut Server, id: u64) {
    let Some(cw) = srv.watch.clients.get_mut(&id) else {
        return;
    };
    let keys = std::mem::take(&mut cw.keys);
    for (dbid, key) in keys {
        let Some(db) = srv.dbs.get_mut(dbid) else {
            continue;
        };
        if let Some(list) = db.watched_keys.get_mut(&key) {
            list.retain(|wk| wk.client != id);
            if list.is_empty() {
                db.watched_keys.remove(&key);
            }
        }
    }
}

fn set_dirty_cas(srv: &mut Server, id: u64) {
    srv.watch.clients.entry(id).or_default().dirty_cas = true;
}

/// True when a key client `id` watches has logically expired since it was
/// watched (Redis `isWatchedKeyExpired`).
fn is_watched_key_expired(srv: &Server, id: u64) -> bool {
    let Some(cw) = srv.watch.clients.get(&id) else {
        return false;
    };
    cw.keys.iter().any(|(dbid, key)| {
        let was_expired = srv.dbs[*dbid]
            .watched_keys
            .get(key)
            .and_then(|l| l.iter().find(|wk| wk.client == id))
            .is_some_and(|wk| wk.expired);
        !was_expired && crate::expire::key_is_expired(srv, *dbid, key)
    })
}

/// Invalidates the WATCHes of every client watching `key` in `dbid`
/// (Redis `touchWatchedKey`); called through `db::signal_modified_key`.
///
/// A watcher that saw the key already expired is not failed by the key's
/// deletion (nothing logically changed); its `expired` mark is cleared.
/// Like Redis 7.0, meeting such a watcher while the key exists ends the pass.
pub fn touch_watched_key(srv: &mut Server, dbid: usize, key: &[u8]) {
    let db = &srv.dbs[dbid];
    if db.watched_keys.is_empty() {
        return;
    }
    let Some(list) = db.watched_keys.get(key) else {
        return;
    };
    let watchers = list.clone();
    let exists = db.dict.contains_key(key);
    for wk in watchers {
        if wk.expired {
            if exists {
                break;
            }
            if let Some(l) = srv.dbs[dbid].watched_keys.get_mut(key)
                && let Some(w) = l.iter_mut().find(|w| w.client == wk.client)
            {
                w.expired = false;
            }
            continue;
        }
        set_dirty_cas(srv, wk.client);
        // Dirty now: nothing more to learn from its other keys.
        unwatch_all_keys(srv, wk.client);
    }
}

/// Invalidates the WATCHes on the keys of database `emptied` that exist in
/// it, or in `replaced_with` (SWAPDB) (Redis `touchAllWatchedKeysInDb`).
/// Called before the database is flushed or swapped. Keys that were already
/// expired stay valid when they are replaced with nothing or with another
/// expired key.
pub fn touch_all_watched_keys_in_db(
    srv: &mut Server,
    emptied: usize,
    replaced_with: Option<usize>,
) {
    if srv.dbs[emptied].watched_keys.is_empty() {
        return;
    }
    let keys: Vec<Bytes> = srv.dbs[emptied].watched_keys.keys().cloned().collect();
    let mut dirty: Vec<u64> = Vec::new();
    for key in keys {
        let exists_in_emptied = srv.dbs[emptied].dict.contains_key(&key);
        let exists_in_replacement =
            replaced_with.is_some_and(|r| srv.dbs[r].dict.contains_key(&key));
        if !exists_in_emptied && !exists_in_replacement {
            continue;
        }
        let replacement_expired =
            replaced_with.is_some_and(|r| crate::expire::key_is_expired(srv, r, &key));
        let Some(list) = srv.dbs[emptied].watched_keys.get_mut(&key) else {
            continue;
        };
        for wk in list.iter_mut() {
            if wk.expired {
                if !exists_in_replacement {
                    // An expired key now deleted: no logical change.
                    wk.expired = false;
                    continue;
                } else if replacement_expired {
                    // Expired before, expired after.
                    continue;
                }
            } else if !exists_in_emptied && replacement_expired {
                // A missing key replaced with an expired one.
                wk.expired = true;
                continue;
            }
            dirty.push(wk.client);
        }
    }
    for id in dirty {
        set_dirty_cas(srv, id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::Value;

    fn server() -> Server {
        Server::new(crate::config::Config::default()).expect("server")
    }

    fn set(srv: &mut Server, db: usize, key: &[u8]) {
        crate::db::set_key(srv, db, key, Value::from_bytes(b"v"), false);
    }

    fn set_expired(srv: &mut Server, db: usize, key: &[u8]) {
        set(srv, db, key);
        let past = srv.mstime - 1000;
        crate::db::set_expire(srv, db, key, past);
    }

    #[test]
    fn queue_accounting_matches_redis() {
        let mut ms = MultiState::default();
        assert_eq!(ms.mem_overhead(), 0);
        ms.alloc_count = 2;
        ms.argv_len_sums = 5 + 3 * 8;
        assert_eq!(ms.mem_overhead(), 29 + 48);
    }

    #[test]
    fn touch_marks_every_watcher_and_unwatches_it() {
        let mut srv = server();
        watch_for_key(&mut srv, 1, 0, Bytes::from_static(b"k"));
        watch_for_key(&mut srv, 1, 0, Bytes::from_static(b"other"));
        watch_for_key(&mut srv, 2, 0, Bytes::from_static(b"k"));
        watch_for_key(&mut srv, 3, 1, Bytes::from_static(b"k"));
        // Watching twice is watching once.
        watch_for_key(&mut srv, 2, 0, Bytes::from_static(b"k"));
        assert_eq!(watched_keys_count(&srv, 2), 1);
        set(&mut srv, 0, b"k");
        assert!(is_dirty_cas(&srv, 1) && is_dirty_cas(&srv, 2));
        assert!(!is_dirty_cas(&srv, 3), "another database");
        assert_eq!(watched_keys_count(&srv, 1), 0);
        assert!(srv.dbs[0].watched_keys.is_empty());
        assert_eq!(srv.dbs[1].watched_keys.len(), 1);
        unwatch_all_keys(&mut srv, 3);
        assert!(srv.dbs[1].watched_keys.is_empty());
    }

    #[test]
    fn keys_expired_when_watched() {
        let mut srv = server();
        set_expired(&mut srv, 0, b"x");
        watch_for_key(&mut srv, 7, 0, Bytes::from_static(b"x"));
        assert!(srv.dbs[0].watched_keys[&b"x"[..]][0].expired);
        assert!(!is_watched_key_expired(&srv, 7));
        // Its deletion changes nothing logically.
        crate::expire::expire_if_needed(&mut srv, 0, b"x", 0);
        assert!(!is_dirty_cas(&srv, 7));
        assert!(!srv.dbs[0].watched_keys[&b"x"[..]][0].expired);
        // Setting it afterwards does.
        set(&mut srv, 0, b"x");
        assert!(is_dirty_cas(&srv, 7));
    }

    #[test]
    fn keys_expiring_after_watch_fail_exec() {
        let mut srv = server();
        set(&mut srv, 0, b"y");
        watch_for_key(&mut srv, 8, 0, Bytes::from_static(b"y"));
        assert!(!is_watched_key_expired(&srv, 8));
        let past = srv.mstime - 1;
        crate::db::set_expire(&mut srv, 0, b"y", past);
        assert!(is_watched_key_expired(&srv, 8));
    }

    #[test]
    fn flush_and_swap_rules() {
        let mut srv = server();
        // Existing key flushed: dirty. Missing key: not.
        set(&mut srv, 0, b"a");
        watch_for_key(&mut srv, 1, 0, Bytes::from_static(b"a"));
        watch_for_key(&mut srv, 2, 0, Bytes::from_static(b"missing"));
        touch_all_watched_keys_in_db(&mut srv, 0, None);
        assert!(is_dirty_cas(&srv, 1));
        assert!(!is_dirty_cas(&srv, 2));
        // SWAPDB: a missing key replaced with an existing one.
        set(&mut srv, 1, b"missing");
        touch_all_watched_keys_in_db(&mut srv, 0, Some(1));
        assert!(is_dirty_cas(&srv, 2));
        // A missing key replaced with an expired one: marked expired, not dirty.
        set_expired(&mut srv, 1, b"b");
        watch_for_key(&mut srv, 3, 0, Bytes::from_static(b"b"));
        touch_all_watched_keys_in_db(&mut srv, 0, Some(1));
        assert!(!is_dirty_cas(&srv, 3));
        assert!(srv.dbs[0].watched_keys[&b"b"[..]][0].expired);
        // An expired key replaced with another expired key: still nothing.
        set_expired(&mut srv, 0, b"b");
        touch_all_watched_keys_in_db(&mut srv, 0, Some(1));
        assert!(!is_dirty_cas(&srv, 3));
        // An expired key replaced with a live one: dirty.
        set(&mut srv, 1, b"b");
        touch_all_watched_keys_in_db(&mut srv, 0, Some(1));
        assert!(is_dirty_cas(&srv, 3));
    }
}
