//! Fuzz target: whole command sequences through the real command path.
//!
//! Input: the first byte picks the setup (bit 0: tiny encoding thresholds,
//! so every collection converts after a couple of elements; bit 1: RESP3
//! from the start; bit 2: compressed list nodes); the rest is one command
//! per line, split into arguments with `redis-cli`/config quoting
//! (`util::split_args`: `"a b"`, `\x00`, `'...'`). At most 256 commands.
//!
//! Each command runs on a fresh in-process `Server` (no listeners) through
//! `server::process_command` with a fake connection-less client, exactly as
//! a network client's command would after parsing: lookup, arity, MULTI
//! queueing, `call`, propagation, keyspace notifications, tracking. Replies
//! are discarded. The client has `CLIENT_DENY_BLOCKING`, so blocking
//! commands answer at once (as inside MULTI).
//!
//! Refused before they reach the server (they would touch files, sockets,
//! the process or run without bound): every command flagged `admin`
//! (CONFIG, DEBUG, SAVE, SHUTDOWN, REPLICAOF, MONITOR, CLIENT KILL, ...),
//! MIGRATE, Lua (EVAL*, FCALL*, FUNCTION, SCRIPT: a script may loop
//! forever), PFSELFTEST and LOLWUT (slow by design), and
//! SRANDMEMBER / HRANDFIELD / ZRANDMEMBER with a count beyond ±1000 (a
//! negative count makes Redis loop that many times, by design). No save
//! points are set, so FLUSHALL writes no RDB; `proto-max-bulk-len` is 1 MB
//! so SETRANGE / SETBIT / APPEND stay small; a reply past 4 MB is dropped.
//!
//! After the sequence the server's invariants must hold:
//! - DEBUG DIGEST's walk of every value (`debug::compute_dataset_digest`);
//! - every value is sound (`rdb::dump::check_sound`: its walks and lookups
//!   agree and it survives DUMP/RESTORE under the server's thresholds);
//! - an RDB save of all databases loads back (expired keys kept, as an AOF
//!   preamble) into a dataset with the same digest and expire count.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use rustredis::commands::CMD_ADMIN;
use rustredis::config::Config;
use rustredis::db::RedisDb;
use rustredis::networking::{
    CLIENT_CLOSE_AFTER_REPLY, CLIENT_CLOSE_ASAP, CLIENT_DENY_BLOCKING, CLIENT_OBUF_LIMIT_HIT,
    Client,
};
use rustredis::rdb::{EncodingLimits, RdbLoadOptions, RdbSaveOptions};
use rustredis::server::Server;

const MAX_COMMANDS: usize = 256;
const REPLY_LIMIT: usize = 4 << 20;

const DENIED: &[&str] = &[
    "migrate",
    "eval",
    "evalsha",
    "eval_ro",
    "evalsha_ro",
    "fcall",
    "fcall_ro",
    "function",
    "script",
    "pfselftest",
    "lolwut",
];

fn setup(flags: u8) -> Option<Server> {
    let mut cfg = Config::default();
    cfg.save_params = Vec::new();
    cfg.proto_max_bulk_len = 1 << 20;
    cfg.maxclients = 16; // the event loop sizes itself by it
    if flags & 1 != 0 {
        let tiny: [(&[u8], &[u8]); 7] = [
            (b"list-max-listpack-size", b"2"),
            (b"hash-max-listpack-entries", b"2"),
            (b"hash-max-listpack-value", b"4"),
            (b"set-max-intset-entries", b"2"),
            (b"zset-max-listpack-entries", b"2"),
            (b"zset-max-listpack-value", b"4"),
            (b"stream-node-max-entries", b"2"),
        ];
        cfg.set(&tiny).ok()?;
    }
    if flags & 4 != 0 {
        cfg.set(&[(b"list-compress-depth", b"1")]).ok()?;
    }
    Server::new(cfg).ok()
}

