"""Real certificates end to end: pebble validates DNS-01 through unbound
(strict qname minimisation) against knotd + mod-acme, with certbot's
dns-rfc2136 plugin (delegation setup) and lego's rfc2136 provider (alias and
delegation setups) writing the challenge values over TSIG-signed RFC 2136
UPDATE, and clients holding a key for another name being refused.

After every run the certificate (if any) must verify against pebble's root,
and the store must be empty again: the clients delete their values.

Every test runs twice (conftest.py): with unsigned zones, and with every zone
signed and unbound validating (acmetest.acme, signed variant), where no answer
may fail validation and the challenge answers must come out secure (AD).
"""

import re

import dns.flags
import dns.rcode
import dns.rdatatype

from acmetest.acme import ALIAS_TARGET, cert_names, run_certbot, run_lego
from acmetest.knotd import ALIAS_ZONE, DELEG_ZONE, DENIED_LOG, challenge_value, txt_values

CHALLENGE_NAMES = ["_acme-challenge.example.com", ALIAS_TARGET]

UPDATE_RE = re.compile(r"DDNS, from \S+, key (?P<key>\S+), added (?P<added>\d+), "
                       r"refreshed \d+, deleted (?P<deleted>\d+)")


def report(env, run) -> str:
    return f"client output:\n{run.output[-6000:]}\n{env.diagnostics()}"


def live_values(env, key, log) -> list:
    """Running count of the key's values after each accepted update in log."""
    counts, live = [], 0
    for m in UPDATE_RE.finditer(log):
        if m["key"].rstrip(".") == key:
            live += int(m["added"]) - int(m["deleted"])
            counts.append(live)
    return counts


def assert_store_clean(env):
    assert env.store_lines() == [], "values left in the store:\n" + "\n".join(env.store_lines())
    for name in CHALLENGE_NAMES:
        msg = env.acme.query(name, "TXT")
        assert not [r for r in msg.answer if r.rdtype == dns.rdatatype.TXT], msg


def assert_issued(env, run, names):
    assert run.ok, report(env, run)
    assert run.cert is not None and run.chain is not None, report(env, run)
    verified = env.verify(run.cert, run.chain)
    assert verified.returncode == 0, f"{verified.stdout}{verified.stderr}\n" + report(env, run)
    assert cert_names(run.cert) == sorted(names)
    assert_validated(env)


def assert_validated(env):
    """Signed variant: the CA's resolver found nothing bogus."""
    if env.signed:
        assert env.unbound.validation_failures() == [], env.unbound.diagnostics()


def assert_secure(env, msg):
    """Signed variant: the CA's resolver validated the answer (AD)."""
    if env.signed:
        assert msg.flags & dns.flags.AD, msg


def test_certbot_delegation_apex_and_wildcard(ca):
    """certbot obtains example.com + *.example.com: two values at once at the
    apex of the delegated zone _acme-challenge.example.com."""
    mark = ca.acme.log_mark()
    run = run_certbot(ca, "certbot-example", ["example.com", "*.example.com"],
                      "certbot-deleg")
    assert_issued(ca, run, ["example.com", "*.example.com"])
    counts = live_values(ca, "certbot-example", ca.acme.log_since(mark))
    # Both values were live together while pebble validated, and deleted after.
    assert counts and max(counts) == 2 and counts[-1] == 0, counts
    assert_store_clean(ca)


def test_lego_alias_follows_cname(ca):
    """lego obtains www.example.com, following _acme-challenge.www's CNAME to
    a deep label of auth.example.net."""
    mark = ca.acme.log_mark()
    run = run_lego(ca, "lego-www", ["www.example.com"], "lego-alias")
    assert_issued(ca, run, ["www.example.com"])
    assert f'"{ALIAS_TARGET}."' in run.output, "lego did not follow the CNAME\n" + run.output
    counts = live_values(ca, "lego-www", ca.acme.log_since(mark))
    assert counts == [1, 0], counts
    assert_store_clean(ca)


