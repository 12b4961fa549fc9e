//! Key expiry (Redis `expire.c`): lazy expiry on access, the adaptive
//! active expire cycle, and the EXPIRE / TTL command family.
//!
//! # Lazy expiry
//! Every lookup calls [`expire_if_needed`]; a key whose time has passed is
//! deleted right there and counted in `expired_keys`.
//!
//! # Active expiry
//! Keys nobody reads would otherwise stay forever, so [`active_expire_cycle`]
//! walks the expires dict with a saved cursor, sampling
//! `20 + 5*(effort-1)` keys per database per round and deleting the expired
//! ones. It repeats on a database while more than `10 - (effort-1)` percent
//! of the sample was expired (many stale keys left), and stops when its time
//! budget is used: `25 + 2*(effort-1)` percent of a cron tick for the slow
//! cycle (run by `server_cron`), or `1000 + 250*(effort-1)` µs for the fast
//! cycle run in `before_sleep`, which only runs when the previous cycle hit
//! its time limit or the estimated share of stale keys is high.
//!
//! # Replicas
//! A replica deletes nothing on its own: its master sends a `DEL` for each
//! key that expires there, so both hold the same data. Until then a read
//! sees an expired key as missing ([`expire_if_needed`] answers "expired"
//! without deleting it), while its master's commands still see it.
//!
//! A writable replica (`replica-read-only no`) is the exception, for the
//! keys its own clients write, which its master knows nothing about:
//! - a write command's lookup (`LOOKUP_WRITE`) deletes an expired key there,
//!   so that e.g. INCR on it starts from 0 as on a master;
//! - every key a client (not the master) gives a TTL is remembered in
//!   `srv.slave_keys_with_expire` with a bitmap of its databases (only
//!   databases 0 to 63 are tracked), and [`expire_slave_keys`], run by the
//!   cron instead of the active cycle, picks random tracked names and
//!   deletes the expired ones. A name is forgotten once no database has it
//!   with a TTL, and the whole list when the dataset is emptied or SWAPDB
//!   runs (the master may since have sent keys of the same names).

use crate::db::{self, LOOKUP_NOTOUCH, get_expire, lookup_key_read_with_flags, lookup_key_write};
use crate::networking::Client;
use crate::server::Server;
use crate::shared;
use crate::util::string2ll;

/// Which cycle runs (Redis `ACTIVE_EXPIRE_CYCLE_SLOW` / `_FAST`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ExpireCycle {
    Slow,
    Fast,
}

/// True if the key has an expire time in the past (Redis `keyIsExpired`).
pub fn key_is_expired(srv: &Server, dbid: usize, key: &[u8]) -> bool {
    let when = get_expire(srv, dbid, key);
    // Nothing expires while loading: it is done after (Redis `keyIsExpired`).
    when >= 0 && !srv.loading && srv.mstime > when
}

/// [`expire_if_needed`] flag: delete an expired key even on a replica
/// (Redis `EXPIRE_FORCE_DELETE_EXPIRED`); a write on a writable replica.
pub const EXPIRE_FORCE_DELETE_EXPIRED: u32 = 1;

/// Deletes the key if it is expired (Redis `expireIfNeeded`); true if it
/// was. On a replica the key is only reported expired, not deleted, unless
/// `flags` has [`EXPIRE_FORCE_DELETE_EXPIRED`]; and the commands of its
/// master never see a key as expired.
pub fn expire_if_needed(srv: &mut Server, dbid: usize, key: &[u8], flags: u32) -> bool {
    if !key_is_expired(srv, dbid, key) {
        return false;
    }
    if srv.repl.masterhost.is_some() {
        if crate::replication::replica::executing_master(srv) {
            return false;
        }
        if flags & EXPIRE_FORCE_DELETE_EXPIRED == 0 {
            return true;
        }
    }
    // While clients are paused the dataset stays as it is: the key reads
    // as expired but is deleted (and the DEL propagated) after the pause.
    if crate::networking::check_client_pause_timeout_and_return_if_paused(srv) {
        return true;
    }
    delete_expired_key(srv, dbid, key);
    true
}

