//! DEBUG (Redis `debug.c`): introspection and test hooks, behind
//! `enable-debug-command` (checked in `process_command`).
//!
//! # Dataset digests
//! DEBUG DIGEST and DEBUG DIGEST-VALUE print a 20-byte signature of data
//! as 40 hex digits. They must equal what redis-server prints for the same
//! data, because test suites compare a digest taken before DEBUG RELOAD (or
//! on a master) with one taken after (or on a replica). Two primitives
//! combine SHA-1 hashes:
//! - *xor* (`xor_digest`): `d ^= SHA1(data)`. Order-free, so it is used
//!   for unordered collections (keys of a database, set members, hash
//!   fields, sorted set members);
//! - *mix* (`mix_digest`): `d = SHA1(d ^ SHA1(data))`. Order-sensitive,
//!   used for sequences (list elements, and the parts of one record).
//!
//! The digest of one value starts from the type code (Redis `OBJ_*`, as a
//! 4-byte big-endian integer) mixed in, then:
//! - string: its bytes (integers as decimal text) mixed in;
//! - list: each element, head to tail, mixed in;
//! - set: each member xored in;
//! - hash: per field, `e = mix(mix(0, field), value)`, and `e` xored in
//!   (that is, `d ^= SHA1(e)`);
//! - sorted set: per member, `e = mix(mix(0, member), score as %.17g)`,
//!   and `e` xored in;
//! - finally, a key with a TTL xors in the 10 bytes `!!expire!!`.
//!
//! The dataset digest (DEBUG DIGEST) is all zeros for an empty server;
//! otherwise for each non-empty database the database index (4 bytes, big
//! endian) is mixed into the result, and for every key the digest
//! `mix(0, key)` followed by the value's digest is xored into it
//! (`result ^= SHA1(key digest)`). Expired
//! keys not yet reclaimed count, as in Redis (the walk does not expire).
//! Encodings never matter: a listpack and a hashtable holding the same
//! pairs give the same digest.
//!
//! # DEBUG RELOAD
//! Saves the RDB (unless NOSAVE), empties every database (unless NOFLUSH)
//! and loads the file back. With NOFLUSH the file is first loaded aside and
//! then merged: MERGE lets the file's keys replace existing ones; without
//! MERGE a key present on both sides fails the reload with "Error trying to
//! load the RDB dump" and leaves the data untouched (Redis 7.0 aborts the
//! whole process there).

use sha1::{Digest as _, Sha1};

use crate::db::{LOOKUP_NOTOUCH, lookup_key_write};
use crate::networking::Client;
use crate::object::{ObjType, RObj, Value};
use crate::server::Server;
use crate::shared;

/// A 20-byte SHA-1 based digest.
pub type Digest = [u8; 20];

/// `d ^= SHA1(data)` (Redis `xorDigest`): order-independent accumulation.
pub fn xor_digest(d: &mut Digest, data: &[u8]) {
    let h = Sha1::digest(data);
    for (a, b) in d.iter_mut().zip(h.iter()) {
        *a ^= b;
    }
}

/// `d = SHA1(d ^ SHA1(data))` (Redis `mixDigest`): order-dependent accumulation.
pub fn mix_digest(d: &mut Digest, data: &[u8]) {
    xor_digest(d, data);
    let h = Sha1::digest(&d[..]);
    for (a, b) in d.iter_mut().zip(h.iter()) {
        *a = *b;
    }
}

/// Redis's numeric type code of an object type (`OBJ_STRING` .. `OBJ_STREAM`).
pub fn obj_type_code(t: ObjType) -> u32 {
    match t {
        ObjType::String => 0,
        ObjType::List => 1,
        ObjType::Set => 2,
        ObjType::ZSet => 3,
        ObjType::Hash => 4,
        ObjType::Stream => 6,
    }
}

/// Digest of one (field, value) or (member, score text) pair.
fn pair_digest(a: &[u8], b: &[u8]) -> Digest {
    let mut e = [0u8; 20];
    mix_digest(&mut e, a);
    mix_digest(&mut e, b);
    e
}

/// Adds the digest of value `v` to `d` (Redis `xorObjectDigest`); see the
/// module docs for the per-type rules. `has_expire`: the key has a TTL.
pub fn xor_object_digest(d: &mut Digest, v: &Value, has_expire: bool) {
    mix_digest(d, &obj_type_code(v.obj_type()).to_be_bytes());
    match v {
        Value::List(_) | Value::Set(_) | Value::Hash(_) | Value::ZSet(_) | Value::Stream(_) => {
            collection_digest(d, v)
        }
        _ => {
            let mut t = itoa::Buffer::new();
            mix_digest(d, v.as_bytes(&mut t));
        }
    }
    if has_expire {
        xor_digest(d, b"!!expire!!");
    }
}

/// The digest of the whole dataset (Redis `computeDatasetDigest`).
///
/// # Latency
/// O(every element of every value).
pub fn compute_dataset_digest(srv: &Server) -> Digest {
    let mut fin = [0u8; 20];
    for (j, db) in srv.dbs.iter().enumerate() {
        if db.dict.is_empty() {
            continue;
        }
        mix_digest(&mut fin, &(j as u32).to_be_bytes());
        for (k, o) in db.dict.iter() {
            let mut d = [0u8; 20];
            mix_digest(&mut d, k);
            xor_object_digest(&mut d, &o.v, db.expires.contains_key(k));
            xor_digest(&mut fin, &d);
        }
    }
    fin
}

/// Lowercase hex of a digest.
pub fn digest_hex(d: &Digest) -> String {
    let mut s = String::with_capacity(40);
    for b in d {
        s.push_str(&format!("{:02x}", b));
    }
    s
}

