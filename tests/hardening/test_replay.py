"""TSIG replay protection (module/dns/replay.c), beyond Knot and BIND.

A correctly signed UPDATE stays verifiable for its whole time window
(time signed +- fudge): Knot's native DDNS (and BIND) apply a captured copy
again.  mod-acme remembers the MAC of every signed UPDATE it accepted until
its window is over and answers a second arrival NOTAUTH with TSIG error
BADTIME, signed (see RELIABILITY.md for the choice of rcode).

The main cases replay real captured messages: nsupdate and knsupdate talk to
knotd through a recording proxy, and the exact bytes they sent are sent again.
The fast cases (a replay in every variant, across a reload, replay-cache 0,
the 300 s window) are in tests/integration/test_limits.py (make check).
"""

import subprocess
import threading

import pytest

from acmetest.ddns import (add, assert_replay_refused, attached, del_rrset, make_update, other_id,
                           send_wire, unique_label, upper_key)
from acmetest.harden import K1, Conn, Proxy, acl_conf, record, zone
from acmetest.knotd import HOST, challenge_value

ZONE = "replay.test"        # replay-cache default
NOCACHE = "nocache.test"    # replay-cache 0: Knot's behaviour
TINY = "tiny.test"          # replay-cache 7: one bucket
NATIVE = "native.test"      # no module: Knot's native DDNS


@pytest.fixture(scope="module")
def server(request):
    from acmetest.ddns import DdnsKnotd, serving
    acme = {
        "default": {"lifetime": 3600, "max-records": 8, "strict": True},
        "nocache": {"lifetime": 3600, "max-records": 8, "strict": True, "replay-cache": 0},
        "tiny": {"lifetime": 3600, "max-records": 8, "strict": True, "replay-cache": 7},
    }
    zones = [zone(ZONE), zone(NOCACHE, "nocache"), zone(TINY, "tiny"), zone(NATIVE, None)]
    yield from serving(DdnsKnotd(zones, acme=acme, extra_conf=acl_conf()))


@pytest.fixture
def k(server, request):
    yield from attached(request, server)


def txt(k, name: str):
    return sorted(b"".join(rd.strings).decode() for rr in k.query(name, "TXT").answer
                  for rd in rr)


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
@pytest.mark.parametrize("tool", ["nsupdate", "knsupdate"])
def test_captured_client_update_replayed(k, tool, tcp):
    """A real client's UPDATE, captured on the wire and replayed after the
    value was deleted: refused, and the value stays deleted."""
    name = f"{unique_label(tool)}.{ZONE}."
    value = challenge_value(name)
    proxy = Proxy(k.port)
    try:
        proxy.label = "add"
        script = (f"server {HOST} {proxy.port}\nzone {ZONE}\n"
                  f"update add {name} 60 TXT \"{value}\"\nsend\n")
        res = subprocess.run([tool, "-y", K1.nsupdate_y()] + (["-v"] if tcp else []),
                             input=script, capture_output=True, text=True, timeout=30)
        assert res.returncode == 0, res.stdout + res.stderr
    finally:
        proxy.close()
    captured = proxy.updates("add")
    assert len(captured) == 1, f"{tool} sent {len(captured)} UPDATEs"
    wire = captured[0]
    assert txt(k, name) == [value]

    # The owner deletes the value (a new, properly signed message).
    req = make_update(ZONE, updates=[del_rrset(name)], key=K1)
    assert k.send(req.wire, tcp=True).rcode_text == "NOERROR"
    assert txt(k, name) == []

    mark = k.log_mark()
    for variant, data, over_tcp in (("as captured", wire, tcp),
                                    ("other transport", wire, not tcp),
                                    ("other ID", other_id(wire), tcp),
                                    ("key name upper case", upper_key(wire, K1), tcp)):
        assert_replay_refused(k.send(data, tcp=over_tcp), variant)
        assert txt(k, name) == [], f"replay ({variant}) brought the value back"
    k.wait_log(r"replayed message", mark)


def test_concurrent_copies_exactly_one_applied(k):
    """The same signed message sent by 16 threads at once, over UDP and TCP
    (different knotd workers): exactly one is applied."""
    name = f"{unique_label('conc')}.{ZONE}."
    wire = make_update(ZONE, updates=[add(name, challenge_value(name))], key=K1).wire
    barrier = threading.Barrier(16)
    replies = [None] * 16

    def worker(i):
        barrier.wait()
        replies[i] = send_wire(wire, k.port, tcp=bool(i % 2), timeout=5)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    rcodes = [r.rcode_text if r else None for r in replies]
    assert rcodes.count("NOERROR") == 1, rcodes
    for r in replies:
        if r.rcode_text != "NOERROR":
            assert_replay_refused(r)


def test_native_knot_applies_replays(k):
    """The reason for all this: Knot's own DDNS applies a replayed UPDATE."""
    from acmetest.ddns import RR
    import dns.rdatatype
    name = f"{unique_label('native')}.{NATIVE}."
    addr = RR(name, dns.rdatatype.A, 1, 60, bytes([192, 0, 2, 7]))
    req = make_update(NATIVE, updates=[addr], key=K1)
    assert k.send(req.wire).rcode_text == "NOERROR"
    delete = RR(name, dns.rdatatype.A, 255, 0, b"")
    assert k.send(make_update(NATIVE, updates=[delete], key=K1).wire).rcode_text == "NOERROR"
    assert k.send(req.wire).rcode_text == "NOERROR"
    ans = k.query(name, "A").answer
    assert ans and ans[0][0].address == "192.0.2.7"


def test_full_cache_never_lets_a_replay_through(k):
    """With room for 7 MACs, 40 fresh updates: some are refused (the cache
    cannot tell them from replays), but no replay is ever applied."""
    reqs, fresh = [], 0
    conn = Conn(k.port)
    mark = k.log_mark()
    for i in range(40):
        name = f"{unique_label('tiny')}.{TINY}."
        req = make_update(TINY, updates=[add(name, challenge_value(name))], key=K1)
        r = conn.send(req.wire)
        assert r is not None
        if r.rcode_text == "NOERROR":
            fresh += 1
            reqs.append((req, name))
        else:
            assert_replay_refused(r, "fresh message over capacity")
    assert fresh >= 7
    for req, name in reqs:
        k.delete(name, instance="tiny")  # the tool: deletes over DDNS may be refused now
    for req, name in reqs:
        assert_replay_refused(conn.send(req.wire), "replay over capacity")
        assert txt(k, name) == []
    conn.close()
    if fresh < 40:
        k.wait_log(r"replay cache full", mark)
    record("replay_tiny_cache", fresh_accepted=fresh, sent=40, capacity=7)