/// Deletes an expired key and queues its deletion for the AOF and replicas
/// as `DEL key` (`UNLINK key` with `lazyfree-lazy-expire`), as Redis
/// `deleteExpiredKeyAndPropagate` does.
fn delete_expired_key(srv: &mut Server, dbid: usize, key: &[u8]) {
    let lazy = srv.config.lazyfree_lazy_expire;
    let latency = crate::latency::latency_start_monitor(srv);
    let deleted = db::db_generic_delete(srv, dbid, key, lazy);
    let latency = crate::latency::latency_end_monitor(srv, latency);
    crate::latency::latency_add_sample_if_needed(srv, "expire-del", latency);
    if deleted {
        crate::notify::notify_keyspace_event(
            srv,
            crate::notify::NOTIFY_EXPIRED,
            "expired",
            key,
            dbid,
        );
        db::signal_modified_key_no_client(srv, dbid, key);
        propagate_deletion(srv, dbid, key, srv.config.lazyfree_lazy_expire);
        srv.stat_expiredkeys += 1;
    }
}

/// Queues `DEL key` (or `UNLINK key` when `lazy`) for propagation (Redis
/// `propagateDeletion`).
pub fn propagate_deletion(srv: &mut Server, dbid: usize, key: &[u8], lazy: bool) {
    let cmd: &'static [u8] = if lazy { b"UNLINK" } else { b"DEL" };
    let argv = vec![
        bytes::Bytes::from_static(cmd),
        bytes::Bytes::copy_from_slice(key),
    ];
    crate::server::also_propagate(
        srv,
        dbid,
        argv,
        crate::server::PROPAGATE_AOF | crate::server::PROPAGATE_REPL,
    );
}

/// Samples volatile keys and deletes expired ones; see the module docs.
///
/// # Latency
/// Bounded by its time limit (checked every 16 rounds) and by
/// `keys_per_loop * 20` buckets per round.
pub fn active_expire_cycle(srv: &mut Server, kind: ExpireCycle) {
    let effort = (srv.config.active_expire_effort.clamp(1, 10) - 1) as i64;
    let keys_per_loop = (20 + 20 / 4 * effort) as usize;
    let fast_duration = 1000 + 1000 / 4 * effort;
    let slow_time_perc = 25 + 2 * effort;
    let acceptable_stale = (10 - effort) as f64;
    // No active expiry while clients are paused (the dataset must not
    // change), nor on a replica (its master's DELs expire keys).
    if srv.repl.masterhost.is_some()
        || crate::networking::check_client_pause_timeout_and_return_if_paused(srv)
    {
        return;
    }
    let start = crate::util::ustime();
    if kind == ExpireCycle::Fast {
        if !srv.expire_timelimit_exit && srv.stat_expired_stale_perc * 100.0 < acceptable_stale {
            return;
        }
        if start < srv.expire_last_fast_cycle + fast_duration * 2 {
            return;
        }
        srv.expire_last_fast_cycle = start;
    }
    let dbnum = srv.dbs.len();
    let mut dbs_per_call = 16.min(dbnum);
    if srv.expire_timelimit_exit {
        dbs_per_call = dbnum;
    }
    let mut timelimit = slow_time_perc * 1_000_000 / srv.hz as i64 / 100;
    if timelimit <= 0 {
        timelimit = 1;
    }
    if kind == ExpireCycle::Fast {
        timelimit = fast_duration;
    }
    srv.expire_timelimit_exit = false;
    let (mut total_sampled, mut total_expired) = (0u64, 0u64);
    let mut iteration = 0u64;
    let mut j = 0;
    while j < dbs_per_call && !srv.expire_timelimit_exit {
        let dbid = srv.expire_current_db % dbnum;
        srv.expire_current_db += 1;
        j += 1;
        loop {
            iteration += 1;
            let now = crate::util::mstime();
            let db = &mut srv.dbs[dbid];
            let num = db.expires.len();
            if num == 0 {
                db.avg_ttl = 0;
                break;
            }
            let slots = db.expires.buckets();
            // Too sparse to sample efficiently: the cron's shrink will help.
            if slots > 4 && num * 100 / slots < 1 {
                break;
            }
            let num = num.min(keys_per_loop);
            let max_buckets = num * 20;
            let mut checked = 0;
            let mut sampled_keys: Vec<(Box<[u8]>, i64)> = Vec::with_capacity(num);
            let mut cursor = db.expires_cursor;
            while sampled_keys.len() < num && checked < max_buckets {
                cursor = db
                    .expires
                    .scan(cursor, |k, &w| sampled_keys.push((k.into(), w)));
                checked += 1;
                if cursor == 0 {
                    break;
                }
            }
            db.expires_cursor = cursor;
            let sampled = sampled_keys.len() as u64;
            let (mut expired, mut ttl_sum, mut ttl_samples) = (0u64, 0i64, 0i64);
            for (k, when) in sampled_keys {
                // Expire times come from clients (up to i64::MAX): wrap like Redis's C.
                let ttl = when.wrapping_sub(now);
                if now > when {
                    srv.mstime = now;
                    delete_expired_key(srv, dbid, &k);
                    expired += 1;
                }
                if ttl > 0 {
                    ttl_sum = ttl_sum.wrapping_add(ttl);
                    ttl_samples += 1;
                }
            }
            total_sampled += sampled;
            total_expired += expired;
            let db = &mut srv.dbs[dbid];
            if ttl_samples > 0 {
                let avg = ttl_sum / ttl_samples;
                if db.avg_ttl == 0 {
                    db.avg_ttl = avg;
                }
                db.avg_ttl = (db.avg_ttl / 50) * 49 + avg / 50;
            }
            if iteration & 0xf == 0 && crate::util::ustime() - start > timelimit {
                srv.expire_timelimit_exit = true;
                srv.stat_expired_time_cap_reached_count += 1;
                break;
            }
            if sampled != 0 && (expired * 100 / sampled) as f64 <= acceptable_stale {
                break;
            }
            if sampled == 0 && db.expires_cursor == 0 {
                break;
            }
        }
    }
    let elapsed = crate::util::ustime() - start;
    srv.stat_expire_cycle_time_used += elapsed.max(0) as u64;
    crate::latency::latency_add_sample_if_needed(
        srv,
        "expire-cycle",
        (elapsed / 1000).max(0) as u64,
    );
    let current_perc = if total_sampled > 0 {
        total_expired as f64 / total_sampled as f64
    } else {
        0.0
    };
    srv.stat_expired_stale_perc = current_perc * 0.05 + srv.stat_expired_stale_perc * 0.95;
    // The DELs of one cycle go out together, not wrapped in MULTI/EXEC.
    crate::server::propagate_pending(srv, false);
}

