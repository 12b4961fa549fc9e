//! The append-only file (Redis `aof.c`), in Redis 7's multi-part layout.
//!
//! # Files
//! The AOF lives in the directory `appenddirname` (inside `dir`): a base
//! file (the dataset at the last rewrite: an RDB file `<appendfilename>.<n>.base.rdb`
//! with `aof-use-rdb-preamble yes`, else commands in `.base.aof`), incr
//! files `<appendfilename>.<n>.incr.aof` holding the commands written
//! since, and the manifest `<appendfilename>.manifest` listing them
//! ([`manifest`]). Superseded files become "history" and are deleted in the
//! background unless `aof-disable-auto-gc yes`.
//!
//! # Writing
//! Every write the server makes is propagated (`server::propagate_pending_commands`)
//! and lands here as a command in RESP multibulk form, appended to
//! `aof.buf` by [`feed_append_only_file`]. [`flush_append_only_file`]
//! writes the buffer to the current incr file in `before_sleep`, *before*
//! the replies of the same event-loop turn are written: a client never sees
//! the reply to a write that is not in the file. With `appendfsync always`
//! the file is also fsynced there, so an acknowledged write survives a
//! crash of the machine; with `everysec` an fsync is queued on the
//! background thread ([`fsync`]) at most once a second, and when the
//! previous one is still running the write itself is postponed for up to
//! two seconds (a write would block behind the fsync anyway), counting
//! `aof_delayed_fsync` when it cannot wait longer; with `no` the kernel
//! decides. A failed write keeps the data in the buffer, sets
//! `aof_last_write_status:err` and turns writes away with `-MISCONF` until
//! a retry from the cron succeeds; under `always` it is fatal, because the
//! replies may already be promised.
//!
//! # Rewriting
//! BGREWRITEAOF forks a child ([`rewrite_append_only_file_background`])
//! which writes a new base from its copy-on-write image of the dataset
//! ([`rewrite`]). At the fork the parent opens a new incr file, so writes
//! made meanwhile go there. When the child succeeds,
//! [`background_rewrite_done_handler`] renames the new base in, turns the
//! old base and older incr files into history, writes the manifest
//! atomically and deletes the history. The cron starts rewrites that were
//! scheduled (while another child ran) and automatic ones
//! (`auto-aof-rewrite-percentage` / `-min-size`), backing off after three
//! consecutive failures (1, 2, 4 ... 60 minutes).
//!
//! # Loading
//! See [`load`]: the manifest's files are replayed through a fake client.

pub mod fsync;
pub mod load;
pub mod manifest;
pub mod rewrite;

use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;

use crate::childinfo::{ChildType, ForkOutcome};
use crate::config::AppendFsync;
use crate::networking::Client;
use crate::server::Server;

pub use load::AofLoadStatus;
use manifest::{AofManifest, make_path};

/// Seconds between two logs of the same AOF write error (Redis `AOF_WRITE_LOG_ERROR_RATE`).
const AOF_WRITE_LOG_ERROR_RATE: i64 = 30;
/// Consecutive rewrite failures after which automatic rewrites back off
/// (Redis `AOF_REWRITE_LIMITE_THRESHOLD`).
const AOF_REWRITE_LIMIT_THRESHOLD: u64 = 3;
/// Longest back-off, minutes (Redis `AOF_REWRITE_LIMITE_MAX_MINUTES`).
const AOF_REWRITE_LIMIT_MAX_MINUTES: i64 = 60;

/// Whether the AOF is on (Redis `aof_state`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AofStatus {
    /// `appendonly no`: nothing is written.
    #[default]
    Off,
    /// Writes go to the current incr file.
    On,
    /// `appendonly yes` was set at runtime: writes are buffered until the
    /// first rewrite finishes (Redis `AOF_WAIT_REWRITE`).
    WaitRewrite,
}

/// The AOF state kept in the server (Redis's `aof_*` fields).
#[derive(Debug)]
pub struct AofState {
    pub state: AofStatus,
    /// Commands not yet written to the incr file (Redis `aof_buf`).
    pub buf: Vec<u8>,
    /// Database the file's last command ran in; `None` forces a SELECT
    /// (Redis `aof_selected_db`, -1).
    pub selected_db: Option<usize>,
    /// Unix seconds of the last `#TS:` annotation (`aof-timestamp-enabled`).
    pub last_timestamp: i64,
    /// The files of the AOF (Redis `aof_manifest`).
    pub manifest: AofManifest,
    /// The incr file being appended to (Redis `aof_fd`), shared with the fsync thread.
    pub fd: Option<Arc<File>>,
    /// Bytes of base plus incr files (INFO `aof_current_size`).
    pub current_size: i64,
    /// `current_size` after the last rewrite (INFO `aof_base_size`).
    pub rewrite_base_size: i64,
    /// Bytes in the current incr file (Redis `aof_last_incr_size`).
    pub last_incr_size: i64,
    /// `last_incr_size` at the last fsync (Redis `aof_last_incr_fsync_offset`).
    pub last_incr_fsync_offset: i64,
    /// Unix seconds of the last fsync (Redis `aof_last_fsync`).
    pub last_fsync: i64,
    /// Unix seconds since a write is postponed, 0 if none (Redis `aof_flush_postponed_start`).
    pub flush_postponed_start: i64,
    /// Writes done without waiting for a slow fsync (INFO `aof_delayed_fsync`).
    pub delayed_fsync: u64,
    /// A rewrite waits for the current child (INFO `aof_rewrite_scheduled`).
    pub rewrite_scheduled: bool,
    /// Unix seconds the running rewrite started, -1 if none.
    pub rewrite_time_start: i64,
    /// Seconds the last rewrite took, -1 if none (INFO `aof_last_rewrite_time_sec`).
    pub rewrite_time_last: i64,
    /// INFO `aof_last_bgrewrite_status`.
    pub lastbgrewrite_ok: bool,
    /// Rewrites started (INFO `aof_rewrites`).
    pub stat_rewrites: u64,
    /// INFO `aof_rewrites_consecutive_failures`.
    pub consecutive_failures: u64,
    /// INFO `aof_last_write_status` (with the background fsync status).
    pub last_write_ok: bool,
    /// errno of the last failed write (for the MISCONF message).
    pub last_write_errno: i32,
    /// Copy-on-write bytes of the last rewrite child (INFO `aof_last_cow_size`).
    pub stat_cow_bytes: u64,
    /// The running rewrite child's last reported copy-on-write bytes.
    pub child_cow_bytes: u64,
    /// DEBUG AOF-FLUSH-SLEEP: µs to sleep before each write (Redis `aof_flush_sleep`).
    pub flush_sleep_us: i64,
    last_write_error_log: i64,
    last_error_retry_ms: i64,
    limit_next_delay_minutes: i64,
    limit_next_rewrite_time: i64,
}