/// The value stored at `key` in the client's database without expiring it
/// or touching it (DEBUG works on logically expired keys, as Redis's
/// `dictFind`).
fn raw_lookup<'a>(srv: &'a Server, c: &Client, key: &[u8]) -> Option<&'a RObj> {
    srv.dbs[c.db].dict.get(key)
}

/// The DEBUG OBJECT line of a value (Redis's `debugCommand` "object" branch).
fn debug_object_line(srv: &Server, o: &RObj) -> String {
    let shared_ok = !srv.config.maxmemory_policy_no_shared_integers();
    // Redis reads the field as an LRU clock whatever the policy, so under
    // LFU the idle time is meaningless but printed all the same.
    let idle = crate::evict::estimate_idle_time_ms(srv.lru_clock(), o.lru) / 1000;
    let extra = quicklist_extra(&o.v);
    format!(
        "Value at:{:p} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}{}",
        o as *const _,
        o.v.refcount(shared_ok),
        o.v.encoding_name(),
        crate::rdb::rdb_saved_value_len(&o.v, srv.config.rdbcompression),
        o.lru,
        idle,
        extra
    )
}

/// Why a DEBUG RELOAD failed: the reply to send.
enum ReloadError {
    /// The save failed: `-ERR`.
    Save,
    /// The load failed: "ERR Error trying to load the RDB dump".
    Load,
}

/// DEBUG RELOAD's work (see the module docs).
fn debug_reload(srv: &mut Server, save: bool, flush: bool, merge: bool) -> Result<(), ReloadError> {
    let filename = srv.config.dbfilename.clone();
    if save && crate::db::rdb_save_internal(srv).is_err() {
        return Err(ReloadError::Save);
    }
    if flush {
        // Redis's emptyData(-1, EMPTYDB_NO_FLAGS) drops the functions too.
        crate::db::empty_data(srv, false, true);
        let info = crate::rdb::rdb_load(srv, &filename).map_err(|_| ReloadError::Load)?;
        srv.rdb_last_load_keys_loaded = info.keys_loaded;
        srv.rdb_last_load_keys_expired = info.keys_expired;
        return Ok(());
    }
    // NOFLUSH: load aside, then merge.
    let mut aside: Vec<crate::db::RedisDb> =
        (0..srv.dbs.len()).map(crate::db::RedisDb::new).collect();
    let file = std::fs::File::open(&filename).map_err(|_| ReloadError::Load)?;
    let size = file.metadata().map_err(|_| ReloadError::Load)?.len();
    let opts = crate::rdb::RdbLoadOptions::from_server(srv);
    let rd = std::io::BufReader::with_capacity(256 * 1024, file);
    let mut info = match crate::rdb::rdb_load_rio(rd, size, &mut aside, &opts) {
        Ok(i) => i,
        Err(e) => {
            e.log();
            return Err(ReloadError::Load);
        }
    };
    // The libraries come first in the file, so they fail before any key.
    info = match crate::rdb::rdb_create_functions(srv, info, merge, 0) {
        Ok(i) => i,
        Err(e) => {
            e.log();
            return Err(ReloadError::Load);
        }
    };
    if !merge {
        for (id, db) in aside.iter().enumerate() {
            if let Some(k) = db.dict.keys().find(|k| srv.dbs[id].dict.contains_key(k)) {
                tracing::warn!(
                    "RDB has duplicated key '{}' in DB {}",
                    String::from_utf8_lossy(k),
                    id
                );
                return Err(ReloadError::Load);
            }
        }
    }
    for (id, mut db) in aside.into_iter().enumerate() {
        let expires = db.expires.take();
        for (k, o) in db.dict.take() {
            let target = &mut srv.dbs[id];
            if let Some((_, old)) = target.dict.remove(&k) {
                crate::bio::lazy_free_value(old.v);
            }
            target.expires.remove(&k);
            if let Some(&when) = expires.get(&k) {
                target.expires.insert(&k[..], when);
            }
            target.dict.insert(k, o);
        }
    }
    srv.rdb_last_load_keys_loaded = info.keys_loaded;
    srv.rdb_last_load_keys_expired = info.keys_expired;
    Ok(())
}

/// DEBUG POPULATE's work: `count` keys `<prefix>:<n>` holding `value:<n>`
/// (cut or zero-padded to `size` bytes when `size` > 0); existing keys are
/// left alone. False, after adding what fit, if a value of `size` bytes
/// cannot be allocated (Redis aborts on out-of-memory there).
fn debug_populate(srv: &mut Server, dbid: usize, count: i64, prefix: &[u8], size: i64) -> bool {
    if count > 0 {
        // A size hint only: capped so a huge count cannot ask for an
        // impossible table up front (the dict grows as keys arrive).
        let want = count.min(1 << 22) as usize + srv.dbs[dbid].dict.len();
        srv.dbs[dbid].dict.expand(want);
    }
    for j in 0..count {
        let mut key = prefix.to_vec();
        key.push(b':');
        key.extend_from_slice(j.to_string().as_bytes());
        if lookup_key_write(srv, dbid, &key).is_some() {
            continue;
        }
        let base = format!("value:{}", j).into_bytes();
        let val = if size == 0 {
            base
        } else {
            let mut v: Vec<u8> = Vec::new();
            if v.try_reserve_exact(size as usize).is_err() {
                return false;
            }
            v.resize(size as usize, 0);
            let n = base.len().min(v.len());
            v[..n].copy_from_slice(&base[..n]);
            v
        };
        crate::db::db_add(srv, dbid, &key, Value::from_bytes(&val));
        crate::db::signal_modified_key(srv, dbid, &key);
    }
    true
}

