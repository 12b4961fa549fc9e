//! Shared support for the replication tests (`tests/replication.rs`,
//! `tests/replication_interop.rs`): nodes of
//! either kind, a writer that touches every type while a sync runs, waiting
//! for replicas to catch up, and comparing two keyspaces key by key.
//!
//! # Nodes
//!
//! A [`Node`] is a server of a [`Kind`]: `Rust` is the binary under test
//! ([`super::server_bin`], so `RUSTREDIS_BIN=/usr/bin/redis-server` turns
//! every node into redis-server and proves the tests themselves), `Redis`
//! is the oracle ([`super::oracle_bin`]). [`Node::start`] returns `None`
//! for a `Redis` node when the oracle is missing (a test then returns
//! early) and panics instead under `CI=true`. Every node gets
//! [`NODE_ARGS`]: DEBUG enabled and diskless syncs that start at once.
//!
//! # The writer
//!
//! [`write_every_type`] runs one round of writes under a tag: strings (int,
//! embstr, raw, INCRBYFLOAT, APPEND, SETRANGE), lists (one listpack node and
//! a multi-node quicklist, LMOVE, LINSERT, LTRIM), hashes (listpack and
//! hashtable), sets (intset and hashtable, SPOP, SMOVE, SINTERSTORE),
//! sorted sets (listpack and skiplist, ZPOPMIN, ZUNIONSTORE), a stream with
//! consumer groups (XREADGROUP, XACK, XAUTOCLAIM, XDEL, XTRIM), HyperLogLogs
//! (sparse and dense, PFCOUNT's cache, PFMERGE), bitmaps (SETBIT, BITFIELD,
//! BITOP), geo (GEOADD, GEOSEARCHSTORE), TTLs (relative and absolute, SET
//! EX, GETEX, PERSIST, and keys that expire within a few hundred ms), MULTI
//! / EXEC, EVAL, a function library (FUNCTION LOAD, FCALL), RENAME, COPY,
//! MOVE, in databases 0, 1 and 9. Everything it writes goes to the master
//! only; the replicas must end up equal to it.
//!
//! The short-lived keys make the comparison racy unless the master has
//! deleted them first (a replica never expires keys itself; it waits for
//! the master's DEL), so [`expire_short_keys`] waits for them to expire and
//! touches each one on the master, which deletes it and propagates a DEL.
//!
//! # The sync scenario
//!
//! [`full_then_partial`] is the test of a master/replica pair of any kinds:
//! a full sync (to disk or diskless) with write rounds during it
//! ([`write_during_sync`]), a comparison, `CLIENT KILL TYPE replica` on the
//! master, more writes, a partial resync (INFO stats `sync_partial_ok`,
//! the replica's log) and a second comparison.
//!
//! # Catching up and comparing
//!
//! [`wait_synced`] polls INFO replication until every replica has
//! `master_link_status:up` and the master's `master_repl_offset` (in a
//! chain every node counts the same stream, so the offset is the same on
//! all of them). [`assert_same_data`] compares two nodes: the keys of every
//! database (SCAN), and per key TYPE, PEXPIRETIME and DEBUG DIGEST-VALUE;
//! for streams also the consumer groups, consumers and pending entries
//! (DEBUG DIGEST-VALUE covers only the entries); then the function
//! libraries and the whole-dataset DEBUG DIGEST.

use super::{Conn, Resp, ServerProc, call, call_ok, info_field, parse_resp, s};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// How long [`wait_synced`] and the other waits give the servers.
pub const SYNC_TIMEOUT: Duration = Duration::from_secs(30);

/// Arguments every node gets: DEBUG (DIGEST, DIGEST-VALUE) allowed, and
/// diskless syncs that start at once instead of after Redis's default 5 s.
pub const NODE_ARGS: &[&str] = &[
    "--enable-debug-command",
    "yes",
    "--repl-diskless-sync-delay",
    "0",
];

/// Which server a node runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The binary under test (rustredis, or `RUSTREDIS_BIN`).
    Rust,
    /// The reference redis-server 7.0.
    Redis,
}

/// A running server of a [`Kind`] with a connection to it.
pub struct Node {
    pub kind: Kind,
    pub sp: ServerProc,
    pub c: Conn,
    /// The port its replicas connect to: its TCP port, or its TLS port
    /// for a node made by [`Node::start_tls`].
    pub repl_port: u16,
}

impl Node {
    /// Starts a node of `kind` with [`NODE_ARGS`] then `extra`. `None` when
    /// `kind` is `Redis` and the oracle is missing (not under `CI=true`).
    pub fn start(kind: Kind, extra: &[&str]) -> Option<Node> {
        let mut args: Vec<&str> = NODE_ARGS.to_vec();
        args.extend_from_slice(extra);
        let sp = match kind {
            Kind::Rust => ServerProc::start(&args),
            Kind::Redis => ServerProc::start_oracle(&args)?,
        };
        let c = sp.conn();
        let repl_port = sp.port;
        Some(Node {
            kind,
            sp,
            c,
            repl_port,
        })
    }

