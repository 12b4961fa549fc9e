//! Values stored in the keyspace (Redis `object.c`): [`RObj`], its
//! encodings, and the LRU/LFU access field.
//!
//! # Layout
//! Memory per key is a product feature, so a value is a 24-byte enum:
//! - `Int(i64)`: Redis's `int` encoding, unboxed (Redis shares 0..9999 and
//!   reports their refcount as `INT_MAX`; we derive that from the value).
//! - `Inline`: an `embstr` of at most 22 bytes kept inside the enum itself,
//!   so a short string value costs no allocation at all.
//! - `Emb(Box<[u8]>)`: an immutable string of 23 bytes or more in one
//!   exact-size allocation: `embstr` up to 44 bytes, `raw` beyond. A `raw`
//!   string that SET (or an RDB load) creates has no spare room in Redis
//!   either (`createRawStringObject` allocates exactly), so it needs no
//!   capacity field: the length lives in the fat pointer, the allocation
//!   is 16 bytes smaller than with a header, it is built with one `memcpy`,
//!   and freeing it (an overwrite, an eviction) never reads the freed
//!   memory, whose size the pointer already knows.
//! - `Raw(ThinVec<u8>)`: the growable `raw` string of APPEND, SETRANGE and
//!   the bit and HyperLogLog commands, with spare capacity: one allocation
//!   holding length, capacity and bytes (like an sds), behind a thin
//!   pointer so the enum stays 24 bytes. [`Value::make_raw`] turns any
//!   string into one before such an edit.
//! - `List(Box<Quicklist>)`: boxed, the quicklist header being bigger.
//! - `Hash`, `Set`, `ZSet`: the type's own 16-byte value held inline
//!   (`t_hash.rs`, `t_set.rs`, `t_zset.rs`), which knows its encodings and
//!   its conversion rules: the compact encoding is the listpack/intset
//!   handle itself (one exact-size allocation per key, as in Redis), the
//!   big one a box holding the dict or skiplist.
//!
//! Generic commands treat every type alike through [`Value::obj_type`]
//! (TYPE, SCAN TYPE, WRONGTYPE checks), [`Value::encoding_name`] (OBJECT
//! ENCODING) and [`Value::dup`] (COPY: a deep copy that keeps the source's
//! encoding, as Redis's per-type `*Dup` functions do).
//!
//! The encoding names reported by OBJECT ENCODING follow Redis 7.0's rules:
//! strings of at most 44 bytes are created `embstr`, longer ones `raw`;
//! values that look like an `i64` of at most 20 chars become `int` when stored
//! by SET-like commands (`try_object_encoding`); APPEND and SETRANGE leave a
//! `raw` string behind.
//!
//! # MEMORY USAGE
//! [`object_compute_size`] and [`keyspace_entry_size`] say what a key costs
//! in this server, every allocation rounded to its jemalloc size class
//! ([`crate::util::zmalloc_size`]): the keyspace entry (with the value inline
//! in it), the value's own allocations, and for big collections a sample of
//! the elements extrapolated to all of them, as Redis's `objectComputeSize`
//! does. Like Redis, the `expires` entry and the bucket pointer are left out.

use crate::commands::Handler;
use crate::dict::Dict;
use crate::networking::Client;
use crate::server::Server;
use crate::shared;
use crate::util::zmalloc_size;

/// Longest string created with the `embstr` encoding (Redis `OBJ_ENCODING_EMBSTR_SIZE_LIMIT`), bytes.
pub const EMBSTR_SIZE_LIMIT: usize = 44;
/// Longest string kept inline in the value itself, bytes.
pub const INLINE_MAX: usize = crate::util::INLINE_BYTES_MAX;
/// Integers 0..this are "shared" in Redis (`OBJ_SHARED_INTEGERS`).
pub const OBJ_SHARED_INTEGERS: i64 = 10000;
pub const STRING_MAX_LEN: usize = 512 * 1024 * 1024;

