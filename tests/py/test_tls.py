"""TLS with redis-py: `ssl=True`, client certificates, RESP3, pipelines,
pub/sub and large values over a `tls-port`.

Certificates are made per module with the openssl CLI: a CA, a server
certificate for 127.0.0.1 and a client certificate signed by it, and a
client certificate from a second CA that the server does not trust. The
server keeps its plain TCP port too (the fixtures use it to see it is up
and to change settings).

Every expectation is Redis 7.0.15 behaviour: the file passes against
Debian's redis-server (`RUSTREDIS_BIN=/usr/bin/redis-server`).
"""

import os
import shutil
import socket
import ssl
import subprocess
import tempfile

import pytest
import redis

from conftest import ServerProc, free_port

EXT = """[srv]
basicConstraints=CA:FALSE
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
[cli]
basicConstraints=CA:FALSE
extendedKeyUsage=clientAuth
"""


def openssl(cwd, *args):
    """Runs the openssl CLI in `cwd`; fails the test with its stderr."""
    if shutil.which("openssl") is None:
        pytest.fail("openssl missing: apt-get install openssl")
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        pytest.fail(f"openssl {args} failed: {r.stderr}")


@pytest.fixture(scope="module")
def certs():
    """A throwaway PKI: {'ca', 'server.crt', 'server.key', 'client.crt',
    'client.key', 'other-client.crt', 'other-client.key', 'other-ca'}."""
    d = tempfile.mkdtemp(prefix="rustredis-py-tls-")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write(EXT)
    for ca in ("ca", "other-ca"):
        openssl(d, "genrsa", "-out", f"{ca}.key", "2048")
        openssl(d, "req", "-x509", "-new", "-nodes", "-sha256", "-key", f"{ca}.key",
                "-days", "30", "-subj", f"/O=rustredis test/CN={ca}",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-out", f"{ca}.crt")
    for name, ca, ext, serial in (("server", "ca", "srv", "21"),
                                  ("client", "ca", "cli", "22"),
                                  ("other-client", "other-ca", "cli", "23")):
        openssl(d, "genrsa", "-out", f"{name}.key", "2048")
        openssl(d, "req", "-new", "-sha256", "-key", f"{name}.key",
                "-subj", f"/O=rustredis test/CN={name}", "-out", f"{name}.csr")
        openssl(d, "x509", "-req", "-sha256", "-in", f"{name}.csr", "-CA", f"{ca}.crt",
                "-CAkey", f"{ca}.key", "-set_serial", serial, "-days", "30",
                "-extfile", "ext.cnf", "-extensions", ext, "-out", f"{name}.crt")
    files = {k: os.path.join(d, k) for k in (
        "server.crt", "server.key", "client.crt", "client.key",
        "other-client.crt", "other-client.key")}
    files["ca"] = os.path.join(d, "ca.crt")
    files["other-ca"] = os.path.join(d, "other-ca.crt")
    yield files
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def tls_server(certs):
    """A server with a TLS port requiring client certificates."""
    tls_port = free_port()
    s = ServerProc(extra=(
        "--tls-port", str(tls_port),
        "--tls-cert-file", certs["server.crt"],
        "--tls-key-file", certs["server.key"],
        "--tls-ca-cert-file", certs["ca"],
    ))
    s.tls_port = tls_port
    yield s
    s.stop()
    shutil.rmtree(s.dir, ignore_errors=True)


def tls_client(server, certs, cert="client", ca="ca", **kw):
    """A redis-py client over TLS presenting `cert` (None: no certificate)."""
    kw.setdefault("socket_timeout", 10)
    opts = dict(ssl=True, ssl_ca_certs=certs[ca], ssl_cert_reqs="required",
                ssl_check_hostname=True)
    if cert:
        opts["ssl_certfile"] = certs[f"{cert}.crt"]
        opts["ssl_keyfile"] = certs[f"{cert}.key"]
    return redis.Redis(host="127.0.0.1", port=server.tls_port, **opts, **kw)


@pytest.fixture
def r(tls_server, certs):
    c = tls_client(tls_server, certs, decode_responses=True)
    c.flushall()
    yield c
    c.close()


def test_commands_over_tls(r):
    assert r.ping() is True
    assert r.set("greeting", "hello over tls") is True
    assert r.get("greeting") == "hello over tls"
    assert r.incrby("n", 5) == 5
    assert r.rpush("l", *[str(i) for i in range(100)]) == 100
    assert r.lrange("l", 0, 2) == ["0", "1", "2"]
    assert r.hset("h", mapping={"a": "1", "b": "2"}) == 2
    assert r.hgetall("h") == {"a": "1", "b": "2"}


def test_the_connection_is_tls(r, tls_server):
    conn = r.connection_pool.get_connection()
    try:
        sock = conn._sock
        assert isinstance(sock, ssl.SSLSocket)
        assert sock.version() in ("TLSv1.2", "TLSv1.3")
        # The server's certificate is the one we made.
        assert sock.getpeercert()["subject"][-1][0] == ("commonName", "server")
    finally:
        r.connection_pool.release(conn)


def test_pipeline_and_transaction(r):
    p = r.pipeline(transaction=False)
    for i in range(2000):
        p.set(f"k:{i}", i)
        p.get(f"k:{i}")
    out = p.execute()
    assert out[0::2] == [True] * 2000
    assert out[1::2] == [str(i) for i in range(2000)]
    with r.pipeline(transaction=True) as t:
        t.incr("c").incr("c").get("c")
        assert t.execute() == [1, 2, "2"]


def test_large_values(tls_server, certs):
    c = tls_client(tls_server, certs)
    big = os.urandom(6 * 1024 * 1024)
    assert c.set("big", big) is True
    assert c.get("big") == big
    assert c.strlen("big") == len(big)
    c.close()


def test_resp3_and_pubsub(tls_server, certs):
    c = tls_client(tls_server, certs, protocol=3, decode_responses=True)
    assert c.hset("h3", mapping={"f": "v"}) == 1
    assert c.hgetall("h3") == {"f": "v"}
    p = c.pubsub()
    p.subscribe("news")
    assert p.get_message(timeout=5)["type"] == "subscribe"
    pub = tls_client(tls_server, certs)
    assert pub.publish("news", "tls works") == 1
    msg = p.get_message(timeout=5)
    assert msg["type"] == "message" and msg["data"] == "tls works"
    p.close()
    pub.close()
    c.close()


def test_client_certificate_required(tls_server, certs):
    # `tls-auth-clients yes` (the default): no certificate, no entry; a
    # certificate from a CA the server does not trust neither.
    for cert in (None, "other-client"):
        c = tls_client(tls_server, certs, cert=cert, socket_timeout=5)
        with pytest.raises((redis.exceptions.ConnectionError, ssl.SSLError, OSError)):
            c.ping()
        c.close()
    # The client refuses a server its CA does not vouch for.
    c = tls_client(tls_server, certs, ca="other-ca", socket_timeout=5)
    with pytest.raises(redis.exceptions.ConnectionError):
        c.ping()
    c.close()


def test_client_certificate_optional(tls_server, certs):
    admin = tls_server.client()
    try:
        assert admin.config_set("tls-auth-clients", "optional") is True
        c = tls_client(tls_server, certs, cert=None)
        assert c.ping() is True
        c.close()
        c = tls_client(tls_server, certs, cert="other-client", socket_timeout=5)
        with pytest.raises((redis.exceptions.ConnectionError, ssl.SSLError, OSError)):
            c.ping()
        c.close()
        assert admin.config_set("tls-auth-clients", "no") is True
        c = tls_client(tls_server, certs, cert=None)
        assert c.ping() is True
        c.close()
    finally:
        admin.config_set("tls-auth-clients", "yes")
        admin.close()


def test_plain_client_on_tls_port(tls_server):
    c = redis.Redis(host="127.0.0.1", port=tls_server.tls_port, socket_timeout=5)
    with pytest.raises(redis.exceptions.ConnectionError):
        c.ping()
    c.close()
    # A raw socket sending RESP is closed without a reply (redis-server
    # resets it, having left the bytes unread; either way nothing comes).
    with socket.create_connection(("127.0.0.1", tls_server.tls_port), timeout=5) as s:
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        try:
            got = s.recv(100)
        except ConnectionResetError:
            got = b""
        assert got == b""


def test_config_set_reload_errors(tls_server, certs):
    admin = tls_server.client()
    try:
        with pytest.raises(redis.exceptions.ResponseError) as e:
            admin.config_set("tls-cert-file", "/nonexistent/server.crt")
        assert str(e.value) == (
            "CONFIG SET failed (possibly related to argument 'tls-cert-file') - "
            "Unable to update TLS configuration. Check server logs.")
        # Still serving with the old certificate.
        c = tls_client(tls_server, certs)
        assert c.ping() is True
        c.close()
        # Setting the same file reloads it (the file may have been rotated).
        assert admin.config_set("tls-cert-file", certs["server.crt"]) is True
        assert admin.config_get("tls-*")["tls-cert-file"] == certs["server.crt"]
    finally:
        admin.close()
