//! Connection-level commands: HELLO (RESP2/RESP3 switching, AUTH and
//! SETNAME options), RESP3 reply types after HELLO 3, RESET, AUTH with
//! `requirepass`, QUIT, ECHO and PING.
//!
//! Expected bytes are Redis 7.0.15's; the tests pass against Debian's
//! redis-server with `RUSTREDIS_BIN=/usr/bin/redis-server`.

mod common;
#[allow(unused_imports)]
use common::s;

use common::{Conn, ServerProc};

/// The client id of `c`, from CLIENT ID (`:N\r\n`).
fn client_id(c: &mut Conn) -> i64 {
    let r = c.cmd(&[b"CLIENT", b"ID"]);
    let s = String::from_utf8_lossy(&r).into_owned();
    assert!(
        s.starts_with(':') && s.ends_with("\r\n"),
        "CLIENT ID reply {s:?}"
    );
    s[1..s.len() - 2]
        .parse()
        .unwrap_or_else(|_| panic!("CLIENT ID reply {s:?}"))
}

/// The exact HELLO reply Redis 7.0.15 sends for `proto` 2 (flat array of
/// 14) or 3 (map of 7) and client `id`.
fn hello_reply(proto: u8, id: i64) -> String {
    let header = if proto == 3 {
        "%7\r\n".to_string()
    } else {
        "*14\r\n".to_string()
    };
    format!(
        "{header}$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:{proto}\r\n$2\r\nid\r\n:{id}\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
    )
}

#[test]
fn hello_3_map_reply_and_resp3_types() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    let id = client_id(&mut c);
    assert_eq!(s(c.cmd(&[b"HELLO", b"3"])), hello_reply(3, id));
    // Null is `_` in RESP3.
    assert_eq!(c.cmd(&[b"GET", b"nokey"]), b"_\r\n");
    // CONFIG GET is a map.
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"GET", b"maxclients"])),
        "%1\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n"
    );
    let multi = s(c.cmd(&[b"CONFIG", b"GET", b"maxmemory*"]));
    assert!(
        multi.starts_with("%5\r\n"),
        "CONFIG GET maxmemory* in RESP3: {multi:?}"
    );
    for field in [
        "$9\r\nmaxmemory\r\n$1\r\n0\r\n",
        "$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n",
        "$17\r\nmaxmemory-samples\r\n$1\r\n5\r\n",
        "$17\r\nmaxmemory-clients\r\n$1\r\n0\r\n",
        "$27\r\nmaxmemory-eviction-tenacity\r\n$2\r\n10\r\n",
    ] {
        assert!(multi.contains(field), "{field:?} missing in {multi:?}");
    }
    // Simple replies are unchanged.
    assert_eq!(c.cmd(&[b"PING"]), b"+PONG\r\n");
    assert_eq!(c.cmd(&[b"PING", b"x"]), b"$1\r\nx\r\n");
    assert_eq!(c.cmd(&[b"ECHO", b""]), b"$0\r\n\r\n");
    assert_eq!(c.cmd(&[b"SET", b"a", b"b"]), b"+OK\r\n");
    assert_eq!(c.cmd(&[b"EXISTS", b"a"]), b":1\r\n");
    // INCRBYFLOAT still answers a bulk string, not a RESP3 double.
    assert_eq!(c.cmd(&[b"INCRBYFLOAT", b"f", b"2.5"]), b"$3\r\n2.5\r\n");
    // MGET with a missing key: array with a RESP3 null inside.
    assert_eq!(c.cmd(&[b"MGET", b"a", b"nokey"]), b"*2\r\n$1\r\nb\r\n_\r\n");
    // CLIENT INFO is a verbatim string in RESP3.
    let info = s(c.cmd(&[b"CLIENT", b"INFO"]));
    assert!(info.starts_with('='), "verbatim string expected: {info:?}");
    let body_start = info.find("\r\n").map(|i| i + 2).unwrap_or(0);
    assert!(
        info[body_start..].starts_with("txt:id="),
        "verbatim txt: {info:?}"
    );
    assert!(info.contains(" resp=3\n"), "{info:?}");
    // TIME is an array of two bulk strings in both protocols.
    let t = s(c.cmd(&[b"TIME"]));
    assert!(t.starts_with("*2\r\n$"), "{t:?}");
}

#[test]
fn hello_without_version_and_hello_2() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    let id = client_id(&mut c);
    assert_eq!(s(c.cmd(&[b"HELLO"])), hello_reply(2, id));
    assert_eq!(s(c.cmd(&[b"HELLO", b"3"])), hello_reply(3, id));
    assert_eq!(c.cmd(&[b"GET", b"nokey"]), b"_\r\n");
    // HELLO without a version keeps the current protocol.
    assert_eq!(s(c.cmd(&[b"HELLO"])), hello_reply(3, id));
    assert_eq!(s(c.cmd(&[b"HELLO", b"2"])), hello_reply(2, id));
    assert_eq!(c.cmd(&[b"GET", b"nokey"]), b"$-1\r\n");
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"GET", b"maxclients"])),
        "*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n"
    );
}

