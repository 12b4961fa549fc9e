//! Users, their permissions and the ACL command (Redis `acl.c`).
//!
//! # How it works
//!
//! A [`User`] has flags (`on`/`off`, `nopass`, the payload-sanitizing pair),
//! a list of SHA-256 password hashes (hex, 64 lowercase characters) and one
//! or more *selectors*. The first selector is the *root* one, changed by the
//! rules written outside parentheses; `(...)` rules add further selectors.
//! A command is allowed when any selector allows it as a whole: the command
//! (or its first argument), every key it names with the access the key spec
//! says (read and/or write), and every channel it publishes or subscribes to.
//!
//! Commands are identified by their row in the static command table
//! ([`meta::COMMANDS`], Redis 7.0's full command set, subcommands included),
//! so a rule like `+config|get` or `-@write` needs no [`Server`] and a fuzz
//! target can drive [`User::set_rule`] and [`User::describe`] directly. A
//! selector's command permissions are a bitmap over those rows plus one
//! reserved bit ([`FUTURE_BIT`]) that only `+@all`/`allcommands` sets: it
//! tells a user built by subtracting from everything (`+@all -flushall`)
//! from one built by adding (`-@all +get`), which is how [`User::describe`]
//! decides to start its command rules with `+@all` or `-@all`.
//!
//! Describing the command bitmap back as rules (Redis
//! `ACLDescribeSelectorCommandRules`) is a greedy search: starting from
//! `+@all` or `-@all`, repeatedly apply the category whose commands agree
//! most with the bitmap (more agreeing than disagreeing, fewest
//! disagreements), then fix the remaining differences command by command.
//! Redis walks its command dictionary in hash order for that last pass; we
//! walk the table in name order, so the output is stable.
//!
//! Users live in [`Acl::users`], a map sorted by name like Redis's radix
//! tree (ACL LIST and USERS follow that order). Clients hold a [`UserRef`]
//! (`Rc<RefCell<User>>`), so a change made with ACL SETUSER applies at once
//! to every connection authenticated as that user; ACL DELUSER and ACL LOAD
//! disconnect the clients of users that go away.
//!
//! # Where we differ from Redis 7.0.15, on purpose
//! * Single-command rules in a description come in name order, not hash order.
//! * A bare `%` key rule (no R/W, no `~`) is a syntax error; Redis accepts
//!   it and aborts when it next describes the user.
//! * An unmatched `(` in a `user` config line is reported as a syntax
//!   error; Redis reports a stale `errno` there, and crashes in ACL LOAD
//!   when such a selector follows another rule on the line.
//! * As in Redis, a description does not always parse back to the same
//!   user: a first argument holding a space (`+select|a b`) or a selector
//!   key pattern holding `)` or a quote is written as is.
//!
//! # Why a bitmap over the static table
//! The static table is the same in every process and survives
//! `rename-command`, as Redis's "original commands" table does, so rules
//! keep naming commands by their real names.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::rc::Rc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::commands::meta::{self, CommandMeta};
use crate::networking::Client;
use crate::server::Server;
use crate::util::string_match;

/// A shared handle on a user: the server's user table and every client
/// authenticated as the user hold one.
pub type UserRef = Rc<RefCell<User>>;

/// The ACL categories in Redis's order (ACL CAT lists them so, and the
/// describe search tries them so).
pub const CATEGORIES: [&str; 21] = [
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// Words in a selector's command bitmap.
const BITMAP_WORDS: usize = 8;
/// The reserved bit set only by `+@all` / `allcommands`: "commands added
/// later are allowed too" (Redis reserves the last of its 1024 bits).
pub const FUTURE_BIT: usize = BITMAP_WORDS * 64 - 1;

/// Key pattern permission: the key may be read.
const KEY_READ: u8 = 1;
/// Key pattern permission: the key may be written.
const KEY_WRITE: u8 = 2;
const KEY_ALL: u8 = KEY_READ | KEY_WRITE;

// User flags, in the order describe and ACL GETUSER print them.
const USER_ENABLED: u8 = 1 << 0;
const USER_DISABLED: u8 = 1 << 1;
const USER_NOPASS: u8 = 1 << 2;
const USER_SKIP_SANITIZE: u8 = 1 << 3;
const USER_SANITIZE: u8 = 1 << 4;
const USER_FLAG_NAMES: [(u8, &str); 5] = [
    (USER_ENABLED, "on"),
    (USER_DISABLED, "off"),
    (USER_NOPASS, "nopass"),
    (USER_SKIP_SANITIZE, "skip-sanitize-payload"),
    (USER_SANITIZE, "sanitize-payload"),
];

/// `acl-pubsub-default`: true when new selectors start with `allchannels`.
/// A process-wide switch (the server is single-threaded) so that
/// [`User::new`] needs no server; [`sync_pubsub_default`] copies the config
/// value in before rules are applied.
static PUBSUB_DEFAULT_ALLCHANNELS: AtomicBool = AtomicBool::new(false);

/// Sets what new selectors get for channels (`acl-pubsub-default`):
/// `allchannels` when true, `resetchannels` when false.
pub fn set_pubsub_default(allchannels: bool) {
    PUBSUB_DEFAULT_ALLCHANNELS.store(allchannels, Ordering::Relaxed);
}

/// Copies `acl-pubsub-default` from the server's config into the switch
/// [`User::new`] and selectors read.
pub fn sync_pubsub_default(srv: &Server) {
    set_pubsub_default(matches!(
        srv.config.acl_pubsub_default,
        crate::config::AclPubsubDefault::Allchannels
    ));
}

fn pubsub_default() -> bool {
    PUBSUB_DEFAULT_ALLCHANNELS.load(Ordering::Relaxed)
}

// ---- Errors ----

/// Why a rule was refused (Redis's `errno` values of `ACLSetUser`); its
/// `Display` is Redis's message (`ACLSetUserStringError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclError {
    /// ENOENT: "Unknown command or category name in ACL".
    UnknownCommand,
    /// EINVAL: "Syntax error".
    Syntax,
    /// EEXIST: a key pattern after `~*` / `allkeys`.
    KeyAfterAll,
    /// EISDIR: a channel pattern after `&*` / `allchannels`.
    ChannelAfterAll,
    /// ENODEV: `<pass` / `!hash` naming a password the user does not have.
    NoSuchPassword,
    /// EBADMSG: `#hash` / `!hash` not 64 lowercase hex characters.
    BadHash,
    /// EALREADY: a user declared twice in the config file.
    Duplicate,
    /// ECHILD: `+cmd|sub|arg`, a first argument of a subcommand.
    FirstArgOfSubcommand,
}

impl fmt::Display for AclError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AclError::UnknownCommand => "Unknown command or category name in ACL",
            AclError::Syntax => "Syntax error",
            AclError::KeyAfterAll => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
            }
            AclError::ChannelAfterAll => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
            }
            AclError::NoSuchPassword => {
                "The password you are trying to remove from the user does not exist"
            }
            AclError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
            }
            AclError::Duplicate => {
                "Duplicate user found. A user can only be defined once in config files"
            }
            AclError::FirstArgOfSubcommand => "Allowing first-arg of a subcommand is not supported",
        })
    }
}

impl std::error::Error for AclError {}

// ---- The static command universe ----

/// Per command row: its category bits (bit i = [`CATEGORIES`]\[i\]).
fn category_bits() -> &'static [u32] {
    static BITS: OnceLock<Vec<u32>> = OnceLock::new();
    BITS.get_or_init(|| {
        meta::COMMANDS
            .iter()
            .map(|m| {
                let mut bits = 0u32;
                for cat in m.acl_categories {
                    let name = cat.strip_prefix('@').unwrap_or(cat);
                    if let Some(i) = CATEGORIES.iter().position(|c| *c == name) {
                        bits |= 1 << i;
                    }
                }
                bits
            })
            .collect()
    })
}

/// The bit of a category name (case-insensitive), None if unknown.
fn category_flag(name: &[u8]) -> Option<u32> {
    CATEGORIES
        .iter()
        .position(|c| c.as_bytes().eq_ignore_ascii_case(name))
        .map(|i| 1 << i)
}

/// The row of a command in [`meta::COMMANDS`] (its ACL id).
pub fn command_id(m: &CommandMeta) -> Option<usize> {
    meta::COMMANDS
        .binary_search_by(|row| row.name.as_bytes().cmp(m.name.as_bytes()))
        .ok()
}

/// The ids of a container's subcommands (empty for other commands).
fn subcommand_ids(id: usize) -> std::ops::Range<usize> {
    let m = &meta::COMMANDS[id];
    if m.is_subcommand() {
        return id..id;
    }
    let subs = meta::subcommands(m.name);
    match subs.first().and_then(command_id) {
        Some(first) => first..first + subs.len(),
        None => id..id,
    }
}

/// The top-level command rows, in name order.
fn top_level_ids() -> impl Iterator<Item = usize> {
    meta::COMMANDS
        .iter()
        .enumerate()
        .filter(|(_, m)| !m.is_subcommand())
        .map(|(i, _)| i)
}

/// Finds a command by `name` or `parent|sub`, case-insensitively (Redis
/// `ACLLookupCommand` over the original table, strict: `get|x` is not GET).
fn lookup_command(name: &[u8]) -> Option<usize> {
    let lower = String::from_utf8(name.to_ascii_lowercase()).ok()?;
    let mut parts = lower.split('|');
    let base = parts.next()?;
    let sub = parts.next();
    if parts.next().is_some() || base.is_empty() || base.contains('\0') {
        return None;
    }
    let top = meta::find(base).filter(|m| !m.is_subcommand())?;
    let top_id = command_id(top)?;
    match sub {
        None => Some(top_id),
        Some(_) => {
            if subcommand_ids(top_id).is_empty() {
                return None;
            }
            meta::find(&lower).and_then(command_id)
        }
    }
}

/// True if the string has a space (C `isspace`) or a NUL byte (Redis
/// `ACLStringHasSpaces`): refused in user names and patterns.
pub fn has_spaces(s: &[u8]) -> bool {
    s.iter()
        .any(|&b| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0))
}

// ---- Selectors ----

