//! Memory accounting, `maxmemory` eviction and the MEMORY subcommands
//! (Redis `evict.c`, `lazyfree.c`'s eviction part and `object.c`'s
//! MEMORY STATS / DOCTOR).
//!
//! # How memory is counted
//! Redis keeps its own counter of every allocation (`zmalloc_used_memory`)
//! and reads it before each command. We get the same figure for free from
//! jemalloc: every thread has `thread.allocated` / `thread.deallocated`
//! counters (usable bytes) that jemalloc updates on its fast path anyway.
//! [`zmalloc_used_memory`] is the main thread's allocated minus
//! deallocated, plus what the lazy-free thread published after its last
//! free (it mostly frees memory the main thread allocated, so its share is
//! negative). That is two thread-local loads and an atomic load (about
//! 3 ns), against some 20 µs for refreshing jemalloc's global statistics
//! epoch, so `process_command` can check the limit before every command.
//! The allocator-wide figures (allocated, active, resident) and the RSS are
//! sampled by the cron every 100 ms ([`MallocStats`]), as Redis's
//! `cron_malloc_stats`. Memory that does not count against the limit (the
//! AOF buffer, and replica output buffers once replication exists) is
//! subtracted ([`free_memory_get_not_counted_memory`]), so the DELs that
//! eviction writes to the AOF do not cause more eviction.
//!
//! # Approximated LRU / LFU
//! Each value's `lru` field holds, under an LRU policy, the 24-bit LRU
//! clock (seconds, wrapping) of its last access; under an LFU policy, 16
//! bits of "last decrement time" in minutes and an 8-bit logarithmic
//! counter: each access increments the counter with probability
//! `1/((counter-5)*lfu_log_factor+1)`, and the counter decays by one for
//! every `lfu_decay_time` minutes idle.
//!
//! Eviction does not sort the keyspace. For each key to evict it samples
//! `maxmemory-samples` keys from every database (the main dict under
//! `allkeys-*`, the expires dict under `volatile-*`) and offers them to a
//! pool of [`EVPOOL_SIZE`] candidates kept sorted by score (idle time for
//! LRU, `255 - counter` for LFU, `u64::MAX - expire time` for
//! volatile-ttl). The best-scoring candidate that still exists is evicted.
//! The pool lives across calls, so good candidates found earlier are not
//! lost; each entry keeps a preallocated key buffer so that filling the
//! pool does not allocate. The random policies pick a random key of each
//! database in turn.
//!
//! # The budget
//! [`perform_evictions`] runs before every command while over the limit.
//! It evicts until enough memory was freed, checking every 16 keys whether
//! its time budget (`maxmemory-eviction-tenacity`: 500 µs by default) is
//! spent; if so it schedules the eviction time event, which keeps evicting
//! on every loop turn while clients are served. Commands that may grow
//! memory (`denyoom`) get the OOM error only when nothing could be evicted
//! ([`EvictResult::Fail`]).

use std::cell::Cell;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Instant;

use rand::RngExt;
use tikv_jemalloc_ctl::thread::ThreadLocal;

use crate::config::MaxmemoryPolicy;
use crate::db::RedisDb;
use crate::dict::Dict;
use crate::networking::Client;
use crate::object::RObj;
use crate::server::{LRU_CLOCK_MAX, LRU_CLOCK_RESOLUTION, Server};
use crate::util::zmalloc_size;

/// Initial LFU counter of a new key (Redis `LFU_INIT_VAL`).
pub const LFU_INIT_VAL: u32 = 5;

/// Minutes since the epoch, 16 bits (Redis `LFUGetTimeInMinutes`).
pub fn lfu_time_in_minutes(now_ms: i64) -> u32 {
    ((now_ms / 1000 / 60) & 65535) as u32
}

fn lfu_time_elapsed(ldt: u32, now_ms: i64) -> u32 {
    let now = lfu_time_in_minutes(now_ms);
    if now >= ldt {
        now - ldt
    } else {
        65535 - ldt + now
    }
}

/// The `lru` field of a new key under an LFU policy.
pub fn lfu_init(now_ms: i64) -> u32 {
    (lfu_time_in_minutes(now_ms) << 8) | LFU_INIT_VAL
}

/// The counter after decay, without updating the field (Redis `LFUDecrAndReturn`).
pub fn lfu_decr_and_return(lru: u32, now_ms: i64, decay_time: i64) -> u32 {
    let ldt = lru >> 8;
    let counter = lru & 255;
    let periods = if decay_time > 0 {
        lfu_time_elapsed(ldt, now_ms) as i64 / decay_time
    } else {
        0
    };
    if periods > 0 {
        if periods > counter as i64 {
            0
        } else {
            counter - periods as u32
        }
    } else {
        counter
    }
}

/// Logarithmic increment (Redis `LFULogIncr`).
pub fn lfu_log_incr(counter: u32, log_factor: i64) -> u32 {
    if counter == 255 {
        return 255;
    }
    let r: f64 = rand::rng().random();
    let baseval = counter.saturating_sub(LFU_INIT_VAL) as f64;
    let p = 1.0 / (baseval * log_factor as f64 + 1.0);
    if r < p { counter + 1 } else { counter }
}

/// The `lru` field after an access under an LFU policy (Redis `updateLFU`).
pub fn lfu_touch(lru: u32, now_ms: i64, log_factor: i64, decay_time: i64) -> u32 {
    let counter = lfu_log_incr(lfu_decr_and_return(lru, now_ms, decay_time), log_factor);
    (lfu_time_in_minutes(now_ms) << 8) | counter
}

/// Idle time in ms from the LRU clock (Redis `estimateObjectIdleTime`).
pub fn estimate_idle_time_ms(lruclock: u32, lru: u32) -> i64 {
    let ticks = if lruclock >= lru {
        (lruclock - lru) as i64
    } else {
        (lruclock as i64) + (LRU_CLOCK_MAX - lru) as i64
    };
    ticks * LRU_CLOCK_RESOLUTION
}

// ---- Memory accounting ----

thread_local! {
    /// jemalloc's `thread.allocatedp` / `thread.deallocatedp` of this
    /// thread, looked up once per thread.
    static THREAD_COUNTERS: Cell<Option<(ThreadLocal<u64>, ThreadLocal<u64>)>> =
        const { Cell::new(None) };
}

/// Net bytes of the background (bio) threads together: what they
/// allocated minus what they freed, mostly negative (they free values and
/// jobs the main thread allocated). Kept by [`publish_thread_memory`].
static BIO_NET: AtomicI64 = AtomicI64::new(0);

