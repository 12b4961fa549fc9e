//! The keyspace hash table: a chained hash table with incremental rehashing,
//! modelled on Redis's `dict.c` (Redis 7.0) and written from scratch.
//!
//! # HOW IT WORKS
//!
//! **Tables.** A [`Dict`] owns two tables, `ht[0]` and `ht[1]`. Each table is
//! an array of buckets whose length is a power of two (or zero before the
//! first insert), so a hash is turned into a bucket index with a mask
//! instead of a division. A bucket is a singly linked chain of heap entries;
//! one entry holds the key ([`DictKey`]: up to 22 bytes inline in the entry,
//! longer keys in a `Box<[u8]>`), the value and the link to the next entry of
//! the same bucket. New entries go to the head of their chain,
//! so an insert never walks a chain except to check that the key is new.
//!
//! Normally only `ht[0]` is in use. When it has to change size, a table of the
//! new size is put in `ht[1]` and the dict is *rehashing*: the cursor
//! `rehash_idx` says which buckets of `ht[0]` have already been moved.
//!
//! **Incremental rehash.** Resizing a table of ten million keys in one go
//! would stop the server for seconds, so the work is spread out instead:
//!
//! - every mutating operation ([`Dict::insert`], [`Dict::remove`],
//!   [`Dict::get_mut`], and the sampling calls) first moves *one* bucket of
//!   `ht[0]` into `ht[1]`, skipping at most ten empty buckets while looking
//!   for it;
//! - the server cron calls [`Dict::rehash_milliseconds`] with a budget of
//!   about a millisecond, which moves buckets a hundred at a time until the
//!   budget is spent.
//!
//! While rehashing, a lookup checks `ht[0]` then `ht[1]`; new keys go
//! straight into `ht[1]`, so `ht[0]` only ever shrinks and the rehash always
//! finishes. When `ht[0]` is empty, `ht[1]` becomes `ht[0]` and the old bucket
//! array is freed. Read-only lookups ([`Dict::get`]) take `&self` and so do
//! not help the rehash along; Redis's `dictFind` does, which is the one
//! difference in pacing.
//!
//! **When to resize.** A table grows (to the next power of two above the
//! element count, i.e. it doubles) when it holds as many elements as buckets
//! (load factor 1). While a forked child is writing a snapshot, the server
//! forbids resizing ([`Dict::set_resize_allowed`] per dict, or
//! [`set_resize_enabled`] for the whole data thread), because moving every
//! entry would copy every page the child still shares; growth then waits
//! until the load factor exceeds 5. Shrinking is never automatic on delete:
//! the cron (and the collection types after a delete) call
//! [`Dict::shrink_to_fit_if_needed`], which shrinks to the smallest power of
//! two that holds the elements once fewer than 10% of the buckets are used.
//! Shrinking uses the same incremental rehash, from a big `ht[0]` into a small
//! `ht[1]`.
//!
//! **Why a reverse-binary cursor for SCAN.** SCAN must return every key that
//! exists for the whole scan at least once, with a cursor that is a single
//! integer, while the table may grow or shrink between calls. A plain
//! bucket counter fails: after a table doubles, bucket `i` of the old table is
//! split into buckets `i` and `i + size` of the new one, and a counter that
//! has passed `i` would miss `i + size`, or after a shrink revisit or skip
//! whole ranges.
//!
//! The trick is to count with the bits reversed: the cursor is incremented
//! at its *most* significant bit of the mask, carrying towards the least
//! significant. Buckets are then visited in an order in which the low bits of
//! the index (the ones every table size shares) change slowest. For a table
//! of size `2^n`, all buckets already visited are exactly those whose low `n`
//! bits, read backwards, are below the cursor read backwards. Because the
//! bucket of a key in a table of size `2^m` is its hash's low `m` bits, that
//! "already visited" set is described by the same cursor for *every* table
//! size: when the table grows, the not-yet-visited buckets are exactly the
//! expansions of the not-yet-visited old buckets; when it shrinks, a small
//! bucket may merge visited and unvisited big buckets, so some keys can be
//! returned twice, but none is lost. While rehashing, one call visits the
//! cursor's bucket in the smaller table and then every bucket of the larger
//! table that maps onto it (the index with each combination of the extra
//! high bits), so keys in flight between the tables are covered too.
//!
//! **Sampling.** [`Dict::sample_entries`] (Redis's `dictGetSomeKeys`) picks a
//! random bucket and walks consecutive buckets (in both tables while
//! rehashing), collecting chains until it has `count` entries or has taken
//! `10 * count` steps; after a run of empty buckets it jumps to a new random
//! place. It is cheap and good enough for eviction and expiry sampling but
//! not uniform, and may return fewer than `count` entries or duplicates.
//! [`Dict::random_entry`] (Redis's `dictGetFairRandomKey`) samples up to 15
//! entries that way and picks one of them at random, which smooths out the
//! bias towards long chains; if the sample comes back empty (a very sparse
//! table) it falls back to picking random buckets until one is non-empty and
//! then a random element of that chain. The random numbers come from a small
//! SplitMix64 generator shared by the process and seeded from the hash seed,
//! so no extra dependency is needed.
//!
//! **Hashing.** Keys are hashed with SipHash-1-3 keyed by a per-process
//! random 16-byte seed ([`set_hash_seed`], or drawn from the OS on first use),
//! so that clients cannot choose keys that all land in one bucket.
//!
//! **Memory.** An entry is one allocation of `24 (key) + size_of::<V>() +
//! 8 (next)` bytes; only keys longer than 22 bytes have an allocation of
//! their own. For the keyspace (32-byte values) that is a 64-byte entry,
//! exactly one jemalloc size class, and a probe touches one cache line
//! instead of two (entry, then key). A bucket is 8 bytes. Dropping a dict frees chains with a loop, never by recursion,
//! so a pathological chain of millions of entries cannot overflow the stack.
//!
//! # LIMITATIONS
//!
//! - Keys longer than 22 bytes are a separate allocation from the entry (two
//!   allocations per key). Embedding any length in the entry would need
//!   unsafe code or a dynamically sized entry.
//! - Allocating a new bucket array zero-fills it, touching every page at
//!   once, and freeing the old one scans it: both `O(size)`, once per
//!   resize, and not spread out like the rehash. Measured in release on the
//!   shared dev box: about 25 ms to allocate 4M buckets (32 MB) and 50 ms
//!   for 8M, mostly first-touch page faults; freeing is 5 to 15 ms. Redis
//!   avoids the first cost because `calloc` of a fresh mapping is lazily
//!   zeroed by the kernel; safe Rust has no generic zeroed allocation for
//!   `Option<Box<_>>` without a `Clone` bound or an extra crate
//!   (`bytemuck::zeroed_slice_box` would do it).
//! - There is no `dictExpandAllowed` hook: growth does not consult
//!   `maxmemory`.
//! - Read-only lookups do not advance the rehash (see above).
//! - Random sampling is approximate, like Redis's.
//! - The resize-forbidden switch [`set_resize_enabled`] is per thread; the
//!   server keeps every dict on its one data thread, where it applies.

use std::cell::Cell;
use std::fmt;
use std::hash::Hasher;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use siphasher::sip::SipHasher13;

/// Size of the first table allocated by the first insert (Redis `DICT_HT_INITIAL_SIZE`).
const DICT_HT_INITIAL_SIZE: usize = 4;
/// Growth happens even when resizing is forbidden once `used / size` exceeds this
/// (Redis `dict_force_resize_ratio`).
const DICT_FORCE_RESIZE_RATIO: usize = 5;
/// Shrink when fewer than this percentage of buckets are used (Redis `HASHTABLE_MIN_FILL`).
const HASHTABLE_MIN_FILL: usize = 10;
/// Empty buckets one rehash step may skip, per bucket it is asked to move.
const EMPTY_VISITS_PER_STEP: usize = 10;
/// Sample size of [`Dict::random_entry`] (Redis `GETFAIR_NUM_ENTRIES`).
const GETFAIR_NUM_ENTRIES: usize = 15;
/// Buckets moved per time check in [`Dict::rehash_milliseconds`].
const REHASH_MS_BATCH: usize = 100;
/// `rehash_idx` value meaning "not rehashing".
const NOT_REHASHING: usize = usize::MAX;

// ---------------------------------------------------------------------------
// Hashing and randomness
// ---------------------------------------------------------------------------

struct HashKeys {
    seed: [u8; 16],
    k0: u64,
    k1: u64,
}

impl HashKeys {
    fn from_seed(seed: [u8; 16]) -> HashKeys {
        let mut a = [0u8; 8];
        let mut b = [0u8; 8];
        a.copy_from_slice(&seed[..8]);
        b.copy_from_slice(&seed[8..]);
        HashKeys {
            seed,
            k0: u64::from_le_bytes(a),
            k1: u64::from_le_bytes(b),
        }
    }
}

static HASH_KEYS: OnceLock<HashKeys> = OnceLock::new();

/// Draws a seed from the OS; if that fails (no entropy source at all), mixes
/// the clock, the pid and a stack address, which still differs per process.
fn os_random_seed() -> [u8; 16] {
    let mut seed = [0u8; 16];
    if getrandom::fill(&mut seed).is_ok() {
        return seed;
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let local = 0u8;
    let addr = std::ptr::addr_of!(local) as usize as u64;
    let pid = u64::from(std::process::id());
    let a = splitmix64_mix(nanos ^ addr.rotate_left(17));
    let b = splitmix64_mix(pid ^ a ^ nanos.rotate_left(32));
    seed[..8].copy_from_slice(&a.to_le_bytes());
    seed[8..].copy_from_slice(&b.to_le_bytes());
    seed
}

fn hash_keys() -> &'static HashKeys {
    HASH_KEYS.get_or_init(|| HashKeys::from_seed(os_random_seed()))
}

