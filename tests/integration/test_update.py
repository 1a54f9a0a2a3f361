"""RFC 2136 UPDATEs handled by mod-acme (DESIGN.md, Behaviour contract:
claiming updates, operations, auth, expiry, limits, bad input).

One knotd serves three module zones with different mod-acme instances and
the same acl (key k1, action update):

  strict.test   strict on,  max-records 3, lifetime 3600 s
  lax.test      strict off, max-records 8, lifetime 3600 s
  short.test    strict off,                lifetime 2 s
  big.test      strict off, max-records 8, max-update-rrs 1000, max-update-size 64K

Each test uses its own owner names, so the shared server needs no reset.
Accepted updates go through dnspython (dns.update + dns.query, which checks
the reply's TSIG); TSIG errors are read from the wire (dnspython raises on
them before the rcode can be seen).
"""

import os
import random
import struct
import time
import types
from unittest import mock

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import dns.update
import pytest

from acmetest.ddns import (DdnsKnotd, MINIMAL_RECORDS, RR, TsigKey, add, attached, build_update,
                           ddns_conf, del_rrset, del_value, make_update, nxdomain, nxrrset,
                           labels_made, send_wire, serving, tsig_sign, txt_rdata, unique_label,
                           value_rr, yxdomain, yxrrset)
from acmetest.knotd import DENIED_LOG, DENIED_TSIG_ERROR, HOST, MOD_ACME_SO, Zone, challenge_value

K1 = TsigKey.make("k1")
K2 = TsigKey.make("k2", "hmac-sha512")          # known to knotd, in no acl
UNKNOWN = TsigKey.make("nokey")                 # not configured
WRONG_SECRET = K1.with_secret(TsigKey.make("other").secret)

STRICT = "strict.test"
LAX = "lax.test"
SHORT = "short.test"
BIG = "big.test"
MAX_RECORDS = 3

TRANSPORTS = [pytest.param(False, id="udp"), pytest.param(True, id="tcp")]


@pytest.fixture(scope="module")
def server():
    if not os.path.isfile(MOD_ACME_SO):
        pytest.fail(f"mod-acme.so not found at {MOD_ACME_SO}")
    acme = {
        "strict": {"lifetime": 3600, "max-ttl": 300, "max-records": MAX_RECORDS,
                   "strict": True},
        "lax": {"lifetime": 3600, "max-ttl": 300, "max-records": 8, "strict": False},
        "short": {"lifetime": 2, "max-ttl": 300, "max-records": 8, "strict": False},
        "big": {"lifetime": 3600, "max-ttl": 300, "max-records": 8, "strict": False,
                "max-update-rrs": 1000, "max-update-size": 65535},
    }
    zones = [Zone(z, module=f"mod-acme/{i}", records=MINIMAL_RECORDS,
                  options={"acl": "[ upd ]"})
             for z, i in ((STRICT, "strict"), (LAX, "lax"), (SHORT, "short"), (BIG, "big"))]
    conf = ddns_conf([K1, K2], acls={"upd": "key: k1\naction: update"})
    yield from serving(DdnsKnotd(zones, acme=acme, extra_conf=conf))


@pytest.fixture
def k(server, request):
    """The shared server; its log goes into the report of a failing test."""
    yield from attached(request, server)




def val(seed) -> str:
    return challenge_value(f"{seed}/{labels_made()}")


def owner(label: str, zone: str) -> str:
    return f"{label}.{zone}."


def update_msg(zone: str, key: TsigKey = K1) -> dns.update.UpdateMessage:
    return dns.update.UpdateMessage(zone, keyring=key.keyring(), keyname=key.name,
                                    keyalgorithm=key.algorithm)


def send(k, msg, tcp: bool) -> dns.message.Message:
    """dnspython query: raises if the reply's TSIG does not verify."""
    if tcp:
        return dns.query.tcp(msg, HOST, port=k.port, timeout=5)
    return dns.query.udp(msg, HOST, port=k.port, timeout=5)


def rcode(msg) -> str:
    return dns.rcode.to_text(msg.rcode())


def txt(k, name, tcp=False):
    """TXT values at name as a sorted list of joined strings."""
    m = k.query(name, "TXT", tcp=tcp)
    out = []
    for rrset in m.answer:
        if rrset.rdtype == dns.rdatatype.TXT:
            out += [b"".join(rd.strings).decode() for rd in rrset]
    return sorted(out)


def signed_ok(reply):
    assert rcode(reply) == "NOERROR", reply
    assert reply.had_tsig, "accepted update without a signed reply"
    assert reply.tsig_error == 0


def stats(k, zone):
    return k.zone_stats(zone)


# -- operations -------------------------------------------------------------------

@pytest.mark.parametrize("tcp", TRANSPORTS)
def test_add_visible_immediately_signed_reply(k, tcp):
    name = owner(unique_label("add"), STRICT)
    v = val("add")
    u = update_msg(STRICT)
    u.add(name, 60, "TXT", v)
    reply = send(k, u, tcp)
    signed_ok(reply)
    assert txt(k, name) == [v]
    assert txt(k, name, tcp=True) == [v]


