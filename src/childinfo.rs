//! Forked children (Redis `redisFork` in `server.c`, and `childinfo.c`).
//!
//! BGSAVE and BGREWRITEAOF write their file from a forked child, which sees
//! a copy-on-write image of the keyspace while the parent keeps serving.
//! One child exists at a time ([`ChildState`]). The child reports progress
//! and its copy-on-write size to the parent through a non-blocking pipe
//! ([`send_child_info_generic`]): fixed 32-byte records (type, keys
//! written, copy-on-write bytes, when that size was measured), each written
//! whole since it is far below `PIPE_BUF`. Progress records feed INFO's
//! `current_cow_*` / `current_save_keys_processed` / `current_fork_perc`;
//! the final record of an RDB or AOF child gives `rdb_last_cow_size` /
//! `aof_last_cow_size`. The copy-on-write size is the child's
//! `Private_Dirty` memory, read from `/proc/self/smaps_rollup` no more than
//! 1% of the child's time, as Redis throttles it. The parent reads the pipe
//! in the cron ([`receive_child_info`]) and reaps the child with
//! `waitpid(WNOHANG)` ([`check_child_done`]), then hands the exit status to
//! the owner of the child type.
//!
//! While a child exists, dict resizing is held back
//! (`dict::set_resize_enabled(false)`), so the parent does not touch every
//! page of the tables and copy them.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};

use crate::server::Server;

/// Nice value of a forked child (the parent keeps its own): the snapshot
/// gives way to serving clients when both want the CPU.
pub const CHILD_NICE: i32 = 10;

/// What a child is writing (Redis `CHILD_TYPE_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChildType {
    #[default]
    None,
    Rdb,
    Aof,
}

impl ChildType {
    /// The name Redis logs and reports ("RDB", "AOF rewrite").
    pub fn name(self) -> &'static str {
        match self {
            ChildType::None => "none",
            ChildType::Rdb => "RDB",
            ChildType::Aof => "AOF rewrite",
        }
    }
}

/// The child process, as the parent sees it.
#[derive(Debug, Default)]
pub struct ChildState {
    /// Its pid, -1 when none.
    pub pid: i32,
    pub kind: ChildType,
    /// Read end of the info pipe (non-blocking).
    pub info_pipe: Option<File>,
    /// When it was forked, unix µs.
    pub start_us: i64,
    /// Last reported copy-on-write bytes (INFO `current_cow_size`).
    pub cow_size: u64,
    /// Highest copy-on-write bytes reported by this child (INFO `current_cow_peak`).
    pub cow_peak: u64,
    /// When the child last measured its copy-on-write size, unix ms; 0 when
    /// never (INFO `current_cow_size_age`).
    pub cow_updated_ms: i64,
    /// Last reported keys written (INFO `current_save_keys_processed`).
    pub keys_processed: u64,
    /// Keys in all databases when the child was forked (INFO `current_save_keys_total`).
    pub keys_total: u64,
    /// Copy-on-write bytes the last RDB child reported when it finished
    /// (INFO `rdb_last_cow_size`); kept across children.
    pub rdb_cow_bytes: u64,
    /// The same for the last AOF rewrite child (INFO `aof_last_cow_size`).
    pub aof_cow_bytes: u64,
    /// How long the last fork took, µs (INFO `latest_fork_usec`).
    pub latest_fork_usec: i64,
    /// Total forks (INFO `total_forks`).
    pub total_forks: u64,
}

/// Result of [`redis_fork`].
pub enum ForkOutcome {
    /// We are the child: write the file, call [`send_child_info`], then [`exit_from_child`].
    Child {
        /// Write end of the info pipe.
        info: File,
    },
    /// We are the parent; the child's pid is recorded in `srv.child`.
    Parent(i32),
}

/// True while a child exists (Redis `hasActiveChildProcess`).
pub fn has_active_child_process(srv: &Server) -> bool {
    srv.child.pid > 0
}

