//! Functions against a running server, and against redis-server 7.0.15
//! where the two must agree:
//!
//! - persistence: libraries survive SAVE + restart, DEBUG RELOAD, the AOF
//!   (FUNCTION LOAD/DELETE/FLUSH as logged commands, and a rewritten base
//!   with and without RDB preamble); a dump.rdb with libraries written by
//!   redis-server loads here and one written here loads in redis-server;
//! - FUNCTION DUMP: for the same libraries both servers produce the same
//!   payload bytes, and a payload from either restores in the other;
//! - INFO memory's function fields agree with redis-server's for the same
//!   libraries (`used_memory_functions` included).
//!
//! The error texts and reply shapes of every FUNCTION subcommand are in
//! the differential script `tests/diff/90_functions.txt`.
//!
//! Tests that need redis-server are skipped when it is not installed and
//! fail when it is missing under `CI=true`.

mod common;

use common::{Conn, Resp, ServerProc, info_field};
use std::path::{Path, PathBuf};
use std::time::Duration;

const DEBUG_ON: [&str; 2] = ["--enable-debug-command", "yes"];

/// Three libraries: positional and named registration, a description,
/// flags, code long enough for LZF.
const LIBS: [&str; 3] = [
    "#!lua name=lib1\nredis.register_function('f1', function(keys, args) return 1 end)",
    "#!lua name=lib2\nlocal function add1(a) return a + 1 end\n-- padding padding padding padding padding padding\nredis.register_function('f2', function(keys, args) return add1(1) end)\nredis.register_function{function_name='f3', callback=function() return 3 end, description='third', flags={'no-writes', 'allow-stale'}}",
    "#!LUA name=Lib_3\nredis.register_function{function_name='F4', callback=function() return 4 end, flags={'allow-oom'}}",
];

/// Runs a command and returns the raw reply bytes.
fn raw(c: &mut Conn, args: &[&[u8]]) -> Vec<u8> {
    c.cmd(args)
}

/// Runs a command that must reply `expected` exactly.
fn expect(c: &mut Conn, args: &[&[u8]], expected: &[u8]) {
    let got = c.cmd(args);
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(expected),
        "reply to {:?}",
        args.iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect::<Vec<_>>()
    );
}

fn load_libs(c: &mut Conn) {
    for (lib, name) in LIBS.iter().zip(["lib1", "lib2", "Lib_3"]) {
        expect(
            c,
            &[b"FUNCTION", b"LOAD", lib.as_bytes()],
            format!("${}\r\n{}\r\n", name.len(), name).as_bytes(),
        );
    }
}

/// Each library's FUNCTION LIST entry (with code), in a fixed order and
/// with the functions of a library sorted, so two servers' listings
/// compare whatever their hash order.
fn listing(c: &mut Conn) -> Vec<Vec<u8>> {
    ["lib1", "lib2", "Lib_3", "nolib"]
        .iter()
        .map(|n| {
            let r = raw(
                c,
                &[
                    b"FUNCTION",
                    b"LIST",
                    b"LIBRARYNAME",
                    n.as_bytes(),
                    b"WITHCODE",
                ],
            );
            let mut pos = 0;
            let mut parsed = common::parse_resp(&r, &mut pos);
            if let Resp::Array(Some(libs)) = &mut parsed {
                for lib in libs.iter_mut() {
                    if let Resp::Array(Some(fields)) = lib
                        && let Some(Resp::Array(Some(fns))) = fields.get_mut(5)
                    {
                        fns.sort_by_key(|f| format!("{f:?}"));
                    }
                }
            }
            format!("{parsed:?}").into_bytes()
        })
        .collect()
}

/// The listing [`load_libs`] produces, as the reference for every check.
fn expected_listing(c: &mut Conn) -> Vec<Vec<u8>> {
    let l = listing(c);
    for one in &l[..3] {
        assert!(one.starts_with(b"Array(Some([Array(Some([Bulk(Some([108, 105, 98, 114, 97, 114, 121, 95, 110, 97, 109, 101]))"));
    }
    assert_eq!(l[3], b"Array(Some([]))");
    l
}

fn stats_3_libs() -> &'static [u8] {
    b"*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n*4\r\n$15\r\nlibraries_count\r\n:3\r\n$15\r\nfunctions_count\r\n:4\r\n"
}