@pytest.mark.parametrize("tcp", TRANSPORTS)
def test_reply_tsig_verifies_only_with_right_secret(k, tcp):
    name = owner(unique_label("sig"), STRICT)
    req = make_update(STRICT, updates=[add(name, val("sig"))], key=K1)
    reply = k.send(req.wire, tcp=tcp)
    assert reply.summary() == ("NOERROR", "NOERROR", True)
    msg = reply.verified(req)
    assert msg.had_tsig and msg.rcode() == dns.rcode.NOERROR
    with pytest.raises(dns.tsig.BadSignature):
        reply.verified(req, key=WRONG_SECRET)
    # The reply is bound to this request's MAC.
    other = make_update(STRICT, updates=[add(name, val("sig2"))], key=K1)
    with pytest.raises(dns.tsig.BadSignature):
        dns.message.from_wire(reply.wire, keyring=K1.dns_key(), request_mac=other.mac)


@pytest.mark.parametrize("tcp", TRANSPORTS)
def test_readd_refreshes_single_value(k, tcp):
    name = owner(unique_label("readd"), STRICT)
    v = val("readd")
    mark = k.log_mark()
    for _ in range(3):
        u = update_msg(STRICT)
        u.add(name, 60, "TXT", v)
        signed_ok(send(k, u, tcp))
    assert txt(k, name) == [v]
    k.wait_log(r"added 0, refreshed 1, deleted 0", mark)


@pytest.mark.parametrize("tcp", TRANSPORTS)
def test_delete_one_value(k, tcp):
    name = owner(unique_label("delone"), STRICT)
    v1, v2 = val("d1"), val("d2")
    u = update_msg(STRICT)
    u.add(name, 60, "TXT", v1)
    u.add(name, 60, "TXT", v2)
    signed_ok(send(k, u, tcp))
    assert txt(k, name) == sorted([v1, v2])
    u = update_msg(STRICT)
    u.delete(name, "TXT", v1)          # class NONE, TTL 0
    signed_ok(send(k, u, tcp))
    assert txt(k, name) == [v2]
    # Deleting a value that is not there is not an error.
    u = update_msg(STRICT)
    u.delete(name, "TXT", v1)
    signed_ok(send(k, u, tcp))
    assert txt(k, name) == [v2]


@pytest.mark.parametrize("tcp", TRANSPORTS)
def test_delete_rrset(k, tcp):
    name = owner(unique_label("delall"), STRICT)
    u = update_msg(STRICT)
    for i in range(3):
        u.add(name, 60, "TXT", val(f"da{i}"))
    signed_ok(send(k, u, tcp))
    assert len(txt(k, name)) == 3
    u = update_msg(STRICT)
    u.delete(name, "TXT")              # class ANY, type TXT
    signed_ok(send(k, u, tcp))
    m = k.query(name, "TXT")
    assert txt(k, name) == []
    assert rcode(m) == "NXDOMAIN", m


@pytest.mark.parametrize("tcp", TRANSPORTS)
def test_owner_names_case_insensitive(k, tcp):
    label = unique_label("CaSe")
    v1, v2 = val("c1"), val("c2")
    u = update_msg(STRICT)
    u.add(f"{label.upper()}.STRICT.TEST.", 60, "TXT", v1)
    u.add(f"{label.lower()}.strict.test.", 60, "TXT", v2)
    signed_ok(send(k, u, tcp))
    assert txt(k, f"{label.lower()}.{STRICT}.") == sorted([v1, v2])
    assert txt(k, f"{label.upper()}.{STRICT}.") == sorted([v1, v2])
    u = update_msg(STRICT)
    u.delete(f"{label.lower()}.Strict.Test.", "TXT", v1)
    signed_ok(send(k, u, tcp))
    assert txt(k, f"{label}.{STRICT}.") == [v2]
    u = update_msg(STRICT)
    u.delete(f"{label.upper()}.strict.test.", "TXT")
    signed_ok(send(k, u, tcp))
    assert txt(k, f"{label}.{STRICT}.") == []


@pytest.mark.parametrize("tcp", TRANSPORTS)
def test_apex_value(k, tcp):
    """Delegation setup: the TXT lives at the zone apex next to SOA and NS."""
    v = val("apex")
    u = update_msg(LAX)
    u.add(f"{LAX}.", 60, "TXT", v)
    signed_ok(send(k, u, tcp))
    assert v in txt(k, f"{LAX}.")
    u = update_msg(LAX)
    u.delete(f"{LAX}.", "TXT", v)
    signed_ok(send(k, u, tcp))
    assert v not in txt(k, f"{LAX}.")
    assert k.query(f"{LAX}.", "SOA").answer, "apex SOA lost"


