//! The keyspace (Redis `db.c`): databases, key lookups with lazy expiry and
//! statistics, and the generic keyspace commands.
//!
//! Each [`RedisDb`] holds the main dict (key → value) and the expires dict
//! (key → absolute unix time in ms). Every read of a key goes through
//! [`lookup_key`], which first expires the key if its time has passed (lazy
//! expiry), then counts a keyspace hit or miss and refreshes the key's LRU /
//! LFU field, unless the caller's flags say otherwise (OBJECT, TYPE, EXISTS
//! and TTL use `LOOKUP_NOTOUCH`).

use std::collections::{HashMap, HashSet, VecDeque};

use bytes::Bytes;

use crate::dict::Dict;
use crate::networking::Client;
use crate::object::{ObjType, RObj, Value};
use crate::server::Server;
use crate::shared;
use crate::util::{string_match, string2ll};

pub const LOOKUP_NONE: u32 = 0;
/// Don't update the LRU/LFU field.
pub const LOOKUP_NOTOUCH: u32 = 1;
/// Don't fire keyspace "keymiss" events.
pub const LOOKUP_NONOTIFY: u32 = 2;
/// Don't count keyspace hits/misses.
pub const LOOKUP_NOSTATS: u32 = 4;
/// The lookup is for a write (implies no stats).
pub const LOOKUP_WRITE: u32 = 8;

/// One database (Redis `redisDb`).
pub struct RedisDb {
    pub id: usize,
    pub dict: Dict<RObj>,
    /// key → absolute expire time, unix ms.
    pub expires: Dict<i64>,
    /// Average TTL of the keys sampled by the active expire cycle, ms.
    pub avg_ttl: i64,
    /// Cursor of the active expire cycle over `expires`.
    pub expires_cursor: u64,
    /// key → clients blocked on it, first come first served (`blocked.rs`).
    /// Stays with the database index on SWAPDB, as the clients do.
    pub blocking_keys: HashMap<Bytes, VecDeque<u64>>,
    /// Keys of `blocking_keys` already queued on the server's ready list.
    pub ready_keys: HashSet<Bytes>,
    /// key → clients WATCHing it (`multi.rs`). Stays with the index on SWAPDB.
    pub watched_keys: HashMap<Bytes, Vec<crate::multi::WatchedKey>>,
}

impl RedisDb {
    /// An empty database with index `id`.
    pub fn new(id: usize) -> RedisDb {
        let mut dict = Dict::new();
        dict.set_expand_guard(true);
        let mut expires = Dict::new();
        expires.set_expand_guard(true);
        RedisDb {
            id,
            dict,
            expires,
            avg_ttl: 0,
            expires_cursor: 0,
            blocking_keys: HashMap::new(),
            ready_keys: HashSet::new(),
            watched_keys: HashMap::new(),
        }
    }
}

/// The initial LRU/LFU field of a new value (Redis `createObject`).
pub fn new_lru(srv: &Server) -> u32 {
    if srv.config.maxmemory_policy_is_lfu() {
        crate::evict::lfu_init(srv.mstime)
    } else {
        srv.lru_clock()
    }
}

/// Looks a key up, expiring it first if needed (Redis `lookupKey`).
pub fn lookup_key<'a>(
    srv: &'a mut Server,
    dbid: usize,
    key: &[u8],
    flags: u32,
) -> Option<&'a mut RObj> {
    // A write on a writable replica deletes an expired key, so that the
    // command sees it missing as a master would; a read-only replica keeps
    // it for its master's DEL (Redis `lookupKey`).
    let ro_replica = srv.repl.masterhost.is_some() && srv.config.replica_read_only;
    let expire_flags = if flags & LOOKUP_WRITE != 0 && !ro_replica {
        crate::expire::EXPIRE_FORCE_DELETE_EXPIRED
    } else {
        0
    };
    let expired = crate::expire::expire_if_needed(srv, dbid, key, expire_flags);
    // A read that misses announces "keymiss" when `m` is on (checked here,
    // before the borrow below, so hits pay nothing extra otherwise).
    if flags & (LOOKUP_NONOTIFY | LOOKUP_WRITE) == 0
        && srv.config.notify_keyspace_events as u32 & crate::notify::NOTIFY_KEY_MISS != 0
        && (expired || !srv.dbs[dbid].dict.contains_key(key))
    {
        crate::notify::notify_keyspace_event(
            srv,
            crate::notify::NOTIFY_KEY_MISS,
            "keymiss",
            key,
            dbid,
        );
    }
    let count_stats = flags & (LOOKUP_NOSTATS | LOOKUP_WRITE) == 0;
    // No access-time update while a child saves (Redis `lookupKey`): the
    // write would copy the object's page in the parent (copy-on-write).
    let touch = flags & LOOKUP_NOTOUCH == 0 && !crate::childinfo::has_active_child_process(srv);
    let lfu = srv.config.maxmemory_policy_is_lfu();
    let (log_factor, decay_time) = (
        srv.config.lfu_log_factor as i64,
        srv.config.lfu_decay_time as i64,
    );
    let lru = srv.lru_clock();
    let now = srv.mstime;
    let Server {
        dbs,
        stat_keyspace_hits,
        stat_keyspace_misses,
        ..
    } = srv;
    let found = if expired {
        None
    } else {
        dbs[dbid].dict.get_mut(key)
    };
    match found {
        Some(o) => {
            if count_stats {
                *stat_keyspace_hits += 1;
            }
            if touch {
                o.lru = if lfu {
                    crate::evict::lfu_touch(o.lru, now, log_factor, decay_time)
                } else {
                    lru
                };
            }
            Some(o)
        }
        None => {
            if count_stats {
                *stat_keyspace_misses += 1;
            }
            None
        }
    }
}

