//! maxmemory and eviction: which keys each policy evicts, the OOM errors
//! (plain commands, MULTI, EVAL, FCALL with and without `no-writes` /
//! `allow-oom`), the `evicted` keyspace event, DEL propagation of evicted
//! keys to the AOF, lazy eviction of big values, and the MEMORY
//! subcommands.
//!
//! One server runs every scenario in turn: each starts from FLUSHALL with
//! `maxmemory 0`, fills the keyspace, then sets `maxmemory` a little below
//! the memory in use so that the next writes must evict.

mod common;

use common::{Conn, ServerProc, encode_command, info_field, s};

const OOM: &str = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";

fn int(reply: Vec<u8>) -> i64 {
    let t = s(reply);
    assert!(t.starts_with(':'), "integer expected: {t:?}");
    t[1..t.len() - 2].parse().expect("integer")
}

fn info(c: &mut Conn, field: &str) -> String {
    let t = s(c.cmd(&[b"INFO", b"everything"]));
    info_field(&t, field).unwrap_or_else(|| panic!("no INFO field {field}"))
}

fn info_u64(c: &mut Conn, field: &str) -> u64 {
    info(c, field).parse().expect("numeric INFO field")
}

/// Sends the commands 20 at a time (so the query buffer stays small and
/// does not weigh on the eviction), reading the replies of each batch;
/// panics on an error reply unless `allow_err`.
fn pipeline(c: &mut Conn, cmds: &[Vec<Vec<u8>>], allow_err: bool) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for chunk in cmds.chunks(20) {
        let mut buf = Vec::new();
        for a in chunk {
            let refs: Vec<&[u8]> = a.iter().map(|x| x.as_slice()).collect();
            buf.extend(encode_command(&refs));
        }
        c.send_raw(&buf);
        for _ in chunk {
            let r = c.read_reply();
            assert!(allow_err || !r.starts_with(b"-"), "error: {}", s(r.clone()));
            out.push(r);
        }
    }
    out
}

fn args(v: &[&str]) -> Vec<Vec<u8>> {
    v.iter().map(|x| x.as_bytes().to_vec()).collect()
}

fn ok(c: &mut Conn, line: &str) {
    assert_eq!(s(c.cmd_str(line)), "+OK\r\n", "{line}");
}

/// FLUSHALL and a clean eviction setup under `policy`.
fn reset(c: &mut Conn, policy: &str) {
    ok(c, "CONFIG SET maxmemory 0");
    ok(c, "FLUSHALL");
    ok(c, &format!("CONFIG SET maxmemory-policy {policy}"));
    ok(c, "CONFIG SET maxmemory-samples 10");
    ok(c, "CONFIG SET lazyfree-lazy-eviction no");
    ok(c, "CONFIG RESETSTAT");
}

/// Sets maxmemory `below` bytes under the memory in use now.
fn limit_below_used(c: &mut Conn, below: u64) -> u64 {
    let used = info_u64(c, "used_memory");
    let limit = used - below;
    ok(c, &format!("CONFIG SET maxmemory {limit}"));
    limit
}

fn value() -> String {
    "v".repeat(200)
}

/// `n` keys `prefix:i`, each with a 200-byte value, volatile (TTL
/// `ttl_base + i` seconds) when `ttl_base` is given.
fn fill(c: &mut Conn, prefix: &str, n: usize, ttl_base: Option<u64>) {
    let v = value();
    let cmds: Vec<Vec<Vec<u8>>> = (0..n)
        .map(|i| {
            let k = format!("{prefix}:{i}");
            match ttl_base {
                Some(t) => args(&["SET", &k, &v, "EX", &(t + i as u64).to_string()]),
                None => args(&["SET", &k, &v]),
            }
        })
        .collect();
    pipeline(c, &cmds, false);
}

fn count_existing(c: &mut Conn, prefix: &str, range: std::ops::Range<usize>) -> usize {
    let cmds: Vec<Vec<Vec<u8>>> = range
        .map(|i| args(&["EXISTS", &format!("{prefix}:{i}")]))
        .collect();
    pipeline(c, &cmds, false)
        .into_iter()
        .filter(|r| r == b":1\r\n")
        .count()
}

