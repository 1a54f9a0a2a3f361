"""Answers synthesized by mod-acme (DESIGN.md, Behaviour contract, Answers).

The values are written with the knot-acme tool while knotd runs; every test
compares with what Knot answers itself where the contract says the module must
not change anything.
"""

import dns.flags
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from acmetest.knotd import (ALIAS_ZONE, DEFAULT_ACME, DELEG_ZONE, PLAIN_ZONE, Zone,
                            challenge_value, has_soa_authority, normalize, txt_rrsets, txt_values)

LIVE = f"www.example.com.{ALIAS_ZONE}"           # alias setup, three levels deep
ENTS = [f"example.com.{ALIAS_ZONE}", f"com.{ALIAS_ZONE}"]

#: Names (relative to a zone with DEFAULT_RECORDS) and types that never have
#: live values in these tests: Knot's own answer must come out unchanged.
STATIC_QUERIES = [
    ("nothere", "TXT"),
    ("nothere", "A"),
    ("static", "TXT"),
    ("static", "A"),
    ("static", "ANY"),
    ("host", "A"),
    ("host", "AAAA"),
    ("host", "TXT"),
    ("alias", "TXT"),
    ("alias", "A"),
    ("deleg", "TXT"),
    ("x.deleg", "TXT"),
    ("x.wild", "TXT"),
    ("x.wild", "A"),
    ("ns", "A"),
    ("@", "SOA"),
    ("@", "NS"),
    ("@", "TXT"),
    ("@", "A"),
    ("@", "ANY"),
    ("sub.www.example.com", "TXT"),    # below a live name
    ("other.example.com", "TXT"),      # sibling of a live name
    ("www.example.org", "TXT"),        # different branch
    ("www", "TXT"),
]


def absolute(rel: str, zone: str) -> str:
    return f"{zone}." if rel == "@" else f"{rel}.{zone}."


def assert_positive(msg, name, values, ttl=None):
    """NOERROR, AA, exactly one TXT RRset owned by name with exactly values."""
    assert dns.rcode.to_text(msg.rcode()) == "NOERROR", msg
    assert msg.flags & dns.flags.AA, msg
    assert not msg.flags & dns.flags.TC, msg
    rrsets = txt_rrsets(msg)
    assert len(rrsets) == 1, msg
    assert rrsets[0].name == dns.name.from_text(name), msg
    assert txt_values(msg) == sorted(values), msg
    if ttl is not None:
        assert rrsets[0].ttl == ttl, msg


def assert_nodata(msg, zone):
    """NOERROR, AA, empty answer, the zone's SOA in authority."""
    assert dns.rcode.to_text(msg.rcode()) == "NOERROR", msg
    assert msg.flags & dns.flags.AA, msg
    assert msg.answer == [], msg
    assert has_soa_authority(msg, f"{zone}."), msg


# -- positive answers ---------------------------------------------------------

def test_live_txt_alias_several_levels(knotd):
    values = [challenge_value("a1"), challenge_value("a2")]
    for v in values:
        knotd.add(LIVE, v, ttl=60)
    for tcp in (False, True):
        msg = knotd.query(LIVE, "TXT", tcp=tcp)
        assert_positive(msg, LIVE + ".", values, ttl=60)
    # Knot's positive answers carry no SOA; nor may ours.
    assert not has_soa_authority(msg, f"{ALIAS_ZONE}.")


def test_live_txt_one_label(knotd):
    name = f"www.{ALIAS_ZONE}"
    v = challenge_value("one")
    knotd.add(name, v, ttl=60)
    assert_positive(knotd.query(name, "TXT"), name + ".", [v], ttl=60)


def test_ttl_is_stored_ttl_when_smallest(knotd):
    # stored 60 < max-ttl 300 < lifetime 3600
    name = f"stored.{ALIAS_ZONE}"
    knotd.add(name, challenge_value("s"), ttl=60, lifetime=3600)
    assert txt_rrsets(knotd.query(name, "TXT"))[0].ttl == 60