/// Lookup for reading: lazy expiry, hit/miss stats, LRU touch.
pub fn lookup_key_read<'a>(srv: &'a mut Server, dbid: usize, key: &[u8]) -> Option<&'a mut RObj> {
    lookup_key(srv, dbid, key, LOOKUP_NONE)
}

/// Lookup for reading with explicit `LOOKUP_*` flags.
pub fn lookup_key_read_with_flags<'a>(
    srv: &'a mut Server,
    dbid: usize,
    key: &[u8],
    flags: u32,
) -> Option<&'a mut RObj> {
    lookup_key(srv, dbid, key, flags)
}

/// Lookup for writing: lazy expiry, LRU touch, no stats.
pub fn lookup_key_write<'a>(srv: &'a mut Server, dbid: usize, key: &[u8]) -> Option<&'a mut RObj> {
    lookup_key(srv, dbid, key, LOOKUP_WRITE)
}

/// Adds a key that must not exist (Redis `dbAdd`); clients blocked on it
/// may now be served, and the keyspace event "new" is announced.
pub fn db_add(srv: &mut Server, dbid: usize, key: &[u8], v: Value) {
    let lru = new_lru(srv);
    srv.dbs[dbid].dict.insert(key, RObj::new(v, lru));
    key_added(srv, dbid, key);
}

/// What follows the creation of a key (the end of Redis `dbAdd`): blocked
/// clients may be served and "new" (class `n`) is announced.
fn key_added(srv: &mut Server, dbid: usize, key: &[u8]) {
    crate::blocked::signal_key_as_ready(srv, dbid, key);
    crate::notify::notify_keyspace_event(srv, crate::notify::NOTIFY_NEW, "new", key, dbid);
}

/// Sets a key to a value, creating or overwriting it (Redis `setKey`).
/// The TTL is removed unless `keepttl`. WATCHes on the key are invalidated
/// and clients blocked on it may be served, as with Redis's `setKey`.
pub fn set_key(srv: &mut Server, dbid: usize, key: &[u8], v: Value, keepttl: bool) {
    let lru = new_lru(srv);
    let lfu = srv.config.maxmemory_policy_is_lfu();
    let db = &mut srv.dbs[dbid];
    let mut was_stream = false;
    // One lookup: the insert replaces the value of an existing key (the
    // stored key is kept) and gives the old one back.
    match db.dict.insert(key, RObj::new(v, lru)) {
        Some(old) => {
            // Redis dbOverwrite: under LFU the access counter survives an overwrite.
            if lfu && let Some(o) = db.dict.get_mut(key) {
                o.lru = old.lru;
            }
            // XREADGROUP clients blocked on a stream overwritten learn it.
            was_stream = old.v.obj_type() == ObjType::Stream;
            crate::bio::free_value(old.v, srv.config.lazyfree_lazy_server_del);
        }
        None => key_added(srv, dbid, key),
    }
    if was_stream {
        crate::blocked::signal_key_as_ready(srv, dbid, key);
    }
    if !keepttl {
        srv.dbs[dbid].expires.remove(key);
    }
    signal_modified_key(srv, dbid, key);
}

/// Deletes a key and its TTL (Redis `dbDelete`). Returns true if it
/// existed. The value is freed with the lazy-free rule when
/// `lazyfree-lazy-server-del` is on, else at once.
pub fn db_delete(srv: &mut Server, dbid: usize, key: &[u8]) -> bool {
    let lazy = srv.config.lazyfree_lazy_server_del;
    db_generic_delete(srv, dbid, key, lazy)
}

/// Deletes a key and its TTL (Redis `dbGenericDelete`); with `lazy` a big
/// value is freed on the bio thread (see `bio.rs`). True if it existed.
pub fn db_generic_delete(srv: &mut Server, dbid: usize, key: &[u8], lazy: bool) -> bool {
    let db = &mut srv.dbs[dbid];
    if db.dict.is_empty() {
        return false;
    }
    match db.dict.remove(key) {
        Some((_, o)) => {
            db.expires.remove(key);
            let was_stream = o.v.obj_type() == ObjType::Stream;
            crate::bio::free_value(o.v, lazy);
            // XREADGROUP clients blocked on a deleted stream learn it.
            if was_stream {
                crate::blocked::signal_key_as_ready(srv, dbid, key);
            }
            true
        }
        None => false,
    }
}