@pytest.mark.parametrize("tcp", TRANSPORTS)
def test_notzone_nothing_written(k, tcp):
    inside = owner(unique_label("nz"), STRICT)
    u = update_msg(STRICT)
    u.add(inside, 60, "TXT", val("nz"))
    u.add("x.other.test.", 60, "TXT", val("nz2"))
    reply = send(k, u, tcp)
    assert rcode(reply) == "NOTZONE", reply
    assert reply.had_tsig
    assert txt(k, inside) == []
    # A name that only ends like the zone is outside it too.
    u = update_msg(STRICT)
    u.add("xstrict.test.", 60, "TXT", val("nz3"))
    assert rcode(send(k, u, tcp)) == "NOTZONE"
    assert txt(k, "xstrict.test.") == []


FORMERR_CASES = {
    "delete_value_ttl_nonzero": lambda n, v: ([], [del_value(n, v, ttl=60)]),
    "delete_rrset_with_rdata": lambda n, v: ([], [del_rrset(n, rdata=txt_rdata(v))]),
    "prereq_ttl_nonzero": lambda n, v: ([RR(n, dns.rdatatype.TXT, dns.rdataclass.ANY, 5)], []),
    "prereq_any_with_rdata": lambda n, v: ([RR(n, dns.rdatatype.TXT, dns.rdataclass.ANY,
                                               0, txt_rdata(v))], []),
    "prereq_none_with_rdata": lambda n, v: ([RR(n, dns.rdatatype.TXT, dns.rdataclass.NONE,
                                                0, txt_rdata(v))], []),
    "update_class_chaos": lambda n, v: ([], [RR(n, dns.rdatatype.TXT, dns.rdataclass.CH,
                                                60, txt_rdata(v))]),
}


@pytest.mark.parametrize("tcp", TRANSPORTS)
@pytest.mark.parametrize("case", sorted(FORMERR_CASES))
def test_formerr_nothing_written(k, tcp, case):
    name = owner(unique_label("fe"), STRICT)
    good = owner(unique_label("fegood"), STRICT)
    v = val("fe")
    prereqs, updates = FORMERR_CASES[case](name, v)
    req = make_update(STRICT, prereqs=prereqs, updates=[add(good, val("fg"))] + updates,
                      key=K1)
    reply = k.send(req.wire, tcp=tcp)
    assert reply is not None
    assert reply.rcode_text == "FORMERR", reply.summary()
    assert txt(k, good) == []
    assert txt(k, name) == []


# -- prerequisites ----------------------------------------------------------------

#: (prerequisite factory(name, present value, absent value, zone), rcode when the
#:  name holds one value, rcode when it holds nothing)
PREREQ_CASES = {
    "yxrrset": (lambda n, a, b: yxrrset(n), "NOERROR", "NXRRSET"),
    "nxrrset": (lambda n, a, b: nxrrset(n), "YXRRSET", "NOERROR"),
    "yxdomain": (lambda n, a, b: yxdomain(n), "NOERROR", "NXDOMAIN"),
    "nxdomain": (lambda n, a, b: nxdomain(n), "YXDOMAIN", "NOERROR"),
    "value_equal": (lambda n, a, b: value_rr(n, a), "NOERROR", "NXRRSET"),
    "value_other": (lambda n, a, b: value_rr(n, b), "NXRRSET", "NXRRSET"),
    "yxrrset_A": (lambda n, a, b: yxrrset(n, dns.rdatatype.A), "NXRRSET", "NXRRSET"),
    "nxrrset_A": (lambda n, a, b: nxrrset(n, dns.rdatatype.A), "NOERROR", "NOERROR"),
}


@pytest.mark.parametrize("tcp", TRANSPORTS)
@pytest.mark.parametrize("state", ["present", "absent"])
@pytest.mark.parametrize("case", sorted(PREREQ_CASES))
def test_prerequisite(k, tcp, state, case):
    make, when_present, when_absent = PREREQ_CASES[case]
    name = owner(unique_label("pre"), STRICT)
    a, b = val("pa"), val("pb")
    if state == "present":
        u = update_msg(STRICT)
        u.add(name, 60, "TXT", a)
        signed_ok(send(k, u, tcp))
    expected = when_present if state == "present" else when_absent
    marker = owner(unique_label("premark"), STRICT)
    req = make_update(STRICT, prereqs=[make(name, a, b)], updates=[add(marker, b)], key=K1)
    reply = k.send(req.wire, tcp=tcp)
    assert reply.rcode_text == expected, reply.summary()
    assert reply.verified(req).had_tsig, "prerequisite answer not signed"
    assert txt(k, marker) == ([b] if expected == "NOERROR" else [])


@pytest.mark.parametrize("tcp", TRANSPORTS)
def test_prerequisite_value_set_must_be_exact(k, tcp):
    name = owner(unique_label("pset"), STRICT)
    a, b, c = val("s1"), val("s2"), val("s3")
    u = update_msg(STRICT)
    u.add(name, 60, "TXT", a)
    u.add(name, 60, "TXT", b)
    signed_ok(send(k, u, tcp))
    marker = owner(unique_label("psetm"), STRICT)
    for prereq, expected in (([value_rr(name, a)], "NXRRSET"),
                             ([value_rr(name, a), value_rr(name, b), value_rr(name, c)],
                              "NXRRSET"),
                             ([value_rr(name, b), value_rr(name.upper(), a)], "NOERROR"),
                             ([value_rr(name, a), value_rr(name, b), value_rr(name, a)],
                              "NOERROR")):
        req = make_update(STRICT, prereqs=prereq, updates=[add(marker, c)], key=K1)
        reply = k.send(req.wire, tcp=tcp)
        assert reply.rcode_text == expected, (prereq, reply.summary())
    assert txt(k, marker) == [c]


