"""Knot is the oracle: mod-acme's DDNS against Knot's native DDNS.

Twin knotds serve the same zones with the same keys, remotes and acls: the
"native" one without mod-acme (Knot's own DDNS writes the zone), the
"module" one with mod-acme on every zone (strict off, long lifetime,
max-records at its maximum), so that the same UPDATE, byte for byte, goes to
both.  For every update the rcode, the TSIG error and whether the reply is
signed must be equal, and so must the resulting TXT RRsets (sets of rdata,
TTLs not compared).

(a) acl table: every acl item (address, key, remote, remotes, deny, action,
    update-type, update-owner key/zone/name, update-owner-match,
    update-owner-name relative/absolute) x keys (right, upper case, wrong
    secret, wrong algorithm, other known, unknown, none, clock skew) x
    sources (127.0.0.1, 127.0.0.2) x owners and types;
(b) seeded random sequences of updates with prerequisites of every kind:
    fixed seeds (the same coverage on every run) and one extra seed drawn
    anew each run, printed; DIFF_SEED=<n> replays that one (DIFF_STEPS
    changes the length);
(c) hand-picked edge cases of RFC 2136 processing order.

Zones hold SOA, NS and the NS name's A only: the module sees the apex records
of its zone but not other static nodes, so the names updated here are never
given static data.
"""

import os
import random
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import dns.name
import dns.rdataclass
import dns.rdatatype
import pytest

from acmetest.ddns import (DdnsKnotd, MINIMAL_RECORDS, RR, TsigKey, add, attached, build_update,
                           ddns_conf, del_rrset, del_value, make_update, nxdomain, nxrrset, rebase,
                           serving, tsig_sign, txt_rdata, value_rr, yxdomain, yxrrset)
from acmetest.knotd import DENIED_TSIG_ERROR, MOD_ACME_SO, TSIG_TRUNCATION, Zone

A, TXT, NS, SOA, ANY = (dns.rdatatype.A, dns.rdatatype.TXT, dns.rdatatype.NS,
                        dns.rdatatype.SOA, dns.rdatatype.ANY)
IN, NONE, CLS_ANY = dns.rdataclass.IN, dns.rdataclass.NONE, dns.rdataclass.ANY

K1 = TsigKey.make("k1")
K2 = TsigKey.make("k2", "hmac-sha512")
K3 = TsigKey.make("k3")

#: Zones whose acl uses update-owner: key, with a key named inside the zone.
OWNER_KEY_ZONES = {
    "okey-eq.test": "equal",
    "okey-sub.test": "sub",
    "okey-subeq.test": "sub-or-equal",
}
OWNER_KEYS = {z: TsigKey.make(f"w.{z}") for z in OWNER_KEY_ZONES}

