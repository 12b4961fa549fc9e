//! The set type (Redis `t_set.c`): SADD, SREM, SMEMBERS, SISMEMBER,
//! SMISMEMBER, SCARD, SPOP, SRANDMEMBER, SMOVE, the SINTER / SUNION / SDIFF
//! families and SSCAN.
//!
//! # Encodings and conversion (Redis 7.0)
//! A set is a [`SetObj`]:
//! - `intset` ([`Intset`]): every member is a canonical decimal `i64`
//!   (Redis `string2ll`: no `+`, no leading zeros, no spaces), kept sorted in
//!   one contiguous allocation in Redis's byte format;
//! - `hashtable`: a [`Dict`] of members with no values.
//!
//! A new set is created as an intset when its first member is an integer,
//! else as a hashtable (Redis `setTypeCreate`). An intset becomes a
//! hashtable, for good, when a non-integer member is added or when a
//! successful add leaves it with more than `set-max-intset-entries` members
//! (capped at 2^30, as Redis). Redis 7.0 has no listpack sets. The
//! SINTERSTORE / SUNIONSTORE / SDIFFSTORE results are built the same way,
//! starting from an empty intset, so their encoding follows the same rule
//! (and, for SDIFFSTORE, depends on which of Redis's two algorithms ran:
//! the second one adds every member of the first set before removing).
//!
//! # Reply order
//! Intsets are visited in ascending order, hashtables in bucket order.
//! SUNION / SDIFF (and SPOP with a count that takes the whole set) reply from
//! a temporary set built as above, so their output is sorted whenever that
//! temporary set is an intset, exactly as in Redis.
//!
//! # Random members
//! SRANDMEMBER and SPOP follow Redis's case analysis (negative counts repeat
//! members; a count covering the set returns it whole; a count close to the
//! size copies the set and removes random members; a small count samples
//! until it has enough distinct members). SPOP with a count at least 5 times
//! smaller than what remains pops members one by one; otherwise it keeps
//! `size - count` random members in a new set (created as `setTypeCreate`
//! would, so the encoding may go back to intset) and returns the rest.
//!
//! # Memory
//! `SetObj` is 16 bytes (a boxed slice or a boxed dict) so the box the
//! keyspace value points to is one small allocation; the intset is one
//! more, exact-size allocation; a hashtable member costs one 32-byte dict
//! entry (short members inline in it).
//!
//! # Not yet
//! SPOP is not yet rewritten as SREM / DEL for propagation: the server has
//! no AOF or replication feed yet (later issue).

use bytes::Bytes;

use crate::commands::Handler;
use crate::db::{
    check_type, db_add, db_delete, get_positive_long_or_reply, get_range_long_or_reply,
    lookup_key_read, lookup_key_write, set_key, signal_modified_key,
};
use crate::dict::Dict;
use crate::intset::Intset;
use crate::networking::{CLIENT_CLOSE_ASAP, Client};
use crate::notify::{NOTIFY_GENERIC, NOTIFY_SET, notify_keyspace_event};
use crate::object::{ObjType, RObj, Value};
use crate::server::{Server, with_argv};
use crate::shared;
use crate::util::{parse_scan_cursor, string_match, string2ll};

/// Set command handlers, by name.
pub static HANDLERS: &[(&str, Handler)] = &[
    ("sadd", sadd_command),
    ("srem", srem_command),
    ("smembers", smembers_command),
    ("sismember", sismember_command),
    ("smismember", smismember_command),
    ("scard", scard_command),
    ("spop", spop_command),
    ("srandmember", srandmember_command),
    ("smove", smove_command),
    ("sinter", sinter_command),
    ("sintercard", sintercard_command),
    ("sinterstore", sinterstore_command),
    ("sunion", sunion_command),
    ("sunionstore", sunionstore_command),
    ("sdiff", sdiff_command),
    ("sdiffstore", sdiffstore_command),
    ("sscan", sscan_command),
];

/// Redis limits intsets to 2^30 members whatever `set-max-intset-entries` says.
const INTSET_MAX_ENTRIES_CAP: u64 = 1 << 30;
/// SPOP with count: pop one by one while `remaining * this > count` (Redis `SPOP_MOVE_STRATEGY_MUL`).
const SPOP_MOVE_STRATEGY_MUL: usize = 5;
/// SRANDMEMBER: copy-and-remove when `count * this > size` (Redis `SRANDMEMBER_SUB_STRATEGY_MUL`).
const SRANDMEMBER_SUB_STRATEGY_MUL: usize = 3;

// ---------------------------------------------------------------------------
// The set value
// ---------------------------------------------------------------------------

/// A set value: `intset` or `hashtable` (see the module docs).
#[derive(Clone, Debug)]
pub enum SetObj {
    /// `intset`: sorted integers in Redis's intset format.
    Intset(Intset),
    /// `hashtable`: members as dict keys (boxed, so `SetObj` is 16 bytes and
    /// fits inline in a 24-byte `Value`).
    Table(Box<Dict<()>>),
}

/// One member as a set stores it: an integer (intset) or bytes (hashtable).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetEle<'a> {
    /// A member of an intset.
    Int(i64),
    /// A member of a hashtable.
    Str(&'a [u8]),
}

impl SetEle<'_> {
    /// The member's bytes; integers are formatted into `tmp`.
    pub fn as_bytes<'b>(&'b self, tmp: &'b mut itoa::Buffer) -> &'b [u8] {
        match self {
            SetEle::Int(v) => tmp.format(*v).as_bytes(),
            SetEle::Str(s) => s,
        }
    }

    /// Owned copy of the member's bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut t = itoa::Buffer::new();
        self.as_bytes(&mut t).to_vec()
    }

    /// Replies the member as a bulk string.
    pub fn reply(&self, c: &mut Client) {
        match self {
            SetEle::Int(v) => c.add_reply_bulk_long_long(*v),
            SetEle::Str(s) => c.add_reply_bulk(s),
        }
    }
}