@pytest.mark.parametrize("tcp", TRANSPORTS)
def test_prerequisites_at_apex_see_zone_data(k, tcp):
    marker = owner(unique_label("apexpre"), STRICT)
    v = val("ap")
    cases = [
        (yxdomain(f"{STRICT}."), "NOERROR"),
        (nxdomain(f"{STRICT}."), "YXDOMAIN"),
        (yxrrset(f"{STRICT}.", dns.rdatatype.SOA), "NOERROR"),
        (nxrrset(f"{STRICT}.", dns.rdatatype.NS), "YXRRSET"),
        (RR(f"{STRICT}.", dns.rdatatype.NS, dns.rdataclass.IN, 0,
            dns.name.from_text(f"ns.{STRICT}.").to_wire()), "NOERROR"),
    ]
    for prereq, expected in cases:
        req = make_update(STRICT, prereqs=[prereq], updates=[add(marker, v)], key=K1)
        reply = k.send(req.wire, tcp=tcp)
        assert reply.rcode_text == expected, (prereq, reply.summary())


@pytest.mark.parametrize("tcp", TRANSPORTS)
def test_prerequisite_outside_zone_notzone(k, tcp):
    marker = owner(unique_label("pnz"), STRICT)
    req = make_update(STRICT, prereqs=[yxdomain("example.org.")],
                      updates=[add(marker, val("pnz"))], key=K1)
    assert k.send(req.wire, tcp=tcp).rcode_text == "NOTZONE"
    assert txt(k, marker) == []


# -- all or nothing, strict -------------------------------------------------------

@pytest.mark.parametrize("tcp", TRANSPORTS)
@pytest.mark.parametrize("bad", ["out_of_zone", "not_strict", "formerr_last"])
def test_all_or_nothing(k, tcp, bad):
    n1, n2 = owner(unique_label("aon1"), STRICT), owner(unique_label("aon2"), STRICT)
    adds = [add(n1, val("aon1")), add(n2, val("aon2"))]
    bad_rr = {
        "out_of_zone": add("www.example.org.", val("aon3")),
        "not_strict": add(n2, "short value"),
        "formerr_last": del_value(n1, val("aon1"), ttl=10),
    }[bad]
    expected = {"out_of_zone": "NOTZONE", "not_strict": "REFUSED",
                "formerr_last": "FORMERR"}[bad]
    req = make_update(STRICT, updates=adds + [bad_rr], key=K1)
    reply = k.send(req.wire, tcp=tcp)
    assert reply.rcode_text == expected, reply.summary()
    assert txt(k, n1) == [] and txt(k, n2) == []
    # The same update without the bad RR goes through.
    req = make_update(STRICT, updates=adds, key=K1)
    assert k.send(req.wire, tcp=tcp).rcode_text == "NOERROR"
    assert txt(k, n1) == [val("aon1")] and txt(k, n2) == [val("aon2")]


STRICT_REJECTS = {
    "short": ["abc"],
    "42_chars": [challenge_value("x")[:42]],
    "44_chars": [challenge_value("x") + "A"],
    "plus_slash": ["+" * 21 + "/" * 22],
    "padding": [challenge_value("x")[:42] + "="],
    "space": [challenge_value("x")[:42] + " "],
    "two_strings": [challenge_value("x"), challenge_value("y")],
    "empty_string": [""],
}


@pytest.mark.parametrize("tcp", TRANSPORTS)
@pytest.mark.parametrize("case", sorted(STRICT_REJECTS))
def test_strict_refuses_non_acme_values(k, tcp, case):
    strings = STRICT_REJECTS[case]
    name = owner(unique_label("strict"), STRICT)
    mark = k.log_mark()
    req = make_update(STRICT, updates=[add(name, *strings)], key=K1)
    reply = k.send(req.wire, tcp=tcp)
    assert reply.rcode_text == "REFUSED", reply.summary()
    assert reply.verified(req).had_tsig
    assert txt(k, name) == []
    k.wait_log(r"\[strict\.test\.\].*REFUSED.*not an ACME challenge value", mark)
    # The same value is fine where strict is off.
    lax_name = owner(unique_label("lax"), LAX)
    req = make_update(LAX, updates=[add(lax_name, *strings)], key=K1)
    assert k.send(req.wire, tcp=tcp).rcode_text == "NOERROR"
    m = k.query(lax_name, "TXT")
    assert [tuple(s.decode() for s in rd.strings) for rr in m.answer for rd in rr] == \
        [tuple(strings)]


