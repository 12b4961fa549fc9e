//! The stream type (Redis `t_stream.c`, `stream.h`): entries in listpack
//! nodes keyed by their master id, consumer groups with their pending
//! entries lists.
//!
//! # Node format (byte-compatible with Redis 7.0, so RDB carries nodes as is)
//! The stream is an ordered map from a node's *master id* (the id of the
//! first entry ever appended to it) to a listpack (Redis keeps a radix tree
//! keyed by the 128-bit big-endian id; a `BTreeMap` gives the same order and
//! the same "greatest key <= id" seeks). A node's listpack starts with the
//! *master entry*:
//!
//! ```text
//! count | deleted | num-fields | field_1 ... field_N | 0
//! ```
//!
//! `count` live entries plus `deleted` tombstones are in the node; the
//! fields are those of the first entry, used to compress the entries that
//! follow with the same field names. Each entry then is
//!
//! ```text
//! flags | ms-delta | seq-delta | [num-fields | field_1 value_1 ...] | lp-count
//! flags | ms-delta | seq-delta | value_1 ... value_N | lp-count      (SAMEFIELDS)
//! ```
//!
//! the id stored as the difference from the master id, the flags saying
//! DELETED (a tombstone left by XDEL or exact trimming) and SAMEFIELDS
//! (field names are the master's). `lp-count` is the number of listpack
//! elements of the entry before it, so that iteration can walk backwards;
//! the master entry's final `0` plays that role for the first entry and
//! tells a backward walk it reached the master entry.
//!
//! A new node starts when the tail node would reach `stream-node-max-bytes`
//! (counted as the node's bytes plus the new entry's field and value bytes)
//! or holds `stream-node-max-entries` entries (live plus deleted).
//!
//! # API (what the commands, consumer groups, RDB and AOF use)
//! - [`Stream::append`]: XADD's append with id generation (Redis
//!   `streamAppendItem`), errors as [`AppendError`].
//! - [`Stream::range`]: an iterator over live entries with ids in
//!   `start..=end`, forward or reverse (Redis `streamIterator*`), yielding
//!   [`EntryRef`]s: the id, the field count and [`EntryRef::fields`] (pairs
//!   of [`LpValue`] borrowed from the node). [`Stream::range_raw`] also
//!   yields tombstones (flag in [`EntryRef::deleted`]).
//! - [`Stream::get`] / [`Stream::exists`]: one live entry by id.
//! - [`Stream::delete`]: XDEL of one id (Redis `streamDeleteItem`), and
//!   [`Stream::trim`]: MAXLEN / MINID trimming, exact or `~`, with LIMIT
//!   (Redis `streamTrim`).
//! - [`Stream::edge_id`], [`Stream::last_valid_id`],
//!   [`Stream::range_has_tombstones`],
//!   [`Stream::estimate_distance_from_first_ever_entry`]: the helpers the
//!   consumer-group lag and XINFO rely on.
//! - [`StreamId`]: parsing lives in `t_stream.rs`
//!   (`stream_generic_parse_id_or_reply` and friends); formatting with
//!   [`StreamId::to_bytes`], arithmetic with [`StreamId::incr`] /
//!   [`StreamId::decr`].
//!
//! The iterators borrow the stream: collect what is needed (for example
//! the ids to XCLAIM) before mutating it.
//!
//! # Corrupt data
//! Nodes loaded from RDB / RESTORE are checked by
//! [`validate_listpack_integrity`] (deeply, always) before they are
//! accepted, so the walkers below can trust the node structure; they still
//! read every element through bounds-checked helpers and end the iteration
//! instead of panicking if something is off.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

use crate::listpack::{Listpack, LpValue};

/// Entry flag: none (Redis `STREAM_ITEM_FLAG_NONE`).
pub const STREAM_ITEM_FLAG_NONE: i64 = 0;
/// Entry flag: the entry is a tombstone (Redis `STREAM_ITEM_FLAG_DELETED`).
pub const STREAM_ITEM_FLAG_DELETED: i64 = 1;
/// Entry flag: the entry has the master entry's field names and does not
/// repeat them (Redis `STREAM_ITEM_FLAG_SAMEFIELDS`).
pub const STREAM_ITEM_FLAG_SAMEFIELDS: i64 = 2;
/// Largest listpack a stream node may reach, bytes (Redis
/// `STREAM_LISTPACK_MAX_SIZE`); also the cap of one entry's field and value
/// bytes.
pub const STREAM_LISTPACK_MAX_SIZE: usize = 1 << 30;
/// A consumer group's `entries_read` when unknown (Redis
/// `SCG_INVALID_ENTRIES_READ`).
pub const SCG_INVALID_ENTRIES_READ: i64 = -1;

/// A stream entry id, `<ms>-<seq>` (Redis `streamID`). Ordered by `ms`, then
/// `seq`, as the 128-bit big-endian key Redis stores in its radix trees.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    /// Unix time in milliseconds (or any number the user gave).
    pub ms: u64,
    /// Sequence number within `ms`.
    pub seq: u64,
}

impl StreamId {
    /// The id as one number, `ms` in the high 64 bits (same order).
    pub fn as_u128(self) -> u128 {
        u128::from_be_bytes(self.encode())
    }

    /// The inverse of [`StreamId::as_u128`].
    pub fn from_u128(v: u128) -> StreamId {
        StreamId {
            ms: (v >> 64) as u64,
            seq: v as u64,
        }
    }

    /// `0-0`, the smallest id (also what `-` means in ranges).
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    /// `18446744073709551615-18446744073709551615` (what `+` means).
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    /// An id from its parts.
    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// True for `0-0` (Redis `streamIDEqZero`).
    pub fn is_zero(&self) -> bool {
        self.ms == 0 && self.seq == 0
    }

