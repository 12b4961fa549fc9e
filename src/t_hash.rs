//! The hash type (Redis `t_hash.c`): HSET, HSETNX, HGET, HMGET, HMSET,
//! HDEL, HLEN, HSTRLEN, HEXISTS, HKEYS, HVALS, HGETALL, HINCRBY,
//! HINCRBYFLOAT, HRANDFIELD and HSCAN.
//!
//! # Encodings and conversion (Redis 7.0)
//! A hash is a [`HashObj`]:
//! - `listpack`: field, value, field, value... in one [`Listpack`] (Redis's
//!   byte format), in insertion order; lookups are linear scans;
//! - `hashtable`: a [`Dict`] from field to value.
//!
//! New hashes start as listpacks. A listpack becomes a hashtable, for good:
//! - before a write, when any argument of HSET / HMSET / HSETNX (fields and
//!   values alike) is longer than `hash-max-listpack-value`, or when the
//!   arguments would push the listpack past 1 GiB (Redis
//!   `hashTypeTryConversion`, `lpSafeToAdd`);
//! - in [`HashObj::hash_type_set`], when the field or the value being set is
//!   longer than `hash-max-listpack-value` (this is how HINCRBY and
//!   HINCRBYFLOAT convert, e.g. on a long field name or a long float);
//! - after an insert, when the hash has more than `hash-max-listpack-entries`
//!   fields.
//!
//! # Reply order
//! Listpacks reply in insertion order (an update keeps the field's place),
//! hashtables in bucket order.
//!
//! # Memory
//! `HashObj` is 24 bytes. A listpack hash is one exact-format allocation; a
//! hashtable entry holds its field and its value inline when they are at
//! most 22 bytes (one 64-byte allocation per field), else each in one boxed
//! slice of exact size.
//!
//! # Not yet
//! HINCRBYFLOAT is not yet rewritten as HSET for propagation: the server has
//! no AOF or replication feed yet (later issue).

use bytes::Bytes;

use crate::commands::Handler;
use crate::db::{check_type, db_add, lookup_key_read, lookup_key_write, signal_modified_key};
use crate::dict::{Dict, DictKey};
use crate::listpack::{Listpack, LpValue};
use crate::networking::{CLIENT_CLOSE_ASAP, Client};
use crate::notify::{NOTIFY_HASH, notify_keyspace_event};
use crate::object::{ObjType, RObj, Value};
use crate::server::{Server, with_argv};
use crate::shared;
use crate::t_set::{parse_scan_opts, reply_empty_scan, reply_scan_page};
use crate::util::{IncrFloatError, incr_by_float, parse_scan_cursor, string2ll};

/// Hash command handlers, by name.
pub static HANDLERS: &[(&str, Handler)] = &[
    ("hset", hset_command),
    ("hmset", hmset_command),
    ("hsetnx", hsetnx_command),
    ("hget", hget_command),
    ("hmget", hmget_command),
    ("hdel", hdel_command),
    ("hlen", hlen_command),
    ("hstrlen", hstrlen_command),
    ("hexists", hexists_command),
    ("hkeys", hkeys_command),
    ("hvals", hvals_command),
    ("hgetall", hgetall_command),
    ("hincrby", hincrby_command),
    ("hincrbyfloat", hincrbyfloat_command),
    ("hrandfield", hrandfield_command),
    ("hscan", hscan_command),
];

/// Largest listpack a hash may grow to (Redis `LISTPACK_MAX_SAFETY_SIZE`).
const LISTPACK_MAX_SAFETY_SIZE: usize = 1 << 30;
/// HRANDFIELD: copy-and-remove when `count * this > size` (Redis `HRANDFIELD_SUB_STRATEGY_MUL`).
const HRANDFIELD_SUB_STRATEGY_MUL: u64 = 3;

/// A hashtable value: inline up to 22 bytes, else one exact-size boxed slice.
pub type HashValue = DictKey;

// ---------------------------------------------------------------------------
// The hash value
// ---------------------------------------------------------------------------

/// A hash value: `listpack` or `hashtable` (see the module docs).
#[derive(Clone, Debug)]
pub enum HashObj {
    /// `listpack`: field, value, field, value... in insertion order.
    Listpack(Listpack),
    /// `hashtable`: field → value (boxed, so `HashObj` is 16 bytes and
    /// fits inline in a 24-byte `Value`).
    Table(Box<Dict<HashValue>>),
}

impl Default for HashObj {
    fn default() -> Self {
        HashObj::new_listpack()
    }
}