/// The absolute expire time of a key in unix ms, or -1 (Redis `getExpire`).
pub fn get_expire(srv: &Server, dbid: usize, key: &[u8]) -> i64 {
    let db = &srv.dbs[dbid];
    if db.expires.is_empty() {
        return -1;
    }
    db.expires.get(key).copied().unwrap_or(-1)
}

/// Sets the absolute expire time (unix ms) of an existing key (Redis
/// `setExpire`), for the command being executed. On a writable replica a
/// TTL set by a client other than the master is remembered, so that the
/// replica expires the key itself (`expire::expire_slave_keys`).
pub fn set_expire(srv: &mut Server, dbid: usize, key: &[u8], when_ms: i64) {
    let db = &mut srv.dbs[dbid];
    let Some((k, _)) = db.dict.get_key_value(key) else {
        return;
    };
    let k = crate::dict::DictKey::from(k);
    match db.expires.get_mut(key) {
        Some(w) => *w = when_ms,
        None => {
            db.expires.insert(k, when_ms);
        }
    }
    let writable_replica = srv.repl.masterhost.is_some() && !srv.config.replica_read_only;
    if writable_replica && !crate::replication::replica::executing_master(srv) {
        crate::expire::remember_slave_key_with_expire(srv, dbid, key);
    }
}

/// Removes a key's TTL; true if it had one (Redis `removeExpire`).
pub fn remove_expire(srv: &mut Server, dbid: usize, key: &[u8]) -> bool {
    srv.dbs[dbid].expires.remove(key).is_some()
}

/// Every write to a key calls this after changing it (Redis
/// `signalModifiedKey`): WATCHes on the key are invalidated, and so are
/// client-side caches of it (`tracking.rs`), the client running the
/// command being the modifier.
pub fn signal_modified_key(srv: &mut Server, dbid: usize, key: &[u8]) {
    crate::multi::touch_watched_key(srv, dbid, key);
    let by = srv.tracking.executing;
    crate::tracking::tracking_invalidate_key(srv, key, by, true);
}

/// [`signal_modified_key`] for a change no client made (Redis
/// `signalModifiedKey(NULL, ...)`): expiry and eviction. BCAST clients in
/// NOLOOP mode are told even about keys they wrote.
pub fn signal_modified_key_no_client(srv: &mut Server, dbid: usize, key: &[u8]) {
    crate::multi::touch_watched_key(srv, dbid, key);
    crate::tracking::tracking_invalidate_key(srv, key, None, true);
}

/// The common end of a command that removed `removed` elements from the
/// collection at `key` (HDEL, SREM, ZREM): deletes the key when `emptied`,
/// then, if anything was removed, signals the change, announces `event`
/// of class `class` (and `del` for an emptied key) and counts the changes.
pub fn removed_from_collection(
    srv: &mut Server,
    dbid: usize,
    key: &[u8],
    class: u32,
    event: &str,
    removed: i64,
    emptied: bool,
) {
    if emptied {
        db_delete(srv, dbid, key);
    }
    if removed > 0 {
        signal_modified_key(srv, dbid, key);
        crate::notify::notify_keyspace_event(srv, class, event, key, dbid);
        if emptied {
            crate::notify::notify_keyspace_event(
                srv,
                crate::notify::NOTIFY_GENERIC,
                "del",
                key,
                dbid,
            );
        }
        srv.dirty += removed;
    }
}

/// Replies WRONGTYPE and returns true when `o` is not of type `t` (Redis `checkType`).
pub fn check_type(c: &mut Client, o: &RObj, t: ObjType) -> bool {
    if o.v.obj_type() != t {
        c.add_reply_error(shared::err_wrong_type());
        return true;
    }
    false
}

/// True if the key exists now, without stats or touching (expired keys count as missing).
pub fn key_exists_now(srv: &Server, dbid: usize, key: &[u8]) -> bool {
    let db = &srv.dbs[dbid];
    db.dict.contains_key(key) && !crate::expire::key_is_expired(srv, dbid, key)
}

/// Parses an `int` argument (Redis `getIntFromObjectOrReply`); replies
/// `ERR <msg>` on failure, or by default "value is not an integer or out of
/// range" for a non-integer and "value is out of range, value must between
/// -2147483648 and 2147483647" for an integer that does not fit.
pub fn get_int_or_reply(c: &mut Client, arg: &[u8], msg: Option<&str>) -> Option<i32> {
    get_range_long_or_reply(c, arg, i32::MIN.into(), i32::MAX.into(), msg).map(|v| v as i32)
}

