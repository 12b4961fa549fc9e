//! Loading the AOF (Redis `loadAppendOnlyFiles` / `loadSingleAppendOnlyFile`).
//!
//! The files of the manifest are read in order: the base (an RDB file,
//! recognised by its `REDIS` signature and read with `rdb::rdb_load_rio`,
//! or commands), then each incr file. Commands are replayed through a fake
//! client with no connection, on the normal command path: the handler runs
//! as for a user, MULTI queues and EXEC runs the transaction. Nothing is
//! propagated, because `srv.loading` is set and the AOF is switched off
//! while a file is read.
//!
//! # Reading rules (as Redis's `fgets`/`fread` loop)
//! A line starting with `#` is an annotation and skipped. A command is
//! `*<argc>` then per argument `$<len>`, `len` bytes and two bytes that are
//! skipped. Anything else is a format error ("Bad file format reading the
//! append only file ..."). The data ending inside a command (or inside a
//! MULTI without EXEC) is a short read: with `aof-load-truncated yes` the
//! last file is truncated to the end of the last complete command (before
//! the MULTI) and loading succeeds; otherwise, or when the truncated file
//! is not the last one, loading fails. An unknown command fails loading.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use bytes::Bytes;

use crate::db::RedisDb;
use crate::networking::{CLIENT_DENY_BLOCKING, CLIENT_MULTI, Client};
use crate::server::Server;

use super::manifest::make_path;

/// Longest annotation line read at once (Redis `AOF_ANNOTATION_LINE_MAX_LEN`).
const AOF_ANNOTATION_LINE_MAX_LEN: usize = 1024;
/// CLIENT ID of the fake client (Redis `CLIENT_ID_AOF`).
pub const CLIENT_ID_AOF: u64 = u64::MAX;

/// Result of loading one file or the whole AOF (Redis `AOF_OK`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AofLoadStatus {
    /// Loaded.
    Ok,
    /// No AOF (no manifest entries, or the file is missing).
    NotExist,
    /// The files are empty: nothing to load.
    Empty,
    /// A file exists but could not be opened.
    OpenErr,
    /// Malformed data, an unknown command, or a missing file (logged).
    Failed,
    /// The last file ended early and was truncated (`aof-load-truncated yes`).
    Truncated,
}

/// A byte source read like C stdio: `fgets`, `fread`, the offset so far,
/// and whether end of file was hit.
struct AofReader<R: BufRead> {
    r: R,
    pos: u64,
    eof: bool,
}

impl<R: BufRead> AofReader<R> {
    /// Up to `max - 1` bytes through the first newline; `None` at end of file.
    fn fgets(&mut self, max: usize) -> io::Result<Option<Vec<u8>>> {
        let mut line = Vec::new();
        let limit = (max - 1) as u64;
        let n = Read::take(&mut self.r, limit).read_until(b'\n', &mut line)?;
        self.pos += n as u64;
        if n == 0 {
            self.eof = true;
            return Ok(None);
        }
        if line.last() != Some(&b'\n') && (n as u64) < limit {
            self.eof = true;
        }
        Ok(Some(line))
    }

    /// Exactly `len` bytes, or `None` (end of file) when fewer are left.
    /// Memory grows with what is actually read, never with `len` alone.
    fn fread(&mut self, len: usize) -> io::Result<Option<Vec<u8>>> {
        let mut out = Vec::with_capacity(len.min(1 << 20));
        let n = Read::take(&mut self.r, len as u64).read_to_end(&mut out)?;
        self.pos += n as u64;
        if n < len {
            self.eof = true;
            return Ok(None);
        }
        Ok(Some(out))
    }
}

/// Counts the bytes the RDB loader consumes.
struct Counting<'a, R: Read> {
    inner: &'a mut R,
    n: u64,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}

/// How reading a command stream ended.
enum StreamEnd {
    /// Clean end of file.
    Ok,
    /// End of file inside a command or transaction; loading may truncate
    /// the file at the offset given.
    UnexpectedEof(u64),
    /// Malformed data.
    Format,
    /// An I/O error (its text), or an RDB base that failed to load.
    ReadError(String),
    /// An unknown command (already logged).
    Failed,
}