/// DEBUG STRINGMATCH-TEST: glob matching on random patterns and strings
/// must neither crash nor hang.
///
/// # Latency
/// 100,000 random matches of at most 32-byte inputs (well under a second).
fn stringmatch_fuzz_test() {
    use rand::RngExt;
    let mut rng = rand::rng();
    let alphabet = b"*?[]\\^-abc";
    for _ in 0..100_000 {
        let plen = rng.random_range(0..32usize);
        let slen = rng.random_range(0..32usize);
        let p: Vec<u8> = (0..plen)
            .map(|_| alphabet[rng.random_range(0..alphabet.len())])
            .collect();
        let s: Vec<u8> = (0..slen).map(|_| rng.random_range(0..=255u8)).collect();
        let _ = crate::util::string_match(&p, &s, rng.random_bool(0.5));
    }
}

/// Replies with one test value of a RESP type (DEBUG PROTOCOL).
fn debug_protocol(c: &mut Client, name: &[u8]) {
    let is = |s: &str| name.eq_ignore_ascii_case(s.as_bytes());
    if is("string") {
        c.add_reply_bulk(b"Hello World");
    } else if is("integer") {
        c.add_reply_long_long(12345);
    } else if is("double") {
        // Redis's sample value, not an approximation of pi.
        #[allow(clippy::approx_constant)]
        let sample = 3.141;
        c.add_reply_double(sample);
    } else if is("bignum") {
        let n = b"1234567999999999999999999999999999999";
        if c.resp >= 3 {
            let mut out = Vec::with_capacity(n.len() + 3);
            out.push(b'(');
            out.extend_from_slice(n);
            out.extend_from_slice(b"\r\n");
            c.add_reply_raw(&out);
        } else {
            c.add_reply_bulk(n);
        }
    } else if is("null") {
        c.add_reply_null();
    } else if is("array") {
        c.add_reply_array_len(3);
        for j in 0..3 {
            c.add_reply_long_long(j);
        }
    } else if is("set") {
        c.add_reply_set_len(3);
        for j in 0..3 {
            c.add_reply_long_long(j);
        }
    } else if is("map") {
        c.add_reply_map_len(3);
        for j in 0..3 {
            c.add_reply_long_long(j);
            c.add_reply_bool(j == 1);
        }
    } else if is("attrib") {
        if c.resp >= 3 {
            c.add_reply_raw(b"|1\r\n");
            c.add_reply_bulk(b"key-popularity");
            c.add_reply_array_len(2);
            c.add_reply_bulk(b"key:123");
            c.add_reply_long_long(90);
        }
        c.add_reply_bulk(b"Some real reply following the attribute");
    } else if is("push") {
        if c.resp < 3 {
            c.add_reply_error("ERR RESP2 is not supported by this command");
            return;
        }
        c.add_reply_push_len(2);
        c.add_reply_bulk(b"server-cpu-usage");
        c.add_reply_long_long(42);
        c.add_reply_bulk(b"Some real reply following the push reply");
    } else if is("true") {
        c.add_reply_bool(true);
    } else if is("false") {
        c.add_reply_bool(false);
    } else if is("verbatim") {
        c.add_reply_verbatim(b"This is a verbatim\nstring", "txt");
    } else {
        c.add_reply_error(
            "ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
        );
    }
}

/// DEBUG's help lines (subcommands we implement).
const HELP: &[&str] = &[
    "AOF-FLUSH-SLEEP <microsec>",
    "    Server will sleep before flushing the AOF, this is used for testing.",
    "CHANGE-REPL-ID",
    "    Give the instance new replication IDs (testing aid for replication).",
    "CONFIG-REWRITE-FORCE-ALL",
    "    Like CONFIG REWRITE but writes all configuration options, including",
    "    keywords not listed in original configuration file or default values.",
    "DIGEST",
    "    Print a hex signature of the whole dataset.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Print a hex signature of the value of each given key.",
    "ERROR <string>",
    "    Reply with <string> as an error (for client tests).",
    "HTSTATS <dbid>",
    "    Print the hash table statistics of database <dbid>.",
    "HTSTATS-KEY <key>",
    "    Print the statistics of the hash table behind the value of <key>.",
    "LISTPACK <key>",
    "    Print the listpack behind <key> to the standard output.",
    "LOADAOF",
    "    Flush the AOF buffers on disk and reload the AOF in memory.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "MALLCTL <key> [<val>]",
    "    Read (and with <val>, write) an integer jemalloc setting.",
    "MALLCTL-STR <key> [<val>]",
    "    Read (and with <val>, write) a string jemalloc setting.",
    "OBJECT <key>",
    "    Show low-level details of the value stored at <key>.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys <prefix>:<n> (prefix 'key' by default), values of <size> bytes.",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
    "PROTOCOL <type>",
    "    Reply with a sample of a RESP type: string, integer, double, bignum, null,",
    "    array, set, map, attrib, push, verbatim, true, false.",
    "QUICKLIST <key> [<0|1>]",
    "    Print the quicklist behind <key> to the standard output (1: with every node's entries).",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Elements of at least <size> bytes get a plain quicklist node of their own (0 resets to 1gb).",
    "RELOAD [MERGE] [NOFLUSH] [NOSAVE]",
    "    Save the RDB, empty the databases and load the RDB back. NOSAVE loads the",
    "    existing file, NOFLUSH keeps the current data, MERGE lets loaded keys replace it.",
    "REPLICATE <string>",
    "    Replicates the provided string to replicas, allowing data divergence.",
    "SDSLEN <key>",
    "    Print the lengths and allocation sizes of <key> and of its string value.",
    "SEGFAULT",
    "    Crash the server with SIGSEGV (a write to a read-only page).",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Turn the active expire cycle off or on (it is on by default).",
    "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
    "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
    "SLEEP <seconds>",
    "    Block the server for <seconds>, which may be fractional.",
    "STRINGMATCH-TEST",
    "    Fuzz the glob matcher.",
    "STRUCTSIZE",
    "    Print the sizes of the core structures (object, hash table entry, sds headers).",
];

