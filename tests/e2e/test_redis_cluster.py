"""Certificates through any of three nameservers (issue 13): the challenge
zones are served by three knotd nodes with mod-acme on one Redis store
(acmetest.cluster.ClusterAcmeEnv), and unbound, pebble's resolver, knows all
three as their nameservers and picks one for each query.  The ACME clients
send their updates to one node; the CA may ask any.

certbot (dns-rfc2136, delegation setup: certbot 2's plugin does not follow
the alias CNAME) and lego (rfc2136, alias and delegation setups) each get
several certificates, through different nodes.  Each certificate verifies,
the values are gone afterwards on every node and in Redis, and over the
run the nodes that did not take an update answered the CA too.

Unsigned zones only (see ClusterAcmeEnv).
"""

import pytest

from acmetest.acme import ALIAS_TARGET, cert_names, missing_tools, run_certbot, run_lego
from acmetest.cluster import ClusterAcmeEnv, txt
from acmetest.redis import missing as redis_missing

CHALLENGE_NAMES = ["_acme-challenge.example.com", ALIAS_TARGET,
                   "api.example.com.auth.example.net"]


@pytest.fixture(scope="module")
def env(request):
    missing = missing_tools() + redis_missing()
    if missing:
        pytest.fail("not installed: " + ", ".join(missing) + " (scripts/deps installs them)")
    e = ClusterAcmeEnv()
    request.session._acme_env = e   # conftest's report hook attaches its logs
    try:
        yield e.start()
    finally:
        e.cleanup()


@pytest.fixture
def ca(env):
    env.fresh_resolver()
    return env


def report(env, run) -> str:
    return f"client output:\n{run.output[-6000:]}\n{env.diagnostics()}"


def assert_issued(env, run, names):
    assert run.ok, report(env, run)
    assert run.cert is not None and run.chain is not None, report(env, run)
    verified = env.verify(run.cert, run.chain)
    assert verified.returncode == 0, f"{verified.stdout}{verified.stderr}\n" + report(env, run)
    assert cert_names(run.cert) == sorted(names)


def assert_clean(env):
    """No value left: every node answers none, Redis holds none."""
    for name in CHALLENGE_NAMES:
        for n in env.nodes:
            rcode, values = txt(n, name + ".")
            assert values == [], (n.port, name, values)
    assert env.live_keys() == [], env.live_keys()


#: TXT answers of nodes other than the one the client updated, per test.
ELSEWHERE = {}


def issue(env, tag, server, client):
    """Runs client(), counting the answers of the nodes it did not update."""
    before = env.answered()
    run = client()
    after = env.answered()
    ELSEWHERE[tag] = sum(a - b for n, a, b in zip(env.nodes, after, before) if n is not server)
    return run


CERTBOT = [["example.com"], ["*.example.com"], ["example.com", "*.example.com"]]


@pytest.mark.parametrize("i", range(len(CERTBOT)), ids=["apex", "wildcard", "both"])
def test_certbot_delegation(ca, i):
    """certbot, its updates to node 1, 2, 3 in turn; delegation setup."""
    domains, node = CERTBOT[i], ca.nodes[i % 3]
    run = issue(ca, f"certbot-{i}", node,
                lambda: run_certbot(ca, "certbot-example", domains, f"certbot-{i}", server=node))
    assert_issued(ca, run, domains)
    assert_clean(ca)


LEGO = [("lego-www", ["www.example.com"]),
        ("lego-api", ["api.example.com"]),
        ("lego-example", ["example.com"]),
        ("lego-example", ["example.com", "*.example.com"])]


@pytest.mark.parametrize("i", range(len(LEGO)),
                         ids=["alias-www", "alias-api", "delegation", "delegation-both"])
def test_lego(ca, i):
    """lego, its updates to node 2, 3, 1, 2 in turn; alias and delegation
    setups."""
    key, domains = LEGO[i]
    extra = {"RFC2136_TTL": "1", "RFC2136_SEQUENCE_INTERVAL": "3"} if len(domains) > 1 else None
    node = ca.nodes[(i + 1) % 3]
    run = issue(ca, f"lego-{i}", node,
                lambda: run_lego(ca, key, domains, f"lego-{i}", extra_env=extra, server=node))
    assert_issued(ca, run, domains)
    if key in ("lego-www", "lego-api"):
        assert f'"{domains[0]}.auth.example.net."' in run.output, \
            "lego did not follow the CNAME\n" + run.output
    assert_clean(ca)


def test_other_nodes_answered_the_ca(env):
    """Over the certificates above, nodes that did not take a client's
    updates answered the CA's resolver its challenge values (unbound picks
    one of three for each query: that none did would be (1/3)^n)."""
    answered = env.answered()
    print(f"TXT answers per node {answered}; by nodes not updated, per run {ELSEWHERE}")
    assert len(ELSEWHERE) == len(CERTBOT) + len(LEGO), "run the whole file"
    assert sum(ELSEWHERE.values()) > 0, ELSEWHERE
