//! ROLE, FAILOVER and the INFO replication section (Redis `replication.c`,
//! `server.c`'s `genRedisInfoString`).
//!
//! # How a coordinated failover works
//! `FAILOVER [TO host port [FORCE]] [TIMEOUT ms]` on a master with replicas:
//! 1. The master pauses writes ([`PausePurpose::DuringFailover`]): clients'
//!    write commands wait, replicas still get the stream, so the master's
//!    offset stops growing. State `waiting-for-sync`.
//! 2. [`update_failover_status`] (from `before_sleep`, and from the
//!    replication cron, which runs every 100 ms while a failover is on)
//!    waits until the target (or, without `TO`, any replica) has
//!    acknowledged the whole stream (`REPLCONF ACK` offset equal to
//!    `master_repl_offset`). With `TIMEOUT` and no `FORCE` the failover is
//!    aborted when time runs out; with `FORCE` it goes on regardless.
//! 3. The master turns into a replica of the target
//!    ([`replica::replication_set_master`]), state `failover-in-progress`;
//!    the replica side's handshake then sends `PSYNC <replid> <offset>
//!    FAILOVER` ([`failover_in_progress`] tells it to). The target, seeing
//!    its own replication ID, promotes itself and answers `+CONTINUE`.
//! 4. The replica side calls [`clear_failover_state`] on `+CONTINUE` or
//!    `+FULLRESYNC` (writes resume, now refused as READONLY by a replica),
//!    or [`abort_failover`] on any other answer, which makes this server a
//!    master again.
//!
//! `FAILOVER ABORT` ends a failover in either state; in
//! `failover-in-progress` it also undoes step 3.

use crate::commands::Handler;
use crate::networking::{Client, PausePurpose, PauseType};
use crate::replication::{CLIENT_SLAVE, ClientRepl, NULL_REPLID, ReplState, SlaveState, replica};
use crate::server::Server;
use std::fmt::Write as _;

/// Where a FAILOVER is (Redis `failover_state`); INFO prints it as
/// `master_failover_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FailoverStatus {
    /// No failover (`no-failover`).
    #[default]
    NoFailover,
    /// Writes are paused; waiting for a replica to catch up (`waiting-for-sync`).
    WaitForSync,
    /// We are a replica of the target, sending it `PSYNC ... FAILOVER`
    /// (`failover-in-progress`).
    InProgress,
}

impl FailoverStatus {
    /// The INFO `master_failover_state` word (Redis `getFailoverStateString`).
    pub fn as_str(self) -> &'static str {
        match self {
            FailoverStatus::NoFailover => "no-failover",
            FailoverStatus::WaitForSync => "waiting-for-sync",
            FailoverStatus::InProgress => "failover-in-progress",
        }
    }
}

/// State of a FAILOVER (Redis `server.failover_*`, `target_replica_*`).
#[derive(Default)]
pub struct FailoverState {
    /// Where the failover is.
    pub state: FailoverStatus,
    /// Unix ms when `TIMEOUT` runs out, 0 without a timeout (Redis
    /// `failover_end_time`).
    pub end_time: i64,
    /// `FORCE`: fail over at the timeout even if the target lags.
    pub force: bool,
    /// The target, given with `TO` or picked once a replica caught up.
    pub target_host: Option<String>,
    pub target_port: i64,
}

/// ROLE and FAILOVER.
pub static HANDLERS: &[(&str, Handler)] = &[("role", role_command), ("failover", failover_command)];

/// True while a failover is under way (either state): the replication
/// cron then runs every 100 ms, and REPLICAOF and SYNC/PSYNC are refused.
pub fn failover_ongoing(srv: &Server) -> bool {
    srv.repl.failover.state != FailoverStatus::NoFailover
}

/// True when this (former) master is handing over to its target: the
/// replica side appends `FAILOVER` to its PSYNC.
pub fn failover_in_progress(srv: &Server) -> bool {
    srv.repl.failover.state == FailoverStatus::InProgress
}

/// Ends a failover, successful or not: forgets the target and timeout and
/// lifts the failover's write pause (Redis `clearFailoverState`). The
/// replica side calls it when the target answered PSYNC FAILOVER with
/// `+CONTINUE` or `+FULLRESYNC`.
pub fn clear_failover_state(srv: &mut Server) {
    let f = &mut srv.repl.failover;
    f.end_time = 0;
    f.force = false;
    f.target_host = None;
    f.target_port = 0;
    f.state = FailoverStatus::NoFailover;
    crate::networking::unpause_clients(srv, PausePurpose::DuringFailover);
}

