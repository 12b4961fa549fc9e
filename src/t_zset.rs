//! The sorted set type (Redis `t_zset.c`): its two encodings, the
//! conversions between them, and every Z* command.
//!
//! # Encodings
//! A sorted set is a [`ZSetObj`]:
//!
//! - **`listpack`** (small sets): one [`Listpack`] holding `member, score`
//!   pairs ordered by `(score, member)`, byte for byte as Redis 7.0 writes
//!   it: a score that is integral and within ±2^62 (Redis `double2ll`) is an
//!   integer entry, any other score the `%.17g` text (`inf` / `-inf` for the
//!   infinities), and a member that looks like an integer is stored as one
//!   (the listpack's own rule). Lookups walk the pairs; scores are read back
//!   with C `strtod`, as Redis's `zzlGetScore`.
//! - **`skiplist`** (big sets): a [`ZSet`]: a skiplist with spans (ranks in
//!   O(log n)) plus a hash index from member to node, the pair Redis calls
//!   `zset { dict, zsl }`.
//!
//! A set is created `listpack` and converted to `skiplist` when an insert
//! would take it past `zset-max-listpack-entries` members, or a member longer
//! than `zset-max-listpack-value` bytes is added (Redis `zsetAdd`). Sets are
//! never converted back on deletion; only the commands that build a new set
//! (ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE, and a ZRANGESTORE, through its adds)
//! produce a `listpack` when the result is small enough
//! ([`ZSetObj::convert_to_listpack_if_needed`], Redis
//! `zsetConvertToListpackIfNeeded`).
//!
//! # The skiplist, in safe Rust
//! Nodes live in one arena `Vec` and link to each other by `u32` index, so
//! there are no pointers and no per-node allocation:
//!
//! - A node is 56 bytes: the member (kept inline when at most 22 bytes, like
//!   the keyspace's keys, else one boxed slice), the score, the backward
//!   link, the hash-chain link, its level-0 link and span, and an offset into
//!   a shared pool of upper levels. Three nodes in four have one level
//!   (p = 1/4), so levels 1.. are kept out of the node: a node of level L
//!   owns `L-1` consecutive `(forward, span)` slots in the pool. Freed pool
//!   chunks go on free lists by length, and the pool is compacted when more
//!   than half of it is free.
//! - The arena stays dense: removing a node moves the last node of the arena
//!   into its slot and re-points the links to it (one O(log n) search finds
//!   its predecessors). So memory follows the set's size, and a uniformly
//!   random member (ZRANDMEMBER) is a random index.
//! - The header's levels are a small vector in the [`ZSet`], as long as
//!   the highest level seen.
//! - The arena grows by a quarter at a time (ZADD reserves exactly what its
//!   arguments may add), so a set wastes little on spare slots.
//!
//! The hash index is intrusive: the bucket arrays hold `u32` node indices and
//! each node carries the link to the next node of its chain. That saves
//! Redis's separate `dictEntry` (and a second copy of the member) per member.
//! Otherwise it behaves as Redis's `dict`: power-of-two tables, SipHash of the
//! member (the process seed), growth at load factor 1 and shrinking below 10%
//! after deletes, incremental rehashing (one bucket per insert / delete) from
//! `ht[0]` into `ht[1]`, and ZSCAN's reverse-binary cursor over both tables,
//! with the same guarantee as SCAN (every member present for the whole scan
//! is returned at least once).
//!
//! # Blocking and propagation
//! BZPOPMIN, BZPOPMAX and BZMPOP serve from the first non-empty key; when
//! none can serve they block through `blocked::block_for_keys` (or, when the
//! client may not block, inside MULTI or a script, reply a null array as on
//! timeout). The blocking machinery runs the command again when a key gets
//! members: every write that creates or grows a set (ZADD, ZINCRBY, the
//! STORE commands) calls `blocked::signal_key_as_ready`. Redis propagates
//! ZMPOP / BZMPOP / BZPOP* to replicas and the AOF as ZPOPMIN / ZPOPMAX
//! (with COUNT), and so does this module (the argv rewrite after a pop).
//!
//! # Memory
//! Redis reallocates a listpack to its exact size on every change; a `Vec`
//! grows by doubling. Write commands therefore finish with
//! [`ZSetObj::shrink_to_fit`], one copy of the listpack, so a `listpack` set
//! costs what Redis's does. A `skiplist` set costs about 56 bytes per member
//! plus 4-8 bytes of hash buckets and a few bytes of upper levels, against
//! roughly 110 bytes in Redis (node, `sds`, `dictEntry`, bucket).
//!
//! # Latency
//! Lookups by member are O(1); inserts, deletes, rank and range starts are
//! O(log n) expected; ranges are O(log n + k). Deleting a range removes its
//! members one at a time (O(k log n)). Conversions are O(n) (bounded by the
//! listpack limits when converting from a listpack).

use std::cell::Cell;

use bytes::Bytes;

use crate::blocked::{self, BlockType};
use crate::commands::Handler;
use crate::db;
use crate::dict::DictKey;
use crate::listpack::{Listpack, LpValue};
use crate::networking::Client;
use crate::notify::{NOTIFY_GENERIC, NOTIFY_ZSET, notify_keyspace_event};
use crate::object::{ObjType, Value};
use crate::server::{Server, with_argv};
use crate::shared;

// ---- Skiplist ----

/// Most levels a skiplist node can have (Redis `ZSKIPLIST_MAXLEVEL`).
pub const ZSKIPLIST_MAXLEVEL: usize = 32;
/// A node has level > L with probability `ZSKIPLIST_P`^L (Redis `ZSKIPLIST_P`).
pub const ZSKIPLIST_P: f64 = 0.25;

/// "No node" in a link.
const NIL: u32 = u32::MAX;
/// The skiplist header in a position (it is not in the arena).
const HEAD: u32 = u32::MAX - 1;
/// Initial size of a hash table (Redis `DICT_HT_INITIAL_SIZE`).
const HT_INITIAL_SIZE: usize = 4;
/// Shrink when fewer than this percentage of buckets are used (Redis `HASHTABLE_MIN_FILL`).
const HT_MIN_FILL: usize = 10;
/// `rehash_idx` when not rehashing.
const NOT_REHASHING: usize = usize::MAX;

/// One level of a node: the next node at this level and how many level-0
/// steps that jump covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Level {
    fwd: u32,
    span: u32,
}

const EMPTY_LEVEL: Level = Level { fwd: NIL, span: 0 };

/// A skiplist node (see the module docs for the layout).
#[derive(Clone, Debug)]
struct Node {
    ele: DictKey,
    score: f64,
    backward: u32,
    /// Next node in the same hash bucket.
    hnext: u32,
    l0: Level,
    /// Offset of levels 1..nlevel in the upper-level pool.
    up: u32,
    nlevel: u8,
}

thread_local! {
    static LEVEL_RNG: Cell<u64> = Cell::new({
        let s = crate::dict::hash_bytes(b"zset-level-seed");
        if s == 0 { 0x9E37_79B9_7F4A_7C15 } else { s }
    });
}

/// xorshift64* step of the thread's level generator.
fn rng_next() -> u64 {
    LEVEL_RNG.with(|c| {
        let mut x = c.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        c.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    })
}

/// A uniformly random number in `0..n` (`n > 0`).
pub fn random_below(n: usize) -> usize {
    ((rng_next() >> 11) % (n as u64)) as usize
}

/// A random level in 1..=32, P(level > L) = 0.25^L (Redis `zslRandomLevel`).
fn zsl_random_level() -> usize {
    let threshold = (ZSKIPLIST_P * 65536.0) as u64;
    let mut level = 1;
    let mut r = rng_next();
    let mut bits = 64;
    while level < ZSKIPLIST_MAXLEVEL {
        if bits < 16 {
            r = rng_next();
            bits = 64;
        }
        if r & 0xFFFF >= threshold {
            break;
        }
        r >>= 16;
        bits -= 16;
        level += 1;
    }
    level
}

/// A score range (Redis `zrangespec`): `min`/`max` with exclusive flags.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ZRangeSpec {
    pub min: f64,
    pub max: f64,
    pub minex: bool,
    pub maxex: bool,
}

impl ZRangeSpec {
    /// True if `v` is above the lower bound (Redis `zslValueGteMin`).
    #[inline]
    pub fn gte_min(&self, v: f64) -> bool {
        if self.minex {
            v > self.min
        } else {
            v >= self.min
        }
    }
    /// True if `v` is below the upper bound (Redis `zslValueLteMax`).
    #[inline]
    pub fn lte_max(&self, v: f64) -> bool {
        if self.maxex {
            v < self.max
        } else {
            v <= self.max
        }
    }
    /// True when no score can be in the range.
    fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }
}

/// One end of a lexicographic range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexBound {
    /// `-`: below every string.
    Min,
    /// `+`: above every string.
    Max,
    /// `[s` or `(s`.
    Str(Vec<u8>),
}

impl LexBound {
    /// Compares a member with this bound (Redis `sdscmplex`).
    fn cmp_value(&self, v: &[u8]) -> std::cmp::Ordering {
        use std::cmp::Ordering::*;
        match self {
            LexBound::Min => Greater,
            LexBound::Max => Less,
            LexBound::Str(s) => v.cmp(s),
        }
    }
    fn rank(&self) -> u8 {
        match self {
            LexBound::Min => 0,
            LexBound::Str(_) => 1,
            LexBound::Max => 2,
        }
    }
}

/// A lexicographic range (Redis `zlexrangespec`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZLexRangeSpec {
    pub min: LexBound,
    pub max: LexBound,
    pub minex: bool,
    pub maxex: bool,
}

impl ZLexRangeSpec {
    /// True if `v` is above the lower bound (Redis `zslLexValueGteMin`).
    pub fn gte_min(&self, v: &[u8]) -> bool {
        let o = self.min.cmp_value(v);
        if self.minex { o.is_gt() } else { o.is_ge() }
    }
    /// True if `v` is below the upper bound (Redis `zslLexValueLteMax`).
    pub fn lte_max(&self, v: &[u8]) -> bool {
        let o = self.max.cmp_value(v);
        if self.maxex { o.is_lt() } else { o.is_le() }
    }
    /// True when no string can be in the range.
    fn is_empty(&self) -> bool {
        use std::cmp::Ordering::*;
        let cmp = match (&self.min, &self.max) {
            (LexBound::Str(a), LexBound::Str(b)) => a.cmp(b),
            (a, b) => a.rank().cmp(&b.rank()),
        };
        // Redis compares `-` with `-` (or `+` with `+`) as equal: both are
        // exclusive, so such a range is empty.
        cmp == Greater || (cmp == Equal && (self.minex || self.maxex))
    }
}

/// The skiplist encoding of a sorted set: skiplist with spans plus a hash
/// index member → node (see the module docs).
#[derive(Clone)]
pub struct ZSet {
    nodes: Vec<Node>,
    /// Levels 1.. of the nodes, in chunks of `nlevel - 1`.
    upper: Vec<Level>,
    /// Free-list heads by chunk length - 1 (allocated on the first free).
    upper_free: Vec<u32>,
    /// Pool slots currently on free lists.
    upper_free_slots: usize,
    /// The header's levels (as many as the highest level seen so far).
    head: Vec<Level>,
    tail: u32,
    level: usize,
    /// Hash tables of node indices; `ht[1]` is used while rehashing.
    ht: [Box<[u32]>; 2],
    /// Next bucket of `ht[0]` to move, or `NOT_REHASHING`.
    rehash_idx: usize,
    /// Entries in `ht[0]` and `ht[1]`.
    ht_used: [usize; 2],
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::new()
    }
}

impl std::fmt::Debug for ZSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut l = f.debug_list();
        let mut x = self.first();
        while x != NIL {
            let n = &self.nodes[x as usize];
            l.entry(&(String::from_utf8_lossy(&n.ele), n.score));
            x = n.l0.fwd;
        }
        l.finish()
    }
}

/// Where a node's hash-chain link lives.
enum ChainLink {
    Bucket(usize, usize),
    Node(u32),
}

/// A node position for the range and iteration API of [`ZSet`]; `None`
/// means past the end.
pub type NodeRef = Option<u32>;

#[inline]
fn opt(x: u32) -> NodeRef {
    if x == NIL { None } else { Some(x) }
}

/// Smallest power of two ≥ `n` and ≥ the initial size.
fn ht_next_size(n: usize) -> usize {
    n.max(HT_INITIAL_SIZE).next_power_of_two()
}

impl ZSet {
    /// An empty sorted set.
    pub fn new() -> ZSet {
        ZSet {
            nodes: Vec::new(),
            upper: Vec::new(),
            upper_free: Vec::new(),
            upper_free_slots: 0,
            head: vec![EMPTY_LEVEL],
            tail: NIL,
            level: 1,
            ht: [Box::new([]), Box::new([])],
            rehash_idx: NOT_REHASHING,
            ht_used: [0, 0],
        }
    }

    /// An empty sorted set with room for `n` members (Redis expands the
    /// dict up front when the size is known).
    pub fn with_capacity(n: usize) -> ZSet {
        let mut z = ZSet::new();
        z.nodes.reserve_exact(n);
        if n > HT_INITIAL_SIZE {
            z.ht[0] = vec![NIL; ht_next_size(n)].into_boxed_slice();
        }
        z
    }

    /// Number of members.
    #[inline]
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Active defrag of the members from node `from`, about `max` of them
    /// (heap member strings; the node and level arrays when starting),
    /// moved when jemalloc says they sit in sparse slabs. Returns the node
    /// to go on from, 0 when done.
    pub fn defrag_members(&mut self, from: u64, max: usize) -> u64 {
        let from = from as usize;
        if from == 0 {
            crate::defrag::defrag_vec(&mut self.nodes);
            crate::defrag::defrag_vec(&mut self.upper);
            crate::defrag::defrag_vec(&mut self.head);
        }
        let end = from.saturating_add(max).min(self.nodes.len());
        for n in &mut self.nodes[from.min(end)..end] {
            if let DictKey::Heap(b) = &mut n.ele {
                crate::defrag::defrag_bytes(b);
            }
        }
        if end >= self.nodes.len() {
            0
        } else {
            end as u64
        }
    }

    /// True if there are no members.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Heap bytes used (for MEMORY USAGE-style estimates).
    pub fn mem_usage(&self) -> usize {
        let members: usize = self.nodes.iter().map(|n| n.ele.heap_len()).sum();
        std::mem::size_of::<ZSet>()
            + self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.upper.capacity() * std::mem::size_of::<Level>()
            + (self.ht[0].len() + self.ht[1].len()) * 4
            + members
    }

    /// Heap bytes of the set as jemalloc sizes them, for MEMORY USAGE
    /// (Redis `objectComputeSize` on a skiplist): the node arena, the
    /// upper-level pool and its free lists, the header levels and both hash
    /// tables, plus the members' own allocations (members longer than 22
    /// bytes) sampled over the first `samples` nodes in score order and
    /// multiplied by the member count. The `ZSet` struct itself is not counted.
    ///
    /// # Latency
    /// `O(min(samples, len))`.
    pub fn alloc_size_sampled(&self, samples: usize) -> usize {
        use crate::util::zmalloc_size;
        let fixed = zmalloc_size(self.nodes.capacity() * std::mem::size_of::<Node>())
            + zmalloc_size(self.upper.capacity() * std::mem::size_of::<Level>())
            + zmalloc_size(self.upper_free.capacity() * std::mem::size_of::<u32>())
            + zmalloc_size(self.head.capacity() * std::mem::size_of::<Level>())
            + zmalloc_size(self.ht[0].len() * std::mem::size_of::<u32>())
            + zmalloc_size(self.ht[1].len() * std::mem::size_of::<u32>());
        let (mut sum, mut n) = (0usize, 0usize);
        let mut x = self.first_node();
        while let Some(i) = x
            && n < samples
        {
            sum += zmalloc_size(self.nodes[i as usize].ele.heap_len());
            n += 1;
            x = self.next(i);
        }
        if n == 0 {
            return fixed;
        }
        fixed + (sum as f64 / n as f64 * self.len() as f64) as usize
    }

    // -- level access --

    #[inline]
    fn lvl(&self, x: u32, i: usize) -> Level {
        if x == HEAD {
            self.head[i]
        } else {
            let n = &self.nodes[x as usize];
            if i == 0 {
                n.l0
            } else {
                self.upper[n.up as usize + i - 1]
            }
        }
    }

    #[inline]
    fn lvl_mut(&mut self, x: u32, i: usize) -> &mut Level {
        if x == HEAD {
            &mut self.head[i]
        } else {
            let n = &mut self.nodes[x as usize];
            if i == 0 {
                &mut n.l0
            } else {
                let off = n.up as usize + i - 1;
                &mut self.upper[off]
            }
        }
    }

    /// True if node `x` sorts before `(score, ele)`.
    #[inline]
    fn node_lt(&self, x: u32, score: f64, ele: &[u8]) -> bool {
        let n = &self.nodes[x as usize];
        n.score < score || (n.score == score && n.ele[..] < *ele)
    }

    /// True if node `x` sorts before or equal to `(score, ele)`.
    #[inline]
    fn node_le(&self, x: u32, score: f64, ele: &[u8]) -> bool {
        let n = &self.nodes[x as usize];
        n.score < score || (n.score == score && n.ele[..] <= *ele)
    }

    // -- upper-level pool --

    fn alloc_upper(&mut self, k: usize) -> u32 {
        if let Some(&h) = self.upper_free.get(k - 1)
            && h != NIL
        {
            let off = h as usize;
            self.upper_free[k - 1] = self.upper[off].fwd;
            self.upper_free_slots -= k;
            self.upper[off..off + k].fill(EMPTY_LEVEL);
            return h;
        }
        let off = self.upper.len();
        if self.upper.len() == self.upper.capacity() {
            self.upper.reserve_exact((self.upper.len() / 2).max(8));
        }
        self.upper.resize(off + k, EMPTY_LEVEL);
        off as u32
    }

    fn free_upper(&mut self, off: u32, k: usize) {
        let off = off as usize;
        if off + k == self.upper.len() {
            self.upper.truncate(off);
        } else {
            if self.upper_free.is_empty() {
                self.upper_free = vec![NIL; ZSKIPLIST_MAXLEVEL - 1];
            }
            self.upper[off].fwd = self.upper_free[k - 1];
            self.upper_free[k - 1] = off as u32;
            self.upper_free_slots += k;
        }
        if self.upper_free_slots > 64 && self.upper_free_slots * 2 > self.upper.len() {
            self.compact_upper();
        }
    }

