"""Bug selection: `--bugs 'Closure-1..20,Lang-*,GCD'` picks bugs of a dataset by name, glob or numeric range."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence

from repair.errors import RepairError

_RANGE = re.compile(r"^(?P<prefix>.*?)(?P<low>\d+)\.\.(?P<high>\d+)$")
_NUMBERED = re.compile(r"^(?P<prefix>.*?)(?P<number>\d+)$")


class BugSelectionError(RepairError):
    """A `--bugs` selection that is malformed or matches none of the dataset's bugs."""


def bug_name(bug_id: str) -> str:
    """The part of a bug id after `dataset:` (`defects4j:Closure-14` → `Closure-14`)."""
    return bug_id.split(":", 1)[-1]


def select_bugs(bug_ids: Sequence[str], selection: str | None) -> list[str]:
    """The ids in `bug_ids` (kept in their order) that `selection` picks; all of them when it is empty.

    A selection is comma-separated terms; each term is an exact name or id, a glob (`Lang-*`, `*sort*`),
    or a numeric range `PREFIX-A..B` (`Closure-1..20`, both ends included). Names match case-sensitively
    first, and case-insensitively when that finds nothing. A term that matches no bug is an error, so a
    typo does not silently shrink a benchmark run.
    """
    if not selection or not selection.strip():
        return list(bug_ids)
    chosen: set[str] = set()
    for term in (t.strip() for t in selection.split(",")):
        if not term:
            continue
        matched = [b for b in bug_ids if _matches(b, term, case_sensitive=True)] or \
            [b for b in bug_ids if _matches(b, term, case_sensitive=False)]
        if not matched:
            known = ", ".join(bug_name(b) for b in list(bug_ids)[:8])
            more = " ..." if len(bug_ids) > 8 else ""
            raise BugSelectionError(f"--bugs term '{term}' matches no bug (known: {known}{more})")
        chosen.update(matched)
    return [b for b in bug_ids if b in chosen]


def _matches(bug_id: str, term: str, case_sensitive: bool) -> bool:
    name = bug_name(bug_id)
    if not case_sensitive:
        bug_id, name, term = bug_id.lower(), name.lower(), term.lower()
    ranged = _RANGE.match(term)
    if ranged:
        low, high = int(ranged["low"]), int(ranged["high"])
        if low > high:
            raise BugSelectionError(f"--bugs range '{term}' is empty: {low} > {high}")
        for candidate in (name, bug_id):
            numbered = _NUMBERED.match(candidate)
            if numbered and numbered["prefix"] == ranged["prefix"] and low <= int(numbered["number"]) <= high:
                return True
        return False
    if any(ch in term for ch in "*?["):
        return fnmatch.fnmatchcase(name, term) or fnmatch.fnmatchcase(bug_id, term)
    return term in (name, bug_id)
