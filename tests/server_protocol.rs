//! Server-level RESP protocol behaviour, checked on raw bytes: multibulk and
//! inline requests, pipelining, requests split across many writes, the exact
//! protocol-error replies (after which the server closes the connection),
//! `proto-max-bulk-len`, `client-query-buffer-limit`, and the unknown-command
//! and wrong-arity error texts.
//!
//! Every expectation here was taken from Redis 7.0.15 (Debian's
//! redis-server) and the tests pass against it with
//! `RUSTREDIS_BIN=/usr/bin/redis-server`.

mod common;

use common::ServerProc;
use std::time::Duration;

/// Sends `bytes`, expects exactly `reply` and then that the server closes
/// the connection (Redis answers a protocol error and closes after the
/// reply is written).
fn expect_error_then_close(sp: &ServerProc, bytes: &[u8], reply: &[u8]) {
    let mut c = sp.conn();
    c.send_raw(bytes);
    let got = c.read_reply();
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(reply),
        "reply to {:?}",
        String::from_utf8_lossy(&bytes[..bytes.len().min(80)])
    );
    assert!(
        c.read_eof(),
        "connection should be closed after a protocol error (request {:?})",
        String::from_utf8_lossy(&bytes[..bytes.len().min(80)])
    );
    assert!(
        c.buf.is_empty(),
        "nothing may follow the protocol error, got {:?}",
        c.buf
    );
}

/// A fresh connection still works, so the server survived the error.
fn assert_alive(sp: &ServerProc) {
    let mut c = sp.conn();
    assert_eq!(c.cmd(&[b"PING"]), b"+PONG\r\n");
}

#[test]
fn multibulk_get_of_missing_key_is_null_bulk() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    c.send_raw(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    assert_eq!(c.read_reply(), b"$-1\r\n");
    c.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n");
    assert_eq!(c.read_reply(), b"+OK\r\n");
    c.send_raw(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    assert_eq!(c.read_reply(), b"$5\r\nhello\r\n");
    // Binary-safe: a value holding CR LF and NUL round-trips.
    c.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$4\r\na\r\n\x00\r\n");
    assert_eq!(c.read_reply(), b"+OK\r\n");
    assert_eq!(c.cmd(&[b"GET", b"b"]), b"$4\r\na\r\n\x00\r\n");
}

#[test]
fn pipeline_of_1000_commands_in_one_write_replies_in_order() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    let mut req = Vec::new();
    for i in 0..1000 {
        let key = format!("key:{i}");
        let val = format!("value-{i}");
        req.extend_from_slice(&common::encode_command(&[
            b"SET",
            key.as_bytes(),
            val.as_bytes(),
        ]));
        req.extend_from_slice(&common::encode_command(&[b"GET", key.as_bytes()]));
    }
    req.extend_from_slice(&common::encode_command(&[b"INCR", b"counter"]));
    req.extend_from_slice(&common::encode_command(&[b"DBSIZE"]));
    c.send_raw(&req);
    for i in 0..1000 {
        assert_eq!(c.read_reply(), b"+OK\r\n", "SET #{i}");
        let val = format!("value-{i}");
        let want = format!("${}\r\n{}\r\n", val.len(), val);
        assert_eq!(String::from_utf8_lossy(&c.read_reply()), want, "GET #{i}");
    }
    assert_eq!(c.read_reply(), b":1\r\n");
    assert_eq!(c.read_reply(), b":1001\r\n");
}

#[test]
fn inline_pipeline_replies_in_order() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    let mut req = Vec::new();
    for _ in 0..300 {
        req.extend_from_slice(b"INCR n\r\n");
    }
    c.send_raw(&req);
    for i in 1..=300 {
        assert_eq!(
            String::from_utf8_lossy(&c.read_reply()),
            format!(":{i}\r\n")
        );
    }
}

