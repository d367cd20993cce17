"""Spectrum-based suspiciousness formulas over (ef, ep, nf, np).

ef/ep: failing/passing tests that execute the line; nf/np: failing/passing tests that do not.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Spectrum:
    """How often one line is executed by failing (ef) and passing (ep) tests, and not (nf, np)."""

    ef: int
    ep: int
    nf: int
    np: int


def ochiai(s: Spectrum) -> float:
    """ef / sqrt((ef + nf) * (ef + ep)); 0 when either factor is 0."""
    denominator = math.sqrt((s.ef + s.nf) * (s.ef + s.ep))
    return s.ef / denominator if denominator else 0.0


def dstar(s: Spectrum, star: int = 2) -> float:
    """ef^* / (ep + nf). A zero denominator is read as 0.5, so such a line (executed by every failing
    test and by no passing one) outranks every line with the same ef while the score stays finite (JSON)."""
    denominator = s.ep + s.nf
    return s.ef**star / (denominator if denominator else 0.5)


def tarantula(s: Spectrum) -> float:
    """(ef/F) / (ef/F + ep/P), with a ratio over an empty set of tests read as 0."""
    failed, passed = s.ef + s.nf, s.ep + s.np
    fail_ratio = s.ef / failed if failed else 0.0
    pass_ratio = s.ep / passed if passed else 0.0
    total = fail_ratio + pass_ratio
    return fail_ratio / total if total else 0.0


def op2(s: Spectrum) -> float:
    """ef - ep / (P + 1)."""
    return s.ef - s.ep / (s.ep + s.np + 1)


FORMULAS: dict[str, Callable[[Spectrum], float]] = {
    "ochiai": ochiai,
    "dstar": dstar,
    "tarantula": tarantula,
    "op2": op2,
}
