"""Several knotd nodes sharing one Redis store (the Redis/Valkey backend):
the shape issue 13 asks for, used by tests/integration/test_redis_cluster.py, the
e2e suite and bench.

  Cluster   a RedisGroup (primary with AOF, replicas, optionally Sentinels)
            and NODES knotd nodes on their own 127.0.0.1 ports, each with
            mod-acme writing to the primary (`redis`, or the Sentinels) and
            reading where it is told (`redis-read`: by default node i reads
            server i of the group, so with two replicas node 1 reads the
            primary on its host and nodes 2 and 3 their own replica), over
            the servers' UNIX sockets
  update()  one RFC 2136 UPDATE with dnspython (TSIG), its rcode
  txt()     the TXT strings a node answers for a name
  ClusterAcmeEnv  acmetest.acme's end-to-end topology with the cluster in
            place of the one acme knotd: unbound knows the three nodes as
            the challenge zones' nameservers and picks one per query

Everything is stopped by Cluster.stop()/cleanup(), whatever happened.
"""

import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.update

from acmetest import acme
from acmetest.ddns import DdnsKnotd, TsigKey, ddns_conf
from acmetest.knotd import HOST, Knotd, Zone, remove_dir, stop_each
from acmetest.redis import MASTER, RedisGroup
from acmetest.unbound import Unbound

NODES = 3
#: The module's items that select and tune the Redis backend (mod-acme.rst).
REDIS_ITEM = "redis"
READ_ITEM = "redis-read"
REPLICAS_ITEM = "redis-replicas"
TIMEOUT_ITEM = "redis-timeout"
SENTINELS_ITEM = "redis-sentinel"
MASTER_ITEM = "redis-sentinel-master"


def redis_items(group: RedisGroup, read: Optional[str], replicas: int, timeout_ms: int,
                sentinel: bool = False) -> Dict[str, object]:
    """A mod-acme instance's items for the Redis backend of group."""
    items: Dict[str, object] = {REPLICAS_ITEM: replicas, TIMEOUT_ITEM: timeout_ms}
    if sentinel:
        items[SENTINELS_ITEM] = "[ " + ", ".join(s.address for s in group.sentinels) + " ]"
        items[MASTER_ITEM] = MASTER
    else:
        items[REDIS_ITEM] = group.primary.address
    if read is not None:
        items[READ_ITEM] = read
    return items


class Cluster:
    """NODES knotd nodes over one RedisGroup.

    zones        [Zone] every node serves (their module: mod-acme/<instance>)
    instances    {instance id: extra items (lifetime, max-ttl, redis-replicas, ...)}
    keys, acls   TSIG keys and acls (acmetest.ddns.ddns_conf) every node has
    replicas     Redis replicas; sentinels: Sentinels (then the nodes find
                 the primary through them)
    reads        the group's server index each node reads (default: node i
                 reads server i, wrapping round)
    """

    def __init__(self, zones: Sequence[Zone], instances: Dict[str, dict],
                 keys: Sequence[TsigKey] = (), acls: Optional[Dict[str, str]] = None,
                 replicas: int = 2, sentinels: int = 0, nodes: int = NODES,
                 redis_replicas: int = 1, timeout_ms: int = 500,
                 reads: Optional[Sequence[int]] = None, extra_conf: str = "",
                 workdir: Optional[str] = None, workers: int = 2):
        self.dir = Path(workdir or tempfile.mkdtemp(prefix="knot-acme-cluster-"))
        self.group = RedisGroup(replicas=replicas, sentinels=sentinels,
                                workdir=str(self.dir / "redis"))
        self.sentinel = sentinels > 0
        servers = self.group.servers
        self.reads = list(reads) if reads is not None else \
            [i % len(servers) for i in range(nodes)]
        conf = ddns_conf(keys, acls) + extra_conf
        self.nodes: List[DdnsKnotd] = []
        for i in range(nodes):
            conf_items = {}
            for iid, items in instances.items():
                mine = dict(items)
                reps = mine.pop(REPLICAS_ITEM, redis_replicas)
                conf_items[iid] = {**mine, **redis_items(
                    self.group, servers[self.reads[i]].sock, reps, timeout_ms, self.sentinel)}
            self.nodes.append(DdnsKnotd(list(zones), acme=conf_items, extra_conf=conf,
                                        workdir=str(self.dir / f"node{i + 1}"),
                                        workers=workers))

    def start(self):
        try:
            self.group.start()
            for n in self.nodes:
                n.start_retrying()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        for n in self.nodes:
            try:
                n.stop()
            except Exception:  # keep stopping the others
                pass
        self.group.stop()

    def cleanup(self):
        stop_each(self.nodes, "cleanup")
        self.group.cleanup()
        remove_dir(self.dir)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()
        return False

    def read_server(self, node: int):
        """The Redis server node (0-based) reads."""
        return self.group.servers[self.reads[node]]

    def diagnostics(self) -> str:
        return "\n".join([n.diagnostics(30) for n in self.nodes] + [self.group.diagnostics()])


# -- clients --------------------------------------------------------------------

