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
KEY = "module/store/okey.c"
KEY_H = "module/store/okey.h"
FILTER = "module/store/filter.c"
FILTER_H = "module/store/filter.h"
READ = "module/store/lmdb/read.c"
WRITE = "module/store/lmdb/write.c"
COMMIT = "module/store/lmdb/commit.c"
PURGE = "module/store/lmdb/purge.c"
LMDB = "module/store/lmdb/lmdb.c"
REDIS = "module/store/redis/redis.c"
REDIS_LUA = "module/store/redis/apply.lua"
REDIS_CACHE = "module/store/redis/cache.c"

UNIT_VALUE = "tests/unit/test_value"
UNIT_REPLAY = "tests/unit/test_replay"
UNIT_DDNS_PREREQ = "tests/unit/test_ddns_prereq"
UNIT_DDNS_CHECKS = "tests/unit/test_ddns_checks"
UNIT_DDNS_OPS = "tests/unit/test_ddns_ops"
UNIT_DDNS_CLAIMS = "tests/unit/test_ddns_claims"
UNIT_ACL = "tests/unit/test_acl"
UNIT_STORE = "tests/unit/test_store_write"
UNIT_STORE_KEY = "tests/unit/test_store_okey"
UNIT_STORE_FILTER = "tests/unit/test_store_filter"
UNIT_STORE_READ = "tests/unit/test_store_read"
UNIT_STORE_WRITE = "tests/unit/test_store_write"
UNIT_STORE_COMMIT = "tests/unit/test_store_commit"
UNIT_STORE_PURGE = "tests/unit/test_store_purge"
UNIT_STORE_REGISTRY = "tests/unit/test_store_registry"
UNIT_STORE_PREREQ = "tests/unit/test_store_prereq"
UNIT_ATOMIC = "tests/unit/test_store_atomic"
UNIT_AUTH = "tests/unit/test_auth"
UNIT_UPDATE = "tests/unit/test_update"
UNIT_ANSWER = "tests/unit/test_answer"
UNIT_REDIS = "tests/unit/test_redis"
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

    # -- acl.c --------------------------------------------------------------------
    M("acl-subeq-as-sub", ACL,
      "\t\treturn below >= 0;",
      "\t\treturn below > 0;",
      "update-owner-match sub-or-equal refuses the name itself",
      [UNIT_ACL]),
    M("acl-keyless-deny-unsigned-only", ACL,
      "\t\treturn update->tsig_name == NULL || deny;",
      "\t\treturn update->tsig_name == NULL;",
      "a deny rule without a key no longer matches signed updates: they fall through to a later allow",
      [UNIT_ACL]),
    M("acl-key-algorithm-ignored", ACL,
      "knot_dname_is_case_equal(k->name, update->tsig_name) &&\n\t\t    k->algorithm == update->tsig_alg) {",
      "knot_dname_is_case_equal(k->name, update->tsig_name)) {",
      "a key name signed with another algorithm matches the rule",
      [UNIT_ACL]),
    M("acl-no-action-skips", ACL,
      "\tif (rule->actions == 0) {\n\t\treturn ACME_ACL_DENY;",
      "\tif (rule->actions == 0) {\n\t\treturn ACME_ACL_NEXT;",
      "an acl entry without action no longer ends the walk",
      [UNIT_ACL]),
    M("acl-first-rr-only", ACL,
      "\tfor (size_t i = 0; i < update->rr_count; i++) {\n\t\tconst knot_rrset_t *rr = &update->rrs[i];",
      "\tfor (size_t i = 0; i < update->rr_count && i < 1; i++) {\n\t\tconst knot_rrset_t *rr = &update->rrs[i];",
      "update-type/update-owner look at the first RR of the update only",
      [UNIT_ACL]),
    M("acl-relative-owner-name", ACL,
      "\t\tif (n->len == 0 || n->data[n->len - 1] != '\\0') {",
      "\t\tif (n->len == 0) {",
      "a relative update-owner-name is not completed with the zone",
      [UNIT_ACL]),

    # -- auth.c -------------------------------------------------------------------
    M("auth-replay-disconnected", AUTH,
      "\tif (ret == KNOT_EOK && replay != NULL) {\n\t\tret = replay_check(",
      "\tif (ret == KNOT_EOK && replay != NULL && false) {\n\t\tret = replay_check(",
      "the replay cache is never asked: a replayed signed update is applied again",
      [UNIT_AUTH]),
    M("auth-ipv4-any-address", AUTH,
      "\t\treturn ((const struct sockaddr_in *)a)->sin_addr.s_addr ==\n"
      "\t\t       ((const struct sockaddr_in *)b)->sin_addr.s_addr;",
      "\t\treturn true;",
      "a remote's address matches any IPv4 client",
      [UNIT_AUTH]),
    M("auth-deny-unread", AUTH,
      "\t\trule->deny = knotd_conf(ctx->mod, C_ACL, C_DENY, &id).single.boolean;",
      "\t\trule->deny = false;",
      "acl deny: on is read as an allow",
      [UNIT_AUTH]),
    M("auth-badsig-as-badkey", AUTH,
      "\t\tqdata->rcode_tsig = KNOT_RCODE_BADSIG;",
      "\t\tqdata->rcode_tsig = KNOT_RCODE_BADKEY;",
      "a wrong MAC is answered BADKEY, not BADSIG as Knot does",
      [UNIT_AUTH]),
    M("auth-remotes-group-flat", AUTH,
      "\t\tif (group.count > 0) {\n\t\t\tfor (size_t j = 0;",
      "\t\tif (0) {\n\t\t\tfor (size_t j = 0;",
      "an acl's remote naming a remotes group is taken as a single remote",
      [UNIT_AUTH]),
    M("auth-owner-match-default", AUTH,
      "\trule->owner_match = knotd_conf(mod, C_ACL, C_UPDATE_OWNER_MATCH, acl_id).single.option;",
      "\trule->owner_match = ACME_ACL_MATCH_SUBEQ;",
      "update-owner-match is not read (always sub-or-equal)",
      [UNIT_AUTH]),

    # -- store: okey.c, okey.h ------------------------------------------------------
    M("key-to-name-unreversed", KEY,
      "\twhile (count-- > 0) {\n\t\tmemcpy(out + w, labels[count], 1 + labels[count][0]);\n"
      "\t\tw += 1 + labels[count][0];\n\t}",
      "\tfor (int i = 0; i < count; i++) {\n\t\tmemcpy(out + w, labels[i], 1 + labels[i][0]);\n"
      "\t\tw += 1 + labels[i][0];\n\t}",
      "owner names read back from the store keep the key's label order (root first)",
      [UNIT_STORE_KEY]),
    M("key-lower-words", KEY_H,
      "\t\tw |= ((ge_a ^ gt_z) & ~w & high) >> 2;",
      "\t\tw |= ((ge_a ^ gt_z) & ~w & high) >> 3;",
      "names are not lower-cased 8 bytes at a time: upper-case owners get keys of their own",
      [UNIT_STORE_KEY]),

    # -- store: filter.c, filter.h ------------------------------------------------
    M("filter-owner-only", FILTER,
      "\t\th = acme_filter_hash_label(h, okey + pos);\n\t\tacme_filter_set(f, acme_filter_hash_final(h));\n\t}",
      "\t\th = acme_filter_hash_label(h, okey + pos);\n\t}\n\tacme_filter_set(f, acme_filter_hash_final(h));",
      "the filter knows owners but not their ancestors: empty non-terminals answer NXDOMAIN",
      [UNIT_STORE_FILTER]),
    M("filter-case-sensitive", FILTER_H,
      "#define ACME_FILTER_HASH_FOLD\t0x2020202020202020ULL",
      "#define ACME_FILTER_HASH_FOLD\t0x0ULL",
      "the filter hash does not fold case: a name asked in upper case is 'absent'",
      [UNIT_STORE_FILTER]),

    # -- store: lmdb/read.c -------------------------------------------------------
    M("read-below-as-own", READ,
      "\t\tbool own = ((const uint8_t *)key.mv_data)[olen] == 0;",
      "\t\tbool own = true;",
      "a descendant's values are answered as the owner's",
      [UNIT_STORE_READ]),
    M("read-below-expired", READ,
      "\t\tvalue_rec_t rec;\n\t\tif (value_rec_get(&data, &rec) && rec.expires > now) {\n\t\t\tif (!own) {",
      "\t\tvalue_rec_t rec;\n\t\tif (!own) {\n\t\t\t*below = true;\n\t\t\tbreak;\n\t\t}\n"
      "\t\tif (value_rec_get(&data, &rec) && rec.expires > now) {\n\t\t\tif (!own) {",
      "an expired descendant still makes its ancestor an empty non-terminal (NODATA, not NXDOMAIN)",
      [UNIT_STORE_READ]),
    M("read-slot-not-reset", READ,
      "\t} else {\n\t\tmdb_txn_reset(store->readers[slot].txn);\n\t}",
      "\t}",
      "a reader slot keeps its snapshot: later reads fail or see old data",
      [UNIT_STORE_READ]),
    M("read-list-expired", READ,
      "\t\tif (value_rec_get(&data, &rec) && rec.expires > now) {\n\t\t\tcount++;",
      "\t\tif (value_rec_get(&data, &rec)) {\n\t\t\tcount++;",
      "listing shows expired values",
      [UNIT_STORE_READ]),

    # -- store: lmdb/write.c ------------------------------------------------------
    M("write-refresh-as-add", WRITE,
      "\t\t\texists = old.expires > now;",
      "\t\t\texists = false;",
      "adding a live value again counts as an add, not a refresh",
      [UNIT_STORE_WRITE]),
    M("write-trim-drops-newest", WRITE,
      "(oldest.len == 0 || rec.seq < oldest.rec.seq)",
      "(oldest.len == 0 || rec.seq > oldest.rec.seq)",
      "max-records drops the newest value instead of the oldest",
      [UNIT_STORE_WRITE]),
    M("write-trim-off-by-one", WRITE,
      "\t\tif (!have_expired && (keep == 0 || live <= keep)) {",
      "\t\tif (!have_expired && (keep == 0 || live < keep)) {",
      "max-records keeps one value fewer",
      [UNIT_STORE_WRITE]),
    M("write-no-expiry-index", WRITE,
      "\treturn lmdb_db_put(store, txn, store->expiry, &ekey, &edata);",
      "\treturn MDB_SUCCESS;",
      "added values get no expiry index entry: the purger never removes them",
      [UNIT_STORE_WRITE]),
    M("write-del-all-descendants", WRITE,
      "(ret == MDB_SUCCESS && !has_prefix(&k, key, plen))",
      "(ret == MDB_SUCCESS && !has_prefix(&k, key, olen))",
      "deleting an owner's RRset deletes its descendants' values too",
      [UNIT_STORE_WRITE]),
    M("write-del-expired-counted", WRITE,
      "\t\t\tif (old.expires > now) {\n\t\t\t\tres->deleted++;\n\t\t\t}\n\t\t\tret = value_remove(txn, store, &vkey, &old);",
      "\t\t\tres->deleted++;\n\t\t\tret = value_remove(txn, store, &vkey, &old);",
      "deleting an expired (not served) value counts as a deletion",
      [UNIT_STORE_WRITE]),
    M("write-no-reserve", WRITE,
      "\tif (avail >= reserve) {\n\t\treturn true;\n\t}\n\tMDB_txn *txn;",
      "\tif (avail >= 0) {\n\t\treturn true;\n\t}\n\tMDB_txn *txn;",
      "adds fill the map to the last page: deletes and purges fail on a full map",
      [UNIT_STORE_WRITE]),

    # -- store: lmdb/commit.c (group commit) --------------------------------------
    M("commit-group-failed-kept", COMMIT,
      "\t\t} else {\n\t\t\tmdb_txn_abort(child);\n\t\t}",
      "\t\t} else {\n\t\t\t(void)mdb_txn_commit(child);\n\t\t}",
      "in a group commit, a failed request's earlier operations are committed",
      [UNIT_ATOMIC]),
    M("commit-single-failed-kept", COMMIT,
      "\tif (req->ret != KNOT_EOK) {\n\t\tmdb_txn_abort(txn);\n\t\treturn;\n\t}",
      "\tif (req->ret != KNOT_EOK) {\n\t\t(void)lmdb_commit_covered(store, txn);\n\t\treturn;\n\t}",
      "asynchronous mode commits a failed update's earlier operations",
      [UNIT_ATOMIC]),
    M("commit-failed-prereq-index", COMMIT,
      "\t\tif (ret == KNOT_EPREREQ) {\n\t\t\tu->failed = i;",
      "\t\tif (ret == KNOT_EPREREQ) {\n\t\t\tu->failed = 0;",
      "the failed prerequisite is always reported as the first (wrong rcode for later ones)",
      [UNIT_STORE_PREREQ]),
    M("commit-reserve-first-op-only", COMMIT,
      "\t\t\t\tret = KNOT_ESPACE;\n\t\t\t}\n\t\t\tbreak;\n\t\t}\n\t}",
      "\t\t\t\tret = KNOT_ESPACE;\n\t\t\t}\n\t\t}\n\t\tbreak;\n\t}",
      "the map reserve is checked only when the first operation is an add",
      [UNIT_STORE_COMMIT]),
    M("commit-result-lost", COMMIT,
      "\tif (req.ret == KNOT_EOK) {\n\t\tupdate->result = req.res;\n\t}",
      "",
      "an applied update reports nothing added, refreshed or deleted",
      [UNIT_STORE_WRITE]),
    M("commit-seq-per-txn", COMMIT,
      "((uint64_t)mdb_txn_id(txn) << 20) | (*seq)++",
      "(*seq)++",
      "the add order restarts in each transaction: max-records drops by key order, not age",
      [UNIT_STORE_WRITE]),

    # -- store: lmdb/purge.c (purger) ---------------------------------------------
    M("purge-refreshed-value", PURGE,
      "\t\t    value_rec_get(&vd, &rec) && rec.expires <= now) {",
      "\t\t    value_rec_get(&vd, &rec)) {",
      "a stale expiry entry purges the value it was refreshed into",
      [UNIT_STORE_PURGE],
      equivalent="a value and its expiry-index entry are written and removed together in "
                 "one transaction (value_store(), value_remove()), so an entry due by now "
                 "always belongs to a value that expired at that very time: the recheck "
                 "only guards a database damaged outside the store's code"),
    M("purge-limit-ignored", PURGE,
      "\t\tif (limit > 0 && *purged >= limit) {",
      "\t\tif (0 && limit > 0 && *purged >= limit) {",
      "a purge with a limit removes everything (one long write transaction)",
      [UNIT_STORE_PURGE]),
    M("purge-watchers-untold", PURGE,
      "\t\tacme_okey_to_name(owners + pos + 1, owners[pos], owner);\n\t\tcb(owner, ctx);",
      "\t\tacme_okey_to_name(owners + pos + 1, owners[pos], owner);",
      "watchers never hear of purged values (the expired counters stay 0)",
      [UNIT_STORE_PURGE]),
    M("purger-filter-never-rebuilt", PURGE,
      "\t\tif (atomic_load(&store->filter_stale) || lmdb_filter_behind(store)) {",
      "\t\tif (0) {",
      "after another process's commit (the tool) the filter is never rebuilt: it stays "
      "untrusted and every query for an absent name is looked up",
      [UNIT_STORE_FILTER]),

    # -- store: lmdb/lmdb.c (registry, open) --------------------------------------
    M("lmdb-registry-unshared", LMDB,
      "\t\tif (strcmp(s->path, real) == 0) {",
      "\t\tif (0) {",
      "each open of one database gets an environment of its own (LMDB forbids that in one process)",
      [UNIT_STORE_REGISTRY]),
    M("lmdb-close-early", LMDB,
      "\tif (--store->refs > 0) {",
      "\tif (--store->refs > 1) {",
      "closing one of two handles frees the shared store",
      [UNIT_STORE_REGISTRY]),
    M("lmdb-reload-keeps-mode", LMDB,
      "\t\t\t\t(void)mdb_env_set_flags(s->env, MDB_NOSYNC | MDB_MAPASYNC,\n\t\t\t\t                        opts->asynchronous);",
      "\t\t\t\t(void)0;",
      "a reload from asynchronous to robust keeps syncing off",
      [UNIT_ATOMIC]),
    M("lmdb-robust-nosync", LMDB,
      "(opts->asynchronous ? MDB_NOSYNC | MDB_WRITEMAP | MDB_MAPASYNC : 0)",
      "(opts->asynchronous ? MDB_NOSYNC | MDB_WRITEMAP | MDB_MAPASYNC : MDB_NOSYNC)",
      "database-mode robust opens the environment with MDB_NOSYNC",
      [UNIT_ATOMIC]),
    M("lmdb-format-unchecked", LMDB,
      "\treturn version == STORE_FORMAT ? KNOT_EOK : KNOT_ENOTSUP;",
      "\treturn KNOT_EOK;",
      "a database of another format version is used as if it were ours",
      [UNIT_STORE_REGISTRY]),

    # -- store: redis -------------------------------------------------------------
    M("redis-expired-served", REDIS,
      "\t\t    !value_parse(v->str, v->len, rec) || rec[0] <= now) {",
      "\t\t    !value_parse(v->str, v->len, rec)) {",
      "Redis reads serve values whose expiry has passed",
      [UNIT_REDIS]),
    M("redis-cache-ignores-changes", REDIS_CACHE,
      "\tdrop(c, (const uint8_t *)k->str + rs->prefix_len + 2, k->len - rs->prefix_len - 2);",
      "\t(void)drop;",
      "the Redis value cache keeps a name's values after the read server named it changed",
      [UNIT_REDIS]),
    M("redis-cache-expired-served", REDIS_CACHE,
      "\t\tif (v.expires <= now) {",
      "\t\tif (v.expires < 1) {",
      "the Redis value cache answers values whose expiry has passed",
      [UNIT_REDIS]),
    M("redis-cache-flush-kept", REDIS_CACHE,
      "\t\tdrop_all(c); /* A flush, or a full resync of the replica. */",
      "\t\t; /* A flush, or a full resync of the replica. */",
      "the Redis value cache survives a flush or a replica's full resync",
      [UNIT_REDIS]),
    M("redis-cache-evicts-newer", REDIS_CACHE,
      "\t\t\tslot_free(c, &c->slots[2 * set + 1]);\n\t\t\tc->slots[2 * set + 1] = *slot;\n\t\t\t*slot = NULL;\n",
      "",
      "a name cached into a full set evicts the newer entry, not the older",
      [UNIT_REDIS]),
    M("redis-cache-unbounded-entry", REDIS_CACHE,
      "#define ENTRY_VALUES_MAX\t512",
      "#define ENTRY_VALUES_MAX\t4096",
      "the Redis value cache keeps names with many values (entries beyond their bound)",
      [UNIT_REDIS]),
    M("redis-lua-trim-newest", REDIS_LUA,
      "return x[2] < y[2] end)",
      "return x[2] > y[2] end)",
      "max-records on Redis drops the newest values",
      [UNIT_REDIS]),
    M("redis-lua-nxrrset", REDIS_LUA,
      "\t\tok = n == 0\n",
      "\t\tok = true\n",
      "the 'name not in use' prerequisite always holds on Redis",
      [UNIT_REDIS]),
    M("redis-lua-no-ancestors", REDIS_LUA,
      "\t\t\tredis.call(\"ZADD\", above, latest, owner)\n",
      "\t\t\tredis.call(\"ZREM\", above, owner)\n",
      "Redis does not record an owner under its ancestors: empty non-terminals answer NXDOMAIN",
      [UNIT_REDIS]),

    # -- answer.c -----------------------------------------------------------------
    M("answer-ttl-max-ttl", ANSWER,
      "\tif (ttl > c->max_ttl) {\n\t\tttl = c->max_ttl;\n\t}",
      "\tif (ttl > c->max_ttl + 1) {\n\t\tttl = c->max_ttl;\n\t}",
      "answers exceed max-ttl by one second",
      [IT + "test_answer.py::test_ttl_max_ttl_boundary"]),
    M("answer-ttl-lifetime-left", ANSWER,
      "\tif (ttl > left) {\n\t\tttl = left;\n\t}",
      "",
      "the answer TTL outlives the value",
      [UNIT_ANSWER]),
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
      "synthesized answers lose the AA flag (knotd 3.2 sets it before the hook; the "
      "module does not rely on that, and the stub of tests/unit/test_answer does not set it)",
      [UNIT_ANSWER]),

    # -- update.c -----------------------------------------------------------------
    M("update-max-rrs-off-by-one", UPDATE,
      "\tif (rrs > ctx->max_update_rrs) {",
      "\tif (rrs > ctx->max_update_rrs + 1) {",
      "max-update-rrs lets one RR more through",
      [UNIT_UPDATE]),
    M("update-max-size-ignored", UPDATE,
      "\tif (size > ctx->max_update_size) {",
      "\tif (size > ctx->max_update_size * 2) {",
      "max-update-size lets messages twice as large through",
      [IT + "test_limits.py::test_max_update_size"]),
    M("update-stats-rcode", UPDATE,
      "\tcount_update(mod, thread, rcode);\n\tqdata->rcode = rcode;",
      "\tcount_update(mod, thread, KNOT_RCODE_NOERROR);\n\tqdata->rcode = rcode;",
      "every processed update is counted as NOERROR",
      [IT + "test_update.py::test_zone_stats_counts_rcodes"]),
    M("update-other-zone", UPDATE,
      "\t    !knot_dname_is_equal(knot_pkt_qname(qdata->query), ctx->zone)) {",
      "\t    0) {",
      "the module takes updates whose zone section names another zone",
      [UNIT_UPDATE],
      equivalent="knotd hands an UPDATE only to the zone its zone section names exactly "
                 "(answer_zone_find() in knot/nameserver/process_query.c: 'Direct match "
                 "required', knot_zonedb_find), and so does the stub; the module's own "
                 "check is a guard that no client can reach"),

    # -- mod-acme.c ---------------------------------------------------------------
    M("mod-robust-as-async", STORECONF,
      ".single.option ==\n\t\t                DB_MODE_ASYNC,",
      ".single.option !=\n\t\t                DB_MODE_ASYNC,",
      "database-mode robust opens the store without fsync, asynchronous with",
      [IT + "test_lifecycle.py::test_asynchronous_mode_serves_and_persists"]),
    M("mod-expired-all-zones", MOD,
      "\tif (knot_dname_in_bailiwick(owner, ctx->zone) >= 0) {\n\t\tknotd_mod_stats_incr(ctx->mod, 0, ACME_CTR_EXPIRED",
      "\tif (owner != NULL) {\n\t\tknotd_mod_stats_incr(ctx->mod, 0, ACME_CTR_EXPIRED",
      "values expired in one zone are counted in every zone sharing the store",
      [IT + "test_lifecycle.py::test_expiry"]),
    M("mod-replay-off", MOD,
      "\tif (replay > 0) {\n\t\tret = acme_replay_open(",
      "\tif (replay > 1u << 30) {\n\t\tret = acme_replay_open(",
      "the replay cache is never created",
      [IT + "test_limits.py::test_replayed_update_refused"]),
    M("mod-relative-database", STORECONF,
      "\t\tlen = snprintf(out, out_size, \"%s/%s\", storage, db);",
      "\t\tlen = snprintf(out, out_size, \"%s\", db);",
      "a relative database is opened relative to the working directory, not database.storage",
      [IT + "test_lifecycle.py::test_default_database_under_storage"]),

    # -- the tool -----------------------------------------------------------------
    M("tool-lifetime-min", TOOL,
      "\tif (num > max / mult || num * mult < min) {",
      "\tif (num > max / mult || num * mult <= min) {",
      "the tool refuses the smallest lifetime (and a TTL of 0)",
      [IT + "test_tool.py::test_ttl_bounds_accepted"]),
    M("tool-too-many-args", TOOL,
      "\tif (nargs > COMMANDS[i].max_args) {",
      "\tif (nargs > COMMANDS[i].max_args + 1) {",
      "an extra argument is silently ignored",
      [IT + "test_tool.py::test_bad_input_changes_nothing"]),
    M("tool-max-records", TOOL_STORE,
      "\t\t.max_records = 0, /* The operator overrides the module's limit. */",
      "\t\t.max_records = 8, /* The operator overrides the module's limit. */",
      "the tool drops values past 8 per name",
      [IT + "test_tool.py::test_concurrent_adds"]),
    M("tool-del-missing-ok", TOOL_STORE,
      "\tif (result.deleted == 0) {",
      "\tif (result.deleted > 1000) {",
      "deleting a value that is not there succeeds silently",
      [IT + "test_tool.py::test_del_missing"]),
    M("tool-list-ttl", TOOL_LIST,
      "\tuint64_t ttl = value->ttl < left ? value->ttl : left;",
      "\tuint64_t ttl = value->ttl;",
      "list shows a TTL longer than the value's remaining life",
      [IT + "test_tool.py::test_ttl_capped_by_time_left"]),
]

#: A few mutants killed fast by unit tests, one per part: the sample
#: (`make mutate MUTATE_ARGS='--sample --no-baseline'`).
SAMPLE = ["value-strict-length", "replay-seen-ignored", "ddns-prereq-nxrrset-inverted",
          "acl-first-rr-only", "commit-group-failed-kept", "lmdb-robust-nosync"]