    /// Rebuilds the upper-level pool without holes.
    fn compact_upper(&mut self) {
        let live = self.upper.len() - self.upper_free_slots;
        let mut pool = Vec::with_capacity(live);
        for n in self.nodes.iter_mut() {
            if n.nlevel > 1 {
                let k = n.nlevel as usize - 1;
                let off = n.up as usize;
                let new_off = pool.len() as u32;
                pool.extend_from_slice(&self.upper[off..off + k]);
                n.up = new_off;
            }
        }
        self.upper = pool;
        self.upper_free = Vec::new();
        self.upper_free_slots = 0;
    }

    // -- skiplist --

    /// Predecessors of `(score, ele)` at every level, and their ranks.
    fn search(
        &self,
        score: f64,
        ele: &[u8],
    ) -> ([u32; ZSKIPLIST_MAXLEVEL], [u32; ZSKIPLIST_MAXLEVEL]) {
        let mut update = [HEAD; ZSKIPLIST_MAXLEVEL];
        let mut rank = [0u32; ZSKIPLIST_MAXLEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let l = self.lvl(x, i);
                if l.fwd != NIL && self.node_lt(l.fwd, score, ele) {
                    rank[i] = rank[i].wrapping_add(l.span);
                    x = l.fwd;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        (update, rank)
    }

    /// Links arena node `x` (score and member set, not in the skiplist) into
    /// the skiplist with a fresh random level (Redis `zslInsert`).
    fn zsl_link(&mut self, x: u32) {
        let (mut update, mut rank) = {
            let n = &self.nodes[x as usize];
            self.search(n.score, &n.ele)
        };
        let level = zsl_random_level();
        let len = self.nodes.len() as u32 - 1; // x is already in the arena
        if level > self.level {
            if self.head.len() < level {
                self.head.resize(level, EMPTY_LEVEL);
            }
            for i in self.level..level {
                rank[i] = 0;
                update[i] = HEAD;
                self.head[i].span = len;
            }
            self.level = level;
        }
        let up = if level > 1 {
            self.alloc_upper(level - 1)
        } else {
            0
        };
        {
            let n = &mut self.nodes[x as usize];
            n.nlevel = level as u8;
            n.up = up;
            n.l0 = EMPTY_LEVEL;
        }
        for i in 0..level {
            let u = self.lvl(update[i], i);
            let d = rank[0].wrapping_sub(rank[i]);
            *self.lvl_mut(x, i) = Level {
                fwd: u.fwd,
                span: u.span.wrapping_sub(d),
            };
            *self.lvl_mut(update[i], i) = Level {
                fwd: x,
                span: d.wrapping_add(1),
            };
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(level) {
            let l = self.lvl_mut(u, i);
            l.span = l.span.wrapping_add(1);
        }
        let back = if update[0] == HEAD { NIL } else { update[0] };
        self.nodes[x as usize].backward = back;
        let f = self.nodes[x as usize].l0.fwd;
        if f != NIL {
            self.nodes[f as usize].backward = x;
        } else {
            self.tail = x;
        }
    }

    /// Unlinks node `x` from the skiplist given its predecessors and frees
    /// its upper levels (Redis `zslDeleteNode`). The node stays in the arena.
    fn zsl_unlink(&mut self, x: u32, update: &[u32; ZSKIPLIST_MAXLEVEL]) {
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let xl = if i < self.nodes[x as usize].nlevel as usize {
                Some(self.lvl(x, i))
            } else {
                None
            };
            let ul = self.lvl_mut(u, i);
            match xl {
                Some(xl) if ul.fwd == x => {
                    ul.span = ul.span.wrapping_add(xl.span).wrapping_sub(1);
                    ul.fwd = xl.fwd;
                }
                _ => ul.span = ul.span.wrapping_sub(1),
            }
        }
        let (f, b, nlevel, up) = {
            let n = &self.nodes[x as usize];
            (n.l0.fwd, n.backward, n.nlevel as usize, n.up)
        };
        if f != NIL {
            self.nodes[f as usize].backward = b;
        } else {
            self.tail = b;
        }
        while self.level > 1 && self.head[self.level - 1].fwd == NIL {
            self.level -= 1;
        }
        // The node gives up its upper levels before they are freed: freeing
        // may compact the pool, which walks every node's levels, and must
        // not see this node's block any more (it may be truncated away).
        let n = &mut self.nodes[x as usize];
        n.nlevel = 1;
        n.l0 = EMPTY_LEVEL;
        n.backward = NIL;
        if nlevel > 1 {
            self.free_upper(up, nlevel - 1);
        }
    }

    /// Predecessors of node `x` (which must be in the skiplist).
    fn update_of(&self, x: u32) -> [u32; ZSKIPLIST_MAXLEVEL] {
        let n = &self.nodes[x as usize];
        self.search(n.score, &n.ele).0
    }

    /// Removes node `x` from the skiplist, the hash index and the arena.
    fn remove_node(&mut self, x: u32) {
        // The first node's predecessors are all the header (ZPOPMIN).
        let update = if x == self.head[0].fwd {
            [HEAD; ZSKIPLIST_MAXLEVEL]
        } else {
            self.update_of(x)
        };
        self.zsl_unlink(x, &update);
        self.hash_unlink(x);
        self.arena_remove(x);
    }

    /// Drops arena slot `x` (already unlinked everywhere), moving the last
    /// node into it and re-pointing the links to the moved node.
    fn arena_remove(&mut self, x: u32) {
        let last = (self.nodes.len() - 1) as u32;
        if x == last {
            self.nodes.pop();
        } else {
            // A one-level node's only predecessor is its backward link: no
            // search needed (three nodes in four).
            let update = if self.nodes[last as usize].nlevel == 1 {
                let mut u = [HEAD; ZSKIPLIST_MAXLEVEL];
                let b = self.nodes[last as usize].backward;
                if b != NIL {
                    u[0] = b;
                }
                u
            } else {
                self.update_of(last)
            };
            let chain = self.chain_link_of(last);
            self.nodes.swap_remove(x as usize);
            let nlevel = self.nodes[x as usize].nlevel as usize;
            for (i, &u) in update.iter().enumerate().take(nlevel) {
                let l = self.lvl_mut(u, i);
                debug_assert_eq!(l.fwd, last);
                l.fwd = x;
            }
            let f = self.nodes[x as usize].l0.fwd;
            if f != NIL {
                self.nodes[f as usize].backward = x;
            } else {
                self.tail = x;
            }
            match chain {
                Some(ChainLink::Bucket(t, b)) => self.ht[t][b] = x,
                Some(ChainLink::Node(p)) => self.nodes[p as usize].hnext = x,
                None => {}
            }
            if self.tail == last {
                self.tail = x;
            }
        }
        let cap = self.nodes.capacity();
        if cap > 16 && self.nodes.len() < cap / 4 {
            self.nodes.shrink_to(self.nodes.len() * 2);
        }
    }

    /// Makes room for `n` more members without over-allocating (ZADD with
    /// many members, conversions).
    pub fn reserve(&mut self, n: usize) {
        self.nodes.reserve_exact(n);
    }

    /// Adds a member that is not present (Redis `zslInsert` + `dictAdd`);
    /// returns its node.
    pub fn insert(&mut self, score: f64, ele: &[u8]) -> u32 {
        debug_assert!(!score.is_nan());
        if self.nodes.len() == self.nodes.capacity() {
            // Grow by a quarter: the slack of a growing set stays small.
            let more = (self.nodes.len() / 4).max(4);
            self.nodes.reserve_exact(more);
        }
        let x = self.nodes.len() as u32;
        self.nodes.push(Node {
            ele: DictKey::from(ele),
            score,
            backward: NIL,
            hnext: NIL,
            l0: EMPTY_LEVEL,
            up: 0,
            nlevel: 1,
        });
        self.hash_insert(x);
        self.zsl_link(x);
        x
    }

    /// Removes `ele`; returns its score if it was present.
    pub fn remove(&mut self, ele: &[u8]) -> Option<f64> {
        self.rehash_step();
        let x = self.find(ele)?;
        let score = self.nodes[x as usize].score;
        self.remove_node(x);
        self.shrink_if_needed();
        Some(score)
    }

    /// Removes node `x` (from [`ZSet::find`], [`ZSet::first_node`], ...).
    pub fn delete_node(&mut self, x: u32) {
        self.rehash_step();
        self.remove_node(x);
        self.shrink_if_needed();
    }

    /// Changes the score of node `x` (Redis `zslUpdateScore`): in place when
    /// the order does not change, else unlinked and linked again.
    pub fn update_score(&mut self, x: u32, newscore: f64) {
        let (b, f) = {
            let n = &self.nodes[x as usize];
            (n.backward, n.l0.fwd)
        };
        if (b == NIL || self.nodes[b as usize].score < newscore)
            && (f == NIL || self.nodes[f as usize].score > newscore)
        {
            self.nodes[x as usize].score = newscore;
            return;
        }
        let update = self.update_of(x);
        self.zsl_unlink(x, &update);
        self.nodes[x as usize].score = newscore;
        self.zsl_link(x);
    }

    /// The node of `ele`, if present (Redis `dictFind`).
    pub fn find(&self, ele: &[u8]) -> Option<u32> {
        if self.nodes.is_empty() {
            return None;
        }
        let h = crate::dict::hash_bytes(ele);
        let tables = if self.rehash_idx == NOT_REHASHING {
            1
        } else {
            2
        };
        for t in 0..tables {
            let tb = &self.ht[t];
            if tb.is_empty() {
                continue;
            }
            let mut p = tb[h as usize & (tb.len() - 1)];
            while p != NIL {
                let n = &self.nodes[p as usize];
                if n.ele[..] == *ele {
                    return Some(p);
                }
                p = n.hnext;
            }
        }
        None
    }

    /// The score of `ele`, if present.
    pub fn score_of(&self, ele: &[u8]) -> Option<f64> {
        self.find(ele).map(|x| self.nodes[x as usize].score)
    }

    /// Member of node `x`.
    #[inline]
    pub fn ele(&self, x: u32) -> &[u8] {
        &self.nodes[x as usize].ele
    }

    /// Score of node `x`.
    #[inline]
    pub fn score(&self, x: u32) -> f64 {
        self.nodes[x as usize].score
    }

    /// The first node (lowest score), or `NIL`.
    #[inline]
    fn first(&self) -> u32 {
        self.head[0].fwd
    }

    /// First node, as an option.
    pub fn first_node(&self) -> NodeRef {
        opt(self.head[0].fwd)
    }

    /// Last node (highest score), as an option.
    pub fn last_node(&self) -> NodeRef {
        opt(self.tail)
    }

    /// The node after `x`.
    #[inline]
    pub fn next(&self, x: u32) -> NodeRef {
        opt(self.nodes[x as usize].l0.fwd)
    }

    /// The node before `x`.
    #[inline]
    pub fn prev(&self, x: u32) -> NodeRef {
        opt(self.nodes[x as usize].backward)
    }

    /// The 1-based rank of `(score, ele)`, 0 if absent (Redis `zslGetRank`).
    pub fn get_rank(&self, score: f64, ele: &[u8]) -> usize {
        let mut x = HEAD;
        let mut rank: usize = 0;
        for i in (0..self.level).rev() {
            loop {
                let l = self.lvl(x, i);
                if l.fwd != NIL && self.node_le(l.fwd, score, ele) {
                    rank += l.span as usize;
                    x = l.fwd;
                } else {
                    break;
                }
            }
            if x != HEAD {
                let n = &self.nodes[x as usize];
                if n.score == score && n.ele[..] == *ele {
                    return rank;
                }
            }
        }
        0
    }

    /// The node of 1-based `rank` (Redis `zslGetElementByRank`).
    pub fn by_rank(&self, rank: usize) -> NodeRef {
        let mut x = HEAD;
        let mut traversed: usize = 0;
        for i in (0..self.level).rev() {
            loop {
                let l = self.lvl(x, i);
                if l.fwd != NIL && traversed + l.span as usize <= rank {
                    traversed += l.span as usize;
                    x = l.fwd;
                } else {
                    break;
                }
            }
            if traversed == rank && x != HEAD {
                return Some(x);
            }
        }
        None
    }

    /// Walks from the header down every level, moving forward while
    /// `advance` holds for the next node; returns the last node reached
    /// (`HEAD` if none). The one search behind the range lookups.
    fn descend(&self, advance: impl Fn(u32) -> bool) -> u32 {
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.lvl(x, i).fwd;
                if f != NIL && advance(f) {
                    x = f;
                } else {
                    break;
                }
            }
        }
        x
    }

    fn is_in_range(&self, r: &ZRangeSpec) -> bool {
        if r.is_empty() || self.tail == NIL {
            return false;
        }
        r.gte_min(self.score(self.tail)) && r.lte_max(self.score(self.head[0].fwd))
    }

    /// First node with a score in `r` (Redis `zslFirstInRange`).
    pub fn first_in_range(&self, r: &ZRangeSpec) -> NodeRef {
        if !self.is_in_range(r) {
            return None;
        }
        let x = self.descend(|n| !r.gte_min(self.score(n)));
        let x = self.lvl(x, 0).fwd;
        if x == NIL || !r.lte_max(self.score(x)) {
            return None;
        }
        Some(x)
    }

    /// Last node with a score in `r` (Redis `zslLastInRange`).
    pub fn last_in_range(&self, r: &ZRangeSpec) -> NodeRef {
        if !self.is_in_range(r) {
            return None;
        }
        let x = self.descend(|n| r.lte_max(self.score(n)));
        if x == HEAD || !r.gte_min(self.score(x)) {
            return None;
        }
        Some(x)
    }

    fn is_in_lex_range(&self, r: &ZLexRangeSpec) -> bool {
        if r.is_empty() || self.tail == NIL {
            return false;
        }
        r.gte_min(self.ele(self.tail)) && r.lte_max(self.ele(self.head[0].fwd))
    }

    /// First node with a member in `r` (Redis `zslFirstInLexRange`).
    pub fn first_in_lex_range(&self, r: &ZLexRangeSpec) -> NodeRef {
        if !self.is_in_lex_range(r) {
            return None;
        }
        let x = self.descend(|n| !r.gte_min(self.ele(n)));
        let x = self.lvl(x, 0).fwd;
        if x == NIL || !r.lte_max(self.ele(x)) {
            return None;
        }
        Some(x)
    }

    /// Last node with a member in `r` (Redis `zslLastInLexRange`).
    pub fn last_in_lex_range(&self, r: &ZLexRangeSpec) -> NodeRef {
        if !self.is_in_lex_range(r) {
            return None;
        }
        let x = self.descend(|n| r.lte_max(self.ele(n)));
        if x == HEAD || !r.gte_min(self.ele(x)) {
            return None;
        }
        Some(x)
    }

    /// Removes the members with a score in `r`; returns how many.
    pub fn delete_range_by_score(&mut self, r: &ZRangeSpec) -> usize {
        let mut removed = 0;
        while let Some(x) = self.first_in_range(r) {
            self.rehash_step();
            self.remove_node(x);
            removed += 1;
        }
        self.shrink_if_needed();
        removed
    }

    /// Removes the members in the lex range `r`; returns how many.
    pub fn delete_range_by_lex(&mut self, r: &ZLexRangeSpec) -> usize {
        let mut removed = 0;
        while let Some(x) = self.first_in_lex_range(r) {
            self.rehash_step();
            self.remove_node(x);
            removed += 1;
        }
        self.shrink_if_needed();
        removed
    }

    /// Removes the members of 1-based ranks `start..=end`; returns how many.
    pub fn delete_range_by_rank(&mut self, start: usize, end: usize) -> usize {
        let mut removed = 0;
        let end = end.min(self.len());
        if start >= 1 {
            for _ in start..=end {
                let Some(x) = self.by_rank(start) else { break };
                self.rehash_step();
                self.remove_node(x);
                removed += 1;
            }
        }
        self.shrink_if_needed();
        removed
    }

    /// A uniformly random node (the set must not be empty).
    pub fn random_node(&self) -> u32 {
        random_below(self.nodes.len()) as u32
    }

    // ---- Hash index ----

    #[inline]
    fn is_rehashing(&self) -> bool {
        self.rehash_idx != NOT_REHASHING
    }

    fn hash_of(&self, x: u32) -> u64 {
        crate::dict::hash_bytes(&self.nodes[x as usize].ele)
    }

    /// Where the link to node `x` in its hash chain is.
    fn chain_link_of(&self, x: u32) -> Option<ChainLink> {
        let h = self.hash_of(x);
        let tables = if self.is_rehashing() { 2 } else { 1 };
        for t in 0..tables {
            let tb = &self.ht[t];
            if tb.is_empty() {
                continue;
            }
            let b = h as usize & (tb.len() - 1);
            if tb[b] == x {
                return Some(ChainLink::Bucket(t, b));
            }
            let mut p = tb[b];
            while p != NIL {
                let nx = self.nodes[p as usize].hnext;
                if nx == x {
                    return Some(ChainLink::Node(p));
                }
                p = nx;
            }
        }
        None
    }

    /// DEBUG HTSTATS-KEY text for the member index (Redis `dictGetStats`
    /// on the zset's dict).
    pub fn ht_stats(&self) -> String {
        let tables = if self.is_rehashing() { 2 } else { 1 };
        let mut o = String::new();
        for t in 0..tables {
            let chains = self.ht[t].iter().map(|&head| {
                let (mut n, mut p) = (0, head);
                while p != NIL {
                    n += 1;
                    p = self.nodes[p as usize].hnext;
                }
                n
            });
            o.push_str(&crate::dict::ht_stats_text(
                t,
                self.ht[t].len(),
                self.ht_used[t],
                chains,
            ));
        }
        o
    }

    fn hash_insert(&mut self, x: u32) {
        self.rehash_step();
        self.expand_if_needed();
        let t = if self.is_rehashing() { 1 } else { 0 };
        let h = self.hash_of(x);
        let b = h as usize & (self.ht[t].len() - 1);
        self.nodes[x as usize].hnext = self.ht[t][b];
        self.ht[t][b] = x;
        self.ht_used[t] += 1;
    }

    fn hash_unlink(&mut self, x: u32) {
        let next = self.nodes[x as usize].hnext;
        let h = self.hash_of(x);
        let tables = if self.is_rehashing() { 2 } else { 1 };
        for t in 0..tables {
            if self.ht[t].is_empty() {
                continue;
            }
            let b = h as usize & (self.ht[t].len() - 1);
            if self.ht[t][b] == x {
                self.ht[t][b] = next;
                self.ht_used[t] -= 1;
                self.nodes[x as usize].hnext = NIL;
                return;
            }
            let mut p = self.ht[t][b];
            while p != NIL {
                let nx = self.nodes[p as usize].hnext;
                if nx == x {
                    self.nodes[p as usize].hnext = next;
                    self.ht_used[t] -= 1;
                    self.nodes[x as usize].hnext = NIL;
                    return;
                }
                p = nx;
            }
        }
    }