/// Volatile policies never evict persistent keys, and do evict volatile ones.
fn volatile_policy_keeps_persistent_keys(c: &mut Conn, policy: &str) {
    reset(c, policy);
    fill(c, "p", 300, None);
    fill(c, "v", 300, Some(1000));
    limit_below_used(c, 20_000);
    // More volatile keys: room has to come from the volatile ones.
    fill(c, "w", 200, Some(5000));
    let evicted = info_u64(c, "evicted_keys");
    assert!(evicted >= 50, "{policy}: only {evicted} keys evicted");
    assert_eq!(
        count_existing(c, "p", 0..300),
        300,
        "{policy} evicted a persistent key"
    );
    let used = info_u64(c, "used_memory");
    let max = info_u64(c, "maxmemory");
    assert!(
        used <= max + 4096,
        "{policy}: used {used} over maxmemory {max}"
    );
}

#[test]
fn maxmemory_policies_oom_and_introspection() {
    // Per-command latency histograms (about 24 KiB each, freed by CONFIG
    // RESETSTAT and allocated again by a command's first call, as in Redis)
    // would be evicted for too; the checks below count keys only.
    let srv = ServerProc::start(&["--appendonly", "no", "--latency-tracking", "no"]);
    let mut c = srv.conn();

    // ---- volatile-* never touch persistent keys ----
    for policy in [
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        volatile_policy_keeps_persistent_keys(&mut c, policy);
    }

    // CONFIG SET below the memory in use warns as Redis does.
    assert!(
        srv.log()
            .contains("WARNING: the new maxmemory value set via CONFIG SET ("),
        "no maxmemory warning in the log"
    );

    // ---- volatile-ttl evicts the soonest expiries first ----
    reset(&mut c, "volatile-ttl");
    fill(&mut c, "t", 500, Some(1000)); // TTLs 1000..1499 s
    limit_below_used(&mut c, 20_000);
    fill(&mut c, "late", 100, Some(100_000));
    let evicted = info_u64(&mut c, "evicted_keys") as usize;
    assert!(evicted >= 50, "volatile-ttl evicted {evicted}");
    // The longest-lived fifth survives intact; the soonest fifth is mostly gone.
    assert_eq!(count_existing(&mut c, "t", 400..500), 100);
    assert!(count_existing(&mut c, "t", 0..100) < 50);
    assert_eq!(count_existing(&mut c, "late", 0..100), 100);

    // ---- allkeys-lfu keeps frequently used keys ----
    reset(&mut c, "allkeys-lfu");
    fill(&mut c, "f", 600, None);
    let hot: Vec<Vec<Vec<u8>>> = (0..50)
        .flat_map(|i| (0..100).map(move |_| args(&["GET", &format!("f:{i}")])))
        .collect();
    pipeline(&mut c, &hot, false);
    limit_below_used(&mut c, 30_000);
    fill(&mut c, "g", 300, None);
    assert!(info_u64(&mut c, "evicted_keys") >= 100);
    assert_eq!(
        count_existing(&mut c, "f", 0..50),
        50,
        "LFU evicted a hot key"
    );

    // ---- allkeys-lru keeps a recently used hot set ----
    reset(&mut c, "allkeys-lru");
    fill(&mut c, "l", 600, None);
    // The LRU clock ticks in seconds: let the cold keys age.
    std::thread::sleep(std::time::Duration::from_millis(2200));
    let touch: Vec<Vec<Vec<u8>>> = (0..50).map(|i| args(&["GET", &format!("l:{i}")])).collect();
    pipeline(&mut c, &touch, false);
    limit_below_used(&mut c, 30_000);
    fill(&mut c, "m", 300, None);
    assert!(info_u64(&mut c, "evicted_keys") >= 100);
    assert_eq!(
        count_existing(&mut c, "l", 0..50),
        50,
        "LRU evicted a hot key"
    );

    // ---- allkeys-random honours the limit ----
    reset(&mut c, "allkeys-random");
    fill(&mut c, "r", 300, None);
    let limit = limit_below_used(&mut c, 20_000);
    fill(&mut c, "s", 300, None);
    assert!(info_u64(&mut c, "evicted_keys") >= 100);
    assert!(info_u64(&mut c, "used_memory") <= limit + 4096);

    // ---- noeviction: OOM errors, exact bytes ----
    reset(&mut c, "noeviction");
    fill(&mut c, "n", 100, None);
    limit_below_used(&mut c, 10_000);
    assert_eq!(s(c.cmd_str("SET foo bar")), OOM);
    assert_eq!(s(c.cmd_str("GET n:1")).len(), 208, "reads still work");
    assert_eq!(int(c.cmd_str("DEL n:1")), 1, "DEL is not denyoom");
    assert_eq!(info_u64(&mut c, "evicted_keys"), 0);
    // Inside MULTI every queued command is refused, then EXEC aborts.
    ok(&mut c, "MULTI");
    assert_eq!(s(c.cmd_str("SET foo bar")), OOM);
    assert_eq!(s(c.cmd_str("GET foo")), OOM);
    assert_eq!(
        s(c.cmd_str("EXEC")),
        "-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    // EVAL without shebang: the script runs, its first write is refused.
    let r = s(c.cmd(&[b"EVAL", b"return redis.call('set','x','y')", b"0"]));
    assert!(
        r.starts_with("-OOM command not allowed when used memory > 'maxmemory'."),
        "{r:?}"
    );
    let r = s(c.cmd(&[b"EVAL", b"return redis.pcall('get','n:2')", b"0"]));
    assert_eq!(r.len(), 208, "read-only script runs: {r:?}");
    // With a shebang: EVAL is denyoom unless no-writes / allow-oom.
    assert_eq!(s(c.cmd(&[b"EVAL", b"#!lua\nreturn 1", b"0"])), OOM);
    assert_eq!(
        s(c.cmd(&[b"EVAL", b"#!lua flags=no-writes\nreturn 1", b"0"])),
        ":1\r\n"
    );
    assert_eq!(
        s(c.cmd(&[
            b"EVAL",
            b"#!lua flags=allow-oom\nreturn redis.call('set','x','y')",
            b"0"
        ])),
        "+OK\r\n"
    );
    assert_eq!(int(c.cmd_str("DEL x")), 1);
    // FCALL takes the function's flags (loaded while under the limit).
    ok(&mut c, "CONFIG SET maxmemory 0");
    let lib = b"#!lua name=oomlib\n\
        redis.register_function('w', function() return redis.call('set','y','1') end)\n\
        redis.register_function{function_name='ro', callback=function() return 2 end, flags={'no-writes'}}\n\
        redis.register_function{function_name='ao', callback=function() return redis.call('set','z','1') end, flags={'allow-oom'}}";
    assert_eq!(s(c.cmd(&[b"FUNCTION", b"LOAD", lib])), "$6\r\noomlib\r\n");
    limit_below_used(&mut c, 10_000);
    assert_eq!(s(c.cmd_str("FCALL w 0")), OOM);
    assert_eq!(s(c.cmd_str("FCALL ro 0")), ":2\r\n");
    assert_eq!(s(c.cmd_str("FCALL_RO ro 0")), ":2\r\n");
    assert_eq!(s(c.cmd_str("FCALL ao 0")), "+OK\r\n");
    // EXEC of a transaction queued before the limit is refused as a whole.
    ok(&mut c, "CONFIG SET maxmemory 0");
    ok(&mut c, "MULTI");
    assert_eq!(s(c.cmd_str("SET q 1")), "+QUEUED\r\n");
    // The other connection stays open: closing it would free its buffers
    // (a 16 KiB query buffer, as Redis gives every client) and bring the
    // used memory back under the limit.
    let _other = limit_below_used_other(&srv, 10_000);
    assert_eq!(
        s(c.cmd_str("EXEC")),
        format!("-EXECABORT Transaction discarded because of: {}", &OOM[1..])
    );
    ok(&mut c, "CONFIG SET maxmemory 0");
    ok(&mut c, "FUNCTION FLUSH");

    // ---- the `evicted` keyspace event ----
    reset(&mut c, "allkeys-random");
    ok(&mut c, "CONFIG SET notify-keyspace-events Ee");
    let mut sub = srv.conn();
    let r = s(sub.cmd_str("SUBSCRIBE __keyevent@0__:evicted"));
    assert!(r.starts_with("*3\r\n$9\r\nsubscribe\r\n"), "{r:?}");
    c.cmd_str("SET only one");
    fill(&mut c, "e", 50, None);
    evict_all(&mut c);
    let msg = s(sub.read_reply());
    assert!(
        msg.starts_with("*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:evicted\r\n$"),
        "{msg:?}"
    );
    assert_eq!(int(c.cmd_str("DBSIZE")), 0, "maxmemory 1 evicts everything");
    assert_eq!(info_u64(&mut c, "evicted_keys"), 51);
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"SET", b"notify-keyspace-events", b""])),
        "+OK\r\n"
    );
    drop(sub);

    // ---- lazyfree-lazy-eviction frees big values on the bio thread ----
    reset(&mut c, "allkeys-random");
    ok(&mut c, "CONFIG SET lazyfree-lazy-eviction yes");
    let members: Vec<String> = (0..200).map(|i| format!("member-{i}")).collect();
    let cmds: Vec<Vec<Vec<u8>>> = (0..20)
        .map(|k| {
            let mut a = vec![b"SADD".to_vec(), format!("big:{k}").into_bytes()];
            a.extend(members.iter().map(|m| m.as_bytes().to_vec()));
            a
        })
        .collect();
    pipeline(&mut c, &cmds, false);
    let before = info_u64(&mut c, "lazyfreed_objects");
    evict_all(&mut c);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while info_u64(&mut c, "lazyfreed_objects") < before + 20
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(info_u64(&mut c, "lazyfreed_objects"), before + 20);
    assert_eq!(info_u64(&mut c, "lazyfree_pending_objects"), 0);
    ok(&mut c, "CONFIG SET lazyfree-lazy-eviction no");

    // ---- evicted keys reach the AOF as DEL ----
    reset(&mut c, "allkeys-lru");
    ok(&mut c, "CONFIG SET appendonly yes");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while info(&mut c, "aof_rewrite_in_progress") != "0"
        || info(&mut c, "aof_rewrite_scheduled") != "0"
    {
        assert!(std::time::Instant::now() < deadline, "AOF rewrite stuck");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    c.cmd_str("SET aofkey 1");
    evict_all(&mut c);
    // With appendfsync everysec a write may wait (up to 2 s) for the
    // background fsync of the one before, so the file is polled.
    let aof_dir = srv.dir.join("appendonlydir");
    let read_incr = || {
        let mut incr = String::new();
        for e in std::fs::read_dir(&aof_dir).expect("appendonlydir") {
            let p = e.expect("dir entry").path();
            if p.to_string_lossy().ends_with(".incr.aof") {
                incr.push_str(&String::from_utf8_lossy(&std::fs::read(&p).expect("aof")));
            }
        }
        incr
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut incr = read_incr();
    while !incr.contains("*2\r\n$3\r\nDEL\r\n$6\r\naofkey\r\n")
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
        incr = read_incr();
    }
    assert!(
        incr.contains("*2\r\n$3\r\nDEL\r\n$6\r\naofkey\r\n"),
        "no DEL of the evicted key in the AOF: {incr:?}"
    );
    ok(&mut c, "CONFIG SET appendonly no");

    // ---- MEMORY subcommands and INFO ----
    reset(&mut c, "noeviction");
    fill(&mut c, "z", 10, None);
    let stats = c.cmd_str("MEMORY STATS");
    let text = s(stats);
    assert!(
        text.starts_with("*56\r\n$14\r\npeak.allocated\r\n:"),
        "{text:?}"
    );
    for field in [
        "total.allocated",
        "startup.allocated",
        "db.0",
        "overhead.hashtable.main",
        "keys.count\r\n:10\r\n",
        "dataset.percentage",
        "fragmentation.bytes",
    ] {
        assert!(text.contains(field), "MEMORY STATS lacks {field}");
    }
    let doctor = s(c.cmd_str("MEMORY DOCTOR"));
    assert!(doctor.contains("Hi Sam"), "{doctor:?}");
    assert_eq!(s(c.cmd_str("MEMORY PURGE")), "+OK\r\n");
    let malloc = s(c.cmd_str("MEMORY MALLOC-STATS"));
    assert!(malloc.contains("___ Begin jemalloc statistics ___"));
    let startup = info_u64(&mut c, "used_memory_startup");
    let used = info_u64(&mut c, "used_memory");
    assert!(
        startup > 0 && startup < used,
        "startup {startup} used {used}"
    );
    assert!(info_u64(&mut c, "used_memory_peak") >= used);
    assert_eq!(info(&mut c, "mem_not_counted_for_evict"), "0");
}

