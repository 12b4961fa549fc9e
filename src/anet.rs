//! Listening sockets and accepting clients (Redis `anet.c` and the accept
//! half of `networking.c`).
//!
//! `bind` takes a list of addresses; an address prefixed with `-` is
//! optional: if it is not available on this host (for example `-::1` without
//! IPv6) it is skipped, as Redis does. `port 0` opens no TCP listener.
//! `unixsocket` adds a Unix listener whose file mode is `unixsocketperm`.
//!
//! Accepting is bounded (`MAX_ACCEPTS_PER_CALL`) per readable event; since
//! mio is edge-triggered, a listener that hit the bound is re-armed by
//! registering it again.

use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};

use mio::{Interest, Token};
use socket2::{Domain, Protocol, SockRef, Socket, TcpKeepalive, Type};

use crate::networking::Conn;
use crate::server::{CLIENT_TOKEN_BASE, Server};

/// Most connections accepted per readable event (Redis `MAX_ACCEPTS_PER_CALL`).
const MAX_ACCEPTS_PER_CALL: usize = 1000;

/// A listening socket.
pub enum Listener {
    Tcp(mio::net::TcpListener),
    Unix(mio::net::UnixListener, String),
    /// A `tls-port` listener: its connections speak TLS (`tls.rs`).
    Tls(mio::net::TcpListener),
}

/// The reply sent to a non-local client while protected mode is on and no
/// password is set (Redis's DENIED message, sent before closing).
const PROTECTED_MODE_MSG: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// Starts a non-blocking TCP connect to `addr` (Redis
/// `anetTcpNonBlockBestEffortBindConnect`): when `source` is a non-empty
/// address (`bind-source-addr`) the socket is bound to it first, port 0;
/// if that bind fails the connect goes ahead unbound ("best effort"). The
/// connect is in progress on return: writability reports its outcome.
/// Errors: an unparsable `source` is ignored as a failed bind; socket and
/// connect errors other than EINPROGRESS are returned.
pub fn tcp_nonblock_best_effort_bind_connect(
    addr: SocketAddr,
    source: &str,
) -> io::Result<mio::net::TcpStream> {
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if !source.is_empty()
        && let Ok(ip) = source.parse::<IpAddr>()
        && ip.is_ipv4() == addr.is_ipv4()
    {
        let _ = sock.bind(&SocketAddr::new(ip, 0).into());
    }
    sock.set_nonblocking(true)?;
    match sock.connect(&addr.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(e),
    }
    Ok(mio::net::TcpStream::from_std(std::net::TcpStream::from(
        sock,
    )))
}

fn tcp_listener(addr: SocketAddr, backlog: i32) -> io::Result<mio::net::TcpListener> {
    let domain = if addr.is_ipv6() {
        Domain::IPV6
    } else {
        Domain::IPV4
    };
    let sock = Socket::new(domain, Type::STREAM, Some(Protocol::TCP))?;
    if addr.is_ipv6() {
        sock.set_only_v6(true)?;
    }
    sock.set_reuse_address(true)?;
    sock.set_nonblocking(true)?;
    sock.bind(&addr.into())?;
    sock.listen(backlog)?;
    Ok(mio::net::TcpListener::from_std(sock.into()))
}

/// Opens the TCP listeners for `port` on every `bind` address (Redis
/// `listenToPort`). Optional (`-`) addresses that do not exist are skipped;
/// an empty `bind` opens none.
/// Err carries the log line explaining the failure. The metrics endpoint
/// (`metrics.rs`) opens its listeners with it too.
pub(crate) fn open_tcp_listeners(
    port: i32,
    bind: &[String],
    backlog: i32,
) -> Result<Vec<mio::net::TcpListener>, String> {
    let mut out = Vec::new();
    // `bind ""` (no address) means no TCP listener at all, as in Redis.
    if port == 0 || bind.is_empty() {
        return Ok(out);
    }
    for b in bind.iter() {
        let (optional, addr) = match b.strip_prefix('-') {
            Some(a) => (true, a.to_string()),
            None => (false, b.clone()),
        };
        let ip: IpAddr = match addr.as_str() {
            "*" => IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
            "::*" => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
            a => match a.parse() {
                Ok(ip) => ip,
                Err(_) => {
                    if optional {
                        continue;
                    }
                    return Err(format!(
                        "Warning: Could not create server TCP listening socket {}:{}: Invalid address",
                        addr, port
                    ));
                }
            },
        };
        match tcp_listener(SocketAddr::new(ip, port as u16), backlog) {
            Ok(l) => out.push(l),
            Err(e) => {
                let unsupported = matches!(
                    e.raw_os_error(),
                    Some(libc::EADDRNOTAVAIL)
                        | Some(libc::EAFNOSUPPORT)
                        | Some(libc::EPROTONOSUPPORT)
                        | Some(libc::ESOCKTNOSUPPORT)
                        | Some(libc::EPFNOSUPPORT)
                        | Some(libc::EINVAL)
                );
                if optional && unsupported {
                    continue;
                }
                return Err(format!(
                    "Warning: Could not create server TCP listening socket {}:{}: bind: {}",
                    addr,
                    port,
                    crate::log::os_error_text(&e)
                ));
            }
        }
    }
    Ok(out)
}

