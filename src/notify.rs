//! Keyspace notifications (Redis `notify.c`): the hook every write calls.
//!
//! Every command that changes a key calls [`notify_keyspace_event`] with
//! Redis's event class and name (`NOTIFY_LIST`, "lpush"). Pub/Sub, which
//! turns these into `__keyspace@db__:key` / `__keyevent@db__:event`
//! messages according to `notify-keyspace-events`, belongs to the messaging
//! issue; until then the hook only marks the call sites, so that feature can
//! be added without touching every command.

use crate::server::Server;

pub const NOTIFY_KEYSPACE: u32 = 1 << 0;
pub const NOTIFY_KEYEVENT: u32 = 1 << 1;
pub const NOTIFY_GENERIC: u32 = 1 << 2;
pub const NOTIFY_STRING: u32 = 1 << 3;
pub const NOTIFY_LIST: u32 = 1 << 4;
pub const NOTIFY_SET: u32 = 1 << 5;
pub const NOTIFY_HASH: u32 = 1 << 6;
pub const NOTIFY_ZSET: u32 = 1 << 7;
pub const NOTIFY_EXPIRED: u32 = 1 << 8;
pub const NOTIFY_EVICTED: u32 = 1 << 9;
pub const NOTIFY_STREAM: u32 = 1 << 10;
pub const NOTIFY_KEY_MISS: u32 = 1 << 11;
pub const NOTIFY_LOADED: u32 = 1 << 12;
pub const NOTIFY_MODULE: u32 = 1 << 13;
pub const NOTIFY_NEW: u32 = 1 << 14;

/// Announces that `event` (Redis's event name, e.g. "lpush", "del",
/// "hincrby") of class `class` (`NOTIFY_*`) happened to `key` in `dbid`
/// (Redis `notifyKeyspaceEvent`). Nothing subscribes yet: see the module docs.
pub fn notify_keyspace_event(
    _srv: &mut Server,
    _class: u32,
    _event: &str,
    _key: &[u8],
    _dbid: usize,
) {
}
