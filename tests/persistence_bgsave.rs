//! Background saving, save points, MISCONF and the loading state, end to
//! end: BGSAVE [SCHEDULE] in a forked child, the file it writes loading back
//! into an identical dataset (DEBUG DIGEST), Redis's replies while a child
//! runs, a save point firing from the cron, the MISCONF error after a failed
//! background save, `-LOADING` and INFO `loading_*` during a slow startup
//! load, and SHUTDOWN / FLUSHALL killing a running child and removing its
//! temp file.
//!
//! Expectations are Redis 7.0.15's replies and log lines; the tests pass
//! against Debian's redis-server with `RUSTREDIS_BIN=/usr/bin/redis-server`.

mod common;

use common::{Conn, ServerProc, info_field, s};
use std::path::Path;
use std::time::{Duration, Instant};

/// INFO field `field` of section `section` as text ("" when absent).
fn info(c: &mut Conn, section: &str, field: &str) -> String {
    let t = s(c.cmd(&[b"INFO", section.as_bytes()]));
    info_field(&t, field).unwrap_or_default()
}

/// Waits (up to `secs`) until `cond` holds; panics with `what` otherwise.
fn wait_for(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until no background save runs.
fn wait_bgsave_done(c: &mut Conn) {
    wait_for(20, "the background save to end", || {
        info(c, "persistence", "rdb_bgsave_in_progress") == "0"
    });
}

/// The message part of each log line ("pid:R dd Mon yyyy HH:MM:SS.mmm * msg").
fn log_msgs(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|l| l.splitn(6, ' ').nth(5).and_then(|m| m.get(2..)))
        .map(|m| m.to_string())
        .collect()
}

fn has_msg(sp: &ServerProc, msg: &str) -> bool {
    log_msgs(&sp.log()).iter().any(|m| m == msg)
}

/// The pid in the log line "Background saving started by pid N" (the last one).
fn bgsave_child_pid(sp: &ServerProc) -> u32 {
    log_msgs(&sp.log())
        .iter()
        .rev()
        .find_map(|m| m.strip_prefix("Background saving started by pid "))
        .and_then(|p| p.parse().ok())
        .expect("a 'Background saving started by pid' log line")
}

fn temp_file(dir: &Path, pid: u32) -> std::path::PathBuf {
    dir.join(format!("temp-{pid}.rdb"))
}

/// A mixed dataset: strings, small and large hashes, a list, a set of
/// integers and one of strings, a zset, keys with TTLs, and a second db.
fn fill_mixed(c: &mut Conn) {
    assert_eq!(c.cmd_str("DEBUG POPULATE 500 str 20"), b"+OK\r\n");
    for i in 0..20 {
        c.cmd_str(&format!("HSET small:{i} a 1 b 2 c {i}"));
        c.cmd_str(&format!("RPUSH list:{i} x y z {i}"));
        c.cmd_str(&format!("SADD iset:{i} 1 2 3 {i}"));
        c.cmd_str(&format!("SADD sset:{i} a b c v{i}"));
        c.cmd_str(&format!("ZADD zset:{i} 1 a 2.5 b {i} c"));
        c.cmd_str(&format!("SET ttl:{i} v{i} EX 1000"));
    }
    for i in 0..300 {
        c.cmd_str(&format!("HSET bighash f{i} {}", "v".repeat(80)));
        c.cmd_str(&format!("ZADD bigzset {i} m{i}"));
    }
    c.cmd_str("SELECT 3");
    c.cmd_str("SET other db3");
    c.cmd_str("SELECT 0");
}

