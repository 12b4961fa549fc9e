//! The event loop's primitives (Redis `ae.c`) over `mio::Poll`.
//!
//! # How it works
//! File events are sockets registered with mio under a `Token`; the server
//! maps tokens to listeners and clients. mio is edge-triggered, so handlers
//! read and accept until `WouldBlock` (or keep a client on a pending list when
//! they stop early for fairness).
//!
//! Time events are kept in a small vector: the loop asks for the nearest
//! deadline to bound its poll timeout, then runs the due ones. A time event's
//! handler returns the milliseconds until it should run again, or `None` to
//! be removed, exactly like Redis's `aeTimeProc` returning `AE_NOMORE`.
//!
//! The loop itself (`server::ae_main`) is: before_sleep, poll, after_sleep,
//! file events, time events; it lives in `server.rs` because every handler
//! needs the `Server`.
//!
//! # Busy polling (rustredis extension)
//! Redis always blocks in `epoll_wait` when it has nothing to do. Under a
//! heavy request stream that costs the clients: each request that finds the
//! server asleep makes the client's `send` wake it (a cross-CPU wakeup,
//! which is dear on virtual machines), and the server's reply waits for it
//! to be scheduled again. [`BusyPoll`] lets the loop poll without blocking
//! for up to `busy-poll-usec` microseconds before it blocks, but only while
//! the loop is busy anyway: [`EventLoop::busy_poll_assess`] (run by
//! `server_cron`) turns it on when the thread's CPU time spent on work
//! (spinning excluded) was at least half of the wall time since the last
//! assessment, and off otherwise. An idle or lightly loaded server never
//! spins, so its CPU use is Redis's. Nor does a server with a fork child
//! (BGSAVE, AOF rewrite), which may need the CPU.

use std::io;
use std::time::{Duration, Instant};

use mio::{Events, Poll, Registry, Token};

/// What a time event does when it fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerKind {
    /// `server_cron`, every 1000/hz ms.
    ServerCron,
    /// `evict::eviction_time_proc`: continues evicting after a run ran out
    /// of time, every loop turn until memory is under `maxmemory`.
    EvictionTimeProc,
}

/// A scheduled time event.
#[derive(Clone, Debug)]
pub struct TimeEvent {
    pub id: u64,
    /// Absolute time it is due, in ms since the epoch.
    pub when_ms: i64,
    pub kind: TimerKind,
}

/// One fired file event.
#[derive(Clone, Copy, Debug)]
pub struct FiredEvent {
    pub token: Token,
    pub readable: bool,
    pub writable: bool,
    /// Error or hang-up: the handler reads to find out.
    pub closed: bool,
}

/// The poller plus the time events.
pub struct EventLoop {
    poll: Poll,
    events: Events,
    time_events: Vec<TimeEvent>,
    next_time_id: u64,
    /// Spin-before-block state (see the module docs).
    pub busy_poll: BusyPoll,
}

/// Share of wall time the loop must spend working (thread CPU time, spinning
/// excluded) for busy polling to be turned on, in per mille.
const BUSY_POLL_MIN_LOAD_PERMILLE: u64 = 500;
/// Shortest wall time between two assessments, ns: shorter windows are
/// added to the next one.
const BUSY_POLL_MIN_WINDOW_NS: u64 = 50_000_000;

/// Busy-polling state: the configured spin, whether the loop is busy enough
/// to use it, and the counters the assessment reads.
#[derive(Debug)]
pub struct BusyPoll {
    /// Longest spin before blocking, ns (`busy-poll-usec` × 1000; 0 = never).
    pub max_spin_ns: u64,
    /// Set by the last assessment: the loop spins before it blocks.
    pub active: bool,
    /// Wall time spent spinning since the last assessment, ns.
    spun_ns: u64,
    /// Thread CPU time at the last assessment, ns.
    last_cpu_ns: u64,
    /// Wall clock at the last assessment.
    last_wall: Instant,
}

impl BusyPoll {
    /// Sets `active` from one window: `cpu_ns` of thread CPU time (the
    /// window's spinning included) over `wall_ns` of wall time; the spin
    /// counter starts again.
    fn decide(&mut self, cpu_ns: u64, wall_ns: u64) {
        let work = cpu_ns.saturating_sub(self.spun_ns);
        self.active = work * 1000 >= wall_ns * BUSY_POLL_MIN_LOAD_PERMILLE;
        self.spun_ns = 0;
    }

    fn new() -> BusyPoll {
        BusyPoll {
            max_spin_ns: 0,
            active: false,
            spun_ns: 0,
            last_cpu_ns: thread_cpu_ns(),
            last_wall: Instant::now(),
        }
    }
}

