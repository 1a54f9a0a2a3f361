#!/usr/bin/python3
"""Captures the seed corpus of the fuzzers from real clients.

Starts a knotd with mod-acme (tests/acmetest/knotd.py) behind a recording
proxy on 127.0.0.1 and runs real clients through the proxy:

  nsupdate (BIND), knsupdate (Knot)   add, delete one, delete RRset,
                                      prerequisites, UDP and TCP
  certbot's dns-rfc2136 client        certbot_dns_rfc2136's _RFC2136Client:
                                      SOA discovery, add, delete (TCP)
  lego (rfc2136 provider)             a full `lego run` against pebble through
                                      tests/acmetest/acme.py (--lego; needs
                                      pebble, unbound, lego)
  kdig, dig                           queries: TXT, ANY, SOA, NS, A, +dnssec,
                                      +tcp, +nsid, cookies, qname case

Every request the proxy saw is written, prefixed with the harness flags byte,
to tests/fuzz/corpus/update/ (UPDATEs and the clients' SOA queries) and
tests/fuzz/corpus/answer/ (queries).  Keys are those of the fuzz harness
(k1, k2: the secrets of acmetest.ddns.TsigKey.make), so a captured message
verifies in the harness but for its time.

Usage: PYTHONPATH=tests tests/fuzz/capture.py [--lego] [--out DIR]
(run from the top of the source tree: acmetest is the package in tests/)
"""

import argparse
import hashlib
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent

from acmetest.ddns import TsigKey, ddns_conf
from acmetest.harden import Proxy  # recording UDP/TCP relay
from acmetest.knotd import HOST, Knotd, Zone, challenge_value

K1 = TsigKey.make("k1")
K2 = TsigKey.make("k2", "hmac-sha512")
ALIAS = "auth.example.net"
DELEG = "_acme-challenge.example.com"

RECORDS = """\
$TTL 3600
@        SOA   ns.example.net. hostmaster.example.net. 1 3600 900 604800 300
@        NS    ns.example.net.
static   TXT   "static value"
"""


def run(cmd, stdin=None, env=None):
    res = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=60,
                         env=env)
    if res.returncode != 0:
        print(f"  ({' '.join(cmd[:2])}: exit {res.returncode}: "
              f"{(res.stdout + res.stderr).strip()[:200]})")
    return res


def nsupdate_script(port, zone, name, value, extra=""):
    return (f"server {HOST} {port}\nzone {zone}\n{extra}"
            f"update add {name} 60 TXT \"{value}\"\nsend\n"
            f"update delete {name} TXT \"{value}\"\nsend\n"
            f"prereq nxrrset {name} TXT\nupdate add {name} 60 TXT \"{value}\"\nsend\n"
            f"update delete {name} TXT\nsend\n")


def capture_nsupdate(proxy):
    for tcp in (False, True):
        for tool, key in (("nsupdate", K1), ("knsupdate", K1), ("nsupdate", K2),
                          ("knsupdate", K2)):
            proxy.label = f"{tool}-{key.id}-{'tcp' if tcp else 'udp'}"
            name = f"_acme-challenge.www.example.com.{ALIAS}."
            script = nsupdate_script(proxy.port, ALIAS, name, challenge_value(proxy.label))
            cmd = [tool, "-y", key.nsupdate_y()] + (["-v"] if tcp else [])
            run(cmd, stdin=script)
            # Delegation setup: the value at the zone apex.
            proxy.label += "-apex"
            script = (f"server {HOST} {proxy.port}\nzone {DELEG}\n"
                      f"update add {DELEG}. 60 TXT \"{challenge_value(proxy.label)}\"\nsend\n")
            run(cmd, stdin=script)


def capture_batches(proxy):
    """Bigger real messages: many RRs, long values (the per-message limits)."""
    for tool in ("nsupdate", "knsupdate"):
        proxy.label = f"{tool}-batch"
        lines = "".join(f"update add b{i}.{ALIAS}. 60 TXT \"{challenge_value(i)}\"\n"
                        for i in range(12))
        run([tool, "-y", K1.nsupdate_y()],
            stdin=f"server {HOST} {proxy.port}\nzone {ALIAS}\n{lines}send\n")
        proxy.label = f"{tool}-long-values"
        lines = "".join(f"update add l{i}.{ALIAS}. 60 TXT \"{'x' * 250}\"\n" for i in range(5))
        run([tool, "-y", K1.nsupdate_y(), "-v"],
            stdin=f"server {HOST} {proxy.port}\nzone {ALIAS}\n{lines}send\n")


