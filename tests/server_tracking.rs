//! Client-side caching (CLIENT TRACKING): invalidation messages in RESP3
//! and through REDIRECT, BCAST with prefixes, OPTIN/OPTOUT with CLIENT
//! CACHING, NOLOOP, flushes, the table-size eviction, INFO and CLIENT LIST.
//!
//! Each scenario runs against rustredis and, when it is installed, against
//! redis-server 7.0.15; the transcripts of raw replies (client ids masked)
//! must be identical. Spot assertions on rustredis's transcript make every
//! test meaningful without the oracle too.

mod common;

use std::time::{Duration, Instant};

use common::{Conn, ServerProc, escape, info_field, s};

/// The replies a scenario received, escaped, with client ids masked.
#[derive(Default)]
struct Transcript {
    lines: Vec<String>,
    /// Client ids to mask, as `:<id>` integers, in the replies read with
    /// `cmd_ids` / `read_ids`.
    ids: Vec<String>,
}

impl Transcript {
    fn record(&mut self, r: Vec<u8>, mask: bool) -> String {
        let mut e = escape(&r);
        if mask {
            for (i, id) in self.ids.iter().enumerate() {
                e = e.replace(&format!(":{id}\\r\\n"), &format!(":<id{i}>\\r\\n"));
            }
        }
        self.lines.push(e.clone());
        e
    }

    /// Runs a command and records its reply.
    fn cmd(&mut self, c: &mut Conn, line: &str) -> String {
        let r = c.cmd_str(line);
        self.record(r, false)
    }

    /// Runs a command and records its reply with client ids masked.
    fn cmd_ids(&mut self, c: &mut Conn, line: &str) -> String {
        let r = c.cmd_str(line);
        self.record(r, true)
    }

    /// Reads one more reply (or push) and records it.
    fn read(&mut self, c: &mut Conn) -> String {
        let r = c.read_reply();
        self.record(r, false)
    }

    /// Reads one more reply (or push) and records it, client ids masked.
    fn read_ids(&mut self, c: &mut Conn) -> String {
        let r = c.read_reply();
        self.record(r, true)
    }

    /// Asks a connection its id and registers it for masking.
    fn id(&mut self, c: &mut Conn) -> String {
        let id = s(c.cmd_str("CLIENT ID"));
        let id = id.trim_start_matches(':').trim_end().to_string();
        self.ids.push(id.clone());
        id
    }
}

/// Runs `scenario` against rustredis and the oracle and requires the same
/// transcript; returns rustredis's.
fn both(scenario: fn(&ServerProc) -> Vec<String>) -> Vec<String> {
    let ours = ServerProc::start(&[]);
    let got = scenario(&ours);
    if std::env::var_os("TRACKING_TRACE").is_some() {
        for (i, l) in got.iter().enumerate() {
            eprintln!("{i}: {l}");
        }
    }
    if let Some(oracle) = ServerProc::start_oracle(&[]) {
        let want = scenario(&oracle);
        assert_eq!(
            got, want,
            "rustredis (left) differs from redis-server (right)"
        );
    }
    got
}

fn hello3(c: &mut Conn) {
    let r = c.cmd_str("HELLO 3");
    assert!(r.starts_with(b"%7\r\n"), "{}", escape(&r));
}

fn info(c: &mut Conn, field: &str) -> String {
    let text = s(c.cmd_str("INFO everything"));
    let body = text.split_once("\r\n").map(|x| x.1).unwrap_or("");
    info_field(body, field).unwrap_or_else(|| panic!("INFO has no {field}"))
}

fn resp3_scenario(sp: &ServerProc) -> Vec<String> {
    let mut t = Transcript::default();
    let mut c1 = sp.conn();
    let mut c2 = sp.conn();
    hello3(&mut c1);
    t.cmd(&mut c1, "CLIENT TRACKING on");
    t.cmd(&mut c2, "SET key1 1");
    t.cmd(&mut c1, "GET key1");
    t.cmd(&mut c2, "SET key1 2");
    // The push arrives on its own; then the next reply.
    t.read(&mut c1);
    t.cmd(&mut c1, "PING");
    // Not tracked any more: no second push.
    t.cmd(&mut c2, "SET key1 3");
    t.cmd(&mut c1, "PING");
    // The client's own write: reply first, then the invalidation.
    t.cmd(&mut c1, "GET key1");
    t.cmd(&mut c1, "SET key1 4");
    t.read(&mut c1);
    // HDEL of a tracked hash, same connection.
    t.cmd(&mut c1, "HSET h f 1");
    t.cmd(&mut c1, "HGET h f");
    t.cmd(&mut c1, "HDEL h f");
    t.read(&mut c1);
    // A transaction's reply is never interleaved with the invalidation.
    t.cmd(&mut c1, "MSET a{t} 1 b{t} 2");
    t.cmd(&mut c1, "GET a{t}");
    t.cmd(&mut c1, "MULTI");
    t.cmd(&mut c1, "INCR a{t}");
    t.cmd(&mut c1, "GET b{t}");
    t.cmd(&mut c1, "EXEC");
    t.read(&mut c1);
    // b{t} was read inside the transaction: tracked.
    t.cmd(&mut c2, "DEL b{t}");
    t.read(&mut c1);
    // A pipeline: each invalidation follows the reply of its own command.
    c1.send_raw(b"GET p\r\nSET p v\r\nGET p\r\nMGET p q\r\nDEL p q\r\nPING\r\n");
    for _ in 0..8 {
        t.read(&mut c1);
    }
    // NOLOOP: the client's own writes are not reported back.
    t.cmd(&mut c1, "CLIENT TRACKING off");
    t.cmd(&mut c1, "CLIENT TRACKING on NOLOOP");
    t.cmd(&mut c1, "MGET n1 n2");
    t.cmd(&mut c1, "SET n1 x");
    t.cmd(&mut c2, "SET n2 y");
    t.read(&mut c1);
    t.cmd(&mut c1, "PING");
    // CLIENT REPLY OFF does not stop invalidations.
    t.cmd(&mut c1, "GET r");
    t.send_no_reply(&mut c1, "CLIENT REPLY OFF");
    t.cmd(&mut c2, "SET r 1");
    t.read(&mut c1);
    t.cmd(&mut c1, "CLIENT REPLY ON");
    t.cmd(&mut c1, "PING");
    t.lines
}

