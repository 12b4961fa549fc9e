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

// ---- CLIENT LIST values, MONITOR, CLIENT PAUSE, client eviction ----

/// Reads one MONITOR line (a status reply) and checks its timestamp:
/// returns the rest after `+<secs>.<6 digits> `.
fn monitor_line(m: &mut Conn) -> String {
    let r = s(m.read_reply());
    assert!(r.starts_with('+') && r.ends_with("\r\n"), "status: {r:?}");
    let body = &r[1..r.len() - 2];
    let (ts, rest) = body
        .split_once(' ')
        .unwrap_or_else(|| panic!("no space in {body:?}"));
    let (secs, usecs) = ts
        .split_once('.')
        .unwrap_or_else(|| panic!("timestamp {ts:?}"));
    assert!(is_uint(secs) && secs.len() >= 10, "secs in {ts:?}");
    assert!(is_uint(usecs) && usecs.len() == 6, "usecs in {ts:?}");
    rest.to_string()
}

#[test]
fn client_list_qbuf_of_running_command_and_reply_buffer() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    // The running command's 26 bytes are still in its query buffer.
    let list = bulk(c.cmd(&[b"CLIENT", b"LIST"]));
    let kv = parse_client_line(list.trim_end_matches('\n'));
    assert_eq!(field(&kv, "qbuf"), "26", "{list}");
    assert_eq!(field(&kv, "argv-mem"), "10", "{list}");
    // A fresh client's reply buffer is 16 KiB; its query buffer has room
    // for one 16 KiB read.
    assert_eq!(field(&kv, "rbs"), "16384", "{list}");
    let room: usize = field(&kv, "qbuf").parse::<usize>().unwrap_or(0)
        + field(&kv, "qbuf-free").parse::<usize>().unwrap_or(0);
    assert!((16384..32768).contains(&room), "{list}");
    // Another client's line: nothing pending.
    let mut other = sp.conn();
    assert_eq!(other.cmd(&[b"CLIENT", b"SETNAME", b"other"]), b"+OK\r\n");
    let list = bulk(c.cmd(&[b"CLIENT", b"LIST"]));
    let line = list
        .lines()
        .find(|l| l.contains(" name=other "))
        .unwrap_or_else(|| panic!("{list}"));
    let kv = parse_client_line(line);
    assert_eq!(field(&kv, "qbuf"), "0", "{line}");
    assert_eq!(field(&kv, "cmd"), "client|setname", "{line}");
    // A big argument leaves room for another of its size.
    let big = vec![b'x'; 100_000];
    assert_eq!(other.cmd(&[b"SET", b"k", &big]), b"+OK\r\n");
    let list = bulk(c.cmd(&[b"CLIENT", b"LIST"]));
    let line = list
        .lines()
        .find(|l| l.contains(" name=other "))
        .unwrap_or_else(|| panic!("{list}"));
    let kv = parse_client_line(line);
    let free: usize = field(&kv, "qbuf-free").parse().unwrap_or(0);
    assert!(free >= 100_002, "{line}");
    // ID filters: any integer is accepted, ids below 1 match nobody.
    assert_eq!(bulk(c.cmd(&[b"CLIENT", b"LIST", b"ID", b"0", b"-3"])), "");
    assert_eq!(
        s(c.cmd(&[b"CLIENT", b"LIST", b"ID", b"1", b"x"])),
        "-ERR Invalid client ID\r\n"
    );
}