ACLS = {
    "allow_k1": "key: k1\naction: update",
    "allow_any": "action: update",
    "deny_all": "action: update\ndeny: on",
    "allow_k1_txt": "key: k1\naction: update\nupdate-type: TXT",
    "allow_k1_a": "key: k1\naction: update\nupdate-type: A",
    "allow_k1_txt_a": "key: k1\naction: update\nupdate-type: [ A, TXT ]",
    "k1_zone_eq": "key: k1\naction: update\nupdate-owner: zone\nupdate-owner-match: equal",
    "k1_zone_sub": "key: k1\naction: update\nupdate-owner: zone\nupdate-owner-match: sub",
    "k1_zone_subeq": "key: k1\naction: update\nupdate-owner: zone",
    "k1_name_rel_sub": ("key: k1\naction: update\nupdate-owner: name\n"
                        "update-owner-name: www\nupdate-owner-match: sub"),
    "k1_name_rel_subeq": "key: k1\naction: update\nupdate-owner: name\n"
                         "update-owner-name: [ mail, www ]",
    "k1_name_rel_eq": ("key: k1\naction: update\nupdate-owner: name\n"
                       "update-owner-name: [ _acme-challenge.www, mail ]\n"
                       "update-owner-match: equal"),
    "k1_name_abs": ("key: k1\naction: update\nupdate-owner: name\n"
                    "update-owner-name: [ www.name-abs.test., MAIL.NAME-ABS.TEST. ]\n"
                    "update-owner-match: equal"),
    "k1_name_abs_other": ("key: k1\naction: update\nupdate-owner: name\n"
                          "update-owner-name: [ www.elsewhere.test. ]"),
    "k1_name_none": "key: k1\naction: update\nupdate-owner: name",
    "k1_owner_key": "key: k1\naction: update\nupdate-owner: key",
    "any_owner_key_eq": "action: update\nupdate-owner: key\nupdate-owner-match: equal",
    "k1_owner_key_txt": "key: k1\naction: update\nupdate-owner: key\nupdate-type: TXT",
    "r_here": "remote: r_here\naction: update",
    "r_here_nokey": "remote: r_here_nokey\naction: update",
    "r_other": "remote: r_other\naction: update",
    "r_grp": "remote: grp\naction: update",
    "r_two": "remote: [ r_other, r_here ]\naction: update",
    "r_lo2": "remote: r_lo2\naction: update",
    "r_lo2_deny": "remote: r_lo2\naction: update\ndeny: on",
    "addr2_k1": "address: 127.0.0.2\nkey: k1\naction: update",
    "addr1_k1": "address: 127.0.0.1\nkey: k1\naction: update",
    "addr_net": "address: 127.0.0.0/30\naction: update",
    "addr_net_k1": "address: 127.0.0.0/8\nkey: k1\naction: update",
    "addr_range1": "address: 127.0.0.1-127.0.0.1\nkey: [ k3, k1 ]\naction: update",
    "addr_deny2": "address: 127.0.0.2\naction: update\ndeny: on",
    "k1_noaction": "key: k1",
    "k1_transfer": "key: k1\naction: [ transfer, notify ]",
    "k1_deny_txt": "key: k1\naction: update\ndeny: on\nupdate-type: TXT",
    "k1_deny_a": "key: k1\naction: update\ndeny: on\nupdate-type: A",
    "k1_deny_www": ("key: k1\naction: update\ndeny: on\nupdate-owner: name\n"
                    "update-owner-name: www"),
    "allow_k2": "key: k2\naction: [ transfer, update ]",
    "multi_k": "key: [ k2, k1 ]\naction: update",
    "deny_k1": "key: k1\naction: update\ndeny: on",
    "deny_nokey": "action: update\ndeny: on\naddress: 127.0.0.1",
}
for _z, _m in OWNER_KEY_ZONES.items():
    ACLS[f"owner_key_{_m}"] = (f"key: {OWNER_KEYS[_z].id}\naction: update\n"
                               f"update-owner: key\nupdate-owner-match: {_m}")

#: Zone name -> acl list.
CONFIGS: Dict[str, List[str]] = {}


def _cfg(zone, *acls):
    CONFIGS[zone] = list(acls)


_cfg("no-acl.test")
for _i, _acls in enumerate([
        ["allow_k1"], ["allow_any"], ["deny_all", "allow_k1"], ["allow_k1", "deny_all"],
        ["allow_k1_txt"], ["allow_k1_a"], ["allow_k1_txt_a"], ["k1_zone_eq"],
        ["k1_zone_sub"], ["k1_zone_subeq"], ["k1_name_rel_sub"], ["k1_name_rel_subeq"],
        ["k1_name_rel_eq"], ["k1_name_abs_other"], ["k1_name_none"],
        ["k1_owner_key"], ["any_owner_key_eq"], ["k1_owner_key_txt", "allow_k1_a"],
        ["r_here"], ["r_here_nokey"], ["r_other"], ["r_grp"], ["r_two"], ["r_lo2"],
        ["r_lo2_deny", "allow_k1"], ["r_lo2_deny", "allow_any"], ["addr2_k1"],
        ["addr1_k1"], ["addr_net"], ["addr_net_k1"], ["addr_range1"],
        ["addr_deny2", "allow_any"], ["k1_noaction", "allow_k1"], ["k1_noaction"],
        ["k1_transfer", "allow_any"], ["k1_transfer"], ["k1_deny_txt", "allow_k1"],
        ["k1_deny_a", "allow_k1"], ["k1_deny_www", "allow_k1"], ["allow_k2"],
        ["multi_k"], ["deny_k1", "allow_any"], ["allow_any", "deny_k1"],
        ["allow_any", "allow_k1"], ["k1_transfer", "allow_k1"], ["deny_nokey", "allow_any"],
        ["allow_k1_a", "allow_k1_txt"]]):
    _cfg(f"c{_i}.test", *_acls)
_cfg("name-abs.test", "k1_name_abs")
for _z, _m in OWNER_KEY_ZONES.items():
    _cfg(_z, f"owner_key_{_m}")

