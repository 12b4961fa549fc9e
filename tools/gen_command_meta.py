#!/usr/bin/env python3
"""Generate src/commands/meta.rs, rustredis's command table as data.

Usage (from the repository root, with a redis-server 7.0.x listening):

    python3 tools/gen_command_meta.py --port 17000 \
        --summaries tools/command_summaries.tsv --out src/commands/meta.rs

What comes from where:

* Facts are read from the running server with `COMMAND INFO` and
  `COMMAND DOCS`: names, arity, flags, legacy key range, ACL categories,
  tips, key specs (without their notes), group, since, doc flags,
  deprecated_since and the argument grammar (names, types, tokens, flags,
  since, key spec indexes).
* Every piece of prose is our own and comes from `command_summaries.tsv`:
  one line per command, `name<TAB>summary<TAB>complexity[<TAB>replaced_by]`.
  Lines starting with `#` and blank lines are ignored. The generator stops
  with an error naming every command that has no line, so a new server
  version cannot silently produce rows without documentation.
* Redis's history notes and key spec notes are left out on purpose.
* `EXTRA_ROWS` below adds commands we implement that Redis 7.0 lacks
  (CLIENT SETINFO, from 7.2, which redis-py 5 sends on connect). A row the
  server already knows is taken from the server instead.

The script speaks RESP2 over a plain socket, so it needs only Python 3.
"""

import argparse
import shutil
import socket
import subprocess
import sys

# ---- RESP2 client ----


class Resp:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.f = self.sock.makefile("rb")

    def call(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self._read()

    def _read(self):
        line = self.f.readline()
        if not line.endswith(b"\r\n"):
            raise RuntimeError("connection closed")
        t, rest = line[:1], line[1:-2]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            return self.f.read(n + 2)[:-2].decode()
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise RuntimeError("unexpected reply %r" % line)


def pairs(flat):
    """A RESP2 flattened map [k1, v1, k2, v2, ...] as a dict."""
    return dict(zip(flat[::2], flat[1::2]))


# ---- Rows we add by hand ----

# CLIENT SETINFO appeared in Redis 7.2; redis-py 5 sends it on every
# connection, so we implement it. Facts as Redis 7.2.1's command table has
# them: exact arity 4 (CLIENT SETINFO <attr> <value>), tokens in capitals.
EXTRA_ROWS = [
    {
        "name": "client|setinfo",
        "arity": 4,
        "flags": ["noscript", "loading", "stale"],
        "first_key": 0,
        "last_key": 0,
        "key_step": 0,
        "acl_categories": ["@slow", "@connection"],
        "tips": ["request_policy:all_nodes", "response_policy:all_succeeded"],
        "key_specs": [],
        "group": "connection",
        "since": "7.2.0",
        "doc_flags": [],
        "deprecated_since": None,
        "args": [
            {
                "name": "attr",
                "type": "oneof",
                "arguments": [
                    {"name": "libname", "type": "string", "token": "LIB-NAME"},
                    {"name": "libver", "type": "string", "token": "LIB-VER"},
                ],
            }
        ],
    }
]

# ---- Reading the server ----


def flatten_info(info, out):
    for c in info:
        name = c[0]
        specs = []
        for ks in c[8]:
            m = pairs(ks)
            bs = pairs(m["begin_search"])
            fk = pairs(m["find_keys"])
            specs.append(
                {
                    "flags": m["flags"],
                    "begin": (bs["type"], pairs(bs["spec"])),
                    "find": (fk["type"], pairs(fk["spec"])),
                }
            )
        out[name] = {
            "name": name,
            "arity": c[1],
            "flags": c[2],
            "first_key": c[3],
            "last_key": c[4],
            "key_step": c[5],
            "acl_categories": c[6],
            "tips": c[7],
            "key_specs": specs,
        }
        flatten_info(c[9], out)


def flatten_docs(docs, out):
    for i in range(0, len(docs), 2):
        name, m = docs[i], pairs(docs[i + 1])
        out[name] = {
            "group": m.get("group", ""),
            "since": m.get("since", ""),
            "doc_flags": m.get("doc_flags", []),
            "deprecated_since": m.get("deprecated_since"),
            "args": [convert_arg(a) for a in m.get("arguments", [])],
        }
        flatten_docs(m.get("subcommands", []), out)


def convert_arg(flat):
    m = pairs(flat)
    return {
        "name": m["name"],
        "type": m["type"],
        "key_spec_index": m.get("key_spec_index", -1),
        "token": m.get("token"),
        "since": m.get("since"),
        "flags": m.get("flags", []),
        "display": m.get("display_text"),
        "deprecated_since": m.get("deprecated_since"),
        "arguments": [convert_arg(a) for a in m.get("arguments", [])],
    }


def normalize_extra_arg(a):
    return {
        "name": a["name"],
        "type": a["type"],
        "key_spec_index": a.get("key_spec_index", -1),
        "token": a.get("token"),
        "since": a.get("since"),
        "flags": a.get("flags", []),
        "display": a.get("display"),
        "deprecated_since": a.get("deprecated_since"),
        "arguments": [normalize_extra_arg(s) for s in a.get("arguments", [])],
    }


def read_summaries(path):
    table = {}
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) not in (3, 4) or not cols[1].strip() or not cols[2].strip():
                sys.exit("%s:%d: want name<TAB>summary<TAB>complexity[<TAB>replaced_by]" % (path, lineno))
            if cols[0] in table:
                sys.exit("%s:%d: duplicate line for %s" % (path, lineno, cols[0]))
            table[cols[0]] = {
                "summary": cols[1].strip(),
                # "-": the command has no complexity line (LOLWUT, MONITOR).
                "complexity": "" if cols[2].strip() == "-" else cols[2].strip(),
                "replaced_by": cols[3].strip() if len(cols) == 4 and cols[3].strip() else None,
            }
    return table


