"""Validation speed: the same 50 candidates through `PatchValidator` (naive) and `FastPatchValidator`.

One Java demo bug and one Python demo bug, both paths in the same run, same candidates (template
candidates of the buggy line, padded with candidates of the neighbouring lines). Prints the ratio.

    python benchmarks/validation_speed.py [--candidates 50] [--java demo:BINARY_SEARCH] [--python demo:is_sorted]
"""

from __future__ import annotations

import argparse
import time

from repair.checkout import check_out
from repair.fast_validation import FastPatchValidator
from repair.offline.search import candidates_at
from repair.offline.templates import Candidate
from repair.validation import PatchValidator


def candidates_for(checked, count: int) -> list[Candidate]:  # type: ignore[no-untyped-def]
    loc = checked.bug.buggy_locations[0]
    lines = len(checked.workspace.read_file(loc.file).splitlines())
    order = [loc.line] + [n for d in range(1, lines) for n in (loc.line - d, loc.line + d) if 1 <= n <= lines]
    found: list[Candidate] = []
    for line in order:
        found.extend(candidates_at(checked.workspace, type(loc)(loc.file, line)))
        if len(found) >= count:
            break
    return found[:count]


def measure(bug_id: str, count: int) -> tuple[float, float, int, int]:
    """(naive seconds, fast seconds, verdicts that agree, candidates) for up to `count` candidates."""
    checked = check_out(bug_id)
    try:
        cands = candidates_for(checked, count)
        naive = PatchValidator(checked.workspace, checked.bug, checked.runner)
        baseline = naive.baseline()
        fast = FastPatchValidator(checked.workspace, checked.bug, baseline=baseline)
        # Dedup is one of the speed-ups, but here every candidate is distinct, so the ratio is the workers'.
        start = time.monotonic()
        fast_verdicts = [fast.validate(c.diff()).status for c in cands]
        fast_s = time.monotonic() - start
        start = time.monotonic()
        naive_verdicts = [naive.validate(c.diff()).status for c in cands]
        naive_s = time.monotonic() - start
        fast.close()
        agree = sum(a == b for a, b in zip(fast_verdicts, naive_verdicts, strict=True))
        for cand, a, b in zip(cands, fast_verdicts, naive_verdicts, strict=True):
            if a != b:
                print(f"  verdicts differ at {cand.file}:{cand.line} ({cand.description}): fast {a}, naive {b}")
        if fast.fallbacks:
            print(f"  note: {len(fast.fallbacks)} runs fell back to the plain path: {fast.fallbacks[0]}")
        return naive_s, fast_s, agree, len(cands)
    finally:
        checked.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=50)
    parser.add_argument("--java", default="demo:BINARY_SEARCH")
    parser.add_argument("--python", default="demo:is_sorted")
    args = parser.parse_args()
    for bug_id in (args.java, args.python):
        naive_s, fast_s, agree, n = measure(bug_id, args.candidates)
        print(f"{bug_id}: {n} candidates  naive {naive_s:.2f}s  fast {fast_s:.2f}s  "
              f"ratio {naive_s / max(fast_s, 1e-9):.1f}x  verdicts agree {agree}/{n}")


if __name__ == "__main__":
    main()
