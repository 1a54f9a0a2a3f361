"""The Redis backend's configuration: items checked at load with clear
errors, the backend selected by `redis`, credentials from a file only knotd
reads, TLS only where hiredis has it.  Real knotd, real redis-server."""

import os
import subprocess
import time

import pytest

from acmetest.ddns import add, ddns_conf, make_update, send_wire, unique_label
from acmetest.knotd import ALIAS_ZONE, DEFAULT_ACME, Zone, challenge_value, txt_values
from acmetest.redis import REDIS_SENTINEL, REDIS_SERVER, RedisServer


def _tls_built() -> bool:
    """Whether the module was built with hiredis_ssl (configure's check)."""
    return subprocess.run(["pkg-config", "--atleast-version=1.0", "hiredis_ssl"]).returncode == 0


#: (items, what the error message must contain); items replace the instance's.
BAD_REDIS = [
    ({"redis": "127.0.0.1@99999"}, "invalid redis '127.0.0.1@99999'"),
    ({"redis": "127.0.0.1@"}, "invalid redis"),
    ({"redis": '""'}, "empty redis address"),
    ({"redis": "127.0.0.1", "redis-read": "x@port"}, "invalid redis-read 'x@port'"),
    ({"redis-read": "127.0.0.1"}, "redis-read is set without redis or redis-sentinel"),
    ({"redis-replicas": 1}, "redis-replicas is set without redis"),
    ({"redis-timeout": 100}, "redis-timeout is set without redis"),
    ({"redis-prefix": "x:"}, "redis-prefix is set without redis"),
    ({"redis": "127.0.0.1", "redis-replicas": 65}, "item 'redis-replicas'"),
    ({"redis": "127.0.0.1", "redis-timeout": 0}, "item 'redis-timeout'"),
    ({"redis": "127.0.0.1", "redis-timeout": 60001}, "item 'redis-timeout'"),
    ({"redis": "127.0.0.1", "redis-prefix": '"a b"'}, "invalid redis-prefix 'a b'"),
    ({"redis": "127.0.0.1", "redis-prefix": "a*"}, "invalid redis-prefix 'a*'"),
    ({"redis": "127.0.0.1", "redis-prefix": "x" * 65}, "invalid redis-prefix"),
    ({"redis": "127.0.0.1", "redis-sentinel": "127.0.0.1@26379",
      "redis-sentinel-master": "m"}, "either redis or redis-sentinel"),
    ({"redis-sentinel": "127.0.0.1@26379"}, "needs redis-sentinel-master"),
    ({"redis-sentinel": "/run/sentinel.sock", "redis-sentinel-master": "m"},
     "invalid redis-sentinel '/run/sentinel.sock'"),
    ({"redis": "127.0.0.1", "redis-sentinel-master": "m"},
     "redis-sentinel-master is set without redis-sentinel"),
    ({"redis": "127.0.0.1", "redis-password-file": "relative/file"},
     "redis-password-file 'relative/file' is not an absolute path"),
    ({"redis": "127.0.0.1", "redis-tls-ca": "/etc/ssl/certs/ca-certificates.crt"},
     "redis-tls-ca is set without redis-tls: on"),
]


@pytest.mark.parametrize("items,message", BAD_REDIS, ids=[m for _, m in BAD_REDIS])
def test_redis_config_error_rejected(knotd_factory, module_so, items, message):
    k = knotd_factory(start=False, acme={"default": dict(DEFAULT_ACME, **items)})
    res = k.conf_check()
    out = res.stdout + res.stderr
    assert res.returncode != 0, out
    assert message in out, out


def test_sentinel_config_passes_check(knotd_factory, module_so):
    """Several Sentinels (port 26379 by default) and a master name; answers
    read from a replica of this host."""
    k = knotd_factory(start=False, acme={"default": dict(
        DEFAULT_ACME, **{"redis-sentinel": "[127.0.0.1, 127.0.0.2@26380]",
                         "redis-sentinel-master": "acme", "redis-read": "/run/redis.sock",
                         "redis-replicas": 1, "redis-timeout": 200,
                         "redis-prefix": "site-a:"})})
    res = k.conf_check()
    assert res.returncode == 0, res.stdout + res.stderr


def test_password_file_readable_by_others_rejected(knotd_factory, module_so, tmp_path):
    secret = tmp_path / "redis.pass"
    secret.write_text("acme s3cret\n")
    secret.chmod(0o644)
    k = knotd_factory(start=False, acme={"default": dict(
        DEFAULT_ACME, **{"redis": "127.0.0.1", "redis-password-file": str(secret)})})
    res = k.conf_check()
    assert res.returncode != 0
    assert "is accessible to every user" in res.stdout + res.stderr
    secret.chmod(0o640)
    res = k.conf_check()
    assert res.returncode == 0, res.stdout + res.stderr