/// Iterator over a hash's (field, value) pairs.
pub enum HashIter<'a> {
    /// Over a listpack's elements, two at a time.
    Listpack(crate::listpack::Iter<'a>),
    /// Over a hashtable.
    Table(crate::dict::Iter<'a, HashValue>),
}

impl<'a> Iterator for HashIter<'a> {
    type Item = (LpValue<'a>, LpValue<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            HashIter::Listpack(it) => {
                let f = it.next()?;
                let v = it.next()?;
                Some((f, v))
            }
            HashIter::Table(it) => it
                .next()
                .map(|(k, v)| (LpValue::Str(k), LpValue::Str(&v[..]))),
        }
    }
}

/// Replies an element as a bulk string.
fn reply_lp(c: &mut Client, v: LpValue<'_>) {
    match v {
        LpValue::Str(s) => c.add_reply_bulk(s),
        LpValue::Int(i) => c.add_reply_bulk_long_long(i),
    }
}

impl HashObj {
    /// An empty `listpack` hash (Redis `createHashObject`).
    pub fn new_listpack() -> HashObj {
        HashObj::Listpack(Listpack::new())
    }

    /// Number of fields (Redis `hashTypeLength`).
    pub fn len(&self) -> usize {
        match self {
            HashObj::Listpack(lp) => lp.len() / 2,
            HashObj::Table(d) => d.len(),
        }
    }

    /// True if the hash has no fields.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING name.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            HashObj::Listpack(_) => "listpack",
            HashObj::Table(_) => "hashtable",
        }
    }

    /// Converts a listpack into a hashtable presized for its fields (Redis
    /// `hashTypeConvertListpack`); a no-op on a hashtable. A listpack with a
    /// duplicated field (only possible from a corrupt payload) keeps the
    /// last value.
    pub fn convert_to_hashtable(&mut self) {
        let HashObj::Listpack(lp) = self else {
            return;
        };
        let mut d: Dict<HashValue> = Dict::new();
        d.expand(lp.len() / 2);
        let mut it = lp.iter();
        let (mut tf, mut tv) = (itoa::Buffer::new(), itoa::Buffer::new());
        while let (Some(f), Some(v)) = (it.next(), it.next()) {
            d.insert(f.as_bytes(&mut tf), DictKey::from(v.as_bytes(&mut tv)));
        }
        *self = HashObj::Table(Box::new(d));
    }

    /// Redis `hashTypeTryConversion`: converts a listpack before a write of
    /// `args` (fields and values) when one is longer than `max_value` or the
    /// listpack would pass 1 GiB.
    pub fn try_conversion(&mut self, args: &[Bytes], max_value: u64) {
        let HashObj::Listpack(lp) = self else {
            return;
        };
        let mut sum = 0usize;
        for a in args {
            if a.len() as u64 > max_value {
                return self.convert_to_hashtable();
            }
            sum += a.len();
        }
        if lp.bytes().saturating_add(sum) > LISTPACK_MAX_SAFETY_SIZE {
            self.convert_to_hashtable();
        }
    }

    /// Sets `field` to `value` (Redis `hashTypeSet`); returns true if the
    /// field existed (an update), false if it was added. A listpack is
    /// converted first when the field or value is longer than `max_value`,
    /// and after an insert that leaves more than `max_entries` fields.
    pub fn hash_type_set(
        &mut self,
        field: &[u8],
        value: &[u8],
        max_entries: u64,
        max_value: u64,
    ) -> bool {
        if matches!(self, HashObj::Listpack(_))
            && (field.len() as u64 > max_value || value.len() as u64 > max_value)
        {
            self.convert_to_hashtable();
        }
        match self {
            HashObj::Listpack(lp) => {
                let found = lp.first().and_then(|p| lp.find(p, field, 1));
                let update = match found.and_then(|f| lp.next(f)) {
                    Some(vpos) => {
                        lp.replace(vpos, value);
                        true
                    }
                    None => {
                        lp.append(field);
                        lp.append(value);
                        false
                    }
                };
                if lp.len() as u64 / 2 > max_entries {
                    self.convert_to_hashtable();
                }
                update
            }
            HashObj::Table(d) => d.insert(field, DictKey::from(value)).is_some(),
        }
    }

    /// The value of `field` (Redis `hashTypeGetValue`); listpacks may hand
    /// back integers.
    pub fn hash_type_get(&self, field: &[u8]) -> Option<LpValue<'_>> {
        match self {
            HashObj::Listpack(lp) => {
                let f = lp.find(lp.first()?, field, 1)?;
                lp.next(f).map(|v| lp.get(v))
            }
            HashObj::Table(d) => d.get(field).map(|v| LpValue::Str(&v[..])),
        }
    }

    /// True if `field` exists (Redis `hashTypeExists`).
    pub fn hash_type_exists(&self, field: &[u8]) -> bool {
        self.hash_type_get(field).is_some()
    }

    /// Length of the value of `field`, 0 if absent (Redis
    /// `hashTypeGetValueLength`; integers count their decimal digits).
    pub fn hash_type_get_value_length(&self, field: &[u8]) -> usize {
        match self.hash_type_get(field) {
            Some(LpValue::Str(s)) => s.len(),
            Some(LpValue::Int(i)) => itoa::Buffer::new().format(i).len(),
            None => 0,
        }
    }

    /// Removes `field`; true if it existed (Redis `hashTypeDelete`). A
    /// hashtable starts shrinking once under 10% full.
    pub fn hash_type_delete(&mut self, field: &[u8]) -> bool {
        match self {
            HashObj::Listpack(lp) => {
                let Some(f) = lp.first().and_then(|p| lp.find(p, field, 1)) else {
                    return false;
                };
                if lp.delete(f).is_some() {
                    lp.delete(f);
                }
                true
            }
            HashObj::Table(d) => {
                if d.remove(field).is_some() {
                    d.shrink_to_fit_if_needed();
                    true
                } else {
                    false
                }
            }
        }
    }

    /// The (field, value) pairs: insertion order for a listpack, bucket
    /// order for a hashtable.
    pub fn iter(&self) -> HashIter<'_> {
        match self {
            HashObj::Listpack(lp) => HashIter::Listpack(lp.iter()),
            HashObj::Table(d) => HashIter::Table(d.iter()),
        }
    }

    /// Calls `f` with the bytes of every field and its value, in
    /// [`HashObj::iter`] order.
    pub fn for_each(&self, mut f: impl FnMut(&[u8], &[u8])) {
        let (mut tf, mut tv) = (itoa::Buffer::new(), itoa::Buffer::new());
        for (k, v) in self.iter() {
            f(k.as_bytes(&mut tf), v.as_bytes(&mut tv));
        }
    }

    /// Approximate heap bytes (the value itself is inline in `Value`).
    pub fn mem_usage(&self) -> usize {
        match self {
            HashObj::Listpack(lp) => lp.bytes(),
            HashObj::Table(d) => d.mem_usage() + d.values().map(|v| v.heap_len()).sum::<usize>(),
        }
    }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// The hash inside a value already type-checked as a hash.
