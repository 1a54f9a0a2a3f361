"""DNS over TLS and DNS over QUIC (Knot 3.4+: `listen-tls`, `listen-quic`).

Updates and queries reach mod-acme over TLS and QUIC as over TCP: a stream,
so no TC and no UDP size limit, the same rcodes, TSIG-signed replies.  The
clients are Knot's own: kdig +tls / +quic for queries, knsupdate -S / -Q for
updates, and dnspython's dns.query.tls for a reply whose TSIG is verified.
Denied updates get the same answer from the module as from Knot's native
DDNS on the same knotd.

Skipped on Knot 3.2 (no listen-tls or listen-quic: QUIC came with 3.3, TLS
with 3.4); on 3.3 the QUIC tests run alone.
"""

import re
import shutil
import ssl
import subprocess

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.update
import pytest

from acmetest.ddns import DdnsKnotd, MINIMAL_RECORDS, TsigKey, attached, ddns_conf, serving
from acmetest.knotd import HOST, KNOT_VERSION as VERSION, Zone, challenge_value, free_port

ZONE = "acme.test"
NATIVE = "native.test"
K1 = TsigKey.make("k1")
UNKNOWN = TsigKey.make("nokey")
KDIG = shutil.which("kdig") or "kdig"
KNSUPDATE = shutil.which("knsupdate") or "knsupdate"
#: More values than one 1232-byte UDP answer holds (43-byte strings).
MANY = 40


#: Knot version that first listens on each transport.
SINCE = {"tls": (3, 4), "quic": (3, 3)}


def needs(proto):
    if VERSION[:2] < SINCE[proto]:
        pytest.skip(f"Knot {'.'.join(map(str, VERSION))} has no listen-{proto} "
                    f"(DNS over {proto.upper()} came with Knot "
                    f"{'.'.join(map(str, SINCE[proto]))})")


PROTOS = ["tls", "quic"]


class StreamKnotd(DdnsKnotd):
    """DdnsKnotd that also listens for DNS over TLS and QUIC (as knotd
    supports them), on ports of their own."""

    def __init__(self, zones, **kw):
        self.ports = {p: free_port() for p in PROTOS}
        super().__init__(zones, **kw)

    def config_text(self) -> str:
        text = super().config_text()
        lines = [f"  listen-{p}: {HOST}@{self.ports[p]}" for p in PROTOS
                 if VERSION[:2] >= SINCE[p]]
        return text.replace("server:\n", "server:\n" + "".join(l + "\n" for l in lines), 1)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if VERSION[:2] < min(SINCE.values()):
        pytest.skip(f"Knot {'.'.join(map(str, VERSION))} has neither listen-tls nor "
                    "listen-quic (Knot 3.3: QUIC, 3.4: TLS)")
    if not shutil.which(KDIG) or not shutil.which(KNSUPDATE):
        pytest.fail("kdig or knsupdate not installed (knot-dnsutils)")
    acl = {"upd": "key: k1\naction: update"}
    yield from serving(StreamKnotd(
        [Zone(ZONE, module="mod-acme/default", records=MINIMAL_RECORDS,
              options={"acl": "[ upd ]"}),
         Zone(NATIVE, records=MINIMAL_RECORDS, options={"acl": "[ upd ]"})],
        acme={"default": {"lifetime": 3600, "max-ttl": 300, "max-records": MANY + 4,
                          "strict": True}},
        extra_conf=ddns_conf([K1], acls=acl)))


@pytest.fixture
def k(server, request):
    yield from attached(request, server)


_n = [0]


def fresh(label, zone=ZONE):
    _n[0] += 1
    return f"_acme-challenge.{label}{_n[0]}.{zone}."


def kdig(k, proto, name, rdtype="TXT", *extra):
    """kdig over PROTO ('udp', 'tcp', 'tls', 'quic'): (flags, TXT values)."""
    port = k.port if proto in ("udp", "tcp") else k.ports[proto]
    opts = {"udp": ["+notcp", "+bufsize=1232", "+ignore"], "tcp": ["+tcp"],
            "tls": ["+tls"], "quic": ["+quic"]}[proto]
    cmd = [KDIG, f"@{HOST}", "-p", str(port), "+timeout=5", "+retry=0", "+norec",
           *opts, *extra, name, rdtype]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, f"{cmd}: {res.stdout}{res.stderr}"
    flags = re.search(r";; Flags: ([^;]*);", res.stdout)
    assert flags, res.stdout
    rcode = re.search(r"status: (\w+)", res.stdout)
    values = re.findall(r'\sTXT\s+"([^"]*)"', res.stdout)
    return flags.group(1).split(), rcode.group(1) if rcode else None, sorted(values)


def knsupdate(k, proto, zone, commands, key=K1):
    """knsupdate over TLS (-S) or QUIC (-Q): (exit status, output)."""
    flag = {"tls": "-S", "quic": "-Q"}[proto]
    script = [f"server {HOST} {k.ports[proto]}", f"zone {zone}", *commands, "send",
              "answer", "quit"]
    cmd = [KNSUPDATE, flag, "-t", "5", "-r", "0"]
    if key is not None:
        cmd += ["-y", key.nsupdate_y()]
    res = subprocess.run(cmd, input="\n".join(script) + "\n", capture_output=True,
                         text=True, timeout=30)
    return res.returncode, res.stdout + res.stderr


def status(output):
    m = re.search(r"status: (\w+)", output)
    return m.group(1) if m else None