/// Iterator over a set's members (intset ascending, hashtable bucket order).
pub enum SetIter<'a> {
    /// Over an intset.
    Intset(crate::intset::IntsetIter<'a>),
    /// Over a hashtable.
    Table(crate::dict::Iter<'a, ()>),
}

impl<'a> Iterator for SetIter<'a> {
    type Item = SetEle<'a>;
    fn next(&mut self) -> Option<SetEle<'a>> {
        match self {
            SetIter::Intset(it) => it.next().map(SetEle::Int),
            SetIter::Table(it) => it.next().map(|(k, _)| SetEle::Str(k)),
        }
    }
}

impl Default for SetObj {
    fn default() -> Self {
        SetObj::new_intset()
    }
}

impl SetObj {
    /// An empty `intset` set (Redis `createIntsetObject`).
    pub fn new_intset() -> SetObj {
        SetObj::Intset(Intset::new())
    }

    /// An empty `hashtable` set (Redis `createSetObject`).
    pub fn new_table() -> SetObj {
        SetObj::Table(Box::default())
    }

    /// An empty set that can hold `member`: an intset if it is an integer,
    /// else a hashtable (Redis `setTypeCreate`).
    pub fn new_for(member: &[u8]) -> SetObj {
        if string2ll(member).is_some() {
            SetObj::new_intset()
        } else {
            SetObj::new_table()
        }
    }

    /// Number of members (Redis `setTypeSize`).
    pub fn len(&self) -> usize {
        match self {
            SetObj::Intset(is) => is.len(),
            SetObj::Table(d) => d.len(),
        }
    }

    /// True if the set has no members.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING name.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            SetObj::Intset(_) => "intset",
            SetObj::Table(_) => "hashtable",
        }
    }

    /// Converts an intset into a hashtable presized for its members (Redis
    /// `setTypeConvert`); a no-op on a hashtable.
    pub fn convert_to_hashtable(&mut self) {
        let SetObj::Intset(is) = self else {
            return;
        };
        let mut d: Dict<()> = Dict::new();
        d.expand(is.len());
        let mut b = itoa::Buffer::new();
        for v in is.iter() {
            d.insert(b.format(v).as_bytes(), ());
        }
        *self = SetObj::Table(Box::new(d));
    }

    /// Adds `member`; true if it was not there (Redis `setTypeAdd`).
    /// Converts to a hashtable on a non-integer member, or when the intset
    /// grows past `max_intset_entries` (`set-max-intset-entries`).
    pub fn add(&mut self, member: &[u8], max_intset_entries: u64) -> bool {
        match self {
            SetObj::Table(d) => add_to_table(d, member),
            SetObj::Intset(_) => match string2ll(member) {
                Some(v) => self.add_int(v, max_intset_entries),
                None => {
                    self.convert_to_hashtable();
                    match self {
                        SetObj::Table(d) => add_to_table(d, member),
                        SetObj::Intset(_) => false,
                    }
                }
            },
        }
    }

    /// Adds the integer member `v` (same rules as [`SetObj::add`]).
    pub fn add_int(&mut self, v: i64, max_intset_entries: u64) -> bool {
        match self {
            SetObj::Intset(is) => {
                if !is.add(v) {
                    return false;
                }
                if is.len() as u64 > max_intset_entries.min(INTSET_MAX_ENTRIES_CAP) {
                    self.convert_to_hashtable();
                }
                true
            }
            SetObj::Table(d) => {
                let mut b = itoa::Buffer::new();
                add_to_table(d, b.format(v).as_bytes())
            }
        }
    }

    /// Adds a member in either form (see [`SetObj::add`]).
    pub fn add_ele(&mut self, e: SetEle<'_>, max_intset_entries: u64) -> bool {
        match e {
            SetEle::Int(v) => self.add_int(v, max_intset_entries),
            SetEle::Str(s) => self.add(s, max_intset_entries),
        }
    }

    /// Removes `member`; true if it was there (Redis `setTypeRemove`). A
    /// hashtable starts shrinking once under 10% full.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            SetObj::Intset(is) => string2ll(member).is_some_and(|v| is.remove(v)),
            SetObj::Table(d) => {
                if d.remove(member).is_some() {
                    d.shrink_to_fit_if_needed();
                    true
                } else {
                    false
                }
            }
        }
    }

    /// Removes a member given in either form.
    pub fn remove_ele(&mut self, e: SetEle<'_>) -> bool {
        match (&mut *self, e) {
            (SetObj::Intset(is), SetEle::Int(v)) => is.remove(v),
            _ => {
                let m = e.to_vec();
                self.remove(&m)
            }
        }
    }

    /// True if `member` is in the set (Redis `setTypeIsMember`).
    pub fn is_member(&self, member: &[u8]) -> bool {
        match self {
            SetObj::Intset(is) => string2ll(member).is_some_and(|v| is.find(v)),
            SetObj::Table(d) => d.contains_key(member),
        }
    }

    /// True if the member given in either form is in the set.
    pub fn is_member_ele(&self, e: SetEle<'_>) -> bool {
        match (self, e) {
            (SetObj::Intset(is), SetEle::Int(v)) => is.find(v),
            (SetObj::Table(d), SetEle::Int(v)) => {
                let mut b = itoa::Buffer::new();
                d.contains_key(b.format(v).as_bytes())
            }
            (_, SetEle::Str(s)) => self.is_member(s),
        }
    }

    /// The members (intset ascending, hashtable bucket order).
    pub fn iter(&self) -> SetIter<'_> {
        match self {
            SetObj::Intset(is) => SetIter::Intset(is.iter()),
            SetObj::Table(d) => SetIter::Table(d.iter()),
        }
    }

    /// Calls `f` with the bytes of every member, in [`SetObj::iter`] order.
    pub fn for_each(&self, mut f: impl FnMut(&[u8])) {
        match self {
            SetObj::Intset(is) => {
                let mut b = itoa::Buffer::new();
                for v in is.iter() {
                    f(b.format(v).as_bytes());
                }
            }
            SetObj::Table(d) => {
                for (k, _) in d.iter() {
                    f(k);
                }
            }
        }
    }

    /// A random member (Redis `setTypeRandomElement`: uniform for an intset,
    /// `dictGetFairRandomKey` for a hashtable); None if empty.
    pub fn random_element(&mut self) -> Option<SetEle<'_>> {
        match self {
            SetObj::Intset(is) => is.random().map(SetEle::Int),
            SetObj::Table(d) => d.random_entry().map(|(k, _)| SetEle::Str(k)),
        }
    }

    /// Approximate heap bytes (the value itself is inline in `Value`).
    pub fn mem_usage(&self) -> usize {
        match self {
            SetObj::Intset(is) => is.blob_len(),
            SetObj::Table(d) => d.mem_usage(),
        }
    }
}

