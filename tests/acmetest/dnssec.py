"""DNSSEC test helpers: signed challenge zones, their keys, and validators.

- SIGNER_CONF / SIGNED_MODULES: the configuration mod-acme accepts in a signed
  zone (mod-onlinesign after mod-acme, TXT in the signer's NSEC bitmap);
- dnskey() / ds(): a zone's KSK and DS records as keymgr prints them;
- anchors_file(): a trust-anchors file for delv;
- delv(): BIND's validator against one server, with a chosen trust anchor;
- Unbound: a validating unbound (trust anchors, aggressive-nsec, qname
  minimisation) with stub zones to the test knotds; always stopped.

delv and unbound are external programs (Debian packages bind9-dnsutils and
unbound): missing_validators() names the missing ones, and the tests skip
with that reason.
"""

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from acmetest.knotd import HOST, Knotd, _tail, free_port, set_pdeathsig, terminate

SBIN_PATH = os.environ.get("PATH", "") + ":/usr/sbin:/sbin:/usr/bin"

#: The online signer's instance: TXT forced into every NSEC type bitmap (but
#: when TXT is the type asked for), so that no negative answer at a live
#: challenge name denies its TXT.  mod-acme refuses to load without it.
SIGNER_ID = "acme"
SIGNER_CONF = f"""\
mod-onlinesign:
  - id: {SIGNER_ID}
    nsec-bitmap: [A, AAAA, TXT]
"""
#: A signed challenge zone's module list: mod-acme first, the signer after it.
SIGNED_MODULES = f"[mod-acme/default, mod-onlinesign/{SIGNER_ID}]"


def which(prog: str) -> Optional[str]:
    return shutil.which(prog, path=SBIN_PATH)


def missing_validators() -> List[str]:
    tools = {"delv": "bind9-dnsutils", "unbound": "unbound", "keymgr": "knot"}
    return [f"{p} (Debian package {pkg})" for p, pkg in tools.items() if not which(p)]


# -- keys -------------------------------------------------------------------------

def _keymgr(knotd: Knotd, zone: str, *args) -> str:
    cmd = [which("keymgr") or "keymgr", "-c", str(knotd.conf), zone.rstrip(".") + ".", *args]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({res.returncode}):\n{res.stdout}{res.stderr}")
    return res.stdout


def dnskey(knotd: Knotd, zone: str) -> List[str]:
    """The zone's DNSKEY records that are KSKs (flags 257), as zone file lines."""
    return [line for line in _keymgr(knotd, zone, "dnskey").splitlines()
            if re.search(r"\sDNSKEY\s+257\s", line)]


def ds(knotd: Knotd, zone: str) -> List[str]:
    """The zone's DS records (keymgr ZONE ds), as zone file lines with
    absolute owners."""
    return [line for line in _keymgr(knotd, zone, "ds").splitlines()
            if re.search(r"\sDS\s", line)]


def anchors_file(path: Path, keys: Iterable[str]) -> Path:
    """A BIND trust-anchors file (delv -a) from DNSKEY zone file lines."""
    out = ["trust-anchors {"]
    for line in keys:
        owner, _, flags, proto, alg, *key = line.split()
        out.append(f'  "{owner}" static-key {flags} {proto} {alg} "{"".join(key)}";')
    out.append("};")
    path.write_text("\n".join(out) + "\n")
    return path


# -- delv ---------------------------------------------------------------------------

@dataclass
class Delv:
    returncode: int
    output: str

    @property
    def secure(self) -> bool:
        """A positive answer that validated ('; fully validated')."""
        return self.returncode == 0 and re.search(r"^; fully validated$", self.output, re.M) \
            is not None

    @property
    def secure_negative(self) -> bool:
        """A negative answer whose proof validated."""
        return "; negative response, fully validated" in self.output

    def txt(self) -> List[str]:
        return sorted(m for m in re.findall(r'\sTXT\s+"([^"]*)"', self.output))


def delv(port: int, anchors: Path, root: str, name: str, rdtype: str = "TXT",
         server: str = HOST) -> Delv:
    """delv @server -p port with anchors, trust rooted at \a root."""
    cmd = [which("delv") or "delv", f"@{server}", "-p", str(port), "-a", str(anchors),
           f"+root={root.rstrip('.')}", "+nocrypto", name, rdtype]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if re.search(r"[Ii]nvalid option.*root|unknown option.*root", res.stderr):
        import pytest
        pytest.skip(f"this delv has no +root option: {res.stderr.strip()}")
    return Delv(res.returncode, f"$ {' '.join(cmd)}\n{res.stdout}{res.stderr}")


