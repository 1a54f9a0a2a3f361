"""knot-acme check against deliberately broken setups and working ones.

One topology for the module: an ACME server (knotd + mod-acme, configuration
file, names onboarded with knot-acme register), the operator's main zones on
a second knotd, and unbound as the resolver check follows names through.
Each broken name has one mistake; check must name it plainly, exit 1, and
pass (exit 0) on the working names, --probe included.
"""

import subprocess

import pytest

from acmetest.acme import ACME_SETTINGS, CHALLENGE_RECORDS, missing_tools
from acmetest.knotd import HOST, KNOT_ACME, Knotd, Zone
from acmetest.unbound import Unbound
from acmetest.onboard import finish_file, register

ALIAS = "auth.example.net"
NS = "acme-ns1.example.net"

MAIN = """\
$TTL 300
@                      SOA    ns1 hostmaster 1 3600 600 86400 5
@                      NS     ns1
ns1                    A      127.0.0.1
_acme-challenge.www    CNAME  www.example.com.auth.example.net.
_acme-challenge.ok     NS     acme-ns1.example.net.
_acme-challenge.other  CNAME  other.example.com.elsewhere.example.org.
_acme-challenge.nomod  CNAME  nomod.example.com.plain.example.net.
_acme-challenge.gone   CNAME  gone.example.com.missing.example.net.
_acme-challenge.slow   CNAME  slow.example.com.slow.example.net.
; lame: delegated to a name server that does not serve the zone
_acme-challenge.lame   NS     ns.lame.example.com.
ns.lame                A      127.0.0.1
; deleg.example.com: registered, but the NS records were never added
"""

ORG = """\
$TTL 300
@      SOA  ns1.example.com. hostmaster.example.com. 1 3600 600 86400 5
@      NS   ns1.example.com.
"""


@pytest.fixture(scope="module")
def topo():
    missing = [m for m in missing_tools() if m.startswith("unbound")]
    if missing:
        pytest.fail("not installed: " + ", ".join(missing))
    slow_records = CHALLENGE_RECORDS.replace("@     5  SOA", "@  3600  SOA").replace(
        "86400 5", "86400 3600")
    acme = Knotd([Zone(ALIAS, records=CHALLENGE_RECORDS),
                  Zone("plain.example.net", module=None),
                  Zone("slow.example.net", module="mod-acme/slow", records=slow_records)],
                 acme={"default": dict(ACME_SETTINGS),
                       "slow": dict(ACME_SETTINGS, **{"max-ttl": 3600})})
    # A mod-acme zone whose file does not exist: knotd does not load it.
    text = acme.config_text() + ("  - domain: missing.example.net.\n"
                                 "    file: /nonexistent/missing.zone\n"
                                 "    module: mod-acme/default\n")
    acme.config_text = lambda: text
    main = unbound = None
    try:
        acme.start()
        regs = {}
        server = f"--server={HOST}@{acme.port}"
        for name in ("www.example.com", "absent.example.com"):
            regs[name] = register(acme, name, "--alias", ALIAS, server, "--client", "lego")
            finish_file(acme, regs[name], ALIAS)
        regs["slow.example.com"] = register(acme, "slow.example.com", "--alias",
                                            "slow.example.net", server, "--client", "lego")
        finish_file(acme, regs["slow.example.com"], "slow.example.net")
        for name in ("ok.example.com", "lame.example.com", "deleg.example.com"):
            regs[name] = register(acme, name, "--delegate", "--ns", NS, server,
                                  "--client", "lego")
            finish_file(acme, regs[name])
        main = Knotd([Zone("example.com", module=None, records=MAIN),
                      Zone("elsewhere.example.org", module=None, records=ORG)],
                     acme={}, load_module=False).start()
        unbound = Unbound(acme.dir / "unbound", {
            "example.com": main.port, "elsewhere.example.org": main.port,
            ALIAS: acme.port, "plain.example.net": acme.port,
            "missing.example.net": acme.port, "_acme-challenge.ok.example.com": acme.port,
            "slow.example.net": acme.port,
        }, strict=True).start("example.com")
        yield acme, unbound, regs
    finally:
        for part in (unbound, main, acme):
            if part is not None:
                part.stop()
        if main is not None:
            main.cleanup()
        acme.cleanup()


def check(topo, name, *args):
    acme, unbound, _ = topo
    res = subprocess.run([KNOT_ACME, "-c", str(acme.conf), "check", name,
                          "--resolver", f"{HOST}@{unbound.port}", *args],
                         capture_output=True, text=True, timeout=120)
    unbound.flush()   # no test sees what another one had cached
    return res


