"""mod-acme configured with redis-sentinel and redis-sentinel-master (no
`redis`): the Sentinels name the primary for updates and, without
redis-read, for answers too; after the primary is killed and a replica
promoted, updates and answers resume without a reload.  Real knotd, real
redis-server and redis-sentinel (acmetest.redis.RedisGroup)."""

import time

import pytest

from acmetest.ddns import add, ddns_conf, make_update, send_wire, unique_label
from acmetest.knotd import ALIAS_ZONE, DEFAULT_ACME, Zone, challenge_value, txt_values
from acmetest.redis import MASTER, RedisGroup, missing

UPDATABLE = dict(zones=[Zone(ALIAS_ZONE, options={"acl": "upd"})],
                 extra_conf=ddns_conf(acls={"upd": "address: 127.0.0.1\naction: update"}))


@pytest.fixture
def group(tmp_path):
    if missing():
        pytest.fail(f"missing: {', '.join(missing())} (scripts/deps installs them)")
    g = RedisGroup(replicas=1, sentinels=2, workdir=str(tmp_path / "redis"))
    g.start()
    yield g
    g.cleanup()


def _update(k, owner, value):
    reply = send_wire(make_update(ALIAS_ZONE, updates=[add(owner, value)]).wire, k.port)
    return None if reply is None else reply.rcode


@pytest.mark.slow
def test_sentinel_names_primary_and_failover(knotd_factory, module_so, group):
    k = knotd_factory(**UPDATABLE, acme={"default": dict(DEFAULT_ACME, database=None, **{
        "redis-sentinel": "[" + ", ".join(s.address for s in group.sentinels) + "]",
        "redis-sentinel-master": MASTER, "redis-timeout": 1000})})
    assert f"sentinel master {MASTER}, read the primary" in k.log(), k.diagnostics()
    before = f"{unique_label('sent')}.{ALIAS_ZONE}"
    assert _update(k, before, challenge_value(before)) == 0, k.diagnostics()
    assert txt_values(k.query(before, "TXT")) == [challenge_value(before)]
    group.wait_synced()

    old = group.primary
    old.kill()
    new = group.wait_failover(old)
    after = f"{unique_label('sent')}.{ALIAS_ZONE}"
    deadline = time.monotonic() + 30
    while _update(k, after, challenge_value(after)) != 0:
        assert time.monotonic() < deadline, "updates did not resume\n" + k.diagnostics()
        time.sleep(0.2)
    # Both answered from the promoted replica, which the Sentinels name.
    assert txt_values(k.query(after, "TXT")) == [challenge_value(after)]
    assert txt_values(k.query(before, "TXT")) == [challenge_value(before)]
    k.wait_log(rf"Redis primary moved from 127\.0\.0\.1@{old.port} to 127\.0\.0\.1@{new.port} "
               rf"\(Sentinel master {MASTER}\)")
