"""Per-candidate validation on real Defects4J bugs: the build tool per candidate against the warm JVM.

For each bug, the same candidates (the human fix plus template candidates at the first line the
human fix changes) go through
- `PatchValidator` with Defects4J's runner: `defects4j compile`, `defects4j test -t` per failing
  test, then `defects4j test -r` for a candidate that fixes them (what validation costs without the
  warm path), and
- `FastPatchValidator` with `ProjectJavaRunner`: javac of the changed file against the compiled
  project, tests in the warm JVM (after one calibration run of the suite in the worker),
side by side in one run, on the same checkout and the same build-tool baseline. Prints seconds per
candidate, the ratio, and whether the verdicts agree.

    export PATH="/opt/d4j/shim:/opt/d4j/framework/bin:$PATH" TZ=America/Los_Angeles
    python benchmarks/java_validation_speed.py [--bugs Cli-1 Codec-1] [--candidates 6]
"""

from __future__ import annotations

import argparse
import time

from defects4j_fixes import human_fix, template_candidates

from repair.checkout import check_out
from repair.fast_validation import FastPatchValidator
from repair.validation import PatchValidator, ValidationResult


def timed(validate, diffs: list[str]) -> tuple[float, list[ValidationResult]]:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    results = [validate(d) for d in diffs]
    return time.monotonic() - start, results


def measure(bug_id: str, count: int) -> tuple[float, float, int]:
    """(naive seconds, fast seconds, candidates) for one bug; prints its line."""
    checked = check_out(f"defects4j:{bug_id}", discover_failing=False)
    try:
        fix = human_fix(checked)
        diffs = [fix, *template_candidates(checked, fix, count - 1)]
        start = time.monotonic()
        baseline = checked.runner.run()
        baseline_s = time.monotonic() - start
        naive = PatchValidator(checked.workspace, checked.bug, checked.runner, baseline=baseline)
        fast = FastPatchValidator(checked.workspace, checked.bug, baseline=baseline)
        try:
            start = time.monotonic()
            fast.baseline()  # the calibration run: once per search, not per candidate
            calibration_s = time.monotonic() - start
            fast_s, fast_results = timed(fast.validate, diffs)
            fallbacks = list(fast.fallbacks)
        finally:
            fast.close()
        naive_s, naive_results = timed(naive.validate, diffs)
        agree = sum(a.status == b.status for a, b in zip(fast_results, naive_results, strict=True))
        statuses = ", ".join(f"{s} {sum(r.status == s for r in naive_results)}"
                             for s in sorted({r.status for r in naive_results}))
        n = len(diffs)
        print(f"{bug_id}: {n} candidates ({statuses}; the human fix: fast {fast_results[0].status}, "
              f"build tool {naive_results[0].status})")
        print(f"  build tool {naive_s / n:.2f}s/candidate   warm JVM {fast_s / n:.3f}s/candidate   "
              f"ratio {naive_s / max(fast_s, 1e-9):.0f}x   verdicts agree {agree}/{n}")
        print(f"  once per bug: build-tool baseline {baseline_s:.1f}s, worker calibration {calibration_s:.1f}s; "
              f"ratio with the calibration counted {naive_s / max(fast_s + calibration_s, 1e-9):.1f}x")
        for diff, a, b in zip(diffs, fast_results, naive_results, strict=True):
            if a.status != b.status:
                print(f"  verdicts differ: fast {a.status}, build tool {b.status}:\n{diff[:600]}")
        if fallbacks:
            print(f"  note: {len(fallbacks)} runs took the build tool: {fallbacks[0][:200]}")
        return naive_s, fast_s, n
    finally:
        checked.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bugs", nargs="+", default=["Cli-1", "Codec-1"])
    parser.add_argument("--candidates", type=int, default=6, help="per bug, the human fix included")
    args = parser.parse_args()
    total_naive = total_fast = 0.0
    total_n = 0
    for bug_id in args.bugs:
        naive_s, fast_s, n = measure(bug_id, args.candidates)
        total_naive, total_fast, total_n = total_naive + naive_s, total_fast + fast_s, total_n + n
    print(f"all: {total_n} candidates  build tool {total_naive / total_n:.2f}s/candidate  "
          f"warm JVM {total_fast / total_n:.3f}s/candidate  ratio {total_naive / max(total_fast, 1e-9):.0f}x")


if __name__ == "__main__":
    main()
