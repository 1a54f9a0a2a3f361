"""BENCHMARKS.md's Redis section, from results.json's `redis` (bench/redis_bench.py):
targets, the update table and the query table, ratios measured in one run."""

SHORT = {"redis-r1": "Redis, replicas 1", "redis-r0": "Redis, replicas 0",
         "lmdb": "LMDB robust", "bind": "BIND 9.18"}
ORDER = ["redis-r1", "redis-r0", "lmdb", "bind"]
#: Targets of issue 13.
UPDATE_NEED = 1.0    # Redis with redis-replicas 1 over BIND 9.18
TXT_NEED = 0.5       # TXT hit on Redis over a static TXT
#: A miss below which nothing is stored: no round trip per query.  The filter
#: is a Bloom filter: its false positives cost a read now and then.
MISS_TRIPS = 0.01


def _runs(red):
    """{(transport, level): {server: run}}, keys in the order they ran."""
    out = {}
    for kind, srv in red.get("updates", {}).get("servers", {}).items():
        for r in srv["runs"]:
            out.setdefault((r["transport"], r["level"]), {})[kind] = r
    return out


def _best(runs, transport, kind):
    vals = [rs[kind]["throughput"] for (tr, _), rs in runs.items() if tr == transport and kind in rs]
    return max(vals) if vals else None


def targets(res):
    """[(target, measured, met)]."""
    red = res.get("redis")
    if not red:
        return []
    rows = []
    runs = _runs(red)
    for transport in ("udp", "tcp"):
        r1, bind = _best(runs, transport, "redis-r1"), _best(runs, transport, "bind")
        if r1 and bind:
            rows.append((f"Redis: updates {transport.upper()}, redis-replicas 1, each server at "
                         f"its best level: ≥ {UPDATE_NEED:g}× BIND 9.18", f"{r1 / bind:.2f}×",
                         r1 / bind >= UPDATE_NEED))
    for n, s in red.get("queries", {}).get("sizes", {}).items():
        p = s["pairs"].get("TXT hit, Redis")
        if p:
            rows.append((f"Redis, {int(n):,} values: TXT hit ≥ {TXT_NEED:g}× static TXT",
                         f"{p['ratio']:.3f}×", p["ratio"] >= TXT_NEED))
        p = s["pairs"].get("NXDOMAIN, Redis")
        if p:
            rows.append((f"Redis, {int(n):,} values: a miss below which nothing is stored "
                         f"costs no Redis round trip per query (the filter; < {MISS_TRIPS:g} "
                         f"for its false positives)",
                         f"{p['redis_round_trips']:.4f} round trips/query",
                         p["redis_round_trips"] < MISS_TRIPS))
    return rows


def md(res, table, fmt, ms, ok):
    """Lines of the section (helpers from report.py)."""
    red = res.get("redis")
    if not red:
        return []
    run = red.get("run", {})
    cfg = res["config"]
    out = ["## Redis backend\n"]
    out.append(f"Measured {run.get('date', '?')} with `{run.get('command', '?')}` (knot-acme "
               f"{run.get('commit', '?')}, Redis {red.get('redis', '?')}, load average at start "
               f"{' '.join(run.get('loadavg_start', ['?']))}, other processes "
               f"{run.get('other_load_at_start', '?')} cores): {red.get('setup', '')}. Every "
               f"figure is a ratio to a server measured in the same run.\n")
    rows = targets(res)
    if rows:
        out.extend(table(["target", "measured", "met"], [[t, v, ok(m)] for t, v, m in rows]))
        out.append("")

    runs = _runs(red)
    if runs:
        out.append(f"Updates: `bench/loadgen` mode add-del as in Updates ({cfg['update_seconds']} s "
                   f"after {cfg['update_warmup']} s warm-up), each server in turn.\n")
        body = []
        for key in sorted(runs, key=lambda k: (k[0] != "udp",
                                               red["updates"]["levels"].index(k[1]))):
            rs = runs[key]
            bind = rs.get("bind", {}).get("throughput")
            for kind in ORDER:
                r = rs.get(kind)
                if r is None:
                    continue
                errs = {k: v for k, v in r["errors"].items() if v}
                errs.update({k: v for k, v in r.get("rcodes", {}).items() if k != "NOERROR"})
                body.append([key[0].upper(), key[1], SHORT[kind], fmt(r["throughput"]),
                             f"{r['throughput'] / bind:.2f}×" if bind else "–",
                             ms(r["latency_ms"]["p50"]), ms(r["latency_ms"]["p99"]),
                             ", ".join(f"{k} {v}" for k, v in errs.items()) or "0"])
        out.extend(table(["transport", "level", "server", "updates/s:", "over BIND:",
                          "p50 ms:", "p99 ms:", "errors"], body))
        out.append("")

    sizes = red.get("queries", {}).get("sizes", {})
    if sizes:
        out.append(f"Queries: dnsperf as in Queries ({cfg['query_rounds']} rounds of "
                   f"{cfg['query_seconds']} s per run, module and reference back to back in "
                   f"alternating order) against one knotd holding the same values in an LMDB "
                   f"zone and a Redis zone. Redis round trips and CPU are the read server's "
                   f"(INFO commandstats, /proc), per query answered.\n")
        body = []
        for n, s in sizes.items():
            for label, p in s["pairs"].items():
                body.append([fmt(int(n)), label, fmt(p["module_qps"]), fmt(p["reference_qps"]),
                             f"{p['ratio']:.3f}", f"{p['redis_round_trips']:.4f}",
                             f"{p['redis_cpu_us']:.1f}",
                             f"{p['module_cpu_us']:.1f} / {p['reference_cpu_us']:.1f}",
                             p["reference_desc"]])
        out.extend(table(["values", "query", "module q/s:", "reference q/s:", "ratio:",
                          "Redis round trips/query:", "Redis CPU µs/query:",
                          "knotd CPU µs/query:", "reference"], body))
        out.append("")
        out.append("Redis memory per value (the read replica's used_memory after populating, "
                   "over the values): " + ", ".join(
                       f"{int(n):,} values {s['redis_bytes_per_value']:,.0f} bytes"
                       for n, s in sizes.items()) + ".\n")
    return out