    fn expand_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        if self.ht[0].is_empty() {
            self.ht_expand(HT_INITIAL_SIZE);
        } else if self.ht_used[0] >= self.ht[0].len() {
            self.ht_expand(self.ht_used[0] + 1);
        }
    }

    /// Starts moving to a table of `ht_next_size(size)` buckets.
    fn ht_expand(&mut self, size: usize) {
        if self.is_rehashing() {
            return;
        }
        let size = ht_next_size(size);
        if size == self.ht[0].len() {
            return;
        }
        let table = vec![NIL; size].into_boxed_slice();
        if self.ht[0].is_empty() {
            self.ht[0] = table;
        } else {
            self.ht[1] = table;
            self.rehash_idx = 0;
        }
    }

    /// Moves one bucket of `ht[0]` (skipping at most 10 empty ones) to `ht[1]`.
    fn rehash_step(&mut self) {
        if !self.is_rehashing() {
            return;
        }
        let mut empty_visits = 10;
        while self.ht_used[0] != 0 {
            let idx = self.rehash_idx;
            if idx >= self.ht[0].len() {
                break;
            }
            let mut p = self.ht[0][idx];
            if p == NIL {
                self.rehash_idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    return;
                }
                continue;
            }
            self.ht[0][idx] = NIL;
            let mask = self.ht[1].len() - 1;
            while p != NIL {
                let nx = self.nodes[p as usize].hnext;
                let b = self.hash_of(p) as usize & mask;
                self.nodes[p as usize].hnext = self.ht[1][b];
                self.ht[1][b] = p;
                self.ht_used[0] -= 1;
                self.ht_used[1] += 1;
                p = nx;
            }
            self.rehash_idx += 1;
            break;
        }
        if self.ht_used[0] == 0 {
            self.ht[0] = std::mem::replace(&mut self.ht[1], Box::new([]));
            self.ht_used[0] = self.ht_used[1];
            self.ht_used[1] = 0;
            self.rehash_idx = NOT_REHASHING;
        }
    }

    /// Shrinks the hash table when under 10% full (Redis `htNeedsResize`
    /// then `dictResize`).
    pub fn shrink_if_needed(&mut self) {
        let size = self.ht[0].len();
        let used = self.ht_used[0] + self.ht_used[1];
        if self.is_rehashing() || size <= HT_INITIAL_SIZE || used * 100 / size >= HT_MIN_FILL {
            return;
        }
        self.ht_expand(used.max(HT_INITIAL_SIZE));
    }

    /// One step of ZSCAN (Redis `dictScan`): calls `f(member, score)` for
    /// the members of the bucket(s) at `cursor`; returns the next cursor, 0
    /// when done.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], f64)) -> u64 {
        if self.nodes.is_empty() || self.ht[0].is_empty() {
            return 0;
        }
        let mut v = cursor;
        let mut emit_bucket = |tb: &[u32], b: usize| {
            let mut p = tb[b];
            while p != NIL {
                let n = &self.nodes[p as usize];
                f(&n.ele, n.score);
                p = n.hnext;
            }
        };
        if !self.is_rehashing() {
            let m0 = (self.ht[0].len() - 1) as u64;
            emit_bucket(&self.ht[0], (v & m0) as usize);
            v |= !m0;
            v = v.reverse_bits().wrapping_add(1).reverse_bits();
        } else {
            let (small, big) = if self.ht[0].len() <= self.ht[1].len() {
                (&self.ht[0], &self.ht[1])
            } else {
                (&self.ht[1], &self.ht[0])
            };
            let m0 = (small.len() - 1) as u64;
            let m1 = (big.len() - 1) as u64;
            emit_bucket(small, (v & m0) as usize);
            loop {
                emit_bucket(big, (v & m1) as usize);
                v |= !m1;
                v = v.reverse_bits().wrapping_add(1).reverse_bits();
                if v & (m0 ^ m1) == 0 {
                    break;
                }
            }
        }
        v
    }

    /// Checks every invariant (tests): links, spans, order, tail, hash index.
    #[cfg(test)]
    fn check(&self) {
        let n = self.len();
        // level 0 walk
        let mut x = self.head[0].fwd;
        let mut prev = NIL;
        let mut count = 0;
        while x != NIL {
            let nd = &self.nodes[x as usize];
            assert_eq!(nd.backward, prev);
            if prev != NIL {
                let p = &self.nodes[prev as usize];
                assert!(
                    p.score < nd.score || (p.score == nd.score && p.ele[..] < nd.ele[..]),
                    "order"
                );
            }
            prev = x;
            x = nd.l0.fwd;
            count += 1;
        }
        assert_eq!(count, n);
        assert_eq!(self.tail, prev);
        // spans: at every level, span = rank(fwd) - rank(x)
        let mut rank_of = vec![0usize; n];
        let mut x = self.head[0].fwd;
        let mut r = 1;
        while x != NIL {
            rank_of[x as usize] = r;
            r += 1;
            x = self.nodes[x as usize].l0.fwd;
        }
        for i in 0..self.level {
            let mut x = HEAD;
            loop {
                let l = self.lvl(x, i);
                if l.fwd == NIL {
                    break;
                }
                let rx = if x == HEAD { 0 } else { rank_of[x as usize] };
                assert_eq!(
                    l.span as usize,
                    rank_of[l.fwd as usize] - rx,
                    "span level {}",
                    i
                );
                assert!(self.nodes[l.fwd as usize].nlevel as usize > i);
                x = l.fwd;
            }
        }
        if self.level > 1 {
            assert_ne!(self.head[self.level - 1].fwd, NIL);
        }
        // hash
        assert_eq!(self.ht_used[0] + self.ht_used[1], n);
        for (i, nd) in self.nodes.iter().enumerate() {
            assert_eq!(self.find(&nd.ele), Some(i as u32));
        }
    }
}

// ---- Listpack encoding ----

/// Largest listpack Redis lets a sorted set grow to (`LISTPACK_MAX_SAFETY_SIZE`).
const LISTPACK_MAX_SAFETY_SIZE: usize = 1 << 30;

/// Redis `lpSafeToAdd`: true if `add` more bytes keep the listpack under 1 GiB.
fn lp_safe_to_add(lp: Option<&Listpack>, add: usize) -> bool {
    lp.map_or(0, |l| l.bytes()).saturating_add(add) <= LISTPACK_MAX_SAFETY_SIZE
}

/// The `i64` equal to `d` when `d` is integral and within ±2^62 (Redis
/// `double2ll`): such scores are stored as listpack integers.
pub fn double2ll(d: f64) -> Option<i64> {
    const LIM: f64 = (i64::MAX / 2) as f64;
    if !(-LIM..=LIM).contains(&d) {
        return None;
    }
    let ll = d as i64;
    if ll as f64 == d { Some(ll) } else { None }
}

/// A score as Redis writes it in a listpack: an integer when `double2ll`
/// allows, else its `%.17g` text (`inf`, `-inf`).
enum ScoreRepr {
    Int(i64),
    Str(Vec<u8>),
}

fn score_repr(score: f64) -> ScoreRepr {
    match double2ll(score) {
        Some(i) => ScoreRepr::Int(i),
        None => ScoreRepr::Str(crate::util::d2string_g17(score)),
    }
}

/// Reads a score stored as text (Redis `zzlStrtod`: C strtod of at most 127
/// bytes, no error checking).
fn zzl_strtod(s: &[u8]) -> f64 {
    crate::util::strtod(&s[..s.len().min(127)]).0
}

/// The score of a listpack score entry (Redis `zzlGetScore`).
fn zzl_score(v: LpValue<'_>) -> f64 {
    match v {
        LpValue::Int(i) => i as f64,
        LpValue::Str(s) => zzl_strtod(s),
    }
}

/// Compares a listpack member entry with `ele` as byte strings.
fn lp_cmp(v: LpValue<'_>, ele: &[u8]) -> std::cmp::Ordering {
    let mut t = itoa::Buffer::new();
    v.as_bytes(&mut t).cmp(ele)
}

/// Bytes of a listpack entry into an owned vector.
fn lp_bytes(v: LpValue<'_>) -> Vec<u8> {
    v.to_vec()
}

/// Score position (the entry after the member at `eptr`).
#[inline]
fn zzl_sptr(lp: &Listpack, eptr: usize) -> Option<usize> {
    lp.next(eptr)
}

/// Score of the member at `eptr`.
fn zzl_score_at(lp: &Listpack, eptr: usize) -> f64 {
    zzl_sptr(lp, eptr).map_or(0.0, |s| zzl_score(lp.get(s)))
}

/// The member after the pair at `eptr` (Redis `zzlNext`).
fn zzl_next(lp: &Listpack, eptr: usize) -> Option<usize> {
    lp.next(zzl_sptr(lp, eptr)?)
}

/// The member before the pair at `eptr` (Redis `zzlPrev`).
fn zzl_prev(lp: &Listpack, eptr: usize) -> Option<usize> {
    lp.prev(lp.prev(eptr)?)
}

/// Finds `ele`: its member position and score (Redis `zzlFind`).
fn zzl_find(lp: &Listpack, ele: &[u8]) -> Option<(usize, f64)> {
    let first = lp.first()?;
    let e = lp.find(first, ele, 1)?;
    Some((e, zzl_score_at(lp, e)))
}

/// Deletes the pair at `eptr` (Redis `zzlDelete`).
fn zzl_delete(lp: &mut Listpack, eptr: usize) {
    if let Some(s) = lp.delete(eptr) {
        lp.delete(s);
    }
}

/// Inserts the pair before the member at `eptr`, or appends it (Redis
/// `zzlInsertAt`).
fn zzl_insert_at(lp: &mut Listpack, eptr: Option<usize>, ele: &[u8], score: f64) {
    let repr = score_repr(score);
    match eptr {
        None => {
            lp.append(ele);
            match repr {
                ScoreRepr::Int(i) => lp.append_int(i),
                ScoreRepr::Str(s) => lp.append(&s),
            }
        }
        Some(e) => {
            let p = lp.insert_before(e, ele);
            match repr {
                ScoreRepr::Int(i) => {
                    let mut b = itoa::Buffer::new();
                    lp.insert_after(p, b.format(i).as_bytes());
                }
                ScoreRepr::Str(s) => {
                    lp.insert_after(p, &s);
                }
            }
        }
    }
}

/// Inserts a pair that is not present, keeping `(score, member)` order
/// (Redis `zzlInsert`).
fn zzl_insert(lp: &mut Listpack, ele: &[u8], score: f64) {
    let mut eptr = lp.first();
    while let Some(e) = eptr {
        let Some(sp) = lp.next(e) else { break };
        let s = zzl_score(lp.get(sp));
        if s > score || (s == score && lp_cmp(lp.get(e), ele).is_gt()) {
            zzl_insert_at(lp, Some(e), ele, score);
            return;
        }
        eptr = lp.next(sp);
    }
    zzl_insert_at(lp, None, ele, score);
}

fn zzl_is_in_range(lp: &Listpack, r: &ZRangeSpec) -> bool {
    if r.is_empty() {
        return false;
    }
    let (Some(last_s), Some(first_s)) = (lp.seek(-1), lp.seek(1)) else {
        return false;
    };
    r.gte_min(zzl_score(lp.get(last_s))) && r.lte_max(zzl_score(lp.get(first_s)))
}

/// First member with a score in `r` (Redis `zzlFirstInRange`).
fn zzl_first_in_range(lp: &Listpack, r: &ZRangeSpec) -> Option<usize> {
    if !zzl_is_in_range(lp, r) {
        return None;
    }
    let mut eptr = lp.first();
    while let Some(e) = eptr {
        let s = zzl_score_at(lp, e);
        if r.gte_min(s) {
            return if r.lte_max(s) { Some(e) } else { None };
        }
        eptr = zzl_next(lp, e);
    }
    None
}

/// Last member with a score in `r` (Redis `zzlLastInRange`).
fn zzl_last_in_range(lp: &Listpack, r: &ZRangeSpec) -> Option<usize> {
    if !zzl_is_in_range(lp, r) {
        return None;
    }
    let mut eptr = lp.seek(-2);
    while let Some(e) = eptr {
        let s = zzl_score_at(lp, e);
        if r.lte_max(s) {
            return if r.gte_min(s) { Some(e) } else { None };
        }
        eptr = zzl_prev(lp, e);
    }
    None
}

fn lp_ele_gte_min(lp: &Listpack, e: usize, r: &ZLexRangeSpec) -> bool {
    let mut t = itoa::Buffer::new();
    r.gte_min(lp.get(e).as_bytes(&mut t))
}

fn lp_ele_lte_max(lp: &Listpack, e: usize, r: &ZLexRangeSpec) -> bool {
    let mut t = itoa::Buffer::new();
    r.lte_max(lp.get(e).as_bytes(&mut t))
}

fn zzl_is_in_lex_range(lp: &Listpack, r: &ZLexRangeSpec) -> bool {
    if r.is_empty() {
        return false;
    }
    let (Some(last), Some(first)) = (lp.seek(-2), lp.seek(0)) else {
        return false;
    };
    lp_ele_gte_min(lp, last, r) && lp_ele_lte_max(lp, first, r)
}

/// First member in the lex range `r` (Redis `zzlFirstInLexRange`).
fn zzl_first_in_lex_range(lp: &Listpack, r: &ZLexRangeSpec) -> Option<usize> {
    if !zzl_is_in_lex_range(lp, r) {
        return None;
    }
    let mut eptr = lp.first();
    while let Some(e) = eptr {
        if lp_ele_gte_min(lp, e, r) {
            return if lp_ele_lte_max(lp, e, r) {
                Some(e)
            } else {
                None
            };
        }
        eptr = zzl_next(lp, e);
    }
    None
}

/// Last member in the lex range `r` (Redis `zzlLastInLexRange`).
fn zzl_last_in_lex_range(lp: &Listpack, r: &ZLexRangeSpec) -> Option<usize> {
    if !zzl_is_in_lex_range(lp, r) {
        return None;
    }
    let mut eptr = lp.seek(-2);
    while let Some(e) = eptr {
        if lp_ele_lte_max(lp, e, r) {
            return if lp_ele_gte_min(lp, e, r) {
                Some(e)
            } else {
                None
            };
        }
        eptr = zzl_prev(lp, e);
    }
    None
}

// ---- Sorted set object (both encodings) ----

/// ZADD input flag: add the score to the current one (INCR).
pub const ZADD_IN_INCR: u32 = 1 << 0;
/// ZADD input flag: only add new members.
pub const ZADD_IN_NX: u32 = 1 << 1;
/// ZADD input flag: only update existing members.
pub const ZADD_IN_XX: u32 = 1 << 2;
/// ZADD input flag: only update when the new score is greater.
pub const ZADD_IN_GT: u32 = 1 << 3;
/// ZADD input flag: only update when the new score is less.
pub const ZADD_IN_LT: u32 = 1 << 4;
/// ZADD result flag: the resulting score was NaN; nothing changed.
pub const ZADD_OUT_NAN: u32 = 1 << 0;
/// ZADD result flag: the member was added.
pub const ZADD_OUT_ADDED: u32 = 1 << 1;
/// ZADD result flag: the member's score changed.
pub const ZADD_OUT_UPDATED: u32 = 1 << 2;
/// ZADD result flag: nothing done because of NX / XX / GT / LT.
pub const ZADD_OUT_NOP: u32 = 1 << 3;

/// The conversion thresholds, read from the config
/// (`zset-max-listpack-entries`, `zset-max-listpack-value`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZsetLimits {
    pub max_listpack_entries: usize,
    pub max_listpack_value: usize,
}

impl ZsetLimits {
    /// The server's current limits.
    pub fn from_config(cfg: &crate::config::Config) -> ZsetLimits {
        ZsetLimits {
            max_listpack_entries: cfg.zset_max_listpack_entries as usize,
            max_listpack_value: cfg.zset_max_listpack_value as usize,
        }
    }
}

/// A sorted set value: `listpack` or `skiplist` (see the module docs).
#[derive(Clone, Debug)]
pub enum ZSetObj {
    /// `listpack`: member, score, member, score... in score order.
    Listpack(Listpack),
    /// `skiplist`: skiplist plus dict (boxed, so `ZSetObj` is 16 bytes and
    /// fits inline in a 24-byte `Value`).
    Skiplist(Box<ZSet>),
}

impl Default for ZSetObj {
    fn default() -> Self {
        ZSetObj::new_listpack()
    }
}

impl ZSetObj {
    /// An empty `listpack` sorted set (Redis `createZsetListpackObject`).
    pub fn new_listpack() -> ZSetObj {
        ZSetObj::Listpack(Listpack::new())
    }

    /// An empty `skiplist` sorted set (Redis `createZsetObject`).
    pub fn new_skiplist() -> ZSetObj {
        ZSetObj::Skiplist(Box::default())
    }

    /// An empty sorted set in the encoding a set of `size_hint` members, the
    /// longest `max_value_len` bytes, should have: `listpack` within the
    /// limits, else `skiplist` (sized for `size_hint`). For loaders that know
    /// the size up front.
    pub fn new_for(size_hint: usize, max_value_len: usize, limits: &ZsetLimits) -> ZSetObj {
        if size_hint <= limits.max_listpack_entries
            && max_value_len <= limits.max_listpack_value
            && limits.max_listpack_entries > 0
        {
            ZSetObj::new_listpack()
        } else {
            ZSetObj::Skiplist(Box::new(ZSet::with_capacity(size_hint)))
        }
    }

    /// Wraps a listpack of `member, score` pairs already in order (an RDB
    /// payload checked by its loader).
    pub fn from_listpack(lp: Listpack) -> ZSetObj {
        ZSetObj::Listpack(lp)
    }

