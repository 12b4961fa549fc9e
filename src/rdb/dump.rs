//! DUMP and RESTORE (Redis `cluster.c`'s "DUMP, RESTORE and MIGRATE"
//! section): one value serialized the way an RDB file stores it, and back.
//!
//! # The payload
//! ```text
//! <type u8> <value as rdbSaveObject writes it> <u16 LE RDB version> <u64 LE CRC-64>
//! ```
//! The type byte and value are exactly what [`super::rdb_save_object_to_vec`]
//! writes for a key record, so the bytes equal redis-server's for the same
//! value: integers, strings (LZF-compressed over 20 bytes with
//! `rdbcompression yes`, by a compressor that reproduces liblzf's output),
//! listpacks, intsets and quicklist nodes (inner nodes compressed as Redis
//! keeps them with `list-compress-depth`). Only the member order of a
//! `hashtable` set or hash differs, as it does between two Redis processes.
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
//! Module values (RDB types 6, 7) cannot be represented: RESTORE refuses
//! them with "Bad data format". Streams (15, 19) restore with their consumer
//! groups (`rdb/stream.rs`). MIGRATE, which sends RESTORE commands to another server, lives in
//! `rdb/migrate.rs`.

use bytes::Bytes;

use super::{RDB_VERSION, RdbLoadError, RdbReader, collections, rdb_save_object_to_vec};
use crate::commands::Handler;
use crate::config::SanitizeDumpPayload;
use crate::db;
use crate::networking::Client;
use crate::notify::{NOTIFY_GENERIC, notify_keyspace_event};
use crate::object::Value;
use crate::server::{LRU_CLOCK_MAX, LRU_CLOCK_RESOLUTION, Server};
use crate::shared;

/// DUMP and RESTORE, for the command table. RESTORE-ASKING (what MIGRATE
/// sends in cluster mode) is RESTORE outside a cluster, as in Redis.
pub static HANDLERS: &[(&str, Handler)] = &[
    ("dump", dump_command),
    ("restore", restore_command),
    ("restore-asking", restore_command),
];

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
    /// MIGRATE's connection cache (`rdb/migrate.rs`).
    pub migrate_cached_sockets: super::migrate::MigrateSockets,
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
    /// A value type this build cannot represent (modules).
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
    restore_load_value_sanitizing(payload, limits, sanitized, true)
}