/// A stored value. See the module docs for the layout.
#[derive(Clone, Debug)]
pub enum Value {
    Int(i64),
    /// An `int` that does not share Redis's preallocated integer objects
    /// (what `dupStringObject` makes for COPY): refcount 1 whatever its value.
    IntOwned(i64),
    Inline(crate::util::InlineBytes),
    Emb(Box<[u8]>),
    Raw(thin_vec::ThinVec<u8>),
    /// A list: always the `quicklist` encoding (`t_list.rs`, `quicklist.rs`).
    List(Box<crate::quicklist::Quicklist>),
    /// A hash: `listpack` or `hashtable` (`t_hash.rs`).
    Hash(crate::t_hash::HashObj),
    /// A set: `intset` or `hashtable` (`t_set.rs`, `intset.rs`).
    Set(crate::t_set::SetObj),
    /// A sorted set: `listpack` or `skiplist` (`t_zset.rs`).
    ZSet(crate::t_zset::ZSetObj),
    /// A stream: always the `stream` encoding (`stream.rs`, `t_stream.rs`).
    Stream(Box<crate::stream::Stream>),
}

/// A keyspace value plus its LRU clock / LFU counter (Redis `robj.lru`, 24 bits used).
#[derive(Clone, Debug)]
pub struct RObj {
    pub v: Value,
    pub lru: u32,
}

/// Redis object types, as TYPE and SCAN TYPE name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjType {
    String,
    List,
    Set,
    ZSet,
    Hash,
    Stream,
}

impl ObjType {
    /// The name TYPE replies with.
    pub fn name(self) -> &'static str {
        match self {
            ObjType::String => "string",
            ObjType::List => "list",
            ObjType::Set => "set",
            ObjType::ZSet => "zset",
            ObjType::Hash => "hash",
            ObjType::Stream => "stream",
        }
    }
}

impl Value {
    /// A string value with Redis's creation rule: `embstr` up to 44 bytes, else
    /// `raw` (both exact-size: inline up to 22 bytes, else [`Value::Emb`]).
    pub fn from_bytes(s: &[u8]) -> Value {
        match crate::util::InlineBytes::new(s) {
            Some(b) => Value::Inline(b),
            None => Value::Emb(s.into()),
        }
    }

    /// [`Value::from_bytes`] for bytes already owned: a string too long to
    /// be inline keeps the vector's allocation (shrunk to fit) instead of
    /// being copied.
    pub fn from_vec(s: Vec<u8>) -> Value {
        match crate::util::InlineBytes::new(&s) {
            Some(b) => Value::Inline(b),
            None => Value::Emb(s.into_boxed_slice()),
        }
    }

    /// A `raw` string value (what APPEND / SETRANGE create).
    pub fn raw(s: Vec<u8>) -> Value {
        Value::Raw(thin_vec::ThinVec::from(s))
    }

    /// Redis `tryObjectEncoding` for a value about to be stored: an integer
    /// of at most 20 chars becomes `int`; otherwise `embstr`/`raw` by length.
    pub fn from_arg_encoded(s: &[u8]) -> Value {
        if s.len() <= 20
            && let Some(v) = crate::util::string2ll(s)
        {
            return Value::Int(v);
        }
        Value::from_bytes(s)
    }

    /// The object type.
    pub fn obj_type(&self) -> ObjType {
        match self {
            Value::List(_) => ObjType::List,
            Value::Hash(_) => ObjType::Hash,
            Value::Set(_) => ObjType::Set,
            Value::ZSet(_) => ObjType::ZSet,
            Value::Stream(_) => ObjType::Stream,
            _ => ObjType::String,
        }
    }

    /// True for the string encodings (`int`, `embstr`, `raw`).
    pub fn is_string(&self) -> bool {
        matches!(
            self,
            Value::Int(_) | Value::IntOwned(_) | Value::Inline(_) | Value::Emb(_) | Value::Raw(_)
        )
    }

