//! The latency monitor (Redis `latency.c`): per-event samples above
//! `latency-monitor-threshold` milliseconds and the LATENCY command.
//!
//! # How it works
//! Code that may stall the event loop measures itself
//! ([`latency_start_monitor`] / [`latency_end_monitor`]) and hands the
//! duration to [`latency_add_sample_if_needed`] under an event name
//! ("command", "fast-command", "expire-cycle", "fork", "aof-fsync-always",
//! ...). While `latency-monitor-threshold` is 0 (the default) nothing is
//! measured or stored. A sample at or above the threshold goes into the
//! event's time series, created on first use: a ring of
//! [`LATENCY_TS_LEN`] samples holding at most one sample per second (a
//! second sample in the same second only raises that second's maximum),
//! plus the all-time maximum. So the memory used is bounded by the number
//! of event names, a short fixed list.
//!
//! LATENCY LATEST, HISTORY and GRAPH read the series; DOCTOR analyses them
//! (average, mean absolute deviation, period) and prints Redis's advice;
//! HISTOGRAM prints the per-command latency histograms that `call` fills
//! when `latency-tracking` is on (kept by `info.rs`).
//!
//! # Order
//! Redis keeps the events in a hash table whose iteration order depends on
//! a random seed, so LATEST and DOCTOR list events in an unspecified order;
//! here they come in the order the events first occurred.

use crate::commands::Handler;
use crate::networking::Client;
use crate::server::Server;

/// Samples kept per event (Redis `LATENCY_TS_LEN`): one per second at most.
pub const LATENCY_TS_LEN: usize = 160;

/// Width of LATENCY GRAPH's plot, in columns (Redis `LATENCY_GRAPH_COLS`).
const LATENCY_GRAPH_COLS: usize = 80;

/// One sample: unix time in seconds (0 = empty slot) and milliseconds.
#[derive(Clone, Copy, Default)]
struct LatencySample {
    time: i64,
    latency: u64,
}

/// The history of one event (Redis `struct latencyTimeSeries`).
struct LatencyTimeSeries {
    /// Where the next sample goes.
    idx: usize,
    /// Highest latency ever added (until the event is reset), ms.
    max: u64,
    samples: [LatencySample; LATENCY_TS_LEN],
}

impl LatencyTimeSeries {
    fn new() -> Self {
        LatencyTimeSeries {
            idx: 0,
            max: 0,
            samples: [LatencySample::default(); LATENCY_TS_LEN],
        }
    }

    /// The non-empty samples, oldest first.
    fn in_order(&self) -> impl Iterator<Item = &LatencySample> {
        (0..LATENCY_TS_LEN)
            .map(move |j| &self.samples[(self.idx + j) % LATENCY_TS_LEN])
            .filter(|s| s.time != 0)
    }