/// [`restore_load_value`] for a client whose payloads Redis deep-checks
/// (`deep`) or not: the value is validated in depth either way; `deep`
/// only picks which of Redis's log lines a corrupt blob produces.
pub fn restore_load_value_sanitizing(
    payload: &[u8],
    limits: &super::EncodingLimits,
    sanitized: &mut u64,
    deep: bool,
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
    let mut rd = RdbReader::new(rest, rest.len() as u64, None);
    rd.deep_sanitize = deep;
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
///
/// # Latency
/// O(size of the value): the whole payload is built before the reply, as
/// Redis does.
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
fn deep_sanitization(srv: &Server, c: &Client) -> bool {
    match srv.config.sanitize_dump_payload {
        SanitizeDumpPayload::Yes => true,
        // A user with skip-sanitize-payload is spared (a master's stream
        // too, once replication exists).
        SanitizeDumpPayload::Clients => !c
            .user
            .as_ref()
            .is_some_and(|u| u.borrow().skip_sanitize_payload()),
        SanitizeDumpPayload::No => false,
    }
}

/// `RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds]
/// [FREQ frequency]` → `+OK`.
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
///
/// # Latency
/// O(size of the payload): the value is checked and built in one pass, as
/// Redis does.
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
    let deep = deep_sanitization(srv, c);
    let loaded = restore_load_value_sanitizing(&payload, &limits, &mut sanitized, deep);
    if deep {
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
    if ttl != 0 && ttl <= now && !srv.loading {
        if deleted {
            db::signal_modified_key(srv, dbid, &key);
            notify_keyspace_event(srv, NOTIFY_GENERIC, "del", &key, dbid);
            srv.dirty += 1;
            c.rewrite_command_vector(vec![Bytes::from_static(b"DEL"), key.clone()]);
        }
        crate::bio::lazy_free_value(v);
        c.add_reply_ok();
        return;
    }

    db::db_add(srv, dbid, &key, v);
    if ttl != 0 {
        db::set_expire(srv, dbid, &key, ttl);
        // A relative TTL is propagated as the absolute time, with ABSTTL.
        if !absttl && crate::server::propagating(srv) {
            let mut v = c.argv.clone();
            v[2] = Bytes::from(ttl.to_string());
            v.push(Bytes::from_static(b"ABSTTL"));
            c.rewrite_command_vector(v);
        }
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
/// find every element, and a DUMP/RESTORE round trip (under `limits`)
/// keeps its contents. For fuzz targets: RESTORE payloads here, whole
/// keyspaces after command sequences in `fuzz/fuzz_targets/command_seq.rs`.
pub fn check_sound(v: &Value, limits: &super::EncodingLimits) {
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
        Value::Stream(st) => {
            use crate::stream::StreamId;
            let fwd: Vec<(StreamId, Vec<Vec<u8>>)> = st
                .range(StreamId::MIN, StreamId::MAX, false)
                .map(|e| (e.id, e.to_vec()))
                .collect();
            let mut rev: Vec<(StreamId, Vec<Vec<u8>>)> = st
                .range(StreamId::MIN, StreamId::MAX, true)
                .map(|e| (e.id, e.to_vec()))
                .collect();
            rev.reverse();
            assert_eq!(fwd, rev, "stream walks disagree");
            assert_eq!(fwd.len() as u64, st.len(), "stream length disagrees");
            assert!(
                fwd.windows(2).all(|w| w[0].0 < w[1].0),
                "stream out of order"
            );
            for (id, fields) in &fwd {
                assert!(*id <= st.last_id, "entry after the last id");
                let got = st.get(*id).map(|e| e.to_vec());
                assert_eq!(got.as_ref(), Some(fields), "stream lookup disagrees");
                out.push(id.to_bytes());
                out.extend(fields.iter().cloned());
            }
            for (name, cg) in st.cgroups.iter().flatten() {
                out.push(name.to_vec());
                out.push(cg.last_id.to_bytes());
                for (cname, consumer) in &cg.consumers {
                    for id in &consumer.pel {
                        let owner = cg.pel.get(id).map(|n| &n.consumer);
                        assert_eq!(owner, Some(cname), "consumer PEL not in the group PEL");
                    }
                }
                for (id, nack) in &cg.pel {
                    let held = cg.consumers.get(&nack.consumer).map(|c| c.pel.contains(id));
                    assert_eq!(held, Some(true), "group PEL entry without its consumer");
                    out.push(id.to_bytes());
                    out.push(nack.consumer.to_vec());
                }
            }
        }
        _ => out.push(v.to_vec()),
    }
    (v.obj_type(), out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::RedisDb;
    use crate::rdb::{EncodingLimits, RdbLoadOptions, rdb_load_rio};

    const TYPES_FIXTURE: &[u8] = include_bytes!("../../tests/fixtures/redis-7.0.15-types.rdb");
    const LEGACY_FIXTURE: &[u8] = include_bytes!("../../tests/fixtures/legacy-handmade.rdb");

    /// A payload with a correct footer around `body` (type byte and value).
    fn with_footer(body: &[u8], version: u16) -> Vec<u8> {
        let mut p = body.to_vec();
        p.extend_from_slice(&version.to_le_bytes());
        let crc = crc64::crc64(0, &p);
        p.extend_from_slice(&crc.to_le_bytes());
        p
    }

    fn load(p: &[u8]) -> Result<Value, RestoreError> {
        let mut n = 0;
        restore_load_value(p, &EncodingLimits::default(), &mut n)
    }

    /// Payloads of every value in the two RDB fixtures (made by
    /// redis-server 7.0.15, and by hand for the legacy encodings), plus the
    /// fuzz corpus when it is there.
    fn seed_payloads() -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for file in [TYPES_FIXTURE, LEGACY_FIXTURE] {
            let mut dbs: Vec<RedisDb> = (0..16).map(RedisDb::new).collect();
            let opts = RdbLoadOptions::scratch();
            rdb_load_rio(file, file.len() as u64, &mut dbs, &opts).expect("fixture loads");
            for db in &dbs {
                for (_, o) in db.dict.iter() {
                    out.push(create_dump_payload(&o.v, false));
                    out.push(create_dump_payload(&o.v, true));
                }
            }
        }
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/restore_payload");
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                if let Ok(b) = std::fs::read(e.path()) {
                    out.push(b);
                }
            }
        }
        out
    }

    #[test]
    fn payload_bytes_match_redis() {
        // DUMPs taken from redis-server 7.0.15.
        assert_eq!(
            create_dump_payload(&Value::from_bytes(b"bar"), true),
            b"\x00\x03bar\n\x00\xe6\xbeI`\xeef\xfd\x17"
        );
        assert_eq!(
            create_dump_payload(&Value::from_bytes(b"12345"), true),
            b"\x00\xc190\n\x00\x9d\x94\xea'\x93\xfc\x08\xb9"
        );
    }

    #[test]
    fn footer_checks() {
        let good = create_dump_payload(&Value::from_bytes(b"bar"), true);
        assert_eq!(verify_dump_payload(&good, false), Some(10));
        assert_eq!(verify_dump_payload(&good[..9], true), None);
        assert_eq!(verify_dump_payload(b"", true), None);
        let mut bad = good.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert_eq!(verify_dump_payload(&bad, false), None);
        assert_eq!(verify_dump_payload(&bad, true), Some(10));
        // Older versions are accepted, newer ones never (checksum or not).
        assert_eq!(
            verify_dump_payload(&with_footer(b"\x00\x01a", 0), false),
            Some(0)
        );
        assert_eq!(
            verify_dump_payload(&with_footer(b"\x00\x01a", 9), false),
            Some(9)
        );
        assert_eq!(
            verify_dump_payload(&with_footer(b"\x00\x01a", 11), false),
            None
        );
        assert_eq!(
            verify_dump_payload(&with_footer(b"\x00\x01a", 11), true),
            None
        );
        assert_eq!(
            verify_dump_payload(&with_footer(b"\x00\x01a", 256), true),
            None
        );
    }

    #[test]
    fn values_load_like_redis() {
        // Bytes after the value are ignored; a value may run into the footer.
        let p = with_footer(b"\x00\x03valtrailing junk", 10);
        assert_eq!(load(&p).unwrap().to_vec(), b"val");
        let v = load(&[0u8; 10]).unwrap();
        assert_eq!(v.to_vec(), b"");
        let v = load(b"\x00\x09\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00").unwrap();
        assert_eq!(v.to_vec(), b"\x0a\x00\x00\x00\x00\x00\x00\x00\x00");
        // Type bytes Redis 7.0 does not know as values (8, opcodes, 7.2's
        // listpack sets), those this build cannot hold, empty collections.
        for t in [8u8, 20, 21, 200, 0xff] {
            let p = with_footer(&[t, 0], 10);
            assert!(matches!(load(&p), Err(RestoreError::UnknownType(x)) if x == t));
        }
        for t in [6u8, 7] {
            let p = with_footer(&[t, 0], 10);
            assert!(matches!(load(&p), Err(RestoreError::Unsupported(x)) if x == t));
        }
        // redis-server 7.0.15's DUMP of a stream emptied by XDEL (no nodes,
        // last id 5-0, max deleted 5-0, one entry added): an empty stream.
        let p = b"\x13\x00\x00\x05\x00\x00\x00\x05\x00\x01\x00\x0a\x00|M\xde\xc4\xdc,\xcb\xa7";
        match load(p) {
            Ok(Value::Stream(s)) => {
                assert_eq!((s.length, s.entries_added), (0, 1));
                assert_eq!(s.last_id, crate::stream::StreamId::new(5, 0));
                assert_eq!(s.max_deleted_entry_id, crate::stream::StreamId::new(5, 0));
            }
            other => panic!("{other:?}"),
        }
        for body in [
            &b"\x12\x00"[..],
            b"\x02\x00",
            b"\x04\x00",
            b"\x05\x00",
            b"\x03\x00",
            b"\x01\x00",
        ] {
            assert!(matches!(
                load(&with_footer(body, 10)),
                Err(RestoreError::Empty)
            ));
        }
        // A truncated value.
        let p = with_footer(b"\x00\x40", 10);
        assert!(matches!(load(&p), Err(RestoreError::Load(_))));
        // LZF announcing an empty string accepts any compressed bytes, as
        // liblzf's "0 bytes" result equals the announced 0 in Redis.
        let p = with_footer(b"\x00\xc3\x05\x40\x00\xe0\xff\xff\xff\xff", 10);
        assert_eq!(load(&p).unwrap().to_vec(), b"");
    }

    #[test]
    fn sanitization_counter_counts_blobs() {
        let mut dbs: Vec<RedisDb> = (0..16).map(RedisDb::new).collect();
        let opts = RdbLoadOptions::scratch();
        rdb_load_rio(TYPES_FIXTURE, TYPES_FIXTURE.len() as u64, &mut dbs, &opts).unwrap();
        let mut checked = Vec::new();
        for (k, o) in dbs[0].dict.iter() {
            let mut n = 0;
            let p = create_dump_payload(&o.v, false);
            restore_load_value(&p, &EncodingLimits::default(), &mut n).unwrap();
            checked.push((
                String::from_utf8_lossy(k).into_owned(),
                o.v.encoding_name(),
                n,
            ));
        }
        for (k, enc, n) in checked {
            let expected = match enc {
                "listpack" | "intset" => 1,
                // One per packed node.
                "quicklist" => n.max(1),
                _ => 0,
            };
            assert_eq!(n, expected, "{k} ({enc})");
        }
    }

    #[test]
    fn lru_and_lfu_from_options() {
        let now_ms = 1_700_000_000_000;
        let minutes = crate::evict::lfu_time_in_minutes(now_ms);
        assert_eq!(
            restore_lru(true, 100, -1, 0, now_ms),
            Some((minutes << 8) | 100)
        );
        assert_eq!(restore_lru(true, -1, 50, 1000, now_ms), None);
        assert_eq!(restore_lru(false, 100, -1, 1000, now_ms), None);
        assert_eq!(restore_lru(false, -1, 50, 1000, now_ms), Some(950));
        // The 24-bit clock wraps, as Redis's bitfield does.
        assert_eq!(
            restore_lru(false, -1, 50, 10, now_ms),
            Some(LRU_CLOCK_MAX - 40)
        );
        let far = restore_lru(false, -1, 100_000_000, 10, now_ms).unwrap();
        assert!(far <= LRU_CLOCK_MAX);
        assert_eq!(
            restore_lru(false, -1, i64::MAX, 10, now_ms).map(|v| v <= LRU_CLOCK_MAX),
            Some(true)
        );
    }

    #[test]
    fn every_seed_round_trips() {
        let seeds = seed_payloads();
        assert!(seeds.len() > 40);
        for p in &seeds {
            let v = load(p).unwrap_or_else(|e| panic!("seed refused: {e:?}"));
            check_sound(&v, &EncodingLimits::default());
            restore_payload_fuzz(p);
        }
    }

    #[test]
    fn every_truncation_is_refused_or_sound() {
        for p in seed_payloads() {
            let body = &p[..p.len() - DUMP_FOOTER_LEN];
            for cut in 0..body.len() {
                // Checksum and all: a truncated body with a good footer.
                let q = with_footer(&body[..cut], 10);
                restore_payload_fuzz(&q);
            }
        }
    }

    /// xorshift64*, for reproducible mutations.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    /// One to three random edits of the body (the footer is left alone):
    /// a byte set to a random or a boundary value, a byte inserted or
    /// removed, a bit flipped.
    fn mutate(p: &[u8], rng: &mut Rng) -> Vec<u8> {
        const EDGES: [u8; 12] = [
            0, 1, 0x3f, 0x40, 0x7f, 0x80, 0x81, 0xc0, 0xc3, 0xf0, 0xfe, 0xff,
        ];
        let mut body = p[..p.len() - DUMP_FOOTER_LEN].to_vec();
        for _ in 0..1 + rng.below(3) {
            if body.is_empty() {
                body.push(0);
            }
            let i = rng.below(body.len());
            match rng.below(6) {
                0 => body[i] = rng.next() as u8,
                1 => body[i] = EDGES[rng.below(EDGES.len())],
                2 => body.insert(i, EDGES[rng.below(EDGES.len())]),
                3 => {
                    body.remove(i);
                }
                4 => body[i] ^= 1 << rng.below(8),
                _ => body[i] = body[i].wrapping_add(1),
            }
        }
        body.extend_from_slice(&p[p.len() - DUMP_FOOTER_LEN..]);
        body
    }

    /// The in-process stand-in for the fuzz target: seeded random mutations
    /// of payloads of every type and encoding, each loaded as RESTORE does
    /// with checksums off under two sets of limits; whatever loads must be
    /// sound (see `restore_payload_fuzz`).
    #[test]
    fn mutated_payloads_are_refused_or_sound() {
        let seeds = seed_payloads();
        // DUMP_FUZZ_ROUNDS / DUMP_FUZZ_SEED make a longer soak run.
        let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
        let default_rounds = if cfg!(debug_assertions) { 100 } else { 1000 };
        let rounds = env("DUMP_FUZZ_ROUNDS").unwrap_or(default_rounds);
        let mut rng = Rng(env("DUMP_FUZZ_SEED").unwrap_or(0x9e37_79b9_7f4a_7c15) | 1);
        let mut accepted = 0;
        for p in &seeds {
            for _ in 0..rounds {
                let m = mutate(p, &mut rng);
                if load(&m).is_ok() {
                    accepted += 1;
                }
                if std::panic::catch_unwind(|| restore_payload_fuzz(&m)).is_err() {
                    panic!("mutated payload not handled: {:?}", m);
                }
            }
            // Every single byte of small payloads set to each boundary value.
            if p.len() <= 300 {
                for i in 0..p.len() - DUMP_FOOTER_LEN {
                    for v in [0u8, 0x40, 0x80, 0xc0, 0xff] {
                        let mut m = p.clone();
                        m[i] = v;
                        restore_payload_fuzz(&m);
                    }
                }
            }
        }
        assert!(accepted > 0);
    }

    // ---- The commands, on a server without sockets ----

    fn server() -> Server {
        Server::new(crate::config::Config::default()).expect("server")
    }

    fn run(srv: &mut Server, args: &[&[u8]]) -> Vec<u8> {
        let mut c = Client::new(1, 0, None, String::new(), String::new(), 0);
        c.argv = args
            .iter()
            .map(|a| bytes::Bytes::copy_from_slice(a))
            .collect();
        match args[0] {
            b"DUMP" => dump_command(srv, &mut c),
            _ => restore_command(srv, &mut c),
        }
        c.reply.iter().flatten().copied().collect()
    }

    #[test]
    fn restore_command_paths() {
        let mut srv = server();
        let p = create_dump_payload(&Value::from_bytes(b"bar"), true);
        assert_eq!(run(&mut srv, &[b"RESTORE", b"k", b"0", &p]), b"+OK\r\n");
        assert_eq!(srv.dirty, 1);
        let mut dumped = b"$15\r\n".to_vec();
        dumped.extend_from_slice(&p);
        dumped.extend_from_slice(b"\r\n");
        assert_eq!(run(&mut srv, &[b"DUMP", b"k"]), dumped);
        assert_eq!(run(&mut srv, &[b"DUMP", b"nokey"]), b"$-1\r\n");
        assert_eq!(
            run(&mut srv, &[b"RESTORE", b"k", b"0", &p]),
            b"-BUSYKEY Target key name already exists.\r\n"
        );
        // Options are checked before the key, the TTL after it.
        assert_eq!(
            run(&mut srv, &[b"RESTORE", b"k", b"x", &p, b"FREQ", b"256"]),
            b"-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n"
        );
        assert_eq!(
            run(&mut srv, &[b"RESTORE", b"k", b"x", &p, b"REPLACE"]),
            b"-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            run(&mut srv, &[b"RESTORE", b"k2", b"-1", &p]),
            b"-ERR Invalid TTL value, must be >= 0\r\n"
        );
        assert_eq!(
            run(
                &mut srv,
                &[
                    b"RESTORE",
                    b"k2",
                    b"0",
                    &p,
                    b"IDLETIME",
                    b"1",
                    b"FREQ",
                    b"1"
                ]
            ),
            b"-ERR syntax error\r\n"
        );
        assert_eq!(
            run(&mut srv, &[b"RESTORE", b"k2", b"0", b"short"]),
            b"-ERR DUMP payload version or checksum are wrong\r\n"
        );
        let empty = with_footer(b"\x12\x00", 10);
        assert_eq!(
            run(&mut srv, &[b"RESTORE", b"k2", b"0", &empty]),
            b"-ERR Bad data format\r\n"
        );
        assert_eq!(srv.dirty, 1);
        // TTLs: relative, absolute, already past (REPLACE deletes).
        assert_eq!(run(&mut srv, &[b"RESTORE", b"t", b"5000", &p]), b"+OK\r\n");
        let when = crate::db::get_expire(&srv, 0, b"t");
        let now = crate::util::mstime();
        assert!(when > now + 4000 && when <= now + 5000, "{when} {now}");
        assert_eq!(
            run(
                &mut srv,
                &[b"RESTORE", b"t", b"1000", &p, b"ABSTTL", b"REPLACE"]
            ),
            b"+OK\r\n"
        );
        assert!(!srv.dbs[0].dict.contains_key(&b"t"[..]));
        assert_eq!(crate::db::get_expire(&srv, 0, b"t"), -1);
        // Skipping the checksum.
        let mut bad = p.clone();
        *bad.last_mut().unwrap() ^= 0xff;
        assert!(run(&mut srv, &[b"RESTORE", b"s", b"0", &bad]).starts_with(b"-ERR DUMP"));
        srv.dump.skip_checksum_validation = true;
        assert_eq!(run(&mut srv, &[b"RESTORE", b"s", b"0", &bad]), b"+OK\r\n");
        // The sanitization counter follows sanitize-dump-payload.
        let mut lp = crate::t_hash::HashObj::new_listpack();
        if let crate::t_hash::HashObj::Listpack(l) = &mut lp {
            l.append(b"f");
            l.append(b"v");
        }
        let hp = create_dump_payload(&Value::Hash(lp), false);
        assert_eq!(run(&mut srv, &[b"RESTORE", b"h1", b"0", &hp]), b"+OK\r\n");
        assert_eq!(srv.dump.stat_dump_payload_sanitizations, 0);
        srv.config.sanitize_dump_payload = SanitizeDumpPayload::Yes;
        assert_eq!(run(&mut srv, &[b"RESTORE", b"h2", b"0", &hp]), b"+OK\r\n");
        assert_eq!(srv.dump.stat_dump_payload_sanitizations, 1);
    }
}
