//! Streams against redis-server 7.0.15:
//!
//! - randomized XADD / XTRIM / XDEL / XSETID / XRANGE sequences (explicit
//!   and `<ms>-*` ids, MAXLEN / MINID exact and `~` with LIMIT, small and
//!   unlimited node sizes) sent to both servers: every reply must be the
//!   same bytes, and at the end every stream the same XRANGE, DEBUG
//!   DIGEST-VALUE, XINFO STREAM (FULL) and DUMP payload (so the same
//!   listpack nodes, master entries and delta-encoded ids);
//! - RDB interop both ways for streams with consumer groups, pending
//!   entries of several consumers, idle consumers, tombstones, many nodes,
//!   empty streams: redis-server SAVEs and rustredis loads the file, then
//!   rustredis SAVEs (after RESTOREing the oracle's payloads) and
//!   redis-server loads it with deep sanitization; each side's DUMP of
//!   every key must be byte-identical to the original's;
//! - AOF rewrite: rustredis rewrites streams (groups and PELs included) as
//!   XADD / XSETID / XGROUP / XCLAIM commands, and redis-server replaying
//!   that AOF ends with the same DUMP payloads.
//!
//! Each test is skipped when the oracle is not installed and fails when it
//! is missing under `CI=true`.

mod common;

use common::{
    Conn, Resp, Rng, ServerProc, call, call_ok as ok, call_ok_str as cmd, escape, info_field,
};
use std::path::Path;
use std::time::{Duration, Instant};

const DEBUG_ON: [&str; 2] = ["--enable-debug-command", "yes"];

fn bulk(r: Resp) -> Vec<u8> {
    match r {
        Resp::Bulk(Some(b)) => b,
        other => panic!("bulk expected, got {other:?}"),
    }
}

/// One random command over keys `s0`..`s2`; `last` tracks a plausible
/// top id per key so most explicit ids are accepted.
fn random_command(r: &mut Rng, last: &mut [u64; 3]) -> Vec<Vec<u8>> {
    let k = r.below(3) as usize;
    let key = format!("s{k}").into_bytes();
    let field_sets: [&[&str]; 4] = [&["a", "b"], &["a", "b"], &["x"], &["a", "b", "c"]];
    let mut v: Vec<Vec<u8>> = Vec::new();
    let roll = r.below(100);
    let id_near = |r: &mut Rng, last: u64| -> String {
        let ms = last.saturating_sub(3) + r.below(8);
        format!("{ms}-{}", r.below(3))
    };
    if roll < 55 {
        v.push(b"XADD".to_vec());
        v.push(key);
        if r.below(4) == 0 {
            let exact = r.below(3);
            if r.below(2) == 0 {
                v.push(b"MAXLEN".to_vec());
                match exact {
                    0 => v.push(b"~".to_vec()),
                    1 => v.push(b"=".to_vec()),
                    _ => {}
                }
                v.push(r.below(30).to_string().into_bytes());
            } else {
                v.push(b"MINID".to_vec());
                match exact {
                    0 => v.push(b"~".to_vec()),
                    1 => v.push(b"=".to_vec()),
                    _ => {}
                }
                v.push(id_near(r, last[k].saturating_sub(10)).into_bytes());
            }
            if exact == 0 && r.below(2) == 0 {
                v.push(b"LIMIT".to_vec());
                v.push(r.below(12).to_string().into_bytes());
            }
        }
        match r.below(10) {
            0 => v.push(format!("{}-*", last[k]).into_bytes()),
            1 => v.push(id_near(r, last[k]).into_bytes()),
            _ => {
                last[k] += 1 + r.below(3);
                v.push(format!("{}-{}", last[k], r.below(2)).into_bytes());
            }
        }
        let fs = field_sets[r.below(4) as usize];
        for f in fs {
            v.push(f.as_bytes().to_vec());
            v.push(match r.below(4) {
                0 => r.below(1000).to_string().into_bytes(),
                1 => format!("-{}", r.below(100_000)).into_bytes(),
                2 => Vec::new(),
                _ => "v".repeat(r.below(40) as usize).into_bytes(),
            });
        }
    } else if roll < 70 {
        v.push(b"XDEL".to_vec());
        v.push(key);
        for _ in 0..1 + r.below(3) {
            let back = r.below(20);
            v.push(id_near(r, last[k].saturating_sub(back)).into_bytes());
        }
    } else if roll < 78 {
        v.push(b"XTRIM".to_vec());
        v.push(key);
        let strat = r.below(2);
        v.push(if strat == 0 {
            b"MAXLEN".to_vec()
        } else {
            b"MINID".to_vec()
        });
        let approx = r.below(2) == 0;
        if approx {
            v.push(b"~".to_vec());
        }
        if strat == 0 {
            v.push(r.below(40).to_string().into_bytes());
        } else {
            let back = r.below(30);
            v.push(id_near(r, last[k].saturating_sub(back)).into_bytes());
        }
        if approx && r.below(2) == 0 {
            v.push(b"LIMIT".to_vec());
            v.push(r.below(20).to_string().into_bytes());
        }
    } else if roll < 92 {
        let rev = r.below(2) == 0;
        v.push(if rev {
            b"XREVRANGE".to_vec()
        } else {
            b"XRANGE".to_vec()
        });
        v.push(key);
        let a = if r.below(4) == 0 {
            "-".to_string()
        } else {
            format!("{}", last[k].saturating_sub(r.below(40)))
        };
        let b = if r.below(4) == 0 {
            "+".to_string()
        } else {
            format!("({}", last[k].saturating_sub(r.below(20)))
        };
        if rev {
            v.push(b.replace('(', "").into_bytes());
            v.push(a.into_bytes());
        } else {
            v.push(a.into_bytes());
            v.push(b.into_bytes());
        }
        if r.below(2) == 0 {
            v.push(b"COUNT".to_vec());
            v.push(r.below(8).to_string().into_bytes());
        }
    } else if roll < 96 {
        v.push(b"XLEN".to_vec());
        v.push(key);
    } else {
        last[k] += r.below(3);
        v.push(b"XSETID".to_vec());
        v.push(key);
        v.push(format!("{}-5", last[k]).into_bytes());
        if r.below(2) == 0 {
            v.push(b"ENTRIESADDED".to_vec());
            v.push((1000 + r.below(100)).to_string().into_bytes());
        }
    }
    v
}

