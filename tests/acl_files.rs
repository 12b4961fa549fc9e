//! ACL users from files: `aclfile` with ACL LOAD / ACL SAVE, `user` lines in
//! the config, and the startup errors of both, each checked against
//! redis-server 7.0.15 doing the same.

mod common;

use common::{Conn, ServerProc, escape, free_port, oracle_bin, run_tool, scratch_dir, server_bin};
use std::fs;
use std::path::Path;
use std::time::Duration;

/// Runs `bin` with `args` until it exits (startup errors end the process)
/// and returns its output with each log line's `pid:role date time ` prefix
/// removed, so two servers' lines compare.
fn startup_output(bin: &str, args: &[&str]) -> Vec<String> {
    let port = free_port().to_string();
    let mut all = vec!["--port", port.as_str(), "--save", ""];
    all.extend_from_slice(args);
    let ran = run_tool(bin, &all, None, Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{bin} {all:?}: {e}"));
    assert!(!ran.status.success(), "{bin} {all:?} should fail to start");
    format!("{}{}", ran.stdout, ran.stderr)
        .lines()
        .map(|l| match l.find(" # ").or_else(|| l.find(" * ")) {
            Some(i) if l[..i].contains(':') => l[i + 3..].to_string(),
            _ => l.to_string(),
        })
        .collect()
}

/// The lines about users (not the banner, not the memory warnings).
fn acl_lines(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| {
            [
                "user",
                "ACL",
                "acl",
                "FATAL",
                ">>>",
                "Reading the configuration",
            ]
            .iter()
            .any(|w| l.contains(w))
        })
        .cloned()
        .collect()
}

#[test]
fn startup_errors_match_redis() {
    if !Path::new(&oracle_bin()).exists() {
        // start_oracle's policy: a failure in CI, a skip elsewhere.
        assert!(ServerProc::start_oracle(&[]).is_none());
        return;
    }
    let dir = scratch_dir("aclstart");
    let acl = dir.join("users.acl");
    fs::write(&acl, "user alice on\n").unwrap();
    let acl = acl.to_string_lossy().into_owned();
    let missing = dir.join("missing.acl").to_string_lossy().into_owned();
    let cases: Vec<Vec<&str>> = vec![
        vec!["--user", "foo", "--user", "foo"],
        vec!["--user", "default", "--user", "default"],
        vec!["--user", "foo", "on", "badrule"],
        vec!["--user", "foo", "on", "~a", "allkeys", "~b"],
        vec!["--user", "foo", "#abc"],
        vec!["--user", "x", "+nosuchcmd"],
        vec!["--user", "x y"],
        vec!["--aclfile", &missing],
        vec!["--aclfile", &acl, "--user", "x"],
    ];
    for args in cases {
        let want = acl_lines(&startup_output(&oracle_bin(), &args));
        let got = acl_lines(&startup_output(&server_bin(), &args));
        assert!(!want.is_empty(), "{args:?}: no ACL lines from redis-server");
        assert_eq!(got, want, "{args:?}");
    }
    let _ = fs::remove_dir_all(&dir);
}

fn bulk_lines(reply: &[u8]) -> String {
    escape(reply)
}

/// One server of the pair, with its own copy of the ACL file.
struct Side {
    srv: ServerProc,
    acl: String,
    conn: Conn,
}

impl Side {
    fn start(oracle: bool, dir: &Path, name: &str, content: &str) -> Option<Side> {
        let acl = dir.join(name);
        fs::write(&acl, content).unwrap();
        let acl = acl.to_string_lossy().into_owned();
        let args = ["--aclfile", acl.as_str()];
        let srv = if oracle {
            ServerProc::start_oracle(&args)?
        } else {
            ServerProc::start(&args)
        };
        let conn = srv.conn();
        Some(Side { srv, acl, conn })
    }

    /// Sends a command; the reply with this side's file path replaced by `<acl>`.
    fn cmd(&mut self, line: &str) -> String {
        let r = self.conn.cmd_str(line);
        bulk_lines(&r).replace(&self.acl, "<acl>")
    }
}

const USERS: &str = "user alice on >alice ~* &* +@all\nuser bob on nopass -@all +@set +acl ~set* resetchannels &news\nuser default on nopass ~* &* +@all\n";