/// Whether the fuzzer may run this command (see the module docs).
fn allowed(srv: &Server, argv: &[Bytes]) -> bool {
    let Some(idx) = srv.commands.lookup(argv) else {
        return true; // unknown: the server replies an error
    };
    let cmd = &srv.commands.cmds[idx];
    let top = cmd.fullname.split('|').next().unwrap_or("");
    if cmd.flags & CMD_ADMIN != 0 || DENIED.contains(&top) {
        return false;
    }
    if matches!(top, "srandmember" | "hrandfield" | "zrandmember") && argv.len() >= 3 {
        let n = std::str::from_utf8(&argv[2])
            .ok()
            .and_then(|s| s.parse::<i64>().ok());
        if n.is_some_and(|n| !(-1000..=1000).contains(&n)) {
            return false;
        }
    }
    true
}

fn run(srv: &mut Server, c: &mut Client, argv: Vec<Bytes>) {
    c.argv = argv;
    c.reply_hard_limit = REPLY_LIMIT;
    let prev = srv.tracking.current.replace(c.id);
    rustredis::server::process_command(srv, c);
    srv.tracking.current = prev;
    rustredis::tracking::after_process_command(srv, c);
    rustredis::networking::reset_client(c);
    rustredis::pubsub::flush_pending_pushes(srv, c);
    c.reply.clear();
    c.reply_bytes = 0;
    c.sentlen = 0;
    c.flags &= !(CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP | CLIENT_OBUF_LIMIT_HIT);
}

fn check_invariants(srv: &mut Server) {
    let digest = rustredis::debug::compute_dataset_digest(srv);
    let limits = EncodingLimits::from_config(&srv.config);
    for db in &srv.dbs {
        for (_, o) in db.dict.iter() {
            rustredis::rdb::dump::check_sound(&o.v, &limits);
        }
    }

    let mut file = Vec::new();
    let opts = RdbSaveOptions::from_server(srv);

    if let Err(e) = rustredis::rdb::rdb_save_rio(&mut file, &srv.dbs, &opts) {
        panic!("RDB save to memory failed: {e}");
    }
    let mut again: Vec<RedisDb> = (0..srv.dbs.len()).map(RedisDb::new).collect();
    let mut lopts = RdbLoadOptions::from_server(srv);
    lopts.aof_preamble = true; // keep keys that expired meanwhile
    if let Err(e) = rustredis::rdb::rdb_load_rio(&file[..], file.len() as u64, &mut again, &lopts) {
        panic!("our own RDB does not load: {e:?}");
    }
    for (a, b) in srv.dbs.iter().zip(&again) {
        assert_eq!(
            a.dict.len(),
            b.dict.len(),
            "db {} key count changed across RDB",
            a.id
        );
        assert_eq!(
            a.expires.len(),
            b.expires.len(),
            "db {} expire count changed across RDB",
            a.id
        );
    }
    // The digest of the loaded databases, taken in the server's place.
    std::mem::swap(&mut srv.dbs, &mut again);
    let reloaded = rustredis::debug::compute_dataset_digest(srv);
    std::mem::swap(&mut srv.dbs, &mut again);
    assert_eq!(
        rustredis::debug::digest_hex(&digest),
        rustredis::debug::digest_hex(&reloaded),
        "the dataset digest changed across an RDB save and load"
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, script)) = data.split_first() else {
        return;
    };
    let Some(mut srv) = setup(flags) else {
        return;
    };
    let mut c = Client::new(
        1,
        usize::MAX,
        None,
        String::new(),
        String::new(),
        srv.mstime,
    );
    c.flags |= CLIENT_DENY_BLOCKING;
    c.authenticated = true;
    // The default user (all permissions): every command still goes through
    // the ACL check, and its key extraction from the key specs.
    c.user = Some(srv.acl.default_user.clone());
    if flags & 2 != 0 {
        c.resp = 3;
    }
    for line in script.split(|&b| b == b'\n').take(MAX_COMMANDS) {
        let Some(args) = rustredis::util::split_args(line) else {
            continue;
        };
        if args.is_empty() {
            continue;
        }
        let argv: Vec<Bytes> = args.into_iter().map(Bytes::from).collect();
        if !allowed(&srv, &argv) {
            continue;
        }
        run(&mut srv, &mut c, argv);
    }
    rustredis::multi::free_client_multi_state(&mut srv, &mut c);
    check_invariants(&mut srv);
});
