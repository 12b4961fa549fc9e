//! The list encoding (Redis 7.0 `quicklist.c`): a sequence of nodes, each
//! one contiguous allocation.
//!
//! # Nodes
//! A node is one of:
//! - **packed**: a [`Listpack`] holding many elements;
//! - **plain**: one element stored as its raw bytes, used for elements of at
//!   least the *packed threshold* (1 GiB by default; `DEBUG
//!   QUICKLIST-PACKED-THRESHOLD` changes it at run time, see
//!   [`set_packed_threshold`]);
//! - **compressed**: either of the above, LZF-compressed (`src/lzf.rs`).
//!
//! Nodes live in a `VecDeque`, so a node is addressed by its index; the
//! number of nodes is small (each packed node holds up to 4..64 KiB).
//!
//! # Fill (`list-max-listpack-size`)
//! A negative fill `-1..-5` caps a packed node at 4, 8, 16, 32 or 64 KiB;
//! a positive fill caps it at that many elements, and then also at 8 KiB
//! (Redis's `SIZE_SAFETY_LIMIT`). Before adding an element of `n` bytes,
//! the node's size is estimated as `node bytes + n + 8`; two neighbours
//! are merged when `a + b - 11` bytes (and, for a positive fill, their
//! element count) fit. Elements at or above the packed threshold always get
//! a plain node of their own. The fill is clamped to `-5..=32767`.
//!
//! # Compression (`list-compress-depth`)
//! With depth `d > 0`, the `d` nodes at each end stay uncompressed and the
//! inner nodes are compressed. A node is compressed only if it is at least
//! 48 bytes and compression saves at least 8 bytes. A compressed node that
//! a write needs is decompressed "for use" and recompressed right after;
//! reads decompress into a temporary buffer and leave the node as it is.
//! Compression is re-established around a node whenever nodes are added or
//! removed, walking `d` nodes in from each end exactly as Redis does, so the
//! set of compressed nodes matches Redis's.
//!
//! # Where Redis's algorithm shows
//! Node splits (LINSERT into a full node), merges of the neighbours after a
//! split, how LSET replaces an element by a large one, and range deletion
//! follow Redis step by step, so `DEBUG OBJECT`'s `ql_nodes` counts match.
//!
//! # Latency
//! Push and pop at the ends are O(node size). Index lookups walk the node
//! list from the nearer end: O(nodes + node size). Inserts and deletes in
//! the middle shift the node deque: O(nodes + node size).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::listpack::{Listpack, LpValue};

/// Default packed threshold: 1 GiB.
const DEFAULT_PACKED_THRESHOLD: usize = 1 << 30;
/// Byte limits of the negative fills -1..-5.
const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Positive fills are also limited to this many bytes per node.
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Per-element overhead assumed when estimating a node's growth.
const SIZE_ESTIMATE_OVERHEAD: usize = 8;
/// Nodes smaller than this are never compressed.
const MIN_COMPRESS_BYTES: usize = 48;
/// Compression must save at least this many bytes.
const MIN_COMPRESS_IMPROVE: usize = 8;
/// Largest fill (Redis `FILL_MAX`, 16 fill bits).
const FILL_MAX: i32 = (1 << 15) - 1;
/// Largest compress depth (Redis `COMPRESS_MAX`, 16 bits).
const COMPRESS_MAX: i32 = (1 << 16) - 1;
/// Listpack header bytes (total bytes u32 + element count u16).
const LP_HDR_SIZE: usize = 6;
/// Listpack terminator byte.
const LP_EOF: u8 = 0xFF;

static PACKED_THRESHOLD: AtomicUsize = AtomicUsize::new(DEFAULT_PACKED_THRESHOLD);

/// Sets the size from which an element gets a plain node of its own (Redis
/// `quicklistisSetPackedThreshold`, used by `DEBUG
/// QUICKLIST-PACKED-THRESHOLD`). 0 restores the default (1 GiB). Returns
/// false, changing nothing, for sizes above 4 GiB - 1 MiB.
pub fn set_packed_threshold(bytes: u64) -> bool {
    if bytes > (1u64 << 32) - (1u64 << 20) {
        return false;
    }
    let v = if bytes == 0 {
        DEFAULT_PACKED_THRESHOLD
    } else {
        bytes as usize
    };
    PACKED_THRESHOLD.store(v, Ordering::Relaxed);
    true
}

/// The current packed threshold in bytes.
pub fn packed_threshold() -> usize {
    PACKED_THRESHOLD.load(Ordering::Relaxed)
}

fn is_large_element(sz: usize) -> bool {
    sz >= packed_threshold()
}

/// Which end of the list (Redis `QUICKLIST_HEAD` / `QUICKLIST_TAIL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Where {
    Head,
    Tail,
}

/// One node's contents as the RDB writer sees them (quicklist2 container
/// 2 = `Packed`, 1 = `Plain`), always uncompressed.
#[derive(Clone, Copy, Debug)]
pub enum QlNodeRef<'a> {
    /// Listpack bytes.
    Packed(&'a [u8]),
    /// The raw bytes of the node's single element.
    Plain(&'a [u8]),
}

/// What `DEBUG OBJECT` prints for a list (Redis 7.0 `debugCommand`).
#[derive(Clone, Debug, PartialEq)]
pub struct QlDebugInfo {
    pub nodes: usize,
    pub avg_node: f64,
    pub listpack_max: i32,
    pub compressed: bool,
    pub uncompressed_size: usize,
}

impl std::fmt::Display for QlDebugInfo {
    /// ` ql_nodes:N ql_avg_node:F ql_listpack_max:N ql_compressed:B
    /// ql_uncompressed_size:N`, with the leading space, as Redis appends it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let avg = if self.avg_node.is_nan() {
            "-nan".to_string()
        } else {
            format!("{:.2}", self.avg_node)
        };
        write!(
            f,
            " ql_nodes:{} ql_avg_node:{} ql_listpack_max:{} ql_compressed:{} ql_uncompressed_size:{}",
            self.nodes, avg, self.listpack_max, self.compressed as u8, self.uncompressed_size
        )
    }
}

#[derive(Clone, Debug)]
enum Payload {
    Packed(Listpack),
    Plain(Vec<u8>),
    /// LZF bytes of a packed (`plain == false`) or plain node.
    Lzf {
        data: Box<[u8]>,
        plain: bool,
    },
}

#[derive(Clone, Debug)]
struct Node {
    payload: Payload,
    /// Elements in the node.
    count: u32,
    /// Uncompressed size in bytes.
    sz: usize,
    /// Decompressed for a write: compress again when done.
    recompress: bool,
    /// Temporarily never compress (LSET with a large element).
    dont_compress: bool,
}

impl Node {
    fn packed(lp: Listpack) -> Node {
        Node {
            count: lp.len() as u32,
            sz: lp.bytes(),
            payload: Payload::Packed(lp),
            recompress: false,
            dont_compress: false,
        }
    }

    fn plain(v: Vec<u8>) -> Node {
        Node {
            count: 1,
            sz: v.len(),
            payload: Payload::Plain(v),
            recompress: false,
            dont_compress: false,
        }
    }

    fn is_plain(&self) -> bool {
        matches!(
            self.payload,
            Payload::Plain(_) | Payload::Lzf { plain: true, .. }
        )
    }

    fn is_compressed(&self) -> bool {
        matches!(self.payload, Payload::Lzf { .. })
    }

    /// The listpack of a raw packed node.
    fn lp_mut(&mut self) -> &mut Listpack {
        self.decompress();
        match &mut self.payload {
            Payload::Packed(lp) => lp,
            // Callers only ask packed nodes; a plain node here is a bug.
            _ => unreachable!("lp_mut on a plain node"),
        }
    }

