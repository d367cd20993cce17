"""GitBug-Java through its `gitbug-java` CLI (which itself runs each bug's GitHub workflow with act).

`gitbug-java checkout BID DIR` makes the buggy version; `gitbug-java run DIR --output OUT` runs
its tests and writes a JSON report (`OUT/<bid>.json` in the published CLI; a `test-results.json`
is read first when present). The bug's expected failing tests come from `gitbug-java info BID`,
or, with a CLI that has no `info`, from the bug record it writes into the checkout (`gitbug.json`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from typing import Any

from repair.containers.process import CommandResult
from repair.containers.workspace import SCRATCH_DIR, Workspace, adopt_checkout
from repair.datasets.bug import Bug
from repair.datasets.defects4j import exclude_from_diffs
from repair.errors import DatasetUnavailableError, UnknownBugError
from repair.runners import register_command_runner
from repair.runners.base import TestSetup
from repair.runners.report import TestReport, TestResult, TestStatus

RESULTS_DIR = ".gitbug-java"
RESULTS_FILE = f"{RESULTS_DIR}/test-results.json"
CHECKOUT_DIR = f"{SCRATCH_DIR}/gitbug-checkout"
RECORD_FILE = "gitbug.json"  # where `gitbug-java run` reads the bug record: in the checkout, during a run only
RUN_RECORD = f"{SCRATCH_DIR}/gitbug/{RECORD_FILE}"  # the record without the fix, kept between runs
# What `gitbug-java run` needs of a bug record. The rest (bug_patch, non_code_patch, the fix commit's
# message) is the fix itself or talks about it, and never enters the workspace.
RUN_RECORD_KEYS = ("repository", "language", "clone_url", "commit_hash", "previous_commit_hash",
                   "actions_runs", "fixed")
TIMEOUTS = {"checkout": 1800.0, "run": 3600.0, "info": 120.0}
SETUP_HINT = (
    "GitBug-Java is not available: install it (https://github.com/gitbugactions/gitbug-java#setup-gitbug-java, "
    "needs Docker) so that `gitbug-java` is on PATH (see docs/benchmarks.md)"
)
_BID = re.compile(r"^(?:gitbug-java:)?([\w.-]+-[0-9a-f]{12})$")
FAILED_RESULTS = ("Failure", "Error")


def parse_bug_id(bug_id: str) -> str:
    """`gitbug-java:Netflix-frigga-126b52a55863` -> `Netflix-frigga-126b52a55863`."""
    match = _BID.match(bug_id.strip())
    if not match:
        raise UnknownBugError(
            f"unknown GitBug-Java bug id '{bug_id}': use OWNER-REPO-<12 hex of the fix commit>, "
            "e.g. gitbug-java:Netflix-frigga-126b52a55863"
        )
    return match.group(1)


def test_id(entry: dict[str, Any]) -> str:
    """A report entry (`classname`, `name`) as our `pkg.Class::method` id."""
    return f"{entry['classname']}::{entry['name']}"


def failing_in_record(record: dict[str, Any]) -> list[str]:
    """The tests that fail on the buggy version, from a bug record (`actions_runs[1]` is that run)."""
    runs = record.get("actions_runs") or []
    buggy = runs[1] if len(runs) > 1 else []
    failing: list[str] = []
    for run in buggy or []:
        for test in run.get("tests", []):
            results = test.get("results") or []
            if any(r.get("result") in FAILED_RESULTS for r in results) and test_id(test) not in failing:
                failing.append(test_id(test))
    return failing


class GitBugJavaCli:
    """The `gitbug-java` commands this adapter issues, each with a timeout."""

    def __init__(self, workspace: Workspace, program: str = "gitbug-java") -> None:
        self.workspace = workspace
        self.program = program

    def call(self, args: Sequence[str], timeout: float) -> CommandResult:
        return self.workspace.run([self.program, *args], timeout=timeout)

    def available(self) -> bool:
        return self.workspace.run(["sh", "-c", f"command -v {self.program}"], timeout=30).ok

    def checkout(self, bid: str, work_dir: str) -> None:
        result = self.call(["checkout", bid, work_dir], TIMEOUTS["checkout"])
        if not result.ok:
            raise DatasetUnavailableError(f"gitbug-java checkout {bid} failed: {result.output.strip()[-400:]}")

    def info(self, bid: str) -> dict[str, Any] | None:
        """The bug record as JSON, or None when this CLI has no `info` (or it failed)."""
        result = self.call(["info", bid], TIMEOUTS["info"])
        if not result.ok:
            return None
        try:
            data = json.loads(result.stdout)
        except json.JSONDecodeError:
            return None
        return data if isinstance(data, dict) else None

    def run(self, work_dir: str, output_dir: str, timeout: float) -> CommandResult:
        return self.call(["run", work_dir, f"--output={output_dir}"], timeout)


class GitBugJavaRunner:
    """Runs the bug's workflow with `gitbug-java run` and reads its JSON report.

    GitBug-Java cannot run single tests: every run is the whole workflow, and the
    requested tests are picked from its report.
    """

    def __init__(self, workspace: Workspace, setup: TestSetup) -> None:
        self.workspace = workspace
        self.setup = setup
        self.cli = GitBugJavaCli(workspace)

    def build(self) -> CommandResult | None:
        return None  # the workflow builds as part of the run

    def run(self, tests: Sequence[str] | None = None, fail_fast: bool = False, build: bool = True) -> TestReport:
        start = time.monotonic()
        self.workspace.run(["rm", "-rf", RESULTS_DIR], timeout=60)
        # `gitbug-java run` reads the record from the checkout; it is there only while it runs.
        self.workspace.run(["cp", RUN_RECORD, RECORD_FILE], timeout=60)
        try:
            result = self.cli.run(self.workspace.path, f"{self.workspace.path}/{RESULTS_DIR}",
                                  self.setup.total_timeout)
        finally:
            self.workspace.run(["rm", "-f", RECORD_FILE], timeout=60)
        report = TestReport(output=result.output, timed_out=result.timed_out)
        data = self._read_report()
        if data is None or (not data.get("executed_tests") and not data.get("failed_tests")):
            report.build_ok = False
            report.build_output = result.output[-8000:] or "gitbug-java run wrote no report"
            report.seconds = time.monotonic() - start
            return report
        failed = [test_id(t) for t in data.get("failed_tests", [])]
        for t in failed:
            report.add(TestResult(t, TestStatus.FAIL, "failed in the GitHub workflow run"))
        for t in tests or []:
            if t not in report.results:
                report.add(TestResult(t, TestStatus.PASS))
        missing = int(data.get("expected_tests", 0)) - int(data.get("executed_tests", 0))
        if missing > 0:
            # A test that no longer runs (e.g. its class does not compile) is not a pass.
            report.add(TestResult("<gitbug-java: missing tests>", TestStatus.ERROR,
                                  f"{missing} expected tests did not run"))
        report.seconds = time.monotonic() - start
        return report

    def _read_report(self) -> dict[str, Any] | None:
        candidates = [RESULTS_FILE]
        listing = self.workspace.run(["sh", "-c", f"ls {RESULTS_DIR}/*.json 2>/dev/null"], timeout=30)
        candidates += [line.strip() for line in listing.stdout.splitlines() if line.strip()]
        for rel in candidates:
            if self.workspace.exists(rel):
                try:
                    data = json.loads(self.workspace.read_file(rel))
                except json.JSONDecodeError:
                    continue
                if isinstance(data, dict):
                    return data
        return None


register_command_runner("gitbug-java", GitBugJavaRunner)


class GitBugJavaDataset:
    """`gitbug-java:<bid>`: the buggy version of a GitBug-Java bug, with its test patch applied."""

    name = "gitbug-java"

    def list_bugs(self) -> list[Bug]:
        raise DatasetUnavailableError(
            "listing GitBug-Java bugs needs the CLI: run `gitbug-java bids`, then use gitbug-java:<bid>"
        )

    def get(self, bug_id: str) -> Bug:
        bid = parse_bug_id(bug_id)
        return Bug(
            id=f"gitbug-java:{bid}",
            dataset=self.name,
            language="java",
            test_setup=TestSetup("command", command="gitbug-java run", total_timeout=TIMEOUTS["run"]),
            meta={"bid": bid},
        )

    def checkout(self, bug: Bug, workspace: Workspace) -> None:
        """Check out the buggy version; its expected failing tests become `bug.failing_tests` (in place).

        The bug record that `gitbug-java checkout` leaves in the checkout holds the fix (`bug_patch`): it
        stays out of the workspace, and only the part `gitbug-java run` needs is kept, in the scratch dir.
        """
        cli = GitBugJavaCli(workspace)
        if not cli.available():
            raise DatasetUnavailableError(SETUP_HINT)
        bid = bug.meta["bid"]
        workspace.run(["rm", "-rf", CHECKOUT_DIR], timeout=120)
        cli.checkout(bid, f"{workspace.path}/{CHECKOUT_DIR}")
        left = f"{CHECKOUT_DIR}/{RECORD_FILE}"
        record = cli.info(bid) or (json.loads(workspace.read_file(left)) if workspace.exists(left) else None)
        adopt_checkout(workspace, CHECKOUT_DIR, exclude=(".git", RECORD_FILE))
        workspace.run(["rm", "-rf", CHECKOUT_DIR], timeout=300)
        exclude_from_diffs(workspace, (f"{RESULTS_DIR}/", ".act-result/"))
        if not record:
            raise DatasetUnavailableError(f"gitbug-java gave no bug record for {bid}")
        workspace.write_file(RUN_RECORD, json.dumps(run_record(record)))
        bug.failing_tests = failing_in_record(record)
        bug.fix_patch = record.get("bug_patch") or None


def run_record(record: dict[str, Any]) -> dict[str, Any]:
    """The bug record less the fix: what `gitbug-java run` reads (`RUN_RECORD_KEYS`), its runs' logs dropped."""
    kept = {key: record[key] for key in RUN_RECORD_KEYS if key in record}
    kept["fixed"] = False
    kept["actions_runs"] = [[{k: v for k, v in run.items() if k not in ("stdout", "stderr")} for run in runs or []]
                            for runs in record.get("actions_runs") or []]
    return kept
