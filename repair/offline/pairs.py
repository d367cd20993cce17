"""Two-edit candidates: pairs of partial candidates, for bugs that no single edit fixes.

A partial candidate compiles, makes at least one failing test pass, and broke no passing test that ran
(the validator runs the failing tests first and stops at the first that still fails, so `fixed` holds the
failing tests that passed before it). Two partial candidates that change different parts of one file are
combined into one: the pairs of the `MAX_PARTIALS` best partials (most tests fixed, then the higher
prior), the pairs that fix the most tests together first. This is the "multi-location" search of
Hercules (Saha et al., ICSE 2019) and of ARJA's (Yuan and Banzhaf, TSE 2020) partial-fitness
recombination, cut down to pairs: a bug that needs two edits usually shows its halves as candidates that
each fix part of what fails.

A combined candidate is checked like a single one before it costs a test run: it must parse, type-check
(Java) and pass the reviewer (`templates.drop_reason`).
"""

from __future__ import annotations

from itertools import combinations

from repair.offline.context import Candidate, apply_edits
from repair.offline.templates import drop_reason
from repair.offline.type_check import JavaTypeChecker
from repair.syntax import language_of, parse
from repair.validation import ValidationResult

MAX_PARTIALS = 8  # the best partial candidates that are paired (28 pairs at most)


def is_partial(result: ValidationResult) -> bool:
    """A candidate that makes some failing test pass without breaking one that passed."""
    return result.status == "not-plausible" and bool(result.fixed) and not result.regressions


def pair_candidates(partials: list[tuple[Candidate, ValidationResult, float]],
                    checker: JavaTypeChecker | None = None) -> tuple[list[Candidate], list[tuple[Candidate, str]]]:
    """The pairs of the best `partials` ((candidate, result, priority)) that combine into one well-formed
    candidate, best first, and those that do not (with why)."""
    ranked = sorted(partials, key=lambda p: (-len(p[1].fixed), -p[2]))[:MAX_PARTIALS]
    scored: list[tuple[int, float, Candidate]] = []
    dropped: list[tuple[Candidate, str]] = []
    for (a, ra, pa), (b, rb, pb) in combinations(ranked, 2):
        combined = combine(a, b)
        if combined is None:
            continue
        language = language_of(combined.file)
        reason = drop_reason(language, combined, parse(language, a.old_text), checker) if language else "syntax"
        if reason is not None:
            dropped.append((combined, reason))
            continue
        scored.append((len(set(ra.fixed) | set(rb.fixed)), pa * pb, combined))
    scored.sort(key=lambda s: (-s[0], -s[1]))
    return [c for _, _, c in scored], dropped


def combine(a: Candidate, b: Candidate) -> Candidate | None:
    """One candidate making both edits, or None (different files, unknown or overlapping edits, no change)."""
    if a.file != b.file or a.old_text != b.old_text or not a.edits or not b.edits:
        return None
    new = apply_edits(a.old_text.encode("utf-8"), a.edits + b.edits)
    if new is None:
        return None
    text = new.decode("utf-8", "replace")
    if text in (a.old_text, a.new_text, b.new_text):
        return None
    first, second = sorted((a, b), key=lambda c: c.line)
    return Candidate(a.file, first.line, f"{first.template}+{second.template}",
                     f"{first.description}; and {second.description}" + (
                         f" (line {second.line})" if second.line != first.line else ""),
                     a.old_text, text, a.edit_size + b.edit_size, a.edits + b.edits)
