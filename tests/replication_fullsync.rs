//! Full resynchronization from a rustredis master (`replication/fullsync.rs`),
//! the cases `tests/replication_interop.rs` does not cover: several real
//! redis-server 7.0 replicas sharing one save (a disk BGSAVE joined by a
//! second replica, a diskless transfer that one replica leaves in the
//! middle), `redis-cli --rdb` and `--functions-rdb` snapshots (disk and
//! socket), and the replication aux fields of the RDB of a master with
//! replicas. The master's log must show Redis's lines for each step.
//!
//! With `RUSTREDIS_BIN=/usr/bin/redis-server` the master is redis-server,
//! which proves the tests themselves. Tests needing redis-server or
//! redis-cli fail when `CI=true` and they are missing, and are skipped
//! with a message otherwise.

mod common;

use common::repl::{
    KEY_SAVE_DELAY, Kind, Node, PAD_KEYS, assert_same_data, expire_short_keys, pad, text,
    wait_bgsave_started, wait_synced, write_during_sync, write_every_type,
};
use common::*;
use std::path::Path;
use std::time::Duration;

/// redis-cli, or `None` (skipped; a failure under `CI=true`).
fn redis_cli() -> Option<&'static str> {
    let bin = "/usr/bin/redis-cli";
    if Path::new(bin).exists() {
        return Some(bin);
    }
    assert!(
        !in_ci(),
        "redis-cli missing (CI=true, so this is a failure)"
    );
    eprintln!("redis-cli missing, skipped");
    None
}

/// Asserts that `node`'s log has every line of `lines`.
fn assert_logged(node: &Node, lines: &[&str]) {
    let log = node.sp.log();
    for l in lines {
        assert!(
            log.contains(l),
            "{}: {l:?} not logged:\n{log}",
            node.label()
        );
    }
}

/// The `ip:port` the master names a replica by in its log.
fn replica_name(r: &Node) -> String {
    format!("127.0.0.1:{}", r.sp.port)
}

/// A rustredis master whose saves are slow (`rdb-key-save-delay`), with
/// `repl-diskless-sync` set to `diskless` and the `extra` arguments.
fn slow_master(diskless: &str, extra: &[&str]) -> Option<Node> {
    let mut args = vec![
        "--repl-diskless-sync",
        diskless,
        "--rdb-key-save-delay",
        KEY_SAVE_DELAY,
    ];
    args.extend_from_slice(extra);
    Node::start(Kind::Rust, &args)
}

/// A disk BGSAVE started for one replica is shared by a second one that
/// arrives while it runs (Redis `copyReplicaOutputBuffer`): one save, both
/// replicas end equal to the master, writes during the save included.
#[test]
fn second_replica_joins_a_running_disk_save() {
    let Some(mut m) = slow_master("no", &[]) else {
        return;
    };
    let (Some(mut r1), Some(mut r2)) =
        (Node::start(Kind::Redis, &[]), Node::start(Kind::Redis, &[]))
    else {
        return;
    };
    write_every_type(&mut m.c, "pre", 0);
    pad(&mut m.c, PAD_KEYS);
    r1.replicaof(&m);
    wait_bgsave_started(&mut m);
    let mut short = write_every_type(&mut m.c, "between", 0);
    r2.replicaof(&m);
    m.wait_log("Waiting for end of BGSAVE for SYNC");
    short.extend(write_during_sync(&mut m, "during", 2));
    expire_short_keys(&mut m.c, &short);
    wait_synced(&mut m, &mut [&mut r1, &mut r2]);
    assert_same_data(&mut m, &mut r1, "first replica");
    assert_same_data(&mut m, &mut r2, "second replica");
    assert_eq!(
        m.info_int("persistence", "rdb_saves"),
        1,
        "one save served both"
    );
    assert_eq!(m.info_field("persistence", "rdb_last_bgsave_status"), "ok");
    assert_logged(
        &m,
        &[
            "Starting BGSAVE for SYNC with target: disk",
            "Background saving started by pid",
            "Background saving terminated with success",
            &format!(
                "Synchronization with replica {} succeeded",
                replica_name(&r1)
            ),
            &format!(
                "Synchronization with replica {} succeeded",
                replica_name(&r2)
            ),
        ],
    );
}

