"""The offline engine on the real Defects4J bugs of Cli and Codec (57), with fault-localization accuracy.

Needs the local Defects4J on PATH (`../shared/benchmarks/defects4j-local.sh DIR`, then
`export PATH="DIR/shim:DIR/framework/bin:$PATH" TZ=America/Los_Angeles`). Per bug, in a child process
killed at the time limit: check the buggy version out, localize (JaCoCo per-test coverage + stack traces),
then `repair fix` with the offline engine on the same checkout. The human patch (the framework's
`projects/<P>/patches/<N>.src.patch`, reversed) is read here, on the host, only to score the result:

- FL top-1/3/5: a line the human patch touches is among the first 1/3/5 suspicious lines (for a patch that
  only inserts code, the lines around the insertion point count);
- plausible: the engine's patch passes every test; correct: it is the human patch after AST
  normalisation (plausible patches that differ are written to `judge/` for a human to judge);
- candidates by fate: the counts the run's result.json holds (`search`, and `candidates` when present).

Resumable: rows go to OUT/results.jsonl as each bug ends, and `--resume` skips the bugs already there.
Also written: OUT/fl/<bug>.json.gz (the coverage matrix and the ranking, to study FL without rerunning).

    python benchmarks/defects4j_dev.py --out /tmp/d4j-dev --time-limit 300 [--bugs Cli-1,Codec-*] [--resume]
    python benchmarks/defects4j_dev.py --out /tmp/d4j-dev --report     # the table of what is there
"""

from __future__ import annotations

import argparse
import fnmatch
import gzip
import itertools
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

PROJECTS = ("Cli", "Codec")
FL_CUTOFFS = (1, 3, 5)
FINAL_VALIDATION_SLACK = 45.0  # seconds kept for the real validator's verdict on the last candidate
KILL_SLACK = 120.0  # a child gets this much past its time limit before it is killed


def bug_ids(selection: str | None) -> list[str]:
    """`Cli-1` ... from `defects4j bids`, optionally filtered by comma-separated names or globs."""
    ids = []
    for project in PROJECTS:
        listed = subprocess.run(["defects4j", "bids", "-p", project], capture_output=True, text=True, timeout=120)
        if listed.returncode != 0:
            raise SystemExit(f"defects4j bids -p {project} failed: {listed.stderr.strip()[-300:]}")
        ids += [f"{project}-{n}" for n in sorted(int(x) for x in listed.stdout.split())]
    if selection:
        patterns = [p.strip() for p in selection.split(",") if p.strip()]
        ids = [i for i in ids if any(fnmatch.fnmatch(i, p) for p in patterns)]
    # Projects taking turns, so that a run stopped early still has both in its figures.
    by_project = [[i for i in ids if i.startswith(f"{p}-")] for p in PROJECTS]
    return [i for group in itertools.zip_longest(*by_project) for i in group if i]


