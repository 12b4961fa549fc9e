//! Transactions: MULTI / EXEC / DISCARD, queue-time and run-time errors,
//! WATCH invalidation (writes by any client, EXPIRE, lazy and active expiry,
//! FLUSHDB / FLUSHALL, SWAPDB, other databases, already expired keys),
//! UNWATCH, RESET, CLIENT LIST's transaction fields and errorstats.
//!
//! Expectations are Redis 7.0.15's; the tests pass against Debian's
//! redis-server with `RUSTREDIS_BIN=/usr/bin/redis-server`.

mod common;

use common::{Conn, ServerProc, info_field, s};
use std::time::{Duration, Instant};

/// Debug commands are needed to switch active expiry off.
const ARGS: &[&str] = &["--enable-debug-command", "yes"];

fn start() -> (ServerProc, Conn) {
    let srv = ServerProc::start(ARGS);
    let c = srv.conn();
    (srv, c)
}

fn run(c: &mut Conn, line: &str) -> String {
    s(c.cmd_str(line))
}

/// Runs `lines` in order and returns their replies, concatenated.
fn run_all(c: &mut Conn, lines: &[&str]) -> Vec<String> {
    lines.iter().map(|l| run(c, l)).collect()
}

/// MULTI, the given commands (each must be QUEUED), EXEC's reply.
fn transaction(c: &mut Conn, cmds: &[&str]) -> String {
    assert_eq!(run(c, "MULTI"), "+OK\r\n");
    for l in cmds {
        assert_eq!(run(c, l), "+QUEUED\r\n", "{l}");
    }
    run(c, "EXEC")
}

/// A transaction of one PING after the current WATCHes: "*1 +PONG" when it
/// ran, the null array when a watched key was touched.
fn exec_ping(c: &mut Conn) -> String {
    transaction(c, &["PING"])
}

const RAN: &str = "*1\r\n+PONG\r\n";
const ABORTED: &str = "*-1\r\n";

fn client_list_field(c: &mut Conn, id: &str, field: &str) -> String {
    let list = run(c, "CLIENT LIST");
    let line = list
        .lines()
        .find(|l| l.contains(&format!("id={id} ")))
        .unwrap_or_else(|| panic!("client {id} not in {list}"))
        .to_string();
    line.split(' ')
        .find_map(|kv| kv.strip_prefix(&format!("{field}=")))
        .unwrap_or_else(|| panic!("no {field} in {line}"))
        .to_string()
}

fn client_id(c: &mut Conn) -> String {
    let r = run(c, "CLIENT ID");
    r.trim_start_matches(':').trim_end().to_string()
}

#[test]
fn multi_exec_basics() {
    let (_srv, mut c) = start();
    assert_eq!(
        transaction(&mut c, &["SET a 1", "INCR a", "GET a", "PING"]),
        "*4\r\n+OK\r\n:2\r\n$1\r\n2\r\n+PONG\r\n"
    );
    // An empty transaction.
    assert_eq!(transaction(&mut c, &[]), "*0\r\n");
    // DISCARD drops the queue.
    assert_eq!(run(&mut c, "MULTI"), "+OK\r\n");
    assert_eq!(run(&mut c, "DEL a"), "+QUEUED\r\n");
    assert_eq!(run(&mut c, "DISCARD"), "+OK\r\n");
    assert_eq!(run(&mut c, "GET a"), "$1\r\n2\r\n");
    // Out of MULTI.
    assert_eq!(run(&mut c, "EXEC"), "-ERR EXEC without MULTI\r\n");
    assert_eq!(run(&mut c, "DISCARD"), "-ERR DISCARD without MULTI\r\n");
    // SELECT inside a transaction changes the connection's database.
    assert_eq!(
        transaction(&mut c, &["SELECT 3", "SET x 3"]),
        "*2\r\n+OK\r\n+OK\r\n"
    );
    assert_eq!(run(&mut c, "GET x"), "$1\r\n3\r\n");
    run(&mut c, "SELECT 0");
    // A queued command is not run until EXEC.
    let mut other = _srv.conn();
    assert_eq!(run(&mut c, "MULTI"), "+OK\r\n");
    assert_eq!(run(&mut c, "SET queued 1"), "+QUEUED\r\n");
    assert_eq!(run(&mut other, "EXISTS queued"), ":0\r\n");
    assert_eq!(run(&mut c, "EXEC"), "*1\r\n+OK\r\n");
    assert_eq!(run(&mut other, "EXISTS queued"), ":1\r\n");
}

