//! RDB snapshots (Redis `rdb.c`): saving the keyspace to a file Redis 7.0
//! loads, and loading files Redis wrote.
//!
//! # The file
//! An RDB file is a header, a stream of opcodes and key/value records, an
//! EOF opcode and a checksum:
//!
//! ```text
//! "REDIS" + 4 ASCII digits of the version ("0010")
//! AUX       0xFA <string key> <string value>      redis-ver, redis-bits, ctime, used-mem, aof-base
//! MODULE_AUX 0xF7, FUNCTION2 0xF5, FUNCTION 0xF6  module data, function libraries
//! SELECTDB  0xFE <length db index>                following records belong to this db
//! RESIZEDB  0xFB <length keys> <length expires>   size hints for the db's two hash tables
//! EXPIRETIME_MS 0xFC <i64 LE unix ms>             expiry of the next key
//! EXPIRETIME    0xFD <i32 LE unix seconds>        the same, in seconds (old files)
//! IDLE      0xF8 <length seconds>                 LRU idle time of the next key
//! FREQ      0xF9 <u8>                             LFU counter of the next key
//! <type u8> <string key> <value>                  a key; type 0 is a string
//! EOF       0xFF
//! <u64 LE CRC-64 of every byte before it>         versions >= 5; 0 means "not computed"
//! ```
//!
//! **Lengths** take 1, 2, 5 or 9 bytes: the top two bits of the first byte
//! say which (`00` six bits, `01` fourteen bits big-endian, `10 000000` a
//! 32-bit and `10 000001` a 64-bit big-endian length). The prefix `11`
//! marks a *special encoding* instead of a length, used by strings.
//!
//! **Strings** are a length and the bytes, or one of the special encodings:
//! a signed 8, 16 or 32-bit little-endian integer (the string is its decimal
//! text), or LZF: compressed length, uncompressed length, compressed bytes
//! (see [`crate::lzf`]). As Redis does when saving, a string of at most 11
//! bytes that is the canonical decimal form of an integer fitting 32 bits is
//! stored as an integer; a longer string (over 20 bytes) is compressed when
//! `rdbcompression` is on and compression saves at least 4 bytes. Keys go
//! through the same rules.
//!
//! # Saving
//! [`rdb_save`] writes version 10 (what Redis 7.0 writes), each value in
//! the record type Redis 7.0 uses for its encoding (see
//! `rdb/collections.rs`), to
//! `temp-<pid>.rdb` next to the target, fsyncs it, renames it over the
//! target and fsyncs the directory, so a crash leaves either the old or the
//! new snapshot, never half of one. Empty databases are skipped. Keys whose
//! expiry already passed are still written (the loader drops them), as
//! Redis does. The checksum is the CRC-64 "Jones" variant Redis uses
//! (`crc64` crate, initial value 0); with `rdbchecksum no` it is written as
//! zero.
//!
//! # Background saving
//! [`rdb_save_background`] (BGSAVE, save points, BGSAVE SCHEDULE) forks
//! through `childinfo::redis_fork`. The child sees a copy-on-write image of
//! the keyspace, writes `temp-<its pid>.rdb` exactly as SAVE does, and
//! reports progress (keys written, copy-on-write bytes) through the info
//! pipe at most once a second, then its final copy-on-write size; it leaves
//! with `_exit` (0 success, 1 failure). The parent keeps serving; its cron
//! reaps the child and calls [`background_save_done_handler`], which keeps
//! in `dirty` only the writes made since the fork, updates `lastsave`, the
//! last status and timings, and removes the temp file of a killed child.
//! While the last background save failed and `stop-writes-on-bgsave-error`
//! is on (with save points configured), writes and PING get the MISCONF
//! error ([`BGSAVE_ERR`], checked in `server::process_command`). Save points
//! ([`check_save_points`]) and scheduled saves ([`run_scheduled_bgsave`])
//! wait [`CONFIG_BGSAVE_RETRY_DELAY`] seconds after a failure.
//! `rdb-key-save-delay` sleeps after every key ([`debug_delay`]), as
//! Redis's tests use it to make a save slow.
//!
//! A BGSAVE may also serve replicas: `replication::fullsync` starts it for
//! a disk full sync (and removes the file afterwards under
//! `rdb-del-sync-files`), or forks its own child that writes the RDB into
//! a pipe for a diskless one; [`background_save_done_handler`] tells the
//! two apart by `srv.repl.fullsync.rdb_child_type`. Every RDB of a master
//! with a replication backlog, or of a replica, carries the
//! `repl-stream-db`, `repl-id` and `repl-offset` aux fields
//! ([`rdb_populate_save_info`]), so a replica restarted from it can PSYNC;
//! an AOF base carries none.
//!
//! # The loading state
//! [`start_loading`] / [`stop_loading`] (Redis `startLoading` /
//! `stopLoading`) bracket a load; the AOF loader uses the same pair. While
//! `srv.loading` is set, `process_command` answers "-LOADING Redis is
//! loading the dataset in memory" to commands without the `loading` flag,
//! nothing is propagated, and INFO shows `loading:1` and the `loading_*`
//! progress fields. [`rdb_load`] serves clients every
//! `loading-process-events-interval-bytes` (2 MB) of file read, through
//! `server::process_events_while_blocked`; the databases being filled are
//! moved out of the server meanwhile so that those commands can borrow it.
//!
//! # Loading
//! [`rdb_load`] accepts versions 1 to 11: strings, every list, hash, set
//! and sorted set form Redis 7.0 loads (and 7.2's listpack sets), converted
//! to Redis 7.0's encodings with the server's `*-max-*` limits (see
//! `rdb/collections.rs`). It reads from a buffered file, never holding the
//! whole file in memory, and treats the input as untrusted: every length is
//! checked against the bytes left in the file before anything is allocated
//! (a string cannot be longer than what remains; an LZF string cannot
//! expand more than 88×; RESIZEDB hints and collection counts are cut to
//! what the rest of the file could hold), every embedded blob (listpack,
//! ziplist, zipmap, intset) is validated entry by entry, duplicates inside
//! a collection are refused, and any malformed input becomes an
//! [`RdbLoadError`], never a panic. Empty collections are skipped and
//! counted ("empty keys skipped"), as Redis 7.0 does. Keys already expired
//! at load time are skipped and counted, as a Redis master does (kept when
//! the file is an AOF's base). Aux field names compare case-insensitively
//! and unknown ones are skipped, as the format requires. What this build
//! cannot represent fails the load with Redis's own message: module AUX
//! data and module values ("... no matching module ..."). Streams (types
//! 15, 19 and 21) are in `rdb/stream.rs`. Function libraries are parsed (a malformed `#!`
//! line fails the load as in Redis) and their payloads returned in
//! [`RdbLoadInfo::functions`]; the server-level loaders create them
//! (`function::functions_create_from_rdb`).
//!
//! # When a load fails
//! The log gets Redis's lines (`rdbReportError`): "Internal error in RDB
//! reading offset N, function at rdb.rs -> REASON" (N is the true byte
//! offset), preceded by "Short read or OOM loading DB. Unrecoverable error,
//! aborting now." for a truncated file or "Wrong RDB checksum expected:
//! (..) but got (..). Aborting now." for a bad checksum. Then, as Redis
//! runs `redis-check-rdb` on the file, [`rdb_check_file`] re-reads it and
//! its report ("[offset N] Checking RDB file ...", "--- RDB ERROR DETECTED
//! ---", "[additional info] While doing: read-object-value", ...) goes to
//! standard output. Nothing panics on any input.
//!
//! The parser works on `&mut [RedisDb]` ([`rdb_load_rio`]), so it needs no
//! server or event loop: the fuzz entry point [`rdb_load_fuzz`] uses it on
//! scratch databases.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

mod collections;
pub mod dump;
pub mod migrate;
mod stream;

pub use collections::EncodingLimits;

use crate::config::MaxmemoryPolicy;
use crate::db::RedisDb;
use crate::lzf;
use crate::networking::Client;
use crate::object::{EMBSTR_SIZE_LIMIT, RObj, Value};
use crate::server::{LRU_CLOCK_MAX, LRU_CLOCK_RESOLUTION, Server};

/// The RDB version written (Redis 7.0's `RDB_VERSION`).
pub const RDB_VERSION: u32 = 10;
/// The newest version loaded (Redis 7.2's format; strings are unchanged).
pub const RDB_MAX_LOAD_VERSION: u32 = 11;

// ---- Opcodes ----

/// Function library payload (Redis 7.0 functions).
pub const RDB_OPCODE_FUNCTION2: u8 = 245;
/// Function payload of the 7.0 release candidates.
pub const RDB_OPCODE_FUNCTION_PRE_GA: u8 = 246;
/// Module auxiliary data.
pub const RDB_OPCODE_MODULE_AUX: u8 = 247;
/// LRU idle time of the next key, seconds (a length).
pub const RDB_OPCODE_IDLE: u8 = 248;
/// LFU counter of the next key (one byte).
pub const RDB_OPCODE_FREQ: u8 = 249;
/// Auxiliary field: two strings.
pub const RDB_OPCODE_AUX: u8 = 250;
/// Hash table size hints: two lengths.
pub const RDB_OPCODE_RESIZEDB: u8 = 251;
/// Expire time of the next key, unix ms, 8 bytes LE.
pub const RDB_OPCODE_EXPIRETIME_MS: u8 = 252;
/// Expire time of the next key, unix seconds, 4 bytes LE.
pub const RDB_OPCODE_EXPIRETIME: u8 = 253;
/// Database switch: a length.
pub const RDB_OPCODE_SELECTDB: u8 = 254;
/// End of the records.
pub const RDB_OPCODE_EOF: u8 = 255;

/// Value type of a string key.
pub const RDB_TYPE_STRING: u8 = 0;
/// A list as a count and its elements (before Redis 3.2).
pub const RDB_TYPE_LIST: u8 = 1;
/// A set as a count and its members (the `hashtable` encoding).
pub const RDB_TYPE_SET: u8 = 2;
/// A sorted set with scores as decimal strings (before RDB 8).
pub const RDB_TYPE_ZSET: u8 = 3;
/// A hash as a count and field/value pairs (the `hashtable` encoding).
pub const RDB_TYPE_HASH: u8 = 4;
/// A sorted set with binary double scores (the `skiplist` encoding).
pub const RDB_TYPE_ZSET_2: u8 = 5;
/// A hash as a zipmap blob (Redis 2.4 and before).
pub const RDB_TYPE_HASH_ZIPMAP: u8 = 9;
/// A list as one ziplist blob (before Redis 3.2).
pub const RDB_TYPE_LIST_ZIPLIST: u8 = 10;
/// A set as an intset blob.
pub const RDB_TYPE_SET_INTSET: u8 = 11;
/// A sorted set as a ziplist blob (before Redis 7.0).
pub const RDB_TYPE_ZSET_ZIPLIST: u8 = 12;
/// A hash as a ziplist blob (before Redis 7.0).
pub const RDB_TYPE_HASH_ZIPLIST: u8 = 13;
/// A list as ziplist nodes (Redis 3.2 to 6.2).
pub const RDB_TYPE_LIST_QUICKLIST: u8 = 14;
/// A hash as a listpack blob.
pub const RDB_TYPE_HASH_LISTPACK: u8 = 16;
/// A sorted set as a listpack blob.
pub const RDB_TYPE_ZSET_LISTPACK: u8 = 17;
/// A list as listpack and plain nodes (Redis 7.0).
pub const RDB_TYPE_LIST_QUICKLIST_2: u8 = 18;
/// A set as a listpack blob (Redis 7.2, RDB 11).
pub const RDB_TYPE_SET_LISTPACK: u8 = 20;

// ---- Length and string encodings ----

const RDB_6BITLEN: u8 = 0;
const RDB_14BITLEN: u8 = 1;
const RDB_32BITLEN: u8 = 0x80;
const RDB_64BITLEN: u8 = 0x81;
const RDB_ENCVAL: u8 = 3;
const RDB_ENC_INT8: u64 = 0;
const RDB_ENC_INT16: u64 = 1;
const RDB_ENC_INT32: u64 = 2;
const RDB_ENC_LZF: u64 = 3;

/// Smallest record a key can take (type, 1-byte key length, 1-byte value
/// length): bounds RESIZEDB's key-count hint by the bytes left.
const MIN_KEY_RECORD: u64 = 3;
/// Smallest record of a key with an expiry (EXPIRETIME_MS adds 9 bytes).
const MIN_EXPIRE_RECORD: u64 = 12;

/// The name `redis-check-rdb` gives a value type, or `None` for a byte that
/// is not a value type.
pub fn rdb_type_name(t: u8) -> Option<&'static str> {
    Some(match t {
        0 => "string",
        1 => "list-linked",
        2 => "set-hashtable",
        3 => "zset-v1",
        4 => "hash-hashtable",
        5 => "zset-v2",
        6 => "module-pre-release",
        7 => "module-value",
        9 => "hash-zipmap",
        10 => "list-ziplist",
        11 => "set-intset",
        12 => "zset-ziplist",
        13 => "hash-ziplist",
        14 => "quicklist",
        15 => "stream",
        16 => "hash-listpack",
        17 => "zset-listpack",
        18 => "quicklist-v2",
        19 => "stream-v2",
        20 => "set-listpack",
        21 => "stream-v3",
        _ => return None,
    })
}

/// Which per-key access data the eviction policy keeps (and RDB carries).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessTracking {
    /// Neither IDLE nor FREQ is written; loaded ones are ignored.
    None,
    /// An LRU policy: IDLE records the seconds since last access.
    Lru,
    /// An LFU policy: FREQ records the logarithmic counter.
    Lfu,
}

impl AccessTracking {
    /// The tracking implied by `maxmemory-policy` (Redis `MAXMEMORY_FLAG_LRU/LFU`).
    pub fn from_policy(p: MaxmemoryPolicy) -> AccessTracking {
        match p {
            MaxmemoryPolicy::VolatileLru | MaxmemoryPolicy::AllkeysLru => AccessTracking::Lru,
            MaxmemoryPolicy::VolatileLfu | MaxmemoryPolicy::AllkeysLfu => AccessTracking::Lfu,
            _ => AccessTracking::None,
        }
    }
}

// ===========================================================================
// ---- Saving ----
// ===========================================================================

/// What a save needs besides the databases.
#[derive(Clone, Debug)]
pub struct RdbSaveOptions {
    /// `rdbcompression`: LZF for strings over 20 bytes.
    pub compression: bool,
    /// `rdbchecksum`: compute the CRC-64 (else 0 is written).
    pub checksum: bool,
    /// The `ctime` aux field, unix seconds.
    pub ctime: i64,
    /// The `used-mem` aux field, bytes.
    pub used_mem: u64,
    /// Whether IDLE or FREQ records precede keys.
    pub tracking: AccessTracking,
    /// The current LRU clock (for IDLE).
    pub lru_clock: u32,
    /// Now, unix ms (for the LFU decay behind FREQ).
    pub now_ms: i64,
    /// `lfu-decay-time`, minutes.
    pub lfu_decay_time: i64,
    /// The file is the base of an AOF (Redis `RDBFLAGS_AOF_PREAMBLE`): the
    /// `aof-base` aux field is 1 instead of 0.
    pub aof_base: bool,
    /// The code of every function library, each written as a FUNCTION2
    /// record after the aux fields (Redis `rdbSaveFunctions`).
    pub functions: Vec<Vec<u8>>,
    /// Replication info for the `repl-stream-db`, `repl-id` and
    /// `repl-offset` aux fields (Redis `rdbSaveInfo`, filled by
    /// [`rdb_populate_save_info`]); `None` writes none of them.
    pub repl: Option<RdbReplInfo>,
    /// Leave the keys out (a filtered RDB for `REPLCONF rdb-filter-only`,
    /// Redis `SLAVE_REQ_RDB_EXCLUDE_DATA`).
    pub exclude_data: bool,
    /// Leave the function libraries out (Redis
    /// `SLAVE_REQ_RDB_EXCLUDE_FUNCTIONS`).
    pub exclude_functions: bool,
}

/// The replication part of an RDB header (Redis `rdbSaveInfo`): the
/// database the replication stream has selected, and the replication ID
/// and offset the snapshot corresponds to. A replica restarted from this
/// file can PSYNC from that ID and offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RdbReplInfo {
    /// `repl-stream-db`: the db the stream's last SELECT chose (0 if none yet).
    pub stream_db: i64,
    /// `repl-id`: the current replication ID (`Server::replid`).
    pub replid: String,
    /// `repl-offset`: `master_repl_offset` when the snapshot was taken.
    pub offset: i64,
}

/// The replication info a snapshot taken now carries, if any (Redis
/// `rdbPopulateSaveInfo`):
/// - a master with a replication backlog: the stream's selected db (`slaveseldb`,
///   0 when no command was fed since the last full sync);
/// - a replica connected to its master: the master client's db;
/// - a replica that lost its master but keeps it cached for a partial
///   resync: the cached master's db;
/// - otherwise `None` (a master that is in no replication chain, or a
///   replica whose master link is down or whose master client is busy
///   running a command right now): the three aux fields are left out.
pub fn rdb_populate_save_info(srv: &Server) -> Option<RdbReplInfo> {
    let stream_db = if srv.repl.masterhost.is_none() {
        if !crate::replication::master::has_backlog(srv) {
            return None;
        }
        srv.repl.slaveseldb.max(0)
    } else if let Some(slot) = srv.repl.master_client {
        srv.clients_iter().find(|c| c.slot == slot)?.db as i64
    } else {
        // Disconnected: the cached master's db is still where the stream
        // stands, since only its data moves the offset.
        srv.repl.replica.cached_master.as_ref()?.db as i64
    };
    Some(RdbReplInfo {
        stream_db,
        replid: srv.replid.clone(),
        offset: srv.repl.master_repl_offset,
    })
}

impl RdbSaveOptions {
    /// Options from the server's config and clocks.
    pub fn from_server(srv: &Server) -> RdbSaveOptions {
        let now_ms = crate::util::mstime();
        RdbSaveOptions {
            compression: srv.config.rdbcompression,
            checksum: srv.config.rdbchecksum,
            ctime: now_ms / 1000,
            used_mem: crate::evict::zmalloc_used_memory(),
            tracking: AccessTracking::from_policy(srv.config.maxmemory_policy),
            lru_clock: srv.lru_clock(),
            now_ms,
            lfu_decay_time: srv.config.lfu_decay_time as i64,
            aof_base: false,
            functions: crate::function::functions_lib_codes(srv),
            repl: rdb_populate_save_info(srv),
            exclude_data: false,
            exclude_functions: false,
        }
    }
}

/// The reflected CRC-64 "Jones" polynomial Redis uses (`crc64.c`).
const CRC64_JONES_REFLECTED: u64 = 0x95ac_9329_ac4b_c9b5;

/// Slice-by-8 tables: `T[0]` is the byte-at-a-time table, `T[k][i]` the CRC
/// of byte `i` followed by `k` zero bytes.
static CRC64_TABLES: [[u64; 256]; 8] = crc64_tables();