/// Parses an `i64` argument in `min..=max` (Redis
/// `getRangeLongFromObjectOrReply`). On failure replies `ERR <msg>` for a
/// non-integer and for an integer out of range alike; without `msg`, "value
/// is not an integer or out of range" and "value is out of range, value
/// must between <min> and <max>". `msg` comes without the `ERR ` prefix.
pub fn get_range_long_or_reply(
    c: &mut Client,
    arg: &[u8],
    min: i64,
    max: i64,
    msg: Option<&str>,
) -> Option<i64> {
    let v = get_long_long_or_reply(c, arg, msg)?;
    if (min..=max).contains(&v) {
        return Some(v);
    }
    match msg {
        Some(m) => c.add_reply_error(&format!("ERR {}", m)),
        None => c.add_reply_error(&format!(
            "ERR value is out of range, value must between {} and {}",
            min, max
        )),
    }
    None
}

/// Parses a non-negative `i64` argument (Redis
/// `getPositiveLongFromObjectOrReply`): replies `ERR <msg>`, by default
/// "ERR value is out of range, must be positive", for a negative value and
/// a non-integer alike.
pub fn get_positive_long_or_reply(c: &mut Client, arg: &[u8], msg: Option<&str>) -> Option<i64> {
    get_range_long_or_reply(
        c,
        arg,
        0,
        i64::MAX,
        Some(msg.unwrap_or("value is out of range, must be positive")),
    )
}

/// Parses an `i64` argument (Redis `getLongLongFromObjectOrReply`).
pub fn get_long_long_or_reply(c: &mut Client, arg: &[u8], msg: Option<&str>) -> Option<i64> {
    match string2ll(arg) {
        Some(v) => Some(v),
        None => {
            match msg {
                Some(m) => c.add_reply_error(&format!("ERR {}", m)),
                None => c.add_reply_error(shared::err_not_integer()),
            }
            None
        }
    }
}

// ---- Keyspace commands ----

fn del_generic_command(srv: &mut Server, c: &mut Client, lazy: bool) {
    let mut deleted = 0;
    for j in 1..c.argv.len() {
        let key = c.argv[j].clone();
        crate::expire::expire_if_needed(srv, c.db, &key, 0);
        if db_generic_delete(srv, c.db, &key, lazy) {
            signal_modified_key(srv, c.db, &key);
            crate::notify::notify_keyspace_event(
                srv,
                crate::notify::NOTIFY_GENERIC,
                "del",
                &key,
                c.db,
            );
            srv.dirty += 1;
            deleted += 1;
        }
    }
    c.add_reply_long_long(deleted);
}

/// DEL key [key ...] → integer: keys removed. Values are freed at once,
/// or as UNLINK does when `lazyfree-lazy-user-del` is on.
pub fn del_command(srv: &mut Server, c: &mut Client) {
    let lazy = srv.config.lazyfree_lazy_user_del;
    del_generic_command(srv, c, lazy);
}

/// UNLINK key [key ...] → integer: keys removed; values whose free effort
/// is above 64 (list nodes, hashtable or skiplist entries) are freed on the
/// bio thread (`bio.rs`).
pub fn unlink_command(srv: &mut Server, c: &mut Client) {
    del_generic_command(srv, c, true);
}

/// EXISTS key [key ...] → integer: how many of the given keys exist (repeats count).
pub fn exists_command(srv: &mut Server, c: &mut Client) {
    let mut count = 0;
    for j in 1..c.argv.len() {
        if lookup_key_read_with_flags(srv, c.db, &c.argv[j].clone(), LOOKUP_NOTOUCH).is_some() {
            count += 1;
        }
    }
    c.add_reply_long_long(count);
}

/// TYPE key → status: the type name or "none".
pub fn type_command(srv: &mut Server, c: &mut Client) {
    let key = c.argv[1].clone();
    let t = lookup_key_read_with_flags(srv, c.db, &key, LOOKUP_NOTOUCH)
        .map(|o| o.v.obj_type().name())
        .unwrap_or("none");
    c.add_reply_status(t);
}

/// TOUCH key [key ...] → integer: keys that exist (their LRU is refreshed).
pub fn touch_command(srv: &mut Server, c: &mut Client) {
    let mut count = 0;
    for j in 1..c.argv.len() {
        if lookup_key_read(srv, c.db, &c.argv[j].clone()).is_some() {
            count += 1;
        }
    }
    c.add_reply_long_long(count);
}