fn add_to_table(d: &mut Dict<()>, member: &[u8]) -> bool {
    d.insert(member, ()).is_none()
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// The set inside a value already type-checked as a set.
fn set_of(o: &mut RObj) -> Option<&mut SetObj> {
    match &mut o.v {
        Value::Set(s) => Some(s),
        _ => None,
    }
}

/// Outcome of a set lookup: `Err(())` means WRONGTYPE was replied.
type SetLookup<'a> = Result<Option<&'a mut SetObj>, ()>;

/// Looks `key` up (for reading, or for writing with `write`) and checks it
/// is a set, replying WRONGTYPE otherwise.
fn lookup_set<'a>(srv: &'a mut Server, c: &mut Client, key: &[u8], write: bool) -> SetLookup<'a> {
    let db = c.db;
    let o = if write {
        lookup_key_write(srv, db, key)
    } else {
        lookup_key_read(srv, db, key)
    };
    match o {
        None => Ok(None),
        Some(o) => {
            if check_type(c, o, ObjType::Set) {
                return Err(());
            }
            Ok(set_of(o))
        }
    }
}

/// Replies the empty set (`*0` in RESP2, `~0` in RESP3; Redis `shared.emptyset`).
fn reply_empty_set(c: &mut Client) {
    c.add_reply_set_len(0);
}

/// The parsed options of SSCAN / HSCAN (and ZSCAN): COUNT and MATCH.
pub struct ScanOpts {
    /// COUNT (default 10).
    pub count: i64,
    /// MATCH pattern, None when absent or exactly "*".
    pub pattern: Option<Bytes>,
}

/// Parses `[MATCH pattern] [COUNT count]` from `argv[start..]` as Redis's
/// `scanGenericCommand` does for a key's collection (TYPE is refused).
/// Replies the error and returns None on failure: "ERR value is not an
/// integer or out of range", "ERR syntax error" (also for COUNT < 1).
pub fn parse_scan_opts(c: &mut Client, argv: &[Bytes], start: usize) -> Option<ScanOpts> {
    let mut opts = ScanOpts {
        count: 10,
        pattern: None,
    };
    let mut i = start;
    while i < argv.len() {
        let left = argv.len() - i;
        let opt = &argv[i];
        if opt.eq_ignore_ascii_case(b"count") && left >= 2 {
            let Some(v) = string2ll(&argv[i + 1]) else {
                c.add_reply_error(shared::err_not_integer());
                return None;
            };
            if v < 1 {
                c.add_reply_error(shared::err_syntax());
                return None;
            }
            opts.count = v;
            i += 2;
        } else if opt.eq_ignore_ascii_case(b"match") && left >= 2 {
            let p = argv[i + 1].clone();
            opts.pattern = if &p[..] == b"*" { None } else { Some(p) };
            i += 2;
        } else {
            c.add_reply_error(shared::err_syntax());
            return None;
        }
    }
    Some(opts)
}

/// Replies a SCAN page `[cursor, [items...]]`, dropping items whose key does
/// not match `pattern`. With `pairs`, items are key/value pairs (HSCAN,
/// ZSCAN) and a filtered key drops its value too.
pub fn reply_scan_page(
    c: &mut Client,
    cursor: u64,
    items: &[Vec<u8>],
    pairs: bool,
    pattern: Option<&[u8]>,
) {
    let step = if pairs { 2 } else { 1 };
    let keep = |k: &[u8]| pattern.is_none_or(|p| string_match(p, k, false));
    let kept = items.chunks(step).filter(|ch| keep(&ch[0])).count() * step;
    c.add_reply_array_len(2);
    let mut b = itoa::Buffer::new();
    c.add_reply_bulk(b.format(cursor).as_bytes());
    c.add_reply_array_len(kept);
    for ch in items.chunks(step) {
        if keep(&ch[0]) {
            for it in ch {
                c.add_reply_bulk(it);
            }
        }
    }
}

