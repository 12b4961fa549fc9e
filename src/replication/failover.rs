//! ROLE, FAILOVER and the INFO replication section (Redis `replication.c`).

use crate::commands::Handler;
use crate::server::Server;

/// State of a FAILOVER in progress.
#[derive(Default)]
pub struct FailoverState {}

/// ROLE and FAILOVER.
pub static HANDLERS: &[(&str, Handler)] = &[];

/// Advances or times out a FAILOVER (from the cron and when offsets change).
pub fn update_failover_status(_srv: &mut Server) {}