/// Registers every listener with the poller under its index as token.
fn register_listeners(srv: &mut Server) -> Result<(), String> {
    for (i, l) in srv.listeners.iter_mut().enumerate() {
        debug_assert!(i < CLIENT_TOKEN_BASE);
        let reg = srv.el.registry();
        let r = match l {
            Listener::Tcp(t) | Listener::Tls(t) => reg.register(t, Token(i), Interest::READABLE),
            Listener::Unix(u, _) => reg.register(u, Token(i), Interest::READABLE),
        };
        r.map_err(|e| format!("Can't register listener: {}", e))?;
    }
    Ok(())
}

/// Opens every configured listener (TCP per `bind`/`port`, TLS per
/// `bind`/`tls-port`, plus `unixsocket`), configuring TLS first when it is
/// wanted (Redis `initServer`). Err carries the log line explaining the
/// failure; the caller exits.
pub fn listen_to_port(srv: &mut Server) -> Result<(), String> {
    if crate::tls::tls_wanted(&srv.config) {
        match crate::tls::tls_configure(&srv.config) {
            Ok(ctx) => srv.tls_ctx = Some(ctx),
            Err(line) => {
                tracing::warn!("{}", line);
                return Err("Failed to configure TLS. Check logs for more info.".into());
            }
        }
    }
    // TCP, then TLS, each with Redis's "Failed listening" line on failure.
    for tls in [false, true] {
        let port = if tls {
            srv.config.tls_port
        } else {
            srv.config.port
        };
        let ls =
            open_tcp_listeners(port, &srv.config.bind, srv.config.tcp_backlog).map_err(|msg| {
                tracing::warn!("{}", msg);
                format!(
                    "Failed listening on port {} ({}), aborting.",
                    port,
                    if tls { "TLS" } else { "TCP" }
                )
            })?;
        let listening = (port, srv.config.bind.clone());
        if tls {
            srv.listeners.extend(ls.into_iter().map(Listener::Tls));
            srv.tls_listening = listening;
        } else {
            srv.listeners.extend(ls.into_iter().map(Listener::Tcp));
            srv.tcp_listening = listening;
        }
    }
    if !srv.config.unixsocket.is_empty() {
        let path = srv.config.unixsocket.clone();
        let _ = std::fs::remove_file(&path);
        match mio::net::UnixListener::bind(&path) {
            Ok(l) => {
                use std::os::unix::fs::PermissionsExt;
                if srv.config.unixsocketperm != 0 {
                    let _ = std::fs::set_permissions(
                        &path,
                        std::fs::Permissions::from_mode(srv.config.unixsocketperm),
                    );
                }
                srv.listeners.push(Listener::Unix(l, path));
            }
            Err(e) => {
                return Err(format!(
                    "Failed opening Unix socket: {}",
                    crate::log::os_error_text(&e)
                ));
            }
        }
    }
    if srv.listeners.is_empty() {
        return Err("Configured to not listen anywhere, exiting.".into());
    }
    register_listeners(srv)
}

