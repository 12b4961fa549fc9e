//! Lua scripting against the running binary: busy scripts (BUSY replies to
//! other clients, SCRIPT KILL, UNKILLABLE, SHUTDOWN NOSAVE), scripts inside
//! MULTI, blocking commands and `noscript` commands from scripts, DEBUG
//! SET-DISABLE-DENY-SCRIPTS, and the INFO memory fields of the script
//! cache. Reply texts are Redis 7.0.15's; the conversions and error texts
//! are compared byte for byte with redis-server in `tests/diff/90_scripting.txt`.

mod common;

use std::time::Duration;

use common::{Conn, ServerProc, info_field, s};

const BUSY: &[u8] =
    b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";

fn sha1hex(body: &str) -> String {
    use sha1::{Digest, Sha1};
    Sha1::digest(body.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Starts `script` on a connection of its own (not waiting for the reply)
/// and waits until other clients get BUSY.
fn start_busy(sp: &ServerProc, script: &str) -> Conn {
    let mut a = sp.conn();
    a.send_raw(&common::encode_command(&[b"EVAL", script.as_bytes(), b"0"]));
    let mut b = sp.conn();
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(20));
        if b.cmd(&[b"PING"]) == BUSY {
            return a;
        }
    }
    panic!("the script never became busy");
}

#[test]
fn busy_script_is_killed_by_script_kill() {
    let sp = ServerProc::start(&["--busy-reply-threshold", "100"]);
    let script = "local i = 0 while true do i = i + 1 end";
    let mut a = start_busy(&sp, script);
    let mut b = sp.conn();
    // Other commands get BUSY, SHUTDOWN without NOSAVE too.
    assert_eq!(b.cmd(&[b"GET", b"x"]), BUSY);
    assert_eq!(b.cmd(&[b"SHUTDOWN"]), BUSY);
    assert_eq!(b.cmd(&[b"SCRIPT", b"KILL"]), b"+OK\r\n");
    let want = format!(
        "-ERR Script killed by user with SCRIPT KILL... script: {}, on @user_script:1.\r\n",
        sha1hex(script)
    );
    assert_eq!(s(a.read_reply()), want);
    // Both links are usable afterwards.
    assert_eq!(a.cmd(&[b"PING"]), b"+PONG\r\n");
    assert_eq!(b.cmd(&[b"PING"]), b"+PONG\r\n");
    assert_eq!(
        b.cmd(&[b"SCRIPT", b"KILL"]),
        b"-NOTBUSY No scripts in execution right now.\r\n"
    );
    let log = sp.log();
    assert!(
        log.contains("Slow script detected: still in execution after"),
        "{log}"
    );
    assert!(
        log.contains("Lua script killed by user with SCRIPT KILL."),
        "{log}"
    );
}

#[test]
fn pcall_cannot_swallow_script_kill() {
    let sp = ServerProc::start(&["--busy-reply-threshold", "50"]);
    let script =
        "local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end";
    let mut a = start_busy(&sp, script);
    let mut b = sp.conn();
    assert_eq!(b.cmd(&[b"SCRIPT", b"KILL"]), b"+OK\r\n");
    let r = s(a.read_reply());
    assert!(
        r.starts_with("-ERR Script killed by user with SCRIPT KILL..."),
        "{r}"
    );
    assert_eq!(b.cmd(&[b"PING"]), b"+PONG\r\n");
}

#[test]
fn script_that_wrote_is_unkillable_but_shutdown_nosave_stops_it() {
    let mut sp = ServerProc::start(&["--busy-reply-threshold", "100"]);
    let _a = start_busy(&sp, "redis.call('set','k','v') while true do end");
    let mut b = sp.conn();
    assert_eq!(
        s(b.cmd(&[b"SCRIPT", b"KILL"])),
        "-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.\r\n"
    );
    b.send_raw(&common::encode_command(&[b"SHUTDOWN", b"NOSAVE"]));
    let st = sp.wait_exit(Duration::from_secs(5));
    assert!(st.is_some(), "the server did not exit on SHUTDOWN NOSAVE");
}

