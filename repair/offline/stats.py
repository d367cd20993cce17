"""Per-bug counts and time split of the offline search, for reports and benchmarks."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from repair.validation import ValidationResult


@dataclass
class SearchStats:
    """How many candidates were generated, compiled, tested and plausible, and where the time went.

    `compiled` counts candidates that got past the compiler (Python: that were run at all);
    `tested` counts those whose tests ran to a verdict. Cached verdicts count once, when first run.
    """

    generated: int = 0
    validated: int = 0
    duplicates: int = 0
    compiled: int = 0
    tested: int = 0
    plausible: int = 0
    lines_tried: int = 0
    generation_seconds: float = 0.0
    compilation_seconds: float = 0.0
    test_seconds: float = 0.0

    def record(self, result: ValidationResult) -> None:
        """Count one validation verdict."""
        if result.cached:
            self.duplicates += 1
            return
        self.validated += 1
        if result.status in ("plausible", "not-plausible"):
            self.compiled += 1
            self.tested += 1
        if result.plausible:
            self.plausible += 1

    @property
    def total_seconds(self) -> float:
        return self.generation_seconds + self.compilation_seconds + self.test_seconds

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("generation_seconds", "compilation_seconds", "test_seconds"):
            data[key] = round(data[key], 3)
        return data

    def summary(self) -> str:
        """One line for the terminal and the model."""
        return (f"{self.generated} generated, {self.compiled} compiled, {self.tested} tested, "
                f"{self.plausible} plausible; generation {self.generation_seconds:.2f}s, "
                f"compilation {self.compilation_seconds:.2f}s, tests {self.test_seconds:.2f}s")