/// The fake client commands are replayed with (Redis `createAOFClient`).
fn create_aof_client(srv: &Server) -> Client {
    let mut c = Client::new(
        CLIENT_ID_AOF,
        usize::MAX,
        None,
        String::new(),
        String::new(),
        srv.mstime,
    );
    c.flags = CLIENT_DENY_BLOCKING;
    c.authenticated = true;
    c
}

/// Replays one stream: an optional RDB preamble, then commands.
/// `log_name` names the file in log lines; `old_style` is true for a
/// single-file AOF (its RDB part is a "preamble", not a "base").
/// `restricted` (fuzzing) refuses admin commands and MIGRATE as unknown,
/// so no input can touch files, sockets or the configuration.
fn replay_stream<R: BufRead>(
    srv: &mut Server,
    r: R,
    size: u64,
    log_name: &str,
    old_style: bool,
    restricted: bool,
) -> StreamEnd {
    let mut rd = AofReader {
        r,
        pos: 0,
        eof: false,
    };
    let mut fake = create_aof_client(srv);
    let end = replay_with_client(
        srv, &mut rd, size, log_name, old_style, restricted, &mut fake,
    );
    crate::multi::free_client_multi_state(srv, &mut fake);
    end
}

fn replay_with_client<R: BufRead>(
    srv: &mut Server,
    rd: &mut AofReader<R>,
    size: u64,
    log_name: &str,
    old_style: bool,
    restricted: bool,
    fake: &mut Client,
) -> StreamEnd {
    let truncated_ok = srv.config.aof_load_truncated;
    let mut valid_up_to: u64 = 0;
    let mut valid_before_multi: u64 = 0;

    // An RDB base (or preamble) first?
    let is_rdb = match rd.r.fill_buf() {
        Ok(b) => b.starts_with(b"REDIS"),
        Err(e) => return StreamEnd::ReadError(crate::log::os_error_text(&e)),
    };
    if is_rdb {
        if old_style {
            tracing::info!("Reading RDB preamble from AOF file...");
        } else {
            tracing::info!("Reading RDB base file on AOF loading...");
        }
        // RDBFLAGS_AOF_PREAMBLE: expired keys stay, the AOF tail expects
        // the keyspace as it was.
        let mut opts = crate::rdb::RdbLoadOptions::from_server(srv);
        opts.aof_preamble = true;
        let mut counting = Counting {
            inner: &mut rd.r,
            n: 0,
        };
        // As `rdb::rdb_load`: the databases are filled outside the server
        // so clients can be served (-LOADING) every few MB meanwhile.
        let res = if restricted || !srv.loading {
            crate::rdb::rdb_load_rio(&mut counting, size, &mut srv.dbs, &opts)
        } else {
            let mut dbs = {
                let empty: Vec<RedisDb> = (0..srv.dbs.len()).map(RedisDb::new).collect();
                std::mem::replace(&mut srv.dbs, empty)
            };
            let interval = srv.config.loading_process_events_interval_bytes.max(1) as u64;
            let base = srv.rdb.loading_loaded_bytes;
            let mut last_chunk = 0u64;
            let res = {
                let srv_ref = &mut *srv;
                let mut progress = |pos: u64, _: &crate::rdb::RdbLoadInfo| {
                    if pos / interval > last_chunk {
                        last_chunk = pos / interval;
                        crate::rdb::loading_abs_progress(srv_ref, base + pos);
                        crate::server::process_events_while_blocked(srv_ref);
                    }
                };
                crate::rdb::rdb_load_rio_with_progress(
                    &mut counting,
                    size,
                    &mut dbs,
                    &opts,
                    &mut progress,
                )
            };
            srv.dbs = dbs;
            res
        };
        rd.pos += counting.n;
        let res = res.and_then(|info| crate::rdb::rdb_create_functions(srv, info, false, size));
        match res {
            Ok(info) => {
                srv.rdb_last_load_keys_loaded = info.keys_loaded;
                srv.rdb_last_load_keys_expired = info.keys_expired;
                tracing::info!(
                    "Done loading RDB, keys loaded: {}, keys expired: {}.",
                    info.keys_loaded,
                    info.keys_expired
                );
                if old_style {
                    tracing::info!("Reading the remaining AOF tail...");
                }
            }
            Err(e) => {
                e.log();
                if old_style {
                    tracing::warn!(
                        "Error reading the RDB preamble of the AOF file {}, AOF loading aborted",
                        log_name
                    );
                } else {
                    tracing::warn!(
                        "Error reading the RDB base file {}, AOF loading aborted",
                        log_name
                    );
                }
                return match e {
                    crate::rdb::RdbLoadError::ShortRead { .. } => StreamEnd::UnexpectedEof(0),
                    other => StreamEnd::ReadError(match other {
                        crate::rdb::RdbLoadError::Io(io) => crate::log::os_error_text(&io),
                        _ => "Invalid argument".to_string(),
                    }),
                };
            }
        }
    }

    let mut loops: u64 = 0;
    let mut last_report = rd.pos;
    loop {
        if loops.is_multiple_of(1024) {
            srv.update_cached_time();
            // Every 1024 commands: progress for INFO, and serve clients
            // (they get -LOADING), as Redis's loadSingleAppendOnlyFile.
            if !restricted && srv.loading && loops > 0 {
                let done = srv.rdb.loading_loaded_bytes + (rd.pos - last_report);
                last_report = rd.pos;
                crate::rdb::loading_abs_progress(srv, done);
                crate::server::process_events_while_blocked(srv);
            }
        }
        loops += 1;
        let line = match rd.fgets(AOF_ANNOTATION_LINE_MAX_LEN) {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(e) => return StreamEnd::ReadError(crate::log::os_error_text(&e)),
        };
        if line[0] == b'#' {
            continue;
        }
        if line[0] != b'*' {
            return StreamEnd::Format;
        }
        if line.len() == 1 {
            // "*" and then the end of the data.
            return StreamEnd::UnexpectedEof(valid_up_to);
        }
        let argc = crate::util::atoll(&line[1..]);
        if argc < 1 {
            return StreamEnd::Format;
        }
        let mut argv: Vec<Bytes> = Vec::with_capacity((argc as usize).min(1024));
        for _ in 0..argc {
            let l = match rd.fgets(AOF_ANNOTATION_LINE_MAX_LEN) {
                Ok(Some(l)) => l,
                Ok(None) => return StreamEnd::UnexpectedEof(valid_up_to),
                Err(e) => return StreamEnd::ReadError(crate::log::os_error_text(&e)),
            };
            if l[0] != b'$' {
                return StreamEnd::Format;
            }
            let len = crate::util::atoll(&l[1..]);
            if len < 0 {
                return StreamEnd::Format;
            }
            let arg = if len == 0 {
                Vec::new()
            } else {
                match rd.fread(len as usize) {
                    Ok(Some(a)) => a,
                    Ok(None) => return StreamEnd::UnexpectedEof(valid_up_to),
                    Err(e) => return StreamEnd::ReadError(crate::log::os_error_text(&e)),
                }
            };
            // The CRLF after the argument (not checked, as in Redis).
            match rd.fread(2) {
                Ok(Some(_)) => {}
                Ok(None) => return StreamEnd::UnexpectedEof(valid_up_to),
                Err(e) => return StreamEnd::ReadError(crate::log::os_error_text(&e)),
            }
            argv.push(Bytes::from(arg));
        }

        let found = srv.commands.lookup(&argv).filter(|&idx| {
            let cmd = &srv.commands.cmds[idx];
            !(restricted
                && (cmd.flags & crate::commands::CMD_ADMIN != 0
                    || cmd.fullname == "migrate"
                    || cmd.fullname == "shutdown"))
        });
        let Some(idx) = found else {
            tracing::warn!(
                "Unknown command '{}' reading the append only file {}",
                String::from_utf8_lossy(&argv[0]),
                log_name
            );
            return StreamEnd::Failed;
        };
        let (name, flags, arity) = {
            let cmd = &srv.commands.cmds[idx];
            (cmd.fullname.clone(), cmd.flags, cmd.arity)
        };
        // Handlers rely on the arity check of `process_command`; Redis does
        // not check here (a short command would read past its argv), so a
        // wrong count is taken as a malformed file.
        let argc = argv.len() as i32;
        if (arity > 0 && arity != argc) || argc < -arity {
            return StreamEnd::Format;
        }
        if name == "multi" {
            valid_before_multi = valid_up_to;
        }
        fake.argv = argv;
        fake.cmd = Some(idx);
        fake.lastcmd = Some(idx);
        if fake.flags & CLIENT_MULTI != 0 && name != "exec" {
            crate::multi::queue_multi_command(srv, fake, idx, flags);
        } else if let Some(handler) = srv.commands.cmds[idx].handler {
            handler(srv, fake);
            srv.record_error_codes(fake);
        }
        // The fake client's replies go nowhere.
        fake.reply.clear();
        fake.reply_bytes = 0;
        fake.sentlen = 0;
        fake.propagate_argv = None;
        crate::networking::reset_client(fake);
        if truncated_ok {
            valid_up_to = rd.pos;
        }
        if srv.config.key_load_delay != 0 {
            crate::rdb::debug_delay(srv.config.key_load_delay);
        }
    }
    if fake.flags & CLIENT_MULTI != 0 {
        tracing::warn!(
            "Revert incomplete MULTI/EXEC transaction in AOF file {}",
            log_name
        );
        return StreamEnd::UnexpectedEof(valid_before_multi);
    }
    StreamEnd::Ok
}