    /// The most recent sample (an empty one if there is none).
    fn last(&self) -> LatencySample {
        self.samples[(self.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN]
    }
}

/// The latency monitor's events (Redis `server.latency_events`), in the
/// order they first occurred.
#[derive(Default)]
pub struct LatencyState {
    events: Vec<(String, Box<LatencyTimeSeries>)>,
    /// Speed of the last fork, GB of used memory per second (Redis
    /// `stat_fork_rate`), for LATENCY DOCTOR.
    pub stat_fork_rate: f64,
}

impl LatencyState {
    fn find(&self, event: &[u8]) -> Option<&(String, Box<LatencyTimeSeries>)> {
        self.events.iter().find(|(n, _)| n.as_bytes() == event)
    }
}

/// LATENCY subcommands.
pub static HANDLERS: &[(&str, Handler)] = &[
    ("latency|latest", latency_latest_command),
    ("latency|history", latency_history_command),
    ("latency|reset", latency_reset_command),
    ("latency|graph", latency_graph_command),
    ("latency|doctor", latency_doctor_command),
    ("latency|histogram", latency_histogram_command),
    ("latency|help", latency_help_command),
];

// ---- Latency API ----

/// Start of a monitored section (Redis `latencyStartMonitor`): the current
/// unix time in ms, or 0 when the monitor is off (nothing is measured).
#[inline]
pub fn latency_start_monitor(srv: &Server) -> i64 {
    if srv.config.latency_monitor_threshold != 0 {
        crate::util::mstime()
    } else {
        0
    }
}

/// Milliseconds since `start` (from [`latency_start_monitor`]), or 0 when
/// the monitor is off (Redis `latencyEndMonitor`).
#[inline]
pub fn latency_end_monitor(srv: &Server, start: i64) -> u64 {
    if srv.config.latency_monitor_threshold != 0 && start != 0 {
        (crate::util::mstime() - start).max(0) as u64
    } else {
        0
    }
}

/// Adds a sample of `duration_ms` milliseconds to `event` when it is at or
/// above `latency-monitor-threshold` (and the threshold is not 0)
/// (Redis `latencyAddSampleIfNeeded`).
#[inline]
pub fn latency_add_sample_if_needed(srv: &mut Server, event: &'static str, duration_ms: u64) {
    let threshold = srv.config.latency_monitor_threshold;
    if threshold != 0 && duration_ms >= threshold as u64 {
        latency_add_sample(srv, event, duration_ms);
    }
}

/// Adds a sample to `event`'s series, creating it (Redis
/// `latencyAddSample`): within the second of the previous sample only that
/// sample's latency is raised, otherwise a new slot is taken.
pub fn latency_add_sample(srv: &mut Server, event: &str, latency_ms: u64) {
    let now = crate::util::mstime() / 1000;
    let events = &mut srv.latency.events;
    let pos = match events.iter().position(|(n, _)| n == event) {
        Some(p) => p,
        None => {
            events.push((event.to_string(), Box::new(LatencyTimeSeries::new())));
            events.len() - 1
        }
    };
    let ts = &mut events[pos].1;
    ts.max = ts.max.max(latency_ms);
    let prev = (ts.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN;
    if ts.samples[prev].time == now {
        ts.samples[prev].latency = ts.samples[prev].latency.max(latency_ms);
        return;
    }
    ts.samples[ts.idx] = LatencySample {
        time: now,
        latency: latency_ms,
    };
    ts.idx = (ts.idx + 1) % LATENCY_TS_LEN;
}

/// Records the speed of a fork that took `fork_us` µs with `used_memory`
/// bytes allocated (Redis `stat_fork_rate`, GB/s), and its "fork" sample.
pub fn latency_record_fork(srv: &mut Server, fork_us: i64, used_memory: u64) {
    if fork_us > 0 {
        srv.latency.stat_fork_rate =
            used_memory as f64 * 1_000_000.0 / fork_us as f64 / (1024.0 * 1024.0 * 1024.0);
    }
    latency_add_sample_if_needed(srv, "fork", (fork_us / 1000).max(0) as u64);
}

/// Forgets `event` (case-insensitively), or every event when `None`
/// (Redis `latencyResetEvent`). Returns how many were removed.
fn latency_reset_event(srv: &mut Server, event: Option<&[u8]>) -> usize {
    let before = srv.latency.events.len();
    srv.latency
        .events
        .retain(|(n, _)| event.is_some_and(|e| !n.as_bytes().eq_ignore_ascii_case(e)));
    before - srv.latency.events.len()
}

// ---- Analysis (DOCTOR) ----

/// Figures about one event's samples (Redis `struct latencyStats`).
#[derive(Default, Debug, PartialEq)]
struct LatencyStats {
    /// Average of the samples, ms (integer division).
    avg: u64,
    /// Mean absolute deviation from `avg`, ms.
    mad: u64,
    /// Number of samples.
    samples: u64,
    /// Seconds from the oldest sample to now (at least 1 with samples).
    period: i64,
}

/// Redis `analyzeLatencyForEvent`, at unix time `now` (seconds).
fn analyze_latency(ts: &LatencyTimeSeries, now: i64) -> LatencyStats {
    let mut ls = LatencyStats::default();
    let mut sum = 0u64;
    let mut oldest = 0i64;
    for s in ts.samples.iter().filter(|s| s.time != 0) {
        ls.samples += 1;
        sum += s.latency;
        if oldest == 0 || s.time < oldest {
            oldest = s.time;
        }
    }
    if ls.samples == 0 {
        return ls;
    }
    ls.avg = sum / ls.samples;
    ls.period = (now - oldest).max(0);
    if ls.period == 0 {
        ls.period = 1;
    }
    let dev: u64 = ts
        .samples
        .iter()
        .filter(|s| s.time != 0)
        .map(|s| (ls.avg as i64 - s.latency as i64).unsigned_abs())
        .sum();
    ls.mad = dev / ls.samples;
    ls
}

/// Bytes of `AnonHugePages` in `/proc/self/smaps` (Redis
/// `THPGetAnonHugePagesSize`); 0 when unknown.
fn thp_anon_huge_pages_size() -> u64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/smaps_rollup") else {
        return 0;
    };
    s.lines()
        .filter_map(|l| l.strip_prefix("AnonHugePages:"))
        .filter_map(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .sum()
}

/// The advice texts of LATENCY DOCTOR, in the order they are printed.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Advice {
    BetterVm,
    SlowlogEnabled,
    SlowlogTuning,
    SlowlogInspect,
    Scheduler,
    LocalDisk,
    Ssd,
    DataWriteback,
    DiskContention,
    NoAppendfsync,
    RelaxFsyncPolicy,
    WriteLoadInfo,
    Hz,
    LargeObjects,
    MassEviction,
    DisableThp,
}

