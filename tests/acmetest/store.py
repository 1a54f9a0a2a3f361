"""Which store backend the pytest suites run mod-acme on.

ACME_STORE=lmdb (the default) or redis.  With redis, every Knotd instance's
mod-acme sections get `redis:` (one redis-server for the whole test session,
on a UNIX socket) and a key prefix made from the LMDB path the section would
have used, so that sections sharing a database share a store and the others
do not; the knot-acme tool then works on the store with -R and
--redis-prefix instead of -D.  Tests that are about LMDB itself (database
files, map size, the purger) carry the `lmdb` marker with the reason, and
are skipped on Redis with it.
"""

import atexit
import hashlib
import os
import tempfile
from typing import Optional

BACKENDS = ("lmdb", "redis")


def backend() -> str:
    """The backend under test (ACME_STORE)."""
    name = os.environ.get("ACME_STORE", "lmdb") or "lmdb"
    if name not in BACKENDS:
        raise RuntimeError(f"ACME_STORE={name!r}: one of {', '.join(BACKENDS)}")
    return name


def is_redis() -> bool:
    return backend() == "redis"


_server = None


def shared_redis():
    """The session's redis-server (started on first use, killed at exit)."""
    global _server
    if _server is None:
        # Imported here: acmetest.knotd (and through it acmetest.redis) imports this module.
        from acmetest.knotd import remove_dir
        from acmetest.redis import RedisServer
        workdir = tempfile.mkdtemp(prefix="knot-acme-store-")
        server = RedisServer(workdir, "redis (session)")

        def stop():
            server.kill()
            remove_dir(workdir)
        atexit.register(stop)
        server.start()
        _server = server
    return _server


def prefix_for(db_path: str) -> str:
    """The Redis key prefix standing for an LMDB database path."""
    return "t" + hashlib.sha256(os.path.realpath(db_path).encode()).hexdigest()[:16] + ":"


def section_items(items: dict, db_path: str) -> dict:
    """A mod-acme section's items for the backend under test: on Redis, the
    LMDB items are replaced by the session's Redis and the path's prefix
    (a section that names its own `redis` is left as it is)."""
    if not is_redis() or "redis" in items or "redis-sentinel" in items:
        return items
    out = {k: v for k, v in items.items()
           if k not in ("database", "database-mode", "map-size")}
    out["redis"] = shared_redis().sock
    out["redis-prefix"] = prefix_for(db_path)
    return out


def tool_store_args(db_path: str) -> list:
    """knot-acme's options naming the store of a section (-D or -R)."""
    if is_redis():
        return ["-R", shared_redis().sock, "--redis-prefix", prefix_for(db_path)]
    return ["-D", db_path]


def keys(db_path: str, pattern: str = "*") -> list:
    """The Redis keys of a section's prefix matching pattern (after the prefix)."""
    return sorted(shared_redis().cmd("KEYS", prefix_for(db_path) + pattern))


def flush(db_path: Optional[str] = None):
    """Removes every key of a section's prefix (all keys without a path)."""
    if not is_redis():
        return
    r = shared_redis()
    pattern = prefix_for(db_path) + "*" if db_path else "*"
    keys = r.cmd("KEYS", pattern)
    if keys:
        r.cmd("DEL", *keys)