/// Loads one AOF file of the AOF directory (Redis `loadSingleAppendOnlyFile`),
/// with Redis's log lines for each outcome (see the module docs).
pub fn load_single_append_only_file(srv: &mut Server, filename: &str) -> AofLoadStatus {
    let path = make_path(&srv.config.appenddirname, filename);
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            let exists = std::fs::metadata(&path).is_ok();
            if exists || e.kind() != io::ErrorKind::NotFound {
                tracing::warn!(
                    "Fatal error: can't open the append log file {} for reading: {}",
                    filename,
                    crate::log::os_error_text(&e)
                );
                return AofLoadStatus::OpenErr;
            }
            tracing::warn!(
                "The append log file {} doesn't exist: {}",
                filename,
                crate::log::os_error_text(&e)
            );
            return AofLoadStatus::NotExist;
        }
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size == 0 {
        return AofLoadStatus::Empty;
    }
    let old_state = srv.aof.state;
    srv.aof.state = super::AofStatus::Off;
    let old_style = filename == srv.config.appendfilename;
    let end = replay_stream(
        srv,
        BufReader::with_capacity(256 * 1024, file),
        size,
        filename,
        old_style,
        false,
    );
    srv.aof.state = old_state;
    match end {
        StreamEnd::Ok => AofLoadStatus::Ok,
        StreamEnd::Failed => AofLoadStatus::Failed,
        StreamEnd::ReadError(e) => {
            tracing::warn!(
                "Unrecoverable error reading the append only file {}: {}",
                filename,
                e
            );
            AofLoadStatus::Failed
        }
        StreamEnd::Format => {
            tracing::warn!(
                "Bad file format reading the append only file {}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>",
                filename
            );
            AofLoadStatus::Failed
        }
        StreamEnd::UnexpectedEof(valid_up_to) => {
            if srv.config.aof_load_truncated {
                tracing::warn!(
                    "!!! Warning: short read while loading the AOF file {}!!!",
                    filename
                );
                tracing::warn!(
                    "!!! Truncating the AOF {} at offset {} !!!",
                    filename,
                    valid_up_to
                );
                match truncate_file(&path, valid_up_to) {
                    Err(e) => tracing::warn!(
                        "Error truncating the AOF file {}: {}",
                        filename,
                        crate::log::os_error_text(&e)
                    ),
                    Ok(()) => {
                        tracing::warn!(
                            "AOF {} loaded anyway because aof-load-truncated is enabled",
                            filename
                        );
                        return AofLoadStatus::Truncated;
                    }
                }
            }
            tracing::warn!(
                "Unexpected end of file reading the append only file {}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.",
                filename
            );
            AofLoadStatus::Failed
        }
    }
}