const fn crc64_tables() -> [[u64; 256]; 8] {
    let mut t = [[0u64; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut b = 0;
        while b < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ CRC64_JONES_REFLECTED
            } else {
                crc >> 1
            };
            b += 1;
        }
        t[0][i] = crc;
        i += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            i += 1;
        }
        k += 1;
    }
    t
}

/// Continues the CRC-64 of an RDB file over `bytes` (Redis `crc64`:
/// Jones polynomial, reflected, initial value 0, no final xor), eight bytes
/// per step with slice-by-8 tables, as Redis's `crcspeed` does. Identical
/// to the `crc64` crate's result, several times faster on long inputs.
pub fn crc64_update(mut crc: u64, bytes: &[u8]) -> u64 {
    let t = &CRC64_TABLES;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let x = crc ^ u64::from_le_bytes(w);
        crc = t[7][(x & 0xff) as usize]
            ^ t[6][((x >> 8) & 0xff) as usize]
            ^ t[5][((x >> 16) & 0xff) as usize]
            ^ t[4][((x >> 24) & 0xff) as usize]
            ^ t[3][((x >> 32) & 0xff) as usize]
            ^ t[2][((x >> 40) & 0xff) as usize]
            ^ t[1][((x >> 48) & 0xff) as usize]
            ^ t[0][(x >> 56) as usize];
    }
    for &b in chunks.remainder() {
        crc = t[0][((crc ^ b as u64) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

/// A writer that keeps the running CRC-64 of what it wrote (Redis `rio`
/// with `rioGenericUpdateChecksum`).
struct RdbWriter<'a, W: Write> {
    w: &'a mut W,
    cksum: Option<u64>,
}

impl<W: Write> RdbWriter<'_, W> {
    fn write(&mut self, b: &[u8]) -> io::Result<()> {
        if let Some(c) = self.cksum.as_mut() {
            *c = crc64_update(*c, b);
        }
        self.w.write_all(b)
    }

    fn save_type(&mut self, t: u8) -> io::Result<()> {
        self.write(&[t])
    }

    /// A length in 1, 2, 5 or 9 bytes (Redis `rdbSaveLen`).
    fn save_len(&mut self, len: u64) -> io::Result<()> {
        if len < 1 << 6 {
            self.write(&[(RDB_6BITLEN << 6) | len as u8])
        } else if len < 1 << 14 {
            self.write(&[(RDB_14BITLEN << 6) | (len >> 8) as u8, len as u8])
        } else if len <= u32::MAX as u64 {
            let mut b = [RDB_32BITLEN, 0, 0, 0, 0];
            b[1..].copy_from_slice(&(len as u32).to_be_bytes());
            self.write(&b)
        } else {
            let mut b = [RDB_64BITLEN, 0, 0, 0, 0, 0, 0, 0, 0];
            b[1..].copy_from_slice(&len.to_be_bytes());
            self.write(&b)
        }
    }

    /// An expire time, unix ms, 8 bytes LE (Redis `rdbSaveMillisecondTime`).
    fn save_millisecond_time(&mut self, ms: i64) -> io::Result<()> {
        self.write(&ms.to_le_bytes())
    }

    /// A string: integer encoding when it is a short canonical integer, LZF
    /// when allowed and worth it, else length + bytes (Redis `rdbSaveRawString`).
    fn save_raw_string(&mut self, s: &[u8], compress: bool) -> io::Result<()> {
        // string2ll accepts only the canonical form, so the integer
        // round-trips to exactly these bytes (Redis `rdbTryIntegerEncoding`).
        if s.len() <= 11
            && let Some(v) = crate::util::string2ll(s)
            && let Some((enc, n)) = encode_integer(v)
        {
            return self.write(&enc[..n]);
        }
        if compress
            && s.len() > 20
            && let Some(c) = lzf::lzf_compress(s, s.len() - 4)
        {
            self.write(&[(RDB_ENCVAL << 6) | RDB_ENC_LZF as u8])?;
            self.save_len(c.len() as u64)?;
            self.save_len(s.len() as u64)?;
            return self.write(&c);
        }
        self.save_len(s.len() as u64)?;
        self.write(s)
    }

    /// An integer-valued string (Redis `rdbSaveLongLongAsStringObject`).
    fn save_long_long_as_string(&mut self, v: i64) -> io::Result<()> {
        if let Some((enc, n)) = encode_integer(v) {
            return self.write(&enc[..n]);
        }
        let mut t = itoa::Buffer::new();
        let s = t.format(v).as_bytes();
        self.save_len(s.len() as u64)?;
        self.write(s)
    }

    /// A string value in any of our encodings (Redis `rdbSaveStringObject`).
    fn save_string_value(&mut self, v: &Value, compress: bool) -> io::Result<()> {
        match v {
            Value::Int(i) | Value::IntOwned(i) => self.save_long_long_as_string(*i),
            _ => {
                let mut t = itoa::Buffer::new();
                self.save_raw_string(v.as_bytes(&mut t), compress)
            }
        }
    }

    /// An LZF blob compressed elsewhere (Redis `rdbSaveLzfBlob`): the LZF
    /// marker, compressed length, original length, compressed bytes.
    fn save_lzf_blob(&mut self, compressed: &[u8], original_len: usize) -> io::Result<()> {
        self.write(&[(RDB_ENCVAL << 6) | RDB_ENC_LZF as u8])?;
        self.save_len(compressed.len() as u64)?;
        self.save_len(original_len as u64)?;
        self.write(compressed)
    }

    /// A double as 8 little-endian IEEE 754 bytes (Redis
    /// `rdbSaveBinaryDoubleValue`, RDB 8 and later).
    fn save_binary_double(&mut self, v: f64) -> io::Result<()> {
        self.write(&v.to_le_bytes())
    }

    /// An AUX record (Redis `rdbSaveAuxField`).
    fn save_aux(&mut self, key: &str, val: &[u8]) -> io::Result<()> {
        self.save_type(RDB_OPCODE_AUX)?;
        self.save_raw_string(key.as_bytes(), false)?;
        self.save_raw_string(val, false)
    }
}

/// Bytes `v` takes as an RDB value (without type byte and key), with LZF
/// where `compress` allows it and it pays off (Redis `rdbSavedObjectLen`,
/// DEBUG OBJECT's `serializedlength`).
pub fn rdb_saved_value_len(v: &Value, compress: bool) -> usize {
    rdb_save_object_to_vec(v, compress).1.len()
}

/// The RDB type byte of `v` and its serialized value, as Redis's
/// `rdbSaveObjectType` + `rdbSaveObject` write them (the DUMP payload body).
pub fn rdb_save_object_to_vec(v: &Value, compress: bool) -> (u8, Vec<u8>) {
    let mut buf = Vec::new();
    let mut w = RdbWriter {
        w: &mut buf,
        cksum: None,
    };
    // Writing into a Vec cannot fail.
    let _ = w.save_object(v, compress);
    (collections::rdb_object_type(v), buf)
}

/// Parses one value of RDB type `t` from `payload` (what
/// [`rdb_save_object_to_vec`] makes: a DUMP payload without its version and
/// checksum footer), with the checks and conversions of a file load and
/// `limits` for the encodings. `Ok(None)` for an empty collection; bytes
/// left over after the value are [`RdbLoadError::Corrupt`].
pub fn rdb_load_object_from_slice(
    t: u8,
    payload: &[u8],
    limits: &EncodingLimits,
) -> Result<Option<Value>, RdbLoadError> {
    let mut rd = RdbReader::new(payload, payload.len() as u64, None);
    match rdb_type_name(t) {
        None => return Err(rd.corrupt(format!("Unknown RDB encoding type {}", t))),
        Some(name) if !collections::rdb_type_loadable(t) => {
            return Err(RdbLoadError::Unsupported {
                offset: 0,
                what: format!("RDB value type {} ({}) is not supported yet", t, name),
            });
        }
        Some(_) => {}
    }
    let v = rd.load_object(t, limits)?;
    if rd.remaining() != 0 {
        return Err(rd.corrupt("Trailing bytes after the value"));
    }
    Ok(v)
}

/// The integer encoding of `v`, if it fits 32 bits (Redis `rdbEncodeInteger`):
/// the bytes and how many of them are used.
fn encode_integer(v: i64) -> Option<([u8; 5], usize)> {
    let mut b = [0u8; 5];
    if (i8::MIN as i64..=i8::MAX as i64).contains(&v) {
        b[0] = (RDB_ENCVAL << 6) | RDB_ENC_INT8 as u8;
        b[1] = v as i8 as u8;
        Some((b, 2))
    } else if (i16::MIN as i64..=i16::MAX as i64).contains(&v) {
        b[0] = (RDB_ENCVAL << 6) | RDB_ENC_INT16 as u8;
        b[1..3].copy_from_slice(&(v as i16).to_le_bytes());
        Some((b, 3))
    } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
        b[0] = (RDB_ENCVAL << 6) | RDB_ENC_INT32 as u8;
        b[1..5].copy_from_slice(&(v as i32).to_le_bytes());
        Some((b, 5))
    } else {
        None
    }
}

/// Seconds to wait before retrying a background save that failed, for
/// save points and BGSAVE SCHEDULE (Redis `CONFIG_BGSAVE_RETRY_DELAY`).
pub const CONFIG_BGSAVE_RETRY_DELAY: i64 = 5;

/// Background-save state, persistence stats and the loading state (Redis's
/// `rdb_*`, `lastbgsave_*` and `loading_*` fields of `struct redisServer`).
#[derive(Debug)]
pub struct RdbState {
    /// A BGSAVE SCHEDULE is waiting for the current child to finish.
    pub bgsave_scheduled: bool,
    /// Whether the last background save (or SAVE) succeeded (INFO
    /// `rdb_last_bgsave_status`, and the MISCONF condition).
    pub lastbgsave_ok: bool,
    /// When the last background save was attempted, unix seconds.
    pub lastbgsave_try: i64,
    /// `srv.dirty` when the current child was forked; the changes made
    /// meanwhile stay counted after it succeeds.
    pub dirty_before_bgsave: i64,
    /// When the current background save started, unix seconds; -1 when none.
    pub save_time_start: i64,
    /// How long the last background save took, seconds; -1 when none yet.
    pub save_time_last: i64,
    /// Loading: when it started, unix seconds (INFO `loading_start_time`).
    pub loading_start_time: i64,
    /// Loading: bytes of the file being loaded (INFO `loading_total_bytes`).
    pub loading_total_bytes: u64,
    /// Loading: bytes read so far (INFO `loading_loaded_bytes`).
    pub loading_loaded_bytes: u64,
    /// Loading: the `used-mem` aux field of the file (INFO `loading_rdb_used_mem`).
    pub loading_rdb_used_mem: u64,
    /// Loading happens while the old dataset keeps serving (a replica's
    /// `repl-diskless-load swapdb` sync of the same history).
    pub async_loading: bool,
    /// The startup load of a master: the expired keys it skips are
    /// reported ([`RdbLoadOptions::collect_expired`]) so that their DELs
    /// can go to the replication backlog (Redis `RDBFLAGS_FEED_REPL`).
    pub load_feed_repl: bool,
}

impl Default for RdbState {
    fn default() -> RdbState {
        RdbState {
            bgsave_scheduled: false,
            lastbgsave_ok: true,
            lastbgsave_try: 0,
            dirty_before_bgsave: 0,
            save_time_start: -1,
            save_time_last: -1,
            loading_start_time: 0,
            loading_total_bytes: 0,
            loading_loaded_bytes: 0,
            loading_rdb_used_mem: 0,
            async_loading: false,
            load_feed_repl: false,
        }
    }
}

/// Starts a background save of every database to `filename` (Redis
/// `rdbSaveBackground`): forks; the child writes `temp-<childpid>.rdb`,
/// fsyncs and renames it (see [`rdb_save`]), reporting progress through
/// the info pipe every 1024 keys at most once a second, then its final
/// copy-on-write size, and exits 0 on success, 1 on failure.
///
/// The parent logs "Background saving started by pid %d", counts the save
/// in INFO `rdb_saves` and returns. Errors: a child already exists (`EEXIST`), or
/// fork failed (logged as "Can't save in background: fork: %s", and the
/// last bgsave status becomes err).
pub fn rdb_save_background(srv: &mut Server, filename: &str) -> io::Result<()> {
    if crate::childinfo::has_active_child_process(srv) {
        return Err(io::Error::from_raw_os_error(libc::EEXIST));
    }
    srv.stat_rdb_saves += 1;
    srv.rdb.dirty_before_bgsave = srv.dirty;
    srv.rdb.lastbgsave_try = crate::util::mstime() / 1000;
    // Everything the child needs is gathered before the fork.
    let opts = RdbSaveOptions::from_server(srv);
    let key_save_delay = srv.config.rdb_key_save_delay;
    let incremental_fsync = srv.config.rdb_save_incremental_fsync;
    match crate::childinfo::redis_fork(srv, crate::childinfo::ChildType::Rdb) {
        Ok(crate::childinfo::ForkOutcome::Child { mut info }) => {
            crate::log::set_role(b'C');
            close_listeners_in_child(srv);
            let ok = {
                let mut report = child_progress_reporter(&mut info);
                let mut progress = SaveProgress {
                    key_save_delay,
                    incremental_fsync,
                    on_key: Some(&mut report),
                };
                rdb_save_dbs_to_file_with_progress(&srv.dbs, &opts, filename, &mut progress).is_ok()
            };
            if ok {
                tracing::info!("DB saved on disk");
                crate::childinfo::send_child_info_generic(
                    &mut info,
                    crate::childinfo::ChildInfoType::RdbCowSize,
                    0,
                    "RDB",
                );
            }
            crate::childinfo::exit_from_child(if ok { 0 } else { 1 });
        }
        Ok(crate::childinfo::ForkOutcome::Parent(pid)) => {
            tracing::info!("Background saving started by pid {}", pid);
            srv.rdb.save_time_start = crate::util::mstime() / 1000;
            srv.repl.fullsync.rdb_child_type = crate::replication::fullsync::RdbChildType::Disk;
            Ok(())
        }
        Err(e) => {
            srv.rdb.lastbgsave_ok = false;
            tracing::warn!(
                "Can't save in background: fork: {}",
                crate::log::os_error_text(&e)
            );
            Err(e)
        }
    }
}

/// In a save child: the progress callback for [`SaveProgress::on_key`]
/// that reports the keys written so far through the info pipe, every 1024
/// keys and at most once a second (Redis `rdbSaveDb`'s progress report).
pub(crate) fn child_progress_reporter(info: &mut File) -> impl FnMut(u64) + '_ {
    let mut last_report = 0i64;
    move |keys: u64| {
        if keys & 1023 == 1 {
            let now = crate::util::mstime();
            if now - last_report >= 1000 {
                crate::childinfo::send_child_info_generic(
                    info,
                    crate::childinfo::ChildInfoType::CurrentInfo,
                    keys,
                    "RDB",
                );
                last_report = now;
            }
        }
    }
}

/// In a forked child: closes the inherited listening sockets (Redis
/// `closeChildUnusedResourceAfterFork` via `closeListeningSockets(0)`), so
/// the port is free as soon as the parent exits. Only the descriptors are
/// closed: deregistering them would change the epoll set the parent shares.
#[allow(unsafe_code)]
pub(crate) fn close_listeners_in_child(srv: &Server) {
    use std::os::fd::AsRawFd;
    let metrics_fds = srv.metrics.listener_fds();
    for fd in srv
        .listeners
        .iter()
        .map(|l| match l {
            crate::anet::Listener::Tcp(t) | crate::anet::Listener::Tls(t) => t.as_raw_fd(),
            crate::anet::Listener::Unix(u, _) => u.as_raw_fd(),
        })
        .chain(metrics_fds)
    {
        // SAFETY: closes this process's copy of a descriptor; the child never
        // uses the listener again and leaves with `_exit`, so nothing closes
        // it a second time.
        unsafe {
            libc::close(fd);
        }
    }
}

/// Removes the temp file of save process `pid` (Redis `rdbRemoveTempFile`).
pub fn rdb_remove_temp_file(pid: i32) {
    let _ = std::fs::remove_file(temp_rdb_name(pid as u32));
}

/// Sends SIGUSR1 to the RDB child, if one runs (Redis `killRDBChild`).
/// It does not wait: the cron reaps the child, and the done handler logs
/// "Background saving terminated by signal 10", removes its temp file and
/// leaves the last bgsave status as it was (SIGUSR1 is not an error).
#[allow(unsafe_code)]
pub fn kill_rdb_child(srv: &mut Server) {
    if srv.child.kind != crate::childinfo::ChildType::Rdb || srv.child.pid <= 0 {
        return;
    }
    // SAFETY: kill on our own child's pid, which has not been reaped yet.
    unsafe {
        libc::kill(srv.child.pid, libc::SIGUSR1);
    }
}

/// Called by the cron when the BGSAVE child ended (Redis
/// `backgroundSaveDoneHandler`): a diskless replication child (socket
/// target) is handed to `replication::fullsync`, which logs its own lines
/// and leaves the save status, `lastsave` and `dirty` alone; a save to disk
/// is handled as below. Either way the duration goes to INFO
/// `rdb_last_bgsave_time_sec`, and then the replicas waiting for this save
/// get the file, are put online, or are closed after a failure
/// (`fullsync::update_slaves_waiting_bgsave`).
///
/// A save to disk (Redis `backgroundSaveDoneHandlerDisk`). Success: logs "Background saving terminated with success", keeps only
/// the changes made since the fork in `srv.dirty`, sets `lastsave` to now
/// and the status to ok. Exit code ≠ 0: "Background saving error", status
/// err. Killed: "Background saving terminated by signal %d", its temp file
/// removed, status err unless the signal was SIGUSR1 (our own kill).
pub fn background_save_done_handler(
    srv: &mut Server,
    exit: crate::childinfo::ChildExit,
    mut cur: Option<&mut crate::networking::Client>,
) {
    use crate::replication::fullsync::{self, RdbChildType};
    let now = crate::util::mstime() / 1000;
    let kind = srv.repl.fullsync.rdb_child_type;
    if kind == RdbChildType::Socket {
        fullsync::background_save_done_handler_socket(srv, &exit, cur.as_deref_mut());
    } else {
        background_save_done_handler_disk(srv, &exit, now);
    }
    srv.repl.fullsync.rdb_child_type = RdbChildType::None;
    if srv.rdb.save_time_start >= 0 {
        srv.rdb.save_time_last = now - srv.rdb.save_time_start;
    }
    srv.rdb.save_time_start = -1;
    // Replicas waiting for this save get the file (or the failure).
    let ok = exit.bysignal == 0 && exit.exitcode == 0;
    fullsync::update_slaves_waiting_bgsave(srv, ok, kind, cur);
}

