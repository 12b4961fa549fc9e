//! The AOF's background thread (Redis `bio.c`, jobs `BIO_AOF_FSYNC` and
//! `BIO_CLOSE_FILE`): fsync of the incr file with `appendfsync everysec`,
//! fsync-and-close of an incr file replaced by a rewrite, and unlinking of
//! history files, so none of these stalls the event loop.
//!
//! The thread is started on first use and fed over a channel. The event
//! loop asks [`pending_fsync_jobs`] whether an fsync is still running (to
//! postpone the next write, see `flush_append_only_file`) and reads the
//! status of the last fsync ([`fsync_status`]): a failed background fsync
//! turns writes away with `-MISCONF` until one succeeds, as in Redis.

use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};

enum Job {
    /// fsync the file (Redis `bioCreateFsyncJob`).
    Fsync(Arc<File>),
    /// fsync, then drop (close) the file (Redis `bioCreateCloseJob(fd, 1)`).
    FsyncAndClose(Arc<File>),
    /// Remove a file (Redis `bg_unlink`).
    Unlink(PathBuf),
}

static QUEUE: Mutex<Option<Sender<Job>>> = Mutex::new(None);
/// Fsync jobs queued or running (Redis `bioPendingJobsOfType(BIO_AOF_FSYNC)`).
static PENDING_FSYNC: AtomicU64 = AtomicU64::new(0);
/// 0 when the last background fsync succeeded, else its errno (Redis
/// `aof_bio_fsync_status` / `aof_bio_fsync_errno`).
static FSYNC_ERRNO: AtomicI32 = AtomicI32::new(0);

fn run_job(job: Job) {
    match job {
        Job::Fsync(f) => {
            do_fsync(&f);
            PENDING_FSYNC.fetch_sub(1, Ordering::SeqCst);
        }
        Job::FsyncAndClose(f) => {
            do_fsync(&f);
            drop(f);
        }
        Job::Unlink(p) => {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn do_fsync(f: &File) {
    match f.sync_data() {
        Ok(()) => FSYNC_ERRNO.store(0, Ordering::SeqCst),
        Err(e) => {
            let errno = e.raw_os_error().unwrap_or(libc::EIO);
            // A descriptor closed or reused meanwhile is not an fsync failure.
            if errno == libc::EBADF || errno == libc::EINVAL {
                FSYNC_ERRNO.store(0, Ordering::SeqCst);
                return;
            }
            let before = FSYNC_ERRNO.swap(errno, Ordering::SeqCst);
            if before == 0 {
                tracing::warn!(
                    "Fail to fsync the AOF file: {}",
                    crate::log::os_error_text(&e)
                );
            }
        }
    }
}

fn submit(job: Job) {
    let mut guard = match QUEUE.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    if guard.is_none() {
        let (tx, rx) = channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("bio_aof".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    run_job(job);
                    // The job (and the channel's blocks) were allocated by
                    // the main thread: let used_memory see them go.
                    crate::evict::publish_thread_memory();
                }
            });
        if spawned.is_err() {
            // No thread: do the work here.
            run_job(job);
            return;
        }
        *guard = Some(tx);
    }
    if let Some(tx) = guard.as_ref()
        && let Err(e) = tx.send(job)
    {
        run_job(e.0);
    }
}

/// Queues an fsync of the AOF file.
pub fn create_fsync_job(f: Arc<File>) {
    PENDING_FSYNC.fetch_add(1, Ordering::SeqCst);
    submit(Job::Fsync(f));
}

/// Queues an fsync of a file that is no longer written, then its close.
pub fn create_fsync_and_close_job(f: Arc<File>) {
    submit(Job::FsyncAndClose(f));
}

/// Queues the removal of a file.
pub fn bg_unlink(p: PathBuf) {
    submit(Job::Unlink(p));
}

/// Background fsyncs not finished yet (INFO `aof_pending_bio_fsync`).
pub fn pending_fsync_jobs() -> u64 {
    PENDING_FSYNC.load(Ordering::SeqCst)
}

/// `Err(errno)` when the last background fsync failed.
pub fn fsync_status() -> Result<(), i32> {
    match FSYNC_ERRNO.load(Ordering::SeqCst) {
        0 => Ok(()),
        e => Err(e),
    }
}

/// Forgets a failed background fsync (when the AOF is turned on again).
pub fn reset_fsync_status() {
    FSYNC_ERRNO.store(0, Ordering::SeqCst);
}