impl Transcript {
    fn send_no_reply(&mut self, c: &mut Conn, line: &str) {
        let args = common::split_args(line);
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        c.send_raw(&common::encode_command(&refs));
    }
}

#[test]
fn resp3_invalidation_follows_replies() {
    let t = both(resp3_scenario);
    let push = |k: &str| {
        format!(
            ">2\\r\\n$10\\r\\ninvalidate\\r\\n*1\\r\\n${}\\r\\n{k}\\r\\n",
            k.len()
        )
    };
    assert_eq!(t[4], push("key1"));
    assert_eq!(t[5], "+PONG\\r\\n");
    assert_eq!(t[7], "+PONG\\r\\n");
    assert_eq!(t[9], "+OK\\r\\n");
    assert_eq!(t[10], push("key1"));
    assert_eq!(t[13], ":1\\r\\n");
    assert_eq!(t[14], push("h"));
    assert_eq!(t[20], "*2\\r\\n:2\\r\\n$1\\r\\n2\\r\\n");
    assert_eq!(t[21], push("a{t}"));
    assert_eq!(t[23], push("b{t}"));
    // GET p, SET p, push p, GET p, MGET, DEL, push p, push q, PING
    assert_eq!(t[24], "_\\r\\n");
    assert_eq!(t[25], "+OK\\r\\n");
    assert_eq!(t[26], push("p"));
    assert_eq!(t[27], "$1\\r\\nv\\r\\n");
    assert_eq!(t[29], ":1\\r\\n");
    assert_eq!(t[30], push("p"));
    // q did not exist: nothing to invalidate.
    assert_eq!(t[31], "+PONG\\r\\n");
    // NOLOOP: only n2.
    assert_eq!(t[37], push("n2"));
    assert_eq!(t[38], "+PONG\\r\\n");
    // Reply off: the push still arrives, then CLIENT REPLY ON's +OK.
    assert_eq!(t[41], push("r"));
    assert_eq!(t[42], "+OK\\r\\n");
}

fn redirect_scenario(sp: &ServerProc) -> Vec<String> {
    let mut t = Transcript::default();
    let mut r = sp.conn();
    let mut c1 = sp.conn();
    let mut c2 = sp.conn();
    hello3(&mut r);
    let rid = t.id(&mut r);
    t.cmd(&mut c1, &format!("CLIENT TRACKING on REDIRECT {rid}"));
    t.cmd_ids(&mut c1, "CLIENT GETREDIR");
    t.cmd_ids(&mut c1, "CLIENT TRACKINGINFO");
    t.cmd(&mut c2, "SET k 1");
    t.cmd(&mut c1, "GET k");
    t.cmd(&mut c2, "SET k 2");
    t.read(&mut r);
    // A flush: the null of the tracking client's protocol (RESP2 `$-1`),
    // even inside the RESP3 target's push.
    t.cmd(&mut c1, "GET k");
    t.cmd(&mut c2, "FLUSHALL");
    t.read(&mut r);
    t.cmd(&mut r, "PING");
    // The target's own write: its invalidation comes before its reply, as
    // Redis writes it at once; in a transaction, before the reply of the
    // queued command.
    t.cmd(&mut c1, "GET k");
    t.cmd(&mut r, "SET k mine");
    t.read(&mut r);
    t.cmd(&mut c1, "GET k");
    t.cmd(&mut r, "MULTI");
    t.cmd(&mut r, "SET k again");
    t.cmd(&mut r, "PING");
    // (The push counts as the first element for this test's reader.)
    t.cmd(&mut r, "EXEC");
    t.read(&mut r);
    // The target goes away: a RESP2 tracker is only flagged.
    t.cmd(&mut c1, "GET k");
    t.cmd(&mut r, "QUIT");
    assert!(r.read_eof());
    t.cmd(&mut c2, "SET k 3");
    t.cmd_ids(&mut c1, "CLIENT TRACKINGINFO");
    let list = s(c1.cmd_str("CLIENT INFO"));
    assert!(list.contains(" flags=tR "), "{list}");
    assert!(list.contains(&format!(" redir={rid} ")), "{list}");
    // In RESP3 it is told.
    hello3(&mut c1);
    t.cmd(&mut c1, "GET k");
    t.cmd(&mut c2, "SET k 4");
    t.read_ids(&mut c1);
    t.cmd(&mut c1, "PING");
    t.cmd(&mut c1, "CLIENT TRACKING off");
    t.cmd(&mut c1, "CLIENT GETREDIR");
    t.lines
}

