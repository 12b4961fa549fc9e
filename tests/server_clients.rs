//! The CLIENT command family: ID, SETNAME/GETNAME, LIST and INFO (field
//! names, order and value shapes), KILL (ID, ADDR, LADDR, USER, TYPE,
//! SKIPME and the old `CLIENT KILL addr:port` form), REPLY ON/OFF/SKIP and
//! NO-EVICT.
//!
//! Expectations are Redis 7.0.15's; the tests pass against Debian's
//! redis-server with `RUSTREDIS_BIN=/usr/bin/redis-server`.

mod common;
#[allow(unused_imports)]
use common::{s, settle_clients};

use common::{Conn, ServerProc};
use std::time::Duration;

/// The payload of a RESP2 bulk string reply; panics on anything else.
fn bulk(reply: Vec<u8>) -> String {
    let t = s(reply);
    assert!(t.starts_with('$'), "bulk expected: {t:?}");
    let nl = t.find("\r\n").unwrap_or_else(|| panic!("{t:?}"));
    let n: usize = t[1..nl].parse().unwrap_or_else(|_| panic!("{t:?}"));
    let body = &t[nl + 2..];
    assert_eq!(body.len(), n + 2, "bulk length mismatch in {t:?}");
    body[..n].to_string()
}

fn int(reply: Vec<u8>) -> i64 {
    let t = s(reply);
    assert!(
        t.starts_with(':') && t.ends_with("\r\n"),
        "integer expected: {t:?}"
    );
    t[1..t.len() - 2]
        .parse()
        .unwrap_or_else(|_| panic!("{t:?}"))
}

/// Field names of a CLIENT LIST / CLIENT INFO line, in Redis 7.0 order.
const FIELDS: &[&str] = &[
    "id",
    "addr",
    "laddr",
    "fd",
    "name",
    "age",
    "idle",
    "flags",
    "db",
    "sub",
    "psub",
    "ssub",
    "multi",
    "qbuf",
    "qbuf-free",
    "argv-mem",
    "multi-mem",
    "rbs",
    "rbp",
    "obl",
    "oll",
    "omem",
    "tot-mem",
    "events",
    "cmd",
    "user",
    "redir",
    "resp",
];

/// Splits one client line into (field, value) pairs.
fn parse_client_line(line: &str) -> Vec<(String, String)> {
    line.split(' ')
        .map(|kv| {
            let (k, v) = kv
                .split_once('=')
                .unwrap_or_else(|| panic!("no '=' in {kv:?} of {line:?}"));
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn field<'a>(kv: &'a [(String, String)], name: &str) -> &'a str {
    kv.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("field {name} missing in {kv:?}"))
}

fn is_uint(v: &str) -> bool {
    !v.is_empty() && v.chars().all(|c| c.is_ascii_digit())
}

/// Checks the shape of a client line for an ordinary TCP client that has
/// just run `cmd`.
fn check_client_line(line: &str, port: u16, name: &str, cmd: &str, resp: &str) {
    let kv = parse_client_line(line);
    let names: Vec<&str> = kv.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, FIELDS, "field names/order in {line:?}");
    assert!(is_uint(field(&kv, "id")), "{line}");
    let addr = field(&kv, "addr");
    let (host, p) = addr
        .rsplit_once(':')
        .unwrap_or_else(|| panic!("addr {addr}"));
    assert_eq!(host, "127.0.0.1");
    assert!(is_uint(p), "{line}");
    assert_eq!(field(&kv, "laddr"), format!("127.0.0.1:{port}"));
    assert!(is_uint(field(&kv, "fd")), "{line}");
    assert_eq!(field(&kv, "name"), name);
    assert!(is_uint(field(&kv, "age")), "{line}");
    assert!(is_uint(field(&kv, "idle")), "{line}");
    assert_eq!(field(&kv, "flags"), "N");
    assert_eq!(field(&kv, "db"), "0");
    for z in ["sub", "psub", "ssub", "multi-mem", "oll", "omem"] {
        assert_eq!(field(&kv, z), "0", "{z} in {line}");
    }
    assert_eq!(field(&kv, "multi"), "-1");
    for n in [
        "qbuf",
        "qbuf-free",
        "argv-mem",
        "rbs",
        "rbp",
        "obl",
        "tot-mem",
    ] {
        assert!(is_uint(field(&kv, n)), "{n} in {line}");
    }
    assert_eq!(field(&kv, "events"), "r");
    assert_eq!(field(&kv, "cmd"), cmd);
    assert_eq!(field(&kv, "user"), "default");
    assert_eq!(field(&kv, "redir"), "-1");
    assert_eq!(field(&kv, "resp"), resp);
}