#[derive(Clone, Debug, PartialEq, Eq)]
struct KeyPattern {
    /// [`KEY_READ`] and/or [`KEY_WRITE`].
    flags: u8,
    pattern: Vec<u8>,
}

impl KeyPattern {
    fn describe(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(match self.flags {
            KEY_READ => b"%R~".as_slice(),
            KEY_WRITE => b"%W~",
            _ => b"~",
        });
        out.extend_from_slice(&self.pattern);
    }
}

/// One set of permissions (Redis `aclSelector`).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Selector {
    root: bool,
    allkeys: bool,
    allchannels: bool,
    /// Every command, skipping the bitmap (`+@all` until a command is removed).
    allcommands: bool,
    allowed: [u64; BITMAP_WORDS],
    /// Allowed first arguments of otherwise denied commands, by command id
    /// (`+select|0`), in insertion order.
    firstargs: BTreeMap<usize, Vec<Vec<u8>>>,
    patterns: Vec<KeyPattern>,
    channels: Vec<Vec<u8>>,
}

impl Selector {
    fn new(root: bool) -> Selector {
        Selector {
            root,
            allkeys: false,
            allchannels: pubsub_default(),
            allcommands: false,
            allowed: [0; BITMAP_WORDS],
            firstargs: BTreeMap::new(),
            patterns: Vec::new(),
            channels: Vec::new(),
        }
    }

    fn bit(&self, id: usize) -> bool {
        id < BITMAP_WORDS * 64 && self.allowed[id / 64] & (1 << (id % 64)) != 0
    }

    fn set_bit(&mut self, id: usize, value: bool) {
        if id >= BITMAP_WORDS * 64 {
            return;
        }
        if value {
            self.allowed[id / 64] |= 1 << (id % 64);
        } else {
            self.allowed[id / 64] &= !(1 << (id % 64));
            self.allcommands = false;
        }
    }

    /// Allows or denies a command and, for a container, all its
    /// subcommands (Redis `ACLChangeSelectorPerm`).
    fn change_perm(&mut self, id: usize, allow: bool) {
        self.set_bit(id, allow);
        self.firstargs.remove(&id);
        for sub in subcommand_ids(id) {
            self.set_bit(sub, allow);
        }
    }

    fn set_category(&mut self, cflag: u32, allow: bool) {
        let bits = category_bits();
        for top in top_level_ids() {
            if bits[top] & cflag != 0 {
                self.change_perm(top, allow);
            }
            for sub in subcommand_ids(top) {
                if bits[sub] & cflag != 0 {
                    self.change_perm(sub, allow);
                }
            }
        }
    }

    /// Commands of a category allowed and denied by the bitmap.
    fn count_category(&self, cflag: u32) -> (usize, usize) {
        let bits = category_bits();
        let (mut on, mut off) = (0, 0);
        for (id, b) in bits.iter().enumerate() {
            if b & cflag != 0 {
                if self.bit(id) {
                    on += 1;
                } else {
                    off += 1;
                }
            }
        }
        (on, off)
    }

    fn all_commands(&mut self) {
        self.allowed = [u64::MAX; BITMAP_WORDS];
        self.allcommands = true;
        self.firstargs.clear();
    }

    fn no_commands(&mut self) {
        self.allowed = [0; BITMAP_WORDS];
        self.allcommands = false;
        self.firstargs.clear();
    }

    /// Applies one selector rule (Redis `ACLSetSelector`).
    fn set_rule(&mut self, op: &[u8]) -> Result<(), AclError> {
        let is = |s: &str| op.eq_ignore_ascii_case(s.as_bytes());
        let first = op.first().copied().unwrap_or(0);
        let second = op.get(1).copied().unwrap_or(0);
        if is("allkeys") || is("~*") {
            self.allkeys = true;
            self.patterns.clear();
        } else if is("resetkeys") {
            self.allkeys = false;
            self.patterns.clear();
        } else if is("allchannels") || is("&*") {
            self.allchannels = true;
            self.channels.clear();
        } else if is("resetchannels") {
            self.allchannels = false;
            self.channels.clear();
        } else if is("allcommands") || is("+@all") {
            self.all_commands();
        } else if is("nocommands") || is("-@all") {
            self.no_commands();
        } else if first == b'~' || first == b'%' {
            if self.allkeys {
                return Err(AclError::KeyAfterAll);
            }
            let mut flags = 0u8;
            let mut offset = 1;
            if first == b'%' {
                while offset < op.len() {
                    let ch = op[offset];
                    if ch.eq_ignore_ascii_case(&b'r') && flags & KEY_READ == 0 {
                        flags |= KEY_READ;
                    } else if ch.eq_ignore_ascii_case(&b'w') && flags & KEY_WRITE == 0 {
                        flags |= KEY_WRITE;
                    } else if ch == b'~' {
                        offset += 1;
                        break;
                    } else {
                        return Err(AclError::Syntax);
                    }
                    offset += 1;
                }
                // Redis accepts a bare `%` and then aborts when describing
                // the pattern; refuse it instead.
                if flags == 0 {
                    return Err(AclError::Syntax);
                }
            } else {
                flags = KEY_ALL;
            }
            let pattern = &op[offset.min(op.len())..];
            if has_spaces(pattern) {
                return Err(AclError::Syntax);
            }
            match self.patterns.iter_mut().find(|p| p.pattern == pattern) {
                Some(p) => p.flags |= flags,
                None => self.patterns.push(KeyPattern {
                    flags,
                    pattern: pattern.to_vec(),
                }),
            }
            self.allkeys = false;
        } else if first == b'&' {
            if self.allchannels {
                return Err(AclError::ChannelAfterAll);
            }
            let pattern = &op[1..];
            if has_spaces(pattern) {
                return Err(AclError::Syntax);
            }
            if !self.channels.iter().any(|c| c == pattern) {
                self.channels.push(pattern.to_vec());
            }
            self.allchannels = false;
        } else if first == b'+' && second != b'@' {
            let name = &op[1..];
            match name.iter().rposition(|&b| b == b'|') {
                None => {
                    let id = lookup_command(name).ok_or(AclError::UnknownCommand)?;
                    self.change_perm(id, true);
                }
                Some(bar) => {
                    let (base, sub) = (&name[..bar], &name[bar + 1..]);
                    let id = lookup_command(base).ok_or(AclError::UnknownCommand)?;
                    if meta::COMMANDS[id].is_subcommand() {
                        return Err(AclError::FirstArgOfSubcommand);
                    }
                    if sub.is_empty() {
                        return Err(AclError::Syntax);
                    }
                    if !subcommand_ids(id).is_empty() {
                        let sid = lookup_command(name).ok_or(AclError::UnknownCommand)?;
                        self.change_perm(sid, true);
                    } else {
                        tracing::warn!(
                            "Deprecation warning: Allowing a first arg of an otherwise blocked command is a misuse of ACL and may get disabled in the future (offender: +{})",
                            String::from_utf8_lossy(name)
                        );
                        let list = self.firstargs.entry(id).or_default();
                        if !list.iter().any(|a| a.eq_ignore_ascii_case(sub)) {
                            list.push(sub.to_vec());
                        }
                    }
                }
            }
        } else if first == b'-' && second != b'@' {
            let id = lookup_command(&op[1..]).ok_or(AclError::UnknownCommand)?;
            self.change_perm(id, false);
        } else if (first == b'+' || first == b'-') && second == b'@' {
            let cflag = category_flag(&op[2..]).ok_or(AclError::UnknownCommand)?;
            self.set_category(cflag, first == b'+');
        } else {
            return Err(AclError::Syntax);
        }
        Ok(())
    }