fn hash_of(o: &mut RObj) -> Option<&mut HashObj> {
    match &mut o.v {
        Value::Hash(h) => Some(h),
        _ => None,
    }
}

/// Looks `key` up for reading and checks it is a hash: `Err(())` means
/// WRONGTYPE was replied.
fn lookup_hash_read<'a>(
    srv: &'a mut Server,
    c: &mut Client,
    key: &[u8],
) -> Result<Option<&'a mut HashObj>, ()> {
    match lookup_key_read(srv, c.db, key) {
        None => Ok(None),
        Some(o) => {
            if check_type(c, o, ObjType::Hash) {
                return Err(());
            }
            Ok(hash_of(o))
        }
    }
}

/// Redis `hashTypeLookupWriteOrCreate`: the hash at `key`, created empty
/// (and added to the keyspace) when missing; None after replying WRONGTYPE.
fn lookup_write_or_create<'a>(
    srv: &'a mut Server,
    c: &mut Client,
    key: &[u8],
) -> Option<&'a mut HashObj> {
    let db = c.db;
    match lookup_key_write(srv, db, key).map(|o| o.v.obj_type()) {
        Some(ObjType::Hash) => {}
        Some(_) => {
            c.add_reply_error(shared::err_wrong_type());
            return None;
        }
        None => db_add(srv, db, key, Value::Hash(HashObj::default())),
    }
    srv.dbs[db].dict.get_mut(key).and_then(hash_of)
}