/// Two replicas share one diskless transfer (`repl-diskless-sync-max-replicas
/// 2` starts it when both wait); one is killed in the middle; the other
/// completes, is equal to the master, and the master logs Redis's lines.
#[test]
fn diskless_transfer_survives_a_replica_dropping() {
    let Some(mut m) = slow_master(
        "yes",
        &[
            "--repl-diskless-sync-delay",
            "60",
            "--repl-diskless-sync-max-replicas",
            "2",
        ],
    ) else {
        return;
    };
    let (Some(mut gone), Some(mut r)) = (
        Node::start(Kind::Redis, &["--repl-diskless-load", "disabled"]),
        Node::start(Kind::Redis, &["--repl-diskless-load", "swapdb"]),
    ) else {
        return;
    };
    write_every_type(&mut m.c, "pre", 0);
    pad(&mut m.c, PAD_KEYS);
    gone.replicaof(&m);
    r.replicaof(&m);
    m.wait_log("Background RDB transfer started by pid");
    let short = write_every_type(&mut m.c, "mid", 0);
    let _ = gone.sp.child.kill();
    let _ = gone.sp.child.wait();
    let mut rest = write_during_sync(&mut m, "during", 2);
    rest.extend(short);
    expire_short_keys(&mut m.c, &rest);
    wait_synced(&mut m, &mut [&mut r]);
    assert_same_data(&mut m, &mut r, "the replica that stayed");
    assert_eq!(m.info_field("persistence", "rdb_bgsave_in_progress"), "0");
    // A socket save changes neither the save count nor its status.
    assert_eq!(m.info_int("persistence", "rdb_saves"), 0);
    assert_logged(
        &m,
        &[
            "Starting BGSAVE for SYNC with target: replicas sockets",
            "Diskless rdb transfer, done reading from pipe, 1 replicas still up.",
            "Background RDB transfer terminated with success",
            &format!(
                "Streamed RDB transfer with replica {} succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming",
                replica_name(&r)
            ),
            &format!(
                "Synchronization with replica {} succeeded",
                replica_name(&r)
            ),
        ],
    );
}

/// `redis-cli --rdb` fetches a snapshot that redis-server loads with the
/// same digest, and `--functions-rdb` one with the functions and no keys;
/// with `repl-diskless-sync no` the first goes through the dump file on
/// disk, otherwise (and always for the filtered one) over the socket. The
/// RDB-only replica is closed after its transfer.
#[test]
fn redis_cli_rdb_and_functions_rdb() {
    let Some(cli) = redis_cli() else {
        return;
    };
    for diskless in ["no", "yes"] {
        let Some(mut m) = Node::start(Kind::Rust, &["--repl-diskless-sync", diskless]) else {
            return;
        };
        let short = write_every_type(&mut m.c, "k", 0);
        let dir = m.sp.dir.to_string_lossy().into_owned();
        let port = m.port_s();
        let fetch = |flag: &str, file: &str| {
            let path = format!("{dir}/{file}");
            let ran = run_tool(
                cli,
                &["-p", &port, flag, &path],
                None,
                Duration::from_secs(30),
            )
            .expect("redis-cli runs");
            assert!(
                ran.status.success() && ran.stderr.contains("Transfer finished with success"),
                "redis-cli {flag}: {}{}",
                ran.stdout,
                ran.stderr
            );
            let bytes = std::fs::read(&path).expect("RDB written");
            assert!(bytes.starts_with(b"REDIS0010"), "{flag}: not an RDB");
        };
        fetch("--rdb", "fetched.rdb");
        fetch("--functions-rdb", "functions.rdb");
        let target = if diskless == "yes" {
            "replicas sockets"
        } else {
            "disk"
        };
        assert_logged(
            &m,
            &[
                &format!("Starting BGSAVE for SYNC with target: {target}"),
                "Starting BGSAVE for SYNC with target: replicas sockets",
            ],
        );
        if diskless == "no" {
            // (Over a socket redis-cli may hang up before the save ends.)
            assert_logged(
                &m,
                &[
                    "RDB transfer completed, rdb only replica (127.0.0.1:<unknown-replica-port>) should be disconnected asap",
                ],
            );
        }

        let Some(mut full) =
            Node::start(Kind::Redis, &["--dir", &dir, "--dbfilename", "fetched.rdb"])
        else {
            return;
        };
        expire_short_keys(&mut m.c, &short);
        assert_same_data(&mut m, &mut full, "redis-cli --rdb");
        let Some(mut funcs) = Node::start(
            Kind::Redis,
            &["--dir", &dir, "--dbfilename", "functions.rdb"],
        ) else {
            return;
        };
        assert_eq!(call(&mut funcs.c, &[b"DBSIZE"]), Resp::Int(0));
        assert_eq!(
            call(&mut funcs.c, &[b"FUNCTION", b"LIST"]),
            call(&mut m.c, &[b"FUNCTION", b"LIST"])
        );
        // The fetches leave no replica behind; the master serves on.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while m.info_int("replication", "connected_slaves") != 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "RDB-only replicas stay"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(text(call(&mut m.c, &[b"PING"])), "PONG");
    }
}

