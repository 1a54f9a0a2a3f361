"""Permissions of the challenge store.

- The module creates the database readable only by knotd's user: directory
  0700, data.mdb and lock.mdb 0600, whatever the umask, and, when knotd
  drops privileges (`server.user`), owned by that user.
- The knot-acme tool warns on a database anyone else can write.
"""

import os
import pwd
import stat
import subprocess
from pathlib import Path

import pytest

from acmetest.ddns import DdnsKnotd, add, make_update
from acmetest.harden import K1, Conn, acl_conf, zone
from acmetest.knotd import KNOT_ACME, challenge_value

ZONE = "perm.test"


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def assert_private(db: str):
    assert mode(db) == 0o700, f"{db}: {oct(mode(db))}"
    for f in ("data.mdb", "lock.mdb"):
        p = Path(db) / f
        assert mode(p) & 0o077 == 0, f"{p}: {oct(mode(p))}"


def write_one(k):
    conn = Conn(k.port)
    name = f"w.{ZONE}."
    r = conn.send(make_update(ZONE, updates=[add(name, challenge_value(name))], key=K1).wire)
    conn.close()
    assert r is not None and r.rcode_text == "NOERROR", r and r.summary()


def test_created_private_whatever_the_umask(ddns_factory):
    old = os.umask(0)
    try:
        k = ddns_factory([zone(ZONE)], acme={"default": {"database": None}},
                         extra_conf=acl_conf(), start=False)
        k.acme["default"]["database"] = str(Path(k.dir) / "nested" / "deeper" / "acme")
        k.start()
    finally:
        os.umask(old)
    write_one(k)
    assert_private(k.db_path())


class UserKnotd(DdnsKnotd):
    """knotd dropping privileges to server.user after start."""

    def __init__(self, *a, user="knot", **kw):
        self.user = user
        super().__init__(*a, **kw)

    def config_text(self) -> str:
        return super().config_text().replace("server:\n", f"server:\n  user: {self.user}\n", 1)


def test_owned_by_knotd_user(request):
    try:
        pw = pwd.getpwnam("knot")
    except KeyError:
        pytest.skip("no 'knot' user (created by Debian's knot package)")
    k = UserKnotd([zone(ZONE)], acme={"default": {"lifetime": 3600}}, extra_conf=acl_conf())
    request.node._knotd_instances = [k]
    try:
        for root, dirs, files in os.walk(k.dir):
            for p in [root] + [os.path.join(root, f) for f in files]:
                os.chown(p, pw.pw_uid, pw.pw_gid)
        k.start()
        status = Path(f"/proc/{k.proc.pid}/status").read_text()
        uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[2])
        assert uid == pw.pw_uid, "knotd did not drop privileges"
        write_one(k)
        db = k.db_path()
        assert_private(db)
        for p in (db, f"{db}/data.mdb", f"{db}/lock.mdb"):
            assert os.stat(p).st_uid == pw.pw_uid, f"{p} owned by uid {os.stat(p).st_uid}"
        # knotd keeps writing after a reload and a restart as that user.
        k.reload()
        write_one(k)
        k.restart()
        write_one(k)
    finally:
        k.cleanup()


@pytest.fixture
def db(tmp_path):
    d = tmp_path / "acme"
    res = subprocess.run([KNOT_ACME, "-D", str(d), "add", f"x.{ZONE}.", "value"],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    assert_private(d)
    assert "warning" not in res.stderr
    return d


def tool_list(d):
    return subprocess.run([KNOT_ACME, "-D", str(d), "list"], capture_output=True,
                          text=True, timeout=30)


@pytest.mark.parametrize("dir_mode", [0o770, 0o777, 0o730, 0o702])
def test_tool_warns_on_writable_directory(db, dir_mode):
    os.chmod(db, dir_mode)
    res = tool_list(db)
    assert res.returncode == 0
    assert "warning" in res.stderr and "writable by others" in res.stderr, res.stderr


@pytest.mark.parametrize("dir_mode", [0o700, 0o750, 0o755])
def test_tool_quiet_on_private_directory(db, dir_mode):
    os.chmod(db, dir_mode)
    res = tool_list(db)
    assert res.returncode == 0 and "warning" not in res.stderr, res.stderr


@pytest.mark.parametrize("name", ["data.mdb", "lock.mdb"])
def test_tool_warns_on_writable_file(db, name):
    os.chmod(db, 0o755)
    os.chmod(db / name, 0o666)
    res = tool_list(db)
    assert res.returncode == 0
    assert "warning" in res.stderr, res.stderr