#[test]
fn nesting_and_watch_inside_multi_do_not_abort() {
    let (_srv, mut c) = start();
    assert_eq!(
        run_all(
            &mut c,
            &["MULTI", "SET k v", "MULTI", "WATCH k", "EXEC", "GET k"]
        ),
        vec![
            "+OK\r\n",
            "+QUEUED\r\n",
            "-ERR MULTI calls can not be nested\r\n",
            "-ERR WATCH inside MULTI is not allowed\r\n",
            "*1\r\n+OK\r\n",
            "$1\r\nv\r\n",
        ]
    );
}

#[test]
fn queue_time_errors_abort_exec() {
    let (_srv, mut c) = start();
    let execabort = "-EXECABORT Transaction discarded because of previous errors.\r\n";
    // Unknown command.
    assert_eq!(run(&mut c, "MULTI"), "+OK\r\n");
    assert_eq!(run(&mut c, "SET foo1 bar1"), "+QUEUED\r\n");
    assert_eq!(
        run(&mut c, "NON-EXISTING-COMMAND x"),
        "-ERR unknown command 'NON-EXISTING-COMMAND', with args beginning with: 'x' \r\n"
    );
    assert_eq!(run(&mut c, "SET foo2 bar2"), "+QUEUED\r\n");
    assert_eq!(run(&mut c, "EXEC"), execabort);
    assert_eq!(run(&mut c, "EXISTS foo1 foo2"), ":0\r\n");
    // The client left MULTI.
    assert_eq!(run(&mut c, "PING"), "+PONG\r\n");
    // Wrong arity.
    assert_eq!(run(&mut c, "MULTI"), "+OK\r\n");
    assert_eq!(
        run(&mut c, "SET a"),
        "-ERR wrong number of arguments for 'set' command\r\n"
    );
    assert_eq!(run(&mut c, "EXEC"), execabort);
    // Unknown subcommand.
    assert_eq!(run(&mut c, "MULTI"), "+OK\r\n");
    assert_eq!(
        run(&mut c, "CLIENT NOSUCH"),
        "-ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.\r\n"
    );
    assert_eq!(run(&mut c, "EXEC"), execabort);
    // A command that cannot run in a transaction.
    assert_eq!(run(&mut c, "MULTI"), "+OK\r\n");
    assert_eq!(run(&mut c, "SET foo bar"), "+QUEUED\r\n");
    assert_eq!(
        run(&mut c, "SAVE"),
        "-ERR Command not allowed inside a transaction\r\n"
    );
    assert_eq!(run(&mut c, "EXEC"), execabort);
    assert_eq!(run(&mut c, "GET foo"), "$-1\r\n");
    // Commands after the error are still answered QUEUED.
    assert_eq!(run(&mut c, "MULTI"), "+OK\r\n");
    assert_eq!(
        run(&mut c, "GETX"),
        "-ERR unknown command 'GETX', with args beginning with: \r\n"
    );
    assert_eq!(run(&mut c, "SET foo bar"), "+QUEUED\r\n");
    assert_eq!(run(&mut c, "DISCARD"), "+OK\r\n");
    // EXEC itself with arguments aborts the transaction.
    assert_eq!(run(&mut c, "MULTI"), "+OK\r\n");
    assert_eq!(run(&mut c, "SET foo bar"), "+QUEUED\r\n");
    assert_eq!(
        run(&mut c, "EXEC now"),
        "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n"
    );
    assert_eq!(run(&mut c, "EXEC"), "-ERR EXEC without MULTI\r\n");
    assert_eq!(run(&mut c, "GET foo"), "$-1\r\n");
}

