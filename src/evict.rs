//! The LRU clock and the LFU counter kept in every value's `lru` field
//! (Redis `evict.c`).
//!
//! Under an LRU policy the field holds the 24-bit LRU clock (seconds,
//! wrapping) of the last access. Under an LFU policy it holds 16 bits of
//! "last decrement time" in minutes and an 8-bit logarithmic counter: each
//! access increments the counter with probability `1/((counter-5)*lfu_log_factor+1)`,
//! and the counter decays by one for every `lfu_decay_time` minutes idle.

use rand::RngExt;

use crate::server::{LRU_CLOCK_MAX, LRU_CLOCK_RESOLUTION};

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

/// Eviction state: the pool of candidates and lazy-free counters
/// (Redis `EvictionPoolLRU`, `lazyfree_objects`).
#[derive(Default)]
pub struct EvictState {}

/// MEMORY subcommands other than USAGE/HELP (which live in `object.rs`).
pub static HANDLERS: &[(&str, crate::commands::Handler)] = &[];

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
    fn idle_time_wraps() {
        assert_eq!(estimate_idle_time_ms(10, 5), 5000);
        assert_eq!(estimate_idle_time_ms(1, LRU_CLOCK_MAX - 1), 2000);
    }
}