#[test]
fn monitor_lines() {
    let sp = ServerProc::start(&[]);
    let mut m = sp.conn();
    assert_eq!(m.cmd(&[b"MONITOR"]), b"+OK\r\n");
    let mut c = sp.conn();
    let addr = client_addr(&mut c);
    // Arguments as the client sent them.
    assert_eq!(
        monitor_line(&mut m),
        format!("[0 {addr}] \"CLIENT\" \"INFO\"")
    );
    c.cmd(&[b"set", b"k", b"a\"b\\c\n\r\t\x07\x08\x00\xff \xc3\xa9"]);
    assert_eq!(
        monitor_line(&mut m),
        format!("[0 {addr}] \"set\" \"k\" \"a\\\"b\\\\c\\n\\r\\t\\a\\b\\x00\\xff \\xc3\\xa9\"")
    );
    c.cmd(&[b"select", b"3"]);
    assert_eq!(monitor_line(&mut m), format!("[3 {addr}] \"select\" \"3\""));
    // Admin commands are not shown.
    c.cmd(&[b"config", b"get", b"maxmemory"]);
    // The script's line comes first, then its commands as "lua".
    c.cmd(&[
        b"eval",
        b"redis.call('set',KEYS[1],'x') return 1",
        b"1",
        b"kk",
    ]);
    assert_eq!(
        monitor_line(&mut m),
        format!("[3 {addr}] \"eval\" \"redis.call('set',KEYS[1],'x') return 1\" \"1\" \"kk\"")
    );
    assert_eq!(monitor_line(&mut m), "[3 lua] \"set\" \"kk\" \"x\"");
    // MULTI, the queued commands as EXEC runs them, EXEC.
    c.cmd(&[b"multi"]);
    c.cmd(&[b"incr", b"n"]);
    c.cmd(&[b"exec"]);
    assert_eq!(monitor_line(&mut m), format!("[3 {addr}] \"multi\""));
    assert_eq!(monitor_line(&mut m), format!("[3 {addr}] \"incr\" \"n\""));
    assert_eq!(monitor_line(&mut m), format!("[3 {addr}] \"exec\""));
    // Passwords are redacted.
    c.cmd(&[b"auth", b"u", b"secret"]);
    assert_eq!(
        monitor_line(&mut m),
        format!("[3 {addr}] \"auth\" \"(redacted)\" \"(redacted)\"")
    );
    c.cmd(&[b"ping"]);
    assert_eq!(monitor_line(&mut m), format!("[3 {addr}] \"ping\""));
    // The monitor itself: sees its own commands, may not touch keys, a
    // second MONITOR gets no reply.
    m.send_raw(&common::encode_command(&[b"MONITOR"]));
    assert_eq!(
        s(m.cmd(&[b"GET", b"k"])),
        "-ERR Replica can't interact with the keyspace\r\n"
    );
    let info = bulk(c.cmd(&[b"CLIENT", b"LIST", b"TYPE", b"normal"]));
    assert!(info.contains(" flags=O "), "monitor flag O: {info}");
    // Inside MULTI, MONITOR is refused when EXEC runs it.
    let mut t = sp.conn();
    t.cmd(&[b"MULTI"]);
    assert_eq!(t.cmd(&[b"MONITOR"]), b"+QUEUED\r\n");
    assert_eq!(
        s(t.cmd(&[b"EXEC"])),
        "*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n"
    );
}