#[test]
fn command_split_into_one_byte_writes() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    let req: &[u8] = b"*3\r\n$3\r\nSET\r\n$5\r\nsplit\r\n$11\r\nhello world\r\n*2\r\n$3\r\nGET\r\n$5\r\nsplit\r\nPING\r\nECHO inline\r\n";
    for b in req {
        c.send_raw(&[*b]);
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(c.read_reply(), b"+OK\r\n");
    assert_eq!(c.read_reply(), b"$11\r\nhello world\r\n");
    assert_eq!(c.read_reply(), b"+PONG\r\n");
    assert_eq!(c.read_reply(), b"$6\r\ninline\r\n");
}

#[test]
fn big_bulk_split_across_writes() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    let val = vec![b'v'; 300_000];
    let req = common::encode_command(&[b"SET", b"big", &val]);
    for chunk in req.chunks(7_919) {
        c.send_raw(chunk);
    }
    assert_eq!(c.read_reply(), b"+OK\r\n");
    assert_eq!(c.cmd(&[b"STRLEN", b"big"]), b":300000\r\n");
    let got = c.cmd(&[b"GET", b"big"]);
    assert_eq!(&got[..10], b"$300000\r\nv");
    assert_eq!(got.len(), "$300000\r\n".len() + 300_000 + 2);
}

#[test]
fn inline_commands() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    c.send_raw(b"PING\r\n");
    assert_eq!(c.read_reply(), b"+PONG\r\n");
    // Double quotes group words; empty inline lines are skipped.
    c.send_raw(b"SET a \"b c\"\r\n\r\n\r\nGET a\r\n");
    assert_eq!(c.read_reply(), b"+OK\r\n");
    assert_eq!(c.read_reply(), b"$3\r\nb c\r\n");
    // A bare LF also ends an inline command.
    c.send_raw(b"\n\nECHO lf\n");
    assert_eq!(c.read_reply(), b"$2\r\nlf\r\n");
    // Escapes in double quotes, single quotes kept literal.
    c.send_raw(b"SET e \"x\\ty\\x41\"\r\nGET e\r\nSET s 'p q'\r\nGET s\r\n");
    assert_eq!(c.read_reply(), b"+OK\r\n");
    assert_eq!(c.read_reply(), b"$4\r\nx\tyA\r\n");
    assert_eq!(c.read_reply(), b"+OK\r\n");
    assert_eq!(c.read_reply(), b"$3\r\np q\r\n");
    // Inline and multibulk mixed in one write.
    c.send_raw(b"PING\r\n*1\r\n$4\r\nPING\r\nping hi\r\n");
    assert_eq!(c.read_reply(), b"+PONG\r\n");
    assert_eq!(c.read_reply(), b"+PONG\r\n");
    assert_eq!(c.read_reply(), b"$2\r\nhi\r\n");
    // Command names are case-insensitive.
    c.send_raw(b"pInG\r\n");
    assert_eq!(c.read_reply(), b"+PONG\r\n");
}

#[test]
fn empty_and_negative_multibulk_counts_are_ignored() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    c.send_raw(b"*0\r\n*-5\r\n*-1\r\nPING\r\n");
    assert_eq!(c.read_reply(), b"+PONG\r\n");
    // The connection is still in sync afterwards.
    c.send_raw(b"*1\r\n$4\r\nPING\r\n");
    assert_eq!(c.read_reply(), b"+PONG\r\n");
}

#[test]
fn protocol_error_invalid_multibulk_length() {
    let sp = ServerProc::start(&[]);
    expect_error_then_close(
        &sp,
        b"*abc\r\n",
        b"-ERR Protocol error: invalid multibulk length\r\n",
    );
    expect_error_then_close(
        &sp,
        b"*2147483648\r\n",
        b"-ERR Protocol error: invalid multibulk length\r\n",
    );
    assert_alive(&sp);
}

#[test]
fn protocol_error_after_good_command_keeps_earlier_reply() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    c.send_raw(b"PING\r\n*x\r\n");
    assert_eq!(c.read_reply(), b"+PONG\r\n");
    assert_eq!(
        c.read_reply(),
        b"-ERR Protocol error: invalid multibulk length\r\n"
    );
    assert!(c.read_eof());
}