def tsig_error(output):
    m = re.search(r"TSIG.*?\b(BADKEY|BADSIG|BADTIME|BADTRUNC)\b", output)
    return m.group(1) if m else None


@pytest.mark.parametrize("proto", PROTOS)
def test_query_answers_whole_rrset(k, proto):
    """Many values at one name: UDP truncates (TC), TLS and QUIC carry the
    whole RRset as TCP does."""
    needs(proto)
    name = fresh(f"many-{proto}-")
    values = sorted(challenge_value(f"{name}{i}") for i in range(MANY))
    for v in values:
        k.add(name, v)
    flags, rcode, got = kdig(k, "udp", name)
    assert "tc" in flags, f"UDP answer of {MANY} values not truncated: {flags}"
    for transport in ("tcp", proto):
        flags, rcode, got = kdig(k, transport, name)
        assert rcode == "NOERROR" and "tc" not in flags and "aa" in flags, (transport, flags)
        assert got == values, transport


@pytest.mark.parametrize("proto", PROTOS)
def test_query_nodata_and_nxdomain(k, proto):
    """An empty non-terminal above a live name is NODATA, a name without
    values NXDOMAIN, over PROTO as over UDP."""
    needs(proto)
    name = fresh(f"ent-{proto}-", f"deep.{ZONE}")
    k.add(name, challenge_value(name))
    for qname, want in ((f"deep.{ZONE}.", "NOERROR"), (fresh("none-"), "NXDOMAIN")):
        _, udp_rcode, _ = kdig(k, "udp", qname)
        _, rcode, got = kdig(k, proto, qname)
        assert (rcode, got) == (want, []) and rcode == udp_rcode, qname


@pytest.mark.parametrize("proto", PROTOS)
def test_update_add_delete(k, proto):
    """knsupdate over PROTO adds and deletes values through the module
    (module counters move, the zone serial does not)."""
    needs(proto)
    name = fresh(f"upd-{proto}-")
    v1, v2 = challenge_value(name + "1"), challenge_value(name + "2")
    before = k.zone_stats(ZONE).get("update[NOERROR]", 0)
    rc, out = knsupdate(k, proto, ZONE, [f"update add {name} 60 TXT {v1}",
                                         f"update add {name} 60 TXT {v2}"])
    assert rc == 0 and status(out) == "NOERROR", out
    assert kdig(k, proto, name)[2] == sorted([v1, v2])
    rc, out = knsupdate(k, proto, ZONE, [f"update delete {name} TXT {v1}"])
    assert rc == 0 and status(out) == "NOERROR", out
    assert kdig(k, proto, name)[2] == [v2]
    rc, out = knsupdate(k, proto, ZONE, [f"update delete {name} TXT"])
    assert rc == 0 and status(out) == "NOERROR", out
    assert kdig(k, proto, name)[1:] == ("NXDOMAIN", [])
    assert k.zone_stats(ZONE).get("update[NOERROR]", 0) - before == 3
    assert k.query(f"{ZONE}.", "SOA").answer[0][0].serial == 1


@pytest.mark.parametrize("proto", PROTOS)
def test_large_update(k, proto):
    """One update bigger than a UDP message of 1232 bytes, over PROTO."""
    needs(proto)
    name = fresh(f"big-{proto}-")
    values = sorted(challenge_value(f"{name}{i}") for i in range(MANY))
    rc, out = knsupdate(k, proto, ZONE, [f"update add {name} 60 TXT {v}" for v in values])
    assert rc == 0 and status(out) == "NOERROR", out
    assert kdig(k, proto, name)[2] == values


@pytest.mark.parametrize("proto", PROTOS)
@pytest.mark.parametrize("case", ["unknown_key", "wrong_secret", "unsigned"])
def test_update_answers_as_native_ddns(k, proto, case):
    """The module's answer to an update over PROTO equals Knot's native
    DDNS answer to the same update on the same knotd: an unknown key, a
    wrong secret, no key (the rcode and the TSIG error knsupdate shows)."""
    needs(proto)
    key = {"unknown_key": UNKNOWN, "wrong_secret": K1.with_secret(TsigKey.make("x").secret),
           "unsigned": None}[case]
    answers = []
    for zone in (ZONE, NATIVE):
        name = fresh(f"cmp-{proto}-", zone)
        rc, out = knsupdate(k, proto, zone,
                            [f"update add {name} 60 TXT {challenge_value(name)}"], key=key)
        answers.append((status(out), tsig_error(out)))
    assert answers[0] == answers[1], f"module {answers[0]}, native {answers[1]}"
    # knsupdate shows NOTAUTH, or the TSIG error in its place (BADSIG).
    assert answers[0][0] not in (None, "NOERROR"), answers[0]


def test_update_over_tls_signed_reply(k):
    """dnspython over TLS: the module's reply carries a TSIG that verifies."""
    needs("tls")
    name = fresh("dnspython-tls-")
    value = challenge_value(name)
    upd = dns.update.UpdateMessage(ZONE, keyring=K1.keyring(), keyname=K1.name,
                                   keyalgorithm=K1.algorithm)
    upd.add(name, 60, "TXT", value)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    # dns.query.tls verifies the reply's TSIG with the keyring (BadSignature otherwise).
    reply = dns.query.tls(upd, HOST, port=k.ports["tls"], ssl_context=ctx, timeout=5)
    assert reply.rcode() == dns.rcode.NOERROR
    assert reply.had_tsig
    assert kdig(k, "tls", name)[2] == [value]
