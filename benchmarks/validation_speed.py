"""Validation speed: the same candidates of a real QuixBugs bug through the naive loop and the warm worker.

For one Java and one Python bug of QuixBugs (`REPAIR_QUIXBUGS_ROOT`, or --quixbugs: a checkout or the
benchmark's quixbugs.tar.gz), side by side in one run, on the same checkout and candidates (the fix
templates' candidates of the buggy line, padded with those of the lines around it):
- naive: per candidate, write its file, then javac + a fresh JVM + the whole test class (Java) or a fresh
  `python -m pytest` of the test file (Python), then write the file back;
- fast: `FastPatchValidator` on the run's warm worker (its start and first compilation timed too):
  candidates as texts, only the changed file compiled (a line's candidates in one javac task),
  a fresh class loader or a fork of the warm pytest session per candidate, failing tests first, stop at
  the first failure; two candidates at once where a second worker pays (Python's), as a long search does
  (--one-worker: never).
The two alternate candidate by candidate (pair by pair). Prints the seconds, the ratio, how many verdicts (plausible or
not) agree, and the load average.

    python benchmarks/validation_speed.py [--candidates 50] [--java quixbugs-java:BUCKETSORT]
        [--python quixbugs-python:bucketsort] [--quixbugs PATH]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence

from repair.checkout import CheckedOutBug, check_out
from repair.datasets.registry import DatasetOptions
from repair.fast_validation import FastPatchValidator, warm_runner
from repair.offline.search import candidates_at
from repair.offline.templates import Candidate
from repair.runners import TestReport, TestRunner, make_test_runner
from repair.runners.worker_process import written


def candidates_for(checked: CheckedOutBug, count: int) -> list[Candidate]:
    loc = checked.bug.buggy_locations[0]
    lines = len(checked.workspace.read_file(loc.file).splitlines())
    order = [loc.line] + [n for d in range(1, lines) for n in (loc.line - d, loc.line + d) if 1 <= n <= lines]
    found: list[Candidate] = []
    for line in order:
        found.extend(candidates_at(checked.workspace, type(loc)(loc.file, line)))
        if len(found) >= count:
            break
    return found[:count]


def naive_verdict(runner: TestRunner, checked: CheckedOutBug, candidate: Candidate, baseline: TestReport) -> bool:
    """Plausible by the naive loop: the candidate written, every test run in a fresh process, written back."""
    with written(checked.workspace, {candidate.file: candidate.new_text}):
        report = runner.run()
    if not report.build_ok:
        return False
    failing = set(checked.bug.failing_tests)
    return all(t in report.results and not report.results[t].status.failed
               for t in [*failing, *baseline.passing])


def measure(bug_id: str, count: int, options: DatasetOptions, pairs: bool) -> tuple[float, float, int, int, str]:
    """(naive seconds, fast seconds, verdicts that agree, candidates, notes) for up to `count` candidates."""
    checked = check_out(bug_id, options)
    try:
        cands = candidates_for(checked, count)
        plain = make_test_runner(checked.workspace, checked.bug.test_setup)
        baseline = checked.baseline or plain.run()
        # The two alternate candidate by candidate, so that the machine's load swings hit both alike; the
        # fast side's one-time costs (the worker's start and first compilation) count in its time.
        start = time.monotonic()
        runner = warm_runner(checked.workspace, checked.bug)
        fast = FastPatchValidator(checked.workspace, checked.bug, runner=runner, baseline=baseline)
        fast.precompile([{c.file: c.new_text} for c in cands])
        fast.parallel = pairs
        fast_s, naive_s = time.monotonic() - start, 0.0
        fast_verdicts: list[bool] = []
        naive_verdicts: list[bool] = []
        step = 2 if pairs else 1  # the search validates two at once where a second worker pays (Python)
        for at in range(0, len(cands), step):
            chunk = cands[at:at + step]
            start = time.monotonic()
            fast_verdicts.extend(r.plausible for r in fast.validate_many([c.diff() for c in chunk]))
            middle = time.monotonic()
            naive_verdicts.extend(naive_verdict(plain, checked, c, baseline) for c in chunk)
            fast_s, naive_s = fast_s + middle - start, naive_s + time.monotonic() - middle
        fallbacks = list(fast.fallbacks)
        if runner is not None:
            runner.close()
        agree = sum(a == b for a, b in zip(fast_verdicts, naive_verdicts, strict=True))
        for cand, a, b in zip(cands, fast_verdicts, naive_verdicts, strict=True):
            if a != b:
                print(f"  verdicts differ at {cand.file}:{cand.line} ({cand.description}): fast {a}, naive {b}")
        notes = f"{sum(naive_verdicts)} plausible; {'two workers' if fast._twin is not None else 'one worker'}"
        if fallbacks:
            notes += f"; {len(fallbacks)} runs fell back to the plain path: {fallbacks[0][:160]}"
        return naive_s, fast_s, agree, len(cands), notes
    finally:
        checked.close()


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=50)
    parser.add_argument("--java", default="quixbugs-java:BUCKETSORT")
    parser.add_argument("--python", default="quixbugs-python:bucketsort")
    parser.add_argument("--one-worker", action="store_true", help="never a second worker (two at once)")
    parser.add_argument("--quixbugs", default=None, help="a QuixBugs checkout or tarball (else REPAIR_QUIXBUGS_ROOT)")
    args = parser.parse_args(argv)
    options = DatasetOptions(args.quixbugs)
    print(f"load average before: {load_average()} ({os.cpu_count()} CPUs)")
    for bug_id in (args.java, args.python):
        naive_s, fast_s, agree, n, notes = measure(bug_id, args.candidates, options, not args.one_worker)
        print(f"{bug_id}: {n} candidates  naive {naive_s:.2f}s ({naive_s / max(n, 1):.3f}s each)  "
              f"fast {fast_s:.2f}s ({fast_s / max(n, 1):.3f}s each)  ratio {naive_s / max(fast_s, 1e-9):.1f}x  "
              f"verdicts agree {agree}/{n}  ({notes})", flush=True)
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