@pytest.mark.parametrize("name", ["www.example.com", "ok.example.com", "*.ok.example.com"])
def test_working_setups_pass(topo, name):
    res = check(topo, name, "--probe")
    assert res.returncode == 0, res.stdout + res.stderr
    lines = res.stdout.splitlines()
    assert all(line.startswith(("ok: ", "warning: ", "issuance ")) for line in lines), lines
    assert any(line.startswith("ok: probe: ") for line in lines), lines
    assert lines[-1].endswith("should work")
    assert "mod-acme" in res.stdout
    # The probe value is gone again.
    acme = topo[0]
    listing = subprocess.run([KNOT_ACME, "-c", str(acme.conf), "list"], capture_output=True,
                             text=True, timeout=60)
    assert listing.stdout == ""


@pytest.mark.parametrize("name, args, mistake", [
    ("other.example.com", [], "error: CNAME to another host: "),
    ("nomod.example.com", [], "error: module not in the zone: "),
    ("gone.example.com", [], "error: zone not loaded: "),
    ("absent.example.com", [], "error: missing CNAME: _acme-challenge.absent.example.com. "
     "does not exist at the resolver: add to the main zone: _acme-challenge.absent.example.com."
     " CNAME absent.example.com.auth.example.net."),
    ("deleg.example.com", [], "error: missing NS: "),
    ("unknown.example.com", [], "error: missing CNAME or NS: "),
    ("lame.example.com", [], "error: lame delegation: "),
    ("www.example.com", ["--key", "knot-acme-absent.example.com."],
     "error: key not allowed for the name: "),
    ("www.example.com", ["--key", "no-such-key."], "error: key no-such-key. is not in"),
])
def test_each_mistake_is_named(topo, name, args, mistake):
    res = check(topo, name, *args)
    assert res.returncode == 1, res.stdout + res.stderr
    assert mistake in res.stdout, res.stdout
    assert res.stdout.splitlines()[-1].endswith("would fail")


def test_long_ttls_are_warned_about(topo):
    res = check(topo, "slow.example.com")
    assert res.returncode == 0, res.stdout   # issuance works, later than it could
    assert "warning: negative answers in zone slow.example.net. are cached for 3600 s" \
        in res.stdout
    assert "warning: values are answered with TTLs up to 3600 s (max-ttl)" in res.stdout


def test_probe_not_sent_on_errors(topo):
    res = check(topo, "www.example.com", "--key", "knot-acme-absent.example.com.", "--probe")
    assert res.returncode == 1
    assert "error: probe: not sent" in res.stdout


def test_secret_must_be_knotds(topo):
    res = check(topo, "www.example.com", "--key",
                "hmac-sha256:knot-acme-www.example.com.:" + "A" * 43 + "=")
    assert res.returncode == 1
    assert "the secret given is not knotd's" in res.stdout


@pytest.mark.parametrize("args, message", [
    (["not a name!!"], "invalid domain name"),
    (["www.example.com", "--resolver", "nowhere"], "invalid --resolver"),
    (["www.example.com", "--bogus"], "invalid option"),
    (["www.example.com", "--key", "hmac-sha256:k.:not base64!"], "invalid --key"),
    (["www.example.com", "--key", "bad key!"], "invalid --key"),
    (["www.example.com", "--key", "md5000:k.:AAAA"], "invalid --key"),
    ([], "missing NAME"),
])
def test_bad_input(topo, args, message):
    acme = topo[0]
    res = subprocess.run([KNOT_ACME, "-c", str(acme.conf), "check", *args],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and message in res.stderr and res.stdout == ""


def test_dnssec_bogus_delegation_is_named(tmp_path):
    """A signed main zone with a DS for the (unsigned) delegated challenge
    zone: a validating resolver calls every answer bogus, and check says so."""
    from acmetest.dnssec import dnskey
    acme = Knotd([Zone(ALIAS, records=CHALLENGE_RECORDS)], acme={"default": dict(ACME_SETTINGS)})
    main = unbound = None
    try:
        acme.start()
        reg = register(acme, "bogus.example.com", "--delegate", "--ns", NS, "--client", "lego",
                       f"--server={HOST}@{acme.port}")
        finish_file(acme, reg)
        records = ORG.replace("ns1.example.com.", "ns1") + "ns1 A 127.0.0.1\n" + (
            "_acme-challenge.bogus NS acme-ns1.example.net.\n"
            "_acme-challenge.bogus DS 12345 13 2 "
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n")
        main = Knotd([Zone("example.com", module=None, records=records,
                           options={"dnssec-signing": True})],
                     acme={}, load_module=False).start()
        unbound = Unbound(tmp_path / "unbound", {
            "example.com": main.port, "_acme-challenge.bogus.example.com": acme.port,
        }, anchors=dnskey(main, "example.com"), strict=True).start("example.com")
        res = subprocess.run([KNOT_ACME, "-c", str(acme.conf), "check", "bogus.example.com",
                              "--resolver", f"{HOST}@{unbound.port}"],
                             capture_output=True, text=True, timeout=120)
        assert res.returncode == 1, res.stdout + res.stderr
        assert "error: DNSSEC: " in res.stdout and "bogus" in res.stdout, res.stdout
    finally:
        for part in (unbound, main, acme):
            if part is not None:
                part.stop()
        if main is not None:
            main.cleanup()
        acme.cleanup()
