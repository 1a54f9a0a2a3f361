"""Signed challenge zones (DESIGN.md, DNSSEC): answers that validate, and
refusals where they cannot.

The accepted configuration is `module: [mod-acme/default, mod-onlinesign/acme]`
with TXT in the signer's `nsec-bitmap` (acmetest.dnssec.SIGNER_CONF).  Answers are
checked by validators, not by looking for signatures: BIND's `delv` with the
zone's KSK as trust anchor, and a validating unbound (aggressive NSEC, qname
minimisation) with trust anchors only at the operator's signed main zone
example.com and at the alias zone, so the delegated challenge zone validates
from its parent's DS down.

Topology (one per module, shared by the tests below the refusals):
  acme knotd  auth.example.net (alias setup) and _acme-challenge.example.com
              (delegation setup), both signed online, SOA minimum 1 s
  main knotd  example.com, signed by Knot (dnssec-signing: on), with
              _acme-challenge NS + DS (keymgr ds of the child) and
              _acme-challenge.www CNAME www.example.com.auth.example.net.
  unbound     validating, stub zones to both knotds
"""

import dns.flags
import dns.rcode
import dns.rdatatype
import pytest

from acmetest.ddns import attached
from acmetest.dnssec import (SIGNED_MODULES, SIGNER_CONF, anchors_file, delv, dnskey, ds,
                             missing_validators, secure, wait_for)
from acmetest.knotd import ALIAS_ZONE, DELEG_ZONE, Knotd, Zone, challenge_value, txt_values
from acmetest.unbound import Unbound

MAIN_ZONE = "example.com"
LIVE = f"www.example.com.{ALIAS_ZONE}"
ENT = f"example.com.{ALIAS_ZONE}"

#: Short negative TTLs (SOA TTL and minimum 1 s): a name asked for before its
#: value existed is asked again soon.
CHALLENGE_RECORDS = """\
$TTL 60
@     1  SOA  ns hostmaster 1 3600 600 86400 1
@        NS   ns
ns       A    192.0.2.53
static   TXT  "static value"
*.wild   TXT  "wild"
"""
#: The operator's zone, signed by Knot; the delegation's DS lines are added.
MAIN_RECORDS = f"""\
$TTL 60
@     1  SOA  ns hostmaster 1 3600 600 86400 1
@        NS   ns
ns       A    192.0.2.1
www      A    192.0.2.1
_acme-challenge.www  CNAME  {LIVE}.
_acme-challenge      NS     ns._acme-challenge
ns._acme-challenge   A      192.0.2.53
"""


def acme_settings():
    """The module instance; answer TTL 1 s, so that a removal is visible soon."""
    return {"default": {"lifetime": 600, "max-ttl": 1, "max-records": 8, "strict": True}}

pytestmark = pytest.mark.skipif(bool(missing_validators()),
                                reason="missing: " + ", ".join(missing_validators()))


def rcode(msg):
    return dns.rcode.to_text(msg.rcode())


def signed_zone(name, records=CHALLENGE_RECORDS, modules=SIGNED_MODULES, **options):
    return Zone(name, module=modules, records=records, options=options)


# -- configurations that cannot validate are refused ----------------------------------

def _start_refused(acme_factory, zones, zone, pattern, **kw):
    """Starts knotd with \a zones; the instance in \a zone must refuse to load
    with a log line matching \a pattern that says what to write instead, and
    a value stored for the zone must not be served (no unsigned challenge
    answer leaves the server).  Knot 3.2-3.4 then serve the zone without the
    module, 3.5 does not load the zone at all: either is a refusal."""
    k = acme_factory(zones=zones, start=False, **kw)
    k.start(wait=False)
    k.wait_log(r"server started", timeout=20)
    log = k.log()
    lines = [line for line in log.splitlines()
             if f"[{zone}.]" in line and "mod-acme" in line and "error:" in line
             and pattern in line]
    assert lines, log
    assert "module: [mod-acme/<id>, mod-onlinesign/<id>]" in lines[0], lines[0]
    assert "nsec-bitmap: [A, AAAA, TXT]" in lines[0], lines[0]
    assert f"[{zone}.] module 'mod-acme/default', failed to load" in log, log
    k.add(f"x.{zone}", challenge_value("refused"), ttl=60)
    assert txt_values(k.query(f"x.{zone}", "TXT", dnssec=True)) == []
    return k


