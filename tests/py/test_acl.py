"""redis-py against ACL users, the way applications log in with them.

- `Redis(username=..., password=...)` authenticates with AUTH user pass
  (RESP2) or HELLO 3 AUTH user pass (RESP3); a wrong password raises
  AuthenticationError, a disabled user too.
- A user limited by command, key pattern and channel pattern gets
  NoPermissionError (NOPERM) for what it may not do, also inside a
  pipeline (MULTI/EXEC, which then runs nothing) and from a Lua script.
- `acl_setuser`, `acl_whoami`, `acl_log` and `client_kill_filter(user=)`.

Every expectation is Redis 7.0.15 behaviour: the file passes against
Debian's redis-server (`RUSTREDIS_BIN=/usr/bin/redis-server`).
"""

import pytest
import redis


@pytest.fixture
def admin(server):
    """The default user, with a fresh keyspace, ACL log and users."""
    cl = server.client(decode_responses=True)
    cl.flushall()
    for name in cl.acl_users():
        if name != "default":
            cl.acl_deluser(name)
    cl.acl_log_reset()
    cl.acl_setuser(
        "app",
        enabled=True,
        passwords=["+s3cret"],
        commands=["+@read", "+@write", "+multi", "+exec", "+eval", "+publish", "+ping"],
        keys=["app:*"],
        channels=["events:*"],
    )
    yield cl
    cl.close()


@pytest.mark.parametrize("protocol", [2, 3])
def test_login_and_permissions(server, admin, protocol):
    app = server.client(
        username="app", password="s3cret", protocol=protocol, decode_responses=True
    )
    assert app.ping() is True
    assert app.set("app:1", "v") is True
    assert app.get("app:1") == "v"
    with pytest.raises(redis.exceptions.NoPermissionError) as e:
        app.get("other")
    assert str(e.value) == (
        "this user has no permissions to access one of the keys used as arguments"
    )
    with pytest.raises(redis.exceptions.NoPermissionError) as e:
        app.config_get("maxmemory")
    assert str(e.value) == "this user has no permissions to run the 'config|get' command"
    with pytest.raises(redis.exceptions.NoPermissionError):
        app.publish("chat", "m")
    assert app.publish("events:x", "m") == 0

    log = admin.acl_log()
    assert [(x["reason"], x["object"], x["username"]) for x in log[:3]] == [
        ("channel", "chat", "app"),
        ("command", "config|get", "app"),
        ("key", "other", "app"),
    ]
    app.close()


def test_wrong_password_and_disabled_user(server, admin):
    with pytest.raises(redis.exceptions.AuthenticationError):
        server.client(username="app", password="nope").ping()
    admin.acl_setuser("app", enabled=False)
    with pytest.raises(redis.exceptions.AuthenticationError):
        server.client(username="app", password="s3cret").ping()
    entry = admin.acl_log(count=1)[0]
    assert entry["reason"] == "auth"
    assert entry["username"] == "app"


def test_pipeline_and_script(server, admin):
    app = server.client(username="app", password="s3cret", decode_responses=True)
    pipe = app.pipeline()
    pipe.set("app:a", 1)
    pipe.set("forbidden", 1)
    # The refused command fails while queueing: EXEC aborts, and redis-py
    # raises that queueing error.
    with pytest.raises(redis.exceptions.NoPermissionError) as e:
        pipe.execute()
    assert "(SET forbidden 1)" in str(e.value)
    assert app.get("app:a") is None

    # EVAL's declared keys are checked before the script runs.
    with pytest.raises(redis.exceptions.NoPermissionError):
        app.eval("return redis.call('get', KEYS[1])", 1, "forbidden")
    with pytest.raises(redis.exceptions.ResponseError) as e:
        app.eval("return redis.call('get', ARGV[1])", 0, "forbidden")
    assert str(e.value).startswith(
        "The user executing the script can't access at least one of the keys"
    )
    assert app.eval("return redis.acl_check_cmd('get', KEYS[1])", 1, "app:x") == 1
    assert app.eval("return redis.acl_check_cmd('get', ARGV[1])", 0, "other") is None
    assert app.eval("return redis.acl_check_cmd('config', 'get', 'x')", 0) is None
    assert admin.acl_log(count=1)[0]["context"] == "lua"
    app.close()


def test_client_kill_by_user(server, admin):
    a = server.client(username="app", password="s3cret")
    b = server.client(username="app", password="s3cret")
    assert a.ping() and b.ping()
    assert admin.client_kill_filter(user="app") == 2
    users = [c["user"] for c in admin.client_list()]
    assert "app" not in users
    with pytest.raises(redis.exceptions.ResponseError) as e:
        admin.client_kill_filter(user="nobody")
    assert str(e.value) == "No such user 'nobody'"
    a.close()
    b.close()
