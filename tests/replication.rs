//! Replication between two rustredis servers (issue 11): full and partial
//! sync with writes of every type during them; REPLICAOF NO ONE promotion
//! (the data and the old history stay: the old master follows the new one
//! with a partial resync); REPLICAOF to the same master; WAIT;
//! `min-replicas-to-write` (NOREPLICAS); read-only replicas, also for
//! scripts, and `replica-serve-stale-data` (READONLY, MASTERDOWN, also
//! for EXEC and scripts without a shebang); keys
//! that expire on a replica only through the master's DEL; a replica
//! restarted from its RDB, and a master restarted from its RDB, both
//! continuing with PSYNC; a replica answering clients while its master
//! saves for it; SHUTDOWN and SIGTERM waiting for a stopped replica
//! (SIGSTOP) to catch up, its timeout, SHUTDOWN ABORT.
//!
//! Every reply is checked against Redis 7.0.15's bytes; the tests pass
//! with `RUSTREDIS_BIN=/usr/bin/redis-server`, which proves them.

mod common;

use common::repl::{
    KEY_SAVE_DELAY, Kind, Node, PAD_KEYS, ShortKeys, assert_same_data, expire_short_keys,
    full_then_partial, pad, sync_counts, wait_bgsave_started, wait_synced, write_every_type,
};
use common::{free_port, s, scratch_dir};
use std::time::{Duration, Instant};

/// A node of the binary under test (never the oracle, so never `None`).
fn ours(extra: &[&str]) -> Node {
    Node::start(Kind::Rust, extra).expect("the server under test starts")
}

/// A master with data of every type, some sent in the RDB and some in the
/// stream after it, and a replica in sync with it. The master pings its
/// replicas once a minute, so that its offset only moves when the test
/// writes.
fn synced_pair(master_extra: &[&str]) -> (Node, Node) {
    synced_pair_with(master_extra, &[])
}

/// [`synced_pair`] with arguments for the replica too.
fn synced_pair_with(master_extra: &[&str], replica_extra: &[&str]) -> (Node, Node) {
    let mut args = vec!["--repl-ping-replica-period", "60"];
    args.extend_from_slice(master_extra);
    let mut m = ours(&args);
    let mut r = ours(replica_extra);
    let pre = write_every_type(&mut m.c, "pre", 0);
    expire_short_keys(&mut m.c, &pre);
    r.replicaof(&m);
    let short = write_every_type(&mut m.c, "streamed", 0);
    expire_short_keys(&mut m.c, &short);
    wait_synced(&mut m, &mut [&mut r]);
    (m, r)
}

/// SHUTDOWN SAVE on `n`: the connection closes and the process exits.
fn shutdown_save(n: &mut Node) {
    n.c.send_raw(b"*2\r\n$8\r\nSHUTDOWN\r\n$4\r\nSAVE\r\n");
    assert!(n.c.read_eof(), "SHUTDOWN SAVE did not close the connection");
    assert!(
        n.sp.wait_exit(Duration::from_secs(15)).is_some(),
        "{} did not exit",
        n.label()
    );
}

