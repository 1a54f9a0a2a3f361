"""End-to-end harness: a real ACME CA validating DNS-01 through a real resolver
against knotd + mod-acme, with real ACME clients.

Everything runs on 127.0.0.1 with free ports, in one temporary directory:

  main knotd     the operator's zone example.com (plain Knot, no module), with
                 _acme-challenge NS acme-ns1.example.net.       (delegation setup)
                 _acme-challenge.www CNAME www.example.com.auth.example.net.  (alias)
  acme knotd     mod-acme serving _acme-challenge.example.com and auth.example.net,
                 one TSIG key per client, each acl restricted to its own names
                 (update-owner), every zone listing every acl
  unbound        the CA's resolver: qname-minimisation (strict) and
                 harden-below-nxdomain on, no DNSSEC validation, stub zones
                 routing example.com to the main knotd and the two challenge
                 zones to the acme knotd (the stub for the delegated child is
                 more specific than the parent's, so unbound goes straight to the
                 acme knotd, as it would after the referral)
  signed variant (AcmeEnv(signed=True)): every zone signed; the challenge
                 zones online by mod-onlinesign after mod-acme (acmetest.dnssec),
                 example.com by Knot (dnssec-signing: on) with the DS of the
                 delegated zone; unbound validates (trust anchors at example.com
                 and auth.example.net, aggressive-nsec)
  pebble         Debian's ACME test CA, -dnsserver pointing at unbound, TLS material
                 generated here (a throwaway CA + a 127.0.0.1/localhost cert)
  certbot/lego   the ACME clients (run_certbot, run_lego)

Every process is started with Proc: SIGTERM to the child if Python dies, stop()
is idempotent, and AcmeEnv.stop() stops everything it started, in reverse order.

acmetest.knotd provides the Knotd class.
"""

import os
import ssl
import subprocess
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

from acmetest.dnssec import SIGNED_MODULES, SIGNER_CONF, dnskey, ds
from acmetest.knotd import (ALIAS_ZONE, DELEG_ZONE, HOST, Knotd, Proc, ProcessError, Zone,
                            file_tail, free_port, remove_dir, set_pdeathsig, stop_each,
                            wait_until, which)
from acmetest.unbound import Unbound

#: Debian 12 packages each external program comes from (scripts/deps installs them).
TOOLS = {
    "unbound": "unbound",
    "unbound-control": "unbound",
    "pebble": "pebble",
    "certbot": "certbot (+ python3-certbot-dns-rfc2136)",
    "lego": "lego",
    "openssl": "openssl",
    "keymgr": "knot",
}

START_TIMEOUT = 20.0
CLIENT_TIMEOUT = 180.0

# -- the operator's names -----------------------------------------------------

MAIN_ZONE = "example.com"
ALIAS_TARGET = "www.example.com.auth.example.net"

#: One TSIG key per client (Knot key id = TSIG key name) and the names it may write.
KEYS = {
    "certbot-example": [DELEG_ZONE + "."],
    "lego-www": [ALIAS_TARGET + "."],
    "lego-example": [DELEG_ZONE + "."],
    # a client for another name (the negative case uses it for www)
    "lego-api": ["api.example.com.auth.example.net."],
}
#: Every challenge zone lists every client's acl (one list for the whole server,
#: as an operator would write it); each acl limits its key to its own names.
#: Knot answers a TSIG-signed query only with a key some acl of the zone names,
#: and certbot signs its SOA queries, so a key outside the list would be turned
#: away before its UPDATE reaches the module.
ZONE_ACLS = {
    DELEG_ZONE: list(KEYS),
    ALIAS_ZONE: list(KEYS),
}

#: Negative answers are cached by resolvers for min(SOA TTL, SOA MINIMUM): keep
#: it short in challenge zones so a lookup made before a value existed does not
#: hide it from the CA.
MAIN_RECORDS = """\
$TTL 300
@                    SOA    ns1 hostmaster 1 3600 600 86400 5
@                    NS     ns1
ns1                  A      127.0.0.1
@                    A      127.0.0.1
www                  A      127.0.0.1
; delegation setup: the challenge name is a zone on the acme server
_acme-challenge      NS     acme-ns1.example.net.
; alias setup: the challenge name points at a (deep) label in auth.example.net
_acme-challenge.www  CNAME  www.example.com.auth.example.net.
"""

CHALLENGE_RECORDS = """\
$TTL 60
@     5  SOA  acme-ns1.example.net. hostmaster.example.com. 1 3600 600 86400 5
@        NS   acme-ns1.example.net.
"""