    /// The command rules that rebuild this selector's bitmap (Redis
    /// `ACLDescribeSelectorCommandRules`); see the module docs.
    fn describe_commands(&self) -> Vec<u8> {
        let mut rules: Vec<u8> = Vec::new();
        let mut fake = Selector::new(false);
        let additive = !self.bit(FUTURE_BIT);
        if additive {
            rules.extend_from_slice(b"-@all ");
            fake.no_commands();
        } else {
            rules.extend_from_slice(b"+@all ");
            fake.all_commands();
        }
        let mut temp = Selector::new(false);
        temp.allowed = self.allowed;
        let mut applied = [false; CATEGORIES.len()];
        loop {
            let mut best = None;
            let (mut mindiff, mut maxsame) = (usize::MAX, 0usize);
            for (j, done) in applied.iter().enumerate() {
                if *done {
                    continue;
                }
                let (on, off) = temp.count_category(1 << j);
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
                    best = Some(j);
                    mindiff = diff;
                    maxsame = same;
                }
            }
            let Some(j) = best else { break };
            fake.set_category(1 << j, additive);
            temp.set_category(1 << j, !additive);
            rules.extend_from_slice(if additive { b"+@" } else { b"-@" });
            rules.extend_from_slice(CATEGORIES[j].as_bytes());
            rules.push(b' ');
            applied[j] = true;
        }
        for top in top_level_ids() {
            self.describe_single(top, &mut fake, &mut rules);
            for sub in subcommand_ids(top) {
                self.describe_single(sub, &mut fake, &mut rules);
            }
        }
        rules.pop();
        debug_assert_eq!(fake.allowed, self.allowed);
        rules
    }

    fn describe_single(&self, id: usize, fake: &mut Selector, rules: &mut Vec<u8>) {
        let name = meta::COMMANDS[id].name.as_bytes();
        let userbit = self.bit(id);
        if userbit != fake.bit(id) {
            rules.push(if userbit { b'+' } else { b'-' });
            rules.extend_from_slice(name);
            rules.push(b' ');
            fake.change_perm(id, userbit);
        }
        if !userbit && let Some(args) = self.firstargs.get(&id) {
            for a in args {
                rules.push(b'+');
                rules.extend_from_slice(name);
                rules.push(b'|');
                rules.extend_from_slice(a);
                rules.push(b' ');
            }
        }
    }

    /// Keys, channels and commands as rules (Redis `ACLDescribeSelector`).
    fn describe(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if self.allkeys {
            out.extend_from_slice(b"~* ");
        } else {
            for p in &self.patterns {
                p.describe(&mut out);
                out.push(b' ');
            }
        }
        if self.allchannels {
            out.extend_from_slice(b"&* ");
        } else {
            out.extend_from_slice(b"resetchannels ");
            for c in &self.channels {
                out.push(b'&');
                out.extend_from_slice(c);
                out.push(b' ');
            }
        }
        out.extend_from_slice(&self.describe_commands());
        out
    }

    /// The key patterns as ACL GETUSER shows them (`keys` field).
    fn describe_keys(&self) -> Vec<u8> {
        join_described(self.allkeys, b"~*", &self.patterns, |p, out| {
            p.describe(out)
        })
    }

    /// The channel patterns as ACL GETUSER shows them (`channels` field).
    fn describe_channels(&self) -> Vec<u8> {
        join_described(self.allchannels, b"&*", &self.channels, |c, out| {
            out.push(b'&');
            out.extend_from_slice(c);
        })
    }

    /// May this selector touch `key` with the access in `kflags` (Redis
    /// `ACLSelectorCheckKey`)?
    fn check_key(&self, key: &[u8], kflags: u8) -> bool {
        self.allkeys
            || self
                .patterns
                .iter()
                .any(|p| p.flags & kflags == kflags && string_match(&p.pattern, key, false))
    }

    /// Does this selector allow every key for the access in `kflags`
    /// (`allkeys`, or a `*` pattern with that access)?
    fn has_unrestricted_key_access(&self, kflags: u8) -> bool {
        self.allkeys
            || self
                .patterns
                .iter()
                .any(|p| p.flags & kflags == kflags && p.pattern == b"*")
    }

    /// Checks one command against this selector (Redis
    /// `ACLSelectorCheckCmd`): Err carries the reason and the argv index
    /// of the refused key or channel (0 for the command itself).
    fn check_cmd(
        &self,
        id: usize,
        argv: &[Bytes],
        keys: &mut Option<Vec<(usize, u8)>>,
    ) -> Result<(), (AclDenied, usize)> {
        let m = &meta::COMMANDS[id];
        if !self.allcommands && !m.flags.contains(&"no_auth") && !self.bit(id) {
            let idx = if m.is_subcommand() { 2 } else { 1 };
            let ok = argv.len() >= 2
                && self.firstargs.get(&id).is_some_and(|args| {
                    argv.get(idx)
                        .is_some_and(|a| args.iter().any(|x| x.eq_ignore_ascii_case(a)))
                });
            if !ok {
                return Err((AclDenied::Cmd, 0));
            }
        }
        if !self.allkeys && !m.key_specs.is_empty() {
            let keys = keys.get_or_insert_with(|| key_access(m, argv));
            for &(pos, kflags) in keys.iter() {
                if let Some(k) = argv.get(pos)
                    && !self.check_key(k, kflags)
                {
                    return Err((AclDenied::Key, pos));
                }
            }
        }
        if !self.allchannels {
            for (pos, is_pattern) in command_channels(m.name, argv) {
                if !check_channel_list(&self.channels, &argv[pos], is_pattern) {
                    return Err((AclDenied::Channel, pos));
                }
            }
        }
        Ok(())
    }
}

/// `all_text` when `all`, else each item described by `f`, space-separated
/// (the `keys` and `channels` fields of ACL GETUSER).
fn join_described<T>(
    all: bool,
    all_text: &[u8],
    items: &[T],
    f: impl Fn(&T, &mut Vec<u8>),
) -> Vec<u8> {
    if all {
        return all_text.to_vec();
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        f(item, &mut out);
    }
    out
}

/// The keys of a command with the access each needs: read for `access`,
/// write for `insert`, `delete` and `update` (Redis maps key spec flags so).
fn key_access(m: &CommandMeta, argv: &[Bytes]) -> Vec<(usize, u8)> {
    crate::commands::get_keys(m, argv)
        .into_iter()
        .filter(|(_, flags)| !flags.contains(&"not_key"))
        .map(|(pos, flags)| {
            let mut k = 0;
            for f in flags {
                match *f {
                    "access" => k |= KEY_READ,
                    "insert" | "delete" | "update" => k |= KEY_WRITE,
                    _ => {}
                }
            }
            (pos, k)
        })
        .collect()
}

/// The channels a command publishes or subscribes to, with "is a pattern"
/// (Redis `getChannelsFromCommand`, less the unsubscribe commands, which
/// ACL does not check).
fn command_channels(name: &str, argv: &[Bytes]) -> Vec<(usize, bool)> {
    match name {
        "subscribe" | "ssubscribe" => (1..argv.len()).map(|i| (i, false)).collect(),
        "psubscribe" => (1..argv.len()).map(|i| (i, true)).collect(),
        "publish" | "spublish" if argv.len() > 1 => vec![(1, false)],
        _ => Vec::new(),
    }
}

/// Redis `ACLCheckChannelAgainstList`: a channel name is matched against
/// the patterns; a subscribed pattern only against an identical one.
fn check_channel_list(list: &[Vec<u8>], channel: &[u8], is_pattern: bool) -> bool {
    list.iter().any(|p| {
        if is_pattern {
            p.as_slice() == channel
        } else {
            string_match(p, channel, false)
        }
    })
}

// ---- Users ----

/// An ACL user (Redis `user`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The user name: any bytes but spaces and NUL.
    pub name: Bytes,
    flags: u8,
    /// SHA-256 hashes, 64 lowercase hex characters each, in insertion order.
    passwords: Vec<Vec<u8>>,
    /// The root selector first, then those added with `(...)`.
    selectors: Vec<Selector>,
}

/// SHA-256 of a password as 64 lowercase hex characters (Redis `ACLHashPassword`).
pub fn hash_password(pass: &[u8]) -> Vec<u8> {
    let digest = Sha256::digest(pass);
    let mut out = Vec::with_capacity(64);
    for b in digest.iter() {
        out.push(b"0123456789abcdef"[(b >> 4) as usize]);
        out.push(b"0123456789abcdef"[(b & 15) as usize]);
    }
    out
}