/// KEYS pattern → array of the keys matching the glob (expired keys skipped).
///
/// # Latency
/// O(N) over the whole database, like Redis.
pub fn keys_command(srv: &mut Server, c: &mut Client) {
    let pattern = c.argv[1].clone();
    let allkeys = &pattern[..] == b"*";
    let h = c.add_reply_deferred_len();
    let mut n = 0;
    let now = srv.mstime;
    let db = &srv.dbs[c.db];
    for (k, _) in db.dict.iter() {
        if allkeys || string_match(&pattern, k, false) {
            let expired = db.expires.get(k).is_some_and(|&w| now > w);
            if !expired {
                c.add_reply_bulk(k);
                n += 1;
            }
        }
    }
    c.set_deferred_array_len(h, n);
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] → [next cursor, [keys...]].
///
/// Errors: "ERR invalid cursor", "ERR syntax error", "ERR value is not an
/// integer or out of range".
///
/// # Latency
/// At most COUNT*10 buckets are visited per call.
pub fn scan_command(srv: &mut Server, c: &mut Client) {
    let Some(cursor) = crate::util::parse_scan_cursor(&c.argv[1]) else {
        c.add_reply_error("ERR invalid cursor");
        return;
    };
    let mut count: i64 = 10;
    let mut pattern: Option<Bytes> = None;
    let mut typename: Option<Bytes> = None;
    let mut i = 2;
    while i < c.argv.len() {
        let left = c.argv.len() - i;
        let opt = &c.argv[i];
        if opt.eq_ignore_ascii_case(b"count") && left >= 2 {
            let Some(v) = get_long_long_or_reply(c, &c.argv[i + 1].clone(), None) else {
                return;
            };
            if v < 1 {
                c.add_reply_error(shared::err_syntax());
                return;
            }
            count = v;
            i += 2;
        } else if opt.eq_ignore_ascii_case(b"match") && left >= 2 {
            let p = c.argv[i + 1].clone();
            pattern = if &p[..] == b"*" { None } else { Some(p) };
            i += 2;
        } else if opt.eq_ignore_ascii_case(b"type") && left >= 2 {
            typename = Some(c.argv[i + 1].clone());
            i += 2;
        } else {
            c.add_reply_error(shared::err_syntax());
            return;
        }
    }
    let mut keys: Vec<Box<[u8]>> = Vec::new();
    let mut cursor = cursor;
    let mut maxiterations = count.saturating_mul(10);
    loop {
        cursor = srv.dbs[c.db].dict.scan(cursor, |k, _| keys.push(k.into()));
        if cursor == 0 || maxiterations <= 0 || keys.len() as i64 >= count {
            break;
        }
        maxiterations -= 1;
    }
    let mut out: Vec<Box<[u8]>> = Vec::with_capacity(keys.len());
    for k in keys {
        if let Some(p) = &pattern
            && !string_match(p, &k, false)
        {
            continue;
        }
        if let Some(t) = &typename {
            let name = lookup_key_read_with_flags(srv, c.db, &k, LOOKUP_NOTOUCH)
                .map(|o| o.v.obj_type().name())
                .unwrap_or("none");
            if !name.as_bytes().eq_ignore_ascii_case(t) {
                continue;
            }
        }
        if crate::expire::expire_if_needed(srv, c.db, &k, 0) {
            continue;
        }
        out.push(k);
    }
    c.add_reply_array_len(2);
    let mut b = itoa::Buffer::new();
    c.add_reply_bulk(b.format(cursor).as_bytes());
    c.add_reply_array_len(out.len());
    for k in out {
        c.add_reply_bulk(&k);
    }
}

/// RANDOMKEY → a random key or null.
pub fn randomkey_command(srv: &mut Server, c: &mut Client) {
    let dbid = c.db;
    let mut tries = 0;
    loop {
        let Some(key) = srv.dbs[dbid].dict.random_entry().map(|(k, _)| k.to_vec()) else {
            c.add_reply_null();
            return;
        };
        if crate::expire::expire_if_needed(srv, dbid, &key, 0) {
            // A master deletes the expired key, so this loop ends. A replica
            // keeps it: after 100 such picks the name is returned anyway,
            // as Redis does, rather than loop forever.
            if srv.dbs[dbid].dict.contains_key(&key) {
                tries += 1;
                if tries >= 100 {
                    c.add_reply_bulk(&key);
                    return;
                }
            }
            continue;
        }
        c.add_reply_bulk(&key);
        return;
    }
}

fn rename_generic_command(srv: &mut Server, c: &mut Client, nx: bool) {
    let src = c.argv[1].clone();
    let dst = c.argv[2].clone();
    let samekey = src == dst;
    if lookup_key_write(srv, c.db, &src).is_none() {
        c.add_reply_error(shared::err_no_such_key());
        return;
    }
    if samekey {
        if nx {
            c.add_reply_long_long(0)
        } else {
            c.add_reply_ok()
        }
        return;
    }
    let expire = get_expire(srv, c.db, &src);
    if lookup_key_write(srv, c.db, &dst).is_some() {
        if nx {
            c.add_reply_long_long(0);
            return;
        }
        db_delete(srv, c.db, &dst);
    }
    let db = &mut srv.dbs[c.db];
    let Some((_, o)) = db.dict.remove(&src) else {
        return;
    };
    db.expires.remove(&src);
    let was_stream = o.v.obj_type() == ObjType::Stream;
    db.dict.insert(&dst[..], o);
    key_added(srv, c.db, &dst);
    // Redis deletes the source with dbDelete: XREADGROUP clients blocked
    // on a stream renamed away learn it.
    if was_stream {
        crate::blocked::signal_key_as_ready(srv, c.db, &src);
    }
    if expire != -1 {
        set_expire(srv, c.db, &dst, expire);
    }
    signal_modified_key(srv, c.db, &src);
    signal_modified_key(srv, c.db, &dst);
    crate::notify::notify_keyspace_event(
        srv,
        crate::notify::NOTIFY_GENERIC,
        "rename_from",
        &src,
        c.db,
    );
    crate::notify::notify_keyspace_event(
        srv,
        crate::notify::NOTIFY_GENERIC,
        "rename_to",
        &dst,
        c.db,
    );
    srv.dirty += 1;
    if nx {
        c.add_reply_long_long(1)
    } else {
        c.add_reply_ok()
    }
}

