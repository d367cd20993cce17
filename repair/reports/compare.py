"""`repair compare RUN_A RUN_B`: which bugs one run fixed and the other did not."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repair.errors import RepairError
from repair.results_log import RESULTS_FILE, read_results


@dataclass
class Comparison:
    """Bugs by outcome in two runs; `fixed` means a plausible patch. The first four lists hold the bugs both
    runs attempted; a bug only one run attempted is listed apart (`missing_in_a`, `missing_in_b`)."""

    only_a: list[str]
    only_b: list[str]
    both: list[str]
    neither: list[str]
    missing_in_a: list[str] = field(default_factory=list)
    missing_in_b: list[str] = field(default_factory=list)


def load_outcomes(path: Path) -> dict[str, dict[str, Any]]:
    """Bug → result of a run: a batch directory or its results.jsonl, a `runs/` tree, or one run directory.

    In a `runs/` tree with several runs of a bug, the latest counts.
    """
    if path.is_file() or (path / RESULTS_FILE).is_file():
        return {r["bug"]: r for r in read_results(path)}
    if not path.is_dir():
        raise RepairError(f"{path} does not exist")
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for result_file in sorted(path.rglob("result.json")):
        try:
            result = json.loads(result_file.read_text())
        except json.JSONDecodeError:
            continue
        bug = result.get("bug")
        stamp = result_file.parent.name
        if bug and (bug not in found or stamp > found[bug][0]):
            found[bug] = (stamp, result)
    if not found:
        raise RepairError(f"{path} holds no results: give a batch directory (results.jsonl) or a runs directory")
    return {bug: result for bug, (_, result) in found.items()}


def compare_runs(a: Path, b: Path) -> Comparison:
    """Compare the bugs both runs attempted; list those only one of them attempted apart."""
    first, second = load_outcomes(a), load_outcomes(b)
    bugs = sorted(set(first) & set(second))

    def fixed(outcomes: dict[str, dict[str, Any]], bug: str) -> bool:
        return outcomes[bug].get("status") == "plausible"

    return Comparison(
        only_a=[x for x in bugs if fixed(first, x) and not fixed(second, x)],
        only_b=[x for x in bugs if fixed(second, x) and not fixed(first, x)],
        both=[x for x in bugs if fixed(first, x) and fixed(second, x)],
        neither=[x for x in bugs if not fixed(first, x) and not fixed(second, x)],
        missing_in_a=sorted(set(second) - set(first)),
        missing_in_b=sorted(set(first) - set(second)),
    )


def render_comparison(comparison: Comparison, a: str, b: str) -> str:
    """Plain text for the terminal."""
    def block(title: str, bugs: list[str]) -> list[str]:
        return [f"{title} ({len(bugs)}):"] + [f"  {bug}" for bug in bugs] if bugs else [f"{title}: none"]

    lines = [f"A: {a}", f"B: {b}", *block("fixed only in A", comparison.only_a),
             *block("fixed only in B", comparison.only_b),
             f"of the bugs both ran: fixed in both: {len(comparison.both)}; "
             f"fixed in neither: {len(comparison.neither)}"]
    if comparison.missing_in_b:
        lines += block("ran only in A (missing from B)", comparison.missing_in_b)
    if comparison.missing_in_a:
        lines += block("ran only in B (missing from A)", comparison.missing_in_a)
    return "\n".join(lines) + "\n"
