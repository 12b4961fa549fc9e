//! Keyspace notifications (Redis `notify.c`): the hook every write calls.
//!
//! Every command that changes a key calls [`notify_keyspace_event`] with
//! Redis's event class and name (`NOTIFY_LIST`, "lpush"); lookups that miss
//! call it with `NOTIFY_KEY_MISS` / "keymiss", key creation with
//! `NOTIFY_NEW` / "new", expiry with `NOTIFY_EXPIRED` / "expired".
//!
//! `notify-keyspace-events` (a bitmask of these classes plus `K` and `E`,
//! parsed and rendered in `config.rs`) decides what is published. An event
//! whose class is off costs one test. When it is on, it is published
//! through Pub/Sub as up to two messages:
//! - with `K`, on channel `__keyspace@<db>__:<key>` with the event name as
//!   the message;
//! - with `E`, on channel `__keyevent@<db>__:<event>` with the key name as
//!   the message.
//!
//! The class bits are Redis's `NOTIFY_*` values; `config.rs` takes its
//! constants from here.

use crate::server::Server;

/// `K`: publish on `__keyspace@<db>__:<key>`.
pub const NOTIFY_KEYSPACE: u32 = 1 << 0;
/// `E`: publish on `__keyevent@<db>__:<event>`.
pub const NOTIFY_KEYEVENT: u32 = 1 << 1;
/// `g`: generic commands (DEL, EXPIRE, RENAME, ...).
pub const NOTIFY_GENERIC: u32 = 1 << 2;
/// `$`: string commands.
pub const NOTIFY_STRING: u32 = 1 << 3;
/// `l`: list commands.
pub const NOTIFY_LIST: u32 = 1 << 4;
/// `s`: set commands.
pub const NOTIFY_SET: u32 = 1 << 5;
/// `h`: hash commands.
pub const NOTIFY_HASH: u32 = 1 << 6;
/// `z`: sorted set commands.
pub const NOTIFY_ZSET: u32 = 1 << 7;
/// `x`: expired keys.
pub const NOTIFY_EXPIRED: u32 = 1 << 8;
/// `e`: evicted keys.
pub const NOTIFY_EVICTED: u32 = 1 << 9;
/// `t`: stream commands.
pub const NOTIFY_STREAM: u32 = 1 << 10;
/// `m`: a read found no key (not part of `A`).
pub const NOTIFY_KEY_MISS: u32 = 1 << 11;
/// Key loaded from an RDB (modules only; no flag character).
pub const NOTIFY_LOADED: u32 = 1 << 12;
/// `d`: module key types.
pub const NOTIFY_MODULE: u32 = 1 << 13;
/// `n`: a key was created (not part of `A`).
pub const NOTIFY_NEW: u32 = 1 << 14;

/// Announces that `event` (Redis's event name, e.g. "lpush", "del",
/// "hincrby") of class `class` (`NOTIFY_*`) happened to `key` in `dbid`
/// (Redis `notifyKeyspaceEvent`): publishes `event` on
/// `__keyspace@<dbid>__:<key>` when `K` is set and `key` on
/// `__keyevent@<dbid>__:<event>` when `E` is set, if `class` is enabled in
/// `notify-keyspace-events`. Subscribers get them as ordinary Pub/Sub
/// messages (`message` or `pmessage`).
pub fn notify_keyspace_event(srv: &mut Server, class: u32, event: &str, key: &[u8], dbid: usize) {
    let flags = srv.config.notify_keyspace_events as u32;
    if flags & class == 0 {
        return;
    }
    // Nobody can receive it: skip building the channel names.
    if srv.pubsub.channels.is_empty() && srv.pubsub.patterns.is_empty() {
        return;
    }
    let mut db = itoa::Buffer::new();
    let db = db.format(dbid).as_bytes();
    if flags & NOTIFY_KEYSPACE != 0 {
        let mut chan = Vec::with_capacity(14 + db.len() + key.len());
        chan.extend_from_slice(b"__keyspace@");
        chan.extend_from_slice(db);
        chan.extend_from_slice(b"__:");
        chan.extend_from_slice(key);
        crate::pubsub::pubsub_publish_message(srv, None, &chan, event.as_bytes(), false);
    }
    if flags & NOTIFY_KEYEVENT != 0 {
        let mut chan = Vec::with_capacity(14 + db.len() + event.len());
        chan.extend_from_slice(b"__keyevent@");
        chan.extend_from_slice(db);
        chan.extend_from_slice(b"__:");
        chan.extend_from_slice(event.as_bytes());
        crate::pubsub::pubsub_publish_message(srv, None, &chan, key, false);
    }
}