def test_ttl_is_max_ttl_when_smallest(knotd):
    # max-ttl 300 < stored 3000 < lifetime 3600
    assert DEFAULT_ACME["max-ttl"] == 300
    name = f"capped.{ALIAS_ZONE}"
    knotd.add(name, challenge_value("c"), ttl=3000, lifetime=3600)
    assert txt_rrsets(knotd.query(name, "TXT"))[0].ttl == 300


def test_ttl_max_ttl_boundary(knotd):
    """One second either side of max-ttl: only a stored TTL above it is capped."""
    cap = DEFAULT_ACME["max-ttl"]
    for ttl, served in ((cap - 1, cap - 1), (cap, cap), (cap + 1, cap)):
        name = f"edge{ttl}.{ALIAS_ZONE}"
        knotd.add(name, challenge_value(f"e{ttl}"), ttl=ttl, lifetime=3600)
        assert txt_rrsets(knotd.query(name, "TXT"))[0].ttl == served, ttl


def test_ttl_is_remaining_lifetime_when_smallest(knotd):
    # lifetime 120 (remaining <= 120) < max-ttl 300 < stored 3000
    name = f"short.{ALIAS_ZONE}"
    knotd.add(name, challenge_value("l"), ttl=3000, lifetime=120)
    ttl = txt_rrsets(knotd.query(name, "TXT"))[0].ttl
    assert 100 <= ttl <= 120


def test_ttl_bounds_with_configured_max_ttl(acme_factory):
    """max-ttl from the config (not the default) caps; smaller bounds still win."""
    k = acme_factory(acme={"default": dict(DEFAULT_ACME, **{"max-ttl": 30})})
    k.add(f"a.{ALIAS_ZONE}", challenge_value(1), ttl=600, lifetime=3600)
    k.add(f"b.{ALIAS_ZONE}", challenge_value(2), ttl=10, lifetime=3600)
    k.add(f"c.{ALIAS_ZONE}", challenge_value(3), ttl=600, lifetime=20)
    assert txt_rrsets(k.query(f"a.{ALIAS_ZONE}", "TXT"))[0].ttl == 30
    assert txt_rrsets(k.query(f"b.{ALIAS_ZONE}", "TXT"))[0].ttl == 10
    assert 1 <= txt_rrsets(k.query(f"c.{ALIAS_ZONE}", "TXT"))[0].ttl <= 20


def test_ttl_max_ttl_zero(acme_factory):
    k = acme_factory(acme={"default": dict(DEFAULT_ACME, **{"max-ttl": 0})})
    k.add(f"a.{ALIAS_ZONE}", challenge_value(1), ttl=600)
    assert txt_rrsets(k.query(f"a.{ALIAS_ZONE}", "TXT"))[0].ttl == 0


def test_names_are_case_insensitive_in_store(knotd):
    v = challenge_value("case")
    knotd.add(f"MiXeD.Example.COM.{ALIAS_ZONE.upper()}", v, ttl=60)
    name = f"mixed.example.com.{ALIAS_ZONE}"
    assert_positive(knotd.query(name, "TXT"), name + ".", [v])


def test_query_case_is_echoed(knotd):
    v = challenge_value("echo")
    knotd.add(LIVE, v, ttl=60)
    qname = "WwW.ExAmple.COM.AuTh.example.NET."
    for tcp in (False, True):
        wire, msg = knotd.query_wire(qname, "TXT", tcp=tcp)
        assert_positive(msg, LIVE + ".", [v])
        owner = txt_rrsets(msg)[0].name
        assert owner.labels == dns.name.from_text(qname).labels
        assert msg.question[0].name.labels == dns.name.from_text(qname).labels
        # Raw wire: the owner is a pointer to the question name (offset 12)
        # or that name spelled in the same case.
        qname_wire = dns.name.from_text(qname).to_wire()
        answer_start = 12 + len(qname_wire) + 4
        assert wire[12:12 + len(qname_wire)] == qname_wire
        owner_wire = wire[answer_start:answer_start + 2]
        assert owner_wire == b"\xc0\x0c" or \
            wire[answer_start:answer_start + len(qname_wire)] == qname_wire