RAND_ZONE = "rand.test"
EDGE_ZONE = "edge.test"
_cfg(RAND_ZONE, "allow_k1")
_cfg(EDGE_ZONE, "allow_k1")

REMOTES = {
    "r_here": "address: 127.0.0.1@53\nkey: k1",
    "r_here_nokey": "address: 127.0.0.1",
    "r_other": "address: [ 127.0.0.9, ::1 ]\nkey: k1",
    "r_lo2": "address: 127.0.0.2",
}
REMOTE_GROUPS = {"grp": "[ r_other, r_here ]"}

SRC2 = "127.0.0.2"


def _conf() -> str:
    keys = [K1, K2, K3] + list(OWNER_KEYS.values())
    return ddns_conf(keys, acls=ACLS, remotes=REMOTES, remote_groups=REMOTE_GROUPS)


def _zones(module: bool) -> List[Zone]:
    out = []
    for zone, acls in CONFIGS.items():
        opts = {"acl": "[ " + ", ".join(acls) + " ]"} if acls else {}
        out.append(Zone(zone, module="mod-acme/diff" if module else None,
                        records=MINIMAL_RECORDS, options=opts))
    return out


@dataclass
class Twins:
    native: DdnsKnotd
    module: DdnsKnotd

    def send(self, wire: bytes, tcp: bool = False, source: str = "127.0.0.1"):
        return (self.native.send(wire, tcp=tcp, source=source),
                self.module.send(wire, tcp=tcp, source=source))

    def txt(self, name: str) -> Tuple[frozenset, frozenset]:
        return self.native.txt(name), self.module.txt(name)

    def claimed(self, zone: str) -> int:
        """UPDATEs the module answered in zone (a differential in which the
        module answered nothing would compare Knot with itself)."""
        return self.module.zone_stats(zone).get("update", 0)

    def module_serial(self, zone: str) -> int:
        return self.module.query(zone + ".", "SOA").answer[0][0].serial


@pytest.fixture(scope="module")
def twins():
    if not os.path.isfile(MOD_ACME_SO):
        pytest.fail(f"mod-acme.so not found at {MOD_ACME_SO}")
    acme = {"diff": {"lifetime": 86400, "max-ttl": 300, "max-records": 1000,
                     "strict": False}}
    native = DdnsKnotd(_zones(False), acme={}, load_module=False, extra_conf=_conf(),
                       listen_extra=[SRC2])
    module = DdnsKnotd(_zones(True), acme=acme, extra_conf=_conf(), listen_extra=[SRC2])
    yield from serving(native, module, value=Twins(native, module))


@pytest.fixture
def tw(twins, request):
    yield from attached(request, twins.native, twins.module, value=twins)


def summary(reply):
    return None if reply is None else reply.summary()


# -- (a) acl table ----------------------------------------------------------------

KEY_VARIANTS = {
    None: None,
    "k1": K1,
    "K1": K1.with_name("K1"),
    "k1_bad_secret": K1.with_secret(K2.secret),
    "k1_alg512": K1.with_algorithm("hmac-sha512"),
    "k2": K2,
    "k3": K3,
    "unknown": TsigKey.make("nokey"),
}


@dataclass
class Case:
    key: Optional[str]
    rrs: List[Tuple[str, str]]            # (relative owner, op)
    source: str = "127.0.0.1"
    skew: int = 0
    tcp: bool = False

    def __str__(self):
        return (f"key={self.key} src={self.source} skew={self.skew} tcp={self.tcp} "
                f"rrs={self.rrs}")