fn is_valid_hash(h: &[u8]) -> bool {
    h.len() == 64 && h.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Constant-time comparison of two equally long byte strings.
fn time_independent_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

impl User {
    /// A new user as Redis creates one (`ACLCreateUser`): off, no
    /// passwords, no commands, no keys, channels per `acl-pubsub-default`
    /// — describes as `off resetchannels -@all` (or `off &* -@all`).
    pub fn new(name: &[u8]) -> User {
        User {
            name: Bytes::copy_from_slice(name),
            flags: USER_DISABLED,
            passwords: Vec::new(),
            selectors: vec![Selector::new(true)],
        }
    }

    /// The default user as Redis creates it at startup: `on nopass ~* &* +@all`.
    pub fn new_default() -> User {
        let mut u = User::new(b"default");
        for r in ["+@all", "~*", "&*", "on", "nopass"] {
            let _ = u.set_rule(r.as_bytes());
        }
        u
    }

    /// Applies one rule (Redis `ACLSetUser`): a flag (`on`, `off`, `nopass`,
    /// `resetpass`, `reset`, `clearselectors`, `[skip-]sanitize-payload`),
    /// a password rule (`>pass`, `<pass`, `#hash`, `!hash`), a `(...)`
    /// selector, or a selector rule for the root selector (`+cmd`, `-cmd`,
    /// `+cmd|sub`, `+@cat`, `-@cat`, `allcommands`, `nocommands`, `~pat`,
    /// `%R~pat`, `%W~pat`, `%RW~pat`, `allkeys`, `resetkeys`, `&pat`,
    /// `allchannels`, `resetchannels`). Keywords are case-insensitive. An
    /// empty rule does nothing. On error the user may be partly changed
    /// only by a failing `(...)` (never: the selector is built aside).
    pub fn set_rule(&mut self, op: &[u8]) -> Result<(), AclError> {
        if op.is_empty() {
            return Ok(());
        }
        let is = |s: &str| op.eq_ignore_ascii_case(s.as_bytes());
        let first = op[0];
        if is("on") {
            self.flags = (self.flags | USER_ENABLED) & !USER_DISABLED;
        } else if is("off") {
            self.flags = (self.flags | USER_DISABLED) & !USER_ENABLED;
        } else if is("skip-sanitize-payload") {
            self.flags = (self.flags | USER_SKIP_SANITIZE) & !USER_SANITIZE;
        } else if is("sanitize-payload") {
            self.flags = (self.flags | USER_SANITIZE) & !USER_SKIP_SANITIZE;
        } else if is("nopass") {
            self.flags |= USER_NOPASS;
            self.passwords.clear();
        } else if is("resetpass") {
            self.flags &= !USER_NOPASS;
            self.passwords.clear();
        } else if first == b'>' || first == b'#' {
            let hash = if first == b'>' {
                hash_password(&op[1..])
            } else {
                if !is_valid_hash(&op[1..]) {
                    return Err(AclError::BadHash);
                }
                op[1..].to_vec()
            };
            if !self.passwords.contains(&hash) {
                self.passwords.push(hash);
            }
            self.flags &= !USER_NOPASS;
        } else if first == b'<' || first == b'!' {
            let hash = if first == b'<' {
                hash_password(&op[1..])
            } else {
                if !is_valid_hash(&op[1..]) {
                    return Err(AclError::BadHash);
                }
                op[1..].to_vec()
            };
            let pos = self
                .passwords
                .iter()
                .position(|p| *p == hash)
                .ok_or(AclError::NoSuchPassword)?;
            self.passwords.remove(pos);
        } else if first == b'(' && op[op.len() - 1] == b')' && op.len() >= 2 {
            let mut s = Selector::new(false);
            // Unbalanced quotes give no rules at all, as in Redis.
            let ops = crate::util::split_args(&op[1..op.len() - 1]).unwrap_or_default();
            for o in &ops {
                s.set_rule(o)?;
            }
            self.selectors.push(s);
        } else if is("clearselectors") {
            self.selectors.truncate(1);
        } else if is("reset") {
            for r in ["resetpass", "resetkeys", "resetchannels"] {
                let _ = self.set_rule(r.as_bytes());
            }
            if pubsub_default() {
                let _ = self.set_rule(b"allchannels");
            }
            for r in ["off", "sanitize-payload", "clearselectors", "-@all"] {
                let _ = self.set_rule(r.as_bytes());
            }
        } else {
            self.root_mut().set_rule(op)?;
        }
        Ok(())
    }

    fn root_mut(&mut self) -> &mut Selector {
        if self.selectors.is_empty() {
            self.selectors.push(Selector::new(true));
        }
        &mut self.selectors[0]
    }

    /// The user's rules as one line (Redis `ACLDescribeUser`): what ACL
    /// LIST, ACL SAVE and CONFIG REWRITE write after `user <name> `, e.g.
    /// `on #<hash> ~cached:* resetchannels -@all +get (~x resetchannels -@all +set)`.
    /// Parsing it back (split on spaces, `(...)` merged) gives an equal user.
    pub fn describe(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (flag, name) in USER_FLAG_NAMES {
            if self.flags & flag != 0 {
                out.extend_from_slice(name.as_bytes());
                out.push(b' ');
            }
        }
        for p in &self.passwords {
            out.push(b'#');
            out.extend_from_slice(p);
            out.push(b' ');
        }
        for s in &self.selectors {
            if s.root {
                out.extend_from_slice(&s.describe());
            } else {
                out.extend_from_slice(b" (");
                out.extend_from_slice(&s.describe());
                out.push(b')');
            }
        }
        out
    }

    /// True if the user is `on`.
    pub fn is_enabled(&self) -> bool {
        self.flags & USER_ENABLED != 0
    }

    /// True if the user is `nopass` (any password authenticates it).
    pub fn is_nopass(&self) -> bool {
        self.flags & USER_NOPASS != 0
    }

    /// True if RESTORE payloads from this user skip deep sanitization.
    pub fn skip_sanitize_payload(&self) -> bool {
        self.flags & USER_SKIP_SANITIZE != 0
    }

    /// True if RESTORE payloads from this user must be deeply sanitized.
    pub fn sanitize_payload(&self) -> bool {
        self.flags & USER_SANITIZE != 0
    }

    /// Does `pass` authenticate this user? (Redis `ACLCheckUserCredentials`
    /// less the user lookup): off users never; nopass users always.
    pub fn check_password(&self, pass: &[u8]) -> bool {
        if self.flags & USER_DISABLED != 0 {
            return false;
        }
        if self.is_nopass() {
            return true;
        }
        let h = hash_password(pass);
        self.passwords.iter().any(|p| time_independent_eq(p, &h))
    }

    /// May the user touch `key` for reading (`read`) and/or writing
    /// (`write`) through any selector? (Redis `ACLUserCheckKeyPerm`.)
    pub fn check_key(&self, key: &[u8], read: bool, write: bool) -> bool {
        let k = (if read { KEY_READ } else { 0 }) | (if write { KEY_WRITE } else { 0 });
        self.selectors.iter().any(|s| s.check_key(key, k))
    }

    /// Can the user run the command with unrestricted access to all keys
    /// for `read`/`write` in one selector? (Redis
    /// `ACLUserCheckCmdWithUnrestrictedKeyAccess`; SORT BY/GET uses it.)
    pub fn check_cmd_with_unrestricted_key_access(
        &self,
        id: usize,
        argv: &[Bytes],
        read: bool,
        write: bool,
    ) -> bool {
        let k = (if read { KEY_READ } else { 0 }) | (if write { KEY_WRITE } else { 0 });
        let mut keys = None;
        self.selectors
            .iter()
            .any(|s| s.check_cmd(id, argv, &mut keys).is_ok() && s.has_unrestricted_key_access(k))
    }

    /// Checks a command by its static id (see [`command_id`]) against every
    /// selector (Redis `ACLCheckAllUserCommandPerm`): Ok if one allows it,
    /// else the most relevant refusal (a key or channel over the command;
    /// the highest argv index among equals).
    pub fn check_command(&self, id: usize, argv: &[Bytes]) -> Result<(), (AclDenied, usize)> {
        let mut relevant = AclDenied::Cmd;
        let mut last_idx = 0;
        let mut keys = None;
        for s in &self.selectors {
            match s.check_cmd(id, argv, &mut keys) {
                Ok(()) => return Ok(()),
                Err((r, idx)) => {
                    if r.rank() > relevant.rank() || (r == relevant && idx > last_idx) {
                        relevant = r;
                        last_idx = idx;
                    }
                }
            }
        }
        Err((relevant, last_idx))
    }

    /// The password hashes (hex), in order (ACL GETUSER `passwords`).
    pub fn password_hashes(&self) -> &[Vec<u8>] {
        &self.passwords
    }

    /// Copies rules (not the name) from another user (Redis `ACLCopyUser`).
    fn copy_rules_from(&mut self, src: &User) {
        self.flags = src.flags;
        self.passwords = src.passwords.clone();
        self.selectors = src.selectors.clone();
    }
}

// ---- Permission checks ----

/// Why a command was refused (Redis `ACL_DENIED_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclDenied {
    /// The command or subcommand is not allowed.
    Cmd,
    /// A key is outside the user's patterns.
    Key,
    /// A channel is outside the user's channel patterns.
    Channel,
    /// Wrong user name or password (ACL LOG only).
    Auth,
}

impl AclDenied {
    /// Redis's numeric order, used to pick the most relevant refusal.
    fn rank(self) -> u8 {
        match self {
            AclDenied::Cmd => 1,
            AclDenied::Key => 2,
            AclDenied::Auth => 3,
            AclDenied::Channel => 4,
        }
    }

    /// The `reason` of an ACL LOG entry.
    pub fn log_name(self) -> &'static str {
        match self {
            AclDenied::Cmd => "command",
            AclDenied::Key => "key",
            AclDenied::Channel => "channel",
            AclDenied::Auth => "auth",
        }
    }

    /// Redis `getAclErrorMessage`: the tail of script errors ("The user
    /// executing the script " + this).
    pub fn script_message(self) -> &'static str {
        match self {
            AclDenied::Cmd => "can't run this command or subcommand",
            AclDenied::Key => {
                "can't access at least one of the keys mentioned in the command arguments"
            }
            AclDenied::Channel => "can't publish to the channel mentioned in the command",
            AclDenied::Auth => "lacking the permissions for the command",
        }
    }
}

/// Checks whether user `u` may run the command at index `cmd_idx` of
/// `srv.commands` with `argv` (Redis `ACLCheckAllUserCommandPerm`).
/// Err gives the reason and the argv index of the refused key or channel
/// (0 when the command itself is refused).
pub fn check_all_perm(
    srv: &Server,
    u: &User,
    cmd_idx: usize,
    argv: &[Bytes],
) -> Result<(), (AclDenied, usize)> {
    let ids = srv.acl.command_ids.get_or_init(|| {
        srv.commands
            .cmds
            .iter()
            .map(|c| command_id(c.meta))
            .collect()
    });
    match ids.get(cmd_idx).copied().flatten() {
        Some(id) => u.check_command(id, argv),
        None => Err((AclDenied::Cmd, 0)),
    }
}

/// The NOPERM error text for a refusal of processCommand, without the
/// leading `-` (give it to `add_reply_error`), exactly as Redis 7.0.15:
/// `NOPERM this user has no permissions to run the 'get' command`,
/// `NOPERM this user has no permissions to access one of the keys used as arguments`,
/// `NOPERM this user has no permissions to access one of the channels used as arguments`.
pub fn denied_message(srv: &Server, cmd_idx: usize, reason: AclDenied) -> String {
    match reason {
        AclDenied::Cmd => {
            let name = srv
                .commands
                .cmds
                .get(cmd_idx)
                .map(|c| c.fullname.as_str())
                .unwrap_or("");
            format!("NOPERM this user has no permissions to run the '{name}' command")
        }
        AclDenied::Key => {
            "NOPERM this user has no permissions to access one of the keys used as arguments".into()
        }
        AclDenied::Channel => {
            "NOPERM this user has no permissions to access one of the channels used as arguments"
                .into()
        }
        AclDenied::Auth => "no permission".into(),
    }
}

/// May user `u` use `channel` (a pattern when `is_pattern`, as with
/// PSUBSCRIBE: then only an identical ACL pattern matches)? (Redis
/// `ACLUserCheckChannelPerm`.)
pub fn check_channel(u: &User, channel: &[u8], is_pattern: bool) -> bool {
    u.selectors
        .iter()
        .any(|s| s.allchannels || check_channel_list(&s.channels, channel, is_pattern))
}

// ---- The user table ----

/// Where a refused command ran (ACL LOG `context`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclLogContext {
    Toplevel,
    Multi,
    Lua,
    Module,
}

impl AclLogContext {
    fn name(self) -> &'static str {
        match self {
            AclLogContext::Toplevel => "toplevel",
            AclLogContext::Multi => "multi",
            AclLogContext::Lua => "lua",
            AclLogContext::Module => "module",
        }
    }
}

/// One ACL LOG entry (Redis `ACLLogEntry`).
#[derive(Debug, Clone)]
pub struct AclLogEntry {
    pub count: u64,
    pub reason: AclDenied,
    pub context: AclLogContext,
    /// The command name, key, channel or (for auth) the command typed.
    pub object: Vec<u8>,
    pub username: Vec<u8>,
    /// Milliseconds time of the last update.
    pub ctime: i64,
    /// CLIENT LIST line of the last client that hit the entry.
    pub cinfo: String,
}

/// Entries closer in time than this merge (Redis `ACL_LOG_GROUPING_MAX_TIME_DELTA`), ms.
const LOG_GROUPING_MAX_DELTA_MS: i64 = 60_000;

/// The users and the ACL log (Redis's `Users`, `DefaultUser`, `ACLLog`).
pub struct Acl {
    /// Every user by name, sorted by name bytes (as Redis's radix tree).
    pub users: BTreeMap<Bytes, UserRef>,
    /// The `default` user, also in `users`: new connections start as it.
    pub default_user: UserRef,
    /// Newest first; at most `acllog-max-len` entries.
    pub log: VecDeque<AclLogEntry>,
    /// The ACL id ([`command_id`]) of each row of the server's command
    /// table, built at the first check (the table is fixed by then).
    command_ids: std::cell::OnceCell<Vec<Option<usize>>>,
}

