"""What bench/run measures with: commands and logging, CPU accounting of
processes, and parsing of dnsperf, strace, callgrind and LMDB statistics.

The benchmark sections themselves are in bench/run."""

import os
import re
import shlex
import statistics
import subprocess
import time
from pathlib import Path


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd, timeout=600, check=True, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and res.returncode != 0:
        raise RuntimeError(f"{shlex.join(map(str, cmd))} failed ({res.returncode}):\n"
                           f"{res.stdout[-2000:]}{res.stderr[-2000:]}")
    return res


# -- CPU accounting --------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid):
    """User + system CPU seconds of a process, all its threads."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0.0


def busy_cpu():
    """CPU seconds spent busy by the whole machine so far."""
    vals = [int(x) for x in open("/proc/stat").readline().split()[1:9]]
    return (sum(vals) - vals[3] - vals[4]) / CLK_TCK


def children_cpu():
    import resource
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


class CpuMeter:
    """CPU used during a block: by the server, by the clients this script ran
    (load generator, dnsperf) and by anything else on the machine."""

    def __init__(self, pid):
        self.pid = pid

    def __enter__(self):
        self.t0, self.s0, self.c0, self.b0 = time.monotonic(), proc_cpu(self.pid), children_cpu(), busy_cpu()
        return self

    def __exit__(self, *exc):
        wall = time.monotonic() - self.t0
        server = proc_cpu(self.pid) - self.s0
        client = children_cpu() - self.c0
        busy = busy_cpu() - self.b0
        self.result = {"wall_s": round(wall, 3), "server_cpu_s": round(server, 3),
                       "client_cpu_s": round(client, 3),
                       "other_cpu_s": round(max(0.0, busy - server - client), 3)}
        return False


# -- parsing helpers -------------------------------------------------------------

def query_pair(ra, rb):
    """Module runs ra vs reference runs rb, round by round."""
    ratios = [a["qps"] / b["qps"] for a, b in zip(ra, rb) if b["qps"]]

    def cpu_us(runs):
        done = sum(r["completed"] for r in runs)
        return sum(r["cpu"]["server_cpu_s"] for r in runs) * 1e6 / done if done else 0.0
    ca, cb = cpu_us(ra), cpu_us(rb)
    return {
        "module_qps": statistics.median(r["qps"] for r in ra),
        "reference_qps": statistics.median(r["qps"] for r in rb),
        "ratio": statistics.median(ratios) if ratios else 0.0,
        "round_ratios": [round(x, 3) for x in ratios],
        "module_cpu_us": ca, "reference_cpu_us": cb,
        "cpu_ratio": cb / ca if ca else 0.0,
        "other_cpu_cores": round(sum(r["cpu"]["other_cpu_s"] for r in ra + rb)
                                 / max(1e-9, sum(r["cpu"]["wall_s"] for r in ra + rb)), 2),
        "module_rcodes": ra[-1]["rcodes"], "reference_rcodes": rb[-1]["rcodes"],
        "module_latency_ms": ra[-1]["latency_ms"], "reference_latency_ms": rb[-1]["latency_ms"],
    }


def parse_strace(text):
    """strace -c table: {syscall: calls}."""
    calls = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[0].replace(".", "").isdigit() and parts[-1] != "total":
            try:
                calls[parts[-1]] = int(parts[3])
            except ValueError:
                pass
    return calls


def parse_dnsperf(text):
    def num(pattern, default=0.0):
        m = re.search(pattern, text)
        return float(m.group(1)) if m else default
    rcodes = {}
    m = re.search(r"Response codes:\s+(.*)", text)
    if m:
        for name, cnt in re.findall(r"([A-Z]+) (\d+) \(", m.group(1)):
            rcodes[name] = int(cnt)
    return {
        "qps": num(r"Queries per second:\s+([\d.]+)"),
        "completed": int(num(r"Queries completed:\s+(\d+)")),
        "lost": int(num(r"Queries lost:\s+(\d+)")),
        "rcodes": rcodes,
        "latency_ms": {"mean": num(r"Average Latency \(s\):\s+([\d.]+)") * 1000,
                       "max": num(r"max ([\d.]+)\)") * 1000},
    }


def parse_verbose(path):
    """dnsperf -v lines: '> RCODE name type latency' or '> T name type' (timeout)."""
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            if not line.startswith("> "):
                continue
            parts = line.split()
            if parts[1] == "T":
                out.append(None)
            elif len(parts) >= 5:
                try:
                    out.append(float(parts[4]) * 1000)
                except ValueError:
                    pass
    return out


def window(lat, rate, start_s, end_s):
    """Latencies of the answers sent between start_s and end_s after dnsperf
    started (at a fixed rate, answer k was sent at about k / rate)."""
    lo, hi = max(0, int(start_s * rate)), max(0, int(end_s * rate))
    sel = lat[lo:hi]
    vals = sorted(v for v in sel if v is not None)
    lost = sum(1 for v in sel if v is None)

    def p(q):
        return vals[min(len(vals) - 1, int(q * len(vals)))] if vals else 0.0
    return {"start_s": round(start_s, 3), "end_s": round(end_s, 3), "answers": len(vals),
            "lost": lost, "max_ms": vals[-1] if vals else 0.0, "p50_ms": p(0.5),
            "p99_ms": p(0.99), "p999_ms": p(0.999),
            "over_10ms": sum(1 for v in vals if v > 10.0)}


def store_disk(db, count):
    """Bytes on disk of the LMDB store (allocated blocks of data.mdb) per value."""
    path = Path(db) / "data.mdb"
    st = path.stat()
    used = None
    res = run(["mdb_stat", "-e", str(db)], check=False)
    m = re.search(r"Number of pages used: (\d+)", res.stdout)
    p = re.search(r"Page size: (\d+)", res.stdout)
    if m and p:
        used = int(m.group(1)) * int(p.group(1))
    return {"file_bytes": st.st_blocks * 512, "pages_bytes": used, "values": count,
            "bytes_per_value": (used or st.st_blocks * 512) / max(1, count)}


def callgrind_total(path):
    for line in open(path, errors="replace"):
        if line.startswith(("totals:", "summary:")):
            return int(line.split()[1])
    return 0


def callgrind_top(path, inclusive):
    args = ["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}", "--threshold=100",
            str(path)]
    res = run(args, check=False, timeout=300)
    total = callgrind_total(path)
    top = []
    pat = re.compile(r"^\s*([\d,]+)\s+\(\s*([\d.]+)%\)\s+(\S.*?)(?:\s+\[(.*)\])?\s*$")
    for line in res.stdout.splitlines():
        m = pat.match(line)
        if not m or "PROGRAM TOTALS" in line:
            continue
        fn = m.group(3)
        if not inclusive and total and int(m.group(1).replace(",", "")) >= 0.99 * total:
            continue  # thread roots still on the stack at the dump: not self cost
        top.append({"ir": int(m.group(1).replace(",", "")), "percent": float(m.group(2)),
                    "function": fn, "object": (m.group(4) or "").strip()})
    return top
