//! Writing a new AOF base file (Redis `rewriteAppendOnlyFile` and
//! `rewriteAppendOnlyFileRio`).
//!
//! With `aof-use-rdb-preamble yes` the base is an RDB file
//! (`rdb::rdb_save_rio`). Otherwise it is the shortest list of commands
//! that rebuilds the dataset: per database a `SELECT`, then per key `SET`
//! for a string, `RPUSH` / `SADD` / `ZADD` / `HMSET` for collections with
//! at most [`AOF_REWRITE_ITEMS_PER_CMD`] items per command, the XADD /
//! XSETID / XGROUP / XCLAIM sequence of a stream, and
//! `PEXPIREAT` for a key with a time to live. A `#TS:` annotation comes
//! first when `aof-timestamp-enabled` is on.
//!
//! The file is written to `temp-rewriteaof-<pid>.aof`, fsynced (also every
//! 4 MB with `aof-rewrite-incremental-fsync`) and renamed over the target,
//! so a crash never leaves a half-written base under the final name.

use std::fs::File;
use std::io::{self, BufWriter, Write};

use crate::db::RedisDb;
use crate::object::Value;
use crate::server::Server;

/// Most items a rewritten collection command carries (Redis `AOF_REWRITE_ITEMS_PER_CMD`).
pub const AOF_REWRITE_ITEMS_PER_CMD: usize = 64;
/// fsync every this many bytes with `aof-rewrite-incremental-fsync` (Redis `REDIS_AUTOSYNC_BYTES`).
const AUTOSYNC_BYTES: u64 = 4 * 1024 * 1024;

/// A file writer that fsyncs every [`AUTOSYNC_BYTES`] (Redis `rioSetAutoSync`).
struct AutoSync {
    f: File,
    autosync: bool,
    since_sync: u64,
}

impl Write for AutoSync {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let n = self.f.write(b)?;
        self.since_sync += n as u64;
        if self.autosync && self.since_sync >= AUTOSYNC_BYTES {
            self.f.sync_data()?;
            self.since_sync = 0;
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.f.flush()
    }
}

fn bulk_count(w: &mut impl Write, prefix: u8, n: usize) -> io::Result<()> {
    let mut b = itoa::Buffer::new();
    w.write_all(&[prefix])?;
    w.write_all(b.format(n).as_bytes())?;
    w.write_all(b"\r\n")
}

fn bulk(w: &mut impl Write, s: &[u8]) -> io::Result<()> {
    bulk_count(w, b'$', s.len())?;
    w.write_all(s)?;
    w.write_all(b"\r\n")
}

/// Writes `items` as commands `<cmd> <key> item...`, at most
/// [`AOF_REWRITE_ITEMS_PER_CMD`] items (each `per_item` arguments) per command.
fn write_batched<W: Write>(
    w: &mut W,
    cmd: &[u8],
    key: &[u8],
    total: usize,
    per_item: usize,
    mut each: impl FnMut(&mut dyn FnMut(&[&[u8]]) -> io::Result<()>) -> io::Result<()>,
) -> io::Result<()> {
    let mut left = total;
    let mut count = 0usize;
    each(&mut |args: &[&[u8]]| {
        if count == 0 {
            let n = left.min(AOF_REWRITE_ITEMS_PER_CMD);
            bulk_count(w, b'*', 2 + n * per_item)?;
            bulk(w, cmd)?;
            bulk(w, key)?;
        }
        for a in args {
            bulk(w, a)?;
        }
        count += 1;
        if count == AOF_REWRITE_ITEMS_PER_CMD {
            count = 0;
        }
        left = left.saturating_sub(1);
        Ok(())
    })
}

/// Writes the commands that rebuild one key's value (Redis `rewrite*Object`).
fn rewrite_value<W: Write>(w: &mut W, key: &[u8], v: &Value) -> io::Result<()> {
    match v {
        Value::List(ql) => write_batched(w, b"RPUSH", key, ql.len(), 1, |emit| {
            for e in ql.iter() {
                emit(&[&e])?;
            }
            Ok(())
        }),
        Value::Set(s) => write_batched(w, b"SADD", key, s.len(), 1, |emit| {
            let mut res = Ok(());
            s.for_each(|m| {
                if res.is_ok() {
                    res = emit(&[m]);
                }
            });
            res
        }),
        Value::ZSet(z) => write_batched(w, b"ZADD", key, z.len(), 2, |emit| {
            let mut res = Ok(());
            z.for_each(|m, score| {
                if res.is_ok() {
                    let s = crate::util::d2string_g17(score);
                    res = emit(&[&s, m]);
                }
            });
            res
        }),
        Value::Hash(h) => write_batched(w, b"HMSET", key, h.len(), 2, |emit| {
            let mut res = Ok(());
            h.for_each(|f, val| {
                if res.is_ok() {
                    res = emit(&[f, val]);
                }
            });
            res
        }),
        Value::Stream(st) => rewrite_stream_object(w, key, st),
        _ => {
            let mut t = itoa::Buffer::new();
            w.write_all(b"*3\r\n$3\r\nSET\r\n")?;
            bulk(w, key)?;
            bulk(w, v.as_bytes(&mut t))
        }
    }
}

