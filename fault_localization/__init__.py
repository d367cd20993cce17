"""Fault localization: spectrum-based (Ochiai, DStar, Tarantula, Op2) over per-test coverage
(coverage.py contexts for Python, JaCoCo for Java), stack-trace FL, and perfect FL from ground truth."""

from repair.errors import FaultLocalizationError
from repair.fault_localization.formulas import FORMULAS, Spectrum, dstar, ochiai, op2, tarantula
from repair.fault_localization.localizer import FaultLocalizer, Suspicious
from repair.fault_localization.matrix import CoverageMatrix, TestCoverage
from repair.fault_localization.stack_trace import parse_frames, stack_scores

__all__ = [
    "FORMULAS", "CoverageMatrix", "FaultLocalizationError", "FaultLocalizer", "Spectrum", "Suspicious",
    "TestCoverage", "dstar", "ochiai", "op2", "parse_frames", "stack_scores", "tarantula",
]