def acl_cases(zone: str) -> List[Case]:
    out = []
    keys = list(KEY_VARIANTS)
    if zone in OWNER_KEYS:
        keys.append("owner")
    for src in ("127.0.0.1", SRC2):
        for key in keys:
            out.append(Case(key, [("_acme-challenge.www", "add")], src))
            out.append(Case(key, [("w", "add")], src, tcp=True))
        out.append(Case("k1", [("www", "add")], src, skew=3600))
        out.append(Case("k1_bad_secret", [("www", "add")], src, skew=-3600))
    rr_lists = [
        # Not TXT-only: Knot's own DDNS on both sides, which writes the TXT of a mixed
        # update into the zone; those owners are kept apart from the TXT-only ones.
        [("h.www", "addA")], [("m.www", "add"), ("m.www", "addA")],
        [("@", "add")], [("www", "add")],
        [("a.www", "add")], [("mail", "add")], [("WWW", "add")], [("a.k1.", "add")],
        [("k1.", "add")], [("a.b.www", "add"), ("mail", "add")], [("www", "del")],
        [("www", "delall")], [("_acme-challenge.www", "del"), ("mail", "delall")],
        [("w", "add")], [("a.w", "add")], [("W", "del")], [("x.w", "add"), ("w", "add")],
        [("www.elsewhere.test.", "add")], [("mail", "add"), ("a.k1.", "add")],
    ]
    for key in [None, "k1"] + (["owner"] if zone in OWNER_KEYS else []):
        for rrs in rr_lists:
            out.append(Case(key, rrs, tcp=len(rrs) > 1))
    return out


def build_case(zone: str, case: Case, serial: int):
    updates = []
    for rel, op in case.rrs:
        name = rebase(rel, zone)
        if op == "add":
            updates.append(add(name, f"val-{serial}", ttl=60))
        elif op == "addA":
            updates.append(RR(name, A, IN, 60, bytes([192, 0, 2, serial % 250 + 1])))
        elif op == "del":
            updates.append(del_value(name, f"val-{serial - 1}"))
        elif op == "delall":
            updates.append(del_rrset(name))
    key = OWNER_KEYS[zone] if case.key == "owner" else KEY_VARIANTS[case.key]
    wire = build_update(zone, updates=updates)
    if key is not None:
        wire, _ = tsig_sign(wire, key, int(time.time()) + case.skew)
    return wire, {rebase(rel, zone) for rel, _ in case.rrs}


ACL_ZONES = [z for z in CONFIGS if z not in (RAND_ZONE, EDGE_ZONE)]


def test_acl_table_matches_knot(tw):
    failures = []
    total = accepted = 0
    outcomes = set()
    for zone in ACL_ZONES:
        claimed_before = tw.claimed(zone)
        txt_only = 0
        for serial, case in enumerate(acl_cases(zone)):
            txt_only += all(op != "addA" for _, op in case.rrs)
            wire, owners = build_case(zone, case, serial)
            n, m = tw.send(wire, tcp=case.tcp, source=case.source)
            total += 1
            outcomes.add(summary(n))
            if summary(n) != summary(m):
                failures.append(f"{zone} acl={CONFIGS[zone]} {case}: "
                                f"native={summary(n)} module={summary(m)}")
                continue
            if n is not None and n.rcode_text == "NOERROR":
                accepted += 1
            for owner in owners:
                if owner.endswith(zone + ".") or owner.lower().endswith(zone + "."):
                    a, b = tw.txt(owner)
                    if a != b:
                        failures.append(f"{zone} acl={CONFIGS[zone]} {case}: TXT at "
                                        f"{owner} native={sorted(a)} module={sorted(b)}")
        claimed = tw.claimed(zone) - claimed_before
        if claimed != txt_only:
            failures.append(f"{zone}: the module answered {claimed} of {txt_only} "
                            f"TXT-only updates")
    assert not failures, f"{len(failures)}/{total} differences:\n" + "\n".join(failures[:40])
    # The table must exercise every outcome it is meant to cover.
    for expected in [("NOERROR", "NOERROR", True), ("NOTAUTH", None, False),
                     ("NOTAUTH", DENIED_TSIG_ERROR, False), ("NOTAUTH", "BADSIG", False),
                     ("NOTAUTH", "BADTIME", True), ("NOTZONE", "NOERROR", True)]:
        assert expected in outcomes, (expected, outcomes)
    assert accepted > 100, accepted


# -- (b) random sequences ---------------------------------------------------------

NAMES = ["@", "a", "b", "x.a", "y.x.a", "_acme-challenge.www", "c.b"]
VALUES = [("v0",), ("v1",), ("v2",), ("V1",), ("v3",), ("a b",), ("",), ("x", "y"),
          ("q\"uote",), ("v1", "v2")]
OUTSIDE = ["a.example.org.", "rand.test.example.", "test.", "xrand.test."]


def _rand_case(rng: random.Random, name: str) -> str:
    """Random case of a name (owner names are case-insensitive)."""
    return "".join(c.upper() if rng.random() < 0.3 else c for c in name)


