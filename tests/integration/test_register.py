"""knot-acme register / unregister against a real knotd, run from a
configuration file and from a configuration database.

What register prints is used as printed: the TSIG key from lego's
environment signs the updates, the zone-file record is what the main zone
would get.  Every test checks knotd's own view (updates accepted or refused
by mod-acme, zones served) and that unregister gives back the configuration
exactly as it was (knotc conf-export before and after).
"""

import os
import stat
import subprocess

import pytest

from acmetest.ddns import TsigKey, add, make_update, send_wire
from acmetest.knotd import Knotd, Zone, challenge_value, txt_values
from acmetest.onboard import (ConfdbKnotd, conf_export, finish_file, parse, register,
                              source, tool)

ALIAS = "auth.example.net"
PLAIN = "plain.example.org"
V = challenge_value("register")


@pytest.fixture(params=["file", "confdb"])
def server(request, module_so, knot_acme):
    """knotd with one alias zone (mod-acme/default), a zone without the module,
    and a template 'acme' carrying mod-acme for delegated zones (a confdb
    transaction cannot name a module loaded from a module: section)."""
    cls = ConfdbKnotd if request.param == "confdb" else Knotd
    zones = [Zone(ALIAS), Zone(PLAIN, module=None)]
    k = cls(zones, extra_conf="template:\n  - id: acme\n    module: mod-acme/default\n")
    k.extra_conf += f"    storage: {k.dir}\n"
    k.mode = request.param
    try:
        k.start()
        yield k
    finally:
        k.cleanup()


def finish(k, reg, zone=None):
    """What the operator does after register: nothing for a confdb (it is
    committed and loaded), the printed steps for a configuration file."""
    if k.mode == "file":
        finish_file(k, reg, zone)
    else:
        assert reg.include_line is None and reg.reload_cmd is None


def update(k, zone, owner, reg, value=V):
    key = TsigKey(reg.key_name, reg.secret)
    r = send_wire(make_update(zone, updates=[add(owner, value)], key=key).wire, k.port)
    return r.rcode_text


def store_names(k):
    res = tool(k, "list")
    assert res.returncode == 0, res.stderr
    return {line.split()[0] for line in res.stdout.splitlines()}


