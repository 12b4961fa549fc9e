//! DUMP and RESTORE (Redis `cluster.c`'s "DUMP, RESTORE and MIGRATE"
//! section): one value serialized the way an RDB file stores it, and back.
//!
//! # The payload
//! ```text
//! <type u8> <value as rdbSaveObject writes it> <u16 LE RDB version> <u64 LE CRC-64>
//! ```
//! The type byte and value are exactly what [`super::rdb_save_object_to_vec`]
//! writes for a key record (so the bytes equal redis-server's for the same
//! value wherever our encoders produce Redis's bytes: integers, short and
//! uncompressed strings, listpacks, intsets, quicklist nodes; an LZF-compressed
//! string or list node — `rdbcompression yes` and a string over 20 bytes, or
//! an inner node with `list-compress-depth` — may compress differently from
//! Redis's liblzf and so differ in bytes, though both servers load either).
//! The version is [`super::RDB_VERSION`] (10) and the checksum is the CRC-64
//! Jones (initial value 0) of every byte before it.
//!
//! # RESTORE's checks, in Redis's order
//! 1. options: `REPLACE`, `ABSTTL`, `IDLETIME seconds` (not with `FREQ`),
//!    `FREQ 0..255` (not with `IDLETIME`); anything else is a syntax error;
//! 2. the key must not exist (`BUSYKEY`) unless `REPLACE`;
//! 3. the TTL must be an integer `>= 0` (0: no expire);
//! 4. the footer: at least 10 bytes, a version no newer than ours, and the
//!    checksum unless `DEBUG SET-SKIP-CHECKSUM-VALIDATION 1`;
//! 5. the value: a type byte Redis 7.0 knows as a value type, then the
//!    value, read from the payload as a whole (footer included, as Redis's
//!    `rio` over the argument does: bytes after the value are ignored, and
//!    a value may even run into the footer). An empty collection, an unknown
//!    type and any malformed value are "Bad data format".
//!
//! Then the old key is deleted (`REPLACE`), and a TTL that is already in the
//! past deletes instead of adding (a "del" event when a key was deleted, no
//! "restore"). Otherwise the key is added (clients blocked on it may be
//! served), gets its TTL (relative TTLs are added to the current time), and
//! `IDLETIME` / `FREQ` set its LRU or LFU field as Redis's
//! `objectSetLRUOrLFU` does: `FREQ` under an LFU policy, `IDLETIME` under
//! any other.
//!
//! # Trust
//! The payload comes from a client and is never trusted, whatever
//! `sanitize-dump-payload` says: the loader (`rdb.rs`, `rdb/collections.rs`)
//! always validates every blob entry by entry and refuses duplicates, so a
//! payload is either loaded into a sound value or refused with "Bad data
//! format"; it cannot panic the server or leave a malformed value behind.
//! Redis with `sanitize-dump-payload no` (its default) checks less and may
//! accept a corrupt payload that it later crashes on; here such a payload is
//! refused in every mode. The setting still decides what INFO's
//! `dump_payload_sanitizations` counts (one per listpack or intset Redis
//! would have deep-checked), as in Redis: `yes` counts, `clients` counts
//! for ordinary clients (this server has no master link yet), `no` does not.
//!
//! # Not supported
//! Streams and module values (RDB types 6, 7, 15, 19) cannot be represented
//! yet: RESTORE refuses them with "Bad data format" where Redis restores
//! them. MIGRATE lives in `rdb/migrate.rs`.

use super::{RDB_VERSION, RdbLoadError, RdbReader, collections, rdb_save_object_to_vec};
use crate::commands::Handler;
use crate::config::SanitizeDumpPayload;
use crate::db;
use crate::networking::Client;
use crate::notify::{NOTIFY_GENERIC, notify_keyspace_event};
use crate::object::Value;
use crate::server::{LRU_CLOCK_MAX, LRU_CLOCK_RESOLUTION, Server};
use crate::shared;

/// DUMP and RESTORE, for the command table.
pub static HANDLERS: &[(&str, Handler)] = &[("dump", dump_command), ("restore", restore_command)];

/// Bytes of the footer: the RDB version (2) and the CRC-64 (8).
pub const DUMP_FOOTER_LEN: usize = 10;

