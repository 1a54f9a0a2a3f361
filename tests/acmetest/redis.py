"""Real Redis/Valkey servers for the tests: one primary, replicas and
Sentinels on free 127.0.0.1 ports and UNIX sockets, each in its own
temporary directory, always stopped.

  RedisServer   one redis-server (or valkey-server) or redis-sentinel
                process: start, stop, kill (-9), pause/resume (SIGSTOP/
                SIGCONT), restart on the same port, socket and data
                directory, and commands over a tiny RESP client
  RedisGroup    the shape of a shared store: a primary with AOF
                (appendfsync always), N replicas of it, optionally M
                Sentinels watching it as MASTER; the primary as the
                Sentinels name it, replication waits, and the one place
                that stops everything (also at exit)

The servers are Debian's redis-server (bookworm) or valkey-server (trixie):
REDIS_SERVER / REDIS_SENTINEL choose the programs, else the first installed
of redis-server, valkey-server (and redis-sentinel, valkey-sentinel).
Replication goes over TCP (a replica names its primary by address), the
module may use either the port or the socket.
"""

import atexit
import os
import signal
import socket
import tempfile
import time
import weakref
from pathlib import Path
from typing import List, Optional, Sequence

from acmetest.knotd import (HOST, Proc, ProcessError, file_tail, free_port, remove_dir, stop_each,
                            wait_until, which)

#: Sentinel master name of RedisGroup.
MASTER = "acme"
START_TIMEOUT = 20.0
#: Sentinel: a primary is down after this many ms without an answer.
DOWN_AFTER_MS = 1000


def _program(env: str, names: Sequence[str]) -> str:
    given = os.environ.get(env)
    if given:
        return given
    for name in names:
        path = which(name)
        if path:
            return path
    return names[0]


REDIS_SERVER = _program("REDIS_SERVER", ("redis-server", "valkey-server"))
REDIS_SENTINEL = _program("REDIS_SENTINEL", ("redis-sentinel", "valkey-sentinel"))


def missing() -> List[str]:
    """Programs the Redis tests need and do not find (scripts/deps installs them)."""
    return [f"{p} (Debian package {os.path.basename(p)})"
            for p in (REDIS_SERVER, REDIS_SENTINEL) if not which(p)]


class RedisError(RuntimeError):
    """An error reply (its text)."""


# -- RESP ---------------------------------------------------------------------

def _encode(args) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