    /// Becomes its successor (Redis `streamIncrID`); the maximal id wraps to
    /// `0-0` and returns false.
    pub fn incr(&mut self) -> bool {
        if self.seq == u64::MAX {
            if self.ms == u64::MAX {
                *self = StreamId::MIN;
                return false;
            }
            self.ms += 1;
            self.seq = 0;
        } else {
            self.seq += 1;
        }
        true
    }

    /// Becomes its predecessor (Redis `streamDecrID`); `0-0` wraps to the
    /// maximal id and returns false.
    pub fn decr(&mut self) -> bool {
        if self.seq == 0 {
            if self.ms == 0 {
                *self = StreamId::MAX;
                return false;
            }
            self.ms -= 1;
            self.seq = u64::MAX;
        } else {
            self.seq -= 1;
        }
        true
    }

    /// The `<ms>-<seq>` text (Redis `createStreamIDString`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(41);
        let mut t = itoa::Buffer::new();
        out.extend_from_slice(t.format(self.ms).as_bytes());
        out.push(b'-');
        out.extend_from_slice(t.format(self.seq).as_bytes());
        out
    }

    /// The 16-byte big-endian key Redis uses in its radix trees and RDB
    /// (Redis `streamEncodeID`).
    pub fn encode(&self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.ms.to_be_bytes());
        b[8..].copy_from_slice(&self.seq.to_be_bytes());
        b
    }

    /// Inverse of [`Self::encode`]; None unless `b` is 16 bytes.
    pub fn decode(b: &[u8]) -> Option<StreamId> {
        if b.len() != 16 {
            return None;
        }
        let mut ms = [0u8; 8];
        let mut seq = [0u8; 8];
        ms.copy_from_slice(&b[..8]);
        seq.copy_from_slice(&b[8..]);
        Some(StreamId {
            ms: u64::from_be_bytes(ms),
            seq: u64::from_be_bytes(seq),
        })
    }
}

impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// A stream (Redis `stream`).
#[derive(Clone, Debug, Default)]
pub struct Stream {
    /// Listpack nodes keyed by their master entry id (Redis `s->rax`).
    pub rax: BTreeMap<StreamId, Listpack>,
    /// Number of entries (deleted ones not counted).
    pub length: u64,
    /// Id of the last entry ever added (Redis `last_id`).
    pub last_id: StreamId,
    /// Id of the first entry not deleted, `0-0` when empty.
    pub first_id: StreamId,
    /// Greatest id ever deleted (XDEL, trimming), `0-0` if none.
    pub max_deleted_entry_id: StreamId,
    /// Count of entries ever added (Redis `entries_added`).
    pub entries_added: u64,
    /// Consumer groups by name, `None` until the first is created (Redis
    /// `s->cgroups`, created lazily).
    pub cgroups: Option<BTreeMap<Bytes, StreamCG>>,
}

/// A consumer group (Redis `streamCG`).
#[derive(Clone, Debug, Default)]
pub struct StreamCG {
    /// Last id delivered to the group's consumers.
    pub last_id: StreamId,
    /// Entries read by the group (Redis `entries_read`; -1 when unknown).
    pub entries_read: i64,
    /// Pending entries of all consumers, by id.
    pub pel: BTreeMap<StreamId, StreamNack>,
    /// Consumers by name.
    pub consumers: BTreeMap<Bytes, StreamConsumer>,
}

/// A consumer of a group (Redis `streamConsumer`).
#[derive(Clone, Debug, Default)]
pub struct StreamConsumer {
    /// Last time the consumer was active, unix ms.
    pub seen_time: i64,
    /// Consumer name.
    pub name: Bytes,
    /// Ids of its pending entries; each has its [`StreamNack`] in the
    /// group's `pel`.
    pub pel: BTreeSet<StreamId>,
}

/// A pending (delivered, not acknowledged) entry (Redis `streamNACK`).
#[derive(Clone, Debug, Default)]
pub struct StreamNack {
    /// Last delivery time, unix ms.
    pub delivery_time: i64,
    /// Times delivered.
    pub delivery_count: u64,
    /// Name of the consumer that owns it (a key of the group's `consumers`).
    pub consumer: Bytes,
}

/// Why [`Stream::append`] refused an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppendError {
    /// The id is not greater than the stream's last id (Redis `EDOM`): XADD
    /// replies "ERR The ID specified in XADD is equal or smaller than the
    /// target stream top item".
    IdTooSmall,
    /// The fields and values exceed [`STREAM_LISTPACK_MAX_SIZE`] (Redis
    /// `ERANGE`): "ERR Elements are too large to be stored".
    TooLarge,
}

/// How to trim (Redis `TRIM_STRATEGY_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrimStrategy {
    /// No trimming.
    None,
    /// Keep at most this many entries.
    MaxLen(u64),
    /// Drop entries with ids below this one.
    MinId(StreamId),
}

/// Trimming parameters (the trim half of Redis `streamAddTrimArgs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrimArgs {
    pub strategy: TrimStrategy,
    /// `~`: remove whole nodes only.
    pub approx: bool,
    /// Most entries removed in one call, 0 for no limit.
    pub limit: i64,
}

/// The integer at `pos` (Redis `lpGetInteger`); 0 for a malformed element
/// (validated nodes always hold integers where this is called).
fn lp_int(lp: &Listpack, pos: usize) -> i64 {
    match lp.get(pos) {
        LpValue::Int(i) => i,
        LpValue::Str(s) => crate::util::string2ll(s).unwrap_or(0),
    }
}

/// The position `n` elements after `pos`.
fn lp_skip(lp: &Listpack, mut pos: usize, n: usize) -> Option<usize> {
    for _ in 0..n {
        pos = lp.next(pos)?;
    }
    Some(pos)
}

/// The position `n` elements before `pos`.
fn lp_back(lp: &Listpack, mut pos: usize, n: usize) -> Option<usize> {
    for _ in 0..n {
        pos = lp.prev(pos)?;
    }
    Some(pos)
}

