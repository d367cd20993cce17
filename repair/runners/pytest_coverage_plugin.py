"""A pytest plugin, loaded by name into the project's pytest, that records coverage with one
coverage.py context per test (the test's node id), as pytest-cov's --cov-context=test does.

It imports nothing from `repair`; it needs only pytest and coverage in the project's environment.
"""

import os

import pytest

_cov = None


def pytest_addoption(parser):
    parser.addoption("--repair-fl-data", default="", help="coverage data file for fault localization")


def pytest_configure(config):
    global _cov
    data_file = config.getoption("--repair-fl-data")
    if not data_file or _cov is not None:
        return
    import coverage

    root = str(config.rootpath)
    _cov = coverage.Coverage(data_file=data_file, source=[root], branch=False, config_file=False,
                             omit=[os.path.join(root, ".repair", "*")])
    _cov.start()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    # Setup, call and teardown all count for the test: a fixture can execute the faulty code too.
    if _cov is not None:
        _cov.switch_context(item.nodeid)
    yield
    if _cov is not None:
        _cov.switch_context("")


def pytest_unconfigure(config):
    global _cov
    if _cov is not None:
        _cov.stop()
        _cov.save()
        _cov = None