thread_local! {
    /// What this (background) thread last added to [`BIO_NET`].
    static PUBLISHED_NET: Cell<i64> = const { Cell::new(0) };
}

/// Bytes allocated minus bytes freed by the calling thread, from jemalloc's
/// per-thread counters (usable sizes, as Redis's `zmalloc` counts them).
///
/// # Latency
/// Two loads from thread-local storage; the counters are located with one
/// `mallctl` the first time a thread asks.
#[inline]
pub fn thread_net_allocated() -> i64 {
    THREAD_COUNTERS.with(|cell| {
        let (a, d) = match cell.get() {
            Some(p) => p,
            None => match (
                tikv_jemalloc_ctl::thread::allocatedp::read(),
                tikv_jemalloc_ctl::thread::deallocatedp::read(),
            ) {
                (Ok(a), Ok(d)) => {
                    cell.set(Some((a, d)));
                    (a, d)
                }
                _ => return 0,
            },
        };
        a.get().wrapping_sub(d.get()) as i64
    })
}

/// Called by a background thread after each job: adds the change of the
/// thread's net allocation since its last call to the background total,
/// so [`zmalloc_used_memory`] sees the memory it gave back (any number of
/// threads may publish).
pub fn publish_thread_memory() {
    let net = thread_net_allocated();
    let prev = PUBLISHED_NET.with(|p| p.replace(net));
    BIO_NET.fetch_add(net.wrapping_sub(prev), Ordering::Relaxed);
}

/// Bytes allocated by the server (Redis `zmalloc_used_memory`): the main
/// thread's net allocation plus the background threads'. Called from the
/// main thread. Unlike jemalloc's `stats.allocated` it needs no epoch
/// refresh, so `process_command` can call it for every write under
/// `maxmemory`.
///
/// # Latency
/// Two thread-local loads and one atomic load.
#[inline]
pub fn zmalloc_used_memory() -> u64 {
    (thread_net_allocated() + BIO_NET.load(Ordering::Relaxed)).max(0) as u64
}

/// The allocator and process figures sampled by the cron every 100 ms
/// (Redis `server.cron_malloc_stats`), in bytes.
#[derive(Default, Clone, Copy, Debug)]
pub struct MallocStats {
    /// [`zmalloc_used_memory`] when sampled.
    pub zmalloc_used: u64,
    /// Resident set size of the process (`/proc/self/statm`).
    pub process_rss: u64,
    /// jemalloc `stats.allocated`.
    pub allocator_allocated: u64,
    /// jemalloc `stats.active`.
    pub allocator_active: u64,
    /// jemalloc `stats.resident`.
    pub allocator_resident: u64,
}

impl MallocStats {
    /// Samples the figures now (Redis `cronUpdateMemoryStats`): advances
    /// jemalloc's stats epoch, then reads them. When the allocator gives
    /// nothing, its fields fall back to the used memory, as Redis does.
    pub fn sample() -> MallocStats {
        let used = zmalloc_used_memory();
        let _ = tikv_jemalloc_ctl::epoch::advance();
        let read = |r: tikv_jemalloc_ctl::Result<usize>| r.map(|v| v as u64).unwrap_or(0);
        let mut m = MallocStats {
            zmalloc_used: used,
            process_rss: crate::info::process_rss().unwrap_or(used),
            allocator_allocated: read(tikv_jemalloc_ctl::stats::allocated::read()),
            allocator_active: read(tikv_jemalloc_ctl::stats::active::read()),
            allocator_resident: read(tikv_jemalloc_ctl::stats::resident::read()),
        };
        if m.allocator_resident == 0 {
            m.allocator_resident = m.process_rss;
        }
        if m.allocator_active == 0 {
            m.allocator_active = m.allocator_resident;
        }
        if m.allocator_allocated == 0 {
            m.allocator_allocated = used;
        }
        m
    }
}

/// Memory that does not count against `maxmemory` (Redis
/// `freeMemoryGetNotCountedMemory`): the AOF buffer while the AOF is on,
/// and (with replication) the replica output buffers beyond the backlog.
/// Without it, evicting keys would grow the AOF buffer by their DELs,
/// which would trigger more evictions.
pub fn free_memory_get_not_counted_memory(srv: &Server) -> u64 {
    // Replicas and the backlog share one buffer: what exceeds the backlog
    // size (plus its blocks' bookkeeping) is the replicas' own.
    let replicas = crate::replication::master::replica_buffers_not_counted(srv) as u64;
    let aof = if srv.aof.is_on() {
        srv.aof.buf.capacity() as u64
    } else {
        0
    };
    replicas + aof
}

/// Where memory stands against `maxmemory` (Redis `getMaxmemoryState`).
#[derive(Default, Clone, Copy, Debug)]
pub struct MaxmemoryState {
    /// Bytes allocated ([`zmalloc_used_memory`]).
    pub total: u64,
    /// Bytes that count against maxmemory (`total` minus the not-counted
    /// memory); only set when over the limit.
    pub logical: u64,
    /// Bytes to free to get under the limit; 0 when under it.
    pub tofree: u64,
    /// `logical / maxmemory` (0 without maxmemory); only computed when
    /// asked for.
    pub level: f32,
}

/// Checks the memory against `maxmemory` (Redis `getMaxmemoryState`):
/// `(true, _)` when within the limit (or no limit is set), `(false, st)`
/// with `st.tofree` bytes to free otherwise. `want_level` computes
/// `st.level` even when under the limit (it costs the not-counted sum).
pub fn get_maxmemory_state(srv: &Server, want_level: bool) -> (bool, MaxmemoryState) {
    let reported = zmalloc_used_memory();
    let mut st = MaxmemoryState {
        total: reported,
        ..Default::default()
    };
    let max = srv.config.maxmemory;
    if max == 0 {
        return (true, st);
    }
    if reported <= max && !want_level {
        return (true, st);
    }
    let used = reported.saturating_sub(free_memory_get_not_counted_memory(srv));
    if want_level {
        st.level = used as f32 / max as f32;
    }
    if reported <= max || used <= max {
        return (true, st);
    }
    st.logical = used;
    st.tofree = used - max;
    (false, st)
}

/// `maxmemory` as the keyspace dicts see it (see [`dict_expand_allowed`]);
/// kept by [`update_maxmemory`] and at startup.
static MAXMEMORY_FOR_DICTS: AtomicU64 = AtomicU64::new(0);

/// Redis's hash table load factor above which growth is never refused
/// (`HASHTABLE_MAX_LOAD_FACTOR`).
const HASHTABLE_MAX_LOAD_FACTOR: f64 = 1.618;