def test_query_case_is_echoed_at_apex(knotd):
    v = challenge_value("apexcase")
    knotd.add(DELEG_ZONE, v, ttl=60)
    qname = "_ACME-Challenge.ExAmple.Com."
    msg = knotd.query(qname, "TXT")
    assert_positive(msg, DELEG_ZONE + ".", [v])
    assert txt_rrsets(msg)[0].name.labels == dns.name.from_text(qname).labels


def test_any_at_live_name_includes_txt(knotd):
    values = [challenge_value("any1"), challenge_value("any2")]
    for v in values:
        knotd.add(LIVE, v, ttl=60)
    for tcp in (False, True):
        msg = knotd.query(LIVE, "ANY", tcp=tcp)
        assert dns.rcode.to_text(msg.rcode()) == "NOERROR", msg
        assert msg.flags & dns.flags.AA
        assert txt_values(msg) == sorted(values), msg


# -- delegation setup: TXT at the zone apex -----------------------------------

def test_apex_txt_delegation_setup(knotd):
    apex = DELEG_ZONE + "."
    before = {t: normalize(knotd.query(apex, t)) for t in ("SOA", "NS", "A", "ANY")}
    values = [challenge_value("apex1"), challenge_value("apex2")]
    for v in values:
        knotd.add(DELEG_ZONE, v, ttl=60)

    assert_positive(knotd.query(apex, "TXT"), apex, values, ttl=60)
    assert_positive(knotd.query(apex, "TXT", tcp=True), apex, values, ttl=60)
    # Zone data at the apex is answered from the zone, unchanged.
    for t in ("SOA", "NS"):
        msg = knotd.query(apex, t)
        assert msg.answer, msg
        assert normalize(msg) == before[t], t
    # Other type at the apex: Knot's own NODATA.
    assert normalize(knotd.query(apex, "A")) == before["A"]

    # ANY: the TXT plus what Knot puts for ANY (one RRset of the apex).
    msg = knotd.query(apex, "ANY")
    assert dns.rcode.to_text(msg.rcode()) == "NOERROR", msg
    assert txt_values(msg) == sorted(values), msg
    zone_part = normalize(msg)
    zone_part["answer"] = [l for l in zone_part["answer"] if " TXT " not in l]
    assert zone_part["answer"], msg
    assert zone_part == before["ANY"]


def test_apex_names_below_unchanged(knotd):
    """In the delegation zone, names other than the apex stay Knot's."""
    knotd.add(DELEG_ZONE, challenge_value("apex"), ttl=60)
    for rel, t in [("nothere", "TXT"), ("static", "TXT"), ("host", "A"), ("x.wild", "TXT")]:
        got = knotd.query(absolute(rel, DELEG_ZONE), t)
        ref = knotd.query(absolute(rel, PLAIN_ZONE), t)
        assert normalize(got, DELEG_ZONE) == normalize(ref, PLAIN_ZONE), (rel, t)


# -- NODATA ---------------------------------------------------------------------

@pytest.mark.parametrize("rdtype", ["A", "AAAA", "MX", "CNAME", "SOA"])
def test_other_type_at_live_name_is_nodata(knotd, rdtype):
    knotd.add(LIVE, challenge_value("nd"), ttl=60)
    msg = knotd.query(LIVE, rdtype)
    assert_nodata(msg, ALIAS_ZONE)
    # Same shape as Knot's own NODATA at an existing name.
    ref = knotd.query(f"static.{ALIAS_ZONE}", rdtype)
    assert normalize(msg) == normalize(ref)


