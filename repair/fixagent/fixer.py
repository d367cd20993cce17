"""Fixer (L1): one unified diff for the lines the Locator named."""

from __future__ import annotations

from repair.fixagent.inputs import BuggyFile, Draft
from repair.fixagent.prompting import ask, numbered, section
from repair.fixagent.reply_parsing import extract_diff
from repair.models.base import Model

WINDOW = 20  # lines of context shown around the suspicious lines in long files
WHOLE_FILE_LINES = 200


def shown_range(file: BuggyFile, lines: list[int]) -> tuple[int, int]:
    """The lines of `file` worth showing: all of a short file, else a window around `lines`."""
    if file.line_count <= WHOLE_FILE_LINES or not lines:
        return 1, file.line_count
    return max(1, min(lines) - WINDOW), min(file.line_count, max(lines) + WINDOW)


def fix(model: Model, file: BuggyFile, lines: list[int], failures: str) -> Draft:
    """Ask for a patch of `file` around `lines`."""
    first, last = shown_range(file, lines)
    call = ask(model, "fixer", [
        section(f"Buggy file {file.path} ({file.language}), lines {first}-{last}", numbered(file.text, first, last)),
        section("Suspicious lines (from the Locator)", ", ".join(map(str, lines)) or "(unknown)"),
        section("Failing tests", failures),
        f"Answer with one unified diff of {file.path} in a ```diff block.",
    ])
    diff = extract_diff(call.text)
    return Draft(diff, call, "" if diff else "the Fixer's reply holds no unified diff")