/// Replies the empty SCAN page `[0, []]` (Redis `shared.emptyscan`).
pub fn reply_empty_scan(c: &mut Client) {
    c.add_reply_raw(b"*2\r\n$1\r\n0\r\n*0\r\n");
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

/// SADD key member [member ...] → integer: members added. Creates the set
/// (intset or hashtable by the first member). WRONGTYPE on another type.
/// Event "sadd" when anything was added.
pub fn sadd_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let db = c.db;
        let key = &argv[1];
        let max = srv.config.set_max_intset_entries;
        let mut added = 0i64;
        match lookup_key_write(srv, db, key) {
            Some(o) => {
                if check_type(c, o, ObjType::Set) {
                    return;
                }
                let Some(s) = set_of(o) else { return };
                for m in &argv[2..] {
                    added += i64::from(s.add(m, max));
                }
            }
            None => {
                let mut s = SetObj::new_for(&argv[2]);
                for m in &argv[2..] {
                    added += i64::from(s.add(m, max));
                }
                db_add(srv, db, key, Value::Set(s));
            }
        }
        if added > 0 {
            signal_modified_key(srv, db, key);
            notify_keyspace_event(srv, NOTIFY_SET, "sadd", key, db);
        }
        srv.dirty += added;
        c.add_reply_long_long(added);
    });
}

/// SREM key member [member ...] → integer: members removed (0 for a missing
/// key). Deletes the key when it empties. Events "srem" (and "del").
pub fn srem_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let db = c.db;
        let key = &argv[1];
        let Ok(found) = lookup_set(srv, c, key, true) else {
            return;
        };
        let Some(s) = found else {
            return c.add_reply_long_long(0);
        };
        let mut deleted = 0i64;
        let mut emptied = false;
        for m in &argv[2..] {
            if s.remove(m) {
                deleted += 1;
                if s.is_empty() {
                    emptied = true;
                    break;
                }
            }
        }
        crate::db::removed_from_collection(srv, db, key, NOTIFY_SET, "srem", deleted, emptied);
        c.add_reply_long_long(deleted);
    });
}

/// SMEMBERS key → set of every member (array in RESP2); empty for a missing
/// key. Intsets reply in ascending order.
pub fn smembers_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let Ok(found) = lookup_set(srv, c, &argv[1], false) else {
            return;
        };
        let Some(s) = found else {
            return reply_empty_set(c);
        };
        c.add_reply_set_len(s.len());
        for e in s.iter() {
            e.reply(c);
        }
    });
}

/// SISMEMBER key member → `:1` or `:0` (0 for a missing key).
pub fn sismember_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let Ok(found) = lookup_set(srv, c, &argv[1], false) else {
            return;
        };
        let is = found.is_some_and(|s| s.is_member(&argv[2]));
        c.add_reply_long_long(i64::from(is));
    });
}

/// SMISMEMBER key member [member ...] → array of `:1`/`:0`, one per member
/// (all zeros for a missing key).
pub fn smismember_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let Ok(found) = lookup_set(srv, c, &argv[1], false) else {
            return;
        };
        c.add_reply_array_len(argv.len() - 2);
        for m in &argv[2..] {
            let is = found.as_ref().is_some_and(|s| s.is_member(m));
            c.add_reply_long_long(i64::from(is));
        }
    });
}

/// SCARD key → integer: number of members (0 for a missing key).
pub fn scard_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let Ok(found) = lookup_set(srv, c, &argv[1], false) else {
            return;
        };
        c.add_reply_long_long(found.map_or(0, |s| s.len() as i64));
    });
}

/// SPOP key [count] → without count: a random member, removed (null for a
/// missing key); with count: a set of up to `count` distinct members,
/// removed (empty set for a missing key or count 0). Errors: "ERR value is
/// out of range, must be positive" (negative or non-integer count), "ERR
/// syntax error" (more arguments). Events "spop" (and "del" when emptied).
pub fn spop_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        if argv.len() == 3 {
            return spop_with_count(srv, c, argv);
        }
        if argv.len() > 3 {
            return c.add_reply_error(shared::err_syntax());
        }
        let db = c.db;
        let key = &argv[1];
        let Ok(found) = lookup_set(srv, c, key, true) else {
            return;
        };
        let Some(s) = found else {
            return c.add_reply_null();
        };
        let Some(e) = s.random_element() else {
            return c.add_reply_null();
        };
        e.reply(c);
        // Propagated as SREM key member.
        let srem = vec![
            Bytes::from_static(b"SREM"),
            key.clone(),
            Bytes::from(e.to_vec()),
        ];
        c.rewrite_command_vector(srem);
        match e {
            SetEle::Int(v) => {
                if let SetObj::Intset(is) = s {
                    is.remove(v);
                }
            }
            SetEle::Str(m) => {
                let m = m.to_vec();
                s.remove(&m);
            }
        }
        let emptied = s.is_empty();
        notify_keyspace_event(srv, NOTIFY_SET, "spop", key, db);
        if emptied {
            db_delete(srv, db, key);
            notify_keyspace_event(srv, NOTIFY_GENERIC, "del", key, db);
        }
        signal_modified_key(srv, db, key);
        srv.dirty += 1;
    });
}