/// A fresh directory with `file` copied in under `name`.
fn dir_with(file: &Path, name: &str) -> PathBuf {
    let dir = common::scratch_dir("functions");
    std::fs::copy(file, dir.join(name)).unwrap_or_else(|e| panic!("copy {}: {e}", file.display()));
    dir
}

/// Starts a server in `dir` and waits until it has loaded its data (a
/// server answers PING with -LOADING before that).
fn start_in(dir: &Path, oracle: bool, extra: &[&str]) -> Option<ServerProc> {
    let ds = dir.display().to_string();
    let mut args: Vec<&str> = vec!["--dir", &ds];
    args.extend_from_slice(&DEBUG_ON);
    args.extend_from_slice(extra);
    let sp = if oracle {
        ServerProc::start_oracle(&args)?
    } else {
        ServerProc::start(&args)
    };
    let mut c = sp.conn();
    for _ in 0..400 {
        let info = String::from_utf8_lossy(&c.cmd(&[b"INFO", b"persistence"])).into_owned();
        if info_field(&info, "loading").as_deref() == Some("0") {
            return Some(sp);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("server in {} did not finish loading", dir.display());
}

fn bulk_payload(reply: &[u8]) -> Vec<u8> {
    let mut pos = 0;
    match common::parse_resp(reply, &mut pos) {
        common::Resp::Bulk(Some(b)) => b,
        other => panic!("bulk expected, got {other:?}"),
    }
}

#[test]
fn save_restart_and_debug_reload_keep_libraries() {
    let sp = ServerProc::start(&DEBUG_ON);
    let mut c = sp.conn();
    load_libs(&mut c);
    let want = expected_listing(&mut c);
    expect(&mut c, &[b"FUNCTION", b"STATS"], stats_3_libs());
    expect(&mut c, &[b"DEBUG", b"RELOAD"], b"+OK\r\n");
    assert_eq!(listing(&mut c), want);
    expect(&mut c, &[b"FUNCTION", b"STATS"], stats_3_libs());
    // NOFLUSH: the libraries are already there.
    expect(
        &mut c,
        &[b"DEBUG", b"RELOAD", b"NOFLUSH"],
        b"-ERR Error trying to load the RDB dump\r\n",
    );
    expect(
        &mut c,
        &[b"DEBUG", b"RELOAD", b"NOFLUSH", b"MERGE"],
        b"+OK\r\n",
    );
    assert_eq!(listing(&mut c), want);
    let log = sp.log();
    assert!(
        log.contains("Failed loading library, Library 'lib1' already exists")
            || log.contains("Failed loading library, Library 'Lib_3' already exists"),
        "{log}"
    );

    // SAVE, then a new process on the same file.
    expect(&mut c, &[b"SAVE"], b"+OK\r\n");
    let rdb = sp.dir.join("dump.rdb");
    assert!(rdb.exists());
    let dir = dir_with(&rdb, "dump.rdb");
    let again = start_in(&dir, false, &[]).expect("ours");
    let mut c2 = again.conn();
    assert_eq!(listing(&mut c2), want);
    expect(&mut c2, &[b"FUNCTION", b"STATS"], stats_3_libs());
    // FLUSHALL keeps functions; DEBUG RELOAD after FUNCTION FLUSH drops them.
    expect(&mut c2, &[b"FLUSHALL"], b"+OK\r\n");
    assert_eq!(listing(&mut c2), want);
    expect(&mut c2, &[b"FUNCTION", b"FLUSH"], b"+OK\r\n");
    expect(&mut c2, &[b"DEBUG", b"RELOAD"], b"+OK\r\n");
    expect(&mut c2, &[b"FUNCTION", b"LIST"], b"*0\r\n");
}

#[test]
fn rdb_files_move_between_redis_and_rustredis() {
    let odir = common::scratch_dir("functions");
    let Some(oracle) = start_in(&odir, true, &[]) else {
        return;
    };
    let mut o = oracle.conn();
    load_libs(&mut o);
    o.cmd(&[b"SET", b"k", b"v"]);
    let want = expected_listing(&mut o);
    expect(&mut o, &[b"SAVE"], b"+OK\r\n");

    // Redis's file loads here.
    let dir = dir_with(&odir.join("dump.rdb"), "dump.rdb");
    let ours = start_in(&dir, false, &[]).expect("ours");
    let mut c = ours.conn();
    assert_eq!(listing(&mut c), want);
    expect(&mut c, &[b"GET", b"k"], b"$1\r\nv\r\n");

    // Ours loads in Redis.
    expect(&mut c, &[b"SAVE"], b"+OK\r\n");
    let dir2 = dir_with(&dir.join("dump.rdb"), "dump.rdb");
    let oracle2 = start_in(&dir2, true, &[]).expect("oracle");
    let mut o2 = oracle2.conn();
    assert_eq!(listing(&mut o2), want);
    expect(&mut o2, &[b"FUNCTION", b"STATS"], stats_3_libs());
}

#[test]
fn aof_logs_and_rewrites_libraries() {
    let dir = common::scratch_dir("functions");
    // `appendfsync always`: every reply follows its command's AOF write.
    // With everysec a write waits (up to 2 s, as Redis's does) while a
    // background fsync runs, so the file could lag the replies.
    let aof = [
        "--appendonly",
        "yes",
        "--aof-use-rdb-preamble",
        "no",
        "--appendfsync",
        "always",
    ];
    let want;
    {
        let sp = start_in(&dir, false, &aof).expect("ours");
        let mut c = sp.conn();
        wait_rewrite(&mut c);
        load_libs(&mut c);
        want = expected_listing(&mut c);
        let extra = "#!lua name=gone\nredis.register_function('g', function() return 1 end)";
        c.cmd(&[b"FUNCTION", b"LOAD", extra.as_bytes()]);
        expect(&mut c, &[b"FUNCTION", b"DELETE", b"gone"], b"+OK\r\n");
        // The commands are logged as given.
        let text = incr_aof(&dir);
        let text = String::from_utf8_lossy(&text);
        assert!(text.contains("$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n"), "{text}");
        assert!(
            text.contains("$8\r\nFUNCTION\r\n$6\r\nDELETE\r\n$4\r\ngone\r\n"),
            "{text}"
        );
    }
    // Replayed from the AOF.
    {
        let sp = start_in(&dir, false, &aof).expect("ours");
        let mut c = sp.conn();
        wait_rewrite(&mut c);
        assert_eq!(listing(&mut c), want);
        // A rewrite without preamble starts with one FUNCTION LOAD per library.
        expect(
            &mut c,
            &[b"BGREWRITEAOF"],
            b"+Background append only file rewriting started\r\n",
        );
        wait_rewrite(&mut c);
        let base = std::fs::read_dir(dir.join("appendonlydir"))
            .expect("aof dir")
            .filter_map(|e| e.ok())
            .find(|e| e.file_name().to_string_lossy().ends_with(".base.aof"))
            .expect("base file");
        let text = std::fs::read(base.path()).expect("read base");
        let mut expected = Vec::new();
        for name in ["Lib_3", "lib1", "lib2"] {
            let code = LIBS
                .iter()
                .find(|l| l.contains(&format!("name={name}\n")))
                .expect("lib");
            expected.extend_from_slice(
                format!(
                    "*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n${}\r\n{}\r\n",
                    code.len(),
                    code
                )
                .as_bytes(),
            );
        }
        assert_eq!(
            String::from_utf8_lossy(&text),
            String::from_utf8_lossy(&expected)
        );
        // DEBUG LOADAOF replaces the libraries with the AOF's.
        c.cmd(&[b"FUNCTION", b"DELETE", b"lib1"]);
        expect(&mut c, &[b"DEBUG", b"LOADAOF"], b"+OK\r\n");
        assert_eq!(listing(&mut c)[0], b"Array(Some([]))");
        // With an RDB preamble the libraries are FUNCTION2 records.
        c.cmd(&[b"FUNCTION", b"LOAD", LIBS[0].as_bytes()]);
        expect(
            &mut c,
            &[b"CONFIG", b"SET", b"aof-use-rdb-preamble", b"yes"],
            b"+OK\r\n",
        );
        expect(
            &mut c,
            &[b"BGREWRITEAOF"],
            b"+Background append only file rewriting started\r\n",
        );
        wait_rewrite(&mut c);
    }
    let sp = start_in(&dir, false, &["--appendonly", "yes"]).expect("ours");
    let mut c = sp.conn();
    wait_rewrite(&mut c);
    assert_eq!(listing(&mut c), want);
    // redis-server reads the same AOF directory.
    drop(c);
    drop(sp);
    if let Some(o) = start_in(&dir, true, &["--appendonly", "yes"]) {
        let mut oc = o.conn();
        assert_eq!(listing(&mut oc), want);
    }
}

fn wait_rewrite(c: &mut Conn) {
    for _ in 0..200 {
        let info = String::from_utf8_lossy(&c.cmd(&[b"INFO", b"persistence"])).into_owned();
        if info_field(&info, "aof_rewrite_in_progress").as_deref() == Some("0")
            && info_field(&info, "aof_rewrite_scheduled").as_deref() == Some("0")
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("AOF rewrite did not finish");
}

#[test]
fn function_dump_restores_across_servers() {
    let Some(oracle) = ServerProc::start_oracle(&DEBUG_ON) else {
        return;
    };
    let ours = ServerProc::start(&DEBUG_ON);
    let (mut o, mut c) = (oracle.conn(), ours.conn());
    // One library at a time: the payload then has one fixed order.
    for lib in LIBS {
        for conn in [&mut o, &mut c] {
            conn.cmd(&[b"FUNCTION", b"FLUSH"]);
            conn.cmd(&[b"FUNCTION", b"LOAD", lib.as_bytes()]);
        }
        let (po, pc) = (
            raw(&mut o, &[b"FUNCTION", b"DUMP"]),
            raw(&mut c, &[b"FUNCTION", b"DUMP"]),
        );
        assert_eq!(po, pc, "dump of {lib}");
    }
    for conn in [&mut o, &mut c] {
        conn.cmd(&[b"FUNCTION", b"FLUSH"]);
        load_libs(conn);
    }
    let want = expected_listing(&mut o);
    let from_redis = bulk_payload(&raw(&mut o, &[b"FUNCTION", b"DUMP"]));
    let from_ours = bulk_payload(&raw(&mut c, &[b"FUNCTION", b"DUMP"]));
    // Redis's payload restores here, ours in Redis, with every policy.
    for (conn, payload) in [(&mut c, &from_redis), (&mut o, &from_ours)] {
        expect(conn, &[b"FUNCTION", b"FLUSH"], b"+OK\r\n");
        expect(conn, &[b"FUNCTION", b"RESTORE", payload], b"+OK\r\n");
        assert_eq!(listing(conn), want);
        // The first clash found, in the server's hash order.
        let e = raw(conn, &[b"FUNCTION", b"RESTORE", payload]);
        assert!(
            [&b"lib1"[..], b"lib2", b"Lib_3"]
                .iter()
                .any(|n| e == [&b"-ERR Library "[..], n, b" already exists\r\n"].concat()),
            "{}",
            String::from_utf8_lossy(&e)
        );
        expect(
            conn,
            &[b"FUNCTION", b"RESTORE", payload, b"REPLACE"],
            b"+OK\r\n",
        );
        expect(
            conn,
            &[b"FUNCTION", b"RESTORE", payload, b"flush"],
            b"+OK\r\n",
        );
        assert_eq!(listing(conn), want);
        expect(conn, &[b"FUNCTION", b"STATS"], stats_3_libs());
    }
    // A function name clash with another library aborts REPLACE and keeps
    // what was there.
    let clash = "#!lua name=other\nredis.register_function('f3', function() return 1 end)";
    for (conn, payload) in [(&mut c, &from_redis), (&mut o, &from_ours)] {
        expect(conn, &[b"FUNCTION", b"FLUSH"], b"+OK\r\n");
        conn.cmd(&[b"FUNCTION", b"LOAD", clash.as_bytes()]);
        conn.cmd(&[b"FUNCTION", b"LOAD", LIBS[0].as_bytes()]);
        expect(
            conn,
            &[b"FUNCTION", b"RESTORE", payload, b"REPLACE"],
            b"-ERR Function f3 already exists\r\n",
        );
        let l = listing(conn);
        assert!(l[0] == want[0] && l[1] == b"Array(Some([]))");
        // A corrupted payload is refused whole.
        let mut bad = payload.clone();
        let n = bad.len();
        bad[n - 1] ^= 1;
        expect(
            conn,
            &[b"FUNCTION", b"RESTORE", &bad],
            b"-ERR DUMP payload version or checksum are wrong\r\n",
        );
    }
}

#[test]
fn info_memory_fields_match_redis() {
    let Some(oracle) = ServerProc::start_oracle(&DEBUG_ON) else {
        return;
    };
    let ours = ServerProc::start(&DEBUG_ON);
    let (mut o, mut c) = (oracle.conn(), ours.conn());
    let fields = |conn: &mut Conn| -> Vec<Option<String>> {
        let info = String::from_utf8_lossy(&conn.cmd(&[b"INFO", b"memory"])).into_owned();
        [
            "number_of_functions",
            "number_of_libraries",
            "used_memory_functions",
        ]
        .iter()
        .map(|f| info_field(&info, f))
        .collect()
    };
    let vm = |conn: &mut Conn| -> i64 {
        let info = String::from_utf8_lossy(&conn.cmd(&[b"INFO", b"memory"])).into_owned();
        info_field(&info, "used_memory_vm_functions")
            .and_then(|v| v.parse().ok())
            .unwrap_or(-1)
    };
    assert_eq!(fields(&mut c), fields(&mut o));
    assert_eq!(
        fields(&mut c)[2].as_deref(),
        Some("200"),
        "an empty registry costs Redis 200 bytes"
    );
    assert!(vm(&mut c) > 0 && vm(&mut c) % 1024 == 0);
    let payload = bulk_payload(&raw(&mut o, &[b"FUNCTION", b"DUMP"]));
    for (step, lib) in LIBS.iter().enumerate() {
        for conn in [&mut o, &mut c] {
            conn.cmd(&[b"FUNCTION", b"LOAD", lib.as_bytes()]);
        }
        assert_eq!(
            fields(&mut c),
            fields(&mut o),
            "after loading library {step}"
        );
    }
    for conn in [&mut o, &mut c] {
        conn.cmd(&[b"FUNCTION", b"DELETE", b"lib2"]);
    }
    assert_eq!(fields(&mut c), fields(&mut o), "after a delete");
    // Redis's FUNCTION RESTORE zeroes the per-library part of the count.
    for conn in [&mut o, &mut c] {
        conn.cmd(&[b"FUNCTION", b"RESTORE", &payload]);
    }
    assert_eq!(fields(&mut c), fields(&mut o), "after a restore");
    for conn in [&mut o, &mut c] {
        conn.cmd(&[b"FUNCTION", b"FLUSH"]);
    }
    assert_eq!(fields(&mut c), fields(&mut o), "after a flush");
}

/// The AOF's incr files of a server started in `dir`, concatenated in
/// name (sequence) order: a startup rewrite may have opened a second one.
fn incr_aof(dir: &Path) -> Vec<u8> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir.join("appendonlydir"))
        .expect("aof dir")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".incr.aof"))
        .collect();
    names.sort();
    names
        .iter()
        .flat_map(|p| std::fs::read(p).expect("read incr"))
        .collect()
}

