//! Background work that touches no keyspace structure (Redis `bio.c` and
//! `lazyfree.c`): freeing detached values for UNLINK and FLUSHALL/FLUSHDB
//! ASYNC on a helper thread, so a huge free does not stall the event loop.
//!
//! The thread is started on first use and fed over a channel. Redis's
//! lazy-free rule decides what goes there: a value whose *free effort*
//! ([`free_effort`]: list nodes, hashtable entries, skiplist members; 1 for
//! a string or any compact encoding) is above [`LAZYFREE_THRESHOLD`] is
//! sent to the thread, anything cheaper is dropped on the spot. A whole
//! database emptied by FLUSHALL/FLUSHDB ASYNC always goes to the thread.
//!
//! Two counters follow the jobs, as INFO shows them:
//! `lazyfree_pending_objects` (queued, not yet freed) and
//! `lazyfreed_objects` (freed by the thread since the last CONFIG
//! RESETSTAT); a database counts one object per key.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Sender, channel};

use crate::object::Value;

/// Values with a free effort above this are freed in the background
/// (Redis `LAZYFREE_THRESHOLD`).
pub const LAZYFREE_THRESHOLD: usize = 64;

/// Something to drop on the thread, and how many objects it counts for.
type Job = (Box<dyn Send>, u64);

static LAZYFREE: Mutex<Option<Sender<Job>>> = Mutex::new(None);
static PENDING: AtomicU64 = AtomicU64::new(0);
static FREED: AtomicU64 = AtomicU64::new(0);

fn send_job(job: Job) {
    PENDING.fetch_add(job.1, Ordering::Relaxed);
    let mut guard = match LAZYFREE.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    if guard.is_none() {
        let (tx, rx) = channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("bio_lazy_free".into())
            .spawn(move || {
                while let Ok((obj, n)) = rx.recv() {
                    drop(obj);
                    crate::evict::publish_thread_memory();
                    PENDING.fetch_sub(n, Ordering::Relaxed);
                    FREED.fetch_add(n, Ordering::Relaxed);
                }
            });
        if spawned.is_err() {
            // No thread: free here, counted as if the thread had done it.
            let (obj, n) = job;
            drop(obj);
            PENDING.fetch_sub(n, Ordering::Relaxed);
            FREED.fetch_add(n, Ordering::Relaxed);
            return;
        }
        *guard = Some(tx);
    }
    if let Some(tx) = guard.as_ref()
        && let Err(e) = tx.send(job)
    {
        let (obj, n) = e.0;
        drop(obj);
        PENDING.fetch_sub(n, Ordering::Relaxed);
        FREED.fetch_add(n, Ordering::Relaxed);
    }
}

/// Sends a detached structure holding `objects` keys (a database's tables)
/// to the lazy-free thread (Redis `emptyDbAsync`).
pub fn lazy_free(job: Box<dyn Send>, objects: u64) {
    send_job((job, objects));
}

/// The work needed to free `v` (Redis `lazyfreeGetFreeEffort`): nodes of a
/// list, entries of a hashtable set or hash, members of a skiplist sorted
/// set; 1 for strings and compact encodings.
pub fn free_effort(v: &Value) -> usize {
    match v {
        Value::List(ql) => ql.node_count(),
        Value::Set(crate::t_set::SetObj::Table(d)) => d.len(),
        Value::Hash(crate::t_hash::HashObj::Table(d)) => d.len(),
        Value::ZSet(crate::t_zset::ZSetObj::Skiplist(zs)) => zs.len(),
        // One allocation per node; each group and its PEL entries, the
        // first group's PEL size standing for all (as Redis estimates).
        Value::Stream(s) => {
            let groups = s.cgroups.as_ref().map_or(0, |g| {
                g.len() * (1 + g.values().next().map_or(0, |cg| cg.pel.len()))
            });
            s.rax.len() + groups
        }
        _ => 1,
    }
}

/// Frees a value removed from the keyspace with the lazy-free rule (Redis
/// `freeObjAsync`): on the thread when its [`free_effort`] is above
/// [`LAZYFREE_THRESHOLD`], else at once.
pub fn lazy_free_value(v: Value) {
    if free_effort(&v) > LAZYFREE_THRESHOLD {
        send_job((Box::new(v), 1));
    } else {
        drop(v);
    }
}

/// Frees a value now, or with [`lazy_free_value`] when `lazy` (the
/// `lazyfree-lazy-*` setting that applies to the caller).
pub fn free_value(v: Value, lazy: bool) {
    if lazy { lazy_free_value(v) } else { drop(v) }
}

/// Objects queued for the lazy-free thread and not freed yet (INFO
/// `lazyfree_pending_objects`).
pub fn lazyfree_pending_objects() -> u64 {
    PENDING.load(Ordering::Relaxed)
}

/// Objects the lazy-free thread has freed (INFO `lazyfreed_objects`).
pub fn lazyfreed_objects() -> u64 {
    FREED.load(Ordering::Relaxed)
}

/// Resets `lazyfreed_objects` (CONFIG RESETSTAT).
pub fn lazyfree_reset_stats() {
    FREED.store(0, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table_set(n: usize) -> Value {
        let mut s = crate::t_set::SetObj::new_table();
        for i in 0..n {
            s.add(format!("m{}", i).as_bytes(), 512);
        }
        Value::Set(s)
    }

    #[test]
    fn effort_follows_redis() {
        assert_eq!(free_effort(&Value::from_bytes(b"x")), 1);
        assert_eq!(free_effort(&table_set(100)), 100);
        let mut is = crate::t_set::SetObj::new_intset();
        for i in 0..100 {
            is.add(i.to_string().as_bytes(), 512);
        }
        assert_eq!(free_effort(&Value::Set(is)), 1);
        let mut ql = crate::quicklist::Quicklist::new(1, 0);
        for i in 0..70 {
            ql.push_tail(i.to_string().as_bytes());
        }
        assert_eq!(free_effort(&Value::List(Box::new(ql))), 70);
        let mut h = crate::t_hash::HashObj::new_listpack();
        h.hash_type_set(b"f", b"v", 128, 64);
        assert_eq!(free_effort(&Value::Hash(h)), 1);
    }

    #[test]
    fn big_values_go_to_the_thread() {
        let before = lazyfreed_objects();
        lazy_free_value(table_set(10));
        lazy_free_value(table_set(65));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while lazyfreed_objects() < before + 1 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        // The 65-member set (effort above 64) was freed by the thread. (Other
        // tests may free values concurrently, so only a lower bound holds.)
        assert!(lazyfreed_objects() > before);
    }
}