    /// OBJECT ENCODING name.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::Int(_) | Value::IntOwned(_) => "int",
            Value::Inline(_) => "embstr",
            Value::Emb(b) if b.len() <= EMBSTR_SIZE_LIMIT => "embstr",
            Value::Emb(_) | Value::Raw(_) => "raw",
            Value::List(_) => "quicklist",
            Value::Hash(h) => h.encoding_name(),
            Value::Set(x) => x.encoding_name(),
            Value::ZSet(z) => z.encoding_name(),
            Value::Stream(_) => "stream",
        }
    }

    /// String bytes of a string value; integers are formatted into `tmp`.
    /// Collections give an empty slice: callers check the type first.
    pub fn as_bytes<'a>(&'a self, tmp: &'a mut itoa::Buffer) -> &'a [u8] {
        match self {
            Value::Int(i) | Value::IntOwned(i) => tmp.format(*i).as_bytes(),
            Value::Inline(b) => b.as_slice(),
            Value::Emb(b) => b,
            Value::Raw(v) => v,
            Value::List(_) | Value::Hash(_) | Value::Set(_) | Value::ZSet(_) | Value::Stream(_) => {
                b""
            }
        }
    }

    /// Owned copy of the string bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut t = itoa::Buffer::new();
        self.as_bytes(&mut t).to_vec()
    }

    /// String length in bytes (STRLEN), integers counted as their decimal text.
    pub fn str_len(&self) -> usize {
        match self {
            Value::Int(i) | Value::IntOwned(i) => {
                let mut t = itoa::Buffer::new();
                t.format(*i).len()
            }
            Value::Inline(b) => b.as_slice().len(),
            Value::Emb(b) => b.len(),
            Value::Raw(v) => v.len(),
            Value::List(_) | Value::Hash(_) | Value::Set(_) | Value::ZSet(_) | Value::Stream(_) => {
                0
            }
        }
    }

    /// The integer value, if the string parses as one (Redis `getLongLongFromObject`).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) | Value::IntOwned(i) => Some(*i),
            _ => {
                let mut t = itoa::Buffer::new();
                crate::util::string2ll(self.as_bytes(&mut t))
            }
        }
    }

    /// Converts into a `raw` string in place and returns its buffer, for
    /// APPEND and SETRANGE (Redis `dbUnshareStringValue`).
    pub fn make_raw(&mut self) -> &mut thin_vec::ThinVec<u8> {
        self.make_raw_room(0)
    }

    /// [`Value::make_raw`] with room for at least `min_len` bytes, in one
    /// allocation. A string that must grow gets Redis's greedy size
    /// (`sdsMakeRoomFor`): twice `min_len` under 1 MiB, else 1 MiB more,
    /// so repeated APPENDs reallocate O(log n) times.
    pub fn make_raw_room(&mut self, min_len: usize) -> &mut thin_vec::ThinVec<u8> {
        if !matches!(self, Value::Raw(_)) {
            let mut t = itoa::Buffer::new();
            let old = self.as_bytes(&mut t);
            let cap = raw_class_capacity(old.len());
            let cap = if min_len <= cap {
                cap
            } else {
                sds_greedy_capacity(min_len)
            };
            let mut v = thin_vec::ThinVec::with_capacity(cap);
            v.extend_from_slice(old);
            *self = Value::Raw(v);
        }
        match self {
            Value::Raw(v) => {
                if v.capacity() < min_len {
                    let extra = sds_greedy_capacity(min_len) - v.len();
                    v.reserve_exact(extra);
                }
                v
            }
            _ => unreachable!("converted to raw above"),
        }
    }
}

/// Redis `SDS_MAX_PREALLOC`: strings under it double when they grow.
const SDS_MAX_PREALLOC: usize = 1024 * 1024;

/// Bytes of a `raw` buffer's header (its length and capacity).
const RAW_HDR: usize = 2 * size_of::<usize>();

/// jemalloc's largest small size class: above it allocations are page
/// runs, which an exact request does not round up to the next class.
const SMALL_MAXCLASS: usize = 14336;

/// The capacity a `raw` buffer for `len` bytes has at no extra cost: for a
/// small allocation, all that its size class holds after the header (sds
/// records its usable size the same way, so a later growth that fits is
/// free); for a larger one, exactly `len` (rounding it up to a modelled
/// class would cost real pages).
fn raw_class_capacity(len: usize) -> usize {
    let size = len.saturating_add(RAW_HDR);
    if size > SMALL_MAXCLASS {
        return len;
    }
    crate::util::zmalloc_size(size)
        .saturating_sub(RAW_HDR)
        .max(len)
}

