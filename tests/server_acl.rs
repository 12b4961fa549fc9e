//! ACL integrated into the server: AUTH and HELLO AUTH switching users,
//! RESET back to the default user, the NOPERM gate of command processing
//! (commands, subcommands, keys, channels) and its ACL LOG entries, MULTI
//! (refused while queueing, re-checked by EXEC), scripts (`redis.call` and
//! `redis.acl_check_cmd`), SORT BY/GET, CLIENT LIST `user=` and CLIENT KILL
//! USER, pub/sub clients killed when they lose a channel, `requirepass` as
//! the default user's password, protected mode, and CONFIG REWRITE's `user`
//! lines surviving a restart.
//!
//! Expectations are Redis 7.0.15's; the tests pass against Debian's
//! redis-server with `RUSTREDIS_BIN=/usr/bin/redis-server`.

mod common;

use common::{Conn, Resp, ServerProc, call_str, s};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

const NOPERM_KEYS: &str =
    "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n";
const NOPERM_CHANNELS: &str =
    "-NOPERM this user has no permissions to access one of the channels used as arguments\r\n";
const NOAUTH: &str = "-NOAUTH Authentication required.\r\n";
const WRONGPASS: &str = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";

/// The NOPERM reply for a refused command.
fn noperm_cmd(name: &str) -> String {
    format!("-NOPERM this user has no permissions to run the '{name}' command\r\n")
}

fn run(c: &mut Conn, line: &str) -> String {
    s(c.cmd_str(line))
}

/// Runs `line`, which must reply `+OK`.
fn ok(c: &mut Conn, line: &str) {
    expect(c, line, "+OK\r\n");
}

/// Runs `line`, which must reply exactly `want`.
fn expect(c: &mut Conn, line: &str, want: impl AsRef<str>) {
    assert_eq!(run(c, line), want.as_ref(), "{line}");
}

/// The value of `field` in an ACL LOG entry (a flat key/value array).
fn log_field(entry: &Resp, field: &str) -> String {
    let Resp::Array(Some(kv)) = entry else {
        panic!("not an ACL LOG entry: {entry:?}");
    };
    for pair in kv.chunks(2) {
        if let [Resp::Bulk(Some(k)), v] = pair
            && k == field.as_bytes()
        {
            return match v {
                Resp::Bulk(Some(b)) => String::from_utf8_lossy(b).into_owned(),
                Resp::Int(i) => i.to_string(),
                other => format!("{other:?}"),
            };
        }
    }
    panic!("no {field} in {entry:?}");
}

/// Checks fields of the newest ACL LOG entry: each value must be equal, or
/// contained when written `*text*`.
fn assert_last_log(admin: &mut Conn, want: &[(&str, &str)]) {
    let e = last_log(admin);
    for (field, v) in want {
        let got = log_field(&e, field);
        match v.strip_prefix('*').and_then(|v| v.strip_suffix('*')) {
            Some(part) => assert!(got.contains(part), "{field}: {got}"),
            None => assert_eq!(&got, v, "{field}"),
        }
    }
}

/// The newest ACL LOG entry.
fn last_log(c: &mut Conn) -> Resp {
    match call_str(c, "ACL LOG 1") {
        Resp::Array(Some(mut v)) if !v.is_empty() => v.remove(0),
        other => panic!("empty ACL LOG: {other:?}"),
    }
}

