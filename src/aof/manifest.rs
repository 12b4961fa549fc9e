//! The AOF manifest (Redis 7 `aofManifest`): which files of the
//! `appenddirname` directory make up the dataset, and in which order.
//!
//! # Format
//! One line per file, `file <name> seq <n> type <t>\n`, where `t` is `b`
//! (base: the snapshot of the last rewrite, at most one, always first),
//! `h` (history: superseded files waiting to be deleted) or `i` (incr:
//! commands written after the base, in ascending `seq` order). A name that
//! needs quoting is written as Redis's `sdscatrepr` does. The file lives at
//! `<appenddirname>/<appendfilename>.manifest` and is replaced atomically:
//! written to `temp-<appendfilename>.manifest`, fsynced, renamed over the
//! old one, then the directory is fsynced.
//!
//! # Parser rules (Redis `aofLoadManifestFromFile`)
//! Lines are read up to 1024 bytes; `#` lines are comments; a line without
//! a newline within the limit is "too long"; a blank line, fewer than six
//! words or an odd count is "Invalid AOF manifest file format"; unknown
//! keys are skipped (forward compatibility); a missing file name, seq (or
//! seq 0) or type is invalid too; a second base, an incr seq not above the
//! previous one, or an unknown type each have their own message. Any error
//! is fatal at startup, logged with the line number and the line.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// Longest manifest line read at once (Redis `MANIFEST_MAX_LINE`).
const MANIFEST_MAX_LINE: usize = 1024;

/// The kind of a file in the manifest (Redis `aof_file_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AofFileType {
    /// `b`: the base (snapshot) file.
    Base,
    /// `h`: a superseded file, deleted unless `aof-disable-auto-gc`.
    History,
    /// `i`: an incremental file of commands.
    Incr,
}

impl AofFileType {
    fn letter(self) -> char {
        match self {
            AofFileType::Base => 'b',
            AofFileType::History => 'h',
            AofFileType::Incr => 'i',
        }
    }
}

/// One file of the manifest (Redis `aofInfo`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AofInfo {
    pub file_name: String,
    pub file_seq: i64,
    pub file_type: AofFileType,
}

impl AofInfo {
    /// The manifest line for this file, newline included (Redis `aofInfoFormat`).
    fn format(&self, out: &mut String) {
        let name = if needs_repr(self.file_name.as_bytes()) {
            crate::config::repr(self.file_name.as_bytes())
        } else {
            self.file_name.clone()
        };
        out.push_str(&format!(
            "file {} seq {} type {}\n",
            name,
            self.file_seq,
            self.file_type.letter()
        ));
    }
}

/// Redis `sdsneedsrepr`: quoting is needed for spaces, quotes, backslashes
/// and non-printable bytes.
fn needs_repr(s: &[u8]) -> bool {
    s.iter().any(|&c| {
        matches!(c, b'\\' | b'"' | b'\n' | b'\r' | b'\t' | 0x07 | 0x08 | b' ')
            || !(0x20..=0x7e).contains(&c)
    })
}

/// The set of files making up the AOF (Redis `aofManifest`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AofManifest {
    pub base: Option<AofInfo>,
    pub incr_list: Vec<AofInfo>,
    pub history_list: Vec<AofInfo>,
    /// Seq of the newest base file made (the next one gets +1).
    pub curr_base_file_seq: i64,
    /// Seq of the newest incr file made (the next one gets +1).
    pub curr_incr_file_seq: i64,
    /// Changed since it was last written to disk.
    pub dirty: bool,
}

/// Why a manifest could not be read: the message Redis logs, and the
/// offending line with its number when there is one.
#[derive(Debug, PartialEq, Eq)]
pub struct ManifestError {
    pub msg: &'static str,
    pub line: Option<(usize, String)>,
}