/// May a keyspace dict allocate a new bucket array of `moremem` bytes at
/// load factor `used_ratio` (Redis `dictExpandAllowed`)? Always above
/// load 1.618; below it, only when the allocation keeps the server within
/// `maxmemory`. (The not-counted memory is not subtracted here: the dict
/// has no access to the server, so this errs towards not growing.)
pub fn dict_expand_allowed(moremem: usize, used_ratio: f64) -> bool {
    if used_ratio > HASHTABLE_MAX_LOAD_FACTOR {
        return true;
    }
    let max = MAXMEMORY_FOR_DICTS.load(Ordering::Relaxed);
    max == 0 || zmalloc_used_memory() + moremem as u64 <= max
}

/// Tells the keyspace dicts the current `maxmemory`.
pub fn set_maxmemory_for_dicts(max: u64) {
    MAXMEMORY_FOR_DICTS.store(max, Ordering::Relaxed);
}

/// True when allocating `moremem` more bytes would put the server over
/// `maxmemory` (Redis `overMaxmemoryAfterAlloc`).
pub fn over_maxmemory_after_alloc(srv: &Server, moremem: u64) -> bool {
    let max = srv.config.maxmemory;
    if max == 0 {
        return false;
    }
    let used = zmalloc_used_memory();
    if used + moremem <= max {
        return false;
    }
    let used = used.saturating_sub(free_memory_get_not_counted_memory(srv));
    used + moremem > max
}

// ---- The eviction pool ----

/// Candidates kept between eviction rounds (Redis `EVPOOL_SIZE`).
pub const EVPOOL_SIZE: usize = 16;
/// Keys up to this length are copied into the entry's preallocated
/// buffer; longer ones get their own allocation (Redis
/// `EVPOOL_CACHED_SDS_SIZE`).
pub const EVPOOL_CACHED_SDS_SIZE: usize = 255;

/// One candidate of the pool (Redis `evictionPoolEntry`).
struct PoolEntry {
    /// The score: higher is a better candidate (idle ms for LRU, 255 minus
    /// the counter for LFU, `u64::MAX` minus the expire time for TTL).
    idle: u64,
    /// The entry holds a key.
    present: bool,
    dbid: usize,
    /// Reusable buffer (capacity [`EVPOOL_CACHED_SDS_SIZE`]) for short keys.
    cached: Vec<u8>,
    /// A key longer than the cached buffer.
    long: Option<Box<[u8]>>,
}

impl PoolEntry {
    fn new() -> PoolEntry {
        PoolEntry {
            idle: 0,
            present: false,
            dbid: 0,
            cached: Vec::with_capacity(EVPOOL_CACHED_SDS_SIZE),
            long: None,
        }
    }

    fn key(&self) -> &[u8] {
        self.long.as_deref().unwrap_or(&self.cached)
    }

    fn set(&mut self, key: &[u8], idle: u64, dbid: usize) {
        if key.len() > EVPOOL_CACHED_SDS_SIZE {
            self.long = Some(key.into());
        } else {
            self.long = None;
            self.cached.clear();
            self.cached.extend_from_slice(key);
        }
        self.idle = idle;
        self.dbid = dbid;
        self.present = true;
    }

    fn clear(&mut self) {
        self.present = false;
        self.idle = 0;
        self.long = None;
    }
}

/// Inserts a sampled key in the pool, kept in ascending score order (Redis
/// `evictionPoolPopulate`'s insertion): into a free slot, or shifting
/// entries right when there is room on the right, or else dropping the
/// worst candidate (slot 0) by shifting left. A key scoring below every
/// entry of a full pool is not inserted.
fn pool_insert(pool: &mut [PoolEntry], key: &[u8], idle: u64, dbid: usize) {
    let n = pool.len();
    let mut k = 0;
    while k < n && pool[k].present && pool[k].idle < idle {
        k += 1;
    }
    if k == 0 && pool[n - 1].present {
        return;
    } else if k < n && !pool[k].present {
        // Free slot: insert here.
    } else if !pool[n - 1].present {
        // Room on the right: shift k.. right by one (the free last slot,
        // with its buffer, comes to k).
        pool[k..].rotate_right(1);
    } else {
        // Full: drop slot 0, shift 1..k left, insert at k-1.
        k -= 1;
        pool[0].clear();
        pool[..=k].rotate_left(1);
    }
    pool[k].set(key, idle, dbid);
}

/// Samples `maxmemory-samples` keys of one database and offers them to
/// the pool (Redis `evictionPoolPopulate`). `allkeys` samples the main
/// dict, else the expires dict (whose keys are looked up in the main dict
/// for their LRU/LFU field, except under volatile-ttl).
#[allow(clippy::too_many_arguments)]
fn eviction_pool_populate(
    pool: &mut [PoolEntry],
    dbid: usize,
    db: &mut RedisDb,
    policy: MaxmemoryPolicy,
    samples: usize,
    lruclock: u32,
    now_ms: i64,
    decay_time: i64,
) {
    let score = |lru: u32| -> u64 {
        if policy_is_lfu(policy) {
            255 - lfu_decr_and_return(lru, now_ms, decay_time) as u64
        } else {
            estimate_idle_time_ms(lruclock, lru).max(0) as u64
        }
    };
    let RedisDb { dict, expires, .. } = db;
    if policy_is_allkeys(policy) {
        for (key, o) in dict.sample_entries(samples) {
            pool_insert(pool, key, score(o.lru), dbid);
        }
    } else {
        for (key, when) in expires.sample_entries(samples) {
            let idle = if policy == MaxmemoryPolicy::VolatileTtl {
                u64::MAX - *when as u64
            } else {
                match dict.get(key) {
                    Some(o) => score(o.lru),
                    None => continue,
                }
            };
            pool_insert(pool, key, idle, dbid);
        }
    }
}

fn policy_is_lfu(p: MaxmemoryPolicy) -> bool {
    matches!(
        p,
        MaxmemoryPolicy::VolatileLfu | MaxmemoryPolicy::AllkeysLfu
    )
}

fn policy_is_allkeys(p: MaxmemoryPolicy) -> bool {
    matches!(
        p,
        MaxmemoryPolicy::AllkeysLru | MaxmemoryPolicy::AllkeysLfu | MaxmemoryPolicy::AllkeysRandom
    )
}

// ---- Eviction ----

/// What [`perform_evictions`] achieved (Redis `EVICT_OK` / `EVICT_RUNNING`
/// / `EVICT_FAIL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvictResult {
    /// Under the limit (or evicting is not safe now).
    Ok,
    /// Still over the limit; the eviction time event continues the work.
    Running,
    /// Over the limit and nothing can be evicted (or the policy is
    /// noeviction).
    Fail,
}