/// Sends the same command to both servers and asserts identical replies.
fn both(us: &mut Conn, oracle: &mut Conn, args: &[&[u8]], ctx: &str) -> Vec<u8> {
    let a = us.cmd(args);
    let b = oracle.cmd(args);
    assert_eq!(
        escape(&a),
        escape(&b),
        "{ctx}: {:?}",
        args.iter()
            .map(|x| String::from_utf8_lossy(x).into_owned())
            .collect::<Vec<_>>()
    );
    a
}

/// Randomized sequences: same replies, same final XRANGE, digest and DUMP.
#[test]
fn random_sequences_match_redis() {
    let Some(oracle) = ServerProc::start_oracle(&DEBUG_ON) else {
        return;
    };
    let ours = ServerProc::start(&DEBUG_ON);
    let (mut o, mut u) = (oracle.conn(), ours.conn());
    let node_limits: [(&str, &str); 5] = [
        ("100", "4096"),
        ("3", "4096"),
        ("5", "80"),
        ("0", "0"),
        ("2", "0"),
    ];
    for seed in 1..=10u64 {
        let mut r = Rng::new(seed);
        let (entries, bytes) = node_limits[(seed % 5) as usize];
        for c in [&mut u, &mut o] {
            cmd(c, "FLUSHALL");
            cmd(c, "CONFIG SET rdbcompression no");
            cmd(c, &format!("CONFIG SET stream-node-max-entries {entries}"));
            cmd(c, &format!("CONFIG SET stream-node-max-bytes {bytes}"));
        }
        let mut last = [1u64, 1000, 1_000_000];
        for i in 0..400 {
            let args = random_command(&mut r, &mut last);
            let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
            both(&mut u, &mut o, &refs, &format!("seed {seed} command {i}"));
        }
        for k in ["s0", "s1", "s2"] {
            let ctx = format!("seed {seed} final {k}");
            both(&mut u, &mut o, &[b"XRANGE", k.as_bytes(), b"-", b"+"], &ctx);
            both(
                &mut u,
                &mut o,
                &[b"XREVRANGE", k.as_bytes(), b"+", b"-"],
                &ctx,
            );
            both(
                &mut u,
                &mut o,
                &[b"DEBUG", b"DIGEST-VALUE", k.as_bytes()],
                &ctx,
            );
            both(&mut u, &mut o, &[b"DUMP", k.as_bytes()], &ctx);
            both(
                &mut u,
                &mut o,
                &[b"XINFO", b"STREAM", k.as_bytes(), b"FULL"],
                &ctx,
            );
            both(&mut u, &mut o, &[b"XINFO", b"STREAM", k.as_bytes()], &ctx);
        }
    }
}