/// The end of a save to disk (Redis `backgroundSaveDoneHandlerDisk`); see
/// [`background_save_done_handler`].
fn background_save_done_handler_disk(
    srv: &mut Server,
    exit: &crate::childinfo::ChildExit,
    now: i64,
) {
    if exit.bysignal == 0 && exit.exitcode == 0 {
        tracing::info!("Background saving terminated with success");
        srv.dirty -= srv.rdb.dirty_before_bgsave;
        srv.lastsave = now;
        srv.rdb.lastbgsave_ok = true;
    } else if exit.bysignal == 0 {
        tracing::warn!("Background saving error");
        srv.rdb.lastbgsave_ok = false;
    } else {
        tracing::warn!("Background saving terminated by signal {}", exit.bysignal);
        let latency = crate::latency::latency_start_monitor(srv);
        rdb_remove_temp_file(exit.pid);
        let latency = crate::latency::latency_end_monitor(srv, latency);
        crate::latency::latency_add_sample_if_needed(srv, "rdb-unlink-temp-file", latency);
        if exit.bysignal != libc::SIGUSR1 {
            srv.rdb.lastbgsave_ok = false;
        }
    }
}

/// The save-point part of the cron (Redis `serverCron`): with no child
/// running, starts a background save when some `save <seconds> <changes>`
/// point is reached (at least `changes` writes and more than `seconds`
/// since the last save), unless the last one failed less than
/// [`CONFIG_BGSAVE_RETRY_DELAY`] seconds ago. Logs "%d changes in %d
/// seconds. Saving...".
pub fn check_save_points(srv: &mut Server) {
    if crate::childinfo::has_active_child_process(srv) {
        return;
    }
    let now = crate::util::mstime() / 1000;
    let retry_ok =
        now - srv.rdb.lastbgsave_try > CONFIG_BGSAVE_RETRY_DELAY || srv.rdb.lastbgsave_ok;
    if !retry_ok {
        return;
    }
    let hit = srv
        .config
        .save_params
        .iter()
        .find(|&&(seconds, changes)| srv.dirty >= changes && now - srv.lastsave > seconds)
        .copied();
    if let Some((seconds, changes)) = hit {
        tracing::info!("{} changes in {} seconds. Saving...", changes, seconds);
        let filename = srv.config.dbfilename.clone();
        let _ = rdb_save_background(srv, &filename);
    }
}

/// Starts a BGSAVE SCHEDULE'd earlier once no child runs (same retry rule
/// as save points; Redis `serverCron`).
pub fn run_scheduled_bgsave(srv: &mut Server) {
    if !srv.rdb.bgsave_scheduled || crate::childinfo::has_active_child_process(srv) {
        return;
    }
    let now = crate::util::mstime() / 1000;
    if now - srv.rdb.lastbgsave_try > CONFIG_BGSAVE_RETRY_DELAY || srv.rdb.lastbgsave_ok {
        let filename = srv.config.dbfilename.clone();
        if rdb_save_background(srv, &filename).is_ok() {
            srv.rdb.bgsave_scheduled = false;
        }
    }
}

/// The MISCONF condition (Redis `writeCommandsDeniedByDiskError`, RDB
/// part): `stop-writes-on-bgsave-error yes`, save points configured, and
/// the last background save failed.
pub fn writes_denied_by_rdb_error(srv: &Server) -> bool {
    srv.config.stop_writes_on_bgsave_error
        && !srv.config.save_params.is_empty()
        && !srv.rdb.lastbgsave_ok
}

/// The MISCONF error for a failed background save (Redis `shared.bgsaveerr`).
pub const BGSAVE_ERR: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// Writes a whole RDB file (header to checksum) for `dbs` into `w`
/// (Redis `rdbSaveRio`). Empty databases are skipped.
///
/// # Latency
/// O(keys + bytes); the caller blocks for the whole save (as SAVE does).
pub fn rdb_save_rio<W: Write>(w: &mut W, dbs: &[RedisDb], opts: &RdbSaveOptions) -> io::Result<()> {
    rdb_save_rio_with_progress(w, dbs, opts, &mut SaveProgress::default())
}

/// Per-key hooks of a save: the test delay and a progress callback.
#[derive(Default)]
pub struct SaveProgress<'a> {
    /// `rdb-key-save-delay`: sleep after each key, as [`debug_delay`] reads it.
    pub key_save_delay: i32,
    /// `rdb-save-incremental-fsync`: when saving to a file, have the kernel
    /// write it out every [`REDIS_AUTOSYNC_BYTES`] (see [`AutoSyncFile`]).
    pub incremental_fsync: bool,
    /// Called after every key with the number of keys written so far
    /// (Redis's `rdbSaveDb` key counter); a forked child reports progress
    /// to the parent from here.
    pub on_key: Option<&'a mut dyn FnMut(u64)>,
}

/// [`rdb_save_rio`] with per-key hooks (see [`SaveProgress`]).
pub fn rdb_save_rio_with_progress<W: Write>(
    w: &mut W,
    dbs: &[RedisDb],
    opts: &RdbSaveOptions,
    progress: &mut SaveProgress<'_>,
) -> io::Result<()> {
    let mut r = RdbWriter {
        w,
        cksum: if opts.checksum { Some(0) } else { None },
    };
    r.write(format!("REDIS{:04}", RDB_VERSION).as_bytes())?;
    r.save_aux("redis-ver", crate::server_cmds::REDIS_VERSION.as_bytes())?;
    r.save_aux("redis-bits", b"64")?;
    r.save_aux("ctime", opts.ctime.to_string().as_bytes())?;
    r.save_aux("used-mem", opts.used_mem.to_string().as_bytes())?;
    if let Some(repl) = &opts.repl {
        r.save_aux("repl-stream-db", repl.stream_db.to_string().as_bytes())?;
        r.save_aux("repl-id", repl.replid.as_bytes())?;
        r.save_aux("repl-offset", repl.offset.to_string().as_bytes())?;
    }
    r.save_aux("aof-base", if opts.aof_base { b"1" } else { b"0" })?;
    if !opts.exclude_functions {
        for code in &opts.functions {
            r.save_type(RDB_OPCODE_FUNCTION2)?;
            r.save_raw_string(code, opts.compression)?;
        }
    }
    let mut keys = 0u64;
    for db in dbs {
        if db.dict.is_empty() || opts.exclude_data {
            continue;
        }
        r.save_type(RDB_OPCODE_SELECTDB)?;
        r.save_len(db.id as u64)?;
        r.save_type(RDB_OPCODE_RESIZEDB)?;
        r.save_len(db.dict.len() as u64)?;
        r.save_len(db.expires.len() as u64)?;
        for (key, o) in db.dict.iter() {
            rdb_save_key_value_pair(&mut r, db, key, o, opts)?;
            if progress.key_save_delay != 0 {
                debug_delay(progress.key_save_delay);
            }
            keys += 1;
            if let Some(f) = progress.on_key.as_mut() {
                f(keys);
            }
        }
    }
    r.save_type(RDB_OPCODE_EOF)?;
    let cksum = r.cksum.unwrap_or(0);
    r.w.write_all(&cksum.to_le_bytes())
}

/// Sleeps `usec` microseconds (Redis `debugDelay`, behind
/// `rdb-key-save-delay` and `key-load-delay`). A negative value `-n` sleeps
/// 1 µs with probability 1/n instead, so very short average delays are
/// possible without a system call per key.
pub fn debug_delay(usec: i32) {
    let usec = if usec < 0 {
        let n = (usec as i64).unsigned_abs();
        let mut b = [0u8; 8];
        let _ = getrandom::fill(&mut b);
        if u64::from_le_bytes(b) % n == 0 { 1 } else { 0 }
    } else {
        usec as u64
    };
    if usec > 0 {
        std::thread::sleep(std::time::Duration::from_micros(usec));
    }
}

/// One key: optional EXPIRETIME_MS, IDLE / FREQ, then type, key and value
/// (Redis `rdbSaveKeyValuePair`).
fn rdb_save_key_value_pair<W: Write>(
    r: &mut RdbWriter<'_, W>,
    db: &RedisDb,
    key: &[u8],
    o: &RObj,
    opts: &RdbSaveOptions,
) -> io::Result<()> {
    if !db.expires.is_empty()
        && let Some(&when) = db.expires.get(key)
    {
        r.save_type(RDB_OPCODE_EXPIRETIME_MS)?;
        r.save_millisecond_time(when)?;
    }
    match opts.tracking {
        AccessTracking::Lru => {
            let idle_ms = crate::evict::estimate_idle_time_ms(opts.lru_clock, o.lru);
            r.save_type(RDB_OPCODE_IDLE)?;
            r.save_len((idle_ms / 1000).max(0) as u64)?;
        }
        AccessTracking::Lfu => {
            let freq = crate::evict::lfu_decr_and_return(o.lru, opts.now_ms, opts.lfu_decay_time);
            r.save_type(RDB_OPCODE_FREQ)?;
            r.write(&[freq.min(255) as u8])?;
        }
        AccessTracking::None => {}
    }
    r.save_type(collections::rdb_object_type(&o.v))?;
    r.save_raw_string(key, opts.compression)?;
    r.save_object(&o.v, opts.compression)
}

/// The current working directory for log messages ("unknown" if unreadable).
fn cwd_for_log() -> String {
    std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "unknown".to_string())
}

/// Saves every database to `filename` (Redis `rdbSave`): writes
/// `temp-<pid>.rdb` in the same directory as `filename` (the server's
/// working directory, `dir`, for a bare `dbfilename`), fsyncs it, renames it
/// to `filename` and fsyncs the directory. `rdb-key-save-delay` applies.
///
/// On success logs "DB saved on disk", sets `srv.dirty = 0`, `srv.lastsave`
/// to now (unix seconds) and the last bgsave status to ok, as Redis does.
/// On failure logs Redis's warning ("Failed opening the temp RDB file %s
/// (in server root dir %s) for saving: %s", "Write error saving DB on
/// disk(%s): %s" naming the failed step, or "Error moving temp DB file %s
/// on the final destination %s (in server root dir %s): %s"), removes the
/// temp file and returns the error. Does not count in INFO `rdb_saves`
/// (SAVE and BGSAVE count themselves).
///
/// # Latency
/// Blocks for the whole save: O(keys + bytes) plus two fsyncs.
pub fn rdb_save(srv: &mut Server, filename: &str) -> io::Result<()> {
    let opts = RdbSaveOptions::from_server(srv);
    let mut progress = SaveProgress {
        key_save_delay: srv.config.rdb_key_save_delay,
        incremental_fsync: srv.config.rdb_save_incremental_fsync,
        on_key: None,
    };
    rdb_save_dbs_to_file_with_progress(&srv.dbs, &opts, filename, &mut progress)?;
    tracing::info!("DB saved on disk");
    srv.dirty = 0;
    srv.lastsave = crate::util::mstime() / 1000;
    srv.rdb.lastbgsave_ok = true;
    Ok(())
}

/// The file part of [`rdb_save`]: temp file, fsync, rename, directory fsync,
/// with Redis's warnings on failure. Does not touch server state.
pub fn rdb_save_dbs_to_file(
    dbs: &[RedisDb],
    opts: &RdbSaveOptions,
    filename: &str,
) -> io::Result<()> {
    rdb_save_dbs_to_file_with_progress(dbs, opts, filename, &mut SaveProgress::default())
}

/// How often an incrementally synced save has the kernel write the file
/// out (Redis `REDIS_AUTOSYNC_BYTES`, 4 MB).
pub const REDIS_AUTOSYNC_BYTES: u64 = 4 * 1024 * 1024;

/// A file that, every `autosync` bytes written (0: never), starts the
/// kernel's write-out of the block just completed and waits for the block
/// before it (Redis `rioFileWrite` with `rioSetAutoSync`), so a big save
/// never leaves gigabytes of dirty pages for one final fsync to flush.
pub struct AutoSyncFile {
    /// The file being written (unbuffered; put a `BufWriter` in front).
    pub f: File,
    /// Bytes written so far.
    pub written: u64,
    /// The sync interval in bytes; 0 disables it.
    pub autosync: u64,
}

impl AutoSyncFile {
    #[allow(unsafe_code)]
    fn sync_block(&self) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        let fd = self.f.as_raw_fd();
        let block = self.autosync as i64;
        let end = self.written as i64;
        // SAFETY: sync_file_range on our own open descriptor with in-range
        // offsets; it reads no memory of ours.
        let rc =
            unsafe { libc::sync_file_range(fd, end - block, block, libc::SYNC_FILE_RANGE_WRITE) };
        if rc == -1 {
            return Err(io::Error::last_os_error());
        }
        if end >= 2 * block {
            // SAFETY: as above.
            let rc = unsafe {
                libc::sync_file_range(
                    fd,
                    end - 2 * block,
                    block,
                    libc::SYNC_FILE_RANGE_WAIT_BEFORE
                        | libc::SYNC_FILE_RANGE_WRITE
                        | libc::SYNC_FILE_RANGE_WAIT_AFTER,
                )
            };
            if rc == -1 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }
}

impl Write for AutoSyncFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = if self.autosync == 0 {
            self.f.write(buf)?
        } else {
            // Never cross a block boundary in one write.
            let room = (self.autosync - self.written % self.autosync) as usize;
            self.f.write(&buf[..buf.len().min(room)])?
        };
        let before = self.written;
        self.written += n as u64;
        if self.autosync > 0 && self.written / self.autosync > before / self.autosync {
            self.sync_block()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.f.flush()
    }
}

/// The name of the temp file a save by process `pid` writes (Redis
/// `rdbRemoveTempFile`'s "temp-%d.rdb"), relative to the working directory.
pub fn temp_rdb_name(pid: u32) -> String {
    format!("temp-{}.rdb", pid)
}

/// [`rdb_save_dbs_to_file`] with per-key hooks (see [`SaveProgress`]).
pub fn rdb_save_dbs_to_file_with_progress(
    dbs: &[RedisDb],
    opts: &RdbSaveOptions,
    filename: &str,
    progress: &mut SaveProgress<'_>,
) -> io::Result<()> {
    let target = Path::new(filename);
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmpname = temp_rdb_name(std::process::id());
    let tmp = if dir == Path::new(".") {
        PathBuf::from(&tmpname)
    } else {
        dir.join(&tmpname)
    };
    let file = match File::create(&tmp) {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(
                "Failed opening the temp RDB file {} (in server root dir {}) for saving: {}",
                tmp.display(),
                cwd_for_log(),
                crate::log::os_error_text(&e)
            );
            return Err(e);
        }
    };
    let written = (|| -> Result<(), (&'static str, io::Error)> {
        let file = AutoSyncFile {
            f: file,
            written: 0,
            autosync: if progress.incremental_fsync {
                REDIS_AUTOSYNC_BYTES
            } else {
                0
            },
        };
        let mut w = BufWriter::with_capacity(256 * 1024, file);
        rdb_save_rio_with_progress(&mut w, dbs, opts, progress).map_err(|e| ("rdbSaveRio", e))?;
        let f = w.into_inner().map_err(|e| ("fflush", e.into_error()))?;
        f.f.sync_all().map_err(|e| ("fsync", e))
    })();
    if let Err((op, e)) = written {
        tracing::warn!(
            "Write error saving DB on disk({}): {}",
            op,
            crate::log::os_error_text(&e)
        );
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    if let Err(e) = std::fs::rename(&tmp, target) {
        tracing::warn!(
            "Error moving temp DB file {} on the final destination {} (in server root dir {}): {}",
            tmp.display(),
            filename,
            cwd_for_log(),
            crate::log::os_error_text(&e)
        );
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    if let Err(e) = File::open(&dir).and_then(|d| d.sync_all()) {
        tracing::warn!(
            "Write error saving DB on disk(fsyncFileDir): {}",
            crate::log::os_error_text(&e)
        );
        return Err(e);
    }
    Ok(())
}

/// SAVE → `+OK` after a synchronous save to `dbfilename`; `-ERR` when the
/// save failed (the reason is in the log), as Redis replies. While a
/// BGSAVE child runs: "ERR Background save already in progress".
pub fn save_command(srv: &mut Server, c: &mut Client) {
    if srv.child.kind == crate::childinfo::ChildType::Rdb {
        c.add_reply_error("ERR Background save already in progress");
        return;
    }
    srv.stat_rdb_saves += 1;
    let filename = srv.config.dbfilename.clone();
    match rdb_save(srv, &filename) {
        Ok(()) => c.add_reply_ok(),
        Err(_) => c.add_reply_error("ERR"),
    }
}

/// BGSAVE [SCHEDULE] (Redis `bgsaveCommand`) → "+Background saving
/// started", or "+Background saving scheduled" when another child (an AOF
/// rewrite) runs and SCHEDULE was given, or when called inside
/// MULTI/EXEC. Errors: "ERR Background save already in progress",
/// "ERR Another child process is active (AOF?): can't BGSAVE right now.
/// Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
/// the syntax error for other arguments, and "-ERR" when fork failed.
pub fn bgsave_command(srv: &mut Server, c: &mut Client) {
    let mut schedule = false;
    if c.argv.len() > 1 {
        if c.argv.len() == 2 && c.argv[1].eq_ignore_ascii_case(b"schedule") {
            schedule = true;
        } else {
            c.add_reply_error(crate::shared::err_syntax());
            return;
        }
    }
    let in_exec = srv.in_exec;
    if srv.child.kind == crate::childinfo::ChildType::Rdb {
        c.add_reply_error("ERR Background save already in progress");
    } else if crate::childinfo::has_active_child_process(srv) || in_exec {
        if schedule || in_exec {
            srv.rdb.bgsave_scheduled = true;
            c.add_reply_status("Background saving scheduled");
        } else {
            c.add_reply_error("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
        }
    } else {
        let filename = srv.config.dbfilename.clone();
        match rdb_save_background(srv, &filename) {
            Ok(()) => c.add_reply_status("Background saving started"),
            Err(_) => c.add_reply_error("ERR"),
        }
    }
}

/// LASTSAVE → integer: unix time (seconds) of the last successful save
/// (server start when none).
pub fn lastsave_command(srv: &mut Server, c: &mut Client) {
    c.add_reply_long_long(srv.lastsave);
}

// ===========================================================================
// ---- Loading ----
// ===========================================================================

/// What a successful load found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RdbLoadInfo {
    /// The file's RDB version (1..=11).
    pub rdb_version: u32,
    /// Keys added to the databases.
    pub keys_loaded: u64,
    /// Keys skipped because their expire time had passed.
    pub keys_expired: u64,
    /// Empty collections skipped (files written by Redis versions with the
    /// bug that could save them).
    pub empty_keys_skipped: u64,
    /// The `redis-ver` aux field, if present.
    pub redis_ver: Option<String>,
    /// The `ctime` aux field (unix seconds), if present.
    pub ctime: Option<i64>,
    /// The `used-mem` aux field (bytes), if present.
    pub used_mem: Option<i64>,
    /// The payload of every function library record (FUNCTION2, or the
    /// pre-GA FUNCTION record turned into the same `#!engine name=...`
    /// form), in file order. The caller creates the libraries
    /// (`function::functions_create_from_rdb`), since the parser has no
    /// server.
    pub functions: Vec<Vec<u8>>,
    // ---- replica role: the replication aux fields (Redis `rdbSaveInfo`) ----
    /// `repl-stream-db`: the database the master's stream had selected.
    pub repl_stream_db: Option<i64>,
    /// `repl-id`, when it is 40 characters long (Redis `repl_id_is_set`).
    pub repl_id: Option<String>,
    /// `repl-offset`: the replication offset the data corresponds to.
    pub repl_offset: Option<i64>,
    /// `(db, key)` of the keys skipped as expired, when
    /// [`RdbLoadOptions::collect_expired`] asked for them.
    pub expired_keys: Vec<(usize, Vec<u8>)>,
}

/// Why a load failed. `Display` gives the reason as Redis words it.
#[derive(Debug)]
pub enum RdbLoadError {
    /// The file does not exist: start with empty databases (Redis `RDB_NOT_EXIST`).
    NotExist,
    /// Opening or reading the file failed.
    Io(io::Error),
    /// The data ended early (byte offset where more was needed).
    ShortRead { offset: u64 },
    /// The file does not start with "REDIS".
    WrongSignature,
    /// A version outside 1..=11.
    BadVersion(i64),
    /// The stored checksum (`got`) differs from the computed one (`expected`).
    ChecksumMismatch { expected: u64, got: u64 },
    /// SELECTDB names a database this server does not have.
    DbOutOfRange { id: u64, databases: usize },
    /// Malformed content at `offset`.
    Corrupt { offset: u64, reason: String },
    /// Content Redis reports as a read error rather than corruption
    /// (`rdbReportReadError`: an unknown value type, a bad module opcode):
    /// the file check that follows has the last word, so no "Terminating
    /// server" line.
    ReadError { offset: u64, reason: String },
    /// What the file check (`redis-check-rdb`) says of a byte that is no
    /// value type: "Invalid object type: %d", at the offset after it.
    InvalidObjectType { offset: u64, t: u8 },
    /// Well-formed content this build cannot load.
    Unsupported { offset: u64, what: String },
    /// A function library (FUNCTION2 / pre-GA FUNCTION opcode) that could
    /// not be read or created: `err` is what Redis's `rdbFunctionLoad`
    /// reports ("Failed loading library payload", "Missing library
    /// metadata", "Library 'x' already exists", ...).
    FunctionLoad { offset: u64, err: String },
    /// MODULE_AUX data: no module can load it (`name` is the module type's
    /// 9-character name from its id), or a bad `when` opcode (`name` empty).
    ModuleAux { offset: u64, name: String },
    /// A key present twice in one database.
    DuplicateKey { key: Vec<u8>, db: usize },
}

impl std::fmt::Display for RdbLoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RdbLoadError::NotExist => f.write_str("No such file or directory"),
            RdbLoadError::Io(e) => f.write_str(&crate::log::os_error_text(e)),
            RdbLoadError::ShortRead { .. } | RdbLoadError::FunctionLoad { .. } => {
                f.write_str("Unexpected EOF reading RDB file")
            }
            RdbLoadError::WrongSignature => {
                f.write_str("Wrong signature trying to load DB from file")
            }
            RdbLoadError::BadVersion(v) => write!(f, "Can't handle RDB format version {}", v),
            RdbLoadError::ChecksumMismatch { .. } => f.write_str("RDB CRC error"),
            RdbLoadError::DbOutOfRange { databases, .. } => write!(
                f,
                "FATAL: Data file was created with a Redis server configured to handle more than {} databases. Exiting",
                databases
            ),
            RdbLoadError::Corrupt { reason, .. } | RdbLoadError::ReadError { reason, .. } => {
                f.write_str(reason)
            }
            RdbLoadError::InvalidObjectType { t, .. } => write!(f, "Invalid object type: {}", t),
            RdbLoadError::Unsupported { what, .. } => f.write_str(what),
            RdbLoadError::ModuleAux { name, .. } if name.is_empty() => {
                f.write_str("bad when_opcode")
            }
            RdbLoadError::ModuleAux { name, .. } => write!(
                f,
                "The RDB file contains AUX module data I can't load: no matching module '{}'",
                name
            ),
            RdbLoadError::DuplicateKey { key, db } => write!(
                f,
                "RDB has duplicated key '{}' in DB {}",
                String::from_utf8_lossy(key),
                db
            ),
        }
    }
}