# -- one bug, in a child process ---------------------------------------------------------------------
def run_one(bug_name: str, out: Path, time_limit: float, fl_only: bool = False) -> dict[str, Any]:
    from repair.checkout import check_out
    from repair.errors import RepairError
    from repair.fault_localization import FaultLocalizer
    from repair.fix_run import FixOptions, run_fix
    from repair.offline import OfflineEngine
    from repair.reports.patch_match import ground_truth_match

    start = time.monotonic()
    row: dict[str, Any] = {"bug": bug_name}
    checked = check_out(f"defects4j:{bug_name}", discover_failing=False)
    try:
        bug, workspace = checked.bug, checked.workspace
        truth = {(loc.file, loc.line) for loc in bug.buggy_locations}
        row["checkout_seconds"] = round(time.monotonic() - start, 1)
        t_fl = time.monotonic()
        localizer = FaultLocalizer()
        suspects = localizer.localize(bug, workspace, checked.runner)
        row["fl_seconds"] = round(time.monotonic() - t_fl, 1)
        row["fl_notes"] = localizer.notes
        row["fl_rank"], row["fl_rank_worst"] = truth_rank(suspects, truth)
        row["fl_top"] = [f"{s.file}:{s.line}" for s in suspects[:5]]
        row["truth_lines"] = sorted(f"{f}:{n}" for f, n in truth)
        (out / "fl").mkdir(exist_ok=True)
        with gzip.open(out / "fl" / f"{bug_name}.json.gz", "wt") as f:
            json.dump({"matrix": localizer.matrix.to_dict() if localizer.matrix else None,
                       "suspects": [s.to_dict() for s in suspects[:500]],
                       "truth": sorted(truth)}, f)
        if fl_only:
            row.update(status="fl-only", plausible=False, correct=False, seconds=round(time.monotonic() - start, 1))
            return row
        engine = OfflineEngine()
        left = time_limit - (time.monotonic() - start) - FINAL_VALIDATION_SLACK
        options = FixOptions(bug.id, model="offline", max_seconds=max(30.0, left), runs_dir=str(out / "runs"),
                             reports=False)
        try:
            outcome = run_fix(options, model=engine, checked=checked)
            summary = outcome.summary
        except RepairError as exc:
            summary = {"status": "error", "reason": str(exc), "patch": ""}
        row["status"], row["reason"] = summary["status"], summary.get("reason", "")
        row["search"] = summary.get("search") or engine.stats.to_dict()
        if "candidates" in summary:
            row["candidates"] = summary["candidates"]
        patch = summary.get("patch") or ""
        row["plausible"] = summary["status"] == "plausible"
        row["correct"] = False
        if row["plausible"] and bug.fix_patch:

            def read(path: str) -> str | None:
                return workspace.read_file(path) if workspace.exists(path) else None

            match = ground_truth_match(patch, bug.fix_patch, read)
            row["match"] = match
            row["correct"] = match in ("exact", "ast")
            if not row["correct"]:
                (out / "judge").mkdir(exist_ok=True)
                (out / "judge" / f"{bug_name}.diff").write_text(
                    f"# engine's plausible patch\n{patch}\n# human patch\n{bug.fix_patch}")
        row["patch"] = patch
    finally:
        checked.close()
    row.setdefault("seconds", round(time.monotonic() - start, 1))
    return row


def truth_rank(suspects: list[Any], truth: set[tuple[str, int]]) -> tuple[int | None, int | None]:
    """The 1-based position of the first human-patch line in the ranking, and the worst position it could
    have among lines of the same score (ties); None when FL did not rank any of its lines."""
    for position, s in enumerate(suspects, start=1):
        if (s.file, s.line) in truth:
            worst = sum(1 for other in suspects if other.score >= s.score)
            return position, worst
    return None, None