impl AofManifest {
    /// The manifest text: base, then history, then incr files (Redis
    /// `getAofManifestAsString`).
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        if let Some(b) = &self.base {
            b.format(&mut s);
        }
        for h in &self.history_list {
            h.format(&mut s);
        }
        for i in &self.incr_list {
            i.format(&mut s);
        }
        s
    }

    /// Parses manifest text (Redis `aofLoadManifestFromFile`, rules in the
    /// module docs).
    pub fn parse<R: BufRead>(mut r: R) -> Result<AofManifest, ManifestError> {
        let mut am = AofManifest::default();
        let mut maxseq = 0i64;
        let mut linenum = 0usize;
        let err = |msg: &'static str, line: Option<(usize, String)>| ManifestError { msg, line };
        loop {
            // fgets: at most MANIFEST_MAX_LINE bytes, through the newline.
            let mut buf = Vec::new();
            let n = io::Read::take(&mut r, MANIFEST_MAX_LINE as u64)
                .read_until(b'\n', &mut buf)
                .map_err(|_| err("Read AOF manifest failed", None))?;
            if n == 0 {
                if linenum == 0 {
                    return Err(err("Found an empty AOF manifest", None));
                }
                break;
            }
            linenum += 1;
            if buf[0] == b'#' {
                // A long comment continues as the next "line", as with fgets.
                continue;
            }
            if !buf.contains(&b'\n') {
                return Err(err("The AOF manifest file contains too long line", None));
            }
            let text = String::from_utf8_lossy(&buf)
                .trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
                .to_string();
            let at = || Some((linenum, text.clone()));
            if text.is_empty() {
                return Err(err("Invalid AOF manifest file format", at()));
            }
            let argv = match crate::util::split_args(text.as_bytes()) {
                Some(a) if a.len() >= 6 && a.len() % 2 == 0 => a,
                _ => return Err(err("Invalid AOF manifest file format", at())),
            };
            let mut name: Option<String> = None;
            let mut seq = 0i64;
            let mut ftype = 0u8;
            for pair in argv.chunks(2) {
                let (k, v) = (&pair[0], &pair[1]);
                if k.eq_ignore_ascii_case(b"file") {
                    let s = String::from_utf8_lossy(v).into_owned();
                    if s.contains(['/', '\\']) {
                        return Err(err("File can't be a path, just a filename", at()));
                    }
                    name = Some(s);
                } else if k.eq_ignore_ascii_case(b"seq") {
                    seq = crate::util::atoll(v);
                } else if k.eq_ignore_ascii_case(b"type") {
                    ftype = v.first().copied().unwrap_or(0);
                }
            }
            let Some(file_name) = name else {
                return Err(err("Invalid AOF manifest file format", at()));
            };
            if seq == 0 || ftype == 0 {
                return Err(err("Invalid AOF manifest file format", at()));
            }
            match ftype {
                b'b' => {
                    if am.base.is_some() {
                        return Err(err("Found duplicate base file information", at()));
                    }
                    am.base = Some(AofInfo {
                        file_name,
                        file_seq: seq,
                        file_type: AofFileType::Base,
                    });
                    am.curr_base_file_seq = seq;
                }
                b'h' => am.history_list.push(AofInfo {
                    file_name,
                    file_seq: seq,
                    file_type: AofFileType::History,
                }),
                b'i' => {
                    if seq <= maxseq {
                        return Err(err("Found a non-monotonic sequence number", at()));
                    }
                    am.incr_list.push(AofInfo {
                        file_name,
                        file_seq: seq,
                        file_type: AofFileType::Incr,
                    });
                    am.curr_incr_file_seq = seq;
                    maxseq = seq;
                }
                _ => return Err(err("Unknown AOF file type", at())),
            }
        }
        Ok(am)
    }

    /// Makes a new base file name `<appendfilename>.<seq>.base.<rdb|aof>`
    /// and turns the current base into a history file (Redis
    /// `getNewBaseFileNameAndMarkPreAsHistory`).
    pub fn new_base_file_name(&mut self, aof_filename: &str, rdb_preamble: bool) -> String {
        if let Some(mut b) = self.base.take() {
            b.file_type = AofFileType::History;
            self.history_list.insert(0, b);
        }
        self.curr_base_file_seq += 1;
        let name = format!(
            "{}.{}.base.{}",
            aof_filename,
            self.curr_base_file_seq,
            if rdb_preamble { "rdb" } else { "aof" }
        );
        self.base = Some(AofInfo {
            file_name: name.clone(),
            file_seq: self.curr_base_file_seq,
            file_type: AofFileType::Base,
        });
        self.dirty = true;
        name
    }

    /// Adds a new incr file `<appendfilename>.<seq>.incr.aof` at the end
    /// (Redis `getNewIncrAofName`).
    pub fn new_incr_file_name(&mut self, aof_filename: &str) -> String {
        self.curr_incr_file_seq += 1;
        let name = format!("{}.{}.incr.aof", aof_filename, self.curr_incr_file_seq);
        self.incr_list.push(AofInfo {
            file_name: name.clone(),
            file_seq: self.curr_incr_file_seq,
            file_type: AofFileType::Incr,
        });
        self.dirty = true;
        name
    }

    /// The last incr file, creating one when there is none (Redis
    /// `getLastIncrAofName`).
    pub fn last_incr_file_name(&mut self, aof_filename: &str) -> String {
        match self.incr_list.last() {
            Some(i) => i.file_name.clone(),
            None => self.new_incr_file_name(aof_filename),
        }
    }

    /// After a rewrite: every incr file becomes history, except the one
    /// being written when the AOF is open (Redis `markRewrittenIncrAofAsHistory`).
    pub fn mark_rewritten_incr_as_history(&mut self, keep_last: bool) {
        if self.incr_list.is_empty() {
            return;
        }
        let keep = if keep_last {
            self.incr_list.pop()
        } else {
            None
        };
        // Newest first at the head of the history list, as Redis does.
        for mut i in std::mem::take(&mut self.incr_list).into_iter().rev() {
            i.file_type = AofFileType::History;
            self.history_list.insert(0, i);
        }
        if let Some(k) = keep {
            self.incr_list.push(k);
        }
        self.dirty = true;
    }

    /// Base plus incr files (Redis `getBaseAndIncrAppendOnlyFilesNum`).
    pub fn base_and_incr_num(&self) -> usize {
        self.base.iter().count() + self.incr_list.len()
    }
}