impl std::error::Error for RdbLoadError {}

impl RdbLoadError {
    /// The byte offset the failure was detected at, when it has one.
    pub fn offset(&self) -> Option<u64> {
        match self {
            RdbLoadError::ShortRead { offset }
            | RdbLoadError::Corrupt { offset, .. }
            | RdbLoadError::ReadError { offset, .. }
            | RdbLoadError::InvalidObjectType { offset, .. }
            | RdbLoadError::Unsupported { offset, .. }
            | RdbLoadError::FunctionLoad { offset, .. }
            | RdbLoadError::ModuleAux { offset, .. } => Some(*offset),
            _ => None,
        }
    }

    /// Whether Redis reports this failure through `rdbReportError` (the
    /// "Internal error in RDB reading offset ..." line, followed by a check
    /// of the file): read errors, corruption and the checksum.
    fn reported_with_check(&self) -> bool {
        matches!(
            self,
            RdbLoadError::ShortRead { .. }
                | RdbLoadError::ChecksumMismatch { .. }
                | RdbLoadError::Corrupt { .. }
                | RdbLoadError::ReadError { .. }
                | RdbLoadError::InvalidObjectType { .. }
                | RdbLoadError::Unsupported { .. }
                | RdbLoadError::FunctionLoad { .. }
                | RdbLoadError::ModuleAux { .. }
        ) && !matches!(self, RdbLoadError::ModuleAux { name, .. } if !name.is_empty())
    }

    /// The last line Redis logs before exiting when this failure happens
    /// while loading at startup: "Terminating server after rdb file reading
    /// failure." after corrupt content (`rdbReportCorruptRDB`), "Fatal error
    /// loading the DB: %s. Exiting." after a bad header or an I/O error;
    /// `None` when Redis logs nothing more: a short read or a checksum
    /// error (the file check exits first), a missing file, too many
    /// databases, module AUX data, a duplicated key.
    pub fn exit_message(&self) -> Option<String> {
        match self {
            RdbLoadError::Corrupt { .. } | RdbLoadError::Unsupported { .. } => {
                Some("Terminating server after rdb file reading failure.".to_string())
            }
            RdbLoadError::WrongSignature | RdbLoadError::BadVersion(_) => {
                Some("Fatal error loading the DB: Invalid argument. Exiting.".to_string())
            }
            RdbLoadError::Io(e) => Some(format!(
                "Fatal error loading the DB: {}. Exiting.",
                crate::log::os_error_text(e)
            )),
            _ => None,
        }
    }

    /// The "Internal error in RDB reading offset %llu, function at rdb.c:%d
    /// -> %s" line of Redis's `rdbReportError`, with `rdb.rs` for the
    /// source position (the offset is the true byte offset; Redis prints
    /// its coarse loading progress there).
    pub fn internal_error_line(&self) -> String {
        format!(
            "Internal error in RDB reading offset {}, function at rdb.rs -> {}",
            self.offset().unwrap_or(0),
            self
        )
    }

    /// Logs the warning lines Redis writes for this failure (nothing for
    /// [`RdbLoadError::NotExist`]).
    pub fn log(&self) {
        match self {
            RdbLoadError::NotExist => {}
            RdbLoadError::Io(e) => tracing::warn!(
                "Short read or OOM loading DB. Unrecoverable error, aborting now. ({})",
                crate::log::os_error_text(e)
            ),
            RdbLoadError::ShortRead { .. } => {
                tracing::warn!("Short read or OOM loading DB. Unrecoverable error, aborting now.");
                tracing::warn!("{}", self.internal_error_line());
            }
            RdbLoadError::FunctionLoad { err, .. } => {
                tracing::warn!("Failed loading library, {}", err);
                tracing::warn!("Short read or OOM loading DB. Unrecoverable error, aborting now.");
                tracing::warn!("{}", self.internal_error_line());
            }
            RdbLoadError::ModuleAux { name, .. } if name.is_empty() => {
                tracing::warn!("{}", self.internal_error_line());
            }
            RdbLoadError::ChecksumMismatch { expected, got } => {
                tracing::warn!(
                    "Wrong RDB checksum expected: ({:x}) but got ({:x}). Aborting now.",
                    expected,
                    got
                );
                tracing::warn!("{}", self.internal_error_line());
            }
            RdbLoadError::Corrupt { .. }
            | RdbLoadError::Unsupported { .. }
            | RdbLoadError::ReadError { .. }
            | RdbLoadError::InvalidObjectType { .. } => {
                tracing::warn!("{}", self.internal_error_line());
            }
            RdbLoadError::DuplicateKey { .. } => {
                tracing::warn!("{}", self);
                tracing::warn!("Guru Meditation: Duplicated key found in RDB file #rdb.rs");
            }
            RdbLoadError::WrongSignature
            | RdbLoadError::BadVersion(_)
            | RdbLoadError::DbOutOfRange { .. }
            | RdbLoadError::ModuleAux { .. } => tracing::warn!("{}", self),
        }
    }
}

/// What a load needs besides the bytes and the databases.
#[derive(Clone, Debug)]
pub struct RdbLoadOptions {
    /// Now, unix ms: keys expiring before it are skipped.
    pub now_ms: i64,
    /// `rdbchecksum`: verify a non-zero stored checksum.
    pub verify_checksum: bool,
    /// How IDLE / FREQ records are applied.
    pub tracking: AccessTracking,
    /// The LRU clock given to loaded keys (and the base for IDLE).
    pub lru_clock: u32,
    /// Encoding thresholds applied to loaded collections.
    pub limits: EncodingLimits,
    /// Loading the RDB preamble of an AOF (Redis `RDBFLAGS_AOF_PREAMBLE`),
    /// or loading on a replica: keys whose expire time has passed are
    /// kept, since the AOF tail that follows (or the master's DELs)
    /// assumes the keyspace exactly as it was.
    pub aof_preamble: bool,
    /// Report every key skipped as expired in [`RdbLoadInfo::expired_keys`]
    /// (a master's startup load, whose DELs feed the replication backlog).
    pub collect_expired: bool,
    /// `sanitize-dump-payload yes` (Redis's deep integrity validation for
    /// files). This loader validates every blob in depth whatever it says;
    /// it only decides which of Redis's log lines a corrupt blob produces.
    pub deep_sanitize: bool,
}

impl RdbLoadOptions {
    /// Options for loading into scratch databases without a server (fuzz
    /// entry points and tests): a fixed clock (1,700,000,000,000 ms),
    /// checksum verified, deep sanitization, default encoding limits, no
    /// LRU/LFU tracking.
    pub fn scratch() -> RdbLoadOptions {
        RdbLoadOptions {
            now_ms: 1_700_000_000_000,
            verify_checksum: true,
            tracking: AccessTracking::None,
            lru_clock: 0,
            limits: EncodingLimits::default(),
            aof_preamble: false,
            collect_expired: false,
            deep_sanitize: true,
        }
    }

    /// Options from the server's config and clocks.
    pub fn from_server(srv: &Server) -> RdbLoadOptions {
        RdbLoadOptions {
            now_ms: crate::util::mstime(),
            verify_checksum: srv.config.rdbchecksum && !srv.dump.skip_checksum_validation,
            tracking: AccessTracking::from_policy(srv.config.maxmemory_policy),
            lru_clock: srv.lru_clock(),
            limits: EncodingLimits::from_config(&srv.config),
            // A replica keeps keys that look expired, as Redis skips them
            // only when it is a master: its master's DELs remove them.
            aof_preamble: srv.repl.masterhost.is_some(),
            collect_expired: srv.rdb.load_feed_repl,
            deep_sanitize: srv.config.sanitize_dump_payload
                == crate::config::SanitizeDumpPayload::Yes,
        }
    }

    /// The `lru` field of a loaded key (Redis `createObject` then
    /// `objectSetLRUOrLFU` with the IDLE/FREQ just read, -1 when absent).
    fn lru_for(&self, lru_idle: i64, lfu_freq: i64) -> u32 {
        match self.tracking {
            AccessTracking::Lfu => {
                let counter = if lfu_freq >= 0 {
                    lfu_freq as u32
                } else {
                    crate::evict::LFU_INIT_VAL
                };
                (crate::evict::lfu_time_in_minutes(self.now_ms) << 8) | counter
            }
            AccessTracking::Lru if lru_idle >= 0 => {
                let ticks = lru_idle.saturating_mul(1000) / LRU_CLOCK_RESOLUTION;
                let abs = self.lru_clock as i64 - ticks;
                if abs >= 0 {
                    abs as u32
                } else {
                    // Wrap around the 24-bit clock; idle times beyond one
                    // full period clamp to the oldest value.
                    (LRU_CLOCK_MAX as i64 + abs).max(0) as u32
                }
            }
            _ => self.lru_clock,
        }
    }
}

/// What the loader was doing when it stopped, for the file check report
/// (the `rdbstate` of Redis's `redis-check-rdb`).
#[derive(Clone, Debug, Default)]
pub struct RdbCheckState {
    /// The step: "start", "read-type", "read-expire", "read-key",
    /// "read-object-value", "check-sum", "read-len", "read-aux",
    /// "read-module-aux" or "read-functions".
    pub doing: &'static str,
    /// The key whose value is being read.
    pub key: Option<Vec<u8>>,
    /// The value type being read.
    pub key_type: Option<u8>,
    /// Keys read so far.
    pub keys: u64,
    /// Of them, keys with an expire time.
    pub expires: u64,
    /// Of them, keys whose expire time had passed.
    pub already_expired: u64,
}

/// A reader that tracks its offset, the bytes left, and the running CRC-64.
struct RdbReader<R: Read> {
    r: R,
    pos: u64,
    size: u64,
    cksum: Option<u64>,
    /// Listpacks and intsets read, which Redis deep-checks only when
    /// `sanitize-dump-payload` asks (INFO `dump_payload_sanitizations`).
    sanitized: u64,
    /// Redis would deep-check blobs (see [`RdbLoadOptions::deep_sanitize`]).
    deep_sanitize: bool,
    /// Progress, for the check report.
    check: RdbCheckState,
    /// In check mode, the "[offset N] ..." info lines of the report.
    check_lines: Option<Vec<String>>,
}

impl<R: Read> RdbReader<R> {
    /// A reader of `size` bytes from `r`, keeping a CRC-64 from `cksum`
    /// (`None`: no checksum).
    fn new(r: R, size: u64, cksum: Option<u64>) -> Self {
        RdbReader {
            r,
            pos: 0,
            size,
            cksum,
            sanitized: 0,
            deep_sanitize: true,
            // redis-check-rdb starts with type 0, not "none", so an error
            // before the first key names "type 0 (string)".
            check: RdbCheckState {
                doing: "start",
                key_type: Some(0),
                ..RdbCheckState::default()
            },
            check_lines: None,
        }
    }

    /// Walks a module value without its module (Redis
    /// `rdbLoadCheckModuleValue`, used by the file check): opcodes 1 and 2
    /// are followed by an integer, 3 by a 4-byte float, 4 by an 8-byte
    /// double, 5 by a string, until opcode 0. Unknown opcodes are skipped,
    /// as Redis does; the end of the data is a short read.
    fn check_module_value(&mut self, name: &str) -> Result<(), RdbLoadError> {
        loop {
            let opcode = self.load_plain_len()?;
            let what = match opcode {
                0 => return Ok(()),
                1 | 2 => self.load_len().map(|_| ()).err().map(|e| (e, "integer")),
                3 => self.read(&mut [0u8; 4]).err().map(|e| (e, "float")),
                4 => self.read(&mut [0u8; 8]).err().map(|e| (e, "double")),
                5 => self.load_string_bytes().err().map(|e| (e, "string")),
                _ => None,
            };
            match what {
                None => {}
                // A short read is reported as the module value's; anything
                // the string or length reader found corrupt is its own.
                Some((RdbLoadError::ShortRead { .. }, what)) => {
                    return Err(
                        self.corrupt(format!("Error reading {} from module {} value", what, name))
                    );
                }
                Some((e, _)) => return Err(e),
            }
        }
    }

    /// Adds an info line to the check report (Redis `rdbCheckInfo`).
    fn check_info(&mut self, msg: String) {
        let pos = self.pos;
        if let Some(lines) = self.check_lines.as_mut() {
            lines.push(format!("[offset {}] {}", pos, msg));
        }
    }

    fn remaining(&self) -> u64 {
        self.size.saturating_sub(self.pos)
    }

    fn corrupt(&self, reason: impl Into<String>) -> RdbLoadError {
        RdbLoadError::Corrupt {
            offset: self.pos,
            reason: reason.into(),
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<(), RdbLoadError> {
        if buf.len() as u64 > self.remaining() {
            return Err(RdbLoadError::ShortRead { offset: self.pos });
        }
        match self.r.read_exact(buf) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Err(RdbLoadError::ShortRead { offset: self.pos });
            }
            Err(e) => return Err(RdbLoadError::Io(e)),
        }
        self.pos += buf.len() as u64;
        if let Some(c) = self.cksum.as_mut() {
            *c = crc64_update(*c, buf);
        }
        Ok(())
    }

    /// Reads `len` bytes into a new vector, refusing lengths beyond what the
    /// file still holds before allocating.
    fn read_vec(&mut self, len: u64) -> Result<Vec<u8>, RdbLoadError> {
        if len > self.remaining() {
            return Err(RdbLoadError::ShortRead { offset: self.pos });
        }
        let mut v = vec![0u8; len as usize];
        self.read(&mut v)?;
        Ok(v)
    }

    fn read_u8(&mut self) -> Result<u8, RdbLoadError> {
        let mut b = [0u8; 1];
        self.read(&mut b)?;
        Ok(b[0])
    }

    /// A length or a special-encoding marker: `(value, is_encoded)`
    /// (Redis `rdbLoadLenByRef`).
    fn load_len(&mut self) -> Result<(u64, bool), RdbLoadError> {
        let first = self.read_u8()?;
        match first >> 6 {
            RDB_6BITLEN => Ok(((first & 0x3f) as u64, false)),
            RDB_14BITLEN => {
                let second = self.read_u8()?;
                Ok(((((first & 0x3f) as u64) << 8) | second as u64, false))
            }
            RDB_ENCVAL => Ok(((first & 0x3f) as u64, true)),
            _ => match first {
                RDB_32BITLEN => {
                    let mut b = [0u8; 4];
                    self.read(&mut b)?;
                    Ok((u32::from_be_bytes(b) as u64, false))
                }
                RDB_64BITLEN => {
                    let mut b = [0u8; 8];
                    self.read(&mut b)?;
                    Ok((u64::from_be_bytes(b), false))
                }
                _ => {
                    // Redis names the two-bit prefix (always 2 here).
                    Err(self.corrupt(format!(
                        "Unknown length encoding {} in rdbLoadLen()",
                        first >> 6
                    )))
                }
            },
        }
    }