/// Sets the process-wide 16-byte SipHash key (Redis `dictSetHashFunctionSeed`).
///
/// Call it once at startup, before any dict is used. The first seed wins:
/// once a seed is in place (set here, or drawn from the OS by the first
/// hash), later calls change nothing and return `false`, because every
/// existing table was laid out with the old seed.
pub fn set_hash_seed(seed: [u8; 16]) -> bool {
    HASH_KEYS.set(HashKeys::from_seed(seed)).is_ok()
}

/// The 16-byte seed in use (drawing one from the OS if none was set yet).
pub fn hash_seed() -> [u8; 16] {
    hash_keys().seed
}

/// SipHash-1-3 of `b` under the process seed (Redis `dictGenHashFunction`).
#[inline]
pub fn hash_bytes(b: &[u8]) -> u64 {
    let k = hash_keys();
    SipHasher13::new_with_keys(k.k0, k.k1).hash(b)
}

/// Case-insensitive variant of [`hash_bytes`] (Redis `dictGenCaseHashFunction`):
/// ASCII letters are hashed as lowercase, so `hash_bytes_nocase(b"GET") ==
/// hash_bytes(b"get")`. For command-table style lookups.
pub fn hash_bytes_nocase(b: &[u8]) -> u64 {
    let k = hash_keys();
    let mut h = SipHasher13::new_with_keys(k.k0, k.k1);
    let mut buf = [0u8; 64];
    for chunk in b.chunks(buf.len()) {
        let part = &mut buf[..chunk.len()];
        part.copy_from_slice(chunk);
        part.make_ascii_lowercase();
        h.write(part);
    }
    h.finish()
}

fn splitmix64_mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

static RNG_STATE: AtomicU64 = AtomicU64::new(0);

/// Next number of a process-wide SplitMix64 sequence offset by the hash seed.
fn random_u64() -> u64 {
    let k = hash_keys();
    let s = RNG_STATE.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
    splitmix64_mix(s.wrapping_add(k.k0 ^ k.k1.rotate_left(32)))
}

/// A random number in `0..n` (`n > 0`).
fn random_below(n: usize) -> usize {
    ((u128::from(random_u64()) * n as u128) >> 64) as usize
}

thread_local! {
    static RESIZE_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// Allows or forbids resizing for every dict used on this thread (Redis
/// `dictEnableResize` / `dictDisableResize`). The server turns it off while a
/// fork child exists so that pages shared with the child are not all copied;
/// growth beyond a load factor of 5 still happens. Combined with the per-dict
/// [`Dict::set_resize_allowed`]: resizing needs both.
pub fn set_resize_enabled(enabled: bool) {
    RESIZE_ENABLED.with(|c| c.set(enabled));
}

fn resize_enabled() -> bool {
    RESIZE_ENABLED.with(|c| c.get())
}

// ---------------------------------------------------------------------------
// Entries and tables
// ---------------------------------------------------------------------------

/// Keys up to this many bytes live inside the entry itself.
pub const DICT_KEY_INLINE_MAX: usize = crate::util::INLINE_BYTES_MAX;

/// A dict key: short keys are stored inline in the entry (no allocation of
/// their own, and one cache miss less per probe), longer ones on the heap.
/// 24 bytes either way; derefs to the key bytes.
#[derive(Clone)]
pub enum DictKey {
    Inline(crate::util::InlineBytes),
    Heap(Box<[u8]>),
}

impl std::ops::Deref for DictKey {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        match self {
            DictKey::Inline(b) => b.as_slice(),
            DictKey::Heap(b) => b,
        }
    }
}

impl std::fmt::Debug for DictKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self))
    }
}

impl From<&[u8]> for DictKey {
    #[inline]
    fn from(k: &[u8]) -> DictKey {
        match crate::util::InlineBytes::new(k) {
            Some(b) => DictKey::Inline(b),
            None => DictKey::Heap(k.into()),
        }
    }
}

impl From<Box<[u8]>> for DictKey {
    #[inline]
    fn from(k: Box<[u8]>) -> DictKey {
        if k.len() <= DICT_KEY_INLINE_MAX {
            DictKey::from(&k[..])
        } else {
            DictKey::Heap(k)
        }
    }
}

impl From<Vec<u8>> for DictKey {
    fn from(k: Vec<u8>) -> DictKey {
        DictKey::from(k.into_boxed_slice())
    }
}

impl<const N: usize> From<&[u8; N]> for DictKey {
    fn from(k: &[u8; N]) -> DictKey {
        DictKey::from(&k[..])
    }
}

impl DictKey {
    /// Bytes the key owns outside the entry (0 when stored inline).
    #[inline]
    pub fn heap_len(&self) -> usize {
        match self {
            DictKey::Inline(_) => 0,
            DictKey::Heap(b) => b.len(),
        }
    }
}

impl PartialEq for DictKey {
    fn eq(&self, other: &DictKey) -> bool {
        self[..] == other[..]
    }
}

/// Bytes of one entry holding a `V` (DEBUG STRUCTSIZE's `dictentry`).
pub const fn entry_size<V>() -> usize {
    std::mem::size_of::<Entry<V>>()
}

/// One key/value pair and the link to the next entry of its bucket.
struct Entry<V> {
    key: DictKey,
    val: V,
    next: Link<V>,
}

type Link<V> = Option<Box<Entry<V>>>;

/// One bucket array. `used` counts the entries in it.
struct Table<V> {
    buckets: Box<[Link<V>]>,
    used: usize,
}

impl<V> Table<V> {
    fn empty() -> Table<V> {
        Table {
            buckets: Vec::new().into_boxed_slice(),
            used: 0,
        }
    }

    /// A table of `size` empty buckets (`size` a power of two). With
    /// `fallible`, an allocation failure returns `None` instead of aborting.
    fn alloc(size: usize, fallible: bool) -> Option<Table<V>> {
        let mut v: Vec<Link<V>> = Vec::new();
        if fallible {
            v.try_reserve_exact(size).ok()?;
        } else {
            v.reserve_exact(size);
        }
        v.resize_with(size, || None);
        Some(Table {
            buckets: v.into_boxed_slice(),
            used: 0,
        })
    }

    #[inline]
    fn size(&self) -> usize {
        self.buckets.len()
    }

    /// `size - 1`; only meaningful when `size > 0`.
    #[inline]
    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }

    fn find(&self, h: u64, key: &[u8]) -> Option<&Entry<V>> {
        if self.buckets.is_empty() {
            return None;
        }
        let mut cur = self.buckets[h as usize & self.mask()].as_deref();
        while let Some(e) = cur {
            if *e.key == *key {
                return Some(e);
            }
            cur = e.next.as_deref();
        }
        None
    }

    fn find_mut(&mut self, h: u64, key: &[u8]) -> Option<&mut Entry<V>> {
        if self.buckets.is_empty() {
            return None;
        }
        let idx = h as usize & self.mask();
        let mut cur = self.buckets[idx].as_deref_mut();
        while let Some(e) = cur {
            if *e.key == *key {
                return Some(e);
            }
            cur = e.next.as_deref_mut();
        }
        None
    }

    /// Unlinks and returns the entry for `key`.
    fn unlink(&mut self, h: u64, key: &[u8]) -> Option<Box<Entry<V>>> {
        if self.buckets.is_empty() {
            return None;
        }
        let idx = h as usize & self.mask();
        let mut link = &mut self.buckets[idx];
        while link.as_ref().is_some_and(|e| *e.key != *key) {
            link = &mut link.as_mut()?.next;
        }
        let mut e = link.take()?;
        *link = e.next.take();
        self.used -= 1;
        Some(e)
    }

    /// Pushes a new entry at the head of its bucket (the key must be absent).
    fn push(&mut self, h: u64, mut e: Box<Entry<V>>) {
        let idx = h as usize & self.mask();
        e.next = self.buckets[idx].take();
        self.buckets[idx] = Some(e);
        self.used += 1;
    }

    /// Frees every entry, one at a time.
    ///
    /// # Latency
    /// `O(entries + buckets visited)`; stops once `used` entries are freed.
    fn free_chains(&mut self) {
        let mut left = self.used;
        for b in self.buckets.iter_mut() {
            if left == 0 {
                break;
            }
            let mut cur = b.take();
            while let Some(mut e) = cur {
                cur = e.next.take();
                left = left.saturating_sub(1);
                // `e` is dropped here with `next == None`: no recursion.
            }
        }
        self.used = 0;
    }
}

impl<V> Drop for Table<V> {
    fn drop(&mut self) {
        self.free_chains();
    }
}

// ---------------------------------------------------------------------------
// Dict
// ---------------------------------------------------------------------------

/// Asks the CPU to bring the cache line holding `r` closer, without
/// waiting for it (a hint: no architectural effect, never faults).
#[inline(always)]
#[allow(unsafe_code)]
fn prefetch<T>(r: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 is a hint; it reads nothing architecturally and
    // cannot fault, and `r` is a valid reference anyway. SSE is part of
    // the x86_64 baseline, so the target feature is always present.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(r as *const T as *const i8);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = r;
}

/// Chain lengths at or above this are counted together in the stats
/// (Redis `DICT_STATS_VECTLEN`).
pub const DICT_STATS_VECTLEN: usize = 50;