/// Where a node's master entry ends: (number of master fields, position of
/// the first master field, position of the master terminator `0`).
fn master_layout(lp: &Listpack) -> Option<(usize, usize, usize)> {
    let p = lp.first()?; // count
    let p = lp.next(p)?; // deleted
    let p = lp.next(p)?; // num-fields
    let n = usize::try_from(lp_int(lp, p)).ok()?;
    let fields = lp.next(p)?;
    let term = lp_skip(lp, fields, n)?;
    Some((n, fields, term))
}

/// One entry as the node holds it: where it starts and what it says.
#[derive(Clone, Copy, Debug)]
struct RawEntry {
    /// Position of its flags element.
    flags_pos: usize,
    flags: i64,
    id: StreamId,
    numfields: usize,
    /// Position of its first field (or first value with SAMEFIELDS).
    fields_pos: usize,
    /// Position of its lp-count element.
    count_pos: usize,
}

/// Parses the entry whose flags are at `pos` in a node with master id
/// `master` and `mfields` master fields.
fn read_entry(lp: &Listpack, pos: usize, master: StreamId, mfields: usize) -> Option<RawEntry> {
    let flags = lp_int(lp, pos);
    let p = lp.next(pos)?;
    let ms = master.ms.wrapping_add(lp_int(lp, p) as u64);
    let p = lp.next(p)?;
    let seq = master.seq.wrapping_add(lp_int(lp, p) as u64);
    let mut p = lp.next(p)?;
    let (numfields, per) = if flags & STREAM_ITEM_FLAG_SAMEFIELDS != 0 {
        (mfields, 1)
    } else {
        let n = usize::try_from(lp_int(lp, p)).ok()?;
        p = lp.next(p)?;
        (n, 2)
    };
    let count_pos = lp_skip(lp, p, numfields * per)?;
    Some(RawEntry {
        flags_pos: pos,
        flags,
        id: StreamId { ms, seq },
        numfields,
        fields_pos: p,
        count_pos,
    })
}

/// An entry yielded by [`StreamIter`]: its id and its field/value pairs,
/// borrowed from the node.
#[derive(Clone, Copy, Debug)]
pub struct EntryRef<'a> {
    /// The entry id.
    pub id: StreamId,
    /// Number of field/value pairs.
    pub numfields: usize,
    /// True for a tombstone (only [`Stream::range_raw`] yields those).
    pub deleted: bool,
    lp: &'a Listpack,
    same_fields: bool,
    master_fields: usize,
    fields_pos: usize,
}

impl<'a> EntryRef<'a> {
    /// The field/value pairs in order (Redis `streamIteratorGetField`).
    pub fn fields(&self) -> EntryFields<'a> {
        EntryFields {
            lp: self.lp,
            left: self.numfields,
            same_fields: self.same_fields,
            master_pos: Some(self.master_fields),
            pos: Some(self.fields_pos),
        }
    }

    /// The fields and values, flattened and owned: `[f1, v1, f2, v2, ...]`.
    pub fn to_vec(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::with_capacity(self.numfields * 2);
        for (f, v) in self.fields() {
            out.push(f.to_vec());
            out.push(v.to_vec());
        }
        out
    }
}

/// Iterator over one entry's field/value pairs.
pub struct EntryFields<'a> {
    lp: &'a Listpack,
    left: usize,
    same_fields: bool,
    master_pos: Option<usize>,
    pos: Option<usize>,
}

impl<'a> Iterator for EntryFields<'a> {
    type Item = (LpValue<'a>, LpValue<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let field = if self.same_fields {
            let m = self.master_pos?;
            self.master_pos = self.lp.next(m);
            self.lp.get(m)
        } else {
            let p = self.pos?;
            self.pos = self.lp.next(p);
            self.lp.get(p)
        };
        let p = self.pos?;
        self.pos = self.lp.next(p);
        Some((field, self.lp.get(p)))
    }
}

/// Iterator over the entries of a stream between two ids, inclusive, in
/// either direction (Redis `streamIterator`). Made by [`Stream::range`] and
/// [`Stream::range_raw`].
pub struct StreamIter<'a> {
    nodes: std::collections::btree_map::Range<'a, StreamId, Listpack>,
    start: StreamId,
    end: StreamId,
    rev: bool,
    skip_tombstones: bool,
    /// The node being walked: its listpack, master id, master field count
    /// and first master field position.
    node: Option<(&'a Listpack, StreamId, usize, usize)>,
    /// Forward: position of the previous entry's lp-count (or the master
    /// terminator); reverse: position of the next entry's lp-count.
    cursor: Option<usize>,
    done: bool,
}

impl<'a> StreamIter<'a> {
    fn open_node(&mut self) -> bool {
        let next = if self.rev {
            self.nodes.next_back()
        } else {
            self.nodes.next()
        };
        let Some((master, lp)) = next else {
            return false;
        };
        match master_layout(lp) {
            Some((n, fields, term)) => {
                self.node = Some((lp, *master, n, fields));
                self.cursor = if self.rev { lp.last() } else { Some(term) };
            }
            None => {
                self.node = None;
                self.cursor = None;
            }
        }
        true
    }
}

impl<'a> Iterator for StreamIter<'a> {
    type Item = EntryRef<'a>;

