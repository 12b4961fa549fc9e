//! Connection and server commands (Redis `server.c`, `networking.c`,
//! `config.c`): PING, ECHO, QUIT, RESET, AUTH, HELLO, TIME,
//! SHUTDOWN, CLIENT and CONFIG. DEBUG lives in `debug.rs`.
//!
//! Handlers that look at every client (CLIENT LIST, CLIENT KILL) handle the
//! current client explicitly: it is out of the client table while it runs.

use crate::acl::{AclDenied, AclLogContext};
use crate::config::ProtectedAction;
use crate::networking::{
    self, CLIENT_CLOSE_AFTER_REPLY, CLIENT_NO_EVICT, CLIENT_REPLY_OFF, CLIENT_REPLY_SKIP,
    CLIENT_REPLY_SKIP_NEXT, CLIENT_UNIX_SOCKET, Client,
};
use crate::server::Server;
use crate::shared;
use crate::util::string2ll;

/// The Redis version whose behaviour rustredis implements.
pub const REDIS_VERSION: &str = "7.0.15";

// ---- PING / ECHO / QUIT / TIME ----

/// PING [message] → `+PONG` or the message as a bulk string; in RESP2
/// Pub/Sub mode a 2-element array `pong`, message (empty without one).
pub fn ping_command(_srv: &mut Server, c: &mut Client) {
    if c.argv.len() > 2 {
        c.add_reply_error(&shared::err_wrong_arity("ping"));
        return;
    }
    if c.flags & networking::CLIENT_PUBSUB != 0 && c.resp == 2 {
        c.add_reply_array_len(2);
        c.add_reply_bulk(b"pong");
        let m = c.argv.get(1).cloned().unwrap_or_default();
        c.add_reply_bulk(&m);
    } else if c.argv.len() == 1 {
        c.add_reply_status("PONG");
    } else {
        let m = c.argv[1].clone();
        c.add_reply_bulk(&m);
    }
}

/// ECHO message → the message.
pub fn echo_command(_srv: &mut Server, c: &mut Client) {
    let m = c.argv[1].clone();
    c.add_reply_bulk(&m);
}

/// QUIT → OK, then the connection closes (normally handled in `process_command`).
pub fn quit_command(_srv: &mut Server, c: &mut Client) {
    c.add_reply_ok();
    c.flags |= CLIENT_CLOSE_AFTER_REPLY;
}

/// TIME → [unix seconds, microseconds] as bulk strings.
pub fn time_command(_srv: &mut Server, c: &mut Client) {
    let us = crate::util::ustime();
    c.add_reply_array_len(2);
    c.add_reply_bulk_long_long(us / 1_000_000);
    c.add_reply_bulk_long_long(us % 1_000_000);
}

// ---- AUTH / HELLO / RESET ----

/// Redis `ACLAuthenticateUser`: when `pass` authenticates `username`
/// ([`crate::acl::check_user_credentials`]) the client runs as that user
/// from now on and is authenticated; otherwise an ACL LOG `auth` entry is
/// added (context `multi` inside a transaction, else `toplevel`; object the
/// command name as typed) and false is returned.
fn authenticate_user(srv: &mut Server, c: &mut Client, username: &[u8], pass: &[u8]) -> bool {
    if let Some(u) = crate::acl::check_user_credentials(srv, username, pass) {
        c.authenticated = true;
        c.user = Some(u);
        return true;
    }
    let ctx = if c.flags & networking::CLIENT_MULTI != 0 {
        AclLogContext::Multi
    } else {
        AclLogContext::Toplevel
    };
    crate::acl::add_log_entry(srv, c, AclDenied::Auth, ctx, 0, Some(username), None);
    false
}

