"""Full disk / full map: a tiny LMDB map (map-size 128K).

- Updates past capacity get SERVFAIL, and the log names the cause
  ("database full (map-size reached)").
- While full, queries keep being answered (zone data and stored values),
  and deletes still work (the store keeps 1/8 of the map for them).
- Once values are deleted (DDNS or the tool) or expire and are purged,
  adds succeed again.
- No corruption: the database walks cleanly (mdb_stat -a), survives a
  restart with the same content, and the tool reads it.
"""

import time

import pytest

from acmetest.ddns import add, del_rrset, make_update
from acmetest.harden import (K1, Conn, acl_conf, lmdb_check, lmdb_env_info, record, store_values,
                             zone)

FULL = "full.test"        # lifetime 3600 s: space comes back only by deleting
EXPIRE = "expire.test"    # lifetime 3 s: space comes back by expiry
MAP = 1024 * 1024
VALUE = "v" * 200          # strict off: big values fill the map quickly


@pytest.fixture(params=[MAP])
def k(ddns_factory, request):
    acme = {
        "full": {"lifetime": 3600, "max-records": 8, "strict": False, "map-size": request.param},
        "expire": {"lifetime": 3, "max-records": 8, "strict": False, "map-size": MAP},
    }
    return ddns_factory([zone(FULL, "full"), zone(EXPIRE, "expire")], acme=acme,
                        extra_conf=acl_conf())


def fill(k, conn, zone_name, prefix):
    """Adds 10 values per update at new names until SERVFAIL; returns the
    names written and the number of updates accepted."""
    names, accepted = [], 0
    for i in range(2000):
        batch = [f"{prefix}{i}-{j}.{zone_name}." for j in range(10)]
        r = conn.send(make_update(zone_name, updates=[add(n, f"{VALUE}{j}")
                                                      for j, n in enumerate(batch)],
                                  key=K1).wire)
        assert r is not None, "no reply while filling"
        if r.rcode_text == "SERVFAIL":
            return names, accepted
        assert r.rcode_text == "NOERROR", r.summary()
        names += batch
        accepted += 1
    pytest.fail("the map never filled up")


def still_serving(k, zone_name, name, value):
    soa = k.query(f"{zone_name}.", "SOA")
    assert soa.rcode() == 0 and soa.answer
    ans = k.query(name, "TXT")
    assert ans.rcode() == 0 and value in [b"".join(rd.strings).decode()
                                          for rr in ans.answer for rd in rr]
    assert k.query(f"nothing.{zone_name}.", "TXT").rcode() == 3  # NXDOMAIN
    assert k.query(name, "TXT", tcp=True).answer


@pytest.mark.parametrize("k", [MAP], indirect=True, ids=["1M"])
def test_full_map_servfail_then_recovers_by_deleting(k):
    conn = Conn(k.port)
    db = k.db_path("full")
    keep = f"keep.{FULL}."
    assert conn.send(make_update(FULL, updates=[add(keep, "kept")], key=K1).wire)\
        .rcode_text == "NOERROR"

    mark = k.log_mark()
    names, accepted = fill(k, conn, FULL, "a")
    k.wait_log(r"SERVFAIL, database full \(map-size reached\)", mark)
    info = lmdb_env_info(db)

    # Full: answers go on, and another add is refused the same way.
    still_serving(k, FULL, keep, "kept")
    still_serving(k, FULL, names[0], f"{VALUE}0")
    r = conn.send(make_update(FULL, updates=[add(f"more.{FULL}.", "x")], key=K1).wire)
    assert r.rcode_text == "SERVFAIL"

    # Deletes work on a full database (the reserve), over DDNS and the tool:
    # a quarter of the values each.
    quarter = len(names) // 4
    for n in names[:quarter]:
        r = conn.send(make_update(FULL, updates=[del_rrset(n)], key=K1).wire)
        assert r.rcode_text == "NOERROR", r.summary()
    for n in names[quarter:2 * quarter]:
        k.delete(n, instance="full")

    # Space is back: adds succeed again.
    r = conn.send(make_update(FULL, updates=[add(f"again.{FULL}.", "again")], key=K1).wire)
    assert r.rcode_text == "NOERROR", r.summary()
    still_serving(k, FULL, f"again.{FULL}.", "again")

    # No corruption: walks cleanly, same content after a restart.
    lmdb_check(db)
    before = store_values(db)
    conn.close()
    k.restart()
    lmdb_check(db)
    assert store_values(db) == before
    still_serving(k, FULL, keep, "kept")
    record("full_map_delete", map_size=k.acme["full"]["map-size"], updates_accepted=accepted,
           values=len(names) + 1, pages_used=info.get("pages"), max_pages=info.get("max_pages"))


def test_full_map_recovers_by_expiry(k):
    conn = Conn(k.port)
    db = k.db_path("expire")
    mark = k.log_mark()
    names, accepted = fill(k, conn, EXPIRE, "e")
    k.wait_log(r"database full \(map-size reached\)", mark)
    assert accepted > 0
    # Answers go on while full (the values still live).
    soa = k.query(f"{EXPIRE}.", "SOA")
    assert soa.rcode() == 0 and soa.answer

    # After the lifetime (3 s) the purger frees the space: adds succeed again.
    deadline = time.monotonic() + 15
    waited = time.monotonic()
    while True:
        r = conn.send(make_update(EXPIRE, updates=[add(f"after.{EXPIRE}.", "after")],
                                  key=K1).wire)
        if r.rcode_text == "NOERROR":
            break
        assert r.rcode_text == "SERVFAIL", r.summary()
        assert time.monotonic() < deadline, "space never came back after expiry"
        time.sleep(0.5)
    waited = time.monotonic() - waited
    assert k.query(f"after.{EXPIRE}.", "TXT").answer
    # The old values are gone from DNS and from disk.
    assert k.query(names[0], "TXT").rcode() == 3
    lmdb_check(db)
    assert f"after.{EXPIRE}." in store_values(db)
    conn.close()
    record("full_map_expiry", map_size=MAP, updates_accepted=accepted,
           seconds_until_writable=round(waited, 1))