/// Eviction state (Redis `EvictionPoolLRU` plus the eviction statistics
/// and the memory figures the cron samples).
pub struct EvictState {
    pool: Vec<PoolEntry>,
    /// Reusable buffer for the key being evicted (kept while its capacity
    /// is at most [`EVPOOL_CACHED_SDS_SIZE`]), so that evicting a key
    /// allocates nothing.
    best_key: Vec<u8>,
    /// Round-robin database cursor of the random policies.
    next_db: usize,
    /// The eviction time event is scheduled (Redis `isEvictionProcRunning`).
    pub proc_running: bool,
    /// The OOM state found before the current command ran (Redis
    /// `server.pre_command_oom_state`); scripts consult it.
    pub pre_command_oom_state: bool,
    /// µs spent over maxmemory in finished episodes (INFO
    /// `total_eviction_exceeded_time`, shown in ms).
    pub stat_total_eviction_exceeded_time: u64,
    /// When the current over-the-limit episode began (Redis
    /// `stat_last_eviction_exceeded_time`).
    pub stat_last_eviction_exceeded_time: Option<Instant>,
    /// [`zmalloc_used_memory`] right after startup (Redis
    /// `initial_memory_usage`, INFO `used_memory_startup`).
    pub initial_memory_usage: u64,
    /// The cron's sample of the allocator figures.
    pub cron_malloc_stats: MallocStats,
}

impl Default for EvictState {
    fn default() -> Self {
        EvictState {
            pool: (0..EVPOOL_SIZE).map(|_| PoolEntry::new()).collect(),
            best_key: Vec::with_capacity(EVPOOL_CACHED_SDS_SIZE),
            next_db: 0,
            proc_running: false,
            pre_command_oom_state: false,
            stat_total_eviction_exceeded_time: 0,
            stat_last_eviction_exceeded_time: None,
            initial_memory_usage: 0,
            cron_malloc_stats: MallocStats::default(),
        }
    }
}

impl EvictState {
    /// µs over maxmemory in the current episode (INFO
    /// `current_eviction_exceeded_time`, shown in ms).
    pub fn current_eviction_exceeded_time(&self) -> u64 {
        self.stat_last_eviction_exceeded_time
            .map_or(0, |t| t.elapsed().as_micros() as u64)
    }
}

/// The time budget of one eviction run in µs (Redis
/// `evictionTimeLimitUs`): `50 * tenacity` up to tenacity 10, then growing
/// 15% per step, unlimited at 100.
pub fn eviction_time_limit_us(tenacity: i32) -> u64 {
    if tenacity <= 10 {
        50 * tenacity.max(0) as u64
    } else if tenacity < 100 {
        (500.0 * 1.15f64.powf(tenacity as f64 - 10.0)) as u64
    } else {
        u64::MAX
    }
}

/// Evictions are not run while loading, while a timed-out script lets
/// other clients in (their DELs would mix with the script's effects), or
/// while clients are paused (the dataset stays as it is)
/// (Redis `isSafeToPerformEvictions`).
fn is_safe_to_perform_evictions(srv: &Server) -> bool {
    !(srv.script.is_timedout() || srv.loading || crate::networking::are_clients_paused(srv))
}

/// Schedules the eviction time event that continues an interrupted run
/// (Redis `startEvictionTimeProc`).
fn start_eviction_time_proc(srv: &mut Server) {
    if !srv.evict.proc_running {
        srv.evict.proc_running = true;
        let now = crate::util::mstime();
        srv.el
            .create_time_event(now, 0, crate::ae::TimerKind::EvictionTimeProc);
    }
}

/// The eviction time event (Redis `evictionTimeProc`): runs another round;
/// returns the ms until the next one (0) or None when done.
pub fn eviction_time_proc(srv: &mut Server) -> Option<i64> {
    if perform_evictions(srv) == EvictResult::Running {
        return Some(0);
    }
    srv.evict.proc_running = false;
    None
}

fn elapsed_ms(t: Instant) -> u64 {
    t.elapsed().as_millis() as u64
}

/// Picks the next key to evict under an LRU, LFU or TTL policy: refills
/// the pool from every database, then takes the best candidate that
/// still exists (entries of deleted keys are dropped). The key is copied
/// into `best` and its database returned; None when there are no
/// candidate keys at all.
fn pick_from_pool(srv: &mut Server, policy: MaxmemoryPolicy, best: &mut Vec<u8>) -> Option<usize> {
    let samples = srv.config.maxmemory_samples.max(1) as usize;
    let lruclock = srv.lru_clock();
    let now = srv.mstime;
    let decay = srv.config.lfu_decay_time as i64;
    let allkeys = policy_is_allkeys(policy);
    let Server { dbs, evict, .. } = srv;
    loop {
        let mut total_keys = 0;
        for (i, db) in dbs.iter_mut().enumerate() {
            let n = if allkeys {
                db.dict.len()
            } else {
                db.expires.len()
            };
            if n != 0 {
                eviction_pool_populate(
                    &mut evict.pool,
                    i,
                    db,
                    policy,
                    samples,
                    lruclock,
                    now,
                    decay,
                );
                total_keys += n;
            }
        }
        if total_keys == 0 {
            return None;
        }
        for k in (0..EVPOOL_SIZE).rev() {
            let e = &mut evict.pool[k];
            if !e.present {
                continue;
            }
            let dbid = e.dbid;
            let db = &dbs[dbid];
            let exists = if allkeys {
                db.dict.contains_key(e.key())
            } else {
                db.expires.contains_key(e.key())
            };
            if exists {
                best.clear();
                best.extend_from_slice(e.key());
            }
            e.clear();
            if exists {
                return Some(dbid);
            }
            // A ghost: the key went away since it was sampled.
        }
    }
}

/// Picks a random key under allkeys-random / volatile-random, visiting
/// the databases round robin; copies it into `best` and returns its
/// database.
fn pick_random(srv: &mut Server, allkeys: bool, best: &mut Vec<u8>) -> Option<usize> {
    let n = srv.dbs.len();
    for _ in 0..n {
        srv.evict.next_db = srv.evict.next_db.wrapping_add(1);
        let j = srv.evict.next_db % n;
        let db = &mut srv.dbs[j];
        let key = if allkeys {
            db.dict.random_entry().map(|(k, _)| k)
        } else {
            db.expires.random_entry().map(|(k, _)| k)
        };
        if let Some(k) = key {
            best.clear();
            best.extend_from_slice(k);
            return Some(j);
        }
    }
    None
}

