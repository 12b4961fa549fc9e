//! Networking directives: `maxclients`, `timeout`, `unixsocket` with
//! `unixsocketperm`, `bind`/`port` (including `port 0` for a Unix-socket
//! only server) and `protected-mode`.
//!
//! Expectations are Redis 7.0.15's; the tests pass against Debian's
//! redis-server with `RUSTREDIS_BIN=/usr/bin/redis-server`.

mod common;
#[allow(unused_imports)]
use common::{info_field, s, settle_clients};

use common::ServerProc;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Sends `req` over a Unix socket and reads one complete RESP reply (or
/// until the server closes, or 5 s pass); returns what was read.
fn unix_roundtrip(path: &Path, req: &[u8]) -> Vec<u8> {
    let mut st =
        UnixStream::connect(path).unwrap_or_else(|e| panic!("connect {}: {e}", path.display()));
    st.set_read_timeout(Some(Duration::from_millis(200)))
        .expect("set_read_timeout");
    st.write_all(req).expect("write to unix socket");
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    while Instant::now() < deadline {
        if let Ok(Some(_)) = common::parse_reply(&out, 0) {
            break;
        }
        match st.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    out
}

/// A bare server process started with exactly `args` (no defaults added),
/// killed when dropped.
struct Bare {
    child: Child,
    dir: PathBuf,
}

impl Drop for Bare {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn spawn_bare(dir: &Path, args: &[&str]) -> Bare {
    let out = std::fs::File::create(dir.join("stdout.log")).expect("create stdout.log");
    let err = out.try_clone().expect("clone stdout.log");
    let child = Command::new(common::server_bin())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .expect("spawn server");
    Bare {
        child,
        dir: dir.to_path_buf(),
    }
}

/// Socket inodes of the LISTEN entries in /proc/net/tcp and tcp6.
fn listening_tcp_inodes() -> Vec<String> {
    let mut v = Vec::new();
    for f in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
            if cols.len() > 9 && cols[3] == "0A" {
                v.push(cols[9].to_string());
            }
        }
    }
    v
}

/// Socket inodes held open by process `pid`.
fn socket_inodes_of(pid: u32) -> Vec<String> {
    let mut v = Vec::new();
    let Ok(rd) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return v;
    };
    for e in rd.flatten() {
        if let Ok(target) = std::fs::read_link(e.path()) {
            let t = target.to_string_lossy().into_owned();
            if let Some(rest) = t.strip_prefix("socket:[") {
                v.push(rest.trim_end_matches(']').to_string());
            }
        }
    }
    v
}

#[test]
fn maxclients_refuses_extra_connection() {
    let sp = ServerProc::start(&["--maxclients", "2"]);
    let mut c1 = sp.conn();
    assert_eq!(
        settle_clients(&mut c1, 1),
        1,
        "startup probe connection still open"
    );
    let mut c2 = sp.conn();
    assert_eq!(c2.cmd(&[b"PING"]), b"+PONG\r\n");
    let mut c3 = sp.conn();
    assert_eq!(c3.read_reply(), b"-ERR max number of clients reached\r\n");
    assert!(c3.read_eof(), "the refused connection must be closed");
    // The accepted clients are unaffected.
    assert_eq!(c1.cmd(&[b"PING"]), b"+PONG\r\n");
    let info = s(c2.cmd(&[b"INFO", b"stats"]));
    assert_eq!(
        info_field(&info, "rejected_connections").as_deref(),
        Some("1"),
        "{info}"
    );
    assert_eq!(
        s(c2.cmd(&[b"CONFIG", b"GET", b"maxclients"])),
        "*2\r\n$10\r\nmaxclients\r\n$1\r\n2\r\n"
    );
    // After one leaves, a new one gets in.
    drop(c1);
    assert_eq!(settle_clients(&mut c2, 1), 1);
    let mut c4 = sp.conn();
    assert_eq!(c4.cmd(&[b"PING"]), b"+PONG\r\n");
}

