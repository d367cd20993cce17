"""`repair batch`: bug selection, the results log, and real batches over two small demo bugs with the offline
engine (real pytest in worker processes), killed with SIGKILL mid-run and resumed.

Two bugs are enough to show scheduling, a kill between results and a resume; every wait below ends well
inside pytest-timeout's limit, so a slow machine fails with the batch's own message."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from repair.batch import RESULTS_FILE, ResultsLog
from repair.bug_selection import BugSelectionError, select_bugs
from repair.datasets.demo import DemoDataset
from repair.overfitting import NO_HELD_OUT_TESTS

DEMO_BUGS = sorted(b.id for b in DemoDataset().list_bugs())
SMALL = ["demo:clamp_range", "demo:is_sorted"]  # the two quickest demo bugs: Python, no hanging test
BATCH_SECONDS = 200.0  # all the batches of the fixture together; pytest-timeout's limit is 300 s
D4J = [f"defects4j:Closure-{i}" for i in range(1, 30)] + [f"defects4j:Lang-{i}" for i in (1, 2, 10)] + \
    ["defects4j:Math-5"]


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "repair.cli", *args]


def results(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / RESULTS_FILE).read_text().splitlines()]


def outcome_by_bug(records: list[dict]) -> dict[str, tuple[str, str]]:
    return {r["bug"]: (r["status"], r["patch"]) for r in records}


def test_selection_by_range_glob_and_name() -> None:
    picked = select_bugs(D4J, "Closure-1..3, Lang-*,Math-5")
    assert picked == ["defects4j:Closure-1", "defects4j:Closure-2", "defects4j:Closure-3", "defects4j:Lang-1",
                      "defects4j:Lang-2", "defects4j:Lang-10", "defects4j:Math-5"]
    assert select_bugs(D4J, "Closure-9..11") == ["defects4j:Closure-9", "defects4j:Closure-10", "defects4j:Closure-11"]
    assert select_bugs(DEMO_BUGS, "is_sorted,demo:GCD_LOOP") == ["demo:GCD_LOOP", "demo:is_sorted"]
    assert select_bugs(DEMO_BUGS, "gcd_loop") == ["demo:GCD_LOOP"]  # case-insensitive when nothing else matches
    assert select_bugs(DEMO_BUGS, None) == DEMO_BUGS
    with pytest.raises(BugSelectionError, match="'Closur-1' matches no bug"):
        select_bugs(D4J, "Closur-1")
    with pytest.raises(BugSelectionError, match="empty"):
        select_bugs(D4J, "Closure-5..2")


def test_results_log_cuts_a_torn_last_line(tmp_path: Path) -> None:
    log = ResultsLog(tmp_path / RESULTS_FILE)
    log.append({"bug": "demo:a", "status": "plausible"})
    with (tmp_path / RESULTS_FILE).open("a") as handle:  # what a kill in the middle of a write leaves
        handle.write('{"bug": "demo:b", "sta')
    assert list(log.load()) == ["demo:a"]  # readers skip the torn line and leave the file alone
    assert (tmp_path / RESULTS_FILE).read_text().endswith('"sta')
    assert list(log.load(repair_torn_tail=True)) == ["demo:a"]  # the resuming batch cuts it off
    log.append({"bug": "demo:b", "status": "failed"})
    assert [r["bug"] for r in results(tmp_path)] == ["demo:a", "demo:b"]


def test_existing_results_need_resume(tmp_path: Path) -> None:
    ResultsLog(tmp_path / RESULTS_FILE).append({"bug": "demo:is_sorted", "status": "plausible"})
    proc = subprocess.run(cli("batch", "--dataset", "demo", "--bugs", "is_sorted", "--out", str(tmp_path)),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "pass --resume" in proc.stderr and "Traceback" not in proc.stderr


def test_the_old_budget_names_still_parse() -> None:
    proc = subprocess.run(cli("batch", "--dataset", "demo", "--bugs", "nope", "--time-limit", "5", "--cost-limit",
                              "1"), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "'nope' matches no bug" in proc.stderr


def test_bug_over_its_time_limit_is_recorded_as_timeout(tmp_path: Path) -> None:
    proc = subprocess.run(cli("batch", "--dataset", "demo", "--bugs", "GCD_LOOP", "--max-seconds", "1",
                              "--out", str(tmp_path)), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    (record,) = results(tmp_path)
    assert record["bug"] == "demo:GCD_LOOP" and record["status"] == "timeout"
    assert "1s" in record["reason"] or "time budget" in record["reason"]
    assert "timeout" in (tmp_path / "summary.md").read_text()


@dataclass
class Batches:
    """A: an uninterrupted batch. B: the same batch killed with SIGKILL after its first result, then resumed."""

    a: Path
    b: Path
    before_kill: str  # B's results.jsonl when it was killed
    resumed: subprocess.CompletedProcess[str]
    a_tmp: Path  # A's temporary folder (TMPDIR), where its workspaces went
    a_marker: str  # an environment variable every process of A inherited


def kill_after_first_result(args: list[str], out: Path, deadline: float) -> None:
    # SIGKILL leaves the killed workers no chance to remove their workspaces: they go to the test's own
    # temporary folder, not /tmp.
    scratch = out.parent / f"{out.name}-workspaces"
    scratch.mkdir()
    batch = subprocess.Popen(args, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env={**os.environ, "TMPDIR": str(scratch)})
    try:
        while not ((out / RESULTS_FILE).is_file() and (out / RESULTS_FILE).read_text().count("\n") >= 1):
            assert batch.poll() is None, "the batch ended before it could be killed"
            assert time.monotonic() < deadline, "no result line in time"
            time.sleep(0.1)
        os.killpg(batch.pid, signal.SIGKILL)  # the batch and its workers share this process group
        batch.wait(timeout=30)
    finally:
        if batch.poll() is None:
            os.killpg(batch.pid, signal.SIGKILL)
            batch.wait(timeout=30)


def left(deadline: float) -> float:
    return max(1.0, deadline - time.monotonic())


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> Batches:
    """Both batches over two small demo bugs with the offline engine. A runs them side by side (two workers)
    while B runs them one at a time, so B's kill after its first result lands while the second runs."""
    a, b = tmp_path_factory.mktemp("batch-a"), tmp_path_factory.mktemp("batch-b")
    deadline = time.monotonic() + BATCH_SECONDS
    # A bug that hangs is cut by the batch's own limit, well before the fixture's deadline.
    common = ["batch", "--dataset", "demo", "--bugs", ",".join(SMALL), "--model", "offline", "--max-seconds", "120"]
    a_tmp, marker = tmp_path_factory.mktemp("batch-a-tmp"), f"repair-batch-{os.getpid()}-{time.time_ns()}"
    reference = subprocess.Popen(cli(*common, "--workers", "2", "--out", str(a)), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True,
                                 env={**os.environ, "TMPDIR": str(a_tmp), "REPAIR_TEST_BATCH_MARK": marker})
    try:
        b_args = cli(*common, "--workers", "1", "--out", str(b), "--no-overfitting-check")
        kill_after_first_result(b_args, b, deadline)
        before = (b / RESULTS_FILE).read_text()
        resumed = subprocess.run([*b_args, "--resume"], capture_output=True, text=True, timeout=left(deadline))
        out, err = reference.communicate(timeout=left(deadline))
    finally:
        if reference.poll() is None:
            reference.kill()
            reference.wait()
    assert reference.returncode == 0, out + err
    return Batches(a, b, before, resumed, a_tmp, marker)