@pytest.mark.parametrize("ent", ENTS)
@pytest.mark.parametrize("rdtype", ["TXT", "A"])
def test_empty_non_terminal_is_nodata(knotd, ent, rdtype):
    before = normalize(knotd.query(ent, rdtype))
    assert before["rcode"] == "NXDOMAIN"         # Knot's answer with no values
    knotd.add(LIVE, challenge_value("ent"), ttl=60)
    for tcp in (False, True):
        msg = knotd.query(ent, rdtype, tcp=tcp)
        assert_nodata(msg, ALIAS_ZONE)
        ref = knotd.query(f"static.{ALIAS_ZONE}", "A")
        assert normalize(msg) == normalize(ref)
    # Gone with the value: NXDOMAIN again.
    knotd.delete(LIVE)
    assert normalize(knotd.query(ent, rdtype)) == before


def test_ent_query_case_and_any(knotd):
    knotd.add(LIVE, challenge_value("entany"), ttl=60)
    msg = knotd.query("ExAmple.Com." + ALIAS_ZONE, "ANY")
    assert_nodata(msg, ALIAS_ZONE)


# -- names without live values: exactly Knot's answer -----------------------------

def _static_answers(k, zone):
    return {(rel, t): normalize(k.query(absolute(rel, zone), t), zone)
            for rel, t in STATIC_QUERIES}


def test_no_values_identical_to_knot(knotd):
    """Module zone before any value == plain zone with the same file."""
    got = _static_answers(knotd, ALIAS_ZONE)
    ref = _static_answers(knotd, PLAIN_ZONE)
    for key in got:
        assert got[key] == ref[key], key


def test_other_names_unchanged_while_values_live(knotd):
    """With live values elsewhere in the zone, other names answer as before
    and as the plain zone (rcode, flags, all sections)."""
    before = _static_answers(knotd, ALIAS_ZONE)
    knotd.add(LIVE, challenge_value("live1"), ttl=60)
    knotd.add(f"x.deleg.{ALIAS_ZONE}", challenge_value("below-deleg"), ttl=60)
    knotd.add(f"{ALIAS_ZONE}.", challenge_value("other-type-at-apex"), ttl=60)
    apex_live = {("@", "TXT"), ("@", "ANY")}   # the apex now has a live value
    after = _static_answers(knotd, ALIAS_ZONE)
    ref = _static_answers(knotd, PLAIN_ZONE)
    for key in before:
        if key in apex_live:
            continue
        assert after[key] == before[key], key
        assert after[key] == ref[key], key
    # Over TCP too, for a few.
    for rel, t in [("nothere", "TXT"), ("static", "TXT"), ("sub.www.example.com", "TXT")]:
        got = knotd.query(absolute(rel, ALIAS_ZONE), t, tcp=True)
        exp = knotd.query(absolute(rel, PLAIN_ZONE), t, tcp=True)
        assert normalize(got, ALIAS_ZONE) == normalize(exp, PLAIN_ZONE), (rel, t)


def test_missing_name_is_nxdomain_with_soa(knotd):
    knotd.add(LIVE, challenge_value("nx"), ttl=60)
    msg = knotd.query(f"nothere.{ALIAS_ZONE}", "TXT")
    assert dns.rcode.to_text(msg.rcode()) == "NXDOMAIN"
    assert msg.flags & dns.flags.AA
    assert msg.answer == []
    assert has_soa_authority(msg, f"{ALIAS_ZONE}.")


def test_static_txt_unchanged_and_no_mixing(knotd):
    """A value stored at a name with static TXT does not leak into the
    zone's answer for another name, and the static TXT is untouched."""
    ref = normalize(knotd.query(f"static.{ALIAS_ZONE}", "TXT"))
    knotd.add(f"www.{ALIAS_ZONE}", challenge_value("w"), ttl=60)
    assert normalize(knotd.query(f"static.{ALIAS_ZONE}", "TXT")) == ref
    assert txt_values(knotd.query(f"static.{ALIAS_ZONE}", "TXT")) == ["static value"]


