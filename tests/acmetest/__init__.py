"""Test helpers of knot-acme, shared by every test suite, tests/fuzz/capture.py
and bench/:

  acmetest.knotd   a real knotd with the built mod-acme in a temporary
                   directory (start, stop, query, knotc, the knot-acme tool),
                   other processes (Proc), ports, the default test zones
  acmetest.ddns    TSIG keys, acls, DdnsKnotd, raw UPDATE messages, replays,
                   unique labels, the pytest hooks and fixtures the DDNS
                   suites share
  acmetest.unbound unbound as a test resolver (validating with anchors)
  acmetest.acme    the end-to-end topology: pebble, unbound, two knotds,
                   certbot and lego
  acmetest.dnssec  signed challenge zones: the accepted signer configuration,
                   keymgr keys and DS, delv
  acmetest.onboard knot-acme register / unregister as an operator runs them
  acmetest.redis   real redis-server/valkey-server: a primary (AOF, fsync
                   always), replicas and Sentinels on free ports and UNIX
                   sockets, kill -9, SIGSTOP, failover, always stopped
  acmetest.store   the backend under test (ACME_STORE=lmdb|redis): Knotd's
                   sections and the tool's store on the session's Redis
  acmetest.cluster three knotd nodes on one Redis group (the Redis backend's
                   scale-out shape), UPDATE/TXT helpers, the e2e topology
                   over them
  acmetest.harden  what the hardening suites add: long/short mode, results
                   file, LMDB inspection, a raw connection, a recording proxy

The suites' pytest.ini put tests/ on the import path (`pythonpath`);
scripts outside pytest run with PYTHONPATH=tests (`make bench` sets it).
"""
