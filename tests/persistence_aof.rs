//! The append-only file end to end: what rustredis writes loads back
//! identical (DEBUG DIGEST) after a restart, passes Debian's
//! `redis-check-aof`, and loads in redis-server 7.0 (and the reverse: an
//! `appendonlydir` written by redis-server loads in rustredis); a truncated
//! tail loads with `aof-load-truncated yes` and stops startup with `no`;
//! BGREWRITEAOF and `CONFIG SET appendonly yes` keep the data; and with
//! `appendfsync always` no acknowledged write is lost to `kill -9` at a
//! random moment, over 20 rounds.
//!
//! Every server of a test shares one data directory through `--dir`, so a
//! restart finds the files of the previous run. Tests that need
//! redis-server or redis-check-aof are skipped when they are missing, and
//! fail instead under `CI=true`.

mod common;

use common::{Conn, ServerProc, info_field, s};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const CHECK_AOF: &str = "/usr/bin/redis-check-aof";

/// A data directory shared by the servers of one test, removed on success.
struct DataDir(PathBuf);

impl DataDir {
    fn new(tag: &str) -> DataDir {
        DataDir(common::scratch_dir(tag))
    }
    fn path(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }
    fn aof_dir(&self) -> PathBuf {
        self.0.join("appendonlydir")
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn start(bin: &str, dir: &DataDir, extra: &[&str]) -> ServerProc {
    let mut args = vec![
        "--dir",
        dir.path(),
        "--appendonly",
        "yes",
        "--enable-debug-command",
        "yes",
        // Acknowledged means written: the servers are killed, not shut down.
        "--appendfsync",
        "always",
    ];
    args.extend_from_slice(extra);
    ServerProc::start_bin(bin, &args)
}

/// Waits (10 s max) until the server is done loading (no `-LOADING` reply).
fn wait_loaded(c: &mut Conn) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while c.cmd_str("DBSIZE").starts_with(b"-LOADING") {
        assert!(Instant::now() < deadline, "still loading");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn start_ours(dir: &DataDir, extra: &[&str]) -> ServerProc {
    start(&common::server_bin(), dir, extra)
}

/// redis-server, or `None` (skip) when missing outside CI.
fn oracle_present() -> bool {
    let present = Path::new(&common::oracle_bin()).exists() && Path::new(CHECK_AOF).exists();
    if !present {
        assert!(
            !common::in_ci(),
            "redis-server / redis-check-aof missing under CI=true"
        );
        eprintln!("redis-server or redis-check-aof missing, skipped");
    }
    present
}

fn digest(c: &mut Conn) -> String {
    wait_loaded(c);
    let r = s(c.cmd(&[b"DEBUG", b"DIGEST"]));
    assert!(r.starts_with('+'), "DEBUG DIGEST: {r}");
    r
}

/// Writes a mixed dataset: every type, both encodings, TTLs, three
/// databases, a transaction, deletes and overwrites.
fn write_dataset(c: &mut Conn, tag: &str) {
    let big = "v".repeat(100);
    for line in [
        format!("SET {tag}:str hello"),
        format!("SET {tag}:int 12345"),
        format!("INCRBY {tag}:int 10"),
        format!("APPEND {tag}:str -world"),
        format!("RPUSH {tag}:list a b c 1 2 3"),
        format!("LPUSH {tag}:list z"),
        format!("HSET {tag}:hash f1 v1 f2 v2 n 7"),
        format!("SADD {tag}:iset 1 2 3 4"),
        format!("SADD {tag}:set a b c"),
        format!("ZADD {tag}:zset 1 a 2.5 b -3 c"),
        format!("SET {tag}:ttl x PX 500000"),
        format!("EXPIRE {tag}:list 100000"),
        format!("SET {tag}:gone 1"),
        format!("DEL {tag}:gone"),
        "SELECT 3".to_string(),
        format!("SET {tag}:db3 three"),
        format!("HSET {tag}:bighash f {big}"),
        "SELECT 0".to_string(),
    ] {
        let r = c.cmd_str(&line);
        assert!(!r.starts_with(b"-"), "{line}: {}", s(r));
    }
    for i in 0..300 {
        c.cmd_str(&format!("RPUSH {tag}:biglist item-{i}"));
        c.cmd_str(&format!("SADD {tag}:bigset m{i}"));
        c.cmd_str(&format!("ZADD {tag}:bigzset {i} m{i}"));
        c.cmd_str(&format!("HSET {tag}:bighash2 f{i} {i}"));
    }
    assert_eq!(c.cmd_str("MULTI"), b"+OK\r\n");
    assert_eq!(c.cmd_str(&format!("INCR {tag}:tx")), b"+QUEUED\r\n");
    assert_eq!(c.cmd_str(&format!("LPUSH {tag}:txl q")), b"+QUEUED\r\n");
    let r = s(c.cmd_str("EXEC"));
    assert!(r.starts_with("*2"), "EXEC: {r}");
}

fn wait_rewrite_done(c: &mut Conn) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info = s(c.cmd(&[b"INFO", b"persistence"]));
        if info_field(&info, "aof_rewrite_in_progress").as_deref() == Some("0")
            && info_field(&info, "aof_rewrite_scheduled").as_deref() == Some("0")
            && info_field(&info, "aof_enabled").as_deref() == Some("1")
            && !info.contains("aof_rewrite_in_progress:1")
        {
            return;
        }
        assert!(Instant::now() < deadline, "rewrite never finished: {info}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn manifest(dir: &DataDir) -> String {
    std::fs::read_to_string(dir.aof_dir().join("appendonly.aof.manifest")).expect("manifest")
}

fn check_aof(dir: &DataDir) {
    if !Path::new(CHECK_AOF).exists() {
        assert!(!common::in_ci(), "redis-check-aof missing under CI=true");
        return;
    }
    let out = std::process::Command::new(CHECK_AOF)
        .arg(dir.aof_dir().join("appendonly.aof.manifest"))
        .output()
        .expect("run redis-check-aof");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "redis-check-aof failed:\n{text}");
    assert!(
        text.contains("All AOF files and manifest are valid"),
        "{text}"
    );
}

#[test]
fn restart_loads_back_identical_and_files_pass_check_aof() {
    for preamble in ["yes", "no"] {
        let dir = DataDir::new("aof-restart");
        let extra = [
            "--aof-use-rdb-preamble",
            preamble,
            "--appendfsync",
            "always",
        ];
        let sp = start_ours(&dir, &extra);
        let mut c = sp.conn();
        wait_loaded(&mut c);
        write_dataset(&mut c, "a");
        // A rewrite in the middle: base + incr after it.
        assert_eq!(
            s(c.cmd_str("BGREWRITEAOF")),
            "+Background append only file rewriting started\r\n"
        );
        wait_rewrite_done(&mut c);
        write_dataset(&mut c, "b");
        let d1 = digest(&mut c);
        let m = manifest(&dir);
        let base = if preamble == "yes" {
            "appendonly.aof.2.base.rdb"
        } else {
            "appendonly.aof.2.base.aof"
        };
        assert_eq!(
            m,
            format!("file {base} seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n")
        );
        assert!(
            !dir.aof_dir().join("appendonly.aof.1.incr.aof").exists(),
            "history removed"
        );
        drop(c);
        drop(sp);
        check_aof(&dir);
        let sp = start_ours(&dir, &extra);
        let mut c = sp.conn();
        wait_loaded(&mut c);
        assert_eq!(digest(&mut c), d1, "preamble {preamble}");
        assert!(
            sp.log()
                .contains(&format!("DB loaded from base file {base}")),
            "{}",
            sp.log()
        );
        // DEBUG LOADAOF reloads the same data.
        assert_eq!(c.cmd_str("DEBUG LOADAOF"), b"+OK\r\n");
        assert_eq!(digest(&mut c), d1);
    }
}

#[test]
fn redis_and_rustredis_read_each_others_aof() {
    if !oracle_present() {
        return;
    }
    // redis-server writes, rustredis reads.
    let dir = DataDir::new("aof-from-redis");
    let sp = start(&common::oracle_bin(), &dir, &["--appendfsync", "always"]);
    let mut c = sp.conn();
    wait_loaded(&mut c);
    write_dataset(&mut c, "r");
    assert!(s(c.cmd_str("BGREWRITEAOF")).starts_with("+Background"));
    wait_rewrite_done(&mut c);
    write_dataset(&mut c, "s");
    let d_redis = digest(&mut c);
    drop(c);
    drop(sp);
    let sp = start_ours(&dir, &[]);
    let mut c = sp.conn();
    wait_loaded(&mut c);
    assert_eq!(digest(&mut c), d_redis, "rustredis loading redis's AOF");
    assert_eq!(
        s(c.cmd_str("LRANGE r:list 0 -1")),
        "*7\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
    );
    drop(c);
    drop(sp);

    // rustredis writes (commands base), redis-server reads.
    let dir = DataDir::new("aof-to-redis");
    let sp = start_ours(
        &dir,
        &["--aof-use-rdb-preamble", "no", "--appendfsync", "always"],
    );
    let mut c = sp.conn();
    wait_loaded(&mut c);
    write_dataset(&mut c, "x");
    assert!(s(c.cmd_str("BGREWRITEAOF")).starts_with("+Background"));
    wait_rewrite_done(&mut c);
    write_dataset(&mut c, "y");
    let d_ours = digest(&mut c);
    drop(c);
    drop(sp);
    check_aof(&dir);
    let sp = start(&common::oracle_bin(), &dir, &[]);
    let mut c = sp.conn();
    wait_loaded(&mut c);
    assert_eq!(
        digest(&mut c),
        d_ours,
        "redis-server loading rustredis's AOF"
    );
}

fn incr_file(dir: &DataDir) -> PathBuf {
    let m = manifest(dir);
    let name = m
        .lines()
        .rfind(|l| l.ends_with("type i"))
        .and_then(|l| l.split(' ').nth(1))
        .expect("an incr file")
        .to_string();
    dir.aof_dir().join(name)
}

#[test]
fn truncated_tail_loads_only_with_aof_load_truncated() {
    let dir = DataDir::new("aof-trunc");
    let sp = start_ours(&dir, &[]);
    let mut c = sp.conn();
    wait_loaded(&mut c);
    c.cmd_str("SET k1 v1");
    c.cmd_str("SET k2 v2");
    drop(c);
    drop(sp);
    let path = incr_file(&dir);
    let good_len = std::fs::metadata(&path).expect("incr").len();
    let mut data = std::fs::read(&path).expect("incr");
    data.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$2\r\nk3\r\n$5\r\nva");
    std::fs::write(&path, &data).expect("write");

    // aof-load-truncated no: startup fails with Redis's message.
    let port = common::free_port().to_string();
    let r = common::run_to_exit(
        &dir.0,
        &[
            "--dir",
            dir.path(),
            "--appendonly",
            "yes",
            "--aof-load-truncated",
            "no",
            "--port",
            &port,
        ],
    );
    assert!(!r.status.success());
    assert!(
        r.stdout.contains(
            "Unexpected end of file reading the append only file appendonly.aof.1.incr.aof"
        ),
        "{}",
        r.stdout
    );

    // yes: loads, truncates the file to the last complete command.
    let sp = start_ours(&dir, &["--aof-load-truncated", "yes"]);
    let mut c = sp.conn();
    wait_loaded(&mut c);
    assert_eq!(
        c.cmd_str("MGET k1 k2 k3"),
        b"*3\r\n$2\r\nv1\r\n$2\r\nv2\r\n$-1\r\n"
    );
    let log = sp.log();
    assert!(
        log.contains(&format!(
            "!!! Truncating the AOF appendonly.aof.1.incr.aof at offset {good_len} !!!"
        )),
        "{log}"
    );
    assert!(log.contains(
        "AOF appendonly.aof.1.incr.aof loaded anyway because aof-load-truncated is enabled"
    ));
    // New writes land after the truncation point and load again.
    c.cmd_str("SET k4 v4");
    drop(c);
    drop(sp);
    check_aof(&dir);
    let sp = start_ours(&dir, &[]);
    let mut c = sp.conn();
    wait_loaded(&mut c);
    assert_eq!(c.cmd_str("MGET k1 k4"), b"*2\r\n$2\r\nv1\r\n$2\r\nv4\r\n");

    // A corrupt middle is a format error.
    drop(c);
    drop(sp);
    let mut data = std::fs::read(&path).expect("incr");
    data.splice(0..0, b"*1\r\n$3\r\nFOO\r\n+junk\r\n".iter().copied());
    std::fs::write(&path, &data).expect("write");
    let port = common::free_port().to_string();
    let r = common::run_to_exit(
        &dir.0,
        &["--dir", dir.path(), "--appendonly", "yes", "--port", &port],
    );
    assert!(!r.status.success());
    assert!(
        r.stdout
            .contains("Unknown command 'FOO' reading the append only file"),
        "{}",
        r.stdout
    );
}

#[test]
fn config_set_appendonly_at_runtime_and_old_single_file_upgrade() {
    let dir = DataDir::new("aof-runtime");
    let sp = ServerProc::start(&["--dir", dir.path(), "--enable-debug-command", "yes"]);
    let mut c = sp.conn();
    wait_loaded(&mut c);
    write_dataset(&mut c, "p");
    assert_eq!(c.cmd_str("CONFIG SET appendonly yes"), b"+OK\r\n");
    wait_rewrite_done(&mut c);
    c.cmd_str("SET after-enable 1");
    let d = digest(&mut c);
    assert_eq!(
        manifest(&dir),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    assert_eq!(c.cmd_str("CONFIG SET appendonly no"), b"+OK\r\n");
    c.cmd_str("SET not-logged 1");
    drop(c);
    drop(sp);
    let sp = start_ours(&dir, &[]);
    let mut c = sp.conn();
    wait_loaded(&mut c);
    assert_eq!(c.cmd_str("EXISTS not-logged"), b":0\r\n");
    c.cmd_str("SET not-logged 1");
    c.cmd_str("DEL not-logged");
    assert_eq!(digest(&mut c), d);
    drop(c);
    drop(sp);

    // An old single-file AOF in `dir` moves into the directory as the base.
    let dir = DataDir::new("aof-upgrade");
    std::fs::write(
        dir.0.join("appendonly.aof"),
        b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$3\r\nold\r\n$5\r\nstyle\r\n",
    )
    .expect("write old aof");
    let sp = start_ours(&dir, &[]);
    let mut c = sp.conn();
    wait_loaded(&mut c);
    assert_eq!(c.cmd_str("GET old"), b"$5\r\nstyle\r\n");
    assert!(sp.log().contains("Successfully migrated an old-style AOF file (appendonly.aof) into the AOF directory (appendonlydir)."));
    assert_eq!(
        manifest(&dir),
        "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    assert!(!dir.0.join("appendonly.aof").exists());
}

#[test]
fn info_and_write_errors() {
    let dir = DataDir::new("aof-info");
    let sp = start_ours(&dir, &[]);
    let mut c = sp.conn();
    wait_loaded(&mut c);
    c.cmd_str("SET a b");
    let info = s(c.cmd(&[b"INFO", b"persistence"]));
    let fields: Vec<&str> = info
        .lines()
        .filter(|l| l.starts_with("aof_"))
        .map(|l| l.split(':').next().unwrap_or(""))
        .collect();
    assert_eq!(
        fields,
        [
            "aof_enabled",
            "aof_rewrite_in_progress",
            "aof_rewrite_scheduled",
            "aof_last_rewrite_time_sec",
            "aof_current_rewrite_time_sec",
            "aof_last_bgrewrite_status",
            "aof_rewrites",
            "aof_rewrites_consecutive_failures",
            "aof_last_write_status",
            "aof_last_cow_size",
            "aof_current_size",
            "aof_base_size",
            "aof_pending_rewrite",
            "aof_buffer_length",
            "aof_pending_bio_fsync",
            "aof_delayed_fsync",
        ]
    );
    let size: u64 = info_field(&info, "aof_current_size")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    // After a fresh start the base made at startup is not counted (as Redis).
    let on_disk = std::fs::metadata(incr_file(&dir)).expect("incr").len();
    assert_eq!(size, on_disk);
    // A second BGREWRITEAOF while one runs is refused.
    c.cmd_str("CONFIG SET rdb-key-save-delay 100000");
    c.cmd_str("CONFIG SET aof-use-rdb-preamble no");
    assert_eq!(
        s(c.cmd_str("BGREWRITEAOF")),
        "+Background append only file rewriting started\r\n"
    );
    assert_eq!(
        s(c.cmd_str("BGREWRITEAOF")),
        "-ERR Background append only file rewriting already in progress\r\n"
    );
    c.cmd_str("CONFIG SET appendonly no");
    let info = s(c.cmd(&[b"INFO", b"persistence"]));
    assert_eq!(
        info_field(&info, "aof_rewrite_in_progress").as_deref(),
        Some("0")
    );
    assert_eq!(info_field(&info, "aof_enabled").as_deref(), Some("0"));
}

/// Crash safety with `appendfsync always`: a client writes (INCR of a
/// counter and SET of unique keys) while the server is SIGKILLed at a
/// random moment; after the restart every acknowledged write is there.
/// Automatic rewrites run meanwhile, so some kills hit a rewrite.
#[test]
fn kill_9_loses_no_acknowledged_write_with_fsync_always() {
    let dir = DataDir::new("aof-crash");
    let mut acked_counter: i64 = 0;
    let mut acked_keys: Vec<String> = Vec::new();
    let mut seed: u64 = 0x9e3779b97f4a7c15 ^ std::process::id() as u64;
    let mut rand = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let started = Instant::now();
    for round in 0..20 {
        // Automatic rewrites as the file grows, so kills also land during a
        // rewrite, its manifest switch and history removal.
        let mut sp = start_ours(
            &dir,
            &[
                "--appendfsync",
                "always",
                "--auto-aof-rewrite-percentage",
                "20",
                "--auto-aof-rewrite-min-size",
                "2kb",
            ],
        );
        let mut check = sp.conn();
        wait_loaded(&mut check);
        // Everything acknowledged before the last kill is there.
        let counter = s(check.cmd_str("GET counter"));
        let got: i64 = counter
            .lines()
            .nth(1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        assert!(
            got >= acked_counter,
            "round {round}: counter {got} < acknowledged {acked_counter}"
        );
        assert!(
            got <= acked_counter + 1,
            "round {round}: counter {got} ahead of {acked_counter}+1"
        );
        acked_counter = got;
        for k in &acked_keys {
            assert_eq!(
                s(check.cmd_str(&format!("GET {k}"))),
                format!("${}\r\n{k}\r\n", k.len()),
                "round {round}: acknowledged key {k} lost"
            );
        }
        // Write from another thread until the kill.
        let port = sp.port;
        let writer = std::thread::spawn(move || {
            let mut c = Conn::connect(port);
            let mut counter = None;
            let mut keys = Vec::new();
            for i in 0.. {
                let key = format!("key-{round}-{i}");
                // A write whose reply never came may or may not be there.
                c.send_raw(&common::encode_command(&[b"INCR", b"counter"]));
                let Some(v) = read_int(&mut c) else { break };
                counter = Some(v);
                c.send_raw(&common::encode_command(&[
                    b"SET",
                    key.as_bytes(),
                    key.as_bytes(),
                ]));
                if !read_ok(&mut c) {
                    break;
                }
                keys.push(key);
            }
            (counter, keys)
        });
        std::thread::sleep(Duration::from_millis(30 + rand(150)));
        let _ = sp.child.kill();
        let _ = sp.child.wait();
        let (counter, keys) = writer.join().expect("writer thread");
        if let Some(v) = counter {
            acked_counter = v;
        }
        acked_keys.extend(keys);
        drop(check);
        drop(sp);
    }
    let sp = start_ours(&dir, &[]);
    let mut c = sp.conn();
    wait_loaded(&mut c);
    let got: i64 = s(c.cmd_str("GET counter"))
        .lines()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(got >= acked_counter && got <= acked_counter + 1);
    assert!(
        acked_counter > 20,
        "the writer made progress ({acked_counter})"
    );
    let info = s(c.cmd(&[b"INFO", b"persistence"]));
    assert_eq!(info_field(&info, "aof_enabled").as_deref(), Some("1"));
    eprintln!(
        "crash test: {} keys, counter {}, manifest:\n{}",
        acked_keys.len(),
        acked_counter,
        manifest(&dir)
    );
    // Every acknowledged key, the counter, and at most one unacknowledged
    // SET per round.
    let dbsize: usize = s(c.cmd_str("DBSIZE"))
        .trim_start_matches(':')
        .trim_end()
        .parse()
        .unwrap_or(0);
    assert!(
        dbsize > acked_keys.len() && dbsize <= acked_keys.len() + 21,
        "dbsize {dbsize}"
    );
    assert!(started.elapsed() < Duration::from_secs(60));
}

/// Reads an integer reply; `None` when the connection died.
fn read_int(c: &mut Conn) -> Option<i64> {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.read_reply())).ok()?;
    let t = String::from_utf8_lossy(&r).into_owned();
    t.strip_prefix(':')?.trim_end().parse().ok()
}

/// Reads a `+OK` reply; false when the connection died.
fn read_ok(c: &mut Conn) -> bool {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.read_reply()))
        .map(|r| r == b"+OK\r\n")
        .unwrap_or(false)
}

/// With `appendfsync everysec` a write may wait (at most 2 s) behind a
/// slow background fsync, so a crash can lose the last seconds; nothing
/// acknowledged more than 2 s before the kill may be missing.
#[test]
fn kill_9_with_everysec_loses_at_most_two_seconds() {
    let dir = DataDir::new("aof-everysec");
    let mut sp = start_ours(&dir, &["--appendfsync", "everysec"]);
    let port = sp.port;
    let writer = std::thread::spawn(move || {
        let mut c = Conn::connect(port);
        let mut acked: Vec<(String, Instant)> = Vec::new();
        for i in 0.. {
            let key = format!("k{i}");
            c.send_raw(&common::encode_command(&[b"SET", key.as_bytes(), b"v"]));
            if !read_ok(&mut c) {
                break;
            }
            acked.push((key, Instant::now()));
        }
        acked
    });
    std::thread::sleep(Duration::from_millis(3000));
    let killed_at = Instant::now();
    let _ = sp.child.kill();
    let _ = sp.child.wait();
    let acked = writer.join().expect("writer thread");
    drop(sp);
    let sp = start_ours(&dir, &[]);
    let mut c = sp.conn();
    wait_loaded(&mut c);
    let old: Vec<&String> = acked
        .iter()
        .filter(|(_, t)| killed_at.duration_since(*t) > Duration::from_secs(2))
        .map(|(k, _)| k)
        .collect();
    assert!(!old.is_empty(), "writes older than 2 s exist");
    for k in old {
        assert_eq!(c.cmd_str(&format!("EXISTS {k}")), b":1\r\n", "{k} lost");
    }
}