#[test]
fn hello_bad_versions_and_options() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    assert_eq!(
        s(c.cmd(&[b"HELLO", b"4"])),
        "-NOPROTO unsupported protocol version\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"HELLO", b"1"])),
        "-NOPROTO unsupported protocol version\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"HELLO", b"abc"])),
        "-ERR Protocol version is not an integer or out of range\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"HELLO", b"3", b"FOO"])),
        "-ERR Syntax error in HELLO option 'FOO'\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"HELLO", b"3", b"AUTH", b"default"])),
        "-ERR Syntax error in HELLO option 'AUTH'\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"HELLO", b"3", b"SETNAME", b"a b"])),
        "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    );
    // The failed HELLOs left the connection in RESP2.
    assert_eq!(c.cmd(&[b"GET", b"nokey"]), b"$-1\r\n");
}

#[test]
fn hello_setname_and_reset() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    let id = client_id(&mut c);
    assert_eq!(
        s(c.cmd(&[b"HELLO", b"3", b"SETNAME", b"myconn"])),
        hello_reply(3, id)
    );
    assert_eq!(c.cmd(&[b"CLIENT", b"GETNAME"]), b"$6\r\nmyconn\r\n");
    assert_eq!(c.cmd(&[b"SELECT", b"3"]), b"+OK\r\n");
    assert_eq!(c.cmd(&[b"RESET"]), b"+RESET\r\n");
    // Back to RESP2, no name, db 0, same id.
    assert_eq!(c.cmd(&[b"GET", b"nokey"]), b"$-1\r\n");
    assert_eq!(c.cmd(&[b"CLIENT", b"GETNAME"]), b"$-1\r\n");
    let info = s(c.cmd(&[b"CLIENT", b"INFO"]));
    assert!(info.contains(" db=0 "), "{info:?}");
    assert!(info.contains(" resp=2\n"), "{info:?}");
    assert!(info.contains(" name= "), "{info:?}");
    assert_eq!(client_id(&mut c), id);
}

#[test]
fn auth_without_password_configured() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    assert_eq!(
        s(c.cmd(&[b"AUTH", b"foo"])),
        "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"
    );
    // The default user has `nopass`: any password works with a username.
    assert_eq!(c.cmd(&[b"AUTH", b"default", b"foo"]), b"+OK\r\n");
    assert_eq!(
        s(c.cmd(&[b"AUTH"])),
        "-ERR wrong number of arguments for 'auth' command\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"AUTH", b"a", b"b", b"c"])),
        "-ERR syntax error\r\n"
    );
    let id = client_id(&mut c);
    assert_eq!(
        s(c.cmd(&[b"HELLO", b"3", b"AUTH", b"default", b"foo"])),
        hello_reply(3, id)
    );
}

#[test]
fn requirepass_auth_flow() {
    let sp = ServerProc::start(&["--requirepass", "sekret"]);
    let mut c = sp.conn();
    assert_eq!(
        s(c.cmd(&[b"GET", b"a"])),
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(s(c.cmd(&[b"PING"])), "-NOAUTH Authentication required.\r\n");
    assert_eq!(
        s(c.cmd(&[b"ECHO", b"a"])),
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"HELLO", b"3"])),
        "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"AUTH", b"wrong"])),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"AUTH", b"default", b"wrong"])),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"HELLO", b"3", b"AUTH", b"default", b"wrong"])),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"GET", b"a"])),
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(c.cmd(&[b"AUTH", b"sekret"]), b"+OK\r\n");
    assert_eq!(c.cmd(&[b"GET", b"a"]), b"$-1\r\n");

    // AUTH with the explicit default user.
    let mut c2 = sp.conn();
    assert_eq!(c2.cmd(&[b"AUTH", b"default", b"sekret"]), b"+OK\r\n");
    assert_eq!(c2.cmd(&[b"SET", b"a", b"1"]), b"+OK\r\n");

    // RESET logs the connection out again.
    assert_eq!(c2.cmd(&[b"RESET"]), b"+RESET\r\n");
    assert_eq!(
        s(c2.cmd(&[b"GET", b"a"])),
        "-NOAUTH Authentication required.\r\n"
    );
}