#[test]
fn run_time_errors_do_not_stop_the_others() {
    let (_srv, mut c) = start();
    assert_eq!(run(&mut c, "SET s notanumber"), "+OK\r\n");
    assert_eq!(
        transaction(
            &mut c,
            &["SET a 1", "INCR s", "INCR a", "GETRANGE s x y", "GET a"]
        ),
        "*5\r\n+OK\r\n-ERR value is not an integer or out of range\r\n:2\r\n-ERR value is not an integer or out of range\r\n$1\r\n2\r\n"
    );
}

#[test]
fn watch_fails_exec_on_any_write() {
    let (srv, mut c) = start();
    let mut other = srv.conn();
    // Not modified.
    run_all(&mut c, &["SET x 30", "WATCH x y z", "WATCH k"]);
    assert_eq!(exec_ping(&mut c), RAN);
    // Modified by another client (1 key of 5 watched).
    run_all(&mut c, &["SET x 30", "WATCH a b x k z"]);
    assert_eq!(run(&mut other, "SET x 40"), "+OK\r\n");
    assert_eq!(exec_ping(&mut c), ABORTED);
    // Modified by the client itself.
    run_all(&mut c, &["WATCH x", "INCR x"]);
    assert_eq!(exec_ping(&mut c), ABORTED);
    // Each write family touches.
    for write in [
        "DEL x",
        "APPEND x 1",
        "INCRBYFLOAT x 1.5",
        "SETRANGE x 0 9",
        "EXPIRE x 100",
        "PERSIST x",
        "GETDEL x",
        "RENAME x y",
        "MSET x 1",
        "GETSET x 2",
    ] {
        run_all(&mut c, &["SET x 1", "EXPIRE x 1000", "WATCH x"]);
        run(&mut other, write);
        assert_eq!(exec_ping(&mut c), ABORTED, "{write}");
    }
    // The target of a RENAME is touched too.
    run_all(&mut c, &["SET src 1", "WATCH dst"]);
    run(&mut other, "RENAME src dst");
    assert_eq!(exec_ping(&mut c), ABORTED);
    // A write that changes nothing does not touch.
    run_all(&mut c, &["SET x 1", "WATCH x"]);
    run_all(
        &mut other,
        &["SETNX x 2", "DEL nosuchkey", "PERSIST x", "EXPIRE nokey 10"],
    );
    assert_eq!(exec_ping(&mut c), RAN);
    // After EXEC (ran or aborted) nothing is watched any more.
    run_all(&mut c, &["WATCH x"]);
    assert_eq!(exec_ping(&mut c), RAN);
    run(&mut other, "SET x 40");
    assert_eq!(exec_ping(&mut c), RAN);
    run_all(&mut c, &["WATCH x", "SET x 40"]);
    assert_eq!(exec_ping(&mut c), ABORTED);
    run(&mut c, "SET x 40");
    assert_eq!(exec_ping(&mut c), RAN);
}

#[test]
fn watch_fails_exec_in_resp3_with_null() {
    let (_srv, mut c) = start();
    assert!(run(&mut c, "HELLO 3").starts_with('%'));
    run_all(&mut c, &["WATCH x", "SET x 1"]);
    assert_eq!(exec_ping(&mut c), "_\r\n");
}