#[test]
fn scripts_in_multi_blocking_and_noscript_commands() {
    let sp = ServerProc::start(&["--enable-debug-command", "yes"]);
    let mut c = sp.conn();
    // EVAL inside MULTI is queued and runs in EXEC.
    assert_eq!(c.cmd_str("MULTI"), b"+OK\r\n");
    assert_eq!(
        c.cmd_str("EVAL \"return redis.call('incr',KEYS[1])\" 1 cnt"),
        b"+QUEUED\r\n"
    );
    assert_eq!(
        c.cmd_str("EVAL \"return redis.call('incr','cnt')\" 0"),
        b"+QUEUED\r\n"
    );
    assert_eq!(c.cmd_str("EXEC"), b"*2\r\n:1\r\n:2\r\n");
    // noscript commands are refused, unless DEBUG SET-DISABLE-DENY-SCRIPTS.
    let watch = "EVAL \"return redis.call('watch','x')\" 0";
    let r = s(c.cmd_str(watch));
    assert!(
        r.starts_with("-ERR This Redis command is not allowed from script script: "),
        "{r}"
    );
    assert_eq!(c.cmd_str("DEBUG SET-DISABLE-DENY-SCRIPTS 1"), b"+OK\r\n");
    assert_eq!(c.cmd_str(watch), b"+OK\r\n");
    // Blocking commands (noscript in 7.0) do not block inside scripts.
    assert_eq!(
        c.cmd_str("EVAL \"return redis.call('blpop','nolist',0)\" 0"),
        b"$-1\r\n"
    );
    assert_eq!(c.cmd_str("DEBUG SET-DISABLE-DENY-SCRIPTS 0"), b"+OK\r\n");
    assert!(s(c.cmd_str(watch)).starts_with("-ERR This Redis command"));
    // Keys not declared in KEYS are reachable.
    assert_eq!(c.cmd_str("SET undeclared 1"), b"+OK\r\n");
    assert_eq!(
        c.cmd_str("EVAL \"return redis.call('get','undeclared')\" 0"),
        b"$1\r\n1\r\n"
    );
}

#[test]
fn info_memory_counts_cached_scripts() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    let mem = |c: &mut Conn| s(c.cmd(&[b"INFO", b"memory"]));
    let info = mem(&mut c);
    assert_eq!(
        info_field(&info, "number_of_cached_scripts").as_deref(),
        Some("0")
    );
    assert_eq!(
        info_field(&info, "used_memory_scripts_eval").as_deref(),
        Some("0")
    );
    c.cmd_str("SCRIPT LOAD \"return 1\"");
    c.cmd_str("EVAL \"return 2\" 0");
    let info = mem(&mut c);
    assert_eq!(
        info_field(&info, "number_of_cached_scripts").as_deref(),
        Some("2")
    );
    let scripts: u64 = info_field(&info, "used_memory_scripts_eval")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(scripts > 0, "{info}");
    let lua: u64 = info_field(&info, "used_memory_lua")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(lua > 0 && lua.is_multiple_of(1024), "{info}");
    assert_eq!(
        info_field(&info, "used_memory_vm_eval"),
        info_field(&info, "used_memory_lua")
    );
    assert_eq!(c.cmd_str("SCRIPT FLUSH"), b"+OK\r\n");
    let info = mem(&mut c);
    assert_eq!(
        info_field(&info, "number_of_cached_scripts").as_deref(),
        Some("0")
    );
}

/// The script cache holds any number of scripts (mlua's per-handle limit
/// of about 8,000 once refused the 7,990th SCRIPT LOAD), and each still runs.
#[test]
fn script_cache_holds_twenty_thousand_scripts() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    let n = 20_000;
    let mut buf = Vec::new();
    for j in 0..n {
        let body = format!("return {j}");
        buf.extend(common::encode_command(&[
            b"SCRIPT",
            b"LOAD",
            body.as_bytes(),
        ]));
    }
    c.send_raw(&buf);
    for j in 0..n {
        let want = format!("$40\r\n{}\r\n", sha1hex(&format!("return {j}")));
        assert_eq!(s(c.read_reply()), want, "SCRIPT LOAD #{j}");
    }
    for j in [0, 7_999, n - 1] {
        let sha = sha1hex(&format!("return {j}"));
        assert_eq!(
            s(c.cmd(&[b"EVALSHA", sha.as_bytes(), b"0"])),
            format!(":{j}\r\n")
        );
    }
    let info = s(c.cmd(&[b"INFO", b"memory"]));
    assert_eq!(
        info_field(&info, "number_of_cached_scripts"),
        Some(n.to_string())
    );
}