/// Replaces the TCP listeners after CONFIG SET port/bind (Redis
/// `changeListenPort` / `changeBindAddr`). On failure the old listeners stay.
/// Nothing is done when the listeners already match the config, so undoing
/// a failed CONFIG SET by running the hook again is harmless.
pub fn rebind_tcp(srv: &mut Server) -> Result<(), String> {
    let tls_rebind = srv.tls_listening.0 != 0 && srv.tls_listening.1 != srv.config.bind;
    if srv.tcp_listening.0 == srv.config.port && srv.tcp_listening.1 == srv.config.bind {
        return if tls_rebind { rebind_tls(srv) } else { Ok(()) };
    }
    // The old sockets close first, as in Redis's `changeListener`: binding
    // `*` fails while `127.0.0.1` holds the same port. On failure the old
    // addresses are bound again.
    let mut kept = Vec::new();
    for l in srv.listeners.drain(..) {
        match l {
            Listener::Tcp(mut t) => {
                let _ = srv.el.registry().deregister(&mut t);
            }
            Listener::Unix(mut u, p) => {
                let _ = srv.el.registry().deregister(&mut u);
                kept.push(Listener::Unix(u, p));
            }
            Listener::Tls(mut t) => {
                let _ = srv.el.registry().deregister(&mut t);
                kept.push(Listener::Tls(t));
            }
        }
    }
    let new = match open_tcp_listeners(srv.config.port, &srv.config.bind, srv.config.tcp_backlog) {
        Ok(new) => new,
        Err(e) => {
            let (old_port, old_bind) = srv.tcp_listening.clone();
            if let Ok(old) = open_tcp_listeners(old_port, &old_bind, srv.config.tcp_backlog) {
                srv.listeners.extend(old.into_iter().map(Listener::Tcp));
            }
            srv.listeners.extend(kept);
            let _ = register_listeners(srv);
            return Err(e);
        }
    };
    srv.listeners.extend(new.into_iter().map(Listener::Tcp));
    srv.listeners.extend(kept);
    srv.tcp_listening = (srv.config.port, srv.config.bind.clone());
    register_listeners(srv)?;
    if tls_rebind { rebind_tls(srv) } else { Ok(()) }
}

/// Replaces the TLS listeners after CONFIG SET tls-port (or bind), as
/// [`rebind_tcp`] does for the TCP ones (Redis `changeListenPort` with the
/// TLS sockets): `tls-port 0` closes them; on failure the old ones are
/// opened again and Err has the log line.
pub fn rebind_tls(srv: &mut Server) -> Result<(), String> {
    if srv.tls_listening.0 == srv.config.tls_port && srv.tls_listening.1 == srv.config.bind {
        return Ok(());
    }
    let mut kept = Vec::new();
    for l in srv.listeners.drain(..) {
        match l {
            Listener::Tls(mut t) => {
                let _ = srv.el.registry().deregister(&mut t);
            }
            Listener::Tcp(mut t) => {
                let _ = srv.el.registry().deregister(&mut t);
                kept.push(Listener::Tcp(t));
            }
            Listener::Unix(mut u, p) => {
                let _ = srv.el.registry().deregister(&mut u);
                kept.push(Listener::Unix(u, p));
            }
        }
    }
    let result = open_tcp_listeners(
        srv.config.tls_port,
        &srv.config.bind,
        srv.config.tcp_backlog,
    );
    srv.listeners.extend(kept);
    let result = match result {
        Ok(new) => {
            srv.listeners.extend(new.into_iter().map(Listener::Tls));
            srv.tls_listening = (srv.config.tls_port, srv.config.bind.clone());
            Ok(())
        }
        Err(e) => {
            let (old_port, old_bind) = srv.tls_listening.clone();
            if let Ok(old) = open_tcp_listeners(old_port, &old_bind, srv.config.tcp_backlog) {
                srv.listeners.extend(old.into_iter().map(Listener::Tls));
            }
            Err(e)
        }
    };
    register_listeners(srv)?;
    crate::setproctitle::redis_set_proc_title(srv);
    result
}

