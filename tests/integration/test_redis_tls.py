"""TLS to Redis (redis-tls): only where the module was built with hiredis
1.0+ and hiredis_ssl (Debian 13; Debian 12's hiredis 0.14 has no TLS, which
test_redis_config.py checks).  A redis-server with a TLS port and a test CA
made with openssl: the module writes over TLS with a client certificate and
reads over the plain UNIX socket; a server whose certificate another CA
signed is refused, and the log says why."""

import subprocess

import pytest

from acmetest.ddns import add, ddns_conf, make_update, send_wire, unique_label
from acmetest.knotd import ALIAS_ZONE, DEFAULT_ACME, Zone, challenge_value, free_port, txt_values
from acmetest.redis import RedisServer

UPDATABLE = dict(zones=[Zone(ALIAS_ZONE, options={"acl": "upd"})],
                 extra_conf=ddns_conf(acls={"upd": "address: 127.0.0.1\naction: update"}))


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_ca(d, name):
    key, crt = d / f"{name}.key", d / f"{name}.crt"
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
            f"/CN={name}", "-keyout", str(key), "-out", str(crt))
    return key, crt


def make_cert(d, name, ca_key, ca_crt):
    key, csr, crt = d / f"{name}.key", d / f"{name}.csr", d / f"{name}.crt"
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", str(key), "-out", str(csr))
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca_crt), "-CAkey", str(ca_key),
            "-CAcreateserial", "-days", "2", "-out", str(crt))
    key.chmod(0o600)
    return key, crt


@pytest.fixture
def pki(tmp_path):
    d = tmp_path / "pki"
    d.mkdir()
    ca_key, ca = make_ca(d, "ca")
    other_key, other = make_ca(d, "other-ca")
    srv_key, srv = make_cert(d, "server", ca_key, ca)
    cli_key, cli = make_cert(d, "client", ca_key, ca)
    return dict(ca=ca, other=other, srv=srv, srv_key=srv_key, cli=cli, cli_key=cli_key)


@pytest.fixture
def tls_built(knotd_factory, module_so, pki):
    """Skips (saying why) when the module has no TLS."""
    k = knotd_factory(start=False, acme={"default": dict(
        DEFAULT_ACME, **{"redis": "127.0.0.1", "redis-tls": True,
                         "redis-tls-ca": str(pki["ca"])})})
    res = k.conf_check()
    if "has no TLS" in res.stdout + res.stderr:
        pytest.skip("this build's hiredis has no TLS (Debian 12: hiredis 0.14); "
                    "test_redis_config.py checks the refusal")
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.fixture
def tls_redis(tmp_path, pki, tls_built):
    port = free_port()
    r = RedisServer(tmp_path / "redis", "redis", extra=[
        f"tls-port {port}", f"tls-cert-file {pki['srv']}", f"tls-key-file {pki['srv_key']}",
        f"tls-ca-cert-file {pki['ca']}", "tls-auth-clients yes"])
    r.start()
    r.tls_port = port
    yield r
    r.kill()


def _update(k, owner, value):
    return send_wire(make_update(ALIAS_ZONE, updates=[add(owner, value)]).wire, k.port)


def test_tls_with_client_certificate(knotd_factory, tls_redis, pki):
    k = knotd_factory(**UPDATABLE, acme={"default": dict(DEFAULT_ACME, database=None, **{
        "redis": f"127.0.0.1@{tls_redis.tls_port}", "redis-read": tls_redis.sock,
        "redis-tls": True, "redis-tls-ca": str(pki["ca"]),
        "redis-tls-cert": str(pki["cli"]), "redis-tls-key": str(pki["cli_key"]),
        "redis-tls-name": "redis.test"})})
    assert ", TLS," in k.log(), k.diagnostics()
    owner = f"{unique_label('tls')}.{ALIAS_ZONE}"
    value = challenge_value(owner)
    assert _update(k, owner, value).rcode == 0, k.diagnostics()
    assert txt_values(k.query(owner, "TXT")) == [value]
    clients = tls_redis.cmd("CLIENT", "LIST").decode()
    assert "laddr=127.0.0.1:%d" % tls_redis.tls_port in clients, clients


def test_tls_server_of_another_ca_refused(knotd_factory, tls_redis, pki):
    k = knotd_factory(**UPDATABLE, acme={"default": dict(DEFAULT_ACME, database=None, **{
        "redis": f"127.0.0.1@{tls_redis.tls_port}", "redis-read": tls_redis.sock,
        "redis-tls": True, "redis-tls-ca": str(pki["other"]),
        "redis-tls-cert": str(pki["cli"]), "redis-tls-key": str(pki["cli_key"])})})
    owner = f"{unique_label('tlsbad')}.{ALIAS_ZONE}"
    assert _update(k, owner, challenge_value(owner)).rcode == 2  # SERVFAIL
    k.wait_log(r"Redis primary 127\.0\.0\.1@\d+ unreachable \(SSL_connect failed: "
               r"certificate verify failed\)")
    assert tls_redis.cmd("KEYS", "*") == []


def test_tls_needs_ca(knotd_factory, tls_built):
    k = knotd_factory(start=False, acme={"default": dict(
        DEFAULT_ACME, **{"redis": "127.0.0.1", "redis-tls": True})})
    res = k.conf_check()
    assert res.returncode != 0
    assert "redis-tls needs redis-tls-ca" in res.stdout + res.stderr
