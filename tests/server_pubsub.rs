//! Pub/Sub and keyspace notifications with many clients: fan-out to 1,000
//! subscribers, a slow subscriber cut off by `client-output-buffer-limit
//! pubsub`, and keyspace-event sequences compared message by message with
//! redis-server 7.0.15 (the oracle). Single-connection reply bytes (the
//! SUBSCRIBE family, PUBSUB, RESP2 restrictions, RESP3 pushes) are covered
//! by `tests/diff/90_pubsub.txt`.

mod common;

use std::io::{ErrorKind, Read};
use std::time::{Duration, Instant};

use common::{Conn, ServerProc, encode_command, escape, info_field, parse_reply, s};

/// Reads every complete reply that arrives until the connection has been
/// quiet for `quiet`.
fn drain(c: &mut Conn, quiet: Duration) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut last = Instant::now();
    loop {
        while let Ok(Some(end)) = parse_reply(&c.buf, 0) {
            let rest = c.buf.split_off(end);
            out.push(std::mem::replace(&mut c.buf, rest));
            last = Instant::now();
        }
        let waited = last.elapsed();
        if waited >= quiet {
            return out;
        }
        let _ = c.stream.set_read_timeout(Some(quiet - waited));
        let mut chunk = [0u8; 16384];
        match c.stream.read(&mut chunk) {
            Ok(0) => return out,
            Ok(n) => {
                c.buf.extend_from_slice(&chunk[..n]);
                last = Instant::now();
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return out,
        }
    }
}

fn message_frame(channel: &str, msg: &str) -> Vec<u8> {
    format!(
        "*3\r\n$7\r\nmessage\r\n${}\r\n{}\r\n${}\r\n{}\r\n",
        channel.len(),
        channel,
        msg.len(),
        msg
    )
    .into_bytes()
}

#[test]
fn fan_out_to_1000_subscribers() {
    let srv = ServerProc::start(&[]);
    let mut publisher = srv.conn();
    let mut subs: Vec<Conn> = (0..1000).map(|_| srv.conn()).collect();
    for c in subs.iter_mut() {
        c.send_raw(&encode_command(&[b"SUBSCRIBE", b"fan"]));
    }
    for c in subs.iter_mut() {
        assert_eq!(
            c.read_reply(),
            b"*3\r\n$9\r\nsubscribe\r\n$3\r\nfan\r\n:1\r\n".to_vec()
        );
    }
    // Ten of them also match by pattern: they get both frames.
    for c in subs.iter_mut().take(10) {
        assert_eq!(
            c.cmd(&[b"PSUBSCRIBE", b"f?n"]),
            b"*3\r\n$10\r\npsubscribe\r\n$3\r\nf?n\r\n:2\r\n".to_vec()
        );
    }
    assert_eq!(
        s(publisher.cmd(&[b"PUBSUB", b"NUMSUB", b"fan"])),
        "*2\r\n$3\r\nfan\r\n:1000\r\n"
    );
    for i in 0..3 {
        let msg = format!("hello-{i}");
        assert_eq!(
            s(publisher.cmd(&[b"PUBLISH", b"fan", msg.as_bytes()])),
            ":1010\r\n"
        );
    }
    let pmsg = |m: &str| -> Vec<u8> {
        format!(
            "*4\r\n$8\r\npmessage\r\n$3\r\nf?n\r\n$3\r\nfan\r\n${}\r\n{}\r\n",
            m.len(),
            m
        )
        .into_bytes()
    };
    for (j, c) in subs.iter_mut().enumerate() {
        for i in 0..3 {
            let msg = format!("hello-{i}");
            assert_eq!(c.read_reply(), message_frame("fan", &msg), "subscriber {j}");
            if j < 10 {
                assert_eq!(c.read_reply(), pmsg(&msg), "subscriber {j}");
            }
        }
    }
    // Closed connections leave the channel.
    subs.truncate(400);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let r = s(publisher.cmd(&[b"PUBSUB", b"NUMSUB", b"fan"]));
        if r == "*2\r\n$3\r\nfan\r\n:400\r\n" {
            break;
        }
        assert!(Instant::now() < deadline, "subscribers not freed: {r}");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(s(publisher.cmd(&[b"PUBLISH", b"fan", b"x"])), ":410\r\n");
    let info = s(publisher.cmd(&[b"INFO", b"stats"]));
    assert_eq!(info_field(&info, "pubsub_channels").as_deref(), Some("1"));
    assert_eq!(info_field(&info, "pubsub_patterns").as_deref(), Some("1"));
    let list = s(publisher.cmd(&[b"CLIENT", b"LIST"]));
    let sub_line = list
        .lines()
        .find(|l| l.contains(" psub=1 "))
        .expect("a pattern subscriber in CLIENT LIST");
    assert!(sub_line.contains(" flags=P "), "{sub_line}");
    assert!(sub_line.contains(" sub=1 psub=1 ssub=0 "), "{sub_line}");
}