/// The reply to a payload whose footer does not check out.
pub const ERR_PAYLOAD_VERSION_OR_CHECKSUM: &str = "ERR DUMP payload version or checksum are wrong";
/// The reply to a payload whose value cannot be loaded.
pub const ERR_BAD_DATA_FORMAT: &str = "ERR Bad data format";

/// DUMP/RESTORE state kept on the server.
#[derive(Debug, Default)]
pub struct DumpState {
    /// `DEBUG SET-SKIP-CHECKSUM-VALIDATION`: RESTORE (and RDB loading)
    /// skip the CRC-64 check (Redis `server.skip_checksum_validation`).
    pub skip_checksum_validation: bool,
    /// INFO `dump_payload_sanitizations`: blobs RESTORE deep-checked with
    /// `sanitize-dump-payload` asking for it.
    pub stat_dump_payload_sanitizations: u64,
}

// ---- DUMP / RESTORE ----

/// The DUMP payload of `v` (Redis `createDumpPayload`): type byte and
/// value as an RDB file holds them (strings over 20 bytes LZF-compressed
/// when `compress`, i.e. `rdbcompression`), the RDB version as two
/// little-endian bytes, and the CRC-64 of all that, little endian.
pub fn create_dump_payload(v: &Value, compress: bool) -> Vec<u8> {
    let (t, body) = rdb_save_object_to_vec(v, compress);
    let mut p = Vec::with_capacity(1 + body.len() + DUMP_FOOTER_LEN);
    p.push(t);
    p.extend_from_slice(&body);
    p.extend_from_slice(&(RDB_VERSION as u16).to_le_bytes());
    let crc = crc64::crc64(0, &p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

/// Checks a payload's footer (Redis `verifyDumpPayload`): at least 10
/// bytes, an RDB version no newer than [`RDB_VERSION`], and, unless
/// `skip_checksum`, a CRC-64 that matches. Returns the payload's version.
pub fn verify_dump_payload(p: &[u8], skip_checksum: bool) -> Option<u16> {
    if p.len() < DUMP_FOOTER_LEN {
        return None;
    }
    let footer = &p[p.len() - DUMP_FOOTER_LEN..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version as u32 > RDB_VERSION {
        return None;
    }
    if skip_checksum {
        return Some(version);
    }
    let crc = crc64::crc64(0, &p[..p.len() - 8]);
    (crc.to_le_bytes() == footer[2..]).then_some(version)
}

/// True for the bytes Redis 7.0 accepts as a value type in a payload
/// (`rdbIsObjectType`: 0..=7 and 9..=19).
fn rdb_is_object_type(t: u8) -> bool {
    t <= 7 || (9..=19).contains(&t)
}

/// Why a payload's value could not be loaded.
#[derive(Debug)]
pub enum RestoreError {
    /// Not a value type Redis 7.0 knows.
    UnknownType(u8),
    /// A value type this build cannot represent (streams, modules).
    Unsupported(u8),
    /// An empty collection (Redis refuses them too).
    Empty,
    /// The loader refused the value.
    Load(RdbLoadError),
}

/// Loads the value of a payload whose footer was checked: the type byte,
/// then the value read from the rest of the payload, footer included (the
/// bytes after the value are ignored, as Redis does). `sanitized` counts
/// the blobs Redis's deep sanitization would have checked.
pub fn restore_load_value(
    payload: &[u8],
    limits: &super::EncodingLimits,
    sanitized: &mut u64,
) -> Result<Value, RestoreError> {
    let Some((&t, rest)) = payload.split_first() else {
        return Err(RestoreError::UnknownType(0));
    };
    if !rdb_is_object_type(t) {
        return Err(RestoreError::UnknownType(t));
    }
    if !collections::rdb_type_loadable(t) {
        return Err(RestoreError::Unsupported(t));
    }
    let mut rd = RdbReader {
        r: rest,
        pos: 0,
        size: rest.len() as u64,
        cksum: None,
        sanitized: 0,
    };
    let res = rd.load_object(t, limits);
    *sanitized += rd.sanitized;
    match res {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(RestoreError::Empty),
        Err(e) => Err(RestoreError::Load(e)),
    }
}

/// DUMP key → bulk: the key's value as a RESTORE payload (see the module
/// docs); null when the key does not exist.
pub fn dump_command(srv: &mut Server, c: &mut Client) {
    let compress = srv.config.rdbcompression;
    let key = c.argv[1].clone();
    let Some(o) = db::lookup_key_read(srv, c.db, &key) else {
        c.add_reply_null();
        return;
    };
    let payload = create_dump_payload(&o.v, compress);
    c.add_reply_bulk(&payload);
}

/// The LRU/LFU field RESTORE gives a key (Redis `objectSetLRUOrLFU` with a
/// multiplier of 1000): under an LFU policy the FREQ counter stamped with
/// the current minute; under any other the access time `lru_idle` seconds
/// before `lru_clock` on the 24-bit clock. `None` when the option that
/// applies was not given.
fn restore_lru(
    lfu: bool,
    lfu_freq: i64,
    lru_idle: i64,
    lru_clock: u32,
    now_ms: i64,
) -> Option<u32> {
    if lfu {
        if lfu_freq >= 0 {
            return Some((crate::evict::lfu_time_in_minutes(now_ms) << 8) | lfu_freq as u32);
        }
        None
    } else if lru_idle >= 0 {
        let ticks = lru_idle.wrapping_mul(1000) / LRU_CLOCK_RESOLUTION;
        let mut abs = lru_clock as i64 - ticks;
        if abs < 0 {
            abs += LRU_CLOCK_MAX as i64;
        }
        // The 24-bit field keeps the low bits, as Redis's bitfield does.
        Some((abs & LRU_CLOCK_MAX as i64) as u32)
    } else {
        None
    }
}

/// Whether RESTORE's payloads are deep-checked by Redis for this client
/// (Redis `rdbLoadObject`'s `deep_integrity_validation`): only decides what
/// `dump_payload_sanitizations` counts, since this loader always checks.
fn deep_sanitization(srv: &Server) -> bool {
    match srv.config.sanitize_dump_payload {
        SanitizeDumpPayload::Yes => true,
        // Only a master's stream or a user with skip-sanitize-payload is
        // spared; neither exists here yet.
        SanitizeDumpPayload::Clients => true,
        SanitizeDumpPayload::No => false,
    }
}

/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds]
/// [FREQ frequency] → `+OK`.
///
/// Errors, in the order they are checked: "ERR syntax error" (unknown
/// option, IDLETIME with FREQ, missing option value), "ERR value is not an
/// integer or out of range" (IDLETIME/FREQ), "ERR Invalid IDLETIME value,
/// must be >= 0", "ERR Invalid FREQ value, must be >= 0 and <= 255",
/// "BUSYKEY Target key name already exists." (without REPLACE), the TTL's
/// "ERR value is not an integer or out of range" and "ERR Invalid TTL
/// value, must be >= 0", "ERR DUMP payload version or checksum are wrong",
/// "ERR Bad data format". A TTL of 0 means no expire; a TTL already past
/// (ABSTTL) deletes the key instead.
pub fn restore_command(srv: &mut Server, c: &mut Client) {
    let mut replace = false;
    let mut absttl = false;
    let mut lfu_freq: i64 = -1;
    let mut lru_idle: i64 = -1;
    let mut lru_clock: u32 = 0;
    let argc = c.argv.len();
    let mut j = 4;
    while j < argc {
        let additional = argc - j - 1;
        let opt = c.argv[j].clone();
        if opt.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if opt.eq_ignore_ascii_case(b"absttl") {
            absttl = true;
        } else if opt.eq_ignore_ascii_case(b"idletime") && additional >= 1 && lfu_freq == -1 {
            let arg = c.argv[j + 1].clone();
            let Some(v) = db::get_long_long_or_reply(c, &arg, None) else {
                return;
            };
            if v < 0 {
                c.add_reply_error("ERR Invalid IDLETIME value, must be >= 0");
                return;
            }
            lru_idle = v;
            lru_clock = srv.lru_clock();
            j += 1;
        } else if opt.eq_ignore_ascii_case(b"freq") && additional >= 1 && lru_idle == -1 {
            let arg = c.argv[j + 1].clone();
            let Some(v) = db::get_long_long_or_reply(c, &arg, None) else {
                return;
            };
            if !(0..=255).contains(&v) {
                c.add_reply_error("ERR Invalid FREQ value, must be >= 0 and <= 255");
                return;
            }
            lfu_freq = v;
            j += 1;
        } else {
            c.add_reply_error(shared::err_syntax());
            return;
        }
        j += 1;
    }

    let key = c.argv[1].clone();
    if !replace && db::lookup_key_write(srv, c.db, &key).is_some() {
        c.add_reply_error(shared::err_busy_key());
        return;
    }

    let ttl_arg = c.argv[2].clone();
    let Some(mut ttl) = db::get_long_long_or_reply(c, &ttl_arg, None) else {
        return;
    };
    if ttl < 0 {
        c.add_reply_error("ERR Invalid TTL value, must be >= 0");
        return;
    }

    let payload = c.argv[3].clone();
    if verify_dump_payload(&payload, srv.dump.skip_checksum_validation).is_none() {
        c.add_reply_error(ERR_PAYLOAD_VERSION_OR_CHECKSUM);
        return;
    }

    let limits = super::EncodingLimits::from_config(&srv.config);
    let mut sanitized = 0;
    let loaded = restore_load_value(&payload, &limits, &mut sanitized);
    if deep_sanitization(srv) {
        srv.dump.stat_dump_payload_sanitizations += sanitized;
    }
    let v = match loaded {
        Ok(v) => v,
        Err(e) => {
            if let RestoreError::Load(RdbLoadError::Corrupt { offset, reason }) = &e {
                // Redis logs its loader's complaint at verbose level.
                tracing::debug!(
                    "Internal error in RDB reading offset {}, function at rdb.rs -> {}",
                    offset,
                    reason
                );
            }
            c.add_reply_error(ERR_BAD_DATA_FORMAT);
            return;
        }
    };

    let dbid = c.db;
    let deleted = replace && db::db_delete(srv, dbid, &key);

    // Redis adds in C arithmetic: an absurd TTL wraps into the past.
    let now = crate::util::mstime();
    if ttl != 0 && !absttl {
        ttl = ttl.wrapping_add(now);
    }
    if ttl != 0 && ttl <= now {
        if deleted {
            db::signal_modified_key(srv, dbid, &key);
            notify_keyspace_event(srv, NOTIFY_GENERIC, "del", &key, dbid);
            srv.dirty += 1;
        }
        crate::bio::lazy_free_value(v);
        c.add_reply_ok();
        return;
    }

    db::db_add(srv, dbid, &key, v);
    if ttl != 0 {
        db::set_expire(srv, dbid, &key, ttl);
    }
    let lfu = srv.config.maxmemory_policy_is_lfu();
    if let Some(lru) = restore_lru(lfu, lfu_freq, lru_idle, lru_clock, now)
        && let Some(o) = srv.dbs[dbid].dict.get_mut(&key)
    {
        o.lru = lru;
    }
    db::signal_modified_key(srv, dbid, &key);
    notify_keyspace_event(srv, NOTIFY_GENERIC, "restore", &key, dbid);
    c.add_reply_ok();
    srv.dirty += 1;
}

/// Fuzz entry point for RESTORE payloads: `data` is a whole payload,
/// footer included, loaded as RESTORE does with checksum validation off
/// (as `DEBUG SET-SKIP-CHECKSUM-VALIDATION 1`). A value that loads must be
/// sound: it is dumped again, and the new payload must load into a value
/// that dumps to the same bytes. Never panics on a refused payload; panics
/// (the fuzzer's finding) only when an accepted value is not sound.
pub fn restore_payload_fuzz(data: &[u8]) {
    if verify_dump_payload(data, true).is_none() {
        return;
    }
    for limits in [
        super::EncodingLimits::default(),
        super::EncodingLimits {
            list_max_listpack_size: 2,
            list_compress_depth: 1,
            hash_max_listpack_entries: 2,
            hash_max_listpack_value: 4,
            set_max_intset_entries: 2,
            zset_max_listpack_entries: 2,
            zset_max_listpack_value: 4,
        },
    ] {
        let mut n = 0;
        let Ok(v) = restore_load_value(data, &limits, &mut n) else {
            continue;
        };
        check_sound(&v, &limits);
    }
}

/// Panics unless `v` is sound: every way of walking it agrees, lookups
/// find every element, and a DUMP/RESTORE round trip keeps its contents.
fn check_sound(v: &Value, limits: &super::EncodingLimits) {
    let before = canonical(v);
    let p = create_dump_payload(v, false);
    assert!(verify_dump_payload(&p, false).is_some());
    let mut n = 0;
    let v2 = match restore_load_value(&p, limits, &mut n) {
        Ok(v2) => v2,
        Err(e) => panic!("an accepted value does not reload: {:?}", e),
    };
    assert_eq!(
        before,
        canonical(&v2),
        "a value changed across DUMP/RESTORE"
    );
}

/// The contents of `v` in an order that does not depend on its encoding
/// (sorted for hashes and sets), after checking that its walks and
/// lookups agree with each other. Panics on any disagreement.
fn canonical(v: &Value) -> (crate::object::ObjType, Vec<Vec<u8>>) {
    let mut out: Vec<Vec<u8>> = Vec::new();
    match v {
        Value::List(ql) => {
            out = ql.iter().collect();
            assert_eq!(out.len(), ql.len());
            let mut back = Vec::new();
            let mut t = itoa::Buffer::new();
            ql.visit_from(-1, false, |e| {
                back.push(e.as_bytes(&mut t).to_vec());
                true
            });
            back.reverse();
            assert_eq!(out, back, "list walks disagree");
            if let (Some(first), Some(last)) = (out.first(), out.last()) {
                assert_eq!(ql.index(0).as_ref(), Some(first));
                assert_eq!(ql.index(-1).as_ref(), Some(last));
            }
        }
        Value::Hash(h) => {
            let mut pairs = Vec::new();
            h.for_each(|f, val| pairs.push((f.to_vec(), val.to_vec())));
            assert_eq!(pairs.len(), h.len());
            let mut t = itoa::Buffer::new();
            for (f, val) in &pairs {
                let got = h.hash_type_get(f).map(|g| g.as_bytes(&mut t).to_vec());
                assert_eq!(got.as_ref(), Some(val), "hash lookup disagrees");
            }
            pairs.sort();
            pairs.dedup_by(|a, b| a.0 == b.0);
            assert_eq!(pairs.len(), h.len(), "hash with duplicate fields");
            for (f, val) in pairs {
                out.push(f);
                out.push(val);
            }
        }
        Value::Set(s) => {
            s.for_each(|m| out.push(m.to_vec()));
            assert_eq!(out.len(), s.len());
            for m in &out {
                assert!(s.is_member(m), "set lookup disagrees");
            }
            out.sort();
            out.dedup();
            assert_eq!(out.len(), s.len(), "set with duplicate members");
        }
        Value::ZSet(z) => {
            let mut fwd: Vec<(Vec<u8>, f64)> = Vec::new();
            z.for_each(|m, sc| fwd.push((m.to_vec(), sc)));
            let mut rev: Vec<(Vec<u8>, f64)> = Vec::new();
            z.for_each_rev(|m, sc| rev.push((m.to_vec(), sc)));
            rev.reverse();
            assert_eq!(fwd.len(), z.len());
            assert!(
                fwd.iter()
                    .zip(rev.iter())
                    .all(|(a, b)| a.0 == b.0 && a.1.to_bits() == b.1.to_bits())
                    && fwd.len() == rev.len(),
                "zset walks disagree"
            );
            for w in fwd.windows(2) {
                let ((m1, s1), (m2, s2)) = (&w[0], &w[1]);
                assert!(s1 < s2 || (s1 == s2 && m1 < m2), "zset out of order");
            }
            for (m, sc) in &fwd {
                assert!(!sc.is_nan());
                assert_eq!(
                    z.score(m).map(f64::to_bits),
                    Some(sc.to_bits()),
                    "zset lookup disagrees"
                );
                out.push(m.clone());
                out.push(sc.to_bits().to_le_bytes().to_vec());
            }
        }
        _ => out.push(v.to_vec()),
    }
    (v.obj_type(), out)
}