/// The stats text of one bucket table (Redis `_dictGetStatsHt`), as DEBUG
/// HTSTATS prints it: size, elements, used slots, chain lengths and their
/// distribution. `chains` yields each bucket's chain length (0 = empty);
/// `htidx` 0 is the main table, 1 the rehashing target.
pub fn ht_stats_text(
    htidx: usize,
    size: usize,
    used: usize,
    chains: impl Iterator<Item = usize>,
) -> String {
    let name = if htidx == 0 {
        "main hash table"
    } else {
        "rehashing target"
    };
    if used == 0 {
        return format!(
            "Hash table {htidx} stats ({name}):\nNo stats available for empty dictionaries\n"
        );
    }
    let mut clvector = [0usize; DICT_STATS_VECTLEN];
    let (mut slots, mut maxchain, mut totchain) = (0usize, 0usize, 0usize);
    for len in chains {
        clvector[len.min(DICT_STATS_VECTLEN - 1)] += 1;
        if len == 0 {
            continue;
        }
        slots += 1;
        maxchain = maxchain.max(len);
        totchain += len;
    }
    // Redis divides in single precision; the text shows that.
    let counted = totchain as f32 / slots as f32;
    let computed = used as f32 / slots as f32;
    let mut o = format!(
        "Hash table {htidx} stats ({name}):\n table size: {size}\n number of elements: {used}\n different slots: {slots}\n max chain length: {maxchain}\n avg chain length (counted): {:.2}\n avg chain length (computed): {:.2}\n Chain length distribution:\n",
        counted as f64, computed as f64
    );
    for (i, &n) in clvector.iter().enumerate().take(DICT_STATS_VECTLEN - 1) {
        if n == 0 {
            continue;
        }
        let perc = (n as f32 / size as f32) * 100.0;
        o.push_str(&format!("   {i}: {n} ({:.2}%)\n", perc as f64));
    }
    o
}

/// A hash table from byte-string keys to `V`, with incremental rehashing,
/// SCAN cursors and random sampling (see the module docs).
pub struct Dict<V> {
    ht: [Table<V>; 2],
    /// Next bucket of `ht[0]` to move, or `NOT_REHASHING`.
    rehash_idx: usize,
    /// Sum of key lengths, for [`Dict::mem_usage`].
    key_bytes: usize,
    resize_allowed: bool,
    /// Growth asks `evict::dict_expand_allowed` first (Redis
    /// `dictExpandAllowed` of the keyspace dict types); see
    /// [`Dict::set_expand_guard`].
    expand_guard: bool,
}

impl<V> Default for Dict<V> {
    fn default() -> Self {
        Dict::new()
    }
}

impl<V> Dict<V> {
    /// An empty dict. Allocates nothing until the first insert.
    pub fn new() -> Self {
        Dict {
            ht: [Table::empty(), Table::empty()],
            rehash_idx: NOT_REHASHING,
            key_bytes: 0,
            resize_allowed: true,
            expand_guard: false,
        }
    }

    /// Number of entries (Redis `dictSize`).
    #[inline]
    pub fn len(&self) -> usize {
        self.ht[0].used + self.ht[1].used
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True while entries are being moved from `ht[0]` to `ht[1]`.
    #[inline]
    pub fn is_rehashing(&self) -> bool {
        self.rehash_idx != NOT_REHASHING
    }

    /// DEBUG HTSTATS text for this dict (Redis `dictGetStats`): the main
    /// table, and the rehashing target while rehashing.
    pub fn get_stats(&self) -> String {
        let mut o = self.table_stats(0);
        if self.is_rehashing() {
            o.push_str(&self.table_stats(1));
        }
        o
    }

    fn table_stats(&self, t: usize) -> String {
        let tb = &self.ht[t];
        let chains = tb.buckets.iter().map(|b| {
            let mut n = 0;
            let mut e = b.as_deref();
            while let Some(x) = e {
                n += 1;
                e = x.next.as_deref();
            }
            n
        });
        ht_stats_text(t, tb.size(), tb.used, chains)
    }

    /// Total buckets of both tables (Redis `dictSlots`).
    pub fn buckets(&self) -> usize {
        self.ht[0].size() + self.ht[1].size()
    }

    fn can_resize(&self) -> bool {
        self.resize_allowed && resize_enabled()
    }

    /// Allows or forbids resizing for this dict only (see [`set_resize_enabled`]
    /// for the thread-wide switch). Forbidden: no shrinking, and growth only
    /// once the load factor exceeds 5.
    pub fn set_resize_allowed(&mut self, allowed: bool) {
        self.resize_allowed = allowed;
    }

    /// Makes growth of this dict subject to `maxmemory` (the keyspace
    /// dicts): while the load factor is at most 1.618, a bucket array that
    /// would put the server over `maxmemory` is not allocated (Redis
    /// `dictTypeExpandAllowed`), so a rehash does not trigger evictions.
    pub fn set_expand_guard(&mut self, on: bool) {
        self.expand_guard = on;
    }

    fn find(&self, key: &[u8]) -> Option<&Entry<V>> {
        if self.is_empty() {
            return None;
        }
        let h = hash_bytes(key);
        if let Some(e) = self.ht[0].find(h, key) {
            return Some(e);
        }
        if self.is_rehashing() {
            self.ht[1].find(h, key)
        } else {
            None
        }
    }

    /// The value stored under `key`. Does not advance a rehash (`&self`).
    ///
    /// # Latency
    /// One hash plus one chain walk per table (two while rehashing).
    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.find(key).map(|e| &e.val)
    }

