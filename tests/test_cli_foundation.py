"""The `repair` command line, run as a user runs it: output, exit codes, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from repair.cli import app
from repair.cli_app import package_version
from repair.datasets import DemoDataset

FIXES = Path(__file__).resolve().parent.parent / "datasets" / "demo_bugs" / "fixes"


def repair(*args: str, env: dict[str, str] | None = None, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([sys.executable, "-m", "repair.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env)


def test_bugs_lists_the_demo_bugs() -> None:
    out = repair("bugs", "--dataset", "demo")
    assert out.returncode == 0
    for bug in DemoDataset().list_bugs():
        assert bug.id in out.stdout
    assert "into [lo, hi]" in out.stdout  # a description is text, not Rich markup


COMMANDS = ["fix", "batch", "bugs", "checkout", "test", "validate", "localize", "replay", "report", "compare", "ci"]


def test_help_is_printed_as_written_and_flags_take_no_value() -> None:
    runner = CliRunner()
    for name in COMMANDS:
        out = runner.invoke(app, [name, "-h"], env={"COLUMNS": "300"}, terminal_width=300)
        assert out.exit_code == 0, (name, out.output)
        assert "<bool>" not in out.output, name
    fix = runner.invoke(app, ["fix", "--help"], env={"COLUMNS": "300"}, terminal_width=300).output
    assert "JSON {model: [usd/M prompt, usd/M completion]}" in fix
    ci = runner.invoke(app, ["ci", "--help"], env={"COLUMNS": "300"}, terminal_width=300).output
    repo_line = next(line for line in ci.splitlines() if "--repo" in line)
    assert repo_line.count("default") == 1
    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.output.strip() == f"repair {package_version()}"


def test_the_readme_shows_every_command() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    registered = {c.name for c in app.registered_commands}
    assert registered == set(COMMANDS)
    for name in COMMANDS:
        assert f"\nrepair {name} " in readme, name


@pytest.mark.parametrize("name", ["fix", "checkout", "test", "validate", "localize"])
def test_every_bug_command_takes_the_bug_positionally_or_as_an_option(name: str) -> None:
    # Two different bugs, one each way: the command read both forms, and says so before any work.
    extra = ["--patch", str(FIXES / "is_sorted.diff")] if name == "validate" else []
    out = CliRunner().invoke(app, [name, "demo:is_sorted", "--bug", "demo:clamp_range", *extra])
    assert out.exit_code == 2 and "two bugs given" in out.output
    none = CliRunner().invoke(app, [name, *extra], env={"COLUMNS": "300"}, terminal_width=300)
    assert none.exit_code == 2 and "as BUG or --bug BUG" in none.output


def test_checkout_by_option_into_the_named_folder(tmp_path: Path) -> None:
    out = CliRunner().invoke(app, ["checkout", "--bug", "demo:is_sorted", "--workdir", str(tmp_path / "w")])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "w" / "python_programs" / "is_sorted.py").is_file()


def test_test_shows_which_tests_fail_and_times_out_hanging_ones() -> None:
    out = repair("test", "--bug", "demo:GCD_LOOP")
    assert out.returncode == 0, out.stderr
    assert "timeout" in out.stdout and "GCD_LOOP_TEST::test3" in out.stdout
    assert "2 pass, 3 timeout" in out.stdout
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert "RepairTestRunner" not in ps


def test_validate_right_and_wrong_patches(tmp_path: Path) -> None:
    right = repair("validate", "demo:is_sorted", "--patch", str(FIXES / "is_sorted.diff"))
    assert right.returncode == 0 and "plausible" in right.stdout and "not plausible" not in right.stdout
    wrong = tmp_path / "wrong.diff"
    wrong.write_text((FIXES / "is_sorted.diff").read_text().replace("+        if items[i - 1] > items[i]:",
                                                                    "+        if items[i - 1] < items[i]:"))
    out = repair("validate", "demo:is_sorted", "--patch", str(wrong))
    assert out.returncode == 1 and "not plausible" in out.stdout and "test_is_sorted.py::" in out.stdout


@pytest.mark.parametrize(("args", "message"), [
    (("test", "demo:NOPE"), "unknown bug id 'demo:NOPE'"),
    (("test", "GCD"), "unknown bug id 'GCD'"),
    (("validate", "demo:is_sorted", "--patch", "/nonexistent.diff"), "does not exist"),
    (("bugs", "--dataset", "nope"), "unknown dataset"),
])
def test_errors_are_one_line_without_traceback(args: tuple[str, ...], message: str) -> None:
    out = repair(*args)
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_missing_java_is_a_clear_error(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("git", "rm", "mkdir", "sh"):
        real = subprocess.run(["which", tool], capture_output=True, text=True).stdout.strip()
        (bin_dir / tool).symlink_to(real)
    out = repair("test", "demo:BINARY_SEARCH", env={"PATH": str(bin_dir)})
    assert out.returncode == 2 and "Java is missing" in out.stderr


def test_quixbugs_through_the_cli(quixbugs_tarball: Path) -> None:
    out = repair("test", "quixbugs-java:GCD", "--quixbugs-root", str(quixbugs_tarball))
    assert out.returncode == 0, out.stderr
    assert "5 error" in out.stdout and "StackOverflowError" in out.stdout