    fn next(&mut self) -> Option<EntryRef<'a>> {
        if self.done {
            return None;
        }
        loop {
            let Some((lp, master, mfields, mstart)) = self.node else {
                if !self.open_node() {
                    self.done = true;
                    return None;
                }
                continue;
            };
            // Find the flags of the next entry in this node, if any.
            let flags_pos = match self.cursor {
                None => None,
                Some(c) if !self.rev => lp.next(c),
                Some(c) => {
                    let n = lp_int(lp, c);
                    if n <= 0 {
                        None // the master entry's terminator
                    } else {
                        lp_back(lp, c, n as usize)
                    }
                }
            };
            let Some(e) = flags_pos.and_then(|p| read_entry(lp, p, master, mfields)) else {
                self.node = None;
                continue;
            };
            self.cursor = if self.rev {
                lp.prev(e.flags_pos)
            } else {
                Some(e.count_pos)
            };
            let deleted = e.flags & STREAM_ITEM_FLAG_DELETED != 0;
            if self.skip_tombstones && deleted {
                continue;
            }
            if self.rev {
                if e.id > self.end {
                    continue;
                }
                if e.id < self.start {
                    self.done = true;
                    return None;
                }
            } else {
                if e.id < self.start {
                    continue;
                }
                if e.id > self.end {
                    self.done = true;
                    return None;
                }
            }
            return Some(EntryRef {
                id: e.id,
                numfields: e.numfields,
                deleted,
                lp,
                same_fields: e.flags & STREAM_ITEM_FLAG_SAMEFIELDS != 0,
                master_fields: mstart,
                fields_pos: e.fields_pos,
            });
        }
    }
}

impl Stream {
    /// Active defrag of the listpack nodes (Redis `scanLaterStreamListpacks`)
    /// after the node whose master id is `after` (as [`StreamId::as_u128`];
    /// 0 starts from the first, as no node has id `0-0`), about `max` of
    /// them, each moved when jemalloc says it sits in a sparse slab.
    /// Returns the last visited node's id to go on after, 0 when done.
    pub fn defrag_nodes(&mut self, after: u128, max: usize) -> u128 {
        use std::ops::Bound::{Excluded, Unbounded};
        let from = if after == 0 {
            Unbounded
        } else {
            Excluded(StreamId::from_u128(after))
        };
        let mut last = None;
        for (seen, (id, lp)) in self.rax.range_mut((from, Unbounded)).enumerate() {
            if seen >= max.max(1) {
                return last.map_or(0, StreamId::as_u128);
            }
            lp.defrag();
            last = Some(*id);
        }
        0
    }

    /// An empty stream (Redis `streamNew`).
    pub fn new() -> Stream {
        Stream::default()
    }

    /// Number of live entries (XLEN).
    pub fn len(&self) -> u64 {
        self.length
    }

