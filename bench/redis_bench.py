"""bench/run's `redis` section: the Redis backend beside LMDB, side by side.

Servers: a Redis primary on 127.0.0.1 TCP with AOF `appendfsync always`
and one replica of it (acmetest.redis); mod-acme writes to the primary over
TCP and reads from the replica over its UNIX socket (`redis-read`), as a
nameserver host with its local replica would.

  updates   bench/loadgen (mode add-del, the levels and transports of the
            updates section) against, one at a time: mod-acme on Redis with
            redis-replicas 1 and with 0, mod-acme on LMDB (robust), BIND
            9.18; each module run over BIND's at the same level
  queries   dnsperf against one knotd holding the same values in an LMDB
            zone and a Redis zone, with a static zone and a plain zone as
            references: each pair run back to back in alternating order
            (bench/run's query rounds), plus the Redis commands the read
            server got per query (INFO commandstats): a miss below which
            nothing is stored must cost none (the filter), a hit one round
            trip (HGETALL and ZCOUNT pipelined)

Only ratios measured in the same run are reported.
"""

import random

from acmetest.redis import RedisGroup, info
from measure import log, proc_cpu, query_pair, run
from servers import zone_text

REDIS_ZONE = "redis.bench."

#: (label, module query file, reference query file, what the reference is)
QUERY_PAIRS = [
    ("TXT hit, Redis", "txt-redis", "txt-static", "static TXT in a zone without the module"),
    ("TXT hit, LMDB", "txt-acme", "txt-static", "static TXT in a zone without the module"),
    ("NXDOMAIN, Redis", "nxdomain-redis", "nxdomain-plain", "same zone without the module"),
    ("NXDOMAIN, LMDB", "nxdomain-acme", "nxdomain-plain", "same zone without the module"),
    ("NODATA (zone name), Redis", "nodata-redis", "nodata-plain", "same zone without the module"),
    ("NODATA (store name), Redis", "nodata-store-redis", "nodata-static",
     "static TXT name, other type"),
]

#: Update servers of the section: (key, title).
UPDATE_SERVERS = [
    ("redis-r1", "mod-acme (Redis, redis-replicas 1)"),
    ("redis-r0", "mod-acme (Redis, redis-replicas 0)"),
    ("lmdb", "mod-acme (LMDB, database-mode robust)"),
    ("bind", "BIND 9.18 update-policy"),
]


def redis_conf(group: RedisGroup, replicas: int) -> dict:
    return {"lifetime": 3600, "max-ttl": 300, "max-records": 8,
            "redis": group.primary.address, "redis-read": group.replicas[0].sock,
            "redis-replicas": replicas, "redis-timeout": 2000}


def round_trips(server) -> int:
    """Reads the server answered: one HGETALL each (a ZCOUNT, when asked
    for, goes in the same round trip)."""
    text = info(server.sock, "commandstats").get("cmdstat_hgetall", "")
    for part in text.split(","):
        if part.startswith("calls="):
            return int(part[6:])
    return 0


def sec_updates(b, group):
    cfg = b.cfg
    out = {"servers": {}, "levels": [f"c{c}-d{d}" for c, d in cfg["levels"]]}
    for kind, title in UPDATE_SERVERS:
        if kind == "bind":
            srv = b.update_server("bind")
        elif kind == "lmdb":
            srv = b.update_server("mod-acme")
        else:
            srv = b.knotd(f"upd-{kind}", [{"origin": "upd.bench.", "text": zone_text("upd.bench."),
                                           "module": "redis"}],
                          redis_conf=redis_conf(group, int(kind[-1])))
        runs = []
        with srv:
            srv.start()
            log(f"redis updates: {title} on port {srv.port}")
            for transport in ("udp", "tcp"):
                for conns, depth in cfg["levels"]:
                    r = b.loadgen_run(srv.port, f"--{transport}", "-c", conns, "-d", depth,
                                      "-t", cfg["update_seconds"], "-w", cfg["update_warmup"],
                                      "--timeout", 5000, "--label", kind)
                    r["level"] = f"c{conns}-d{depth}"
                    r["transport"] = transport
                    runs.append(r)
                    log(f"  {transport} c{conns} d{depth}: {r['throughput']:.0f} updates/s, "
                        f"p50 {r['latency_ms']['p50']:.3f} ms, p99 {r['latency_ms']['p99']:.3f} ms, "
                        f"errors {sum(r['errors'].values())}, rcodes {r['rcodes']}")
        out["servers"][kind] = {"title": title, "runs": runs}
    return out


def query_files(qdir, sample):
    files = {}

    def write(name, lines):
        p = qdir / f"{name}.txt"
        p.write_text("".join(lines))
        files[name] = p
    acme, plain, static = "acme.bench.", "plain.bench.", "static.bench."
    write("txt-redis", [f"v{i}.pop.{REDIS_ZONE} TXT\n" for i in sample])
    write("txt-acme", [f"v{i}.pop.{acme} TXT\n" for i in sample])
    write("txt-static", [f"v{i}.pop.{static} TXT\n" for i in sample])
    nx = range(len(sample))
    write("nxdomain-redis", [f"nx{i}.{REDIS_ZONE} TXT\n" for i in nx])
    write("nxdomain-acme", [f"nx{i}.{acme} TXT\n" for i in nx])
    write("nxdomain-plain", [f"nx{i}.{plain} TXT\n" for i in nx])
    write("nodata-redis", [f"host.{REDIS_ZONE} MX\n"])
    write("nodata-plain", [f"host.{plain} MX\n"])
    write("nodata-store-redis", [f"v{i}.pop.{REDIS_ZONE} A\n" for i in sample])
    write("nodata-static", [f"v{i}.pop.{static} A\n" for i in sample])
    return files


