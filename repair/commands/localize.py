"""`repair localize`: rank a bug's suspicious lines (spectrum-based, stack-trace or perfect FL)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from repair.checkout import check_out
from repair.cli_app import (
    BackendOption,
    BugArgument,
    BugOption,
    QuixBugsRootOption,
    RepoOption,
    TestCmdOption,
    bug_id_from,
    command,
    console,
)
from repair.datasets.registry import DatasetOptions
from repair.fault_localization import FORMULAS, FaultLocalizer


@command("localize")
def localize(
    bug: str | None = BugArgument,
    bug_option: str | None = BugOption,
    formula: str = typer.Option("ochiai", "--formula", "-f", help=f"One of: {', '.join(FORMULAS)}."),
    top: int = typer.Option(20, "--top", "-n", min=1, help="How many lines to show."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    perfect_fl: bool = typer.Option(False, "--perfect-fl",
                                    help="Use the dataset's ground-truth buggy lines (an oracle, for experiments)."),
    no_coverage: bool = typer.Option(False, "--no-coverage", help="Stack traces only: skip the coverage run."),
    repo: Path | None = RepoOption,
    test_cmd: str | None = TestCmdOption,
    quixbugs_root: str | None = QuixBugsRootOption,
    backend: str = BackendOption,
) -> None:
    """Run the tests with per-test coverage and rank the lines most likely to hold the fault."""
    localizer = FaultLocalizer(formula=formula, perfect=perfect_fl, use_coverage=not no_coverage)
    checked = check_out(bug_id_from(bug, repo, bug_option), DatasetOptions(quixbugs_root, test_cmd),
                        backend=backend, discover_failing=False)
    try:
        ranked = localizer.localize(checked.bug, checked.workspace, checked.runner)
    finally:
        checked.close()
    shown = ranked[:top]
    if as_json:
        print(json.dumps({"bug": checked.bug.id, "formula": formula, "perfect_fl": perfect_fl,
                          "notes": localizer.notes, "total": len(ranked),
                          "suspicious": [s.to_dict() for s in shown]}, indent=1))
        return
    title = f"suspicious lines of {checked.bug.id} ({'PERFECT FL: ground truth' if perfect_fl else formula})"
    table = Table(title=Text(title))
    for column in ("rank", "file:line", "method", "score", "signals"):
        table.add_column(column, overflow="fold")
    for rank, s in enumerate(shown, 1):
        signals = " ".join(f"{name}={value:.3g}" for name, value in s.signals.items())
        table.add_row(*(Text(cell) for cell in (str(rank), f"{s.file}:{s.line}", s.method or "", f"{s.score:.4f}",
                                                signals)))
    console.print(table)
    for note in localizer.notes:
        console.print(Text(note, "dim"), highlight=False)
    if not ranked:
        console.print("no suspicious lines: no failing test executed project code")