/// Once a master has a replication backlog every RDB it writes carries
/// `repl-stream-db`, `repl-id` and `repl-offset` (Redis
/// `rdbPopulateSaveInfo`); before, none of them. redis-server loads it.
#[test]
fn rdb_of_a_master_with_replicas_has_replication_aux_fields() {
    let Some(mut m) = Node::start(Kind::Rust, &["--repl-diskless-sync", "no"]) else {
        return;
    };
    let Some(mut r) = Node::start(Kind::Redis, &[]) else {
        return;
    };
    call_ok(&mut m.c, &[b"SET", b"a", b"1"]);
    call_ok(&mut m.c, &[b"SAVE"]);
    let dump = m.sp.dir.join("dump.rdb");
    let has = |file: &[u8], needle: &[u8]| file.windows(needle.len()).any(|w| w == needle);
    let before = std::fs::read(&dump).expect("dump.rdb");
    assert!(!has(&before, b"repl-id"), "no replication info yet");
    r.replicaof(&m);
    wait_synced(&mut m, &mut [&mut r]);
    call_ok(&mut m.c, &[b"SELECT", b"3"]);
    call_ok(&mut m.c, &[b"SET", b"b", b"2"]);
    call_ok(&mut m.c, &[b"SAVE"]);
    call_ok(&mut m.c, &[b"SELECT", b"0"]);
    let after = std::fs::read(&dump).expect("dump.rdb");
    let replid = m.info_field("replication", "master_replid");
    let offset = m.info_field("replication", "master_repl_offset");
    // Aux fields are RDB strings: length byte, then the bytes.
    let aux = |k: &str, v: &str| {
        let mut b = vec![0xfa, k.len() as u8];
        b.extend_from_slice(k.as_bytes());
        b.push(v.len() as u8);
        b.extend_from_slice(v.as_bytes());
        b
    };
    assert!(has(&after, &aux("repl-id", &replid)), "repl-id {replid}");
    // Small integers are saved in their integer encoding.
    assert!(
        has(&after, b"\x0erepl-stream-db\xc0\x03"),
        "repl-stream-db 3"
    );
    assert!(has(&after, b"repl-offset"), "repl-offset {offset}");
    let Some(mut loaded) = Node::start(Kind::Redis, &["--dir", &m.sp.dir.to_string_lossy()]) else {
        return;
    };
    wait_synced(&mut m, &mut [&mut r]);
    assert_same_data(&mut m, &mut loaded, "redis-server loading our dump.rdb");
}

/// The pid of `node`'s forked child (its save), from /proc.
fn child_pid(node: &Node) -> Option<i32> {
    let pid = node.sp.child.id();
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).ok()?;
    children.split_whitespace().next()?.parse().ok()
}