/// Builds streams with groups and pending entries on the oracle (which has
/// the consumer-group commands); returns the keys.
fn fill_groups(o: &mut Conn) -> Vec<&'static str> {
    cmd(o, "CONFIG SET stream-node-max-entries 4");
    for i in 1..=30 {
        let id = format!("{i}-{}", i % 3);
        let v = format!("v{i}");
        let f: &[u8] = if i % 7 == 0 { b"other" } else { b"f" };
        ok(
            o,
            &[
                b"XADD",
                b"big",
                id.as_bytes(),
                f,
                v.as_bytes(),
                b"n",
                b"12345",
            ],
        );
    }
    cmd(o, "XDEL big 5-2 6-0 20-2");
    cmd(o, "XTRIM big MAXLEN 26");
    cmd(o, "XGROUP CREATE big g1 0");
    cmd(o, "XGROUP CREATE big g2 10-0 ENTRIESREAD 3");
    cmd(o, "XGROUP CREATE big g3 $");
    cmd(o, "XGROUP CREATECONSUMER big g1 idle");
    cmd(o, "XREADGROUP GROUP g1 alice COUNT 5 STREAMS big >");
    cmd(o, "XREADGROUP GROUP g1 bob COUNT 3 STREAMS big >");
    cmd(o, "XREADGROUP GROUP g2 carol COUNT 4 STREAMS big >");
    cmd(o, "XACK big g1 8-2");
    cmd(o, "XCLAIM big g1 bob 0 9-0 RETRYCOUNT 7 FORCE JUSTID");
    cmd(
        o,
        "XCLAIM big g1 alice 0 11-2 TIME 1700000000000 RETRYCOUNT 2 FORCE JUSTID",
    );
    cmd(o, "XREADGROUP GROUP g3 dave NOACK COUNT 1 STREAMS big 0");
    cmd(o, "CONFIG SET stream-node-max-entries 100");
    // A stream whose entries are all gone, with a group.
    cmd(o, "XADD gone 1-1 a b");
    cmd(o, "XADD gone 2-1 a b");
    cmd(o, "XGROUP CREATE gone g 0");
    cmd(o, "XREADGROUP GROUP g c STREAMS gone >");
    cmd(o, "XDEL gone 1-1 2-1");
    // An empty stream made by MKSTREAM.
    cmd(o, "XGROUP CREATE empty g $ MKSTREAM");
    // No groups at all.
    cmd(o, "XADD plain 7-7 field value");
    vec!["big", "gone", "empty", "plain"]
}

/// XINFO STREAM key FULL as raw bytes.
fn xinfo_full(c: &mut Conn, key: &str) -> Vec<u8> {
    c.cmd(&[b"XINFO", b"STREAM", key.as_bytes(), b"FULL"])
}

/// Waits for a BGSAVE / BGREWRITEAOF to finish.
fn wait_persistence_idle(c: &mut Conn) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let info = String::from_utf8_lossy(&c.cmd(&[b"INFO", b"persistence"])).into_owned();
        if info_field(&info, "aof_rewrite_in_progress").as_deref() == Some("0")
            && info_field(&info, "rdb_bgsave_in_progress").as_deref() == Some("0")
            && info_field(&info, "aof_rewrite_scheduled").as_deref() != Some("1")
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "persistence never went idle:\n{info}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn copy_file(from: &Path, to: &Path) {
    std::fs::copy(from, to)
        .unwrap_or_else(|e| panic!("copy {} -> {}: {e}", from.display(), to.display()));
}