/// DEBUG SEGFAULT: dies of SIGSEGV by writing to a page mapped read-only,
/// as Redis does, so the crash report (see
/// [`crate::server::setup_sigsegv_handlers`]) shows a real fault.
#[allow(unsafe_code)]
fn debug_segfault() {
    // SAFETY: a fresh anonymous private mapping; the volatile write to it
    // faults (PROT_READ) and the process dies of SIGSEGV. Should the
    // mapping fail, the signal is raised instead.
    unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_READ,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if p != libc::MAP_FAILED {
            std::ptr::write_volatile(p.cast::<u8>(), b'x');
        }
        libc::raise(libc::SIGSEGV);
    }
}

/// DEBUG subcommand [args...]: see [`HELP`] and the module docs. Unknown
/// subcommands or wrong argument counts reply "ERR unknown subcommand or
/// wrong number of arguments for '<sub>'. Try DEBUG HELP.".
pub fn debug_command(srv: &mut Server, c: &mut Client) {
    let argc = c.argv.len();
    let sub = c.argv[1].to_ascii_lowercase();
    match (&sub[..], argc) {
        (b"help", 2) => c.add_reply_help("debug", HELP),
        (b"sleep", 3) => {
            // C strtod on the argument, as Redis: leading junk gives 0,
            // trailing junk is ignored.
            let (secs, _) = crate::util::strtod(&c.argv[2]);
            if secs > 0.0 && secs.is_finite() {
                std::thread::sleep(std::time::Duration::from_micros((secs * 1e6) as u64));
            }
            c.add_reply_ok();
        }
        (b"segfault", 2) => debug_segfault(),
        (b"config-rewrite-force-all", 2) => crate::config::debug_config_rewrite_force_all(srv, c),
        (b"client-eviction", 2) => crate::networking::debug_client_eviction(srv, c),
        (b"replybuffer", 4) => crate::networking::debug_replybuffer(srv, c),
        (b"pause-cron", 3) => {
            srv.pause_cron = crate::util::atoll(&c.argv[2]) != 0;
            c.add_reply_ok();
        }
        (b"set-disable-deny-scripts", 3) => {
            srv.script.disable_deny_script = crate::util::atoll(&c.argv[2]) != 0;
            c.add_reply_ok();
        }
        (b"replicate", n) if n >= 3 => {
            // Into the stream as is, in the stream's current database (no
            // SELECT, even when none was sent yet), not run here: replicas
            // may diverge (Redis `DEBUG REPLICATE`).
            if crate::replication::should_feed(srv) && srv.repl.masterhost.is_none() {
                let argv = c.argv[2..].to_vec();
                let db = srv.repl.slaveseldb;
                crate::replication::master::feed_replication_stream_db(srv, db, &argv);
            }
            c.add_reply_ok();
        }
        (b"set-active-expire", 3) => {
            srv.active_expire_enabled = crate::util::atoll(&c.argv[2]) != 0;
            c.add_reply_ok();
        }
        (b"set-skip-checksum-validation", 3) => {
            srv.dump.skip_checksum_validation = crate::util::atoll(&c.argv[2]) != 0;
            c.add_reply_ok();
        }
        (b"loadaof", 2) => {
            crate::aof::debug_loadaof(srv);
            c.add_reply_ok();
        }
        (b"aof-flush-sleep", 3) => {
            srv.aof.flush_sleep_us = crate::util::atoll(&c.argv[2]);
            c.add_reply_ok();
        }
        (b"log", 3) => {
            tracing::warn!("DEBUG LOG: {}", String::from_utf8_lossy(&c.argv[2]));
            c.add_reply_ok();
        }
        (b"error", 3) => {
            // Raw bytes, as Redis's addReplySds: not counted in errorstats.
            let mut e = Vec::with_capacity(c.argv[2].len() + 3);
            e.push(b'-');
            e.extend(
                c.argv[2]
                    .iter()
                    .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
            );
            e.extend_from_slice(b"\r\n");
            c.add_reply_raw(&e);
        }
        (b"structsize", 2) => {
            let sizes = format!(
                "bits:{} robj:{} dictentry:{} sdshdr5:1 sdshdr8:3 sdshdr16:5 sdshdr32:9 sdshdr64:17 ",
                usize::BITS,
                std::mem::size_of::<RObj>(),
                crate::dict::entry_size::<RObj>(),
            );
            c.add_reply_bulk(sizes.as_bytes());
        }
        (b"sdslen", 3) => {
            let key = c.argv[2].clone();
            let line = match raw_lookup(srv, c, &key) {
                None => return c.add_reply_error(shared::err_no_such_key()),
                Some(o) => sdslen_line(&key, &o.v),
            };
            match line {
                Some(l) => c.add_reply_status(&l),
                None => c.add_reply_error("ERR Not an sds encoded string."),
            }
        }
        (b"mallctl", 3..) => {
            let args: Vec<bytes::Bytes> = c.argv[2..].to_vec();
            mallctl_int(c, &args);
        }
        (b"mallctl-str", 3..) => {
            let args: Vec<bytes::Bytes> = c.argv[2..].to_vec();
            mallctl_string(c, &args);
        }
        (b"htstats", 3) => {
            let arg = c.argv[2].clone();
            let Some(dbid) = crate::db::get_long_long_or_reply(c, &arg, None) else {
                return;
            };
            let Some(db) = usize::try_from(dbid).ok().and_then(|i| srv.dbs.get(i)) else {
                c.add_reply_error("ERR Out of range database");
                return;
            };
            let mut stats = String::from("[Dictionary HT]\n");
            stats.push_str(&db.dict.get_stats());
            stats.push_str("[Expires HT]\n");
            stats.push_str(&db.expires.get_stats());
            c.add_reply_verbatim(stats.as_bytes(), "txt");
        }
        (b"htstats-key", 3) => {
            let key = c.argv[2].clone();
            let stats = match raw_lookup(srv, c, &key).map(|o| &o.v) {
                None => return c.add_reply_error(shared::err_no_such_key()),
                Some(Value::Hash(crate::t_hash::HashObj::Table(d))) => Some(d.get_stats()),
                Some(Value::Set(crate::t_set::SetObj::Table(d))) => Some(d.get_stats()),
                Some(Value::ZSet(crate::t_zset::ZSetObj::Skiplist(z))) => Some(z.ht_stats()),
                Some(_) => None,
            };
            match stats {
                Some(t) => c.add_reply_verbatim(t.as_bytes(), "txt"),
                None => c.add_reply_error(
                    "ERR The value stored at the specified key is not represented using an hash table",
                ),
            }
        }
        (b"object", 3) => {
            let key = c.argv[2].clone();
            match raw_lookup(srv, c, &key) {
                None => c.add_reply_error(shared::err_no_such_key()),
                Some(o) => {
                    let line = debug_object_line(srv, o);
                    c.add_reply_status(&line);
                }
            }
        }
        (b"digest", 2) => {
            let d = compute_dataset_digest(srv);
            c.add_reply_status(&digest_hex(&d));
        }
        (b"digest-value", _) => {
            c.add_reply_array_len(argc - 2);
            for j in 2..argc {
                let mut d = [0u8; 20];
                let key = &c.argv[j];
                if let Some(o) = srv.dbs[c.db].dict.get(key) {
                    let has_expire = srv.dbs[c.db].expires.contains_key(key);
                    xor_object_digest(&mut d, &o.v, has_expire);
                }
                c.add_reply_status(&digest_hex(&d));
            }
        }
        (b"reload", _) => {
            let (mut save, mut flush, mut merge) = (true, true, false);
            for a in &c.argv[2..] {
                if a.eq_ignore_ascii_case(b"merge") {
                    merge = true;
                } else if a.eq_ignore_ascii_case(b"noflush") {
                    flush = false;
                } else if a.eq_ignore_ascii_case(b"nosave") {
                    save = false;
                } else {
                    c.add_reply_error(
                        "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
                    );
                    return;
                }
            }
            match debug_reload(srv, save, flush, merge) {
                Ok(()) => {
                    tracing::warn!("DB reloaded by DEBUG RELOAD");
                    c.add_reply_ok();
                }
                Err(ReloadError::Save) => c.add_reply_error("ERR"),
                Err(ReloadError::Load) => {
                    c.add_reply_error("ERR Error trying to load the RDB dump")
                }
            }
        }
        (b"populate", 3..=5) => {
            let Some(count) = crate::db::get_positive_long_or_reply(c, &c.argv[2].clone(), None)
            else {
                return;
            };
            let mut size = 0;
            if argc == 5 {
                let Some(s) = crate::db::get_positive_long_or_reply(c, &c.argv[4].clone(), None)
                else {
                    return;
                };
                size = s;
            }
            let prefix = if argc >= 4 {
                c.argv[3].to_vec()
            } else {
                b"key".to_vec()
            };
            if debug_populate(srv, c.db, count, &prefix, size) {
                c.add_reply_ok();
            } else {
                c.add_reply_error("ERR Out of memory allocating the values");
            }
        }
        (b"protocol", 3) => {
            let name = c.argv[2].clone();
            debug_protocol(c, &name);
        }
        (b"change-repl-id", 2) => {
            tracing::warn!("Changing replication IDs after receiving DEBUG change-repl-id");
            srv.replid = crate::server::random_hex_id();
            c.add_reply_ok();
        }
        (b"stringmatch-test", 2) => {
            stringmatch_fuzz_test();
            c.add_reply_status("Apparently Redis did not crash: test passed");
        }
        (b"quicklist-packed-threshold", 3) => {
            let ok = crate::config::memtoull(&c.argv[2]).is_some_and(set_packed_threshold);
            if ok {
                c.add_reply_ok();
            } else {
                c.add_reply_error(
                    "ERR argument must be a memory value bigger than 1 and smaller than 4gb",
                );
            }
        }
        (b"listpack", 3) => {
            let key = c.argv[2].clone();
            let Some(o) = crate::db::lookup_key_read_with_flags(
                srv,
                c.db,
                &key,
                LOOKUP_NOTOUCH | crate::db::LOOKUP_NONOTIFY,
            ) else {
                c.add_reply_error(shared::err_no_such_key());
                return;
            };
            if print_listpack(&o.v) {
                c.add_reply_status("Listpack structure printed on stdout");
            } else {
                c.add_reply_error("ERR Not a listpack encoded object.");
            }
        }
        (b"quicklist", 3..=4) => {
            let key = c.argv[2].clone();
            let full = argc == 4 && crate::util::atoll(&c.argv[3]) != 0;
            let Some(o) = crate::db::lookup_key_read_with_flags(
                srv,
                c.db,
                &key,
                LOOKUP_NOTOUCH | crate::db::LOOKUP_NONOTIFY,
            ) else {
                c.add_reply_error(shared::err_no_such_key());
                return;
            };
            match &o.v {
                Value::List(ql) => {
                    print!("{}", quicklist_repr(ql, full));
                    c.add_reply_status("Quicklist structure printed on stdout");
                }
                _ => c.add_reply_error("ERR Not a quicklist encoded object."),
            }
        }
        _ => {
            let msg = format!(
                "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
                String::from_utf8_lossy(&c.argv[1])
                    .chars()
                    .take(128)
                    .collect::<String>()
            );
            c.add_reply_error(&msg);
        }
    }
}

