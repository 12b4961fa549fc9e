//! Pub/Sub (Redis `pubsub.c`): channel, pattern and shard-channel
//! subscriptions, PUBLISH fan-out, and the PUBSUB introspection command.
//!
//! Skeleton: filled in by the messaging work of issue 7.

use crate::commands::Handler;
use crate::networking::Client;

/// Skeleton state; see the module docs.
#[derive(Default)]
pub struct ClientPubsub {}

/// Skeleton state; see the module docs.
#[derive(Default)]
pub struct PubsubState {}

/// This module's command handlers, by command (or "parent|sub") name.
pub static HANDLERS: &[(&str, Handler)] = &[];

/// Writes one Pub/Sub `message` to `c` (Redis `addReplyPubsubMessage`):
/// a 3-element array `message`, `channel`, `msg` in RESP2, a push frame of
/// the same three in RESP3.
pub fn add_reply_pubsub_message(c: &mut Client, channel: &[u8], msg: &[u8]) {
    if c.resp >= 3 {
        c.add_reply_push_len(3);
    } else {
        c.add_reply_array_len(3);
    }
    c.add_reply_bulk(b"message");
    c.add_reply_bulk(channel);
    c.add_reply_bulk(msg);
}