#[test]
fn unwatch_and_discard_forget_watches() {
    let (_srv, mut c) = start();
    run_all(&mut c, &["SET x 30", "WATCH x", "SET x 40", "UNWATCH"]);
    assert_eq!(exec_ping(&mut c), RAN);
    assert_eq!(run(&mut c, "UNWATCH"), "+OK\r\n");
    // DISCARD clears the dirty flag...
    run_all(&mut c, &["WATCH x", "SET x 10", "MULTI", "DISCARD"]);
    assert_eq!(transaction(&mut c, &["INCR x"]), "*1\r\n:11\r\n");
    // ...and unwatches.
    run_all(&mut c, &["WATCH x", "MULTI", "DISCARD", "SET x 10"]);
    assert_eq!(transaction(&mut c, &["INCR x"]), "*1\r\n:11\r\n");
    // RESET too.
    run_all(&mut c, &["WATCH x", "SET x 10"]);
    assert_eq!(run(&mut c, "RESET"), "+RESET\r\n");
    assert_eq!(transaction(&mut c, &["INCR x"]), "*1\r\n:11\r\n");
    // RESET inside MULTI leaves MULTI.
    run_all(&mut c, &["MULTI", "SET x 5"]);
    assert_eq!(run(&mut c, "RESET"), "+RESET\r\n");
    assert_eq!(run(&mut c, "EXEC"), "-ERR EXEC without MULTI\r\n");
    assert_eq!(run(&mut c, "GET x"), "$2\r\n11\r\n");
}

#[test]
fn watch_remembers_the_database() {
    let (srv, mut c) = start();
    let mut other = srv.conn();
    run_all(&mut c, &["SELECT 5", "SET x 30", "WATCH x"]);
    run_all(&mut other, &["SELECT 1", "SET x 10"]);
    assert_eq!(exec_ping(&mut c), RAN);
    run_all(&mut c, &["WATCH x"]);
    run_all(&mut other, &["SELECT 5", "SET x 10"]);
    assert_eq!(exec_ping(&mut c), ABORTED);
    // Watching keys of two databases.
    run_all(&mut c, &["SELECT 2", "WATCH y", "SELECT 3", "WATCH y"]);
    run_all(&mut other, &["SELECT 2", "SET y 1"]);
    assert_eq!(exec_ping(&mut c), ABORTED);
}

#[test]
fn watch_and_expiry() {
    let (_srv, mut c) = start();
    assert_eq!(run(&mut c, "DEBUG SET-ACTIVE-EXPIRE 0"), "+OK\r\n");
    // A key that expires between WATCH and EXEC fails the EXEC, even
    // before anything deletes it.
    run_all(&mut c, &["SET key 1 PX 100", "WATCH key"]);
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(run(&mut c, "MULTI"), "+OK\r\n");
    assert_eq!(run(&mut c, "INCR key"), "+QUEUED\r\n");
    assert_eq!(run(&mut c, "EXEC"), ABORTED);
    // Watching a key that is already expired does not fail EXEC...
    run_all(&mut c, &["SET x foo PX 1"]);
    std::thread::sleep(Duration::from_millis(5));
    run(&mut c, "WATCH x");
    assert_eq!(exec_ping(&mut c), RAN);
    // ...nor when its lazy deletion happens meanwhile...
    run_all(&mut c, &["SET x foo PX 1"]);
    std::thread::sleep(Duration::from_millis(5));
    run(&mut c, "WATCH x");
    assert_eq!(run(&mut c, "EXISTS x"), ":0\r\n");
    assert_eq!(exec_ping(&mut c), RAN);
    // ...nor a FLUSHDB of it...
    run_all(&mut c, &["SET x foo PX 1"]);
    std::thread::sleep(Duration::from_millis(5));
    run_all(&mut c, &["WATCH x", "FLUSHDB"]);
    assert_eq!(exec_ping(&mut c), RAN);
    // ...but setting it again does.
    run_all(&mut c, &["SET x foo PX 1"]);
    std::thread::sleep(Duration::from_millis(5));
    run_all(&mut c, &["WATCH x", "SET x bar"]);
    assert_eq!(exec_ping(&mut c), ABORTED);
    assert_eq!(run(&mut c, "DEBUG SET-ACTIVE-EXPIRE 1"), "+OK\r\n");
}

#[test]
fn watch_touched_by_active_expiry() {
    let (_srv, mut c) = start();
    run_all(&mut c, &["SET x foo", "PEXPIRE x 200", "WATCH x"]);
    // Wait for the active expire cycle to delete the key.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let info = run(&mut c, "INFO keyspace");
        if !info.contains("db0:") {
            break;
        }
        assert!(Instant::now() < deadline, "key never expired");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(exec_ping(&mut c), ABORTED);
}