impl Default for Acl {
    fn default() -> Self {
        Self::new()
    }
}

impl Acl {
    /// Only the default user (Redis `ACLInit`).
    pub fn new() -> Acl {
        let default_user = Rc::new(RefCell::new(User::new_default()));
        let mut users = BTreeMap::new();
        users.insert(Bytes::from_static(b"default"), default_user.clone());
        Acl {
            users,
            default_user,
            log: VecDeque::new(),
            command_ids: std::cell::OnceCell::new(),
        }
    }

    /// Looks a user up by exact name (Redis `ACLGetUserByName`).
    pub fn get_user(&self, name: &[u8]) -> Option<UserRef> {
        self.users.get(name).cloned()
    }
}

/// The user `user` if `pass` authenticates it (Redis
/// `ACLCheckUserCredentials`): None for unknown or `off` users and wrong
/// passwords; `nopass` users accept any password.
pub fn check_user_credentials(srv: &Server, user: &[u8], pass: &[u8]) -> Option<UserRef> {
    let u = srv.acl.get_user(user)?;
    let ok = u.borrow().check_password(pass);
    ok.then_some(u)
}

/// True when new connections must authenticate: the default user is not
/// `nopass`, or is `off`.
pub fn default_user_requires_auth(srv: &Server) -> bool {
    let u = srv.acl.default_user.borrow();
    !u.is_nopass() || !u.is_enabled()
}

/// Gives the default user `pass` as its only password, or makes it
/// `nopass` when `pass` is empty (Redis `ACLUpdateDefaultUserPassword`,
/// what `requirepass` does).
pub fn update_default_user_password(srv: &mut Server, pass: &[u8]) {
    let mut u = srv.acl.default_user.borrow_mut();
    let _ = u.set_rule(b"resetpass");
    if pass.is_empty() {
        let _ = u.set_rule(b"nopass");
    } else {
        let mut op = Vec::with_capacity(pass.len() + 1);
        op.push(b'>');
        op.extend_from_slice(pass);
        let _ = u.set_rule(&op);
    }
}

/// Adds an entry to the ACL log, or bumps a similar recent one (Redis
/// `addACLLogEntry`). `argpos` names the refused key or channel in
/// `c.argv`; `username` defaults to the client's user and `object` to what
/// the reason implies (command name, key, channel, or argv\[0\] for auth).
/// For scripts pass the calling client, whose CLIENT LIST line is logged.
pub fn add_log_entry(
    srv: &mut Server,
    c: &Client,
    reason: AclDenied,
    ctx: AclLogContext,
    argpos: usize,
    username: Option<&[u8]>,
    object: Option<&[u8]>,
) {
    let username = match username {
        Some(u) => u.to_vec(),
        None => match &c.user {
            Some(u) => u.borrow().name.to_vec(),
            None => b"default".to_vec(),
        },
    };
    let object = match object {
        Some(o) => o.to_vec(),
        None => match reason {
            AclDenied::Cmd => c
                .cmd
                .and_then(|i| srv.commands.cmds.get(i))
                .map(|cmd| cmd.fullname.as_bytes().to_vec())
                .unwrap_or_default(),
            AclDenied::Key | AclDenied::Channel => {
                c.argv.get(argpos).map(|a| a.to_vec()).unwrap_or_default()
            }
            AclDenied::Auth => c.argv.first().map(|a| a.to_vec()).unwrap_or_default(),
        },
    };
    let now = crate::util::mstime();
    let cinfo = crate::server_cmds::client_info_string(srv, c);
    let found = srv.acl.log.iter().take(10).position(|e| {
        e.reason == reason
            && e.context == ctx
            && (e.ctime - now).abs() <= LOG_GROUPING_MAX_DELTA_MS
            && e.object == object
            && e.username == username
    });
    if let Some(i) = found
        && let Some(mut e) = srv.acl.log.remove(i)
    {
        e.cinfo = cinfo;
        e.ctime = now;
        e.count += 1;
        srv.acl.log.push_front(e);
        return;
    }
    srv.acl.log.push_front(AclLogEntry {
        count: 1,
        reason,
        context: ctx,
        object,
        username,
        ctime: now,
        cinfo,
    });
    let max = srv.config.acllog_max_len as usize;
    while srv.acl.log.len() > max {
        srv.acl.log.pop_back();
    }
}

// ---- Changing users: SETUSER, DELUSER, and the clients they affect ----