#[test]
fn maxclients_default_is_10000() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"GET", b"maxclients"])),
        "*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n"
    );
    let info = s(c.cmd(&[b"INFO", b"clients"]));
    assert_eq!(
        info_field(&info, "maxclients").as_deref(),
        Some("10000"),
        "{info}"
    );
}

#[test]
fn timeout_closes_idle_client_only() {
    let sp = ServerProc::start(&["--timeout", "1"]);
    let mut idle = sp.conn();
    assert_eq!(idle.cmd(&[b"PING"]), b"+PONG\r\n");
    let mut active = sp.conn();
    let t0 = Instant::now();
    // Keep `active` busy for 3.2 s; `idle` sends nothing.
    while t0.elapsed() < Duration::from_millis(3200) {
        assert_eq!(
            active.cmd(&[b"PING"]),
            b"+PONG\r\n",
            "active client was closed"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    // By now (idle > 1 s, checked in cron) the idle client is gone.
    assert!(idle.read_eof(), "idle client must be closed by timeout 1");
    assert!(
        idle.buf.is_empty(),
        "no reply is sent on timeout: {:?}",
        idle.buf
    );
    assert_eq!(active.cmd(&[b"PING"]), b"+PONG\r\n");
    assert_eq!(
        s(active.cmd(&[b"CONFIG", b"GET", b"timeout"])),
        "*2\r\n$7\r\ntimeout\r\n$1\r\n1\r\n"
    );
}

#[test]
fn no_timeout_by_default() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"GET", b"timeout"])),
        "*2\r\n$7\r\ntimeout\r\n$1\r\n0\r\n"
    );
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(c.cmd(&[b"PING"]), b"+PONG\r\n");
}

#[test]
fn unixsocket_with_perm_700() {
    let sockdir = common::scratch_dir("sock");
    let sock = sockdir.join("r.sock");
    let sock_s = sock.to_string_lossy().into_owned();
    let sp = ServerProc::start(&["--unixsocket", &sock_s, "--unixsocketperm", "700"]);
    let meta = std::fs::metadata(&sock).unwrap_or_else(|e| panic!("stat {sock_s}: {e}"));
    assert_eq!(meta.permissions().mode() & 0o777, 0o700, "socket mode");
    use std::os::unix::fs::FileTypeExt;
    assert!(meta.file_type().is_socket(), "{sock_s} is not a socket");
    assert_eq!(unix_roundtrip(&sock, b"PING\r\n"), b"+PONG\r\n");
    // Commands over the socket share the keyspace with TCP clients.
    assert_eq!(
        unix_roundtrip(&sock, b"*3\r\n$3\r\nSET\r\n$1\r\nu\r\n$2\r\nok\r\n"),
        b"+OK\r\n"
    );
    let mut c = sp.conn();
    assert_eq!(c.cmd(&[b"GET", b"u"]), b"$2\r\nok\r\n");
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"GET", b"unixsocketperm"])),
        "*2\r\n$14\r\nunixsocketperm\r\n$3\r\n700\r\n"
    );
    // CLIENT LIST shows a unix client's address as /path:0.
    let want = format!("addr={sock_s}:0 laddr={sock_s}:0 ");
    let reply = unix_roundtrip(&sock, b"CLIENT INFO\r\n");
    let reply = String::from_utf8_lossy(&reply).into_owned();
    assert!(reply.contains(&want), "{want:?} not in {reply:?}");
    assert!(reply.contains(" flags=U "), "unix client flag U: {reply:?}");
    drop(sp);
    let _ = std::fs::remove_dir_all(&sockdir);
}