/// Replies the value of `field`, or null (Redis `addHashFieldToReply`).
fn add_hash_field_to_reply(c: &mut Client, h: Option<&HashObj>, field: &[u8]) {
    match h.and_then(|h| h.hash_type_get(field)) {
        Some(v) => reply_lp(c, v),
        None => c.add_reply_null(),
    }
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

/// HSETNX key field value → `:1` if set, `:0` if the field existed. Creates
/// the hash (even when it ends up unchanged). Event "hset".
pub fn hsetnx_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let db = c.db;
        let (max_e, max_v) = (
            srv.config.hash_max_listpack_entries,
            srv.config.hash_max_listpack_value,
        );
        let Some(h) = lookup_write_or_create(srv, c, &argv[1]) else {
            return;
        };
        if h.hash_type_exists(&argv[2]) {
            return c.add_reply_long_long(0);
        }
        h.try_conversion(&argv[2..4], max_v);
        h.hash_type_set(&argv[2], &argv[3], max_e, max_v);
        c.add_reply_long_long(1);
        signal_modified_key(srv, db, &argv[1]);
        notify_keyspace_event(srv, NOTIFY_HASH, "hset", &argv[1], db);
        srv.dirty += 1;
    });
}

/// HSET / HMSET: sets every field/value pair; HSET replies the number of
/// new fields, HMSET `+OK`.
fn hset_generic(srv: &mut Server, c: &mut Client, argv: &[Bytes], name: &str) {
    if argv.len() % 2 == 1 {
        return c.add_reply_error(&shared::err_wrong_arity(name));
    }
    let db = c.db;
    let (max_e, max_v) = (
        srv.config.hash_max_listpack_entries,
        srv.config.hash_max_listpack_value,
    );
    let Some(h) = lookup_write_or_create(srv, c, &argv[1]) else {
        return;
    };
    h.try_conversion(&argv[2..], max_v);
    let mut created = 0i64;
    for pair in argv[2..].chunks_exact(2) {
        created += i64::from(!h.hash_type_set(&pair[0], &pair[1], max_e, max_v));
    }
    if name == "hset" {
        c.add_reply_long_long(created);
    } else {
        c.add_reply_ok();
    }
    signal_modified_key(srv, db, &argv[1]);
    notify_keyspace_event(srv, NOTIFY_HASH, "hset", &argv[1], db);
    srv.dirty += ((argv.len() - 2) / 2) as i64;
}

/// HSET key field value [field value ...] → integer: fields added (updates
/// not counted). An odd number of field/value arguments → "ERR wrong number
/// of arguments for 'hset' command". Event "hset".
pub fn hset_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| hset_generic(srv, c, argv, "hset"));
}

/// HMSET key field value [field value ...] → `+OK` (otherwise as HSET).
pub fn hmset_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| hset_generic(srv, c, argv, "hmset"));
}

/// HINCRBY key field increment → integer: the new value (a missing field
/// counts as 0). Errors: "ERR value is not an integer or out of range" (the
/// increment, checked first), "ERR hash value is not an integer", "ERR
/// increment or decrement would overflow". Event "hincrby".
pub fn hincrby_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let Some(incr) = string2ll(&argv[3]) else {
            return c.add_reply_error(shared::err_not_integer());
        };
        let db = c.db;
        let (max_e, max_v) = (
            srv.config.hash_max_listpack_entries,
            srv.config.hash_max_listpack_value,
        );
        let Some(h) = lookup_write_or_create(srv, c, &argv[1]) else {
            return;
        };
        let old = match h.hash_type_get(&argv[2]) {
            None => 0,
            Some(LpValue::Int(i)) => i,
            Some(LpValue::Str(s)) => match string2ll(s) {
                Some(i) => i,
                None => return c.add_reply_error("ERR hash value is not an integer"),
            },
        };
        let Some(value) = old.checked_add(incr) else {
            return c.add_reply_error(shared::err_overflow());
        };
        let mut b = itoa::Buffer::new();
        h.hash_type_set(&argv[2], b.format(value).as_bytes(), max_e, max_v);
        c.add_reply_long_long(value);
        signal_modified_key(srv, db, &argv[1]);
        notify_keyspace_event(srv, NOTIFY_HASH, "hincrby", &argv[1], db);
        srv.dirty += 1;
    });
}