ACME_SETTINGS = {"lifetime": 600, "max-ttl": 10, "max-records": 8, "strict": True}


def secret() -> str:
    import base64
    return base64.b64encode(os.urandom(32)).decode()


def missing_tools() -> List[str]:
    return [f"{prog} (Debian package {pkg})" for prog, pkg in TOOLS.items() if not which(prog)]


class EnvError(ProcessError):
    """The e2e environment failed to start or a client failed to run."""


# -- TLS material for pebble --------------------------------------------------

def make_tls(d: Path) -> Dict[str, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1 and localhost."""
    d.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, cert = (d / n for n in
                                  ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem"))
    ext = d / "server.ext"
    ext.write_text("basicConstraints = critical, CA:FALSE\n"
                   "keyUsage = critical, digitalSignature, keyEncipherment\n"
                   "extendedKeyUsage = serverAuth\n"
                   "subjectAltName = IP:127.0.0.1, DNS:localhost\n"
                   "subjectKeyIdentifier = hash\n"
                   "authorityKeyIdentifier = keyid:always\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for cmd in (
        ["openssl", "req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2",
         "-subj", "/CN=knot-acme e2e TLS CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ["openssl", "req", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=localhost"],
        ["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
         "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext],
    ):
        res = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=60)
        if res.returncode != 0:
            raise EnvError(f"{' '.join(map(str, cmd))} failed:\n{res.stdout}{res.stderr}")
    return {"ca": ca, "cert": cert, "key": key}


# -- pebble -------------------------------------------------------------------

class Pebble:
    """pebble (ACME test CA) validating DNS-01 through the given resolver."""

    def __init__(self, d: Path, tls: Dict[str, Path], dns_port: int):
        import json
        self.dir = d
        d.mkdir(parents=True, exist_ok=True)
        self.tls = tls
        self.port, self.mgmt_port = free_port(), free_port()
        self.conf = d / "pebble.json"
        self.conf.write_text(json.dumps({"pebble": {
            "listenAddress": f"{HOST}:{self.port}",
            "managementListenAddress": f"{HOST}:{self.mgmt_port}",
            "certificate": str(tls["cert"]),
            "privateKey": str(tls["key"]),
            # only used by http-01/tls-alpn-01, which nothing here asks for
            "httpPort": free_port(),
            "tlsPort": free_port(),
            "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
        }}, indent=2))
        env = dict(os.environ)
        env.update({
            "PEBBLE_VA_NOSLEEP": "1",       # no random validation delay
            "PEBBLE_WFE_NONCEREJECT": "0",  # no random bad nonces
            "PEBBLE_AUTHZREUSE": "0",       # every order validates afresh
        })
        self.proc = Proc("pebble", [which("pebble") or "pebble", "-config", str(self.conf),
                                    "-dnsserver", f"{HOST}:{dns_port}"],
                         d / "pebble.log", env=env, cwd=str(d))
        self.root_pem = d / "pebble-root.pem"

    @property
    def directory(self) -> str:
        return f"https://{HOST}:{self.port}/dir"

    def _get(self, url: str, timeout: float = 5.0) -> bytes:
        ctx = ssl.create_default_context(cafile=str(self.tls["ca"]))
        with urllib.request.urlopen(url, context=ctx, timeout=timeout) as resp:
            return resp.read()

    def start(self):
        self.proc.start()
        wait_until("pebble", self.proc, lambda: self._get(self.directory, 1.0))
        wait_until("pebble management", self.proc,
              lambda: self._get(f"https://{HOST}:{self.mgmt_port}/roots/0", 1.0))
        # The root that issued certificates chain to (new at every pebble start).
        self.root_pem.write_bytes(self._get(f"https://{HOST}:{self.mgmt_port}/roots/0"))
        return self

    def stop(self):
        self.proc.stop()

    def diagnostics(self) -> str:
        return self.proc.diagnostics(60)


# -- the whole topology -------------------------------------------------------

class AcmeEnv:
    """main knotd + acme knotd + unbound + pebble, started in that order."""

    def __init__(self, workdir: Optional[str] = None, signed: bool = False):
        self.dir = Path(workdir or tempfile.mkdtemp(prefix="knot-acme-e2e-"))
        self.signed = signed
        self.secrets = {key: secret() for key in KEYS}
        self.main = Knotd([Zone(MAIN_ZONE, module=None, records=MAIN_RECORDS,
                                options={"dnssec-signing": True} if signed else {})],
                          acme={}, load_module=False, workdir=str(self.dir / "main"))
        self.acme = Knotd(
            [Zone(zone, records=CHALLENGE_RECORDS, options={"acl": "[" + ", ".join(keys) + "]"},
                  module=SIGNED_MODULES if signed else "mod-acme/default")
             for zone, keys in ZONE_ACLS.items()],
            acme={"default": dict(ACME_SETTINGS)},
            extra_conf=self._auth_conf() + ("\n" + SIGNER_CONF if signed else ""),
            workdir=str(self.dir / "acme"))
        self.unbound: Optional[Unbound] = None
        self.pebble: Optional[Pebble] = None
        self.tls: Dict[str, Path] = {}

    def _auth_conf(self) -> str:
        out = ["key:"]
        for key in KEYS:
            out += [f"  - id: {key}", "    algorithm: hmac-sha256",
                    f"    secret: {self.secrets[key]}"]
        out.append("acl:")
        for key, names in KEYS.items():
            # Each client may write TXT at its own challenge names only.
            out += [f"  - id: {key}", f"    key: {key}", "    action: update",
                    "    update-type: TXT", "    update-owner: name",
                    "    update-owner-match: equal",
                    f"    update-owner-name: [{', '.join(names)}]"]
        return "\n".join(out)

    def start(self):
        try:
            self.acme.start()
            anchors = None
            if self.signed:
                # The parent's DS for the delegated zone: its key exists now.
                zone = self.main.zones[0]
                zone.records = zone.records + "\n".join(ds(self.acme, DELEG_ZONE)) + "\n"
                self.main.write_zones()
            self.main.start()
            if self.signed:
                anchors = dnskey(self.main, MAIN_ZONE) + dnskey(self.acme, ALIAS_ZONE)
            self.unbound = Unbound(self.dir / "unbound", {
                MAIN_ZONE: self.main.port,
                DELEG_ZONE: self.acme.port,
                ALIAS_ZONE: self.acme.port,
            }, anchors, strict=True).start(MAIN_ZONE)
            self.tls = make_tls(self.dir / "tls")
            self.pebble = Pebble(self.dir / "pebble", self.tls, self.unbound.port).start()
        except BaseException:
            self.stop()
            raise
        return self

    def fresh_resolver(self):
        """Empties unbound's cache: each test starts with a CA resolver that has
        cached nothing from an earlier test."""
        self.unbound.flush()

    def stop(self):
        stop_each((self.pebble, self.unbound, self.acme, self.main))

    def cleanup(self):
        self.stop()
        remove_dir(self.dir)

    def diagnostics(self) -> str:
        parts = [self.acme.diagnostics(), self.main.diagnostics()]
        for p in (self.unbound, self.pebble):
            if p is not None:
                parts.append(p.diagnostics())
        return "\n".join(parts)

    # -- what the tests check -------------------------------------------------

    def store_lines(self) -> List[str]:
        """Live values in the acme knotd's store (knot-acme list)."""
        out = self.acme.tool("list").stdout
        return [line for line in out.splitlines() if line.strip()]

    def verify(self, cert: Path, chain: Path) -> subprocess.CompletedProcess:
        """openssl verify of a leaf against pebble's root (chain: intermediates)."""
        return subprocess.run(["openssl", "verify", "-CAfile", str(self.pebble.root_pem),
                               "-untrusted", str(chain), str(cert)],
                              capture_output=True, text=True, timeout=60)


@dataclass
class ClientRun:
    returncode: int
    output: str
    cert: Optional[Path]       # leaf certificate (None when absent)
    chain: Optional[Path]      # intermediates
    workdir: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def run_client(cmd: List[str], env: Dict[str, str], log: Path) -> subprocess.CompletedProcess:
    """Runs an ACME client to its end with env added, its output in log."""
    full_env = dict(os.environ)
    full_env.update(env)
    try:
        res = subprocess.run(cmd, env=full_env, stdin=subprocess.DEVNULL, capture_output=True,
                             text=True, timeout=CLIENT_TIMEOUT, preexec_fn=set_pdeathsig)
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) \
            else (exc.stdout or "")
        log.write_text(out)
        raise EnvError(f"{cmd[0]} did not finish within {CLIENT_TIMEOUT} s:\n{out}")
    log.write_text(f"$ {' '.join(cmd)}\n{res.stdout}{res.stderr}")
    return res


