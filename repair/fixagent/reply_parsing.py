"""Reading what FixAgent's agents answer: a unified diff, or a JSON list / object, out of free text."""

from __future__ import annotations

import json
import re
from typing import Any

from repair.patch import DIFF_FENCE


def extract_diff(text: str) -> str | None:
    """The unified diff in `text` (a fenced block, else from the first `--- ` line on), or None."""
    for block in DIFF_FENCE.findall(text):
        if re.search(r"^--- ", block, re.M) and re.search(r"^@@ ", block, re.M):
            return block if block.endswith("\n") else block + "\n"
    match = re.search(r"^--- ", text, re.M)
    if not match or not re.search(r"^@@ ", text[match.start():], re.M):
        return None
    diff = text[match.start():].split("\n```", 1)[0]
    return diff if diff.endswith("\n") else diff + "\n"


def extract_json(text: str, kind: type) -> Any:
    """The first JSON value of type `kind` (list or dict) in `text`, or None.

    Models wrap JSON in prose or fences, so every '[' / '{' is tried as the start of a value.
    """
    opener = "[" if kind is list else "{"
    decoder = json.JSONDecoder()
    for match in re.finditer(re.escape(opener), text):
        try:
            value, _end = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, kind):
            return value
    return None


def line_numbers(value: Any, limit: int) -> list[int]:
    """Line numbers from a JSON list of ints, digit strings, "file:line" strings or {"line": n} objects,
    kept when within 1..`limit`, without duplicates, in order."""
    found: list[int] = []
    for item in value if isinstance(value, list) else []:
        raw = item.get("line") if isinstance(item, dict) else item
        if isinstance(raw, str):
            raw = raw.rsplit(":", 1)[-1].strip()
        try:
            number = int(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if 1 <= number <= limit and number not in found:
            found.append(number)
    return found