def test_strict_accepts_base64url_alphabet(k):
    name = owner(unique_label("alpha"), STRICT)
    v = ("-_" + "Az09" * 11)[:43]
    assert len(v) == 43
    req = make_update(STRICT, updates=[add(name, v)], key=K1)
    assert k.send(req.wire).rcode_text == "NOERROR"
    assert txt(k, name) == [v]


# -- max-records ------------------------------------------------------------------

@pytest.mark.parametrize("tcp", TRANSPORTS)
def test_max_records_keeps_newest(k, tcp):
    name = owner(unique_label("max"), STRICT)
    values = [val(f"max{i}") for i in range(MAX_RECORDS + 2)]
    mark = k.log_mark()
    for v in values:
        u = update_msg(STRICT)
        u.add(name, 60, "TXT", v)
        signed_ok(send(k, u, tcp))
    assert txt(k, name) == sorted(values[-MAX_RECORDS:])
    k.wait_log(rf"\[strict\.test\.\].*dropped 1 oldest values over max-records {MAX_RECORDS}",
               mark)
    # A refresh makes a value the newest again.
    u = update_msg(STRICT)
    u.add(name, 60, "TXT", values[-MAX_RECORDS])
    signed_ok(send(k, u, tcp))
    u = update_msg(STRICT)
    u.add(name, 60, "TXT", values[0])
    signed_ok(send(k, u, tcp))
    assert txt(k, name) == sorted([values[-MAX_RECORDS], values[-1], values[0]])


def test_max_records_within_one_update(k):
    """Adds apply in message order: the last max-records values are the newest."""
    name = owner(unique_label("maxone"), STRICT)
    values = [val(f"mo{i}") for i in range(MAX_RECORDS + 3)]
    req = make_update(STRICT, updates=[add(name, v) for v in values], key=K1)
    assert k.send(req.wire).rcode_text == "NOERROR"
    assert txt(k, name) == sorted(values[-MAX_RECORDS:])


def test_value_longer_than_store_limit_refused(k):
    """The store holds TXT rdata up to 256 bytes (one full string); a longer
    value is REFUSED with nothing written (Knot's own DDNS would take it)."""
    name = owner(unique_label("long"), LAX)
    ok = owner(unique_label("longok"), LAX)
    req = make_update(LAX, updates=[add(ok, "x" * 255)], key=K1)
    assert k.send(req.wire).rcode_text == "NOERROR"
    assert txt(k, ok) == ["x" * 255]
    req = make_update(LAX, updates=[add(ok, "y"), add(name, "x" * 200, "y" * 100)], key=K1)
    assert k.send(req.wire).rcode_text == "REFUSED"
    assert txt(k, name) == [] and txt(k, ok) == ["x" * 255]


# -- TSIG and acl -----------------------------------------------------------------

def _tsig_case(k, tcp, req, name):
    reply = k.send(req.wire, tcp=tcp)
    assert reply is not None
    assert txt(k, name) == []
    return reply


@pytest.mark.parametrize("tcp", TRANSPORTS)
def test_unknown_key_badkey(k, tcp):
    name = owner(unique_label("badkey"), STRICT)
    req = make_update(STRICT, updates=[add(name, val("bk"))], key=UNKNOWN)
    r = _tsig_case(k, tcp, req, name)
    assert (r.rcode_text, r.tsig_error_text, r.tsig_mac_len) == ("NOTAUTH", DENIED_TSIG_ERROR, 0)
    if DENIED_TSIG_ERROR:
        with pytest.raises(dns.tsig.PeerBadKey):
            r.verified(req)


@pytest.mark.parametrize("tcp", TRANSPORTS)
def test_known_key_not_in_acl_badkey(k, tcp):
    name = owner(unique_label("k2"), STRICT)
    req = make_update(STRICT, updates=[add(name, val("k2"))], key=K2)
    r = _tsig_case(k, tcp, req, name)
    assert (r.rcode_text, r.tsig_error_text, r.tsig_mac_len) == ("NOTAUTH", DENIED_TSIG_ERROR, 0)


@pytest.mark.parametrize("tcp", TRANSPORTS)
def test_bad_mac_badsig(k, tcp):
    name = owner(unique_label("badsig"), STRICT)
    for req in (make_update(STRICT, updates=[add(name, val("bs"))], key=K1, mac_tamper=True),
                make_update(STRICT, updates=[add(name, val("bs"))], key=WRONG_SECRET)):
        r = _tsig_case(k, tcp, req, name)
        assert (r.rcode_text, r.tsig_error_text, r.tsig_mac_len) == \
            ("NOTAUTH", "BADSIG", 0)


@pytest.mark.parametrize("tcp", TRANSPORTS)
@pytest.mark.parametrize("skew", [3600, -3600])
def test_clock_skew_badtime(k, tcp, skew):
    """dnspython signs with a clock an hour off; knotd answers BADTIME."""
    name = owner(unique_label("badtime"), STRICT)
    u = update_msg(STRICT)
    u.use_tsig(K1.keyring(), keyname=K1.name, fudge=300, algorithm=K1.algorithm)
    u.add(name, 60, "TXT", val("bt"))
    shifted = types.SimpleNamespace(time=lambda: time.time() + skew)
    with mock.patch.object(dns.message, "time", shifted):
        wire = u.to_wire()
        reply = send_wire(wire, k.port, tcp=tcp)
        assert reply is not None
        assert (reply.rcode_text, reply.tsig_error_text) == ("NOTAUTH", "BADTIME")
        # dnspython, too, sees the peer's BADTIME.
        with pytest.raises(dns.tsig.PeerBadTime):
            send(k, u, tcp)
    assert txt(k, name) == []