/// Puts a client back to the default user, authenticated only when that
/// user is `nopass` and enabled (Redis `clientSetDefaultAuth`).
pub fn client_set_default_auth(srv: &Server, c: &mut Client) {
    let u = srv.acl.default_user.clone();
    c.authenticated = {
        let d = u.borrow();
        d.is_nopass() && d.is_enabled()
    };
    c.user = Some(u);
}

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// AUTH [username] password → OK, the client now runs as that user (Redis
/// `authCommand`). The one-argument form names the `default` user.
/// Errors: `WRONGPASS invalid username-password pair or user is disabled.`
/// (also an ACL LOG `auth` entry), a syntax error over three arguments, and
/// for the one-argument form while the default user is `nopass`: `ERR
/// AUTH <password> called without any password configured for the default
/// user. Are you sure your configuration is correct?`. Passwords are
/// redacted from MONITOR and the slow log.
pub fn auth_command(srv: &mut Server, c: &mut Client) {
    if c.argv.len() > 3 {
        c.add_reply_error(shared::err_syntax());
        return;
    }
    c.redact_client_command_argument(1);
    let (user, pass) = if c.argv.len() == 2 {
        if srv.acl.default_user.borrow().is_nopass() {
            c.add_reply_error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
            return;
        }
        (bytes::Bytes::from_static(b"default"), c.argv[1].clone())
    } else {
        c.redact_client_command_argument(2);
        (c.argv[1].clone(), c.argv[2].clone())
    };
    if authenticate_user(srv, c, &user, &pass) {
        c.add_reply_ok();
    } else {
        c.add_reply_error(WRONGPASS);
    }
}

/// Validates a client name (Redis `clientSetNameOrReply`); empty clears it.
fn set_client_name_or_reply(c: &mut Client, name: &bytes::Bytes) -> bool {
    if name.is_empty() {
        c.name = None;
        return true;
    }
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        c.add_reply_error(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        );
        return false;
    }
    c.name = Some(name.clone());
    true
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]] → map of
/// server facts; switches the connection to RESP2 or RESP3.
pub fn hello_command(srv: &mut Server, c: &mut Client) {
    let mut ver = 0i64;
    let mut next = 1;
    if c.argv.len() >= 2 {
        match string2ll(&c.argv[1]) {
            Some(v) => ver = v,
            None => {
                c.add_reply_error("ERR Protocol version is not an integer or out of range");
                return;
            }
        }
        next = 2;
        if !(2..=3).contains(&ver) {
            c.add_reply_error("NOPROTO unsupported protocol version");
            return;
        }
    }
    // Redis 7.0 applies AUTH and SETNAME as it reads them.
    let mut j = next;
    while j < c.argv.len() {
        let more = c.argv.len() - 1 - j;
        let opt = c.argv[j].clone();
        if opt.eq_ignore_ascii_case(b"auth") && more >= 2 {
            c.redact_client_command_argument(j + 1);
            c.redact_client_command_argument(j + 2);
            let (user, pass) = (c.argv[j + 1].clone(), c.argv[j + 2].clone());
            if !authenticate_user(srv, c, &user, &pass) {
                c.add_reply_error(WRONGPASS);
                return;
            }
            j += 3;
        } else if opt.eq_ignore_ascii_case(b"setname") && more >= 1 {
            let n = c.argv[j + 1].clone();
            if !set_client_name_or_reply(c, &n) {
                return;
            }
            j += 2;
        } else {
            let msg = format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(&opt)
            );
            c.add_reply_error(&msg);
            return;
        }
    }
    // Redis looks at the client's own flag here, not at whether the
    // default user needs a password now.
    if !c.authenticated {
        c.add_reply_error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
        return;
    }
    if ver != 0 {
        c.resp = ver as u8;
    }
    c.add_reply_map_len(7);
    c.add_reply_bulk(b"server");
    c.add_reply_bulk(b"redis");
    c.add_reply_bulk(b"version");
    c.add_reply_bulk(REDIS_VERSION.as_bytes());
    c.add_reply_bulk(b"proto");
    c.add_reply_long_long(c.resp as i64);
    c.add_reply_bulk(b"id");
    c.add_reply_long_long(c.id as i64);
    c.add_reply_bulk(b"mode");
    c.add_reply_bulk(b"standalone");
    c.add_reply_bulk(b"role");
    c.add_reply_bulk(if srv.repl.masterhost.is_some() {
        b"replica"
    } else {
        b"master"
    });
    c.add_reply_bulk(b"modules");
    c.add_reply_array_len(0);
}