def test_refuses_dnssec_signing(acme_factory):
    k = _start_refused(acme_factory, [Zone(ALIAS_ZONE, options={"dnssec-signing": True}),
                                      Zone(DELEG_ZONE)],
                       ALIAS_ZONE, "refusing 'dnssec-signing: on'")
    # The unsigned zone next to it keeps its instance.
    k.zones = [z for z in k.zones if z.name == DELEG_ZONE]
    k.wait_ready()
    v = challenge_value("unsigned")
    k.add(DELEG_ZONE, v, ttl=60)
    assert txt_values(k.query(DELEG_ZONE, "TXT")) == [v]


def test_refuses_signer_before_module(acme_factory):
    _start_refused(acme_factory, [signed_zone(ALIAS_ZONE, modules="[mod-onlinesign/acme, "
                                              "mod-acme/default]")],
                   ALIAS_ZONE, "refusing mod-onlinesign before mod-acme", extra_conf=SIGNER_CONF)


def test_refuses_signer_without_txt_in_bitmap(acme_factory):
    _start_refused(acme_factory, [signed_zone(ALIAS_ZONE, modules="[mod-acme/default, "
                                              "mod-onlinesign]")],
                   ALIAS_ZONE, "refusing mod-onlinesign without TXT in its 'nsec-bitmap'")


def test_refuses_signer_instance_without_txt(acme_factory):
    conf = "mod-onlinesign:\n  - id: plain\n    nsec-bitmap: [A, AAAA]\n"
    _start_refused(acme_factory, [signed_zone(ALIAS_ZONE, modules="[mod-acme/default, "
                                              "mod-onlinesign/plain]")],
                   ALIAS_ZONE, "without TXT in its 'nsec-bitmap'", extra_conf=conf)


def test_accepts_signer_after_module(acme_factory):
    k = acme_factory(zones=[signed_zone(ALIAS_ZONE)], acme=acme_settings(), extra_conf=SIGNER_CONF)
    assert "refusing" not in k.log(), k.log()
    assert f"[{ALIAS_ZONE}.] module 'mod-acme/default', serving challenge values" in k.log()


# -- the signed topology ----------------------------------------------------------------

class Signed:
    """acme knotd, main knotd (parent, signed), validating unbound."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.acme = Knotd([signed_zone(ALIAS_ZONE), signed_zone(DELEG_ZONE)],
                          acme=acme_settings(),
                          extra_conf=SIGNER_CONF, workdir=str(tmp / "acme"))
        self.main = None
        self.unbound = None

    def start(self):
        self.acme.start()
        # The parent holds the child's DS, which exists once the acme knotd made its keys.
        parent = MAIN_RECORDS + "\n".join(ds(self.acme, DELEG_ZONE)) + "\n"
        self.main = Knotd([Zone(MAIN_ZONE, module=None, records=parent,
                                options={"dnssec-signing": True})],
                          acme={}, load_module=False, workdir=str(self.tmp / "main"))
        self.main.start()
        self.anchor_keys = dnskey(self.main, MAIN_ZONE) + dnskey(self.acme, ALIAS_ZONE)
        self.delv_anchors = {
            ALIAS_ZONE: anchors_file(self.tmp / "alias.anchor", dnskey(self.acme, ALIAS_ZONE)),
            DELEG_ZONE: anchors_file(self.tmp / "deleg.anchor", dnskey(self.acme, DELEG_ZONE)),
            MAIN_ZONE: anchors_file(self.tmp / "main.anchor", self.anchor_keys),
        }
        self.unbound = Unbound(self.tmp / "unbound", {
            MAIN_ZONE: self.main.port, DELEG_ZONE: self.acme.port, ALIAS_ZONE: self.acme.port,
        }, self.anchor_keys).start(MAIN_ZONE)
        return self

    def stop(self):
        for part in (self.unbound, self.main, self.acme):
            if part is not None:
                part.stop()

    def cleanup(self):
        self.stop()
        for k in (self.main, self.acme):
            if k is not None:
                k.cleanup()

    def delv(self, name, rdtype="TXT", zone=ALIAS_ZONE):
        """delv straight at the acme knotd, the zone's own key as anchor."""
        return delv(self.acme.port, self.delv_anchors[zone], zone, name, rdtype)

    def delv_from_parent(self, name, rdtype="TXT"):
        """delv through unbound (as a plain recursive server: delv validates
        itself), anchored at the main zone example.com."""
        return delv(self.unbound.port, self.delv_anchors[MAIN_ZONE], MAIN_ZONE, name, rdtype)


