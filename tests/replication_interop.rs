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
    KEY_SAVE_DELAY, Kind, Node, PAD_KEYS, ROUND_PAUSE, SYNC_TIMEOUT, ShortKeys, assert_same_data,
    expire_short_keys, full_then_partial, pad, wait_bgsave_started, wait_synced, write_every_type,
};

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
    let deadline = std::time::Instant::now() + SYNC_TIMEOUT;
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
