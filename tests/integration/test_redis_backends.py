"""LMDB and Redis answer alike, byte for byte.

Twin knotds with the same zones, keys and acls: one keeps the values in
LMDB, the other in a redis-server started for this file.  The same UPDATE
messages (same IDs; unsigned, allowed by address, so that replies carry no
time) go to both, and every reply must be the same bytes; after each step the same queries (same IDs; UDP and TCP; names
in mixed case, empty non-terminals, names below and beside values, other
types, the apex, the zone's static names) must get the same bytes too.
Seeded random sequences of adds, deletes and prerequisites of every kind,
with max-records, strict and the limits of the section, plus fixed cases.

(The integration suite itself also runs whole on Redis: tests/run
integration-redis.)
"""

import random
import socket
import struct

import pytest

import os

from acmetest.ddns import (DdnsKnotd, add, attached, build_update, ddns_conf, del_rrset,
                           del_value, nxdomain, nxrrset, serving, value_rr, yxdomain, yxrrset)
from acmetest.knotd import HOST, MOD_ACME_SO, Zone, challenge_value, recv_exact
from acmetest.redis import RedisServer

STRICT = "strict.test"   # strict, max-records 3
LAX = "lax.test"         # strict off, max-records 8
ZONES = (STRICT, LAX)
#: Owners the sequences use (relative), a few nested for empty non-terminals.
OWNERS = ["a", "b.a", "c.b.a", "x.y", "_acme-challenge.www", "w.x.y", "static"]
#: Names queried after each step, beyond the owners.
EXTRA_QUERIES = ["@", "y", "www", "nothere", "z.c.b.a", "host", "alias", "q.wild"]
QTYPES = ["TXT", "A", "ANY", "NS", "SOA", "AAAA"]


def _acme(items):
    return dict({"lifetime": 3600, "max-ttl": 300, "replay-cache": 0}, **items)


SECTIONS = {
    "strict": _acme({"strict": True, "max-records": 3}),
    "lax": _acme({"strict": False, "max-records": 8}),
}


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    if not os.path.isfile(MOD_ACME_SO):
        pytest.fail(f"mod-acme.so not found at {MOD_ACME_SO}")
    redis = RedisServer(tmp_path_factory.mktemp("redis"), "redis")
    redis.start()
    conf = ddns_conf(acls={"upd": "address: 127.0.0.1\naction: update"})
    zones = [Zone(STRICT, module="mod-acme/strict", options={"acl": "upd"}),
             Zone(LAX, module="mod-acme/lax", options={"acl": "upd"})]
    lmdb = DdnsKnotd(zones, acme={i: dict(s) for i, s in SECTIONS.items()}, extra_conf=conf)
    on_redis = DdnsKnotd(zones, extra_conf=conf, acme={
        i: dict(s, database=None, **{"redis": redis.sock, "redis-prefix": f"{i}:"})
        for i, s in SECTIONS.items()})
    try:
        yield from serving(lmdb, on_redis, value=(lmdb, on_redis, redis))
    finally:
        redis.kill()


@pytest.fixture
def pair(request, twins):
    lmdb, on_redis, redis = twins
    yield from attached(request, lmdb, on_redis, value=(lmdb, on_redis))


def exchange(port: int, wire: bytes, tcp: bool) -> bytes:
    if tcp:
        with socket.create_connection((HOST, port), timeout=3) as s:
            s.sendall(struct.pack("!H", len(wire)) + wire)
            return recv_exact(s, struct.unpack("!H", recv_exact(s, 2))[0])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(3)
        s.connect((HOST, port))
        s.send(wire)
        while True:
            resp = s.recv(65535)
            if resp[:2] == wire[:2]:
                return resp


def query_wire(name: str, qtype: str, msg_id: int, dnssec_ok: bool = False) -> bytes:
    import dns.message
    q = dns.message.make_query(name, qtype, use_edns=0, payload=1232, want_dnssec=dnssec_ok)
    q.id = msg_id
    return q.to_wire()


