"""The mutants of `make mutate` (tests/mutation/run).

Each one is a small deliberate bug: in FILE, the ORIGINAL snippet (which must
occur exactly once) becomes the REPLACEMENT.  BREAKS says what goes wrong.
FIRST lists tests to run before the suites (a fast way to the killing test:
a cmocka program, or a pytest node id); the suites run anyway when they pass.
EQUIVALENT, when set, says why the mutant cannot change behaviour; it is run
and must survive.

When the code changes, the runner refuses to run until every original here
is found again: update the snippet (or the mutant) with the code.
"""

from dataclasses import dataclass, field
from typing import List, Optional


@dataclass
class Mutant:
    id: str
    file: str
    original: str
    replacement: str
    breaks: str
    first: List[str] = field(default_factory=list)
    equivalent: Optional[str] = None


M = Mutant
VALUE = "module/dns/value.c"
REPLAY = "module/dns/replay.c"
DDNS = "module/dns/ddns.c"
ACL = "module/dns/acl.c"
AUTH = "module/knotd/auth.c"
ANSWER = "module/knotd/answer.c"
UPDATE = "module/knotd/update.c"
MOD = "module/mod-acme.c"
STORECONF = "module/knotd/storeconf.c"
TOOL = "module/tool/knot-acme.c"
TOOL_STORE = "module/tool/store_cmd.c"
TOOL_LIST = "module/tool/list.c"

UNIT_VALUE = "tests/unit/test_value"
UNIT_REPLAY = "tests/unit/test_replay"
UNIT_DDNS_PREREQ = "tests/unit/test_ddns_prereq"
UNIT_DDNS_CHECKS = "tests/unit/test_ddns_checks"
UNIT_DDNS_OPS = "tests/unit/test_ddns_ops"
UNIT_DDNS_CLAIMS = "tests/unit/test_ddns_claims"
UNIT_ACL = "tests/unit/test_acl"
UNIT_STORE = "tests/unit/test_store_write"
IT = "tests/integration/"  # + a test file or node id, run by tests/run