/// The capacity Redis's `sdsMakeRoomFor` gives a string that must hold
/// `need` bytes: `2 * need` under [`SDS_MAX_PREALLOC`], else
/// `need + SDS_MAX_PREALLOC`, rounded up to its size class.
fn sds_greedy_capacity(need: usize) -> usize {
    let want = if need < SDS_MAX_PREALLOC {
        need * 2
    } else {
        need.saturating_add(SDS_MAX_PREALLOC)
    };
    raw_class_capacity(want)
}

/// A `raw` buffer of `len` zero bytes (Redis `sdsnewlen(NULL, len)`), in
/// one allocation whose size-class slack is its spare capacity.
pub fn raw_zeroed(len: usize) -> thin_vec::ThinVec<u8> {
    let mut v = thin_vec::ThinVec::with_capacity(raw_class_capacity(len));
    v.resize(len, 0);
    v
}

impl Value {
    /// OBJECT REFCOUNT: `i32::MAX` for an integer 0..9999 that uses Redis's
    /// shared integer objects (allowed unless maxmemory has an LRU/LFU
    /// policy), else 1.
    pub fn refcount(&self, shared_integers_allowed: bool) -> i64 {
        match self {
            Value::Int(i) if shared_integers_allowed && (0..OBJ_SHARED_INTEGERS).contains(i) => {
                i32::MAX as i64
            }
            _ => 1,
        }
    }

    /// A private deep copy for COPY: integers are no longer shared (Redis
    /// `dupStringObject`); collections are copied element by element in
    /// the same encoding, with the same list fill and compress depth
    /// (Redis `listTypeDup`, `setTypeDup`, `hashTypeDup`, `zsetDup`).
    pub fn dup(&self) -> Value {
        match self {
            Value::Int(i) => Value::IntOwned(*i),
            other => other.clone(),
        }
    }
}

impl RObj {
    /// Wraps a value with the given LRU/LFU field.
    pub fn new(v: Value, lru: u32) -> RObj {
        RObj { v, lru }
    }
}

// ---- MEMORY USAGE ----

/// Elements sampled by MEMORY USAGE without SAMPLES (Redis
/// `OBJ_COMPUTE_SIZE_DEF_SAMPLES`).
pub const OBJ_COMPUTE_SIZE_DEF_SAMPLES: usize = 5;

/// Bytes a value costs beyond its place in the keyspace entry (Redis
/// `objectComputeSize`), with every allocation rounded up to its jemalloc
/// size class ([`zmalloc_size`]).
///
/// - `int` and inline `embstr` values live inside the entry: 0.
/// - Other immutable strings (`embstr` of 23..=44 bytes, `raw` made by SET):
///   their boxed bytes; a growable `raw`: its header and capacity.
/// - Collections: the boxed object, then its encoding: one listpack or
///   intset allocation; a quicklist's node array and node payloads; a
///   hashtable's bucket arrays and entries; a skiplist's arenas and tables.
///   Per-element parts are measured on the first `samples` elements (nodes
///   for a list) and multiplied by the element count, as Redis does; pass
///   `usize::MAX` to measure them all.
///
/// # Latency
/// `O(min(samples, elements))`.
pub fn object_compute_size(v: &Value, samples: usize) -> usize {
    use crate::t_hash::HashObj;
    use crate::t_set::SetObj;
    use crate::t_zset::ZSetObj;
    use std::mem::size_of;
    match v {
        Value::Int(_) | Value::IntOwned(_) | Value::Inline(_) => 0,
        Value::Emb(b) => zmalloc_size(b.len()),
        // Length and capacity share the bytes' allocation (`ThinVec`).
        Value::Raw(r) => zmalloc_size(2 * size_of::<usize>() + r.capacity()),
        Value::List(ql) => {
            zmalloc_size(size_of::<crate::quicklist::Quicklist>()) + ql.alloc_size_sampled(samples)
        }
        Value::Hash(HashObj::Listpack(lp)) | Value::ZSet(ZSetObj::Listpack(lp)) => {
            zmalloc_size(lp.allocated())
        }
        Value::Hash(HashObj::Table(d)) => {
            zmalloc_size(size_of::<Dict<crate::t_hash::HashValue>>())
                + d.alloc_size_sampled(samples, |v| zmalloc_size(v.heap_len()))
        }
        Value::Set(SetObj::Intset(is)) => zmalloc_size(is.blob_len()),
        Value::Set(SetObj::Table(d)) => {
            zmalloc_size(size_of::<Dict<()>>()) + d.alloc_size_sampled(samples, |_| 0)
        }
        Value::ZSet(ZSetObj::Skiplist(zs)) => {
            zmalloc_size(size_of::<crate::t_zset::ZSet>()) + zs.alloc_size_sampled(samples)
        }
        Value::Stream(s) => s.mem_usage(samples),
    }
}