/// RESET → `+RESET`: back to db 0, RESP2, no name, replies on, no
/// subscriptions, the default user again, authenticated only when it is
/// `nopass` and on (Redis `clearClientConnectionState`).
pub fn reset_command(srv: &mut Server, c: &mut Client) {
    crate::tracking::disable_tracking(srv, c);
    crate::multi::discard_transaction(srv, c);
    crate::pubsub::free_client_pubsub_state(srv, c);
    c.db = 0;
    c.resp = 2;
    c.name = None;
    c.flags &= !(CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP | CLIENT_REPLY_SKIP_NEXT | CLIENT_NO_EVICT);
    client_set_default_auth(srv, c);
    c.add_reply_status("RESET");
}

// ---- CLIENT ----

/// The CLIENT LIST / CLIENT KILL TYPE name of a client's class
/// ([`networking::get_client_type`]).
fn client_type_name(c: &Client) -> &'static str {
    // Our master and the replicas attached to us, as Redis `getClientType`.
    if c.flags & crate::replication::CLIENT_MASTER != 0 {
        return "master";
    }
    if c.flags & crate::replication::CLIENT_SLAVE != 0 {
        return "replica";
    }
    match networking::get_client_type(c) {
        crate::config::CLIENT_TYPE_PUBSUB => "pubsub",
        crate::config::CLIENT_TYPE_REPLICA => "replica",
        _ => "normal",
    }
}

/// The CLIENT LIST / CLIENT INFO line of a client (Redis `catClientInfoString`), without newline.
pub fn client_info_string(srv: &Server, c: &Client) -> String {
    let now = srv.mstime;
    let mut flags = String::new();
    if c.flags & crate::replication::CLIENT_SLAVE != 0 && c.flags & networking::CLIENT_MONITOR == 0
    {
        flags.push('S');
    }
    if c.flags & networking::CLIENT_MONITOR != 0 {
        flags.push('O');
    }
    if c.flags & crate::replication::CLIENT_MASTER != 0 {
        flags.push('M');
    }
    if c.flags & networking::CLIENT_PUBSUB != 0 {
        flags.push('P');
    }
    if c.flags & networking::CLIENT_MULTI != 0 {
        flags.push('x');
    }
    if c.flags & networking::CLIENT_BLOCKED != 0 {
        flags.push('b');
    }
    if c.flags & networking::CLIENT_TRACKING != 0 {
        flags.push('t');
    }
    if c.flags & networking::CLIENT_TRACKING_BROKEN_REDIR != 0 {
        flags.push('R');
    }
    if c.flags & networking::CLIENT_TRACKING_BCAST != 0 {
        flags.push('B');
    }
    if crate::multi::is_dirty_cas(srv, c.id) {
        flags.push('d');
    }
    if c.flags & CLIENT_CLOSE_AFTER_REPLY != 0 {
        flags.push('c');
    }
    if c.flags & networking::CLIENT_UNBLOCKED != 0 {
        flags.push('u');
    }
    if c.flags & networking::CLIENT_CLOSE_ASAP != 0 {
        flags.push('A');
    }
    if c.flags & CLIENT_UNIX_SOCKET != 0 {
        flags.push('U');
    }
    if c.flags & CLIENT_NO_EVICT != 0 {
        flags.push('e');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let events = if c.write_registered { "rw" } else { "r" };
    let cmd = c
        .lastcmd
        .map(|i| srv.commands.cmds[i].fullname.as_str())
        .unwrap_or("NULL");
    let argv_mem: usize = c.argv.iter().map(|a| a.len()).sum();
    // The running client's query buffer still holds its command (`qb_pos`).
    let qbuf = c.querybuf.len() + c.qb_pos;
    let qbuf_free = c.querybuf.capacity() - c.querybuf.len();
    // As Redis accounts it: the first `rbs` bytes of unsent replies sit in
    // the reply buffer (`obl`), the rest in 16 KiB list nodes (`oll`, `omem`).
    let omem = networking::get_client_output_buffer_memory_usage(srv, c);
    let (obl, oll) = if c.flags & crate::replication::CLIENT_SLAVE != 0 {
        // A replica's output is blocks of the shared replication buffer.
        (0, crate::replication::master::replica_used_blocks(srv, c))
    } else {
        (
            c.reply_bytes - omem,
            omem.div_ceil(networking::PROTO_REPLY_CHUNK_BYTES),
        )
    };
    let name = c
        .name
        .as_ref()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_default();
    // Clients without a user (the AOF loader) run as Redis's superuser.
    let user = c.user.as_ref().map_or_else(
        || "(superuser)".to_string(),
        |u| String::from_utf8_lossy(&u.borrow().name).into_owned(),
    );
    let mut s = format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} oll={} omem={} tot-mem={} events={} cmd={} user={} redir={} resp={}",
        c.id,
        c.addr,
        c.laddr,
        c.fd,
        name,
        (now - c.ctime) / 1000,
        (now - c.lastinteraction) / 1000,
        flags,
        c.db,
        c.pubsub.channels.len(),
        c.pubsub.patterns.len(),
        c.pubsub.shard_channels.len(),
        if c.flags & networking::CLIENT_MULTI != 0 {
            c.mstate.commands.len() as i64
        } else {
            -1
        },
        qbuf,
        qbuf_free,
        argv_mem,
        crate::multi::multi_mem(c),
        c.buf_usable_size,
        c.buf_peak,
        obl,
        oll,
        omem,
        networking::get_client_memory_usage(srv, c),
        events,
        cmd,
        user,
        crate::tracking::redirect_id(c),
        c.resp
    );
    if let Some(n) = &c.lib_name {
        s.push_str(&format!(" lib-name={}", String::from_utf8_lossy(n)));
    }
    if let Some(v) = &c.lib_ver {
        s.push_str(&format!(" lib-ver={}", String::from_utf8_lossy(v)));
    }
    s
}

