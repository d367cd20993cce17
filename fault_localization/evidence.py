"""Everything fault localization learned about a bug's lines, before any ranking: coverage spectra,
stack-trace frames, statement kinds and mutation outcomes, with what each cost.

Rankings (`repair.fault_localization.combined.rank`) are computed from it, so that one localization
serves every formula (the benchmark compares them on the same evidence).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from repair.fault_localization.formulas import FORMULAS, Spectrum
from repair.fault_localization.matrix import Line
from repair.fault_localization.mutation import MutationReport


@dataclass
class Evidence:
    """Per-line facts. `spectra` holds the lines at least one failing test executed (ranked files only)."""

    spectra: dict[Line, Spectrum] = field(default_factory=dict)
    stack: dict[Line, float] = field(default_factory=dict)
    kinds: dict[Line, str] = field(default_factory=dict)
    mutation: MutationReport | None = None
    coverage_seconds: float = 0.0

    @property
    def lines(self) -> set[Line]:
        """Every line some evidence points at."""
        return set(self.spectra) | set(self.stack)

    def spectrum_scores(self, formula: str) -> dict[Line, float]:
        score = FORMULAS[formula]
        return {line: score(spectrum) for line, spectrum in self.spectra.items()}

    @property
    def mutation_seconds(self) -> float:
        return self.mutation.seconds if self.mutation is not None else 0.0

    def to_dict(self) -> dict[str, object]:
        """A JSON form, for studying the rankings without rerunning (benchmarks)."""
        return {
            "coverage_seconds": round(self.coverage_seconds, 3),
            "spectra": {f"{f}:{n}": [s.ef, s.ep, s.nf, s.np] for (f, n), s in sorted(self.spectra.items())},
            "stack": {f"{f}:{n}": round(v, 6) for (f, n), v in sorted(self.stack.items())},
            "kinds": {f"{f}:{n}": k for (f, n), k in sorted(self.kinds.items())},
            "mutation": self.mutation.to_dict() if self.mutation is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evidence:
        """The evidence `to_dict` wrote."""
        def line(key: str) -> Line:
            file, _, number = key.rpartition(":")
            return (file, int(number))

        mutation = data.get("mutation")
        return cls(spectra={line(k): Spectrum(*v) for k, v in data["spectra"].items()},
                   stack={line(k): float(v) for k, v in data["stack"].items()},
                   kinds={line(k): str(v) for k, v in data["kinds"].items()},
                   mutation=MutationReport.from_dict(mutation) if mutation else None,
                   coverage_seconds=float(data.get("coverage_seconds", 0.0)))
