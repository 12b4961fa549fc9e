//! Forked children (Redis `redisFork` in `server.c`, and `childinfo.c`).
//!
//! BGSAVE and BGREWRITEAOF write their file from a forked child, which sees
//! a copy-on-write image of the keyspace while the parent keeps serving.
//! One child exists at a time ([`ChildState`]). The child reports progress
//! and its copy-on-write size to the parent through a pipe
//! ([`send_child_info`]); the parent reads it in the cron
//! ([`receive_child_info`]) and reaps the child with `waitpid(WNOHANG)`
//! ([`check_child_done`]), then hands the exit status to the owner of the
//! child type.
//!
//! While a child exists, dict resizing is held back
//! (`dict::set_resize_enabled(false)`), so the parent does not touch every
//! page of the tables and copy them.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};

use crate::server::Server;

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
    /// Last reported keys written (INFO `current_save_keys_processed`).
    pub keys_processed: u64,
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
        return Ok(ForkOutcome::Child {
            info: File::from(wr),
        });
    }
    drop(wr);
    let now = crate::util::ustime();
    srv.child = ChildState {
        pid,
        kind,
        info_pipe: Some(File::from(rd)),
        start_us: now,
        cow_size: 0,
        keys_processed: 0,
        latest_fork_usec: now - start,
        total_forks: srv.child.total_forks + 1,
    };
    crate::dict::set_resize_enabled(false);
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

/// Sends progress from the child: keys written so far and the current
/// copy-on-write size, as one 16-byte record (Redis `sendChildInfoGeneric`).
pub fn send_child_info(info: &mut File, keys: u64, cow: u64) {
    let mut rec = [0u8; 16];
    rec[..8].copy_from_slice(&keys.to_le_bytes());
    rec[8..].copy_from_slice(&cow.to_le_bytes());
    let _ = info.write_all(&rec);
}

/// Reads every complete progress record the child has sent (Redis `receiveChildInfo`).
pub fn receive_child_info(srv: &mut Server) {
    let Some(p) = srv.child.info_pipe.as_mut() else {
        return;
    };
    let mut rec = [0u8; 16];
    while let Ok(16) = p.read(&mut rec) {
        srv.child.keys_processed = u64::from_le_bytes(rec[..8].try_into().unwrap_or_default());
        srv.child.cow_size = u64::from_le_bytes(rec[8..].try_into().unwrap_or_default());
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
    srv.child.keys_processed = 0;
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
