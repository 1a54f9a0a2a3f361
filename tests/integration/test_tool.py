"""Tests of the knot-acme command-line tool against a real LMDB store.

The tool under test is $KNOT_ACME (default: the repository's ./knot-acme, see
knotd.py); a missing binary fails every test.  Every test uses its own
database directory under pytest's tmp_path; no knotd is needed.
"""

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import time
from pathlib import Path

import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest

from acmetest.knotd import KNOT_ACME as TOOL

# A typical RFC 8555 value: 43 base64url characters.
VALUE = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"

LINE_RE = re.compile(
    r'^(?P<owner>\S+) (?P<ttl>\d+) IN TXT (?P<txt>"(?:[^"\\]|\\.)*")'
    r' ; expires in (?P<left>(?:\d+d)?(?:\d+h)?(?:\d+m)?\d+s)$')


@pytest.fixture(autouse=True)
def tool_exists(knot_acme):
    """Fails (not skips) every test when the tool is not built (conftest.py)."""


@pytest.fixture
def db(tmp_path):
    return tmp_path / "db"


def run(db, *args, stdout=subprocess.PIPE):
    cmd = [TOOL] + (["-D", str(db)] if db is not None else []) + [str(a) for a in args]
    return subprocess.run(cmd, stdout=stdout, stderr=subprocess.PIPE, text=True,
                          timeout=60)


def ok(db, *args):
    res = run(db, *args)
    assert res.returncode == 0, f"{args}: rc {res.returncode}, stderr {res.stderr!r}"
    assert res.stderr == ""
    return res.stdout


def seconds(duration):
    """'1d2h3m4s' -> seconds."""
    total = 0
    for num, unit in re.findall(r"(\d+)([dhms])", duration):
        total += int(num) * {"d": 86400, "h": 3600, "m": 60, "s": 1}[unit]
    return total


def parse_list(out):
    """list output -> [(owner, ttl, txt, seconds left)]; every line must match."""
    rows = []
    for line in out.splitlines():
        m = LINE_RE.match(line)
        assert m, f"not a zone-file line with expiry comment: {line!r}"
        rows.append((m["owner"], int(m["ttl"]), m["txt"], seconds(m["left"])))
    return rows


def listing(db, *name):
    return parse_list(ok(db, "list", *name))


def values(db, *name):
    """{(owner, txt)} of live values."""
    return {(owner, txt) for owner, _, txt, _ in listing(db, *name)}


def data_digest(db):
    path = db / "data.mdb"
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


# --- add and list ---------------------------------------------------------

def test_add_then_list_zone_file_line(db):
    assert ok(db, "add", "_ACME-Challenge.WWW.Example.COM", VALUE, 120) == ""
    out = ok(db, "list")
    assert out.endswith("\n") and out.count("\n") == 1
    [(owner, ttl, txt, left)] = parse_list(out)
    assert owner == "_acme-challenge.www.example.com."
    assert ttl == 120
    assert txt == f'"{VALUE}"'
    assert 3500 <= left <= 3600
    assert re.search(r" ; expires in 59m\d\ds$", out.strip())


def test_add_default_ttl_and_absolute_names(db):
    ok(db, "add", "_acme-challenge.example.com", "v1")
    # Same name with the trailing dot: the same owner, the same value.
    ok(db, "add", "_acme-challenge.example.com.", "v1")
    rows = listing(db)
    assert [(o, t, v) for o, t, v, _ in rows] == [
        ("_acme-challenge.example.com.", 60, '"v1"')]


def test_ttl_capped_by_time_left(db):
    ok(db, "-l", "30", "add", "a.example.com", "v", 600)
    [(_, ttl, _, left)] = listing(db)
    assert 25 <= left <= 30
    assert ttl == left


def test_ttl_bounds_accepted(db):
    ok(db, "add", "zero.example.com", "v", 0)
    ok(db, "-l", "604800", "add", "max.example.com", "v", 2147483647)
    rows = {o: (t, left) for o, t, _, left in listing(db)}
    assert rows["zero.example.com."][0] == 0
    ttl, left = rows["max.example.com."]
    assert ttl == left and 604700 <= left <= 604800