/// Sets `maxmemory 1`, waits until every key is evicted (by the eviction
/// time event and the commands' own eviction runs), then lifts the limit.
fn evict_all(c: &mut Conn) {
    ok(c, "CONFIG SET maxmemory 1");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while int(c.cmd_str("DBSIZE")) != 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "keys left after maxmemory 1"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    ok(c, "CONFIG SET maxmemory 0");
}

/// Sets maxmemory under the memory in use from another connection (the
/// first one is inside MULTI).
fn limit_below_used_other(srv: &ServerProc, below: u64) -> Conn {
    let mut o = srv.conn();
    limit_below_used(&mut o, below);
    o
}

/// Invalidation pushes to tracking clients do not feed eviction: after a
/// key is evicted, the memory its invalidations take in the clients' reply
/// buffers is written out and released, so a limit 40 KB under the memory
/// in use evicts a few dozen keys, not the database (Redis's eviction
/// feedback-loop case; redis-server evicts 37 keys here).
#[test]
fn tracking_invalidations_do_not_feed_eviction() {
    let srv = ServerProc::start(&["--appendonly", "no", "--latency-tracking", "no"]);
    let mut c = srv.conn();
    ok(&mut c, "CONFIG SET maxmemory-policy allkeys-lru");
    ok(&mut c, "CONFIG SET maxmemory-eviction-tenacity 100");
    let mut trackers: Vec<Conn> = (0..10).map(|_| srv.conn()).collect();
    for t in trackers.iter_mut() {
        t.cmd(&[b"HELLO", b"3"]);
        assert_eq!(s(t.cmd(&[b"CLIENT", b"TRACKING", b"on"])), "+OK\r\n");
    }
    for j in 0..300 {
        let key = format!("{j}{}", "x".repeat(1000));
        ok(&mut c, &format!("SET {key} x"));
        for t in trackers.iter_mut() {
            assert_eq!(s(t.cmd(&[b"GET", key.as_bytes()])), "$1\r\nx\r\n");
        }
    }
    // Let the cron trim the trackers' query buffers first, as Redis's test does.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let used = info_u64(&mut c, "used_memory");
    ok(&mut c, &format!("CONFIG SET maxmemory {}", used - 40_000));
    let evicted = info_u64(&mut c, "evicted_keys");
    let dbsize: u64 = s(c.cmd(&[b"DBSIZE"]))[1..].trim().parse().expect("DBSIZE");
    assert!((200..=300).contains(&dbsize), "dbsize {dbsize}");
    assert!((10..=50).contains(&evicted), "evicted {evicted}");
}

