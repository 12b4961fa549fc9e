//! SCRIPT DEBUG and the Lua debugger (LDB): the same debugging sessions
//! are run against rustredis and redis-server 7.0.15 over raw sockets, and
//! every reply of the session (the debugger's log arrays, `<endsession>`,
//! EVAL's own reply, the disconnection) must be byte-identical.

mod common;

use common::{Conn, ServerProc, encode_command, escape};

/// One debugger step: a command, or raw bytes sent as they are.
enum Step<'a> {
    Cmd(&'a [&'a str]),
    Raw(&'a [u8]),
}

/// Runs a session: SCRIPT DEBUG `mode`, EVAL `script` with `keys` and
/// `args`, then each step, reading one reply per step (the last step ends
/// the session); returns those replies, then everything sent until the
/// server closed the connection (as one last entry).
fn session(
    port: u16,
    mode: &str,
    script: &str,
    keys: &[&str],
    args: &[&str],
    steps: &[Step],
) -> Vec<Vec<u8>> {
    let mut c = Conn::connect(port);
    let mut out = vec![c.cmd(&[b"script", b"debug", mode.as_bytes()])];
    let nk = keys.len().to_string();
    let mut eval: Vec<&[u8]> = vec![b"eval", script.as_bytes(), nk.as_bytes()];
    eval.extend(keys.iter().map(|k| k.as_bytes()));
    eval.extend(args.iter().map(|a| a.as_bytes()));
    out.push(c.cmd(&eval));
    for s in steps {
        match s {
            Step::Cmd(words) => {
                let w: Vec<&[u8]> = words.iter().map(|x| x.as_bytes()).collect();
                c.send_raw(&encode_command(&w));
            }
            Step::Raw(b) => c.send_raw(b),
        }
        out.push(c.read_reply());
    }
    assert!(c.read_eof(), "session not closed: {}", escape(&c.buf));
    out.push(std::mem::take(&mut c.buf));
    out
}

fn both() -> Option<(ServerProc, ServerProc)> {
    let oracle = ServerProc::start_oracle(&[])?;
    Some((ServerProc::start(&[]), oracle))
}

fn assert_same(ours: &[Vec<u8>], theirs: &[Vec<u8>]) {
    let show = |v: &[Vec<u8>]| v.iter().map(|r| escape(r)).collect::<Vec<_>>().join("\n");
    assert_eq!(show(ours), show(theirs));
}

const TOUR: &str = "local a = 1\nlocal t = {1,2,'x',{y=true}}\nlocal m = {k='v'}\nredis.debug('hi', a, t, m, nil, true, 3.5)\nredis.call('set',KEYS[1],ARGV[1])\nlocal r = redis.call('get',KEYS[1])\nreturn r\n";

#[test]
fn sync_session_matches_redis_command_by_command() {
    let Some((ours, oracle)) = both() else { return };
    let big = "x".repeat(300);
    let steps = [
        Step::Cmd(&["help"]),
        Step::Cmd(&["list"]),
        Step::Cmd(&["s"]),
        Step::Cmd(&["next"]),
        Step::Cmd(&["print"]),
        Step::Cmd(&["p", "t"]),
        Step::Cmd(&["p", "KEYS"]),
        Step::Cmd(&["p", "ARGV"]),
        Step::Cmd(&["p", "nosuchvar"]),
        Step::Cmd(&["b", "6"]),
        Step::Cmd(&["break"]),
        Step::Cmd(&["b", "99"]),
        Step::Cmd(&["b", "notanumber"]),
        Step::Cmd(&["continue"]),
        Step::Cmd(&["whole"]),
        Step::Cmd(&["l", "2", "1"]),
        Step::Cmd(&["trace"]),
        Step::Cmd(&["eval", "1", "+", "1"]),
        Step::Cmd(&["e", "redis.sha1hex('')"]),
        Step::Cmd(&["e", "error('boom')"]),
        Step::Cmd(&["e", "this is not lua"]),
        Step::Cmd(&["redis", "ping"]),
        Step::Cmd(&["r", "hgetall", "dbg:key"]),
        Step::Cmd(&["r", "nosuchcommand", "a"]),
        Step::Cmd(&["r", "set", "dbg:big", &big]),
        Step::Cmd(&["r", "get", "dbg:big"]),
        Step::Cmd(&["maxlen"]),
        Step::Cmd(&["m", "10"]),
        Step::Cmd(&["r", "get", "dbg:big"]),
        Step::Cmd(&["m", "0"]),
        Step::Cmd(&["r", "get", "dbg:big"]),
        Step::Cmd(&["b", "-6"]),
        Step::Cmd(&["b", "-7"]),
        Step::Cmd(&["b", "0"]),
        Step::Cmd(&["what"]),
        Step::Cmd(&["c"]),
    ];
    let a = session(ours.port, "sync", TOUR, &["dbg:key"], &["val"], &steps);
    let b = session(oracle.port, "sync", TOUR, &["dbg:key"], &["val"], &steps);
    assert_same(&a, &b);
    // A sync session keeps the script's writes.
    assert_eq!(ours.conn().cmd(&[b"get", b"dbg:key"]), b"$3\r\nval\r\n");
    assert!(
        ours.log()
            .contains("Redis synchronous debugging eval session ended")
    );
}