/// FCALL's effects reach the AOF as Redis writes them (the commands the
/// function ran, wrapped in MULTI/EXEC; never the FCALL), and a restart
/// replays them and keeps the library callable.
#[test]
fn fcall_effects_are_propagated_like_redis() {
    let lib = "#!lua name=eff\nredis.register_function('two', function(KEYS, ARGV) redis.call('set', KEYS[1], ARGV[1]) redis.call('incr', 'counter') return redis.call('get', KEYS[1]) end)\nredis.register_function{function_name='ro', callback=function(KEYS) return redis.call('get', KEYS[1]) end, flags={'no-writes'}}";
    let script = |c: &mut Conn| {
        wait_rewrite(c);
        c.cmd(&[b"FUNCTION", b"LOAD", lib.as_bytes()]);
        expect(c, &[b"FCALL", b"two", b"1", b"k", b"v"], b"$1\r\nv\r\n");
        expect(c, &[b"FCALL_RO", b"ro", b"1", b"k"], b"$1\r\nv\r\n");
        expect(c, &[b"FCALL", b"ro", b"1", b"nokey"], b"$-1\r\n");
        wait_rewrite(c);
    };
    let aof = ["--appendonly", "yes"];
    let odir = common::scratch_dir("functions");
    let oracle_aof = start_in(&odir, true, &aof).map(|o| {
        script(&mut o.conn());
        incr_aof(&odir)
    });
    let dir = common::scratch_dir("functions");
    {
        let sp = start_in(&dir, false, &aof).expect("ours");
        script(&mut sp.conn());
        let ours = incr_aof(&dir);
        let text = String::from_utf8_lossy(&ours).into_owned();
        assert!(text.contains("$5\r\nMULTI\r\n"), "{text}");
        assert!(!text.to_ascii_lowercase().contains("fcall"), "{text}");
        if let Some(o) = oracle_aof {
            assert_eq!(text, String::from_utf8_lossy(&o));
        }
    }
    let sp = start_in(&dir, false, &aof).expect("ours");
    let mut c = sp.conn();
    expect(&mut c, &[b"GET", b"counter"], b"$1\r\n1\r\n");
    expect(
        &mut c,
        &[b"FCALL", b"two", b"1", b"k", b"w"],
        b"$1\r\nw\r\n",
    );
}