/// redis-server's RDB with groups and PELs loads here to the same values;
/// our RDB of them loads in redis-server (deep sanitization on) to the
/// same values and the same XINFO STREAM FULL.
#[test]
fn rdb_interop_with_consumer_groups_both_ways() {
    let Some(oracle) = ServerProc::start_oracle(&DEBUG_ON) else {
        return;
    };
    let mut o = oracle.conn();
    cmd(&mut o, "CONFIG SET rdbcompression no");
    let keys = fill_groups(&mut o);
    cmd(&mut o, "SAVE");
    let payloads: Vec<Vec<u8>> = keys
        .iter()
        .map(|k| bulk(ok(&mut o, &[b"DUMP", k.as_bytes()])))
        .collect();
    let infos: Vec<Vec<u8>> = keys.iter().map(|k| xinfo_full(&mut o, k)).collect();

    // Redis -> us.
    let dir = common::scratch_dir("streams-rdb-in");
    copy_file(&oracle.dir.join("dump.rdb"), &dir.join("dump.rdb"));
    let ds = dir.display().to_string();
    let ours = ServerProc::start(&[
        "--dir",
        &ds,
        "--enable-debug-command",
        "yes",
        "--rdbcompression",
        "no",
    ]);
    let mut u = ours.conn();
    for (k, p) in keys.iter().zip(&payloads) {
        let mine = bulk(ok(&mut u, &[b"DUMP", k.as_bytes()]));
        assert_eq!(
            escape(&mine),
            escape(p),
            "DUMP of {k} after loading redis-server's RDB"
        );
        let a = u.cmd(&[b"XRANGE", k.as_bytes(), b"-", b"+"]);
        let b = o.cmd(&[b"XRANGE", k.as_bytes(), b"-", b"+"]);
        assert_eq!(escape(&a), escape(&b), "XRANGE {k}");
        let a = u.cmd(&[b"DEBUG", b"DIGEST-VALUE", k.as_bytes()]);
        let b = o.cmd(&[b"DEBUG", b"DIGEST-VALUE", k.as_bytes()]);
        assert_eq!(escape(&a), escape(&b), "digest {k}");
        assert_eq!(
            escape(&xinfo_full(&mut u, k)),
            escape(&xinfo_full(&mut o, k)),
            "XINFO STREAM {k} FULL after loading redis-server's RDB"
        );
    }
    // DEBUG RELOAD keeps them too.
    cmd(&mut u, "DEBUG RELOAD");
    for (k, p) in keys.iter().zip(&payloads) {
        let mine = bulk(ok(&mut u, &[b"DUMP", k.as_bytes()]));
        assert_eq!(escape(&mine), escape(p), "DUMP of {k} after DEBUG RELOAD");
    }

    // Us -> Redis: a fresh server RESTOREs the payloads and SAVEs.
    let ours2 = ServerProc::start(&["--enable-debug-command", "yes", "--rdbcompression", "no"]);
    let mut u2 = ours2.conn();
    for (k, p) in keys.iter().zip(&payloads) {
        ok(&mut u2, &[b"RESTORE", k.as_bytes(), b"0", p]);
    }
    cmd(&mut u2, "SAVE");
    let dir2 = common::scratch_dir("streams-rdb-out");
    copy_file(&ours2.dir.join("dump.rdb"), &dir2.join("dump.rdb"));
    let ds2 = dir2.display().to_string();
    let Some(oracle2) = ServerProc::start_oracle(&[
        "--dir",
        &ds2,
        "--enable-debug-command",
        "yes",
        "--rdbcompression",
        "no",
        "--sanitize-dump-payload",
        "yes",
    ]) else {
        return;
    };
    let mut o2 = oracle2.conn();
    for ((k, p), info) in keys.iter().zip(&payloads).zip(&infos) {
        let theirs = bulk(ok(&mut o2, &[b"DUMP", k.as_bytes()]));
        assert_eq!(
            escape(&theirs),
            escape(p),
            "redis-server's DUMP of {k} from our RDB"
        );
        assert_eq!(
            escape(&xinfo_full(&mut o2, k)),
            escape(info),
            "XINFO STREAM {k} FULL from our RDB"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&dir2);
}

/// Our AOF rewrite of streams (groups, PELs, idle consumers, tombstones,
/// empty streams) replayed by redis-server gives the same values.
#[test]
fn aof_rewrite_replays_in_redis() {
    let Some(oracle) = ServerProc::start_oracle(&DEBUG_ON) else {
        return;
    };
    let mut o = oracle.conn();
    cmd(&mut o, "CONFIG SET rdbcompression no");
    let keys = fill_groups(&mut o);
    cmd(&mut o, "XADD lastdel 1-1 a b");
    cmd(&mut o, "XADD lastdel 2-2 a b");
    cmd(&mut o, "XDEL lastdel 2-2");
    let mut keys = keys;
    keys.push("lastdel");
    let payloads: Vec<Vec<u8>> = keys
        .iter()
        .map(|k| bulk(ok(&mut o, &[b"DUMP", k.as_bytes()])))
        .collect();

    let ours = ServerProc::start(&[
        "--enable-debug-command",
        "yes",
        "--rdbcompression",
        "no",
        "--appendonly",
        "yes",
        "--aof-use-rdb-preamble",
        "no",
    ]);
    let mut u = ours.conn();
    for (k, p) in keys.iter().zip(&payloads) {
        ok(&mut u, &[b"RESTORE", k.as_bytes(), b"0", p]);
    }
    wait_persistence_idle(&mut u);
    cmd(&mut u, "BGREWRITEAOF");
    wait_persistence_idle(&mut u);
    let base = std::fs::read_dir(ours.dir.join("appendonlydir"))
        .expect("appendonlydir")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains(".base.aof"))
        .expect("a base AOF");
    let text = std::fs::read(&base).expect("read base");
    assert!(
        text.windows(6).any(|w| w == b"XCLAIM") && text.windows(6).any(|w| w == b"XSETID"),
        "the rewrite holds XCLAIM and XSETID commands"
    );

    // redis-server's own rewrite of the same values: the same commands
    // (keys come in each server's hash order, so compare sorted).
    cmd(&mut o, "CONFIG SET aof-use-rdb-preamble no");
    cmd(&mut o, "CONFIG SET appendonly yes");
    wait_persistence_idle(&mut o);
    let theirs_base = std::fs::read_dir(oracle.dir.join("appendonlydir"))
        .expect("oracle appendonlydir")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains(".base.aof"))
        .expect("the oracle's base AOF");
    let theirs = std::fs::read(&theirs_base).expect("read oracle base");
    let (mut a, mut b) = (aof_commands(&text), aof_commands(&theirs));
    a.sort();
    b.sort();
    assert_eq!(
        a.join("\n"),
        b.join("\n"),
        "rewritten commands differ from redis-server's"
    );

    // Redis replays our rewritten AOF.
    let dir = common::scratch_dir("streams-aof");
    std::fs::create_dir_all(dir.join("appendonlydir")).expect("mkdir");
    for e in std::fs::read_dir(ours.dir.join("appendonlydir"))
        .expect("appendonlydir")
        .flatten()
    {
        copy_file(&e.path(), &dir.join("appendonlydir").join(e.file_name()));
    }
    let ds = dir.display().to_string();
    let Some(oracle2) = ServerProc::start_oracle(&[
        "--dir",
        &ds,
        "--appendonly",
        "yes",
        "--enable-debug-command",
        "yes",
        "--rdbcompression",
        "no",
    ]) else {
        return;
    };
    let mut o2 = oracle2.conn();
    let deadline = Instant::now() + Duration::from_secs(20);
    while String::from_utf8_lossy(&o2.cmd(&[b"PING"])).starts_with("-LOADING") {
        assert!(
            Instant::now() < deadline,
            "redis-server never finished loading"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    for k in &keys {
        // The DUMP differs (replayed XADDs fill nodes of the default size;
        // consumers' seen-time is the replay time), so compare what the
        // AOF carries: entries, ids, counters, groups, PELs.
        let a = o2.cmd(&[b"XRANGE", k.as_bytes(), b"-", b"+"]);
        let b = o.cmd(&[b"XRANGE", k.as_bytes(), b"-", b"+"]);
        assert_eq!(escape(&a), escape(&b), "XRANGE {k} after replay");
        // Redis's own rewrite also drops pending entries whose stream
        // entry is gone (XCLAIM skips them on replay), so `gone` differs
        // from the original by design; compare the other keys' groups.
        if *k != "gone" {
            let pel = |c: &mut Conn, g: &str| {
                c.cmd(&[b"XPENDING", k.as_bytes(), g.as_bytes(), b"-", b"+", b"100"])
            };
            for g in ["g1", "g2", "g3", "g"] {
                let (a, b) = (pel(&mut o2, g), pel(&mut o, g));
                // Idle times are relative to now: compare ids, owners, counts.
                assert_eq!(
                    strip_idle(&a),
                    strip_idle(&b),
                    "XPENDING {k} {g} after replay"
                );
            }
            let a = o2.cmd(&[b"XINFO", b"GROUPS", k.as_bytes()]);
            let b = o.cmd(&[b"XINFO", b"GROUPS", k.as_bytes()]);
            assert_eq!(escape(&a), escape(&b), "XINFO GROUPS {k} after replay");
        }
        let a = o2.cmd(&[b"DEBUG", b"DIGEST-VALUE", k.as_bytes()]);
        let b = o.cmd(&[b"DEBUG", b"DIGEST-VALUE", k.as_bytes()]);
        assert_eq!(escape(&a), escape(&b), "digest of {k} after replay");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The commands of an AOF without a preamble, one escaped line each,
/// SELECT left out.
fn aof_commands(text: &[u8]) -> Vec<String> {
    common::parse_aof(text)
        .into_iter()
        .map(|args| args.iter().map(|a| escape(a)).collect::<Vec<_>>())
        .filter(|line| !line[0].eq_ignore_ascii_case("select"))
        .map(|line| line.join(" "))
        .collect()
}

/// XPENDING's extended reply with each entry's idle time zeroed.
fn strip_idle(raw: &[u8]) -> String {
    let mut pos = 0;
    match common::parse_resp(raw, &mut pos) {
        Resp::Array(Some(v)) => v
            .into_iter()
            .map(|e| match e {
                Resp::Array(Some(mut f)) if f.len() == 4 => {
                    f[2] = Resp::Int(0);
                    format!("{f:?}")
                }
                other => format!("{other:?}"),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        other => format!("{other:?}"),
    }
}

/// Writes whose propagation Redis rewrites: `*` and `<ms>-*` ids become the
/// generated id, `~` trimming becomes `=` to the length or first id it
/// achieved, and writes that change nothing are not propagated.
const PROPAGATION_SCRIPT: &str = "
XADD p * a 1
XADD p * a 2
XADD q 5-* a 1
XADD q 5-* a 2
XADD q MAXLEN ~ 1 6-0 a 3
CONFIG SET stream-node-max-entries 2
XADD r 1 a 1
XADD r 2 a 2
XADD r 3 a 3
XADD r 4 a 4
XADD r 5 a 5
XADD r MAXLEN ~ 2 6 a 6
XADD r 7 a 7
XADD r 8 a 8
XADD r 9 a 9
XDEL r 7
XTRIM r MINID ~ 9
XTRIM r MAXLEN ~ 100
XADD r MINID ~ 1 LIMIT 1 10 a 10
XADD r MAXLEN ~ 0 LIMIT 2 11 a 11
XTRIM r MAXLEN ~ 1 LIMIT 3
XDEL r 8
XDEL r 99
XSETID r 100
XSETID r 100 ENTRIESADDED 50 MAXDELETEDID 9
XTRIM r MAXLEN 0
XTRIM r MAXLEN 0
XADD nokey NOMKSTREAM * a b
XADD s MINID = 0 1 a b
";

/// The commands of an AOF incr file, with a clock-made id (`<ms>-<seq>`
/// whose ms is within a day of now) shown as `<now>-<seq>` (literally).
fn incr_commands(dir: &Path) -> Vec<String> {
    common::aof_incr_lines(dir, |a| {
        let s = String::from_utf8_lossy(a).into_owned();
        match s.split_once('-').map(|(m, q)| (m.parse::<i64>(), q)) {
            // The sequence depends on whether two XADDs fell in the same
            // millisecond.
            Some((Ok(ms), q)) if common::near_now_ms(ms) && q.parse::<u64>().is_ok() => {
                "<now>-<seq>".to_string()
            }
            _ => s,
        }
    })
}

/// XADD / XTRIM / XDEL / XSETID reach the AOF as redis-server writes them.
#[test]
fn propagation_matches_redis() {
    let args = common::AOF_ALWAYS;
    let Some(oracle) = ServerProc::start_oracle(args) else {
        return;
    };
    let ours = ServerProc::start(args);
    let mut got = Vec::new();
    for sp in [&ours, &oracle] {
        let mut c = sp.conn();
        for l in PROPAGATION_SCRIPT.lines().filter(|l| !l.trim().is_empty()) {
            let args: Vec<&[u8]> = l.split(' ').map(|a| a.as_bytes()).collect();
            call(&mut c, &args);
        }
        got.push(incr_commands(&sp.dir));
    }
    assert_eq!(got[0].join("\n"), got[1].join("\n"));
    assert!(got[0].iter().any(|l| l.starts_with("XADD r MAXLEN = ")));
}
