"""Formulas, ranking and stack-trace parsing, checked against hand-computed values."""

from __future__ import annotations

import math

import pytest

from repair.fault_localization import (
    CoverageMatrix,
    FaultLocalizationError,
    FaultLocalizer,
    Spectrum,
    TestCoverage,
    dstar,
    ochiai,
    op2,
    parse_frames,
    stack_scores,
    tarantula,
)
from repair.fault_localization.ranking import combine

F = "prog.py"


def tiny_matrix() -> CoverageMatrix:
    """Three tests over lines 1-4 of prog.py: t1 fails, t2 and t3 pass.

    line 1: t1 t2 t3   line 2: t1 t2   line 3: t1   line 4: t3
    """
    matrix = CoverageMatrix()
    matrix.add(TestCoverage("t1", True, frozenset({(F, 1), (F, 2), (F, 3)})))
    matrix.add(TestCoverage("t2", False, frozenset({(F, 1), (F, 2)})))
    matrix.add(TestCoverage("t3", False, frozenset({(F, 1), (F, 4)})))
    return matrix


def test_spectra_of_the_tiny_matrix() -> None:
    spectra = tiny_matrix().spectra()
    assert spectra[(F, 1)] == Spectrum(ef=1, ep=2, nf=0, np=0)
    assert spectra[(F, 2)] == Spectrum(ef=1, ep=1, nf=0, np=1)
    assert spectra[(F, 3)] == Spectrum(ef=1, ep=0, nf=0, np=2)
    assert spectra[(F, 4)] == Spectrum(ef=0, ep=1, nf=1, np=1)


def test_ochiai_against_hand_computed_values() -> None:
    # ochiai = ef / sqrt((ef+nf) * (ef+ep)); F = 1 failing test.
    spectra = tiny_matrix().spectra()
    assert ochiai(spectra[(F, 1)]) == pytest.approx(1 / math.sqrt(3))  # 0.5774
    assert ochiai(spectra[(F, 2)]) == pytest.approx(1 / math.sqrt(2))  # 0.7071
    assert ochiai(spectra[(F, 3)]) == pytest.approx(1.0)
    assert ochiai(spectra[(F, 4)]) == 0.0


def test_other_formulas() -> None:
    s = Spectrum(ef=2, ep=1, nf=1, np=3)
    assert dstar(s) == pytest.approx(4 / 2)
    assert tarantula(s) == pytest.approx((2 / 3) / (2 / 3 + 1 / 4))
    assert op2(s) == pytest.approx(2 - 1 / 5)
    # DStar's zero denominator stays finite and above every line with the same ef.
    assert dstar(Spectrum(2, 0, 0, 3)) > dstar(Spectrum(2, 1, 0, 2))
    assert tarantula(Spectrum(0, 0, 0, 0)) == 0.0 and ochiai(Spectrum(0, 0, 0, 0)) == 0.0


def test_combined_ranking_is_deterministic_and_weighted() -> None:
    cov = {(F, 1): 0.5, (F, 2): 0.5, (F, 3): 0.9}
    stack = {(F, 2): 1.0}
    ranked = combine({"ochiai": cov, "stack": stack}, {"ochiai": 1.0, "stack": 0.5})
    assert [line for line, _ in ranked] == [(F, 2), (F, 3), (F, 1)]
    assert ranked[0][1] == pytest.approx(1.0)
    # Ties fall back on file then line, whatever order the dict had.
    tied = combine({"ochiai": {(F, 9): 0.5, (F, 3): 0.5, ("a.py", 7): 0.5}}, {"ochiai": 1.0})
    assert [line for line, _ in tied] == [("a.py", 7), (F, 3), (F, 9)]
    # A zero weight switches a signal off.
    assert combine({"ochiai": cov, "stack": stack}, {"ochiai": 0.0, "stack": 1.0}) == [((F, 2), 1.0)]


def test_java_and_python_frames_are_parsed_innermost_first() -> None:
    java = ("java.lang.StackOverflowError\n\tat java_programs.FACTORIAL.factorial(FACTORIAL.java:8)\n"
            "\tat app//java_programs.FACTORIAL.factorial(FACTORIAL.java:8)\n"
            "\tat java_testcases.junit.FACTORIAL_TEST.test1(FACTORIAL_TEST.java:11)\n")
    frames = parse_frames(java)
    assert [(f.path, f.line) for f in frames][0] == ("java_programs/FACTORIAL.java", 8)
    assert frames[-1].path == "java_testcases/junit/FACTORIAL_TEST.java"
    python = ('Traceback (most recent call last):\n  File "/ws/python_testcases/test_d.py", line 4, in test_x\n'
              '    digit_sum(5)\n  File "/ws/python_programs/digit_sum.py", line 8, in digit_sum\n')
    assert [(f.path, f.line) for f in parse_frames(python)] == [
        ("/ws/python_programs/digit_sum.py", 8), ("/ws/python_testcases/test_d.py", 4)]
    pytest_long = "python_testcases/test_d.py:5: in test_x\n    f()\npython_programs/digit_sum.py:8: Failed\n"
    assert parse_frames(pytest_long)[0].path == "python_programs/digit_sum.py"


def test_stack_scores_weight_by_depth_among_project_frames() -> None:
    trace = ("\tat p.A.inner(A.java:3)\n\tat org.junit.X.y(X.java:1)\n\tat p.A.outer(A.java:10)\n"
             "\tat p.A.outer(A.java:10)\n")

    def resolve(path: str) -> str | None:
        return path if path.startswith("p/") else None

    scores = stack_scores([trace, ""], resolve)
    assert scores == {("p/A.java", 3): 1.0, ("p/A.java", 10): 0.5}
    # Averaged over the failing traces that have text.
    assert stack_scores([trace, "\tat p.A.other(A.java:20)\n"], resolve)[("p/A.java", 3)] == 0.5


def test_unknown_formula_is_a_clear_error() -> None:
    with pytest.raises(FaultLocalizationError, match="unknown formula 'nope'"):
        FaultLocalizer(formula="nope")