#[test]
fn forked_session_matches_redis_and_rolls_back() {
    let Some((ours, oracle)) = both() else { return };
    let script = "redis.call('set','forked','1')\nlocal x = 5\nredis.breakpoint()\nlocal y = x * 2\nreturn redis.call('get','forked')";
    for sp in [&ours, &oracle] {
        let mut other = sp.conn();
        let mut c = Conn::connect(sp.port);
        assert_eq!(c.cmd(&[b"script", b"debug", b"yes"]), b"+OK\r\n");
        let first = c.cmd(&[b"eval", script.as_bytes(), b"0"]);
        assert!(s(&first).contains("* Stopped at 1, stop reason = step over"));
        // The server serves others while the child waits for the debugger.
        assert_eq!(other.cmd(&[b"ping"]), b"+PONG\r\n");
        drop(c);
    }
    let steps = [
        Step::Cmd(&["c"]),
        Step::Cmd(&["print"]),
        Step::Cmd(&["s"]),
        Step::Cmd(&["p", "y"]),
        Step::Cmd(&["c"]),
    ];
    let a = session(ours.port, "yes", script, &[], &[], &steps);
    let b = session(oracle.port, "yes", script, &[], &[], &steps);
    assert_same(&a, &b);
    // The child's writes died with it.
    assert_eq!(ours.conn().cmd(&[b"get", b"forked"]), b"$-1\r\n");
    let log = ours.log();
    assert!(log.contains("Redis forked for debugging eval"), "{log}");
}

#[test]
fn bad_debugger_input_and_aborts_match_redis() {
    let Some((ours, oracle)) = both() else { return };
    let mut hundred = b"*101\r\n$5\r\nredis\r\n".to_vec();
    for _ in 0..100 {
        hundred.extend_from_slice(b"$4\r\nword\r\n");
    }
    let cases: Vec<(&str, Vec<Step>)> = vec![
        (
            "return 'hello'",
            vec![
                Step::Cmd(&["hello\0world"]),
                Step::Cmd(&["\0hello\0"]),
                Step::Raw(&hundred),
                Step::Cmd(&["c"]),
            ],
        ),
        (
            "redis.call('set','aborted','1')\nreturn 1",
            vec![Step::Cmd(&["s"]), Step::Cmd(&["abort"])],
        ),
        ("return 1", vec![Step::Raw(b"garbage\r\n")]),
        ("return 1", vec![Step::Raw(b"*1\r\n$0\r\n\r\n")]),
        ("return 1", vec![Step::Raw(b"*2000\r\n")]),
    ];
    for (script, steps) in &cases {
        let a = session(ours.port, "sync", script, &[], &[], steps);
        let b = session(oracle.port, "sync", script, &[], &[], steps);
        assert_same(&a, &b);
    }
    // Sync mode keeps what ran before the abort.
    assert_eq!(ours.conn().cmd(&[b"get", b"aborted"]), b"$1\r\n1\r\n");
    assert_eq!(ours.conn().cmd(&[b"ping"]), b"+PONG\r\n");
}