/// HINCRBYFLOAT key field increment → bulk string: the new value, added in
/// long double and formatted as Redis does. Errors: "ERR value is not a
/// valid float" (the increment), "ERR value is NaN or Infinity" (an
/// infinite increment), "ERR hash value is not a float", "ERR increment
/// would produce NaN or Infinity". Event "hincrbyfloat".
pub fn hincrbyfloat_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let incr = &argv[3][..];
        match incr_by_float(b"0", incr) {
            Ok(_) => {}
            Err(IncrFloatError::NotAFloat) => return c.add_reply_error(shared::err_not_float()),
            Err(IncrFloatError::NanOrInf) => {
                return c.add_reply_error("ERR value is NaN or Infinity");
            }
        }
        let db = c.db;
        let (max_e, max_v) = (
            srv.config.hash_max_listpack_entries,
            srv.config.hash_max_listpack_value,
        );
        let Some(h) = lookup_write_or_create(srv, c, &argv[1]) else {
            return;
        };
        let sum = {
            let mut t = itoa::Buffer::new();
            let cur = match h.hash_type_get(&argv[2]) {
                None => &b"0"[..],
                Some(LpValue::Int(i)) => t.format(i).as_bytes(),
                Some(LpValue::Str(s)) => s,
            };
            incr_by_float(cur, incr)
        };
        let sum = match sum {
            Ok(s) => s,
            Err(IncrFloatError::NotAFloat) => {
                return c.add_reply_error("ERR hash value is not a float");
            }
            Err(IncrFloatError::NanOrInf) => {
                return c.add_reply_error("ERR increment would produce NaN or Infinity");
            }
        };
        h.hash_type_set(&argv[2], &sum, max_e, max_v);
        c.add_reply_bulk(&sum);
        signal_modified_key(srv, db, &argv[1]);
        notify_keyspace_event(srv, NOTIFY_HASH, "hincrbyfloat", &argv[1], db);
        srv.dirty += 1;
        // Propagated as HSET key field <new value>.
        if crate::server::propagating(srv) {
            c.rewrite_command_vector(vec![
                Bytes::from_static(b"HSET"),
                argv[1].clone(),
                argv[2].clone(),
                Bytes::copy_from_slice(&sum),
            ]);
        }
    });
}

/// HGET key field → bulk string, or null for a missing key or field.
pub fn hget_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let Ok(h) = lookup_hash_read(srv, c, &argv[1]) else {
            return;
        };
        add_hash_field_to_reply(c, h.as_deref(), &argv[2]);
    });
}

/// HMGET key field [field ...] → array of values, null for each missing
/// field (all null for a missing key).
pub fn hmget_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let Ok(h) = lookup_hash_read(srv, c, &argv[1]) else {
            return;
        };
        let h = h.as_deref();
        c.add_reply_array_len(argv.len() - 2);
        for f in &argv[2..] {
            add_hash_field_to_reply(c, h, f);
        }
    });
}

/// HDEL key field [field ...] → integer: fields removed. Deletes the key
/// when it empties. Events "hdel" (and "del").
pub fn hdel_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let db = c.db;
        let key = &argv[1];
        let Some(o) = lookup_key_write(srv, db, key) else {
            return c.add_reply_long_long(0);
        };
        if check_type(c, o, ObjType::Hash) {
            return;
        }
        let Some(h) = hash_of(o) else { return };
        let mut deleted = 0i64;
        let mut emptied = false;
        for f in &argv[2..] {
            if h.hash_type_delete(f) {
                deleted += 1;
                if h.is_empty() {
                    emptied = true;
                    break;
                }
            }
        }
        crate::db::removed_from_collection(srv, db, key, NOTIFY_HASH, "hdel", deleted, emptied);
        c.add_reply_long_long(deleted);
    });
}

/// HLEN key → integer: number of fields (0 for a missing key).
pub fn hlen_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let Ok(h) = lookup_hash_read(srv, c, &argv[1]) else {
            return;
        };
        c.add_reply_long_long(h.map_or(0, |h| h.len() as i64));
    });
}

/// HSTRLEN key field → integer: length of the value (0 if missing).
pub fn hstrlen_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let Ok(h) = lookup_hash_read(srv, c, &argv[1]) else {
            return;
        };
        let n = h.map_or(0, |h| h.hash_type_get_value_length(&argv[2]));
        c.add_reply_long_long(n as i64);
    });
}

/// HEXISTS key field → `:1` or `:0`.
pub fn hexists_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let Ok(h) = lookup_hash_read(srv, c, &argv[1]) else {
            return;
        };
        let e = h.is_some_and(|h| h.hash_type_exists(&argv[2]));
        c.add_reply_long_long(i64::from(e));
    });
}

const OBJ_HASH_KEY: u8 = 1;
const OBJ_HASH_VALUE: u8 = 2;