# ---- Emitting Rust ----


def rs_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def rs_opt(s):
    return "None" if s is None else "Some(%s)" % rs_str(s)


def rs_strs(items):
    return "&[" + ", ".join(rs_str(x) for x in items) + "]"


def rs_begin(begin):
    kind, spec = begin
    if kind == "index":
        return "BeginSearch::Index(%d)" % spec["index"]
    if kind == "keyword":
        return "BeginSearch::Keyword { keyword: %s, startfrom: %d }" % (rs_str(spec["keyword"]), spec["startfrom"])
    if kind == "unknown":
        return "BeginSearch::Unknown"
    raise ValueError("unknown begin_search type %r" % kind)


def rs_find(find):
    kind, spec = find
    if kind == "range":
        return "FindKeys::Range { lastkey: %d, keystep: %d, limit: %d }" % (spec["lastkey"], spec["keystep"], spec["limit"])
    if kind == "keynum":
        return "FindKeys::Keynum { keynumidx: %d, firstkey: %d, keystep: %d }" % (
            spec["keynumidx"],
            spec["firstkey"],
            spec["keystep"],
        )
    if kind == "unknown":
        return "FindKeys::Unknown"
    raise ValueError("unknown find_keys type %r" % kind)


def rs_args(args, indent):
    if not args:
        return "&[]"
    pad = " " * indent
    lines = ["&["]
    for a in args:
        fields = ["name: %s" % rs_str(a["name"]), "typ: %s" % rs_str(a["type"])]
        if a["key_spec_index"] != -1:
            fields.append("key_spec_index: %d" % a["key_spec_index"])
        if a["token"] is not None:
            fields.append("token: %s" % rs_opt(a["token"]))
        if a["since"] is not None:
            fields.append("since: %s" % rs_opt(a["since"]))
        if a["flags"]:
            fields.append("flags: %s" % rs_strs(a["flags"]))
        if a["display"] is not None:
            fields.append("display: %s" % rs_opt(a["display"]))
        if a["deprecated_since"] is not None:
            fields.append("deprecated_since: %s" % rs_opt(a["deprecated_since"]))
        if a["arguments"]:
            fields.append("subargs: %s" % rs_args(a["arguments"], indent + 4))
        lines.append("%s    Arg { %s, ..ARG }," % (pad, ", ".join(fields)))
    lines.append(pad + "]")
    return "\n".join(lines)