@pytest.mark.parametrize("tcp", TRANSPORTS)
def test_unsigned_refused_without_tsig(k, tcp):
    name = owner(unique_label("unsigned"), STRICT)
    req = make_update(STRICT, updates=[add(name, val("us"))], key=None)
    r = _tsig_case(k, tcp, req, name)
    assert r.rcode_text == "NOTAUTH"
    assert not r.tsig, "reply to an unsigned update carries TSIG"
    u = dns.update.UpdateMessage(STRICT)
    u.add(name, 60, "TXT", val("us"))
    assert rcode(send(k, u, tcp)) == "NOTAUTH"
    assert txt(k, name) == []


def test_key_name_case_insensitive(k):
    name = owner(unique_label("keycase"), STRICT)
    req = make_update(STRICT, updates=[add(name, val("kc"))], key=K1.with_name("K1"))
    reply = k.send(req.wire)
    assert reply.summary() == ("NOERROR", "NOERROR", True)
    assert txt(k, name) == [val("kc")]


# -- updates left to Knot ---------------------------------------------------------

@pytest.mark.parametrize("tcp", TRANSPORTS)
def test_non_txt_update_left_to_knot(k, tcp):
    label = unique_label("host")
    name = owner(label, LAX)
    before = stats(k, LAX).get("update", 0)
    mark = k.log_mark()
    u = update_msg(LAX)
    u.add(name, 60, "A", "192.0.2.77")
    signed_ok(send(k, u, tcp))
    m = k.query(name, "A")
    assert [rd.to_text() for rr in m.answer for rd in rr] == ["192.0.2.77"]
    # Mixed TXT + A: Knot's own DDNS, the TXT goes into the zone.
    mixed = owner(unique_label("mixed"), LAX)
    v = val("mixed")
    u = update_msg(LAX)
    u.add(mixed, 60, "TXT", v)
    u.add(mixed, 60, "AAAA", "2001:db8::77")
    signed_ok(send(k, u, tcp))
    assert txt(k, mixed) == [v]
    assert k.query(mixed, "AAAA").answer
    assert stats(k, LAX).get("update", 0) == before
    k.wait_log(r"\[lax\.test\.\] DDNS, finished, serial", mark)
    assert "mod-acme/lax', DDNS" not in k.log_since(mark)


def test_knot_checks_before_module(k):
    """A zone section that is not the zone, or not SOA: never the module's."""
    before = stats(k, STRICT).get("update", 0)
    name = owner(unique_label("qtype"), STRICT)
    wire = build_update(STRICT, updates=[add(name, val("q"))], ztype=dns.rdatatype.TXT)
    wire, _ = tsig_sign(wire, K1)
    r = send_wire(wire, k.port)
    assert r.rcode_text == "FORMERR"
    wire, _ = tsig_sign(build_update("nothere.test", updates=[add("a.nothere.test.", "v")]),
                        K1)
    assert send_wire(wire, k.port).rcode_text == "NOTAUTH"
    assert txt(k, name) == []
    assert stats(k, STRICT).get("update", 0) == before


# -- logs and counters ------------------------------------------------------------

def test_log_accepted_update(k):
    name = owner(unique_label("log"), STRICT)
    mark = k.log_mark()
    req = make_update(STRICT, updates=[add(name, val("l1")), add(name, val("l2")),
                                       del_value(name, val("l1"))], key=K1)
    assert k.send(req.wire).rcode_text == "NOERROR"
    m = k.wait_log(r"\[strict\.test\.\] module 'mod-acme/strict', DDNS, "
                   r"from 127\.0\.0\.1@\d+, key k1\., added 2, refreshed 0, deleted 1", mark)
    assert m


LOG_REFUSED = {
    "not_strict": (lambda n: dict(updates=[add(n, "nope")], key=K1),
                   r"key k1\., REFUSED, not an ACME challenge value.*owner {name}"),
    "notzone": (lambda n: dict(updates=[add("a.example.org.", val("x"))], key=K1),
                   r"key k1\., NOTZONE, owner outside the zone, owner a\.example\.org\."),
    "prereq": (lambda n: dict(prereqs=[yxrrset(n)], updates=[add(n, val("x"))], key=K1),
                   r"key k1\., NXRRSET, RRset does not exist, owner {name}"),
    "unsigned": (lambda n: dict(updates=[add(n, val("x"))], key=None),
                   r"key none, denied, NOTAUTH"),
    "badsig": (lambda n: dict(updates=[add(n, val("x"))], key=K1, mac_tamper=True),
                   r"key k1\., denied, NOTAUTH/BADSIG"),
    "badkey": (lambda n: dict(updates=[add(n, val("x"))], key=UNKNOWN),
                   r"key nokey\., " + DENIED_LOG),
    "badtime": (lambda n: dict(updates=[add(n, val("x"))], key=K1, time_offset=7200),
                   r"key k1\., denied, NOTAUTH/BADTIME"),
}