def test_tls_only_where_hiredis_has_it(knotd_factory, module_so):
    k = knotd_factory(start=False, acme={"default": dict(
        DEFAULT_ACME, **{"redis": "127.0.0.1", "redis-tls": True,
                         "redis-tls-ca": "/etc/ssl/certs/ca-certificates.crt"})})
    res = k.conf_check()
    out = res.stdout + res.stderr
    if _tls_built():
        assert res.returncode == 0, out
    else:
        assert res.returncode != 0, out
        assert "has no TLS (hiredis 1.0 or later with hiredis_ssl has)" in out, out


@pytest.fixture
def redis_server(tmp_path):
    r = RedisServer(tmp_path / "redis", "redis")
    r.start()
    yield r
    r.kill()


#: One module zone whose acl lets 127.0.0.1 update without a key.
UPDATABLE = dict(zones=[Zone(ALIAS_ZONE, options={"acl": "upd"})],
                 extra_conf=ddns_conf(acls={"upd": "address: 127.0.0.1\naction: update"}))


def _update(k, owner, value):
    req = make_update(ALIAS_ZONE, updates=[add(owner, value)])
    return send_wire(req.wire, k.port)


def test_servers_are_the_programs_asked(tmp_path):
    """The tests' servers are the programs asked for (REDIS_SERVER and
    REDIS_SENTINEL; tests/run integration-valkey asks for valkey-server and
    valkey-sentinel): Valkey's INFO has valkey_version, Redis's has not, so a
    Valkey run that fell back to Redis (or the reverse) fails here."""
    want_valkey = "valkey" in os.path.basename(REDIS_SERVER)
    primary = RedisServer(tmp_path / "primary", "primary")
    primary.start()
    try:
        sentinel = RedisServer(tmp_path / "sentinel", "sentinel", sentinel_of=primary.addr)
        sentinel.start()
        try:
            for server, prog in ((primary, REDIS_SERVER), (sentinel, REDIS_SENTINEL)):
                fields = server.info("server")
                assert ("valkey_version" in fields) == want_valkey, (prog, fields)
                assert ("valkey" in os.path.basename(prog)) == want_valkey, prog
            fields = sentinel.info("server")  # Valkey says server_mode
            assert fields.get("redis_mode", fields.get("server_mode")) == "sentinel", fields
        finally:
            sentinel.kill()
    finally:
        primary.kill()


def test_redis_selected_and_served(knotd_factory, module_so, redis_server):
    """`redis` selects the backend: an UPDATE lands in Redis under the prefix
    (not in an LMDB database), and is answered from it."""
    k = knotd_factory(**UPDATABLE, acme={"default": dict(
        DEFAULT_ACME, database=None,
        **{"redis": redis_server.address, "redis-read": redis_server.sock,
           "redis-prefix": "it:"})})
    assert f"redis 127.0.0.1@{redis_server.port}, read {redis_server.sock}, prefix it:" \
        in k.log(), k.diagnostics()
    owner = f"{unique_label('sel')}.{ALIAS_ZONE}"
    value = challenge_value(owner)
    reply = _update(k, owner, value)
    assert reply.rcode == 0, reply
    assert txt_values(k.query(owner, "TXT")) == [value]
    keys = redis_server.cmd("KEYS", "*")
    assert any(key.startswith(b"it:v:") for key in keys), keys
    assert not os.path.exists(k.db_path()), "an LMDB database was created"


def _acl_server(tmp_path, channels):
    """A started Redis whose user acme (password s3cret-pw) may use the
    prefix's keys and the given channels."""
    r = RedisServer(tmp_path / "redis", "redis", extra=[
        f"user acme on >s3cret-pw ~acme:* {channels} +@all"])
    r.start()
    return r


def _password_file(path, text):
    path.write_text(text + "\n")
    path.chmod(0o600)
    return str(path)


def _knotd_with_password(knotd_factory, r, password_file):
    return knotd_factory(**UPDATABLE, acme={
        "default": dict(DEFAULT_ACME, database=None,
                        **{"redis": r.address, "redis-password-file": password_file})})


def test_redis_acl_user_from_password_file(knotd_factory, module_so, tmp_path):
    """An ACL user and password read from a file, the user limited to the
    prefix's keys and channels as README suggests (the value cache's too); a
    wrong password fails the update with SERVFAIL and the log says why."""
    r = _acl_server(tmp_path, "&acme:* &__redis__:invalidate")
    try:
        k = _knotd_with_password(knotd_factory, r,
                                 _password_file(tmp_path / "good.pass", "acme s3cret-pw"))
        owner = f"{unique_label('acl')}.{ALIAS_ZONE}"
        value = challenge_value(owner)
        assert _update(k, owner, value).rcode == 0
        assert txt_values(k.query(owner, "TXT")) == [value]
        assert "value cache off" not in k.log()

        k.acme["default"]["redis-password-file"] = _password_file(tmp_path / "bad.pass",
                                                                  "acme wrong")
        mark = k.log_mark()
        k.restart()
        assert _update(k, owner, challenge_value("other")).rcode == 2  # SERVFAIL
        k.wait_log(r"AUTH failed: WRONGPASS", mark)
        assert k.query(owner, "TXT").rcode() == 2
    finally:
        r.kill()