/// Evicts keys until memory is under `maxmemory`, the policy allows no
/// more, or the time budget runs out (Redis `performEvictions`).
///
/// Each evicted key is deleted (on the bio thread when
/// `lazyfree-lazy-eviction` applies and the value is big), counted in
/// `evicted_keys`, signalled as modified (WATCH, tracking), announced as
/// the `evicted` keyspace event (class `e`) and propagated as `DEL` (or
/// `UNLINK`) without a MULTI wrapper. The freed amount is measured as the
/// drop of [`zmalloc_used_memory`] across the deletion.
///
/// Returns [`EvictResult::Ok`] when under the limit (also when evicting
/// is unsafe now), [`EvictResult::Running`] when the time budget
/// (`maxmemory-eviction-tenacity`) ran out and the eviction time event
/// will continue, [`EvictResult::Fail`] when over the limit with nothing
/// to evict (noeviction, or no candidate keys). Before failing it waits
/// up to the budget for lazy frees in flight.
///
/// # Latency
/// Bounded by the tenacity budget (500 µs by default), checked every 16
/// evicted keys; each key costs `maxmemory-samples` samples per database.
/// Latency events: `eviction-del` per key, `eviction-lazyfree` for the
/// wait, `eviction-cycle` for the whole run.
pub fn perform_evictions(srv: &mut Server) -> EvictResult {
    // `replica-ignore-maxmemory`: a replica holds what its master sends.
    if srv.repl.masterhost.is_some() && srv.config.replica_ignore_maxmemory {
        return EvictResult::Ok;
    }
    if !is_safe_to_perform_evictions(srv) {
        return EvictResult::Ok;
    }
    let result = perform_evictions_inner(srv);
    let ev = &mut srv.evict;
    match result {
        EvictResult::Running | EvictResult::Fail => {
            if ev.stat_last_eviction_exceeded_time.is_none() {
                ev.stat_last_eviction_exceeded_time = Some(Instant::now());
            }
        }
        EvictResult::Ok => {
            if let Some(t) = ev.stat_last_eviction_exceeded_time.take() {
                ev.stat_total_eviction_exceeded_time += t.elapsed().as_micros() as u64;
            }
        }
    }
    result
}

fn perform_evictions_inner(srv: &mut Server) -> EvictResult {
    let (ok, st) = get_maxmemory_state(srv, false);
    if ok {
        return EvictResult::Ok;
    }
    let policy = srv.config.maxmemory_policy;
    if policy == MaxmemoryPolicy::Noeviction {
        return EvictResult::Fail;
    }
    let limit_us = eviction_time_limit_us(srv.config.maxmemory_eviction_tenacity);
    let start = Instant::now();
    // Redis's `latencyStartMonitor`: no clock reads for latency samples
    // unless `latency-monitor-threshold` is set.
    let monitor = srv.config.latency_monitor_threshold != 0;
    // The DELs of this run are emitted together at its end, unwrapped.
    let pending = std::mem::take(&mut srv.also_propagate);
    // The key being evicted, in a buffer kept across runs.
    let mut key = std::mem::take(&mut srv.evict.best_key);
    let mut mem_freed: i64 = 0;
    let mut keys_freed: u64 = 0;
    let mut result = EvictResult::Fail;
    let mut finished = false;
    while !finished {
        if mem_freed >= st.tofree as i64 {
            break;
        }
        let best = match policy {
            MaxmemoryPolicy::AllkeysRandom => pick_random(srv, true, &mut key),
            MaxmemoryPolicy::VolatileRandom => pick_random(srv, false, &mut key),
            _ => pick_from_pool(srv, policy, &mut key),
        };
        let Some(dbid) = best else {
            finished = true;
            result = EvictResult::Fail;
            continue;
        };
        let lazy = srv.config.lazyfree_lazy_eviction;
        let before = zmalloc_used_memory() as i64;
        // The clock is read only while the latency monitor is on.
        let t = monitor.then(Instant::now);
        crate::db::db_generic_delete(srv, dbid, &key, lazy);
        if let Some(t) = t {
            crate::latency::latency_add_sample_if_needed(srv, "eviction-del", elapsed_ms(t));
        }
        mem_freed += before - zmalloc_used_memory() as i64;
        srv.stat_evictedkeys += 1;
        crate::db::signal_modified_key_no_client(srv, dbid, &key);
        crate::notify::notify_keyspace_event(
            srv,
            crate::notify::NOTIFY_EVICTED,
            "evicted",
            &key,
            dbid,
        );
        if crate::server::propagating(srv) {
            crate::expire::propagate_deletion(srv, dbid, &key, lazy);
        }
        keys_freed += 1;
        if keys_freed.is_multiple_of(16) {
            // Replica output buffers get flushed here once replication exists.
            if lazy && get_maxmemory_state(srv, false).0 {
                break;
            }
            if start.elapsed().as_micros() as u64 > limit_us {
                start_eviction_time_proc(srv);
                break;
            }
        }
    }
    if !finished {
        result = if srv.evict.proc_running {
            EvictResult::Running
        } else {
            EvictResult::Ok
        };
    }
    if result == EvictResult::Fail {
        // Nothing left to evict; values in flight to the lazy-free thread
        // may still bring memory under the limit.
        let t = Instant::now();
        while crate::bio::lazyfree_pending_objects() > 0
            && (start.elapsed().as_micros() as u64) < limit_us
        {
            if get_maxmemory_state(srv, false).0 {
                result = EvictResult::Ok;
                break;
            }
            std::thread::sleep(std::time::Duration::from_micros(limit_us.min(1000)));
        }
        crate::latency::latency_add_sample_if_needed(srv, "eviction-lazyfree", elapsed_ms(t));
    }
    if key.capacity() <= EVPOOL_CACHED_SDS_SIZE {
        srv.evict.best_key = key;
    }
    crate::server::propagate_pending(srv, false);
    srv.also_propagate = pending;
    if monitor {
        crate::latency::latency_add_sample_if_needed(srv, "eviction-cycle", elapsed_ms(start));
    }
    result
}

/// Applies a new `maxmemory` (Redis `updateMaxmemory`): warns when it is
/// below the memory in use, then schedules the eviction time event, which
/// evicts from the next event-loop turn on (not inside the running
/// command: CONFIG SET inside MULTI must not evict in the middle of the
/// transaction).
pub fn update_maxmemory(srv: &mut Server) {
    let max = srv.config.maxmemory;
    set_maxmemory_for_dicts(max);
    if max == 0 {
        return;
    }
    let used = zmalloc_used_memory().saturating_sub(free_memory_get_not_counted_memory(srv));
    if max < used {
        tracing::warn!(
            "WARNING: the new maxmemory value set via CONFIG SET ({}) is smaller than the current memory usage ({}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.",
            max,
            used
        );
    }
    start_eviction_time_proc(srv);
}

