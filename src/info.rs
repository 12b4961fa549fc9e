//! INFO (Redis `genRedisInfoString`): the sections server, clients, memory,
//! persistence, stats, replication, cpu, modules, commandstats, errorstats,
//! latencystats, cluster and keyspace, with Redis 7.0's field names.
//!
//! Section arguments follow Redis 7.0 (`genInfoSectionDict`): several names
//! at once, `default`, `all`, `everything`; sections always come out in the
//! fixed order above whatever the argument order.
//!
//! latencystats: with `latency-tracking yes`, `call` records each command's
//! duration in a per-command HDR histogram (nanoseconds, 1 ns ..= 1 s, two
//! significant digits, as Redis), allocated lazily at the command's first
//! call, so commands never run cost no memory. INFO reads the percentiles of
//! `latency-tracking-info-percentiles` from it with the C library's rounding
//! ([`hdr_value_at_percentile`]). CONFIG RESETSTAT drops the histograms.
//!
//! Values are real: memory figures come from jemalloc's `stats.allocated`
//! (refreshed by the cron) and `/proc/self/statm`; CPU from `getrusage`.
//! Fields of subsystems this build does not have (replication, Lua,
//! modules) report their idle state, which is the truth for this server.

use std::borrow::Cow;
use std::fmt::Write as _;

use hdrhistogram::Histogram;

use crate::networking::Client;
use crate::server::{Metric, Server};
use crate::server_cmds::REDIS_VERSION;

/// jemalloc's allocated bytes (advances the stats epoch first).
pub fn jemalloc_allocated() -> Option<u64> {
    tikv_jemalloc_ctl::epoch::advance().ok()?;
    tikv_jemalloc_ctl::stats::allocated::read()
        .ok()
        .map(|v| v as u64)
}

/// Resident set size of this process in bytes, from /proc/self/statm.
pub fn process_rss() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = s.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn total_system_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// Bytes in Redis's human form: "967.12K", "11.75M", "0B" (Redis `bytesToHuman`).
pub fn bytes_to_human(n: u64) -> String {
    let d = n as f64;
    if n < 1024 {
        format!("{}B", n)
    } else if d < 1024.0 * 1024.0 {
        format!("{:.2}K", d / 1024.0)
    } else if d < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2}M", d / (1024.0 * 1024.0))
    } else if d < 1024.0 * 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2}G", d / (1024.0 * 1024.0 * 1024.0))
    } else if d < 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2}T", d / (1024.0 * 1024.0 * 1024.0 * 1024.0))
    } else {
        format!("{:.2}P", d / (1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0))
    }
}

#[allow(unsafe_code)]
fn rusage(who: i32) -> (f64, f64) {
    // SAFETY: getrusage writes one rusage struct into the zeroed local.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::getrusage(who, &mut ru) } == 0;
    if !ok {
        return (0.0, 0.0);
    }
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    (t(ru.ru_stime), t(ru.ru_utime))
}

/// The sections `INFO` (no argument) and `INFO default` show, in Redis's
/// `genInfoSectionDict` list (`module_list` names the Modules section).
const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "module_list",
    "errorstats",
    "cluster",
    "keyspace",
];

/// Every section in output order, with the names that select it.
const SECTION_ORDER: &[(&str, &[&str])] = &[
    ("server", &["server"]),
    ("clients", &["clients"]),
    ("memory", &["memory"]),
    ("persistence", &["persistence"]),
    ("stats", &["stats"]),
    ("replication", &["replication"]),
    ("cpu", &["cpu"]),
    ("modules", &["module_list", "modules"]),
    ("commandstats", &["commandstats"]),
    ("errorstats", &["errorstats"]),
    ("latencystats", &["latencystats"]),
    ("cluster", &["cluster"]),
    ("keyspace", &["keyspace"]),
];

/// The sections an INFO call asks for (Redis `genInfoSectionDict`).
///
/// No argument means the default sections; `default` adds them; `all`
/// selects every section; `everything` too (it would also add module
/// sections, and no modules exist). Other arguments are section names,
/// case-insensitive, each counted once; names of no section select nothing.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct InfoSections {
    /// Requested section names, lowercased, without duplicates.
    pub names: Vec<String>,
    /// `all` or `everything` was given.
    pub all: bool,
    /// `everything` was given.
    pub everything: bool,
}