    /// The stored key and value for `key`.
    pub fn get_key_value(&self, key: &[u8]) -> Option<(&[u8], &V)> {
        self.find(key).map(|e| (&*e.key, &e.val))
    }

    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.find(key).is_some()
    }

    /// Mutable access to the value under `key`; performs one rehash step.
    ///
    /// # Latency
    /// One rehash step (see [`Dict::rehash`] with `n = 1`) plus a lookup.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let h = hash_bytes(key);
        let rehashing = self.is_rehashing();
        let [t0, t1] = &mut self.ht;
        if let Some(e) = t0.find_mut(h, key) {
            return Some(&mut e.val);
        }
        if rehashing {
            t1.find_mut(h, key).map(|e| &mut e.val)
        } else {
            None
        }
    }

    /// Inserts or replaces; returns the old value when the key existed (the
    /// stored key is kept). Performs one rehash step, and may start a resize
    /// (but never performs one in full).
    ///
    /// # Latency
    /// One rehash step, a lookup, and when a resize starts the allocation of
    /// the new bucket array (zero-filled, `8 * new_size` bytes; see
    /// LIMITATIONS in the module docs for what that costs on big tables).
    pub fn insert(&mut self, key: impl Into<DictKey>, val: V) -> Option<V> {
        let key: DictKey = key.into();
        self.rehash_step();
        let h = hash_bytes(&key);
        let rehashing = self.is_rehashing();
        {
            let [t0, t1] = &mut self.ht;
            if let Some(e) = t0.find_mut(h, &key) {
                return Some(std::mem::replace(&mut e.val, val));
            }
            if rehashing && let Some(e) = t1.find_mut(h, &key) {
                return Some(std::mem::replace(&mut e.val, val));
            }
        }
        self.push_new(h, key, val);
        None
    }

    /// Adds `key` only if it is absent (Redis `dictAdd`): one lookup, and
    /// the pair comes back as `Err` when the key exists (the stored entry
    /// is left alone). The RDB loader uses it to refuse duplicated keys.
    ///
    /// # Latency
    /// As [`Dict::insert`].
    pub fn add(&mut self, key: impl Into<DictKey>, val: V) -> Result<(), (DictKey, V)> {
        let key: DictKey = key.into();
        let h = hash_bytes(&key);
        self.add_hashed(h, key, val)
    }

    /// Touches the bucket `key` falls in, so that a later insert of it
    /// finds the bucket in cache, and returns the key's hash for
    /// [`Dict::add_hashed`]. The RDB loader calls it between reading a key
    /// and reading its value: the value's parsing hides the memory latency
    /// of the random bucket access that otherwise dominates loading.
    pub fn prefetch_key(&self, key: &[u8]) -> u64 {
        let h = hash_bytes(key);
        let t = &self.ht[0];
        if !t.buckets.is_empty() {
            prefetch(&t.buckets[h as usize & t.mask()]);
        }
        h
    }

    /// [`Dict::add`] with the hash already computed: `h` must be what
    /// [`Dict::prefetch_key`] returned for this same key.
    pub fn add_hashed(&mut self, h: u64, key: DictKey, val: V) -> Result<(), (DictKey, V)> {
        self.rehash_step();
        if self.ht[0].find(h, &key).is_some()
            || (self.is_rehashing() && self.ht[1].find(h, &key).is_some())
        {
            return Err((key, val));
        }
        self.push_new(h, key, val);
        Ok(())
    }

    /// Links a new entry for a key known to be absent into the table that
    /// takes new keys, growing first if needed.
    fn push_new(&mut self, h: u64, key: DictKey, val: V) {
        self.expand_if_needed();
        self.key_bytes += key.heap_len();
        let entry = Box::new(Entry {
            key,
            val,
            next: None,
        });
        let t = if self.is_rehashing() {
            &mut self.ht[1]
        } else {
            &mut self.ht[0]
        };
        t.push(h, entry);
    }

    /// Removes `key`; returns the stored key and the value. Performs one
    /// rehash step. Never shrinks the table (see
    /// [`Dict::shrink_to_fit_if_needed`]).
    ///
    /// # Latency
    /// One rehash step plus a lookup.
    pub fn remove(&mut self, key: &[u8]) -> Option<(DictKey, V)> {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let h = hash_bytes(key);
        let mut found = self.ht[0].unlink(h, key);
        if found.is_none() && self.is_rehashing() {
            found = self.ht[1].unlink(h, key);
        }
        let e = found?;
        let Entry { key, val, .. } = *e;
        self.key_bytes -= key.heap_len();
        Some((key, val))
    }

    /// Removes everything and frees both tables; keeps the resize setting.
    ///
    /// # Latency
    /// `O(len + buckets)`. For a big dict on the data thread, prefer
    /// [`Dict::take`] and dropping the result on a background thread.
    pub fn clear(&mut self) {
        self.ht = [Table::empty(), Table::empty()];
        self.rehash_idx = NOT_REHASHING;
        self.key_bytes = 0;
    }

    /// Moves everything out, leaving an empty dict (with the same resize
    /// setting) behind. `O(1)`; dropping the returned dict is the `O(n)` part,
    /// which FLUSHALL ASYNC / UNLINK can do on a background thread.
    pub fn take(&mut self) -> Dict<V> {
        let mut empty = Dict::new();
        empty.resize_allowed = self.resize_allowed;
        empty.expand_guard = self.expand_guard;
        std::mem::replace(self, empty)
    }

    #[inline]
    fn rehash_step(&mut self) {
        if self.is_rehashing() {
            self.rehash(1);
        }
    }

    /// Moves `n` buckets of `ht[0]` to `ht[1]` (Redis `dictRehash`), skipping
    /// empty buckets on the way. Returns `true` while more rehashing remains,
    /// `false` when done (or when not rehashing).
    ///
    /// # Latency
    /// Visits at most `n` non-empty buckets (moving their chains, one hash
    /// per entry) and at most `10 * n` empty ones; when the last entry moves,
    /// the old bucket array is freed.
    pub fn rehash(&mut self, n: usize) -> bool {
        if !self.is_rehashing() {
            return false;
        }
        let mut n = n;
        let mut empty_visits = n.saturating_mul(EMPTY_VISITS_PER_STEP);
        let [t0, t1] = &mut self.ht;
        while n > 0 && t0.used != 0 {
            n -= 1;
            // t0.used > 0 guarantees a non-empty bucket at or after rehash_idx.
            while t0.buckets[self.rehash_idx].is_none() {
                self.rehash_idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    return true;
                }
            }
            let mut cur = t0.buckets[self.rehash_idx].take();
            while let Some(mut e) = cur {
                cur = e.next.take();
                let h = hash_bytes(&e.key);
                t0.used -= 1;
                t1.push(h, e);
            }
            self.rehash_idx += 1;
        }
        if t0.used == 0 {
            let new = std::mem::replace(t1, Table::empty());
            *t0 = new;
            self.rehash_idx = NOT_REHASHING;
            return false;
        }
        true
    }

    /// Rehashes in batches of 100 buckets until done or until more than `ms`
    /// milliseconds have passed (Redis `dictRehashMilliseconds`). Returns the
    /// number of buckets asked for, i.e. 100 per completed batch that left
    /// more work, like Redis.
    ///
    /// # Latency
    /// About `ms` milliseconds plus one batch (100 buckets, 1000 empty-bucket
    /// skips).
    pub fn rehash_milliseconds(&mut self, ms: u64) -> usize {
        let start = Instant::now();
        let budget = Duration::from_millis(ms);
        let mut rehashes = 0;
        while self.rehash(REHASH_MS_BATCH) {
            rehashes += REHASH_MS_BATCH;
            if start.elapsed() > budget {
                break;
            }
        }
        rehashes
    }

    /// Starts a resize to the smallest power of two `>= max(size, 4)`
    /// (Redis `_dictExpand`). Refused while rehashing, when `size < len()`,
    /// when that is already the size, or when the allocation fails/overflows
    /// (only if `fallible`). An empty `ht[0]` is replaced on the spot.
    fn resize_to(&mut self, size: usize, fallible: bool) -> bool {
        if self.is_rehashing() || self.ht[0].used > size {
            return false;
        }
        let Some(real) = size.max(DICT_HT_INITIAL_SIZE).checked_next_power_of_two() else {
            return false;
        };
        if real == self.ht[0].size() {
            return false;
        }
        let Some(t) = Table::alloc(real, fallible) else {
            return false;
        };
        if self.ht[0].used == 0 {
            self.ht[0] = t;
        } else {
            self.ht[1] = t;
            self.rehash_idx = 0;
        }
        true
    }

    /// Pre-sizes the table for `size` entries (for RDB load and bulk
    /// builds). Returns `false` and changes nothing while rehashing, when
    /// `size < len()`, when the table already has that size, or when the
    /// bucket array cannot be allocated. On a non-empty dict the move to the
    /// new table is incremental.
    ///
    /// # Latency
    /// Allocates and zero-fills `8 * next_power_of_two(size)` bytes; callers
    /// loading untrusted lengths should cap `size` (e.g. by the bytes left in
    /// the file).
    pub fn expand(&mut self, size: usize) -> bool {
        self.resize_to(size, true)
    }

    /// Redis `_dictExpandIfNeeded`: first table, or doubling at load factor
    /// 1 (5 when resizing is forbidden).
    fn expand_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        let size = self.ht[0].size();
        if size == 0 {
            self.resize_to(DICT_HT_INITIAL_SIZE, false);
            return;
        }
        let used = self.ht[0].used;
        if used >= size && (self.can_resize() || used / size > DICT_FORCE_RESIZE_RATIO) {
            if self.expand_guard {
                let more = (used + 1).next_power_of_two() * std::mem::size_of::<Link<V>>();
                if !crate::evict::dict_expand_allowed(more, used as f64 / size as f64) {
                    return;
                }
            }
            self.resize_to(used + 1, false);
        }
    }

    /// Redis `htNeedsResize`: more than 4 buckets and under 10% of them used.
    pub fn needs_shrink(&self) -> bool {
        let size = self.buckets();
        size > DICT_HT_INITIAL_SIZE && self.len().saturating_mul(100) / size < HASHTABLE_MIN_FILL
    }

    /// For the cron and after deletes: when under 10% of the buckets are used,
    /// starts an incremental shrink to the smallest power of two `>= len()`
    /// (at least 4). Returns `true` if a shrink was started (or, for an empty
    /// dict, done). Refused while rehashing or when resizing is forbidden.
    ///
    /// # Latency
    /// Allocates the new, smaller bucket array; the move itself is
    /// incremental.
    pub fn shrink_to_fit_if_needed(&mut self) -> bool {
        if !self.needs_shrink() || !self.can_resize() || self.is_rehashing() {
            return false;
        }
        let minimal = self.ht[0].used.max(DICT_HT_INITIAL_SIZE);
        self.resize_to(minimal, false)
    }

    /// One SCAN step (Redis `dictScan`): calls `f` for every entry of the
    /// bucket(s) the cursor designates and returns the next cursor; `0`
    /// means the scan is complete. Start with cursor `0`. Every entry present
    /// from the first call to the last is reported at least once, even if the
    /// table grows, shrinks or rehashes between calls; entries may be
    /// reported more than once after a shrink. Any `u64` is a valid cursor.
    ///
    /// # Latency
    /// One bucket of the smaller table plus, while rehashing, the
    /// `larger/smaller` buckets of the larger table that map onto it; chain
    /// lengths average at most the load factor (1, or 5 with resizing
    /// forbidden).
    pub fn scan<F: FnMut(&[u8], &V)>(&self, cursor: u64, mut f: F) -> u64 {
        self.scan_buckets(cursor, |t, b| {
            let mut cur = self.ht[t].buckets[b].as_deref();
            while let Some(e) = cur {
                f(&e.key, &e.val);
                cur = e.next.as_deref();
            }
        })
    }

    /// One SCAN step as [`Dict::scan`], moving the allocations of what it
    /// visits when jemalloc says they sit in sparse slabs (active defrag,
    /// Redis `dictScanDefrag`): each entry and its heap key, then `f(key,
    /// value, moved)` for the value's own allocations (`moved`: the entry
    /// or key moved). Returns the next cursor (0: done).
    pub fn scan_defrag(&mut self, cursor: u64, f: &mut dyn FnMut(&[u8], &mut V, bool)) -> u64 {
        let mut visit: Vec<(usize, usize)> = Vec::new();
        let next = self.scan_buckets(cursor, |t, b| visit.push((t, b)));
        for (t, b) in visit {
            let mut cur = &mut self.ht[t].buckets[b];
            while let Some(e) = cur {
                let mut moved = crate::defrag::defrag_box(e);
                if let DictKey::Heap(k) = &mut e.key {
                    moved |= crate::defrag::defrag_bytes(k);
                }
                f(&e.key, &mut e.val, moved);
                cur = &mut e.next;
            }
        }
        next
    }

    /// The buckets one SCAN step from `cursor` covers, as `visit(table,
    /// bucket)` calls, and the next cursor (Redis `dictScan`'s walk: the
    /// cursor's bits are incremented from the most significant end, so
    /// resizes between steps neither skip nor repeat whole buckets).
    fn scan_buckets(&self, cursor: u64, mut visit: impl FnMut(usize, usize)) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let mut v = cursor;
        if !self.is_rehashing() {
            let m0 = self.ht[0].mask() as u64;
            visit(0, (v & m0) as usize);
            // Increment the cursor's bits under the mask, most significant first.
            v |= !m0;
            v = v.reverse_bits().wrapping_add(1).reverse_bits();
        } else {
            let (small, large) = if self.ht[0].size() <= self.ht[1].size() {
                (0, 1)
            } else {
                (1, 0)
            };
            let m0 = self.ht[small].mask() as u64;
            let m1 = self.ht[large].mask() as u64;
            visit(small, (v & m0) as usize);
            // Every bucket of the large table whose low bits equal this index.
            loop {
                visit(large, (v & m1) as usize);
                v |= !m1;
                v = v.reverse_bits().wrapping_add(1).reverse_bits();
                if v & (m0 ^ m1) == 0 {
                    break;
                }
            }
        }
        v
    }

    /// Up to `count` entries (Redis `dictGetSomeKeys`), without any rehash
    /// step: consecutive buckets from a random start, at most `10 * count`
    /// steps, jumping elsewhere after runs of empty buckets.
    fn sample_no_rehash(&self, count: usize) -> Vec<(&[u8], &V)> {
        let count = count.min(self.len());
        let mut out = Vec::with_capacity(count);
        if count == 0 {
            return out;
        }
        let rehashing = self.is_rehashing();
        let tables = if rehashing { 2 } else { 1 };
        let mut maxmask = self.ht[0].mask();
        if rehashing && self.ht[1].mask() > maxmask {
            maxmask = self.ht[1].mask();
        }
        let mut maxsteps = count.saturating_mul(10);
        let mut i = random_u64() as usize & maxmask;
        let mut emptylen = 0usize;
        while out.len() < count && maxsteps > 0 {
            maxsteps -= 1;
            for j in 0..tables {
                // Buckets of ht[0] below rehash_idx are empty by now.
                if rehashing && j == 0 && i < self.rehash_idx {
                    if i >= self.ht[1].size() {
                        i = self.rehash_idx;
                    } else {
                        continue;
                    }
                }
                let t = &self.ht[j];
                if i >= t.size() {
                    continue;
                }
                let mut cur = t.buckets[i].as_deref();
                if cur.is_none() {
                    emptylen += 1;
                    if emptylen >= 5 && emptylen > count {
                        i = random_u64() as usize & maxmask;
                        emptylen = 0;
                    }
                } else {
                    emptylen = 0;
                    // The whole chain is visited: once `count` entries are
                    // held, the rest of the chain replaces them by
                    // reservoir sampling, so a long chain is sampled
                    // fairly rather than by its first `count` entries.
                    let mut stored = out.len();
                    while let Some(e) = cur {
                        if stored < count {
                            out.push((&*e.key, &e.val));
                        } else {
                            let r = random_below(stored + 1);
                            if r < count {
                                out[r] = (&*e.key, &e.val);
                            }
                        }
                        stored += 1;
                        cur = e.next.as_deref();
                    }
                    if out.len() >= count {
                        return out;
                    }
                }
            }
            i = (i + 1) & maxmask;
        }
        out
    }

    /// Up to `count` entries picked around random positions (Redis
    /// `dictGetSomeKeys`), for eviction and expiry sampling. Not uniform; may
    /// return fewer than `count` (on sparse tables) and may contain
    /// duplicates. Performs up to `count` rehash steps first.
    ///
    /// # Latency
    /// `count` rehash steps, then at most `10 * count` bucket visits (per
    /// table) plus the chains visited, each walked to its end (reservoir
    /// sampling once `count` entries are held).
    pub fn sample_entries(&mut self, count: usize) -> Vec<(&[u8], &V)> {
        let count = count.min(self.len());
        for _ in 0..count {
            if !self.is_rehashing() {
                break;
            }
            self.rehash(1);
        }
        self.sample_no_rehash(count)
    }

    /// A random entry (Redis `dictGetFairRandomKey`): samples up to 15
    /// entries and picks one of them, falling back to random bucket probing
    /// when the sample is empty. `None` if the dict is empty.
    ///
    /// # Latency
    /// Up to 15 rehash steps and 150 bucket visits; the fallback probes random
    /// buckets until it hits a non-empty one, `buckets / non-empty buckets`
    /// probes on average (about 10 at worst once the cron keeps the fill
    /// above 10%), then walks one chain.
    pub fn random_entry(&mut self) -> Option<(&[u8], &V)> {
        if self.is_empty() {
            return None;
        }
        let count = GETFAIR_NUM_ENTRIES.min(self.len());
        for _ in 0..count {
            if !self.is_rehashing() {
                break;
            }
            self.rehash(1);
        }
        let this: &Self = self;
        let sample = this.sample_no_rehash(count);
        if !sample.is_empty() {
            return Some(sample[random_below(sample.len())]);
        }
        this.random_entry_probe()
    }

    /// Redis `dictGetRandomKey` without its rehash step: random non-empty
    /// bucket, then a random element of its chain.
    fn random_entry_probe(&self) -> Option<(&[u8], &V)> {
        if self.is_empty() {
            return None;
        }
        let s0 = self.ht[0].size();
        let head = loop {
            let link = if self.is_rehashing() {
                // ht[0] buckets below rehash_idx are empty; skip them.
                let total = s0 + self.ht[1].size();
                let h = self.rehash_idx + random_below(total - self.rehash_idx);
                if h >= s0 {
                    &self.ht[1].buckets[h - s0]
                } else {
                    &self.ht[0].buckets[h]
                }
            } else {
                &self.ht[0].buckets[random_below(s0)]
            };
            if let Some(e) = link.as_deref() {
                break e;
            }
        };
        let mut len = 0usize;
        let mut cur = Some(head);
        while let Some(e) = cur {
            len += 1;
            cur = e.next.as_deref();
        }
        let mut e = head;
        for _ in 0..random_below(len) {
            e = e.next.as_deref()?;
        }
        Some((&*e.key, &e.val))
    }

    /// Iterates over all entries (`ht[0]` then `ht[1]`), each exactly once.
    ///
    /// # Latency
    /// `O(len + buckets)` if run to the end; the borrow stops any mutation,
    /// so for incremental walks of a live keyspace use [`Dict::scan`].
    pub fn iter(&self) -> Iter<'_, V> {
        Iter {
            tables: [&self.ht[0].buckets, &self.ht[1].buckets],
            table: 0,
            bucket: 0,
            cur: None,
            remaining: self.len(),
        }
    }

    /// Like [`Dict::iter`] with mutable values.
    pub fn iter_mut(&mut self) -> IterMut<'_, V> {
        let remaining = self.len();
        let [t0, t1] = &mut self.ht;
        IterMut {
            buckets: t0.buckets.iter_mut().chain(t1.buckets.iter_mut()),
            cur: None,
            remaining,
        }
    }

    /// All keys, in iteration order.
    pub fn keys(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.iter().map(|(k, _)| k)
    }

    /// All values, in iteration order.
    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// All values, mutably.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> + '_ {
        self.iter_mut().map(|(_, v)| v)
    }

    /// Approximate bytes used by the dict itself: the struct, both bucket
    /// arrays, one entry allocation per element and the key bytes. Does not
    /// count heap owned by the values, nor allocator rounding. `O(1)`.
    pub fn mem_usage(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.buckets() * std::mem::size_of::<Link<V>>()
            + self.len() * std::mem::size_of::<Entry<V>>()
            + self.key_bytes
    }

    /// Size of the allocation holding one entry (key, value, chain link),
    /// before allocator rounding.
    pub const fn entry_size() -> usize {
        std::mem::size_of::<Entry<V>>()
    }

    /// Heap bytes of the dict as jemalloc sizes them, for MEMORY USAGE
    /// (Redis `objectComputeSize` on a hashtable): both bucket arrays, plus
    /// the first `samples` entries in iteration order (the entry allocation,
    /// the key's own allocation when it is not inline, and `val_heap` of the
    /// value) averaged and multiplied by the number of entries. The `Dict`
    /// struct itself is not counted.
    ///
    /// # Latency
    /// `O(min(samples, len))` entries, plus the empty buckets walked before
    /// them.
    pub fn alloc_size_sampled(&self, samples: usize, val_heap: impl Fn(&V) -> usize) -> usize {
        use crate::util::zmalloc_size;
        let tables = zmalloc_size(self.ht[0].size() * std::mem::size_of::<Link<V>>())
            + zmalloc_size(self.ht[1].size() * std::mem::size_of::<Link<V>>());
        let entry = zmalloc_size(Self::entry_size());
        let (mut sum, mut n) = (0usize, 0usize);
        for (k, v) in self.iter().take(samples) {
            let key_heap = if k.len() > DICT_KEY_INLINE_MAX {
                zmalloc_size(k.len())
            } else {
                0
            };
            sum += entry + key_heap + val_heap(v);
            n += 1;
        }
        if n == 0 {
            return tables;
        }
        tables + (sum as f64 / n as f64 * self.len() as f64) as usize
    }
}