def update(port: int, zone: str, key: TsigKey, adds=(), deletes=(), delete_all=(),
           ttl: int = 60, tcp: bool = False, timeout: float = 5.0) -> int:
    """Sends one UPDATE (dnspython, TSIG-signed) to 127.0.0.1@port; returns
    its rcode.  adds/deletes: (name, value) pairs; delete_all: names."""
    msg = dns.update.UpdateMessage(zone, keyring=key.keyring(), keyname=key.name,
                                   keyalgorithm=key.algorithm)
    for name, value in adds:
        msg.add(name, ttl, "TXT", f'"{value}"')
    for name, value in deletes:
        msg.delete(name, "TXT", f'"{value}"')
    for name in delete_all:
        msg.delete(name, "TXT")
    send = dns.query.tcp if tcp else dns.query.udp
    return send(msg, HOST, port=port, timeout=timeout).rcode()


def txt(node, name: str, tcp: bool = False):
    """(rcode, sorted TXT strings) node answers for name."""
    q = dns.message.make_query(name, "TXT")
    send = dns.query.tcp if tcp else dns.query.udp
    msg = send(q, HOST, port=node.port, timeout=5.0)
    values = sorted(b"".join(rd.strings).decode() for rr in msg.answer
                    if rr.rdtype == dns.rdatatype.TXT for rd in rr)
    return msg.rcode(), values


# -- the end-to-end topology over a cluster ----------------------------------------

class ClusterAcmeEnv(acme.AcmeEnv):
    """acmetest.acme.AcmeEnv with three nodes for the challenge zones:

    main knotd   example.com (plain Knot): _acme-challenge NS the three nodes
                 (delegation setup); _acme-challenge.www and .api CNAME into
                 auth.example.net (alias setup)
    cluster      three knotd nodes with mod-acme on one Redis group (primary,
                 two replicas; node i reads server i), every TSIG key and acl
                 of AcmeEnv on each
    unbound      the CA's resolver, stub zones listing the three nodes: it
                 picks one for each query
    pebble       validating through unbound

    Unsigned only: a signed challenge zone would need the same keys on every
    node (online signing with shared keys), which is not set up here.
    run_certbot/run_lego take it as they take AcmeEnv (pass server=node).
    """

    def __init__(self, workdir: Optional[str] = None):
        # Not AcmeEnv.__init__: its one acme knotd is the cluster here.
        self.dir = Path(workdir or tempfile.mkdtemp(prefix="knot-acme-e2e-cluster-"))
        self.signed = False
        self.secrets = {key: acme.secret() for key in acme.KEYS}
        main = acme.MAIN_RECORDS.replace(
            "_acme-challenge      NS     acme-ns1.example.net.\n",
            "".join(f"_acme-challenge      NS     acme-ns{i + 1}.example.net.\n"
                    for i in range(NODES)))
        main += "_acme-challenge.api  CNAME  api.example.com.auth.example.net.\n"
        self.main = Knotd([Zone(acme.MAIN_ZONE, module=None, records=main)], acme={},
                               load_module=False, workdir=str(self.dir / "main"))
        records = acme.CHALLENGE_RECORDS + "".join(
            f"@        NS   acme-ns{i + 1}.example.net.\n" for i in range(1, NODES))
        zones = [Zone(zone, records=records, options={"acl": "[" + ", ".join(keys) + "]"})
                 for zone, keys in acme.ZONE_ACLS.items()]
        self.cluster = Cluster(zones, {"default": dict(acme.ACME_SETTINGS)},
                               extra_conf=self._auth_conf(),
                               workdir=str(self.dir / "cluster"))
        self.nodes = self.cluster.nodes
        self.acme = self.nodes[0]
        self.unbound = None
        self.pebble = None
        self.tls: Dict[str, Path] = {}

    def start(self):
        try:
            self.cluster.start()
            self.main.start()
            ports = [n.port for n in self.nodes]
            self.unbound = Unbound(self.dir / "unbound", {
                acme.MAIN_ZONE: self.main.port,
                acme.DELEG_ZONE: ports,
                acme.ALIAS_ZONE: ports,
            }, None, strict=True).start(acme.MAIN_ZONE)
            self.tls = acme.make_tls(self.dir / "tls")
            self.pebble = acme.Pebble(self.dir / "pebble", self.tls, self.unbound.port).start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        stop_each((self.pebble, self.unbound, self.cluster, self.main))

    def cleanup(self):
        self.stop()
        self.cluster.cleanup()
        remove_dir(self.dir)

    def diagnostics(self) -> str:
        parts = [self.cluster.diagnostics(), self.main.diagnostics()]
        parts += [p.diagnostics() for p in (self.unbound, self.pebble) if p is not None]
        return "\n".join(parts)

    def answered(self) -> List[int]:
        """TXT answers each node synthesized so far (mod-acme's counter)."""
        out = []
        for n in self.nodes:
            total = 0
            for zone in (z.name for z in n.zones):
                total += n.zone_stats(zone).get("synthesized", 0)
            out.append(total)
        return out

    def live_keys(self) -> List[bytes]:
        """Value keys left on the primary (ACME clients delete theirs)."""
        return self.cluster.group.keys(self.cluster.group.current_primary(), "acme:v:*")


__all__ = ["Cluster", "ClusterAcmeEnv", "NODES", "redis_items", "update", "txt", "dns"]