@pytest.mark.parametrize("what", sorted(LOG_REFUSED))
def test_log_refused_update_reason(k, what):
    build, pattern = LOG_REFUSED[what]
    name = owner(unique_label(f"lr{what}"), STRICT)
    mark = k.log_mark()
    req = make_update(STRICT, **build(name))
    reply = k.send(req.wire)
    assert reply.rcode_text != "NOERROR"
    pat = (r"\[strict\.test\.\] module 'mod-acme/strict', DDNS, from 127\.0\.0\.1@\d+, "
           + pattern.format(name=name.replace(".", r"\.")))
    k.wait_log(pat, mark)


def test_zone_stats_counts_rcodes(k):
    before = stats(k, STRICT)
    n = owner(unique_label("st"), STRICT)
    sends = [
        (dict(updates=[add(n, val("s1"))], key=K1), "NOERROR"),
        (dict(updates=[add(n, val("s2"))], key=K1), "NOERROR"),
        (dict(updates=[add(n, "no")], key=K1), "REFUSED"),
        (dict(updates=[add("a.example.org.", val("s"))], key=K1), "NOTZONE"),
        (dict(prereqs=[nxrrset(n)], updates=[add(n, val("s"))], key=K1), "YXRRSET"),
        (dict(prereqs=[value_rr(n, "x")], updates=[add(n, val("s"))], key=K1), "NXRRSET"),
        (dict(prereqs=[nxdomain(n)], updates=[add(n, val("s"))], key=K1), "YXDOMAIN"),
        (dict(updates=[add(n, val("s"))], key=UNKNOWN), "NOTAUTH"),
        (dict(updates=[del_value(n, val("s"), ttl=1)], key=K1), "FORMERR"),
    ]
    for kw, expected in sends:
        assert k.send(make_update(STRICT, **kw).wire).rcode_text == expected
    after = stats(k, STRICT)
    delta = {}
    for _, rc in sends:
        delta[rc] = delta.get(rc, 0) + 1
    for rc, count in delta.items():
        key = f"update[{rc}]"
        assert after.get(key, 0) - before.get(key, 0) == count, (key, before, after)
    assert after["update"] - before.get("update", 0) == len(sends)
    res = k.knotc("zone-stats", f"{STRICT}.", "mod-acme")
    assert "mod-acme.update[NOERROR]" in res.stdout
    assert "mod-acme.update[REFUSED]" in res.stdout


# -- hostile input ----------------------------------------------------------------

