//! RDB snapshots across processes: a dump written by the server under test
//! (SAVE, SHUTDOWN SAVE) loads into Debian's redis-server 7.0.15 and back,
//! a dump written by redis-server loads into the server under test, and a
//! corrupt dump stops startup with Redis's log lines and exit status 1.
//!
//! Expectations are Redis 7.0.15's; the tests pass against Debian's
//! redis-server with `RUSTREDIS_BIN=/usr/bin/redis-server`.

mod common;

use common::{ServerProc, info_field, s};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The integer of a RESP `:N` reply.
fn int(reply: Vec<u8>) -> i64 {
    let t = s(reply);
    t.strip_prefix(':')
        .and_then(|v| v.trim_end().parse().ok())
        .unwrap_or_else(|| panic!("integer reply expected: {t:?}"))
}

fn bulk(v: &[u8]) -> Vec<u8> {
    let mut out = format!("${}\r\n", v.len()).into_bytes();
    out.extend_from_slice(v);
    out.extend_from_slice(b"\r\n");
    out
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The message part of each log line ("pid:R dd Mon yyyy HH:MM:SS.mmm * msg").
fn log_msgs(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|l| {
            let msg = l.splitn(6, ' ').nth(5)?;
            // The level mark ('.', '-', '*' or '#') and a space come first.
            msg.get(2..).map(|m| m.to_string())
        })
        .collect()
}

fn has_msg(log: &str, msg: &str) -> bool {
    log_msgs(log).iter().any(|m| m == msg)
}

fn has_msg_prefix(log: &str, prefix: &str) -> bool {
    log_msgs(log).iter().any(|m| m.starts_with(prefix))
}

/// A compressible 100-byte value (LZF in the dump with rdbcompression yes).
fn compressible() -> Vec<u8> {
    b"abcdefghij".repeat(10)
}

/// An incompressible-looking 300-byte binary value.
fn binary() -> Vec<u8> {
    let mut x: u32 = 12345;
    (0..300)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 16) as u8
        })
        .collect()
}

/// Fills a server with the test keyspace: db 0 and db 2, with and without TTLs.
fn fill(c: &mut common::Conn) {
    let comp = compressible();
    let bin = binary();
    let cmds: Vec<Vec<&[u8]>> = vec![
        vec![b"SET", b"foo", b"bar"],
        vec![b"SET", b"px", b"hello", b"PX", b"100000000"],
        vec![b"SET", b"n", b"12345"],
        vec![b"SET", b"neg", b"-7"],
        vec![b"SET", b"huge", b"3000000000"],
        vec![b"SET", b"123", b"an integer key"],
        vec![b"SET", b"empty", b""],
        vec![b"SET", b"comp", &comp],
        vec![b"SET", b"bin\x00key", &bin],
        vec![b"SET", b"gone", b"soon", b"PX", b"1"],
        vec![b"SELECT", b"2"],
        vec![b"SET", b"db2", b"v2", b"EX", b"100000"],
        vec![b"SELECT", b"0"],
    ];
    for cmd in cmds {
        assert_eq!(c.cmd(&cmd), b"+OK\r\n", "{cmd:?}");
    }
    // Let "gone" expire (it is then either skipped when saving or when loading).
    std::thread::sleep(Duration::from_millis(5));
}

