"""Crash safety: kill -9 of knotd in the middle of a multi-client update flood.

Each iteration: 4 clients (2 over UDP, 2 over TCP) send signed UPDATEs as
fast as they can, each UPDATE adding one value at two owners; after a random
delay knotd gets SIGKILL.  Then, with knotd down, the database must open
and walk cleanly (mdb_stat -a); knotd restarts, and:

- every update answered NOERROR is present (both values), through the tool
  (the whole database) and through DNS (a sample);
- every update without an answer is there entirely or not at all (an update
  is one LMDB transaction: nothing half-applied is visible);
- every answer before the kill was NOERROR.

Both database modes are run: robust (fsync per commit) and asynchronous
(no fsync: a process crash loses nothing, only a machine crash can).
Short: 4 iterations per mode (CI).  Long: HARDENING_CRASH_ITERATIONS or 100.
"""

import random
import threading
import time

import pytest

from acmetest.ddns import add, make_update, send_wire
from acmetest.harden import K1, Conn, acl_conf, lmdb_check, record, scale, store_values, zone
from acmetest.knotd import challenge_value

ZONE = "crash.test"
CLIENTS = 4


class Client(threading.Thread):
    def __init__(self, k, cid: int, iteration: int, stop: threading.Event):
        super().__init__(daemon=True)
        self.k, self.cid, self.it, self.stop = k, cid, iteration, stop
        self.tcp = cid % 2 == 1
        self.acked, self.unknown, self.bad = [], [], []

    def run(self):
        conn = Conn(self.k.port, timeout=2.0) if self.tcp else None
        n = 0
        while not self.stop.is_set() and n < 100000:
            n += 1
            base = f"c{self.cid}-{self.it}-{n}"
            owners = (f"{base}.a.{ZONE}.", f"{base}.b.{ZONE}.")
            value = challenge_value(base)
            wire = make_update(ZONE, updates=[add(o, value) for o in owners], key=K1).wire
            if self.tcp:
                reply = conn.send(wire)
            else:
                reply = send_wire(wire, self.k.port, timeout=1.0)
            entry = (owners, value)
            if reply is None:
                self.unknown.append(entry)
                if not self.k.running:
                    break
            elif reply.rcode_text == "NOERROR":
                self.acked.append(entry)
            else:
                self.bad.append((entry, reply.summary()))
        if conn:
            conn.close()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["robust", "asynchronous"])
def test_kill9_during_update_flood(ddns_factory, mode):
    iterations = scale(4, 100, "HARDENING_CRASH_ITERATIONS")
    acme = {"default": {"lifetime": 3600, "max-records": 1000, "strict": True,
                        "database-mode": mode, "map-size": "1G"}}
    k = ddns_factory([zone(ZONE)], acme=acme, extra_conf=acl_conf())
    db = k.db_path()
    rng = random.Random(1234)
    acked, unknown = [], []
    kills_mid_flood = 0
    start = time.monotonic()

    for it in range(iterations):
        stop = threading.Event()
        clients = [Client(k, c, it, stop) for c in range(CLIENTS)]
        for c in clients:
            c.start()
        time.sleep(rng.uniform(0.2, 1.2))
        in_flight = sum(len(c.acked) for c in clients)
        k.proc.kill()          # SIGKILL, mid-flood
        k.proc.wait(10)
        stop.set()
        for c in clients:
            c.join(30)
            assert not c.is_alive(), "client stuck"
        k.stop()
        kills_mid_flood += in_flight > 0 and sum(len(c.acked) for c in clients) >= in_flight

        bad = [b for c in clients for b in c.bad]
        assert not bad, f"iteration {it}: updates refused before the kill: {bad[:5]}"
        it_acked = [e for c in clients for e in c.acked]
        it_unknown = [e for c in clients for e in c.unknown]
        assert it_acked, f"iteration {it}: no update was acknowledged before the kill"
        acked += it_acked
        unknown += it_unknown

        # The database opens and walks cleanly with knotd down...
        lmdb_check(db)
        # ...and knotd starts on it.
        k.start()

        values = store_values(db)
        missing = [e for e in acked
                   if any(e[1] not in values.get(o, []) for o in e[0])]
        assert not missing, (f"iteration {it}: {len(missing)} acknowledged updates lost, "
                             f"e.g. {missing[:3]}")
        half = [e for e in unknown
                if sum(e[1] in values.get(o, []) for o in e[0]) == 1]
        assert not half, f"iteration {it}: half-applied updates visible: {half[:3]}"
        for owners, value in rng.sample(it_acked, min(5, len(it_acked))):
            for o in owners:
                ans = k.query(o, "TXT", tcp=True).answer
                assert ans and value in [b"".join(rd.strings).decode() for rd in ans[0]], o

    values = store_values(db)
    applied_unknown = sum(1 for e in unknown if e[1] in values.get(e[0][0], []))
    record("crash_kill9", mode=mode, iterations=iterations, acked=len(acked),
           unanswered=len(unknown), unanswered_applied=applied_unknown,
           seconds=round(time.monotonic() - start, 1))