/// HKEYS / HVALS / HGETALL (Redis `genericHgetallCommand`): fields and/or
/// values; HGETALL is a map in RESP3.
fn generic_hgetall(srv: &mut Server, c: &mut Client, key: &[u8], flags: u8) {
    let both = flags == OBJ_HASH_KEY | OBJ_HASH_VALUE;
    let Ok(h) = lookup_hash_read(srv, c, key) else {
        return;
    };
    let Some(h) = h else {
        return if both {
            c.add_reply_map_len(0)
        } else {
            c.add_reply_array_len(0)
        };
    };
    if both {
        c.add_reply_map_len(h.len());
    } else {
        c.add_reply_array_len(h.len());
    }
    for (f, v) in h.iter() {
        if flags & OBJ_HASH_KEY != 0 {
            reply_lp(c, f);
        }
        if flags & OBJ_HASH_VALUE != 0 {
            reply_lp(c, v);
        }
    }
}

/// HKEYS key → array of the fields (empty for a missing key).
pub fn hkeys_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        generic_hgetall(srv, c, &argv[1], OBJ_HASH_KEY)
    });
}

/// HVALS key → array of the values (empty for a missing key).
pub fn hvals_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        generic_hgetall(srv, c, &argv[1], OBJ_HASH_VALUE)
    });
}

/// HGETALL key → map field → value (a flat array in RESP2; empty for a
/// missing key).
pub fn hgetall_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        generic_hgetall(srv, c, &argv[1], OBJ_HASH_KEY | OBJ_HASH_VALUE)
    });
}

/// HSCAN key cursor [MATCH pattern] [COUNT count] → [next cursor, [field,
/// value, ...]]. A listpack is returned whole with cursor 0; a hashtable is
/// walked with the dict cursor, about COUNT fields per call. MATCH filters
/// on the field. Errors: "ERR invalid cursor", then (only for an existing
/// hash) the option errors of [`parse_scan_opts`].
///
/// # Latency
/// At most `20 * COUNT + 1` buckets per call on a hashtable; a listpack is
/// small by construction (`hash-max-listpack-entries`).
pub fn hscan_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let Some(cursor) = parse_scan_cursor(&argv[2]) else {
            return c.add_reply_error("ERR invalid cursor");
        };
        let Ok(h) = lookup_hash_read(srv, c, &argv[1]) else {
            return;
        };
        let Some(h) = h else {
            return reply_empty_scan(c);
        };
        let Some(opts) = parse_scan_opts(c, argv, 3) else {
            return;
        };
        let mut items: Vec<Vec<u8>> = Vec::new();
        let next = match h {
            HashObj::Listpack(_) => {
                h.for_each(|f, v| {
                    items.push(f.to_vec());
                    items.push(v.to_vec());
                });
                0
            }
            HashObj::Table(d) => {
                let count = opts.count.saturating_mul(2);
                let mut maxiter = count.saturating_mul(10);
                let mut cur = cursor;
                loop {
                    cur = d.scan(cur, |k, v| {
                        items.push(k.to_vec());
                        items.push(v.to_vec());
                    });
                    if cur == 0 || maxiter <= 0 || items.len() as i64 >= count {
                        break;
                    }
                    maxiter -= 1;
                }
                cur
            }
        };
        reply_scan_page(c, next, &items, true, opts.pattern.as_deref());
    });
}

/// Replies one HRANDFIELD pick: the field, plus its value with
/// `withvalues` (a nested pair in RESP3).
fn reply_pick(c: &mut Client, f: LpValue<'_>, v: LpValue<'_>, withvalues: bool) {
    if withvalues && c.resp > 2 {
        c.add_reply_array_len(2);
    }
    reply_lp(c, f);
    if withvalues {
        reply_lp(c, v);
    }
}

/// HRANDFIELD key [count [WITHVALUES]] → without count: a random field (null
/// for a missing key); with count ≥ 0: up to `count` distinct fields; with
/// a negative count: exactly `-count` fields, repeats allowed. WITHVALUES
/// adds each value (RESP2: a flat array; RESP3: [field, value] pairs).
/// Errors: "ERR value is not an integer or out of range", "ERR value is out
/// of range, value must between -9223372036854775807 and
/// 9223372036854775807", "ERR value is out of range" (WITHVALUES with
/// |count| > 2^62), "ERR syntax error".
pub fn hrandfield_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        if argv.len() >= 3 {
            let Some(l) = string2ll(&argv[2]) else {
                return c.add_reply_error(shared::err_not_integer());
            };
            if l == i64::MIN {
                return c.add_reply_error(
                    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
                );
            }
            let withvalues = argv.len() == 4;
            if argv.len() > 4 || (withvalues && !argv[3].eq_ignore_ascii_case(b"withvalues")) {
                return c.add_reply_error(shared::err_syntax());
            }
            if withvalues && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
                return c.add_reply_error("ERR value is out of range");
            }
            return hrandfield_with_count(srv, c, &argv[1], l, withvalues);
        }
        let Ok(h) = lookup_hash_read(srv, c, &argv[1]) else {
            return;
        };
        let Some(h) = h else {
            return c.add_reply_null();
        };
        match h {
            HashObj::Listpack(lp) => {
                let n = lp.len() / 2;
                if n == 0 {
                    return c.add_reply_null();
                }
                let idx = rand::random_range(0..n) as i64 * 2;
                match lp.seek(idx) {
                    Some(p) => reply_lp(c, lp.get(p)),
                    None => c.add_reply_null(),
                }
            }
            HashObj::Table(d) => match d.random_entry() {
                Some((k, _)) => c.add_reply_bulk(k),
                None => c.add_reply_null(),
            },
        }
    });
}