/// The OOM error of denied commands (Redis `shared.oomerr`).
pub const OOM_ERR: &str = "OOM command not allowed when used memory > 'maxmemory'.";

// ---- MEMORY STATS / DOCTOR ----

/// One database's line of MEMORY STATS.
#[derive(Debug, Clone, Copy)]
pub struct DbOverhead {
    pub dbid: usize,
    /// Bucket array and entries of the main dict.
    pub overhead_ht_main: u64,
    /// Bucket array and entries of the expires dict.
    pub overhead_ht_expires: u64,
    /// Cluster slot-to-keys map (0: no cluster).
    pub overhead_ht_slot_to_keys: u64,
}

/// What MEMORY STATS, MEMORY DOCTOR and INFO memory report (Redis
/// `redisMemOverhead`), in bytes unless noted.
#[derive(Debug, Clone, Default)]
pub struct MemOverhead {
    pub peak_allocated: u64,
    pub total_allocated: u64,
    pub startup_allocated: u64,
    pub repl_backlog: u64,
    pub clients_slaves: u64,
    pub clients_normal: u64,
    pub cluster_links: u64,
    pub aof_buffer: u64,
    pub lua_caches: u64,
    pub functions_caches: u64,
    pub overhead_total: u64,
    pub dataset: u64,
    pub total_keys: u64,
    pub bytes_per_key: u64,
    /// Percent of the memory above startup that is dataset.
    pub dataset_perc: f32,
    /// Percent of the peak in use now.
    pub peak_perc: f32,
    pub total_frag: f32,
    pub total_frag_bytes: i64,
    pub allocator_frag: f32,
    pub allocator_frag_bytes: i64,
    pub allocator_rss: f32,
    pub allocator_rss_bytes: i64,
    pub rss_extra: f32,
    pub rss_extra_bytes: i64,
    pub db: Vec<DbOverhead>,
}

/// Memory of the normal and Pub/Sub clients (replicas apart, see
/// `replication::master::replica_clients_memory`), the current client `c`
/// included (Redis `stat_clients_type_memory` of those types).
pub fn clients_normal_memory(srv: &Server, c: Option<&Client>) -> u64 {
    let normal = |c: &&Client| c.flags & crate::replication::CLIENT_SLAVE == 0;
    (srv.clients_iter()
        .filter(normal)
        .map(|c| c.mem_usage())
        .sum::<usize>()
        + c.filter(normal).map_or(0, |c| c.mem_usage())) as u64
}

fn ratio(a: u64, b: u64) -> f32 {
    if b == 0 { 0.0 } else { a as f32 / b as f32 }
}

/// Computes the overhead breakdown (Redis `getMemoryOverheadData`). The
/// ratios use the cron's sample; `c` is the client being served.
pub fn get_memory_overhead_data(srv: &Server, c: Option<&Client>) -> MemOverhead {
    let used = zmalloc_used_memory();
    let ms = &srv.evict.cron_malloc_stats;
    let mut mh = MemOverhead {
        total_allocated: used,
        startup_allocated: srv.evict.initial_memory_usage,
        peak_allocated: srv.stat_peak_memory.max(used),
        total_frag: ratio(ms.process_rss, ms.zmalloc_used),
        total_frag_bytes: ms.process_rss as i64 - ms.zmalloc_used as i64,
        allocator_frag: ratio(ms.allocator_active, ms.allocator_allocated),
        allocator_frag_bytes: ms.allocator_active as i64 - ms.allocator_allocated as i64,
        allocator_rss: ratio(ms.allocator_resident, ms.allocator_active),
        allocator_rss_bytes: ms.allocator_resident as i64 - ms.allocator_active as i64,
        rss_extra: ratio(ms.process_rss, ms.allocator_resident),
        rss_extra_bytes: ms.process_rss as i64 - ms.allocator_resident as i64,
        ..Default::default()
    };
    let mut total = mh.startup_allocated;
    mh.clients_normal = clients_normal_memory(srv, c);
    total += mh.clients_normal;
    let (backlog, slaves) = crate::replication::master::replication_memory_overhead(srv);
    mh.repl_backlog = backlog as u64;
    mh.clients_slaves = slaves as u64;
    total += mh.repl_backlog + mh.clients_slaves;
    if srv.aof.is_on() {
        mh.aof_buffer = srv.aof.buf.capacity() as u64;
    }
    total += mh.aof_buffer;
    mh.lua_caches = crate::eval::eval_scripts_memory(srv) as u64;
    total += mh.lua_caches;
    mh.functions_caches = crate::function::functions_memory_overhead(srv).max(0) as u64;
    total += mh.functions_caches;
    let ptr = std::mem::size_of::<usize>() as u64;
    for db in &srv.dbs {
        let keys = db.dict.len() as u64;
        if keys == 0 {
            continue;
        }
        mh.total_keys += keys;
        let main =
            keys * zmalloc_size(Dict::<RObj>::entry_size()) as u64 + db.dict.buckets() as u64 * ptr;
        let expires = db.expires.len() as u64 * zmalloc_size(Dict::<i64>::entry_size()) as u64
            + db.expires.buckets() as u64 * ptr;
        total += main + expires;
        mh.db.push(DbOverhead {
            dbid: db.id,
            overhead_ht_main: main,
            overhead_ht_expires: expires,
            overhead_ht_slot_to_keys: 0,
        });
    }
    mh.overhead_total = total;
    mh.dataset = used.saturating_sub(total);
    mh.peak_perc = ratio(used * 100, mh.peak_allocated);
    let net = if used > mh.startup_allocated {
        used - mh.startup_allocated
    } else {
        1
    };
    mh.dataset_perc = mh.dataset as f32 * 100.0 / net as f32;
    mh.bytes_per_key = net.checked_div(mh.total_keys).unwrap_or(0);
    mh
}

const DOCTOR_EMPTY: &str = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
const DOCTOR_OK: &str = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";