    /// A plain length; a special-encoding marker here is corruption.
    fn load_plain_len(&mut self) -> Result<u64, RdbLoadError> {
        let (len, encoded) = self.load_len()?;
        if encoded {
            return Err(self.corrupt("Unexpected encoded length"));
        }
        Ok(len)
    }

    /// The integer of an INT8/16/32 string encoding.
    fn load_integer(&mut self, enc: u64) -> Result<i64, RdbLoadError> {
        Ok(match enc {
            RDB_ENC_INT8 => self.read_u8()? as i8 as i64,
            RDB_ENC_INT16 => {
                let mut b = [0u8; 2];
                self.read(&mut b)?;
                i16::from_le_bytes(b) as i64
            }
            _ => {
                let mut b = [0u8; 4];
                self.read(&mut b)?;
                i32::from_le_bytes(b) as i64
            }
        })
    }

    /// The bytes of an LZF string (after its marker): compressed length,
    /// uncompressed length, data (Redis `rdbLoadLzfStringObject`).
    fn load_lzf(&mut self) -> Result<Vec<u8>, RdbLoadError> {
        let clen = self.load_plain_len()?;
        let len = self.load_plain_len()?;
        if clen > self.remaining() {
            return Err(RdbLoadError::ShortRead { offset: self.pos });
        }
        if len > clen.saturating_mul(lzf::MAX_EXPANSION as u64) || len > isize::MAX as u64 {
            return Err(self.corrupt("Invalid LZF compressed string"));
        }
        let c = self.read_vec(clen)?;
        if len == 0 {
            // Redis accepts whatever the compressed bytes are when the
            // announced length is 0 (liblzf's 0 for "no room" equals it).
            return Ok(Vec::new());
        }
        lzf::lzf_decompress(&c, len as usize)
            .map_err(|_| self.corrupt("Invalid LZF compressed string"))
    }

    /// A string as bytes, integers formatted as decimal text (Redis
    /// `rdbGenericLoadStringObject` with plain output).
    fn load_string_bytes(&mut self) -> Result<Vec<u8>, RdbLoadError> {
        let (len, encoded) = self.load_len()?;
        if !encoded {
            return self.read_vec(len);
        }
        match len {
            RDB_ENC_INT8 | RDB_ENC_INT16 | RDB_ENC_INT32 => {
                let v = self.load_integer(len)?;
                let mut t = itoa::Buffer::new();
                Ok(t.format(v).as_bytes().to_vec())
            }
            RDB_ENC_LZF => self.load_lzf(),
            _ => Err(self.corrupt(format!("Unknown RDB string encoding type {}", len))),
        }
    }

    /// A string value with Redis's in-memory encoding rules: integers stay
    /// `int`, other strings get `tryObjectEncoding`'s choice.
    fn load_string_value(&mut self) -> Result<Value, RdbLoadError> {
        let (len, encoded) = self.load_len()?;
        let bytes = if encoded {
            match len {
                RDB_ENC_INT8 | RDB_ENC_INT16 | RDB_ENC_INT32 => {
                    return Ok(Value::Int(self.load_integer(len)?));
                }
                RDB_ENC_LZF => self.load_lzf()?,
                _ => {
                    return Err(self.corrupt(format!("Unknown RDB string encoding type {}", len)));
                }
            }
        } else {
            self.read_vec(len)?
        };
        Ok(if bytes.len() <= EMBSTR_SIZE_LIMIT {
            Value::from_arg_encoded(&bytes)
        } else {
            Value::from_vec(bytes)
        })
    }
}

/// Parses the leading integer of an aux value the way `strtol` does
/// (optional sign, digits; 0 when none).
fn parse_aux_int(s: &[u8]) -> i64 {
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_whitespace() {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut v: i64 = 0;
    while let Some(d) = s.get(i).filter(|d| d.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add((d - b'0') as i64);
        i += 1;
    }
    if neg { -v } else { v }
}

/// Loads an RDB stream of `size` bytes from `r` into `dbs` (Redis
/// `rdbLoadRio`). Logs, as Redis does, "Loading RDB produced by version %s",
/// "RDB age %ld seconds" and "RDB memory usage when created %.2f Mb" when
/// the aux fields are read. Keys are added to what `dbs` already hold; a key
/// present twice is an error. On error the databases keep what was loaded
/// before it.
///
/// # Latency
/// O(file size). Allocation is bounded by a small multiple of `size`.
pub fn rdb_load_rio<R: Read>(
    r: R,
    size: u64,
    dbs: &mut [RedisDb],
    opts: &RdbLoadOptions,
) -> Result<RdbLoadInfo, RdbLoadError> {
    rdb_load_rio_with_progress(r, size, dbs, opts, &mut |_, _| {})
}

/// [`rdb_load_rio`] calling `progress(bytes_read, info_so_far)` after every
/// key record (loaded, expired or skipped as empty), for a loading state
/// that updates INFO `loading_*`, applies `key-load-delay` and serves
/// clients meanwhile.
pub fn rdb_load_rio_with_progress<R: Read>(
    r: R,
    size: u64,
    dbs: &mut [RedisDb],
    opts: &RdbLoadOptions,
    progress: &mut dyn FnMut(u64, &RdbLoadInfo),
) -> Result<RdbLoadInfo, RdbLoadError> {
    let mut rd = RdbReader::new(r, size, Some(0));
    rd.deep_sanitize = opts.deep_sanitize;
    let mut info = RdbLoadInfo::default();
    rdb_load_records(&mut rd, dbs, opts, &mut info, false, progress)?;
    Ok(info)
}

/// The header and the records (the body of Redis's `rdbLoadRio`, and of
/// `redis_check_rdb` when `check_mode`: then every key is kept whatever
/// its expire time, aux fields and SELECTDB add report lines, and function
/// libraries are only parsed, as the check does).
fn rdb_load_records<R: Read>(
    rd: &mut RdbReader<R>,
    dbs: &mut [RedisDb],
    opts: &RdbLoadOptions,
    info: &mut RdbLoadInfo,
    check_mode: bool,
    progress: &mut dyn FnMut(u64, &RdbLoadInfo),
) -> Result<(), RdbLoadError> {
    let mut header = [0u8; 9];
    rd.read(&mut header)?;
    if &header[..5] != b"REDIS" {
        return Err(RdbLoadError::WrongSignature);
    }
    // atoi: the leading digits.
    let version = parse_aux_int(&header[5..9]);
    if !(1..=RDB_MAX_LOAD_VERSION as i64).contains(&version) {
        return Err(RdbLoadError::BadVersion(version));
    }
    info.rdb_version = version as u32;
    if !opts.verify_checksum {
        rd.cksum = None;
    }

    let mut dbid = 0usize;
    let mut expire: i64 = -1;
    let mut lru_idle: i64 = -1;
    let mut lfu_freq: i64 = -1;
    loop {
        rd.check.doing = "read-type";
        let t = rd.read_u8()?;
        match t {
            RDB_OPCODE_EXPIRETIME => {
                rd.check.doing = "read-expire";
                let mut b = [0u8; 4];
                rd.read(&mut b)?;
                expire = i32::from_le_bytes(b) as i64 * 1000;
                continue;
            }
            RDB_OPCODE_EXPIRETIME_MS => {
                rd.check.doing = "read-expire";
                let mut b = [0u8; 8];
                rd.read(&mut b)?;
                // Before RDB 9 (Redis 5) the time was written in host byte
                // order, which for every file in circulation is LE as well.
                expire = i64::from_le_bytes(b);
                continue;
            }
            RDB_OPCODE_FREQ => {
                lfu_freq = rd.read_u8()? as i64;
                continue;
            }
            RDB_OPCODE_IDLE => {
                lru_idle = rd.load_plain_len()?.min(i64::MAX as u64) as i64;
                continue;
            }
            RDB_OPCODE_EOF => break,
            RDB_OPCODE_SELECTDB => {
                rd.check.doing = "read-len";
                let id = rd.load_plain_len()?;
                rd.check_info(format!("Selecting DB ID {}", id));
                if id >= dbs.len() as u64 {
                    return Err(RdbLoadError::DbOutOfRange {
                        id,
                        databases: dbs.len(),
                    });
                }
                dbid = id as usize;
                continue;
            }
            RDB_OPCODE_RESIZEDB => {
                rd.check.doing = "read-len";
                let db_size = rd.load_plain_len()?;
                let expires_size = rd.load_plain_len()?;
                // Size hints are untrusted: never more than the rest of the
                // file could describe.
                let left = rd.remaining();
                let db_size = db_size.min(left / MIN_KEY_RECORD) as usize;
                let expires_size = expires_size.min(left / MIN_EXPIRE_RECORD) as usize;
                let db = &mut dbs[dbid];
                if db_size > 0 {
                    db.dict.expand(db_size);
                }
                if expires_size > 0 {
                    db.expires.expand(expires_size);
                }
                continue;
            }
            RDB_OPCODE_AUX => {
                rd.check.doing = "read-aux";
                let key = rd.load_string_bytes()?;
                let val = rd.load_string_bytes()?;
                if check_mode {
                    rd.check_info(format!(
                        "AUX FIELD {} = '{}'",
                        String::from_utf8_lossy(&key),
                        String::from_utf8_lossy(&val)
                    ));
                } else {
                    rdb_load_aux_field(&key, &val, opts, info);
                }
                continue;
            }
            RDB_OPCODE_MODULE_AUX => {
                rd.check.doing = "read-module-aux";
                let module_id = rd.load_plain_len()?;
                let when_opcode = rd.load_plain_len()?;
                let _when = rd.load_plain_len()?;
                let name = if when_opcode == RDB_MODULE_OPCODE_UINT {
                    module_type_name_by_id(module_id)
                } else {
                    String::new()
                };
                if check_mode && !name.is_empty() {
                    rd.check_info(format!("MODULE AUX for: {}", name));
                    rd.check_module_value(&name)?;
                    continue;
                }
                // No module can be loaded here, so no AUX data is readable
                // (Redis exits; its check mode could skip the data, but only
                // a module's own loader knows where it ends in general).
                return Err(RdbLoadError::ModuleAux {
                    offset: rd.pos,
                    name,
                });
            }
            RDB_OPCODE_FUNCTION2 | RDB_OPCODE_FUNCTION_PRE_GA => {
                rd.check.doing = "read-functions";
                let payload = rdb_load_function_payload(rd, t)?;
                if !check_mode {
                    // A malformed `#!` line fails here, where Redis fails
                    // it; the library itself is created by the caller.
                    if let Err(err) = crate::function::function_extract_lib_meta_data(&payload) {
                        return Err(RdbLoadError::FunctionLoad {
                            offset: rd.pos,
                            err,
                        });
                    }
                    info.functions.push(payload);
                }
                continue;
            }
            _ => {}
        }
        if check_mode && !rdb_is_object_type(t) {
            return Err(RdbLoadError::InvalidObjectType { offset: rd.pos, t });
        }
        rd.check.key_type = Some(t);
        rd.check.doing = "read-key";
        let key = rd.load_string_bytes()?;
        // Start fetching the key's bucket now; the value's parsing below
        // hides the cache miss the insert would otherwise wait for.
        let key_hash = dbs.get(dbid).map(|db| db.dict.prefetch_key(&key));
        rd.check.key = Some(key);
        rd.check.keys += 1;
        rd.check.doing = "read-object-value";
        if !rdb_is_object_type(t) {
            // Redis reads the key, then finds no loader for the type.
            return Err(RdbLoadError::ReadError {
                offset: rd.pos,
                reason: format!("Unknown RDB encoding type {}", t),
            });
        }
        if check_mode && t == 7 {
            // The check walks a module value's opcodes without the module.
            let id = rd.load_plain_len()?;
            rd.check_module_value(&module_type_name_by_id(id))?;
            rd.check.key = None;
            rd.check.key_type = None;
            expire = -1;
            continue;
        }
        let loaded = rd.load_object(t, &opts.limits)?;
        let key = rd.check.key.take().unwrap_or_default();
        rd.check.key_type = None;
        if expire != -1 {
            rd.check.expires += 1;
            if expire < opts.now_ms {
                rd.check.already_expired += 1;
            }
        }
        let Some(val) = loaded else {
            // An empty collection: skipped, as Redis 7.0 does.
            info.empty_keys_skipped += 1;
            if info.empty_keys_skipped <= 10 {
                tracing::warn!(
                    "rdbLoadObject skipping empty key: {}",
                    String::from_utf8_lossy(&key)
                );
            }
            expire = -1;
            lru_idle = -1;
            lfu_freq = -1;
            progress(rd.pos, info);
            continue;
        };
        if !check_mode && !opts.aof_preamble && expire != -1 && expire < opts.now_ms {
            info.keys_expired += 1;
            if opts.collect_expired {
                info.expired_keys.push((dbid, key));
            }
        } else {
            let db = &mut dbs[dbid];
            let lru = opts.lru_for(lru_idle, lfu_freq);
            let key: Box<[u8]> = key.into_boxed_slice();
            // One lookup: the add refuses a key that is already there.
            let h = key_hash.unwrap_or_else(|| crate::dict::hash_bytes(&key));
            let dup = if expire != -1 {
                match db
                    .dict
                    .add_hashed(h, (&key[..]).into(), RObj::new(val, lru))
                {
                    Ok(()) => {
                        db.expires.insert(key, expire);
                        None
                    }
                    Err((k, _)) => Some(k),
                }
            } else {
                let added = db.dict.add_hashed(h, key.into(), RObj::new(val, lru));
                added.err().map(|(k, _)| k)
            };
            if let Some(k) = dup {
                return Err(RdbLoadError::DuplicateKey {
                    key: k.to_vec(),
                    db: dbid,
                });
            }
            info.keys_loaded += 1;
        }
        expire = -1;
        lru_idle = -1;
        lfu_freq = -1;
        progress(rd.pos, info);
    }

    if info.rdb_version >= 5 {
        rd.check.doing = "check-sum";
        let computed = rd.cksum;
        let mut b = [0u8; 8];
        rd.read(&mut b)?;
        let stored = u64::from_le_bytes(b);
        if let Some(expected) = computed {
            if stored == 0 {
                if check_mode {
                    rd.check_info(
                        "RDB file was saved with checksum disabled: no check performed.".into(),
                    );
                } else {
                    tracing::warn!(
                        "RDB file was saved with checksum disabled: no check performed."
                    );
                }
            } else if stored != expected {
                return Err(RdbLoadError::ChecksumMismatch {
                    expected,
                    got: stored,
                });
            } else {
                rd.check_info("Checksum OK".into());
            }
        }
    }
    Ok(())
}

/// Module AUX and module values carry this opcode before their `when`
/// (Redis `RDB_MODULE_OPCODE_UINT`).
const RDB_MODULE_OPCODE_UINT: u64 = 2;

/// Whether `t` is a value type Redis knows (Redis `rdbIsObjectType`, plus
/// 7.2's types 20 and 21 that version-11 files carry).
pub fn rdb_is_object_type(t: u8) -> bool {
    matches!(t, 0..=7 | 9..=21)
}

/// The 9-character name of a module type from its 64-bit id (Redis
/// `moduleTypeNameByID`): the id's top 54 bits, six at a time from the
/// last character back, over the module name alphabet.
pub fn module_type_name_by_id(id: u64) -> String {
    const CSET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut name = [0u8; 9];
    let mut v = id >> 10;
    for slot in name.iter_mut().rev() {
        *slot = CSET[(v & 63) as usize];
        v >>= 6;
    }
    String::from_utf8_lossy(&name).into_owned()
}

/// Reads a function library record and returns its payload (Redis
/// `rdbFunctionLoad`): FUNCTION2 is one string, the library code with its
/// `#!engine name=...` line; the pre-GA FUNCTION opcode holds name,
/// engine, an optional description and the code, which Redis turns into
/// the same form. A read failure carries Redis's reason ("Failed loading
/// library payload", ...).
fn rdb_load_function_payload<R: Read>(
    rd: &mut RdbReader<R>,
    t: u8,
) -> Result<Vec<u8>, RdbLoadError> {
    let fail = |rd: &RdbReader<R>, e: RdbLoadError, what: &str| match e {
        RdbLoadError::ShortRead { .. } => RdbLoadError::FunctionLoad {
            offset: rd.pos,
            err: what.to_string(),
        },
        other => other,
    };
    if t == RDB_OPCODE_FUNCTION2 {
        return rd
            .load_string_bytes()
            .map_err(|e| fail(rd, e, "Failed loading library payload"));
    }
    let name = rd
        .load_string_bytes()
        .map_err(|e| fail(rd, e, "Failed loading library name"))?;
    let engine = rd
        .load_string_bytes()
        .map_err(|e| fail(rd, e, "Failed loading engine name"))?;
    let has_desc = rd
        .load_plain_len()
        .map_err(|e| fail(rd, e, "Failed loading library description indicator"))?;
    if has_desc != 0 {
        rd.load_string_bytes()
            .map_err(|e| fail(rd, e, "Failed loading library description"))?;
    }
    let code = rd
        .load_string_bytes()
        .map_err(|e| fail(rd, e, "Failed loading library blob"))?;
    let mut p = b"#!".to_vec();
    p.extend_from_slice(&engine);
    p.extend_from_slice(b" name=");
    p.extend_from_slice(&name);
    p.push(b'\n');
    p.extend_from_slice(&code);
    Ok(p)
}

/// The function records of a FUNCTION DUMP payload (Redis
/// `rdbSaveFunctions` into a buffer): per library the FUNCTION2 opcode
/// and its code as an RDB string (LZF when `compress` and it pays off).
pub fn rdb_save_functions_to_vec(codes: &[Vec<u8>], compress: bool) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut w = RdbWriter {
        w: &mut buf,
        cksum: None,
    };
    for code in codes {
        // Writing to a vector cannot fail.
        let _ = w.save_type(RDB_OPCODE_FUNCTION2);
        let _ = w.save_raw_string(code, compress);
    }
    buf
}

/// The library payloads of a FUNCTION RESTORE payload whose footer was
/// checked (the loop of Redis `functionRestoreCommand`): records are read
/// while more than 10 bytes (the footer) remain, each must be a FUNCTION2
/// or pre-GA FUNCTION record. Errors are Redis's texts: "given type is not
/// a function", "Failed loading library payload", ...
pub fn rdb_load_functions_from_payload(data: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut rd = RdbReader::new(data, data.len() as u64, None);
    let mut out = Vec::new();
    while data.len() as u64 - rd.pos > 10 {
        let t = rd
            .read_u8()
            .map_err(|_| "can not read data type".to_string())?;
        if t != RDB_OPCODE_FUNCTION2 && t != RDB_OPCODE_FUNCTION_PRE_GA {
            return Err("given type is not a function".into());
        }
        match rdb_load_function_payload(&mut rd, t) {
            Ok(p) => out.push(p),
            Err(RdbLoadError::FunctionLoad { err, .. }) => return Err(err),
            // Any other failure of the string reader (a bad LZF blob) is
            // a failed read of the record, as Redis's reader reports it.
            Err(_) => return Err("Failed loading library payload".into()),
        }
    }
    Ok(out)
}

