"""Servers for the benchmark: knotd (mod-acme, native DDNS, the do-nothing
module, static zones) and BIND's named, each in its own temporary directory
on a free 127.0.0.1 port.

Every server is started in the foreground as a child of this process, gets
SIGTERM if this process dies (PR_SET_PDEATHSIG), and is stopped by stop(),
by the context manager, or at exit.  Nothing listens anywhere but 127.0.0.1.
"""

import atexit
import os
import shutil
import socket
import struct
import tempfile
import weakref
from pathlib import Path

# Process and port helpers shared with the tests.
import acmetest.knotd
from acmetest.knotd import HOST, Proc, file_tail, free_port, wait_until, which

NAMED = which("named") or "named"

KEY_NAME = "bench-key."
KEY_ALG = "hmac-sha256"

#: Zone content shared by every benchmark zone (relative names).
BASE_RECORDS = """\
$TTL 3600
@        SOA   ns hostmaster 1 3600 900 604800 300
@        NS    ns
ns       A     192.0.2.53
host     A     192.0.2.1
host     AAAA  2001:db8::1
static   TXT   "static value"
"""

_LIVE = weakref.WeakSet()


@atexit.register
def stop_all():
    """Stops every server started here (named and knotd)."""
    for s in list(_LIVE):
        s.stop()
    acmetest.knotd.stop_all()