class RandomUpdates:
    def __init__(self, seed: int, zone: str, state_of):
        self.rng = random.Random(seed)
        self.zone = zone
        self.state_of = state_of     # name -> current native TXT set

    def owner(self, outside_p=0.0) -> str:
        r = self.rng
        if r.random() < outside_p:
            return r.choice(OUTSIDE)
        return _rand_case(r, rebase(r.choice(NAMES), self.zone))

    def value(self):
        return self.rng.choice(VALUES)

    def prereq(self) -> RR:
        r = self.rng
        kind = r.choices(["yxrrset", "nxrrset", "yxdomain", "nxdomain", "value_cur",
                          "value_rand", "type_other", "apex_ns", "formerr", "notzone"],
                         [3, 3, 3, 3, 4, 2, 1.5, 1, 0.4, 0.3])[0]
        name = self.owner()
        if kind == "yxrrset":
            return yxrrset(name)
        if kind == "nxrrset":
            return nxrrset(name)
        if kind == "yxdomain":
            return yxdomain(name)
        if kind == "nxdomain":
            return nxdomain(name)
        if kind in ("value_cur", "value_rand"):
            # Value-dependent; one RR per value, merged by the server.
            if kind == "value_cur":
                vals = sorted(self.state_of(name))
                if vals and r.random() < 0.2:
                    vals = vals[:-1]
            else:
                vals = [self.value() for _ in range(r.randint(1, 3))]
            if not vals:
                vals = [self.value()]
            return [value_rr(name, *v) for v in vals]
        if kind == "type_other":
            t = r.choice([A, SOA, NS])
            target = r.choice([name, rebase("@", self.zone)])
            return (yxrrset if r.random() < 0.5 else nxrrset)(target, t)
        if kind == "apex_ns":
            ns = dns.name.from_text(rebase("ns", self.zone)).to_wire()
            if r.random() < 0.3:
                ns = dns.name.from_text("ns.example.org.").to_wire()
            return RR(rebase("@", self.zone), NS, IN, 0, ns)
        if kind == "formerr":
            return r.choice([RR(name, TXT, CLS_ANY, 5), RR(name, ANY, NONE, 1),
                             RR(name, TXT, CLS_ANY, 0, txt_rdata("x")),
                             RR(name, TXT, NONE, 0, txt_rdata("x")),
                             RR(name, TXT, dns.rdataclass.CH, 0, txt_rdata("x"))])
        return yxrrset(r.choice(OUTSIDE))

    def update_rr(self) -> RR:
        r = self.rng
        kind = r.choices(["add", "del", "delall", "formerr", "outside"],
                         [5, 3, 1.5, 0.25, 0.25])[0]
        name = self.owner()
        if kind == "add":
            return add(name, *self.value(), ttl=r.choice([0, 1, 60, 300, 3600]))
        if kind == "del":
            if r.random() < 0.6:
                cur = sorted(self.state_of(name))
                if cur:
                    return del_value(name, *r.choice(cur))
            return del_value(name, *self.value())
        if kind == "delall":
            return del_rrset(name)
        if kind == "formerr":
            return r.choice([del_value(name, *self.value(), ttl=30),
                             del_rrset(name, rdata=txt_rdata("x")),
                             RR(name, TXT, dns.rdataclass.CH, 60, txt_rdata("x")),
                             RR(name, TXT, NONE, 0, b"")])
        return add(r.choice(OUTSIDE), *self.value())

    def next(self) -> Tuple[List[RR], List[RR]]:
        r = self.rng
        prereqs: List[RR] = []
        if r.random() < 0.4:
            for _ in range(r.randint(1, 3)):
                p = self.prereq()
                prereqs += p if isinstance(p, list) else [p]
        updates = [self.update_rr() for _ in range(r.choices([1, 2, 3, 4, 6],
                                                             [5, 3, 2, 1, 0.5])[0])]
        return prereqs, updates


def _describe(prereqs, updates) -> str:
    def rr(x):
        cls = dns.rdataclass.to_text(x.rclass)
        typ = dns.rdatatype.to_text(x.rtype)
        return f"{x.owner} {x.ttl} {cls} {typ} {x.rdata!r}"
    return ("prereqs=[" + "; ".join(rr(p) for p in prereqs) + "] updates=["
            + "; ".join(rr(u) for u in updates) + "]")


def _all_state(tw, zone):
    out = []
    for rel in NAMES:
        name = rebase(rel, zone)
        a, b = tw.txt(name)
        if a != b:
            out.append(f"{name}: native={sorted(a)} module={sorted(b)}")
    return out


