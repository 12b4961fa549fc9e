//! Replication interoperability with Debian's redis-server 7.0.15 in both
//! roles (issue 11, item 4): the wire protocol between master and replica
//! is right when the real thing accepts ours and ours accepts it.
//!
//! Topologies:
//! 1. a redis-server replica of a rustredis master;
//! 2. a rustredis replica of a redis-server master;
//! 3. mixed chains, redis → rustredis → redis and rustredis → redis →
//!    rustredis.
//!
//! For 1 and 2 each test runs a full sync (to disk, or diskless over the
//! socket) and then a partial resync after `CLIENT KILL TYPE replica` on the
//! master. The master holds data of every type before the sync
//! ([`write_every_type`] plus padding) and saves with `rdb-key-save-delay`,
//! so the sync lasts about two seconds; rounds of writes of every type run
//! while it does (the test checks that the master's BGSAVE was still
//! running after the first round), more rounds run while the link is down
//! before the partial resync. After each phase the replica must reach the
//! master's offset and hold the same data key by key
//! ([`assert_same_data`]).
//!
//! With `RUSTREDIS_BIN=/usr/bin/redis-server` every node is redis-server,
//! which proves the tests themselves. Each test is skipped when the oracle
//! is not installed, and fails when it is missing under `CI=true`.

mod common;

use common::repl::{
    Kind, Node, ShortKeys, assert_same_data, expire_short_keys, pad, wait_bgsave_started,
    wait_synced, write_every_type,
};
use common::s;

/// Microseconds the master sleeps per key while saving for a sync.
const KEY_SAVE_DELAY: &str = "1000";

/// Plain keys added before the sync so that, with [`KEY_SAVE_DELAY`], the
/// save lasts well over a second.
const PAD_KEYS: usize = 1200;

/// At most this many write rounds during one sync.
const MAX_ROUNDS: u64 = 12;

/// The pause between two write rounds.
const ROUND_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

/// Runs write rounds on `master` while its sync BGSAVE runs (at least
/// `min_rounds`, at most [`MAX_ROUNDS`], [`ROUND_PAUSE`] apart); the first
/// round must end before the save does, or the test would not write
/// during the sync.
fn write_during_sync(master: &mut Node, tag: &str, min_rounds: u64) -> ShortKeys {
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
fn sync_counts(master: &mut Node) -> (i64, i64) {
    (
        master.info_int("stats", "sync_full"),
        master.info_int("stats", "sync_partial_ok"),
    )
}

/// Topologies 1 and 2: `master_kind` master, `replica_kind` replica; full
/// sync (`diskless` or to disk), writes during it, compare; then the master
/// drops the replica, writes go on, the replica comes back with a partial
/// resync, compare again.
fn full_then_partial(master_kind: Kind, replica_kind: Kind, diskless: bool) {
    let mode = if diskless { "yes" } else { "no" };
    let Some(mut m) = Node::start(
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
    let Some(mut r) = Node::start(replica_kind, &["--repl-diskless-load", load]) else {
        return;
    };

    write_every_type(&mut m.c, "pre", 0);
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

#[test]
fn redis_replica_of_our_master_disk() {
    full_then_partial(Kind::Rust, Kind::Redis, false);
}

#[test]
fn redis_replica_of_our_master_diskless() {
    full_then_partial(Kind::Rust, Kind::Redis, true);
}

#[test]
fn our_replica_of_redis_master_disk() {
    full_then_partial(Kind::Redis, Kind::Rust, false);
}

#[test]
fn our_replica_of_redis_master_diskless() {
    full_then_partial(Kind::Redis, Kind::Rust, true);
}

/// Topology 3: `kinds[0]` → `kinds[1]` → `kinds[2]`. The head syncs to
/// disk, the middle diskless; both save slowly, and writes to the head run
/// while each of the two syncs does. Then all three hold the same data at
/// the same offset.
fn chain(kinds: [Kind; 3]) {
    let Some(mut a) = Node::start(
        kinds[0],
        &[
            "--repl-diskless-sync",
            "no",
            "--rdb-key-save-delay",
            KEY_SAVE_DELAY,
        ],
    ) else {
        return;
    };
    let Some(mut b) = Node::start(
        kinds[1],
        &[
            "--repl-diskless-sync",
            "yes",
            "--rdb-key-save-delay",
            KEY_SAVE_DELAY,
        ],
    ) else {
        return;
    };
    let Some(mut c) = Node::start(kinds[2], &[]) else {
        return;
    };
    write_every_type(&mut a.c, "pre", 0);
    pad(&mut a.c, PAD_KEYS);
    b.replicaof(&a);
    c.replicaof(&b);

    // Write rounds until the end of the chain is up, noting whose sync
    // each overlapped.
    wait_bgsave_started(&mut a);
    let mut short = ShortKeys::new();
    let (mut during_a, mut during_b) = (false, false);
    let deadline = std::time::Instant::now() + common::repl::SYNC_TIMEOUT;
    let mut round = 0;
    loop {
        short.extend(write_every_type(&mut a.c, "during", round));
        round += 1;
        during_a |= a.bgsave_in_progress();
        during_b |= b.bgsave_in_progress();
        let c_up = c.info_field("replication", "master_link_status") == "up";
        if c_up && !b.bgsave_in_progress() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} never got in sync through {}:\n{}\n{}",
            c.label(),
            b.label(),
            c.info("replication"),
            c.sp.log()
        );
        std::thread::sleep(ROUND_PAUSE);
    }
    assert!(
        during_a,
        "no writes while {} saved for {}",
        a.label(),
        b.label()
    );
    assert!(
        during_b,
        "no writes while {} saved for {}",
        b.label(),
        c.label()
    );
    expire_short_keys(&mut a.c, &short);
    wait_synced(&mut a, &mut [&mut b, &mut c]);
    assert_same_data(&mut a, &mut b, "head and middle of the chain");
    assert_same_data(&mut a, &mut c, "head and end of the chain");
}

#[test]
fn chain_redis_ours_redis() {
    chain([Kind::Redis, Kind::Rust, Kind::Redis]);
}

#[test]
fn chain_ours_redis_ours() {
    chain([Kind::Rust, Kind::Redis, Kind::Rust]);
}