#[test]
fn flush_touches_existing_watched_keys_only() {
    let (_srv, mut c) = start();
    for flush in ["FLUSHALL", "FLUSHDB"] {
        run_all(&mut c, &["SET x 30", "WATCH x", flush]);
        assert_eq!(exec_ping(&mut c), ABORTED, "{flush}");
        run_all(&mut c, &["DEL x", "WATCH x", flush]);
        assert_eq!(exec_ping(&mut c), RAN, "{flush}");
    }
    // FLUSHALL reaches other databases.
    run_all(
        &mut c,
        &["SELECT 4", "SET y 1", "WATCH y", "SELECT 0", "FLUSHALL"],
    );
    assert_eq!(exec_ping(&mut c), ABORTED);
    // FLUSHDB does not.
    run_all(
        &mut c,
        &["SELECT 4", "SET y 1", "WATCH y", "SELECT 0", "FLUSHDB"],
    );
    assert_eq!(exec_ping(&mut c), RAN);
    // Several keys watched by one client.
    run_all(
        &mut c,
        &["FLUSHALL", "MSET a a b b", "WATCH b a", "FLUSHALL"],
    );
    assert_eq!(run(&mut c, "PING"), "+PONG\r\n");
    assert_eq!(exec_ping(&mut c), ABORTED);
}

#[test]
fn swapdb_touches_watched_keys() {
    let (_srv, mut c) = start();
    // A key that exists and goes away.
    run_all(
        &mut c,
        &["FLUSHALL", "SELECT 0", "SET x 30", "WATCH x", "SWAPDB 0 1"],
    );
    assert_eq!(exec_ping(&mut c), ABORTED);
    // A missing key that appears.
    run_all(
        &mut c,
        &[
            "FLUSHALL",
            "SELECT 1",
            "SET x 30",
            "SELECT 0",
            "WATCH x",
            "SWAPDB 0 1",
        ],
    );
    assert_eq!(exec_ping(&mut c), ABORTED);
    // Neither side has it.
    run_all(&mut c, &["FLUSHALL", "SELECT 0", "WATCH x", "SWAPDB 0 1"]);
    assert_eq!(exec_ping(&mut c), RAN);
    assert_eq!(run(&mut c, "DEBUG SET-ACTIVE-EXPIRE 0"), "+OK\r\n");
    // An expired key replaced with nothing.
    run_all(&mut c, &["FLUSHALL", "SELECT 1", "SET x foo PX 1"]);
    std::thread::sleep(Duration::from_millis(5));
    run_all(&mut c, &["WATCH x", "SWAPDB 0 1"]);
    assert_eq!(exec_ping(&mut c), RAN);
    // Nothing replaced with an expired key.
    run_all(&mut c, &["FLUSHALL", "SELECT 0", "SET x foo PX 1"]);
    std::thread::sleep(Duration::from_millis(5));
    run_all(&mut c, &["SELECT 1", "WATCH x", "SWAPDB 0 1"]);
    assert_eq!(exec_ping(&mut c), RAN);
    // An expired key replaced with another expired key.
    run_all(
        &mut c,
        &[
            "FLUSHALL",
            "SELECT 1",
            "SET x foo PX 1",
            "SELECT 0",
            "SET x bar PX 1",
        ],
    );
    std::thread::sleep(Duration::from_millis(5));
    run_all(&mut c, &["SELECT 1", "WATCH x", "SWAPDB 0 1"]);
    assert_eq!(exec_ping(&mut c), RAN);
    assert_eq!(run(&mut c, "DEBUG SET-ACTIVE-EXPIRE 1"), "+OK\r\n");
}

