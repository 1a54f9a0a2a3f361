"""Per-message limits (max-update-rrs, max-update-size) and TSIG replay
protection (module/dns/replay.c), the fast cases: part of `make check`.

Over a limit the answer is REFUSED, signed, with a log line naming the
limit, and nothing is written.  A signed UPDATE accepted once is refused
when it arrives again within its time window (NOTAUTH, TSIG error BADTIME,
signed), whatever the transport, header ID, key name case or MAC truncation
(Knot 3.5.7+), and across a reload; replay-cache 0 turns that off, as in
Knot.  The slower cases (captured nsupdate/knsupdate traffic, concurrent
copies, a full cache) are in tests/hardening/test_replay.py.
"""

import pytest

from acmetest.ddns import (MINIMAL_RECORDS, DdnsKnotd, Request, TsigKey, add,
                           assert_replay_refused, attached, build_update, ddns_conf, del_rrset,
                           make_update, other_id, serving, truncate_mac, upper_key, yxdomain)
from acmetest.knotd import TSIG_TRUNCATION, Zone, challenge_value

K1 = TsigKey.make("k1")

LIMITS = "limits.test"      # max-update-rrs 5, max-update-size 1024, strict off
ZONE = "replay.test"        # defaults: replay cache on, 100 RRs, 16 KiB
NOCACHE = "nocache.test"    # replay-cache 0: Knot's behaviour


@pytest.fixture(scope="module")
def server():
    acme = {
        "default": {"lifetime": 3600, "max-records": 8, "strict": True},
        "limits": {"lifetime": 3600, "max-records": 8, "strict": False,
                   "max-update-rrs": 5, "max-update-size": 1024},
        "nocache": {"lifetime": 3600, "max-records": 8, "strict": True, "replay-cache": 0},
    }
    zones = [Zone(z, module=f"mod-acme/{i}", records=MINIMAL_RECORDS,
                  options={"acl": "[ upd ]"})
             for z, i in ((ZONE, "default"), (LIMITS, "limits"), (NOCACHE, "nocache"))]
    conf = ddns_conf([K1], acls={"upd": "key: k1\naction: update"})
    yield from serving(DdnsKnotd(zones, acme=acme, extra_conf=conf))


@pytest.fixture
def k(server, request):
    yield from attached(request, server)


_seq = [0]


def uniq(prefix: str) -> str:
    _seq[0] += 1
    return f"{prefix}{_seq[0]}"


def txt(k, name: str):
    return sorted(b"".join(rd.strings).decode() for rr in k.query(name, "TXT").answer
                  for rd in rr)


# -- limits -----------------------------------------------------------------------

@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_max_update_rrs(k, tcp):
    name = f"{uniq('rrs')}.{LIMITS}."
    ok = make_update(LIMITS, updates=[add(f"a{i}.{name}", f"v{i}") for i in range(5)], key=K1)
    assert k.send(ok.wire, tcp=tcp).summary() == ("NOERROR", "NOERROR", True)
    assert txt(k, f"a4.{name}") == ["v4"]

    mark = k.log_mark()
    over = make_update(LIMITS, updates=[add(f"b{i}.{name}", f"v{i}") for i in range(6)], key=K1)
    r = k.send(over.wire, tcp=tcp)
    assert r.summary() == ("REFUSED", "NOERROR", True)
    r.verified(over)
    k.wait_log(r"REFUSED, 6 RRs, more than max-update-rrs 5", mark)
    assert txt(k, f"b0.{name}") == []

    # Prerequisites count too: 3 + 2 is within, 3 + 3 is over.
    within = make_update(LIMITS, prereqs=[yxdomain(f"a{i}.{name}") for i in range(3)],
                         updates=[add(f"c{i}.{name}", f"v{i}") for i in range(2)], key=K1)
    assert k.send(within.wire, tcp=tcp).rcode_text == "NOERROR"
    mixed = make_update(LIMITS, prereqs=[yxdomain(f"a{i}.{name}") for i in range(3)],
                        updates=[add(f"d{i}.{name}", f"v{i}") for i in range(3)], key=K1)
    assert k.send(mixed.wire, tcp=tcp).rcode_text == "REFUSED"
    assert txt(k, f"d0.{name}") == []

    # Authentication comes first: unsigned and over the limit is NOTAUTH.
    unsigned = build_update(LIMITS, updates=[add(f"e{i}.{name}", "v") for i in range(6)])
    assert k.send(unsigned, tcp=tcp).rcode_text == "NOTAUTH"


def test_max_update_size(k):
    name = f"{uniq('size')}.{LIMITS}."
    big = "x" * 250
    ok = make_update(LIMITS, updates=[add(f"a.{name}", big), add(f"b.{name}", big)], key=K1)
    assert len(ok.wire) <= 1024
    assert k.send(ok.wire).rcode_text == "NOERROR"

    mark = k.log_mark()
    over = make_update(LIMITS, updates=[add(f"c{i}.{name}", big) for i in range(4)], key=K1)
    assert 1024 < len(over.wire) < 2048
    r = k.send(over.wire, tcp=True)
    assert r.summary() == ("REFUSED", "NOERROR", True)
    k.wait_log(rf"REFUSED, {len(over.wire)} bytes, more than max-update-size 1024", mark)
    assert txt(k, f"c0.{name}") == []