/// The MEMORY DOCTOR report (Redis `getMemoryDoctorReport`): nothing to
/// say below 5 MB; otherwise checks for a peak above 150% of the current
/// use, fragmentation and RSS overheads above 1.1/1.4 and 10 MB, clients
/// above 200 KB each on average and more than 1000 cached scripts.
pub fn get_memory_doctor_report(srv: &Server, c: Option<&Client>) -> String {
    let mh = get_memory_overhead_data(srv, c);
    const MB10: i64 = 10 << 20;
    if mh.total_allocated < 5 * 1024 * 1024 {
        return DOCTOR_EMPTY.to_string();
    }
    let big_peak = ratio(mh.peak_allocated, mh.total_allocated) > 1.5;
    let high_frag = mh.total_frag > 1.4 && mh.total_frag_bytes > MB10;
    let high_alloc_frag = mh.allocator_frag > 1.1 && mh.allocator_frag_bytes > MB10;
    let high_alloc_rss = mh.allocator_rss > 1.1 && mh.allocator_rss_bytes > MB10;
    let high_proc_rss = mh.rss_extra > 1.1 && mh.rss_extra_bytes > MB10;
    let numclients = (srv.connected_clients as u64).max(1);
    let big_client_buf = mh.clients_normal / numclients > 1024 * 200;
    let many_scripts = srv.script.scripts.len() > 1000;
    let reports = [
        big_peak,
        high_frag,
        high_alloc_frag,
        high_alloc_rss,
        high_proc_rss,
        big_client_buf,
        many_scripts,
    ];
    if !reports.iter().any(|r| *r) {
        return DOCTOR_OK.to_string();
    }
    let mut s =
        String::from("Sam, I detected a few issues in this Redis instance memory implants:\n\n");
    if big_peak {
        s.push_str(" * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n");
    }
    if high_frag {
        s.push_str(" * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"jemalloc-5.3.0\".\n\n");
    }
    if high_alloc_frag {
        s.push_str(" * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n");
    }
    if high_alloc_rss {
        s.push_str(" * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n");
    }
    if high_proc_rss {
        s.push_str(" * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.\n\n");
    }
    if big_client_buf {
        s.push_str(" * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n");
    }
    if many_scripts {
        s.push_str(" * Many scripts: There seem to be many cached scripts in this instance (more than 1000). This may be because scripts are generated and `EVAL`ed, instead of being parameterized (with KEYS and ARGV), `SCRIPT LOAD`ed and `EVALSHA`ed. Unless `SCRIPT FLUSH` is called periodically, the scripts' caches may end up consuming most of your memory.\n\n");
    }
    s.push_str("I'm here to keep you safe, Sam. I want to help you.\n");
    s
}

/// MEMORY STATS → map of Redis 7.0's 27 fields plus one `db.<n>` map per
/// non-empty database, in Redis's order (Redis `memoryCommand`).
pub fn memory_stats_command(srv: &mut Server, c: &mut Client) {
    let mh = get_memory_overhead_data(srv, Some(c));
    let ms = srv.evict.cron_malloc_stats;
    c.add_reply_map_len(27 + mh.db.len());
    let num = |c: &mut Client, name: &str, v: i64| {
        c.add_reply_bulk(name.as_bytes());
        c.add_reply_long_long(v);
    };
    let dbl = |c: &mut Client, name: &str, v: f32| {
        c.add_reply_bulk(name.as_bytes());
        c.add_reply_double(v as f64);
    };
    let i = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    num(c, "peak.allocated", i(mh.peak_allocated));
    num(c, "total.allocated", i(mh.total_allocated));
    num(c, "startup.allocated", i(mh.startup_allocated));
    num(c, "replication.backlog", i(mh.repl_backlog));
    num(c, "clients.slaves", i(mh.clients_slaves));
    num(c, "clients.normal", i(mh.clients_normal));
    num(c, "cluster.links", i(mh.cluster_links));
    num(c, "aof.buffer", i(mh.aof_buffer));
    num(c, "lua.caches", i(mh.lua_caches));
    num(c, "functions.caches", i(mh.functions_caches));
    for d in &mh.db {
        c.add_reply_bulk(format!("db.{}", d.dbid).as_bytes());
        c.add_reply_map_len(3);
        num(c, "overhead.hashtable.main", i(d.overhead_ht_main));
        num(c, "overhead.hashtable.expires", i(d.overhead_ht_expires));
        num(
            c,
            "overhead.hashtable.slot-to-keys",
            i(d.overhead_ht_slot_to_keys),
        );
    }
    num(c, "overhead.total", i(mh.overhead_total));
    num(c, "keys.count", i(mh.total_keys));
    num(c, "keys.bytes-per-key", i(mh.bytes_per_key));
    num(c, "dataset.bytes", i(mh.dataset));
    dbl(c, "dataset.percentage", mh.dataset_perc);
    dbl(c, "peak.percentage", mh.peak_perc);
    num(c, "allocator.allocated", i(ms.allocator_allocated));
    num(c, "allocator.active", i(ms.allocator_active));
    num(c, "allocator.resident", i(ms.allocator_resident));
    dbl(c, "allocator-fragmentation.ratio", mh.allocator_frag);
    num(c, "allocator-fragmentation.bytes", mh.allocator_frag_bytes);
    dbl(c, "allocator-rss.ratio", mh.allocator_rss);
    num(c, "allocator-rss.bytes", mh.allocator_rss_bytes);
    dbl(c, "rss-overhead.ratio", mh.rss_extra);
    num(c, "rss-overhead.bytes", mh.rss_extra_bytes);
    dbl(c, "fragmentation", mh.total_frag);
    num(c, "fragmentation.bytes", mh.total_frag_bytes);
}

/// MEMORY DOCTOR → verbatim text ([`get_memory_doctor_report`]).
pub fn memory_doctor_command(srv: &mut Server, c: &mut Client) {
    let report = get_memory_doctor_report(srv, Some(c));
    c.add_reply_verbatim(report.as_bytes(), "txt");
}

/// Appends one chunk of `malloc_stats_print` output to the `Vec<u8>`
/// behind `opaque`.
#[allow(unsafe_code)]
unsafe extern "C" fn malloc_stats_write(opaque: *mut libc::c_void, s: *const libc::c_char) {
    if opaque.is_null() || s.is_null() {
        return;
    }
    // SAFETY: `opaque` is the `&mut Vec<u8>` jemalloc_stats_text passed to
    // malloc_stats_print, alive for the whole call; `s` is a NUL-terminated
    // string jemalloc owns for the duration of this callback.
    unsafe {
        let out = &mut *(opaque as *mut Vec<u8>);
        out.extend_from_slice(std::ffi::CStr::from_ptr(s).to_bytes());
    }
}

/// jemalloc's statistics report (`malloc_stats_print` with default
/// options), the text of MEMORY MALLOC-STATS.
#[allow(unsafe_code)]
pub fn jemalloc_stats_text() -> Vec<u8> {
    let mut out: Vec<u8> = Vec::new();
    // SAFETY: the callback only appends to `out`, which outlives the call;
    // null options mean jemalloc's defaults.
    unsafe {
        tikv_jemalloc_sys::malloc_stats_print(
            Some(malloc_stats_write),
            &mut out as *mut Vec<u8> as *mut libc::c_void,
            std::ptr::null(),
        );
    }
    out
}