    /// True when no live entry is left.
    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Live entries with ids in `start..=end`, ascending, or descending when
    /// `rev` (Redis `streamIteratorStart` with tombstones skipped).
    pub fn range(&self, start: StreamId, end: StreamId, rev: bool) -> StreamIter<'_> {
        self.iter_generic(start, end, rev, true)
    }

    /// As [`Self::range`], tombstones included (flagged `deleted`).
    pub fn range_raw(&self, start: StreamId, end: StreamId, rev: bool) -> StreamIter<'_> {
        self.iter_generic(start, end, rev, false)
    }

    fn iter_generic(
        &self,
        start: StreamId,
        end: StreamId,
        rev: bool,
        skip: bool,
    ) -> StreamIter<'_> {
        // The node to start from: the last one whose master id is <= the
        // seek id (entries of earlier nodes are all smaller), as Redis's
        // raxSeek("<=") with its fallback to the first / last node.
        let seek = if rev { end } else { start };
        let from = if seek.is_zero() {
            None
        } else {
            self.rax.range(..=seek).next_back().map(|(k, _)| *k)
        };
        let nodes = match (from, rev) {
            (Some(k), false) => self.rax.range(k..),
            (Some(k), true) => self.rax.range(..=k),
            (None, _) => self.rax.range(..),
        };
        StreamIter {
            nodes,
            start,
            end,
            rev,
            skip_tombstones: skip,
            node: None,
            cursor: None,
            done: false,
        }
    }

    /// The live entry with this id, if any.
    pub fn get(&self, id: StreamId) -> Option<EntryRef<'_>> {
        self.range(id, id, false).next()
    }

    /// True if a live entry has this id (Redis `streamEntryExists`).
    pub fn exists(&self, id: StreamId) -> bool {
        self.get(id).is_some()
    }

    /// The first (`first`) or last id, tombstones skipped or not; an empty
    /// range gives the maximal id for `first`, `0-0` otherwise (Redis
    /// `streamGetEdgeID`).
    pub fn edge_id(&self, first: bool, skip_tombstones: bool) -> StreamId {
        let e = self
            .iter_generic(StreamId::MIN, StreamId::MAX, !first, skip_tombstones)
            .next();
        match e {
            Some(e) => e.id,
            None if first => StreamId::MAX,
            None => StreamId::MIN,
        }
    }

    /// Id of the last live entry, `0-0` if none (Redis `streamLastValidID`).
    pub fn last_valid_id(&self) -> StreamId {
        self.range(StreamId::MIN, StreamId::MAX, true)
            .next()
            .map_or(StreamId::MIN, |e| e.id)
    }

    /// Appends an entry (Redis `streamAppendItem`). `fv` holds field, value,
    /// field, value... (an even, non-zero count). `use_id` is the id the
    /// client gave and whether its sequence part was given (`false` for
    /// `<ms>-*`); `None` generates `<now_ms>-0`, or the last id's successor
    /// if the clock is not ahead of it. `node_max_bytes` / `node_max_entries`
    /// are `stream-node-max-bytes` / `-entries` (0: no limit). Returns the
    /// id added.
    pub fn append<T: AsRef<[u8]>>(
        &mut self,
        fv: &[T],
        use_id: Option<(StreamId, bool)>,
        now_ms: u64,
        node_max_bytes: u64,
        node_max_entries: i64,
    ) -> Result<StreamId, AppendError> {
        let id = match use_id {
            Some((id, true)) => id,
            Some((id, false)) => {
                if self.last_id.ms == id.ms {
                    if self.last_id.seq == u64::MAX {
                        return Err(AppendError::IdTooSmall);
                    }
                    StreamId::new(id.ms, self.last_id.seq + 1)
                } else {
                    id
                }
            }
            None => {
                if now_ms > self.last_id.ms {
                    StreamId::new(now_ms, 0)
                } else {
                    let mut id = self.last_id;
                    id.incr();
                    id
                }
            }
        };
        if id <= self.last_id {
            return Err(AppendError::IdTooSmall);
        }
        let numfields = fv.len() / 2;
        let totelelen: usize = fv.iter().map(|x| x.as_ref().len()).sum();
        if totelelen > STREAM_LISTPACK_MAX_SIZE {
            return Err(AppendError::TooLarge);
        }

        // Can the tail node take it?
        let mut tail: Option<StreamId> = None;
        if let Some((k, lp)) = self.rax.iter().next_back() {
            let max_bytes =
                if node_max_bytes == 0 || node_max_bytes > STREAM_LISTPACK_MAX_SIZE as u64 {
                    STREAM_LISTPACK_MAX_SIZE as u64
                } else {
                    node_max_bytes
                };
            let mut full = (lp.bytes() + totelelen) as u64 >= max_bytes;
            if !full && node_max_entries != 0 {
                let count = lp
                    .first()
                    .map(|p| lp_int(lp, p) + lp.next(p).map_or(0, |q| lp_int(lp, q)))
                    .unwrap_or(0);
                full = count >= node_max_entries;
            }
            if !full {
                tail = Some(*k);
            }
        }

        let mut flags = STREAM_ITEM_FLAG_NONE;
        let master_id;
        let mut items: Vec<LpValue<'_>> = Vec::with_capacity(5 + fv.len());
        match tail {
            None => {
                master_id = id;
                let mut lp = Listpack::new();
                let mut m: Vec<LpValue<'_>> = Vec::with_capacity(4 + numfields);
                m.push(LpValue::Int(1));
                m.push(LpValue::Int(0));
                m.push(LpValue::Int(numfields as i64));
                for pair in fv.chunks_exact(2) {
                    m.push(LpValue::Str(pair[0].as_ref()));
                }
                m.push(LpValue::Int(0));
                lp.append_many(&m);
                self.rax.insert(id, lp);
                flags |= STREAM_ITEM_FLAG_SAMEFIELDS;
            }
            Some(k) => {
                master_id = k;
                let Some(lp) = self.rax.get_mut(&k) else {
                    return Err(AppendError::TooLarge);
                };
                if let Some(p) = lp.first() {
                    let count = lp_int(lp, p);
                    lp.replace_int(p, count + 1);
                }
                if let Some((n, fields, _)) = master_layout(lp)
                    && n == numfields
                {
                    let mut p = Some(fields);
                    let mut same = true;
                    for pair in fv.chunks_exact(2) {
                        match p {
                            Some(q) if lp.get(q).eq_bytes(pair[0].as_ref()) => p = lp.next(q),
                            _ => {
                                same = false;
                                break;
                            }
                        }
                    }
                    if same {
                        flags |= STREAM_ITEM_FLAG_SAMEFIELDS;
                    }
                }
            }
        }
        let same = flags & STREAM_ITEM_FLAG_SAMEFIELDS != 0;
        items.push(LpValue::Int(flags));
        items.push(LpValue::Int(id.ms.wrapping_sub(master_id.ms) as i64));
        items.push(LpValue::Int(id.seq.wrapping_sub(master_id.seq) as i64));
        if !same {
            items.push(LpValue::Int(numfields as i64));
        }
        for pair in fv.chunks_exact(2) {
            if !same {
                items.push(LpValue::Str(pair[0].as_ref()));
            }
            items.push(LpValue::Str(pair[1].as_ref()));
        }
        let mut lp_count = numfields as i64 + 3;
        if !same {
            lp_count += numfields as i64 + 1;
        }
        items.push(LpValue::Int(lp_count));
        if let Some(lp) = self.rax.get_mut(&master_id) {
            lp.append_many(&items);
        }
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
        Ok(id)
    }

    /// Marks the live entry `id` deleted (Redis `streamDeleteItem`); a node
    /// whose last live entry goes is removed. Returns false if there was no
    /// such live entry. Only the length changes here: XDEL itself updates
    /// `first_id` and `max_deleted_entry_id`.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((master, flags_pos, flags)) = self.find_entry(id) else {
            return false;
        };
        let Some(lp) = self.rax.get_mut(&master) else {
            return false;
        };
        lp.replace_int(flags_pos, flags | STREAM_ITEM_FLAG_DELETED);
        let Some(p) = lp.first() else {
            return false;
        };
        let count = lp_int(lp, p);
        if count <= 1 {
            self.rax.remove(&master);
        } else {
            lp.replace_int(p, count - 1);
            if let Some(q) = lp.next(p) {
                let del = lp_int(lp, q);
                lp.replace_int(q, del + 1);
            }
        }
        self.length = self.length.saturating_sub(1);
        true
    }

    /// The node and flags position of the live entry `id`.
    fn find_entry(&self, id: StreamId) -> Option<(StreamId, usize, i64)> {
        let (master, lp) = self.rax.range(..=id).next_back()?;
        let (mfields, _, term) = master_layout(lp)?;
        let mut p = lp.next(term);
        while let Some(pos) = p {
            let e = read_entry(lp, pos, *master, mfields)?;
            if e.id == id {
                return (e.flags & STREAM_ITEM_FLAG_DELETED == 0)
                    .then_some((*master, pos, e.flags));
            }
            if e.id > id {
                return None;
            }
            p = lp.next(e.count_pos);
        }
        None
    }

    /// Trims from the head (Redis `streamTrim`): MAXLEN keeps at most N
    /// entries, MINID drops ids below the given one. Whole nodes go when they
    /// can; with `approx` nothing else does, otherwise entries of the node
    /// that is partly trimmed are marked deleted. `limit` (when not 0) caps
    /// the entries removed. Updates `first_id`; returns the entries removed.
    ///
    /// # Latency
    /// At most `limit` entries, or the whole stream when `limit` is 0.
    pub fn trim(&mut self, args: &TrimArgs) -> i64 {
        if args.strategy == TrimStrategy::None {
            return 0;
        }
        let mut deleted: i64 = 0;
        loop {
            if let TrimStrategy::MaxLen(max) = args.strategy
                && self.length <= max
            {
                break;
            }
            let Some((&master, lp)) = self.rax.iter().next() else {
                break;
            };
            let Some(first) = lp.first() else {
                break;
            };
            let entries = lp_int(lp, first);
            if args.limit != 0 && deleted + entries > args.limit {
                break;
            }
            let remove_node = match args.strategy {
                TrimStrategy::MaxLen(max) => self.length.saturating_sub(entries as u64) >= max,
                TrimStrategy::MinId(min) => node_last_id(lp, master).is_some_and(|l| l < min),
                TrimStrategy::None => false,
            };
            if remove_node {
                self.rax.remove(&master);
                self.length = self.length.saturating_sub(entries as u64);
                deleted += entries;
                continue;
            }
            if args.approx {
                break;
            }
            // Mark entries of this node deleted until the target is met.
            let Some(lp) = self.rax.get_mut(&master) else {
                break;
            };
            let Some((mfields, _, term)) = master_layout(lp) else {
                break;
            };
            let mut from_lp: i64 = 0;
            let mut p = lp.next(term);
            while let Some(pos) = p {
                let Some(e) = read_entry(lp, pos, master, mfields) else {
                    break;
                };
                let stop = match args.strategy {
                    TrimStrategy::MaxLen(max) => self.length <= max,
                    TrimStrategy::MinId(min) => e.id >= min,
                    TrimStrategy::None => true,
                };
                if stop {
                    break;
                }
                if e.flags & STREAM_ITEM_FLAG_DELETED == 0 {
                    // The new flags take as many bytes as the old ones (both
                    // are small integers), so later positions do not move.
                    lp.replace_int(pos, e.flags | STREAM_ITEM_FLAG_DELETED);
                    from_lp += 1;
                    self.length = self.length.saturating_sub(1);
                }
                p = lp.next(e.count_pos);
            }
            deleted += from_lp;
            if let Some(f) = lp.first() {
                lp.replace_int(f, entries - from_lp);
                if let Some(q) = lp.next(f) {
                    let marked = lp_int(lp, q);
                    lp.replace_int(q, marked + from_lp);
                }
            }
            break;
        }
        if self.length == 0 {
            self.first_id = StreamId::MIN;
        } else if deleted != 0 {
            self.first_id = self.edge_id(true, true);
        }
        deleted
    }

    /// True if `start..=end` may hold a tombstone, judged from
    /// `max_deleted_entry_id` (Redis `streamRangeHasTombstones`; `None`
    /// bounds mean `0-0` and the maximal id).
    pub fn range_has_tombstones(&self, start: Option<StreamId>, end: Option<StreamId>) -> bool {
        if self.length == 0 || self.max_deleted_entry_id.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted_entry_id {
            return false;
        }
        let s = start.unwrap_or(StreamId::MIN);
        let e = end.unwrap_or(StreamId::MAX);
        s <= self.max_deleted_entry_id && self.max_deleted_entry_id <= e
    }

    /// The number of entries added up to `id`, when it can be known
    /// without walking (Redis `streamEstimateDistanceFromFirstEverEntry`);
    /// [`SCG_INVALID_ENTRIES_READ`] when it cannot.
    pub fn estimate_distance_from_first_ever_entry(&self, id: StreamId) -> i64 {
        if self.entries_added == 0 {
            return 0;
        }
        if self.length == 0 && id <= self.last_id {
            return self.entries_added as i64;
        }
        if id == self.last_id {
            return self.entries_added as i64;
        } else if id > self.last_id {
            return SCG_INVALID_ENTRIES_READ;
        }
        if self.max_deleted_entry_id.is_zero() || self.max_deleted_entry_id < self.first_id {
            if id < self.first_id {
                return (self.entries_added - self.length) as i64;
            } else if id == self.first_id {
                return (self.entries_added - self.length + 1) as i64;
            }
        }
        SCG_INVALID_ENTRIES_READ
    }

    /// The consumer group `name`, if it exists (Redis `streamLookupCG`).
    pub fn lookup_cg(&self, name: &[u8]) -> Option<&StreamCG> {
        self.cgroups.as_ref()?.get(name)
    }

    /// Mutable [`Self::lookup_cg`].
    pub fn lookup_cg_mut(&mut self, name: &[u8]) -> Option<&mut StreamCG> {
        self.cgroups.as_mut()?.get_mut(name)
    }

    /// Bytes the stream's allocations take, as Redis's `objectComputeSize`
    /// counts a stream: the stream header, the node map (a map slot per
    /// node), the node listpacks (the first `samples` measured and their
    /// average applied to all but the last node, which is measured too, as
    /// the tail node is usually the odd one), and for every group its
    /// header, PEL entries and consumers (name and PEL). Allocations are
    /// rounded to their size class.
    pub fn mem_usage(&self, samples: usize) -> usize {
        use crate::util::zmalloc_size;
        /// A node map slot: key, listpack handle and the tree's overhead.
        const MAP_SLOT: usize = 48;
        /// A PEL slot: id, nack, and the tree's overhead.
        const PEL_SLOT: usize = 64;
        /// A consumer PEL slot: the id and the tree's overhead.
        const ID_SLOT: usize = 24;
        let mut size = zmalloc_size(std::mem::size_of::<Stream>());
        let nodes = self.rax.len();
        size += nodes * MAP_SLOT;
        let mut lpsize = 0usize;
        let mut sampled = 0usize;
        for lp in self.rax.values().take(samples.max(1)) {
            lpsize += zmalloc_size(lp.bytes());
            sampled += 1;
        }
        if nodes <= sampled {
            size += lpsize;
        } else {
            size += lpsize / sampled.max(1) * (nodes - 1);
            size += self
                .rax
                .values()
                .next_back()
                .map_or(0, |lp| zmalloc_size(lp.bytes()));
        }
        if let Some(cgs) = &self.cgroups {
            for cg in cgs.values() {
                size += zmalloc_size(std::mem::size_of::<StreamCG>()) + cg.pel.len() * PEL_SLOT;
                for c in cg.consumers.values() {
                    size += zmalloc_size(std::mem::size_of::<StreamConsumer>())
                        + c.name.len()
                        + c.pel.len() * ID_SLOT;
                }
            }
        }
        size
    }
}