/// Forks a child of `kind` (Redis `redisFork`). In the parent: records the
/// child, holds back dict resizing, and counts the fork. Errors: a child
/// already exists (`EEXIST`), or the pipe/fork system call failed.
#[allow(unsafe_code)]
pub fn redis_fork(srv: &mut Server, kind: ChildType) -> io::Result<ForkOutcome> {
    if has_active_child_process(srv) {
        return Err(io::Error::from_raw_os_error(libc::EEXIST));
    }
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 writes two descriptors into a valid 2-element array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just created and are owned by nothing else.
    let (rd, wr) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let start = crate::util::ustime();
    // SAFETY: fork is called from the data thread; the child only writes its
    // copy of the keyspace to a file and leaves with `_exit`, touching no
    // lock another thread may hold (jemalloc handles fork itself).
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        drop(rd);
        // Help the OOM killer pick the child first (Redis `redisFork`).
        let _ =
            crate::config::set_oom_score_adj(&srv.config, Some(crate::config::CONFIG_OOM_BGCHILD));
        // The child yields the CPU to the serving parent: on a small
        // machine the snapshot writer otherwise competes with the event
        // loop and the clients, and tail latency during a BGSAVE grows.
        // SAFETY: setpriority on the calling (only) thread of this process.
        unsafe {
            libc::setpriority(libc::PRIO_PROCESS, 0, CHILD_NICE);
        }
        return Ok(ForkOutcome::Child {
            info: File::from(wr),
        });
    }
    drop(wr);
    let now = crate::util::ustime();
    let keys_total = srv.dbs.iter().map(|db| db.dict.len() as u64).sum();
    srv.child = ChildState {
        pid,
        kind,
        info_pipe: Some(File::from(rd)),
        start_us: now,
        cow_size: 0,
        cow_peak: 0,
        cow_updated_ms: 0,
        keys_processed: 0,
        keys_total,
        rdb_cow_bytes: srv.child.rdb_cow_bytes,
        aof_cow_bytes: srv.child.aof_cow_bytes,
        latest_fork_usec: now - start,
        total_forks: srv.child.total_forks + 1,
    };
    crate::dict::set_resize_enabled(false);
    let used = crate::info::jemalloc_allocated().unwrap_or(srv.used_memory);
    crate::latency::latency_record_fork(srv, now - start, used);
    Ok(ForkOutcome::Parent(pid))
}

/// Ends the child without running destructors or atexit handlers (Redis
/// `exitFromChild`): the parent's data must not be freed or flushed twice.
#[allow(unsafe_code)]
pub fn exit_from_child(code: i32) -> ! {
    // SAFETY: _exit is async-signal-safe and never returns.
    unsafe { libc::_exit(code) }
}

/// The child's copy-on-write bytes so far: the sum of `Private_Dirty` in
/// `/proc/self/smaps_rollup` (Redis `zmalloc_get_private_dirty`).
pub fn child_private_dirty() -> u64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/smaps_rollup") else {
        return 0;
    };
    s.lines()
        .filter_map(|l| l.strip_prefix("Private_Dirty:"))
        .filter_map(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .sum::<u64>()
        * 1024
}

/// What a progress record reports (Redis `childInfoType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildInfoType {
    /// Progress while writing: keys so far and the current copy-on-write size.
    CurrentInfo = 0,
    /// The final copy-on-write size of an AOF rewrite child.
    AofCowSize = 1,
    /// The final copy-on-write size of an RDB child.
    RdbCowSize = 2,
}

/// One record on the info pipe: type, keys, cow bytes, cow measurement time
/// (unix ms), each a little-endian u64/i64.
const CHILD_INFO_RECORD: usize = 32;

/// A copy-on-write reading may take at most 1/`CHILD_COW_DUTY_CYCLE` of
/// the child's time (Redis `CHILD_COW_DUTY_CYCLE`).
const CHILD_COW_DUTY_CYCLE: i64 = 100;

/// The child's running copy-on-write figures (statics in Redis's
/// `sendChildInfoGeneric`; a forked child starts with them zeroed because
/// the parent never measures).
struct CowStats {
    cow: u64,
    updated_us: i64,
    update_cost_us: i64,
    peak: u64,
    sum: u64,
    count: u64,
}

static COW_STATS: std::sync::Mutex<CowStats> = std::sync::Mutex::new(CowStats {
    cow: 0,
    updated_us: 0,
    update_cost_us: 0,
    peak: 0,
    sum: 0,
    count: 0,
});