@pytest.fixture(scope="module")
def signed_env(tmp_path_factory):
    env = Signed(tmp_path_factory.mktemp("dnssec"))
    try:
        env.start()
        yield env
    finally:
        env.cleanup()


@pytest.fixture
def signed(request, signed_env):
    request.node._knotd_instances = [signed_env.acme, signed_env.main]
    yield from attached(request, signed_env.acme, signed_env.main, value=signed_env)


def _nsec_types(msg, owner):
    """Types in the NSEC bitmap owned by \a owner in the authority section."""
    import dns.name
    for rrset in msg.authority:
        if rrset.rdtype == dns.rdatatype.NSEC and rrset.name == dns.name.from_text(owner):
            return {dns.rdatatype.to_text(t) for rd in rrset for w in rd.windows
                    for t in _window_types(w)}
    return None


def _window_types(window):
    base, bits = window
    return [base * 256 + i * 8 + j for i, byte in enumerate(bits) for j in range(8)
            if byte & (0x80 >> j)]


# -- delv, the zone's key as trust anchor -------------------------------------------------

def test_delv_hit(signed):
    v = challenge_value("delv-hit")
    signed.acme.delete(LIVE, check=False)
    signed.acme.add(LIVE, v, ttl=60)
    res = signed.delv(LIVE)
    assert res.secure and res.txt() == [v], res.output
    # Mixed query case: the owner echoes it, the signature covers the canonical name.
    res = signed.delv(LIVE.upper())
    assert res.secure and res.txt() == [v], res.output


def test_delv_several_values(signed):
    name = f"multi.{ALIAS_ZONE}"
    values = sorted(challenge_value(f"multi{i}") for i in range(3))
    for v in values:
        signed.acme.add(name, v, ttl=60)
    res = signed.delv(name)
    assert res.secure and res.txt() == values, res.output


def test_delv_any_at_live_name(signed):
    name = f"any.{ALIAS_ZONE}"
    v = challenge_value("delv-any")
    signed.acme.add(name, v, ttl=60)
    res = signed.delv(name, "ANY")
    assert res.secure and res.txt() == [v], res.output


def test_delv_nodata_other_type_at_live_name(signed):
    signed.acme.add(LIVE, challenge_value("delv-nodata"), ttl=60)
    for rdtype in ("A", "AAAA", "MX"):
        res = signed.delv(LIVE, rdtype)
        assert res.secure_negative, res.output
    res = signed.delv(LIVE.upper(), "A")
    assert res.secure_negative, res.output
    # The proof says TXT exists here and the type asked for does not.
    types = _nsec_types(signed.acme.query(LIVE, "A", dnssec=True), LIVE)
    assert types is not None and "TXT" in types and "A" not in types, types