/// CLIENT ID → integer.
pub fn client_id_command(_srv: &mut Server, c: &mut Client) {
    c.add_reply_long_long(c.id as i64);
}

/// CLIENT SETNAME name → OK. Error for names with spaces or control chars.
pub fn client_setname_command(_srv: &mut Server, c: &mut Client) {
    let n = c.argv[2].clone();
    if set_client_name_or_reply(c, &n) {
        c.add_reply_ok();
    }
}

/// CLIENT GETNAME → the name or null.
pub fn client_getname_command(_srv: &mut Server, c: &mut Client) {
    match c.name.clone() {
        Some(n) => c.add_reply_bulk(&n),
        None => c.add_reply_null(),
    }
}

/// CLIENT INFO → verbatim text: this client's line plus "\n".
pub fn client_info_command(srv: &mut Server, c: &mut Client) {
    let mut s = client_info_string(srv, c);
    s.push('\n');
    c.add_reply_verbatim(s.as_bytes(), "txt");
}

/// Parses a CLIENT LIST / CLIENT KILL type name ("slave" is "replica");
/// replies "ERR Unknown client type '<t>'" and returns None otherwise.
fn parse_client_type_or_reply(c: &mut Client, t: &[u8]) -> Option<String> {
    let lower = String::from_utf8_lossy(t).to_lowercase();
    if !["normal", "master", "replica", "slave", "pubsub"].contains(&lower.as_str()) {
        c.add_reply_error_arg("ERR Unknown client type '", t, "'");
        return None;
    }
    Some(if lower == "slave" {
        "replica".into()
    } else {
        lower
    })
}

/// CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id ...] → verbatim text, one line per client.
pub fn client_list_command(srv: &mut Server, c: &mut Client) {
    let mut type_filter: Option<String> = None;
    let mut ids: Option<Vec<u64>> = None;
    if c.argv.len() == 4 && c.argv[2].eq_ignore_ascii_case(b"type") {
        let t = c.argv[3].clone();
        let Some(t) = parse_client_type_or_reply(c, &t) else {
            return;
        };
        type_filter = Some(t);
    } else if c.argv.len() > 3 && c.argv[2].eq_ignore_ascii_case(b"id") {
        let mut v = Vec::new();
        for a in &c.argv[3..] {
            // Any integer is accepted; ids below 1 match nobody.
            match string2ll(a) {
                Some(id) => v.push(id.max(0) as u64),
                None => {
                    c.add_reply_error("ERR Invalid client ID");
                    return;
                }
            }
        }
        ids = Some(v);
    } else if c.argv.len() != 2 {
        c.add_reply_error(shared::err_syntax());
        return;
    }
    let mut lines: Vec<(u64, String)> = Vec::new();
    let keep = |cl: &Client| -> bool {
        if let Some(t) = &type_filter
            && client_type_name(cl) != t
        {
            return false;
        }
        if let Some(ids) = &ids {
            return ids.contains(&cl.id);
        }
        true
    };
    for cl in srv.clients_iter() {
        if keep(cl) {
            lines.push((cl.id, client_info_string(srv, cl)));
        }
    }
    if keep(c) {
        lines.push((c.id, client_info_string(srv, c)));
    }
    lines.sort_by_key(|(id, _)| *id);
    let mut out = String::new();
    for (_, l) in lines {
        out.push_str(&l);
        out.push('\n');
    }
    c.add_reply_verbatim(out.as_bytes(), "txt");
}

/// CLIENT KILL addr:port → OK, or CLIENT KILL [ID id] [TYPE t] [USER u]
/// [ADDR a] [LADDR a] [SKIPME yes|no] → integer: clients killed.
pub fn client_kill_command(srv: &mut Server, c: &mut Client) {
    let mut id: Option<u64> = None;
    let mut typ: Option<String> = None;
    let mut addr: Option<Vec<u8>> = None;
    let mut laddr: Option<Vec<u8>> = None;
    let mut user: Option<crate::acl::UserRef> = None;
    let mut skipme = true;
    let old_style = c.argv.len() == 3;
    if old_style {
        addr = Some(c.argv[2].to_vec());
        skipme = false;
    } else if c.argv.len() > 3 && c.argv.len().is_multiple_of(2) {
        let mut i = 2;
        while i < c.argv.len() {
            let opt = c.argv[i].clone();
            let val = c.argv[i + 1].clone();
            if opt.eq_ignore_ascii_case(b"id") {
                match string2ll(&val) {
                    Some(v) if v >= 1 => id = Some(v as u64),
                    _ => {
                        c.add_reply_error("ERR client-id should be greater than 0");
                        return;
                    }
                }
            } else if opt.eq_ignore_ascii_case(b"type") {
                let Some(t) = parse_client_type_or_reply(c, &val) else {
                    return;
                };
                typ = Some(t);
            } else if opt.eq_ignore_ascii_case(b"addr") {
                addr = Some(val.to_vec());
            } else if opt.eq_ignore_ascii_case(b"laddr") {
                laddr = Some(val.to_vec());
            } else if opt.eq_ignore_ascii_case(b"user") {
                let Some(u) = srv.acl.get_user(&val) else {
                    c.add_reply_error_arg("ERR No such user '", &val, "'");
                    return;
                };
                user = Some(u);
            } else if opt.eq_ignore_ascii_case(b"skipme") {
                if val.eq_ignore_ascii_case(b"yes") {
                    skipme = true;
                } else if val.eq_ignore_ascii_case(b"no") {
                    skipme = false;
                } else {
                    c.add_reply_error(shared::err_syntax());
                    return;
                }
            } else {
                c.add_reply_error(shared::err_syntax());
                return;
            }
            i += 2;
        }
    } else {
        c.add_reply_error(shared::err_syntax());
        return;
    }
    let matches = |cl: &Client| -> bool {
        if let Some(a) = &addr
            && cl.addr.as_bytes() != &a[..]
        {
            return false;
        }
        if let Some(a) = &laddr
            && cl.laddr.as_bytes() != &a[..]
        {
            return false;
        }
        if let Some(i) = id
            && cl.id != i
        {
            return false;
        }
        if let Some(t) = &typ
            && client_type_name(cl) != t
        {
            return false;
        }
        if let Some(u) = &user
            && !cl
                .user
                .as_ref()
                .is_some_and(|cu| std::rc::Rc::ptr_eq(cu, u))
        {
            return false;
        }
        true
    };
    let victims: Vec<usize> = srv
        .clients_iter()
        .filter(|cl| matches(cl))
        .map(|cl| cl.slot)
        .collect();
    let mut killed = victims.len() as i64;
    // Other clients are closed at once, as Redis's `freeClient` does: a
    // replica or master link is gone before this reply leaves, so whoever
    // reads the reply sees the link down.
    for slot in victims {
        if let Some(victim) = srv.take_client(slot) {
            srv.free_client(victim);
        }
    }
    let kill_self = !skipme && matches(c);
    if kill_self {
        killed += 1;
    }
    if old_style {
        if killed == 0 {
            c.add_reply_error("ERR No such client");
        } else {
            c.add_reply_ok();
        }
    } else {
        c.add_reply_long_long(killed);
    }
    if kill_self {
        c.flags |= CLIENT_CLOSE_AFTER_REPLY;
    }
}

