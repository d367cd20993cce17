"""`repair bugs`, `repair checkout`, `repair test`, `repair validate`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from repair.checkout import check_out
from repair.cli_app import (
    BackendOption,
    BugArgument,
    BugOption,
    FinalTestCmdOption,
    QuixBugsRootOption,
    RepoOption,
    TestCmdOption,
    bug_id_from,
    command,
    console,
)
from repair.datasets.registry import DatasetOptions, dataset_names, open_dataset
from repair.errors import PatchError, RepairError
from repair.patch import Patch
from repair.runners import TestReport
from repair.validation import PatchValidator


@command("bugs")
def list_bugs(
    dataset: str = typer.Option("demo", "--dataset", "-d", help=f"One of: {', '.join(dataset_names())}."),
    quixbugs_root: str | None = QuixBugsRootOption,
    repo: Path | None = RepoOption,
    test_cmd: str | None = TestCmdOption,
) -> None:
    """List the bugs of a dataset."""
    ds = open_dataset(dataset, DatasetOptions(quixbugs_root, test_cmd, str(repo) if repo else None))
    table = Table(title=Text(f"{dataset} bugs"))
    table.add_column("id", no_wrap=True)
    table.add_column("language")
    table.add_column("failing tests")
    table.add_column("description", overflow="fold")
    for bug in ds.list_bugs():
        failing = str(len(bug.failing_tests)) if bug.failing_tests else "(found by running)"
        # Cells are Text: a description such as "into [lo, hi]" is not Rich markup.
        table.add_row(Text(bug.id), Text(bug.language), Text(failing),
                      Text(bug.description or bug.meta.get("fault_kind", "")))
    console.print(table)


@command("checkout")
def checkout(
    bug: str | None = BugArgument,
    bug_option: str | None = BugOption,
    workdir: Path | None = typer.Option(None, "--workdir", "-w", help="Where to check out (default: "
                                        "./<bug-id> in the current folder, e.g. ./demo-GCD_LOOP)."),
    repo: Path | None = RepoOption,
    test_cmd: str | None = TestCmdOption,
    quixbugs_root: str | None = QuixBugsRootOption,
) -> None:
    """Check a bug's buggy version out into a fresh git workspace (tag repair-base) that stays after the command."""
    bug_id = bug_id_from(bug, repo, bug_option)
    name = Path(bug_id.split(":", 1)[1]).name if bug_id.startswith("local:") else bug_id
    target = (workdir or Path.cwd() / name.replace(":", "-").replace("/", "_")).resolve()
    if bug_id.startswith("local:"):
        source = Path(bug_id.split(":", 1)[1]).resolve()
        if target == source or source in target.parents:
            raise RepairError(f"the checkout would land inside {source}: give --workdir DIR outside it")
    checked = check_out(bug_id, DatasetOptions(quixbugs_root, test_cmd), workdir=target, discover_failing=False)
    console.print(Text(f"checked out {checked.bug.id} into {checked.workspace.path}"), highlight=False,
                  soft_wrap=True)


def print_report(report: TestReport, title: str) -> None:
    """A table of non-passing tests and a one-line summary."""
    if not report.build_ok:
        console.print(Text.assemble(("build failed", "red"), "\n", report.build_output[-3000:]))
        return
    table = Table(title=Text(title), show_lines=False)
    table.add_column("test", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("message", overflow="fold")
    colors = {"pass": "green", "fail": "red", "error": "red", "timeout": "yellow", "skip": "dim"}
    for r in report.results.values():
        if r.status.value != "pass":
            first = r.message.strip().splitlines()[0][:160] if r.message.strip() else ""
            table.add_row(Text(r.test_id), Text(r.status.value, colors[r.status.value]), Text(first))
    if table.row_count:
        console.print(table)
    console.print(Text(f"{report.summary()} in {report.seconds:.1f}s"))


@command("test")
def test(
    bug: str | None = BugArgument,
    bug_option: str | None = BugOption,
    repo: Path | None = RepoOption,
    test_cmd: str | None = TestCmdOption,
    quixbugs_root: str | None = QuixBugsRootOption,
    backend: str = BackendOption,
) -> None:
    """Run a bug's tests on its buggy version and show which fail."""
    checked = check_out(bug_id_from(bug, repo, bug_option), DatasetOptions(quixbugs_root, test_cmd),
                        backend=backend, discover_failing=False)
    try:
        report = checked.runner.run()
        print_report(report, f"tests of {checked.bug.id}")
    finally:
        checked.close()


def read_patch_file(path: Path) -> Patch:
    """Parse a patch file (unified diff or SEARCH/REPLACE blocks); a RepairError says what is wrong with it."""
    if not path.is_file():
        raise RepairError(f"patch file {path} does not exist")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise RepairError(f"patch file {path} is not UTF-8 text") from None
    if not text.strip():
        raise RepairError(f"patch file {path} is empty")
    try:
        return Patch.parse(text)
    except PatchError as exc:
        raise RepairError(f"patch file {path}: {exc}") from None


@command("validate")
def validate(
    bug: str | None = BugArgument,
    patch: Path = typer.Option(..., "--patch", "-p", help="A unified diff or SEARCH/REPLACE file, e.g. a run's "
                               "patch.diff."),
    bug_option: str | None = BugOption,
    repo: Path | None = RepoOption,
    test_cmd: str | None = TestCmdOption,
    final_test_cmd: str | None = FinalTestCmdOption,
    quixbugs_root: str | None = QuixBugsRootOption,
    backend: str = BackendOption,
) -> None:
    """Apply a patch in a workspace and judge it: plausible or not (the original checkout is untouched)."""
    parsed = read_patch_file(patch)  # bad input fails now, before any checkout or test run
    checked = check_out(bug_id_from(bug, repo, bug_option),
                        DatasetOptions(quixbugs_root, test_cmd, final_test_cmd=final_test_cmd), backend=backend)
    try:
        validator = PatchValidator(checked.workspace, checked.bug, checked.runner, baseline=checked.baseline)
        result = validator.validate(parsed)
    finally:
        checked.close()
    covers = Text("".join(f"\ncovers {line}" for line in result.scope_lines()))
    if result.plausible:
        console.print(Text.assemble(("plausible", "green"),
                                    f" ({len(result.fixed)} failing tests fixed, {result.seconds:.1f}s)", covers),
                      highlight=False)
        return
    if result.status in ("refused", "apply-failed"):  # the patch is bad input, not a verdict of the tests
        raise RepairError(result.describe().splitlines()[0])
    text = result.describe()
    if not text.startswith("not plausible"):
        text = f"not plausible: {text}"
    # The rest is test output and code (`expected: if (arr[mid] == x)`): text, not markup, never wrapped.
    console.print(Text.assemble(("not plausible", "red"), text[len("not plausible"):], covers), highlight=False,
                  soft_wrap=True)
    raise typer.Exit(1)
