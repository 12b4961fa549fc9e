//! Hostile and malformed input, compared byte for byte with redis-server.
//!
//! A table of cases (well over 200) covers the protocol parser (huge,
//! negative and malformed lengths, truncated frames, nested multibulk,
//! inline quoting, the 64 KiB line limits, the limits that hold before
//! AUTH), commands given absurd numbers (offsets and counts at the edges of
//! `i64`, bit offsets past 2^32, TTLs that overflow, `numkeys` far beyond
//! the arguments), invalid UTF-8 in command, subcommand, config, key and
//! client names, and glob patterns made to backtrack (KEYS, SCAN MATCH,
//! PUBSUB CHANNELS, PSUBSCRIBE with PUBLISH).
//!
//! # How a case is judged
//! Both servers run with `requirepass`, and get the same data set first.
//! Each case opens a fresh connection to each server, authenticates (unless
//! the case is about unauthenticated clients), writes its chunks (a short
//! pause between chunks, so a frame can arrive in pieces) and records the
//! transcript: every byte the server sends, and whether it closes the
//! connection. Redis's transcript is read until it closes or stays quiet
//! for a while; ours is then read until it has as many bytes (or closes),
//! and watched for extra bytes or a close Redis did not do. The two must be
//! identical. After every case a new connection to our server must answer
//! PING, and the process must still be running.
//!
//! Cases run on a few threads at once. Those that write use keys of their
//! own (`w<case>`), so that no case sees another's effects; the shared data
//! set is only read (a case that may succeed in writing, such as
//! INCRBYFLOAT by 1e400, which Redis's long doubles take, must not use it).

mod common;

use common::*;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The password both servers require.
const PASS: &str = "badinput-pw";
/// How long Redis must stay quiet before its transcript is considered
/// complete (when it did not close the connection).
const ORACLE_QUIET: Duration = Duration::from_millis(300);
/// How long our server must stay quiet after it sent as much as Redis did.
const OURS_QUIET: Duration = Duration::from_millis(150);
/// How long our server may take to send what Redis sent, or to close.
const OURS_DEADLINE: Duration = Duration::from_secs(10);
/// Cases run on this many threads.
const WORKERS: usize = 16;

/// One hostile input.
struct Case {
    /// Short description, shown on failure.
    name: String,
    /// False to talk to the server without AUTH (the limits before AUTH).
    auth: bool,
    /// Written in order, with a short pause in between.
    chunks: Vec<Vec<u8>>,
}

/// What a server did with a case.
#[derive(Debug, PartialEq, Eq)]
struct Transcript {
    bytes: Vec<u8>,
    closed: bool,
}

/// Builds the table, in groups.
struct Table {
    cases: Vec<Case>,
}

impl Table {
    /// Raw bytes, written at once.
    fn raw(&mut self, name: &str, bytes: &[u8]) {
        self.chunks(name, vec![bytes.to_vec()]);
    }

    /// Raw bytes written in pieces.
    fn chunks(&mut self, name: &str, chunks: Vec<Vec<u8>>) {
        self.cases.push(Case {
            name: name.to_string(),
            auth: true,
            chunks,
        });
    }

    /// Raw bytes from a client that has not authenticated.
    fn noauth(&mut self, name: &str, bytes: &[u8]) {
        self.cases.push(Case {
            name: name.to_string(),
            auth: false,
            chunks: vec![bytes.to_vec()],
        });
    }

    /// One multibulk command, its words split as redis-cli splits them
    /// (`"\xff"` is one byte). `@` in a word becomes this case's own key
    /// name, `w<index>`.
    fn cmd(&mut self, line: &str) {
        let key = format!("w{}", self.cases.len());
        let args: Vec<Vec<u8>> = split_args(line)
            .into_iter()
            .map(|a| {
                if a.contains(&b'@') {
                    a.iter()
                        .flat_map(|&b| {
                            if b == b'@' {
                                key.as_bytes().to_vec()
                            } else {
                                vec![b]
                            }
                        })
                        .collect()
                } else {
                    a
                }
            })
            .collect();
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        self.raw(line, &encode_command(&refs));
    }

    /// One multibulk command given as its arguments.
    fn args(&mut self, args: &[&[u8]]) {
        let name: Vec<String> = args.iter().map(|a| escape(a)).collect();
        self.raw(&name.join(" "), &encode_command(args));
    }

    /// Several commands, one case (`;`-separated, pipelined in one write).
    fn cmds(&mut self, lines: &str) {
        let key = format!("w{}", self.cases.len());
        let mut out = Vec::new();
        for line in lines.split(';') {
            let line = line.trim().replace('@', &key);
            let args = split_args(&line);
            let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
            out.extend_from_slice(&encode_command(&refs));
        }
        self.raw(lines, &out);
    }
}

/// A long run of `a`, the name of a key and a channel that glob patterns
/// backtrack on.
fn long_a() -> String {
    "a".repeat(60)
}

/// `*a` repeated `n` times, then `tail`: a pattern that backtracks
/// exponentially in a naive matcher against [`long_a`].
fn star_a(n: usize, tail: &str) -> String {
    format!("{}{}", "*a".repeat(n), tail)
}

