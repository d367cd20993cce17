"""RepairAgent-style scripts for the demo bugs, shared by the end-to-end tests (scripted and over HTTP)."""

from __future__ import annotations

from typing import Any

JAVA_FILE = "java_programs/BINARY_SEARCH.java"
PY_FILE = "python_programs/is_sorted.py"


def _cmd(name: str, thoughts: str = "", **args: Any) -> dict[str, Any]:
    return {"thoughts": thoughts or name, "command": {"name": name, "args": args}}


def _edit(file: str, line: int, text: str) -> list[dict[str, Any]]:
    return [{"file": file, "changes": [{"start": line, "end": line, "replacement": text}]}]


# run_fault_localization → read_range → express_hypothesis → wrong write_fix → collect_more_information
# → search_code_base → right write_fix → goal_accomplished
WORKFLOWS: dict[str, list[dict[str, Any]]] = {
    "demo:BINARY_SEARCH": [
        _cmd("run_fault_localization", "Which lines are suspicious?"),
        _cmd("read_range", "Read the search loop.", file=JAVA_FILE, start=1, end=19),
        _cmd("express_hypothesis", hypothesis="The loop stops one iteration early, missing the last element."),
        _cmd("write_fix", "Try a different loop test.",
             changes=_edit(JAVA_FILE, 7, "        while (lo != hi) {")),
        _cmd("collect_more_information", "The fix failed; look for the loop bounds."),
        _cmd("search_code_base", key_words=["lo < hi"]),
        _cmd("write_fix", "Include the last position.", changes=_edit(JAVA_FILE, 7, "        while (lo <= hi) {")),
        _cmd("goal_accomplished"),
    ],
    "demo:is_sorted": [
        _cmd("run_fault_localization"),
        _cmd("read_range", file=PY_FILE, start=1, end=6),
        _cmd("express_hypothesis", hypothesis="Equal neighbours are treated as out of order (>= instead of >)."),
        _cmd("write_fix", "Compare the other way round.",
             changes=_edit(PY_FILE, 4, "        if items[i - 1] <= items[i]:")),
        _cmd("collect_more_information"),
        _cmd("search_code_base", key_words=["items[i - 1]", "is_sorted"]),
        _cmd("write_fix", "Only a strict decrease is unsorted.",
             diff="--- a/python_programs/is_sorted.py\n+++ b/python_programs/is_sorted.py\n@@ -4,1 +4,1 @@\n"
                  "-        if items[i - 1] >= items[i]:\n+        if items[i - 1] > items[i]:\n"),
        _cmd("goal_accomplished"),
    ],
}

EXPECTED_TRANSITIONS = [
    ("express_hypothesis", "understand", "collect"),
    ("write_fix", "collect", "try_fix"),
    ("collect_more_information", "try_fix", "collect"),
    ("write_fix", "collect", "try_fix"),
    ("goal_accomplished", "try_fix", "done"),
]