#[test]
fn protocol_error_invalid_bulk_length() {
    let sp = ServerProc::start(&[]);
    expect_error_then_close(
        &sp,
        b"*1\r\n$abc\r\n",
        b"-ERR Protocol error: invalid bulk length\r\n",
    );
    expect_error_then_close(
        &sp,
        b"*1\r\n$-1\r\n",
        b"-ERR Protocol error: invalid bulk length\r\n",
    );
    // Default proto-max-bulk-len is 512mb.
    expect_error_then_close(
        &sp,
        b"*1\r\n$536870913\r\n",
        b"-ERR Protocol error: invalid bulk length\r\n",
    );
    assert_alive(&sp);
}

#[test]
fn protocol_error_expected_dollar() {
    let sp = ServerProc::start(&[]);
    expect_error_then_close(
        &sp,
        b"*1\r\n+foo\r\n",
        b"-ERR Protocol error: expected '$', got '+'\r\n",
    );
    expect_error_then_close(
        &sp,
        b"*2\r\n$3\r\nGET\r\n:1\r\n",
        b"-ERR Protocol error: expected '$', got ':'\r\n",
    );
    assert_alive(&sp);
}

#[test]
fn protocol_error_unbalanced_quotes() {
    let sp = ServerProc::start(&[]);
    expect_error_then_close(
        &sp,
        b"SET a \"b c\r\n",
        b"-ERR Protocol error: unbalanced quotes in request\r\n",
    );
    expect_error_then_close(
        &sp,
        b"SET a 'b\r\n",
        b"-ERR Protocol error: unbalanced quotes in request\r\n",
    );
    // A closing quote must be followed by a space.
    expect_error_then_close(
        &sp,
        b"SET a \"b c\"x\r\n",
        b"-ERR Protocol error: unbalanced quotes in request\r\n",
    );
    let mut c = sp.conn();
    assert_eq!(
        c.cmd(&[b"EXISTS", b"a"]),
        b":0\r\n",
        "the bad SETs did not run"
    );
}

#[test]
fn protocol_error_too_big_inline_request() {
    let sp = ServerProc::start(&[]);
    let req = vec![b'x'; 70 * 1024];
    expect_error_then_close(
        &sp,
        &req,
        b"-ERR Protocol error: too big inline request\r\n",
    );
    assert_alive(&sp);
}

#[test]
fn inline_request_just_under_64k_works() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    let val = vec![b'y'; 60 * 1024];
    let mut req = b"SET big ".to_vec();
    req.extend_from_slice(&val);
    req.extend_from_slice(b"\r\n");
    c.send_raw(&req);
    assert_eq!(c.read_reply(), b"+OK\r\n");
    assert_eq!(
        c.cmd(&[b"STRLEN", b"big"]),
        format!(":{}\r\n", 60 * 1024).as_bytes()
    );
}

#[test]
fn big_multibulk_count_without_auth_waits_for_arguments() {
    // Without requirepass, a large (but valid) multibulk count is accepted
    // and the server waits for the arguments: no reply, connection open.
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    c.send_raw(b"*1048577\r\n");
    assert!(!c.read_eof(), "server must wait for the arguments");
    assert!(c.buf.is_empty(), "no reply expected, got {:?}", c.buf);
    assert_alive(&sp);
}

#[test]
fn unauthenticated_big_multibulk_and_bulk_are_refused() {
    // With requirepass set, an unauthenticated client may not announce more
    // than 10 arguments or a bulk above 16 KB.
    let sp = ServerProc::start(&["--requirepass", "sekret"]);
    expect_error_then_close(
        &sp,
        b"*1048577\r\n",
        b"-ERR Protocol error: unauthenticated multibulk length\r\n",
    );
    expect_error_then_close(
        &sp,
        b"*11\r\n",
        b"-ERR Protocol error: unauthenticated multibulk length\r\n",
    );
    expect_error_then_close(
        &sp,
        b"*1\r\n$100000\r\n",
        b"-ERR Protocol error: unauthenticated bulk length\r\n",
    );
    // After AUTH the same sizes are fine.
    let mut c = sp.conn();
    assert_eq!(c.cmd(&[b"AUTH", b"sekret"]), b"+OK\r\n");
    let val = vec![b'z'; 100_000];
    assert_eq!(c.cmd(&[b"SET", b"k", &val]), b"+OK\r\n");
    let args: Vec<&[u8]> = vec![
        b"DEL", b"a", b"b", b"c", b"d", b"e", b"f", b"g", b"h", b"i", b"j", b"k",
    ];
    assert_eq!(c.cmd(&args), b":1\r\n");
}

