"""pytest fixtures of the hardening suites: a real knotd with the built module
(tests/integration/knotd.py through ddns_util.DdnsKnotd), stopped and removed
on teardown; a failing test's report carries the tail of knotd's log."""

import os
import subprocess

import pytest

from harden_util import KNOT_ACME, LONG
from ddns_util import ddns_factory  # noqa: F401  (fixture)
from knotd import KNOTD, MOD_ACME_SO


def pytest_report_header(config):
    try:
        ver = subprocess.run([KNOTD, "-V"], capture_output=True, text=True).stdout.strip()
    except OSError as exc:
        ver = f"knotd not runnable: {exc}"
    return [f"knotd: {ver}", f"MOD_ACME_SO: {MOD_ACME_SO}", f"KNOT_ACME: {KNOT_ACME}",
            f"mode: {'long' if LONG else 'short'} (HARDENING_LONG)"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and rep.when in ("setup", "call"):
        for k in getattr(item, "_knotd_instances", []):
            rep.sections.append((f"knotd in {k.dir}", k.diagnostics(60)))


@pytest.fixture(autouse=True)
def _built():
    if not os.path.isfile(MOD_ACME_SO):
        pytest.fail(f"mod-acme.so not found at {MOD_ACME_SO} (build first or set MOD_ACME_SO)")
    if not os.access(KNOT_ACME, os.X_OK):
        pytest.fail(f"knot-acme not found at {KNOT_ACME} (build first or set KNOT_ACME)")