/// Bytes of a key's entry in the keyspace dict: the entry allocation (key
/// up to 22 bytes inline, the value, the chain link) plus the key's own
/// allocation when it is longer. Like Redis's MEMORY USAGE, the bucket
/// pointer and the `expires` entry are not counted.
pub fn keyspace_entry_size(key_len: usize) -> usize {
    zmalloc_size(Dict::<RObj>::entry_size())
        + if key_len > crate::dict::DICT_KEY_INLINE_MAX {
            zmalloc_size(key_len)
        } else {
            0
        }
}

/// MEMORY USAGE key [SAMPLES count] → integer (bytes used by the key and its
/// value, see [`object_compute_size`] and [`keyspace_entry_size`]), or a null
/// reply when the key does not exist. SAMPLES defaults to 5; 0 measures every
/// element. Errors: `ERR value is not an integer or out of range` for a count
/// that is not an integer, `ERR syntax error` for a negative count, a
/// SAMPLES without a count or any other argument (options are checked before
/// the key). Like Redis, the key is read without expiring it, counting a
/// hit or miss, or touching its LRU/LFU field.
pub fn memory_usage_command(srv: &mut Server, c: &mut Client) {
    let mut samples = OBJ_COMPUTE_SIZE_DEF_SAMPLES;
    let mut j = 3;
    while j < c.argv.len() {
        if c.argv[j].eq_ignore_ascii_case(b"samples") && j + 1 < c.argv.len() {
            match crate::util::string2ll(&c.argv[j + 1]) {
                None => return c.add_reply_error(shared::err_not_integer()),
                Some(n) if n < 0 => return c.add_reply_error(shared::err_syntax()),
                Some(0) => samples = usize::MAX,
                Some(n) => samples = usize::try_from(n).unwrap_or(usize::MAX),
            }
            j += 2;
        } else {
            return c.add_reply_error(shared::err_syntax());
        }
    }
    let key = &c.argv[2];
    let usage = match srv.dbs[c.db].dict.get(key) {
        Some(o) => object_compute_size(&o.v, samples) + keyspace_entry_size(key.len()),
        None => return c.add_reply_null(),
    };
    c.add_reply_long_long(i64::try_from(usage).unwrap_or(i64::MAX));
}

/// MEMORY HELP → array of status lines (Redis `addReplyHelp`). Lists the
/// MEMORY subcommands this server implements, with Redis's wording.
pub fn memory_help_command(_srv: &mut Server, c: &mut Client) {
    const LINES: &[(&str, &[&str])] = &[
        ("doctor", &["DOCTOR", "    Return memory problems reports."]),
        (
            "malloc-stats",
            &[
                "MALLOC-STATS",
                "    Return internal statistics report from the memory allocator.",
            ],
        ),
        (
            "purge",
            &[
                "PURGE",
                "    Attempt to purge dirty pages for reclamation by the allocator.",
            ],
        ),
        (
            "stats",
            &[
                "STATS",
                "    Return information about the memory usage of the server.",
            ],
        ),
        (
            "usage",
            &[
                "USAGE <key> [SAMPLES <count>]",
                "    Return memory in bytes used by <key> and its value. Nested values are",
                "    sampled up to <count> times (default: 5, 0 means sample all).",
            ],
        ),
    ];
    let lines: Vec<&str> = LINES
        .iter()
        .filter(|(sub, _)| {
            crate::commands::all_handlers()
                .any(|(name, _)| name.strip_prefix("memory|") == Some(*sub))
        })
        .flat_map(|(_, l)| l.iter().copied())
        .collect();
    c.add_reply_help("memory", &lines);
}