def sec_queries(b, group, value_str):
    cfg = b.cfg
    out = {"sizes": {}, "pairs": [p[0] for p in QUERY_PAIRS]}
    read = group.replicas[0]
    for n in cfg["redis_query_sizes"]:
        rnd = random.Random(n)
        sample = list(range(n)) if n <= 10000 else sorted(rnd.sample(range(n), 10000))
        static = "".join(f'v{i}.pop TXT "{value_str(i)}"\n' for i in range(n))
        zones = [
            {"origin": REDIS_ZONE, "text": zone_text(REDIS_ZONE), "module": "redis"},
            {"origin": "acme.bench.", "text": zone_text("acme.bench."), "module": "acme"},
            {"origin": "plain.bench.", "text": zone_text("plain.bench."), "module": None},
            {"origin": "static.bench.", "text": zone_text("static.bench.", static),
             "module": None},
        ]
        group.primary.cmd("FLUSHALL")
        group.wait_synced()
        mem0 = int(info(read.sock, "memory")["used_memory"])
        srv = b.knotd(f"redis-queries-{n}", zones, redis_conf=redis_conf(group, 1))
        with srv:
            srv.write_files()
            run([str(b.populate), "-D", srv.acme_db, "-z", "acme.bench.", "-n", str(n),
                 "--prefix", "pop"], timeout=1800)
            run([str(b.populate), "-R", group.primary.sock, "-z", REDIS_ZONE, "-n", str(n),
                 "--prefix", "pop", "--batch", "1000"], timeout=1800)
            group.wait_synced()
            # Before knotd connects: its connections' buffers are not values.
            mem = (int(info(read.sock, "memory")["used_memory"]) - mem0) / max(1, n)
            srv.start(timeout=300)
            log(f"redis queries: {n} live values in each store "
                f"(Redis {mem:.0f} bytes/value in the replica's memory)")
            qdir = b.tmp / f"rq{n}"
            qdir.mkdir(exist_ok=True)
            files = query_files(qdir, sample)
            runs = {k: [] for k in files}
            calls = {}
            for label, a, bref, _ in QUERY_PAIRS:
                for rnd_i in range(cfg["query_rounds"]):
                    for k in ((a, bref) if rnd_i % 2 == 0 else (bref, a)):
                        trips, cpu = round_trips(read), proc_cpu(read.pid)
                        r = b.dnsperf(srv.port, files[k], cfg["query_seconds"], pid=srv.pid)
                        r["redis_round_trips"] = round_trips(read) - trips
                        r["redis_cpu_s"] = proc_cpu(read.pid) - cpu
                        runs[k].append(r)
                done = max(1, sum(r["completed"] for r in runs[a]))
                calls[a] = {
                    "round_trips": sum(r["redis_round_trips"] for r in runs[a]) / done,
                    "cpu_us": sum(r["redis_cpu_s"] for r in runs[a]) * 1e6 / done,
                }
            pairs = {}
            for label, a, bref, ref in QUERY_PAIRS:
                pairs[label] = query_pair(runs[a], runs[bref])
                pairs[label].update({"module": a, "reference": bref, "reference_desc": ref,
                                     "redis_round_trips": calls[a]["round_trips"],
                                     "redis_cpu_us": calls[a]["cpu_us"]})
                p = pairs[label]
                log(f"  {label:28s} module {p['module_qps']:9.0f} q/s  reference "
                    f"{p['reference_qps']:9.0f} q/s  ratio {p['ratio']:.3f} (rounds "
                    f"{', '.join(f'{x:.2f}' for x in p['round_ratios'])}); Redis round trips/query "
                    f"{p['redis_round_trips']:.3f}, Redis CPU-us/query {p['redis_cpu_us']:.2f}, "
                    f"knotd {p['module_cpu_us']:.2f} vs {p['reference_cpu_us']:.2f}; rcodes "
                    f"{p['module_rcodes']} / {p['reference_rcodes']}")
            out["sizes"][str(n)] = {"values": n, "redis_bytes_per_value": mem,
                                    "pairs": pairs, "runs": runs}
    return out


def sec_redis(b, value_str, meta):
    """The section: Redis servers started here, always stopped.  meta: the
    date, command and machine load of this run (the section may be run
    alone and merged into an earlier full run's results)."""
    group = RedisGroup(replicas=1, workdir=str(b.tmp / "redis"))
    try:
        group.start()
        res = {"setup": "primary 127.0.0.1 TCP, appendonly yes, appendfsync always; one "
                        "replica; mod-acme writes over TCP, reads the replica's UNIX socket",
               "redis": info(group.primary.sock, "server").get("redis_version", "?"),
               "run": meta}
        res["updates"] = sec_updates(b, group)
        res["queries"] = sec_queries(b, group, value_str)
    finally:
        group.cleanup()
    return res