class _Reader:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed by the server")
        self.buf += chunk

    def line(self) -> bytes:
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def exact(self, n: int) -> bytes:
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def reply(self):
        line = self.line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RedisError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self.exact(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise ConnectionError(f"unexpected reply {line!r}")


def pipeline(where, *commands, timeout: float = 5.0) -> list:
    """Sends commands (each a tuple of arguments) to where ((host, port) or
    a UNIX socket path) on one fresh connection; returns their replies
    (bytes, str, int, list, None).  An error reply raises RedisError."""
    if isinstance(where, (str, Path)):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        addr = str(where)
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        addr = where
    with sock:
        sock.settimeout(timeout)
        sock.connect(addr)
        sock.sendall(b"".join(_encode(args) for args in commands))
        reader = _Reader(sock)
        replies = [reader.reply() for _ in commands]
    for reply in replies:
        if isinstance(reply, RedisError):
            raise reply
    return replies


def command(where, *args, timeout: float = 5.0):
    """One command on a fresh connection (pipeline()); its reply."""
    return pipeline(where, args, timeout=timeout)[0]


def info(where, section: str = "replication") -> dict:
    """INFO section as {field: text}."""
    text = command(where, "INFO", section).decode()
    out = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith("#"):
            key, value = line.split(":", 1)
            out[key] = value
    return out


# -- one server -----------------------------------------------------------------

class RedisServer:
    """redis-server on 127.0.0.1:port and dir/redis.sock, or redis-sentinel.

    replica_of  (host, port) of the primary to replicate (None: a primary)
    aof         appendonly yes, appendfsync always (nothing acknowledged is
                lost by a kill -9 of this server)
    sentinel_of (host, port) of the primary a Sentinel watches as master
    """

    def __init__(self, d: Path, name: str, replica_of=None, aof: bool = False,
                 sentinel_of=None, master: str = MASTER, extra: Sequence[str] = ()):
        self.dir = Path(d)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.port = free_port()
        self.sock = str(self.dir / "redis.sock")
        self.sentinel = sentinel_of is not None
        self.conf = self.dir / ("sentinel.conf" if self.sentinel else "redis.conf")
        lines = [f"port {self.port}", f"bind {HOST}", f"unixsocket {self.sock}",
                 "unixsocketperm 700", f"dir {self.dir}", "daemonize no",
                 f"logfile {self.dir / 'redis.log'}", "protected-mode no"]
        if self.sentinel:
            host, port = sentinel_of
            # Sentinel rewrites its file: the first lines are ours, the rest its own.
            lines += [f"sentinel monitor {master} {host} {port} 1",
                      f"sentinel down-after-milliseconds {master} {DOWN_AFTER_MS}",
                      f"sentinel failover-timeout {master} 5000",
                      f"sentinel parallel-syncs {master} 2"]
        else:
            lines += ['save ""', "appendonly " + ("yes" if aof else "no"),
                      "appendfsync always",
                      # A replica that lost its primary keeps answering reads.
                      "replica-serve-stale-data yes",
                      # Replication is quick to notice a stopped peer.
                      "repl-timeout 5", "repl-ping-replica-period 1",
                      # A (re)joining replica syncs at once, not after 5 s.
                      "repl-diskless-sync-delay 0",
                      # A full resync (a replica moved to a new primary) keeps
                      # answering the old data instead of an emptied one.
                      "repl-diskless-load swapdb"]
            if replica_of is not None:
                lines.append(f"replicaof {replica_of[0]} {replica_of[1]}")
        lines += list(extra)
        self.conf.write_text("\n".join(lines) + "\n")
        prog = REDIS_SENTINEL if self.sentinel else REDIS_SERVER
        self.proc = Proc(name, [prog, str(self.conf)], self.dir / "stdout.log")
        self.paused = False

    @property
    def addr(self):
        return (HOST, self.port)

    @property
    def address(self) -> str:
        """ADDR@PORT as the module's configuration takes it."""
        return f"{HOST}@{self.port}"

    @property
    def pid(self) -> Optional[int]:
        return self.proc.pid

    @property
    def running(self) -> bool:
        return self.proc.running

    def cmd(self, *args, timeout: float = 5.0):
        return command(self.sock, *args, timeout=timeout)

    def info(self, section: str = "replication") -> dict:
        return info(self.sock, section)

    def _ping(self) -> bool:
        return self.cmd("PING", timeout=1.0) == "PONG"

    def start(self, timeout: float = START_TIMEOUT):
        if self.running:
            raise ProcessError(f"{self.name} already running")
        self.proc.start()
        self.paused = False
        try:
            wait_until(self.name, self.proc, self._ping, timeout, interval=0.02)
            if not self.sentinel:
                wait_until(f"{self.name} loaded", self.proc,
                           lambda: self.info("persistence").get("loading") == "0",
                           timeout, interval=0.02)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        """Stops the process: SIGTERM (a paused one is resumed first); a
        primary waits for its replicas up to shutdown-timeout (10 s)."""
        if self.paused and self.running:
            os.kill(self.pid, signal.SIGCONT)
        self.paused = False
        self.proc.stop()

    def kill(self):
        """kill -9: no shutdown, no last fsync (AOF always has them already)."""
        self.paused = False  # SIGKILL ends a stopped process too
        self.proc.kill()

    def pause(self):
        """SIGSTOP: the process holds its sockets and answers nothing."""
        os.kill(self.pid, signal.SIGSTOP)
        self.paused = True

    def resume(self):
        os.kill(self.pid, signal.SIGCONT)
        self.paused = False

    def restart(self, timeout: float = START_TIMEOUT):
        """Starts again on the same port, socket and data directory."""
        self.proc.stop()
        return self.start(timeout)

    def diagnostics(self, lines: int = 30) -> str:
        return (self.proc.diagnostics(lines) +
                f"\n--- {self.dir / 'redis.log'} (tail)\n"
                f"{file_tail(self.dir / 'redis.log', lines)}")


# -- a primary, replicas and Sentinels ------------------------------------------

_GROUPS = weakref.WeakSet()


@atexit.register
def stop_all():
    """Stops every server this process started."""
    for g in list(_GROUPS):
        g.stop()


class RedisGroup:
    """A primary (AOF, appendfsync always), `replicas` replicas of it, and
    `sentinels` Sentinels watching it as MASTER (quorum 1), in one temporary
    directory.  stop() stops them all, always; cleanup() also removes the
    directory (kept with KNOT_ACME_KEEP)."""

    def __init__(self, replicas: int = 2, sentinels: int = 0,
                 workdir: Optional[str] = None, aof: bool = True):
        self.dir = Path(workdir or tempfile.mkdtemp(prefix="knot-acme-redis-"))
        self.primary = RedisServer(self.dir / "primary", "redis primary", aof=aof)
        self.replicas = [RedisServer(self.dir / f"replica{i + 1}", f"redis replica{i + 1}",
                                     replica_of=self.primary.addr, aof=aof)
                         for i in range(replicas)]
        self.sentinels = [RedisServer(self.dir / f"sentinel{i + 1}", f"redis sentinel{i + 1}",
                                      sentinel_of=self.primary.addr)
                          for i in range(sentinels)]
        _GROUPS.add(self)

    @property
    def servers(self) -> List[RedisServer]:
        """Data servers (the first primary, then the replicas as started)."""
        return [self.primary, *self.replicas]

    @property
    def sentinel_list(self) -> str:
        """ADDR@PORT of every Sentinel, comma separated."""
        return ",".join(s.address for s in self.sentinels)

    def start(self):
        try:
            self.primary.start()
            for r in self.replicas:
                r.start()
            self.wait_synced()
            for s in self.sentinels:
                s.start()
            if self.sentinels:
                self.wait_sentinels()
        except BaseException:
            self.stop()
            raise
        return self

    def wait_synced(self, servers: Optional[Sequence[RedisServer]] = None,
                    timeout: float = START_TIMEOUT):
        """Waits until each running server but the current primary (default:
        every one) replicates it with its link up and acknowledges
        everything it wrote so far (WAIT: after a full sync the primary
        streams to a replica only once it acknowledged, so link up alone is
        not enough)."""
        primary = self.current_primary()
        want = [r for r in (self.servers if servers is None else servers)
                if r is not primary and r.running]
        for r in want:
            wait_until(f"{r.name} replicating {primary.name}", r.proc,
                       lambda r=r: (lambda i: i.get("master_port") == str(primary.port)
                                    and i.get("master_link_status") == "up")(r.info()),
                       timeout, interval=0.02)
        if want:
            # A write of the harness's own (outside every module prefix) for
            # WAIT to wait for: without one it counts acknowledgements of the
            # offset the replicas got in their sync, streaming or not.
            # (WAIT waits for its own connection's last write.)
            got = pipeline(primary.sock, ("INCR", "acmetest:sync"),
                           ("WAIT", len(want), int(timeout * 1000)), timeout=timeout + 5)[1]
            if got < len(want):
                raise ProcessError(f"{got} of {len(want)} replicas acknowledged "
                                   f"{primary.name} within {timeout} s\n" + self.diagnostics())

    def wait_sentinels(self, timeout: float = START_TIMEOUT):
        """Waits until every Sentinel knows every replica and the other
        Sentinels (a failover then has somewhere to go, and a leader is
        elected at once)."""
        replicas, peers = len(self.servers) - 1, len(self.sentinels) - 1
        for s in self.sentinels:
            wait_until(f"{s.name} knows its peers", s.proc,
                       lambda s=s: (len(s.cmd("SENTINEL", "REPLICAS", MASTER)) >= replicas and
                                    len(s.cmd("SENTINEL", "SENTINELS", MASTER)) >= peers),
                       timeout, interval=0.05)

    def sentinel_primary(self) -> Optional[RedisServer]:
        """The server the first reachable Sentinel names as primary."""
        for s in self.sentinels:
            if not s.running or s.paused:
                continue
            try:
                host, port = s.cmd("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER, timeout=1.0)
            except (OSError, RedisError, ValueError, TypeError):
                continue
            for r in self.servers:
                if r.port == int(port):
                    return r
        return None

    def current_primary(self) -> RedisServer:
        """The primary: as the Sentinels name it, else the one server with
        role master."""
        if self.sentinels:
            p = self.sentinel_primary()
            if p is not None:
                return p
        for r in self.servers:
            if r.running and not r.paused and r.info().get("role") == "master":
                return r
        raise ProcessError("no primary\n" + self.diagnostics())

    def wait_failover(self, old: RedisServer, timeout: float = 30.0) -> RedisServer:
        """Waits until the Sentinels name a primary other than old, and it
        says it is one; returns it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            p = self.sentinel_primary()
            if p is not None and p is not old and p.running:
                try:
                    if p.info().get("role") == "master":
                        return p
                except (OSError, RedisError):
                    pass
            time.sleep(0.05)
        raise ProcessError(f"no failover within {timeout} s\n" + self.diagnostics())

    def keys(self, server: RedisServer, pattern: str = "*") -> List[bytes]:
        return sorted(server.cmd("KEYS", pattern))

    def stop(self):
        """Kills every server (-9: the tests keep nothing, and a primary's
        shutdown would wait for its replicas)."""
        stop_each((*self.sentinels, *self.replicas, self.primary), "kill")

    def cleanup(self):
        self.stop()
        remove_dir(self.dir)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()
        return False

    def diagnostics(self, lines: int = 20) -> str:
        return "\n".join(r.diagnostics(lines) for r in (*self.servers, *self.sentinels))


__all__ = ["RedisServer", "RedisGroup", "RedisError", "command", "pipeline", "info", "missing",
           "MASTER", "REDIS_SERVER", "REDIS_SENTINEL"]