/// Sends a progress record from the child (Redis `sendChildInfoGeneric`).
///
/// The copy-on-write size is measured from `/proc/self/smaps_rollup`
/// ([`child_private_dirty`]); for [`ChildInfoType::CurrentInfo`] reports a
/// new reading is taken only when the time since the last one exceeds 100
/// times what that reading cost, since it is expensive on big processes.
/// Each reading is logged as "Fork CoW for %s: current %zu MB, peak %zu MB,
/// average %llu MB" (`pname` is "RDB" or "AOF rewrite"): at notice level
/// for the final report, verbose for progress (and only when non-zero).
/// If the parent is gone the child logs "Child failed reporting info to
/// parent, exiting. %s" and exits with status 1.
pub fn send_child_info_generic(info: &mut File, kind: ChildInfoType, keys: u64, pname: &str) {
    let (cow, updated_us) = {
        let mut st = COW_STATS.lock().unwrap_or_else(|e| e.into_inner());
        let now = crate::util::ustime();
        if kind != ChildInfoType::CurrentInfo
            || st.updated_us == 0
            || now - st.updated_us > st.update_cost_us * CHILD_COW_DUTY_CYCLE
        {
            st.cow = child_private_dirty();
            st.updated_us = crate::util::ustime();
            st.update_cost_us = st.updated_us - now;
            st.peak = st.peak.max(st.cow);
            st.sum += st.cow;
            st.count += 1;
            let msg = format!(
                "Fork CoW for {}: current {} MB, peak {} MB, average {} MB",
                pname,
                st.cow >> 20,
                st.peak >> 20,
                (st.sum / st.count) >> 20
            );
            if kind != ChildInfoType::CurrentInfo {
                tracing::info!("{}", msg);
            } else if st.cow != 0 {
                tracing::debug!("{}", msg);
            }
        }
        (st.cow, st.updated_us)
    };
    let mut rec = [0u8; CHILD_INFO_RECORD];
    rec[..8].copy_from_slice(&(kind as u64).to_le_bytes());
    rec[8..16].copy_from_slice(&keys.to_le_bytes());
    rec[16..24].copy_from_slice(&cow.to_le_bytes());
    rec[24..].copy_from_slice(&(updated_us / 1000).to_le_bytes());
    if let Err(e) = info.write_all(&rec) {
        tracing::warn!(
            "Child failed reporting info to parent, exiting. {}",
            crate::log::os_error_text(&e)
        );
        exit_from_child(1);
    }
}

/// Sends a progress record with a copy-on-write size the caller measured:
/// `keys` written so far and `cow` bytes (a [`ChildInfoType::CurrentInfo`]
/// record stamped now). Failures to write are ignored.
pub fn send_child_info(info: &mut File, keys: u64, cow: u64) {
    let mut rec = [0u8; CHILD_INFO_RECORD];
    rec[..8].copy_from_slice(&(ChildInfoType::CurrentInfo as u64).to_le_bytes());
    rec[8..16].copy_from_slice(&keys.to_le_bytes());
    rec[16..24].copy_from_slice(&cow.to_le_bytes());
    rec[24..].copy_from_slice(&crate::util::mstime().to_le_bytes());
    let _ = info.write_all(&rec);
}

/// Reads every complete progress record the child has sent (Redis
/// `receiveChildInfo` / `updateChildInfo`): progress records update the
/// `current_*` figures, final records `rdb_cow_bytes` / `aof_cow_bytes`.
pub fn receive_child_info(srv: &mut Server) {
    let st = &mut srv.child;
    let Some(p) = st.info_pipe.as_mut() else {
        return;
    };
    let mut rec = [0u8; CHILD_INFO_RECORD];
    let word = |r: &[u8; CHILD_INFO_RECORD], i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&r[i * 8..i * 8 + 8]);
        u64::from_le_bytes(b)
    };
    // Records are far smaller than PIPE_BUF, so each write arrives whole.
    while let Ok(CHILD_INFO_RECORD) = p.read(&mut rec) {
        let (kind, keys, cow, updated) =
            (word(&rec, 0), word(&rec, 1), word(&rec, 2), word(&rec, 3));
        match kind {
            0 => {
                st.cow_peak = st.cow_peak.max(cow);
                st.cow_size = cow;
                st.cow_updated_ms = updated as i64;
                st.keys_processed = keys;
            }
            1 => st.aof_cow_bytes = cow,
            2 => st.rdb_cow_bytes = cow,
            _ => {}
        }
    }
}

/// How a child ended.
#[derive(Clone, Copy, Debug)]
pub struct ChildExit {
    pub kind: ChildType,
    pub pid: i32,
    pub exitcode: i32,
    /// The signal that killed it, 0 if it exited.
    pub bysignal: i32,
}

/// Reaps a finished child, if any (Redis `checkChildrenDone`): reads its
/// last progress record, clears `srv.child`, lets dicts resize again and
/// returns how it ended. The caller dispatches on `kind`.
#[allow(unsafe_code)]
pub fn check_child_done(srv: &mut Server) -> Option<ChildExit> {
    if !has_active_child_process(srv) {
        return None;
    }
    let mut status = 0i32;
    // SAFETY: waitpid with a valid status pointer; WNOHANG never blocks.
    let pid = unsafe { libc::waitpid(srv.child.pid, &mut status, libc::WNOHANG) };
    if pid <= 0 {
        return None;
    }
    receive_child_info(srv);
    let (exitcode, bysignal) = if libc::WIFSIGNALED(status) {
        (0, libc::WTERMSIG(status))
    } else {
        (libc::WEXITSTATUS(status), 0)
    };
    let exit = ChildExit {
        kind: srv.child.kind,
        pid,
        exitcode,
        bysignal,
    };
    reset_child_state(srv);
    Some(exit)
}

