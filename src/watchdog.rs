//! The software watchdog (Redis `debug.c`, "Software Watchdog"): with
//! `watchdog-period <ms>` > 0, a main thread that does not get back to
//! its cron within the period has its stack logged.
//!
//! # How it works
//! - [`apply_watchdog_period`] (at start-up and on CONFIG SET
//!   watchdog-period; Redis `applyWatchdogPeriod`) installs a SIGALRM
//!   handler and arms a one-shot `ITIMER_REAL` timer of the period. A
//!   period shorter than two cron ticks (`2 * (1000 / hz)` ms) would fire
//!   between healthy ticks, so it is raised to that and the raised value
//!   is what CONFIG GET shows. Period 0 disarms the timer and ignores
//!   SIGALRM (which also drops one already pending).
//! - [`watchdog_cron`], first thing in every `server_cron`, arms the timer
//!   again: as long as the loop turns, the signal never comes.
//! - When it comes ([`watchdog_signal_handler`]), the log gets
//!   `<pid>:signal-handler (<time>) ` followed by `--- WATCHDOG TIMER
//!   EXPIRED ---`, then `------ STACK TRACE ------`, the interrupted
//!   instruction (`EIP:`) and the `Backtrace:` of the main thread, one
//!   frame a line as glibc's `backtrace_symbols_fd` writes it
//!   (`binary(symbol+offset)[address]`; Rust functions that are not
//!   exported show as `binary(+offset)`), and a closing `--------` line.
//!   The server goes on: the timer is one-shot and the next cron arms it.
//! - The signal is process-directed, so any thread may receive it; a
//!   background thread hands it on to the main thread with `tgkill`
//!   (Redis blocks SIGALRM in its bio threads instead), so the stack
//!   logged is the one that is stuck. The handler is installed without
//!   `SA_RESTART`, as Redis does: a blocking `read(2)` it interrupts fails
//!   with EINTR, which the readers retry (a replica loading the master's
//!   RDB from the socket must not take it for a lost link).
//!
//! # Async-signal safety
//! The handler allocates nothing and takes no lock of ours. It calls
//! `getpid`, `time`, `open`, `write`, `close`, `gettid`, `tgkill` and
//! glibc's `backtrace` / `backtrace_symbols_fd`. The last two are not on
//! POSIX's list: `backtrace` loads libgcc's unwinder (with `malloc`) the
//! first time it runs, so it is run once when the watchdog is armed,
//! outside the handler; afterwards it only walks the stack, and
//! `backtrace_symbols_fd` writes straight to the descriptor without
//! allocating (this is how Redis logs its stack traces too).
//!
//! # Limitations
//! - Needs glibc's `backtrace` (Linux with glibc); elsewhere the handler
//!   logs "Sorry: no support for backtrace()." instead of the trace, as
//!   Redis built without backtrace support does.
//! - `EIP:` is shown on x86_64 and aarch64 only.

use std::sync::atomic::{AtomicI32, Ordering};

use crate::server::Server;
use crate::server::{
    close_handler_log, open_handler_log, server_log_from_handler, write_from_handler,
};

/// Thread id of the main thread (the one that arms the watchdog), 0 until then.
static MAIN_TID: AtomicI32 = AtomicI32::new(0);

/// Frames asked of `backtrace` at most (Redis: 100).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MAX_FRAMES: usize = 100;

/// Arms (or with 0 disarms) the one-shot SIGALRM timer to fire `period_ms`
/// milliseconds from now, replacing any timer armed before (Redis
/// `watchdogScheduleSignal`).
#[allow(unsafe_code)]
pub fn watchdog_schedule_signal(period_ms: i64) {
    let period_ms = period_ms.max(0);
    let it = libc::itimerval {
        it_interval: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        it_value: libc::timeval {
            tv_sec: (period_ms / 1000) as libc::time_t,
            tv_usec: ((period_ms % 1000) * 1000) as libc::suseconds_t,
        },
    };
    // SAFETY: setitimer reads the fully initialised `it`; the old value is
    // not asked for (null).
    unsafe {
        libc::setitimer(libc::ITIMER_REAL, &it, std::ptr::null_mut());
    }
}

/// Applies `watchdog-period` (Redis `applyWatchdogPeriod`): 0 disarms the
/// timer and sets SIGALRM to be ignored; otherwise installs
/// [`watchdog_signal_handler`], raises the period to at least two cron
/// ticks (`2 * (1000 / hz)` ms, written back to the config) and arms the
/// timer.
#[allow(unsafe_code)]
pub fn apply_watchdog_period(srv: &mut Server) {
    if srv.config.watchdog_period == 0 {
        watchdog_schedule_signal(0);
        // SAFETY: a zeroed sigaction with SIG_IGN and an empty mask is a
        // valid disposition.
        unsafe {
            let mut act: libc::sigaction = std::mem::zeroed();
            libc::sigemptyset(&mut act.sa_mask);
            act.sa_sigaction = libc::SIG_IGN;
            act.sa_flags = 0;
            libc::sigaction(libc::SIGALRM, &act, std::ptr::null_mut());
        }
        return;
    }
    // SAFETY: gettid has no preconditions.
    MAIN_TID.store(unsafe { libc::gettid() }, Ordering::SeqCst);
    warm_up_backtrace();
    // SAFETY: the handler has the SA_SIGINFO signature and is
    // async-signal-safe (see the module docs); the mask is initialised.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        libc::sigemptyset(&mut act.sa_mask);
        act.sa_flags = libc::SA_SIGINFO;
        act.sa_sigaction = watchdog_signal_handler
            as extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void)
            as libc::sighandler_t;
        libc::sigaction(libc::SIGALRM, &act, std::ptr::null_mut());
    }
    let hz = srv.config.hz.clamp(1, 500);
    let min_period = (1000 / hz) * 2;
    if srv.config.watchdog_period < min_period {
        srv.config.watchdog_period = min_period;
    }
    watchdog_schedule_signal(srv.config.watchdog_period as i64);
}