#[test]
fn client_list_shows_transaction_state() {
    let (srv, mut c) = start();
    let mut obs = srv.conn();
    let id = client_id(&mut c);
    assert_eq!(client_list_field(&mut obs, &id, "flags"), "N");
    assert_eq!(client_list_field(&mut obs, &id, "multi"), "-1");
    run_all(&mut c, &["MULTI", "SET a b", "SET abc defgh", "GET x"]);
    assert_eq!(client_list_field(&mut obs, &id, "flags"), "x");
    assert_eq!(client_list_field(&mut obs, &id, "multi"), "3");
    // Queued argument bytes plus one pointer per argument, as Redis counts them.
    assert_eq!(client_list_field(&mut obs, &id, "multi-mem"), "84");
    assert_eq!(client_list_field(&mut obs, &id, "cmd"), "get");
    run(&mut c, "DISCARD");
    run_all(&mut c, &["WATCH k1 k2"]);
    assert_eq!(client_list_field(&mut obs, &id, "flags"), "N");
    run(&mut obs, "SET k2 x");
    assert_eq!(client_list_field(&mut obs, &id, "flags"), "d");
    run(&mut c, "MULTI");
    assert_eq!(client_list_field(&mut obs, &id, "flags"), "xd");
    assert_eq!(run(&mut c, "EXEC"), ABORTED);
    assert_eq!(client_list_field(&mut obs, &id, "flags"), "N");
}

#[test]
fn watching_client_disconnects() {
    let (srv, mut c) = start();
    {
        let mut gone = srv.conn();
        run_all(&mut gone, &["WATCH x y", "MULTI", "SET x 1"]);
    }
    std::thread::sleep(Duration::from_millis(100));
    // The server forgot the watcher: writes and other watchers work.
    run_all(&mut c, &["WATCH x"]);
    assert_eq!(run(&mut c, "SET y 2"), "+OK\r\n");
    assert_eq!(exec_ping(&mut c), RAN);
    assert_eq!(run(&mut c, "EXISTS x"), ":0\r\n");
}

#[test]
fn errorstats_of_transactions() {
    let (_srv, mut c) = start();
    run(&mut c, "CONFIG RESETSTAT");
    run_all(&mut c, &["MULTI", "SET a b", "AUTH a"]);
    let r = run(&mut c, "EXEC");
    assert!(r.starts_with("*2\r\n+OK\r\n-ERR AUTH"), "{r}");
    let stats = run(&mut c, "INFO commandstats");
    assert!(stats.contains("cmdstat_set:calls=1,"), "{stats}");
    assert!(
        stats
            .lines()
            .any(|l| l.starts_with("cmdstat_auth:calls=1,") && l.ends_with("failed_calls=1")),
        "{stats}"
    );
    assert!(
        stats
            .lines()
            .any(|l| l.starts_with("cmdstat_exec:calls=1,") && l.ends_with("failed_calls=0")),
        "{stats}"
    );
    // A rejected command inside MULTI.
    run(&mut c, "CONFIG RESETSTAT");
    run_all(&mut c, &["MULTI", "SET"]);
    assert!(run(&mut c, "EXEC").starts_with("-EXECABORT"));
    let info = run(&mut c, "INFO everything");
    assert_eq!(
        info_field(&info, "total_error_replies").as_deref(),
        Some("2")
    );
    assert!(info.contains("errorstat_EXECABORT:count=1"), "{info}");
    assert!(
        info.lines()
            .any(|l| l.starts_with("cmdstat_set:calls=0,") && l.contains("rejected_calls=1")),
        "{info}"
    );
}

#[test]
fn pipelined_transaction() {
    let (_srv, mut c) = start();
    let mut all = Vec::new();
    for l in ["MULTI", "SET p 1", "INCRBY p 5", "GET p", "EXEC"] {
        let args = common::split_args(l);
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        all.extend(common::encode_command(&refs));
    }
    c.send_raw(&all);
    let replies: Vec<String> = (0..5).map(|_| s(c.read_reply())).collect();
    assert_eq!(
        replies,
        vec![
            "+OK\r\n",
            "+QUEUED\r\n",
            "+QUEUED\r\n",
            "+QUEUED\r\n",
            "*3\r\n+OK\r\n:6\r\n$1\r\n6\r\n"
        ]
    );
}
