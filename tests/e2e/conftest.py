"""pytest fixtures for the end-to-end tests (see tests/acmetest/acme.py).

One AcmeEnv (two knotds, unbound, pebble) serves the whole session: starting it
takes a few seconds and the tests use distinct names.  It is stopped and its
directory removed at the end of the session, whatever happened; a failing
test's report carries the tails of every log.
"""

import os
import subprocess

import pytest

from acmetest.acme import AcmeEnv, missing_tools
from acmetest.knotd import KNOT_ACME, MOD_ACME_SO, which


def pytest_report_header(config):
    out = [f"MOD_ACME_SO: {MOD_ACME_SO}", f"KNOT_ACME: {KNOT_ACME}"]
    for prog, flag in (("knotd", "-V"), ("unbound", "-V"), ("pebble", None),
                       ("certbot", "--version"), ("lego", "--version")):
        path = which(prog)
        if path is None:
            out.append(f"{prog}: not installed")
            continue
        ver = ""
        if flag:
            try:
                res = subprocess.run([path, flag], capture_output=True, text=True, timeout=30)
                ver = (res.stdout or res.stderr).strip().splitlines()[0]
            except (OSError, subprocess.TimeoutExpired, IndexError):
                pass
        out.append(f"{prog}: {path} {ver}".rstrip())
    return out


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    env = getattr(item.session, "_acme_env", None)
    if rep.failed and rep.when in ("setup", "call") and env is not None:
        rep.sections.append((f"e2e environment in {env.dir}", env.diagnostics()))


@pytest.fixture(scope="session", params=["unsigned", "signed"])
def acme_env(request):
    """The running topology, once with unsigned zones and once with every
    zone signed and a validating resolver; fails (not skips) when a program
    is missing."""
    missing = missing_tools()
    if missing:
        pytest.fail("not installed: " + ", ".join(missing) + " (scripts/deps installs them)")
    for path, what in ((MOD_ACME_SO, "mod-acme.so"), (KNOT_ACME, "knot-acme")):
        if not os.path.isfile(path):
            pytest.fail(f"{what} not found at {path} (build first or set MOD_ACME_SO/KNOT_ACME)")
    env = AcmeEnv(signed=request.param == "signed")
    request.session._acme_env = env
    request.addfinalizer(env.cleanup)
    env.start()
    return env


@pytest.fixture
def ca(acme_env):
    """acme_env with a freshly started resolver (nothing cached from other tests)."""
    acme_env.fresh_resolver()
    return acme_env