/// Forgets the child (after reaping or killing it) and lets dicts resize again.
pub fn reset_child_state(srv: &mut Server) {
    srv.child.pid = -1;
    srv.child.kind = ChildType::None;
    srv.child.info_pipe = None;
    srv.child.cow_size = 0;
    srv.child.cow_peak = 0;
    srv.child.cow_updated_ms = 0;
    srv.child.keys_processed = 0;
    srv.child.keys_total = 0;
    crate::dict::set_resize_enabled(true);
}

/// Kills the child with SIGUSR1 (so it is not taken for an error) and
/// waits for it (Redis `killRDBChild` / `killAppendOnlyChild`).
#[allow(unsafe_code)]
pub fn kill_child(srv: &mut Server) {
    if !has_active_child_process(srv) {
        return;
    }
    let pid = srv.child.pid;
    // SAFETY: kill and waitpid on our own child's pid.
    unsafe {
        libc::kill(pid, libc::SIGUSR1);
        let mut status = 0;
        libc::waitpid(pid, &mut status, 0);
    }
    reset_child_state(srv);
}

// ---- Debugging-session children ----

/// Forks a child for a Lua debugging session (Redis `redisFork` with
/// `CHILD_TYPE_LDB`, which may run beside a BGSAVE child and is not
/// recorded in `srv.child`): Ok(0) in the child, Ok(pid) in the parent.
/// The child ignores SIGINT and SIGTERM, which are meant for the server.
#[allow(unsafe_code)]
pub fn fork_ldb_child() -> io::Result<i32> {
    // SAFETY: fork from the data thread; the child runs one script for
    // its debugging client and leaves with `_exit` (see `ldb.rs`).
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        // SAFETY: setting SIG_IGN dispositions in the single-threaded child.
        unsafe {
            libc::signal(libc::SIGTERM, libc::SIG_IGN);
            libc::signal(libc::SIGINT, libc::SIG_IGN);
        }
    }
    Ok(pid)
}

/// Reaps debugging child `pid` if it ended; true when it is gone.
#[allow(unsafe_code)]
pub fn try_reap(pid: i32) -> bool {
    let mut status = 0i32;
    // SAFETY: waitpid on our own child with a valid status pointer; WNOHANG.
    let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
    r == pid || r < 0
}

/// Kills debugging child `pid` with SIGKILL and reaps it.
#[allow(unsafe_code)]
pub fn kill_ldb_child(pid: i32) {
    // SAFETY: kill and waitpid on our own child's pid.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
        let mut status = 0;
        libc::waitpid(pid, &mut status, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(unsafe_code)]
    fn pipe() -> (File, File) {
        let mut fds = [0i32; 2];
        // SAFETY: pipe2 writes two descriptors into a valid 2-element array.
        let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) };
        assert_eq!(rc, 0);
        // SAFETY: both descriptors were just created and are owned by nothing else.
        unsafe { (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])) }
    }

    #[test]
    fn progress_and_final_records_reach_the_right_fields() {
        let mut srv = Server::new(crate::config::Config::default()).expect("server");
        let (rd, mut wr) = pipe();
        srv.child.pid = 12345;
        srv.child.kind = ChildType::Rdb;
        srv.child.info_pipe = Some(rd);
        send_child_info(&mut wr, 1024, 8192);
        send_child_info(&mut wr, 2048, 4096);
        receive_child_info(&mut srv);
        assert_eq!(srv.child.keys_processed, 2048);
        assert_eq!(srv.child.cow_size, 4096);
        assert_eq!(srv.child.cow_peak, 8192);
        assert!(srv.child.cow_updated_ms > 0);
        send_child_info_generic(&mut wr, ChildInfoType::RdbCowSize, 0, "RDB");
        receive_child_info(&mut srv);
        // The final report measures this (test) process: some dirty memory.
        assert!(srv.child.rdb_cow_bytes > 0);
        assert_eq!(srv.child.aof_cow_bytes, 0);
        // Forgetting the child clears the current figures, not the last ones.
        srv.child.pid = -1;
        reset_child_state(&mut srv);
        assert_eq!(
            (
                srv.child.cow_size,
                srv.child.cow_peak,
                srv.child.keys_processed
            ),
            (0, 0, 0)
        );
        assert!(srv.child.rdb_cow_bytes > 0);
    }

    #[test]
    fn private_dirty_is_read_from_proc() {
        let v = vec![1u8; 1 << 20];
        assert!(child_private_dirty() >= v.len() as u64 / 2);
        drop(v);
    }
}