# -- unbound ------------------------------------------------------------------------

class Unbound:
    """A validating unbound: trust anchors, aggressive NSEC (RFC 8198), qname
    minimisation, stub zones to the test knotds.

    stubs    {zone: port on 127.0.0.1}
    anchors  DNSKEY zone file lines (trust-anchor: lines)
    """

    def __init__(self, workdir: Path, stubs: Dict[str, int], anchors: Iterable[str],
                 extra: Iterable[str] = ()):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.conf = self.dir / "unbound.conf"
        self.logfile = self.dir / "unbound.log"
        self.stderr_file = self.dir / "unbound.stderr"
        self.proc: Optional[subprocess.Popen] = None
        self._out = None
        lines = unbound_server_lines(self.dir, self.port, anchors) + list(extra)
        for name, port in stubs.items():
            lines += ["stub-zone:", f'  name: "{name}"', f"  stub-addr: {HOST}@{port}"]
        self.conf.write_text("\n".join(lines) + "\n")

    def start(self, probe: str, timeout: float = 20.0):
        self._out = open(self.stderr_file, "ab")
        self.proc = subprocess.Popen([which("unbound") or "unbound", "-d", "-c", str(self.conf)],
                                     stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=subprocess.STDOUT, preexec_fn=set_pdeathsig)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("unbound exited during start\n" + self.diagnostics())
            try:
                if self.query(probe, "SOA", timeout=0.5).rcode() == dns.rcode.NOERROR:
                    return self
            except Exception:  # not up yet
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("unbound not ready\n" + self.diagnostics())
            time.sleep(0.1)

    def query(self, name, rdtype="TXT", timeout: float = 5.0) -> dns.message.Message:
        """A query with DO and AD set: unbound sets AD on answers it validated."""
        q = dns.message.make_query(name, rdtype, want_dnssec=True)
        q.flags |= dns.flags.AD
        return dns.query.udp(q, HOST, timeout=timeout, port=self.port)

    def stop(self):
        if self.proc is not None:
            terminate(self.proc)
            self.proc = None
        if self._out is not None:
            self._out.close()
            self._out = None

    def diagnostics(self) -> str:
        return (f"--- unbound in {self.dir}\n--- {self.logfile} (tail)\n{_tail(_read(self.logfile), 60)}"
                f"\n--- stderr\n{_tail(_read(self.stderr_file))}")


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""


def unbound_server_lines(d: Path, port: int, anchors: Iterable[str]) -> List[str]:
    """The server: clause of a validating test unbound (shared with e2e)."""
    lines = [
        "server:",
        f'  directory: "{d}"',
        '  chroot: ""',
        '  username: ""',
        "  use-syslog: no",
        f'  logfile: "{d / "unbound.log"}"',
        "  verbosity: 1",
        "  val-log-level: 2",
        f'  pidfile: "{d / "unbound.pid"}"',
        f"  interface: {HOST}",
        f"  port: {port}",
        "  do-ip6: no",
        "  access-control: 127.0.0.0/8 allow",
        "  do-not-query-localhost: no",
        '  module-config: "validator iterator"',
        "  qname-minimisation: yes",
        "  aggressive-nsec: yes",
        "  harden-below-nxdomain: yes",
        "  num-threads: 1",
    ]
    for line in anchors:
        lines.append(f'  trust-anchor: "{" ".join(line.split())}"')
    return lines


def secure(msg: dns.message.Message) -> bool:
    """unbound validated the answer (AD)."""
    return bool(msg.flags & dns.flags.AD)


def txt(msg: dns.message.Message) -> List[str]:
    out = []
    for rrset in msg.answer:
        if rrset.rdtype == dns.rdatatype.TXT:
            out += [b"".join(rd.strings).decode() for rd in rrset]
    return sorted(out)


def wait_for(what: str, probe, timeout: float = 60.0, interval: float = 0.2):
    """Polls probe() until it returns a true value (the event), or fails with
    the last value after a generous timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen within {timeout} s")
        time.sleep(interval)