/// SPOP key count (see [`spop_command`]).
fn spop_with_count(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(count) = get_positive_long_or_reply(c, &argv[2], None) else {
        return;
    };
    let count = count as u64;
    let db = c.db;
    let key = &argv[1];
    let max = srv.config.set_max_intset_entries;
    let size = {
        let Ok(found) = lookup_set(srv, c, key, true) else {
            return;
        };
        let Some(s) = found else {
            return reply_empty_set(c);
        };
        s.len() as u64
    };
    if count == 0 {
        return reply_empty_set(c);
    }
    notify_keyspace_event(srv, NOTIFY_SET, "spop", key, db);
    srv.dirty += count.min(size) as i64;

    // Case 1: the whole set goes, replied as SUNION of it would be.
    if count >= size {
        sunion_diff_generic(srv, c, std::slice::from_ref(key), None, SetOp::Union);
        db_delete(srv, db, key);
        notify_keyspace_event(srv, NOTIFY_GENERIC, "del", key, db);
        signal_modified_key(srv, db, key);
        c.rewrite_command_vector(vec![Bytes::from_static(b"DEL"), key.clone()]);
        return;
    }
    let count = count as usize;
    // Cases 2 and 3 propagate one SREM per popped member instead of the SPOP.
    let propagate = crate::server::propagating(srv);
    let mut popped: Vec<Bytes> = Vec::new();
    let size = size as usize;
    let Some(s) = srv.dbs[db].dict.get_mut(key).and_then(set_of) else {
        return reply_empty_set(c);
    };
    c.add_reply_set_len(count);
    let remaining = size - count;
    if remaining * SPOP_MOVE_STRATEGY_MUL > count {
        // Case 2: few members to pop: pick and remove them one at a time.
        for _ in 0..count {
            let Some(e) = s.random_element() else { break };
            e.reply(c);
            if propagate {
                popped.push(Bytes::from(e.to_vec()));
            }
            match e {
                SetEle::Int(v) => {
                    if let SetObj::Intset(is) = s {
                        is.remove(v);
                    }
                }
                SetEle::Str(m) => {
                    let m = m.to_vec();
                    s.remove(&m);
                }
            }
        }
    } else {
        // Case 3: most members go: move the few that stay into a new set,
        // reply what is left in the old one, and keep the new one.
        let mut newset: Option<SetObj> = None;
        for _ in 0..remaining {
            let Some(e) = s.random_element() else { break };
            let m = e.to_vec();
            let ns = newset.get_or_insert_with(|| SetObj::new_for(&m));
            ns.add(&m, max);
            s.remove(&m);
        }
        for e in s.iter() {
            e.reply(c);
            if propagate {
                popped.push(Bytes::from(e.to_vec()));
            }
        }
        *s = newset.unwrap_or_default();
    }
    c.flags |= crate::networking::CLIENT_PREVENT_PROP;
    let target = crate::server::PROPAGATE_AOF | crate::server::PROPAGATE_REPL;
    for m in popped {
        let v = vec![Bytes::from_static(b"SREM"), key.clone(), m];
        crate::server::also_propagate(srv, db, v, target);
    }
    signal_modified_key(srv, db, key);
}

/// SRANDMEMBER key [count] → without count: a random member (null for a
/// missing key); with count ≥ 0: up to `count` distinct members; with a
/// negative count: exactly `-count` members, repeats allowed. An array
/// (`*0` for a missing key or count 0, in RESP3 too). Errors: "ERR value is
/// not an integer or out of range", "ERR value is out of range, value must
/// between -9223372036854775807 and 9223372036854775807", "ERR syntax error".
pub fn srandmember_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        if argv.len() == 3 {
            return srandmember_with_count(srv, c, argv);
        }
        if argv.len() > 3 {
            return c.add_reply_error(shared::err_syntax());
        }
        let Ok(found) = lookup_set(srv, c, &argv[1], false) else {
            return;
        };
        match found.and_then(|s| s.random_element()) {
            Some(e) => e.reply(c),
            None => c.add_reply_null(),
        }
    });
}

/// SRANDMEMBER key count (see [`srandmember_command`]).
fn srandmember_with_count(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(l) = get_range_long_or_reply(c, &argv[2], -i64::MAX, i64::MAX, None) else {
        return;
    };
    let (count, uniq) = if l >= 0 {
        (l as u64, true)
    } else {
        (l.unsigned_abs(), false)
    };
    let Ok(found) = lookup_set(srv, c, &argv[1], false) else {
        return;
    };
    let Some(s) = found else {
        return c.add_reply_array_len(0);
    };
    let size = s.len() as u64;
    if count == 0 {
        return c.add_reply_array_len(0);
    }
    // Case 1: repeats allowed (or a single member): sample each time.
    if !uniq || count == 1 {
        c.add_reply_array_len(count as usize);
        for _ in 0..count {
            match s.random_element() {
                Some(e) => e.reply(c),
                None => break,
            }
            if c.flags & CLIENT_CLOSE_ASAP != 0 {
                break;
            }
        }
        return;
    }
    // Case 2: the whole set.
    if count >= size {
        c.add_reply_array_len(size as usize);
        for e in s.iter() {
            e.reply(c);
        }
        return;
    }
    let count = count as usize;
    let size = size as usize;
    let mut d: Dict<()> = Dict::new();
    if count * SRANDMEMBER_SUB_STRATEGY_MUL > size {
        // Case 3: copy everything, then drop random members.
        d.expand(size);
        s.for_each(|m| {
            d.insert(m, ());
        });
        while d.len() > count {
            let Some(k) = d.random_entry().map(|(k, _)| k.to_vec()) else {
                break;
            };
            d.remove(&k);
        }
    } else {
        // Case 4: sample until enough distinct members.
        d.expand(count);
        while d.len() < count {
            let Some(e) = s.random_element() else { break };
            let m = e.to_vec();
            add_to_table(&mut d, &m);
        }
    }
    c.add_reply_array_len(d.len());
    for (k, _) in d.iter() {
        c.add_reply_bulk(k);
    }
}