@pytest.mark.parametrize("lifetime, expected", [
    ("5", 5), ("45s", 45), ("90m", 5400), ("2h", 7200), ("1d", 86400), ("7d", 604800),
])
def test_lifetime_units(db, lifetime, expected):
    ok(db, "-l", lifetime, "add", "a.example.com", "v", 2147483647)
    [(_, ttl, _, left)] = listing(db)
    assert expected - 5 <= left <= expected
    assert ttl == left


def test_longest_value_accepted(db):
    ok(db, "add", "a.example.com", "x" * 255)
    assert values(db) == {("a.example.com.", '"' + "x" * 255 + '"')}


def test_value_starting_with_dash(db):
    # base64url values may start with '-': never taken for an option.
    ok(db, "add", "a.example.com", "-l5")
    ok(db, "add", "a.example.com", "--help")
    assert values(db) == {("a.example.com.", '"-l5"'), ("a.example.com.", '"--help"')}
    ok(db, "del", "a.example.com", "-l5")
    assert values(db) == {("a.example.com.", '"--help"')}


def test_list_empty_database(db):
    ok(db, "add", "a.example.com", "v")
    ok(db, "del", "a.example.com")
    assert ok(db, "list") == ""


def test_list_name_filters_subtree(db):
    for name in ["example.com", "a.example.com", "b.a.example.com",
                 "xexample.com", "example.com.evil.net", "example.net", "com"]:
        ok(db, "add", name, f"at {name}")
    assert values(db, "Example.COM") == {
        ("example.com.", '"at example.com"'),
        ("a.example.com.", '"at a.example.com"'),
        ("b.a.example.com.", '"at b.a.example.com"'),
    }
    assert values(db, "a.example.com.") == {
        ("a.example.com.", '"at a.example.com"'),
        ("b.a.example.com.", '"at b.a.example.com"'),
    }
    assert values(db, "b.a.example.com") == {("b.a.example.com.", '"at b.a.example.com"')}
    assert ok(db, "list", "nothing.example.com") == ""
    assert len(listing(db, "com")) == 5
    assert len(listing(db, ".")) == 7
    assert len(listing(db)) == 7


def test_add_same_value_refreshes(db):
    ok(db, "-l", "10", "add", "A.example.com", VALUE, 5)
    ok(db, "-l", "1h", "add", "a.EXAMPLE.com", VALUE, 30)
    [(owner, ttl, txt, left)] = listing(db)
    assert (owner, ttl, txt) == ("a.example.com.", 30, f'"{VALUE}"')
    assert left >= 3500


@pytest.mark.slow
def test_refresh_keeps_value_alive(db):
    ok(db, "-l", "1", "add", "a.example.com", "v")
    ok(db, "-l", "1h", "add", "a.example.com", "v")
    time.sleep(1.5)
    assert values(db) == {("a.example.com.", '"v"')}


def test_values_are_case_sensitive(db):
    ok(db, "add", "a.example.com", "abc")
    ok(db, "add", "a.example.com", "ABC")
    assert values(db) == {("a.example.com.", '"abc"'), ("a.example.com.", '"ABC"')}


# --- del --------------------------------------------------------------------

def test_del_value(db):
    ok(db, "add", "a.example.com", "v1")
    ok(db, "add", "a.example.com", "v2")
    assert ok(db, "del", "A.Example.Com", "v1") == ""
    assert values(db) == {("a.example.com.", '"v2"')}


def test_del_name(db):
    ok(db, "add", "a.example.com", "v1")
    ok(db, "add", "a.example.com", "v2")
    ok(db, "add", "b.a.example.com", "below")
    ok(db, "add", "example.com", "above")
    assert ok(db, "del", "a.example.com") == ""
    assert values(db) == {("b.a.example.com.", '"below"'), ("example.com.", '"above"')}


