//! Blocking commands with several clients: first-come first-served order,
//! several keys, (fractional) timeouts and their replies in RESP2 and RESP3,
//! timeout parsing errors, blocking commands inside MULTI, keys made ready
//! inside MULTI/EXEC, keys deleted or retyped while clients wait, BLMOVE
//! chains, SWAPDB, CLIENT UNBLOCK, CLIENT KILL, disconnects, pipelined
//! commands behind a blocked one, INFO `blocked_clients` and CLIENT LIST's
//! `b` flag.
//!
//! Expectations are Redis 7.0.15's; the tests pass against Debian's
//! redis-server with `RUSTREDIS_BIN=/usr/bin/redis-server`.

mod common;

use common::{Conn, ServerProc, encode_command, info_field, s, split_args};
use std::time::{Duration, Instant};

fn run(c: &mut Conn, line: &str) -> String {
    s(c.cmd_str(line))
}

/// Sends a command without reading its reply.
fn send(c: &mut Conn, line: &str) {
    let args = split_args(line);
    let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
    c.send_raw(&encode_command(&refs));
}

fn reply(c: &mut Conn) -> String {
    s(c.read_reply())
}

fn info_clients(obs: &mut Conn, field: &str) -> i64 {
    let t = run(obs, "INFO clients");
    info_field(&t, field)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in {t}"))
}