/// RENAME key newkey → OK. Error "ERR no such key".
pub fn rename_command(srv: &mut Server, c: &mut Client) {
    rename_generic_command(srv, c, false);
}

/// RENAMENX key newkey → 1 if renamed, 0 if newkey exists.
pub fn renamenx_command(srv: &mut Server, c: &mut Client) {
    rename_generic_command(srv, c, true);
}

/// MOVE key db → 1 if moved, 0 otherwise. Errors: "ERR DB index is out of
/// range", "ERR source and destination objects are the same".
pub fn move_command(srv: &mut Server, c: &mut Client) {
    let Some(dbid) = get_int_or_reply(c, &c.argv[2].clone(), None) else {
        return;
    };
    if dbid < 0 || dbid as usize >= srv.dbs.len() {
        c.add_reply_error(shared::err_db_index_out_of_range());
        return;
    }
    let dst = dbid as usize;
    if dst == c.db {
        c.add_reply_error(shared::err_same_object());
        return;
    }
    let key = c.argv[1].clone();
    if lookup_key_write(srv, c.db, &key).is_none() {
        c.add_reply_long_long(0);
        return;
    }
    let expire = get_expire(srv, c.db, &key);
    if lookup_key_write(srv, dst, &key).is_some() {
        c.add_reply_long_long(0);
        return;
    }
    let src = &mut srv.dbs[c.db];
    let Some((k, o)) = src.dict.remove(&key) else {
        return;
    };
    src.expires.remove(&key);
    let was_stream = o.v.obj_type() == ObjType::Stream;
    srv.dbs[dst].dict.insert(k, o);
    key_added(srv, dst, &key);
    // As RENAME: XREADGROUP clients blocked on the moved stream learn it.
    if was_stream {
        crate::blocked::signal_key_as_ready(srv, c.db, &key);
    }
    if expire != -1 {
        set_expire(srv, dst, &key, expire);
    }
    signal_modified_key(srv, c.db, &key);
    signal_modified_key(srv, dst, &key);
    crate::notify::notify_keyspace_event(
        srv,
        crate::notify::NOTIFY_GENERIC,
        "move_from",
        &key,
        c.db,
    );
    crate::notify::notify_keyspace_event(srv, crate::notify::NOTIFY_GENERIC, "move_to", &key, dst);
    srv.dirty += 1;
    c.add_reply_long_long(1);
}

/// COPY source destination [DB destination-db] [REPLACE] → 1 if copied, else
/// 0. The copy is deep for every type and keeps the source's encoding and
/// TTL. Errors: "ERR syntax error", "ERR DB index is out of range", "ERR
/// source and destination objects are the same".
pub fn copy_command(srv: &mut Server, c: &mut Client) {
    let srcid = c.db;
    let mut dstid = c.db;
    let mut replace = false;
    let mut j = 3;
    while j < c.argv.len() {
        let additional = c.argv.len() - j - 1;
        if c.argv[j].eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if c.argv[j].eq_ignore_ascii_case(b"db") && additional >= 1 {
            let Some(id) = get_int_or_reply(c, &c.argv[j + 1].clone(), None) else {
                return;
            };
            if id < 0 || id as usize >= srv.dbs.len() {
                c.add_reply_error(shared::err_db_index_out_of_range());
                return;
            }
            dstid = id as usize;
            j += 1;
        } else {
            c.add_reply_error(shared::err_syntax());
            return;
        }
        j += 1;
    }
    let key = c.argv[1].clone();
    let newkey = c.argv[2].clone();
    if srcid == dstid && key == newkey {
        c.add_reply_error(shared::err_same_object());
        return;
    }
    if lookup_key_read(srv, srcid, &key).is_none() {
        c.add_reply_long_long(0);
        return;
    }
    let expire = get_expire(srv, srcid, &key);
    if lookup_key_write(srv, dstid, &newkey).is_some() {
        if !replace {
            c.add_reply_long_long(0);
            return;
        }
        db_delete(srv, dstid, &newkey);
    }
    // A deep copy of any type (Redis's per-type *Dup), made only once the
    // copy is sure to happen.
    let Some(o) = srv.dbs[srcid].dict.get(&key).map(|o| o.v.dup()) else {
        c.add_reply_long_long(0);
        return;
    };
    db_add(srv, dstid, &newkey, o);
    if expire != -1 {
        set_expire(srv, dstid, &newkey, expire);
    }
    signal_modified_key(srv, dstid, &newkey);
    crate::notify::notify_keyspace_event(
        srv,
        crate::notify::NOTIFY_GENERIC,
        "copy_to",
        &newkey,
        dstid,
    );
    srv.dirty += 1;
    c.add_reply_long_long(1);
}