def rs_row(r):
    out = ["    CommandMeta {"]
    out.append("        name: %s," % rs_str(r["name"]))
    out.append("        arity: %d," % r["arity"])
    if r["flags"]:
        out.append("        flags: %s," % rs_strs(r["flags"]))
    if (r["first_key"], r["last_key"], r["key_step"]) != (0, 0, 0):
        out.append("        first_key: %d, last_key: %d, key_step: %d," % (r["first_key"], r["last_key"], r["key_step"]))
    out.append("        acl_categories: %s," % rs_strs(r["acl_categories"]))
    if r["tips"]:
        out.append("        tips: %s," % rs_strs(r["tips"]))
    if r["key_specs"]:
        out.append("        key_specs: &[")
        for ks in r["key_specs"]:
            out.append(
                "            KeySpec { flags: %s, begin_search: %s, find_keys: %s },"
                % (rs_strs(ks["flags"]), rs_begin(ks["begin"]), rs_find(ks["find"]))
            )
        out.append("        ],")
    out.append("        group: %s," % rs_str(r["group"]))
    out.append("        since: %s," % rs_str(r["since"]))
    if r["complexity"]:
        out.append("        complexity: %s," % rs_str(r["complexity"]))
    out.append("        summary: %s," % rs_str(r["summary"]))
    if r["doc_flags"]:
        out.append("        doc_flags: %s," % rs_strs(r["doc_flags"]))
    if r["deprecated_since"] is not None:
        out.append("        deprecated_since: %s," % rs_opt(r["deprecated_since"]))
    if r["replaced_by"] is not None:
        out.append("        replaced_by: %s," % rs_opt(r["replaced_by"]))
    if r["args"]:
        out.append("        args: %s," % rs_args(r["args"], 8))
    out.append("        ..CMD")
    out.append("    },")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=6379)
    ap.add_argument("--summaries", default="tools/command_summaries.tsv")
    ap.add_argument("--out", default="src/commands/meta.rs")
    opts = ap.parse_args()

    conn = Resp(opts.host, opts.port)
    info, docs = {}, {}
    flatten_info(conn.call("COMMAND", "INFO"), info)
    flatten_docs(conn.call("COMMAND", "DOCS"), docs)
    top_level_count = conn.call("COMMAND", "COUNT")
    version = pairs_from_info(conn.call("INFO", "server")).get("redis_version", "unknown")

    rows = {}
    for name, i in info.items():
        d = docs.get(name)
        if d is None:
            sys.exit("COMMAND DOCS has no entry for %s" % name)
        rows[name] = dict(i, **d)
    for extra in EXTRA_ROWS:
        if extra["name"] not in rows:
            row = dict(extra)
            row["args"] = [normalize_extra_arg(a) for a in extra["args"]]
            rows[extra["name"]] = row
            if "|" not in extra["name"]:
                top_level_count += 1

    prose = read_summaries(opts.summaries)
    missing = sorted(set(rows) - set(prose))
    if missing:
        sys.exit("no summary line in %s for: %s" % (opts.summaries, " ".join(missing)))
    unused = sorted(set(prose) - set(rows))
    if unused:
        print("warning: summaries for unknown commands: %s" % " ".join(unused), file=sys.stderr)
    for name, row in rows.items():
        row.update(prose[name])
        if row["deprecated_since"] is None:
            row["replaced_by"] = None

    ordered = [rows[n] for n in sorted(rows, key=lambda s: s.encode())]
    table = "\n".join(rs_row(r) for r in ordered)

    text = (
        TEMPLATE.replace("@@VERSION@@", version)
        .replace("@@ROWS@@", table)
        .replace("@@ROW_COUNT@@", str(len(ordered)))
        .replace("@@TOP_LEVEL_COUNT@@", str(top_level_count))
    )
    with open(opts.out, "w", encoding="utf-8") as fh:
        fh.write(text)
    # The table itself is #[rustfmt::skip]; format the code around it so the
    # file is stable under `cargo fmt`.
    if shutil.which("rustfmt"):
        subprocess.run(["rustfmt", "--edition", "2024", opts.out], check=True)
    print("wrote %s: %d rows, %d top-level" % (opts.out, len(ordered), top_level_count))


def pairs_from_info(text):
    out = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v.strip()
    return out


# ---- The Rust file around the rows ----

