"""pytest fixtures: start the server under test and hand out redis-py clients.

The binary under test is `$RUSTREDIS_BIN` when set, else
`<repo>/target/release/rustredis`. Its command line is redis-server's, so the
same fixtures run against Debian's `/usr/bin/redis-server` (the oracle): every
test here must pass against it.

One server is started per test module, on a free 127.0.0.1 port, in a fresh
temporary directory, with persistence off (`--save "" --appendonly no`). It is
stopped by its pid (SIGTERM, then SIGKILL after 5 s). The client fixtures in
the test modules flush the keyspace before each test.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import redis

REPO = Path(__file__).resolve().parents[2]


def server_binary() -> str:
    """Path of the server binary under test (RUSTREDIS_BIN or target/release/rustredis)."""
    env = os.environ.get("RUSTREDIS_BIN")
    if env:
        return env
    return str(REPO / "target" / "release" / "rustredis")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProc:
    """A running server: its port, pid, scratch dir and log file."""

    def __init__(self, extra=()):
        binary = server_binary()
        if not os.path.exists(binary):
            pytest.fail(
                f"server binary {binary} not found: run `cargo build --release` "
                "or set RUSTREDIS_BIN"
            )
        self.dir = tempfile.mkdtemp(prefix="rustredis-py-")
        self.log_path = os.path.join(self.dir, "server.log")
        last_err = None
        # A port picked by free_port() can be taken by someone else before the
        # server binds it: retry a few times with a new port.
        for _attempt in range(5):
            self.port = free_port()
            args = [
                binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "no",
                "--logfile", self.log_path,
                *extra,
            ]
            self.proc = subprocess.Popen(
                args,
                cwd=self.dir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if self._wait_ready(10.0):
                return
            last_err = self.log()
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        pytest.fail(f"server did not answer PING within 10 s; log:\n{last_err}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                c = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)
                if c.ping() is True:
                    c.close()
                    return True
            except redis.exceptions.ConnectionError:
                pass
            except redis.exceptions.ResponseError:
                # e.g. "LOADING": not ready yet
                pass
            time.sleep(0.05)
        return False

    def log(self) -> str:
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)

    def client(self, **kw) -> redis.Redis:
        kw.setdefault("socket_timeout", 10)
        return redis.Redis(host="127.0.0.1", port=self.port, **kw)


@pytest.fixture(scope="module")
def server():
    """One server for the test module; stopped and its scratch dir removed after."""
    s = ServerProc()
    yield s
    s.stop()
    shutil.rmtree(s.dir, ignore_errors=True)
