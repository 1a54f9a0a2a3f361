"""knot-acme on the Redis backend: list, add, del and purge through Redis,
with the zone's mod-acme section from knotd's configuration (-c) or a bare
store (-R ADDR, --redis-prefix); knotd answers what the tool wrote and the
tool lists what knotd took.  Real knotd, real redis-server."""

import json
import subprocess

import pytest

from acmetest.ddns import add, ddns_conf, make_update, send_wire
from acmetest.knotd import (ALIAS_ZONE, DEFAULT_ACME, DELEG_ZONE, KNOT_ACME, Zone,
                            challenge_value, txt_values)
from acmetest.redis import RedisServer

V1, V2, V3 = (challenge_value(f"tool-{i}") for i in range(3))


@pytest.fixture
def redis_server(tmp_path):
    r = RedisServer(tmp_path / "redis", "redis")
    r.start()
    yield r
    r.kill()


@pytest.fixture
def server(knotd_factory, module_so, knot_acme, redis_server):
    """Two sections on one Redis, told apart by their prefixes: the alias
    zone's (strict, max-records 2) and the delegated zone's."""
    acme = {
        "alias": dict(DEFAULT_ACME, database=None, **{
            "max-records": 2, "redis": redis_server.address,
            "redis-read": redis_server.sock, "redis-prefix": "alias:"}),
        "deleg": dict(DEFAULT_ACME, database=None, strict=False, **{
            "redis": redis_server.sock, "redis-prefix": "deleg:"}),
    }
    zones = [Zone(ALIAS_ZONE, module="mod-acme/alias", options={"acl": "upd"}),
             Zone(DELEG_ZONE, module="mod-acme/deleg")]
    return knotd_factory(zones=zones, acme=acme,
                         extra_conf=ddns_conf(acls={"upd": "address: 127.0.0.1\naction: update"}))


def tool(*args, check=True):
    res = subprocess.run([KNOT_ACME, *[str(a) for a in args]], capture_output=True,
                         text=True, timeout=30)
    if check:
        assert res.returncode == 0, res.stdout + res.stderr
    return res


def test_conf_add_list_del_through_redis(server, redis_server):
    conf = ["-c", server.conf]
    name = f"www.{ALIAS_ZONE}"
    tool(*conf, "add", name, V1, 30)
    assert txt_values(server.query(name, "TXT")) == [V1]
    keys = redis_server.cmd("KEYS", "alias:v:*")
    assert len(keys) == 1, keys

    # An UPDATE to knotd, listed by the tool.
    req = make_update(ALIAS_ZONE, updates=[add(name, V2)])
    assert send_wire(req.wire, server.port).rcode == 0
    out = tool(*conf, "list", name).stdout
    assert f'{name}. 30 IN TXT "{V1}"' in out, out
    assert f'{name}. 60 IN TXT "{V2}"' in out, out

    # The section's policy: max-records 2 drops the oldest, strict refuses.
    tool(*conf, "add", name, V3)
    assert txt_values(server.query(name, "TXT")) == sorted([V2, V3])
    res = tool(*conf, "add", name, "not a challenge", check=False)
    assert res.returncode == 2 and "strict" in res.stderr, res.stderr

    tool(*conf, "del", name, V2)
    assert txt_values(server.query(name, "TXT")) == [V3]
    tool(*conf, "del", name)
    assert server.query(name, "TXT").rcode() == 3  # NXDOMAIN
    res = tool(*conf, "del", name, check=False)
    assert res.returncode == 1 and "no such value" in res.stderr, res.stderr


def test_conf_list_every_store_once_and_json(server):
    conf = ["-c", server.conf]
    tool(*conf, "add", f"a.{ALIAS_ZONE}", V1)
    tool(*conf, "add", DELEG_ZONE, "any text")
    rows = json.loads(tool(*conf, "list", "--json").stdout)
    assert [(r["name"], r["txt"]) for r in rows] == [
        (f"a.{ALIAS_ZONE}.", [V1]), (f"{DELEG_ZONE}.", ["any text"])], rows
    assert rows[0]["database"] == f"Redis 127.0.0.1@{server.acme['alias']['redis'].split('@')[1]}, prefix alias:"
    out = tool(*conf, "purge").stdout
    assert out == "purged 0 expired values\n", out  # Redis expires keys itself


def test_bare_store_with_prefix(server, redis_server):
    """-R ADDR --redis-prefix P: no configuration, -l gives the lifetime; the
    values are knotd's when the prefix is its section's."""
    bare = ["-R", redis_server.sock, "--redis-prefix", "alias:"]
    name = f"bare.{ALIAS_ZONE}"
    tool(*bare, "-l", "10m", "add", name, V1, 120)
    assert txt_values(server.query(name, "TXT")) == [V1]
    out = tool(*bare, "list").stdout
    assert f'{name}. 120 IN TXT "{V1}" ; expires in 9m' in out, out
    assert tool("-R", redis_server.sock, "list").stdout == ""   # default prefix acme:


@pytest.mark.parametrize("args,message", [
    (["-R", "127.0.0.1@0", "list"], "invalid Redis address"),
    (["-R", "/tmp/x.sock", "-D", "/tmp/db", "list"], "-R names a bare Redis store"),
    (["--redis-prefix", "p:", "-D", "/tmp/db", "list"], "--redis-prefix applies to -R only"),
    (["-R", "/tmp/x.sock", "--redis-prefix", "a b", "list"], "invalid Redis prefix"),
    (["-R", "/tmp/x.sock", "register", "x.example.com"], "not with -D, -R or -l"),
])
def test_bare_store_usage_errors(args, message, knot_acme):
    res = tool(*args, check=False)
    assert res.returncode == 2, res.stdout + res.stderr
    assert message in res.stderr, res.stderr


def test_redis_down_is_an_error(tmp_path, knot_acme):
    res = tool("-R", tmp_path / "none.sock", "list", check=False)
    assert res.returncode == 1
    assert "cannot list values of Redis" in res.stderr, res.stderr