#[test]
fn bgsave_file_loads_back_identical_and_schedule_runs_later() {
    let sp = ServerProc::start(&["--enable-debug-command", "yes"]);
    let mut c = sp.conn();
    fill_mixed(&mut c);
    let digest = s(c.cmd_str("DEBUG DIGEST"));
    assert_eq!(info(&mut c, "stats", "total_forks"), "0");
    assert_eq!(c.cmd_str("BGSAVE"), b"+Background saving started\r\n");
    wait_bgsave_done(&mut c);
    assert_eq!(info(&mut c, "persistence", "rdb_last_bgsave_status"), "ok");
    assert_eq!(
        info(&mut c, "persistence", "rdb_changes_since_last_save"),
        "0"
    );
    assert_eq!(info(&mut c, "stats", "total_forks"), "1");
    assert!(
        info(&mut c, "stats", "latest_fork_usec")
            .parse::<i64>()
            .unwrap_or(0)
            > 0
    );
    assert_ne!(
        info(&mut c, "persistence", "rdb_last_bgsave_time_sec"),
        "-1"
    );
    assert_eq!(
        info(&mut c, "persistence", "rdb_current_bgsave_time_sec"),
        "-1"
    );
    wait_for(5, "the child's success in the log", || {
        has_msg(&sp, "Background saving terminated with success")
            && has_msg(&sp, "DB saved on disk")
    });
    let pid = bgsave_child_pid(&sp);
    assert!(!temp_file(&sp.dir, pid).exists(), "temp file left behind");

    // Inside MULTI a BGSAVE is only scheduled; the cron starts it.
    assert_eq!(c.cmd_str("MULTI"), b"+OK\r\n");
    assert_eq!(c.cmd_str("BGSAVE"), b"+QUEUED\r\n");
    assert_eq!(c.cmd_str("EXEC"), b"*1\r\n+Background saving scheduled\r\n");
    wait_for(5, "the scheduled BGSAVE to run", || {
        info(&mut c, "stats", "total_forks") == "2"
    });
    wait_bgsave_done(&mut c);
    assert_eq!(info(&mut c, "persistence", "rdb_saves"), "2");

    // A fresh server on the same directory loads it back.
    let dir = sp.dir.display().to_string();
    let sp2 = ServerProc::start(&["--enable-debug-command", "yes", "--dir", &dir]);
    let mut c2 = sp2.conn();
    assert_eq!(s(c2.cmd_str("DEBUG DIGEST")), digest);
    assert_eq!(
        info(&mut c2, "persistence", "rdb_last_load_keys_loaded"),
        "623"
    );
    let log = sp2.log();
    assert!(
        log.contains("Loading RDB produced by version 7.0.15"),
        "{log}"
    );
    assert!(
        log.contains("Done loading RDB, keys loaded: 623, keys expired: 0."),
        "{log}"
    );
    assert!(log.contains("DB loaded from disk: "), "{log}");
    drop(sp2);
    drop(sp);
}

#[test]
fn replies_while_a_child_runs_and_shutdown_kills_it() {
    let mut sp = ServerProc::start(&["--enable-debug-command", "yes"]);
    let mut c = sp.conn();
    assert_eq!(c.cmd_str("DEBUG POPULATE 100"), b"+OK\r\n");
    // 100 keys × 20 ms: the child runs for about 2 s.
    assert_eq!(c.cmd_str("CONFIG SET rdb-key-save-delay 20000"), b"+OK\r\n");
    assert_eq!(c.cmd_str("BGSAVE foo"), b"-ERR syntax error\r\n".to_vec());
    assert_eq!(c.cmd_str("BGSAVE"), b"+Background saving started\r\n");
    assert_eq!(
        c.cmd_str("BGSAVE"),
        b"-ERR Background save already in progress\r\n"
    );
    assert_eq!(
        c.cmd_str("BGSAVE SCHEDULE"),
        b"-ERR Background save already in progress\r\n"
    );
    assert_eq!(
        c.cmd_str("SAVE"),
        b"-ERR Background save already in progress\r\n"
    );
    assert_eq!(info(&mut c, "persistence", "rdb_bgsave_in_progress"), "1");
    assert_eq!(
        info(&mut c, "persistence", "current_save_keys_total"),
        "100"
    );
    assert_eq!(
        info(&mut c, "persistence", "rdb_current_bgsave_time_sec"),
        "0"
    );
    let pid = bgsave_child_pid(&sp);
    let tmp = temp_file(&sp.dir, pid);
    wait_for(3, "the child's temp file", || tmp.exists());
    // The parent keeps serving writes meanwhile.
    assert_eq!(c.cmd_str("SET during bgsave"), b"+OK\r\n");

    c.send_raw(b"SHUTDOWN NOSAVE\r\n");
    assert!(c.read_eof(), "SHUTDOWN closes the connection");
    assert!(
        sp.wait_exit(Duration::from_secs(5)).is_some(),
        "server did not exit"
    );
    assert!(!tmp.exists(), "temp file of the killed child left behind");
    assert!(has_msg(&sp, "There is a child saving an .rdb. Killing it!"));
    // The child was killed and reaped: no process is left behind.
    wait_for(3, "the child to be gone", || {
        !Path::new(&format!("/proc/{pid}")).exists()
    });
}