// ---- Type glue ----

/// Adds the digest of a collection's contents to `d` (see the module docs).
fn collection_digest(d: &mut Digest, v: &Value) {
    match v {
        Value::List(ql) => {
            for e in ql.iter() {
                mix_digest(d, &e);
            }
        }
        Value::Set(s) => s.for_each(|m| xor_digest(d, m)),
        Value::Hash(h) => h.for_each(|f, val| xor_digest(d, &pair_digest(f, val))),
        Value::ZSet(z) => {
            z.for_each(|m, score| xor_digest(d, &pair_digest(m, &crate::util::d2string_g17(score))))
        }
        // Each entry mixes "<ms>.<seq>", then its fields and values in order.
        Value::Stream(s) => {
            let mut t = itoa::Buffer::new();
            for e in s.range(
                crate::stream::StreamId::MIN,
                crate::stream::StreamId::MAX,
                false,
            ) {
                let mut itemid = Vec::with_capacity(41);
                itemid.extend_from_slice(t.format(e.id.ms).as_bytes());
                itemid.push(b'.');
                itemid.extend_from_slice(t.format(e.id.seq).as_bytes());
                mix_digest(d, &itemid);
                for (f, v) in e.fields() {
                    mix_digest(d, f.as_bytes(&mut t));
                    mix_digest(d, v.as_bytes(&mut t));
                }
            }
        }
        _ => {}
    }
}