def same_reply(pair, wire: bytes, tcp: bool = False, what: str = ""):
    a, b = (exchange(k.port, wire, tcp) for k in pair)
    assert a == b, (f"{what}: LMDB and Redis differ\nLMDB:  {a.hex()}\nRedis: {b.hex()}\n"
                    + "\n".join(k.diagnostics(10) for k in pair))
    return a


def mixed_case(name: str, rnd: random.Random) -> str:
    return "".join(c.upper() if rnd.random() < 0.5 else c for c in name)


def check_answers(pair, zone: str, rnd: random.Random, step: str) -> int:
    """Queries both; returns how many TXT answers held module values."""
    served = 0
    for rel in OWNERS + EXTRA_QUERIES:
        name = zone if rel == "@" else f"{rel}.{zone}"
        for qtype in ("TXT", rnd.choice(QTYPES)):
            tcp = rnd.random() < 0.3
            wire = query_wire(mixed_case(name, rnd), qtype, rnd.randrange(65536),
                              dnssec_ok=rnd.random() < 0.2)
            reply = same_reply(pair, wire, tcp, f"{step}: {name} {qtype}{' tcp' if tcp else ''}")
            ancount = struct.unpack("!H", reply[6:8])[0]
            served += qtype == "TXT" and rel not in ("static", "q.wild") and ancount > 0
    return served




def random_rr(zone: str, rnd: random.Random, values):
    owner = f"{rnd.choice(OWNERS)}.{zone}"
    kind = rnd.randrange(10)
    v = rnd.choice(values)
    if kind < 5:
        return "u", add(owner, v, ttl=rnd.choice([0, 30, 60, 600]))
    if kind < 7:
        return "u", del_value(owner, v)
    if kind < 8:
        return "u", del_rrset(owner)
    pre = rnd.choice([yxdomain(owner), nxdomain(owner), yxrrset(owner), nxrrset(owner),
                      value_rr(owner, v)])
    return "p", pre


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_sequences_byte_identical(pair, seed):
    rnd = random.Random(seed)
    values = [challenge_value(f"{seed}-{i}") for i in range(6)] + ["not a challenge"]
    accepted = served = 0
    for step in range(40):
        zone = rnd.choice(ZONES)
        rrs = [random_rr(zone, rnd, values) for _ in range(rnd.randint(1, 4))]
        prereqs = [rr for k, rr in rrs if k == "p"]
        updates = [rr for k, rr in rrs if k == "u"]
        wire = build_update(zone, prereqs, updates, msg_id=rnd.randrange(65536))
        reply = same_reply(pair, wire, rnd.random() < 0.5, f"seed {seed} step {step}: update")
        accepted += (reply[3] & 0xF) == 0
        served += check_answers(pair, zone, rnd, f"seed {seed} step {step}")
    # The sequence did something: updates taken, values answered.
    assert accepted >= 5 and served >= 20, (accepted, served)


def test_fixed_cases_byte_identical(pair):
    rnd = random.Random(7)
    v = [challenge_value(f"fixed-{i}") for i in range(5)]
    owner = f"_acme-challenge.www.{STRICT}"
    steps = [
        ([], [add(owner, v[0]), add(owner, v[1]), add(owner, v[2]), add(owner, v[3])]),
        ([value_rr(owner, v[1]), value_rr(owner, v[2]), value_rr(owner, v[3])], [del_rrset(owner)]),
        ([yxrrset(owner)], [add(f"deep.er.{STRICT}", v[4])]),
        ([nxdomain(f"er.{STRICT}")], [add(f"er.{STRICT}", v[4])]),
        ([], [add(owner.upper(), "not strict")]),
        ([], [del_value(owner.upper(), v[2])]),
    ]
    for i, (prereqs, updates) in enumerate(steps):
        same_reply(pair, build_update(STRICT, prereqs, updates, msg_id=1000 + i), False,
                   f"update {i}")
        check_answers(pair, STRICT, rnd, f"fixed step {i}")