/// Aborts a failover if one is on (Redis `abortFailover`): logs
/// `FAILOVER to <host>:<port> aborted: <err>` (or `FAILOVER to any replica
/// aborted: <err>`), becomes a master again if it had already turned into
/// the target's replica, and clears the state. The replica side calls it
/// with "Failover target rejected psync request" or "Write error to
/// failover target".
pub fn abort_failover(srv: &mut Server, err: &str) {
    if srv.repl.failover.state == FailoverStatus::NoFailover {
        return;
    }
    match &srv.repl.failover.target_host {
        Some(h) => tracing::info!(
            "FAILOVER to {}:{} aborted: {}",
            h,
            srv.repl.failover.target_port,
            err
        ),
        None => tracing::info!("FAILOVER to any replica aborted: {}", err),
    }
    if srv.repl.failover.state == FailoverStatus::InProgress {
        replica::replication_unset_master(srv);
    }
    clear_failover_state(srv);
}

/// The address a replica is known by: its `REPLCONF ip-address`, else the
/// IP of its connection (Redis's `slave_addr` / `connPeerToString`).
pub fn replica_ip(c: &Client) -> Option<String> {
    if let Some(a) = c.repl.as_ref().and_then(|r| r.slave_addr.clone()) {
        return Some(a);
    }
    peer_ip(&c.addr)
}

/// The IP part of a `ip:port` / `[ipv6]:port` client address.
fn peer_ip(addr: &str) -> Option<String> {
    let (ip, _) = addr.rsplit_once(':')?;
    let ip = ip
        .strip_prefix('[')
        .and_then(|i| i.strip_suffix(']'))
        .unwrap_or(ip);
    Some(ip.to_string())
}

/// The client in `slot`, if it is in the table (not the one being served).
fn client_at(srv: &Server, slot: usize) -> Option<&Client> {
    srv.clients_iter().find(|c| c.slot == slot)
}

/// The replication fields of a replica client (every attached replica has them).
fn repl_of(c: &Client) -> Option<&ClientRepl> {
    c.repl.as_deref()
}

/// The attached replica whose address and listening port are `host:port`,
/// host compared case-insensitively (Redis `findReplica`).
fn find_replica(srv: &Server, host: &str, port: i64) -> Option<usize> {
    srv.repl.replicas.iter().copied().find(|&slot| {
        client_at(srv, slot).is_some_and(|c| {
            replica_ip(c).is_some_and(|ip| ip.eq_ignore_ascii_case(host))
                && repl_of(c).is_some_and(|r| r.slave_listening_port as i64 == port)
        })
    })
}

// ---- FAILOVER ----

/// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms] → `+OK` once the
/// failover started (Redis `failoverCommand`); its progress shows in INFO
/// `master_failover_state`. Errors, in Redis's order: `ERR No failover in
/// progress.` (ABORT), syntax and integer errors, `ERR FAILOVER timeout
/// must be greater than 0`, `ERR FAILOVER already in progress.`, `ERR
/// FAILOVER is not valid when server is a replica.`, `ERR FAILOVER
/// requires connected replicas.`, `ERR FAILOVER with force option requires
/// both a timeout and target HOST and IP.`, `ERR FAILOVER target HOST and
/// PORT is not a replica.`, `ERR FAILOVER target replica is not online.`;
/// in cluster mode `ERR FAILOVER not allowed in cluster mode. Use CLUSTER
/// FAILOVER command instead.`
pub fn failover_command(srv: &mut Server, c: &mut Client) {
    if srv.config.cluster_enabled {
        c.add_reply_error(
            "ERR FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.",
        );
        return;
    }
    if c.argv.len() == 2 && c.argv[1].eq_ignore_ascii_case(b"abort") {
        if srv.repl.failover.state == FailoverStatus::NoFailover {
            c.add_reply_error("ERR No failover in progress.");
            return;
        }
        abort_failover(srv, "Failover manually aborted");
        c.add_reply_ok();
        return;
    }
    let mut timeout_ms: i64 = 0;
    let mut force = false;
    let mut host: Option<String> = None;
    let mut port: i64 = 0;
    let argc = c.argv.len();
    let mut j = 1;
    while j < argc {
        let a = &c.argv[j];
        if a.eq_ignore_ascii_case(b"timeout") && j + 1 < argc && timeout_ms == 0 {
            let Some(t) = crate::util::string2ll(&c.argv[j + 1]) else {
                c.add_reply_error(crate::shared::err_not_integer());
                return;
            };
            if t <= 0 {
                c.add_reply_error("ERR FAILOVER timeout must be greater than 0");
                return;
            }
            timeout_ms = t;
            j += 2;
        } else if a.eq_ignore_ascii_case(b"to") && j + 2 < argc && host.is_none() {
            let Some(p) = crate::util::string2ll(&c.argv[j + 2]) else {
                c.add_reply_error(crate::shared::err_not_integer());
                return;
            };
            port = p;
            host = Some(String::from_utf8_lossy(&c.argv[j + 1]).into_owned());
            j += 3;
        } else if a.eq_ignore_ascii_case(b"force") && !force {
            force = true;
            j += 1;
        } else {
            c.add_reply_error(crate::shared::err_syntax());
            return;
        }
    }
    if srv.repl.failover.state != FailoverStatus::NoFailover {
        c.add_reply_error("ERR FAILOVER already in progress.");
        return;
    }
    if srv.repl.masterhost.is_some() {
        c.add_reply_error("ERR FAILOVER is not valid when server is a replica.");
        return;
    }
    if srv.repl.replicas.is_empty() {
        c.add_reply_error("ERR FAILOVER requires connected replicas.");
        return;
    }
    if force && (timeout_ms == 0 || host.is_none()) {
        c.add_reply_error(
            "ERR FAILOVER with force option requires both a timeout and target HOST and IP.",
        );
        return;
    }
    if let Some(h) = &host {
        let Some(slot) = find_replica(srv, h, port) else {
            c.add_reply_error("ERR FAILOVER target HOST and PORT is not a replica.");
            return;
        };
        let online = client_at(srv, slot)
            .and_then(repl_of)
            .is_some_and(|r| r.replstate == SlaveState::Online);
        if !online {
            c.add_reply_error("ERR FAILOVER target replica is not online.");
            return;
        }
        tracing::info!("FAILOVER requested to {}:{}.", h, port);
    } else {
        tracing::info!("FAILOVER requested to any replica.");
    }
    let f = &mut srv.repl.failover;
    f.target_host = host;
    f.target_port = port;
    if timeout_ms > 0 {
        f.end_time = crate::util::mstime().saturating_add(timeout_ms);
    }
    f.force = force;
    f.state = FailoverStatus::WaitForSync;
    crate::networking::pause_clients(
        srv,
        PausePurpose::DuringFailover,
        i64::MAX,
        PauseType::Write,
    );
    c.add_reply_ok();
}

/// Advances a failover waiting for sync (Redis `updateFailoverStatus`;
/// from `before_sleep` and the replication cron): on timeout either
/// forces the handover (`FORCE`, logging `FAILOVER to <host>:<port> time
/// out exceeded, failing over.`) or aborts ("Replica never caught up before
/// timeout"); otherwise, once the target (or without `TO` the first
/// replica, in attach order) has acknowledged our whole stream, logs
/// `Failover target <host>:<port> is synced, failing over.` and becomes
/// its replica.
pub fn update_failover_status(srv: &mut Server) {
    if srv.repl.failover.state != FailoverStatus::WaitForSync {
        return;
    }
    let now = srv.mstime;
    let f = &srv.repl.failover;
    if f.end_time != 0 && f.end_time <= now {
        if f.force {
            let host = f.target_host.clone().unwrap_or_default();
            let port = f.target_port;
            tracing::info!(
                "FAILOVER to {}:{} time out exceeded, failing over.",
                host,
                port
            );
            srv.repl.failover.state = FailoverStatus::InProgress;
            replica::replication_set_master(srv, &host, port as u16);
        } else {
            abort_failover(srv, "Replica never caught up before timeout");
        }
        return;
    }
    let offset = srv.repl.master_repl_offset;
    let caught_up = |c: &Client| repl_of(c).is_some_and(|r| r.repl_ack_off == offset);
    let synced = match &srv.repl.failover.target_host {
        Some(h) => find_replica(srv, h, srv.repl.failover.target_port)
            .and_then(|slot| client_at(srv, slot))
            .is_some_and(caught_up),
        None => {
            let found = srv.repl.replicas.iter().find_map(|&slot| {
                let c = client_at(srv, slot)?;
                if !caught_up(c) {
                    return None;
                }
                let port = repl_of(c).map_or(0, |r| r.slave_listening_port as i64);
                Some((replica_ip(c)?, port))
            });
            match found {
                Some((h, p)) => {
                    srv.repl.failover.target_host = Some(h);
                    srv.repl.failover.target_port = p;
                    true
                }
                None => false,
            }
        }
    };
    if synced {
        let host = srv.repl.failover.target_host.clone().unwrap_or_default();
        let port = srv.repl.failover.target_port;
        srv.repl.failover.state = FailoverStatus::InProgress;
        tracing::info!("Failover target {}:{} is synced, failing over.", host, port);
        replica::replication_set_master(srv, &host, port as u16);
    }
}