#[test]
fn auth_hello_reset_switch_users() {
    let srv = ServerProc::start(&[]);
    let mut admin = srv.conn();
    ok(&mut admin, "ACL SETUSER alice on >pw1 >pw2 +@all ~*");
    ok(&mut admin, "ACL SETUSER disabled off >pw +@all");
    ok(&mut admin, "ACL LOG RESET");

    let mut c = srv.conn();
    // The one-argument form needs a password on the default user.
    expect(
        &mut c,
        "AUTH pw1",
        "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n",
    );
    expect(&mut c, "AUTH alice nope", WRONGPASS);
    expect(&mut c, "AUTH nosuchuser pw", WRONGPASS);
    expect(&mut c, "AUTH disabled pw", WRONGPASS);
    expect(&mut c, "AUTH a b c", "-ERR syntax error\r\n");
    // Failed attempts are logged with the user name given and the command.
    assert_last_log(
        &mut admin,
        &[
            ("reason", "auth"),
            ("context", "toplevel"),
            ("object", "AUTH"),
            ("username", "disabled"),
        ],
    );
    expect(&mut c, "ACL WHOAMI", "$7\r\ndefault\r\n");

    ok(&mut c, "AUTH alice pw2");
    expect(&mut c, "ACL WHOAMI", "$5\r\nalice\r\n");
    assert!(run(&mut c, "CLIENT INFO").contains(" user=alice "));
    // The admin's CLIENT LIST shows both users.
    let list = run(&mut admin, "CLIENT LIST");
    assert!(list.contains(" user=alice "), "{list}");
    assert!(list.contains(" user=default "), "{list}");

    // RESET goes back to the default user (nopass here, so authenticated).
    expect(&mut c, "RESET", "+RESET\r\n");
    expect(&mut c, "ACL WHOAMI", "$7\r\ndefault\r\n");

    // HELLO AUTH switches user; a wrong password leaves the protocol alone.
    expect(&mut c, "HELLO 3 AUTH alice bad", WRONGPASS);
    assert_last_log(
        &mut admin,
        &[("object", "HELLO"), ("username", "alice"), ("count", "1")],
    );
    let hello = run(&mut c, "HELLO 3 AUTH alice pw1 SETNAME named");
    assert!(hello.starts_with("%7\r\n"), "{hello}");
    expect(&mut c, "ACL WHOAMI", "$5\r\nalice\r\n");
    expect(&mut c, "CLIENT GETNAME", "$5\r\nnamed\r\n");

    // A password on the default user: new connections must authenticate,
    // RESET logs the client out.
    ok(&mut admin, "ACL SETUSER default >adminpw");
    ok(&mut admin, "ACL SETUSER default resetpass nopass");
    ok(&mut admin, "CONFIG SET requirepass adminpw");
    let mut fresh = srv.conn();
    expect(&mut fresh, "PING", NOAUTH);
    expect(
        &mut fresh,
        "HELLO 3",
        "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n",
    );
    ok(&mut fresh, "AUTH adminpw");
    expect(&mut fresh, "PING", "+PONG\r\n");
    expect(&mut fresh, "RESET", "+RESET\r\n");
    expect(&mut fresh, "PING", NOAUTH);
    ok(&mut fresh, "AUTH default adminpw");
    // An old connection stays authenticated; `requirepass ""` is nopass again.
    expect(&mut admin, "PING", "+PONG\r\n");
    ok(&mut admin, "CONFIG SET requirepass \"\"");
    let mut fresh2 = srv.conn();
    expect(&mut fresh2, "PING", "+PONG\r\n");
    // A default user that is off: nobody gets in without AUTH.
    ok(&mut admin, "ACL SETUSER default off");
    let mut fresh3 = srv.conn();
    expect(&mut fresh3, "PING", NOAUTH);
    ok(&mut fresh3, "AUTH alice pw1");
    expect(&mut fresh3, "PING", "+PONG\r\n");
    ok(&mut admin, "ACL SETUSER default on");
}

