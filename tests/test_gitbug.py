"""The GitBug-Java adapter against a recorded bug record.

The real GitBug-Java cannot run here (its setup downloads ~130 GiB of images and act caches,
and `run` needs Docker with act), so a fake `gitbug-java` (tests/fixtures/gitbug/bin) that
replays a record trimmed from the public repository's data/bugs/netflix-frigga.json is put
first on PATH. The workspace, git, runner and validator are real.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from repair.checkout import check_out
from repair.datasets import gitbug
from repair.datasets.registry import resolve_bug
from repair.errors import DatasetUnavailableError, UnknownBugError
from repair.validation import PatchValidator

FIXTURES = Path(__file__).parent / "fixtures" / "gitbug"
BID = "Netflix-frigga-126b52a55863"
CLS = "com.netflix.frigga.ami.AppVersionTest"
EXPECTED_FAILING = [
    f"{CLS}::should parse appName-0.1-h150.9b3bc237~focal to appName, 0.1, 9b3bc237, 150, null",
    f"{CLS}::should parse appName-0.1-h150.9b3bc237~focal/mybuild/150 to appName, 0.1, 9b3bc237, 150, mybuild",
]


@pytest.fixture
def fake_gitbug(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "gitbug-calls.jsonl"
    monkeypatch.setenv("PATH", f"{FIXTURES / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_GITBUG_LOG", str(log))
    monkeypatch.setenv("REPAIR_CACHE_DIR", str(tmp_path / "cache"))
    return log


def argvs(log: Path) -> list[list[str]]:
    return [json.loads(line)["argv"] for line in log.read_text().splitlines()]


def test_bug_ids() -> None:
    assert resolve_bug(f"gitbug-java:{BID}")[1].meta["bid"] == BID
    with pytest.raises(UnknownBugError, match="OWNER-REPO"):
        resolve_bug("gitbug-java:frigga")


def test_expected_failing_tests_from_a_record() -> None:
    record = json.loads((FIXTURES / f"{BID}.json").read_text())
    assert gitbug.failing_in_record(record) == EXPECTED_FAILING


def test_checkout_info_and_run(fake_gitbug: Path) -> None:
    checked = check_out(f"gitbug-java:{BID}", discover_failing=False)
    try:
        ws = checked.workspace
        assert checked.bug.failing_tests == EXPECTED_FAILING
        assert not ws.exists("gitbug.json") and ws.diff() == "", "the bug record (with the fix) stays out"
        report = checked.runner.run(tests=EXPECTED_FAILING)
        assert report.build_ok and report.failing == EXPECTED_FAILING
        assert argvs(fake_gitbug) == [
            ["checkout", BID, f"{ws.path}/{gitbug.CHECKOUT_DIR}"],
            ["info", BID],
            ["run", ws.path, f"--output={ws.path}/{gitbug.RESULTS_DIR}"],
        ]
        assert ws.diff() == "", "the report directory must stay out of diffs"
    finally:
        checked.close()


def test_a_fix_is_plausible(fake_gitbug: Path) -> None:
    checked = check_out(f"gitbug-java:{BID}")
    try:
        ws = checked.workspace
        path = "src/main/java/com/netflix/frigga/ami/AppVersion.java"
        ws.write_file(path, ws.read_file(path).replace('"(?:', '"(?:~[a-z]+)?(?:'))
        patch = ws.diff()
        ws.restore()
        result = PatchValidator(ws, checked.bug, checked.runner).validate(patch)
        assert result.plausible, result.describe()
    finally:
        checked.close()


def test_missing_cli_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    with pytest.raises(DatasetUnavailableError, match="GitBug-Java is not available"):
        check_out(f"gitbug-java:{BID}", discover_failing=False)