/// DBSIZE → integer: keys in the selected database (not yet reclaimed expired keys included).
pub fn dbsize_command(srv: &mut Server, c: &mut Client) {
    c.add_reply_long_long(srv.dbs[c.db].dict.len() as i64);
}

/// Parses FLUSHDB/FLUSHALL's optional SYNC|ASYNC; None after replying a syntax error.
fn get_flush_async(srv: &Server, c: &mut Client) -> Option<bool> {
    if c.argv.len() > 2 {
        c.add_reply_error(shared::err_syntax());
        return None;
    }
    if c.argv.len() == 2 {
        if c.argv[1].eq_ignore_ascii_case(b"sync") {
            return Some(false);
        } else if c.argv[1].eq_ignore_ascii_case(b"async") {
            return Some(true);
        }
        c.add_reply_error(shared::err_syntax());
        return None;
    }
    Some(srv.config.lazyfree_lazy_user_flush)
}

/// Empties database `dbid` (Redis `emptyData` for one db); with
/// `async_free` the old tables are freed on the bio thread. Returns the
/// number of keys removed.
pub fn empty_db(srv: &mut Server, dbid: usize, async_free: bool) -> i64 {
    crate::blocked::scan_database_for_deleted_streams(srv, dbid, None);
    let db = &mut srv.dbs[dbid];
    let n = db.dict.len() as i64;
    let dict = db.dict.take();
    let expires = db.expires.take();
    db.avg_ttl = 0;
    db.expires_cursor = 0;
    if async_free {
        crate::bio::lazy_free(Box::new((dict, expires)), n as u64);
    }
    n
}

/// Empties every database (Redis `emptyData(-1, ...)`), freeing the old
/// tables on the bio thread with `async_free`: WATCHes on the keys are
/// invalidated, client-side caches flushed, the writable replica's tracked
/// TTL keys forgotten, and with `with_functions` the function libraries
/// dropped too. Returns the number of keys removed.
pub fn empty_data(srv: &mut Server, async_free: bool, with_functions: bool) -> i64 {
    let mut n = 0;
    for id in 0..srv.dbs.len() {
        crate::multi::touch_all_watched_keys_in_db(srv, id, None);
        n += empty_db(srv, id, async_free);
    }
    crate::tracking::tracking_invalidate_keys_on_flush(srv);
    crate::expire::flush_slave_keys_with_expire_list(srv);
    if with_functions {
        crate::function::functions_lib_ctx_clear_current(srv);
    }
    n
}

/// FLUSHDB [ASYNC|SYNC] → OK.
pub fn flushdb_command(srv: &mut Server, c: &mut Client) {
    let Some(async_free) = get_flush_async(srv, c) else {
        return;
    };
    crate::multi::touch_all_watched_keys_in_db(srv, c.db, None);
    crate::tracking::tracking_invalidate_keys_on_flush(srv);
    let n = empty_db(srv, c.db, async_free);
    srv.dirty += n;
    // Propagated even when the database was already empty.
    c.flags |= crate::networking::CLIENT_FORCE_AOF | crate::networking::CLIENT_FORCE_REPL;
    c.add_reply_ok();
}

/// FLUSHALL [ASYNC|SYNC] → OK. With save points configured, the empty
/// dataset is then saved to the RDB file (and the dirty counter reset).
pub fn flushall_command(srv: &mut Server, c: &mut Client) {
    let Some(async_free) = get_flush_async(srv, c) else {
        return;
    };
    let n = empty_data(srv, async_free, false);
    srv.dirty += n;
    // Propagated even when every database was already empty.
    c.flags |= crate::networking::CLIENT_FORCE_AOF | crate::networking::CLIENT_FORCE_REPL;
    // Redis `flushAllDataAndResetRDB`: a running BGSAVE would write the old
    // data, so it is killed; with save points configured the (now empty)
    // dataset is saved at once, which resets the dirty counter.
    crate::rdb::kill_rdb_child(srv);
    if !srv.config.save_params.is_empty() {
        let _ = rdb_save_internal(srv);
    }
    c.add_reply_ok();
}

/// Saves the RDB to `dbfilename` for the server's own needs (FLUSHALL,
/// DEBUG RELOAD): like SAVE, but not counted in INFO `rdb_saves`, which
/// Redis counts only for SAVE and background saves.
pub fn rdb_save_internal(srv: &mut Server) -> std::io::Result<()> {
    let filename = srv.config.dbfilename.clone();
    let saves = srv.stat_rdb_saves;
    let r = crate::rdb::rdb_save(srv, &filename);
    srv.stat_rdb_saves = saves;
    r
}