def capture_certbot(proxy):
    try:
        from certbot_dns_rfc2136._internal.dns_rfc2136 import _RFC2136Client
    except ImportError:
        print("  (certbot dns-rfc2136 plugin not installed: skipped)")
        return
    import dns.tsig
    for zone in (ALIAS, DELEG):
        proxy.label = f"certbot-{zone.split('.')[0].strip('_')}"
        client = _RFC2136Client(HOST, proxy.port, K1.id, K1.secret, dns.tsig.HMAC_SHA256, 5)
        name = f"_acme-challenge.www.example.com.{ALIAS}" if zone == ALIAS else DELEG
        value = challenge_value(proxy.label)
        try:
            client.add_txt_record(name, value, 60)
            client.del_txt_record(name, value)
        except Exception as exc:  # keep capturing the others
            print(f"  (certbot client: {exc})")


def capture_queries(proxy):
    names = [f"{ALIAS}.", f"_acme-challenge.www.example.com.{ALIAS}.",
             f"example.com.{ALIAS}.", f"nothing.{ALIAS}.", f"static.{ALIAS}.",
             f"{DELEG}.", f"_ACME-Challenge.WWW.Example.COM.{ALIAS}."]
    for i, name in enumerate(names):
        for qtype in ("TXT", "ANY", "A", "SOA", "NS"):
            proxy.label = f"kdig-{i}-{qtype}"
            run(["kdig", "-p", str(proxy.port), f"@{HOST}", name, qtype, "+timeout=2"])
        proxy.label = f"kdig-{i}-opts"
        run(["kdig", "-p", str(proxy.port), f"@{HOST}", name, "TXT", "+dnssec", "+nsid",
             "+cookie", "+bufsize=4096", "+timeout=2"])
        run(["kdig", "-p", str(proxy.port), f"@{HOST}", name, "TXT", "+tcp", "+noedns",
             "+timeout=2"])
        proxy.label = f"dig-{i}"
        run(["dig", "-p", str(proxy.port), f"@{HOST}", name, "TXT", "+tries=1", "+time=2"])
        run(["dig", "-p", str(proxy.port), f"@{HOST}", name, "ANY", "+dnssec", "+tcp",
             "+time=2"])


def capture_lego(proxy_factory):
    try:
        from acmetest import acme as acme_env
    except ImportError as exc:
        print(f"  (lego: {exc})")
        return None
    missing = acme_env.missing_tools()
    if missing:
        print(f"  (lego skipped, missing: {', '.join(missing)})")
        return None
    env = acme_env.AcmeEnv()
    try:
        env.start()
        proxy = proxy_factory(env.acme.port)
        proxy.label = "lego"
        env.acme.port = proxy.port  # the client talks to the proxy
        res = acme_env.run_lego(env, "lego-www", ["www.example.com"], "capture")
        print(f"  lego run: exit {res.returncode}")
        proxy.close()
        return proxy
    finally:
        env.cleanup()


def save(requests, out: Path):
    """Writes each distinct request with harness flags (see fuzz_*.c)."""
    counts = {}
    for label, proto, wire in requests:
        if len(wire) < 12:
            continue
        opcode = (wire[2] >> 3) & 0xF
        tcp_bit = 0x10 if proto == "tcp" else 0
        if opcode == 5:
            # as is; re-signed with k1 and read back
            variants = [("update", 0x00 | tcp_bit), ("update", 0x21 | tcp_bit)]
        else:
            # the answer harness: MISS, UDP 1232 / TCP; the update harness sees
            # the SOA discovery queries too
            variants = [("answer", 0x08 | (0x04 if proto == "tcp" else 0)),
                        ("update", tcp_bit)]
        for kind, flags in variants:
            data = bytes([flags]) + wire
            digest = hashlib.sha1(data).hexdigest()[:10]
            d = out / kind
            d.mkdir(parents=True, exist_ok=True)
            n = counts.get((kind, label), 0)
            counts[(kind, label)] = n + 1
            path = d / f"{label}-{n:02d}-{digest}.bin"
            if not any(d.glob(f"*-{digest}.bin")):
                path.write_bytes(data)
    return counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lego", action="store_true", help="also run lego against pebble")
    ap.add_argument("--out", default=str(HERE / "corpus"))
    args = ap.parse_args()
    out = Path(args.out)

    acl = "key: [k1, k2]\naction: update"
    zones = [Zone(z, records=RECORDS, options={"acl": "[ upd ]"}) for z in (ALIAS, DELEG)]
    k = Knotd(zones, extra_conf=ddns_conf([K1, K2], acls={"upd": acl}))
    requests = []
    try:
        k.start()
        proxy = Proxy(k.port)
        print("nsupdate / knsupdate")
        capture_nsupdate(proxy)
        capture_batches(proxy)
        print("certbot")
        capture_certbot(proxy)
        print("queries")
        capture_queries(proxy)
        proxy.close()
        requests += proxy.requests
    finally:
        k.cleanup()
    if args.lego:
        print("lego")
        proxy = capture_lego(Proxy)
        if proxy is not None:
            requests += proxy.requests

    counts = save(requests, out)
    total = sum(counts.values())
    print(f"{len(requests)} requests captured, {total} corpus files under {out}")


if __name__ == "__main__":
    main()
