"""pytest fixtures for the integration tests: real knotd + mod-acme.

Every knotd started through these fixtures is stopped on teardown, whatever
the test outcome; a failing test's report carries the tail of knotd's log.
"""

import os

import pytest

from acmetest.ddns import knotd_report_header, pytest_runtest_makereport  # noqa: F401 (hook)
from acmetest import store
from acmetest.knotd import KNOT_ACME, Knotd, MOD_ACME_SO, default_zones


def pytest_report_header(config):
    return knotd_report_header() + [f"store backend: {store.backend()} (ACME_STORE)"]


def pytest_collection_modifyitems(config, items):
    """On the Redis backend, tests about LMDB itself are skipped with their reason."""
    if not store.is_redis():
        return
    for item in items:
        mark = item.get_closest_marker("lmdb")
        if mark is not None:
            reason = mark.args[0] if mark.args else "about the LMDB backend"
            item.add_marker(pytest.mark.skip(reason=f"LMDB only: {reason}"))


@pytest.fixture
def module_so():
    """Path of the built module; the test fails (not skips) when it is missing."""
    if not os.path.isfile(MOD_ACME_SO):
        pytest.fail(f"mod-acme.so not found at {MOD_ACME_SO} (build first or set MOD_ACME_SO)")
    return MOD_ACME_SO


@pytest.fixture
def knot_acme():
    """Path of the built knot-acme tool; the test fails when it is missing."""
    if not os.access(KNOT_ACME, os.X_OK):
        pytest.fail(f"knot-acme not found at {KNOT_ACME} (build first or set KNOT_ACME)")
    return KNOT_ACME


@pytest.fixture
def knotd_factory(request):
    """make(zones=None, acme=None, start=True, **Knotd kwargs) -> Knotd.

    zones defaults to default_zones(), acme to one 'default' instance with
    DESIGN defaults.  All instances are stopped and removed on teardown.
    """
    instances = []
    request.node._knotd_instances = instances

    def make(zones=None, acme=None, start=True, **kw):
        k = Knotd(default_zones() if zones is None else zones, acme=acme, **kw)
        instances.append(k)
        if start:
            k.start()
        return k

    yield make
    errors = []
    for k in instances:
        try:
            k.cleanup()
        except Exception as exc:  # keep stopping the others
            errors.append(exc)
    if errors:
        raise errors[0]


@pytest.fixture
def acme_factory(knotd_factory, module_so, knot_acme):
    """knotd_factory that requires the built module and tool."""
    return knotd_factory


@pytest.fixture
def knotd(acme_factory):
    """A running knotd with the module and the default zones and instance."""
    return acme_factory()