RANDOM_STEPS = int(os.environ.get("DIFF_STEPS", "500"))


#: Seeds run every time; together they reach every rcode the test asks for.
FIXED_SEEDS = [2136, 8555, 1035]


def _extra_seed() -> int:
    """The extra seed: DIFF_SEED to replay one, else a new one each run."""
    if os.environ.get("DIFF_SEED"):
        return int(os.environ["DIFF_SEED"])
    return random.SystemRandom().randrange(2**32)


EXTRA_SEED = _extra_seed()


@pytest.mark.parametrize("seed", [pytest.param(s, id=f"seed{s}") for s in FIXED_SEEDS]
                         + [pytest.param(EXTRA_SEED, id="extra")])
def test_random_sequence_matches_knot(tw, seed):
    print(f"DIFF_SEED={seed} DIFF_STEPS={RANDOM_STEPS}")
    zone = RAND_ZONE
    # Start from an empty state on both sides (the test may be re-run in one session).
    wipe = [del_rrset(rebase(n, zone)) for n in NAMES]
    for tcp in (False,):
        n, m = tw.send(make_update(zone, updates=wipe, key=K1).wire, tcp=tcp)
        assert summary(n) == summary(m) == ("NOERROR", "NOERROR", True)
    claimed_before = tw.claimed(zone)
    serial_before = tw.module_serial(zone)
    gen = RandomUpdates(seed, zone, lambda name: tw.native.txt(name))
    rcodes = {}
    history = []
    for step in range(RANDOM_STEPS):
        prereqs, updates = gen.next()
        tcp = gen.rng.random() < 0.3
        wire = build_update(zone, prereqs, updates, msg_id=step)
        wire, _ = tsig_sign(wire, K1)
        n, m = tw.send(wire, tcp=tcp)
        desc = _describe(prereqs, updates)
        history.append(f"{step}: {summary(n)} {desc}")
        where = f"replay with DIFF_SEED={seed} DIFF_STEPS={RANDOM_STEPS}: step {step} tcp={tcp}: {desc}"
        assert summary(n) == summary(m), \
            f"{where}\nnative={summary(n)} module={summary(m)}\n" + "\n".join(history[-10:])
        rcodes[n.rcode_text] = rcodes.get(n.rcode_text, 0) + 1
        if step % 10 == 9 or step == RANDOM_STEPS - 1:
            diffs = _all_state(tw, zone)
            assert not diffs, f"{where}\nstate differs:\n" + "\n".join(diffs) \
                + "\nrecent:\n" + "\n".join(history[-10:])
    print("rcodes:", rcodes)
    # Every update was TXT-only: the module answered all of them, and Knot's
    # own DDNS never touched the module's zone.
    assert tw.claimed(zone) - claimed_before == RANDOM_STEPS
    assert tw.module_serial(zone) == serial_before
    # The sequence must reach every outcome of the comparison.
    for rc in ("NOERROR", "NXRRSET", "YXRRSET", "NXDOMAIN", "YXDOMAIN", "FORMERR", "NOTZONE"):
        assert rcodes.get(rc, 0) > 0, (rc, rcodes, seed)
    assert rcodes["NOERROR"] > RANDOM_STEPS // 4, rcodes


# -- (c) edge cases ---------------------------------------------------------------

def _edge(tw, prereqs, updates, state_names, tcp=False):
    wire, _ = tsig_sign(build_update(EDGE_ZONE, prereqs, updates), K1)
    n, m = tw.send(wire, tcp=tcp)
    assert summary(n) == summary(m), (_describe(prereqs, updates), summary(n), summary(m))
    for name in state_names:
        a, b = tw.txt(name)
        assert a == b, (name, sorted(a), sorted(b))
    return n


E = lambda rel: rebase(rel, EDGE_ZONE)  # noqa: E731


