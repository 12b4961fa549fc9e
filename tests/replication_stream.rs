//! The master's replication stream (issue 11, `replication/master.rs`):
//! REPLCONF / WAIT / PSYNC replies, partial resynchronization from the
//! backlog with the exact stream bytes, one replication buffer shared by
//! the backlog and every replica (and the output-buffer limit of a replica
//! that stops reading), `repl-backlog-ttl` and `repl-backlog-size`,
//! DEBUG REPLICATE's bytes in a fresh stream.
//!
//! Each test runs the same steps against rustredis and against
//! redis-server 7.0.15 and compares what they show; hand-driven replicas
//! (raw sockets speaking the replica's side) make the bytes visible.

mod common;

use common::{Conn, ServerProc, escape, info_field};
use std::time::{Duration, Instant};

/// Both servers under the same arguments: ours, and the oracle when it is
/// installed (`None` otherwise; a failure when CI=true).
fn both(extra: &[&str]) -> (ServerProc, Option<ServerProc>) {
    (ServerProc::start(extra), ServerProc::start_oracle(extra))
}

/// Runs `steps` against rustredis started with `extra`, and against
/// redis-server when it is installed, asserting both give the same lines
/// (after `view`, which keeps what must agree); returns ours.
fn same_steps(
    extra: &[&str],
    steps: fn(&ServerProc) -> Vec<String>,
    view: fn(Vec<String>) -> Vec<String>,
) -> Vec<String> {
    let (ours, oracle) = both(extra);
    let got = view(steps(&ours));
    if let Some(oracle) = oracle {
        assert_eq!(got, view(steps(&oracle)), "differs from redis-server");
    }
    got
}

/// Sends one command and returns its raw reply.
fn raw(c: &mut Conn, args: &[&[u8]]) -> Vec<u8> {
    c.send_raw(&common::encode_command(args));
    c.read_reply()
}

/// One CRLF line (after the `\n` keepalives of a master preparing an RDB).
fn read_line(c: &mut Conn) -> String {
    common::repl::read_repl_line(c, Duration::from_secs(20))
}

/// Skips the `$<len>\r\n<rdb>` that follows `+FULLRESYNC` (disk sync).
fn skip_rdb(c: &mut Conn) {
    let head = read_line(c);
    let len: usize = head
        .strip_prefix('$')
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("bulk header expected, got {head:?}"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while c.buf.len() < len {
        assert!(Instant::now() < deadline, "RDB short");
        common::repl::fill_buf(c, Duration::from_millis(200));
    }
    c.buf.drain(..len);
}

/// Reads exactly `n` stream bytes.
fn read_exact(c: &mut Conn, n: usize) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while c.buf.len() < n {
        assert!(
            Instant::now() < deadline,
            "stream short: {} of {n}: {}",
            c.buf.len(),
            escape(&c.buf)
        );
        common::repl::fill_buf(c, Duration::from_millis(200));
    }
    c.buf.drain(..n).collect()
}

/// An INFO field as a number.
fn info_num(c: &mut Conn, field: &str) -> i64 {
    let info = String::from_utf8_lossy(&raw(c, &[b"INFO", b"everything"])).into_owned();
    info_field(&info, field)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("INFO {field} missing"))
}

/// An INFO field as text.
fn info_str(c: &mut Conn, field: &str) -> String {
    let info = String::from_utf8_lossy(&raw(c, &[b"INFO", b"everything"])).into_owned();
    info_field(&info, field).unwrap_or_else(|| panic!("INFO {field} missing"))
}