def _wire_name(name: str) -> bytes:
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def soa_ok(port: int, zone: str, timeout: float = 0.3) -> bool:
    """True if the server answers NOERROR with an answer for ZONE SOA."""
    qid = os.getpid() & 0xFFFF
    msg = struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + _wire_name(zone) + struct.pack("!HH", 6, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        try:
            s.sendto(msg, (HOST, port))
            resp = s.recv(4096)
        except OSError:
            return False
    if len(resp) < 12:
        return False
    rid, flags, _, ancount = struct.unpack("!HHHH", resp[:8])
    return rid == qid and (flags & 0xF) == 0 and ancount > 0


def zone_text(origin: str, extra: str = "") -> str:
    return f"$ORIGIN {origin}\n" + BASE_RECORDS + extra


class BenchServer:
    """`with server:` stops the server and removes its directory at the end
    (kept with BENCH_KEEP=1); entering does not start it."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)
        return False


class Knotd(BenchServer, acmetest.knotd.Knotd):
    """knotd, run by the tests' runner (tests/acmetest/knotd.py), with any mix
    of zones:

    zones: list of dicts {origin, text, module (None | 'acme' | 'signed' | 'null' |
           'redis'), acl (bool)}
    redis_conf: items of the mod-acme instance 'redis' (the Redis backend),
           for zones with module 'redis' beside the LMDB instance 'bench'
    Every zone allows TXT updates signed with the benchmark key (acl
    bench-update) unless acl is False.
    """

    kind = "knotd"
    #: 'signed': mod-acme with Knot's online signer after it (module/mod-acme.rst, DNSSEC).
    MODULES = {"acme": "mod-acme/bench", "null": "mod-benchnull/bench",
               "redis": "mod-acme/redis",
               "signed": "[mod-acme/bench, mod-onlinesign/bench]"}

    def __init__(self, name, zones, secret, mod_acme_so=None, nullmod_so=None,
                 acme_conf=None, workers=2, log_level="info", workdir=None,
                 redis_conf=None):
        self.name = name
        mods = {z.get("module") for z in zones}
        acme_conf = dict(acme_conf or {})
        workdir = Path(workdir or tempfile.mkdtemp(prefix=f"knot-acme-bench-{name}-"))
        acme_conf.setdefault("database", str(workdir / "acme"))
        extra = ["key:", f"  - id: {KEY_NAME}", f"    algorithm: {KEY_ALG}",
                 f"    secret: {secret}",
                 "acl:", "  - id: bench-update", f"    key: {KEY_NAME}",
                 "    action: update", "    update-type: TXT"]
        if "null" in mods:
            extra += ["mod-benchnull:", "  - id: bench", f"    key: {KEY_NAME}"]
        if "signed" in mods:
            extra += ["mod-onlinesign:", "  - id: bench", "    nsec-bitmap: [A, AAAA, TXT]"]
        super().__init__(
            [acmetest.knotd.Zone(z["origin"], module=self.MODULES.get(z.get("module")),
                                 records=z["text"],
                                 options={"acl": "bench-update"} if z.get("acl", True) else {})
             for z in zones],
            acme={"bench": acme_conf, **({"redis": dict(redis_conf)} if redis_conf else {})},
            load_module=bool({"acme", "signed", "redis"} & mods),
            module_file=mod_acme_so, extra_conf="\n".join(extra),
            modules={"mod-benchnull": nullmod_so} if "null" in mods else None,
            workers=workers, log_level=log_level, workdir=str(workdir),
            template={"zonefile-load": "whole", "journal-content": "changes"})

    @property
    def acme_db(self) -> str:
        return self.db_path("bench")

    def write_files(self):
        """Config and zone files, before the first start (to populate the store)."""
        self.write_config()

    def start(self, timeout: float = 60.0, wrapper=()):
        return super().start(timeout=timeout, wrapper=wrapper)

    def stop(self, timeout: float = 20.0):
        return super().stop(timeout)

    def kill9(self):
        """SIGKILL, as a crash would (durability check)."""
        self.kill()

    def tail(self, lines: int = 30) -> str:
        return self.diagnostics(lines)

    def module_counter(self, zone: str, counter: str) -> int:
        """Sum of a mod-acme counter from `knotc zone-stats ZONE mod-acme`."""
        try:
            return self.zone_stats(zone).get(counter, 0)
        except acmetest.knotd.KnotdError:
            return 0


class Named(BenchServer):
    """BIND 9 named with update-policy for the benchmark key, in a temporary
    directory (the process run by the tests' acmetest.knotd.Proc)."""

    kind = "named"

    def __init__(self, name, zones, secret, workers=2, workdir=None):
        self.name = name
        self.zones = list(zones)          # [(origin, zone file text)]
        self.dir = Path(workdir or tempfile.mkdtemp(prefix=f"knot-acme-bench-{name}-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.secret = secret
        self.workers = workers
        self.proc = Proc(name, [NAMED, "-f", "-4", "-n", str(workers),
                                "-c", self.dir / "named.conf"],
                         self.dir / "stderr.log", cwd=str(self.dir))
        _LIVE.add(self)

    def start(self, timeout: float = 60.0, wrapper=()):
        """Starts named (under wrapper, if given) and waits for every zone's SOA."""
        self.write_files()
        self.proc.start(wrapper)
        try:
            for origin, _ in self.zones:
                wait_until(f"{self.name} answering {origin} SOA", self.proc,
                           lambda: soa_ok(self.port, origin), timeout, 0.05)
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def pid(self):
        return self.proc.pid

    def kill9(self):
        """SIGKILL, as a crash would (durability check)."""
        self.proc.kill()

    def stop(self, timeout: float = 20.0):
        self.proc.stop(timeout)

    def tail(self, lines: int = 30) -> str:
        return (self.proc.diagnostics(lines) +
                f"\n--- {self.dir / 'named.log'}\n{file_tail(self.dir / 'named.log', lines)}")

    def write_files(self):
        d = self.dir
        zones = []
        for origin, text in self.zones:
            f = d / f"{origin}zone"
            if not f.exists():
                f.write_text(text)
            zones.append(f'zone "{origin}" {{ type primary; file "{f}"; '
                         f'update-policy {{ grant {KEY_NAME} zonesub TXT; }}; }};')
        conf = f"""\
options {{
    directory "{d}";
    pid-file "{d}/named.pid";
    session-keyfile "{d}/session.key";
    managed-keys-directory "{d}";
    listen-on port {self.port} {{ {HOST}; }};
    listen-on-v6 {{ none; }};
    recursion no;
    notify no;
    dnssec-validation no;
    allow-query {{ any; }};
}};
controls {{ }};
key "{KEY_NAME}" {{ algorithm {KEY_ALG}; secret "{self.secret}"; }};
logging {{
    channel main {{ file "{d}/named.log"; severity info; print-time yes; }};
    category default {{ main; }};
    category update {{ main; }};
    category update-security {{ main; }};
}};
""" + "\n".join(zones) + "\n"
        (d / "named.conf").write_text(conf)