EDGE_CASES = {
    # Update RRs are processed in order: add then delete in one message.
    "add_then_delete_value": ([], [add(E("e1"), "v"), del_value(E("e1"), "v")]),
    "delete_then_add_value": ([], [del_value(E("e2"), "v"), add(E("e2"), "v")]),
    "add_then_delete_rrset": ([], [add(E("e3"), "v"), add(E("e3"), "w"), del_rrset(E("e3"))]),
    "delete_rrset_then_add": ([], [del_rrset(E("e3")), add(E("e3"), "z")]),
    "same_value_twice": ([], [add(E("e4"), "v"), add(E("e4"), "v", ttl=5)]),
    # The first failing RR decides the rcode.
    "notzone_before_formerr": ([], [add("a.example.org.", "v"), del_value(E("e5"), "v", ttl=1)]),
    "formerr_before_notzone": ([], [del_value(E("e5"), "v", ttl=1), add("a.example.org.", "v")]),
    # Prerequisites come first, in order; value sets are checked after the others.
    "prereq_before_update_error": ([nxdomain(E("@"))], [add("a.example.org.", "v")]),
    "prereq_notzone_first": ([yxdomain("example.org."), nxdomain(E("@"))], [add(E("e6"), "v")]),
    "prereq_order_yx_nx": ([nxrrset(E("@"), SOA), yxdomain(E("nothere"))], [add(E("e6"), "v")]),
    "prereq_value_after_others": ([value_rr(E("e7"), "nope"), nxdomain(E("@"))],
                                  [add(E("e6"), "v")]),
    "prereq_ttl_before_zone": ([RR("example.org.", TXT, CLS_ANY, 7)], [add(E("e6"), "v")]),
    "prereq_value_case_insensitive_owner": ([value_rr(E("e8"), "v")], [add(E("e8"), "w")]),
    # Prerequisites see the state before the update.
    "prereq_sees_old_state": ([nxrrset(E("e9"))], [add(E("e9"), "v"), add(E("e9"), "w")]),
    "prereq_after_add": ([yxrrset(E("e9")), value_rr(E("e9"), "v"), value_rr(E("e9"), "w")],
                         [del_value(E("e9"), "v")]),
    # Empty non-terminals are not "in use".
    "ent_not_in_use": ([yxdomain(E("b.e10"))], [add(E("a.b.e10"), "v")]),
    "ent_add_below": ([], [add(E("a.b.e10"), "v")]),
    "ent_nxdomain_ok": ([nxdomain(E("b.e10"))], [add(E("c.e10"), "v")]),
    "apex_in_use": ([yxdomain(E("@")), nxrrset(E("@"), TXT)], [add(E("@"), "apex")]),
    "apex_txt_exists": ([yxrrset(E("@"), TXT), value_rr(E("@"), "apex")],
                        [del_rrset(E("@"))]),
    # Class NONE deletion of a value not present, class ANY deletion of nothing.
    "delete_missing": ([], [del_value(E("none"), "v"), del_rrset(E("none2"))]),
    # TXT with several strings, empty strings, binary bytes.
    "multi_string": ([], [add(E("e11"), "a", "b"), add(E("e11"), "ab"), add(E("e11"), "")]),
    "binary_bytes": ([], [add(E("e12"), b"\x00\xff\x7f\"\\")]),
    "delete_multi_string": ([value_rr(E("e11"), "a", "b"), value_rr(E("e11"), "ab"),
                             value_rr(E("e11"), "")], [del_value(E("e11"), "a", "b")]),
    # Empty TXT rdata in class IN: FORMERR from Knot's parser on both.
    "empty_rdata_add": ([], [RR(E("e13"), TXT, IN, 60, b"")]),
    "empty_rdata_value_prereq": ([RR(E("e11"), TXT, IN, 0, b"")], [add(E("e13"), "v")]),
    # Odd owners: escaped dot, zero byte, non-ASCII bytes (case folds ASCII only).
    "escaped_labels": ([], [add(E("a\\.b"), "dot"), add(E("\\000"), "zero"),
                            add(E("\\255X"), "hi"), add(E("\\195\\132"), "uml")]),
    "escaped_labels_delete": ([value_rr(E("\\255x"), "hi")],
                              [del_value(E("\\255x"), "hi"), del_rrset(E("\\195\\164"))]),
    "long_owner": ([], [add(E(".".join(["a" * 63] * 3)), "long")]),
    "longest_string": ([], [add(E("big"), "x" * 255)]),
    "ttl_max": ([], [add(E("ttl"), "t", ttl=0xFFFFFFFF), add(E("ttl"), "u", ttl=0x7FFFFFFF)]),
}


#: Refused by Knot's packet parser (FORMERR) before any module hook runs.
EDGE_PARSER_ERRORS = {"empty_rdata_add", "empty_rdata_value_prereq"}