impl Default for AofState {
    fn default() -> Self {
        AofState {
            state: AofStatus::Off,
            buf: Vec::new(),
            selected_db: None,
            last_timestamp: 0,
            manifest: AofManifest::default(),
            fd: None,
            current_size: 0,
            rewrite_base_size: 0,
            last_incr_size: 0,
            last_incr_fsync_offset: 0,
            last_fsync: crate::util::mstime() / 1000,
            flush_postponed_start: 0,
            delayed_fsync: 0,
            rewrite_scheduled: false,
            rewrite_time_start: -1,
            rewrite_time_last: -1,
            lastbgrewrite_ok: true,
            stat_rewrites: 0,
            consecutive_failures: 0,
            last_write_ok: true,
            last_write_errno: 0,
            stat_cow_bytes: 0,
            child_cow_bytes: 0,
            flush_sleep_us: 0,
            last_write_error_log: 0,
            last_error_retry_ms: 0,
            limit_next_delay_minutes: 0,
            limit_next_rewrite_time: 0,
        }
    }
}

impl AofState {
    /// True when writes are fed to the AOF buffer.
    pub fn is_on(&self) -> bool {
        self.state != AofStatus::Off
    }
}

fn unixtime(srv: &Server) -> i64 {
    srv.mstime / 1000
}

fn os_err(errno: i32) -> String {
    crate::log::os_error_text(&io::Error::from_raw_os_error(errno))
}

// ---- Feeding and flushing ----

