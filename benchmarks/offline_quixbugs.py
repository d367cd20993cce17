"""The offline engine on every real QuixBugs bug (40 Java + 40 Python), through the agent loop.

Each bug runs `repair fix` with the offline engine in a child process of its own, killed (with everything
it started) at `--per-bug-seconds`; the agent itself is told to stop a little earlier, so that it still
writes its result. One JSON line per bug goes to `--out` as soon as the bug ends, so an interrupted run
resumes where it stopped (`--fresh` starts over, `--retry-errors` reruns the bugs that errored or hit the
limit). At the end, per language and for all bugs: plausible, correct, and the median and 90th percentile
of the seconds per bug, with the Python bugs `--watch` names shown one by one, and the load average the
bugs ran under (each row keeps the machine's 1-minute load as the bug ended).

Correct means the same program as QuixBugs' corrected one after normalisation (comments, layout and
docstrings aside: `repair.reports.patch_match`). A plausible patch that differs is listed for judging, with
a key; a verdict written into `--judged FILE` (JSONL, `{"bug": ..., "patch_key": ..., "verdict": "correct" |
"incorrect", "why": ...}` per line; benchmarks/judged/quixbugs.jsonl by default) counts from then on, for
that very patch only.

    python benchmarks/offline_quixbugs.py                       # all 80, from $REPAIR_BENCHMARKS_DIR/quixbugs.tar.gz
    python benchmarks/offline_quixbugs.py --quixbugs DIR_OR_TARBALL --languages python --bugs bitcount,gcd
    python benchmarks/offline_quixbugs.py --summary             # the table of what --out holds, nothing run
    nohup python benchmarks/offline_quixbugs.py --out /tmp/qb.jsonl > /tmp/qb.log 2>&1 &

Options: --out FILE (offline_quixbugs.jsonl) --per-bug-seconds N (420) --limit N (first N per language)
--perfect-fl --runs-dir DIR (keep every run's artifacts) --judged FILE (benchmarks/judged/quixbugs.jsonl)
--watch a,b (bitcount,detect_cycle).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from repair.containers.process import run_process
from repair.datasets.quixbugs import QuixBugsDataset, locate_quixbugs

REPO = Path(__file__).resolve().parent.parent
# The shared benchmark data, as the tests find it: $REPAIR_BENCHMARKS_DIR, else <repo>/../shared/benchmarks.
DATA_DIR = Path(os.environ.get("REPAIR_BENCHMARKS_DIR") or REPO.parent / "shared" / "benchmarks")
DEFAULT_DATA = DATA_DIR / "quixbugs.tar.gz"
LANGUAGES = ("java", "python")
DEFAULT_JUDGED = Path(__file__).with_name("judged") / "quixbugs.jsonl"  # verdicts on patches read by hand
AGENT_SLACK = 45.0  # seconds between the agent's own stop and the hard kill: writing its result, closing JVMs


# -- one bug, in the child process ---------------------------------------------------------------
def patch_key(patch: str) -> str:
    """A short key of a patch's added and removed lines (headers and context aside), for judgments."""
    body = [ln.rstrip() for ln in patch.splitlines()
            if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    return hashlib.sha256("\n".join(body).encode()).hexdigest()[:12]


def run_one(bug_id: str, root: str, runs_dir: str, perfect_fl: bool, max_seconds: float) -> dict[str, Any]:
    """`repair fix` with the offline engine on one bug; the row for the results file."""
    from repair.errors import RepairError
    from repair.fix_run import FixOptions, run_fix
    from repair.offline import OfflineEngine
    from repair.reports.patch_match import ground_truth_match

    engine = OfflineEngine()
    start = time.monotonic()
    row: dict[str, Any] = {"bug": bug_id, "language": bug_id.split(":")[0].removeprefix("quixbugs-")}
    try:
        outcome = run_fix(FixOptions(bug_id, runs_dir=runs_dir, quixbugs_root=root, perfect_fl=perfect_fl,
                                     max_seconds=max_seconds), model=engine)
        summary = outcome.summary
        row.update(status=summary["status"], reason=summary["reason"], patch=summary["patch"],
                   run_dir=str(outcome.run_dir), search_depth=summary.get("search_depth"),
                   verdict_scope=(summary.get("tests_after") or {}).get("scope"))
    except RepairError as exc:
        row.update(status="error", reason=str(exc), patch="")
    except Exception as exc:  # noqa: BLE001 - one bug's crash is a row, not the end of an 80-bug run
        row.update(status="error", reason=f"{type(exc).__name__}: {exc}", patch="")
    row["seconds"] = round(time.monotonic() - start, 2)
    row["search"] = engine.stats.to_dict()
    row["match"] = None
    if row["status"] == "plausible" and row["patch"]:
        bug = QuixBugsDataset(row["language"], root).get(bug_id)
        quixbugs = locate_quixbugs(root)

        def read(path: str) -> str | None:
            file = quixbugs / path
            return file.read_text(encoding="utf-8", errors="replace") if file.is_file() else None

        row["match"] = ground_truth_match(row["patch"], bug.fix_patch or "", read)
        row["patch_key"] = patch_key(row["patch"])
    return row


# -- the batch, in the parent ----------------------------------------------------------------------
def load_rows(path: Path) -> dict[str, dict[str, Any]]:
    """The rows already in the results file, by bug (the last one wins; a torn last line is skipped)."""
    rows: dict[str, dict[str, Any]] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict) and "bug" in row:
                rows[row["bug"]] = row
    return rows


