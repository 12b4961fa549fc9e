//! The `rustredis` binary: `rustredis [CONFIG_FILE] [--directive value ...]`,
//! exactly like `redis-server` (Redis `main()` in `server.c`).

use rustredis::config::{self, Config};
use rustredis::server::{self, Server};
use rustredis::server_cmds::REDIS_VERSION;
use rustredis::{anet, log};

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn clap_command() -> clap::Command {
    clap::Command::new("rustredis")
        .version(concat!(env!("CARGO_PKG_VERSION"), " (Redis ", "7.0.15", " compatible)"))
        .about("A single-threaded, Redis 7.0-compatible server")
        .override_usage("rustredis [/path/to/redis.conf] [--directive value ...]\n       rustredis --port 7777\n       rustredis /etc/redis/redis.conf --loglevel verbose -")
        .arg(clap::Arg::new("config").value_name("CONFIG_FILE").help("Config file to read first ('-' reads standard input)").num_args(0..).allow_hyphen_values(true).trailing_var_arg(true))
        .after_help("Every redis.conf directive can be given on the command line as --name value.")
}

/// Forks into the background (Redis `daemonize`): the parent exits 0, the
/// child starts a new session and points stdio at /dev/null.
#[allow(unsafe_code)]
fn daemonize() {
    // SAFETY: called before any thread is started (only the main thread
    // exists), so fork is sound; the parent exits immediately.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        eprintln!("fork failed: {}", std::io::Error::last_os_error());
        std::process::exit(1);
    }
    if pid > 0 {
        std::process::exit(0);
    }
    // SAFETY: plain syscalls on the child's own process state and fds.
    unsafe {
        libc::setsid();
        let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR, 0);
        if fd != -1 {
            libc::dup2(fd, libc::STDIN_FILENO);
            libc::dup2(fd, libc::STDOUT_FILENO);
            libc::dup2(fd, libc::STDERR_FILENO);
            if fd > libc::STDERR_FILENO {
                libc::close(fd);
            }
        }
    }
}