fn client_id(c: &mut Conn) -> i64 {
    int(c.cmd(&[b"CLIENT", b"ID"]))
}

/// `addr` field of `c` from CLIENT INFO.
fn client_addr(c: &mut Conn) -> String {
    let info = bulk(c.cmd(&[b"CLIENT", b"INFO"]));
    let kv = parse_client_line(info.trim_end_matches('\n'));
    field(&kv, "addr").to_string()
}

#[test]
fn client_id_increases() {
    let sp = ServerProc::start(&[]);
    let mut a = sp.conn();
    let mut b = sp.conn();
    let mut c = sp.conn();
    let (ia, ib, ic) = (client_id(&mut a), client_id(&mut b), client_id(&mut c));
    assert!(ia > 0 && ia < ib && ib < ic, "{ia} {ib} {ic}");
    assert_eq!(client_id(&mut a), ia, "stable for a connection");
    let info = bulk(b.cmd(&[b"CLIENT", b"INFO"]));
    assert!(info.starts_with(&format!("id={ib} ")), "{info}");
}

#[test]
fn client_setname_getname() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    assert_eq!(c.cmd(&[b"CLIENT", b"GETNAME"]), b"$-1\r\n");
    assert_eq!(c.cmd(&[b"CLIENT", b"SETNAME", b"worker-1"]), b"+OK\r\n");
    assert_eq!(c.cmd(&[b"CLIENT", b"GETNAME"]), b"$8\r\nworker-1\r\n");
    assert_eq!(
        s(c.cmd(&[b"CLIENT", b"SETNAME", b"a b"])),
        "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"CLIENT", b"SETNAME", b"a\nb"])),
        "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    );
    assert_eq!(c.cmd(&[b"CLIENT", b"GETNAME"]), b"$8\r\nworker-1\r\n");
    // An empty name clears it.
    assert_eq!(c.cmd(&[b"CLIENT", b"SETNAME", b""]), b"+OK\r\n");
    assert_eq!(c.cmd(&[b"CLIENT", b"GETNAME"]), b"$-1\r\n");
}

#[test]
fn client_info_fields() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    let info = bulk(c.cmd(&[b"CLIENT", b"INFO"]));
    assert!(
        info.ends_with('\n') && !info.ends_with("\n\n"),
        "one line ending in \\n: {info:?}"
    );
    check_client_line(info.trim_end_matches('\n'), sp.port, "", "client|info", "2");
    let id = client_id(&mut c);
    assert!(info.starts_with(&format!("id={id} ")));
    assert_eq!(c.cmd(&[b"CLIENT", b"SETNAME", b"me"]), b"+OK\r\n");
    let info = bulk(c.cmd(&[b"CLIENT", b"INFO"]));
    check_client_line(
        info.trim_end_matches('\n'),
        sp.port,
        "me",
        "client|info",
        "2",
    );
    // The selected db shows up.
    assert_eq!(c.cmd(&[b"SELECT", b"5"]), b"+OK\r\n");
    let info = bulk(c.cmd(&[b"CLIENT", b"INFO"]));
    assert!(info.contains(" db=5 "), "{info}");
}