#[test]
fn flushall_kills_the_child_and_keeps_the_change_count() {
    let sp = ServerProc::start(&["--enable-debug-command", "yes"]);
    let mut c = sp.conn();
    for i in 0..50 {
        c.cmd_str(&format!("SET k{i} v"));
    }
    assert_eq!(
        c.cmd_str("CONFIG SET rdb-key-save-delay 100000"),
        b"+OK\r\n"
    );
    assert_eq!(c.cmd_str("BGSAVE"), b"+Background saving started\r\n");
    let pid = bgsave_child_pid(&sp);
    let tmp = temp_file(&sp.dir, pid);
    wait_for(3, "the child's temp file", || tmp.exists());
    assert_eq!(c.cmd_str("FLUSHALL"), b"+OK\r\n");
    // The child gets SIGUSR1; the cron reaps it soon after.
    wait_for(2, "the killed child to be reaped", || {
        info(&mut c, "persistence", "rdb_bgsave_in_progress") == "0"
    });
    assert!(!tmp.exists(), "temp file of the killed child left behind");
    // Killed on purpose (SIGUSR1): not an error, and nothing was saved.
    assert_eq!(info(&mut c, "persistence", "rdb_last_bgsave_status"), "ok");
    let changes: i64 = info(&mut c, "persistence", "rdb_changes_since_last_save")
        .parse()
        .unwrap_or(0);
    assert!(changes >= 100, "changes since last save: {changes}");
    assert!(has_msg(&sp, "Background saving terminated by signal 10"));
    assert_eq!(c.cmd_str("SET x y"), b"+OK\r\n");
}

#[test]
fn save_point_fires_and_failed_bgsave_gives_misconf() {
    let sp = ServerProc::start(&["--save", "1", "1", "--enable-protected-configs", "yes"]);
    let mut c = sp.conn();
    assert_eq!(c.cmd_str("SET a 1"), b"+OK\r\n");
    wait_for(5, "the save point to fire", || {
        has_msg(&sp, "1 changes in 1 seconds. Saving...")
    });
    wait_bgsave_done(&mut c);
    assert_eq!(info(&mut c, "persistence", "rdb_last_bgsave_status"), "ok");
    assert!(sp.dir.join("dump.rdb").exists());

    // A working directory that no longer exists: the child cannot create
    // its temp file, exits 1, and writes are refused.
    let gone = common::scratch_dir("gone");
    let gone_s = gone.display().to_string();
    assert_eq!(
        c.cmd(&[b"CONFIG", b"SET", b"dir", gone_s.as_bytes()]),
        b"+OK\r\n"
    );
    std::fs::remove_dir(&gone).expect("remove the new working dir");
    assert_eq!(c.cmd_str("BGSAVE"), b"+Background saving started\r\n");
    wait_bgsave_done(&mut c);
    assert!(has_msg(&sp, "Background saving error"));
    assert_eq!(info(&mut c, "persistence", "rdb_last_bgsave_status"), "err");
    let misconf = b"-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.\r\n";
    assert_eq!(c.cmd_str("SET a 2"), misconf.to_vec());
    assert_eq!(c.cmd_str("PING"), misconf.to_vec());
    assert_eq!(c.cmd_str("GET a"), b"$1\r\n1\r\n");
    // Inside MULTI the refusal aborts the transaction.
    assert_eq!(c.cmd_str("MULTI"), b"+OK\r\n");
    assert_eq!(c.cmd_str("INCR a"), misconf.to_vec());
    assert_eq!(
        c.cmd_str("EXEC"),
        b"-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    assert_eq!(
        c.cmd_str("CONFIG SET stop-writes-on-bgsave-error no"),
        b"+OK\r\n"
    );
    assert_eq!(c.cmd_str("SET a 3"), b"+OK\r\n");
    assert_eq!(
        c.cmd_str("CONFIG SET stop-writes-on-bgsave-error yes"),
        b"+OK\r\n"
    );
    // A good save clears the condition.
    let back = sp.dir.display().to_string();
    assert_eq!(
        c.cmd(&[b"CONFIG", b"SET", b"dir", back.as_bytes()]),
        b"+OK\r\n"
    );
    assert_eq!(c.cmd_str("SAVE"), b"+OK\r\n");
    assert_eq!(info(&mut c, "persistence", "rdb_last_bgsave_status"), "ok");
    assert_eq!(c.cmd_str("SET a 4"), b"+OK\r\n");
}

