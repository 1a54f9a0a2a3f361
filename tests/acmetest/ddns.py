"""DDNS test helpers: keys, acls, a knotd with them, raw UPDATE messages.

Extends the harness in acmetest.knotd with what DDNS tests need:

- TsigKey: one key, as knotd config, as dnspython key, as nsupdate/knsupdate
  arguments;
- DdnsKnotd: a Knotd with `key:`, `remote:`, `remotes:`, `acl:` sections and
  optionally more listen addresses (127.0.0.2 for acl address tests);
- the ddns_factory fixture (import it into a test module) that stops and
  removes every DdnsKnotd it made;
- a wire-level UPDATE builder with its own TSIG signer (any time, any key,
  any RR order, malformed RRs), a sender over UDP/TCP from a chosen source
  address, and a reply parser that reads rcode and TSIG error without
  verifying, plus reply TSIG verification with dnspython.
"""

import base64
import hashlib
import hmac
import random
import re
import socket
import struct
import subprocess
import time
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import pytest

from acmetest.knotd import (HOST, KNOT_ACME, KNOTD, Knotd, KnotdError, MOD_ACME_SO, QUERY_TIMEOUT,
                            free_port, recv_exact)

# -- keys -----------------------------------------------------------------------

_ALG_HASH = {
    "hmac-md5": hashlib.md5,
    "hmac-sha1": hashlib.sha1,
    "hmac-sha224": hashlib.sha224,
    "hmac-sha256": hashlib.sha256,
    "hmac-sha384": hashlib.sha384,
    "hmac-sha512": hashlib.sha512,
}


def _secret(seed: str, size: int = 32) -> str:
    return base64.b64encode(hashlib.sha256(seed.encode()).digest()[:size]).decode()


@dataclass(frozen=True)
class TsigKey:
    """A TSIG key: id (= key name), base64 secret, algorithm."""
    id: str
    secret: str
    algorithm: str = "hmac-sha256"

    @staticmethod
    def make(name: str, algorithm: str = "hmac-sha256", seed: Optional[str] = None):
        return TsigKey(name, _secret(seed or f"{name}/{algorithm}"), algorithm)

    @property
    def name(self) -> dns.name.Name:
        return dns.name.from_text(self.id)

    @property
    def secret_bytes(self) -> bytes:
        return base64.b64decode(self.secret)

    def dns_key(self) -> dns.tsig.Key:
        """dnspython key (for use_tsig and reply verification)."""
        return dns.tsig.Key(self.name, self.secret, self.algorithm)

    def keyring(self) -> dict:
        return {self.name: self.dns_key()}

    def with_secret(self, secret: str) -> "TsigKey":
        return TsigKey(self.id, secret, self.algorithm)

    def with_name(self, name: str) -> "TsigKey":
        return TsigKey(name, self.secret, self.algorithm)

    def with_algorithm(self, algorithm: str) -> "TsigKey":
        return TsigKey(self.id, self.secret, algorithm)

    def conf(self) -> str:
        return (f"  - id: {self.id}\n    algorithm: {self.algorithm}\n"
                f"    secret: {self.secret}\n")

    def nsupdate_y(self) -> str:
        """nsupdate/knsupdate -y argument."""
        return f"{self.algorithm}:{self.id}:{self.secret}"


def ddns_conf(keys: Iterable[TsigKey] = (), acls: Optional[Dict[str, str]] = None,
              remotes: Optional[Dict[str, str]] = None,
              remote_groups: Optional[Dict[str, str]] = None) -> str:
    """YAML of key:, remote:, remotes:, acl: sections.

    acls / remotes map an id to its items as raw YAML lines (without the id),
    e.g. {"upd": "key: k1\\naction: update"}.  remote_groups maps an id to
    the list of remotes, e.g. {"grp": "[ r1, r2 ]"}.
    """
    def items(section, entries):
        out = [f"{section}:"]
        for ident, body in entries.items():
            out.append(f"  - id: {ident}")
            for line in body.strip("\n").splitlines():
                out.append(f"    {line.strip()}")
        return out

    out: List[str] = []
    keys = list(keys)
    if keys:
        out.append("key:")
        out.append("".join(k.conf() for k in keys).rstrip("\n"))
    if remotes:
        out += items("remote", remotes)
    if remote_groups:
        out += ["remotes:"] + [f"  - id: {i}\n    remote: {r}" for i, r in remote_groups.items()]
    if acls:
        out += items("acl", acls)
    return "\n".join(out) + ("\n" if out else "")