#[test]
fn bulk_larger_than_proto_max_bulk_len() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    // 1mb is the lowest value CONFIG SET accepts.
    assert_eq!(
        String::from_utf8_lossy(&c.cmd(&[b"CONFIG", b"SET", b"proto-max-bulk-len", b"1000"])),
        "-ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive\r\n"
    );
    assert_eq!(
        c.cmd(&[b"CONFIG", b"SET", b"proto-max-bulk-len", b"1048576"]),
        b"+OK\r\n"
    );
    assert_eq!(
        c.cmd(&[b"CONFIG", b"GET", b"proto-max-bulk-len"]),
        b"*2\r\n$18\r\nproto-max-bulk-len\r\n$7\r\n1048576\r\n"
    );
    expect_error_then_close(
        &sp,
        b"*2\r\n$4\r\nECHO\r\n$1048577\r\n",
        b"-ERR Protocol error: invalid bulk length\r\n",
    );
    // Exactly the limit is fine.
    let val = vec![b'q'; 1_048_576];
    assert_eq!(c.cmd(&[b"SET", b"max", &val]), b"+OK\r\n");
    assert_eq!(c.cmd(&[b"STRLEN", b"max"]), b":1048576\r\n");
}

#[test]
fn client_query_buffer_limit_closes_the_client() {
    let sp = ServerProc::start(&[]);
    let mut admin = sp.conn();
    assert_eq!(
        String::from_utf8_lossy(&admin.cmd(&[
            b"CONFIG",
            b"SET",
            b"client-query-buffer-limit",
            b"1000"
        ])),
        "-ERR CONFIG SET failed (possibly related to argument 'client-query-buffer-limit') - argument must be between 1048576 and 9223372036854775807 inclusive\r\n"
    );
    assert_eq!(
        admin.cmd(&[b"CONFIG", b"SET", b"client-query-buffer-limit", b"1mb"]),
        b"+OK\r\n"
    );
    assert_eq!(
        admin.cmd(&[b"CONFIG", b"GET", b"client-query-buffer-limit"]),
        b"*2\r\n$25\r\nclient-query-buffer-limit\r\n$7\r\n1048576\r\n"
    );
    let mut c = sp.conn();
    // A 4 MB bulk announced, 2 MB of it sent: the query buffer passes the
    // 1 MB limit and the client is closed without a reply.
    let mut req = b"*2\r\n$4\r\nECHO\r\n$4000000\r\n".to_vec();
    req.extend(std::iter::repeat_n(b'x', 2_000_000));
    // The server may close while we are still writing; ignore write errors.
    use std::io::Write;
    let _ = c.stream.write_all(&req);
    assert!(
        c.read_eof(),
        "client over client-query-buffer-limit must be closed"
    );
    assert!(
        c.buf.is_empty(),
        "no reply expected, got {} bytes",
        c.buf.len()
    );
    assert_eq!(admin.cmd(&[b"PING"]), b"+PONG\r\n");
    // Redis logs the reason.
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while !sp
        .log()
        .contains("Closing client that reached max query buffer length")
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        sp.log()
            .contains("Closing client that reached max query buffer length"),
        "log: {}",
        sp.log()
    );
}

