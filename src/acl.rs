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
        if self.allkeys {
            return b"~*".to_vec();
        }
        let mut out = Vec::new();
        for (i, p) in self.patterns.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            p.describe(&mut out);
        }
        out
    }

    /// The channel patterns as ACL GETUSER shows them (`channels` field).
    fn describe_channels(&self) -> Vec<u8> {
        if self.allchannels {
            return b"&*".to_vec();
        }
        let mut out = Vec::new();
        for (i, c) in self.channels.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            out.push(b'&');
            out.extend_from_slice(c);
        }
        out
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

/// The keys of a command with the access each needs: read for `access`,
/// write for `insert`, `delete` and `update` (Redis maps key spec flags so).
fn key_access(m: &CommandMeta, argv: &[Bytes]) -> Vec<(usize, u8)> {
    crate::commands::get_keys(m, argv)
        .into_iter()
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
    let Some(cmd) = srv.commands.cmds.get(cmd_idx) else {
        return Err((AclDenied::Cmd, 0));
    };
    let Some(id) = command_id(cmd.meta) else {
        return Err((AclDenied::Cmd, 0));
    };
    u.check_command(id, argv)
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
            "NOPERM this user has no permissions to access one of the keys used as arguments"
                .into()
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
}
