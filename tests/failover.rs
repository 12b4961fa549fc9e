//! FAILOVER, ROLE, INFO replication and CLIENT's replication classes.
//!
//! The error replies are compared byte for byte with redis-server 7.0.15;
//! the coordinated failover runs on three rustredis nodes (a master and two
//! replicas), and ROLE / INFO replication of a rustredis replica are
//! compared in shape with a redis-server replica of the same master.

mod common;

use common::*;
use std::time::{Duration, Instant};

/// Polls `f` every 50 ms until it returns true; panics with `what` after `secs`.
fn wait_for(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out after {secs}s waiting for {what}");
}

fn info(c: &mut Conn, section: &str) -> String {
    s(c.cmd(&[b"INFO", section.as_bytes()]))
}

fn field(c: &mut Conn, name: &str) -> String {
    info_field(&info(c, "replication"), name).unwrap_or_default()
}

/// Field names of an INFO section, in order.
fn field_names(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.split_once(':').map(|(k, _)| k.to_string()))
        .collect()
}

/// The text of a bulk reply.
fn bulk_text(raw: Vec<u8>) -> String {
    match parse_resp(&raw, &mut 0) {
        Resp::Bulk(Some(b)) => String::from_utf8_lossy(&b).into_owned(),
        other => panic!("not a bulk reply: {other:?}"),
    }
}

/// Makes `replica` a replica of `master` and waits for the link to be up.
fn attach(replica: &ServerProc, master: &ServerProc) {
    let mut c = replica.conn();
    let port = master.port.to_string();
    assert_eq!(
        c.cmd(&[b"REPLICAOF", b"127.0.0.1", port.as_bytes()]),
        b"+OK\r\n"
    );
    wait_for(20, "the replica link", || {
        field(&mut c, "master_link_status") == "up"
    });
}

/// FAILOVER TO 127.0.0.1 <port> [<extra words>] on `c`; the reply as text.
fn failover_to(c: &mut Conn, port: &str, extra: &str) -> String {
    s(c.cmd_str(format!("FAILOVER TO 127.0.0.1 {port} {extra}").trim_end()))
}

/// Waits until `replica` applied all of `master`'s stream.
fn wait_ofs(master: &ServerProc, replica: &ServerProc) {
    let (mut m, mut r) = (master.conn(), replica.conn());
    wait_for(20, "offsets to match", || {
        let mo = field(&mut m, "master_repl_offset");
        mo == field(&mut r, "master_repl_offset") && !mo.is_empty()
    });
}

#[test]
fn failover_errors_match_redis() {
    let Some(oracle) = ServerProc::start_oracle(&[]) else {
        return;
    };
    let ours = ServerProc::start(&[]);
    let script = [
        "FAILOVER",
        "FAILOVER ABORT",
        "FAILOVER TIMEOUT 0",
        "FAILOVER TIMEOUT -5",
        "FAILOVER TIMEOUT x",
        "FAILOVER TIMEOUT 10 TIMEOUT 10",
        "FAILOVER TO h",
        "FAILOVER TO h notaport",
        "FAILOVER TO h 1 TO h 2",
        "FAILOVER FORCE FORCE",
        "FAILOVER FORCE",
        "FAILOVER TO 127.0.0.1 1 FORCE",
        "FAILOVER TIMEOUT 100 FORCE",
        "FAILOVER bogus",
        "FAILOVER ABORT extra",
        "ROLE",
        "ROLE extra",
        "CLIENT LIST TYPE master",
        "CLIENT LIST TYPE replica",
        "CLIENT LIST TYPE slave",
        "CLIENT KILL TYPE master",
        "CLIENT KILL TYPE slave",
        "CLIENT KILL TYPE replica",
    ];
    let (mut a, mut b) = (ours.conn(), oracle.conn());
    assert_same_replies(&mut a, &mut b, &script);
    // INFO replication of a lone master: same fields in the same order.
    let (ia, ib) = (info(&mut a, "replication"), info(&mut b, "replication"));
    assert_eq!(field_names(&ia), field_names(&ib));
    for f in [
        "role",
        "connected_slaves",
        "master_failover_state",
        "master_replid2",
    ] {
        assert_eq!(info_field(&ia, f), info_field(&ib, f), "{f}");
    }
}