#[test]
fn slow_startup_load_answers_loading_and_reports_progress() {
    let sp = ServerProc::start(&["--enable-debug-command", "yes", "--rdbcompression", "no"]);
    let mut c = sp.conn();
    assert_eq!(c.cmd_str("DEBUG POPULATE 4000 key 500"), b"+OK\r\n");
    assert_eq!(c.cmd_str("SAVE"), b"+OK\r\n");
    let size = std::fs::metadata(sp.dir.join("dump.rdb"))
        .expect("dump.rdb")
        .len();
    let dir = sp.dir.display().to_string();
    drop(c);

    // 4000 keys × 500 µs ≈ 2 s of loading, serving clients every key.
    let sp2 = ServerProc::start(&[
        "--enable-debug-command",
        "yes",
        "--dir",
        &dir,
        "--key-load-delay",
        "500",
        "--loading-process-events-interval-bytes",
        "1024",
    ]);
    let mut c2 = sp2.conn();
    assert_eq!(
        c2.cmd_str("PING"),
        b"-LOADING Redis is loading the dataset in memory\r\n"
    );
    assert_eq!(
        c2.cmd_str("GET key:1"),
        b"-LOADING Redis is loading the dataset in memory\r\n"
    );
    let t = s(c2.cmd(&[b"INFO", b"persistence"]));
    assert_eq!(info_field(&t, "loading").as_deref(), Some("1"), "{t}");
    assert_eq!(
        info_field(&t, "loading_total_bytes"),
        Some(size.to_string()),
        "{t}"
    );
    let loaded: u64 = info_field(&t, "loading_loaded_bytes")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(loaded > 0 && loaded < size, "loaded {loaded} of {size}");
    for f in [
        "loading_start_time",
        "loading_loaded_perc",
        "loading_eta_seconds",
        "loading_rdb_used_mem",
    ] {
        assert!(info_field(&t, f).is_some(), "{f} missing: {t}");
    }
    wait_for(20, "loading to finish", || {
        c2.cmd_str("PING") == b"+PONG\r\n"
    });
    let t = s(c2.cmd(&[b"INFO", b"persistence"]));
    assert_eq!(info_field(&t, "loading").as_deref(), Some("0"));
    assert!(info_field(&t, "loading_total_bytes").is_none());
    assert_eq!(c2.cmd_str("DBSIZE"), b":4000\r\n");
    let log = sp2.log();
    assert!(
        log.contains("Done loading RDB, keys loaded: 4000, keys expired: 0."),
        "{log}"
    );
    assert!(log.contains("RDB age "), "{log}");
    assert!(log.contains("RDB memory usage when created "), "{log}");
}

#[test]
fn sigterm_during_startup_load_exits_without_saving() {
    let sp = ServerProc::start(&["--enable-debug-command", "yes"]);
    let mut c = sp.conn();
    assert_eq!(c.cmd_str("DEBUG POPULATE 3000"), b"+OK\r\n");
    assert_eq!(c.cmd_str("SAVE"), b"+OK\r\n");
    let dump = sp.dir.join("dump.rdb");
    let before = std::fs::read(&dump).expect("dump.rdb");
    let dir = sp.dir.display().to_string();
    drop(c);

    // 3000 keys × 2 ms: loading would take 6 s; a save point is configured,
    // but nothing may be saved from a half-loaded dataset.
    let mut sp2 = ServerProc::start(&[
        "--dir",
        &dir,
        "--save",
        "1",
        "1",
        "--key-load-delay",
        "2000",
        "--loading-process-events-interval-bytes",
        "1024",
    ]);
    let mut c2 = sp2.conn();
    assert_eq!(
        c2.cmd_str("PING"),
        b"-LOADING Redis is loading the dataset in memory\r\n"
    );
    let pid = sp2.child.id().to_string();
    let st = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(st.success());
    let status = sp2
        .wait_exit(Duration::from_secs(3))
        .expect("the server exits during loading");
    assert_eq!(status.code(), Some(0));
    let log = sp2.log();
    assert!(
        log.contains("Received shutdown signal during loading, scheduling shutdown."),
        "{log}"
    );
    assert!(!log.contains("Saving the final RDB snapshot"), "{log}");
    assert_eq!(std::fs::read(&dump).expect("dump.rdb"), before);
    drop(sp);
}

#[test]
fn debug_reload_serves_others_with_loading_and_keeps_its_own_input() {
    let sp = ServerProc::start(&["--enable-debug-command", "yes"]);
    let mut a = sp.conn();
    assert_eq!(a.cmd_str("DEBUG POPULATE 2000"), b"+OK\r\n");
    let digest = s(a.cmd_str("DEBUG DIGEST"));
    assert_eq!(a.cmd_str("CONFIG SET key-load-delay 500"), b"+OK\r\n");
    assert_eq!(
        a.cmd_str("CONFIG SET loading-process-events-interval-bytes 1024"),
        b"+OK\r\n"
    );
    // 2000 keys × 0.5 ms: the reload takes about a second.
    a.send_raw(b"DEBUG RELOAD\r\n");
    std::thread::sleep(Duration::from_millis(200));
    // Sent while the reload runs: it must be served after it.
    a.send_raw(b"PING\r\n");
    let mut b = sp.conn();
    assert_eq!(
        b.cmd_str("GET key:1"),
        b"-LOADING Redis is loading the dataset in memory\r\n"
    );
    assert!(s(b.cmd(&[b"INFO", b"persistence"])).contains("loading:1"));
    assert_eq!(a.read_reply(), b"+OK\r\n");
    assert_eq!(a.read_reply(), b"+PONG\r\n");
    assert_eq!(b.cmd_str("DBSIZE"), b":2000\r\n");
    assert_eq!(s(b.cmd_str("DEBUG DIGEST")), digest);
}