/// CPU time used by the calling thread, ns (`CLOCK_THREAD_CPUTIME_ID`).
#[allow(unsafe_code)]
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the local.
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } != 0 {
        return 0;
    }
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

impl EventLoop {
    /// Creates the poller (epoll/kqueue); `setsize` bounds events per poll.
    pub fn new(setsize: usize) -> io::Result<EventLoop> {
        Ok(EventLoop {
            poll: Poll::new()?,
            events: Events::with_capacity(setsize.clamp(64, 4096)),
            time_events: Vec::new(),
            next_time_id: 0,
            busy_poll: BusyPoll::new(),
        })
    }

    /// Starts a new assessment window now, with spinning off: what the
    /// thread did before (startup, loading the data) is not load on the
    /// event loop. Called as the loop starts.
    pub fn busy_poll_restart(&mut self) {
        self.busy_poll = BusyPoll {
            max_spin_ns: self.busy_poll.max_spin_ns,
            ..BusyPoll::new()
        };
    }

    /// Decides whether the loop spins before blocking until the next
    /// assessment: on when, since the last one, the thread's CPU time minus
    /// the time it spent spinning was at least half the wall time.
    /// `max_spin_ns` is the longest spin from now on (`busy-poll-usec` ×
    /// 1000; 0 turns spinning off at once). Called by `server_cron`; returns
    /// the decision.
    pub fn busy_poll_assess(&mut self, max_spin_ns: u64) -> bool {
        let bp = &mut self.busy_poll;
        bp.max_spin_ns = max_spin_ns;
        if bp.max_spin_ns == 0 {
            bp.active = false;
            return false;
        }
        let wall = bp.last_wall.elapsed().as_nanos() as u64;
        if wall < BUSY_POLL_MIN_WINDOW_NS {
            return bp.active;
        }
        let cpu = thread_cpu_ns();
        bp.decide(cpu.saturating_sub(bp.last_cpu_ns), wall);
        bp.last_cpu_ns = cpu;
        bp.last_wall = Instant::now();
        bp.active
    }

    /// The registry to add and remove sockets.
    pub fn registry(&self) -> &Registry {
        self.poll.registry()
    }

    /// Schedules a time event `ms` milliseconds after `now_ms`; returns its id.
    pub fn create_time_event(&mut self, now_ms: i64, ms: i64, kind: TimerKind) -> u64 {
        let id = self.next_time_id;
        self.next_time_id += 1;
        self.time_events.push(TimeEvent {
            id,
            when_ms: now_ms + ms,
            kind,
        });
        id
    }

    /// Removes a time event.
    pub fn delete_time_event(&mut self, id: u64) {
        self.time_events.retain(|t| t.id != id);
    }

    /// Milliseconds until the nearest time event (0 if one is due), or None.
    pub fn ms_until_next_timer(&self, now_ms: i64) -> Option<i64> {
        self.time_events
            .iter()
            .map(|t| (t.when_ms - now_ms).max(0))
            .min()
    }

    /// Removes and returns the time events due at `now_ms`; the caller
    /// reschedules them with [`EventLoop::reschedule`].
    pub fn take_due_timers(&mut self, now_ms: i64) -> Vec<TimeEvent> {
        let mut due = Vec::new();
        let mut i = 0;
        while i < self.time_events.len() {
            if self.time_events[i].when_ms <= now_ms {
                due.push(self.time_events.swap_remove(i));
            } else {
                i += 1;
            }
        }
        due
    }

    /// Puts a fired time event back, due `ms` after `now_ms`.
    pub fn reschedule(&mut self, mut ev: TimeEvent, now_ms: i64, ms: i64) {
        ev.when_ms = now_ms + ms;
        self.time_events.push(ev);
    }

    /// Like [`EventLoop::poll_events`], but when busy polling is on and the
    /// wait may block, first polls without blocking for up to
    /// `busy_poll.max_spin_ns` (never past `timeout`), and blocks only if
    /// nothing arrived meanwhile.
    pub fn poll_events_spinning(
        &mut self,
        timeout: Option<Duration>,
        fired: &mut Vec<FiredEvent>,
    ) -> io::Result<()> {
        if !self.busy_poll.active || timeout == Some(Duration::ZERO) {
            return self.poll_events(timeout, fired);
        }
        let mut spin = Duration::from_nanos(self.busy_poll.max_spin_ns);
        if let Some(t) = timeout {
            spin = spin.min(t);
        }
        let start = Instant::now();
        let mut spun;
        loop {
            self.poll_events(Some(Duration::ZERO), fired)?;
            spun = start.elapsed();
            if !fired.is_empty() || spun >= spin {
                break;
            }
            std::hint::spin_loop();
        }
        self.busy_poll.spun_ns += spun.as_nanos() as u64;
        if !fired.is_empty() {
            return Ok(());
        }
        self.poll_events(timeout.map(|t| t.saturating_sub(spun)), fired)
    }

