"""unbound as a test resolver: on a free 127.0.0.1 port in its own directory,
stub zones to the test servers, validating with trust anchors when given;
always stopped (Proc).

The e2e suite's CA resolver (acmetest.acme) and the DNSSEC integration tests
(tests/integration/test_dnssec.py) both run this one.
"""

import subprocess
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Union

import dns.flags
import dns.message
import dns.query
import dns.rcode

from acmetest.knotd import HOST, Proc, ProcessError, file_tail, free_port, wait_until, which

START_TIMEOUT = 20.0


def unbound_server_lines(d: Path, port: int, anchors: Optional[Iterable[str]] = None,
                         strict: bool = False) -> List[str]:
    """The server: clause.  anchors: DNSKEY zone file lines to validate with
    (trust-anchor:, aggressive NSEC); None: no validation.  strict:
    qname-minimisation-strict."""
    validating = anchors is not None
    lines = [
        "server:",
        f'  directory: "{d}"',
        '  chroot: ""',
        '  username: ""',
        "  use-syslog: no",
        f'  logfile: "{d / "unbound.log"}"',
        "  verbosity: 1",
        f'  pidfile: "{d / "unbound.pid"}"',
        f"  interface: {HOST}",
        f"  port: {port}",
        "  do-ip6: no",
        "  access-control: 127.0.0.0/8 allow",
        "  do-not-query-localhost: no",
        '  module-config: "validator iterator"' if validating else '  module-config: "iterator"',
        "  qname-minimisation: yes",
        "  harden-below-nxdomain: yes",
        "  num-threads: 1",
    ]
    if strict:
        # unbound stops below an NXDOMAIN only when DNSSEC is expected, or in
        # strict mode; unsigned zones need strict mode for an NXDOMAIN at an
        # empty non-terminal (example.com.auth.example.net above the live www
        # label) to fail the alias issuance, as at resolvers that apply RFC
        # 8020.  It needs no fallback here: every name asked for is in the
        # local zones.
        lines.append("  qname-minimisation-strict: yes")
    if validating:
        lines += ["  aggressive-nsec: yes", "  val-log-level: 2"]
        lines += [f'  trust-anchor: "{" ".join(a.split())}"' for a in anchors]
    return lines


class Unbound:
    """unbound with stub zones to the local servers.

    stubs    {zone: port on 127.0.0.1, or a list of them: several
             nameservers, unbound picks one for each query (within its RTT
             band, at random)}
    anchors  DNSKEY zone file lines to validate with (None: no validation)
    strict   qname-minimisation-strict (the e2e CA's resolver)
    extra    more configuration lines
    """

    def __init__(self, d: Path, stubs: Dict[str, Union[int, List[int]]], anchors: Optional[Iterable[str]] = None,
                 strict: bool = False, extra: Iterable[str] = ()):
        self.dir = Path(d)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.validating = anchors is not None
        self.port = free_port()
        self.conf = self.dir / "unbound.conf"
        self.logfile = self.dir / "unbound.log"
        self.probe = None
        lines = unbound_server_lines(self.dir, self.port, anchors, strict) + list(extra)
        # Control over a unix socket (no TLS keys): reload empties the cache.
        lines += ["remote-control:", "  control-enable: yes",
                  f'  control-interface: "{self.dir / "unbound.ctl"}"',
                  "  control-use-cert: no"]
        for name, ports in stubs.items():
            lines += ["stub-zone:", f'  name: "{name}"']
            lines += [f"  stub-addr: {HOST}@{port}"
                      for port in (ports if isinstance(ports, (list, tuple)) else [ports])]
        self.conf.write_text("\n".join(lines) + "\n")
        self.proc = Proc("unbound", [which("unbound") or "unbound", "-d", "-c", self.conf],
                         self.dir / "unbound.stderr")

    def query(self, name, rdtype="TXT", timeout: float = 5.0) -> dns.message.Message:
        """With DO and AD when validating: AD in the answer says it validated."""
        q = dns.message.make_query(name, rdtype, want_dnssec=self.validating)
        if self.validating:
            q.flags |= dns.flags.AD
        return dns.query.udp(q, HOST, timeout=timeout, port=self.port)

    def validation_failures(self) -> List[str]:
        """Lines of unbound's log about answers that failed validation."""
        try:
            text = self.logfile.read_text(errors="replace")
        except FileNotFoundError:
            return []
        return [line for line in text.splitlines() if "validation failure" in line]

    def _wait_ready(self, what: str, timeout: float = START_TIMEOUT):
        def ready():
            return self.query(self.probe, "SOA", timeout=0.5).rcode() == dns.rcode.NOERROR
        wait_until(what, self.proc, ready, timeout)

    def start(self, probe: str, timeout: float = START_TIMEOUT):
        """Starts it and waits until it resolves probe's SOA."""
        self.probe = probe
        self.proc.start()
        try:
            self._wait_ready("unbound", timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def control(self, *args) -> subprocess.CompletedProcess:
        cmd = [which("unbound-control") or "unbound-control", "-c", str(self.conf), *args]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        if res.returncode != 0:
            raise ProcessError(f"{' '.join(cmd)} failed:\n{res.stdout}{res.stderr}\n"
                               + self.diagnostics())
        return res

    def flush(self):
        """Empties every cache (unbound-control reload), keeping the process."""
        self.control("reload")
        self._wait_ready("unbound after reload")

    def stop(self):
        self.proc.stop()

    def diagnostics(self) -> str:
        return (self.proc.diagnostics() +
                f"\n--- {self.logfile} (tail)\n{file_tail(self.logfile, 60)}")
