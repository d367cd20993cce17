"""Rankings from a bug's `Evidence`: one formula alone, or the combination of every signal (the default).

The combination (`combined_score`) is a weighted sum of evidence that each has a plain meaning:

    score = ochiai                          how strongly the failing tests, and only they, execute the line
          + 0.5  * stack                    the line is a frame of a failing test's trace (1 innermost, 1/(1+d) deeper)
          + 1.0  * fixes                    share of the failing tests that some mutant of the line makes pass
          + 1.0  * max(0, metallaxis - mean)  mutating the line changes the failing tests' outcomes (and spares
                                            the passing ones) more than mutating the typical mutated line does
          + 0.1  * kind prior               how often this kind of statement is what a fix changes

- The spectrum and the stack traces are what the localizer always had (Ochiai over per-test coverage;
  the trace weight as before). In small programs every failing test runs most lines, so Ochiai ties them.
- A mutant that makes failing tests pass is the strongest evidence (MUSE's f2p: the mutant is a partial
  or whole fix at that line), so it weighs as much as the spectrum.
- Metallaxis counts it against the mutants of every other line: when every test fails, mutating any
  executed line changes some failure, so its absolute value says little; what says something is a line
  whose mutants change the failures more (or break passing tests less) than the others'.
- Mutation evidence only ever raises a line above where the spectrum puts it. Only informative mutants
  count: a mutant no test tells apart from the program (an equivalent mutant, or an effect no test
  observes) says nothing about its line, so a line whose mutants all lived has no mutation evidence, as
  a line beyond the budget has none. And a line whose mutants change the failures less than the typical
  one is not pushed below the spectrum's order: a few template mutants per line often miss what a
  fault's line does (a weak mutant is not a correct line), and a penalty would rank a mutated line below
  the lines never mutated, of the same spectrum, only because it was mutated. (On Defects4J, where the
  spectrum tells lines apart, penalties and live mutants put faults the spectrum ranked 5th to 14th in
  the 20s to 40s.)
- The statement kind (statement_kind.py) is a prior from studies of real fixes (conditions and returns
  over declarations and braces); at a tenth of the weight (at most 0.1 between two kinds) it orders lines
  the dynamic evidence ties or nearly ties, and does not overrule a spectrum that tells lines apart.

Ties are broken by evidence, in order: fixes, Metallaxis, the share of the line's mutants some test tells
apart (a line whose mutants mostly live is one whose effect the tests barely observe, while a fault's
effect reaches a failing assertion), Ochiai, the stack weight, the kind prior, fewer passing tests
executing the line; only lines with identical evidence fall back on file and line, so that the ranking is
the same on every run. The weights are round numbers chosen with the meaning above; they were checked, not
fitted, on QuixBugs and Defects4J (docs/fault_localization.md has the figures).
"""

from __future__ import annotations

from collections.abc import Mapping

from repair.fault_localization.evidence import Evidence
from repair.fault_localization.formulas import FORMULAS, ochiai
from repair.fault_localization.matrix import Line
from repair.fault_localization.ranking import combine
from repair.fault_localization.statement_kind import KIND_PRIORS

COMBINED = "combined"
MUTATION_FORMULAS = ("metallaxis", "muse")
METHODS = (COMBINED, *FORMULAS, *MUTATION_FORMULAS)
STACK_WEIGHT = 0.5
FIXES_WEIGHT = 1.0
METALLAXIS_WEIGHT = 1.0
KIND_WEIGHT = 0.1

Ranked = list[tuple[Line, float, dict[str, float]]]


def needs_mutation(formula: str) -> bool:
    """Whether `formula` ranks with mutation outcomes."""
    return formula == COMBINED or formula in MUTATION_FORMULAS


def rank(evidence: Evidence, formula: str = COMBINED, weights: Mapping[str, float] | None = None) -> Ranked:
    """Lines most suspicious first, each with its score and the signals behind it."""
    if formula in FORMULAS:
        return _spectrum_only(evidence, formula, weights or {})
    if formula in MUTATION_FORMULAS:
        return _mutation_only(evidence, formula)
    return _combined(evidence)


def _spectrum_only(evidence: Evidence, formula: str, weights: Mapping[str, float]) -> Ranked:
    """A spectrum formula plus the stack-trace signal at half weight, as the localizer always ranked."""
    signals = {formula: evidence.spectrum_scores(formula), "stack": evidence.stack}
    merged = {formula: 1.0, "stack": STACK_WEIGHT, **weights}
    return [(line, score, {name: values[line] for name, values in signals.items() if line in values})
            for line, score in combine(signals, merged)]


def _mutation_only(evidence: Evidence, formula: str) -> Ranked:
    """Metallaxis or MUSE alone: the mutated lines by their score; the other lines after them, by the
    stack traces and Ochiai (the order they were chosen for mutation in)."""
    report = evidence.mutation
    scores = (report.metallaxis() if formula == "metallaxis" else report.muse()) if report is not None else {}
    spectrum = evidence.spectrum_scores("ochiai")

    def key(line: Line) -> tuple[object, ...]:
        return (line not in scores, -scores.get(line, 0.0), -evidence.stack.get(line, 0.0),
                -spectrum.get(line, 0.0), line[0], line[1])

    ranked: Ranked = []
    for line in sorted(evidence.lines, key=key):
        signals = {name: values[line] for name, values in
                   ((formula, scores), ("ochiai", spectrum), ("stack", evidence.stack)) if line in values}
        ranked.append((line, scores.get(line, 0.0), signals))
    return ranked


def _combined(evidence: Evidence) -> Ranked:
    report = evidence.mutation
    metallaxis = report.metallaxis(killed_only=True) if report is not None else {}
    fixes = report.fixes(killed_only=True) if report is not None else {}
    muse = report.muse() if report is not None else {}
    told_apart = report.told_apart() if report is not None else {}
    mean = sum(metallaxis.values()) / len(metallaxis) if metallaxis else 0.0
    rows: Ranked = []
    for line in evidence.lines:
        signals: dict[str, float] = {"kind": KIND_PRIORS[evidence.kinds.get(line, "other")]}
        if line in evidence.spectra:
            signals["ochiai"] = ochiai(evidence.spectra[line])
        if line in evidence.stack:
            signals["stack"] = evidence.stack[line]
        if line in metallaxis:
            signals.update(metallaxis=metallaxis[line], metallaxis_vs_mean=metallaxis[line] - mean,
                           muse=muse[line], fixes=fixes[line], told_apart=told_apart[line])
        rows.append((line, combined_score(signals), signals))

    def key(row: tuple[Line, float, dict[str, float]]) -> tuple[object, ...]:
        line, score, signals = row
        spectrum = evidence.spectra.get(line)
        return (-round(score, 9), -signals.get("fixes", 0.0), -signals.get("metallaxis_vs_mean", 0.0),
                -signals.get("told_apart", 0.0), -signals.get("ochiai", 0.0), -signals.get("stack", 0.0),
                -signals["kind"], spectrum.ep if spectrum is not None else 0, line[0], line[1])

    return sorted(rows, key=key)


def combined_score(signals: Mapping[str, float]) -> float:
    """The combination's rule (the module's docstring explains each term)."""
    return (signals.get("ochiai", 0.0) + STACK_WEIGHT * signals.get("stack", 0.0)
            + FIXES_WEIGHT * signals.get("fixes", 0.0)
            + METALLAXIS_WEIGHT * max(0.0, signals.get("metallaxis_vs_mean", 0.0))
            + KIND_WEIGHT * signals.get("kind", 0.0))