#[test]
fn client_pause_write_and_all() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    assert_eq!(
        s(c.cmd(&[b"CLIENT", b"PAUSE", b"10", b"foo"])),
        "-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"CLIENT", b"PAUSE", b"-1"])),
        "-ERR timeout is negative\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"CLIENT", b"PAUSE", b"x"])),
        "-ERR timeout is not an integer or out of range\r\n"
    );
    c.cmd(&[b"SET", b"k", b"v"]);
    assert_eq!(
        c.cmd(&[b"CLIENT", b"PAUSE", b"100000", b"WRITE"]),
        b"+OK\r\n"
    );
    // Reads and read-only scripts run; writes and scripts that may write wait.
    let mut r = sp.conn();
    assert_eq!(r.cmd(&[b"GET", b"k"]), b"$1\r\nv\r\n");
    assert_eq!(
        r.cmd(&[b"EVAL", b"#!lua flags=no-writes\nreturn 7", b"0"]),
        b":7\r\n"
    );
    let mut w = sp.conn();
    w.send_raw(&common::encode_command(&[b"SET", b"k", b"w"]));
    let mut e = sp.conn();
    e.send_raw(&common::encode_command(&[b"EVAL", b"return 1", b"0"]));
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let info = s(c.cmd(&[b"INFO", b"clients"]));
        if common::info_field(&info, "blocked_clients").as_deref() == Some("2") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{info}");
        std::thread::sleep(Duration::from_millis(10));
    }
    let list = bulk(c.cmd(&[b"CLIENT", b"LIST"]));
    assert_eq!(list.matches(" flags=b ").count(), 2, "{list}");
    assert_eq!(c.cmd(&[b"GET", b"k"]), b"$1\r\nv\r\n");
    assert_eq!(c.cmd(&[b"CLIENT", b"UNPAUSE"]), b"+OK\r\n");
    assert_eq!(w.read_reply(), b"+OK\r\n");
    assert_eq!(e.read_reply(), b":1\r\n");
    assert_eq!(c.cmd(&[b"GET", b"k"]), b"$1\r\nw\r\n");
    // ALL: every command waits until the pause times out.
    assert_eq!(c.cmd(&[b"CLIENT", b"PAUSE", b"300", b"ALL"]), b"+OK\r\n");
    let t0 = std::time::Instant::now();
    assert_eq!(r.cmd(&[b"PING"]), b"+PONG\r\n");
    let waited = t0.elapsed();
    assert!(waited >= Duration::from_millis(200), "{waited:?}");
    // Keys do not expire while paused.
    c.cmd(&[b"SET", b"e", b"1", b"PX", b"20"]);
    let before = common::info_field(&s(c.cmd(&[b"INFO", b"stats"])), "expired_keys");
    assert_eq!(
        c.cmd(&[b"CLIENT", b"PAUSE", b"100000", b"WRITE"]),
        b"+OK\r\n"
    );
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(c.cmd(&[b"GET", b"e"]), b"$-1\r\n");
    let during = common::info_field(&s(c.cmd(&[b"INFO", b"stats"])), "expired_keys");
    assert_eq!(before, during);
    assert_eq!(c.cmd(&[b"CLIENT", b"UNPAUSE"]), b"+OK\r\n");
    assert_eq!(c.cmd(&[b"GET", b"e"]), b"$-1\r\n");
    let after = common::info_field(&s(c.cmd(&[b"INFO", b"stats"])), "expired_keys");
    assert_ne!(before, after);
}

/// Names of the connected clients, from CLIENT LIST.
fn client_names(c: &mut Conn) -> Vec<String> {
    bulk(c.cmd(&[b"CLIENT", b"LIST"]))
        .lines()
        .map(|l| field(&parse_client_line(l), "name").to_string())
        .collect()
}

