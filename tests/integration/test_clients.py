"""Unmodified DDNS clients against mod-acme: BIND's nsupdate and Knot's
knsupdate, over UDP and TCP, with the key on the command line (-y) and in a
key file (-k), as ACME client hooks run them (acme.sh's nsupdate hook,
certbot's and lego's rfc2136 providers speak the same protocol)."""

import os
import shutil
import subprocess

import dns.rcode
import dns.rdatatype
import pytest

from acmetest.ddns import DdnsKnotd, MINIMAL_RECORDS, TsigKey, attached, ddns_conf, serving
from acmetest.knotd import HOST, MOD_ACME_SO, Zone, challenge_value

ZONE = "acme.test"
K1 = TsigKey.make("k1")
WRONG = K1.with_secret(TsigKey.make("other").secret)
UNKNOWN = TsigKey.make("nokey")

NSUPDATE = shutil.which("nsupdate") or "nsupdate"
KNSUPDATE = shutil.which("knsupdate") or "knsupdate"

TRANSPORTS = [pytest.param(False, id="udp"), pytest.param(True, id="tcp")]
CLIENTS = ["nsupdate", "knsupdate"]
KEY_FORMS = ["y", "keyfile"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not os.path.isfile(MOD_ACME_SO):
        pytest.fail(f"mod-acme.so not found at {MOD_ACME_SO}")
    for tool in (NSUPDATE, KNSUPDATE):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not installed")
    yield from serving(DdnsKnotd(
        [Zone(ZONE, module="mod-acme/default", records=MINIMAL_RECORDS,
              options={"acl": "[ upd ]"})],
        extra_conf=ddns_conf([K1], acls={"upd": "key: k1\naction: update"})))


@pytest.fixture
def k(server, request):
    yield from attached(request, server)


def key_args(client: str, key: TsigKey, form: str, tmp_path) -> list:
    if form == "y":
        return ["-y", key.nsupdate_y()]
    path = tmp_path / f"{key.id}.key"
    if client == "nsupdate":
        # BIND key file (as written by tsig-keygen / ddns-confgen).
        path.write_text(f'key "{key.id}" {{\n\talgorithm {key.algorithm};\n'
                        f'\tsecret "{key.secret}";\n}};\n')
    else:
        # knsupdate: the -y format in a file.
        path.write_text(key.nsupdate_y() + "\n")
    return ["-k", str(path)]


def run_client(client: str, k, commands: list, key: TsigKey, form: str, tcp: bool,
               tmp_path, zone_line: bool = True) -> subprocess.CompletedProcess:
    script = [f"server {HOST} {k.port}"]
    if zone_line:
        script.append(f"zone {ZONE}")
    script += commands + ["send", "quit" if client == "knsupdate" else ""]
    tool = NSUPDATE if client == "nsupdate" else KNSUPDATE
    cmd = [tool] + key_args(client, key, form, tmp_path)
    if tcp:
        cmd.append("-v")
    if client == "knsupdate":
        cmd += ["-t", "3", "-r", "0"]
    else:
        cmd += ["-t", "5", "-u", "2"]
    return subprocess.run(cmd, input="\n".join(script) + "\n", capture_output=True,
                          text=True, timeout=30)


def values(k, name):
    m = k.query(name, "TXT")
    return sorted(b"".join(rd.strings).decode() for rr in m.answer
                  if rr.rdtype == dns.rdatatype.TXT for rd in rr)


_n = [0]


def fresh(label):
    _n[0] += 1
    return f"_acme-challenge.{label}{_n[0]}.{ZONE}."


@pytest.mark.parametrize("tcp", TRANSPORTS)
@pytest.mark.parametrize("form", KEY_FORMS)
@pytest.mark.parametrize("client", CLIENTS)
def test_client_add_and_delete(k, client, form, tcp, tmp_path):
    name = fresh(f"{client}-{form}-{int(tcp)}-")
    before = k.zone_stats(ZONE).get("update[NOERROR]", 0)
    v1, v2 = challenge_value(name + "1"), challenge_value(name + "2")
    res = run_client(client, k, [f"update add {name} 60 TXT {v1}",
                                 f"update add {name} 60 TXT \"{v2}\""], K1, form, tcp,
                     tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr + k.diagnostics()
    assert values(k, name) == sorted([v1, v2])

    res = run_client(client, k, [f"update delete {name} TXT \"{v1}\""], K1, form, tcp,
                     tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert values(k, name) == [v2]

    res = run_client(client, k, [f"update delete {name} TXT"], K1, form, tcp, tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert values(k, name) == []
    assert dns.rcode.to_text(k.query(name, "TXT").rcode()) == "NXDOMAIN"
    # mod-acme answered all three, not Knot's own DDNS (which bumps the serial).
    assert k.zone_stats(ZONE).get("update[NOERROR]", 0) - before == 3
    assert k.query(f"{ZONE}.", "SOA").answer[0][0].serial == 1


@pytest.mark.parametrize("tcp", TRANSPORTS)
@pytest.mark.parametrize("bad", ["wrong_secret", "unknown_key"])
@pytest.mark.parametrize("client", CLIENTS)
def test_client_wrong_key_fails(k, client, bad, tcp, tmp_path):
    name = fresh(f"bad-{client}-")
    key = WRONG if bad == "wrong_secret" else UNKNOWN
    res = run_client(client, k, [f"update add {name} 60 TXT {challenge_value(name)}"],
                     key, "y", tcp, tmp_path)
    assert res.returncode != 0, res.stdout + res.stderr
    out = (res.stdout + res.stderr).upper()
    assert "NOTAUTH" in out or "BADSIG" in out or "BADKEY" in out, res.stdout + res.stderr
    assert values(k, name) == []


@pytest.mark.parametrize("client", CLIENTS)
def test_client_refused_value_fails(k, client, tmp_path):
    """strict (default on): a value that is no ACME challenge is REFUSED."""
    name = fresh(f"strict-{client}-")
    res = run_client(client, k, [f"update add {name} 60 TXT \"not a challenge\""], K1, "y",
                     False, tmp_path)
    assert res.returncode != 0, res.stdout + res.stderr
    assert "REFUSED" in (res.stdout + res.stderr).upper(), res.stdout + res.stderr
    assert values(k, name) == []


@pytest.mark.parametrize("client", CLIENTS)
def test_client_prerequisites(k, client, tmp_path):
    name = fresh(f"prereq-{client}-")
    v = challenge_value(name)
    cmds = [f"prereq nxrrset {name} TXT", f"update add {name} 60 TXT {v}"]
    res = run_client(client, k, cmds, K1, "y", False, tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert values(k, name) == [v]
    res = run_client(client, k, cmds, K1, "y", False, tmp_path)
    assert res.returncode != 0, res.stdout + res.stderr
    assert "YXRRSET" in (res.stdout + res.stderr).upper(), res.stdout + res.stderr
    cmds = [f"prereq yxrrset {name} TXT {v}", f"update delete {name} TXT {v}"]
    res = run_client(client, k, cmds, K1, "y", True, tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert values(k, name) == []


@pytest.mark.parametrize("tcp", TRANSPORTS)
def test_nsupdate_finds_zone_itself(k, tcp, tmp_path):
    """Without a `zone` line nsupdate asks the server for the SOA of the name
    (acme.sh's hook works that way) and must find the module zone."""
    name = fresh("nozone")
    v = challenge_value(name)
    res = run_client("nsupdate", k, [f"update add {name} 60 TXT {v}"], K1, "y", tcp,
                     tmp_path, zone_line=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert values(k, name) == [v]
    res = run_client("nsupdate", k, [f"update delete {name} TXT {v}"], K1, "y", tcp,
                     tmp_path, zone_line=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert values(k, name) == []
