"""The combined ranking's rule (combined.py): which mutation evidence counts, and how far each signal may
move a line from where the spectrum puts it. Scores are checked on hand-made evidence."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

from repair.fault_localization import Spectrum
from repair.fault_localization.combined import METHODS, combined_score, rank
from repair.fault_localization.evidence import Evidence
from repair.fault_localization.mutation import Mutant, MutantOutcome, MutationReport

F = "Prog.java"


def outcome(line: int, killed_failing: int = 0, killed_passing: int = 0, fixed_failing: int = 0) -> MutantOutcome:
    return MutantOutcome(Mutant(F, line, "operator", f"operator at {line}", ""), killed_failing=killed_failing,
                         killed_passing=killed_passing, fixed_failing=fixed_failing)


def order(evidence: Evidence) -> list[int]:
    return [line for (_file, line), _score, _signals in rank(evidence)]


def test_a_mutant_no_test_tells_apart_is_no_evidence() -> None:
    report = MutationReport(outcomes=[outcome(3), outcome(5, killed_failing=2)], failing=2, passing=5)
    assert [o.mutant.line for o in report.informative] == [5]
    assert report.metallaxis(killed_only=True) == {(F, 5): 1.0}
    assert set(report.metallaxis()) == {(F, 3), (F, 5)}  # Metallaxis alone still scores the live one 0
    assert "(0 did not compile, 1 no test told apart)" in report.summary()
    # Line 3's only mutant lived: it keeps its spectrum rank, as line 4 (never mutated) does, above a line
    # the spectrum puts lower.
    evidence = Evidence(spectra={(F, 3): Spectrum(2, 1, 0, 4), (F, 4): Spectrum(2, 1, 0, 4),
                                 (F, 5): Spectrum(2, 2, 0, 3), (F, 6): Spectrum(2, 3, 0, 2)},
                        kinds={(F, n): "assignment" for n in (3, 4, 5, 6)}, mutation=report)
    ranked = rank(evidence)
    assert "metallaxis" not in ranked[[line for (_f, line), _s, _sig in ranked].index(3)][2]
    assert order(evidence).index(3) < order(evidence).index(6)


def test_weak_mutants_do_not_push_a_line_below_the_spectrum_order() -> None:
    # Line 3 is the spectrum's first; its mutant changes one of the two failing tests (Metallaxis .71),
    # line 8's changes both (1.0), so line 3 is below the mean (.85) of the mutated lines. Line 4, as
    # suspicious to the spectrum, was not mutated; line 6 is less suspicious and not mutated either.
    report = MutationReport(outcomes=[outcome(3, killed_failing=1), outcome(8, killed_failing=2)],
                            failing=2, passing=4)
    evidence = Evidence(spectra={(F, 3): Spectrum(2, 0, 0, 4), (F, 4): Spectrum(2, 0, 0, 4),
                                 (F, 6): Spectrum(2, 1, 0, 3), (F, 8): Spectrum(2, 2, 0, 2)},
                        kinds={(F, n): "assignment" for n in (3, 4, 6, 8)}, mutation=report)
    ranked = order(evidence)
    assert ranked.index(3) < ranked.index(6)  # not demoted below a line the spectrum ranks lower
    assert ranked.index(4) < ranked.index(3)  # ties with line 4; the line with more evidence against it yields
    assert ranked.index(8) < ranked.index(6)  # a strong mutant raises its line: Ochiai .71 + .15 over .82


def test_a_mutant_that_fixes_failing_tests_outweighs_the_spectrum() -> None:
    report = MutationReport(outcomes=[outcome(9, killed_failing=2, fixed_failing=2), outcome(3, killed_failing=2)],
                            failing=2, passing=4)
    evidence = Evidence(spectra={(F, 3): Spectrum(2, 0, 0, 4), (F, 9): Spectrum(2, 3, 0, 1)},
                        kinds={(F, 3): "condition", (F, 9): "call"}, mutation=report)
    assert order(evidence)[0] == 9


def test_the_kind_prior_orders_near_ties_but_not_a_spectrum_that_tells_lines_apart() -> None:
    evidence = Evidence(spectra={(F, 2): Spectrum(2, 2, 0, 2), (F, 5): Spectrum(2, 1, 0, 3)},
                        kinds={(F, 2): "condition", (F, 5): "other"})
    assert order(evidence) == [5, 2]  # Ochiai .82 over .71: the condition's prior does not close that gap
    evidence.spectra[(F, 5)] = Spectrum(2, 2, 0, 2)
    assert order(evidence) == [2, 5]  # equal spectra: the condition first
    assert combined_score({"ochiai": 0.5, "kind": 1.0}) - combined_score({"ochiai": 0.5, "kind": 0.0}) <= 0.1


def test_a_tie_goes_to_the_line_whose_mutants_the_tests_tell_apart_more_often() -> None:
    # Lines 4 and 9: the same spectrum, kind and best mutant; half of line 4's mutants lived.
    report = MutationReport(outcomes=[outcome(4, killed_failing=2), outcome(4), outcome(9, killed_failing=2),
                                      outcome(9, killed_failing=1)], failing=2, passing=3)
    assert report.told_apart() == {(F, 4): 0.5, (F, 9): 1.0}
    evidence = Evidence(spectra={(F, 4): Spectrum(2, 1, 0, 2), (F, 9): Spectrum(2, 1, 0, 2)},
                        kinds={(F, 4): "assignment", (F, 9): "assignment"}, mutation=report)
    ranked = rank(evidence)
    assert [line for (_f, line), _s, _sig in ranked] == [9, 4] and ranked[0][1] == ranked[1][1]


def test_the_benchmark_ranks_saved_evidence_again_with_the_current_rule(tmp_path: Path) -> None:
    # A row as benchmarks/fl_accuracy.py wrote it, with ranks from some older rule, and the evidence it saved.
    evidence = Evidence(spectra={(F, 4): Spectrum(2, 1, 0, 2), (F, 9): Spectrum(2, 1, 0, 2)},
                        kinds={(F, 4): "assignment", (F, 9): "condition"})
    row = {"bug": "local:prog", "truth": [f"{F}:4"], "total_s": 3.0, "cpu_s": 2.0, "coverage_s": 1.0,
           "mutation_s": 2.0, "notes": [], "ranks": dict.fromkeys(METHODS, 1),
           "seconds": dict.fromkeys(METHODS, 1.0)}
    (tmp_path / "rows.jsonl").write_text(json.dumps(row) + "\n")
    (tmp_path / "evidence").mkdir()
    with gzip.open(tmp_path / "evidence" / "local__prog.json.gz", "wt") as f:
        json.dump({"bug": row["bug"], "truth": row["truth"], "evidence": evidence.to_dict()}, f)
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "fl_accuracy.py"
    done = subprocess.run([sys.executable, str(script), "--out", str(tmp_path), "--rerank"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    again = json.loads((tmp_path / "rows.jsonl").read_text())
    assert again["ranks"]["combined"] == 2 and again["ranks"]["ochiai"] == 1  # the condition's prior; line order
    assert again["total_s"] == 3.0  # what was measured stays