    fn update_sz(&mut self) {
        if let Payload::Packed(lp) = &self.payload {
            self.sz = lp.bytes();
        }
    }

    /// Uncompressed view (temporary for a compressed node).
    fn view(&self) -> NodeView<'_> {
        match &self.payload {
            Payload::Packed(lp) => NodeView::Packed(std::borrow::Cow::Borrowed(lp)),
            Payload::Plain(v) => NodeView::Plain(std::borrow::Cow::Borrowed(v)),
            Payload::Lzf { data, plain } => {
                let raw = lzf_inflate(data, self.sz);
                if *plain {
                    NodeView::Plain(std::borrow::Cow::Owned(raw))
                } else {
                    NodeView::Packed(std::borrow::Cow::Owned(Listpack::from_bytes(raw)))
                }
            }
        }
    }

    /// Decompresses in place (Redis `__quicklistDecompressNode`).
    fn decompress(&mut self) {
        if let Payload::Lzf { data, plain } = &self.payload {
            let raw = lzf_inflate(data, self.sz);
            self.payload = if *plain {
                Payload::Plain(raw)
            } else {
                Payload::Packed(Listpack::from_bytes(raw))
            };
            self.recompress = false;
        }
    }

    /// Compresses in place if worth it (Redis `__quicklistCompressNode`).
    fn compress(&mut self) {
        if self.dont_compress {
            return;
        }
        self.recompress = false;
        if self.sz < MIN_COMPRESS_BYTES {
            return;
        }
        let (raw, plain) = match &self.payload {
            Payload::Packed(lp) => (lp.as_bytes(), false),
            Payload::Plain(v) => (&v[..], true),
            Payload::Lzf { .. } => return,
        };
        match crate::lzf::lzf_compress(raw, self.sz) {
            Some(c) if c.len() + MIN_COMPRESS_IMPROVE < self.sz => {
                self.payload = Payload::Lzf {
                    data: c.into_boxed_slice(),
                    plain,
                };
            }
            _ => {}
        }
    }
}

/// Inflates a node this module compressed itself.
fn lzf_inflate(data: &[u8], sz: usize) -> Vec<u8> {
    crate::lzf::lzf_decompress(data, sz)
        .expect("quicklist node compressed by this module must decompress")
}