    /// Starts a node of `kind` (as [`Node::start`]) that also listens on a
    /// TLS port with `certs`' server certificate, requires client
    /// certificates there, and replicates over TLS (`tls-replication`,
    /// presenting `certs`' client certificate). Its replicas connect to the
    /// TLS port; the test's own connection stays on TCP.
    pub fn start_tls(kind: Kind, certs: &super::TestCerts, extra: &[&str]) -> Option<Node> {
        let tls_port = super::free_port();
        let p = |p: &std::path::PathBuf| p.to_string_lossy().into_owned();
        let mut args = certs.server_args(tls_port);
        args.extend(
            [
                "--tls-auth-clients",
                "yes",
                "--tls-replication",
                "yes",
                "--tls-client-cert-file",
                &p(&certs.client_crt),
                "--tls-client-key-file",
                &p(&certs.client_key),
            ]
            .map(String::from),
        );
        args.extend(extra.iter().map(|a| a.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut node = Node::start(kind, &refs)?;
        node.repl_port = tls_port;
        Some(node)
    }

    /// The port, as a string for REPLICAOF.
    pub fn port_s(&self) -> String {
        self.sp.port.to_string()
    }

    /// A label for messages: `rust:PORT` or `redis:PORT`.
    pub fn label(&self) -> String {
        let k = match self.kind {
            Kind::Rust => "rust",
            Kind::Redis => "redis",
        };
        format!("{k}:{}", self.sp.port)
    }

    /// `REPLICAOF 127.0.0.1 <master's repl_port>`, which must answer `+OK`.
    pub fn replicaof(&mut self, master: &Node) {
        let port = master.repl_port.to_string();
        let r = self.c.cmd(&[b"REPLICAOF", b"127.0.0.1", port.as_bytes()]);
        assert_eq!(s(r), "+OK\r\n", "REPLICAOF on {}", self.label());
    }

    /// The text of `INFO <section>`.
    pub fn info(&mut self, section: &str) -> String {
        s(self.c.cmd(&[b"INFO", section.as_bytes()]))
    }

    /// One INFO field of `section`, panicking when it is absent.
    pub fn info_field(&mut self, section: &str, field: &str) -> String {
        let info = self.info(section);
        info_field(&info, field)
            .unwrap_or_else(|| panic!("{}: no {field} in INFO {section}:\n{info}", self.label()))
    }

    /// An integer INFO field of `section`.
    pub fn info_int(&mut self, section: &str, field: &str) -> i64 {
        let v = self.info_field(section, field);
        v.parse()
            .unwrap_or_else(|_| panic!("{}: {field}:{v} is not an integer", self.label()))
    }

    /// True while a BGSAVE (for a sync or not) runs on this node.
    pub fn bgsave_in_progress(&mut self) -> bool {
        self.info_field("persistence", "rdb_bgsave_in_progress") == "1"
    }

    /// Waits until the log holds `needle`; panics with the log after
    /// [`SYNC_TIMEOUT`].
    pub fn wait_log(&self, needle: &str) {
        let deadline = Instant::now() + SYNC_TIMEOUT;
        while !self.sp.log().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "{}: the log never said {needle:?}:\n{}",
                self.label(),
                self.sp.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

// ---- Replies ----

/// The bytes of a bulk or status reply.
pub fn bulk(r: Resp) -> Vec<u8> {
    match r {
        Resp::Bulk(Some(b)) => b,
        Resp::Simple(s) => s.into_bytes(),
        other => panic!("bulk expected, got {other:?}"),
    }
}

/// A bulk or status reply as text.
pub fn text(r: Resp) -> String {
    String::from_utf8_lossy(&bulk(r)).into_owned()
}

/// An integer reply.
pub fn int(r: Resp) -> i64 {
    match r {
        Resp::Int(i) => i,
        other => panic!("integer expected, got {other:?}"),
    }
}

/// The elements of an array reply.
pub fn array(r: Resp) -> Vec<Resp> {
    match r {
        Resp::Array(Some(v)) => v,
        other => panic!("array expected, got {other:?}"),
    }
}

/// Sends every command of `cmds` at once, then reads their replies in order.
pub fn pipeline(c: &mut Conn, cmds: &[Vec<Vec<u8>>]) -> Vec<Resp> {
    let mut out = Vec::new();
    for cmd in cmds {
        let refs: Vec<&[u8]> = cmd.iter().map(|a| a.as_slice()).collect();
        out.extend_from_slice(&super::encode_command(&refs));
    }
    c.send_raw(&out);
    cmds.iter()
        .map(|_| parse_resp(&c.read_reply(), &mut 0))
        .collect()
}

/// A command from its words.
fn words(parts: &[&[u8]]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.to_vec()).collect()
}

// ---- The writer ----

/// Databases the writer uses.
pub const DBS: [u8; 3] = [0, 1, 9];

/// A far-future absolute expire time (unix ms).
const FAR_MS: &str = "4102444800123";

/// Lifetime of the writer's short-lived keys, in ms.
pub const SHORT_TTL_MS: u64 = 200;

/// Keys the writer gave a [`SHORT_TTL_MS`] lifetime: (database, key).
pub type ShortKeys = Vec<(u8, Vec<u8>)>;

/// Runs `args` on `c`; panics with the command on an error reply.
fn w(c: &mut Conn, args: &[&[u8]]) -> Resp {
    call_ok(c, args)
}

/// Runs a command of space-separated words (no quoting) on `c`.
fn ws(c: &mut Conn, line: &str) -> Resp {
    let args: Vec<&[u8]> = line.split(' ').map(|a| a.as_bytes()).collect();
    call_ok(c, &args)
}

/// Runs `head` followed by the arguments of `rest`.
fn wv(c: &mut Conn, head: &[&str], rest: &[String]) -> Resp {
    let mut args: Vec<&[u8]> = head.iter().map(|h| h.as_bytes()).collect();
    args.extend(rest.iter().map(|a| a.as_bytes()));
    call_ok(c, &args)
}

/// `n` bytes of a pseudo-random sequence from `seed` (incompressible).
pub fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut rng = super::Rng::new(seed);
    (0..n).map(|_| rng.next() as u8).collect()
}

/// The function library of `tag`: one function, `f_<tag>`, that INCRs its
/// key and appends its argument to a list.
fn library(tag: &str) -> String {
    format!(
        "#!lua name=lib_{tag}\n\
         redis.register_function('f_{tag}', function(keys, args)\n\
           redis.call('rpush', keys[2], args[1])\n\
           return redis.call('incr', keys[1])\n\
         end)"
    )
}

/// One round of writes of every type (see the module docs) under `tag`, in
/// each of [`DBS`]; round 0 of a tag creates its big values and its
/// function library, later rounds change them. Returns the short-lived
/// keys it made. Leaves the connection on database 0.
pub fn write_every_type(c: &mut Conn, tag: &str, round: u64) -> ShortKeys {
    let mut short = ShortKeys::new();
    let r = round;
    if r == 0 {
        let lib = library(tag);
        w(c, &[b"FUNCTION", b"LOAD", lib.as_bytes()]);
    }
    for db in DBS {
        ws(c, &format!("SELECT {db}"));
        let p = format!("{tag}:{db}:");
        let seed = r * 131 + db as u64;

        // Strings: int, embstr, raw; in-place changes.
        ws(c, &format!("SET {p}s:int {}", 1000 + r));
        ws(c, &format!("INCRBY {p}s:int {}", 7 + r));
        ws(c, &format!("SET {p}s:emb hello-{r}"));
        w(
            c,
            &[b"SET", format!("{p}s:raw").as_bytes(), &noise(seed, 80)],
        );
        ws(c, &format!("APPEND {p}s:raw -appended-{r}"));
        ws(c, &format!("SETRANGE {p}s:raw 3 XYZ{r}"));
        ws(c, &format!("INCRBYFLOAT {p}s:float 1.25"));
        ws(c, &format!("SETNX {p}s:nx first-{r}"));
        ws(c, &format!("MSET {p}s:m1 a{r} {p}s:m2 b{r} {p}s:m3 {r}"));
        ws(c, &format!("DEL {p}s:m2"));
        ws(c, &format!("INCR {p}s:counter"));
        if r == 0 {
            w(
                c,
                &[b"SET", format!("{p}s:big").as_bytes(), &noise(seed, 20_000)],
            );
        }

        // Lists: one listpack node; a quicklist of many nodes.
        ws(c, &format!("RPUSH {p}l:small a{r} b{r} {r} -{r} c{r}"));
        ws(c, &format!("LPUSH {p}l:small head{r}"));
        ws(c, &format!("LINSERT {p}l:small BEFORE c{r} ins{r}"));
        ws(c, &format!("LSET {p}l:small 0 set{r}"));
        ws(c, &format!("LMOVE {p}l:small {p}l:moved LEFT RIGHT"));
        let n = if r == 0 { 1500 } else { 40 };
        let elems: Vec<String> = (0..n)
            .map(|i| format!("element-{r}-{i}-{}", i * 7919))
            .collect();
        wv(c, &["RPUSH", &format!("{p}l:big")], &elems);
        ws(c, &format!("LPOP {p}l:big 3"));
        ws(c, &format!("RPOP {p}l:big"));
        ws(c, &format!("LTRIM {p}l:big 1 -2"));

        // Hashes: listpack; hashtable by count and by value size.
        ws(c, &format!("HSET {p}h:lp f1 v{r} f2 {r} f3 x"));
        ws(c, &format!("HINCRBY {p}h:lp f2 5"));
        ws(c, &format!("HINCRBYFLOAT {p}h:lp fl 0.5"));
        ws(c, &format!("HDEL {p}h:lp f3"));
        ws(c, &format!("HSETNX {p}h:lp nx {r}"));
        let n = if r == 0 { 300 } else { 20 };
        let pairs: Vec<String> = (0..n)
            .flat_map(|i| [format!("field:{r}:{i}"), format!("{}", i * 31 + r as usize)])
            .collect();
        wv(c, &["HSET", &format!("{p}h:ht")], &pairs);
        ws(c, &format!("HDEL {p}h:ht field:{r}:0"));
        w(
            c,
            &[
                b"HSET",
                format!("{p}h:bigval").as_bytes(),
                b"big",
                &noise(seed + 1, 200),
                b"n",
                r.to_string().as_bytes(),
            ],
        );

        // Sets: intset; hashtable by strings and by count.
        ws(c, &format!("SADD {p}set:int 1 2 3 {} -{r} 70000", 100 + r));
        ws(c, &format!("SREM {p}set:int 2"));
        ws(c, &format!("SADD {p}set:str a{r} b{r} c"));
        let n = if r == 0 { 600 } else { 30 };
        let members: Vec<String> = (0..n).map(|i| format!("m{r}:{i}")).collect();
        wv(c, &["SADD", &format!("{p}set:big")], &members);
        ws(c, &format!("SPOP {p}set:big 2"));
        ws(c, &format!("SMOVE {p}set:str {p}set:moved c"));
        ws(c, &format!("SADD {p}set:other a{r} zz"));
        ws(
            c,
            &format!("SINTERSTORE {p}set:inter {p}set:str {p}set:other"),
        );

        // Sorted sets: listpack; skiplist.
        ws(
            c,
            &format!("ZADD {p}z:lp 1 a 2.5 b{r} -inf c +inf d {r} e{r}"),
        );
        ws(c, &format!("ZINCRBY {p}z:lp 1.5 a"));
        let n = if r == 0 { 300 } else { 20 };
        let pairs: Vec<String> = (0..n)
            .flat_map(|i| {
                [
                    format!("{}", i as f64 * 1.5 - 7.0),
                    format!("member:{r}:{i}"),
                ]
            })
            .collect();
        wv(c, &["ZADD", &format!("{p}z:sl")], &pairs);
        ws(c, &format!("ZPOPMIN {p}z:sl"));
        ws(c, &format!("ZREMRANGEBYRANK {p}z:sl 0 1"));
        ws(
            c,
            &format!("ZUNIONSTORE {p}z:union 2 {p}z:lp {p}z:sl WEIGHTS 2 1"),
        );

        // A stream with consumer groups.
        let x = format!("{p}x");
        let mut first_id = Vec::new();
        for i in 0..6 {
            let id = bulk(ws(c, &format!("XADD {x} * field {i} round {r}")));
            if i == 0 {
                first_id = id;
            }
        }
        ws(c, &format!("XADD {x}:explicit {}-1 f v{r}", r + 1));
        ws(c, &format!("XGROUP CREATE {x} g{r} 0"));
        ws(
            c,
            &format!("XREADGROUP GROUP g{r} alice COUNT 4 STREAMS {x} >"),
        );
        w(
            c,
            &[b"XACK", x.as_bytes(), format!("g{r}").as_bytes(), &first_id],
        );
        ws(c, &format!("XAUTOCLAIM {x} g{r} bob 0 0-0 COUNT 1"));
        ws(c, &format!("XGROUP CREATECONSUMER {x} g{r} carol"));
        w(c, &[b"XDEL", x.as_bytes(), &first_id]);
        ws(c, &format!("XTRIM {x} MAXLEN 40"));

        // HyperLogLogs: sparse; dense; PFCOUNT updates the cached count.
        let elems: Vec<String> = (0..5).map(|i| format!("e{r}:{i}")).collect();
        wv(c, &["PFADD", &format!("{p}hll")], &elems);
        ws(c, &format!("PFCOUNT {p}hll"));
        let n = if r == 0 { 3000 } else { 50 };
        let elems: Vec<String> = (0..n).map(|i| format!("d{r}:{i}")).collect();
        wv(c, &["PFADD", &format!("{p}hll:dense")], &elems);
        ws(c, &format!("PFMERGE {p}hll:merged {p}hll {p}hll:dense"));

        // Bitmaps.
        ws(c, &format!("SETBIT {p}bm {} 1", 7 + r * 13));
        ws(c, &format!("SETBIT {p}bm {} 1", 1000 + r));
        ws(
            c,
            &format!(
                "BITFIELD {p}bf SET u8 0 255 INCRBY i5 100 {} OVERFLOW SAT INCRBY u4 20 9",
                r + 1
            ),
        );
        ws(c, &format!("BITOP OR {p}bm:or {p}bm {p}bf"));

        // Geo.
        ws(
            c,
            &format!(
                "GEOADD {p}geo 13.361389 38.115556 Palermo 15.087269 37.502669 Catania {} 40.1 p{r}",
                12.0 + r as f64 * 0.01
            ),
        );
        ws(
            c,
            &format!(
                "GEOSEARCHSTORE {p}geo:near {p}geo FROMLONLAT 15 37 BYRADIUS 200 km ASC STOREDIST"
            ),
        );

        // TTLs: relative, absolute, SET EX, GETEX, PERSIST; short-lived keys.
        ws(c, &format!("SET {p}t:ex v{r} EX 100000"));
        ws(c, &format!("EXPIRE {p}h:lp 200000"));
        ws(c, &format!("PEXPIREAT {p}l:small {FAR_MS}"));
        ws(c, &format!("GETEX {p}s:emb PX 300000"));
        ws(c, &format!("SET {p}t:persist v EX 1000"));
        ws(c, &format!("PERSIST {p}t:persist"));
        ws(c, &format!("EXPIRE {p}z:sl 300000 NX"));
        let sk = format!("{p}t:short:{r}");
        ws(c, &format!("SET {sk} v PX {SHORT_TTL_MS}"));
        short.push((db, sk.into_bytes()));
        let sk = format!("{p}t:short-list:{r}");
        ws(c, &format!("RPUSH {sk} a b"));
        ws(c, &format!("PEXPIRE {sk} {SHORT_TTL_MS}"));
        short.push((db, sk.into_bytes()));

        // Transactions, scripts, functions.
        ws(c, "MULTI");
        ws(c, &format!("INCR {p}tx:a"));
        ws(c, &format!("RPUSH {p}tx:l x{r}"));
        ws(c, &format!("SADD {p}tx:s {r}"));
        ws(c, "EXEC");
        w(
            c,
            &[
                b"EVAL",
                b"redis.call('set', KEYS[1], ARGV[1]); return redis.call('incr', KEYS[2])",
                b"2",
                format!("{p}lua:a").as_bytes(),
                format!("{p}lua:b").as_bytes(),
                format!("v{r}").as_bytes(),
            ],
        );
        ws(c, &format!("FCALL f_{tag} 2 {p}fc:n {p}fc:l a{r}"));

        // Keyspace commands.
        ws(c, &format!("SET {p}ren:a {r}"));
        ws(c, &format!("RENAME {p}ren:a {p}ren:b"));
        ws(c, &format!("COPY {p}h:lp {p}h:copy REPLACE"));
        ws(c, &format!("SET {p}mv:{r} moved"));
        ws(c, &format!("MOVE {p}mv:{r} 2"));
        ws(c, &format!("UNLINK {p}s:m3"));
    }
    ws(c, "SELECT 0");
    short
}

/// Fills `c` with `n` plain string keys (`pad:N`, 100 per MSET), so that
/// a sync saving with `rdb-key-save-delay` lasts long enough to write
/// during it.
pub fn pad(c: &mut Conn, n: usize) {
    let mut i = 0;
    while i < n {
        let chunk: Vec<String> = (i..n.min(i + 100))
            .flat_map(|k| [format!("pad:{k}"), format!("value-{k}-{}", k * 7919 % 1000)])
            .collect();
        wv(c, &["MSET"], &chunk);
        i += 100;
    }
}

/// Waits until every short-lived key of `short` has expired, then touches
/// each on the master (EXISTS), which deletes it there and propagates a
/// DEL to the replicas; each must be gone.
pub fn expire_short_keys(master: &mut Conn, short: &ShortKeys) {
    std::thread::sleep(Duration::from_millis(SHORT_TTL_MS + 50));
    for (db, key) in short {
        ws(master, &format!("SELECT {db}"));
        assert_eq!(
            call(master, &[b"EXISTS", key]),
            Resp::Int(0),
            "short-lived key {:?} still exists on the master",
            String::from_utf8_lossy(key)
        );
    }
    ws(master, "SELECT 0");
}

// ---- Catching up ----

/// Waits until each replica has `master_link_status:up` and the same
/// `master_repl_offset` as `master` (INFO replication); panics with both
/// INFO texts after [`SYNC_TIMEOUT`].
pub fn wait_synced(master: &mut Node, replicas: &mut [&mut Node]) {
    let deadline = Instant::now() + SYNC_TIMEOUT;
    loop {
        let m_info = master.info("replication");
        let m_off = info_field(&m_info, "master_repl_offset");
        let mut lagging = None;
        for r in replicas.iter_mut() {
            let r_info = r.info("replication");
            let up = info_field(&r_info, "master_link_status").as_deref() == Some("up");
            let off = info_field(&r_info, "master_repl_offset");
            if !up || off.is_none() || off != m_off {
                lagging = Some((r.label(), r_info));
                break;
            }
        }
        let Some((label, r_info)) = lagging else {
            return;
        };
        assert!(
            Instant::now() < deadline,
            "replica {label} did not catch up with {} within {SYNC_TIMEOUT:?}\n\
             --- master INFO replication ---\n{m_info}\n--- replica INFO replication ---\n{r_info}\n\
             --- master log ---\n{}\n--- replica log ---\n{}",
            master.label(),
            master.sp.log(),
            replicas
                .iter()
                .find(|r| r.label() == label)
                .map(|r| r.sp.log())
                .unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until `master` has started a BGSAVE (for a replica's sync).
pub fn wait_bgsave_started(master: &mut Node) {
    let deadline = Instant::now() + SYNC_TIMEOUT;
    while !master.bgsave_in_progress() {
        assert!(
            Instant::now() < deadline,
            "{}: no BGSAVE started for the replica's sync\n{}",
            master.label(),
            master.sp.log()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

// ---- Comparing keyspaces ----

/// The sorted keys of the database `c` has selected (SCAN to the end).
fn scan_keys(c: &mut Conn) -> Vec<Vec<u8>> {
    let mut cursor = b"0".to_vec();
    let mut keys = BTreeSet::new();
    loop {
        let mut reply = array(call_ok(c, &[b"SCAN", &cursor, b"COUNT", b"1000"]));
        let batch = array(reply.pop().expect("SCAN keys"));
        cursor = bulk(reply.pop().expect("SCAN cursor"));
        keys.extend(batch.into_iter().map(bulk));
        if cursor == b"0" {
            return keys.into_iter().collect();
        }
    }
}

/// A reply rendered for comparison; `skip` names map fields (in RESP2
/// flat name/value arrays) whose values vary by time or process and are
/// replaced by `*`.
fn render(r: &Resp, skip: &[&str]) -> String {
    match r {
        Resp::Simple(t) => format!("+{t}"),
        Resp::Error(e) => format!("-{e}"),
        Resp::Int(i) => format!(":{i}"),
        Resp::Bulk(None) | Resp::Array(None) => "nil".to_string(),
        Resp::Bulk(Some(b)) => format!("{:?}", String::from_utf8_lossy(b)),
        Resp::Array(Some(v)) => {
            let mut out = Vec::new();
            let mut i = 0;
            while i < v.len() {
                let name = match &v[i] {
                    Resp::Bulk(Some(b)) => Some(String::from_utf8_lossy(b).into_owned()),
                    _ => None,
                };
                if let Some(n) = name.filter(|n| skip.contains(&n.as_str()))
                    && i + 1 < v.len()
                {
                    out.push(format!("{n:?} *"));
                    i += 2;
                    continue;
                }
                out.push(render(&v[i], skip));
                i += 1;
            }
            format!("[{}]", out.join(", "))
        }
    }
}

/// What DEBUG DIGEST-VALUE leaves out of a stream: its metadata, its
/// consumer groups, their consumers and pending entries. Left out: idle
/// times (they vary by time), the radix tree's shape (it varies by how
/// the stream was built) and the groups' read counters (see below).
fn stream_state(c: &mut Conn, key: &[u8]) -> Vec<String> {
    let info = call_ok(c, &[b"XINFO", b"STREAM", key]);
    let mut out = vec![render(
        &info,
        &[
            "radix-tree-keys",
            "radix-tree-nodes",
            "first-entry",
            "last-entry",
        ],
    )];
    for g in array(call_ok(c, &[b"XINFO", b"GROUPS", key])) {
        // Redis 7.0 does not replicate a group's read counter: XREADGROUP
        // reaches replicas as XCLAIM + XGROUP SETID without ENTRIESREAD,
        // so `entries-read` (and `lag`, made from it) differ on replicas.
        let g_text = render(&g, &["entries-read", "lag"]);
        let fields = array(g);
        let name = fields
            .iter()
            .position(|f| matches!(f, Resp::Bulk(Some(b)) if b == b"name"))
            .map(|i| bulk(fields[i + 1].clone()))
            .expect("group name");
        out.push(format!("group {g_text}"));
        let consumers = call_ok(c, &[b"XINFO", b"CONSUMERS", key, &name]);
        out.push(format!(
            "consumers {}",
            render(&consumers, &["seen-time", "idle", "inactive"])
        ));
        // Extended XPENDING: id, consumer, idle ms, delivery count.
        for p in array(call_ok(c, &[b"XPENDING", key, &name, b"-", b"+", b"1000"])) {
            let mut e = array(p);
            e[2] = Resp::Int(0);
            out.push(format!("pending {}", render(&Resp::Array(Some(e)), &[])));
        }
    }
    out
}

/// The function libraries of `c` as (name, code), sorted.
fn libraries(c: &mut Conn) -> Vec<(String, String)> {
    let mut libs: Vec<(String, String)> = array(call_ok(c, &[b"FUNCTION", b"LIST", b"WITHCODE"]))
        .into_iter()
        .map(|lib| {
            let f = array(lib);
            let field = |name: &[u8]| {
                f.iter()
                    .position(|x| matches!(x, Resp::Bulk(Some(b)) if b == name))
                    .map(|i| text(f[i + 1].clone()))
                    .unwrap_or_else(|| {
                        panic!("library without {:?}", String::from_utf8_lossy(name))
                    })
            };
            (field(b"library_name"), field(b"library_code"))
        })
        .collect();
    libs.sort();
    libs
}

/// Per key of the selected database: a line with its type, PEXPIRETIME
/// and DEBUG DIGEST-VALUE, and for a stream more lines from
/// [`stream_state`].
fn key_states(c: &mut Conn, keys: &[Vec<u8>]) -> Vec<Vec<String>> {
    let mut cmds = Vec::new();
    for k in keys {
        cmds.push(words(&[b"TYPE", k]));
        cmds.push(words(&[b"PEXPIRETIME", k]));
        cmds.push(words(&[b"DEBUG", b"DIGEST-VALUE", k]));
    }
    let replies = pipeline(c, &cmds);
    let mut out = Vec::new();
    for (k, r) in keys.iter().zip(replies.chunks(3)) {
        let kind = text(r[0].clone());
        let mut lines = vec![format!(
            "{:?} {kind} expire={} digest={}",
            String::from_utf8_lossy(k),
            render(&r[1], &[]),
            render(&r[2], &[])
        )];
        if kind == "stream" {
            lines.extend(stream_state(c, k));
        }
        out.push(lines);
    }
    out
}

/// Asserts that `a` and `b` hold the same data: the same keys in every
/// database, each with the same type, PEXPIRETIME, DEBUG DIGEST-VALUE
/// (and stream groups), the same function libraries and the same DEBUG
/// DIGEST. `what` names the comparison in messages. Both connections end
/// on database 0.
pub fn assert_same_data(a: &mut Node, b: &mut Node, what: &str) {
    let (la, lb) = (a.label(), b.label());
    let mut total = 0;
    for db in 0..16u8 {
        let sel = format!("SELECT {db}");
        ws(&mut a.c, &sel);
        ws(&mut b.c, &sel);
        let ka = scan_keys(&mut a.c);
        let kb = scan_keys(&mut b.c);
        if ka != kb {
            let sa: BTreeSet<_> = ka.iter().collect();
            let sb: BTreeSet<_> = kb.iter().collect();
            let only = |x: &BTreeSet<&Vec<u8>>, y: &BTreeSet<&Vec<u8>>| {
                x.difference(y)
                    .take(10)
                    .map(|k| String::from_utf8_lossy(k).into_owned())
                    .collect::<Vec<_>>()
            };
            panic!(
                "{what}: db {db} has {} keys on {la} and {} on {lb}; only on {la}: {:?}; only on {lb}: {:?}",
                ka.len(),
                kb.len(),
                only(&sa, &sb),
                only(&sb, &sa)
            );
        }
        total += ka.len();
        for chunk in ka.chunks(200) {
            let sa = key_states(&mut a.c, chunk);
            let sb = key_states(&mut b.c, chunk);
            for (x, y) in sa.iter().zip(sb.iter()) {
                if x == y {
                    continue;
                }
                let at = x
                    .iter()
                    .zip(y.iter())
                    .position(|(l, r)| l != r)
                    .unwrap_or(0);
                panic!(
                    "{what}: db {db}: {la} and {lb} differ at line {at} of key {}:\n  {la}: {}\n  {lb}: {}",
                    x[0],
                    x.get(at).map(String::as_str).unwrap_or("(none)"),
                    y.get(at).map(String::as_str).unwrap_or("(none)")
                );
            }
        }
    }
    ws(&mut a.c, "SELECT 0");
    ws(&mut b.c, "SELECT 0");
    assert!(total > 0, "{what}: no keys at all");
    assert_eq!(
        libraries(&mut a.c),
        libraries(&mut b.c),
        "{what}: function libraries differ"
    );
    let da = text(ws(&mut a.c, "DEBUG DIGEST"));
    let db = text(ws(&mut b.c, "DEBUG DIGEST"));
    if da != db {
        panic!(
            "{what}: DEBUG DIGEST of {la} is {da} and of {lb} {db}, though every key matched\n\
             --- {la} INFO keyspace ---\n{}\n--- {lb} INFO keyspace ---\n{}\n\
             --- {la} INFO replication ---\n{}\n--- {lb} INFO replication ---\n{}",
            a.info("keyspace"),
            b.info("keyspace"),
            a.info("replication"),
            b.info("replication")
        );
    }
}

// ---- The sync scenario ----

/// Microseconds the master sleeps per key while saving for a sync.
pub const KEY_SAVE_DELAY: &str = "1000";

/// Plain keys added before the sync so that, with [`KEY_SAVE_DELAY`], the
/// save lasts well over a second.
pub const PAD_KEYS: usize = 1200;

/// At most this many write rounds during one sync.
pub const MAX_ROUNDS: u64 = 12;

/// The pause between two write rounds.
pub const ROUND_PAUSE: Duration = Duration::from_millis(100);

/// Runs write rounds on `master` while its sync BGSAVE runs (at least
/// `min_rounds`, at most [`MAX_ROUNDS`], [`ROUND_PAUSE`] apart); the first
/// round must end before the save does, or the test would not write
/// during the sync.
pub fn write_during_sync(master: &mut Node, tag: &str, min_rounds: u64) -> ShortKeys {
    wait_bgsave_started(master);
    let mut short = write_every_type(&mut master.c, tag, 0);
    assert!(
        master.bgsave_in_progress(),
        "{}: the sync's BGSAVE ended before the first round of writes did; \
         raise PAD_KEYS or KEY_SAVE_DELAY",
        master.label()
    );
    let mut round = 1;
    while round < MAX_ROUNDS && (round < min_rounds || master.bgsave_in_progress()) {
        std::thread::sleep(ROUND_PAUSE);
        short.extend(write_every_type(&mut master.c, tag, round));
        round += 1;
    }
    short
}

/// The master's INFO stats `sync_full` and `sync_partial_ok`.
pub fn sync_counts(master: &mut Node) -> (i64, i64) {
    (
        master.info_int("stats", "sync_full"),
        master.info_int("stats", "sync_partial_ok"),
    )
}

/// Topologies 1 and 2: `master_kind` master, `replica_kind` replica; full
/// sync (`diskless` or to disk), writes during it, compare; then the master
/// drops the replica, writes go on, the replica comes back with a partial
/// resync, compare again.
pub fn full_then_partial(master_kind: Kind, replica_kind: Kind, diskless: bool) {
    full_then_partial_over(master_kind, replica_kind, diskless, None);
}

/// [`full_then_partial`] over TCP, or over TLS with `tls` (both nodes made
/// by [`Node::start_tls`]: the link, the RDB transfer and the stream are
/// encrypted).
pub fn full_then_partial_over(
    master_kind: Kind,
    replica_kind: Kind,
    diskless: bool,
    tls: Option<&super::TestCerts>,
) {
    let start = |kind: Kind, args: &[&str]| match tls {
        Some(certs) => Node::start_tls(kind, certs, args),
        None => Node::start(kind, args),
    };
    let mode = if diskless { "yes" } else { "no" };
    let Some(mut m) = start(
        master_kind,
        &[
            "--repl-diskless-sync",
            mode,
            "--rdb-key-save-delay",
            KEY_SAVE_DELAY,
        ],
    ) else {
        return;
    };
    // A diskless sync is also loaded straight from the socket.
    let load = if diskless { "swapdb" } else { "disabled" };
    let Some(mut r) = start(replica_kind, &["--repl-diskless-load", load]) else {
        return;
    };

    let pre = write_every_type(&mut m.c, "pre", 0);
    expire_short_keys(&mut m.c, &pre);
    pad(&mut m.c, PAD_KEYS);
    r.replicaof(&m);
    let short = write_during_sync(&mut m, "during", 3);
    expire_short_keys(&mut m.c, &short);
    wait_synced(&mut m, &mut [&mut r]);
    assert_same_data(&mut m, &mut r, "after the full sync");

    let target = if diskless {
        "Starting BGSAVE for SYNC with target: replicas sockets"
    } else {
        "Starting BGSAVE for SYNC with target: disk"
    };
    let log = m.sp.log();
    assert!(
        log.contains(target),
        "{}: {target:?} not logged:\n{log}",
        m.label()
    );
    let (full, partial) = sync_counts(&mut m);
    assert_eq!(full, 1, "{}: sync_full", m.label());

    // The master drops the replica; writes go on; a partial resync follows.
    assert_eq!(
        s(m.c.cmd(&[b"CLIENT", b"KILL", b"TYPE", b"replica"])),
        ":1\r\n"
    );
    let mut short = ShortKeys::new();
    for round in 0..3 {
        short.extend(write_every_type(&mut m.c, "gap", round));
    }
    expire_short_keys(&mut m.c, &short);
    wait_synced(&mut m, &mut [&mut r]);
    assert_same_data(&mut m, &mut r, "after the partial resync");
    assert_eq!(
        sync_counts(&mut m),
        (full, partial + 1),
        "{}: (sync_full, sync_partial_ok) after the partial resync",
        m.label()
    );
    r.wait_log("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
}

/// Reads more bytes into `c.buf`, waiting up to `wait` for them; panics if
/// the peer closed the connection (a hand-driven master or replica link).
pub fn fill_buf(c: &mut Conn, wait: Duration) {
    use std::io::{ErrorKind, Read};
    let _ = c.stream.set_read_timeout(Some(wait));
    let mut chunk = [0u8; 65536];
    match c.stream.read(&mut chunk) {
        Ok(0) => panic!("connection closed; buffer: {}", super::escape(&c.buf)),
        Ok(n) => c.buf.extend_from_slice(&chunk[..n]),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        Err(e) => panic!("read: {e}"),
    }
}

/// Reads one CRLF-terminated line from a replication link, after any `\n`
/// keepalives a master sends while its BGSAVE runs; returns it without the
/// CRLF. Panics when none arrives within `timeout`.
pub fn read_repl_line(c: &mut Conn, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        while c.buf.first() == Some(&b'\n') {
            c.buf.remove(0);
        }
        if let Some(i) = c.buf.windows(2).position(|w| w == b"\r\n") {
            let l = String::from_utf8_lossy(&c.buf[..i]).into_owned();
            c.buf.drain(..i + 2);
            return l;
        }
        assert!(
            Instant::now() < deadline,
            "no line; got {}",
            super::escape(&c.buf)
        );
        fill_buf(c, Duration::from_millis(200));
    }
}