def assert_refused(env, run, zone, key, mark):
    assert not run.ok, report(env, run)
    assert run.cert is None, report(env, run)
    log = env.acme.log_since(mark)
    assert re.search(rf"\[{re.escape(zone)}\.\] module 'mod-acme/default', DDNS, from \S+, key {re.escape(key)}\.,"
                     " " + DENIED_LOG, log), log
    assert live_values(env, key, log) == [], log
    assert_store_clean(env)


def test_lego_delegation_apex_and_wildcard(ca):
    """lego obtains example.com + *.example.com through the delegation setup:
    no CNAME, both values at the apex of _acme-challenge.example.com, one after
    the other (lego replaces the TXT RRset on add and solves them in sequence)."""
    mark = ca.acme.log_mark()
    # The CA's resolver may cache the first value for its TTL; lego waits
    # RFC2136_SEQUENCE_INTERVAL between the two, so keep the TTL below it.
    run = run_lego(ca, "lego-example", ["example.com", "*.example.com"], "lego-deleg",
                   extra_env={"RFC2136_TTL": "1", "RFC2136_SEQUENCE_INTERVAL": "3"})
    assert_issued(ca, run, ["example.com", "*.example.com"])
    counts = live_values(ca, "lego-example", ca.acme.log_since(mark))
    assert counts and max(counts) == 1 and counts[-1] == 0, counts
    assert_store_clean(ca)


def test_lego_key_for_another_name_is_refused(ca):
    """lego holding the key for api.example.com (same zone) cannot write
    www's challenge: the UPDATE is refused and issuance fails cleanly."""
    mark = ca.acme.log_mark()
    run = run_lego(ca, "lego-api", ["www.example.com"], "lego-refused")
    assert_refused(ca, run, ALIAS_ZONE, "lego-api", mark)
    assert "error presenting token" in run.output, run.output


def test_certbot_key_for_another_name_is_refused(ca):
    """certbot holding lego's key (for www's alias label) cannot write
    example.com's challenge in the delegated zone."""
    mark = ca.acme.log_mark()
    run = run_certbot(ca, "lego-www", ["example.com"], "certbot-refused")
    assert_refused(ca, run, DELEG_ZONE, "lego-www", mark)
    # certbot 2 (Debian 12) wraps the error, certbot 4 (Debian 13) names the rcode.
    assert ("Encountered error adding TXT record" in run.output
            or "Received response from server: NOTAUTH" in run.output), run.output


def test_empty_non_terminals_through_the_resolver(ca):
    """What qname minimisation needs: while a deep label is live, the CA's
    resolver gets NODATA (not NXDOMAIN) for the labels above it, and the value."""
    name = "deep.probe.example.com." + ALIAS_ZONE
    value = challenge_value("e2e probe")
    ca.acme.add(name, value)
    try:
        for ent in ("probe.example.com." + ALIAS_ZONE, "example.com." + ALIAS_ZONE):
            msg = ca.acme.query(ent, "A")
            assert msg.rcode() == dns.rcode.NOERROR and not msg.answer, msg
            msg = ca.unbound.query(ent, "A")
            assert msg.rcode() == dns.rcode.NOERROR and not msg.answer, msg
            assert_secure(ca, msg)
        msg = ca.unbound.query(name, "TXT")
        assert msg.rcode() == dns.rcode.NOERROR, msg
        assert_secure(ca, msg)
        assert txt_values(msg) == [value]
    finally:
        ca.acme.delete(name)
    assert_store_clean(ca)
    assert_validated(ca)


def test_apex_value_through_the_resolver(ca):
    """Delegation setup: the value at the apex of the delegated zone, as the
    CA's resolver sees it (signed variant: validated from example.com's DS)."""
    value = challenge_value("e2e apex")
    ca.acme.add(DELEG_ZONE, value)
    try:
        msg = ca.unbound.query(DELEG_ZONE, "TXT")
        assert msg.rcode() == dns.rcode.NOERROR, msg
        assert_secure(ca, msg)
        assert txt_values(msg) == [value]
    finally:
        ca.acme.delete(DELEG_ZONE)
    assert_store_clean(ca)
    assert_validated(ca)
