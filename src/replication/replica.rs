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

/// Events on the master link (handshake and transfer).
pub fn handle_event(_srv: &mut Server, _ev: FiredEvent) {}

/// The replica part of `replicationCron`.
pub fn replication_cron(_srv: &mut Server) {}

/// The replica part of `before_sleep`.
pub fn before_sleep(_srv: &mut Server) {}

/// The master client is being freed.
pub fn free_master_client(_srv: &mut Server, _c: &mut Client) {}