#[test]
fn redirect_and_broken_redirect() {
    let t = both(redirect_scenario);
    assert_eq!(t[0], "+OK\\r\\n");
    assert_eq!(t[1], ":<id0>\\r\\n");
    assert_eq!(
        t[2],
        "*6\\r\\n$5\\r\\nflags\\r\\n*1\\r\\n$2\\r\\non\\r\\n$8\\r\\nredirect\\r\\n:<id0>\\r\\n$8\\r\\nprefixes\\r\\n*0\\r\\n"
    );
    assert_eq!(
        t[6],
        ">2\\r\\n$10\\r\\ninvalidate\\r\\n*1\\r\\n$1\\r\\nk\\r\\n"
    );
    assert_eq!(t[9], ">2\\r\\n$10\\r\\ninvalidate\\r\\n$-1\\r\\n");
    assert_eq!(t[10], "+PONG\\r\\n");
    let push = ">2\\r\\n$10\\r\\ninvalidate\\r\\n*1\\r\\n$1\\r\\nk\\r\\n";
    assert_eq!(t[12], push);
    assert_eq!(t[13], "+OK\\r\\n");
    assert_eq!(t[18], format!("*2\\r\\n{push}+OK\\r\\n"));
    assert_eq!(t[19], "+PONG\\r\\n");
    assert!(
        t[23].contains("$15\\r\\nbroken_redirect\\r\\n"),
        "{}",
        t[23]
    );
    assert_eq!(
        t[26],
        ">2\\r\\n$21\\r\\ntracking-redir-broken\\r\\n:<id0>\\r\\n"
    );
    assert_eq!(t[27], "+PONG\\r\\n");
    assert_eq!(t[29], ":-1\\r\\n");
}

fn bcast_scenario(sp: &ServerProc) -> Vec<String> {
    let mut t = Transcript::default();
    let mut c1 = sp.conn();
    let mut c2 = sp.conn();
    hello3(&mut c1);
    t.cmd(&mut c1, "CLIENT TRACKING on BCAST PREFIX b: PREFIX a:");
    t.cmd(&mut c1, "CLIENT TRACKINGINFO");
    // One event-loop turn: one message per prefix, keys in byte order.
    t.cmd(&mut c2, "MULTI");
    for k in ["b:2", "a:2", "a:1", "b:1", "c:1", "a:1"] {
        t.cmd(&mut c2, &format!("INCR {k}"));
    }
    t.cmd(&mut c2, "EXEC");
    t.read(&mut c1);
    t.read(&mut c1);
    t.cmd(&mut c1, "PING");
    // Adding a prefix, and the overlap errors.
    t.cmd(&mut c1, "CLIENT TRACKING on BCAST PREFIX c:");
    t.cmd(&mut c1, "CLIENT TRACKING on BCAST PREFIX a:x");
    t.cmd(
        &mut c1,
        "CLIENT TRACKING on BCAST PREFIX d PREFIX e PREFIX dd",
    );
    // An overlap found from the second prefix on: error, then +OK.
    t.cmd(
        &mut c1,
        "CLIENT TRACKING on BCAST PREFIX e PREFIX d PREFIX dd",
    );
    t.read(&mut c1);
    t.cmd(&mut c1, "CLIENT TRACKINGINFO");
    t.cmd(&mut c2, "SET c:9 1");
    t.read(&mut c1);
    t.cmd(&mut c1, "PING");
    // NOLOOP: keys the client wrote itself are left out.
    t.cmd(&mut c1, "CLIENT TRACKING off");
    t.cmd(&mut c1, "CLIENT TRACKING on BCAST NOLOOP");
    t.cmd(&mut c1, "SET loop 1");
    t.cmd(&mut c2, "SET other 1");
    t.read(&mut c1);
    t.cmd(&mut c1, "PING");
    // Expiry is nobody's write: reported even with NOLOOP.
    t.cmd(&mut c1, "SET e v PX 1");
    t.read(&mut c1);
    t.cmd(&mut c1, "PING");
    t.lines
}