/// A diskless full sync gives back its pipe buffer as soon as the RDB has
/// been read, not when the child is reaped: with `hz 1` the reap can come
/// a second after the replica reports its link up, and `used_memory` must
/// not drop by the buffer's 64 KB in between (Redis's maxmemory test of
/// replica buffers measures across that moment). The baseline is taken
/// once the link is up and the master has read the pipe's end, which a
/// loaded machine may delay past the replica's link-up.
#[test]
fn diskless_sync_frees_its_pipe_buffer_at_eof() {
    let master = ServerProc::start(&[
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
        "--hz",
        "1",
        "--latency-tracking",
        "no",
    ]);
    let replica = ServerProc::start(&[]);
    let mut m = master.conn();
    let cmds: Vec<_> = (0..200)
        .map(|i| args(&["SET", &format!("k{i}"), &"v".repeat(4096)]))
        .collect();
    pipeline(&mut m, &cmds, false);
    let mut r = replica.conn();
    ok(&mut r, &format!("REPLICAOF 127.0.0.1 {}", master.port));
    let t = std::time::Instant::now();
    while !s(r.cmd_str("INFO replication")).contains("master_link_status:up") {
        assert!(t.elapsed() < std::time::Duration::from_secs(20), "no link");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    while !master
        .log()
        .contains("Diskless rdb transfer, done reading from pipe")
    {
        assert!(
            t.elapsed() < std::time::Duration::from_secs(20),
            "no pipe end"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let at_link_up = info_u64(&mut m, "used_memory") as i64;
    // Past the next cron ticks: the child is reaped, the replica online.
    let t = std::time::Instant::now();
    while !s(m.cmd_str("INFO replication")).contains("state=online") {
        assert!(
            t.elapsed() < std::time::Duration::from_secs(20),
            "not online"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let later = info_u64(&mut m, "used_memory") as i64;
    assert!(
        at_link_up - later < 32 * 1024,
        "used_memory fell by {} bytes after the replica's link was up",
        at_link_up - later
    );
}
