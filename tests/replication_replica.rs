//! The replica side against a real redis-server 7.0 master: REPLICAOF's
//! replies byte for byte, a full sync (disk and diskless load) with
//! writes of every type while it runs, then DEBUG DIGEST equal on both;
//! partial resync after the link is killed; REPLICAOF NO ONE keeping the
//! data and the old ID as replid2; keys that expired on the replica are
//! kept until the master's DEL, except on a writable replica, which
//! expires the keys its own clients gave a TTL and deletes an expired key
//! a write looks up (as redis-server 7.0.15 does); a restart that
//! continues with PSYNC from the RDB's repl-id/repl-offset; a busy script
//! during an async (swapdb) load still lets the other clients in; a disk
//! load longer than the master's repl-timeout keeps the link (keep-alive
//! newlines); an error to the master's stream logs the latest backlog; a
//! transfer faster than the replica stores it leaves the replica
//! answering, and a socket load cut short is followed by a new handshake
//! at once.

mod common;

use common::*;
use std::time::{Duration, Instant};

fn info(c: &mut Conn, section: &str) -> String {
    s(c.cmd(&[b"INFO", section.as_bytes()]))
}

fn wait_until(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        if Instant::now() >= deadline {
            panic!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn link_up(c: &mut Conn) -> bool {
    info_field(&info(c, "replication"), "master_link_status").as_deref() == Some("up")
}

fn digest(c: &mut Conn) -> Vec<u8> {
    c.cmd(&[b"DEBUG", b"DIGEST"])
}

/// Waits until the replica applied everything the master produced.
fn wait_offsets_match(m: &mut Conn, r: &mut Conn) {
    wait_until("offsets to match", 20, || {
        let mo = info_field(&info(m, "replication"), "master_repl_offset");
        let ro = info_field(&info(r, "replication"), "slave_repl_offset");
        mo.is_some() && mo == ro
    });
}

/// Values of every type and encoding, several databases, TTLs, a function.
fn write_dataset(c: &mut Conn, tag: &str, n: usize) {
    for i in 0..n {
        let k = |p: &str| format!("{tag}:{p}:{i}");
        c.cmd_str(&format!("SET {} {}", k("int"), i));
        c.cmd_str(&format!("SET {} v{}", k("emb"), i));
        c.cmd(&[b"SET", k("raw").as_bytes(), &[b'r'; 100]]);
        c.cmd_str(&format!("RPUSH {} a b c {}", k("list"), i));
        c.cmd_str(&format!("HSET {} f1 v1 f2 {}", k("hash"), i));
        c.cmd_str(&format!("SADD {} 1 2 {}", k("iset"), i));
        c.cmd_str(&format!("SADD {} x y s{}", k("set"), i));
        c.cmd_str(&format!("ZADD {} 1 a 2 b {} c", k("zset"), i));
        c.cmd_str(&format!("XADD {} * f {}", k("stream"), i));
        c.cmd_str(&format!("PFADD {} a b c{}", k("hll"), i));
        c.cmd_str(&format!("SETBIT {} {} 1", k("bits"), i * 3));
        c.cmd_str(&format!("GEOADD {} 13.36 38.11 p{}", k("geo"), i));
        c.cmd_str(&format!("SET {} v PX 600000", k("ttl")));
    }
    let big: Vec<String> = (0..300).map(|j| format!("m{j}")).collect();
    c.cmd_str(&format!("RPUSH {tag}:biglist {}", big.join(" ")));
    c.cmd_str(&format!("SADD {tag}:bigset {}", big.join(" ")));
    let hpairs: Vec<String> = (0..300).map(|j| format!("f{j} {j}")).collect();
    c.cmd_str(&format!("HSET {tag}:bighash {}", hpairs.join(" ")));
    let zpairs: Vec<String> = (0..300).map(|j| format!("{j} m{j}")).collect();
    c.cmd_str(&format!("ZADD {tag}:bigzset {}", zpairs.join(" ")));
    c.cmd_str(&format!("XGROUP CREATE {tag}:stream:0 g1 0"));
    c.cmd_str(&format!(
        "XREADGROUP GROUP g1 c1 COUNT 1 STREAMS {tag}:stream:0 >"
    ));
    c.cmd_str("SELECT 3");
    c.cmd_str(&format!("SET {tag}:db3 x"));
    c.cmd_str("SELECT 0");
}

fn start_replica_of(master_port: u16, extra: &[&str]) -> ServerProc {
    let p = master_port.to_string();
    let mut args = vec!["--enable-debug-command", "yes", "--replicaof", "127.0.0.1"];
    args.push(&p);
    args.extend_from_slice(extra);
    ServerProc::start(&args)
}

#[test]
fn replicaof_replies_match_redis() {
    let Some(oracle) = ServerProc::start_oracle(&[]) else {
        return;
    };
    let ours = ServerProc::start(&[]);
    let dead = free_port().to_string();
    let script: Vec<Vec<&[u8]>> = vec![
        vec![b"REPLICAOF", b"no", b"one"],
        vec![b"REPLICAOF", b"127.0.0.1", b"abc"],
        vec![b"REPLICAOF", b"127.0.0.1", b"70000"],
        vec![b"REPLICAOF", b"127.0.0.1", b"-1"],
        vec![b"REPLICAOF", b"127.0.0.1"],
        vec![b"REPLICAOF", b"127.0.0.1", dead.as_bytes()],
        vec![b"SLAVEOF", b"127.0.0.1", dead.as_bytes()],
        vec![b"SET", b"k", b"v"],
        vec![b"REPLICAOF", b"NO", b"ONE"],
        vec![b"SET", b"k", b"v"],
    ];
    let (mut a, mut b) = (oracle.conn(), ours.conn());
    for cmd in &script {
        assert_eq!(escape(&b.cmd(cmd)), escape(&a.cmd(cmd)), "{cmd:?}");
    }
    // The log lines of a role change, as Redis words them.
    let log = ours.log();
    assert!(log.contains("Connecting to MASTER 127.0.0.1:"), "{log}");
    assert!(log.contains("enabled (user request from 'id="), "{log}");
    assert!(
        log.contains("MASTER MODE enabled (user request from 'id="),
        "{log}"
    );
    assert!(log.contains("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed."), "{log}");
}

/// Full sync from a redis-server master with writes during the transfer,
/// then the stream; the keyspaces are equal. Then a link kill and a
/// partial resync, then promotion.
fn sync_from_redis_master(diskless_sync: &str, diskless_load: &str) {
    let Some(master) = ServerProc::start_oracle(&[
        "--enable-debug-command",
        "yes",
        "--repl-diskless-sync",
        diskless_sync,
        "--repl-diskless-sync-delay",
        "0",
        "--rdb-key-save-delay",
        "200",
    ]) else {
        return;
    };
    let mut m = master.conn();
    write_dataset(&mut m, "pre", 40);
    m.cmd_str(
        "FUNCTION LOAD \"#!lua name=lib\nredis.register_function('f', function() return 1 end)\"",
    );
    let replica = start_replica_of(master.port, &["--repl-diskless-load", diskless_load]);
    let mut r = replica.conn();
    // Writes while the RDB is produced and sent.
    write_dataset(&mut m, "during", 20);
    wait_until("the link", 30, || link_up(&mut r));
    write_dataset(&mut m, "after", 5);
    wait_offsets_match(&mut m, &mut r);
    assert_eq!(s(digest(&mut r)), s(digest(&mut m)));
    assert_eq!(r.cmd_str("DBSIZE"), m.cmd_str("DBSIZE"));
    // The library arrived (else "Function not found"); a function without
    // `no-writes` counts as a write on a read-only replica, as in Redis.
    assert_eq!(
        s(r.cmd_str("FCALL f 0")),
        "-READONLY You can't write against a read only replica.\r\n"
    );
    assert_eq!(
        s(r.cmd_str("SET x y")),
        "-READONLY You can't write against a read only replica.\r\n"
    );
    let log = replica.log();
    assert!(log.contains("Full resync from master: "), "{log}");
    assert!(
        log.contains("MASTER <-> REPLICA sync: Finished with success"),
        "{log}"
    );

    // Link killed on the master's side: PSYNC continues.
    m.cmd_str("CLIENT KILL TYPE replica");
    write_dataset(&mut m, "gap", 3);
    wait_until("the link again", 20, || {
        replica
            .log()
            .contains("Successful partial resynchronization with master.")
            && link_up(&mut r)
    });
    write_dataset(&mut m, "post", 3);
    wait_offsets_match(&mut m, &mut r);
    assert_eq!(s(digest(&mut r)), s(digest(&mut m)));
    let minfo = info(&mut m, "stats");
    assert_eq!(info_field(&minfo, "sync_partial_ok").as_deref(), Some("1"));

    // Promotion keeps the data and the old history as replid2.
    let old_id = info_field(&info(&mut r, "replication"), "master_replid").unwrap_or_default();
    let old_off = info_field(&info(&mut r, "replication"), "master_repl_offset")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(-1);
    let before = s(digest(&mut r));
    assert_eq!(r.cmd_str("REPLICAOF NO ONE"), b"+OK\r\n");
    let ri = info(&mut r, "replication");
    assert_eq!(info_field(&ri, "role").as_deref(), Some("master"));
    assert_eq!(info_field(&ri, "master_replid2"), Some(old_id.clone()));
    assert_ne!(info_field(&ri, "master_replid"), Some(old_id));
    assert_eq!(
        info_field(&ri, "second_repl_offset"),
        Some((old_off + 1).to_string())
    );
    assert_eq!(s(digest(&mut r)), before);
    assert_eq!(r.cmd_str("SET x y"), b"+OK\r\n");
}

#[test]
fn full_sync_disk_transfer_disk_load() {
    sync_from_redis_master("no", "disabled");
}

#[test]
fn full_sync_diskless_transfer_swapdb_load() {
    sync_from_redis_master("yes", "swapdb");
}

#[test]
fn full_sync_diskless_transfer_disk_load() {
    sync_from_redis_master("yes", "disabled");
}

/// A big command from the master leaves no copy behind on the replica:
/// once applied and proxied, the stream bytes it read are given back, so
/// its memory settles near the master's (the `tot-mem` of the master
/// client counts them meanwhile).
#[test]
fn a_big_write_leaves_no_buffer_behind_on_the_replica() {
    let master = ServerProc::start(&["--repl-diskless-sync-delay", "0"]);
    let mut m = master.conn();
    let replica = start_replica_of(master.port, &[]);
    let mut r = replica.conn();
    wait_until("the link", 30, || link_up(&mut r));
    let big = vec![b'0'; 16 << 20];
    assert_eq!(m.cmd(&[b"SET", b"big", &big]), b"+OK\r\n");
    wait_offsets_match(&mut m, &mut r);
    let used = |c: &mut Conn| -> i64 {
        info_field(&info(c, "memory"), "used_memory")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let mut last = (0, 0);
    let settled = (0..40).any(|_| {
        last = (used(&mut m), used(&mut r));
        if last.1 <= last.0 + (4 << 20) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
        false
    });
    assert!(settled, "used_memory master {} replica {}", last.0, last.1);
    assert_eq!(r.cmd_str("STRLEN big"), b":16777216\r\n");
}

/// `bind-source-addr` is the address the replica connects from: the
/// master lists it as the replica's `ip`.
#[test]
fn the_master_link_starts_from_bind_source_addr() {
    let master = ServerProc::start(&["--protected-mode", "no", "--repl-diskless-sync-delay", "0"]);
    let mut m = master.conn();
    let replica = start_replica_of(master.port, &["--bind-source-addr", "127.0.0.2"]);
    let mut r = replica.conn();
    wait_until("the link", 30, || link_up(&mut r));
    let slave0 = info_field(&info(&mut m, "replication"), "slave0").unwrap_or_default();
    assert!(slave0.starts_with("ip=127.0.0.2,"), "{slave0}");
}

#[test]
fn replica_expiry() {
    let Some(master) = ServerProc::start_oracle(&["--enable-debug-command", "yes"]) else {
        return;
    };
    let mut m = master.conn();
    m.cmd_str("DEBUG SET-ACTIVE-EXPIRE 0");
    let replica = start_replica_of(master.port, &[]);
    let mut r = replica.conn();
    wait_until("the link", 30, || link_up(&mut r));
    m.cmd_str("SET k v PX 100");
    wait_offsets_match(&mut m, &mut r);
    std::thread::sleep(Duration::from_millis(200));
    // Logically expired for readers, but not deleted by the replica.
    assert_eq!(r.cmd_str("GET k"), b"$-1\r\n");
    assert_eq!(r.cmd_str("EXISTS k"), b":0\r\n");
    assert_eq!(r.cmd_str("DBSIZE"), b":1\r\n");
    // The master's lazy expiry sends DEL: now it is gone.
    assert_eq!(m.cmd_str("GET k"), b"$-1\r\n");
    wait_offsets_match(&mut m, &mut r);
    assert_eq!(r.cmd_str("DBSIZE"), b":0\r\n");
    let st = info(&mut r, "stats");
    assert_eq!(info_field(&st, "expired_keys").as_deref(), Some("0"));

    // A writable replica expires the keys its own clients gave a TTL.
    let stat = |r: &mut Conn, f: &str| info_field(&info(r, "stats"), f).unwrap_or_default();
    assert_eq!(r.cmd_str("CONFIG SET replica-read-only no"), b"+OK\r\n");
    m.cmd_str("SET mk v EX 100");
    wait_offsets_match(&mut m, &mut r);
    // A TTL from the master is the master's business: not tracked.
    assert_eq!(stat(&mut r, "slave_expires_tracked_keys"), "0");
    assert_eq!(r.cmd_str("SET a 1 PX 300"), b"+OK\r\n");
    assert_eq!(r.cmd_str("SELECT 5"), b"+OK\r\n");
    assert_eq!(r.cmd_str("SET a 1 PX 300"), b"+OK\r\n");
    assert_eq!(r.cmd_str("SET b 1 PX 300"), b"+OK\r\n");
    // Tracked by name: `a` of db 0 and db 5 is one entry.
    assert_eq!(stat(&mut r, "slave_expires_tracked_keys"), "2");
    // Deleted by the cron, with nobody reading them (DBSIZE does not expire).
    wait_until("the replica's own keys to expire", 10, || {
        r.cmd_str("DBSIZE") == b":0\r\n"
    });
    assert_eq!(r.cmd_str("SELECT 0"), b"+OK\r\n");
    assert_eq!(r.cmd_str("DBSIZE"), b":1\r\n");
    assert_eq!(stat(&mut r, "expired_keys"), "3");
    assert_eq!(stat(&mut r, "slave_expires_tracked_keys"), "0");

    // A write deletes an expired key of the master's and starts afresh;
    // a read still leaves it for the master's DEL.
    m.cmd_str("SET k2 5 PX 100");
    m.cmd_str("SET k3 5 PX 100");
    wait_offsets_match(&mut m, &mut r);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(r.cmd_str("INCR k2"), b":1\r\n");
    assert_eq!(r.cmd_str("TTL k2"), b":-1\r\n");
    assert_eq!(r.cmd_str("GET k3"), b"$-1\r\n");
    assert_eq!(r.cmd_str("DBSIZE"), b":3\r\n");
    assert_eq!(stat(&mut r, "expired_keys"), "4");

    // Emptying the dataset or swapping databases forgets the tracked names.
    r.cmd_str("SET x 1 EX 100");
    assert_eq!(stat(&mut r, "slave_expires_tracked_keys"), "1");
    assert_eq!(r.cmd_str("FLUSHALL"), b"+OK\r\n");
    assert_eq!(stat(&mut r, "slave_expires_tracked_keys"), "0");
    r.cmd_str("SET x 1 EX 100");
    assert_eq!(r.cmd_str("SWAPDB 0 1"), b"+OK\r\n");
    assert_eq!(stat(&mut r, "slave_expires_tracked_keys"), "0");
    // A name whose TTL went away is dropped by the next pass over it.
    r.cmd_str("SET z 1 EX 100");
    r.cmd_str("SET z 2");
    assert_eq!(stat(&mut r, "slave_expires_tracked_keys"), "1");
    wait_until("the untimed name to be forgotten", 10, || {
        stat(&mut r, "slave_expires_tracked_keys") == "0"
    });
}

#[test]
fn restart_continues_with_psync() {
    let Some(master) = ServerProc::start_oracle(&["--enable-debug-command", "yes"]) else {
        return;
    };
    let mut m = master.conn();
    write_dataset(&mut m, "a", 10);
    let mut replica = start_replica_of(master.port, &[]);
    let dir = replica.dir.clone();
    let mut r = replica.conn();
    wait_until("the link", 30, || link_up(&mut r));
    write_dataset(&mut m, "b", 5);
    wait_offsets_match(&mut m, &mut r);
    // SHUTDOWN saves the RDB with the replication ID and offset.
    r.send_raw(b"*2\r\n$8\r\nSHUTDOWN\r\n$4\r\nSAVE\r\n");
    assert!(replica.wait_exit(Duration::from_secs(10)).is_some());
    write_dataset(&mut m, "c", 5);
    let dir_s = dir.to_string_lossy().into_owned();
    let replica2 = start_replica_of(master.port, &["--dir", &dir_s]);
    let mut r2 = replica2.conn();
    wait_until("the link after restart", 30, || link_up(&mut r2));
    wait_offsets_match(&mut m, &mut r2);
    assert_eq!(s(digest(&mut r2)), s(digest(&mut m)));
    let log = replica2.log();
    assert!(
        log.contains("Trying a partial resynchronization (request "),
        "{log}"
    );
    assert!(
        log.contains("Successful partial resynchronization with master."),
        "{log}"
    );
    drop(replica);
}

/// A swapdb load from a master whose RDB is slow (async loading: the old
/// data stays readable), with clients served between reads of the socket
/// only every `loading-process-events-interval-bytes`. An EVAL that never
/// ends and a PING sent just after it reach the replica in the same batch
/// of events: the PING must still be answered `-BUSY` by the busy
/// script's hook, then SCRIPT KILL frees the server while the load goes on.
#[test]
fn busy_script_during_async_loading() {
    let Some(master) = ServerProc::start_oracle(&[
        "--enable-debug-command",
        "yes",
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
        "--rdbcompression",
        "no",
    ]) else {
        return;
    };
    let mut m = master.conn();
    let replica = start_replica_of(
        master.port,
        &[
            "--repl-diskless-load",
            "swapdb",
            "--loading-process-events-interval-bytes",
            "1000000",
        ],
    );
    let mut r = replica.conn();
    // Connected (accepted) now: its EVAL will be a plain readable event.
    let mut busy = replica.conn();
    assert_eq!(busy.cmd_str("PING"), b"+PONG\r\n");
    wait_until("the link", 30, || link_up(&mut r));
    r.cmd_str("CONFIG SET replica-read-only no");
    r.cmd_str("SET mykey myvalue");
    // 300 keys of 10 kB, 10 ms each: a 3 s transfer, clients served
    // about once a second.
    m.cmd_str("DEBUG POPULATE 300 key 10000");
    m.cmd_str("CONFIG SET rdb-key-save-delay 10000");
    // The link is killed and the backlog overrun before the replica is
    // back: it must sync in full (with the same replication ID).
    m.cmd_str("CONFIG SET repl-backlog-size 16384");
    m.cmd_str("MULTI");
    m.cmd_str("CLIENT KILL TYPE replica");
    for i in 0..4 {
        m.cmd(&[b"SET", format!("filler{i}").as_bytes(), &[b'A'; 10000]]);
    }
    m.cmd_str("EXEC");
    wait_until("async loading", 10, || {
        info_field(&info(&mut r, "persistence"), "async_loading").as_deref() == Some("1")
    });
    assert_eq!(r.cmd_str("GET mykey"), b"$7\r\nmyvalue\r\n");
    r.cmd_str("CONFIG SET busy-reply-threshold 10");
    // Past the round of event processing that served CONFIG SET: the EVAL
    // and the PING wait together for the next one.
    std::thread::sleep(Duration::from_millis(100));
    busy.send_raw(b"*3\r\n$4\r\nEVAL\r\n$17\r\nwhile true do end\r\n$1\r\n0\r\n");
    std::thread::sleep(Duration::from_millis(20));
    let t0 = Instant::now();
    assert_eq!(
        s(r.cmd_str("PING")),
        "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"
    );
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
    assert_eq!(r.cmd_str("SCRIPT KILL"), b"+OK\r\n");
    let killed = s(busy.read_reply());
    assert!(
        killed.starts_with("-ERR Script killed by user with SCRIPT KILL..."),
        "{killed}"
    );
    assert_eq!(r.cmd_str("PING"), b"+PONG\r\n");
    // The load was not disturbed: it ends with the master's data.
    m.cmd_str("CONFIG SET rdb-key-save-delay 0");
    wait_until("the sync", 30, || link_up(&mut r));
    assert_eq!(r.cmd_str("GET mykey"), b"$-1\r\n");
    assert_eq!(r.cmd_str("DBSIZE"), b":304\r\n");
}

/// A disk-based sync whose load outlasts the master's `repl-timeout`: the
/// master puts the replica online once the file is sent and drops it when
/// no ACK comes for `repl-timeout`, unless the loading replica writes its
/// keep-alive newline (once a second, from the load's progress).
#[test]
fn slow_disk_load_keeps_the_master_link() {
    let Some(master) = ServerProc::start_oracle(SLOW_LOAD_MASTER) else {
        return;
    };
    slow_disk_load(master);
}

/// The same with a rustredis master: its replica's empty lines count as
/// ACK times.
#[test]
fn slow_disk_load_keeps_a_rustredis_master_link() {
    slow_disk_load(ServerProc::start(SLOW_LOAD_MASTER));
}

const SLOW_LOAD_MASTER: &[&str] = &[
    "--enable-debug-command",
    "yes",
    "--repl-diskless-sync",
    "no",
    "--repl-timeout",
    "2",
];

fn slow_disk_load(master: ServerProc) {
    let mut m = master.conn();
    m.cmd_str("DEBUG POPULATE 300 key 100");
    // 300 keys at 15 ms each: a load of 4.5 s, clients (and the master)
    // served every 1 kB.
    let replica = start_replica_of(
        master.port,
        &[
            "--repl-diskless-load",
            "disabled",
            "--key-load-delay",
            "15000",
            "--loading-process-events-interval-bytes",
            "1024",
        ],
    );
    let mut r = replica.conn();
    wait_until("the sync", 30, || link_up(&mut r));
    assert_eq!(r.cmd_str("DBSIZE"), b":300\r\n");
    // Past another timeout period: the link that was kept is really up.
    std::thread::sleep(Duration::from_secs(3));
    assert!(link_up(&mut r));
    let mlog = master.log();
    assert!(!mlog.contains("Disconnecting timedout replica"), "{mlog}");
    let stats = info(&mut m, "stats");
    assert_eq!(
        info_field(&stats, "sync_full").as_deref(),
        Some("1"),
        "{stats}"
    );
    let log = replica.log();
    assert_eq!(log.matches("Full resync from master").count(), 1, "{log}");
}

/// A command from the master that fails here is logged with the end of
/// our backlog, as Redis's `showLatestBacklog` renders it.
#[test]
fn master_stream_error_logs_the_latest_backlog() {
    let Some(master) = ServerProc::start_oracle(&["--enable-debug-command", "yes"]) else {
        return;
    };
    let mut m = master.conn();
    let replica = start_replica_of(master.port, &[]);
    let mut r = replica.conn();
    wait_until("the link", 30, || link_up(&mut r));
    m.cmd_str("SET foo bar");
    wait_offsets_match(&mut m, &mut r);
    m.cmd_str("DEBUG REPLICATE fake-command-1");
    wait_until("the backlog dump", 10, || {
        replica.log().contains("Latest backlog is: ")
    });
    let log = replica.log();
    let critical = log
        .find("# == CRITICAL == This replica is sending an error to its master: ")
        .unwrap_or_else(|| panic!("{log}"));
    let dump = &log[critical..];
    let line = dump
        .lines()
        .find(|l| l.contains("Latest backlog is: "))
        .unwrap_or_else(|| panic!("{log}"));
    // The master's SELECT and SET were the last stream bytes applied.
    assert!(
        line.ends_with(
            r#"# Latest backlog is: '"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$3\r\nbar\r\n"'"#
        ),
        "{line}"
    );
}

/// A master that streams a disk transfer faster than the replica stores
/// it never holds the replica's event loop: between reads it answers its
/// clients. The "master" here is a socket that answers the handshake and
/// then sends a 256 MB payload as fast as it can.
#[test]
fn fast_transfer_leaves_the_replica_responsive() {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let feeder = std::thread::spawn(move || {
        let Ok((mut s, _)) = listener.accept() else {
            return;
        };
        if fake_master_handshake(&mut s).is_err() {
            return;
        }
        let total: usize = 256 << 20;
        if s.write_all(format!("${total}\r\n").as_bytes()).is_err() {
            return;
        }
        let chunk = vec![b'x'; 256 << 10];
        let mut left = total;
        while left > 0 {
            let n = left.min(chunk.len());
            if s.write_all(&chunk[..n]).is_err() {
                return;
            }
            left -= n;
        }
    });
    let replica = ServerProc::start(&["--repl-diskless-load", "disabled"]);
    let mut r = replica.conn();
    r.cmd_str(&format!("REPLICAOF 127.0.0.1 {port}"));
    wait_until("the transfer", 10, || {
        info_field(&info(&mut r, "replication"), "master_sync_in_progress").as_deref() == Some("1")
    });
    let mut worst = Duration::ZERO;
    for _ in 0..10 {
        let t0 = Instant::now();
        assert_eq!(r.cmd_str("PING"), b"+PONG\r\n");
        worst = worst.max(t0.elapsed());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(worst < Duration::from_millis(300), "{worst:?}");
    r.cmd_str("REPLICAOF NO ONE");
    let _ = feeder.join();
}

/// A socket load that fails half way (the master hangs up) is followed by
/// a new connection whose handshake goes on: the replica PINGs again.
#[test]
fn failed_socket_load_reconnects_at_once() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let replica = ServerProc::start(&["--repl-diskless-load", "swapdb"]);
    let mut r = replica.conn();
    r.cmd_str(&format!("REPLICAOF 127.0.0.1 {port}"));
    let (mut s, _) = listener.accept().expect("first connection");
    fake_master_handshake(&mut s).expect("handshake");
    let mut buf = [0u8; 64];
    // A streamed RDB: its header, then 4 MB of a string value, cut short.
    let mut rdb =
        b"$EOF:0123456789012345678901234567890123456789\r\nREDIS0010\xfe\x00\x00\x01k".to_vec();
    rdb.push(0x80);
    rdb.extend_from_slice(&(64u32 << 20).to_be_bytes());
    s.write_all(&rdb).expect("header");
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..4 {
        s.write_all(&chunk).expect("payload");
    }
    drop(s);
    listener.set_nonblocking(true).expect("nonblocking");
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut second = loop {
        match listener.accept() {
            Ok((s, _)) => break s,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("no new connection: {e}"),
        }
    };
    second.set_nonblocking(false).expect("blocking");
    second
        .set_read_timeout(Some(Duration::from_secs(3)))
        .expect("timeout");
    let n = second
        .read(&mut buf)
        .expect("the PING of the new handshake");
    assert_eq!(&buf[..n], b"*1\r\n$4\r\nPING\r\n");
    r.cmd_str("REPLICAOF NO ONE");
}

/// Plays a master's side of the handshake on `s`: a reply to each command
/// as it comes (PING +PONG, REPLCONF +OK), until PSYNC, answered with
/// +FULLRESYNC. The RDB is the caller's to send.
fn fake_master_handshake(s: &mut std::net::TcpStream) -> std::io::Result<()> {
    use std::io::{Read, Write};
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = s.read(&mut buf)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        got.extend_from_slice(&buf[..n]);
        while let Ok(Some(end)) = parse_reply(&got, 0) {
            let cmd: Vec<u8> = got.drain(..end).collect();
            // `*<n>\r\n$<len>\r\n<name>\r\n...`: the third line is the name.
            let text = String::from_utf8_lossy(&cmd).to_ascii_uppercase();
            let name = text.split("\r\n").nth(2).unwrap_or_default().to_string();
            let reply: &[u8] = match name.as_str() {
                "PSYNC" => b"+FULLRESYNC 0123456789012345678901234567890123456789 0\r\n",
                "PING" => b"+PONG\r\n",
                _ => b"+OK\r\n",
            };
            s.write_all(reply)?;
            if name == "PSYNC" {
                return Ok(());
            }
        }
    }
}
