"""A pytest plugin, loaded by name into the project's pytest, that writes one JSON line per test.

It imports nothing from `repair`, so it works in any environment that has pytest.
"""

import json
import os

_PATH = os.environ.get("REPAIR_PYTEST_REPORT", "")
_seen: dict = {}


# The line written when a test starts: a test the run never finishes (it hangs with pytest-timeout
# off, or the process dies) keeps it, and is reported as a timeout instead of vanishing.
UNFINISHED = "the test started and did not finish"


def _write(nodeid, status, message="", trace="", seconds=0.0, final=True):
    if not _PATH or nodeid in _seen:
        return
    if final:
        _seen[nodeid] = status
    with open(_PATH, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"test_id": nodeid, "status": status, "message": message[:8000],
                             "trace": trace[:8000], "seconds": round(seconds, 4)}) + "\n")
        fh.flush()


def pytest_runtest_logstart(nodeid, location):
    _write(nodeid, "timeout", UNFINISHED, final=False)


def _message(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return crash.message
    return str(report.longrepr).strip().splitlines()[-1] if report.longrepr else ""


def pytest_runtest_logreport(report):
    text = str(report.longrepr) if report.longrepr else ""
    if report.when == "call":
        if report.passed:
            status = "pass"
        elif report.skipped:
            status = "skip"
        elif "Failed: Timeout" in text:
            status = "timeout"
        elif _message(report).startswith(("assert", "AssertionError", "Failed:")):
            status = "fail"
        else:
            status = "error"
        _write(report.nodeid, status, _message(report) if status != "pass" else "", text, report.duration)
    elif report.failed:  # setup or teardown
        status = "timeout" if "Failed: Timeout" in text else "error"
        _write(report.nodeid, status, f"error in {report.when}: {_message(report)}", text, report.duration)
    elif report.skipped and report.when == "setup":
        _write(report.nodeid, "skip", _message(report), "", 0.0)


def pytest_collectreport(report):
    if report.failed:
        _write(report.nodeid or "<collection>", "error", "collection failed: " + _message(report),
               str(report.longrepr), 0.0)