/// DEBUG OBJECT's quicklist fields (empty for other encodings).
fn quicklist_extra(v: &Value) -> String {
    match v {
        Value::List(ql) => ql.debug_info().to_string(),
        _ => String::new(),
    }
}

/// The listpack of a value in the `listpack` encoding.
fn listpack_of(v: &Value) -> Option<&crate::listpack::Listpack> {
    match v {
        Value::Hash(crate::t_hash::HashObj::Listpack(lp))
        | Value::ZSet(crate::t_zset::ZSetObj::Listpack(lp)) => Some(lp),
        _ => None,
    }
}

/// A readable dump of a listpack (what DEBUG LISTPACK prints, in the
/// spirit of Redis's `lpRepr`): the totals, then one line per entry with
/// its index, byte offset, encoded size and value.
pub fn listpack_repr(lp: &crate::listpack::Listpack) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{{total bytes {}}} {{num entries {}}}",
        lp.bytes(),
        lp.len()
    );
    let mut p = lp.first();
    let mut index = 0;
    while let Some(pos) = p {
        let next = lp.next(pos);
        // The terminator byte closes the last entry.
        let size = next.unwrap_or(lp.bytes() - 1) - pos;
        let val = match lp.get(pos) {
            crate::listpack::LpValue::Int(i) => format!("[int]{}", i),
            crate::listpack::LpValue::Str(s) => {
                format!("[str]{}", String::from_utf8_lossy(&s[..s.len().min(40)]))
            }
        };
        let _ = writeln!(
            out,
            "{{ index: {:2}, offset: {}, entry bytes: {}, {} }}",
            index, pos, size, val
        );
        index += 1;
        p = next;
    }
    out.push_str("{end}\n\n");
    out
}

/// A readable dump of a quicklist (what DEBUG QUICKLIST prints, in the
/// spirit of Redis's `quicklistRepr`): the list's totals, then one line per
/// node; with `full`, each packed node's listpack too.
pub fn quicklist_repr(ql: &crate::quicklist::Quicklist, full: bool) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{{count : {}}} {{len : {}}} {{fill : {}}} {{compress : {}}}",
        ql.len(),
        ql.node_count(),
        ql.fill(),
        ql.compress_depth()
    );
    let mut i = 0;
    ql.for_each_node(|n| {
        match n {
            crate::quicklist::QlNodeRef::Packed(bytes) => {
                let lp = crate::listpack::Listpack::from_bytes(bytes.to_vec());
                let _ = writeln!(
                    out,
                    "{{node {}}} {{container : PACKED}} {{count : {}}} {{sz : {}}}",
                    i,
                    lp.len(),
                    bytes.len()
                );
                if full {
                    out.push_str(&listpack_repr(&lp));
                }
            }
            crate::quicklist::QlNodeRef::Plain(v) => {
                let _ = writeln!(
                    out,
                    "{{node {}}} {{container : PLAIN}} {{count : 1}} {{sz : {}}}",
                    i,
                    v.len()
                );
            }
        }
        i += 1;
    });
    out
}

/// Prints a listpack-encoded value's listpack on stdout; false for other encodings.
fn print_listpack(v: &Value) -> bool {
    match listpack_of(v) {
        Some(lp) => {
            print!("{}", listpack_repr(lp));
            true
        }
        None => false,
    }
}

/// Sets the quicklist's plain-node threshold (Redis `quicklistisSetPackedThreshold`).
fn set_packed_threshold(sz: u64) -> bool {
    crate::quicklist::set_packed_threshold(sz)
}

