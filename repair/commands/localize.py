"""`repair localize`: rank a bug's suspicious lines and methods (spectra, mutants, stack traces and statement
kinds combined, one formula alone, or perfect FL)."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import typer
from rich.columns import Columns
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
from repair.fault_localization import COMBINED, METHODS, FaultLocalizer, MutationBudget
from repair.fault_localization.methods import rank_methods
from repair.offline.mutants import TemplateMutants


@command("localize")
def localize(
    bug: str | None = BugArgument,
    bug_option: str | None = BugOption,
    formula: str = typer.Option(COMBINED, "--formula", "-f",
                                help=f"One of: {', '.join(METHODS)} (combined: every signal, the default)."),
    top: int = typer.Option(20, "--top", "-n", min=1, help="How many lines to show."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    perfect_fl: bool = typer.Option(False, "--perfect-fl",
                                    help="Use the dataset's ground-truth buggy lines (an oracle, for experiments)."),
    no_coverage: bool = typer.Option(False, "--no-coverage", help="Stack traces only: skip the coverage run."),
    mutants: int = typer.Option(MutationBudget().mutants, "--mutants", min=0,
                                help="Mutants to run for mutation-based FL at most (0: none)."),
    repo: Path | None = RepoOption,
    test_cmd: str | None = TestCmdOption,
    quixbugs_root: str | None = QuixBugsRootOption,
    backend: str = BackendOption,
) -> None:
    """Run the tests with per-test coverage, mutate the top lines, and rank the lines and methods most
    likely to hold the fault."""
    localizer = FaultLocalizer(formula=formula, perfect=perfect_fl, use_coverage=not no_coverage,
                               mutants=TemplateMutants() if mutants else None,
                               budget=replace(MutationBudget(), mutants=mutants))
    checked = check_out(bug_id_from(bug, repo, bug_option), DatasetOptions(quixbugs_root, test_cmd),
                        backend=backend, discover_failing=False)
    start = time.monotonic()
    try:
        ranked = localizer.localize(checked.bug, checked.workspace, checked.runner)
    finally:
        checked.close()
    seconds = {"coverage": round(localizer.evidence.coverage_seconds, 2),
               "mutation": round(localizer.evidence.mutation_seconds, 2), "total": round(time.monotonic() - start, 2)}
    shown, methods = ranked[:top], rank_methods(ranked)[:top]
    if as_json:
        mutation = localizer.evidence.mutation
        print(json.dumps({"bug": checked.bug.id, "formula": formula, "perfect_fl": perfect_fl,
                          "notes": localizer.notes, "seconds": seconds, "total": len(ranked),
                          "suspicious": [s.to_dict() for s in shown], "methods": [m.to_dict() for m in methods],
                          "mutants": mutation.to_dict()["mutants"] if mutation is not None else []}, indent=1))
        return
    label = "PERFECT FL: ground truth" if perfect_fl else formula
    lines = Table(title=Text(f"suspicious lines of {checked.bug.id} ({label})"))
    for column in ("rank", "file:line", "kind", "score", "signals"):
        lines.add_column(column, overflow="fold")
    for rank, s in enumerate(shown, 1):
        signals = " ".join(f"{name}={value:.3g}" for name, value in s.signals.items())
        lines.add_row(*(Text(cell) for cell in (str(rank), f"{s.file}:{s.line}", s.kind or "", f"{s.score:.4f}",
                                                signals)))
    by_method = Table(title=Text("suspicious methods (by their best line)"))
    for column in ("rank", "method", "best line", "lines"):
        by_method.add_column(column, overflow="fold")
    for rank, m in enumerate(methods, 1):
        by_method.add_row(*(Text(cell) for cell in (str(rank), m.method or f"{m.file} (outside any method)",
                                                    f"{m.line} (#{m.rank})", str(m.lines))))
    console.print(Columns([lines, by_method]))
    for note in localizer.notes:
        console.print(Text(note, "dim"), highlight=False)
    console.print(Text(f"seconds: coverage {seconds['coverage']}, mutation {seconds['mutation']}, "
                       f"total {seconds['total']}", "dim"), highlight=False)
    if not ranked:
        console.print("no suspicious lines: no failing test executed project code")