impl<V: Clone> Clone for Dict<V> {
    fn clone(&self) -> Self {
        let mut d = Dict::new();
        d.resize_allowed = self.resize_allowed;
        d.expand_guard = self.expand_guard;
        if !self.is_empty() {
            d.resize_to(self.len(), false);
        }
        for (k, v) in self.iter() {
            d.insert(k, v.clone());
        }
        d
    }
}

impl<V: fmt::Debug> fmt::Debug for Dict<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(k, v)| (String::from_utf8_lossy(k), v)))
            .finish()
    }
}

/// Borrowing iterator of a [`Dict`]; `Item = (&[u8], &V)`.
pub struct Iter<'a, V> {
    tables: [&'a [Link<V>]; 2],
    table: usize,
    bucket: usize,
    cur: Option<&'a Entry<V>>,
    remaining: usize,
}

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (&'a [u8], &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.cur {
                self.cur = e.next.as_deref();
                self.remaining -= 1;
                return Some((&e.key, &e.val));
            }
            if self.remaining == 0 {
                return None;
            }
            let t = *self.tables.get(self.table)?;
            if self.bucket < t.len() {
                self.cur = t[self.bucket].as_deref();
                self.bucket += 1;
            } else {
                self.table += 1;
                self.bucket = 0;
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<V> ExactSizeIterator for Iter<'_, V> {}

/// Mutable iterator of a [`Dict`]; `Item = (&[u8], &mut V)`.
pub struct IterMut<'a, V> {
    buckets: std::iter::Chain<std::slice::IterMut<'a, Link<V>>, std::slice::IterMut<'a, Link<V>>>,
    cur: Option<&'a mut Entry<V>>,
    remaining: usize,
}