// ---- Keys with a TTL on a writable replica ----

/// Remembers that a client of a writable replica gave `key` of database
/// `dbid` a TTL (Redis `rememberSlaveKeyWithExpire`), so that
/// [`expire_slave_keys`] deletes it in time. Databases above 63 are not
/// tracked.
pub fn remember_slave_key_with_expire(srv: &mut Server, dbid: usize, key: &[u8]) {
    if dbid > 63 {
        return;
    }
    let bit = 1u64 << dbid;
    match srv.slave_keys_with_expire.get_mut(key) {
        Some(dbids) => *dbids |= bit,
        None => {
            srv.slave_keys_with_expire.insert(key, bit);
        }
    }
}

/// How many key names [`remember_slave_key_with_expire`] tracks (INFO
/// `slave_expires_tracked_keys`, Redis `getSlaveKeyWithExpireCount`).
pub fn get_slave_key_with_expire_count(srv: &Server) -> usize {
    srv.slave_keys_with_expire.len()
}

/// Forgets every tracked name (Redis `flushSlaveKeysWithExpireList`): the
/// dataset was emptied or databases swapped.
pub fn flush_slave_keys_with_expire_list(srv: &mut Server) {
    srv.slave_keys_with_expire = crate::dict::Dict::new();
}

/// Deletes expired keys among those a writable replica's clients gave a
/// TTL (Redis `expireSlaveKeys`), run by the cron of a replica in place of
/// the active expire cycle. Each round picks a random tracked name and
/// checks it in every database of its bitmap: an expired key is deleted
/// (counted in `expired_keys`, announced as `expired`, its DEL fed to the
/// AOF only, since a replica's replicas get its master's stream); the
/// databases where it still has a TTL stay in the bitmap, and a name left
/// with none is forgotten.
///
/// # Latency
/// Stops once more than 3 picks found a key not yet expired, when nothing
/// is tracked any more, or when a check every 64 rounds sees more than
/// 1 ms spent.
pub fn expire_slave_keys(srv: &mut Server) {
    if srv.slave_keys_with_expire.is_empty() {
        return;
    }
    let start = crate::util::mstime();
    let (mut cycles, mut noexpire) = (0u64, 0u64);
    while let Some((key, dbids)) = srv
        .slave_keys_with_expire
        .random_entry()
        .map(|(k, &v)| (k.to_vec(), v))
    {
        let mut still = 0u64;
        for dbid in 0..srv.dbs.len().min(64) {
            if dbids & (1 << dbid) == 0 {
                continue;
            }
            let when = get_expire(srv, dbid, &key);
            if when < 0 {
                continue;
            }
            if start > when {
                delete_expired_key(srv, dbid, &key);
            } else {
                noexpire += 1;
                still |= 1 << dbid;
            }
        }
        if still != 0 {
            if let Some(v) = srv.slave_keys_with_expire.get_mut(&key) {
                *v = still;
            }
        } else {
            srv.slave_keys_with_expire.remove(&key);
        }
        cycles += 1;
        if noexpire > 3
            || (cycles % 64 == 0 && crate::util::mstime() - start > 1)
            || srv.slave_keys_with_expire.is_empty()
        {
            break;
        }
    }
    crate::server::propagate_pending_commands(srv);
}