#[test]
fn unknown_command_and_wrong_arity_errors() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    assert_eq!(
        String::from_utf8_lossy(&c.cmd(&[b"foo", b"a", b"b"])),
        "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&c.cmd(&[b"foo"])),
        "-ERR unknown command 'foo', with args beginning with: \r\n"
    );
    c.send_raw(b"foo a b\r\n");
    assert_eq!(
        String::from_utf8_lossy(&c.read_reply()),
        "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&c.cmd(&[b"get"])),
        "-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&c.cmd(&[b"GET", b"a", b"b"])),
        "-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&c.cmd(&[b"SET", b"a"])),
        "-ERR wrong number of arguments for 'set' command\r\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&c.cmd(&[b"ECHO"])),
        "-ERR wrong number of arguments for 'echo' command\r\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&c.cmd(&[b"PING", b"a", b"b"])),
        "-ERR wrong number of arguments for 'ping' command\r\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&c.cmd(&[b"CLIENT", b"NO-EVICT"])),
        "-ERR wrong number of arguments for 'client|no-evict' command\r\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&c.cmd(&[b"CLIENT", b"FOO"])),
        "-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n"
    );
    // Errors do not close the connection.
    assert_eq!(c.cmd(&[b"PING"]), b"+PONG\r\n");
}

#[test]
fn reply_to_many_pipelined_commands_split_at_odd_boundaries() {
    // Multibulk header, bulk header and payload straddle write boundaries.
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    let mut req = Vec::new();
    for i in 0..200 {
        let v = format!("{:03}", i);
        req.extend_from_slice(&common::encode_command(&[b"APPEND", b"s", v.as_bytes()]));
    }
    for chunk in req.chunks(13) {
        c.send_raw(chunk);
    }
    for i in 1..=200 {
        assert_eq!(
            String::from_utf8_lossy(&c.read_reply()),
            format!(":{}\r\n", 3 * i)
        );
    }
    let got = c.cmd(&[b"GETRANGE", b"s", b"0", b"8"]);
    assert_eq!(got, b"$9\r\n000001002\r\n");
}

/// A client that pipelines more than one read buffer of commands and then
/// half-closes its socket still gets every command executed, as in Redis:
/// the end of input only stops reading, it does not discard what was read.
#[test]
fn commands_before_eof_are_executed() {
    use std::io::{Read, Write};
    let sp = common::ServerProc::start(&[]);
    let n = 5000;
    let mut req = Vec::new();
    for i in 0..n {
        let key = format!("key:{i:08}");
        let val = format!("value-{i:032}");
        req.extend_from_slice(
            format!(
                "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n${}\r\n{val}\r\n",
                key.len(),
                val.len()
            )
            .as_bytes(),
        );
    }
    assert!(req.len() > 200_000);
    let mut s = std::net::TcpStream::connect(("127.0.0.1", sp.port)).unwrap();
    s.write_all(&req).unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    // Drain whatever comes back until the server closes the connection,
    // which it does as soon as it sees the end of input.
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let t0 = std::time::Instant::now();
    let mut sink = [0u8; 65536];
    while matches!(s.read(&mut sink), Ok(k) if k > 0) {}
    assert!(
        t0.elapsed() < std::time::Duration::from_secs(3),
        "connection not closed after EOF: {:?}",
        t0.elapsed()
    );
    let mut c = sp.conn();
    assert_eq!(
        String::from_utf8_lossy(&c.cmd(&[b"DBSIZE"])),
        format!(":{n}\r\n")
    );
}

/// `printf 'PING\r\n' | nc host port` style: the command and the end of
/// input arrive together; the reply is still sent before the server closes.
#[test]
fn reply_sent_before_closing_on_eof() {
    use std::io::{Read, Write};
    let sp = common::ServerProc::start(&[]);
    for _ in 0..20 {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", sp.port)).unwrap();
        s.write_all(b"PING\r\nECHO hello\r\n").unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 256];
        while let Ok(k) = s.read(&mut buf) {
            if k == 0 {
                break;
            }
            got.extend_from_slice(&buf[..k]);
        }
        assert_eq!(String::from_utf8_lossy(&got), "+PONG\r\n$5\r\nhello\r\n");
    }
}