/// The cron's part (Redis `serverCron`'s first step): pushes the deadline
/// one period further while the watchdog is on.
pub fn watchdog_cron(srv: &Server) {
    if srv.config.watchdog_period != 0 {
        watchdog_schedule_signal(srv.config.watchdog_period as i64);
    }
}

/// Runs `backtrace` once outside any handler so its first-call set-up
/// (loading the unwinder, which allocates) never happens inside one.
#[allow(unsafe_code)]
pub(crate) fn warm_up_backtrace() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let mut frames = [std::ptr::null_mut::<libc::c_void>(); 4];
        // SAFETY: the buffer holds the 4 entries asked for.
        unsafe {
            libc::backtrace(frames.as_mut_ptr(), frames.len() as libc::c_int);
        }
    }
}

/// The SIGALRM handler (Redis `watchdogSignalHandler`): logs "--- WATCHDOG
/// TIMER EXPIRED ---" and the main thread's stack; see the module docs for
/// the exact lines and why it is async-signal-safe.
#[allow(unsafe_code)]
extern "C" fn watchdog_signal_handler(
    _sig: libc::c_int,
    _info: *mut libc::siginfo_t,
    secret: *mut libc::c_void,
) {
    let main_tid = MAIN_TID.load(Ordering::SeqCst);
    // SAFETY: gettid, getpid and tgkill are plain system calls, safe in a
    // handler.
    unsafe {
        if main_tid != 0 && libc::gettid() != main_tid {
            libc::syscall(
                libc::SYS_tgkill,
                libc::getpid() as libc::c_long,
                main_tid as libc::c_long,
                libc::SIGALRM as libc::c_long,
            );
            return;
        }
    }
    server_log_from_handler(b"\n--- WATCHDOG TIMER EXPIRED ---");
    log_stack_trace(interrupted_pc(secret));
    server_log_from_handler(b"--------\n");
}

/// The instruction the signal interrupted, from the handler's ucontext
/// (Redis `getAndSetMcontextEip`), or null where unknown.
#[allow(unsafe_code)]
pub(crate) fn interrupted_pc(secret: *mut libc::c_void) -> *mut libc::c_void {
    if secret.is_null() {
        return std::ptr::null_mut();
    }
    #[cfg(all(target_os = "linux", target_env = "gnu", target_arch = "x86_64"))]
    {
        // SAFETY: for an SA_SIGINFO handler the kernel passes a valid
        // ucontext_t as the third argument.
        let uc = unsafe { &*(secret as *const libc::ucontext_t) };
        uc.uc_mcontext.gregs[libc::REG_RIP as usize] as usize as *mut libc::c_void
    }
    #[cfg(all(target_os = "linux", target_env = "gnu", target_arch = "aarch64"))]
    {
        // SAFETY: as above.
        let uc = unsafe { &*(secret as *const libc::ucontext_t) };
        uc.uc_mcontext.pc as usize as *mut libc::c_void
    }
    #[cfg(not(all(
        target_os = "linux",
        target_env = "gnu",
        any(target_arch = "x86_64", target_arch = "aarch64")
    )))]
    {
        std::ptr::null_mut()
    }
}

/// Writes the stack trace section (Redis `logStackTrace`): a header, the
/// interrupted instruction when known, then the frames of this thread
/// above the handler. Async-signal-safe once [`warm_up_backtrace`] ran.
/// The watchdog and the crash report (`server::setup_sigsegv_handlers`)
/// both write it.
#[allow(unsafe_code)]
pub(crate) fn log_stack_trace(pc: *mut libc::c_void) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let mut trace = [std::ptr::null_mut::<libc::c_void>(); MAX_FRAMES];
        // SAFETY: the buffer holds MAX_FRAMES entries, as passed.
        let n = unsafe { libc::backtrace(trace.as_mut_ptr(), MAX_FRAMES as libc::c_int) };
        let fd = open_handler_log();
        if fd < 0 {
            return;
        }
        write_from_handler(fd, b"\n------ STACK TRACE ------\n");
        if !pc.is_null() {
            write_from_handler(fd, b"EIP:\n");
            let one = [pc];
            // SAFETY: one valid entry; writes to our open descriptor.
            unsafe { libc::backtrace_symbols_fd(one.as_ptr(), 1, fd) };
        }
        write_from_handler(fd, b"\nBacktrace:\n");
        // This function's own frame is left out.
        let skip = 1.min(n.max(0));
        // SAFETY: entries skip..n were filled in by backtrace.
        unsafe {
            libc::backtrace_symbols_fd(trace.as_ptr().add(skip as usize), n - skip, fd);
        }
        close_handler_log(fd);
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        let _ = pc;
        server_log_from_handler(b"Sorry: no support for backtrace().");
    }
}