#[test]
fn bcast_prefixes_and_noloop() {
    let t = both(bcast_scenario);
    assert_eq!(
        t[1],
        "%3\\r\\n$5\\r\\nflags\\r\\n~2\\r\\n$2\\r\\non\\r\\n$5\\r\\nbcast\\r\\n$8\\r\\nredirect\\r\\n:0\\r\\n$8\\r\\nprefixes\\r\\n*2\\r\\n$2\\r\\na:\\r\\n$2\\r\\nb:\\r\\n"
    );
    assert_eq!(
        t[10],
        ">2\\r\\n$10\\r\\ninvalidate\\r\\n*2\\r\\n$3\\r\\na:1\\r\\n$3\\r\\na:2\\r\\n"
    );
    assert_eq!(
        t[11],
        ">2\\r\\n$10\\r\\ninvalidate\\r\\n*2\\r\\n$3\\r\\nb:1\\r\\n$3\\r\\nb:2\\r\\n"
    );
    assert_eq!(t[12], "+PONG\\r\\n");
    assert_eq!(
        t[14],
        "-ERR Prefix 'a:x' overlaps with an existing prefix 'a:'. Prefixes for a single client must not overlap.\\r\\n"
    );
    let overlap = |a: &str, b: &str| {
        format!(
            "-ERR Prefix '{a}' overlaps with another provided prefix '{b}'. Prefixes for a single client must not overlap.\\r\\n"
        )
    };
    assert_eq!(t[15], overlap("d", "dd"));
    // Redis 7.0.15 replies the second prefix's overlap error and then OK,
    // with every prefix added.
    assert_eq!(t[16], overlap("d", "dd"));
    assert_eq!(t[17], "+OK\\r\\n");
    assert!(
        t[18].ends_with("*6\\r\\n$2\\r\\na:\\r\\n$2\\r\\nb:\\r\\n$2\\r\\nc:\\r\\n$1\\r\\nd\\r\\n$2\\r\\ndd\\r\\n$1\\r\\ne\\r\\n"),
        "{}",
        t[18]
    );
    assert_eq!(
        t[20],
        ">2\\r\\n$10\\r\\ninvalidate\\r\\n*1\\r\\n$3\\r\\nc:9\\r\\n"
    );
    assert_eq!(
        t[26],
        ">2\\r\\n$10\\r\\ninvalidate\\r\\n*1\\r\\n$5\\r\\nother\\r\\n"
    );
    assert_eq!(
        t[29],
        ">2\\r\\n$10\\r\\ninvalidate\\r\\n*1\\r\\n$1\\r\\ne\\r\\n"
    );
}

fn optin_optout_scenario(sp: &ServerProc) -> Vec<String> {
    let mut t = Transcript::default();
    let mut c1 = sp.conn();
    let mut c2 = sp.conn();
    hello3(&mut c1);
    t.cmd(&mut c1, "CLIENT CACHING yes");
    t.cmd(&mut c1, "CLIENT TRACKING on OPTIN");
    t.cmd(&mut c1, "CLIENT CACHING no");
    t.cmd(&mut c1, "CLIENT TRACKING on OPTOUT");
    t.cmd(&mut c1, "GET k1");
    t.cmd(&mut c1, "CLIENT CACHING yes");
    t.cmd(&mut c1, "CLIENT TRACKINGINFO");
    t.cmd(&mut c1, "GET k2");
    // The flag lasted one command.
    t.cmd(&mut c1, "CLIENT TRACKINGINFO");
    t.cmd(&mut c1, "GET k3");
    t.cmd(&mut c2, "MSET k1 1 k2 2 k3 3");
    t.read(&mut c1);
    t.cmd(&mut c1, "PING");
    // CACHING yes covers a whole transaction.
    t.cmd(&mut c1, "CLIENT CACHING yes");
    t.cmd(&mut c1, "MULTI");
    t.cmd(&mut c1, "GET m1");
    t.cmd(&mut c1, "GET m2");
    t.cmd(&mut c1, "EXEC");
    t.cmd(&mut c2, "MSET m1 1 m2 2");
    t.read(&mut c1);
    t.read(&mut c1);
    t.cmd(&mut c1, "PING");
    // OPTOUT: everything but what follows CACHING no.
    t.cmd(&mut c1, "CLIENT TRACKING off");
    t.cmd(&mut c1, "CLIENT TRACKING on OPTOUT");
    t.cmd(&mut c1, "CLIENT CACHING no");
    t.cmd(&mut c1, "CLIENT TRACKINGINFO");
    t.cmd(&mut c1, "GET o1");
    t.cmd(&mut c1, "GET o2");
    t.cmd(&mut c2, "MSET o1 1 o2 2");
    t.read(&mut c1);
    t.cmd(&mut c1, "PING");
    t.cmd(&mut c1, "CLIENT TRACKING on OPTIN");
    t.cmd(&mut c1, "CLIENT CACHING yes");
    t.lines
}

#[test]
fn optin_optout_and_caching() {
    let t = both(optin_optout_scenario);
    assert_eq!(
        t[0],
        "-ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled\\r\\n"
    );
    assert_eq!(
        t[2],
        "-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\\r\\n"
    );
    assert!(
        t[3].starts_with("-ERR You can't switch OPTIN/OPTOUT mode"),
        "{}",
        t[3]
    );
    assert!(t[6].contains("$11\\r\\ncaching-yes\\r\\n"), "{}", t[6]);
    assert!(!t[8].contains("caching-yes"), "{}", t[8]);
    assert_eq!(
        t[11],
        ">2\\r\\n$10\\r\\ninvalidate\\r\\n*1\\r\\n$2\\r\\nk2\\r\\n"
    );
    assert_eq!(t[12], "+PONG\\r\\n");
    assert_eq!(
        t[19],
        ">2\\r\\n$10\\r\\ninvalidate\\r\\n*1\\r\\n$2\\r\\nm1\\r\\n"
    );
    assert_eq!(
        t[20],
        ">2\\r\\n$10\\r\\ninvalidate\\r\\n*1\\r\\n$2\\r\\nm2\\r\\n"
    );
    assert!(t[25].contains("$10\\r\\ncaching-no\\r\\n"), "{}", t[25]);
    assert_eq!(
        t[29],
        ">2\\r\\n$10\\r\\ninvalidate\\r\\n*1\\r\\n$2\\r\\no2\\r\\n"
    );
    assert_eq!(t[30], "+PONG\\r\\n");
}