#[test]
fn role_info_and_client_flags_on_a_replica_match_redis() {
    let Some(master) = ServerProc::start_oracle(&["--repl-diskless-sync-delay", "0"]) else {
        return;
    };
    let Some(theirs) = ServerProc::start_oracle(&[]) else {
        return;
    };
    let ours = ServerProc::start(&[]);
    attach(&theirs, &master);
    attach(&ours, &master);
    let mut m = master.conn();
    m.cmd_str("SET k v");
    wait_ofs(&master, &ours);
    wait_ofs(&master, &theirs);
    let (mut a, mut b) = (ours.conn(), theirs.conn());
    // ROLE: ["slave", host, port, "connected", offset], offsets equal.
    assert_eq!(s(a.cmd_str("ROLE")), s(b.cmd_str("ROLE")));
    let (ia, ib) = (info(&mut a, "replication"), info(&mut b, "replication"));
    assert_eq!(field_names(&ia), field_names(&ib));
    for f in [
        "role",
        "master_host",
        "master_port",
        "master_link_status",
        "master_sync_in_progress",
        "slave_read_repl_offset",
        "slave_repl_offset",
        "slave_priority",
        "slave_read_only",
        "replica_announced",
        "connected_slaves",
        "master_failover_state",
        "master_replid",
        "master_repl_offset",
    ] {
        assert_eq!(info_field(&ia, f), info_field(&ib, f), "{f}");
    }
    // The master link is a client of type master with flag M.
    let list = bulk_text(a.cmd_str("CLIENT LIST TYPE master"));
    assert_eq!(list.lines().count(), 1, "{list}");
    assert!(list.contains(" flags=M "), "{list}");
    assert!(s(a.cmd_str("HELLO 2")).contains("replica"));
    // CLIENT KILL TYPE master drops the link; it comes back with a PSYNC.
    assert_eq!(s(a.cmd_str("CLIENT KILL TYPE master")), ":1\r\n");
    wait_for(10, "the link back", || {
        field(&mut a, "master_link_status") == "up"
    });
    // The master sees both replicas with flag S.
    let list = bulk_text(m.cmd_str("CLIENT LIST TYPE replica"));
    assert_eq!(list.lines().count(), 2, "{list}");
    assert!(list.lines().all(|l| l.contains(" flags=S ")), "{list}");
    // A replica of a replica is refused FAILOVER.
    assert_eq!(
        s(a.cmd_str("FAILOVER")),
        "-ERR FAILOVER is not valid when server is a replica.\r\n"
    );
}

/// Three rustredis nodes: `n0` master, `n1` and `n2` its replicas.
fn three_nodes() -> (ServerProc, ServerProc, ServerProc) {
    let args = ["--repl-diskless-sync-delay", "0"];
    let n0 = ServerProc::start(&args);
    let n1 = ServerProc::start(&args);
    let n2 = ServerProc::start(&args);
    attach(&n1, &n0);
    attach(&n2, &n0);
    (n0, n1, n2)
}

fn role_name(sp: &ServerProc) -> String {
    match call(&mut sp.conn(), &[b"ROLE"]) {
        Resp::Array(Some(v)) => match &v[0] {
            Resp::Bulk(Some(b)) => String::from_utf8_lossy(b).into_owned(),
            other => panic!("ROLE: {other:?}"),
        },
        other => panic!("ROLE: {other:?}"),
    }
}

fn digest(sp: &ServerProc) -> Vec<u8> {
    sp.conn().cmd_str("DEBUG DIGEST")
}

