"""Fault-localization accuracy (top-1/3/5) and cost of every formula and of the combination, side by side.

Each bug is localized once, with every signal (per-test coverage, stack traces, statement kinds, mutation
analysis); every formula then ranks the same evidence, so the figures compare rankings, not runs. The cost
of a formula is the evidence it needs: a spectrum formula the coverage run, a mutation formula and the
combination the coverage run plus the mutation analysis; `total s` is the whole localization's wall time
(the figure `repair localize` costs, checkout excluded).

What counts as the fault (read here, on the host, only to score the rankings; never by the localizer):
- QuixBugs: the lines of the buggy program that the corrected program changes, code lines only (blank
  lines, comments, docstrings and whitespace-only changes are not the fix); where the fix only inserts
  code, the code lines on either side of the insertion point.
- Defects4J: the lines the developer's patch (`framework/projects/<P>/patches/<N>.src.patch`) touches,
  the lines on either side of an insertion point for a patch that only inserts.

With `--overhead`, a plain test run comes first in the same checkout, and the coverage run's cost is also
printed as a ratio to it.

Resumable: a row per bug goes to OUT/rows.jsonl as it ends (`--resume` skips bugs already there), and the
evidence of each bug to OUT/evidence/<bug>.json.gz (to study rankings without rerunning; `--rerank` ranks
it again with the current code).

    python benchmarks/fl_accuracy.py --out /tmp/fl-acc [--suites quixbugs-java,quixbugs-python,defects4j]
        [--quixbugs ../shared/benchmarks/quixbugs.tar.gz] [--bugs 'GCD,Cli-*'] [--resume] [--summary] [--rerank]

Defects4J needs the local framework on PATH (`export PATH="/opt/d4j/shim:/opt/d4j/framework/bin:$PATH"
TZ=America/Los_Angeles`).
"""

from __future__ import annotations

import argparse
import fnmatch
import gzip
import json
import os
import resource
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from unidiff import PatchSet

from repair.checkout import check_out
from repair.datasets.bug import Bug
from repair.datasets.registry import DatasetOptions, open_dataset
from repair.errors import RepairError
from repair.fault_localization import METHODS, FaultLocalizer
from repair.fault_localization.combined import needs_mutation, rank
from repair.fault_localization.evidence import Evidence
from repair.offline.mutants import TemplateMutants
from repair.syntax import language_of, parse