/// Publishes big messages to a subscriber that never reads until its
/// output buffer passes the limit; the server must close it and log why.
fn slow_subscriber_is_disconnected(srv: &ServerProc, soft: bool) {
    let mut publisher = srv.conn();
    let mut slow = srv.conn();
    assert_eq!(
        slow.cmd(&[b"SUBSCRIBE", b"slow"]),
        b"*3\r\n$9\r\nsubscribe\r\n$4\r\nslow\r\n:1\r\n".to_vec()
    );
    let limit = if soft {
        "pubsub 0 256kb 1"
    } else {
        "pubsub 256kb 0 0"
    };
    assert_eq!(
        s(publisher.cmd(&[
            b"CONFIG",
            b"SET",
            b"client-output-buffer-limit",
            limit.as_bytes()
        ])),
        "+OK\r\n"
    );
    let payload = vec![b'x'; 64 * 1024];
    let publish = encode_command(&[b"PUBLISH", b"slow", &payload]);
    let mut publish_until_closed = |deadline: Instant| -> bool {
        while Instant::now() < deadline {
            publisher.send_raw(&publish);
            let r = s(publisher.read_reply());
            if r == ":0\r\n" {
                return true;
            }
            assert_eq!(r, ":1\r\n");
        }
        false
    };
    if soft {
        // Over the soft limit at once, but closed only once it stayed over
        // it for more than 1 s.
        let start = Instant::now();
        assert!(publish_until_closed(start + Duration::from_secs(6)));
        assert!(
            start.elapsed() >= Duration::from_secs(1),
            "closed too early"
        );
    } else {
        assert!(publish_until_closed(
            Instant::now() + Duration::from_secs(5)
        ));
    }
    assert!(slow.read_eof(), "the slow subscriber was not closed");
    let log = srv.log();
    // Closed when a message is added ("scheduled to be closed ASAP for
    // overcoming ...") or by the cron ("closed for overcoming ...").
    assert!(
        log.contains("Client id=") && log.contains(" for overcoming of output buffer limits."),
        "log: {log}"
    );
    assert!(log.contains(" flags=P "), "log: {log}");
    assert_eq!(
        s(publisher.cmd(&[b"PUBSUB", b"NUMSUB", b"slow"])),
        "*2\r\n$4\r\nslow\r\n:0\r\n"
    );
}

#[test]
fn slow_subscriber_hits_pubsub_hard_limit() {
    let srv = ServerProc::start(&[]);
    slow_subscriber_is_disconnected(&srv, false);
}

#[test]
fn slow_subscriber_hits_pubsub_soft_limit() {
    let srv = ServerProc::start(&[]);
    slow_subscriber_is_disconnected(&srv, true);
}

// ---- Keyspace events against the oracle ----

/// One server of the pair: a client that writes, one subscribed to every
/// keyspace and keyevent channel, and one more for blocking commands.
struct Side {
    _srv: ServerProc,
    w: Conn,
    sub: Conn,
    other: Conn,
}

impl Side {
    fn new(srv: ServerProc, flags: &str) -> Side {
        let mut w = srv.conn();
        let mut sub = srv.conn();
        let other = srv.conn();
        assert_eq!(
            s(w.cmd(&[
                b"CONFIG",
                b"SET",
                b"notify-keyspace-events",
                flags.as_bytes()
            ])),
            "+OK\r\n"
        );
        sub.cmd(&[b"PSUBSCRIBE", b"__key*__:*"]);
        Side {
            _srv: srv,
            w,
            sub,
            other,
        }
    }
}