#[test]
fn requirepass_hello_auth() {
    let sp = ServerProc::start(&["--requirepass", "sekret"]);
    let mut c = sp.conn();
    // CLIENT ID is not allowed before auth: HELLO tells us the id.
    let r = s(c.cmd(&[b"HELLO", b"2", b"AUTH", b"default", b"sekret"]));
    assert!(r.starts_with("*14\r\n"), "{r:?}");
    let id_at = r
        .find("$2\r\nid\r\n:")
        .map(|i| i + 9)
        .unwrap_or_else(|| panic!("{r:?}"));
    let id_end = r[id_at..]
        .find("\r\n")
        .map(|i| i + id_at)
        .unwrap_or_else(|| panic!("{r:?}"));
    let id: i64 = r[id_at..id_end].parse().unwrap_or_else(|_| panic!("{r:?}"));
    assert_eq!(r, hello_reply(2, id));
    assert_eq!(c.cmd(&[b"GET", b"nokey"]), b"$-1\r\n");

    let mut c3 = sp.conn();
    let r = s(c3.cmd(&[
        b"HELLO", b"3", b"AUTH", b"default", b"sekret", b"SETNAME", b"nm",
    ]));
    assert!(r.starts_with("%7\r\n"), "{r:?}");
    assert_eq!(c3.cmd(&[b"GET", b"nokey"]), b"_\r\n");
    assert_eq!(c3.cmd(&[b"CLIENT", b"GETNAME"]), b"$2\r\nnm\r\n");
    let id3 = client_id(&mut c3);
    assert!(id3 > id);
}

#[test]
fn requirepass_set_and_cleared_at_runtime() {
    let sp = ServerProc::start(&[]);
    let mut admin = sp.conn();
    assert_eq!(
        admin.cmd(&[b"CONFIG", b"SET", b"requirepass", b"pw"]),
        b"+OK\r\n"
    );
    // The connection that set it stays authenticated; new ones are not.
    assert_eq!(admin.cmd(&[b"PING"]), b"+PONG\r\n");
    let mut c = sp.conn();
    assert_eq!(s(c.cmd(&[b"PING"])), "-NOAUTH Authentication required.\r\n");
    assert_eq!(c.cmd(&[b"AUTH", b"pw"]), b"+OK\r\n");
    assert_eq!(
        admin.cmd(&[b"CONFIG", b"SET", b"requirepass", b""]),
        b"+OK\r\n"
    );
    let mut c2 = sp.conn();
    assert_eq!(c2.cmd(&[b"PING"]), b"+PONG\r\n");
}

#[test]
fn quit_replies_ok_and_closes() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    assert_eq!(c.cmd(&[b"QUIT"]), b"+OK\r\n");
    assert!(c.read_eof(), "QUIT must close the connection");
    // QUIT ignores extra arguments, and works inline.
    let mut c = sp.conn();
    c.send_raw(b"QUIT x\r\n");
    assert_eq!(c.read_reply(), b"+OK\r\n");
    assert!(c.read_eof());
    // Commands pipelined after QUIT are not executed.
    let mut c = sp.conn();
    c.send_raw(b"SET q 1\r\nQUIT\r\nSET q 2\r\n");
    assert_eq!(c.read_reply(), b"+OK\r\n");
    assert_eq!(c.read_reply(), b"+OK\r\n");
    assert!(c.read_eof());
    assert!(c.buf.is_empty(), "nothing after QUIT: {:?}", c.buf);
    let mut c = sp.conn();
    assert_eq!(c.cmd(&[b"GET", b"q"]), b"$1\r\n1\r\n");
}

#[test]
fn quit_works_before_auth() {
    let sp = ServerProc::start(&["--requirepass", "pw"]);
    let mut c = sp.conn();
    assert_eq!(c.cmd(&[b"QUIT"]), b"+OK\r\n");
    assert!(c.read_eof());
    let mut c = sp.conn();
    assert_eq!(c.cmd(&[b"RESET"]), b"+RESET\r\n");
}

#[test]
fn echo_and_ping() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    assert_eq!(c.cmd(&[b"ECHO", b"hello"]), b"$5\r\nhello\r\n");
    assert_eq!(c.cmd(&[b"ECHO", b"a\r\nb\x00"]), b"$5\r\na\r\nb\x00\r\n");
    assert_eq!(c.cmd(&[b"PING"]), b"+PONG\r\n");
    assert_eq!(c.cmd(&[b"PING", b"hi there"]), b"$8\r\nhi there\r\n");
    assert_eq!(
        s(c.cmd(&[b"ECHO"])),
        "-ERR wrong number of arguments for 'echo' command\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"ECHO", b"a", b"b"])),
        "-ERR wrong number of arguments for 'echo' command\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"PING", b"a", b"b"])),
        "-ERR wrong number of arguments for 'ping' command\r\n"
    );
    assert_eq!(c.cmd(&[b"HELLO", b"3"]).first(), Some(&b'%'));
    assert_eq!(c.cmd(&[b"PING"]), b"+PONG\r\n");
    assert_eq!(c.cmd(&[b"PING", b"hi"]), b"$2\r\nhi\r\n");
    assert_eq!(c.cmd(&[b"ECHO", b"hello"]), b"$5\r\nhello\r\n");
}