enum NodeView<'a> {
    Packed(std::borrow::Cow<'a, Listpack>),
    Plain(std::borrow::Cow<'a, [u8]>),
}

/// Concatenates two listpacks (Redis `lpMerge`): `a`'s elements then `b`'s.
fn lp_merge(a: &Listpack, b: &Listpack) -> Listpack {
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    let total = ab.len() + bb.len() - LP_HDR_SIZE - 1;
    let mut buf = Vec::with_capacity(total);
    buf.extend_from_slice(&(total as u32).to_le_bytes());
    let n = (a.len() + b.len()).min(u16::MAX as usize) as u16;
    buf.extend_from_slice(&n.to_le_bytes());
    buf.extend_from_slice(&ab[LP_HDR_SIZE..ab.len() - 1]);
    buf.extend_from_slice(&bb[LP_HDR_SIZE..bb.len() - 1]);
    buf.push(LP_EOF);
    Listpack::from_bytes(buf)
}

fn size_meets_optimization_requirement(sz: usize, fill: i32) -> bool {
    if fill >= 0 {
        return false;
    }
    let offset = (-fill - 1) as usize;
    offset < OPTIMIZATION_LEVEL.len() && sz <= OPTIMIZATION_LEVEL[offset]
}

/// A list value (Redis `quicklist`). See the module docs.
#[derive(Clone, Debug)]
pub struct Quicklist {
    nodes: VecDeque<Node>,
    /// Total elements.
    count: usize,
    fill: i32,
    compress: i32,
}

impl Default for Quicklist {
    fn default() -> Self {
        Quicklist::new(-2, 0)
    }
}

impl Quicklist {
    /// An empty list with fill `fill` (`list-max-listpack-size`) and
    /// compress depth `compress` (`list-compress-depth`), clamped as Redis
    /// does (fill to `-5..=32767`, depth to `0..=65535`).
    pub fn new(fill: i32, compress: i32) -> Quicklist {
        Quicklist {
            nodes: VecDeque::new(),
            count: 0,
            fill: fill.clamp(-5, FILL_MAX),
            compress: compress.clamp(0, COMPRESS_MAX),
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True if there are no elements.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Active defrag of the nodes from index `from`, about `max` of them
    /// (each node's listpack, plain element or compressed bytes, moved when
    /// jemalloc says they sit in a sparse slab; the node deque itself when
    /// starting). Returns the index to go on from, 0 when done.
    pub fn defrag_nodes(&mut self, from: u64, max: usize) -> u64 {
        let from = from as usize;
        if from == 0 {
            crate::defrag::defrag_vec_deque(&mut self.nodes);
        }
        let end = from.saturating_add(max).min(self.nodes.len());
        for n in self.nodes.range_mut(from.min(end)..end) {
            match &mut n.payload {
                Payload::Packed(lp) => {
                    lp.defrag();
                }
                Payload::Plain(v) => {
                    crate::defrag::defrag_vec(v);
                }
                Payload::Lzf { data, .. } => {
                    crate::defrag::defrag_bytes(data);
                }
            }
        }
        if end >= self.nodes.len() {
            0
        } else {
            end as u64
        }
    }

    /// The fill setting.
    pub fn fill(&self) -> i32 {
        self.fill
    }

    /// The compress depth.
    pub fn compress_depth(&self) -> i32 {
        self.compress
    }

    /// Number of nodes currently LZF-compressed.
    pub fn compressed_node_count(&self) -> usize {
        self.nodes.iter().filter(|n| n.is_compressed()).count()
    }

    /// Bytes allocated for the nodes' contents (for MEMORY USAGE).
    pub fn allocated_bytes(&self) -> usize {
        let mut n = std::mem::size_of::<Quicklist>();
        for node in &self.nodes {
            n += std::mem::size_of::<Node>();
            n += match &node.payload {
                Payload::Packed(lp) => lp.bytes(),
                Payload::Plain(v) => v.len(),
                Payload::Lzf { data, .. } => data.len(),
            };
        }
        n
    }

    /// Heap bytes of the list as jemalloc sizes them, for MEMORY USAGE
    /// (Redis `objectComputeSize` on a quicklist): the node array, plus the
    /// payload allocations of the first `samples` nodes (at least one)
    /// averaged and multiplied by the node count. The `Quicklist` struct
    /// itself is not counted.
    ///
    /// # Latency
    /// `O(min(samples, nodes))`.
    pub fn alloc_size_sampled(&self, samples: usize) -> usize {
        use crate::util::zmalloc_size;
        let array = zmalloc_size(self.nodes.capacity() * std::mem::size_of::<Node>());
        let (mut sum, mut n) = (0usize, 0usize);
        for node in self.nodes.iter().take(samples.max(1)) {
            sum += zmalloc_size(match &node.payload {
                Payload::Packed(lp) => lp.allocated(),
                Payload::Plain(v) => v.capacity(),
                Payload::Lzf { data, .. } => data.len(),
            });
            n += 1;
        }
        if n == 0 {
            return array;
        }
        array + (sum as f64 / n as f64 * self.nodes.len() as f64) as usize
    }

    /// What DEBUG OBJECT appends for a list.
    pub fn debug_info(&self) -> QlDebugInfo {
        QlDebugInfo {
            nodes: self.nodes.len(),
            avg_node: self.count as f64 / self.nodes.len() as f64,
            listpack_max: self.fill,
            compressed: self.compress != 0,
            uncompressed_size: self.nodes.iter().map(|n| n.sz).sum(),
        }
    }

    // ---- Compression bookkeeping ----

    fn compress_node(&mut self, i: usize) {
        // Head and tail are never compressed.
        if i == 0 || i + 1 >= self.nodes.len() {
            return;
        }
        if !self.nodes[i].is_compressed() {
            self.nodes[i].compress();
        }
    }

    fn decompress_node_for_use(&mut self, i: usize) {
        let n = &mut self.nodes[i];
        if n.is_compressed() {
            n.decompress();
            n.recompress = true;
        }
    }

    /// Redis `__quicklistCompress`: keeps the `compress` nodes at each end
    /// raw and compresses the first inner node at each side, and `node`.
    fn compress_around(&mut self, node: Option<usize>) {
        let len = self.nodes.len();
        if len == 0 || self.compress == 0 || len < (self.compress as usize) * 2 {
            return;
        }
        let (mut f, mut r) = (0usize, len - 1);
        let mut in_depth = false;
        for _ in 0..self.compress {
            self.nodes[f].decompress();
            self.nodes[r].decompress();
            if Some(f) == node || Some(r) == node {
                in_depth = true;
            }
            if f == r || f + 1 == r {
                return;
            }
            f += 1;
            r -= 1;
        }
        if !in_depth && let Some(n) = node {
            self.compress_node(n);
        }
        self.compress_node(f);
        self.compress_node(r);
    }

    /// Redis `quicklistCompress`.
    fn compress_at(&mut self, i: usize) {
        if i >= self.nodes.len() {
            return;
        }
        if self.nodes[i].recompress {
            self.compress_node(i);
        } else {
            self.compress_around(Some(i));
        }
    }

    /// Redis `quicklistRecompressOnly`.
    fn recompress_only(&mut self, i: usize) {
        if i < self.nodes.len() && self.nodes[i].recompress {
            self.compress_node(i);
        }
    }

    // ---- Node list changes ----

    /// Inserts `new` next to node `old` (or as the only node); returns the
    /// new node's index (Redis `__quicklistInsertNode`).
    fn insert_node(&mut self, old: Option<usize>, new: Node, after: bool) -> usize {
        let (idx, old_idx) = match old {
            None => (if after { self.nodes.len() } else { 0 }, None),
            Some(o) if after => (o + 1, Some(o)),
            Some(o) => (o, Some(o + 1)),
        };
        self.nodes.insert(idx, new);
        if let Some(o) = old_idx {
            self.compress_at(o);
        }
        self.compress_at(idx);
        idx
    }

    /// Removes node `i` and its elements (Redis `__quicklistDelNode`).
    fn del_node(&mut self, i: usize) {
        if let Some(n) = self.nodes.remove(i) {
            self.count -= n.count as usize;
        }
        self.compress_around(None);
    }

    fn node_allow_insert(&self, i: Option<usize>, sz: usize) -> bool {
        let Some(node) = i.and_then(|i| self.nodes.get(i)) else {
            return false;
        };
        if node.is_plain() || is_large_element(sz) {
            return false;
        }
        let new_sz = node.sz + sz + SIZE_ESTIMATE_OVERHEAD;
        if size_meets_optimization_requirement(new_sz, self.fill) {
            true
        } else if new_sz > SIZE_SAFETY_LIMIT {
            false
        } else {
            (node.count as i64) < self.fill as i64
        }
    }

    fn node_allow_merge(&self, a: Option<usize>, b: Option<usize>) -> bool {
        let (Some(a), Some(b)) = (
            a.and_then(|i| self.nodes.get(i)),
            b.and_then(|i| self.nodes.get(i)),
        ) else {
            return false;
        };
        if a.is_plain() || b.is_plain() {
            return false;
        }
        let merge_sz = (a.sz + b.sz).saturating_sub(11);
        if size_meets_optimization_requirement(merge_sz, self.fill) {
            true
        } else if merge_sz > SIZE_SAFETY_LIMIT {
            false
        } else {
            (a.count as i64 + b.count as i64) <= self.fill as i64
        }
    }

    /// Merges node `a` with its right neighbour `a + 1`; returns the
    /// index of the merged node (Redis `_quicklistListpackMerge`).
    fn merge_with_next(&mut self, a: usize) -> usize {
        self.nodes[a].decompress();
        self.nodes[a + 1].decompress();
        // Redis keeps the bigger node's allocation (and its flags).
        let recompress = if self.nodes[a].sz >= self.nodes[a + 1].sz {
            self.nodes[a].recompress
        } else {
            self.nodes[a + 1].recompress
        };
        let merged = {
            let (Payload::Packed(la), Payload::Packed(lb)) =
                (&self.nodes[a].payload, &self.nodes[a + 1].payload)
            else {
                return a;
            };
            lp_merge(la, lb)
        };
        let b_count = self.nodes[a + 1].count;
        let node = &mut self.nodes[a];
        node.payload = Payload::Packed(merged);
        node.count += b_count;
        node.recompress = recompress;
        node.update_sz();
        // The emptied node goes; its elements now live in `a`.
        self.nodes[a + 1].count = 0;
        self.del_node(a + 1);
        self.compress_at(a);
        a
    }

    /// Tries to merge the nodes around `center` (Redis `_quicklistMergeNodes`).
    fn merge_nodes(&mut self, mut center: usize) {
        let has_prev = center >= 1;
        let has_prev_prev = center >= 2;
        let has_next = center + 1 < self.nodes.len();
        let has_next_next = center + 2 < self.nodes.len();
        if has_prev && has_prev_prev && self.node_allow_merge(Some(center - 1), Some(center - 2)) {
            self.merge_with_next(center - 2);
            center -= 1;
        }
        if has_next && has_next_next && self.node_allow_merge(Some(center + 1), Some(center + 2)) {
            self.merge_with_next(center + 1);
        }
        let target = if center >= 1 && self.node_allow_merge(Some(center), Some(center - 1)) {
            self.merge_with_next(center - 1)
        } else {
            center
        };
        if self.node_allow_merge(Some(target), Some(target + 1)) {
            self.merge_with_next(target);
        }
    }

    /// Splits node `i` at element `offset` into two packed nodes; the
    /// returned (not yet linked) node holds the elements after `offset`
    /// when `after`, else those before it (Redis `_quicklistSplitNode`).
    fn split_node(&mut self, i: usize, offset: usize, after: bool) -> Node {
        let node = &mut self.nodes[i];
        let count = node.count as usize;
        let lp = node.lp_mut();
        let mut new_lp = lp.clone();
        if after {
            // node keeps [0, offset], new gets (offset, end].
            let keep = offset + 1;
            if keep < count {
                lp.delete_range(keep, count - keep);
            }
            new_lp.delete_range(0, keep.min(count));
        } else {
            // new gets [0, offset), node keeps [offset, end].
            if offset > 0 {
                lp.delete_range(0, offset);
            }
            if offset < count {
                new_lp.delete_range(offset, count - offset);
            }
        }
        node.count = lp.len() as u32;
        node.update_sz();
        Node::packed(new_lp)
    }

    // ---- Push / pop ----

    /// Adds an element at the head (Redis `quicklistPushHead`).
    pub fn push_head(&mut self, value: &[u8]) {
        let sz = value.len();
        let head = if self.nodes.is_empty() { None } else { Some(0) };
        if is_large_element(sz) {
            self.insert_node(head, Node::plain(value.to_vec()), false);
        } else if self.node_allow_insert(head, sz) {
            let n = &mut self.nodes[0];
            n.lp_mut().prepend(value);
            n.count += 1;
            n.update_sz();
        } else {
            let mut lp = Listpack::new();
            lp.prepend(value);
            self.insert_node(head, Node::packed(lp), false);
        }
        self.count += 1;
    }

    /// Adds an element at the tail (Redis `quicklistPushTail`).
    pub fn push_tail(&mut self, value: &[u8]) {
        let sz = value.len();
        let tail = self.nodes.len().checked_sub(1);
        if is_large_element(sz) {
            self.insert_node(tail, Node::plain(value.to_vec()), true);
        } else if self.node_allow_insert(tail, sz) {
            let i = self.nodes.len() - 1;
            let n = &mut self.nodes[i];
            n.lp_mut().append(value);
            n.count += 1;
            n.update_sz();
        } else {
            let mut lp = Listpack::new();
            lp.append(value);
            self.insert_node(tail, Node::packed(lp), true);
        }
        self.count += 1;
    }

    /// Adds an element at either end.
    pub fn push(&mut self, value: &[u8], wh: Where) {
        match wh {
            Where::Head => self.push_head(value),
            Where::Tail => self.push_tail(value),
        }
    }

    /// Removes and returns the element at either end (Redis `quicklistPop`).
    pub fn pop(&mut self, wh: Where) -> Option<Vec<u8>> {
        if self.count == 0 {
            return None;
        }
        let i = match wh {
            Where::Head => 0,
            Where::Tail => self.nodes.len() - 1,
        };
        let node = &mut self.nodes[i];
        node.decompress();
        if let Payload::Plain(v) = &mut node.payload {
            let v = std::mem::take(v);
            self.del_node(i);
            return Some(v);
        }
        let lp = node.lp_mut();
        let pos = match wh {
            Where::Head => lp.first(),
            Where::Tail => lp.last(),
        }?;
        let v = lp.get(pos).to_vec();
        lp.delete(pos);
        self.after_delete_one(i);
        Some(v)
    }

    /// Removes and returns the head element.
    pub fn pop_head(&mut self) -> Option<Vec<u8>> {
        self.pop(Where::Head)
    }

    /// Removes and returns the tail element.
    pub fn pop_tail(&mut self) -> Option<Vec<u8>> {
        self.pop(Where::Tail)
    }

    /// Bookkeeping after one element of packed node `i` was deleted
    /// (Redis `quicklistDelIndex`); returns true if the node went away.
    fn after_delete_one(&mut self, i: usize) -> bool {
        let node = &mut self.nodes[i];
        node.count -= 1;
        self.count -= 1;
        if node.count == 0 {
            self.del_node(i);
            true
        } else {
            node.update_sz();
            false
        }
    }

    // ---- Lookup ----

    /// Node and element offset of list index `idx` (negative from the
    /// tail), as Redis `quicklistGetIteratorAtIdx`: the offset is
    /// non-negative for a non-negative `idx`, else negative from the
    /// node's end.
    fn locate(&self, idx: i64) -> Option<(usize, i64)> {
        let forward = idx >= 0;
        let index: u64 = if forward {
            idx as u64
        } else {
            (-(idx + 1)) as u64
        };
        let count = self.count as u64;
        if index >= count {
            return None;
        }
        let (seek_forward, seek_index) = if index > (count - 1) / 2 {
            (!forward, count - 1 - index)
        } else {
            (forward, index)
        };
        let n = self.nodes.len();
        let mut accum = 0u64;
        let mut found = None;
        for k in 0..n {
            let i = if seek_forward { k } else { n - 1 - k };
            let c = self.nodes[i].count as u64;
            if accum + c > seek_index {
                found = Some(i);
                break;
            }
            accum += c;
        }
        let i = found?;
        let c = self.nodes[i].count as u64;
        if seek_forward != forward {
            accum = count - c - accum;
        }
        let off = if forward {
            (index - accum) as i64
        } else {
            -(index as i64) - 1 + accum as i64
        };
        Some((i, off))
    }

    /// Like [`Self::locate`] with the offset made non-negative.
    fn locate_pos(&self, idx: i64) -> Option<(usize, usize)> {
        let (i, off) = self.locate(idx)?;
        let off = if off < 0 {
            self.nodes[i].count as i64 + off
        } else {
            off
        };
        Some((i, off as usize))
    }

    /// The element at `idx` (negative counts from the tail).
    pub fn index(&self, idx: i64) -> Option<Vec<u8>> {
        let (i, off) = self.locate_pos(idx)?;
        match self.nodes[i].view() {
            NodeView::Plain(v) => Some(v.into_owned()),
            NodeView::Packed(lp) => {
                let pos = lp.seek(off as i64)?;
                Some(lp.get(pos).to_vec())
            }
        }
    }

    // ---- Iteration ----

    /// Calls `f` with the elements from index `start` (negative from the
    /// tail) towards the tail (`forward`) or the head, until `f` returns
    /// false or the list ends. Nothing is allocated for uncompressed nodes.
    pub fn visit_from(&self, start: i64, forward: bool, mut f: impl FnMut(LpValue<'_>) -> bool) {
        let Some((mut i, mut off)) = self.locate_pos(start) else {
            return;
        };
        loop {
            let go_on = match self.nodes[i].view() {
                NodeView::Plain(v) => f(LpValue::Str(&v)),
                NodeView::Packed(lp) => {
                    let mut p = lp.seek(off as i64);
                    let mut go_on = true;
                    while let Some(pos) = p {
                        if !f(lp.get(pos)) {
                            go_on = false;
                            break;
                        }
                        p = if forward { lp.next(pos) } else { lp.prev(pos) };
                    }
                    go_on
                }
            };
            if !go_on {
                return;
            }
            if forward {
                i += 1;
                if i >= self.nodes.len() {
                    return;
                }
                off = 0;
            } else {
                if i == 0 {
                    return;
                }
                i -= 1;
                off = self.nodes[i].count as usize - 1;
            }
        }
    }

    /// Elements head to tail, as owned bytes.
    pub fn iter(&self) -> QuicklistIter<'_> {
        QuicklistIter {
            ql: self,
            node: 0,
            buf: VecDeque::new(),
        }
    }

    /// Calls `f` with every node, head to tail, uncompressed (for the RDB
    /// writer).
    pub fn for_each_node(&self, mut f: impl FnMut(QlNodeRef<'_>)) {
        for node in &self.nodes {
            match node.view() {
                NodeView::Packed(lp) => f(QlNodeRef::Packed(lp.as_bytes())),
                NodeView::Plain(v) => f(QlNodeRef::Plain(&v)),
            }
        }
    }

    // ---- Building from RDB ----

    /// Appends a node made of a whole listpack (Redis
    /// `quicklistAppendListpack`, for the RDB loader). Empty listpacks are
    /// ignored.
    pub fn append_listpack_node(&mut self, lp: Listpack) {
        if lp.is_empty() {
            return;
        }
        let node = Node::packed(lp);
        self.count += node.count as usize;
        let tail = self.nodes.len().checked_sub(1);
        self.insert_node(tail, node, true);
    }

    /// Appends a plain node holding one element (Redis
    /// `quicklistAppendPlainNode`, for the RDB loader).
    pub fn append_plain_node(&mut self, v: Vec<u8>) {
        self.count += 1;
        let tail = self.nodes.len().checked_sub(1);
        self.insert_node(tail, Node::plain(v), true);
    }

    // ---- Changes in the middle ----

    /// Replaces the element at `idx` (negative from the tail); false if
    /// out of range (Redis `quicklistReplaceAtIndex`).
    pub fn replace_at_index(&mut self, idx: i64, value: &[u8]) -> bool {
        let Some((i, off)) = self.locate_pos(idx) else {
            return false;
        };
        self.decompress_node_for_use(i);
        let sz = value.len();
        let plain = self.nodes[i].is_plain();
        if !plain && !is_large_element(sz) {
            let node = &mut self.nodes[i];
            let lp = node.lp_mut();
            if let Some(pos) = lp.seek(off as i64) {
                lp.replace(pos, value);
            }
            node.update_sz();
            self.compress_at(i);
        } else if plain {
            if is_large_element(sz) {
                let node = &mut self.nodes[i];
                node.payload = Payload::Plain(value.to_vec());
                node.sz = sz;
                self.compress_at(i);
            } else {
                // A small value: insert it after, then drop the plain node.
                self.insert_at(i, off, value, true);
                self.del_node(i);
            }
        } else {
            // A large value into a packed node: insert it after the old
            // element (splitting the node), then delete the old element,
            // now the last of node `i`.
            self.nodes[i].dont_compress = true;
            self.insert_at(i, off, value, true);
            if self.nodes[i].count == 1 {
                self.del_node(i);
            } else {
                let lp = self.nodes[i].lp_mut();
                if let Some(pos) = lp.last() {
                    lp.delete(pos);
                }
                self.after_delete_one(i);
                self.nodes[i].dont_compress = false;
                self.compress_at(i);
                self.compress_at(i + 1);
            }
        }
        true
    }

    /// Inserts `value` before or after the first element equal to `pivot`
    /// (LINSERT). Returns false if there is no such element.
    pub fn insert_at_pivot(&mut self, pivot: &[u8], value: &[u8], after: bool) -> bool {
        let mut found = None;
        'nodes: for (i, node) in self.nodes.iter().enumerate() {
            match node.view() {
                NodeView::Plain(v) => {
                    if &v[..] == pivot {
                        found = Some((i, 0));
                        break 'nodes;
                    }
                }
                NodeView::Packed(lp) => {
                    for (off, e) in lp.iter().enumerate() {
                        if e.eq_bytes(pivot) {
                            found = Some((i, off));
                            break 'nodes;
                        }
                    }
                }
            }
        }
        let Some((i, off)) = found else {
            return false;
        };
        self.decompress_node_for_use(i);
        self.insert_at(i, off, value, after);
        true
    }

    /// Inserts `value` next to element `offset` of node `i` (Redis
    /// `_quicklistInsert`). The node is already decompressed for use.
    fn insert_at(&mut self, i: usize, offset: usize, value: &[u8], after: bool) {
        let sz = value.len();
        let count = self.nodes[i].count as usize;
        let full = !self.node_allow_insert(Some(i), sz);
        let mut at_tail = false;
        let mut at_head = false;
        let mut avail_next = false;
        let mut avail_prev = false;
        if after && offset + 1 == count {
            at_tail = true;
            avail_next = self.node_allow_insert(Some(i + 1), sz);
        }
        if !after && offset == 0 {
            at_head = true;
            avail_prev = i > 0 && self.node_allow_insert(Some(i - 1), sz);
        }
        if is_large_element(sz) {
            if self.nodes[i].is_plain() || at_tail || at_head {
                self.insert_node(Some(i), Node::plain(value.to_vec()), after);
            } else {
                let new_node = self.split_node(i, offset, after);
                let e = self.insert_node(Some(i), Node::plain(value.to_vec()), after);
                self.insert_node(Some(e), new_node, after);
            }
            self.count += 1;
            return;
        }
        if !full {
            let node = &mut self.nodes[i];
            let lp = node.lp_mut();
            if let Some(pos) = lp.seek(offset as i64) {
                if after {
                    lp.insert_after(pos, value);
                } else {
                    lp.insert_before(pos, value);
                }
            }
            node.count += 1;
            node.update_sz();
            self.recompress_only(i);
        } else if at_tail && avail_next {
            self.decompress_node_for_use(i + 1);
            let n = &mut self.nodes[i + 1];
            n.lp_mut().prepend(value);
            n.count += 1;
            n.update_sz();
            self.recompress_only(i + 1);
            self.recompress_only(i);
        } else if at_head && avail_prev {
            self.decompress_node_for_use(i - 1);
            let n = &mut self.nodes[i - 1];
            n.lp_mut().append(value);
            n.count += 1;
            n.update_sz();
            self.recompress_only(i - 1);
            self.recompress_only(i);
        } else if at_tail || at_head {
            let mut lp = Listpack::new();
            lp.prepend(value);
            self.insert_node(Some(i), Node::packed(lp), after);
        } else {
            let mut new_node = self.split_node(i, offset, after);
            {
                let lp = new_node.lp_mut();
                if after {
                    lp.prepend(value);
                } else {
                    lp.append(value);
                }
            }
            new_node.count += 1;
            new_node.update_sz();
            let ni = self.insert_node(Some(i), new_node, after);
            let center = if after { i } else { ni + 1 };
            self.merge_nodes(center);
        }
        self.count += 1;
    }

    /// Deletes `count` elements from index `start` (negative from the
    /// tail), clamped to the list's end (Redis `quicklistDelRange`).
    /// Returns false if nothing was deleted.
    pub fn del_range(&mut self, start: i64, count: i64) -> bool {
        if count <= 0 {
            return false;
        }
        let mut extent = count as u64;
        let total = self.count as u64;
        if start >= 0 && extent > total.saturating_sub(start as u64) {
            extent = total.saturating_sub(start as u64);
        } else if start < 0 && extent > start.unsigned_abs() {
            extent = start.unsigned_abs();
        }
        let Some((mut i, mut offset)) = self.locate(start) else {
            return false;
        };
        while extent > 0 && i < self.nodes.len() {
            let ncount = self.nodes[i].count as u64;
            let mut entire = false;
            let del: u64 = if offset == 0 && extent >= ncount {
                entire = true;
                ncount
            } else if offset >= 0 && extent + offset as u64 >= ncount {
                ncount - offset as u64
            } else if offset < 0 {
                (offset.unsigned_abs()).min(extent)
            } else {
                extent
            };
            if entire || self.nodes[i].is_plain() {
                self.del_node(i);
            } else {
                self.decompress_node_for_use(i);
                let node = &mut self.nodes[i];
                let from = if offset < 0 {
                    (ncount as i64 + offset) as usize
                } else {
                    offset as usize
                };
                node.lp_mut().delete_range(from, del as usize);
                node.update_sz();
                node.count -= del as u32;
                self.count -= del as usize;
                if self.nodes[i].count == 0 {
                    self.del_node(i);
                } else {
                    self.recompress_only(i);
                    i += 1;
                }
            }
            extent -= del;
            offset = 0;
        }
        true
    }

    /// Deletes up to `limit` elements equal to `value` (0 = all), walking
    /// from the head, or from the tail when `from_tail` (LREM). Returns the
    /// number deleted.
    pub fn remove_matching(&mut self, value: &[u8], limit: usize, from_tail: bool) -> usize {
        let mut removed = 0usize;
        if self.nodes.is_empty() {
            return 0;
        }
        let mut i: isize = if from_tail {
            self.nodes.len() as isize - 1
        } else {
            0
        };
        while i >= 0 && (i as usize) < self.nodes.len() {
            let ui = i as usize;
            // Skip nodes without a match without touching them.
            let has_match = match self.nodes[ui].view() {
                NodeView::Plain(v) => &v[..] == value,
                NodeView::Packed(lp) => lp.iter().any(|e| e.eq_bytes(value)),
            };
            if !has_match {
                i += if from_tail { -1 } else { 1 };
                continue;
            }
            self.decompress_node_for_use(ui);
            let mut node_gone = false;
            if self.nodes[ui].is_plain() {
                self.del_node(ui);
                removed += 1;
                node_gone = true;
            } else {
                let lp = self.nodes[ui].lp_mut();
                let mut p = if from_tail { lp.last() } else { lp.first() };
                let mut deleted_here = 0u32;
                while let Some(pos) = p {
                    if lp.get(pos).eq_bytes(value) {
                        let next = lp.delete(pos);
                        deleted_here += 1;
                        removed += 1;
                        if limit != 0 && removed == limit {
                            break;
                        }
                        p = if from_tail {
                            match next {
                                Some(n) => lp.prev(n),
                                None => lp.last(),
                            }
                        } else {
                            next
                        };
                    } else {
                        p = if from_tail {
                            lp.prev(pos)
                        } else {
                            lp.next(pos)
                        };
                    }
                }
                let node = &mut self.nodes[ui];
                node.count -= deleted_here;
                self.count -= deleted_here as usize;
                if node.count == 0 {
                    // del_node subtracts the node's (now zero) count.
                    self.del_node(ui);
                    node_gone = true;
                } else {
                    node.update_sz();
                }
            }
            if !node_gone {
                self.compress_at(ui);
            }
            if limit != 0 && removed == limit {
                break;
            }
            if from_tail {
                i -= 1;
            } else if !node_gone {
                i += 1;
            }
        }
        removed
    }
}

/// Iterator over a [`Quicklist`]'s elements, head to tail, as owned bytes.
pub struct QuicklistIter<'a> {
    ql: &'a Quicklist,
    node: usize,
    buf: VecDeque<Vec<u8>>,
}

impl Iterator for QuicklistIter<'_> {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        loop {
            if let Some(v) = self.buf.pop_front() {
                return Some(v);
            }
            let node = self.ql.nodes.get(self.node)?;
            self.node += 1;
            match node.view() {
                NodeView::Plain(v) => return Some(v.into_owned()),
                NodeView::Packed(lp) => self.buf.extend(lp.iter().map(|e| e.to_vec())),
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let rest: usize = self
            .ql
            .nodes
            .iter()
            .skip(self.node)
            .map(|n| n.count as usize)
            .sum::<usize>()
            + self.buf.len();
        (rest, Some(rest))
    }
}

impl ExactSizeIterator for QuicklistIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// The packed threshold is process-wide: tests that depend on it run
    /// one at a time.
    static LOCK: Mutex<()> = Mutex::new(());

    fn lock() -> std::sync::MutexGuard<'static, ()> {
        LOCK.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Checks the structure's invariants.
    fn check(ql: &Quicklist) {
        let mut total = 0;
        for (i, n) in ql.nodes.iter().enumerate() {
            assert!(n.count > 0, "empty node {i}");
            match n.view() {
                NodeView::Packed(lp) => {
                    assert_eq!(lp.len(), n.count as usize, "node {i} count");
                    assert_eq!(lp.bytes(), n.sz, "node {i} size");
                    assert!(Listpack::validate(lp.as_bytes(), true));
                }
                NodeView::Plain(v) => {
                    assert_eq!(n.count, 1);
                    assert_eq!(v.len(), n.sz);
                }
            }
            total += n.count as usize;
            if n.is_compressed() {
                let d = ql.compress as usize;
                assert!(
                    d > 0 && i >= d && i + d < ql.nodes.len(),
                    "node {i} compressed"
                );
            }
        }
        assert_eq!(total, ql.count);
        if let Some(h) = ql.nodes.front() {
            assert!(!h.is_compressed());
        }
        if let Some(t) = ql.nodes.back() {
            assert!(!t.is_compressed());
        }
    }

    fn elems(ql: &Quicklist) -> Vec<Vec<u8>> {
        ql.iter().collect()
    }

    fn val(i: usize) -> Vec<u8> {
        match i % 3 {
            0 => i.to_string().into_bytes(),
            1 => format!("value-{i}-{}", "x".repeat(i % 50)).into_bytes(),
            _ => format!("v{i}").into_bytes(),
        }
    }

    #[test]
    fn threshold_setting() {
        let _g = lock();
        assert!(set_packed_threshold(100));
        assert_eq!(packed_threshold(), 100);
        assert!(!set_packed_threshold((1u64 << 32) - (1 << 20) + 1));
        assert_eq!(packed_threshold(), 100);
        assert!(set_packed_threshold(0));
        assert_eq!(packed_threshold(), 1 << 30);
    }

    #[test]
    fn fill_clamp_and_debug_info() {
        let ql = Quicklist::new(-10, -3);
        assert_eq!((ql.fill(), ql.compress_depth()), (-5, 0));
        let ql = Quicklist::new(100_000, 100_000);
        assert_eq!((ql.fill(), ql.compress_depth()), (32767, 65535));
        let mut ql = Quicklist::new(-2, 0);
        for i in 0..5 {
            ql.push_tail(&val(i));
        }
        let d = ql.debug_info();
        assert_eq!(d.nodes, 1);
        assert_eq!(d.uncompressed_size, ql.nodes[0].sz);
        assert_eq!(
            d.to_string(),
            format!(
                " ql_nodes:1 ql_avg_node:5.00 ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:{}",
                ql.nodes[0].sz
            )
        );
    }

    #[test]
    fn positive_fill_counts_nodes() {
        let _g = lock();
        let mut ql = Quicklist::new(3, 0);
        for i in 0..10 {
            ql.push_tail(&val(i));
        }
        assert_eq!(ql.node_count(), 4);
        check(&ql);
        let mut ql = Quicklist::new(1, 0);
        for i in 0..10 {
            ql.push_head(&val(i));
        }
        assert_eq!(ql.node_count(), 10);
        assert_eq!(elems(&ql), (0..10).rev().map(val).collect::<Vec<_>>());
        check(&ql);
    }

    #[test]
    fn negative_fills_byte_limits() {
        let _g = lock();
        for (fill, limit) in [
            (-1, 4096),
            (-2, 8192),
            (-3, 16384),
            (-4, 32768),
            (-5, 65536),
        ] {
            let mut ql = Quicklist::new(fill, 0);
            let v = vec![b'a'; 100];
            for _ in 0..2000 {
                ql.push_tail(&v);
            }
            check(&ql);
            for n in &ql.nodes {
                assert!(n.sz <= limit, "fill {fill}: node of {} bytes", n.sz);
            }
            // A node takes elements while its size + 100 + 8 fits the limit.
            let sz = ql.nodes[0].sz;
            assert!(
                sz <= limit && sz + 108 > limit,
                "fill {fill}: head node {sz}"
            );
        }
        // Positive fills are also capped at 8 KiB.
        let mut ql = Quicklist::new(1000, 0);
        for _ in 0..200 {
            ql.push_tail(&[b'b'; 100]);
        }
        assert!(ql.nodes.iter().all(|n| n.sz <= SIZE_SAFETY_LIMIT));
        assert!(ql.node_count() > 1);
    }

    #[test]
    fn push_pop_across_nodes() {
        let _g = lock();
        let mut ql = Quicklist::new(4, 0);
        for i in 0..20 {
            ql.push_tail(&val(i));
        }
        for i in 0..20 {
            assert_eq!(ql.pop_head(), Some(val(i)));
            check(&ql);
        }
        assert_eq!(ql.pop_head(), None);
        assert_eq!(ql.node_count(), 0);
        for i in 0..20 {
            ql.push_head(&val(i));
        }
        for i in 0..20 {
            assert_eq!(ql.pop_head(), Some(val(19 - i)));
        }
        for i in 0..20 {
            ql.push_tail(&val(i));
        }
        for i in (0..20).rev() {
            assert_eq!(ql.pop_tail(), Some(val(i)));
        }
        assert!(ql.is_empty());
    }

    #[test]
    fn index_and_visit() {
        let _g = lock();
        let mut ql = Quicklist::new(3, 0);
        for i in 0..17 {
            ql.push_tail(&val(i));
        }
        for i in 0..17i64 {
            assert_eq!(ql.index(i), Some(val(i as usize)));
            assert_eq!(ql.index(i - 17), Some(val(i as usize)));
        }
        assert_eq!(ql.index(17), None);
        assert_eq!(ql.index(-18), None);
        assert_eq!(ql.index(i64::MIN), None);
        assert_eq!(ql.index(i64::MAX), None);
        let mut got = vec![];
        ql.visit_from(5, true, |v| {
            got.push(v.to_vec());
            true
        });
        assert_eq!(got, (5..17).map(val).collect::<Vec<_>>());
        let mut got = vec![];
        ql.visit_from(-3, false, |v| {
            got.push(v.to_vec());
            got.len() < 6
        });
        assert_eq!(got, (9..15).rev().map(val).collect::<Vec<_>>());
    }

    #[test]
    fn insert_splits_and_merges() {
        let _g = lock();
        let mut ql = Quicklist::new(4, 0);
        for i in 0..8 {
            ql.push_tail(&val(i));
        }
        assert_eq!(ql.node_count(), 2);
        // Middle of a full node: split.
        assert!(ql.insert_at_pivot(&val(1), b"new", true));
        check(&ql);
        let mut model: Vec<Vec<u8>> = (0..8).map(val).collect();
        model.insert(2, b"new".to_vec());
        assert_eq!(elems(&ql), model);
        // Before the head of a node with room in the previous one.
        assert!(ql.insert_at_pivot(&val(4), b"b4", false));
        let p = model.iter().position(|x| *x == val(4)).unwrap();
        model.insert(p, b"b4".to_vec());
        assert_eq!(elems(&ql), model);
        check(&ql);
        assert!(!ql.insert_at_pivot(b"nope", b"x", true));
        // Many inserts in the middle keep everything ordered and nodes full.
        for k in 0..100 {
            let pivot = model[model.len() / 2].clone();
            let v = format!("m{k}").into_bytes();
            let after = k % 2 == 0;
            assert!(ql.insert_at_pivot(&pivot, &v, after));
            let p = model.iter().position(|x| *x == pivot).unwrap();
            model.insert(if after { p + 1 } else { p }, v);
            check(&ql);
        }
        assert_eq!(elems(&ql), model);
        assert!(ql.node_count() <= model.len().div_ceil(2));
    }

    #[test]
    fn del_range_cases() {
        let _g = lock();
        for (start, count) in [
            (0, 5),
            (3, 10),
            (-5, 3),
            (-5, 100),
            (7, 1),
            (0, 100),
            (19, 5),
            (-20, 20),
            (2, 0),
        ] {
            let mut ql = Quicklist::new(4, 0);
            let mut model: Vec<Vec<u8>> = (0..20).map(val).collect();
            for v in &model {
                ql.push_tail(v);
            }
            ql.del_range(start, count);
            let len = model.len() as i64;
            let s = if start < 0 { len + start } else { start } as usize;
            let e = (s + count.max(0) as usize).min(model.len());
            model.drain(s..e);
            assert_eq!(elems(&ql), model, "del_range({start}, {count})");
            check(&ql);
        }
    }

    #[test]
    fn remove_matching_both_ways() {
        let _g = lock();
        let mut ql = Quicklist::new(3, 0);
        let vals: Vec<&[u8]> = vec![b"a", b"b", b"a", b"1", b"a", b"a", b"c", b"a", b"1"];
        for v in &vals {
            ql.push_tail(v);
        }
        assert_eq!(ql.remove_matching(b"a", 2, true), 2);
        assert_eq!(
            elems(&ql),
            vec![
                b"a".to_vec(),
                b"b".to_vec(),
                b"a".to_vec(),
                b"1".to_vec(),
                b"a".to_vec(),
                b"c".to_vec(),
                b"1".to_vec()
            ]
        );
        check(&ql);
        assert_eq!(ql.remove_matching(b"1", 0, false), 2);
        assert_eq!(ql.remove_matching(b"a", 1, false), 1);
        assert_eq!(
            elems(&ql),
            vec![b"b".to_vec(), b"a".to_vec(), b"a".to_vec(), b"c".to_vec()]
        );
        assert_eq!(ql.remove_matching(b"a", 0, false), 2);
        assert_eq!(ql.remove_matching(b"b", 0, true), 1);
        assert_eq!(ql.remove_matching(b"c", 0, true), 1);
        assert!(ql.is_empty());
        assert_eq!(ql.node_count(), 0);
    }

    #[test]
    fn replace_small_and_large() {
        let _g = lock();
        let mut ql = Quicklist::new(4, 0);
        for i in 0..10 {
            ql.push_tail(&val(i));
        }
        assert!(ql.replace_at_index(5, b"five"));
        assert!(ql.replace_at_index(-1, b"12345"));
        assert!(!ql.replace_at_index(10, b"x"));
        assert_eq!(ql.index(5), Some(b"five".to_vec()));
        assert_eq!(ql.index(9), Some(b"12345".to_vec()));
        check(&ql);
        set_packed_threshold(10);
        let big = vec![b'z'; 20];
        // Large into the middle of a packed node: split around a plain node.
        assert!(ql.replace_at_index(5, &big));
        check(&ql);
        assert_eq!(ql.index(5), Some(big.clone()));
        assert_eq!(ql.len(), 10);
        // Small back into the plain node.
        assert!(ql.replace_at_index(5, b"back"));
        check(&ql);
        assert_eq!(ql.index(5), Some(b"back".to_vec()));
        // Large over large.
        assert!(ql.replace_at_index(0, &big));
        assert!(ql.replace_at_index(0, &[b'y'; 30]));
        assert_eq!(ql.index(0), Some(vec![b'y'; 30]));
        check(&ql);
        set_packed_threshold(0);
    }

    #[test]
    fn plain_nodes() {
        let _g = lock();
        set_packed_threshold(8);
        let mut ql = Quicklist::new(-2, 0);
        ql.push_tail(b"small");
        ql.push_tail(b"this is big");
        ql.push_head(b"another big one");
        ql.push_tail(b"tiny");
        check(&ql);
        assert_eq!(ql.node_count(), 4);
        let mut kinds = vec![];
        ql.for_each_node(|n| {
            kinds.push(match n {
                QlNodeRef::Packed(_) => 'p',
                QlNodeRef::Plain(_) => 'P',
            })
        });
        assert_eq!(kinds, vec!['P', 'p', 'P', 'p']);
        assert!(ql.insert_at_pivot(b"small", b"big insert here", true));
        assert!(ql.insert_at_pivot(b"this is big", b"x", false));
        check(&ql);
        assert_eq!(
            elems(&ql),
            vec![
                b"another big one".to_vec(),
                b"small".to_vec(),
                b"big insert here".to_vec(),
                b"x".to_vec(),
                b"this is big".to_vec(),
                b"tiny".to_vec()
            ]
        );
        assert_eq!(ql.pop_head(), Some(b"another big one".to_vec()));
        assert_eq!(ql.remove_matching(b"this is big", 0, false), 1);
        assert!(ql.del_range(1, 1));
        assert_eq!(
            elems(&ql),
            vec![b"small".to_vec(), b"x".to_vec(), b"tiny".to_vec()]
        );
        check(&ql);
        set_packed_threshold(0);
    }

    #[test]
    fn compression_round_trip() {
        let _g = lock();
        for depth in [1, 2, 3] {
            let mut ql = Quicklist::new(4, depth);
            let mut model = vec![];
            for i in 0..200 {
                let v = format!("compressible-compressible-compressible-{i}").into_bytes();
                ql.push_tail(&v);
                model.push(v);
            }
            check(&ql);
            assert_eq!(
                ql.compressed_node_count(),
                ql.node_count() - 2 * depth as usize
            );
            assert_eq!(elems(&ql), model);
            for i in (0..200).step_by(7) {
                assert_eq!(ql.index(i as i64), Some(model[i].clone()));
            }
            // Writes in the middle of compressed nodes.
            assert!(ql.replace_at_index(100, b"replaced"));
            model[100] = b"replaced".to_vec();
            assert!(ql.insert_at_pivot(&model[77].clone(), b"ins", true));
            model.insert(78, b"ins".to_vec());
            assert_eq!(ql.remove_matching(&model[150].clone(), 0, false), 1);
            model.remove(150);
            ql.del_range(40, 30);
            model.drain(40..70);
            check(&ql);
            assert_eq!(elems(&ql), model);
            // The RDB view is uncompressed and complete.
            let mut n = 0;
            ql.for_each_node(|node| {
                if let QlNodeRef::Packed(b) = node {
                    let lp = Listpack::from_bytes(b.to_vec());
                    n += lp.len();
                }
            });
            assert_eq!(n, model.len());
            while ql.pop_head().is_some() {
                check(&ql);
            }
        }
        // Small nodes are not compressed.
        let mut ql = Quicklist::new(1, 1);
        for i in 0..10 {
            ql.push_tail(&val(i));
        }
        assert_eq!(ql.compressed_node_count(), 0);
    }

    #[test]
    fn rdb_style_building() {
        let _g = lock();
        let mut ql = Quicklist::new(-2, 1);
        let mut lp = Listpack::new();
        for i in 0..50 {
            lp.append(format!("element-element-element-{i}").as_bytes());
        }
        ql.append_listpack_node(lp.clone());
        ql.append_listpack_node(Listpack::new());
        ql.append_plain_node(b"plain".to_vec());
        ql.append_listpack_node(lp.clone());
        ql.append_listpack_node(lp);
        check(&ql);
        assert_eq!(ql.len(), 151);
        assert_eq!(ql.node_count(), 4);
        assert_eq!(ql.compressed_node_count(), 1);
        assert_eq!(ql.index(50), Some(b"plain".to_vec()));
    }

    /// xorshift64*.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }
    }

    fn random_value(r: &mut Rng) -> Vec<u8> {
        match r.below(6) {
            0 => (r.below(2000) as i64 - 1000).to_string().into_bytes(),
            1 => r.next().to_string().into_bytes(),
            2 => vec![b'a' + r.below(3) as u8; r.below(4) as usize],
            3 => vec![b'q'; 20 + r.below(300) as usize],
            4 => format!("item:{}", r.below(30)).into_bytes(),
            _ => (0..r.below(40)).map(|_| r.below(256) as u8).collect(),
        }
    }

    #[test]
    fn randomized_against_model() {
        let _g = lock();
        let configs = [
            (-2, 0, 0u64),
            (-1, 1, 0),
            (3, 0, 0),
            (5, 2, 0),
            (1, 1, 0),
            (-5, 0, 0),
            (4, 1, 100),
            (-1, 2, 50),
        ];
        for (seed, &(fill, depth, thr)) in configs.iter().enumerate() {
            set_packed_threshold(thr);
            let mut r = Rng(0x9E37_79B9_7F4A_7C15 ^ (seed as u64 + 1));
            let mut ql = Quicklist::new(fill, depth);
            let mut m: VecDeque<Vec<u8>> = VecDeque::new();
            for step in 0..3000 {
                let len = m.len() as i64;
                match r.below(12) {
                    0 | 1 => {
                        let v = random_value(&mut r);
                        ql.push_head(&v);
                        m.push_front(v);
                    }
                    2 | 3 => {
                        let v = random_value(&mut r);
                        ql.push_tail(&v);
                        m.push_back(v);
                    }
                    4 => assert_eq!(ql.pop_head(), m.pop_front()),
                    5 => assert_eq!(ql.pop_tail(), m.pop_back()),
                    6 => {
                        let i = r.below(len as u64 * 2 + 2) as i64 - len - 1;
                        let expect = if i >= 0 {
                            m.get(i as usize)
                        } else {
                            (len + i >= 0).then(|| &m[(len + i) as usize])
                        };
                        assert_eq!(ql.index(i).as_ref(), expect);
                    }
                    7 => {
                        let i =
                            r.below(len as u64 + 1) as i64 - if r.below(2) == 0 { len } else { 0 };
                        let v = random_value(&mut r);
                        let ok = ql.replace_at_index(i, &v);
                        let idx = if i < 0 { len + i } else { i };
                        assert_eq!(ok, idx >= 0 && idx < len);
                        if ok {
                            m[idx as usize] = v;
                        }
                    }
                    8 => {
                        let pivot = if len > 0 && r.below(4) != 0 {
                            m[r.below(len as u64) as usize].clone()
                        } else {
                            random_value(&mut r)
                        };
                        let v = random_value(&mut r);
                        let after = r.below(2) == 0;
                        let ok = ql.insert_at_pivot(&pivot, &v, after);
                        match m.iter().position(|x| *x == pivot) {
                            Some(p) => {
                                assert!(ok);
                                m.insert(if after { p + 1 } else { p }, v);
                            }
                            None => assert!(!ok),
                        }
                    }
                    9 => {
                        let start = r.below(len as u64 * 2 + 2) as i64 - len - 1;
                        let count = r.below(10) as i64;
                        ql.del_range(start, count);
                        let s = if start < 0 { len + start } else { start };
                        if s >= 0 && s < len && count > 0 {
                            let e = (s + count).min(len);
                            m.drain(s as usize..e as usize);
                        }
                    }
                    10 => {
                        let v = if len > 0 && r.below(3) != 0 {
                            m[r.below(len as u64) as usize].clone()
                        } else {
                            random_value(&mut r)
                        };
                        let limit = r.below(3) as usize;
                        let from_tail = r.below(2) == 0;
                        let got = ql.remove_matching(&v, limit, from_tail);
                        let mut removed = 0;
                        if from_tail {
                            let mut i = m.len();
                            while i > 0 && (limit == 0 || removed < limit) {
                                i -= 1;
                                if m[i] == v {
                                    m.remove(i);
                                    removed += 1;
                                }
                            }
                        } else {
                            let mut i = 0;
                            while i < m.len() && (limit == 0 || removed < limit) {
                                if m[i] == v {
                                    m.remove(i);
                                    removed += 1;
                                } else {
                                    i += 1;
                                }
                            }
                        }
                        assert_eq!(got, removed);
                    }
                    _ => {
                        for _ in 0..r.below(50) {
                            let v = random_value(&mut r);
                            ql.push_tail(&v);
                            m.push_back(v);
                        }
                    }
                }
                check(&ql);
                assert_eq!(ql.len(), m.len(), "config {seed} step {step}");
                if step % 50 == 0 {
                    assert_eq!(
                        elems(&ql),
                        m.iter().cloned().collect::<Vec<_>>(),
                        "config {seed} step {step}"
                    );
                }
            }
            assert_eq!(elems(&ql), m.iter().cloned().collect::<Vec<_>>());
        }
        set_packed_threshold(0);
    }
}