/// The id of the last entry of a node, tombstones included (Redis
/// `lpGetEdgeStreamID` with `first == 0`).
fn node_last_id(lp: &Listpack, master: StreamId) -> Option<StreamId> {
    let (mfields, _, _) = master_layout(lp)?;
    let last = lp.last()?;
    let n = lp_int(lp, last);
    if n <= 0 {
        return None;
    }
    let flags = lp_back(lp, last, n as usize)?;
    read_entry(lp, flags, master, mfields).map(|e| e.id)
}

/// Checks that `lp` is a well-formed stream node with master id `master`
/// (Redis `streamValidateListpackIntegrity` in deep mode, which RDB and
/// RESTORE always apply here): a valid listpack whose master entry and
/// entries have the shape described in the module docs, every entry's
/// lp-count right, ids ascending from the master id and not below it.
/// Returns the node's (live, deleted) counts and its last id on success.
pub fn validate_listpack_integrity(
    lp: &Listpack,
    master: StreamId,
) -> Option<(i64, i64, Option<StreamId>)> {
    if !Listpack::validate(lp.as_bytes(), true) {
        return None;
    }
    let is_int = |p: usize| matches!(lp.get(p), LpValue::Int(_));
    let p = lp.first()?;
    if !is_int(p) {
        return None;
    }
    let count = lp_int(lp, p);
    let p = lp.next(p)?;
    if !is_int(p) {
        return None;
    }
    let deleted = lp_int(lp, p);
    let p = lp.next(p)?;
    if !is_int(p) {
        return None;
    }
    let mfields = lp_int(lp, p);
    if mfields < 0 || count < 0 || deleted < 0 {
        return None;
    }
    let mut p = lp.next(p)?;
    for _ in 0..mfields {
        p = lp.next(p)?;
    }
    if !is_int(p) || lp_int(lp, p) != 0 {
        return None;
    }
    let mut seen_live = 0i64;
    let mut seen_del = 0i64;
    let mut last: Option<StreamId> = None;
    let mut cur = lp.next(p);
    while let Some(pos) = cur {
        // flags, ms-delta, seq-delta must be integers
        let f1 = pos;
        let f2 = lp.next(f1)?;
        let f3 = lp.next(f2)?;
        if !is_int(f1) || !is_int(f2) || !is_int(f3) {
            return None;
        }
        let flags = lp_int(lp, f1);
        let mut elems: i64 = 3;
        let after = lp.next(f3)?;
        let e = if flags & STREAM_ITEM_FLAG_SAMEFIELDS == 0 {
            if !is_int(after) {
                return None;
            }
            let n = lp_int(lp, after);
            if n < 0 || n > u32::MAX as i64 {
                return None;
            }
            elems += 1 + 2 * n;
            lp_skip(lp, after, 1 + 2 * n as usize)?
        } else {
            elems += mfields;
            lp_skip(lp, after, mfields as usize)?
        };
        if !is_int(e) || lp_int(lp, e) != elems {
            return None;
        }
        let re = read_entry(lp, f1, master, mfields as usize)?;
        if re.count_pos != e {
            return None;
        }
        let (dms, dseq) = (lp_int(lp, f2), lp_int(lp, f3));
        let id = StreamId::new(
            master.ms.checked_add(dms as u64)?,
            master.seq.wrapping_add(dseq as u64),
        );
        if let Some(l) = last
            && id <= l
        {
            return None;
        }
        if id < master {
            return None;
        }
        last = Some(id);
        if flags & STREAM_ITEM_FLAG_DELETED != 0 {
            seen_del += 1;
        } else {
            seen_live += 1;
        }
        cur = lp.next(e);
    }
    if seen_live != count || seen_del != deleted {
        return None;
    }
    Some((count, deleted, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(s: &Stream, start: StreamId, end: StreamId, rev: bool) -> Vec<StreamId> {
        s.range(start, end, rev).map(|e| e.id).collect()
    }

    fn add(
        s: &mut Stream,
        id: (u64, u64),
        fv: &[&str],
        max_entries: i64,
    ) -> Result<StreamId, AppendError> {
        let v: Vec<&[u8]> = fv.iter().map(|x| x.as_bytes()).collect();
        s.append(
            &v,
            Some((StreamId::new(id.0, id.1), true)),
            0,
            4096,
            max_entries,
        )
    }

    /// The defrag cursor visits every node once, `max` at a time, resuming
    /// after the last node's id (ids with `ms` past 32 bits and `seq` 0
    /// included) and ending at 0.
    #[test]
    fn defrag_nodes_visits_each_node_once() {
        let mut s = Stream::new();
        let ms = [0, 1, 5, 1 << 40, u64::MAX - 1];
        for &m in &ms {
            for seq in 1..=5 {
                add(&mut s, (m, seq), &["f", "v"], 2).unwrap();
            }
        }
        assert_eq!(s.rax.len(), 13);
        let mut visited = Vec::new();
        let mut cursor = 0u128;
        loop {
            let next = s.defrag_nodes(cursor, 4);
            let from = StreamId::from_u128(cursor);
            let ids: Vec<StreamId> = s
                .rax
                .keys()
                .copied()
                .filter(|id| cursor == 0 || *id > from)
                .take(4)
                .collect();
            visited.extend(ids);
            if next == 0 {
                break;
            }
            assert_eq!(StreamId::from_u128(next), *visited.last().unwrap());
            cursor = next;
        }
        let all: Vec<StreamId> = s.rax.keys().copied().collect();
        assert_eq!(visited, all);
        let id = StreamId::new(1 << 40, 3);
        assert_eq!(StreamId::from_u128(id.as_u128()), id);
        assert!(StreamId::new(1, u64::MAX).as_u128() < StreamId::new(2, 0).as_u128());
    }

    #[test]
    fn node_bytes_match_redis() {
        // redis-server 7.0.15: XADD s 1-1 a 1 b 2 ; XADD s 1-2 a 3 b 4 ;
        // XADD s 2-0 c x : the single node's listpack from DEBUG LISTPACK /
        // the RDB payload.
        let mut s = Stream::new();
        add(&mut s, (1, 1), &["a", "1", "b", "2"], 100).unwrap();
        add(&mut s, (1, 2), &["a", "3", "b", "4"], 100).unwrap();
        add(&mut s, (2, 0), &["c", "x"], 100).unwrap();
        let lp = s.rax.get(&StreamId::new(1, 1)).unwrap();
        let items: Vec<Vec<u8>> = lp.iter().map(|v| v.to_vec()).collect();
        let want: Vec<&str> = vec![
            "3",
            "0",
            "2",
            "a",
            "b",
            "0", // master entry
            "2",
            "0",
            "0",
            "1",
            "2",
            "5", // 1-1 samefields
            "2",
            "0",
            "1",
            "3",
            "4",
            "5", // 1-2 samefields
            "0",
            "1",
            "18446744073709551615",
            "1",
            "c",
            "x",
            "6", // 2-0
        ];
        // 2-0 minus 1-1: seq delta wraps to -1 as Redis's unsigned
        // subtraction stored in an int64.
        let want: Vec<Vec<u8>> = want
            .iter()
            .map(|x| {
                if *x == "18446744073709551615" {
                    b"-1".to_vec()
                } else {
                    x.as_bytes().to_vec()
                }
            })
            .collect();
        assert_eq!(items, want);
        assert!(validate_listpack_integrity(lp, StreamId::new(1, 1)).is_some());
    }

    #[test]
    fn ranges_both_ways_across_nodes() {
        let mut s = Stream::new();
        for i in 1..=25u64 {
            add(&mut s, (i, 0), &["f", "v"], 4).unwrap();
        }
        assert_eq!(s.rax.len(), 7);
        let all: Vec<StreamId> = (1..=25).map(|i| StreamId::new(i, 0)).collect();
        assert_eq!(ids(&s, StreamId::MIN, StreamId::MAX, false), all);
        let mut r = all.clone();
        r.reverse();
        assert_eq!(ids(&s, StreamId::MIN, StreamId::MAX, true), r);
        assert_eq!(
            ids(&s, StreamId::new(6, 1), StreamId::new(9, 0), false),
            vec![
                StreamId::new(7, 0),
                StreamId::new(8, 0),
                StreamId::new(9, 0)
            ]
        );
        assert_eq!(
            ids(&s, StreamId::new(6, 1), StreamId::new(9, 0), true),
            vec![
                StreamId::new(9, 0),
                StreamId::new(8, 0),
                StreamId::new(7, 0)
            ]
        );
        let e = s.get(StreamId::new(13, 0)).unwrap();
        assert_eq!(e.to_vec(), vec![b"f".to_vec(), b"v".to_vec()]);
        assert!(s.get(StreamId::new(13, 1)).is_none());
    }

    #[test]
    fn delete_and_trim() {
        let mut s = Stream::new();
        for i in 1..=10u64 {
            add(&mut s, (i, 0), &["f", "v", "g", "w"], 3).unwrap();
        }
        assert!(s.delete(StreamId::new(2, 0)));
        assert!(!s.delete(StreamId::new(2, 0)));
        assert_eq!(s.len(), 9);
        assert!(s.get(StreamId::new(2, 0)).is_none());
        assert_eq!(s.range_raw(StreamId::MIN, StreamId::MAX, false).count(), 10);
        // exact MAXLEN 5 drops node 1-3 (two live) then marks 4,5 deleted...
        let n = s.trim(&TrimArgs {
            strategy: TrimStrategy::MaxLen(5),
            approx: false,
            limit: 0,
        });
        assert_eq!(n, 4);
        assert_eq!(s.len(), 5);
        assert_eq!(s.first_id, StreamId::new(6, 0));
        assert_eq!(
            ids(&s, StreamId::MIN, StreamId::MAX, false),
            (6..=10).map(|i| StreamId::new(i, 0)).collect::<Vec<_>>()
        );
        let n = s.trim(&TrimArgs {
            strategy: TrimStrategy::MinId(StreamId::new(9, 0)),
            approx: true,
            limit: 0,
        });
        assert_eq!(n, 1); // node 4..6 had one live entry: whole node goes
        assert_eq!(s.first_id, StreamId::new(7, 0));
        for (m, lp) in &s.rax {
            assert!(validate_listpack_integrity(lp, *m).is_some());
        }
    }

    #[test]
    fn id_generation_and_errors() {
        let mut s = Stream::new();
        let v: Vec<&[u8]> = vec![b"a", b"b"];
        let id = s.append(&v, None, 1000, 4096, 100).unwrap();
        assert_eq!(id, StreamId::new(1000, 0));
        let id = s.append(&v, None, 999, 4096, 100).unwrap();
        assert_eq!(id, StreamId::new(1000, 1));
        let id = s
            .append(&v, Some((StreamId::new(1000, 0), false)), 0, 4096, 100)
            .unwrap();
        assert_eq!(id, StreamId::new(1000, 2));
        assert_eq!(
            s.append(&v, Some((StreamId::new(5, 0), true)), 0, 4096, 100),
            Err(AppendError::IdTooSmall)
        );
        assert_eq!(s.entries_added, 3);
        assert_eq!(StreamId::new(3, 4).to_bytes(), b"3-4");
    }
}