@pytest.mark.parametrize("args", [
    ["a.example.com", "nope"],
    ["a.example.com", "V1"],
    ["b.example.com", "v1"],
    ["b.example.com"],
    ["example.com"],
])
def test_del_missing(db, args):
    ok(db, "add", "a.example.com", "v1")
    before = ok(db, "list")
    res = run(db, "del", *args)
    assert res.returncode == 1
    assert res.stdout == ""
    assert res.stderr.startswith("knot-acme: no such value")
    assert ok(db, "list") == before


@pytest.mark.slow
def test_del_expired_value_is_missing(db):
    ok(db, "-l", "1", "add", "a.example.com", "old")
    time.sleep(1.2)
    res = run(db, "del", "a.example.com", "old")
    assert res.returncode == 1 and "no such value" in res.stderr
    res = run(db, "del", "a.example.com")
    assert res.returncode == 1 and "no such value" in res.stderr


# --- expiry and purge -------------------------------------------------------

def stored_entries(db):
    """Values on disk, expired ones included (needs lmdb-utils)."""
    out = subprocess.run(["mdb_stat", "-s", "values", str(db)], check=True,
                         capture_output=True, text=True).stdout
    return int(re.search(r"Entries: (\d+)", out).group(1))


@pytest.mark.slow
def test_expired_never_listed_and_purged(db):
    ok(db, "-l", "1", "add", "a.example.com", "short1")
    ok(db, "-l", "1", "add", "b.a.example.com", "short2")
    ok(db, "-l", "1h", "add", "a.example.com", "long")
    assert len(listing(db)) == 3
    time.sleep(2.1)
    # Not purged yet, but never listed.
    assert values(db) == {("a.example.com.", '"long"')}
    assert values(db, "a.example.com") == {("a.example.com.", '"long"')}
    assert ok(db, "list", "b.a.example.com") == ""
    if shutil.which("mdb_stat"):
        assert stored_entries(db) == 3
    assert ok(db, "purge") == "purged 2 expired values\n"
    if shutil.which("mdb_stat"):
        assert stored_entries(db) == 1
    assert ok(db, "purge") == "purged 0 expired values\n"
    assert values(db) == {("a.example.com.", '"long"')}


@pytest.mark.slow
def test_purge_one_value_message(db):
    ok(db, "-l", "1", "add", "a.example.com", "short")
    time.sleep(1.2)
    assert re.fullmatch(r"purged 1 expired values?\n", ok(db, "purge"))


# --- escaping -----------------------------------------------------------------

@pytest.mark.parametrize("raw, shown", [
    ('a"b', r'"a\"b"'),
    ("back\\slash", r'"back\\slash"'),
    ('\\"', r'"\\\""'),
    ("semi;colon (paren) $x @", '"semi;colon (paren) $x @"'),
    ("two  spaces", '"two  spaces"'),
    ("tab\there", r'"tab\009here"'),
    ("new\nline", r'"new\010line"'),
    ("caf\u00e9", r'"caf\195\169"'),
    ("", '""'),
])
def test_value_escaping_round_trip(db, raw, shown):
    ok(db, "add", "a.example.com", raw)
    [(_, _, txt, _)] = listing(db)
    assert txt == shown
    # What list prints is valid zone-file text for the same bytes.
    rd = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, txt)
    assert rd.strings == (raw.encode(),)
    # And the raw value deletes it.
    ok(db, "del", "a.example.com", raw)
    assert ok(db, "list") == ""


def test_owner_escaping(db):
    ok(db, "add", r"a\.b.Ex\065mple.com", "v")
    [(owner, _, _, _)] = listing(db)
    assert owner == r"a\.b.example.com."
    assert values(db, "example.com") == {(owner, '"v"')}
    assert ok(db, "list", "b.example.com") == ""


# --- bad input ----------------------------------------------------------------