#[test]
fn noperm_gate_multi_exec_scripts_sort() {
    let srv = ServerProc::start(&[]);
    let mut admin = srv.conn();
    for l in [
        "ACL SETUSER bob on >pw +get +set +incr +multi +exec +publish +subscribe +config|get +eval +evalsha +sort ~k* &ch*",
        "ACL SETUSER full on >pw +@all ~* &*",
        "ACL LOG RESET",
        "RPUSH klist 3 1 2",
        "SET w_1 1",
    ] {
        assert!(run(&mut admin, l).starts_with([':', '+']), "{l}");
    }
    let mut c = srv.conn();
    ok(&mut c, "AUTH bob pw");
    ok(&mut c, "SET k1 v");
    expect(&mut c, "GET other", NOPERM_KEYS);
    assert_last_log(
        &mut admin,
        &[
            ("reason", "key"),
            ("object", "other"),
            ("username", "bob"),
            ("context", "toplevel"),
        ],
    );
    expect(&mut c, "DEL k1", noperm_cmd("del"));
    expect(&mut c, "CONFIG SET maxmemory 0", noperm_cmd("config|set"));
    assert_last_log(
        &mut admin,
        &[("reason", "command"), ("object", "config|set")],
    );
    assert!(run(&mut c, "CONFIG GET maxmemory").starts_with("*2\r\n"));
    expect(&mut c, "PUBLISH other m", NOPERM_CHANNELS);
    expect(&mut c, "PUBLISH chan m", ":0\r\n");
    assert_last_log(&mut admin, &[("reason", "channel"), ("object", "other")]);
    // Arity and unknown commands come before the ACL check.
    expect(
        &mut c,
        "DEL",
        "-ERR wrong number of arguments for 'del' command\r\n",
    );

    // Refused while queueing: the transaction is aborted.
    ok(&mut c, "MULTI");
    expect(&mut c, "SET k2 v", "+QUEUED\r\n");
    expect(&mut c, "SET other v", NOPERM_KEYS);
    expect(
        &mut c,
        "EXEC",
        "-EXECABORT Transaction discarded because of previous errors.\r\n",
    );
    assert_last_log(&mut admin, &[("context", "multi")]);
    expect(&mut c, "GET k2", "$-1\r\n");

    // Rules changed between queueing and EXEC: only that command fails.
    ok(&mut c, "MULTI");
    expect(&mut c, "INCR k3", "+QUEUED\r\n");
    expect(&mut c, "SET k4 v", "+QUEUED\r\n");
    ok(&mut admin, "ACL SETUSER bob -incr");
    expect(
        &mut c,
        "EXEC",
        "*2\r\n-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to execute the command or subcommand\r\n+OK\r\n",
    );
    assert_last_log(&mut admin, &[("context", "multi"), ("object", "incr")]);
    ok(&mut c, "MULTI");
    expect(&mut c, "SET k5 v", "+QUEUED\r\n");
    ok(&mut admin, "ACL SETUSER bob resetkeys ~j*");
    expect(
        &mut c,
        "EXEC",
        "*1\r\n-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to touch the specified keys\r\n",
    );
    ok(&mut admin, "ACL SETUSER bob resetkeys ~k*");

    // Scripts run their commands as the caller's user.
    ok(&mut c, "EVAL \"return redis.call('set','k6','v')\" 0");
    expect(&mut c, "EVAL \"return redis.call('del','k6')\" 0", "-ERR The user executing the script can't run this command or subcommand script: 2d4f8bc4ed7c5b4f2cc11bd6ab2cab5d5c4ebd0f, on @user_script:1.\r\n"
            .replace(
                "2d4f8bc4ed7c5b4f2cc11bd6ab2cab5d5c4ebd0f",
                &sha1_of(&mut admin, "return redis.call('del','k6')")
            ));
    assert_last_log(
        &mut admin,
        &[
            ("context", "lua"),
            ("object", "del"),
            ("username", "bob"),
            ("client-info", "*cmd=eval*"),
        ],
    );
    let script = "return redis.pcall('get','other')";
    expect(
        &mut c,
        &format!("EVAL \"{script}\" 0"),
        "-ERR The user executing the script can't access at least one of the keys mentioned in the command arguments\r\n",
    );
    assert_last_log(&mut admin, &[("reason", "key"), ("object", "other")]);
    expect(
        &mut c,
        "EVAL \"return {redis.acl_check_cmd('get','k1'), redis.acl_check_cmd('get','x'), redis.acl_check_cmd('del','k1')}\" 0",
        "*3\r\n:1\r\n$-1\r\n$-1\r\n",
    );
    assert!(
        run(&mut c, "EVAL \"return redis.acl_check_cmd('nosuch')\" 0")
            .starts_with("-ERR Invalid command passed to redis.acl_check_cmd()")
    );
    let mut full = srv.conn();
    ok(&mut full, "AUTH full pw");
    expect(
        &mut full,
        "EVAL \"return redis.acl_check_cmd('del','k1')\" 0",
        ":1\r\n",
    );

    // SORT BY a pattern and GET need access to every key.
    expect(
        &mut c,
        "SORT klist",
        "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n",
    );
    expect(
        &mut c,
        "SORT klist BY nosort",
        "*3\r\n$1\r\n3\r\n$1\r\n1\r\n$1\r\n2\r\n",
    );
    expect(
        &mut c,
        "SORT klist BY w_*",
        "-ERR BY option of SORT denied due to insufficient ACL permissions.\r\n",
    );
    expect(
        &mut c,
        "SORT klist GET #",
        "-ERR GET option of SORT denied due to insufficient ACL permissions.\r\n",
    );
    expect(
        &mut full,
        "SORT klist BY w_* GET #",
        "*3\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n1\r\n",
    );
    // `%R~*` is enough for reading.
    ok(&mut admin, "ACL SETUSER bob %R~*");
    expect(
        &mut c,
        "SORT klist GET #",
        "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n",
    );
}

/// SCRIPT's SHA1 of a script body, asked of the server.
fn sha1_of(c: &mut Conn, body: &str) -> String {
    let r = run(c, &format!("SCRIPT LOAD \"{body}\""));
    r.lines().nth(1).unwrap_or_default().to_string()
}