impl InfoSections {
    /// Parses INFO's arguments (everything after the command name).
    pub fn from_args<A: AsRef<[u8]>>(args: &[A]) -> InfoSections {
        let mut s = InfoSections::default();
        let add = |names: &mut Vec<String>, n: String| {
            if !names.contains(&n) {
                names.push(n);
            }
        };
        if args.is_empty() {
            for d in DEFAULT_SECTIONS {
                add(&mut s.names, d.to_string());
            }
            return s;
        }
        for a in args {
            let a = String::from_utf8_lossy(a.as_ref()).to_lowercase();
            match a.as_str() {
                "default" => {
                    for d in DEFAULT_SECTIONS {
                        add(&mut s.names, d.to_string());
                    }
                }
                "all" => s.all = true,
                "everything" => {
                    s.all = true;
                    s.everything = true;
                }
                _ => add(&mut s.names, a),
            }
        }
        s
    }

    /// True when the section `name` (as in [`SECTION_ORDER`]) is selected.
    fn wants(&self, selectors: &[&str]) -> bool {
        self.all || selectors.iter().any(|x| self.names.iter().any(|n| n == x))
    }
}

/// The `loading_*` lines shown while loading (Redis `genRedisInfoString`):
/// progress against the file size (or, when unknown, against the
/// `used-mem` recorded in the file, capped at 99.99%) and an ETA from the
/// rate so far (1 s during the first second).
fn loading_fields(srv: &Server, now_s: i64, o: &mut String) {
    let r = &srv.rdb;
    let (perc, remaining) = if r.loading_total_bytes > 0 {
        (
            r.loading_loaded_bytes as f64 / r.loading_total_bytes as f64 * 100.0,
            r.loading_total_bytes as i64 - r.loading_loaded_bytes as i64,
        )
    } else if r.loading_rdb_used_mem > 0 {
        let perc =
            (r.loading_loaded_bytes as f64 / r.loading_rdb_used_mem as f64 * 100.0).min(99.99);
        let rem = (r.loading_rdb_used_mem as i64 - r.loading_loaded_bytes as i64).max(1);
        (perc, rem)
    } else {
        (0.0, 1)
    };
    let elapsed = now_s - r.loading_start_time;
    let eta = if elapsed == 0 {
        1
    } else {
        elapsed * remaining / (r.loading_loaded_bytes as i64 + 1)
    };
    let _ = write!(
        o,
        "loading_start_time:{}\r\nloading_total_bytes:{}\r\nloading_rdb_used_mem:{}\r\nloading_loaded_bytes:{}\r\nloading_loaded_perc:{:.2}\r\nloading_eta_seconds:{}\r\n",
        r.loading_start_time,
        r.loading_total_bytes,
        r.loading_rdb_used_mem,
        r.loading_loaded_bytes,
        perc,
        eta
    );
}

/// Builds the INFO text for INFO's arguments `sections` (see
/// [`InfoSections::from_args`]; no argument = the default sections), as
/// Redis `genRedisInfoString` does: the selected sections in Redis's order
/// (server, clients, memory, persistence, stats, replication, cpu, modules,
/// commandstats, errorstats, latencystats, cluster, keyspace), separated
/// by an empty line (`\r\n`); an empty string when no known section is
/// selected. The current client `c` counts among the connected clients.
pub fn gen_info_string(srv: &mut Server, c: &Client, sections: &[String]) -> String {
    gen_info_string_for(srv, c, &InfoSections::from_args(sections))
}

/// [`gen_info_string`] for already parsed section arguments.
pub fn gen_info_string_for(srv: &mut Server, c: &Client, want: &InfoSections) -> String {
    srv.refresh_memory_stats();
    let mut out = String::new();
    let mut first = true;
    for (name, selectors) in SECTION_ORDER {
        if !want.wants(selectors) {
            continue;
        }
        if !first {
            out.push_str("\r\n");
        }
        first = false;
        section(srv, c, name, &mut out);
    }
    out
}