/// CLIENT SETINFO LIB-NAME|LIB-VER value → OK (Redis 7.2, accepted for redis-py 5+).
pub fn client_setinfo_command(_srv: &mut Server, c: &mut Client) {
    let attr = c.argv[2].clone();
    let val = c.argv[3].clone();
    let is_name = attr.eq_ignore_ascii_case(b"lib-name");
    if !is_name && !attr.eq_ignore_ascii_case(b"lib-ver") {
        let msg = format!(
            "ERR Unrecognized option '{}'",
            String::from_utf8_lossy(&attr)
        );
        c.add_reply_error(&msg);
        return;
    }
    if val.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        let msg = format!(
            "ERR {} cannot contain spaces, newlines or special characters.",
            String::from_utf8_lossy(&attr)
        );
        c.add_reply_error(&msg);
        return;
    }
    let v = if val.is_empty() { None } else { Some(val) };
    if is_name {
        c.lib_name = v
    } else {
        c.lib_ver = v
    }
    c.add_reply_ok();
}

/// CLIENT REPLY ON|OFF|SKIP → OK for ON; nothing for OFF and SKIP.
pub fn client_reply_command(_srv: &mut Server, c: &mut Client) {
    let a = c.argv[2].clone();
    if a.eq_ignore_ascii_case(b"on") {
        c.flags &= !(CLIENT_REPLY_SKIP | CLIENT_REPLY_OFF);
        c.add_reply_ok();
    } else if a.eq_ignore_ascii_case(b"off") {
        c.flags |= CLIENT_REPLY_OFF;
    } else if a.eq_ignore_ascii_case(b"skip") {
        if c.flags & CLIENT_REPLY_OFF == 0 {
            c.flags |= CLIENT_REPLY_SKIP_NEXT;
        }
    } else {
        c.add_reply_error(shared::err_syntax());
    }
}

/// CLIENT NO-EVICT ON|OFF → OK.
pub fn client_no_evict_command(srv: &mut Server, c: &mut Client) {
    let a = c.argv[2].clone();
    if a.eq_ignore_ascii_case(b"on") {
        c.flags |= CLIENT_NO_EVICT;
        networking::update_client_mem_usage_if_tracked(srv, c);
        c.add_reply_ok();
    } else if a.eq_ignore_ascii_case(b"off") {
        c.flags &= !CLIENT_NO_EVICT;
        networking::update_client_mem_usage_if_tracked(srv, c);
        c.add_reply_ok();
    } else {
        c.add_reply_error(shared::err_syntax());
    }
}

/// CLIENT HELP → help lines.
pub fn client_help_command(_srv: &mut Server, c: &mut Client) {
    c.add_reply_help(
        "client",
        &[
            "CACHING (YES|NO)",
            "    Record (YES, in OPTIN mode) or skip (NO, in OPTOUT mode) the keys of the next command.",
            "GETREDIR",
            "    Return the id invalidations are redirected to while tracking (0: none, -1: not tracking).",
            "GETNAME",
            "    Return the name of this connection.",
            "ID",
            "    Return the id of this connection.",
            "INFO",
            "    Return information about this connection.",
            "KILL <ip:port>",
            "    Close the connection from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Close the connections matching all filters: ID, TYPE, USER, ADDR, LADDR, SKIPME.",
            "LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB)] [ID <id> ...]",
            "    Return information about the connections.",
            "NO-EVICT (ON|OFF)",
            "    Protect this connection from client eviction.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Hold the commands of all clients (ALL) or only writes (WRITE) for <timeout> ms.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to this connection.",
            "SETINFO (LIB-NAME|LIB-VER) <value>",
            "    Record the client library's name or version.",
            "SETNAME <name>",
            "    Name this connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    End the blocking command of the client <clientid>.",
            "UNPAUSE",
            "    End a pause started with CLIENT PAUSE.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Turn client-side caching invalidations on or off.",
            "TRACKINGINFO",
            "    Report the tracking state of this connection.",
        ],
    );
}

