//! rustredis: a single-threaded, Redis 7.0-compatible server.
//!
//! The layout follows Redis's own (see `shared/DESIGN.md`): `ae` is the
//! event loop, `networking` the clients and replies, `server` the command
//! flow and cron, `db`/`expire` the keyspace, `t_*` the data types.
#![deny(unsafe_code)]

pub mod acl;
pub mod ae;
pub mod anet;
pub mod aof;
pub mod bio;
pub mod bitops;
pub mod blocked;
pub mod childinfo;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod db;
pub mod debug;
pub mod defrag;
pub mod dict;
pub mod eval;
pub mod evict;
pub mod expire;
pub mod function;
pub mod function_lua;
pub mod geo;
pub mod geohash;
pub mod hyperloglog;
pub mod info;
pub mod intset;
pub mod latency;
pub mod ldb;
pub mod listpack;
pub mod log;
pub mod lolwut;
pub mod lua_libs;
pub mod lzf;
pub mod metrics;
pub mod multi;
pub mod networking;
pub mod notify;
pub mod object;
pub mod pubsub;
pub mod quicklist;
pub mod rdb;
pub mod replication;
pub mod resp;
pub mod script;
pub mod script_lua;
pub mod server;
pub mod server_cmds;
pub mod setproctitle;
pub mod shared;
pub mod slowlog;
pub mod sort;
pub mod stream;
pub mod t_hash;
pub mod t_list;
pub mod t_set;
pub mod t_stream;
pub mod t_stream_cg;
pub mod t_string;
pub mod t_zset;
pub mod tls;
pub mod tracking;
pub mod util;
pub mod watchdog;
pub mod ziplist;

/// The unit tests allocate as the server does (active defrag and the
/// memory figures read jemalloc's view of the heap).
#[cfg(test)]
#[global_allocator]
static TEST_ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