def _hostile_messages():
    rng = random.Random(2136)
    good = make_update(LAX, updates=[add(f"h.{LAX}.", "hostile")], key=K1).wire
    msgs = {
        "truncated_half": good[:len(good) // 2],
        "truncated_header": good[:7],
        "truncated_tsig": good[:-5],
        "garbage": bytes(rng.randrange(256) for _ in range(300)),
        "update_header_garbage": struct.pack("!HHHHHH", 0x4242, 5 << 11, 1, 3, 9, 1)
        + bytes(rng.randrange(256) for _ in range(200)),
        "counts_too_large": good[:4] + struct.pack("!HHHH", 1, 0, 60000, 1) + good[12:],
        "bad_txt_rdata": tsig_sign(build_update(LAX, updates=[RR(
            f"h.{LAX}.", dns.rdatatype.TXT, dns.rdataclass.IN, 60, b"\x09abc")]), K1)[0],
        "no_question": good[:4] + b"\x00\x00" + good[6:],
        "two_questions": (good[:4] + b"\x00\x02" + good[6:12] + good[12:12 + 14] + good[12:]),
        "pointer_loop": struct.pack("!HHHHHH", 0x4343, 5 << 11, 1, 0, 1, 0)
        + b"\xc0\x0c\x00\x06\x00\x01" + b"\xc0\x0c\x00\x10\x00\x01\x00\x00\x00\x3c\x00\x01\x00",
        "tsig_not_last": (lambda w: w[:10] + struct.pack("!H", 2) + w[12:]
                          + RR(f"h.{LAX}.", dns.rdatatype.A, dns.rdataclass.IN, 1,
                               b"\x01\x02\x03\x04").wire())(good),
    }
    return msgs


def _still_serving(k, tcp):
    assert k.running, k.diagnostics()
    m = k.query(f"{LAX}.", "SOA", tcp=tcp)
    assert rcode(m) == "NOERROR" and m.answer
    name = owner(unique_label("alive"), LAX)
    req = make_update(LAX, updates=[add(name, "alive")], key=K1)
    assert k.send(req.wire, tcp=tcp).rcode_text == "NOERROR"
    assert txt(k, name) == ["alive"]


#: What knotd answers to each hostile message, over UDP and TCP alike (as
#: measured with Knot 3.2.6): an rcode, or None where knotd drops the message
#: before any module hook runs, because its header or question cannot be
#: parsed (no question, two questions, a compression loop, garbage).
HOSTILE_REPLIES = {
    "bad_txt_rdata": "FORMERR",
    "counts_too_large": "FORMERR",
    "garbage": None,
    "no_question": None,
    "pointer_loop": None,
    "truncated_half": "FORMERR",
    "truncated_header": None,
    "truncated_tsig": "FORMERR",
    "tsig_not_last": "FORMERR",
    "two_questions": None,
    "update_header_garbage": None,
}


def test_hostile_table_complete():
    assert sorted(HOSTILE_REPLIES) == sorted(_hostile_messages())


@pytest.mark.parametrize("tcp", TRANSPORTS)
@pytest.mark.parametrize("case", sorted(_hostile_messages()))
def test_hostile_input_survives(k, tcp, case):
    wire = _hostile_messages()[case]
    expected = HOSTILE_REPLIES[case]
    # A reply is waited for as long as any; silence is asserted after 1 s.
    reply = send_wire(wire, k.port, tcp=tcp, timeout=5.0 if expected else 1.0)
    if expected is None:
        assert reply is None, reply.summary()
    else:
        assert reply is not None, f"no reply to {case}"
        assert reply.qr
        assert reply.rcode_text == expected, reply.summary()
    assert txt(k, f"h.{LAX}.") == []
    _still_serving(k, tcp)


def _thousand_rr_update(zone, mode):
    if mode == "names":
        updates = [add(f"n{i}.big.{zone}.", f"v{i}") for i in range(1000)]
    else:
        updates = [add(f"one.big.{zone}.", f"v{i}") for i in range(1000)]
    return make_update(zone, updates=updates, key=K1)


@pytest.mark.parametrize("tcp", TRANSPORTS)
@pytest.mark.parametrize("mode", ["names", "one_name"])
def test_update_with_1000_rrs_over_default_limit(k, tcp, mode):
    """Over the default max-update-rrs (100): REFUSED, signed, nothing written."""
    req = _thousand_rr_update(LAX, mode)
    assert len(req.wire) < 65535
    reply = k.send(req.wire, tcp=tcp)
    assert reply is not None, "no reply to a 1000-RR update"
    assert reply.summary() == ("REFUSED", "NOERROR", True)
    reply.verified(req)
    assert txt(k, f"one.big.{LAX}.", tcp=True) == []
    assert txt(k, f"n0.big.{LAX}.") == [] and txt(k, f"n999.big.{LAX}.") == []
    _still_serving(k, tcp)


@pytest.mark.parametrize("tcp", TRANSPORTS)
@pytest.mark.parametrize("mode", ["names", "one_name"])
def test_update_with_1000_rrs_within_raised_limit(k, tcp, mode):
    """With max-update-rrs 1000 the same update is applied, in message order."""
    u = update_msg(BIG)
    u.delete(f"one.big.{BIG}.", "TXT")
    signed_ok(send(k, u, tcp=True))
    req = _thousand_rr_update(BIG, mode)
    reply = k.send(req.wire, tcp=tcp)
    assert reply is not None, "no reply to a 1000-RR update"
    assert reply.summary() == ("NOERROR", "NOERROR", True)
    if mode == "one_name":
        # max-records 8: the last 8 of the message are the newest
        assert txt(k, f"one.big.{BIG}.", tcp=True) == sorted(f"v{i}" for i in range(992, 1000))
    else:
        for i in (0, 1, 500, 999):
            assert txt(k, f"n{i}.big.{BIG}.") == [f"v{i}"]
    _still_serving(k, tcp)


# -- expiry -----------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("tcp", TRANSPORTS)
def test_ddns_value_expires(k, tcp):
    name = owner(unique_label("exp"), SHORT)
    u = update_msg(SHORT)
    u.add(name, 60, "TXT", "expiring")
    signed_ok(send(k, u, tcp))
    assert txt(k, name) == ["expiring"]
    deadline = time.monotonic() + 15
    while txt(k, name):
        assert time.monotonic() < deadline, "value never expired"
        time.sleep(0.2)
    assert rcode(k.query(name, "TXT")) == "NXDOMAIN"
    # A prerequisite sees the expired value as gone, too.
    req = make_update(SHORT, prereqs=[nxrrset(name)], updates=[add(name, "again")], key=K1)
    assert k.send(req.wire, tcp=tcp).rcode_text == "NOERROR"


@pytest.mark.parametrize("what,error", [("badsig", "BADSIG"), ("badtime", "BADTIME")])
def test_log_tsig_failure(k, what, error):
    """The module's debug line for a failed MAC check, in Knot's words."""
    build, _ = LOG_REFUSED[what]
    mark = k.log_mark()
    assert k.send(make_update(STRICT, **build(owner(unique_label(f"lt{what}"), STRICT))).wire) \
        .rcode_text == "NOTAUTH"
    k.wait_log(r"\[strict\.test\.\] module 'mod-acme/strict', TSIG, key 'k1\.', "
               rf"verification failed '{error}'", mark)