#[test]
fn client_list_fields_and_filters() {
    let sp = ServerProc::start(&[]);
    let mut a = sp.conn();
    assert_eq!(settle_clients(&mut a, 1), 1);
    let mut b = sp.conn();
    assert_eq!(b.cmd(&[b"CLIENT", b"SETNAME", b"bee"]), b"+OK\r\n");
    assert_eq!(b.cmd(&[b"GET", b"x"]), b"$-1\r\n");
    let ida = client_id(&mut a);
    let idb = client_id(&mut b);
    let list = bulk(a.cmd(&[b"CLIENT", b"LIST"]));
    assert!(list.ends_with('\n'), "{list:?}");
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    // Ordered by id.
    assert!(lines[0].starts_with(&format!("id={ida} ")), "{list}");
    assert!(lines[1].starts_with(&format!("id={idb} ")), "{list}");
    check_client_line(lines[0], sp.port, "", "client|list", "2");
    check_client_line(lines[1], sp.port, "bee", "client|id", "2");
    // Filters.
    let only_b = bulk(a.cmd(&[b"CLIENT", b"LIST", b"ID", idb.to_string().as_bytes()]));
    assert_eq!(only_b.lines().count(), 1, "{only_b}");
    assert!(only_b.starts_with(&format!("id={idb} ")));
    let both = bulk(a.cmd(&[
        b"CLIENT",
        b"LIST",
        b"ID",
        ida.to_string().as_bytes(),
        idb.to_string().as_bytes(),
    ]));
    assert_eq!(both.lines().count(), 2);
    let normal = bulk(a.cmd(&[b"CLIENT", b"LIST", b"TYPE", b"normal"]));
    assert_eq!(normal.lines().count(), 2);
    assert_eq!(
        a.cmd(&[b"CLIENT", b"LIST", b"TYPE", b"pubsub"]),
        b"$0\r\n\r\n"
    );
    assert_eq!(
        a.cmd(&[b"CLIENT", b"LIST", b"ID", b"999999"]),
        b"$0\r\n\r\n"
    );
    assert_eq!(
        s(a.cmd(&[b"CLIENT", b"LIST", b"TYPE", b"bogus"])),
        "-ERR Unknown client type 'bogus'\r\n"
    );
    assert_eq!(
        s(a.cmd(&[b"CLIENT", b"LIST", b"ID", b"abc"])),
        "-ERR Invalid client ID\r\n"
    );
    assert_eq!(
        s(a.cmd(&[b"CLIENT", b"LIST", b"FOO"])),
        "-ERR syntax error\r\n"
    );
    // RESP3 client shows resp=3.
    assert_eq!(b.cmd(&[b"HELLO", b"3"]).first(), Some(&b'%'));
    let list = bulk(a.cmd(&[b"CLIENT", b"LIST", b"ID", idb.to_string().as_bytes()]));
    check_client_line(list.trim_end_matches('\n'), sp.port, "bee", "hello", "3");
}

#[test]
fn client_kill_by_id_and_addr() {
    let sp = ServerProc::start(&[]);
    let mut admin = sp.conn();
    let mut v1 = sp.conn();
    let mut v2 = sp.conn();
    let mut v3 = sp.conn();
    let id1 = client_id(&mut v1);
    let addr2 = client_addr(&mut v2);
    let addr3 = client_addr(&mut v3);
    assert_eq!(
        admin.cmd(&[b"CLIENT", b"KILL", b"ID", id1.to_string().as_bytes()]),
        b":1\r\n"
    );
    assert!(v1.read_eof(), "killed by ID");
    assert_eq!(
        admin.cmd(&[b"CLIENT", b"KILL", b"ID", id1.to_string().as_bytes()]),
        b":0\r\n"
    );
    assert_eq!(
        admin.cmd(&[b"CLIENT", b"KILL", b"ADDR", addr2.as_bytes()]),
        b":1\r\n"
    );
    assert!(v2.read_eof(), "killed by ADDR");
    // The old form answers +OK or an error.
    assert_eq!(
        admin.cmd(&[b"CLIENT", b"KILL", addr3.as_bytes()]),
        b"+OK\r\n"
    );
    assert!(v3.read_eof(), "killed by old-style addr");
    assert_eq!(
        s(admin.cmd(&[b"CLIENT", b"KILL", addr3.as_bytes()])),
        "-ERR No such client\r\n"
    );
    assert_eq!(
        admin.cmd(&[b"CLIENT", b"KILL", b"ADDR", b"1.2.3.4:5"]),
        b":0\r\n"
    );
    assert_eq!(admin.cmd(&[b"CLIENT", b"KILL", b"ID", b"99999"]), b":0\r\n");
    assert_eq!(
        s(admin.cmd(&[b"CLIENT", b"KILL", b"ID", b"abc"])),
        "-ERR client-id should be greater than 0\r\n"
    );
    assert_eq!(
        s(admin.cmd(&[b"CLIENT", b"KILL", b"SKIPME", b"maybe"])),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        s(admin.cmd(&[b"CLIENT", b"KILL", b"BOGUS", b"x"])),
        "-ERR syntax error\r\n"
    );
    assert_eq!(admin.cmd(&[b"PING"]), b"+PONG\r\n");
}