/// Checks that a server holds what `fill` wrote (minus the expired key).
fn check(c: &mut common::Conn) {
    assert_eq!(c.cmd(&[b"GET", b"foo"]), bulk(b"bar"));
    assert_eq!(c.cmd(&[b"GET", b"px"]), bulk(b"hello"));
    let pttl = int(c.cmd(&[b"PTTL", b"px"]));
    assert!((90_000_000..=100_000_000).contains(&pttl), "PTTL px {pttl}");
    assert_eq!(c.cmd(&[b"GET", b"n"]), bulk(b"12345"));
    assert_eq!(c.cmd(&[b"OBJECT", b"ENCODING", b"n"]), bulk(b"int"));
    assert_eq!(c.cmd(&[b"GET", b"neg"]), bulk(b"-7"));
    assert_eq!(c.cmd(&[b"GET", b"huge"]), bulk(b"3000000000"));
    assert_eq!(c.cmd(&[b"GET", b"123"]), bulk(b"an integer key"));
    assert_eq!(c.cmd(&[b"GET", b"empty"]), bulk(b""));
    assert_eq!(c.cmd(&[b"GET", b"comp"]), bulk(&compressible()));
    assert_eq!(c.cmd(&[b"OBJECT", b"ENCODING", b"comp"]), bulk(b"raw"));
    assert_eq!(c.cmd(&[b"GET", b"bin\x00key"]), bulk(&binary()));
    assert_eq!(c.cmd(&[b"PTTL", b"foo"]), b":-1\r\n");
    assert_eq!(c.cmd(&[b"EXISTS", b"gone"]), b":0\r\n");
    assert_eq!(int(c.cmd(&[b"DBSIZE"])), 9);
    assert_eq!(c.cmd(&[b"SELECT", b"2"]), b"+OK\r\n");
    assert_eq!(c.cmd(&[b"GET", b"db2"]), bulk(b"v2"));
    let ttl = int(c.cmd(&[b"TTL", b"db2"]));
    assert!((99_000..=100_000).contains(&ttl), "TTL db2 {ttl}");
    assert_eq!(int(c.cmd(&[b"DBSIZE"])), 1);
    assert_eq!(c.cmd(&[b"SELECT", b"0"]), b"+OK\r\n");
}

/// A fresh directory holding a copy of `src` as dump.rdb.
fn dir_with_dump(src: &Path) -> PathBuf {
    let dir = common::scratch_dir("rdb");
    std::fs::copy(src, dir.join("dump.rdb"))
        .unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
    dir
}