/// Runs `lines` on both servers and compares the replies, then the event
/// messages in order. Directives: `@other CMD` runs CMD on the third
/// connection without waiting for its reply (a blocking command),
/// `@sleep MS`, `@move KEY` moves a value by DUMP, DEL and RESTORE,
/// `@anyreply CMD` does not compare the reply (random picks).
fn compare_events(name: &str, flags: &str, lines: &[&str]) {
    let Some(oracle) = ServerProc::start_oracle(&["--enable-debug-command", "yes"]) else {
        return;
    };
    let ours = ServerProc::start(&["--enable-debug-command", "yes"]);
    let mut sides = [Side::new(ours, flags), Side::new(oracle, flags)];
    for line in lines {
        if let Some(ms) = line.strip_prefix("@sleep ") {
            std::thread::sleep(Duration::from_millis(ms.parse().expect("ms")));
            continue;
        }
        let mut replies = Vec::new();
        for side in sides.iter_mut() {
            if let Some(cmd) = line.strip_prefix("@other ") {
                let args = common::split_args(cmd);
                let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
                side.other.send_raw(&encode_command(&refs));
                // Let the server block it before the next command.
                std::thread::sleep(Duration::from_millis(50));
                replies.push(Vec::new());
            } else if let Some(key) = line.strip_prefix("@move ") {
                // DUMP the key, DEL it, RESTORE it from its own payload.
                let dump = side.w.cmd(&[b"DUMP", key.as_bytes()]);
                let mut pos = 0;
                let common::Resp::Bulk(Some(payload)) = common::parse_resp(&dump, &mut pos) else {
                    panic!("{name}: DUMP {key}: {}", escape(&dump));
                };
                side.w.cmd(&[b"DEL", key.as_bytes()]);
                replies.push(side.w.cmd(&[b"RESTORE", key.as_bytes(), b"0", &payload]));
            } else if let Some(cmd) = line.strip_prefix("@anyreply ") {
                side.w.cmd_str(cmd);
                replies.push(Vec::new());
            } else {
                replies.push(side.w.cmd_str(line));
            }
        }
        assert_eq!(
            escape(&replies[0]),
            escape(&replies[1]),
            "{name}: reply to {line:?} (ours, then redis-server)"
        );
    }
    let quiet = Duration::from_millis(300);
    let ours: Vec<String> = drain(&mut sides[0].sub, quiet)
        .iter()
        .map(|m| escape(m))
        .collect();
    let theirs: Vec<String> = drain(&mut sides[1].sub, quiet)
        .iter()
        .map(|m| escape(m))
        .collect();
    assert!(!theirs.is_empty(), "{name}: the oracle sent no events");
    assert_eq!(
        ours, theirs,
        "{name}: event messages (ours, then redis-server)"
    );
    for side in sides.iter_mut() {
        drain(&mut side.other, Duration::from_millis(10));
    }
}

#[test]
fn keyspace_events_set_ex_then_expiry() {
    compare_events(
        "set-ex",
        "KEA",
        &[
            // Expiry times apart, so that active expiry's order is fixed.
            "SET k v EX 1",
            "SET k2 v PX 100",
            "SETEX k3 1 v",
            "PERSIST k3",
            "@sleep 400",
            "PSETEX k4 200 v",
            "@sleep 400",
            "@sleep 500",
            "EXISTS k k2 k3 k4",
        ],
    );
}

#[test]
fn keyspace_events_lazy_expiry_and_keymiss() {
    compare_events(
        "lazy-expire",
        "KEAmn",
        &[
            "DEBUG SET-ACTIVE-EXPIRE 0",
            "SET k v PX 20",
            "SET k2 v PX 20",
            "@sleep 60",
            "GET k",
            "TYPE k2",
            "EXISTS nokey",
            "MGET a k b",
            "SET k2 v",
            "SET k2 w",
            "DEBUG SET-ACTIVE-EXPIRE 1",
        ],
    );
}

#[test]
fn keyspace_events_rename_move_copy() {
    compare_events(
        "rename",
        "KEAn",
        &[
            "SET a 1",
            "RENAME a b",
            "RENAMENX b c",
            "SET d 1",
            "RENAMENX c d",
            "RENAME c d",
            "EXPIRE d 100",
            "RENAME d e",
            "RENAME nokey x",
            "MOVE e 1",
            "SELECT 1",
            "COPY e f",
            "COPY e f",
            "COPY e f REPLACE",
            "COPY e g DB 0",
            "SELECT 0",
            "@move g",
        ],
    );
}

#[test]
fn keyspace_events_del_of_a_hash() {
    compare_events(
        "hash",
        "KEA",
        &[
            "HSET h f1 v1 f2 v2",
            "HSETNX h f3 v3",
            "HSETNX h f3 v3",
            "HMSET h f4 v4",
            "HINCRBY h n 2",
            "HINCRBYFLOAT h x 1.5",
            "HDEL h f1 nofield",
            "HDEL h nofield",
            "DEL h",
            "HSET h2 f v",
            "HDEL h2 f",
        ],
    );
}

#[test]
fn keyspace_events_strings() {
    compare_events(
        "strings",
        "KEA",
        &[
            "SET s 1",
            "SET s 2 NX",
            "SET s 3 XX GET",
            "SETNX s2 x",
            "SETNX s2 y",
            "APPEND s2 yz",
            "APPEND s3 new",
            "SETRANGE s2 5 q",
            "SETRANGE s9 0 \"\"",
            "INCR n",
            "DECRBY n 5",
            "INCRBYFLOAT f 1.5",
            "GETSET s 9",
            "MSET m1 a m2 b",
            "MSETNX m1 a m3 c",
            "MSETNX m4 a m3 c",
            "GETEX s EX 100",
            "GETEX s PERSIST",
            "GETEX s PXAT 1",
            "GETDEL s2",
            "GETDEL nokey",
            "SET t v KEEPTTL",
            "PEXPIRE t 100000",
            "PERSIST t",
            "PERSIST t",
            "EXPIRE t -1",
            "SET u v",
            "EXPIREAT u 1",
            "UNLINK m1 m2 nokey",
        ],
    );
}