    /// Waits for file events for at most `timeout` and appends them to `fired`.
    pub fn poll_events(
        &mut self,
        timeout: Option<Duration>,
        fired: &mut Vec<FiredEvent>,
    ) -> io::Result<()> {
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e),
        }
        for ev in self.events.iter() {
            fired.push(FiredEvent {
                token: ev.token(),
                readable: ev.is_readable() || ev.is_read_closed(),
                writable: ev.is_writable(),
                closed: ev.is_error() || ev.is_read_closed() || ev.is_write_closed(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_poll_turns_on_only_for_a_busy_loop() {
        let mut bp = BusyPoll::new();
        bp.max_spin_ns = 100_000;
        // 60 ms of work in 100 ms: busy.
        bp.decide(60_000_000, 100_000_000);
        assert!(bp.active);
        // 40 ms: not busy.
        bp.decide(40_000_000, 100_000_000);
        assert!(!bp.active);
        // 90 ms of CPU, 50 of them spent spinning: the work is 40 ms, so a
        // spinning loop does not keep itself on.
        bp.spun_ns = 50_000_000;
        bp.decide(90_000_000, 100_000_000);
        assert!(!bp.active);
        assert_eq!(bp.spun_ns, 0);
        // Spinning wall time above the CPU time (descheduled while spinning).
        bp.spun_ns = 200_000_000;
        bp.decide(90_000_000, 100_000_000);
        assert!(!bp.active);
    }

    #[test]
    fn busy_poll_off_never_spins() {
        let mut el = EventLoop::new(64).unwrap();
        el.busy_poll.active = true;
        el.busy_poll.max_spin_ns = 100_000;
        assert!(!el.busy_poll_assess(0));
        assert!(!el.busy_poll.active);
    }

    #[test]
    fn spinning_poll_spins_then_blocks_and_returns_ready_events_at_once() {
        use mio::net::TcpListener;
        use std::io::Write;
        let mut el = EventLoop::new(64).unwrap();
        el.busy_poll.active = true;
        el.busy_poll.max_spin_ns = 2_000_000;
        let mut fired = Vec::new();
        // Nothing registered: spins its 2 ms, then blocks out the timeout.
        let t = Instant::now();
        el.poll_events_spinning(Some(Duration::from_millis(20)), &mut fired)
            .unwrap();
        assert!(fired.is_empty());
        assert!(t.elapsed() >= Duration::from_millis(20));
        assert!(el.busy_poll.spun_ns >= 2_000_000);
        // The spin never outlasts the timeout.
        el.busy_poll.spun_ns = 0;
        el.busy_poll.max_spin_ns = 1_000_000_000;
        el.poll_events_spinning(Some(Duration::from_millis(5)), &mut fired)
            .unwrap();
        assert!(fired.is_empty());
        assert!(el.busy_poll.spun_ns < 900_000_000);
        // A readable socket is reported by the spin, without blocking for
        // the (long) timeout.
        let mut l = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = l.local_addr().unwrap();
        el.registry()
            .register(&mut l, Token(7), mio::Interest::READABLE)
            .unwrap();
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        c.write_all(b"x").unwrap();
        let t = Instant::now();
        el.poll_events_spinning(Some(Duration::from_secs(30)), &mut fired)
            .unwrap();
        assert!(t.elapsed() < Duration::from_secs(10));
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].token, Token(7));
        assert!(fired[0].readable);
    }

    #[test]
    fn timers_fire_in_order_and_reschedule() {
        let mut el = EventLoop::new(64).unwrap();
        let id = el.create_time_event(1000, 100, TimerKind::ServerCron);
        assert_eq!(el.ms_until_next_timer(1000), Some(100));
        assert!(el.take_due_timers(1050).is_empty());
        let due = el.take_due_timers(1100);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].id, id);
        assert_eq!(el.ms_until_next_timer(1100), None);
        el.reschedule(due[0].clone(), 1100, 100);
        assert_eq!(el.ms_until_next_timer(1150), Some(50));
        el.delete_time_event(id);
        assert_eq!(el.ms_until_next_timer(1150), None);
    }
}