fn flush_scenario(sp: &ServerProc) -> Vec<String> {
    let mut t = Transcript::default();
    let mut c1 = sp.conn();
    let mut c2 = sp.conn();
    hello3(&mut c1);
    t.cmd(&mut c1, "CLIENT TRACKING on");
    t.cmd(&mut c1, "GET k");
    t.cmd(&mut c2, "FLUSHALL");
    t.read(&mut c1);
    t.cmd(&mut c2, "FLUSHDB");
    t.read(&mut c1);
    // The client's own flush, inside a transaction: after EXEC's reply.
    t.cmd(&mut c1, "MULTI");
    t.cmd(&mut c1, "FLUSHDB");
    t.cmd(&mut c1, "EXEC");
    t.read(&mut c1);
    t.cmd(&mut c1, "PING");
    // SWAPDB invalidates nothing (Redis 7.0.15).
    t.cmd(&mut c1, "SWAPDB 0 1");
    t.cmd(&mut c1, "PING");
    t.lines
}

#[test]
fn flushes_invalidate_everything() {
    let t = both(flush_scenario);
    let null = ">2\\r\\n$10\\r\\ninvalidate\\r\\n_\\r\\n";
    assert_eq!(t[3], null);
    assert_eq!(t[5], null);
    assert_eq!(t[8], "*1\\r\\n+OK\\r\\n");
    assert_eq!(t[9], null);
    assert_eq!(t[10], "+PONG\\r\\n");
    assert_eq!(t[12], "+PONG\\r\\n");
}

fn blocked_scenario(sp: &ServerProc) -> Vec<String> {
    let mut t = Transcript::default();
    let mut c1 = sp.conn();
    let mut c2 = sp.conn();
    hello3(&mut c1);
    t.cmd(&mut c2, "RPUSH list2{t} a");
    t.cmd(&mut c1, "CLIENT TRACKING on");
    t.cmd(&mut c1, "LRANGE list2{t} 0 -1");
    t.send_no_reply(&mut c1, "BLMOVE list1{t} list2{t} LEFT LEFT 0");
    let deadline = Instant::now() + Duration::from_secs(5);
    while info(&mut c2, "blocked_clients") != "1" {
        assert!(Instant::now() < deadline, "client never blocked");
        std::thread::sleep(Duration::from_millis(5));
    }
    t.cmd(&mut c2, "RPUSH list1{t} foo");
    t.read(&mut c1);
    t.read(&mut c1);
    t.cmd(&mut c1, "PING");
    t.lines
}

#[test]
fn served_blocked_client_gets_invalidation_after_reply() {
    let t = both(blocked_scenario);
    assert_eq!(t[4], "$3\\r\\nfoo\\r\\n");
    assert_eq!(
        t[5],
        ">2\\r\\n$10\\r\\ninvalidate\\r\\n*1\\r\\n$8\\r\\nlist2{t}\\r\\n"
    );
}

fn blocked_redirect_scenario(sp: &ServerProc) -> Vec<String> {
    let mut t = Transcript::default();
    let mut r = sp.conn();
    let mut c1 = sp.conn();
    let mut c2 = sp.conn();
    hello3(&mut r);
    let rid = t.id(&mut r);
    t.cmd(&mut c1, &format!("CLIENT TRACKING on REDIRECT {rid}"));
    t.cmd(&mut c2, "RPUSH list2{t} a");
    t.cmd(&mut c1, "LRANGE list2{t} 0 -1");
    // The redirect target is the blocked client whose served command
    // changes the tracked key: the invalidation precedes its reply.
    t.send_no_reply(&mut r, "BLMOVE list1{t} list2{t} LEFT LEFT 0");
    let deadline = Instant::now() + Duration::from_secs(5);
    while info(&mut c2, "blocked_clients") != "1" {
        assert!(Instant::now() < deadline, "client never blocked");
        std::thread::sleep(Duration::from_millis(5));
    }
    t.cmd(&mut c2, "RPUSH list1{t} foo");
    t.read(&mut r);
    t.read(&mut r);
    t.cmd(&mut r, "PING");
    t.lines
}

#[test]
fn served_blocked_redirect_target_gets_invalidation_first() {
    let t = both(blocked_redirect_scenario);
    assert_eq!(
        t[4],
        ">2\\r\\n$10\\r\\ninvalidate\\r\\n*1\\r\\n$8\\r\\nlist2{t}\\r\\n"
    );
    assert_eq!(t[5], "$3\\r\\nfoo\\r\\n");
    assert_eq!(t[6], "+PONG\\r\\n");
}

