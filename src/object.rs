//! Values stored in the keyspace (Redis `object.c`): [`RObj`], its
//! encodings, and the LRU/LFU access field.
//!
//! # Layout
//! Memory per key is a product feature, so a value is a 24-byte enum:
//! - `Int(i64)`: Redis's `int` encoding, unboxed (Redis shares 0..9999 and
//!   reports their refcount as `INT_MAX`; we derive that from the value).
//! - `Inline`: an `embstr` of at most 22 bytes kept inside the enum itself,
//!   so a short string value costs no allocation at all.
//! - `Emb(Box<[u8]>)`: an `embstr` of 23..=44 bytes (one exact-size allocation).
//! - `Raw(Box<Vec<u8>>)`: the `raw` encoding, with spare capacity for APPEND
//!   and SETRANGE; boxed so the enum stays 24 bytes.
//! - `List`, `Hash`, `Set`, `ZSet`: one box each, holding the type's own
//!   value (`quicklist.rs`, `t_hash.rs`, `t_set.rs`, `t_zset.rs`), which
//!   knows its encodings and its conversion rules.
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
    Raw(Box<Vec<u8>>),
    /// A list: always the `quicklist` encoding (`t_list.rs`, `quicklist.rs`).
    List(Box<crate::quicklist::Quicklist>),
    /// A hash: `listpack` or `hashtable` (`t_hash.rs`).
    Hash(Box<crate::t_hash::HashObj>),
    /// A set: `intset` or `hashtable` (`t_set.rs`, `intset.rs`).
    Set(Box<crate::t_set::SetObj>),
    /// A sorted set: `listpack` or `skiplist` (`t_zset.rs`).
    ZSet(Box<crate::t_zset::ZSetObj>),
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
    /// A string value with Redis's creation rule: `embstr` up to 44 bytes, else `raw`.
    pub fn from_bytes(s: &[u8]) -> Value {
        if let Some(b) = crate::util::InlineBytes::new(s) {
            Value::Inline(b)
        } else if s.len() <= EMBSTR_SIZE_LIMIT {
            Value::Emb(s.into())
        } else {
            Value::Raw(Box::new(s.to_vec()))
        }
    }

    /// A `raw` string value (what APPEND / SETRANGE create).
    pub fn raw(s: Vec<u8>) -> Value {
        Value::Raw(Box::new(s))
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
            Value::Inline(_) | Value::Emb(_) => "embstr",
            Value::Raw(_) => "raw",
            Value::List(_) => "quicklist",
            Value::Hash(h) => h.encoding_name(),
            Value::Set(x) => x.encoding_name(),
            Value::ZSet(z) => z.encoding_name(),
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
            Value::List(_) | Value::Hash(_) | Value::Set(_) | Value::ZSet(_) => b"",
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
            Value::List(_) | Value::Hash(_) | Value::Set(_) | Value::ZSet(_) => 0,
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
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, Value::Raw(_)) {
            *self = Value::raw(self.to_vec());
        }
        match self {
            Value::Raw(v) => v,
            _ => unreachable!("converted to raw above"),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(std::mem::size_of::<Value>(), 24);
        assert!(std::mem::size_of::<RObj>() <= 32);
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
        let mut v = Value::from_arg_encoded(b"abc");
        v.make_raw().extend_from_slice(b"def");
        assert_eq!(v.encoding_name(), "raw");
        assert_eq!(v.to_vec(), b"abcdef");
        assert_eq!(Value::Int(-42).str_len(), 3);
        assert_eq!(Value::from_bytes(&[b'x'; 30]).to_vec(), vec![b'x'; 30]);
    }
}