/// LATENCY DOCTOR's report (Redis `createLatencyReport`): one line per
/// event with its figures, then the advice its events call for.
fn create_latency_report(srv: &Server, now: i64) -> String {
    let threshold = srv.config.latency_monitor_threshold;
    if srv.latency.events.is_empty() && threshold == 0 {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".to_string();
    }
    let mut report = String::new();
    let mut advice: Vec<Advice> = Vec::new();
    // Redis counts advice per event (duplicates included): only whether
    // the count is zero matters for the text.
    let mut advices = 0usize;
    let mut add = |list: &mut Vec<Advice>, a: &[Advice]| {
        list.extend_from_slice(a);
        advices += a.len();
    };
    for (eventnum, (event, ts)) in srv.latency.events.iter().enumerate() {
        let eventnum = eventnum + 1;
        if eventnum == 1 {
            report.push_str("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
        }
        let ls = analyze_latency(ts, now);
        let per = if ls.samples == 0 {
            f64::NAN
        } else {
            ls.period as f64 / ls.samples as f64
        };
        report.push_str(&format!(
            "{}. {}: {} latency spikes (average {}ms, mean deviation {}ms, period {:.2} sec). Worst all time event {}ms.",
            eventnum,
            event,
            ls.samples,
            ls.avg,
            ls.mad,
            per,
            ts.max
        ));
        match event.to_ascii_lowercase().as_str() {
            "fork" => {
                let rate = srv.latency.stat_fork_rate;
                let quality = if rate < 10.0 {
                    add(&mut advice, &[Advice::BetterVm]);
                    "terrible"
                } else if rate < 25.0 {
                    add(&mut advice, &[Advice::BetterVm]);
                    "poor"
                } else if rate < 100.0 {
                    "good"
                } else {
                    "excellent"
                };
                report.push_str(&format!(" Fork rate is {:.2} GB/sec ({}).", rate, quality));
            }
            "command" => {
                let slower = srv.config.slowlog_log_slower_than;
                if slower < 0 {
                    add(&mut advice, &[Advice::SlowlogEnabled]);
                } else if slower / 1000 > threshold {
                    add(&mut advice, &[Advice::SlowlogTuning]);
                }
                add(&mut advice, &[Advice::SlowlogInspect, Advice::LargeObjects]);
            }
            "fast-command" => add(&mut advice, &[Advice::Scheduler]),
            "aof-write-pending-fsync" => add(
                &mut advice,
                &[
                    Advice::LocalDisk,
                    Advice::DiskContention,
                    Advice::Ssd,
                    Advice::DataWriteback,
                ],
            ),
            "aof-write-active-child" => add(
                &mut advice,
                &[Advice::NoAppendfsync, Advice::DataWriteback, Advice::Ssd],
            ),
            "aof-write-alone" => add(
                &mut advice,
                &[Advice::LocalDisk, Advice::DataWriteback, Advice::Ssd],
            ),
            "aof-fsync-always" => add(&mut advice, &[Advice::RelaxFsyncPolicy]),
            "aof-fstat" | "rdb-unlink-temp-file" => {
                add(&mut advice, &[Advice::DiskContention, Advice::LocalDisk])
            }
            "aof-rewrite-diff-write" | "aof-rename" => add(
                &mut advice,
                &[
                    Advice::WriteLoadInfo,
                    Advice::DataWriteback,
                    Advice::Ssd,
                    Advice::LocalDisk,
                ],
            ),
            "expire-cycle" => add(&mut advice, &[Advice::Hz, Advice::LargeObjects]),
            "eviction-del" => add(&mut advice, &[Advice::LargeObjects]),
            "eviction-cycle" => add(&mut advice, &[Advice::MassEviction]),
            _ => {}
        }
        report.push('\n');
    }
    if thp_anon_huge_pages_size() > 0 {
        add(&mut advice, &[Advice::DisableThp]);
    }
    let eventnum = srv.latency.events.len();
    if eventnum == 0 && advices == 0 {
        report.push_str("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n");
        return report;
    }
    if eventnum > 0 && advices == 0 {
        report.push_str("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n");
        return report;
    }
    report.push_str("\nI have a few advices for you:\n\n");
    advice.sort();
    advice.dedup();
    for a in advice {
        let text: String = match a {
            Advice::BetterVm => "- If you are using a virtual machine, consider upgrading it with a faster one using a hypervisior that provides less latency during fork() calls. Xen is known to have poor fork() performance. Even in the context of the same VM provider, certain kinds of instances can execute fork faster than others.\n".into(),
            Advice::SlowlogEnabled => format!("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n", threshold as u64 * 1000),
            Advice::SlowlogTuning => format!("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {}'.\n", threshold as u64 * 1000),
            Advice::SlowlogInspect => "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n".into(),
            Advice::Scheduler => "- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n".into(),
            Advice::LocalDisk => "- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n".into(),
            Advice::Ssd => "- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.\n".into(),
            Advice::DataWriteback => "- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have a half-written command at the end and will require to be repaired before Redis restarts.\n".into(),
            Advice::DiskContention => "- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).\n".into(),
            Advice::NoAppendfsync => "- Assuming from the point of view of data safety this is viable in your environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not be performed while there is a child rewriting the AOF file or producing an RDB file (the moment where there is high disk contention).\n".into(),
            Advice::RelaxFsyncPolicy => {
                if srv.config.appendfsync != crate::config::AppendFsync::Always {
                    continue;
                }
                "- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n".into()
            }
            Advice::WriteLoadInfo => "- Latency during the AOF atomic rename operation or when the final difference is flushed to the AOF file at the end of the rewrite, sometimes is caused by very high write load, causing the AOF buffer to get very large. If possible try to send less commands to accomplish the same work, or use Lua scripts to group multiple operations into a single EVALSHA call.\n".into(),
            Advice::Hz => {
                if srv.hz >= 100 {
                    continue;
                }
                "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n".into()
            }
            Advice::LargeObjects => "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n".into(),
            Advice::MassEviction => "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n".into(),
            Advice::DisableThp => "- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n".into(),
        };
        report.push_str(&text);
    }
    report
}

// ---- GRAPH ----

/// The label of a sample `elapsed` seconds old: "12s", "5m", "3h", "2d".
fn elapsed_label(elapsed: i64) -> String {
    if elapsed < 60 {
        format!("{}s", elapsed)
    } else if elapsed < 3600 {
        format!("{}m", elapsed / 60)
    } else if elapsed < 3600 * 24 {
        format!("{}h", elapsed / 3600)
    } else {
        format!("{}d", elapsed / (3600 * 24))
    }
}

/// Renders values with labels as a filled ASCII sparkline of `rows` rows
/// (Redis `sparklineRender` with `SPARKLINE_FILL`): each row resolves
/// three levels (`_`, `o`, `#`, with `|` below the top), columns wrap at
/// `columns`, and each chunk is followed by a blank line and the labels
/// written vertically.
fn sparkline_render(samples: &[(f64, String)], columns: usize, rows: usize) -> String {
    const FILL: &[u8] = b"_o#";
    let mut out = String::new();
    if samples.is_empty() {
        return out;
    }
    let mut min = samples[0].0;
    let mut max = samples[0].0;
    for &(v, _) in &samples[1..] {
        if v < min {
            min = v;
        } else if v > max {
            max = v;
        }
    }
    let has_labels = samples.iter().any(|(_, l)| !l.is_empty());
    let mut relmax = max - min;
    if relmax == 0.0 {
        relmax = 1.0;
    }
    let steps = (FILL.len() * rows) as i64;
    for (chunk_no, chunk) in samples.chunks(columns).enumerate() {
        if chunk_no != 0 {
            out.push('\n');
        }
        let step_of = |v: f64| -> i64 {
            let scaled = ((v - min) * steps as f64) as i64;
            ((scaled as f64 / relmax) as i64).clamp(0, steps - 1)
        };
        let mut row = 0usize;
        loop {
            let mut more = false;
            let mut line = vec![b' '; chunk.len()];
            for (j, (v, label)) in chunk.iter().enumerate() {
                if row < rows {
                    more = true;
                    let charidx = step_of(*v) - ((rows - row - 1) * FILL.len()) as i64;
                    if (0..FILL.len() as i64).contains(&charidx) {
                        line[j] = FILL[charidx as usize];
                    } else if charidx >= FILL.len() as i64 {
                        line[j] = b'|';
                    }
                } else {
                    // One blank row between the plot and the labels.
                    if has_labels && row - rows < 1 {
                        more = true;
                        break;
                    }
                    let label_char = row - rows - 1;
                    if let Some(&ch) = label.as_bytes().get(label_char) {
                        more = true;
                        line[j] = ch;
                    }
                }
            }
            if !more {
                break;
            }
            row += 1;
            out.push_str(&String::from_utf8_lossy(&line));
            out.push('\n');
        }
    }
    out
}

/// LATENCY GRAPH's text for one event at unix time `now` (Redis
/// `latencyCommandGenSparkeline`).
fn latency_graph(event: &str, ts: &LatencyTimeSeries, now: i64) -> String {
    let samples: Vec<(f64, String)> = ts
        .in_order()
        .map(|s| (s.latency as f64, elapsed_label(now - s.time)))
        .collect();
    let max = ts.in_order().map(|s| s.latency).max().unwrap_or(0);
    let min = ts.in_order().map(|s| s.latency).min().unwrap_or(0);
    let mut g = format!(
        "{} - high {} ms, low {} ms (all time high {} ms)\n",
        event, max, min, ts.max
    );
    g.push_str(&"-".repeat(LATENCY_GRAPH_COLS));
    g.push('\n');
    g.push_str(&sparkline_render(&samples, LATENCY_GRAPH_COLS, 4));
    g
}

// ---- Commands ----

/// LATENCY LATEST → one `[event, unix time, latest ms, all-time max ms]`
/// per event.
pub fn latency_latest_command(srv: &mut Server, c: &mut Client) {
    c.add_reply_array_len(srv.latency.events.len());
    for (name, ts) in &srv.latency.events {
        let last = ts.last();
        c.add_reply_array_len(4);
        c.add_reply_bulk(name.as_bytes());
        c.add_reply_long_long(last.time);
        c.add_reply_long_long(last.latency as i64);
        c.add_reply_long_long(ts.max as i64);
    }
}

/// LATENCY HISTORY event → `[unix time, ms]` pairs, oldest first; empty
/// for an unknown event (names are case-sensitive, as in Redis).
pub fn latency_history_command(srv: &mut Server, c: &mut Client) {
    let Some((_, ts)) = srv.latency.find(&c.argv[2]) else {
        c.add_reply_array_len(0);
        return;
    };
    let samples: Vec<LatencySample> = ts.in_order().copied().collect();
    c.add_reply_array_len(samples.len());
    for s in samples {
        c.add_reply_array_len(2);
        c.add_reply_long_long(s.time);
        c.add_reply_long_long(s.latency as i64);
    }
}

/// LATENCY RESET [event ...] → integer: events removed (all without
/// arguments; names compared case-insensitively).
pub fn latency_reset_command(srv: &mut Server, c: &mut Client) {
    let n = if c.argv.len() == 2 {
        latency_reset_event(srv, None)
    } else {
        let mut n = 0;
        for j in 2..c.argv.len() {
            n += latency_reset_event(srv, Some(&c.argv[j]));
        }
        n
    };
    c.add_reply_long_long(n as i64);
}

/// LATENCY GRAPH event → verbatim text: the event's samples as an ASCII
/// graph. Error: `ERR No samples available for event '<event>'`.
pub fn latency_graph_command(srv: &mut Server, c: &mut Client) {
    let now = crate::util::mstime() / 1000;
    match srv.latency.find(&c.argv[2]) {
        Some((name, ts)) => {
            let g = latency_graph(name, ts, now);
            c.add_reply_verbatim(g.as_bytes(), "txt");
        }
        None => {
            let event = c.argv[2].clone();
            c.add_reply_error_arg("ERR No samples available for event '", &event, "'");
        }
    }
}

/// LATENCY DOCTOR → verbatim text: the analysis of the events (see
/// [`create_latency_report`]).
pub fn latency_doctor_command(srv: &mut Server, c: &mut Client) {
    let r = create_latency_report(srv, crate::util::mstime() / 1000);
    c.add_reply_verbatim(r.as_bytes(), "txt");
}

/// LATENCY HISTOGRAM [command ...] → map of command name → `{calls,
/// histogram_usec}` for the commands (subcommands included) with samples;
/// unknown names are skipped. See `info::command_latency_histogram`.
pub fn latency_histogram_command(srv: &mut Server, c: &mut Client) {
    let idxs: Vec<usize> = if c.argv.len() == 2 {
        (0..srv.commands.cmds.len()).collect()
    } else {
        let mut v = Vec::new();
        for j in 2..c.argv.len() {
            let Some(i) = srv.commands.lookup_by_fullname(&c.argv[j]) else {
                continue;
            };
            v.push(i);
            if srv.commands.cmds[i].subcommands.is_some() {
                v.extend(
                    srv.commands
                        .cmds
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| s.parent == Some(i))
                        .map(|(k, _)| k),
                );
            }
        }
        v
    };
    // (command index, calls, distribution)
    type WithData = (usize, u64, Vec<(u64, u64)>);
    let with_data: Vec<WithData> = idxs
        .into_iter()
        .filter_map(|i| {
            let h = srv.commands.cmds[i].latency_histogram.as_deref()?;
            Some((i, h.len(), command_latency_cdf(h)))
        })
        .collect();
    c.add_reply_map_len(with_data.len());
    for (i, calls, buckets) in with_data {
        c.add_reply_bulk(srv.commands.cmds[i].fullname.as_bytes());
        c.add_reply_map_len(2);
        c.add_reply_bulk(b"calls");
        c.add_reply_long_long(calls as i64);
        c.add_reply_bulk(b"histogram_usec");
        c.add_reply_map_len(buckets.len());
        for (us, n) in buckets {
            c.add_reply_long_long(us as i64);
            c.add_reply_long_long(n as i64);
        }
    }
}