#: Minimal zone: SOA, NS and the NS name's address; nothing else.
MINIMAL_RECORDS = """\
$TTL 3600
@        SOA   ns hostmaster 1 3600 900 604800 300
@        NS    ns
ns       A     192.0.2.53
"""


class DdnsKnotd(Knotd):
    """Knotd with more listen addresses (all on the same port)."""

    def __init__(self, zones, *, listen_extra: Sequence[str] = (), **kw):
        self.listen_extra = list(listen_extra)
        super().__init__(zones, **kw)

    def config_text(self) -> str:
        text = super().config_text()
        if self.listen_extra:
            addrs = ", ".join([f"{HOST}@{self.port}"] +
                              [f"{a}@{self.port}" for a in self.listen_extra])
            text = text.replace(f"  listen: {HOST}@{self.port}\n",
                                f"  listen: [ {addrs} ]\n", 1)
        return text

    def start_retrying(self, attempts: int = 3):
        """start(), on a new port again when knotd could not bind its port
        (free_port() only finds a port free at the time of the call)."""
        for attempt in range(attempts):
            mark = self.log_mark()
            try:
                return self.start()
            except KnotdError:
                text = self.log_since(mark) + self.stderr()
                if attempt == attempts - 1 or not re.search(
                        r"cannot bind|failed to configure server|in use", text):
                    raise
                self.port = free_port()

    def send(self, wire: bytes, tcp: bool = False, source: str = HOST,
             timeout: float = QUERY_TIMEOUT) -> Optional["Reply"]:
        # From an extra loopback address, to the same address (knotd listens there).
        dest = source if source in self.listen_extra else HOST
        return send_wire(wire, self.port, tcp=tcp, source=source, dest=dest, timeout=timeout)

    def txt(self, name: str, tcp: bool = False) -> frozenset:
        return txt_set(self.query(name, "TXT", tcp=tcp))