def run_certbot(env: AcmeEnv, key: str, domains: List[str], name: str,
                server: Optional[Knotd] = None) -> ClientRun:
    """certbot certonly with the dns-rfc2136 plugin against the acme knotd
    (or server: the node of several that takes the updates)."""
    server = server or env.acme
    d = env.dir / "clients" / name
    d.mkdir(parents=True)
    creds = d / "rfc2136.ini"
    creds.write_text(f"dns_rfc2136_server = {HOST}\n"
                     f"dns_rfc2136_port = {server.port}\n"
                     f"dns_rfc2136_name = {key}\n"
                     f"dns_rfc2136_secret = {env.secrets[key]}\n"
                     "dns_rfc2136_algorithm = HMAC-SHA256\n")
    creds.chmod(0o600)
    cmd = [which("certbot") or "certbot", "certonly", "--non-interactive", "--agree-tos",
           "-m", "admin@example.com", "--no-eff-email", "--server", env.pebble.directory,
           "--dns-rfc2136", "--dns-rfc2136-credentials", str(creds),
           "--dns-rfc2136-propagation-seconds", "1",
           "--config-dir", str(d / "config"), "--work-dir", str(d / "work"),
           "--logs-dir", str(d / "logs"), "--cert-name", name]
    for dom in domains:
        cmd += ["-d", dom]
    res = run_client(cmd, {"REQUESTS_CA_BUNDLE": str(env.tls["ca"])}, d / "certbot.out")
    live = d / "config" / "live" / name
    cert, chain = live / "cert.pem", live / "chain.pem"
    out = res.stdout + res.stderr
    logfile = d / "logs" / "letsencrypt.log"
    if res.returncode != 0 and logfile.exists():
        out += "\n--- letsencrypt.log (tail)\n" + file_tail(logfile, 60)
    return ClientRun(res.returncode, out, cert if cert.exists() else None,
                     chain if chain.exists() else None, d)


