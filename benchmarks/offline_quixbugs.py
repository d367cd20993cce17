"""The offline engine on every QuixBugs bug (Java and Python), through the agent loop.

Needs a QuixBugs checkout: `REPAIR_QUIXBUGS_ROOT=/path/to/QuixBugs python benchmarks/offline_quixbugs.py`.
Prints the plausible counts per language and the median time per bug, and writes a JSON file of the
per-bug results (status, patch, seconds, and the search's counts and time split).

    --languages java,python   --limit N (first N bugs per language)   --out FILE   --perfect-fl
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from repair.datasets.quixbugs import QuixBugsDataset
from repair.errors import RepairError
from repair.fix_run import FixOptions, run_fix
from repair.offline import OfflineEngine


def run_bug(bug_id: str, root: str, runs_dir: str, perfect_fl: bool) -> dict[str, Any]:
    engine = OfflineEngine()
    start = time.monotonic()
    try:
        outcome = run_fix(FixOptions(bug_id, runs_dir=runs_dir, quixbugs_root=root, perfect_fl=perfect_fl),
                          model=engine)
        status, reason, patch = outcome.result.status, outcome.result.reason, outcome.result.patch
    except RepairError as exc:
        status, reason, patch = "error", str(exc), ""
    return {"bug": bug_id, "status": status, "reason": reason, "patch": patch,
            "seconds": round(time.monotonic() - start, 2), "search": engine.stats.to_dict()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--languages", default="java,python")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--out", default="offline_quixbugs.json")
    parser.add_argument("--perfect-fl", action="store_true")
    args = parser.parse_args()
    root = os.environ.get("REPAIR_QUIXBUGS_ROOT")
    if not root:
        print("set REPAIR_QUIXBUGS_ROOT to a QuixBugs checkout", file=sys.stderr)
        return 2
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="offline-quixbugs-") as runs_dir:
        for language in args.languages.split(","):
            bugs = QuixBugsDataset(language, root).list_bugs()
            if args.limit:
                bugs = bugs[:args.limit]
            for bug in bugs:
                row = run_bug(bug.id, root, runs_dir, args.perfect_fl)
                row["language"] = language
                results.append(row)
                print(f"{bug.id:<45} {row['status']:<12} {row['seconds']:>7.1f}s  "
                      f"{row['search'].get('validated', 0)} candidates", flush=True)
    for language in args.languages.split(","):
        rows = [r for r in results if r["language"] == language]
        if rows:
            plausible = sum(r["status"] == "plausible" for r in rows)
            median = statistics.median(r["seconds"] for r in rows)
            print(f"{language}: {plausible}/{len(rows)} plausible, median {median:.1f}s per bug")
    Path(args.out).write_text(json.dumps(results, indent=2))
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
