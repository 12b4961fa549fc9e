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

use std::io;
use std::time::Duration;

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
}

impl EventLoop {
    /// Creates the poller (epoll/kqueue); `setsize` bounds events per poll.
    pub fn new(setsize: usize) -> io::Result<EventLoop> {
        Ok(EventLoop {
            poll: Poll::new()?,
            events: Events::with_capacity(setsize.clamp(64, 4096)),
            time_events: Vec::new(),
            next_time_id: 0,
        })
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