#[test]
fn script_debug_errors_match_redis() {
    let Some((ours, oracle)) = both() else { return };
    let run = |port: u16| {
        let mut c = Conn::connect(port);
        let mut out = Vec::new();
        // One write, so that both arrive in one read.
        let mut both = encode_command(&[b"ping"]);
        both.extend(encode_command(&[b"script", b"debug", b"yes"]));
        c.send_raw(&both);
        out.push(c.read_reply());
        out.push(c.read_reply());
        out.push(c.cmd(&[b"script", b"debug", b"maybe"]));
        out.push(c.cmd(&[b"script", b"debug", b"yes"]));
        out.push(c.cmd(&[b"evalsha", &[b'a'; 40], b"0"]));
        out.push(c.cmd(&[b"evalsha", b"abc", b"0"]));
        out.push(c.cmd(&[b"script", b"debug", b"no"]));
        out.push(c.cmd(&[b"eval", b"return redis.breakpoint()", b"0"]));
        out.push(c.cmd(&[b"eval", b"redis.debug('x') return 1", b"0"]));
        out
    };
    assert_same(&run(ours.port), &run(oracle.port));
}

#[test]
fn endless_loop_stops_after_the_busy_threshold() {
    let Some((ours, oracle)) = both() else { return };
    let script = "local i = 0\nwhile true do i = i + 1 end";
    let mut reasons = Vec::new();
    for sp in [&ours, &oracle] {
        sp.conn()
            .cmd(&[b"config", b"set", b"busy-reply-threshold", b"200"]);
        let out = session(
            sp.port,
            "sync",
            script,
            &[],
            &[],
            &[Step::Cmd(&["c"]), Step::Cmd(&["abort"])],
        );
        let stop = s(&out[2]);
        reasons.push(
            stop.lines()
                .filter(|l| l.starts_with('+'))
                .map(str::to_owned)
                .collect::<Vec<_>>(),
        );
        assert!(s(out.last().unwrap()).contains("script aborted for user request"));
    }
    assert_eq!(reasons[0], reasons[1]);
    assert_eq!(
        reasons[0][0],
        "+* Stopped at 2, stop reason = timeout reached, infinite loop?"
    );
}

fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn redis_cli_ldb_sessions_read_the_same_as_against_redis() {
    let Some((ours, oracle)) = both() else { return };
    let dir = common::scratch_dir("ldb-cli");
    let file = dir.join("s.lua");
    std::fs::write(
        &file,
        "local a = tonumber(ARGV[1])\nredis.call('set',KEYS[1],a)\nreturn a * 2\n",
    )
    .expect("write script");
    let file = file.to_string_lossy().into_owned();
    for sync in [false, true] {
        let run = |port: u16| {
            let port = port.to_string();
            let mut args = vec![
                "-p",
                port.as_str(),
                "--ldb",
                "--eval",
                file.as_str(),
                "k1",
                ",",
                "21",
            ];
            if sync {
                args[2] = "--ldb-sync-mode";
            }
            let ran = common::run_tool(
                "redis-cli",
                &args,
                Some(b"s\nprint\nnext\nb 3\nc\n"),
                std::time::Duration::from_secs(20),
            )
            .unwrap_or_else(|e| panic!("{e}"));
            ran.stdout
        };
        let (a, b) = (run(ours.port), run(oracle.port));
        assert_eq!(a, b);
        assert!(a.contains("<value> a = 21"), "{a}");
        assert!(a.contains("(integer) 42"), "{a}");
        let kept = if sync {
            "$2\r\n21\r\n".as_bytes()
        } else {
            b"$-1\r\n"
        };
        assert_eq!(ours.conn().cmd(&[b"get", b"k1"]), kept, "sync={sync}");
        ours.conn().cmd(&[b"del", b"k1"]);
    }
}