/// Runs `f` every 50 ms until it returns true; panics with `what` after
/// `timeout`.
fn wait_until(timeout: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn full_and_partial_sync_to_disk() {
    full_then_partial(Kind::Rust, Kind::Rust, false);
}

#[test]
fn full_and_partial_sync_diskless() {
    full_then_partial(Kind::Rust, Kind::Rust, true);
}

/// REPLICAOF NO ONE keeps the data, makes the old ID `master_replid2`
/// valid up to the next offset, and starts a new ID; the old master then
/// follows the promoted replica with a partial resync (PSYNC2).
#[test]
fn promotion_keeps_data_and_history() {
    let (mut m, mut r) = synced_pair(&[]);
    let old_id = m.info_field("replication", "master_replid");
    let off = m.info_int("replication", "master_repl_offset");
    assert!(off > 0, "the master streamed nothing");
    assert_eq!(r.info_field("replication", "master_replid"), old_id);
    assert_eq!(r.info_field("replication", "role"), "slave");

    assert_eq!(s(r.c.cmd_str("REPLICAOF NO ONE")), "+OK\r\n");
    let info = r.info("replication");
    let field = |f: &str| common::info_field(&info, f).unwrap_or_default();
    assert_eq!(field("role"), "master", "{info}");
    assert_eq!(field("master_replid2"), old_id, "{info}");
    assert_eq!(field("second_repl_offset"), (off + 1).to_string(), "{info}");
    assert_eq!(field("master_repl_offset"), off.to_string(), "{info}");
    let new_id = field("master_replid");
    assert_ne!(new_id, old_id, "{info}");
    assert_eq!(new_id.len(), 40, "{info}");
    assert_same_data(&mut m, &mut r, "the promoted replica");
    r.wait_log("MASTER MODE enabled (user request from '");
    // Writable now.
    assert_eq!(s(r.c.cmd_str("SET promoted yes")), "+OK\r\n");

    // The old master follows the new one, from where it was.
    m.replicaof(&r);
    let mut short = ShortKeys::new();
    for round in 0..2 {
        short.extend(write_every_type(&mut r.c, "after", round));
    }
    expire_short_keys(&mut r.c, &short);
    wait_synced(&mut r, &mut [&mut m]);
    assert_same_data(&mut r, &mut m, "the old master following the promoted one");
    assert_eq!(sync_counts(&mut r), (0, 1), "(sync_full, sync_partial_ok)");
    m.wait_log("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
    assert_eq!(m.info_field("replication", "master_replid"), new_id);
}

/// WAIT counts the replicas that acknowledged the client's last write,
/// waits up to its timeout for more, and is refused on a replica.
#[test]
fn wait_counts_acknowledging_replicas() {
    let (mut m, mut r) = synced_pair(&[]);
    assert_eq!(s(m.c.cmd_str("SET waited 1")), "+OK\r\n");
    let t = Instant::now();
    assert_eq!(s(m.c.cmd_str("WAIT 1 5000")), ":1\r\n");
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
    // Two wanted, one there: the timeout decides, and the count is 1.
    assert_eq!(s(m.c.cmd_str("INCR waited")), ":2\r\n");
    let t = Instant::now();
    assert_eq!(s(m.c.cmd_str("WAIT 2 300")), ":1\r\n");
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_millis(290) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    assert_eq!(
        s(r.c.cmd_str("WAIT 1 100")),
        "-ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.\r\n"
    );
    // The replica is gone: nobody acknowledges.
    drop(r);
    assert_eq!(s(m.c.cmd_str("INCR waited")), ":3\r\n");
    assert_eq!(s(m.c.cmd_str("WAIT 1 300")), ":0\r\n");
}

/// With `min-replicas-to-write 1`, writes are refused with NOREPLICAS
/// until a replica is attached and acknowledging, and again once it left.
#[test]
fn min_replicas_to_write_refuses_writes() {
    let mut m = ours(&[
        "--min-replicas-to-write",
        "1",
        "--min-replicas-max-lag",
        "10",
    ]);
    const NOREPLICAS: &str = "-NOREPLICAS Not enough good replicas to write.\r\n";
    assert_eq!(s(m.c.cmd_str("SET k v")), NOREPLICAS);
    assert_eq!(s(m.c.cmd_str("GET k")), "$-1\r\n");
    assert_eq!(m.info_field("replication", "min_slaves_good_slaves"), "0");

    let mut r = ours(&[]);
    r.replicaof(&m);
    wait_until(Duration::from_secs(10), "a good replica", || {
        s(m.c.cmd_str("SET k v")) == "+OK\r\n"
    });
    assert_eq!(m.info_field("replication", "min_slaves_good_slaves"), "1");
    wait_synced(&mut m, &mut [&mut r]);
    assert_eq!(s(r.c.cmd_str("GET k")), "$1\r\nv\r\n");

    drop(r);
    wait_until(Duration::from_secs(10), "NOREPLICAS again", || {
        s(m.c.cmd_str("SET k w")) == NOREPLICAS
    });
    assert_eq!(s(m.c.cmd_str("GET k")), "$1\r\nv\r\n");
}

/// A replica refuses writes from clients unless `replica-read-only no`,
/// in which case they stay local.
#[test]
fn read_only_replica_refuses_writes() {
    let (mut m, mut r) = synced_pair(&[]);
    assert_eq!(s(m.c.cmd_str("SET shared m")), "+OK\r\n");
    wait_synced(&mut m, &mut [&mut r]);
    assert_eq!(s(r.c.cmd_str("GET shared")), "$1\r\nm\r\n");
    assert_eq!(
        s(r.c.cmd_str("SET shared r")),
        "-READONLY You can't write against a read only replica.\r\n"
    );
    assert_eq!(s(r.c.cmd_str("GET shared")), "$1\r\nm\r\n");

    assert_eq!(s(r.c.cmd_str("CONFIG SET replica-read-only no")), "+OK\r\n");
    assert_eq!(s(r.c.cmd_str("SET local r")), "+OK\r\n");
    assert_eq!(s(r.c.cmd_str("GET local")), "$1\r\nr\r\n");
    assert_eq!(s(m.c.cmd_str("EXISTS local")), ":0\r\n");
}

/// A script's write on a read-only replica fails with READONLY, naming
/// the script, and changes nothing.
#[test]
fn read_only_replica_refuses_script_writes() {
    let (mut m, mut r) = synced_pair(&[]);
    assert_eq!(s(m.c.cmd_str("SET shared m")), "+OK\r\n");
    wait_synced(&mut m, &mut [&mut r]);
    let script = "return redis.call('set','shared','r')";
    let sha = common::repl::text(common::call_ok(
        &mut r.c,
        &[b"SCRIPT", b"LOAD", script.as_bytes()],
    ));
    assert_eq!(
        s(r.c.cmd(&[b"EVAL", script.as_bytes(), b"0"])),
        format!(
            "-READONLY You can't write against a read only replica. script: {sha}, on @user_script:1.\r\n"
        )
    );
    assert_eq!(s(r.c.cmd_str("GET shared")), "$1\r\nm\r\n");
}

/// With `replica-serve-stale-data no` a replica refuses most commands
/// (PING too) while the link to its master is down; INFO still answers.
#[test]
fn stale_replica_refuses_with_masterdown() {
    let nobody = free_port().to_string();
    let mut stale = ours(&[
        "--replica-serve-stale-data",
        "no",
        "--replicaof",
        "127.0.0.1",
        &nobody,
    ]);
    const MASTERDOWN: &str =
        "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n";
    assert_eq!(s(stale.c.cmd_str("GET k")), MASTERDOWN);
    assert_eq!(s(stale.c.cmd_str("PING")), MASTERDOWN);
    // A transaction queued before the link went down: EXEC is refused
    // when a queued command is not allowed on stale data.
    let mut admin = stale.sp.conn();
    assert_eq!(s(admin.cmd_str("REPLICAOF NO ONE")), "+OK\r\n");
    assert_eq!(s(stale.c.cmd_str("MULTI")), "+OK\r\n");
    assert_eq!(s(stale.c.cmd_str("GET k")), "+QUEUED\r\n");
    let back = format!("REPLICAOF 127.0.0.1 {nobody}");
    assert_eq!(s(admin.cmd_str(&back)), "+OK\r\n");
    assert_eq!(
        s(stale.c.cmd_str("EXEC")),
        format!(
            "-EXECABORT Transaction discarded because of: {}",
            &MASTERDOWN[1..]
        )
    );
    // A script without a shebang does not run either.
    assert_eq!(s(stale.c.cmd_str("EVAL \"return 1\" 0")), MASTERDOWN);
    // A replica's log lines are tagged S.
    stale.wait_log(":S ");
    assert_eq!(
        stale.info_field("replication", "master_link_status"),
        "down"
    );
    assert_eq!(stale.info_field("replication", "master_port"), nobody);
    assert_eq!(
        s(stale.c.cmd_str("CONFIG SET replica-serve-stale-data yes")),
        "+OK\r\n"
    );
    assert_eq!(s(stale.c.cmd_str("GET k")), "$-1\r\n");
}

/// REPLICAOF to the master already followed answers as Redis does and
/// changes nothing.
#[test]
fn replicaof_same_master_is_a_no_op() {
    let (m, mut r) = synced_pair(&[]);
    let port = m.port_s();
    assert_eq!(
        s(r.c.cmd(&[b"REPLICAOF", b"127.0.0.1", port.as_bytes()])),
        "+OK Already connected to specified master\r\n"
    );
    r.wait_log(
        "REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.",
    );
}

/// A replica shut down with a save and started again (with `replicaof` in
/// its configuration) loads the replication ID and offset from its RDB and
/// continues with a partial resync, getting the writes it missed.
#[test]
fn restarted_replica_continues_with_psync() {
    let dir = scratch_dir("repl-restart");
    let dir_s = dir.display().to_string();
    let port = free_port().to_string();
    let (mut m, mut r) = synced_pair_with(&[], &["--dir", &dir_s, "--port", &port]);
    assert_same_data(&mut m, &mut r, "before the restart");

    shutdown_save(&mut r);
    assert!(
        dir.join("dump.rdb").exists(),
        "no dump.rdb after SHUTDOWN SAVE"
    );
    drop(r);

    // Writes it misses while down.
    let mut short = ShortKeys::new();
    for round in 0..2 {
        short.extend(write_every_type(&mut m.c, "missed", round));
    }
    let mport = m.port_s();
    let mut r = ours(&[
        "--dir",
        &dir_s,
        "--port",
        &port,
        "--replicaof",
        "127.0.0.1",
        &mport,
    ]);
    expire_short_keys(&mut m.c, &short);
    wait_synced(&mut m, &mut [&mut r]);
    assert_same_data(&mut m, &mut r, "after the restart");
    assert_eq!(sync_counts(&mut m), (1, 1), "(sync_full, sync_partial_ok)");
    r.wait_log("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
    drop(r);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A replica never expires keys itself: a key whose TTL passed reads as
/// missing there but stays in its keyspace until the master deletes it
/// (here lazily, on access) and streams the DEL.
#[test]
fn replica_expires_only_through_the_master() {
    let (mut m, mut r) = synced_pair(&[]);
    assert_eq!(s(m.c.cmd_str("DEBUG SET-ACTIVE-EXPIRE 0")), "+OK\r\n");
    assert_eq!(s(r.c.cmd_str("DEBUG SET-ACTIVE-EXPIRE 0")), "+OK\r\n");
    assert_eq!(s(m.c.cmd_str("SELECT 5")), "+OK\r\n");
    assert_eq!(s(r.c.cmd_str("SELECT 5")), "+OK\r\n");
    assert_eq!(s(m.c.cmd_str("SET soon v PX 100")), "+OK\r\n");
    assert_eq!(s(m.c.cmd_str("SET later v")), "+OK\r\n");
    wait_synced(&mut m, &mut [&mut r]);
    assert_eq!(s(r.c.cmd_str("GET soon")), "$1\r\nv\r\n");
    std::thread::sleep(Duration::from_millis(200));
    // Logically expired on the replica, but still stored.
    assert_eq!(s(r.c.cmd_str("GET soon")), "$-1\r\n");
    assert_eq!(s(r.c.cmd_str("EXISTS soon")), ":0\r\n");
    assert_eq!(s(r.c.cmd_str("DBSIZE")), ":2\r\n");
    // The master deletes it on access; the DEL reaches the replica.
    assert_eq!(s(m.c.cmd_str("GET soon")), "$-1\r\n");
    assert_eq!(s(m.c.cmd_str("DBSIZE")), ":1\r\n");
    wait_synced(&mut m, &mut [&mut r]);
    assert_eq!(s(r.c.cmd_str("DBSIZE")), ":1\r\n");
    assert_eq!(s(r.c.cmd_str("GET later")), "$1\r\nv\r\n");
    assert_same_data(&mut m, &mut r, "after the master's DEL");
}

/// A master shut down with a save and started again keeps its history as
/// `master_replid2` (the RDB's repl-id and offset), so its replica
/// continues with a partial resync.
#[test]
fn restarted_master_accepts_psync() {
    let dir = scratch_dir("repl-master-restart");
    let dir_s = dir.display().to_string();
    let port = free_port().to_string();
    let master_args = ["--dir", &dir_s, "--port", &port];
    let (mut m, mut r) = synced_pair(&master_args);
    let old_id = m.info_field("replication", "master_replid");
    let off = m.info_int("replication", "master_repl_offset");

    shutdown_save(&mut m);
    drop(m);
    let mut m = ours(&[&master_args[..], &["--repl-ping-replica-period", "60"]].concat());
    let info = m.info("replication");
    let field = |f: &str| common::info_field(&info, f).unwrap_or_default();
    assert_eq!(field("master_replid2"), old_id, "{info}");
    let mut short = ShortKeys::new();
    for round in 0..2 {
        short.extend(write_every_type(&mut m.c, "restarted", round));
    }
    expire_short_keys(&mut m.c, &short);
    wait_synced(&mut m, &mut [&mut r]);
    assert_same_data(&mut m, &mut r, "after the master's restart");
    assert_eq!(sync_counts(&mut m), (0, 1), "(sync_full, sync_partial_ok)");
    // Checked last, so that a failure here says the resync itself worked.
    // SHUTDOWN asked the replica for an ACK (REPLCONF GETACK *, 37 bytes)
    // before saving, so the saved offset is a little further.
    let saved: i64 = field("master_repl_offset").parse().expect("offset");
    assert_eq!(saved, off + 37, "{info}");
    assert_eq!(
        field("second_repl_offset"),
        (saved + 1).to_string(),
        "{info}"
    );

    drop(m);
    let _ = std::fs::remove_dir_all(&dir);
}

/// While its master saves the RDB for it, a replica keeps answering
/// clients at once, with its old data (`replica-serve-stale-data yes`),
/// and INFO says the sync is in progress.
#[test]
fn replica_serves_clients_during_the_sync() {
    let mut m = ours(&[
        "--rdb-key-save-delay",
        KEY_SAVE_DELAY,
        "--repl-diskless-sync",
        "no",
    ]);
    pad(&mut m.c, PAD_KEYS);
    let mut r = ours(&[]);
    assert_eq!(s(r.c.cmd_str("SET stale yes")), "+OK\r\n");
    r.replicaof(&m);
    wait_bgsave_started(&mut m);
    for _ in 0..5 {
        let t = Instant::now();
        assert_eq!(s(r.c.cmd_str("GET stale")), "$3\r\nyes\r\n");
        assert!(
            t.elapsed() < Duration::from_millis(500),
            "GET took {:?} during the sync",
            t.elapsed()
        );
        assert_eq!(r.info_field("replication", "master_sync_in_progress"), "1");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(m.bgsave_in_progress(), "the sync ended too soon to tell");
    wait_synced(&mut m, &mut [&mut r]);
    assert_eq!(s(r.c.cmd_str("GET stale")), "$-1\r\n");
    assert_eq!(s(r.c.cmd_str("DBSIZE")), format!(":{PAD_KEYS}\r\n"));
}

// ---- Shutdown with lagging replicas ----

/// A master (`master_extra` added) and a replica of it holding `k`=1, in
/// sync, the master having seen the replica's ACK of its whole stream. The
/// master pings once a minute, so its offset moves only on writes. Returns
/// the offset acknowledged.
fn plain_pair(master_extra: &[&str]) -> (Node, Node, i64) {
    let mut args = vec!["--repl-ping-replica-period", "60", "--hz", "100"];
    args.extend_from_slice(master_extra);
    let mut m = ours(&args);
    let mut r = ours(&[]);
    r.replicaof(&m);
    assert_eq!(s(m.c.cmd(&[b"SET", b"k", b"1"])), "+OK\r\n");
    wait_synced(&mut m, &mut [&mut r]);
    let offset = m.info_int("replication", "master_repl_offset");
    let acked = format!(",offset={offset},");
    wait_until(Duration::from_secs(10), "the replica's ACK", || {
        m.info_field("replication", "slave0").contains(&acked)
    });
    (m, r, offset)
}

/// Writes 1 MB values to `m` until its replication buffer holds more than
/// 2 MB: the stopped replica's socket buffers are then full, and what is
/// written next stays in the master's memory.
fn fill_replica_link(m: &mut Node) {
    let value = vec![b'x'; 1 << 20];
    for i in 0..256 {
        let key = format!("junk:{i}");
        assert_eq!(s(m.c.cmd(&[b"SET", key.as_bytes(), &value])), "+OK\r\n");
        if m.info_int("memory", "mem_total_replication_buffers") > 2 << 20 {
            return;
        }
    }
    panic!("the replication buffer never grew past 2 MB");
}

/// INFO server's `shutdown_in_milliseconds`, 0 when absent.
fn shutdown_in_ms(m: &mut Node) -> i64 {
    let info = m.info("server");
    common::info_field(&info, "shutdown_in_milliseconds").map_or(0, |v| v.parse().unwrap_or(0))
}

#[test]
fn shutdown_waits_for_a_lagging_replica() {
    let (mut m, mut r, _) = plain_pair(&["--shutdown-timeout", "60"]);
    r.sp.signal("-STOP");
    fill_replica_link(&mut m);
    assert_eq!(s(m.c.cmd(&[b"INCR", b"k"])), ":2\r\n");
    let mut shutdown = m.sp.conn();
    shutdown.send_raw(b"*1\r\n$8\r\nSHUTDOWN\r\n");
    wait_until(Duration::from_secs(10), "shutdown_in_milliseconds", || {
        shutdown_in_ms(&mut m) > 0
    });
    // Only the SHUTDOWN client is blocked; the others are served, but
    // their writes wait (the offset must stop moving).
    assert_eq!(m.info_int("clients", "blocked_clients"), 1);
    assert_eq!(s(m.c.cmd(&[b"GET", b"k"])), "$1\r\n2\r\n");
    let mut writer = m.sp.conn();
    writer.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nw\r\n$1\r\n1\r\n");
    std::thread::sleep(Duration::from_millis(300));
    assert!(m.sp.child.try_wait().expect("try_wait").is_none());
    r.sp.signal("-CONT");
    let st =
        m.sp.wait_exit(Duration::from_secs(30))
            .expect("the master exits");
    assert!(st.success(), "{st:?}");
    assert!(
        shutdown.read_eof() && shutdown.buf.is_empty(),
        "SHUTDOWN replied"
    );
    assert!(
        writer.read_eof() && writer.buf.is_empty(),
        "the paused SET ran"
    );
    // The replica got everything, the INCR last.
    assert_eq!(s(r.c.cmd(&[b"GET", b"k"])), "$1\r\n2\r\n");
    let log = m.sp.log();
    for line in [
        "Waiting for replicas before shutting down.",
        "1 of 1 replicas are in sync when shutting down.",
        "Redis is now ready to exit, bye bye...",
    ] {
        assert!(log.contains(line), "no {line:?} in the log:\n{log}");
    }
    assert!(!log.contains("Lagging replica"), "{log}");
}

#[test]
fn shutdown_abort_then_timeout_with_a_lagging_replica() {
    let (mut m, r, acked) = plain_pair(&["--shutdown-timeout", "1"]);
    r.sp.signal("-STOP");
    assert_eq!(s(m.c.cmd(&[b"INCR", b"k"])), ":2\r\n");
    let mut waiting = [m.sp.conn(), m.sp.conn()];
    for w in waiting.iter_mut() {
        w.send_raw(b"*1\r\n$8\r\nshutdown\r\n");
    }
    wait_until(Duration::from_secs(10), "two blocked SHUTDOWNs", || {
        m.info_int("clients", "blocked_clients") == 2
    });
    assert!(shutdown_in_ms(&mut m) > 0);
    assert_eq!(s(m.c.cmd(&[b"SHUTDOWN", b"ABORT"])), "+OK\r\n");
    for w in waiting.iter_mut() {
        assert_eq!(
            s(w.read_reply()),
            "-ERR Errors trying to SHUTDOWN. Check logs.\r\n"
        );
    }
    assert_eq!(shutdown_in_ms(&mut m), 0);
    // Writes resume at once.
    assert_eq!(s(m.c.cmd(&[b"SET", b"after", b"abort"])), "+OK\r\n");
    assert_eq!(
        s(m.c.cmd(&[b"SHUTDOWN", b"ABORT"])),
        "-ERR No shutdown in progress.\r\n"
    );
    // SIGTERM takes the same path; the replica is still stopped, so the
    // master gives up after shutdown-timeout. The stream grows by the
    // REPLCONF GETACK * it sends first.
    let getack = b"*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n".len() as i64;
    let behind = m.info_int("replication", "master_repl_offset") + getack - acked;
    let started = Instant::now();
    m.sp.signal("-TERM");
    let st =
        m.sp.wait_exit(Duration::from_secs(15))
            .expect("the master exits");
    assert!(st.success(), "{st:?}");
    assert!(started.elapsed() >= Duration::from_millis(900));
    r.sp.signal("-CONT");
    let log = m.sp.log();
    for line in [
        "Shutdown manually aborted.",
        "Received SIGTERM scheduling shutdown...",
        "Waiting for replicas before shutting down.",
        &format!(
            "Lagging replica 127.0.0.1:{} reported offset {behind} behind master, lag=",
            r.sp.port
        ),
        "0 of 1 replicas are in sync when shutting down.",
        "Redis is now ready to exit, bye bye...",
    ] {
        assert!(log.contains(line), "no {line:?} in the log:\n{log}");
    }
}

#[test]
fn second_sigint_and_shutdown_on_sigterm_now() {
    // A SIGINT waits for the stopped replica; a second one exits at once,
    // with status 1.
    let (mut m, r, _) = plain_pair(&["--shutdown-timeout", "60"]);
    r.sp.signal("-STOP");
    assert_eq!(s(m.c.cmd(&[b"INCR", b"k"])), ":2\r\n");
    m.sp.signal("-INT");
    wait_until(Duration::from_secs(10), "shutdown_in_milliseconds", || {
        shutdown_in_ms(&mut m) > 0
    });
    m.sp.signal("-INT");
    let st =
        m.sp.wait_exit(Duration::from_secs(10))
            .expect("the master exits");
    assert_eq!(st.code(), Some(1), "{st:?}");
    let log = m.sp.log();
    assert!(log.contains("You insist... exiting now."), "{log}");
    assert!(!log.contains("ready to exit"), "{log}");
    r.sp.signal("-CONT");

    // shutdown-on-sigterm now: no waiting, the lagging replica is logged.
    let (mut m, r, _) = plain_pair(&["--shutdown-timeout", "60"]);
    assert_eq!(
        s(m.c.cmd(&[b"CONFIG", b"SET", b"shutdown-on-sigterm", b"now"])),
        "+OK\r\n"
    );
    r.sp.signal("-STOP");
    assert_eq!(s(m.c.cmd(&[b"INCR", b"k"])), ":2\r\n");
    m.sp.signal("-TERM");
    let st =
        m.sp.wait_exit(Duration::from_secs(10))
            .expect("the master exits");
    assert!(st.success(), "{st:?}");
    let log = m.sp.log();
    assert!(!log.contains("Waiting for replicas"), "{log}");
    assert!(
        log.contains("0 of 1 replicas are in sync when shutting down."),
        "{log}"
    );
    r.sp.signal("-CONT");
}