// ---- Commands ----

const EXPIRE_NX: u8 = 1;
const EXPIRE_XX: u8 = 2;
const EXPIRE_GT: u8 = 4;
const EXPIRE_LT: u8 = 8;

/// Parses EXPIRE's NX|XX|GT|LT options (Redis `parseExtendedExpireArgumentsOrReply`).
fn parse_expire_flags(c: &mut Client) -> Option<u8> {
    let mut flags = 0u8;
    for j in 3..c.argv.len() {
        let a = &c.argv[j];
        if a.eq_ignore_ascii_case(b"nx") {
            flags |= EXPIRE_NX;
        } else if a.eq_ignore_ascii_case(b"xx") {
            flags |= EXPIRE_XX;
        } else if a.eq_ignore_ascii_case(b"gt") {
            flags |= EXPIRE_GT;
        } else if a.eq_ignore_ascii_case(b"lt") {
            flags |= EXPIRE_LT;
        } else {
            c.add_reply_error_arg("ERR Unsupported option ", &a.clone(), "");
            return None;
        }
    }
    if flags & EXPIRE_NX != 0 && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT) != 0 {
        c.add_reply_error("ERR NX and XX, GT or LT options at the same time are not compatible");
        return None;
    }
    if flags & EXPIRE_GT != 0 && flags & EXPIRE_LT != 0 {
        c.add_reply_error("ERR GT and LT options at the same time are not compatible");
        return None;
    }
    Some(flags)
}

/// EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT (Redis `expireGenericCommand`).
/// `basetime` is 0 for the absolute forms, else now in ms; `seconds` selects the unit.
fn expire_generic_command(srv: &mut Server, c: &mut Client, basetime: i64, seconds: bool) {
    let Some(flags) = parse_expire_flags(c) else {
        return;
    };
    let Some(mut when) = string2ll(&c.argv[2]) else {
        c.add_reply_error(shared::err_not_integer());
        return;
    };
    let fullname = c
        .cmd
        .map(|i| srv.commands.cmds[i].fullname.clone())
        .unwrap_or_default();
    if seconds {
        if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&when) {
            c.add_reply_error(&shared::err_expire_time(&fullname));
            return;
        }
        when *= 1000;
    }
    if when > i64::MAX - basetime {
        c.add_reply_error(&shared::err_expire_time(&fullname));
        return;
    }
    when += basetime;
    let key = c.argv[1].clone();
    if lookup_key_write(srv, c.db, &key).is_none() {
        c.add_reply_long_long(0);
        return;
    }
    if flags != 0 {
        let current = get_expire(srv, c.db, &key);
        if (flags & EXPIRE_NX != 0 && current != -1)
            || (flags & EXPIRE_XX != 0 && current == -1)
            || (flags & EXPIRE_GT != 0 && (when <= current || current == -1))
            || (flags & EXPIRE_LT != 0 && current != -1 && when >= current)
        {
            c.add_reply_long_long(0);
            return;
        }
    }
    // A time already past deletes the key, except while loading (the AOF
    // replays PEXPIREATs of keys that expire later in the file's story).
    let deleted = when <= crate::util::mstime() && !srv.loading;
    if deleted {
        // Freed as `lazyfree-lazy-expire` says; propagated as DEL/UNLINK.
        let lazy = srv.config.lazyfree_lazy_expire;
        db::db_generic_delete(srv, c.db, &key, lazy);
        c.rewrite_command_vector(vec![crate::t_string::del_name(lazy), key.clone()]);
    } else {
        db::set_expire(srv, c.db, &key, when);
        // Propagated as PEXPIREAT key <unix ms> [flags].
        // (PEXPIREAT itself goes out as it came.)
        if crate::server::propagating(srv) && (basetime != 0 || seconds) {
            let mut v = c.argv.clone();
            v[0] = bytes::Bytes::from_static(b"PEXPIREAT");
            v[2] = bytes::Bytes::from(when.to_string());
            c.rewrite_command_vector(v);
        }
    }
    db::signal_modified_key(srv, c.db, &key);
    crate::notify::notify_keyspace_event(
        srv,
        crate::notify::NOTIFY_GENERIC,
        if deleted { "del" } else { "expire" },
        &key,
        c.db,
    );
    srv.dirty += 1;
    c.add_reply_long_long(1);
}