/// A save for replicas that dies (killed, as by the OOM killer) closes the
/// replicas waiting for it, as Redis logs it; they come back and sync
/// with the next save.
#[test]
fn replicas_of_a_failed_save_are_closed_and_resync() {
    for diskless in ["no", "yes"] {
        let Some(mut m) = slow_master(diskless, &[]) else {
            return;
        };
        let Some(mut r) = Node::start(Kind::Redis, &[]) else {
            return;
        };
        write_every_type(&mut m.c, "pre", 0);
        pad(&mut m.c, PAD_KEYS);
        r.replicaof(&m);
        wait_bgsave_started(&mut m);
        let pid = child_pid(&m).expect("the save's child");
        std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .expect("kill");
        m.wait_log("SYNC failed. BGSAVE child returned an error");
        // A killed disk save is an error; a failed socket transfer leaves
        // the save status alone (the next save, still slow, cannot have
        // ended yet).
        let (killed, status) = if diskless == "yes" {
            ("Background transfer terminated by signal 9", "ok")
        } else {
            ("Background saving terminated by signal 9", "err")
        };
        assert_logged(&m, &[killed]);
        assert_eq!(
            m.info_field("persistence", "rdb_last_bgsave_status"),
            status
        );
        call_ok(&mut m.c, &[b"CONFIG", b"SET", b"rdb-key-save-delay", b"0"]);
        wait_synced(&mut m, &mut [&mut r]);
        assert_same_data(&mut m, &mut r, "after the second save");
        assert_eq!(m.info_field("persistence", "rdb_last_bgsave_status"), "ok");
    }
}

/// `rdb-del-sync-files yes` on a master without persistence removes the
/// dump file a disk sync wrote, once the replica has it; with the option
/// off (the default) the file stays.
#[test]
fn rdb_del_sync_files_removes_the_file_written_for_a_sync() {
    for del in ["yes", "no"] {
        let Some(mut m) = Node::start(
            Kind::Rust,
            &["--repl-diskless-sync", "no", "--rdb-del-sync-files", del],
        ) else {
            return;
        };
        let Some(mut r) = Node::start(Kind::Redis, &[]) else {
            return;
        };
        call_ok(&mut m.c, &[b"SET", b"k", b"v"]);
        r.replicaof(&m);
        wait_synced(&mut m, &mut [&mut r]);
        let dump = m.sp.dir.join("dump.rdb");
        if del == "yes" {
            m.wait_log(
                "Removing the RDB file used to feed replicas in a persistence-less instance",
            );
            assert!(!dump.exists(), "dump.rdb removed");
        } else {
            std::thread::sleep(Duration::from_millis(2200));
            assert!(dump.exists(), "dump.rdb kept");
            assert!(!m.sp.log().contains("Removing the RDB file"));
        }
    }
}

/// A diskless replica's first REPLCONF ACK reaps the finished transfer's
/// child at once (Redis `checkChildrenDone` in `replconfCommand`), so the
/// replica is put online and gets the command stream without waiting for
/// the cron: with `hz 1` a write made once the replica's link is up
/// reaches it well within the cron's second.
#[test]
fn diskless_replica_goes_online_on_its_first_ack() {
    let Some(mut m) = Node::start(Kind::Rust, &["--hz", "1", "--repl-diskless-sync", "yes"]) else {
        return;
    };
    let Some(mut r) = Node::start(Kind::Redis, &[]) else {
        return;
    };
    // Enough keys that loading them outlasts the child's exit.
    assert_eq!(m.c.cmd_str("DEBUG POPULATE 200000"), b"+OK\r\n");
    r.replicaof(&m);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while r.info_field("replication", "master_link_status") != "up" {
        assert!(std::time::Instant::now() < deadline, "no sync");
        std::thread::sleep(Duration::from_millis(2));
    }
    let t = std::time::Instant::now();
    assert_eq!(m.c.cmd_str("SET after-sync 1"), b"+OK\r\n");
    while r.c.cmd_str("EXISTS after-sync") != b":1\r\n" {
        assert!(
            t.elapsed() < Duration::from_millis(500),
            "the write took over 500 ms to reach the replica:\n{}",
            m.sp.log()
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_logged(
        &m,
        &[&format!(
            "Synchronization with replica {} succeeded",
            replica_name(&r)
        )],
    );
}
