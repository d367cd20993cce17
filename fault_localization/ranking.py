"""Combine per-line signals (a formula's score, stack-trace weight, perfect FL) into one ranking."""

from __future__ import annotations

from collections.abc import Mapping

from repair.fault_localization.matrix import Line

# Signals whose scores already lie in [0, 1]; the others (DStar, Op2) are scaled by their maximum.
BOUNDED_SIGNALS = frozenset({"ochiai", "tarantula", "stack", "perfect", "executed"})


def normalise(name: str, scores: Mapping[Line, float]) -> dict[Line, float]:
    """Scores in [0, 1]: bounded signals as they are, unbounded ones divided by their maximum."""
    clipped = {line: max(0.0, value) for line, value in scores.items()}
    if name in BOUNDED_SIGNALS:
        return clipped
    top = max(clipped.values(), default=0.0)
    return {line: value / top for line, value in clipped.items()} if top > 0 else clipped


def combine(signals: Mapping[str, Mapping[Line, float]], weights: Mapping[str, float]) -> list[tuple[Line, float]]:
    """Lines by descending weighted sum of normalised signals; ties broken by each signal in order, then
    by file and line, so the ranking is the same on every run. Lines with a zero total are dropped."""
    normalised = {name: normalise(name, scores) for name, scores in signals.items()}
    lines = sorted({line for scores in signals.values() for line in scores})
    totals = {
        line: sum(weights.get(name, 0.0) * scores.get(line, 0.0) for name, scores in normalised.items())
        for line in lines
    }
    order = list(signals)

    def key(line: Line) -> tuple[float, ...] | tuple[object, ...]:
        return (-round(totals[line], 12), *(-normalised[n].get(line, 0.0) for n in order), line[0], line[1])

    return [(line, totals[line]) for line in sorted(lines, key=key) if totals[line] > 0]
