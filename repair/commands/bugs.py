"""`repair bugs`, `repair checkout`, `repair test`, `repair validate`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from repair.checkout import check_out
from repair.cli_app import (
    QuixBugsRootOption,
    RepoOption,
    TestCmdOption,
    WorkdirOption,
    app,
    bug_id_from,
    console,
)
from repair.datasets.registry import DatasetOptions, dataset_names, open_dataset
from repair.errors import PatchError, RepairError
from repair.patch import Patch
from repair.runners import TestReport
from repair.validation import PatchValidator


@app.command("bugs")
def list_bugs(
    dataset: str = typer.Option("demo", "--dataset", "-d", help=f"One of: {', '.join(dataset_names())}."),
    quixbugs_root: str | None = QuixBugsRootOption,
    repo: Path | None = RepoOption,
    test_cmd: str | None = TestCmdOption,
) -> None:
    """List the bugs of a dataset."""
    ds = open_dataset(dataset, DatasetOptions(quixbugs_root, test_cmd, str(repo) if repo else None))
    table = Table(title=f"{dataset} bugs")
    table.add_column("id", no_wrap=True)
    table.add_column("language")
    table.add_column("failing tests")
    table.add_column("description", overflow="fold")
    for bug in ds.list_bugs():
        failing = str(len(bug.failing_tests)) if bug.failing_tests else "(found by running)"
        table.add_row(bug.id, bug.language, failing, bug.description or bug.meta.get("fault_kind", ""))
    console.print(table)


@app.command("checkout")
def checkout(
    bug: str = typer.Argument(..., help="Bug id, e.g. demo:GCD_LOOP or quixbugs-java:GCD."),
    workdir: Path = WorkdirOption,
    quixbugs_root: str | None = QuixBugsRootOption,
    test_cmd: str | None = TestCmdOption,
) -> None:
    """Check a bug's buggy version out into a fresh git workspace."""
    target = workdir or Path.cwd() / bug.replace(":", "-").replace("/", "_")
    checked = check_out(bug, DatasetOptions(quixbugs_root, test_cmd), workdir=target, discover_failing=False)
    console.print(f"checked out {checked.bug.id} into {checked.workspace.path}")


def print_report(report: TestReport, title: str) -> None:
    """A table of non-passing tests and a one-line summary."""
    if not report.build_ok:
        console.print(f"[red]build failed[/red]\n{report.build_output[-3000:]}")
        return
    table = Table(title=title, show_lines=False)
    table.add_column("test", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("message", overflow="fold")
    colors = {"pass": "green", "fail": "red", "error": "red", "timeout": "yellow", "skip": "dim"}
    for r in report.results.values():
        if r.status.value != "pass":
            first = r.message.strip().splitlines()[0][:160] if r.message.strip() else ""
            table.add_row(r.test_id, f"[{colors[r.status.value]}]{r.status.value}[/]", first)
    if table.row_count:
        console.print(table)
    console.print(f"{report.summary()} in {report.seconds:.1f}s")


@app.command("test")
def test(
    bug: str | None = typer.Argument(None, help="Bug id; or use --repo with --test-cmd."),
    repo: Path | None = RepoOption,
    test_cmd: str | None = TestCmdOption,
    quixbugs_root: str | None = QuixBugsRootOption,
) -> None:
    """Run a bug's tests on its buggy version and show which fail."""
    checked = check_out(bug_id_from(bug, repo), DatasetOptions(quixbugs_root, test_cmd), discover_failing=False)
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


@app.command("validate")
def validate(
    bug: str | None = typer.Argument(None, help="Bug id; or use --repo with --test-cmd."),
    patch: Path = typer.Option(..., "--patch", "-p", help="A unified diff or SEARCH/REPLACE file."),
    repo: Path | None = RepoOption,
    test_cmd: str | None = TestCmdOption,
    quixbugs_root: str | None = QuixBugsRootOption,
) -> None:
    """Apply a patch in a workspace and judge it: plausible or not (the original checkout is untouched)."""
    parsed = read_patch_file(patch)  # bad input fails now, before any checkout or test run
    checked = check_out(bug_id_from(bug, repo), DatasetOptions(quixbugs_root, test_cmd))
    try:
        validator = PatchValidator(checked.workspace, checked.bug, checked.runner, baseline=checked.baseline)
        result = validator.validate(parsed)
    finally:
        checked.close()
    if result.plausible:
        console.print(f"[green]plausible[/green] ({len(result.fixed)} failing tests fixed, {result.seconds:.1f}s)")
        return
    text = result.describe()
    if not text.startswith("not plausible"):
        text = f"not plausible: {text}"
    console.print("[red]not plausible[/red]" + text[len("not plausible"):], highlight=False)
    raise typer.Exit(1)