MUTANTS = [
    # -- value.c ------------------------------------------------------------------
    M("value-txt-overrun", VALUE,
      "\treturn pos == len;\n}",
      "\treturn pos >= len;\n}",
      "a TXT rdata whose last string overruns the rdata is taken as valid",
      [UNIT_VALUE]),
    M("value-strict-length", VALUE,
      "len != 1 + ACME_VALUE_STRICT_LEN ||",
      "len < 1 + ACME_VALUE_STRICT_LEN ||",
      "strict mode accepts values longer than 43 characters",
      [UNIT_VALUE]),
    M("value-strict-alphabet", VALUE,
      "c == '-' || c == '_';",
      "c == '-' || c == '_' || c == '+';",
      "strict mode accepts '+' (base64, not base64url)",
      [UNIT_VALUE]),
    M("value-from-str-255", VALUE,
      "if (len > 255 || len + 1 > out_size) {",
      "if (len > 254 || len + 1 > out_size) {",
      "a 255-character value given to the tool is refused",
      [UNIT_VALUE]),

    # -- replay.c -----------------------------------------------------------------
    M("replay-seen-ignored", REPLAY,
      "\t\t\tverdict = ACME_REPLAY_SEEN;\n\t\t\tgoto done;",
      "\t\t\tverdict = ACME_REPLAY_FRESH;\n\t\t\tgoto done;",
      "a replayed MAC is taken as fresh",
      [UNIT_REPLAY]),
    M("replay-window-uncapped", REPLAY,
      "uint64_t window = fudge < ACME_REPLAY_WINDOW ? fudge : ACME_REPLAY_WINDOW;",
      "uint64_t window = fudge;",
      "a fudge above 300 s widens the window past what the cache remembers",
      [UNIT_REPLAY]),
    M("replay-key-case", REPLAY,
      "\tknot_dname_copy_lower(buf, key_name);\n",
      "\tmemcpy(buf, key_name, name_len);\n",
      "the same message with the key name in upper case is not seen as a replay",
      [UNIT_REPLAY]),
    M("replay-registry-per-instance", REPLAY,
      "\tif (cache != NULL) {\n\t\tcache->refs++;\n\t} else {",
      "\tif (0) {\n\t\tcache->refs++;\n\t} else {",
      "a reload creates a new, empty cache: replays after a reload get through",
      [UNIT_REPLAY]),

    # -- ddns.c -------------------------------------------------------------------
    M("ddns-prereq-ttl", DDNS,
      "\tif (rr->ttl != 0) {\n\t\treturn fail(p, KNOT_RCODE_FORMERR, \"prerequisite with non-zero TTL\"",
      "\tif (0) {\n\t\treturn fail(p, KNOT_RCODE_FORMERR, \"prerequisite with non-zero TTL\"",
      "a prerequisite with a TTL is not FORMERR",
      [UNIT_DDNS_CHECKS]),
    M("ddns-prereq-nxrrset-inverted", DDNS,
      "\t\tprereq.type = ACME_PREREQ_NAME_UNUSED;",
      "\t\tprereq.type = ACME_PREREQ_NAME_IN_USE;",
      "'RRset does not exist' fails when the RRset is absent",
      [UNIT_DDNS_PREREQ]),
    M("ddns-prereq-value-sets-skipped", DDNS,
      "\tstore_prereq(p, prereq, KNOT_RCODE_NXRRSET, \"RRset differs\");",
      "\t(void)prereq;",
      "value-dependent TXT prerequisites are never checked against the store",
      [UNIT_DDNS_PREREQ]),
    M("ddns-update-notzone", DDNS,
      "\tif (!in_zone(rr->owner, d->zone)) {\n\t\treturn fail(p, KNOT_RCODE_NOTZONE, \"owner outside the zone\"",
      "\tif (!in_zone(rr->owner, d->zone) && 0) {\n\t\treturn fail(p, KNOT_RCODE_NOTZONE, \"owner outside the zone\"",
      "updates outside the zone are written to the store",
      [UNIT_DDNS_CHECKS]),
    M("ddns-strict-off", DDNS,
      "\t\tif (d->strict && !acme_value_strict(rd->data, rd->len)) {",
      "\t\tif (!d->strict && !acme_value_strict(rd->data, rd->len)) {",
      "strict mode checks are applied the other way round",
      [UNIT_DDNS_CHECKS]),
    M("ddns-delete-ttl", DDNS,
      "\t\tif (rr->ttl != 0 || meta) {",
      "\t\tif (meta) {",
      "a class NONE deletion with a TTL is not FORMERR",
      [UNIT_DDNS_CHECKS]),
    M("ddns-claims-mixed", DDNS,
      "\t\tif (knot_pkt_rr(upd, i)->type != KNOT_RRTYPE_TXT) {\n\t\t\treturn false;",
      "\t\tif (knot_pkt_rr(upd, i)->type != KNOT_RRTYPE_TXT && i == 0) {\n\t\t\treturn false;",
      "an update mixing TXT and other types is taken by the module, not Knot",
      [UNIT_DDNS_CLAIMS]),
    M("ddns-delete-all-as-value", DDNS,
      "\t\t\top->type = ACME_OP_DEL_ALL;\n\t\t\trd = NULL;",
      "\t\t\top->type = ACME_OP_DEL_VALUE;\n\t\t\trd = NULL;",
      "deleting an RRset (class ANY) deletes nothing",
      [UNIT_DDNS_OPS]),

    # -- answer.c -----------------------------------------------------------------
    M("answer-ttl-max-ttl", ANSWER,
      "\tif (ttl > c->max_ttl) {\n\t\tttl = c->max_ttl;\n\t}",
      "\tif (ttl > c->max_ttl + 1) {\n\t\tttl = c->max_ttl;\n\t}",
      "answers exceed max-ttl by one second",
      [IT + "test_answer.py"]),
    M("answer-ttl-lifetime-left", ANSWER,
      "\tif (ttl > left) {\n\t\tttl = left;\n\t}",
      "",
      "the answer TTL outlives the value",
      []),
    M("answer-no-nodata-ent", ANSWER,
      "\t\tif (count == 0 && !below) {",
      "\t\tif (count == 0) {",
      "an empty non-terminal above a value answers NXDOMAIN for other types",
      [IT + "test_answer.py"]),
    M("answer-zone-check", ANSWER,
      "\t    !acme_store_find_okey(ctx->store, qdata->name, &okey) ||\n"
      "\t    !acme_okey_within(&okey, &ctx->zone_okey)) {",
      "\t    !acme_store_find_okey(ctx->store, qdata->name, &okey)) {",
      "a name outside the zone (a DNAME target) is answered from another zone's values",
      [IT + "test_zones.py"]),
    M("answer-truncation", ANSWER,
      "\tif (ret == KNOT_ESPACE && qdata->params->proto == KNOTD_QUERY_PROTO_UDP) {\n"
      "\t\treturn KNOTD_IN_STATE_TRUNC;",
      "\tif (ret == KNOT_ESPACE && qdata->params->proto == KNOTD_QUERY_PROTO_UDP) {\n"
      "\t\tqdata->rcode = KNOT_RCODE_SERVFAIL;\n\t\treturn KNOTD_IN_STATE_ERROR;",
      "a UDP answer too large is SERVFAIL instead of truncated",
      [IT + "test_answer.py"]),
    M("answer-aa-flag", ANSWER,
      "\tknot_wire_set_aa(pkt->wire);\n\tknotd_mod_stats_incr",
      "\tknotd_mod_stats_incr",
      "synthesized answers lose the AA flag",
      [],
      equivalent="knotd 3.2 sets AA in solve_answer() before the module's ANSWER hook "
                 "runs for every state the hook answers (not DELEG), so the flag is set "
                 "already"),

    # -- update.c -----------------------------------------------------------------
    M("update-max-rrs-off-by-one", UPDATE,
      "\tif (rrs > ctx->max_update_rrs) {",
      "\tif (rrs > ctx->max_update_rrs + 1) {",
      "max-update-rrs lets one RR more through",
      []),
    M("update-max-size-ignored", UPDATE,
      "\tif (size > ctx->max_update_size) {",
      "\tif (size > ctx->max_update_size * 2) {",
      "max-update-size lets messages twice as large through",
      []),
    M("update-stats-rcode", UPDATE,
      "\tcount_update(mod, thread, rcode);\n\tqdata->rcode = rcode;",
      "\tcount_update(mod, thread, KNOT_RCODE_NOERROR);\n\tqdata->rcode = rcode;",
      "every processed update is counted as NOERROR",
      [IT + "test_update.py::test_zone_stats_counts_rcodes"]),
    M("update-other-zone", UPDATE,
      "\t    !knot_dname_is_equal(knot_pkt_qname(qdata->query), ctx->zone)) {",
      "\t    0) {",
      "the module takes updates whose zone section names another zone",
      []),

    # -- mod-acme.c ---------------------------------------------------------------
    M("mod-robust-as-async", STORECONF,
      ".single.option ==\n\t\t                DB_MODE_ASYNC,",
      ".single.option !=\n\t\t                DB_MODE_ASYNC,",
      "database-mode robust opens the store without fsync, asynchronous with",
      []),
    M("mod-expired-all-zones", MOD,
      "\tif (knot_dname_in_bailiwick(owner, ctx->zone) >= 0) {\n\t\tknotd_mod_stats_incr(ctx->mod, 0, ACME_CTR_EXPIRED",
      "\tif (owner != NULL) {\n\t\tknotd_mod_stats_incr(ctx->mod, 0, ACME_CTR_EXPIRED",
      "values expired in one zone are counted in every zone sharing the store",
      []),
    M("mod-replay-off", MOD,
      "\tif (replay > 0) {\n\t\tret = acme_replay_open(",
      "\tif (replay > 1u << 30) {\n\t\tret = acme_replay_open(",
      "the replay cache is never created",
      []),
    M("mod-relative-database", STORECONF,
      "\t\tlen = snprintf(out, out_size, \"%s/%s\", storage, db);",
      "\t\tlen = snprintf(out, out_size, \"%s\", db);",
      "a relative database is opened relative to the working directory, not database.storage",
      []),

    # -- the tool -----------------------------------------------------------------
    M("tool-lifetime-min", TOOL,
      "\tif (num > max / mult || num * mult < min) {",
      "\tif (num > max / mult || num * mult <= min) {",
      "the tool refuses the smallest lifetime (and a TTL of 0)",
      [IT + "test_tool.py"]),
    M("tool-too-many-args", TOOL,
      "\tif (nargs > COMMANDS[i].max_args) {",
      "\tif (nargs > COMMANDS[i].max_args + 1) {",
      "an extra argument is silently ignored",
      [IT + "test_tool.py"]),
    M("tool-max-records", TOOL_STORE,
      "\t\t.max_records = 0, /* The operator overrides the module's limit. */",
      "\t\t.max_records = 8, /* The operator overrides the module's limit. */",
      "the tool drops values past 8 per name",
      [IT + "test_tool.py"]),
    M("tool-del-missing-ok", TOOL_STORE,
      "\tif (result.deleted == 0) {",
      "\tif (result.deleted > 1000) {",
      "deleting a value that is not there succeeds silently",
      [IT + "test_tool.py"]),
    M("tool-list-ttl", TOOL_LIST,
      "\tuint64_t ttl = value->ttl < left ? value->ttl : left;",
      "\tuint64_t ttl = value->ttl;",
      "list shows a TTL longer than the value's remaining life",
      [IT + "test_tool.py"]),
]

#: A few mutants killed fast by unit tests: the CI sample.
SAMPLE = ["value-strict-length", "replay-seen-ignored", "ddns-prereq-nxrrset-inverted"]