    /// OBJECT ENCODING name.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            ZSetObj::Listpack(_) => "listpack",
            ZSetObj::Skiplist(_) => "skiplist",
        }
    }

    /// Number of members (Redis `zsetLength`).
    pub fn len(&self) -> usize {
        match self {
            ZSetObj::Listpack(lp) => lp.len() / 2,
            ZSetObj::Skiplist(z) => z.len(),
        }
    }

    /// True if there are no members.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Approximate heap bytes.
    pub fn mem_usage(&self) -> usize {
        match self {
            ZSetObj::Listpack(lp) => lp.bytes(),
            ZSetObj::Skiplist(z) => z.mem_usage(),
        }
    }

    /// The score of `member` (Redis `zsetScore`).
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSetObj::Listpack(lp) => zzl_find(lp, member).map(|(_, s)| s),
            ZSetObj::Skiplist(z) => z.score_of(member),
        }
    }

    /// Calls `f(member, score)` for every member in rank order.
    pub fn for_each(&self, mut f: impl FnMut(&[u8], f64)) {
        match self {
            ZSetObj::Listpack(lp) => {
                let mut t = itoa::Buffer::new();
                let mut e = lp.first();
                while let Some(p) = e {
                    let Some(sp) = lp.next(p) else { break };
                    f(lp.get(p).as_bytes(&mut t), zzl_score(lp.get(sp)));
                    e = lp.next(sp);
                }
            }
            ZSetObj::Skiplist(z) => {
                let mut x = z.first_node();
                while let Some(n) = x {
                    f(z.ele(n), z.score(n));
                    x = z.next(n);
                }
            }
        }
    }

    /// Calls `f(member, score)` for every member from the highest rank down.
    pub fn for_each_rev(&self, mut f: impl FnMut(&[u8], f64)) {
        match self {
            ZSetObj::Listpack(lp) => {
                let mut t = itoa::Buffer::new();
                let mut e = lp.seek(-2);
                while let Some(p) = e {
                    f(lp.get(p).as_bytes(&mut t), zzl_score_at(lp, p));
                    e = zzl_prev(lp, p);
                }
            }
            ZSetObj::Skiplist(z) => {
                let mut x = z.last_node();
                while let Some(n) = x {
                    f(z.ele(n), z.score(n));
                    x = z.prev(n);
                }
            }
        }
    }

    /// Converts to `skiplist` (Redis `zsetConvert`); no-op if it is one.
    pub fn convert_to_skiplist(&mut self) {
        let ZSetObj::Listpack(lp) = self else { return };
        // One more than the listpack holds: the usual reason to convert is
        // the member about to be added.
        let mut z = ZSet::with_capacity(lp.len() / 2 + 1);
        let mut t = itoa::Buffer::new();
        let mut e = lp.first();
        while let Some(p) = e {
            let Some(sp) = lp.next(p) else { break };
            let score = zzl_score(lp.get(sp));
            let ele = lp.get(p);
            let ele = ele.as_bytes(&mut t);
            if z.find(ele).is_none() {
                z.insert(score, ele);
            }
            e = lp.next(sp);
        }
        *self = ZSetObj::Skiplist(Box::new(z));
    }

    /// Converts to `listpack` whatever the size (Redis `zsetConvert`).
    pub fn convert_to_listpack(&mut self) {
        let ZSetObj::Skiplist(z) = self else { return };
        let mut lp = Listpack::new();
        let mut x = z.first_node();
        while let Some(n) = x {
            zzl_insert_at(&mut lp, None, z.ele(n), z.score(n));
            x = z.next(n);
        }
        *self = ZSetObj::Listpack(lp);
    }

    /// Converts a `skiplist` to `listpack` when its size, longest member
    /// (`maxelelen`) and total member bytes (`totelelen`) are within the
    /// limits (Redis `zsetConvertToListpackIfNeeded`).
    pub fn convert_to_listpack_if_needed(
        &mut self,
        maxelelen: usize,
        totelelen: usize,
        limits: &ZsetLimits,
    ) {
        if let ZSetObj::Skiplist(z) = self
            && z.len() <= limits.max_listpack_entries
            && maxelelen <= limits.max_listpack_value
            && lp_safe_to_add(None, totelelen)
        {
            self.convert_to_listpack();
        }
    }

    /// Adds or updates `member` (Redis `zsetAdd`). `flags` are `ZADD_IN_*`.
    /// Returns `ZADD_OUT_*` flags and the member's resulting score. A NaN
    /// `score`, or an INCR giving NaN, returns `ZADD_OUT_NAN` and changes
    /// nothing. A `listpack` is converted to `skiplist` first when the new
    /// member would break `limits`.
    pub fn zset_add(
        &mut self,
        score: f64,
        member: &[u8],
        flags: u32,
        limits: &ZsetLimits,
    ) -> (u32, f64) {
        let incr = flags & ZADD_IN_INCR != 0;
        let nx = flags & ZADD_IN_NX != 0;
        let xx = flags & ZADD_IN_XX != 0;
        let gt = flags & ZADD_IN_GT != 0;
        let lt = flags & ZADD_IN_LT != 0;
        let mut score = score;
        if score.is_nan() {
            return (ZADD_OUT_NAN, score);
        }
        if let ZSetObj::Listpack(lp) = self {
            if let Some((eptr, cur)) = zzl_find(lp, member) {
                if nx {
                    return (ZADD_OUT_NOP, cur);
                }
                if incr {
                    score += cur;
                    if score.is_nan() {
                        return (ZADD_OUT_NAN, score);
                    }
                }
                if (lt && score >= cur) || (gt && score <= cur) {
                    return (ZADD_OUT_NOP, cur);
                }
                if score != cur {
                    zzl_delete(lp, eptr);
                    zzl_insert(lp, member, score);
                    return (ZADD_OUT_UPDATED, score);
                }
                return (0, score);
            } else if !xx {
                if lp.len() / 2 + 1 > limits.max_listpack_entries
                    || member.len() > limits.max_listpack_value
                    || !lp_safe_to_add(Some(lp), member.len())
                {
                    self.convert_to_skiplist();
                } else {
                    zzl_insert(lp, member, score);
                    return (ZADD_OUT_ADDED, score);
                }
            } else {
                return (ZADD_OUT_NOP, score);
            }
        }
        let ZSetObj::Skiplist(z) = self else {
            return (ZADD_OUT_NOP, score);
        };
        match z.find(member) {
            Some(x) => {
                let cur = z.score(x);
                if nx {
                    return (ZADD_OUT_NOP, cur);
                }
                if incr {
                    score += cur;
                    if score.is_nan() {
                        return (ZADD_OUT_NAN, score);
                    }
                }
                if (lt && score >= cur) || (gt && score <= cur) {
                    return (ZADD_OUT_NOP, cur);
                }
                if score != cur {
                    z.update_score(x, score);
                    return (ZADD_OUT_UPDATED, score);
                }
                (0, score)
            }
            None if !xx => {
                z.insert(score, member);
                (ZADD_OUT_ADDED, score)
            }
            None => (ZADD_OUT_NOP, score),
        }
    }

    /// Removes `member`; true if it was present (Redis `zsetDel`).
    pub fn zset_del(&mut self, member: &[u8]) -> bool {
        match self {
            ZSetObj::Listpack(lp) => match zzl_find(lp, member) {
                Some((e, _)) => {
                    zzl_delete(lp, e);
                    true
                }
                None => false,
            },
            ZSetObj::Skiplist(z) => z.remove(member).is_some(),
        }
    }

    /// Calls `f(member, score)` for the members whose score is in `range`,
    /// in rank order, from the first one in range (Redis
    /// `zzlFirstInRange` / `zslFirstInRange`) while the score is below the
    /// upper bound; stops early when `f` returns false. For GEO searches,
    /// which walk one score range per geohash cell.
    pub fn for_each_in_score_range(
        &self,
        range: &ZRangeSpec,
        mut f: impl FnMut(&[u8], f64) -> bool,
    ) {
        match self {
            ZSetObj::Listpack(lp) => {
                let mut t = itoa::Buffer::new();
                let mut e = zzl_first_in_range(lp, range);
                while let Some(p) = e {
                    let Some(sp) = lp.next(p) else { break };
                    let score = zzl_score(lp.get(sp));
                    if !range.lte_max(score) {
                        break;
                    }
                    if !f(lp.get(p).as_bytes(&mut t), score) {
                        break;
                    }
                    e = lp.next(sp);
                }
            }
            ZSetObj::Skiplist(z) => {
                let mut x = z.first_in_range(range);
                while let Some(n) = x {
                    let score = z.score(n);
                    if !range.lte_max(score) {
                        break;
                    }
                    if !f(z.ele(n), score) {
                        break;
                    }
                    x = z.next(n);
                }
            }
        }
    }

    /// 0-based rank of `member`, from the highest score when `reverse`
    /// (Redis `zsetRank`).
    pub fn rank(&self, member: &[u8], reverse: bool) -> Option<usize> {
        let len = self.len();
        let rank = match self {
            ZSetObj::Listpack(lp) => {
                let mut rank = 1;
                let mut e = lp.first();
                loop {
                    let p = e?;
                    if lp.get(p).eq_bytes(member) {
                        break rank;
                    }
                    rank += 1;
                    e = zzl_next(lp, p);
                }
            }
            ZSetObj::Skiplist(z) => {
                let score = z.score_of(member)?;
                let r = z.get_rank(score, member);
                if r == 0 {
                    return None;
                }
                r
            }
        };
        Some(if reverse { len - rank } else { rank - 1 })
    }
}

// ---- Commands ----

/// Sorted set command handlers, by name.
pub static HANDLERS: &[(&str, Handler)] = &[
    ("zadd", zadd_command),
    ("zincrby", zincrby_command),
    ("zrem", zrem_command),
    ("zcard", zcard_command),
    ("zcount", zcount_command),
    ("zlexcount", zlexcount_command),
    ("zscore", zscore_command),
    ("zmscore", zmscore_command),
    ("zrank", zrank_command),
    ("zrevrank", zrevrank_command),
    ("zrange", zrange_command),
    ("zrangestore", zrangestore_command),
    ("zrevrange", zrevrange_command),
    ("zrangebyscore", zrangebyscore_command),
    ("zrevrangebyscore", zrevrangebyscore_command),
    ("zrangebylex", zrangebylex_command),
    ("zrevrangebylex", zrevrangebylex_command),
    ("zremrangebyrank", zremrangebyrank_command),
    ("zremrangebyscore", zremrangebyscore_command),
    ("zremrangebylex", zremrangebylex_command),
    ("zpopmin", zpopmin_command),
    ("zpopmax", zpopmax_command),
    ("zmpop", zmpop_command),
    ("bzpopmin", bzpopmin_command),
    ("bzpopmax", bzpopmax_command),
    ("bzmpop", bzmpop_command),
    ("zrandmember", zrandmember_command),
    ("zscan", zscan_command),
    ("zunion", zunion_command),
    ("zinter", zinter_command),
    ("zdiff", zdiff_command),
    ("zunionstore", zunionstore_command),
    ("zinterstore", zinterstore_command),
    ("zdiffstore", zdiffstore_command),
    ("zintercard", zintercard_command),
];

const ERR_MINMAX_NOT_FLOAT: &str = "ERR min or max is not a float";
const ERR_LEX_RANGE: &str = "ERR min or max not valid string range item";
const ERR_NAN: &str = "ERR resulting score is not a number (NaN)";
fn limits(srv: &Server) -> ZsetLimits {
    ZsetLimits::from_config(&srv.config)
}

/// Outcome of a typed lookup: the key is missing, holds another type
/// (WRONGTYPE already replied), or holds a sorted set.
enum Lookup<'a> {
    Missing,
    WrongType,
    Found(&'a mut ZSetObj),
}

fn zset_lookup<'a>(srv: &'a mut Server, c: &mut Client, key: &[u8], write: bool) -> Lookup<'a> {
    let dbid = c.db;
    let o = if write {
        db::lookup_key_write(srv, dbid, key)
    } else {
        db::lookup_key_read(srv, dbid, key)
    };
    let Some(o) = o else { return Lookup::Missing };
    if db::check_type(c, o, ObjType::ZSet) {
        return Lookup::WrongType;
    }
    match &mut o.v {
        Value::ZSet(z) => Lookup::Found(z),
        _ => Lookup::WrongType,
    }
}

/// The sorted set at `key` without lookup side effects (after a lookup).
fn zset_get_mut<'a>(srv: &'a mut Server, dbid: usize, key: &[u8]) -> Option<&'a mut ZSetObj> {
    match srv.dbs[dbid].dict.get_mut(key) {
        Some(o) => match &mut o.v {
            Value::ZSet(z) => Some(z),
            _ => None,
        },
        None => None,
    }
}

/// Parses a score argument (Redis `getDoubleFromObjectOrReply`):
/// "ERR value is not a valid float" (or `msg`).
fn get_double_or_reply(c: &mut Client, arg: &[u8], msg: Option<&str>) -> Option<f64> {
    match crate::util::string2d(arg) {
        Some(v) => Some(v),
        None => {
            c.add_reply_error(msg.unwrap_or(shared::err_not_float()));
            None
        }
    }
}

/// One bound of a score range: `[(]number` with C strtod rules.
fn parse_score_bound(s: &[u8]) -> Option<(f64, bool)> {
    let (ex, body) = match s.first() {
        Some(b'(') => (true, &s[1..]),
        _ => (false, s),
    };
    let body = match memchr::memchr(0, body) {
        Some(n) => &body[..n],
        None => body,
    };
    let (v, n) = crate::util::strtod(body);
    if n != body.len() || v.is_nan() {
        return None;
    }
    Some((v, ex))
}

/// Parses a score range (Redis `zslParseRange`).
pub fn zsl_parse_range(min: &[u8], max: &[u8]) -> Option<ZRangeSpec> {
    let (min, minex) = parse_score_bound(min)?;
    let (max, maxex) = parse_score_bound(max)?;
    Some(ZRangeSpec {
        min,
        max,
        minex,
        maxex,
    })
}

fn parse_lex_item(s: &[u8]) -> Option<(LexBound, bool)> {
    let alone = s.len() == 1 || s.get(1) == Some(&0);
    match s.first() {
        Some(b'+') if alone => Some((LexBound::Max, true)),
        Some(b'-') if alone => Some((LexBound::Min, true)),
        Some(b'(') => Some((LexBound::Str(s[1..].to_vec()), true)),
        Some(b'[') => Some((LexBound::Str(s[1..].to_vec()), false)),
        _ => None,
    }
}

/// Parses a lex range: `-`, `+`, `[member`, `(member` (Redis `zslParseLexRange`).
pub fn zsl_parse_lex_range(min: &[u8], max: &[u8]) -> Option<ZLexRangeSpec> {
    let (min, minex) = parse_lex_item(min)?;
    let (max, maxex) = parse_lex_item(max)?;
    Some(ZLexRangeSpec {
        min,
        max,
        minex,
        maxex,
    })
}

/// Deletes an emptied sorted set key and announces it.
fn delete_if_empty(srv: &mut Server, dbid: usize, key: &[u8]) -> bool {
    if zset_get_mut(srv, dbid, key).is_some_and(|z| z.is_empty()) {
        db::db_delete(srv, dbid, key);
        return true;
    }
    false
}

// -- ZADD / ZINCRBY --

/// ZADD key [NX|XX] [GT|LT] \[CH\] \[INCR\] score member [score member ...] →
/// integer: members added (added or changed with CH); with INCR the new
/// score (double) or null when NX/XX/GT/LT prevented it. Errors: "ERR syntax
/// error" (odd or missing pairs), "ERR XX and NX options at the same time
/// are not compatible", "ERR GT, LT, and/or NX options at the same time are
/// not compatible", "ERR INCR option supports a single increment-element
/// pair", "ERR value is not a valid float", "ERR resulting score is not a
/// number (NaN)", WRONGTYPE. Events: `zadd` (`zincr` with INCR).
pub fn zadd_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| zadd_generic_command(srv, c, argv, 0));
}

/// ZINCRBY key increment member → the new score (double). Errors as ZADD
/// INCR. Event: `zincr`.
pub fn zincrby_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        zadd_generic_command(srv, c, argv, ZADD_IN_INCR)
    });
}

/// The body of ZADD / ZINCRBY over an explicit argument vector (`argv[0]`
/// is the command name, `argv[1]` the key); `flags` are `ZADD_IN_*` preset
/// by the caller. GEOADD calls it with the ZADD vector it builds, as Redis's
/// `geoaddCommand` calls `zaddCommand`.
pub fn zadd_generic_command(srv: &mut Server, c: &mut Client, argv: &[Bytes], mut flags: u32) {
    let key = &argv[1][..];
    let mut ch = false;
    let mut scoreidx = 2;
    while scoreidx < argv.len() {
        let opt = &argv[scoreidx][..];
        if opt.eq_ignore_ascii_case(b"nx") {
            flags |= ZADD_IN_NX;
        } else if opt.eq_ignore_ascii_case(b"xx") {
            flags |= ZADD_IN_XX;
        } else if opt.eq_ignore_ascii_case(b"ch") {
            ch = true;
        } else if opt.eq_ignore_ascii_case(b"incr") {
            flags |= ZADD_IN_INCR;
        } else if opt.eq_ignore_ascii_case(b"gt") {
            flags |= ZADD_IN_GT;
        } else if opt.eq_ignore_ascii_case(b"lt") {
            flags |= ZADD_IN_LT;
        } else {
            break;
        }
        scoreidx += 1;
    }
    let incr = flags & ZADD_IN_INCR != 0;
    let nx = flags & ZADD_IN_NX != 0;
    let xx = flags & ZADD_IN_XX != 0;
    let gt = flags & ZADD_IN_GT != 0;
    let lt = flags & ZADD_IN_LT != 0;
    let elements = argv.len() - scoreidx;
    if !elements.is_multiple_of(2) || elements == 0 {
        return c.add_reply_error(shared::err_syntax());
    }
    let elements = elements / 2;
    if nx && xx {
        return c.add_reply_error("ERR XX and NX options at the same time are not compatible");
    }
    if (nx && (gt || lt)) || (gt && lt) {
        return c
            .add_reply_error("ERR GT, LT, and/or NX options at the same time are not compatible");
    }
    if incr && elements > 1 {
        return c.add_reply_error("ERR INCR option supports a single increment-element pair");
    }
    let mut scores = Vec::with_capacity(elements);
    for j in 0..elements {
        let Some(s) = get_double_or_reply(c, &argv[scoreidx + j * 2], None) else {
            return;
        };
        scores.push(s);
    }
    let dbid = c.db;
    let lim = limits(srv);
    let (mut added, mut updated, mut processed) = (0i64, 0i64, 0i64);
    let mut score = 0.0;
    let mut nan = false;
    match zset_lookup(srv, c, key, true) {
        Lookup::WrongType => return,
        Lookup::Missing if xx => {}
        Lookup::Missing => {
            // Redis creates a skiplist right away when the first member
            // could not be in a listpack.
            let first_len = argv[scoreidx + 1].len();
            let obj = if lim.max_listpack_entries == 0 || lim.max_listpack_value < first_len {
                ZSetObj::new_skiplist()
            } else {
                ZSetObj::new_listpack()
            };
            db::db_add(srv, dbid, key, Value::ZSet(obj));
        }
        Lookup::Found(_) => {}
    }
    if let Some(z) = zset_get_mut(srv, dbid, key) {
        if let ZSetObj::Skiplist(zs) = z {
            zs.reserve(elements);
        }
        for (j, &s) in scores.iter().enumerate() {
            let ele = &argv[scoreidx + 1 + j * 2];
            let (out, newscore) = z.zset_add(s, ele, flags, &lim);
            if out & ZADD_OUT_NAN != 0 {
                nan = true;
                break;
            }
            if out & ZADD_OUT_ADDED != 0 {
                added += 1;
            }
            if out & ZADD_OUT_UPDATED != 0 {
                updated += 1;
            }
            if out & ZADD_OUT_NOP == 0 {
                processed += 1;
            }
            score = newscore;
        }
    }
    if nan {
        c.add_reply_error(ERR_NAN);
        delete_if_empty(srv, dbid, key);
    } else {
        srv.dirty += added + updated;
        if incr {
            if processed > 0 {
                c.add_reply_double(score);
            } else {
                c.add_reply_null();
            }
        } else {
            c.add_reply_long_long(if ch { added + updated } else { added });
        }
    }
    if added > 0 || updated > 0 {
        db::signal_modified_key(srv, dbid, key);
        notify_keyspace_event(
            srv,
            NOTIFY_ZSET,
            if incr { "zincr" } else { "zadd" },
            key,
            dbid,
        );
        if added > 0 {
            blocked::signal_key_as_ready(srv, dbid, key);
        }
    }
}