USAGE_ERRORS = [
    (["add", "a..b", "v"], "invalid domain name 'a..b'"),
    (["add", "x" * 64 + ".example.com", "v"], "invalid domain name"),
    (["add", ".a", "v"], "invalid domain name"),
    (["add", "", "v"], "invalid domain name"),
    (["add", ".".join(["abcdefghi"] * 26), "v"], "invalid domain name"),
    (["add", "a.example.com", "x" * 256], "value too long"),
    (["add", "a.example.com", "v", "-1"], "invalid TTL"),
    (["add", "a.example.com", "v", "2147483648"], "invalid TTL"),
    (["add", "a.example.com", "v", "99999999999999999999999"], "invalid TTL"),
    (["add", "a.example.com", "v", "1.5"], "invalid TTL"),
    (["add", "a.example.com", "v", "60x"], "invalid TTL"),
    (["add", "a.example.com", "v", ""], "invalid TTL"),
    (["add", "a.example.com", "v", " 60"], "invalid TTL"),
    (["-l", "0", "add", "a.example.com", "v"], "invalid lifetime"),
    (["-l", "604801", "add", "a.example.com", "v"], "invalid lifetime"),
    (["-l", "8d", "add", "a.example.com", "v"], "invalid lifetime"),
    (["-l", "1x", "add", "a.example.com", "v"], "invalid lifetime"),
    (["-l", "1hh", "add", "a.example.com", "v"], "invalid lifetime"),
    (["-l", "-5", "add", "a.example.com", "v"], "invalid lifetime"),
    (["-l", "", "add", "a.example.com", "v"], "invalid lifetime"),
    (["-l", "h", "add", "a.example.com", "v"], "invalid lifetime"),
    (["-l"], "requires an argument"),
    (["frobnicate"], "unknown command 'frobnicate'"),
    (["LIST"], "unknown command"),
    ([], "missing command"),
    (["add"], "missing argument"),
    (["add", "a.example.com"], "missing argument"),
    (["del"], "missing argument"),
    (["add", "a.example.com", "v", "60", "extra"], "too many arguments"),
    (["del", "a.example.com", "v", "extra"], "too many arguments"),
    (["list", "a.example.com", "extra"], "too many arguments"),
    (["purge", "extra"], "too many arguments"),
    (["-Z", "list"], "invalid option"),
    (["--bogus", "list"], "invalid option"),
    (["del", "a..b"], "invalid domain name"),
    (["del", "a.example.com", "x" * 256], "value too long"),
    (["list", "a..b"], "invalid domain name"),
]


@pytest.mark.parametrize("args, message", USAGE_ERRORS)
def test_bad_input_changes_nothing(db, args, message):
    ok(db, "add", "a.example.com", "v1")
    ok(db, "-l", "1d", "add", "b.example.com", "v2", 300)
    before = ok(db, "list")
    digest = data_digest(db)
    res = run(db, *args)
    assert res.returncode == 2
    assert res.stdout == ""
    assert res.stderr.startswith("knot-acme: ")
    assert message in res.stderr
    assert data_digest(db) == digest
    assert ok(db, "list") == before


@pytest.mark.parametrize("args, message", USAGE_ERRORS)
def test_bad_input_creates_no_database(db, args, message):
    res = run(db, *args)
    assert res.returncode == 2
    assert res.stdout == ""
    assert res.stderr.startswith("knot-acme: ") and message in res.stderr
    assert not db.exists()


@pytest.mark.parametrize("args", [["list"], ["list", "example.com"], ["purge"],
                                  ["del", "a.example.com"], ["del", "a.example.com", "v"]])
def test_missing_database(db, args):
    res = run(db, *args)
    assert res.returncode == 1
    assert res.stdout == ""
    assert res.stderr == f"knot-acme: database {db} does not exist\n"
    assert not db.exists()


@pytest.mark.parametrize("args", [["list"], ["purge"], ["del", "a.example.com"]])
def test_empty_directory_is_not_a_database(db, args):
    db.mkdir(mode=0o700)
    res = run(db, *args)
    assert res.returncode == 1
    assert "does not exist" in res.stderr
    assert list(db.iterdir()) == []