/// SMOVE source destination member → `:1` if moved (or, with source ==
/// destination, if a member), else `:0`. WRONGTYPE when either key holds
/// another type (checked only when the source exists). Events "srem" on the
/// source (and "del" when emptied), "sadd" on the destination when added.
pub fn smove_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let db = c.db;
        let (src, dst, ele) = (&argv[1], &argv[2], &argv[3]);
        let max = srv.config.set_max_intset_entries;
        let src_type = lookup_key_write(srv, db, src).map(|o| o.v.obj_type());
        let dst_type = lookup_key_write(srv, db, dst).map(|o| o.v.obj_type());
        let Some(src_type) = src_type else {
            return c.add_reply_long_long(0);
        };
        if src_type != ObjType::Set || dst_type.is_some_and(|t| t != ObjType::Set) {
            return c.add_reply_error(shared::err_wrong_type());
        }
        let Some(s) = srv.dbs[db].dict.get_mut(src).and_then(set_of) else {
            return c.add_reply_long_long(0);
        };
        if src == dst {
            let is = s.is_member(ele);
            return c.add_reply_long_long(i64::from(is));
        }
        if !s.remove(ele) {
            return c.add_reply_long_long(0);
        }
        let emptied = s.is_empty();
        notify_keyspace_event(srv, NOTIFY_SET, "srem", src, db);
        if emptied {
            db_delete(srv, db, src);
            notify_keyspace_event(srv, NOTIFY_GENERIC, "del", src, db);
        }
        let added = match srv.dbs[db].dict.get_mut(dst).and_then(set_of) {
            Some(d) => d.add(ele, max),
            None => {
                let mut d = SetObj::new_for(ele);
                d.add(ele, max);
                db_add(srv, db, dst, Value::Set(d));
                true
            }
        };
        signal_modified_key(srv, db, src);
        srv.dirty += 1;
        if added {
            srv.dirty += 1;
            signal_modified_key(srv, db, dst);
            notify_keyspace_event(srv, NOTIFY_SET, "sadd", dst, db);
        }
        c.add_reply_long_long(1);
    });
}

/// Looks every key up for reading (expiring, counting stats, touching) and
/// checks the types. Returns, per key, whether it exists, or None after
/// replying WRONGTYPE for the first key of another type.
fn lookup_sets_for_read(srv: &mut Server, c: &mut Client, keys: &[Bytes]) -> Option<Vec<bool>> {
    let db = c.db;
    let mut exists = Vec::with_capacity(keys.len());
    for k in keys {
        match lookup_key_read(srv, db, k) {
            None => exists.push(false),
            Some(o) => {
                if check_type(c, o, ObjType::Set) {
                    return None;
                }
                exists.push(true);
            }
        }
    }
    Some(exists)
}

/// Stores `result` at `dstkey` (replacing any value and TTL) or deletes
/// `dstkey` when it is empty, replying the cardinality; `event` is the
/// keyspace event of a store ("sinterstore", ...).
fn store_set_result(srv: &mut Server, c: &mut Client, dstkey: &[u8], result: SetObj, event: &str) {
    let db = c.db;
    let n = result.len();
    if n > 0 {
        set_key(srv, db, dstkey, Value::Set(result), false);
        signal_modified_key(srv, db, dstkey);
        c.add_reply_long_long(n as i64);
        notify_keyspace_event(srv, NOTIFY_SET, event, dstkey, db);
        srv.dirty += 1;
    } else {
        c.add_reply_long_long(0);
        if db_delete(srv, db, dstkey) {
            srv.dirty += 1;
            signal_modified_key(srv, db, dstkey);
            notify_keyspace_event(srv, NOTIFY_GENERIC, "del", dstkey, db);
        }
    }
}

/// SINTER / SINTERSTORE / SINTERCARD (Redis `sinterGenericCommand`): walks
/// the smallest set and keeps the members every other set has. A missing
/// key is an empty set, which empties the result at once. With
/// `cardinality_only`, replies the count, stopping at `limit` (0: no limit).
fn sinter_generic(
    srv: &mut Server,
    c: &mut Client,
    keys: &[Bytes],
    dstkey: Option<&Bytes>,
    cardinality_only: bool,
    limit: u64,
) {
    let Some(exists) = lookup_sets_for_read(srv, c, keys) else {
        return;
    };
    let db = c.db;
    if exists.iter().any(|e| !e) {
        if let Some(dst) = dstkey {
            if db_delete(srv, db, dst) {
                signal_modified_key(srv, db, dst);
                notify_keyspace_event(srv, NOTIFY_GENERIC, "del", dst, db);
                srv.dirty += 1;
            }
            c.add_reply_long_long(0);
        } else if cardinality_only {
            c.add_reply_long_long(0);
        } else {
            reply_empty_set(c);
        }
        return;
    }
    let max = srv.config.set_max_intset_entries;
    let dict = &srv.dbs[db].dict;
    let mut sets: Vec<(&[u8], &SetObj)> = Vec::with_capacity(keys.len());
    for k in keys {
        if let Some(RObj {
            v: Value::Set(s), ..
        }) = dict.get(k)
        {
            sets.push((&k[..], s));
        }
    }
    if sets.len() != keys.len() {
        return reply_empty_set(c);
    }
    // Smallest first (a stable sort, as glibc's qsort is for small arrays).
    sets.sort_by_key(|(_, s)| s.len());
    let (first_key, first) = sets[0];
    let mut dst = dstkey.map(|_| SetObj::new_intset());
    let deferred = if dst.is_none() && !cardinality_only {
        Some(c.add_reply_deferred_len())
    } else {
        None
    };
    let mut cardinality: u64 = 0;
    for e in first.iter() {
        let in_all = sets[1..]
            .iter()
            .all(|(k, s)| *k == first_key || s.is_member_ele(e));
        if !in_all {
            continue;
        }
        if cardinality_only {
            cardinality += 1;
            if limit != 0 && cardinality >= limit {
                break;
            }
        } else if let Some(d) = dst.as_mut() {
            d.add_ele(e, max);
        } else {
            e.reply(c);
            cardinality += 1;
        }
    }
    if cardinality_only {
        c.add_reply_long_long(cardinality as i64);
    } else if let (Some(d), Some(dk)) = (dst, dstkey) {
        store_set_result(srv, c, dk, d, "sinterstore");
    } else if let Some(h) = deferred {
        c.set_deferred_set_len(h, cardinality as usize);
    }
}