// -- ZREM / ZREMRANGEBY* --

/// ZREM key member [member ...] → integer: members removed. Events: `zrem`,
/// then `del` if the set is emptied.
pub fn zrem_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let key = &argv[1][..];
        let dbid = c.db;
        let mut deleted = 0i64;
        let mut keyremoved = false;
        match zset_lookup(srv, c, key, true) {
            Lookup::Missing => return c.add_reply_long_long(0),
            Lookup::WrongType => return,
            Lookup::Found(z) => {
                for m in &argv[2..] {
                    if z.zset_del(m) {
                        deleted += 1;
                    }
                    if z.is_empty() {
                        keyremoved = true;
                        break;
                    }
                }
            }
        }
        db::removed_from_collection(srv, dbid, key, NOTIFY_ZSET, "zrem", deleted, keyremoved);
        c.add_reply_long_long(deleted);
    });
}

enum RemRange {
    Rank(i64, i64),
    Score(ZRangeSpec),
    Lex(ZLexRangeSpec),
}

/// Deletes the members of `range` from `z`; returns how many.
fn zset_delete_range(z: &mut ZSetObj, range: &RemRange) -> usize {
    match z {
        ZSetObj::Listpack(lp) => match range {
            RemRange::Rank(start, end) => {
                let n = (end - start + 1) as usize;
                lp.delete_range(2 * *start as usize, 2 * n);
                n
            }
            RemRange::Score(r) => {
                let mut num = 0;
                let mut e = zzl_first_in_range(lp, r);
                while let Some(p) = e {
                    if !r.lte_max(zzl_score_at(lp, p)) {
                        break;
                    }
                    let next = lp.delete(p).and_then(|s| lp.delete(s));
                    num += 1;
                    e = next;
                }
                num
            }
            RemRange::Lex(r) => {
                let mut num = 0;
                let mut e = zzl_first_in_lex_range(lp, r);
                while let Some(p) = e {
                    if !lp_ele_lte_max(lp, p, r) {
                        break;
                    }
                    let next = lp.delete(p).and_then(|s| lp.delete(s));
                    num += 1;
                    e = next;
                }
                num
            }
        },
        ZSetObj::Skiplist(z) => match range {
            RemRange::Rank(start, end) => {
                z.delete_range_by_rank(*start as usize + 1, *end as usize + 1)
            }
            RemRange::Score(r) => z.delete_range_by_score(r),
            RemRange::Lex(r) => z.delete_range_by_lex(r),
        },
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

fn zremrange_generic_command(srv: &mut Server, c: &mut Client, argv: &[Bytes], rt: RangeType) {
    let key = &argv[1][..];
    let dbid = c.db;
    let (event, mut range) = match rt {
        RangeType::Score => {
            let Some(r) = zsl_parse_range(&argv[2], &argv[3]) else {
                return c.add_reply_error(ERR_MINMAX_NOT_FLOAT);
            };
            ("zremrangebyscore", RemRange::Score(r))
        }
        RangeType::Lex => {
            let Some(r) = zsl_parse_lex_range(&argv[2], &argv[3]) else {
                return c.add_reply_error(ERR_LEX_RANGE);
            };
            ("zremrangebylex", RemRange::Lex(r))
        }
        _ => {
            let Some(start) = db::get_long_long_or_reply(c, &argv[2], None) else {
                return;
            };
            let Some(end) = db::get_long_long_or_reply(c, &argv[3], None) else {
                return;
            };
            ("zremrangebyrank", RemRange::Rank(start, end))
        }
    };
    let deleted;
    let keyremoved;
    match zset_lookup(srv, c, key, true) {
        Lookup::Missing => return c.add_reply_long_long(0),
        Lookup::WrongType => return,
        Lookup::Found(z) => {
            if let RemRange::Rank(start, end) = range {
                let llen = z.len() as i64;
                let mut start = if start < 0 { llen + start } else { start };
                let mut end = if end < 0 { llen + end } else { end };
                if start < 0 {
                    start = 0;
                }
                if start > end || start >= llen {
                    return c.add_reply_long_long(0);
                }
                if end >= llen {
                    end = llen - 1;
                }
                range = RemRange::Rank(start, end);
            }
            deleted = zset_delete_range(z, &range);
            keyremoved = z.is_empty();
        }
    }
    if keyremoved {
        db::db_delete(srv, dbid, key);
    }
    if deleted > 0 {
        db::signal_modified_key(srv, dbid, key);
        notify_keyspace_event(srv, NOTIFY_ZSET, event, key, dbid);
        if keyremoved {
            notify_keyspace_event(srv, NOTIFY_GENERIC, "del", key, dbid);
        }
    }
    srv.dirty += deleted as i64;
    c.add_reply_long_long(deleted as i64);
}

/// ZREMRANGEBYRANK key start stop → integer: members removed (0-based,
/// negative from the end). Event `zremrangebyrank` (+ `del`).
pub fn zremrangebyrank_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        zremrange_generic_command(srv, c, argv, RangeType::Rank)
    });
}

/// ZREMRANGEBYSCORE key min max → integer. "ERR min or max is not a float".
/// Event `zremrangebyscore` (+ `del`).
pub fn zremrangebyscore_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        zremrange_generic_command(srv, c, argv, RangeType::Score)
    });
}

/// ZREMRANGEBYLEX key min max → integer. "ERR min or max not valid string
/// range item". Event `zremrangebylex` (+ `del`).
pub fn zremrangebylex_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        zremrange_generic_command(srv, c, argv, RangeType::Lex)
    });
}

// -- ZCARD / ZSCORE / ZMSCORE / ZRANK / ZCOUNT / ZLEXCOUNT --

/// ZCARD key → integer: number of members (0 for a missing key).
pub fn zcard_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        match zset_lookup(srv, c, &argv[1], false) {
            Lookup::Missing => c.add_reply_long_long(0),
            Lookup::WrongType => {}
            Lookup::Found(z) => {
                let n = z.len() as i64;
                c.add_reply_long_long(n)
            }
        }
    });
}

/// ZSCORE key member → the score (double) or null.
pub fn zscore_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        match zset_lookup(srv, c, &argv[1], false) {
            Lookup::Missing => c.add_reply_null(),
            Lookup::WrongType => {}
            Lookup::Found(z) => match z.score(&argv[2]) {
                Some(s) => c.add_reply_double(s),
                None => c.add_reply_null(),
            },
        }
    });
}

/// ZMSCORE key member [member ...] → array of scores (null for missing
/// members; all null for a missing key).
pub fn zmscore_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let z = match zset_lookup(srv, c, &argv[1], false) {
            Lookup::Missing => None,
            Lookup::WrongType => return,
            Lookup::Found(z) => Some(z),
        };
        c.add_reply_array_len(argv.len() - 2);
        for m in &argv[2..] {
            match z.as_ref().and_then(|z| z.score(m)) {
                Some(s) => c.add_reply_double(s),
                None => c.add_reply_null(),
            }
        }
    });
}

fn zrank_generic_command(srv: &mut Server, c: &mut Client, reverse: bool) {
    with_argv(srv, c, |srv, c, argv| {
        match zset_lookup(srv, c, &argv[1], false) {
            Lookup::Missing => c.add_reply_null(),
            Lookup::WrongType => {}
            Lookup::Found(z) => match z.rank(&argv[2], reverse) {
                Some(r) => c.add_reply_long_long(r as i64),
                None => c.add_reply_null(),
            },
        }
    });
}

/// ZRANK key member → integer: 0-based rank by ascending score, or null.
pub fn zrank_command(srv: &mut Server, c: &mut Client) {
    zrank_generic_command(srv, c, false);
}

/// ZREVRANK key member → integer: 0-based rank by descending score, or null.
pub fn zrevrank_command(srv: &mut Server, c: &mut Client) {
    zrank_generic_command(srv, c, true);
}

/// ZCOUNT key min max → integer: members with a score in the range.
/// "ERR min or max is not a float".
pub fn zcount_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let Some(r) = zsl_parse_range(&argv[2], &argv[3]) else {
            return c.add_reply_error(ERR_MINMAX_NOT_FLOAT);
        };
        let z = match zset_lookup(srv, c, &argv[1], false) {
            Lookup::Missing => return c.add_reply_long_long(0),
            Lookup::WrongType => return,
            Lookup::Found(z) => z,
        };
        let count = match z {
            ZSetObj::Listpack(lp) => {
                let mut n = 0;
                let mut e = zzl_first_in_range(lp, &r);
                while let Some(p) = e {
                    if !r.lte_max(zzl_score_at(lp, p)) {
                        break;
                    }
                    n += 1;
                    e = zzl_next(lp, p);
                }
                n
            }
            ZSetObj::Skiplist(z) => match z.first_in_range(&r) {
                None => 0,
                Some(first) => {
                    let rank = z.get_rank(z.score(first), z.ele(first));
                    let mut count = z.len() - (rank - 1);
                    if let Some(last) = z.last_in_range(&r) {
                        let rank = z.get_rank(z.score(last), z.ele(last));
                        count -= z.len() - rank;
                    }
                    count
                }
            },
        };
        c.add_reply_long_long(count as i64);
    });
}

/// ZLEXCOUNT key min max → integer: members in the lex range. "ERR min or
/// max not valid string range item".
pub fn zlexcount_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let Some(r) = zsl_parse_lex_range(&argv[2], &argv[3]) else {
            return c.add_reply_error(ERR_LEX_RANGE);
        };
        let z = match zset_lookup(srv, c, &argv[1], false) {
            Lookup::Missing => return c.add_reply_long_long(0),
            Lookup::WrongType => return,
            Lookup::Found(z) => z,
        };
        let count = match z {
            ZSetObj::Listpack(lp) => {
                let mut n = 0;
                let mut e = zzl_first_in_lex_range(lp, &r);
                while let Some(p) = e {
                    if !lp_ele_lte_max(lp, p, &r) {
                        break;
                    }
                    n += 1;
                    e = zzl_next(lp, p);
                }
                n
            }
            ZSetObj::Skiplist(z) => match z.first_in_lex_range(&r) {
                None => 0,
                Some(first) => {
                    let rank = z.get_rank(z.score(first), z.ele(first));
                    let mut count = z.len() - (rank - 1);
                    if let Some(last) = z.last_in_lex_range(&r) {
                        let rank = z.get_rank(z.score(last), z.ele(last));
                        count -= z.len() - rank;
                    }
                    count
                }
            },
        };
        c.add_reply_long_long(count as i64);
    });
}

// -- ZRANGE family --

/// Where the members of a range go: the client, or a new sorted set
/// (ZRANGESTORE) (Redis `zrange_result_handler`).
struct RangeOut<'c> {
    c: &'c mut Client,
    store: Option<ZSetObj>,
    limits: ZsetLimits,
    withscores: bool,
    /// RESP3 WITHSCORES: each member and score as a 2-element array.
    nested: bool,
    deferred: Option<crate::networking::DeferredLen>,
    count: usize,
}