def test_add_creates_database(tmp_path):
    db = tmp_path / "deep" / "er" / "db"
    assert ok(db, "add", "a.example.com", "v") == ""
    assert (db / "data.mdb").exists()
    # Created private: no permission warning above, none now.
    assert not db.stat().st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    assert values(db) == {("a.example.com.", '"v"')}


def map_size(db):
    out = subprocess.run(["mdb_stat", "-e", str(db)], check=True,
                         capture_output=True, text=True).stdout
    return int(re.search(r"Map size: (\d+)", out).group(1))


@pytest.mark.skipif(not all(shutil.which(t) for t in ("mdb_stat", "mdb_dump", "mdb_load")),
                    reason="needs lmdb-utils")
def test_map_size(tmp_path):
    # A new database gets the store's default size (64 MiB), not LMDB's 1 MiB.
    new = tmp_path / "new"
    ok(new, "add", "a.example.com", "v")
    assert map_size(new) == 64 * 1024 * 1024
    # An existing database keeps its own size through every command.
    dump = subprocess.run(["mdb_dump", "-a", str(new)], check=True,
                          capture_output=True, text=True).stdout
    big = tmp_path / "big"
    big.mkdir(mode=0o700)
    subprocess.run(["mdb_load", str(big)], check=True, capture_output=True, text=True,
                   input=re.sub(r"(?m)^mapsize=\d+$", "mapsize=134217728", dump))
    assert map_size(big) == 128 * 1024 * 1024
    ok(big, "add", "b.example.com", "v")
    ok(big, "del", "a.example.com")
    ok(big, "purge")
    assert values(big) == {("b.example.com.", '"v"')}
    assert map_size(big) == 128 * 1024 * 1024


def test_warns_about_writable_directory(db):
    ok(db, "add", "a.example.com", "v")
    for mode in (0o770, 0o707):
        db.chmod(mode)
        res = run(db, "list")
        assert res.returncode == 0
        assert res.stdout.startswith("a.example.com. ")
        assert res.stderr == f"knot-acme: warning: database {db} is writable by others\n"
    db.chmod(0o750)
    assert ok(db, "list").startswith("a.example.com. ")


def test_output_write_error(db):
    ok(db, "add", "a.example.com", "v")
    with open("/dev/full", "w") as full:
        res = run(db, "list", stdout=full)
    assert res.returncode == 1
    assert res.stderr.startswith("knot-acme: ")


# --- help and version ---------------------------------------------------------

@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help(flag):
    res = run(None, flag)
    assert res.returncode == 0
    assert res.stderr == ""
    for word in ["Usage", "list [--json] [NAME]", "add NAME VALUE [TTL]", "del NAME [VALUE]",
                 "purge", "-D", "-l", "--help", "--version", "Exit status"]:
        assert word in res.stdout, word


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag):
    res = run(None, flag)
    assert res.returncode == 0
    assert re.fullmatch(r"knot-acme \S+\n", res.stdout)


def test_help_writes_nothing(db):
    res = run(db, "--help", "add", "a.example.com", "v")
    assert res.returncode == 0
    assert not db.exists()


# --- concurrency --------------------------------------------------------------

LOOP = 'i=0; while [ $i -lt 200 ]; do "$1" -D "$2" add c.example.com "$3-$i" || exit 1; i=$((i+1)); done'