/// SINTER key [key ...] → set of the members common to all the sets (empty
/// if any key is missing). WRONGTYPE if any key holds another type.
pub fn sinter_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        sinter_generic(srv, c, &argv[1..], None, false, 0);
    });
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit] → integer: size of the
/// intersection, counting stops at `limit` (0: no limit). Errors: "ERR
/// numkeys should be greater than 0", "ERR Number of keys can't be greater
/// than number of args", "ERR LIMIT can't be negative", "ERR syntax error".
pub fn sintercard_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let numkeys = match string2ll(&argv[1]) {
            Some(n) if n >= 1 => n as u64,
            _ => return c.add_reply_error("ERR numkeys should be greater than 0"),
        };
        if numkeys > (argv.len() - 2) as u64 {
            return c.add_reply_error("ERR Number of keys can't be greater than number of args");
        }
        let numkeys = numkeys as usize;
        let mut limit = 0u64;
        let mut j = 2 + numkeys;
        while j < argv.len() {
            let more = argv.len() - 1 - j;
            if argv[j].eq_ignore_ascii_case(b"limit") && more > 0 {
                j += 1;
                let Some(l) =
                    get_positive_long_or_reply(c, &argv[j], Some("LIMIT can't be negative"))
                else {
                    return;
                };
                limit = l as u64;
            } else {
                return c.add_reply_error(shared::err_syntax());
            }
            j += 1;
        }
        sinter_generic(srv, c, &argv[2..2 + numkeys], None, true, limit);
    });
}

/// SINTERSTORE destination key [key ...] → integer: size of the stored
/// intersection; an empty result deletes `destination`. Event
/// "sinterstore" (or "del").
pub fn sinterstore_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        sinter_generic(srv, c, &argv[2..], Some(&argv[1]), false, 0);
    });
}

/// Which combination [`sunion_diff_generic`] computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SetOp {
    Union,
    Diff,
}

/// SUNION / SDIFF and their STORE forms (Redis `sunionDiffGenericCommand`).
/// The result is built in a new set that starts as an intset (see the
/// module docs). SDIFF picks Redis's cheaper algorithm: (1) test each member
/// of the first set against the others, or (2) copy the first set and remove
/// the others' members.
fn sunion_diff_generic(
    srv: &mut Server,
    c: &mut Client,
    keys: &[Bytes],
    dstkey: Option<&Bytes>,
    op: SetOp,
) {
    if lookup_sets_for_read(srv, c, keys).is_none() {
        return;
    }
    let db = c.db;
    let max = srv.config.set_max_intset_entries;
    let dict = &srv.dbs[db].dict;
    let sets: Vec<Option<&SetObj>> = keys
        .iter()
        .map(|k| match dict.get(k) {
            Some(RObj {
                v: Value::Set(s), ..
            }) => Some(s),
            _ => None,
        })
        .collect();
    // Redis compares object pointers: the same key, or two missing keys.
    let sameset = keys[1..]
        .iter()
        .zip(&sets[1..])
        .any(|(k, s)| (sets[0].is_some() && *k == keys[0]) || (sets[0].is_none() && s.is_none()));
    let mut dst = SetObj::new_intset();
    let mut cardinality: i64 = 0;
    match (op, sets[0]) {
        (SetOp::Union, _) => {
            for s in sets.iter().flatten() {
                for e in s.iter() {
                    cardinality += i64::from(dst.add_ele(e, max));
                }
            }
        }
        (SetOp::Diff, None) => {}
        (SetOp::Diff, Some(_)) if sameset => {}
        (SetOp::Diff, Some(first)) => {
            let mut one: i64 = 0;
            let mut two: i64 = 0;
            for s in sets.iter().flatten() {
                one += first.len() as i64;
                two += s.len() as i64;
            }
            one /= 2;
            if one <= two {
                for e in first.iter() {
                    if !sets[1..].iter().flatten().any(|s| s.is_member_ele(e)) {
                        dst.add_ele(e, max);
                        cardinality += 1;
                    }
                }
            } else {
                for (j, s) in sets.iter().enumerate() {
                    let Some(s) = s else { continue };
                    for e in s.iter() {
                        if j == 0 {
                            cardinality += i64::from(dst.add_ele(e, max));
                        } else {
                            cardinality -= i64::from(dst.remove_ele(e));
                        }
                    }
                    if cardinality == 0 {
                        break;
                    }
                }
            }
        }
    }
    match dstkey {
        None => {
            c.add_reply_set_len(cardinality.max(0) as usize);
            for e in dst.iter() {
                e.reply(c);
            }
            crate::bio::lazy_free_value(Value::Set(dst));
        }
        Some(dk) => {
            let event = if op == SetOp::Union {
                "sunionstore"
            } else {
                "sdiffstore"
            };
            store_set_result(srv, c, dk, dst, event);
        }
    }
}