impl<'c> RangeOut<'c> {
    fn new(c: &'c mut Client, store: bool, limits: ZsetLimits) -> RangeOut<'c> {
        RangeOut {
            c,
            store: match (store, limits.max_listpack_entries) {
                (false, _) => None,
                (true, 0) => Some(ZSetObj::new_skiplist()),
                (true, _) => Some(ZSetObj::new_listpack()),
            },
            limits,
            withscores: false,
            nested: false,
            deferred: None,
            count: 0,
        }
    }

    fn enable_scores(&mut self) {
        self.withscores = true;
        self.nested = self.c.resp > 2;
    }

    /// Starts the reply; `length` when known up front.
    fn begin(&mut self, length: Option<usize>) {
        if let Some(z) = &mut self.store {
            if length.is_some_and(|n| n > self.limits.max_listpack_entries) {
                *z = ZSetObj::new_skiplist();
            }
            return;
        }
        match length {
            Some(n) if n > 0 => {
                let n = if self.withscores && self.c.resp == 2 {
                    n * 2
                } else {
                    n
                };
                self.c.add_reply_array_len(n);
            }
            _ => self.deferred = Some(self.c.add_reply_deferred_len()),
        }
    }

    fn emit(&mut self, ele: &[u8], score: f64) {
        self.count += 1;
        if let Some(z) = &mut self.store {
            z.zset_add(score, ele, 0, &self.limits);
            return;
        }
        if self.nested {
            self.c.add_reply_array_len(2);
        }
        self.c.add_reply_bulk(ele);
        if self.withscores {
            self.c.add_reply_double(score);
        }
    }

    fn emit_lp(&mut self, v: LpValue<'_>, score: f64) {
        let mut t = itoa::Buffer::new();
        self.emit(v.as_bytes(&mut t), score);
    }

    /// Ends the reply; returns the stored set for ZRANGESTORE.
    fn finalize(self) -> Option<ZSetObj> {
        if let Some(h) = self.deferred {
            let n = if self.withscores && self.c.resp == 2 {
                self.count * 2
            } else {
                self.count
            };
            self.c.set_deferred_array_len(h, n);
        }
        self.store
    }
}

fn zrange_by_rank(out: &mut RangeOut<'_>, z: &ZSetObj, start: i64, end: i64, reverse: bool) {
    let llen = z.len() as i64;
    let mut start = if start < 0 { llen + start } else { start };
    let mut end = if end < 0 { llen + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        out.begin(Some(0));
        return;
    }
    if end >= llen {
        end = llen - 1;
    }
    let mut rangelen = (end - start + 1) as usize;
    out.begin(Some(rangelen));
    let withscores = out.withscores || out.store.is_some();
    match z {
        ZSetObj::Listpack(lp) => {
            let mut e = if reverse {
                lp.seek(-2 - 2 * start)
            } else {
                lp.seek(2 * start)
            };
            while rangelen > 0 {
                let Some(p) = e else { break };
                let score = if withscores { zzl_score_at(lp, p) } else { 0.0 };
                out.emit_lp(lp.get(p), score);
                e = if reverse {
                    zzl_prev(lp, p)
                } else {
                    zzl_next(lp, p)
                };
                rangelen -= 1;
            }
        }
        ZSetObj::Skiplist(zs) => {
            let mut ln = if reverse {
                if start > 0 {
                    zs.by_rank((llen - start) as usize)
                } else {
                    zs.last_node()
                }
            } else if start > 0 {
                zs.by_rank(start as usize + 1)
            } else {
                zs.first_node()
            };
            while rangelen > 0 {
                let Some(x) = ln else { break };
                out.emit(zs.ele(x), zs.score(x));
                ln = if reverse { zs.prev(x) } else { zs.next(x) };
                rangelen -= 1;
            }
        }
    }
}

/// Positions picked by a score or lex range, collected first so that the
/// reply's length is known up front (no deferred length).
enum Picks {
    Lp(Vec<usize>),
    Sl(Vec<u32>),
}

fn emit_picks(out: &mut RangeOut<'_>, z: &ZSetObj, picks: Picks, withscores: bool) {
    match (z, picks) {
        (ZSetObj::Listpack(lp), Picks::Lp(v)) => {
            out.begin(Some(v.len()));
            for p in v {
                let score = if withscores { zzl_score_at(lp, p) } else { 0.0 };
                out.emit_lp(lp.get(p), score);
            }
        }
        (ZSetObj::Skiplist(zs), Picks::Sl(v)) => {
            out.begin(Some(v.len()));
            for x in v {
                out.emit(zs.ele(x), zs.score(x));
            }
        }
        _ => out.begin(Some(0)),
    }
}

/// Walks from `start` (skipping `offset` members, then taking at most
/// `limit`, negative meaning no limit) while `in_range` holds, in the
/// direction given by `step`.
fn pick_walk<P: Copy>(
    start: Option<P>,
    mut offset: i64,
    mut limit: i64,
    step: impl Fn(P) -> Option<P>,
    in_range: impl Fn(P) -> bool,
) -> Vec<P> {
    let mut e = start;
    while let Some(p) = e {
        if offset == 0 {
            break;
        }
        offset -= 1;
        e = step(p);
    }
    let mut v = Vec::new();
    while let Some(p) = e {
        if limit == 0 || !in_range(p) {
            break;
        }
        limit -= 1;
        v.push(p);
        e = step(p);
    }
    v
}

fn zrange_by_score(
    out: &mut RangeOut<'_>,
    z: &ZSetObj,
    r: &ZRangeSpec,
    offset: i64,
    limit: i64,
    reverse: bool,
) {
    if offset > 0 && offset >= z.len() as i64 {
        out.begin(Some(0));
        return;
    }
    let picks = match z {
        ZSetObj::Listpack(lp) => {
            let start = if reverse {
                zzl_last_in_range(lp, r)
            } else {
                zzl_first_in_range(lp, r)
            };
            Picks::Lp(pick_walk(
                start,
                offset,
                limit,
                |p| {
                    if reverse {
                        zzl_prev(lp, p)
                    } else {
                        zzl_next(lp, p)
                    }
                },
                |p| {
                    let s = zzl_score_at(lp, p);
                    if reverse { r.gte_min(s) } else { r.lte_max(s) }
                },
            ))
        }
        ZSetObj::Skiplist(zs) => {
            let start = if reverse {
                zs.last_in_range(r)
            } else {
                zs.first_in_range(r)
            };
            Picks::Sl(pick_walk(
                start,
                offset,
                limit,
                |x| if reverse { zs.prev(x) } else { zs.next(x) },
                |x| {
                    let s = zs.score(x);
                    if reverse { r.gte_min(s) } else { r.lte_max(s) }
                },
            ))
        }
    };
    emit_picks(out, z, picks, true);
}

fn zrange_by_lex(
    out: &mut RangeOut<'_>,
    z: &ZSetObj,
    r: &ZLexRangeSpec,
    offset: i64,
    limit: i64,
    reverse: bool,
) {
    let withscores = out.withscores || out.store.is_some();
    let picks = match z {
        ZSetObj::Listpack(lp) => {
            let start = if reverse {
                zzl_last_in_lex_range(lp, r)
            } else {
                zzl_first_in_lex_range(lp, r)
            };
            Picks::Lp(pick_walk(
                start,
                offset,
                limit,
                |p| {
                    if reverse {
                        zzl_prev(lp, p)
                    } else {
                        zzl_next(lp, p)
                    }
                },
                |p| {
                    if reverse {
                        lp_ele_gte_min(lp, p, r)
                    } else {
                        lp_ele_lte_max(lp, p, r)
                    }
                },
            ))
        }
        ZSetObj::Skiplist(zs) => {
            let start = if reverse {
                zs.last_in_lex_range(r)
            } else {
                zs.first_in_lex_range(r)
            };
            Picks::Sl(pick_walk(
                start,
                offset,
                limit,
                |x| if reverse { zs.prev(x) } else { zs.next(x) },
                |x| {
                    if reverse {
                        r.gte_min(zs.ele(x))
                    } else {
                        r.lte_max(zs.ele(x))
                    }
                },
            ))
        }
    };
    emit_picks(out, z, picks, withscores);
}

enum ParsedRange {
    Rank(i64, i64),
    Score(ZRangeSpec),
    Lex(ZLexRangeSpec),
}

/// ZRANGE / ZRANGESTORE and the older Z\[REV\]RANGE[BYSCORE|BYLEX] (Redis
/// `zrangeGenericCommand`). `argc_start` is the source key's index.
fn zrange_generic_command(
    srv: &mut Server,
    c: &mut Client,
    argv: &[Bytes],
    argc_start: usize,
    store: bool,
    mut rangetype: RangeType,
    mut reverse: Option<bool>,
) {
    let key = &argv[argc_start][..];
    let mut minidx = argc_start + 1;
    let mut maxidx = argc_start + 2;
    let mut withscores = false;
    let mut offset = 0i64;
    let mut limit = -1i64;
    let mut j = argc_start + 3;
    while j < argv.len() {
        let leftargs = argv.len() - j - 1;
        let a = &argv[j][..];
        if !store && a.eq_ignore_ascii_case(b"withscores") {
            withscores = true;
        } else if a.eq_ignore_ascii_case(b"limit") && leftargs >= 2 {
            let Some(o) = db::get_long_long_or_reply(c, &argv[j + 1], None) else {
                return;
            };
            let Some(l) = db::get_long_long_or_reply(c, &argv[j + 2], None) else {
                return;
            };
            offset = o;
            limit = l;
            j += 2;
        } else if reverse.is_none() && a.eq_ignore_ascii_case(b"rev") {
            reverse = Some(true);
        } else if rangetype == RangeType::Auto && a.eq_ignore_ascii_case(b"bylex") {
            rangetype = RangeType::Lex;
        } else if rangetype == RangeType::Auto && a.eq_ignore_ascii_case(b"byscore") {
            rangetype = RangeType::Score;
        } else {
            return c.add_reply_error(shared::err_syntax());
        }
        j += 1;
    }
    let reverse = reverse.unwrap_or(false);
    if rangetype == RangeType::Auto {
        rangetype = RangeType::Rank;
    }
    if limit != -1 && rangetype == RangeType::Rank {
        return c.add_reply_error(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        );
    }
    if withscores && rangetype == RangeType::Lex {
        return c.add_reply_error(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        );
    }
    if reverse && matches!(rangetype, RangeType::Score | RangeType::Lex) {
        std::mem::swap(&mut minidx, &mut maxidx);
    }
    let range = match rangetype {
        RangeType::Score => match zsl_parse_range(&argv[minidx], &argv[maxidx]) {
            Some(r) => ParsedRange::Score(r),
            None => return c.add_reply_error(ERR_MINMAX_NOT_FLOAT),
        },
        RangeType::Lex => match zsl_parse_lex_range(&argv[minidx], &argv[maxidx]) {
            Some(r) => ParsedRange::Lex(r),
            None => return c.add_reply_error(ERR_LEX_RANGE),
        },
        _ => {
            let Some(s) = db::get_long_long_or_reply(c, &argv[minidx], None) else {
                return;
            };
            let Some(e) = db::get_long_long_or_reply(c, &argv[maxidx], None) else {
                return;
            };
            ParsedRange::Rank(s, e)
        }
    };
    let lim = limits(srv);
    let dbid = c.db;
    let result = {
        let z = match zset_lookup(srv, c, key, false) {
            Lookup::Missing => {
                if !store {
                    c.add_reply_array_len(0);
                    return;
                }
                None
            }
            Lookup::WrongType => return,
            Lookup::Found(z) => Some(z),
        };
        let mut out = RangeOut::new(c, store, lim);
        if withscores || store {
            out.enable_scores();
        }
        if let Some(z) = z {
            match &range {
                ParsedRange::Rank(s, e) => zrange_by_rank(&mut out, z, *s, *e, reverse),
                ParsedRange::Score(r) => zrange_by_score(&mut out, z, r, offset, limit, reverse),
                ParsedRange::Lex(r) => zrange_by_lex(&mut out, z, r, offset, limit, reverse),
            }
        }
        out.finalize()
    };
    if store {
        let dst = &argv[1][..];
        store_result(srv, c, dbid, dst, result, "zrangestore");
    }
}

/// Stores a computed set at `dst` (replying its size) or deletes `dst` when
/// the result is empty (replying 0), as Redis's ZRANGESTORE / Z*STORE.
fn store_result(
    srv: &mut Server,
    c: &mut Client,
    dbid: usize,
    dst: &[u8],
    z: Option<ZSetObj>,
    event: &str,
) {
    match z {
        Some(z) if !z.is_empty() => {
            let n = z.len();
            db::set_key(srv, dbid, dst, Value::ZSet(z), false);
            db::signal_modified_key(srv, dbid, dst);
            blocked::signal_key_as_ready(srv, dbid, dst);
            c.add_reply_long_long(n as i64);
            notify_keyspace_event(srv, NOTIFY_ZSET, event, dst, dbid);
            srv.dirty += 1;
        }
        _ => {
            c.add_reply_long_long(0);
            if db::db_delete(srv, dbid, dst) {
                db::signal_modified_key(srv, dbid, dst);
                notify_keyspace_event(srv, NOTIFY_GENERIC, "del", dst, dbid);
                srv.dirty += 1;
            }
        }
    }
}

/// ZRANGE key start stop [BYSCORE|BYLEX] \[REV\] [LIMIT offset count]
/// \[WITHSCORES\] → array of members (RESP2 WITHSCORES: flat member, score;
/// RESP3: [member, score] pairs). Errors: "ERR syntax error", "ERR syntax
/// error, LIMIT is only supported in combination with either BYSCORE or
/// BYLEX", "ERR syntax error, WITHSCORES not supported in combination with
/// BYLEX", "ERR min or max is not a float", "ERR min or max not valid string
/// range item", "ERR value is not an integer or out of range".
pub fn zrange_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        zrange_generic_command(srv, c, argv, 1, false, RangeType::Auto, None)
    });
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] \[REV\] [LIMIT offset count] →
/// integer: members stored (dst deleted when 0). Event `zrangestore`.
pub fn zrangestore_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        zrange_generic_command(srv, c, argv, 2, true, RangeType::Auto, None)
    });
}

/// ZREVRANGE key start stop \[WITHSCORES\] → as ZRANGE ... REV.
pub fn zrevrange_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        zrange_generic_command(srv, c, argv, 1, false, RangeType::Rank, Some(true))
    });
}

/// ZRANGEBYSCORE key min max \[WITHSCORES\] [LIMIT offset count] → as ZRANGE BYSCORE.
pub fn zrangebyscore_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        zrange_generic_command(srv, c, argv, 1, false, RangeType::Score, Some(false))
    });
}

/// ZREVRANGEBYSCORE key max min \[WITHSCORES\] [LIMIT offset count] → as ZRANGE BYSCORE REV.
pub fn zrevrangebyscore_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        zrange_generic_command(srv, c, argv, 1, false, RangeType::Score, Some(true))
    });
}

/// ZRANGEBYLEX key min max [LIMIT offset count] → as ZRANGE BYLEX.
pub fn zrangebylex_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        zrange_generic_command(srv, c, argv, 1, false, RangeType::Lex, Some(false))
    });
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count] → as ZRANGE BYLEX REV.
pub fn zrevrangebylex_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        zrange_generic_command(srv, c, argv, 1, false, RangeType::Lex, Some(true))
    });
}

// -- ZPOPMIN / ZPOPMAX / ZMPOP and the blocking variants --

/// Pops from the first existing key of `keys` (Redis `genericZpopCommand`).
/// `count` < 0 is a plain single pop. Reply shapes: flat member/score pairs
/// (RESP2, or a single pop), nested pairs (`nested`), with the key first
/// (`emitkey`: BZPOP* flat, ZMPOP/BZMPOP as `[key, [[m, s], ...]]`).
#[allow(clippy::too_many_arguments)]
fn generic_zpop(
    srv: &mut Server,
    c: &mut Client,
    keys: &[Bytes],
    max: bool,
    emitkey: bool,
    count: i64,
    nested: bool,
    nil_when_empty: bool,
) {
    let dbid = c.db;
    let mut found: Option<&Bytes> = None;
    for key in keys {
        match zset_lookup(srv, c, key, true) {
            Lookup::Missing => continue,
            Lookup::WrongType => return,
            Lookup::Found(_) => {
                found = Some(key);
                break;
            }
        }
    }
    let Some(key) = found else {
        if nil_when_empty {
            c.add_reply_null_array();
        } else {
            c.add_reply_array_len(0);
        }
        return;
    };
    if count == 0 {
        c.add_reply_array_len(0);
        return;
    }
    let count = if count < 0 { 1 } else { count as usize };
    let mut popped: Vec<(Vec<u8>, f64)> = Vec::new();
    let emptied = {
        let Some(z) = zset_get_mut(srv, dbid, key) else {
            return;
        };
        let n = count.min(z.len());
        popped.reserve(n);
        for _ in 0..n {
            let item = match z {
                ZSetObj::Listpack(lp) => {
                    let e = if max { lp.seek(-2) } else { lp.first() };
                    let Some(e) = e else { break };
                    let ele = lp_bytes(lp.get(e));
                    let score = zzl_score_at(lp, e);
                    zzl_delete(lp, e);
                    (ele, score)
                }
                ZSetObj::Skiplist(zs) => {
                    let x = if max { zs.last_node() } else { zs.first_node() };
                    let Some(x) = x else { break };
                    let ele = zs.ele(x).to_vec();
                    let score = zs.score(x);
                    zs.delete_node(x);
                    (ele, score)
                }
            };
            popped.push(item);
        }
        z.is_empty()
    };
    let rangelen = popped.len();
    srv.dirty += rangelen as i64;
    if rangelen > 0 {
        notify_keyspace_event(
            srv,
            NOTIFY_ZSET,
            if max { "zpopmax" } else { "zpopmin" },
            key,
            dbid,
        );
        db::signal_modified_key(srv, dbid, key);
    }
    match (nested, emitkey) {
        (false, false) => c.add_reply_array_len(rangelen * 2),
        (true, false) => c.add_reply_array_len(rangelen),
        (false, true) => {
            c.add_reply_array_len(rangelen * 2 + 1);
            c.add_reply_bulk(key);
        }
        (true, true) => {
            c.add_reply_array_len(2);
            c.add_reply_bulk(key);
            c.add_reply_array_len(rangelen);
        }
    }
    for (ele, score) in &popped {
        if nested {
            c.add_reply_array_len(2);
        }
        c.add_reply_bulk(ele);
        c.add_reply_double(*score);
    }
    if emptied {
        db::db_delete(srv, dbid, key);
        notify_keyspace_event(srv, NOTIFY_GENERIC, "del", key, dbid);
    }
    // ZMPOP/BZMPOP propagate as ZPOPMIN|ZPOPMAX key <popped>; BZPOPMIN/MAX
    // as ZPOPMIN|ZPOPMAX key (Redis `genericZpopCommand`,
    // `blockingGenericZpopCommand`).
    if emitkey {
        let mut v = vec![zpop_name(max), key.clone()];
        if nested {
            v.push(Bytes::from(rangelen.to_string()));
        }
        c.rewrite_command_vector(v);
    }
}

fn zpop_name(max: bool) -> Bytes {
    Bytes::from_static(if max { b"ZPOPMAX" } else { b"ZPOPMIN" })
}

fn zpop_min_max_command(srv: &mut Server, c: &mut Client, max: bool) {
    with_argv(srv, c, |srv, c, argv| {
        if argv.len() > 3 {
            return c.add_reply_error(shared::err_syntax());
        }
        let mut count = -1;
        if argv.len() == 3 {
            let Some(n) = db::get_positive_long_or_reply(c, &argv[2], None) else {
                return;
            };
            count = n;
        }
        let nested = c.resp > 2 && count != -1;
        generic_zpop(srv, c, &argv[1..2], max, false, count, nested, false);
    });
}

/// ZPOPMIN key \[count\] → the lowest members: flat member, score pairs
/// (RESP3 with count: [member, score] pairs); empty array for a missing key.
/// "ERR value is out of range, must be positive". Event `zpopmin` (+ `del`).
pub fn zpopmin_command(srv: &mut Server, c: &mut Client) {
    zpop_min_max_command(srv, c, false);
}

/// ZPOPMAX key \[count\] → as ZPOPMIN, from the highest score. Event `zpopmax`.
pub fn zpopmax_command(srv: &mut Server, c: &mut Client) {
    zpop_min_max_command(srv, c, true);
}

/// Serves a blocking pop from the first non-empty key, or blocks (Redis
/// `blockingGenericZpopCommand`). When the client may not block, replies as
/// on timeout (null array).
#[allow(clippy::too_many_arguments)]
fn blocking_generic_zpop(
    srv: &mut Server,
    c: &mut Client,
    keys: &[Bytes],
    max: bool,
    timeout_arg: &[u8],
    count: i64,
    nested: bool,
    nil_when_empty: bool,
) {
    let Some(timeout) = blocked::get_timeout_or_reply(srv, c, timeout_arg) else {
        return;
    };
    for key in keys {
        match zset_lookup(srv, c, key, true) {
            Lookup::Missing => continue,
            Lookup::WrongType => return,
            Lookup::Found(z) => {
                if z.is_empty() {
                    continue;
                }
            }
        }
        generic_zpop(
            srv,
            c,
            std::slice::from_ref(key),
            max,
            true,
            count,
            nested,
            nil_when_empty,
        );
        return;
    }
    if !blocked::client_may_block(c) {
        c.add_reply_null_array();
        return;
    }
    blocked::block_for_keys(srv, c, BlockType::ZSet, keys, timeout);
}

/// BZPOPMIN key [key ...] timeout → [key, member, score] from the first
/// non-empty key, blocking up to `timeout` seconds (0 = forever); null array
/// on timeout. Errors: "ERR timeout is not a float or out of range", "ERR
/// timeout is negative", WRONGTYPE.
pub fn bzpopmin_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let n = argv.len();
        blocking_generic_zpop(
            srv,
            c,
            &argv[1..n - 1],
            false,
            &argv[n - 1],
            -1,
            false,
            false,
        )
    });
}

/// BZPOPMAX key [key ...] timeout → as BZPOPMIN, from the highest score.
pub fn bzpopmax_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let n = argv.len();
        blocking_generic_zpop(
            srv,
            c,
            &argv[1..n - 1],
            true,
            &argv[n - 1],
            -1,
            false,
            false,
        )
    });
}

fn zmpop_generic_command(
    srv: &mut Server,
    c: &mut Client,
    argv: &[Bytes],
    numkeys_idx: usize,
    block: bool,
) {
    let Some(numkeys) = db::get_range_long_or_reply(
        c,
        &argv[numkeys_idx],
        1,
        i64::MAX,
        Some("numkeys should be greater than 0"),
    ) else {
        return;
    };
    let where_idx = (numkeys_idx as u64)
        .saturating_add(numkeys as u64)
        .saturating_add(1);
    if where_idx >= argv.len() as u64 {
        return c.add_reply_error(shared::err_syntax());
    }
    let where_idx = where_idx as usize;
    let max = if argv[where_idx].eq_ignore_ascii_case(b"min") {
        false
    } else if argv[where_idx].eq_ignore_ascii_case(b"max") {
        true
    } else {
        return c.add_reply_error(shared::err_syntax());
    };
    let mut count = -1i64;
    let mut j = where_idx + 1;
    while j < argv.len() {
        let moreargs = argv.len() - 1 - j;
        if count == -1 && argv[j].eq_ignore_ascii_case(b"count") && moreargs > 0 {
            j += 1;
            let Some(n) = db::get_range_long_or_reply(
                c,
                &argv[j],
                1,
                i64::MAX,
                Some("count should be greater than 0"),
            ) else {
                return;
            };
            count = n;
        } else {
            return c.add_reply_error(shared::err_syntax());
        }
        j += 1;
    }
    if count == -1 {
        count = 1;
    }
    let keys = &argv[numkeys_idx + 1..where_idx];
    if block {
        blocking_generic_zpop(srv, c, keys, max, &argv[1], count, true, true);
    } else {
        generic_zpop(srv, c, keys, max, true, count, true, true);
    }
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] → [key, [[member,
/// score], ...]] from the first non-empty key, or null. Errors: "ERR numkeys
/// should be greater than 0", "ERR count should be greater than 0", "ERR
/// syntax error".
pub fn zmpop_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        zmpop_generic_command(srv, c, argv, 1, false)
    });
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count] → as ZMPOP,
/// blocking up to `timeout` seconds.
pub fn bzmpop_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        zmpop_generic_command(srv, c, argv, 2, true)
    });
}

// -- ZRANDMEMBER --

/// The member and score of pair `i` (rank order for a listpack, arena
/// order for a skiplist: either way a uniform `i` gives a uniform member).
fn member_at(z: &ZSetObj, i: usize) -> (Vec<u8>, f64) {
    match z {
        ZSetObj::Listpack(lp) => match lp.seek(2 * i as i64) {
            Some(e) => (lp_bytes(lp.get(e)), zzl_score_at(lp, e)),
            None => (Vec::new(), 0.0),
        },
        ZSetObj::Skiplist(zs) => {
            let x = i as u32;
            (zs.ele(x).to_vec(), zs.score(x))
        }
    }
}

/// A uniformly random member and its score (the set is not empty).
fn random_member(z: &ZSetObj) -> (Vec<u8>, f64) {
    let n = z.len();
    member_at(z, random_below(n.max(1)))
}

fn reply_member(c: &mut Client, ele: &[u8], score: f64, withscores: bool) {
    if withscores && c.resp > 2 {
        c.add_reply_array_len(2);
    }
    c.add_reply_bulk(ele);
    if withscores {
        c.add_reply_double(score);
    }
}