#[test]
fn keyspace_events_lists() {
    compare_events(
        "lists",
        "KEA",
        &[
            "RPUSH l a b c d e",
            "LPUSH l z",
            "LPUSHX nolist x",
            "RPUSHX l f",
            "LPOP l",
            "RPOP l 2",
            "LINSERT l BEFORE b x",
            "LINSERT l BEFORE nopivot x",
            "LSET l 0 y",
            "LREM l 0 x",
            "LTRIM l 0 1",
            "LMOVE l l2 LEFT RIGHT",
            "RPOPLPUSH l l2",
            "LMPOP 1 l2 LEFT COUNT 5",
            "@other BLPOP bl 5",
            "RPUSH bl v1 v2",
            "@other BLMOVE src dst RIGHT LEFT 5",
            "LPUSH src s",
            "SORT nolist STORE out",
            "RPUSH nums 3 1 2",
            "SORT nums STORE out",
            "SORT empty STORE out",
        ],
    );
}

#[test]
fn keyspace_events_sets() {
    compare_events(
        "sets",
        "KEA",
        &[
            "SADD s a b c d",
            "SADD s a",
            "SREM s a nomember",
            "@anyreply SPOP s",
            "SADD s2 x y z",
            "SMOVE s2 s3 x",
            "SMOVE s2 s3 nomember",
            "SINTERSTORE d s2 s3",
            "SUNIONSTORE d s2 s3",
            "SDIFFSTORE d s2 s3",
            "SINTERSTORE d s2 nokey",
            "@anyreply SPOP s2 10",
            "SREM s3 x",
        ],
    );
}

#[test]
fn keyspace_events_sorted_sets() {
    compare_events(
        "zsets",
        "KEA",
        &[
            "ZADD z 1 a 2 b 3 c 4 d 5 e",
            "ZADD z XX 1 nomember",
            "ZINCRBY z 10 a",
            "ZREM z e nomember",
            "ZREMRANGEBYSCORE z 2 2",
            "ZREMRANGEBYRANK z 0 0",
            "ZADD lex 0 a 0 b 0 c",
            "ZREMRANGEBYLEX lex [a [a",
            "ZPOPMIN z",
            "ZPOPMAX z",
            "ZADD z2 1 x 2 y",
            "ZUNIONSTORE u 2 z2 lex",
            "ZINTERSTORE i 2 z2 lex",
            "ZDIFFSTORE df 1 z2",
            "ZRANGESTORE r z2 0 -1",
            "ZRANGESTORE r z2 5 6",
            "ZMPOP 1 z2 MIN COUNT 10",
            "@other BZPOPMIN bz 5",
            "ZADD bz 1 m",
        ],
    );
}

/// A RESP3 client subscribed to the events of its own writes gets them as
/// push frames on the same connection. Compared with redis-server as a
/// multiset per command: Redis 7.0 may put a push before the command's
/// reply where rustredis puts it after (see `pubsub.rs`).
#[test]
fn keyspace_events_to_the_writing_resp3_client() {
    let Some(oracle) = ServerProc::start_oracle(&[]) else {
        return;
    };
    let ours = ServerProc::start(&[]);
    let mut got: Vec<Vec<Vec<String>>> = Vec::new();
    for srv in [&ours, &oracle] {
        let mut c = srv.conn();
        c.cmd(&[b"HELLO", b"3"]);
        c.cmd(&[b"CONFIG", b"SET", b"notify-keyspace-events", b"KEA"]);
        c.cmd(&[b"SUBSCRIBE", b"__keyevent@0__:set", b"__keyspace@0__:h"]);
        c.read_reply();
        let mut per_cmd = Vec::new();
        for (cmd, frames) in [
            (&[&b"SET"[..], b"k", b"v"][..], 2),
            (&[&b"HSET"[..], b"h", b"f", b"v"][..], 2),
            (&[&b"GET"[..], b"k"][..], 1),
            (&[&b"DEL"[..], b"h"][..], 2),
        ] {
            c.send_raw(&encode_command(cmd));
            let mut v: Vec<String> = (0..frames).map(|_| escape(&c.read_reply())).collect();
            v.sort();
            per_cmd.push(v);
        }
        assert!(drain(&mut c, Duration::from_millis(100)).is_empty());
        got.push(per_cmd);
    }
    assert_eq!(
        got[0], got[1],
        "replies and pushes (ours, then redis-server)"
    );
}
