#!/bin/sh
# tests/unit/test_redis (the Redis store against a real server: scripts,
# replication waits, AOF, Sentinel) with valkey-server and valkey-sentinel as
# the servers (tests/unit/redis_server.h reads REDIS_SERVER, REDIS_SENTINEL).
# Skipped (77) with the reason where Valkey is not installed (Debian 12).
# make check runs it from the build directory.
REDIS_SERVER=${REDIS_SERVER:-valkey-server}
REDIS_SENTINEL=${REDIS_SENTINEL:-valkey-sentinel}
if ! command -v "$REDIS_SERVER" >/dev/null || ! command -v "$REDIS_SENTINEL" >/dev/null; then
	echo "SKIP: $REDIS_SERVER or $REDIS_SENTINEL not installed (Debian 13 and later ship them)"
	exit 77
fi
export REDIS_SERVER REDIS_SENTINEL
exec ./tests/unit/test_redis "$@"