def knotd_report_header():
    """pytest report header lines: the knotd, module and tool under test."""
    try:
        ver = subprocess.run([KNOTD, "-V"], capture_output=True, text=True).stdout.strip()
    except OSError as exc:
        ver = f"knotd not runnable: {exc}"
    return [f"knotd: {ver}", f"MOD_ACME_SO: {MOD_ACME_SO}", f"KNOT_ACME: {KNOT_ACME}"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A hook for conftest.py files to import: a failing test's report carries
    the tail of the log of each knotd it used (see attached())."""
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and rep.when in ("setup", "call"):
        for k in getattr(item, "_knotd_instances", []):
            rep.sections.append((f"knotd in {k.dir}", k.diagnostics(60)))


def serving(*instances, value=None):
    """Body of a module-scoped fixture sharing knotds between tests
    (`yield from serving(k)`): starts them (on a new port if theirs was
    taken), yields \a value or else the first, stops and removes them
    afterwards whatever happened."""
    try:
        for k in instances:
            k.start_retrying()
        yield instances[0] if value is None else value
    finally:
        for k in instances:
            k.cleanup()


def attached(request, *instances, value=None):
    """Body of the per-test fixture over shared knotds (`yield from
    attached(request, server)`), yielding \a value or else the first: their
    logs go into the report of a failing test; the test fails at once when
    one died earlier, and fails when one dies during it."""
    request.node._knotd_instances = list(instances)
    for k in instances:
        if not k.running:
            pytest.fail("knotd is not running (died in an earlier test)\n" + k.diagnostics())
    yield instances[0] if value is None else value
    for k in instances:
        assert k.running, "knotd died during the test\n" + k.diagnostics()


@pytest.fixture
def ddns_factory(request):
    """make(zones, start=True, **DdnsKnotd kwargs) -> DdnsKnotd; all are stopped
    and removed on teardown (and their logs attached to a failure report)."""
    instances = getattr(request.node, "_knotd_instances", None)
    if instances is None:
        instances = []
        request.node._knotd_instances = instances

    def make(zones, start: bool = True, **kw):
        k = DdnsKnotd(zones, **kw)
        instances.append(k)
        if start:
            k.start_retrying()
        return k

    yield make
    errors = []
    for k in list(instances):
        try:
            k.cleanup()
        except Exception as exc:
            errors.append(exc)
    if errors:
        raise errors[0]


# -- wire-level UPDATE messages ---------------------------------------------------

CLASS_IN = dns.rdataclass.IN
CLASS_NONE = dns.rdataclass.NONE
CLASS_ANY = dns.rdataclass.ANY
TYPE_TXT = dns.rdatatype.TXT
TYPE_ANY = dns.rdatatype.ANY
TYPE_SOA = dns.rdatatype.SOA
OPCODE_UPDATE = 5


def name_wire(name) -> bytes:
    if isinstance(name, str):
        name = dns.name.from_text(name)
    return name.to_wire()


def txt_rdata(*strings) -> bytes:
    """TXT rdata of character strings (str or bytes, each < 256 bytes)."""
    out = b""
    for s in strings:
        b = s.encode() if isinstance(s, str) else s
        assert len(b) < 256
        out += bytes([len(b)]) + b
    return out


@dataclass
class RR:
    owner: str
    rtype: int = TYPE_TXT
    rclass: int = CLASS_IN
    ttl: int = 0
    rdata: bytes = b""

    def wire(self) -> bytes:
        return (name_wire(self.owner) +
                struct.pack("!HHIH", self.rtype, self.rclass, self.ttl, len(self.rdata)) +
                self.rdata)


# Constructors for the RFC 2136 forms.
def add(owner, *strings, ttl=60) -> RR:
    return RR(owner, TYPE_TXT, CLASS_IN, ttl, txt_rdata(*strings))


def del_value(owner, *strings, ttl=0) -> RR:
    return RR(owner, TYPE_TXT, CLASS_NONE, ttl, txt_rdata(*strings))


def del_rrset(owner, rtype=TYPE_TXT, rdata=b"") -> RR:
    return RR(owner, rtype, CLASS_ANY, 0, rdata)


def yxrrset(owner, rtype=TYPE_TXT) -> RR:
    return RR(owner, rtype, CLASS_ANY, 0)


def nxrrset(owner, rtype=TYPE_TXT) -> RR:
    return RR(owner, rtype, CLASS_NONE, 0)


def yxdomain(owner) -> RR:
    return RR(owner, TYPE_ANY, CLASS_ANY, 0)


def nxdomain(owner) -> RR:
    return RR(owner, TYPE_ANY, CLASS_NONE, 0)


def value_rr(owner, *strings, ttl=0) -> RR:
    """Value-dependent prerequisite (RFC 2136 2.4.2)."""
    return RR(owner, TYPE_TXT, CLASS_IN, ttl, txt_rdata(*strings))


def build_update(zone: str, prereqs: Sequence[RR] = (), updates: Sequence[RR] = (),
                 msg_id: Optional[int] = None, zclass: int = CLASS_IN,
                 ztype: int = TYPE_SOA, additional: Sequence[RR] = ()) -> bytes:
    """Unsigned UPDATE wire: zone section, prerequisites, updates, additional."""
    if msg_id is None:
        msg_id = int.from_bytes(hashlib.sha256(str(time.time_ns()).encode()).digest()[:2],
                                "big")
    header = struct.pack("!HHHHHH", msg_id, OPCODE_UPDATE << 11, 1, len(prereqs),
                         len(updates), len(additional))
    zone_sec = name_wire(zone) + struct.pack("!HH", ztype, zclass)
    return (header + zone_sec + b"".join(r.wire() for r in prereqs) +
            b"".join(r.wire() for r in updates) + b"".join(r.wire() for r in additional))


def tsig_sign(wire: bytes, key: TsigKey, time_signed: Optional[int] = None,
              fudge: int = 300, mac_tamper: bool = False, mac_size: Optional[int] = None,
              alg_name: Optional[str] = None, error: int = 0, other: bytes = b"",
              orig_id: Optional[bytes] = None) -> Tuple[bytes, bytes]:
    """Appends a TSIG RR (RFC 8945) to an unsigned message; returns (wire, mac).

    mac_size truncates the MAC (RFC 8945 5.2.2.1), alg_name overrides the
    algorithm name as written (e.g. upper case), error/other/orig_id fill the
    fields of the request's TSIG as given (all signed)."""
    if time_signed is None:
        time_signed = int(time.time())
    alg = dns.name.from_text(alg_name or key.algorithm).to_wire()
    keyname = key.name.canonicalize().to_wire()
    msg_id = wire[:2] if orig_id is None else orig_id
    signed_time = struct.pack("!HIH", time_signed >> 32, time_signed & 0xFFFFFFFF, fudge)
    variables = (keyname + struct.pack("!HI", CLASS_ANY, 0) +
                 dns.name.from_text(alg_name or key.algorithm).canonicalize().to_wire() +
                 signed_time + struct.pack("!HH", error, len(other)) + other)
    digest_wire = msg_id + wire[2:]       # the MAC covers the original ID
    mac = hmac.new(key.secret_bytes, digest_wire + variables, _ALG_HASH[key.algorithm]).digest()
    if mac_size is not None:
        mac = mac[:mac_size]
    if mac_tamper:
        mac = bytes([mac[0] ^ 0xFF]) + mac[1:]
    rdata = (alg + signed_time + struct.pack("!H", len(mac)) + mac + msg_id +
             struct.pack("!HH", error, len(other)) + other)
    tsig_rr = (key.name.to_wire() + struct.pack("!HHIH", dns.rdatatype.TSIG, CLASS_ANY, 0,
                                                 len(rdata)) + rdata)
    arcount = struct.unpack("!H", wire[10:12])[0] + 1
    return wire[:10] + struct.pack("!H", arcount) + wire[12:] + tsig_rr, mac


def make_update(zone: str, prereqs: Sequence[RR] = (), updates: Sequence[RR] = (),
                key: Optional[TsigKey] = None, time_offset: int = 0, fudge: int = 300,
                mac_tamper: bool = False) -> "Request":
    wire = build_update(zone, prereqs, updates)
    mac = None
    if key is not None:
        wire, mac = tsig_sign(wire, key, int(time.time()) + time_offset, fudge, mac_tamper)
    return Request(wire, key, mac)


@dataclass
class Request:
    wire: bytes
    key: Optional[TsigKey] = None
    mac: Optional[bytes] = None


# -- replies ----------------------------------------------------------------------

def _skip_name(w: bytes, o: int) -> int:
    while True:
        ln = w[o]
        if ln == 0:
            return o + 1
        if ln & 0xC0 == 0xC0:
            return o + 2
        o += ln + 1


@dataclass
class Reply:
    """A reply read without dnspython (which refuses TSIG errors)."""
    wire: bytes
    msg_id: int = 0
    rcode: int = 0
    opcode: int = 0
    qr: bool = False
    tsig: bool = False
    tsig_error: Optional[int] = None
    tsig_mac_len: int = 0
    tsig_time: Optional[int] = None

    @staticmethod
    def parse(wire: bytes) -> "Reply":
        r = Reply(wire)
        r.msg_id, flags = struct.unpack("!HH", wire[:4])
        r.qr = bool(flags & 0x8000)
        r.opcode = (flags >> 11) & 0xF
        r.rcode = flags & 0xF
        qd, an, ns, ar = struct.unpack("!HHHH", wire[4:12])
        o = 12
        for _ in range(qd):
            o = _skip_name(wire, o) + 4
        for _ in range(an + ns + ar):
            o = _skip_name(wire, o)
            t, _c, _ttl, rdl = struct.unpack("!HHIH", wire[o:o + 10])
            o += 10
            if t == dns.rdatatype.TSIG:
                p = _skip_name(wire, o)
                hi, lo, _fudge = struct.unpack("!HIH", wire[p:p + 8])
                p += 8
                macl = struct.unpack("!H", wire[p:p + 2])[0]
                p += 2 + macl + 2
                r.tsig = True
                r.tsig_error = struct.unpack("!H", wire[p:p + 2])[0]
                r.tsig_mac_len = macl
                r.tsig_time = (hi << 32) | lo
            o += rdl
        return r

    @property
    def rcode_text(self) -> str:
        return dns.rcode.to_text(self.rcode)

    @property
    def tsig_error_text(self) -> Optional[str]:
        if self.tsig_error is None:
            return None
        return {0: "NOERROR", 16: "BADSIG", 17: "BADKEY", 18: "BADTIME"}.get(
            self.tsig_error, str(self.tsig_error))

    def verified(self, request: Request, key: Optional[TsigKey] = None) -> dns.message.Message:
        """The reply parsed by dnspython, its TSIG verified with key (default:
        the request's) against the request's MAC.  Raises dns.tsig.BadSignature
        etc. when it does not verify, dns.tsig.Peer* for a TSIG error; a reply
        without TSIG parses (check had_tsig)."""
        key = key or request.key
        return dns.message.from_wire(self.wire, keyring=key.dns_key(), request_mac=request.mac)

    def summary(self) -> tuple:
        """What the differential compares: rcode, TSIG error, signed or not."""
        return (self.rcode_text, self.tsig_error_text, self.tsig_mac_len > 0)


def send_wire(wire: bytes, port: int, tcp: bool = False, source: str = HOST,
              dest: str = HOST, timeout: float = QUERY_TIMEOUT) -> Optional[Reply]:
    """Sends one message; returns the parsed reply, or None on timeout/close."""
    if tcp:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.settimeout(timeout)
            s.bind((source, 0))
            s.connect((dest, port))
            s.sendall(struct.pack("!H", len(wire)) + wire)
            try:
                size = struct.unpack("!H", recv_exact(s, 2))[0]
                resp = recv_exact(s, size)
            except OSError:  # timeout, reset or closed
                return None
        finally:
            s.close()
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.settimeout(timeout)
            s.bind((source, 0))
            s.connect((dest, port))
            s.send(wire)
            deadline = time.monotonic() + timeout
            while True:
                try:
                    resp = s.recv(65535)
                except (socket.timeout, ConnectionRefusedError):
                    return None
                if len(resp) >= 2 and resp[:2] == wire[:2]:
                    break
                if time.monotonic() > deadline:
                    return None
        finally:
            s.close()
    return Reply.parse(resp)


# -- answers ----------------------------------------------------------------------

def txt_set(msg: dns.message.Message) -> frozenset:
    """The TXT rdata of an answer as a set of tuples of strings (bytes)."""
    out = set()
    for rrset in msg.answer:
        if rrset.rdtype == TYPE_TXT:
            for rd in rrset:
                out.add(tuple(rd.strings))
    return frozenset(out)


# -- replays ----------------------------------------------------------------------

#: TSIG error of a refused replay (RFC 8945).
BADTIME = 18


def assert_replay_refused(reply, what=""):
    """A replay's reply: NOTAUTH with TSIG error BADTIME, signed."""
    assert reply is not None, f"no reply to the replay {what}"
    assert reply.rcode_text == "NOTAUTH", (what, reply.summary())
    assert reply.tsig_error == BADTIME, (what, reply.summary())
    assert reply.tsig_mac_len > 0, f"BADTIME reply not signed {what}"


def upper_key(wire: bytes, key: TsigKey) -> bytes:
    """The same message with the TSIG owner (key name) in upper case: the MAC
    covers the name in canonical form, so it still verifies."""
    name = key.name.to_wire()
    pos = wire.rfind(name)
    assert pos > 0
    return wire[:pos] + name.upper() + wire[pos + len(name):]


def truncate_mac(wire: bytes, key: TsigKey, size: int) -> bytes:
    """The same signed message with its TSIG MAC cut to its first size octets
    (RFC 8945 5.2.2.1; the MAC covers neither its own length nor itself)."""
    name = key.name.to_wire()
    pos = wire.rfind(name)
    assert pos > 0
    rdata_at = pos + len(name) + 10
    rdlen = struct.unpack("!H", wire[rdata_at - 2:rdata_at])[0]
    alg_end = _skip_name(wire, rdata_at)
    mac_at = alg_end + 6 + 2 + 2
    mac_len = struct.unpack("!H", wire[mac_at - 2:mac_at])[0]
    assert size <= mac_len
    rdata = (wire[rdata_at:mac_at - 2] + struct.pack("!H", size) + wire[mac_at:mac_at + size] +
             wire[mac_at + mac_len:rdata_at + rdlen])
    return wire[:rdata_at - 2] + struct.pack("!H", len(rdata)) + rdata + wire[rdata_at + rdlen:]


def other_id(wire: bytes) -> bytes:
    """The same message with another header ID (TSIG keeps the original ID)."""
    new = (int.from_bytes(wire[:2], "big") ^ 0x5a5a).to_bytes(2, "big")
    return new + wire[2:]


_labels = [0]


def unique_label(prefix: str) -> str:
    """A fresh owner label, for tests sharing one server and one store."""
    _labels[0] += 1
    return f"{prefix}-{_labels[0]}-{random.randrange(10**6)}"


def labels_made() -> int:
    """How many unique_label() made: changes with each one (values tied to a label)."""
    return _labels[0]


def rebase(rel: str, zone: str) -> str:
    """Absolute owner for a name relative to zone ('@' is the apex; a name
    ending in '.' is already absolute)."""
    if rel.endswith("."):
        return rel
    origin = zone.rstrip(".") + "."
    return origin if rel == "@" else f"{rel}.{origin}"