/// DEBUG SDSLEN's line for a string value (Redis's field names): the key's
/// length and allocation as an sds string, the value's length, spare
/// capacity and allocation. `None` for values that are not `embstr`/`raw`
/// strings.
fn sdslen_line(key: &[u8], v: &Value) -> Option<String> {
    let (len, avail, zmalloc) = match v {
        Value::Emb(b) if b.len() > crate::object::EMBSTR_SIZE_LIMIT => {
            // A raw string as `sdsnewlen` makes it: its spare room is what
            // the allocation's size class leaves after header, bytes and
            // terminator.
            let n = b.len();
            let alloc = crate::util::sds_zmalloc_size(n);
            (n, alloc - crate::util::sds_hdr_size(n) - 1 - n, alloc)
        }
        Value::Inline(_) | Value::Emb(_) => {
            let mut t = itoa::Buffer::new();
            let n = v.as_bytes(&mut t).len();
            // An embstr shares one allocation with its object header
            // (16 bytes), with a 3-byte sds header and the terminator.
            (n, 0, crate::util::zmalloc_size(16 + 3 + n + 1) - 16)
        }
        Value::Raw(r) => {
            let cap = r.capacity().max(r.len());
            (r.len(), cap - r.len(), crate::util::sds_zmalloc_size(cap))
        }
        _ => return None,
    };
    Some(format!(
        "key_sds_len:{}, key_sds_avail:0, key_zmalloc: {}, val_sds_len:{}, val_sds_avail:{}, val_zmalloc: {}",
        key.len(),
        crate::util::sds_zmalloc_size(key.len()),
        len,
        avail,
        zmalloc
    ))
}

/// `strerror(code)` for a mallctl error reply.
fn mallctl_error(c: &mut Client, code: i32) {
    let text = std::io::Error::from_raw_os_error(code).to_string();
    // Rust appends " (os error N)" to the C text.
    let text = text.split(" (os error").next().unwrap_or(&text).to_string();
    c.add_reply_error(&format!("ERR {}", text));
}

/// A mallctl name as a C string; `None` (after an error reply) when it
/// holds a NUL byte.
fn mallctl_name(c: &mut Client, name: &[u8]) -> Option<std::ffi::CString> {
    match std::ffi::CString::new(name.to_vec()) {
        Ok(n) => Some(n),
        Err(_) => {
            mallctl_error(c, libc::ENOENT);
            None
        }
    }
}

/// DEBUG MALLCTL name [value] (Redis `mallctl_int`): reads (and with a
/// value, writes) an integer jemalloc setting, trying 8-, 4-, 2- and
/// 1-byte sizes in turn; a write-only setting is just written (OK).
/// Errors are `strerror` texts ("ERR No such file or directory", ...).
#[allow(unsafe_code)]
fn mallctl_int(c: &mut Client, args: &[bytes::Bytes]) {
    let mut val: i64 = 0;
    if args.len() > 1 {
        let Some(v) = crate::db::get_long_long_or_reply(c, &args[1], None) else {
            return;
        };
        val = v;
    }
    let Some(name) = mallctl_name(c, &args[0]) else {
        return;
    };
    let write = args.len() > 1;
    let mut old: i64 = 0;
    let mut sz = std::mem::size_of::<i64>();
    while sz > 0 {
        let newp = if write {
            &mut val as *mut i64 as *mut libc::c_void
        } else {
            std::ptr::null_mut()
        };
        let newlen = if write { sz } else { 0 };
        // SAFETY: `name` is NUL-terminated; `old` has room for 8 bytes and
        // `sz` never exceeds 8; `newp` is null or points at an i64 of which
        // `newlen` (at most 8) bytes are read. Little-endian: the low bytes
        // of both come first, as the smaller sizes expect.
        let ret = unsafe {
            tikv_jemalloc_sys::mallctl(
                name.as_ptr(),
                &mut old as *mut i64 as *mut libc::c_void,
                &mut sz,
                newp,
                newlen,
            )
        };
        if ret == 0 {
            c.add_reply_long_long(old);
            return;
        }
        if ret == libc::EPERM && write {
            // SAFETY: as above, without reading the old value.
            let wret = unsafe {
                tikv_jemalloc_sys::mallctl(
                    name.as_ptr(),
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    &mut val as *mut i64 as *mut libc::c_void,
                    sz,
                )
            };
            if wret == 0 {
                c.add_reply_ok();
                return;
            }
            if wret != libc::EINVAL {
                mallctl_error(c, wret);
                return;
            }
            sz /= 2;
            continue;
        }
        if ret == libc::EINVAL {
            sz /= 2;
            continue;
        }
        mallctl_error(c, ret);
        return;
    }
    mallctl_error(c, libc::EINVAL);
}