/// Closes listeners and removes the Unix socket file (Redis `closeListeningSockets`).
pub fn close_listening_sockets(srv: &mut Server) {
    for l in srv.listeners.drain(..) {
        if let Listener::Unix(_, path) = l {
            tracing::info!("Removing the unix socket file.");
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Accepts pending connections on listener `idx` (Redis `acceptTcpHandler` /
/// `acceptUnixHandler` + `acceptCommonHandler`).
///
/// Refuses with `-ERR max number of clients reached` past `maxclients`, and
/// with the DENIED message for non-loopback peers in protected mode while the
/// default user is `nopass`.
pub fn accept_handler(srv: &mut Server, idx: usize) {
    for n in 0..MAX_ACCEPTS_PER_CALL {
        let accepted = match srv.listeners.get(idx) {
            Some(Listener::Tcp(l)) => l.accept().map(|(s, peer)| {
                let laddr = s.local_addr().map(|a| fmt_addr(&a)).unwrap_or_default();
                (Some(Conn::Tcp(s)), fmt_addr(&peer), laddr, Some(peer.ip()))
            }),
            Some(Listener::Tls(l)) => l.accept().map(|(s, peer)| {
                let laddr = s.local_addr().map(|a| fmt_addr(&a)).unwrap_or_default();
                // Redis reads `tls-auth-clients` for each new connection.
                let cfg = srv
                    .tls_ctx
                    .as_ref()
                    .and_then(|ctx| ctx.server_config(srv.config.tls_auth_clients));
                let conn = match cfg.map(|cfg| crate::tls::TlsStream::new(s, cfg)) {
                    Some(Ok(t)) => Some(Conn::Tls(Box::new(t))),
                    Some(Err(e)) => {
                        tracing::warn!("Error creating a TLS connection: {}", e);
                        None
                    }
                    None => {
                        tracing::warn!(
                            "Error accepting a client connection: tls-auth-clients needs tls-ca-cert-file or tls-ca-cert-dir"
                        );
                        None
                    }
                };
                (conn, fmt_addr(&peer), laddr, Some(peer.ip()))
            }),
            Some(Listener::Unix(l, path)) => {
                let path = path.clone();
                l.accept().map(|(s, _)| {
                    (
                        Some(Conn::Unix(s)),
                        format!("{}:0", path),
                        format!("{}:0", path),
                        None,
                    )
                })
            }
            None => return,
        };
        match accepted {
            Ok((Some(conn), addr, laddr, peer_ip)) => {
                accept_common(srv, conn, addr, laddr, peer_ip)
            }
            // Refused before it became a client (logged); the socket closes.
            Ok((None, ..)) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                tracing::warn!("Accepting client connection: {}", e);
                return;
            }
        }
        if n + 1 == MAX_ACCEPTS_PER_CALL {
            // Edge-triggered: re-arm so the remaining connections are seen next turn.
            let r = match &mut srv.listeners[idx] {
                Listener::Tcp(t) | Listener::Tls(t) => {
                    srv.el
                        .registry()
                        .reregister(t, Token(idx), Interest::READABLE)
                }
                Listener::Unix(u, _) => {
                    srv.el
                        .registry()
                        .reregister(u, Token(idx), Interest::READABLE)
                }
            };
            if let Err(e) = r {
                tracing::warn!("Re-arming listener: {}", e);
            }
        }
    }
}

fn fmt_addr(a: &SocketAddr) -> String {
    match a {
        SocketAddr::V4(v) => format!("{}:{}", v.ip(), v.port()),
        SocketAddr::V6(v) => format!("{}:{}", v.ip(), v.port()),
    }
}

fn accept_common(
    srv: &mut Server,
    mut conn: Conn,
    addr: String,
    laddr: String,
    peer_ip: Option<IpAddr>,
) {
    if let Some(s) = conn.tcp() {
        let _ = s.set_nodelay(true);
        if srv.config.tcp_keepalive > 0 {
            let ka = TcpKeepalive::new().with_time(std::time::Duration::from_secs(
                srv.config.tcp_keepalive as u64,
            ));
            // Probes every third of the idle time, 3 of them (Redis
            // `anetKeepAlive`: the peer is dropped about twice the idle time
            // after it went silent).
            let ka = ka
                .with_interval(std::time::Duration::from_secs(
                    (srv.config.tcp_keepalive as u64 / 3).max(1),
                ))
                .with_retries(3);
            let _ = SockRef::from(s).set_tcp_keepalive(&ka);
        }
    }
    if srv.connected_clients >= srv.config.maxclients as usize {
        write_and_drop(&mut conn, b"-ERR max number of clients reached\r\n");
        srv.stat_rejected_conn += 1;
        return;
    }
    // Protected mode guards a default user without a password (Redis
    // `acceptCommonHandler`): `nopass`, whether or not it is on.
    if srv.config.protected_mode
        && srv.acl.default_user.borrow().is_nopass()
        && let Some(ip) = peer_ip
    {
        // Redis compares the text: only 127.0.0.1 and ::1 count as local.
        let local = ip == IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
            || ip == IpAddr::V6(std::net::Ipv6Addr::LOCALHOST);
        if !local {
            write_and_drop(&mut conn, PROTECTED_MODE_MSG.as_bytes());
            srv.stat_rejected_conn += 1;
            return;
        }
    }
    let unix = matches!(conn, Conn::Unix(_));
    if srv.add_client(conn, addr.clone(), laddr, unix).is_some() {
        tracing::debug!("Accepted {}", addr);
    }
}

fn write_and_drop(conn: &mut Conn, msg: &[u8]) {
    // Best effort, like Redis: a fresh socket's buffer takes a short message.
    let _ = match conn {
        Conn::Tcp(s) => s.write(msg),
        Conn::Unix(s) => s.write(msg),
        // Before the handshake nothing can be said: the socket just closes.
        Conn::Tls(t) => {
            t.write_best_effort(msg);
            Ok(0)
        }
    };
}
