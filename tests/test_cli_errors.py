"""Bad input gets one line on stderr and exit code 2, never a traceback, never a line wrapped at 80 columns.

Most cases run `repair.cli.main` in this process (the same code path as the `repair` executable, without the
start-up of a new interpreter each time); the ones that need a real terminal-less process run the executable.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from repair.cli import main

FIXES = Path(__file__).resolve().parent.parent / "datasets" / "demo_bugs" / "fixes"


def run_main(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    """`repair ARGS` in this process: exit code, stdout, stderr (80 columns, as a small terminal has)."""
    monkeypatch.setattr(sys, "argv", ["repair", *args])
    monkeypatch.setenv("COLUMNS", "80")
    previous = signal.getsignal(signal.SIGTERM)  # main() makes SIGTERM unwind like Ctrl-C
    try:
        with pytest.raises(SystemExit) as exited:
            main()
    finally:
        signal.signal(signal.SIGTERM, previous)
    out = capsys.readouterr()
    code = exited.value.code
    return code if isinstance(code, int) else 0, out.out, out.err


def assert_one_line_error(code: int, err: str, *expected: str) -> None:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for text in expected:
        assert text in lines[0], err


def small_repo(root: Path) -> Path:
    root.mkdir()
    (root / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    (root / "test_calc.py").write_text("from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n")
    return root


def test_validate_refuses_a_patch_outside_the_repo_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    evil = tmp_path / "evil.diff"
    evil.write_text("--- a/../etc/passwd\n+++ b/../etc/passwd\n@@ -1 +1 @@\n-root:x:0:0\n+evil\n")
    code, out, err = run_main(capsys, monkeypatch, "validate", "demo:is_sorted", "--patch", str(evil))
    assert_one_line_error(code, err, "refused", "outside the repository")
    assert out == ""


def test_a_patch_that_does_not_apply_says_where_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "stale.diff"  # its context line is not in the file: the error shows both versions
    stale.write_text((FIXES / "is_sorted.diff").read_text().replace("-        if items[i - 1] >= items[i]:",
                                                                    "-        if items[i - 1] >= items[j]:"))
    code, _, err = run_main(capsys, monkeypatch, "validate", "demo:is_sorted", "--patch", str(stale))
    assert_one_line_error(code, err, "the patch does not apply", "expected `if items[i - 1] >= items[j]:`",
                          "found `if items[i - 1] >= items[i]:`")


@pytest.mark.parametrize(("command", "message"), [
    ("pytest 'unterminated", "cannot be read: No closing quotation"),
    ("no-such-binary --flag", "cannot start: no-such-binary: not found"),
])
def test_a_test_command_that_cannot_be_read_or_started_is_an_error(
        command: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    repo = small_repo(tmp_path / "repo")
    code, _, err = run_main(capsys, monkeypatch, "test", "--repo", str(repo), "--test-cmd", command)
    assert_one_line_error(code, err, message)


def test_fix_does_not_run_the_agent_on_a_command_that_cannot_start(tmp_path: Path) -> None:
    repo = small_repo(tmp_path / "repo")
    runs = tmp_path / "runs"
    out = subprocess.run([sys.executable, "-m", "repair.cli", "fix", "--repo", str(repo), "--test-cmd",
                          "no-such-binary --flag", "--runs-dir", str(runs)], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "COLUMNS": "80"})
    assert_one_line_error(out.returncode, out.stderr, "cannot start: no-such-binary: not found")
    assert "starting the agent" not in out.stdout and not runs.exists()


def test_a_repo_holding_a_fifo_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    repo = small_repo(tmp_path / "repo")
    os.mkfifo(repo / "events.pipe")
    code, _, err = run_main(capsys, monkeypatch, "test", "--repo", str(repo), "--test-cmd", "pytest -q")
    assert_one_line_error(code, err, "events.pipe", "named pipe")


# Run folders as a crash, a full disk or a careless edit leave them.
DAMAGED = {
    "empty": ({}, "has no result.json"),
    "not JSON": ({"result.json": '{"status": "fail'}, "is not JSON"),
    "not an object": ({"result.json": "[]"}, "expected a JSON object"),
    "a field of the wrong kind": ({"result.json": json.dumps({"bug": "demo:is_sorted", "tokens": "many"})},
                                  "'tokens' is str"),
    "a damaged trajectory": ({"result.json": json.dumps({"bug": "demo:is_sorted", "status": "failed",
                                                         "options": {"bug_id": "demo:is_sorted"}}),
                              "trajectory.jsonl": '{"cycle": 1}\n{"cyc'},
                             "trajectory.jsonl:1 is not a trajectory step"),
}


@pytest.mark.parametrize("case", DAMAGED)
@pytest.mark.parametrize("command", ["replay", "report"])
def test_replay_and_report_of_a_damaged_run_folder(case: str, command: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    files, message = DAMAGED[case]
    run_dir = tmp_path / "runs" / "demo__is_sorted" / "20250101-000000-000000"
    run_dir.mkdir(parents=True)
    for name, text in files.items():
        (run_dir / name).write_text(text)
    code, _, err = run_main(capsys, monkeypatch, command, str(run_dir))
    assert_one_line_error(code, err, message)


def test_replay_of_options_that_are_not_repair_fix_options(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "result.json").write_text(json.dumps({"status": "failed", "options": {"bug_id": "x", "nope": 1}}))
    code, _, err = run_main(capsys, monkeypatch, "replay", str(tmp_path))
    assert_one_line_error(code, err, "its options are not those of repair fix")


@pytest.mark.parametrize(("args", "expected"), [
    (("fix", "demo:GCD_LOOP", "--budget-usd", "0"), "--budget-usd"),
    (("fix", "demo:GCD_LOOP", "--max-seconds", "-5"), "--max-seconds"),
    (("fix", "demo:GCD_LOOP", "--no-such-flag"), "--no-such-flag"),
    (("fix",), "give a bug id"),
    (("no-such-command",), "no-such-command"),
])
def test_usage_errors_are_one_line_too(args: tuple[str, ...], expected: str, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run_main(capsys, monkeypatch, *args)
    assert_one_line_error(code, err, expected, "-h')")
    assert "╭" not in err and out == ""


def test_a_command_that_exits_with_a_status_keeps_it(capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run_main(capsys, monkeypatch, "--version")
    assert code == 0 and out.startswith("repair ")