#[test]
fn save_then_redis_loads_it() {
    for compression in ["yes", "no"] {
        let sp = ServerProc::start(&["--rdbcompression", compression]);
        let mut c = sp.conn();
        fill(&mut c);
        let before = now_secs();
        assert_eq!(c.cmd(&[b"SAVE"]), b"+OK\r\n");
        let lastsave = int(c.cmd(&[b"LASTSAVE"]));
        assert!(lastsave >= before && lastsave <= now_secs(), "{lastsave}");
        assert!(has_msg(&sp.log(), "DB saved on disk"), "{}", sp.log());
        let dump = sp.dir.join("dump.rdb");
        let bytes = std::fs::read(&dump).expect("dump.rdb written by SAVE");
        assert!(bytes.starts_with(b"REDIS0010"), "{:?}", &bytes[..9]);
        // No temp file is left behind.
        let leftovers: Vec<_> = std::fs::read_dir(&sp.dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("temp-"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");

        let dir = dir_with_dump(&dump);
        let dir_s = dir.display().to_string();
        let Some(oracle) = ServerProc::start_oracle(&["--dir", &dir_s, "--dbfilename", "dump.rdb"])
        else {
            return;
        };
        let mut o = oracle.conn();
        check(&mut o);
        let log = oracle.log();
        assert!(
            has_msg(&log, "Loading RDB produced by version 7.0.15"),
            "{log}"
        );
        assert!(
            has_msg_prefix(&log, "Done loading RDB, keys loaded: 10, keys expired: "),
            "{log}"
        );
        drop(oracle);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn redis_dump_loads() {
    let Some(oracle) = ServerProc::start_oracle(&[]) else {
        return;
    };
    let mut o = oracle.conn();
    fill(&mut o);
    assert_eq!(o.cmd(&[b"SAVE"]), b"+OK\r\n");
    let dir = dir_with_dump(&oracle.dir.join("dump.rdb"));
    drop(oracle);
    let dir_s = dir.display().to_string();
    let sp = ServerProc::start(&["--dir", &dir_s]);
    let mut c = sp.conn();
    check(&mut c);
    let log = sp.log();
    let msgs = log_msgs(&log);
    let pos = |p: &str| {
        msgs.iter()
            .position(|m| m.starts_with(p))
            .unwrap_or_else(|| panic!("{p:?} not logged:\n{log}"))
    };
    let order = [
        pos("Loading RDB produced by version 7.0.15"),
        pos("RDB age "),
        pos("RDB memory usage when created "),
        pos("Done loading RDB, keys loaded: "),
        pos("DB loaded from disk: "),
        pos("Ready to accept connections"),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}\n{log}");
    // "RDB memory usage when created 0.92 Mb", "DB loaded from disk: 0.000 seconds".
    let mem = msgs
        .iter()
        .find(|m| m.starts_with("RDB memory usage"))
        .unwrap();
    assert!(mem.ends_with(" Mb") && mem.contains('.'), "{mem}");
    let took = msgs
        .iter()
        .find(|m| m.starts_with("DB loaded from disk: "))
        .unwrap();
    assert!(took.ends_with(" seconds"), "{took}");
    // A loaded server has nothing new to save and LASTSAVE stays an integer.
    int(c.cmd(&[b"LASTSAVE"]));
    drop(sp);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn golden_fixture_loads() {
    // Written by redis-server 7.0.15: foo=bar, px=hello (PX, expires in
    // 2030), n=12345, neg=-7, big=100000, huge=3000000000,
    // comp='abcdefghij'*10 (LZF) in db 0; db3key=v3 in db 3.
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/redis-7.0.15-strings.rdb");
    let dir = dir_with_dump(&fixture);
    let dir_s = dir.display().to_string();
    let sp = ServerProc::start(&["--dir", &dir_s]);
    let mut c = sp.conn();
    assert_eq!(int(c.cmd(&[b"DBSIZE"])), 7);
    assert_eq!(c.cmd(&[b"GET", b"foo"]), bulk(b"bar"));
    assert_eq!(c.cmd(&[b"GET", b"px"]), bulk(b"hello"));
    assert!(int(c.cmd(&[b"PTTL", b"px"])) > 0);
    assert_eq!(c.cmd(&[b"GET", b"big"]), bulk(b"100000"));
    assert_eq!(c.cmd(&[b"GET", b"comp"]), bulk(&compressible()));
    assert_eq!(c.cmd(&[b"SELECT", b"3"]), b"+OK\r\n");
    assert_eq!(c.cmd(&[b"GET", b"db3key"]), bulk(b"v3"));
    drop(sp);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn shutdown_save_then_restart() {
    let mut sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    fill(&mut c);
    c.send_raw(b"SHUTDOWN SAVE\r\n");
    assert!(c.read_eof(), "SHUTDOWN closes the connection");
    let st = sp
        .wait_exit(Duration::from_secs(10))
        .unwrap_or_else(|| panic!("no exit after SHUTDOWN SAVE"));
    assert_eq!(st.code(), Some(0));
    let log = sp.log();
    let msgs = log_msgs(&log);
    let saving = msgs
        .iter()
        .position(|m| m == "Saving the final RDB snapshot before exiting.")
        .unwrap_or_else(|| panic!("{log}"));
    let saved = msgs
        .iter()
        .position(|m| m == "DB saved on disk")
        .unwrap_or_else(|| panic!("{log}"));
    let bye = msgs
        .iter()
        .position(|m| m == "Redis is now ready to exit, bye bye...")
        .unwrap_or_else(|| panic!("{log}"));
    assert!(saving < saved && saved < bye, "{log}");
    let dir = dir_with_dump(&sp.dir.join("dump.rdb"));
    drop(sp);
    // The same binary loads its own dump.
    let dir_s = dir.display().to_string();
    let sp = ServerProc::start(&["--dir", &dir_s]);
    let mut c = sp.conn();
    check(&mut c);
    drop(sp);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs the server under test on `dir` (holding a dump.rdb) and expects it
/// to exit by itself; returns the exit code and the log.
fn start_expecting_exit(dir: &Path) -> (Option<i32>, String) {
    let port = common::free_port().to_string();
    let logfile = dir.join("server.log");
    let logfile_s = logfile.display().to_string();
    let dir_s = dir.display().to_string();
    let args = [
        "--port",
        &port,
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
        "--logfile",
        &logfile_s,
        "--dir",
        &dir_s,
    ];
    let ran = common::run_to_exit(dir, &args);
    (
        ran.status.code(),
        std::fs::read_to_string(&logfile).unwrap_or_default(),
    )
}

#[test]
fn corrupt_dump_stops_startup() {
    let fixture = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/redis-7.0.15-strings.rdb"),
    )
    .expect("fixture");

    // Truncated in the middle of a value.
    let dir = common::scratch_dir("rdb-short");
    std::fs::write(dir.join("dump.rdb"), &fixture[..100]).unwrap();
    let (code, log) = start_expecting_exit(&dir);
    assert_eq!(code, Some(1), "{log}");
    assert!(
        has_msg(
            &log,
            "Short read or OOM loading DB. Unrecoverable error, aborting now."
        ),
        "{log}"
    );
    assert!(!has_msg(&log, "Ready to accept connections"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);

    // Wrong checksum.
    let dir = common::scratch_dir("rdb-crc");
    let mut bad = fixture.clone();
    let n = bad.len();
    bad[n - 1] ^= 1;
    std::fs::write(dir.join("dump.rdb"), &bad).unwrap();
    let (code, log) = start_expecting_exit(&dir);
    assert_eq!(code, Some(1), "{log}");
    assert!(
        has_msg_prefix(&log, "Wrong RDB checksum expected: ("),
        "{log}"
    );
    assert!(!has_msg(&log, "Ready to accept connections"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// SAVE resets rdb_changes_since_last_save and counts in rdb_saves; a
/// restart reports the keys it loaded.
#[test]
fn info_persistence_counts_saves_and_loads() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    for k in ["a", "b", "c"] {
        assert_eq!(s(c.cmd(&[b"SET", k.as_bytes(), b"v"])), "+OK\r\n");
    }
    let info = s(c.cmd(&[b"INFO", b"persistence"]));
    assert_eq!(
        info_field(&info, "rdb_changes_since_last_save").as_deref(),
        Some("3"),
        "{info}"
    );
    assert_eq!(
        info_field(&info, "rdb_saves").as_deref(),
        Some("0"),
        "{info}"
    );
    assert_eq!(s(c.cmd(&[b"SAVE"])), "+OK\r\n");
    let info = s(c.cmd(&[b"INFO", b"persistence"]));
    assert_eq!(
        info_field(&info, "rdb_changes_since_last_save").as_deref(),
        Some("0"),
        "{info}"
    );
    assert_eq!(
        info_field(&info, "rdb_saves").as_deref(),
        Some("1"),
        "{info}"
    );
    let dir = sp.dir.display().to_string();
    let sp2 = ServerProc::start(&["--dir", &dir]);
    let mut c2 = sp2.conn();
    let info = s(c2.cmd(&[b"INFO", b"persistence"]));
    assert_eq!(
        info_field(&info, "rdb_last_load_keys_loaded").as_deref(),
        Some("3"),
        "{info}"
    );
    assert_eq!(s(c2.cmd(&[b"DBSIZE"])), ":3\r\n");
}

/// CONFIG SET dir (a protected config) moves where SAVE writes; a missing
/// directory is refused and the old one kept.
#[test]
fn config_set_dir_moves_saves() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"SET", b"dir", b"/tmp"])),
        "-ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config\r\n"
    );
    drop(c);
    let sp = ServerProc::start(&["--enable-protected-configs", "yes"]);
    let mut c = sp.conn();
    let sub = sp.dir.join("elsewhere");
    std::fs::create_dir_all(&sub).unwrap();
    let sub_s = sub.display().to_string();
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"SET", b"dir", sub_s.as_bytes()])),
        "+OK\r\n"
    );
    assert_eq!(s(c.cmd(&[b"SET", b"k", b"v"])), "+OK\r\n");
    assert_eq!(s(c.cmd(&[b"SAVE"])), "+OK\r\n");
    assert!(
        sub.join("dump.rdb").exists(),
        "dump.rdb not written in the new dir"
    );
    let missing = sp.dir.join("nope").display().to_string();
    let reply = s(c.cmd(&[b"CONFIG", b"SET", b"dir", missing.as_bytes()]));
    assert!(
        reply.starts_with("-ERR CONFIG SET failed (possibly related to argument 'dir') - "),
        "{reply}"
    );
    let got = s(c.cmd(&[b"CONFIG", b"GET", b"dir"]));
    assert!(got.ends_with(&format!("{sub_s}\r\n")), "{got}");
}