@pytest.mark.slow
def test_concurrent_adds(db):
    ok(db, "add", "other.example.com", "v")
    procs = [subprocess.Popen(["sh", "-c", LOOP, "sh", TOOL, str(db), tag],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for tag in ("p", "q")]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        assert out == "" and err == ""
    got = values(db, "c.example.com")
    assert got == {("c.example.com.", f'"{tag}-{i}"') for tag in "pq" for i in range(200)}
    assert len(listing(db)) == 401


@pytest.mark.slow
def test_concurrent_database_creation(tmp_path):
    for round in range(5):
        db = tmp_path / f"db{round}"
        procs = [subprocess.Popen([TOOL, "-D", str(db), "add", "a.example.com", f"v{n}"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for n in range(6)]
        for p in procs:
            out, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
        assert values(db) == {("a.example.com.", f'"v{n}"') for n in range(6)}


# --- knotd's configuration (-c FILE, -C DIR) --------------------------------
#
# The database and the policy of a name come from the mod-acme section of the
# zone the name falls in, read through `knotc conf-export` from a file or a
# configuration database, as knotd itself would use it.  No knotd is needed
# except where a test says so.

from acmetest.knotd import Knotd, Zone, challenge_value, txt_values, KNOTC  # noqa: E402

os.environ.setdefault("KNOTC", KNOTC)  # the tool runs the same knotc

V1, V2, V3 = (challenge_value(i) for i in range(3))


@pytest.fixture(params=["file", "confdb"])
def server(request):
    """A knotd configuration: auth.example.net (mod-acme/default, 2h, max-ttl 30,
    max-records 2), _acme-challenge.www.example.com (mod-acme/loose: not strict,
    own database under database.storage), plain.example.org (no module),
    inherit.example.org (module from the default template is not used: the
    zone names its own template)."""
    k = Knotd([Zone("auth.example.net"),
               Zone("_acme-challenge.www.example.com", module="mod-acme/loose"),
               Zone("plain.example.org", module=None)],
              acme={"default": {"lifetime": "2h", "max-ttl": 30, "max-records": 2,
                                "strict": True},
                    "loose": {"lifetime": 600, "strict": False, "database": "loose"}})
    k.source = ["-c", str(k.conf)]
    if request.param == "confdb":
        confdb = k.dir / "confdb"
        subprocess.run([KNOTC, "-C", str(confdb), "conf-import", str(k.conf)],
                       check=True, capture_output=True, timeout=60)
        k.source = ["-C", str(confdb)]
    yield k
    k.cleanup()


def crun(k, *args):
    return subprocess.run([TOOL] + k.source + [str(a) for a in args],
                          capture_output=True, text=True, timeout=60)


def cok(k, *args):
    res = crun(k, *args)
    assert res.returncode == 0, f"{args}: rc {res.returncode}, stderr {res.stderr!r}"
    assert res.stderr == ""
    return res.stdout


@pytest.mark.lmdb("the section's database path (Redis: test_redis_tool.py)")
def test_conf_database_and_lifetime_from_section(server):
    cok(server, "add", "www.example.com.auth.example.net", V1, 120)
    # The module's own database, at the path the module uses.
    assert (Path(server.db_path("default")) / "data.mdb").exists()
    [(owner, ttl, txt, left)] = parse_list(cok(server, "list"))
    assert owner == "www.example.com.auth.example.net."
    assert txt == f'"{V1}"'
    assert ttl == 30                       # max-ttl caps what knotd answers
    assert 7100 <= left <= 7200            # lifetime 2h, not the tool's 3600
    # The same value read as a bare database.
    assert values(server.db_path("default")) == {(owner, txt)}


@pytest.mark.lmdb("the section's database path")
def test_conf_relative_database_under_storage(server):
    cok(server, "add", "_acme-challenge.www.example.com", "not strict here")
    assert (server.storage / "loose" / "data.mdb").exists()
    [(owner, _, txt, left)] = parse_list(cok(server, "list", "_acme-challenge.www.example.com"))
    assert (owner, txt) == ("_acme-challenge.www.example.com.", '"not strict here"')
    assert 500 <= left <= 600


def test_conf_max_records_drops_oldest(server):
    for v in (V1, V2, V3):
        cok(server, "add", "a.auth.example.net", v)
    assert {t for _, _, t, _ in parse_list(cok(server, "list"))} == {f'"{V2}"', f'"{V3}"'}


@pytest.mark.lmdb("database paths in the listing (Redis: test_redis_tool.py)")
def test_conf_list_all_databases_and_json(server):
    cok(server, "add", "a.auth.example.net", V1)
    cok(server, "add", "_acme-challenge.www.example.com", "x")
    rows = json.loads(cok(server, "list", "--json"))
    assert sorted((r["name"], r["txt"], r["module"]) for r in rows) == [
        ("_acme-challenge.www.example.com.", ["x"], "mod-acme/loose"),
        ("a.auth.example.net.", [V1], "mod-acme/default")]
    for r in rows:
        assert r["expires"] - r["expires_in"] - time.time() < 5
        assert r["database"] in (server.db_path("default"), str(server.storage / "loose"))
    assert json.loads(cok(server, "list", "--json", "b.auth.example.net")) == []


@pytest.mark.parametrize("args, message", [
    (["add", "not a name!!", V1], "invalid domain name"),
    (["add", "www.example.org", V1], "in no zone"),
    (["add", "x.plain.example.org", V1], "does not use mod-acme"),
    (["add", "a.auth.example.net", "not RFC 8555"], "strict"),
    (["del", "x.plain.example.org"], "does not use mod-acme"),
    (["list", "www.example.org"], "in no zone"),
])
def test_conf_refused_names_change_nothing(server, args, message):
    cok(server, "add", "a.auth.example.net", V1)
    before = data_digest(Path(server.db_path("default")))
    res = crun(server, *args)
    assert res.returncode == 2, res
    assert message in res.stderr
    assert res.stdout == ""
    assert data_digest(Path(server.db_path("default"))) == before
    assert not (server.storage / "acme").exists()   # no default database created


def test_conf_lifetime_option_only_with_dir(server):
    res = crun(server, "-l", "60", "add", "a.auth.example.net", V1)
    assert res.returncode == 2 and "-l" in res.stderr


@pytest.mark.parametrize("source, message", [
    (["-c", "/nonexistent/knot.conf"], "cannot read the configuration file"),
    (["-C", "/nonexistent/confdb"], "cannot read the configuration database"),
    (["-c", "a", "-C", "b"], "ambiguous"),
    (["-D", "/tmp/x", "-c", "a"], "-D"),
])
def test_conf_bad_source(source, message):
    res = subprocess.run([TOOL] + source + ["list"], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 2, res
    assert message in res.stderr


def test_conf_template_module_and_knotd_serves(tmp_path):
    """A zone that gets mod-acme from the default template; the value the
    tool adds is what the running knotd serves."""
    k = Knotd([Zone("auth.example.net", module=None)])
    try:
        text = k.config_text().replace(
            "template:\n  - id: default\n",
            "template:\n  - id: default\n    module: mod-acme/default\n", 1)
        assert "template:\n  - id: default\n    module: mod-acme/default" in text
        k.config_text = lambda: text
        k.start()
        subprocess.run([TOOL, "-c", str(k.conf), "add", "x.auth.example.net", V1],
                       check=True, timeout=60)
        msg = k.query("x.auth.example.net", "TXT")
        assert [v for v in txt_values(msg)] == [V1]
    finally:
        k.cleanup()


def test_dir_refuses_malformed_name(db):
    res = run(db, "add", "not a name!!", "v")
    assert res.returncode == 2 and "invalid domain name" in res.stderr
    assert not db.exists()


def test_dir_list_json(db):
    ok(db, "add", "a.example.com", "v1", 30)
    ok(db, "add", "a.example.com", 'q"uote\\', 30)
    ok(db, "add", "b.example.com", "\u00e9", 30)
    rows = json.loads(ok(db, "list", "--json"))
    # Bytes outside printable ASCII come out one code point each (\u00XX).
    assert sorted((r["name"], r["ttl"], tuple(r["txt"])) for r in rows) == sorted([
        ("a.example.com.", 30, ("v1",)), ("a.example.com.", 30, ('q"uote\\',)),
        ("b.example.com.", 30, ("\u00c3\u00a9",))])
    for r in rows:
        assert r["database"] == str(db) and "module" not in r
        assert 0 < r["expires_in"] <= 3600 and r["expires"] > r["added"]
    assert json.loads(ok(db, "list", "--json", "c.example.com")) == []