#[test]
fn acl_file_load_save_match_redis() {
    let dir = scratch_dir("aclfile");
    let Some(mut want) = Side::start(true, &dir, "oracle.acl", USERS) else {
        return;
    };
    let mut got = Side::start(false, &dir, "ours.acl", USERS).unwrap();
    let mut both = |line: &str| {
        let (w, g) = (want.cmd(line), got.cmd(line));
        assert_eq!(g, w, "{line}");
    };
    both("ACL LIST");
    both("ACL GETUSER bob");
    // Broken files: all or nothing, with every problem listed.
    let broken = [
        "user alice on\nuser alice off\n",
        "user default on\nuser default off\n",
        "usr bob on\n",
        "user\n",
        "user bob on badrule +nosuch -@nosuch\n",
        "user bob on +nosuch1 +get +nosuch2 %X~a allkeys ~b\n",
        // Not "user bob on (~a": redis-server 7.0.15 crashes on an unmatched
        // parenthesis after another rule.
        "user bob (~a +get\n",
        "# comment\nuser bob on\n",
        "user bob on >p1\n\n   \nuser carol off ~x\nuser dave allkeys ~y\n",
    ];
    for content in broken {
        fs::write(&want.acl, content).unwrap();
        fs::write(&got.acl, content).unwrap();
        let (w, g) = (want.cmd("ACL LOAD"), got.cmd("ACL LOAD"));
        assert_eq!(g, w, "ACL LOAD of {content:?}");
        let (w, g) = (want.cmd("ACL LIST"), got.cmd("ACL LIST"));
        assert_eq!(g, w, "ACL LIST after loading {content:?}");
    }
    // A good file replaces every user, and the default user's rules.
    let good = "user carol on >c ~c:* resetchannels -@all +get\n\nuser default on >secret ~* &* +@all\r\n  user zed off  \n";
    fs::write(&want.acl, good).unwrap();
    fs::write(&got.acl, good).unwrap();
    {
        let mut both = |line: &str| {
            let (w, g) = (want.cmd(line), got.cmd(line));
            assert_eq!(g, w, "{line}");
        };
        both("ACL LOAD");
        both("ACL LIST");
        both("ACL USERS");
        both("AUTH secret");
        both("ACL SETUSER extra on nopass +@hash ~h*");
        both("ACL SAVE");
    }
    let (w, g) = (
        fs::read_to_string(&want.acl).unwrap(),
        fs::read_to_string(&got.acl).unwrap(),
    );
    assert_eq!(g, w, "ACL SAVE writes the same file");
    // The saved file loads back to the same users.
    let before = got.cmd("ACL LIST");
    assert_eq!(got.cmd("ACL LOAD"), "+OK\\r\\n");
    assert_eq!(got.cmd("ACL LIST"), before);
    drop(want);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn acl_load_disconnects_clients_of_replaced_users() {
    let dir = scratch_dir("aclkill");
    let mut side = Side::start(false, &dir, "users.acl", USERS).unwrap();
    let mut alice = side.srv.conn();
    assert_eq!(alice.cmd_str("AUTH alice alice"), b"+OK\r\n");
    let mut default = side.srv.conn();
    assert_eq!(default.cmd_str("PING"), b"+PONG\r\n");
    assert_eq!(side.cmd("ACL LOAD"), "+OK\\r\\n");
    // Every user but the default one is a new user now: alice's client is
    // closed, the default user's is not (Redis frees the whole old table).
    assert!(alice.read_eof(), "alice's connection should be closed");
    assert_eq!(default.cmd_str("PING"), b"+PONG\r\n");
    // The reloaded alice authenticates again.
    let mut again = side.srv.conn();
    assert_eq!(again.cmd_str("AUTH alice alice"), b"+OK\r\n");
    assert_eq!(again.cmd_str("ACL WHOAMI"), b"$5\r\nalice\r\n");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn config_user_lines_define_users() {
    // Each word is an argument: one argument with spaces would be a user
    // name with spaces, refused at startup by both servers.
    let args = [
        "--user", "default", "on", "nopass", "~*", "+@all", "-flushdb", "--user", "ro", "on",
        ">pw", "%R~*", "+@read", "(~w:*", "+set)",
    ];
    let Some(oracle) = ServerProc::start_oracle(&args) else {
        return;
    };
    let ours = ServerProc::start(&args);
    for line in [
        "ACL LIST",
        "FLUSHDB",
        "ACL DRYRUN ro get k",
        "ACL DRYRUN ro set k v",
        "ACL DRYRUN ro set w:1 v",
        "ACL SAVE",
        "ACL LOAD",
    ] {
        let w = oracle.conn().cmd_str(line);
        let g = ours.conn().cmd_str(line);
        assert_eq!(escape(&g), escape(&w), "{line}");
    }
}

/// `dump_payload_sanitizations` from INFO stats.
fn sanitizations(c: &mut Conn) -> String {
    let info = String::from_utf8_lossy(&c.cmd_str("INFO stats")).into_owned();
    common::info_field(&info, "dump_payload_sanitizations").expect("field")
}

/// With `sanitize-dump-payload clients`, RESTORE by a user flagged
/// `skip-sanitize-payload` is not deep-checked (Redis `rdbLoadObject`).
#[test]
fn skip_sanitize_payload_user_restores_unchecked() {
    let Some(oracle) = ServerProc::start_oracle(&["--sanitize-dump-payload", "clients"]) else {
        return;
    };
    let ours = ServerProc::start(&["--sanitize-dump-payload", "clients"]);
    let mut counts = Vec::new();
    for srv in [&oracle, &ours] {
        let mut admin = srv.conn();
        admin.cmd_str("ACL SETUSER skipper on nopass ~* +@all skip-sanitize-payload");
        admin.cmd_str("RPUSH l a b c");
        let dump = admin.cmd_str("DUMP l");
        // The bulk's payload: after the `$<len>\r\n` header, before the final CRLF.
        let start = dump.iter().position(|&b| b == b'\n').unwrap() + 1;
        let payload = dump[start..dump.len() - 2].to_vec();
        let mut skipper = srv.conn();
        assert_eq!(skipper.cmd_str("AUTH skipper x"), b"+OK\r\n");
        let mut row = vec![sanitizations(&mut admin)];
        assert_eq!(admin.cmd(&[b"RESTORE", b"a", b"0", &payload]), b"+OK\r\n");
        row.push(sanitizations(&mut admin));
        assert_eq!(skipper.cmd(&[b"RESTORE", b"b", b"0", &payload]), b"+OK\r\n");
        row.push(sanitizations(&mut admin));
        counts.push(row);
    }
    assert_eq!(counts[1], counts[0]);
    assert_eq!(counts[0], vec!["0", "1", "1"]);
}