fn section(srv: &Server, c: &Client, name: &str, o: &mut String) {
    let now_ms = srv.mstime;
    match name {
        "server" => {
            let uptime = (now_ms - srv.start_time_ms) / 1000;
            // `tcp_port` shows the TLS port when there is no TCP one, as in Redis.
            let port = if srv.config.port != 0 {
                srv.config.port
            } else {
                srv.config.tls_port
            };
            let _ = write!(
                o,
                "# Server\r\nredis_version:{}\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:0\r\nredis_mode:standalone\r\nos:{}\r\narch_bits:64\r\nmonotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:epoll\r\natomicvar_api:c11-builtin\r\ngcc_version:0.0.0\r\nprocess_id:{}\r\nprocess_supervised:no\r\nrun_id:{}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\nuptime_in_seconds:{}\r\nuptime_in_days:{}\r\nhz:{}\r\nconfigured_hz:{}\r\nlru_clock:{}\r\nexecutable:{}\r\nconfig_file:{}\r\nio_threads_active:0\r\n",
                REDIS_VERSION,
                os_string(),
                srv.pid,
                srv.run_id,
                port,
                crate::util::ustime(),
                uptime,
                uptime / 86400,
                srv.hz,
                srv.config.hz,
                srv.lru_clock(),
                srv.executable,
                srv.config_file.as_deref().unwrap_or(""),
            );
            if crate::server::is_shutdown_initiated(srv) {
                let _ = write!(
                    o,
                    "shutdown_in_milliseconds:{}\r\n",
                    srv.shutdown_mstime - srv.mstime
                );
            }
            let _ = write!(o, "rustredis_version:{}\r\n", env!("CARGO_PKG_VERSION"));
        }
        "clients" => {
            // Sampled by the clients cron over the last seconds, as Redis.
            let (max_in, max_out) = crate::networking::get_expansive_clients_info(srv);
            let _ = write!(
                o,
                "# Clients\r\nconnected_clients:{}\r\ncluster_connections:0\r\nmaxclients:{}\r\nclient_recent_max_input_buffer:{}\r\nclient_recent_max_output_buffer:{}\r\nblocked_clients:{}\r\ntracking_clients:{}\r\nclients_in_timeout_table:{}\r\n",
                // Replicas are not counted (Redis: clients minus slaves).
                srv.connected_clients
                    .saturating_sub(srv.repl.replicas.len()),
                srv.config.maxclients,
                max_in,
                max_out,
                crate::blocked::blocked_clients(srv) + crate::networking::postponed_clients(srv),
                srv.tracking.tracking_clients,
                crate::blocked::clients_in_timeout_table(srv)
            );
        }
        "memory" => {
            // Redis `genRedisInfoString`'s memory section: the overhead
            // breakdown of MEMORY STATS, the cron's allocator sample, and
            // the used memory read now.
            let mh = crate::evict::get_memory_overhead_data(srv, Some(c));
            let used = mh.total_allocated;
            let ms = srv.evict.cron_malloc_stats;
            let rss = ms.process_rss;
            let peak = mh.peak_allocated;
            let maxmemory = srv.config.maxmemory;
            let lua_vm = crate::eval::eval_memory(srv) as u64;
            let lua_vm_h = bytes_to_human(lua_vm);
            let cached_scripts = srv.script.scripts.len();
            let defrag_running = srv.defrag.running;
            let functions_fields =
                crate::function::info_memory_fields(srv, lua_vm, mh.lua_caches as i64);
            let _ = write!(
                o,
                "# Memory\r\nused_memory:{used}\r\nused_memory_human:{}\r\nused_memory_rss:{rss}\r\nused_memory_rss_human:{}\r\nused_memory_peak:{peak}\r\nused_memory_peak_human:{}\r\nused_memory_peak_perc:{:.2}%\r\nused_memory_overhead:{}\r\nused_memory_startup:{}\r\nused_memory_dataset:{}\r\nused_memory_dataset_perc:{:.2}%\r\nallocator_allocated:{}\r\nallocator_active:{}\r\nallocator_resident:{}\r\ntotal_system_memory:{}\r\ntotal_system_memory_human:{}\r\nused_memory_lua:{lua_vm}\r\nused_memory_vm_eval:{lua_vm}\r\nused_memory_lua_human:{lua_vm_h}\r\nused_memory_scripts_eval:{}\r\nnumber_of_cached_scripts:{cached_scripts}\r\n{functions_fields}maxmemory:{maxmemory}\r\nmaxmemory_human:{}\r\nmaxmemory_policy:{}\r\nallocator_frag_ratio:{:.2}\r\nallocator_frag_bytes:{}\r\nallocator_rss_ratio:{:.2}\r\nallocator_rss_bytes:{}\r\nrss_overhead_ratio:{:.2}\r\nrss_overhead_bytes:{}\r\nmem_fragmentation_ratio:{:.2}\r\nmem_fragmentation_bytes:{}\r\nmem_not_counted_for_evict:{}\r\nmem_replication_backlog:{}\r\nmem_total_replication_buffers:{}\r\nmem_clients_slaves:{}\r\nmem_clients_normal:{}\r\nmem_cluster_links:{}\r\nmem_aof_buffer:{}\r\nmem_allocator:jemalloc-5.3.0\r\nactive_defrag_running:{defrag_running}\r\nlazyfree_pending_objects:{}\r\nlazyfreed_objects:{}\r\n",
                bytes_to_human(used),
                bytes_to_human(rss),
                bytes_to_human(peak),
                mh.peak_perc,
                mh.overhead_total,
                mh.startup_allocated,
                mh.dataset,
                mh.dataset_perc,
                ms.allocator_allocated,
                ms.allocator_active,
                ms.allocator_resident,
                total_system_memory(),
                bytes_to_human(total_system_memory()),
                mh.lua_caches,
                bytes_to_human(maxmemory),
                srv.config.maxmemory_policy.name(),
                mh.allocator_frag,
                mh.allocator_frag_bytes,
                mh.allocator_rss,
                mh.allocator_rss_bytes,
                mh.rss_extra,
                mh.rss_extra_bytes,
                mh.total_frag,
                mh.total_frag_bytes,
                crate::evict::free_memory_get_not_counted_memory(srv),
                mh.repl_backlog,
                crate::replication::master::repl_buffer_mem(srv),
                mh.clients_slaves,
                mh.clients_normal,
                mh.cluster_links,
                mh.aof_buffer,
                crate::bio::lazyfree_pending_objects(),
                crate::bio::lazyfreed_objects(),
            );
        }
        "persistence" => {
            let ch = &srv.child;
            let rdb_child = ch.kind == crate::childinfo::ChildType::Rdb;
            let now_s = crate::util::mstime() / 1000;
            let fork_perc = if ch.keys_total > 0 {
                ch.keys_processed as f64 / ch.keys_total as f64 * 100.0
            } else {
                0.0
            };
            let cow_age = if ch.cow_updated_ms > 0 {
                ((crate::util::mstime() - ch.cow_updated_ms).max(0) / 1000) as u64
            } else {
                0
            };
            let _ = write!(
                o,
                "# Persistence\r\nloading:{}\r\nasync_loading:{}\r\ncurrent_cow_peak:{}\r\ncurrent_cow_size:{}\r\ncurrent_cow_size_age:{}\r\ncurrent_fork_perc:{:.2}\r\ncurrent_save_keys_processed:{}\r\ncurrent_save_keys_total:{}\r\nrdb_changes_since_last_save:{}\r\nrdb_bgsave_in_progress:{}\r\nrdb_last_save_time:{}\r\nrdb_last_bgsave_status:{}\r\nrdb_last_bgsave_time_sec:{}\r\nrdb_current_bgsave_time_sec:{}\r\nrdb_saves:{}\r\nrdb_last_cow_size:{}\r\nrdb_last_load_keys_expired:{}\r\nrdb_last_load_keys_loaded:{}\r\n",
                (srv.loading && !srv.rdb.async_loading) as i32,
                srv.rdb.async_loading as i32,
                ch.cow_peak,
                ch.cow_size,
                cow_age,
                fork_perc,
                ch.keys_processed,
                ch.keys_total,
                srv.dirty,
                rdb_child as i32,
                srv.lastsave,
                if srv.rdb.lastbgsave_ok { "ok" } else { "err" },
                srv.rdb.save_time_last,
                if rdb_child && srv.rdb.save_time_start >= 0 {
                    now_s - srv.rdb.save_time_start
                } else {
                    -1
                },
                srv.stat_rdb_saves,
                ch.rdb_cow_bytes,
                srv.rdb_last_load_keys_expired,
                srv.rdb_last_load_keys_loaded
            );
            crate::aof::info_aof_fields(srv, o);
            o.push_str("module_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n");
            if srv.loading {
                loading_fields(srv, now_s, o);
            }
        }
        "stats" => {
            let kbps = |m: Metric| srv.get_instantaneous_metric(m) as f64 / 1024.0;
            let df = &srv.defrag;
            let (df_hits, df_misses, df_key_hits, df_key_misses) =
                (df.hits, df.misses, df.key_hits, df.key_misses);
            let df_current = df.current_time_ms();
            let df_total = df.total_time_ms + df_current;
            let _ = write!(
                o,
                "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\ninstantaneous_ops_per_sec:{}\r\ntotal_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\ntotal_net_repl_input_bytes:{}\r\ntotal_net_repl_output_bytes:{}\r\ninstantaneous_input_kbps:{:.2}\r\ninstantaneous_output_kbps:{:.2}\r\ninstantaneous_input_repl_kbps:{:.2}\r\ninstantaneous_output_repl_kbps:{:.2}\r\nrejected_connections:{}\r\nsync_full:{}\r\nsync_partial_ok:{}\r\nsync_partial_err:{}\r\nexpired_keys:{}\r\nexpired_stale_perc:{:.2}\r\nexpired_time_cap_reached_count:{}\r\nexpire_cycle_cpu_milliseconds:{}\r\nevicted_keys:{}\r\nevicted_clients:{}\r\ntotal_eviction_exceeded_time:{}\r\ncurrent_eviction_exceeded_time:{}\r\nkeyspace_hits:{}\r\nkeyspace_misses:{}\r\npubsub_channels:{}\r\npubsub_patterns:{}\r\npubsubshard_channels:{}\r\nlatest_fork_usec:{}\r\ntotal_forks:{}\r\nmigrate_cached_sockets:{}\r\nslave_expires_tracked_keys:{}\r\nactive_defrag_hits:{df_hits}\r\nactive_defrag_misses:{df_misses}\r\nactive_defrag_key_hits:{df_key_hits}\r\nactive_defrag_key_misses:{df_key_misses}\r\ntotal_active_defrag_time:{df_total}\r\ncurrent_active_defrag_time:{df_current}\r\ntracking_total_keys:{}\r\ntracking_total_items:{}\r\ntracking_total_prefixes:{}\r\nunexpected_error_replies:{}\r\ntotal_error_replies:{}\r\ndump_payload_sanitizations:{}\r\ntotal_reads_processed:{}\r\ntotal_writes_processed:{}\r\nio_threaded_reads_processed:0\r\nio_threaded_writes_processed:0\r\nreply_buffer_shrinks:{}\r\nreply_buffer_expands:{}\r\n",
                srv.stat_numconnections,
                srv.stat_numcommands,
                srv.get_instantaneous_metric(Metric::Command),
                srv.stat_net_input_bytes,
                srv.stat_net_output_bytes,
                srv.repl.stat_net_repl_input_bytes,
                crate::replication::master::stat_net_repl_output_bytes(srv),
                kbps(Metric::NetInput),
                kbps(Metric::NetOutput),
                kbps(Metric::NetInputReplication),
                kbps(Metric::NetOutputReplication),
                srv.stat_rejected_conn,
                srv.repl.master.stat_sync_full,
                srv.repl.master.stat_sync_partial_ok,
                srv.repl.master.stat_sync_partial_err,
                srv.stat_expiredkeys,
                srv.stat_expired_stale_perc * 100.0,
                srv.stat_expired_time_cap_reached_count,
                srv.stat_expire_cycle_time_used / 1000,
                srv.stat_evictedkeys,
                srv.client_admin.stat_evictedclients,
                (srv.evict.stat_total_eviction_exceeded_time
                    + srv.evict.current_eviction_exceeded_time())
                    / 1000,
                srv.evict.current_eviction_exceeded_time() / 1000,
                srv.stat_keyspace_hits,
                srv.stat_keyspace_misses,
                srv.pubsub.channels.len(),
                srv.pubsub.patterns.len(),
                srv.pubsub.shard_channels.len(),
                srv.child.latest_fork_usec,
                srv.child.total_forks,
                srv.dump.migrate_cached_sockets.len(),
                crate::expire::get_slave_key_with_expire_count(srv),
                srv.tracking.total_keys(),
                srv.tracking.total_items(),
                srv.tracking.total_prefixes(),
                srv.stat_unexpected_error_replies,
                srv.stat_total_error_replies,
                srv.dump.stat_dump_payload_sanitizations,
                srv.stat_total_reads_processed,
                srv.stat_total_writes_processed,
                srv.client_admin.stat_reply_buffer_shrinks,
                srv.client_admin.stat_reply_buffer_expands,
            );
        }
        "replication" => crate::replication::failover::gen_info_replication(srv, o),
        "cpu" => {
            let (sys, user) = rusage(libc::RUSAGE_SELF);
            let (csys, cuser) = rusage(libc::RUSAGE_CHILDREN);
            let (tsys, tuser) = rusage(libc::RUSAGE_THREAD);
            let _ = write!(
                o,
                "# CPU\r\nused_cpu_sys:{:.6}\r\nused_cpu_user:{:.6}\r\nused_cpu_sys_children:{:.6}\r\nused_cpu_user_children:{:.6}\r\nused_cpu_sys_main_thread:{:.6}\r\nused_cpu_user_main_thread:{:.6}\r\n",
                sys, user, csys, cuser, tsys, tuser
            );
        }
        "modules" => o.push_str("# Modules\r\n"),
        "commandstats" => {
            o.push_str("# Commandstats\r\n");
            let mut rows: Vec<&crate::commands::RedisCommand> = srv
                .commands
                .cmds
                .iter()
                .filter(|c| c.calls > 0 || c.failed_calls > 0 || c.rejected_calls > 0)
                .collect();
            rows.sort_by(|a, b| a.fullname.cmp(&b.fullname));
            for c in rows {
                // Redis divides in single precision.
                let per = if c.calls > 0 {
                    (c.microseconds as f32 / c.calls as f32) as f64
                } else {
                    0.0
                };
                let _ = write!(
                    o,
                    "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}\r\n",
                    safe_info_string(&c.fullname),
                    c.calls,
                    c.microseconds,
                    per,
                    c.rejected_calls,
                    c.failed_calls
                );
            }
        }
        "errorstats" => {
            o.push_str("# Errorstats\r\n");
            let mut errs: Vec<(&String, &u64)> = srv.errors.iter().collect();
            errs.sort();
            for (k, v) in errs {
                let _ = write!(o, "errorstat_{}:count={}\r\n", k, v);
            }
        }
        "latencystats" => {
            o.push_str("# Latencystats\r\n");
            let mut rows: Vec<&crate::commands::RedisCommand> = srv
                .commands
                .cmds
                .iter()
                .filter(|c| c.latency_histogram.is_some())
                .collect();
            rows.sort_by(|a, b| a.fullname.cmp(&b.fullname));
            for c in rows {
                if let Some(h) = &c.latency_histogram {
                    fill_percentile_distribution_latencies(
                        o,
                        &c.fullname,
                        h,
                        &srv.config.latency_tracking_info_percentiles,
                    );
                }
            }
        }
        "cluster" => o.push_str("# Cluster\r\ncluster_enabled:0\r\n"),
        "keyspace" => {
            o.push_str("# Keyspace\r\n");
            for db in &srv.dbs {
                let keys = db.dict.len();
                if keys > 0 {
                    let _ = write!(
                        o,
                        "db{}:keys={},expires={},avg_ttl={}\r\n",
                        db.id,
                        keys,
                        db.expires.len(),
                        db.avg_ttl
                    );
                }
            }
        }
        _ => {}
    }
}