#[test]
fn unixsocket_only_with_port_0() {
    let dir = common::scratch_dir("port0");
    let sock = dir.join("r.sock");
    let sock_s = sock.to_string_lossy().into_owned();
    let log = dir.join("server.log");
    let log_s = log.to_string_lossy().into_owned();
    let mut bare = spawn_bare(
        &dir,
        &[
            "--port",
            "0",
            "--unixsocket",
            &sock_s,
            "--unixsocketperm",
            "755",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--logfile",
            &log_s,
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut ok = false;
    while Instant::now() < deadline {
        if sock.exists() && UnixStream::connect(&sock).is_ok() {
            ok = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let logtext = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(ok, "unix socket never came up; log:\n{logtext}");
    assert_eq!(unix_roundtrip(&sock, b"PING\r\n"), b"+PONG\r\n");
    let meta = std::fs::metadata(&sock).expect("stat socket");
    assert_eq!(meta.permissions().mode() & 0o777, 0o755);
    let info = unix_roundtrip(&sock, b"INFO server\r\n");
    let info = String::from_utf8_lossy(&info).into_owned();
    assert_eq!(
        info_field(&info, "tcp_port").as_deref(),
        Some("0"),
        "{info}"
    );
    // No TCP listening socket belongs to the process.
    let mine = socket_inodes_of(bare.child.id());
    assert!(!mine.is_empty(), "the process holds no sockets at all?");
    let listening = listening_tcp_inodes();
    let tcp: Vec<&String> = mine.iter().filter(|i| listening.contains(i)).collect();
    assert!(
        tcp.is_empty(),
        "port 0 must not listen on TCP, found inodes {tcp:?}"
    );
    // Clean shutdown removes the socket file.
    assert_eq!(unix_roundtrip(&sock, b"SHUTDOWN NOSAVE\r\n"), b"");
    let deadline = Instant::now() + Duration::from_secs(5);
    while sock.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!sock.exists(), "socket file must be unlinked at shutdown");
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Ok(Some(st)) = bare.child.try_wait() {
            break Some(st);
        }
        if Instant::now() >= deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(
        status.and_then(|st| st.code()),
        Some(0),
        "exit status after SHUTDOWN NOSAVE"
    );
}

#[test]
fn bind_loopback_and_config_get_bind() {
    let sp = ServerProc::start(&["--bind", "127.0.0.1", "-::1"]);
    let mut c = sp.conn();
    assert_eq!(c.cmd(&[b"PING"]), b"+PONG\r\n");
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"GET", b"bind"])),
        "*2\r\n$4\r\nbind\r\n$14\r\n127.0.0.1 -::1\r\n"
    );
    let info = s(c.cmd(&[b"INFO", b"server"]));
    assert_eq!(
        info_field(&info, "tcp_port"),
        Some(sp.port.to_string()),
        "{info}"
    );
    let me = s(c.cmd(&[b"CLIENT", b"INFO"]));
    assert!(
        me.contains(&format!(" laddr=127.0.0.1:{} ", sp.port)),
        "{me}"
    );
    assert!(me.contains(" addr=127.0.0.1:"), "{me}");
}

#[test]
fn protected_mode_still_serves_loopback() {
    let sp = ServerProc::start(&["--protected-mode", "yes"]);
    let mut c = sp.conn();
    assert_eq!(c.cmd(&[b"PING"]), b"+PONG\r\n");
    assert_eq!(c.cmd(&[b"SET", b"k", b"v"]), b"+OK\r\n");
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"GET", b"protected-mode"])),
        "*2\r\n$14\r\nprotected-mode\r\n$3\r\nyes\r\n"
    );
    assert_eq!(
        c.cmd(&[b"CONFIG", b"SET", b"protected-mode", b"no"]),
        b"+OK\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"GET", b"protected-mode"])),
        "*2\r\n$14\r\nprotected-mode\r\n$2\r\nno\r\n"
    );
}

#[test]
fn tcp_keepalive_and_backlog_directives() {
    let sp = ServerProc::start(&["--tcp-keepalive", "60", "--tcp-backlog", "128"]);
    let mut c = sp.conn();
    assert_eq!(settle_clients(&mut c, 1), 1);
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"GET", b"tcp-keepalive"])),
        "*2\r\n$13\r\ntcp-keepalive\r\n$2\r\n60\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"GET", b"tcp-backlog"])),
        "*2\r\n$11\r\ntcp-backlog\r\n$3\r\n128\r\n"
    );
    // Many clients at once are all served.
    let mut conns: Vec<common::Conn> = (0..50).map(|_| sp.conn()).collect();
    for (i, cc) in conns.iter_mut().enumerate() {
        let v = i.to_string();
        assert_eq!(
            cc.cmd(&[b"ECHO", v.as_bytes()]),
            format!("${}\r\n{}\r\n", v.len(), v).as_bytes()
        );
    }
    let info = s(c.cmd(&[b"INFO", b"clients"]));
    assert_eq!(
        info_field(&info, "connected_clients").as_deref(),
        Some("51"),
        "{info}"
    );
}