/// Writes one command of `args`.
fn write_command<W: Write>(w: &mut W, args: &[&[u8]]) -> io::Result<()> {
    bulk_count(w, b'*', args.len())?;
    for a in args {
        bulk(w, a)?;
    }
    Ok(())
}

/// The commands that rebuild a stream (Redis `rewriteStreamObject`): one
/// `XADD key id field value ...` per entry (an empty stream is made with
/// `XADD key MAXLEN 0 0-1 x y`), then `XSETID key last-id ENTRIESADDED n
/// MAXDELETEDID id`, then per group `XGROUP CREATE key group last-id
/// ENTRIESREAD n` and per consumer either `XGROUP CREATECONSUMER key group
/// consumer` (no pending entries) or one `XCLAIM key group consumer 0 id
/// TIME ms RETRYCOUNT n JUSTID FORCE` per pending entry.
fn rewrite_stream_object<W: Write>(
    w: &mut W,
    key: &[u8],
    s: &crate::stream::Stream,
) -> io::Result<()> {
    use crate::stream::StreamId;
    let mut t = itoa::Buffer::new();
    if s.length != 0 {
        for e in s.range(StreamId::MIN, StreamId::MAX, false) {
            bulk_count(w, b'*', 3 + e.numfields * 2)?;
            bulk(w, b"XADD")?;
            bulk(w, key)?;
            bulk(w, &e.id.to_bytes())?;
            for (f, v) in e.fields() {
                bulk(w, f.as_bytes(&mut t))?;
                bulk(w, v.as_bytes(&mut t))?;
            }
        }
    } else {
        write_command(w, &[b"XADD", key, b"MAXLEN", b"0", b"0-1", b"x", b"y"])?;
    }
    let added = t.format(s.entries_added).as_bytes().to_vec();
    write_command(
        w,
        &[
            b"XSETID",
            key,
            &s.last_id.to_bytes(),
            b"ENTRIESADDED",
            &added,
            b"MAXDELETEDID",
            &s.max_deleted_entry_id.to_bytes(),
        ],
    )?;
    let Some(groups) = &s.cgroups else {
        return Ok(());
    };
    for (name, cg) in groups {
        let read = t.format(cg.entries_read).as_bytes().to_vec();
        write_command(
            w,
            &[
                b"XGROUP",
                b"CREATE",
                key,
                name,
                &cg.last_id.to_bytes(),
                b"ENTRIESREAD",
                &read,
            ],
        )?;
        for (cname, consumer) in &cg.consumers {
            if consumer.pel.is_empty() {
                write_command(w, &[b"XGROUP", b"CREATECONSUMER", key, name, cname])?;
                continue;
            }
            for id in &consumer.pel {
                let Some(nack) = cg.pel.get(id) else {
                    continue;
                };
                let time = t.format(nack.delivery_time).as_bytes().to_vec();
                let count = t.format(nack.delivery_count).as_bytes().to_vec();
                write_command(
                    w,
                    &[
                        b"XCLAIM",
                        key,
                        name,
                        cname,
                        b"0",
                        &id.to_bytes(),
                        b"TIME",
                        &time,
                        b"RETRYCOUNT",
                        &count,
                        b"JUSTID",
                        b"FORCE",
                    ],
                )?;
            }
        }
    }
    Ok(())
}

/// Writes the whole dataset as commands (Redis `rewriteAppendOnlyFileRio`).
/// `key_delay_us` > 0 sleeps that long after each key (`rdb-key-save-delay`,
/// a testing aid); `progress(keys)` is called about once a second.
pub fn rewrite_append_only_file_rio<W: Write>(
    w: &mut W,
    dbs: &[RedisDb],
    functions: &[Vec<u8>],
    timestamp: Option<i64>,
    key_delay_us: i64,
    mut progress: impl FnMut(u64),
) -> io::Result<()> {
    if let Some(ts) = timestamp {
        w.write_all(format!("#TS:{}\r\n", ts).as_bytes())?;
    }
    crate::function::rewrite_functions(w, functions)?;
    let mut keys = 0u64;
    let mut last_report = crate::util::mstime();
    for db in dbs {
        if db.dict.is_empty() {
            continue;
        }
        w.write_all(b"*2\r\n$6\r\nSELECT\r\n")?;
        bulk(w, db.id.to_string().as_bytes())?;
        for (key, o) in db.dict.iter() {
            rewrite_value(w, key, &o.v)?;
            if let Some(&when) = db.expires.get(key) {
                w.write_all(b"*3\r\n$9\r\nPEXPIREAT\r\n")?;
                bulk(w, key)?;
                bulk(w, when.to_string().as_bytes())?;
            }
            keys += 1;
            if keys & 1023 == 0 {
                let now = crate::util::mstime();
                if now - last_report >= 1000 {
                    progress(keys);
                    last_report = now;
                }
            }
            if key_delay_us > 0 {
                std::thread::sleep(std::time::Duration::from_micros(key_delay_us as u64));
            }
        }
    }
    Ok(())
}