/// ZRANDMEMBER key [count \[WITHSCORES\]] → a random member (bulk, null for a
/// missing key); with count: up to `count` distinct members, or `|count|`
/// members with repeats when negative (RESP3 WITHSCORES: [member, score]
/// pairs). Errors: "ERR value is out of range" (WITHSCORES and |count| >
/// 2^62), "ERR syntax error", integer errors.
pub fn zrandmember_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        if argv.len() >= 3 {
            let Some(l) = db::get_range_long_or_reply(c, &argv[2], -i64::MAX, i64::MAX, None)
            else {
                return;
            };
            let withscores = argv.len() == 4;
            if argv.len() > 4 || (withscores && !argv[3].eq_ignore_ascii_case(b"withscores")) {
                return c.add_reply_error(shared::err_syntax());
            }
            if withscores && !(-i64::MAX / 2..=i64::MAX / 2).contains(&l) {
                return c.add_reply_error("ERR value is out of range");
            }
            return zrandmember_with_count(srv, c, &argv[1], l, withscores);
        }
        match zset_lookup(srv, c, &argv[1], false) {
            Lookup::Missing => c.add_reply_null(),
            Lookup::WrongType => {}
            Lookup::Found(z) => {
                let (ele, _) = random_member(z);
                c.add_reply_bulk(&ele);
            }
        }
    });
}

fn zrandmember_with_count(srv: &mut Server, c: &mut Client, key: &[u8], l: i64, withscores: bool) {
    let z = match zset_lookup(srv, c, key, false) {
        Lookup::Missing => return c.add_reply_array_len(0),
        Lookup::WrongType => return,
        Lookup::Found(z) => &*z,
    };
    let size = z.len();
    let (count, uniq) = if l >= 0 {
        (l as u64, true)
    } else {
        (l.unsigned_abs(), false)
    };
    if count == 0 {
        return c.add_reply_array_len(0);
    }
    // Case 1: repeats allowed (or a single member): independent draws.
    if !uniq || count == 1 {
        let n = count as usize;
        c.add_reply_array_len(if withscores && c.resp == 2 { n * 2 } else { n });
        for _ in 0..n {
            let (ele, score) = random_member(z);
            reply_member(c, &ele, score, withscores);
            if c.flags & crate::networking::CLIENT_CLOSE_ASAP != 0 {
                break;
            }
        }
        return;
    }
    let reply_size = (count as usize).min(size);
    c.add_reply_array_len(if withscores && c.resp == 2 {
        reply_size * 2
    } else {
        reply_size
    });
    // Case 2: the whole set, iterated from the highest rank as Redis does.
    if count as usize >= size {
        z.for_each_rev(|m, s| reply_member(c, m, s, withscores));
        return;
    }
    // Cases 3 and 4: `count` distinct ranks, chosen uniformly (partial
    // Fisher-Yates over 0..size when the sample is a large part of the set,
    // rejection otherwise).
    let count = count as usize;
    let mut picked: Vec<usize>;
    if count * 3 > size {
        let mut idx: Vec<usize> = (0..size).collect();
        for i in 0..count {
            let j = i + random_below(size - i);
            idx.swap(i, j);
        }
        idx.truncate(count);
        picked = idx;
    } else {
        let mut seen = std::collections::HashSet::with_capacity(count);
        picked = Vec::with_capacity(count);
        while picked.len() < count {
            let i = random_below(size);
            if seen.insert(i) {
                picked.push(i);
            }
        }
    }
    match z {
        ZSetObj::Listpack(lp) => {
            // Listpack samples come out in rank order, as Redis's
            // lpRandomPairsUnique.
            picked.sort_unstable();
            let mut it = picked.iter().peekable();
            let mut rank = 0;
            let mut e = lp.first();
            while let (Some(p), Some(&&want)) = (e, it.peek()) {
                if rank == want {
                    let v = lp.get(p);
                    let mut t = itoa::Buffer::new();
                    reply_member(c, v.as_bytes(&mut t), zzl_score_at(lp, p), withscores);
                    it.next();
                }
                rank += 1;
                e = zzl_next(lp, p);
            }
        }
        ZSetObj::Skiplist(zs) => {
            // Arena order is unrelated to rank: any arena index is a
            // uniformly random member.
            for i in picked {
                let x = i as u32;
                reply_member(c, zs.ele(x), zs.score(x), withscores);
            }
        }
    }
}

// -- ZSCAN --

/// ZSCAN key cursor [MATCH pattern] [COUNT count] → [next cursor, [member,
/// score, ...]]. A `listpack` set is returned whole with cursor 0. Errors:
/// "ERR invalid cursor", "ERR syntax error", integer errors.
pub fn zscan_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let Some(cursor) = crate::util::parse_scan_cursor(&argv[2]) else {
            return c.add_reply_error("ERR invalid cursor");
        };
        let z = match zset_lookup(srv, c, &argv[1], false) {
            Lookup::Missing => {
                c.add_reply_array_len(2);
                c.add_reply_bulk(b"0");
                c.add_reply_array_len(0);
                return;
            }
            Lookup::WrongType => return,
            Lookup::Found(z) => &*z,
        };
        let mut count: i64 = 10;
        let mut pattern: Option<&[u8]> = None;
        let mut i = 3;
        while i < argv.len() {
            let left = argv.len() - i;
            if argv[i].eq_ignore_ascii_case(b"count") && left >= 2 {
                let Some(v) = db::get_long_long_or_reply(c, &argv[i + 1], None) else {
                    return;
                };
                if v < 1 {
                    return c.add_reply_error(shared::err_syntax());
                }
                count = v;
                i += 2;
            } else if argv[i].eq_ignore_ascii_case(b"match") && left >= 2 {
                let p = &argv[i + 1][..];
                pattern = if p == b"*" { None } else { Some(p) };
                i += 2;
            } else {
                return c.add_reply_error(shared::err_syntax());
            }
        }
        let mut items: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        let mut next = 0u64;
        match z {
            ZSetObj::Listpack(lp) => {
                let mut t = itoa::Buffer::new();
                let mut e = lp.first();
                while let Some(p) = e {
                    let Some(sp) = lp.next(p) else { break };
                    let m = lp.get(p).as_bytes(&mut t).to_vec();
                    let s = lp.get(sp).to_vec();
                    items.push((m, s));
                    e = lp.next(sp);
                }
            }
            ZSetObj::Skiplist(zs) => {
                let count = count.saturating_mul(2);
                let mut maxiterations = count.saturating_mul(10);
                let mut cur = cursor;
                loop {
                    cur = zs.scan(cur, |m, s| {
                        items.push((m.to_vec(), crate::util::d2string_g17(s)))
                    });
                    if cur == 0 || maxiterations == 0 || (items.len() * 2) as i64 >= count {
                        break;
                    }
                    maxiterations -= 1;
                }
                next = cur;
            }
        }
        if let Some(p) = pattern {
            items.retain(|(m, _)| crate::util::string_match(p, m, false));
        }
        c.add_reply_array_len(2);
        let mut b = itoa::Buffer::new();
        c.add_reply_bulk(b.format(next).as_bytes());
        c.add_reply_array_len(items.len() * 2);
        for (m, s) in &items {
            c.add_reply_bulk(m);
            c.add_reply_bulk(s);
        }
    });
}

// -- ZUNION / ZINTER / ZDIFF (and STORE), ZINTERCARD --

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// Folds `val` into `target` (Redis `zunionInterAggregate`): a SUM that
/// gives NaN (inf + -inf) is 0.
#[inline]
fn aggregate(target: &mut f64, val: f64, agg: Aggregate) {
    match agg {
        Aggregate::Sum => {
            *target += val;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if val < *target {
                *target = val;
            }
        }
        Aggregate::Max => {
            if val > *target {
                *target = val;
            }
        }
    }
}

/// One input of a set operation: a sorted set, or nothing (missing key).
/// Plain sets (type `set`) are inputs too, each member with score 1.
struct OpSrc<'a> {
    /// The key's name, to spot a key given twice (Redis compares the
    /// objects).
    key: &'a [u8],
    obj: Option<&'a Value>,
    weight: f64,
}

impl OpSrc<'_> {
    fn len(&self) -> usize {
        match self.obj {
            Some(Value::ZSet(z)) => z.len(),
            Some(Value::Set(s)) => s.len(),
            _ => 0,
        }
    }

    /// Calls `f(member, score)` for every member.
    fn for_each(&self, mut f: impl FnMut(&[u8], f64)) {
        match self.obj {
            Some(Value::ZSet(z)) => z.for_each(f),
            Some(Value::Set(s)) => s.for_each(|m| f(m, 1.0)),
            _ => {}
        }
    }

    /// The score of `member` in this input (1 for a set member).
    fn find(&self, member: &[u8]) -> Option<f64> {
        match self.obj {
            Some(Value::ZSet(z)) => z.score(member),
            Some(Value::Set(s)) => s.is_member(member).then_some(1.0),
            _ => None,
        }
    }

    fn same_as(&self, other: &OpSrc<'_>) -> bool {
        self.obj.is_some() && other.obj.is_some() && self.key == other.key
    }
}

/// ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD (Redis
/// `zunionInterDiffGenericCommand`).
fn zunion_inter_diff_generic_command(
    srv: &mut Server,
    c: &mut Client,
    argv: &[Bytes],
    dstkey: Option<&[u8]>,
    numkeys_idx: usize,
    op: SetOp,
    cardinality_only: bool,
) {
    let Some(setnum) = db::get_long_long_or_reply(c, &argv[numkeys_idx], None) else {
        return;
    };
    if setnum < 1 {
        let name = String::from_utf8_lossy(&argv[0]).to_lowercase();
        return c.add_reply_error(&format!(
            "ERR at least 1 input key is needed for '{}' command",
            name
        ));
    }
    if setnum > (argv.len() - (numkeys_idx + 1)) as i64 {
        return c.add_reply_error(shared::err_syntax());
    }
    let setnum = setnum as usize;
    let dbid = c.db;
    let keys = &argv[numkeys_idx + 1..numkeys_idx + 1 + setnum];
    // Lookups first (expiry, stats, type check), as Redis does before
    // parsing the options.
    for k in keys {
        if let Some(o) = db::lookup_key_read(srv, dbid, k)
            && !matches!(o.v, Value::ZSet(_) | Value::Set(_))
        {
            return c.add_reply_error(shared::err_wrong_type());
        }
    }
    let mut weights = vec![1.0f64; setnum];
    let mut agg = Aggregate::Sum;
    let mut withscores = false;
    let mut limit: i64 = 0;
    let mut j = numkeys_idx + 1 + setnum;
    while j < argv.len() {
        let remaining = argv.len() - j;
        let a = &argv[j][..];
        if op != SetOp::Diff
            && !cardinality_only
            && remaining > setnum
            && a.eq_ignore_ascii_case(b"weights")
        {
            j += 1;
            for w in weights.iter_mut() {
                let Some(v) =
                    get_double_or_reply(c, &argv[j], Some("ERR weight value is not a float"))
                else {
                    return;
                };
                *w = v;
                j += 1;
            }
        } else if op != SetOp::Diff
            && !cardinality_only
            && remaining >= 2
            && a.eq_ignore_ascii_case(b"aggregate")
        {
            let v = &argv[j + 1][..];
            agg = if v.eq_ignore_ascii_case(b"sum") {
                Aggregate::Sum
            } else if v.eq_ignore_ascii_case(b"min") {
                Aggregate::Min
            } else if v.eq_ignore_ascii_case(b"max") {
                Aggregate::Max
            } else {
                return c.add_reply_error(shared::err_syntax());
            };
            j += 2;
        } else if dstkey.is_none() && !cardinality_only && a.eq_ignore_ascii_case(b"withscores") {
            withscores = true;
            j += 1;
        } else if cardinality_only && remaining >= 2 && a.eq_ignore_ascii_case(b"limit") {
            let Some(l) = db::get_range_long_or_reply(
                c,
                &argv[j + 1],
                0,
                i64::MAX,
                Some("LIMIT can't be negative"),
            ) else {
                return;
            };
            limit = l;
            j += 2;
        } else {
            return c.add_reply_error(shared::err_syntax());
        }
    }

    let mut dst = ZSet::new();
    let mut maxelelen = 0usize;
    let mut totelelen = 0usize;
    let mut cardinality = 0usize;
    {
        let db = &srv.dbs[dbid];
        let mut src: Vec<OpSrc<'_>> = keys
            .iter()
            .zip(&weights)
            .map(|(k, &w)| OpSrc {
                key: k,
                obj: db.dict.get(k).map(|o| &o.v),
                weight: w,
            })
            .collect();
        if op != SetOp::Diff {
            src.sort_by_key(|s| s.len());
        }
        match op {
            SetOp::Inter => {
                if src[0].len() > 0 {
                    let s0 = &src[0];
                    let mut done = false;
                    s0.for_each(|m, sc| {
                        if done {
                            return;
                        }
                        let mut score = s0.weight * sc;
                        if score.is_nan() {
                            score = 0.0;
                        }
                        for sj in &src[1..] {
                            let value = if sj.same_as(s0) {
                                sc * sj.weight
                            } else if let Some(v) = sj.find(m) {
                                v * sj.weight
                            } else {
                                return;
                            };
                            aggregate(&mut score, value, agg);
                        }
                        if cardinality_only {
                            cardinality += 1;
                            if limit > 0 && cardinality as i64 >= limit {
                                done = true;
                            }
                        } else {
                            dst.insert(score, m);
                            totelelen += m.len();
                            maxelelen = maxelelen.max(m.len());
                        }
                    });
                }
            }
            SetOp::Union => {
                let mut acc: std::collections::HashMap<Vec<u8>, f64> =
                    std::collections::HashMap::new();
                if let Some(largest) = src.last() {
                    acc.reserve(largest.len());
                }
                for s in &src {
                    s.for_each(|m, sc| {
                        let mut score = s.weight * sc;
                        if score.is_nan() {
                            score = 0.0;
                        }
                        match acc.get_mut(m) {
                            Some(t) => aggregate(t, score, agg),
                            None => {
                                totelelen += m.len();
                                maxelelen = maxelelen.max(m.len());
                                acc.insert(m.to_vec(), score);
                            }
                        }
                    });
                }
                dst = ZSet::with_capacity(acc.len());
                for (m, score) in acc {
                    dst.insert(score, &m);
                }
            }
            SetOp::Diff => {
                let s0 = &src[0];
                if s0.len() > 0 && !src[1..].iter().any(|s| s.same_as(s0)) {
                    s0.for_each(|m, sc| {
                        if src[1..].iter().any(|s| s.find(m).is_some()) {
                            return;
                        }
                        dst.insert(sc, m);
                        totelelen += m.len();
                        maxelelen = maxelelen.max(m.len());
                    });
                }
            }
        }
    }

    if let Some(dstkey) = dstkey {
        let event = match op {
            SetOp::Union => "zunionstore",
            SetOp::Inter => "zinterstore",
            SetOp::Diff => "zdiffstore",
        };
        let mut obj = ZSetObj::Skiplist(Box::new(dst));
        if !obj.is_empty() {
            obj.convert_to_listpack_if_needed(maxelelen, totelelen, &limits(srv));
        }
        store_result(srv, c, dbid, dstkey, Some(obj), event);
    } else if cardinality_only {
        c.add_reply_long_long(cardinality as i64);
    } else {
        let len = dst.len();
        c.add_reply_array_len(if withscores && c.resp == 2 {
            len * 2
        } else {
            len
        });
        let mut x = dst.first_node();
        while let Some(n) = x {
            reply_member(c, dst.ele(n), dst.score(n), withscores);
            x = dst.next(n);
        }
    }
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS w ...]
/// [AGGREGATE SUM|MIN|MAX] → integer: size of the stored set (destination
/// deleted when empty). Errors: "ERR at least 1 input key is needed for
/// 'zunionstore' command", "ERR syntax error", "ERR weight value is not a
/// float", WRONGTYPE. Event `zunionstore`.
pub fn zunionstore_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        zunion_inter_diff_generic_command(srv, c, argv, Some(&argv[1]), 2, SetOp::Union, false)
    });
}

/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS ...] [AGGREGATE
/// ...] → as ZUNIONSTORE, for the intersection. Event `zinterstore`.
pub fn zinterstore_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        zunion_inter_diff_generic_command(srv, c, argv, Some(&argv[1]), 2, SetOp::Inter, false)
    });
}

/// ZDIFFSTORE destination numkeys key [key ...] → integer: size of the
/// stored difference. Event `zdiffstore`.
pub fn zdiffstore_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        zunion_inter_diff_generic_command(srv, c, argv, Some(&argv[1]), 2, SetOp::Diff, false)
    });
}

/// ZUNION numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...] \[WITHSCORES\]
/// → array of members in score order (pairs as in ZRANGE with WITHSCORES).
pub fn zunion_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        zunion_inter_diff_generic_command(srv, c, argv, None, 1, SetOp::Union, false)
    });
}

/// ZINTER numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...] \[WITHSCORES\]
/// → as ZUNION, for the intersection.
pub fn zinter_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        zunion_inter_diff_generic_command(srv, c, argv, None, 1, SetOp::Inter, false)
    });
}

