"""knot-acme register and unregister as an operator runs them.

  ConfdbKnotd     a Knotd that runs from a configuration database (the
                  generated configuration imported with knotc conf-import)
  register()      runs `knot-acme register` and parses what it prints: the
                  record for the main zone and each client's configuration
  conf_export()   knotd's configuration as knotc exports it (for before/after)
  finish_file()   does what register prints for a configuration file
"""

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from acmetest.knotd import KNOT_ACME, KNOTC, Knotd

TIMEOUT = 60


class ConfdbKnotd(Knotd):
    """knotd run from a configuration database (`knotd -C DIR`).

    The configuration Knotd writes is imported once, before the first start;
    from then on the confdb is the configuration (changed through knotc
    conf-* transactions, not by rewriting the file)."""

    @property
    def confdb(self) -> Path:
        return self.dir / "confdb"

    def start(self, *args, **kw):
        if not self.confdb.exists():
            self.write_config()
            subprocess.run([KNOTC, "-C", str(self.confdb), "conf-import", str(self.conf)],
                           check=True, capture_output=True, timeout=TIMEOUT)
        # Knotd.start runs `WRAPPER knotd -c FILE`: the wrapper runs knotd
        # from the confdb instead.
        kw["wrapper"] = ("/bin/sh", "-c", f'exec "$1" -C "{self.confdb}"', "sh")
        return super().start(*args, **kw)

    def reload(self):
        res = self.knotc("reload")
        self.wait_ready()
        return res

    @property
    def source(self) -> List[str]:
        return ["-C", str(self.confdb)]


def source(k: Knotd) -> List[str]:
    """The -c/-C options that name k's configuration."""
    return k.source if isinstance(k, ConfdbKnotd) else ["-c", str(k.conf)]


def tool(k: Knotd, *args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([KNOT_ACME, *source(k), *[str(a) for a in args]],
                          capture_output=True, text=True, timeout=TIMEOUT, **kw)


def conf_export(k: Knotd) -> str:
    res = subprocess.run([KNOTC, *source(k), "conf-export"], capture_output=True,
                         text=True, timeout=TIMEOUT, check=True)
    return res.stdout


@dataclass
class Registration:
    """What `knot-acme register` printed."""
    out: str
    records: List[str] = field(default_factory=list)   # zone-file lines
    lego: Dict[str, str] = field(default_factory=dict)  # environment
    certbot: Optional[str] = None                       # credentials ini
    certbot_note: bool = False                          # "does not follow CNAMEs"
    acmesh_key: Optional[str] = None                    # BIND key clause
    acmesh: Dict[str, str] = field(default_factory=dict)
    acmesh_cmd: Optional[str] = None
    certmanager: Optional[str] = None
    include_line: Optional[str] = None                  # file mode: line to add
    zone_acl: Optional[str] = None                      # file mode, alias: acl line
    reload_cmd: Optional[str] = None

    @property
    def key_name(self) -> str:
        return self.lego["RFC2136_TSIG_KEY"]

    @property
    def secret(self) -> str:
        return self.lego["RFC2136_TSIG_SECRET"]


def parse(out: str) -> Registration:
    reg = Registration(out)
    section = None
    certbot = []
    certmanager = []
    for line in out.splitlines():
        m = re.match(r"^# --- (\S+)", line)
        if m:
            section = m.group(1)
            continue
        if line.startswith("# 1."):
            section = "record"
            continue
        if line.startswith("# 2."):
            section = None
            continue
        m = re.match(r"^#   in \S+, before its zone: section: (include: \S+)$", line)
        if m:
            reg.include_line = m.group(1)
        m = re.match(r"^#   in \S+, zone \S+: (acl: \[.*\])$", line)
        if m:
            reg.zone_acl = m.group(1)
        m = re.match(r"^#   (knotc .* reload)$", line)
        if m:
            reg.reload_cmd = m.group(1)
        if line.startswith("#") or not line.strip():
            if section == "certbot" and "does not follow CNAMEs" in line:
                reg.certbot_note = True
            continue
        if section == "record":
            reg.records.append(line)
        elif section == "certbot":
            certbot.append(line)
        elif section == "lego":
            k, _, v = line.partition("=")
            reg.lego[k] = v
        elif section == "acme.sh":
            if line.startswith("key "):
                reg.acmesh_key = line
            elif line.startswith("export "):
                k, _, v = line[len("export "):].partition("=")
                reg.acmesh[k] = v.strip('"')
            else:
                reg.acmesh_cmd = line
        elif section == "cert-manager":
            certmanager.append(line)
    reg.certbot = "\n".join(certbot) + "\n" if certbot else None
    reg.certmanager = "\n".join(certmanager) + "\n" if certmanager else None
    return reg


def register(k: Knotd, name: str, *args) -> Registration:
    res = tool(k, "register", name, *args)
    assert res.returncode == 0, f"register {name} {args}: rc {res.returncode}\n{res.stderr}"
    assert res.stderr == ""
    return parse(res.stdout)


def finish_file(k: Knotd, reg: Registration, zone: Optional[str] = None):
    """Does what register printed for a configuration file: the include line
    (once), the alias zone's acl list, then reload."""
    text = k.conf.read_text()
    if reg.include_line and reg.include_line not in text:
        text = text.replace("\nzone:\n", f"\n{reg.include_line}\nzone:\n", 1)
    if reg.zone_acl:
        assert zone is not None
        origin = zone.rstrip(".") + "."
        lines = text.splitlines()
        i = lines.index(f"  - domain: {origin}")
        j = i + 1
        while j < len(lines) and lines[j].startswith("    "):
            if lines[j].startswith("    acl:"):
                del lines[j]
                continue
            j += 1
        lines.insert(i + 1, "    " + reg.zone_acl)
        text = "\n".join(lines) + "\n"
    k.conf.write_text(text)
    k.config_text = lambda: text   # keep it across restarts
    k.knotc("reload")
    k.wait_ready()