/// Fixed protocol cases: counts accepted while the arguments never come,
/// bulk lengths at the edges, nested and foreign frames, bulks whose
/// trailer is wrong, bare CR/LF line ends, errors in mid-pipeline, and
/// inline lines with a NUL, invalid UTF-8 or no newline.
const FIXED_RAW: &[(&str, &[u8])] = &[
    (
        "protocol error inside MULTI",
        b"MULTI\r\nSET wm x\r\n*1\r\n$x\r\nEXEC\r\n",
    ),
    (
        "unknown command inside MULTI, then EXEC",
        b"MULTI\r\nNOSUCH\r\nSET wm x\r\nEXEC\r\n",
    ),
    (
        "protocol error under CLIENT REPLY OFF",
        b"CLIENT REPLY OFF\r\nPING\r\n*1\r\n$x\r\n",
    ),
    (
        "protocol error after CLIENT REPLY SKIP",
        b"CLIENT REPLY SKIP\r\n*x\r\n",
    ),
    (
        "protocol error while subscribed",
        b"SUBSCRIBE wch\r\nPING\r\n*1\r\n$x\r\n",
    ),
    ("QUIT then more", b"*1\r\n$4\r\nQUIT\r\nPING\r\n"),
    ("RESET then a bad count", b"RESET\r\n*-x\r\n"),
    ("mbulk count INT_MAX waits", b"*2147483647\r\n"),
    (
        "mbulk count INT_MAX, some args",
        b"*2147483647\r\n$3\r\nSET\r\n$1\r\nk\r\n",
    ),
    ("mbulk count 1000000 waits", b"*1000000\r\n$4\r\nPING\r\n"),
    (
        "bulk len at proto-max-bulk-len waits",
        b"*1\r\n$536870912\r\n",
    ),
    ("bulk len 0 is an empty command", b"*1\r\n$0\r\n\r\n"),
    ("empty second arg", b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"),
    ("nested multibulk", b"*1\r\n*1\r\n$4\r\nPING\r\n"),
    ("RESP3 map as a command", b"%1\r\n$1\r\na\r\n$1\r\nb\r\n"),
    (
        "bulk followed by junk instead of CRLF",
        b"*2\r\n$4\r\nECHO\r\n$3\r\nabcXY*1\r\n$4\r\nPING\r\n",
    ),
    (
        "bulk shorter than announced swallows the next command",
        b"*2\r\n$4\r\nECHO\r\n$10\r\nabc\r\n*1\r\n$4\r\nPING\r\n",
    ),
    (
        "bulk longer than announced",
        b"*2\r\n$4\r\nECHO\r\n$1\r\nabc\r\n*1\r\n$4\r\nPING\r\n",
    ),
    ("count line with LF only waits", b"*1\n$4\nPING\n"),
    ("count with CR only", b"*1\r$4\r\nPING\r\n"),
    ("CR LF split between bulks", b"*1\r\n$4\r\nPING\r\n\r\n"),
    (
        "error after good commands",
        b"*1\r\n$4\r\nPING\r\nPING\r\n*1\r\n$x\r\nPING\r\n*1\r\n$4\r\nPING\r\n",
    ),
    (
        "error in the middle of a pipeline",
        b"*2\r\n$4\r\nECHO\r\n$1\r\n1\r\n*1\r\n+PING\r\n*2\r\n$4\r\nECHO\r\n$1\r\n2\r\n",
    ),
    (
        "inline with a NUL before the newline",
        b"PING\x00\r\nPING\r\n",
    ),
    ("inline with invalid UTF-8", b"ECHO \xff\xfe\xc3\x28\r\n"),
    ("inline LF only", b"PING\nPING\n"),
    ("inline with no newline waits", b"PING"),
    ("empty lines", b"\r\n\n\r\n\r\nPING\r\n"),
    ("bare CR", b"\r"),
];

fn protocol_cases(t: &mut Table) {
    // Multibulk counts.
    for count in [
        "abc",
        "",
        " 1",
        "1 ",
        "+1",
        "01",
        "0x1",
        "1.0",
        "1e2",
        "-0",
        "2147483648",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775809",
        "99999999999999999999999",
        "\x001",
        "1\x00",
    ] {
        t.raw(
            &format!("mbulk count {count:?}"),
            format!("*{count}\r\n$4\r\nPING\r\n").as_bytes(),
        );
    }
    for count in ["0", "-1", "-9223372036854775808", "-2147483649"] {
        t.raw(
            &format!("mbulk count {count} is skipped"),
            format!("*{count}\r\n*1\r\n$4\r\nPING\r\n").as_bytes(),
        );
    }
    // Bulk lengths.
    for len in [
        "-1",
        "-2",
        "-9223372036854775808",
        "abc",
        "",
        " 4",
        "4 ",
        "+4",
        "04",
        "4.0",
        "0x4",
        "536870913",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551616",
        "\x004",
    ] {
        t.raw(
            &format!("bulk len {len:?}"),
            format!("*1\r\n${len}\r\nPING\r\n").as_bytes(),
        );
    }
    // Something other than '$' where a bulk must start.
    for first in [
        b'*', b'+', b'-', b':', b'%', b'~', b'>', b'#', b',', b'_', b'(', b'!', b'=', b'|', b' ',
        b'P', b'\t', b'\n', b'\r', 0u8, 0x7f, 0x80, 0xff,
    ] {
        let mut v = b"*2\r\n$4\r\nECHO\r\n".to_vec();
        v.push(first);
        v.extend_from_slice(b"4\r\nPING\r\n");
        t.raw(&format!("expected '$', got byte {first:#x}"), &v);
    }
    // Lines and counts over 64 KiB without their terminator.
    let mut v = b"*".to_vec();
    v.extend(std::iter::repeat_n(b'1', 70_000));
    t.raw("mbulk count string over 64 KiB", &v);
    let mut v = b"*1\r\n$".to_vec();
    v.extend(std::iter::repeat_n(b'1', 70_000));
    t.raw("bulk count string over 64 KiB", &v);
    let mut v = b"ECHO ".to_vec();
    v.extend(std::iter::repeat_n(b'x', 70_000));
    t.raw("inline request over 64 KiB", &v);
    v.extend_from_slice(b"\r\n");
    t.raw(
        "inline request over 64 KiB, in one write with its newline",
        &v,
    );
    let mut v = b"ECHO ".to_vec();
    v.extend(std::iter::repeat_n(b'y', 60_000));
    v.extend_from_slice(b"\r\n");
    t.raw("inline request of 60 KB", &v);
    // Inline requests.
    for line in [
        "\"unbalanced",
        "'unbalanced",
        "ECHO \"a\"b",
        "ECHO 'a'b",
        "ECHO \"\\x4\"",
        "ECHO \"\\xZZ\"",
        "ECHO \"\\x41\\x42\"",
        "ECHO \"\\u0041\"",
        "ECHO 'it\\'s'",
        "ECHO \"a\\\"b\"",
        "ECHO \"\\",
        "ECHO a\"b c\"",
        "   ",
        "\t\t",
        "PI\rNG",
        "+PING",
        "-ERR",
        ":1",
        "$4",
        "ping",
        "PiNg extra",
        "ECHO \"\\xff\\xfe\"",
        "\"\"",
        "'' ''",
    ] {
        let mut v = line.as_bytes().to_vec();
        v.extend_from_slice(b"\r\n");
        t.raw(&format!("inline {line:?}"), &v);
    }
    for (name, bytes) in FIXED_RAW {
        t.raw(name, bytes);
    }
    t.raw("deeply nested multibulk", "*1\r\n".repeat(1000).as_bytes());
    // A frame in pieces (the parser resumes).
    let set =
        b"*3\r\n$3\r\nSET\r\n$2\r\nw!\r\n$2\r\nvv\r\n*2\r\n$3\r\nGET\r\n$2\r\nw!\r\n".to_vec();
    for cut in [1, 2, 3, 4, 5, 8, 9, 12, 13, 14, 19, 21, 22, 25, 28, 29] {
        let (a, b) = set.split_at(cut);
        t.chunks(
            &format!("SET split at byte {cut}"),
            vec![a.to_vec(), b.to_vec()],
        );
    }
    // Truncated frames: the server waits for the rest.
    let get = b"*2\r\n$3\r\nGET\r\n$2\r\ns1\r\n";
    for cut in 1..get.len() {
        t.raw(&format!("GET truncated at byte {cut}"), &get[..cut]);
    }
    // Pipelines of errors-in-arguments, not of framing: all answered.
    let mut v = Vec::new();
    for _ in 0..200 {
        v.extend_from_slice(b"*1\r\n$7\r\nNOSUCH!\r\n");
    }
    t.raw("200 unknown commands pipelined", &v);
    t.raw(
        "10000 inline PINGs in one write",
        "PING\r\n".repeat(10_000).as_bytes(),
    );
}

fn unauthenticated_cases(t: &mut Table) {
    t.noauth("PING before AUTH", b"PING\r\n");
    t.noauth("count 10 before AUTH waits", b"*10\r\n");
    t.noauth("count 11 before AUTH", b"*11\r\n");
    t.noauth("count 1000 before AUTH", b"*1000\r\n");
    t.noauth("bad count before AUTH", b"*x\r\n");
    t.noauth(
        "bulk 16384 before AUTH waits",
        b"*2\r\n$4\r\nAUTH\r\n$16384\r\n",
    );
    t.noauth("bulk 16385 before AUTH", b"*2\r\n$4\r\nAUTH\r\n$16385\r\n");
    t.noauth(
        "bulk over proto-max-bulk-len before AUTH",
        b"*2\r\n$4\r\nAUTH\r\n$536870913\r\n",
    );
    let mut v = b"*10\r\n$4\r\nECHO\r\n".to_vec();
    for _ in 0..9 {
        v.extend_from_slice(b"$16384\r\n");
        v.extend(std::iter::repeat_n(b'z', 16384));
        v.extend_from_slice(b"\r\n");
    }
    t.noauth("10 arguments of 16 KiB before AUTH", &v);
    let mut v = b"AUTH".to_vec();
    for _ in 0..50 {
        v.extend_from_slice(b" x");
    }
    v.extend_from_slice(b"\r\n");
    t.noauth("inline with 51 arguments before AUTH", &v);
    let mut v = b"AUTH ".to_vec();
    v.extend(std::iter::repeat_n(b'p', 20_000));
    v.extend_from_slice(b"\r\n");
    t.noauth("inline password of 20 KB", &v);
    t.noauth("wrong password", b"AUTH nope\r\nPING\r\n");
    t.noauth("AUTH with too many args", b"AUTH a b c\r\n");
    t.noauth("AUTH with no args", b"AUTH\r\n");
    t.noauth(
        "AUTH then a big count",
        format!("AUTH {PASS}\r\n*11\r\n$4\r\nPING\r\n").as_bytes(),
    );
    t.noauth("HELLO 3 before AUTH", b"HELLO 3\r\n");
    t.noauth("HELLO 3 AUTH wrong", b"HELLO 3 AUTH default nope\r\n");
    t.noauth("HELLO 9 before AUTH", b"HELLO 9\r\n");
    t.noauth("QUIT before AUTH", b"QUIT\r\nPING\r\n");
    t.noauth("unknown command before AUTH", b"NOSUCH\r\n");
}

fn name_cases(t: &mut Table) {
    for line in [
        "\"\\xff\\xfe\"",
        "\"\\xc3\\x28\" a",
        "\"\\x00\"",
        "\"\\xe2\\x82\"",
        "\"\" a b",
        "CONFIG \"\\xff\"",
        "CONFIG GET \"\\xff\"",
        "CONFIG SET \"\\xff\" 1",
        "CONFIG SET maxmemory \"\\xff\"",
        "CONFIG SET maxmemory 1\\xff",
        "CLIENT \"\\xff\"",
        "CLIENT SETNAME \"\\xff\"",
        "CLIENT SETNAME \"a b\"",
        "CLIENT SETNAME \"a\\nb\"",
        "CLIENT KILL \"\\xff\"",
        "CLIENT KILL ID \"\\xff\"",
        "CLIENT KILL ID -1",
        "CLIENT KILL 1.2.3.4:5",
        "CLIENT KILL SKIPME maybe",
        "CLIENT REPLY \"\\xff\"",
        "CLIENT NO-EVICT \"\\xff\"",
        "OBJECT \"\\xff\" s1",
        "OBJECT ENCODING \"\\xff\"",
        "XINFO \"\\xff\"",
        "FUNCTION \"\\xff\"",
        "SCRIPT \"\\xff\"",
        "COMMAND INFO \"\\xff\"",
        "COMMAND DOCS \"\\xff\"",
        "COMMAND GETKEYS \"\\xff\"",
        "COMMAND GETKEYS GET",
        "PUBSUB \"\\xff\"",
        "MEMORY \"\\xff\"",
        "LATENCY \"\\xff\"",
        "SLOWLOG \"\\xff\"",
        "SLOWLOG GET -2",
        "SLOWLOG GET 9223372036854775808",
        "MEMORY USAGE s1 SAMPLES -1",
        "DEBUG SLEEP 0",
        "SET @\"\\xff\\xfe\" \"\\xc3\\x28\"",
        "TYPE \"\\xff\"",
        "EXISTS \"\\x00\" \"\\xff\"",
        "HSET @ \"\\xff\" \"\\x00\"",
        "XADD @ 1-1 \"\\xff\" \"\\x00\"",
        "SELECT \"\\xff\"",
        "SET s1 v \"\\xff\"",
        "FCALL \"\\xff\" 0",
        "EVALSHA \"\\xff\" 0",
        "EVAL \"return redis.call('\\xff')\" 0",
        "EXPIRE s1 1 \"\\xff\\x00z\"",
        "FUNCTION RESTORE x \"\\xff\"",
        "FUNCTION LIST \"\\xff\"",
        "CLIENT LIST TYPE \"\\xff\"",
        "CLIENT KILL TYPE \"\\xff\"",
        "CLIENT UNBLOCK 1 TIMEOUT \"\\xff\"",
        "PUBSUB NUMPAT \"\\xff\"",
        "XGROUP CREATECONSUMER x1 \"\\xff\" c",
        "XINFO CONSUMERS x1 \"\\xff\\x00z\"",
        "XCLAIM x1 g c 0 1-1 \"\\xff\"",
        "XPENDING x1 \"\\xff\"",
        "XREADGROUP GROUP \"\\xff\" c STREAMS x1 >",
        "LATENCY GRAPH \"\\xff\"",
    ] {
        t.cmd(line);
    }
    // Names longer than the 128 bytes Redis quotes in its errors.
    let long = "N".repeat(300);
    t.cmd(&format!("{long} {long} {long}"));
    t.cmd(&format!("NOSUCH {long} b c"));
    t.cmd(&format!("CONFIG {long}"));
    t.cmd(&format!("CONFIG SET {long} 1"));
    t.cmd(&format!("CLIENT {long}"));
}

fn number_cases(t: &mut Table) {
    for line in [
        // SETRANGE / GETRANGE / strings
        "SETRANGE @ 536870912 x",
        "SETRANGE @ 536870911 \"\"",
        "SETRANGE @ -1 x",
        "SETRANGE @ 9223372036854775807 x",
        "SETRANGE @ -9223372036854775808 x",
        "SETRANGE @ 1e3 x",
        "SETRANGE s1 4294967296 x",
        "GETRANGE s1 0 9223372036854775807",
        "GETRANGE s1 -9223372036854775808 -1",
        "GETRANGE s1 -9223372036854775808 9223372036854775807",
        "GETRANGE s1 9223372036854775807 9223372036854775807",
        "GETRANGE s1 9223372036854775808 0",
        "GETRANGE i1 -100 100",
        "SUBSTR s1 -9223372036854775808 -9223372036854775808",
        "APPEND s1",
        "INCR mx",
        "DECR mn",
        "INCRBY mx 1",
        "INCRBY i1 9223372036854775807",
        "INCRBY i1 9223372036854775808",
        "DECRBY i1 -9223372036854775808",
        "DECRBY mn 1",
        "DECRBY mn 9223372036854775807",
        "INCRBYFLOAT fmax 1.7976931348623157e308",
        "INCRBYFLOAT i1 inf",
        "INCRBYFLOAT i1 nan",
        "SET @ 42; INCRBYFLOAT @ 1e400",
        "INCRBYFLOAT s1 1",
        "INCR s1",
        "SET @ v EX 0",
        "SET @ v EX -1",
        "SET @ v EX 9223372036854775807",
        "SET @ v PX 9223372036854775807",
        "SET @ v EXAT 9223372036854775807",
        "SET @ v PXAT -1",
        "SET @ v EX 1 PX 1",
        "SETEX @ -1 v",
        "SETEX @ 9223372036854775807 v",
        "PSETEX @ 0 v",
        "GETEX s1 EX 0",
        "GETEX s1 PX 9223372036854775807",
        "EXPIRE s1 9223372036854775807",
        "EXPIRE s1 9223372036854775",
        "PEXPIRE s1 9223372036854775807",
        "EXPIREAT s1 9223372036854775807",
        "SET @ v; PEXPIREAT @ -9223372036854775808; EXISTS @",
        "EXPIRE s1 1 XX NX",
        "EXPIRE s1 1 BOGUS",
        // Lists
        "LRANGE l1 0 9223372036854775807",
        "LRANGE l1 -9223372036854775808 9223372036854775807",
        "LRANGE l1 9223372036854775807 -9223372036854775808",
        "LRANGE l1 -9223372036854775808 -9223372036854775808",
        "LRANGE l1 0 9223372036854775808",
        "LINDEX l1 -9223372036854775808",
        "LINDEX l1 9223372036854775807",
        "LSET l1 9223372036854775807 x",
        "LSET l1 -9223372036854775808 x",
        "LTRIM @ -9223372036854775808 9223372036854775807",
        "LPOS l1 c RANK -9223372036854775808",
        "LPOS l1 c RANK 0",
        "LPOS l1 c COUNT -1",
        "LPOS l1 c MAXLEN -1",
        "LPOS l1 c RANK 9223372036854775807 COUNT 9223372036854775807",
        "LPOP l1 -1",
        "LPOP l1 0",
        "RPOP l1 -9223372036854775808",
        "LMPOP 0 l1 LEFT",
        "LMPOP -1 l1 LEFT",
        "LMPOP 2147483648 l1 LEFT",
        "LMPOP 9223372036854775807 l1 LEFT",
        "LMPOP 1 l1 LEFT COUNT 0",
        "LMPOP 1 l1 LEFT COUNT -1",
        "LMPOP 2 l1 LEFT",
        "BLPOP l1 -1",
        "BLPOP l1 nan",
        "BLPOP l1 1e400",
        "BLPOP @ 9223372036854775807",
        "BLMPOP -1 1 l1 LEFT",
        "BLMOVE l1 @ LEFT RIGHT -1",
        "LINSERT l1 MIDDLE a b",
        "LREM l1 -9223372036854775808 zz",
        // Sets, hashes, sorted sets: random members at the edges
        "SRANDMEMBER s2 -9223372036854775808",
        "SRANDMEMBER s2 9223372036854775807",
        "SRANDMEMBER s2 0",
        "SRANDMEMBER s2 9223372036854775808",
        "SPOP s2 -1",
        "SPOP s2 0",
        "SPOP s2 -9223372036854775808",
        "HRANDFIELD h1 -9223372036854775808",
        "HRANDFIELD h1 0",
        "HRANDFIELD h1 9223372036854775807 WITHVALUES",
        "HRANDFIELD h1 -9223372036854775807 WITHVALUES",
        "ZRANDMEMBER z1 -9223372036854775808",
        "ZRANDMEMBER z1 0 WITHSCORES",
        "ZRANDMEMBER z1 -4611686018427387904 WITHSCORES",
        "SINTERCARD 0 s2",
        "SINTERCARD -1 s2",
        "SINTERCARD 2147483648 s2",
        "SINTERCARD 1 s2 LIMIT -1",
        "SINTERCARD 5 s2",
        "HINCRBY h1 f2 9223372036854775807",
        "HINCRBY h1 f2 9223372036854775808",
        "HINCRBY h1 f1 1",
        "HINCRBYFLOAT h1 f2 inf",
        "HSET @ f 1; HINCRBYFLOAT @ f 1e400; HINCRBYFLOAT @ f 1e4933",
        "ZADD @ nan m",
        "ZADD @ inf m -inf n",
        "ZADD @ 1e400 m",
        "ZADD @ INCR 1 m 2 n",
        "ZADD @ NX XX 1 m",
        "ZADD @ GT LT 1 m",
        "ZINCRBY z1 nan m1",
        "ZRANGE z1 0 -1 LIMIT -1 -1",
        "ZRANGE z1 0 -1 BYSCORE LIMIT -9223372036854775808 9223372036854775807",
        "ZRANGE z1 -inf +inf BYSCORE LIMIT 9223372036854775807 1",
        "ZRANGE z1 0 9223372036854775807",
        "ZRANGE z1 -9223372036854775808 9223372036854775807 REV",
        "ZRANGEBYSCORE z1 nan 1",
        "ZRANGEBYSCORE z1 (1 (1e400",
        "ZRANGEBYLEX z1 a b",
        "ZRANGEBYLEX z1 [a (",
        "ZREMRANGEBYRANK @ -9223372036854775808 9223372036854775807",
        "ZUNIONSTORE @ 0 z1",
        "ZUNIONSTORE @ -1 z1",
        "ZUNIONSTORE @ 2147483648 z1",
        "ZUNIONSTORE @ 9223372036854775807 z1",
        "ZUNIONSTORE @ 2 z1",
        "ZUNIONSTORE @ 1 z1 WEIGHTS nan",
        "ZUNIONSTORE @ 1 z1 WEIGHTS 1 2",
        "ZUNIONSTORE @ 1 z1 AGGREGATE bogus",
        "ZINTER 1 z1 WEIGHTS inf WITHSCORES",
        "ZMPOP 0 z1 MIN",
        "ZMPOP 1 z1 MIN COUNT 0",
        "ZMPOP 2147483647 z1 MIN",
        "BZPOPMIN z1 -1",
        "ZCOUNT z1 nan 1",
        // Bits
        "SETBIT @ 4294967296 1",
        "SETBIT @ -1 1",
        "SETBIT @ 0 2",
        "SETBIT @ 0 -1",
        "SETBIT @ 9223372036854775807 1",
        "GETBIT bm 4294967295",
        "GETBIT bm 4294967296",
        "GETBIT bm -1",
        "BITCOUNT bm -9223372036854775808 9223372036854775807",
        "BITCOUNT bm 0 -1 BIT",
        "BITCOUNT bm -9223372036854775808 9223372036854775807 BIT",
        "BITCOUNT bm 0",
        "BITPOS bm 1 -9223372036854775808",
        "BITPOS bm 0 9223372036854775807 -9223372036854775808 BIT",
        "BITPOS bm 2",
        "BITOP NOT @ bm bm",
        "BITOP bogus @ bm",
        "BITFIELD bm GET i64 9223372036854775807",
        "BITFIELD bm GET i64 4294967232",
        "BITFIELD bm GET i64 4294967233",
        "BITFIELD bm GET i8 #536870912",
        "BITFIELD bm GET i8 #-1",
        "BITFIELD bm GET i8 #9223372036854775807",
        "BITFIELD bm GET u64 0",
        "BITFIELD bm GET i65 0",
        "BITFIELD bm GET i0 0",
        "BITFIELD bm GET u63 0",
        "BITFIELD bm GET x8 0",
        "BITFIELD @ SET i64 0 9223372036854775807 INCRBY i64 0 1",
        "BITFIELD @ OVERFLOW FAIL INCRBY i64 0 9223372036854775807 INCRBY i64 0 1",
        "BITFIELD @ OVERFLOW SAT INCRBY i8 0 -9223372036854775808",
        "BITFIELD @ OVERFLOW WRAP INCRBY u63 0 -1",
        "BITFIELD @ OVERFLOW bogus GET u8 0",
        "BITFIELD @ SET i8 0 128",
        "BITFIELD @ SET i8 0 9223372036854775808",
        "BITFIELD @ INCRBY i8 0",
        "BITFIELD_RO bm SET i8 0 1",
        "BITFIELD_RO bm GET i8 #4294967296",
        // Scans, sorts, scripts, streams, databases, misc counts
        "SCAN 0 COUNT 0",
        "SCAN 0 COUNT -1",
        "SCAN 18446744073709551616",
        "SCAN abc",
        "SCAN 0 TYPE bogus COUNT 9223372036854775808",
        "SSCAN s2 0 COUNT 0",
        "HSCAN h1 0 COUNT -9223372036854775808",
        "ZSCAN z1 x",
        "SORT l1 LIMIT -9223372036854775808 9223372036854775807 ALPHA",
        "SORT l1 LIMIT 9223372036854775807 9223372036854775807 ALPHA",
        "SORT l1 LIMIT 0 -1 ALPHA",
        "SORT l1",
        "EVAL \"return 1\" -1",
        "EVAL \"return 1\" 9223372036854775807",
        "EVAL \"return 1\" 2147483648",
        "EVAL \"return 1\" 1",
        "EVAL \"return {1,2,{3,{4}}}\" 0",
        "EVAL \"return string.rep('x', 100)\" 0",
        "FCALL f -1",
        "XADD @ MAXLEN -1 * f v",
        "XADD @ 0-0 f v",
        "XADD @ 18446744073709551616-0 f v",
        "XADD @ 1-18446744073709551616 f v",
        "XADD @ 18446744073709551615-18446744073709551615 f v",
        "XADD @ LIMIT 10 * f v",
        "XADD @ * f",
        "XRANGE x1 - + COUNT -1",
        "XRANGE x1 - + COUNT 9223372036854775807",
        "XRANGE x1 18446744073709551616 +",
        "XREVRANGE x1 + - COUNT -9223372036854775808",
        "XREAD COUNT -1 STREAMS x1 0",
        "XREAD STREAMS x1",
        "XREAD STREAMS x1 x1 0",
        "XREAD BLOCK -1 STREAMS x1 0",
        "XTRIM x1 MAXLEN -1",
        "XTRIM x1 MINID -1",
        "XSETID x1 0-0",
        "XINFO STREAM x1 FULL COUNT -1",
        "XAUTOCLAIM x1 g c 0 0 COUNT 0",
        "XPENDING x1 g - + -1",
        "SELECT -1",
        "SELECT 16",
        "SELECT 2147483648",
        "SELECT 9223372036854775808",
        "MOVE s1 -1",
        "SWAPDB 0 -1",
        "COPY s1 @ DB 9223372036854775807",
        "RESTORE @ -1 x",
        "RESTORE @ 0 \"\\x00\\x01garbage\"",
        "RESTORE @ 0 \"\"",
        "OBJECT FREQ s1",
        "LCS s1 s1 MINMATCHLEN -9223372036854775808 IDX",
        "GEOADD @ 181 0 m",
        "GEOADD @ nan nan m",
        "GEORADIUS @ 0 0 -1 m",
        "GEOSEARCH @ FROMLONLAT 0 0 BYRADIUS 1 m COUNT -1",
        "PFCOUNT s1",
        "PFADD s1 a",
        "HELLO 0",
        "HELLO 4",
        "HELLO abc",
        "HELLO -9223372036854775808",
        "CLIENT TRACKING on PREFIX a BCAST REDIRECT -1",
        "CLIENT PAUSE -1",
        "CONFIG SET maxmemory-clients 200%",
        "CONFIG SET hz -1",
        "CONFIG SET maxclients 0",
        "CONFIG SET client-query-buffer-limit 1",
        "CONFIG SET proto-max-bulk-len 1",
        "CONFIG SET client-output-buffer-limit \"normal 1 2\"",
        "CONFIG SET client-output-buffer-limit \"bogus 0 0 0\"",
        "CONFIG SET client-output-buffer-limit \"normal -1 0 0\"",
    ] {
        if line.contains(';') {
            t.cmds(line);
        } else {
            t.cmd(line);
        }
    }
}

fn pattern_cases(t: &mut Table) {
    let a = long_a();
    // Patterns that match nothing, or only the long key / channel, so
    // that the keys other cases create meanwhile never show up.
    for pat in [
        star_a(30, "b"),
        star_a(59, "b"),
        star_a(61, ""),
        star_a(60, ""),
        format!("{}b", "?".repeat(59)),
        format!("{}*b*", "*".repeat(500)),
        format!("{}b", "*".repeat(5000)),
        format!("{}[b]", "*a".repeat(25)),
        format!("{}[^a]", "*a".repeat(25)),
        format!("{}\\b", "*a".repeat(25)),
        format!("{}\\", "*a".repeat(25)),
        "[".to_string(),
        "[a-".to_string(),
        "[^".to_string(),
        "\\".to_string(),
        "*[".to_string(),
        "[z-a]x".to_string(),
        "[\\]]*".to_string(),
        "[]]*".to_string(),
        format!("{a}*"),
        format!("[a-a]{}", "?".repeat(59)),
    ] {
        let p = pat.as_bytes();
        t.args(&[b"KEYS", p]);
        t.args(&[b"SCAN", b"0", b"MATCH", p, b"COUNT", b"1000000"]);
        t.args(&[b"PUBSUB", b"CHANNELS", p]);
    }
    // Subscriptions that never match a channel published to below.
    t.args(&[b"PSUBSCRIBE", star_a(40, "c").as_bytes()]);
    t.args(&[
        b"PSUBSCRIBE",
        format!("{}c", "*".repeat(5000)).as_bytes(),
        b"[",
        b"\\",
    ]);
    t.args(&[b"PUBLISH", a.as_bytes(), b"hello"]);
    t.args(&[b"PUBLISH", format!("{a}b").as_bytes(), b"hello"]);
    t.args(&[b"PUBSUB", b"NUMSUB", a.as_bytes()]);
    let slow = star_a(40, "b");
    let slow = slow.as_bytes();
    t.args(&[b"SSCAN", b"s2", b"0", b"MATCH", slow]);
    t.args(&[b"HSCAN", b"h1", b"0", b"MATCH", slow]);
    t.args(&[b"ZSCAN", b"z1", b"0", b"MATCH", slow]);
    t.args(&[b"CONFIG", b"GET", slow]);
    t.args(&[b"COMMAND", b"LIST", b"FILTERBY", b"PATTERN", slow]);
    t.args(&[b"FUNCTION", b"LIST", b"LIBRARYNAME", slow]);
}

fn table() -> Vec<Case> {
    let mut t = Table { cases: Vec::new() };
    protocol_cases(&mut t);
    unauthenticated_cases(&mut t);
    name_cases(&mut t);
    number_cases(&mut t);
    pattern_cases(&mut t);
    t.cases
}

/// The data set every case may read, loaded into both servers.
fn setup_commands() -> Vec<String> {
    let a = long_a();
    vec![
        "SET s1 \"hello world\"".into(),
        "SET i1 42".into(),
        "SET mx 9223372036854775807".into(),
        "SET mn -9223372036854775808".into(),
        "SET fmax 1.7976931348623157e308".into(),
        "RPUSH l1 a b c d e c".into(),
        "SADD s2 1 2 3 4 5".into(),
        "ZADD z1 1 m1 2 m2 3 m3".into(),
        "HSET h1 f1 v1 f2 10".into(),
        "SETBIT bm 7 1".into(),
        "XADD x1 1-1 f v".into(),
        "XGROUP CREATE x1 g 0".into(),
        format!("SET {a} v"),
    ]
}

/// Connects and authenticates; `None` if the server refused.
fn open(port: u16, auth: bool) -> TcpStream {
    let mut c = Conn::connect(port);
    if auth {
        assert_eq!(c.cmd(&[b"AUTH", PASS.as_bytes()]), b"+OK\r\n");
    }
    c.stream
}

/// Writes a case's chunks, ignoring write errors (the server may close
/// before it has read everything).
fn send_chunks(s: &mut TcpStream, chunks: &[Vec<u8>]) {
    for (i, ch) in chunks.iter().enumerate() {
        if i > 0 {
            std::thread::sleep(Duration::from_millis(30));
        }
        if s.write_all(ch).is_err() {
            return;
        }
    }
}

/// Reads into `out` until the peer closes (true), `quiet` passes with no
/// byte (false), `until(out)` holds (false) or `deadline` passes (false).
fn read_until(
    s: &mut TcpStream,
    out: &mut Vec<u8>,
    quiet: Duration,
    deadline: Instant,
    until: impl Fn(&[u8]) -> bool,
) -> bool {
    let mut buf = [0u8; 65536];
    loop {
        if until(out) {
            return false;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        let _ = s.set_read_timeout(Some(quiet.min(deadline - now)));
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {
                return false;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return true,
        }
    }
}

/// Redis's transcript: everything until it closes or goes quiet.
fn oracle_transcript(port: u16, case: &Case) -> Transcript {
    let mut s = open(port, case.auth);
    send_chunks(&mut s, &case.chunks);
    let mut bytes = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let closed = read_until(&mut s, &mut bytes, ORACLE_QUIET, deadline, |_| false);
    Transcript { bytes, closed }
}

/// Our transcript, read knowing what Redis did: as many bytes (or a close)
/// within the deadline, then a close if Redis closed, else a quiet spell.
fn our_transcript(port: u16, case: &Case, want: &Transcript) -> Transcript {
    let mut s = open(port, case.auth);
    send_chunks(&mut s, &case.chunks);
    let mut bytes = Vec::new();
    let n = want.bytes.len();
    let deadline = Instant::now() + OURS_DEADLINE;
    let mut closed = read_until(&mut s, &mut bytes, OURS_DEADLINE, deadline, |b| {
        b.len() >= n
    });
    if !closed {
        let quiet = if want.closed {
            OURS_DEADLINE
        } else {
            OURS_QUIET
        };
        let deadline = Instant::now() + quiet;
        closed = read_until(&mut s, &mut bytes, quiet, deadline, |_| false);
    }
    Transcript { bytes, closed }
}

/// Our server answers PING on a new connection and its process runs.
fn assert_up(sp: &mut ServerProc, after: &str) {
    if let Ok(Some(st)) = sp.child.try_wait() {
        panic!("server exited with {st} after case {after:?}\n{}", sp.log());
    }
    let mut c = Conn::connect(sp.port);
    assert_eq!(
        c.cmd(&[b"AUTH", PASS.as_bytes()]),
        b"+OK\r\n",
        "after {after:?}"
    );
    assert_eq!(c.cmd(&[b"PING"]), b"+PONG\r\n", "after {after:?}");
}

/// Shortened printable bytes for a failure report.
fn show(b: &[u8]) -> String {
    let e = escape(b);
    if e.len() > 600 {
        format!(
            "{}...({} bytes)...{}",
            &e[..300],
            b.len(),
            &e[e.len() - 200..]
        )
    } else {
        e
    }
}

#[test]
fn hostile_inputs_match_redis_and_the_server_stays_up() {
    let cases = table();
    assert!(cases.len() >= 200, "only {} cases", cases.len());
    let args = ["--requirepass", PASS];
    let Some(oracle) = ServerProc::start_oracle(&args) else {
        return;
    };
    let ours = ServerProc::start(&args);
    // The same data on both, and a pattern subscriber that every PUBLISH
    // has to match against.
    let mut subs = Vec::new();
    for port in [oracle.port, ours.port] {
        let mut c = Conn::connect(port);
        assert_eq!(c.cmd(&[b"AUTH", PASS.as_bytes()]), b"+OK\r\n");
        for line in setup_commands() {
            let r = c.cmd_str(&line);
            assert!(!r.starts_with(b"-"), "{line}: {}", escape(&r));
        }
        let mut sub = Conn::connect(port);
        assert_eq!(sub.cmd(&[b"AUTH", PASS.as_bytes()]), b"+OK\r\n");
        let slow = star_a(30, "b");
        sub.send_raw(&encode_command(&[
            b"PSUBSCRIBE",
            slow.as_bytes(),
            b"*a*a*a*a",
        ]));
        sub.read_reply();
        sub.read_reply();
        sub.send_raw(&encode_command(&[b"SUBSCRIBE", long_a().as_bytes()]));
        sub.read_reply();
        subs.push(sub);
    }

    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let ours = Mutex::new(ours);
    let our_port = ours.lock().map(|s| s.port).unwrap_or(0);
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { break };
                    let want = oracle_transcript(oracle.port, case);
                    let got = our_transcript(our_port, case, &want);
                    if got != want {
                        let msg = format!(
                            "case {i} {:?}:\n  redis: {} (closed: {})\n  ours:  {} (closed: {})",
                            case.name,
                            show(&want.bytes),
                            want.closed,
                            show(&got.bytes),
                            got.closed
                        );
                        if let Ok(mut f) = failures.lock() {
                            f.push(msg);
                        }
                    }
                    if let Ok(mut sp) = ours.lock() {
                        assert_up(&mut sp, &case.name);
                    }
                }
            });
        }
    });
    // A command name with a NUL after a real name ("GET\0") is left out
    // of the table: redis-server hashes all its bytes but compares names
    // only up to the NUL, so it finds GET only when the seeded hash happens
    // to put "GET\0" in GET's bucket (12 starts of 1500 here) and otherwise
    // answers unknown command. Ours always answers the usual reply.
    if let Ok(sp) = ours.lock() {
        let mut c = Conn::connect(sp.port);
        assert_eq!(c.cmd(&[b"AUTH", PASS.as_bytes()]), b"+OK\r\n");
        assert_eq!(
            c.cmd(&[b"GET\x00", b"s1"]),
            b"-ERR unknown command 'GET', with args beginning with: 's1' \r\n"
        );
    }
    let failures = failures.into_inner().unwrap_or_default();
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from redis-server:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    drop(subs);
}