def acmesh_add(k, reg, fulldomain, tmp_path):
    """What acme.sh's dnsapi/dns_nsupdate.sh runs to add a value (with
    NSUPDATE_ZONE set): nsupdate -k KEYFILE, the zone and the name given a
    root dot by acme.sh itself."""
    keyfile = tmp_path / "acme.sh.key"
    keyfile.write_text(reg.acmesh_key + "\n")
    env = reg.acmesh
    script = (f"server {env['NSUPDATE_SERVER']}  {env['NSUPDATE_SERVER_PORT']}\n"
              f"zone {env['NSUPDATE_ZONE']}.\n"
              f"update add {fulldomain}. 60 in txt \"{V}\"\n"
              "send\n")
    res = subprocess.run(["nsupdate", "-k", str(keyfile)], input=script, text=True,
                         capture_output=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.returncode


def test_alias_register_update_unregister(server, tmp_path):
    k = server
    before = conf_export(k)
    reg = register(k, "www.example.com", "--alias", ALIAS, "--server", f"127.0.0.1@{k.port}")
    assert reg.records == [
        "_acme-challenge.www.example.com. 3600 IN CNAME www.example.com.auth.example.net."]
    assert reg.certbot_note and reg.certbot is None   # certbot does not follow CNAMEs
    assert reg.lego["RFC2136_NAMESERVER"] == f"127.0.0.1:{k.port}"
    assert reg.acmesh["NSUPDATE_ZONE"] == "auth.example.net"   # acme.sh adds the dot
    assert reg.acmesh_cmd.endswith("--domain-alias www.example.com.auth.example.net")
    assert "cnameStrategy: Follow" in reg.certmanager
    assert reg.secret in reg.certmanager and reg.secret in reg.acmesh_key
    finish(k, reg, ALIAS)

    # acme.sh's dns_nsupdate with the printed key, zone, server and alias.
    alias = reg.acmesh_cmd.split("--domain-alias ")[1]
    assert acmesh_add(k, reg, alias, tmp_path) == 0
    assert "www.example.com.auth.example.net." in store_names(k)
    tool(k, "del", "www.example.com.auth.example.net")

    # The key writes exactly its name, through mod-acme (the store).
    assert update(k, ALIAS, "www.example.com.auth.example.net.", reg) == "NOERROR"
    assert txt_values(k.query("www.example.com.auth.example.net.", "TXT")) == [V]
    assert "www.example.com.auth.example.net." in store_names(k)
    assert update(k, ALIAS, "other.auth.example.net.", reg) == "NOTAUTH"
    assert update(k, ALIAS, "x.www.example.com.auth.example.net.", reg) == "NOTAUTH"

    if k.mode == "file":
        # The zone in the operator's file still names the acl: refused, as
        # removing it would leave knotd a configuration it cannot load.
        res = tool(k, "unregister", "www.example.com")
        assert res.returncode == 2 and "still lists acl" in res.stderr
        text = k.conf.read_text().replace("    " + reg.zone_acl + "\n", "")
        k.conf.write_text(text)
        k.config_text = lambda: text
    res = tool(k, "unregister", "www.example.com")
    assert res.returncode == 0, res.stderr
    if k.mode == "file":
        assert "reload" in res.stdout
        k.knotc("reload")
        k.wait_ready()
    # (conf-export resolves includes: the include line the operator keeps for
    # every name adds nothing once no file matches.)
    assert conf_export(k) == before
    assert update(k, ALIAS, "www.example.com.auth.example.net.", reg) == "NOTAUTH"



def test_delegate_register_apex_and_wildcard(server, tmp_path):
    k = server
    before = conf_export(k)
    reg = register(k, "*.example.com", "--delegate", "--ns", "ns1.example.net",
                   "--ns", "ns2.example.net", "--server", f"127.0.0.1@{k.port}")
    assert reg.records == [
        "_acme-challenge.example.com. 3600 IN NS ns1.example.net.",
        "_acme-challenge.example.com. 3600 IN NS ns2.example.net."]
    assert "add no DS record" in reg.out
    assert "dns_rfc2136_name = knot-acme-example.com." in reg.certbot
    assert reg.acmesh["NSUPDATE_ZONE"] == "_acme-challenge.example.com"
    finish(k, reg)
    k.zones.append(Zone("_acme-challenge.example.com"))
    k.wait_ready()

    # The apex certificate needs the same name: already registered.
    res = tool(k, "register", "example.com", "--delegate", "--ns", "ns1.example.net")
    assert res.returncode == 2 and "already registered" in res.stderr

    # acme.sh's dns_nsupdate with the printed key, zone and server.
    assert acmesh_add(k, reg, "_acme-challenge.example.com", tmp_path) == 0
    assert "_acme-challenge.example.com." in store_names(k)
    tool(k, "del", "_acme-challenge.example.com")

    zone = "_acme-challenge.example.com."
    assert update(k, zone, zone, reg) == "NOERROR"
    assert txt_values(k.query(zone, "TXT")) == [V]
    assert zone in store_names(k)           # mod-acme's store, not the zone
    assert update(k, zone, "x." + zone, reg) == "NOTAUTH"
    soa = k.query(zone, "SOA")
    assert soa.answer and "ns1.example.net." in soa.answer[0].to_text()

    zone_files = list(k.dir.glob("_acme-challenge.example.com.zone"))
    assert len(zone_files) == 1
    res = tool(k, "unregister", "*.example.com")
    assert res.returncode == 0, res.stderr
    if k.mode == "file":
        k.knotc("reload")
    k.zones.pop()
    assert conf_export(k) == before
    assert not zone_files[0].exists()
    assert k.query(zone, "SOA").rcode() != 0   # no longer served


@pytest.mark.parametrize("args, message", [
    (["not a name!!", "--alias", ALIAS], "invalid domain name"),
    (["www.example.com", "--alias", "no.such.zone"], "not a zone of knotd"),
    (["www.example.com", "--alias", PLAIN], "does not use mod-acme"),
    (["www.example.com", "--alias", ALIAS, "--delegate"], "exactly one"),
    (["www.example.com"], "exactly one"),
    (["www.example.com", "--delegate"], "--ns"),
    (["www.example.com", "--delegate", "--ns", "bad name!"], "invalid name server"),
    (["www.example.com", "--delegate", "--ns", "ns1.example.net", "--template", "nope"],
     "no template"),
    (["www.example.com", "--alias", ALIAS, "--client", "bogus"], "invalid --client"),
    (["_acme-challenge.www.example.com", "--alias", ALIAS], "not its challenge name"),
    (["www.example.com", "--alias", ALIAS, "--server", "1.2.3.4@x"], "invalid port"),
])
def test_bad_input_changes_nothing(server, args, message):
    k = server
    before = conf_export(k)
    files = sorted(p.name for p in k.dir.iterdir())
    res = tool(k, "register", *args)
    assert res.returncode == 2, res
    assert message in res.stderr
    assert res.stdout == ""
    assert conf_export(k) == before
    assert sorted(p.name for p in k.dir.iterdir()) == files


def test_register_twice_and_unregister_unknown(server):
    k = server
    reg = register(k, "a.example.com", "--alias", ALIAS)
    finish(k, reg, ALIAS)
    after = conf_export(k)
    res = tool(k, "register", "a.example.com", "--alias", ALIAS)
    assert res.returncode == 2 and "already registered" in res.stderr
    res = tool(k, "unregister", "b.example.com")
    assert res.returncode == 2 and "not registered" in res.stderr
    assert conf_export(k) == after


def test_knotd_not_running(module_so, knot_acme):
    k = ConfdbKnotd([Zone(ALIAS)])
    k.mode = "confdb"
    try:
        k.start()
        k.stop()
        before = conf_export(k)
        res = tool(k, "register", "www.example.com", "--alias", ALIAS)
        assert res.returncode == 2
        assert "is knotd running?" in res.stderr and "nothing changed" in res.stderr
        assert res.stdout == ""
        assert conf_export(k) == before
    finally:
        k.cleanup()


def test_file_mode_secret_not_readable_by_others(module_so, knot_acme):
    k = Knotd([Zone(ALIAS)])
    try:
        os.chmod(k.conf, 0o640)
        reg = register(k, "www.example.com", "--alias", ALIAS)
        path = k.dir / "knot-acme.d" / "knot-acme-www.example.com.conf"
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o007 == 0, oct(mode)
        assert reg.secret in path.read_text()
        st, cst = path.stat(), k.conf.stat()
        assert (st.st_uid, st.st_gid) == (cst.st_uid, cst.st_gid)
        # The directory: no access for others either.
        assert stat.S_IMODE(path.parent.stat().st_mode) & 0o007 == 0
    finally:
        k.cleanup()


def test_missing_configuration():
    res = subprocess.run([os.environ.get("KNOT_ACME", "knot-acme"), "-c", "/nonexistent.conf",
                          "register", "www.example.com", "--alias", ALIAS],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2
    assert "cannot read the configuration file /nonexistent.conf" in res.stderr


def test_alias_zone_acl_from_template(module_so, knot_acme):
    """A zone that takes its acl list from its template keeps it: register
    gives the zone that list plus its acl, unregister restores inheritance."""
    other = TsigKey.make("other-client")
    extra = ("key:\n" + other.conf() +
             "acl:\n  - id: other-acl\n    key: other-client\n    action: update\n")
    k = ConfdbKnotd([Zone(ALIAS)], extra_conf=extra, template={"acl": "other-acl"})
    k.mode = "confdb"
    try:
        k.start()
        before = conf_export(k)
        assert "acl: \"other-acl\"" in before.split("zone:")[0]   # in the template
        reg = register(k, "www.example.com", "--alias", ALIAS)
        assert update(k, ALIAS, "www.example.com.auth.example.net.", reg) == "NOERROR"
        r = send_wire(make_update(ALIAS, updates=[add("any.auth.example.net.", V)],
                                  key=other).wire, k.port)
        assert r.rcode_text == "NOERROR"        # the template's acl still applies
        res = tool(k, "unregister", "www.example.com")
        assert res.returncode == 0, res.stderr
        assert conf_export(k) == before
    finally:
        k.cleanup()


@pytest.mark.parametrize("setup", [["--alias", ALIAS], ["--delegate", "--ns", "ns1.example.net"]])
def test_certmanager_manifest(server, setup):
    """The cert-manager Issuer and Secret: valid YAML whose rfc2136 solver
    names the printed key, this server and a Secret holding the secret."""
    import yaml   # python3-yaml (scripts/deps)
    reg = register(server, "www.example.com", *setup, "--client", "cert-manager",
                   "--server", f"127.0.0.1@{server.port}")
    secret, issuer = yaml.safe_load_all(reg.certmanager)
    assert (secret["apiVersion"], secret["kind"]) == ("v1", "Secret")
    assert (issuer["apiVersion"], issuer["kind"]) == ("cert-manager.io/v1", "Issuer")
    [solver] = issuer["spec"]["acme"]["solvers"]
    assert solver["selector"]["dnsNames"] == ["www.example.com"]
    rfc = solver["dns01"]["rfc2136"]
    assert rfc["nameserver"] == f"127.0.0.1:{server.port}"
    assert rfc["tsigKeyName"] == "knot-acme-www.example.com."
    assert rfc["tsigAlgorithm"] == "HMACSHA256"
    ref = rfc["tsigSecretSecretRef"]
    assert ref["name"] == secret["metadata"]["name"]
    tsig = secret["stringData"][ref["key"]]
    assert TsigKey("knot-acme-www.example.com.", tsig).secret_bytes  # base64, 32 bytes
    assert len(TsigKey("x.", tsig).secret_bytes) == 32
    assert ("cnameStrategy" in solver["dns01"]) == (setup[0] == "--alias")