def run_child(bug_id: str, root: str, runs_dir: str, args: argparse.Namespace) -> dict[str, Any]:
    """One bug in a child process with a hard limit; a row even when it dies or hits the limit."""
    with tempfile.TemporaryDirectory(prefix="qb-row-") as tmp:
        row_file = Path(tmp) / "row.json"
        argv = [sys.executable, str(Path(__file__).resolve()), "--one", bug_id, "--row-file", str(row_file),
                "--quixbugs", root, "--runs-dir", runs_dir, "--agent-seconds",
                str(max(30.0, args.per_bug_seconds - AGENT_SLACK))]
        if args.perfect_fl:
            argv.append("--perfect-fl")
        start = time.monotonic()
        result = run_process(argv, cwd=str(REPO), timeout=args.per_bug_seconds, project_code=True)
        if row_file.is_file():
            return json.loads(row_file.read_text())
        status = "timeout" if result.timed_out else "error"
        why = (f"killed at the {args.per_bug_seconds:g}s limit" if result.timed_out
               else f"the child exited {result.returncode}: {result.output.strip()[-500:]}")
        return {"bug": bug_id, "language": bug_id.split(":")[0].removeprefix("quixbugs-"), "status": status,
                "reason": why, "patch": "", "seconds": round(time.monotonic() - start, 2), "match": None,
                "search": {}}


def selected_bugs(root: str, args: argparse.Namespace) -> list[str]:
    wanted = {b.strip().lower() for b in args.bugs.split(",") if b.strip()} if args.bugs else set()
    bugs: list[str] = []
    for language in args.languages.split(","):
        ids = [bug.id for bug in QuixBugsDataset(language, root).list_bugs()]
        if wanted:
            ids = [i for i in ids if i.split(":")[1].lower() in wanted or i.lower() in wanted]
        bugs.extend(ids[:args.limit] if args.limit else ids)
    return bugs


def run_all(root: str, bugs: list[str], out: Path, args: argparse.Namespace) -> None:
    done = load_rows(out)
    retry = {"error", "timeout"} if args.retry_errors else set()
    todo = [b for b in bugs if b not in done or done[b].get("status") in retry]
    print(f"{len(bugs)} bugs, {len(bugs) - len(todo)} already in {out}, {len(todo)} to run "
          f"(limit {args.per_bug_seconds:g}s per bug)", flush=True)
    keep = args.runs_dir is not None
    runs_dir = args.runs_dir or tempfile.mkdtemp(prefix="offline-quixbugs-runs-")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, transient=False) as progress:
            task = progress.add_task("QuixBugs", total=len(todo))
            for bug_id in todo:
                progress.update(task, description=f"{bug_id:<40}")
                row = run_child(bug_id, root, runs_dir, args)
                row["load"] = round(os.getloadavg()[0], 1)  # the machine's 1-minute load average as the bug ended
                with out.open("a") as handle:  # one line per bug, as soon as it ends: resumable
                    handle.write(json.dumps(row) + "\n")
                progress.console.print(f"{bug_id:<45} {row['status']:<13} {row['seconds']:>7.1f}s  "
                                       f"match {row.get('match') or '-':<8} depth "
                                       f"{(row.get('search_depth') or {}).get('deepest_rank', '-')}",
                                       highlight=False, soft_wrap=True)
                progress.advance(task)
    finally:
        if not keep:
            import shutil

            shutil.rmtree(runs_dir, ignore_errors=True)