fn main() {
    // Before any thread exists: frees the room the process title needs.
    rustredis::setproctitle::spt_init();
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 2 && ["-v", "--version", "-h", "--help"].contains(&args[1].as_str()) {
        let _ = clap_command().get_matches_from(&args);
        return;
    }
    let (config_file, extra) = match config::parse_command_line(&args[1..]) {
        Ok(v) => v,
        Err(report) => {
            eprint!("{}", report);
            std::process::exit(1);
        }
    };
    log::init();
    let mut cfg = Config::default();
    let loaded = match &config_file {
        Some(path) => cfg.load_from_file(path, &extra),
        // Like Redis, command-line options follow a newline (they start at line 2).
        None => cfg.load_from_string(&format!("\n{}", extra)),
    };
    if let Err(e) = loaded {
        if e.is_open_error() {
            log::write_raw(&format!("{}\n", log::format_line(3, &e.report())));
        } else {
            eprint!("{}", e.report());
        }
        std::process::exit(1);
    }
    log::set_verbosity(cfg.loglevel_index());
    let logfile = if cfg.logfile.is_empty() && cfg.daemonize {
        None
    } else {
        Some(cfg.logfile.clone())
    };
    log::set_logfile(logfile);
    tracing::warn!("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo");
    tracing::warn!(
        "Redis version={}, bits=64, commit=00000000, modified=0, pid={}, just started",
        REDIS_VERSION,
        std::process::id()
    );
    tracing::warn!("rustredis version={}", env!("CARGO_PKG_VERSION"));
    if args.len() == 1 {
        tracing::warn!(
            "Warning: no config file specified, using the default config. In order to specify a config file use {} /path/to/redis.conf",
            args[0]
        );
    } else {
        tracing::warn!("Configuration loaded");
    }
    if cfg.daemonize {
        daemonize();
    }
    if let Err(e) = std::env::set_current_dir(&cfg.dir) {
        tracing::warn!("Can't chdir to '{}': {}", cfg.dir, log::os_error_text(&e));
        std::process::exit(1);
    }
    let mut seed = [0u8; 16];
    let _ = getrandom::fill(&mut seed);
    rustredis::dict::set_hash_seed(seed);
    let unimplemented: Vec<&str> = cfg.unimplemented_in_use();
    let mut srv = match Server::new(cfg) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("Failed creating the event loop. Error message: '{}'", e);
            std::process::exit(1);
        }
    };
    srv.pid = std::process::id();
    for r in srv.config.rename_commands.clone() {
        if let [from, to] = &r.args[..]
            && let Err(reason) = srv.commands.rename_command(from, to)
        {
            eprint!("{}", r.error(reason).report());
            std::process::exit(1);
        }
    }
    srv.config_file = config_file.as_ref().map(|p| {
        std::fs::canonicalize(p)
            .map(|c| c.display().to_string())
            .unwrap_or_else(|_| p.clone())
    });
    // Log lines show `S` on a replica, `M` on a master (Redis `serverLogRaw`).
    log::set_role(if srv.config.replicaof.is_some() {
        b'S'
    } else {
        b'M'
    });
    tracing::info!("monotonic clock: POSIX clock_gettime");
    if srv.config.daemonize || !srv.config.pidfile.is_empty() {
        let path = if srv.config.pidfile.is_empty() {
            "/var/run/redis.pid".to_string()
        } else {
            srv.config.pidfile.clone()
        };
        srv.config.pidfile = path.clone();
        if let Err(e) = std::fs::write(&path, format!("{}\n", srv.pid)) {
            tracing::warn!("Failed to write PID file: {}", log::os_error_text(&e));
        }
    }
    server::adjust_open_files_limit(&mut srv);
    if let Err(msg) = anet::listen_to_port(&mut srv) {
        tracing::warn!("{}", msg);
        std::process::exit(1);
    }
    if let Err(msg) = rustredis::metrics::listen(&mut srv) {
        tracing::warn!("{}", msg);
        tracing::warn!(
            "Failed listening on metrics-port {}, aborting.",
            srv.config.metrics_port
        );
        std::process::exit(1);
    }
    rustredis::setproctitle::redis_set_proc_title(&srv);
    if srv.config.always_show_logo {
        log::write_raw(&logo(&srv));
    } else {
        let port = if srv.config.port != 0 {
            srv.config.port
        } else {
            srv.config.tls_port
        };
        tracing::info!("Running mode=standalone, port={}.", port);
    }
    // The memory of an empty, initialized server (Redis `InitServerLast`'s
    // `initial_memory_usage`, INFO `used_memory_startup`).
    srv.evict.initial_memory_usage = rustredis::evict::zmalloc_used_memory();
    rustredis::evict::set_maxmemory_for_dicts(srv.config.maxmemory);
    srv.refresh_memory_stats();
    tracing::warn!("Server initialized");
    if !unimplemented.is_empty() {
        tracing::warn!(
            "WARNING: these directives are accepted but have no effect in this build: {}",
            unimplemented.join(", ")
        );
    }
    if rustredis::acl::load_users_at_startup(&mut srv).is_err() {
        std::process::exit(1);
    }
    // Signals first: a SIGTERM during a long load shuts down cleanly.
    server::setup_signal_handlers(&srv);
    rustredis::watchdog::apply_watchdog_period(&mut srv);
    let load_start = std::time::Instant::now();
    let dbfilename = srv.config.dbfilename.clone();
    rustredis::replication::replica::replication_init_from_config(&mut srv);
    rustredis::aof::aof_init_on_startup(&mut srv);
    let rdb_loaded = if srv.aof.state == rustredis::aof::AofStatus::On {
        rustredis::aof::load_data_from_aof(&mut srv);
        None
    } else {
        // A master reports the keys found expired, for its backlog.
        srv.rdb.load_feed_repl = srv.repl.masterhost.is_none();
        let r = rustredis::rdb::rdb_load(&mut srv, &dbfilename);
        srv.rdb.load_feed_repl = false;
        Some(r)
    };
    match rdb_loaded.unwrap_or(Err(rustredis::rdb::RdbLoadError::NotExist)) {
        Ok(mut info) => {
            srv.rdb_last_load_keys_loaded = info.keys_loaded;
            srv.rdb_last_load_keys_expired = info.keys_expired;
            tracing::info!(
                "DB loaded from disk: {:.3} seconds",
                load_start.elapsed().as_secs_f64()
            );
            rustredis::replication::replica::restore_replication_info_after_load(
                &mut srv, &mut info,
            );
        }
        Err(rustredis::rdb::RdbLoadError::NotExist) => {}
        // rdb_load has logged the reason; Redis checks the file and ends
        // with one more line.
        Err(e) => {
            if let Some(m) = rustredis::rdb::rdb_load_failed_at_startup(&srv, &dbfilename, &e) {
                tracing::warn!("{}", m);
            }
            std::process::exit(1)
        }
    }
    rustredis::aof::aof_open_if_needed_on_server_start(&mut srv);
    let _ = rustredis::aof::aof_del_history_files(&mut srv);
    let _ = config::set_oom_score_adj(&srv.config, None);
    tracing::info!("Ready to accept connections");
    if srv.config.maxmemory > 0 && srv.config.maxmemory < 1024 * 1024 {
        tracing::warn!(
            "WARNING: You specified a maxmemory value that is less than 1MB (current value is {} bytes). Are you sure this is what you really want?",
            srv.config.maxmemory
        );
    }
    let code = server::ae_main(&mut srv);
    std::process::exit(code);
}

/// The startup banner shown with `always-show-logo yes` (our own art).
fn logo(srv: &Server) -> String {
    format!(
        "\n    ____                                 rustredis {} (Redis {} compatible) 64 bit\n   / __ \\__  __________/ /_________  ____/ (_)____\n  / /_/ / / / / ___/ __/ ___/ _ \\/ __  / / ___/     Running in standalone mode\n / _, _/ /_/ (__  ) /_/ /  /  __/ /_/ / (__  )      Port: {}\n/_/ |_|\\__,_/____/\\__/_/   \\___/\\__,_/_/____/       PID: {}\n\n",
        env!("CARGO_PKG_VERSION"),
        REDIS_VERSION,
        if srv.config.port != 0 {
            srv.config.port
        } else {
            srv.config.tls_port
        },
        srv.pid
    )
}