/// Waits (5 s max) until INFO reports `n` blocked clients.
fn wait_blocked(obs: &mut Conn, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let got = info_clients(obs, "blocked_clients");
        if got == n {
            return;
        }
        assert!(Instant::now() < deadline, "blocked_clients {got}, want {n}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// True when `c` has no reply within `ms`.
fn silent(c: &mut Conn, ms: u64) -> bool {
    use std::io::Read;
    if !c.buf.is_empty() {
        return false;
    }
    let _ = c.stream.set_read_timeout(Some(Duration::from_millis(ms)));
    let mut b = [0u8; 64];
    match c.stream.read(&mut b) {
        Ok(0) => false,
        Ok(n) => {
            c.buf.extend_from_slice(&b[..n]);
            false
        }
        Err(_) => true,
    }
}

fn client_id(c: &mut Conn) -> String {
    run(c, "CLIENT ID")
        .trim_start_matches(':')
        .trim_end()
        .to_string()
}

fn pair(key: &str, v: &str) -> String {
    format!("*2\r\n${}\r\n{key}\r\n${}\r\n{v}\r\n", key.len(), v.len())
}

#[test]
fn clients_are_served_first_come_first_served() {
    let srv = ServerProc::start(&[]);
    let mut obs = srv.conn();
    let mut cs: Vec<Conn> = (0..3).map(|_| srv.conn()).collect();
    for (i, c) in cs.iter_mut().enumerate() {
        send(c, "BLPOP q 0");
        wait_blocked(&mut obs, i as i64 + 1);
    }
    // One push serves one client: the first that blocked.
    assert_eq!(run(&mut obs, "RPUSH q a"), ":1\r\n");
    assert_eq!(reply(&mut cs[0]), pair("q", "a"));
    assert!(silent(&mut cs[1], 50) && silent(&mut cs[2], 50));
    // Two elements serve the next two in order.
    assert_eq!(run(&mut obs, "RPUSH q b c"), ":2\r\n");
    assert_eq!(reply(&mut cs[1]), pair("q", "b"));
    assert_eq!(reply(&mut cs[2]), pair("q", "c"));
    assert_eq!(run(&mut obs, "EXISTS q"), ":0\r\n");
    wait_blocked(&mut obs, 0);
    // Elements left over stay in the list.
    send(&mut cs[0], "BRPOP q 0");
    wait_blocked(&mut obs, 1);
    assert_eq!(run(&mut obs, "RPUSH q x y z"), ":3\r\n");
    assert_eq!(reply(&mut cs[0]), pair("q", "z"));
    assert_eq!(
        run(&mut obs, "LRANGE q 0 -1"),
        "*2\r\n$1\r\nx\r\n$1\r\ny\r\n"
    );
}

#[test]
fn several_keys_and_the_key_that_became_ready() {
    let srv = ServerProc::start(&[]);
    let mut obs = srv.conn();
    let mut c = srv.conn();
    send(&mut c, "BLPOP k1 k2 k3 0");
    wait_blocked(&mut obs, 1);
    assert_eq!(run(&mut obs, "LPUSH k2 v"), ":1\r\n");
    assert_eq!(reply(&mut c), pair("k2", "v"));
    // BLMPOP with a count takes what it can from the first ready key.
    send(&mut c, "BLMPOP 0 2 m1 m2 RIGHT COUNT 5");
    wait_blocked(&mut obs, 1);
    assert_eq!(run(&mut obs, "RPUSH m2 a b"), ":2\r\n");
    assert_eq!(
        reply(&mut c),
        "*2\r\n$2\r\nm2\r\n*2\r\n$1\r\nb\r\n$1\r\na\r\n"
    );
    // A key repeated in the command is waited on once.
    send(&mut c, "BLPOP d d d 0");
    wait_blocked(&mut obs, 1);
    assert_eq!(run(&mut obs, "RPUSH d 1 2"), ":2\r\n");
    assert_eq!(reply(&mut c), pair("d", "1"));
    assert_eq!(run(&mut obs, "LLEN d"), ":1\r\n");
}

#[test]
fn timeouts_reply_null_arrays() {
    let srv = ServerProc::start(&[]);
    let mut c = srv.conn();
    for (cmd, resp3) in [
        ("BLPOP nokey 0.1", false),
        ("BRPOP nokey 0.1", false),
        ("BLMOVE nokey dst LEFT RIGHT 0.1", false),
        ("BRPOPLPUSH nokey dst 0.1", false),
        ("BLMPOP 0.1 1 nokey LEFT", false),
        ("BZPOPMIN nokey 0.1", false),
        ("BZPOPMAX nokey 0.1", false),
        ("BZMPOP 0.1 1 nokey MIN", false),
        ("BLPOP nokey 0.1", true),
        ("BLMOVE nokey dst LEFT RIGHT 0.1", true),
        ("BZMPOP 0.1 1 nokey MAX", true),
    ] {
        if resp3 {
            assert!(run(&mut c, "HELLO 3").starts_with('%'));
        }
        let t = Instant::now();
        let r = run(&mut c, cmd);
        let took = t.elapsed();
        assert_eq!(r, if resp3 { "_\r\n" } else { "*-1\r\n" }, "{cmd}");
        assert!(took >= Duration::from_millis(90), "{cmd} after {took:?}");
        assert!(took < Duration::from_secs(2), "{cmd} after {took:?}");
        assert_eq!(run(&mut c, "EXISTS dst"), ":0\r\n");
    }
    // A tiny timeout still times out (rounded up to 1 ms).
    assert!(run(&mut c, "HELLO 2").starts_with('*'));
    assert_eq!(run(&mut c, "BLPOP nokey 0.0001"), "*-1\r\n");
    // Exponent forms parse.
    assert_eq!(run(&mut c, "BLPOP nokey 1e-2"), "*-1\r\n");
    // The connection keeps working after a timeout.
    assert_eq!(run(&mut c, "PING"), "+PONG\r\n");
    let mut obs = srv.conn();
    assert_eq!(info_clients(&mut obs, "blocked_clients"), 0);
}

#[test]
fn timeout_argument_errors() {
    let srv = ServerProc::start(&[]);
    let mut c = srv.conn();
    let not_float = "-ERR timeout is not a float or out of range\r\n";
    let negative = "-ERR timeout is negative\r\n";
    for (t, want) in [
        ("abc", not_float),
        ("nan", not_float),
        ("\" 1\"", not_float),
        ("\"1 \"", not_float),
        ("\"\"", not_float),
        ("1e", not_float),
        ("-1", negative),
        ("-0.5", negative),
        ("inf", negative),
        ("-inf", negative),
        ("1e30", negative),
        ("9223372036854775807", negative),
    ] {
        assert_eq!(run(&mut c, &format!("BLPOP k {t}")), want, "BLPOP {t}");
        assert_eq!(
            run(&mut c, &format!("BZPOPMIN k {t}")),
            want,
            "BZPOPMIN {t}"
        );
        assert_eq!(
            run(&mut c, &format!("BLMOVE a b LEFT LEFT {t}")),
            want,
            "BLMOVE {t}"
        );
    }
    // Timeout errors come before looking at the keys.
    run(&mut c, "RPUSH full x");
    assert_eq!(run(&mut c, "BLPOP full -1"), negative);
    assert_eq!(run(&mut c, "LLEN full"), ":1\r\n");
}

#[test]
fn zero_and_huge_timeouts_block_until_served() {
    let srv = ServerProc::start(&[]);
    let mut obs = srv.conn();
    let mut cs: Vec<Conn> = (0..4).map(|_| srv.conn()).collect();
    // 0, -0, a tiny negative rounded to zero: forever. A timeout too far to
    // add to the clock never fires either.
    for (i, t) in ["0", "-0", "-0.0001", "9223372036854775"]
        .iter()
        .enumerate()
    {
        send(&mut cs[i], &format!("BLPOP z {t}"));
        wait_blocked(&mut obs, i as i64 + 1);
    }
    assert_eq!(info_clients(&mut obs, "clients_in_timeout_table"), 1);
    for c in cs.iter_mut() {
        assert!(silent(c, 50));
    }
    run(&mut obs, "RPUSH z 0 1 2 3");
    for (i, c) in cs.iter_mut().enumerate() {
        assert_eq!(reply(c), pair("z", &i.to_string()));
    }
    assert_eq!(info_clients(&mut obs, "clients_in_timeout_table"), 0);
}

#[test]
fn blocking_commands_inside_multi_do_not_block() {
    let srv = ServerProc::start(&[]);
    let mut c = srv.conn();
    assert_eq!(run(&mut c, "MULTI"), "+OK\r\n");
    for cmd in [
        "BLPOP empty 0",
        "BRPOP empty 0",
        "BRPOPLPUSH empty1 empty2 0",
        "BLMOVE empty1 empty2 LEFT LEFT 0",
        "BLMPOP 0 1 empty LEFT",
        "BZPOPMIN emptyz 0",
        "BZPOPMAX emptyz 0",
        "BZMPOP 0 1 emptyz MIN",
    ] {
        assert_eq!(run(&mut c, cmd), "+QUEUED\r\n", "{cmd}");
    }
    assert_eq!(
        run(&mut c, "EXEC"),
        "*8\r\n*-1\r\n*-1\r\n$-1\r\n$-1\r\n*-1\r\n*-1\r\n*-1\r\n*-1\r\n"
    );
    // With data they serve as usual.
    run(&mut c, "RPUSH l a b");
    assert_eq!(run(&mut c, "MULTI"), "+OK\r\n");
    run(&mut c, "BLPOP l 0");
    run(&mut c, "BLMOVE l l2 LEFT RIGHT 0");
    run(&mut c, "BLPOP l 0");
    assert_eq!(
        run(&mut c, "EXEC"),
        format!("*3\r\n{}$1\r\nb\r\n*-1\r\n", pair("l", "a"))
    );
    assert_eq!(run(&mut c, "HELLO 3").chars().next(), Some('%'));
    assert_eq!(run(&mut c, "MULTI"), "+OK\r\n");
    run(&mut c, "BLPOP empty 0");
    run(&mut c, "BLMOVE empty1 empty2 LEFT LEFT 0");
    assert_eq!(run(&mut c, "EXEC"), "*2\r\n_\r\n_\r\n");
}

#[test]
fn key_pushed_inside_multi_serves_after_exec() {
    let srv = ServerProc::start(&[]);
    let mut obs = srv.conn();
    let mut w1 = srv.conn();
    let mut w2 = srv.conn();
    send(&mut w1, "BLPOP mk 0");
    wait_blocked(&mut obs, 1);
    send(&mut w2, "BLPOP mk 0");
    wait_blocked(&mut obs, 2);
    assert_eq!(run(&mut obs, "MULTI"), "+OK\r\n");
    run(&mut obs, "RPUSH mk a");
    run(&mut obs, "RPUSH mk b");
    run(&mut obs, "RPUSH mk c");
    run(&mut obs, "LPOP mk");
    // Nothing is served before EXEC...
    assert!(silent(&mut w1, 50));
    // ...and the transaction sees its own data first.
    assert_eq!(run(&mut obs, "EXEC"), "*4\r\n:1\r\n:2\r\n:3\r\n$1\r\na\r\n");
    assert_eq!(reply(&mut w1), pair("mk", "b"));
    assert_eq!(reply(&mut w2), pair("mk", "c"));
    assert_eq!(run(&mut obs, "EXISTS mk"), ":0\r\n");
    // A list created and emptied inside one transaction serves nobody.
    send(&mut w1, "BLPOP gone 0");
    wait_blocked(&mut obs, 1);
    run(&mut obs, "MULTI");
    run(&mut obs, "RPUSH gone x");
    run(&mut obs, "DEL gone");
    assert_eq!(run(&mut obs, "EXEC"), "*2\r\n:1\r\n:1\r\n");
    assert!(silent(&mut w1, 100));
    assert_eq!(info_clients(&mut obs, "blocked_clients"), 1);
    run(&mut obs, "RPUSH gone y");
    assert_eq!(reply(&mut w1), pair("gone", "y"));
}

#[test]
fn key_deleted_or_retyped_while_clients_wait() {
    let srv = ServerProc::start(&[]);
    let mut obs = srv.conn();
    let mut c = srv.conn();
    let mut z = srv.conn();
    send(&mut c, "BLPOP rk 0");
    send(&mut z, "BZPOPMIN rk 0");
    wait_blocked(&mut obs, 2);
    // Another type under the key: nobody is served, nobody errors.
    assert_eq!(run(&mut obs, "SET rk str"), "+OK\r\n");
    assert!(silent(&mut c, 50) && silent(&mut z, 50));
    assert_eq!(run(&mut obs, "DEL rk"), ":1\r\n");
    assert_eq!(run(&mut obs, "SET rk again"), "+OK\r\n");
    assert!(silent(&mut c, 50) && silent(&mut z, 50));
    assert_eq!(info_clients(&mut obs, "blocked_clients"), 2);
    // The right type serves the clients that wait for it only.
    run(&mut obs, "DEL rk");
    assert_eq!(run(&mut obs, "ZADD rk 1 one"), ":1\r\n");
    assert_eq!(reply(&mut z), "*3\r\n$2\r\nrk\r\n$3\r\none\r\n$1\r\n1\r\n");
    assert!(silent(&mut c, 50));
    run(&mut obs, "DEL rk");
    run(&mut obs, "RPUSH rk v");
    assert_eq!(reply(&mut c), pair("rk", "v"));
}

#[test]
fn blmove_chains_serve_the_next_waiter() {
    let srv = ServerProc::start(&[]);
    let mut obs = srv.conn();
    let mut mover = srv.conn();
    let mut popper = srv.conn();
    send(&mut mover, "BLMOVE src dst RIGHT LEFT 0");
    wait_blocked(&mut obs, 1);
    send(&mut popper, "BLPOP dst 0");
    wait_blocked(&mut obs, 2);
    assert_eq!(run(&mut obs, "RPUSH src x"), ":1\r\n");
    assert_eq!(reply(&mut mover), "$1\r\nx\r\n");
    assert_eq!(reply(&mut popper), pair("dst", "x"));
    assert_eq!(run(&mut obs, "EXISTS src dst"), ":0\r\n");
    // BRPOPLPUSH onto the same list rotates it.
    run(&mut obs, "DEL r");
    send(&mut mover, "BRPOPLPUSH r r 0");
    wait_blocked(&mut obs, 1);
    run(&mut obs, "RPUSH r a b");
    assert_eq!(reply(&mut mover), "$1\r\nb\r\n");
    assert_eq!(
        run(&mut obs, "LRANGE r 0 -1"),
        "*2\r\n$1\r\nb\r\n$1\r\na\r\n"
    );
    // A destination of the wrong type: the waiter gets WRONGTYPE and the
    // element stays.
    run(&mut obs, "SET wdst s");
    send(&mut mover, "BLMOVE wsrc wdst LEFT LEFT 0");
    wait_blocked(&mut obs, 1);
    run(&mut obs, "RPUSH wsrc e");
    assert_eq!(
        reply(&mut mover),
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    );
    assert_eq!(run(&mut obs, "LLEN wsrc"), ":1\r\n");
}

#[test]
fn swapdb_and_rename_serve_waiting_clients() {
    let srv = ServerProc::start(&[]);
    let mut obs = srv.conn();
    let mut c = srv.conn();
    send(&mut c, "BLPOP sk 0");
    wait_blocked(&mut obs, 1);
    run(&mut obs, "SELECT 1");
    run(&mut obs, "RPUSH sk from1");
    assert!(silent(&mut c, 50));
    assert_eq!(run(&mut obs, "SWAPDB 0 1"), "+OK\r\n");
    assert_eq!(reply(&mut c), pair("sk", "from1"));
    run(&mut obs, "SELECT 0");
    send(&mut c, "BLPOP target 0");
    wait_blocked(&mut obs, 1);
    run(&mut obs, "RPUSH other v");
    assert_eq!(run(&mut obs, "RENAME other target"), "+OK\r\n");
    assert_eq!(reply(&mut c), pair("target", "v"));
}

#[test]
fn client_unblock() {
    let srv = ServerProc::start(&[]);
    let mut obs = srv.conn();
    let mut c = srv.conn();
    let id = client_id(&mut c);
    assert_eq!(run(&mut obs, &format!("CLIENT UNBLOCK {id}")), ":0\r\n");
    send(&mut c, "BLPOP uk 0");
    wait_blocked(&mut obs, 1);
    assert_eq!(
        run(&mut obs, &format!("CLIENT UNBLOCK {id} ERROR")),
        ":1\r\n"
    );
    assert_eq!(
        reply(&mut c),
        "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    send(&mut c, "BZPOPMIN uk 100");
    wait_blocked(&mut obs, 1);
    assert_eq!(
        run(&mut obs, &format!("CLIENT UNBLOCK {id} timeout")),
        ":1\r\n"
    );
    assert_eq!(reply(&mut c), "*-1\r\n");
    assert_eq!(info_clients(&mut obs, "blocked_clients"), 0);
    assert_eq!(info_clients(&mut obs, "clients_in_timeout_table"), 0);
    assert_eq!(run(&mut obs, &format!("CLIENT UNBLOCK {id}")), ":0\r\n");
    assert_eq!(
        run(&mut obs, &format!("CLIENT UNBLOCK {id} maybe")),
        "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n"
    );
    assert_eq!(
        run(&mut obs, "CLIENT UNBLOCK abc"),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(run(&mut obs, "CLIENT UNBLOCK 999999"), ":0\r\n");
    // The unblocked client works normally, and the key was never served to it.
    assert_eq!(run(&mut c, "PING"), "+PONG\r\n");
    run(&mut obs, "RPUSH uk v");
    assert_eq!(run(&mut obs, "LLEN uk"), ":1\r\n");
    // Errorstats count the UNBLOCKED error.
    let info = run(&mut obs, "INFO errorstats");
    assert!(info.contains("errorstat_UNBLOCKED:count=1"), "{info}");
}

#[test]
fn disconnect_or_kill_while_blocked() {
    let srv = ServerProc::start(&[]);
    let mut obs = srv.conn();
    {
        let mut gone = srv.conn();
        send(&mut gone, "BLPOP dk 0");
        wait_blocked(&mut obs, 1);
    }
    wait_blocked(&mut obs, 0);
    // Nothing is popped for the departed client.
    run(&mut obs, "RPUSH dk v");
    assert_eq!(run(&mut obs, "LLEN dk"), ":1\r\n");
    run(&mut obs, "DEL dk");
    let mut victim = srv.conn();
    let mut next = srv.conn();
    let id = client_id(&mut victim);
    send(&mut victim, "BLPOP dk 0");
    wait_blocked(&mut obs, 1);
    send(&mut next, "BLPOP dk 0");
    wait_blocked(&mut obs, 2);
    assert_eq!(run(&mut obs, &format!("CLIENT KILL ID {id}")), ":1\r\n");
    wait_blocked(&mut obs, 1);
    assert!(victim.read_eof());
    run(&mut obs, "RPUSH dk v");
    assert_eq!(reply(&mut next), pair("dk", "v"));
}

#[test]
fn pipelined_commands_wait_behind_a_blocked_one() {
    let srv = ServerProc::start(&[]);
    let mut obs = srv.conn();
    let mut c = srv.conn();
    let mut all = Vec::new();
    for l in ["BLPOP pk 0", "PING", "ECHO hi", "BLPOP pk2 0", "GET after"] {
        let a = split_args(l);
        let r: Vec<&[u8]> = a.iter().map(|x| x.as_slice()).collect();
        all.extend(encode_command(&r));
    }
    c.send_raw(&all);
    wait_blocked(&mut obs, 1);
    assert!(silent(&mut c, 50));
    run(&mut obs, "LPUSH pk z");
    assert_eq!(reply(&mut c), pair("pk", "z"));
    assert_eq!(reply(&mut c), "+PONG\r\n");
    assert_eq!(reply(&mut c), "$2\r\nhi\r\n");
    // Blocked again on the next command of the pipeline.
    wait_blocked(&mut obs, 1);
    assert!(silent(&mut c, 50));
    run(&mut obs, "SET after 1");
    run(&mut obs, "RPUSH pk2 w");
    assert_eq!(reply(&mut c), pair("pk2", "w"));
    assert_eq!(reply(&mut c), "$1\r\n1\r\n");
}

#[test]
fn client_list_and_info_show_blocked_clients() {
    let srv = ServerProc::start(&[]);
    let mut obs = srv.conn();
    let mut c = srv.conn();
    let id = client_id(&mut c);
    send(&mut c, "BLPOP ik 10");
    wait_blocked(&mut obs, 1);
    assert_eq!(info_clients(&mut obs, "clients_in_timeout_table"), 1);
    let list = run(&mut obs, "CLIENT LIST");
    let line = list
        .lines()
        .find(|l| l.contains(&format!("id={id} ")))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(line.contains(" flags=b "), "{line}");
    assert!(line.contains(" cmd=blpop "), "{line}");
    run(&mut obs, "RPUSH ik v");
    assert_eq!(reply(&mut c), pair("ik", "v"));
    wait_blocked(&mut obs, 0);
    assert_eq!(info_clients(&mut obs, "clients_in_timeout_table"), 0);
    let stats = run(&mut obs, "INFO commandstats");
    assert!(stats.contains("cmdstat_blpop:calls=1,"), "{stats}");
}

#[test]
fn idle_timeout_spares_blocked_clients() {
    let srv = ServerProc::start(&[]);
    let mut obs = srv.conn();
    let mut c = srv.conn();
    let mut idle = srv.conn();
    assert_eq!(run(&mut idle, "PING"), "+PONG\r\n");
    assert_eq!(run(&mut obs, "CONFIG SET timeout 1"), "+OK\r\n");
    send(&mut c, "BLPOP tk 0");
    wait_blocked(&mut obs, 1);
    // Keep the observer busy so that it is not idle itself.
    let deadline = Instant::now() + Duration::from_millis(2600);
    while Instant::now() < deadline {
        run(&mut obs, "PING");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(idle.read_eof(), "the idle client should be closed");
    assert_eq!(info_clients(&mut obs, "blocked_clients"), 1);
    run(&mut obs, "CONFIG SET timeout 0");
    run(&mut obs, "RPUSH tk v");
    assert_eq!(reply(&mut c), pair("tk", "v"));
}
