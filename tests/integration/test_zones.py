"""Several module zones on one database, names that lead the module out of
its zone, and names in mixed case.

A DNAME leads a query out of its zone: with ANY, knotd runs the module's
answer hook with the target name, which may belong to another module zone
on the same database (its values must stay out of this zone's answer).

Letter case: knotd hands the module the query name lower-cased
(knot_pkt_qname()), lowers the owners of UPDATE and prerequisite RRs when
it parses them, and lowers the names in zone data (CNAME and DNAME targets)
when it loads the zone; so a mixed-case target below is served through the
lower-case name.  Mixed case reaches the store unchanged only through
knot-acme (tested here) and the store's own API (tests/unit/test_store_write.c, add_case_insensitive).
"""

import dns.rcode
import dns.rdatatype
import pytest

from acmetest.knotd import ALIAS_ZONE, DEFAULT_RECORDS, Zone, challenge_value, txt_values

OTHER = "other.test"

#: The alias zone's usual data, plus names leading elsewhere.
RECORDS = DEFAULT_RECORDS + f"""\
out      DNAME {OTHER}.
up       CNAME WWW.Example.COM.{ALIAS_ZONE}.
upent    CNAME Example.COM.{ALIAS_ZONE}.
dn       DNAME Example.COM.{ALIAS_ZONE}.
"""

LIVE = f"www.example.com.{ALIAS_ZONE}"


def rcode(msg):
    return dns.rcode.to_text(msg.rcode())


def rrsets(msg, rdtype):
    return [r for r in msg.answer if r.rdtype == dns.rdatatype.from_text(rdtype)]


@pytest.fixture
def shared(acme_factory):
    """Two module zones, one instance, one database."""
    return acme_factory(zones=[Zone(ALIAS_ZONE, records=RECORDS), Zone(OTHER)])


def test_dname_out_of_zone_not_answered_from_other_zone(shared):
    """x.out.<alias> ANY: knotd follows the DNAME to x.other.test, outside
    the zone, and runs the alias zone's hook with that name; the value
    stored for x.other.test (the other zone's, same database) must not be
    added to the alias zone's answer."""
    v = challenge_value("other-zone")
    shared.add(f"x.{OTHER}", v, ttl=60)
    assert txt_values(shared.query(f"x.{OTHER}", "TXT")) == [v]
    for tcp in (False, True):
        msg = shared.query(f"x.out.{ALIAS_ZONE}", "ANY", tcp=tcp)
        assert rcode(msg) == "NOERROR", msg
        assert rrsets(msg, "DNAME") and rrsets(msg, "CNAME"), msg
        assert rrsets(msg, "TXT") == [], msg
    # TXT and A: knotd itself answers from the chase (HIT), the module adds nothing.
    for rdtype in ("TXT", "A"):
        msg = shared.query(f"x.out.{ALIAS_ZONE}", rdtype)
        assert rcode(msg) == "NOERROR" and rrsets(msg, "TXT") == [], msg


def test_separate_zone_names_one_database(shared):
    """The same relative name in two zones of one database: each zone
    serves its own value."""
    a, b = challenge_value("zone-a"), challenge_value("zone-b")
    shared.add(f"www.{ALIAS_ZONE}", a, ttl=60)
    shared.add(f"www.{OTHER}", b, ttl=60)
    assert txt_values(shared.query(f"www.{ALIAS_ZONE}", "TXT")) == [a]
    assert txt_values(shared.query(f"www.{OTHER}", "TXT")) == [b]
    shared.delete(f"www.{OTHER}")
    assert rcode(shared.query(f"www.{OTHER}", "TXT")) == "NXDOMAIN"
    assert txt_values(shared.query(f"www.{ALIAS_ZONE}", "TXT")) == [a]


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_cname_target_in_mixed_case(shared, tcp):
    """up CNAME WWW.Example.COM.<zone> (lowered by knotd at load): the
    module answers the CNAME's target."""
    v = challenge_value("mixed-cname")
    shared.add(LIVE, v, ttl=60)
    msg = shared.query(f"up.{ALIAS_ZONE}", "TXT", tcp=tcp)
    assert rcode(msg) == "NOERROR", msg
    assert rrsets(msg, "CNAME"), msg
    assert txt_values(msg) == [v], msg
    assert str(rrsets(msg, "TXT")[0].name).lower() == f"{LIVE}."


def test_cname_to_mixed_case_empty_non_terminal(shared):
    """upent CNAME Example.COM.<zone>, an empty non-terminal above the live
    name: NOERROR with the CNAME and no TXT, not NXDOMAIN."""
    shared.add(LIVE, challenge_value("mixed-ent"), ttl=60)
    for rdtype in ("TXT", "A"):
        msg = shared.query(f"upent.{ALIAS_ZONE}", rdtype)
        assert rcode(msg) == "NOERROR", msg
        assert rrsets(msg, "CNAME") and not rrsets(msg, "TXT"), msg


def test_dname_target_in_mixed_case(shared):
    """www.dn.<zone> becomes www.Example.COM.<zone> through the DNAME."""
    v = challenge_value("mixed-dname")
    shared.add(LIVE, v, ttl=60)
    msg = shared.query(f"www.dn.{ALIAS_ZONE}", "TXT")
    assert rcode(msg) == "NOERROR", msg
    assert txt_values(msg) == [v], msg


def test_tool_names_in_mixed_case(shared):
    """knot-acme takes names in any case: added, listed, served and deleted
    through their lower-case form."""
    v1, v2 = challenge_value("tool-case-1"), challenge_value("tool-case-2")
    shared.add(f"Tool.CASE.{ALIAS_ZONE.upper()}", v1, ttl=60)
    shared.add(f"tool.case.{ALIAS_ZONE}", v2, ttl=60)
    name = f"tool.case.{ALIAS_ZONE}"
    assert txt_values(shared.query(name, "TXT")) == sorted([v1, v2])
    listing = shared.tool("list", f"TOOL.case.{ALIAS_ZONE}").stdout
    assert listing.count(f"{name}. ") == 2, listing
    shared.delete(f"tOOL.Case.{ALIAS_ZONE}", v1)
    assert txt_values(shared.query(name, "TXT")) == [v2]
    shared.delete(f"TOOL.CASE.{ALIAS_ZONE}")
    assert rcode(shared.query(name, "TXT")) == "NXDOMAIN"