/// DEBUG MALLCTL-STR name [value] (Redis `mallctl_string`): reads a string
/// jemalloc setting and replies it (after writing `value`, `VOID` meaning
/// no value, when given); a write-only setting replies OK once written.
#[allow(unsafe_code)]
fn mallctl_string(c: &mut Client, args: &[bytes::Bytes]) {
    let Some(name) = mallctl_name(c, &args[0]) else {
        return;
    };
    let mut old: *const libc::c_char = std::ptr::null();
    let mut sz = std::mem::size_of::<*const libc::c_char>();
    // SAFETY: `name` is NUL-terminated and `old` has room for one pointer.
    let rret = unsafe {
        tikv_jemalloc_sys::mallctl(
            name.as_ptr(),
            &mut old as *mut *const libc::c_char as *mut libc::c_void,
            &mut sz,
            std::ptr::null_mut(),
            0,
        )
    };
    if rret != 0 && !(rret == libc::EPERM && args.len() > 1) {
        mallctl_error(c, rret);
        return;
    }
    // The old value is copied before a write can change what it points at.
    let old_text: Option<Vec<u8>> = if rret == 0 && !old.is_null() {
        // SAFETY: jemalloc returned a pointer to a NUL-terminated string
        // for a string setting; a non-string setting of pointer size is
        // the caller's risk, as in Redis (DEBUG is for tests).
        Some(unsafe { std::ffi::CStr::from_ptr(old) }.to_bytes().to_vec())
    } else {
        None
    };
    let mut wret = 0;
    if args.len() > 1 {
        let Ok(val) = std::ffi::CString::new(args[1].to_vec()) else {
            mallctl_error(c, libc::EINVAL);
            return;
        };
        let mut ptr = val.as_ptr();
        let (newp, newlen) = if &args[1][..] == b"VOID" {
            (std::ptr::null_mut(), 0)
        } else {
            (
                &mut ptr as *mut *const libc::c_char as *mut libc::c_void,
                std::mem::size_of::<*const libc::c_char>(),
            )
        };
        // SAFETY: `name` is NUL-terminated; `newp` is null or points at a
        // pointer to `val`, which outlives the call.
        wret = unsafe {
            tikv_jemalloc_sys::mallctl(
                name.as_ptr(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                newp,
                newlen,
            )
        };
    }
    if rret == 0 {
        c.add_reply_bulk(old_text.as_deref().unwrap_or(b""));
    } else if wret != 0 {
        mallctl_error(c, wret);
    } else {
        c.add_reply_ok();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Digests computed by redis-server 7.0.15 (`SET s 1`, then DEBUG
    /// DIGEST-VALUE s and DEBUG DIGEST).
    #[test]
    fn string_digest_matches_redis() {
        let mut d = [0u8; 20];
        xor_object_digest(&mut d, &Value::Int(1), false);
        assert_eq!(digest_hex(&d), "b4fc66738120fba0b5aa500ab5c2bf89cea1c5da");
        let mut fin = [0u8; 20];
        mix_digest(&mut fin, &0u32.to_be_bytes());
        let mut kd = [0u8; 20];
        mix_digest(&mut kd, b"s");
        xor_object_digest(&mut kd, &Value::from_bytes(b"1"), false);
        xor_digest(&mut fin, &kd);
        assert_eq!(digest_hex(&fin), "8517bf97a37aa7dfb8ac8d517f9a163684842122");
    }

    fn hex_of(v: &Value, has_expire: bool) -> String {
        let mut d = [0u8; 20];
        xor_object_digest(&mut d, v, has_expire);
        digest_hex(&d)
    }

    /// DEBUG DIGEST-VALUE of collections, as redis-server 7.0.15 prints
    /// them for: RPUSH l a b 1 -2; SADD s a 1 x; SADD si 1 2 3;
    /// HSET h f v n 12 (and for a string with a TTL).
    #[test]
    fn collection_digests_match_redis() {
        let mut ql = crate::quicklist::Quicklist::new(-2, 0);
        for e in [&b"a"[..], b"b", b"1", b"-2"] {
            ql.push_tail(e);
        }
        let l = Value::List(Box::new(ql));
        assert_eq!(
            hex_of(&l, false),
            "a2a32ee18ddd85c1c366e8bf264f1e5b7ce9ffc0"
        );

        // Both set encodings give the same digest.
        for mut s in [
            crate::t_set::SetObj::new_intset(),
            crate::t_set::SetObj::new_table(),
        ] {
            for m in [&b"a"[..], b"1", b"x"] {
                s.add(m, 512);
            }
            let v = Value::Set(s);
            assert_eq!(
                hex_of(&v, false),
                "10d2996b383abbba1ecbb55fd95f2377d11c8687"
            );
        }
        let mut si = crate::t_set::SetObj::new_intset();
        for m in [&b"3"[..], b"1", b"2"] {
            si.add(m, 512);
        }
        assert_eq!(
            hex_of(&Value::Set(si), false),
            "2a462a3f51a1db89738ebbeef0c47ce1bbc85246"
        );

        // Both hash encodings too.
        for max_entries in [128, 0] {
            let mut h = crate::t_hash::HashObj::new_listpack();
            h.hash_type_set(b"f", b"v", max_entries, 64);
            h.hash_type_set(b"n", b"12", max_entries, 64);
            let v = Value::Hash(h);
            assert_eq!(
                hex_of(&v, false),
                "76d7ce7d8cb69c65ddb54b94589fa9396351461b"
            );
        }

        assert_eq!(
            hex_of(&Value::from_bytes(b"v"), true),
            "311b17018163335616e089f6b951c82c477335ac"
        );
    }

    /// ZADD z 1.5 m 2 n -inf o, then DEBUG DIGEST-VALUE z on redis-server
    /// 7.0.15; both encodings.
    #[test]
    fn zset_digest_matches_redis() {
        for entries in [128, 0] {
            let limits = crate::t_zset::ZsetLimits {
                max_listpack_entries: entries,
                max_listpack_value: 64,
            };
            let mut z = crate::t_zset::ZSetObj::new_listpack();
            for (score, m) in [(1.5, &b"m"[..]), (2.0, b"n"), (f64::NEG_INFINITY, b"o")] {
                z.zset_add(score, m, 0, &limits);
            }
            let v = Value::ZSet(z);
            assert_eq!(
                hex_of(&v, false),
                "924162bf979d71dbdfb87c9068f9fea6c2caea32"
            );
        }
    }
}