fn errors_scenario(sp: &ServerProc) -> Vec<String> {
    let mut t = Transcript::default();
    let mut c1 = sp.conn();
    for line in [
        "CLIENT TRACKING",
        "CLIENT TRACKING maybe",
        "CLIENT TRACKING on foo",
        "CLIENT TRACKING on REDIRECT",
        "CLIENT TRACKING on PREFIX",
        "CLIENT TRACKING on REDIRECT x",
        "CLIENT TRACKING on REDIRECT -1",
        "CLIENT TRACKING on REDIRECT 0",
        "CLIENT TRACKING on REDIRECT 999999",
        "CLIENT TRACKING off REDIRECT 999999",
        "CLIENT TRACKING off PREFIX x OPTIN OPTOUT",
        "CLIENT TRACKING on PREFIX x",
        "CLIENT TRACKING on OPTIN OPTOUT",
        "CLIENT TRACKING on BCAST OPTIN",
        "CLIENT TRACKING on BCAST OPTOUT",
        "CLIENT TRACKING on BCAST PREFIX FOOBAR PREFIX FOO",
        "CLIENT TRACKING on BCAST PREFIX FOO PREFIX FOOBAR",
        "CLIENT TRACKINGINFO",
        "CLIENT TRACKING on BCAST PREFIX FO",
        "CLIENT TRACKING on BCAST PREFIX BARB",
        "CLIENT TRACKING on",
        "CLIENT TRACKING on OPTIN",
        "CLIENT CACHING",
        "CLIENT CACHING maybe",
        "CLIENT CACHING yes no",
        "CLIENT GETREDIR x",
        "CLIENT TRACKINGINFO x",
        "CLIENT TRACKING off",
        "CLIENT TRACKING on OPTIN",
        "CLIENT TRACKING on OPTOUT",
        "CLIENT TRACKING on BCAST",
        "CLIENT CACHING yes",
        "CLIENT CACHING maybe",
        "CLIENT TRACKINGINFO",
        "CLIENT TRACKING on",
        "CLIENT TRACKING OFF",
        "CLIENT TRACKING on BCAST",
        "CLIENT TRACKING on BCAST",
        "CLIENT TRACKING on BCAST PREFIX ''",
        "CLIENT TRACKINGINFO",
    ] {
        t.cmd(&mut c1, line);
    }
    let id = t.id(&mut c1);
    t.cmd(
        &mut c1,
        &format!("CLIENT TRACKING off REDIRECT {id} REDIRECT {id}"),
    );
    t.cmd(&mut c1, "CLIENT TRACKING off");
    // A client may redirect to itself.
    t.cmd(&mut c1, &format!("CLIENT TRACKING on REDIRECT {id}"));
    t.cmd_ids(&mut c1, "CLIENT GETREDIR");
    hello3(&mut c1);
    t.cmd_ids(&mut c1, "CLIENT TRACKINGINFO");
    t.cmd(&mut c1, "RESET");
    t.cmd(&mut c1, "CLIENT TRACKINGINFO");
    t.lines
}

#[test]
fn error_replies_match_redis() {
    let t = both(errors_scenario);
    assert_eq!(
        t[0],
        "-ERR wrong number of arguments for 'client|tracking' command\\r\\n"
    );
    assert_eq!(t[1], "-ERR syntax error\\r\\n");
    assert_eq!(t[5], "-ERR value is not an integer or out of range\\r\\n");
    assert_eq!(
        t[8],
        "-ERR The client ID you want redirect to does not exist\\r\\n"
    );
    assert_eq!(t[10], "+OK\\r\\n");
    assert_eq!(
        t[11],
        "-ERR PREFIX option requires BCAST mode to be enabled\\r\\n"
    );
    assert_eq!(
        t[12],
        "-ERR You can't specify both OPTIN mode and OPTOUT mode\\r\\n"
    );
    assert_eq!(
        t[13],
        "-ERR OPTIN and OPTOUT are not compatible with BCAST\\r\\n"
    );
    assert!(t[15].starts_with("-ERR Prefix 'FOOBAR' overlaps with another provided prefix 'FOO'"));
    assert!(t[16].starts_with("-ERR Prefix 'FOO' overlaps with another provided prefix 'FOOBAR'"));
    assert!(
        t[20].starts_with("-ERR You can't switch BCAST mode on/off"),
        "{}",
        t[20]
    );
    assert_eq!(
        t[38],
        "-ERR Prefix '' overlaps with an existing prefix ''. Prefixes for a single client must not overlap.\\r\\n"
    );
    assert_eq!(
        t[40],
        "-ERR A client can only redirect to a single other client\\r\\n"
    );
    assert_eq!(t[42], "+OK\\r\\n");
    assert_eq!(t[43], ":<id0>\\r\\n");
    assert_eq!(t[45], "+RESET\\r\\n");
    assert_eq!(
        t[46],
        "*6\\r\\n$5\\r\\nflags\\r\\n*1\\r\\n$3\\r\\noff\\r\\n$8\\r\\nredirect\\r\\n:-1\\r\\n$8\\r\\nprefixes\\r\\n*0\\r\\n"
    );
}

