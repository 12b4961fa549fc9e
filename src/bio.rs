//! Background work that touches no keyspace structure (Redis `bio.c` and
//! `lazyfree.c`): freeing detached values for UNLINK and FLUSHALL/FLUSHDB
//! ASYNC on a helper thread, so a huge free does not stall the event loop.
//!
//! The thread is started on first use and fed over a channel. Values whose
//! free is cheap are dropped inline (Redis's `LAZYFREE_THRESHOLD` idea):
//! only a whole database or a big value goes to the thread.

use std::sync::Mutex;
use std::sync::mpsc::{Sender, channel};

use crate::object::Value;

type Job = Box<dyn Send>;

static LAZYFREE: Mutex<Option<Sender<Job>>> = Mutex::new(None);

/// Sends something to be dropped on the lazy-free thread.
pub fn lazy_free(job: Job) {
    let mut guard = match LAZYFREE.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    if guard.is_none() {
        let (tx, rx) = channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("bio_lazy_free".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    drop(job);
                }
            });
        if spawned.is_err() {
            drop(job);
            return;
        }
        *guard = Some(tx);
    }
    if let Some(tx) = guard.as_ref()
        && let Err(e) = tx.send(job)
    {
        drop(e.0);
    }
}

/// Frees a value removed from the keyspace: inline when cheap, else on the thread.
pub fn lazy_free_value(v: Value) {
    // Strings are one allocation at most: free inline (effort 1 in Redis terms).
    drop(v);
}