/// ZDIFF numkeys key [key ...] \[WITHSCORES\] → members of the first set not
/// in the others.
pub fn zdiff_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        zunion_inter_diff_generic_command(srv, c, argv, None, 1, SetOp::Diff, false)
    });
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit] → integer: size of the
/// intersection, counting stops at `limit` (0 = no limit). "ERR LIMIT can't
/// be negative".
pub fn zintercard_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        zunion_inter_diff_generic_command(srv, c, argv, None, 1, SetOp::Inter, true)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Total order key for the model: (score, member).
    #[derive(Clone, Debug, PartialEq)]
    struct K(f64, Vec<u8>);
    impl Eq for K {}
    impl PartialOrd for K {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for K {
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            self.0.total_cmp(&o.0).then_with(|| self.1.cmp(&o.1))
        }
    }

    fn model_order(m: &BTreeMap<Vec<u8>, f64>) -> Vec<(Vec<u8>, f64)> {
        let mut v: Vec<K> = m.iter().map(|(k, s)| K(*s, k.clone())).collect();
        v.sort();
        v.into_iter().map(|K(s, k)| (k, s)).collect()
    }

    fn zsl_order(z: &ZSet) -> Vec<(Vec<u8>, f64)> {
        let mut out = Vec::new();
        let mut x = z.first_node();
        while let Some(n) = x {
            out.push((z.ele(n).to_vec(), z.score(n)));
            x = z.next(n);
        }
        out
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    #[test]
    fn node_is_lean() {
        assert_eq!(std::mem::size_of::<Node>(), 56);
    }

    #[test]
    fn skiplist_basic_ranks() {
        let mut z = ZSet::new();
        for (i, m) in ["c", "a", "b", "d"].iter().enumerate() {
            z.insert(i as f64 % 2.0, m.as_bytes());
        }
        z.check();
        // scores: c=0 a=1 b=0 d=1 → order b(0) c(0) a(1) d(1)
        let order: Vec<_> = zsl_order(&z).into_iter().map(|(m, _)| m).collect();
        assert_eq!(
            order,
            vec![b"b".to_vec(), b"c".to_vec(), b"a".to_vec(), b"d".to_vec()]
        );
        assert_eq!(z.get_rank(0.0, b"b"), 1);
        assert_eq!(z.get_rank(1.0, b"d"), 4);
        assert_eq!(z.get_rank(1.0, b"zz"), 0);
        assert_eq!(z.ele(z.by_rank(3).unwrap()), b"a");
        assert_eq!(z.by_rank(5), None);
        assert_eq!(z.by_rank(0), None);
        assert_eq!(z.remove(b"c"), Some(0.0));
        z.check();
        assert_eq!(z.remove(b"c"), None);
        assert_eq!(z.len(), 3);
        let x = z.find(b"b").unwrap();
        z.update_score(x, 5.0);
        z.check();
        assert_eq!(z.ele(z.last_node().unwrap()), b"b");
    }

    #[test]
    fn skiplist_random_ops_vs_model() {
        let mut rng = Rng(0x1234_5678_9abc_def1);
        for round in 0..4 {
            let mut z = ZSet::new();
            let mut model: BTreeMap<Vec<u8>, f64> = BTreeMap::new();
            let keyspace = [20u64, 200, 2000, 50][round];
            for step in 0..6000 {
                let m = format!("m{}", rng.below(keyspace)).into_bytes();
                match rng.below(10) {
                    0..=4 => {
                        let score = (rng.below(50) as f64) - 25.0;
                        match z.find(&m) {
                            Some(x) => z.update_score(x, score),
                            None => {
                                z.insert(score, &m);
                            }
                        }
                        model.insert(m, score);
                    }
                    5..=6 => {
                        assert_eq!(z.remove(&m), model.remove(&m));
                    }
                    7 => {
                        let a = rng.below(50) as f64 - 25.0;
                        let b = a + rng.below(10) as f64;
                        let r = ZRangeSpec {
                            min: a,
                            max: b,
                            minex: rng.below(2) == 0,
                            maxex: rng.below(2) == 0,
                        };
                        let n = z.delete_range_by_score(&r);
                        let before = model.len();
                        model.retain(|_, s| !(r.gte_min(*s) && r.lte_max(*s)));
                        assert_eq!(n, before - model.len());
                    }
                    8 => {
                        if !model.is_empty() {
                            let start = rng.below(model.len() as u64) as usize + 1;
                            let end = start + rng.below(3) as usize;
                            let order = model_order(&model);
                            let n = z.delete_range_by_rank(start, end);
                            let gone: Vec<_> =
                                order.iter().skip(start - 1).take(end - start + 1).collect();
                            assert_eq!(n, gone.len());
                            for (m, _) in gone {
                                model.remove(m);
                            }
                        }
                    }
                    _ => {
                        let order = model_order(&model);
                        assert_eq!(zsl_order(&z), order);
                        for (i, (m, s)) in order.iter().enumerate() {
                            assert_eq!(z.get_rank(*s, m), i + 1);
                            assert_eq!(z.ele(z.by_rank(i + 1).unwrap()), &m[..]);
                        }
                    }
                }
                if step % 97 == 0 {
                    z.check();
                }
                assert_eq!(z.len(), model.len());
            }
            z.check();
            assert_eq!(zsl_order(&z), model_order(&model));
            for (m, s) in &model {
                assert_eq!(z.score_of(m), Some(*s));
            }
        }
    }

    #[test]
    fn score_and_lex_ranges() {
        let mut z = ZSet::new();
        for i in 0..100 {
            z.insert((i / 10) as f64, format!("{:03}", i).as_bytes());
        }
        z.check();
        let r = ZRangeSpec {
            min: 2.0,
            max: 4.0,
            minex: true,
            maxex: false,
        };
        assert_eq!(z.ele(z.first_in_range(&r).unwrap()), b"030");
        assert_eq!(z.ele(z.last_in_range(&r).unwrap()), b"049");
        let none = ZRangeSpec {
            min: 3.0,
            max: 3.0,
            minex: true,
            maxex: false,
        };
        assert_eq!(z.first_in_range(&none), None);
        let lr = zsl_parse_lex_range(b"[010", b"(020").unwrap();
        assert_eq!(z.ele(z.first_in_lex_range(&lr).unwrap()), b"010");
        assert_eq!(z.ele(z.last_in_lex_range(&lr).unwrap()), b"019");
        let all = zsl_parse_lex_range(b"-", b"+").unwrap();
        assert_eq!(z.first_in_lex_range(&all), z.first_node());
        assert!(zsl_parse_lex_range(b"+", b"-").unwrap().is_empty());
        assert!(zsl_parse_lex_range(b"-", b"-").unwrap().is_empty());
        assert!(zsl_parse_lex_range(b"a", b"+").is_none());
        assert!(zsl_parse_lex_range(b"+x", b"+").is_none());
        assert_eq!(z.delete_range_by_lex(&lr), 10);
        z.check();
        assert_eq!(z.len(), 90);
    }

    #[test]
    fn parse_ranges_like_strtod() {
        assert_eq!(
            zsl_parse_range(b"(1", b"2").unwrap(),
            ZRangeSpec {
                min: 1.0,
                max: 2.0,
                minex: true,
                maxex: false
            }
        );
        assert!(zsl_parse_range(b"-inf", b"+inf").is_some());
        assert!(zsl_parse_range(b"nan", b"1").is_none());
        assert!(zsl_parse_range(b"1x", b"1").is_none());
        assert_eq!(zsl_parse_range(b"", b"(").unwrap().max, 0.0);
        assert_eq!(zsl_parse_range(b" 5", b"0x10").unwrap().max, 16.0);
    }

    #[test]
    fn freeing_levels_while_the_pool_compacts() {
        // Freeing a node's upper levels can truncate the pool's last block
        // and then compact the pool; compaction walks every node and must
        // not see the removed node's block. Random inserts and removes over
        // a small member range hit that order many times.
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for _ in 0..10 {
            let mut z = ZSet::new();
            for _ in 0..20_000 {
                let m = format!("m{}", next() % 600);
                if next() % 100 < 45 {
                    if z.score_of(m.as_bytes()).is_none() {
                        z.insert((next() % 1000) as f64, m.as_bytes());
                    }
                } else {
                    z.remove(m.as_bytes());
                }
            }
            z.check();
        }
    }

    #[test]
    fn hash_index_grows_shrinks_and_scans() {
        let mut z = ZSet::new();
        let n = 5000;
        for i in 0..n {
            z.insert(i as f64, format!("member:{}", i).as_bytes());
        }
        z.check();
        // a full scan returns every member
        let mut seen = std::collections::HashSet::new();
        let mut cur = 0;
        loop {
            cur = z.scan(cur, |m, _| {
                seen.insert(m.to_vec());
            });
            if cur == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), n);
        // scan across a shrink: members present throughout are all returned
        let mut seen = std::collections::HashSet::new();
        let mut cur = 0;
        let mut removed = 0;
        loop {
            cur = z.scan(cur, |m, _| {
                seen.insert(m.to_vec());
            });
            if removed < 4900 {
                for _ in 0..200 {
                    if removed < 4900 {
                        z.remove(format!("member:{}", removed).as_bytes());
                        removed += 1;
                    }
                }
            }
            if cur == 0 {
                break;
            }
        }
        for i in 4900..n {
            assert!(seen.contains(format!("member:{}", i).as_bytes()));
        }
        z.check();
        assert!(z.ht[0].len() <= 1024 || z.is_rehashing());
        // long members (heap) and the upper-level pool compaction
        let mut z = ZSet::new();
        for i in 0..3000 {
            z.insert(
                0.0,
                format!("a-rather-long-member-name-{:06}", i).as_bytes(),
            );
        }
        for i in (0..3000).step_by(2) {
            z.remove(format!("a-rather-long-member-name-{:06}", i).as_bytes());
        }
        z.check();
        assert_eq!(z.len(), 1500);
        assert!(z.upper_free_slots * 2 <= z.upper.len().max(128));
    }

    const LIM: ZsetLimits = ZsetLimits {
        max_listpack_entries: 128,
        max_listpack_value: 64,
    };

    fn obj_order(z: &ZSetObj) -> Vec<(Vec<u8>, f64)> {
        let mut v = Vec::new();
        z.for_each(|m, s| v.push((m.to_vec(), s)));
        v
    }

    /// The listpack redis-server 7.0.15 holds after `ZADD z 1 a 2.5 b inf c
    /// -3 d 0.1 e 4611686018427387904 f 12 123 -0 g` (from its DUMP with
    /// rdbcompression off).
    const REDIS_LP: &[u8] = b"\x50\x00\x00\x00\x10\x00\x81\x64\x02\xdf\xfd\x02\x81\x67\x02\x00\x01\x81\x65\x02\x93\x30\x2e\x31\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x30\x31\x14\x81\x61\x02\x01\x01\x81\x62\x02\x83\x32\x2e\x35\x04\x7b\x01\x0c\x01\x81\x66\x02\xf4\x00\x00\x00\x00\x00\x00\x00\x40\x09\x81\x63\x02\x83\x69\x6e\x66\x04\xff";

    fn redis_example() -> ZSetObj {
        let mut z = ZSetObj::new_listpack();
        for (s, m) in [
            (1.0, "a"),
            (2.5, "b"),
            (f64::INFINITY, "c"),
            (-3.0, "d"),
            (0.1, "e"),
            (4611686018427387904.0, "f"),
            (12.0, "123"),
            (-0.0, "g"),
        ] {
            let (out, _) = z.zset_add(s, m.as_bytes(), 0, &LIM);
            assert_eq!(out, ZADD_OUT_ADDED);
        }
        z
    }

    #[test]
    fn listpack_bytes_match_redis() {
        let z = redis_example();
        let ZSetObj::Listpack(lp) = &z else {
            panic!("encoding")
        };
        assert_eq!(lp.as_bytes(), REDIS_LP);
        // and a skiplist converted back writes the same bytes
        let mut z2 = z.clone();
        z2.convert_to_skiplist();
        assert_eq!(z2.encoding_name(), "skiplist");
        assert_eq!(obj_order(&z2), obj_order(&z));
        z2.convert_to_listpack();
        let ZSetObj::Listpack(lp2) = &z2 else {
            panic!("encoding")
        };
        assert_eq!(lp2.as_bytes(), REDIS_LP);
        // reading Redis's bytes back
        let z3 = ZSetObj::from_listpack(Listpack::from_bytes(REDIS_LP.to_vec()));
        assert_eq!(z3.len(), 8);
        assert_eq!(z3.score(b"e"), Some(0.1));
        assert_eq!(z3.score(b"c"), Some(f64::INFINITY));
        assert_eq!(z3.score(b"123"), Some(12.0));
        assert_eq!(z3.rank(b"d", false), Some(0));
        assert_eq!(z3.rank(b"c", true), Some(0));
        assert_eq!(z3.rank(b"zz", false), None);
    }

    #[test]
    fn double2ll_rule() {
        assert_eq!(double2ll(1.0), Some(1));
        assert_eq!(double2ll(-0.0), Some(0));
        assert_eq!(double2ll(1.5), None);
        assert_eq!(double2ll(4611686018427387904.0), Some(4611686018427387904));
        assert_eq!(double2ll(9.3e18), None);
        assert_eq!(double2ll(f64::INFINITY), None);
        assert_eq!(double2ll(f64::NAN), None);
    }

    #[test]
    fn zset_add_flags_and_conversions() {
        let lim = ZsetLimits {
            max_listpack_entries: 3,
            max_listpack_value: 5,
        };
        let mut z = ZSetObj::new_listpack();
        assert_eq!(z.zset_add(1.0, b"a", 0, &lim).0, ZADD_OUT_ADDED);
        assert_eq!(z.zset_add(1.0, b"a", 0, &lim).0, 0);
        assert_eq!(z.zset_add(2.0, b"a", ZADD_IN_NX, &lim).0, ZADD_OUT_NOP);
        assert_eq!(z.zset_add(2.0, b"b", ZADD_IN_XX, &lim).0, ZADD_OUT_NOP);
        assert_eq!(z.zset_add(0.5, b"a", ZADD_IN_GT, &lim).0, ZADD_OUT_NOP);
        assert_eq!(
            z.zset_add(0.5, b"a", ZADD_IN_LT, &lim),
            (ZADD_OUT_UPDATED, 0.5)
        );
        assert_eq!(
            z.zset_add(2.0, b"a", ZADD_IN_INCR, &lim),
            (ZADD_OUT_UPDATED, 2.5)
        );
        assert_eq!(z.zset_add(f64::NAN, b"a", 0, &lim).0, ZADD_OUT_NAN);
        z.zset_add(f64::INFINITY, b"i", 0, &lim);
        assert_eq!(
            z.zset_add(f64::NEG_INFINITY, b"i", ZADD_IN_INCR, &lim).0,
            ZADD_OUT_NAN
        );
        assert_eq!(z.score(b"i"), Some(f64::INFINITY));
        assert_eq!(z.encoding_name(), "listpack");
        // a too-long member converts first
        z.zset_add(3.0, b"longer", 0, &lim);
        assert_eq!(z.encoding_name(), "skiplist");
        assert_eq!(z.len(), 3);
        // the same flags on the skiplist
        assert_eq!(z.zset_add(2.0, b"a", ZADD_IN_NX, &lim).0, ZADD_OUT_NOP);
        assert_eq!(z.zset_add(9.0, b"zz", ZADD_IN_XX, &lim).0, ZADD_OUT_NOP);
        assert_eq!(z.zset_add(1.0, b"a", ZADD_IN_GT, &lim).0, ZADD_OUT_NOP);
        assert_eq!(
            z.zset_add(1.0, b"a", ZADD_IN_INCR, &lim),
            (ZADD_OUT_UPDATED, 3.5)
        );
        assert_eq!(
            z.zset_add(f64::NEG_INFINITY, b"i", ZADD_IN_INCR, &lim).0,
            ZADD_OUT_NAN
        );
        // entries limit
        let mut z = ZSetObj::new_listpack();
        for m in [b"a", b"b", b"c"] {
            z.zset_add(1.0, m, 0, &lim);
        }
        assert_eq!(z.encoding_name(), "listpack");
        z.zset_add(1.0, b"d", 0, &lim);
        assert_eq!(z.encoding_name(), "skiplist");
        assert!(z.zset_del(b"d"));
        assert!(!z.zset_del(b"d"));
        assert_eq!(z.encoding_name(), "skiplist");
        // back to listpack only within the limits
        z.convert_to_listpack_if_needed(6, 3, &lim);
        assert_eq!(z.encoding_name(), "skiplist");
        z.convert_to_listpack_if_needed(1, 3, &lim);
        assert_eq!(z.encoding_name(), "listpack");
        assert_eq!(
            obj_order(&z),
            vec![
                (b"a".to_vec(), 1.0),
                (b"b".to_vec(), 1.0),
                (b"c".to_vec(), 1.0)
            ]
        );
        assert_eq!(ZSetObj::new_for(3, 5, &lim).encoding_name(), "listpack");
        assert_eq!(ZSetObj::new_for(4, 5, &lim).encoding_name(), "skiplist");
        assert_eq!(ZSetObj::new_for(1, 6, &lim).encoding_name(), "skiplist");
    }

    #[test]
    fn both_encodings_agree_on_random_ops() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let lim_big = LIM;
        for round in 0..3 {
            let mut a = ZSetObj::new_listpack();
            let mut b = ZSetObj::new_skiplist();
            for _ in 0..3000 {
                let m = format!("{}", rng.below(60)).into_bytes();
                let m = if round == 1 {
                    [b"m".to_vec(), m].concat()
                } else {
                    m
                };
                match rng.below(6) {
                    0..=2 => {
                        let sc = [0.5, 1.0, -2.0, 1e-3, f64::INFINITY, 7.25][rng.below(6) as usize];
                        let flags = [
                            0,
                            ZADD_IN_NX,
                            ZADD_IN_XX,
                            ZADD_IN_GT,
                            ZADD_IN_LT,
                            ZADD_IN_INCR,
                        ][rng.below(6) as usize];
                        assert_eq!(
                            a.zset_add(sc, &m, flags, &lim_big),
                            b.zset_add(sc, &m, flags, &lim_big)
                        );
                    }
                    3 => assert_eq!(a.zset_del(&m), b.zset_del(&m)),
                    4 => {
                        assert_eq!(a.score(&m), b.score(&m));
                        assert_eq!(a.rank(&m, false), b.rank(&m, false));
                        assert_eq!(a.rank(&m, true), b.rank(&m, true));
                    }
                    _ => {
                        assert_eq!(obj_order(&a), obj_order(&b));
                        let mut ra = Vec::new();
                        a.for_each_rev(|m, s| ra.push((m.to_vec(), s)));
                        ra.reverse();
                        assert_eq!(ra, obj_order(&b));
                    }
                }
                assert_eq!(a.len(), b.len());
                assert_eq!(a.encoding_name(), "listpack");
            }
            assert_eq!(obj_order(&a), obj_order(&b));
        }
    }

    #[test]
    fn score_range_walk_both_encodings() {
        let mut lp = ZSetObj::new_listpack();
        for i in 0..20 {
            lp.zset_add(i as f64, format!("m{i}").as_bytes(), 0, &LIM);
        }
        let mut sl = lp.clone();
        sl.convert_to_skiplist();
        let r = ZRangeSpec {
            min: 5.0,
            max: 9.0,
            minex: false,
            maxex: true,
        };
        for z in [&lp, &sl] {
            let mut seen = Vec::new();
            z.for_each_in_score_range(&r, |m, s| {
                seen.push((m.to_vec(), s));
                true
            });
            let want: Vec<(Vec<u8>, f64)> = (5..9)
                .map(|i| (format!("m{i}").into_bytes(), i as f64))
                .collect();
            assert_eq!(seen, want);
            // Stops when the callback says so.
            let mut n = 0;
            z.for_each_in_score_range(&r, |_, _| {
                n += 1;
                n < 2
            });
            assert_eq!(n, 2);
            // Nothing in range.
            let empty = ZRangeSpec {
                min: 100.0,
                max: 200.0,
                minex: false,
                maxex: true,
            };
            z.for_each_in_score_range(&empty, |_, _| panic!("out of range"));
        }
    }
}