# -- the figures ---------------------------------------------------------------------------------
def percentile(values: Iterable[float], share: float) -> float:
    """The nearest-rank percentile (`share` in 0..1) of `values`; nan when there are none."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def load_judged(path: str | None) -> dict[tuple[str, str], dict[str, Any]]:
    """Verdicts by (bug, patch_key), from a JSONL file (one verdict a line) or a JSON list."""
    if not path or not Path(path).is_file():
        return {}
    text = Path(path).read_text()
    entries = json.loads(text) if text.lstrip().startswith("[") else \
        [json.loads(line) for line in text.splitlines() if line.strip()]
    return {(j["bug"], j["patch_key"]): j for j in entries}


def verdict(row: dict[str, Any], judged: dict[tuple[str, str], dict[str, Any]]) -> str:
    """correct | incorrect | to judge | - (not plausible)."""
    if row.get("status") != "plausible":
        return "-"
    if row.get("match") in ("exact", "ast"):
        return "correct"
    judgment = judged.get((row["bug"], row.get("patch_key") or patch_key(row.get("patch", ""))))
    return str(judgment["verdict"]) if judgment else "to judge"


def summarise(rows: list[dict[str, Any]], judged: dict[tuple[str, str], dict[str, Any]], watch: list[str]) -> str:
    lines = ["| language | bugs | plausible | correct | to judge | errors/timeouts | median s | p90 s |",
             "|---|---|---|---|---|---|---|---|"]
    groups = [(language, [r for r in rows if r.get("language") == language]) for language in LANGUAGES]
    if all(mine for _, mine in groups):
        groups.append(("all", rows))
    for language, mine in groups:
        if not mine:
            continue
        verdicts = [verdict(r, judged) for r in mine]
        seconds = [float(r.get("seconds", 0.0)) for r in mine]
        lines.append(f"| {language} | {len(mine)} | {sum(r['status'] == 'plausible' for r in mine)} | "
                     f"{verdicts.count('correct')} | {verdicts.count('to judge')} | "
                     f"{sum(r['status'] in ('error', 'timeout') for r in mine)} | "
                     f"{statistics.median(seconds):.1f} | {percentile(seconds, 0.9):.1f} |")
    for language in LANGUAGES:
        mine = [r for r in rows if r.get("language") == language]
        for label, wanted in (("correct", ("correct",)), ("plausible, not correct", ("incorrect",)),
                              ("plausible, to judge", ("to judge",))):
            names = sorted(r["bug"].split(":")[1] for r in mine if verdict(r, judged) in wanted)
            if names:
                lines.append(f"- {language} {label} ({len(names)}): {', '.join(names)}")
    loads = sorted(float(r["load"]) for r in rows if "load" in r)
    if loads:  # seconds on a shared machine mean little without the load they were measured under
        lines.append(f"\nload average (1 min) as the bugs ended: median {statistics.median(loads):.1f}, "
                     f"min {loads[0]:.1f}, max {loads[-1]:.1f} ({os.cpu_count()} CPUs)")
    for name in watch:
        for row in rows:
            if row["bug"].split(":")[1] == name and row["language"] == "python":
                lines.append(f"- {row['bug']}: {row['status']}, {verdict(row, judged)} "
                             f"({row.get('match') or 'no match'}), {row['seconds']:.1f}s")
    pending = [r for r in rows if verdict(r, judged) == "to judge"]
    if pending:
        lines.append(f"\nPlausible patches that differ from the corrected program ({len(pending)}), to judge:")
        for row in pending:
            lines.append(f"\n### {row['bug']} (patch_key {row.get('patch_key') or patch_key(row['patch'])})\n")
            lines.append("```diff\n" + row["patch"].rstrip() + "\n```")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quixbugs", default=os.environ.get("REPAIR_QUIXBUGS_ROOT") or str(DEFAULT_DATA),
                        help="QuixBugs tarball, root, or a folder holding it")
    parser.add_argument("--languages", default="java,python")
    parser.add_argument("--bugs", default="", help="comma-separated names (GCD,bitcount) or ids")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--out", default="offline_quixbugs.jsonl")
    parser.add_argument("--per-bug-seconds", type=float, default=420.0)
    parser.add_argument("--perfect-fl", action="store_true")
    parser.add_argument("--runs-dir", default=None)
    parser.add_argument("--judged", default=str(DEFAULT_JUDGED))
    parser.add_argument("--watch", default="bitcount,detect_cycle")
    parser.add_argument("--fresh", action="store_true", help="start over: empty --out first")
    parser.add_argument("--retry-errors", action="store_true", help="rerun the bugs that errored or timed out")
    parser.add_argument("--summary", action="store_true", help="only print the figures of what --out holds")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the child's mode: one bug
    parser.add_argument("--row-file", help=argparse.SUPPRESS)
    parser.add_argument("--agent-seconds", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        row = run_one(args.one, args.quixbugs, args.runs_dir, args.perfect_fl, args.agent_seconds)
        Path(args.row_file).write_text(json.dumps(row))
        return 0
    out = Path(args.out)
    try:
        root = str(locate_quixbugs(args.quixbugs, clone=False))
    except Exception as exc:  # noqa: BLE001 - one line for a missing or broken data set
        print(f"QuixBugs is not available: {exc}", file=sys.stderr)
        return 2
    bugs = selected_bugs(root, args)
    if not args.summary:
        if args.fresh and out.exists():
            out.unlink()
        run_all(root, bugs, out, args)
    rows = [row for bug, row in load_rows(out).items() if bug in set(bugs)]
    print(summarise(rows, load_judged(args.judged), [w for w in args.watch.split(",") if w]))
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
