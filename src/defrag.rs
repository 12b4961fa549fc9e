//! Active defragmentation (Redis `defrag.c`, config `activedefrag`).
//!
//! # What fragmentation is here
//!
//! jemalloc serves small allocations from *slabs*: runs of pages cut into
//! regions of one size class. When many keys are deleted, their regions are
//! freed but the slabs stay: a slab with one live region among 32 still
//! holds its pages. INFO's `allocator_frag_ratio` is jemalloc's `active`
//! (pages of slabs in use) over `allocated` (bytes of live regions).
//! Defragmenting moves live regions out of sparsely used slabs into fuller
//! ones, so the sparse slabs empty and their pages go back.
//!
//! # Which allocations move: the hint
//!
//! Redis asks its patched jemalloc (`je_get_defrag_hint`). Stock jemalloc
//! 5.3 answers the same question through the mallctl
//! `experimental.utilization.query`: for a pointer it gives the slab the
//! next allocation of that size class would come from (`slabcur`), the
//! free and total regions of the pointer's slab, and the free and total
//! regions of the whole bin. [`defrag_hint`] moves an allocation when its
//! slab is not `slabcur`, is not full, and is used less than the bin's
//! average slab (the average taken without `slabcur`, as Redis does).
//!
//! A move allocates a new region, copies the bytes and frees the old one,
//! with the thread cache disabled for the whole cycle ([`TcacheOff`]): the
//! new region then comes from `slabcur` (the fullest slabs are preferred)
//! and the freed one goes straight back to its slab. Every structure of
//! the keyspace owns its allocations through `Box`/`Vec`/`ThinVec` with no
//! raw pointers into them from elsewhere (dict chains are `Box` links, the
//! skiplist and quicklist use indices), so a bitwise move is sound; the
//! primitives below ([`defrag_box`], [`defrag_bytes`], [`defrag_vec`],
//! [`defrag_thin_vec`]) do the move and count a hit or a miss.
//!
//! # The cycle (Redis `activeDefragCycle`)
//!
//! `databases_cron` (every `1000/hz` ms) and, during loading or a busy
//! script, the while-blocked cron call [`active_defrag_cycle`]:
//! - Idle: once a second it reads the allocator's fragmentation.
//!   At `active-defrag-threshold-lower` percent and
//!   `active-defrag-ignore-bytes` wasted bytes a pass starts, with a CPU
//!   share between `active-defrag-cycle-min` and `-max` percent,
//!   interpolated on the fragmentation between the lower and upper
//!   thresholds (INFO `active_defrag_running` is that percentage; the
//!   check once a second may raise it).
//! - In a pass, each call works for `cpu% × 10 ms × 100 / hz`. It walks
//!   every database's keyspace with the dict's SCAN cursor
//!   ([`crate::dict::Dict::scan_defrag`]): each entry (`Box`), its key, its
//!   value (strings, listpacks, intsets, quicklist nodes, the entries of
//!   hash and set tables, the members of skiplists, a stream's listpack
//!   nodes; not a stream's consumer groups, whose B-trees own their nodes),
//!   then the expires dict; a database done
//!   ends the call, so a pass takes at least one call per database. Values with more
//!   than `active-defrag-max-scan-fields` elements are queued and
//!   defragged across calls with their own cursor. After the last
//!   database come the EVAL scripts' bodies; then the pass ends, logged
//!   (verbose) with its time, moves and the fragmentation left, and the
//!   fragmentation is checked again: still above the threshold, the next
//!   pass starts at once, so the running flag drops only when the heap is
//!   compact (or defrag is switched off).
//! - No cycle runs while a child process exists (its pages would be
//!   copied). Switching `activedefrag` off mid-pass drops the pass; the
//!   next one starts from the beginning.
//!
//! Counters: `active_defrag_hits` (moves), `active_defrag_misses` (checked,
//! not moved), `active_defrag_key_hits`/`_key_misses` (keys with at least
//! one move or none), `total_active_defrag_time` and
//! `current_active_defrag_time` (ms); the latency event
//! `active-defrag-cycle` gets each cycle's duration.

use crate::server::Server;
use std::alloc::Layout;
use std::cell::Cell;
use std::time::{Duration, Instant};

