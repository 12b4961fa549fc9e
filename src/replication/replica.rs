//! The replica side of replication (Redis `replication.c`): REPLICAOF,
//! the handshake, the RDB transfer and load, the master client, partial
//! resync with a cached master.

use crate::ae::FiredEvent;
use crate::commands::Handler;
use crate::networking::Client;
use crate::server::Server;

/// The replica side's own state.
#[derive(Default)]
pub struct ReplicaSide {}

/// Replica-side commands (REPLICAOF, SLAVEOF).
pub static HANDLERS: &[(&str, Handler)] = &[];

/// Makes this server a replica of `host:port` (Redis
/// `replicationSetMaster`): drops the current master link (caching it for
/// PSYNC), and when we were a master synthesizes a cached master from our
/// own replication ID and offset so the new master may accept a partial
/// resync. Replicas attached to us are kept (they may PSYNC with us once we
/// are in sync). Logs "Connecting to MASTER host:port" and starts the
/// non-blocking connect.
pub fn replication_set_master(srv: &mut Server, host: &str, port: u16) {
    srv.repl.masterhost = Some(host.to_string());
    srv.repl.masterport = port;
    srv.config.replicaof = Some((host.to_string(), port));
    srv.repl.state = crate::replication::ReplState::Connect;
}

/// Turns this replica into a master (Redis `replicationUnsetMaster`,
/// REPLICAOF NO ONE and a FAILOVER's target): the link and cached master
/// are dropped, the data is kept, the replication ID is shifted (the old
/// one stays valid as `replid2` up to our offset, see
/// [`crate::replication::shift_replication_id`]) and our own replicas are
/// disconnected so they PSYNC again and learn the new ID. No-op on a master.
pub fn replication_unset_master(srv: &mut Server) {
    if srv.repl.masterhost.is_none() {
        return;
    }
    srv.repl.masterhost = None;
    srv.config.replicaof = None;
    crate::replication::shift_replication_id(srv);
    srv.repl.state = crate::replication::ReplState::None;
    srv.repl.slaveseldb = -1;
    srv.repl.repl_no_slaves_since = srv.mstime / 1000;
    srv.repl.repl_down_since = 0;
}

/// Events on the master link (handshake and transfer).
pub fn handle_event(_srv: &mut Server, _ev: FiredEvent) {}

/// The replica part of `replicationCron`.
pub fn replication_cron(_srv: &mut Server) {}

/// The replica part of `before_sleep`.
pub fn before_sleep(_srv: &mut Server) {}

/// The master client is being freed.
pub fn free_master_client(_srv: &mut Server, _c: &mut Client) {}