/// The MEMORY handlers, by "parent|sub" name.
pub static HANDLERS: &[(&str, Handler)] = &[
    ("memory|usage", memory_usage_command),
    ("memory|help", memory_help_command),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(std::mem::size_of::<Value>(), 24);
        assert!(std::mem::size_of::<RObj>() <= 32);
        // Held inline in `Value`: the listpack/intset handle, or a box.
        assert_eq!(std::mem::size_of::<crate::t_hash::HashObj>(), 16);
        assert_eq!(std::mem::size_of::<crate::t_set::SetObj>(), 16);
        assert_eq!(std::mem::size_of::<crate::t_zset::ZSetObj>(), 16);
    }

    #[test]
    fn compute_size_compact_collections_count_only_their_blob() {
        // 5 small integers: an 18-byte intset in the 32-byte class, and no
        // box around it.
        let mut s = crate::t_set::SetObj::new_intset();
        for i in 0..5 {
            s.add_int(i * 37, 512);
        }
        assert_eq!(object_compute_size(&Value::Set(s), 5), 32);
        let h = crate::t_hash::HashObj::new_listpack();
        assert_eq!(object_compute_size(&Value::Hash(h), 5), 8);
    }

    #[test]
    fn compute_size_strings_and_key_entries() {
        assert_eq!(object_compute_size(&Value::Int(5), 5), 0);
        assert_eq!(object_compute_size(&Value::from_bytes(b"short"), 5), 0);
        // embstr of 40 bytes: one 48-byte class; raw: one allocation of
        // length, capacity and 100 bytes (116 -> the 128-byte class).
        assert_eq!(object_compute_size(&Value::from_bytes(&[b'e'; 40]), 5), 48);
        assert_eq!(object_compute_size(&Value::raw(vec![b'r'; 100]), 5), 128);
        assert_eq!(std::mem::size_of::<Value>(), 24);
        assert_eq!(keyspace_entry_size(3), 64);
        assert_eq!(keyspace_entry_size(22), 64);
        assert_eq!(keyspace_entry_size(23), 64 + 32);
    }

    #[test]
    fn compute_size_samples_and_extrapolates() {
        use crate::t_set::SetObj;
        let mut set = SetObj::new_table();
        for i in 0..1000 {
            let m = if i % 2 == 0 {
                format!("m{i}")
            } else {
                format!("m{i}-long-enough-to-need-its-own-allocation")
            };
            set.add(m.as_bytes(), 512);
        }
        let v = Value::Set(set);
        let all = object_compute_size(&v, usize::MAX);
        // Each entry, plus a 48-byte class for half of the members.
        let entry = zmalloc_size(Dict::<()>::entry_size());
        let floor = 1000 * entry + 500 * 48;
        assert!(all > floor && all < floor + 20_000, "{all}");
        assert_eq!(object_compute_size(&v, 1000), all);
        // Five samples cannot hit a half-and-half average exactly.
        let sampled = object_compute_size(&v, OBJ_COMPUTE_SIZE_DEF_SAMPLES);
        assert_ne!(sampled, all);
        assert!(sampled >= all - 500 * 48 && sampled <= all + 500 * 48);
    }

    #[test]
    fn compute_size_skiplist_and_list() {
        let mut z = crate::t_zset::ZSet::new();
        for i in 0..100 {
            z.insert(i as f64, format!("member-{i}").as_bytes());
        }
        let small = object_compute_size(
            &Value::ZSet(crate::t_zset::ZSetObj::Skiplist(Box::new(z))),
            usize::MAX,
        );
        assert!(small > 100 * 56, "{small}");

        let mut ql = crate::quicklist::Quicklist::new(4, 0);
        for i in 0..100 {
            ql.push_tail(format!("e{i:03}").as_bytes());
        }
        let v = Value::List(Box::new(ql));
        // 25 nodes of the same shape: the estimate matches the full count.
        assert_eq!(
            object_compute_size(&v, 1),
            object_compute_size(&v, usize::MAX)
        );
        assert!(object_compute_size(&v, 5) > 25 * 16);
    }

    #[test]
    fn encodings() {
        assert_eq!(Value::from_arg_encoded(b"123").encoding_name(), "int");
        assert_eq!(
            Value::from_arg_encoded(b"-9223372036854775808").encoding_name(),
            "int"
        );
        assert_eq!(
            Value::from_arg_encoded(b"9223372036854775808").encoding_name(),
            "embstr"
        );
        assert_eq!(Value::from_arg_encoded(b"012").encoding_name(), "embstr");
        assert_eq!(
            Value::from_arg_encoded(&[b'a'; 44]).encoding_name(),
            "embstr"
        );
        assert_eq!(Value::from_arg_encoded(&[b'a'; 45]).encoding_name(), "raw");
        assert!(matches!(Value::from_bytes(&[b'a'; 100]), Value::Emb(_)));
        assert_eq!(Value::from_vec(vec![b'a'; 45]).encoding_name(), "raw");
        assert_eq!(Value::from_vec(vec![b'a'; 44]).encoding_name(), "embstr");
        assert_eq!(Value::from_vec(b"short".to_vec()).to_vec(), b"short");
        // An exact-size raw string costs its bytes' size class only.
        assert_eq!(
            object_compute_size(&Value::from_bytes(&[b'r'; 100]), 5),
            112
        );
        let mut long = Value::from_bytes(&[b'x'; 100]);
        long.make_raw().extend_from_slice(b"yz");
        assert!(matches!(long, Value::Raw(_)));
        assert_eq!(long.str_len(), 102);
        assert_eq!(long.encoding_name(), "raw");
        let mut v = Value::from_arg_encoded(b"abc");
        v.make_raw().extend_from_slice(b"def");
        assert_eq!(v.encoding_name(), "raw");
        assert_eq!(v.to_vec(), b"abcdef");
        // Growing takes Redis's greedy size once; what fits reuses it.
        let mut g = Value::from_bytes(&[b'g'; 60]);
        let buf = g.make_raw_room(70);
        // 2 * 70 = 140, in jemalloc's 160-byte class with the 16-byte header.
        assert_eq!((buf.len(), buf.capacity()), (60, 144));
        buf.extend_from_slice(&[b'h'; 10]);
        assert_eq!(g.make_raw_room(144).capacity(), 144);
        // 2 * 145 = 290 (+16) is in the 320-byte class.
        assert_eq!(g.make_raw_room(145).capacity(), 304);
        assert_eq!(g.str_len(), 70);
        // From 1 MiB on, 1 MiB more; past the small classes, no rounding.
        let mut big = Value::from_bytes(&[b'b'; 10]);
        assert_eq!(
            big.make_raw_room(SDS_MAX_PREALLOC).capacity(),
            2 * SDS_MAX_PREALLOC
        );
        assert_eq!(raw_zeroed(100_001).capacity(), 100_001);
        // Conversion keeps the size class's slack, which a growth may use.
        let mut int = Value::Int(12345);
        assert_eq!(int.make_raw_room(0).capacity(), 16);
        assert_eq!(int.to_vec(), b"12345");
        let mut k = Value::from_bytes(&[b'k'; 1000]);
        assert_eq!(k.make_raw_room(1001).capacity(), 1008);
        let z = raw_zeroed(12501);
        assert_eq!((z.len(), z.capacity()), (12501, 14336 - 16));
        assert!(z.iter().all(|&b| b == 0));
        assert_eq!(Value::Int(-42).str_len(), 3);
        assert_eq!(Value::from_bytes(&[b'x'; 30]).to_vec(), vec![b'x'; 30]);
    }
}
