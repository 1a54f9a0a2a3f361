"""Helpers of the hardening suites (crash safety, full map, reload under load,
hostile traffic, replay, permissions).

Builds on acmetest.knotd and acmetest.ddns.  Adds: short/long mode, a recording proxy, LMDB
inspection through lmdb-utils, process file descriptors, load generators, and
a results file where the suites record the figures RELIABILITY.md quotes.

Long mode (HARDENING_LONG=1, `make check-hardening-long`) runs the long
targets; the default is the short version CI runs.
"""

import json
import os
import re
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional

from acmetest.ddns import MINIMAL_RECORDS, Reply, TsigKey, ddns_conf
from acmetest.knotd import HOST, KNOT_ACME, Zone, free_port, recv_exact

LONG = os.environ.get("HARDENING_LONG", "") not in ("", "0")

#: Where measured figures go (one JSON object per line).
RESULTS = Path(os.environ.get("HARDENING_RESULTS") or
               (Path.cwd() / "tests" / "hardening" / "results.jsonl"))

K1 = TsigKey.make("k1")


def scale(short: int, long: int, env: Optional[str] = None) -> int:
    """An iteration count: short in CI, long with HARDENING_LONG=1, or $env."""
    if env and os.environ.get(env):
        return int(os.environ[env])
    return long if LONG else short


def record(test: str, **figures):
    """Appends measured figures of a test to the results file (and prints them)."""
    entry = {"test": test, "long": LONG, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                               time.gmtime()), **figures}
    print(f"RESULT {json.dumps(entry)}")
    try:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        with open(RESULTS, "a") as f:
            f.write(json.dumps(entry) + "\n")
    except OSError:
        pass


def acl_conf(keys=(K1,), acl: str = "key: k1\naction: update") -> str:
    return ddns_conf(list(keys), acls={"upd": acl})


def zone(name: str, instance: str = "default", records: str = MINIMAL_RECORDS,
         acl: str = "[ upd ]") -> Zone:
    return Zone(name, module=f"mod-acme/{instance}" if instance else None, records=records,
                options={"acl": acl})


# -- processes and LMDB -----------------------------------------------------------

def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def mdb_stat(db: str, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(["mdb_stat", *flags, db], capture_output=True, text=True,
                          timeout=30)


def lmdb_env_info(db: str) -> Dict[str, int]:
    """`mdb_stat -e`: last transaction ID, readers used (slots ever taken)..."""
    res = mdb_stat(db, "-e")
    if res.returncode != 0:
        raise AssertionError(f"mdb_stat -e {db} failed:\n{res.stdout}{res.stderr}")
    info = {}
    for key, name in (("Last transaction ID", "last_txn"), ("Number of readers used", "readers"),
                      ("Max readers", "max_readers"), ("Number of pages used", "pages"),
                      ("Max pages", "max_pages")):
        m = re.search(rf"{key}: (\d+)", res.stdout)
        if m:
            info[name] = int(m.group(1))
    return info


def lmdb_reader_slots(db: str, pid: Optional[int] = None) -> int:
    """Live entries of the reader table (`mdb_stat -r`), of one process if pid."""
    res = mdb_stat(db, "-r")
    count = 0
    for line in res.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].isdigit():
            if pid is None or int(parts[0]) == pid:
                count += 1
    return count


def lmdb_check(db: str):
    """The database opens and every database in it can be walked (mdb_stat -a)."""
    res = mdb_stat(db, "-a")
    assert res.returncode == 0, f"mdb_stat -a {db}:\n{res.stdout}{res.stderr}"
    return res.stdout