fn truncate_file(path: &Path, len: u64) -> io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)?
        .set_len(len)
}

/// Size of a file of the AOF directory; logs "Unable to obtain the AOF
/// file %s length. stat: %s" on failure (Redis `getAppendOnlyFileSize`).
/// The stat is timed as the latency event "aof-fstat".
pub fn get_append_only_file_size(
    srv: &mut Server,
    dir: &str,
    filename: &str,
) -> Result<u64, AofLoadStatus> {
    let latency = crate::latency::latency_start_monitor(srv);
    let meta = std::fs::metadata(make_path(dir, filename));
    let latency = crate::latency::latency_end_monitor(srv, latency);
    crate::latency::latency_add_sample_if_needed(srv, "aof-fstat", latency);
    match meta {
        Ok(m) => Ok(m.len()),
        Err(e) => {
            tracing::warn!(
                "Unable to obtain the AOF file {} length. stat: {}",
                filename,
                crate::log::os_error_text(&e)
            );
            Err(if e.kind() == io::ErrorKind::NotFound {
                AofLoadStatus::NotExist
            } else {
                AofLoadStatus::OpenErr
            })
        }
    }
}

/// Loads every file of the manifest (Redis `loadAppendOnlyFiles`), first
/// moving an old single-file AOF in the working directory into the AOF
/// directory when this is an upgrade (Redis `aofUpgradePrepare`). Sets
/// `srv.loading` meanwhile; on success sets `aof.current_size` to the
/// total size and `aof.rewrite_base_size` to the base's. Logs "DB loaded
/// from base file %s: %.3f seconds" / "DB loaded from incr file ...".
pub fn load_append_only_files(srv: &mut Server) -> AofLoadStatus {
    let dir = srv.config.appenddirname.clone();
    let fname = srv.config.appendfilename.clone();
    if Path::new(&fname).exists() {
        let am = &srv.aof.manifest;
        let upgrade = !Path::new(&dir).is_dir()
            || (am.base.is_none() && am.incr_list.is_empty())
            || (am.incr_list.is_empty()
                && am.base.as_ref().is_some_and(|b| b.file_name == fname)
                && !make_path(&dir, &fname).exists());
        if upgrade {
            super::aof_upgrade_prepare(srv);
        }
    }
    let am = srv.aof.manifest.clone();
    if am.base.is_none() && am.incr_list.is_empty() {
        return AofLoadStatus::NotExist;
    }
    let total_num = am.base_and_incr_num();
    let mut total_size = 0u64;
    for f in am.base.iter().chain(am.incr_list.iter()) {
        match get_append_only_file_size(srv, &dir, &f.file_name) {
            Ok(n) => total_size += n,
            Err(AofLoadStatus::NotExist) => return AofLoadStatus::Failed,
            Err(s) => return s,
        }
    }
    if total_size == 0 {
        return AofLoadStatus::Empty;
    }
    let was_loading = srv.loading;
    if !was_loading {
        crate::rdb::start_loading(srv, total_size);
    }
    let mut ret = AofLoadStatus::Ok;
    let mut aof_num = 0;
    let mut base_size = 0;
    let files: Vec<(String, bool)> = am
        .base
        .iter()
        .map(|b| (b.file_name.clone(), true))
        .chain(am.incr_list.iter().map(|i| (i.file_name.clone(), false)))
        .collect();
    for (name, is_base) in files {
        if is_base {
            base_size = get_append_only_file_size(srv, &dir, &name).unwrap_or(0);
        }
        aof_num += 1;
        let last_file = aof_num == total_num;
        let start = std::time::Instant::now();
        ret = load_single_append_only_file(srv, &name);
        if ret == AofLoadStatus::Ok || (ret == AofLoadStatus::Truncated && last_file) {
            tracing::info!(
                "DB loaded from {} file {}: {:.3} seconds",
                if is_base { "base" } else { "incr" },
                name,
                start.elapsed().as_secs_f64()
            );
        }
        if !is_base && ret == AofLoadStatus::Empty {
            ret = AofLoadStatus::Ok;
        }
        if ret == AofLoadStatus::Truncated && !last_file {
            ret = AofLoadStatus::Failed;
            tracing::warn!("Fatal error: the truncated file is not the last file");
        }
        if ret == AofLoadStatus::OpenErr || ret == AofLoadStatus::Failed {
            if !was_loading {
                crate::rdb::stop_loading(srv, false);
            }
            return ret;
        }
    }
    srv.aof.current_size = total_size as i64;
    srv.aof.rewrite_base_size = base_size as i64;
    if !was_loading {
        crate::rdb::stop_loading(srv, true);
    }
    ret
}