fn os_string() -> String {
    let rel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("Linux {} {}", rel.trim(), std::env::consts::ARCH)
}

/// INFO [section ...] → bulk (RESP2) / verbatim (RESP3) text; see
/// [`gen_info_string`] for the section rules.
pub fn info_command(srv: &mut Server, c: &mut Client) {
    let want = InfoSections::from_args(&c.argv[1..]);
    let s = gen_info_string_for(srv, c, &want);
    c.add_reply_verbatim(s.as_bytes(), "txt");
}

// ---- Per-command latency histograms (INFO latencystats) ----

/// Smallest value a latency histogram tracks, ns (Redis `LATENCY_HISTOGRAM_MIN_VALUE`).
pub const LATENCY_HISTOGRAM_MIN_VALUE: u64 = 1;
/// Largest value a latency histogram tracks, ns: 1 s (Redis `LATENCY_HISTOGRAM_MAX_VALUE`).
pub const LATENCY_HISTOGRAM_MAX_VALUE: u64 = 1_000_000_000;
/// Significant digits kept across the range (Redis `LATENCY_HISTOGRAM_PRECISION`).
pub const LATENCY_HISTOGRAM_PRECISION: u8 = 2;

/// Adds a call's duration (`duration_us`, microseconds) to the command's
/// latency histogram when `latency-tracking` is on (Redis
/// `updateCommandLatencyHistogram`). The histogram counts nanoseconds,
/// clamped to 1 ns ..= 1 s, and is allocated at the first value recorded.
///
/// # Latency
/// Runs after every command: a flag test, then one bucket increment (a
/// few shifts and an add); the allocation (about 25 KB) happens once per
/// command and again only after CONFIG RESETSTAT.
#[inline]
pub fn update_command_latency_histogram(srv: &mut Server, idx: usize, duration_us: u64) {
    if !srv.config.latency_tracking {
        return;
    }
    record_latency(&mut srv.commands.cmds[idx].latency_histogram, duration_us);
}