impl<'a, V> Iterator for IterMut<'a, V> {
    type Item = (&'a [u8], &'a mut V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.cur.take() {
                let Entry { key, val, next } = e;
                self.cur = next.as_deref_mut();
                self.remaining -= 1;
                return Some((&**key, val));
            }
            if self.remaining == 0 {
                return None;
            }
            self.cur = self.buckets.next()?.as_deref_mut();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<V> ExactSizeIterator for IterMut<'_, V> {}

/// Owning iterator of a [`Dict`]; `Item = (DictKey, V)`. Dropping it
/// frees the remaining entries iteratively.
pub struct IntoIter<V> {
    dict: Dict<V>,
    table: usize,
    bucket: usize,
}

impl<V> Iterator for IntoIter<V> {
    type Item = (DictKey, V);

    fn next(&mut self) -> Option<Self::Item> {
        while !self.dict.is_empty() {
            let t = self.dict.ht.get_mut(self.table)?;
            if self.bucket >= t.size() {
                self.table += 1;
                self.bucket = 0;
                continue;
            }
            if let Some(mut e) = t.buckets[self.bucket].take() {
                t.buckets[self.bucket] = e.next.take();
                t.used -= 1;
                let Entry { key, val, .. } = *e;
                self.dict.key_bytes -= key.heap_len();
                return Some((key, val));
            }
            self.bucket += 1;
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.dict.len(), Some(self.dict.len()))
    }
}

impl<V> ExactSizeIterator for IntoIter<V> {}

impl<V> IntoIterator for Dict<V> {
    type Item = (DictKey, V);
    type IntoIter = IntoIter<V>;

    fn into_iter(self) -> IntoIter<V> {
        IntoIter {
            dict: self,
            table: 0,
            bucket: 0,
        }
    }
}

impl<'a, V> IntoIterator for &'a Dict<V> {
    type Item = (&'a [u8], &'a V);
    type IntoIter = Iter<'a, V>;

    fn into_iter(self) -> Iter<'a, V> {
        self.iter()
    }
}

impl<'a, V> IntoIterator for &'a mut Dict<V> {
    type Item = (&'a [u8], &'a mut V);
    type IntoIter = IterMut<'a, V>;

    fn into_iter(self) -> IterMut<'a, V> {
        self.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};
    use std::collections::{HashMap, HashSet};

    fn k(i: usize) -> Box<[u8]> {
        format!("key:{i}").into_bytes().into_boxed_slice()
    }

    /// Finishes any rehash in progress.
    fn finish(d: &mut Dict<usize>) {
        while d.rehash(1000) {}
        assert!(!d.is_rehashing());
    }

    #[test]
    fn entry_layout_size() {
        // key 24 (inline up to 22 bytes, else ptr+len) + value + next 8:
        // the keyspace's 32-byte values make a 64-byte entry (one jemalloc class).
        assert_eq!(std::mem::size_of::<DictKey>(), 24);
        assert_eq!(std::mem::size_of::<Entry<[u8; 24]>>(), 56);
        assert_eq!(std::mem::size_of::<Entry<[u64; 4]>>(), 64);
        assert_eq!(std::mem::size_of::<Link<u64>>(), 8);
    }

    #[test]
    fn insert_get_replace_remove_100k_with_rehash_in_progress() {
        let n = 100_000;
        let mut d: Dict<usize> = Dict::new();
        let mut rehashing_seen = 0;
        for i in 0..n {
            assert_eq!(d.insert(k(i), i), None);
            if d.is_rehashing() {
                rehashing_seen += 1;
                // Keys of both tables must be reachable while rehashing.
                let j = i / 2;
                assert_eq!(d.get(&k(j)), Some(&j));
                assert!(d.contains_key(&k(i)));
            }
        }
        assert!(
            rehashing_seen > 1000,
            "rehash should span many inserts, saw {rehashing_seen}"
        );
        assert_eq!(d.len(), n);
        for i in 0..n {
            assert_eq!(d.get(&k(i)), Some(&i), "key {i}");
        }
        assert_eq!(d.get(b"key:-1"), None);
        assert!(!d.contains_key(b"nope"));

        // Replace even keys: old value back, length unchanged, stored key kept.
        for i in (0..n).step_by(2) {
            assert_eq!(d.insert(k(i), i + 1_000_000), Some(i));
        }
        assert_eq!(d.len(), n);
        let (sk, sv) = d.get_key_value(b"key:10").unwrap();
        assert_eq!((sk, *sv), (&b"key:10"[..], 1_000_010));

        // Remove every third key.
        let mut removed = 0;
        for i in (0..n).step_by(3) {
            let want = if i % 2 == 0 { i + 1_000_000 } else { i };
            let (rk, rv) = d.remove(&k(i)).unwrap();
            assert_eq!(&*rk, &*k(i));
            assert_eq!(rv, want);
            assert_eq!(d.remove(&k(i)), None);
            removed += 1;
        }
        assert_eq!(d.len(), n - removed);
        for i in 0..n {
            let want = if i % 3 == 0 {
                None
            } else if i % 2 == 0 {
                Some(i + 1_000_000)
            } else {
                Some(i)
            };
            assert_eq!(d.get(&k(i)).copied(), want, "key {i}");
        }
    }