/// SWAPDB index1 index2 → OK. Errors: "ERR invalid first DB index",
/// "ERR invalid second DB index", "ERR DB index is out of range".
pub fn swapdb_command(srv: &mut Server, c: &mut Client) {
    let Some(a) = get_int_or_reply(c, &c.argv[1].clone(), Some("invalid first DB index")) else {
        return;
    };
    let Some(b) = get_int_or_reply(c, &c.argv[2].clone(), Some("invalid second DB index")) else {
        return;
    };
    let n = srv.dbs.len() as i32;
    if a < 0 || a >= n || b < 0 || b >= n {
        c.add_reply_error(shared::err_db_index_out_of_range());
        return;
    }
    let (a, b) = (a as usize, b as usize);
    if a != b {
        crate::multi::touch_all_watched_keys_in_db(srv, a, Some(b));
        crate::multi::touch_all_watched_keys_in_db(srv, b, Some(a));
        crate::blocked::scan_database_for_deleted_streams(srv, a, Some(b));
        crate::blocked::scan_database_for_deleted_streams(srv, b, Some(a));
        let (lo, hi) = (a.min(b), a.max(b));
        let (left, right) = srv.dbs.split_at_mut(hi);
        let (x, y) = (&mut left[lo], &mut right[0]);
        std::mem::swap(&mut x.dict, &mut y.dict);
        std::mem::swap(&mut x.expires, &mut y.expires);
        std::mem::swap(&mut x.avg_ttl, &mut y.avg_ttl);
        std::mem::swap(&mut x.expires_cursor, &mut y.expires_cursor);
        // Waiters stay with their database index: keys may have appeared.
        crate::blocked::scan_database_for_ready_keys(srv, a);
        crate::blocked::scan_database_for_ready_keys(srv, b);
    }
    crate::expire::flush_slave_keys_with_expire_list(srv);
    srv.dirty += 1;
    c.add_reply_ok();
}

/// SELECT index → OK. Errors: not an integer, "ERR DB index is out of range".
pub fn select_command(srv: &mut Server, c: &mut Client) {
    let Some(id) = get_int_or_reply(c, &c.argv[1].clone(), None) else {
        return;
    };
    if id < 0 || id as usize >= srv.dbs.len() {
        c.add_reply_error(shared::err_db_index_out_of_range());
        return;
    }
    c.db = id as usize;
    c.add_reply_ok();
}

// ---- OBJECT ----

fn object_lookup_or_reply<'a>(srv: &'a mut Server, c: &mut Client) -> Option<&'a mut RObj> {
    let key = c.argv[2].clone();
    let o = lookup_key_read_with_flags(srv, c.db, &key, LOOKUP_NOTOUCH | LOOKUP_NONOTIFY);
    if o.is_none() {
        c.add_reply_null();
    }
    o
}

/// OBJECT ENCODING key → bulk encoding name or null.
pub fn object_encoding_command(srv: &mut Server, c: &mut Client) {
    if let Some(o) = object_lookup_or_reply(srv, c) {
        let name = o.v.encoding_name();
        c.add_reply_bulk(name.as_bytes());
    }
}

/// OBJECT REFCOUNT key → integer (2147483647 for shared integers 0..9999).
pub fn object_refcount_command(srv: &mut Server, c: &mut Client) {
    let shared_ints = !srv.config.maxmemory_policy_no_shared_integers();
    if let Some(o) = object_lookup_or_reply(srv, c) {
        let rc = o.v.refcount(shared_ints);
        c.add_reply_long_long(rc);
    }
}

/// OBJECT IDLETIME key → integer seconds since last access. Error under an LFU policy.
pub fn object_idletime_command(srv: &mut Server, c: &mut Client) {
    let lfu = srv.config.maxmemory_policy_is_lfu();
    let clock = srv.lru_clock();
    if let Some(o) = object_lookup_or_reply(srv, c) {
        if lfu {
            c.add_reply_error("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
            return;
        }
        let idle_ms = crate::evict::estimate_idle_time_ms(clock, o.lru);
        c.add_reply_long_long(idle_ms / 1000);
    }
}

/// OBJECT FREQ key → integer LFU counter. Error unless an LFU policy is set.
pub fn object_freq_command(srv: &mut Server, c: &mut Client) {
    let lfu = srv.config.maxmemory_policy_is_lfu();
    let now = srv.mstime;
    let decay = srv.config.lfu_decay_time as i64;
    if let Some(o) = object_lookup_or_reply(srv, c) {
        if !lfu {
            c.add_reply_error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
            return;
        }
        c.add_reply_long_long(crate::evict::lfu_decr_and_return(o.lru, now, decay) as i64);
    }
}

/// OBJECT HELP → help lines.
pub fn object_help_command(_srv: &mut Server, c: &mut Client) {
    c.add_reply_help(
        "object",
        &[
            "ENCODING <key>",
            "    Return the internal encoding of the value stored at <key>.",
            "FREQ <key>",
            "    Return the logarithmic access counter of <key> (LFU policies only).",
            "IDLETIME <key>",
            "    Return the seconds since <key> was last read or written (LRU policies).",
            "REFCOUNT <key>",
            "    Return how many references the value stored at <key> has.",
        ],
    );
}