/// CONFIG SET port moves the TCP listener at run time; a port that cannot be
/// bound is refused with Redis's error and the old listener keeps working.
#[test]
fn config_set_port_and_bind_rebind_listeners() {
    let sp = common::ServerProc::start(&[]);
    let mut c = sp.conn();
    // Another test process may take a free port before the server binds it:
    // try a few, as the free_port contract asks.
    let new_port = (0..10)
        .map(|_| common::free_port())
        .find(|p| s(c.cmd_str(&format!("CONFIG SET port {p}"))) == "+OK\r\n")
        .expect("CONFIG SET port succeeded on none of 10 free ports");
    let mut c2 = common::Conn::connect(new_port);
    assert_eq!(s(c2.cmd_str("PING")), "+PONG\r\n");
    assert_eq!(
        s(c2.cmd_str("CONFIG GET port")),
        format!(
            "*2\r\n$4\r\nport\r\n${}\r\n{}\r\n",
            new_port.to_string().len(),
            new_port
        )
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", sp.port)).is_err(),
        "old port still accepting"
    );
    // A port already in use: refused, the current one keeps serving.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_port = busy.local_addr().unwrap().port();
    assert_eq!(
        s(c2.cmd_str(&format!("CONFIG SET port {busy_port}"))),
        "-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.\r\n"
    );
    assert_eq!(
        s(c2.cmd_str("CONFIG SET bind 10.255.255.1")),
        "-ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses.\r\n"
    );
    let mut c3 = common::Conn::connect(new_port);
    assert_eq!(s(c3.cmd_str("PING")), "+PONG\r\n");
    assert_eq!(
        s(c3.cmd_str("CONFIG GET bind")),
        "*2\r\n$4\r\nbind\r\n$9\r\n127.0.0.1\r\n"
    );
}

/// `busy-poll-usec` (a rustredis extension, so this test runs against
/// rustredis only): hidden from `CONFIG GET *` like `metrics-port`, range
/// checked, and spinning only while the event loop is busy. A lightly
/// loaded server (one client, one PING every ~200 µs) would spin through
/// every gap with a 1 ms spin and burn a whole CPU; it must stay well
/// under half of one.
#[test]
fn busy_poll_directive_and_no_spinning_under_light_load() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"GET", b"busy-poll-usec"])),
        "*2\r\n$14\r\nbusy-poll-usec\r\n$3\r\n100\r\n"
    );
    let all = s(c.cmd(&[b"CONFIG", b"GET", b"*"]));
    assert!(
        !all.contains("busy-poll"),
        "CONFIG GET * lists busy-poll-usec"
    );
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"SET", b"busy-poll-usec", b"100001"])),
        "-ERR CONFIG SET failed (possibly related to argument 'busy-poll-usec') - argument must be between 0 and 100000 inclusive\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"SET", b"busy-poll-usec", b"1000"])),
        "+OK\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"GET", b"busy-poll-usec"])),
        "*2\r\n$14\r\nbusy-poll-usec\r\n$4\r\n1000\r\n"
    );
    let pid = sp.child.id();
    let cpu0 = common::cpu_micros(pid);
    let t0 = Instant::now();
    let mut n = 0u64;
    while t0.elapsed() < Duration::from_millis(1500) {
        assert_eq!(s(c.cmd(&[b"PING"])), "+PONG\r\n");
        std::thread::sleep(Duration::from_micros(150));
        n += 1;
    }
    let cpu = ((common::cpu_micros(pid) - cpu0) / 1000.0) as u64;
    let wall = t0.elapsed().as_millis() as u64;
    assert!(
        cpu * 2 < wall,
        "server used {cpu} ms of CPU in {wall} ms for {n} paced PINGs: it spun while lightly loaded"
    );
}
