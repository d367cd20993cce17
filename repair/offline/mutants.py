"""The offline engine's fix templates as mutation operators, for mutation-based fault localization.

Fault localization sits below the offline engine, so it asks for mutants through its `MutantSource`
protocol; this is the implementation the layers above hand it (`repair localize`, the agent's tools,
FixAgent's levels, the review report).
"""

from __future__ import annotations

from repair.fault_localization.mutation import Mutant
from repair.offline.templates import propose
from repair.syntax import language_of


class TemplateMutants:
    """A `MutantSource`: every candidate the templates make for a line (no type checker: a mutant that
    does not compile costs one in-memory compile and is counted as stillborn)."""

    def mutants(self, file: str, text: str, line: int) -> list[Mutant]:
        language = language_of(file)
        if language is None:
            return []
        made = propose(language, text, line, file)
        return [Mutant(file, line, c.template, c.description, c.new_text) for c in made.candidates]