/// Statistics and the scan position of active defrag.
#[derive(Debug)]
pub struct DefragState {
    /// The CPU percentage of the run in progress, 0 when idle (INFO
    /// `active_defrag_running`).
    pub running: i32,
    /// Database whose keyspace the run is walking.
    db: usize,
    /// What of `db` is being walked.
    stage: Stage,
    /// SCAN cursor of the current stage.
    cursor: u64,
    /// A big value being defragged across cycles: its key, its cursor,
    /// and whether anything of it moved so far.
    later: std::collections::VecDeque<(Vec<u8>, u128, bool)>,
    /// The EVAL scripts (their SHA1s) the pass has yet to visit, taken
    /// when it reaches them (the stage after the last database); None
    /// before that.
    scripts_left: Option<Vec<String>>,
    /// When the first of the passes in a row started
    /// (`current_active_defrag_time`); None while idle.
    run_start: Option<Instant>,
    /// When the pass in progress started (logged at its end).
    pass_start: Instant,
    /// Moves during this pass (logged at its end).
    run_hits: u64,
    /// Allocations moved (INFO `active_defrag_hits`).
    pub hits: u64,
    /// Allocations checked and left (INFO `active_defrag_misses`).
    pub misses: u64,
    /// Keys with at least one move (INFO `active_defrag_key_hits`).
    pub key_hits: u64,
    /// Keys with none (INFO `active_defrag_key_misses`).
    pub key_misses: u64,
    /// Time spent in runs that ended, ms (INFO `total_active_defrag_time`).
    pub total_time_ms: u64,
}

#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    #[default]
    Keys,
    Expires,
}

impl Default for DefragState {
    fn default() -> Self {
        DefragState {
            running: 0,
            db: 0,
            stage: Stage::Keys,
            cursor: 0,
            later: Default::default(),
            scripts_left: None,
            run_start: None,
            pass_start: Instant::now(),
            run_hits: 0,
            hits: 0,
            misses: 0,
            key_hits: 0,
            key_misses: 0,
            total_time_ms: 0,
        }
    }
}

impl DefragState {
    /// Moves the primitives' counts into the statistics.
    fn add_counts(&mut self) {
        let (h, m) = take_counts();
        self.hits += h;
        self.misses += m;
        self.run_hits += h;
    }

    /// Milliseconds of the passes in progress (INFO
    /// `current_active_defrag_time`; `total_active_defrag_time` is
    /// [`DefragState::total_time_ms`] plus this).
    pub fn current_time_ms(&self) -> u64 {
        self.run_start.map_or(0, |t| t.elapsed().as_millis() as u64)
    }

    /// CONFIG RESETSTAT: zeroes the counters (a run in progress goes on).
    pub fn reset_stats(&mut self) {
        self.hits = 0;
        self.misses = 0;
        self.key_hits = 0;
        self.key_misses = 0;
        self.total_time_ms = 0;
        if self.run_start.is_some() {
            self.run_start = Some(Instant::now());
        }
    }
}

// ---- Counters of the primitives ----

