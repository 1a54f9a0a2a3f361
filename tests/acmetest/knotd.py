"""Test harness: a real knotd, with the built mod-acme, in a temporary directory.

A Knotd object owns one temporary directory (config, zone files, Knot's
databases, control socket, log, the challenge store) and at most one running
knotd process listening on a free 127.0.0.1 port.  It can start, stop, restart
and reload the server, query it over UDP or TCP, run knotc against it and run
the knot-acme tool against its store.  stop() is idempotent and always leaves
no process behind; the pytest fixtures in conftest.py call it on teardown, and
the knotd child also gets SIGTERM if the Python process dies.

Paths come from the environment set by `make check`:
  MOD_ACME_SO  built module (default: <repo>/.libs/mod-acme.so)
  KNOT_ACME    built knot-acme tool (default: <repo>/knot-acme)
"""

import atexit
import ctypes
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype

from acmetest import store

REPO = Path(__file__).resolve().parents[2]
MOD_ACME_SO = os.environ.get("MOD_ACME_SO") or str(REPO / ".libs" / "mod-acme.so")
KNOT_ACME = os.environ.get("KNOT_ACME") or str(REPO / "knot-acme")
#: Where programs are looked for: PATH, then the sbin directories.
SBIN_PATH = os.environ.get("PATH", "") + ":/usr/sbin:/sbin:/usr/bin"


def which(prog: str) -> Optional[str]:
    """Path of a program (PATH, then the sbin directories), or None."""
    return shutil.which(prog, path=SBIN_PATH)


KNOTD = which("knotd") or "knotd"
KNOTC = which("knotc") or "knotc"