def run_lego(env: AcmeEnv, key: str, domains: List[str], name: str,
             extra_env: Optional[Dict[str, str]] = None,
             server: Optional[Knotd] = None) -> ClientRun:
    """lego run with the rfc2136 provider against the acme knotd (or server:
    the node of several that takes the updates).

    lego follows the CNAME at _acme-challenge.<domain> itself (through
    --dns.resolvers) and finds the zone to update by SOA queries to
    RFC2136_NAMESERVER.  --dns.disable-cp: lego's complete-propagation check
    asks every authoritative NS of the zone on port 53, which cannot reach
    knotd on a loopback test port; with it lego checks the record once through
    --dns.resolvers (unbound, the CA's resolver here) instead.
    """
    server = server or env.acme
    d = env.dir / "clients" / name
    d.mkdir(parents=True)
    cmd = [which("lego") or "lego", "--accept-tos", "--email", "admin@example.com",
           "--server", env.pebble.directory, "--path", str(d / "lego"),
           "--dns", "rfc2136", "--dns.resolvers", f"{HOST}:{env.unbound.port}",
           "--dns.disable-cp"]
    for dom in domains:
        cmd += ["--domains", dom]
    cmd.append("run")
    lenv = {
        "LEGO_CA_CERTIFICATES": str(env.tls["ca"]),
        "RFC2136_NAMESERVER": f"{HOST}:{server.port}",
        "RFC2136_TSIG_KEY": key,
        "RFC2136_TSIG_SECRET": env.secrets[key],
        "RFC2136_TSIG_ALGORITHM": "hmac-sha256.",
        "RFC2136_TTL": "60",
        "RFC2136_PROPAGATION_TIMEOUT": "30",
        "RFC2136_POLLING_INTERVAL": "1",
    }
    lenv.update(extra_env or {})
    res = run_client(cmd, lenv, d / "lego.out")
    certs = d / "lego" / "certificates"
    base = domains[0].replace("*", "_")
    cert, chain = certs / f"{base}.crt", certs / f"{base}.issuer.crt"
    return ClientRun(res.returncode, res.stdout + res.stderr, cert if cert.exists() else None,
                     chain if chain.exists() else None, d)


def cert_names(cert: Path) -> List[str]:
    """DNS names in a certificate's subjectAltName, sorted."""
    from cryptography import x509
    c = x509.load_pem_x509_certificate(cert.read_bytes())
    san = c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return sorted(san.get_values_for_type(x509.DNSName))


__all__ = ["AcmeEnv", "ClientRun", "EnvError", "run_certbot", "run_lego", "cert_names",
           "missing_tools", "ALIAS_TARGET", "MAIN_ZONE"]
