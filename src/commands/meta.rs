//! The command table as data: one [`CommandMeta`] row per command and per
//! subcommand that Redis 7.0.15 knows, plus CLIENT SETINFO from 7.2.
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
//! [`subcommands`]). The table has 367 rows, 240 of
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
    CommandMeta {
        name: "acl",
        arity: -2,
        acl_categories: &["@slow"],
        group: "server",
        since: "6.0.0",
        complexity: "Per subcommand",
        summary: "Container for subcommands that manage users and permissions.",
        ..CMD
    },
    CommandMeta {
        name: "acl|cat",
        arity: -2,
        flags: &["noscript", "loading", "stale"],
        acl_categories: &["@slow"],
        group: "server",
        since: "6.0.0",
        complexity: "O(1)",
        summary: "Lists the ACL categories, or the commands in one category.",
        args: &[
            Arg { name: "categoryname", typ: "string", flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "acl|deluser",
        arity: -3,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "6.0.0",
        complexity: "O(1) per user, plus disconnections",
        summary: "Deletes ACL users and disconnects clients logged in as them.",
        args: &[
            Arg { name: "username", typ: "string", flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "acl|dryrun",
        arity: -4,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "7.0.0",
        complexity: "O(1)",
        summary: "Checks whether a user could run a command line, without running it.",
        args: &[
            Arg { name: "username", typ: "string", ..ARG },
            Arg { name: "command", typ: "string", ..ARG },
            Arg { name: "arg", typ: "string", flags: &["optional", "multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "acl|genpass",
        arity: -2,
        flags: &["noscript", "loading", "stale"],
        acl_categories: &["@slow"],
        group: "server",
        since: "6.0.0",
        complexity: "O(1)",
        summary: "Returns random hex characters suitable for a password.",
        args: &[
            Arg { name: "bits", typ: "integer", flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "acl|getuser",
        arity: 3,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "6.0.0",
        complexity: "O(N) in the user's passwords, commands and patterns",
        summary: "Describes the rules of one ACL user.",
        args: &[
            Arg { name: "username", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "acl|help",
        arity: 2,
        flags: &["loading", "stale"],
        acl_categories: &["@slow"],
        group: "server",
        since: "6.0.0",
        complexity: "O(1)",
        summary: "Lists the ACL subcommands with a line of help each.",
        ..CMD
    },
    CommandMeta {
        name: "acl|list",
        arity: 2,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "6.0.0",
        complexity: "O(N) in the number of users",
        summary: "Lists every ACL user as a rule line, as an ACL file would hold it.",
        ..CMD
    },
    CommandMeta {
        name: "acl|load",
        arity: 2,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "6.0.0",
        complexity: "O(N) in the number of users",
        summary: "Reloads the ACL users from the configured ACL file.",
        ..CMD
    },
    CommandMeta {
        name: "acl|log",
        arity: -2,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "6.0.0",
        complexity: "O(N) in the entries shown",
        summary: "Shows or clears the log of denied commands and failed logins.",
        args: &[
            Arg { name: "operation", typ: "oneof", flags: &["optional"], subargs: &[
                Arg { name: "count", typ: "integer", ..ARG },
                Arg { name: "reset", typ: "pure-token", token: Some("RESET"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "acl|save",
        arity: 2,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "6.0.0",
        complexity: "O(N) in the number of users",
        summary: "Writes the current ACL users to the configured ACL file.",
        ..CMD
    },
    CommandMeta {
        name: "acl|setuser",
        arity: -3,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "6.0.0",
        complexity: "O(N) in the number of rules given",
        summary: "Creates an ACL user or changes its rules.",
        args: &[
            Arg { name: "username", typ: "string", ..ARG },
            Arg { name: "rule", typ: "string", flags: &["optional", "multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "acl|users",
        arity: 2,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "6.0.0",
        complexity: "O(N) in the number of users",
        summary: "Lists the names of the ACL users.",
        ..CMD
    },
    CommandMeta {
        name: "acl|whoami",
        arity: 2,
        flags: &["noscript", "loading", "stale"],
        acl_categories: &["@slow"],
        group: "server",
        since: "6.0.0",
        complexity: "O(1)",
        summary: "Returns the username this connection is logged in as.",
        ..CMD
    },
    CommandMeta {
        name: "append",
        arity: 3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "insert"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "string",
        since: "2.0.0",
        complexity: "O(1) amortized",
        summary: "Appends bytes to the string at a key, creating it if missing; returns the new length.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "value", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "asking",
        arity: 1,
        flags: &["fast"],
        acl_categories: &["@fast", "@connection"],
        group: "cluster",
        since: "3.0.0",
        complexity: "O(1)",
        summary: "Lets the next command reach a slot that is being imported into this node.",
        ..CMD
    },
    CommandMeta {
        name: "auth",
        arity: -2,
        flags: &["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
        acl_categories: &["@fast", "@connection"],
        group: "connection",
        since: "1.0.0",
        complexity: "O(N) in the number of passwords the user has",
        summary: "Authenticates the connection with a password, or a username and password.",
        args: &[
            Arg { name: "username", typ: "string", since: Some("6.0.0"), flags: &["optional"], ..ARG },
            Arg { name: "password", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "bgrewriteaof",
        arity: 1,
        flags: &["admin", "noscript", "no_async_loading"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "1.0.0",
        complexity: "O(1) to start; the child does O(N) work",
        summary: "Starts rewriting the append-only file in a forked child.",
        ..CMD
    },
    CommandMeta {
        name: "bgsave",
        arity: -1,
        flags: &["admin", "noscript", "no_async_loading"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "1.0.0",
        complexity: "O(1) to start; the child does O(N) work",
        summary: "Starts saving an RDB snapshot in a forked child, or schedules it.",
        args: &[
            Arg { name: "schedule", typ: "pure-token", token: Some("SCHEDULE"), since: Some("3.2.2"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "bitcount",
        arity: -2,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@bitmap", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "bitmap",
        since: "2.6.0",
        complexity: "O(N) in the range scanned",
        summary: "Counts the set bits of a string, optionally within a byte or bit range.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "index", typ: "block", flags: &["optional"], subargs: &[
                Arg { name: "start", typ: "integer", ..ARG },
                Arg { name: "end", typ: "integer", ..ARG },
                Arg { name: "index_unit", typ: "oneof", since: Some("7.0.0"), flags: &["optional"], subargs: &[
                    Arg { name: "byte", typ: "pure-token", token: Some("BYTE"), ..ARG },
                    Arg { name: "bit", typ: "pure-token", token: Some("BIT"), ..ARG },
                ], ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "bitfield",
        arity: -2,
        flags: &["write", "denyoom"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@bitmap", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "update", "variable_flags"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "bitmap",
        since: "3.2.0",
        complexity: "O(1) per operation",
        summary: "Reads, writes and increments integer fields of any width at bit offsets.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "operation", typ: "oneof", flags: &["optional", "multiple"], subargs: &[
                Arg { name: "encoding_offset", typ: "block", token: Some("GET"), subargs: &[
                    Arg { name: "encoding", typ: "string", ..ARG },
                    Arg { name: "offset", typ: "integer", ..ARG },
                ], ..ARG },
                Arg { name: "write", typ: "block", subargs: &[
                    Arg { name: "wrap_sat_fail", typ: "oneof", token: Some("OVERFLOW"), flags: &["optional"], subargs: &[
                        Arg { name: "wrap", typ: "pure-token", token: Some("WRAP"), ..ARG },
                        Arg { name: "sat", typ: "pure-token", token: Some("SAT"), ..ARG },
                        Arg { name: "fail", typ: "pure-token", token: Some("FAIL"), ..ARG },
                    ], ..ARG },
                    Arg { name: "write_operation", typ: "oneof", subargs: &[
                        Arg { name: "encoding_offset_value", typ: "block", token: Some("SET"), subargs: &[
                            Arg { name: "encoding", typ: "string", ..ARG },
                            Arg { name: "offset", typ: "integer", ..ARG },
                            Arg { name: "value", typ: "integer", ..ARG },
                        ], ..ARG },
                        Arg { name: "encoding_offset_increment", typ: "block", token: Some("INCRBY"), subargs: &[
                            Arg { name: "encoding", typ: "string", ..ARG },
                            Arg { name: "offset", typ: "integer", ..ARG },
                            Arg { name: "increment", typ: "integer", ..ARG },
                        ], ..ARG },
                    ], ..ARG },
                ], ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "bitfield_ro",
        arity: -2,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@bitmap", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "bitmap",
        since: "6.0.0",
        complexity: "O(1) per operation",
        summary: "Reads integer fields at bit offsets (read-only BITFIELD).",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "encoding_offset", typ: "block", token: Some("GET"), flags: &["optional", "multiple", "multiple_token"], subargs: &[
                Arg { name: "encoding", typ: "string", ..ARG },
                Arg { name: "offset", typ: "integer", ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "bitop",
        arity: -4,
        flags: &["write", "denyoom"],
        first_key: 2, last_key: -1, key_step: 1,
        acl_categories: &["@write", "@bitmap", "@slow"],
        key_specs: &[
            KeySpec { flags: &["OW", "update"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(3), find_keys: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 } },
        ],
        group: "bitmap",
        since: "2.6.0",
        complexity: "O(N) in the longest input",
        summary: "Combines strings with AND, OR, XOR or NOT and stores the result.",
        args: &[
            Arg { name: "operation", typ: "string", ..ARG },
            Arg { name: "destkey", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 1, flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "bitpos",
        arity: -3,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@bitmap", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "bitmap",
        since: "2.8.7",
        complexity: "O(N) in the range scanned",
        summary: "Finds the first set or clear bit of a string, optionally within a range.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "bit", typ: "integer", ..ARG },
            Arg { name: "index", typ: "block", flags: &["optional"], subargs: &[
                Arg { name: "start", typ: "integer", ..ARG },
                Arg { name: "end_index", typ: "block", flags: &["optional"], subargs: &[
                    Arg { name: "end", typ: "integer", ..ARG },
                    Arg { name: "index_unit", typ: "oneof", since: Some("7.0.0"), flags: &["optional"], subargs: &[
                        Arg { name: "byte", typ: "pure-token", token: Some("BYTE"), ..ARG },
                        Arg { name: "bit", typ: "pure-token", token: Some("BIT"), ..ARG },
                    ], ..ARG },
                ], ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "blmove",
        arity: 6,
        flags: &["write", "denyoom", "noscript", "blocking"],
        first_key: 1, last_key: 2, key_step: 1,
        acl_categories: &["@write", "@list", "@slow", "@blocking"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpec { flags: &["RW", "insert"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "list",
        since: "6.2.0",
        complexity: "O(1)",
        summary: "Like LMOVE, but waits for an element when the source list is empty.",
        args: &[
            Arg { name: "source", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "destination", typ: "key", key_spec_index: 1, ..ARG },
            Arg { name: "wherefrom", typ: "oneof", subargs: &[
                Arg { name: "left", typ: "pure-token", token: Some("LEFT"), ..ARG },
                Arg { name: "right", typ: "pure-token", token: Some("RIGHT"), ..ARG },
            ], ..ARG },
            Arg { name: "whereto", typ: "oneof", subargs: &[
                Arg { name: "left", typ: "pure-token", token: Some("LEFT"), ..ARG },
                Arg { name: "right", typ: "pure-token", token: Some("RIGHT"), ..ARG },
            ], ..ARG },
            Arg { name: "timeout", typ: "double", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "blmpop",
        arity: -5,
        flags: &["write", "blocking", "movablekeys"],
        acl_categories: &["@write", "@list", "@slow", "@blocking"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "delete"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ],
        group: "list",
        since: "7.0.0",
        complexity: "O(N+M) in keys given and elements popped",
        summary: "Like LMPOP, but waits for an element when every list is empty.",
        args: &[
            Arg { name: "timeout", typ: "double", ..ARG },
            Arg { name: "numkeys", typ: "integer", ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["multiple"], ..ARG },
            Arg { name: "where", typ: "oneof", subargs: &[
                Arg { name: "left", typ: "pure-token", token: Some("LEFT"), ..ARG },
                Arg { name: "right", typ: "pure-token", token: Some("RIGHT"), ..ARG },
            ], ..ARG },
            Arg { name: "count", typ: "integer", token: Some("COUNT"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "blpop",
        arity: -3,
        flags: &["write", "noscript", "blocking"],
        first_key: 1, last_key: -2, key_step: 1,
        acl_categories: &["@write", "@list", "@slow", "@blocking"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: -2, keystep: 1, limit: 0 } },
        ],
        group: "list",
        since: "2.0.0",
        complexity: "O(N) in the number of keys",
        summary: "Pops the head of the first non-empty list, waiting while all are empty.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["multiple"], ..ARG },
            Arg { name: "timeout", typ: "double", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "brpop",
        arity: -3,
        flags: &["write", "noscript", "blocking"],
        first_key: 1, last_key: -2, key_step: 1,
        acl_categories: &["@write", "@list", "@slow", "@blocking"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: -2, keystep: 1, limit: 0 } },
        ],
        group: "list",
        since: "2.0.0",
        complexity: "O(N) in the number of keys",
        summary: "Pops the tail of the first non-empty list, waiting while all are empty.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["multiple"], ..ARG },
            Arg { name: "timeout", typ: "double", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "brpoplpush",
        arity: 4,
        flags: &["write", "denyoom", "noscript", "blocking"],
        first_key: 1, last_key: 2, key_step: 1,
        acl_categories: &["@write", "@list", "@slow", "@blocking"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpec { flags: &["RW", "insert"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "list",
        since: "2.2.0",
        complexity: "O(1)",
        summary: "Like RPOPLPUSH, but waits for an element when the source list is empty.",
        doc_flags: &["deprecated"],
        deprecated_since: Some("6.2.0"),
        replaced_by: Some("BLMOVE with RIGHT and LEFT"),
        args: &[
            Arg { name: "source", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "destination", typ: "key", key_spec_index: 1, ..ARG },
            Arg { name: "timeout", typ: "double", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "bzmpop",
        arity: -5,
        flags: &["write", "blocking", "movablekeys"],
        acl_categories: &["@write", "@sortedset", "@slow", "@blocking"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "delete"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ],
        group: "sorted-set",
        since: "7.0.0",
        complexity: "O(K + M*log N) for K keys and M members popped",
        summary: "Like ZMPOP, but waits while every sorted set is empty.",
        args: &[
            Arg { name: "timeout", typ: "double", ..ARG },
            Arg { name: "numkeys", typ: "integer", ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["multiple"], ..ARG },
            Arg { name: "where", typ: "oneof", subargs: &[
                Arg { name: "min", typ: "pure-token", token: Some("MIN"), ..ARG },
                Arg { name: "max", typ: "pure-token", token: Some("MAX"), ..ARG },
            ], ..ARG },
            Arg { name: "count", typ: "integer", token: Some("COUNT"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "bzpopmax",
        arity: -3,
        flags: &["write", "noscript", "blocking", "fast"],
        first_key: 1, last_key: -2, key_step: 1,
        acl_categories: &["@write", "@sortedset", "@fast", "@blocking"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: -2, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "5.0.0",
        complexity: "O(log N)",
        summary: "Like ZPOPMAX on the first non-empty sorted set, waiting while all are empty.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["multiple"], ..ARG },
            Arg { name: "timeout", typ: "double", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "bzpopmin",
        arity: -3,
        flags: &["write", "noscript", "blocking", "fast"],
        first_key: 1, last_key: -2, key_step: 1,
        acl_categories: &["@write", "@sortedset", "@fast", "@blocking"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: -2, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "5.0.0",
        complexity: "O(log N)",
        summary: "Like ZPOPMIN on the first non-empty sorted set, waiting while all are empty.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["multiple"], ..ARG },
            Arg { name: "timeout", typ: "double", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "client",
        arity: -2,
        acl_categories: &["@slow"],
        group: "connection",
        since: "2.4.0",
        complexity: "Per subcommand",
        summary: "Container for subcommands that inspect and control client connections.",
        ..CMD
    },
    CommandMeta {
        name: "client|caching",
        arity: 3,
        flags: &["noscript", "loading", "stale"],
        acl_categories: &["@slow", "@connection"],
        group: "connection",
        since: "6.0.0",
        complexity: "O(1)",
        summary: "Tells tracking whether the next command's keys should be tracked (OPTIN/OPTOUT modes).",
        args: &[
            Arg { name: "mode", typ: "oneof", subargs: &[
                Arg { name: "yes", typ: "pure-token", token: Some("YES"), ..ARG },
                Arg { name: "no", typ: "pure-token", token: Some("NO"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "client|getname",
        arity: 2,
        flags: &["noscript", "loading", "stale"],
        acl_categories: &["@slow", "@connection"],
        group: "connection",
        since: "2.6.9",
        complexity: "O(1)",
        summary: "Returns the name of this connection, or nil if it has none.",
        ..CMD
    },
    CommandMeta {
        name: "client|getredir",
        arity: 2,
        flags: &["noscript", "loading", "stale"],
        acl_categories: &["@slow", "@connection"],
        group: "connection",
        since: "6.0.0",
        complexity: "O(1)",
        summary: "Returns the ID of the client receiving this connection's tracking invalidations.",
        ..CMD
    },
    CommandMeta {
        name: "client|help",
        arity: 2,
        flags: &["loading", "stale"],
        acl_categories: &["@slow", "@connection"],
        group: "connection",
        since: "5.0.0",
        complexity: "O(1)",
        summary: "Lists the CLIENT subcommands with a line of help each.",
        ..CMD
    },
    CommandMeta {
        name: "client|id",
        arity: 2,
        flags: &["noscript", "loading", "stale"],
        acl_categories: &["@slow", "@connection"],
        group: "connection",
        since: "5.0.0",
        complexity: "O(1)",
        summary: "Returns the unique numeric ID of this connection.",
        ..CMD
    },
    CommandMeta {
        name: "client|info",
        arity: 2,
        flags: &["noscript", "loading", "stale"],
        acl_categories: &["@slow", "@connection"],
        tips: &["nondeterministic_output"],
        group: "connection",
        since: "6.2.0",
        complexity: "O(1)",
        summary: "Describes this connection in the same line format as CLIENT LIST.",
        ..CMD
    },
    CommandMeta {
        name: "client|kill",
        arity: -3,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous", "@connection"],
        group: "connection",
        since: "2.4.0",
        complexity: "O(N) in the number of clients",
        summary: "Closes client connections chosen by address, ID, type, user or other filters.",
        args: &[
            Arg { name: "filter", typ: "oneof", subargs: &[
                Arg { name: "ip:port", typ: "string", deprecated_since: Some("2.8.12"), ..ARG },
                Arg { name: "new-format", typ: "oneof", flags: &["multiple"], subargs: &[
                    Arg { name: "client-id", typ: "integer", token: Some("ID"), since: Some("2.8.12"), flags: &["optional"], ..ARG },
                    Arg { name: "normal_master_slave_pubsub", typ: "oneof", token: Some("TYPE"), since: Some("2.8.12"), flags: &["optional"], subargs: &[
                        Arg { name: "normal", typ: "pure-token", token: Some("NORMAL"), ..ARG },
                        Arg { name: "master", typ: "pure-token", token: Some("MASTER"), since: Some("3.2.0"), ..ARG },
                        Arg { name: "slave", typ: "pure-token", token: Some("SLAVE"), ..ARG },
                        Arg { name: "replica", typ: "pure-token", token: Some("REPLICA"), since: Some("5.0.0"), ..ARG },
                        Arg { name: "pubsub", typ: "pure-token", token: Some("PUBSUB"), ..ARG },
                    ], ..ARG },
                    Arg { name: "username", typ: "string", token: Some("USER"), flags: &["optional"], ..ARG },
                    Arg { name: "ip:port", typ: "string", token: Some("ADDR"), flags: &["optional"], ..ARG },
                    Arg { name: "ip:port", typ: "string", token: Some("LADDR"), since: Some("6.2.0"), flags: &["optional"], ..ARG },
                    Arg { name: "yes/no", typ: "string", token: Some("SKIPME"), flags: &["optional"], ..ARG },
                ], ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "client|list",
        arity: -2,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous", "@connection"],
        tips: &["nondeterministic_output"],
        group: "connection",
        since: "2.4.0",
        complexity: "O(N) in the number of clients",
        summary: "Describes every connected client, one line each, optionally filtered by type or ID.",
        args: &[
            Arg { name: "normal_master_replica_pubsub", typ: "oneof", token: Some("TYPE"), since: Some("5.0.0"), flags: &["optional"], subargs: &[
                Arg { name: "normal", typ: "pure-token", token: Some("NORMAL"), ..ARG },
                Arg { name: "master", typ: "pure-token", token: Some("MASTER"), ..ARG },
                Arg { name: "replica", typ: "pure-token", token: Some("REPLICA"), ..ARG },
                Arg { name: "pubsub", typ: "pure-token", token: Some("PUBSUB"), ..ARG },
            ], ..ARG },
            Arg { name: "id", typ: "block", token: Some("ID"), since: Some("6.2.0"), flags: &["optional"], subargs: &[
                Arg { name: "client-id", typ: "integer", flags: &["multiple"], ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "client|no-evict",
        arity: 3,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous", "@connection"],
        group: "connection",
        since: "7.0.0",
        complexity: "O(1)",
        summary: "Exempts this connection from client eviction, or makes it subject to it again.",
        args: &[
            Arg { name: "enabled", typ: "oneof", subargs: &[
                Arg { name: "on", typ: "pure-token", token: Some("ON"), ..ARG },
                Arg { name: "off", typ: "pure-token", token: Some("OFF"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "client|pause",
        arity: -3,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous", "@connection"],
        group: "connection",
        since: "2.9.50",
        complexity: "O(N) in the number of clients paused",
        summary: "Suspends command processing for all clients, or only writes, for some milliseconds.",
        args: &[
            Arg { name: "timeout", typ: "integer", ..ARG },
            Arg { name: "mode", typ: "oneof", since: Some("6.2.0"), flags: &["optional"], subargs: &[
                Arg { name: "write", typ: "pure-token", token: Some("WRITE"), ..ARG },
                Arg { name: "all", typ: "pure-token", token: Some("ALL"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "client|reply",
        arity: 3,
        flags: &["noscript", "loading", "stale"],
        acl_categories: &["@slow", "@connection"],
        group: "connection",
        since: "3.2.0",
        complexity: "O(1)",
        summary: "Turns replies for this connection on or off, or skips the reply to the next command.",
        args: &[
            Arg { name: "on_off_skip", typ: "oneof", subargs: &[
                Arg { name: "on", typ: "pure-token", token: Some("ON"), ..ARG },
                Arg { name: "off", typ: "pure-token", token: Some("OFF"), ..ARG },
                Arg { name: "skip", typ: "pure-token", token: Some("SKIP"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "client|setinfo",
        arity: 4,
        flags: &["noscript", "loading", "stale"],
        acl_categories: &["@slow", "@connection"],
        tips: &["request_policy:all_nodes", "response_policy:all_succeeded"],
        group: "connection",
        since: "7.2.0",
        complexity: "O(1)",
        summary: "Records the client library name or version for this connection, shown by CLIENT LIST.",
        args: &[
            Arg { name: "attr", typ: "oneof", subargs: &[
                Arg { name: "libname", typ: "string", token: Some("LIB-NAME"), ..ARG },
                Arg { name: "libver", typ: "string", token: Some("LIB-VER"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "client|setname",
        arity: 3,
        flags: &["noscript", "loading", "stale"],
        acl_categories: &["@slow", "@connection"],
        group: "connection",
        since: "2.6.9",
        complexity: "O(1)",
        summary: "Gives this connection a name, shown by CLIENT LIST; an empty name clears it.",
        args: &[
            Arg { name: "connection-name", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "client|tracking",
        arity: -3,
        flags: &["noscript", "loading", "stale"],
        acl_categories: &["@slow", "@connection"],
        group: "connection",
        since: "6.0.0",
        complexity: "O(1), more with many prefixes",
        summary: "Turns server-assisted client-side caching on or off for this connection.",
        args: &[
            Arg { name: "status", typ: "oneof", subargs: &[
                Arg { name: "on", typ: "pure-token", token: Some("ON"), ..ARG },
                Arg { name: "off", typ: "pure-token", token: Some("OFF"), ..ARG },
            ], ..ARG },
            Arg { name: "client-id", typ: "integer", token: Some("REDIRECT"), flags: &["optional"], ..ARG },
            Arg { name: "prefix", typ: "string", token: Some("PREFIX"), flags: &["optional", "multiple", "multiple_token"], ..ARG },
            Arg { name: "bcast", typ: "pure-token", token: Some("BCAST"), flags: &["optional"], ..ARG },
            Arg { name: "optin", typ: "pure-token", token: Some("OPTIN"), flags: &["optional"], ..ARG },
            Arg { name: "optout", typ: "pure-token", token: Some("OPTOUT"), flags: &["optional"], ..ARG },
            Arg { name: "noloop", typ: "pure-token", token: Some("NOLOOP"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "client|trackinginfo",
        arity: 2,
        flags: &["noscript", "loading", "stale"],
        acl_categories: &["@slow", "@connection"],
        group: "connection",
        since: "6.2.0",
        complexity: "O(1)",
        summary: "Reports the client-side caching settings of this connection.",
        ..CMD
    },
    CommandMeta {
        name: "client|unblock",
        arity: -3,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous", "@connection"],
        group: "connection",
        since: "5.0.0",
        complexity: "O(log N) in the number of clients",
        summary: "Wakes a client blocked on a blocking command, with a timeout or an error.",
        args: &[
            Arg { name: "client-id", typ: "integer", ..ARG },
            Arg { name: "timeout_error", typ: "oneof", flags: &["optional"], subargs: &[
                Arg { name: "timeout", typ: "pure-token", token: Some("TIMEOUT"), ..ARG },
                Arg { name: "error", typ: "pure-token", token: Some("ERROR"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "client|unpause",
        arity: 2,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous", "@connection"],
        group: "connection",
        since: "6.2.0",
        complexity: "O(N) in the number of paused clients",
        summary: "Resumes command processing suspended by CLIENT PAUSE.",
        ..CMD
    },
    CommandMeta {
        name: "cluster",
        arity: -2,
        acl_categories: &["@slow"],
        group: "cluster",
        since: "3.0.0",
        complexity: "Per subcommand",
        summary: "Container for subcommands that manage Redis Cluster.",
        ..CMD
    },
    CommandMeta {
        name: "cluster|addslots",
        arity: -3,
        flags: &["admin", "stale", "no_async_loading"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "cluster",
        since: "3.0.0",
        complexity: "O(N) in the slots given",
        summary: "Assigns hash slots to this node.",
        args: &[
            Arg { name: "slot", typ: "integer", flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "cluster|addslotsrange",
        arity: -4,
        flags: &["admin", "stale", "no_async_loading"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "cluster",
        since: "7.0.0",
        complexity: "O(N) in the slots given",
        summary: "Assigns ranges of hash slots to this node.",
        args: &[
            Arg { name: "start-slot_end-slot", typ: "block", flags: &["multiple"], subargs: &[
                Arg { name: "start-slot", typ: "integer", ..ARG },
                Arg { name: "end-slot", typ: "integer", ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "cluster|bumpepoch",
        arity: 2,
        flags: &["admin", "stale", "no_async_loading"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        tips: &["nondeterministic_output"],
        group: "cluster",
        since: "3.0.0",
        complexity: "O(1)",
        summary: "Advances this node's config epoch.",
        ..CMD
    },
    CommandMeta {
        name: "cluster|count-failure-reports",
        arity: 3,
        flags: &["admin", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        tips: &["nondeterministic_output"],
        group: "cluster",
        since: "3.0.0",
        complexity: "O(N) in the reports",
        summary: "Returns how many failure reports stand against a node.",
        args: &[
            Arg { name: "node-id", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "cluster|countkeysinslot",
        arity: 3,
        flags: &["stale"],
        acl_categories: &["@slow"],
        group: "cluster",
        since: "3.0.0",
        complexity: "O(1)",
        summary: "Returns the number of keys in a hash slot.",
        args: &[
            Arg { name: "slot", typ: "integer", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "cluster|delslots",
        arity: -3,
        flags: &["admin", "stale", "no_async_loading"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "cluster",
        since: "3.0.0",
        complexity: "O(N) in the slots given",
        summary: "Unassigns hash slots from this node.",
        args: &[
            Arg { name: "slot", typ: "integer", flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "cluster|delslotsrange",
        arity: -4,
        flags: &["admin", "stale", "no_async_loading"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "cluster",
        since: "7.0.0",
        complexity: "O(N) in the slots given",
        summary: "Unassigns ranges of hash slots from this node.",
        args: &[
            Arg { name: "start-slot_end-slot", typ: "block", flags: &["multiple"], subargs: &[
                Arg { name: "start-slot", typ: "integer", ..ARG },
                Arg { name: "end-slot", typ: "integer", ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "cluster|failover",
        arity: -2,
        flags: &["admin", "stale", "no_async_loading"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "cluster",
        since: "3.0.0",
        complexity: "O(1)",
        summary: "Makes this replica take over from its master.",
        args: &[
            Arg { name: "options", typ: "oneof", flags: &["optional"], subargs: &[
                Arg { name: "force", typ: "pure-token", token: Some("FORCE"), ..ARG },
                Arg { name: "takeover", typ: "pure-token", token: Some("TAKEOVER"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "cluster|flushslots",
        arity: 2,
        flags: &["admin", "stale", "no_async_loading"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "cluster",
        since: "3.0.0",
        complexity: "O(1)",
        summary: "Unassigns every hash slot from this node.",
        ..CMD
    },
    CommandMeta {
        name: "cluster|forget",
        arity: 3,
        flags: &["admin", "stale", "no_async_loading"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "cluster",
        since: "3.0.0",
        complexity: "O(1)",
        summary: "Removes a node from this node's view of the cluster.",
        args: &[
            Arg { name: "node-id", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "cluster|getkeysinslot",
        arity: 4,
        flags: &["stale"],
        acl_categories: &["@slow"],
        tips: &["nondeterministic_output"],
        group: "cluster",
        since: "3.0.0",
        complexity: "O(N) in the keys returned",
        summary: "Returns key names from a hash slot.",
        args: &[
            Arg { name: "slot", typ: "integer", ..ARG },
            Arg { name: "count", typ: "integer", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "cluster|help",
        arity: 2,
        flags: &["loading", "stale"],
        acl_categories: &["@slow"],
        group: "cluster",
        since: "5.0.0",
        complexity: "O(1)",
        summary: "Lists the CLUSTER subcommands with a line of help each.",
        ..CMD
    },
    CommandMeta {
        name: "cluster|info",
        arity: 2,
        flags: &["stale"],
        acl_categories: &["@slow"],
        tips: &["nondeterministic_output"],
        group: "cluster",
        since: "3.0.0",
        complexity: "O(1)",
        summary: "Reports the state of the cluster as seen by this node.",
        ..CMD
    },
    CommandMeta {
        name: "cluster|keyslot",
        arity: 3,
        flags: &["stale"],
        acl_categories: &["@slow"],
        group: "cluster",
        since: "3.0.0",
        complexity: "O(N) in the key's length",
        summary: "Returns the hash slot a key name maps to.",
        args: &[
            Arg { name: "key", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "cluster|links",
        arity: 2,
        flags: &["stale"],
        acl_categories: &["@slow"],
        tips: &["nondeterministic_output"],
        group: "cluster",
        since: "7.0.0",
        complexity: "O(N) in the links",
        summary: "Lists this node's cluster bus connections.",
        ..CMD
    },
    CommandMeta {
        name: "cluster|meet",
        arity: -4,
        flags: &["admin", "stale", "no_async_loading"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "cluster",
        since: "3.0.0",
        complexity: "O(1)",
        summary: "Connects this node to another node to join the clusters.",
        args: &[
            Arg { name: "ip", typ: "string", ..ARG },
            Arg { name: "port", typ: "integer", ..ARG },
            Arg { name: "cluster_bus_port", typ: "integer", since: Some("4.0.0"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "cluster|myid",
        arity: 2,
        flags: &["stale"],
        acl_categories: &["@slow"],
        group: "cluster",
        since: "3.0.0",
        complexity: "O(1)",
        summary: "Returns this node's ID.",
        ..CMD
    },
    CommandMeta {
        name: "cluster|nodes",
        arity: 2,
        flags: &["stale"],
        acl_categories: &["@slow"],
        tips: &["nondeterministic_output"],
        group: "cluster",
        since: "3.0.0",
        complexity: "O(N) in the nodes",
        summary: "Describes the cluster's nodes in the nodes.conf format.",
        ..CMD
    },
    CommandMeta {
        name: "cluster|replicas",
        arity: 3,
        flags: &["admin", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        tips: &["nondeterministic_output"],
        group: "cluster",
        since: "5.0.0",
        complexity: "O(N) in the replicas",
        summary: "Lists the replicas of a master node.",
        args: &[
            Arg { name: "node-id", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "cluster|replicate",
        arity: 3,
        flags: &["admin", "stale", "no_async_loading"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "cluster",
        since: "3.0.0",
        complexity: "O(1)",
        summary: "Makes this node a replica of a master node.",
        args: &[
            Arg { name: "node-id", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "cluster|reset",
        arity: -2,
        flags: &["admin", "noscript", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "cluster",
        since: "3.0.0",
        complexity: "O(N) in the known nodes",
        summary: "Resets this node's cluster state, softly or fully.",
        args: &[
            Arg { name: "hard_soft", typ: "oneof", flags: &["optional"], subargs: &[
                Arg { name: "hard", typ: "pure-token", token: Some("HARD"), ..ARG },
                Arg { name: "soft", typ: "pure-token", token: Some("SOFT"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "cluster|saveconfig",
        arity: 2,
        flags: &["admin", "stale", "no_async_loading"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "cluster",
        since: "3.0.0",
        complexity: "O(1)",
        summary: "Writes the cluster state to nodes.conf.",
        ..CMD
    },
    CommandMeta {
        name: "cluster|set-config-epoch",
        arity: 3,
        flags: &["admin", "stale", "no_async_loading"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "cluster",
        since: "3.0.0",
        complexity: "O(1)",
        summary: "Sets the config epoch of a new node.",
        args: &[
            Arg { name: "config-epoch", typ: "integer", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "cluster|setslot",
        arity: -4,
        flags: &["admin", "stale", "no_async_loading"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "cluster",
        since: "3.0.0",
        complexity: "O(1)",
        summary: "Changes the state of a hash slot on this node (importing, migrating, node, stable).",
        args: &[
            Arg { name: "slot", typ: "integer", ..ARG },
            Arg { name: "subcommand", typ: "oneof", subargs: &[
                Arg { name: "node-id", typ: "string", token: Some("IMPORTING"), ..ARG },
                Arg { name: "node-id", typ: "string", token: Some("MIGRATING"), ..ARG },
                Arg { name: "node-id", typ: "string", token: Some("NODE"), ..ARG },
                Arg { name: "stable", typ: "pure-token", token: Some("STABLE"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "cluster|shards",
        arity: 2,
        flags: &["stale"],
        acl_categories: &["@slow"],
        tips: &["nondeterministic_output"],
        group: "cluster",
        since: "7.0.0",
        complexity: "O(N) in the nodes",
        summary: "Describes the cluster's shards: slots and nodes.",
        ..CMD
    },
    CommandMeta {
        name: "cluster|slaves",
        arity: 3,
        flags: &["admin", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        tips: &["nondeterministic_output"],
        group: "cluster",
        since: "3.0.0",
        complexity: "O(N) in the replicas",
        summary: "Lists the replicas of a master node (older name of CLUSTER REPLICAS).",
        doc_flags: &["deprecated"],
        deprecated_since: Some("5.0.0"),
        replaced_by: Some("CLUSTER REPLICAS"),
        args: &[
            Arg { name: "node-id", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "cluster|slots",
        arity: 2,
        flags: &["stale"],
        acl_categories: &["@slow"],
        tips: &["nondeterministic_output"],
        group: "cluster",
        since: "3.0.0",
        complexity: "O(N) in the nodes",
        summary: "Maps hash slot ranges to nodes.",
        doc_flags: &["deprecated"],
        deprecated_since: Some("7.0.0"),
        replaced_by: Some("CLUSTER SHARDS"),
        ..CMD
    },
    CommandMeta {
        name: "command",
        arity: -1,
        flags: &["loading", "stale"],
        acl_categories: &["@slow", "@connection"],
        tips: &["nondeterministic_output_order"],
        group: "server",
        since: "2.8.13",
        complexity: "O(N) in the number of commands",
        summary: "Describes every command the server knows; with a subcommand, inspects commands in other ways.",
        ..CMD
    },
    CommandMeta {
        name: "command|count",
        arity: 2,
        flags: &["loading", "stale"],
        acl_categories: &["@slow", "@connection"],
        group: "server",
        since: "2.8.13",
        complexity: "O(1)",
        summary: "Returns how many top-level commands the server knows.",
        ..CMD
    },
    CommandMeta {
        name: "command|docs",
        arity: -2,
        flags: &["loading", "stale"],
        acl_categories: &["@slow", "@connection"],
        tips: &["nondeterministic_output_order"],
        group: "server",
        since: "7.0.0",
        complexity: "O(N) in the number of commands described",
        summary: "Returns the documentation of the given commands, or of all of them.",
        args: &[
            Arg { name: "command-name", typ: "string", flags: &["optional", "multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "command|getkeys",
        arity: -4,
        flags: &["loading", "stale"],
        acl_categories: &["@slow", "@connection"],
        group: "server",
        since: "2.8.13",
        complexity: "O(N) in the number of arguments",
        summary: "Parses a full command line and returns which of its arguments are keys.",
        ..CMD
    },
    CommandMeta {
        name: "command|getkeysandflags",
        arity: -4,
        flags: &["loading", "stale"],
        acl_categories: &["@slow", "@connection"],
        group: "server",
        since: "7.0.0",
        complexity: "O(N) in the number of arguments",
        summary: "Parses a full command line and returns its key arguments, each with its access flags.",
        ..CMD
    },
    CommandMeta {
        name: "command|help",
        arity: 2,
        flags: &["loading", "stale"],
        acl_categories: &["@slow", "@connection"],
        group: "server",
        since: "5.0.0",
        complexity: "O(1)",
        summary: "Lists the COMMAND subcommands with a line of help each.",
        ..CMD
    },
    CommandMeta {
        name: "command|info",
        arity: -2,
        flags: &["loading", "stale"],
        acl_categories: &["@slow", "@connection"],
        tips: &["nondeterministic_output_order"],
        group: "server",
        since: "2.8.13",
        complexity: "O(N) in the number of commands described",
        summary: "Describes the given commands (arity, flags, keys, ACL categories), or all of them.",
        args: &[
            Arg { name: "command-name", typ: "string", flags: &["optional", "multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "command|list",
        arity: -2,
        flags: &["loading", "stale"],
        acl_categories: &["@slow", "@connection"],
        tips: &["nondeterministic_output_order"],
        group: "server",
        since: "7.0.0",
        complexity: "O(N) in the number of commands",
        summary: "Lists command names, optionally filtered by module, ACL category or pattern.",
        args: &[
            Arg { name: "filterby", typ: "oneof", token: Some("FILTERBY"), flags: &["optional"], subargs: &[
                Arg { name: "module-name", typ: "string", token: Some("MODULE"), ..ARG },
                Arg { name: "category", typ: "string", token: Some("ACLCAT"), ..ARG },
                Arg { name: "pattern", typ: "pattern", token: Some("PATTERN"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "config",
        arity: -2,
        acl_categories: &["@slow"],
        group: "server",
        since: "2.0.0",
        complexity: "Per subcommand",
        summary: "Container for subcommands that read and change the running configuration.",
        ..CMD
    },
    CommandMeta {
        name: "config|get",
        arity: -3,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "2.0.0",
        complexity: "O(N) in the number of directives",
        summary: "Returns the configuration directives whose names match the given glob patterns, with their values.",
        args: &[
            Arg { name: "parameter", typ: "block", flags: &["multiple"], subargs: &[
                Arg { name: "parameter", typ: "string", ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "config|help",
        arity: 2,
        flags: &["loading", "stale"],
        acl_categories: &["@slow"],
        group: "server",
        since: "5.0.0",
        complexity: "O(1)",
        summary: "Lists the CONFIG subcommands with a line of help each.",
        ..CMD
    },
    CommandMeta {
        name: "config|resetstat",
        arity: 2,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "2.0.0",
        complexity: "O(1)",
        summary: "Zeroes the statistics reported by INFO (command stats, error stats, counters).",
        ..CMD
    },
    CommandMeta {
        name: "config|rewrite",
        arity: 2,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "2.8.0",
        complexity: "O(1)",
        summary: "Writes the running configuration back to the config file.",
        ..CMD
    },
    CommandMeta {
        name: "config|set",
        arity: -4,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        tips: &["request_policy:all_nodes", "response_policy:all_succeeded"],
        group: "server",
        since: "2.0.0",
        complexity: "O(N) in the number of directives set",
        summary: "Changes one or more configuration directives while the server runs, all or none.",
        args: &[
            Arg { name: "parameter_value", typ: "block", flags: &["multiple"], subargs: &[
                Arg { name: "parameter", typ: "string", ..ARG },
                Arg { name: "value", typ: "string", ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "copy",
        arity: -3,
        flags: &["write", "denyoom"],
        first_key: 1, last_key: 2, key_step: 1,
        acl_categories: &["@keyspace", "@write", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpec { flags: &["OW", "update"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "generic",
        since: "6.2.0",
        complexity: "O(N) in the size of the copied value",
        summary: "Copies the value of a key to another key, optionally into another database or over an existing key.",
        args: &[
            Arg { name: "source", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "destination", typ: "key", key_spec_index: 1, ..ARG },
            Arg { name: "destination-db", typ: "integer", token: Some("DB"), flags: &["optional"], ..ARG },
            Arg { name: "replace", typ: "pure-token", token: Some("REPLACE"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "dbsize",
        arity: 1,
        flags: &["readonly", "fast"],
        acl_categories: &["@keyspace", "@read", "@fast"],
        tips: &["request_policy:all_shards", "response_policy:agg_sum"],
        group: "server",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Returns the number of keys in the selected database.",
        ..CMD
    },
    CommandMeta {
        name: "debug",
        arity: -2,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "1.0.0",
        complexity: "Per subcommand",
        summary: "Developer tools for testing and troubleshooting the server; disabled unless enable-debug-command allows it.",
        doc_flags: &["syscmd"],
        ..CMD
    },
    CommandMeta {
        name: "decr",
        arity: 2,
        flags: &["write", "denyoom", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "string",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Subtracts one from the integer stored at a key, starting from 0 if missing; returns the result.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "decrby",
        arity: 3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "string",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Subtracts an integer amount from the integer stored at a key, starting from 0 if missing.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "decrement", typ: "integer", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "del",
        arity: -2,
        flags: &["write"],
        first_key: 1, last_key: -1, key_step: 1,
        acl_categories: &["@keyspace", "@write", "@slow"],
        tips: &["request_policy:multi_shard", "response_policy:agg_sum"],
        key_specs: &[
            KeySpec { flags: &["RM", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 } },
        ],
        group: "generic",
        since: "1.0.0",
        complexity: "O(N) in the number of keys, plus O(M) in the elements of each removed aggregate value",
        summary: "Removes the given keys and returns how many of them existed.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "discard",
        arity: 1,
        flags: &["noscript", "loading", "stale", "fast", "allow_busy"],
        acl_categories: &["@fast", "@transaction"],
        group: "transactions",
        since: "2.0.0",
        complexity: "O(N) in the queued commands",
        summary: "Drops the queued commands of a transaction.",
        ..CMD
    },
    CommandMeta {
        name: "dump",
        arity: 2,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@keyspace", "@read", "@slow"],
        tips: &["nondeterministic_output"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "generic",
        since: "2.6.0",
        complexity: "O(1) to find the key, O(N*M) to serialize a value of N elements of size M",
        summary: "Serializes the value at a key into Redis's RDB payload format.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "echo",
        arity: 2,
        flags: &["loading", "stale", "fast"],
        acl_categories: &["@fast", "@connection"],
        group: "connection",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Replies with the given message unchanged.",
        args: &[
            Arg { name: "message", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "eval",
        arity: -3,
        flags: &["noscript", "stale", "skip_monitor", "no_mandatory_keys", "movablekeys"],
        acl_categories: &["@slow", "@scripting"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "update"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ],
        group: "scripting",
        since: "2.6.0",
        complexity: "Depends on the script",
        summary: "Runs a Lua script with the given keys and arguments.",
        args: &[
            Arg { name: "script", typ: "string", ..ARG },
            Arg { name: "numkeys", typ: "integer", ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["optional", "multiple"], ..ARG },
            Arg { name: "arg", typ: "string", flags: &["optional", "multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "eval_ro",
        arity: -3,
        flags: &["readonly", "noscript", "stale", "skip_monitor", "no_mandatory_keys", "movablekeys"],
        acl_categories: &["@slow", "@scripting"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ],
        group: "scripting",
        since: "7.0.0",
        complexity: "Depends on the script",
        summary: "Runs a read-only Lua script with the given keys and arguments.",
        args: &[
            Arg { name: "script", typ: "string", ..ARG },
            Arg { name: "numkeys", typ: "integer", ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["optional", "multiple"], ..ARG },
            Arg { name: "arg", typ: "string", flags: &["optional", "multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "evalsha",
        arity: -3,
        flags: &["noscript", "stale", "skip_monitor", "no_mandatory_keys", "movablekeys"],
        acl_categories: &["@slow", "@scripting"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "update"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ],
        group: "scripting",
        since: "2.6.0",
        complexity: "Depends on the script",
        summary: "Runs a cached Lua script, named by its SHA1 digest.",
        args: &[
            Arg { name: "sha1", typ: "string", ..ARG },
            Arg { name: "numkeys", typ: "integer", ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["optional", "multiple"], ..ARG },
            Arg { name: "arg", typ: "string", flags: &["optional", "multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "evalsha_ro",
        arity: -3,
        flags: &["readonly", "noscript", "stale", "skip_monitor", "no_mandatory_keys", "movablekeys"],
        acl_categories: &["@slow", "@scripting"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ],
        group: "scripting",
        since: "7.0.0",
        complexity: "Depends on the script",
        summary: "Runs a cached read-only Lua script, named by its SHA1 digest.",
        args: &[
            Arg { name: "sha1", typ: "string", ..ARG },
            Arg { name: "numkeys", typ: "integer", ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["optional", "multiple"], ..ARG },
            Arg { name: "arg", typ: "string", flags: &["optional", "multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "exec",
        arity: 1,
        flags: &["noscript", "loading", "stale", "skip_slowlog"],
        acl_categories: &["@slow", "@transaction"],
        group: "transactions",
        since: "1.2.0",
        complexity: "Sum of the queued commands",
        summary: "Runs the queued commands of a transaction, unless a watched key changed.",
        ..CMD
    },
    CommandMeta {
        name: "exists",
        arity: -2,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: -1, key_step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        tips: &["request_policy:multi_shard", "response_policy:agg_sum"],
        key_specs: &[
            KeySpec { flags: &["RO"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 } },
        ],
        group: "generic",
        since: "1.0.0",
        complexity: "O(N) in the number of keys given",
        summary: "Counts how many of the given keys exist; a key named twice is counted twice.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "expire",
        arity: -3,
        flags: &["write", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "generic",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Sets a key's time to live in seconds, optionally only under an NX, XX, GT or LT condition.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "seconds", typ: "integer", ..ARG },
            Arg { name: "condition", typ: "oneof", since: Some("7.0.0"), flags: &["optional"], subargs: &[
                Arg { name: "nx", typ: "pure-token", token: Some("NX"), ..ARG },
                Arg { name: "xx", typ: "pure-token", token: Some("XX"), ..ARG },
                Arg { name: "gt", typ: "pure-token", token: Some("GT"), ..ARG },
                Arg { name: "lt", typ: "pure-token", token: Some("LT"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "expireat",
        arity: -3,
        flags: &["write", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "generic",
        since: "1.2.0",
        complexity: "O(1)",
        summary: "Makes a key expire at a Unix time given in seconds, optionally only under an NX, XX, GT or LT condition.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "unix-time-seconds", typ: "unix-time", ..ARG },
            Arg { name: "condition", typ: "oneof", since: Some("7.0.0"), flags: &["optional"], subargs: &[
                Arg { name: "nx", typ: "pure-token", token: Some("NX"), ..ARG },
                Arg { name: "xx", typ: "pure-token", token: Some("XX"), ..ARG },
                Arg { name: "gt", typ: "pure-token", token: Some("GT"), ..ARG },
                Arg { name: "lt", typ: "pure-token", token: Some("LT"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "expiretime",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "generic",
        since: "7.0.0",
        complexity: "O(1)",
        summary: "Returns the Unix time in seconds at which a key expires, -1 if it has no expiry, -2 if it does not exist.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "failover",
        arity: -1,
        flags: &["admin", "noscript", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "6.2.0",
        complexity: "O(1)",
        summary: "Hands the master role to one of this server's replicas in a coordinated way.",
        args: &[
            Arg { name: "target", typ: "block", token: Some("TO"), flags: &["optional"], subargs: &[
                Arg { name: "host", typ: "string", ..ARG },
                Arg { name: "port", typ: "integer", ..ARG },
                Arg { name: "force", typ: "pure-token", token: Some("FORCE"), flags: &["optional"], ..ARG },
            ], ..ARG },
            Arg { name: "abort", typ: "pure-token", token: Some("ABORT"), flags: &["optional"], ..ARG },
            Arg { name: "milliseconds", typ: "integer", token: Some("TIMEOUT"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "fcall",
        arity: -3,
        flags: &["noscript", "stale", "skip_monitor", "no_mandatory_keys", "movablekeys"],
        acl_categories: &["@slow", "@scripting"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "update"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ],
        group: "scripting",
        since: "7.0.0",
        complexity: "Depends on the function",
        summary: "Calls a library function with the given keys and arguments.",
        args: &[
            Arg { name: "function", typ: "string", ..ARG },
            Arg { name: "numkeys", typ: "integer", ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["optional", "multiple"], ..ARG },
            Arg { name: "arg", typ: "string", flags: &["optional", "multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "fcall_ro",
        arity: -3,
        flags: &["readonly", "noscript", "stale", "skip_monitor", "no_mandatory_keys", "movablekeys"],
        acl_categories: &["@slow", "@scripting"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ],
        group: "scripting",
        since: "7.0.0",
        complexity: "Depends on the function",
        summary: "Calls a read-only library function with the given keys and arguments.",
        args: &[
            Arg { name: "function", typ: "string", ..ARG },
            Arg { name: "numkeys", typ: "integer", ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["optional", "multiple"], ..ARG },
            Arg { name: "arg", typ: "string", flags: &["optional", "multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "flushall",
        arity: -1,
        flags: &["write"],
        acl_categories: &["@keyspace", "@write", "@slow", "@dangerous"],
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        group: "server",
        since: "1.0.0",
        complexity: "O(N) in the total number of keys",
        summary: "Deletes every key in every database, synchronously or in the background.",
        args: &[
            Arg { name: "async", typ: "oneof", flags: &["optional"], subargs: &[
                Arg { name: "async", typ: "pure-token", token: Some("ASYNC"), since: Some("4.0.0"), ..ARG },
                Arg { name: "sync", typ: "pure-token", token: Some("SYNC"), since: Some("6.2.0"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "flushdb",
        arity: -1,
        flags: &["write"],
        acl_categories: &["@keyspace", "@write", "@slow", "@dangerous"],
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        group: "server",
        since: "1.0.0",
        complexity: "O(N) in the number of keys in the database",
        summary: "Deletes every key in the selected database, synchronously or in the background.",
        args: &[
            Arg { name: "async", typ: "oneof", flags: &["optional"], subargs: &[
                Arg { name: "async", typ: "pure-token", token: Some("ASYNC"), since: Some("4.0.0"), ..ARG },
                Arg { name: "sync", typ: "pure-token", token: Some("SYNC"), since: Some("6.2.0"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "function",
        arity: -2,
        acl_categories: &["@slow"],
        group: "scripting",
        since: "7.0.0",
        complexity: "Per subcommand",
        summary: "Container for subcommands that manage function libraries.",
        ..CMD
    },
    CommandMeta {
        name: "function|delete",
        arity: 3,
        flags: &["write", "noscript"],
        acl_categories: &["@write", "@slow", "@scripting"],
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        group: "scripting",
        since: "7.0.0",
        complexity: "O(1)",
        summary: "Deletes a function library.",
        args: &[
            Arg { name: "library-name", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "function|dump",
        arity: 2,
        flags: &["noscript"],
        acl_categories: &["@slow", "@scripting"],
        group: "scripting",
        since: "7.0.0",
        complexity: "O(N) in the number of functions",
        summary: "Serializes every function library into a payload.",
        ..CMD
    },
    CommandMeta {
        name: "function|flush",
        arity: -2,
        flags: &["write", "noscript"],
        acl_categories: &["@write", "@slow", "@scripting"],
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        group: "scripting",
        since: "7.0.0",
        complexity: "O(N) in the number of functions",
        summary: "Deletes every function library.",
        args: &[
            Arg { name: "async", typ: "oneof", flags: &["optional"], subargs: &[
                Arg { name: "async", typ: "pure-token", token: Some("ASYNC"), ..ARG },
                Arg { name: "sync", typ: "pure-token", token: Some("SYNC"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "function|help",
        arity: 2,
        flags: &["loading", "stale"],
        acl_categories: &["@slow", "@scripting"],
        group: "scripting",
        since: "7.0.0",
        complexity: "O(1)",
        summary: "Lists the FUNCTION subcommands with a line of help each.",
        ..CMD
    },
    CommandMeta {
        name: "function|kill",
        arity: 2,
        flags: &["noscript", "allow_busy"],
        acl_categories: &["@slow", "@scripting"],
        tips: &["request_policy:all_shards", "response_policy:one_succeeded"],
        group: "scripting",
        since: "7.0.0",
        complexity: "O(1)",
        summary: "Stops the running function, if it has not written anything.",
        ..CMD
    },
    CommandMeta {
        name: "function|list",
        arity: -2,
        flags: &["noscript"],
        acl_categories: &["@slow", "@scripting"],
        tips: &["nondeterministic_output_order"],
        group: "scripting",
        since: "7.0.0",
        complexity: "O(N) in the number of functions",
        summary: "Describes the loaded libraries and their functions.",
        args: &[
            Arg { name: "library-name-pattern", typ: "string", token: Some("LIBRARYNAME"), flags: &["optional"], ..ARG },
            Arg { name: "withcode", typ: "pure-token", token: Some("WITHCODE"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "function|load",
        arity: -3,
        flags: &["write", "denyoom", "noscript"],
        acl_categories: &["@write", "@slow", "@scripting"],
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        group: "scripting",
        since: "7.0.0",
        complexity: "O(1), plus compiling the code",
        summary: "Creates or replaces a function library from source code.",
        args: &[
            Arg { name: "replace", typ: "pure-token", token: Some("REPLACE"), flags: &["optional"], ..ARG },
            Arg { name: "function-code", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "function|restore",
        arity: -3,
        flags: &["write", "denyoom", "noscript"],
        acl_categories: &["@write", "@slow", "@scripting"],
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        group: "scripting",
        since: "7.0.0",
        complexity: "O(N) in the number of functions",
        summary: "Restores function libraries from a FUNCTION DUMP payload.",
        args: &[
            Arg { name: "serialized-value", typ: "string", ..ARG },
            Arg { name: "policy", typ: "oneof", flags: &["optional"], subargs: &[
                Arg { name: "flush", typ: "pure-token", token: Some("FLUSH"), ..ARG },
                Arg { name: "append", typ: "pure-token", token: Some("APPEND"), ..ARG },
                Arg { name: "replace", typ: "pure-token", token: Some("REPLACE"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "function|stats",
        arity: 2,
        flags: &["noscript", "allow_busy"],
        acl_categories: &["@slow", "@scripting"],
        tips: &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
        group: "scripting",
        since: "7.0.0",
        complexity: "O(1)",
        summary: "Reports the running function, if any, and the available engines.",
        ..CMD
    },
    CommandMeta {
        name: "geoadd",
        arity: -5,
        flags: &["write", "denyoom"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@geo", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "geo",
        since: "3.2.0",
        complexity: "O(log N) per member",
        summary: "Adds members with longitude and latitude to a geospatial index.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "condition", typ: "oneof", since: Some("6.2.0"), flags: &["optional"], subargs: &[
                Arg { name: "nx", typ: "pure-token", token: Some("NX"), ..ARG },
                Arg { name: "xx", typ: "pure-token", token: Some("XX"), ..ARG },
            ], ..ARG },
            Arg { name: "change", typ: "pure-token", token: Some("CH"), since: Some("6.2.0"), flags: &["optional"], ..ARG },
            Arg { name: "longitude_latitude_member", typ: "block", flags: &["multiple"], subargs: &[
                Arg { name: "longitude", typ: "double", ..ARG },
                Arg { name: "latitude", typ: "double", ..ARG },
                Arg { name: "member", typ: "string", ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "geodist",
        arity: -4,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@geo", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "geo",
        since: "3.2.0",
        complexity: "O(1)",
        summary: "Returns the distance between two members of a geospatial index.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "member1", typ: "string", ..ARG },
            Arg { name: "member2", typ: "string", ..ARG },
            Arg { name: "unit", typ: "oneof", flags: &["optional"], subargs: &[
                Arg { name: "m", typ: "pure-token", token: Some("M"), ..ARG },
                Arg { name: "km", typ: "pure-token", token: Some("KM"), ..ARG },
                Arg { name: "ft", typ: "pure-token", token: Some("FT"), ..ARG },
                Arg { name: "mi", typ: "pure-token", token: Some("MI"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "geohash",
        arity: -2,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@geo", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "geo",
        since: "3.2.0",
        complexity: "O(1) per member",
        summary: "Returns geohash strings for members of a geospatial index.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "member", typ: "string", flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "geopos",
        arity: -2,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@geo", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "geo",
        since: "3.2.0",
        complexity: "O(1) per member",
        summary: "Returns the longitude and latitude of members of a geospatial index.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "member", typ: "string", flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "georadius",
        arity: -6,
        flags: &["write", "denyoom", "movablekeys"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@geo", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpec { flags: &["OW", "update"], begin_search: BeginSearch::Keyword { keyword: "STORE", startfrom: 6 }, find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpec { flags: &["OW", "update"], begin_search: BeginSearch::Keyword { keyword: "STOREDIST", startfrom: 6 }, find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "geo",
        since: "3.2.0",
        complexity: "O(N + log M) for N items near the area and M members",
        summary: "Finds members within a radius of a point, optionally storing them.",
        doc_flags: &["deprecated"],
        deprecated_since: Some("6.2.0"),
        replaced_by: Some("GEOSEARCH or GEOSEARCHSTORE with BYRADIUS"),
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "longitude", typ: "double", ..ARG },
            Arg { name: "latitude", typ: "double", ..ARG },
            Arg { name: "radius", typ: "double", ..ARG },
            Arg { name: "unit", typ: "oneof", subargs: &[
                Arg { name: "m", typ: "pure-token", token: Some("M"), ..ARG },
                Arg { name: "km", typ: "pure-token", token: Some("KM"), ..ARG },
                Arg { name: "ft", typ: "pure-token", token: Some("FT"), ..ARG },
                Arg { name: "mi", typ: "pure-token", token: Some("MI"), ..ARG },
            ], ..ARG },
            Arg { name: "withcoord", typ: "pure-token", token: Some("WITHCOORD"), flags: &["optional"], ..ARG },
            Arg { name: "withdist", typ: "pure-token", token: Some("WITHDIST"), flags: &["optional"], ..ARG },
            Arg { name: "withhash", typ: "pure-token", token: Some("WITHHASH"), flags: &["optional"], ..ARG },
            Arg { name: "count", typ: "block", flags: &["optional"], subargs: &[
                Arg { name: "count", typ: "integer", token: Some("COUNT"), ..ARG },
                Arg { name: "any", typ: "pure-token", token: Some("ANY"), since: Some("6.2.0"), flags: &["optional"], ..ARG },
            ], ..ARG },
            Arg { name: "order", typ: "oneof", flags: &["optional"], subargs: &[
                Arg { name: "asc", typ: "pure-token", token: Some("ASC"), ..ARG },
                Arg { name: "desc", typ: "pure-token", token: Some("DESC"), ..ARG },
            ], ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 1, token: Some("STORE"), flags: &["optional"], ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 2, token: Some("STOREDIST"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "georadius_ro",
        arity: -6,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@geo", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "geo",
        since: "3.2.10",
        complexity: "O(N + log M) for N items near the area and M members",
        summary: "Finds members within a radius of a point (read-only GEORADIUS).",
        doc_flags: &["deprecated"],
        deprecated_since: Some("6.2.0"),
        replaced_by: Some("GEOSEARCH with BYRADIUS"),
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "longitude", typ: "double", ..ARG },
            Arg { name: "latitude", typ: "double", ..ARG },
            Arg { name: "radius", typ: "double", ..ARG },
            Arg { name: "unit", typ: "oneof", subargs: &[
                Arg { name: "m", typ: "pure-token", token: Some("M"), ..ARG },
                Arg { name: "km", typ: "pure-token", token: Some("KM"), ..ARG },
                Arg { name: "ft", typ: "pure-token", token: Some("FT"), ..ARG },
                Arg { name: "mi", typ: "pure-token", token: Some("MI"), ..ARG },
            ], ..ARG },
            Arg { name: "withcoord", typ: "pure-token", token: Some("WITHCOORD"), flags: &["optional"], ..ARG },
            Arg { name: "withdist", typ: "pure-token", token: Some("WITHDIST"), flags: &["optional"], ..ARG },
            Arg { name: "withhash", typ: "pure-token", token: Some("WITHHASH"), flags: &["optional"], ..ARG },
            Arg { name: "count", typ: "block", flags: &["optional"], subargs: &[
                Arg { name: "count", typ: "integer", token: Some("COUNT"), ..ARG },
                Arg { name: "any", typ: "pure-token", token: Some("ANY"), since: Some("6.2.0"), flags: &["optional"], ..ARG },
            ], ..ARG },
            Arg { name: "order", typ: "oneof", flags: &["optional"], subargs: &[
                Arg { name: "asc", typ: "pure-token", token: Some("ASC"), ..ARG },
                Arg { name: "desc", typ: "pure-token", token: Some("DESC"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "georadiusbymember",
        arity: -5,
        flags: &["write", "denyoom", "movablekeys"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@geo", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpec { flags: &["OW", "update"], begin_search: BeginSearch::Keyword { keyword: "STORE", startfrom: 5 }, find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpec { flags: &["OW", "update"], begin_search: BeginSearch::Keyword { keyword: "STOREDIST", startfrom: 5 }, find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "geo",
        since: "3.2.0",
        complexity: "O(N + log M) for N items near the area and M members",
        summary: "Finds members within a radius of another member, optionally storing them.",
        doc_flags: &["deprecated"],
        deprecated_since: Some("6.2.0"),
        replaced_by: Some("GEOSEARCH or GEOSEARCHSTORE with BYRADIUS and FROMMEMBER"),
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "member", typ: "string", ..ARG },
            Arg { name: "radius", typ: "double", ..ARG },
            Arg { name: "unit", typ: "oneof", subargs: &[
                Arg { name: "m", typ: "pure-token", token: Some("M"), ..ARG },
                Arg { name: "km", typ: "pure-token", token: Some("KM"), ..ARG },
                Arg { name: "ft", typ: "pure-token", token: Some("FT"), ..ARG },
                Arg { name: "mi", typ: "pure-token", token: Some("MI"), ..ARG },
            ], ..ARG },
            Arg { name: "withcoord", typ: "pure-token", token: Some("WITHCOORD"), flags: &["optional"], ..ARG },
            Arg { name: "withdist", typ: "pure-token", token: Some("WITHDIST"), flags: &["optional"], ..ARG },
            Arg { name: "withhash", typ: "pure-token", token: Some("WITHHASH"), flags: &["optional"], ..ARG },
            Arg { name: "count", typ: "block", flags: &["optional"], subargs: &[
                Arg { name: "count", typ: "integer", token: Some("COUNT"), ..ARG },
                Arg { name: "any", typ: "pure-token", token: Some("ANY"), flags: &["optional"], ..ARG },
            ], ..ARG },
            Arg { name: "order", typ: "oneof", flags: &["optional"], subargs: &[
                Arg { name: "asc", typ: "pure-token", token: Some("ASC"), ..ARG },
                Arg { name: "desc", typ: "pure-token", token: Some("DESC"), ..ARG },
            ], ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 1, token: Some("STORE"), flags: &["optional"], ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 2, token: Some("STOREDIST"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "georadiusbymember_ro",
        arity: -5,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@geo", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "geo",
        since: "3.2.10",
        complexity: "O(N + log M) for N items near the area and M members",
        summary: "Finds members within a radius of another member (read-only).",
        doc_flags: &["deprecated"],
        deprecated_since: Some("6.2.0"),
        replaced_by: Some("GEOSEARCH with BYRADIUS and FROMMEMBER"),
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "member", typ: "string", ..ARG },
            Arg { name: "radius", typ: "double", ..ARG },
            Arg { name: "unit", typ: "oneof", subargs: &[
                Arg { name: "m", typ: "pure-token", token: Some("M"), ..ARG },
                Arg { name: "km", typ: "pure-token", token: Some("KM"), ..ARG },
                Arg { name: "ft", typ: "pure-token", token: Some("FT"), ..ARG },
                Arg { name: "mi", typ: "pure-token", token: Some("MI"), ..ARG },
            ], ..ARG },
            Arg { name: "withcoord", typ: "pure-token", token: Some("WITHCOORD"), flags: &["optional"], ..ARG },
            Arg { name: "withdist", typ: "pure-token", token: Some("WITHDIST"), flags: &["optional"], ..ARG },
            Arg { name: "withhash", typ: "pure-token", token: Some("WITHHASH"), flags: &["optional"], ..ARG },
            Arg { name: "count", typ: "block", flags: &["optional"], subargs: &[
                Arg { name: "count", typ: "integer", token: Some("COUNT"), ..ARG },
                Arg { name: "any", typ: "pure-token", token: Some("ANY"), flags: &["optional"], ..ARG },
            ], ..ARG },
            Arg { name: "order", typ: "oneof", flags: &["optional"], subargs: &[
                Arg { name: "asc", typ: "pure-token", token: Some("ASC"), ..ARG },
                Arg { name: "desc", typ: "pure-token", token: Some("DESC"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "geosearch",
        arity: -7,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@geo", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "geo",
        since: "6.2.0",
        complexity: "O(N + log M) for N items near the area and M members",
        summary: "Finds members of a geospatial index within a circle or a box.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "from", typ: "oneof", subargs: &[
                Arg { name: "member", typ: "string", token: Some("FROMMEMBER"), ..ARG },
                Arg { name: "longitude_latitude", typ: "block", token: Some("FROMLONLAT"), subargs: &[
                    Arg { name: "longitude", typ: "double", ..ARG },
                    Arg { name: "latitude", typ: "double", ..ARG },
                ], ..ARG },
            ], ..ARG },
            Arg { name: "by", typ: "oneof", subargs: &[
                Arg { name: "circle", typ: "block", subargs: &[
                    Arg { name: "radius", typ: "double", token: Some("BYRADIUS"), ..ARG },
                    Arg { name: "unit", typ: "oneof", subargs: &[
                        Arg { name: "m", typ: "pure-token", token: Some("M"), ..ARG },
                        Arg { name: "km", typ: "pure-token", token: Some("KM"), ..ARG },
                        Arg { name: "ft", typ: "pure-token", token: Some("FT"), ..ARG },
                        Arg { name: "mi", typ: "pure-token", token: Some("MI"), ..ARG },
                    ], ..ARG },
                ], ..ARG },
                Arg { name: "box", typ: "block", subargs: &[
                    Arg { name: "width", typ: "double", token: Some("BYBOX"), ..ARG },
                    Arg { name: "height", typ: "double", ..ARG },
                    Arg { name: "unit", typ: "oneof", subargs: &[
                        Arg { name: "m", typ: "pure-token", token: Some("M"), ..ARG },
                        Arg { name: "km", typ: "pure-token", token: Some("KM"), ..ARG },
                        Arg { name: "ft", typ: "pure-token", token: Some("FT"), ..ARG },
                        Arg { name: "mi", typ: "pure-token", token: Some("MI"), ..ARG },
                    ], ..ARG },
                ], ..ARG },
            ], ..ARG },
            Arg { name: "order", typ: "oneof", flags: &["optional"], subargs: &[
                Arg { name: "asc", typ: "pure-token", token: Some("ASC"), ..ARG },
                Arg { name: "desc", typ: "pure-token", token: Some("DESC"), ..ARG },
            ], ..ARG },
            Arg { name: "count", typ: "block", flags: &["optional"], subargs: &[
                Arg { name: "count", typ: "integer", token: Some("COUNT"), ..ARG },
                Arg { name: "any", typ: "pure-token", token: Some("ANY"), flags: &["optional"], ..ARG },
            ], ..ARG },
            Arg { name: "withcoord", typ: "pure-token", token: Some("WITHCOORD"), flags: &["optional"], ..ARG },
            Arg { name: "withdist", typ: "pure-token", token: Some("WITHDIST"), flags: &["optional"], ..ARG },
            Arg { name: "withhash", typ: "pure-token", token: Some("WITHHASH"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "geosearchstore",
        arity: -8,
        flags: &["write", "denyoom"],
        first_key: 1, last_key: 2, key_step: 1,
        acl_categories: &["@write", "@geo", "@slow"],
        key_specs: &[
            KeySpec { flags: &["OW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "geo",
        since: "6.2.0",
        complexity: "O(N + log M) for N items near the area and M members",
        summary: "Finds members within a circle or box and stores them at a destination key.",
        args: &[
            Arg { name: "destination", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "source", typ: "key", key_spec_index: 1, ..ARG },
            Arg { name: "from", typ: "oneof", subargs: &[
                Arg { name: "member", typ: "string", token: Some("FROMMEMBER"), ..ARG },
                Arg { name: "longitude_latitude", typ: "block", token: Some("FROMLONLAT"), subargs: &[
                    Arg { name: "longitude", typ: "double", ..ARG },
                    Arg { name: "latitude", typ: "double", ..ARG },
                ], ..ARG },
            ], ..ARG },
            Arg { name: "by", typ: "oneof", subargs: &[
                Arg { name: "circle", typ: "block", subargs: &[
                    Arg { name: "radius", typ: "double", token: Some("BYRADIUS"), ..ARG },
                    Arg { name: "unit", typ: "oneof", subargs: &[
                        Arg { name: "m", typ: "pure-token", token: Some("M"), ..ARG },
                        Arg { name: "km", typ: "pure-token", token: Some("KM"), ..ARG },
                        Arg { name: "ft", typ: "pure-token", token: Some("FT"), ..ARG },
                        Arg { name: "mi", typ: "pure-token", token: Some("MI"), ..ARG },
                    ], ..ARG },
                ], ..ARG },
                Arg { name: "box", typ: "block", subargs: &[
                    Arg { name: "width", typ: "double", token: Some("BYBOX"), ..ARG },
                    Arg { name: "height", typ: "double", ..ARG },
                    Arg { name: "unit", typ: "oneof", subargs: &[
                        Arg { name: "m", typ: "pure-token", token: Some("M"), ..ARG },
                        Arg { name: "km", typ: "pure-token", token: Some("KM"), ..ARG },
                        Arg { name: "ft", typ: "pure-token", token: Some("FT"), ..ARG },
                        Arg { name: "mi", typ: "pure-token", token: Some("MI"), ..ARG },
                    ], ..ARG },
                ], ..ARG },
            ], ..ARG },
            Arg { name: "order", typ: "oneof", flags: &["optional"], subargs: &[
                Arg { name: "asc", typ: "pure-token", token: Some("ASC"), ..ARG },
                Arg { name: "desc", typ: "pure-token", token: Some("DESC"), ..ARG },
            ], ..ARG },
            Arg { name: "count", typ: "block", flags: &["optional"], subargs: &[
                Arg { name: "count", typ: "integer", token: Some("COUNT"), ..ARG },
                Arg { name: "any", typ: "pure-token", token: Some("ANY"), flags: &["optional"], ..ARG },
            ], ..ARG },
            Arg { name: "storedist", typ: "pure-token", token: Some("STOREDIST"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "get",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@string", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "string",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Returns the string stored at a key, or nil when the key does not exist.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "getbit",
        arity: 3,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@bitmap", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "bitmap",
        since: "2.2.0",
        complexity: "O(1)",
        summary: "Returns the bit at an offset of a string.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "offset", typ: "integer", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "getdel",
        arity: 2,
        flags: &["write", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "string",
        since: "6.2.0",
        complexity: "O(1)",
        summary: "Returns the string at a key and deletes the key.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "getex",
        arity: -2,
        flags: &["write", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "string",
        since: "6.2.0",
        complexity: "O(1)",
        summary: "Returns the string at a key and changes or clears its expiry (EX, PX, EXAT, PXAT, PERSIST).",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "expiration", typ: "oneof", flags: &["optional"], subargs: &[
                Arg { name: "seconds", typ: "integer", token: Some("EX"), ..ARG },
                Arg { name: "milliseconds", typ: "integer", token: Some("PX"), ..ARG },
                Arg { name: "unix-time-seconds", typ: "unix-time", token: Some("EXAT"), ..ARG },
                Arg { name: "unix-time-milliseconds", typ: "unix-time", token: Some("PXAT"), ..ARG },
                Arg { name: "persist", typ: "pure-token", token: Some("PERSIST"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "getrange",
        arity: 4,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@string", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "string",
        since: "2.4.0",
        complexity: "O(N) in the length returned",
        summary: "Returns the bytes of a string between two offsets, both inclusive; negative offsets count from the end.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "start", typ: "integer", ..ARG },
            Arg { name: "end", typ: "integer", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "getset",
        arity: 3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "string",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Stores a new string at a key and returns the string it held before.",
        doc_flags: &["deprecated"],
        deprecated_since: Some("6.2.0"),
        replaced_by: Some("SET with its GET option"),
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "value", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "hdel",
        arity: -3,
        flags: &["write", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@hash", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "hash",
        since: "2.0.0",
        complexity: "O(1) per field",
        summary: "Removes fields from a hash; returns how many were present.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "field", typ: "string", flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "hello",
        arity: -1,
        flags: &["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
        acl_categories: &["@fast", "@connection"],
        group: "connection",
        since: "6.0.0",
        complexity: "O(1)",
        summary: "Negotiates the protocol version (2 or 3), optionally authenticating and naming the client, and reports server details.",
        args: &[
            Arg { name: "arguments", typ: "block", flags: &["optional"], subargs: &[
                Arg { name: "protover", typ: "integer", ..ARG },
                Arg { name: "username_password", typ: "block", token: Some("AUTH"), flags: &["optional"], subargs: &[
                    Arg { name: "username", typ: "string", ..ARG },
                    Arg { name: "password", typ: "string", ..ARG },
                ], ..ARG },
                Arg { name: "clientname", typ: "string", token: Some("SETNAME"), flags: &["optional"], ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "hexists",
        arity: 3,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@hash", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RO"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "hash",
        since: "2.0.0",
        complexity: "O(1)",
        summary: "Reports whether a field exists in a hash.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "field", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "hget",
        arity: 3,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@hash", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "hash",
        since: "2.0.0",
        complexity: "O(1)",
        summary: "Returns the value of a field in a hash.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "field", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "hgetall",
        arity: 2,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@hash", "@slow"],
        tips: &["nondeterministic_output_order"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "hash",
        since: "2.0.0",
        complexity: "O(N) in the hash's size",
        summary: "Returns every field and value of a hash.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "hincrby",
        arity: 4,
        flags: &["write", "denyoom", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@hash", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "hash",
        since: "2.0.0",
        complexity: "O(1)",
        summary: "Adds an integer amount to the integer in a hash field.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "field", typ: "string", ..ARG },
            Arg { name: "increment", typ: "integer", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "hincrbyfloat",
        arity: 4,
        flags: &["write", "denyoom", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@hash", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "hash",
        since: "2.6.0",
        complexity: "O(1)",
        summary: "Adds a floating-point amount to the number in a hash field.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "field", typ: "string", ..ARG },
            Arg { name: "increment", typ: "double", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "hkeys",
        arity: 2,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@hash", "@slow"],
        tips: &["nondeterministic_output_order"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "hash",
        since: "2.0.0",
        complexity: "O(N) in the hash's size",
        summary: "Returns every field name of a hash.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "hlen",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@hash", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RO"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "hash",
        since: "2.0.0",
        complexity: "O(1)",
        summary: "Returns the number of fields in a hash.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "hmget",
        arity: -3,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@hash", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "hash",
        since: "2.0.0",
        complexity: "O(N) in the fields asked",
        summary: "Returns the values of several fields in a hash.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "field", typ: "string", flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "hmset",
        arity: -4,
        flags: &["write", "denyoom", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@hash", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "hash",
        since: "2.0.0",
        complexity: "O(1) per field",
        summary: "Sets fields of a hash (older form of HSET that replies OK).",
        doc_flags: &["deprecated"],
        deprecated_since: Some("4.0.0"),
        replaced_by: Some("HSET, which accepts many field-value pairs"),
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "field_value", typ: "block", flags: &["multiple"], subargs: &[
                Arg { name: "field", typ: "string", ..ARG },
                Arg { name: "value", typ: "string", ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "hrandfield",
        arity: -2,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@hash", "@slow"],
        tips: &["nondeterministic_output"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "hash",
        since: "6.2.0",
        complexity: "O(N) in the fields returned",
        summary: "Returns random fields of a hash, optionally with their values.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "options", typ: "block", flags: &["optional"], subargs: &[
                Arg { name: "count", typ: "integer", ..ARG },
                Arg { name: "withvalues", typ: "pure-token", token: Some("WITHVALUES"), flags: &["optional"], ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "hscan",
        arity: -3,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@hash", "@slow"],
        tips: &["nondeterministic_output"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "hash",
        since: "2.8.0",
        complexity: "O(1) per call, O(N) for a full pass",
        summary: "Walks the fields of a hash a few at a time with a cursor.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "cursor", typ: "integer", ..ARG },
            Arg { name: "pattern", typ: "pattern", token: Some("MATCH"), flags: &["optional"], ..ARG },
            Arg { name: "count", typ: "integer", token: Some("COUNT"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "hset",
        arity: -4,
        flags: &["write", "denyoom", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@hash", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "hash",
        since: "2.0.0",
        complexity: "O(1) per field",
        summary: "Sets fields of a hash, creating it if missing; returns how many fields were new.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "field_value", typ: "block", flags: &["multiple"], subargs: &[
                Arg { name: "field", typ: "string", ..ARG },
                Arg { name: "value", typ: "string", ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "hsetnx",
        arity: 4,
        flags: &["write", "denyoom", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@hash", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "insert"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "hash",
        since: "2.0.0",
        complexity: "O(1)",
        summary: "Sets a field of a hash only if the field does not exist yet.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "field", typ: "string", ..ARG },
            Arg { name: "value", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "hstrlen",
        arity: 3,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@hash", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RO"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "hash",
        since: "3.2.0",
        complexity: "O(1)",
        summary: "Returns the byte length of a field's value in a hash.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "field", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "hvals",
        arity: 2,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@hash", "@slow"],
        tips: &["nondeterministic_output_order"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "hash",
        since: "2.0.0",
        complexity: "O(N) in the hash's size",
        summary: "Returns every value of a hash.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "incr",
        arity: 2,
        flags: &["write", "denyoom", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "string",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Adds one to the integer stored at a key, starting from 0 if missing; returns the result.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "incrby",
        arity: 3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "string",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Adds an integer amount to the integer stored at a key, starting from 0 if missing.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "increment", typ: "integer", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "incrbyfloat",
        arity: 3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "string",
        since: "2.6.0",
        complexity: "O(1)",
        summary: "Adds a floating-point amount to the number stored at a key, starting from 0 if missing.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "increment", typ: "double", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "info",
        arity: -1,
        flags: &["loading", "stale"],
        acl_categories: &["@slow", "@dangerous"],
        tips: &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
        group: "server",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Reports server statistics and state as text, grouped in sections.",
        args: &[
            Arg { name: "section", typ: "string", flags: &["optional", "multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "keys",
        arity: 2,
        flags: &["readonly"],
        acl_categories: &["@keyspace", "@read", "@slow", "@dangerous"],
        tips: &["request_policy:all_shards", "nondeterministic_output_order"],
        group: "generic",
        since: "1.0.0",
        complexity: "O(N) in the number of keys in the database",
        summary: "Lists every key whose name matches a glob pattern; walks the whole database, so avoid it on large data sets.",
        args: &[
            Arg { name: "pattern", typ: "pattern", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "lastsave",
        arity: 1,
        flags: &["loading", "stale", "fast"],
        acl_categories: &["@admin", "@fast", "@dangerous"],
        tips: &["nondeterministic_output"],
        group: "server",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Returns the Unix time of the last successful snapshot.",
        ..CMD
    },
    CommandMeta {
        name: "latency",
        arity: -2,
        acl_categories: &["@slow"],
        group: "server",
        since: "2.8.13",
        complexity: "Per subcommand",
        summary: "Container for subcommands of the latency monitor.",
        ..CMD
    },
    CommandMeta {
        name: "latency|doctor",
        arity: 2,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        tips: &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"],
        group: "server",
        since: "2.8.13",
        complexity: "O(1)",
        summary: "Writes a readable analysis of the recorded latency events.",
        ..CMD
    },
    CommandMeta {
        name: "latency|graph",
        arity: 3,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        tips: &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"],
        group: "server",
        since: "2.8.13",
        complexity: "O(1)",
        summary: "Draws an ASCII graph of one latency event's history.",
        args: &[
            Arg { name: "event", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "latency|help",
        arity: 2,
        flags: &["loading", "stale"],
        acl_categories: &["@slow"],
        group: "server",
        since: "2.8.13",
        complexity: "O(1)",
        summary: "Lists the LATENCY subcommands with a line of help each.",
        ..CMD
    },
    CommandMeta {
        name: "latency|histogram",
        arity: -2,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        tips: &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"],
        group: "server",
        since: "7.0.0",
        complexity: "O(N) in the number of commands",
        summary: "Returns latency histograms of the given commands, or of all of them.",
        args: &[
            Arg { name: "command", typ: "string", flags: &["optional", "multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "latency|history",
        arity: 3,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        tips: &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"],
        group: "server",
        since: "2.8.13",
        complexity: "O(1)",
        summary: "Returns the recorded samples of one latency event.",
        args: &[
            Arg { name: "event", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "latency|latest",
        arity: 2,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        tips: &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"],
        group: "server",
        since: "2.8.13",
        complexity: "O(1)",
        summary: "Returns the latest sample of every latency event.",
        ..CMD
    },
    CommandMeta {
        name: "latency|reset",
        arity: -2,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        tips: &["request_policy:all_nodes", "response_policy:all_succeeded"],
        group: "server",
        since: "2.8.13",
        complexity: "O(1)",
        summary: "Clears the recorded samples of the given latency events, or of all.",
        args: &[
            Arg { name: "event", typ: "string", flags: &["optional", "multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "lcs",
        arity: -3,
        flags: &["readonly"],
        first_key: 1, last_key: 2, key_step: 1,
        acl_categories: &["@read", "@string", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 1, keystep: 1, limit: 0 } },
        ],
        group: "string",
        since: "7.0.0",
        complexity: "O(N*M) for strings of lengths N and M",
        summary: "Finds the longest common subsequence of the strings at two keys, as text, length or match positions.",
        args: &[
            Arg { name: "key1", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "key2", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "len", typ: "pure-token", token: Some("LEN"), flags: &["optional"], ..ARG },
            Arg { name: "idx", typ: "pure-token", token: Some("IDX"), flags: &["optional"], ..ARG },
            Arg { name: "len", typ: "integer", token: Some("MINMATCHLEN"), flags: &["optional"], ..ARG },
            Arg { name: "withmatchlen", typ: "pure-token", token: Some("WITHMATCHLEN"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "lindex",
        arity: 3,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@list", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "list",
        since: "1.0.0",
        complexity: "O(N) in the elements walked",
        summary: "Returns the element at an index of a list; negative indexes count from the tail.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "index", typ: "integer", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "linsert",
        arity: 5,
        flags: &["write", "denyoom"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@list", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RW", "insert"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "list",
        since: "2.2.0",
        complexity: "O(N) in the elements walked",
        summary: "Inserts an element before or after the first occurrence of a pivot element.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "where", typ: "oneof", subargs: &[
                Arg { name: "before", typ: "pure-token", token: Some("BEFORE"), ..ARG },
                Arg { name: "after", typ: "pure-token", token: Some("AFTER"), ..ARG },
            ], ..ARG },
            Arg { name: "pivot", typ: "string", ..ARG },
            Arg { name: "element", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "llen",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@list", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RO"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "list",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Returns the number of elements in a list.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "lmove",
        arity: 5,
        flags: &["write", "denyoom"],
        first_key: 1, last_key: 2, key_step: 1,
        acl_categories: &["@write", "@list", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpec { flags: &["RW", "insert"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "list",
        since: "6.2.0",
        complexity: "O(1)",
        summary: "Pops an element from one end of a list and pushes it at one end of another.",
        args: &[
            Arg { name: "source", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "destination", typ: "key", key_spec_index: 1, ..ARG },
            Arg { name: "wherefrom", typ: "oneof", subargs: &[
                Arg { name: "left", typ: "pure-token", token: Some("LEFT"), ..ARG },
                Arg { name: "right", typ: "pure-token", token: Some("RIGHT"), ..ARG },
            ], ..ARG },
            Arg { name: "whereto", typ: "oneof", subargs: &[
                Arg { name: "left", typ: "pure-token", token: Some("LEFT"), ..ARG },
                Arg { name: "right", typ: "pure-token", token: Some("RIGHT"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "lmpop",
        arity: -4,
        flags: &["write", "movablekeys"],
        acl_categories: &["@write", "@list", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ],
        group: "list",
        since: "7.0.0",
        complexity: "O(N+M) in keys given and elements popped",
        summary: "Pops elements from the first non-empty list among the given keys.",
        args: &[
            Arg { name: "numkeys", typ: "integer", ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["multiple"], ..ARG },
            Arg { name: "where", typ: "oneof", subargs: &[
                Arg { name: "left", typ: "pure-token", token: Some("LEFT"), ..ARG },
                Arg { name: "right", typ: "pure-token", token: Some("RIGHT"), ..ARG },
            ], ..ARG },
            Arg { name: "count", typ: "integer", token: Some("COUNT"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "lolwut",
        arity: -1,
        flags: &["readonly", "fast"],
        acl_categories: &["@read", "@fast"],
        group: "server",
        since: "5.0.0",
        summary: "Draws a piece of computer art and shows the server version.",
        args: &[
            Arg { name: "version", typ: "integer", token: Some("VERSION"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "lpop",
        arity: -2,
        flags: &["write", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@list", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "list",
        since: "1.0.0",
        complexity: "O(N) in the elements returned",
        summary: "Removes and returns elements from the head of a list.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "count", typ: "integer", since: Some("6.2.0"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "lpos",
        arity: -3,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@list", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "list",
        since: "6.0.6",
        complexity: "O(N) in the elements walked",
        summary: "Returns the positions of matching elements in a list.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "element", typ: "string", ..ARG },
            Arg { name: "rank", typ: "integer", token: Some("RANK"), flags: &["optional"], ..ARG },
            Arg { name: "num-matches", typ: "integer", token: Some("COUNT"), flags: &["optional"], ..ARG },
            Arg { name: "len", typ: "integer", token: Some("MAXLEN"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "lpush",
        arity: -3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@list", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "insert"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "list",
        since: "1.0.0",
        complexity: "O(1) per element",
        summary: "Inserts elements at the head of a list, creating it if missing; returns the new length.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "element", typ: "string", flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "lpushx",
        arity: -3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@list", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "insert"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "list",
        since: "2.2.0",
        complexity: "O(1) per element",
        summary: "Inserts elements at the head of a list only if the list exists.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "element", typ: "string", flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "lrange",
        arity: 4,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@list", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "list",
        since: "1.0.0",
        complexity: "O(S+N) for offset S and N elements returned",
        summary: "Returns the elements of a list between two inclusive indexes.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "start", typ: "integer", ..ARG },
            Arg { name: "stop", typ: "integer", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "lrem",
        arity: 4,
        flags: &["write"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@list", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RW", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "list",
        since: "1.0.0",
        complexity: "O(N+M) in elements walked and removed",
        summary: "Removes occurrences of an element from a list, from the head, the tail, or all.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "count", typ: "integer", ..ARG },
            Arg { name: "element", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "lset",
        arity: 4,
        flags: &["write", "denyoom"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@list", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "list",
        since: "1.0.0",
        complexity: "O(N) in the elements walked",
        summary: "Replaces the element at an index of a list.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "index", typ: "integer", ..ARG },
            Arg { name: "element", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "ltrim",
        arity: 4,
        flags: &["write"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@list", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RW", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "list",
        since: "1.0.0",
        complexity: "O(N) in the elements removed",
        summary: "Keeps only the elements of a list between two inclusive indexes.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "start", typ: "integer", ..ARG },
            Arg { name: "stop", typ: "integer", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "memory",
        arity: -2,
        acl_categories: &["@slow"],
        group: "server",
        since: "4.0.0",
        complexity: "Per subcommand",
        summary: "Container for subcommands that report memory use.",
        ..CMD
    },
    CommandMeta {
        name: "memory|doctor",
        arity: 2,
        acl_categories: &["@slow"],
        tips: &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
        group: "server",
        since: "4.0.0",
        complexity: "O(1)",
        summary: "Writes a readable analysis of memory problems, if any.",
        ..CMD
    },
    CommandMeta {
        name: "memory|help",
        arity: 2,
        flags: &["loading", "stale"],
        acl_categories: &["@slow"],
        group: "server",
        since: "4.0.0",
        complexity: "O(1)",
        summary: "Lists the MEMORY subcommands with a line of help each.",
        ..CMD
    },
    CommandMeta {
        name: "memory|malloc-stats",
        arity: 2,
        acl_categories: &["@slow"],
        tips: &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
        group: "server",
        since: "4.0.0",
        complexity: "Depends on the allocator",
        summary: "Returns the memory allocator's own statistics report.",
        ..CMD
    },
    CommandMeta {
        name: "memory|purge",
        arity: 2,
        acl_categories: &["@slow"],
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        group: "server",
        since: "4.0.0",
        complexity: "Depends on the allocator",
        summary: "Asks the allocator to give unused memory back to the system.",
        ..CMD
    },
    CommandMeta {
        name: "memory|stats",
        arity: 2,
        acl_categories: &["@slow"],
        tips: &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
        group: "server",
        since: "4.0.0",
        complexity: "O(1)",
        summary: "Returns a breakdown of the server's memory use.",
        ..CMD
    },
    CommandMeta {
        name: "memory|usage",
        arity: -3,
        flags: &["readonly"],
        first_key: 2, last_key: 2, key_step: 1,
        acl_categories: &["@read", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "server",
        since: "4.0.0",
        complexity: "O(N) in the samples taken",
        summary: "Estimates the bytes a key and its value occupy, sampling large values.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "count", typ: "integer", token: Some("SAMPLES"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "mget",
        arity: -2,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: -1, key_step: 1,
        acl_categories: &["@read", "@string", "@fast"],
        tips: &["request_policy:multi_shard"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 } },
        ],
        group: "string",
        since: "1.0.0",
        complexity: "O(N) in the number of keys",
        summary: "Returns the strings stored at several keys, with nil for keys that are missing or not strings.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "migrate",
        arity: -6,
        flags: &["write", "movablekeys"],
        first_key: 3, last_key: 3, key_step: 1,
        acl_categories: &["@keyspace", "@write", "@slow", "@dangerous"],
        tips: &["nondeterministic_output"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "delete"], begin_search: BeginSearch::Index(3), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpec { flags: &["RW", "access", "delete", "incomplete"], begin_search: BeginSearch::Keyword { keyword: "KEYS", startfrom: -2 }, find_keys: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 } },
        ],
        group: "generic",
        since: "2.6.0",
        complexity: "O(N) in the size of the moved values",
        summary: "Moves keys to another server, atomically from the point of view of both servers.",
        args: &[
            Arg { name: "host", typ: "string", ..ARG },
            Arg { name: "port", typ: "integer", ..ARG },
            Arg { name: "key_or_empty_string", typ: "oneof", subargs: &[
                Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
                Arg { name: "empty_string", typ: "pure-token", token: Some(""), ..ARG },
            ], ..ARG },
            Arg { name: "destination-db", typ: "integer", ..ARG },
            Arg { name: "timeout", typ: "integer", ..ARG },
            Arg { name: "copy", typ: "pure-token", token: Some("COPY"), since: Some("3.0.0"), flags: &["optional"], ..ARG },
            Arg { name: "replace", typ: "pure-token", token: Some("REPLACE"), since: Some("3.0.0"), flags: &["optional"], ..ARG },
            Arg { name: "authentication", typ: "oneof", flags: &["optional"], subargs: &[
                Arg { name: "password", typ: "string", token: Some("AUTH"), since: Some("4.0.7"), flags: &["optional"], ..ARG },
                Arg { name: "username_password", typ: "block", token: Some("AUTH2"), since: Some("6.0.0"), flags: &["optional"], subargs: &[
                    Arg { name: "username", typ: "string", ..ARG },
                    Arg { name: "password", typ: "string", ..ARG },
                ], ..ARG },
            ], ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 1, token: Some("KEYS"), since: Some("3.0.6"), flags: &["optional", "multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "module",
        arity: -2,
        acl_categories: &["@slow"],
        group: "server",
        since: "4.0.0",
        complexity: "Per subcommand",
        summary: "Container for subcommands that manage loaded modules.",
        ..CMD
    },
    CommandMeta {
        name: "module|help",
        arity: 2,
        flags: &["loading", "stale"],
        acl_categories: &["@slow"],
        group: "server",
        since: "5.0.0",
        complexity: "O(1)",
        summary: "Lists the MODULE subcommands with a line of help each.",
        ..CMD
    },
    CommandMeta {
        name: "module|list",
        arity: 2,
        flags: &["admin", "noscript"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        tips: &["nondeterministic_output_order"],
        group: "server",
        since: "4.0.0",
        complexity: "O(N) in the number of modules",
        summary: "Lists the loaded modules.",
        ..CMD
    },
    CommandMeta {
        name: "module|load",
        arity: -3,
        flags: &["admin", "noscript", "no_async_loading"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "4.0.0",
        complexity: "O(1)",
        summary: "Loads a module from a shared library file.",
        args: &[
            Arg { name: "path", typ: "string", ..ARG },
            Arg { name: "arg", typ: "string", flags: &["optional", "multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "module|loadex",
        arity: -3,
        flags: &["admin", "noscript", "no_async_loading"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "7.0.0",
        complexity: "O(1)",
        summary: "Loads a module with configuration directives and arguments.",
        args: &[
            Arg { name: "path", typ: "string", ..ARG },
            Arg { name: "configs", typ: "block", token: Some("CONFIG"), flags: &["optional", "multiple", "multiple_token"], subargs: &[
                Arg { name: "name", typ: "string", ..ARG },
                Arg { name: "value", typ: "string", ..ARG },
            ], ..ARG },
            Arg { name: "args", typ: "block", token: Some("ARGS"), flags: &["optional", "multiple"], subargs: &[
                Arg { name: "arg", typ: "string", ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "module|unload",
        arity: 3,
        flags: &["admin", "noscript", "no_async_loading"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "4.0.0",
        complexity: "O(1)",
        summary: "Unloads a module by name.",
        args: &[
            Arg { name: "name", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "monitor",
        arity: 1,
        flags: &["admin", "noscript", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "1.0.0",
        summary: "Streams every command the server processes to this connection.",
        ..CMD
    },
    CommandMeta {
        name: "move",
        arity: 3,
        flags: &["write", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "generic",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Moves a key from the selected database to another database, unless the key already exists there.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "db", typ: "integer", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "mset",
        arity: -3,
        flags: &["write", "denyoom"],
        first_key: 1, last_key: -1, key_step: 2,
        acl_categories: &["@write", "@string", "@slow"],
        tips: &["request_policy:multi_shard", "response_policy:all_succeeded"],
        key_specs: &[
            KeySpec { flags: &["OW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: -1, keystep: 2, limit: 0 } },
        ],
        group: "string",
        since: "1.0.1",
        complexity: "O(N) in the number of pairs",
        summary: "Stores several key-value pairs at once, replacing existing values.",
        args: &[
            Arg { name: "key_value", typ: "block", flags: &["multiple"], subargs: &[
                Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
                Arg { name: "value", typ: "string", ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "msetnx",
        arity: -3,
        flags: &["write", "denyoom"],
        first_key: 1, last_key: -1, key_step: 2,
        acl_categories: &["@write", "@string", "@slow"],
        tips: &["request_policy:multi_shard", "response_policy:agg_min"],
        key_specs: &[
            KeySpec { flags: &["OW", "insert"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: -1, keystep: 2, limit: 0 } },
        ],
        group: "string",
        since: "1.0.1",
        complexity: "O(N) in the number of pairs",
        summary: "Stores several key-value pairs only if none of the keys exists yet; all or nothing.",
        args: &[
            Arg { name: "key_value", typ: "block", flags: &["multiple"], subargs: &[
                Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
                Arg { name: "value", typ: "string", ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "multi",
        arity: 1,
        flags: &["noscript", "loading", "stale", "fast", "allow_busy"],
        acl_categories: &["@fast", "@transaction"],
        group: "transactions",
        since: "1.2.0",
        complexity: "O(1)",
        summary: "Starts a transaction: following commands are queued until EXEC.",
        ..CMD
    },
    CommandMeta {
        name: "object",
        arity: -2,
        acl_categories: &["@slow"],
        group: "generic",
        since: "2.2.3",
        complexity: "Per subcommand",
        summary: "Container for subcommands that inspect the internals of stored values.",
        ..CMD
    },
    CommandMeta {
        name: "object|encoding",
        arity: 3,
        flags: &["readonly"],
        first_key: 2, last_key: 2, key_step: 1,
        acl_categories: &["@keyspace", "@read", "@slow"],
        tips: &["nondeterministic_output"],
        key_specs: &[
            KeySpec { flags: &["RO"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "generic",
        since: "2.2.3",
        complexity: "O(1)",
        summary: "Reports the internal encoding of the value at a key (int, embstr, raw, listpack, ...).",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "object|freq",
        arity: 3,
        flags: &["readonly"],
        first_key: 2, last_key: 2, key_step: 1,
        acl_categories: &["@keyspace", "@read", "@slow"],
        tips: &["nondeterministic_output"],
        key_specs: &[
            KeySpec { flags: &["RO"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "generic",
        since: "4.0.0",
        complexity: "O(1)",
        summary: "Reports the logarithmic access-frequency counter of a key (LFU policies only).",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "object|help",
        arity: 2,
        flags: &["loading", "stale"],
        acl_categories: &["@keyspace", "@slow"],
        group: "generic",
        since: "6.2.0",
        complexity: "O(1)",
        summary: "Lists the OBJECT subcommands with a line of help each.",
        ..CMD
    },
    CommandMeta {
        name: "object|idletime",
        arity: 3,
        flags: &["readonly"],
        first_key: 2, last_key: 2, key_step: 1,
        acl_categories: &["@keyspace", "@read", "@slow"],
        tips: &["nondeterministic_output"],
        key_specs: &[
            KeySpec { flags: &["RO"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "generic",
        since: "2.2.3",
        complexity: "O(1)",
        summary: "Reports the seconds since the key was last read or written (LRU policies only).",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "object|refcount",
        arity: 3,
        flags: &["readonly"],
        first_key: 2, last_key: 2, key_step: 1,
        acl_categories: &["@keyspace", "@read", "@slow"],
        tips: &["nondeterministic_output"],
        key_specs: &[
            KeySpec { flags: &["RO"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "generic",
        since: "2.2.3",
        complexity: "O(1)",
        summary: "Reports the reference count of the value at a key.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "persist",
        arity: 2,
        flags: &["write", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "generic",
        since: "2.2.0",
        complexity: "O(1)",
        summary: "Clears a key's expiry so that it lives until deleted; returns 1 if an expiry was removed.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "pexpire",
        arity: -3,
        flags: &["write", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "generic",
        since: "2.6.0",
        complexity: "O(1)",
        summary: "Sets a key's time to live in milliseconds, optionally only under an NX, XX, GT or LT condition.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "milliseconds", typ: "integer", ..ARG },
            Arg { name: "condition", typ: "oneof", since: Some("7.0.0"), flags: &["optional"], subargs: &[
                Arg { name: "nx", typ: "pure-token", token: Some("NX"), ..ARG },
                Arg { name: "xx", typ: "pure-token", token: Some("XX"), ..ARG },
                Arg { name: "gt", typ: "pure-token", token: Some("GT"), ..ARG },
                Arg { name: "lt", typ: "pure-token", token: Some("LT"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "pexpireat",
        arity: -3,
        flags: &["write", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "generic",
        since: "2.6.0",
        complexity: "O(1)",
        summary: "Makes a key expire at a Unix time given in milliseconds, optionally only under an NX, XX, GT or LT condition.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "unix-time-milliseconds", typ: "unix-time", ..ARG },
            Arg { name: "condition", typ: "oneof", since: Some("7.0.0"), flags: &["optional"], subargs: &[
                Arg { name: "nx", typ: "pure-token", token: Some("NX"), ..ARG },
                Arg { name: "xx", typ: "pure-token", token: Some("XX"), ..ARG },
                Arg { name: "gt", typ: "pure-token", token: Some("GT"), ..ARG },
                Arg { name: "lt", typ: "pure-token", token: Some("LT"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "pexpiretime",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "generic",
        since: "7.0.0",
        complexity: "O(1)",
        summary: "Returns the Unix time in milliseconds at which a key expires, -1 if it has no expiry, -2 if it does not exist.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "pfadd",
        arity: -2,
        flags: &["write", "denyoom", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@hyperloglog", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "insert"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "hyperloglog",
        since: "2.8.9",
        complexity: "O(1) per element",
        summary: "Adds elements to a HyperLogLog cardinality estimator.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "element", typ: "string", flags: &["optional", "multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "pfcount",
        arity: -2,
        flags: &["readonly"],
        first_key: 1, last_key: -1, key_step: 1,
        acl_categories: &["@read", "@hyperloglog", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RW", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 } },
        ],
        group: "hyperloglog",
        since: "2.8.9",
        complexity: "O(1) for one key, O(N) to merge several",
        summary: "Estimates the number of distinct elements seen by one or more HyperLogLogs.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "pfdebug",
        arity: 3,
        flags: &["write", "denyoom", "admin"],
        first_key: 2, last_key: 2, key_step: 1,
        acl_categories: &["@write", "@hyperloglog", "@admin", "@slow", "@dangerous"],
        key_specs: &[
            KeySpec { flags: &["RW", "access"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "hyperloglog",
        since: "2.8.9",
        complexity: "O(N)",
        summary: "Internal: inspects the encoding of a HyperLogLog.",
        doc_flags: &["syscmd"],
        args: &[
            Arg { name: "subcommand", typ: "string", ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "pfmerge",
        arity: -2,
        flags: &["write", "denyoom"],
        first_key: 1, last_key: -1, key_step: 1,
        acl_categories: &["@write", "@hyperloglog", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "insert"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 } },
        ],
        group: "hyperloglog",
        since: "2.8.9",
        complexity: "O(N) in the number of inputs",
        summary: "Merges HyperLogLogs into a destination key.",
        args: &[
            Arg { name: "destkey", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "sourcekey", typ: "key", key_spec_index: 1, flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "pfselftest",
        arity: 1,
        flags: &["admin"],
        acl_categories: &["@hyperloglog", "@admin", "@slow", "@dangerous"],
        group: "hyperloglog",
        since: "2.8.9",
        complexity: "O(N)",
        summary: "Internal: tests the HyperLogLog implementation.",
        doc_flags: &["syscmd"],
        ..CMD
    },
    CommandMeta {
        name: "ping",
        arity: -1,
        flags: &["fast"],
        acl_categories: &["@fast", "@connection"],
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        group: "connection",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Checks that the connection is alive: replies PONG, or echoes the given message.",
        args: &[
            Arg { name: "message", typ: "string", flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "psetex",
        arity: 4,
        flags: &["write", "denyoom"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@string", "@slow"],
        key_specs: &[
            KeySpec { flags: &["OW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "string",
        since: "2.6.0",
        complexity: "O(1)",
        summary: "Stores a string at a key together with a time to live in milliseconds.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "milliseconds", typ: "integer", ..ARG },
            Arg { name: "value", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "psubscribe",
        arity: -2,
        flags: &["pubsub", "noscript", "loading", "stale"],
        acl_categories: &["@pubsub", "@slow"],
        group: "pubsub",
        since: "2.0.0",
        complexity: "O(N) in the number of patterns",
        summary: "Subscribes this connection to channels matching glob patterns.",
        args: &[
            Arg { name: "pattern", typ: "block", flags: &["multiple"], subargs: &[
                Arg { name: "pattern", typ: "pattern", ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "psync",
        arity: -3,
        flags: &["admin", "noscript", "no_async_loading", "no_multi"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "2.8.0",
        summary: "Internal: a replica asks to continue or restart replication from an offset.",
        args: &[
            Arg { name: "replicationid", typ: "string", ..ARG },
            Arg { name: "offset", typ: "integer", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "pttl",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        tips: &["nondeterministic_output"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "generic",
        since: "2.6.0",
        complexity: "O(1)",
        summary: "Returns the milliseconds a key has left to live, -1 if it has no expiry, -2 if it does not exist.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "publish",
        arity: 3,
        flags: &["pubsub", "loading", "stale", "fast"],
        acl_categories: &["@pubsub", "@fast"],
        group: "pubsub",
        since: "2.0.0",
        complexity: "O(N+M) in channel subscribers and matching patterns",
        summary: "Sends a message to a channel's subscribers; returns how many received it.",
        args: &[
            Arg { name: "channel", typ: "string", ..ARG },
            Arg { name: "message", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "pubsub",
        arity: -2,
        acl_categories: &["@slow"],
        group: "pubsub",
        since: "2.8.0",
        complexity: "Per subcommand",
        summary: "Container for subcommands that inspect the Pub/Sub state.",
        ..CMD
    },
    CommandMeta {
        name: "pubsub|channels",
        arity: -2,
        flags: &["pubsub", "loading", "stale"],
        acl_categories: &["@pubsub", "@slow"],
        group: "pubsub",
        since: "2.8.0",
        complexity: "O(N) in the number of active channels",
        summary: "Lists the channels with at least one subscriber, optionally matching a pattern.",
        args: &[
            Arg { name: "pattern", typ: "pattern", flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "pubsub|help",
        arity: 2,
        flags: &["loading", "stale"],
        acl_categories: &["@slow"],
        group: "pubsub",
        since: "6.2.0",
        complexity: "O(1)",
        summary: "Lists the PUBSUB subcommands with a line of help each.",
        ..CMD
    },
    CommandMeta {
        name: "pubsub|numpat",
        arity: 2,
        flags: &["pubsub", "loading", "stale"],
        acl_categories: &["@pubsub", "@slow"],
        group: "pubsub",
        since: "2.8.0",
        complexity: "O(1)",
        summary: "Returns the number of pattern subscriptions.",
        ..CMD
    },
    CommandMeta {
        name: "pubsub|numsub",
        arity: -2,
        flags: &["pubsub", "loading", "stale"],
        acl_categories: &["@pubsub", "@slow"],
        group: "pubsub",
        since: "2.8.0",
        complexity: "O(N) in the channels given",
        summary: "Returns the subscriber count of each given channel.",
        args: &[
            Arg { name: "channel", typ: "string", flags: &["optional", "multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "pubsub|shardchannels",
        arity: -2,
        flags: &["pubsub", "loading", "stale"],
        acl_categories: &["@pubsub", "@slow"],
        group: "pubsub",
        since: "7.0.0",
        complexity: "O(N) in the number of active shard channels",
        summary: "Lists the shard channels with at least one subscriber.",
        args: &[
            Arg { name: "pattern", typ: "pattern", flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "pubsub|shardnumsub",
        arity: -2,
        flags: &["pubsub", "loading", "stale"],
        acl_categories: &["@pubsub", "@slow"],
        group: "pubsub",
        since: "7.0.0",
        complexity: "O(N) in the shard channels given",
        summary: "Returns the subscriber count of each given shard channel.",
        args: &[
            Arg { name: "shardchannel", typ: "string", flags: &["optional", "multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "punsubscribe",
        arity: -1,
        flags: &["pubsub", "noscript", "loading", "stale"],
        acl_categories: &["@pubsub", "@slow"],
        group: "pubsub",
        since: "2.0.0",
        complexity: "O(N+M) in patterns given and held",
        summary: "Unsubscribes this connection from patterns, or from all.",
        args: &[
            Arg { name: "pattern", typ: "pattern", flags: &["optional", "multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "quit",
        arity: -1,
        flags: &["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
        acl_categories: &["@fast", "@connection"],
        group: "connection",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Asks the server to close the connection once pending replies are written.",
        ..CMD
    },
    CommandMeta {
        name: "randomkey",
        arity: 1,
        flags: &["readonly"],
        acl_categories: &["@keyspace", "@read", "@slow"],
        tips: &["request_policy:all_shards", "nondeterministic_output"],
        group: "generic",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Returns the name of a key picked at random, or nil when the database is empty.",
        ..CMD
    },
    CommandMeta {
        name: "readonly",
        arity: 1,
        flags: &["loading", "stale", "fast"],
        acl_categories: &["@fast", "@connection"],
        group: "cluster",
        since: "3.0.0",
        complexity: "O(1)",
        summary: "Lets this connection read from a cluster replica.",
        ..CMD
    },
    CommandMeta {
        name: "readwrite",
        arity: 1,
        flags: &["loading", "stale", "fast"],
        acl_categories: &["@fast", "@connection"],
        group: "cluster",
        since: "3.0.0",
        complexity: "O(1)",
        summary: "Stops this connection from reading from a cluster replica.",
        ..CMD
    },
    CommandMeta {
        name: "rename",
        arity: 3,
        flags: &["write"],
        first_key: 1, last_key: 2, key_step: 1,
        acl_categories: &["@keyspace", "@write", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpec { flags: &["OW", "update"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "generic",
        since: "1.0.0",
        complexity: "O(1), plus the cost of deleting an overwritten value",
        summary: "Gives a key a new name, overwriting any key that already had that name.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "newkey", typ: "key", key_spec_index: 1, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "renamenx",
        arity: 3,
        flags: &["write", "fast"],
        first_key: 1, last_key: 2, key_step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpec { flags: &["OW", "insert"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "generic",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Gives a key a new name only if no key has that name yet; returns 1 if renamed, 0 if not.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "newkey", typ: "key", key_spec_index: 1, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "replconf",
        arity: -1,
        flags: &["admin", "noscript", "loading", "stale", "allow_busy"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "3.0.0",
        complexity: "O(1)",
        summary: "Internal: exchanges replication settings and acknowledgements between master and replica.",
        doc_flags: &["syscmd"],
        ..CMD
    },
    CommandMeta {
        name: "replicaof",
        arity: 3,
        flags: &["admin", "noscript", "stale", "no_async_loading"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "5.0.0",
        complexity: "O(1)",
        summary: "Makes the server replicate another server, or stop replicating with NO ONE.",
        args: &[
            Arg { name: "args", typ: "oneof", subargs: &[
                Arg { name: "host-port", typ: "block", subargs: &[
                    Arg { name: "host", typ: "string", ..ARG },
                    Arg { name: "port", typ: "integer", ..ARG },
                ], ..ARG },
                Arg { name: "no-one", typ: "block", subargs: &[
                    Arg { name: "no", typ: "pure-token", token: Some("NO"), ..ARG },
                    Arg { name: "one", typ: "pure-token", token: Some("ONE"), ..ARG },
                ], ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "reset",
        arity: 1,
        flags: &["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
        acl_categories: &["@fast", "@connection"],
        group: "connection",
        since: "6.2.0",
        complexity: "O(1)",
        summary: "Returns the connection to its initial state: database 0, no transaction, no subscriptions, RESP2, default user.",
        ..CMD
    },
    CommandMeta {
        name: "restore",
        arity: -4,
        flags: &["write", "denyoom"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@keyspace", "@write", "@slow", "@dangerous"],
        key_specs: &[
            KeySpec { flags: &["OW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "generic",
        since: "2.6.0",
        complexity: "O(1) to create the key, O(N*M) to deserialize the value",
        summary: "Creates a key from a payload produced by DUMP.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "ttl", typ: "integer", ..ARG },
            Arg { name: "serialized-value", typ: "string", ..ARG },
            Arg { name: "replace", typ: "pure-token", token: Some("REPLACE"), since: Some("3.0.0"), flags: &["optional"], ..ARG },
            Arg { name: "absttl", typ: "pure-token", token: Some("ABSTTL"), since: Some("5.0.0"), flags: &["optional"], ..ARG },
            Arg { name: "seconds", typ: "integer", token: Some("IDLETIME"), since: Some("5.0.0"), flags: &["optional"], ..ARG },
            Arg { name: "frequency", typ: "integer", token: Some("FREQ"), since: Some("5.0.0"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "restore-asking",
        arity: -4,
        flags: &["write", "denyoom", "asking"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@keyspace", "@write", "@slow", "@dangerous"],
        key_specs: &[
            KeySpec { flags: &["OW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "server",
        since: "3.0.0",
        complexity: "O(1) to create the key, O(N*M) to deserialize the value",
        summary: "Internal: RESTORE as sent by cluster migration, accepted on an importing slot.",
        doc_flags: &["syscmd"],
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "ttl", typ: "integer", ..ARG },
            Arg { name: "serialized-value", typ: "string", ..ARG },
            Arg { name: "replace", typ: "pure-token", token: Some("REPLACE"), since: Some("3.0.0"), flags: &["optional"], ..ARG },
            Arg { name: "absttl", typ: "pure-token", token: Some("ABSTTL"), since: Some("5.0.0"), flags: &["optional"], ..ARG },
            Arg { name: "seconds", typ: "integer", token: Some("IDLETIME"), since: Some("5.0.0"), flags: &["optional"], ..ARG },
            Arg { name: "frequency", typ: "integer", token: Some("FREQ"), since: Some("5.0.0"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "role",
        arity: 1,
        flags: &["noscript", "loading", "stale", "fast"],
        acl_categories: &["@admin", "@fast", "@dangerous"],
        group: "server",
        since: "2.8.12",
        complexity: "O(1)",
        summary: "Reports whether the server is a master, replica or sentinel, with replication details.",
        ..CMD
    },
    CommandMeta {
        name: "rpop",
        arity: -2,
        flags: &["write", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@list", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "list",
        since: "1.0.0",
        complexity: "O(N) in the elements returned",
        summary: "Removes and returns elements from the tail of a list.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "count", typ: "integer", since: Some("6.2.0"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "rpoplpush",
        arity: 3,
        flags: &["write", "denyoom"],
        first_key: 1, last_key: 2, key_step: 1,
        acl_categories: &["@write", "@list", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpec { flags: &["RW", "insert"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "list",
        since: "1.2.0",
        complexity: "O(1)",
        summary: "Pops the tail of one list and pushes it onto the head of another.",
        doc_flags: &["deprecated"],
        deprecated_since: Some("6.2.0"),
        replaced_by: Some("LMOVE with RIGHT and LEFT"),
        args: &[
            Arg { name: "source", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "destination", typ: "key", key_spec_index: 1, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "rpush",
        arity: -3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@list", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "insert"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "list",
        since: "1.0.0",
        complexity: "O(1) per element",
        summary: "Appends elements at the tail of a list, creating it if missing; returns the new length.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "element", typ: "string", flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "rpushx",
        arity: -3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@list", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "insert"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "list",
        since: "2.2.0",
        complexity: "O(1) per element",
        summary: "Appends elements at the tail of a list only if the list exists.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "element", typ: "string", flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "sadd",
        arity: -3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@set", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "insert"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "set",
        since: "1.0.0",
        complexity: "O(1) per member",
        summary: "Adds members to a set, creating it if missing; returns how many were new.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "member", typ: "string", flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "save",
        arity: 1,
        flags: &["admin", "noscript", "no_async_loading", "no_multi"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "1.0.0",
        complexity: "O(N) in the size of the data set",
        summary: "Writes an RDB snapshot synchronously, blocking every client until done.",
        ..CMD
    },
    CommandMeta {
        name: "scan",
        arity: -2,
        flags: &["readonly"],
        acl_categories: &["@keyspace", "@read", "@slow"],
        tips: &["nondeterministic_output", "request_policy:special"],
        group: "generic",
        since: "2.8.0",
        complexity: "O(1) per call, O(N) for a complete pass over N keys",
        summary: "Walks the keys of the database a few at a time with a cursor, optionally filtered by pattern and type.",
        args: &[
            Arg { name: "cursor", typ: "integer", ..ARG },
            Arg { name: "pattern", typ: "pattern", token: Some("MATCH"), flags: &["optional"], ..ARG },
            Arg { name: "count", typ: "integer", token: Some("COUNT"), flags: &["optional"], ..ARG },
            Arg { name: "type", typ: "string", token: Some("TYPE"), since: Some("6.0.0"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "scard",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@set", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RO"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "set",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Returns the number of members in a set.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "script",
        arity: -2,
        acl_categories: &["@slow"],
        group: "scripting",
        since: "2.6.0",
        complexity: "Per subcommand",
        summary: "Container for subcommands that manage the Lua script cache.",
        ..CMD
    },
    CommandMeta {
        name: "script|debug",
        arity: 3,
        flags: &["noscript"],
        acl_categories: &["@slow", "@scripting"],
        group: "scripting",
        since: "3.2.0",
        complexity: "O(1)",
        summary: "Sets the debug mode for scripts run from this connection.",
        args: &[
            Arg { name: "mode", typ: "oneof", subargs: &[
                Arg { name: "yes", typ: "pure-token", token: Some("YES"), ..ARG },
                Arg { name: "sync", typ: "pure-token", token: Some("SYNC"), ..ARG },
                Arg { name: "no", typ: "pure-token", token: Some("NO"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "script|exists",
        arity: -3,
        flags: &["noscript"],
        acl_categories: &["@slow", "@scripting"],
        tips: &["request_policy:all_shards", "response_policy:agg_logical_and"],
        group: "scripting",
        since: "2.6.0",
        complexity: "O(N) in the digests given",
        summary: "Reports which of the given SHA1 digests are in the script cache.",
        args: &[
            Arg { name: "sha1", typ: "string", flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "script|flush",
        arity: -2,
        flags: &["noscript"],
        acl_categories: &["@slow", "@scripting"],
        tips: &["request_policy:all_nodes", "response_policy:all_succeeded"],
        group: "scripting",
        since: "2.6.0",
        complexity: "O(N) in the cached scripts",
        summary: "Empties the Lua script cache.",
        args: &[
            Arg { name: "async", typ: "oneof", since: Some("6.2.0"), flags: &["optional"], subargs: &[
                Arg { name: "async", typ: "pure-token", token: Some("ASYNC"), ..ARG },
                Arg { name: "sync", typ: "pure-token", token: Some("SYNC"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "script|help",
        arity: 2,
        flags: &["loading", "stale"],
        acl_categories: &["@slow", "@scripting"],
        group: "scripting",
        since: "5.0.0",
        complexity: "O(1)",
        summary: "Lists the SCRIPT subcommands with a line of help each.",
        ..CMD
    },
    CommandMeta {
        name: "script|kill",
        arity: 2,
        flags: &["noscript", "allow_busy"],
        acl_categories: &["@slow", "@scripting"],
        tips: &["request_policy:all_shards", "response_policy:one_succeeded"],
        group: "scripting",
        since: "2.6.0",
        complexity: "O(1)",
        summary: "Stops the running script, if it has not written anything.",
        ..CMD
    },
    CommandMeta {
        name: "script|load",
        arity: 3,
        flags: &["noscript", "stale"],
        acl_categories: &["@slow", "@scripting"],
        tips: &["request_policy:all_nodes", "response_policy:all_succeeded"],
        group: "scripting",
        since: "2.6.0",
        complexity: "O(N) in the script's length",
        summary: "Adds a script to the cache without running it; returns its SHA1 digest.",
        args: &[
            Arg { name: "script", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "sdiff",
        arity: -2,
        flags: &["readonly"],
        first_key: 1, last_key: -1, key_step: 1,
        acl_categories: &["@read", "@set", "@slow"],
        tips: &["nondeterministic_output_order"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 } },
        ],
        group: "set",
        since: "1.0.0",
        complexity: "O(N) in the total members",
        summary: "Returns the members of the first set found in none of the others.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "sdiffstore",
        arity: -3,
        flags: &["write", "denyoom"],
        first_key: 1, last_key: -1, key_step: 1,
        acl_categories: &["@write", "@set", "@slow"],
        key_specs: &[
            KeySpec { flags: &["OW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 } },
        ],
        group: "set",
        since: "1.0.0",
        complexity: "O(N) in the total members",
        summary: "Stores the difference of the given sets at a destination key.",
        args: &[
            Arg { name: "destination", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 1, flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "select",
        arity: 2,
        flags: &["loading", "stale", "fast"],
        acl_categories: &["@fast", "@connection"],
        group: "connection",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Switches the connection to the database with the given index.",
        args: &[
            Arg { name: "index", typ: "integer", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "set",
        arity: -3,
        flags: &["write", "denyoom"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@string", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "update", "variable_flags"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "string",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Stores a string at a key, with options for expiry (EX, PX, EXAT, PXAT, KEEPTTL), conditions (NX, XX) and returning the old value (GET).",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "value", typ: "string", ..ARG },
            Arg { name: "condition", typ: "oneof", since: Some("2.6.12"), flags: &["optional"], subargs: &[
                Arg { name: "nx", typ: "pure-token", token: Some("NX"), ..ARG },
                Arg { name: "xx", typ: "pure-token", token: Some("XX"), ..ARG },
            ], ..ARG },
            Arg { name: "get", typ: "pure-token", token: Some("GET"), since: Some("6.2.0"), flags: &["optional"], ..ARG },
            Arg { name: "expiration", typ: "oneof", flags: &["optional"], subargs: &[
                Arg { name: "seconds", typ: "integer", token: Some("EX"), since: Some("2.6.12"), ..ARG },
                Arg { name: "milliseconds", typ: "integer", token: Some("PX"), since: Some("2.6.12"), ..ARG },
                Arg { name: "unix-time-seconds", typ: "unix-time", token: Some("EXAT"), since: Some("6.2.0"), ..ARG },
                Arg { name: "unix-time-milliseconds", typ: "unix-time", token: Some("PXAT"), since: Some("6.2.0"), ..ARG },
                Arg { name: "keepttl", typ: "pure-token", token: Some("KEEPTTL"), since: Some("6.0.0"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "setbit",
        arity: 4,
        flags: &["write", "denyoom"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@bitmap", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "bitmap",
        since: "2.2.0",
        complexity: "O(1)",
        summary: "Sets or clears the bit at an offset of a string, growing it if needed; returns the old bit.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "offset", typ: "integer", ..ARG },
            Arg { name: "value", typ: "integer", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "setex",
        arity: 4,
        flags: &["write", "denyoom"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@string", "@slow"],
        key_specs: &[
            KeySpec { flags: &["OW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "string",
        since: "2.0.0",
        complexity: "O(1)",
        summary: "Stores a string at a key together with a time to live in seconds.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "seconds", typ: "integer", ..ARG },
            Arg { name: "value", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "setnx",
        arity: 3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@string", "@fast"],
        key_specs: &[
            KeySpec { flags: &["OW", "insert"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "string",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Stores a string at a key only if the key does not exist yet; returns 1 if it was stored.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "value", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "setrange",
        arity: 4,
        flags: &["write", "denyoom"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@string", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "string",
        since: "2.2.0",
        complexity: "O(1) plus the bytes written, or the padding if the string grows",
        summary: "Overwrites part of a string starting at an offset, padding with zero bytes if needed; returns the new length.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "offset", typ: "integer", ..ARG },
            Arg { name: "value", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "shutdown",
        arity: -1,
        flags: &["admin", "noscript", "loading", "stale", "no_multi", "allow_busy"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "1.0.0",
        complexity: "O(N) in the data saved, if any",
        summary: "Stops the server, saving first if configured or asked (SAVE, NOSAVE, NOW, FORCE, ABORT).",
        args: &[
            Arg { name: "nosave_save", typ: "oneof", flags: &["optional"], subargs: &[
                Arg { name: "nosave", typ: "pure-token", token: Some("NOSAVE"), ..ARG },
                Arg { name: "save", typ: "pure-token", token: Some("SAVE"), ..ARG },
            ], ..ARG },
            Arg { name: "now", typ: "pure-token", token: Some("NOW"), since: Some("7.0.0"), flags: &["optional"], ..ARG },
            Arg { name: "force", typ: "pure-token", token: Some("FORCE"), since: Some("7.0.0"), flags: &["optional"], ..ARG },
            Arg { name: "abort", typ: "pure-token", token: Some("ABORT"), since: Some("7.0.0"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "sinter",
        arity: -2,
        flags: &["readonly"],
        first_key: 1, last_key: -1, key_step: 1,
        acl_categories: &["@read", "@set", "@slow"],
        tips: &["nondeterministic_output_order"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 } },
        ],
        group: "set",
        since: "1.0.0",
        complexity: "O(N*M) for the smallest set N and M sets",
        summary: "Returns the members common to all the given sets.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "sintercard",
        arity: -3,
        flags: &["readonly", "movablekeys"],
        acl_categories: &["@read", "@set", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ],
        group: "set",
        since: "7.0.0",
        complexity: "O(N*M) for the smallest set N and M sets",
        summary: "Returns the size of the intersection of the given sets, optionally stopping at a limit.",
        args: &[
            Arg { name: "numkeys", typ: "integer", ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["multiple"], ..ARG },
            Arg { name: "limit", typ: "integer", token: Some("LIMIT"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "sinterstore",
        arity: -3,
        flags: &["write", "denyoom"],
        first_key: 1, last_key: -1, key_step: 1,
        acl_categories: &["@write", "@set", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 } },
        ],
        group: "set",
        since: "1.0.0",
        complexity: "O(N*M) for the smallest set N and M sets",
        summary: "Stores the intersection of the given sets at a destination key.",
        args: &[
            Arg { name: "destination", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 1, flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "sismember",
        arity: 3,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@set", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RO"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "set",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Reports whether a value is a member of a set.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "member", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "slaveof",
        arity: 3,
        flags: &["admin", "noscript", "stale", "no_async_loading"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Makes the server replicate another server, or stop with NO ONE (older name of REPLICAOF).",
        doc_flags: &["deprecated"],
        deprecated_since: Some("5.0.0"),
        replaced_by: Some("REPLICAOF, which takes the same arguments"),
        args: &[
            Arg { name: "args", typ: "oneof", subargs: &[
                Arg { name: "host-port", typ: "block", subargs: &[
                    Arg { name: "host", typ: "string", ..ARG },
                    Arg { name: "port", typ: "integer", ..ARG },
                ], ..ARG },
                Arg { name: "no-one", typ: "block", subargs: &[
                    Arg { name: "no", typ: "pure-token", token: Some("NO"), ..ARG },
                    Arg { name: "one", typ: "pure-token", token: Some("ONE"), ..ARG },
                ], ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "slowlog",
        arity: -2,
        acl_categories: &["@slow"],
        group: "server",
        since: "2.2.12",
        complexity: "Per subcommand",
        summary: "Container for subcommands of the slow query log.",
        ..CMD
    },
    CommandMeta {
        name: "slowlog|get",
        arity: -2,
        flags: &["admin", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        tips: &["request_policy:all_nodes", "nondeterministic_output"],
        group: "server",
        since: "2.2.12",
        complexity: "O(N) in the entries returned",
        summary: "Returns the newest entries of the slow log.",
        args: &[
            Arg { name: "count", typ: "integer", flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "slowlog|help",
        arity: 2,
        flags: &["loading", "stale"],
        acl_categories: &["@slow"],
        group: "server",
        since: "6.2.0",
        complexity: "O(1)",
        summary: "Lists the SLOWLOG subcommands with a line of help each.",
        ..CMD
    },
    CommandMeta {
        name: "slowlog|len",
        arity: 2,
        flags: &["admin", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        tips: &["request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"],
        group: "server",
        since: "2.2.12",
        complexity: "O(1)",
        summary: "Returns the number of entries in the slow log.",
        ..CMD
    },
    CommandMeta {
        name: "slowlog|reset",
        arity: 2,
        flags: &["admin", "loading", "stale"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        tips: &["request_policy:all_nodes", "response_policy:all_succeeded"],
        group: "server",
        since: "2.2.12",
        complexity: "O(N) in the number of entries",
        summary: "Empties the slow log.",
        ..CMD
    },
    CommandMeta {
        name: "smembers",
        arity: 2,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@set", "@slow"],
        tips: &["nondeterministic_output_order"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "set",
        since: "1.0.0",
        complexity: "O(N) in the set's size",
        summary: "Returns every member of a set.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "smismember",
        arity: -3,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@set", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "set",
        since: "6.2.0",
        complexity: "O(N) in the values given",
        summary: "Reports, for each given value, whether it is a member of a set.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "member", typ: "string", flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "smove",
        arity: 4,
        flags: &["write", "fast"],
        first_key: 1, last_key: 2, key_step: 1,
        acl_categories: &["@write", "@set", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpec { flags: &["RW", "insert"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "set",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Moves a member from one set to another.",
        args: &[
            Arg { name: "source", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "destination", typ: "key", key_spec_index: 1, ..ARG },
            Arg { name: "member", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "sort",
        arity: -2,
        flags: &["write", "denyoom", "movablekeys"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@set", "@sortedset", "@list", "@slow", "@dangerous"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Unknown, find_keys: FindKeys::Unknown },
            KeySpec { flags: &["OW", "update"], begin_search: BeginSearch::Unknown, find_keys: FindKeys::Unknown },
        ],
        group: "generic",
        since: "1.0.0",
        complexity: "O(N+M*log(M)) for N elements, M of them returned",
        summary: "Sorts the elements of a list, set or sorted set, optionally storing the result.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "pattern", typ: "pattern", key_spec_index: 1, token: Some("BY"), flags: &["optional"], ..ARG },
            Arg { name: "offset_count", typ: "block", token: Some("LIMIT"), flags: &["optional"], subargs: &[
                Arg { name: "offset", typ: "integer", ..ARG },
                Arg { name: "count", typ: "integer", ..ARG },
            ], ..ARG },
            Arg { name: "pattern", typ: "pattern", key_spec_index: 1, token: Some("GET"), flags: &["optional", "multiple", "multiple_token"], ..ARG },
            Arg { name: "order", typ: "oneof", flags: &["optional"], subargs: &[
                Arg { name: "asc", typ: "pure-token", token: Some("ASC"), ..ARG },
                Arg { name: "desc", typ: "pure-token", token: Some("DESC"), ..ARG },
            ], ..ARG },
            Arg { name: "sorting", typ: "pure-token", token: Some("ALPHA"), flags: &["optional"], ..ARG },
            Arg { name: "destination", typ: "key", key_spec_index: 2, token: Some("STORE"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "sort_ro",
        arity: -2,
        flags: &["readonly", "movablekeys"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@set", "@sortedset", "@list", "@slow", "@dangerous"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Unknown, find_keys: FindKeys::Unknown },
        ],
        group: "generic",
        since: "7.0.0",
        complexity: "O(N+M*log(M)) for N elements, M of them returned",
        summary: "Read-only SORT: sorts the elements of a list, set or sorted set without storing.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "pattern", typ: "pattern", key_spec_index: 1, token: Some("BY"), flags: &["optional"], ..ARG },
            Arg { name: "offset_count", typ: "block", token: Some("LIMIT"), flags: &["optional"], subargs: &[
                Arg { name: "offset", typ: "integer", ..ARG },
                Arg { name: "count", typ: "integer", ..ARG },
            ], ..ARG },
            Arg { name: "pattern", typ: "pattern", key_spec_index: 1, token: Some("GET"), flags: &["optional", "multiple", "multiple_token"], ..ARG },
            Arg { name: "order", typ: "oneof", flags: &["optional"], subargs: &[
                Arg { name: "asc", typ: "pure-token", token: Some("ASC"), ..ARG },
                Arg { name: "desc", typ: "pure-token", token: Some("DESC"), ..ARG },
            ], ..ARG },
            Arg { name: "sorting", typ: "pure-token", token: Some("ALPHA"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "spop",
        arity: -2,
        flags: &["write", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@set", "@fast"],
        tips: &["nondeterministic_output"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "set",
        since: "1.0.0",
        complexity: "O(N) in the members popped",
        summary: "Removes and returns random members of a set.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "count", typ: "integer", since: Some("3.2.0"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "spublish",
        arity: 3,
        flags: &["pubsub", "loading", "stale", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@pubsub", "@fast"],
        key_specs: &[
            KeySpec { flags: &["not_key"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "pubsub",
        since: "7.0.0",
        complexity: "O(N) in the subscribers",
        summary: "Sends a message to a shard channel's subscribers.",
        args: &[
            Arg { name: "shardchannel", typ: "string", ..ARG },
            Arg { name: "message", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "srandmember",
        arity: -2,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@set", "@slow"],
        tips: &["nondeterministic_output"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "set",
        since: "1.0.0",
        complexity: "O(N) in the members returned",
        summary: "Returns random members of a set without removing them; a negative count allows repeats.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "count", typ: "integer", since: Some("2.6.0"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "srem",
        arity: -3,
        flags: &["write", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@set", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "set",
        since: "1.0.0",
        complexity: "O(1) per member",
        summary: "Removes members from a set; returns how many were present.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "member", typ: "string", flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "sscan",
        arity: -3,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@set", "@slow"],
        tips: &["nondeterministic_output"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "set",
        since: "2.8.0",
        complexity: "O(1) per call, O(N) for a full pass",
        summary: "Walks the members of a set a few at a time with a cursor.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "cursor", typ: "integer", ..ARG },
            Arg { name: "pattern", typ: "pattern", token: Some("MATCH"), flags: &["optional"], ..ARG },
            Arg { name: "count", typ: "integer", token: Some("COUNT"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "ssubscribe",
        arity: -2,
        flags: &["pubsub", "noscript", "loading", "stale"],
        first_key: 1, last_key: -1, key_step: 1,
        acl_categories: &["@pubsub", "@slow"],
        key_specs: &[
            KeySpec { flags: &["not_key"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 } },
        ],
        group: "pubsub",
        since: "7.0.0",
        complexity: "O(N) in the number of shard channels",
        summary: "Subscribes this connection to shard channels.",
        args: &[
            Arg { name: "shardchannel", typ: "string", flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "strlen",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@string", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RO"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "string",
        since: "2.2.0",
        complexity: "O(1)",
        summary: "Returns the byte length of the string at a key, 0 when the key is missing.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "subscribe",
        arity: -2,
        flags: &["pubsub", "noscript", "loading", "stale"],
        acl_categories: &["@pubsub", "@slow"],
        group: "pubsub",
        since: "2.0.0",
        complexity: "O(N) in the number of channels",
        summary: "Subscribes this connection to channels.",
        args: &[
            Arg { name: "channel", typ: "string", flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "substr",
        arity: 4,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@string", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "string",
        since: "1.0.0",
        complexity: "O(N) in the length returned",
        summary: "Returns the bytes of a string between two inclusive offsets (older name of GETRANGE).",
        doc_flags: &["deprecated"],
        deprecated_since: Some("2.0.0"),
        replaced_by: Some("GETRANGE, which takes the same arguments"),
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "start", typ: "integer", ..ARG },
            Arg { name: "end", typ: "integer", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "sunion",
        arity: -2,
        flags: &["readonly"],
        first_key: 1, last_key: -1, key_step: 1,
        acl_categories: &["@read", "@set", "@slow"],
        tips: &["nondeterministic_output_order"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 } },
        ],
        group: "set",
        since: "1.0.0",
        complexity: "O(N) in the total members",
        summary: "Returns the members found in any of the given sets.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "sunionstore",
        arity: -3,
        flags: &["write", "denyoom"],
        first_key: 1, last_key: -1, key_step: 1,
        acl_categories: &["@write", "@set", "@slow"],
        key_specs: &[
            KeySpec { flags: &["OW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 } },
        ],
        group: "set",
        since: "1.0.0",
        complexity: "O(N) in the total members",
        summary: "Stores the union of the given sets at a destination key.",
        args: &[
            Arg { name: "destination", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 1, flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "sunsubscribe",
        arity: -1,
        flags: &["pubsub", "noscript", "loading", "stale"],
        first_key: 1, last_key: -1, key_step: 1,
        acl_categories: &["@pubsub", "@slow"],
        key_specs: &[
            KeySpec { flags: &["not_key"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 } },
        ],
        group: "pubsub",
        since: "7.0.0",
        complexity: "O(N) in the number of shard channels",
        summary: "Unsubscribes this connection from shard channels, or from all.",
        args: &[
            Arg { name: "shardchannel", typ: "string", flags: &["optional", "multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "swapdb",
        arity: 3,
        flags: &["write", "fast"],
        acl_categories: &["@keyspace", "@write", "@fast", "@dangerous"],
        group: "server",
        since: "4.0.0",
        complexity: "O(N) in the connected and blocked clients",
        summary: "Exchanges the contents of two databases, atomically for every client.",
        args: &[
            Arg { name: "index1", typ: "integer", ..ARG },
            Arg { name: "index2", typ: "integer", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "sync",
        arity: 1,
        flags: &["admin", "noscript", "no_async_loading", "no_multi"],
        acl_categories: &["@admin", "@slow", "@dangerous"],
        group: "server",
        since: "1.0.0",
        summary: "Internal: a replica asks for a full resynchronization (old protocol).",
        ..CMD
    },
    CommandMeta {
        name: "time",
        arity: 1,
        flags: &["loading", "stale", "fast"],
        acl_categories: &["@fast"],
        tips: &["nondeterministic_output"],
        group: "server",
        since: "2.6.0",
        complexity: "O(1)",
        summary: "Returns the server's clock as Unix seconds and the microseconds within that second.",
        ..CMD
    },
    CommandMeta {
        name: "touch",
        arity: -2,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: -1, key_step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        tips: &["request_policy:multi_shard", "response_policy:agg_sum"],
        key_specs: &[
            KeySpec { flags: &["RO"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 } },
        ],
        group: "generic",
        since: "3.2.1",
        complexity: "O(N) in the number of keys given",
        summary: "Updates the last-access time of the given keys and returns how many exist.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "ttl",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        tips: &["nondeterministic_output"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "generic",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Returns the seconds a key has left to live, -1 if it has no expiry, -2 if it does not exist.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "type",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@keyspace", "@read", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RO"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "generic",
        since: "1.0.0",
        complexity: "O(1)",
        summary: "Returns the type name of the value at a key (string, list, set, zset, hash, stream) or \"none\".",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "unlink",
        arity: -2,
        flags: &["write", "fast"],
        first_key: 1, last_key: -1, key_step: 1,
        acl_categories: &["@keyspace", "@write", "@fast"],
        tips: &["request_policy:multi_shard", "response_policy:agg_sum"],
        key_specs: &[
            KeySpec { flags: &["RM", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 } },
        ],
        group: "generic",
        since: "4.0.0",
        complexity: "O(1) per key removed; freeing happens later, off the main thread",
        summary: "Removes the given keys like DEL, but frees large values in a background thread; returns how many existed.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "unsubscribe",
        arity: -1,
        flags: &["pubsub", "noscript", "loading", "stale"],
        acl_categories: &["@pubsub", "@slow"],
        group: "pubsub",
        since: "2.0.0",
        complexity: "O(N) in the number of channels",
        summary: "Unsubscribes this connection from channels, or from all.",
        args: &[
            Arg { name: "channel", typ: "string", flags: &["optional", "multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "unwatch",
        arity: 1,
        flags: &["noscript", "loading", "stale", "fast", "allow_busy"],
        acl_categories: &["@fast", "@transaction"],
        group: "transactions",
        since: "2.2.0",
        complexity: "O(1)",
        summary: "Forgets every key watched by this connection.",
        ..CMD
    },
    CommandMeta {
        name: "wait",
        arity: 3,
        flags: &["noscript"],
        acl_categories: &["@slow", "@connection"],
        tips: &["request_policy:all_shards", "response_policy:agg_min"],
        group: "generic",
        since: "3.0.0",
        complexity: "O(1)",
        summary: "Blocks until the preceding writes have reached the given number of replicas or the timeout passes.",
        args: &[
            Arg { name: "numreplicas", typ: "integer", ..ARG },
            Arg { name: "timeout", typ: "integer", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "watch",
        arity: -2,
        flags: &["noscript", "loading", "stale", "fast", "allow_busy"],
        first_key: 1, last_key: -1, key_step: 1,
        acl_categories: &["@fast", "@transaction"],
        key_specs: &[
            KeySpec { flags: &["RO"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: -1, keystep: 1, limit: 0 } },
        ],
        group: "transactions",
        since: "2.2.0",
        complexity: "O(1) per key",
        summary: "Watches keys so that EXEC aborts if any of them changes first.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "xack",
        arity: -4,
        flags: &["write", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@stream", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "stream",
        since: "5.0.0",
        complexity: "O(1) per ID",
        summary: "Marks pending entries of a consumer group as processed.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "group", typ: "string", ..ARG },
            Arg { name: "id", typ: "string", flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "xadd",
        arity: -5,
        flags: &["write", "denyoom", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@stream", "@fast"],
        tips: &["nondeterministic_output"],
        key_specs: &[
            KeySpec { flags: &["RW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "stream",
        since: "5.0.0",
        complexity: "O(1) to add, plus the trimming",
        summary: "Appends an entry to a stream, creating it unless NOMKSTREAM, optionally trimming it.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "nomkstream", typ: "pure-token", token: Some("NOMKSTREAM"), since: Some("6.2.0"), flags: &["optional"], ..ARG },
            Arg { name: "trim", typ: "block", flags: &["optional"], subargs: &[
                Arg { name: "strategy", typ: "oneof", subargs: &[
                    Arg { name: "maxlen", typ: "pure-token", token: Some("MAXLEN"), ..ARG },
                    Arg { name: "minid", typ: "pure-token", token: Some("MINID"), since: Some("6.2.0"), ..ARG },
                ], ..ARG },
                Arg { name: "operator", typ: "oneof", flags: &["optional"], subargs: &[
                    Arg { name: "equal", typ: "pure-token", token: Some("="), ..ARG },
                    Arg { name: "approximately", typ: "pure-token", token: Some("~"), ..ARG },
                ], ..ARG },
                Arg { name: "threshold", typ: "string", ..ARG },
                Arg { name: "count", typ: "integer", token: Some("LIMIT"), since: Some("6.2.0"), flags: &["optional"], ..ARG },
            ], ..ARG },
            Arg { name: "id_or_auto", typ: "oneof", subargs: &[
                Arg { name: "auto_id", typ: "pure-token", token: Some("*"), ..ARG },
                Arg { name: "id", typ: "string", ..ARG },
            ], ..ARG },
            Arg { name: "field_value", typ: "block", flags: &["multiple"], subargs: &[
                Arg { name: "field", typ: "string", ..ARG },
                Arg { name: "value", typ: "string", ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "xautoclaim",
        arity: -6,
        flags: &["write", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@stream", "@fast"],
        tips: &["nondeterministic_output"],
        key_specs: &[
            KeySpec { flags: &["RW", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "stream",
        since: "6.2.0",
        complexity: "O(1) per entry walked",
        summary: "Transfers idle pending entries to another consumer, walking with a cursor.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "group", typ: "string", ..ARG },
            Arg { name: "consumer", typ: "string", ..ARG },
            Arg { name: "min-idle-time", typ: "string", ..ARG },
            Arg { name: "start", typ: "string", ..ARG },
            Arg { name: "count", typ: "integer", token: Some("COUNT"), flags: &["optional"], ..ARG },
            Arg { name: "justid", typ: "pure-token", token: Some("JUSTID"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "xclaim",
        arity: -6,
        flags: &["write", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@stream", "@fast"],
        tips: &["nondeterministic_output"],
        key_specs: &[
            KeySpec { flags: &["RW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "stream",
        since: "5.0.0",
        complexity: "O(log N) per ID",
        summary: "Transfers ownership of pending entries to another consumer.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "group", typ: "string", ..ARG },
            Arg { name: "consumer", typ: "string", ..ARG },
            Arg { name: "min-idle-time", typ: "string", ..ARG },
            Arg { name: "id", typ: "string", flags: &["multiple"], ..ARG },
            Arg { name: "ms", typ: "integer", token: Some("IDLE"), flags: &["optional"], ..ARG },
            Arg { name: "unix-time-milliseconds", typ: "unix-time", token: Some("TIME"), flags: &["optional"], ..ARG },
            Arg { name: "count", typ: "integer", token: Some("RETRYCOUNT"), flags: &["optional"], ..ARG },
            Arg { name: "force", typ: "pure-token", token: Some("FORCE"), flags: &["optional"], ..ARG },
            Arg { name: "justid", typ: "pure-token", token: Some("JUSTID"), flags: &["optional"], ..ARG },
            Arg { name: "id", typ: "string", token: Some("LASTID"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "xdel",
        arity: -3,
        flags: &["write", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@stream", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "stream",
        since: "5.0.0",
        complexity: "O(1) per entry",
        summary: "Removes entries from a stream by ID.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "id", typ: "string", flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "xgroup",
        arity: -2,
        acl_categories: &["@slow"],
        group: "stream",
        since: "5.0.0",
        complexity: "Per subcommand",
        summary: "Container for subcommands that manage consumer groups.",
        ..CMD
    },
    CommandMeta {
        name: "xgroup|create",
        arity: -5,
        flags: &["write", "denyoom"],
        first_key: 2, last_key: 2, key_step: 1,
        acl_categories: &["@write", "@stream", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RW", "insert"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "stream",
        since: "5.0.0",
        complexity: "O(1)",
        summary: "Creates a consumer group on a stream.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "groupname", typ: "string", ..ARG },
            Arg { name: "id", typ: "oneof", subargs: &[
                Arg { name: "id", typ: "string", ..ARG },
                Arg { name: "new_id", typ: "pure-token", token: Some("$"), ..ARG },
            ], ..ARG },
            Arg { name: "mkstream", typ: "pure-token", token: Some("MKSTREAM"), flags: &["optional"], ..ARG },
            Arg { name: "entries_read", typ: "integer", token: Some("ENTRIESREAD"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "xgroup|createconsumer",
        arity: 5,
        flags: &["write", "denyoom"],
        first_key: 2, last_key: 2, key_step: 1,
        acl_categories: &["@write", "@stream", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RW", "insert"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "stream",
        since: "6.2.0",
        complexity: "O(1)",
        summary: "Creates a consumer in a consumer group.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "groupname", typ: "string", ..ARG },
            Arg { name: "consumername", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "xgroup|delconsumer",
        arity: 5,
        flags: &["write"],
        first_key: 2, last_key: 2, key_step: 1,
        acl_categories: &["@write", "@stream", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RW", "delete"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "stream",
        since: "5.0.0",
        complexity: "O(1)",
        summary: "Deletes a consumer from a consumer group, with its pending entries.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "groupname", typ: "string", ..ARG },
            Arg { name: "consumername", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "xgroup|destroy",
        arity: 4,
        flags: &["write"],
        first_key: 2, last_key: 2, key_step: 1,
        acl_categories: &["@write", "@stream", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RW", "delete"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "stream",
        since: "5.0.0",
        complexity: "O(N) in its pending entries",
        summary: "Deletes a consumer group.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "groupname", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "xgroup|help",
        arity: 2,
        flags: &["loading", "stale"],
        acl_categories: &["@stream", "@slow"],
        group: "stream",
        since: "5.0.0",
        complexity: "O(1)",
        summary: "Lists the XGROUP subcommands with a line of help each.",
        ..CMD
    },
    CommandMeta {
        name: "xgroup|setid",
        arity: -5,
        flags: &["write"],
        first_key: 2, last_key: 2, key_step: 1,
        acl_categories: &["@write", "@stream", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RW", "update"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "stream",
        since: "5.0.0",
        complexity: "O(1)",
        summary: "Sets the last-delivered ID of a consumer group.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "groupname", typ: "string", ..ARG },
            Arg { name: "id", typ: "oneof", subargs: &[
                Arg { name: "id", typ: "string", ..ARG },
                Arg { name: "new_id", typ: "pure-token", token: Some("$"), ..ARG },
            ], ..ARG },
            Arg { name: "entries_read", typ: "integer", token: Some("ENTRIESREAD"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "xinfo",
        arity: -2,
        acl_categories: &["@slow"],
        group: "stream",
        since: "5.0.0",
        complexity: "Per subcommand",
        summary: "Container for subcommands that describe streams.",
        ..CMD
    },
    CommandMeta {
        name: "xinfo|consumers",
        arity: 4,
        flags: &["readonly"],
        first_key: 2, last_key: 2, key_step: 1,
        acl_categories: &["@read", "@stream", "@slow"],
        tips: &["nondeterministic_output"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "stream",
        since: "5.0.0",
        complexity: "O(1)",
        summary: "Lists the consumers of a consumer group.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "groupname", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "xinfo|groups",
        arity: 3,
        flags: &["readonly"],
        first_key: 2, last_key: 2, key_step: 1,
        acl_categories: &["@read", "@stream", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "stream",
        since: "5.0.0",
        complexity: "O(1)",
        summary: "Lists the consumer groups of a stream.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "xinfo|help",
        arity: 2,
        flags: &["loading", "stale"],
        acl_categories: &["@stream", "@slow"],
        group: "stream",
        since: "5.0.0",
        complexity: "O(1)",
        summary: "Lists the XINFO subcommands with a line of help each.",
        ..CMD
    },
    CommandMeta {
        name: "xinfo|stream",
        arity: -3,
        flags: &["readonly"],
        first_key: 2, last_key: 2, key_step: 1,
        acl_categories: &["@read", "@stream", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "stream",
        since: "5.0.0",
        complexity: "O(1), or O(N) with FULL",
        summary: "Describes a stream, optionally in full detail.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "full", typ: "block", token: Some("FULL"), flags: &["optional"], subargs: &[
                Arg { name: "count", typ: "integer", token: Some("COUNT"), flags: &["optional"], ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "xlen",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@stream", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RO"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "stream",
        since: "5.0.0",
        complexity: "O(1)",
        summary: "Returns the number of entries in a stream.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "xpending",
        arity: -3,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@stream", "@slow"],
        tips: &["nondeterministic_output"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "stream",
        since: "5.0.0",
        complexity: "O(N) in the entries reported",
        summary: "Reports the entries a consumer group has delivered but not yet acknowledged.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "group", typ: "string", ..ARG },
            Arg { name: "filters", typ: "block", flags: &["optional"], subargs: &[
                Arg { name: "min-idle-time", typ: "integer", token: Some("IDLE"), since: Some("6.2.0"), flags: &["optional"], ..ARG },
                Arg { name: "start", typ: "string", ..ARG },
                Arg { name: "end", typ: "string", ..ARG },
                Arg { name: "count", typ: "integer", ..ARG },
                Arg { name: "consumer", typ: "string", flags: &["optional"], ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "xrange",
        arity: -4,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@stream", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "stream",
        since: "5.0.0",
        complexity: "O(log N + M) for M entries returned",
        summary: "Returns the stream entries between two IDs, oldest first.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "start", typ: "string", ..ARG },
            Arg { name: "end", typ: "string", ..ARG },
            Arg { name: "count", typ: "integer", token: Some("COUNT"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "xread",
        arity: -4,
        flags: &["readonly", "blocking", "movablekeys"],
        acl_categories: &["@read", "@stream", "@slow", "@blocking"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Keyword { keyword: "STREAMS", startfrom: 1 }, find_keys: FindKeys::Range { lastkey: -1, keystep: 1, limit: 2 } },
        ],
        group: "stream",
        since: "5.0.0",
        complexity: "O(N) in the entries returned",
        summary: "Reads entries newer than given IDs from one or more streams, optionally waiting.",
        args: &[
            Arg { name: "count", typ: "integer", token: Some("COUNT"), flags: &["optional"], ..ARG },
            Arg { name: "milliseconds", typ: "integer", token: Some("BLOCK"), flags: &["optional"], ..ARG },
            Arg { name: "streams", typ: "block", token: Some("STREAMS"), subargs: &[
                Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["multiple"], ..ARG },
                Arg { name: "id", typ: "string", flags: &["multiple"], ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "xreadgroup",
        arity: -7,
        flags: &["write", "blocking", "movablekeys"],
        acl_categories: &["@write", "@stream", "@slow", "@blocking"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Keyword { keyword: "STREAMS", startfrom: 4 }, find_keys: FindKeys::Range { lastkey: -1, keystep: 1, limit: 2 } },
        ],
        group: "stream",
        since: "5.0.0",
        complexity: "O(M) in the entries returned",
        summary: "Reads entries from streams as a consumer of a consumer group.",
        args: &[
            Arg { name: "group_consumer", typ: "block", token: Some("GROUP"), subargs: &[
                Arg { name: "group", typ: "string", ..ARG },
                Arg { name: "consumer", typ: "string", ..ARG },
            ], ..ARG },
            Arg { name: "count", typ: "integer", token: Some("COUNT"), flags: &["optional"], ..ARG },
            Arg { name: "milliseconds", typ: "integer", token: Some("BLOCK"), flags: &["optional"], ..ARG },
            Arg { name: "noack", typ: "pure-token", token: Some("NOACK"), flags: &["optional"], ..ARG },
            Arg { name: "streams", typ: "block", token: Some("STREAMS"), subargs: &[
                Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["multiple"], ..ARG },
                Arg { name: "id", typ: "string", flags: &["multiple"], ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "xrevrange",
        arity: -4,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@stream", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "stream",
        since: "5.0.0",
        complexity: "O(log N + M) for M entries returned",
        summary: "Returns the stream entries between two IDs, newest first.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "end", typ: "string", ..ARG },
            Arg { name: "start", typ: "string", ..ARG },
            Arg { name: "count", typ: "integer", token: Some("COUNT"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "xsetid",
        arity: -3,
        flags: &["write", "denyoom", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@stream", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "stream",
        since: "5.0.0",
        complexity: "O(1)",
        summary: "Sets the last ID of a stream, for replication and recovery.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "last-id", typ: "string", ..ARG },
            Arg { name: "entries_added", typ: "integer", token: Some("ENTRIESADDED"), since: Some("7.0.0"), flags: &["optional"], ..ARG },
            Arg { name: "max_deleted_entry_id", typ: "string", token: Some("MAXDELETEDID"), since: Some("7.0.0"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "xtrim",
        arity: -4,
        flags: &["write"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@stream", "@slow"],
        tips: &["nondeterministic_output"],
        key_specs: &[
            KeySpec { flags: &["RW", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "stream",
        since: "5.0.0",
        complexity: "O(N) in the entries evicted",
        summary: "Drops the oldest entries of a stream by length or by minimum ID.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "trim", typ: "block", subargs: &[
                Arg { name: "strategy", typ: "oneof", subargs: &[
                    Arg { name: "maxlen", typ: "pure-token", token: Some("MAXLEN"), ..ARG },
                    Arg { name: "minid", typ: "pure-token", token: Some("MINID"), since: Some("6.2.0"), ..ARG },
                ], ..ARG },
                Arg { name: "operator", typ: "oneof", flags: &["optional"], subargs: &[
                    Arg { name: "equal", typ: "pure-token", token: Some("="), ..ARG },
                    Arg { name: "approximately", typ: "pure-token", token: Some("~"), ..ARG },
                ], ..ARG },
                Arg { name: "threshold", typ: "string", ..ARG },
                Arg { name: "count", typ: "integer", token: Some("LIMIT"), since: Some("6.2.0"), flags: &["optional"], ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zadd",
        arity: -4,
        flags: &["write", "denyoom", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@sortedset", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "1.2.0",
        complexity: "O(log N) per member",
        summary: "Adds members with scores to a sorted set or updates their scores, with NX, XX, GT, LT, CH and INCR options.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "condition", typ: "oneof", since: Some("3.0.2"), flags: &["optional"], subargs: &[
                Arg { name: "nx", typ: "pure-token", token: Some("NX"), ..ARG },
                Arg { name: "xx", typ: "pure-token", token: Some("XX"), ..ARG },
            ], ..ARG },
            Arg { name: "comparison", typ: "oneof", since: Some("6.2.0"), flags: &["optional"], subargs: &[
                Arg { name: "gt", typ: "pure-token", token: Some("GT"), ..ARG },
                Arg { name: "lt", typ: "pure-token", token: Some("LT"), ..ARG },
            ], ..ARG },
            Arg { name: "change", typ: "pure-token", token: Some("CH"), since: Some("3.0.2"), flags: &["optional"], ..ARG },
            Arg { name: "increment", typ: "pure-token", token: Some("INCR"), since: Some("3.0.2"), flags: &["optional"], ..ARG },
            Arg { name: "score_member", typ: "block", flags: &["multiple"], subargs: &[
                Arg { name: "score", typ: "double", ..ARG },
                Arg { name: "member", typ: "string", ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zcard",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@sortedset", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RO"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "1.2.0",
        complexity: "O(1)",
        summary: "Returns the number of members in a sorted set.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zcount",
        arity: 4,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@sortedset", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "2.0.0",
        complexity: "O(log N)",
        summary: "Counts the members of a sorted set whose scores lie in a range.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "min", typ: "double", ..ARG },
            Arg { name: "max", typ: "double", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zdiff",
        arity: -3,
        flags: &["readonly", "movablekeys"],
        acl_categories: &["@read", "@sortedset", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ],
        group: "sorted-set",
        since: "6.2.0",
        complexity: "O(L + M*log M) for L input and M output members",
        summary: "Returns the members of the first sorted set found in none of the others.",
        args: &[
            Arg { name: "numkeys", typ: "integer", ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["multiple"], ..ARG },
            Arg { name: "withscores", typ: "pure-token", token: Some("WITHSCORES"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zdiffstore",
        arity: -4,
        flags: &["write", "denyoom", "movablekeys"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@sortedset", "@slow"],
        key_specs: &[
            KeySpec { flags: &["OW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ],
        group: "sorted-set",
        since: "6.2.0",
        complexity: "O(L + M*log M) for L input and M output members",
        summary: "Stores the difference of sorted sets at a destination key.",
        args: &[
            Arg { name: "destination", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "numkeys", typ: "integer", ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 1, flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zincrby",
        arity: 4,
        flags: &["write", "denyoom", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@sortedset", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "1.2.0",
        complexity: "O(log N)",
        summary: "Adds an amount to a member's score in a sorted set.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "increment", typ: "integer", ..ARG },
            Arg { name: "member", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zinter",
        arity: -3,
        flags: &["readonly", "movablekeys"],
        acl_categories: &["@read", "@sortedset", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ],
        group: "sorted-set",
        since: "6.2.0",
        complexity: "O(N*K + M*log M) for smallest set N, K sets, M results",
        summary: "Returns the intersection of sorted sets, with weighted and aggregated scores.",
        args: &[
            Arg { name: "numkeys", typ: "integer", ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["multiple"], ..ARG },
            Arg { name: "weight", typ: "integer", token: Some("WEIGHTS"), flags: &["optional", "multiple"], ..ARG },
            Arg { name: "aggregate", typ: "oneof", token: Some("AGGREGATE"), flags: &["optional"], subargs: &[
                Arg { name: "sum", typ: "pure-token", token: Some("SUM"), ..ARG },
                Arg { name: "min", typ: "pure-token", token: Some("MIN"), ..ARG },
                Arg { name: "max", typ: "pure-token", token: Some("MAX"), ..ARG },
            ], ..ARG },
            Arg { name: "withscores", typ: "pure-token", token: Some("WITHSCORES"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zintercard",
        arity: -3,
        flags: &["readonly", "movablekeys"],
        acl_categories: &["@read", "@sortedset", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ],
        group: "sorted-set",
        since: "7.0.0",
        complexity: "O(N*K) for smallest set N and K sets",
        summary: "Returns the size of the intersection of sorted sets, optionally stopping at a limit.",
        args: &[
            Arg { name: "numkeys", typ: "integer", ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["multiple"], ..ARG },
            Arg { name: "limit", typ: "integer", token: Some("LIMIT"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zinterstore",
        arity: -4,
        flags: &["write", "denyoom", "movablekeys"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@sortedset", "@slow"],
        key_specs: &[
            KeySpec { flags: &["OW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ],
        group: "sorted-set",
        since: "2.0.0",
        complexity: "O(N*K + M*log M) for smallest set N, K sets, M results",
        summary: "Stores the intersection of sorted sets at a destination key.",
        args: &[
            Arg { name: "destination", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "numkeys", typ: "integer", ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 1, flags: &["multiple"], ..ARG },
            Arg { name: "weight", typ: "integer", token: Some("WEIGHTS"), flags: &["optional", "multiple"], ..ARG },
            Arg { name: "aggregate", typ: "oneof", token: Some("AGGREGATE"), flags: &["optional"], subargs: &[
                Arg { name: "sum", typ: "pure-token", token: Some("SUM"), ..ARG },
                Arg { name: "min", typ: "pure-token", token: Some("MIN"), ..ARG },
                Arg { name: "max", typ: "pure-token", token: Some("MAX"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zlexcount",
        arity: 4,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@sortedset", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "2.8.9",
        complexity: "O(log N)",
        summary: "Counts the members of a sorted set in a lexical range.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "min", typ: "string", ..ARG },
            Arg { name: "max", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zmpop",
        arity: -4,
        flags: &["write", "movablekeys"],
        acl_categories: &["@write", "@sortedset", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ],
        group: "sorted-set",
        since: "7.0.0",
        complexity: "O(K + M*log N) for K keys and M members popped",
        summary: "Pops the lowest or highest members from the first non-empty sorted set.",
        args: &[
            Arg { name: "numkeys", typ: "integer", ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["multiple"], ..ARG },
            Arg { name: "where", typ: "oneof", subargs: &[
                Arg { name: "min", typ: "pure-token", token: Some("MIN"), ..ARG },
                Arg { name: "max", typ: "pure-token", token: Some("MAX"), ..ARG },
            ], ..ARG },
            Arg { name: "count", typ: "integer", token: Some("COUNT"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zmscore",
        arity: -3,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@sortedset", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "6.2.0",
        complexity: "O(N) in the members asked",
        summary: "Returns the scores of several members in a sorted set.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "member", typ: "string", flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zpopmax",
        arity: -2,
        flags: &["write", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@sortedset", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "5.0.0",
        complexity: "O(M*log N) for M members popped",
        summary: "Removes and returns the members with the highest scores.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "count", typ: "integer", flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zpopmin",
        arity: -2,
        flags: &["write", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@sortedset", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "access", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "5.0.0",
        complexity: "O(M*log N) for M members popped",
        summary: "Removes and returns the members with the lowest scores.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "count", typ: "integer", flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zrandmember",
        arity: -2,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@sortedset", "@slow"],
        tips: &["nondeterministic_output"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "6.2.0",
        complexity: "O(N) in the members returned",
        summary: "Returns random members of a sorted set, optionally with scores.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "options", typ: "block", flags: &["optional"], subargs: &[
                Arg { name: "count", typ: "integer", ..ARG },
                Arg { name: "withscores", typ: "pure-token", token: Some("WITHSCORES"), flags: &["optional"], ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zrange",
        arity: -4,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@sortedset", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "1.2.0",
        complexity: "O(log N + M) for M members returned",
        summary: "Returns members of a sorted set by rank, score or lexical range, in either direction.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "start", typ: "string", ..ARG },
            Arg { name: "stop", typ: "string", ..ARG },
            Arg { name: "sortby", typ: "oneof", since: Some("6.2.0"), flags: &["optional"], subargs: &[
                Arg { name: "byscore", typ: "pure-token", token: Some("BYSCORE"), ..ARG },
                Arg { name: "bylex", typ: "pure-token", token: Some("BYLEX"), ..ARG },
            ], ..ARG },
            Arg { name: "rev", typ: "pure-token", token: Some("REV"), since: Some("6.2.0"), flags: &["optional"], ..ARG },
            Arg { name: "offset_count", typ: "block", token: Some("LIMIT"), since: Some("6.2.0"), flags: &["optional"], subargs: &[
                Arg { name: "offset", typ: "integer", ..ARG },
                Arg { name: "count", typ: "integer", ..ARG },
            ], ..ARG },
            Arg { name: "withscores", typ: "pure-token", token: Some("WITHSCORES"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zrangebylex",
        arity: -4,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@sortedset", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "2.8.9",
        complexity: "O(log N + M) for M members returned",
        summary: "Returns members of a sorted set in a lexical range, for equal scores.",
        doc_flags: &["deprecated"],
        deprecated_since: Some("6.2.0"),
        replaced_by: Some("ZRANGE with BYLEX"),
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "min", typ: "string", ..ARG },
            Arg { name: "max", typ: "string", ..ARG },
            Arg { name: "offset_count", typ: "block", token: Some("LIMIT"), flags: &["optional"], subargs: &[
                Arg { name: "offset", typ: "integer", ..ARG },
                Arg { name: "count", typ: "integer", ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zrangebyscore",
        arity: -4,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@sortedset", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "1.0.5",
        complexity: "O(log N + M) for M members returned",
        summary: "Returns members of a sorted set whose scores lie in a range, lowest first.",
        doc_flags: &["deprecated"],
        deprecated_since: Some("6.2.0"),
        replaced_by: Some("ZRANGE with BYSCORE"),
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "min", typ: "double", ..ARG },
            Arg { name: "max", typ: "double", ..ARG },
            Arg { name: "withscores", typ: "pure-token", token: Some("WITHSCORES"), since: Some("2.0.0"), flags: &["optional"], ..ARG },
            Arg { name: "offset_count", typ: "block", token: Some("LIMIT"), flags: &["optional"], subargs: &[
                Arg { name: "offset", typ: "integer", ..ARG },
                Arg { name: "count", typ: "integer", ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zrangestore",
        arity: -5,
        flags: &["write", "denyoom"],
        first_key: 1, last_key: 2, key_step: 1,
        acl_categories: &["@write", "@sortedset", "@slow"],
        key_specs: &[
            KeySpec { flags: &["OW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "6.2.0",
        complexity: "O(log N + M) for M members stored",
        summary: "Stores a range of a sorted set, chosen as ZRANGE does, at a destination key.",
        args: &[
            Arg { name: "dst", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "src", typ: "key", key_spec_index: 1, ..ARG },
            Arg { name: "min", typ: "string", ..ARG },
            Arg { name: "max", typ: "string", ..ARG },
            Arg { name: "sortby", typ: "oneof", flags: &["optional"], subargs: &[
                Arg { name: "byscore", typ: "pure-token", token: Some("BYSCORE"), ..ARG },
                Arg { name: "bylex", typ: "pure-token", token: Some("BYLEX"), ..ARG },
            ], ..ARG },
            Arg { name: "rev", typ: "pure-token", token: Some("REV"), flags: &["optional"], ..ARG },
            Arg { name: "offset_count", typ: "block", token: Some("LIMIT"), flags: &["optional"], subargs: &[
                Arg { name: "offset", typ: "integer", ..ARG },
                Arg { name: "count", typ: "integer", ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zrank",
        arity: 3,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@sortedset", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "2.0.0",
        complexity: "O(log N)",
        summary: "Returns a member's position in a sorted set, lowest score first.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "member", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zrem",
        arity: -3,
        flags: &["write", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@sortedset", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RW", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "1.2.0",
        complexity: "O(M*log N) for M members removed",
        summary: "Removes members from a sorted set; returns how many were present.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "member", typ: "string", flags: &["multiple"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zremrangebylex",
        arity: 4,
        flags: &["write"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@sortedset", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RW", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "2.8.9",
        complexity: "O(log N + M) for M members removed",
        summary: "Removes the members of a sorted set in a lexical range.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "min", typ: "string", ..ARG },
            Arg { name: "max", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zremrangebyrank",
        arity: 4,
        flags: &["write"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@sortedset", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RW", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "2.0.0",
        complexity: "O(log N + M) for M members removed",
        summary: "Removes the members of a sorted set between two ranks.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "start", typ: "integer", ..ARG },
            Arg { name: "stop", typ: "integer", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zremrangebyscore",
        arity: 4,
        flags: &["write"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@sortedset", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RW", "delete"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "1.2.0",
        complexity: "O(log N + M) for M members removed",
        summary: "Removes the members of a sorted set whose scores lie in a range.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "min", typ: "double", ..ARG },
            Arg { name: "max", typ: "double", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zrevrange",
        arity: -4,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@sortedset", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "1.2.0",
        complexity: "O(log N + M) for M members returned",
        summary: "Returns members of a sorted set by rank, highest score first.",
        doc_flags: &["deprecated"],
        deprecated_since: Some("6.2.0"),
        replaced_by: Some("ZRANGE with REV"),
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "start", typ: "integer", ..ARG },
            Arg { name: "stop", typ: "integer", ..ARG },
            Arg { name: "withscores", typ: "pure-token", token: Some("WITHSCORES"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zrevrangebylex",
        arity: -4,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@sortedset", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "2.8.9",
        complexity: "O(log N + M) for M members returned",
        summary: "Returns members of a sorted set in a lexical range, in reverse order.",
        doc_flags: &["deprecated"],
        deprecated_since: Some("6.2.0"),
        replaced_by: Some("ZRANGE with BYLEX and REV"),
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "max", typ: "string", ..ARG },
            Arg { name: "min", typ: "string", ..ARG },
            Arg { name: "offset_count", typ: "block", token: Some("LIMIT"), flags: &["optional"], subargs: &[
                Arg { name: "offset", typ: "integer", ..ARG },
                Arg { name: "count", typ: "integer", ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zrevrangebyscore",
        arity: -4,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@sortedset", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "2.2.0",
        complexity: "O(log N + M) for M members returned",
        summary: "Returns members of a sorted set whose scores lie in a range, highest first.",
        doc_flags: &["deprecated"],
        deprecated_since: Some("6.2.0"),
        replaced_by: Some("ZRANGE with BYSCORE and REV"),
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "max", typ: "double", ..ARG },
            Arg { name: "min", typ: "double", ..ARG },
            Arg { name: "withscores", typ: "pure-token", token: Some("WITHSCORES"), flags: &["optional"], ..ARG },
            Arg { name: "offset_count", typ: "block", token: Some("LIMIT"), flags: &["optional"], subargs: &[
                Arg { name: "offset", typ: "integer", ..ARG },
                Arg { name: "count", typ: "integer", ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zrevrank",
        arity: 3,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@sortedset", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "2.0.0",
        complexity: "O(log N)",
        summary: "Returns a member's position in a sorted set, highest score first.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "member", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zscan",
        arity: -3,
        flags: &["readonly"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@sortedset", "@slow"],
        tips: &["nondeterministic_output"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "2.8.0",
        complexity: "O(1) per call, O(N) for a full pass",
        summary: "Walks the members and scores of a sorted set a few at a time with a cursor.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "cursor", typ: "integer", ..ARG },
            Arg { name: "pattern", typ: "pattern", token: Some("MATCH"), flags: &["optional"], ..ARG },
            Arg { name: "count", typ: "integer", token: Some("COUNT"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zscore",
        arity: 3,
        flags: &["readonly", "fast"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@read", "@sortedset", "@fast"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
        ],
        group: "sorted-set",
        since: "1.2.0",
        complexity: "O(1)",
        summary: "Returns the score of a member in a sorted set.",
        args: &[
            Arg { name: "key", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "member", typ: "string", ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zunion",
        arity: -3,
        flags: &["readonly", "movablekeys"],
        acl_categories: &["@read", "@sortedset", "@slow"],
        key_specs: &[
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ],
        group: "sorted-set",
        since: "6.2.0",
        complexity: "O(N + M*log M) for N input and M output members",
        summary: "Returns the union of sorted sets, with weighted and aggregated scores.",
        args: &[
            Arg { name: "numkeys", typ: "integer", ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 0, flags: &["multiple"], ..ARG },
            Arg { name: "weight", typ: "integer", token: Some("WEIGHTS"), flags: &["optional", "multiple"], ..ARG },
            Arg { name: "aggregate", typ: "oneof", token: Some("AGGREGATE"), flags: &["optional"], subargs: &[
                Arg { name: "sum", typ: "pure-token", token: Some("SUM"), ..ARG },
                Arg { name: "min", typ: "pure-token", token: Some("MIN"), ..ARG },
                Arg { name: "max", typ: "pure-token", token: Some("MAX"), ..ARG },
            ], ..ARG },
            Arg { name: "withscores", typ: "pure-token", token: Some("WITHSCORES"), flags: &["optional"], ..ARG },
        ],
        ..CMD
    },
    CommandMeta {
        name: "zunionstore",
        arity: -4,
        flags: &["write", "denyoom", "movablekeys"],
        first_key: 1, last_key: 1, key_step: 1,
        acl_categories: &["@write", "@sortedset", "@slow"],
        key_specs: &[
            KeySpec { flags: &["OW", "update"], begin_search: BeginSearch::Index(1), find_keys: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpec { flags: &["RO", "access"], begin_search: BeginSearch::Index(2), find_keys: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } },
        ],
        group: "sorted-set",
        since: "2.0.0",
        complexity: "O(N + M*log M) for N input and M output members",
        summary: "Stores the union of sorted sets at a destination key.",
        args: &[
            Arg { name: "destination", typ: "key", key_spec_index: 0, ..ARG },
            Arg { name: "numkeys", typ: "integer", ..ARG },
            Arg { name: "key", typ: "key", key_spec_index: 1, flags: &["multiple"], ..ARG },
            Arg { name: "weight", typ: "integer", token: Some("WEIGHTS"), flags: &["optional", "multiple"], ..ARG },
            Arg { name: "aggregate", typ: "oneof", token: Some("AGGREGATE"), flags: &["optional"], subargs: &[
                Arg { name: "sum", typ: "pure-token", token: Some("SUM"), ..ARG },
                Arg { name: "min", typ: "pure-token", token: Some("MIN"), ..ARG },
                Arg { name: "max", typ: "pure-token", token: Some("MAX"), ..ARG },
            ], ..ARG },
        ],
        ..CMD
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    const ARG_TYPES: &[&str] = &[
        "key",
        "string",
        "integer",
        "double",
        "pattern",
        "unix-time",
        "pure-token",
        "oneof",
        "block",
    ];
    const ARG_FLAGS: &[&str] = &["optional", "multiple", "multiple_token"];
    const KEY_SPEC_FLAGS: &[&str] = &[
        "RO",
        "RW",
        "OW",
        "RM",
        "access",
        "update",
        "insert",
        "delete",
        "not_key",
        "incomplete",
        "variable_flags",
    ];
    const COMMAND_FLAGS: &[&str] = &[
        "write",
        "readonly",
        "denyoom",
        "module",
        "admin",
        "pubsub",
        "noscript",
        "blocking",
        "loading",
        "stale",
        "skip_monitor",
        "skip_slowlog",
        "asking",
        "fast",
        "no_auth",
        "may_replicate",
        "no_mandatory_keys",
        "no_multi",
        "allow_busy",
        "no_async_loading",
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
            assert!(
                pair[0].name.as_bytes() < pair[1].name.as_bytes(),
                "{} !< {}",
                pair[0].name,
                pair[1].name
            );
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
        assert_eq!(
            get.key_specs[0].find_keys,
            FindKeys::Range {
                lastkey: 0,
                keystep: 1,
                limit: 0
            }
        );
        assert_eq!(get.args.len(), 1);
        assert_eq!(
            (
                get.args[0].name,
                get.args[0].typ,
                get.args[0].key_spec_index
            ),
            ("key", "key", 0)
        );
    }

    #[test]
    fn set_row() {
        let set = row("set");
        assert_eq!(set.arity, -3);
        assert_eq!(set.flags, ["write", "denyoom"]);
        assert_eq!(set.acl_categories, ["@write", "@string", "@slow"]);
        assert_eq!(set.key_specs.len(), 1);
        assert_eq!(
            set.key_specs[0].flags,
            ["RW", "access", "update", "variable_flags"]
        );
        let names: Vec<&str> = set.args.iter().map(|a| a.name).collect();
        assert_eq!(names, ["key", "value", "condition", "get", "expiration"]);
        let condition = arg(set.args, "condition");
        assert_eq!(condition.typ, "oneof");
        assert_eq!(condition.flags, ["optional"]);
        assert_eq!(condition.since, Some("2.6.12"));
        let tokens: Vec<_> = condition.subargs.iter().map(|a| a.token).collect();
        assert_eq!(tokens, [Some("NX"), Some("XX")]);
        let get = arg(set.args, "get");
        assert_eq!(
            (get.typ, get.token, get.since),
            ("pure-token", Some("GET"), Some("6.2.0"))
        );
        let expiration = arg(set.args, "expiration");
        let tokens: Vec<_> = expiration
            .subargs
            .iter()
            .map(|a| a.token.unwrap_or(""))
            .collect();
        assert_eq!(tokens, ["EX", "PX", "EXAT", "PXAT", "KEEPTTL"]);
        assert_eq!(
            arg(expiration.subargs, "unix-time-seconds").typ,
            "unix-time"
        );
    }

    #[test]
    fn key_spec_shapes() {
        let mset = row("mset");
        assert_eq!((mset.first_key, mset.last_key, mset.key_step), (1, -1, 2));
        assert_eq!(mset.key_specs[0].flags, ["OW", "update"]);
        assert_eq!(
            mset.key_specs[0].find_keys,
            FindKeys::Range {
                lastkey: -1,
                keystep: 2,
                limit: 0
            }
        );
        let eval = row("eval");
        assert!(eval.flags.contains(&"movablekeys"));
        assert_eq!(eval.key_specs[0].begin_search, BeginSearch::Index(2));
        assert_eq!(
            eval.key_specs[0].find_keys,
            FindKeys::Keynum {
                keynumidx: 0,
                firstkey: 1,
                keystep: 1
            }
        );
        let xread = row("xread");
        assert_eq!(
            xread.key_specs[0].begin_search,
            BeginSearch::Keyword {
                keyword: "STREAMS",
                startfrom: 1
            }
        );
        assert_eq!(
            xread.key_specs[0].find_keys,
            FindKeys::Range {
                lastkey: -1,
                keystep: 1,
                limit: 2
            }
        );
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
            assert_eq!(
                p.arity,
                if parent == "command" { -1 } else { -2 },
                "container {}",
                p.name
            );
            assert!(subcommands(parent).iter().any(|s| std::ptr::eq(s, r)));
            assert_eq!(r.group, p.group, "{}", r.name);
        }
        let config: Vec<&str> = subcommands("config").iter().map(|r| r.name).collect();
        assert_eq!(
            config,
            [
                "config|get",
                "config|help",
                "config|resetstat",
                "config|rewrite",
                "config|set"
            ]
        );
        let object: Vec<&str> = subcommands("object").iter().map(|r| r.name).collect();
        assert_eq!(
            object,
            [
                "object|encoding",
                "object|freq",
                "object|help",
                "object|idletime",
                "object|refcount"
            ]
        );
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
        assert_eq!(
            r.tips,
            ["request_policy:all_nodes", "response_policy:all_succeeded"]
        );
        assert_eq!(r.flags, ["noscript", "loading", "stale"]);
        assert_eq!(r.acl_categories, ["@slow", "@connection"]);
        assert_eq!(r.group, "connection");
        assert_eq!(r.since, "7.2.0");
        assert_eq!(r.args.len(), 1);
        assert_eq!((r.args[0].name, r.args[0].typ), ("attr", "oneof"));
        let alts: Vec<_> = r.args[0]
            .subargs
            .iter()
            .map(|a| (a.name, a.typ, a.token))
            .collect();
        assert_eq!(
            alts,
            [
                ("libname", "string", Some("LIB-NAME")),
                ("libver", "string", Some("LIB-VER"))
            ]
        );
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
                assert!(
                    a.key_spec_index >= 0 && (a.key_spec_index as usize) < cmd.key_specs.len(),
                    "{}",
                    cmd.name
                );
            }
            if a.typ == "pure-token" {
                assert!(a.token.is_some(), "{}: {}", cmd.name, a.name);
            }
            assert_eq!(
                matches!(a.typ, "oneof" | "block"),
                !a.subargs.is_empty(),
                "{}: {}",
                cmd.name,
                a.name
            );
            check_args(cmd, a.subargs);
        }
    }

    #[test]
    fn every_row_is_well_formed() {
        for r in COMMANDS {
            assert!(r.arity != 0, "{}", r.name);
            // LOLWUT, MONITOR, PSYNC and SYNC have no complexity line, as in Redis.
            assert!(!r.summary.is_empty(), "{}", r.name);
            assert!(
                !r.complexity.is_empty()
                    || matches!(r.name, "lolwut" | "monitor" | "psync" | "sync"),
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
            "del",
            "unlink",
            "exists",
            "type",
            "keys",
            "scan",
            "randomkey",
            "rename",
            "renamenx",
            "move",
            "copy",
            "expire",
            "pexpire",
            "expireat",
            "pexpireat",
            "ttl",
            "pttl",
            "expiretime",
            "pexpiretime",
            "persist",
            "touch",
            "dbsize",
            "flushdb",
            "flushall",
            "swapdb",
            "select",
            "object",
            "object|encoding",
            "object|refcount",
            "object|idletime",
            "object|freq",
            "object|help",
            "get",
            "set",
            "setnx",
            "setex",
            "psetex",
            "mget",
            "mset",
            "msetnx",
            "getset",
            "getdel",
            "getex",
            "append",
            "strlen",
            "incr",
            "decr",
            "incrby",
            "decrby",
            "incrbyfloat",
            "getrange",
            "setrange",
            "substr",
            "lcs",
            "ping",
            "echo",
            "quit",
            "reset",
            "auth",
            "time",
            "shutdown",
            "hello",
            "client",
            "client|id",
            "client|setname",
            "client|getname",
            "client|list",
            "client|info",
            "client|kill",
            "client|setinfo",
            "client|reply",
            "client|no-evict",
            "client|help",
            "info",
            "config",
            "config|get",
            "config|set",
            "config|resetstat",
            "config|help",
            "debug",
            "command",
            "command|count",
            "command|info",
            "command|docs",
            "command|list",
            "command|getkeys",
            "command|help",
        ];
        for n in names {
            let r = row(n);
            assert!(r.summary.len() > 10, "{n}");
        }
        let hello = row("hello");
        assert_eq!(
            hello.flags,
            [
                "noscript",
                "loading",
                "stale",
                "fast",
                "no_auth",
                "allow_busy"
            ]
        );
        let auth = row("auth");
        assert!(auth.flags.contains(&"no_auth"));
        assert_eq!(
            row("ping").tips,
            ["request_policy:all_shards", "response_policy:all_succeeded"]
        );
        assert_eq!(
            row("keys").tips,
            ["request_policy:all_shards", "nondeterministic_output_order"]
        );
    }
}