fn record_latency(h: &mut Option<Box<Histogram<u64>>>, duration_us: u64) {
    let ns = duration_us
        .saturating_mul(1000)
        .clamp(LATENCY_HISTOGRAM_MIN_VALUE, LATENCY_HISTOGRAM_MAX_VALUE);
    if h.is_none() {
        match Histogram::new_with_bounds(
            LATENCY_HISTOGRAM_MIN_VALUE,
            LATENCY_HISTOGRAM_MAX_VALUE,
            LATENCY_HISTOGRAM_PRECISION,
        ) {
            Ok(n) => *h = Some(Box::new(n)),
            Err(_) => return,
        }
    }
    if let Some(h) = h {
        h.saturating_record(ns);
    }
}

/// The value at `percentile` (0..=100) of a histogram, as the C
/// hdr_histogram's `hdr_value_at_percentile` that Redis uses computes it:
/// the count to reach is `percentile% × total` rounded half up (at least
/// 1); the answer is the highest value equivalent to the bucket where the
/// running count reaches it (the lowest one for percentile 0). 0 for an
/// empty histogram.
pub fn hdr_value_at_percentile(h: &Histogram<u64>, percentile: f64) -> u64 {
    let requested = percentile.min(100.0);
    let count_at = ((requested / 100.0) * h.len() as f64 + 0.5) as u64;
    let count_at = count_at.max(1);
    let mut running = 0u64;
    for v in h.iter_recorded() {
        running += v.count_at_value();
        if running >= count_at {
            let value = v.value_iterated_to();
            return if percentile == 0.0 {
                h.lowest_equivalent(value)
            } else {
                h.highest_equivalent(value)
            };
        }
    }
    0
}