#[test]
fn client_kill_user_laddr_type_and_skipme() {
    let sp = ServerProc::start(&[]);
    let mut admin = sp.conn();
    assert_eq!(settle_clients(&mut admin, 1), 1);
    let mut others: Vec<Conn> = (0..3).map(|_| sp.conn()).collect();
    for o in others.iter_mut() {
        assert_eq!(o.cmd(&[b"PING"]), b"+PONG\r\n");
    }
    assert_eq!(
        s(admin.cmd(&[b"CLIENT", b"KILL", b"USER", b"nobody"])),
        "-ERR No such user 'nobody'\r\n"
    );
    // SKIPME yes is the default: the caller survives.
    assert_eq!(
        admin.cmd(&[b"CLIENT", b"KILL", b"USER", b"default"]),
        b":3\r\n"
    );
    for o in others.iter_mut() {
        assert!(o.read_eof(), "killed by USER");
    }
    assert_eq!(admin.cmd(&[b"PING"]), b"+PONG\r\n");

    let mut more: Vec<Conn> = (0..2).map(|_| sp.conn()).collect();
    for o in more.iter_mut() {
        assert_eq!(o.cmd(&[b"PING"]), b"+PONG\r\n");
    }
    let laddr = format!("127.0.0.1:{}", sp.port);
    assert_eq!(
        admin.cmd(&[
            b"CLIENT",
            b"KILL",
            b"LADDR",
            laddr.as_bytes(),
            b"SKIPME",
            b"yes"
        ]),
        b":2\r\n"
    );
    for o in more.iter_mut() {
        assert!(o.read_eof(), "killed by LADDR");
    }
    let mut one = sp.conn();
    assert_eq!(one.cmd(&[b"PING"]), b"+PONG\r\n");
    assert_eq!(
        admin.cmd(&[b"CLIENT", b"KILL", b"TYPE", b"normal"]),
        b":1\r\n"
    );
    assert!(one.read_eof(), "killed by TYPE");
    assert_eq!(
        admin.cmd(&[b"CLIENT", b"KILL", b"TYPE", b"pubsub"]),
        b":0\r\n"
    );

    // SKIPME no: a client may kill itself; it still gets the reply.
    let myid = client_id(&mut admin);
    assert_eq!(
        admin.cmd(&[
            b"CLIENT",
            b"KILL",
            b"ID",
            myid.to_string().as_bytes(),
            b"SKIPME",
            b"no"
        ]),
        b":1\r\n"
    );
    assert!(admin.read_eof(), "self-kill closes after the reply");
    // With SKIPME yes (default) killing yourself by ID finds nothing.
    let mut c = sp.conn();
    let cid = client_id(&mut c);
    assert_eq!(
        c.cmd(&[b"CLIENT", b"KILL", b"ID", cid.to_string().as_bytes()]),
        b":0\r\n"
    );
    assert_eq!(c.cmd(&[b"PING"]), b"+PONG\r\n");
}