def test_delv_empty_non_terminal(signed):
    signed.acme.add(LIVE, challenge_value("delv-ent"), ttl=60)
    for name in (ENT, ENT.upper()):
        for rdtype in ("TXT", "A"):
            res = signed.delv(name, rdtype)
            assert res.secure_negative, res.output
            assert rcode(signed.acme.query(name, rdtype, dnssec=True)) == "NOERROR"


def test_delv_missing_name(signed):
    res = signed.delv(f"missing.{ALIAS_ZONE}")
    assert res.secure_negative, res.output
    types = _nsec_types(signed.acme.query(f"missing.{ALIAS_ZONE}", "TXT", dnssec=True),
                        f"missing.{ALIAS_ZONE}")
    assert types is not None and "TXT" not in types, types


def test_delv_apex_delegation_setup(signed):
    v = challenge_value("delv-apex")
    signed.acme.delete(DELEG_ZONE, check=False)
    signed.acme.add(DELEG_ZONE, v, ttl=60)
    res = signed.delv(DELEG_ZONE, "TXT", zone=DELEG_ZONE)
    assert res.secure and res.txt() == [v], res.output
    for rdtype in ("SOA", "NS", "DNSKEY"):
        assert signed.delv(DELEG_ZONE, rdtype, zone=DELEG_ZONE).secure
    res = signed.delv(DELEG_ZONE, "A", zone=DELEG_ZONE)
    assert res.secure_negative, res.output
    types = _nsec_types(signed.acme.query(DELEG_ZONE, "A", dnssec=True), DELEG_ZONE)
    assert types is not None and {"TXT", "SOA", "NS", "DNSKEY"} <= types and "A" not in types


def test_delv_static_and_wildcard_unchanged(signed):
    """Zone data wins (a static TXT, a wildcard): it validates as before."""
    res = signed.delv(f"static.{ALIAS_ZONE}")
    assert res.secure and res.txt() == ["static value"], res.output
    res = signed.delv(f"x.wild.{ALIAS_ZONE}")
    assert res.secure and res.txt() == ["wild"], res.output
    signed.acme.add(f"y.wild.{ALIAS_ZONE}", challenge_value("under-wild"), ttl=60)
    res = signed.delv(f"y.wild.{ALIAS_ZONE}", "A")
    assert res.secure_negative, res.output


# -- unbound, anchored at the main zone and at the alias zone -----------------------------

def test_unbound_delegation_from_parent_down(signed):
    v = challenge_value("ub-deleg")
    signed.acme.delete(DELEG_ZONE, check=False)
    signed.acme.add(DELEG_ZONE, v, ttl=60)
    msg = signed.unbound.query(DELEG_ZONE, "DS")
    assert rcode(msg) == "NOERROR" and secure(msg) and msg.answer, msg
    msg = signed.unbound.query(DELEG_ZONE, "TXT")
    assert rcode(msg) == "NOERROR" and secure(msg) and txt_values(msg) == [v], msg
    res = signed.delv_from_parent(DELEG_ZONE)
    assert res.secure and res.txt() == [v], res.output


def test_unbound_alias_through_signed_cname(signed):
    v = challenge_value("ub-alias")
    signed.acme.delete(LIVE, check=False)
    signed.acme.add(LIVE, v, ttl=60)
    msg = signed.unbound.query(f"_acme-challenge.www.{MAIN_ZONE}", "TXT")
    assert rcode(msg) == "NOERROR" and secure(msg) and txt_values(msg) == [v], msg
    assert any(r.rdtype == dns.rdatatype.CNAME for r in msg.answer), msg


def test_unbound_ent_then_hit(signed):
    name = f"www.ent.example.org.{ALIAS_ZONE}"
    v = challenge_value("ub-ent")
    signed.acme.add(name, v, ttl=60)
    for ent in (f"example.org.{ALIAS_ZONE}", f"ent.example.org.{ALIAS_ZONE}"):
        for rdtype in ("A", "TXT"):
            msg = signed.unbound.query(ent, rdtype)
            assert rcode(msg) == "NOERROR" and secure(msg) and not msg.answer, msg
    msg = signed.unbound.query(name, "TXT")
    assert rcode(msg) == "NOERROR" and secure(msg) and txt_values(msg) == [v], msg