/// SUNION key [key ...] → set of the members of any of the sets (missing
/// keys are empty sets).
pub fn sunion_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        sunion_diff_generic(srv, c, &argv[1..], None, SetOp::Union);
    });
}

/// SUNIONSTORE destination key [key ...] → integer: size of the stored
/// union; an empty result deletes `destination`. Event "sunionstore".
pub fn sunionstore_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        sunion_diff_generic(srv, c, &argv[2..], Some(&argv[1]), SetOp::Union);
    });
}

/// SDIFF key [key ...] → set of the members of the first set that no other
/// set has.
pub fn sdiff_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        sunion_diff_generic(srv, c, &argv[1..], None, SetOp::Diff);
    });
}

/// SDIFFSTORE destination key [key ...] → integer: size of the stored
/// difference; an empty result deletes `destination`. Event "sdiffstore".
pub fn sdiffstore_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        sunion_diff_generic(srv, c, &argv[2..], Some(&argv[1]), SetOp::Diff);
    });
}

/// SSCAN key cursor [MATCH pattern] [COUNT count] → [next cursor, members].
/// An intset is returned whole with cursor 0; a hashtable is walked with
/// the dict's reverse-binary cursor, about COUNT members per call. Errors:
/// "ERR invalid cursor", then (only for an existing set) the option errors
/// of [`parse_scan_opts`].
///
/// # Latency
/// At most `10 * COUNT + 1` buckets per call on a hashtable; an intset is
/// small by construction (`set-max-intset-entries`).
pub fn sscan_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let Some(cursor) = parse_scan_cursor(&argv[2]) else {
            return c.add_reply_error("ERR invalid cursor");
        };
        let Ok(found) = lookup_set(srv, c, &argv[1], false) else {
            return;
        };
        let Some(s) = found else {
            return reply_empty_scan(c);
        };
        let Some(opts) = parse_scan_opts(c, argv, 3) else {
            return;
        };
        let mut items: Vec<Vec<u8>> = Vec::new();
        let next = match s {
            SetObj::Intset(_) => {
                s.for_each(|m| items.push(m.to_vec()));
                0
            }
            SetObj::Table(d) => {
                let count = opts.count as usize;
                let mut maxiter = opts.count.saturating_mul(10);
                let mut cur = cursor;
                loop {
                    cur = d.scan(cur, |k, _| items.push(k.to_vec()));
                    if cur == 0 || maxiter <= 0 || items.len() >= count {
                        break;
                    }
                    maxiter -= 1;
                }
                cur
            }
        };
        reply_scan_page(c, next, &items, false, opts.pattern.as_deref());
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(s: &SetObj) -> Vec<Vec<u8>> {
        let mut v = Vec::new();
        s.for_each(|m| v.push(m.to_vec()));
        v.sort();
        v
    }

    #[test]
    fn sizes() {
        assert_eq!(std::mem::size_of::<SetObj>(), 16);
    }

    #[test]
    fn create_by_first_member() {
        assert_eq!(SetObj::new_for(b"12").encoding_name(), "intset");
        assert_eq!(
            SetObj::new_for(b"-9223372036854775808").encoding_name(),
            "intset"
        );
        for m in [
            &b"a"[..],
            b"012",
            b"+1",
            b" 1",
            b"1.0",
            b"9223372036854775808",
            b"",
        ] {
            assert_eq!(SetObj::new_for(m).encoding_name(), "hashtable", "{:?}", m);
        }
    }

    #[test]
    fn intset_converts_past_max_entries() {
        let mut s = SetObj::new_intset();
        for i in 0..4 {
            assert!(s.add(i.to_string().as_bytes(), 4));
        }
        assert_eq!(s.encoding_name(), "intset");
        assert!(!s.add(b"3", 4), "a duplicate does not convert");
        assert_eq!(s.encoding_name(), "intset");
        assert!(s.add(b"4", 4));
        assert_eq!(s.encoding_name(), "hashtable");
        assert_eq!(s.len(), 5);
        // Never back, even when it shrinks.
        for i in 0..4 {
            assert!(s.remove(i.to_string().as_bytes()));
        }
        assert_eq!(s.encoding_name(), "hashtable");
        assert!(s.is_member(b"4"));
        assert!(s.is_member_ele(SetEle::Int(4)));
    }

    #[test]
    fn intset_converts_on_string_member() {
        let mut s = SetObj::new_intset();
        s.add(b"1", 512);
        s.add(b"2", 512);
        assert!(s.add(b"x", 512));
        assert_eq!(s.encoding_name(), "hashtable");
        assert_eq!(
            members(&s),
            vec![b"1".to_vec(), b"2".to_vec(), b"x".to_vec()]
        );
        // max 0: the first member already converts.
        let mut z = SetObj::new_intset();
        z.add(b"1", 0);
        assert_eq!(z.encoding_name(), "hashtable");
    }

    #[test]
    fn membership_and_removal() {
        let mut s = SetObj::new_intset();
        for m in [&b"5"[..], b"-3", b"70000"] {
            s.add(m, 512);
        }
        assert!(s.is_member(b"70000"));
        assert!(!s.is_member(b"070000"));
        assert!(!s.remove(b"x"));
        assert!(s.remove(b"-3"));
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            vec![SetEle::Int(5), SetEle::Int(70000)]
        );
        let mut seen = std::collections::HashSet::new();
        for _ in 0..100 {
            seen.insert(s.random_element().unwrap().to_vec());
        }
        assert_eq!(seen.len(), 2);
    }
}
