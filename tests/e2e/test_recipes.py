"""The README's knsupdate/nsupdate recipes, run as written against the acme
knotd of the e2e environment: TSIG from the command line (-y) and from a key
file in BIND's format (-k, as acme.sh and the dehydrated hook use it), with
and without a zone line, add then delete, checked in DNS and in the store."""

import subprocess

import dns.rdatatype
import pytest

from acmetest.acme import ALIAS_TARGET
from acmetest.knotd import ALIAS_ZONE, DELEG_ZONE, challenge_value, which

ALIAS = (ALIAS_ZONE, ALIAS_TARGET, "lego-www")
DELEG = (DELEG_ZONE, DELEG_ZONE, "certbot-example")

# (tool, key source, setup, zone line?, delete form)
RECIPES = [
    ("knsupdate", "-y", ALIAS, True, "value"),
    ("knsupdate", "-y", DELEG, True, "value"),
    ("nsupdate", "-y", ALIAS, True, "value"),
    ("nsupdate", "-k", DELEG, True, "rrset"),
    ("nsupdate", "-k", ALIAS, False, "rrset"),
]


def txt(env, name):
    msg = env.acme.query(name, "TXT")
    return sorted(b"".join(rd.strings).decode()
                  for rr in msg.answer if rr.rdtype == dns.rdatatype.TXT for rd in rr)


@pytest.mark.parametrize("tool,keysrc,setup,zone_line,delete", RECIPES,
                         ids=[f"{t}{k}-{s[0]}-{'zone' if z else 'nozone'}-del-{d}"
                              for t, k, s, z, d in RECIPES])
def test_update_recipe(acme_env, tmp_path, tool, keysrc, setup, zone_line, delete):
    zone, owner, key = setup
    secret = acme_env.secrets[key]
    if keysrc == "-y":
        auth = ["-y", f"hmac-sha256:{key}:{secret}"]
    else:
        keyfile = tmp_path / f"{key}.key"
        keyfile.write_text(f'key "{key}" {{\n\talgorithm hmac-sha256;\n\tsecret "{secret}";\n}};\n')
        auth = ["-k", str(keyfile)]
    value = challenge_value(f"{tool}{keysrc}{zone}{zone_line}")
    head = f"server 127.0.0.1 {acme_env.acme.port}\n" + (f"zone {zone}\n" if zone_line else "")
    target = f'{owner}. TXT "{value}"' if delete == "value" else f"{owner}. TXT"

    def nsupdate(body):
        res = subprocess.run([which(tool) or tool, *auth], input=head + body + "send\n",
                             capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, f"{tool}: {res.stdout}{res.stderr}\n" + acme_env.acme.diagnostics()

    nsupdate(f'update add {owner}. 60 TXT "{value}"\n')
    assert txt(acme_env, owner) == [value]
    nsupdate(f"update delete {target}\n")
    assert txt(acme_env, owner) == []
    assert acme_env.store_lines() == []