/// MEMORY MALLOC-STATS → verbatim text: jemalloc's `malloc_stats_print`
/// report, as Redis returns it.
pub fn memory_malloc_stats_command(_srv: &mut Server, c: &mut Client) {
    let out = jemalloc_stats_text();
    c.add_reply_verbatim(&out, "txt");
}

/// Purges the dirty pages of every arena and flushes this thread's cache
/// (Redis `jemalloc_purge`). Err when jemalloc refuses.
#[allow(unsafe_code)]
pub fn jemalloc_purge() -> Result<(), i32> {
    // "arena.<MALLCTL_ARENAS_ALL>.purge", MALLCTL_ARENAS_ALL being 4096.
    let names: [&[u8]; 2] = [b"arena.4096.purge\0", b"thread.tcache.flush\0"];
    for name in names {
        // SAFETY: both names are NUL-terminated; these controls take no
        // input and give no output, so every pointer is null and the
        // lengths are zero, as mallctl requires for them.
        let rc = unsafe {
            tikv_jemalloc_sys::mallctl(
                name.as_ptr() as *const libc::c_char,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                0,
            )
        };
        if rc != 0 {
            return Err(rc);
        }
    }
    Ok(())
}

/// MEMORY PURGE → `+OK`, or `-ERR Error purging dirty pages`.
pub fn memory_purge_command(_srv: &mut Server, c: &mut Client) {
    match jemalloc_purge() {
        Ok(()) => c.add_reply_ok(),
        Err(_) => c.add_reply_error("ERR Error purging dirty pages"),
    }
}

/// MEMORY subcommands other than USAGE/HELP (which live in `object.rs`).
pub static HANDLERS: &[(&str, crate::commands::Handler)] = &[
    ("memory|stats", memory_stats_command),
    ("memory|doctor", memory_doctor_command),
    ("memory|malloc-stats", memory_malloc_stats_command),
    ("memory|purge", memory_purge_command),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lfu_counter() {
        let now = 1_700_000_000_000;
        let lru = lfu_init(now);
        assert_eq!(lfu_decr_and_return(lru, now, 1), LFU_INIT_VAL);
        // 3 minutes idle with decay 1 → counter 2
        assert_eq!(lfu_decr_and_return(lru, now + 3 * 60_000, 1), 2);
        assert_eq!(lfu_decr_and_return(lru, now + 30 * 60_000, 1), 0);
        // increments saturate at 255 and grow at low counts
        assert_eq!(lfu_log_incr(255, 10), 255);
        let mut c = 0;
        for _ in 0..100 {
            c = lfu_log_incr(c, 10);
        }
        assert!(c > 5);
    }

    #[test]
    #[allow(unsafe_code)]
    fn used_memory_follows_allocations_cheaply() {
        use std::alloc::{GlobalAlloc, Layout};
        // Allocate through jemalloc explicitly (the test binary's global
        // allocator is jemalloc too, as the server's). The thread's net
        // figure is read unclamped: frees of other threads' blocks can
        // make it negative in a test thread.
        let je = tikv_jemallocator::Jemalloc;
        let layout = Layout::from_size_align(1 << 20, 8).expect("layout");
        let used = || thread_net_allocated() + BIO_NET.load(Ordering::Relaxed);
        let before = used();
        // SAFETY: a non-zero-sized layout; the block is freed below with
        // the same allocator and layout.
        let p = unsafe { je.alloc(layout) };
        assert!(!p.is_null());
        let during = used();
        assert!(during >= before + (1 << 20), "{before} -> {during}");
        // SAFETY: `p` came from `je.alloc(layout)` and is freed once.
        unsafe { je.dealloc(p, layout) };
        assert!(used() < during - (1 << 19));
        // The per-command read must stay in the nanoseconds: compare with
        // jemalloc's epoch-refreshed stats.allocated.
        let n = 200_000;
        let t = std::time::Instant::now();
        let mut acc = 0u64;
        for _ in 0..n {
            acc = acc.wrapping_add(std::hint::black_box(zmalloc_used_memory()));
        }
        let ours = t.elapsed().as_nanos() as f64 / n as f64;
        let t = std::time::Instant::now();
        for _ in 0..n / 100 {
            let _ = tikv_jemalloc_ctl::epoch::advance();
            acc = acc.wrapping_add(tikv_jemalloc_ctl::stats::allocated::read().unwrap_or(0) as u64);
        }
        let epoch = t.elapsed().as_nanos() as f64 / (n / 100) as f64;
        eprintln!(
            "zmalloc_used_memory {ours:.1} ns/call, epoch+stats.allocated {epoch:.1} ns/call ({acc})"
        );
        assert!(ours < 100.0, "{ours} ns per read");
    }

    #[test]
    fn pool_keeps_the_best_candidates_in_order() {
        let mut pool: Vec<PoolEntry> = (0..4).map(|_| PoolEntry::new()).collect();
        for (k, idle) in [
            ("a", 5),
            ("b", 1),
            ("c", 9),
            ("d", 3),
            ("e", 7),
            ("f", 0),
            ("g", 8),
        ] {
            pool_insert(&mut pool, k.as_bytes(), idle, 0);
        }
        let got: Vec<(&[u8], u64)> = pool.iter().map(|e| (e.key(), e.idle)).collect();
        assert_eq!(
            got,
            vec![
                (&b"a"[..], 5),
                (&b"e"[..], 7),
                (&b"g"[..], 8),
                (&b"c"[..], 9)
            ]
        );
        let long = vec![b'k'; EVPOOL_CACHED_SDS_SIZE + 1];
        pool_insert(&mut pool, &long, 100, 3);
        assert_eq!(pool[3].key(), &long[..]);
        assert_eq!(pool[3].dbid, 3);
        assert!(
            pool.iter()
                .all(|e| e.cached.capacity() >= EVPOOL_CACHED_SDS_SIZE)
        );
    }

    #[test]
    fn tenacity_budget() {
        assert_eq!(eviction_time_limit_us(0), 0);
        assert_eq!(eviction_time_limit_us(10), 500);
        assert_eq!(eviction_time_limit_us(11), 575);
        assert_eq!(eviction_time_limit_us(100), u64::MAX);
    }

    #[test]
    fn idle_time_wraps() {
        assert_eq!(estimate_idle_time_ms(10, 5), 5000);
        assert_eq!(estimate_idle_time_ms(1, LRU_CLOCK_MAX - 1), 2000);
    }
}