def test_value_below_delegation_gets_referral(knotd):
    ref = normalize(knotd.query(f"x.deleg.{ALIAS_ZONE}", "TXT"))
    knotd.add(f"x.deleg.{ALIAS_ZONE}", challenge_value("d"), ttl=60)
    assert normalize(knotd.query(f"x.deleg.{ALIAS_ZONE}", "TXT")) == ref


def test_name_outside_zones_not_served(knotd):
    """A value stored for a name no zone serves changes nothing."""
    ref = normalize(knotd.query(f"www.{PLAIN_ZONE}", "TXT"))
    knotd.add(f"www.{PLAIN_ZONE}", challenge_value("plain"), ttl=60)
    msg = knotd.query(f"www.{PLAIN_ZONE}", "TXT")
    assert normalize(msg) == ref
    assert dns.rcode.to_text(msg.rcode()) == "NXDOMAIN"


# -- visibility of writes --------------------------------------------------------

def test_add_and_delete_visible_without_reload(knotd):
    name = f"live.{ALIAS_ZONE}"
    ref = normalize(knotd.query(name, "TXT"))
    v1, v2, v3 = (challenge_value(f"vis{i}") for i in range(3))

    knotd.add(name, v1, ttl=60)
    assert txt_values(knotd.query(name, "TXT")) == [v1]
    knotd.add(name, v2, ttl=60)
    knotd.add(name, v3, ttl=60)
    assert txt_values(knotd.query(name, "TXT")) == sorted([v1, v2, v3])
    # Adding an existing value again does not duplicate it.
    knotd.add(name, v2, ttl=60)
    assert txt_values(knotd.query(name, "TXT")) == sorted([v1, v2, v3])

    knotd.delete(name, v2)
    assert txt_values(knotd.query(name, "TXT")) == sorted([v1, v3])
    knotd.delete(name)
    assert normalize(knotd.query(name, "TXT")) == ref
    assert normalize(knotd.query(name, "TXT", tcp=True))["rcode"] == "NXDOMAIN"


def test_max_records_default_serves_all_live(knotd):
    """All live values come out as one RRset (the tool adds 8, the default)."""
    name = f"many.{ALIAS_ZONE}"
    values = [challenge_value(f"m{i}") for i in range(8)]
    for v in values:
        knotd.add(name, v, ttl=60)
    assert_positive(knotd.query(name, "TXT"), name + ".", values)


# -- truncation ------------------------------------------------------------------

def test_oversize_udp_sets_tc_and_tcp_has_all(acme_factory):
    k = acme_factory(acme={"default": dict(DEFAULT_ACME, strict=False,
                                           **{"max-records": 64})})
    name = f"big.{ALIAS_ZONE}"
    values = [challenge_value(f"big{i}") for i in range(40)]  # ~2.3 kB of TXT
    for v in values:
        k.add(name, v, ttl=60)

    for kw in ({"edns": False}, {"edns": True, "payload": 512},
               {"edns": True, "payload": 1232}):
        msg = k.query(name, "TXT", **kw)
        assert msg.flags & dns.flags.TC, (kw, msg)
        assert dns.rcode.to_text(msg.rcode()) == "NOERROR", (kw, msg)

    msg = k.query(name, "TXT", tcp=True)
    assert not msg.flags & dns.flags.TC
    assert_positive(msg, name + ".", values)
    # (No UDP check with a big EDNS buffer: knotd caps UDP at
    # server.udp-max-payload, 1232 by default.)


def test_any_oversize_udp_sets_tc(acme_factory):
    k = acme_factory(acme={"default": dict(DEFAULT_ACME, **{"max-records": 64})})
    name = f"bigany.{ALIAS_ZONE}"
    values = [challenge_value(f"bigany{i}") for i in range(40)]
    for v in values:
        k.add(name, v, ttl=60)
    msg = k.query(name, "ANY", edns=False)
    assert msg.flags & dns.flags.TC, msg
    assert txt_values(k.query(name, "ANY", tcp=True)) == sorted(values)


# -- value contents ------------------------------------------------------------------

