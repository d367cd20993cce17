"""Identifiers split into the words they are made of, for BM25 over code (search_code_base, RepoFocus)."""

from __future__ import annotations

import re

# An acronym before a capitalised word (`HTTP` in `HTTPServer`), a (capitalised) lower-case run, an
# acronym, a number: camelCase, PascalCase and snake_case all come apart.
_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def identifier_parts(identifier: str) -> list[str]:
    """The lower-cased words of `identifier`: `applyPercentageDiscount` → apply, percentage, discount."""
    return [part.lower() for part in _PART.findall(identifier)]