/// Runs `f` every 50 ms until true; panics with `what` after `secs`.
fn wait_until(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A hand-driven replica that completed a disk full sync: returns its
/// connection, the master's replication ID and the `+FULLRESYNC` offset.
fn fake_replica(sp: &ServerProc, capa: &[&[u8]]) -> (Conn, String, i64) {
    let mut r = sp.conn();
    let mut args: Vec<&[u8]> = vec![b"REPLCONF"];
    for c in capa {
        args.push(b"capa");
        args.push(c);
    }
    if capa.is_empty() {
        args.extend_from_slice(&[b"listening-port", b"7001"]);
    }
    assert_eq!(raw(&mut r, &args), b"+OK\r\n");
    r.send_raw(&common::encode_command(&[b"PSYNC", b"?", b"-1"]));
    let l = read_line(&mut r);
    let mut w = l.split(' ');
    assert_eq!(w.next(), Some("+FULLRESYNC"), "{l}");
    let id = w.next().expect("replid").to_string();
    let off: i64 = w.next().and_then(|o| o.parse().ok()).expect("offset");
    skip_rdb(&mut r);
    (r, id, off)
}

// ---- REPLCONF / WAIT / PSYNC replies ----

/// The replies of REPLCONF, WAIT and PSYNC to odd arguments, on a master
/// without replicas, as raw bytes.
fn command_replies(sp: &ServerProc) -> Vec<String> {
    let mut c = sp.conn();
    let long_ip = vec![b'x'; 300];
    let script: Vec<Vec<&[u8]>> = vec![
        vec![b"REPLCONF"],
        vec![b"REPLCONF", b"listening-port"],
        vec![b"REPLCONF", b"foo", b"bar"],
        vec![b"REPLCONF", b"listening-port", b"x"],
        vec![b"REPLCONF", b"rdb-only", b"2"],
        vec![b"REPLCONF", b"rdb-only", b"x"],
        vec![b"REPLCONF", b"rdb-only", b"0"],
        vec![b"REPLCONF", b"rdb-filter-only", b"foo"],
        vec![b"REPLCONF", b"rdb-filter-only", b"functions"],
        vec![
            b"REPLCONF",
            b"capa",
            b"foo",
            b"capa",
            b"eof",
            b"CAPA",
            b"psync2",
        ],
        vec![b"REPLCONF", b"ip-address", &long_ip],
        vec![
            b"REPLCONF",
            b"ip-address",
            b"10.0.0.1",
            b"listening-port",
            b"6390",
        ],
        // ACK from a client that is no replica, and GETACK on a master:
        // no reply at all (the next PING answers first).
        vec![b"REPLCONF", b"ack", b"100"],
        vec![b"REPLCONF", b"getack", b"*"],
        vec![b"PING"],
        vec![b"WAIT", b"x", b"0"],
        vec![b"WAIT", b"0", b"x"],
        vec![b"WAIT", b"0", b"-1"],
        vec![b"WAIT", b"0", b"0"],
        vec![b"WAIT", b"1", b"50"],
        vec![b"MULTI"],
        vec![b"WAIT", b"3", b"0"],
        vec![b"EXEC"],
        vec![b"PSYNC", b"a"],
        vec![b"PSYNC", b"a", b"1", b"FAILOVER"],
        vec![b"PSYNC", b"a", b"notanumber"],
    ];
    script
        .iter()
        .map(|args| {
            let skip_reply = args.len() > 1
                && (args[1].eq_ignore_ascii_case(b"ack")
                    || args[1].eq_ignore_ascii_case(b"getack"));
            c.send_raw(&common::encode_command(args));
            if skip_reply {
                return "(no reply)".to_string();
            }
            escape(&c.read_reply())
        })
        .collect()
}

#[test]
fn replconf_wait_psync_replies_match_redis() {
    let got = same_steps(&[], command_replies, |v| v);
    assert_eq!(got[0], "+OK\\r\\n");
    assert_eq!(got[2], "-ERR Unrecognized REPLCONF option: foo\\r\\n");
    assert_eq!(got[14], "+PONG\\r\\n");
    assert_eq!(got[19], ":0\\r\\n");
}

// ---- Partial resynchronization ----

/// A full sync, writes, then PSYNCs from the backlog (with and without
/// `capa psync2`) and one beyond it; returns what each replica saw, with
/// the replication ID shown as `<id>`, and the sync counters.
fn psync_transcript(sp: &ServerProc) -> Vec<String> {
    let mut out = Vec::new();
    let (mut r1, id, off) = fake_replica(sp, &[b"eof", b"psync2"]);
    let mut c = sp.conn();
    raw(&mut c, &[b"SET", b"k1", b"v1"]);
    raw(&mut c, &[b"SELECT", b"2"]);
    raw(&mut c, &[b"SET", b"k2", &vec![b'z'; 40_000]]);
    raw(&mut c, &[b"INCR", b"n"]);
    let end = info_num(&mut c, "master_repl_offset");
    let stream = read_exact(&mut r1, (end - off) as usize);
    let at = |b: &[u8]| escape(&b[..b.len().min(60)]);
    out.push(format!("stream {} bytes: {}", stream.len(), at(&stream)));
    // From the first byte after the full sync: the same bytes again.
    let mut r2 = sp.conn();
    assert_eq!(raw(&mut r2, &[b"REPLCONF", b"capa", b"psync2"]), b"+OK\r\n");
    let from = (off + 1).to_string();
    r2.send_raw(&common::encode_command(&[
        b"PSYNC",
        id.as_bytes(),
        from.as_bytes(),
    ]));
    out.push(read_line(&mut r2).replace(&id, "<id>"));
    assert_eq!(read_exact(&mut r2, stream.len()), stream);
    // Without psync2 the reply has no ID; from the middle of a command.
    let mut r3 = sp.conn();
    let mid = (off + 1 + 30).to_string();
    r3.send_raw(&common::encode_command(&[
        b"PSYNC",
        id.as_bytes(),
        mid.as_bytes(),
    ]));
    out.push(read_line(&mut r3));
    assert_eq!(read_exact(&mut r3, stream.len() - 30), &stream[30..]);
    // Both are fed what comes next, as the first replica is.
    raw(&mut c, &[b"DEL", b"n"]);
    let next = read_exact(&mut r1, 20);
    out.push(format!("next: {}", escape(&next)));
    assert_eq!(read_exact(&mut r2, 20), next);
    assert_eq!(read_exact(&mut r3, 20), next);
    // An offset past the end, and an unknown ID: full resyncs.
    let mut r4 = sp.conn();
    let past = (end + 100).to_string();
    r4.send_raw(&common::encode_command(&[
        b"PSYNC",
        id.as_bytes(),
        past.as_bytes(),
    ]));
    out.push(
        read_line(&mut r4)
            .split(' ')
            .next()
            .unwrap_or("")
            .to_string(),
    );
    let mut r5 = sp.conn();
    r5.send_raw(&common::encode_command(&[
        b"PSYNC",
        b"0123456789012345678901234567890123456789",
        b"1",
    ]));
    out.push(
        read_line(&mut r5)
            .split(' ')
            .next()
            .unwrap_or("")
            .to_string(),
    );
    for f in [
        "sync_full",
        "sync_partial_ok",
        "sync_partial_err",
        "connected_slaves",
    ] {
        out.push(format!("{f}:{}", info_str(&mut c, f)));
    }
    let log = sp.log();
    for want in [
        format!(
            "Partial resynchronization request from 127.0.0.1:<unknown-replica-port> accepted. Sending {} bytes of backlog starting from offset {}.",
            stream.len(),
            off + 1
        ),
        "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '0123456789012345678901234567890123456789'".to_string(),
        "tried to PSYNC with an offset that is greater than the master replication offset".to_string(),
    ] {
        assert!(log.contains(&want), "log lacks {want:?}:\n{log}");
    }
    out
}

#[test]
fn partial_resync_sends_the_backlog_bytes() {
    let args = [
        "--repl-diskless-sync",
        "no",
        "--repl-ping-replica-period",
        "3600",
    ];
    let got = same_steps(&args, psync_transcript, |v| v);
    assert!(got[0].starts_with("stream "), "{got:?}");
    assert!(
        got[0].contains("*2\\r\\n$6\\r\\nSELECT\\r\\n$1\\r\\n0\\r\\n*3\\r\\n$3\\r\\nSET"),
        "{got:?}"
    );
    assert_eq!(got[1], "+CONTINUE <id>");
    assert_eq!(got[2], "+CONTINUE");
    assert_eq!(got[3], "next: *2\\r\\n$3\\r\\nDEL\\r\\n$1\\r\\nn\\r\\n");
    assert_eq!(got[4], "+FULLRESYNC");
    assert_eq!(got[5], "+FULLRESYNC");
    assert_eq!(
        &got[6..],
        [
            "sync_full:3",
            "sync_partial_ok:2",
            "sync_partial_err:2",
            "connected_slaves:5"
        ]
    );
}

// ---- One buffer for the backlog and the replicas ----

/// Two replicas that stop reading while 16 MB of writes go by: the
/// replication buffer holds them once, and each replica's output buffer
/// is all of it; a lower output limit then drops both and the buffer
/// shrinks back to about the backlog size. Returns the observations.
fn shared_buffer_steps(sp: &ServerProc) -> Vec<String> {
    let mut out = Vec::new();
    let mut stalled = Vec::new();
    for _ in 0..2 {
        let (r, _, _) = fake_replica(sp, &[b"eof", b"psync2"]);
        let _ = socket2::SockRef::from(&r.stream).set_recv_buffer_size(4096);
        stalled.push(r);
    }
    let mut c = sp.conn();
    let value = vec![b'v'; 1024 * 1024];
    for i in 0..16 {
        raw(&mut c, &[b"SET", format!("big{i}").as_bytes(), &value]);
    }
    let mem = info_num(&mut c, "mem_total_replication_buffers") as u64;
    let list = String::from_utf8_lossy(&raw(&mut c, &[b"CLIENT", b"LIST", b"TYPE", b"replica"]))
        .into_owned();
    let omem: Vec<u64> = list
        .lines()
        .filter(|l| l.contains("flags=S"))
        .filter_map(|l| {
            l.split(" omem=")
                .nth(1)?
                .split(' ')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .collect();
    let big = omem.iter().filter(|&&o| o > 4_000_000).count();
    out.push(format!("replicas holding the writes: {big}"));
    // Each replica's output is most of the buffer; the buffer is not their sum.
    let most = omem.iter().copied().max().unwrap_or(0);
    let sum = omem.iter().sum::<u64>();
    out.push(format!(
        "shared once: {} ({mem} bytes, replicas {omem:?})",
        mem >= most && mem < sum
    ));
    assert_eq!(
        raw(
            &mut c,
            &[
                b"CONFIG",
                b"SET",
                b"client-output-buffer-limit",
                b"replica 4mb 0 0"
            ]
        ),
        b"+OK\r\n"
    );
    raw(&mut c, &[b"SET", b"trigger", &value]);
    wait_until(10, "the stalled replicas to be dropped", || {
        info_num(&mut c, "connected_slaves") == 0
    });
    out.push("dropped".into());
    wait_until(10, "the buffer to shrink", || {
        info_num(&mut c, "mem_total_replication_buffers") < 3 * 1024 * 1024
    });
    out.push(format!(
        "backlog kept: {}",
        info_num(&mut c, "repl_backlog_histlen") >= 1024 * 1024
    ));
    let log = sp.log();
    assert!(
        log.contains("scheduled to be closed ASAP for overcoming of output buffer limits."),
        "{log}"
    );
    out
}

#[test]
fn replicas_share_one_replication_buffer() {
    let args = [
        "--repl-diskless-sync",
        "no",
        "--repl-ping-replica-period",
        "3600",
    ];
    // The figures differ by server; the verdicts must not.
    let verdicts = |mut v: Vec<String>| {
        v[1].truncate("shared once: true".len());
        v
    };
    let got = same_steps(&args, shared_buffer_steps, verdicts);
    assert_eq!(
        got,
        [
            "replicas holding the writes: 2",
            "shared once: true",
            "dropped",
            "backlog kept: true"
        ]
    );
}

// ---- repl-backlog-ttl and repl-backlog-size ----

/// The backlog outlives its last replica by `repl-backlog-ttl` seconds,
/// then goes with a new replication ID; `repl-backlog-size` shrinks it.
fn backlog_life(sp: &ServerProc) -> Vec<String> {
    let mut out = Vec::new();
    let mut c = sp.conn();
    let (mut r, id, off) = fake_replica(sp, &[b"eof", b"psync2"]);
    let value = vec![b'x'; 100_000];
    for i in 0..5 {
        raw(&mut c, &[b"SET", format!("k{i}").as_bytes(), &value]);
    }
    // The replica reads it all, so it holds no part of the backlog.
    let end = info_num(&mut c, "master_repl_offset");
    read_exact(&mut r, (end - off) as usize);
    let hist = info_num(&mut c, "repl_backlog_histlen");
    out.push(format!("histlen over 500k: {}", hist > 500_000));
    raw(&mut c, &[b"CONFIG", b"SET", b"repl-backlog-size", b"16384"]);
    let hist = info_num(&mut c, "repl_backlog_histlen");
    out.push(format!("trimmed: {}", hist < 200_000));
    out.push(format!(
        "first byte: {}",
        info_num(&mut c, "repl_backlog_first_byte_offset")
            == info_num(&mut c, "master_repl_offset") - hist + 1
    ));
    drop(r);
    wait_until(5, "the replica to go", || {
        info_num(&mut c, "connected_slaves") == 0
    });
    out.push(format!(
        "active: {}",
        info_str(&mut c, "repl_backlog_active")
    ));
    wait_until(6, "the backlog to be freed", || {
        info_str(&mut c, "repl_backlog_active") == "0"
    });
    out.push(format!(
        "new id: {}",
        info_str(&mut c, "master_replid") != id
    ));
    out.push(format!(
        "histlen: {}",
        info_num(&mut c, "repl_backlog_histlen")
    ));
    assert!(
        sp.log()
            .contains("Replication backlog freed after 1 seconds without connected replicas."),
        "{}",
        sp.log()
    );
    out
}

#[test]
fn backlog_ttl_and_resize() {
    let args = [
        "--repl-diskless-sync",
        "no",
        "--repl-backlog-ttl",
        "1",
        "--repl-ping-replica-period",
        "3600",
    ];
    let got = same_steps(&args, backlog_life, |v| v);
    assert_eq!(
        got,
        [
            "histlen over 500k: true",
            "trimmed: true",
            "first byte: true",
            "active: 1",
            "new id: true",
            "histlen: 0"
        ]
    );
}

// ---- DEBUG REPLICATE ----

/// DEBUG REPLICATE's command as the first bytes of a fresh stream, then a
/// write: the stream bytes a replica receives.
fn debug_replicate_stream(sp: &ServerProc) -> Vec<u8> {
    let (mut r, _, _) = fake_replica(sp, &[b"eof", b"psync2"]);
    let mut c = sp.conn();
    assert_eq!(
        raw(&mut c, &[b"DEBUG", b"REPLICATE", b"SET", b"k", b"v"]),
        b"+OK\r\n"
    );
    assert_eq!(raw(&mut c, &[b"SET", b"a", b"b"]), b"+OK\r\n");
    let want = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n";
    read_exact(&mut r, want.len())
}

/// No database was selected in the stream yet: the replicated command
/// goes without a SELECT; the next write brings one, as Redis does.
#[test]
fn debug_replicate_sends_no_select_first() {
    let args = [
        "--enable-debug-command",
        "yes",
        "--repl-diskless-sync",
        "no",
        "--repl-ping-replica-period",
        "3600",
    ];
    let (ours, oracle) = both(&args);
    let got = debug_replicate_stream(&ours);
    assert_eq!(
        escape(&got),
        escape(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n")
    );
    if let Some(oracle) = oracle {
        assert_eq!(escape(&debug_replicate_stream(&oracle)), escape(&got));
    }
}