thread_local! {
    /// Moves and checks made by the primitives since the last [`take_counts`].
    static COUNTS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

fn count(moved: bool) {
    COUNTS.with(|c| {
        let (h, m) = c.get();
        c.set(if moved { (h + 1, m) } else { (h, m + 1) });
    });
}

/// Returns and zeroes `(hits, misses)` counted by the primitives.
fn take_counts() -> (u64, u64) {
    COUNTS.with(|c| c.replace((0, 0)))
}

// ---- The hint ----

thread_local! {
    /// The MIB of `experimental.utilization.query`, looked up once (None:
    /// the allocator lacks it).
    static QUERY_MIB: Option<[usize; 3]> = query_mib();
}

#[allow(unsafe_code)]
fn query_mib() -> Option<[usize; 3]> {
    let mut mib = [0usize; 3];
    let mut len = mib.len();
    // SAFETY: the name is NUL-terminated and `mib`/`len` describe a valid
    // buffer of `len` elements, as mallctlnametomib requires.
    let rc = unsafe {
        tikv_jemalloc_sys::mallctlnametomib(
            c"experimental.utilization.query".as_ptr(),
            mib.as_mut_ptr(),
            &mut len,
        )
    };
    (rc == 0 && len == 3).then_some(mib)
}

/// Whether active defrag can work here (the allocator answers the
/// utilization query). CONFIG SET activedefrag yes is refused otherwise.
pub fn supported() -> bool {
    QUERY_MIB.with(|m| m.is_some())
}

/// jemalloc's answer for one pointer: slabcur address, then the pointer's
/// slab's free and total regions and size, then the bin's free and total
/// regions.
#[allow(unsafe_code)]
fn utilization(ptr: *const u8) -> Option<[usize; 6]> {
    let mib = QUERY_MIB.with(|m| *m)?;
    let mut out = [0usize; 6];
    let mut out_len = std::mem::size_of_val(&out);
    let p = ptr as *const libc::c_void;
    // SAFETY: `out` is exactly the 6-word output the query requires
    // (checked by jemalloc against `out_len`); the input is one pointer,
    // passed by address with its size. jemalloc only reads metadata about
    // the pointer's extent (an unknown pointer zeroes the output).
    let rc = unsafe {
        tikv_jemalloc_sys::mallctlbymib(
            mib.as_ptr(),
            mib.len(),
            out.as_mut_ptr() as *mut libc::c_void,
            &mut out_len,
            &p as *const *const libc::c_void as *mut libc::c_void,
            std::mem::size_of::<*const libc::c_void>(),
        )
    };
    (rc == 0).then_some(out)
}

/// Whether the allocation at `ptr` should move (Redis's defrag hint): it
/// is a small (slab) allocation, its slab is neither full nor the one new
/// allocations come from, and it is used no more than the bin's average
/// slab without the current one (give or take one region).
pub fn defrag_hint(ptr: *const u8) -> bool {
    let Some([slabcur, nfree, nregs, size, bin_nfree, bin_nregs]) = utilization(ptr) else {
        return false;
    };
    if slabcur == 0 || nregs <= 1 || nfree == 0 {
        return false;
    }
    let p = ptr as usize;
    if p >= slabcur && p < slabcur + size {
        return false;
    }
    // The bin without slabcur.
    let Some([_, cur_nfree, ..]) = utilization(slabcur as *const u8) else {
        return false;
    };
    let curslabs = (bin_nregs / nregs).saturating_sub(1);
    let curregs = bin_nregs
        .saturating_sub(bin_nfree)
        .saturating_sub(nregs.saturating_sub(cur_nfree));
    // One region of slack: a slab exactly at the average moves too. Redis
    // gets that slack from the regions its thread cache holds (counted as
    // used by the bin); without it, slabs left uniformly half full (every
    // other key deleted) would all sit at the average and never drain.
    (nregs - nfree).saturating_sub(1) * curslabs <= curregs
}

/// Disables the thread's allocation cache while alive (jemalloc
/// `thread.tcache.enabled`), so moved allocations come from the slabs and
/// freed ones go back to them at once.
pub struct TcacheOff {
    was_enabled: bool,
}

#[allow(unsafe_code)]
fn tcache_set(enabled: bool) -> Option<bool> {
    let mut old = false;
    let mut old_len = std::mem::size_of::<bool>();
    let mut new = enabled;
    // SAFETY: `thread.tcache.enabled` reads and writes one bool; the
    // buffers are a bool each with their sizes.
    let rc = unsafe {
        tikv_jemalloc_sys::mallctl(
            c"thread.tcache.enabled".as_ptr(),
            &mut old as *mut bool as *mut libc::c_void,
            &mut old_len,
            &mut new as *mut bool as *mut libc::c_void,
            std::mem::size_of::<bool>(),
        )
    };
    (rc == 0).then_some(old)
}

impl TcacheOff {
    /// Turns the cache off (flushing it) until the guard drops.
    pub fn new() -> TcacheOff {
        TcacheOff {
            was_enabled: tcache_set(false).unwrap_or(false),
        }
    }
}

impl Default for TcacheOff {
    fn default() -> Self {
        TcacheOff::new()
    }
}

impl Drop for TcacheOff {
    fn drop(&mut self) {
        if self.was_enabled {
            tcache_set(true);
        }
    }
}

// ---- The primitives ----

/// Asks [`defrag_hint`] about the allocation holding `p` and counts a
/// miss when it stays.
fn should_move(p: *const u8) -> bool {
    let moved = defrag_hint(p);
    if !moved {
        count(false);
    }
    moved
}

/// Moves `size` bytes at `old` (allocated by the global allocator with
/// `layout`) to a new allocation when [`defrag_hint`] says so; returns the
/// new address.
#[allow(unsafe_code)]
fn move_alloc(old: *mut u8, layout: Layout) -> Option<*mut u8> {
    if layout.size() == 0 || !should_move(old) {
        return None;
    }
    // SAFETY: `layout` has a non-zero size. The new block is at least
    // `layout.size()` bytes and does not overlap `old`, which the caller
    // guarantees is a live allocation of `layout` from the global allocator.
    let new = unsafe { std::alloc::alloc(layout) };
    if new.is_null() {
        count(false);
        return None;
    }
    // SAFETY: see above; `old` is freed with the layout it was allocated
    // with, after its bytes were copied, and the caller stops using it.
    unsafe {
        std::ptr::copy_nonoverlapping(old, new, layout.size());
        std::alloc::dealloc(old, layout);
    }
    count(true);
    Some(new)
}

/// Moves the allocation of a `Box<T>` when fragmented (Redis
/// `activeDefragAlloc`). True when it moved.
#[allow(unsafe_code)]
pub fn defrag_box<T>(b: &mut Box<T>) -> bool {
    let layout = Layout::new::<T>();
    let old = &mut **b as *mut T as *mut u8;
    let Some(new) = move_alloc(old, layout) else {
        return false;
    };
    // SAFETY: `new` holds a bitwise copy of the `T` (moving a value is a
    // bitwise copy, and nothing points into it: see the module docs) in an
    // allocation of `Layout::new::<T>()` from the global allocator, which
    // is what a `Box<T>` owns. The old box's memory was freed by
    // `move_alloc`, so the old box is forgotten, never dropped.
    unsafe {
        let fresh = Box::from_raw(new as *mut T);
        std::mem::forget(std::mem::replace(b, fresh));
    }
    true
}

/// Moves a `Box<[u8]>` when fragmented. True when it moved.
#[allow(unsafe_code)]
pub fn defrag_bytes(b: &mut Box<[u8]>) -> bool {
    let len = b.len();
    let Ok(layout) = Layout::array::<u8>(len) else {
        return false;
    };
    let old = b.as_mut_ptr();
    let Some(new) = move_alloc(old, layout) else {
        return false;
    };
    // SAFETY: `new` is an allocation of `len` bytes (align 1) holding the
    // slice's bytes, as a `Box<[u8]>` of that length owns; the old
    // allocation was freed, so the old box is forgotten.
    unsafe {
        let fresh = Box::from_raw(std::ptr::slice_from_raw_parts_mut(new, len));
        std::mem::forget(std::mem::replace(b, fresh));
    }
    true
}

/// Moves a `Vec<T>`'s buffer (its whole capacity) when fragmented. True
/// when it moved.
#[allow(unsafe_code)]
pub fn defrag_vec<T>(v: &mut Vec<T>) -> bool {
    let cap = v.capacity();
    let Ok(layout) = Layout::array::<T>(cap) else {
        return false;
    };
    let old = v.as_mut_ptr() as *mut u8;
    let Some(new) = move_alloc(old, layout) else {
        return false;
    };
    let len = v.len();
    // SAFETY: `new` is an allocation of `Layout::array::<T>(cap)` holding
    // the `len` initialized elements; the old buffer was freed, so the old
    // vector is forgotten, never dropped.
    unsafe {
        let fresh = Vec::from_raw_parts(new as *mut T, len, cap);
        std::mem::forget(std::mem::replace(v, fresh));
    }
    true
}

/// Moves a `ThinVec<u8>` (header and bytes are one allocation) when
/// fragmented, keeping its capacity. True when it moved.
pub fn defrag_thin_vec(v: &mut thin_vec::ThinVec<u8>) -> bool {
    if v.capacity() == 0 || !should_move(v.as_ptr()) {
        return false;
    }
    let mut fresh = thin_vec::ThinVec::with_capacity(v.capacity());
    fresh.extend_from_slice(v);
    *v = fresh;
    count(true);
    true
}

/// Moves a `Bytes` that owns its buffer alone (replacing it with a fresh
/// copy) when fragmented. True when it moved.
pub fn defrag_shared_bytes(b: &mut bytes::Bytes) -> bool {
    if b.is_empty() || !should_move(b.as_ptr()) {
        return false;
    }
    *b = bytes::Bytes::copy_from_slice(b);
    count(true);
    true
}

/// Moves a `VecDeque<T>`'s buffer when fragmented. True when it moved.
pub fn defrag_vec_deque<T>(d: &mut std::collections::VecDeque<T>) -> bool {
    let front = d.as_slices().0;
    if front.is_empty()
        || std::mem::size_of::<T>() == 0
        || !should_move(front.as_ptr() as *const u8)
    {
        return false;
    }
    let mut fresh = std::collections::VecDeque::with_capacity(d.capacity());
    fresh.extend(d.drain(..));
    *d = fresh;
    count(true);
    true
}

// ---- The cycle ----

/// Allocator fragmentation now: (percent over 100, wasted bytes) from
/// jemalloc's `active` and `allocated` (Redis `getAllocatorFragmentation`).
fn allocator_fragmentation() -> (f64, u64) {
    let m = crate::evict::MallocStats::sample();
    let (allocated, active) = (m.allocator_allocated, m.allocator_active);
    if allocated == 0 {
        return (0.0, 0);
    }
    let pct = (active as f64 / allocated as f64) * 100.0 - 100.0;
    (pct, active.saturating_sub(allocated))
}

/// Decides whether to run and with what CPU share (Redis
/// `computeDefragCycles`): starts a pass, or raises the share of the one
/// in progress.
fn compute_defrag_cycles(srv: &mut Server) {
    let (frag_pct, frag_bytes) = allocator_fragmentation();
    let cfg = &srv.config;
    if frag_pct < cfg.active_defrag_threshold_lower as f64
        || frag_bytes < cfg.active_defrag_ignore_bytes
    {
        return;
    }
    let (lo, hi) = (
        cfg.active_defrag_threshold_lower as f64,
        cfg.active_defrag_threshold_upper as f64,
    );
    let (cmin, cmax) = (
        cfg.active_defrag_cycle_min as f64,
        cfg.active_defrag_cycle_max as f64,
    );
    let cpu = if hi > lo {
        cmin + (frag_pct - lo) * (cmax - cmin) / (hi - lo)
    } else {
        cmax
    };
    let cpu = (cpu as i32).clamp(cfg.active_defrag_cycle_min, cfg.active_defrag_cycle_max);
    let d = &mut srv.defrag;
    if cpu > d.running {
        if d.running == 0 {
            tracing::debug!(
                "Starting active defrag, frag={:.0}%, frag_bytes={}, cpu={}%",
                frag_pct,
                frag_bytes,
                cpu
            );
            d.run_start.get_or_insert_with(Instant::now);
            d.pass_start = Instant::now();
            d.run_hits = 0;
        }
        d.running = cpu;
    }
}

/// One time-boxed step of active defrag (Redis `activeDefragCycle`),
/// from `databases_cron` and the while-blocked cron. A pass that ends with
/// time left checks the fragmentation again and, still above the
/// threshold, starts the next pass at once.
pub fn active_defrag_cycle(srv: &mut Server) {
    if !srv.config.activedefrag {
        if srv.defrag.running != 0 || srv.defrag.run_start.is_some() {
            // Switched off mid-pass: start from scratch next time.
            reset_pass(&mut srv.defrag);
            stop_timer(&mut srv.defrag);
        }
        return;
    }
    if crate::childinfo::has_active_child_process(srv) || !supported() {
        return;
    }
    if crate::server::run_with_period(srv, 1000) {
        compute_defrag_cycles(srv);
    }
    if srv.defrag.running == 0 {
        stop_timer(&mut srv.defrag);
        return;
    }
    let start = Instant::now();
    let budget =
        Duration::from_micros((srv.defrag.running as u64 * 10_000 / srv.hz.max(1) as u64).max(1));
    {
        let _tcache = TcacheOff::new();
        loop {
            if !defrag_step(srv, start, budget) {
                break;
            }
            end_pass(srv);
            compute_defrag_cycles(srv);
            if srv.defrag.running == 0 || start.elapsed() >= budget {
                break;
            }
        }
    }
    let d = &mut srv.defrag;
    d.add_counts();
    if d.running == 0 {
        stop_timer(d);
    }
    let ms = start.elapsed().as_millis() as u64;
    crate::latency::latency_add_sample_if_needed(srv, "active-defrag-cycle", ms);
}

/// Back to the start of the keyspace, idle.
fn reset_pass(d: &mut DefragState) {
    d.running = 0;
    d.db = 0;
    d.stage = Stage::Keys;
    d.cursor = 0;
    d.later.clear();
    d.scripts_left = None;
}

/// Adds the time since the first pass started to
/// `total_active_defrag_time`.
fn stop_timer(d: &mut DefragState) {
    d.total_time_ms += d.current_time_ms();
    d.run_start = None;
}

/// Ends a completed pass, logging it.
fn end_pass(srv: &mut Server) {
    let (frag_pct, frag_bytes) = allocator_fragmentation();
    let d = &mut srv.defrag;
    d.add_counts();
    tracing::debug!(
        "Active defrag done in {}ms, reallocated={}, frag={:.0}%, frag_bytes={}",
        d.pass_start.elapsed().as_millis(),
        d.run_hits,
        frag_pct,
        frag_bytes
    );
    reset_pass(d);
}

/// Walks the keyspace from the saved position until `budget` is spent;
/// true when the walk is complete.
fn defrag_step(srv: &mut Server, start: Instant, budget: Duration) -> bool {
    let max_fields = srv.config.active_defrag_max_scan_fields.max(1) as usize;
    loop {
        if let Some((key, cursor, hit)) = srv.defrag.later.pop_front() {
            let db = srv.defrag.db;
            let before = COUNTS.with(|c| c.get().0);
            let next = srv
                .dbs
                .get_mut(db)
                .and_then(|d| d.dict.get_mut(&key))
                .map_or(0, |o| defrag_value_part(&mut o.v, cursor, max_fields));
            let hit = hit || COUNTS.with(|c| c.get().0) > before;
            if next != 0 {
                srv.defrag.later.push_front((key, next, hit));
            } else if hit {
                srv.defrag.key_hits += 1;
            } else {
                srv.defrag.key_misses += 1;
            }
        } else {
            let db = srv.defrag.db;
            if db >= srv.dbs.len() {
                // What lives outside the keyspace: the EVAL scripts' bodies
                // (Redis `defragOtherGlobals`), 64 per step.
                let mut left = match srv.defrag.scripts_left.take() {
                    Some(left) => left,
                    None => crate::eval::script_shas(srv),
                };
                let batch = left.split_off(left.len().saturating_sub(64));
                crate::eval::defrag_scripts(srv, &batch);
                if left.is_empty() {
                    return true;
                }
                srv.defrag.scripts_left = Some(left);
                if start.elapsed() >= budget {
                    return false;
                }
                continue;
            }
            let cursor = srv.defrag.cursor;
            let stage = srv.defrag.stage;
            let d = &mut srv.dbs[db];
            let later = &mut srv.defrag.later;
            let (mut kh, mut km) = (0u64, 0u64);
            let next = match stage {
                Stage::Keys => d.dict.scan_defrag(cursor, &mut |key, o, moved| {
                    if value_len(&o.v) > max_fields {
                        // Counted as a hit or a miss when its turn ends.
                        later.push_back((key.to_vec(), 0, moved));
                        return;
                    }
                    let before = COUNTS.with(|c| c.get().0);
                    defrag_value(&mut o.v);
                    if moved || COUNTS.with(|c| c.get().0) > before {
                        kh += 1;
                    } else {
                        km += 1;
                    }
                }),
                Stage::Expires => d.expires.scan_defrag(cursor, &mut |_, _, _| {}),
            };
            srv.defrag.key_hits += kh;
            srv.defrag.key_misses += km;
            srv.defrag.cursor = next;
            if next == 0 {
                match stage {
                    Stage::Keys => srv.defrag.stage = Stage::Expires,
                    Stage::Expires => {
                        srv.defrag.stage = Stage::Keys;
                        srv.defrag.db += 1;
                        // A database done ends the cycle, as in Redis (a
                        // pass takes at least one cycle per database).
                        return false;
                    }
                }
            }
        }
        if start.elapsed() >= budget {
            return false;
        }
    }
}

/// Elements of a value, to decide whether it is defragged across cycles.
fn value_len(v: &crate::object::Value) -> usize {
    use crate::object::Value;
    match v {
        Value::List(q) => q.node_count(),
        Value::Hash(crate::t_hash::HashObj::Table(d)) => d.len(),
        Value::Set(crate::t_set::SetObj::Table(d)) => d.len(),
        Value::ZSet(crate::t_zset::ZSetObj::Skiplist(z)) => z.len(),
        Value::Stream(s) => s.rax.len(),
        _ => 0,
    }
}

/// Defrags a whole value.
fn defrag_value(v: &mut crate::object::Value) {
    let mut cursor = 0;
    loop {
        cursor = defrag_value_part(v, cursor, usize::MAX);
        if cursor == 0 {
            break;
        }
    }
}

/// Defrags part of a value from `cursor` (0 = start, including the
/// value's own allocations) covering about `max` elements; returns the
/// cursor to go on with, 0 when done.
fn defrag_value_part(v: &mut crate::object::Value, cursor: u128, max: usize) -> u128 {
    use crate::object::Value;
    use crate::t_hash::HashObj;
    use crate::t_set::SetObj;
    use crate::t_zset::ZSetObj;
    match v {
        Value::Int(_) | Value::IntOwned(_) | Value::Inline(_) => 0,
        Value::Emb(b) => {
            defrag_bytes(b);
            0
        }
        Value::Raw(t) => {
            defrag_thin_vec(t);
            0
        }
        Value::List(q) => {
            if cursor == 0 {
                defrag_box(q);
            }
            q.defrag_nodes(cursor as u64, max).into()
        }
        Value::Hash(HashObj::Listpack(lp)) | Value::ZSet(ZSetObj::Listpack(lp)) => {
            lp.defrag();
            0
        }
        Value::Hash(HashObj::Table(d)) => {
            if cursor == 0 {
                defrag_box(d);
            }
            scan_dict_part(d, cursor as u64, max, &mut |_, val| {
                if let crate::dict::DictKey::Heap(b) = val {
                    defrag_bytes(b);
                }
            })
            .into()
        }
        Value::Set(SetObj::Intset(is)) => {
            is.defrag();
            0
        }
        Value::Set(SetObj::Table(d)) => {
            if cursor == 0 {
                defrag_box(d);
            }
            scan_dict_part(d, cursor as u64, max, &mut |_, _| {}).into()
        }
        Value::ZSet(ZSetObj::Skiplist(z)) => {
            if cursor == 0 {
                defrag_box(z);
            }
            z.defrag_members(cursor as u64, max).into()
        }
        Value::Stream(s) => {
            if cursor == 0 {
                defrag_box(s);
            }
            s.defrag_nodes(cursor, max)
        }
    }
}

/// SCAN steps over `d` from `cursor` until about `max` entries were seen;
/// the cursor to go on with (0: done).
fn scan_dict_part<V>(
    d: &mut crate::dict::Dict<V>,
    mut cursor: u64,
    max: usize,
    f: &mut dyn FnMut(&[u8], &mut V),
) -> u64 {
    let mut seen = 0usize;
    loop {
        cursor = d.scan_defrag(cursor, &mut |k, v, _| {
            seen += 1;
            f(k, v)
        });
        if cursor == 0 || seen >= max {
            return cursor;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fills slabs of one size class, frees every other allocation, and
    /// checks that the hint picks about half of the survivors and that
    /// moving them empties slabs (jemalloc's `active` drops).
    fn fragment_and_move<T>(
        make: impl Fn(usize) -> T,
        mv: impl Fn(&mut T) -> bool,
        ptr: impl Fn(&T) -> *const u8,
    ) -> (usize, usize) {
        let _tc = TcacheOff::new();
        let mut v: Vec<Option<T>> = (0..20_000).map(|i| Some(make(i))).collect();
        for (i, x) in v.iter_mut().enumerate() {
            if i % 2 == 0 {
                *x = None;
            }
        }
        let hinted = v.iter().flatten().filter(|x| defrag_hint(ptr(x))).count();
        let moved = v.iter_mut().flatten().map(&mv).filter(|m| *m).count();
        (hinted, moved)
    }

    #[test]
    fn hint_moves_from_sparse_slabs() {
        assert!(supported());
        let (h, m) = fragment_and_move(
            |i| vec![i as u8; 150].into_boxed_slice(),
            defrag_bytes,
            |b| b.as_ptr(),
        );
        assert!(h > 1000 && m > 1000, "boxed bytes: hinted {h}, moved {m}");
        let (h, m) = fragment_and_move(
            |i| {
                let mut t = thin_vec::ThinVec::with_capacity(151);
                t.extend_from_slice(&[i as u8; 151]);
                t
            },
            defrag_thin_vec,
            |t| t.as_ptr(),
        );
        assert!(h > 1000 && m > 1000, "thin vec: hinted {h}, moved {m}");
    }
}