/// Fuzz entry point: replays `data` as one AOF file (RDB preamble and
/// commands) into a fresh server with `aof-load-truncated` off. Admin
/// commands, SHUTDOWN and MIGRATE are refused as unknown so the input
/// cannot reach files, sockets or the configuration. Never panics; the
/// result is discarded. `proto-max-bulk-len` is 1 MB so a short input cannot
/// build a 512 MB string with SETRANGE or SETBIT.
pub fn aof_load_fuzz(data: &[u8]) {
    let mut cfg = crate::config::Config::default();
    cfg.aof_load_truncated = false;
    // SETRANGE / SETBIT / APPEND grow strings up to this: keep it small.
    cfg.proto_max_bulk_len = 1 << 20;
    let Ok(mut srv) = Server::new(cfg) else {
        return;
    };
    srv.loading = true;
    let _ = replay_stream(&mut srv, data, data.len() as u64, "fuzz", false, true);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> Server {
        let mut srv = Server::new(crate::config::Config::default()).unwrap();
        srv.loading = true;
        srv
    }

    fn replay(srv: &mut Server, data: &[u8]) -> StreamEnd {
        replay_stream(srv, data, data.len() as u64, "t", false, true)
    }

    #[test]
    fn commands_and_transactions() {
        let mut srv = server();
        let data = b"#TS:1\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*1\r\n$5\r\nMULTI\r\n*3\r\n$4\r\nSADD\r\n$1\r\ns\r\n$1\r\nx\r\n*1\r\n$4\r\nEXEC\r\n";
        assert!(matches!(replay(&mut srv, data), StreamEnd::Ok));
        assert!(srv.dbs[0].dict.contains_key(b"a"));
        assert!(srv.dbs[2].dict.contains_key(b"s"));
    }

    #[test]
    fn truncation_points() {
        let mut srv = server();
        srv.config.aof_load_truncated = true;
        let data = b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n";
        match replay(&mut srv, data) {
            StreamEnd::UnexpectedEof(off) => assert_eq!(off, 27),
            _ => panic!("not a short read"),
        }
        let mut srv = server();
        srv.config.aof_load_truncated = true;
        let data = b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n";
        match replay(&mut srv, data) {
            StreamEnd::UnexpectedEof(off) => assert_eq!(off, 27),
            _ => panic!("not a short read"),
        }
        assert!(!srv.dbs[0].dict.contains_key(b"b"));
    }

    #[test]
    fn bad_input_fails_cleanly() {
        for data in [
            &b"hello\r\n"[..],
            b"*0\r\n",
            b"*1\r\n+x\r\n",
            b"*1\r\n$-5\r\n",
            b"*1\r\n$3\r\nFOO\r\n",
            b"*1\r\n$99999999999\r\nab",
            b"*999999999999\r\n",
            b"*2\r\n$5\r\nDEBUG\r\n$6\r\nRELOAD\r\n",
            b"*2\r\n$4\r\nSADD\r\n$1\r\ns\r\n",
            b"*1\r\n$3\r\nGET\r\n",
            b"REDIS0010\xff",
        ] {
            let mut srv = server();
            assert!(
                !matches!(replay(&mut srv, data), StreamEnd::Ok),
                "{:?}",
                data
            );
        }
    }
}