#[test]
fn coordinated_failover_to_a_replica_keeps_the_history() {
    let (n0, n1, n2) = three_nodes();
    let mut c0 = n0.conn();
    for i in 0..200 {
        c0.cmd_str(&format!("SET key:{i} {i}"));
    }
    let p1 = n1.port.to_string();
    assert_eq!(failover_to(&mut c0, &p1, ""), "+OK\r\n");
    wait_for(10, "the failover to end", || {
        field(&mut c0, "master_failover_state") == "no-failover"
    });
    assert_eq!(role_name(&n0), "slave");
    assert_eq!(role_name(&n1), "master");
    let log0 = n0.log();
    assert!(
        log0.contains(&format!("FAILOVER requested to 127.0.0.1:{p1}.")),
        "{log0}"
    );
    assert!(
        log0.contains(&format!(
            "Failover target 127.0.0.1:{p1} is synced, failing over."
        )),
        "{log0}"
    );
    let log1 = n1.log();
    assert!(
        log1.contains("Failover request received for replid"),
        "{log1}"
    );
    assert!(
        log1.contains("MASTER MODE enabled (failover request from"),
        "{log1}"
    );
    // The old master continued with a partial resync, and so does n2.
    attach(&n2, &n1);
    wait_for(10, "n0 linked to n1", || {
        field(&mut n0.conn(), "master_link_status") == "up"
    });
    let mut c1 = n1.conn();
    assert_eq!(field(&mut c1, "connected_slaves"), "2");
    let stats = info(&mut c1, "stats");
    assert_eq!(info_field(&stats, "sync_full").as_deref(), Some("0"));
    assert_eq!(info_field(&stats, "sync_partial_ok").as_deref(), Some("2"));
    // The old ID is kept as replid2.
    assert_eq!(
        field(&mut c1, "master_replid2"),
        field(&mut c0, "master_replid2")
    );
    c1.cmd_str("SET after failover");
    wait_ofs(&n1, &n0);
    wait_ofs(&n1, &n2);
    assert_eq!(digest(&n0), digest(&n1));
    assert_eq!(digest(&n1), digest(&n2));
    // Writes to the old master are now refused.
    assert_eq!(
        s(c0.cmd_str("SET x y")),
        "-READONLY You can't write against a read only replica.\r\n"
    );
}

#[test]
fn failover_pauses_writes_times_out_and_aborts() {
    let (n0, n1, _n2) = three_nodes();
    let mut c0 = n0.conn();
    let p1 = n1.port.to_string();
    // The target never acknowledges: the failover gives up at the timeout.
    n1.signal("-STOP");
    c0.cmd_str("SET case 1");
    assert_eq!(failover_to(&mut c0, &p1, "TIMEOUT 500"), "+OK\r\n");
    assert_eq!(field(&mut c0, "master_failover_state"), "waiting-for-sync");
    // Writes wait meanwhile; reads don't; CLIENT UNPAUSE doesn't end it.
    let mut w = n0.conn();
    w.send_raw(&encode_command(&[b"SET", b"during", b"pause"]));
    assert_eq!(s(c0.cmd_str("GET case")), "$1\r\n1\r\n");
    assert_eq!(s(c0.cmd_str("CLIENT UNPAUSE")), "+OK\r\n");
    assert!(s(c0.cmd_str("CLIENT LIST")).contains(" flags=b "));
    assert_eq!(
        s(c0.cmd_str("FAILOVER")),
        "-ERR FAILOVER already in progress.\r\n"
    );
    wait_for(5, "the timeout", || {
        field(&mut c0, "master_failover_state") == "no-failover"
    });
    assert_eq!(s(w.read_reply()), "+OK\r\n");
    assert!(n0.log().contains(&format!(
        "FAILOVER to 127.0.0.1:{p1} aborted: Replica never caught up before timeout"
    )));
    assert_eq!(role_name(&n0), "master");
    n1.signal("-CONT");
    wait_ofs(&n0, &n1);

    // FAILOVER ABORT.
    n1.signal("-STOP");
    c0.cmd_str("SET case 2");
    assert_eq!(failover_to(&mut c0, &p1, "TIMEOUT 60000"), "+OK\r\n");
    assert_eq!(s(c0.cmd_str("FAILOVER ABORT")), "+OK\r\n");
    assert_eq!(field(&mut c0, "master_failover_state"), "no-failover");
    assert!(n0.log().contains(&format!(
        "FAILOVER to 127.0.0.1:{p1} aborted: Failover manually aborted"
    )));
    n1.signal("-CONT");
    wait_ofs(&n0, &n1);
    assert_eq!(role_name(&n0), "master");
    assert_eq!(role_name(&n1), "slave");
    assert_eq!(digest(&n0), digest(&n1));
}