/// Writes a new base file to `filename` (Redis `rewriteAppendOnlyFile`):
/// RDB preamble or commands per `aof-use-rdb-preamble`, via
/// `temp-rewriteaof-<pid>.aof` in the working directory, fsynced and
/// renamed. Failures are logged with Redis's lines ("Opening the temp
/// file for AOF rewrite in rewriteAppendOnlyFile(): %s", "Write error
/// writing append only file on disk: %s", "Error moving temp append only
/// file on the final destination: %s").
pub fn rewrite_append_only_file(
    srv: &Server,
    filename: &std::path::Path,
    mut progress: impl FnMut(u64),
) -> io::Result<()> {
    let tmpfile = format!("temp-rewriteaof-{}.aof", std::process::id());
    let f = match File::create(&tmpfile) {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(
                "Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): {}",
                crate::log::os_error_text(&e)
            );
            return Err(e);
        }
    };
    let written = (|| -> io::Result<()> {
        let mut w = BufWriter::with_capacity(
            256 * 1024,
            AutoSync {
                f,
                autosync: srv.config.aof_rewrite_incremental_fsync,
                since_sync: 0,
            },
        );
        if srv.config.aof_use_rdb_preamble {
            // Redis saves the base with RDBFLAGS_AOF_PREAMBLE: aof-base 1.
            let mut opts = crate::rdb::RdbSaveOptions::from_server(srv);
            opts.aof_base = true;
            // An AOF base carries no replication info (Redis passes no rsi).
            opts.repl = None;
            // Progress about once a second, and `rdb-key-save-delay`, as
            // in a BGSAVE child.
            let mut last_report = crate::util::mstime();
            let mut on_key = |keys: u64| {
                if keys & 1023 == 0 {
                    let now = crate::util::mstime();
                    if now - last_report >= 1000 {
                        progress(keys);
                        last_report = now;
                    }
                }
            };
            let mut hooks = crate::rdb::SaveProgress {
                key_save_delay: srv.config.rdb_key_save_delay,
                incremental_fsync: false,
                on_key: Some(&mut on_key),
            };
            crate::rdb::rdb_save_rio_with_progress(&mut w, &srv.dbs, &opts, &mut hooks)?;
        } else {
            let ts = srv
                .config
                .aof_timestamp_enabled
                .then(|| crate::util::mstime() / 1000);
            rewrite_append_only_file_rio(
                &mut w,
                &srv.dbs,
                &crate::function::functions_lib_codes(srv),
                ts,
                srv.config.rdb_key_save_delay as i64,
                &mut progress,
            )?;
        }
        let a = w.into_inner().map_err(|e| e.into_error())?;
        a.f.sync_all()
    })();
    if let Err(e) = written {
        tracing::warn!(
            "Write error writing append only file on disk: {}",
            crate::log::os_error_text(&e)
        );
        let _ = std::fs::remove_file(&tmpfile);
        return Err(e);
    }
    if let Err(e) = std::fs::rename(&tmpfile, filename) {
        tracing::warn!(
            "Error moving temp append only file on the final destination: {}",
            crate::log::os_error_text(&e)
        );
        let _ = std::fs::remove_file(&tmpfile);
        return Err(e);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_of_64() {
        let mut dbs: Vec<RedisDb> = (0..2).map(RedisDb::new).collect();
        let mut ql = crate::quicklist::Quicklist::new(-2, 0);
        for i in 0..130 {
            ql.push_tail(i.to_string().as_bytes());
        }
        dbs[1].dict.insert(
            b"l".to_vec().into_boxed_slice(),
            crate::object::RObj::new(Value::List(Box::new(ql)), 0),
        );
        dbs[1]
            .expires
            .insert(b"l".to_vec().into_boxed_slice(), 1234);
        let mut out = Vec::new();
        rewrite_append_only_file_rio(&mut out, &dbs, &[], Some(99), 0, |_| {}).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.starts_with("#TS:99\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n*66\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\n0\r\n"));
        assert_eq!(s.matches("RPUSH").count(), 3);
        assert!(s.contains("*4\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$3\r\n128\r\n$3\r\n129\r\n"));
        assert!(s.ends_with("*3\r\n$9\r\nPEXPIREAT\r\n$1\r\nl\r\n$4\r\n1234\r\n"));
    }
}