/// HRANDFIELD key count [WITHVALUES] (see [`hrandfield_command`]), after
/// Redis's `hrandfieldWithCountCommand` cases.
fn hrandfield_with_count(srv: &mut Server, c: &mut Client, key: &[u8], l: i64, withvalues: bool) {
    let Ok(h) = lookup_hash_read(srv, c, key) else {
        return;
    };
    let Some(h) = h else {
        return c.add_reply_array_len(0);
    };
    let size = h.len() as u64;
    let (count, uniq) = if l >= 0 {
        (l as u64, true)
    } else {
        (l.unsigned_abs(), false)
    };
    if count == 0 {
        return c.add_reply_array_len(0);
    }
    let resp2_flat = withvalues && c.resp == 2;
    // Case 1: repeats allowed (or one field): sample each time.
    if !uniq || count == 1 {
        c.add_reply_array_len(if resp2_flat {
            count as usize * 2
        } else {
            count as usize
        });
        match h {
            HashObj::Table(d) => {
                for _ in 0..count {
                    let Some((k, v)) = d.random_entry() else {
                        break;
                    };
                    reply_pick(c, LpValue::Str(k), LpValue::Str(&v[..]), withvalues);
                    if c.flags & CLIENT_CLOSE_ASAP != 0 {
                        break;
                    }
                }
            }
            HashObj::Listpack(lp) => {
                let pairs: Vec<(LpValue<'_>, LpValue<'_>)> =
                    HashIter::Listpack(lp.iter()).collect();
                if pairs.is_empty() {
                    return;
                }
                for _ in 0..count {
                    let (f, v) = pairs[rand::random_range(0..pairs.len())];
                    reply_pick(c, f, v, withvalues);
                    if c.flags & CLIENT_CLOSE_ASAP != 0 {
                        break;
                    }
                }
            }
        }
        return;
    }
    let reply_size = count.min(size) as usize;
    c.add_reply_array_len(if resp2_flat {
        reply_size * 2
    } else {
        reply_size
    });
    // Case 2: the whole hash.
    if count >= size {
        for (f, v) in h.iter() {
            reply_pick(c, f, v, withvalues);
        }
        return;
    }
    let count = count as usize;
    // Case 3: copy everything, then drop random fields.
    if count as u64 * HRANDFIELD_SUB_STRATEGY_MUL > size {
        let mut d: Dict<HashValue> = Dict::new();
        d.expand(size as usize);
        h.for_each(|f, v| {
            d.insert(f, DictKey::from(if withvalues { v } else { b"" }));
        });
        while d.len() > count {
            let Some(k) = d.random_entry().map(|(k, _)| k.to_vec()) else {
                break;
            };
            d.remove(&k);
        }
        for (k, v) in d.iter() {
            reply_pick(c, LpValue::Str(k), LpValue::Str(&v[..]), withvalues);
        }
        return;
    }
    // Case 4: few fields of many.
    match h {
        HashObj::Listpack(lp) => {
            // Selection sampling: one pass, picks come out in listpack order.
            let mut needed = count;
            let mut left = size as usize;
            for (f, v) in HashIter::Listpack(lp.iter()) {
                if needed == 0 {
                    break;
                }
                if rand::random_range(0..left) < needed {
                    reply_pick(c, f, v, withvalues);
                    needed -= 1;
                }
                left -= 1;
            }
        }
        HashObj::Table(d) => {
            let mut seen: Dict<()> = Dict::new();
            seen.expand(count);
            while seen.len() < count {
                let Some((k, v)) = d.random_entry() else {
                    break;
                };
                if seen.contains_key(k) {
                    continue;
                }
                seen.insert(k, ());
                reply_pick(c, LpValue::Str(k), LpValue::Str(&v[..]), withvalues);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(h: &HashObj) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut v = Vec::new();
        h.for_each(|f, x| v.push((f.to_vec(), x.to_vec())));
        v
    }

    #[test]
    fn sizes() {
        assert_eq!(std::mem::size_of::<HashObj>(), 16);
    }

    #[test]
    fn listpack_set_get_delete_in_order() {
        let mut h = HashObj::new_listpack();
        assert!(!h.hash_type_set(b"a", b"1", 512, 64));
        assert!(!h.hash_type_set(b"b", b"x", 512, 64));
        assert!(h.hash_type_set(b"a", b"hello", 512, 64));
        assert_eq!(h.len(), 2);
        assert_eq!(h.encoding_name(), "listpack");
        assert_eq!(h.hash_type_get(b"a"), Some(LpValue::Str(b"hello")));
        assert_eq!(h.hash_type_get(b"b"), Some(LpValue::Str(b"x")));
        assert_eq!(h.hash_type_get(b"x"), None);
        assert_eq!(h.hash_type_get_value_length(b"a"), 5);
        // Fields that look like values do not match values.
        assert!(!h.hash_type_exists(b"hello"));
        h.hash_type_set(b"n", b"-123", 512, 64);
        assert_eq!(h.hash_type_get(b"n"), Some(LpValue::Int(-123)));
        assert_eq!(h.hash_type_get_value_length(b"n"), 4);
        assert_eq!(
            pairs(&h),
            vec![
                (b"a".to_vec(), b"hello".to_vec()),
                (b"b".to_vec(), b"x".to_vec()),
                (b"n".to_vec(), b"-123".to_vec())
            ]
        );
        assert!(h.hash_type_delete(b"b"));
        assert!(!h.hash_type_delete(b"b"));
        assert_eq!(h.len(), 2);
        assert!(h.hash_type_delete(b"a") && h.hash_type_delete(b"n"));
        assert!(h.is_empty());
    }

    #[test]
    fn converts_past_max_entries() {
        let mut h = HashObj::new_listpack();
        for i in 0..4 {
            h.hash_type_set(format!("f{i}").as_bytes(), b"v", 4, 64);
        }
        assert_eq!(h.encoding_name(), "listpack");
        h.hash_type_set(b"f0", b"w", 4, 64);
        assert_eq!(h.encoding_name(), "listpack", "an update does not convert");
        h.hash_type_set(b"f4", b"v", 4, 64);
        assert_eq!(h.encoding_name(), "hashtable");
        assert_eq!(h.len(), 5);
        assert_eq!(h.hash_type_get(b"f0"), Some(LpValue::Str(b"w")));
        // Never back.
        for i in 0..5 {
            h.hash_type_delete(format!("f{i}").as_bytes());
        }
        assert_eq!(h.encoding_name(), "hashtable");
    }

    #[test]
    fn converts_on_long_field_or_value() {
        let long = [b'x'; 65];
        let mut h = HashObj::new_listpack();
        h.hash_type_set(b"a", &long[..64], 512, 64);
        assert_eq!(h.encoding_name(), "listpack");
        h.hash_type_set(b"b", &long, 512, 64);
        assert_eq!(h.encoding_name(), "hashtable");
        let mut h = HashObj::new_listpack();
        h.hash_type_set(&long, b"v", 512, 64);
        assert_eq!(h.encoding_name(), "hashtable");
        assert_eq!(h.hash_type_get(&long), Some(LpValue::Str(b"v")));
        // try_conversion looks at every argument.
        let mut h = HashObj::new_listpack();
        h.try_conversion(&[Bytes::from_static(b"f"), Bytes::from(long.to_vec())], 64);
        assert_eq!(h.encoding_name(), "hashtable");
        let mut h = HashObj::new_listpack();
        h.try_conversion(&[Bytes::from_static(b"f"), Bytes::from_static(b"v")], 64);
        assert_eq!(h.encoding_name(), "listpack");
        // max 0 entries: the first insert converts.
        let mut h = HashObj::new_listpack();
        h.hash_type_set(b"a", b"1", 0, 64);
        assert_eq!(h.encoding_name(), "hashtable");
    }

    #[test]
    fn conversion_keeps_pairs() {
        let mut h = HashObj::new_listpack();
        for i in 0..20 {
            h.hash_type_set(
                format!("k{i}").as_bytes(),
                i.to_string().as_bytes(),
                1000,
                64,
            );
        }
        let mut before = pairs(&h);
        h.convert_to_hashtable();
        let mut after = pairs(&h);
        before.sort();
        after.sort();
        assert_eq!(before, after);
    }
}