/// A function past `busy-reply-threshold`: others get FUNCTION's BUSY
/// text, FUNCTION STATS shows it, SCRIPT KILL refuses it, FUNCTION KILL
/// stops it; while an EVAL script runs, FUNCTION STATS and FUNCTION KILL
/// answer with EVAL's BUSY text.
#[test]
fn busy_function_stats_and_kill() {
    let sp = ServerProc::start(&DEBUG_ON);
    let mut c = sp.conn();
    expect(
        &mut c,
        &[b"CONFIG", b"SET", b"busy-reply-threshold", b"10"],
        b"+OK\r\n",
    );
    let lib = "#!lua name=loop\nredis.register_function('spin', function() local a = 1 while true do a = a + 1 end end)";
    c.cmd(&[b"FUNCTION", b"LOAD", lib.as_bytes()]);
    let mut runner = sp.conn();
    runner.send_raw(&common::encode_command(&[b"FCALL", b"spin", b"0"]));
    std::thread::sleep(Duration::from_millis(200));
    expect(
        &mut c,
        &[b"PING"],
        b"-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n",
    );
    let stats = c.cmd(&[b"FUNCTION", b"STATS"]);
    let text = String::from_utf8_lossy(&stats).into_owned();
    assert!(
        text.starts_with("*4\r\n$14\r\nrunning_script\r\n*6\r\n$4\r\nname\r\n$4\r\nspin\r\n$7\r\ncommand\r\n*3\r\n$5\r\nFCALL\r\n$4\r\nspin\r\n$1\r\n0\r\n$11\r\nduration_ms\r\n:"),
        "{text}"
    );
    assert!(text.ends_with("$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n*4\r\n$15\r\nlibraries_count\r\n:1\r\n$15\r\nfunctions_count\r\n:1\r\n"), "{text}");
    expect(
        &mut c,
        &[b"SCRIPT", b"KILL"],
        b"-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n",
    );
    expect(&mut c, &[b"FUNCTION", b"KILL"], b"+OK\r\n");
    assert_eq!(
        String::from_utf8_lossy(&runner.read_reply()),
        "-ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2.\r\n"
    );
    expect(&mut c, &[b"PING"], b"+PONG\r\n");
    expect(
        &mut c,
        &[b"FUNCTION", b"KILL"],
        b"-NOTBUSY No scripts in execution right now.\r\n",
    );

    // An EVAL script running: FUNCTION STATS and KILL name SCRIPT KILL.
    runner.send_raw(&common::encode_command(&[
        b"EVAL",
        b"local a = 1 while true do a = a + 1 end",
        b"0",
    ]));
    std::thread::sleep(Duration::from_millis(200));
    let eval_busy: &[u8] =
        b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";
    expect(&mut c, &[b"FUNCTION", b"STATS"], eval_busy);
    expect(&mut c, &[b"FUNCTION", b"KILL"], eval_busy);
    expect(&mut c, &[b"SCRIPT", b"KILL"], b"+OK\r\n");
    let _ = runner.read_reply();
    expect(&mut c, &[b"PING"], b"+PONG\r\n");
}
