"""acl decisions one at a time: `deny` and `update-owner` (name, zone, key)
with each `update-owner-match`, `update-type`, and the order of entries.

test_differential.py compares a large table of acl cases with Knot's own
DDNS; these are the same rules as small named cases with the expected
answer written out, so that a change to one rule fails a test that names it.
Knot answers a denied update with an unsigned NOTAUTH, with TSIG error BADKEY
in 3.2 and without one from 3.3 on (DENIED_TSIG_ERROR): the module answers as
the Knot it is built for (module/compat.h).
"""

import pytest

from acmetest.ddns import (MINIMAL_RECORDS, DdnsKnotd, TsigKey, add, attached, ddns_conf,
                       make_update, serving)
from acmetest.knotd import DENIED_TSIG_ERROR, Zone

K1 = TsigKey.make("k1")
K2 = TsigKey.make("k2")
#: Keys named inside their zones, for update-owner: key.
KW = TsigKey.make("www.owner-key.test")
KWS = TsigKey.make("www.owner-key-sub.test")

ACLS = {
    "k1": "key: k1\naction: update",
    "k12": "key: [ k1, k2 ]\naction: update",
    "deny_k1": "key: k1\naction: update\ndeny: on",
    "deny_k1_www": "key: k1\naction: update\ndeny: on\nupdate-owner: name\n"
                   "update-owner-name: www",
    "deny_k1_txt": "key: k1\naction: update\ndeny: on\nupdate-type: TXT",
    "deny_k1_a": "key: k1\naction: update\ndeny: on\nupdate-type: A",
    "name_equal": "key: k1\naction: update\nupdate-owner: name\nupdate-owner-name: www\n"
                  "update-owner-match: equal",
    "name_sub": "key: k1\naction: update\nupdate-owner: name\nupdate-owner-name: www\n"
                "update-owner-match: sub",
    "name_subeq": "key: k1\naction: update\nupdate-owner: name\nupdate-owner-name: www",
    "name_abs": "key: k1\naction: update\nupdate-owner: name\n"
                "update-owner-name: www.name-abs.test.\nupdate-owner-match: equal",
    "zone_equal": "key: k1\naction: update\nupdate-owner: zone\nupdate-owner-match: equal",
    "zone_sub": "key: k1\naction: update\nupdate-owner: zone\nupdate-owner-match: sub",
    "key_equal": "key: www.owner-key.test\naction: update\nupdate-owner: key\n"
                 "update-owner-match: equal",
    "key_sub": "key: www.owner-key-sub.test\naction: update\nupdate-owner: key\n"
               "update-owner-match: sub",
    "type_a": "key: k1\naction: update\nupdate-type: A",
    "type_txt": "key: k1\naction: update\nupdate-type: TXT",
}

#: zone -> its acl entries, in order.
ZONES = {
    "deny-first.test": ["deny_k1", "k12"],
    "allow-first.test": ["k12", "deny_k1"],
    "deny-owner.test": ["deny_k1_www", "k1"],
    "deny-txt.test": ["deny_k1_txt", "k1"],
    "deny-a.test": ["deny_k1_a", "k1"],
    "name-equal.test": ["name_equal"],
    "name-sub.test": ["name_sub"],
    "name-subeq.test": ["name_subeq"],
    "name-abs.test": ["name_abs"],
    "zone-equal.test": ["zone_equal"],
    "zone-sub.test": ["zone_sub"],
    "owner-key.test": ["key_equal"],
    "owner-key-sub.test": ["key_sub"],
    "type-a.test": ["type_a"],
    "type-txt.test": ["type_txt"],
}

ALLOWED = ("NOERROR", "NOERROR", True)
DENIED = ("NOTAUTH", DENIED_TSIG_ERROR, False)


@pytest.fixture(scope="module")
def server():
    zones = [Zone(z, module="mod-acme/default", records=MINIMAL_RECORDS,
                  options={"acl": "[ " + ", ".join(acls) + " ]"})
             for z, acls in ZONES.items()]
    acme = {"default": {"lifetime": 3600, "max-records": 8, "strict": False}}
    conf = ddns_conf([K1, K2, KW, KWS], acls=ACLS)
    yield from serving(DdnsKnotd(zones, acme=acme, extra_conf=conf))