def test_redis_acl_without_the_cache_channel(knotd_factory, module_so, tmp_path):
    """A user that may not subscribe to __redis__:invalidate: the value cache
    stays off and the log says why; answers are read from Redis and right."""
    r = _acl_server(tmp_path, "&acme:*")
    try:
        k = _knotd_with_password(knotd_factory, r,
                                 _password_file(tmp_path / "good.pass", "acme s3cret-pw"))
        k.wait_log(r"value cache off.*NOPERM")
        owner = f"{unique_label('acl')}.{ALIAS_ZONE}"
        values = [challenge_value(owner + str(i)) for i in range(3)]
        for i, value in enumerate(values):
            assert _update(k, owner, value).rcode == 0
            assert sorted(txt_values(k.query(owner, "TXT"))) == sorted(values[:i + 1])
    finally:
        r.kill()


def test_redis_down_then_back_counted_and_logged(knotd_factory, module_so, tmp_path):
    """knotd starts while Redis is down: the zone's own names answer, the
    module's names SERVFAIL; the state change is logged and counted once
    (zone-stats mod-acme.redis), and so is the recovery."""
    r = RedisServer(tmp_path / "redis", "redis")
    k = knotd_factory(**UPDATABLE, acme={"default": dict(
        DEFAULT_ACME, database=None, **{"redis": r.address, "redis-timeout": 200})})
    owner = f"{unique_label('down')}.{ALIAS_ZONE}"
    try:
        assert _update(k, owner, challenge_value(owner)).rcode == 2  # SERVFAIL
        for _ in range(5):
            assert k.query(owner, "TXT").rcode() == 2
            assert txt_values(k.query(f"static.{ALIAS_ZONE}", "TXT")) == ["static value"]
        k.wait_log(r"Redis (primary|read) 127\.0\.0\.1@\d+ unreachable")
        stats = k.zone_stats(ALIAS_ZONE)
        assert stats.get("redis[unreachable]", 0) >= 1, stats
        assert stats.get("redis[unreachable]") == k.log().count("unreachable ("), stats
        assert stats.get("redis[reachable]", 0) == 0, stats
        # Each query's failure is not an error line of its own (debug only).
        assert "error: " not in "".join(line for line in k.log().splitlines(True)
                                        if "failed to read the store" in line)

        r.start()
        deadline = time.monotonic() + 20
        while _update(k, owner, challenge_value(owner)).rcode != 0:
            assert time.monotonic() < deadline, k.diagnostics()
            time.sleep(0.2)
        assert txt_values(k.query(owner, "TXT")) == [challenge_value(owner)]
        k.wait_log(r"Redis (primary|read) 127\.0\.0\.1@\d+ reachable again")
        stats = k.zone_stats(ALIAS_ZONE)
        assert stats.get("redis[reachable]", 0) >= 1, stats
        assert stats["redis[reachable]"] == k.log().count("reachable again"), stats
    finally:
        r.kill()


def test_acknowledged_update_read_at_once_after_outage(knotd_factory, module_so, tmp_path):
    """Redis comes back while this node's reads wait out a long backoff (many
    failed reads during the outage): the first update acknowledged after it
    makes the node's reads retry at once, so the value it acknowledged is
    answered by the very next query, not SERVFAIL until the backoff ends."""
    r = RedisServer(tmp_path / "redis", "redis")
    k = knotd_factory(**UPDATABLE, acme={"default": dict(
        DEFAULT_ACME, database=None, **{"redis": r.address, "redis-timeout": 200})})
    owner = f"{unique_label('back')}.{ALIAS_ZONE}"
    try:
        # Reads fail for a while: their backoff doubles up to seconds.
        until = time.monotonic() + 2
        while time.monotonic() < until:
            assert k.query(owner, "TXT").rcode() == 2
            time.sleep(0.05)
        r.start()
        deadline = time.monotonic() + 20
        while _update(k, owner, challenge_value(owner)).rcode != 0:
            assert time.monotonic() < deadline, k.diagnostics()
            time.sleep(0.05)
        assert txt_values(k.query(owner, "TXT")) == [challenge_value(owner)], k.diagnostics()
    finally:
        r.kill()


def test_lmdb_items_unused_with_redis(knotd_factory, module_so, redis_server):
    """`database` (and map-size, database-mode) set beside `redis`: knotd
    says they are unused and creates no LMDB database."""
    k = knotd_factory(acme={"default": dict(DEFAULT_ACME, **{
        "redis": redis_server.sock, "map-size": "16M"})})
    assert "database, map-size and database-mode are unused with the Redis backend" \
        in k.log(), k.diagnostics()
    assert not os.path.exists(k.db_path()), "an LMDB database was created"