/// Appends `argv` as a RESP multibulk command to `out` (Redis `catAppendOnlyGenericCommand`).
pub fn cat_append_only_generic_command(out: &mut Vec<u8>, argv: &[Bytes]) {
    let mut n = itoa::Buffer::new();
    out.push(b'*');
    out.extend_from_slice(n.format(argv.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    for a in argv {
        out.push(b'$');
        out.extend_from_slice(n.format(a.len()).as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Feeds one propagated command to the AOF buffer (Redis
/// `feedAppendOnlyFile`): a `#TS:<unix seconds>` annotation when
/// `aof-timestamp-enabled` is on and the second changed, a `SELECT` when
/// `dictid` differs from the last database written, then the command.
/// While waiting for the first rewrite (`appendonly yes` set at runtime)
/// the command is kept only when that rewrite's child is running.
pub fn feed_append_only_file(srv: &mut Server, dictid: usize, argv: &[Bytes]) {
    let keep = srv.aof.state == AofStatus::On
        || (srv.aof.state == AofStatus::WaitRewrite && srv.child.kind == ChildType::Aof);
    let now_s = unixtime(srv);
    let ts_enabled = srv.config.aof_timestamp_enabled;
    let aof = &mut srv.aof;
    // Built straight into the buffer; when the command is not kept only the
    // SELECT / timestamp bookkeeping happens (as Redis builds and drops it).
    let mark = aof.buf.len();
    if ts_enabled && aof.last_timestamp < now_s {
        aof.buf
            .extend_from_slice(format!("#TS:{}\r\n", now_s).as_bytes());
        aof.last_timestamp = now_s;
    }
    if aof.selected_db != Some(dictid) {
        let mut n = itoa::Buffer::new();
        let db = n.format(dictid).as_bytes();
        aof.buf.extend_from_slice(b"*2\r\n$6\r\nSELECT\r\n$");
        aof.buf
            .extend_from_slice(itoa::Buffer::new().format(db.len()).as_bytes());
        aof.buf.extend_from_slice(b"\r\n");
        aof.buf.extend_from_slice(db);
        aof.buf.extend_from_slice(b"\r\n");
        aof.selected_db = Some(dictid);
    }
    if keep {
        cat_append_only_generic_command(&mut aof.buf, argv);
    } else {
        aof.buf.truncate(mark);
    }
}

/// write(2) of the whole buffer, retrying short writes and EINTR (Redis
/// `aofWrite`): the bytes written, or the error when nothing was.
fn aof_write(f: &File, mut buf: &[u8]) -> Result<usize, io::Error> {
    let mut total = 0;
    while !buf.is_empty() {
        match (&*f).write(buf) {
            Ok(0) => break,
            Ok(n) => {
                total += n;
                buf = &buf[n..];
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                if total > 0 {
                    return Ok(total);
                }
                return Err(e);
            }
        }
    }
    Ok(total)
}

/// Writes the AOF buffer to the incr file, and fsyncs it as `appendfsync`
/// says (Redis `flushAppendOnlyFile`; the rules are in the module docs).
/// Called in `before_sleep`, before any reply of this turn is written, and
/// from the cron. `force` writes even while a background fsync runs.
///
/// Exits the process (status 1) when a write or fsync fails under
/// `appendfsync always`, as Redis does ("Can't recover from AOF write
/// error when the AOF fsync policy is 'always'. Exiting...").
pub fn flush_append_only_file(srv: &mut Server, force: bool) {
    let Some(fd) = srv.aof.fd.clone() else {
        return;
    };
    let now = unixtime(srv);
    let policy = srv.config.appendfsync;
    let mut sync_in_progress = false;
    if srv.aof.buf.is_empty() {
        let unsynced = srv.aof.last_incr_fsync_offset != srv.aof.last_incr_size;
        if policy == AppendFsync::Everysec && unsynced && now > srv.aof.last_fsync {
            sync_in_progress = fsync::pending_fsync_jobs() != 0;
            if sync_in_progress {
                return;
            }
        } else if !(policy == AppendFsync::Always && unsynced) {
            return;
        }
    } else {
        if policy == AppendFsync::Everysec {
            sync_in_progress = fsync::pending_fsync_jobs() != 0;
        }
        if policy == AppendFsync::Everysec && !force && sync_in_progress {
            if srv.aof.flush_postponed_start == 0 {
                srv.aof.flush_postponed_start = now;
                return;
            } else if now - srv.aof.flush_postponed_start < 2 {
                return;
            }
            srv.aof.delayed_fsync += 1;
            tracing::info!(
                "Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis."
            );
        }
        if srv.aof.flush_sleep_us > 0 {
            std::thread::sleep(std::time::Duration::from_micros(
                srv.aof.flush_sleep_us as u64,
            ));
        }
        let len = srv.aof.buf.len();
        let latency = crate::latency::latency_start_monitor(srv);
        let res = aof_write(&fd, &srv.aof.buf);
        let latency = crate::latency::latency_end_monitor(srv, latency);
        // One event by circumstance, and one for every write (Redis
        // `flushAppendOnlyFile`).
        let event = if sync_in_progress {
            "aof-write-pending-fsync"
        } else if crate::childinfo::has_active_child_process(srv) {
            "aof-write-active-child"
        } else {
            "aof-write-alone"
        };
        crate::latency::latency_add_sample_if_needed(srv, event, latency);
        crate::latency::latency_add_sample_if_needed(srv, "aof-write", latency);
        srv.aof.flush_postponed_start = 0;
        let mut nwritten: i64 = match &res {
            Ok(n) => *n as i64,
            Err(_) => -1,
        };
        if nwritten != len as i64 {
            let can_log = now - srv.aof.last_write_error_log > AOF_WRITE_LOG_ERROR_RATE;
            if can_log {
                srv.aof.last_write_error_log = now;
            }
            match &res {
                Err(e) => {
                    if can_log {
                        tracing::warn!(
                            "Error writing to the AOF file: {}",
                            crate::log::os_error_text(e)
                        );
                    }
                    srv.aof.last_write_errno = e.raw_os_error().unwrap_or(libc::EIO);
                }
                Ok(_) => {
                    if can_log {
                        tracing::warn!(
                            "Short write while writing to the AOF file: (nwritten={}, expected={})",
                            nwritten,
                            len
                        );
                    }
                    match fd.set_len(srv.aof.last_incr_size.max(0) as u64) {
                        Err(e) => {
                            if can_log {
                                tracing::warn!(
                                    "Could not remove short write from the append-only file.  Redis may refuse to load the AOF the next time it starts.  ftruncate: {}",
                                    crate::log::os_error_text(&e)
                                );
                            }
                        }
                        Ok(()) => nwritten = -1,
                    }
                    srv.aof.last_write_errno = libc::ENOSPC;
                }
            }
            if policy == AppendFsync::Always {
                tracing::warn!(
                    "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."
                );
                std::process::exit(1);
            }
            srv.aof.last_write_ok = false;
            if nwritten > 0 {
                srv.aof.current_size += nwritten;
                srv.aof.last_incr_size += nwritten;
                srv.aof.buf.drain(..nwritten as usize);
            }
            return;
        }
        if !srv.aof.last_write_ok {
            tracing::warn!("AOF write error looks solved, Redis can write again.");
            srv.aof.last_write_ok = true;
        }
        srv.aof.current_size += nwritten;
        srv.aof.last_incr_size += nwritten;
        if srv.aof.buf.capacity() < 4000 {
            srv.aof.buf.clear();
        } else {
            srv.aof.buf = Vec::new();
        }
    }
    // try_fsync:
    if srv.config.no_appendfsync_on_rewrite && crate::childinfo::has_active_child_process(srv) {
        return;
    }
    if policy == AppendFsync::Always {
        let latency = crate::latency::latency_start_monitor(srv);
        let synced = fd.sync_data();
        let latency = crate::latency::latency_end_monitor(srv, latency);
        crate::latency::latency_add_sample_if_needed(srv, "aof-fsync-always", latency);
        if let Err(e) = synced {
            tracing::warn!(
                "Can't persist AOF for fsync error when the AOF fsync policy is 'always': {}. Exiting...",
                crate::log::os_error_text(&e)
            );
            std::process::exit(1);
        }
        srv.aof.last_incr_fsync_offset = srv.aof.last_incr_size;
        srv.aof.last_fsync = now;
    } else if policy == AppendFsync::Everysec && now > srv.aof.last_fsync {
        if !sync_in_progress {
            fsync::create_fsync_job(fd);
            srv.aof.last_incr_fsync_offset = srv.aof.last_incr_size;
        }
        srv.aof.last_fsync = now;
    }
}

/// The `-MISCONF` error for writes while the AOF cannot be written (the
/// AOF part of Redis `writeCommandsDeniedByDiskError` /
/// `writeCommandsGetDiskErrorMessage`): "MISCONF Errors writing to the AOF
/// file: <strerror>" after a failed write or background fsync, else `None`.
pub fn write_error_message(srv: &Server) -> Option<String> {
    if srv.aof.state == AofStatus::Off {
        return None;
    }
    if !srv.aof.last_write_ok {
        return Some(format!(
            "MISCONF Errors writing to the AOF file: {}",
            os_err(srv.aof.last_write_errno)
        ));
    }
    if let Err(errno) = fsync::fsync_status() {
        return Some(format!(
            "MISCONF Errors writing to the AOF file: {}",
            os_err(errno)
        ));
    }
    None
}

// ---- Files on start and on rewrite ----

fn create_dir_if_missing(dir: &str) -> io::Result<()> {
    match std::fs::create_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

fn persist_manifest(srv: &mut Server) -> io::Result<()> {
    let dir = srv.config.appenddirname.clone();
    let fname = srv.config.appendfilename.clone();
    manifest::persist_manifest(&mut srv.aof.manifest, &dir, &fname)
}

fn open_append(path: &Path, truncate: bool) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut o = OpenOptions::new();
    o.write(true).create(true).mode(0o644);
    if truncate {
        o.truncate(true);
    } else {
        o.append(true);
    }
    o.open(path)
}

/// Reads the manifest at startup (Redis `aofLoadManifestFromDisk`); a
/// manifest that cannot be read or parsed is fatal (logged, exit 1).
pub fn aof_load_manifest_from_disk(srv: &mut Server) {
    match manifest::load_manifest_from_disk(&srv.config.appenddirname, &srv.config.appendfilename) {
        Ok(Some(am)) => srv.aof.manifest = am,
        Ok(None) => srv.aof.manifest = AofManifest::default(),
        Err(e) => {
            manifest::log_manifest_error(&e);
            std::process::exit(1);
        }
    }
}

/// Creates the AOF directory if missing; logs Redis's "Can't open or
/// create append-only dir" line and exits 1 when that fails (startup).
fn create_dir_or_exit(dir: &str) {
    if let Err(e) = create_dir_if_missing(dir) {
        tracing::warn!(
            "Can't open or create append-only dir {}: {}",
            dir,
            crate::log::os_error_text(&e)
        );
        std::process::exit(1);
    }
}

/// Moves an old single-file AOF into the AOF directory as its base file
/// (Redis `aofUpgradePrepare`); exits on failure, as Redis does.
pub fn aof_upgrade_prepare(srv: &mut Server) {
    let dir = srv.config.appenddirname.clone();
    let fname = srv.config.appendfilename.clone();
    create_dir_or_exit(&dir);
    let am = &mut srv.aof.manifest;
    am.base = Some(manifest::AofInfo {
        file_name: fname.clone(),
        file_seq: 1,
        file_type: manifest::AofFileType::Base,
    });
    am.curr_base_file_seq = 1;
    am.dirty = true;
    if persist_manifest(srv).is_err() {
        std::process::exit(1);
    }
    if let Err(e) = std::fs::rename(&fname, make_path(&dir, &fname)) {
        tracing::warn!(
            "Error trying to move the old AOF file {} into dir {}: {}",
            fname,
            dir,
            crate::log::os_error_text(&e)
        );
        std::process::exit(1);
    }
    tracing::info!(
        "Successfully migrated an old-style AOF file ({}) into the AOF directory ({}).",
        fname,
        dir
    );
}

/// Sets the AOF state from `appendonly` and reads the manifest (the start
/// of Redis's startup sequence: `aof_state = aof_enabled`, then
/// `aofLoadManifestFromDisk`).
pub fn aof_init_on_startup(srv: &mut Server) {
    srv.aof.state = if srv.config.appendonly {
        AofStatus::On
    } else {
        AofStatus::Off
    };
    aof_load_manifest_from_disk(srv);
}

/// Loads the dataset from the AOF at startup (the AOF branch of Redis
/// `loadDataFromDisk`): exits on failure; logs "DB loaded from append only
/// file: %.3f seconds" unless there was no AOF.
pub fn load_data_from_aof(srv: &mut Server) {
    let start = std::time::Instant::now();
    let ret = load::load_append_only_files(srv);
    if ret == AofLoadStatus::Failed || ret == AofLoadStatus::OpenErr {
        std::process::exit(1);
    }
    if ret != AofLoadStatus::NotExist {
        tracing::info!(
            "DB loaded from append only file: {:.3} seconds",
            start.elapsed().as_secs_f64()
        );
    }
}

/// After loading, with the AOF on (Redis `aofOpenIfNeededOnServerStart`):
/// writes a base file when there is none yet ("Creating AOF base file %s
/// on server start"), opens the last incr file for appending (or creates
/// one), and writes the manifest. Any failure is fatal (exit 1).
pub fn aof_open_if_needed_on_server_start(srv: &mut Server) {
    if srv.aof.state != AofStatus::On {
        return;
    }
    let dir = srv.config.appenddirname.clone();
    let fname = srv.config.appendfilename.clone();
    create_dir_or_exit(&dir);
    let incr_len = srv.aof.manifest.incr_list.len();
    if srv.aof.manifest.base.is_none() && incr_len == 0 {
        let preamble = srv.config.aof_use_rdb_preamble;
        let base = srv.aof.manifest.new_base_file_name(&fname, preamble);
        if rewrite::rewrite_append_only_file(srv, &make_path(&dir, &base), |_| {}).is_err() {
            std::process::exit(1);
        }
        tracing::info!("Creating AOF base file {} on server start", base);
    }
    let name = srv.aof.manifest.last_incr_file_name(&fname);
    match open_append(&make_path(&dir, &name), false) {
        Ok(f) => srv.aof.fd = Some(Arc::new(f)),
        Err(e) => {
            tracing::warn!(
                "Can't open the append-only file {}: {}",
                name,
                crate::log::os_error_text(&e)
            );
            std::process::exit(1);
        }
    }
    if persist_manifest(srv).is_err() {
        std::process::exit(1);
    }
    let size = load::get_append_only_file_size(srv, &dir, &name).unwrap_or(0) as i64;
    srv.aof.last_incr_size = size;
    srv.aof.last_incr_fsync_offset = size;
    if incr_len > 0 {
        tracing::info!("Opening AOF incr file {} on server start", name);
    } else {
        tracing::info!("Creating AOF incr file {} on server start", name);
    }
}

/// Deletes the history files in the background and drops them from the
/// manifest (Redis `aofDelHistoryFiles`), unless `aof-disable-auto-gc yes`.
pub fn aof_del_history_files(srv: &mut Server) -> io::Result<()> {
    if srv.config.aof_disable_auto_gc || srv.aof.manifest.history_list.is_empty() {
        return Ok(());
    }
    let dir = srv.config.appenddirname.clone();
    for h in std::mem::take(&mut srv.aof.manifest.history_list) {
        tracing::info!(
            "Removing the history file {} in the background",
            h.file_name
        );
        fsync::bg_unlink(make_path(&dir, &h.file_name));
    }
    srv.aof.manifest.dirty = true;
    persist_manifest(srv)
}

fn temp_incr_name(srv: &Server) -> String {
    format!("temp-{}.incr", srv.config.appendfilename)
}

/// Opens a new incr file for the writes made during a rewrite (Redis
/// `openNewIncrAofForAppend`): a numbered one listed in the manifest when
/// the AOF is on, `temp-<appendfilename>.incr` while waiting for the first
/// rewrite. The manifest change and the switch of file happen together or
/// not at all. The old file is fsynced and closed in the background.
fn open_new_incr_aof_for_append(srv: &mut Server) -> io::Result<()> {
    if srv.aof.state == AofStatus::Off {
        return Ok(());
    }
    let dir = srv.config.appenddirname.clone();
    let fname = srv.config.appendfilename.clone();
    let mut temp_am = None;
    let name = if srv.aof.state == AofStatus::WaitRewrite {
        temp_incr_name(srv)
    } else {
        let mut am = srv.aof.manifest.clone();
        let n = am.new_incr_file_name(&fname);
        temp_am = Some(am);
        n
    };
    let f = open_append(&make_path(&dir, &name), true).inspect_err(|e| {
        tracing::warn!(
            "Can't open the append-only file {}: {}",
            name,
            crate::log::os_error_text(e)
        );
    })?;
    if let Some(am) = temp_am.as_mut() {
        manifest::persist_manifest(am, &dir, &fname)?;
    }
    tracing::info!("Creating AOF incr file {} on background rewrite", name);
    if let Some(old) = srv.aof.fd.take() {
        fsync::create_fsync_and_close_job(old);
        srv.aof.last_fsync = unixtime(srv);
    }
    srv.aof.fd = Some(Arc::new(f));
    srv.aof.last_incr_size = 0;
    srv.aof.last_incr_fsync_offset = 0;
    if let Some(am) = temp_am {
        srv.aof.manifest = am;
    }
    Ok(())
}

/// True while automatic rewrites are held back after repeated failures
/// (Redis `aofRewriteLimited`): from the third consecutive failure the
/// next attempt waits 1, 2, 4, ... up to 60 minutes.
fn aof_rewrite_limited(srv: &mut Server) -> bool {
    let now = unixtime(srv);
    let a = &mut srv.aof;
    if a.consecutive_failures < AOF_REWRITE_LIMIT_THRESHOLD {
        a.limit_next_delay_minutes = 0;
        a.limit_next_rewrite_time = 0;
        return false;
    }
    if a.limit_next_rewrite_time != 0 {
        if now < a.limit_next_rewrite_time {
            return true;
        }
        a.limit_next_rewrite_time = 0;
        return false;
    }
    a.limit_next_delay_minutes = if a.limit_next_delay_minutes == 0 {
        1
    } else {
        (a.limit_next_delay_minutes * 2).min(AOF_REWRITE_LIMIT_MAX_MINUTES)
    };
    a.limit_next_rewrite_time = now + a.limit_next_delay_minutes * 60;
    tracing::warn!(
        "Background AOF rewrite has repeatedly failed and triggered the limit, will retry in {} minutes",
        a.limit_next_delay_minutes
    );
    true
}

// ---- Background rewrite ----

/// Starts a rewrite in a forked child (Redis `rewriteAppendOnlyFileBackground`):
/// flushes the buffer, opens a new incr file, forks; the child writes
/// `temp-rewriteaof-bg-<pid>.aof` and exits 0 on success. False when a
/// child already exists or a step failed (logged, `aof_last_bgrewrite_status:err`).
pub fn rewrite_append_only_file_background(srv: &mut Server) -> bool {
    if crate::childinfo::has_active_child_process(srv) {
        return false;
    }
    if let Err(e) = create_dir_if_missing(&srv.config.appenddirname) {
        tracing::warn!(
            "Can't open or create append-only dir {}: {}",
            srv.config.appenddirname,
            crate::log::os_error_text(&e)
        );
        srv.aof.lastbgrewrite_ok = false;
        return false;
    }
    srv.aof.selected_db = None;
    flush_append_only_file(srv, true);
    if open_new_incr_aof_for_append(srv).is_err() {
        srv.aof.lastbgrewrite_ok = false;
        return false;
    }
    srv.aof.stat_rewrites += 1;
    match crate::childinfo::redis_fork(srv, ChildType::Aof) {
        Ok(ForkOutcome::Child { mut info }) => {
            crate::log::set_role(b'C');
            let tmpfile = format!("temp-rewriteaof-bg-{}.aof", std::process::id());
            let res = rewrite::rewrite_append_only_file(srv, Path::new(&tmpfile), |keys| {
                crate::childinfo::send_child_info(
                    &mut info,
                    keys,
                    crate::childinfo::child_private_dirty(),
                )
            });
            if res.is_ok() {
                tracing::info!(
                    "Successfully created the temporary AOF base file {}",
                    tmpfile
                );
                let cow = crate::childinfo::child_private_dirty();
                crate::childinfo::send_child_info(&mut info, 0, cow);
                crate::childinfo::exit_from_child(0);
            }
            crate::childinfo::exit_from_child(1);
        }
        Ok(ForkOutcome::Parent(pid)) => {
            tracing::info!(
                "Background append only file rewriting started by pid {}",
                pid
            );
            srv.aof.rewrite_scheduled = false;
            srv.aof.rewrite_time_start = crate::util::mstime() / 1000;
            true
        }
        Err(e) => {
            srv.aof.lastbgrewrite_ok = false;
            tracing::warn!(
                "Can't rewrite append only file in background: fork: {}",
                crate::log::os_error_text(&e)
            );
            false
        }
    }
}

/// BGREWRITEAOF → `+Background append only file rewriting started`, or
/// `+Background append only file rewriting scheduled` when another child
/// runs or inside MULTI (then `aof_rewrites_consecutive_failures` is reset);
/// errors "ERR Background append only file rewriting already in progress"
/// and "ERR Can't execute an AOF background rewriting. Please check the
/// server logs for more information." (Redis `bgrewriteaofCommand`).
pub fn bgrewriteaof_command(srv: &mut Server, c: &mut Client) {
    if srv.child.kind == ChildType::Aof && crate::childinfo::has_active_child_process(srv) {
        c.add_reply_error("ERR Background append only file rewriting already in progress");
    } else if crate::childinfo::has_active_child_process(srv) || srv.in_exec {
        srv.aof.rewrite_scheduled = true;
        srv.aof.consecutive_failures = 0;
        c.add_reply_status("Background append only file rewriting scheduled");
    } else if rewrite_append_only_file_background(srv) {
        c.add_reply_status("Background append only file rewriting started");
    } else {
        c.add_reply_error(
            "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
        );
    }
}

fn remove_temp_files(pid: i32) {
    let _ = std::fs::remove_file(format!("temp-rewriteaof-bg-{}.aof", pid));
    let _ = std::fs::remove_file(format!("temp-rewriteaof-{}.aof", pid));
}

/// Kills a running rewrite child and removes its temp files (Redis `killAppendOnlyChild`).
pub fn kill_append_only_child(srv: &mut Server) {
    if srv.child.kind != ChildType::Aof || !crate::childinfo::has_active_child_process(srv) {
        return;
    }
    let pid = srv.child.pid;
    tracing::info!("Killing running AOF rewrite child: {}", pid);
    crate::childinfo::kill_child(srv);
    remove_temp_files(pid);
    srv.aof.rewrite_time_start = -1;
}

/// The done part of a successful rewrite; Err after a logged failure.
fn rewrite_done_ok(srv: &mut Server, pid: i32) -> Result<(), ()> {
    let dir = srv.config.appenddirname.clone();
    let fname = srv.config.appendfilename.clone();
    let tmpfile = format!("temp-rewriteaof-bg-{}.aof", pid);
    let mut am = srv.aof.manifest.clone();
    let new_base = am.new_base_file_name(&fname, srv.config.aof_use_rdb_preamble);
    let new_base_path = make_path(&dir, &new_base);
    let latency = crate::latency::latency_start_monitor(srv);
    let renamed = std::fs::rename(&tmpfile, &new_base_path);
    let latency = crate::latency::latency_end_monitor(srv, latency);
    if let Err(e) = renamed {
        tracing::warn!(
            "Error trying to rename the temporary AOF base file {} into {}: {}",
            tmpfile,
            new_base_path.display(),
            crate::log::os_error_text(&e)
        );
        return Err(());
    }
    crate::latency::latency_add_sample_if_needed(srv, "aof-rename", latency);
    tracing::info!(
        "Successfully renamed the temporary AOF base file {} into {}",
        tmpfile,
        new_base
    );
    let mut new_incr_path = None;
    if srv.aof.state == AofStatus::WaitRewrite {
        let temp_incr = temp_incr_name(srv);
        let temp_incr_path = make_path(&dir, &temp_incr);
        let new_incr = am.new_incr_file_name(&fname);
        let p = make_path(&dir, &new_incr);
        let latency = crate::latency::latency_start_monitor(srv);
        let renamed = std::fs::rename(&temp_incr_path, &p);
        let latency = crate::latency::latency_end_monitor(srv, latency);
        if let Err(e) = renamed {
            tracing::warn!(
                "Error trying to rename the temporary AOF incr file {} into {}: {}",
                temp_incr_path.display(),
                p.display(),
                crate::log::os_error_text(&e)
            );
            fsync::bg_unlink(new_base_path);
            return Err(());
        }
        crate::latency::latency_add_sample_if_needed(srv, "aof-rename", latency);
        tracing::info!(
            "Successfully renamed the temporary AOF incr file {} into {}",
            temp_incr,
            new_incr
        );
        new_incr_path = Some(p);
    }
    am.mark_rewritten_incr_as_history(srv.aof.fd.is_some());
    if manifest::persist_manifest(&mut am, &dir, &fname).is_err() {
        fsync::bg_unlink(new_base_path);
        if let Some(p) = new_incr_path {
            fsync::bg_unlink(p);
        }
        return Err(());
    }
    srv.aof.manifest = am;
    if srv.aof.state != AofStatus::Off {
        let base_size = load::get_append_only_file_size(srv, &dir, &new_base).unwrap_or(0) as i64;
        srv.aof.current_size = base_size + srv.aof.last_incr_size;
        srv.aof.rewrite_base_size = srv.aof.current_size;
    }
    let _ = aof_del_history_files(srv);
    Ok(())
}

/// Called by the cron when the BGREWRITEAOF child ended (Redis
/// `backgroundRewriteDoneHandler`): on success installs the new base (see
/// the module docs) and logs "Background AOF rewrite finished
/// successfully"; on failure counts it (a kill by SIGUSR1, ours, is not a
/// failure). Either way removes the temp files, and while waiting for the
/// first rewrite schedules another one.
pub fn background_rewrite_done_handler(srv: &mut Server, exit: crate::childinfo::ChildExit) {
    if exit.bysignal == 0 && exit.exitcode == 0 {
        tracing::info!("Background AOF rewrite terminated with success");
        srv.aof.stat_cow_bytes = std::mem::take(&mut srv.aof.child_cow_bytes);
        match rewrite_done_ok(srv, exit.pid) {
            Ok(()) => {
                srv.aof.lastbgrewrite_ok = true;
                srv.aof.consecutive_failures = 0;
                tracing::info!("Background AOF rewrite finished successfully");
                if srv.aof.state == AofStatus::WaitRewrite {
                    srv.aof.state = AofStatus::On;
                }
            }
            Err(()) => {
                srv.aof.lastbgrewrite_ok = false;
                srv.aof.consecutive_failures += 1;
            }
        }
    } else if exit.bysignal == 0 {
        srv.aof.lastbgrewrite_ok = false;
        srv.aof.consecutive_failures += 1;
        tracing::warn!("Background AOF rewrite terminated with error");
    } else {
        if exit.bysignal != libc::SIGUSR1 {
            srv.aof.lastbgrewrite_ok = false;
            srv.aof.consecutive_failures += 1;
        }
        tracing::warn!(
            "Background AOF rewrite terminated by signal {}",
            exit.bysignal
        );
    }
    remove_temp_files(exit.pid);
    if srv.aof.state == AofStatus::WaitRewrite {
        srv.aof.buf.clear();
        let name = temp_incr_name(srv);
        tracing::info!("Removing the temp incr aof file {} in the background", name);
        fsync::bg_unlink(make_path(&srv.config.appenddirname, &name));
    }
    let now = crate::util::mstime() / 1000;
    srv.aof.rewrite_time_last = now - srv.aof.rewrite_time_start;
    srv.aof.rewrite_time_start = -1;
    if srv.aof.state == AofStatus::WaitRewrite {
        srv.aof.rewrite_scheduled = true;
    }
}

// ---- Turning the AOF on and off at runtime ----

/// `CONFIG SET appendonly no` (Redis `stopAppendOnly`): flushes and
/// fsyncs the file, closes it, kills a rewrite child, drops the buffer.
pub fn stop_append_only(srv: &mut Server) {
    flush_append_only_file(srv, true);
    if let Some(fd) = srv.aof.fd.take() {
        match fd.sync_data() {
            Err(e) => tracing::warn!(
                "Fail to fsync the AOF file: {}",
                crate::log::os_error_text(&e)
            ),
            Ok(()) => srv.aof.last_fsync = unixtime(srv),
        }
    }
    srv.aof.selected_db = None;
    srv.aof.state = AofStatus::Off;
    srv.aof.rewrite_scheduled = false;
    srv.aof.last_incr_size = 0;
    srv.aof.last_incr_fsync_offset = 0;
    kill_append_only_child(srv);
    srv.aof.buf = Vec::new();
}

/// `CONFIG SET appendonly yes` (Redis `startAppendOnly`): waits for the
/// first rewrite (`AOF_WAIT_REWRITE`), starting it now or scheduling it
/// when another child runs or inside a transaction. False when the rewrite
/// could not start (logged).
pub fn start_append_only(srv: &mut Server) -> bool {
    srv.aof.state = AofStatus::WaitRewrite;
    let child = crate::childinfo::has_active_child_process(srv);
    if child && srv.child.kind != ChildType::Aof {
        srv.aof.rewrite_scheduled = true;
        tracing::warn!(
            "AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible."
        );
    } else if srv.in_exec {
        srv.aof.rewrite_scheduled = true;
        tracing::warn!(
            "AOF was enabled during a transaction. An AOF background was scheduled to start when possible."
        );
    } else {
        if child && srv.child.kind == ChildType::Aof {
            tracing::warn!(
                "AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now."
            );
            kill_append_only_child(srv);
        }
        if !rewrite_append_only_file_background(srv) {
            srv.aof.state = AofStatus::Off;
            tracing::warn!(
                "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error."
            );
            return false;
        }
    }
    srv.aof.last_fsync = unixtime(srv);
    if fsync::fsync_status().is_err() {
        tracing::warn!("AOF reopen, just ignore the AOF fsync error in bio job");
        fsync::reset_fsync_status();
    }
    if !srv.aof.last_write_ok {
        tracing::warn!("AOF reopen, just ignore the last error.");
        srv.aof.last_write_ok = true;
    }
    true
}

/// The apply hook of `appendonly` (Redis `updateAppendonly`): Err carries
/// "Unable to turn on AOF. Check server logs.".
pub fn update_appendonly(srv: &mut Server) -> Result<(), String> {
    if !srv.config.appendonly && srv.aof.state != AofStatus::Off {
        stop_append_only(srv);
    } else if srv.config.appendonly && srv.aof.state == AofStatus::Off && !start_append_only(srv) {
        return Err("Unable to turn on AOF. Check server logs.".to_string());
    }
    Ok(())
}

/// The apply hook of `aof-disable-auto-gc` (Redis `updateAofAutoGCEnabled`):
/// turning the garbage collection back on deletes the history files now.
pub fn update_aof_auto_gc(srv: &mut Server) {
    if !srv.config.aof_disable_auto_gc {
        let _ = aof_del_history_files(srv);
    }
}

// ---- Cron, shutdown, DEBUG ----

/// The AOF part of the cron that runs before children are reaped: note the
/// rewrite child's copy-on-write report, and start a scheduled rewrite when
/// no child runs (Redis `serverCron`).
pub fn aof_cron_scheduled(srv: &mut Server) {
    // The rewrite child's last copy-on-write report, kept for INFO
    // `aof_last_cow_size` (the child state is reset when it is reaped).
    if srv.child.kind == ChildType::Aof && crate::childinfo::has_active_child_process(srv) {
        crate::childinfo::receive_child_info(srv);
        srv.aof.child_cow_bytes = srv.child.cow_size;
    }
    if !crate::childinfo::has_active_child_process(srv)
        && srv.aof.rewrite_scheduled
        && !aof_rewrite_limited(srv)
    {
        rewrite_append_only_file_background(srv);
    }
}

/// The AOF part of the cron after children are reaped: the automatic
/// rewrite on `auto-aof-rewrite-percentage` growth above
/// `auto-aof-rewrite-min-size` ("Starting automatic rewriting of AOF on
/// %lld%% growth"), a postponed flush, and once a second a retry of a
/// failed write (Redis `serverCron`).
pub fn aof_cron(srv: &mut Server) {
    if srv.aof.state == AofStatus::On
        && !crate::childinfo::has_active_child_process(srv)
        && srv.config.auto_aof_rewrite_percentage > 0
        && srv.aof.current_size > srv.config.auto_aof_rewrite_min_size
    {
        let base = if srv.aof.rewrite_base_size > 0 {
            srv.aof.rewrite_base_size
        } else {
            1
        };
        let growth = (srv.aof.current_size.saturating_mul(100) / base) - 100;
        if growth >= srv.config.auto_aof_rewrite_percentage as i64 && !aof_rewrite_limited(srv) {
            tracing::info!("Starting automatic rewriting of AOF on {}% growth", growth);
            rewrite_append_only_file_background(srv);
        }
    }
    if srv.aof.is_on() && srv.aof.flush_postponed_start != 0 {
        flush_append_only_file(srv, false);
    }
    if srv.aof.is_on() && !srv.aof.last_write_ok && srv.mstime - srv.aof.last_error_retry_ms >= 1000
    {
        srv.aof.last_error_retry_ms = srv.mstime;
        flush_append_only_file(srv, false);
    }
}

/// The AOF part of shutting down (Redis `finishShutdown`): kill a rewrite
/// child ("There is a child rewriting the AOF. Killing it!"), then write
/// and fsync what is buffered ("Calling fsync() on the AOF file."). False,
/// after logging "Writing initial AOF, can't exit.", when the child writes
/// the initial AOF (turned on by CONFIG SET appendonly yes) and `force` is
/// not set: exiting would lose the dataset. With `force` it logs "Writing
/// initial AOF. Exit anyway." and goes on.
pub fn prepare_for_shutdown(srv: &mut Server, force: bool) -> bool {
    if srv.child.kind == ChildType::Aof && crate::childinfo::has_active_child_process(srv) {
        if srv.aof.state == AofStatus::WaitRewrite {
            if !force {
                tracing::warn!("Writing initial AOF, can't exit.");
                return false;
            }
            tracing::warn!("Writing initial AOF. Exit anyway.");
        }
        tracing::warn!("There is a child rewriting the AOF. Killing it!");
        kill_append_only_child(srv);
    }
    if srv.aof.state != AofStatus::Off {
        tracing::info!("Calling fsync() on the AOF file.");
        flush_append_only_file(srv, true);
        if let Some(fd) = srv.aof.fd.as_ref()
            && let Err(e) = fd.sync_data()
        {
            tracing::warn!(
                "Fail to fsync the AOF file: {}.",
                crate::log::os_error_text(&e)
            );
        }
    }
    true
}

/// DEBUG LOADAOF (Redis's `debugCommand` "loadaof"): writes the buffer,
/// empties every database, re-reads the manifest and loads the AOF again.
/// A manifest or load failure exits the process (status 1), as Redis does.
/// Logs "Append Only File loaded by DEBUG LOADAOF".
pub fn debug_loadaof(srv: &mut Server) {
    if srv.aof.state != AofStatus::Off {
        flush_append_only_file(srv, true);
    }
    // Redis's emptyData(-1, EMPTYDB_NO_FLAGS) drops the functions too.
    crate::db::empty_data(srv, false, true);
    aof_load_manifest_from_disk(srv);
    let _ = aof_del_history_files(srv);
    let ret = load::load_append_only_files(srv);
    if ret != AofLoadStatus::Ok && ret != AofLoadStatus::Empty {
        std::process::exit(1);
    }
    srv.dirty = 0;
    tracing::warn!("Append Only File loaded by DEBUG LOADAOF");
}

// ---- INFO ----

/// Appends INFO persistence's `aof_*` lines to `o` (Redis `genRedisInfoString`):
/// always `aof_enabled` ... `aof_last_cow_size`, and with `appendonly yes`
/// also `aof_current_size`, `aof_base_size`, `aof_pending_rewrite`,
/// `aof_buffer_length`, `aof_pending_bio_fsync`, `aof_delayed_fsync`.
pub fn info_aof_fields(srv: &Server, o: &mut String) {
    let a = &srv.aof;
    let in_progress =
        srv.child.kind == ChildType::Aof && crate::childinfo::has_active_child_process(srv);
    let current_rewrite = if a.rewrite_time_start == -1 {
        -1
    } else {
        crate::util::mstime() / 1000 - a.rewrite_time_start
    };
    let write_ok = a.last_write_ok && fsync::fsync_status().is_ok();
    o.push_str(&format!(
        "aof_enabled:{}\r\naof_rewrite_in_progress:{}\r\naof_rewrite_scheduled:{}\r\naof_last_rewrite_time_sec:{}\r\naof_current_rewrite_time_sec:{}\r\naof_last_bgrewrite_status:{}\r\naof_rewrites:{}\r\naof_rewrites_consecutive_failures:{}\r\naof_last_write_status:{}\r\naof_last_cow_size:{}\r\n",
        a.is_on() as i32,
        in_progress as i32,
        a.rewrite_scheduled as i32,
        a.rewrite_time_last,
        current_rewrite,
        if a.lastbgrewrite_ok { "ok" } else { "err" },
        a.stat_rewrites,
        a.consecutive_failures,
        if write_ok { "ok" } else { "err" },
        a.stat_cow_bytes,
    ));
    if srv.config.appendonly {
        o.push_str(&format!(
            "aof_current_size:{}\r\naof_base_size:{}\r\naof_pending_rewrite:{}\r\naof_buffer_length:{}\r\naof_pending_bio_fsync:{}\r\naof_delayed_fsync:{}\r\n",
            a.current_size,
            a.rewrite_base_size,
            a.rewrite_scheduled as i32,
            a.buf.len(),
            fsync::pending_fsync_jobs(),
            a.delayed_fsync,
        ));
    }
}

/// Clears the AOF counters CONFIG RESETSTAT resets (Redis `resetServerStats`).
pub fn reset_stats(srv: &mut Server) {
    srv.aof.stat_rewrites = 0;
    srv.aof.consecutive_failures = 0;
    srv.aof.delayed_fsync = 0;
}

/// Flushes the file when the buffer holds data (used by tests of this module).
#[cfg(test)]
fn buffered(srv: &Server) -> usize {
    srv.aof.buf.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_adds_select_and_timestamp() {
        let mut srv = Server::new(crate::config::Config::default()).unwrap();
        srv.aof.state = AofStatus::On;
        srv.config.aof_timestamp_enabled = true;
        srv.mstime = 5_000;
        feed_append_only_file(
            &mut srv,
            3,
            &[Bytes::from_static(b"DEL"), Bytes::from_static(b"k")],
        );
        feed_append_only_file(
            &mut srv,
            3,
            &[Bytes::from_static(b"DEL"), Bytes::from_static(b"j")],
        );
        assert_eq!(
            srv.aof.buf,
            b"#TS:5\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n*2\r\n$3\r\nDEL\r\n$1\r\nj\r\n"
        );
        // Waiting for the first rewrite with no child: nothing is kept.
        srv.aof.state = AofStatus::WaitRewrite;
        let before = buffered(&srv);
        feed_append_only_file(
            &mut srv,
            3,
            &[Bytes::from_static(b"DEL"), Bytes::from_static(b"k")],
        );
        assert_eq!(buffered(&srv), before);
    }

    #[test]
    fn write_error_keeps_data_and_refuses_writes() {
        let mut srv = Server::new(crate::config::Config::default()).unwrap();
        srv.aof.state = AofStatus::On;
        srv.config.appendfsync = AppendFsync::No;
        let dir = std::env::temp_dir().join(format!("aof-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ro.aof");
        std::fs::write(&path, b"").unwrap();
        // A read-only descriptor: every write fails with EBADF.
        srv.aof.fd = Some(Arc::new(File::open(&path).unwrap()));
        feed_append_only_file(
            &mut srv,
            0,
            &[
                Bytes::from_static(b"SET"),
                Bytes::from_static(b"k"),
                Bytes::from_static(b"v"),
            ],
        );
        let pending = srv.aof.buf.len();
        flush_append_only_file(&mut srv, false);
        assert_eq!(srv.aof.buf.len(), pending, "the data stays buffered");
        assert!(!srv.aof.last_write_ok);
        assert_eq!(
            write_error_message(&srv).as_deref(),
            Some("MISCONF Errors writing to the AOF file: Bad file descriptor")
        );
        // The file becomes writable: the retry succeeds and writes are accepted.
        srv.aof.fd = Some(Arc::new(open_append(&path, false).unwrap()));
        flush_append_only_file(&mut srv, false);
        assert!(srv.aof.last_write_ok);
        assert_eq!(write_error_message(&srv), None);
        assert_eq!(std::fs::read(&path).unwrap().len(), pending);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