/// `<dir>/<name>` (Redis `makePath`).
pub fn make_path(dir: &str, name: &str) -> PathBuf {
    Path::new(dir).join(name)
}

/// Writes `text` as the manifest `<dir>/<aof_filename>.manifest`
/// atomically (Redis `writeAofManifestFile`): temp file, fsync, rename,
/// directory fsync. Failures are logged with Redis's warnings.
pub fn write_manifest_file(dir: &str, aof_filename: &str, text: &str) -> io::Result<()> {
    let am_name = format!("{}.manifest", aof_filename);
    let tmp_name = format!("temp-{}.manifest", aof_filename);
    let am_path = make_path(dir, &am_name);
    let tmp_path = make_path(dir, &tmp_name);
    let mut f = File::create(&tmp_path).inspect_err(|e| {
        tracing::warn!(
            "Can't open the AOF manifest file {}: {}",
            tmp_name,
            crate::log::os_error_text(e)
        );
    })?;
    f.write_all(text.as_bytes()).inspect_err(|e| {
        tracing::warn!(
            "Error trying to write the temporary AOF manifest file {}: {}",
            tmp_name,
            crate::log::os_error_text(e)
        );
    })?;
    f.sync_data().inspect_err(|e| {
        tracing::warn!(
            "Fail to fsync the temp AOF file {}: {}.",
            tmp_name,
            crate::log::os_error_text(e)
        );
    })?;
    drop(f);
    std::fs::rename(&tmp_path, &am_path).inspect_err(|e| {
        tracing::warn!(
            "Error trying to rename the temporary AOF manifest file {} into {}: {}",
            tmp_name,
            am_name,
            crate::log::os_error_text(e)
        );
    })?;
    fsync_dir(dir).inspect_err(|e| {
        tracing::warn!(
            "Fail to fsync AOF directory {}: {}.",
            am_path.display(),
            crate::log::os_error_text(e)
        );
    })
}

/// fsyncs a directory so renames and new files in it are durable (Redis `fsyncFileDir`).
pub fn fsync_dir(dir: &str) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Writes the manifest when it changed (Redis `persistAofManifest`).
pub fn persist_manifest(am: &mut AofManifest, dir: &str, aof_filename: &str) -> io::Result<()> {
    if !am.dirty {
        return Ok(());
    }
    write_manifest_file(dir, aof_filename, &am.to_text())?;
    am.dirty = false;
    Ok(())
}

