"""Fault-localization accuracy (top-1/3/5) and the cost of the coverage run, side by side.

For each bug: a plain test run (build + tests, as `repair test` does) and then the localizer's
coverage run (build + tests under JaCoCo or coverage.py) in the same fresh checkout; the overhead
is coverage seconds / plain seconds. Accuracy uses the ground truth only to score the ranking.

    python benchmarks/fl_accuracy.py [--formula ochiai] [--limit N]
    REPAIR_QUIXBUGS_ROOT=~/QuixBugs python benchmarks/fl_accuracy.py     # adds QuixBugs Java + Python
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import dataclass

from repair.checkout import check_out
from repair.datasets.bug import Bug
from repair.datasets.registry import DatasetOptions, open_dataset
from repair.errors import RepairError
from repair.fault_localization import FaultLocalizer, Suspicious


@dataclass
class Row:
    bug: str
    rank: int | None
    plain_s: float
    coverage_s: float

    @property
    def ratio(self) -> float:
        return self.coverage_s / self.plain_s if self.plain_s else float("nan")


def rank_of_fault(bug: Bug, ranked: list[Suspicious]) -> int | None:
    """1-based rank of the first ground-truth line; a missing-code fault also counts its neighbours."""
    slack = 1 if str(bug.meta.get("fault_kind", "")).startswith("missing") else 0
    truth = {(loc.file, loc.line + d) for loc in bug.buggy_locations for d in range(-slack, slack + 1)}
    return next((rank for rank, s in enumerate(ranked, 1) if (s.file, s.line) in truth), None)


def measure(bug_id: str, formula: str, options: DatasetOptions) -> Row:
    checked = check_out(bug_id, options, discover_failing=False)
    try:
        start = time.monotonic()
        checked.runner.run()
        plain = time.monotonic() - start
        localizer = FaultLocalizer(formula=formula)
        ranked = localizer.localize(checked.bug, checked.workspace, checked.runner)
        coverage = localizer.matrix.seconds if localizer.matrix else float("nan")
        return Row(checked.bug.id, rank_of_fault(checked.bug, ranked), plain, coverage)
    finally:
        checked.close()


def summarise(name: str, rows: list[Row]) -> None:
    n = len(rows)
    if not n:
        return
    tops = {k: sum(1 for r in rows if r.rank is not None and r.rank <= k) for k in (1, 3, 5)}
    ratios = [r.ratio for r in rows if r.ratio == r.ratio]
    total = sum(r.coverage_s for r in rows) / max(sum(r.plain_s for r in rows), 1e-9)
    print(f"\n{name}: {n} bugs  top-1 {tops[1]}/{n}  top-3 {tops[3]}/{n}  top-5 {tops[5]}/{n}")
    if ratios:
        print(f"  overhead coverage/plain: total {total:.2f}x  median {statistics.median(ratios):.2f}x  "
              f"max {max(ratios):.2f}x  (target <= 3x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formula", default="ochiai")
    parser.add_argument("--limit", type=int, default=0, help="at most N QuixBugs bugs per language")
    args = parser.parse_args()
    suites: list[tuple[str, list[str], DatasetOptions]] = [
        ("demo", [b.id for b in open_dataset("demo", DatasetOptions()).list_bugs()], DatasetOptions())]
    root = os.environ.get("REPAIR_QUIXBUGS_ROOT")
    if root:
        options = DatasetOptions(quixbugs_root=root)
        for name in ("quixbugs-java", "quixbugs-python"):
            ids = [b.id for b in open_dataset(name, options).list_bugs()]
            suites.append((name, ids[: args.limit] if args.limit else ids, options))
    print(f"{'bug':40} {'rank':>5} {'plain s':>8} {'cover s':>8} {'ratio':>6}")
    for name, ids, options in suites:
        rows: list[Row] = []
        for bug_id in ids:
            try:
                row = measure(bug_id, args.formula, options)
            except RepairError as exc:
                print(f"{bug_id:40} error: {exc}")
                continue
            rows.append(row)
            print(f"{row.bug:40} {row.rank if row.rank else '-':>5} {row.plain_s:8.2f} {row.coverage_s:8.2f} "
                  f"{row.ratio:6.2f}", flush=True)
        summarise(name, rows)


if __name__ == "__main__":
    main()