/// Seconds since `ctime` (unix seconds) at `now_ms`, never negative; a
/// hostile ctime saturates instead of overflowing (Redis subtracts
/// blindly).
fn rdb_age_seconds(now_ms: i64, ctime: i64) -> i64 {
    (now_ms / 1000).saturating_sub(ctime).max(0)
}

/// Records an aux field and logs the ones Redis logs (Redis's AUX branch of
/// `rdbLoadRio`; names compare case-insensitively, fields starting with
/// '%' are logged as information).
fn rdb_load_aux_field(key: &[u8], val: &[u8], opts: &RdbLoadOptions, info: &mut RdbLoadInfo) {
    if key.first() == Some(&b'%') {
        tracing::info!(
            "RDB '{}': {}",
            String::from_utf8_lossy(key),
            String::from_utf8_lossy(val)
        );
        return;
    }
    let lower = key.to_ascii_lowercase();
    match lower.as_slice() {
        b"redis-ver" => {
            let v = String::from_utf8_lossy(val).into_owned();
            tracing::info!("Loading RDB produced by version {}", v);
            info.redis_ver = Some(v);
        }
        b"ctime" => {
            let ctime = parse_aux_int(val);
            tracing::info!("RDB age {} seconds", rdb_age_seconds(opts.now_ms, ctime));
            info.ctime = Some(ctime);
        }
        b"used-mem" => {
            let used = parse_aux_int(val);
            tracing::info!(
                "RDB memory usage when created {:.2} Mb",
                used as f64 / (1024.0 * 1024.0)
            );
            info.used_mem = Some(used);
        }
        b"aof-preamble" => {
            if parse_aux_int(val) != 0 {
                tracing::info!("RDB has an AOF tail");
            }
        }
        b"aof-base" => {
            if parse_aux_int(val) != 0 {
                tracing::info!("RDB is base AOF");
            }
        }
        // Replication state, for a replica's partial resync after a restart.
        b"repl-stream-db" => info.repl_stream_db = Some(parse_aux_int(val)),
        b"repl-id" => {
            if val.len() == 40 {
                info.repl_id = Some(String::from_utf8_lossy(val).into_owned());
            }
        }
        b"repl-offset" => info.repl_offset = Some(parse_aux_int(val)),
        // "lua" scripts are never loaded back.
        b"lua" | b"redis-bits" => {}
        _ => tracing::debug!(
            "Unrecognized RDB AUX field: '{}'",
            String::from_utf8_lossy(key)
        ),
    }
}

/// Checks the RDB file `filename` as `redis-check-rdb` does (Redis
/// `redis_check_rdb_main` with deep sanitization) and returns the report
/// lines: "[offset 0] Checking RDB file NAME", one line per aux field and
/// SELECTDB, then either "Checksum OK" (when checksums are on and stored),
/// "\o/ RDB looks OK! \o/" and the three "[info]" counts, or
/// "--- RDB ERROR DETECTED ---", "[offset N] MESSAGE" and the
/// "[additional info]" lines naming the step, the key and its type, then
/// the counts. The second element tells whether the file is sound.
/// `databases` is how many databases SELECTDB may name.
///
/// # Latency
/// Loads the whole file into scratch databases: O(file size) time and
/// memory.
pub fn rdb_check_file(
    filename: &str,
    databases: usize,
    opts: &RdbLoadOptions,
) -> (Vec<String>, bool) {
    let mut lines = vec![format!("[offset 0] Checking RDB file {}", filename)];
    let opened = File::open(filename).and_then(|f| f.metadata().map(|m| (f, m.len())));
    let (file, size) = match opened {
        Ok(v) => v,
        Err(e) => {
            lines.push("--- RDB ERROR DETECTED ---".into());
            lines.push(format!(
                "[offset 0] Fatal error: can't open the RDB file {}: {}",
                filename,
                crate::log::os_error_text(&e)
            ));
            return (lines, false);
        }
    };
    let (more, sound) = rdb_check_rio(
        BufReader::with_capacity(256 * 1024, file),
        size,
        databases,
        opts,
    );
    lines.extend(more);
    (lines, sound)
}

/// The body of [`rdb_check_file`] over any reader of `size` bytes: the
/// report lines after "Checking RDB file", and whether the data is sound.
pub fn rdb_check_rio<R: Read>(
    r: R,
    size: u64,
    databases: usize,
    opts: &RdbLoadOptions,
) -> (Vec<String>, bool) {
    let mut lines = Vec::new();
    let mut rd = RdbReader::new(r, size, Some(0));
    rd.check_lines = Some(Vec::new());
    let mut dbs: Vec<RedisDb> = (0..databases).map(RedisDb::new).collect();
    let mut info = RdbLoadInfo::default();
    let res = rdb_load_records(&mut rd, &mut dbs, opts, &mut info, true, &mut |_, _| {});
    lines.extend(rd.check_lines.take().unwrap_or_default());
    let st = rd.check.clone();
    let counts = [
        format!("[info] {} keys read", st.keys),
        format!("[info] {} expires", st.expires),
        format!("[info] {} already expired", st.already_expired),
    ];
    match res {
        Ok(()) => {
            lines.push(format!("[offset {}] \\o/ RDB looks OK! \\o/", rd.pos));
            lines.extend(counts);
            (lines, true)
        }
        Err(e) => {
            let msg = match &e {
                RdbLoadError::ModuleAux { name, .. } if name.is_empty() => e.to_string(),
                RdbLoadError::Corrupt { .. }
                | RdbLoadError::ReadError { .. }
                | RdbLoadError::Unsupported { .. }
                | RdbLoadError::ModuleAux { .. } => e.internal_error_line(),
                RdbLoadError::FunctionLoad { err, .. } => {
                    format!("Failed loading library, {}", err)
                }
                _ => e.to_string(),
            };
            lines.push("--- RDB ERROR DETECTED ---".into());
            lines.push(format!(
                "[offset {}] {}",
                e.offset().unwrap_or(rd.pos),
                msg.trim_end()
            ));
            lines.push(format!("[additional info] While doing: {}", st.doing));
            if let Some(k) = &st.key {
                lines.push(format!(
                    "[additional info] Reading key '{}'",
                    String::from_utf8_lossy(k)
                ));
            }
            if let Some(t) = st.key_type {
                lines.push(format!(
                    "[additional info] Reading type {} ({})",
                    t,
                    rdb_check_type_name(t)
                ));
            }
            lines.extend(counts);
            (lines, false)
        }
    }
}

/// The type name in a check report (redis-check-rdb's table; "unknown"
/// past the types Redis 7.0 knows).
fn rdb_check_type_name(t: u8) -> &'static str {
    match t {
        6 => "module-value",
        7 | 8 => "",
        0..=18 => rdb_type_name(t).unwrap_or("unknown"),
        _ => "unknown",
    }
}

/// Enters the loading state (Redis `startLoading`): `srv.loading` is set,
/// so commands without the `loading` flag are refused with "-LOADING Redis
/// is loading the dataset in memory" and nothing is propagated; INFO shows
/// `loading:1` and the `loading_*` fields; the last-load key counters are
/// reset. `total_bytes` is the size of what will be read (0 if unknown).
/// Pair it with [`stop_loading`]; the AOF loader uses the same pair.
pub fn start_loading(srv: &mut Server, total_bytes: u64) {
    srv.loading = true;
    srv.update_cached_time();
    srv.blocked_last_cron = srv.mstime;
    srv.rdb.loading_start_time = crate::util::mstime() / 1000;
    srv.rdb.loading_loaded_bytes = 0;
    srv.rdb.loading_total_bytes = total_bytes;
    srv.rdb.loading_rdb_used_mem = 0;
    srv.rdb_last_load_keys_expired = 0;
    srv.rdb_last_load_keys_loaded = 0;
}

/// Records how far loading got, in bytes (Redis `loadingAbsProgress`).
pub fn loading_abs_progress(srv: &mut Server, pos: u64) {
    srv.rdb.loading_loaded_bytes = pos;
}

/// Leaves the loading state (Redis `stopLoading`).
pub fn stop_loading(srv: &mut Server, _success: bool) {
    srv.loading = false;
    srv.blocked_last_cron = 0;
    srv.rdb.async_loading = false;
}

/// Loads `filename` into the server's databases (Redis `rdbLoad`), inside
/// the loading state ([`start_loading`] / [`stop_loading`]).
///
/// While it reads, every `loading-process-events-interval-bytes` (2 MB by
/// default) it serves clients ([`crate::server::process_events_while_blocked`]):
/// they get "-LOADING ..." for most commands, and INFO shows the progress.
/// To let those commands borrow the server, the databases being filled are
/// moved out of `srv` for the duration and put back at the end (clients see
/// empty databases meanwhile). `key-load-delay` sleeps after every key (see
/// [`debug_delay`]).
///
/// Returns [`RdbLoadError::NotExist`] without logging when the file is
/// missing (start empty). Any other failure is logged with Redis's warnings
/// ("Fatal error: can't open the RDB file %s for reading: %s", "Short read
/// or OOM loading DB. Unrecoverable error, aborting now.", "Wrong RDB
/// checksum expected: (%llx) but got (%llx). Aborting now.", "Internal
/// error in RDB reading offset %llu, function at rdb.rs -> %s", ...) and
/// returned; at startup the caller then runs
/// [`rdb_load_failed_at_startup`] and exits with status 1. On success logs "Done loading
/// RDB, keys loaded: %lld, keys expired: %lld."; the caller logs "DB loaded
/// from disk: %.3f seconds".
pub fn rdb_load(srv: &mut Server, filename: &str) -> Result<RdbLoadInfo, RdbLoadError> {
    let opened = File::open(filename).and_then(|f| f.metadata().map(|m| (f, m.len())));
    let (file, size) = match opened {
        Ok(v) => v,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(RdbLoadError::NotExist),
        Err(e) => {
            tracing::warn!(
                "Fatal error: can't open the RDB file {} for reading: {}",
                filename,
                crate::log::os_error_text(&e)
            );
            return Err(RdbLoadError::Io(e));
        }
    };
    let opts = RdbLoadOptions::from_server(srv);
    let r = BufReader::with_capacity(256 * 1024, file);
    start_loading(srv, size);
    let mut dbs = {
        let empty: Vec<RedisDb> = (0..srv.dbs.len()).map(RedisDb::new).collect();
        std::mem::replace(&mut srv.dbs, empty)
    };
    let interval = srv.config.loading_process_events_interval_bytes.max(1) as u64;
    let key_load_delay = srv.config.key_load_delay;
    let mut last_chunk = 0u64;
    let result = {
        let srv_ref = &mut *srv;
        let mut progress = |pos: u64, info: &RdbLoadInfo| {
            if key_load_delay != 0 {
                debug_delay(key_load_delay);
            }
            if pos / interval > last_chunk {
                last_chunk = pos / interval;
                if let Some(m) = info.used_mem {
                    srv_ref.rdb.loading_rdb_used_mem = m.max(0) as u64;
                }
                crate::replication::replica::replication_send_newline_to_master(srv_ref);
                loading_abs_progress(srv_ref, pos);
                crate::server::process_events_while_blocked(srv_ref);
            }
        };
        rdb_load_rio_with_progress(r, size, &mut dbs, &opts, &mut progress)
    };
    // Whatever clients did to the placeholder databases meanwhile (only
    // loading-flagged commands ran) is dropped with them.
    srv.dbs = dbs;
    let result = result.and_then(|info| rdb_create_functions(srv, info, false, size));
    stop_loading(srv, result.is_ok());
    match result {
        Ok(info) => {
            srv.rdb_last_load_keys_loaded = info.keys_loaded;
            srv.rdb_last_load_keys_expired = info.keys_expired;
            if info.empty_keys_skipped > 0 {
                tracing::warn!(
                    "Done loading RDB, keys loaded: {}, keys expired: {}, empty keys skipped: {}.",
                    info.keys_loaded,
                    info.keys_expired,
                    info.empty_keys_skipped
                );
            } else {
                tracing::info!(
                    "Done loading RDB, keys loaded: {}, keys expired: {}.",
                    info.keys_loaded,
                    info.keys_expired
                );
            }
            Ok(info)
        }
        Err(e) => {
            e.log();
            Err(e)
        }
    }
}

/// Creates the function libraries a load returned in
/// [`RdbLoadInfo::functions`] (`function::functions_create_from_rdb`);
/// `allow_dup` replaces libraries of the same name (Redis
/// `RDBFLAGS_ALLOW_DUP`). A library that cannot be created fails the load
/// as in Redis ([`RdbLoadError::FunctionLoad`], logged as "Failed loading
/// library, %s" and a short read); `offset` is where the failure is
/// reported (the end of the file, since libraries are created after the
/// keys here).
pub fn rdb_create_functions(
    srv: &mut Server,
    mut info: RdbLoadInfo,
    allow_dup: bool,
    offset: u64,
) -> Result<RdbLoadInfo, RdbLoadError> {
    let payloads = std::mem::take(&mut info.functions);
    crate::function::functions_create_from_rdb(srv, &payloads, allow_dup)
        .map_err(|err| RdbLoadError::FunctionLoad { offset, err })?;
    Ok(info)
}

/// What Redis does after a failed load at startup, before it exits: for
/// read, format and checksum errors it checks the file as
/// `redis-check-rdb` would and prints the report ([`rdb_check_file`]) to
/// standard output. Returns the last line to log ([`RdbLoadError::exit_message`]),
/// which Redis omits when its check finds the file sound (possible when
/// the failure was this build's, e.g. a module value or a function
/// library: the check does not need the module or the engine).
pub fn rdb_load_failed_at_startup(
    srv: &Server,
    filename: &str,
    e: &RdbLoadError,
) -> Option<String> {
    if !e.reported_with_check() {
        return e.exit_message();
    }
    let mut check_opts = RdbLoadOptions::from_server(srv);
    check_opts.verify_checksum = srv.config.rdbchecksum;
    check_opts.deep_sanitize = true;
    let (lines, sound) = rdb_check_file(filename, srv.dbs.len(), &check_opts);
    let mut out = io::stdout().lock();
    for l in lines {
        let _ = writeln!(out, "{}", l);
    }
    let _ = out.flush();
    if sound { None } else { e.exit_message() }
}

/// Fuzz entry point: loads `data` into 16 scratch databases with checksum
/// verification on, then checks it as the file check does. Never panics;
/// the results are discarded.
pub fn rdb_load_fuzz(data: &[u8]) {
    let mut dbs: Vec<RedisDb> = (0..16).map(RedisDb::new).collect();
    let opts = RdbLoadOptions::scratch();
    let _ = rdb_load_rio(data, data.len() as u64, &mut dbs, &opts);
    // The file check's walk (module values, every key kept) as well.
    let _ = rdb_check_rio(data, data.len() as u64, 16, &opts);
}

#[cfg(test)]
pub(crate) mod tests {
    // ---- Background saving (no fork: the handlers and checks alone) ----

    fn bg_server() -> Server {
        Server::new(crate::config::Config::default()).expect("server")
    }

    #[test]
    fn done_handler_keeps_changes_made_during_the_save() {
        let mut srv = bg_server();
        srv.dirty = 50;
        srv.rdb.dirty_before_bgsave = 30;
        srv.rdb.save_time_start = crate::util::mstime() / 1000 - 2;
        srv.lastsave = 0;
        let exit = crate::childinfo::ChildExit {
            kind: crate::childinfo::ChildType::Rdb,
            pid: 1,
            exitcode: 0,
            bysignal: 0,
        };
        background_save_done_handler(&mut srv, exit, None);
        assert_eq!(srv.dirty, 20);
        assert!(srv.lastsave > 0);
        assert!(srv.rdb.lastbgsave_ok);
        assert_eq!(srv.rdb.save_time_start, -1);
        assert!(srv.rdb.save_time_last >= 2);
        // Exit code 1: error status, dirty untouched.
        background_save_done_handler(
            &mut srv,
            crate::childinfo::ChildExit {
                exitcode: 1,
                ..exit
            },
            None,
        );
        assert!(!srv.rdb.lastbgsave_ok);
        assert_eq!(srv.dirty, 20);
        // SIGUSR1 (our own kill) is not an error; SIGKILL is.
        srv.rdb.lastbgsave_ok = true;
        background_save_done_handler(
            &mut srv,
            crate::childinfo::ChildExit {
                bysignal: libc::SIGUSR1,
                ..exit
            },
            None,
        );
        assert!(srv.rdb.lastbgsave_ok);
        background_save_done_handler(
            &mut srv,
            crate::childinfo::ChildExit {
                bysignal: libc::SIGKILL,
                ..exit
            },
            None,
        );
        assert!(!srv.rdb.lastbgsave_ok);
    }

    #[test]
    fn misconf_needs_save_points_and_the_option() {
        let mut srv = bg_server();
        srv.rdb.lastbgsave_ok = false;
        assert!(writes_denied_by_rdb_error(&srv));
        srv.config.stop_writes_on_bgsave_error = false;
        assert!(!writes_denied_by_rdb_error(&srv));
        srv.config.stop_writes_on_bgsave_error = true;
        srv.config.save_params.clear();
        assert!(!writes_denied_by_rdb_error(&srv));
    }

    #[test]
    fn save_points_wait_for_the_retry_delay_after_a_failure() {
        let mut srv = bg_server();
        // A save point that is due, but the last attempt failed just now:
        // nothing may be started (a start would fork this test process).
        srv.config.save_params = vec![(0, 1)];
        srv.dirty = 10;
        srv.lastsave = 0;
        srv.rdb.lastbgsave_ok = false;
        srv.rdb.lastbgsave_try = crate::util::mstime() / 1000;
        check_save_points(&mut srv);
        assert_eq!(srv.child.total_forks, 0);
        srv.rdb.bgsave_scheduled = true;
        run_scheduled_bgsave(&mut srv);
        assert_eq!(srv.child.total_forks, 0);
        assert!(srv.rdb.bgsave_scheduled);
    }