@pytest.mark.parametrize("case", list(EDGE_CASES))
def test_edge_case_matches_knot(tw, case):
    prereqs, updates = EDGE_CASES[case]
    names = {u.owner for u in updates + prereqs if u.owner.lower().endswith(EDGE_ZONE + ".")}
    before = tw.claimed(EDGE_ZONE)
    for tcp in (False, True):
        _edge(tw, prereqs, updates, names, tcp=tcp)
    assert tw.claimed(EDGE_ZONE) - before == (0 if case in EDGE_PARSER_ERRORS else 2)


def test_malformed_txt_rdata_refused(tw):
    """Knot's native DDNS stores a TXT whose string lengths overrun the rdata
    (and then serves malformed answers); mod-acme refuses it with FORMERR and
    writes nothing.  A deliberate divergence from the oracle."""
    name = E("malformed")
    for rdata in (b"\x09abc", b"\x02ab\x05c"):
        wire, _ = tsig_sign(build_update(EDGE_ZONE, updates=[
            add(E("okay"), "fine"), RR(name, TXT, IN, 60, rdata)]), K1)
        m = tw.module.send(wire)
        assert summary(m) == ("FORMERR", "NOERROR", True)
        assert tw.module.txt(name) == frozenset()
        assert tw.module.txt(E("okay")) == frozenset()


# -- TSIG details -----------------------------------------------------------------

TSIG_VARIANTS = {
    "plain": {},
    "alg_name_upper_case": {"alg_name": "HMAC-SHA256"},
    "key_name_upper_case": {"key": K1.with_name("K1")},
    "mac_truncated_16": {"mac_size": 16},
    "mac_truncated_20": {"mac_size": 20},
    "mac_truncated_10": {"mac_size": 10},
    "mac_truncated_1": {"mac_size": 1},
    "mac_empty": {"mac_size": 0},
    "error_field_set": {"error": 18},
    "other_data": {"other": b"\x00\x00\x12\x34\x56\x78"},
    "original_id_differs": {"orig_id": b"\x12\x34"},     # signed with it: valid
    "fudge_0": {"fudge": 0, "skew": 0},
    "skew_within_fudge": {"skew": 250},
    "skew_past_fudge": {"skew": 400},
    "skew_past_small_fudge": {"skew": -20, "fudge": 10},
    "unknown_algorithm": {"alg_name": "hmac-foo"},
    "md5_name_for_sha256_key": {"alg_name": "hmac-md5.sig-alg.reg.int"},
    "bad_secret_and_skew": {"key": K1.with_secret(K3.secret), "skew": 3600},
    "time_signed_zero": {"skew": -int(time.time())},
}


#: MACs libknot 3.5.7+ accepts truncated (half the digest or more): knotd's
#: native DDNS dies signing its reply to them (module/compat.h, RELIABILITY.md),
#: so there the module alone is asked and must answer as Knot means to:
#: NOERROR, signed with a whole MAC, the value written, knotd up.  Before
#: 3.5.7 both answer BADSIG.
TRUNCATED_ACCEPTED = {"mac_truncated_16", "mac_truncated_20"}


@pytest.mark.parametrize("variant", list(TSIG_VARIANTS))
def test_tsig_variants_match_knot(tw, variant):
    opts = dict(TSIG_VARIANTS[variant])
    key = opts.pop("key", K1)
    skew = opts.pop("skew", 0)
    name = E(f"tsig-{variant}")
    before = tw.claimed(EDGE_ZONE)
    for tcp in (False, True):
        wire = build_update(EDGE_ZONE, updates=[add(name, f"v-{tcp}")])
        wire, _ = tsig_sign(wire, key, int(time.time()) + skew, **opts)
        if TSIG_TRUNCATION and variant in TRUNCATED_ACCEPTED:
            m = tw.module.send(wire, tcp=tcp)
            assert summary(m) == ("NOERROR", "NOERROR", True), (variant, tcp, summary(m))
            assert m.tsig_mac_len == 32
            assert (f"v-{tcp}".encode(),) in tw.module.txt(name)
            continue
        n, m = tw.send(wire, tcp=tcp)
        assert summary(n) == summary(m), (variant, tcp, summary(n), summary(m))
        a, b = tw.txt(name)
        assert a == b, (variant, tcp, sorted(a), sorted(b))
    assert tw.claimed(EDGE_ZONE) - before == 2