@pytest.fixture
def k(server, request):
    yield from attached(request, server)


def owner(rel: str, zone: str) -> str:
    return f"{zone}." if rel == "@" else f"{rel}.{zone}."


def check(k, zone, rel, key, expected, value="v"):
    """Sends one TXT add of rel.zone signed with key; checks the answer and
    whether the value was written."""
    name = owner(rel, zone)
    before = k.txt(name)
    reply = k.send(make_update(zone, updates=[add(name, value)], key=key).wire)
    assert reply is not None and reply.summary() == expected, \
        (zone, rel, key.name if key else None, reply and reply.summary())
    after = k.txt(name)
    if expected == ALLOWED:
        assert (value.encode(),) in after
    else:
        assert after == before, f"denied update wrote {name}"


@pytest.mark.parametrize("zone,key,expected", [
    ("deny-first.test", K1, DENIED),      # the deny entry matches first
    ("deny-first.test", K2, ALLOWED),     # not k1: the next entry allows
    ("allow-first.test", K1, ALLOWED),    # the first matching entry decides
], ids=["k1-denied", "k2-allowed", "allow-first"])
def test_deny_by_key_and_order(k, zone, key, expected):
    check(k, zone, "www", key, expected)


@pytest.mark.parametrize("rel,expected", [("www", DENIED), ("a.www", DENIED),
                                          ("mail", ALLOWED)])
def test_deny_by_owner(k, rel, expected):
    """deny with update-owner name www (sub-or-equal): only www and below."""
    check(k, "deny-owner.test", rel, K1, expected)


def test_deny_by_type(k):
    """deny with update-type TXT denies a TXT update; with A it does not."""
    check(k, "deny-txt.test", "www", K1, DENIED)
    check(k, "deny-a.test", "www", K1, ALLOWED)


@pytest.mark.parametrize("zone,rel,expected", [
    ("name-equal.test", "www", ALLOWED),
    ("name-equal.test", "a.www", DENIED),
    ("name-equal.test", "mail", DENIED),
    ("name-equal.test", "WWW", ALLOWED),
    ("name-sub.test", "www", DENIED),
    ("name-sub.test", "a.www", ALLOWED),
    ("name-sub.test", "b.a.www", ALLOWED),
    ("name-sub.test", "xwww", DENIED),
    ("name-subeq.test", "www", ALLOWED),
    ("name-subeq.test", "a.www", ALLOWED),
    ("name-subeq.test", "mail", DENIED),
    ("name-abs.test", "www", ALLOWED),
    ("name-abs.test", "a.www", DENIED),
])
def test_update_owner_name(k, zone, rel, expected):
    check(k, zone, rel, K1, expected)


@pytest.mark.parametrize("zone,rel,expected", [
    ("zone-equal.test", "@", ALLOWED),
    ("zone-equal.test", "www", DENIED),
    ("zone-sub.test", "@", DENIED),
    ("zone-sub.test", "www", ALLOWED),
])
def test_update_owner_zone(k, zone, rel, expected):
    check(k, zone, rel, K1, expected)


@pytest.mark.parametrize("zone,key,rel,expected", [
    ("owner-key.test", KW, "www", ALLOWED),
    ("owner-key.test", KW, "a.www", DENIED),
    ("owner-key.test", KW, "mail", DENIED),
    ("owner-key-sub.test", KWS, "www", DENIED),
    ("owner-key-sub.test", KWS, "a.www", ALLOWED),
    ("owner-key-sub.test", KWS, "mail", DENIED),
], ids=lambda x: x.id if isinstance(x, TsigKey) else None)
def test_update_owner_key(k, zone, key, rel, expected):
    check(k, zone, rel, key, expected)


def test_update_type(k):
    check(k, "type-a.test", "www", K1, DENIED)
    check(k, "type-txt.test", "www", K1, ALLOWED)


def test_unsigned_and_other_key_denied(k):
    check(k, "name-subeq.test", "www", None, ("NOTAUTH", None, False))
    check(k, "name-subeq.test", "www", K2, DENIED)