    #[test]
    fn crc64_slice_by_8_matches_the_reference() {
        assert_eq!(crc64_update(0, b"123456789"), 0xe9c6d914c4b8d9ca);
        let data: Vec<u8> = (0..5000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        for len in [0, 1, 7, 8, 9, 15, 16, 17, 100, 4999, 5000] {
            assert_eq!(
                crc64_update(0, &data[..len]),
                crc64::crc64(0, &data[..len]),
                "len {len}"
            );
        }
        // Chained over uneven pieces, as the reader and writer use it.
        let mut c = 0;
        for piece in data.chunks(13) {
            c = crc64_update(c, piece);
        }
        assert_eq!(c, crc64::crc64(0, &data));
    }

    #[test]
    fn autosync_file_writes_everything_across_block_boundaries() {
        let dir = std::env::temp_dir().join(format!("rustredis-autosync-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("t.rdb");
        let mut f = AutoSyncFile {
            f: File::create(&path).expect("create"),
            written: 0,
            autosync: 4096,
        };
        let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        // Odd-sized writes that straddle the 4096-byte blocks.
        for chunk in data.chunks(3001) {
            f.write_all(chunk).expect("write");
        }
        assert_eq!(f.written, data.len() as u64);
        drop(f);
        assert_eq!(std::fs::read(&path).expect("read"), data);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn debug_delay_negative_is_rarely_a_microsecond() {
        let t = std::time::Instant::now();
        for _ in 0..10_000 {
            debug_delay(-1_000_000);
        }
        assert!(t.elapsed() < std::time::Duration::from_millis(500));
        let t = std::time::Instant::now();
        debug_delay(2000);
        assert!(t.elapsed() >= std::time::Duration::from_micros(2000));
    }

    use super::*;

    pub(crate) const NOW_MS: i64 = 1_790_000_000_000;

    pub(crate) fn dbs(n: usize) -> Vec<RedisDb> {
        (0..n).map(RedisDb::new).collect()
    }

    pub(crate) fn save_opts() -> RdbSaveOptions {
        RdbSaveOptions {
            compression: true,
            checksum: true,
            ctime: NOW_MS / 1000,
            used_mem: 1_000_000,
            tracking: AccessTracking::None,
            lru_clock: 0,
            now_ms: NOW_MS,
            lfu_decay_time: 1,
            aof_base: false,
            functions: Vec::new(),
            repl: None,
            exclude_data: false,
            exclude_functions: false,
        }
    }

    #[test]
    fn function_libraries_round_trip() {
        let short = b"#!lua name=a\nredis.register_function('f', function() return 1 end)".to_vec();
        let long = [&b"#!lua name=b\n"[..], &[b'-'; 300][..]].concat();
        let mut o = save_opts();
        o.functions = vec![short.clone(), long.clone()];
        let mut out = Vec::new();
        rdb_save_rio(&mut out, &dbs(1), &o).unwrap();
        // FUNCTION2, then the code (the long one LZF-compressed).
        let record = [
            &[RDB_OPCODE_FUNCTION2, 0x40, short.len() as u8][..],
            &short[..],
        ]
        .concat();
        assert!(out.windows(record.len()).any(|w| w == record));
        let info = rdb_load_rio(&out[..], out.len() as u64, &mut dbs(1), &load_opts()).unwrap();
        assert_eq!(info.functions, vec![short.clone(), long.clone()]);

        // FUNCTION DUMP's body and the RESTORE reader.
        let mut p = rdb_save_functions_to_vec(&[short.clone(), long.clone()], true);
        p.extend_from_slice(&[10, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(rdb_load_functions_from_payload(&p), Ok(vec![short, long]));
        let mut not_fn = vec![0u8, 1, b'k', 1, b'v'];
        not_fn.extend_from_slice(&[10, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            rdb_load_functions_from_payload(&not_fn),
            Err("given type is not a function".to_string())
        );
        let mut cut = vec![RDB_OPCODE_FUNCTION2, 0x40, 200];
        cut.extend_from_slice(&[b'x'; 20]);
        assert_eq!(
            rdb_load_functions_from_payload(&cut),
            Err("Failed loading library payload".to_string())
        );
    }

    fn load_opts() -> RdbLoadOptions {
        RdbLoadOptions {
            now_ms: NOW_MS,
            verify_checksum: true,
            tracking: AccessTracking::None,
            lru_clock: 1234,
            limits: EncodingLimits::default(),
            aof_preamble: false,
            collect_expired: false,
            deep_sanitize: true,
        }
    }

    fn set(db: &mut RedisDb, k: &[u8], v: Value) {
        db.dict.insert(k, RObj::new(v, 0));
    }

    fn save(d: &[RedisDb], o: &RdbSaveOptions) -> Vec<u8> {
        let mut out = Vec::new();
        rdb_save_rio(&mut out, d, o).unwrap();
        out
    }

    fn load(bytes: &[u8], n: usize) -> Result<(Vec<RedisDb>, RdbLoadInfo), RdbLoadError> {
        let mut d = dbs(n);
        let info = rdb_load_rio(bytes, bytes.len() as u64, &mut d, &load_opts())?;
        Ok((d, info))
    }

    fn get(db: &RedisDb, k: &[u8]) -> Option<Vec<u8>> {
        db.dict.get(k).map(|o| o.v.to_vec())
    }

    /// Encodes one string with the saver's rules.
    fn enc(s: &[u8], compress: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = RdbWriter {
            w: &mut out,
            cksum: None,
        };
        w.save_raw_string(s, compress).unwrap();
        out
    }

    /// Decodes one string with the loader.
    fn dec(b: &[u8]) -> Result<Vec<u8>, RdbLoadError> {
        let mut r = RdbReader::new(b, b.len() as u64, None);
        r.load_string_bytes()
    }

    #[test]
    fn crc64_matches_redis() {
        // The check value of CRC-64/Jones as Redis computes it (crc64.c's test).
        assert_eq!(crc64::crc64(0, b"123456789"), 0xe9c6d914c4b8d9ca);
        // And the checksum redis-server 7.0.15 wrote at the end of our fixture.
        let golden = include_bytes!("../tests/fixtures/redis-7.0.15-strings.rdb");
        let n = golden.len();
        let stored = u64::from_le_bytes(golden[n - 8..].try_into().unwrap());
        assert_eq!(crc64::crc64(0, &golden[..n - 8]), stored);
    }

    #[test]
    fn length_encodings() {
        for (len, bytes) in [
            (0u64, vec![0x00]),
            (63, vec![0x3f]),
            (64, vec![0x40, 0x40]),
            (16383, vec![0x7f, 0xff]),
            (16384, vec![0x80, 0x00, 0x00, 0x40, 0x00]),
            (u32::MAX as u64, vec![0x80, 0xff, 0xff, 0xff, 0xff]),
            (u32::MAX as u64 + 1, vec![0x81, 0, 0, 0, 1, 0, 0, 0, 0]),
        ] {
            let mut out = Vec::new();
            RdbWriter {
                w: &mut out,
                cksum: None,
            }
            .save_len(len)
            .unwrap();
            assert_eq!(out, bytes, "len {len}");
            let mut r = RdbReader::new(&bytes[..], bytes.len() as u64, None);
            assert_eq!(r.load_len().unwrap(), (len, false));
        }
        // 0x82..0xBF are not lengths.
        let mut r = RdbReader::new(&[0x82u8][..], 1, None);
        assert!(matches!(r.load_len(), Err(RdbLoadError::Corrupt { .. })));
    }

    #[test]
    fn string_encodings_match_redis() {
        // Integers (bytes as redis-server 7.0.15 writes them).
        assert_eq!(enc(b"0", true), [0xc0, 0x00]);
        assert_eq!(enc(b"-7", true), [0xc0, 0xf9]);
        assert_eq!(enc(b"127", true), [0xc0, 0x7f]);
        assert_eq!(enc(b"128", true), [0xc1, 0x80, 0x00]);
        assert_eq!(enc(b"12345", true), [0xc1, 0x39, 0x30]);
        assert_eq!(enc(b"100000", true), [0xc2, 0xa0, 0x86, 0x01, 0x00]);
        assert_eq!(enc(b"-2147483648", true), [0xc2, 0x00, 0x00, 0x00, 0x80]);
        // Beyond 32 bits, or not canonical: plain strings.
        assert_eq!(enc(b"3000000000", true), b"\x0a3000000000");
        assert_eq!(enc(b"012", true), b"\x03012");
        assert_eq!(enc(b"+1", true), b"\x02+1");
        assert_eq!(enc(b"", true), b"\x00");
        // Short strings are never compressed; long compressible ones are.
        assert_eq!(enc(&[b'a'; 20], true)[0], 20);
        let long = b"abcdefghij".repeat(10);
        let e = enc(&long, true);
        assert_eq!(e[0], 0xc3);
        assert!(e.len() < 30);
        assert_eq!(dec(&e).unwrap(), long);
        // ... unless compression is off.
        let e = enc(&long, false);
        assert_eq!(&e[..2], &[0x40, 100]);
        // Incompressible data is stored as is.
        let rnd: Vec<u8> = (0..200u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let e = enc(&rnd, true);
        assert_eq!(&e[..2], &[0x40, 200]);
        // Every encoding decodes back.
        for s in [
            &b"0"[..],
            b"-7",
            b"128",
            b"-32769",
            b"100000",
            b"3000000000",
            b"x",
        ] {
            assert_eq!(dec(&enc(s, true)).unwrap(), s);
        }
        // An unknown special encoding is corruption.
        assert!(matches!(dec(&[0xc4]), Err(RdbLoadError::Corrupt { .. })));
    }

    #[test]
    fn save_header_matches_redis_layout() {
        let mut d = dbs(16);
        set(&mut d[0], b"foo", Value::from_bytes(b"bar"));
        let out = save(&d, &save_opts());
        assert_eq!(&out[..9], b"REDIS0010");
        let aux = b"\xfa\x09redis-ver\x067.0.15\xfa\x0aredis-bits\xc0\x40\xfa\x05ctime";
        assert_eq!(&out[9..9 + aux.len()], aux);
        // ctime 1790000000 is int32-encoded, used-mem 1000000 too, aof-base 0.
        let rest = &out[9 + aux.len()..];
        assert_eq!(rest[0], 0xc2);
        assert_eq!(
            i32::from_le_bytes(rest[1..5].try_into().unwrap()),
            1_790_000_000
        );
        let tail = b"\xfa\x08used-mem\xc2\x40\x42\x0f\x00\xfa\x08aof-base\xc0\x00\xfe\x00\xfb\x01\x00\x00\x03foo\x03bar\xff";
        assert_eq!(&rest[5..5 + tail.len()], tail);
        assert_eq!(rest.len(), 5 + tail.len() + 8);
        let n = out.len();
        assert_eq!(
            u64::from_le_bytes(out[n - 8..].try_into().unwrap()),
            crc64::crc64(0, &out[..n - 8])
        );
        // rdbchecksum no writes a zero checksum, which loads without a check.
        let mut o = save_opts();
        o.checksum = false;
        let out = save(&d, &o);
        assert_eq!(&out[out.len() - 8..], &[0u8; 8]);
        let (l, info) = load(&out, 16).unwrap();
        assert_eq!(info.keys_loaded, 1);
        assert_eq!(get(&l[0], b"foo").unwrap(), b"bar");
    }

    #[test]
    fn round_trip() {
        let mut d = dbs(16);
        set(&mut d[0], b"int", Value::Int(12345));
        set(&mut d[0], b"neg", Value::Int(-9_223_372_036_854_775_808));
        set(&mut d[0], b"big", Value::Int(3_000_000_000));
        set(&mut d[0], b"123", Value::from_bytes(b"key is an int"));
        set(&mut d[0], b"", Value::from_bytes(b""));
        set(&mut d[0], b"emb", Value::from_bytes(&[b'e'; 40]));
        set(&mut d[0], b"raw", Value::raw(b"hello world ".repeat(100)));
        set(
            &mut d[0],
            b"bin\x00\xff",
            Value::from_bytes(b"\x00\r\n\xff"),
        );
        set(&mut d[0], b"numstr", Value::from_bytes(b"42"));
        for i in 0..1000 {
            set(
                &mut d[5],
                format!("key:{i}").as_bytes(),
                Value::from_arg_encoded(format!("value-{i}-{}", "x".repeat(i % 50)).as_bytes()),
            );
        }
        d[0].expires.insert(&b"int"[..], NOW_MS + 100_000);
        d[5].expires.insert(&b"key:7"[..], NOW_MS + 5);
        let out = save(&d, &save_opts());
        let (l, info) = load(&out, 16).unwrap();
        assert_eq!(info.rdb_version, 10);
        assert_eq!(info.keys_loaded, 1009);
        assert_eq!(info.keys_expired, 0);
        assert_eq!(info.redis_ver.as_deref(), Some("7.0.15"));
        assert_eq!(info.ctime, Some(NOW_MS / 1000));
        assert_eq!(info.used_mem, Some(1_000_000));
        for db in 0..16 {
            assert_eq!(l[db].dict.len(), d[db].dict.len(), "db {db}");
            assert_eq!(l[db].expires.len(), d[db].expires.len(), "db {db}");
            for (k, o) in d[db].dict.iter() {
                assert_eq!(get(&l[db], k), Some(o.v.to_vec()));
                assert_eq!(l[db].dict.get(k).unwrap().lru, 1234);
            }
        }
        assert_eq!(l[0].expires.get(b"int"), Some(&(NOW_MS + 100_000)));
        assert_eq!(l[5].expires.get(b"key:7"), Some(&(NOW_MS + 5)));
        // In-memory encodings follow Redis's rules after loading.
        let enc = |k: &[u8]| l[0].dict.get(k).unwrap().v.encoding_name();
        assert_eq!(enc(b"int"), "int");
        assert_eq!(enc(b"big"), "int");
        assert_eq!(enc(b"neg"), "int");
        assert_eq!(enc(b"numstr"), "int");
        assert_eq!(enc(b"emb"), "embstr");
        assert_eq!(enc(b"raw"), "raw");
        assert_eq!(enc(b"123"), "embstr");
        // Saving what was loaded gives the same records (the dicts iterate
        // in the same order only by chance, so compare sizes).
        assert_eq!(save(&l, &save_opts()).len(), out.len());
    }

    #[test]
    fn expired_keys_are_skipped() {
        let mut d = dbs(1);
        set(&mut d[0], b"old", Value::from_bytes(b"v"));
        set(&mut d[0], b"new", Value::from_bytes(b"v"));
        set(&mut d[0], b"plain", Value::from_bytes(b"v"));
        d[0].expires.insert(&b"old"[..], NOW_MS - 1);
        d[0].expires.insert(&b"new"[..], NOW_MS + 1);
        let out = save(&d, &save_opts());
        let (l, info) = load(&out, 1).unwrap();
        assert_eq!((info.keys_loaded, info.keys_expired), (2, 1));
        assert!(get(&l[0], b"old").is_none());
        assert_eq!(l[0].expires.len(), 1);
        assert_eq!(l[0].expires.get(b"new"), Some(&(NOW_MS + 1)));
    }

    /// A file built by hand: version 6, EXPIRETIME in seconds, IDLE and FREQ.
    /// The 64-bit id of module type `name` at encoding version 0 (Redis
    /// `moduleTypeEncodeId`'s layout: 9 six-bit characters, then 10 bits).
    fn module_id(name: &str) -> u64 {
        const CSET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut id = 0u64;
        for c in name.bytes() {
            let pos = CSET.iter().position(|&x| x == c).unwrap() as u64;
            id = (id << 6) | pos;
        }
        id << 10
    }

    fn handmade(version: &str, body: &[u8]) -> Vec<u8> {
        let mut f = format!("REDIS{version}").into_bytes();
        f.extend_from_slice(body);
        f.push(RDB_OPCODE_EOF);
        let ck = crc64::crc64(0, &f);
        f.extend_from_slice(&ck.to_le_bytes());
        f
    }

    #[test]
    fn old_opcodes_and_versions() {
        let secs = (NOW_MS / 1000 + 60) as i32;
        let mut body = vec![RDB_OPCODE_SELECTDB, 2, RDB_OPCODE_EXPIRETIME];
        body.extend_from_slice(&secs.to_le_bytes());
        body.extend_from_slice(b"\x00\x01a\x01b");
        body.extend_from_slice(b"\xf8\x05\x00\x01c\xc1\x00\x80"); // IDLE 5, int16 -32768
        body.extend_from_slice(b"\xf9\x09\x00\x01d\xc0\x01"); // FREQ 9
        for v in ["0006", "0009", "0010", "0011"] {
            let f = handmade(v, &body);
            let (l, info) = load(&f, 3).unwrap();
            assert_eq!(info.rdb_version, v.parse::<u32>().unwrap());
            assert_eq!(info.keys_loaded, 3);
            assert_eq!(get(&l[2], b"a").unwrap(), b"b");
            assert_eq!(l[2].expires.get(b"a"), Some(&(secs as i64 * 1000)));
            assert_eq!(get(&l[2], b"c").unwrap(), b"-32768");
            assert_eq!(get(&l[2], b"d").unwrap(), b"1");
        }
        // Versions before 5 carry no checksum.
        let mut f = b"REDIS0003".to_vec();
        f.extend_from_slice(b"\x00\x01k\x01v\xff");
        let (l, _) = load(&f, 1).unwrap();
        assert_eq!(get(&l[0], b"k").unwrap(), b"v");
        // IDLE and FREQ set the access field under LRU / LFU policies.
        let f = handmade("0010", b"\xf8\x05\x00\x01c\x01x\xf9\x09\x00\x01d\x01y");
        let mut d = dbs(1);
        let mut o = load_opts();
        o.tracking = AccessTracking::Lru;
        rdb_load_rio(&f[..], f.len() as u64, &mut d, &o).unwrap();
        assert_eq!(d[0].dict.get(b"c").unwrap().lru, 1234 - 5);
        assert_eq!(d[0].dict.get(b"d").unwrap().lru, 1234);
        let mut d = dbs(1);
        o.tracking = AccessTracking::Lfu;
        rdb_load_rio(&f[..], f.len() as u64, &mut d, &o).unwrap();
        assert_eq!(d[0].dict.get(b"d").unwrap().lru & 255, 9);
        assert_eq!(
            d[0].dict.get(b"c").unwrap().lru & 255,
            crate::evict::LFU_INIT_VAL
        );
    }

    #[test]
    fn idle_and_freq_are_saved_under_lru_and_lfu() {
        let mut d = dbs(1);
        d[0].dict
            .insert(&b"k"[..], RObj::new(Value::from_bytes(b"v"), 100));
        let mut o = save_opts();
        o.tracking = AccessTracking::Lru;
        o.lru_clock = 130;
        let out = save(&d, &o);
        let rec = b"\xf8\x1e\x00\x01k\x01v";
        assert!(out.windows(rec.len()).any(|w| w == rec), "IDLE 30 s");
        let mut lo = load_opts();
        lo.tracking = AccessTracking::Lru;
        lo.lru_clock = 1000;
        let mut l = dbs(1);
        rdb_load_rio(&out[..], out.len() as u64, &mut l, &lo).unwrap();
        assert_eq!(l[0].dict.get(b"k").unwrap().lru, 970);
        o.tracking = AccessTracking::Lfu;
        d[0].dict.get_mut(b"k").unwrap().lru =
            (crate::evict::lfu_time_in_minutes(NOW_MS) << 8) | 17;
        let out = save(&d, &o);
        let rec = b"\xf9\x11\x00\x01k\x01v";
        assert!(out.windows(rec.len()).any(|w| w == rec), "FREQ 17");
    }

    #[test]
    fn progress_is_reported_after_every_key() {
        let golden = include_bytes!("../tests/fixtures/redis-7.0.15-types.rdb");
        let mut d = dbs(16);
        let mut calls: Vec<(u64, u64)> = Vec::new();
        let info = rdb_load_rio_with_progress(
            &golden[..],
            golden.len() as u64,
            &mut d,
            &load_opts(),
            &mut |pos, info| calls.push((pos, info.keys_loaded)),
        )
        .unwrap();
        assert_eq!(calls.len() as u64, info.keys_loaded + info.keys_expired);
        assert!(
            calls
                .windows(2)
                .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1)
        );
        assert_eq!(calls.last().map(|c| c.1), Some(info.keys_loaded));
    }

    #[test]
    fn fuzz_findings_do_not_panic() {
        // cargo-fuzz (rdb_load): a ctime aux field near i64::MIN made the
        // "RDB age" subtraction overflow.
        let crash: &[u8] = b"\x52\x45\x44\x49\x53\x30\x30\x31\x30\xfa\x09\x64\x69\x73\x2d\x62\x69\x74\x73\x30\xc0\x40\xfa\x05\x63\x74\x69\x6d\x65\x38\x2d\x31\x30\x32\x37\x34\x32\x33\x35\x38\x38\x38\x38\x38\x38\x38\x38\x38\x38\x38\x38\x38\x38\x38\x38\x38\x38\x38\x38\x38\x38\x64\x62\x2d\x69\x69\x38\x38\x38\x38\x38\x38\x38\x33\x38\x38\x38\x38\x38\x38\x38\x38\x38\xc2\xf0\x0a\x00\x00\x00\x00\x00\x00\x00\x30\x01";
        rdb_load_fuzz(crash);
        let mut f = handmade("0010", b"");
        f.splice(
            9..9,
            b"\xfa\x05ctime\x14-9223372036854775808".iter().copied(),
        );
        let n = f.len();
        let crc = crc64::crc64(0, &f[..n - 8]);
        f[n - 8..].copy_from_slice(&crc.to_le_bytes());
        let (_, info) = load(&f, 1).unwrap();
        assert_eq!(info.ctime, Some(-9223372036854775807));
        assert_eq!(rdb_age_seconds(NOW_MS, -i64::MAX), i64::MAX);
        assert_eq!(rdb_age_seconds(NOW_MS, i64::MAX), 0);
        assert_eq!(rdb_age_seconds(NOW_MS, NOW_MS / 1000 - 5), 5);
    }

    #[test]
    fn check_report_of_sound_and_corrupt_files() {
        let dir = scratch("check");
        let path = dir.join("x.rdb");
        let golden = include_bytes!("../tests/fixtures/redis-7.0.15-types.rdb");
        std::fs::write(&path, golden).unwrap();
        let name = path.display().to_string();
        let (lines, sound) = rdb_check_file(&name, 16, &load_opts());
        assert!(sound, "{lines:#?}");
        // Exactly what redis-check-rdb 7.0.15 prints for this file.
        let want = [
            format!("[offset 0] Checking RDB file {name}"),
            "[offset 27] AUX FIELD redis-ver = '7.0.15'".into(),
            "[offset 41] AUX FIELD redis-bits = '64'".into(),
            "[offset 53] AUX FIELD ctime = '1795695240'".into(),
            "[offset 68] AUX FIELD used-mem = '1166792'".into(),
            "[offset 80] AUX FIELD aof-base = '0'".into(),
            "[offset 82] Selecting DB ID 0".into(),
            "[offset 781] Selecting DB ID 1".into(),
            "[offset 831] Checksum OK".into(),
            "[offset 831] \\o/ RDB looks OK! \\o/".into(),
            "[info] 13 keys read".into(),
            "[info] 2 expires".into(),
            "[info] 0 already expired".into(),
        ];
        assert_eq!(lines, want);
        // Cut inside a value: the report names the step, key and type.
        std::fs::write(&path, &golden[..200]).unwrap();
        let (lines, sound) = rdb_check_file(&name, 16, &load_opts());
        assert!(!sound);
        let err = lines
            .iter()
            .position(|l| l == "--- RDB ERROR DETECTED ---")
            .unwrap();
        assert!(
            lines[err + 1].ends_with("] Unexpected EOF reading RDB file"),
            "{lines:#?}"
        );
        assert!(
            lines[err + 2].starts_with("[additional info] While doing: "),
            "{lines:#?}"
        );
        assert!(lines.last().unwrap().starts_with("[info] "), "{lines:#?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn golden_file_from_redis() {
        // Written by redis-server 7.0.15: db 0 holds foo=bar, px=hello with a
        // PX TTL, n=12345, neg=-7, big=100000, huge=3000000000 and
        // comp='abcdefghij'*10 (LZF); db 3 holds db3key=v3.
        let golden = include_bytes!("../tests/fixtures/redis-7.0.15-strings.rdb");
        let (l, info) = load(golden, 16).unwrap();
        assert_eq!(info.rdb_version, 10);
        assert_eq!(info.keys_loaded, 8);
        assert_eq!(info.keys_expired, 0);
        assert_eq!(info.redis_ver.as_deref(), Some("7.0.15"));
        assert!(info.ctime.unwrap() > 1_700_000_000);
        assert!(info.used_mem.unwrap() > 0);
        assert_eq!(l[0].dict.len(), 7);
        assert_eq!(l[3].dict.len(), 1);
        assert_eq!(get(&l[0], b"foo").unwrap(), b"bar");
        assert_eq!(get(&l[0], b"px").unwrap(), b"hello");
        assert_eq!(get(&l[0], b"n").unwrap(), b"12345");
        assert_eq!(get(&l[0], b"neg").unwrap(), b"-7");
        assert_eq!(get(&l[0], b"big").unwrap(), b"100000");
        assert_eq!(get(&l[0], b"huge").unwrap(), b"3000000000");
        assert_eq!(get(&l[0], b"comp").unwrap(), b"abcdefghij".repeat(10));
        assert_eq!(get(&l[3], b"db3key").unwrap(), b"v3");
        assert_eq!(l[0].expires.len(), 1);
        let px = *l[0].expires.get(b"px").unwrap();
        assert!(px > info.ctime.unwrap() * 1000 + 90_000_000_000, "{px}");
        // Resaving and reloading keeps everything.
        let out = save(&l, &save_opts());
        let (l2, info2) = load(&out, 16).unwrap();
        assert_eq!(info2.keys_loaded, 8);
        assert_eq!(get(&l2[0], b"comp").unwrap(), b"abcdefghij".repeat(10));
        assert_eq!(l2[0].expires.get(b"px"), Some(&px));
    }

    #[test]
    fn every_prefix_of_a_file_is_an_error() {
        let golden = include_bytes!("../tests/fixtures/redis-7.0.15-strings.rdb");
        let mut d = dbs(16);
        set(&mut d[0], b"raw", Value::raw(b"hello world ".repeat(50)));
        set(&mut d[1], b"i", Value::Int(70000));
        d[1].expires.insert(&b"i"[..], NOW_MS + 1000);
        let ours = save(&d, &save_opts());
        for file in [&golden[..], &ours[..]] {
            for cut in 0..file.len() {
                let r = load(&file[..cut], 16);
                assert!(r.is_err(), "prefix {cut} loaded");
            }
            assert!(load(file, 16).is_ok());
        }
    }

    #[test]
    fn corrupt_files_are_errors() {
        let golden = include_bytes!("../tests/fixtures/redis-7.0.15-strings.rdb").to_vec();
        // Checksum.
        let mut f = golden.clone();
        let n = f.len();
        f[n - 1] ^= 1;
        match load(&f, 16) {
            Err(RdbLoadError::ChecksumMismatch { expected, got }) => {
                assert_eq!(expected ^ got, 1 << 56);
            }
            other => panic!("{:?}", other.map(|(_, i)| i)),
        }
        // ... not checked with rdbchecksum no.
        let mut d = dbs(16);
        let mut o = load_opts();
        o.verify_checksum = false;
        assert!(rdb_load_rio(&f[..], f.len() as u64, &mut d, &o).is_ok());
        // Signature and version.
        assert!(matches!(
            load(b"REDIX0010\xff", 1),
            Err(RdbLoadError::WrongSignature)
        ));
        assert!(matches!(
            load(b"REDIS0012\xff", 1),
            Err(RdbLoadError::BadVersion(12))
        ));
        assert!(matches!(
            load(b"REDIS0000\xff", 1),
            Err(RdbLoadError::BadVersion(0))
        ));
        assert!(matches!(
            load(b"REDISabcd\xff", 1),
            Err(RdbLoadError::BadVersion(0))
        ));
        // A database beyond `databases`.
        let f = handmade("0010", b"\xfe\x10");
        match load(&f, 16) {
            Err(
                e @ RdbLoadError::DbOutOfRange {
                    id: 16,
                    databases: 16,
                },
            ) => assert_eq!(
                e.to_string(),
                "FATAL: Data file was created with a Redis server configured to handle more than 16 databases. Exiting"
            ),
            other => panic!("{:?}", other.map(|(_, i)| i)),
        }
        // Unknown type, unsupported types, functions, module aux.
        match load(&handmade("0010", b"\x08\x01k\x01v"), 1) {
            Err(e @ RdbLoadError::ReadError { .. }) => {
                assert_eq!(e.to_string(), "Unknown RDB encoding type 8")
            }
            other => panic!("{:?}", other.map(|(_, i)| i)),
        }
        // An empty type-15 stream (no nodes, length 0, last id 0-0, no
        // groups) loads; cut short it is a short read.
        match load(&handmade("0010", b"\x0f\x01k\x00\x00\x00\x00\x00"), 1) {
            Ok((d, _)) => assert!(matches!(
                d[0].dict.get(&b"k"[..]).map(|o| &o.v),
                Some(Value::Stream(s)) if s.length == 0
            )),
            other => panic!("{:?}", other.map(|(_, i)| i)),
        }
        assert!(load(&handmade("0010", b"\x0f\x01k\x00"), 1).is_err());
        // A module value: its id names the module type, as Redis reports it
        // (the id of a type named "mymodtype" at encoding version 0).
        let id = module_id("mymodtype");
        assert_eq!(module_type_name_by_id(id), "mymodtype");
        let mut body = b"\x07\x01k\x81".to_vec();
        body.extend_from_slice(&id.to_be_bytes());
        match load(&handmade("0010", &body), 1) {
            Err(e @ RdbLoadError::Corrupt { .. }) => assert_eq!(
                e.to_string(),
                "The RDB file contains module data I can't load: no matching module type 'mymodtype'"
            ),
            other => panic!("{:?}", other.map(|(_, i)| i)),
        }
        // MODULE_AUX: no module can load it; a bad when-opcode is a read
        // error.
        let mut body = b"\xf7\x81".to_vec();
        body.extend_from_slice(&id.to_be_bytes());
        body.extend_from_slice(b"\x02\x02");
        match load(&handmade("0010", &body), 1) {
            Err(e @ RdbLoadError::ModuleAux { .. }) => assert_eq!(
                e.to_string(),
                "The RDB file contains AUX module data I can't load: no matching module 'mymodtype'"
            ),
            other => panic!("{:?}", other.map(|(_, i)| i)),
        }
        match load(&handmade("0010", b"\xf7\x01\x05\x02"), 1) {
            Err(e @ RdbLoadError::ModuleAux { .. }) => {
                assert_eq!(e.to_string(), "bad when_opcode")
            }
            other => panic!("{:?}", other.map(|(_, i)| i)),
        }
        // Functions: the payloads are collected for the caller to create.
        let lib = b"#!lua name=mylib\nredis.register_function('f', function() return 1 end)";
        let mut body = vec![RDB_OPCODE_FUNCTION2, 0x40, lib.len() as u8];
        body.extend_from_slice(lib);
        match load(&handmade("0010", &body), 1) {
            Ok((_, info)) => assert_eq!(info.functions, vec![lib.to_vec()]),
            other => panic!("{:?}", other.map(|(_, i)| i)),
        }
        for (payload, err) in [
            (&b"return 1"[..], "Missing library metadata"),
            (b"#!lua name=x", "Invalid library metadata"),
            (b"#!lua\n", "Library name was not given"),
            (
                b"#!lua name=a name=b\n",
                "Invalid metadata value, name argument was given multiple times",
            ),
            (b"#!lua foo=bar\n", "Invalid metadata value given: foo=bar"),
        ] {
            let mut body = vec![RDB_OPCODE_FUNCTION2, payload.len() as u8];
            body.extend_from_slice(payload);
            match load(&handmade("0010", &body), 1) {
                Err(RdbLoadError::FunctionLoad { err: e, .. }) => assert_eq!(e, err),
                other => panic!("{:?}", other.map(|(_, i)| i)),
            }
        }
        // The pre-GA record: name, engine, description flag, code.
        let body = b"\xf6\x05mylib\x03LUA\x00\x08return 1";
        match load(&handmade("0010", body), 1) {
            Ok((_, info)) => {
                assert_eq!(info.functions, vec![b"#!LUA name=mylib\nreturn 1".to_vec()])
            }
            other => panic!("{:?}", other.map(|(_, i)| i)),
        }
        match load(&handmade("0010", b"\xf5\x3fab"), 1) {
            Err(RdbLoadError::FunctionLoad { err, .. }) => {
                assert_eq!(err, "Failed loading library payload")
            }
            other => panic!("{:?}", other.map(|(_, i)| i)),
        }
        // Duplicate keys.
        match load(&handmade("0010", b"\x00\x01k\x01v\x00\x01k\x01w"), 1) {
            Err(e @ RdbLoadError::DuplicateKey { .. }) => {
                assert_eq!(e.to_string(), "RDB has duplicated key 'k' in DB 0")
            }
            other => panic!("{:?}", other.map(|(_, i)| i)),
        }
        // Bad LZF payload; LZF announcing an absurd length.
        assert!(matches!(
            load(&handmade("0010", b"\x00\x01k\xc3\x02\x05\x20\x00"), 1),
            Err(RdbLoadError::Corrupt { .. })
        ));
        assert!(matches!(
            load(
                &handmade("0010", b"\x00\x01k\xc3\x02\x80\x7f\xff\xff\xff\x00a"),
                1
            ),
            Err(RdbLoadError::Corrupt { .. })
        ));
        // Lengths beyond the file: short read, no allocation.
        assert!(matches!(
            load(
                &handmade("0010", b"\x00\x81\xff\xff\xff\xff\xff\xff\xff\xff"),
                1
            ),
            Err(RdbLoadError::ShortRead { .. })
        ));
        assert!(matches!(
            load(&handmade("0010", b"\x00\x01k\x80\xff\xff\xff\xff"), 1),
            Err(RdbLoadError::ShortRead { .. })
        ));
        // A huge RESIZEDB hint is cut down to the file size.
        let f = handmade(
            "0010",
            b"\xfb\x81\x00\xff\xff\xff\xff\xff\xff\xff\x80\xff\xff\xff\xff\x00\x01k\x01v",
        );
        let (l, _) = load(&f, 1).unwrap();
        assert!(l[0].dict.buckets() <= 16, "{}", l[0].dict.buckets());
    }

    #[test]
    fn mutated_files_never_panic() {
        let golden = include_bytes!("../tests/fixtures/redis-7.0.15-strings.rdb");
        for i in 9..golden.len() {
            for v in [0u8, 1, 0x3f, 0x40, 0x7f, 0x80, 0x81, 0xc0, 0xc3, 0xfe, 0xff] {
                let mut m = golden.to_vec();
                m[i] = v;
                rdb_load_fuzz(&m);
                let mut d = dbs(16);
                let mut o = load_opts();
                o.verify_checksum = false;
                let _ = rdb_load_rio(&m[..], m.len() as u64, &mut d, &o);
            }
        }
        rdb_load_fuzz(b"");
        rdb_load_fuzz(b"REDIS");
    }

    fn test_server(dir: &Path) -> Server {
        let mut cfg = crate::config::Config::default();
        cfg.dir = dir.display().to_string();
        Server::new(cfg).expect("server")
    }

    fn scratch(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "rustredis-rdb-unit-{}-{}-{}",
            tag,
            std::process::id(),
            crate::util::ustime()
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn save_and_load_files_through_the_server() {
        let dir = scratch("srv");
        let path = dir.join("dump.rdb");
        let path_s = path.display().to_string();
        let mut srv = test_server(&dir);
        set(&mut srv.dbs[0], b"a", Value::from_bytes(b"1x"));
        set(&mut srv.dbs[9], b"b", Value::Int(-5));
        srv.dbs[9]
            .expires
            .insert(&b"b"[..], crate::util::mstime() + 60_000);
        srv.dirty = 7;
        srv.lastsave = 0;
        rdb_save(&mut srv, &path_s).unwrap();
        assert_eq!(srv.dirty, 0);
        assert!(srv.lastsave > 1_700_000_000);
        // Only the final file is left behind.
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["dump.rdb".to_string()]);

        let mut srv2 = test_server(&dir);
        let info = rdb_load(&mut srv2, &path_s).unwrap();
        assert_eq!(info.keys_loaded, 2);
        assert_eq!(get(&srv2.dbs[0], b"a").unwrap(), b"1x");
        assert_eq!(get(&srv2.dbs[9], b"b").unwrap(), b"-5");
        assert!(srv2.dbs[9].expires.get(b"b").is_some());

        // Missing file, and a directory where the file should be.
        let mut srv3 = test_server(&dir);
        let missing = dir.join("nope.rdb").display().to_string();
        assert!(matches!(
            rdb_load(&mut srv3, &missing),
            Err(RdbLoadError::NotExist)
        ));
        let bad_target = dir
            .join("no-such-dir")
            .join("dump.rdb")
            .display()
            .to_string();
        assert!(rdb_save(&mut srv3, &bad_target).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn save_and_lastsave_commands() {
        let dir = scratch("cmd");
        let mut srv = test_server(&dir);
        // SAVE writes `dbfilename`, relative to the working directory; use
        // an absolute path here instead of changing the test's cwd.
        srv.config.dbfilename = dir.join("d.rdb").display().to_string();
        set(&mut srv.dbs[0], b"k", Value::from_bytes(b"v"));
        let mut c = Client::new(1, 0, None, String::new(), String::new(), 0);
        save_command(&mut srv, &mut c);
        lastsave_command(&mut srv, &mut c);
        let reply: Vec<u8> = c.reply.iter().flatten().copied().collect();
        assert_eq!(reply, format!("+OK\r\n:{}\r\n", srv.lastsave).into_bytes());
        assert!(dir.join("d.rdb").exists());
        // A save that cannot open its temp file replies -ERR.
        srv.config.dbfilename = dir.join("missing").join("d.rdb").display().to_string();
        let mut c = Client::new(2, 0, None, String::new(), String::new(), 0);
        save_command(&mut srv, &mut c);
        let reply: Vec<u8> = c.reply.iter().flatten().copied().collect();
        assert_eq!(reply, b"-ERR\r\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