def test_unbound_other_type_first_does_not_hide_txt(signed):
    """A NODATA for A at a live name, cached by an aggressive resolver, must
    not answer the TXT query after it."""
    name = f"a-first.{ALIAS_ZONE}"
    v = challenge_value("ub-a-first")
    signed.acme.add(name, v, ttl=60)
    msg = signed.unbound.query(name, "A")
    assert rcode(msg) == "NOERROR" and secure(msg) and not msg.answer, msg
    msg = signed.unbound.query(name, "TXT")
    assert rcode(msg) == "NOERROR" and secure(msg) and txt_values(msg) == [v], msg


def test_unbound_missing_name_then_added(signed):
    name = f"later.{ALIAS_ZONE}"
    msg = signed.unbound.query(name, "TXT")
    assert rcode(msg) == "NOERROR" and secure(msg) and not msg.answer, msg
    msg = signed.unbound.query(f"other.later.{ALIAS_ZONE}", "TXT")
    assert secure(msg) and not msg.answer, msg
    v = challenge_value("ub-later")
    signed.acme.add(name, v, ttl=60)
    # Visible once the negative answer's TTL (SOA minimum, 1 s) has passed.
    msg = wait_for("the added value through unbound",
                   lambda: (lambda m: m if txt_values(m) == [v] else None)(signed.unbound.query(name)))
    assert rcode(msg) == "NOERROR" and secure(msg), msg


def test_unbound_removed_value(signed):
    name = f"gone.{ALIAS_ZONE}"
    v = challenge_value("ub-gone")
    signed.acme.add(name, v, ttl=60)
    msg = signed.unbound.query(name, "TXT")
    assert secure(msg) and txt_values(msg) == [v], msg
    signed.acme.delete(name, v)
    msg = wait_for("the removal through unbound",
                   lambda: (lambda m: m if not m.answer else None)(signed.unbound.query(name)))
    assert rcode(msg) == "NOERROR" and secure(msg), msg


def test_unbound_deleg_added_after_negative(signed):
    """Delegation setup: the apex has no TXT, then gets one."""
    zone_msg = signed.unbound.query(DELEG_ZONE, "TXT")
    assert secure(zone_msg), zone_msg
    v = challenge_value("ub-deleg-later")
    signed.acme.delete(DELEG_ZONE, check=False)
    signed.acme.add(DELEG_ZONE, v, ttl=60)
    msg = wait_for("the apex value through unbound",
                   lambda: (lambda m: m if v in txt_values(m) else None)(signed.unbound.query(DELEG_ZONE)))
    assert secure(msg) and txt_values(msg) == [v], msg


def test_large_answer_truncated_not_failed(signed):
    """A TXT answer that fits a small UDP buffer alone but not with its
    signature is truncated (TC, the resolver retries over TCP), never a
    SERVFAIL; over TCP it comes whole and validates."""
    name = f"big.{ALIAS_ZONE}"
    seen = set()
    for i in range(8):
        signed.acme.add(name, challenge_value(f"big{i}"), ttl=60)
        msg = signed.acme.query(name, "TXT", dnssec=True, payload=512)
        assert rcode(msg) == "NOERROR", msg
        if msg.flags & dns.flags.TC:
            seen.add("tc")
        else:
            assert len(txt_values(msg)) == i + 1, msg
            assert any(r.rdtype == dns.rdatatype.RRSIG for r in msg.answer), msg
            seen.add("whole")
    assert seen == {"tc", "whole"}, seen
    msg = signed.acme.query(name, "TXT", dnssec=True, tcp=True)
    assert len(txt_values(msg)) == 8 and not msg.flags & dns.flags.TC, msg
    res = signed.delv(name)
    assert res.secure and len(res.txt()) == 8, res.output