/// The cumulative distribution LATENCY HISTOGRAM prints for one command
/// (Redis `fillCommandCDF`): at every power of two from 1024 ns, the
/// number of calls up to that value's bucket, labelled with the bucket's
/// highest value in µs; a step is printed only when the count grew. This
/// walks the histogram as the C hdr_histogram's logarithmic iterator
/// does (base 2, first bucket 1024 ns).
pub fn command_latency_cdf(h: &hdrhistogram::Histogram<u64>) -> Vec<(u64, u64)> {
    let total = h.len();
    let mut out = Vec::new();
    let mut prev = 0;
    let mut level: u64 = 1024;
    loop {
        let beyond = level > h.high();
        let top = h.highest_equivalent(if beyond { h.high() } else { level });
        let cumulative = h.count_between(0, top);
        if cumulative > prev {
            out.push((top / 1000, cumulative));
            prev = cumulative;
        }
        if cumulative >= total || beyond {
            break;
        }
        level *= 2;
    }
    out
}

/// LATENCY HELP → help lines.
pub fn latency_help_command(_srv: &mut Server, c: &mut Client) {
    c.add_reply_help(
        "latency",
        &[
            "DOCTOR",
            "    Return a readable analysis of the latency events observed.",
            "GRAPH <event>",
            "    Return an ASCII graph of the samples of the <event> class.",
            "HISTORY <event>",
            "    Return the (time, latency) samples of the <event> class.",
            "LATEST",
            "    Return the most recent sample of every event class.",
            "RESET [<event> ...]",
            "    Forget the samples of the given <event> classes.",
            "    (without arguments: of every event class)",
            "HISTOGRAM [COMMAND ...]",
            "    Return the cumulative latency distribution of the given commands as a histogram.",
            "    Without commands, every command with samples is returned.",
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(samples: &[(i64, u64)]) -> LatencyTimeSeries {
        let mut ts = LatencyTimeSeries::new();
        for &(t, l) in samples {
            ts.samples[ts.idx] = LatencySample {
                time: t,
                latency: l,
            };
            ts.idx = (ts.idx + 1) % LATENCY_TS_LEN;
            ts.max = ts.max.max(l);
        }
        ts
    }

    #[test]
    fn analysis_matches_redis_integer_math() {
        let ts = series(&[(100, 10), (101, 20), (105, 31)]);
        let ls = analyze_latency(&ts, 110);
        assert_eq!(
            ls,
            LatencyStats {
                avg: 20,
                mad: 21 / 3,
                samples: 3,
                period: 10
            }
        );
        assert_eq!(analyze_latency(&series(&[(110, 5)]), 110).period, 1);
    }

    #[test]
    fn graph_shape() {
        let ts = series(&[(100, 500), (101, 250), (102, 1000)]);
        let g = latency_graph("command", &ts, 102);
        let expected = concat!(
            "command - high 1000 ms, low 250 ms (all time high 1000 ms)\n",
            "--------------------------------------------------------------------------------\n",
            "  #\n",
            "  |\n",
            "o |\n",
            "|_|\n",
            "   \n",
            "210\n",
            "sss\n"
        );
        assert_eq!(g, expected);
    }

    #[test]
    fn histogram_cdf_steps_like_hdr_log_iterator() {
        let mut h = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 1_000_000_000, 2).unwrap();
        for v in [1500u64, 1500, 3000, 100_000] {
            h.record(v).unwrap();
        }
        // Levels 1024, 2048, 4096, ... ns; labels are each level's bucket
        // top in µs (2048 + 16 - 1 → 2; 131072 + 1024 - 1 → 132).
        assert_eq!(command_latency_cdf(&h), vec![(2, 2), (4, 3), (132, 4)]);
        let mut h = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 1_000_000_000, 2).unwrap();
        h.record(1_000_000_000).unwrap();
        let cdf = command_latency_cdf(&h);
        assert_eq!(cdf.len(), 1);
        assert_eq!(cdf[0].1, 1);
        assert!(cdf[0].0 >= 1_000_000);
    }

    #[test]
    fn labels() {
        assert_eq!(elapsed_label(59), "59s");
        assert_eq!(elapsed_label(60), "1m");
        assert_eq!(elapsed_label(7200), "2h");
        assert_eq!(elapsed_label(3 * 86400 + 5), "3d");
    }
}