# -- the driver ----------------------------------------------------------------------------------------
def run_child(bug_name: str, out: Path, time_limit: float, fl_only: bool) -> dict[str, Any]:
    row_file = out / "rows" / f"{bug_name}.json"
    row_file.parent.mkdir(parents=True, exist_ok=True)
    row_file.unlink(missing_ok=True)
    log = open(out / "rows" / f"{bug_name}.log", "w")  # noqa: SIM115 - closed below
    start = time.monotonic()
    argv = [sys.executable, __file__, "--child", bug_name, "--out", str(out), "--time-limit", str(time_limit)]
    proc = subprocess.Popen([*argv, *(["--fl-only"] if fl_only else [])], stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        proc.wait(timeout=time_limit + KILL_SLACK)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        log.close()
    if row_file.is_file():
        return dict(json.loads(row_file.read_text()))
    tail = (out / "rows" / f"{bug_name}.log").read_text(errors="replace").strip().splitlines()[-3:]
    return {"bug": bug_name, "status": "error", "plausible": False, "correct": False,
            "reason": "killed at the time limit" if proc.returncode == -signal.SIGKILL else " | ".join(tail),
            "seconds": round(time.monotonic() - start, 1)}


def table(rows: list[dict[str, Any]]) -> Table:
    out = Table(title="Defects4J (Cli, Codec): offline engine")
    for column in ("bugs", "FL top-1", "FL top-3", "FL top-5", "plausible", "correct", "median s/bug"):
        out.add_column(column, justify="right", no_wrap=True)
    out.add_column("set", justify="left")
    groups = {p: [r for r in rows if r["bug"].startswith(p + "-")] for p in PROJECTS}
    groups["all"] = rows
    for name, group in groups.items():
        if not group:
            continue
        n = len(group)

        def pct(k: int, of: int = n) -> str:
            return f"{k} ({100 * k / of:.0f}%)"

        tops = [sum(1 for r in group if r.get("fl_rank") and r["fl_rank"] <= c) for c in FL_CUTOFFS]
        out.add_row(str(n), *(pct(t) for t in tops), pct(sum(r["plausible"] for r in group)),
                    pct(sum(r["correct"] for r in group)), f"{statistics.median(r['seconds'] for r in group):.0f}",
                    name)
    return out


def fates(rows: list[dict[str, Any]]) -> str:
    """Sums of the search's counts (dropped by reason included) over the bugs."""
    totals: dict[str, int] = {}
    for r in rows:
        for key, value in (r.get("search") or {}).items():
            if isinstance(value, int) and not isinstance(value, bool):
                totals[key] = totals.get(key, 0) + value
            elif isinstance(value, dict):  # dropped: {reason: count}
                for reason, count in value.items():
                    if isinstance(count, int):
                        totals[f"{key}[{reason}]"] = totals.get(f"{key}[{reason}]", 0) + count
    return ", ".join(f"{k} {v}" for k, v in totals.items()) or "(none recorded)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bugs", help="names or globs, e.g. Cli-1,Codec-*")
    parser.add_argument("--out", default="/tmp/defects4j-dev")
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds per bug, checkout included")
    parser.add_argument("--resume", action="store_true", help="skip the bugs already in OUT/results.jsonl")
    parser.add_argument("--fl-only", action="store_true", help="checkout and fault localization only")
    parser.add_argument("--report", action="store_true", help="print the table of OUT/results.jsonl; run nothing")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.child:
        row = run_one(args.child, out, args.time_limit, args.fl_only)
        (out / "rows" / f"{args.child}.json").write_text(json.dumps(row))
        return 0
    results = out / "results.jsonl"
    done: dict[str, dict[str, Any]] = {}
    if (args.resume or args.report) and results.is_file():
        for line in results.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                done[row["bug"]] = row
    elif results.is_file() and not args.report:
        results.unlink()
    if args.report:
        if not done:
            raise SystemExit(f"no results in {results} to report (--report reads them; add --resume)")
        print_summary(list(done.values()), out, results)
        return 0
    ids = bug_ids(args.bugs)
    todo = [b for b in ids if b not in done]
    console = Console()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        task = progress.add_task("Defects4J", total=len(ids), completed=len(ids) - len(todo))
        for bug_name in todo:
            progress.update(task, description=f"{bug_name}")
            row = run_child(bug_name, out, args.time_limit, args.fl_only)
            done[bug_name] = row
            with results.open("a") as f:
                f.write(json.dumps(row) + "\n")
            progress.console.print(f"{bug_name:<10} {row['status']:<10} FL rank {row.get('fl_rank')}  "
                                   f"{row['seconds']:>6.0f}s  {str(row.get('reason', ''))[:70]}", highlight=False)
            progress.advance(task)
    print_summary([done[b] for b in ids if b in done], out, results)
    return 0


def print_summary(rows: list[dict[str, Any]], out: Path, results: Path) -> None:
    console = Console()
    console.print(table(rows))
    console.print(f"candidates by fate (sums): {fates(rows)}", highlight=False, markup=False)
    judged = sorted(r["bug"] for r in rows if r["plausible"] and not r["correct"])
    if judged:
        console.print(f"plausible, not the human patch (to judge, in {out / 'judge'}): {', '.join(judged)}")
    console.print(f"results: {results}")


if __name__ == "__main__":
    sys.exit(main())
