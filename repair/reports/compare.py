"""`repair compare RUN_A RUN_B`: which bugs one run fixed and the other did not."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repair.errors import RepairError
from repair.results_log import RESULTS_FILE, read_results


@dataclass
class Comparison:
    """Bugs by outcome in two runs; `fixed` means a plausible patch."""

    only_a: list[str]
    only_b: list[str]
    both: list[str]
    neither: list[str]


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
    """Compare the bugs both runs attempted, plus those only one attempted (counted as not fixed by the other)."""
    first, second = load_outcomes(a), load_outcomes(b)
    bugs = sorted(set(first) | set(second))

    def fixed(outcomes: dict[str, dict[str, Any]], bug: str) -> bool:
        return outcomes.get(bug, {}).get("status") == "plausible"

    return Comparison(
        only_a=[x for x in bugs if fixed(first, x) and not fixed(second, x)],
        only_b=[x for x in bugs if fixed(second, x) and not fixed(first, x)],
        both=[x for x in bugs if fixed(first, x) and fixed(second, x)],
        neither=[x for x in bugs if not fixed(first, x) and not fixed(second, x)],
    )


def render_comparison(comparison: Comparison, a: str, b: str) -> str:
    """Plain text for the terminal."""
    def block(title: str, bugs: list[str]) -> list[str]:
        return [f"{title} ({len(bugs)}):"] + [f"  {bug}" for bug in bugs] if bugs else [f"{title}: none"]

    return "\n".join([f"A: {a}", f"B: {b}", *block("fixed only in A", comparison.only_a),
                      *block("fixed only in B", comparison.only_b),
                      f"fixed in both: {len(comparison.both)}; fixed in neither: {len(comparison.neither)}"]) + "\n"