TEMPLATE = r'''//! The command table as data: one [`CommandMeta`] row per command and per
//! subcommand that Redis @@VERSION@@ knows, plus CLIENT SETINFO from 7.2.
//!
//! GENERATED FILE: do not edit by hand. `tools/gen_command_meta.py` writes it
//! from a running redis-server (`COMMAND INFO` and `COMMAND DOCS`) merged with
//! our own prose in `tools/command_summaries.tsv`; change those and rerun:
//!
//! ```text
//! redis-server --port 17000 --save "" --appendonly no &
//! python3 tools/gen_command_meta.py --port 17000
//! ```
//!
//! # What a row holds
//!
//! * **Facts** taken from the server, spelled exactly as `COMMAND INFO` and
//!   `COMMAND DOCS` print them, so the COMMAND command can echo them as they
//!   are: the lowercase name, arity, flags (including the derived
//!   `movablekeys`), the legacy `first_key`/`last_key`/`key_step` triple, ACL
//!   categories with their `@`, tips, key specs, group, `since`, doc flags,
//!   `deprecated_since` and the argument grammar.
//! * **Prose** written by us: `summary`, `complexity` and `replaced_by`.
//!   Redis's history notes and key spec notes are deliberately absent.
//!
//! A container such as CONFIG is a row of its own (`"config"`, arity -2) and
//! each of its subcommands is another row named `"parent|sub"`, whose arity
//! counts the whole argv including the container's name, as Redis does.
//! DEBUG is a single row, as in Redis 7.0. Nesting is one level deep.
//!
//! # Arity
//!
//! A positive arity N means exactly N arguments including the command name;
//! a negative arity -N means at least N.
//!
//! # Key specs
//!
//! Each [`KeySpec`] finds one group of key arguments in two steps, as in Redis
//! 7: [`BeginSearch`] finds the first key's index (a fixed index, or the
//! argument after a keyword searched from `startfrom`, backwards when
//! negative), then [`FindKeys`] says how many keys follow (a range whose
//! `lastkey` is relative to the first key, -1 meaning the last argument, with
//! `limit` dividing the remaining arguments; or a count read from the argument
//! at `keynumidx`). `Unknown` means the keys cannot be found without parsing
//! the command, and COMMAND GETKEYS must fall back on the command's own logic.
//! Key spec flags keep the server's spelling: the access kind in capitals
//! (`RO`, `RW`, `OW`, `RM`) and the rest in lowercase (`access`, `update`,
//! `insert`, `delete`, `not_key`, `incomplete`, `variable_flags`).
//!
//! # Order and lookup
//!
//! [`COMMANDS`] is sorted by the bytes of `name`, so [`find`] is a binary
//! search and a container's subcommands form one contiguous run (see
//! [`subcommands`]). The table has @@ROW_COUNT@@ rows, @@TOP_LEVEL_COUNT@@ of
//! them top-level commands (what `COMMAND COUNT` reports when every row has a
//! handler).

/// One argument of a command's grammar, as `COMMAND DOCS` describes it.
#[derive(Debug)]
pub struct Arg {
    /// The argument's name in the grammar, e.g. `"key"`, `"condition"`.
    pub name: &'static str,
    /// One of `"key"`, `"string"`, `"integer"`, `"double"`, `"pattern"`,
    /// `"unix-time"`, `"pure-token"`, `"oneof"`, `"block"`.
    pub typ: &'static str,
    /// Index into the command's `key_specs` for `"key"` arguments, else -1.
    pub key_spec_index: i32,
    /// The literal token that introduces the argument, e.g. `Some("EX")`.
    pub token: Option<&'static str>,
    /// The Redis version that added the argument, when later than the command.
    pub since: Option<&'static str>,
    /// Any of `"optional"`, `"multiple"`, `"multiple_token"`.
    pub flags: &'static [&'static str],
    /// A display name differing from `name`; Redis 7.0 reports none.
    pub display: Option<&'static str>,
    /// The Redis version that deprecated the argument, if any.
    pub deprecated_since: Option<&'static str>,
    /// The alternatives of a `"oneof"` or the parts of a `"block"`.
    pub subargs: &'static [Arg],
}

/// Where the search for a key spec's first key starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeginSearch {
    /// The first key is at this argv index (the command name is index 0).
    Index(i32),
    /// The first key follows `keyword`, searched from argv index `startfrom`
    /// (a negative `startfrom` counts from the end and searches backwards).
    Keyword {
        /// The token to look for, compared case-insensitively, e.g. `"STREAMS"`.
        keyword: &'static str,
        /// The argv index where the search starts; negative counts from the end.
        startfrom: i32,
    },
    /// Keys can only be found by the command's own parsing.
    Unknown,
}

/// How many keys follow the first one found by [`BeginSearch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindKeys {
    /// Keys run to `lastkey` (relative to the first key; negative counts from
    /// the end of argv, -1 being the last argument), every `keystep`
    /// arguments; when `lastkey` is -1, a `limit` above 1 keeps only
    /// 1/`limit` of the remaining arguments (XREAD's STREAMS).
    Range {
        /// The last key's index relative to the first key; negative counts
        /// from the end of argv.
        lastkey: i32,
        /// Distance between consecutive keys.
        keystep: i32,
        /// With `lastkey` -1: keep 1/`limit` of the remaining arguments (0 or 1: all).
        limit: i32,
    },
    /// The number of keys is the integer at `keynumidx` (relative to the
    /// begin index); keys start `firstkey` arguments after it, every
    /// `keystep` arguments.
    Keynum {
        /// Where the key count is, relative to the begin index.
        keynumidx: i32,
        /// Where the first key is, relative to the begin index.
        firstkey: i32,
        /// Distance between consecutive keys.
        keystep: i32,
    },
    /// Keys can only be found by the command's own parsing.
    Unknown,
}

/// One group of key arguments and how the command uses them.
#[derive(Debug)]
pub struct KeySpec {
    /// As `COMMAND INFO` prints them: `"RO"`, `"RW"`, `"OW"`, `"RM"`,
    /// `"access"`, `"update"`, `"insert"`, `"delete"`, `"not_key"`,
    /// `"incomplete"`, `"variable_flags"`.
    pub flags: &'static [&'static str],
    /// Step one: where the first key is.
    pub begin_search: BeginSearch,
    /// Step two: how many keys follow it.
    pub find_keys: FindKeys,
}

/// One command or subcommand: everything `COMMAND INFO` and `COMMAND DOCS`
/// report about it. The handler is joined by name elsewhere.
#[derive(Debug)]
pub struct CommandMeta {
    /// Lowercase; a subcommand is `"parent|sub"`, e.g. `"config|get"`.
    pub name: &'static str,
    /// Exact argument count N (name included), or -N for at least N.
    pub arity: i32,
    /// As `COMMAND INFO` prints them, in its order: `"write"`, `"readonly"`,
    /// `"denyoom"`, `"admin"`, `"pubsub"`, `"noscript"`, `"blocking"`,
    /// `"loading"`, `"stale"`, `"skip_monitor"`, `"skip_slowlog"`, `"asking"`,
    /// `"fast"`, `"no_auth"`, `"may_replicate"`, `"no_mandatory_keys"`,
    /// `"no_multi"`, `"allow_busy"`, `"no_async_loading"`, `"movablekeys"`.
    pub flags: &'static [&'static str],
    /// The legacy key range `COMMAND INFO` prints (0, 0, 0 for no keys):
    /// the first key's argv index.
    pub first_key: i32,
    /// The last key's argv index; negative counts from the end (-1: last argument).
    pub last_key: i32,
    /// Distance between consecutive keys (2 for MSET's key-value pairs).
    pub key_step: i32,
    /// With their `@`, in `COMMAND INFO` order, e.g. `["@write", "@string", "@slow"]`.
    pub acl_categories: &'static [&'static str],
    /// e.g. `"nondeterministic_output"`, `"request_policy:all_shards"`.
    pub tips: &'static [&'static str],
    /// How to find the key arguments; indexed by [`Arg::key_spec_index`].
    pub key_specs: &'static [KeySpec],
    /// `"string"`, `"generic"`, `"connection"`, `"server"`, ...
    pub group: &'static str,
    /// The Redis version that introduced the command.
    pub since: &'static str,
    /// Our own short statement of the time complexity.
    pub complexity: &'static str,
    /// Our own one-line description.
    pub summary: &'static str,
    /// `"deprecated"` and/or `"syscmd"`.
    pub doc_flags: &'static [&'static str],
    /// The Redis version that deprecated the command, if any.
    pub deprecated_since: Option<&'static str>,
    /// Our own wording of what to use instead of a deprecated command.
    pub replaced_by: Option<&'static str>,
    /// The argument grammar, for `COMMAND DOCS`.
    pub args: &'static [Arg],
}

impl CommandMeta {
    /// True for a `"parent|sub"` row.
    pub fn is_subcommand(&self) -> bool {
        self.name.contains('|')
    }

    /// The container's name for a subcommand row (`"config"` for
    /// `"config|get"`), `None` for a top-level row.
    pub fn parent_name(&self) -> Option<&'static str> {
        self.name.split_once('|').map(|(parent, _)| parent)
    }
}

/// Looks a command up by its lowercase name (`"get"`, `"config|get"`).
/// Binary search over [`COMMANDS`]; `None` for unknown or non-lowercase names.
pub fn find(name_lowercase: &str) -> Option<&'static CommandMeta> {
    COMMANDS
        .binary_search_by(|row| row.name.as_bytes().cmp(name_lowercase.as_bytes()))
        .ok()
        .map(|i| &COMMANDS[i])
}

/// The subcommand rows of a container (`"config"` gives `"config|get"`,
/// `"config|help"`, ...), sorted by name; empty for a command without any.
pub fn subcommands(parent: &str) -> &'static [CommandMeta] {
    let mut prefix = Vec::with_capacity(parent.len() + 1);
    prefix.extend_from_slice(parent.as_bytes());
    prefix.push(b'|');
    let start = COMMANDS.partition_point(|row| row.name.as_bytes() < prefix.as_slice());
    let len = COMMANDS[start..]
        .iter()
        .take_while(|row| row.name.as_bytes().starts_with(&prefix))
        .count();
    &COMMANDS[start..start + len]
}

/// Defaults for the fields an argument usually leaves empty.
const ARG: Arg = Arg {
    name: "",
    typ: "",
    key_spec_index: -1,
    token: None,
    since: None,
    flags: &[],
    display: None,
    deprecated_since: None,
    subargs: &[],
};

/// Defaults for the fields a row usually leaves empty.
const CMD: CommandMeta = CommandMeta {
    name: "",
    arity: 0,
    flags: &[],
    first_key: 0,
    last_key: 0,
    key_step: 0,
    acl_categories: &[],
    tips: &[],
    key_specs: &[],
    group: "",
    since: "",
    complexity: "",
    summary: "",
    doc_flags: &[],
    deprecated_since: None,
    replaced_by: None,
    args: &[],
};

/// Every command and subcommand, sorted by the bytes of `name`.
#[rustfmt::skip]
pub static COMMANDS: &[CommandMeta] = &[
@@ROWS@@
];

#[cfg(test)]
mod tests {
    use super::*;

    const ARG_TYPES: &[&str] = &[
        "key", "string", "integer", "double", "pattern", "unix-time", "pure-token", "oneof", "block",
    ];
    const ARG_FLAGS: &[&str] = &["optional", "multiple", "multiple_token"];
    const KEY_SPEC_FLAGS: &[&str] = &[
        "RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key", "incomplete",
        "variable_flags",
    ];
    const COMMAND_FLAGS: &[&str] = &[
        "write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript", "blocking",
        "loading", "stale", "skip_monitor", "skip_slowlog", "asking", "fast", "no_auth",
        "may_replicate", "no_mandatory_keys", "no_multi", "allow_busy", "no_async_loading",
        "movablekeys",
    ];

    fn row(name: &str) -> &'static CommandMeta {
        match find(name) {
            Some(r) => r,
            None => panic!("no row for {name}"),
        }
    }

    fn arg<'a>(args: &'a [Arg], name: &str) -> &'a Arg {
        match args.iter().find(|a| a.name == name) {
            Some(a) => a,
            None => panic!("no argument {name}"),
        }
    }

    #[test]
    fn counts_match_redis_7_0_plus_client_setinfo() {
        // Redis 7.0.15: COMMAND COUNT is 240 (top-level only) and COMMAND
        // LIST has 366 names (subcommands included); we add client|setinfo.
        assert_eq!(COMMANDS.len(), 367);
        assert_eq!(COMMANDS.iter().filter(|r| !r.is_subcommand()).count(), 240);
        assert_eq!(COMMANDS.iter().filter(|r| r.is_subcommand()).count(), 127);
    }

    #[test]
    fn sorted_unique_lowercase_and_findable() {
        for pair in COMMANDS.windows(2) {
            assert!(pair[0].name.as_bytes() < pair[1].name.as_bytes(), "{} !< {}", pair[0].name, pair[1].name);
        }
        for r in COMMANDS {
            assert_eq!(r.name, r.name.to_ascii_lowercase());
            assert!(std::ptr::eq(row(r.name), r));
        }
        assert!(find("GET").is_none());
        assert!(find("nosuchcommand").is_none());
        assert!(find("").is_none());
        assert!(find("config|nosuch").is_none());
    }

    #[test]
    fn get_row() {
        let get = row("get");
        assert_eq!(get.arity, 2);
        assert_eq!(get.flags, ["readonly", "fast"]);
        assert_eq!((get.first_key, get.last_key, get.key_step), (1, 1, 1));
        assert_eq!(get.acl_categories, ["@read", "@string", "@fast"]);
        assert_eq!(get.group, "string");
        assert_eq!(get.since, "1.0.0");
        assert_eq!(get.key_specs.len(), 1);
        assert_eq!(get.key_specs[0].flags, ["RO", "access"]);
        assert_eq!(get.key_specs[0].begin_search, BeginSearch::Index(1));
        assert_eq!(get.key_specs[0].find_keys, FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 });
        assert_eq!(get.args.len(), 1);
        assert_eq!((get.args[0].name, get.args[0].typ, get.args[0].key_spec_index), ("key", "key", 0));
    }

    #[test]
    fn set_row() {
        let set = row("set");
        assert_eq!(set.arity, -3);
        assert_eq!(set.flags, ["write", "denyoom"]);
        assert_eq!(set.acl_categories, ["@write", "@string", "@slow"]);
        assert_eq!(set.key_specs.len(), 1);
        assert_eq!(set.key_specs[0].flags, ["RW", "access", "update", "variable_flags"]);
        let names: Vec<&str> = set.args.iter().map(|a| a.name).collect();
        assert_eq!(names, ["key", "value", "condition", "get", "expiration"]);
        let condition = arg(set.args, "condition");
        assert_eq!(condition.typ, "oneof");
        assert_eq!(condition.flags, ["optional"]);
        assert_eq!(condition.since, Some("2.6.12"));
        let tokens: Vec<_> = condition.subargs.iter().map(|a| a.token).collect();
        assert_eq!(tokens, [Some("NX"), Some("XX")]);
        let get = arg(set.args, "get");
        assert_eq!((get.typ, get.token, get.since), ("pure-token", Some("GET"), Some("6.2.0")));
        let expiration = arg(set.args, "expiration");
        let tokens: Vec<_> = expiration.subargs.iter().map(|a| a.token.unwrap_or("")).collect();
        assert_eq!(tokens, ["EX", "PX", "EXAT", "PXAT", "KEEPTTL"]);
        assert_eq!(arg(expiration.subargs, "unix-time-seconds").typ, "unix-time");
    }

    #[test]
    fn key_spec_shapes() {
        let mset = row("mset");
        assert_eq!((mset.first_key, mset.last_key, mset.key_step), (1, -1, 2));
        assert_eq!(mset.key_specs[0].flags, ["OW", "update"]);
        assert_eq!(mset.key_specs[0].find_keys, FindKeys::Range { lastkey: -1, keystep: 2, limit: 0 });
        let eval = row("eval");
        assert!(eval.flags.contains(&"movablekeys"));
        assert_eq!(eval.key_specs[0].begin_search, BeginSearch::Index(2));
        assert_eq!(eval.key_specs[0].find_keys, FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 });
        let xread = row("xread");
        assert_eq!(xread.key_specs[0].begin_search, BeginSearch::Keyword { keyword: "STREAMS", startfrom: 1 });
        assert_eq!(xread.key_specs[0].find_keys, FindKeys::Range { lastkey: -1, keystep: 1, limit: 2 });
        let sort = row("sort");
        assert_eq!(sort.key_specs[1].begin_search, BeginSearch::Unknown);
        assert_eq!(sort.key_specs[1].find_keys, FindKeys::Unknown);
        let rename = row("rename");
        assert_eq!(rename.key_specs[0].flags, ["RW", "access", "delete"]);
        assert_eq!(rename.key_specs[1].flags, ["OW", "update"]);
        let del = row("del");
        assert_eq!(del.key_specs[0].flags, ["RM", "delete"]);
    }

    #[test]
    fn subcommands_have_parents() {
        for r in COMMANDS.iter().filter(|r| r.is_subcommand()) {
            let parent = r.parent_name().unwrap_or("");
            assert!(!parent.is_empty() && !parent.contains('|'), "{}", r.name);
            let p = row(parent);
            // Containers take at least a subcommand, except COMMAND (-1),
            // which alone lists every command.
            assert_eq!(p.arity, if parent == "command" { -1 } else { -2 }, "container {}", p.name);
            assert!(subcommands(parent).iter().any(|s| std::ptr::eq(s, r)));
            assert_eq!(r.group, p.group, "{}", r.name);
        }
        let config: Vec<&str> = subcommands("config").iter().map(|r| r.name).collect();
        assert_eq!(config, ["config|get", "config|help", "config|resetstat", "config|rewrite", "config|set"]);
        let object: Vec<&str> = subcommands("object").iter().map(|r| r.name).collect();
        assert_eq!(object, ["object|encoding", "object|freq", "object|help", "object|idletime", "object|refcount"]);
        assert_eq!(subcommands("client").len(), 17); // 16 in Redis 7.0, plus setinfo
        assert!(subcommands("get").is_empty());
        assert!(subcommands("debug").is_empty());
        assert!(subcommands("georadius").is_empty());
    }

    #[test]
    fn containers_and_debug() {
        let config = row("config");
        assert_eq!((config.arity, config.flags.len()), (-2, 0));
        assert_eq!(config.acl_categories, ["@slow"]);
        let get = row("config|get");
        assert_eq!(get.arity, -3);
        assert_eq!(get.flags, ["admin", "noscript", "loading", "stale"]);
        assert_eq!(get.acl_categories, ["@admin", "@slow", "@dangerous"]);
        let debug = row("debug");
        assert_eq!(debug.arity, -2);
        assert_eq!(debug.flags, ["admin", "noscript", "loading", "stale"]);
        assert_eq!(debug.doc_flags, ["syscmd"]);
        let count = row("command|count");
        assert_eq!(count.arity, 2);
        assert_eq!(count.flags, ["loading", "stale"]);
        assert_eq!(count.acl_categories, ["@slow", "@connection"]);
    }

    #[test]
    fn client_setinfo_row() {
        let r = row("client|setinfo");
        assert_eq!(r.arity, 4);
        assert_eq!(r.tips, ["request_policy:all_nodes", "response_policy:all_succeeded"]);
        assert_eq!(r.flags, ["noscript", "loading", "stale"]);
        assert_eq!(r.acl_categories, ["@slow", "@connection"]);
        assert_eq!(r.group, "connection");
        assert_eq!(r.since, "7.2.0");
        assert_eq!(r.args.len(), 1);
        assert_eq!((r.args[0].name, r.args[0].typ), ("attr", "oneof"));
        let alts: Vec<_> = r.args[0].subargs.iter().map(|a| (a.name, a.typ, a.token)).collect();
        assert_eq!(alts, [("libname", "string", Some("LIB-NAME")), ("libver", "string", Some("LIB-VER"))]);
    }

    #[test]
    fn deprecated_rows() {
        let getset = row("getset");
        assert_eq!(getset.doc_flags, ["deprecated"]);
        assert_eq!(getset.deprecated_since, Some("6.2.0"));
        assert!(getset.replaced_by.is_some());
        let substr = row("substr");
        assert_eq!(substr.deprecated_since, Some("2.0.0"));
        for r in COMMANDS {
            let deprecated = r.doc_flags.contains(&"deprecated");
            assert_eq!(deprecated, r.deprecated_since.is_some(), "{}", r.name);
            assert_eq!(deprecated, r.replaced_by.is_some(), "{}", r.name);
        }
    }

    fn check_args(cmd: &CommandMeta, args: &[Arg]) {
        for a in args {
            assert!(!a.name.is_empty(), "{}", cmd.name);
            assert!(ARG_TYPES.contains(&a.typ), "{}: type {}", cmd.name, a.typ);
            for f in a.flags {
                assert!(ARG_FLAGS.contains(f), "{}: arg flag {f}", cmd.name);
            }
            // Key arguments always point at a key spec; SORT's BY and GET
            // patterns do too, since they name keys indirectly.
            if a.typ == "key" {
                assert!(a.key_spec_index >= 0, "{}: {}", cmd.name, a.name);
            }
            if a.key_spec_index != -1 {
                assert!(a.key_spec_index >= 0 && (a.key_spec_index as usize) < cmd.key_specs.len(), "{}", cmd.name);
            }
            if a.typ == "pure-token" {
                assert!(a.token.is_some(), "{}: {}", cmd.name, a.name);
            }
            assert_eq!(matches!(a.typ, "oneof" | "block"), !a.subargs.is_empty(), "{}: {}", cmd.name, a.name);
            check_args(cmd, a.subargs);
        }
    }

    #[test]
    fn every_row_is_well_formed() {
        for r in COMMANDS {
            assert!(r.arity != 0, "{}", r.name);
            // LOLWUT and MONITOR have no complexity line, as in Redis.
            assert!(!r.summary.is_empty(), "{}", r.name);
            assert!(
                !r.complexity.is_empty() || matches!(r.name, "lolwut" | "monitor"),
                "{}",
                r.name
            );
            assert!(!r.group.is_empty() && !r.since.is_empty(), "{}", r.name);
            assert!(!r.acl_categories.is_empty(), "{}", r.name);
            for c in r.acl_categories {
                assert!(c.starts_with('@'), "{}", r.name);
            }
            for f in r.flags {
                assert!(COMMAND_FLAGS.contains(f), "{}: flag {f}", r.name);
            }
            for ks in r.key_specs {
                for f in ks.flags {
                    assert!(KEY_SPEC_FLAGS.contains(f), "{}: key spec flag {f}", r.name);
                }
            }
            if r.first_key != 0 {
                assert!(!r.key_specs.is_empty(), "{}", r.name);
            }
            check_args(r, r.args);
        }
    }

    #[test]
    fn foundation_commands_are_present() {
        let names = [
            "del", "unlink", "exists", "type", "keys", "scan", "randomkey", "rename", "renamenx",
            "move", "copy", "expire", "pexpire", "expireat", "pexpireat", "ttl", "pttl",
            "expiretime", "pexpiretime", "persist", "touch", "dbsize", "flushdb", "flushall",
            "swapdb", "select", "object", "object|encoding", "object|refcount", "object|idletime",
            "object|freq", "object|help", "get", "set", "setnx", "setex", "psetex", "mget", "mset",
            "msetnx", "getset", "getdel", "getex", "append", "strlen", "incr", "decr", "incrby",
            "decrby", "incrbyfloat", "getrange", "setrange", "substr", "lcs", "ping", "echo",
            "quit", "reset", "auth", "time", "shutdown", "hello", "client", "client|id",
            "client|setname", "client|getname", "client|list", "client|info", "client|kill",
            "client|setinfo", "client|reply", "client|no-evict", "client|help", "info", "config",
            "config|get", "config|set", "config|resetstat", "config|help", "debug", "command",
            "command|count", "command|info", "command|docs", "command|list", "command|getkeys",
            "command|help",
        ];
        for n in names {
            let r = row(n);
            assert!(r.summary.len() > 10, "{n}");
        }
        let hello = row("hello");
        assert_eq!(hello.flags, ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"]);
        let auth = row("auth");
        assert!(auth.flags.contains(&"no_auth"));
        assert_eq!(row("ping").tips, ["request_policy:all_shards", "response_policy:all_succeeded"]);
        assert_eq!(row("keys").tips, ["request_policy:all_shards", "nondeterministic_output_order"]);
    }
}
'''


if __name__ == "__main__":
    main()
