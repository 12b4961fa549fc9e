//! The master side of replication (Redis `replication.c`): the backlog,
//! feeding the stream, SYNC/PSYNC, full resync (disk or diskless),
//! REPLCONF, WAIT and `min-replicas-*`.

use crate::ae::FiredEvent;
use crate::commands::Handler;
use crate::networking::Client;
use crate::server::Server;

/// The master side's own state.
#[derive(Default)]
pub struct MasterSide {}

/// Master-side commands (SYNC, PSYNC, REPLCONF, WAIT).
pub static HANDLERS: &[(&str, Handler)] = &[];

/// True when a replication backlog exists.
pub fn has_backlog(_srv: &Server) -> bool {
    false
}

/// Appends one propagated command to the stream (Redis
/// `replicationFeedSlaves`): a SELECT first when `dbid` differs from the
/// stream's, then the command as a RESP array; the bytes go to the backlog
/// and every online replica and `master_repl_offset` grows by their length.
pub fn feed_replication_stream(_srv: &mut Server, _dbid: usize, _argv: &[bytes::Bytes]) {}

/// Events on the master side's tokens.
pub fn handle_event(_srv: &mut Server, _ev: FiredEvent) {}

/// The master part of `replicationCron`.
pub fn replication_cron(_srv: &mut Server) {}

/// The master part of `before_sleep`.
pub fn before_sleep(_srv: &mut Server) {}

/// A replica client is being freed.
pub fn free_replica_client(_srv: &mut Server, _c: &mut Client) {}
