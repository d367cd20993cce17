"""Fault localization: spectrum-based (Ochiai, DStar, Tarantula, Op2) over per-test coverage (coverage.py
contexts for Python, JaCoCo for Java), mutation-based (Metallaxis, MUSE), stack traces and statement kinds,
combined into one ranking by default; line level and method level; perfect FL from ground truth."""

from repair.errors import FaultLocalizationError
from repair.fault_localization.combined import COMBINED, METHODS, MUTATION_FORMULAS
from repair.fault_localization.formulas import FORMULAS, Spectrum, dstar, ochiai, op2, tarantula
from repair.fault_localization.localizer import FaultLocalizer, Suspicious
from repair.fault_localization.matrix import CoverageMatrix, TestCoverage
from repair.fault_localization.methods import SuspiciousMethod, rank_methods
from repair.fault_localization.mutation import Mutant, MutantExecutor, MutantSource, MutationBudget
from repair.fault_localization.stack_trace import parse_frames, stack_scores

__all__ = [
    "COMBINED", "FORMULAS", "METHODS", "MUTATION_FORMULAS", "CoverageMatrix", "FaultLocalizationError",
    "FaultLocalizer", "Mutant", "MutantExecutor", "MutantSource", "MutationBudget", "Spectrum", "Suspicious",
    "SuspiciousMethod", "TestCoverage", "dstar", "ochiai", "op2", "parse_frames", "rank_methods", "stack_scores",
    "tarantula",
]