/// INFO's tracking fields and CLIENT LIST's flags follow the tables; a
/// freed client leaves the counts.
#[test]
fn info_fields_and_client_flags() {
    for sp in [Some(ServerProc::start(&[])), ServerProc::start_oracle(&[])]
        .into_iter()
        .flatten()
    {
        let mut c1 = sp.conn();
        let mut c2 = sp.conn();
        let mut c3 = sp.conn();
        assert_eq!(c1.cmd_str("CLIENT TRACKING on"), b"+OK\r\n");
        c1.cmd_str("MGET k1 k2 k3");
        c2.cmd_str("CLIENT TRACKING on");
        c2.cmd_str("GET k1");
        assert_eq!(
            c3.cmd_str("CLIENT TRACKING on BCAST PREFIX a PREFIX b"),
            b"+OK\r\n"
        );
        assert_eq!(info(&mut c1, "tracking_clients"), "3");
        assert_eq!(info(&mut c1, "tracking_total_keys"), "3");
        assert_eq!(info(&mut c1, "tracking_total_items"), "4");
        assert_eq!(info(&mut c1, "tracking_total_prefixes"), "2");
        let list = s(c1.cmd_str("CLIENT LIST"));
        let flags: Vec<&str> = list
            .lines()
            .filter_map(|l| l.split(' ').find(|w| w.starts_with("flags=")))
            .collect();
        assert_eq!(flags, ["flags=t", "flags=t", "flags=tB"], "{list}");
        assert!(list.contains(" redir=0 "), "{list}");
        // A write invalidates the key for both readers.
        c3.cmd_str("SET k1 x");
        assert_eq!(info(&mut c1, "tracking_total_keys"), "2");
        assert_eq!(info(&mut c1, "tracking_total_items"), "2");
        drop(c3);
        let deadline = Instant::now() + Duration::from_secs(2);
        while info(&mut c1, "tracking_clients") != "2" {
            assert!(Instant::now() < deadline, "freed client still tracking");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(info(&mut c1, "tracking_total_prefixes"), "0");
        c2.cmd_str("RESET");
        assert_eq!(info(&mut c1, "tracking_clients"), "1");
        c1.cmd_str("CLIENT TRACKING off");
        assert_eq!(info(&mut c1, "tracking_clients"), "0");
        // Ids stay in the table until the keys change or are flushed.
        assert_eq!(info(&mut c1, "tracking_total_keys"), "2");
        c1.cmd_str("FLUSHALL");
        assert_eq!(info(&mut c1, "tracking_total_keys"), "0");
        assert_eq!(info(&mut c1, "tracking_total_items"), "0");
    }
}

/// `tracking-table-max-keys`: random keys are invalidated until the table
/// fits, 100 more per run while it does not.
#[test]
fn max_keys_evicts_random_keys() {
    for sp in [Some(ServerProc::start(&[])), ServerProc::start_oracle(&[])]
        .into_iter()
        .flatten()
    {
        let mut c1 = sp.conn();
        let mut c2 = sp.conn();
        hello3(&mut c1);
        c1.cmd_str("CLIENT TRACKING on");
        c1.cmd_str("MGET key1 key2");
        assert_eq!(
            c2.cmd_str("CONFIG SET tracking-table-max-keys 1"),
            b"+OK\r\n"
        );
        // The next command (or the cron) evicts one of the two.
        let push = c1.cmd_str("PING");
        let evicted = if push == b"+PONG\r\n" {
            c1.read_reply()
        } else {
            assert_eq!(c1.read_reply(), b"+PONG\r\n");
            push
        };
        let e = escape(&evicted);
        assert!(
            e == ">2\\r\\n$10\\r\\ninvalidate\\r\\n*1\\r\\n$4\\r\\nkey1\\r\\n"
                || e == ">2\\r\\n$10\\r\\ninvalidate\\r\\n*1\\r\\n$4\\r\\nkey2\\r\\n",
            "{e}"
        );
        assert_eq!(info(&mut c2, "tracking_total_keys"), "1");
        // 250 keys over a limit of 1: exactly 249 invalidations.
        c2.cmd_str("CONFIG SET tracking-table-max-keys 0");
        c1.cmd_str("FLUSHALL");
        assert!(escape(&c1.read_reply()).contains("invalidate\\r\\n_"));
        let mut args: Vec<String> = vec!["MGET".into()];
        args.extend((0..250).map(|i| format!("key{i}")));
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        c1.cmd(&refs);
        assert_eq!(info(&mut c2, "tracking_total_keys"), "250");
        c2.cmd_str("CONFIG SET tracking-table-max-keys 1");
        let mut seen = std::collections::BTreeSet::new();
        while seen.len() < 249 {
            let r = c1.read_reply();
            assert!(
                r.starts_with(b">2\r\n$10\r\ninvalidate\r\n*1\r\n"),
                "{}",
                escape(&r)
            );
            assert!(seen.insert(r), "a key was invalidated twice");
        }
        assert_eq!(c1.cmd_str("PING"), b"+PONG\r\n");
        assert_eq!(info(&mut c2, "tracking_total_keys"), "1");
    }
}

fn resp2_redirect_scenario(sp: &ServerProc) -> Vec<String> {
    let mut t = Transcript::default();
    let mut r = sp.conn();
    let mut plain = sp.conn();
    let mut c1 = sp.conn();
    let mut c2 = sp.conn();
    let rid = t.id(&mut r);
    let pid = t.id(&mut plain);
    t.cmd(&mut r, "SUBSCRIBE __redis__:invalidate");
    t.cmd(&mut c1, &format!("CLIENT TRACKING on REDIRECT {rid}"));
    t.cmd(&mut c2, "SET a 1");
    t.cmd(&mut c1, "GET a");
    t.cmd(&mut c2, "INCR a");
    t.read(&mut r);
    // BCAST through the redirection: one message with the sorted keys.
    t.cmd(&mut c1, "CLIENT TRACKING off");
    t.cmd(&mut c1, &format!("CLIENT TRACKING on BCAST REDIRECT {rid}"));
    t.cmd(&mut c2, "MSET y 1 x 2");
    t.read(&mut r);
    // A flush: the RESP2 null in the message's value.
    t.cmd(&mut c2, "FLUSHALL");
    t.read(&mut r);
    // A RESP2 target not in Pub/Sub mode gets nothing.
    t.cmd(&mut c1, "CLIENT TRACKING off");
    t.cmd(&mut c1, &format!("CLIENT TRACKING on REDIRECT {pid}"));
    t.cmd(&mut c1, "GET a");
    t.cmd(&mut c2, "SET a 3");
    t.cmd(&mut plain, "PING");
    t.cmd(&mut r, "PING");
    t.lines
}

/// RESP2: invalidations reach a client subscribed to
/// `__redis__:invalidate` as Pub/Sub messages.
#[test]
fn resp2_redirect_to_pubsub_client() {
    let t = both(resp2_redirect_scenario);
    assert_eq!(
        t[0],
        "*3\\r\\n$9\\r\\nsubscribe\\r\\n$20\\r\\n__redis__:invalidate\\r\\n:1\\r\\n"
    );
    assert_eq!(
        t[5],
        "*3\\r\\n$7\\r\\nmessage\\r\\n$20\\r\\n__redis__:invalidate\\r\\n*1\\r\\n$1\\r\\na\\r\\n"
    );
    assert_eq!(
        t[9],
        "*3\\r\\n$7\\r\\nmessage\\r\\n$20\\r\\n__redis__:invalidate\\r\\n*2\\r\\n$1\\r\\nx\\r\\n$1\\r\\ny\\r\\n"
    );
    assert_eq!(
        t[11],
        "*3\\r\\n$7\\r\\nmessage\\r\\n$20\\r\\n__redis__:invalidate\\r\\n$-1\\r\\n"
    );
    assert_eq!(t[16], "+PONG\\r\\n");
    assert_eq!(t[17], "*2\\r\\n$4\\r\\npong\\r\\n$0\\r\\n\\r\\n");
}

/// Invalidations count against the redirect target's output buffer limit
/// like any reply: a subscriber that takes too much is closed.
#[test]
fn redirect_target_over_output_limit_is_closed() {
    for sp in [Some(ServerProc::start(&[])), ServerProc::start_oracle(&[])]
        .into_iter()
        .flatten()
    {
        let mut r = sp.conn();
        let mut c1 = sp.conn();
        let mut c2 = sp.conn();
        let rid = s(r.cmd_str("CLIENT ID"));
        let rid = rid.trim_start_matches(':').trim_end();
        r.cmd_str("SUBSCRIBE __redis__:invalidate");
        assert_eq!(
            c1.cmd_str(&format!("CLIENT TRACKING on REDIRECT {rid}")),
            b"+OK\r\n"
        );
        let keys: Vec<String> = (0..100).map(|i| format!("{i:0>500}")).collect();
        let mut mset: Vec<&[u8]> = vec![b"MSET"];
        for k in &keys {
            mset.push(k.as_bytes());
            mset.push(b"v");
        }
        c2.cmd(&mset);
        let mut mget: Vec<&[u8]> = vec![b"MGET"];
        mget.extend(keys.iter().map(|k| k.as_bytes()));
        c1.cmd(&mget);
        assert_eq!(
            c2.cmd_str("CONFIG SET client-output-buffer-limit \"pubsub 1kb 0 0\""),
            b"+OK\r\n"
        );
        // One DEL invalidates 100 keys: about 52 KB for the subscriber at once.
        let mut del: Vec<&[u8]> = vec![b"DEL"];
        del.extend(keys.iter().map(|k| k.as_bytes()));
        assert_eq!(c2.cmd(&del), b":100\r\n");
        assert!(r.read_eof(), "the subscriber was not closed");
        assert!(
            sp.log()
                .contains("scheduled to be closed ASAP for overcoming of output buffer limits"),
            "{}",
            sp.log()
        );
        // The tracker is only flagged (RESP2: no message).
        c2.cmd_str("SET k 1");
        c1.cmd_str("GET k");
        c2.cmd_str("SET k 2");
        let info = s(c1.cmd_str("CLIENT INFO"));
        assert!(info.contains(" flags=tR "), "{info}");
    }
}