def test_default_limits(k):
    """Defaults: 100 RRs, 16 KiB.  A typical ACME update is one RR of ~200 bytes."""
    name = f"{uniq('default')}.{ZONE}."
    ok = make_update(ZONE, updates=[add(f"a{i}.{name}", challenge_value(i))
                                    for i in range(100)], key=K1)
    assert k.send(ok.wire, tcp=True).rcode_text == "NOERROR"
    over = make_update(ZONE, updates=[add(f"b{i}.{name}", challenge_value(i))
                                      for i in range(101)], key=K1)
    assert k.send(over.wire, tcp=True).rcode_text == "REFUSED"
    assert txt(k, f"b0.{name}") == []


# -- replay -----------------------------------------------------------------------

@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_replayed_update_refused(k, tcp):
    """An accepted update sent again after the value was deleted: refused in
    every variant, and the value stays deleted."""
    name = f"{uniq('again')}.{ZONE}."
    value = challenge_value(name)
    req = make_update(ZONE, updates=[add(name, value)], key=K1)
    assert k.send(req.wire, tcp=tcp).summary() == ("NOERROR", "NOERROR", True)
    assert txt(k, name) == [value]
    assert k.send(make_update(ZONE, updates=[del_rrset(name)], key=K1).wire,
                  tcp=True).rcode_text == "NOERROR"

    mark = k.log_mark()
    for variant, data, over_tcp in (("as sent", req.wire, tcp),
                                    ("other transport", req.wire, not tcp),
                                    ("other ID", other_id(req.wire), tcp),
                                    ("key name upper case", upper_key(req.wire, K1), tcp)):
        assert_replay_refused(k.send(data, tcp=over_tcp), variant)
        assert txt(k, name) == [], f"replay ({variant}) brought the value back"
    k.wait_log(r"replayed message", mark)


def test_truncated_mac_replay_refused(k):
    """libknot 3.5.7+ accepts a MAC cut to half the digest (RFC 8945
    5.2.2.1): the module answers it signed with a whole MAC into a buffer of
    its own (knotd 3.5.8's native DDNS dies there), and a captured update with
    its MAC cut, or cut first and then whole, is the same message: a replay.
    Before 3.5.7 a cut MAC is BADSIG, unsigned, and writes nothing."""
    name = f"{uniq('cut')}.{ZONE}."
    value = challenge_value(name)
    req = make_update(ZONE, updates=[add(name, value)], key=K1)
    cut = truncate_mac(req.wire, K1, 16)
    if not TSIG_TRUNCATION:
        assert k.send(cut).summary() == ("NOTAUTH", "BADSIG", False)
        assert txt(k, name) == []
        return

    r = k.send(cut)
    assert r.summary() == ("NOERROR", "NOERROR", True)
    assert r.tsig_mac_len == 32
    r.verified(Request(cut, K1, req.mac[:16]))  # over the MAC as sent
    assert txt(k, name) == [value]
    assert k.running
    assert k.send(make_update(ZONE, updates=[del_rrset(name)], key=K1).wire)\
        .rcode_text == "NOERROR"
    for variant, data in (("whole MAC", req.wire), ("cut MAC", cut),
                          ("cut to 20", truncate_mac(req.wire, K1, 20))):
        assert_replay_refused(k.send(data), variant)
        assert txt(k, name) == [], f"replay ({variant}) brought the value back"

    # Whole first, then cut: the same.
    name = f"{uniq('cut')}.{ZONE}."
    req = make_update(ZONE, updates=[add(name, challenge_value(name))], key=K1)
    assert k.send(req.wire).rcode_text == "NOERROR"
    assert_replay_refused(k.send(truncate_mac(req.wire, K1, 16)), "cut after whole")


def test_replay_refused_across_reload(k):
    """`knotc reload` creates a new module instance: it shares the cache."""
    name = f"{uniq('reload')}.{ZONE}."
    req = make_update(ZONE, updates=[add(name, challenge_value(name))], key=K1)
    assert k.send(req.wire).rcode_text == "NOERROR"
    k.reload()
    assert_replay_refused(k.send(req.wire), "after reload")


def test_cache_disabled_behaves_like_knot(k):
    """replay-cache 0 switches the protection off: the copy is applied."""
    name = f"{uniq('off')}.{NOCACHE}."
    value = challenge_value(name)
    req = make_update(NOCACHE, updates=[add(name, value)], key=K1)
    assert k.send(req.wire).rcode_text == "NOERROR"
    assert k.send(make_update(NOCACHE, updates=[del_rrset(name)], key=K1).wire)\
        .rcode_text == "NOERROR"
    assert k.send(req.wire).rcode_text == "NOERROR"
    assert txt(k, name) == [value]


@pytest.mark.parametrize("offset,ok", [(-200, True), (200, True), (-400, False), (400, False)])
def test_window_capped_at_300s(k, offset, ok):
    """A fudge above 300 s is honoured only within 300 s: the cache could not
    remember longer windows in bounded memory (Knot would accept +-3600)."""
    name = f"{uniq('fudge')}.{ZONE}."
    req = make_update(ZONE, updates=[add(name, challenge_value(name))], key=K1,
                      time_offset=offset, fudge=3600)
    r = k.send(req.wire)
    if ok:
        assert r.rcode_text == "NOERROR", r.summary()
        assert_replay_refused(k.send(req.wire), f"offset {offset}, sent again")
    else:
        assert_replay_refused(r, f"offset {offset}")
        assert txt(k, name) == []