/// Reads `<dir>/<aof_filename>.manifest` (Redis `aofLoadManifestFromDisk`):
/// `Ok(None)` when the directory or the file does not exist, the manifest
/// otherwise. A file that cannot be opened or parsed is an error; the
/// caller logs it ([`log_manifest_error`]) and exits, as Redis does.
pub fn load_manifest_from_disk(
    dir: &str,
    aof_filename: &str,
) -> Result<Option<AofManifest>, ManifestError> {
    if !Path::new(dir).is_dir() {
        tracing::debug!("The AOF directory {} doesn't exist", dir);
        return Ok(None);
    }
    let am_name = format!("{}.manifest", aof_filename);
    let path = make_path(dir, &am_name);
    if !path.exists() {
        tracing::debug!("The AOF manifest file {} doesn't exist", am_name);
        return Ok(None);
    }
    match File::open(&path) {
        Ok(f) => AofManifest::parse(BufReader::new(f)).map(Some),
        Err(e) => {
            tracing::warn!(
                "Fatal error: can't open the AOF manifest file {} for reading: {}",
                path.display(),
                crate::log::os_error_text(&e)
            );
            Err(ManifestError {
                msg: "",
                line: None,
            })
        }
    }
}

/// Logs a manifest error the way Redis does before exiting.
pub fn log_manifest_error(e: &ManifestError) {
    if e.msg.is_empty() {
        return;
    }
    tracing::warn!("\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
    if let Some((n, line)) = &e.line {
        tracing::warn!("Reading the manifest file, at line {}\n", n);
        tracing::warn!(">>> '{}'\n", line);
    }
    tracing::warn!("{}\n", e.msg);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<AofManifest, ManifestError> {
        AofManifest::parse(s.as_bytes())
    }

    #[test]
    fn round_trip() {
        let text = "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type h\nfile appendonly.aof.3.incr.aof seq 3 type i\nfile appendonly.aof.4.incr.aof seq 4 type i\n";
        let am = parse(text).unwrap();
        assert_eq!(am.curr_base_file_seq, 2);
        assert_eq!(am.curr_incr_file_seq, 4);
        assert_eq!(am.to_text(), text);
    }

    #[test]
    fn errors_as_redis() {
        assert_eq!(parse("").unwrap_err().msg, "Found an empty AOF manifest");
        assert_eq!(
            parse("\n").unwrap_err().msg,
            "Invalid AOF manifest file format"
        );
        assert_eq!(
            parse("file a seq 1\n").unwrap_err().msg,
            "Invalid AOF manifest file format"
        );
        assert_eq!(
            parse("file a seq 1 type b\nfile b seq 2 type b\n")
                .unwrap_err()
                .msg,
            "Found duplicate base file information"
        );
        assert_eq!(
            parse("file a seq 2 type i\nfile b seq 1 type i\n")
                .unwrap_err()
                .msg,
            "Found a non-monotonic sequence number"
        );
        assert_eq!(
            parse("file a seq 1 type x\n").unwrap_err().msg,
            "Unknown AOF file type"
        );
        assert_eq!(
            parse("file a/b seq 1 type i\n").unwrap_err().msg,
            "File can't be a path, just a filename"
        );
        assert_eq!(
            parse("file a seq 1 type i").unwrap_err().msg,
            "The AOF manifest file contains too long line"
        );
        let long = format!("file {} seq 1 type i\n", "a".repeat(1100));
        assert_eq!(
            parse(&long).unwrap_err().msg,
            "The AOF manifest file contains too long line"
        );
        // Comments and unknown keys are fine.
        let am = parse("# c\nfile a seq 1 type i newkey newval\n").unwrap();
        assert_eq!(am.incr_list.len(), 1);
        let e = parse("file a seq 0 type i\n").unwrap_err();
        assert_eq!(e.line, Some((1, "file a seq 0 type i".to_string())));
    }

    #[test]
    fn names_and_history() {
        let mut am = AofManifest::default();
        assert_eq!(am.new_base_file_name("x.aof", true), "x.aof.1.base.rdb");
        assert_eq!(am.last_incr_file_name("x.aof"), "x.aof.1.incr.aof");
        assert_eq!(am.new_incr_file_name("x.aof"), "x.aof.2.incr.aof");
        assert_eq!(am.new_base_file_name("x.aof", false), "x.aof.2.base.aof");
        am.mark_rewritten_incr_as_history(true);
        assert_eq!(
            am.to_text(),
            "file x.aof.2.base.aof seq 2 type b\nfile x.aof.1.incr.aof seq 1 type h\nfile x.aof.1.base.rdb seq 1 type h\nfile x.aof.2.incr.aof seq 2 type i\n"
        );
        let mut q = AofManifest::default();
        q.new_incr_file_name("a b");
        assert_eq!(q.to_text(), "file \"a b.1.incr.aof\" seq 1 type i\n");
        assert_eq!(
            parse(&q.to_text()).unwrap().incr_list[0].file_name,
            "a b.1.incr.aof"
        );
    }
}