/// Joins a selector written over several arguments (`(~a` `+get)`) into
/// one rule (Redis `ACLMergeSelectorArguments`). Err gives the index of the
/// argument that opened the unmatched parenthesis.
pub fn merge_selector_args(args: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, usize> {
    let mut out = Vec::with_capacity(args.len());
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (j, op) in args.iter().enumerate() {
        if let Some((_, sel)) = open.as_mut() {
            sel.push(b' ');
            sel.extend_from_slice(op);
            if op.last() == Some(&b')')
                && let Some((_, sel)) = open.take()
            {
                out.push(sel);
            }
            continue;
        }
        if op.first() == Some(&b'(') && op.last() != Some(&b')') {
            open = Some((j, op.clone()));
            continue;
        }
        out.push(op.clone());
    }
    match open {
        Some((j, _)) => Err(j),
        None => Ok(out),
    }
}

/// Applies rules to a copy of `base` (or of a new user called `name`) and
/// returns it, or Redis's ACL SETUSER error text (Redis `ACLStringSetUser`
/// up to the copy back).
pub fn apply_rules(base: Option<&User>, name: &[u8], args: &[Vec<u8>]) -> Result<User, String> {
    let merged = merge_selector_args(args).map_err(|j| {
        format!(
            "Unmatched parenthesis in acl selector starting at '{}'.",
            String::from_utf8_lossy(&args[j])
        )
    })?;
    let mut temp = match base {
        Some(u) => u.clone(),
        None => User::new(name),
    };
    for op in &merged {
        if let Err(e) = temp.set_rule(op) {
            return Err(format!(
                "Error in ACL SETUSER modifier '{}': {}",
                String::from_utf8_lossy(op),
                e
            ));
        }
    }
    Ok(temp)
}

fn is_user(c: &Client, u: &UserRef) -> bool {
    c.user.as_ref().is_some_and(|x| Rc::ptr_eq(x, u))
}

/// Disconnects every client authenticated as `u`, which was just removed
/// (Redis `ACLFreeUserAndKillClients`): each is switched back to the
/// default user, unauthenticated, and closed; `current` (the client
/// running the command) after its reply.
pub fn kill_clients_of_user(srv: &mut Server, current: &mut Client, u: &UserRef) {
    let default = srv.acl.default_user.clone();
    if is_user(current, u) {
        current.user = Some(default.clone());
        current.authenticated = false;
        current.flags |= crate::networking::CLIENT_CLOSE_AFTER_REPLY;
    }
    let slots: Vec<usize> = srv
        .clients_iter()
        .filter(|c| is_user(c, u))
        .map(|c| c.slot)
        .collect();
    for slot in slots {
        if let Some(c) = srv.client_mut(slot) {
            c.user = Some(default.clone());
            c.authenticated = false;
        }
        srv.free_client_async(slot);
    }
}

/// Closes the pub/sub clients of `original` whose subscriptions the new
/// rules `new` no longer allow (Redis `ACLKillPubsubClientsIfNeeded`).
/// Nothing happens when some new selector allows all channels or the new
/// channel list contains every old one.
pub fn kill_pubsub_clients_if_needed(
    srv: &mut Server,
    current: &mut Client,
    new: &User,
    original: &UserRef,
) {
    if new.selectors.iter().any(|s| s.allchannels) {
        return;
    }
    let upcoming: Vec<Vec<u8>> = new
        .selectors
        .iter()
        .flat_map(|s| s.channels.iter().cloned())
        .collect();
    let superset = original
        .borrow()
        .selectors
        .iter()
        .all(|s| !s.allchannels && s.channels.iter().all(|c| upcoming.contains(c)));
    if superset {
        return;
    }
    let violates = |c: &Client| {
        is_user(c, original)
            && crate::networking::get_client_type(c) == crate::config::CLIENT_TYPE_PUBSUB
            && (c
                .pubsub
                .patterns
                .iter()
                .any(|p| !check_channel_list(&upcoming, p, true))
                || c.pubsub
                    .channels
                    .iter()
                    .chain(c.pubsub.shard_channels.iter())
                    .any(|ch| !check_channel_list(&upcoming, ch, false)))
    };
    if violates(current) {
        srv.close_client_asap(current);
    }
    let slots: Vec<usize> = srv
        .clients_iter()
        .filter(|c| violates(c))
        .map(|c| c.slot)
        .collect();
    // Freed at once, as Redis does: CLIENT LIST right after no longer shows them.
    for slot in slots {
        if let Some(victim) = srv.take_client(slot) {
            srv.free_client(victim);
        }
    }
}

/// ACL SETUSER's work once the arguments are known: validates the user
/// name, applies the rules to a copy, closes pub/sub clients that lose
/// channels, and stores the result in place (clients keep their handle).
/// Err is the error text to reply.
pub fn set_user(
    srv: &mut Server,
    current: &mut Client,
    name: &[u8],
    args: &[Vec<u8>],
) -> Result<(), String> {
    if has_spaces(name) {
        return Err("ERR Usernames can't contain spaces or null characters".into());
    }
    sync_pubsub_default(srv);
    let existing = srv.acl.get_user(name);
    let new = {
        let base = existing.as_ref().map(|u| u.borrow());
        apply_rules(base.as_deref(), name, args).map_err(|e| format!("ERR {e}"))?
    };
    match existing {
        Some(u) => {
            kill_pubsub_clients_if_needed(srv, current, &new, &u);
            u.borrow_mut().copy_rules_from(&new);
        }
        None => {
            srv.acl
                .users
                .insert(Bytes::copy_from_slice(name), Rc::new(RefCell::new(new)));
        }
    }
    Ok(())
}

// ---- ACL files and `user` directives ----

/// Startup must stop: the reason has been logged (Redis's line); the
/// caller exits with status 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartupAborted;

/// ACL SAVE failed; the reason has been logged (Redis's warning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaveFailed;

/// Checks a `user <name> <rules...>` config directive when the config is
/// read (Redis `ACLAppendUserForLoading`): `argv` is the whole directive,
/// `seen` the names declared before. Unknown commands are let through, as
/// Redis does (they are reported when the users are loaded). Err is the
/// config error text, e.g. `Error in user declaration 'on': Syntax error`
/// (Redis names the argument at the failing rule's index within the
/// rules, counted from the directive's start, and so do we).
pub fn validate_user_directive(argv: &[Vec<u8>], seen: &[&[u8]]) -> Result<(), String> {
    let decl_err = |idx: usize, e: AclError| {
        let arg = argv
            .get(idx)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .unwrap_or_default();
        format!("Error in user declaration '{arg}': {e}")
    };
    if argv.len() < 2 {
        return Err(decl_err(0, AclError::Syntax));
    }
    if seen.contains(&argv[1].as_slice()) {
        return Err(decl_err(1, AclError::Duplicate));
    }
    let merged = merge_selector_args(&argv[2..]).map_err(|j| decl_err(j, AclError::Syntax))?;
    let mut fake = User::new(b"__fakeuser:0__");
    for (j, op) in merged.iter().enumerate() {
        match fake.set_rule(op) {
            Ok(()) | Err(AclError::UnknownCommand) => {}
            Err(e) => return Err(decl_err(j, e)),
        }
    }
    Ok(())
}

/// Loads the `user` directives of the config file (Redis
/// `ACLLoadConfiguredUsers`), logging Redis's warning on the first error.
fn load_configured_users(srv: &mut Server) -> Result<(), ()> {
    let directives: Vec<Vec<Vec<u8>>> = srv.config.users.iter().map(|d| d.args.clone()).collect();
    for args in directives {
        let Some(name) = args.first() else { continue };
        if has_spaces(name) {
            tracing::warn!("Spaces not allowed in ACL usernames");
            return Err(());
        }
        let rules = merge_selector_args(&args[1..]).unwrap_or_default();
        let u = match srv.acl.get_user(name) {
            Some(u) => {
                let _ = u.borrow_mut().set_rule(b"reset");
                u
            }
            None => {
                let u = Rc::new(RefCell::new(User::new(name)));
                srv.acl
                    .users
                    .insert(Bytes::copy_from_slice(name), u.clone());
                u
            }
        };
        for r in &rules {
            if let Err(e) = u.borrow_mut().set_rule(r) {
                tracing::warn!(
                    "Error loading ACL rule '{}' for the user named '{}': {}",
                    String::from_utf8_lossy(r),
                    String::from_utf8_lossy(name),
                    e
                );
                return Err(());
            }
        }
        if u.borrow().flags & USER_DISABLED != 0 {
            tracing::info!(
                "The user '{}' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.",
                String::from_utf8_lossy(name)
            );
        }
    }
    Ok(())
}

/// Loads the users at startup (Redis `ACLUpdateDefaultUserPassword` of
/// `initServer` then `ACLLoadUsersAtStartup`): `requirepass` first, then the
/// config's `user` lines, then the `aclfile`. Both `user` lines and an
/// `aclfile` at once is refused. Err after logging Redis's line: the caller
/// exits with status 1.
pub fn load_users_at_startup(srv: &mut Server) -> Result<(), StartupAborted> {
    sync_pubsub_default(srv);
    let pass = srv.config.requirepass.clone();
    update_default_user_password(srv, &pass);
    if !srv.config.aclfile.is_empty() && !srv.config.users.is_empty() {
        tracing::warn!(
            "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both."
        );
        return Err(StartupAborted);
    }
    if load_configured_users(srv).is_err() {
        tracing::warn!("Critical error while loading ACLs. Exiting.");
        return Err(StartupAborted);
    }
    if !srv.config.aclfile.is_empty() {
        let path = srv.config.aclfile.clone();
        if let Err(errors) = load_users_from_file(srv, None, &path) {
            tracing::warn!("Aborting Redis startup because of ACL errors: {}", errors);
            return Err(StartupAborted);
        }
    }
    Ok(())
}

/// Parses an ACL file into a fresh user table (the first half of Redis
/// `ACLLoadFromFile`). Err is the one-line description of every problem.
fn parse_acl_file(path: &str) -> Result<BTreeMap<Bytes, User>, String> {
    let data = std::fs::read(path).map_err(|e| {
        format!(
            "Error loading ACLs, opening file '{}': {}",
            path,
            crate::config::strerror(&e)
        )
    })?;
    let mut users: BTreeMap<Bytes, User> = BTreeMap::new();
    let mut errors = String::new();
    for (i, raw) in data.split(|&b| b == b'\n').enumerate() {
        let linenum = i + 1;
        let line = trim_bytes(raw, b" \t\r\n");
        if line.is_empty() {
            continue;
        }
        let argv: Vec<Vec<u8>> = line.split(|&b| b == b' ').map(|a| a.to_vec()).collect();
        if argv[0] != b"user" || argv.len() < 2 {
            errors.push_str(&format!(
                "{path}:{linenum} should start with user keyword followed by the username. "
            ));
            continue;
        }
        let name = &argv[1];
        if has_spaces(name) {
            errors.push_str(&format!(
                "'{}:{}: username '{}' contains invalid characters. ",
                path,
                linenum,
                String::from_utf8_lossy(name)
            ));
            continue;
        }
        if users.contains_key(name.as_slice()) {
            errors.push_str(&format!(
                "WARNING: Duplicate user '{}' found on line {}. ",
                String::from_utf8_lossy(name),
                linenum
            ));
            continue;
        }
        let mut u = User::new(name);
        match merge_selector_args(&argv[2..]) {
            Err(_) => errors.push_str(&format!(
                "{path}:{linenum}: Unmatched parenthesis in selector definition."
            )),
            Ok(rules) => {
                let mut syntax_error = false;
                for r in rules {
                    let r = trim_bytes(&r, b"\t\r\n");
                    match u.set_rule(r) {
                        Ok(()) => {}
                        Err(AclError::UnknownCommand) => errors.push_str(&format!(
                            "{}:{}: Error in applying operation '{}': {}. ",
                            path,
                            linenum,
                            String::from_utf8_lossy(r),
                            AclError::UnknownCommand
                        )),
                        Err(e) => {
                            if !syntax_error {
                                errors.push_str(&format!("{path}:{linenum}: {e}. "));
                                syntax_error = true;
                            }
                        }
                    }
                }
            }
        }
        users.insert(Bytes::copy_from_slice(name), u);
    }
    if errors.is_empty() {
        Ok(users)
    } else {
        errors.push_str(
            "WARNING: ACL errors detected, no change to the previously active ACL rules was performed",
        );
        Err(errors)
    }
}

fn trim_bytes<'a>(s: &'a [u8], set: &[u8]) -> &'a [u8] {
    let start = s.iter().position(|b| !set.contains(b)).unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !set.contains(b))
        .map_or(start, |e| e + 1);
    &s[start..end.max(start)]
}

/// Replaces every user with the contents of the ACL file at `path` (Redis
/// `ACLLoadFromFile`). All or nothing: on any error nothing changes and
/// Err is Redis's error line. On success the default user keeps its
/// handle (its rules are replaced; a file without it gives the default
/// default user), and every other old user is dropped with its clients
/// disconnected, as Redis frees the whole old table.
pub fn load_users_from_file(
    srv: &mut Server,
    current: Option<&mut Client>,
    path: &str,
) -> Result<(), String> {
    sync_pubsub_default(srv);
    let mut users = parse_acl_file(path)?;
    let new_default = users
        .remove(b"default".as_slice())
        .unwrap_or_else(User::new_default);
    let default = srv.acl.default_user.clone();
    default.borrow_mut().copy_rules_from(&new_default);
    let old = std::mem::take(&mut srv.acl.users);
    let mut table: BTreeMap<Bytes, UserRef> = users
        .into_iter()
        .map(|(k, u)| (k, Rc::new(RefCell::new(u))))
        .collect();
    table.insert(Bytes::from_static(b"default"), default.clone());
    srv.acl.users = table;
    let mut scratch;
    let current = match current {
        Some(c) => c,
        None => {
            scratch = Client::new(0, usize::MAX, None, String::new(), String::new(), 0);
            &mut scratch
        }
    };
    for (_, u) in old {
        if !Rc::ptr_eq(&u, &default) {
            kill_clients_of_user(srv, current, &u);
        }
    }
    Ok(())
}

/// The ACL file text for the current users: one `user <name> <rules>`
/// line each, in name order.
pub fn acl_file_text(srv: &Server) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, u) in &srv.acl.users {
        out.extend_from_slice(b"user ");
        out.extend_from_slice(name);
        out.push(b' ');
        out.extend_from_slice(&u.borrow().describe());
        out.push(b'\n');
    }
    out
}