// ---- ROLE ----

/// ROLE (Redis `roleCommand`). On a master: `["master", <offset>,
/// [[<ip>, "<port>", "<ack offset>"], ...]]`, online replicas only, port
/// and offset as bulk strings. On a replica: `["slave", <master host>,
/// <master port>, <state>, <offset>]`, state one of `none`, `connect`,
/// `connecting`, `handshake`, `sync`, `connected`, offset -1 without a
/// master link.
pub fn role_command(srv: &mut Server, c: &mut Client) {
    match &srv.repl.masterhost {
        None => {
            c.add_reply_array_len(3);
            c.add_reply_bulk(b"master");
            c.add_reply_long_long(srv.repl.master_repl_offset);
            let h = c.add_reply_deferred_len();
            let mut n = 0;
            for &slot in &srv.repl.replicas {
                let Some(r) = client_at(srv, slot) else {
                    continue;
                };
                let Some(ip) = replica_ip(r) else { continue };
                let Some(rr) = repl_of(r) else { continue };
                if rr.replstate != SlaveState::Online {
                    continue;
                }
                c.add_reply_array_len(3);
                c.add_reply_bulk(ip.as_bytes());
                c.add_reply_bulk_long_long(rr.slave_listening_port as i64);
                c.add_reply_bulk_long_long(rr.repl_ack_off);
                n += 1;
            }
            c.set_deferred_array_len(h, n);
        }
        Some(host) => {
            c.add_reply_array_len(5);
            c.add_reply_bulk(b"slave");
            c.add_reply_bulk(host.as_bytes());
            c.add_reply_long_long(srv.repl.masterport as i64);
            let state = match srv.repl.state {
                ReplState::None => "none",
                ReplState::Connect => "connect",
                ReplState::Connecting => "connecting",
                ReplState::Transfer => "sync",
                ReplState::Connected => "connected",
                _ => "handshake",
            };
            c.add_reply_bulk(state.as_bytes());
            let off = master_client_offsets(srv).map_or(-1, |(off, _)| off);
            c.add_reply_long_long(off);
        }
    }
}

// ---- INFO replication ----

/// `(reploff, read_reploff)` of the connected master client.
fn master_client_offsets(srv: &Server) -> Option<(i64, i64)> {
    let slot = srv.repl.master_client?;
    let r = client_at(srv, slot).and_then(repl_of)?;
    Some((r.reploff, r.read_reploff))
}