SUITES = ("quixbugs-java", "quixbugs-python", "defects4j")
CUTOFFS = (1, 3, 5)
# The shared benchmark data: $REPAIR_BENCHMARKS_DIR, else ../shared/benchmarks next to the checkout.
BENCHMARKS_DIR = Path(os.environ.get("REPAIR_BENCHMARKS_DIR",
                                     Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks"))


# -- what counts as the fault --------------------------------------------------------------------------
def code_rows(language: str, text: str) -> set[int]:
    """1-based lines of `text` that hold code: not blank, not only a comment, not a docstring."""
    rows: set[int] = set()
    stack = [parse(language, text).root_node]
    while stack:
        node = stack.pop()
        if node.type in ("comment", "line_comment", "block_comment"):
            continue
        if node.type == "expression_statement" and node.named_child_count == 1 and \
                node.named_children[0].type == "string":
            continue  # a docstring
        if node.child_count == 0:
            rows.add(node.start_point[0] + 1)
        stack.extend(node.children)
    return rows


def fix_lines(bug: Bug, read: Any) -> set[tuple[str, int]]:
    """QuixBugs: the code lines of the buggy program that the fix (buggy -> correct) changes."""
    truth: set[tuple[str, int]] = set()
    for patched in PatchSet(bug.fix_patch or ""):
        path = patched.path
        language = language_of(path)
        if language is None:
            continue
        code = code_rows(language, read(path))
        for hunk in patched:
            lines = list(hunk)
            i = 0
            while i < len(lines):
                if lines[i].is_context:
                    i += 1
                    continue
                j = i
                while j < len(lines) and not lines[j].is_context:
                    j += 1
                block = lines[i:j]
                added = {"".join(x.value.split()) for x in block if x.is_added}
                changed = [x.source_line_no for x in block if x.is_removed and x.source_line_no in code
                           and "".join(x.value.split()) not in added]
                inserted = [x for x in block if x.is_added and x.value.strip()]
                if changed:
                    truth.update((path, n) for n in changed)
                elif inserted and not any(x.is_removed and x.source_line_no in code for x in block):
                    before = max((n for n in code if n < _anchor(lines, i)), default=None)
                    after = min((n for n in code if n >= _anchor(lines, i)), default=None)
                    truth.update((path, n) for n in (before, after) if n is not None)
                i = j
    return truth


def _anchor(lines: list[Any], i: int) -> int:
    """The buggy line number the change block at `i` comes before."""
    for line in lines[i:]:
        if line.source_line_no is not None and not line.is_added:
            return int(line.source_line_no)
    previous = [x.source_line_no for x in lines[:i] if x.source_line_no is not None]
    return int(previous[-1]) + 1 if previous else 1


def defects4j_lines(bug: Bug) -> set[tuple[str, int]]:
    """Defects4J: the lines the developer's patch touches, read from the framework's patch file."""
    from repair.datasets.defects4j import human_fix

    found = human_fix(str(bug.meta["project"]), int(bug.meta["bug_number"]))
    return {(loc.file, loc.line) for loc in found[1]} if found else set()


def cpu_seconds() -> float:
    """CPU seconds used so far by this process, its finished children and (with psutil) its live ones (the
    warm JVM or pytest worker): on a loaded machine, a fairer estimate of an idle machine's wall time."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    total = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    try:
        import psutil
    except ImportError:
        return total
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()  # its own time and that of the children it reaped (pytest's forks)
            total += times.user + times.system + times.children_user + times.children_system
        except psutil.Error:
            continue
    return total


# -- one bug -------------------------------------------------------------------------------------------
def measure(bug_id: str, options: DatasetOptions, out: Path, overhead: bool = False) -> dict[str, Any]:
    checked = check_out(bug_id, options, discover_failing=False)
    try:
        bug, workspace = checked.bug, checked.workspace
        plain = None
        if overhead:  # a plain test run (build + tests, as `repair test` does), to compare coverage with
            start = time.monotonic()
            checked.runner.run()
            plain = time.monotonic() - start
        truth = defects4j_lines(bug) if bug.dataset == "defects4j" else fix_lines(bug, workspace.read_file)
        localizer = FaultLocalizer(mutants=TemplateMutants())
        start, cpu = time.monotonic(), cpu_seconds()
        localizer.localize(bug, workspace, checked.runner)
        total, cpu = time.monotonic() - start, cpu_seconds() - cpu
        evidence = localizer.evidence
        row: dict[str, Any] = {"bug": bug.id, "truth": sorted(f"{f}:{n}" for f, n in truth), "total_s": round(total, 2),
                               "cpu_s": round(cpu, 2),
                               "coverage_s": round(evidence.coverage_seconds, 2),
                               "mutation_s": round(evidence.mutation_seconds, 2), "notes": localizer.notes,
                               "ranks": {}, "seconds": {}}
        if plain is not None:
            row["plain_s"] = round(plain, 2)
        row["ranks"] = ranks(evidence, truth)
        for formula in METHODS:
            row["seconds"][formula] = round(evidence.coverage_seconds
                                            + (evidence.mutation_seconds if needs_mutation(formula) else 0.0), 2)
        (out / "evidence").mkdir(parents=True, exist_ok=True)
        with gzip.open(out / "evidence" / f"{bug.id.replace(':', '__')}.json.gz", "wt") as f:
            json.dump({"bug": bug.id, "truth": row["truth"], "evidence": evidence.to_dict()}, f)
        return row
    finally:
        checked.close()


def ranks(evidence: Evidence, truth: set[tuple[str, int]]) -> dict[str, int | None]:
    """Per formula (and the combination): the rank of the first line of the fix, None when it is not ranked."""
    return {formula: next((i for i, (line, _s, _sig) in enumerate(rank(evidence, formula), 1) if line in truth), None)
            for formula in METHODS}


def rerank(row: dict[str, Any], out: Path) -> dict[str, Any]:
    """`row` with its ranks computed again, by the current code, from the evidence its run saved (the
    seconds stay those measured): a change of the ranking is measured without running anything."""
    saved = out / "evidence" / f"{row['bug'].replace(':', '__')}.json.gz"
    if "ranks" not in row or not saved.exists():
        return row
    with gzip.open(saved, "rt") as f:
        data = json.load(f)
    truth = {(file, int(n)) for file, _, n in (t.rpartition(":") for t in data["truth"])}
    return {**row, "ranks": ranks(Evidence.from_dict(data["evidence"]), truth)}


# -- the driver ----------------------------------------------------------------------------------------
def bug_ids(suites: list[str], options: DatasetOptions, selection: str | None) -> list[str]:
    ids: list[str] = []
    for suite in suites:
        if suite == "defects4j":
            if shutil.which("defects4j") is None:
                print("defects4j is not on PATH: its bugs are skipped")
                continue
            from repair.datasets.defects4j import PROJECTS

            # Cli and Codec: the projects the shared benchmark data holds (Cli-6 is deprecated).
            ids += [f"defects4j:{p}-{n}" for p in ("Cli", "Codec") for n in range(1, PROJECTS[p] + 1)
                    if (p, n) != ("Cli", 6)]
        else:
            ids += [b.id for b in open_dataset(suite, options).list_bugs()]
    if selection:
        patterns = [p.strip() for p in selection.split(",") if p.strip()]
        ids = [i for i in ids if any(fnmatch.fnmatch(i.split(":", 1)[1], p) or fnmatch.fnmatch(i, p)
                                     for p in patterns)]
    return ids


def suite_of(bug_id: str) -> str:
    return bug_id.split(":", 1)[0]


def summarise(rows: list[dict[str, Any]]) -> None:
    """Per suite: top-1/3/5 of each formula and of the combination, and the median seconds each costs."""
    for suite in SUITES:
        group = [r for r in rows if suite_of(r["bug"]) == suite and "ranks" in r]
        if not group:
            continue
        n = len(group)
        print(f"\n{suite}: {n} bugs ({sum(1 for r in group if not r['truth'])} without a fix line)")
        print(f"  {'formula':12} {'top-1':>9} {'top-3':>9} {'top-5':>9} {'median s':>9}")
        for formula in METHODS:
            ranks = [r["ranks"].get(formula) for r in group]
            tops = [sum(1 for k in ranks if k is not None and k <= c) for c in CUTOFFS]
            median = statistics.median(r["seconds"][formula] for r in group)
            print(f"  {formula:12} " + " ".join(f"{t:>3} {100 * t / n:3.0f}%".rjust(9) for t in tops)
                  + f" {median:9.1f}")
        totals = [r["total_s"] for r in group]
        print(f"  localization wall time per bug: median {statistics.median(totals):.1f}s, "
              f"max {max(totals):.1f}s (coverage median {statistics.median(r['coverage_s'] for r in group):.1f}s, "
              f"mutation median {statistics.median(r['mutation_s'] for r in group):.1f}s)")
        ratios = [r["coverage_s"] / r["plain_s"] for r in group if r.get("plain_s")]
        if ratios:
            print(f"  coverage overhead (coverage run / plain test run): median {statistics.median(ratios):.2f}x, "
                  f"max {max(ratios):.2f}x")
        cpu = [r["cpu_s"] for r in group if "cpu_s" in r]
        if cpu:
            print(f"  CPU seconds per bug (this process and its children): median {statistics.median(cpu):.1f}s")
    errors = [r for r in rows if "error" in r]
    if errors:
        print(f"\n{len(errors)} bugs failed: " + ", ".join(f"{r['bug']} ({r['error'][:80]})" for r in errors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="/tmp/fl-accuracy")
    parser.add_argument("--suites", default=",".join(SUITES))
    parser.add_argument("--quixbugs",
                        default=os.environ.get("REPAIR_QUIXBUGS_ROOT", str(BENCHMARKS_DIR / "quixbugs.tar.gz")))
    parser.add_argument("--bugs", help="comma-separated names or globs (GCD, Cli-*, quixbugs-python:*)")
    parser.add_argument("--resume", action="store_true", help="keep OUT/rows.jsonl and skip the bugs in it")
    parser.add_argument("--summary", action="store_true", help="only print the summary of OUT/rows.jsonl")
    parser.add_argument("--rerank", action="store_true",
                        help="rank OUT's saved evidence again with the current code (rows rewritten, seconds kept), "
                             "then print the summary")
    parser.add_argument("--overhead", action="store_true",
                        help="also time a plain test run per bug and print the coverage run's overhead")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows_file = out / "rows.jsonl"
    if args.summary or args.rerank:
        rows = [json.loads(line) for line in rows_file.read_text().splitlines() if line.strip()]
        if args.rerank:
            rows = [rerank(row, out) for row in rows]
            rows_file.write_text("".join(json.dumps(row) + "\n" for row in rows))
        summarise(rows)
        return
    if not args.resume:
        rows_file.unlink(missing_ok=True)
    done = {json.loads(line)["bug"]: json.loads(line) for line in rows_file.read_text().splitlines()
            if line.strip()} if rows_file.exists() else {}
    options = DatasetOptions(quixbugs_root=args.quixbugs)
    ids = bug_ids([s.strip() for s in args.suites.split(",") if s.strip()], options, args.bugs)
    print(f"{'bug':40} " + " ".join(f"{m[:8]:>8}" for m in METHODS)
          + f" {'cover s':>8} {'mutate s':>8} {'total s':>8} {'cpu s':>6}")
    rows = [done[i] for i in ids if i in done]
    for bug_id in ids:
        if bug_id in done:
            continue
        try:
            row = measure(bug_id, options, out, args.overhead)
        except RepairError as exc:
            row = {"bug": bug_id, "error": str(exc)}
        rows.append(row)
        with rows_file.open("a") as f:
            f.write(json.dumps(row) + "\n")
        if "error" in row:
            print(f"{bug_id:40} error: {row['error'][:200]}", flush=True)
            continue
        print(f"{bug_id:40} " + " ".join(f"{row['ranks'][m] or '-':>8}" for m in METHODS)
              + f" {row['coverage_s']:8.1f} {row['mutation_s']:8.1f} {row['total_s']:8.1f} {row['cpu_s']:6.1f}",
              flush=True)
    summarise(rows)
    print(f"\nload average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