    #[test]
    fn randomized_against_hashmap_model() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut d: Dict<u64> = Dict::new();
        let mut m: HashMap<Vec<u8>, u64> = HashMap::new();
        for op in 0..200_000u64 {
            let key = k(rng.random_range(0..20_000));
            match rng.random_range(0..10) {
                0..=4 => assert_eq!(d.insert(key.clone(), op), m.insert(key.to_vec(), op)),
                5..=7 => {
                    let got = d.remove(&key).map(|(rk, v)| (rk.to_vec(), v));
                    let want = m.remove(&*key).map(|v| (key.to_vec(), v));
                    assert_eq!(got, want);
                }
                8 => {
                    if let Some(v) = d.get_mut(&key) {
                        *v += 1;
                    }
                    if let Some(v) = m.get_mut(&*key) {
                        *v += 1;
                    }
                }
                _ => {
                    assert_eq!(d.get(&key), m.get(&*key));
                    if op % 97 == 0 {
                        d.shrink_to_fit_if_needed();
                    }
                }
            }
            assert_eq!(d.len(), m.len());
        }
        let all: HashMap<Vec<u8>, u64> = d.iter().map(|(k, v)| (k.to_vec(), *v)).collect();
        assert_eq!(all, m);
    }

    #[test]
    fn get_mut_updates_and_advances_rehash() {
        let mut d: Dict<usize> = Dict::new();
        for i in 0..1024 {
            d.insert(k(i), i);
        }
        finish(&mut d);
        d.insert(k(1024), 1024);
        assert!(d.is_rehashing());
        assert_eq!(d.rehash_idx, 0);
        *d.get_mut(&k(7)).unwrap() = 77;
        assert!(d.rehash_idx > 0, "get_mut must perform a rehash step");
        assert_eq!(d.get(&k(7)), Some(&77));
        assert_eq!(d.get_mut(b"missing"), None);
        // The key inserted during the rehash lives in ht[1].
        *d.get_mut(&k(1024)).unwrap() += 1;
        assert_eq!(d.get(&k(1024)), Some(&1025));
    }

    #[test]
    fn expansion_is_incremental_never_a_full_pause() {
        let mut d: Dict<usize> = Dict::new();
        assert_eq!(d.buckets(), 0);
        for i in 0..4 {
            d.insert(k(i), i);
        }
        assert!(!d.is_rehashing());
        assert_eq!(d.buckets(), 4);
        d.insert(k(4), 4);
        assert!(d.is_rehashing());
        assert_eq!((d.ht[0].size(), d.ht[1].size()), (4, 8));
        assert_eq!((d.ht[0].used, d.ht[1].used), (4, 1));
        assert_eq!(d.buckets(), 12);
        finish(&mut d);
        assert_eq!(d.buckets(), 8);

        for i in 5..1024 {
            d.insert(k(i), i);
        }
        finish(&mut d);
        assert_eq!(d.buckets(), 1024);
        d.insert(k(1024), 1024);
        assert!(d.is_rehashing());
        assert_eq!((d.ht[0].size(), d.ht[1].size()), (1024, 2048));
        // The insert that started the resize moved nothing.
        assert_eq!((d.ht[0].used, d.ht[1].used), (1024, 1));
        // The next one moves a single bucket.
        d.insert(k(1025), 1025);
        assert!(d.is_rehashing());
        assert!(
            d.ht[0].used < 1024 && d.ht[0].used > 1000,
            "{}",
            d.ht[0].used
        );
        assert!(d.rehash_idx <= EMPTY_VISITS_PER_STEP + 1);
        assert_eq!(d.len(), 1026);
    }

    #[test]
    fn rehash_n_and_milliseconds() {
        let mut d: Dict<usize> = Dict::new();
        assert!(!d.rehash(100));
        assert_eq!(d.rehash_milliseconds(1), 0);
        for i in 0..65_536 {
            d.insert(k(i), i);
        }
        finish(&mut d);
        d.insert(k(65_536), 0);
        assert!(d.is_rehashing());
        // A zero budget still does exactly one batch of 100.
        assert_eq!(d.rehash_milliseconds(0), 100);
        assert!(d.is_rehashing());
        let before = d.rehash_idx;
        assert!(d.rehash(10));
        assert!(d.rehash_idx > before);
        let done = d.rehash_milliseconds(60_000);
        assert_eq!(done % 100, 0);
        assert!(done > 0);
        assert!(!d.is_rehashing());
        assert_eq!(d.buckets(), 131_072);
        for i in 0..65_536 {
            assert_eq!(d.get(&k(i)), Some(&i));
        }
    }

    #[test]
    fn resize_forbidden_uses_force_ratio() {
        let mut d: Dict<usize> = Dict::new();
        d.set_resize_allowed(false);
        for i in 0..24 {
            d.insert(k(i), i);
        }
        // 24 entries in 4 buckets: load factor 6 is tolerated.
        assert_eq!(d.buckets(), 4);
        assert!(!d.is_rehashing());
        d.insert(k(24), 24);
        assert!(d.is_rehashing());
        assert_eq!(d.ht[1].size(), 32);
        finish(&mut d);
        d.set_resize_allowed(true);
        d.insert(k(25), 25);
        assert!(!d.is_rehashing(), "26 entries in 32 buckets need no resize");
        for i in 26..33 {
            d.insert(k(i), i);
        }
        assert!(d.is_rehashing());
        assert_eq!(d.ht[1].size(), 64);
    }

    #[test]
    fn thread_resize_switch() {
        // Thread-local: only this test's thread is affected.
        set_resize_enabled(false);
        let mut d: Dict<usize> = Dict::new();
        for i in 0..24 {
            d.insert(k(i), i);
        }
        assert_eq!(d.buckets(), 4);
        for i in 0..20 {
            d.remove(&k(i));
        }
        set_resize_enabled(true);
        for i in 24..100 {
            d.insert(k(i), i);
        }
        finish(&mut d);
        assert_eq!(d.buckets(), 128);
        for i in 24..100 {
            d.remove(&k(i));
        }
        set_resize_enabled(false);
        assert!(d.needs_shrink());
        assert!(!d.shrink_to_fit_if_needed());
        set_resize_enabled(true);
        assert!(d.shrink_to_fit_if_needed());
    }

    #[test]
    fn drop_of_huge_chain_is_iterative() {
        // Every key lands in bucket 0 of a 4-bucket table: a real 1M-long chain.
        let mut d: Dict<usize> = Dict::new();
        d.set_resize_allowed(false);
        d.insert(k(usize::MAX), 0);
        d.remove(&k(usize::MAX));
        assert_eq!(d.buckets(), 4);
        let mut chain: Link<usize> = None;
        let mut n = 0usize;
        let mut i = 0usize;
        let mut bytes = 0;
        while n < 1_000_000 {
            let key = k(i);
            if hash_bytes(&key) & 3 == 0 {
                let key: DictKey = key.into();
                bytes += key.heap_len();
                chain = Some(Box::new(Entry {
                    key,
                    val: i,
                    next: chain,
                }));
                n += 1;
            }
            i += 1;
        }
        d.ht[0].buckets[0] = chain;
        d.ht[0].used = n;
        d.key_bytes = bytes;
        assert_eq!(d.len(), 1_000_000);
        let head_key = d.ht[0].buckets[0].as_ref().unwrap().key.clone();
        assert!(d.get(&head_key).is_some());
        assert_eq!(d.iter().count(), 1_000_000);
        // Partially consumed owning iterator, then drops of what is left.
        let mut it = d.take().into_iter();
        assert!(it.next().is_some());
        assert_eq!(it.len(), 999_999);
        drop(it);
        assert!(d.is_empty());
    }

    #[test]
    fn million_entries_with_resize_forbidden_drop() {
        let mut d: Dict<usize> = Dict::new();
        d.set_resize_allowed(false);
        let mut max_load = 0;
        for i in 0..1_000_000 {
            d.insert(k(i), i);
            max_load = max_load.max(d.ht[0].used / d.ht[0].size());
        }
        assert!(
            max_load >= 5,
            "load factor should reach the force ratio, got {max_load}"
        );
        assert!(max_load <= 6);
        assert_eq!(d.len(), 1_000_000);
        assert_eq!(d.get(&k(123_456)), Some(&123_456));
        let mut c = d.take();
        c.clear();
        assert!(c.is_empty());
        assert_eq!(c.buckets(), 0);
        assert!(d.is_empty());
    }

    #[test]
    fn shrink_to_fit() {
        let mut d: Dict<usize> = Dict::new();
        assert!(!d.shrink_to_fit_if_needed());
        for i in 0..10_000 {
            d.insert(k(i), i);
        }
        finish(&mut d);
        assert_eq!(d.buckets(), 16_384);
        assert!(!d.needs_shrink());
        assert!(!d.shrink_to_fit_if_needed());
        for i in 50..10_000 {
            d.remove(&k(i));
        }
        finish(&mut d);
        assert_eq!(d.len(), 50);
        assert!(d.needs_shrink());
        d.set_resize_allowed(false);
        assert!(!d.shrink_to_fit_if_needed());
        d.set_resize_allowed(true);
        assert!(d.shrink_to_fit_if_needed());
        assert!(d.is_rehashing());
        assert_eq!((d.ht[0].size(), d.ht[1].size()), (16_384, 64));
        assert!(
            !d.shrink_to_fit_if_needed(),
            "no second resize while rehashing"
        );
        finish(&mut d);
        assert_eq!(d.buckets(), 64);
        assert!(!d.needs_shrink());
        for i in 0..50 {
            assert_eq!(d.get(&k(i)), Some(&i));
        }
        // Empty dict shrinks straight to the minimum.
        for i in 0..50 {
            d.remove(&k(i));
        }
        assert!(d.shrink_to_fit_if_needed());
        assert!(!d.is_rehashing());
        assert_eq!(d.buckets(), 4);
        assert!(!d.shrink_to_fit_if_needed());
    }

    #[test]
    fn expand_presizes() {
        let mut d: Dict<usize> = Dict::new();
        assert!(d.expand(1000));
        assert!(!d.is_rehashing());
        assert_eq!(d.buckets(), 1024);
        for i in 0..1000 {
            d.insert(k(i), i);
        }
        assert!(!d.is_rehashing());
        assert_eq!(d.buckets(), 1024);
        assert!(!d.expand(500), "smaller than len");
        assert!(!d.expand(1024), "same size");
        assert!(!d.expand(usize::MAX));
        assert!(!d.expand(1 << 62), "allocation must fail gracefully");
        assert!(d.expand(3000));
        assert!(d.is_rehashing());
        assert_eq!(d.ht[1].size(), 4096);
        assert!(!d.expand(10_000), "refused while rehashing");
        finish(&mut d);
        assert_eq!(d.len(), 1000);
        assert_eq!(d.get(&k(999)), Some(&999));
    }

    fn scan_all(d: &Dict<usize>) -> HashMap<Vec<u8>, usize> {
        let mut seen = HashMap::new();
        let mut cursor = 0;
        loop {
            cursor = d.scan(cursor, |key, _| *seen.entry(key.to_vec()).or_insert(0) += 1);
            if cursor == 0 {
                break;
            }
        }
        seen
    }

    #[test]
    fn scan_empty_and_stable() {
        let d: Dict<usize> = Dict::new();
        assert_eq!(d.scan(0, |_, _| panic!("nothing to visit")), 0);
        assert_eq!(d.scan(12345, |_, _| panic!("nothing to visit")), 0);
        let mut d: Dict<usize> = Dict::new();
        d.insert(k(1), 1);
        d.remove(&k(1));
        assert_eq!(d.scan(0, |_, _| panic!("nothing to visit")), 0);

        // No resize between calls: every key exactly once.
        for i in 0..5000 {
            d.insert(k(i), i);
        }
        finish(&mut d);
        let seen = scan_all(&d);
        assert_eq!(seen.len(), 5000);
        assert!(seen.values().all(|&c| c == 1));
        // Also while a rehash is in progress (tables frozen between calls).
        for i in 5000..8193 {
            d.insert(k(i), i);
        }
        assert!(d.is_rehashing());
        let seen = scan_all(&d);
        assert_eq!(seen.len(), 8193);
        assert!(seen.values().all(|&c| c == 1));
        // Arbitrary client cursors are fine.
        let mut n = 0;
        d.scan(u64::MAX, |_, _| n += 1);
        d.scan(0xdead_beef_dead_beef, |_, _| n += 1);
    }

    #[test]
    fn scan_complete_across_growth() {
        let mut d: Dict<usize> = Dict::new();
        for i in 0..1000 {
            d.insert(k(i), i);
        }
        finish(&mut d);
        let start_buckets = d.buckets();
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut next = 1000;
        let mut rehashing_calls = 0;
        loop {
            cursor = d.scan(cursor, |key, _| {
                seen.insert(key.to_vec());
            });
            if d.is_rehashing() {
                rehashing_calls += 1;
            }
            if cursor == 0 {
                break;
            }
            // Grow up to 64k keys (several doublings), then let the scan finish:
            // a scan racing unbounded growth never ends.
            for _ in 0..20 {
                if next < 65_536 {
                    d.insert(k(next), next);
                    next += 1;
                }
            }
        }
        assert!(
            d.buckets() >= start_buckets * 8,
            "table should have grown a lot"
        );
        assert!(rehashing_calls > 0);
        for i in 0..1000 {
            assert!(seen.contains(&*k(i)), "key {i} missed");
        }
    }

    #[test]
    fn scan_complete_across_shrink() {
        let mut d: Dict<usize> = Dict::new();
        for i in 0..20_000 {
            d.insert(k(i), i);
        }
        finish(&mut d);
        let start_buckets = d.buckets();
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut victim = 500;
        let mut shrinks = 0;
        let mut rehashing_calls = 0;
        loop {
            cursor = d.scan(cursor, |key, _| {
                seen.insert(key.to_vec());
            });
            if cursor == 0 {
                break;
            }
            for _ in 0..200 {
                if victim < 20_000 {
                    d.remove(&k(victim));
                    victim += 1;
                }
            }
            if d.shrink_to_fit_if_needed() {
                shrinks += 1;
            }
            if d.is_rehashing() {
                rehashing_calls += 1;
            }
            d.rehash(1); // as the cron would
        }
        assert!(shrinks >= 1);
        assert!(
            rehashing_calls > 10,
            "scan should run during shrinking rehashes"
        );
        while d.rehash(100) {}
        assert!(d.buckets() < start_buckets);
        for i in 0..500 {
            assert!(seen.contains(&*k(i)), "key {i} missed");
        }
    }

    #[test]
    fn scan_complete_under_random_resizes() {
        for seed in 0..6u64 {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut d: Dict<usize> = Dict::new();
            // Stable keys are 0..300; volatile keys come and go.
            for i in 0..300 {
                d.insert(k(i), i);
            }
            let mut volatile: Vec<usize> = Vec::new();
            let mut next = 300;
            let mut seen = HashSet::new();
            let mut cursor = 0;
            let mut sizes = HashSet::new();
            let mut calls = 0;
            loop {
                cursor = d.scan(cursor, |key, _| {
                    seen.insert(key.to_vec());
                });
                sizes.insert(d.buckets());
                calls += 1;
                if cursor == 0 {
                    break;
                }
                // Alternate phases of growth and mass deletion.
                if (calls / 40) % 2 == 0 && volatile.len() < 20_000 {
                    for _ in 0..rng.random_range(0..200) {
                        d.insert(k(next), next);
                        volatile.push(next);
                        next += 1;
                    }
                } else {
                    for _ in 0..rng.random_range(0..400) {
                        if volatile.is_empty() {
                            break;
                        }
                        let j = rng.random_range(0..volatile.len());
                        let key = volatile.swap_remove(j);
                        assert!(d.remove(&k(key)).is_some());
                    }
                    d.shrink_to_fit_if_needed();
                }
                d.rehash(rng.random_range(0..3));
            }
            assert!(
                sizes.len() >= 3,
                "seed {seed}: resizes expected, sizes {sizes:?}"
            );
            for i in 0..300 {
                assert!(seen.contains(&*k(i)), "seed {seed}: key {i} missed");
            }
        }
    }

    #[test]
    fn random_entry_returns_existing_and_covers() {
        let mut d: Dict<usize> = Dict::new();
        assert!(d.random_entry().is_none());
        for i in 0..1000 {
            d.insert(k(i), i);
        }
        let mut distinct = HashSet::new();
        for _ in 0..20_000 {
            let (key, v) = d.random_entry().unwrap();
            let key = key.to_vec();
            assert_eq!(key, *k(*v));
            distinct.insert(key);
        }
        assert!(distinct.len() >= 950, "covered only {}", distinct.len());
        assert!(distinct.iter().all(|key| d.contains_key(key)));

        // While rehashing.
        for i in 1000..1025 {
            d.insert(k(i), i);
        }
        assert!(d.is_rehashing());
        let (key, v) = d.random_entry().unwrap();
        assert_eq!(*key, *k(*v));
    }

    #[test]
    fn random_entry_is_fair_over_one_long_chain() {
        // 20 keys that all hash to bucket 0 of a 4-bucket table (resizing
        // held back up to load factor 5): one chain, longer than the
        // 15-entry sample. Its tail must be picked as often as its head
        // (Redis samples the rest of the chain into the reservoir; taking
        // the first 15 never returns the last 5).
        let mut d: Dict<usize> = Dict::new();
        d.set_resize_allowed(false);
        let mut n = 0;
        let mut i = 0;
        while n < 20 {
            if hash_bytes(&k(i)) & 3 == 0 {
                d.insert(k(i), n);
                n += 1;
            }
            i += 1;
        }
        assert_eq!(d.buckets(), 4);
        let mut counts = [0usize; 20];
        for _ in 0..60_000 {
            let (_, v) = d.random_entry().unwrap();
            counts[*v] += 1;
        }
        // Expected 3000 each (standard deviation about 54).
        assert!(
            counts.iter().all(|&n| (2700..3300).contains(&n)),
            "{counts:?}"
        );
    }

    #[test]
    fn random_entry_on_sparse_table_uses_probe() {
        let mut d: Dict<usize> = Dict::new();
        for i in 0..30_000 {
            d.insert(k(i), i);
        }
        finish(&mut d);
        for i in 3..30_000 {
            d.remove(&k(i));
        }
        assert_eq!(d.buckets(), 32_768);
        let mut distinct = HashSet::new();
        for _ in 0..60 {
            let (_, v) = d.random_entry().unwrap();
            assert!(*v < 3);
            distinct.insert(*v);
        }
        assert_eq!(distinct.len(), 3);
        for _ in 0..60 {
            let (_, v) = d.random_entry_probe().unwrap();
            assert!(*v < 3);
        }
    }

    #[test]
    fn sample_entries_returns_existing_and_covers() {
        let mut d: Dict<usize> = Dict::new();
        assert!(d.sample_entries(10).is_empty());
        for i in 0..1000 {
            d.insert(k(i), i);
        }
        finish(&mut d);
        assert!(d.sample_entries(0).is_empty());
        let mut distinct = HashSet::new();
        let mut total = 0;
        for _ in 0..2000 {
            let s = d.sample_entries(10);
            assert!(!s.is_empty() && s.len() <= 10);
            total += s.len();
            for (key, v) in s {
                assert_eq!(*key, *k(*v));
                distinct.insert(*v);
            }
        }
        assert!(
            total >= 19_000,
            "dense table should nearly always fill the sample: {total}"
        );
        assert!(distinct.len() >= 990, "covered only {}", distinct.len());
        let s = d.sample_entries(5000);
        assert!(s.len() <= 1000 && s.len() > 10);

        // During a rehash both tables are sampled.
        for i in 1000..1025 {
            d.insert(k(i), i);
        }
        assert!(d.is_rehashing());
        let mut distinct = HashSet::new();
        for _ in 0..500 {
            for (key, v) in d.sample_entries(5) {
                assert_eq!(*key, *k(*v));
                distinct.insert(*v);
            }
        }
        assert!(distinct.len() > 500);
    }

    #[test]
    fn iterators_visit_each_entry_once() {
        let mut d: Dict<usize> = Dict::new();
        for i in 0..3000 {
            d.insert(k(i), i);
        }
        for i in 3000..4097 {
            d.insert(k(i), i);
        }
        assert!(d.is_rehashing());
        let it = d.iter();
        assert_eq!(it.len(), 4097);
        let keys: HashSet<Vec<u8>> = d.keys().map(|k| k.to_vec()).collect();
        assert_eq!(keys.len(), 4097);
        assert_eq!(d.values().sum::<usize>(), (0..4097).sum());
        for (_, v) in d.iter_mut() {
            *v *= 2;
        }
        for v in d.values_mut() {
            *v += 1;
        }
        for (key, v) in &d {
            assert_eq!(*key, *k((*v - 1) / 2));
        }
        assert_eq!(d.get(&k(10)), Some(&21));
        let mut owned: Vec<usize> = d.take().into_iter().map(|(_, v)| v).collect();
        owned.sort_unstable();
        assert_eq!(owned, (0..4097).map(|i| i * 2 + 1).collect::<Vec<_>>());
        assert!(d.is_empty());
        assert_eq!(d.iter().count(), 0);
        d.insert(k(1), 1);
        assert_eq!(d.get(&k(1)), Some(&1));
    }

    #[test]
    fn clear_take_clone_debug() {
        let mut d: Dict<usize> = Dict::new();
        for i in 0..100 {
            d.insert(k(i), i);
        }
        let c = d.clone();
        assert_eq!(c.len(), 100);
        assert_eq!(c.get(&k(42)), Some(&42));
        d.set_resize_allowed(false);
        let t = d.take();
        assert_eq!(t.len(), 100);
        assert!(d.is_empty());
        assert!(!d.resize_allowed, "take keeps the resize setting");
        d.insert(k(1), 5);
        d.clear();
        assert!(d.is_empty());
        assert_eq!(d.buckets(), 0);
        assert_eq!(d.mem_usage(), std::mem::size_of::<Dict<usize>>());
        let mut s: Dict<u8> = Dict::new();
        s.insert(b"ab".to_vec().into_boxed_slice(), 1);
        assert_eq!(format!("{s:?}"), "{\"ab\": 1}");
    }

    #[test]
    fn mem_usage_counts_tables_entries_and_keys() {
        let mut d: Dict<u64> = Dict::new();
        let base = std::mem::size_of::<Dict<u64>>();
        assert_eq!(d.mem_usage(), base);
        d.insert(b"abc".to_vec().into_boxed_slice(), 1);
        d.insert(b"de".to_vec().into_boxed_slice(), 2);
        d.insert(b"f".to_vec().into_boxed_slice(), 3);
        let entry = std::mem::size_of::<Entry<u64>>();
        assert_eq!(entry, 40);
        // Short keys live inside the entry: no key bytes of their own.
        assert_eq!(d.mem_usage(), base + 4 * 8 + 3 * entry);
        d.remove(b"abc");
        assert_eq!(d.mem_usage(), base + 4 * 8 + 2 * entry);
        d.insert(b"de".to_vec().into_boxed_slice(), 9);
        assert_eq!(d.mem_usage(), base + 4 * 8 + 2 * entry);
        // A long key owns its bytes on the heap.
        let long = vec![b'x'; 40];
        d.insert(long.clone(), 4);
        assert_eq!(d.mem_usage(), base + 4 * 8 + 3 * entry + 40);
        assert_eq!(&*d.remove(&long).unwrap().0, &long[..]);
        assert_eq!(d.mem_usage(), base + 4 * 8 + 2 * entry);
    }

    #[test]
    fn hashing() {
        assert_eq!(hash_bytes(b"hello"), hash_bytes(b"hello"));
        assert_ne!(hash_bytes(b"hello"), hash_bytes(b"hellp"));
        assert_ne!(hash_bytes(b""), hash_bytes(b"\0"));
        assert_eq!(hash_bytes_nocase(b"GeT"), hash_bytes(b"get"));
        assert_eq!(hash_bytes_nocase(b""), hash_bytes(b""));
        let long: Vec<u8> = (0..300u32)
            .map(|i| b"AbCdEfGhIjKlMnOpQrStUvWxYz-9"[(i % 28) as usize])
            .collect();
        assert_eq!(
            hash_bytes_nocase(&long),
            hash_bytes(&long.to_ascii_lowercase())
        );
        assert_ne!(hash_bytes_nocase(&long), hash_bytes(&long));
        // The seed is fixed once in use; a later set is refused and changes nothing.
        let seed = hash_seed();
        let h = hash_bytes(b"x");
        assert!(!set_hash_seed([7; 16]) || seed == [7; 16]);
        assert_eq!(hash_seed(), seed);
        assert_eq!(hash_bytes(b"x"), h);
        // The seed really keys the hash.
        let other = SipHasher13::new_with_keys(1, 2).hash(b"x");
        let k = hash_keys();
        assert_eq!(SipHasher13::new_with_keys(k.k0, k.k1).hash(b"x"), h);
        assert!(k.k0 != 1 || k.k1 != 2 || other == h);
    }

    #[test]
    fn random_below_is_in_range_and_spread() {
        let mut counts = [0usize; 7];
        for _ in 0..7000 {
            counts[random_below(7)] += 1;
        }
        assert!(counts.iter().all(|&c| c > 700), "{counts:?}");
    }
}