#[test]
fn client_eviction_biggest_first() {
    let sp = ServerProc::start(&["--enable-debug-command", "yes"]);
    let mut c = sp.conn();
    assert_eq!(
        s(c.cmd(&[b"DEBUG", b"CLIENT-EVICTION"])),
        "-ERR maxmemory-clients is disabled.\r\n"
    );
    assert_eq!(c.cmd(&[b"CLIENT", b"SETNAME", b"control"]), b"+OK\r\n");
    assert_eq!(c.cmd(&[b"CLIENT", b"NO-EVICT", b"on"]), b"+OK\r\n");
    // Clients holding 200 KiB, 256 KiB and 1 MiB in their query buffers.
    let mut held = Vec::new();
    for (name, size) in [
        ("small", 200 * 1024),
        ("mid", 256 * 1024),
        ("big", 1024 * 1024),
    ] {
        let mut k = sp.conn();
        assert_eq!(k.cmd(&[b"CLIENT", b"SETNAME", name.as_bytes()]), b"+OK\r\n");
        if name == "mid" {
            // Protected from eviction (checked below).
            assert_eq!(k.cmd(&[b"CLIENT", b"NO-EVICT", b"on"]), b"+OK\r\n");
        }
        let mut req = format!("*2\r\n${size}\r\n").into_bytes();
        req.extend(std::iter::repeat_n(b'v', size));
        k.send_raw(&req);
        held.push(k);
    }
    // Wait until the server has read them all.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !bulk(c.cmd(&[b"CLIENT", b"LIST"])).contains("qbuf=1048576 ") {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(10));
    }
    let mem = |c: &mut Conn, n: &str| -> usize {
        let list = bulk(c.cmd(&[b"CLIENT", b"LIST"]));
        let line = list
            .lines()
            .find(|l| l.contains(&format!(" name={n} ")))
            .unwrap_or_else(|| panic!("{n} in {list}"))
            .to_string();
        field(&parse_client_line(&line), "tot-mem")
            .parse()
            .unwrap_or(0)
    };
    let (small, mid) = (mem(&mut c, "small"), mem(&mut c, "mid"));
    assert!(small > 200 * 1024 && mid > 256 * 1024, "{small} {mid}");
    // Room for the two smaller ones only: the biggest goes.
    let limit = (small + mid + 4096).to_string();
    assert_eq!(
        c.cmd(&[b"CONFIG", b"SET", b"maxmemory-clients", limit.as_bytes()]),
        b"+OK\r\n"
    );
    let names = client_names(&mut c);
    assert!(!names.contains(&"big".to_string()), "{names:?}");
    assert!(names.contains(&"mid".to_string()) && names.contains(&"small".to_string()));
    let info = s(c.cmd(&[b"INFO", b"stats"]));
    assert_eq!(
        common::info_field(&info, "evicted_clients").as_deref(),
        Some("1")
    );
    let buckets = bulk(c.cmd(&[b"DEBUG", b"CLIENT-EVICTION"]));
    assert_eq!(buckets.lines().count(), 19, "{buckets}");
    assert!(
        buckets.starts_with("bucket          0 -      32767: tot-mem: "),
        "{buckets}"
    );
    assert!(sp.log().contains("Evicting client: id="), "log line");
    // NO-EVICT protects: at the smallest limit only "mid" stays.
    assert_eq!(held.len(), 3);
    assert_eq!(
        c.cmd(&[b"CONFIG", b"SET", b"maxmemory-clients", b"1"]),
        b"+OK\r\n"
    );
    let names = client_names(&mut c);
    assert!(names.contains(&"mid".to_string()), "{names:?}");
    assert!(!names.contains(&"small".to_string()), "{names:?}");
}

#[test]
fn reply_buffer_shrinks_when_idle() {
    let sp = ServerProc::start(&["--enable-debug-command", "yes"]);
    let mut c = sp.conn();
    assert_eq!(
        c.cmd(&[b"DEBUG", b"REPLYBUFFER", b"PEAK-RESET-TIME", b"100"]),
        b"+OK\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"DEBUG", b"REPLYBUFFER", b"FOO", b"1"])),
        "-ERR unknown subcommand or wrong number of arguments for 'REPLYBUFFER'. Try DEBUG HELP.\r\n"
    );
    let mut idle = sp.conn();
    assert_eq!(idle.cmd(&[b"CLIENT", b"SETNAME", b"idle"]), b"+OK\r\n");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let list = bulk(c.cmd(&[b"CLIENT", b"LIST"]));
        let line = list
            .lines()
            .find(|l| l.contains(" name=idle "))
            .unwrap_or("")
            .to_string();
        if field(&parse_client_line(&line), "rbs") == "1024" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{line}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let info = s(c.cmd(&[b"INFO", b"stats"]));
    let shrinks: u64 = common::info_field(&info, "reply_buffer_shrinks")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(shrinks >= 1, "{info}");
}