/// True for Unix-socket clients and loopback peers (Redis `islocalClient`).
pub fn is_local_client(c: &Client) -> bool {
    c.flags & CLIENT_UNIX_SOCKET != 0
        || c.addr.starts_with("127.0.0.1:")
        || c.addr.starts_with("::1:")
}

// ---- SHUTDOWN ----

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT] (Redis `shutdownCommand`):
/// exits with no reply on success. Without NOW, while replicas lag, the
/// client stays blocked until the shutdown ends (see
/// [`crate::server::prepare_for_shutdown`]); a second SHUTDOWN then just
/// blocks too. ABORT cancels a shutdown in progress and answers `+OK`.
/// Errors: syntax (unknown option, ABORT with another, SAVE with NOSAVE),
/// `ERR No shutdown in progress.`, `ERR SHUTDOWN without NOW or ABORT isn't
/// allowed for DENY BLOCKING client`, a busy script's BUSY error (unless
/// NOSAVE), `ERR Errors trying to SHUTDOWN. Check logs.` when it failed.
pub fn shutdown_command(srv: &mut Server, c: &mut Client) {
    use crate::config::{SHUTDOWN_FORCE, SHUTDOWN_NOSAVE, SHUTDOWN_NOW, SHUTDOWN_SAVE};
    let mut flags = 0u32;
    let mut abort = false;
    for a in c.argv[1..].iter() {
        if a.eq_ignore_ascii_case(b"nosave") {
            flags |= SHUTDOWN_NOSAVE;
        } else if a.eq_ignore_ascii_case(b"save") {
            flags |= SHUTDOWN_SAVE;
        } else if a.eq_ignore_ascii_case(b"now") {
            flags |= SHUTDOWN_NOW;
        } else if a.eq_ignore_ascii_case(b"force") {
            flags |= SHUTDOWN_FORCE;
        } else if a.eq_ignore_ascii_case(b"abort") {
            abort = true;
        } else {
            c.add_reply_error(shared::err_syntax());
            return;
        }
    }
    if (abort && flags != 0) || (flags & SHUTDOWN_SAVE != 0 && flags & SHUTDOWN_NOSAVE != 0) {
        c.add_reply_error(shared::err_syntax());
        return;
    }
    if abort {
        if crate::server::abort_shutdown(srv) {
            c.add_reply_ok();
        } else {
            c.add_reply_error("ERR No shutdown in progress.");
        }
        return;
    }
    if flags & SHUTDOWN_NOW == 0 && !crate::blocked::client_may_block(c) {
        c.add_reply_error(
            "ERR SHUTDOWN without NOW or ABORT isn't allowed for DENY BLOCKING client",
        );
        return;
    }
    if flags & SHUTDOWN_NOSAVE == 0
        && let Some(err) = crate::script::busy_error(srv)
    {
        c.add_reply_error(err);
        return;
    }
    if crate::server::prepare_for_shutdown(srv, flags) {
        srv.exit_code = Some(0);
        c.flags |= CLIENT_CLOSE_AFTER_REPLY;
    } else if crate::server::is_shutdown_initiated(srv) {
        // Waiting for replicas (this one's or an earlier SHUTDOWN's).
        crate::blocked::block_for_keys(srv, c, crate::blocked::BlockType::Shutdown, &[], 0);
    } else {
        c.add_reply_error("ERR Errors trying to SHUTDOWN. Check logs.");
    }
}

// ---- Protected commands ----

/// Whether a protected command may run for this client (Redis `allowProtectedAction`).
pub fn allow_protected_action(setting: ProtectedAction, c: &Client) -> bool {
    setting.allows(is_local_client(c))
}