#[test]
fn client_kill_user_and_pubsub_revocation() {
    let srv = ServerProc::start(&[]);
    let mut admin = srv.conn();
    ok(&mut admin, "ACL SETUSER carol on >pw +@all ~* &news*");
    expect(
        &mut admin,
        "CLIENT KILL USER nobody",
        "-ERR No such user 'nobody'\r\n",
    );
    expect(&mut admin, "CLIENT KILL USER carol", ":0\r\n");
    let mut a = srv.conn();
    let mut b = srv.conn();
    ok(&mut a, "AUTH carol pw");
    ok(&mut b, "AUTH carol pw");
    expect(&mut admin, "CLIENT KILL USER carol", ":2\r\n");
    assert!(a.read_eof());
    assert!(b.read_eof());
    // The admin (default user) survives a kill of its own user with SKIPME.
    expect(&mut admin, "CLIENT KILL USER default", ":0\r\n");
    expect(&mut admin, "PING", "+PONG\r\n");

    // A subscriber losing its channel permission is disconnected.
    let mut sub = srv.conn();
    ok(&mut sub, "AUTH carol pw");
    expect(
        &mut sub,
        "SUBSCRIBE newsfeed",
        "*3\r\n$9\r\nsubscribe\r\n$8\r\nnewsfeed\r\n:1\r\n",
    );
    ok(&mut admin, "ACL SETUSER carol resetchannels &other");
    assert!(sub.read_eof());
}

#[test]
fn protected_mode_follows_the_default_user() {
    let srv = ServerProc::start(&["--protected-mode", "yes"]);
    let mut admin = srv.conn();
    // 127.0.0.2 is a loopback address but not "local" for Redis.
    let remote = || -> Option<Conn> {
        let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).ok()?;
        sock.bind(&SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 2), 0).into())
            .ok()?;
        sock.connect(&SocketAddrV4::new(Ipv4Addr::LOCALHOST, srv.port).into())
            .ok()?;
        let stream: std::net::TcpStream = sock.into();
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        Some(Conn {
            stream,
            buf: Vec::new(),
        })
    };
    let Some(mut r) = remote() else {
        panic!("cannot connect from 127.0.0.2");
    };
    let denied = s(r.read_reply());
    assert!(
        denied.starts_with("-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user."),
        "{denied}"
    );
    // A password given with ACL SETUSER (no requirepass) opens the door.
    ok(&mut admin, "ACL SETUSER default >pw");
    let mut r = remote().expect("connect");
    expect(&mut r, "PING", NOAUTH);
    ok(&mut r, "AUTH pw");
    expect(&mut r, "PING", "+PONG\r\n");
    // Back to nopass: refused again.
    ok(&mut admin, "ACL SETUSER default nopass");
    let mut r = remote().expect("connect");
    assert!(s(r.read_reply()).starts_with("-DENIED "));
}

#[test]
fn config_rewrite_keeps_users_across_restart() {
    let dir = common::scratch_dir("acl-rewrite");
    let conf = dir.join("redis.conf");
    // `dir` is rewritten as an absolute path: keep it in this test's own
    // directory, which outlives the first server.
    std::fs::write(
        &conf,
        format!(
            "dir {}\nrequirepass secret\nuser default on nopass ~* &* +@all -flushdb\n",
            dir.display()
        ),
    )
    .expect("write config");
    let conf_s = conf.to_string_lossy().into_owned();
    let srv = ServerProc::start(&[&conf_s]);
    let mut c = srv.conn();
    // `requirepass` is applied first; the `user default` line then resets
    // the default user, so no password is needed.
    expect(&mut c, "PING", "+PONG\r\n");
    expect(&mut c, "FLUSHDB", noperm_cmd("flushdb"));
    expect(
        &mut c,
        "ACL SETUSER zed on #5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 ~z* +get",
        "+OK\r\n",
    );
    ok(&mut c, "CONFIG REWRITE");
    let text = std::fs::read_to_string(&conf).expect("read config");
    let users: Vec<&str> = text.lines().filter(|l| l.starts_with("user ")).collect();
    assert_eq!(
        users,
        [
            "user default on nopass sanitize-payload ~* &* +@all -flushdb",
            "user zed on #5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 ~z* resetchannels -@all +get",
        ],
        "{text}"
    );
    drop(c);
    drop(srv);
    assert!(text.contains("\nrequirepass \"secret\"\n"), "{text}");
    let srv = ServerProc::start(&[&conf_s]);
    let mut c = srv.conn();
    expect(&mut c, "PING", "+PONG\r\n");
    expect(&mut c, "FLUSHDB", noperm_cmd("flushdb"));
    ok(&mut c, "AUTH zed password");
    expect(&mut c, "GET z1", "$-1\r\n");
    expect(&mut c, "SET z1 v", noperm_cmd("set"));
    let _ = std::fs::remove_dir_all(&dir);
}
