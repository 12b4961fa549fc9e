//! Blocked clients (Redis `blocked.c`): BLPOP and friends, their timeouts,
//! and serving clients when a key they wait on becomes ready.
//! (Being written: see issue 5. The API below is what the data types call.)

use bytes::Bytes;

use crate::commands::Handler;
use crate::networking::Client;
use crate::server::Server;

/// Handlers owned by this module (CLIENT UNBLOCK), by name.
pub static HANDLERS: &[(&str, Handler)] = &[];

/// What a client is blocked on (Redis `BLOCKED_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockType {
    /// BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP: served when a list key gets elements.
    List,
    /// BZPOPMIN, BZPOPMAX, BZMPOP: served when a sorted set key gets members.
    ZSet,
}

/// False when the client must not block (inside MULTI/EXEC, or a script):
/// a blocking command then answers as if its timeout had expired.
pub fn client_may_block(_c: &Client) -> bool {
    false
}

/// Parses a blocking timeout in seconds (fractional allowed) into an
/// absolute unix time in ms, 0 meaning forever (Redis
/// `getTimeoutFromObjectOrReply`). Errors, replied on `c`:
/// `ERR timeout is not a float or out of range`, `ERR timeout is negative`,
/// `ERR timeout is out of range`.
pub fn get_timeout_or_reply(srv: &Server, c: &mut Client, arg: &[u8]) -> Option<i64> {
    let Some(secs) = crate::util::string2d(arg).filter(|d| d.is_finite()) else {
        c.add_reply_error("ERR timeout is not a float or out of range");
        return None;
    };
    let ms = (secs * 1000.0).ceil();
    if ms < 0.0 {
        c.add_reply_error("ERR timeout is negative");
        return None;
    }
    if ms >= (i64::MAX - srv.mstime) as f64 {
        c.add_reply_error("ERR timeout is out of range");
        return None;
    }
    Some(if ms > 0.0 { srv.mstime + ms as i64 } else { 0 })
}

/// Blocks `c` on `keys` until one of them is ready or `timeout_ms`
/// (absolute unix ms, 0 = forever) passes (Redis `blockForKeys`). The
/// caller has already checked [`client_may_block`]. When a key is ready the
/// client's command is run again; on timeout the client gets a null array.
pub fn block_for_keys(
    _srv: &mut Server,
    c: &mut Client,
    _btype: BlockType,
    _keys: &[Bytes],
    _timeout_ms: i64,
) {
    c.add_reply_null_array();
}

/// Marks `key` in `dbid` as ready for the clients blocked on it (Redis
/// `signalKeyAsReady`): list pushes and sorted set adds call this. Cheap
/// when nobody is blocked.
pub fn signal_key_as_ready(_srv: &mut Server, _dbid: usize, _key: &[u8]) {}
