//! Full resynchronization from a rustredis master (`replication/fullsync.rs`):
//! a real redis-server 7.0 replica syncs from disk and diskless, with
//! writes of every type landing while the RDB is produced, and ends with
//! the same keyspace (DEBUG DIGEST on both, which also checks that our
//! digest is Redis's); `redis-cli --rdb` and `--functions-rdb` fetch
//! snapshots; a replica dropping mid-transfer does not disturb the other;
//! the RDB of a master with replicas carries the replication aux fields.
//!
//! Tests needing redis-server / redis-cli fail when `CI=true` and they are
//! missing, and are skipped with a message otherwise.

mod common;

use common::*;
use std::path::Path;
use std::time::{Duration, Instant};

/// Waits up to `secs` for `f` to hold; panics with `what` otherwise.
fn wait_for(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        if Instant::now() >= deadline {
            panic!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// INFO `section` of a server as text.
fn info(c: &mut Conn, section: &str) -> String {
    match call(c, &[b"INFO", section.as_bytes()]) {
        Resp::Bulk(Some(b)) => String::from_utf8_lossy(&b).into_owned(),
        other => panic!("INFO {section}: {other:?}"),
    }
}

/// DEBUG DIGEST as a string.
fn digest(c: &mut Conn) -> String {
    match call(c, &[b"DEBUG", b"DIGEST"]) {
        Resp::Simple(s) => s,
        Resp::Bulk(Some(b)) => String::from_utf8_lossy(&b).into_owned(),
        other => panic!("DEBUG DIGEST: {other:?}"),
    }
}

/// True when `redis-cli` and `redis-server` are installed; panics when
/// they are missing under `CI=true`.
fn have_redis_tools() -> bool {
    let ok = Path::new(&oracle_bin()).exists() && Path::new("/usr/bin/redis-cli").exists();
    if !ok {
        if in_ci() {
            panic!("redis-server / redis-cli missing (CI=true, so this is a failure)");
        }
        eprintln!("redis-server / redis-cli missing, skipped");
    }
    ok
}

/// Writes values of every type and encoding into dbs 0, 1 and 9 (`tag`
/// makes the keys of one round distinct).
fn write_every_type(c: &mut Conn, tag: &str) {
    let big = "x".repeat(300);
    for db in ["0", "1", "9"] {
        call_ok(c, &[b"SELECT", db.as_bytes()]);
        let k = |n: &str| format!("{tag}:{n}");
        call_ok_str(c, &format!("SET {} 12345", k("int")));
        call_ok_str(c, &format!("SET {} hello", k("embstr")));
        call_ok_str(c, &format!("SET {} {big}", k("raw")));
        call_ok_str(c, &format!("SET {} v PX 500000", k("ttl")));
        call_ok_str(c, &format!("RPUSH {} a b c 1 2 3", k("list")));
        for i in 0..300 {
            call_ok_str(c, &format!("RPUSH {} item{i}-{big}", k("qlist")));
        }
        call_ok_str(c, &format!("HSET {} f1 v1 f2 2", k("hash")));
        for i in 0..200 {
            call_ok_str(c, &format!("HSET {} f{i} v{i}", k("bighash")));
        }
        call_ok_str(c, &format!("SADD {} 1 2 3 100", k("intset")));
        call_ok_str(c, &format!("SADD {} a b c", k("set")));
        for i in 0..600 {
            call_ok_str(c, &format!("SADD {} {i}", k("bigintset")));
        }
        call_ok_str(c, &format!("ZADD {} 1 a 2.5 b -3 c", k("zset")));
        for i in 0..200 {
            call_ok_str(c, &format!("ZADD {} {i} m{i}", k("bigzset")));
        }
        call_ok_str(c, &format!("XADD {} 1-1 f v", k("stream")));
        call_ok_str(c, &format!("XADD {} 2-1 f w", k("stream")));
        call_ok_str(c, &format!("XGROUP CREATE {} g 0", k("stream")));
        call_ok_str(
            c,
            &format!("XREADGROUP GROUP g alice COUNT 1 STREAMS {} >", k("stream")),
        );
        call_ok_str(c, &format!("PFADD {} a b c d e", k("hll")));
        call_ok_str(c, &format!("SETBIT {} 1000 1", k("bits")));
        call_ok_str(
            c,
            &format!(
                "GEOADD {} 13.36 38.11 Palermo 15.08 37.50 Catania",
                k("geo")
            ),
        );
        call_ok_str(c, &format!("EXPIRE {} 100000", k("hash")));
    }
    call_ok(c, &[b"SELECT", b"0"]);
}

/// Keeps writing every type from a second connection until `stop` is set.
fn writer(
    port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<u32> {
    std::thread::spawn(move || {
        let mut c = Conn::connect(port);
        let mut round = 0;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            write_every_type(&mut c, &format!("during{round}"));
            call_ok_str(&mut c, &format!("INCR counter{}", round % 7));
            call_ok_str(&mut c, "DEL during0:list");
            round += 1;
        }
        round
    })
}

/// Starts a redis-server replica of 127.0.0.1:`port`.
fn start_redis_replica(port: u16, extra: &[&str]) -> ServerProc {
    let port_s = port.to_string();
    let mut args = vec!["--replicaof", "127.0.0.1", &port_s];
    args.extend_from_slice(extra);
    ServerProc::start_oracle(&args).expect("redis-server present")
}

/// Waits until the replica's link is up and it has applied everything the
/// master produced; then compares the digests.
fn assert_in_sync(master: &mut Conn, replica: &mut Conn) {
    wait_for(30, "master_link_status:up", || {
        info(replica, "replication").contains("master_link_status:up")
    });
    wait_for(20, "equal digests", || digest(master) == digest(replica));
    assert_ne!(digest(master), "0000000000000000000000000000000000000000");
    for db in ["0", "1", "9"] {
        call_ok(master, &[b"SELECT", db.as_bytes()]);
        call_ok(replica, &[b"SELECT", db.as_bytes()]);
        assert_eq!(
            call(master, &[b"DBSIZE"]),
            call(replica, &[b"DBSIZE"]),
            "db {db}"
        );
    }
}

/// One full sync of a redis-server replica in the given mode, with writes
/// running while the RDB is produced.
fn full_sync_to_redis_replica(diskless: bool) {
    if !have_redis_tools() {
        return;
    }
    let master = ServerProc::start(&[
        "--repl-diskless-sync",
        if diskless { "yes" } else { "no" },
        "--repl-diskless-sync-delay",
        "0",
        "--rdb-key-save-delay",
        "200",
    ]);
    let mut m = master.conn();
    write_every_type(&mut m, "before");
    call_ok_str(
        &mut m,
        "FUNCTION LOAD #!lua\tname=mylib\nredis.register_function('f1',function()\treturn\t1\tend)",
    );
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let w = writer(master.port, stop.clone());
    let replica = start_redis_replica(master.port, &[]);
    let mut r = replica.conn();
    // Let some writes land during the save, then stop writing.
    wait_for(30, "the save for the replica", || {
        master.log().contains("Starting BGSAVE for SYNC")
    });
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let rounds = w.join().expect("writer thread");
    assert!(rounds > 0);
    call_ok_str(&mut m, "CONFIG SET rdb-key-save-delay 0");
    assert_in_sync(&mut m, &mut r);
    // The stream keeps flowing after the sync.
    call_ok_str(&mut m, "SET after-sync 1");
    wait_for(10, "the write after the sync", || {
        call(&mut r, &[b"GET", b"after-sync"]) == Resp::Bulk(Some(b"1".to_vec()))
    });
    assert_eq!(
        call(&mut r, &[b"FCALL", b"f1", b"0"]),
        Resp::Int(1),
        "functions are replicated"
    );
    let log = master.log();
    let target = if diskless { "replicas sockets" } else { "disk" };
    assert!(
        log.contains(&format!("Starting BGSAVE for SYNC with target: {target}")),
        "{log}"
    );
    let name = format!("127.0.0.1:{}", replica.port);
    assert!(
        log.contains(&format!("Synchronization with replica {name} succeeded")),
        "{log}"
    );
    if diskless {
        assert!(
            log.contains("Background RDB transfer started by pid"),
            "{log}"
        );
        assert!(
            log.contains("Diskless rdb transfer, done reading from pipe, 1 replicas still up."),
            "{log}"
        );
        assert!(
            log.contains("Background RDB transfer terminated with success"),
            "{log}"
        );
        assert!(log.contains(&format!("Streamed RDB transfer with replica {name} succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming")), "{log}");
    } else {
        assert!(log.contains("Background saving started by pid"), "{log}");
        assert!(
            log.contains("Background saving terminated with success"),
            "{log}"
        );
        let inf = info(&mut m, "persistence");
        assert!(inf.contains("rdb_last_bgsave_status:ok"), "{inf}");
    }
}

#[test]
fn disk_full_sync_to_a_redis_replica() {
    full_sync_to_redis_replica(false);
}

#[test]
fn diskless_full_sync_to_a_redis_replica() {
    full_sync_to_redis_replica(true);
}

/// Two replicas share one diskless transfer (max-replicas 2); one is
/// killed in the middle, the other completes and has the data.
#[test]
fn diskless_transfer_survives_a_replica_dropping() {
    if !have_redis_tools() {
        return;
    }
    let master = ServerProc::start(&[
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "30",
        "--repl-diskless-sync-max-replicas",
        "2",
        "--rdbcompression",
        "no",
    ]);
    let mut m = master.conn();
    call_ok_str(&mut m, "DEBUG POPULATE 20000 key 1000");
    call_ok_str(&mut m, "CONFIG SET rdb-key-save-delay 100");
    let mut slow = start_redis_replica(master.port, &[]);
    let fast = start_redis_replica(master.port, &[]);
    wait_for(20, "the transfer to start", || {
        master
            .log()
            .contains("Background RDB transfer started by pid")
    });
    std::thread::sleep(Duration::from_millis(300));
    let _ = slow.child.kill();
    let _ = slow.child.wait();
    call_ok_str(&mut m, "CONFIG SET rdb-key-save-delay 0");
    let mut f = fast.conn();
    assert_in_sync(&mut m, &mut f);
    let log = master.log();
    assert!(
        log.contains("Diskless rdb transfer, done reading from pipe, 1 replicas still up."),
        "{log}"
    );
    let inf = info(&mut m, "persistence");
    assert!(inf.contains("rdb_bgsave_in_progress:0"), "{inf}");
}

/// `redis-cli --rdb` fetches a snapshot redis-server loads with the same
/// digest; `--functions-rdb` one with the functions and no keys. The
/// diskless flavour is used whenever the client sends `capa eof`, as it does.
#[test]
fn redis_cli_rdb_and_functions_rdb() {
    if !have_redis_tools() {
        return;
    }
    for diskless in ["no", "yes"] {
        let master = ServerProc::start(&[
            "--repl-diskless-sync",
            diskless,
            "--repl-diskless-sync-delay",
            "0",
        ]);
        let mut m = master.conn();
        write_every_type(&mut m, "k");
        call_ok_str(
            &mut m,
            "FUNCTION LOAD #!lua\tname=mylib\nredis.register_function('f1',function()\treturn\t1\tend)",
        );
        let file = master.dir.join("fetched.rdb");
        let file_s = file.to_string_lossy().into_owned();
        let port = master.port.to_string();
        let ran = run_tool(
            "/usr/bin/redis-cli",
            &["-p", &port, "--rdb", &file_s],
            None,
            Duration::from_secs(30),
        )
        .expect("redis-cli --rdb");
        assert!(ran.status.success(), "{} {}", ran.stdout, ran.stderr);
        assert!(
            ran.stderr.contains("Transfer finished with success"),
            "{}",
            ran.stderr
        );
        let bytes = std::fs::read(&file).expect("rdb written");
        assert!(bytes.starts_with(b"REDIS0010"));
        let loaded = ServerProc::start_oracle(&[
            "--dir",
            &master.dir.to_string_lossy(),
            "--dbfilename",
            "fetched.rdb",
        ])
        .expect("redis-server present");
        let mut l = loaded.conn();
        assert_eq!(digest(&mut m), digest(&mut l));
        assert_eq!(call(&mut l, &[b"FCALL", b"f1", b"0"]), Resp::Int(1));
        drop(loaded);

        let ffile = master.dir.join("functions.rdb");
        let ffile_s = ffile.to_string_lossy().into_owned();
        let ran = run_tool(
            "/usr/bin/redis-cli",
            &["-p", &port, "--functions-rdb", &ffile_s],
            None,
            Duration::from_secs(30),
        )
        .expect("redis-cli --functions-rdb");
        assert!(ran.status.success(), "{} {}", ran.stdout, ran.stderr);
        let loaded = ServerProc::start_oracle(&[
            "--dir",
            &master.dir.to_string_lossy(),
            "--dbfilename",
            "functions.rdb",
        ])
        .expect("redis-server present");
        let mut l = loaded.conn();
        assert_eq!(call(&mut l, &[b"DBSIZE"]), Resp::Int(0));
        assert_eq!(call(&mut l, &[b"FCALL", b"f1", b"0"]), Resp::Int(1));
        let log = master.log();
        assert!(
            log.contains("should be disconnected asap"),
            "rdb-only replicas are closed after the transfer: {log}"
        );
        // The fetches leave no replica behind and the master serves on.
        wait_for(10, "rdb-only replicas to leave", || {
            info(&mut m, "replication").contains("connected_slaves:0")
        });
        assert_eq!(call(&mut m, &[b"PING"]), Resp::Simple("PONG".into()));
    }
}

/// Once a master has replicas, every RDB it writes carries the
/// `repl-stream-db`, `repl-id` and `repl-offset` aux fields (Redis
/// `rdbPopulateSaveInfo`); before, none of them.
#[test]
fn rdb_of_a_master_with_replicas_has_replication_aux_fields() {
    if !have_redis_tools() {
        return;
    }
    let master = ServerProc::start(&["--repl-diskless-sync", "no"]);
    let mut m = master.conn();
    call_ok_str(&mut m, "SET a 1");
    call_ok_str(&mut m, "SAVE");
    let before = std::fs::read(master.dir.join("dump.rdb")).expect("dump.rdb");
    assert!(!before.windows(7).any(|w| w == b"repl-id"));
    let replica = start_redis_replica(master.port, &[]);
    let mut r = replica.conn();
    assert_in_sync(&mut m, &mut r);
    call_ok_str(&mut m, "SELECT 3");
    call_ok_str(&mut m, "SET b 2");
    call_ok_str(&mut m, "SAVE");
    let after = std::fs::read(master.dir.join("dump.rdb")).expect("dump.rdb");
    let inf = info(&mut m, "replication");
    let replid = info_field(&inf, "master_replid").expect("master_replid");
    let has = |needle: &[u8]| after.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"repl-stream-db"));
    assert!(has(replid.as_bytes()), "repl-id {replid}");
    assert!(has(b"repl-offset"));
    // redis-server loads it and reads the fields.
    let loaded = ServerProc::start_oracle(&["--dir", &master.dir.to_string_lossy()])
        .expect("redis-server present");
    let mut l = loaded.conn();
    assert_eq!(digest(&mut m), digest(&mut l));
}
