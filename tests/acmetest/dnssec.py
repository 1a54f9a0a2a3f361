"""DNSSEC test helpers: signed challenge zones, their keys, and validators.

- SIGNER_CONF / SIGNED_MODULES: the configuration mod-acme accepts in a signed
  zone (mod-onlinesign after mod-acme, TXT in the signer's NSEC bitmap);
- dnskey() / ds(): a zone's KSK and DS records as keymgr prints them;
- anchors_file(): a trust-anchors file for delv;
- delv(): BIND's validator against one server, with a chosen trust anchor;
- secure(), wait_for(): for answers of the validating unbound
  (acmetest.unbound.Unbound with trust anchors).

delv and unbound are external programs (Debian packages bind9-dnsutils and
unbound): missing_validators() names the missing ones, and the tests skip
with that reason.
"""

import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from acmetest.knotd import HOST, Knotd, which


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


def secure(msg: dns.message.Message) -> bool:
    """unbound validated the answer (AD)."""
    return bool(msg.flags & dns.flags.AD)


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