/// EXPIRE key seconds [NX|XX|GT|LT] → 1 if set, 0 otherwise.
pub fn expire_command(srv: &mut Server, c: &mut Client) {
    let now = srv.mstime;
    expire_generic_command(srv, c, now, true);
}

/// PEXPIRE key milliseconds [NX|XX|GT|LT] → 1 if set, 0 otherwise.
pub fn pexpire_command(srv: &mut Server, c: &mut Client) {
    let now = srv.mstime;
    expire_generic_command(srv, c, now, false);
}

/// EXPIREAT key unix-time-seconds [NX|XX|GT|LT] → 1 if set, 0 otherwise.
pub fn expireat_command(srv: &mut Server, c: &mut Client) {
    expire_generic_command(srv, c, 0, true);
}

/// PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT] → 1 if set, 0 otherwise.
pub fn pexpireat_command(srv: &mut Server, c: &mut Client) {
    expire_generic_command(srv, c, 0, false);
}

/// TTL / PTTL / EXPIRETIME / PEXPIRETIME (Redis `ttlGenericCommand`):
/// -2 when the key is missing, -1 without TTL, else the (remaining or absolute) time.
fn ttl_generic_command(srv: &mut Server, c: &mut Client, output_ms: bool, output_abs: bool) {
    let key = c.argv[1].clone();
    if lookup_key_read_with_flags(srv, c.db, &key, LOOKUP_NOTOUCH).is_none() {
        c.add_reply_long_long(-2);
        return;
    }
    let expire = get_expire(srv, c.db, &key);
    if expire == -1 {
        c.add_reply_long_long(-1);
        return;
    }
    let ttl = if output_abs {
        expire
    } else {
        (expire - srv.mstime).max(0)
    };
    // Rounded to seconds; Redis's compiled arithmetic behaves as unsigned
    // near i64::MAX (ttl is never negative here).
    c.add_reply_long_long(if output_ms {
        ttl
    } else {
        ((ttl as u64).wrapping_add(500) / 1000) as i64
    });
}

/// TTL key → seconds to live (rounded), -1, or -2.
pub fn ttl_command(srv: &mut Server, c: &mut Client) {
    ttl_generic_command(srv, c, false, false);
}

/// PTTL key → milliseconds to live, -1, or -2.
pub fn pttl_command(srv: &mut Server, c: &mut Client) {
    ttl_generic_command(srv, c, true, false);
}

/// EXPIRETIME key → absolute unix seconds, -1, or -2.
pub fn expiretime_command(srv: &mut Server, c: &mut Client) {
    ttl_generic_command(srv, c, false, true);
}

/// PEXPIRETIME key → absolute unix ms, -1, or -2.
pub fn pexpiretime_command(srv: &mut Server, c: &mut Client) {
    ttl_generic_command(srv, c, true, true);
}

/// PERSIST key → 1 if a TTL was removed, else 0.
pub fn persist_command(srv: &mut Server, c: &mut Client) {
    let key = c.argv[1].clone();
    if lookup_key_write(srv, c.db, &key).is_none() {
        c.add_reply_long_long(0);
        return;
    }
    if db::remove_expire(srv, c.db, &key) {
        db::signal_modified_key(srv, c.db, &key);
        crate::notify::notify_keyspace_event(
            srv,
            crate::notify::NOTIFY_GENERIC,
            "persist",
            &key,
            c.db,
        );
        srv.dirty += 1;
        c.add_reply_long_long(1);
    } else {
        c.add_reply_long_long(0);
    }
}
