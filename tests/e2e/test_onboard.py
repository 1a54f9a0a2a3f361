"""Onboarding end to end: `knot-acme register` on an empty ACME server, the
printed record put in the main zone, the printed client configuration used
as printed, and pebble issues the certificate, validating through unbound.

Run on a knotd that runs from a configuration file (register writes a
registration file, the operator follows the printed steps) and on one that
runs from a configuration database (register commits a transaction):

- lego, alias setup (www.example.com --alias auth.example.net)
- certbot and lego, delegation setup (example.com --delegate, which also
  covers *.example.com)

The printed values are used unchanged; the command lines add only what the
test topology needs (pebble's URL and CA, unbound as lego's resolver).  The
updates must have gone through mod-acme (its update counter), and unregister
gives back the configuration as it was.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from acmetest.acme import (ACME_SETTINGS, CHALLENGE_RECORDS, MAIN_RECORDS, ClientRun, Pebble,
                           cert_names, make_tls, missing_tools, run_client)
from acmetest.knotd import HOST, Knotd, Zone, which
from acmetest.unbound import Unbound
from acmetest.onboard import ConfdbKnotd, conf_export, finish_file, register, tool

ALIAS_ZONE = "auth.example.net"
#: The operator's main zone before onboarding: no challenge records yet.
MAIN_BASE = "\n".join(line for line in MAIN_RECORDS.splitlines()
                      if "_acme-challenge" not in line and not line.startswith("; ")) + "\n"


class Onboarding:
    """An ACME server with only the alias zone, a main knotd, unbound, pebble."""

    def __init__(self, mode: str):
        self.mode = mode
        self.dir = Path(tempfile.mkdtemp(prefix="knot-acme-onboard-"))
        cls = ConfdbKnotd if mode == "confdb" else Knotd
        self.acme = cls([Zone(ALIAS_ZONE, records=CHALLENGE_RECORDS)],
                        acme={"default": dict(ACME_SETTINGS)}, workdir=str(self.dir / "acme"))
        self.main = None
        self.unbound = None
        self.pebble = None
        self.tls = None

    def start_dns(self, main_records: str, delegated: list):
        self.main = Knotd([Zone("example.com", module=None, records=main_records)], acme={},
                          load_module=False, workdir=str(self.dir / "main")).start()
        stubs = {"example.com": self.main.port, ALIAS_ZONE: self.acme.port}
        stubs.update({zone: self.acme.port for zone in delegated})
        self.unbound = Unbound(self.dir / "unbound", stubs, strict=True).start("example.com")
        self.tls = make_tls(self.dir / "tls")
        self.pebble = Pebble(self.dir / "pebble", self.tls, self.unbound.port).start()

    def stop(self):
        for part in (self.pebble, self.unbound, self.main, self.acme):
            if part is not None:
                try:
                    part.stop()
                except Exception:
                    pass
        if not os.environ.get("KNOT_ACME_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def diagnostics(self) -> str:
        parts = [self.acme.diagnostics()]
        parts += [p.diagnostics() for p in (self.main, self.unbound, self.pebble) if p]
        return "\n".join(parts)

    def finish(self, reg, zone=None):
        if self.mode == "file":
            finish_file(self.acme, reg, zone)

    def updates_through_module(self, zone: str) -> int:
        stats = self.acme.zone_stats(zone)
        return sum(v for k, v in stats.items() if k.startswith("update[NOERROR"))


def run_lego(env: Onboarding, reg, domain: str, name: str) -> ClientRun:
    d = env.dir / "clients" / name
    d.mkdir(parents=True)
    cmd = [which("lego") or "lego", "--accept-tos", "--email", "admin@example.com",
           "--server", env.pebble.directory, "--path", str(d / "lego"),
           "--dns", "rfc2136", "--dns.resolvers", f"{HOST}:{env.unbound.port}",
           "--dns.disable-cp", "--domains", domain, "run"]
    lenv = dict(reg.lego)                      # as printed
    lenv.update({"LEGO_CA_CERTIFICATES": str(env.tls["ca"]),
                 "RFC2136_PROPAGATION_TIMEOUT": "30", "RFC2136_POLLING_INTERVAL": "1"})
    res = run_client(cmd, lenv, d / "lego.out")
    base = domain.replace("*", "_")
    cert = d / "lego" / "certificates" / f"{base}.crt"
    chain = d / "lego" / "certificates" / f"{base}.issuer.crt"
    return ClientRun(res.returncode, res.stdout + res.stderr, cert if cert.exists() else None,
                     chain if chain.exists() else None, d)


def run_certbot(env: Onboarding, reg, domain: str, name: str) -> ClientRun:
    d = env.dir / "clients" / name
    d.mkdir(parents=True)
    creds = d / "credentials.ini"
    creds.write_text(reg.certbot)              # as printed
    creds.chmod(0o600)
    cmd = [which("certbot") or "certbot", "certonly", "--non-interactive", "--agree-tos",
           "-m", "admin@example.com", "--no-eff-email", "--server", env.pebble.directory,
           "--dns-rfc2136", "--dns-rfc2136-credentials", str(creds),
           "--dns-rfc2136-propagation-seconds", "1",
           "--config-dir", str(d / "config"), "--work-dir", str(d / "work"),
           "--logs-dir", str(d / "logs"), "--cert-name", name, "-d", domain]
    res = run_client(cmd, {"REQUESTS_CA_BUNDLE": str(env.tls["ca"])}, d / "certbot.out")
    live = d / "config" / "live" / name
    cert, chain = live / "cert.pem", live / "chain.pem"
    return ClientRun(res.returncode, res.stdout + res.stderr, cert if cert.exists() else None,
                     chain if chain.exists() else None, d)


def assert_issued(env, run, names):
    report = f"client output:\n{run.output[-6000:]}\n{env.diagnostics()}"
    assert run.ok and run.cert is not None and run.chain is not None, report
    res = __import__("subprocess").run(
        ["openssl", "verify", "-CAfile", str(env.pebble.root_pem), "-untrusted",
         str(run.chain), str(run.cert)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr + report
    assert cert_names(run.cert) == sorted(names)


@pytest.fixture(params=["file", "confdb"])
def onboarding(request):
    missing = missing_tools()
    if missing:
        pytest.fail("not installed: " + ", ".join(missing) + " (scripts/deps installs them)")
    env = Onboarding(request.param)
    try:
        env.acme.start()
        yield env
    finally:
        env.stop()


def test_register_then_issue(onboarding):
    env = onboarding
    k = env.acme
    before = conf_export(k)
    server = f"--server={HOST}@{k.port}"

    alias = register(k, "www.example.com", "--alias", ALIAS_ZONE, server)
    env.finish(alias, ALIAS_ZONE)
    deleg = register(k, "example.com", "--delegate", "--ns", "acme-ns1.example.net", server)
    env.finish(deleg)
    delegated = "_acme-challenge.example.com"
    k.zones.append(Zone(delegated))
    k.wait_ready()

    # The main zone gets exactly the printed records.
    env.start_dns(MAIN_BASE + "\n".join(alias.records + deleg.records) + "\n", [delegated])

    run = run_lego(env, alias, "www.example.com", "lego-alias")
    assert_issued(env, run, ["www.example.com"])
    assert env.updates_through_module(ALIAS_ZONE) >= 2   # add and delete

    run = run_certbot(env, deleg, "example.com", "certbot-deleg")
    assert_issued(env, run, ["example.com"])
    # The same challenge name again: a fresh resolver, as a CA would not
    # have the last value cached (max-ttl 10 s here).
    env.unbound.flush()
    run = run_lego(env, deleg, "*.example.com", "lego-wildcard")
    assert_issued(env, run, ["*.example.com"])
    assert env.updates_through_module(delegated) >= 4
    assert tool(k, "list").stdout == ""        # the clients cleaned up

    # Unregister: the configuration is as before (the operator takes the
    # alias zone's acl back out of a configuration file, as printed).
    if env.mode == "file":
        text = k.conf.read_text().replace("    " + alias.zone_acl + "\n", "")
        k.conf.write_text(text)
        k.config_text = lambda: text
    for name in ("www.example.com", "example.com"):
        res = tool(k, "unregister", name)
        assert res.returncode == 0, res.stderr
    if env.mode == "file":
        k.knotc("reload")
    k.zones.pop()
    k.wait_ready()
    assert conf_export(k) == before


def test_certbot_with_alias_is_told(onboarding):
    reg = register(onboarding.acme, "www.example.com", "--alias", ALIAS_ZONE,
                   "--client", "certbot")
    assert reg.certbot is None and reg.certbot_note
    assert "does not follow CNAMEs" in reg.out and "--delegate" in reg.out
    assert reg.lego == {}