/// The `# Replication` section of INFO, exactly as Redis 7.0.15 prints it
/// (`genRedisInfoString`): `role`; on a replica the master's address,
/// `master_link_status`, `master_last_io_seconds_ago`,
/// `master_sync_in_progress`, the offsets, during a transfer the
/// `master_sync_*` progress, while the link is down
/// `master_link_down_since_seconds`, then `slave_priority`,
/// `slave_read_only`, `replica_announced`; then `connected_slaves`,
/// `min_slaves_good_slaves` when `min-replicas-*` are on, one
/// `slaveN:ip=,port=,state=,offset=,lag=` line per replica, and the
/// failover state, replication IDs, offsets and backlog figures.
pub fn gen_info_replication(srv: &Server, o: &mut String) {
    let now_s = srv.mstime / 1000;
    let _ = write!(
        o,
        "# Replication\r\nrole:{}\r\n",
        if srv.repl.masterhost.is_some() {
            "slave"
        } else {
            "master"
        }
    );
    if let Some(host) = &srv.repl.masterhost {
        let master = srv.repl.master_client.and_then(|slot| client_at(srv, slot));
        let (reploff, read_reploff) = master_client_offsets(srv)
            .or_else(|| cached_master_offsets(srv))
            .unwrap_or((1, 1));
        let _ = write!(
            o,
            "master_host:{}\r\nmaster_port:{}\r\nmaster_link_status:{}\r\nmaster_last_io_seconds_ago:{}\r\nmaster_sync_in_progress:{}\r\nslave_read_repl_offset:{}\r\nslave_repl_offset:{}\r\n",
            host,
            srv.repl.masterport,
            if srv.repl.state == ReplState::Connected {
                "up"
            } else {
                "down"
            },
            master.map_or(-1, |m| now_s - m.lastinteraction / 1000),
            (srv.repl.state == ReplState::Transfer) as i32,
            read_reploff,
            reploff
        );
        if srv.repl.state == ReplState::Transfer {
            let (size, read, lastio) = transfer_progress(srv);
            let perc = if size != 0 {
                read as f64 / size as f64 * 100.0
            } else {
                0.0
            };
            let _ = write!(
                o,
                "master_sync_total_bytes:{}\r\nmaster_sync_read_bytes:{}\r\nmaster_sync_left_bytes:{}\r\nmaster_sync_perc:{:.2}\r\nmaster_sync_last_io_seconds_ago:{}\r\n",
                size,
                read,
                size - read,
                perc,
                now_s - lastio
            );
        }
        if srv.repl.state != ReplState::Connected {
            let down = if srv.repl.repl_down_since != 0 {
                now_s - srv.repl.repl_down_since
            } else {
                -1
            };
            let _ = write!(o, "master_link_down_since_seconds:{}\r\n", down);
        }
        let _ = write!(
            o,
            "slave_priority:{}\r\nslave_read_only:{}\r\nreplica_announced:{}\r\n",
            srv.config.replica_priority,
            srv.config.replica_read_only as i32,
            srv.config.replica_announced as i32
        );
    }
    let _ = write!(o, "connected_slaves:{}\r\n", srv.repl.replicas.len());
    if srv.config.min_replicas_to_write != 0 && srv.config.min_replicas_max_lag != 0 {
        let _ = write!(
            o,
            "min_slaves_good_slaves:{}\r\n",
            srv.repl.good_replicas_count
        );
    }
    let mut id = 0;
    for &slot in &srv.repl.replicas {
        let Some(c) = client_at(srv, slot) else {
            continue;
        };
        if c.flags & CLIENT_SLAVE == 0 {
            continue;
        }
        let Some(ip) = replica_ip(c) else { continue };
        let Some(r) = repl_of(c) else { continue };
        let lag = if r.replstate == SlaveState::Online {
            crate::util::mstime() / 1000 - r.repl_ack_time
        } else {
            0
        };
        let _ = write!(
            o,
            "slave{}:ip={},port={},state={},offset={},lag={}\r\n",
            id,
            ip,
            r.slave_listening_port,
            r.replstate.info_name(),
            r.repl_ack_off,
            lag
        );
        id += 1;
    }
    let (backlog_active, first_byte, histlen) = match backlog_info(srv) {
        Some((first, hist)) => (1, first, hist),
        None => (0, 0, 0),
    };
    let replid2 = if srv.repl.replid2.is_empty() {
        NULL_REPLID
    } else {
        &srv.repl.replid2
    };
    let _ = write!(
        o,
        "master_failover_state:{}\r\nmaster_replid:{}\r\nmaster_replid2:{}\r\nmaster_repl_offset:{}\r\nsecond_repl_offset:{}\r\nrepl_backlog_active:{}\r\nrepl_backlog_size:{}\r\nrepl_backlog_first_byte_offset:{}\r\nrepl_backlog_histlen:{}\r\n",
        srv.repl.failover.state.as_str(),
        srv.replid,
        replid2,
        srv.repl.master_repl_offset,
        srv.repl.second_replid_offset,
        backlog_active,
        srv.config.repl_backlog_size,
        first_byte,
        histlen
    );
}

// ---- State kept by the other sides ----

/// `(reploff, read_reploff)` of the cached master while the link is down
/// (a cached master has applied all it read).
fn cached_master_offsets(srv: &Server) -> Option<(i64, i64)> {
    let m = srv.repl.replica.cached_master.as_ref()?;
    Some((m.reploff, m.reploff))
}

/// `(total bytes, bytes read, unix s of the last read)` of the RDB transfer.
fn transfer_progress(srv: &Server) -> (i64, i64, i64) {
    let r = &srv.repl.replica;
    (
        r.repl_transfer_size,
        r.repl_transfer_read,
        r.repl_transfer_lastio,
    )
}

/// `(first byte offset, history length)` of the backlog, `None` without one.
fn backlog_info(srv: &Server) -> Option<(i64, i64)> {
    let b = srv.repl.master.backlog.as_ref()?;
    Some((b.offset, b.histlen))
}