#[test]
fn forced_failover_and_rejected_psync() {
    let (n0, n1, n2) = three_nodes();
    let mut c0 = n0.conn();
    // The target refuses PSYNC: the failover is rolled back.
    let mut c1 = n1.conn();
    c1.cmd_str("ACL SETUSER default -psync");
    let p1 = n1.port.to_string();
    assert_eq!(failover_to(&mut c0, &p1, ""), "+OK\r\n");
    wait_for(10, "the failover to end", || {
        field(&mut c0, "master_failover_state") == "no-failover"
    });
    assert!(n0.log().contains("Failover target rejected psync request"));
    assert_eq!(role_name(&n0), "master");
    c1.cmd_str("ACL SETUSER default +psync");

    // FORCE: the target is stopped, the failover goes on at the timeout.
    wait_ofs(&n0, &n2);
    let p2 = n2.port.to_string();
    n2.signal("-STOP");
    c0.cmd_str("SET case force");
    assert_eq!(failover_to(&mut c0, &p2, "TIMEOUT 100 FORCE"), "+OK\r\n");
    wait_for(5, "failover-in-progress", || {
        field(&mut c0, "master_failover_state") == "failover-in-progress"
    });
    assert_eq!(role_name(&n0), "slave");
    n2.signal("-CONT");
    wait_for(10, "the failover to end", || {
        field(&mut c0, "master_failover_state") == "no-failover"
    });
    assert_eq!(role_name(&n2), "master");
    assert!(n0.log().contains("time out exceeded, failing over."));
    attach(&n1, &n2);
    wait_ofs(&n2, &n0);
    wait_ofs(&n2, &n1);
    assert_eq!(digest(&n0), digest(&n2));
    assert_eq!(digest(&n1), digest(&n2));
}

#[test]
fn master_last_io_counts_only_what_the_master_sends() {
    let Some(master) = ServerProc::start_oracle(&["--repl-ping-replica-period", "60"]) else {
        return;
    };
    let ours = ServerProc::start(&[]);
    attach(&ours, &master);
    // The replica ACKs every second; those writes are not the master's I/O.
    std::thread::sleep(Duration::from_millis(2600));
    let mut c = ours.conn();
    let ago: i64 = field(&mut c, "master_last_io_seconds_ago")
        .parse()
        .expect("master_last_io_seconds_ago");
    assert!(ago >= 2, "master_last_io_seconds_ago:{ago}");
    master.conn().cmd_str("SET k v");
    wait_for(5, "the write to arrive", || {
        field(&mut c, "master_last_io_seconds_ago") == "0"
    });
}

#[test]
fn scripts_are_refused_without_enough_good_replicas_as_redis() {
    let args = ["--min-replicas-to-write", "1"];
    let Some(oracle) = ServerProc::start_oracle(&args) else {
        return;
    };
    let ours = ServerProc::start(&args);
    let script = [
        "EVAL \"return redis.call('set','k','v')\" 0",
        "EVAL \"#!lua\nreturn redis.call('set','k','v')\" 0",
        "EVAL \"#!lua flags=no-writes\nreturn redis.call('get','k')\" 0",
        "EVAL \"return redis.call('get','k')\" 0",
        "FUNCTION LOAD \"#!lua name=lib\nredis.register_function('f', function() return redis.call('set','k','v') end)\"",
        "FCALL f 0",
        "SET k v",
    ];
    assert_same_replies(&mut ours.conn(), &mut oracle.conn(), &script);
}