/// Redis's `%f` then `trimDoubleString` rendering of a percentile: "50",
/// "99.9", "0".
pub fn percentile_label(p: f64) -> String {
    let s = format!("{p:.6}");
    let s = s.trim_end_matches('0');
    s.trim_end_matches('.').to_string()
}

/// Appends one INFO latencystats line (Redis
/// `fillPercentileDistributionLatencies`):
/// `latency_percentiles_usec_<name>:p50=1.003,p99=2.007,p99.9=3.007\r\n`,
/// the values in microseconds with 3 decimals.
pub fn fill_percentile_distribution_latencies(
    o: &mut String,
    name: &str,
    h: &Histogram<u64>,
    percentiles: &[f64],
) {
    let _ = write!(o, "latency_percentiles_usec_{}:", safe_info_string(name));
    for (j, p) in percentiles.iter().enumerate() {
        if j > 0 {
            o.push(',');
        }
        let v = hdr_value_at_percentile(h, *p) as f64 / 1000.0;
        let _ = write!(o, "p{}={:.3}", percentile_label(*p), v);
    }
    o.push_str("\r\n");
}

/// Redis `getSafeInfoString`: `#`, `:`, `\n` and `\r` become `_`.
fn safe_info_string(s: &str) -> Cow<'_, str> {
    if s.contains(['#', ':', '\n', '\r']) {
        Cow::Owned(s.replace(['#', ':', '\n', '\r'], "_"))
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_arguments() {
        let none: [&[u8]; 0] = [];
        let d = InfoSections::from_args(&none);
        assert!(!d.all);
        assert_eq!(d.names.len(), DEFAULT_SECTIONS.len());
        assert!(d.wants(&["module_list", "modules"]));
        assert!(!d.wants(&["commandstats"]));
        let s = InfoSections::from_args(&[&b"CommandStats"[..], b"keyspace", b"commandstats"]);
        assert_eq!(s.names, vec!["commandstats", "keyspace"]);
        assert!(!s.wants(&["server"]));
        let s = InfoSections::from_args(&[&b"everything"[..]]);
        assert!(s.all && s.everything && s.wants(&["latencystats"]));
        let s = InfoSections::from_args(&[&b"all"[..]]);
        assert!(s.all && !s.everything);
        let s = InfoSections::from_args(&[&b"default"[..], b"latencystats"]);
        assert!(s.wants(&["latencystats"]) && s.wants(&["server"]) && !s.wants(&["commandstats"]));
        let s = InfoSections::from_args(&[&b"bogus"[..]]);
        assert!(SECTION_ORDER.iter().all(|(_, sel)| !s.wants(sel)));
    }

    #[test]
    fn latency_percentiles_match_c_hdr_histogram() {
        let mut h = None;
        // Values the oracle reported for single calls of 6 µs and 9 µs.
        record_latency(&mut h, 6);
        let hist = h.as_ref().unwrap();
        assert_eq!(hdr_value_at_percentile(hist, 50.0), 6015);
        let mut h9 = None;
        record_latency(&mut h9, 9);
        assert_eq!(hdr_value_at_percentile(h9.as_ref().unwrap(), 99.9), 9023);
        // 0 µs is recorded as 1 ns; above 1 s is clamped to 1 s.
        let mut h = None;
        record_latency(&mut h, 0);
        record_latency(&mut h, 5_000_000);
        let hist = h.as_ref().unwrap();
        assert_eq!(hist.len(), 2);
        assert_eq!(hdr_value_at_percentile(hist, 0.0), 1);
        assert_eq!(hdr_value_at_percentile(hist, 50.0), 1);
        assert!(hdr_value_at_percentile(hist, 100.0) >= 1_000_000_000);
        // Rounding half up: with 3 values, p40 needs 1.2 + 0.5 -> 1 value.
        let mut h = None;
        for us in [1, 100, 10_000] {
            record_latency(&mut h, us);
        }
        let hist = h.as_ref().unwrap();
        assert_eq!(
            hdr_value_at_percentile(hist, 40.0),
            hist.highest_equivalent(1000)
        );
        assert_eq!(
            hdr_value_at_percentile(hist, 50.0),
            hist.highest_equivalent(100_000)
        );
        let mut o = String::new();
        fill_percentile_distribution_latencies(&mut o, "config|get", hist, &[0.0, 50.0, 99.9]);
        assert_eq!(
            o,
            format!(
                "latency_percentiles_usec_config|get:p0={:.3},p50={:.3},p99.9={:.3}\r\n",
                hist.lowest_equivalent(1000) as f64 / 1000.0,
                hist.highest_equivalent(100_000) as f64 / 1000.0,
                hist.highest_equivalent(10_000_000) as f64 / 1000.0
            )
        );
        assert_eq!(percentile_label(99.9), "99.9");
        assert_eq!(percentile_label(50.0), "50");
        assert_eq!(percentile_label(0.0), "0");
        assert_eq!(safe_info_string("a:b#c"), "a_b_c");
    }

    #[test]
    fn human_bytes() {
        assert_eq!(bytes_to_human(0), "0B");
        assert_eq!(bytes_to_human(990328), "967.12K");
        assert_eq!(bytes_to_human(12324864), "11.75M");
        assert_eq!(bytes_to_human(25276502016), "23.54G");
    }
}