def processes_with(marker: str) -> list[str]:
    """The live processes whose environment holds `marker` (what `ps e` shows), as `pid command`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker.encode() in environ:
            found.append(f"{entry} {cmdline}")
    return found


def test_a_batch_leaves_no_process_and_no_workspace_behind(batches: Batches) -> None:
    assert processes_with(batches.a_marker) == []
    assert sorted(p.name for p in batches.a_tmp.iterdir()) == [], "workspaces left in the temporary folder"


def test_batch_finishes_with_reports_and_labelled_patches(batches: Batches) -> None:
    records = results(batches.a)
    assert sorted(r["bug"] for r in records) == SMALL
    for record in records:
        run_dir = batches.a / record["run_dir"]
        assert (run_dir / "result.json").is_file() and (run_dir / "report.html").is_file()
        assert record["status"] == "plausible", record
        assert record["patch"].startswith("diff --git")
        assert record["ground_truth"] == "exact"  # the offline engine finds the demo fixes themselves
        # The demo fixes hold out no test: the check says so instead of rerunning the bug's own tests.
        assert record["overfitting"]["overfitting"] is None and record["overfitting"]["note"] == NO_HELD_OUT_TESTS
    summary = (batches.a / "summary.md").read_text()
    assert "plausible: 2; of these: 2 match the ground truth" in summary
    rows = [line for line in summary.splitlines() if line.startswith("| demo:")]
    assert len(rows) == 2 and all("| plausible | matches the ground truth | none held out |" in r for r in rows)
    html = (batches.a / "summary.html").read_text()
    assert 'id="time-chart"' in html and 'id="cost-chart"' in html and 'id="tools-chart"' in html


def test_batch_killed_mid_run_resumes_to_identical_results(batches: Batches) -> None:
    killed_with = [json.loads(line) for line in batches.before_kill.splitlines()]
    assert 1 <= len(killed_with) < len(SMALL)
    resumed = batches.resumed
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"resuming: {len(killed_with)} of {len(SMALL)} bugs already done" in resumed.stderr
    # No terminal: each bug's start is a plain line of the log, before its result.
    remaining = [bug for bug in SMALL if bug not in {r["bug"] for r in killed_with}]
    assert remaining and all(f"started    {bug}" in resumed.stderr for bug in remaining)
    after = (batches.b / RESULTS_FILE).read_text()
    assert after.startswith(batches.before_kill)  # nothing written before the kill was lost or rewritten
    records = results(batches.b)
    bugs = [r["bug"] for r in records]
    assert len(bugs) == len(set(bugs)) == len(SMALL)  # no duplicated line, no missing bug
    assert outcome_by_bug(records) == outcome_by_bug(results(batches.a))

    args = cli("batch", "--dataset", "demo", "--bugs", ",".join(SMALL), "--model", "offline", "--out",
               str(batches.b), "--resume")
    again = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and (batches.b / RESULTS_FILE).read_text() == after  # nothing left to run


def test_compare_two_batches(batches: Batches) -> None:
    compared = subprocess.run(cli("compare", str(batches.a), str(batches.b)), capture_output=True, text=True,
                              timeout=60)
    assert compared.returncode == 0, compared.stderr
    assert "fixed only in A: none" in compared.stdout and "fixed only in B: none" in compared.stdout


def costly_reply(tool: str, **args: object) -> dict:
    """A recorded reply (replayed exactly by ScriptedModel) that cost one cent."""
    return {"reply": {"text": tool, "thoughts": tool, "command": {"name": tool, "args": args}, "error": None,
                      "usage": {"prompt_tokens": 1000, "completion_tokens": 100, "cost_usd": 0.01}}}


def test_bug_over_its_cost_limit_stops_with_cost_limit(tmp_path: Path) -> None:
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    read = costly_reply("read_range", file="python_programs/is_sorted.py", start=1, end=6)
    (scripts / "is_sorted.json").write_text(json.dumps([read] * 10))
    out = tmp_path / "out"
    proc = subprocess.run(cli("batch", "--dataset", "demo", "--bugs", "is_sorted", "--budget-usd", "0.025",
                              "--model", f"scripted:{scripts}/{{name}}.json", "--out", str(out)),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    (record,) = results(out)
    assert record["status"] == "cost_limit" and "dollar budget" in record["reason"]
    assert record["cycles"] == 3 and record["cost_usd"] == pytest.approx(0.03)
    assert record["tools"] == {"read_range": 3}