#[test]
fn client_reply_off_on_skip() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    // OFF: no reply to itself nor to what follows, until ON (+OK).
    c.send_raw(b"CLIENT REPLY OFF\r\nSET a 1\r\nPING\r\nINCR a\r\nCLIENT REPLY ON\r\nGET a\r\n");
    assert_eq!(c.read_reply(), b"+OK\r\n");
    assert_eq!(c.read_reply(), b"$1\r\n2\r\n");
    // SKIP: no reply to itself nor to the next command only.
    c.send_raw(b"CLIENT REPLY SKIP\r\nINCR a\r\nINCR a\r\n");
    assert_eq!(c.read_reply(), b":4\r\n");
    // Errors are suppressed too while OFF.
    c.send_raw(b"CLIENT REPLY OFF\r\nNOSUCHCMD\r\nGET\r\nCLIENT REPLY ON\r\n");
    assert_eq!(c.read_reply(), b"+OK\r\n");
    assert_eq!(
        s(c.cmd(&[b"CLIENT", b"REPLY", b"x"])),
        "-ERR syntax error\r\n"
    );
    assert_eq!(c.cmd(&[b"PING"]), b"+PONG\r\n");
    // Nothing extra was buffered.
    std::thread::sleep(Duration::from_millis(100));
    assert!(!c.read_eof());
    assert!(c.buf.is_empty(), "unexpected bytes {:?}", c.buf);
}

#[test]
fn client_no_evict() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    assert_eq!(c.cmd(&[b"CLIENT", b"NO-EVICT", b"on"]), b"+OK\r\n");
    let info = bulk(c.cmd(&[b"CLIENT", b"INFO"]));
    assert!(info.contains(" flags=e "), "no-evict flag e: {info}");
    assert_eq!(c.cmd(&[b"CLIENT", b"NO-EVICT", b"OFF"]), b"+OK\r\n");
    let info = bulk(c.cmd(&[b"CLIENT", b"INFO"]));
    assert!(info.contains(" flags=N "), "{info}");
    assert_eq!(
        s(c.cmd(&[b"CLIENT", b"NO-EVICT", b"maybe"])),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"CLIENT", b"NO-EVICT"])),
        "-ERR wrong number of arguments for 'client|no-evict' command\r\n"
    );
}

#[test]
fn client_help_and_unknown_subcommand() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    let help = s(c.cmd(&[b"CLIENT", b"HELP"]));
    assert!(help.starts_with('*'), "{help}");
    assert!(
        help.contains("CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"),
        "{help}"
    );
    assert_eq!(
        s(c.cmd(&[b"CLIENT", b"FOO"])),
        "-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"CLIENT"])),
        "-ERR wrong number of arguments for 'client' command\r\n"
    );
}

/// CLIENT SETINFO (Redis 7.2, which redis-py 5+ sends on connect): the
/// attributes appear in CLIENT INFO / LIST; bad names and values are refused
/// with 7.2's errors. The 7.0.15 oracle has no such command, so this runs
/// against rustredis only.
#[test]
fn client_setinfo_lib_name_and_version() {
    if common::server_bin().ends_with("redis-server") {
        return;
    }
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    assert_eq!(
        s(c.cmd(&[b"CLIENT", b"SETINFO", b"LIB-NAME", b"redis-py"])),
        "+OK\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"CLIENT", b"SETINFO", b"lib-ver", b"5.0.1"])),
        "+OK\r\n"
    );
    let info = s(c.cmd(&[b"CLIENT", b"INFO"]));
    assert!(
        info.contains(" lib-name=redis-py lib-ver=5.0.1\n"),
        "{info}"
    );
    assert_eq!(
        s(c.cmd(&[b"CLIENT", b"SETINFO", b"lib-color", b"x"])),
        "-ERR Unrecognized option 'lib-color'\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"CLIENT", b"SETINFO", b"LIB-NAME", b"has space"])),
        "-ERR LIB-NAME cannot contain spaces, newlines or special characters.\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"CLIENT", b"SETINFO", b"lib-name"])),
        "-ERR wrong number of arguments for 'client|setinfo' command\r\n"
    );
    // An empty value clears the attribute.
    assert_eq!(
        s(c.cmd(&[b"CLIENT", b"SETINFO", b"lib-name", b""])),
        "+OK\r\n"
    );
    let info = s(c.cmd(&[b"CLIENT", b"INFO"]));
    assert!(!info.contains("lib-name="), "{info}");
    assert!(info.contains(" lib-ver=5.0.1\n"), "{info}");
}