def _knot_version():
    try:
        out = subprocess.run([KNOTD, "-V"], capture_output=True, text=True).stdout
    except OSError:
        return (0, 0, 0)
    m = re.search(r"(\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(x) for x in m.groups()) if m else (0, 0, 0)


#: Version of the knotd under test, e.g. (3, 4, 6).
KNOT_VERSION = _knot_version()
#: TSIG error Knot puts in its NOTAUTH to a signed UPDATE no acl allows
#: (unknown key, key not allowed): BADKEY in 3.2, none from 3.3 on.  The
#: module answers as the Knot it is built for (module/compat.h).
DENIED_TSIG_ERROR = "BADKEY" if KNOT_VERSION < (3, 3) else None
#: The module's log of such a denial: "denied, NOTAUTH/BADKEY" in 3.2,
#: "denied, NOTAUTH" from 3.3 on.
DENIED_LOG = r"denied, NOTAUTH/BADKEY" if DENIED_TSIG_ERROR else r"denied, NOTAUTH(?!/)"

#: libknot accepts a TSIG MAC truncated to half the digest (10 octets at
#: least) from 3.5.7 on, and answers other lengths FORMERR, unsigned (3.5.8);
#: before, any MAC but a whole one is BADSIG.  knotd 3.5.7+'s native DDNS dies
#: signing its reply to an accepted truncated MAC (module/compat.h,
#: RELIABILITY.md): such messages are never sent to a native knotd.
TSIG_TRUNCATION = KNOT_VERSION >= (3, 5, 7)

HOST = "127.0.0.1"
START_TIMEOUT = 10.0
QUERY_TIMEOUT = 3.0
CMD_TIMEOUT = 30.0

#: A valid RFC 8555 challenge value: 43 base64url characters.
VALUE_LEN = 43

#: Records of every test zone, relative to its origin.  Static data the module
#: must never change: TXT, A/AAAA, a CNAME, a delegation, a wildcard.
DEFAULT_RECORDS = """\
$TTL 3600
@        SOA   ns hostmaster 2026010101 3600 900 604800 300
@        NS    ns
ns       A     192.0.2.53
static   TXT   "static value"
host     A     192.0.2.1
host     AAAA  2001:db8::1
alias    CNAME host
deleg    NS    ns.elsewhere.example.
*.wild   TXT   "wild"
"""

#: Default mod-acme instance settings (see DESIGN.md); None omits an item.
DEFAULT_ACME = {
    "lifetime": 3600,
    "max-ttl": 300,
    "max-records": 8,
    "strict": True,
}


def challenge_value(seed) -> str:
    """A deterministic, valid (strict) challenge value for any seed."""
    import base64
    import hashlib
    digest = hashlib.sha256(str(seed).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


#: Starts of a knotd whose port another process took meanwhile (Knotd.start()).
BIND_ATTEMPTS = 5


def free_port() -> int:
    """A 127.0.0.1 port free for both UDP and TCP at the time of the call."""
    for _ in range(100):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            udp.bind((HOST, 0))
            port = udp.getsockname()[1]
            try:
                tcp.bind((HOST, port))
            except OSError:
                continue
            return port
        finally:
            udp.close()
            tcp.close()
    raise RuntimeError("no free port found")


def set_pdeathsig():
    """Child side of fork: get SIGTERM when the parent (pytest) dies."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _yaml_value(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def tail(text: str, lines: int = 40) -> str:
    """The last lines of a text."""
    return "\n".join(text.splitlines()[-lines:])


def file_tail(path, lines: int = 40) -> str:
    """The last lines of a file; "(no file)" when it does not exist."""
    try:
        return tail(Path(path).read_text(errors="replace"), lines)
    except FileNotFoundError:
        return "(no file)"


@dataclass
class Zone:
    """A zone served by the test knotd.

    name     zone name (no trailing dot needed)
    module   'mod-acme/<id>' or None for a plain zone
    records  zone file body with relative names
    options  extra zone items, e.g. {'dnssec-signing': True}
    """
    name: str
    module: Optional[str] = "mod-acme/default"
    records: str = DEFAULT_RECORDS
    options: Dict[str, object] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return self.name.rstrip(".") + "."

    @property
    def file(self) -> str:
        return self.name.rstrip(".") + ".zone"


#: Alias setup: one zone, challenge names at labels below it.
ALIAS_ZONE = "auth.example.net"
#: Delegation setup: one zone per challenge name, TXT at the apex.
DELEG_ZONE = "_acme-challenge.example.com"
#: Same content as ALIAS_ZONE but without the module: Knot's own answers.
PLAIN_ZONE = "auth.example.org"


def default_zones():
    return [Zone(ALIAS_ZONE), Zone(DELEG_ZONE), Zone(PLAIN_ZONE, module=None)]


class KnotdError(RuntimeError):
    pass


def terminate(proc: subprocess.Popen, timeout: float = 10.0) -> int:
    """SIGTERM, wait, SIGKILL fallback; returns the exit status."""
    if proc.poll() is not None:
        return proc.returncode
    try:
        proc.send_signal(signal.SIGTERM)
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


class ProcessError(RuntimeError):
    """A helper process exited or did not get ready."""


class Proc:
    """A background process (not knotd: Knotd runs its own) with its output
    in a log file: SIGTERM to it if Python dies, stop() idempotent."""

    def __init__(self, name: str, cmd: List[str], log: Path, env=None, cwd=None):
        self.name, self.cmd, self.log = name, [str(c) for c in cmd], Path(log)
        self.env, self.cwd = env, cwd
        self.proc: Optional[subprocess.Popen] = None
        self._out = None

    def start(self, wrapper=()):
        """Starts it (under wrapper, e.g. valgrind, if given)."""
        self._out = open(self.log, "ab")
        self.proc = subprocess.Popen([*wrapper, *self.cmd], stdin=subprocess.DEVNULL,
                                     stdout=self._out, stderr=subprocess.STDOUT,
                                     env=self.env, cwd=self.cwd, preexec_fn=set_pdeathsig)
        return self

    @property
    def pid(self) -> Optional[int]:
        return self.proc.pid if self.proc is not None else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def check_running(self):
        if not self.running:
            rc = None if self.proc is None else self.proc.returncode
            raise ProcessError(f"{self.name} exited with status {rc}\n{self.diagnostics()}")

    def kill(self):
        """SIGKILL, as a crash would."""
        if self.running:
            self.proc.kill()
            self.proc.wait()
        self.stop()

    def stop(self, timeout: float = 10.0):
        if self.proc is not None:
            terminate(self.proc, timeout)
            self.proc = None
        if self._out is not None:
            self._out.close()
            self._out = None

    def diagnostics(self, lines: int = 40) -> str:
        return (f"--- {self.name}: {' '.join(self.cmd)}\n--- {self.log} (tail)\n"
                f"{file_tail(self.log, lines)}")


def wait_until(what: str, proc: Proc, probe, timeout: float = 20.0, interval: float = 0.1):
    """Polls probe() until it is true while proc runs; ProcessError when proc
    exits or after timeout (with the last exception probe() raised)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        proc.check_running()
        try:
            if probe():
                return
        except Exception as exc:  # not up yet
            last = exc
        if time.monotonic() > deadline:
            raise ProcessError(f"{what} not ready within {timeout} s (last: {last!r})\n"
                               + proc.diagnostics())
        time.sleep(interval)


#: Every Knotd created in this process: stopped at exit whatever happened.
_INSTANCES = weakref.WeakSet()


def remove_dir(path) -> None:
    """Removes a test's directory, unless KNOT_ACME_KEEP asks to keep it."""
    if not os.environ.get("KNOT_ACME_KEEP"):
        shutil.rmtree(path, ignore_errors=True)


def stop_each(parts, how: str = "stop") -> None:
    """Calls part.HOW() on each part that is there; one failing does not keep
    the others running."""
    for part in parts:
        if part is not None:
            try:
                getattr(part, how)()
            except Exception:  # keep stopping the others
                pass


@atexit.register
def stop_all():
    """Stops every knotd this process started."""
    for k in list(_INSTANCES):
        k.stop()


class Knotd:
    """One knotd with its own temporary directory.

    zones      list of Zone
    acme       {instance id: {item: value}}; the item 'database' defaults to
               <dir>/acme-<id> (so that the knot-acme tool can find it); pass
               database=None to leave it out (module default under
               database.storage)
    load_module  write the module: section (False: plain Knot, no mod-acme)
    extra_conf   raw YAML appended to the config (e.g. key:, acl: sections)
    modules      more modules to load, {module id: .so path} (bench's nullmod)
    workers      udp-workers and tcp-workers
    log_level    level of the log file ('any:')
    template     more items of the default template
    """

    def __init__(self, zones: List[Zone], acme: Optional[Dict[str, dict]] = None,
                 load_module: bool = True, extra_conf: str = "",
                 workdir: Optional[str] = None, module_file: Optional[str] = None,
                 modules: Optional[Dict[str, str]] = None, workers: int = 2,
                 log_level: str = "debug", template: Optional[Dict[str, object]] = None):
        self.zones = list(zones)
        self.acme = {"default": dict(DEFAULT_ACME)} if acme is None else acme
        self.load_module = load_module
        self.extra_conf = extra_conf
        self.module_file = module_file or MOD_ACME_SO
        self.modules = dict(modules or {})
        self.workers = workers
        self.log_level = log_level
        self.template = dict(template or {})
        self.dir = Path(workdir or tempfile.mkdtemp(prefix="knot-acme-it-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.conf = self.dir / "knot.conf"
        self.socket = self.dir / "knot.sock"
        self.logfile = self.dir / "knotd.log"
        self.stderr_file = self.dir / "knotd.stderr"
        self.storage = self.dir / "db"
        self.port = free_port()
        self.proc: Optional[subprocess.Popen] = None
        self._stderr = None
        _INSTANCES.add(self)
        for iid, items in self.acme.items():
            if "database" not in items:
                items["database"] = str(self.dir / f"acme-{iid}")
        self.write_config()
        self.write_zones()

    # -- files --------------------------------------------------------------

    def db_path(self, instance: str = "default") -> str:
        """Path of the store of a mod-acme instance, as the module uses it."""
        db = self.acme[instance].get("database")
        if db is None:
            return str(self.storage / "acme")
        db = str(db)
        return db if os.path.isabs(db) else str(self.storage / db)

    def config_text(self) -> str:
        out = [
            "server:",
            f"  rundir: {self.dir}",
            f"  listen: {HOST}@{self.port}",
            f"  udp-workers: {self.workers}",
            f"  tcp-workers: {self.workers}",
            "  background-workers: 1",
            "database:",
            f"  storage: {self.storage}",
            "control:",
            f"  listen: {self.socket}",
            "log:",
            f"  - target: {self.logfile}",
            f"    any: {self.log_level}",
        ]
        modules = dict(self.modules)
        if self.load_module:
            modules = {"mod-acme": self.module_file, **modules}
        if modules:
            out.append("module:")
            for mid, path in modules.items():
                out += [f"  - id: {mid}", f"    file: {path}"]
        if self.acme and self.load_module:
            out.append("mod-acme:")
            for iid, items in self.acme.items():
                out.append(f"  - id: {iid}")
                # LMDB items, or Redis ones on ACME_STORE=redis (acmetest.store).
                items = store.section_items(items, self.db_path(iid))
                for key, value in items.items():
                    if value is not None:
                        out.append(f"    {key}: {_yaml_value(value)}")
        if self.extra_conf:
            out.append(self.extra_conf.rstrip("\n"))
        out += ["template:", "  - id: default", f"    storage: {self.dir}",
                "    zonefile-sync: -1"]
        out += [f"    {key}: {_yaml_value(value)}" for key, value in self.template.items()]
        out.append("zone:")
        for zone in self.zones:
            out.append(f"  - domain: {zone.origin}")
            out.append(f"    file: {zone.file}")
            if zone.module and (self.load_module or self.modules):
                out.append(f"    module: {zone.module}")
            for key, value in zone.options.items():
                out.append(f"    {key}: {_yaml_value(value)}")
        return "\n".join(out) + "\n"

    def write_config(self):
        self.conf.write_text(self.config_text())

    def write_zones(self):
        self.storage.mkdir(exist_ok=True)
        for zone in self.zones:
            (self.dir / zone.file).write_text(f"$ORIGIN {zone.origin}\n" + zone.records)

    # -- process ------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> Optional[int]:
        return self.proc.pid if self.proc is not None else None

    def start(self, timeout: float = START_TIMEOUT, wait: bool = True, wrapper=()):
        """Starts knotd in the foreground and waits until every zone answers SOA.

        wrapper: a command knotd runs under (valgrind, strace, ...)."""
        if self.running:
            raise KnotdError("knotd already running")
        for attempt in range(BIND_ATTEMPTS):
            mark = self.log_mark()
            self.write_config()
            self._stderr = open(self.stderr_file, "ab")
            self.proc = subprocess.Popen(
                [*wrapper, KNOTD, "-c", str(self.conf)], stdin=subprocess.DEVNULL,
                stdout=self._stderr, stderr=self._stderr, cwd=str(self.dir),
                preexec_fn=set_pdeathsig)
            if not wait:
                return self
            try:
                self.wait_ready(timeout)
                return self
            except KnotdError:
                self.stop()
                # The port was free when chosen (or when knotd last had it),
                # but any process on the machine may have been given it since
                # as the local port of a connection: the same port again a
                # little later (a restart keeps its port), then another one.
                if attempt == BIND_ATTEMPTS - 1 or not re.search(
                        r"cannot bind .*address already in use", self.log_since(mark)):
                    raise
                if attempt >= 2:
                    self.port = free_port()
                time.sleep(0.5)
            except BaseException:
                self.stop()
                raise
        return self

    def wait_ready(self, timeout: float = START_TIMEOUT):
        deadline = time.monotonic() + timeout
        pending = [z.origin for z in self.zones]
        last = None
        while pending:
            if not self.running:
                raise KnotdError(
                    f"knotd exited with status {self.proc.returncode} during start\n"
                    + self.diagnostics())
            try:
                msg = self.query(pending[0], "SOA", timeout=0.5)
                if msg.rcode() == dns.rcode.NOERROR and msg.answer:
                    pending.pop(0)
                    continue
                last = dns.rcode.to_text(msg.rcode())
            except (OSError, dns.exception.DNSException) as exc:
                last = repr(exc)
            if time.monotonic() > deadline:
                raise KnotdError(
                    f"knotd did not answer SOA for {pending[0]} within {timeout} s"
                    f" (last: {last})\n" + self.diagnostics())
            time.sleep(0.05)

    def stop(self, timeout: float = 10.0) -> Optional[int]:
        """SIGTERM, wait, SIGKILL fallback.  Safe to call any number of times."""
        rc = None
        if self.proc is not None:
            rc = terminate(self.proc, timeout)
            self.proc = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        return rc

    def kill(self):
        """SIGKILL, as a crash would; no clean shutdown."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
        self.stop()

    def restart(self, timeout: float = START_TIMEOUT):
        self.stop()
        return self.start(timeout)

    def reload(self):
        """knotc reload (config + zones), then waits until all zones answer."""
        self.write_config()
        res = self.knotc("reload")
        self.wait_ready()
        return res

    def cleanup(self):
        """Stops knotd and removes the directory (kept if KNOT_ACME_KEEP is set)."""
        self.stop()
        remove_dir(self.dir)

    def __enter__(self):
        if not self.running:
            self.start()
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False

    # -- logs ---------------------------------------------------------------

    def log(self) -> str:
        """knotd's log (log target file) so far."""
        try:
            return self.logfile.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stderr(self) -> str:
        try:
            return self.stderr_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_mark(self) -> int:
        """Position in the log; pass it to log_since()."""
        try:
            return self.logfile.stat().st_size
        except FileNotFoundError:
            return 0

    def log_since(self, mark: int) -> str:
        try:
            with open(self.logfile, "rb") as f:
                f.seek(mark)
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern: str, mark: int = 0, timeout: float = 5.0) -> re.Match:
        """Waits until the log (from mark) matches the regex pattern."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.log_since(mark))
            if m or time.monotonic() > deadline:
                if not m:
                    raise AssertionError(f"log does not match {pattern!r}\n"
                                         + self.diagnostics())
                return m
            time.sleep(0.05)

    def diagnostics(self, lines: int = 40) -> str:
        return (f"--- knotd.log (tail) in {self.dir} ---\n{tail(self.log(), lines)}\n"
                f"--- knotd stderr (tail) ---\n{tail(self.stderr(), lines)}")

    # -- DNS ----------------------------------------------------------------

    def make_query(self, name, rdtype, edns: bool = True, payload: int = 1232,
                   dnssec: bool = False) -> dns.message.Message:
        return dns.message.make_query(
            name, rdtype, use_edns=0 if edns else False, payload=payload,
            want_dnssec=dnssec)

    def query_wire(self, name, rdtype="TXT", tcp: bool = False, edns: bool = True,
                   payload: int = 1232, dnssec: bool = False,
                   timeout: float = QUERY_TIMEOUT):
        """Sends one query; returns (response wire bytes, parsed message)."""
        q = self.make_query(name, rdtype, edns=edns, payload=payload, dnssec=dnssec)
        wire = q.to_wire()
        if tcp:
            with socket.create_connection((HOST, self.port), timeout=timeout) as s:
                s.settimeout(timeout)
                s.sendall(struct.pack("!H", len(wire)) + wire)
                size = struct.unpack("!H", recv_exact(s, 2))[0]
                resp = recv_exact(s, size)
        else:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(timeout)
                s.connect((HOST, self.port))
                s.send(wire)
                while True:
                    resp = s.recv(65535)
                    # QR set: not our own query come back, which happens when
                    # the kernel gave this socket knotd's port while knotd is
                    # not listening yet (wait_ready then retries on the timeout).
                    if len(resp) >= 3 and resp[:2] == wire[:2] and resp[2] & 0x80:
                        break
        msg = dns.message.from_wire(resp, raise_on_truncation=False)
        if not q.is_response(msg):
            raise KnotdError(f"response does not match the query: {msg}")
        return resp, msg

    def query(self, name, rdtype="TXT", tcp: bool = False, **kw) -> dns.message.Message:
        """Sends one query over UDP (or TCP) and returns the dnspython message."""
        return self.query_wire(name, rdtype, tcp=tcp, **kw)[1]

    # -- knotc --------------------------------------------------------------

    def knotc(self, *args, check: bool = True, timeout: float = CMD_TIMEOUT,
              flags=()) -> subprocess.CompletedProcess:
        """Runs knotc against this server's control socket."""
        cmd = [KNOTC, "-s", str(self.socket), "-t", "10", *flags, *args]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if check and res.returncode != 0:
            raise KnotdError(f"{' '.join(cmd)} failed ({res.returncode}):\n"
                             f"{res.stdout}{res.stderr}\n" + self.diagnostics())
        return res

    def conf_check(self) -> subprocess.CompletedProcess:
        """knotc -c CONF conf-check on the current config (server not needed)."""
        self.write_config()
        return subprocess.run([KNOTC, "-c", str(self.conf), "conf-check"],
                              capture_output=True, text=True, timeout=CMD_TIMEOUT)

    def zone_stats(self, zone: str, module: str = "mod-acme") -> Dict[str, int]:
        """Counters of `knotc zone-stats ZONE MODULE` as {name: value}.

        knotc prints '[zone.] mod-acme.counter = N' (indexed counters as
        'mod-acme.counter[idx] = N', summed here under 'counter' and kept as
        'counter[idx]').  Absent counters are missing from the dict.
        """
        origin = zone.rstrip(".") + "."
        res = self.knotc("-f", "zone-stats", origin, module)
        stats: Dict[str, int] = {}
        pat = re.compile(r"^\[(?P<zone>[^\]]+)\]\s+" + re.escape(module)
                         + r"\.(?P<name>[\w-]+)(?:\[(?P<idx>[^\]]*)\])?\s*=\s*(?P<val>\d+)\s*$")
        for line in res.stdout.splitlines():
            m = pat.match(line.strip())
            if not m:
                continue
            val = int(m["val"])
            if m["idx"] is not None:
                stats[f"{m['name']}[{m['idx']}]"] = val
                stats[m["name"]] = stats.get(m["name"], 0) + val
            else:
                stats[m["name"]] = val
        return stats

    # -- knot-acme tool -----------------------------------------------------

    def tool(self, *args, instance: str = "default", check: bool = True,
             lifetime=None, timeout: float = CMD_TIMEOUT) -> subprocess.CompletedProcess:
        """Runs `knot-acme -D <store of instance> [-l LIFETIME] ARGS...` (-R
        and --redis-prefix on ACME_STORE=redis)."""
        cmd = [KNOT_ACME, *store.tool_store_args(self.db_path(instance))]
        if lifetime is not None:
            cmd += ["-l", str(lifetime)]
        cmd += [str(a) for a in args]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if check and res.returncode != 0:
            raise KnotdError(f"{' '.join(cmd)} failed ({res.returncode}):\n"
                             f"{res.stdout}{res.stderr}")
        return res

    def add(self, name: str, value: str, ttl=None, lifetime=None,
            instance: str = "default") -> subprocess.CompletedProcess:
        """knot-acme add NAME VALUE [TTL]; lifetime defaults to the instance's."""
        if lifetime is None:
            lifetime = self.acme.get(instance, {}).get("lifetime")
        args = ["add", name, value] + ([] if ttl is None else [ttl])
        return self.tool(*args, instance=instance, lifetime=lifetime)

    def delete(self, name: str, value: Optional[str] = None,
               instance: str = "default", check: bool = True) -> subprocess.CompletedProcess:
        args = ["del", name] + ([] if value is None else [value])
        return self.tool(*args, instance=instance, check=check)


def recv_exact(sock, size: int) -> bytes:
    """Exactly size bytes from a stream socket; ConnectionError if it closes first."""
    buf = b""
    while len(buf) < size:
        chunk = sock.recv(size - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by the peer")
        buf += chunk
    return buf


# -- response helpers ---------------------------------------------------------

def txt_values(msg: dns.message.Message, name=None) -> List[str]:
    """Sorted TXT strings (each rdata's strings joined) in the answer section."""
    out = []
    for rrset in msg.answer:
        if rrset.rdtype != dns.rdatatype.TXT:
            continue
        if name is not None and rrset.name != dns.name.from_text(name):
            continue
        for rd in rrset:
            out.append(b"".join(rd.strings).decode())
    return sorted(out)


def txt_rrsets(msg: dns.message.Message):
    return [r for r in msg.answer if r.rdtype == dns.rdatatype.TXT]


def has_soa_authority(msg: dns.message.Message, origin: str) -> bool:
    return any(r.rdtype == dns.rdatatype.SOA and r.name == dns.name.from_text(origin)
               for r in msg.authority)


def normalize(msg: dns.message.Message, origin: Optional[str] = None,
              placeholder: str = "ORIGIN.") -> dict:
    """What must be equal between two answers: rcode, flags, EDNS presence and
    the sections as sorted text lines (ID excluded).  With origin, names ending
    in the origin are rewritten to the placeholder so that answers of two zones
    with the same relative content compare equal."""
    def lines(section):
        out = []
        for rrset in section:
            for line in rrset.to_text().splitlines():
                if origin:
                    line = re.sub(re.escape(origin.lower().rstrip(".") + "."),
                                  placeholder, line, flags=re.IGNORECASE)
                out.append(line)
        return sorted(out)
    return {
        "rcode": dns.rcode.to_text(msg.rcode()),
        "flags": dns.flags.to_text(msg.flags),
        "edns": msg.edns,
        "answer": lines(msg.answer),
        "authority": lines(msg.authority),
        "additional": lines(msg.additional),
    }