def store_values(db: str) -> Dict[str, List[str]]:
    """`knot-acme list`: {owner (lower case, absolute): [value, ...]}."""
    res = subprocess.run([KNOT_ACME, "-D", db, "list"], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0, f"knot-acme list failed:\n{res.stdout}{res.stderr}"
    out: Dict[str, List[str]] = {}
    for line in res.stdout.splitlines():
        m = re.match(r'^(\S+)\s+\d+\s+(?:IN\s+)?TXT\s+"(.*)"', line)
        if m:
            out.setdefault(m.group(1).lower(), []).append(m.group(2))
    return out


# -- sending ----------------------------------------------------------------------

class Conn:
    """One TCP connection to knotd, reused for many messages (like a client
    library would); reconnects when knotd closed it."""

    def __init__(self, port: int, source: str = HOST, timeout: float = 10.0):
        self.port, self.source, self.timeout = port, source, timeout
        self.sock: Optional[socket.socket] = None

    def _connect(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.bind((self.source, 0))
        s.connect((HOST, self.port))
        self.sock = s

    def send(self, wire: bytes) -> Optional[Reply]:
        """One message, one reply (None when there is none).  The same bytes are
        sent again only on a new connection when the reused one turned out to
        be closed by knotd before it read them (idle timeout): a resend after
        knotd may have read them would be a replay."""
        for attempt in range(2):
            reused = self.sock is not None
            try:
                if self.sock is None:
                    self._connect()
            except OSError:
                self.close()
                return None
            try:
                self.sock.sendall(struct.pack("!H", len(wire)) + wire)
                head = self.sock.recv(2)
                if not head and reused and attempt == 0:
                    self.close()
                    continue  # closed while idle: the message was not read
                if len(head) == 1:
                    head += recv_exact(self.sock, 1)
                if len(head) < 2:
                    raise ConnectionError("closed")
                size = struct.unpack("!H", head)[0]
                return Reply.parse(recv_exact(self.sock, size))
            except OSError:
                self.close()
                return None
        return None

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None


# -- recording proxy ----------------------------------------------------------------

class Proxy:
    """UDP and TCP relay to an upstream port on 127.0.0.1 that records every
    request (label, 'udp'|'tcp', wire): real clients talk to it, tests get
    the exact bytes a client sent."""

    def __init__(self, upstream: int):
        self.upstream = upstream
        self.port = free_port()
        self.requests = []
        self.label = "misc"
        self.lock = threading.Lock()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((HOST, self.port))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind((HOST, self.port))
        self.tcp.listen(16)
        self.tcp.settimeout(0.5)
        self.udp.settimeout(0.5)
        self.stopping = False
        self.threads = [threading.Thread(target=t, daemon=True)
                        for t in (self._udp_loop, self._tcp_loop)]
        for t in self.threads:
            t.start()

    def _record(self, proto, wire):
        with self.lock:
            self.requests.append((self.label, proto, wire))

    def _udp_loop(self):
        while not self.stopping:
            try:
                wire, peer = self.udp.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            self._record("udp", wire)
            threading.Thread(target=self._udp_one, args=(wire, peer), daemon=True).start()

    def _udp_one(self, wire, peer):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(3)
            s.sendto(wire, (HOST, self.upstream))
            try:
                reply = s.recv(65535)
            except OSError:
                return
        try:
            self.udp.sendto(reply, peer)
        except OSError:
            pass

    def _tcp_loop(self):
        while not self.stopping:
            try:
                conn, _ = self.tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._tcp_one, args=(conn,), daemon=True).start()

    def _tcp_one(self, conn):
        try:
            with conn, socket.create_connection((HOST, self.upstream), timeout=5) as up:
                conn.settimeout(5)
                for _ in range(100):  # messages on one connection
                    size = struct.unpack("!H", recv_exact(conn, 2))[0]
                    wire = recv_exact(conn, size)
                    self._record("tcp", wire)
                    up.sendall(struct.pack("!H", size) + wire)
                    rsize = struct.unpack("!H", recv_exact(up, 2))[0]
                    conn.sendall(struct.pack("!H", rsize) + recv_exact(up, rsize))
        except OSError:
            pass

    def updates(self, label: Optional[str] = None) -> List[bytes]:
        """Recorded UPDATE messages (opcode 5), optionally of one label."""
        with self.lock:
            return [w for lb, _p, w in self.requests
                    if len(w) >= 12 and (w[2] >> 3) & 0xF == 5 and (label is None or lb == label)]

    def close(self):
        self.stopping = True
        for t in self.threads:
            t.join(2)
        self.udp.close()
        self.tcp.close()