def test_value_bytes_served_verbatim(knotd):
    """Whatever one string the store holds comes out byte for byte."""
    name = f"bytes.{ALIAS_ZONE}"
    values = ['hello "world" \\ back;semi (paren) $dollar', "x" * 255, "-dash", "é ü"]
    for v in values:
        knotd.add(name, v, ttl=60)
    msg = knotd.query(name, "TXT", tcp=True)
    got = sorted(b"".join(rd.strings) for rd in txt_rrsets(msg)[0])
    assert got == sorted(v.encode() for v in values)
    assert all(len(rd.strings) == 1 for rd in txt_rrsets(msg)[0])


def test_dnssec_ok_query_same_answer(knotd):
    v = challenge_value("do")
    knotd.add(LIVE, v, ttl=60)
    msg = knotd.query(LIVE, "TXT", dnssec=True)
    assert_positive(msg, LIVE + ".", [v], ttl=60)


def test_other_class_unchanged(knotd):
    """CH/HS class queries at a live name: Knot's own answer (REFUSED)."""
    knotd.add(f"www.{ALIAS_ZONE}", challenge_value("ch"), ttl=60)
    for rdclass in ("CH", "HS"):
        got = dns.message.make_query(f"www.{ALIAS_ZONE}", "TXT", rdclass=rdclass)
        ref = dns.message.make_query(f"nothere.{ALIAS_ZONE}", "TXT", rdclass=rdclass)
        g = dns.query.udp(got, "127.0.0.1", port=knotd.port, timeout=3)
        r = dns.query.udp(ref, "127.0.0.1", port=knotd.port, timeout=3)
        assert normalize(g) == normalize(r), rdclass
        assert txt_values(g) == []


def test_zone_data_and_serial_untouched(acme_factory):
    """Values never enter the zone: serial, SOA and AXFR stay as they were."""
    acl = "acl:\n  - id: xfr\n    address: 127.0.0.1\n    action: transfer\n"
    zones = [Zone(ALIAS_ZONE, options={"acl": "xfr"}),
             Zone(PLAIN_ZONE, module=None, options={"acl": "xfr"})]
    k = acme_factory(zones=zones, extra_conf=acl)

    def axfr(zone):
        """All records of an AXFR, names relative to the zone, sorted."""
        return sorted(line for m in dns.query.xfr("127.0.0.1", zone, port=k.port, timeout=5)
                      for line in normalize(m, zone)["answer"])

    soa = normalize(k.query(ALIAS_ZONE, "SOA"))
    before = axfr(ALIAS_ZONE)
    k.add(f"www.{ALIAS_ZONE}", challenge_value("xfr"), ttl=60)
    k.add(f"{ALIAS_ZONE}.", challenge_value("xfr-apex"), ttl=60)
    assert txt_values(k.query(f"www.{ALIAS_ZONE}", "TXT")) == [challenge_value("xfr")]
    after = axfr(ALIAS_ZONE)
    assert after == before
    assert after == axfr(PLAIN_ZONE)
    assert len(after) > 5
    assert not any(challenge_value("xfr") in line for line in after)
    assert normalize(k.query(ALIAS_ZONE, "SOA")) == soa
    assert "2026010101" in k.knotc("zone-status", f"{ALIAS_ZONE}.").stdout


def test_zone_data_wins_over_store(knotd):
    """Zone data wins: where the zone itself answers TXT (a wildcard, a static
    TXT) the answer is Knot's, exactly as without the module (documented)."""
    for name in (f"y.wild.{ALIAS_ZONE}", f"static.{ALIAS_ZONE}"):
        ref = normalize(knotd.query(name, "TXT"))
        knotd.add(name, challenge_value("zone-wins"), ttl=60)
        assert normalize(knotd.query(name, "TXT")) == ref, name
    # A store-only name next to them is still served.
    knotd.add(f"live.{ALIAS_ZONE}", challenge_value("zone-wins"), ttl=60)
    assert txt_values(knotd.query(f"live.{ALIAS_ZONE}", "TXT")) == [challenge_value("zone-wins")]