/// Writes the users to `path` through a temporary file and a rename
/// (Redis `ACLSaveToFile`), logging Redis's warning on failure.
pub fn save_users_to_file(srv: &Server, path: &str) -> Result<(), SaveFailed> {
    let text = acl_file_text(srv);
    let tmp = format!(
        "{}.tmp-{}-{}",
        path,
        std::process::id(),
        crate::util::mstime()
    );
    let res = (|| -> Result<(), SaveFailed> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| {
                tracing::warn!(
                    "Opening temp ACL file for ACL SAVE: {}",
                    crate::config::strerror(&e)
                );
                SaveFailed
            })?;
        std::io::Write::write_all(&mut f, &text).map_err(|e| {
            tracing::warn!(
                "Writing ACL file for ACL SAVE: {}",
                crate::config::strerror(&e)
            );
            SaveFailed
        })?;
        drop(f);
        std::fs::rename(&tmp, path).map_err(|e| {
            tracing::warn!(
                "Renaming ACL file for ACL SAVE: {}",
                crate::config::strerror(&e)
            );
            SaveFailed
        })
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

// ---- The ACL command ----

/// The ACL subcommand handlers.
pub static HANDLERS: &[(&str, crate::commands::Handler)] = &[
    ("acl|cat", acl_cat_command),
    ("acl|deluser", acl_deluser_command),
    ("acl|dryrun", acl_dryrun_command),
    ("acl|genpass", acl_genpass_command),
    ("acl|getuser", acl_getuser_command),
    ("acl|help", acl_help_command),
    ("acl|list", acl_list_command),
    ("acl|load", acl_load_command),
    ("acl|log", acl_log_command),
    ("acl|save", acl_save_command),
    ("acl|setuser", acl_setuser_command),
    ("acl|users", acl_users_command),
    ("acl|whoami", acl_whoami_command),
];

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// ACL SETUSER username [rule ...]: `+OK`, or
/// `-ERR Error in ACL SETUSER modifier '<rule>': <reason>`,
/// `-ERR Unmatched parenthesis in acl selector starting at '<arg>'.`,
/// `-ERR Usernames can't contain spaces or null characters`.
/// The arguments are redacted from SLOWLOG and MONITOR.
pub fn acl_setuser_command(srv: &mut Server, c: &mut Client) {
    for j in 2..c.argv.len() {
        c.redact_client_command_argument(j);
    }
    let name = c.argv[2].clone();
    let args: Vec<Vec<u8>> = c.argv[3..].iter().map(|a| a.to_vec()).collect();
    match set_user(srv, c, &name, &args) {
        Ok(()) => c.add_reply_ok(),
        Err(e) => c.add_reply_error(&e),
    }
}

/// ACL DELUSER username [username ...]: the number of users deleted;
/// `-ERR The 'default' user cannot be removed` (nothing deleted then).
/// Clients authenticated as a deleted user are disconnected.
pub fn acl_deluser_command(srv: &mut Server, c: &mut Client) {
    if c.argv[2..].iter().any(|n| n.as_ref() == b"default") {
        c.add_reply_error("ERR The 'default' user cannot be removed");
        return;
    }
    let names: Vec<Bytes> = c.argv[2..].to_vec();
    let mut deleted = 0;
    for n in names {
        if let Some(u) = srv.acl.users.remove(&n) {
            kill_clients_of_user(srv, c, &u);
            deleted += 1;
        }
    }
    c.add_reply_long_long(deleted);
}

fn add_reply_selector(c: &mut Client, s: &Selector) {
    c.add_reply_bulk(b"commands");
    c.add_reply_bulk(&s.describe_commands());
    c.add_reply_bulk(b"keys");
    c.add_reply_bulk(&s.describe_keys());
    c.add_reply_bulk(b"channels");
    c.add_reply_bulk(&s.describe_channels());
}

/// ACL GETUSER username: a map of `flags` (set), `passwords` (array of
/// hashes), `commands`, `keys`, `channels` (the root selector as strings)
/// and `selectors` (array of maps of commands/keys/channels); null for an
/// unknown user.
pub fn acl_getuser_command(srv: &mut Server, c: &mut Client) {
    let Some(u) = srv.acl.get_user(&c.argv[2]) else {
        c.add_reply_null();
        return;
    };
    let u = u.borrow();
    c.add_reply_map_len(6);
    c.add_reply_bulk(b"flags");
    let flags: Vec<&str> = USER_FLAG_NAMES
        .iter()
        .filter(|(f, _)| u.flags & f != 0)
        .map(|(_, n)| *n)
        .collect();
    c.add_reply_set_len(flags.len());
    for f in flags {
        c.add_reply_bulk(f.as_bytes());
    }
    c.add_reply_bulk(b"passwords");
    c.add_reply_array_len(u.passwords.len());
    for p in &u.passwords {
        c.add_reply_bulk(p);
    }
    if let Some(root) = u.selectors.first() {
        add_reply_selector(c, root);
    }
    c.add_reply_bulk(b"selectors");
    c.add_reply_array_len(u.selectors.len().saturating_sub(1));
    for s in u.selectors.iter().skip(1) {
        c.add_reply_map_len(3);
        add_reply_selector(c, s);
    }
}

/// ACL LIST: every user as `user <name> <rules>`, in name order.
pub fn acl_list_command(srv: &mut Server, c: &mut Client) {
    c.add_reply_array_len(srv.acl.users.len());
    for (name, u) in &srv.acl.users {
        let mut line = b"user ".to_vec();
        line.extend_from_slice(name);
        line.push(b' ');
        line.extend_from_slice(&u.borrow().describe());
        c.add_reply_bulk(&line);
    }
}

/// ACL USERS: the user names, in order.
pub fn acl_users_command(srv: &mut Server, c: &mut Client) {
    c.add_reply_array_len(srv.acl.users.len());
    for name in srv.acl.users.keys() {
        c.add_reply_bulk(name);
    }
}

/// ACL WHOAMI: the client's user name (null for a superuser fake client).
pub fn acl_whoami_command(_srv: &mut Server, c: &mut Client) {
    match c.user.clone() {
        Some(u) => c.add_reply_bulk(&u.borrow().name),
        None => c.add_reply_null(),
    }
}

const NO_ACL_FILE: &str = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";

/// ACL LOAD: reloads the users from `aclfile` (all or nothing); the error
/// lists every problem found.
pub fn acl_load_command(srv: &mut Server, c: &mut Client) {
    if srv.config.aclfile.is_empty() {
        c.add_reply_error(NO_ACL_FILE);
        return;
    }
    let path = srv.config.aclfile.clone();
    match load_users_from_file(srv, Some(c), &path) {
        Ok(()) => c.add_reply_ok(),
        Err(e) => c.add_reply_error(&format!("ERR {e}")),
    }
}

/// ACL SAVE: writes the users to `aclfile`.
pub fn acl_save_command(srv: &mut Server, c: &mut Client) {
    if srv.config.aclfile.is_empty() {
        c.add_reply_error(NO_ACL_FILE);
        return;
    }
    let path = srv.config.aclfile.clone();
    match save_users_to_file(srv, &path) {
        Ok(()) => c.add_reply_ok(),
        Err(SaveFailed) => c.add_reply_error(
            "ERR There was an error trying to save the ACLs. Please check the server logs for more information",
        ),
    }
}

/// ACL CAT [category]: the category names, or the commands (and
/// subcommands, as `parent|sub`) in one; `-ERR Unknown category '<name>'`.
pub fn acl_cat_command(_srv: &mut Server, c: &mut Client) {
    if c.argv.len() == 2 {
        c.add_reply_array_len(CATEGORIES.len());
        for cat in CATEGORIES {
            c.add_reply_bulk(cat.as_bytes());
        }
        return;
    }
    if c.argv.len() != 3 {
        c.add_reply_subcommand_arity_error();
        return;
    }
    let Some(cflag) = category_flag(&c.argv[2]) else {
        let name: String = lossy(&c.argv[2]).chars().take(128).collect();
        c.add_reply_error(&format!("ERR Unknown category '{name}'"));
        return;
    };
    let bits = category_bits();
    let names: Vec<&str> = top_level_ids()
        .flat_map(|t| std::iter::once(t).chain(subcommand_ids(t)))
        .filter(|&id| bits[id] & cflag != 0)
        .map(|id| meta::COMMANDS[id].name)
        .collect();
    c.add_reply_array_len(names.len());
    for n in names {
        c.add_reply_bulk(n.as_bytes());
    }
}

/// ACL GENPASS [bits]: a random password of `bits` bits (256 by default)
/// as lowercase hex, (bits+3)/4 characters.
pub fn acl_genpass_command(_srv: &mut Server, c: &mut Client) {
    if c.argv.len() > 3 {
        c.add_reply_subcommand_arity_error();
        return;
    }
    let mut bits = 256i64;
    if c.argv.len() == 3 {
        match crate::util::string2ll(&c.argv[2]) {
            Some(v) => bits = v,
            None => {
                c.add_reply_error(crate::shared::err_not_integer());
                return;
            }
        }
    }
    if bits <= 0 || bits > 4096 {
        c.add_reply_error(
            "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096",
        );
        return;
    }
    let chars = ((bits + 3) / 4) as usize;
    let mut raw = vec![0u8; chars.div_ceil(2)];
    let _ = getrandom::fill(&mut raw);
    let mut out = Vec::with_capacity(chars);
    for b in raw {
        out.push(b"0123456789abcdef"[(b >> 4) as usize]);
        out.push(b"0123456789abcdef"[(b & 15) as usize]);
    }
    out.truncate(chars);
    c.add_reply_bulk(&out);
}

/// ACL LOG [count | RESET]: the newest `count` (10 by default) entries,
/// each a map of count, reason, context, object, username, age-seconds
/// (double) and client-info; RESET empties the log.
pub fn acl_log_command(srv: &mut Server, c: &mut Client) {
    if c.argv.len() > 3 {
        c.add_reply_subcommand_arity_error();
        return;
    }
    let mut count: i64 = 10;
    if c.argv.len() == 3 {
        if c.argv[2].eq_ignore_ascii_case(b"reset") {
            srv.acl.log.clear();
            c.add_reply_ok();
            return;
        }
        match crate::util::string2ll(&c.argv[2]) {
            Some(v) => count = v.max(0),
            None => {
                c.add_reply_error(crate::shared::err_not_integer());
                return;
            }
        }
    }
    let n = (count as usize).min(srv.acl.log.len());
    let now = crate::util::mstime();
    c.add_reply_array_len(n);
    for e in srv.acl.log.iter().take(n) {
        c.add_reply_map_len(7);
        c.add_reply_bulk(b"count");
        c.add_reply_long_long(e.count as i64);
        c.add_reply_bulk(b"reason");
        c.add_reply_bulk(e.reason.log_name().as_bytes());
        c.add_reply_bulk(b"context");
        c.add_reply_bulk(e.context.name().as_bytes());
        c.add_reply_bulk(b"object");
        c.add_reply_bulk(&e.object);
        c.add_reply_bulk(b"username");
        c.add_reply_bulk(&e.username);
        c.add_reply_bulk(b"age-seconds");
        c.add_reply_double((now - e.ctime) as f64 / 1000.0);
        c.add_reply_bulk(b"client-info");
        c.add_reply_bulk(e.cinfo.as_bytes());
    }
}

/// ACL DRYRUN username command [arg ...]: `+OK` if the user could run the
/// command, else a bulk string saying why (`This user has no permissions
/// to run the '<cmd>' command`, `... to access the '<key>' key`, `... to
/// access the '<channel>' channel`); errors for an unknown user, command
/// or a wrong arity.
pub fn acl_dryrun_command(srv: &mut Server, c: &mut Client) {
    let Some(u) = srv.acl.get_user(&c.argv[2]) else {
        c.add_reply_error(&format!("ERR User '{}' not found", lossy(&c.argv[2])));
        return;
    };
    let argv: Vec<Bytes> = c.argv[3..].to_vec();
    let Some(idx) = srv.commands.lookup(&argv) else {
        c.add_reply_error(&format!("ERR Command '{}' not found", lossy(&argv[0])));
        return;
    };
    let cmd = &srv.commands.cmds[idx];
    let argc = argv.len() as i32;
    if (cmd.arity > 0 && cmd.arity != argc) || argc < -cmd.arity {
        c.add_reply_error(&format!(
            "ERR wrong number of arguments for '{}' command",
            cmd.fullname
        ));
        return;
    }
    let fullname = cmd.fullname.clone();
    match check_all_perm(srv, &u.borrow(), idx, &argv) {
        Ok(()) => c.add_reply_ok(),
        Err((reason, pos)) => {
            let msg = match reason {
                AclDenied::Key => format!(
                    "This user has no permissions to access the '{}' key",
                    lossy(&argv[pos])
                ),
                AclDenied::Channel => format!(
                    "This user has no permissions to access the '{}' channel",
                    lossy(&argv[pos])
                ),
                _ => format!("This user has no permissions to run the '{fullname}' command"),
            };
            c.add_reply_bulk(msg.as_bytes());
        }
    }
}

/// ACL HELP.
pub fn acl_help_command(_srv: &mut Server, c: &mut Client) {
    c.add_reply_help(
        "ACL",
        &[
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(rules: &[&str]) -> User {
        let mut u = User::new(b"u");
        for r in rules {
            u.set_rule(r.as_bytes()).unwrap();
        }
        u
    }

    #[test]
    fn bitmap_holds_every_command() {
        assert!(meta::COMMANDS.len() < FUTURE_BIT);
    }

    #[test]
    fn new_and_default_users_describe_as_redis() {
        assert_eq!(User::new(b"x").describe(), b"off resetchannels -@all");
        assert_eq!(User::new_default().describe(), b"on nopass ~* &* +@all");
    }

    /// Parses a describe line back into a fresh user, as ACL LOAD would.
    fn reparse(d: &[u8]) -> User {
        let args: Vec<Vec<u8>> = d.split(|&b| b == b' ').map(|a| a.to_vec()).collect();
        let mut u = User::new(b"u");
        for r in merge_selector_args(&args).unwrap() {
            u.set_rule(&r).unwrap();
        }
        u
    }

    #[test]
    fn describe_round_trips_random_rules() {
        const RULES: &[&str] = &[
            "on",
            "off",
            "nopass",
            "resetpass",
            ">a",
            ">b",
            "<a",
            "#5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
            "~k*",
            "%R~r*",
            "%W~w*",
            "%RW~rw",
            "allkeys",
            "resetkeys",
            "&c*",
            "&d",
            "allchannels",
            "resetchannels",
            "+@all",
            "-@all",
            "+@read",
            "-@write",
            "+@hash",
            "-@dangerous",
            "+@admin",
            "-@keyspace",
            "+get",
            "-get",
            "+config|get",
            "-config|set",
            "+config",
            "-client",
            "+client|id",
            "+select|0",
            "+select|1",
            "+debug|digest",
            "-debug",
            "(~s* +set)",
            "(%R~x +@read -get)",
            "(&p* +publish)",
            "clearselectors",
            "reset",
            "skip-sanitize-payload",
            "sanitize-payload",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..400 {
            let mut u = User::new(b"u");
            let n = (seed % 12) as usize;
            for _ in 0..n {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let _ = u.set_rule(RULES[(seed % RULES.len() as u64) as usize].as_bytes());
            }
            let d = u.describe();
            let back = reparse(&d);
            assert_eq!(
                String::from_utf8_lossy(&back.describe()),
                String::from_utf8_lossy(&d)
            );
            for (a, b) in back.selectors.iter().zip(&u.selectors) {
                assert_eq!(a.allowed, b.allowed, "{}", String::from_utf8_lossy(&d));
            }
        }
    }

    #[test]
    fn rule_errors_are_redis_texts() {
        let mut u = User::new(b"u");
        let err = |u: &mut User, r: &str| u.set_rule(r.as_bytes()).unwrap_err().to_string();
        assert_eq!(
            err(&mut u, "+nosuch"),
            "Unknown command or category name in ACL"
        );
        assert_eq!(
            err(&mut u, "-@nosuch"),
            "Unknown command or category name in ACL"
        );
        assert_eq!(err(&mut u, "bogus"), "Syntax error");
        assert_eq!(
            err(&mut u, "+config|get|x"),
            "Allowing first-arg of a subcommand is not supported"
        );
        assert_eq!(err(&mut u, "+config|"), "Syntax error");
        assert_eq!(
            err(&mut u, "-select|0"),
            "Unknown command or category name in ACL"
        );
        assert_eq!(err(&mut u, "%X~a"), "Syntax error");
        assert_eq!(err(&mut u, "%"), "Syntax error");
        assert_eq!(err(&mut u, "~a b"), "Syntax error");
        assert!(err(&mut u, "#abc").starts_with("The password hash must be exactly 64"));
        assert!(err(&mut u, "<nopass").starts_with("The password you are trying to remove"));
        u.set_rule(b"allkeys").unwrap();
        assert!(err(&mut u, "~x").contains("'allkeys' flag"));
        u.set_rule(b"allchannels").unwrap();
        assert!(err(&mut u, "&x").contains("'allchannels' flag"));
        // A failing selector adds nothing.
        assert!(u.set_rule(b"(~a +nosuch)").is_err());
        assert_eq!(u.selectors.len(), 1);
    }

    #[test]
    fn command_key_and_channel_checks() {
        let argv = |s: &str| -> Vec<Bytes> {
            s.split(' ')
                .map(|a| Bytes::copy_from_slice(a.as_bytes()))
                .collect()
        };
        let id = |name: &str| command_id(meta::find(name).unwrap()).unwrap();
        let u = user(&[
            "on",
            "%R~r*",
            "%W~w*",
            "~rw*",
            "&ch*",
            "+get",
            "+set",
            "+copy",
            "+publish",
            "+psubscribe",
            "+select|0",
        ]);
        assert_eq!(u.check_command(id("get"), &argv("get r1")), Ok(()));
        assert_eq!(
            u.check_command(id("get"), &argv("get w1")),
            Err((AclDenied::Key, 1))
        );
        assert_eq!(u.check_command(id("set"), &argv("set w1 v")), Ok(()));
        assert_eq!(
            u.check_command(id("set"), &argv("set r1 v")),
            Err((AclDenied::Key, 1))
        );
        assert_eq!(u.check_command(id("copy"), &argv("copy r1 w1")), Ok(()));
        assert_eq!(
            u.check_command(id("copy"), &argv("copy rw1 r1")),
            Err((AclDenied::Key, 2))
        );
        assert_eq!(
            u.check_command(id("del"), &argv("del rw1")),
            Err((AclDenied::Cmd, 0))
        );
        assert_eq!(
            u.check_command(id("publish"), &argv("publish chx m")),
            Ok(())
        );
        assert_eq!(
            u.check_command(id("publish"), &argv("publish x m")),
            Err((AclDenied::Channel, 1))
        );
        // A subscribed pattern must equal an ACL pattern.
        assert_eq!(
            u.check_command(id("psubscribe"), &argv("psubscribe ch*")),
            Ok(())
        );
        assert_eq!(
            u.check_command(id("psubscribe"), &argv("psubscribe ch1*")),
            Err((AclDenied::Channel, 1))
        );
        assert!(check_channel(&u, b"ch1", false));
        assert!(!check_channel(&u, b"ch1*", true));
        // First arguments of a denied command.
        assert_eq!(u.check_command(id("select"), &argv("select 0")), Ok(()));
        assert_eq!(
            u.check_command(id("select"), &argv("select 1")),
            Err((AclDenied::Cmd, 0))
        );
        // AUTH needs no permission.
        assert_eq!(u.check_command(id("auth"), &argv("auth a b")), Ok(()));
        // Selectors: any one allowing the whole command is enough; else the
        // refusal with the highest argv index among the most relevant kind.
        let s = user(&["on", "~a*", "+get", "+mset", "(~b* +set +mset)"]);
        assert_eq!(s.check_command(id("set"), &argv("set b1 v")), Ok(()));
        assert_eq!(
            s.check_command(id("set"), &argv("set a1 v")),
            Err((AclDenied::Key, 1))
        );
        assert_eq!(
            s.check_command(id("mset"), &argv("mset a1 v b1 v")),
            Err((AclDenied::Key, 3))
        );
    }

    #[test]
    fn passwords_and_credentials() {
        let mut u = user(&[">secret", "on"]);
        assert!(u.check_password(b"secret"));
        assert!(!u.check_password(b"other"));
        assert_eq!(
            hash_password(b"password"),
            b"5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"
        );
        u.set_rule(b"off").unwrap();
        assert!(!u.check_password(b"secret"));
        u.set_rule(b"on").unwrap();
        u.set_rule(b"nopass").unwrap();
        assert!(u.check_password(b"anything"));
        assert!(u.password_hashes().is_empty());
    }

    #[test]
    fn selector_arguments_merge() {
        let v = |s: &[&str]| s.iter().map(|a| a.as_bytes().to_vec()).collect::<Vec<_>>();
        assert_eq!(
            merge_selector_args(&v(&["on", "(~a", "+get)", "(~b)"])).unwrap(),
            v(&["on", "(~a +get)", "(~b)"])
        );
        assert_eq!(merge_selector_args(&v(&["on", "(~a", "+get"])), Err(1));
    }
}
