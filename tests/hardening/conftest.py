"""pytest fixtures of the hardening suites: a real knotd with the built module
(acmetest.knotd through acmetest.ddns.DdnsKnotd), stopped and removed
on teardown; a failing test's report carries the tail of knotd's log."""

import os

import pytest

from acmetest.ddns import (ddns_factory, knotd_report_header,  # noqa: F401  (fixture, hook)
                           pytest_runtest_makereport)
from acmetest.harden import LONG
from acmetest.knotd import KNOT_ACME, MOD_ACME_SO


def pytest_report_header(config):
    return knotd_report_header() + [f"mode: {'long' if LONG else 'short'} (HARDENING_LONG)"]


@pytest.fixture(autouse=True)
def _built():
    if not os.path.isfile(MOD_ACME_SO):
        pytest.fail(f"mod-acme.so not found at {MOD_ACME_SO} (build first or set MOD_ACME_SO)")
    if not os.access(KNOT_ACME, os.X_OK):
        pytest.fail(f"knot-acme not found at {KNOT_ACME} (build first or set KNOT_ACME)")
